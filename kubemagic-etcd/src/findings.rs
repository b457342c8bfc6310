//! Diagnosis: findings from a cluster status. Pure functions, no I/O, so
//! every rule is unit-tested without a cluster.
//!
//! Codes (stable, documented in the README):
//! KM121 NOSPACE alarm · KM122 CORRUPT/other alarm · KM123 quota asymmetry ·
//! KM124 database near or over its quota · KM125 fragmentation worth a
//! defrag · KM126 unreachable member · KM127 no leader · KM128 version skew ·
//! KM129 quota below 1 GiB · KM130 env file quota differs from the running
//! member · KM131 member missing from the given endpoints · KM132 quota
//! above 8 GiB · KM133 metrics unreadable · KM134 env file quota not a
//! plain byte count.

use crate::config::ConfiguredQuota;
use crate::model::{Alarm, AlarmKind, ListedMember, MemberStatus};
use kubemagic_core::{ByteSize, Finding};

/// The database may fill this fraction of its quota before we warn.
pub const QUOTA_WARN_FRACTION: f64 = 0.8;
/// OpenShift's defrag controller: defragment when at least 45 % of the file
/// is free pages...
pub const FRAGMENTATION_MIN_FRACTION: f64 = 0.45;
/// ...and the file is at least 100 MB. We also recommend a defrag for a
/// smaller file when it holds more than half of its quota, which is what a
/// 20 MiB quota needs.
pub const FRAGMENTATION_MIN_DB: ByteSize = ByteSize::b(100_000_000);
/// etcd's documented maximum sensible quota.
pub const QUOTA_MAX_RECOMMENDED: ByteSize = ByteSize::gib(8);
/// Below this quota a busy cluster fills its database in days.
pub const QUOTA_MIN_RECOMMENDED: ByteSize = ByteSize::gib(1);

/// The lasting fix advised by every quota finding and by `recover`.
pub const FIX_ADVICE: &str =
    "leave etcd_quota_backend_bytes unset (etcd's 2 GiB default) or set it \
to the same value, at most 8 GiB, on every member, and give etcd its own logical volume so that a \
full database cannot be caused by, nor fill, another filesystem";

fn label_for(members: &[MemberStatus], id: crate::model::MemberId) -> String {
    members
        .iter()
        .find(|m| m.live.as_ref().map(|l| l.id).or(m.id) == Some(id))
        .map(|m| m.label())
        .unwrap_or_else(|| format!("member {id}"))
}

/// The fraction of free pages when a defragmentation is worth it (OpenShift's
/// rule: at least 45 % free pages in a database of at least 100 MB; or the
/// same fragmentation in a database above half of its quota), else `None`.
///
/// `None` as well when the in-use size is unknown (etcd 3.3 without the
/// in-use metric): unknown fragmentation is never a reason to defragment.
pub fn worth_defrag(m: &MemberStatus) -> Option<f64> {
    let l = m.live.as_ref()?;
    let frag = m.fragmentation()?;
    let big = l.db_size >= FRAGMENTATION_MIN_DB;
    let near_quota = m.quota_fraction().is_some_and(|f| f >= 0.5);
    (frag >= FRAGMENTATION_MIN_FRACTION && (big || near_quota)).then_some(frag)
}

/// All findings for one observation of the cluster. `bootstrap` is the
/// endpoint list the caller gave (to name members missing from it);
/// `config_findings` what was found wrong in the configuration itself
/// (reported, while the live status still runs).
pub fn diagnose(
    members: &[MemberStatus],
    alarms: &[Alarm],
    member_list: &[ListedMember],
    configured: Option<&ConfiguredQuota>,
    bootstrap: &[String],
    config_findings: &[Finding],
) -> Vec<Finding> {
    let mut out = config_findings.to_vec();

    for a in alarms {
        let who = label_for(members, a.member_id);
        match a.alarm {
            AlarmKind::Nospace => out.push(
                Finding::error(
                    "KM121",
                    format!(
                        "NOSPACE alarm raised by {who}: every write to the whole cluster fails with \
                         `mvcc: database space exceeded` until the alarm is disarmed; \
                         `kubemagic etcd recover` compacts, defragments and disarms safely"
                    ),
                )
                .host(who),
            ),
            other => out.push(
                Finding::error(
                    "KM122",
                    format!("{other} alarm raised by {who}: investigate before disarming (data may be inconsistent)"),
                )
                .host(who),
            ),
        }
    }

    for m in members.iter().filter(|m| !m.is_reachable()) {
        out.push(
            Finding::error(
                "KM126",
                format!(
                    "member {} is unreachable: {}",
                    m.label(),
                    m.problems.join("; ")
                ),
            )
            .host(m.endpoint.clone()),
        );
    }

    let reachable: Vec<&MemberStatus> = members.iter().filter(|m| m.is_reachable()).collect();
    if !reachable.is_empty()
        && !reachable
            .iter()
            .any(|m| m.live.as_ref().is_some_and(|l| l.leader.is_some()))
    {
        out.push(Finding::error(
            "KM127",
            "no member knows a leader: the cluster has lost quorum and accepts neither reads nor writes",
        ));
    }

    // Quota asymmetry: etcd raises NOSPACE cluster-wide as soon as *one*
    // member's backend reaches *its* quota, so the smallest quota governs.
    let quotas: Vec<(&MemberStatus, ByteSize)> = members
        .iter()
        .filter_map(|m| m.quota_backend_bytes.map(|q| (m, q)))
        .collect();
    if let (Some(min), Some(max)) = (
        quotas.iter().map(|(_, q)| *q).min(),
        quotas.iter().map(|(_, q)| *q).max(),
    ) {
        if min != max {
            let smallest: Vec<String> = quotas
                .iter()
                .filter(|(_, q)| *q == min)
                .map(|(m, _)| m.label())
                .collect();
            let listing: Vec<String> = quotas
                .iter()
                .map(|(m, q)| format!("{}={q}", m.label()))
                .collect();
            out.push(
                Finding::error(
                    "KM123",
                    format!(
                        "quota-backend-bytes differs between members ({}): the whole cluster stops \
                         accepting writes (NOSPACE) as soon as {} reaches {min}, whatever the other \
                         members' quotas; fix: {FIX_ADVICE}",
                        listing.join(", "),
                        smallest.join(", "),
                    ),
                )
                .host(smallest.join(","))
                .variable("etcd_quota_backend_bytes"),
            );
        }
    }

    for (m, q) in &quotas {
        if *q < QUOTA_MIN_RECOMMENDED {
            out.push(
                Finding::warning(
                    "KM129",
                    format!("{} has a quota of only {q}: it fills in days on a busy cluster; {FIX_ADVICE}", m.label()),
                )
                .host(m.endpoint.clone())
                .variable("etcd_quota_backend_bytes"),
            );
        } else if *q > QUOTA_MAX_RECOMMENDED {
            out.push(
                Finding::warning(
                    "KM132",
                    format!(
                        "{} has a quota of {q}, above the 8 GiB etcd supports well",
                        m.label()
                    ),
                )
                .host(m.endpoint.clone())
                .variable("etcd_quota_backend_bytes"),
            );
        }
    }

    for m in &reachable {
        let Some(l) = &m.live else { continue };
        if let Some(frac) = m.quota_fraction() {
            let q = m.quota_backend_bytes.unwrap_or_default();
            if frac >= 1.0 {
                out.push(
                    Finding::error(
                        "KM124",
                        format!(
                            "{}: database {} has reached its quota {q} ({:.0} %)",
                            m.label(),
                            l.db_size,
                            frac * 100.0
                        ),
                    )
                    .host(m.endpoint.clone()),
                );
            } else if frac >= QUOTA_WARN_FRACTION {
                out.push(
                    Finding::warning(
                        "KM124",
                        format!(
                            "{}: database {} is {:.0} % of its quota {q}; writes stop cluster-wide at 100 %",
                            m.label(),
                            l.db_size,
                            frac * 100.0
                        ),
                    )
                    .host(m.endpoint.clone()),
                );
            }
        }
        if let (Some(frag), Some(used)) = (worth_defrag(m), l.db_size_in_use) {
            let free = l.db_size.as_u64().saturating_sub(used.as_u64());
            out.push(
                Finding::warning(
                    "KM125",
                    format!(
                        "{}: {:.0} % of the {} database is free pages; `kubemagic etcd defrag` would give back {}",
                        m.label(),
                        frag * 100.0,
                        l.db_size,
                        ByteSize::b(free)
                    ),
                )
                .host(m.endpoint.clone()),
            );
        }
    }

    let mut versions: Vec<&str> = reachable
        .iter()
        .filter_map(|m| m.live.as_ref().map(|l| l.version.as_str()))
        .collect();
    versions.sort_unstable();
    versions.dedup();
    if versions.len() > 1 {
        let listing: Vec<String> = reachable
            .iter()
            .filter_map(|m| {
                m.live
                    .as_ref()
                    .map(|l| format!("{}={}", m.label(), l.version))
            })
            .collect();
        out.push(Finding::warning(
            "KM128",
            format!(
                "members run different etcd versions ({}): finish the upgrade before any maintenance",
                listing.join(", ")
            ),
        ));
    }

    // A list of several endpoints that misses a member is a stale
    // configuration (monitoring, scripts): say so. One endpoint is a
    // bootstrap, not a list, and is never reported.
    if bootstrap.len() > 1 {
        for lm in member_list {
            let given = lm
                .client_urls
                .iter()
                .any(|u| bootstrap.iter().any(|b| b == u.trim_end_matches('/')));
            let queried_as_given = members
                .iter()
                .any(|m| m.id == Some(lm.id) && bootstrap.iter().any(|b| b == &m.endpoint));
            if !given && !queried_as_given {
                out.push(
                    Finding::warning(
                        "KM131",
                        format!(
                            "member {} ({}) is in the cluster but not among the given endpoints; it \
                             was queried on its advertised URL {}: add it to the endpoint list",
                            lm.name,
                            lm.id,
                            lm.client_urls.join(",")
                        ),
                    )
                    .host(lm.name.clone()),
                );
            }
        }
    }

    for m in &reachable {
        if m.quota_backend_bytes.is_none() {
            out.push(
                Finding::warning(
                    "KM133",
                    format!(
                        "{}: quota unknown, /metrics could not be read ({})",
                        m.label(),
                        m.problems.join("; ")
                    ),
                )
                .host(m.endpoint.clone()),
            );
        }
    }

    if let Some(cq) = configured {
        let target: Vec<&MemberStatus> = match &cq.member_name {
            Some(n) => members
                .iter()
                .filter(|m| m.name.as_deref() == Some(n.as_str()))
                .collect(),
            None => Vec::new(),
        };
        for m in target {
            if let Some(q) = m.quota_backend_bytes {
                if q != cq.bytes {
                    out.push(
                        Finding::warning(
                            "KM130",
                            format!(
                                "{} runs with a quota of {q} but its env file asks for {}: the member \
                                 was not restarted since the file changed",
                                m.label(),
                                cq.bytes
                            ),
                        )
                        .at(Some(&cq.origin))
                        .host(m.endpoint.clone())
                        .variable("ETCD_QUOTA_BACKEND_BYTES"),
                    );
                }
            }
        }
    }

    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::{LiveStatus, MemberId};
    use kubemagic_core::Severity;

    pub fn member(
        n: u64,
        db: ByteSize,
        in_use: ByteSize,
        quota: ByteSize,
        leader: u64,
    ) -> MemberStatus {
        MemberStatus {
            endpoint: format!("http://127.0.0.1:{}", 2379 + 10 * n),
            id: Some(MemberId(n)),
            name: Some(format!("etcd{n}")),
            learner: false,
            live: Some(LiveStatus {
                id: MemberId(n),
                version: "3.4.23".into(),
                db_size: db,
                db_size_in_use: Some(in_use),
                leader: (leader != 0).then_some(MemberId(leader)),
                is_learner: false,
                raft_term: 2,
                raft_index: 100,
                revision: 500,
                errors: vec![],
            }),
            quota_backend_bytes: Some(quota),
            problems: vec![],
        }
    }

    pub fn unreachable(n: u64) -> MemberStatus {
        MemberStatus {
            endpoint: format!("http://127.0.0.1:{}", 2379 + 10 * n),
            id: Some(MemberId(n)),
            name: Some(format!("etcd{n}")),
            learner: false,
            live: None,
            quota_backend_bytes: None,
            problems: vec!["connection refused".into()],
        }
    }

    fn codes(f: &[Finding]) -> Vec<(&str, Severity)> {
        f.iter().map(|f| (f.code.as_str(), f.severity)).collect()
    }

    #[test]
    fn healthy_symmetric_cluster_has_no_findings() {
        let ms = vec![
            member(1, ByteSize::mib(20), ByteSize::mib(18), ByteSize::gib(2), 1),
            member(2, ByteSize::mib(20), ByteSize::mib(18), ByteSize::gib(2), 1),
            member(3, ByteSize::mib(20), ByteSize::mib(18), ByteSize::gib(2), 1),
        ];
        assert!(diagnose(&ms, &[], &[], None, &[], &[]).is_empty());
    }

    #[test]
    fn seed_incident_reports_nospace_asymmetry_and_full_member() {
        let ms = vec![
            member(1, ByteSize::mib(21), ByteSize::mib(1), ByteSize::gib(2), 1),
            member(2, ByteSize::mib(21), ByteSize::mib(1), ByteSize::gib(2), 1),
            member(3, ByteSize::mib(21), ByteSize::mib(1), ByteSize::mib(20), 1),
        ];
        let alarms = [Alarm {
            member_id: MemberId(3),
            alarm: AlarmKind::Nospace,
        }];
        let f = diagnose(&ms, &alarms, &[], None, &[], &[]);
        let c = codes(&f);
        assert!(c.contains(&("KM121", Severity::Error)));
        assert!(c.contains(&("KM123", Severity::Error)));
        assert!(c.contains(&("KM124", Severity::Error)));
        assert!(c.contains(&("KM125", Severity::Warning)));
        assert!(c.contains(&("KM129", Severity::Warning)));
        let asym = f.iter().find(|f| f.code == "KM123").unwrap();
        assert!(
            asym.message
                .contains("whole cluster stops accepting writes"),
            "{}",
            asym.message
        );
        assert!(asym.message.contains("etcd3"));
    }

    #[test]
    fn database_at_85_percent_is_a_warning() {
        let ms = vec![member(
            1,
            ByteSize::mib(17),
            ByteSize::mib(17),
            ByteSize::mib(20),
            1,
        )];
        let f = diagnose(&ms, &[], &[], None, &[], &[]);
        assert!(codes(&f).contains(&("KM124", Severity::Warning)));
    }

    #[test]
    fn small_fragmented_database_far_from_quota_is_not_worth_a_defrag() {
        let ms = vec![member(
            1,
            ByteSize::mib(50),
            ByteSize::mib(5),
            ByteSize::gib(2),
            1,
        )];
        assert!(diagnose(&ms, &[], &[], None, &[], &[]).is_empty());
        let ms = vec![member(
            1,
            ByteSize::mib(200),
            ByteSize::mib(50),
            ByteSize::gib(2),
            1,
        )];
        assert!(
            codes(&diagnose(&ms, &[], &[], None, &[], &[])).contains(&("KM125", Severity::Warning))
        );
    }

    #[test]
    fn unreachable_member_and_no_leader_are_errors() {
        let ms = vec![
            member(1, ByteSize::mib(1), ByteSize::mib(1), ByteSize::gib(2), 0),
            unreachable(2),
        ];
        let f = diagnose(&ms, &[], &[], None, &[], &[]);
        let c = codes(&f);
        assert!(c.contains(&("KM126", Severity::Error)));
        assert!(c.contains(&("KM127", Severity::Error)));
        assert!(f.iter().any(|f| f.message.contains("connection refused")));
    }

    #[test]
    fn different_versions_are_a_skew_warning() {
        let mut b = member(2, ByteSize::mib(1), ByteSize::mib(1), ByteSize::gib(2), 1);
        if let Some(l) = b.live.as_mut() {
            l.version = "3.5.9".into();
        }
        let ms = vec![
            member(1, ByteSize::mib(1), ByteSize::mib(1), ByteSize::gib(2), 1),
            b,
        ];
        assert!(
            codes(&diagnose(&ms, &[], &[], None, &[], &[])).contains(&("KM128", Severity::Warning))
        );
    }

    #[test]
    fn env_file_quota_different_from_running_member_points_at_the_file() {
        let ms = vec![member(
            1,
            ByteSize::mib(1),
            ByteSize::mib(1),
            ByteSize::mib(20),
            1,
        )];
        let cq = ConfiguredQuota {
            bytes: ByteSize::gib(2),
            origin: kubemagic_core::Origin::new("/etc/etcd.env", Some(7)),
            member_name: Some("etcd1".into()),
        };
        let f = diagnose(&ms, &[], &[], Some(&cq), &[], &[]);
        let km510 = f.iter().find(|f| f.code == "KM130").unwrap();
        assert_eq!(km510.line, Some(7));
    }

    #[test]
    fn member_missing_from_a_list_of_endpoints_is_reported_but_not_from_one_endpoint() {
        let ms = vec![member(
            1,
            ByteSize::mib(1),
            ByteSize::mib(1),
            ByteSize::gib(2),
            1,
        )];
        let listed = vec![
            ListedMember {
                id: MemberId(1),
                name: "etcd1".into(),
                client_urls: vec![ms[0].endpoint.clone()],
                is_learner: false,
            },
            ListedMember {
                id: MemberId(9),
                name: "etcd9".into(),
                client_urls: vec!["http://127.0.0.1:9".into()],
                is_learner: false,
            },
        ];
        let two = [ms[0].endpoint.clone(), "http://127.0.0.1:5".to_string()];
        let f = diagnose(&ms, &[], &listed, None, &two, &[]);
        let km131: Vec<&Finding> = f.iter().filter(|f| f.code == "KM131").collect();
        assert_eq!(km131.len(), 1, "{f:?}");
        assert!(km131[0].message.contains("etcd9"));
        // A single endpoint is a bootstrap: no warning.
        let one = [ms[0].endpoint.clone()];
        assert!(diagnose(&ms, &[], &listed, None, &one, &[]).is_empty());
    }

    #[test]
    fn unknown_in_use_size_is_neither_100_percent_nor_a_km125() {
        // etcd 3.3: Status has no in-use size and neither has /metrics.
        let mut m = member(1, ByteSize::mib(300), ByteSize::mib(1), ByteSize::gib(2), 1);
        if let Some(l) = m.live.as_mut() {
            l.db_size_in_use = None;
        }
        assert_eq!(m.fragmentation(), None);
        assert_eq!(worth_defrag(&m), None);
        assert!(diagnose(&[m], &[], &[], None, &[], &[]).is_empty());
    }

    #[test]
    fn configuration_findings_are_reported_with_the_live_ones() {
        let cf = Finding::error("KM134", "bad quota")
            .at(Some(&kubemagic_core::Origin::new("/etc/etcd.env", Some(3))));
        let ms = vec![member(
            1,
            ByteSize::mib(1),
            ByteSize::mib(1),
            ByteSize::gib(2),
            1,
        )];
        let f = diagnose(&ms, &[], &[], None, &[], &[cf]);
        assert_eq!(codes(&f), vec![("KM134", Severity::Error)]);
        assert_eq!(f[0].line, Some(3));
    }

    #[test]
    fn corrupt_alarm_is_never_treated_as_nospace() {
        let ms = vec![member(
            1,
            ByteSize::mib(1),
            ByteSize::mib(1),
            ByteSize::gib(2),
            1,
        )];
        let alarms = [Alarm {
            member_id: MemberId(1),
            alarm: AlarmKind::Corrupt,
        }];
        let f = diagnose(&ms, &alarms, &[], None, &[], &[]);
        assert_eq!(codes(&f), vec![("KM122", Severity::Error)]);
    }
}

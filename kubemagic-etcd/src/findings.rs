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
use crate::health::{self, QuotaSize, QuotaUse};
use crate::model::{Alarm, AlarmKind, ListedMember, MemberStatus};
use kubemagic_core::{ByteSize, Finding};

pub use crate::health::{
    worth_defrag, FRAGMENTATION_MIN_DB, FRAGMENTATION_MIN_FRACTION, QUOTA_MAX_RECOMMENDED,
    QUOTA_MIN_RECOMMENDED, QUOTA_WARN_FRACTION,
};

/// The lasting fix advised by every quota finding and by `recover`.
pub const FIX_ADVICE: &str =
    "leave etcd_quota_backend_bytes unset (etcd's 2 GiB default) or set it \
to the same value, at most 8 GiB, on every member, and give etcd its own logical volume so that a \
full database cannot be caused by, nor fill, another filesystem";

fn label_for(members: &[MemberStatus], id: crate::model::MemberId) -> String {
    health::owner(members, id)
        .map(|m| m.label())
        .unwrap_or_else(|| format!("member {id}"))
}

/// All findings for one observation of the cluster. `bootstrap` is the
/// endpoint list the caller gave (to name members missing from it);
/// `config_findings` what was found wrong in the configuration itself
/// (reported, while the live status still runs). One function per code,
/// each applying a rule of [`crate::health`].
pub fn diagnose(
    members: &[MemberStatus],
    alarms: &[Alarm],
    member_list: &[ListedMember],
    configured: Option<&ConfiguredQuota>,
    bootstrap: &[String],
    config_findings: &[Finding],
) -> Vec<Finding> {
    let mut out = config_findings.to_vec();
    out.extend(alarms.iter().map(|a| km121_km122_alarm(members, a)));
    out.extend(health::unreachable(members).map(km126_unreachable));
    out.extend(km127_no_leader(members));
    out.extend(km123_quota_asymmetry(members));
    out.extend(km129_km132_quota_size(members));
    for m in health::reachable(members) {
        out.extend(km124_quota_use(m));
        out.extend(km125_fragmentation(m));
    }
    out.extend(km128_version_skew(members));
    out.extend(km131_missing_from_endpoints(
        member_list,
        members,
        bootstrap,
    ));
    out.extend(health::quota_unknown(members).map(km133_metrics_unreadable));
    if let Some(cq) = configured {
        out.extend(km130_env_quota_differs(members, cq));
    }
    out
}

/// KM121 (NOSPACE) or KM122 (any other alarm).
fn km121_km122_alarm(members: &[MemberStatus], a: &Alarm) -> Finding {
    let who = label_for(members, a.member_id);
    match a.alarm {
        AlarmKind::Nospace => Finding::error(
            "KM121",
            format!(
                "NOSPACE alarm raised by {who}: every write to the whole cluster fails with \
                 `mvcc: database space exceeded` until the alarm is disarmed; \
                 `kubemagic etcd recover` compacts, defragments and disarms safely"
            ),
        )
        .host(who),
        other => Finding::error(
            "KM122",
            format!("{other} alarm raised by {who}: investigate before disarming (data may be inconsistent)"),
        )
        .host(who),
    }
}

/// KM126: a member did not answer.
fn km126_unreachable(m: &MemberStatus) -> Finding {
    Finding::error(
        "KM126",
        format!(
            "member {} is unreachable: {}",
            m.label(),
            m.problems.join("; ")
        ),
    )
    .host(m.endpoint.clone())
}

/// KM127: members answer but none knows a leader.
fn km127_no_leader(members: &[MemberStatus]) -> Option<Finding> {
    health::leaderless(members).then(|| {
        Finding::error(
            "KM127",
            "no member knows a leader: the cluster has lost quorum and accepts neither reads nor writes",
        )
    })
}

/// KM123: quotas differ between members.
fn km123_quota_asymmetry(members: &[MemberStatus]) -> Option<Finding> {
    let a = health::quota_asymmetry(members)?;
    let smallest: Vec<String> = a.smallest.iter().map(|m| m.label()).collect();
    let listing: Vec<String> = a
        .quotas
        .iter()
        .map(|(m, q)| format!("{}={q}", m.label()))
        .collect();
    Some(
        Finding::error(
            "KM123",
            format!(
                "quota-backend-bytes differs between members ({}): the whole cluster stops \
                 accepting writes (NOSPACE) as soon as {} reaches {}, whatever the other \
                 members' quotas; fix: {FIX_ADVICE}",
                listing.join(", "),
                smallest.join(", "),
                a.min,
            ),
        )
        .host(smallest.join(","))
        .variable("etcd_quota_backend_bytes"),
    )
}

/// KM129 (quota below 1 GiB) and KM132 (above 8 GiB).
fn km129_km132_quota_size(members: &[MemberStatus]) -> Vec<Finding> {
    health::quotas(members)
        .into_iter()
        .filter_map(|(m, q)| {
            let f = match health::quota_size(q)? {
                QuotaSize::TooSmall => Finding::warning(
                    "KM129",
                    format!("{} has a quota of only {q}: it fills in days on a busy cluster; {FIX_ADVICE}", m.label()),
                ),
                QuotaSize::TooLarge => Finding::warning(
                    "KM132",
                    format!(
                        "{} has a quota of {q}, above the 8 GiB etcd supports well",
                        m.label()
                    ),
                ),
            };
            Some(
                f.host(m.endpoint.clone())
                    .variable("etcd_quota_backend_bytes"),
            )
        })
        .collect()
}

/// KM124: a database near (warning) or at (error) its quota.
fn km124_quota_use(m: &MemberStatus) -> Option<Finding> {
    let l = m.live.as_ref()?;
    let q = m.quota_backend_bytes.unwrap_or_default();
    let f = match health::quota_use(m, QUOTA_WARN_FRACTION, 1.0)? {
        QuotaUse::Full(frac) => Finding::error(
            "KM124",
            format!(
                "{}: database {} has reached its quota {q} ({:.0} %)",
                m.label(),
                l.db_size,
                frac * 100.0
            ),
        ),
        QuotaUse::High(frac) => Finding::warning(
            "KM124",
            format!(
                "{}: database {} is {:.0} % of its quota {q}; writes stop cluster-wide at 100 %",
                m.label(),
                l.db_size,
                frac * 100.0
            ),
        ),
    };
    Some(f.host(m.endpoint.clone()))
}

/// KM125: enough free pages for a defragmentation to be worth it.
fn km125_fragmentation(m: &MemberStatus) -> Option<Finding> {
    let l = m.live.as_ref()?;
    let (frag, used) = (worth_defrag(m)?, l.db_size_in_use?);
    let free = l.db_size.as_u64().saturating_sub(used.as_u64());
    Some(
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
    )
}

/// KM128: members run different etcd versions.
fn km128_version_skew(members: &[MemberStatus]) -> Option<Finding> {
    let running = health::version_skew(members)?;
    let listing: Vec<String> = running
        .iter()
        .map(|(m, v)| format!("{}={v}", m.label()))
        .collect();
    Some(Finding::warning(
        "KM128",
        format!(
            "members run different etcd versions ({}): finish the upgrade before any maintenance",
            listing.join(", ")
        ),
    ))
}

/// KM131: a member missing from a list of several endpoints.
fn km131_missing_from_endpoints(
    member_list: &[ListedMember],
    members: &[MemberStatus],
    bootstrap: &[String],
) -> Vec<Finding> {
    health::missing_from_endpoints(member_list, members, bootstrap)
        .into_iter()
        .map(|lm| {
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
            .host(lm.name.clone())
        })
        .collect()
}

/// KM133: a reachable member whose `/metrics` could not be read.
fn km133_metrics_unreadable(m: &MemberStatus) -> Finding {
    Finding::warning(
        "KM133",
        format!(
            "{}: quota unknown, /metrics could not be read ({})",
            m.label(),
            m.problems.join("; ")
        ),
    )
    .host(m.endpoint.clone())
}

/// KM130: the member the env file configures runs with another quota.
fn km130_env_quota_differs(members: &[MemberStatus], cq: &ConfiguredQuota) -> Vec<Finding> {
    let Some(name) = &cq.member_name else {
        return Vec::new();
    };
    members
        .iter()
        .filter(|m| m.name.as_deref() == Some(name.as_str()))
        .filter_map(|m| {
            let q = m.quota_backend_bytes.filter(|q| *q != cq.bytes)?;
            Some(
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
            )
        })
        .collect()
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

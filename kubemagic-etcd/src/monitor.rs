//! `kubemagic etcd status --output nagios`: the state rules and the
//! perfdata of an etcd cluster, as pure functions of one [`ClusterStatus`].
//!
//! CRITICAL: any alarm, a member at or above `critical` % of its quota, a
//! member unreachable, no leader, nothing reachable. WARNING: a member at or
//! above `warning` %, fragmentation worth a defrag, version skew, a member
//! missing from the given endpoints. UNKNOWN only for bad arguments or an
//! internal failure, never for a cluster that is down.

use crate::health::{self, QuotaUse};
use crate::model::{ClusterStatus, MemberStatus};
use kubemagic_core::nagios::{Perf, PluginOutput, State, Uom};

/// The service name on the status line.
pub const SERVICE: &str = "ETCD";

/// Database-size thresholds, in percent of each member's quota.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// WARNING when a member's database is at or above this % of its quota.
    pub warning_pct: f64,
    /// CRITICAL when a member's database is at or above this % of its quota.
    pub critical_pct: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            warning_pct: 80.0,
            critical_pct: 95.0,
        }
    }
}

impl Thresholds {
    /// Checks `0 < warning <= critical <= 100`: anything else is a bad
    /// argument (UNKNOWN), not a state of the cluster.
    pub fn new(warning_pct: f64, critical_pct: f64) -> Result<Thresholds, String> {
        let ok = |v: f64| v.is_finite() && v > 0.0 && v <= 100.0;
        if !ok(warning_pct) || !ok(critical_pct) {
            return Err(format!(
                "--warning {} and --critical {} must be percentages in (0, 100]",
                kubemagic_core::nagios::format_number(Some(warning_pct)),
                kubemagic_core::nagios::format_number(Some(critical_pct))
            ));
        }
        if warning_pct > critical_pct {
            return Err(format!(
                "--warning {} is above --critical {}",
                kubemagic_core::nagios::format_number(Some(warning_pct)),
                kubemagic_core::nagios::format_number(Some(critical_pct))
            ));
        }
        Ok(Thresholds {
            warning_pct,
            critical_pct,
        })
    }
}

/// A short, perfdata-safe name for a member: its name, else its id, else
/// its endpoint's host:port (never the userinfo of a URL typed with one).
fn short_name(m: &MemberStatus) -> String {
    match (&m.name, m.id) {
        (Some(n), _) if !n.is_empty() => n.clone(),
        (_, Some(id)) => id.to_string(),
        _ => host_port(&m.endpoint).to_string(),
    }
}

/// `host:port` of a client URL: what follows the scheme and any userinfo.
fn host_port(endpoint: &str) -> &str {
    let rest = endpoint
        .split_once("://")
        .map(|(_, r)| r)
        .unwrap_or(endpoint);
    rest.rsplit_once('@').map(|(_, h)| h).unwrap_or(rest)
}

/// Every reason for a non-OK state, each with its state, in the order they
/// are printed: critical ones first. The rules are [`crate::health`]'s,
/// the ones `status` reports as findings; only the size thresholds are the
/// operator's.
pub fn problems(st: &ClusterStatus, th: Thresholds) -> Vec<(State, String)> {
    let mut crit = Vec::new();
    let mut warn = Vec::new();
    if health::nothing_readable(&st.members) {
        crit.push("no member reachable".to_string());
    } else if health::leaderless(&st.members) {
        crit.push("no leader".to_string());
    } else if !st.alarms_known {
        // Whether writes are refused cannot be told: never "OK".
        crit.push("alarms unknown (no member answered the alarm list)".to_string());
    }
    for a in &st.alarms {
        let who = health::owner(&st.members, a.member_id)
            .map(short_name)
            .unwrap_or_else(|| a.member_id.to_string());
        crit.push(format!("{} alarm on {who}", a.alarm));
    }
    for m in &st.members {
        let name = short_name(m);
        if !m.is_reachable() {
            crit.push(format!("{name} unreachable"));
            continue;
        }
        match health::quota_use(m, th.warning_pct / 100.0, th.critical_pct / 100.0) {
            Some(QuotaUse::Full(f)) => crit.push(format!("{name} db {:.0}% of quota", f * 100.0)),
            Some(QuotaUse::High(f)) => warn.push(format!("{name} db {:.0}% of quota", f * 100.0)),
            None => {}
        }
        if let Some(frag) = health::worth_defrag(m) {
            warn.push(format!(
                "{name} {:.0}% fragmented (defrag worth it)",
                frag * 100.0
            ));
        }
    }
    if let Some(running) = health::version_skew(&st.members) {
        warn.push(format!(
            "version skew ({})",
            health::distinct_versions(&running).join(", ")
        ));
    }
    for f in st.findings.iter().filter(|f| f.code == "KM131") {
        warn.push(format!(
            "{} missing from the endpoints",
            f.host.as_deref().unwrap_or("a member")
        ));
    }
    crit.into_iter()
        .map(|s| (State::Critical, s))
        .chain(warn.into_iter().map(|s| (State::Warning, s)))
        .collect()
}

/// Per member: db size (warn/crit at the thresholds of its quota, max the
/// quota), db in use, fragmentation % and alarm count. Unreachable members
/// have only their alarm count; unknown values are left out.
pub fn perfdata(st: &ClusterStatus, th: Thresholds) -> Vec<Perf> {
    let mut out = Vec::new();
    for m in &st.members {
        let name = short_name(m);
        let id = m.live.as_ref().map(|l| l.id).or(m.id);
        if let Some(l) = &m.live {
            let q = m.quota_backend_bytes.map(|q| q.as_u64() as f64);
            let at = |pct: f64| q.map(|q| (q * pct / 100.0).floor());
            out.push(
                Perf::new(
                    format!("{name}_db"),
                    Some(l.db_size.as_u64() as f64),
                    Uom::Bytes,
                )
                .thresholds(at(th.warning_pct), at(th.critical_pct))
                .bounds(Some(0.0), q),
            );
            if let Some(u) = l.db_size_in_use {
                out.push(
                    Perf::new(
                        format!("{name}_db_in_use"),
                        Some(u.as_u64() as f64),
                        Uom::Bytes,
                    )
                    .bounds(Some(0.0), q),
                );
            }
            if let Some(f) = m.fragmentation() {
                out.push(
                    Perf::new(
                        format!("{name}_fragmentation"),
                        Some((f * 1000.0).round() / 10.0),
                        Uom::Percent,
                    )
                    .bounds(Some(0.0), Some(100.0)),
                );
            }
        }
        let alarms = st.alarms.iter().filter(|a| Some(a.member_id) == id).count();
        out.push(
            Perf::new(format!("{name}_alarms"), Some(alarms as f64), Uom::None)
                .thresholds(None, Some(0.0))
                .bounds(Some(0.0), None),
        );
    }
    out
}

/// The whole plugin output for one observation.
pub fn report(st: &ClusterStatus, th: Thresholds) -> PluginOutput {
    let problems = problems(st, th);
    let state = problems.iter().fold(State::Ok, |acc, (s, _)| acc.worst(*s));
    let total = st.members.len();
    let reachable = st.members.iter().filter(|m| m.is_reachable()).count();
    let largest = st
        .members
        .iter()
        .filter_map(|m| m.quota_fraction())
        .fold(None, |acc: Option<f64>, f| {
            Some(acc.map_or(f, |a| a.max(f)))
        });
    let mut summary: Vec<String> = problems.iter().map(|(_, s)| s.clone()).collect();
    summary.push(match largest {
        Some(f) => format!(
            "{reachable}/{total} members, largest db {:.0}% of quota",
            f * 100.0
        ),
        None => format!("{reachable}/{total} members, quota unknown"),
    });
    let long = st
        .members
        .iter()
        .map(|m| {
            // Endpoints are printed as given: the writer's redactor knows
            // the credentials they were typed with.
            let who = format!("{} ({})", short_name(m), m.endpoint);
            let Some(l) = &m.live else {
                return format!("{who}: unreachable: {}", m.problems.join("; "));
            };
            let quota = match (m.quota_backend_bytes, m.quota_fraction()) {
                (Some(q), Some(f)) => format!(" of quota {q} ({:.0}%)", f * 100.0),
                _ => ", quota unknown".to_string(),
            };
            let frag = m
                .fragmentation()
                .map(|f| format!("{:.0}%", f * 100.0))
                .unwrap_or_else(|| "unknown".into());
            format!(
                "{who}: {}etcd {}, db {}{quota}, fragmentation {frag}",
                if m.is_leader() { "leader, " } else { "" },
                l.version,
                l.db_size
            )
        })
        .collect();
    PluginOutput {
        service: SERVICE.to_string(),
        state,
        summary: summary.join(", "),
        perfdata: perfdata(st, th),
        long,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::tests::{member, unreachable};
    use crate::model::{Alarm, AlarmKind, MemberId};
    use kubemagic_core::ByteSize;

    fn status(members: Vec<MemberStatus>, alarms: Vec<Alarm>) -> ClusterStatus {
        ClusterStatus {
            members,
            alarms_known: true,
            alarms,
            findings: vec![],
            member_list: vec![],
        }
    }

    fn healthy() -> Vec<MemberStatus> {
        (1..=3)
            .map(|n| member(n, ByteSize::mib(8), ByteSize::mib(7), ByteSize::mib(20), 1))
            .collect()
    }

    #[test]
    fn healthy_cluster_is_ok_with_perfdata_per_member() {
        let o = report(&status(healthy(), vec![]), Thresholds::default());
        assert_eq!(o.state, State::Ok);
        let line = o.render();
        assert!(
            line.starts_with("ETCD OK - 3/3 members, largest db 40% of quota | "),
            "{line}"
        );
        assert!(
            line.contains("'etcd1_db'=8388608B;16777216;19922944;0;20971520"),
            "{line}"
        );
        assert!(
            line.contains("'etcd1_db_in_use'=7340032B;;;0;20971520"),
            "{line}"
        );
        assert!(
            line.contains("'etcd1_fragmentation'=12.5%;;;0;100"),
            "{line}"
        );
        assert!(line.contains("'etcd3_alarms'=0;;0;0"), "{line}");
    }

    #[test]
    fn alarm_unreachable_member_and_critical_size_are_critical() {
        let mut ms = healthy();
        ms[2] = member(
            3,
            ByteSize::mib(20),
            ByteSize::mib(20),
            ByteSize::mib(20),
            1,
        );
        let alarms = vec![Alarm {
            member_id: MemberId(3),
            alarm: AlarmKind::Nospace,
        }];
        let o = report(&status(ms, alarms), Thresholds::default());
        assert_eq!(o.state, State::Critical);
        assert!(
            o.summary.starts_with("NOSPACE alarm on etcd3"),
            "{}",
            o.summary
        );
        assert!(o.summary.contains("etcd3 db 100% of quota"));

        let mut ms = healthy();
        ms[0] = unreachable(1);
        let o = report(&status(ms, vec![]), Thresholds::default());
        assert_eq!(o.state, State::Critical);
        assert!(o.summary.contains("etcd1 unreachable"));
        assert!(o.summary.contains("2/3 members"));
    }

    #[test]
    fn nothing_reachable_and_no_leader_are_critical_never_unknown() {
        let o = report(
            &status(vec![unreachable(1), unreachable(2)], vec![]),
            Thresholds::default(),
        );
        assert_eq!(o.state, State::Critical);
        assert!(
            o.summary.starts_with("no member reachable"),
            "{}",
            o.summary
        );
        let leaderless = vec![member(
            1,
            ByteSize::mib(1),
            ByteSize::mib(1),
            ByteSize::gib(2),
            0,
        )];
        let o = report(&status(leaderless, vec![]), Thresholds::default());
        assert_eq!(o.state, State::Critical);
        assert!(o.summary.starts_with("no leader"));
    }

    #[test]
    fn warning_size_fragmentation_and_skew_are_warnings() {
        let mut ms = healthy();
        ms[1] = member(
            2,
            ByteSize::mib(17),
            ByteSize::mib(17),
            ByteSize::mib(20),
            1,
        );
        let o = report(&status(ms, vec![]), Thresholds::default());
        assert_eq!(o.state, State::Warning);
        assert!(o.summary.contains("etcd2 db 85% of quota"), "{}", o.summary);

        let mut ms = healthy();
        ms[1] = member(2, ByteSize::mib(12), ByteSize::mib(1), ByteSize::mib(20), 1);
        let o = report(&status(ms, vec![]), Thresholds::default());
        assert_eq!(o.state, State::Warning);
        assert!(o.summary.contains("etcd2 92% fragmented"), "{}", o.summary);

        let mut ms = healthy();
        if let Some(l) = ms[2].live.as_mut() {
            l.version = "3.5.1".into();
        }
        let o = report(&status(ms, vec![]), Thresholds::default());
        assert_eq!(o.state, State::Warning);
        assert!(o.summary.contains("version skew"));
    }

    #[test]
    fn alarms_that_could_not_be_read_are_critical_never_ok() {
        let mut st = status(healthy(), vec![]);
        st.alarms_known = false;
        let o = report(&st, Thresholds::default());
        assert_eq!(o.state, State::Critical);
        assert!(o.summary.starts_with("alarms unknown"), "{}", o.summary);
    }

    #[test]
    fn member_missing_from_the_endpoints_is_a_warning() {
        let mut st = status(healthy(), vec![]);
        st.findings
            .push(kubemagic_core::Finding::warning("KM131", "missing").host("etcd9"));
        let o = report(&st, Thresholds::default());
        assert_eq!(o.state, State::Warning);
        assert!(o.summary.contains("etcd9 missing from the endpoints"));
    }

    #[test]
    fn thresholds_are_validated_and_change_the_state() {
        assert!(Thresholds::new(90.0, 80.0).is_err());
        assert!(Thresholds::new(0.0, 80.0).is_err());
        assert!(Thresholds::new(80.0, 101.0).is_err());
        let th = Thresholds::new(30.0, 39.0).unwrap();
        let o = report(&status(healthy(), vec![]), th);
        assert_eq!(o.state, State::Critical);
    }

    #[test]
    fn unknown_fragmentation_is_left_out_of_perfdata() {
        let mut ms = healthy();
        if let Some(l) = ms[0].live.as_mut() {
            l.db_size_in_use = None;
        }
        let o = report(&status(ms, vec![]), Thresholds::default());
        assert_eq!(o.state, State::Ok);
        assert!(!o.render().contains("'etcd1_fragmentation'"));
        assert!(o.long[0].contains("fragmentation unknown"), "{:?}", o.long);
    }
}

//! Pure decisions: which members to defragment in which order, whether a
//! recovery may start, when an alarm may be disarmed, and what caused the
//! incident. Kept free of I/O so the safety rules are unit-tested.
//!
//! The rules follow, and where they differ are stricter than, ahrtr/etcd-defrag
//! (health-check every member first and tolerate only NOSPACE; compact once,
//! physically; followers first, leader last; disarm only when every member's
//! database is at most 0.9 × its quota) and OpenShift's defrag controller
//! (leader last, learners skipped).

use crate::findings::FIX_ADVICE;
use crate::health;
use crate::model::{Alarm, AlarmKind, ClusterStatus, ListedMember, MemberId, MemberStatus};
use kubemagic_core::ByteSize;
use serde::Serialize;

/// NOSPACE may be disarmed only when every member's database is at most this
/// fraction of its quota (ahrtr/etcd-defrag's rule): disarming a member that
/// is still at its quota raises the alarm again at the next write.
pub const DISARM_MAX_FRACTION: f64 = 0.9;

/// The URL kubemagic queries a listed member on. The bootstrap endpoint
/// that answered the member list for the member that answered (it is known
/// to work from here, e.g. `127.0.0.1:2379` for a member advertising its
/// node address); a bootstrap endpoint that is one of the member's
/// advertised URLs; otherwise the member's first advertised client URL of
/// the scheme in use (https with TLS material, http without), else its
/// first. `None` when it advertises none (added but never started).
pub fn client_endpoint(
    member: &ListedMember,
    answering: MemberId,
    answering_endpoint: &str,
    bootstrap: &[String],
    tls: bool,
) -> Option<String> {
    if member.id == answering && answering.0 != 0 {
        return Some(answering_endpoint.to_string());
    }
    let urls: Vec<&str> = member
        .client_urls
        .iter()
        .map(|u| u.trim().trim_end_matches('/'))
        .filter(|u| !u.is_empty())
        .collect();
    if let Some(b) = urls.iter().find(|u| bootstrap.iter().any(|b| b == *u)) {
        return Some(b.to_string());
    }
    let scheme = if tls { "https://" } else { "http://" };
    urls.iter()
        .find(|u| u.starts_with(scheme))
        .or(urls.first())
        .map(|u| u.to_string())
}

/// Why a member is left out of a defragmentation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// The member's endpoint.
    pub endpoint: String,
    /// Why it is left out.
    pub reason: String,
    /// Skipped because it is unhealthy (a failure of the run), rather than
    /// because it is a learner or not worth a defragmentation.
    pub unhealthy: bool,
}

/// Which members to defragment, and in what order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DefragPlan {
    /// Endpoints in the order to defragment them: followers, then the leader.
    pub order: Vec<String>,
    /// Members left out, with why.
    pub skipped: Vec<Skipped>,
}

pub use crate::health::unhealthy_reason;

/// Followers first, leader last (defragmenting the leader blocks it and may
/// trigger an election, so it goes when everyone else is done); learners and
/// unhealthy members skipped. `only` restricts to one endpoint.
///
/// With `only_fragmented`, members are also skipped unless a
/// defragmentation is worth it ([`health::worth_defrag`]) or their
/// database is above 80 % of its quota — the rule-driven mode of
/// ahrtr/etcd-defrag and OpenShift's controller.
pub fn defrag_order(
    members: &[MemberStatus],
    only: Option<&str>,
    only_fragmented: bool,
) -> DefragPlan {
    let mut followers = Vec::new();
    let mut leader = None;
    let mut skipped = Vec::new();
    for m in members {
        if only.is_some_and(|o| {
            let o = o.trim_end_matches('/');
            o != m.endpoint
                && m.endpoint
                    .split_once("://")
                    .is_none_or(|(_, rest)| rest != o)
        }) {
            continue;
        }
        if let Some(reason) = unhealthy_reason(m) {
            skipped.push(Skipped {
                endpoint: m.endpoint.clone(),
                reason,
                unhealthy: true,
            });
            continue;
        }
        if !m.is_voting() {
            skipped.push(Skipped {
                endpoint: m.endpoint.clone(),
                reason: "learner (not a voting member)".into(),
                unhealthy: false,
            });
            continue;
        }
        if only_fragmented && health::worth_defrag(m).is_none() && !health::near_quota(m) {
            skipped.push(Skipped {
                endpoint: m.endpoint.clone(),
                reason: if m.fragmentation().is_none() {
                    "fragmentation unknown (this etcd reports no in-use size) and far from its quota"
                        .into()
                } else {
                    "not worth it: under 45 % free pages, or a small database far from its quota"
                        .into()
                },
                unhealthy: false,
            });
            continue;
        }
        if m.is_leader() {
            leader = Some(m.endpoint.clone());
        } else {
            followers.push(m.endpoint.clone());
        }
    }
    followers.extend(leader);
    DefragPlan {
        order: followers,
        skipped,
    }
}

/// Whether one more member may be blocked by a defragmentation now: always
/// when every member is healthy (one at a time is the standard practice),
/// otherwise only if the healthy members minus the one being defragmented
/// still form a quorum (3 members with 1 down: no; 5 with 1 down: yes).
pub fn may_defrag_now(healthy: usize, total: usize) -> bool {
    healthy >= total || healthy.saturating_sub(1) * 2 > total
}

/// Why `recover` will not start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "refusal", rename_all = "snake_case")]
pub enum Refusal {
    /// Fewer than a majority of the voting members are reachable.
    #[error("no quorum: {reachable} of {total} voting members reachable; recovering now could lose data, restore quorum first")]
    NoQuorum {
        /// Voting members reachable.
        reachable: usize,
        /// Voting members in all.
        total: usize,
    },
    /// No member knows a leader.
    #[error(
        "no leader: the cluster cannot apply a compaction or disarm an alarm; restore quorum first"
    )]
    NoLeader,
    /// A member is unreachable or unhealthy.
    #[error("member {endpoint} is unhealthy ({reason}): every member must be healthy before a recovery (bring it back or remove it from the cluster first)")]
    Unhealthy {
        /// The member's endpoint.
        endpoint: String,
        /// Why it is unhealthy.
        reason: String,
    },
    /// No member answered the alarm list: whether NOSPACE is raised is
    /// unknown, so whether there is anything to repair is unknown.
    #[error("alarms unknown: no member answered the alarm list; cannot tell what to repair")]
    AlarmsUnknown,
    /// A CORRUPT alarm is raised: the data may be inconsistent.
    #[error("{alarm} alarm on member {member}: a CORRUPT alarm means inconsistent data; kubemagic will not touch this cluster, investigate first")]
    Corrupt {
        /// The id of the member that raised it.
        member: String,
        /// The alarm type.
        alarm: String,
    },
}

/// What `recover` will do, printed as is by `--dry-run`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecoveryPlan {
    /// Nothing to repair: no NOSPACE alarm and every member below
    /// [`health::QUOTA_WARN_FRACTION`] of its quota. The recovery then
    /// changes nothing (no compaction, defragmentation or test write).
    pub nothing_to_repair: bool,
    /// Revision to compact to: the current one.
    pub compact_revision: i64,
    /// Which members to defragment, in order.
    pub defrag: DefragPlan,
    /// NOSPACE alarms to disarm once every member is below 0.9 × its quota.
    pub disarm: Vec<Alarm>,
    /// Why the database filled up (see [`root_cause`]).
    pub root_cause: Vec<String>,
    /// The lasting fix ([`FIX_ADVICE`]).
    pub fix: String,
}

/// Decides whether a recovery may start and what it will do.
pub fn recovery_plan(status: &ClusterStatus) -> Result<RecoveryPlan, Refusal> {
    let voting_total = if status.member_list.is_empty() {
        status.members.len()
    } else {
        status.member_list.iter().filter(|m| !m.is_learner).count()
    };
    let voting_reachable = status
        .members
        .iter()
        .filter(|m| m.is_reachable() && m.is_voting())
        .count();
    if voting_reachable * 2 <= voting_total {
        return Err(Refusal::NoQuorum {
            reachable: voting_reachable,
            total: voting_total,
        });
    }
    if status.leader().is_none() {
        return Err(Refusal::NoLeader);
    }
    if !status.alarms_known {
        return Err(Refusal::AlarmsUnknown);
    }
    if let Some(a) = status.alarms.iter().find(|a| a.alarm != AlarmKind::Nospace) {
        return Err(Refusal::Corrupt {
            member: a.member_id.to_string(),
            alarm: a.alarm.to_string(),
        });
    }
    for m in &status.members {
        if let Some(reason) = unhealthy_reason(m) {
            return Err(Refusal::Unhealthy {
                endpoint: m.endpoint.clone(),
                reason,
            });
        }
    }
    let compact_revision = status
        .leader()
        .and_then(|l| l.live.as_ref().map(|l| l.revision))
        .unwrap_or(0);
    let nothing_to_repair = !needs_repair(&status.members, &status.alarms);
    Ok(RecoveryPlan {
        nothing_to_repair,
        compact_revision,
        defrag: if nothing_to_repair {
            DefragPlan {
                order: Vec::new(),
                skipped: Vec::new(),
            }
        } else {
            defrag_order(&status.members, None, false)
        },
        disarm: status
            .alarms
            .iter()
            .filter(|a| a.alarm == AlarmKind::Nospace)
            .copied()
            .collect(),
        root_cause: root_cause(&status.members, &status.alarms),
        fix: FIX_ADVICE.to_string(),
    })
}

/// Which alarms may be disarmed now, and which are kept with why. An alarm
/// is disarmed only for a member whose database size was read in this
/// observation and is at most 0.9 × its quota: never for a member that was
/// not reached (its size is unknown: it may still be full), never for a
/// member no longer in the cluster, never a CORRUPT alarm unless
/// `include_corrupt`. With `force_full` (the manual `alarm disarm`), a
/// member still above 0.9 × its quota is disarmed anyway: the caller was
/// warned by [`disarm_blockers`].
pub fn disarmable(
    alarms: &[Alarm],
    members: &[MemberStatus],
    include_corrupt: bool,
    force_full: bool,
) -> (Vec<Alarm>, Vec<(Alarm, String)>) {
    let mut ok = Vec::new();
    let mut kept = Vec::new();
    for a in alarms {
        let allowed =
            a.alarm == AlarmKind::Nospace || (include_corrupt && a.alarm == AlarmKind::Corrupt);
        if !allowed {
            kept.push((
                *a,
                "not a NOSPACE alarm (use --corrupt after investigating)".to_string(),
            ));
            continue;
        }
        let Some(m) = members
            .iter()
            .find(|m| m.live.as_ref().map(|l| l.id).or(m.id) == Some(a.member_id))
        else {
            kept.push((
                *a,
                format!(
                    "member {} is not in the member list: its size cannot be read",
                    a.member_id
                ),
            ));
            continue;
        };
        let Some(l) = &m.live else {
            kept.push((
                *a,
                format!(
                    "{} is unreachable: its database size was not read, it may still be full",
                    m.label()
                ),
            ));
            continue;
        };
        if !force_full {
            let Some(q) = m.quota_backend_bytes else {
                kept.push((
                    *a,
                    format!("{}: quota unknown (metrics unreadable)", m.label()),
                ));
                continue;
            };
            if l.db_size.as_u64() as f64 > q.as_u64() as f64 * DISARM_MAX_FRACTION {
                kept.push((
                    *a,
                    format!(
                        "{}: database {} still above {:.0} % of its quota {q}",
                        m.label(),
                        l.db_size,
                        DISARM_MAX_FRACTION * 100.0
                    ),
                ));
                continue;
            }
        }
        ok.push(*a);
    }
    (ok, kept)
}

/// Reasons NOSPACE may not be disarmed yet; empty when it may.
pub fn disarm_blockers(members: &[MemberStatus]) -> Vec<String> {
    let mut out = Vec::new();
    for m in members {
        let Some(l) = &m.live else {
            out.push(format!("{} is unreachable", m.label()));
            continue;
        };
        let Some(q) = m.quota_backend_bytes else {
            out.push(format!("{}: quota unknown (metrics unreadable)", m.label()));
            continue;
        };
        let limit = (q.as_u64() as f64 * DISARM_MAX_FRACTION) as u64;
        if l.db_size.as_u64() > limit {
            out.push(format!(
                "{}: database {} is still above {:.0} % of its quota {q} (limit {}); \
                 the data itself fills the quota: raise the quota on this member and restart it",
                m.label(),
                l.db_size,
                DISARM_MAX_FRACTION * 100.0,
                ByteSize::b(limit)
            ));
        }
    }
    out
}

/// The incident's root cause, in words, from the members' quotas and alarms.
/// When no member could be read nothing is known: "unknown", never
/// "nothing to repair".
pub fn root_cause(members: &[MemberStatus], alarms: &[Alarm]) -> Vec<String> {
    if health::nothing_readable(members) {
        return vec![format!("unknown: {NOTHING_READ}")];
    }
    let mut out = Vec::new();
    if let Some(a) = health::quota_asymmetry(members) {
        let small: Vec<String> = a.smallest.iter().map(|m| m.label()).collect();
        out.push(format!(
            "asymmetric quota: {} runs with {} while other members have up to {}; \
             one member reaching its quota raises NOSPACE for the whole cluster",
            small.join(", "),
            a.min,
            a.max
        ));
    }
    if let Some(min) = health::quotas(members).iter().map(|(_, q)| *q).min() {
        if health::quota_size(min) == Some(health::QuotaSize::TooSmall) {
            out.push(format!(
                "quota too small: {min} (was 20Gi meant and 20Mi written?); etcd's default is 2 GiB"
            ));
        }
    }
    if out.is_empty() && !needs_repair(members, alarms) {
        out.push("no NOSPACE alarm and no member near its quota: nothing to repair".into());
    } else if out.is_empty() {
        out.push(
            "the data itself filled the quota: see what with `kubemagic etcd usage` \
             (often Events or a controller rewriting objects in a loop)"
                .into(),
        );
    }
    out
}

/// What a report says when no member could be read.
pub const NOTHING_READ: &str = "no member could be read, so neither alarms nor sizes are known";

/// Whether `recover` has anything to repair: a NOSPACE alarm, or a member
/// at or above [`health::QUOTA_WARN_FRACTION`] of its quota. Without
/// either, a recovery changes nothing (no compaction, no defragmentation,
/// no test write).
pub fn needs_repair(members: &[MemberStatus], alarms: &[Alarm]) -> bool {
    alarms.iter().any(|a| a.alarm == AlarmKind::Nospace) || members.iter().any(health::near_quota)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::tests::{member, unreachable};
    use crate::model::{ListedMember, MemberId};

    fn status(members: Vec<MemberStatus>, alarms: Vec<Alarm>) -> ClusterStatus {
        ClusterStatus {
            alarms_known: true,
            member_list: members
                .iter()
                .map(|m| ListedMember {
                    id: m.id.unwrap_or(MemberId(0)),
                    name: m.name.clone().unwrap_or_default(),
                    client_urls: vec![m.endpoint.clone()],
                    is_learner: false,
                })
                .collect(),
            members,
            alarms,
            findings: vec![],
        }
    }

    #[test]
    fn healthy_cluster_has_nothing_to_repair_and_full_one_blames_the_data() {
        let ms = vec![member(
            1,
            ByteSize::mib(1),
            ByteSize::mib(1),
            ByteSize::gib(2),
            1,
        )];
        assert!(root_cause(&ms, &[])[0].contains("nothing to repair"));
        let full = vec![member(
            1,
            ByteSize::gib(2),
            ByteSize::gib(2),
            ByteSize::gib(2),
            1,
        )];
        let alarms = [Alarm {
            member_id: MemberId(1),
            alarm: AlarmKind::Nospace,
        }];
        assert!(root_cause(&full, &alarms)[0].contains("the data itself"));
    }

    fn listed(id: u64, urls: &[&str]) -> ListedMember {
        ListedMember {
            id: MemberId(id),
            name: format!("etcd{id}"),
            client_urls: urls.iter().map(|u| u.to_string()).collect(),
            is_learner: false,
        }
    }

    #[test]
    fn members_are_queried_on_their_advertised_urls_not_the_typed_ones() {
        let boot = vec!["http://127.0.0.1:2379".to_string()];
        // The member that answered keeps the endpoint that worked.
        let me = listed(1, &["https://10.0.0.1:2379"]);
        assert_eq!(
            client_endpoint(&me, MemberId(1), &boot[0], &boot, false).as_deref(),
            Some("http://127.0.0.1:2379")
        );
        // Another member: its advertised URL of the scheme in use.
        let other = listed(2, &["http://10.0.0.2:2379", "https://10.0.0.2:2379/"]);
        assert_eq!(
            client_endpoint(&other, MemberId(1), &boot[0], &boot, true).as_deref(),
            Some("https://10.0.0.2:2379")
        );
        assert_eq!(
            client_endpoint(&other, MemberId(1), &boot[0], &boot, false).as_deref(),
            Some("http://10.0.0.2:2379")
        );
        // A member added but never started has no URL.
        assert_eq!(
            client_endpoint(&listed(3, &[]), MemberId(1), &boot[0], &boot, false),
            None
        );
    }

    #[test]
    fn alarm_of_an_unreached_member_is_never_disarmed() {
        let ms = vec![
            member(1, ByteSize::mib(1), ByteSize::mib(1), ByteSize::mib(20), 1),
            unreachable(2),
            member(3, ByteSize::mib(19), ByteSize::mib(1), ByteSize::mib(20), 1),
        ];
        let nospace = |n| Alarm {
            member_id: MemberId(n),
            alarm: AlarmKind::Nospace,
        };
        let alarms = [nospace(1), nospace(2), nospace(3), nospace(7)];
        let (ok, kept) = disarmable(&alarms, &ms, false, false);
        assert_eq!(ok, vec![nospace(1)]);
        let why: Vec<&str> = kept.iter().map(|(_, w)| w.as_str()).collect();
        assert!(why[0].contains("unreachable"), "{why:?}");
        assert!(why[1].contains("above 90 %"), "{why:?}");
        assert!(why[2].contains("not in the member list"), "{why:?}");
        // The manual disarm forces members above 90 %, never unread ones.
        let (ok, kept) = disarmable(&alarms, &ms, false, true);
        assert_eq!(ok, vec![nospace(1), nospace(3)]);
        assert_eq!(kept.len(), 2);
    }

    #[test]
    fn recovery_refuses_when_a_listed_member_is_down_even_with_quorum() {
        let ms = vec![
            unreachable(1),
            member(2, ByteSize::mib(21), ByteSize::mib(1), ByteSize::gib(2), 2),
            member(3, ByteSize::mib(21), ByteSize::mib(1), ByteSize::mib(20), 2),
        ];
        let r = recovery_plan(&status(ms, vec![])).unwrap_err();
        assert!(
            matches!(&r, Refusal::Unhealthy { endpoint, .. } if endpoint.contains("2389")),
            "{r}"
        );
    }

    #[test]
    fn defrag_with_a_member_down_only_when_quorum_survives() {
        assert!(may_defrag_now(3, 3));
        assert!(may_defrag_now(1, 1));
        assert!(!may_defrag_now(2, 3));
        assert!(may_defrag_now(4, 5));
        assert!(!may_defrag_now(3, 5));
    }

    #[test]
    fn leader_is_defragmented_last() {
        let ms = vec![
            member(1, ByteSize::mib(1), ByteSize::mib(1), ByteSize::gib(2), 1),
            member(2, ByteSize::mib(1), ByteSize::mib(1), ByteSize::gib(2), 1),
            member(3, ByteSize::mib(1), ByteSize::mib(1), ByteSize::gib(2), 1),
        ];
        let p = defrag_order(&ms, None, false);
        assert_eq!(p.order.last(), Some(&ms[0].endpoint));
        assert_eq!(p.order.len(), 3);
    }

    #[test]
    fn one_endpoint_may_be_named_without_its_scheme() {
        let ms = vec![
            member(1, ByteSize::mib(1), ByteSize::mib(1), ByteSize::gib(2), 1),
            member(2, ByteSize::mib(1), ByteSize::mib(1), ByteSize::gib(2), 1),
        ];
        let bare = ms[1].endpoint.trim_start_matches("http://").to_string();
        assert_eq!(
            defrag_order(&ms, Some(&bare), false).order,
            vec![ms[1].endpoint.clone()]
        );
        assert!(defrag_order(&ms, Some("127.0.0.9:1"), false)
            .order
            .is_empty());
    }

    #[test]
    fn only_fragmented_skips_members_not_worth_a_defrag() {
        let ms = vec![
            member(
                1,
                ByteSize::mib(300),
                ByteSize::mib(100),
                ByteSize::gib(2),
                1,
            ),
            member(
                2,
                ByteSize::mib(300),
                ByteSize::mib(290),
                ByteSize::gib(2),
                1,
            ),
            member(
                3,
                ByteSize::mib(17),
                ByteSize::mib(17),
                ByteSize::mib(20),
                1,
            ),
        ];
        let p = defrag_order(&ms, None, true);
        assert_eq!(
            p.order,
            vec![ms[2].endpoint.clone(), ms[0].endpoint.clone()]
        );
        assert_eq!(p.skipped.len(), 1);
        assert_eq!(p.skipped[0].endpoint, ms[1].endpoint);
    }

    #[test]
    fn unhealthy_and_learner_members_are_skipped() {
        let mut learner = member(3, ByteSize::mib(1), ByteSize::mib(1), ByteSize::gib(2), 1);
        if let Some(l) = learner.live.as_mut() {
            l.is_learner = true;
        }
        let ms = vec![
            member(1, ByteSize::mib(1), ByteSize::mib(1), ByteSize::gib(2), 1),
            unreachable(2),
            learner,
        ];
        let p = defrag_order(&ms, None, false);
        assert_eq!(p.order, vec![ms[0].endpoint.clone()]);
        assert_eq!(p.skipped.len(), 2);
    }

    #[test]
    fn nospace_error_does_not_make_a_member_unhealthy_but_others_do() {
        let mut m = member(1, ByteSize::mib(1), ByteSize::mib(1), ByteSize::gib(2), 1);
        if let Some(l) = m.live.as_mut() {
            l.errors = vec!["memberID:1 alarm:NOSPACE ".into()];
        }
        assert_eq!(unhealthy_reason(&m), None);
        if let Some(l) = m.live.as_mut() {
            l.errors.push("raft: disk stalled".into());
        }
        assert!(unhealthy_reason(&m).is_some());
    }

    #[test]
    fn recovery_refuses_without_quorum() {
        let ms = vec![
            member(1, ByteSize::mib(1), ByteSize::mib(1), ByteSize::gib(2), 0),
            unreachable(2),
            unreachable(3),
        ];
        assert_eq!(
            recovery_plan(&status(ms, vec![])),
            Err(Refusal::NoQuorum {
                reachable: 1,
                total: 3
            })
        );
    }

    #[test]
    fn recovery_refuses_with_one_member_down_even_with_quorum() {
        let ms = vec![
            member(1, ByteSize::mib(1), ByteSize::mib(1), ByteSize::gib(2), 1),
            member(2, ByteSize::mib(1), ByteSize::mib(1), ByteSize::gib(2), 1),
            unreachable(3),
        ];
        assert!(matches!(
            recovery_plan(&status(ms, vec![])),
            Err(Refusal::Unhealthy { .. })
        ));
    }

    #[test]
    fn recovery_refuses_on_corrupt_alarm() {
        let ms = vec![member(
            1,
            ByteSize::mib(1),
            ByteSize::mib(1),
            ByteSize::gib(2),
            1,
        )];
        let alarms = vec![Alarm {
            member_id: MemberId(1),
            alarm: AlarmKind::Corrupt,
        }];
        assert!(matches!(
            recovery_plan(&status(ms, alarms)),
            Err(Refusal::Corrupt { .. })
        ));
    }

    #[test]
    fn seed_incident_plan_compacts_defrags_leader_last_and_names_asymmetry() {
        let ms = vec![
            member(1, ByteSize::mib(21), ByteSize::mib(1), ByteSize::gib(2), 2),
            member(2, ByteSize::mib(21), ByteSize::mib(1), ByteSize::gib(2), 2),
            member(3, ByteSize::mib(21), ByteSize::mib(1), ByteSize::mib(20), 2),
        ];
        let alarms = vec![Alarm {
            member_id: MemberId(3),
            alarm: AlarmKind::Nospace,
        }];
        let p = recovery_plan(&status(ms.clone(), alarms)).unwrap();
        assert_eq!(p.compact_revision, 500);
        assert_eq!(
            p.defrag.order,
            vec![
                ms[0].endpoint.clone(),
                ms[2].endpoint.clone(),
                ms[1].endpoint.clone()
            ]
        );
        assert_eq!(p.disarm.len(), 1);
        assert!(p
            .root_cause
            .iter()
            .any(|r| r.starts_with("asymmetric quota")));
        assert!(p
            .root_cause
            .iter()
            .any(|r| r.starts_with("quota too small")));
    }

    #[test]
    fn disarm_waits_until_every_member_is_below_ninety_percent() {
        let ms = vec![
            member(1, ByteSize::mib(1), ByteSize::mib(1), ByteSize::gib(2), 1),
            member(
                2,
                ByteSize::mib(19),
                ByteSize::mib(19),
                ByteSize::mib(20),
                1,
            ),
        ];
        let b = disarm_blockers(&ms);
        assert_eq!(b.len(), 1);
        assert!(b[0].contains("etcd2"));
        let ms = vec![member(
            1,
            ByteSize::mib(17),
            ByteSize::mib(1),
            ByteSize::mib(20),
            1,
        )];
        assert!(disarm_blockers(&ms).is_empty());
        assert_eq!(disarm_blockers(&[unreachable(1)]).len(), 1);
    }

    #[test]
    fn a_healthy_cluster_has_nothing_to_repair_and_no_defrag_planned() {
        let ms = vec![
            member(1, ByteSize::mib(5), ByteSize::mib(1), ByteSize::gib(2), 1),
            member(2, ByteSize::mib(5), ByteSize::mib(1), ByteSize::gib(2), 1),
        ];
        let p = recovery_plan(&status(ms, vec![])).unwrap();
        assert!(p.nothing_to_repair);
        assert!(p.defrag.order.is_empty() && p.disarm.is_empty());
    }

    #[test]
    fn nothing_read_is_unknown_never_nothing_to_repair() {
        let ms = vec![unreachable(1), unreachable(2)];
        let rc = root_cause(&ms, &[]);
        assert!(rc[0].starts_with("unknown"), "{rc:?}");
        assert!(!rc.iter().any(|c| c.contains("nothing to repair")));
    }

    #[test]
    fn alarms_that_could_not_be_read_refuse_a_recovery() {
        let ms = vec![member(
            1,
            ByteSize::mib(5),
            ByteSize::mib(1),
            ByteSize::gib(2),
            1,
        )];
        let mut st = status(ms, vec![]);
        st.alarms_known = false;
        assert_eq!(recovery_plan(&st), Err(Refusal::AlarmsUnknown));
    }
}

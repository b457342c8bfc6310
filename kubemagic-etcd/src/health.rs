//! The etcd health rules, stated once. `status` turns them into findings
//! ([`crate::findings`]), the Nagios check into states
//! ([`crate::monitor`]), `recover` and `maintain` into refusals and plans
//! ([`crate::plan`], [`crate::maintain`]): each front applies the same
//! rule, so a member cannot be "unreachable" for one and fine for another,
//! nor a cluster "skewed" for the check and not for the status.
//!
//! Pure functions of one observation ([`MemberStatus`]es, alarms, the member
//! list), no I/O.

use crate::model::{ListedMember, MemberId, MemberStatus};
use kubemagic_core::ByteSize;

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

/// The member an alarm (or anything naming a member id) is about: by the id
/// it reported itself, else by the member list's.
pub fn owner(members: &[MemberStatus], id: MemberId) -> Option<&MemberStatus> {
    members
        .iter()
        .find(|m| m.live.as_ref().map(|l| l.id).or(m.id) == Some(id))
}

/// Members that did not answer Status.
pub fn unreachable(members: &[MemberStatus]) -> impl Iterator<Item = &MemberStatus> {
    members.iter().filter(|m| !m.is_reachable())
}

/// Members that answered Status.
pub fn reachable(members: &[MemberStatus]) -> Vec<&MemberStatus> {
    members.iter().filter(|m| m.is_reachable()).collect()
}

/// No member could be read: nothing is known of sizes, alarms or leader,
/// which is "unknown", never "healthy" nor "nothing to repair".
pub fn nothing_readable(members: &[MemberStatus]) -> bool {
    !members.iter().any(|m| m.is_reachable())
}

/// Some member answered and none knows a leader: quorum is lost.
pub fn leaderless(members: &[MemberStatus]) -> bool {
    let reachable = reachable(members);
    !reachable.is_empty()
        && !reachable
            .iter()
            .any(|m| m.live.as_ref().is_some_and(|l| l.leader.is_some()))
}

/// The reachable members with their versions, when they run more than one
/// etcd version; `None` when they agree.
pub fn version_skew(members: &[MemberStatus]) -> Option<Vec<(&MemberStatus, &str)>> {
    let running: Vec<(&MemberStatus, &str)> = members
        .iter()
        .filter_map(|m| m.live.as_ref().map(|l| (m, l.version.as_str())))
        .collect();
    let mut versions: Vec<&str> = running.iter().map(|(_, v)| *v).collect();
    versions.sort_unstable();
    versions.dedup();
    (versions.len() > 1).then_some(running)
}

/// The distinct versions of a skew, sorted.
pub fn distinct_versions<'a>(running: &[(&MemberStatus, &'a str)]) -> Vec<&'a str> {
    let mut v: Vec<&str> = running.iter().map(|(_, v)| *v).collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// Members whose quotas differ: etcd raises NOSPACE cluster-wide as soon as
/// *one* member's backend reaches *its* quota, so the smallest governs.
#[derive(Debug)]
pub struct QuotaAsymmetry<'a> {
    /// Every member whose quota is known, with it.
    pub quotas: Vec<(&'a MemberStatus, ByteSize)>,
    /// The smallest quota.
    pub min: ByteSize,
    /// The largest quota.
    pub max: ByteSize,
    /// The members running with the smallest.
    pub smallest: Vec<&'a MemberStatus>,
}

/// The members' known quotas.
pub fn quotas(members: &[MemberStatus]) -> Vec<(&MemberStatus, ByteSize)> {
    members
        .iter()
        .filter_map(|m| m.quota_backend_bytes.map(|q| (m, q)))
        .collect()
}

/// `Some` when the known quotas differ.
pub fn quota_asymmetry(members: &[MemberStatus]) -> Option<QuotaAsymmetry<'_>> {
    let quotas = quotas(members);
    let min = quotas.iter().map(|(_, q)| *q).min()?;
    let max = quotas.iter().map(|(_, q)| *q).max()?;
    if min == max {
        return None;
    }
    let smallest = quotas
        .iter()
        .filter(|(_, q)| *q == min)
        .map(|(m, _)| *m)
        .collect();
    Some(QuotaAsymmetry {
        quotas,
        min,
        max,
        smallest,
    })
}

/// A quota outside what etcd supports well.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaSize {
    /// Below [`QUOTA_MIN_RECOMMENDED`].
    TooSmall,
    /// Above [`QUOTA_MAX_RECOMMENDED`].
    TooLarge,
}

/// Whether a quota is outside the recommended range.
pub fn quota_size(q: ByteSize) -> Option<QuotaSize> {
    if q < QUOTA_MIN_RECOMMENDED {
        Some(QuotaSize::TooSmall)
    } else if q > QUOTA_MAX_RECOMMENDED {
        Some(QuotaSize::TooLarge)
    } else {
        None
    }
}

/// How full a member's database is against two thresholds (fractions of
/// its quota): the findings use 80 % and 100 %, the Nagios check the
/// operator's `--warning` and `--critical`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum QuotaUse {
    /// At or above the first threshold.
    High(f64),
    /// At or above the second.
    Full(f64),
}

/// The use of a member's quota against `high` and `full` (fractions).
pub fn quota_use(m: &MemberStatus, high: f64, full: f64) -> Option<QuotaUse> {
    let f = m.quota_fraction()?;
    if f >= full {
        Some(QuotaUse::Full(f))
    } else if f >= high {
        Some(QuotaUse::High(f))
    } else {
        None
    }
}

/// Whether a member's database is near its quota (at least
/// [`QUOTA_WARN_FRACTION`]): what `recover` repairs and `maintain`
/// defragments whatever the fragmentation.
pub fn near_quota(m: &MemberStatus) -> bool {
    m.quota_fraction().is_some_and(|f| f >= QUOTA_WARN_FRACTION)
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

/// Why a member is unhealthy for a repair: unreachable, without a leader,
/// or reporting an error other than a NOSPACE alarm (which is what the
/// repairs are for). `None` when it is healthy.
pub fn unhealthy_reason(m: &MemberStatus) -> Option<String> {
    let Some(l) = &m.live else {
        return Some(format!("unreachable: {}", m.problems.join("; ")));
    };
    if l.leader.is_none() {
        return Some("has no leader".into());
    }
    let bad: Vec<&str> = l
        .errors
        .iter()
        .map(String::as_str)
        .filter(|e| !e.contains("NOSPACE"))
        .collect();
    (!bad.is_empty()).then(|| format!("reports errors: {}", bad.join("; ")))
}

/// Reachable members whose quota is unknown (their `/metrics` could not be
/// read).
pub fn quota_unknown(members: &[MemberStatus]) -> impl Iterator<Item = &MemberStatus> {
    members
        .iter()
        .filter(|m| m.is_reachable() && m.quota_backend_bytes.is_none())
}

/// Listed members missing from a list of several given endpoints (a stale
/// configuration of monitoring or scripts). One endpoint is a bootstrap,
/// not a list, and misses nothing.
pub fn missing_from_endpoints<'a>(
    member_list: &'a [ListedMember],
    members: &[MemberStatus],
    bootstrap: &[String],
) -> Vec<&'a ListedMember> {
    if bootstrap.len() <= 1 {
        return Vec::new();
    }
    member_list
        .iter()
        .filter(|lm| {
            let given = lm
                .client_urls
                .iter()
                .any(|u| bootstrap.iter().any(|b| b == u.trim_end_matches('/')));
            let queried_as_given = members
                .iter()
                .any(|m| m.id == Some(lm.id) && bootstrap.iter().any(|b| b == &m.endpoint));
            !given && !queried_as_given
        })
        .collect()
}

//! What kubemagic knows about a cluster at one moment.

use kubemagic_core::{ByteSize, Finding};
use serde::{Serialize, Serializer};
use std::fmt;

/// An etcd member or cluster id. Printed and serialised in hexadecimal as
/// etcdctl's tables print it, and as a string because JSON numbers lose
/// precision above 2^53.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MemberId(pub u64);

impl fmt::Display for MemberId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:x}", self.0)
    }
}

impl Serialize for MemberId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Alarm types etcd 3.4 raises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AlarmKind {
    /// A member's backend reached its quota: every write of the cluster fails.
    Nospace,
    /// Data inconsistency detected: never disarm without investigation.
    Corrupt,
    /// Any other alarm type, by its raw value.
    Other(i32),
}

impl AlarmKind {
    /// The alarm type of a raw `AlarmType` value as etcd sends it (1 NOSPACE,
    /// 2 CORRUPT).
    pub fn from_raw(v: i32) -> AlarmKind {
        match v {
            1 => AlarmKind::Nospace,
            2 => AlarmKind::Corrupt,
            n => AlarmKind::Other(n),
        }
    }
    /// The raw `AlarmType` value, as etcd expects it back (e.g. to disarm).
    pub fn raw(self) -> i32 {
        match self {
            AlarmKind::Nospace => 1,
            AlarmKind::Corrupt => 2,
            AlarmKind::Other(n) => n,
        }
    }
}

impl fmt::Display for AlarmKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AlarmKind::Nospace => f.write_str("NOSPACE"),
            AlarmKind::Corrupt => f.write_str("CORRUPT"),
            AlarmKind::Other(n) => write!(f, "ALARM_{n}"),
        }
    }
}

impl Serialize for AlarmKind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// One raised alarm: alarms are per (member, type).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Alarm {
    /// The member that raised it.
    pub member_id: MemberId,
    /// Its type.
    pub alarm: AlarmKind,
}

/// What a reachable member answered to Status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveStatus {
    /// The member's own id.
    pub id: MemberId,
    /// etcd server version, e.g. `3.4.13`.
    pub version: String,
    /// Size of the backend database file, free pages included: what the
    /// quota is checked against.
    pub db_size: ByteSize,
    /// Bytes in use inside the file: from Status on etcd ≥ 3.4, from
    /// `/metrics` where Status lacks it (etcd 3.3 answers 0), `None` where
    /// neither has it (fragmentation is then unknown, never 100 %).
    pub db_size_in_use: Option<ByteSize>,
    /// The leader this member knows of; `None` when it knows none (no
    /// quorum).
    pub leader: Option<MemberId>,
    /// Whether the member reports itself as a learner.
    pub is_learner: bool,
    /// Current raft term.
    pub raft_term: u64,
    /// Raft index of the member's log.
    pub raft_index: u64,
    /// Key-value store revision, from the answer's header.
    pub revision: i64,
    /// The `errors` field of the Status answer (alarm descriptions).
    pub errors: Vec<String>,
}

/// One member as kubemagic sees it. `live` is `None` when the member could
/// not be reached: the fields it would carry are then absent, not zero.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberStatus {
    /// The client URL the member was queried at.
    pub endpoint: String,
    /// From the member list when the member itself is unreachable.
    pub id: Option<MemberId>,
    /// The member's name from the member list (`ETCD_NAME`).
    pub name: Option<String>,
    /// A learner according to the member list (or its own Status): it does
    /// not vote, so it counts neither for quorum nor as a blocker.
    pub learner: bool,
    /// The Status answer; `None` when the member could not be reached.
    pub live: Option<LiveStatus>,
    /// From `/metrics`; `None` when metrics could not be read.
    pub quota_backend_bytes: Option<ByteSize>,
    /// Why the member or its metrics could not be read.
    pub problems: Vec<String>,
}

impl MemberStatus {
    /// Whether the member answered Status.
    pub fn is_reachable(&self) -> bool {
        self.live.is_some()
    }
    /// Whether the member answered and is the leader it reports.
    pub fn is_leader(&self) -> bool {
        self.live
            .as_ref()
            .is_some_and(|l| l.leader.is_some_and(|leader| leader == l.id))
    }
    /// `name (endpoint)` for messages, or the endpoint alone when the name
    /// is unknown.
    pub fn label(&self) -> String {
        match &self.name {
            Some(n) if !n.is_empty() => format!("{n} ({})", self.endpoint),
            _ => self.endpoint.clone(),
        }
    }
    /// Fraction of the quota used by the database file, when both are known.
    pub fn quota_fraction(&self) -> Option<f64> {
        let q = self.quota_backend_bytes?.as_u64();
        let db = self.live.as_ref()?.db_size.as_u64();
        (q > 0).then(|| db as f64 / q as f64)
    }
    /// Fraction of the file that is free pages, when the in-use size is
    /// known (`None` on etcd 3.3 without the in-use metric: unknown, which
    /// is neither 0 % nor 100 %).
    pub fn fragmentation(&self) -> Option<f64> {
        let l = self.live.as_ref()?;
        let db = l.db_size.as_u64();
        let used = l.db_size_in_use?.as_u64();
        (db > 0).then(|| db.saturating_sub(used) as f64 / db as f64)
    }
    /// A voting member: not a learner by the member list or its own Status.
    pub fn is_voting(&self) -> bool {
        !self.learner && !self.live.as_ref().is_some_and(|l| l.is_learner)
    }
}

/// Flat JSON view of a member, the shape documented in the README.
impl Serialize for MemberStatus {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct View<'a> {
            endpoint: &'a str,
            id: Option<MemberId>,
            name: Option<&'a str>,
            reachable: bool,
            version: Option<&'a str>,
            db_size: Option<ByteSize>,
            db_size_in_use: Option<ByteSize>,
            quota_backend_bytes: Option<ByteSize>,
            is_leader: bool,
            is_learner: bool,
            raft_term: Option<u64>,
            raft_index: Option<u64>,
            revision: Option<i64>,
            errors: Vec<&'a str>,
        }
        let l = self.live.as_ref();
        View {
            endpoint: &self.endpoint,
            id: l.map(|l| l.id).or(self.id),
            name: self.name.as_deref(),
            reachable: l.is_some(),
            version: l.map(|l| l.version.as_str()),
            db_size: l.map(|l| l.db_size),
            db_size_in_use: l.and_then(|l| l.db_size_in_use),
            quota_backend_bytes: self.quota_backend_bytes,
            is_leader: self.is_leader(),
            is_learner: !self.is_voting(),
            raft_term: l.map(|l| l.raft_term),
            raft_index: l.map(|l| l.raft_index),
            revision: l.map(|l| l.revision),
            errors: l
                .map(|l| l.errors.iter().map(String::as_str).collect::<Vec<_>>())
                .unwrap_or_default()
                .into_iter()
                .chain(self.problems.iter().map(String::as_str))
                .collect(),
        }
        .serialize(s)
    }
}

/// A member of the member list that no given endpoint reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListedMember {
    /// The member's id.
    pub id: MemberId,
    /// Its name; empty for a member added but never started.
    pub name: String,
    /// Its advertised client URLs; empty for a member never started.
    pub client_urls: Vec<String>,
    /// Whether it is a learner.
    pub is_learner: bool,
}

/// The whole cluster at one moment.
#[derive(Debug, Clone, Serialize)]
pub struct ClusterStatus {
    /// One entry per member queried.
    pub members: Vec<MemberStatus>,
    /// Raised alarms, cluster-wide; empty as well when they could not be
    /// read (see `alarms_known`).
    pub alarms: Vec<Alarm>,
    /// Whether a member answered the alarm list: without it, no alarm
    /// means "unknown", not "none".
    pub alarms_known: bool,
    /// What kubemagic concludes from members and alarms (see
    /// [`crate::findings`]).
    pub findings: Vec<Finding>,
    /// The member list as a reachable member reported it (empty when none
    /// was reachable).
    #[serde(skip)]
    pub member_list: Vec<ListedMember>,
}

impl ClusterStatus {
    /// The member that is the leader it reports, if any answered.
    pub fn leader(&self) -> Option<&MemberStatus> {
        self.members.iter().find(|m| m.is_leader())
    }
    /// Whether any finding is an error, or the alarms could not be read
    /// (a status that cannot say whether writes are refused is no "OK").
    pub fn has_errors(&self) -> bool {
        kubemagic_core::finding::has_errors(&self.findings) || !self.alarms_known
    }
}

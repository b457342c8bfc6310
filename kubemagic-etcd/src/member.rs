//! Membership changes, decided without I/O: who may be removed or added
//! (the quorum guard), the environment a new member starts with, the
//! journal of a `member replace` and the step it resumes at, and the
//! findings about a member's own configuration (KM141–KM143).
//!
//! [`crate::member_ops`] observes the cluster, asks these functions what to
//! do, does it and writes the journal; nothing here talks to etcd.

use crate::model::MemberId;
use kubemagic_core::{Finding, Origin};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// The journal format this build writes and reads.
pub const JOURNAL_VERSION: u32 = 1;

/// One member of the member list, peer URLs included (they identify a
/// member that was added but never started: it has no name yet).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PeerMember {
    /// The member's id.
    pub id: MemberId,
    /// `ETCD_NAME`; empty for a member added but never started.
    pub name: String,
    /// Its peer URLs, as the cluster stores them.
    pub peer_urls: Vec<String>,
    /// Its advertised client URLs; empty until it has started.
    pub client_urls: Vec<String>,
    /// A learner: it does not vote.
    pub is_learner: bool,
}

impl PeerMember {
    /// Whether the member has ever started (etcd's own test: a member
    /// publishes its name when it starts).
    pub fn is_started(&self) -> bool {
        !self.name.is_empty()
    }
}

/// One member with whether it answered a status request just now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObservedMember {
    /// The member list's entry.
    #[serde(flatten)]
    pub member: PeerMember,
    /// It answered Status within the timeout.
    pub healthy: bool,
    /// Its etcd version, when it answered.
    pub version: Option<String>,
}

/// The cluster as one member list and one round of status requests saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClusterView {
    /// The cluster id from the member list's response header.
    pub cluster_id: MemberId,
    /// Every listed member.
    pub members: Vec<ObservedMember>,
}

/// Integer quorum of `voters` voting members.
pub fn quorum(voters: usize) -> usize {
    voters / 2 + 1
}

/// Peer URL sets compare without order (etcd sorts them itself).
pub fn same_urls(a: &[String], b: &[String]) -> bool {
    let mut a: Vec<&str> = a.iter().map(|u| u.trim_end_matches('/')).collect();
    let mut b: Vec<&str> = b.iter().map(|u| u.trim_end_matches('/')).collect();
    a.sort_unstable();
    b.sort_unstable();
    a == b
}

impl ClusterView {
    /// Voting members.
    pub fn voters(&self) -> impl Iterator<Item = &ObservedMember> {
        self.members.iter().filter(|m| !m.member.is_learner)
    }

    /// The member called `name`; an error when none or several are.
    pub fn by_name(&self, name: &str) -> Result<&ObservedMember, Refusal> {
        let found: Vec<&ObservedMember> = self
            .members
            .iter()
            .filter(|m| m.member.name == name)
            .collect();
        match found.as_slice() {
            [one] => Ok(one),
            [] => Err(Refusal::UnknownMember {
                name: name.to_string(),
                known: self.names(),
            }),
            _ => Err(Refusal::AmbiguousName {
                name: name.to_string(),
                ids: found.iter().map(|m| m.member.id).collect(),
            }),
        }
    }

    /// The member with id `id`.
    pub fn by_id(&self, id: MemberId) -> Option<&ObservedMember> {
        self.members.iter().find(|m| m.member.id == id)
    }

    /// The member whose peer URLs are exactly `urls`.
    pub fn by_peer_urls(&self, urls: &[String]) -> Option<&ObservedMember> {
        self.members
            .iter()
            .find(|m| same_urls(&m.member.peer_urls, urls))
    }

    fn names(&self) -> Vec<String> {
        self.members
            .iter()
            .map(|m| {
                if m.member.name.is_empty() {
                    format!("(unstarted {})", m.member.id)
                } else {
                    m.member.name.clone()
                }
            })
            .collect()
    }

    /// Whether every member that answered runs 3.4 or later: only then can
    /// a member join as a learner (etcd 3.4 introduced them).
    pub fn supports_learners(&self) -> bool {
        let versions: Vec<&str> = self
            .members
            .iter()
            .filter_map(|m| m.version.as_deref())
            .collect();
        !versions.is_empty() && versions.iter().all(|v| at_least(v, 3, 4))
    }
}

/// `major.minor.patch` at least `major.minor`.
fn at_least(version: &str, major: u32, minor: u32) -> bool {
    let mut parts = version.split('.').map(|p| p.parse::<u32>().ok());
    match (parts.next().flatten(), parts.next().flatten()) {
        (Some(a), Some(b)) => (a, b) >= (major, minor),
        _ => false,
    }
}

/// Why a membership change is refused. Each says what was seen and what
/// to do instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// No member of that name.
    #[error("no member is called `{name}` (members: {})", known.join(", "))]
    UnknownMember {
        /// The name given.
        name: String,
        /// The names listed.
        known: Vec<String>,
    },
    /// Several members share the name: remove by id is not offered, fix
    /// the names first.
    #[error("{} members are called `{name}` ({}): refusing to guess which", ids.len(), ids.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(", "))]
    AmbiguousName {
        /// The name.
        name: String,
        /// The members carrying it.
        ids: Vec<MemberId>,
    },
    /// The member to replace answers: replacing it would throw away a
    /// working member (`--force` overrides).
    #[error("member `{name}` ({id}) is healthy: it answers status; replacing a working member is refused (give --force to replace it anyway)")]
    Healthy {
        /// The member.
        name: String,
        /// Its id.
        id: MemberId,
    },
    /// The cluster has no quorum now: no membership change can commit.
    #[error("no quorum: {healthy} of {voters} voting members answer (quorum {quorum}); membership cannot change, restore from a snapshot instead (kubemagic etcd restore)")]
    NoQuorum {
        /// Voting members that answered.
        healthy: usize,
        /// Voting members listed.
        voters: usize,
        /// Members needed.
        quorum: usize,
    },
    /// The change would leave fewer healthy voters than the new quorum.
    #[error("{action} would lose quorum: {voters_after} voting members afterwards need {quorum_after}, only {healthy_after} of them answer")]
    LosesQuorum {
        /// What was asked (`removing etcd1`, `adding etcd3 as a voting member`).
        action: String,
        /// Voting members after the change.
        voters_after: usize,
        /// Quorum after the change.
        quorum_after: usize,
        /// Healthy voting members after the change.
        healthy_after: usize,
    },
    /// Another member was added and never started: a second pending member
    /// would put quorum at risk.
    #[error("member {id} (peer URLs {}) was added but has never started: start it or remove it before adding another", peer_urls.join(","))]
    PendingMember {
        /// The pending member.
        id: MemberId,
        /// Its peer URLs.
        peer_urls: Vec<String>,
    },
    /// KM143: the name is another member's, with other peer URLs.
    #[error("KM143: the name `{name}` is member {id}'s, with peer URLs {} (not {}); a name reused with another peer URL makes etcd refuse to start or join the wrong member", their_urls.join(","), wanted_urls.join(","))]
    NameReused {
        /// The name.
        name: String,
        /// The member that has it.
        id: MemberId,
        /// That member's peer URLs.
        their_urls: Vec<String>,
        /// The peer URLs given.
        wanted_urls: Vec<String>,
    },
    /// Another started member already uses these peer URLs.
    #[error("peer URLs {} already belong to member `{name}` ({id})", urls.join(","))]
    PeerUrlsTaken {
        /// The URLs.
        urls: Vec<String>,
        /// The member using them.
        name: String,
        /// Its id.
        id: MemberId,
    },
    /// A peer URL that etcd would refuse.
    #[error("`{url}` is not a peer URL: expected http(s)://host:port")]
    BadPeerUrl {
        /// The URL given.
        url: String,
    },
    /// A learner to promote is not one, or nothing to promote.
    #[error("member `{name}` is not a learner: nothing to promote")]
    NotALearner {
        /// The member.
        name: String,
    },
}

impl Refusal {
    /// Refusals about what the caller typed (exit 2); the others are the
    /// cluster's state (exit 1).
    pub fn is_input_error(&self) -> bool {
        matches!(
            self,
            Refusal::UnknownMember { .. } | Refusal::BadPeerUrl { .. }
        )
    }

    /// The finding a refusal also is, for the reports' findings list.
    pub fn finding(&self) -> Option<Finding> {
        match self {
            Refusal::NameReused { name, .. } => {
                Some(Finding::error("KM143", self.to_string()).host(name.clone()))
            }
            _ => None,
        }
    }
}

/// Checks each peer URL's shape (`http(s)://host:port`, no path).
pub fn check_peer_urls(urls: &[String]) -> Result<(), Refusal> {
    let bad = |u: &str| Refusal::BadPeerUrl { url: u.to_string() };
    if urls.is_empty() {
        return Err(bad(""));
    }
    for u in urls {
        let rest = u
            .strip_prefix("http://")
            .or_else(|| u.strip_prefix("https://"))
            .ok_or_else(|| bad(u))?;
        let rest = rest.trim_end_matches('/');
        match rest.rsplit_once(':') {
            Some((host, port))
                if !host.is_empty() && !rest.contains('/') && port.parse::<u16>().is_ok() => {}
            _ => return Err(bad(u)),
        }
    }
    Ok(())
}

fn healthy_voters(view: &ClusterView) -> usize {
    view.voters().filter(|m| m.healthy).count()
}

/// The cluster can commit a membership change now.
pub fn check_quorum_now(view: &ClusterView) -> Result<(), Refusal> {
    let voters = view.voters().count();
    let healthy = healthy_voters(view);
    if healthy < quorum(voters) {
        return Err(Refusal::NoQuorum {
            healthy,
            voters,
            quorum: quorum(voters),
        });
    }
    Ok(())
}

/// May `name` be removed? It must exist, be unique, leave a quorum of
/// healthy voters behind, and (unless `force`) not answer: removing a
/// working member is how a replacement goes wrong.
pub fn check_remove<'a>(
    view: &'a ClusterView,
    name: &str,
    force: bool,
) -> Result<&'a ObservedMember, Refusal> {
    let m = view.by_name(name)?;
    check_quorum_now(view)?;
    if m.healthy && !force {
        return Err(Refusal::Healthy {
            name: name.to_string(),
            id: m.member.id,
        });
    }
    if !m.member.is_learner {
        let voters_after = view.voters().count() - 1;
        let healthy_after = healthy_voters(view) - usize::from(m.healthy);
        if voters_after == 0 || healthy_after < quorum(voters_after) {
            return Err(Refusal::LosesQuorum {
                action: format!("removing `{name}`"),
                voters_after,
                quorum_after: quorum(voters_after),
                healthy_after,
            });
        }
    }
    Ok(m)
}

/// May a member `name` with `peer_urls` be added? The URLs must be valid
/// and free, the name not another member's with other URLs (KM143), no
/// other member pending, and a voting member (no learner support) must not
/// push quorum past the healthy voters (the new one is down until started).
/// `leaving` is a member about to be removed (replace): its name may be
/// reused.
pub fn check_add(
    view: &ClusterView,
    name: &str,
    peer_urls: &[String],
    as_learner: bool,
    leaving: Option<MemberId>,
) -> Result<(), Refusal> {
    check_peer_urls(peer_urls)?;
    check_quorum_now(view)?;
    let others = view.members.iter().filter(|m| Some(m.member.id) != leaving);
    for m in others {
        if same_urls(&m.member.peer_urls, peer_urls) {
            return Err(Refusal::PeerUrlsTaken {
                urls: peer_urls.to_vec(),
                name: m.member.name.clone(),
                id: m.member.id,
            });
        }
        if m.member.name == name {
            return Err(Refusal::NameReused {
                name: name.to_string(),
                id: m.member.id,
                their_urls: m.member.peer_urls.clone(),
                wanted_urls: peer_urls.to_vec(),
            });
        }
        if !m.member.is_started() {
            return Err(Refusal::PendingMember {
                id: m.member.id,
                peer_urls: m.member.peer_urls.clone(),
            });
        }
    }
    if !as_learner {
        let leaving_voter = leaving
            .and_then(|id| view.by_id(id))
            .filter(|m| !m.member.is_learner);
        let voters_after = view.voters().count() + 1 - usize::from(leaving_voter.is_some());
        let healthy_after =
            healthy_voters(view) - usize::from(leaving_voter.is_some_and(|m| m.healthy));
        if healthy_after < quorum(voters_after) {
            return Err(Refusal::LosesQuorum {
                action: format!("adding `{name}` as a voting member"),
                voters_after,
                quorum_after: quorum(voters_after),
                healthy_after,
            });
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- env

/// A member's environment, in the order kubespray's `etcd.env.j2` writes
/// it (kubespray `roles/etcd/templates/etcd.env.j2`, v2.24): every
/// variable etcd reads to know which cluster it belongs to. TLS files,
/// client URLs and the data directory are the host's own and are not
/// decided here (the data directory is added when known).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MemberEnv(pub Vec<(String, String)>);

impl MemberEnv {
    fn push(&mut self, k: &str, v: impl Into<String>) {
        self.0.push((k.to_string(), v.into()));
    }

    /// A variable's value.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// `KEY=value` lines, as in `/etc/etcd.env`.
    pub fn to_env_file(&self) -> String {
        self.0.iter().map(|(k, v)| format!("{k}={v}\n")).collect()
    }

    /// The variables as a JSON object (`"env": {...}`).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::Value::Object(
            self.0
                .iter()
                .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                .collect(),
        )
    }
}

impl Serialize for MemberEnv {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(s)
    }
}

/// Whether the member creates a cluster (`new`: a first bootstrap or a
/// restore) or joins a running one (`existing`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClusterState {
    /// `ETCD_INITIAL_CLUSTER_STATE=new`.
    New,
    /// `ETCD_INITIAL_CLUSTER_STATE=existing`.
    Existing,
}

impl fmt::Display for ClusterState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ClusterState::New => "new",
            ClusterState::Existing => "existing",
        })
    }
}

/// `name=url,name=url` from (name, peer URLs) pairs, one entry per URL as
/// etcdctl's `member add` prints it.
pub fn initial_cluster<'a>(members: impl IntoIterator<Item = (&'a str, &'a [String])>) -> String {
    let mut parts = Vec::new();
    for (name, urls) in members {
        for u in urls {
            parts.push(format!("{name}={u}"));
        }
    }
    parts.join(",")
}

/// The environment of a member joining the running cluster: every started
/// member plus the new one in `ETCD_INITIAL_CLUSTER` (what etcd checks the
/// new member's peer URLs against), state `existing`.
pub fn join_env(
    members: &[PeerMember],
    new_id: MemberId,
    new_name: &str,
    new_peer_urls: &[String],
    token: &str,
) -> MemberEnv {
    let mut entries: Vec<(&str, &[String])> = members
        .iter()
        .filter(|m| m.id != new_id && m.is_started())
        .map(|m| (m.name.as_str(), m.peer_urls.as_slice()))
        .collect();
    entries.push((new_name, new_peer_urls));
    member_env(
        new_name,
        &initial_cluster(entries),
        ClusterState::Existing,
        token,
        new_peer_urls,
    )
}

/// The environment for a member named `name`; used by joins and restores.
pub fn member_env(
    name: &str,
    initial_cluster: &str,
    state: ClusterState,
    token: &str,
    peer_urls: &[String],
) -> MemberEnv {
    let mut env = MemberEnv::default();
    let urls = peer_urls.join(",");
    env.push("ETCD_NAME", name);
    env.push("ETCD_INITIAL_CLUSTER", initial_cluster);
    env.push("ETCD_INITIAL_CLUSTER_STATE", state.to_string());
    env.push("ETCD_INITIAL_CLUSTER_TOKEN", token);
    env.push("ETCD_INITIAL_ADVERTISE_PEER_URLS", urls.clone());
    // etcd listens on localhost:2380 unless told: a new member that does
    // not listen on its advertised URL never hears from the leader.
    env.push("ETCD_LISTEN_PEER_URLS", urls);
    env
}

/// kubespray's `ETCD_INITIAL_CLUSTER_TOKEN` (`etcd.env.j2`: `k8s_etcd`),
/// used when a join gives none: etcd ignores the token of a member joining
/// an existing cluster, but a restore must use a new one.
pub const KUBESPRAY_TOKEN: &str = "k8s_etcd";

// ---------------------------------------------------------------- ids

fn sha1_prefix(bytes: &[u8]) -> u64 {
    use sha1::{Digest, Sha1};
    let d = Sha1::digest(bytes);
    let mut b = [0u8; 8];
    b.copy_from_slice(&d[..8]);
    u64::from_be_bytes(b)
}

/// The id etcd gives a member of a new cluster (`--initial-cluster-state
/// new` or a restore): SHA-1 of its sorted peer URLs and the token, first
/// eight bytes big-endian (etcd `server/etcdserver/api/membership/member.go`
/// `newMember`, v3.4/v3.5, with no time since the member is not added).
pub fn bootstrap_member_id(peer_urls: &[String], token: &str) -> MemberId {
    let mut urls: Vec<&str> = peer_urls.iter().map(String::as_str).collect();
    urls.sort_unstable();
    let mut b = urls.concat().into_bytes();
    b.extend_from_slice(token.as_bytes());
    MemberId(sha1_prefix(&b))
}

/// The cluster id of a new cluster: SHA-1 of its members' ids, sorted,
/// each eight bytes big-endian (etcd `membership/cluster.go` `genID`).
pub fn bootstrap_cluster_id(member_ids: &[MemberId]) -> MemberId {
    let mut ids: Vec<u64> = member_ids.iter().map(|m| m.0).collect();
    ids.sort_unstable();
    let b: Vec<u8> = ids.iter().flat_map(|i| i.to_be_bytes()).collect();
    MemberId(sha1_prefix(&b))
}

/// Parses `name=url,name=url` (several URLs of one member repeat its
/// name); order kept.
pub fn parse_initial_cluster(s: &str) -> Result<Vec<(String, Vec<String>)>, String> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((name, url)) = part.split_once('=') else {
            return Err(format!("`{part}` is not name=URL"));
        };
        let (name, url) = (name.trim(), url.trim());
        if name.is_empty() {
            return Err(format!("`{part}` has no name"));
        }
        check_peer_urls(&[url.to_string()]).map_err(|e| e.to_string())?;
        match out.iter_mut().find(|(n, _)| n == name) {
            Some((_, urls)) => urls.push(url.to_string()),
            None => out.push((name.to_string(), vec![url.to_string()])),
        }
    }
    if out.is_empty() {
        return Err("empty initial cluster".into());
    }
    Ok(out)
}

/// The cluster id etcd derives from `ETCD_INITIAL_CLUSTER` and the token
/// when it bootstraps a new cluster.
pub fn cluster_id_of(initial: &[(String, Vec<String>)], token: &str) -> MemberId {
    let ids: Vec<MemberId> = initial
        .iter()
        .map(|(_, urls)| bootstrap_member_id(urls, token))
        .collect();
    bootstrap_cluster_id(&ids)
}

// ---------------------------------------------------------------- journal

/// A member as the journal identifies it: by id *and* peer URLs, so that a
/// resumed run never removes a member that merely reuses the id's slot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberRef {
    /// The member's id.
    #[serde(with = "hex_id")]
    pub id: MemberId,
    /// Its name when the plan was made.
    pub name: String,
    /// Its peer URLs when the plan was made.
    pub peer_urls: Vec<String>,
}

/// Ids in the journal as etcdctl prints them (hex strings): JSON numbers
/// lose precision above 2^53.
mod hex_id {
    use crate::model::MemberId;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(id: &MemberId, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(id)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<MemberId, D::Error> {
        let s = String::deserialize(d)?;
        u64::from_str_radix(&s, 16)
            .map(MemberId)
            .map_err(|_| serde::de::Error::custom(format!("`{s}` is not a hexadecimal member id")))
    }

    pub mod option {
        use crate::model::MemberId;
        use serde::{Deserialize, Deserializer, Serializer};

        pub fn serialize<S: Serializer>(id: &Option<MemberId>, s: S) -> Result<S::Ok, S::Error> {
            match id {
                Some(id) => s.collect_str(id),
                None => s.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<MemberId>, D::Error> {
            Option::<String>::deserialize(d)?
                .map(|s| {
                    u64::from_str_radix(&s, 16).map(MemberId).map_err(|_| {
                        serde::de::Error::custom(format!("`{s}` is not a hexadecimal member id"))
                    })
                })
                .transpose()
        }
    }
}

/// Where a `member replace` stands. Each step is written (atomically)
/// after the cluster confirmed it; a run killed between an RPC and its
/// journal write finds out from the member list which way it went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Step {
    /// Planned: nothing done yet.
    Planned,
    /// The dead member is gone from the member list.
    Removed,
    /// The new member is in the member list.
    Added,
}

/// The journal of one `member replace` (`--state-dir`/`etcd-replace-<cluster id>.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Journal {
    /// [`JOURNAL_VERSION`].
    pub version: u32,
    /// The cluster the plan was made for.
    #[serde(with = "hex_id")]
    pub cluster_id: MemberId,
    /// The member to remove.
    pub dead: MemberRef,
    /// The new member's name.
    pub new_name: String,
    /// The new member's peer URLs.
    pub new_peer_urls: Vec<String>,
    /// Added as a learner (promoted later).
    pub learner: bool,
    /// `--force` was given (the dead member answered when planned).
    pub forced: bool,
    /// The last confirmed step.
    pub step: Step,
    /// The new member's id, once added.
    #[serde(with = "hex_id::option")]
    pub new_id: Option<MemberId>,
}

impl Journal {
    /// Whether this journal is for the replacement asked for now.
    pub fn is_for(&self, dead_name: &str, new_name: &str, new_peer_urls: &[String]) -> bool {
        self.dead.name == dead_name
            && self.new_name == new_name
            && same_urls(&self.new_peer_urls, new_peer_urls)
    }
}

/// What to do next, from the journal and the member list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Remove this member (id and peer URLs checked).
    Remove(MemberId),
    /// The dead member is already gone: record it.
    RecordRemoved,
    /// Add the new member.
    Add,
    /// A member with the new peer URLs is already listed (an earlier run
    /// added it): record its id instead of adding a second one.
    RecordAdded(MemberId),
    /// Nothing left: print the env.
    Done(MemberId),
}

/// The journal disagrees with the cluster in a way kubemagic will not
/// guess about.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Conflict {
    /// The journal is another cluster's.
    #[error("the journal is for cluster {journal}, the endpoints reach cluster {live}")]
    OtherCluster {
        /// Cluster id in the journal.
        journal: MemberId,
        /// Cluster id answering now.
        live: MemberId,
    },
    /// The id now carries other peer URLs: not the member planned.
    #[error("member {id} now has peer URLs {} (planned: {}): not removing it", now.join(","), planned.join(","))]
    NotTheSameMember {
        /// The id.
        id: MemberId,
        /// Peer URLs planned.
        planned: Vec<String>,
        /// Peer URLs listed now.
        now: Vec<String>,
    },
    /// The new member's peer URLs are taken by a started member of another name.
    #[error("peer URLs {} belong to started member `{name}` ({id}), not to the new member `{new_name}`", urls.join(","))]
    UrlsTaken {
        /// The URLs.
        urls: Vec<String>,
        /// The member listed with them.
        name: String,
        /// Its id.
        id: MemberId,
        /// The name planned.
        new_name: String,
    },
    /// The added member disappeared from the member list.
    #[error("member {id}, added by this replacement, is no longer listed: someone removed it; delete the journal to start over")]
    AddedMemberGone {
        /// The id recorded.
        id: MemberId,
    },
}

/// The next action of a replacement, from its journal and the live member
/// list. Never two adds (a member with the new peer URLs is adopted), never
/// the removal of another member (id and peer URLs must both match).
pub fn next_action(
    j: &Journal,
    cluster_id: MemberId,
    list: &[PeerMember],
) -> Result<Action, Conflict> {
    if j.cluster_id != cluster_id {
        return Err(Conflict::OtherCluster {
            journal: j.cluster_id,
            live: cluster_id,
        });
    }
    let with_new_urls = list
        .iter()
        .find(|m| same_urls(&m.peer_urls, &j.new_peer_urls) && m.id != j.dead.id);
    match j.step {
        Step::Planned => match list.iter().find(|m| m.id == j.dead.id) {
            Some(m) if same_urls(&m.peer_urls, &j.dead.peer_urls) => Ok(Action::Remove(m.id)),
            Some(m) => Err(Conflict::NotTheSameMember {
                id: m.id,
                planned: j.dead.peer_urls.clone(),
                now: m.peer_urls.clone(),
            }),
            None => Ok(Action::RecordRemoved),
        },
        Step::Removed => match with_new_urls {
            Some(m) if !m.is_started() || m.name == j.new_name => Ok(Action::RecordAdded(m.id)),
            Some(m) => Err(Conflict::UrlsTaken {
                urls: j.new_peer_urls.clone(),
                name: m.name.clone(),
                id: m.id,
                new_name: j.new_name.clone(),
            }),
            None => Ok(Action::Add),
        },
        Step::Added => {
            let id = j.new_id.unwrap_or(MemberId(0));
            if list.iter().any(|m| m.id == id) {
                Ok(Action::Done(id))
            } else {
                Err(Conflict::AddedMemberGone { id })
            }
        }
    }
}

// ---------------------------------------------------------------- findings

/// What a data directory holds, read from its first WAL record (see
/// [`crate::member_ops::read_data_dir`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum DataDir {
    /// Absent or empty: the member has not bootstrapped.
    Empty,
    /// A bootstrapped member: its ids from the WAL's metadata record.
    Member {
        /// The member id written at bootstrap.
        member_id: MemberId,
        /// The cluster id written at bootstrap.
        cluster_id: MemberId,
    },
    /// Files, but no readable WAL metadata.
    Unknown(String),
}

/// A member's own configuration (its env file) against the live cluster:
/// KM141 (the data dir holds another cluster), KM142 (`new` on a member
/// joining an existing cluster), KM143 (its name listed with other peer
/// URLs). `origin(var)` gives FILE:LINE of a variable.
pub fn env_findings(
    vars: &BTreeMap<String, String>,
    origin: &dyn Fn(&str) -> Option<Origin>,
    data_dir: &DataDir,
    view: &ClusterView,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let name = vars.get("ETCD_NAME").map(String::as_str).unwrap_or("");
    if let DataDir::Member {
        cluster_id,
        member_id,
    } = data_dir
    {
        if *cluster_id != view.cluster_id {
            out.push(
                Finding::error(
                    "KM141",
                    format!(
                        "the data directory holds member {member_id} of cluster {cluster_id}, but the cluster \
                         answering is {}: etcd will refuse to start (cluster ID mismatch); move the directory \
                         aside and join with an empty one",
                        view.cluster_id
                    ),
                )
                .at(origin("ETCD_DATA_DIR").as_ref())
                .variable("ETCD_DATA_DIR"),
            );
        }
    }
    let state = vars.get("ETCD_INITIAL_CLUSTER_STATE").map(String::as_str);
    if state == Some("new") && *data_dir == DataDir::Empty {
        let token = vars
            .get("ETCD_INITIAL_CLUSTER_TOKEN")
            .map(String::as_str)
            .unwrap_or("etcd-cluster");
        let would_be = vars
            .get("ETCD_INITIAL_CLUSTER")
            .and_then(|ic| parse_initial_cluster(ic).ok())
            .map(|ic| cluster_id_of(&ic, token));
        // On a first bootstrap the running members were created from the
        // same ETCD_INITIAL_CLUSTER and token: same cluster id, no finding.
        if would_be != Some(view.cluster_id) {
            out.push(
                Finding::error(
                    "KM142",
                    format!(
                        "ETCD_INITIAL_CLUSTER_STATE=new on member `{name}` with an empty data directory, \
                         while cluster {} is running: it would bootstrap a cluster of its own{}; a member \
                         joining an existing cluster needs ETCD_INITIAL_CLUSTER_STATE=existing",
                        view.cluster_id,
                        would_be
                            .map(|id| format!(" ({id})"))
                            .unwrap_or_default()
                    ),
                )
                .at(origin("ETCD_INITIAL_CLUSTER_STATE").as_ref())
                .variable("ETCD_INITIAL_CLUSTER_STATE"),
            );
        }
    }
    if let Some(urls) = vars.get("ETCD_INITIAL_ADVERTISE_PEER_URLS") {
        let urls: Vec<String> = urls.split(',').map(|u| u.trim().to_string()).collect();
        for m in &view.members {
            if !name.is_empty() && m.member.name == name && !same_urls(&m.member.peer_urls, &urls) {
                out.push(
                    Finding::error(
                        "KM143",
                        format!(
                            "ETCD_NAME `{name}` is member {} with peer URLs {}, but this member advertises {}: \
                             etcd will refuse to start; give the member a new name or update its peer URLs \
                             (etcdctl member update)",
                            m.member.id,
                            m.member.peer_urls.join(","),
                            urls.join(",")
                        ),
                    )
                    .at(origin("ETCD_INITIAL_ADVERTISE_PEER_URLS").as_ref())
                    .variable("ETCD_INITIAL_ADVERTISE_PEER_URLS"),
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;

//! Membership changes on a live cluster: `member list|add|remove|replace|
//! promote`. Every decision is [`crate::member`]'s; this module observes
//! the cluster (one place: [`observe`]), performs the RPC, writes the
//! journal of a replacement and renders the reports.
//!
//! A replacement is journaled in `STATE_DIR/etcd-replace-<cluster id>.json`
//! (written with `kubemagic_fs::write_atomic` after each step the cluster
//! confirmed). A run killed at any point resumes from the journal and the
//! member list: a removal is recognised by the member's absence, an add by
//! a listed member with the new peer URLs, so neither happens twice.

use crate::client::{Cluster, Member};
use crate::config::{Config, EnvFile};
use crate::error::EtcdError;
use crate::member::{
    self, Action, ClusterView, Conflict, DataDir, Journal, MemberEnv, MemberRef, ObservedMember,
    PeerMember, Refusal, Step,
};
use crate::model::{ClusterStatus, MemberId};
use crate::ops;
use kubemagic_core::{Finding, RedactingWriter};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Everything a membership command can fail with.
#[derive(Debug, thiserror::Error)]
pub enum MemberOpError {
    /// Talking to etcd failed.
    #[error(transparent)]
    Etcd(#[from] EtcdError),
    /// The guard refused the change; nothing was changed.
    #[error("refused: {0}")]
    Refused(#[from] Refusal),
    /// The journal and the cluster disagree.
    #[error("{}: {conflict}", journal.display())]
    Conflict {
        /// The journal.
        journal: PathBuf,
        /// How they disagree.
        conflict: Conflict,
    },
    /// Reading or writing a file failed.
    #[error(transparent)]
    Fs(#[from] kubemagic_fs::FsError),
    /// A journal that cannot be read as one.
    #[error("{}: not a kubemagic replacement journal: {message}", path.display())]
    BadJournal {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// Another replacement is under way on this cluster.
    #[error("{}: replacement of `{dead}` by `{new}` is unfinished (step {step:?}); re-run it to completion, or move the journal aside to give it up", journal.display())]
    OtherReplacement {
        /// The journal.
        journal: PathBuf,
        /// The member it removes.
        dead: String,
        /// The member it adds.
        new: String,
        /// Its last step.
        step: Step,
    },
    /// No member answered the member list.
    #[error("no member answered the member list ({0})")]
    NoMemberList(String),
    /// The learner did not catch up in time.
    #[error("member `{name}` was not promoted within {}s: {last}", waited.as_secs())]
    PromoteTimeout {
        /// The learner.
        name: String,
        /// How long kubemagic retried.
        waited: Duration,
        /// etcd's last answer.
        last: String,
    },
}

impl kubemagic_core::KmError for MemberOpError {
    fn file(&self) -> Option<&Path> {
        match self {
            MemberOpError::Conflict { journal, .. }
            | MemberOpError::OtherReplacement { journal, .. } => Some(journal),
            MemberOpError::BadJournal { path, .. } => Some(path),
            MemberOpError::Fs(e) => Some(e.path()),
            MemberOpError::Etcd(e) => e.file(),
            _ => None,
        }
    }
    fn line(&self) -> Option<u32> {
        match self {
            MemberOpError::Etcd(e) => e.line(),
            _ => None,
        }
    }
    fn kind(&self) -> kubemagic_core::ErrorKind {
        use kubemagic_core::ErrorKind;
        match self {
            MemberOpError::Etcd(e) => e.kind(),
            MemberOpError::Refused(r) if r.is_input_error() => ErrorKind::Input,
            MemberOpError::BadJournal { .. }
            | MemberOpError::OtherReplacement { .. }
            | MemberOpError::Fs(_) => ErrorKind::Input,
            _ => ErrorKind::Failure,
        }
    }
}

/// Steps of a replacement as they happen (the CLI prints them; its
/// test-only hook pauses at one so a test can kill the process there).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberProgress {
    /// A journal was found and the run resumes after `step`.
    Resumed {
        /// The last step the journal recorded.
        step: Step,
    },
    /// The plan is journaled; nothing changed yet.
    Planned,
    /// The cluster confirmed the removal (journal not yet written).
    Removed {
        /// The removed member.
        id: MemberId,
    },
    /// The cluster confirmed the add (journal not yet written).
    Added {
        /// The new member's id.
        id: MemberId,
    },
}

impl MemberProgress {
    /// A short name (`planned`, `removed`, `added`, `resumed`).
    pub fn name(&self) -> &'static str {
        match self {
            MemberProgress::Resumed { .. } => "resumed",
            MemberProgress::Planned => "planned",
            MemberProgress::Removed { .. } => "removed",
            MemberProgress::Added { .. } => "added",
        }
    }
}

// ---------------------------------------------------------------- observe

/// One look at the cluster: connections, the status round and the member
/// list with peer URLs.
pub struct Observation {
    /// The connections.
    pub cluster: Cluster,
    /// Every member's status.
    pub status: ClusterStatus,
    /// Members, peer URLs and health.
    pub view: ClusterView,
}

impl Observation {
    /// The member a membership RPC goes to: the leader, else any member
    /// that answered.
    fn target(&self) -> Result<&Member, MemberOpError> {
        self.status
            .leader()
            .or_else(|| self.status.members.iter().find(|m| m.is_reachable()))
            .and_then(|m| self.cluster.member(&m.endpoint))
            .ok_or_else(|| MemberOpError::NoMemberList("no member answers".into()))
    }

    /// The member list as [`PeerMember`]s.
    pub fn list(&self) -> Vec<PeerMember> {
        self.view.members.iter().map(|m| m.member.clone()).collect()
    }
}

/// The member list with peer URLs and the cluster id, from one member.
async fn full_member_list(m: &Member) -> Result<(MemberId, Vec<PeerMember>), EtcdError> {
    let mut c = m.client.clone();
    let r = m
        .call("member list", m.timeouts.command, async move {
            c.member_list().await
        })
        .await?;
    let cluster_id = MemberId(r.header().map(|h| h.cluster_id()).unwrap_or(0));
    let list = r
        .members()
        .iter()
        .map(|x| PeerMember {
            id: MemberId(x.id()),
            name: x.name().to_string(),
            peer_urls: x.peer_urls().to_vec(),
            client_urls: x.client_urls().to_vec(),
            is_learner: x.is_learner(),
        })
        .collect();
    Ok((cluster_id, list))
}

/// Connects (the crate's one `Cluster::connect`), queries every member's
/// status (`ops::status`) and reads the member list with peer URLs from a
/// member that answered. The only place membership code reaches etcd's
/// read side.
pub async fn observe(config: &Config) -> Result<Observation, MemberOpError> {
    let cluster = Cluster::connect(config.clone()).await?;
    let status = ops::status(&cluster).await;
    let mut order: Vec<&crate::model::MemberStatus> =
        status.members.iter().filter(|m| m.is_reachable()).collect();
    order.sort_by_key(|m| !m.is_leader());
    let mut last = None;
    let mut answer = None;
    for ms in order {
        let Some(m) = cluster.member(&ms.endpoint) else {
            continue;
        };
        match full_member_list(m).await {
            Ok(a) => {
                answer = Some(a);
                break;
            }
            Err(e) => last = Some(e.to_string()),
        }
    }
    let Some((cluster_id, list)) = answer else {
        let why = last
            .or_else(|| {
                cluster
                    .discovery
                    .errors
                    .first()
                    .map(|(e, w)| format!("{e}: {w}"))
            })
            .unwrap_or_else(|| "no member reachable".into());
        return Err(MemberOpError::NoMemberList(why));
    };
    let members =
        list.into_iter()
            .map(|pm| {
                let st = status.members.iter().find(|s| {
                    s.id == Some(pm.id) || s.live.as_ref().is_some_and(|l| l.id == pm.id)
                });
                ObservedMember {
                    healthy: st.is_some_and(|s| s.is_reachable()),
                    version: st.and_then(|s| s.live.as_ref().map(|l| l.version.clone())),
                    member: pm,
                }
            })
            .collect();
    Ok(Observation {
        cluster,
        status,
        view: ClusterView {
            cluster_id,
            members,
        },
    })
}

// ---------------------------------------------------------------- RPCs

/// etcd's strict reconfiguration check refuses a change until the member
/// has been connected to every voting peer for its health interval (5 s,
/// etcd `server/etcdserver/server.go` `mayAddMember`/`mayRemoveMember`,
/// `HealthInterval`): right after a removal, or a restart, the next change
/// waits that long. Retried for at most this long.
const UNHEALTHY_RETRY: Duration = Duration::from_secs(15);

async fn with_retry<T, F, Fut>(mut f: F) -> Result<T, EtcdError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, EtcdError>>,
{
    let started = Instant::now();
    loop {
        match f().await {
            Err(e)
                if e.to_string().contains("unhealthy cluster")
                    && started.elapsed() < UNHEALTHY_RETRY =>
            {
                tokio::time::sleep(Duration::from_millis(500)).await
            }
            other => return other,
        }
    }
}

async fn remove_rpc(obs: &Observation, id: MemberId) -> Result<(), MemberOpError> {
    let m = obs.target()?;
    with_retry(|| {
        let mut c = m.client.clone();
        m.call("member remove", m.timeouts.command, async move {
            c.member_remove(id.0).await
        })
    })
    .await?;
    Ok(())
}

async fn add_rpc(
    obs: &Observation,
    peer_urls: &[String],
    learner: bool,
) -> Result<MemberId, MemberOpError> {
    let m = obs.target()?;
    let r = with_retry(|| {
        let mut c = m.client.clone();
        let urls = peer_urls.to_vec();
        let opts = learner.then(|| etcd_client::MemberAddOptions::new().with_is_learner());
        m.call("member add", m.timeouts.command, async move {
            c.member_add(urls, opts).await
        })
    })
    .await?;
    Ok(MemberId(r.member().map(|x| x.id()).unwrap_or(0)))
}

// ---------------------------------------------------------------- list

/// `member list`: members with peer URLs and health, and, given the local
/// member's env file, the findings about its own configuration.
#[derive(Debug, Clone, Serialize)]
pub struct ListReport {
    /// The cluster and its members.
    #[serde(flatten)]
    pub view: ClusterView,
    /// KM141–KM143 about the env file's member.
    pub findings: Vec<Finding>,
}

/// Lists the members; `env_file` (kubespray's `/etc/etcd.env`) adds the
/// findings about that member's data directory and variables.
pub async fn list(config: &Config, env_file: Option<&Path>) -> Result<ListReport, MemberOpError> {
    let obs = observe(config).await?;
    let findings = match env_file {
        Some(p) => env_file_findings(p, &obs.view)?,
        None => Vec::new(),
    };
    Ok(ListReport {
        view: obs.view,
        findings,
    })
}

/// KM141–KM143 for the member an env file configures.
pub fn env_file_findings(path: &Path, view: &ClusterView) -> Result<Vec<Finding>, MemberOpError> {
    let text = kubemagic_fs::read_to_string(path, kubemagic_fs::limits::MAX_SOURCE_BYTES)?;
    let env = EnvFile::parse(path, &text)?;
    let vars: BTreeMap<String, String> = env
        .vars
        .iter()
        .map(|(k, (v, _))| (k.clone(), v.clone()))
        .collect();
    let data_dir = match env.get("ETCD_DATA_DIR") {
        Some(d) => read_data_dir(Path::new(d)),
        None => DataDir::Unknown("ETCD_DATA_DIR is not set".into()),
    };
    let origin = |k: &str| {
        env.vars
            .get(k)
            .map(|(_, line)| kubemagic_core::Origin::new(path.to_path_buf(), Some(*line)))
    };
    Ok(member::env_findings(&vars, &origin, &data_dir, view))
}

// ---------------------------------------------------------------- WAL

/// What `dir` holds: empty, or the member and cluster ids of the first
/// WAL file's metadata record. etcd writes that record first in every WAL
/// file (etcd `server/storage/wal/wal.go` `Create`/`cut`, v3.4/v3.5):
/// frames of an 8-byte little-endian length (top bit: padding present,
/// bits 56–58 its size) and a `walpb.Record` {1: type, 2: crc, 3: data};
/// type 1 is `etcdserverpb.Metadata` {1: NodeID, 2: ClusterID}.
pub fn read_data_dir(dir: &Path) -> DataDir {
    let Ok(mut entries) = std::fs::read_dir(dir) else {
        return DataDir::Empty;
    };
    if entries.next().is_none() {
        return DataDir::Empty;
    }
    let wal_dir = dir.join("member").join("wal");
    let mut wals: Vec<PathBuf> = match std::fs::read_dir(&wal_dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "wal"))
            .collect(),
        Err(e) => return DataDir::Unknown(format!("{}: {e}", wal_dir.display())),
    };
    wals.sort();
    let Some(first) = wals.first() else {
        return DataDir::Unknown(format!("{}: no WAL file", wal_dir.display()));
    };
    let head = match kubemagic_fs::open_regular(first) {
        Ok((f, _)) => {
            use std::io::Read;
            let mut buf = Vec::new();
            let _ = f.take(64 * 1024).read_to_end(&mut buf);
            buf
        }
        Err(e) => return DataDir::Unknown(e.to_string()),
    };
    match wal_metadata(&head) {
        Some((member_id, cluster_id)) => DataDir::Member {
            member_id: MemberId(member_id),
            cluster_id: MemberId(cluster_id),
        },
        None => DataDir::Unknown(format!("{}: no metadata record", first.display())),
    }
}

fn varint(b: &[u8], i: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *b.get(*i)?;
        *i += 1;
        v |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

/// One protobuf field's value: the two wire types WAL records use.
enum Field<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
}

impl<'a> Field<'a> {
    fn varint(&self) -> Option<u64> {
        match self {
            Field::Varint(v) => Some(*v),
            Field::Bytes(_) => None,
        }
    }
    fn bytes(&self) -> Option<&'a [u8]> {
        match self {
            Field::Bytes(b) => Some(b),
            Field::Varint(_) => None,
        }
    }
}

/// Protobuf fields of a message: (field number, value).
fn fields(b: &[u8]) -> Option<Vec<(u64, Field<'_>)>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let key = varint(b, &mut i)?;
        match key & 7 {
            0 => out.push((key >> 3, Field::Varint(varint(b, &mut i)?))),
            2 => {
                let len = usize::try_from(varint(b, &mut i)?).ok()?;
                let end = i.checked_add(len)?;
                out.push((key >> 3, Field::Bytes(b.get(i..end)?)));
                i = end;
            }
            _ => return None,
        }
    }
    Some(out)
}

/// (NodeID, ClusterID) of the first metadata record in a WAL file's head.
pub fn wal_metadata(head: &[u8]) -> Option<(u64, u64)> {
    let mut pos = 0usize;
    for _ in 0..8 {
        let frame: [u8; 8] = head.get(pos..pos + 8)?.try_into().ok()?;
        let len = u64::from_le_bytes(frame);
        let rec_len = usize::try_from(len & 0x00ff_ffff_ffff_ffff).ok()?;
        let pad = if len & (1 << 63) != 0 {
            ((len >> 56) & 0x7) as usize
        } else {
            0
        };
        let rec = head.get(pos + 8..pos + 8 + rec_len)?;
        pos += 8 + rec_len + pad;
        let f = fields(rec)?;
        let ty = f
            .iter()
            .find(|(n, _)| *n == 1)
            .and_then(|(_, v)| v.varint());
        if ty != Some(1) {
            continue;
        }
        let data = f
            .iter()
            .find(|(n, _)| *n == 3)
            .and_then(|(_, v)| v.bytes())?;
        let md = fields(data)?;
        let get = |n: u64| {
            md.iter()
                .find(|(k, _)| *k == n)
                .and_then(|(_, v)| v.varint())
        };
        return Some((get(1)?, get(2)?));
    }
    None
}

// ---------------------------------------------------------------- add / remove

/// What `member add` / `member remove` / `member promote` did.
#[derive(Debug, Clone, Serialize)]
pub struct ChangeReport {
    /// `add`, `remove` or `promote`.
    pub action: &'static str,
    /// The member concerned.
    pub member: PeerMember,
    /// `--force` let a healthy member be removed.
    pub forced: bool,
    /// Nothing was done because it already was (an add found its member
    /// listed, a promote found a voter).
    pub already: bool,
    /// For an add: the environment the new member starts with.
    pub env: Option<MemberEnv>,
    /// What the operator does next.
    pub next: Vec<String>,
}

/// `member remove NAME`: guarded by [`member::check_remove`].
pub async fn remove(
    config: &Config,
    name: &str,
    force: bool,
) -> Result<ChangeReport, MemberOpError> {
    let obs = observe(config).await?;
    let m = member::check_remove(&obs.view, name, force)?.clone();
    remove_rpc(&obs, m.member.id).await?;
    Ok(ChangeReport {
        action: "remove",
        forced: force && m.healthy,
        member: m.member,
        already: false,
        env: None,
        next: vec![format!(
            "stop etcd on `{name}` and move its data directory aside before it is ever started again"
        )],
    })
}

/// `member add NAME --peer-urls`: guarded by [`member::check_add`]; a
/// member already listed with these peer URLs and not started is reported,
/// not added twice.
pub async fn add(
    config: &Config,
    name: &str,
    peer_urls: &[String],
    no_learner: bool,
    token: &str,
) -> Result<ChangeReport, MemberOpError> {
    member::check_peer_urls(peer_urls)?;
    let obs = observe(config).await?;
    let learner = !no_learner && obs.view.supports_learners();
    let (id, already) = match obs.view.by_peer_urls(peer_urls) {
        Some(m) if !m.member.is_started() => (m.member.id, true),
        _ => {
            member::check_add(&obs.view, name, peer_urls, learner, None)?;
            (add_rpc(&obs, peer_urls, learner).await?, false)
        }
    };
    let list = observe(config).await?.list();
    let pm = list
        .iter()
        .find(|m| m.id == id)
        .cloned()
        .unwrap_or(PeerMember {
            id,
            name: String::new(),
            peer_urls: peer_urls.to_vec(),
            client_urls: Vec::new(),
            is_learner: learner,
        });
    let env = member::join_env(&list, id, name, peer_urls, token);
    Ok(ChangeReport {
        action: "add",
        next: next_after_add(name, pm.is_learner),
        member: pm,
        forced: false,
        already,
        env: Some(env),
    })
}

fn next_after_add(name: &str, learner: bool) -> Vec<String> {
    let mut v = vec![format!(
        "start etcd on `{name}` with an EMPTY data directory and this environment (plus ETCD_DATA_DIR, \
         ETCD_LISTEN_CLIENT_URLS, ETCD_ADVERTISE_CLIENT_URLS and its TLS files)"
    )];
    if learner {
        v.push(format!(
            "once it runs: kubemagic etcd member promote {name} (it joined as a learner and does not vote yet)"
        ));
    }
    v
}

/// `member promote NAME`: retries while etcd says the learner has not
/// caught up, for at most `wait`.
pub async fn promote(
    config: &Config,
    name: &str,
    wait: Duration,
) -> Result<ChangeReport, MemberOpError> {
    let started = Instant::now();
    loop {
        let obs = observe(config).await?;
        let m = match obs.view.by_name(name) {
            Ok(m) => m.member.clone(),
            // A learner publishes its name once it has started and caught
            // up a little: wait for it while a member is still unnamed.
            Err(e) => {
                let pending = obs.view.members.iter().any(|m| !m.member.is_started());
                if !pending || started.elapsed() >= wait {
                    return Err(e.into());
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
        };
        if !m.is_learner {
            return Ok(ChangeReport {
                action: "promote",
                member: m,
                forced: false,
                already: true,
                env: None,
                next: Vec::new(),
            });
        }
        let t = obs.target()?;
        let mut c = t.client.clone();
        let id = m.id.0;
        let last = match t
            .call("member promote", t.timeouts.command, async move {
                c.member_promote(id).await
            })
            .await
        {
            Ok(_) => {
                let mut member = m;
                member.is_learner = false;
                return Ok(ChangeReport {
                    action: "promote",
                    member,
                    forced: false,
                    already: false,
                    env: None,
                    next: Vec::new(),
                });
            }
            Err(e) => e.to_string(),
        };
        if started.elapsed() >= wait {
            return Err(MemberOpError::PromoteTimeout {
                name: name.to_string(),
                waited: wait,
                last,
            });
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

// ---------------------------------------------------------------- replace

/// What `member replace` asks for.
#[derive(Debug, Clone)]
pub struct ReplaceRequest {
    /// The dead member's name.
    pub dead: String,
    /// The new member's name (may be the dead one's).
    pub name: String,
    /// The new member's peer URLs.
    pub peer_urls: Vec<String>,
    /// Replace even a member that answers.
    pub force: bool,
    /// Add a voting member even where learners are supported.
    pub no_learner: bool,
    /// `ETCD_INITIAL_CLUSTER_TOKEN` printed (etcd ignores it on a join).
    pub token: String,
    /// Where the journal lives.
    pub state_dir: PathBuf,
}

/// What `member replace` did.
#[derive(Debug, Clone, Serialize)]
pub struct ReplaceReport {
    /// The cluster.
    pub cluster_id: MemberId,
    /// The member removed.
    pub removed: MemberRef,
    /// The member added.
    pub added: PeerMember,
    /// `--force` let a healthy member be replaced.
    pub forced: bool,
    /// This run resumed an interrupted one.
    pub resumed: bool,
    /// Steps this run performed (`removed`, `added`).
    pub performed: Vec<&'static str>,
    /// The journal.
    pub journal: PathBuf,
    /// The new member's environment.
    pub env: MemberEnv,
    /// What the operator does next.
    pub next: Vec<String>,
}

/// The journal's path for a cluster.
pub fn journal_path(state_dir: &Path, cluster_id: MemberId) -> PathBuf {
    state_dir.join(format!("etcd-replace-{cluster_id}.json"))
}

fn read_journal(path: &Path) -> Result<Option<Journal>, MemberOpError> {
    let bytes = match kubemagic_fs::read(path, kubemagic_fs::limits::MAX_STATE_BYTES) {
        Ok(b) => b,
        Err(e) if e.is_not_found() => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let j: Journal = serde_json::from_slice(&bytes).map_err(|e| MemberOpError::BadJournal {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    if j.version != member::JOURNAL_VERSION {
        return Err(MemberOpError::BadJournal {
            path: path.to_path_buf(),
            message: format!(
                "version {} (this kubemagic writes {})",
                j.version,
                member::JOURNAL_VERSION
            ),
        });
    }
    Ok(Some(j))
}

fn write_journal(path: &Path, j: &Journal) -> Result<(), MemberOpError> {
    let mut text = serde_json::to_vec_pretty(j).map_err(|e| MemberOpError::BadJournal {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    text.push(b'\n');
    kubemagic_fs::write_atomic(path, &text, 0o600)?;
    Ok(())
}

/// The journal to run: the one on disk when it is for this request (a
/// resumed run), a new one when none is pending; an error when another
/// replacement is unfinished.
fn start_journal(
    path: &Path,
    obs: &Observation,
    req: &ReplaceRequest,
) -> Result<(Journal, bool), MemberOpError> {
    if let Some(j) = read_journal(path)? {
        let finished = matches!(
            member::next_action(&j, obs.view.cluster_id, &obs.list()),
            Ok(Action::Done(_))
        );
        // The same replacement asked again once it has finished, while the
        // member it added has since started and died: a new replacement.
        let added_died_since = j
            .new_id
            .and_then(|id| obs.view.by_id(id))
            .is_some_and(|m| m.member.is_started() && !m.healthy);
        if j.is_for(&req.dead, &req.name, &req.peer_urls) && !(finished && added_died_since) {
            return Ok((j, true));
        }
        if !finished {
            return Err(MemberOpError::OtherReplacement {
                journal: path.to_path_buf(),
                dead: j.dead.name,
                new: j.new_name,
                step: j.step,
            });
        }
    }
    let dead = member::check_remove(&obs.view, &req.dead, req.force)?.clone();
    let learner = !req.no_learner && obs.view.supports_learners();
    member::check_add(
        &obs.view,
        &req.name,
        &req.peer_urls,
        learner,
        Some(dead.member.id),
    )?;
    let j = Journal {
        version: member::JOURNAL_VERSION,
        cluster_id: obs.view.cluster_id,
        dead: MemberRef {
            id: dead.member.id,
            name: dead.member.name.clone(),
            peer_urls: dead.member.peer_urls.clone(),
        },
        new_name: req.name.clone(),
        new_peer_urls: req.peer_urls.clone(),
        learner,
        forced: req.force && dead.healthy,
        step: Step::Planned,
        new_id: None,
    };
    std::fs::create_dir_all(&req.state_dir).map_err(|source| {
        MemberOpError::Fs(kubemagic_fs::FsError::Io {
            path: req.state_dir.clone(),
            source,
        })
    })?;
    write_journal(path, &j)?;
    Ok((j, false))
}

/// `member replace`: removes the dead member and adds the new one (a
/// learner where the cluster supports it), journaling each confirmed
/// step; a re-run after an interruption resumes.
pub async fn replace(
    config: &Config,
    req: &ReplaceRequest,
    progress: &mut dyn FnMut(&MemberProgress),
) -> Result<ReplaceReport, MemberOpError> {
    member::check_peer_urls(&req.peer_urls)?;
    let mut obs = observe(config).await?;
    let path = journal_path(&req.state_dir, obs.view.cluster_id);
    let (mut j, resumed) = start_journal(&path, &obs, req)?;
    progress(&if resumed {
        MemberProgress::Resumed { step: j.step }
    } else {
        MemberProgress::Planned
    });
    let conflict = |conflict| MemberOpError::Conflict {
        journal: path.clone(),
        conflict,
    };
    let mut performed = Vec::new();
    let new_id = loop {
        match member::next_action(&j, obs.view.cluster_id, &obs.list()).map_err(conflict)? {
            Action::Remove(id) => {
                // The cluster may have changed since the plan: guard again.
                let m = member::check_remove(&obs.view, &j.dead.name, j.forced)?;
                if m.member.id != id {
                    return Err(conflict(Conflict::NotTheSameMember {
                        id,
                        planned: j.dead.peer_urls.clone(),
                        now: m.member.peer_urls.clone(),
                    }));
                }
                remove_rpc(&obs, id).await?;
                progress(&MemberProgress::Removed { id });
                performed.push("removed");
                j.step = Step::Removed;
                write_journal(&path, &j)?;
                obs = observe(config).await?;
            }
            Action::RecordRemoved => {
                j.step = Step::Removed;
                write_journal(&path, &j)?;
            }
            Action::Add => {
                member::check_add(&obs.view, &j.new_name, &j.new_peer_urls, j.learner, None)?;
                let id = add_rpc(&obs, &j.new_peer_urls, j.learner).await?;
                progress(&MemberProgress::Added { id });
                performed.push("added");
                j.step = Step::Added;
                j.new_id = Some(id);
                write_journal(&path, &j)?;
                obs = observe(config).await?;
            }
            Action::RecordAdded(id) => {
                j.step = Step::Added;
                j.new_id = Some(id);
                write_journal(&path, &j)?;
            }
            Action::Done(id) => break id,
        }
    };
    let list = obs.list();
    let added = list
        .iter()
        .find(|m| m.id == new_id)
        .cloned()
        .ok_or_else(|| conflict(Conflict::AddedMemberGone { id: new_id }))?;
    let env = member::join_env(&list, new_id, &j.new_name, &j.new_peer_urls, &req.token);
    Ok(ReplaceReport {
        cluster_id: obs.view.cluster_id,
        removed: j.dead.clone(),
        next: next_after_add(&j.new_name, added.is_learner),
        added,
        forced: j.forced,
        resumed,
        performed,
        journal: path,
        env,
    })
}

// ---------------------------------------------------------------- writers

fn yes(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

/// `member list` as text: a table, then the findings.
pub fn write_list_text<W: Write>(
    w: &mut RedactingWriter<W>,
    r: &ListReport,
) -> std::io::Result<()> {
    writeln!(w, "cluster {}", r.view.cluster_id)?;
    writeln!(
        w,
        "{:<16}  {:<12}  {:<7}  {:<7}  {:<30}  CLIENT URLS",
        "ID", "NAME", "HEALTHY", "LEARNER", "PEER URLS"
    )?;
    for m in &r.view.members {
        let name = if m.member.name.is_empty() {
            "(unstarted)"
        } else {
            m.member.name.as_str()
        };
        writeln!(
            w,
            "{:<16}  {:<12}  {:<7}  {:<7}  {:<30}  {}",
            m.member.id.to_string(),
            name,
            yes(m.healthy),
            yes(m.member.is_learner),
            m.member.peer_urls.join(","),
            m.member.client_urls.join(",")
        )?;
    }
    for f in &r.findings {
        writeln!(w, "{}", kubemagic_core::render::line(f))?;
    }
    Ok(())
}

fn write_env_block<W: Write>(w: &mut RedactingWriter<W>, env: &MemberEnv) -> std::io::Result<()> {
    writeln!(w, "# /etc/etcd.env lines for the new member:")?;
    w.write_all(env.to_env_file().as_bytes())
}

/// `member add|remove|promote` as text.
pub fn write_change_text<W: Write>(
    w: &mut RedactingWriter<W>,
    r: &ChangeReport,
) -> std::io::Result<()> {
    let name = if r.member.name.is_empty() {
        "(unstarted)"
    } else {
        r.member.name.as_str()
    };
    let verb = match (r.action, r.already) {
        ("add", true) => "already added (not started yet)",
        ("add", false) if r.member.is_learner => "added as a learner",
        ("add", false) => "added",
        ("remove", _) => "removed",
        ("promote", true) => "already a voting member",
        ("promote", false) => "promoted to a voting member",
        (other, _) => other,
    };
    writeln!(w, "member {} {name}: {verb}", r.member.id)?;
    if r.forced {
        writeln!(
            w,
            "--force: the member answered status and was removed anyway"
        )?;
    }
    if let Some(env) = &r.env {
        write_env_block(w, env)?;
    }
    for n in &r.next {
        writeln!(w, "next: {n}")?;
    }
    Ok(())
}

/// `member replace` as text: what happened, the env lines, the next steps.
pub fn write_replace_text<W: Write>(
    w: &mut RedactingWriter<W>,
    r: &ReplaceReport,
) -> std::io::Result<()> {
    if r.resumed {
        writeln!(w, "resumed from {}", r.journal.display())?;
    }
    if r.forced {
        writeln!(
            w,
            "--force: `{}` answered status and was replaced anyway",
            r.removed.name
        )?;
    }
    writeln!(
        w,
        "removed {} ({}, {})",
        r.removed.name,
        r.removed.id,
        r.removed.peer_urls.join(",")
    )?;
    writeln!(
        w,
        "added {} ({}, {}){}",
        if r.added.name.is_empty() {
            r.env.get("ETCD_NAME").unwrap_or("")
        } else {
            r.added.name.as_str()
        },
        r.added.id,
        r.added.peer_urls.join(","),
        if r.added.is_learner {
            " as a learner"
        } else {
            ""
        }
    )?;
    write_env_block(w, &r.env)?;
    for n in &r.next {
        writeln!(w, "next: {n}")?;
    }
    Ok(())
}

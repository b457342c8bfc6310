//! Operations against a live cluster: status, compact, defrag, alarms,
//! snapshot, usage and recovery. Decisions are delegated to `plan` and
//! `findings`; this module only talks to etcd and reports.

use crate::client::{Cluster, Member};
use crate::error::EtcdError;
use crate::findings::diagnose;
use crate::maintain::{self, MaintainOptions, MaintainPlan, MaintainRefusal};
use crate::model::{
    Alarm, AlarmKind, ClusterStatus, ListedMember, LiveStatus, MemberId, MemberStatus,
};
use crate::plan::{self, DefragPlan, RecoveryPlan, Refusal, Skipped};
use etcd_client::{
    AlarmAction, AlarmOptions, AlarmType, CompactionOptions, Compare, CompareOp, GetOptions,
    PutOptions, Txn, TxnOp,
};
use kubemagic_core::ByteSize;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What an operation reports while it runs (the CLI prints these as
/// progress; tests use them to act at a precise moment).
#[derive(Debug, Clone, PartialEq)]
pub enum Progress {
    /// A compaction starts.
    Compacting {
        /// The revision to compact to.
        revision: i64,
    },
    /// The compaction is done.
    Compacted {
        /// The revision compacted to.
        revision: i64,
        /// History was already compacted at or past `revision`.
        already: bool,
    },
    /// One member's defragmentation starts.
    DefragStart {
        /// The member's endpoint.
        endpoint: String,
        /// 1-based position in the defragmentation order.
        index: usize,
        /// Members to defragment in all.
        total: usize,
        /// Its database size before, when known.
        db_size: Option<ByteSize>,
    },
    /// One member's defragmentation is done.
    DefragDone {
        /// The member's endpoint.
        endpoint: String,
        /// Database size before, when known.
        before: Option<ByteSize>,
        /// Database size after, read from the member again.
        after: Option<ByteSize>,
        /// How long the defragmentation took.
        elapsed: Duration,
    },
    /// An alarm was disarmed.
    Disarmed {
        /// The alarm.
        alarm: Alarm,
    },
    /// The test write after the disarm succeeded: the cluster accepts writes.
    Probed,
}

// ---------------------------------------------------------------- status

async fn member_status(m: Member, known_dead: Option<String>) -> MemberStatus {
    let mut ms = MemberStatus {
        endpoint: m.endpoint.clone(),
        id: m.id,
        name: m.name.clone(),
        learner: m.is_learner,
        live: None,
        quota_backend_bytes: None,
        problems: Vec::new(),
    };
    if let Some(why) = known_dead {
        ms.problems.push(why);
        return ms;
    }
    let (st, me) = tokio::join!(m.status(), m.metrics());
    let (mm, metrics_problem) = match me {
        Ok(mm) => (Some(mm), None),
        Err(e) => (None, Some(e.to_string())),
    };
    match st {
        Ok(s) => {
            let id = MemberId(s.header().map(|h| h.member_id()).unwrap_or(0));
            ms.id = ms.id.or(Some(id));
            ms.live = Some(LiveStatus {
                id,
                version: s.version().to_string(),
                db_size: ByteSize::b(s.db_size().max(0) as u64),
                db_size_in_use: crate::metrics::in_use(s.raft_used_db_size(), mm.as_ref()),
                leader: (s.leader() != 0).then_some(MemberId(s.leader())),
                is_learner: s.is_learner(),
                raft_term: s.raft_term(),
                raft_index: s.raft_index(),
                revision: s.header().map(|h| h.revision()).unwrap_or(0),
                errors: s.errors().to_vec(),
            });
            ms.problems.extend(metrics_problem);
        }
        Err(e) => ms.problems.push(e.to_string()),
    }
    ms.quota_backend_bytes = mm.and_then(|m| m.quota_backend_bytes);
    ms
}

/// A listed member that advertises no client URL, as a status: unreachable.
fn unaddressable_status(lm: &ListedMember) -> MemberStatus {
    MemberStatus {
        endpoint: format!("(member {} has no client URL)", lm.id),
        id: Some(lm.id),
        name: Some(lm.name.clone()).filter(|n| !n.is_empty()),
        learner: lm.is_learner,
        live: None,
        quota_backend_bytes: None,
        problems: vec![
            "it advertises no client URL: added to the cluster but never started?".to_string(),
        ],
    }
}

/// Queries every member of the member list concurrently, each through its
/// own client on its advertised URL, and the alarms from the member that
/// answered the member list, then diagnoses. One round trip after
/// discovery: statuses, metrics and alarms go out together.
pub async fn status(cluster: &Cluster) -> ClusterStatus {
    let handles: Vec<_> = cluster
        .members
        .iter()
        .map(|m| {
            let dead = cluster.discovery.dead.contains(&m.endpoint).then(|| {
                cluster
                    .discovery
                    .errors
                    .iter()
                    .find(|(e, _)| e == &m.endpoint)
                    .map(|(_, why)| why.clone())
                    .unwrap_or_else(|| "unreachable".into())
            });
            tokio::spawn(member_status(m.clone(), dead))
        })
        .collect();
    let first_alarms = match cluster.first_answering() {
        Some(m) => Some(alarms_of(m).await),
        None => None,
    };
    let mut members = Vec::with_capacity(handles.len());
    for (h, m) in handles.into_iter().zip(&cluster.members) {
        members.push(h.await.unwrap_or_else(|e| MemberStatus {
            endpoint: m.endpoint.clone(),
            id: m.id,
            name: m.name.clone(),
            learner: m.is_learner,
            live: None,
            quota_backend_bytes: None,
            problems: vec![format!("internal error: {e}")],
        }));
    }
    members.extend(
        cluster
            .discovery
            .unaddressable
            .iter()
            .map(unaddressable_status),
    );
    let mut alarms = Vec::new();
    match first_alarms {
        Some(Ok(a)) => alarms = a,
        _ => {
            // Prefer the leader, then any reachable member.
            let mut order: Vec<usize> = (0..cluster.members.len())
                .filter(|&i| members[i].is_reachable())
                .collect();
            order.sort_by_key(|&i| !members[i].is_leader());
            for i in order {
                if let Ok(a) = alarms_of(&cluster.members[i]).await {
                    alarms = a;
                    break;
                }
            }
        }
    }
    let findings = diagnose(
        &members,
        &alarms,
        &cluster.member_list,
        cluster.config.configured_quota.as_ref(),
        &cluster.discovery.bootstrap,
        &cluster.config.findings,
    );
    ClusterStatus {
        members,
        alarms,
        findings,
        member_list: cluster.member_list.clone(),
    }
}

async fn alarms_of(m: &Member) -> Result<Vec<Alarm>, EtcdError> {
    let mut c = m.client.clone();
    let r = m
        .call("alarm list", m.timeouts.command, async move {
            c.alarm(AlarmAction::Get, AlarmType::None, None).await
        })
        .await?;
    Ok(r.alarms()
        .iter()
        .map(|a| Alarm {
            member_id: MemberId(a.member_id()),
            alarm: AlarmKind::from_raw(a.alarm() as i32),
        })
        .collect())
}

fn first_reachable<'a>(cluster: &'a Cluster, st: &ClusterStatus) -> Option<&'a Member> {
    st.leader()
        .or_else(|| st.members.iter().find(|m| m.is_reachable()))
        .and_then(|m| cluster.member(&m.endpoint))
}

// ---------------------------------------------------------------- alarms

/// Lists the cluster's alarms through the first member that answers.
pub async fn alarm_list(cluster: &Cluster) -> Result<Vec<Alarm>, EtcdError> {
    let mut last = None;
    let first = cluster.first_answering();
    for m in first.into_iter().chain(
        cluster
            .members
            .iter()
            .filter(|m| Some(m.endpoint.as_str()) != first.map(|f| f.endpoint.as_str())),
    ) {
        match alarms_of(m).await {
            Ok(a) => return Ok(a),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or(EtcdError::NoHealthyMember("alarm list")))
}

/// Deactivates one alarm: alarms are per (member, type), so each is
/// disarmed on its own.
pub async fn disarm_one(m: &Member, alarm: Alarm) -> Result<(), EtcdError> {
    let mut c = m.client.clone();
    let mut opts = AlarmOptions::new();
    opts.with_member(alarm.member_id.0);
    let kind = match alarm.alarm {
        AlarmKind::Nospace => AlarmType::Nospace,
        AlarmKind::Corrupt => AlarmType::Corrupt,
        AlarmKind::Other(_) => AlarmType::None,
    };
    m.call("alarm disarm", m.timeouts.command, async move {
        c.alarm(AlarmAction::Deactivate, kind, Some(opts)).await
    })
    .await?;
    Ok(())
}

/// An alarm `alarm disarm` left raised, with why.
#[derive(Debug, Clone, Serialize)]
pub struct KeptAlarm {
    /// The member that raised it.
    pub member_id: MemberId,
    /// Its type.
    pub alarm: AlarmKind,
    /// Why it was kept.
    pub reason: String,
}

/// What `alarm disarm` did.
#[derive(Debug, Clone, Serialize)]
pub struct DisarmReport {
    /// Alarms disarmed.
    pub disarmed: Vec<Alarm>,
    /// Alarms left in place, with why.
    pub kept: Vec<KeptAlarm>,
    /// Why disarming now may be premature (a member still above 0.9 × quota).
    pub warnings: Vec<String>,
}

/// Disarms NOSPACE alarms (and CORRUPT ones only when `include_corrupt`).
pub async fn alarm_disarm(
    cluster: &Cluster,
    include_corrupt: bool,
) -> Result<DisarmReport, EtcdError> {
    let st = status(cluster).await;
    let m = first_reachable(cluster, &st).ok_or(EtcdError::NoHealthyMember("alarm disarm"))?;
    let warnings = plan::disarm_blockers(&st.members);
    let mut report = DisarmReport {
        disarmed: vec![],
        kept: vec![],
        warnings,
    };
    let current = alarms_of(m).await?;
    let (ok, kept) = plan::disarmable(&current, &st.members, include_corrupt, true);
    for a in ok {
        disarm_one(m, a).await?;
        report.disarmed.push(a);
    }
    report.kept = kept
        .into_iter()
        .map(|(a, reason)| KeptAlarm {
            member_id: a.member_id,
            alarm: a.alarm,
            reason,
        })
        .collect();
    Ok(report)
}

// ---------------------------------------------------------------- compact

/// Compacts the key history up to `revision` (the current one when
/// `None`), physically: the call returns once the backend has dropped the
/// old revisions, so a following defragmentation can give the space back.
/// Compacting to a revision already compacted is not an error (idempotence).
pub async fn compact(cluster: &Cluster, revision: Option<i64>) -> Result<CompactReport, EtcdError> {
    let st = status(cluster).await;
    let m = first_reachable(cluster, &st).ok_or(EtcdError::NoHealthyMember("compact"))?;
    let rev = match revision {
        Some(r) => r,
        None => st
            .leader()
            .or_else(|| st.members.iter().find(|m| m.is_reachable()))
            .and_then(|m| m.live.as_ref().map(|l| l.revision))
            .ok_or(EtcdError::NoHealthyMember("compact"))?,
    };
    compact_on(m, rev).await
}

/// The result of a compaction.
#[derive(Debug, Clone, Serialize)]
pub struct CompactReport {
    /// The member the request went to (compaction applies cluster-wide).
    pub endpoint: String,
    /// The revision compacted to.
    pub revision: i64,
    /// True when history was already compacted at or past `revision`.
    pub already_compacted: bool,
}

async fn compact_on(m: &Member, rev: i64) -> Result<CompactReport, EtcdError> {
    let mut c = m.client.clone();
    // Physical compaction of a large history can take longer than an
    // ordinary request.
    let r = m
        .call("compact", m.timeouts.defrag, async move {
            c.compact(rev, Some(CompactionOptions::new().with_physical()))
                .await
        })
        .await;
    match r {
        Ok(_) => Ok(CompactReport {
            endpoint: m.endpoint.clone(),
            revision: rev,
            already_compacted: false,
        }),
        Err(EtcdError::Rpc { message, .. }) if message.contains("has been compacted") => {
            Ok(CompactReport {
                endpoint: m.endpoint.clone(),
                revision: rev,
                already_compacted: true,
            })
        }
        Err(e) => Err(e),
    }
}

// ---------------------------------------------------------------- monitoring

/// `kubemagic etcd status --output nagios`: connect, read every member's
/// status, apply the monitoring rules ([`crate::monitor::report`]). A
/// cluster that cannot be asked at all is UNKNOWN here only when even the
/// connection could not be set up (bad configuration); unreachable members
/// are CRITICAL through the rules.
pub async fn nagios_check(
    config: crate::Config,
    thresholds: crate::monitor::Thresholds,
) -> kubemagic_core::nagios::PluginOutput {
    match Cluster::connect(config).await {
        Ok(cluster) => crate::monitor::report(&status(&cluster).await, thresholds),
        Err(e) => {
            kubemagic_core::nagios::PluginOutput::unknown(crate::monitor::SERVICE, e.to_string())
        }
    }
}

// ---------------------------------------------------------------- defrag

/// One member's defragmentation.
#[derive(Debug, Clone, Serialize)]
pub struct DefragResult {
    /// The member's endpoint.
    pub endpoint: String,
    /// Database size before, when it could be read.
    pub before: Option<ByteSize>,
    /// Database size after, when it could be read.
    pub after: Option<ByteSize>,
    /// Wall time of the defragmentation, in seconds.
    pub seconds: f64,
    /// Why it failed; `None` on success.
    pub error: Option<String>,
}

/// What `defrag` did.
#[derive(Debug, Clone, Serialize)]
pub struct DefragReport {
    /// One entry per member attempted, in order.
    pub results: Vec<DefragResult>,
    /// Members not defragmented, with why.
    pub skipped: Vec<Skipped>,
}

impl DefragReport {
    /// Whether any attempted defragmentation failed.
    pub fn failed(&self) -> bool {
        self.results.iter().any(|r| r.error.is_some())
    }

    /// No member failed and none was skipped for being unhealthy (members
    /// skipped as learners or as not worth it are not failures: `defrag
    /// --only-fragmented` with nothing to do succeeds).
    pub fn succeeded(&self) -> bool {
        !self.failed() && !self.skipped.iter().any(|s| s.unhealthy)
    }
}

async fn defrag_member(m: &Member) -> Result<(), EtcdError> {
    let mut c = m.client.clone();
    m.call("defragment", m.timeouts.defrag, async move {
        c.defragment().await
    })
    .await?;
    Ok(())
}

/// Defragments one member with its size read before and after and the
/// progress reported around it: what `defrag` and `maintain` do per member.
async fn defrag_one(
    m: &Member,
    ep: &str,
    index: usize,
    total: usize,
    progress: &mut (dyn FnMut(&Progress) + Send),
) -> DefragResult {
    let before = db_size_of(m).await;
    progress(&Progress::DefragStart {
        endpoint: ep.to_string(),
        index,
        total,
        db_size: before,
    });
    let t = Instant::now();
    let r = defrag_member(m).await;
    let after = db_size_of(m).await;
    progress(&Progress::DefragDone {
        endpoint: ep.to_string(),
        before,
        after,
        elapsed: t.elapsed(),
    });
    DefragResult {
        endpoint: ep.to_string(),
        before,
        after,
        seconds: t.elapsed().as_secs_f64(),
        error: r.err().map(|e| e.to_string()),
    }
}

async fn db_size_of(m: &Member) -> Option<ByteSize> {
    m.status()
        .await
        .ok()
        .map(|s| ByteSize::b(s.db_size().max(0) as u64))
}

/// Defragments members one at a time, followers first and the leader last,
/// skipping learners and unhealthy members; `only` limits to one endpoint,
/// `only_fragmented` to members where a defragmentation is worth it.
/// Stops at the first failure: defragmenting the next member while one is
/// in trouble could cost quorum.
pub async fn defrag(
    cluster: &Cluster,
    only: Option<&str>,
    only_fragmented: bool,
    progress: &mut (dyn FnMut(&Progress) + Send),
) -> Result<DefragReport, EtcdError> {
    let st = status(cluster).await;
    let DefragPlan { order, skipped } = plan::defrag_order(&st.members, only, only_fragmented);
    if let Some(o) = only {
        if order.is_empty() && skipped.is_empty() {
            return Err(EtcdError::InvalidEndpoint {
                endpoint: o.to_string(),
                message: format!(
                    "not the client URL of any member (members: {})",
                    cluster
                        .members
                        .iter()
                        .map(|m| m.endpoint.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        }
    }
    let mut results = Vec::new();
    let total = order.len();
    let voting = if st.member_list.is_empty() {
        st.members.len()
    } else {
        st.member_list.iter().filter(|m| !m.is_learner).count()
    };
    for (i, ep) in order.iter().enumerate() {
        // Re-check every member before each defragmentation, as OpenShift's
        // controller does. A member down is skipped only while taking one
        // more member out for defragmentation keeps quorum.
        let health = health_now(cluster).await;
        let healthy = health.iter().filter(|(_, why)| why.is_none()).count();
        if let Some((_, Some(why))) = health.iter().find(|(e, _)| e == ep) {
            results.push(DefragResult {
                endpoint: ep.clone(),
                before: None,
                after: None,
                seconds: 0.0,
                error: Some(format!("not started: the member became unhealthy ({why})")),
            });
            break;
        }
        if !plan::may_defrag_now(healthy, voting.max(health.len())) {
            let down: Vec<String> = health
                .iter()
                .filter_map(|(e, why)| why.as_ref().map(|w| format!("{e} ({w})")))
                .collect();
            results.push(DefragResult {
                endpoint: ep.clone(),
                before: None,
                after: None,
                seconds: 0.0,
                error: Some(format!(
                    "not started: only {healthy} of {} members healthy (down: {}); blocking one more \
                     for defragmentation would lose quorum",
                    voting.max(health.len()),
                    down.join(", ")
                )),
            });
            break;
        }
        let Some(m) = cluster.member(ep) else {
            continue;
        };
        let result = defrag_one(m, ep, i + 1, total, progress).await;
        let failed = result.error.is_some();
        results.push(result);
        if failed {
            break;
        }
    }
    Ok(DefragReport { results, skipped })
}

// ---------------------------------------------------------------- snapshot

/// A snapshot written to disk.
#[derive(Debug, Clone, Serialize)]
pub struct SnapshotReport {
    /// The member it was streamed from.
    pub endpoint: String,
    /// The file written.
    pub path: PathBuf,
    /// Its size.
    pub size: ByteSize,
    /// SHA-256 of the file as written, hex.
    pub sha256: String,
    /// The member's revision in the status read just before the snapshot;
    /// `None` when that status could not be read.
    pub revision: Option<i64>,
}

/// Streams a snapshot from one member (the leader unless `endpoint` names
/// one) into a temporary file beside `path`, checks etcd's trailing SHA-256
/// (the server appends the digest of the database to the stream), fsyncs,
/// renames into place and fsyncs the directory. A failure leaves no partial
/// file at `path`.
pub async fn snapshot_save(
    cluster: &Cluster,
    path: &Path,
    endpoint: Option<&str>,
) -> Result<SnapshotReport, EtcdError> {
    use sha2::{Digest, Sha256};
    use tokio::io::AsyncWriteExt;

    let st = status(cluster).await;
    let m = match endpoint {
        Some(e) => cluster
            .member(e)
            .ok_or_else(|| EtcdError::InvalidEndpoint {
                endpoint: e.to_string(),
                message: format!(
                    "not the client URL of any member (members: {})",
                    cluster
                        .members
                        .iter()
                        .map(|m| m.endpoint.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            })?,
        None => first_reachable(cluster, &st).ok_or(EtcdError::NoHealthyMember("snapshot"))?,
    };
    let revision = st
        .members
        .iter()
        .find(|s| s.endpoint == m.endpoint)
        .and_then(|s| s.live.as_ref().map(|l| l.revision));
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let io = |source| EtcdError::Io {
        path: path.to_path_buf(),
        source,
    };
    let tmp = tempfile::Builder::new()
        .prefix(".kubemagic-snapshot-")
        .tempfile_in(&dir)
        .map_err(|source| EtcdError::Io {
            path: dir.clone(),
            source,
        })?;
    let (std_file, tmp_path) = tmp.into_parts();
    let mut file = tokio::fs::File::from_std(std_file);

    let mut c = m.client.clone();
    let mut stream = m
        .call(
            "snapshot",
            m.timeouts.command,
            async move { c.snapshot().await },
        )
        .await?;
    let mut whole = Sha256::new();
    let mut body = Sha256::new();
    // The last 32 bytes are etcd's digest of everything before them; keep
    // them back until the stream ends.
    let mut tail: Vec<u8> = Vec::with_capacity(64);
    let mut size: u64 = 0;
    loop {
        let msg = m
            .call("snapshot", m.timeouts.defrag, stream.message())
            .await?;
        let Some(msg) = msg else { break };
        let blob = msg.blob();
        whole.update(blob);
        size += blob.len() as u64;
        file.write_all(blob).await.map_err(io)?;
        tail.extend_from_slice(blob);
        if tail.len() > 32 {
            let cut = tail.len() - 32;
            body.update(&tail[..cut]);
            tail.drain(..cut);
        }
    }
    if tail.len() != 32 {
        return Err(EtcdError::SnapshotIntegrity {
            endpoint: m.endpoint.clone(),
            message: format!("stream ended after {size} bytes, too short to hold a digest"),
        });
    }
    if body.finalize().as_slice() != tail.as_slice() {
        return Err(EtcdError::SnapshotIntegrity {
            endpoint: m.endpoint.clone(),
            message: "trailing SHA-256 does not match the data (truncated or corrupted stream)"
                .into(),
        });
    }
    file.flush().await.map_err(io)?;
    file.sync_all().await.map_err(io)?;
    drop(file);
    tmp_path.persist(path).map_err(|e| io(e.error))?;
    if let Ok(d) = std::fs::File::open(&dir) {
        // Make the rename itself durable.
        let _ = d.sync_all();
    }
    let sha256 = whole
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(SnapshotReport {
        endpoint: m.endpoint.clone(),
        path: path.to_path_buf(),
        size: ByteSize::b(size),
        sha256,
        revision,
    })
}

// ---------------------------------------------------------------- usage

/// Keys and bytes of one Kubernetes resource (see [`resource_of`]).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ResourceUsage {
    /// The resource, e.g. `pods` or `apiregistration.k8s.io/apiservices`.
    pub resource: String,
    /// Number of keys.
    pub keys: u64,
    /// Key plus value bytes (key bytes only with `keys_only`).
    pub bytes: ByteSize,
}

/// Where a member's keyspace goes, per resource: what fills a database.
#[derive(Debug, Clone, Serialize)]
pub struct UsageReport {
    /// The member read.
    pub endpoint: String,
    /// The key prefix scanned.
    pub prefix: String,
    /// The revision every page was read at, so that the totals are one
    /// consistent view.
    pub revision: i64,
    /// Whether only keys were read (cheaper; bytes then count keys only).
    pub keys_only: bool,
    /// Keys under the prefix.
    pub total_keys: u64,
    /// Bytes under the prefix.
    pub total_bytes: ByteSize,
    /// Sorted by bytes, largest first.
    pub resources: Vec<ResourceUsage>,
}

/// The Kubernetes resource a key belongs to: `/registry/pods/ns/name` →
/// `pods`; `/registry/apiregistration.k8s.io/apiservices/x` →
/// `apiregistration.k8s.io/apiservices` (API groups contain a dot).
pub fn resource_of(key: &[u8], prefix: &str) -> String {
    let k = String::from_utf8_lossy(key);
    let rest = k.strip_prefix(prefix).unwrap_or(&k);
    let mut parts = rest.split('/').filter(|p| !p.is_empty());
    match (parts.next(), parts.next()) {
        (Some(a), Some(b)) if a.contains('.') => format!("{a}/{b}"),
        (Some(a), _) => a.to_string(),
        _ => "(root)".to_string(),
    }
}

/// The end of the key range that holds every key starting with `prefix`.
fn prefix_end(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return end;
        }
    }
    vec![0]
}

/// Counts keys and bytes per resource under `prefix`, page by page at one
/// pinned revision (so the totals are a consistent picture), through a
/// serializable read on one member so the leader is not loaded.
pub async fn usage(
    cluster: &Cluster,
    prefix: &str,
    keys_only: bool,
    page: i64,
) -> Result<UsageReport, EtcdError> {
    let st = status(cluster).await;
    let m = first_reachable(cluster, &st).ok_or(EtcdError::NoHealthyMember("usage"))?;
    let end = prefix_end(prefix.as_bytes());
    let mut from = prefix.as_bytes().to_vec();
    let mut revision = 0i64;
    let mut per: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    loop {
        let mut opts = GetOptions::new()
            .with_range(end.clone())
            .with_limit(page.max(1));
        if keys_only {
            opts = opts.with_keys_only();
        }
        if revision > 0 {
            opts = opts.with_revision(revision);
        }
        let mut c = m.client.clone();
        let key = from.clone();
        let resp = m
            .call("get", m.timeouts.command, async move {
                c.get(key, Some(opts)).await
            })
            .await?;
        if revision == 0 {
            revision = resp.header().map(|h| h.revision()).unwrap_or(0);
        }
        let kvs = resp.kvs();
        for kv in kvs {
            let e = per.entry(resource_of(kv.key(), prefix)).or_default();
            e.0 += 1;
            e.1 += (kv.key().len() + kv.value().len()) as u64;
        }
        match kvs.last() {
            Some(last) if resp.more() => {
                from = last.key().to_vec();
                from.push(0);
            }
            _ => break,
        }
    }
    let mut resources: Vec<ResourceUsage> = per
        .into_iter()
        .map(|(resource, (keys, bytes))| ResourceUsage {
            resource,
            keys,
            bytes: ByteSize::b(bytes),
        })
        .collect();
    resources.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.resource.cmp(&b.resource)));
    Ok(UsageReport {
        endpoint: m.endpoint.clone(),
        prefix: prefix.to_string(),
        revision,
        keys_only,
        total_keys: resources.iter().map(|r| r.keys).sum(),
        total_bytes: ByteSize::b(resources.iter().map(|r| r.bytes.as_u64()).sum()),
        resources,
    })
}

// ---------------------------------------------------------------- maintain

/// What `kubemagic etcd maintain` did (`--output json` prints it).
#[derive(Debug, Clone, Serialize)]
pub struct MaintainReport {
    /// Nothing was done: the plan only.
    pub dry_run: bool,
    /// Why maintain refused to touch the cluster, if it did.
    pub refusal: Option<MaintainRefusal>,
    /// What the run planned; `None` when it refused.
    pub plan: Option<MaintainPlan>,
    /// True when the plan had nothing to do (exit 0).
    pub nothing_to_do: bool,
    /// The compaction, with `--compact`.
    pub compacted: Option<CompactReport>,
    /// The snapshot written, with `--snapshot-dir`.
    pub snapshot: Option<SnapshotReport>,
    /// Old snapshots removed by the retention (`--keep`).
    pub deleted_snapshots: Vec<PathBuf>,
    /// Each member's defragmentation, in order.
    pub defrag: Vec<DefragResult>,
    /// What went wrong after the run started; the run stopped at the first.
    pub errors: Vec<String>,
}

impl MaintainReport {
    /// Not refused, and every step done without error.
    pub fn succeeded(&self) -> bool {
        self.refusal.is_none()
            && self.errors.is_empty()
            && self.defrag.iter().all(|d| d.error.is_none())
    }
}

/// The lock of one maintain run: a key under [`maintain::LOCK_KEY`]
/// attached to a lease that a background task keeps alive. Dropping it
/// without [`MaintainLock::release`] lets the lease expire.
pub struct MaintainLock {
    lease: i64,
    member: Member,
    keeper: tokio::task::JoinHandle<()>,
}

impl MaintainLock {
    /// Takes the lock, or says who holds it. Put-if-absent in one
    /// transaction, so two runs cannot both win.
    pub async fn acquire(cluster: &Cluster, holder: &str) -> Result<Self, MaintainLockError> {
        let m = cluster
            .first_answering()
            .or_else(|| cluster.members.first())
            .ok_or(MaintainLockError::Etcd(EtcdError::NoHealthyMember(
                "maintain lock",
            )))?
            .clone();
        let ttl = maintain::LOCK_TTL.as_secs() as i64;
        let mut c = m.client.clone();
        let lease = m
            .call("lease grant", m.timeouts.command, async move {
                c.lease_grant(ttl, None).await
            })
            .await?
            .id();
        let mut c = m.client.clone();
        let txn = Txn::new()
            .when(vec![Compare::create_revision(
                maintain::LOCK_KEY,
                CompareOp::Equal,
                0,
            )])
            .and_then(vec![TxnOp::put(
                maintain::LOCK_KEY,
                holder,
                Some(PutOptions::new().with_lease(lease)),
            )])
            .or_else(vec![TxnOp::get(maintain::LOCK_KEY, None)]);
        let r = m
            .call("lock", m.timeouts.command, async move { c.txn(txn).await })
            .await;
        let r = match r {
            Ok(r) => r,
            Err(e) => {
                revoke(&m, lease).await;
                return Err(e.into());
            }
        };
        if !r.succeeded() {
            revoke(&m, lease).await;
            let holder = r
                .op_responses()
                .into_iter()
                .find_map(|op| match op {
                    etcd_client::TxnOpResponse::Get(g) => g
                        .kvs()
                        .first()
                        .map(|kv| String::from_utf8_lossy(kv.value()).to_string()),
                    _ => None,
                })
                .unwrap_or_else(|| "unknown holder".into());
            return Err(MaintainLockError::Locked(holder));
        }
        let mut c = m.client.clone();
        let keeper = tokio::spawn(async move {
            let Ok((mut k, mut stream)) = c.lease_keep_alive(lease).await else {
                return;
            };
            loop {
                if k.keep_alive().await.is_err() {
                    return;
                }
                let _ = stream.message().await;
                tokio::time::sleep(maintain::LOCK_TTL / 3).await;
            }
        });
        Ok(MaintainLock {
            lease,
            member: m,
            keeper,
        })
    }

    /// Releases the lock now (revokes the lease, which deletes the key).
    pub async fn release(self) {
        self.keeper.abort();
        revoke(&self.member, self.lease).await;
    }
}

async fn revoke(m: &Member, lease: i64) {
    let mut c = m.client.clone();
    let _ = m
        .call("lease revoke", m.timeouts.command, async move {
            c.lease_revoke(lease).await
        })
        .await;
}

/// Why the maintain lock was not taken.
#[derive(Debug, thiserror::Error)]
pub enum MaintainLockError {
    /// Another run holds the lock: its holder.
    #[error("held by {0}")]
    Locked(String),
    /// etcd failed while the lock was being taken.
    #[error(transparent)]
    Etcd(#[from] EtcdError),
}

/// Who holds the lock, for the other runs' refusal: pid, host and start.
fn lock_holder() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "unknown host".into());
    format!(
        "pid {} on {host}, started {}",
        std::process::id(),
        maintain::timestamp(std::time::SystemTime::now())
    )
}

/// Waits until every member is healthy again after a defragmentation
/// (a defragmented member answers again, its followers caught up), up to
/// `within`. Returns the member still unhealthy at the deadline.
async fn settle(cluster: &Cluster, within: Duration) -> Option<(String, String)> {
    let deadline = Instant::now() + within;
    loop {
        let bad = first_unhealthy_now(cluster).await;
        match bad {
            None => return None,
            Some(b) if Instant::now() >= deadline => return Some(b),
            Some(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

/// The status once every member has applied a compaction: members apply it
/// asynchronously and report the freed pages at their next backend commit
/// (every 100 ms by default), so the in-use sizes are read until two
/// readings 300 ms apart agree (at most 5 s).
///
/// bbolt only reuses the pages a compaction freed once a later write
/// transaction commits with no older reader left; until then they count as
/// in use. Two small writes of `/kubemagic/maintain/last-compaction`
/// (through raft, so on every member) make every backend commit.
async fn after_compaction(cluster: &Cluster, m: &Member, revision: i64) -> ClusterStatus {
    let deadline = Instant::now() + Duration::from_secs(5);
    for _ in 0..2 {
        let mut c = m.client.clone();
        let _ = m
            .call("put", m.timeouts.command, async move {
                c.put(maintain::LAST_COMPACTION_KEY, revision.to_string(), None)
                    .await
            })
            .await;
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let mut prev = status(cluster).await;
    loop {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let now = status(cluster).await;
        let sizes = |st: &ClusterStatus| -> Vec<Option<ByteSize>> {
            st.members
                .iter()
                .map(|m| m.live.as_ref().and_then(|l| l.db_size_in_use))
                .collect()
        };
        if sizes(&now) == sizes(&prev) || Instant::now() >= deadline {
            return now;
        }
        prev = now;
    }
}

/// Routine maintenance under a lock (see [`crate::maintain`]): refuses with
/// any member down or any alarm; compacts first with `--compact`; takes a
/// verified snapshot from the leader named with time and member and keeps
/// the newest `keep`; defragments only the members that need it, one at a
/// time, followers first, leader last, waiting for every member to be
/// healthy between two. Stops at the first failure.
pub async fn maintain(
    cluster: &Cluster,
    opts: &MaintainOptions,
    progress: &mut (dyn FnMut(&Progress) + Send),
) -> MaintainReport {
    let st = status(cluster).await;
    let mut report = MaintainReport {
        dry_run: opts.dry_run,
        refusal: None,
        plan: None,
        nothing_to_do: false,
        compacted: None,
        snapshot: None,
        deleted_snapshots: vec![],
        defrag: vec![],
        errors: vec![],
    };
    let p = match maintain::maintain_plan(&st, opts) {
        Ok(p) => p,
        Err(r) => {
            report.refusal = Some(r);
            return report;
        }
    };
    report.nothing_to_do = p.is_empty();
    report.plan = Some(p.clone());
    if opts.dry_run || p.is_empty() {
        return report;
    }
    let lock = match MaintainLock::acquire(cluster, &lock_holder()).await {
        Ok(l) => l,
        Err(MaintainLockError::Locked(holder)) => {
            report.refusal = Some(MaintainRefusal::Locked { holder });
            return report;
        }
        Err(MaintainLockError::Etcd(e)) => {
            report
                .errors
                .push(format!("cannot take the maintain lock: {e}"));
            return report;
        }
    };
    maintain_locked(cluster, opts, &p, &st, &mut report, progress).await;
    lock.release().await;
    report
}

async fn maintain_locked(
    cluster: &Cluster,
    opts: &MaintainOptions,
    p: &MaintainPlan,
    st: &ClusterStatus,
    report: &mut MaintainReport,
    progress: &mut (dyn FnMut(&Progress) + Send),
) {
    if let Some(rev) = p.compact_revision {
        let Some(m) = first_reachable(cluster, st) else {
            report
                .errors
                .push("no member reachable for compaction".into());
            return;
        };
        progress(&Progress::Compacting { revision: rev });
        match compact_on(m, rev).await {
            Ok(c) => {
                progress(&Progress::Compacted {
                    revision: c.revision,
                    already: c.already_compacted,
                });
                report.compacted = Some(c);
            }
            Err(e) => {
                report.errors.push(format!("compaction failed: {e}"));
                return;
            }
        }
    }
    if let (Some(dir), Some(from)) = (&opts.snapshot_dir, &p.snapshot_from) {
        let who = st
            .members
            .iter()
            .find(|m| &m.endpoint == from)
            .map(|m| {
                m.name
                    .clone()
                    .or(m.id.map(|i| i.to_string()))
                    .unwrap_or_else(|| m.endpoint.clone())
            })
            .unwrap_or_else(|| from.clone());
        let name = maintain::snapshot_name(std::time::SystemTime::now(), &who);
        let path = dir.join(&name);
        match snapshot_save(cluster, &path, Some(from)).await {
            Ok(r) => report.snapshot = Some(r),
            Err(e) => {
                report.errors.push(format!("snapshot failed: {e}"));
                return;
            }
        }
        let names: Vec<String> = match std::fs::read_dir(dir) {
            Ok(rd) => rd
                .filter_map(|e| e.ok())
                .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                .filter_map(|e| e.file_name().into_string().ok())
                .collect(),
            Err(e) => {
                report
                    .errors
                    .push(format!("cannot list {}: {e}", dir.display()));
                return;
            }
        };
        for old in maintain::snapshots_to_delete(&names, &name, opts.keep) {
            let path = dir.join(&old);
            match std::fs::remove_file(&path) {
                Ok(()) => report.deleted_snapshots.push(path),
                Err(e) => report
                    .errors
                    .push(format!("cannot delete {}: {e}", path.display())),
            }
        }
    }
    // Compaction frees pages: which members need a defragmentation is
    // decided again on what the members report now.
    let defrag = if report.compacted.is_some() {
        let rev = report.compacted.as_ref().map(|c| c.revision).unwrap_or(0);
        let Some(m) = first_reachable(cluster, st) else {
            report
                .errors
                .push("no member reachable after compaction".into());
            return;
        };
        let now = after_compaction(cluster, m, rev).await;
        let again = MaintainOptions {
            compact: false,
            snapshot_dir: None,
            ..opts.clone()
        };
        match maintain::maintain_plan(&now, &again) {
            Ok(p2) => {
                if let Some(plan) = report.plan.as_mut() {
                    plan.defrag = p2.defrag.clone();
                    plan.skipped = p2.skipped;
                }
                p2.defrag
            }
            Err(r) => {
                report.errors.push(format!("after compaction: {r}"));
                return;
            }
        }
    } else {
        p.defrag.clone()
    };
    let total = defrag.len();
    for (i, ep) in defrag.iter().enumerate() {
        if let Some((who, why)) = settle(cluster, Duration::from_secs(60)).await {
            report.errors.push(format!(
                "member {who} is unhealthy ({why}): stopped before defragmenting {ep}"
            ));
            return;
        }
        let Some(m) = cluster.member(ep) else {
            continue;
        };
        let result = defrag_one(m, ep, i + 1, total, progress).await;
        let failed = result.error.is_some();
        report.defrag.push(result);
        if failed {
            return;
        }
    }
    if let Some((who, why)) = settle(cluster, Duration::from_secs(60)).await {
        report.errors.push(format!(
            "member {who} did not settle after defragmentation: {why}"
        ));
    }
}

// ---------------------------------------------------------------- recover

/// One step of a recovery as it went.
#[derive(Debug, Clone, Serialize)]
pub struct StepReport {
    /// The step's name (`compact`, `defrag`, `disarm`, ...).
    pub step: String,
    /// Whether it succeeded.
    pub ok: bool,
    /// What happened, for the operator.
    pub detail: String,
}

/// What `kubemagic etcd recover` did, step by step.
#[derive(Debug, Clone, Serialize)]
pub struct RecoveryReport {
    /// Nothing was done: the plan only.
    pub dry_run: bool,
    /// Why recover refused to start, if it did.
    pub refusal: Option<Refusal>,
    /// What the recovery planned; `None` when it refused.
    pub plan: Option<RecoveryPlan>,
    /// The steps as they ran, in order.
    pub steps: Vec<StepReport>,
    /// Set when the run stopped before the end; the alarm was then NOT disarmed.
    pub stopped: Option<String>,
    /// NOSPACE alarms disarmed. A member's alarm is disarmed only once its
    /// size was read again after the defragmentation and found below
    /// 0.9 × its quota: disarming on a stale or unknown size would let the
    /// cluster fill up again at once.
    pub disarmed: Vec<Alarm>,
    /// A test write under [`PROBE_PREFIX`] succeeded and no alarm was left.
    pub write_probe_ok: bool,
    /// Why the database filled up, from the status before the run.
    pub root_cause: Vec<String>,
    /// The lasting fix ([`FIX_ADVICE`](crate::findings::FIX_ADVICE)).
    pub fix: String,
    /// The cluster as found.
    pub before: ClusterStatus,
    /// The cluster at the end; `None` when the run stopped before looking
    /// again.
    pub after: Option<ClusterStatus>,
}

impl RecoveryReport {
    /// True when the cluster accepts writes again with no alarm left.
    pub fn succeeded(&self) -> bool {
        self.refusal.is_none() && self.stopped.is_none() && (self.dry_run || self.write_probe_ok)
    }

    /// True when recovery acted on the cluster's state (an alarm was present
    /// or disarmed); never in a dry run. What Ansible reports as `changed`.
    pub fn changed(&self) -> bool {
        !self.dry_run && (!self.disarmed.is_empty() || !self.before.alarms.is_empty())
    }

    /// The report as `kubemagic etcd recover --output json` and
    /// `kubemagic.etcd.recover` give it: every field plus the derived
    /// `succeeded` and `changed`.
    pub fn to_json(&self) -> Result<serde_json::Value, serde_json::Error> {
        let mut value = serde_json::to_value(self)?;
        if let serde_json::Value::Object(map) = &mut value {
            map.insert("succeeded".into(), self.succeeded().into());
            map.insert("changed".into(), self.changed().into());
        }
        Ok(value)
    }
}

/// Key prefix of recover's test write, which proves the cluster accepts
/// writes again.
pub const PROBE_PREFIX: &str = "/kubemagic/probe";

fn step(report: &mut RecoveryReport, name: &str, ok: bool, detail: impl Into<String>) {
    report.steps.push(StepReport {
        step: name.into(),
        ok,
        detail: detail.into(),
    });
}

/// A light health check of every member, concurrently: the Status RPC only
/// (no metrics, member list or alarms), for the re-checks between two
/// defragmentations. Returns the first unhealthy member and why.
pub async fn first_unhealthy_now(cluster: &Cluster) -> Option<(String, String)> {
    health_now(cluster)
        .await
        .into_iter()
        .find_map(|(ep, why)| why.map(|w| (ep, w)))
}

/// Every member with why it is unhealthy (`None` when healthy), from a
/// concurrent Status round.
pub async fn health_now(cluster: &Cluster) -> Vec<(String, Option<String>)> {
    let handles: Vec<_> = cluster
        .members
        .iter()
        .map(|m| {
            let m = m.clone();
            tokio::spawn(async move {
                let r = m.status().await;
                (m.endpoint.clone(), r)
            })
        })
        .collect();
    let mut out = Vec::new();
    for (h, m) in handles.into_iter().zip(&cluster.members) {
        let Ok((ep, r)) = h.await else {
            out.push((m.endpoint.clone(), Some("internal error".to_string())));
            continue;
        };
        let why = match r {
            Err(e) => Some(e.to_string()),
            Ok(s) if s.leader() == 0 => Some("has no leader".to_string()),
            Ok(s) => {
                let bad: Vec<&String> = s
                    .errors()
                    .iter()
                    .filter(|e| !e.contains("NOSPACE"))
                    .collect();
                (!bad.is_empty()).then(|| format!("{bad:?}"))
            }
        };
        out.push((ep, why));
    }
    for lm in &cluster.discovery.unaddressable {
        out.push((
            format!("(member {} has no client URL)", lm.id),
            Some("it advertises no client URL".to_string()),
        ));
    }
    out
}

/// Returns the first unhealthy member of a fresh status, if any.
fn first_unhealthy(st: &ClusterStatus) -> Option<(String, String)> {
    st.members
        .iter()
        .find_map(|m| plan::unhealthy_reason(m).map(|r| (m.label(), r)))
}

/// The seed incident's fix in one command: (1) status, refusing without
/// quorum or with any unhealthy member; (2) compact to the current revision;
/// (3) defragment members one by one, followers first, each verified to
/// shrink, every member re-checked before the next; (4) disarm NOSPACE only
/// once every member is at most 0.9 × its quota; (5) prove a write works and
/// no alarm is left; (6) report root cause and fix. Idempotent: on a healthy
/// cluster it compacts, defragments and probes, and changes nothing else.
/// A member that dies mid-way stops the run before any disarm.
pub async fn recover(
    cluster: &Cluster,
    dry_run: bool,
    progress: &mut (dyn FnMut(&Progress) + Send),
) -> RecoveryReport {
    let before = status(cluster).await;
    let mut report = RecoveryReport {
        dry_run,
        refusal: None,
        plan: None,
        steps: vec![],
        stopped: None,
        disarmed: vec![],
        write_probe_ok: false,
        root_cause: plan::root_cause(&before.members, &before.alarms),
        fix: crate::findings::FIX_ADVICE.to_string(),
        before: before.clone(),
        after: None,
    };
    let rplan = match plan::recovery_plan(&before) {
        Ok(p) => p,
        Err(r) => {
            step(&mut report, "status", false, r.to_string());
            report.refusal = Some(r);
            return report;
        }
    };
    step(
        &mut report,
        "status",
        true,
        format!(
            "{} members healthy, {} NOSPACE alarm(s)",
            before.members.len(),
            rplan.disarm.len()
        ),
    );
    report.plan = Some(rplan.clone());
    if dry_run {
        return report;
    }

    // (2) compact
    let Some(leader) = before.leader().and_then(|l| cluster.member(&l.endpoint)) else {
        report.stopped = Some("leader vanished before compaction".into());
        return report;
    };
    progress(&Progress::Compacting {
        revision: rplan.compact_revision,
    });
    match compact_on(leader, rplan.compact_revision).await {
        Ok(c) => {
            progress(&Progress::Compacted {
                revision: c.revision,
                already: c.already_compacted,
            });
            step(
                &mut report,
                "compact",
                true,
                if c.already_compacted {
                    format!("already compacted at or past revision {}", c.revision)
                } else {
                    format!("compacted to revision {}", c.revision)
                },
            );
        }
        Err(e) => {
            step(&mut report, "compact", false, e.to_string());
            report.stopped = Some(format!("compaction failed: {e}; nothing disarmed"));
            return report;
        }
    }

    // (3) defragment, one member at a time, re-checking every member first.
    let total = rplan.defrag.order.len();
    for (i, ep) in rplan.defrag.order.iter().enumerate() {
        if let Some((who, why)) = first_unhealthy_now(cluster).await {
            step(&mut report, "defragment", false, format!("{who}: {why}"));
            report.stopped = Some(format!(
                "member {who} became unhealthy during recovery ({why}); stopped before defragmenting \
                 {ep}; NOSPACE NOT disarmed. Bring the member back, then run `kubemagic etcd recover` again"
            ));
            report.after = Some(status(cluster).await);
            return report;
        }
        let Some(m) = cluster.member(ep) else {
            continue;
        };
        let st = m.status().await.ok();
        let before_sz = st.as_ref().map(|s| ByteSize::b(s.db_size().max(0) as u64));
        let in_use = st
            .as_ref()
            .map(|s| ByteSize::b(s.raft_used_db_size().max(0) as u64));
        progress(&Progress::DefragStart {
            endpoint: ep.clone(),
            index: i + 1,
            total,
            db_size: before_sz,
        });
        let t = Instant::now();
        let r = defrag_member(m).await;
        let after_sz = db_size_of(m).await;
        progress(&Progress::DefragDone {
            endpoint: ep.clone(),
            before: before_sz,
            after: after_sz,
            elapsed: t.elapsed(),
        });
        if let Err(e) = r {
            step(&mut report, "defragment", false, e.to_string());
            report.stopped = Some(format!(
                "defragmentation of {ep} failed: {e}; NOSPACE NOT disarmed"
            ));
            report.after = Some(status(cluster).await);
            return report;
        }
        // Verify the member shrank when it had free pages to give back.
        let reclaimable = match (before_sz, in_use) {
            (Some(b), Some(u)) => b.as_u64().saturating_sub(u.as_u64()) > 256 * 1024,
            _ => false,
        };
        let shrank = match (before_sz, after_sz) {
            (Some(b), Some(a)) => a < b || (!reclaimable && a.as_u64() <= b.as_u64() + 64 * 1024),
            _ => false,
        };
        let detail = format!(
            "{ep}: {} -> {} in {:.1}s",
            before_sz.map(|b| b.to_string()).unwrap_or("?".into()),
            after_sz.map(|b| b.to_string()).unwrap_or("?".into()),
            t.elapsed().as_secs_f64()
        );
        if !shrank {
            step(&mut report, "defragment", false, detail.clone());
            report.stopped = Some(format!(
                "{detail}: the database did not shrink as expected (or the member stopped answering); NOSPACE NOT disarmed"
            ));
            report.after = Some(status(cluster).await);
            return report;
        }
        step(&mut report, "defragment", true, detail);
    }

    // (4) disarm, only with every member healthy and below 0.9 × quota.
    let now = status(cluster).await;
    if let Some((who, why)) = first_unhealthy(&now) {
        report.stopped = Some(format!(
            "member {who} became unhealthy during recovery ({why}); NOSPACE NOT disarmed"
        ));
        step(&mut report, "disarm", false, format!("{who}: {why}"));
        report.after = Some(now);
        return report;
    }
    let blockers = plan::disarm_blockers(&now.members);
    if !blockers.is_empty() {
        step(&mut report, "disarm", false, blockers.join("; "));
        report.stopped = Some(format!("NOSPACE NOT disarmed: {}", blockers.join("; ")));
        report.after = Some(now);
        return report;
    }
    let Some(m) = first_reachable(cluster, &now) else {
        report.stopped = Some("no member reachable for disarm".into());
        return report;
    };
    let current = match alarms_of(m).await {
        Ok(a) => a,
        Err(e) => {
            report.stopped = Some(format!("cannot list alarms: {e}"));
            return report;
        }
    };
    // Only alarms of members whose size was read just now, below 0.9 × quota.
    let (ok, kept) = plan::disarmable(&current, &now.members, false, false);
    if let Some((a, why)) = kept.iter().find(|(a, _)| a.alarm == AlarmKind::Nospace) {
        step(&mut report, "disarm", false, why.clone());
        report.stopped = Some(format!(
            "NOSPACE of member {} NOT disarmed: {why}",
            a.member_id
        ));
        report.after = Some(now);
        return report;
    }
    for a in ok {
        match disarm_one(m, a).await {
            Ok(()) => {
                progress(&Progress::Disarmed { alarm: a });
                report.disarmed.push(a);
            }
            Err(e) => {
                step(&mut report, "disarm", false, e.to_string());
                report.stopped = Some(format!(
                    "disarming {} of member {} failed: {e}",
                    a.alarm, a.member_id
                ));
                return report;
            }
        }
    }
    let detail = if report.disarmed.is_empty() {
        "no NOSPACE alarm to disarm".to_string()
    } else {
        format!("disarmed {} NOSPACE alarm(s)", report.disarmed.len())
    };
    step(&mut report, "disarm", true, detail);

    // (5) prove a write works and nothing is left.
    match probe_write(m).await {
        Ok(()) => {
            progress(&Progress::Probed);
            let left = alarms_of(m).await.unwrap_or_default();
            if left.is_empty() {
                report.write_probe_ok = true;
                step(
                    &mut report,
                    "probe",
                    true,
                    format!("wrote and deleted a key under {PROBE_PREFIX}; no alarm left"),
                );
            } else {
                step(
                    &mut report,
                    "probe",
                    false,
                    format!("alarms still raised: {left:?}"),
                );
                report.stopped = Some("alarms are still raised after disarm".into());
            }
        }
        Err(e) => {
            step(&mut report, "probe", false, e.to_string());
            report.stopped = Some(format!("the write probe failed: {e}"));
        }
    }
    report.after = Some(status(cluster).await);
    report
}

async fn probe_write(m: &Member) -> Result<(), EtcdError> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let key = format!("{PROBE_PREFIX}/{}-{nanos}", std::process::id());
    let mut c = m.client.clone();
    let k = key.clone();
    m.call("probe put", m.timeouts.command, async move {
        c.put(k, "ok", None).await
    })
    .await?;
    let mut c = m.client.clone();
    m.call("probe delete", m.timeouts.command, async move {
        c.delete(key, None).await
    })
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_map_to_kubernetes_resources() {
        assert_eq!(
            resource_of(b"/registry/pods/default/web-1", "/registry/"),
            "pods"
        );
        assert_eq!(
            resource_of(
                b"/registry/apiregistration.k8s.io/apiservices/v1.",
                "/registry/"
            ),
            "apiregistration.k8s.io/apiservices"
        );
        assert_eq!(resource_of(b"/registry/", "/registry/"), "(root)");
    }

    #[test]
    fn prefix_end_increments_the_last_byte() {
        assert_eq!(prefix_end(b"/registry/"), b"/registry0".to_vec());
        assert_eq!(prefix_end(b"a\xff"), b"b".to_vec());
        assert_eq!(prefix_end(b""), vec![0]);
    }
}

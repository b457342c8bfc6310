//! `maintain`: routine upkeep under the lock (the plan is
//! [`crate::maintain`]'s).

use super::defrag::{compact_on, defrag_one, CompactReport, DefragResult};
use super::first_reachable;
use super::lock::{lock_holder, MaintainLock, MaintainLockError};
use super::snapshot::SnapshotReport;
use super::status::{first_unhealthy_now, status};
use super::Progress;
use crate::client::{Cluster, Member};
use crate::maintain::{self, MaintainOptions, MaintainPlan, MaintainRefusal};
use crate::model::ClusterStatus;
use kubemagic_core::ByteSize;
use serde::Serialize;
use std::path::PathBuf;
use std::time::{Duration, Instant};

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
    /// Old snapshots removed by the retention (`--keep`): only ones this
    /// tool wrote and recorded in [`maintain::MANIFEST`].
    pub deleted_snapshots: Vec<PathBuf>,
    /// Temporary snapshot files a dead run left behind, removed.
    pub removed_temporary: Vec<PathBuf>,
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
        removed_temporary: vec![],
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
        if super::retention::snapshot_and_prune(cluster, st, dir, from, opts.keep(), report)
            .await
            .is_err()
        {
            return;
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

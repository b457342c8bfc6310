//! `compact` and `defrag`: giving the space of old revisions back, one
//! member at a time.

use super::first_reachable;
use super::status::{health_now, status};
use super::Progress;
use crate::client::{Cluster, Member};
use crate::error::EtcdError;
use crate::plan::{self, DefragPlan, Skipped};
use etcd_client::CompactionOptions;
use kubemagic_core::ByteSize;
use serde::Serialize;
use std::time::Instant;

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

pub(super) async fn compact_on(m: &Member, rev: i64) -> Result<CompactReport, EtcdError> {
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

pub(super) async fn defrag_member(m: &Member) -> Result<(), EtcdError> {
    let mut c = m.client.clone();
    m.call("defragment", m.timeouts.defrag, async move {
        c.defragment().await
    })
    .await?;
    Ok(())
}

/// Defragments one member with its size read before and after and the
/// progress reported around it: what `defrag` and `maintain` do per member.
pub(super) async fn defrag_one(
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

pub(super) async fn db_size_of(m: &Member) -> Option<ByteSize> {
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

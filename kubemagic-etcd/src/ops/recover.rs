//! `recover`: the seed incident's fix in one command.

use super::alarm::disarm_one;
use super::defrag::{compact_on, db_size_of, defrag_member};
use super::first_reachable;
use super::status::{alarms_of, first_unhealthy, first_unhealthy_now, status};
use super::Progress;
use crate::client::{Cluster, Member};
use crate::error::EtcdError;
use crate::model::{Alarm, AlarmKind, ClusterStatus};
use crate::plan::{self, RecoveryPlan, Refusal};
use kubemagic_core::ByteSize;
use serde::Serialize;
use std::time::Instant;

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
        self.refusal.is_none()
            && self.stopped.is_none()
            && (self.dry_run || self.write_probe_ok || self.nothing_to_repair())
    }

    /// The cluster was read and needed nothing: no NOSPACE alarm, every
    /// member below 80 % of its quota. Nothing was changed.
    pub fn nothing_to_repair(&self) -> bool {
        self.plan.as_ref().is_some_and(|p| p.nothing_to_repair)
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

/// The seed incident's fix in one command: (1) status, refusing without
/// quorum, with any unhealthy member or with the alarms unknown; (2) compact
/// to the current revision; (3) defragment members one by one, followers
/// first, each verified to shrink, every member re-checked before the next;
/// (4) disarm NOSPACE only once every member is at most 0.9 × its quota;
/// (5) prove a write works and no alarm is left; (6) report root cause and
/// fix. On a healthy cluster (no NOSPACE alarm, every member below 80 % of
/// its quota) it changes nothing: no compaction, no defragmentation, no
/// test write. A member that dies mid-way stops the run before any disarm.
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
    let detail = if rplan.nothing_to_repair {
        format!(
            "{} members healthy, no NOSPACE alarm, every member below {:.0} % of its quota: \
             nothing to repair",
            before.members.len(),
            crate::health::QUOTA_WARN_FRACTION * 100.0
        )
    } else {
        format!(
            "{} members healthy, {} NOSPACE alarm(s)",
            before.members.len(),
            rplan.disarm.len()
        )
    };
    step(&mut report, "status", true, detail);
    report.plan = Some(rplan.clone());
    if dry_run || rplan.nothing_to_repair {
        return report;
    }
    if repair(cluster, &before, &rplan, &mut report, progress)
        .await
        .is_ok()
    {
        report.after = Some(status(cluster).await);
    }
    report
}

/// Why a recovery stopped; the report already says so.
struct Stopped;

/// Steps 2 to 5, stopping at the first that fails (the report then says
/// why, and `after` is set where the cluster was looked at again).
async fn repair(
    cluster: &Cluster,
    before: &ClusterStatus,
    rplan: &RecoveryPlan,
    report: &mut RecoveryReport,
    progress: &mut (dyn FnMut(&Progress) + Send),
) -> Result<(), Stopped> {
    compact_step(cluster, before, rplan, report, progress).await?;
    let total = rplan.defrag.order.len();
    for (i, ep) in rplan.defrag.order.iter().enumerate() {
        defrag_step(cluster, ep, i + 1, total, report, progress).await?;
    }
    let m = disarm_step(cluster, report, progress).await?;
    probe_step(m, report, progress).await;
    Ok(())
}

/// (2) Compact on the leader to the revision of the plan.
async fn compact_step(
    cluster: &Cluster,
    before: &ClusterStatus,
    rplan: &RecoveryPlan,
    report: &mut RecoveryReport,
    progress: &mut (dyn FnMut(&Progress) + Send),
) -> Result<(), Stopped> {
    let Some(leader) = before.leader().and_then(|l| cluster.member(&l.endpoint)) else {
        report.stopped = Some("leader vanished before compaction".into());
        return Err(Stopped);
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
            let detail = if c.already_compacted {
                format!("already compacted at or past revision {}", c.revision)
            } else {
                format!("compacted to revision {}", c.revision)
            };
            step(report, "compact", true, detail);
            Ok(())
        }
        Err(e) => {
            step(report, "compact", false, e.to_string());
            report.stopped = Some(format!("compaction failed: {e}; nothing disarmed"));
            Err(Stopped)
        }
    }
}

/// (3) Defragment one member, every member re-checked first, and verify it
/// shrank when it had free pages to give back.
async fn defrag_step(
    cluster: &Cluster,
    ep: &str,
    index: usize,
    total: usize,
    report: &mut RecoveryReport,
    progress: &mut (dyn FnMut(&Progress) + Send),
) -> Result<(), Stopped> {
    if let Some((who, why)) = first_unhealthy_now(cluster).await {
        step(report, "defragment", false, format!("{who}: {why}"));
        report.stopped = Some(format!(
            "member {who} became unhealthy during recovery ({why}); stopped before defragmenting \
             {ep}; NOSPACE NOT disarmed. Bring the member back, then run `kubemagic etcd recover` again"
        ));
        report.after = Some(status(cluster).await);
        return Err(Stopped);
    }
    let Some(m) = cluster.member(ep) else {
        return Ok(());
    };
    let st = m.status().await.ok();
    let before_sz = st.as_ref().map(|s| ByteSize::b(s.db_size().max(0) as u64));
    let in_use = st
        .as_ref()
        .map(|s| ByteSize::b(s.raft_used_db_size().max(0) as u64));
    progress(&Progress::DefragStart {
        endpoint: ep.to_string(),
        index,
        total,
        db_size: before_sz,
    });
    let t = Instant::now();
    let r = defrag_member(m).await;
    let after_sz = db_size_of(m).await;
    progress(&Progress::DefragDone {
        endpoint: ep.to_string(),
        before: before_sz,
        after: after_sz,
        elapsed: t.elapsed(),
    });
    if let Err(e) = r {
        step(report, "defragment", false, e.to_string());
        report.stopped = Some(format!(
            "defragmentation of {ep} failed: {e}; NOSPACE NOT disarmed"
        ));
        report.after = Some(status(cluster).await);
        return Err(Stopped);
    }
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
        step(report, "defragment", false, detail.clone());
        report.stopped = Some(format!(
            "{detail}: the database did not shrink as expected (or the member stopped answering); NOSPACE NOT disarmed"
        ));
        report.after = Some(status(cluster).await);
        return Err(Stopped);
    }
    step(report, "defragment", true, detail);
    Ok(())
}

/// (4) Disarm, only with every member healthy and below 0.9 × its quota.
/// Returns the member the alarms were disarmed through, for the probe.
async fn disarm_step<'c>(
    cluster: &'c Cluster,
    report: &mut RecoveryReport,
    progress: &mut (dyn FnMut(&Progress) + Send),
) -> Result<&'c Member, Stopped> {
    let now = status(cluster).await;
    if let Some((who, why)) = first_unhealthy(&now) {
        report.stopped = Some(format!(
            "member {who} became unhealthy during recovery ({why}); NOSPACE NOT disarmed"
        ));
        step(report, "disarm", false, format!("{who}: {why}"));
        report.after = Some(now);
        return Err(Stopped);
    }
    let blockers = plan::disarm_blockers(&now.members);
    if !blockers.is_empty() {
        step(report, "disarm", false, blockers.join("; "));
        report.stopped = Some(format!("NOSPACE NOT disarmed: {}", blockers.join("; ")));
        report.after = Some(now);
        return Err(Stopped);
    }
    let Some(m) = first_reachable(cluster, &now) else {
        report.stopped = Some("no member reachable for disarm".into());
        return Err(Stopped);
    };
    let current = match alarms_of(m).await {
        Ok(a) => a,
        Err(e) => {
            report.stopped = Some(format!("cannot list alarms: {e}"));
            return Err(Stopped);
        }
    };
    // Only alarms of members whose size was read just now, below 0.9 × quota.
    let (ok, kept) = plan::disarmable(&current, &now.members, false, false);
    if let Some((a, why)) = kept.iter().find(|(a, _)| a.alarm == AlarmKind::Nospace) {
        step(report, "disarm", false, why.clone());
        report.stopped = Some(format!(
            "NOSPACE of member {} NOT disarmed: {why}",
            a.member_id
        ));
        report.after = Some(now);
        return Err(Stopped);
    }
    for a in ok {
        if let Err(e) = disarm_one(m, a).await {
            step(report, "disarm", false, e.to_string());
            report.stopped = Some(format!(
                "disarming {} of member {} failed: {e}",
                a.alarm, a.member_id
            ));
            return Err(Stopped);
        }
        progress(&Progress::Disarmed { alarm: a });
        report.disarmed.push(a);
    }
    let detail = if report.disarmed.is_empty() {
        "no NOSPACE alarm to disarm".to_string()
    } else {
        format!("disarmed {} NOSPACE alarm(s)", report.disarmed.len())
    };
    step(report, "disarm", true, detail);
    Ok(m)
}

/// (5) Prove a write works and no alarm is left.
async fn probe_step(
    m: &Member,
    report: &mut RecoveryReport,
    progress: &mut (dyn FnMut(&Progress) + Send),
) {
    match probe_write(m).await {
        Ok(()) => {
            progress(&Progress::Probed);
            let left = alarms_of(m).await.unwrap_or_default();
            if left.is_empty() {
                report.write_probe_ok = true;
                step(
                    report,
                    "probe",
                    true,
                    format!("wrote and deleted a key under {PROBE_PREFIX}; no alarm left"),
                );
            } else {
                step(
                    report,
                    "probe",
                    false,
                    format!("alarms still raised: {left:?}"),
                );
                report.stopped = Some("alarms are still raised after disarm".into());
            }
        }
        Err(e) => {
            step(report, "probe", false, e.to_string());
            report.stopped = Some(format!("the write probe failed: {e}"));
        }
    }
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

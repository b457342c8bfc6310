//! `alarm list` and `alarm disarm`.

use super::first_reachable;
use super::status::{alarms_of, status};
use crate::client::{Cluster, Member};
use crate::error::EtcdError;
use crate::model::{Alarm, AlarmKind, MemberId};
use crate::plan;
use etcd_client::{AlarmAction, AlarmOptions, AlarmType};
use serde::Serialize;

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

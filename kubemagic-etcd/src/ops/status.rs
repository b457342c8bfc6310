//! `status`: every member queried on its own client, concurrently, with
//! the alarms and the diagnosis; and the light health round (Status RPC
//! only) the repairs run between two steps.

use crate::client::{Cluster, Member};
use crate::error::EtcdError;
use crate::findings::diagnose;
use crate::model::{
    Alarm, AlarmKind, ClusterStatus, ListedMember, LiveStatus, MemberId, MemberStatus,
};
use crate::plan;
use etcd_client::{AlarmAction, AlarmType};
use kubemagic_core::ByteSize;

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
    let mut alarms_known = false;
    match first_alarms {
        Some(Ok(a)) => {
            alarms = a;
            alarms_known = true;
        }
        _ => {
            // Prefer the leader, then any reachable member.
            let mut order: Vec<usize> = (0..cluster.members.len())
                .filter(|&i| members[i].is_reachable())
                .collect();
            order.sort_by_key(|&i| !members[i].is_leader());
            for i in order {
                if let Ok(a) = alarms_of(&cluster.members[i]).await {
                    alarms = a;
                    alarms_known = true;
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
        alarms_known,
        findings,
        member_list: cluster.member_list.clone(),
    }
}

pub(super) async fn alarms_of(m: &Member) -> Result<Vec<Alarm>, EtcdError> {
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
pub(super) fn first_unhealthy(st: &ClusterStatus) -> Option<(String, String)> {
    st.members
        .iter()
        .find_map(|m| plan::unhealthy_reason(m).map(|r| (m.label(), r)))
}

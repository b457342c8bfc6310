//! The seed's worst incident, end to end, against real etcd 3.4 and 3.5:
//! three members, one started with a 20 MiB quota; rewriting objects raises
//! a cluster-wide NOSPACE; `recover` fixes it; a write works again. The
//! members are the cluster's member list, whatever endpoints were typed.

mod common;

use common::*;
use kubemagic_core::ByteSize;
use kubemagic_etcd::{ops, AlarmKind, Progress};

const QUOTA_20MI: u64 = 20_971_520;

on_every_version!(seed_incident: small_quota_on_one_member_stops_the_cluster_and_recover_fixes_it_34, small_quota_on_one_member_stops_the_cluster_and_recover_fixes_it_35);

async fn seed_incident(v: Version) {
    let cluster = EtcdCluster::start_version(v, 3, |i| (i == 2).then_some(QUOTA_20MI), false);
    cluster.wait_healthy().await;
    let eps = cluster.endpoints();

    // Write through a member with the default quota: the alarm is still cluster-wide.
    let (accepted, refusal) = fill_until_nospace(&eps[0], 400).await;
    let refusal = refusal.expect("writes never failed");
    assert!(refusal.contains("database space exceeded"), "{refusal}");
    assert!(accepted > 100, "only {accepted} writes accepted");

    let c = cluster.client().await;
    let st = ops::status(&c).await;
    assert!(
        st.alarms.iter().any(|a| a.alarm == AlarmKind::Nospace),
        "{:?}",
        st.alarms
    );
    let codes: Vec<&str> = st.findings.iter().map(|f| f.code.as_str()).collect();
    assert!(codes.contains(&"KM121"), "{codes:?}");
    assert!(codes.contains(&"KM123"), "{codes:?}");
    let small = st.members.iter().find(|m| m.endpoint == eps[2]).unwrap();
    assert_eq!(small.quota_backend_bytes, Some(ByteSize::b(QUOTA_20MI)));
    assert_eq!(small.name.as_deref(), Some("etcd2"));
    // JSON shape.
    let j = serde_json::to_value(&st).unwrap();
    for k in [
        "endpoint",
        "id",
        "name",
        "version",
        "db_size",
        "db_size_in_use",
        "quota_backend_bytes",
        "is_leader",
        "raft_term",
        "raft_index",
        "errors",
    ] {
        assert!(j["members"][0].get(k).is_some(), "missing {k}");
    }
    assert_eq!(j["alarms"][0]["alarm"], "NOSPACE");

    // Dry run changes nothing.
    let dry = ops::recover(&c, true, &mut |_| {}).await;
    assert!(dry.succeeded());
    assert_eq!(dry.plan.as_ref().unwrap().disarm.len(), 1);
    assert!(!ops::alarm_list(&c).await.unwrap().is_empty());

    let mut events = Vec::new();
    let report = ops::recover(&c, false, &mut |p: &Progress| events.push(p.clone())).await;
    assert!(report.succeeded(), "{report:#?}");
    assert_eq!(report.disarmed.len(), 1);
    assert!(
        report
            .root_cause
            .iter()
            .any(|r| r.contains("asymmetric quota")),
        "{:?}",
        report.root_cause
    );
    // Followers first, leader last.
    let defragged: Vec<&String> = events
        .iter()
        .filter_map(|e| match e {
            Progress::DefragDone { endpoint, .. } => Some(endpoint),
            _ => None,
        })
        .collect();
    assert_eq!(defragged.len(), 3);
    let leader = report.before.leader().unwrap().endpoint.clone();
    assert_eq!(defragged[2], &leader);

    assert!(ops::alarm_list(&c).await.unwrap().is_empty());
    let mut kv = etcd_client::Client::connect([eps[1].as_str()], None)
        .await
        .unwrap();
    kv.put("/registry/configmaps/default/after", "works", None)
        .await
        .unwrap();

    // Idempotent: a second run on the repaired cluster succeeds and disarms nothing.
    let again = ops::recover(&c, false, &mut |_| {}).await;
    assert!(again.succeeded(), "{again:#?}");
    assert!(again.disarmed.is_empty());
}

on_every_version!(member_killed: member_killed_mid_recovery_stops_the_run_without_disarming_34, member_killed_mid_recovery_stops_the_run_without_disarming_35);

async fn member_killed(v: Version) {
    let mut cluster = EtcdCluster::start_version(v, 3, |i| (i == 1).then_some(QUOTA_20MI), false);
    cluster.wait_healthy().await;
    let eps = cluster.endpoints();
    let (_, refusal) = fill_until_nospace(&eps[0], 400).await;
    assert!(refusal.is_some());

    let c = cluster.client().await;
    let pids: Vec<(String, u32)> = eps
        .iter()
        .cloned()
        .zip(cluster.nodes.iter().map(|n| n.pid))
        .collect();
    let mut killed: Option<String> = None;
    let report = ops::recover(&c, false, &mut |p: &Progress| {
        if let (Progress::DefragDone { endpoint, .. }, None) = (p, &killed) {
            // Kill a member other than the one just defragmented.
            let (victim, pid) = pids.iter().find(|(e, _)| e != endpoint).unwrap();
            kill_pid(*pid);
            killed = Some(victim.clone());
        }
    })
    .await;
    let victim = killed.expect("no defragmentation happened");
    assert!(!report.succeeded());
    let stopped = report.stopped.clone().unwrap();
    assert!(stopped.contains("NOSPACE NOT disarmed"), "{stopped}");
    assert!(stopped.contains(&victim), "{stopped} should name {victim}");
    assert!(report.disarmed.is_empty());
    // The alarm is still there, seen from a surviving member.
    let alarms = ops::alarm_list(&c).await.unwrap();
    assert!(alarms.iter().any(|a| a.alarm == AlarmKind::Nospace));
    // And status names the dead member.
    let st = ops::status(&c).await;
    assert!(st
        .findings
        .iter()
        .any(|f| f.code == "KM126" && f.message.contains(&victim)));
    // Now recover refuses: one member is down.
    let refused = ops::recover(&c, false, &mut |_| {}).await;
    assert!(refused.refusal.is_some(), "{refused:#?}");
    // And a plain defrag would leave 1 of 3 members serving: refused too.
    let d = ops::defrag(&c, None, false, &mut |_| {}).await.unwrap();
    assert!(d.failed(), "{d:?}");
    assert!(
        d.results[0]
            .error
            .as_deref()
            .unwrap()
            .contains("lose quorum"),
        "{d:?}"
    );
    assert!(d.skipped.iter().any(|s| s.endpoint == victim));
    cluster.kill(0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_data_filling_the_quota_is_not_disarmed() {
    // Every write a new object: compaction and defragmentation free nothing,
    // so disarming would only re-raise the alarm at the next write.
    let cluster = EtcdCluster::start(1, |_| Some(QUOTA_20MI), false);
    cluster.wait_healthy().await;
    let eps = cluster.endpoints();
    let (_, refusal) = fill(&eps[0], 400, 400).await;
    // The premise: the writes stopped on NOSPACE (not, under load, on a
    // timeout, which would leave nothing to repair).
    let refusal = refusal.expect("the quota must fill");
    assert!(refusal.contains("space exceeded"), "{refusal}");
    let c = cluster.client().await;
    let report = ops::recover(&c, false, &mut |_| {}).await;
    assert!(!report.succeeded(), "{report:#?}");
    let stopped = report.stopped.clone().unwrap();
    assert!(stopped.contains("NOSPACE NOT disarmed"), "{stopped}");
    assert!(stopped.contains("above 90 %"), "{stopped}");
    assert!(report.disarmed.is_empty());
    assert!(report
        .root_cause
        .iter()
        .any(|r| r.contains("quota too small")));
    assert!(ops::alarm_list(&c)
        .await
        .unwrap()
        .iter()
        .any(|a| a.alarm == AlarmKind::Nospace));
    // What filled it, per resource.
    let u = ops::usage(&c, "/registry/", true, 1000).await.unwrap();
    assert_eq!(u.resources[0].resource, "configmaps");
    assert!(u.resources[0].keys > 100);
}

on_every_version!(member_down_not_typed: recover_refuses_with_a_member_down_that_is_not_among_the_endpoints_34, recover_refuses_with_a_member_down_that_is_not_among_the_endpoints_35);

/// The reproduced bug of issue 11: member 0 stopped, `--endpoints` naming
/// only members 1 and 2. The member list still names member 0: recover
/// refuses, naming it, and the alarm stays.
async fn member_down_not_typed(v: Version) {
    let mut cluster = EtcdCluster::start_version(v, 3, |i| (i == 2).then_some(QUOTA_20MI), false);
    cluster.wait_healthy().await;
    let eps = cluster.endpoints();
    let (_, refusal) = fill_until_nospace(&eps[1], 400).await;
    assert!(refusal.is_some());
    cluster.kill(0);
    let c = cluster.client_to(&eps[1..]).await;
    assert_eq!(c.members.len(), 3, "the member list has three members");
    let st = ops::status(&c).await;
    assert!(st
        .findings
        .iter()
        .any(|f| f.code == "KM126" && f.message.contains(&eps[0])));
    let report = ops::recover(&c, false, &mut |_| {}).await;
    let refusal = report.refusal.clone().expect("recover must refuse");
    assert!(refusal.to_string().contains(&eps[0]), "{refusal}");
    assert!(report.disarmed.is_empty());
    assert!(ops::alarm_list(&c)
        .await
        .unwrap()
        .iter()
        .any(|a| a.alarm == AlarmKind::Nospace));
    // defrag refuses too, naming the member that is down.
    let d = ops::defrag(&c, None, false, &mut |_| {}).await.unwrap();
    assert!(!d.succeeded(), "{d:?}");
    assert!(d.skipped.iter().any(|s| s.endpoint == eps[0]), "{d:?}");
}

on_every_version!(single_endpoint: recover_from_a_single_endpoint_repairs_the_whole_cluster_34, recover_from_a_single_endpoint_repairs_the_whole_cluster_35);

/// The other half of the bug: all members up, the full member left out of
/// `--endpoints`. One endpoint is enough: every member is found, the full
/// one is defragmented and its size read before its alarm is disarmed.
async fn single_endpoint(v: Version) {
    let cluster = EtcdCluster::start_version(v, 3, |i| (i == 2).then_some(QUOTA_20MI), false);
    cluster.wait_healthy().await;
    let eps = cluster.endpoints();
    let (_, refusal) = fill_until_nospace(&eps[0], 400).await;
    assert!(refusal.is_some());
    let c = cluster.client_to(&eps[..1]).await;
    let st = ops::status(&c).await;
    assert_eq!(st.members.len(), 3);
    let full = st.members.iter().find(|m| m.endpoint == eps[2]).unwrap();
    assert_eq!(full.quota_backend_bytes, Some(ByteSize::b(QUOTA_20MI)));
    assert!(st
        .members
        .iter()
        .all(|m| m.live.as_ref().is_some_and(|l| l.db_size_in_use.is_some())));
    // One endpoint is a bootstrap, not a stale list: no KM131.
    assert!(
        !st.findings.iter().any(|f| f.code == "KM131"),
        "{:?}",
        st.findings
    );
    let mut defragged = Vec::new();
    let report = ops::recover(&c, false, &mut |p: &Progress| {
        if let Progress::DefragDone { endpoint, .. } = p {
            defragged.push(endpoint.clone());
        }
    })
    .await;
    assert!(report.succeeded(), "{report:#?}");
    assert_eq!(report.disarmed.len(), 1);
    assert!(defragged.contains(&eps[2]), "{defragged:?}");
    assert_eq!(defragged.len(), 3);
    assert!(ops::alarm_list(&c).await.unwrap().is_empty());
    // Nothing left to defragment: --only-fragmented succeeds doing nothing.
    let d = ops::defrag(&c, None, true, &mut |_| {}).await.unwrap();
    assert!(d.results.is_empty() && d.succeeded(), "{d:?}");
}

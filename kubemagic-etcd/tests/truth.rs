//! etcd tells the truth (issue 22 item 7): a recovery of a healthy cluster
//! changes nothing, and snapshot retention deletes only the snapshots it
//! wrote and recorded, on etcd 3.4 and 3.5.

mod common;

use common::Version;
use etcd_client::GetOptions;
use kubemagic_etcd::maintain::MaintainOptions;
use kubemagic_etcd::ops;
use std::time::{Duration, SystemTime};

async fn healthy_recover(v: Version) {
    let cluster = common::EtcdCluster::start_version(v, 3, |_| None, false);
    cluster.wait_healthy().await;
    let eps = cluster.endpoints();
    let mut kv = etcd_client::Client::connect([eps[0].as_str()], None)
        .await
        .unwrap();
    for i in 0..10 {
        kv.put(
            format!("/registry/pods/default/p{i}"),
            format!("v{i}"),
            None,
        )
        .await
        .unwrap();
    }
    let rev_before = kv
        .get("/", None)
        .await
        .unwrap()
        .header()
        .unwrap()
        .revision();
    let c = cluster.client().await;
    let mut events = Vec::new();
    let r = ops::recover(&c, false, &mut |p| events.push(p.clone())).await;
    assert!(r.succeeded() && !r.changed(), "{r:#?}");
    assert!(r.nothing_to_repair(), "{r:#?}");
    assert!(
        events.is_empty(),
        "a healthy cluster was acted on: {events:?}"
    );
    assert!(r.steps.iter().all(|s| s.step == "status"), "{:?}", r.steps);
    // No test write: the revision did not move. No compaction: the oldest
    // revision can still be read.
    let now = kv
        .get("/", None)
        .await
        .unwrap()
        .header()
        .unwrap()
        .revision();
    assert_eq!(now, rev_before);
    let old = kv
        .get(
            "/registry/pods/default/p0",
            Some(GetOptions::new().with_revision(2)),
        )
        .await;
    assert!(old.is_ok(), "history was compacted: {old:?}");
}

on_every_version!(healthy_recover: recover_on_a_healthy_cluster_changes_nothing_34, recover_on_a_healthy_cluster_changes_nothing_35);

async fn retention(v: Version) {
    let cluster = common::EtcdCluster::start_version(v, 1, |_| None, false);
    cluster.wait_healthy().await;
    let c = cluster.client().await;
    let dir = cluster.dir.path().join("backups");
    std::fs::create_dir_all(&dir).unwrap();
    // Files that match the name pattern but that kubemagic never wrote.
    let old = dir.join("kubemagic-etcd-19990101T000000.000Z-etcd0.db");
    let future = dir.join("kubemagic-etcd-99991231T235959.999Z-etcd0.db");
    std::fs::write(&old, "an operator's copy").unwrap();
    std::fs::write(&future, "another").unwrap();
    // A temporary file a dead run left an hour ago, and one being written.
    let stale = dir.join(".kubemagic-snapshot-dead01");
    let live = dir.join(".kubemagic-snapshot-live01");
    std::fs::write(&stale, "half a snapshot").unwrap();
    std::fs::write(&live, "being written").unwrap();
    std::fs::File::options()
        .write(true)
        .open(&stale)
        .unwrap()
        .set_modified(SystemTime::now() - Duration::from_secs(3600))
        .unwrap();
    let opts = MaintainOptions {
        snapshot_dir: Some(dir.clone()),
        keep: Some(1),
        ..Default::default()
    };
    let first = ops::maintain(&c, &opts, &mut |_| {}).await;
    assert!(first.succeeded(), "{first:#?}");
    assert_eq!(first.removed_temporary, vec![stale.clone()]);
    tokio::time::sleep(Duration::from_millis(5)).await;
    let second = ops::maintain(&c, &opts, &mut |_| {}).await;
    assert!(second.succeeded(), "{second:#?}");
    let written = [first.snapshot.unwrap().path, second.snapshot.unwrap().path];
    assert_eq!(second.deleted_snapshots, vec![written[0].clone()]);
    assert!(!written[0].exists() && written[1].exists());
    assert!(
        old.exists() && future.exists(),
        "a file kubemagic never wrote was deleted"
    );
    assert!(!stale.exists() && live.exists());
}

on_every_version!(retention: retention_deletes_only_recorded_snapshots_and_stale_temporaries_34, retention_deletes_only_recorded_snapshots_and_stale_temporaries_35);

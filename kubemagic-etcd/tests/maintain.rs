//! `maintain` on real etcd: fragmented members shrink and every key
//! survives; snapshot retention; a member down stops everything; one run
//! at a time.

mod common;

use common::*;
use kubemagic_core::ByteSize;
use kubemagic_etcd::maintain::{MaintainOptions, MaintainRefusal};
use kubemagic_etcd::ops::{self, MaintainLock};
use kubemagic_etcd::Progress;

async fn keep_keys(ep: &str, n: usize) {
    let mut c = etcd_client::Client::connect([ep], None).await.unwrap();
    for i in 0..n {
        c.put(
            format!("/registry/pods/default/keep-{i}"),
            format!("v{i}"),
            None,
        )
        .await
        .unwrap();
    }
}

async fn assert_keys(ep: &str, n: usize) {
    let mut c = etcd_client::Client::connect([ep], None).await.unwrap();
    for i in 0..n {
        let r = c
            .get(format!("/registry/pods/default/keep-{i}"), None)
            .await
            .unwrap();
        assert_eq!(r.kvs()[0].value_str().unwrap(), format!("v{i}"));
    }
    // The last value of each rewritten object too.
    let r = c
        .get("/registry/configmaps/default/cm-0", None)
        .await
        .unwrap();
    assert_eq!(r.kvs()[0].value().len(), 100 * 1024);
}

on_every_version!(fragmented: compact_and_defrag_shrink_fragmented_members_and_keep_every_key_34, compact_and_defrag_shrink_fragmented_members_and_keep_every_key_35);

async fn fragmented(v: Version) {
    let cluster = EtcdCluster::start_version(v, 3, |_| None, false);
    cluster.wait_healthy().await;
    let eps = cluster.endpoints();
    keep_keys(&eps[0], 100).await;
    let (n, refusal) = fill(&eps[0], 150, 10).await;
    assert_eq!((n, refusal), (150, None));
    let c = cluster.client_to(&eps[..1]).await;
    let before = ops::status(&c).await;
    let opts = MaintainOptions {
        compact: true,
        defrag_min_size: ByteSize::mib(1),
        defrag_min_free_pct: 30.0,
        ..Default::default()
    };
    // A dry run changes nothing.
    let dry = ops::maintain(
        &c,
        &MaintainOptions {
            dry_run: true,
            ..opts.clone()
        },
        &mut |_| {},
    )
    .await;
    assert!(
        dry.succeeded() && dry.compacted.is_none() && dry.defrag.is_empty(),
        "{dry:#?}"
    );

    let mut order = Vec::new();
    let r = ops::maintain(&c, &opts, &mut |p: &Progress| {
        if let Progress::DefragDone { endpoint, .. } = p {
            order.push(endpoint.clone());
        }
    })
    .await;
    assert!(r.succeeded(), "{r:#?}");
    assert!(r.compacted.is_some());
    assert_eq!(r.defrag.len(), 3, "{r:#?}");
    let leader = before.leader().unwrap().endpoint.clone();
    assert_eq!(order.last(), Some(&leader), "leader last");
    for d in &r.defrag {
        let (b, a) = (d.before.unwrap(), d.after.unwrap());
        assert!(
            a.as_u64() * 2 < b.as_u64(),
            "{} did not shrink: {b} -> {a}",
            d.endpoint
        );
    }
    assert_keys(&eps[2], 100).await;
    // Nothing left to do: exit 0, nothing done.
    let again = ops::maintain(
        &c,
        &MaintainOptions {
            compact: false,
            ..opts
        },
        &mut |_| {},
    )
    .await;
    assert!(again.succeeded() && again.nothing_to_do, "{again:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_runs_with_keep_2_leave_exactly_two_snapshots_and_foreign_files() {
    let cluster = EtcdCluster::start(1, |_| None, false);
    cluster.wait_healthy().await;
    let c = cluster.client().await;
    let dir = cluster.dir.path().join("backups");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("manual-backup.db"), "mine").unwrap();
    std::fs::write(dir.join("kubemagic-etcd-not-ours.db"), "mine too").unwrap();
    let opts = MaintainOptions {
        snapshot_dir: Some(dir.clone()),
        keep: Some(2),
        ..Default::default()
    };
    let mut written = Vec::new();
    for _ in 0..3 {
        let r = ops::maintain(&c, &opts, &mut |_| {}).await;
        assert!(r.succeeded(), "{r:#?}");
        let s = r.snapshot.clone().unwrap();
        assert!(s.path.exists());
        written.push(s.path);
    }
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    // Two snapshots, two foreign files, and the manifest that records ours.
    assert_eq!(names.len(), 5, "{names:?}");
    assert!(names.contains(&".kubemagic-etcd-snapshots.json".to_string()));
    assert!(!written[0].exists());
    assert!(written[1].exists() && written[2].exists());
    assert!(names.contains(&"manual-backup.db".to_string()));
    assert!(names.contains(&"kubemagic-etcd-not-ours.db".to_string()));
    assert!(names.iter().any(|n| n.ends_with("-etcd0.db")), "{names:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn member_stopped_means_no_defrag_and_a_refusal_naming_it() {
    let mut cluster = EtcdCluster::start(3, |_| None, false);
    cluster.wait_healthy().await;
    let eps = cluster.endpoints();
    let (_, refusal) = fill(&eps[0], 150, 10).await;
    assert!(refusal.is_none());
    cluster.kill(2);
    let c = cluster.client_to(&eps[..1]).await;
    let opts = MaintainOptions {
        compact: true,
        defrag_min_size: ByteSize::mib(1),
        defrag_min_free_pct: 1.0,
        ..Default::default()
    };
    let mut defragged = 0;
    let r = ops::maintain(&c, &opts, &mut |p: &Progress| {
        if matches!(p, Progress::DefragStart { .. }) {
            defragged += 1;
        }
    })
    .await;
    assert_eq!(defragged, 0);
    assert!(!r.succeeded());
    match r.refusal {
        Some(MaintainRefusal::MemberDown { endpoint, .. }) => {
            assert!(endpoint.contains(&eps[2]), "{endpoint}")
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_run_refuses_while_the_first_holds_the_lock() {
    let cluster = EtcdCluster::start(1, |_| None, false);
    cluster.wait_healthy().await;
    let c = cluster.client().await;
    let dir = cluster.dir.path().join("b");
    std::fs::create_dir_all(&dir).unwrap();
    let opts = MaintainOptions {
        snapshot_dir: Some(dir.clone()),
        keep: Some(1),
        ..Default::default()
    };
    let lock = MaintainLock::acquire(&c, "the first run").await.unwrap();
    let r = ops::maintain(&c, &opts, &mut |_| {}).await;
    match &r.refusal {
        Some(MaintainRefusal::Locked { holder }) => assert_eq!(holder, "the first run"),
        other => panic!("{other:?}"),
    }
    assert!(r.snapshot.is_none());
    lock.release().await;
    let r = ops::maintain(&c, &opts, &mut |_| {}).await;
    assert!(r.succeeded(), "{r:#?}");
}

//! Snapshot (checked with `etcdctl snapshot status`) and usage per resource.

mod common;

use common::*;
use kubemagic_etcd::ops;
use std::process::Command;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshot_is_complete_and_etcdctl_reads_it() {
    let cluster = EtcdCluster::start(1, |_| None, false);
    cluster.wait_healthy().await;
    let ep = cluster.endpoints()[0].clone();
    let mut kv = etcd_client::Client::connect([ep.as_str()], None)
        .await
        .unwrap();
    for i in 0..50 {
        kv.put(
            format!("/registry/pods/default/p{i}"),
            vec![b'p'; 1000],
            None,
        )
        .await
        .unwrap();
    }
    for i in 0..5 {
        kv.put(
            format!("/registry/apiregistration.k8s.io/apiservices/v{i}"),
            "x",
            None,
        )
        .await
        .unwrap();
    }
    kv.put("/other/key", "y", None).await.unwrap();

    let c = cluster.client().await;
    let path = cluster.dir.path().join("backup").join("snap.db");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let r = ops::snapshot_save(&c, &path, None).await.unwrap();
    assert_eq!(r.size.as_u64(), std::fs::metadata(&path).unwrap().len());
    assert_eq!(r.sha256.len(), 64);
    // No temporary file left beside it.
    let left: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().collect();
    assert_eq!(left.len(), 1);
    let out = Command::new("etcdctl")
        .env("ETCDCTL_API", "3")
        .args(["snapshot", "status", "-w", "json"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // Bolt keys: ours plus etcd's own (members, meta).
    assert!(v["totalKey"].as_u64().unwrap() >= 56, "{v}");
    assert_eq!(v["revision"].as_i64(), r.revision);

    // Saving to a directory that does not exist is an error naming it, not a panic.
    let e = ops::snapshot_save(&c, &cluster.dir.path().join("nope/snap.db"), None)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("nope"), "{e}");

    // Usage: pods dominate; API groups are kept with their resource.
    let u = ops::usage(&c, "/registry/", false, 7).await.unwrap();
    assert_eq!(u.total_keys, 55);
    assert_eq!(u.resources[0].resource, "pods");
    assert_eq!(u.resources[0].keys, 50);
    assert!(u
        .resources
        .iter()
        .any(|r| r.resource == "apiregistration.k8s.io/apiservices" && r.keys == 5));
    let k = ops::usage(&c, "/registry/", true, 1000).await.unwrap();
    assert_eq!(k.total_keys, 55);
    assert!(k.total_bytes < u.total_bytes);

    // Compact twice: the second is "already compacted", not an error.
    let first = ops::compact(&c, None).await.unwrap();
    assert!(!first.already_compacted);
    let second = ops::compact(&c, Some(first.revision)).await.unwrap();
    assert!(second.already_compacted);
    // Defrag of the only member, then disarm with nothing raised.
    let d = ops::defrag(&c, None, false, &mut |_| {}).await.unwrap();
    assert_eq!(d.results.len(), 1);
    assert!(!d.failed(), "{d:?}");
    let skipped = ops::defrag(&c, None, true, &mut |_| {}).await.unwrap();
    assert!(skipped.results.is_empty() && skipped.skipped.len() == 1);
    let r = ops::alarm_disarm(&c, false).await.unwrap();
    assert!(r.disarmed.is_empty() && r.kept.is_empty());
}

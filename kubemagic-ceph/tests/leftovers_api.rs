//! The kube client layer of `leftovers` against a local HTTP server on
//! 127.0.0.1 that replays Kubernetes API JSON (hand-written in the real
//! API shapes: PersistentVolumeList, SecretList, DELETE responses), reached
//! through a kubeconfig, as the CLI reaches a real API server.

mod fake_k8s;

use fake_k8s::{fixture, routes, FakeApi, CI_SECRET, GITLAB_PV, GITLAB_SECRET};
use kubemagic_ceph::leftovers::{self, Leftovers};
use kubemagic_ceph::CephError;
use std::path::Path;

async fn scan(api: &FakeApi, dir: &Path) -> (kube::Client, Leftovers) {
    let client = leftovers::client(Some(&api.kubeconfig(dir))).await.unwrap();
    let found = leftovers::scan(&client).await.unwrap();
    (client, found)
}

#[tokio::test]
async fn scan_finds_the_released_volume_its_secret_and_the_orphan() {
    let api = FakeApi::start(routes());
    let dir = tempfile::tempdir().unwrap();
    let (_, found) = scan(&api, dir.path()).await;
    assert_eq!(found.volumes.len(), 1, "{found:?}");
    let v = &found.volumes[0];
    assert_eq!(v.pv, GITLAB_PV);
    assert_eq!(v.claim.as_deref(), Some("gitlab/gitlab-data"));
    let s = v.secret.as_ref().unwrap();
    assert_eq!(
        (s.namespace.as_str(), s.name.as_str(), s.exists),
        ("gitlab", GITLAB_SECRET, true)
    );
    assert_eq!(found.orphan_secrets.len(), 1);
    assert_eq!(found.orphan_secrets[0].namespace, "ci");
    assert_eq!(
        api.requests(),
        vec!["GET /api/v1/persistentvolumes", "GET /api/v1/secrets"]
    );
}

#[tokio::test]
async fn delete_removes_secret_before_pv_and_tolerates_gone_objects() {
    let api = FakeApi::start(routes());
    let dir = tempfile::tempdir().unwrap();
    let (client, found) = scan(&api, dir.path()).await;
    let deleted = leftovers::delete(&client, &found).await.unwrap();
    let summary: Vec<(&str, &str, bool)> = deleted
        .iter()
        .map(|d| (d.kind, d.name.as_str(), d.existed))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("Secret", GITLAB_SECRET, true),
            ("PersistentVolume", GITLAB_PV, true),
            ("Secret", CI_SECRET, false)
        ]
    );
    assert_eq!(
        api.requests()[2..],
        [
            format!("DELETE /api/v1/namespaces/gitlab/secrets/{GITLAB_SECRET}"),
            format!("DELETE /api/v1/persistentvolumes/{GITLAB_PV}"),
            format!("DELETE /api/v1/namespaces/ci/secrets/{CI_SECRET}"),
        ]
    );
    let cleanup = found.ceph_cleanup();
    assert_eq!(cleanup.len(), 2);
    assert_eq!(
        cleanup[0].command.to_string(),
        "ceph auth del client.kubernetes-dynamic-user-3f8c2b1e-5a2d-11ea-8b3f-0a580ae9400b"
    );
}

#[tokio::test]
async fn forbidden_list_is_a_clear_error() {
    let mut r = routes();
    r.insert(
        ("GET", "/api/v1/secrets".to_string()),
        (403, fixture("forbidden-secrets.json")),
    );
    let api = FakeApi::start(r);
    let dir = tempfile::tempdir().unwrap();
    let client = leftovers::client(Some(&api.kubeconfig(dir.path())))
        .await
        .unwrap();
    let Err(e) = leftovers::scan(&client).await else {
        panic!("a 403 must fail")
    };
    assert!(matches!(e, CephError::Kube { .. }));
    let msg = e.to_string();
    assert!(msg.contains("list secrets"), "{msg}");
}

#[tokio::test]
async fn missing_kubeconfig_is_an_input_error() {
    let Err(e) = leftovers::client(Some(Path::new("/nonexistent/kubeconfig"))).await else {
        panic!("a missing kubeconfig must fail")
    };
    assert!(matches!(e, CephError::Kubeconfig { .. }), "{e}");
}

//! The kube client layer of `leftovers` against a local HTTP server on
//! 127.0.0.1 that replays Kubernetes API JSON (hand-written in the real
//! API shapes: PersistentVolumeList, SecretList, DELETE responses), reached
//! through a kubeconfig, as the CLI reaches a real API server.

use kubemagic_ceph::leftovers::{self, Leftovers};
use kubemagic_ceph::CephError;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

const GITLAB_SECRET: &str =
    "ceph-kubernetes-dynamic-user-3f8c2b1e-5a2d-11ea-8b3f-0a580ae9400b-secret";
const GITLAB_PV: &str = "pvc-3f1b7c9e-5a2d-11ea-9c1d-0050568b1a2e";
const CI_SECRET: &str = "ceph-kubernetes-dynamic-user-1c7e9a30-4f11-11ea-8b3f-0a580ae9400b-secret";

fn fixture(name: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/k8s")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// A one-thread HTTP/1.1 server answering `(METHOD, path)` with a fixed
/// status and body, recording every request line it receives.
struct FakeApi {
    url: String,
    requests: Arc<Mutex<Vec<String>>>,
}

impl FakeApi {
    fn start(routes: HashMap<(&'static str, String), (u16, String)>) -> FakeApi {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request_line = String::new();
                if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
                    continue;
                }
                let mut content_length = 0usize;
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                        break;
                    }
                    if let Some((k, v)) = h.split_once(':') {
                        if k.eq_ignore_ascii_case("content-length") {
                            content_length = v.trim().parse().unwrap_or(0);
                        }
                    }
                }
                let mut body = vec![0; content_length];
                let _ = reader.read_exact(&mut body);
                let mut parts = request_line.split_whitespace();
                let method = parts.next().unwrap_or_default().to_string();
                let target = parts.next().unwrap_or_default().to_string();
                let path = target.split('?').next().unwrap_or_default().to_string();
                seen.lock().unwrap().push(format!("{method} {path}"));
                let (status, body) = routes
                    .iter()
                    .find(|((m, p), _)| *m == method && *p == path)
                    .map(|(_, r)| r.clone())
                    .unwrap_or((404, fixture("not-found-secret.json")));
                let reason = match status {
                    200 => "OK",
                    403 => "Forbidden",
                    _ => "Not Found",
                };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        FakeApi { url, requests }
    }

    fn kubeconfig(&self, dir: &Path) -> PathBuf {
        let p = dir.join("kubeconfig");
        std::fs::write(
            &p,
            format!(
                "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: {}\ncontexts:\n- name: fake\n  context:\n    cluster: fake\n    user: operator\ncurrent-context: fake\nusers:\n- name: operator\n  user:\n    token: not-a-real-token\n",
                self.url
            ),
        )
        .unwrap();
        p
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

fn routes() -> HashMap<(&'static str, String), (u16, String)> {
    let mut r = HashMap::new();
    r.insert(
        ("GET", "/api/v1/persistentvolumes".to_string()),
        (200, fixture("persistentvolumes.json")),
    );
    r.insert(
        ("GET", "/api/v1/secrets".to_string()),
        (200, fixture("secrets.json")),
    );
    r.insert(
        (
            "DELETE",
            format!("/api/v1/namespaces/gitlab/secrets/{GITLAB_SECRET}"),
        ),
        (200, fixture("delete-secret.json")),
    );
    r.insert(
        ("DELETE", format!("/api/v1/persistentvolumes/{GITLAB_PV}")),
        (200, fixture("delete-pv.json")),
    );
    // The CI orphan is deleted by someone else meanwhile: 404.
    r.insert(
        (
            "DELETE",
            format!("/api/v1/namespaces/ci/secrets/{CI_SECRET}"),
        ),
        (404, fixture("not-found-secret.json")),
    );
    r
}

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

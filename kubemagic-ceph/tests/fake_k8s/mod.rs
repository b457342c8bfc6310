//! A one-thread HTTP/1.1 server on 127.0.0.1 replaying Kubernetes API JSON
//! fixtures (tests/fixtures/k8s), and a kubeconfig pointing at it. Shared by
//! the library's and the CLI's tests (`#[path]`-included there).

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

pub const GITLAB_SECRET: &str =
    "ceph-kubernetes-dynamic-user-3f8c2b1e-5a2d-11ea-8b3f-0a580ae9400b-secret";
pub const GITLAB_PV: &str = "pvc-3f1b7c9e-5a2d-11ea-9c1d-0050568b1a2e";
pub const CI_SECRET: &str =
    "ceph-kubernetes-dynamic-user-1c7e9a30-4f11-11ea-8b3f-0a580ae9400b-secret";

pub fn fixture(name: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../kubemagic-ceph/tests/fixtures/k8s")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// A one-thread HTTP/1.1 server answering `(METHOD, path)` with a fixed
/// status and body, recording every request line it receives.
pub struct FakeApi {
    pub url: String,
    requests: Arc<Mutex<Vec<String>>>,
}

impl FakeApi {
    pub fn start(routes: HashMap<(&'static str, String), (u16, String)>) -> FakeApi {
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

    pub fn kubeconfig(&self, dir: &Path) -> PathBuf {
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

    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

/// The cluster of the fixtures: one Released cephfs PV with its Secret,
/// an orphan Secret in `ci` (already gone when deleted: 404).
pub fn routes() -> HashMap<(&'static str, String), (u16, String)> {
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

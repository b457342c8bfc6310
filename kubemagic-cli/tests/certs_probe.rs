//! `kubemagic certs probe`: TLS handshakes to real servers on loopback
//! (an `openssl s_server`, haproxy in TCP mode in front of it, etcd 3.4
//! requiring client certificates), serving certificates made here.

mod certs_support;

use certs_support::*;
use std::path::Path;
use std::process::{Command, Stdio};

/// A CA and a server certificate for 127.0.0.1 expiring in `days`, its key
/// beside it, in `dir`.
fn server_pki(dir: &Path, pki: &mut Pki, days: i64, sans: &[&str]) {
    let ca = pki.ca("probe-ca", 3650);
    write(&dir.join("ca.pem"), &ca.pem());
    let l = pki.leaf(&ca, "probe-server", days, sans, true);
    pair(dir, "server.pem", "server-key.pem", &l);
}

fn s_server(dir: &Path, port: u16) -> Server {
    openssl_server(
        port,
        &dir.join("server.pem"),
        &dir.join("server-key.pem"),
        Some(&dir.join("ca.pem")),
    )
}

#[test]
fn probe_reads_the_chain_an_openssl_server_serves_and_haproxy_passes_through() {
    if !tool("/usr/bin/openssl") || !tool("/usr/sbin/haproxy") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut pki = Pki::now();
    server_pki(dir.path(), &mut pki, 20, &["localhost", "127.0.0.1"]);
    let port = free_port();
    let _s = s_server(dir.path(), port);
    let front = free_port();
    let cfg = dir.path().join("haproxy.cfg");
    write(
        &cfg,
        &format!(
            "defaults\n  mode tcp\n  timeout connect 2s\n  timeout client 10s\n  timeout server 10s\nfrontend f\n  bind 127.0.0.1:{front}\n  default_backend b\nbackend b\n  server s1 127.0.0.1:{port}\n"
        ),
    );
    let child = Command::new("/usr/sbin/haproxy")
        .arg("-db")
        .arg("-f")
        .arg(&cfg)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut h = Server(child);
    wait_listening(front, &mut h, "haproxy");
    let direct = format!("127.0.0.1:{port}");
    let through = format!("127.0.0.1:{front}");
    let o = km(&["-o", "json", "certs", "probe", &direct, &through]);
    // 20 days left: a warning, exit 0.
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let r = json(&o);
    let certs = r["certificates"].as_array().unwrap();
    let leaves: Vec<&serde_json::Value> = certs
        .iter()
        .filter(|c| c["kind"] == "served" && c["name"] == "0")
        .collect();
    assert_eq!(leaves.len(), 2, "{}", text(&o));
    for l in &leaves {
        assert_eq!(l["subject"], "CN=probe-server");
        assert_eq!(l["days_left"], 20);
        assert_eq!(l["chain"]["status"], "verified", "{l}");
        assert!(l["sans"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == "127.0.0.1"));
    }
    assert_eq!(
        codes(&r).iter().filter(|(c, _)| c == "KM343").count(),
        2,
        "{}",
        text(&o)
    );
    let n = km(&["-o", "nagios", "certs", "probe", &through]);
    assert_eq!(n.status.code(), Some(1), "{}", text(&n));
    assert!(text(&n).contains("'days_left'=20;30;7"), "{}", text(&n));
    let t = km(&["certs", "probe", &through]);
    assert_no_secret(&pki, &[&o, &n, &t]);
}

#[test]
fn an_endpoint_that_does_not_answer_is_an_error_finding_and_a_san_mismatch_is_named() {
    if !tool("/usr/bin/openssl") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut pki = Pki::now();
    server_pki(dir.path(), &mut pki, 300, &["localhost"]);
    let port = free_port();
    let _s = s_server(dir.path(), port);
    let dead = free_port();
    let o = km(&[
        "-o",
        "json",
        "certs",
        "probe",
        "--timeout",
        "2",
        &format!("127.0.0.1:{port}"),
        &format!("127.0.0.1:{dead}"),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let r = json(&o);
    let got = codes(&r);
    assert!(
        got.contains(&("KM349".into(), format!("127.0.0.1:{dead}"))),
        "{got:?}"
    );
    assert!(
        got.contains(&("KM346".into(), format!("127.0.0.1:{port}"))),
        "{got:?}"
    );
    let n = km(&[
        "-o",
        "nagios",
        "certs",
        "probe",
        "--timeout",
        "2",
        &format!("127.0.0.1:{dead}"),
    ]);
    assert_eq!(n.status.code(), Some(2), "{}", text(&n));
    assert!(
        text(&n).starts_with("CERTS CRITICAL - no certificate read"),
        "{}",
        text(&n)
    );
    let bad = km(&["certs", "probe", "no-port"]);
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad));
}

#[test]
fn probe_with_a_site_dials_the_api_vip_and_each_apiserver_and_etcd_member() {
    if !tool("/usr/bin/openssl") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut pki = Pki::now();
    server_pki(
        dir.path(),
        &mut pki,
        300,
        &["127.0.0.1", "kubernetes.default"],
    );
    let port = free_port();
    let _s = s_server(dir.path(), port);
    let site = dir.path().join("site");
    write(
        &site.join("kubespray/inventory/site/hosts.yml"),
        &format!(
            "all:\n  hosts:\n    node1:\n      ip: 127.0.0.13\n  children:\n    kube_control_plane:\n      hosts:\n        node1:\n    etcd:\n      hosts:\n        node1:\n    k8s_cluster:\n      children:\n        kube_control_plane:\n  vars:\n    loadbalancer_apiserver:\n      address: 127.0.0.1\n      port: {port}\n"
        ),
    );
    let o = km(&[
        "-o",
        "json",
        "certs",
        "probe",
        "--timeout",
        "2",
        "--site",
        site.to_str().unwrap(),
    ]);
    let r = json(&o);
    let vip = format!("127.0.0.1:{port}");
    assert!(
        r["certificates"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["path"] == vip),
        "{}",
        text(&o)
    );
    // The apiserver and both etcd ports of node1 were dialed too.
    let places: Vec<String> = r["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["path"].as_str().unwrap().to_string())
        .chain(
            r["findings"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|f| f["host"].as_str().map(String::from)),
        )
        .collect();
    for p in ["127.0.0.13:6443", "127.0.0.13:2379", "127.0.0.13:2380"] {
        assert!(
            places.iter().any(|x| x == p),
            "{p} not probed: {}",
            text(&o)
        );
    }
}

#[test]
fn probe_reads_etcd_34_client_and_peer_ports_that_require_client_certificates() {
    if !tool("/usr/bin/etcd") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut pki = Pki::now();
    server_pki(dir.path(), &mut pki, 3, &["localhost", "127.0.0.1"]);
    let (client, peer) = (free_port(), free_port());
    let d = dir.path();
    let log = std::fs::File::create(d.join("etcd.log")).unwrap();
    let mut cmd = Command::new("/usr/bin/etcd");
    cmd.arg("--name")
        .arg("m1")
        .arg("--data-dir")
        .arg(d.join("data"))
        .arg("--listen-client-urls")
        .arg(format!("https://127.0.0.1:{client}"))
        .arg("--advertise-client-urls")
        .arg(format!("https://127.0.0.1:{client}"))
        .arg("--listen-peer-urls")
        .arg(format!("https://127.0.0.1:{peer}"))
        .arg("--initial-advertise-peer-urls")
        .arg(format!("https://127.0.0.1:{peer}"))
        .arg("--initial-cluster")
        .arg(format!("m1=https://127.0.0.1:{peer}"));
    for (flag, file) in [
        ("--cert-file", "server.pem"),
        ("--key-file", "server-key.pem"),
        ("--trusted-ca-file", "ca.pem"),
        ("--peer-cert-file", "server.pem"),
        ("--peer-key-file", "server-key.pem"),
        ("--peer-trusted-ca-file", "ca.pem"),
    ] {
        cmd.arg(flag).arg(d.join(file));
    }
    cmd.arg("--client-cert-auth")
        .arg("--peer-client-cert-auth")
        .stdin(Stdio::null())
        .stdout(Stdio::from(log.try_clone().unwrap()))
        .stderr(Stdio::from(log));
    let mut etcd = Server(cmd.spawn().unwrap());
    wait_listening(client, &mut etcd, "etcd");
    wait_listening(peer, &mut etcd, "etcd peer");
    let eps = [format!("127.0.0.1:{client}"), format!("127.0.0.1:{peer}")];
    let o = km(&["-o", "json", "certs", "probe", &eps[0], &eps[1]]);
    // 3 days left: an error, exit 1.
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let r = json(&o);
    for ep in &eps {
        let leaf = r["certificates"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["path"] == ep.as_str())
            .unwrap_or_else(|| panic!("{ep}: {}", text(&o)))
            .clone();
        assert_eq!(leaf["days_left"], 3);
        assert_eq!(leaf["subject"], "CN=probe-server");
    }
    // One KM342 per endpoint, in whatever order the ports sort.
    let mut got = codes(&r);
    got.sort();
    let mut want = vec![
        ("KM342".to_string(), eps[0].clone()),
        ("KM342".to_string(), eps[1].clone()),
    ];
    want.sort();
    assert_eq!(got, want, "{}", text(&o));
    assert_no_secret(&pki, &[&o]);
}

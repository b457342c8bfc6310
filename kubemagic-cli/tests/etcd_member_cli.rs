//! Disaster recovery through the `kubemagic` binary on real etcd 3.4 and
//! 3.5 clusters with TLS on loopback (issue 23): replacing a dead member
//! (also after kill -9 of the replacement after its remove and after its
//! add), restoring a cluster that lost quorum from a snapshot, and the
//! refusals that leave everything as it was.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[path = "../../kubemagic-etcd/tests/common/mod.rs"]
mod common;

use common::{EtcdCluster, Version};

fn km(c: &EtcdCluster, endpoints: &[String]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kubemagic"));
    for v in [
        "ETCDCTL_ENDPOINTS",
        "ETCDCTL_CACERT",
        "ETCDCTL_CERT",
        "ETCDCTL_KEY",
    ] {
        cmd.env_remove(v);
    }
    cmd.args([
        "--output",
        "json",
        "etcd",
        "--dial-timeout",
        "1s",
        "--endpoints",
    ])
    .arg(endpoints.join(","));
    if let Some(t) = &c.tls {
        cmd.arg("--cacert")
            .arg(&t.ca)
            .arg("--cert")
            .arg(&t.cert)
            .arg("--key")
            .arg(&t.key);
    }
    cmd
}

fn run(cmd: &mut Command) -> (i32, serde_json::Value, String) {
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let v = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (out.status.code().unwrap_or(-1), v, stderr)
}

async fn client(c: &EtcdCluster, endpoint: &str) -> etcd_client::Client {
    let mut opts = etcd_client::ConnectOptions::new().with_connect_timeout(Duration::from_secs(2));
    if let Some(t) = &c.tls {
        let tls = etcd_client::TlsOptions::new()
            .ca_certificate(etcd_client::Certificate::from_pem(
                std::fs::read(&t.ca).unwrap(),
            ))
            .identity(etcd_client::Identity::from_pem(
                std::fs::read(&t.cert).unwrap(),
                std::fs::read(&t.key).unwrap(),
            ));
        opts = opts.with_tls(tls);
    }
    etcd_client::Client::connect([endpoint], Some(opts))
        .await
        .unwrap()
}

async fn put_keys(c: &EtcdCluster, endpoint: &str, from: usize, to: usize) {
    let mut cl = client(c, endpoint).await;
    for i in from..to {
        cl.put(format!("/registry/k/{i:05}"), format!("v{i}"), None)
            .await
            .unwrap();
    }
}

/// Keys under /registry/k/ read through `endpoint` alone (linearizable:
/// the member must be part of a working cluster).
async fn count_keys(c: &EtcdCluster, endpoint: &str) -> i64 {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let mut cl = client(c, endpoint).await;
        let r = cl
            .get(
                "/registry/k/",
                Some(
                    etcd_client::GetOptions::new()
                        .with_prefix()
                        .with_count_only(),
                ),
            )
            .await;
        match r {
            Ok(r) => return r.count(),
            Err(e) if Instant::now() > deadline => panic!("read from {endpoint}: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

fn scheme(c: &EtcdCluster) -> &'static str {
    if c.tls.is_some() {
        "https"
    } else {
        "http"
    }
}

/// Starts `etcd` of `v` with `env` (as printed by kubemagic) plus its data
/// dir, client URLs and the cluster's TLS files. Returns its pid.
fn start_member(
    c: &mut EtcdCluster,
    name: &str,
    env: &serde_json::Value,
    data_dir: &Path,
    client_port: u16,
    peer_port: u16,
) -> u32 {
    let url = format!("{}://127.0.0.1:{client_port}", scheme(c));
    let log =
        std::fs::File::create(c.dir.path().join(format!("{name}-{client_port}.log"))).unwrap();
    let mut cmd = Command::new(c.version.etcd());
    cmd.env_clear();
    for (k, v) in env.as_object().unwrap() {
        cmd.env(k, v.as_str().unwrap());
    }
    cmd.env("ETCD_DATA_DIR", data_dir)
        .env("ETCD_LISTEN_CLIENT_URLS", &url)
        .env("ETCD_ADVERTISE_CLIENT_URLS", &url);
    if let Some(t) = &c.tls {
        for (k, p) in [
            ("ETCD_CERT_FILE", &t.cert),
            ("ETCD_KEY_FILE", &t.key),
            ("ETCD_TRUSTED_CA_FILE", &t.ca),
            ("ETCD_PEER_CERT_FILE", &t.cert),
            ("ETCD_PEER_KEY_FILE", &t.key),
            ("ETCD_PEER_TRUSTED_CA_FILE", &t.ca),
        ] {
            cmd.env(k, p);
        }
        cmd.env("ETCD_CLIENT_CERT_AUTH", "true")
            .env("ETCD_PEER_CLIENT_CERT_AUTH", "true");
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::from(log.try_clone().unwrap()))
        .stderr(Stdio::from(log));
    let child = cmd.spawn().unwrap();
    let pid = child.id();
    c.nodes.push(common::Node {
        name: name.to_string(),
        client_port,
        peer_port,
        pid,
        child: Some(child),
    });
    pid
}

fn members(list: &serde_json::Value) -> Vec<serde_json::Value> {
    list["members"].as_array().cloned().unwrap_or_default()
}

fn bin_dir(v: Version) -> PathBuf {
    v.etcd().parent().unwrap().to_path_buf()
}

/// Runs `member replace` with the pause hook at `step`, waits for the
/// pause, kills it with SIGKILL.
fn replace_killed_at(c: &EtcdCluster, eps: &[String], args: &[&str], step: &str) {
    let mut cmd = km(c, eps);
    cmd.args(["member", "replace"]).args(args);
    cmd.env("KUBEMAGIC_TEST_PAUSE_AT", step)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut seen = Vec::new();
    for line in BufReader::new(stderr).lines() {
        let line = line.unwrap();
        let done = line.contains(&format!("paused after {step}"));
        seen.push(line);
        if done {
            break;
        }
    }
    assert!(
        seen.iter().any(|l| l.contains("paused after")),
        "replace never reached {step}: {seen:?}"
    );
    child.kill().unwrap(); // SIGKILL
    let _ = child.wait();
}

async fn wait_member_list(
    c: &EtcdCluster,
    eps: &[String],
    want: impl Fn(&[serde_json::Value]) -> bool,
) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        let (code, v, err) = run(km(c, eps).args(["member", "list"]));
        if code == 0 && want(&members(&v)) {
            return v;
        }
        if Instant::now() > deadline {
            panic!(
                "member list never settled: {code} {v:#} {err}\nlogs in {}",
                c.dir.path().display()
            );
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

async fn dead_member_is_replaced_even_after_kill_9_and_serves_every_key(v: Version) {
    let mut c = EtcdCluster::start_version(v, 3, |_| None, true);
    c.wait_healthy().await;
    let eps = c.endpoints();
    put_keys(&c, &eps[0], 0, 1000).await;
    let state = c.dir.path().join("state");
    let state_s = state.to_str().unwrap().to_string();

    // etcd2 dies and its disk is lost.
    c.kill(2);
    std::fs::remove_dir_all(c.dir.path().join("etcd2")).unwrap();

    // Replace it by a member on new ports; kill -9 right after the remove.
    let (cp, pp) = common::free_port_pair();
    let new_peer = format!("{}://127.0.0.1:{pp}", scheme(&c));
    let args = [
        "--dead",
        "etcd2",
        "--name",
        "etcd2",
        "--peer-urls",
        &new_peer,
        "--state-dir",
        &state_s,
    ];
    replace_killed_at(&c, &eps, &args, "removed");
    let (code, r, err) = run(km(&c, &eps).args(["member", "replace"]).args(args));
    assert_eq!(code, 0, "{err}");
    assert_eq!(r["resumed"], true);
    assert_eq!(
        r["performed"],
        serde_json::json!(["added"]),
        "the remove is not repeated"
    );
    let env = r["env"].clone();
    assert_eq!(env["ETCD_INITIAL_CLUSTER_STATE"], "existing");
    assert_eq!(env["ETCD_NAME"], "etcd2");
    assert_eq!(env["ETCD_INITIAL_ADVERTISE_PEER_URLS"], new_peer.as_str());
    assert!(env["ETCD_INITIAL_CLUSTER"]
        .as_str()
        .unwrap()
        .contains(&format!("etcd2={new_peer}")));
    assert_eq!(r["added"]["is_learner"], true, "3.4+ joins as a learner");

    // Start it with the printed env only (plus data dir, client URLs, TLS).
    let dd = c.dir.path().join("etcd2-new");
    start_member(&mut c, "etcd2-new", &env, &dd, cp, pp);
    let (code, p, err) = {
        let mut cmd = km(&c, &eps[..2]);
        run(cmd.args(["member", "promote", "etcd2", "--wait", "60s"]))
    };
    assert_eq!(code, 0, "{p:#} {err}");
    let list = wait_member_list(&c, &eps[..2], |ms| {
        ms.len() == 3
            && ms
                .iter()
                .all(|m| m["healthy"] == true && m["is_learner"] == false)
    })
    .await;
    let names: Vec<String> = members(&list)
        .iter()
        .map(|m| m["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        names
            .iter()
            .filter(|n| ["etcd0", "etcd1", "etcd2"].contains(&n.as_str()))
            .count(),
        3,
        "{names:?}"
    );
    let new_ep = format!("{}://127.0.0.1:{cp}", scheme(&c));
    assert_eq!(
        count_keys(&c, &new_ep).await,
        1000,
        "every key from the new member"
    );

    // Now etcd1 dies; its replacement is killed -9 right after the add.
    c.kill(1);
    let (_, pp2) = common::free_port_pair();
    let peer2 = format!("{}://127.0.0.1:{pp2}", scheme(&c));
    let alive = vec![eps[0].clone(), new_ep.clone()];
    let args2 = [
        "--dead",
        "etcd1",
        "--name",
        "etcd1b",
        "--peer-urls",
        &peer2,
        "--state-dir",
        &state_s,
    ];
    replace_killed_at(&c, &alive, &args2, "added");
    let (code, r2, err) = run(km(&c, &alive).args(["member", "replace"]).args(args2));
    assert_eq!(code, 0, "{err}");
    assert_eq!(r2["resumed"], true);
    assert_eq!(
        r2["performed"],
        serde_json::json!([]),
        "neither remove nor add repeated"
    );
    let (_, list, _) = run(km(&c, &alive).args(["member", "list"]));
    let ms = members(&list);
    assert_eq!(ms.len(), 3, "{list:#}");
    assert_eq!(
        ms.iter()
            .filter(|m| m["peer_urls"][0] == peer2.as_str())
            .count(),
        1,
        "exactly one new member: {list:#}"
    );
    assert!(!ms.iter().any(|m| m["name"] == "etcd1"), "etcd1 removed");
}

on_every_version!(dead_member_is_replaced_even_after_kill_9_and_serves_every_key:
    dead_member_is_replaced_even_after_kill_9_and_serves_every_key_on_3_4,
    dead_member_is_replaced_even_after_kill_9_and_serves_every_key_on_3_5);

async fn quorum_lost_restore_brings_back_every_key_under_a_new_cluster_id(v: Version) {
    let mut c = EtcdCluster::start_version(v, 3, |_| None, true);
    c.wait_healthy().await;
    let eps = c.endpoints();
    put_keys(&c, &eps[0], 0, 1000).await;
    let snap = c.dir.path().join("snap.db");
    let (code, s, err) = run(km(&c, &eps).args(["snapshot", "save"]).arg(&snap));
    assert_eq!(code, 0, "{err}");
    let old_cluster = {
        let (_, l, _) = run(km(&c, &eps).args(["member", "list"]));
        l["cluster_id"].as_str().unwrap().to_string()
    };
    // Written after the snapshot: must not come back.
    put_keys(&c, &eps[0], 1000, 1100).await;
    let _ = s;

    // Quorum lost: two of three die; then the last one is stopped too.
    c.kill(1);
    c.kill(2);
    c.kill(0);
    let ic: Vec<String> = c
        .nodes
        .iter()
        .map(|n| format!("{}={}://127.0.0.1:{}", n.name, scheme(&c), n.peer_port))
        .collect();
    let ic = ic.join(",");

    // --print-plan: every member's flags, one token, one cluster id.
    let (code, plan, err) = run(km(&c, &eps)
        .args(["restore", "--print-plan", "--snapshot"])
        .arg(&snap)
        .args(["--initial-cluster", &ic, "--data-dir", "/var/lib/etcd"]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(plan["plan"]["members"].as_array().unwrap().len(), 3);
    let new_cluster = plan["plan"]["cluster_id"].as_str().unwrap().to_string();
    assert_ne!(new_cluster, old_cluster);
    let token = plan["plan"]["initial_cluster_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        token.starts_with("kubemagic-restore-"),
        "printed, not masked: {token}"
    );

    let nodes: Vec<(String, u16, u16)> = c
        .nodes
        .iter()
        .map(|n| (n.name.clone(), n.client_port, n.peer_port))
        .collect();
    let mut envs = BTreeMap::new();
    for (name, _, pp) in &nodes {
        let dd = c.dir.path().join(name);
        let (code, r, err) = run(km(&c, &eps)
            .args(["restore", "--snapshot"])
            .arg(&snap)
            .args([
                "--name",
                name,
                "--initial-cluster",
                &ic,
                "--initial-advertise-peer-urls",
            ])
            .arg(format!("{}://127.0.0.1:{pp}", scheme(&c)))
            .arg("--data-dir")
            .arg(&dd)
            .arg("--move-aside")
            .arg("--bin-dir")
            .arg(bin_dir(v)));
        assert_eq!(code, 0, "{err}");
        assert_eq!(r["env"]["ETCD_INITIAL_CLUSTER_STATE"], "new");
        assert_eq!(
            r["env"]["ETCD_INITIAL_CLUSTER_TOKEN"].as_str(),
            Some(token.as_str())
        );
        assert_eq!(r["cluster_id"].as_str(), Some(new_cluster.as_str()));
        let aside = PathBuf::from(r["moved_aside"].as_str().expect("old data moved aside"));
        assert!(
            aside.join("member").exists(),
            "old data kept at {}",
            aside.display()
        );
        envs.insert(name.clone(), (r["env"].clone(), aside));
    }
    for (name, cp, pp) in &nodes {
        let dd = c.dir.path().join(name);
        start_member(&mut c, name, &envs[name].0, &dd, *cp, *pp);
    }
    let list = wait_member_list(&c, &eps, |ms| {
        ms.len() == 3 && ms.iter().all(|m| m["healthy"] == true)
    })
    .await;
    assert_eq!(
        list["cluster_id"].as_str(),
        Some(new_cluster.as_str()),
        "the predicted new cluster id"
    );
    for ep in &eps {
        assert_eq!(
            count_keys(&c, ep).await,
            1000,
            "keys up to the snapshot, none after, on {ep}"
        );
    }
    put_keys(&c, &eps[1], 2000, 2001).await;
    assert_eq!(count_keys(&c, &eps[2]).await, 1001, "writes work");

    // KM141: the data moved aside belongs to the old cluster.
    let env_file = c.dir.path().join("etcd0.env");
    std::fs::write(
        &env_file,
        format!(
            "ETCD_NAME=etcd0\nETCD_DATA_DIR={}\nETCD_INITIAL_CLUSTER_STATE=existing\nETCD_INITIAL_ADVERTISE_PEER_URLS={}\n",
            envs["etcd0"].1.display(),
            envs["etcd0"].0["ETCD_INITIAL_ADVERTISE_PEER_URLS"].as_str().unwrap()
        ),
    )
    .unwrap();
    let (code, l, _) = run(km(&c, &eps)
        .args(["member", "list", "--env-file"])
        .arg(&env_file));
    assert_eq!(code, 1, "{l:#}");
    assert_eq!(l["findings"][0]["code"], "KM141", "{l:#}");
    assert!(l["findings"][0]["message"]
        .as_str()
        .unwrap()
        .contains(&old_cluster));
}

on_every_version!(quorum_lost_restore_brings_back_every_key_under_a_new_cluster_id:
    quorum_lost_restore_brings_back_every_key_under_a_new_cluster_id_on_3_4,
    quorum_lost_restore_brings_back_every_key_under_a_new_cluster_id_on_3_5);

fn tree(dir: &Path) -> Vec<(PathBuf, u64)> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(tree(&p));
            } else {
                out.push((p.clone(), e.metadata().map(|m| m.len()).unwrap_or(0)));
            }
        }
    }
    out.sort();
    out
}

async fn refusals_change_nothing(v: Version) {
    let mut c = EtcdCluster::start_version(v, 3, |_| None, true);
    c.wait_healthy().await;
    let eps = c.endpoints();
    let state = c.dir.path().join("state");
    let (_, before, _) = run(km(&c, &eps).args(["member", "list"]));

    // KM142: `new` on a member with an empty data dir while this cluster runs;
    // KM143: a listed name with another peer URL.
    let empty = c.dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let env_file = c.dir.path().join("joining.env");
    std::fs::write(
        &env_file,
        format!(
            "ETCD_NAME=etcd1\nETCD_DATA_DIR={}\nETCD_INITIAL_CLUSTER_STATE=new\n\
             ETCD_INITIAL_CLUSTER=etcd1=https://127.0.0.1:1\nETCD_INITIAL_ADVERTISE_PEER_URLS=https://127.0.0.1:1\n",
            empty.display()
        ),
    )
    .unwrap();
    let (code, l, _) = run(km(&c, &eps)
        .args(["member", "list", "--env-file"])
        .arg(&env_file));
    assert_eq!(code, 1, "{l:#}");
    let codes: Vec<&str> = l["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["KM142", "KM143"], "{l:#}");
    assert_eq!(
        l["findings"][0]["line"], 3,
        "FILE:LINE of ETCD_INITIAL_CLUSTER_STATE"
    );

    // A healthy member is not replaced.
    let (code, _, err) = run(km(&c, &eps)
        .args([
            "member",
            "replace",
            "--dead",
            "etcd1",
            "--name",
            "x",
            "--peer-urls",
            "https://127.0.0.1:1",
            "--state-dir",
        ])
        .arg(&state));
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("is healthy") && err.contains("--force"),
        "{err}"
    );
    assert!(!state.exists(), "nothing journaled");

    // With etcd2 dead, removing a healthy member would lose quorum, even forced.
    c.kill(2);
    let (code, _, err) = run(km(&c, &eps).args(["member", "remove", "etcd0", "--force"]));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("would lose quorum"), "{err}");
    let (_, after, _) = run(km(&c, &eps).args(["member", "list"]));
    let ids = |l: &serde_json::Value| {
        members(l)
            .iter()
            .map(|m| m["id"].clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&before), ids(&after), "member list unchanged");

    // A snapshot with one flipped byte, or truncated: refused, nothing written.
    let snap = c.dir.path().join("snap.db");
    let (code, _, err) = run(km(&c, &eps[..2]).args(["snapshot", "save"]).arg(&snap));
    assert_eq!(code, 0, "{err}");
    let good = std::fs::read(&snap).unwrap();
    let mut flipped = good.clone();
    flipped[good.len() / 2] ^= 0x01;
    let bad = c.dir.path().join("flipped.db");
    std::fs::write(&bad, &flipped).unwrap();
    let short = c.dir.path().join("short.db");
    std::fs::write(&short, &good[..good.len() - 100]).unwrap();
    let ic = format!("a=https://127.0.0.1:{}", c.nodes[0].peer_port);
    let peer = format!("https://127.0.0.1:{}", c.nodes[0].peer_port);
    for (file, why) in [(&bad, "corrupted"), (&short, "truncated")] {
        let dd = c.dir.path().join("restored");
        let (code, _, err) = run(km(&c, &eps)
            .args(["restore", "--snapshot"])
            .arg(file)
            .args([
                "--name",
                "a",
                "--initial-cluster",
                &ic,
                "--initial-advertise-peer-urls",
                &peer,
                "--data-dir",
            ])
            .arg(&dd)
            .arg("--bin-dir")
            .arg(bin_dir(v)));
        assert_eq!(code, 2, "{err}");
        assert!(err.contains(why), "{err}");
        assert!(!dd.exists(), "nothing written");
    }
    // A non-empty data directory: refused, untouched.
    let dd = c.dir.path().join("etcd0");
    let t0 = tree(&dd);
    let (code, _, err) = run(km(&c, &eps)
        .args(["restore", "--snapshot"])
        .arg(&snap)
        .args([
            "--name",
            "a",
            "--initial-cluster",
            &ic,
            "--initial-advertise-peer-urls",
            &peer,
            "--data-dir",
        ])
        .arg(&dd)
        .arg("--bin-dir")
        .arg(bin_dir(v)));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not empty"), "{err}");
    assert_eq!(tree(&dd).len(), t0.len(), "data directory untouched");
}

on_every_version!(refusals_change_nothing:
    refusals_change_nothing_on_3_4,
    refusals_change_nothing_on_3_5);

/// A snapshot-shaped file (a page of zeros and its SHA-256), enough for
/// the integrity check `--print-plan` makes.
fn fake_snapshot(dir: &Path) -> PathBuf {
    use sha2::{Digest, Sha256};
    let body = vec![0u8; 4096];
    let mut bytes = body.clone();
    bytes.extend_from_slice(&Sha256::digest(&body));
    let p = dir.join("fake.db");
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn restore_plan_takes_every_member_of_the_sites_etcd_group() {
    let dir = tempfile::tempdir().unwrap();
    let snap = fake_snapshot(dir.path());
    let site = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/utgb");
    let out = Command::new(env!("CARGO_BIN_EXE_kubemagic"))
        .args([
            "-o",
            "json",
            "etcd",
            "restore",
            "--print-plan",
            "--snapshot",
        ])
        .arg(&snap)
        .arg("--site")
        .arg(&site)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ms = v["plan"]["members"].as_array().unwrap();
    assert_eq!(ms.len(), 3);
    for m in ms {
        assert_eq!(m["env"]["ETCD_INITIAL_CLUSTER_STATE"], "new");
        assert_eq!(
            m["env"]["ETCD_INITIAL_CLUSTER"],
            v["plan"]["initial_cluster"]
        );
        assert_eq!(m["env"]["ETCD_DATA_DIR"], "/var/lib/etcd");
    }
    assert!(!dir.path().join("var").exists(), "a plan writes nothing");
}

#[test]
fn restore_without_members_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let snap = fake_snapshot(dir.path());
    let out = Command::new(env!("CARGO_BIN_EXE_kubemagic"))
        .args(["etcd", "restore", "--print-plan", "--snapshot"])
        .arg(&snap)
        .args(["--data-dir", "/tmp/x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// Unmounts on drop, panics included.
struct Mount(PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_onto_a_dedicated_volume_moves_its_contents_aside_inside_it() {
    // A volume mounted at the data directory (the seed's advice) cannot be
    // renamed aside: the restore must happen inside it.
    let vol_dir = tempfile::tempdir().unwrap();
    let vol = vol_dir.path().join("etcd");
    std::fs::create_dir(&vol).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=512m", "tmpfs"])
        .arg(&vol)
        .output()
        .unwrap();
    if !mounted.status.success() {
        eprintln!(
            "skipped: cannot mount a tmpfs (needs root): {}",
            String::from_utf8_lossy(&mounted.stderr)
        );
        return;
    }
    let _guard = Mount(vol.clone());
    let c = EtcdCluster::start_version(Version::V34, 1, |_| None, false);
    c.wait_healthy().await;
    let eps = c.endpoints();
    put_keys(&c, &eps[0], 0, 10).await;
    let snap = c.dir.path().join("snap.db");
    let (code, _, err) = run(km(&c, &eps).args(["snapshot", "save"]).arg(&snap));
    assert_eq!(code, 0, "{err}");
    // An empty volume but for lost+found counts as empty.
    std::fs::create_dir(vol.join("lost+found")).unwrap();
    let peer = "http://127.0.0.1:2380";
    let restore = |extra: &[&str]| {
        let mut cmd = km(&c, &eps);
        cmd.args(["restore", "--snapshot"])
            .arg(&snap)
            .args(["--name", "a", "--initial-cluster", &format!("a={peer}")])
            .args(["--initial-advertise-peer-urls", peer, "--data-dir"])
            .arg(&vol)
            .arg("--bin-dir")
            .arg(bin_dir(Version::V34))
            .args(extra);
        run(&mut cmd)
    };
    let (code, _, err) = restore(&[]);
    assert_eq!(code, 0, "{err}");
    assert!(vol.join("member/snap/db").exists());
    // Again, onto the restored data: refused, then moved aside inside the volume.
    let (code, _, err) = restore(&[]);
    assert_eq!(code, 2, "{err}");
    let (code, r, err) = restore(&["--move-aside"]);
    assert_eq!(code, 0, "{err}");
    let aside = PathBuf::from(r["moved_aside"].as_str().unwrap());
    assert!(aside.starts_with(&vol), "{}", aside.display());
    assert!(aside.join("member/snap/db").exists(), "old data kept");
    assert!(vol.join("member/snap/db").exists() && vol.join("lost+found").exists());
}

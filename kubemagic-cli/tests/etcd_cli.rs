//! `kubemagic etcd` exit codes and error messages on bad input (no cluster
//! needed; the live behaviour is tested in kubemagic-etcd/tests).

use std::process::Command;

#[path = "../../kubemagic-etcd/tests/common/mod.rs"]
mod common;

fn km() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kubemagic"));
    for v in [
        "ETCDCTL_ENDPOINTS",
        "ETCDCTL_CACERT",
        "ETCDCTL_CERT",
        "ETCDCTL_KEY",
    ] {
        c.env_remove(v);
    }
    c
}

#[test]
fn no_endpoint_means_127_0_0_1_2379_as_etcdctl_said_on_stderr() {
    let out = km()
        .args(["etcd", "status", "--dial-timeout", "1s"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("using 127.0.0.1:2379, as etcdctl does"),
        "{err}"
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("127.0.0.1:2379"), "{text}");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn status_and_recover_dry_run_say_unknown_when_no_member_could_be_read() {
    let ep = format!("127.0.0.1:{}", free_port());
    let out = km()
        .args(["etcd", "status", "--dial-timeout", "1s", "--endpoints", &ep])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("alarms: unknown"), "{text}");
    assert!(!text.contains("alarms: none"), "{text}");
    let out = km()
        .args([
            "etcd",
            "recover",
            "--dry-run",
            "--dial-timeout",
            "1s",
            "--endpoints",
            &ep,
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("unknown: no member could be read"), "{text}");
    assert!(!text.contains("nothing to repair"), "{text}");
    let out = km()
        .args([
            "-o",
            "json",
            "etcd",
            "status",
            "--dial-timeout",
            "1s",
            "--endpoints",
            &ep,
        ])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["alarms_known"], false);
}

#[test]
fn keep_zero_and_keep_without_snapshot_dir_are_usage_errors() {
    let ep = format!("127.0.0.1:{}", free_port());
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    for (args, says) in [
        (
            vec!["--snapshot-dir", d, "--keep", "0"],
            "--keep must be at least 1",
        ),
        (vec!["--keep", "3"], "give --snapshot-dir too"),
    ] {
        let out = km()
            .args(["etcd", "maintain", "--endpoints", &ep])
            .args(&args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
}

#[test]
fn an_env_file_that_is_a_fifo_is_refused_not_read_for_ever() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("etcd.env");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let mut child = km()
        .args(["etcd", "status", "--env-file"])
        .arg(&fifo)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("kubemagic hangs on a FIFO given as --env-file");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("not a regular file"), "{err}");
}

#[test]
fn alarm_snapshot_and_compact_help_have_examples_and_every_argument_a_help() {
    for (sub, wants) in [
        (
            vec!["alarm", "list"],
            vec!["Examples:\n  kubemagic etcd alarm list"],
        ),
        (
            vec!["alarm", "disarm"],
            vec!["Examples:\n  kubemagic etcd alarm disarm"],
        ),
        (
            vec!["snapshot", "save"],
            vec![
                "Examples:\n  kubemagic etcd snapshot save",
                "<FILE>",
                "Where to write",
            ],
        ),
        (vec!["compact"], vec!["--revision <REV>", "Compact up to"]),
        (vec!["usage"], vec!["--prefix <PREFIX>", "Count only keys"]),
    ] {
        let out = km().arg("etcd").args(&sub).arg("--help").output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        for w in wants {
            assert!(text.contains(w), "{sub:?} lacks {w:?}:\n{text}");
        }
    }
}

#[test]
fn missing_certificate_is_named_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let env = dir.path().join("etcd.env");
    std::fs::write(
        &env,
        "ETCD_INITIAL_CLUSTER=etcd1=https://127.0.0.1:2380\nETCDCTL_CA_FILE=/nonexistent/ca.pem\n",
    )
    .unwrap();
    let out = km()
        .args(["--output", "json", "etcd", "status", "--env-file"])
        .arg(&env)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err: serde_json::Value = serde_json::from_slice(&out.stderr).unwrap();
    assert!(err["error"]["message"]
        .as_str()
        .unwrap()
        .contains("/nonexistent/ca.pem"));
}

#[test]
fn unreachable_member_makes_status_exit_1_with_a_finding() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = km()
        .args([
            "--output",
            "json",
            "etcd",
            "status",
            "--dial-timeout",
            "1s",
            "--endpoints",
        ])
        .arg(format!("127.0.0.1:{port}"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["members"][0]["reachable"], false);
    assert_eq!(v["findings"][0]["code"], "KM126");
}

#[test]
fn bad_duration_is_an_input_error() {
    let out = km()
        .args([
            "etcd",
            "status",
            "--endpoints",
            "127.0.0.1:1",
            "--dial-timeout",
            "soon",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_status_recover_and_snapshot_through_the_cli() {
    let cluster = common::EtcdCluster::start(1, |_| Some(20_971_520), false);
    cluster.wait_healthy().await;
    let ep = cluster.endpoints()[0].clone();
    let out = km()
        .args(["--output", "json", "etcd", "status", "--endpoints", &ep])
        .output()
        .unwrap();
    // A 20 MiB quota is a warning, not an error: exit 0.
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["members"][0]["quota_backend_bytes"], 20_971_520);
    assert_eq!(v["members"][0]["is_leader"], true);
    assert!(v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["code"] == "KM129"));

    let out = km()
        .args(["etcd", "status", "--endpoints", &ep])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("% QUOTA") && text.contains("20 MiB"),
        "{text}"
    );

    let out = km()
        .args(["etcd", "recover", "--endpoints", &ep])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // A healthy cluster: nothing to repair, nothing changed.
    assert!(String::from_utf8_lossy(&out.stdout).contains("nothing to repair"));

    let snap = cluster.dir.path().join("s.db");
    let out = km()
        .args(["etcd", "snapshot", "save", "--endpoints", &ep])
        .arg(&snap)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("sha256 "));
    assert!(snap.exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_fragmented_defrag_with_nothing_to_do_exits_0_and_says_so() {
    let cluster = common::EtcdCluster::start(1, |_| None, false);
    cluster.wait_healthy().await;
    let ep = cluster.endpoints()[0].clone();
    let out = km()
        .args(["etcd", "defrag", "--only-fragmented", "--endpoints", &ep])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("nothing to defragment"), "{text}");
}

/// `etcd status --output nagios` as a Monitoring Plugin: OK on a healthy
/// cluster, CRITICAL (exit 2) after NOSPACE, OK again after recover; bad
/// arguments are UNKNOWN (exit 3).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nagios_output_follows_the_cluster_through_an_incident() {
    let cluster = common::EtcdCluster::start(3, |i| (i == 2).then_some(20_971_520), false);
    cluster.wait_healthy().await;
    let eps = cluster.endpoints();
    let check = || {
        let out = km()
            .args([
                "etcd",
                "status",
                "--output",
                "nagios",
                "--endpoints",
                &eps[0],
            ])
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).to_string(),
        )
    };
    let (code, text) = check();
    assert_eq!(code, Some(0), "{text}");
    let first = text.lines().next().unwrap();
    assert!(
        first.starts_with("ETCD OK - 3/3 members, largest db "),
        "{first}"
    );
    assert!(first.contains("'etcd2_db'="), "{first}");
    assert!(first.contains(";0;20971520 "), "{first}");
    assert_eq!(
        text.lines().count(),
        4,
        "one long-output line per member: {text}"
    );

    let (_, refusal) = common::fill_until_nospace(&eps[0], 400).await;
    assert!(refusal.is_some());
    let (code, text) = check();
    assert_eq!(code, Some(2), "{text}");
    assert!(
        text.starts_with("ETCD CRITICAL - NOSPACE alarm on etcd2"),
        "{text}"
    );
    assert!(text.contains("'etcd2_alarms'=1;;0;0"), "{text}");

    let out = km()
        .args(["etcd", "recover", "--endpoints", &eps[1]])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let (code, text) = check();
    assert_eq!(code, Some(0), "{text}");

    let out = km()
        .args([
            "--output",
            "nagios",
            "etcd",
            "status",
            "--warning",
            "96",
            "--endpoints",
            &eps[0],
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("ETCD UNKNOWN - "));
    let out = km()
        .args(["--output", "nagios", "etcd", "status", "--no-such-flag"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn maintain_with_nothing_to_do_exits_0_and_json_reports_the_snapshot() {
    let cluster = common::EtcdCluster::start(1, |_| None, false);
    cluster.wait_healthy().await;
    let ep = cluster.endpoints()[0].clone();
    let out = km()
        .args(["etcd", "maintain", "--endpoints", &ep])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("nothing to do"), "{text}");

    let dir = cluster.dir.path().join("snaps");
    std::fs::create_dir_all(&dir).unwrap();
    let out = km()
        .args([
            "--output",
            "json",
            "etcd",
            "maintain",
            "--keep",
            "1",
            "--endpoints",
            &ep,
        ])
        .arg("--snapshot-dir")
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["snapshot"]["sha256"].as_str().unwrap().len(), 64);

    let out = km()
        .args([
            "etcd",
            "maintain",
            "--print-systemd-units",
            "--endpoints",
            &ep,
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("RandomizedDelaySec=") && text.contains(" maintain --endpoints "),
        "{text}"
    );
}

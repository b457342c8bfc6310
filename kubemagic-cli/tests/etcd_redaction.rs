//! No etcd endpoint credential reaches the screen: every `kubemagic etcd`
//! command, in text, JSON and Nagios output, on stdout and stderr (progress
//! lines and errors included), against real etcd 3.4 and 3.5 given
//! `http://user:PASSWORD@127.0.0.1:PORT` through `--endpoints`,
//! `ETCDCTL_ENDPOINTS` or an env file. etcd does not need auth enabled:
//! the URL only has to be parsed and its userinfo redacted.

use proptest::prelude::*;
use std::path::Path;
use std::process::{Command, Output};

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

fn all(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Every etcd command, with the output formats it speaks, given only the
/// connection arguments `conn`.
fn every_command(dir: &Path, n: usize) -> Vec<Vec<String>> {
    let snap = dir.join(format!("snap-{n}.db")).display().to_string();
    let snaps = dir.join(format!("snaps-{n}")).display().to_string();
    std::fs::create_dir_all(&snaps).unwrap();
    let mut out = Vec::new();
    for o in ["text", "json"] {
        for cmd in [
            vec!["status"],
            vec!["compact"],
            vec!["defrag"],
            vec!["alarm", "list"],
            vec!["alarm", "disarm"],
            vec!["snapshot", "save", &snap],
            vec!["usage"],
            vec!["maintain", "--snapshot-dir", &snaps, "--keep", "2"],
            vec!["maintain", "--dry-run", "--compact"],
            vec!["recover"],
            vec!["recover", "--dry-run"],
        ] {
            let mut a = vec!["-o".to_string(), o.to_string(), "etcd".to_string()];
            a.extend(cmd.iter().map(|s| s.to_string()));
            out.push(a);
        }
    }
    out.push(
        ["-o", "nagios", "etcd", "status"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
    );
    out
}

/// How the endpoint reaches kubemagic.
#[derive(Debug, Clone, Copy)]
enum Via {
    Flag,
    Env,
    EnvFile,
}

fn run(args: &[String], url: &str, via: Via, dir: &Path) -> Output {
    let mut c = km();
    c.args(args).args(["--dial-timeout", "1s"]);
    match via {
        Via::Flag => {
            c.arg("--endpoints").arg(url);
        }
        Via::Env => {
            c.env("ETCDCTL_ENDPOINTS", url);
        }
        Via::EnvFile => {
            let f = dir.join("etcd.env");
            std::fs::write(&f, format!("ETCDCTL_ENDPOINTS=\"{url}\"\n")).unwrap();
            c.arg("--env-file").arg(&f);
        }
    }
    c.output().unwrap()
}

/// Runs every command with `password` in the endpoint's userinfo and
/// returns the outputs that leaked it (empty when none did).
fn leaks(port: u16, password: &str, via: Via, dir: &Path, n: usize) -> Vec<String> {
    let url = format!("http://kmuser:{password}@127.0.0.1:{port}");
    let mut bad = Vec::new();
    for args in every_command(dir, n) {
        let o = run(&args, &url, via, dir);
        let text = all(&o);
        if text.contains(password) {
            bad.push(format!("{via:?} {args:?} leaks {password:?}:\n{text}"));
        }
    }
    bad
}

/// A password RFC 3986 allows (the member is reached), and ones it does not:
/// `/` and `#` end the authority for any pattern, a space makes the URL
/// invalid (an error quoting it).
const PASSWORDS: [&str; 4] = ["S3cr%t!x,y", "pa/ss#word", "pa ss word", "p@ss:w;rd"];

async fn no_credential_in_any_output(v: common::Version) {
    let cluster = common::EtcdCluster::start_version(v, 1, |_| Some(20_971_520), false);
    cluster.wait_healthy().await;
    let port = cluster.nodes[0].client_port;
    let dir = cluster.dir.path().to_path_buf();
    let mut bad = Vec::new();
    for (i, pw) in PASSWORDS.iter().enumerate() {
        bad.extend(leaks(port, pw, Via::Flag, &dir, i));
    }
    for via in [Via::Env, Via::EnvFile] {
        bad.extend(leaks(port, PASSWORDS[1], via, &dir, 10));
    }
    assert!(bad.is_empty(), "{}", bad.join("\n----\n"));
}

on_every_version!(no_credential_in_any_output: endpoint_passwords_never_print_in_any_etcd_output_34, endpoint_passwords_never_print_in_any_etcd_output_35);

/// The working endpoint is really used: the status names the member and
/// the defragmentation's progress lines quote the endpoint, masked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_lines_and_tables_show_the_endpoint_masked() {
    let cluster = common::EtcdCluster::start(1, |_| None, false);
    cluster.wait_healthy().await;
    let url = format!(
        "http://kmuser:S3cr%t!x@127.0.0.1:{}",
        cluster.nodes[0].client_port
    );
    let o = km()
        .args(["etcd", "defrag", "--endpoints", &url])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{}", all(&o));
    assert!(
        err.contains("[1/1] defragmenting http://***@127.0.0.1:"),
        "{err}"
    );
    let o = km()
        .args(["etcd", "status", "--endpoints", &url])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("http://***@127.0.0.1:"), "{out}");
    assert!(out.contains("etcd0"), "{out}");
}

fn password() -> impl Strategy<Value = String> {
    // What a user may type in a password: RFC 3986's userinfo characters
    // and the ones it forbids unencoded.
    let chars: Vec<char> = "abcXYZ0189-._~!$&'()*+,;=%/#? ".chars().collect();
    proptest::collection::vec(proptest::sample::select(chars), 6..16)
        .prop_map(|v| format!("P{}", v.into_iter().collect::<String>()))
}

proptest! {
    // Each case runs the binary 23 times against one cluster: a few cases.
    #![proptest_config(ProptestConfig { cases: 4, ..ProptestConfig::default() })]
    #[test]
    fn random_endpoint_passwords_never_print(pw in password()) {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let cluster = common::EtcdCluster::start(1, |_| None, false);
        rt.block_on(cluster.wait_healthy());
        let bad = leaks(cluster.nodes[0].client_port, &pw, Via::Flag, cluster.dir.path(), 0);
        prop_assert!(bad.is_empty(), "{}", bad.join("\n----\n"));
    }
}

/// Redaction by construction: the etcd sources print nothing themselves.
/// Every etcd report goes through `kubemagic_etcd::print` (writers over
/// `RedactingWriter`) and the CLI's `output` module; a new `println!` in
/// `etcd.rs` or the library would bypass the redactor, and fails here.
#[test]
fn etcd_sources_print_only_through_the_redacting_writers() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = vec![root.join("kubemagic-cli/src/etcd.rs")];
    let mut dirs = vec![root.join("kubemagic-etcd/src")];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                files.push(p);
            }
        }
    }
    let forbidden = [
        "println!",
        "print!(",
        "eprintln!",
        "eprint!(",
        "io::stdout()",
        "io::stderr()",
    ];
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        for (i, line) in code.lines().enumerate() {
            let l = line.trim_start();
            if l.starts_with("//") {
                continue;
            }
            for m in forbidden {
                assert!(
                    !l.contains(m),
                    "{}:{}: {m} bypasses the redacting writers: {line}",
                    f.display(),
                    i + 1
                );
            }
        }
    }
}

//! The conventions operators expect of a command-line tool: `-o json|yaml`,
//! shell completion, man pages, examples in every help, a version that says
//! which build ran.

use std::path::Path;
use std::process::{Command, Output};

fn km(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kubemagic"))
        .args(args)
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn utgb() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/utgb")
        .display()
        .to_string()
}

#[test]
fn yaml_output_is_the_json_document_encoded_as_yaml() {
    let j = km(&["-o", "json", "plan", &utgb()]);
    let y = km(&["-o", "yaml", "plan", &utgb()]);
    assert_eq!(y.status.code(), Some(0));
    let from_json: serde_json::Value = serde_json::from_slice(&j.stdout).unwrap();
    let from_yaml: serde_json::Value = serde_yaml_ng::from_slice(&y.stdout).unwrap();
    assert_eq!(from_json, from_yaml);
    let long = km(&["--output", "yaml", "check", &utgb()]);
    assert!(stdout(&long).starts_with("findings:"), "{}", stdout(&long));
}

#[test]
fn completion_scripts_are_printed_for_each_shell() {
    for (shell, marker) in [
        ("bash", "_kubemagic()"),
        ("zsh", "#compdef kubemagic"),
        ("fish", "complete -c kubemagic"),
    ] {
        let o = km(&["completion", "--static", shell]);
        assert_eq!(o.status.code(), Some(0), "{shell}");
        assert!(stdout(&o).contains(marker), "{shell}: {}", stdout(&o));
    }
}

#[test]
fn every_subcommand_help_has_examples() {
    for sub in [
        "inventory",
        "check",
        "etcd",
        "ceph",
        "plan",
        "run",
        "init",
        "completion",
        "certs",
    ] {
        let o = km(&[sub, "--help"]);
        assert!(
            stdout(&o).contains("Examples:\n  kubemagic"),
            "{sub}: {}",
            stdout(&o)
        );
    }
}

#[test]
fn man_pages_are_written_for_every_subcommand() {
    let dir = tempfile::tempdir().unwrap();
    let o = km(&["man", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    for page in [
        "kubemagic.1",
        "kubemagic-check.1",
        "kubemagic-etcd-status.1",
    ] {
        let text = std::fs::read_to_string(dir.path().join(page)).unwrap();
        assert!(text.contains(".TH"), "{page}");
    }
    assert!(!dir.path().join("kubemagic-help.1").exists());
}

#[test]
fn version_names_the_build() {
    let o = km(&["--version"]);
    let v = stdout(&o);
    assert!(
        v.starts_with(&format!("kubemagic {}", env!("CARGO_PKG_VERSION"))),
        "{v}"
    );
}

#[test]
fn quiet_check_prints_findings_without_the_header() {
    let o = km(&["-q", "check", &utgb()]);
    assert!(!stdout(&o).contains("inventories"), "{}", stdout(&o));
    assert!(stdout(&o).contains("0 errors"), "{}", stdout(&o));
}

#[test]
fn check_as_a_monitoring_plugin_is_ok_critical_or_unknown() {
    let ex = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let ok = km(&["check", "-o", "nagios", &utgb()]);
    assert_eq!(ok.status.code(), Some(0));
    assert!(
        stdout(&ok).starts_with("KUBEMAGIC OK - 0 errors, 0 warnings | 'errors'=0;;1;0"),
        "{}",
        stdout(&ok)
    );
    let bad = km(&[
        "check",
        "-o",
        "nagios",
        ex.join("seed-mistakes").to_str().unwrap(),
    ]);
    assert_eq!(bad.status.code(), Some(2));
    let text = stdout(&bad);
    assert!(text.starts_with("KUBEMAGIC CRITICAL - "), "{text}");
    assert!(
        text.lines()
            .nth(1)
            .is_some_and(|l| l.contains(": error: KM")),
        "{text}"
    );
    let dir = tempfile::tempdir().unwrap();
    let unknown = km(&["check", "-o", "nagios", dir.path().to_str().unwrap()]);
    assert_eq!(unknown.status.code(), Some(3));
    assert!(
        stdout(&unknown).starts_with("KUBEMAGIC UNKNOWN - "),
        "{}",
        stdout(&unknown)
    );
    let refused = km(&["plan", "-o", "nagios", &utgb()]);
    assert_eq!(refused.status.code(), Some(2));
}

#[test]
fn host_and_pattern_messages_name_what_was_asked() {
    let hosts = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/utgb/custom/hosts");
    let h = hosts.to_str().unwrap();
    let o = km(&["inventory", "host", "-i", h, "nosuch"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("host `nosuch` is not in the inventory"),
        "{err}"
    );
    let o = km(&["inventory", "host", "-i", h, "lb"]);
    assert!(String::from_utf8_lossy(&o.stderr)
        .contains("`lb` matches 2 hosts (lb1.utgb.example, lb2.utgb.example)"));
    let o = km(&["inventory", "hosts", "-i", h, "nosuch"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(o.stdout.is_empty());
    assert!(String::from_utf8_lossy(&o.stderr)
        .contains("warning: Could not match supplied host pattern, ignoring: nosuch"));
}

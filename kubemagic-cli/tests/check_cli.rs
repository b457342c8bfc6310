//! `kubemagic check` as a user runs it: JSON shape, exit codes, text
//! grouping, colour rules, secrets.

use std::path::{Path, PathBuf};
use std::process::Command;

fn km() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kubemagic"))
}

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples")
        .join(name)
}

#[test]
fn clean_example_exits_0_with_no_error_in_json() {
    let out = km()
        .args(["check", "--output", "json"])
        .arg(example("utgb"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for f in v["findings"].as_array().unwrap() {
        assert_ne!(f["severity"], "error", "{f}");
    }
}

#[test]
fn seed_mistakes_exit_1_and_json_has_every_field() {
    let out = km()
        .args(["check", "--output", "json"])
        .arg(example("seed-mistakes"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = v["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    for f in findings {
        for key in [
            "code", "severity", "message", "file", "line", "host", "group", "variable",
        ] {
            assert!(f.get(key).is_some(), "{key} missing in {f}");
        }
    }
    let quota = findings.iter().find(|f| f["code"] == "KM101").unwrap();
    assert!(quota["file"]
        .as_str()
        .unwrap()
        .ends_with("group_vars/etcd.yml"));
    assert_eq!(quota["line"], 3);
    assert_eq!(quota["variable"], "etcd_quota_backend_bytes");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !text.contains("QVFCYWRtaW5rZXlyaW5nZXhhbXBsZQ"),
        "a secret leaked"
    );
}

#[test]
fn text_output_is_grouped_by_file_and_plain_when_piped() {
    let out = km()
        .arg("check")
        .arg(example("seed-mistakes"))
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains('\x1b'));
    assert_eq!(text.matches("group_vars/etcd.yml\n").count(), 1, "{text}");
    assert!(text.contains("error KM101"));
    assert!(text.lines().last().unwrap().contains("errors"));
}

#[test]
fn missing_site_is_an_input_error() {
    let out = km().args(["check", "/nonexistent/site"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/site"));
}

#[test]
fn broken_inventory_exits_2_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("ceph-ansible")).unwrap();
    std::fs::write(dir.path().join("ceph-ansible/hosts"), "[mons]\nceph[c:a]\n").unwrap();
    let out = km().args(["check"]).arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("ceph-ansible/hosts:2"), "{err}");
}

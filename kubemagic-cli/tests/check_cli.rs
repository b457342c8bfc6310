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

/// A copy of examples/seed-mistakes whose KM101 and KM103 (line 3 of its
/// etcd group_vars) are accepted by an inline comment.
fn seed_with_ignores() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let status = Command::new("cp")
        .arg("-r")
        .arg(example("seed-mistakes").join("."))
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(status.success());
    let gv = dir
        .path()
        .join("kubespray/inventory/seed/group_vars/etcd.yml");
    let text = std::fs::read_to_string(&gv).unwrap();
    std::fs::write(
        &gv,
        text.replace(
            "etcd_quota_backend_bytes: 20Mi",
            "etcd_quota_backend_bytes: 20Mi # kubemagic: ignore[KM101,KM103] reproduces the seed on purpose",
        ),
    )
    .unwrap();
    dir
}

#[test]
fn accepted_findings_are_under_suppressed_in_json_and_counted_in_text() {
    let site = seed_with_ignores();
    let out = km()
        .args(["check", "--output", "json"])
        .arg(site.path())
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let codes: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["code"].as_str())
        .collect();
    assert!(
        !codes.contains(&"KM101") && !codes.contains(&"KM103"),
        "{codes:?}"
    );
    let sup = v["suppressed"].as_array().unwrap();
    assert_eq!(sup.len(), 2, "{sup:?}");
    assert_eq!(sup[0]["reason"], "reproduces the seed on purpose");
    assert_eq!(sup[0]["ignored_at"]["line"], 3);
    assert_eq!(v["versions"][0]["upstream"], "kubespray");
    assert!(v["versions"][0]["version"].is_null());
    let out = km().arg("check").arg(site.path()).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(", 2 suppressed"), "{text}");
    assert!(
        // A `stable-4.0` pin names ceph-ansible's release series.
        text.contains("assuming kubespray version unknown, ceph-ansible 4.0.0 (branch stable-4.0)"),
        "{text}"
    );
}

#[test]
fn ignore_without_reason_exits_2_naming_file_and_line() {
    let site = seed_with_ignores();
    let gv = site
        .path()
        .join("kubespray/inventory/seed/group_vars/etcd.yml");
    let text = std::fs::read_to_string(&gv).unwrap();
    std::fs::write(&gv, text.replace(" reproduces the seed on purpose", "")).unwrap();
    let out = km().arg("check").arg(site.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("group_vars/etcd.yml:3"), "{err}");
    assert!(err.contains("needs a reason"), "{err}");
}

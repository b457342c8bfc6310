//! `kubemagic lb render` end to end on the bundled example.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn utgb() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/utgb")
}

fn kubemagic(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kubemagic"))
        .args(args)
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn render_prints_both_files_for_each_lb_host() {
    let out = kubemagic(&["lb", "render", utgb().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    for h in ["lb1.utgb.example", "lb2.utgb.example"] {
        assert!(s.contains(&format!("### {h}/haproxy.cfg")), "{s}");
        assert!(s.contains(&format!("### {h}/keepalived.conf")), "{s}");
    }
    assert!(s.contains("server master3.utgb.example 10.42.253.13:6443 check check-ssl verify none"));
}

#[test]
fn json_is_the_model_without_the_vrrp_password() {
    let out = kubemagic(&["-o", "json", "lb", "render", utgb().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["vip"], "10.42.253.10");
    assert_eq!(v["port"], 6443);
    assert_eq!(v["backends"].as_array().unwrap().len(), 3);
    assert_eq!(v["authentication"], true);
    assert!(!text(&out.stdout).contains("k33p-utg"));
}

#[test]
fn dest_writes_one_folder_per_host_and_keepalived_conf_private() {
    use std::os::unix::fs::PermissionsExt;
    let d = tempfile::tempdir().unwrap();
    let out = kubemagic(&[
        "lb",
        "render",
        utgb().to_str().unwrap(),
        "--host",
        "lb2.utgb.example",
        "--dest",
        d.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let h = d.path().join("lb2.utgb.example");
    assert!(h.join("haproxy.cfg").is_file());
    let mode = std::fs::metadata(h.join("keepalived.conf"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    assert!(!d.path().join("lb1.utgb.example").exists());
}

#[test]
fn unknown_host_is_an_input_error_naming_the_lb_hosts() {
    let out = kubemagic(&["lb", "render", utgb().to_str().unwrap(), "--host", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("lb1.utgb.example"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn errors_exit_1_and_dest_writes_nothing() {
    // seed-mistakes: one lb host (KM321).
    let site = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/seed-mistakes");
    let d = tempfile::tempdir().unwrap();
    let out = kubemagic(&[
        "lb",
        "render",
        site.to_str().unwrap(),
        "--dest",
        d.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("KM321"), "{}", text(&out.stderr));
    assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 0);
}

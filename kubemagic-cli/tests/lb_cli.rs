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

/// A copy of examples/utgb with `edits` (file, from, to) applied.
fn utgb_edited(edits: &[(&str, &str, &str)]) -> tempfile::TempDir {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                copy(&p, &to.join(e.file_name()));
            } else {
                std::fs::copy(&p, to.join(e.file_name())).unwrap();
            }
        }
    }
    let d = tempfile::tempdir().unwrap();
    copy(&utgb(), d.path());
    for (file, from, to) in edits {
        let p = d.path().join(file);
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.contains(from), "{file} has no {from:?}");
        std::fs::write(&p, text.replacen(from, to, 1)).unwrap();
    }
    d
}

const ALL_YML: &str = "kubespray/inventory/utgb/group_vars/all/all.yml";
const LB_YML: &str = "custom/group_vars/lb.yml";

#[test]
fn check_and_lb_render_agree_on_the_api_port_when_the_localhost_proxy_port_differs() {
    // No loadbalancer_apiserver.port: clients use kube_apiserver_port
    // (kubespray-defaults' `loadbalancer_apiserver.port |
    // default(kube_apiserver_port)`), never loadbalancer_apiserver_port.
    for version in ["v2.16.0", "v2.28.0"] {
        let d = utgb_edited(&[
            ("kubemagic.yml", "ref: v2.16.0", &format!("ref: {version}")),
            (
                ALL_YML,
                "  port: 6443\nloadbalancer_apiserver_localhost: false",
                "loadbalancer_apiserver_localhost: false\nkube_apiserver_port: 6444\nloadbalancer_apiserver_port: 8383\nkube_apiserver_endpoint: https://10.42.253.10",
            ),
        ]);
        let site = kubemagic_site::Site::load(d.path()).unwrap();
        let api = kubemagic_site::read::api::endpoint(&site).unwrap();
        assert_eq!(api.client_port.value, 6444, "{version}");
        assert_eq!(api.client_port.variable, "kube_apiserver_port");
        assert_eq!(api.address().unwrap().value, "10.42.253.10");
        let out = kubemagic(&["-o", "json", "check", d.path().to_str().unwrap()]);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let km322: Vec<_> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["code"] == "KM322")
            .collect();
        assert!(km322.is_empty(), "{version}: {km322:?}");
        let out = kubemagic(&["-o", "json", "lb", "render", d.path().to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let m: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(m["port"], 6444, "{version}");
        assert_eq!(m["port_variable"], "kube_apiserver_port");
        assert_eq!(m["backends"][0]["port"], 6444);
    }
}

#[test]
fn a_password_kubemagic_cannot_resolve_is_an_error_at_its_line_and_nothing_is_rendered() {
    for value in [
        "!vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  3132",
        "[k33p, utg]",
        "{a: 1}",
        "\"{{ vault_pw }}\"",
    ] {
        let d = utgb_edited(&[(
            LB_YML,
            "keepalived_auth_password: \"k33p-utg\"  # VRRP carries 8 characters (KM338)",
            &format!("keepalived_auth_password: {value}"),
        )]);
        let out = kubemagic(&["lb", "render", d.path().to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1), "{value}: {}", text(&out.stderr));
        let err = text(&out.stderr);
        assert!(err.contains("KM339"), "{value}: {err}");
        assert!(
            err.contains("lb.yml") && err.contains("7: error KM339"),
            "{value}: {err}"
        );
        assert!(err.contains("keepalived_auth_password"), "{value}: {err}");
        // No keepalived.conf without the authentication the site asks for.
        assert!(!text(&out.stdout).contains("vrrp_instance"), "{value}");
        assert!(!text(&out.stdout).contains("{{ vault"), "{value}");
        let dest = tempfile::tempdir().unwrap();
        let out = kubemagic(&[
            "lb",
            "render",
            d.path().to_str().unwrap(),
            "--dest",
            dest.path().to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(1), "{value}");
        assert_eq!(std::fs::read_dir(dest.path()).unwrap().count(), 0);
    }
}

#[test]
fn a_control_character_in_a_rendered_value_is_an_error_at_its_line() {
    let d = utgb_edited(&[(
        LB_YML,
        "keepalived_interface: eth0",
        "keepalived_interface: \"eth0\\n    }\\n    notify_master /tmp/evil\"",
    )]);
    let out = kubemagic(&["lb", "render", d.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("KM330"), "{err}");
    assert!(
        err.contains("lb.yml") && err.contains("6: error KM330"),
        "{err}"
    );
    assert!(
        !text(&out.stdout).contains("notify_master"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn dest_replaces_a_planted_link_without_touching_its_target_and_both_files_are_0600() {
    use std::os::unix::fs::PermissionsExt;
    let d = tempfile::tempdir().unwrap();
    let victim = d.path().join("victim");
    std::fs::write(&victim, "precious\n").unwrap();
    let host = d.path().join("dest/lb1.utgb.example");
    std::fs::create_dir_all(&host).unwrap();
    std::os::unix::fs::symlink(&victim, host.join("haproxy.cfg")).unwrap();
    std::os::unix::fs::symlink(&victim, host.join("keepalived.conf")).unwrap();
    let out = kubemagic(&[
        "lb",
        "render",
        utgb().to_str().unwrap(),
        "--dest",
        d.path().join("dest").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    for name in ["haproxy.cfg", "keepalived.conf"] {
        let p = host.join(name);
        let meta = std::fs::symlink_metadata(&p).unwrap();
        assert!(meta.file_type().is_file(), "{name} is still a link");
        assert_eq!(meta.permissions().mode() & 0o777, 0o600, "{name}");
    }
    let mode = std::fs::metadata(d.path().join("dest/lb2.utgb.example/haproxy.cfg"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn the_text_report_never_shows_the_vrrp_password() {
    let out = kubemagic(&["lb", "render", utgb().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("auth_type PASS"));
    assert!(!text(&out.stdout).contains("k33p-utg"));
}

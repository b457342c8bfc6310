//! Every file kubemagic renders is accepted by the real `haproxy -c` and
//! `keepalived -t`: for the bundled examples, and for sites built from the
//! upstream sample inventories (kubespray 2.13/2.16/2.26, openshift-ansible
//! 3.11) with an lb group added.

mod common;

use common::*;
use kubemagic_lb::{load, render_all};
use std::path::Path;

fn tools_or_skip() -> bool {
    let missing: Vec<&str> = ["haproxy", "keepalived"]
        .into_iter()
        .filter(|t| tool(t).is_none())
        .collect();
    if missing.is_empty() {
        return true;
    }
    eprintln!(
        "SKIPPED: {} not installed (scripts/deps.sh test installs them): rendered files not validated",
        missing.join(", ")
    );
    false
}

const LB_HOSTS: &str = "[lb]\nlb1 ansible_host=127.0.0.21\nlb2 ansible_host=127.0.0.22\n";

fn corpus(case: &str) -> std::path::PathBuf {
    repo().join("tests/corpus/inventory").join(case)
}

/// A site: the upstream sample as kubespray's (or openshift's) inventory,
/// and a custom/hosts with two lb hosts and `lb_vars`.
fn sample_site(root: &Path, case: &str, openshift: bool, lb_vars: &str) {
    if openshift {
        copy_dir(&corpus(case), &root.join("openshift-ansible"));
        let _ = std::fs::remove_file(root.join("openshift-ansible/case.json"));
    } else {
        let inv = root.join("kubespray/inventory/sample-site");
        copy_dir(&corpus(case), &inv);
        let _ = std::fs::remove_file(inv.join("case.json"));
    }
    write(&root.join("custom/hosts"), LB_HOSTS);
    write(&root.join("custom/group_vars/lb.yml"), lb_vars);
}

fn validate(site: &Path, v: &Validator, scratch: &Path) -> Vec<String> {
    let model = load(site).unwrap();
    for r in render_all(&model) {
        let dir = scratch.join(&r.host);
        v.haproxy(&dir, &r.haproxy_cfg);
        v.keepalived(&dir, &r.keepalived_conf);
    }
    model.findings.iter().map(|f| f.code.clone()).collect()
}

#[test]
fn rendered_files_pass_haproxy_and_keepalived_checks_for_examples_and_upstream_samples() {
    if !tools_or_skip() {
        return;
    }
    let v = Validator::new("samples");
    eprintln!("validating with haproxy -c and {}", v.how);
    let tmp = tempfile::tempdir().unwrap();

    // The bundled example with an lb group.
    assert!(validate(&repo().join("examples/utgb"), &v, &tmp.path().join("utgb")).is_empty());
    // The seed's mistakes: one lb host (KM321); what is rendered is still valid.
    let seed = validate(
        &repo().join("examples/seed-mistakes"),
        &v,
        &tmp.path().join("seed"),
    );
    assert!(seed.contains(&"KM321".to_string()), "{seed:?}");

    let cases: &[(&str, bool, &str, &[&str])] = &[
        // Old INI spelling (kube-master), VIP from keepalived_vip, stats on.
        (
            "ini_upstream_kubespray_2_13_filled",
            false,
            "keepalived_vip: 127.0.0.100/8\nhaproxy_stats_port: 8404\nkeepalived_auth_password: abcdefgh\n",
            &[],
        ),
        // VIP bound directly (ip_nonlocal_bind), interface left to the role.
        (
            "yaml_upstream_kubespray_2_16_group_vars_uncommented",
            false,
            "keepalived_vip: 127.0.0.100/8\nhaproxy_bind_vip: true\n",
            &[],
        ),
        (
            "yaml_upstream_kubespray_2_26_group_vars_uncommented",
            false,
            "keepalived_vip: 127.0.0.100/8\nkeepalived_interface: ens3\nkeepalived_router_id: 7\n",
            &[],
        ),
        // OpenShift 3.11's example: masters by name only (KM333 each), port 8443.
        (
            "ini_upstream_openshift_3_11_example",
            true,
            "keepalived_vip: 127.0.0.100/8\n",
            &["KM333", "KM333", "KM333"],
        ),
    ];
    for (case, openshift, vars, want) in cases {
        let root = tmp.path().join(case);
        sample_site(&root, case, *openshift, vars);
        let got = validate(&root, &v, &tmp.path().join(format!("{case}-out")));
        assert_eq!(&got, want, "{case}");
    }
}

//! `kubemagic ceph ...` end to end: the binary against a real Ceph 16 on
//! loopback and a replaying Kubernetes API server on 127.0.0.1.

#[path = "../../kubemagic-ceph/tests/common/mod.rs"]
mod common;
#[path = "../../kubemagic-ceph/tests/fake_k8s/mod.rs"]
mod fake_k8s;

use std::process::{Command, Output};

fn km(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kubemagic"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn text(o: &[u8]) -> String {
    String::from_utf8_lossy(o).into_owned()
}

#[test]
fn prepare_render_and_leftovers_against_a_real_cluster() {
    let c = common::TestCeph::start();
    let conf = c.conf.to_str().unwrap().to_string();
    let keyring = c.keyring.to_str().unwrap().to_string();
    let conn = ["--ceph-conf", conf.as_str(), "--keyring", keyring.as_str()];
    let prep = |extra: &[&str]| {
        let mut a = vec!["ceph", "prepare"];
        a.extend(conn);
        a.extend(["--pool", "kube", "--client", "kube", "--pg-num", "8"]);
        a.extend(extra);
        km(&a)
    };

    let dry = prep(&["--dry-run"]);
    assert_eq!(dry.status.code(), Some(0), "{}", text(&dry.stderr));
    assert!(text(&dry.stdout).contains("would: create pool kube with pg_num 8"));

    let first = prep(&[]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    let out = text(&first.stdout);
    assert!(
        out.contains("did: create pool kube with pg_num 8  (ceph osd pool create kube 8)"),
        "{out}"
    );
    assert!(out.contains("did: initialise pool kube for RBD  (rbd pool init kube)"));
    assert!(out.contains("key of client.kube: in the monitors' auth database; read it with `ceph auth get client.kube`"));

    let key = text(
        &c.ceph()
            .args(["auth", "get-key", "client.kube"])
            .output()
            .unwrap()
            .stdout,
    )
    .trim()
    .to_string();
    assert_eq!(key.len(), 40);
    assert!(!out.contains(&key), "prepare must never print a key");

    let second = prep(&[]);
    assert_eq!(second.status.code(), Some(0));
    assert!(text(&second.stdout).starts_with("no change: pool kube, client.kube already prepared"));
    let mut json_args = vec!["--output", "json"];
    json_args.extend(["ceph", "prepare"]);
    json_args.extend(conn);
    json_args.extend(["--pool", "kube", "--client", "kube"]);
    let j: serde_json::Value = serde_json::from_slice(&km(&json_args).stdout).unwrap();
    assert_eq!(j["changed"], false);
    assert_eq!(j["actions"], serde_json::json!([]));

    // The ceph-csi users, then render from the live cluster: real fsid, v1
    // monitor only, the node user's key only in its Secret, never the admin key.
    let csi_prep = prep(&["--csi"]);
    assert_eq!(
        csi_prep.status.code(),
        Some(0),
        "{}",
        text(&csi_prep.stderr)
    );
    assert!(text(&csi_prep.stdout).contains("did: create client.csi-rbd-node"));
    let get_key = |entity: &str| {
        text(
            &c.ceph()
                .args(["auth", "get-key", entity])
                .output()
                .unwrap()
                .stdout,
        )
        .trim()
        .to_string()
    };
    let node_key = get_key("client.csi-rbd-node");
    let admin_key = get_key("client.admin");
    assert_eq!(admin_key.len(), 40);
    let render = |target: &str| {
        let mut a = vec!["ceph", "render", "--target", target];
        a.extend(conn);
        km(&a)
    };
    let csi = render("csi");
    assert_eq!(csi.status.code(), Some(0), "{}", text(&csi.stderr));
    let manifests = text(&csi.stdout);
    assert!(manifests.contains(&c.fsid));
    assert!(manifests.contains(&format!("127.0.0.1:{}", c.v1_port)));
    assert!(!manifests.contains(&format!("127.0.0.1:{}", c.v2_port)));
    assert!(manifests.contains(&format!("userKey: {node_key}")));
    assert!(manifests.contains("name: ceph-config"));
    {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD.encode(&admin_key);
        assert!(!manifests.contains(&admin_key) && !manifests.contains(&b64));
    }
    assert!(!text(&csi.stderr).contains(&node_key));
    // --output json: the manifests as objects; --output yaml: the stream.
    let mut a = vec!["--output", "json", "ceph", "render", "--target", "csi"];
    a.extend(conn);
    let j: serde_json::Value = serde_json::from_slice(&km(&a).stdout).unwrap();
    assert_eq!(j["manifests"][1]["kind"], "ConfigMap");
    assert_eq!(j["manifests"][1]["metadata"]["name"], "ceph-config");
    assert!(j.get("text").is_none());
    let mut a = vec!["--output", "yaml", "ceph", "render", "--target", "csi"];
    a.extend(conn);
    assert_eq!(text(&km(&a).stdout), manifests);
    for target in ["kubespray", "commands"] {
        let o = render(target);
        assert_eq!(o.status.code(), Some(0));
        assert!(
            !text(&o.stdout).contains(&key),
            "{target} must not print keys"
        );
    }
    assert!(text(&render("kubespray").stdout).contains(&format!(
        "rbd_provisioner_monitors: 127.0.0.1:{}",
        c.v1_port
    )));

    // Leftovers: the cephx user of the Released PV exists in Ceph; --delete
    // with --ceph-conf removes Secret, PV and the user.
    let user = "client.kubernetes-dynamic-user-3f8c2b1e-5a2d-11ea-8b3f-0a580ae9400b";
    assert!(c
        .ceph()
        .args(["auth", "get-or-create", user, "mon", "allow r"])
        .output()
        .unwrap()
        .status
        .success());
    let api = fake_k8s::FakeApi::start(fake_k8s::routes());
    let dir = tempfile::tempdir().unwrap();
    let kc = api.kubeconfig(dir.path());
    let mut a = vec![
        "ceph",
        "leftovers",
        "--kubeconfig",
        kc.to_str().unwrap(),
        "--delete",
    ];
    a.extend(conn);
    let o = km(&a);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(
        out.contains(&format!(
            "deleted: PersistentVolume {}",
            fake_k8s::GITLAB_PV
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!("ceph auth del {user}  (done)")),
        "{out}"
    );
    assert!(out.contains("share /volumes/kubernetes/kubernetes/kubernetes-dynamic-pvc-3f8c2a4d"));
    let gone = c.ceph().args(["auth", "get", user]).output().unwrap();
    assert!(!gone.status.success(), "the cephx user must be deleted");
}

#[test]
fn leftovers_json_lists_volumes_orphans_and_ceph_cleanup() {
    let api = fake_k8s::FakeApi::start(fake_k8s::routes());
    let dir = tempfile::tempdir().unwrap();
    let kc = api.kubeconfig(dir.path());
    let o = km(&[
        "--output",
        "json",
        "ceph",
        "leftovers",
        "--kubeconfig",
        kc.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["volumes"][0]["pv"], fake_k8s::GITLAB_PV);
    assert_eq!(j["orphan_secrets"][0]["namespace"], "ci");
    assert_eq!(j["deleted"], serde_json::json!([]));
    assert_eq!(j["ceph_cleanup"].as_array().unwrap().len(), 2);
    // Without --delete nothing is deleted.
    assert!(api.requests().iter().all(|r| r.starts_with("GET ")));
}

#[test]
fn bad_arguments_exit_2_with_a_clear_message() {
    let o = km(&[
        "ceph",
        "prepare",
        "--ceph-conf",
        "/nonexistent/ceph.conf",
        "--pool",
        "kube",
        "--client",
        "kube",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("/nonexistent/ceph.conf: no such file"));
    // A directory given as a keyring is named as one.
    let dir = tempfile::tempdir().unwrap();
    let o = km(&[
        "ceph",
        "validate",
        "--keyring",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains(&format!("{}: is a directory", dir.path().display())),
        "{}",
        text(&o.stderr)
    );
    // The README example: ceph-csi manifests from the example site.
    let site = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/utgb");
    let o = km(&["ceph", "render", "--target", "csi", "--site", site]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("10.42.254.11:6789"));
    let o = km(&[
        "ceph",
        "render",
        "--target",
        "csi",
        "--site",
        site,
        "--fsid",
        "8ea25b82-518c-4114-9aaf-d0c02cbe6c81",
    ]);
    assert!(text(&o.stdout).contains("8ea25b82-518c-4114-9aaf-d0c02cbe6c81"));
    let o = km(&[
        "ceph",
        "prepare",
        "--ceph-conf",
        "x",
        "--pool",
        "kube",
        "--client",
        "kube",
        "--pg-num",
        "100",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("power of two"));
    let o = km(&["ceph", "render", "--target", "csi"]);
    assert_eq!(o.status.code(), Some(2));
    let o = km(&[
        "ceph",
        "validate",
        "--image-features",
        "layering,exclusive-lock",
        "--rbd-provisioner",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stdout).contains("only the layering"));
}

#[test]
fn validate_reports_a_keyring_key_with_a_trailing_blank_without_showing_it() {
    let dir = tempfile::tempdir().unwrap();
    let kr = dir.path().join("ceph.client.kube.keyring");
    let key = "AQDz6AVr1iekDBAA80UikzfAeOZJlwWVjfW4+A==";
    std::fs::write(&kr, format!("[client.kube]\n\tkey = {key} \n")).unwrap();
    let o = km(&["ceph", "validate", "--keyring", kr.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let out = text(&o.stdout);
    assert!(
        out.contains("KM227") && out.contains("client.kube"),
        "{out}"
    );
    assert!(!out.contains(key));
    std::fs::write(&kr, format!("[client.kube]\n\tkey = {key}\n")).unwrap();
    let o = km(&["ceph", "validate", "--keyring", kr.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
}

#[test]
fn dead_monitor_is_named_on_stderr_while_waiting_and_in_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let conf = dir.path().join("ceph.conf");
    std::fs::write(
        &conf,
        format!("[global]\nmon host = v1:127.0.0.1:{port}\nauth client required = none\n"),
    )
    .unwrap();
    // Off a terminal, progress is shown when asked for (`--progress always`).
    let o = km(&[
        "--progress",
        "always",
        "ceph",
        "validate",
        "--ceph-conf",
        conf.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    let mon = format!("v1:127.0.0.1:{port}");
    assert!(
        err.contains(&format!("waiting for the Ceph monitors at {mon}")),
        "{err}"
    );
    assert!(
        err.contains("no Ceph monitor answered within 20 s"),
        "{err}"
    );
}

#[test]
fn validate_site_findings_carry_file_and_line() {
    let d = tempfile::tempdir().unwrap();
    let ca = d.path().join("ceph-ansible");
    std::fs::create_dir_all(ca.join("group_vars")).unwrap();
    std::fs::write(
        ca.join("hosts"),
        "[mons]\nceph1 ansible_host=10.0.0.1 monitor_address=10.0.0.1\n[osds]\nceph1 devices='[\"/dev/sdb\",\"/dev/sdc\",\"/dev/sdd\"]'\nceph2 ansible_host=10.0.0.2 devices='[\"/dev/sdb\",\"/dev/sdc\",\"/dev/sdd\"]'\n",
    )
    .unwrap();
    let all = ca.join("group_vars/all.yml");
    std::fs::write(
        &all,
        "fsid: 8ea25b82-518c-4114-9aaf-d0c02cbe6c81\npublic_network: 10.0.0.0/24\nopenstack_pools:\n  - name: kube\n    pg_num: 64\n    size: 3\n",
    )
    .unwrap();
    let o = km(&["ceph", "validate", "--site", d.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let out = text(&o.stdout);
    // size 3 on 2 hosts of 3 OSDs: KM223, at the line of openstack_pools.
    assert!(out.contains("KM223"), "{out}");
    assert!(out.contains("2 host(s)"), "{out}");
    let o = km(&[
        "--output",
        "json",
        "ceph",
        "validate",
        "--site",
        d.path().to_str().unwrap(),
    ]);
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let f = &j["findings"][0];
    assert_eq!(f["code"], "KM223");
    assert!(
        f["file"].as_str().unwrap().ends_with("group_vars/all.yml"),
        "{f}"
    );
    assert_eq!(f["line"], 3);
}

#[test]
fn leftovers_as_a_monitoring_plugin_warn_and_count() {
    let api = fake_k8s::FakeApi::start(fake_k8s::routes());
    let dir = tempfile::tempdir().unwrap();
    let kc = api.kubeconfig(dir.path());
    let o = km(&[
        "-o",
        "nagios",
        "ceph",
        "leftovers",
        "--kubeconfig",
        kc.to_str().unwrap(),
    ]);
    let out = text(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}{}", text(&o.stderr));
    assert!(
        out.starts_with("CEPH LEFTOVERS WARNING - 0 stale volume(s) in Ceph, 1 released PV(s)"),
        "{out}"
    );
    assert!(out.contains("'released_pvs'=1;1;;0"), "{out}");
    assert!(
        out.contains(&format!("released PV {}", fake_k8s::GITLAB_PV)),
        "{out}"
    );
    let refused = km(&["-o", "nagios", "ceph", "validate", "--site", "x"]);
    assert_eq!(refused.status.code(), Some(2));
}

#[test]
fn doctor_is_clean_on_a_prepared_cluster_and_prepare_refuses_a_pool_over_the_pg_budget() {
    let c = common::TestCeph::start();
    let conf = c.conf.to_str().unwrap().to_string();
    let keyring = c.keyring.to_str().unwrap().to_string();
    let conn = ["--ceph-conf", conf.as_str(), "--keyring", keyring.as_str()];
    let with = |head: &[&str], tail: &[&str]| -> Output {
        let mut a: Vec<&str> = head.to_vec();
        a.extend(conn);
        a.extend(tail);
        km(&a)
    };
    let o = with(&["ceph", "prepare"], &["--csi", "--pg-num", "8"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));

    // Clean: exit 0 in every format; the probe ran.
    let o = with(&["ceph", "doctor"], &[]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}{}",
        text(&o.stdout),
        text(&o.stderr)
    );
    assert!(
        text(&o.stdout).contains("ready: nothing stops a PVC"),
        "{}",
        text(&o.stdout)
    );
    assert!(
        text(&o.stdout).contains("probe as client.csi-rbd-provisioner: rbd create"),
        "{}",
        text(&o.stdout)
    );
    let o = with(&["-o", "json", "ceph", "doctor"], &["--no-probe"]);
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["findings"].as_array().unwrap().len(), 0, "{j}");
    assert_eq!(j["facts"]["pg_budget"]["max_per_osd"], 250);
    let o = with(&["-o", "nagios", "ceph", "doctor"], &["--no-probe"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        text(&o.stdout).starts_with("CEPH DOCTOR OK"),
        "{}",
        text(&o.stdout)
    );

    // A ceph-csi ConfigMap with another clusterID: CRITICAL (exit 2), exit 1 in text.
    let cm = c.dir.path().join("ceph-csi-config.yaml");
    std::fs::write(
        &cm,
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ceph-csi-config\ndata:\n  config.json: |-\n    [{\"clusterID\": \"not-this-one\", \"monitors\": [\"127.0.0.1:6789\"]}]\n",
    )
    .unwrap();
    let cm = cm.to_str().unwrap();
    let o = with(
        &["-o", "nagios", "ceph", "doctor"],
        &["--no-probe", "--csi-config", cm],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stdout));
    assert!(text(&o.stdout).contains("KM254"), "{}", text(&o.stdout));
    let o = with(&["ceph", "doctor"], &["--no-probe", "--csi-config", cm]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stdout).contains("ceph-csi-config.yaml:7"),
        "{}",
        text(&o.stdout)
    );

    // Over the PG budget: refused before anything is created, naming the option.
    let o = with(
        &["ceph", "prepare"],
        &["--pool", "big", "--client", "big", "--pg-num", "1024"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stdout));
    assert!(
        text(&o.stderr).contains("KM251") && text(&o.stderr).contains("mon_max_pg_per_osd"),
        "{}",
        text(&o.stderr)
    );
    let pools = c.ceph_json(&["osd", "pool", "ls"]);
    assert!(
        !pools.as_array().unwrap().iter().any(|p| p == "big"),
        "{pools}"
    );
}

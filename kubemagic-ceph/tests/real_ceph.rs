//! `prepare` and `render` against a real Ceph 16 started on loopback.

mod common;

use common::TestCeph;
use kubemagic_ceph::api::CephApi;
use kubemagic_ceph::cli::CephCli;
use kubemagic_ceph::prepare::{prepare, Action, CephFsRequest, CsiUser, PrepareRequest};
use kubemagic_ceph::render::{self, RenderInput};
use kubemagic_ceph::validate::validate_cluster;
use kubemagic_ceph::PgNum;

fn api(c: &TestCeph) -> CephCli {
    CephCli::new(&c.conf, Some(c.keyring.clone()))
}

fn rbd_request() -> PrepareRequest {
    PrepareRequest {
        pool: "kube".parse().unwrap(),
        client: "kube".parse().unwrap(),
        pg_num: Some(PgNum::try_from(16).unwrap()),
        cephfs: None,
        csi: false,
    }
}

#[test]
fn rbd_prepare_creates_everything_then_reports_no_change() {
    let c = TestCeph::start();
    let api = api(&c);
    let req = rbd_request();

    // A dry run plans the four actions and changes nothing.
    let dry = prepare(&api, &req, true).unwrap();
    assert_eq!(dry.actions.len(), 4, "{dry:?}");
    assert!(!dry.changed);
    assert!(c
        .ceph_json(&["osd", "pool", "ls", "detail"])
        .as_array()
        .unwrap()
        .is_empty());

    let first = prepare(&api, &req, false).unwrap();
    assert!(first.changed);
    assert_eq!(
        first.actions[0],
        Action::CreatePool {
            pool: "kube".into(),
            pg_num: Some(16)
        }
    );
    assert_eq!(first.actions.len(), 4);

    let second = prepare(&api, &req, false).unwrap();
    assert!(!second.changed, "second run must be a no-op: {second:?}");
    assert!(second.actions.is_empty());

    // Verified with Ceph's own tools.
    let pools = c.ceph_json(&["osd", "pool", "ls", "detail"]);
    let kube = pools
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["pool_name"] == "kube")
        .expect("pool kube");
    assert_eq!(kube["pg_num"], 16);
    assert!(kube["application_metadata"]["rbd"].is_object());
    let auth = c.ceph_json(&["auth", "get", "client.kube"]);
    let caps = &auth[0]["caps"];
    assert_eq!(caps["mon"], "profile rbd");
    assert_eq!(caps["osd"], "profile rbd pool=kube");
    assert_eq!(caps["mgr"], "profile rbd pool=kube");

    // Caps changed by hand are put back, and only they.
    std::process::Command::new("ceph")
        .arg("--conf")
        .arg(&c.conf)
        .args(["auth", "caps", "client.kube", "mon", "allow r"])
        .output()
        .unwrap();
    let third = prepare(&api, &req, false).unwrap();
    assert_eq!(third.actions.len(), 1);
    assert!(matches!(third.actions[0], Action::UpdateCaps { .. }));
    assert_eq!(
        c.ceph_json(&["auth", "get", "client.kube"])[0]["caps"]["mon"],
        "profile rbd"
    );

    // The live model and the rendered manifests carry the real fsid and the
    // v1 monitor address.
    let cluster = api.cluster().unwrap();
    assert_eq!(cluster.fsid.as_deref(), Some(c.fsid.as_str()));
    assert_eq!(
        cluster.v1_monitors(),
        vec![format!("127.0.0.1:{}", c.v1_port)]
    );
    assert_eq!(cluster.osd_count, Some(1));
    // KM223 reads the live rule: the test cluster replicates across OSDs
    // (`osd crush chooseleaf type = 0`).
    let kube = cluster.pools.iter().find(|p| p.name == "kube").unwrap();
    assert_eq!(kube.failure_domain.as_deref(), Some("osd"));
    assert_eq!(cluster.failure_domains.get("osd"), Some(&1));
    assert_eq!(cluster.failure_domains.get("host"), Some(&1));
    assert!(
        validate_cluster(&cluster).is_empty(),
        "{:?}",
        validate_cluster(&cluster)
    );

    let mut input = RenderInput::new(cluster).unwrap();
    input.pg_num = req.pg_num;
    for u in [CsiUser::RbdProvisioner, CsiUser::RbdNode] {
        input.csi_keys.insert(
            u.entity(),
            api.auth_get("client.kube")
                .unwrap()
                .and_then(|c| c.key)
                .unwrap(),
        );
    }
    let csi = render::csi(&input).unwrap();
    assert!(csi.findings.is_empty(), "{:?}", csi.findings);
    assert!(
        csi.text
            .contains(&format!("\\\"clusterID\\\": \\\"{}\\\"", c.fsid))
            || csi.text.contains(&c.fsid)
    );
    assert!(csi.text.contains(&format!("127.0.0.1:{}", c.v1_port)));
    assert!(
        !csi.text.contains(&format!("127.0.0.1:{}", c.v2_port)),
        "v2 address must not reach ceph-csi"
    );
    let kubespray = render::kubespray(&input).unwrap();
    assert!(kubespray.text.contains(&format!(
        "rbd_provisioner_monitors: 127.0.0.1:{}",
        c.v1_port
    )));
    let user_key = input.csi_keys[&CsiUser::RbdNode.entity()]
        .expose()
        .to_string();
    assert!(!kubespray.text.contains(&user_key));
    assert!(
        csi.text.contains(&user_key),
        "the key goes into the Secret manifest"
    );
}

#[test]
fn cephfs_prepare_creates_subvolume_group_and_documented_caps() {
    let mut c = TestCeph::start();
    c.start_cephfs();
    let api = api(&c);
    let mut req = rbd_request();
    req.pool = "kube-fs".parse().unwrap();
    req.cephfs = Some(CephFsRequest {
        fs: "cephfs".parse().unwrap(),
        subvolume_group: "csi".into(),
        client: "kube-cephfs".parse().unwrap(),
    });
    let first = prepare(&api, &req, false).unwrap();
    assert!(first.changed);
    assert!(first
        .actions
        .iter()
        .any(|a| matches!(a, Action::CreateSubvolumeGroup { .. })));
    let second = prepare(&api, &req, false).unwrap();
    assert!(!second.changed, "{second:?}");

    let groups = c.ceph_json(&["fs", "subvolumegroup", "ls", "cephfs"]);
    assert!(groups
        .as_array()
        .unwrap()
        .iter()
        .any(|g| g["name"] == "csi"));
    let auth = c.ceph_json(&["auth", "get", "client.kube-cephfs"]);
    assert_eq!(
        auth[0]["caps"]["mds"],
        "allow r fsname=cephfs path=/volumes, allow rws fsname=cephfs path=/volumes/csi"
    );
    assert_eq!(auth[0]["caps"]["mon"], "allow r fsname=cephfs");

    // The four ceph-csi users: exactly ceph-csi's documented caps
    // (docs/capabilities.md), restricted to this pool / fs / group.
    req.csi = true;
    let first = prepare(&api, &req, false).unwrap();
    assert_eq!(
        first
            .actions
            .iter()
            .filter(|a| matches!(a, Action::CreateClient { .. }))
            .count(),
        4,
        "{first:?}"
    );
    let doc = |entity: &str| c.ceph_json(&["auth", "get", entity])[0]["caps"].clone();
    for u in ["client.csi-rbd-provisioner", "client.csi-rbd-node"] {
        assert_eq!(
            doc(u),
            serde_json::json!({"mon": "profile rbd", "osd": "profile rbd pool=kube-fs", "mgr": "profile rbd pool=kube-fs"})
        );
    }
    for u in ["client.csi-cephfs-provisioner", "client.csi-cephfs-node"] {
        assert_eq!(
            doc(u),
            serde_json::json!({
                "mon": "allow r fsname=cephfs",
                "mgr": "allow rw",
                "osd": "allow rw tag cephfs metadata=cephfs, allow rw tag cephfs data=cephfs",
                "mds": "allow r fsname=cephfs path=/volumes, allow rws fsname=cephfs path=/volumes/csi"
            })
        );
    }
    assert!(!prepare(&api, &req, false).unwrap().changed);
    // A drifted cap is repaired, and only it.
    let o = c
        .ceph()
        .args([
            "auth",
            "caps",
            "client.csi-cephfs-node",
            "mon",
            "allow r",
            "mds",
            "allow rw",
        ])
        .output()
        .unwrap();
    assert!(o.status.success());
    let repair = prepare(&api, &req, false).unwrap();
    assert_eq!(repair.actions.len(), 1, "{repair:?}");
    assert!(
        matches!(&repair.actions[0], Action::UpdateCaps { entity, .. } if entity == "client.csi-cephfs-node")
    );
    assert_eq!(
        doc("client.csi-cephfs-node")["mon"],
        "allow r fsname=cephfs"
    );

    // Rendered from the live cluster: the csi users' keys, never the admin's
    // (raw or base64), and every manifest a valid Kubernetes object.
    let mut r = render::RenderRequest::new(render::Target::Csi).unwrap();
    r.conn = kubemagic_ceph::cli::Connection {
        ceph_conf: Some(c.conf.clone()),
        keyring: Some(c.keyring.clone()),
        ..Default::default()
    };
    r.pool = "kube-fs".parse().unwrap();
    r.cephfs = Some("cephfs".parse().unwrap());
    let out = render::render(&r).unwrap();
    assert!(out.findings.is_empty(), "{:?}", out.findings);
    let admin = String::from_utf8(
        c.ceph()
            .args(["auth", "get-key", "client.admin"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let admin = admin.trim();
    {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD.encode(admin);
        let json = serde_json::to_string(&out.manifests).unwrap();
        for text in [&out.text, &json] {
            assert!(!text.contains(admin) && !text.contains(&b64));
        }
    }
    for m in out.manifests.as_ref().unwrap() {
        use k8s_openapi::api::core::v1::{ConfigMap, Secret};
        use k8s_openapi::api::storage::v1::StorageClass;
        let back = match m["kind"].as_str().unwrap() {
            "ConfigMap" => {
                serde_json::to_value(serde_json::from_value::<ConfigMap>(m.clone()).unwrap())
            }
            "Secret" => serde_json::to_value(serde_json::from_value::<Secret>(m.clone()).unwrap()),
            "StorageClass" => {
                serde_json::to_value(serde_json::from_value::<StorageClass>(m.clone()).unwrap())
            }
            other => panic!("unexpected kind {other}"),
        }
        .unwrap();
        assert_eq!(&back, m, "k8s-openapi round trip");
    }
    let node_key = String::from_utf8(
        c.ceph()
            .args(["auth", "get-key", "client.csi-cephfs-node"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert!(out.text.contains(node_key.trim()));

    // A file system that does not exist is a clear error.
    req.cephfs.as_mut().unwrap().fs = "nofs".parse().unwrap();
    let e = prepare(&api, &req, false).unwrap_err().to_string();
    assert!(e.contains("\"nofs\" does not exist"), "{e}");
}

#[test]
fn ipv6_cluster_renders_bracketed_v1_monitors() {
    let c = TestCeph::start_on("::1");
    let api = api(&c);
    let report = prepare(&api, &rbd_request(), false).unwrap();
    assert!(report.changed);
    let cluster = api.cluster().unwrap();
    assert_eq!(cluster.v1_monitors(), vec![format!("[::1]:{}", c.v1_port)]);
    let input = RenderInput::new(cluster).unwrap();
    let csi = render::csi(&input).unwrap();
    assert!(
        csi.text.contains(&format!("[::1]:{}", c.v1_port)),
        "{}",
        csi.text
    );
    let ks = render::kubespray(&input).unwrap();
    assert!(
        ks.text
            .contains(&format!("rbd_provisioner_monitors: '[::1]:{}'", c.v1_port)),
        "{}",
        ks.text
    );
}

/// `make bench` (scripts/bench-ceph.sh): `prepare` on a new pool against
/// the four hand-typed commands it replaces, on the same cluster in the
/// same run; and a no-change re-run against one `ceph` call.
#[test]
#[ignore = "benchmark: run by scripts/bench-ceph.sh"]
fn bench_prepare_against_manual_commands() {
    use std::process::Command;
    use std::time::Instant;
    let c = TestCeph::start();
    let api = api(&c);
    let ceph = |args: &[&str]| {
        let s = c.ceph().args(args).output().unwrap().status;
        assert!(s.success(), "ceph {args:?}");
    };
    let (mut km, mut manual, mut rerun, mut one_call) = (vec![], vec![], vec![], vec![]);
    for i in 0..3 {
        let mut req = rbd_request();
        req.pool = format!("km{i}").parse().unwrap();
        req.client = format!("km{i}").parse().unwrap();
        let t = Instant::now();
        assert!(prepare(&api, &req, false).unwrap().changed);
        km.push(t.elapsed().as_secs_f64());

        let t = Instant::now();
        assert!(!prepare(&api, &req, false).unwrap().changed);
        rerun.push(t.elapsed().as_secs_f64());

        let pool = format!("manual{i}");
        let t = Instant::now();
        ceph(&["osd", "pool", "create", &pool, "16"]);
        ceph(&["osd", "pool", "application", "enable", &pool, "rbd"]);
        let s = Command::new("rbd")
            .arg("--conf")
            .arg(&c.conf)
            .args(["pool", "init", &pool])
            .status()
            .unwrap();
        assert!(s.success());
        let osd = format!("profile rbd pool={pool}");
        ceph(&[
            "auth",
            "get-or-create",
            &format!("client.{pool}"),
            "mon",
            "profile rbd",
            "osd",
            &osd,
            "mgr",
            &osd,
        ]);
        manual.push(t.elapsed().as_secs_f64());

        let t = Instant::now();
        ceph(&["osd", "pool", "ls", "detail", "--format", "json"]);
        one_call.push(t.elapsed().as_secs_f64());
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (k, m, r, o) = (
        median(&mut km),
        median(&mut manual),
        median(&mut rerun),
        median(&mut one_call),
    );
    println!(
        "ceph prepare (new pool): kubemagic {k:.2} s, manual 4 commands {m:.2} s, ratio {:.2}",
        k / m
    );
    println!(
        "ceph prepare (no change): kubemagic {r:.2} s, one ceph call {o:.2} s, ratio {:.2}",
        r / o
    );
}

#[test]
fn dead_monitor_is_named_with_progress_not_silence() {
    let dir = tempfile::tempdir().unwrap();
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let conf = dir.path().join("ceph.conf");
    std::fs::write(
        &conf,
        format!("[global]\nfsid = 8ea25b82-518c-4114-9aaf-d0c02cbe6c81\nmon host = v1:127.0.0.1:{port}\nauth client required = none\n"),
    )
    .unwrap();
    let mut api = CephCli::new(&conf, None);
    api.connect_timeout_secs = 3;
    let t = std::time::Instant::now();
    let e = api.mon_dump().unwrap_err();
    let msg = e.to_string();
    assert!(t.elapsed().as_secs() < 15, "{:?}", t.elapsed());
    assert!(
        matches!(e, kubemagic_ceph::CephError::Unreachable { .. }),
        "{msg}"
    );
    assert!(msg.contains(&format!("127.0.0.1:{port}")), "{msg}");
    assert!(msg.contains(&conf.display().to_string()), "{msg}");
}

/// `make bench` (scripts/bench-ceph.sh): the live model (`cluster()`, five
/// questions asked concurrently) against the same five `ceph` calls in a row.
#[test]
#[ignore = "benchmark: run by scripts/bench-ceph.sh"]
fn bench_live_model_against_serial_calls() {
    use std::time::Instant;
    let c = TestCeph::start();
    let api = api(&c);
    let (mut conc, mut serial) = (vec![], vec![]);
    for _ in 0..5 {
        let t = Instant::now();
        api.cluster().unwrap();
        conc.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        api.mon_dump().unwrap();
        api.crush_rules().unwrap();
        api.pools().unwrap();
        api.osd_count().unwrap();
        api.osd_tree().unwrap();
        serial.push(t.elapsed().as_secs_f64());
    }
    conc.sort_by(f64::total_cmp);
    serial.sort_by(f64::total_cmp);
    let (a, b) = (conc[2], serial[2]);
    println!(
        "ceph live model: concurrent {a:.2} s, five calls in a row {b:.2} s, ratio {:.2}",
        a / b
    );
}

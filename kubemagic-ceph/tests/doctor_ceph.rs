//! `kubemagic ceph doctor` against a real Ceph 16 on loopback (mon, OSD,
//! mgr, mds): a prepared cluster is clean, then each fault is introduced
//! alone, found with its code, and undone.

mod common;

use common::TestCeph;
use kubemagic_ceph::cli::Connection;
use kubemagic_ceph::doctor::{doctor, DoctorReport, DoctorRequest};
use kubemagic_ceph::prepare::{prepare, CephFsRequest, PrepareRequest};
use kubemagic_ceph::PgNum;
use kubemagic_core::Severity;
use std::path::Path;

fn conn(c: &TestCeph) -> Connection {
    Connection {
        ceph_conf: Some(c.conf.clone()),
        keyring: Some(c.keyring.clone()),
        name: Some("client.admin".into()),
        progress: kubemagic_ceph::cli::ProgressHook(None),
    }
}

fn request(c: &TestCeph, csi_config: &Path) -> DoctorRequest {
    let mut r = DoctorRequest::new(conn(c), "kube".parse().unwrap());
    r.fs = Some("cephfs".parse().unwrap());
    r.csi_config = Some(csi_config.to_path_buf());
    r
}

fn errors(r: &DoctorReport, code: &str) -> Vec<String> {
    r.findings
        .iter()
        .filter(|f| f.code == code && f.severity >= Severity::Warning)
        .map(|f| f.message.clone())
        .collect()
}

fn has_error(r: &DoctorReport) -> bool {
    r.findings.iter().any(|f| f.severity == Severity::Error)
}

fn ceph(c: &TestCeph, args: &[&str]) {
    let o = c.ceph().args(args).output().unwrap();
    assert!(
        o.status.success(),
        "ceph {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn csi_config(cluster_id: &str, monitors: &[String]) -> String {
    serde_json::json!([{"clusterID": cluster_id, "monitors": monitors,
        "cephFS": {"subvolumeGroup": "csi"}}])
    .to_string()
}

#[test]
fn doctor_finds_each_fault_on_a_real_cluster_and_nothing_on_a_clean_one() {
    let mut c = TestCeph::start();
    c.start_cephfs();
    let api = kubemagic_ceph::cli::CephCli::new(&c.conf, Some(c.keyring.clone()));
    let prep = PrepareRequest {
        pool: "kube".parse().unwrap(),
        client: "kube".parse().unwrap(),
        pg_num: Some(PgNum::try_from(8).unwrap()),
        cephfs: Some(
            CephFsRequest::new(
                "cephfs".parse().unwrap(),
                Some("csi".into()),
                None,
                &"kube".parse().unwrap(),
            )
            .unwrap(),
        ),
        csi: true,
    };
    prepare(&api, &prep, false).unwrap();
    let v1 = format!("127.0.0.1:{}", c.v1_port);
    let cfg = c.dir.path().join("config.json");
    std::fs::write(&cfg, csi_config(&c.fsid, std::slice::from_ref(&v1))).unwrap();

    // Clean: no error (exit 0), and both probes ran and succeeded.
    let t = std::time::Instant::now();
    let clean = doctor(&request(&c, &cfg)).unwrap();
    eprintln!("clean doctor in {:?}: {:#?}", t.elapsed(), clean.findings);
    assert!(!has_error(&clean), "{:#?}", clean.findings);
    assert_eq!(clean.facts.probes.len(), 2, "{:?}", clean.facts.probes);
    assert!(
        clean.facts.probes.iter().all(|p| p.error.is_none()),
        "{:?}",
        clean.facts.probes
    );
    assert!(c
        .ceph_json(&["fs", "subvolume", "ls", "cephfs", "--group_name", "csi"])
        .as_array()
        .unwrap()
        .is_empty());

    // 1. A pool over the PG budget: prepare refuses it before creating anything.
    let mut big = prep.clone();
    big.pool = "big".parse().unwrap();
    big.pg_num = Some(PgNum::try_from(1024).unwrap());
    big.cephfs = None;
    big.client = "big".parse().unwrap();
    let refused = prepare(&api, &big, false).unwrap();
    assert!(
        refused.actions.is_empty() && !refused.changed,
        "{refused:?}"
    );
    assert_eq!(refused.notes[0].code, "KM251");
    assert!(
        refused.notes[0].message.contains("mon_max_pg_per_osd 250"),
        "{}",
        refused.notes[0].message
    );
    let pools = c.ceph_json(&["osd", "pool", "ls"]);
    assert!(
        !pools.as_array().unwrap().iter().any(|p| p == "big"),
        "{pools}"
    );
    assert!(
        c.ceph()
            .args(["auth", "get", "client.big"])
            .output()
            .unwrap()
            .status
            .code()
            != Some(0)
    );
    // What Ceph itself says about the same pool, for the record.
    let ceph_says = c
        .ceph()
        .args(["osd", "pool", "create", "big", "1024"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&ceph_says.stderr).contains("ERANGE"));
    let mut r = request(&c, &cfg);
    r.pool = "big".parse().unwrap();
    r.pg_num = big.pg_num;
    r.fs = None;
    let found = doctor(&r).unwrap();
    assert_eq!(errors(&found, "KM251").len(), 1, "{:#?}", found.findings);

    // 2. A csi user with caps on another pool.
    ceph(
        &c,
        &[
            "auth",
            "caps",
            "client.csi-rbd-node",
            "mon",
            "profile rbd",
            "osd",
            "profile rbd pool=other",
            "mgr",
            "profile rbd pool=other",
        ],
    );
    let found = doctor(&request(&c, &cfg)).unwrap();
    let km253 = errors(&found, "KM253");
    assert!(
        km253
            .iter()
            .any(|m| m.contains("csi-rbd-node") && m.contains("another pool")),
        "{km253:?}"
    );
    ceph(
        &c,
        &[
            "auth",
            "caps",
            "client.csi-rbd-node",
            "mon",
            "profile rbd",
            "osd",
            "profile rbd pool=kube",
            "mgr",
            "profile rbd pool=kube",
        ],
    );

    // 3. A csi config with a wrong clusterID and a stale monitor.
    let stale = c.dir.path().join("stale.json");
    std::fs::write(
        &stale,
        csi_config(
            "0b8a4c1e-0000-4000-a000-000000000000",
            &[v1.clone(), "127.0.0.9:6789".into()],
        ),
    )
    .unwrap();
    let found = doctor(&request(&c, &stale)).unwrap();
    assert_eq!(errors(&found, "KM254").len(), 1, "{:#?}", found.findings);
    assert!(
        errors(&found, "KM255")
            .iter()
            .any(|m| m.contains("127.0.0.9:6789")),
        "{:#?}",
        found.findings
    );
    let f = found.findings.iter().find(|f| f.code == "KM254").unwrap();
    assert_eq!(f.line, Some(1));

    // 4. The nearfull ratio lowered: OSD_NEARFULL, explained.
    ceph(&c, &["osd", "set-nearfull-ratio", "0.0001"]);
    let start = std::time::Instant::now();
    let found = loop {
        let r = doctor(&request(&c, &cfg)).unwrap();
        if !errors(&r, "KM250").is_empty() || start.elapsed().as_secs() > 60 {
            break r;
        }
        std::thread::sleep(std::time::Duration::from_secs(2));
    };
    let km250 = errors(&found, "KM250");
    assert!(
        km250
            .iter()
            .any(|m| m.contains("NEARFULL") && m.contains("PVC")),
        "{:#?}",
        found.findings
    );
    ceph(&c, &["osd", "set-nearfull-ratio", "0.85"]);

    // 5. The probe as a user without osd caps: Ceph's own error quoted.
    ceph(
        &c,
        &[
            "auth",
            "caps",
            "client.csi-rbd-provisioner",
            "mon",
            "profile rbd",
            "mgr",
            "profile rbd pool=kube",
        ],
    );
    let found = doctor(&request(&c, &cfg)).unwrap();
    assert!(
        errors(&found, "KM253")
            .iter()
            .any(|m| m.contains("csi-rbd-provisioner has no osd cap")),
        "{:#?}",
        found.findings
    );
    let km256 = errors(&found, "KM256");
    eprintln!("probe without osd caps: {km256:?}");
    assert_eq!(km256.len(), 1, "{:#?}", found.findings);
    assert!(
        km256[0].contains("rbd create") && km256[0].contains("exit"),
        "{km256:?}"
    );
}

/// `doctor` (questions asked concurrently, then the probe) against the
/// same `ceph`/`rbd` calls typed one after another. `scripts/bench-ceph.sh`.
#[test]
#[ignore]
fn bench_doctor_against_the_same_calls_in_a_row() {
    use std::process::Command;
    use std::time::Instant;
    let c = TestCeph::start();
    let api = kubemagic_ceph::cli::CephCli::new(&c.conf, Some(c.keyring.clone()));
    let prep = PrepareRequest {
        pool: "kube".parse().unwrap(),
        client: "kube".parse().unwrap(),
        pg_num: Some(PgNum::try_from(8).unwrap()),
        cephfs: None,
        csi: true,
    };
    prepare(&api, &prep, false).unwrap();
    let mut req = DoctorRequest::new(conn(&c), "kube".parse().unwrap());
    req.probe = true;
    // The csi user's keyring, for the hand-typed probe.
    let kr = c.dir.path().join("csi.keyring");
    let o = c
        .ceph()
        .args(["auth", "get", "client.csi-rbd-provisioner", "-o"])
        .arg(&kr)
        .output()
        .unwrap();
    assert!(o.status.success());
    let ceph = |args: &[&str]| {
        let o = c.ceph().args(args).output().unwrap();
        assert!(o.status.success(), "ceph {args:?}");
    };
    let rbd = |args: &[&str]| {
        let o = Command::new("rbd")
            .arg("--conf")
            .arg(&c.conf)
            .args(["--name", "client.csi-rbd-provisioner", "--keyring"])
            .arg(&kr)
            .args(args)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "rbd {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    };
    let (mut km, mut serial) = (vec![], vec![]);
    for _ in 0..3 {
        let t = Instant::now();
        let r = doctor(&req).unwrap();
        km.push(t.elapsed().as_secs_f64());
        assert!(!has_error(&r), "{:#?}", r.findings);
        let t = Instant::now();
        for args in [
            &["health", "detail", "--format", "json"][..],
            &["config", "get", "mon", "mon_max_pg_per_osd"],
            &["config", "get", "mon", "osd_pool_default_size"],
            &["config", "get", "mon", "osd_pool_default_pg_num"],
            &["osd", "stat", "--format", "json"],
            &["osd", "pool", "ls", "detail", "--format", "json"],
            &["df", "detail", "--format", "json"],
            &["mon", "dump", "--format", "json"],
            &[
                "auth",
                "get",
                "client.csi-rbd-provisioner",
                "--format",
                "json",
            ],
            &["auth", "get", "client.csi-rbd-node", "--format", "json"],
            &["auth", "get", "client.kube", "--format", "json"],
            // The live model (KM223): mon dump, crush rules, pools, osd stat, osd tree.
            &["mon", "dump", "--format", "json"],
            &["osd", "crush", "rule", "dump", "--format", "json"],
            &["osd", "pool", "ls", "detail", "--format", "json"],
            &["osd", "stat", "--format", "json"],
            &["osd", "tree", "--format", "json"],
        ] {
            ceph(args);
        }
        rbd(&["create", "--size", "1M", "kube/bench-probe"]);
        rbd(&["rm", "--no-progress", "kube/bench-probe"]);
        serial.push(t.elapsed().as_secs_f64());
    }
    km.sort_by(f64::total_cmp);
    serial.sort_by(f64::total_cmp);
    let (k, s) = (km[1], serial[1]);
    println!(
        "ceph doctor (16 questions + probe): {k:.2} s, the same 18 ceph/rbd calls in a row: {s:.2} s (ratio {:.2}, median of 3)",
        k / s
    );
}

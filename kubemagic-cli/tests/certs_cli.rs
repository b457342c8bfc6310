//! `kubemagic certs check`: real certificates in the layouts kubespray and
//! OpenShift 3.11 leave on a host, at chosen expiries, with their keys
//! beside them and kubeconfigs embedding them.

mod certs_support;

use certs_support::*;
use std::path::Path;

/// 2030-01-01T00:00:00Z: every check here decides "as at" this time.
const AT: i64 = 1_893_456_000;
const AT_TEXT: &str = "2030-01-01T00:00:00Z";

const NODE1: &str = "127.0.0.11";
const NODE2: &str = "127.0.0.12";
const VIP: &str = "127.0.0.100";

/// A kubespray site: node1 (control plane, etcd), node2 (etcd, node), the
/// API VIP behind a load balancer, kubespray pinned at `release`.
fn kubespray_site(dir: &Path, release: &str) {
    write(
        &dir.join("kubemagic.yml"),
        &format!("name: site\nflavor: kubespray\nupstreams:\n  kubespray:\n    url: https://github.com/kubernetes-sigs/kubespray.git\n    ref: {release}\n"),
    );
    write(
        &dir.join("kubespray/inventory/site/hosts.yml"),
        &format!(
            "all:\n  hosts:\n    node1:\n      ip: {NODE1}\n      ansible_host: {NODE1}\n    node2:\n      ip: {NODE2}\n      ansible_host: {NODE2}\n  children:\n    kube_control_plane:\n      hosts:\n        node1:\n    etcd:\n      hosts:\n        node1:\n        node2:\n    kube_node:\n      hosts:\n        node2:\n    k8s_cluster:\n      children:\n        kube_control_plane:\n        kube_node:\n  vars:\n    loadbalancer_apiserver:\n      address: {VIP}\n      port: 8443\n"
        ),
    );
}

/// What one expiry or fault to plant in the kubespray layout.
#[derive(Default, Clone, Copy)]
struct Faults {
    broken: bool,
}

/// node1's files as kubespray v2.24 leaves them: kubeadm's under
/// /etc/kubernetes/ssl and the kubeconfigs under /etc/kubernetes, its own
/// etcd certificates under /etc/ssl/etcd/ssl (node1 is etcd[0], so node2's
/// are there too). With `broken`: admin.conf's user expired, the
/// front-proxy client in 3 days, the kubelet client in 20, the apiserver
/// without the VIP, node1's member certificate without its address, and
/// node-node1.pem signed by another CA of the same name.
fn kubespray_layout(root: &Path, pki: &mut Pki, f: Faults) {
    let ssl = root.join("etc/kubernetes/ssl");
    let kube = root.join("etc/kubernetes");
    let etcd = root.join("etc/ssl/etcd/ssl");
    let ca = pki.ca("kubernetes", 3650);
    write_ca(&ssl, "ca.crt", "ca.key", &ca);
    let fp_ca = pki.ca("front-proxy-ca", 3650);
    write_ca(&ssl, "front-proxy-ca.crt", "front-proxy-ca.key", &fp_ca);
    let mut api_sans = vec![
        "kubernetes",
        "kubernetes.default",
        "kubernetes.default.svc",
        "node1",
        NODE1,
        "10.233.0.1",
    ];
    if !f.broken {
        api_sans.push(VIP);
    }
    let l = pki.leaf(&ca, "kube-apiserver", 300, &api_sans, true);
    pair(&ssl, "apiserver.crt", "apiserver.key", &l);
    let days = if f.broken { 20 } else { 300 };
    let l = pki.leaf(&ca, "kube-apiserver-kubelet-client", days, &[], false);
    pair(
        &ssl,
        "apiserver-kubelet-client.crt",
        "apiserver-kubelet-client.key",
        &l,
    );
    let days = if f.broken { 3 } else { 300 };
    let l = pki.leaf(&fp_ca, "front-proxy-client", days, &[], false);
    pair(&ssl, "front-proxy-client.crt", "front-proxy-client.key", &l);
    let days = if f.broken { -2 } else { 300 };
    let l = pki.leaf(&ca, "kubernetes-admin", days, &[], false);
    kubeconfig(&kube.join("admin.conf"), &ca, "kubernetes-admin", &l);
    for (file, user) in [
        ("controller-manager.conf", "system:kube-controller-manager"),
        ("scheduler.conf", "system:kube-scheduler"),
    ] {
        let l = pki.leaf(&ca, user, 300, &[], false);
        kubeconfig(&kube.join(file), &ca, user, &l);
    }
    let etcd_ca = pki.ca("etcd-ca", 3650);
    write_ca(&etcd, "ca.pem", "ca-key.pem", &etcd_ca);
    let all = ["localhost", "node1", "node2", NODE1, NODE2, "127.0.0.1"];
    let without_node1: Vec<&str> = all.iter().copied().filter(|s| *s != NODE1).collect();
    let sans: &[&str] = if f.broken { &without_node1 } else { &all };
    let l = pki.leaf(&etcd_ca, "etcd-member-node1", 300, sans, true);
    pair(&etcd, "member-node1.pem", "member-node1-key.pem", &l);
    let l = pki.leaf(&etcd_ca, "etcd-member-node2", 300, &all, true);
    pair(&etcd, "member-node2.pem", "member-node2-key.pem", &l);
    for name in ["admin-node1", "admin-node2"] {
        let l = pki.leaf(&etcd_ca, &format!("etcd-{name}"), 300, &all, true);
        pair(
            &etcd,
            &format!("{name}.pem"),
            &format!("{name}-key.pem"),
            &l,
        );
    }
    // The CA was regenerated (same name, new key) and node1's node
    // certificate was left behind.
    let signer = if f.broken {
        pki.ca("etcd-ca", 3650)
    } else {
        etcd_ca
    };
    let l = pki.leaf(&signer, "etcd-node-node1", 300, &all, true);
    pair(&etcd, "node-node1.pem", "node-node1-key.pem", &l);
}

fn check_site(site: &Path, root: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "-o",
        "json",
        "certs",
        "check",
        "--site",
        site.to_str().unwrap(),
        "--host",
        "node1",
        "--root",
        root.to_str().unwrap(),
        "--at",
        AT_TEXT,
    ];
    args.extend_from_slice(extra);
    km(&args)
}

#[test]
fn a_clean_kubespray_host_has_no_finding_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let (site, root) = (dir.path().join("site"), dir.path().join("root"));
    kubespray_site(&site, "v2.24.0");
    let mut pki = Pki::new(AT);
    kubespray_layout(&root, &mut pki, Faults::default());
    let o = check_site(&site, &root, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let r = json(&o);
    assert_eq!(codes(&r), vec![], "{}", text(&o));
    let certs = r["certificates"].as_array().unwrap();
    // 5 files + 3 kubeconfigs x 2 + 6 etcd files.
    assert_eq!(certs.len(), 17, "{}", text(&o));
    assert!(certs.iter().all(|c| c["chain"]["status"] != "broken"));
    let api = certs
        .iter()
        .find(|c| c["path"].as_str().unwrap().ends_with("/apiserver.crt"))
        .unwrap();
    assert_eq!(api["days_left"], 300);
    assert_eq!(api["chain"]["status"], "verified");
    assert!(api["chain"]["ca"].as_str().unwrap().ends_with("ssl/ca.crt"));
    // Key files were recognised, not read.
    let skipped = r["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 11, "{skipped:?}");
    assert_no_secret(&pki, &[&o]);
}

#[test]
fn kubespray_expiries_chains_and_sans_are_each_reported_with_their_severity() {
    let dir = tempfile::tempdir().unwrap();
    let (site, root) = (dir.path().join("site"), dir.path().join("root"));
    kubespray_site(&site, "v2.24.0");
    let mut pki = Pki::new(AT);
    kubespray_layout(&root, &mut pki, Faults { broken: true });
    let o = check_site(&site, &root, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let r = json(&o);
    let want: Vec<(String, String)> = [
        ("KM341", "admin.conf"),
        ("KM342", "front-proxy-client.crt"),
        ("KM343", "apiserver-kubelet-client.crt"),
        ("KM345", "node-node1.pem"),
        ("KM346", "member-node1.pem"),
        ("KM347", "apiserver.crt"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(codes(&r), want, "{}", text(&o));
    let by = |code: &str| {
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["code"] == code)
            .unwrap()
            .clone()
    };
    assert_eq!(by("KM341")["severity"], "error");
    assert_eq!(by("KM342")["severity"], "error");
    assert_eq!(by("KM343")["severity"], "warning");
    assert!(by("KM346")["message"].as_str().unwrap().contains(NODE1));
    assert!(by("KM347")["message"].as_str().unwrap().contains(VIP));
    // Nearest expiry first; the expired kubeconfig user leads.
    let first = &r["certificates"][0];
    assert_eq!(first["kind"], "kubeconfig-user");
    assert_eq!(first["days_left"], -2);
    assert_eq!(first["name"], "kubernetes-admin");
    // Every format, every output: no private key.
    let t = km(&[
        "certs",
        "check",
        "--site",
        site.to_str().unwrap(),
        "--host",
        "node1",
        "--root",
        root.to_str().unwrap(),
        "--at",
        AT_TEXT,
        "--plan",
    ]);
    let y = check_site(&site, &root, &["--plan"]);
    let n = km(&[
        "-o",
        "nagios",
        "certs",
        "check",
        root.join("etc").to_str().unwrap(),
        "--at",
        AT_TEXT,
    ]);
    assert_no_secret(&pki, &[&o, &t, &y, &n]);
    assert!(text(&t).contains("KM347"), "{}", text(&t));
}

#[test]
fn a_file_of_the_wrong_host_is_held_to_that_hosts_names() {
    // member-node2.pem on node1 names node2's address, not node1's: no
    // finding, though node1 is --host.
    let dir = tempfile::tempdir().unwrap();
    let (site, root) = (dir.path().join("site"), dir.path().join("root"));
    kubespray_site(&site, "v2.24.0");
    let mut pki = Pki::new(AT);
    kubespray_layout(&root, &mut pki, Faults::default());
    let o = check_site(&site, &root, &[]);
    let r = json(&o);
    let m2 = r["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["path"].as_str().unwrap().ends_with("member-node2.pem"))
        .unwrap()
        .clone();
    assert_eq!(m2["host"], "node2");
}

#[test]
fn nagios_state_follows_the_nearest_expiry_with_days_left_as_perfdata() {
    let dir = tempfile::tempdir().unwrap();
    let mut pki = Pki::new(AT);
    let ca = pki.ca("ca", 3650);
    for (name, days) in [("a.crt", 300), ("b.crt", 20), ("c.crt", 3), ("d.crt", -1)] {
        let l = pki.leaf(&ca, name, days, &[], false);
        write(&dir.path().join(name), &l.cert);
    }
    let run = |files: &[&str]| {
        let mut args = vec!["-o", "nagios", "certs", "check", "--at", AT_TEXT];
        let paths: Vec<String> = files
            .iter()
            .map(|f| dir.path().join(f).display().to_string())
            .collect();
        args.extend(paths.iter().map(String::as_str));
        km(&args)
    };
    let ok = run(&["a.crt"]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok));
    assert!(text(&ok).starts_with("CERTS OK - "), "{}", text(&ok));
    assert!(text(&ok).contains("'days_left'=300;30;7"), "{}", text(&ok));
    let warn = run(&["a.crt", "b.crt"]);
    assert_eq!(warn.status.code(), Some(1), "{}", text(&warn));
    assert!(
        text(&warn).starts_with("CERTS WARNING - "),
        "{}",
        text(&warn)
    );
    assert!(text(&warn).contains("'days_left'=20;30;7"));
    let crit = run(&["a.crt", "c.crt"]);
    assert_eq!(crit.status.code(), Some(2), "{}", text(&crit));
    assert!(text(&crit).contains("'days_left'=3;30;7"));
    let expired = run(&["a.crt", "d.crt"]);
    assert_eq!(expired.status.code(), Some(2));
    assert!(
        text(&expired).contains("'days_left'=-1;30;7"),
        "{}",
        text(&expired)
    );
    // Nothing to read is UNKNOWN.
    let none = run(&["missing.crt"]);
    assert_eq!(none.status.code(), Some(3), "{}", text(&none));
    assert!(text(&none).starts_with("CERTS UNKNOWN"));
    // Thresholds are flags.
    let wider = km(&[
        "-o",
        "nagios",
        "certs",
        "check",
        "--at",
        AT_TEXT,
        "--warning-days",
        "400",
        "--critical-days",
        "10",
        dir.path().join("a.crt").to_str().unwrap(),
    ]);
    assert_eq!(wider.status.code(), Some(1), "{}", text(&wider));
}

#[test]
fn bad_input_exits_2_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let not_cert = dir.path().join("notes.crt");
    write(&not_cert, "hello\n");
    let o = km(&["certs", "check", not_cert.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("notes.crt"), "{}", text(&o));
    let bad_kc = dir.path().join("admin.conf");
    write(
        &bad_kc,
        "users:\n- name: x\n  user:\n    client-certificate-data: [unclosed\n",
    );
    let o = km(&["certs", "check", bad_kc.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("admin.conf:"), "{}", text(&o));
    let o = km(&["certs", "check", "--at", "soon", not_cert.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let o = km(&[
        "certs",
        "check",
        "--warning-days",
        "3",
        "--critical-days",
        "7",
        not_cert.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    // Inside a directory, the same file is a finding, not a stop.
    let mut pki = Pki::new(AT);
    let ca = pki.ca("ca", 3650);
    write(&dir.path().join("ok.crt"), &ca.pem());
    let o = km(&[
        "-o",
        "json",
        "certs",
        "check",
        "--at",
        AT_TEXT,
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(
        codes(&json(&o)),
        vec![
            ("KM348".to_string(), "admin.conf".to_string()),
            ("KM348".to_string(), "notes.crt".to_string())
        ]
    );
}

#[test]
fn a_key_only_pem_and_a_bundle_with_its_key_never_print_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let mut pki = Pki::new(AT);
    let ca = pki.ca("ca", 3650);
    let l = pki.leaf(&ca, "haproxy", 300, &["lb.example"], true);
    // haproxy's bundle: certificate and key in one file.
    write(
        &dir.path().join("haproxy.pem"),
        &format!("{}{}", l.cert, l.key),
    );
    // A key under a certificate's name.
    write(&dir.path().join("server.pem"), &l.key);
    let o = km(&[
        "-o",
        "json",
        "certs",
        "check",
        "--at",
        AT_TEXT,
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let r = json(&o);
    assert_eq!(r["certificates"].as_array().unwrap().len(), 1);
    assert_eq!(r["skipped"][0]["reason"], "private key");
    let y = km(&[
        "-o",
        "yaml",
        "certs",
        "check",
        "--at",
        AT_TEXT,
        dir.path().join("server.pem").to_str().unwrap(),
    ]);
    assert_no_secret(&pki, &[&o, &y]);
}

#[test]
fn the_plan_is_the_renewal_of_the_sites_stack_and_release() {
    let dir = tempfile::tempdir().unwrap();
    let (site, root) = (dir.path().join("site"), dir.path().join("root"));
    let mut pki = Pki::new(AT);
    kubespray_layout(&root, &mut pki, Faults { broken: true });
    kubespray_site(&site, "v2.24.0");
    let r = json(&check_site(&site, &root, &["--plan"]));
    let steps = r["plan"]["steps"].as_array().unwrap();
    assert_eq!(r["plan"]["stack"], "kubespray");
    assert_eq!(r["plan"]["release"], "2.24.0");
    assert_eq!(steps[0]["commands"][0], "/usr/local/bin/k8s-certs-renew.sh");
    assert_eq!(steps[0]["due"], true);
    assert!(steps[0]["source"]
        .as_str()
        .unwrap()
        .contains("k8s-certs-renew.sh.j2"));
    assert!(steps[1]["commands"][0]
        .as_str()
        .unwrap()
        .contains("force_etcd_cert_refresh=true"));
    // kubespray 2.15 had no renewal script: kubeadm's alpha command.
    let old = dir.path().join("old");
    kubespray_site(&old, "v2.15.0");
    let r = json(&check_site(&old, &root, &["--plan"]));
    assert_eq!(
        r["plan"]["steps"][0]["commands"][0],
        "/usr/local/bin/kubeadm alpha certs renew all"
    );
}

/// An OpenShift 3.11 site: master1 is master, etcd and node.
fn openshift_site(dir: &Path) {
    write(
        &dir.join("kubemagic.yml"),
        "name: os\nflavor: openshift\nupstreams:\n  openshift-ansible:\n    url: https://github.com/openshift/openshift-ansible.git\n    ref: openshift-ansible-3.11.1159-1\n",
    );
    write(
        &dir.join("openshift-ansible/hosts"),
        "[OSEv3:children]\nmasters\nnodes\netcd\n\n[masters]\nmaster1 ansible_host=127.0.0.21\n\n[etcd]\nmaster1 ansible_host=127.0.0.21\n\n[nodes]\nmaster1 ansible_host=127.0.0.21 openshift_node_group_name=node-config-master\n",
    );
}

/// master1's files as openshift-ansible 3.11 leaves them: etcd's server
/// certificate in 3 days, the master's serving certificate in 20, etcd's
/// peer certificate without master1's address.
fn openshift_layout(root: &Path, pki: &mut Pki) {
    let m = root.join("etc/origin/master");
    let ca = pki.ca("openshift-signer@1577836800", 3650);
    write_ca(&m, "ca.crt", "ca.key", &ca);
    write(&m.join("ca-bundle.crt"), &ca.pem());
    let l = pki.leaf(
        &ca,
        "172.30.0.1",
        20,
        &[
            "kubernetes",
            "kubernetes.default",
            "kubernetes.default.svc",
            "openshift",
            "master1",
            "127.0.0.21",
            "172.30.0.1",
        ],
        true,
    );
    pair(&m, "master.server.crt", "master.server.key", &l);
    for name in [
        "admin",
        "master.kubelet-client",
        "master.proxy-client",
        "openshift-master",
    ] {
        let l = pki.leaf(&ca, name, 300, &[], false);
        pair(&m, &format!("{name}.crt"), &format!("{name}.key"), &l);
        if name == "admin" || name == "openshift-master" {
            kubeconfig(&m.join(format!("{name}.kubeconfig")), &ca, name, &l);
        }
    }
    let fp = pki.ca("openshift-front-proxy-signer", 3650);
    write_ca(&m, "front-proxy-ca.crt", "front-proxy-ca.key", &fp);
    let l = pki.leaf(&fp, "aggregator-front-proxy", 300, &[], false);
    pair(
        &m,
        "aggregator-front-proxy.crt",
        "aggregator-front-proxy.key",
        &l,
    );
    let ss = pki.ca("openshift-service-serving-signer", 3650);
    write_ca(&m, "service-signer.crt", "service-signer.key", &ss);
    let e = root.join("etc/etcd");
    let etcd_ca = pki.ca("etcd-signer", 1825);
    write(&e.join("ca.crt"), &etcd_ca.pem());
    write(&m.join("master.etcd-ca.crt"), &etcd_ca.pem());
    let l = pki.leaf(&etcd_ca, "master.etcd-client", 300, &[], false);
    pair(&m, "master.etcd-client.crt", "master.etcd-client.key", &l);
    let l = pki.leaf(&etcd_ca, "master1", 3, &["master1", "127.0.0.21"], true);
    pair(&e, "server.crt", "server.key", &l);
    let l = pki.leaf(&etcd_ca, "master1", 300, &["master1"], true);
    pair(&e, "peer.crt", "peer.key", &l);
    let n = root.join("etc/origin/node");
    write(&n.join("client-ca.crt"), &ca.pem());
    // openshift_hosted's router and registry certificates, on the first
    // master (roles/openshift_hosted/tasks/router.yml, secure/passthrough.yml).
    let l = pki.leaf(
        &ca,
        "*.apps.os.example",
        300,
        &["*.apps.os.example", "apps.os.example"],
        true,
    );
    pair(&m, "openshift-router.crt", "openshift-router.key", &l);
    let l = pki.leaf(
        &ca,
        "172.30.0.5",
        300,
        &["172.30.0.5", "docker-registry.default.svc"],
        true,
    );
    pair(&m, "registry.crt", "registry.key", &l);
}

#[test]
fn openshift_311_expiries_and_sans_are_reported_and_missing_files_named() {
    let dir = tempfile::tempdir().unwrap();
    let (site, root) = (dir.path().join("site"), dir.path().join("root"));
    openshift_site(&site);
    let mut pki = Pki::new(AT);
    openshift_layout(&root, &mut pki);
    std::fs::remove_file(root.join("etc/origin/master/aggregator-front-proxy.crt")).unwrap();
    let args = |extra: &[&str]| {
        let mut a = vec![
            "-o",
            "json",
            "certs",
            "check",
            "--site",
            site.to_str().unwrap(),
            "--host",
            "master1",
            "--root",
            root.to_str().unwrap(),
            "--at",
            AT_TEXT,
        ];
        a.extend_from_slice(extra);
        a.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let a = args(&["--plan"]);
    let o = km(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let r = json(&o);
    let got = codes(&r);
    for want in [
        ("KM340", "master1"),
        ("KM342", "server.crt"),
        ("KM343", "master.server.crt"),
        ("KM346", "peer.crt"),
    ] {
        assert!(
            got.contains(&(want.0.to_string(), want.1.to_string())),
            "{want:?} not in {got:?}"
        );
    }
    assert_eq!(got.len(), 4, "{got:?}");
    let etcd_client = r["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| {
            c["path"]
                .as_str()
                .unwrap()
                .ends_with("master.etcd-client.crt")
        })
        .unwrap()
        .clone();
    assert_eq!(etcd_client["chain"]["status"], "verified");
    assert_eq!(r["plan"]["stack"], "openshift");
    assert_eq!(
        r["plan"]["steps"][0]["commands"][0],
        "ansible-playbook -i INVENTORY playbooks/openshift-etcd/redeploy-certificates.yml"
    );
    assert_eq!(r["plan"]["steps"][0]["due"], true);
    assert_no_secret(&pki, &[&o]);
}

#[test]
fn at_moves_the_decision_in_time() {
    let dir = tempfile::tempdir().unwrap();
    let mut pki = Pki::new(AT);
    let ca = pki.ca("ca", 3650);
    let l = pki.leaf(&ca, "x", 100, &[], false);
    let p = dir.path().join("x.crt");
    write(&p, &l.cert);
    let r = json(&km(&[
        "-o",
        "json",
        "certs",
        "check",
        "--at",
        "2030-01-01",
        p.to_str().unwrap(),
    ]));
    assert_eq!(r["certificates"][0]["days_left"], 100);
    let o = km(&[
        "-o",
        "json",
        "certs",
        "check",
        "--at",
        "2030-04-06",
        p.to_str().unwrap(),
    ]);
    assert_eq!(json(&o)["certificates"][0]["days_left"], 5);
    assert_eq!(o.status.code(), Some(1));
    let o = km(&[
        "-o",
        "json",
        "certs",
        "check",
        "--at",
        "2029-11-01",
        p.to_str().unwrap(),
    ]);
    assert_eq!(
        codes(&json(&o)),
        vec![("KM344".to_string(), "x.crt".to_string())]
    );
}

#[test]
fn without_a_path_the_stacks_own_directories_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let mut pki = Pki::new(AT);
    kubespray_layout(&root, &mut pki, Faults::default());
    let o = km(&[
        "-o",
        "json",
        "certs",
        "check",
        "--root",
        root.to_str().unwrap(),
        "--at",
        AT_TEXT,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(json(&o)["certificates"].as_array().unwrap().len(), 17);
    let empty = dir.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let o = km(&["certs", "check", "--root", empty.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

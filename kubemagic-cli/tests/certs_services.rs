//! Issue 24, the rest of the site: OpenShift's router and registry
//! certificates on the first master (the router's wildcard checked against
//! `openshift_master_default_subdomain`), Ceph's dashboard and RGW
//! certificates on their hosts, both OpenShift API names, and the
//! certificate files a kubeconfig names (the kubelet's rotated client
//! certificate, outside every directory the scan walks). Real
//! certificates (rcgen), real TLS servers (`openssl s_server`).

mod certs_support;

use certs_support::*;
use std::path::Path;

const AT: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z
const AT_TEXT: &str = "2026-01-01T00:00:00Z";

fn run(args: &[String]) -> std::process::Output {
    km(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

fn check(site: &Path, root: &Path, host: &str, extra: &[&str]) -> std::process::Output {
    let mut a: Vec<String> = [
        "-o",
        "json",
        "certs",
        "check",
        "--site",
        site.to_str().unwrap(),
        "--host",
        host,
        "--root",
        root.to_str().unwrap(),
        "--at",
        AT_TEXT,
    ]
    .map(String::from)
    .to_vec();
    a.extend(extra.iter().map(|s| s.to_string()));
    run(&a)
}

/// An OpenShift 3.11 site: master1 (first master), master2, infra1 (the
/// router's node by the 3.11 default node groups), both cluster hostnames.
fn openshift_site(dir: &Path) {
    write(
        &dir.join("kubemagic.yml"),
        "name: os\nflavor: openshift\nupstreams:\n  openshift-ansible:\n    url: https://github.com/openshift/openshift-ansible.git\n    ref: openshift-ansible-3.11.1159-1\n",
    );
    write(
        &dir.join("openshift-ansible/hosts"),
        "[OSEv3:children]\nmasters\nnodes\netcd\n\n[OSEv3:vars]\nopenshift_master_cluster_hostname=api-int.os.example\nopenshift_master_cluster_public_hostname=api.os.example\nopenshift_master_default_subdomain=apps.os.example\n\n\
         [masters]\nmaster1 ansible_host=127.0.0.21\nmaster2 ansible_host=127.0.0.22\n\n[etcd]\nmaster1 ansible_host=127.0.0.21\n\n\
         [nodes]\nmaster1 openshift_node_group_name=node-config-master\nmaster2 openshift_node_group_name=node-config-master\ninfra1 ansible_host=127.0.0.23 openshift_node_group_name=node-config-infra\n",
    );
}

#[test]
fn the_router_and_registry_certificates_are_expected_on_the_first_master_and_the_wildcard_checked()
{
    let dir = tempfile::tempdir().unwrap();
    let (site, root) = (dir.path().join("site"), dir.path().join("root"));
    openshift_site(&site);
    let mut pki = Pki::new(AT);
    let m = root.join("etc/origin/master");
    let ca = pki.ca("openshift-signer", 3650);
    write_ca(&m, "ca.crt", "ca.key", &ca);
    // A router certificate for another domain, expiring in 5 days; the
    // registry's is missing.
    let l = pki.leaf(&ca, "*.apps.old.example", 5, &["*.apps.old.example"], true);
    pair(&m, "openshift-router.crt", "openshift-router.key", &l);
    let o = check(&site, &root, "master1", &["--plan"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let r = json(&o);
    let findings = r["findings"].as_array().unwrap();
    let has = |code: &str, part: &str| {
        findings.iter().any(|f| {
            f["code"] == code
                && (f["message"].as_str().unwrap().contains(part)
                    || f["file"].as_str().is_some_and(|p| p.contains(part)))
        })
    };
    assert!(
        has("KM346", "openshift-router.crt") && has("KM346", "kubemagic-probe.apps.os.example"),
        "{findings:#?}"
    );
    assert!(has("KM342", "openshift-router.crt"), "{findings:#?}");
    assert!(
        has("KM340", "registry.crt") && has("KM340", "OpenShift registry"),
        "{findings:#?}"
    );
    // The plan names openshift-ansible's own playbook for each.
    let commands: Vec<String> = r["plan"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["due"] == true)
        .flat_map(|s| s["commands"].as_array().unwrap().clone())
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    assert!(
        commands
            .iter()
            .any(|c| c.contains("playbooks/openshift-hosted/redeploy-router-certificates.yml")),
        "{commands:?}"
    );
    // master2 is not the first master: no router or registry file expected.
    let o2 = check(&site, &root, "master2", &[]);
    let r2 = json(&o2);
    assert!(
        !r2["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["message"].as_str().unwrap().contains("registry.crt")),
        "{}",
        text(&o2)
    );
    assert_no_secret(&pki, &[&o, &o2]);
}

#[test]
fn an_apiserver_certificate_must_name_both_openshift_cluster_hostnames() {
    let dir = tempfile::tempdir().unwrap();
    let (site, root) = (dir.path().join("site"), dir.path().join("root"));
    openshift_site(&site);
    let mut pki = Pki::new(AT);
    let m = root.join("etc/origin/master");
    let ca = pki.ca("openshift-signer", 3650);
    write_ca(&m, "ca.crt", "ca.key", &ca);
    let l = pki.leaf(
        &ca,
        "172.30.0.1",
        300,
        &[
            "kubernetes.default",
            "master1",
            "127.0.0.21",
            "api.os.example",
        ],
        true,
    );
    pair(&m, "master.server.crt", "master.server.key", &l);
    let o = check(&site, &root, "master1", &[]);
    let r = json(&o);
    let km347: Vec<&serde_json::Value> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "KM347")
        .collect();
    assert_eq!(km347.len(), 1, "{}", text(&o));
    let msg = km347[0]["message"].as_str().unwrap();
    assert!(
        msg.contains("lack the API name api-int.os.example: clients"),
        "{msg}"
    );
}

/// A site with kubespray (node1) and ceph-ansible: mon1 (no `mgrs` group:
/// the monitors run the managers and serve the dashboard), rgw1 serving
/// TLS with a PEM holding its key.
fn ceph_site(dir: &Path, dashboard_port: u16) {
    write(
        &dir.join("kubemagic.yml"),
        "name: c\nflavor: kubespray\nupstreams:\n  kubespray:\n    url: https://github.com/kubernetes-sigs/kubespray.git\n    ref: v2.26.0\n  ceph-ansible:\n    url: https://github.com/ceph/ceph-ansible.git\n    ref: stable-6.0\n",
    );
    write(
        &dir.join("kubespray/inventory/c/hosts.yml"),
        "all:\n  hosts:\n    node1:\n      ip: 127.0.0.31\n  children:\n    kube_control_plane:\n      hosts:\n        node1:\n    etcd:\n      hosts:\n        node1:\n    k8s_cluster:\n      children:\n        kube_control_plane:\n",
    );
    write(
        &dir.join("ceph-ansible/hosts"),
        &format!(
            "[mons]\nmon1 ansible_host=127.0.0.1\n\n[rgws]\nrgw1 ansible_host=127.0.0.33\n\n[monitoring]\ngraf1 ansible_host=127.0.0.34\n\n[all:vars]\ndashboard_port={dashboard_port}\nradosgw_frontend_ssl_certificate=/etc/ceph/private/rgw.pem\n"
        ),
    );
}

#[test]
fn ceph_dashboard_and_rgw_certificates_are_read_on_their_hosts_and_their_keys_never_printed() {
    let dir = tempfile::tempdir().unwrap();
    let (site, root) = (dir.path().join("site"), dir.path().join("root"));
    ceph_site(&site, 8443);
    let mut pki = Pki::new(AT);
    let ca = pki.ca("ceph-ca", 3650);
    let dash = pki.leaf(&ca, "ceph-dashboard", 5, &["mon1"], true);
    pair(
        &root.join("etc/ceph"),
        "ceph-dashboard.crt",
        "ceph-dashboard.key",
        &dash,
    );
    let rgw = pki.leaf(&ca, "rgw1", 20, &["rgw1", "127.0.0.33"], true);
    write(
        &root.join("etc/ceph/private/rgw.pem"),
        &format!("{}{}{}", rgw.cert, ca.pem(), rgw.key),
    );
    let o = check(&site, &root, "mon1", &["--plan"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let r = json(&o);
    let paths: Vec<&str> = r["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["path"].as_str().unwrap())
        .collect();
    assert!(
        paths
            .iter()
            .any(|p| p.ends_with("etc/ceph/ceph-dashboard.crt")),
        "{paths:?}"
    );
    assert!(
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == "KM342"
                && f["file"].as_str().unwrap().contains("ceph-dashboard.crt")),
        "{}",
        text(&o)
    );
    let dashboard_step = r["plan"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["title"].as_str().unwrap().contains("Ceph dashboard"))
        .unwrap_or_else(|| panic!("no Ceph dashboard step: {}", text(&o)))
        .clone();
    assert_eq!(dashboard_step["due"], true);
    assert!(dashboard_step["source"]
        .as_str()
        .unwrap()
        .contains("roles/ceph-dashboard/tasks/configure_dashboard.yml"));
    // rgw1: the PEM named by radosgw_frontend_ssl_certificate, read for its
    // certificates (its key skipped), 20 days left: a warning.
    let o2 = check(&site, &root, "rgw1", &[]);
    assert_eq!(o2.status.code(), Some(0), "{}", text(&o2));
    let r2 = json(&o2);
    let rgw_certs: Vec<&serde_json::Value> = r2["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["path"].as_str().unwrap().ends_with("private/rgw.pem"))
        .collect();
    assert_eq!(rgw_certs.len(), 2, "{}", text(&o2));
    assert!(r2["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["code"] == "KM343"));
    let t = km(&[
        "certs",
        "check",
        "--site",
        site.to_str().unwrap(),
        "--host",
        "rgw1",
        "--root",
        root.to_str().unwrap(),
        "--at",
        AT_TEXT,
    ]);
    assert_no_secret(&pki, &[&o, &o2, &t]);
}

/// A kubeconfig naming its certificate files, as kubespray's kubelet.conf
/// names the kubelet's rotated client certificate: the file is read
/// though no scanned directory holds it, a relative path from the
/// kubeconfig's directory, and the key in the same file never printed.
#[test]
fn certificate_files_a_kubeconfig_names_are_read_wherever_they_are() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let mut pki = Pki::new(AT);
    let ca = pki.ca("kubernetes", 3650);
    write_ca(&root.join("etc/kubernetes/ssl"), "ca.crt", "ca.key", &ca);
    let kubelet = pki.leaf(&ca, "system:node:node1", 2, &[], false);
    write(
        &root.join("var/lib/kubelet/pki/kubelet-client-current.pem"),
        &format!("{}{}", kubelet.cert, kubelet.key),
    );
    write(
        &root.join("etc/kubernetes/kubelet.conf"),
        "apiVersion: v1\nkind: Config\nclusters:\n- name: cluster.local\n  cluster:\n    certificate-authority: ssl/ca.crt\n    server: https://127.0.0.1:6443\nusers:\n- name: default-auth\n  user:\n    client-certificate: /var/lib/kubelet/pki/kubelet-client-current.pem\n    client-key: /var/lib/kubelet/pki/kubelet-client-current.pem\n",
    );
    // A kubeconfig naming a file that is not there: a warning at the
    // kubeconfig, the scan goes on.
    write(
        &root.join("etc/kubernetes/broken.conf"),
        "users:\n- name: gone\n  user:\n    client-certificate: /nowhere/client.crt\n",
    );
    let o = km(&[
        "-o",
        "json",
        "certs",
        "check",
        "--root",
        root.to_str().unwrap(),
        "--at",
        AT_TEXT,
        root.join("etc/kubernetes").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let r = json(&o);
    let kubelet_cert = r["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| {
            c["path"]
                .as_str()
                .unwrap()
                .ends_with("var/lib/kubelet/pki/kubelet-client-current.pem")
        })
        .unwrap_or_else(|| {
            panic!(
                "the kubelet's client certificate was not read: {}",
                text(&o)
            )
        })
        .clone();
    assert_eq!(kubelet_cert["kind"], "kubeconfig-user", "{kubelet_cert}");
    assert_eq!(kubelet_cert["days_left"], 2);
    // ssl/ca.crt is in the scanned directory: read once, not twice.
    let ca_count = r["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| {
            c["path"]
                .as_str()
                .unwrap()
                .ends_with("etc/kubernetes/ssl/ca.crt")
        })
        .count();
    assert_eq!(ca_count, 1, "{}", text(&o));
    assert!(
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == "KM348"
                && f["message"]
                    .as_str()
                    .unwrap()
                    .contains("/nowhere/client.crt")),
        "{}",
        text(&o)
    );
    assert_no_secret(&pki, &[&o]);
}

#[test]
fn probe_with_a_site_dials_the_ceph_dashboard_on_its_monitor() {
    if !tool("/usr/bin/openssl") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut pki = Pki::now();
    let ca = pki.ca("ceph-ca", 3650);
    let l = pki.leaf(&ca, "ceph-dashboard", 300, &["mon1", "127.0.0.1"], true);
    pair(dir.path(), "dash.crt", "dash.key", &l);
    let port = free_port();
    let _s = openssl_server(
        port,
        &dir.path().join("dash.crt"),
        &dir.path().join("dash.key"),
        None,
    );
    let site = dir.path().join("site");
    ceph_site(&site, port);
    let o = km(&[
        "-o",
        "json",
        "certs",
        "probe",
        "--timeout",
        "2",
        "--site",
        site.to_str().unwrap(),
    ]);
    let r = json(&o);
    let at = format!("127.0.0.1:{port}");
    assert!(
        r["certificates"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["path"] == at.as_str()
                && c["subject"].as_str().unwrap().contains("ceph-dashboard")),
        "{}",
        text(&o)
    );
    assert_no_secret(&pki, &[&o]);
}

#[test]
fn a_corrupt_service_file_is_a_warning_and_the_rest_is_still_read() {
    let dir = tempfile::tempdir().unwrap();
    let (site, root) = (dir.path().join("site"), dir.path().join("root"));
    ceph_site(&site, 8443);
    // mon1 also runs the RADOS Gateway: two service files on one host.
    write(
        &site.join("ceph-ansible/hosts"),
        "[mons]\nmon1 ansible_host=127.0.0.1\n\n[rgws]\nmon1\n\n[monitoring]\ngraf1\n\n[all:vars]\nradosgw_frontend_ssl_certificate=/etc/ceph/private/rgw.pem\n",
    );
    write(
        &root.join("etc/ceph/ceph-dashboard.crt"),
        "-----BEGIN CERTIFICATE-----\nnot base64 !!\n-----END CERTIFICATE-----\n",
    );
    let mut pki = Pki::new(AT);
    let ca = pki.ca("ceph-ca", 3650);
    let rgw = pki.leaf(&ca, "rgw-on-mon1", 200, &["mon1"], true);
    write(
        &root.join("etc/ceph/private/rgw.pem"),
        &format!("{}{}", rgw.cert, rgw.key),
    );
    let o = check(&site, &root, "mon1", &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let r = json(&o);
    // The rest is still read.
    assert!(
        r["certificates"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["subject"] == "CN=rgw-on-mon1"),
        "{}",
        text(&o)
    );
    assert_no_secret(&pki, &[&o]);
    assert!(
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == "KM348"
                && f["file"].as_str().unwrap().ends_with("ceph-dashboard.crt")),
        "{}",
        text(&o)
    );
}

/// In a copy of a host's files (`--root`), the kubelet's
/// `kubelet-client-current.pem` links to its dated file by absolute path:
/// the link is followed inside the copy, never to this machine's /var.
#[test]
fn an_absolute_link_a_kubeconfig_names_is_followed_inside_the_root() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let mut pki = Pki::new(AT);
    let ca = pki.ca("kubernetes", 3650);
    write_ca(&root.join("etc/kubernetes/ssl"), "ca.crt", "ca.key", &ca);
    let kubelet = pki.leaf(&ca, "system:node:node1", 40, &[], false);
    let pki_dir = root.join("var/lib/kubelet/pki");
    write(
        &pki_dir.join("kubelet-client-2026-01-01-00-00-00.pem"),
        &format!("{}{}", kubelet.cert, kubelet.key),
    );
    std::os::unix::fs::symlink(
        "/var/lib/kubelet/pki/kubelet-client-2026-01-01-00-00-00.pem",
        pki_dir.join("kubelet-client-current.pem"),
    )
    .unwrap();
    write(
        &root.join("etc/kubernetes/kubelet.conf"),
        "users:\n- name: default-auth\n  user:\n    client-certificate: /var/lib/kubelet/pki/kubelet-client-current.pem\n    client-key: /var/lib/kubelet/pki/kubelet-client-current.pem\n",
    );
    let o = km(&[
        "-o",
        "json",
        "certs",
        "check",
        "--root",
        root.to_str().unwrap(),
        "--at",
        AT_TEXT,
        root.join("etc/kubernetes").to_str().unwrap(),
    ]);
    let r = json(&o);
    let found = r["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["subject"] == "CN=system:node:node1")
        .unwrap_or_else(|| panic!("not read inside the root: {}", text(&o)))
        .clone();
    assert!(
        found["path"]
            .as_str()
            .unwrap()
            .starts_with(root.to_str().unwrap()),
        "{found}"
    );
    assert_eq!(found["days_left"], 40);
    assert_no_secret(&pki, &[&o]);
}

#[test]
fn an_internal_openshift_name_that_does_not_resolve_here_is_a_warning_not_an_error() {
    if !tool("/usr/bin/openssl") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut pki = Pki::now();
    let ca = pki.ca("openshift-signer", 3650);
    let l = pki.leaf(
        &ca,
        "master",
        300,
        &[
            "127.0.0.1",
            "kubernetes.default",
            "api-int.kubemagic.invalid",
        ],
        true,
    );
    pair(dir.path(), "m.crt", "m.key", &l);
    let port = free_port();
    let _s = openssl_server(
        port,
        &dir.path().join("m.crt"),
        &dir.path().join("m.key"),
        None,
    );
    let site = dir.path().join("site");
    write(
        &site.join("kubemagic.yml"),
        "name: os\nflavor: openshift\nupstreams:\n  openshift-ansible:\n    url: https://github.com/openshift/openshift-ansible.git\n    ref: openshift-ansible-3.11.1159-1\n",
    );
    // `.invalid` never resolves (RFC 2606).
    write(
        &site.join("openshift-ansible/hosts"),
        &format!(
            "[OSEv3:children]\nmasters\nnodes\n\n[OSEv3:vars]\nopenshift_master_cluster_public_hostname=127.0.0.1\nopenshift_master_cluster_hostname=api-int.kubemagic.invalid\nopenshift_master_api_port={port}\nopenshift_hosted_manage_router=false\n\n[masters]\nmaster1 ansible_host=127.0.0.1\n\n[nodes]\nmaster1 ansible_host=127.0.0.1 openshift_node_group_name=node-config-master\n"
        ),
    );
    let o = km(&[
        "-o",
        "json",
        "certs",
        "probe",
        "--timeout",
        "2",
        "--site",
        site.to_str().unwrap(),
    ]);
    let r = json(&o);
    let findings = r["findings"].as_array().unwrap();
    let internal: Vec<&serde_json::Value> = findings
        .iter()
        .filter(|f| {
            f["message"]
                .as_str()
                .unwrap()
                .contains("api-int.kubemagic.invalid")
        })
        .collect();
    assert_eq!(internal.len(), 1, "{}", text(&o));
    assert_eq!(internal[0]["code"], "KM349");
    assert_eq!(internal[0]["severity"], "warning");
    // The public name and the master were read, and no error.
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        r["certificates"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["path"] == format!("127.0.0.1:{port}")),
        "{}",
        text(&o)
    );
}

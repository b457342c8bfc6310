//! `kubemagic check` end to end on real site folders: the bundled examples
//! (clean ones give no error, `seed-mistakes` gives the seed's errors), and
//! for every check a copy of a clean example broken in exactly one place.

use kubemagic_core::{Finding, Severity};
use kubemagic_site::checks::run_all;
use kubemagic_site::site::{InventoryKind, Site};
use std::path::{Path, PathBuf};

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let t = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &t);
        } else {
            std::fs::copy(e.path(), &t).unwrap();
        }
    }
}

enum Edit<'a> {
    /// Replace the first occurrence of a text.
    Replace(&'a str, &'a str),
    /// Write the whole file.
    Write(&'a str),
    /// Rename the file or folder to this path (relative to the site).
    Rename(&'a str),
}

/// A copy of `examples/<base>` with `edits` applied, loaded and checked.
fn check_edited(base: &str, edits: &[(&str, Edit)]) -> (tempfile::TempDir, Vec<Finding>) {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&examples().join(base), dir.path());
    for (file, edit) in edits {
        let p = dir.path().join(file);
        match edit {
            Edit::Replace(from, to) => {
                let text = std::fs::read_to_string(&p).unwrap();
                assert!(text.contains(from), "{file} does not contain {from:?}");
                std::fs::write(&p, text.replacen(from, to, 1)).unwrap();
            }
            Edit::Write(text) => {
                std::fs::create_dir_all(p.parent().unwrap()).unwrap();
                std::fs::write(&p, text).unwrap();
            }
            Edit::Rename(to) => std::fs::rename(&p, dir.path().join(to)).unwrap(),
        }
    }
    let site = Site::load(dir.path()).unwrap_or_else(|e| panic!("{e}"));
    let findings = run_all(&site);
    (dir, findings)
}

fn errors(f: &[Finding]) -> Vec<String> {
    f.iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| f.to_string())
        .collect()
}

/// Asserts `code` is reported with `severity`, pointing into `file` (a path
/// suffix) at `line` when given; returns the finding.
fn expect<'a>(
    f: &'a [Finding],
    code: &str,
    severity: Severity,
    file: &str,
    line: Option<u32>,
) -> &'a Finding {
    let found = f
        .iter()
        .find(|x| x.code == code && x.file.as_ref().is_some_and(|p| p.ends_with(file)))
        .unwrap_or_else(|| {
            panic!(
                "no {code} at {file} in {:#?}",
                f.iter().map(|f| f.to_string()).collect::<Vec<_>>()
            )
        });
    assert_eq!(found.severity, severity, "{found}");
    if line.is_some() {
        assert_eq!(found.line, line, "{found}");
    }
    found
}

const K: &str = "kubespray/inventory/utgb";

// ------------------------------------------------------------ examples

#[test]
fn utgb_example_has_no_error() {
    let site = Site::load(&examples().join("utgb")).unwrap();
    assert_eq!(site.inventories.len(), 3);
    let f = run_all(&site);
    assert!(errors(&f).is_empty(), "{:#?}", errors(&f));
}

#[test]
fn utgb_example_is_one_site_of_shared_hosts() {
    let site = Site::load(&examples().join("utgb")).unwrap();
    let k = site.inventory(InventoryKind::Kubespray).unwrap();
    assert_eq!(k.role_hosts(kubemagic_site::site::Role::Etcd).len(), 3);
    // master1 is in custom/ and kubespray/: one machine, two inventories.
    assert_eq!(site.host_everywhere("master1.utgb.example").len(), 2);
    assert_eq!(site.config.upstreams["kubespray"].git_ref, "v2.16.0");
}

#[test]
fn okd_example_has_no_error() {
    let site = Site::load(&examples().join("okd")).unwrap();
    let f = run_all(&site);
    assert!(errors(&f).is_empty(), "{:#?}", errors(&f));
}

#[test]
fn seed_mistakes_example_shows_the_seed_errors() {
    let site = Site::load(&examples().join("seed-mistakes")).unwrap();
    let f = run_all(&site);
    let k = "kubespray/inventory/seed";
    expect(
        &f,
        "KM103",
        Severity::Error,
        &format!("{k}/group_vars/etcd.yml"),
        Some(3),
    );
    expect(
        &f,
        "KM101",
        Severity::Error,
        &format!("{k}/group_vars/etcd.yml"),
        Some(3),
    );
    let odd = expect(
        &f,
        "KM104",
        Severity::Error,
        &format!("{k}/group_vars/etcd.yml"),
        Some(3),
    );
    assert_eq!(odd.host.as_deref(), Some("master3"));
    expect(
        &f,
        "KM105",
        Severity::Warning,
        &format!("{k}/group_vars/etcd.yml"),
        Some(4),
    );
    expect(
        &f,
        "KM401",
        Severity::Error,
        &format!("{k}/group_vars/all/containerd.yml"),
        Some(5),
    );
    expect(&f, "KM502", Severity::Error, "kubemagic.yml", Some(9));
    let renamed = expect(
        &f,
        "KM601",
        Severity::Error,
        &format!("{k}/group_vars/k8s_cluster"),
        None,
    );
    assert!(
        renamed.message.contains("did you mean `k8s-cluster`"),
        "{renamed}"
    );
    expect(
        &f,
        "KM211",
        Severity::Error,
        &format!("{k}/group_vars/k8s-cluster/addons.yml"),
        Some(6),
    );
    expect(
        &f,
        "KM213",
        Severity::Error,
        &format!("{k}/group_vars/k8s-cluster/addons.yml"),
        Some(9),
    );
    expect(&f, "KM301", Severity::Error, "custom/hosts", Some(6));
    expect(&f, "KM321", Severity::Error, "custom/hosts", None);
    // The rbd secret of the site never shows.
    assert!(f
        .iter()
        .all(|x| !x.message.contains("QVFCYWRtaW5rZXlyaW5nZXhhbXBsZQ")));
}

// ------------------------------------------------------------ one check, one break

#[test]
fn km101_small_quota() {
    let (_d, f) = check_edited(
        "utgb",
        &[(
            &format!("{K}/group_vars/all/etcd.yml"),
            Edit::Replace("8589934592", "20971520"),
        )],
    );
    expect(
        &f,
        "KM101",
        Severity::Error,
        "group_vars/all/etcd.yml",
        Some(7),
    );
}

#[test]
fn km102_large_quota() {
    let (_d, f) = check_edited(
        "utgb",
        &[(
            &format!("{K}/group_vars/all/etcd.yml"),
            Edit::Replace("8589934592", "17179869184"),
        )],
    );
    expect(
        &f,
        "KM102",
        Severity::Warning,
        "group_vars/all/etcd.yml",
        Some(7),
    );
    assert!(errors(&f).is_empty());
}

#[test]
fn km103_quota_with_unit() {
    let (_d, f) = check_edited(
        "utgb",
        &[(
            &format!("{K}/group_vars/all/etcd.yml"),
            Edit::Replace("8589934592", "8Gi"),
        )],
    );
    expect(
        &f,
        "KM103",
        Severity::Error,
        "group_vars/all/etcd.yml",
        Some(7),
    );
}

#[test]
fn km104_one_member_with_another_quota() {
    let (_d, f) = check_edited(
        "utgb",
        &[(
            &format!("{K}/host_vars/master3.utgb.example.yml"),
            Edit::Write("---\netcd_quota_backend_bytes: 4294967296\n"),
        )],
    );
    let x = expect(
        &f,
        "KM104",
        Severity::Error,
        "host_vars/master3.utgb.example.yml",
        Some(2),
    );
    assert_eq!(x.host.as_deref(), Some("master3.utgb.example"));
}

#[test]
fn km105_memory_limit_below_quota() {
    let (_d, f) = check_edited(
        "utgb",
        &[(
            &format!("{K}/group_vars/all/etcd.yml"),
            Edit::Replace(
                "etcd_deployment_type: host\n",
                "etcd_deployment_type: host\netcd_memory_limit: 2048M\n",
            ),
        )],
    );
    expect(
        &f,
        "KM105",
        Severity::Warning,
        "group_vars/all/etcd.yml",
        Some(3),
    );
}

#[test]
fn km111_even_etcd() {
    let (_d, f) = check_edited(
        "utgb",
        &[(
            &format!("{K}/hosts.yml"),
            Edit::Replace(
                "    etcd:\n      hosts:\n",
                "    etcd:\n      hosts:\n        worker1.utgb.example:\n",
            ),
        )],
    );
    expect(&f, "KM111", Severity::Error, "hosts.yml", None);
}

#[test]
fn km112_single_etcd() {
    let (_d, f) = check_edited(
        "utgb",
        &[(
            &format!("{K}/hosts.yml"),
            Edit::Replace("    etcd:\n      hosts:\n        master1.utgb.example:\n        master2.utgb.example:\n        master3.utgb.example:\n", "    etcd:\n      hosts:\n        master1.utgb.example:\n"),
        )],
    );
    expect(&f, "KM112", Severity::Warning, "hosts.yml", None);
    assert!(errors(&f).is_empty(), "{:?}", errors(&f));
}

#[test]
fn km113_no_control_plane() {
    let (_d, f) = check_edited(
        "utgb",
        &[(
            &format!("{K}/hosts.yml"),
            Edit::Replace("    kube_control_plane:\n      hosts:\n        master1.utgb.example:\n        master2.utgb.example:\n        master3.utgb.example:\n", "    kube_control_plane:\n      hosts: {}\n"),
        )],
    );
    expect(&f, "KM113", Severity::Error, "hosts.yml", None);
}

#[test]
fn km201_even_mons() {
    let (_d, f) = check_edited(
        "utgb",
        &[("ceph-ansible/hosts", Edit::Replace("\n[mgrs:children]", "ceph4.utgb.example ansible_host=10.42.254.14 monitor_address=10.42.254.14\n\n[mgrs:children]"))],
    );
    expect(&f, "KM201", Severity::Error, "ceph-ansible/hosts", None);
}

#[test]
fn km202_mon_without_address() {
    let (_d, f) = check_edited(
        "utgb",
        &[(
            "ceph-ansible/hosts",
            Edit::Replace(" monitor_address=10.42.254.12", ""),
        )],
    );
    let x = expect(&f, "KM202", Severity::Error, "ceph-ansible/hosts", None);
    assert_eq!(x.host.as_deref(), Some("ceph2.utgb.example"));
}

#[test]
fn km203_osd_without_devices() {
    let (_d, f) = check_edited(
        "utgb",
        &[(
            "ceph-ansible/group_vars/osds.yml",
            Edit::Write("---\nosd_objectstore: bluestore\ndevices: []\n"),
        )],
    );
    expect(
        &f,
        "KM203",
        Severity::Error,
        "ceph-ansible/group_vars/osds.yml",
        Some(3),
    );
}

#[test]
fn km211_provisioner_monitor_on_v2_port() {
    let (_d, f) = check_edited(
        "utgb",
        &[(
            &format!("{K}/group_vars/k8s_cluster/addons.yml"),
            Edit::Replace("10.42.254.13:6789", "10.42.254.13:3300"),
        )],
    );
    expect(
        &f,
        "KM211",
        Severity::Error,
        "k8s_cluster/addons.yml",
        Some(14),
    );
}

#[test]
fn km212_pool_not_created() {
    let (_d, f) = check_edited(
        "utgb",
        &[(
            &format!("{K}/group_vars/k8s_cluster/addons.yml"),
            Edit::Replace("rbd_provisioner_pool: kube", "rbd_provisioner_pool: k8s"),
        )],
    );
    expect(
        &f,
        "KM212",
        Severity::Warning,
        "k8s_cluster/addons.yml",
        Some(15),
    );
}

#[test]
fn km213_image_features() {
    let (_d, f) = check_edited(
        "utgb",
        &[(
            &format!("{K}/group_vars/k8s_cluster/addons.yml"),
            Edit::Replace(
                "rbd_provisioner_image_features: layering",
                "rbd_provisioner_image_features: layering,fast-diff",
            ),
        )],
    );
    expect(
        &f,
        "KM213",
        Severity::Error,
        "k8s_cluster/addons.yml",
        Some(25),
    );
}

#[test]
fn km301_one_host_two_addresses() {
    let (_d, f) = check_edited(
        "utgb",
        &[(
            "custom/hosts",
            Edit::Replace(
                "master2.utgb.example ansible_host=10.42.253.12",
                "master2.utgb.example ansible_host=10.42.253.99",
            ),
        )],
    );
    let x = f.iter().find(|x| x.code == "KM301").expect("KM301");
    assert_eq!(x.host.as_deref(), Some("master2.utgb.example"));
}

#[test]
fn km311_no_proxy_missing_subnets() {
    let (_d, f) = check_edited(
        "utgb",
        &[(
            &format!("{K}/group_vars/all/all.yml"),
            Edit::Replace(",10.233.0.0/17", ""),
        )],
    );
    let x = expect(
        &f,
        "KM311",
        Severity::Error,
        "group_vars/all/all.yml",
        Some(23),
    );
    assert!(x.message.contains("kube_pods_subnet 10.233.64.0/18"), "{x}");
}

#[test]
fn km321_single_load_balancer() {
    let (_d, f) = check_edited(
        "utgb",
        &[(
            "custom/hosts",
            Edit::Replace("lb2.utgb.example ansible_host=10.42.253.6\n", ""),
        )],
    );
    expect(&f, "KM321", Severity::Error, "custom/hosts", None);
}

#[test]
fn km322_vip_mismatch() {
    let (_d, f) = check_edited(
        "utgb",
        &[(
            "custom/group_vars/lb.yml",
            Edit::Replace(
                "keepalived_vip: 10.42.253.10",
                "keepalived_vip: 10.42.253.9",
            ),
        )],
    );
    expect(
        &f,
        "KM322",
        Severity::Error,
        "custom/group_vars/lb.yml",
        Some(4),
    );
}

#[test]
fn km323_missing_backend() {
    let (_d, f) = check_edited(
        "utgb",
        &[(
            "custom/group_vars/lb.yml",
            Edit::Replace(
                "  - name: master3.utgb.example\n    address: 10.42.253.13\n    port: 6443\n",
                "",
            ),
        )],
    );
    let x = expect(
        &f,
        "KM323",
        Severity::Error,
        "custom/group_vars/lb.yml",
        Some(11),
    );
    assert!(x.message.contains("master3.utgb.example"));
}

#[test]
fn km401_insecure_registry_on_old_containerd() {
    let (_d, f) = check_edited(
        "utgb",
        &[(
            &format!("{K}/group_vars/all/containerd.yml"),
            Edit::Write("---\ncontainerd_version: 1.2.13-2\ncontainerd_registries:\n  \"registry.utgb.example\": \"http://registry.utgb.example:5000\"\n"),
        )],
    );
    expect(
        &f,
        "KM401",
        Severity::Error,
        "group_vars/all/containerd.yml",
        Some(3),
    );
}

#[test]
fn km501_branch_ref_warns() {
    let (_d, f) = check_edited(
        "utgb",
        &[(
            "kubemagic.yml",
            Edit::Replace("ref: v6.0.28", "ref: stable-6.0"),
        )],
    );
    expect(&f, "KM501", Severity::Warning, "kubemagic.yml", Some(13));
    assert!(errors(&f).is_empty());
}

#[test]
fn km502_cert_manager_from_master() {
    let (_d, f) = check_edited(
        "utgb",
        &[(
            "kubemagic.yml",
            Edit::Replace("ref: v2.16.0", "ref: master"),
        )],
    );
    expect(&f, "KM502", Severity::Error, "kubemagic.yml", Some(10));
}

#[test]
fn km601_group_vars_of_a_renamed_group() {
    let (_d, f) = check_edited(
        "utgb",
        &[(
            &format!("{K}/group_vars/k8s_cluster"),
            Edit::Rename(&format!("{K}/group_vars/k8s-cluster")),
        )],
    );
    let x = expect(&f, "KM601", Severity::Error, "group_vars/k8s-cluster", None);
    assert!(x.message.contains("did you mean `k8s_cluster`"), "{x}");
}

#[test]
fn km601_group_vars_typo_warns() {
    let (_d, f) = check_edited(
        "utgb",
        &[(
            "custom/group_vars/nagio.yml",
            Edit::Write("---\nnagios_x: 1\n"),
        )],
    );
    let x = expect(
        &f,
        "KM601",
        Severity::Warning,
        "custom/group_vars/nagio.yml",
        None,
    );
    assert!(x.message.contains("did you mean `nagios`"), "{x}");
}

#[test]
fn km602_uppercase_host_name() {
    let (_d, f) = check_edited(
        "utgb",
        &[(
            &format!("{K}/hosts.yml"),
            Edit::Replace(
                "    worker3.utgb.example:\n      ansible_host",
                "    Worker3.utgb.example:\n      ansible_host",
            ),
        )],
    );
    let x = expect(&f, "KM602", Severity::Error, "hosts.yml", None);
    assert_eq!(x.host.as_deref(), Some("Worker3.utgb.example"));
}

#[test]
fn km603_host_vars_for_no_host() {
    let (_d, f) = check_edited(
        "utgb",
        &[(
            &format!("{K}/host_vars/master3.utgb.exemple.yml"),
            Edit::Write("---\netcd_quota_backend_bytes: 8589934592\n"),
        )],
    );
    let x = expect(
        &f,
        "KM603",
        Severity::Warning,
        "host_vars/master3.utgb.exemple.yml",
        None,
    );
    assert!(
        x.message.contains("did you mean `master3.utgb.example`"),
        "{x}"
    );
    assert!(errors(&f).is_empty());
}

const OS: &str = "openshift-ansible/hosts";

#[test]
fn km701_node_without_node_group() {
    let (_d, f) = check_edited(
        "okd",
        &[(
            OS,
            Edit::Replace(
                "okd-node[1:3].utgb.example openshift_node_group_name=\"node-config-compute\"",
                "okd-node[1:3].utgb.example",
            ),
        )],
    );
    expect(&f, "KM701", Severity::Error, OS, None);
}

#[test]
fn km702_ldap_url_not_ldap() {
    let (_d, f) = check_edited(
        "okd",
        &[(OS, Edit::Replace("'url': 'ldap://", "'url': 'https://"))],
    );
    let x = expect(&f, "KM702", Severity::Error, OS, Some(36));
    assert!(!x.message.contains("Bind-Pa55-utgb"));
}

#[test]
fn km703_ldap_without_ca() {
    let (_d, f) = check_edited(
        "okd",
        &[(
            OS,
            Edit::Replace(
                "openshift_master_ldap_ca_file=/etc/pki/utgb/ldap-ca.crt\n",
                "",
            ),
        )],
    );
    expect(&f, "KM703", Severity::Error, OS, Some(36));
}

#[test]
fn km704_removed_variable() {
    let (_d, f) = check_edited(
        "okd",
        &[(
            OS,
            Edit::Replace(
                "[OSEv3:vars]\n",
                "[OSEv3:vars]\nopenshift_node_labels=\"{'region': 'infra'}\"\n",
            ),
        )],
    );
    expect(&f, "KM704", Severity::Error, OS, Some(24));
}

// ------------------------------------------------------------ bad input

#[test]
fn bad_inventory_is_an_error_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&examples().join("utgb"), dir.path());
    std::fs::write(dir.path().join("ceph-ansible/hosts"), "[mons]\nceph[c:a]\n").unwrap();
    let e = Site::load(dir.path()).unwrap_err();
    assert!(
        e.file().is_some_and(|f| f.ends_with("ceph-ansible/hosts")),
        "{e}"
    );
    assert_eq!(e.line(), Some(2), "{e}");
}

#[test]
fn unknown_key_in_kubemagic_yml_is_an_error_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&examples().join("utgb"), dir.path());
    std::fs::write(
        dir.path().join("kubemagic.yml"),
        "name: x\nflavour: kubespray\n",
    )
    .unwrap();
    let e = Site::load(dir.path()).unwrap_err();
    assert_eq!(e.line(), Some(2), "{e}");
    assert!(e.to_string().contains("flavour"));
}

#[test]
fn site_without_kubemagic_yml_uses_defaults() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&examples().join("utgb"), dir.path());
    std::fs::remove_file(dir.path().join("kubemagic.yml")).unwrap();
    let site = Site::load(dir.path()).unwrap();
    assert!(site.config_file.is_none());
    assert!(
        site.inventory(InventoryKind::Kubespray).is_some(),
        "the only kubespray inventory is found"
    );
    assert!(errors(&run_all(&site)).is_empty());
}

// ------------------------------------------------------------ discovery

#[test]
fn kubespray_inventory_ini_with_old_group_names_is_found() {
    let site = Site::load(&examples().join("seed-mistakes")).unwrap();
    let k = site.inventory(InventoryKind::Kubespray).unwrap();
    assert!(k.path.ends_with("kubespray/inventory/seed/inventory.ini"));
    use kubemagic_site::site::Role;
    assert_eq!(
        k.role_hosts(Role::ControlPlane),
        vec!["master1", "master2", "master3"]
    );
    assert_eq!(k.role_hosts(Role::K8sCluster).len(), 5);
}

#[test]
fn several_kubespray_inventories_without_a_name_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&examples().join("utgb"), dir.path());
    std::fs::remove_file(dir.path().join("kubemagic.yml")).unwrap();
    copy_dir(
        &dir.path().join(K),
        &dir.path().join("kubespray/inventory/other"),
    );
    let e = Site::load(dir.path()).unwrap_err();
    assert!(
        e.to_string().contains("several kubespray inventories"),
        "{e}"
    );
}

#[test]
fn named_kubespray_inventory_that_does_not_exist_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&examples().join("utgb"), dir.path());
    let yml = dir.path().join("kubemagic.yml");
    let text = std::fs::read_to_string(&yml).unwrap();
    std::fs::write(
        &yml,
        text.replace("kubespray_inventory: utgb", "kubespray_inventory: prod"),
    )
    .unwrap();
    let e = Site::load(dir.path()).unwrap_err();
    assert!(e.to_string().contains("kubespray_inventory `prod`"), "{e}");
}

#[test]
fn yaml_syntax_error_in_kubemagic_yml_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&examples().join("okd"), dir.path());
    std::fs::write(
        dir.path().join("kubemagic.yml"),
        "name: okd\nupstreams: [unclosed\n",
    )
    .unwrap();
    let e = Site::load(dir.path()).unwrap_err();
    assert!(
        e.file().is_some_and(|f| f.ends_with("kubemagic.yml")),
        "{e}"
    );
    assert!(e.line().is_some(), "{e}");
}

#[test]
fn load_config_reads_only_kubemagic_yml() {
    let (file, config) = kubemagic_site::site::load_config(&examples().join("okd"))
        .unwrap()
        .unwrap();
    assert!(file.ends_with("kubemagic.yml"));
    assert_eq!(config.flavor, Some(kubemagic_core::Flavor::Openshift));
    let dir = tempfile::tempdir().unwrap();
    assert!(kubemagic_site::site::load_config(dir.path())
        .unwrap()
        .is_none());
}

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
    // etcd_memory_limit (line 4) is only read with etcd in a container: the
    // seed's kubespray (pinned to master: version unknown) and no
    // etcd_deployment_type give no basis for KM105, so no guess.
    assert!(f.iter().all(|x| x.code != "KM105"), "{f:#?}");
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
fn km105_memory_limit_below_quota_only_with_etcd_in_docker() {
    // etcd_deployment_type: host: kubespray ignores etcd_memory_limit.
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
    assert!(f.iter().all(|x| x.code != "KM105"), "{f:#?}");
    let (_d, f) = check_edited(
        "utgb",
        &[
            (
                &format!("{K}/group_vars/all/etcd.yml"),
                Edit::Replace(
                    "etcd_deployment_type: host\n",
                    "etcd_deployment_type: docker\netcd_memory_limit: 2048M\n",
                ),
            ),
            (
                &format!("{K}/group_vars/k8s_cluster/k8s-cluster.yml"),
                Edit::Replace("etcd_deployment_type: host", "etcd_deployment_type: docker"),
            ),
        ],
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
fn bad_value_in_kubemagic_yml_is_an_error_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&examples().join("utgb"), dir.path());
    std::fs::write(
        dir.path().join("kubemagic.yml"),
        "# site\nname: x\nflavor: nonsense\n",
    )
    .unwrap();
    let e = Site::load(dir.path()).unwrap_err();
    assert_eq!(e.line(), Some(3), "{e}");
    assert!(e.to_string().contains("nonsense"), "{e}");
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

// ------------------------------------------------------------ load balancer of the site's own role

/// utgb with its lb variables renamed as a site's own role would name them.
/// A site with its own HAProxy/Keepalived role: its own variable names, and
/// its own `custom/prep-hosts.yml` running that role.
fn own_lb_edits() -> Vec<(&'static str, Edit<'static>)> {
    vec![
        (
            "custom/group_vars/lb.yml",
            Edit::Write(
                "---\nhaproxy_vip: 10.42.253.10\nhaproxy_servers: [master1.utgb.example, master2.utgb.example, master3.utgb.example]\n",
            ),
        ),
        (
            "custom/prep-hosts.yml",
            Edit::Write("- hosts: lb\n  roles: [site_haproxy]\n"),
        ),
    ]
}

#[test]
fn clean_site_with_its_own_lb_variable_names_gives_no_error_only_an_info() {
    let (_d, f) = check_edited("utgb", &own_lb_edits());
    assert!(errors(&f).is_empty(), "{:#?}", errors(&f));
    let x = expect(&f, "KM324", Severity::Info, "custom/hosts", None);
    assert!(x.message.contains("vip_var"), "{x}");
}

#[test]
fn lb_section_names_the_site_vip_variable_and_it_is_checked() {
    let mut edits = own_lb_edits();
    edits.push((
        "kubemagic.yml",
        Edit::Replace(
            "addons:",
            "lb:\n  vip_var: haproxy_vip\n  backends_var: haproxy_servers\naddons:",
        ),
    ));
    let (_d, f) = check_edited("utgb", &edits);
    assert!(f.iter().all(|x| x.code != "KM324"), "{f:#?}");
    assert!(errors(&f).is_empty(), "{:#?}", errors(&f));
    edits[0] = (
        "custom/group_vars/lb.yml",
        Edit::Write("---\nhaproxy_vip: 10.42.253.99\nhaproxy_servers: [master1.utgb.example]\n"),
    );
    let (_d, f) = check_edited("utgb", &edits);
    let x = expect(
        &f,
        "KM322",
        Severity::Error,
        "custom/group_vars/lb.yml",
        Some(2),
    );
    assert!(x.message.contains("haproxy_vip is 10.42.253.99"), "{x}");
    let x = expect(
        &f,
        "KM323",
        Severity::Error,
        "custom/group_vars/lb.yml",
        Some(3),
    );
    assert!(x.message.contains("master2.utgb.example"), "{x}");
}

#[test]
fn the_api_endpoint_follows_the_kubespray_version() {
    let (d, _) = check_edited("utgb", &[]);
    let site = Site::load(d.path()).unwrap();
    let api = kubemagic_site::read::api::endpoint(&site).unwrap();
    assert_eq!(
        api.address().map(|a| a.value.as_str()),
        Some("10.42.253.10")
    );
    assert_eq!(api.client_port.value, 6443);
    // kubespray 2.28 reads kube_apiserver_endpoint instead.
    let (d, f) = check_edited(
        "utgb",
        &[
            ("kubemagic.yml", Edit::Replace("ref: v2.16.0", "ref: v2.28.0")),
            (
                &format!("{K}/group_vars/all/all.yml"),
                Edit::Replace(
                    "loadbalancer_apiserver_localhost: false",
                    "loadbalancer_apiserver_localhost: false\nkube_apiserver_endpoint: https://10.42.253.10:8443",
                ),
            ),
        ],
    );
    let site = Site::load(d.path()).unwrap();
    let api = kubemagic_site::read::api::endpoint(&site).unwrap();
    assert_eq!(
        api.address().map(|a| a.value.as_str()),
        Some("10.42.253.10")
    );
    assert_eq!(api.address().unwrap().variable, "kube_apiserver_endpoint");
    assert_eq!(api.client_port.value, 8443);
    // ... and still reads the older variables: no KM504 for them (v2.28.0
    // asserts nothing about loadbalancer_apiserver).
    assert!(f.iter().all(|x| x.code != "KM504"), "{f:?}");
}

// ------------------------------------------------------------ accepted findings

fn report_edited(
    base: &str,
    edits: &[(&str, Edit)],
) -> (tempfile::TempDir, kubemagic_site::CheckReport) {
    let (d, _) = check_edited(base, edits);
    let r = kubemagic_site::check_site(d.path()).unwrap_or_else(|e| panic!("{e}"));
    (d, r)
}

const BIG_QUOTA: &str = "etcd_quota_backend_bytes: 21474836480\n";

#[test]
fn ignore_in_kubemagic_yml_moves_the_finding_to_suppressed() {
    let (_d, r) = report_edited(
        "utgb",
        &[
            (&format!("{K}/group_vars/all/etcd.yml"), Edit::Replace("etcd_quota_backend_bytes: 8589934592\n", BIG_QUOTA)),
            (
                "kubemagic.yml",
                Edit::Replace(
                    "addons:",
                    "checks:\n  ignore:\n    - code: KM102\n      reason: 20 GiB on a dedicated volume, on purpose\n      groups: [etcd]\naddons:",
                ),
            ),
        ],
    );
    assert!(
        r.findings.iter().all(|f| f.code != "KM102"),
        "{:#?}",
        r.findings
    );
    let s = r
        .suppressed
        .iter()
        .find(|s| s.finding.code == "KM102")
        .expect("suppressed KM102");
    assert_eq!(s.reason, "20 GiB on a dedicated volume, on purpose");
    assert!(s.ignored_at.file.ends_with("kubemagic.yml"));
    assert_eq!(s.ignored_at.line, Some(16));
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["suppressed"][0]["code"], "KM102");
    assert_eq!(
        json["suppressed"][0]["reason"],
        "20 GiB on a dedicated volume, on purpose"
    );
    assert_eq!(json["versions"][0]["upstream"], "kubespray");
}

#[test]
fn ignore_scoped_to_other_hosts_does_not_apply_and_is_stale() {
    let (_d, r) = report_edited(
        "utgb",
        &[
            (&format!("{K}/group_vars/all/etcd.yml"), Edit::Replace("etcd_quota_backend_bytes: 8589934592\n", BIG_QUOTA)),
            (
                "kubemagic.yml",
                Edit::Replace("addons:", "checks:\n  ignore:\n    - {code: KM102, reason: only the lab, hosts: [lab1]}\naddons:"),
            ),
        ],
    );
    assert!(r.findings.iter().any(|f| f.code == "KM102"));
    let stale = r
        .findings
        .iter()
        .find(|f| f.code == "KM901")
        .expect("KM901");
    assert_eq!(stale.severity, Severity::Warning);
    assert!(stale.file.as_ref().unwrap().ends_with("kubemagic.yml"));
    assert_eq!(stale.line, Some(16));
}

#[test]
fn inline_yaml_ignore_on_the_line_above_accepts_the_finding() {
    let (_d, r) = report_edited(
        "utgb",
        &[(
            &format!("{K}/group_vars/all/etcd.yml"),
            Edit::Replace(
                "etcd_quota_backend_bytes: 8589934592\n",
                &format!("# kubemagic: ignore[KM102] dedicated 40 GiB volume\n{BIG_QUOTA}"),
            ),
        )],
    );
    assert!(
        r.findings.iter().all(|f| f.code != "KM102"),
        "{:#?}",
        r.findings
    );
    let s = &r.suppressed[0];
    assert_eq!(s.finding.code, "KM102");
    assert_eq!(s.reason, "dedicated 40 GiB volume");
    assert_eq!(s.ignored_at.line, Some(7));
    assert_eq!(s.finding.line, Some(8));
    assert!(!r.has_errors());
}

#[test]
fn inline_ini_ignore_on_the_same_line_accepts_the_finding() {
    // lb2 removed: KM321 points at the [lb] header; the comment is on it
    // (`#`: Ansible's INI reader allows only `#` after a section header)
    // or alone on the line above (`;`).
    for header in [
        "[lb] # kubemagic: ignore[KM321] one LB in the lab, no failover needed\n",
        "; kubemagic: ignore[KM321] one LB in the lab, no failover needed\n[lb]\n",
    ] {
        let (_d, r) = report_edited(
            "utgb",
            &[(
                "custom/hosts",
                Edit::Replace(
                    "[lb]\nlb1.utgb.example ansible_host=10.42.253.5\nlb2.utgb.example ansible_host=10.42.253.6\n",
                    &format!("{header}lb1.utgb.example ansible_host=10.42.253.5\n"),
                ),
            )],
        );
        assert!(
            r.findings.iter().all(|f| f.code != "KM321"),
            "{header}: {:#?}",
            r.findings
        );
        assert_eq!(r.suppressed.len(), 1, "{header}");
        assert_eq!(r.suppressed[0].finding.code, "KM321");
        assert_eq!(
            r.suppressed[0].reason,
            "one LB in the lab, no failover needed"
        );
        assert!(!r.has_errors());
    }
}

#[test]
fn stale_inline_ignore_is_a_warning_at_the_comment() {
    let (_d, r) = report_edited(
        "utgb",
        &[(
            &format!("{K}/group_vars/all/etcd.yml"),
            Edit::Replace(
                "etcd_deployment_type: host\n",
                "etcd_deployment_type: host\n# kubemagic: ignore[KM101] was small once\n",
            ),
        )],
    );
    let x = r
        .findings
        .iter()
        .find(|f| f.code == "KM901")
        .expect("KM901");
    assert!(x
        .file
        .as_ref()
        .unwrap()
        .ends_with("group_vars/all/etcd.yml"));
    assert_eq!(x.line, Some(3));
    assert_eq!(x.severity, Severity::Warning);
    assert!(r.suppressed.is_empty());
}

#[test]
fn ignore_without_a_reason_is_an_input_error_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&examples().join("utgb"), dir.path());
    let gv = dir.path().join(K).join("group_vars/all/etcd.yml");
    let text = std::fs::read_to_string(&gv).unwrap();
    std::fs::write(&gv, format!("{text}# kubemagic: ignore[KM102]\n")).unwrap();
    let e = Site::load(dir.path()).unwrap_err();
    assert!(
        e.file()
            .is_some_and(|f| f.ends_with("group_vars/all/etcd.yml")),
        "{e}"
    );
    assert!(e.line().is_some(), "{e}");
    assert!(e.to_string().contains("needs a reason"), "{e}");
    // In kubemagic.yml too.
    std::fs::write(&gv, text).unwrap();
    let yml = dir.path().join("kubemagic.yml");
    let t = std::fs::read_to_string(&yml).unwrap();
    std::fs::write(
        &yml,
        t.replace("addons:", "checks:\n  ignore:\n    - code: KM102\naddons:"),
    )
    .unwrap();
    let e = Site::load(dir.path()).unwrap_err();
    assert!(
        e.file().is_some_and(|f| f.ends_with("kubemagic.yml")),
        "{e}"
    );
    assert_eq!(e.line(), Some(16), "{e}");
    assert!(e.to_string().contains("no reason"), "{e}");
}

// ------------------------------------------------------------ versions

#[test]
fn versions_come_from_kubemagic_yml_then_the_checkout() {
    let site = Site::load(&examples().join("utgb")).unwrap();
    assert_eq!(
        site.kubespray_version(),
        Some(kubemagic_site::Version::new(2, 16, 0))
    );
    let (d, _) = check_edited(
        "utgb",
        &[
            (
                "kubemagic.yml",
                Edit::Replace("ref: v2.16.0", "ref: master"),
            ),
            (
                "kubespray/galaxy.yml",
                Edit::Write("namespace: kubernetes_sigs\nname: kubespray\nversion: 2.26.0\n"),
            ),
        ],
    );
    let site = Site::load(d.path()).unwrap();
    assert_eq!(
        site.kubespray_version(),
        Some(kubemagic_site::Version::new(2, 26, 0))
    );
    let r = kubemagic_site::report(&site);
    assert!(r.findings.iter().all(|f| f.code != "KM503"));
    std::fs::remove_file(d.path().join("kubespray/galaxy.yml")).unwrap();
    let site = Site::load(d.path()).unwrap();
    assert_eq!(site.kubespray_version(), None);
    let r = kubemagic_site::report(&site);
    let unknown: Vec<_> = r.findings.iter().filter(|f| f.code == "KM503").collect();
    assert_eq!(unknown.len(), 1, "said once: {unknown:#?}");
    assert!(unknown[0].message.contains("KM504"));
}

// ------------------------------------------------------------ upstream samples

/// The upstream sample inventories (read-only test data). Absent: the
/// test says why and fails, unless KUBEMAGIC_SKIP_SAMPLES is set.
fn upstream_samples() -> Option<PathBuf> {
    let dir = std::env::var_os("KUBEMAGIC_UPSTREAM_SAMPLES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/work/shared/upstream-samples"));
    if dir.is_dir() {
        return Some(dir);
    }
    let why = format!(
        "upstream samples not found at {} (set KUBEMAGIC_UPSTREAM_SAMPLES)",
        dir.display()
    );
    if std::env::var_os("KUBEMAGIC_SKIP_SAMPLES").is_some() {
        eprintln!("SKIPPED: {why}");
        return None;
    }
    panic!("{why}; set KUBEMAGIC_SKIP_SAMPLES=1 to skip");
}

/// A site made of kubespray's `inventory/sample` group_vars at `tag`, three
/// nodes in that release's group names, pinned to `pin`.
fn kubespray_sample_site(samples: &Path, tag: &str, pin: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("kubespray/inventory/site");
    copy_dir(
        &samples.join(format!("kubespray-{tag}/inventory/sample/group_vars")),
        &inv.join("group_vars"),
    );
    let old = tag.starts_with("v2.13");
    let (cp, node, cluster, rr) = if old {
        ("kube-master", "kube-node", "k8s-cluster", "calico-rr")
    } else {
        (
            "kube_control_plane",
            "kube_node",
            "k8s_cluster",
            "calico_rr",
        )
    };
    std::fs::write(
        inv.join("inventory.ini"),
        format!(
            "[all]\nnode1 ansible_host=127.0.0.11 ip=127.0.0.11\nnode2 ansible_host=127.0.0.12 ip=127.0.0.12\nnode3 ansible_host=127.0.0.13 ip=127.0.0.13\n\n[{cp}]\nnode1\nnode2\nnode3\n\n[etcd]\nnode1\nnode2\nnode3\n\n[{node}]\nnode1\nnode2\nnode3\n\n[{rr}]\n\n[{cluster}:children]\n{cp}\n{node}\n{rr}\n"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("kubemagic.yml"),
        format!("name: site\nupstreams:\n  kubespray:\n    url: https://github.com/kubernetes-sigs/kubespray.git\n    ref: {pin}\n"),
    )
    .unwrap();
    dir
}

const KUBESPRAY_SAMPLES: [&str; 3] = ["v2.13.2", "v2.16.0", "v2.26.0"];

#[test]
fn every_kubespray_sample_gives_no_error() {
    let Some(samples) = upstream_samples() else {
        return;
    };
    for tag in KUBESPRAY_SAMPLES {
        let d = kubespray_sample_site(&samples, tag, tag);
        let r = kubemagic_site::check_site(d.path()).unwrap_or_else(|e| panic!("{tag}: {e}"));
        assert!(
            errors(&r.findings).is_empty(),
            "{tag}: {:#?}",
            errors(&r.findings)
        );
        assert_eq!(
            r.versions.0[0].version.map(|v| v.to_string()),
            Some(tag[1..].to_string())
        );
    }
}

/// Applies `text` (appended to the sample's k8s-cluster.yml) and checks.
fn kubespray_sample_with(samples: &Path, tag: &str, pin: &str, text: &str) -> Vec<Finding> {
    let d = kubespray_sample_site(samples, tag, pin);
    let dir = if tag.starts_with("v2.13") {
        "k8s-cluster"
    } else {
        "k8s_cluster"
    };
    let f = d.path().join(format!(
        "kubespray/inventory/site/group_vars/{dir}/k8s-cluster.yml"
    ));
    let mut body = std::fs::read_to_string(&f).unwrap();
    body.push_str(text);
    std::fs::write(&f, body).unwrap();
    kubemagic_site::check_site(d.path())
        .unwrap_or_else(|e| panic!("{tag}: {e}"))
        .findings
}

fn has(f: &[Finding], code: &str) -> bool {
    f.iter().any(|x| x.code == code)
}

#[test]
fn kubespray_asserts_fail_and_pass_on_every_sample_version() {
    let Some(samples) = upstream_samples() else {
        return;
    };
    let cases: [(&str, &str, &str); 8] = [
        (
            "KM801",
            "kube_network_plugin: calicoo\n",
            "kube_network_plugin: flannel\n",
        ),
        (
            "KM802",
            "kube_proxy_mode: userspace\n",
            "kube_proxy_mode: iptables\n",
        ),
        ("KM803", "dns_mode: kubedns\n", "dns_mode: coredns\n"),
        // (containerd would need etcd_deployment_type: host, KM805: the
        // 2.13 and 2.16 samples run etcd in docker.)
        (
            "KM804",
            "container_manager: rkt\n",
            "container_manager: docker\n",
        ),
        (
            "KM806",
            "download_run_once: \"true\"\n",
            "download_run_once: true\n",
        ),
        (
            "KM807",
            "kube_pods_subnet: 10.233.0.0/16\n",
            "kube_pods_subnet: 10.234.0.0/16\n",
        ),
        (
            "KM808",
            "kube_network_plugin: flannel\nkube_pods_subnet: 10.234.0.0/25\n",
            "kube_network_plugin: flannel\nkube_pods_subnet: 10.234.0.0/22\n",
        ),
        (
            "KM809",
            "kube_network_plugin: flannel\nkubelet_max_pods: 300\n",
            "kube_network_plugin: flannel\nkubelet_max_pods: 250\n",
        ),
    ];
    for tag in KUBESPRAY_SAMPLES {
        for (code, bad, good) in cases {
            let f = kubespray_sample_with(&samples, tag, tag, bad);
            assert!(has(&f, code), "{tag} {code} {bad:?}: {f:#?}");
            let f = kubespray_sample_with(&samples, tag, tag, good);
            assert!(
                !has(&f, code) && errors(&f).is_empty(),
                "{tag} {code} {good:?}: {:#?}",
                errors(&f)
            );
        }
    }
}

#[test]
fn version_bound_choices_follow_the_pinned_release() {
    let Some(samples) = upstream_samples() else {
        return;
    };
    // weave: 2.16 and 2.26 accept it, 2.28 no longer does.
    for tag in ["v2.16.0", "v2.26.0"] {
        assert!(
            !has(
                &kubespray_sample_with(&samples, tag, tag, "kube_network_plugin: weave\n"),
                "KM801"
            ),
            "{tag}"
        );
    }
    assert!(has(
        &kubespray_sample_with(
            &samples,
            "v2.26.0",
            "v2.28.0",
            "kube_network_plugin: weave\n"
        ),
        "KM801"
    ));
    // nftables: 2.26 yes, 2.13 and 2.16 no.
    assert!(!has(
        &kubespray_sample_with(
            &samples,
            "v2.26.0",
            "v2.26.0",
            "kube_proxy_mode: nftables\n"
        ),
        "KM802"
    ));
    for tag in ["v2.13.2", "v2.16.0"] {
        assert!(
            has(
                &kubespray_sample_with(&samples, tag, tag, "kube_proxy_mode: nftables\n"),
                "KM802"
            ),
            "{tag}"
        );
    }
    // Registries: each release's own shape passes, another's is KM505.
    let regs = [
        ("v2.13.2", "containerd_config:\n  registries:\n    \"docker.io\": \"https://mirror.example\"\n", "containerd_registries:\n  \"docker.io\": \"https://mirror.example\"\n"),
        ("v2.16.0", "containerd_registries:\n  \"docker.io\": \"https://mirror.example\"\n", "containerd_registries_mirrors:\n  - prefix: docker.io\n    mirrors:\n      - host: https://mirror.example\n"),
        ("v2.26.0", "containerd_registries_mirrors:\n  - prefix: docker.io\n    mirrors:\n      - host: https://mirror.example\n", "containerd_registries:\n  \"docker.io\": \"https://mirror.example\"\n"),
    ];
    for (tag, own, other) in regs {
        assert!(
            !has(&kubespray_sample_with(&samples, tag, tag, own), "KM505"),
            "{tag} own shape"
        );
        assert!(
            has(&kubespray_sample_with(&samples, tag, tag, other), "KM505"),
            "{tag} other shape"
        );
    }
    // rbd provisioner: read by 2.26, removed (ignored) by 2.28.
    let rbd = "rbd_provisioner_enabled: false\n";
    assert!(!has(
        &kubespray_sample_with(&samples, "v2.26.0", "v2.26.0", rbd),
        "KM505"
    ));
    assert!(has(
        &kubespray_sample_with(&samples, "v2.26.0", "v2.28.0", rbd),
        "KM505"
    ));
}

#[test]
fn etcd_group_falls_back_to_the_control_plane() {
    let Some(samples) = upstream_samples() else {
        return;
    };
    for tag in ["v2.16.0", "v2.26.0"] {
        let d = kubespray_sample_site(&samples, tag, tag);
        let ini = d.path().join("kubespray/inventory/site/inventory.ini");
        let text = std::fs::read_to_string(&ini).unwrap();
        // No etcd group, two control plane hosts, etcd under kubeadm.
        let text = text.replace("[etcd]\nnode1\nnode2\nnode3\n", "").replace(
            "[kube_control_plane]\nnode1\nnode2\nnode3\n",
            "[kube_control_plane]\nnode1\nnode2\n",
        );
        std::fs::write(&ini, text).unwrap();
        let gv = d
            .path()
            .join("kubespray/inventory/site/group_vars/k8s_cluster/k8s-cluster.yml");
        let mut body = std::fs::read_to_string(&gv).unwrap();
        body.push_str("etcd_deployment_type: kubeadm\n");
        std::fs::write(&gv, body).unwrap();
        let f = kubemagic_site::check_site(d.path()).unwrap().findings;
        assert!(
            has(&f, "KM111"),
            "{tag}: the two control plane hosts are the etcd members: {f:#?}"
        );
        assert!(!has(&f, "KM114"), "{tag}");
    }
    // 2.13: the etcd group is required.
    let d = kubespray_sample_site(&samples, "v2.13.2", "v2.13.2");
    let ini = d.path().join("kubespray/inventory/site/inventory.ini");
    let text = std::fs::read_to_string(&ini)
        .unwrap()
        .replace("[etcd]\nnode1\nnode2\nnode3\n", "");
    std::fs::write(&ini, text).unwrap();
    assert!(has(
        &kubemagic_site::check_site(d.path()).unwrap().findings,
        "KM114"
    ));
}

/// openshift-ansible 3.11's `inventory/hosts*.example`, each as the site's
/// openshift-ansible/hosts.
#[test]
fn every_openshift_sample_gives_no_error_except_its_own_gaps() {
    let Some(samples) = upstream_samples() else {
        return;
    };
    let dir = samples.join("openshift-ansible-3.11/inventory");
    let mut seen = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("openshift-ansible")).unwrap();
        std::fs::copy(&p, d.path().join("openshift-ansible/hosts")).unwrap();
        std::fs::write(
            d.path().join("kubemagic.yml"),
            "name: okd\nflavor: openshift\nupstreams:\n  openshift-ansible:\n    url: https://github.com/openshift/openshift-ansible.git\n    ref: openshift-ansible-3.11.272-1\n",
        )
        .unwrap();
        let r = match kubemagic_site::check_site(d.path()) {
            Ok(r) => r,
            // hosts.grafana.example is a fragment naming [nodes] in
            // [OSEv3:children] without defining it: Ansible refuses it
            // too ("includes undefined group").
            Err(e) if name == "hosts.grafana.example" => {
                assert!(e.to_string().contains("undefined group 'nodes'"), "{e}");
                seen += 1;
                continue;
            }
            Err(e) => panic!("{name}: {e}"),
        };
        let codes: std::collections::BTreeSet<&str> = r
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .map(|f| f.code.as_str())
            .collect();
        let expected: &[&str] = match name.as_str() {
            // Still written for 3.9 (openshift_schedulable, no
            // openshift_node_group_name on the nodes): openshift-ansible
            // 3.11's node_group_checks refuses them too, a mistake of the
            // samples, not a false alarm.
            "hosts.glusterfs.external.example"
            | "hosts.glusterfs.mixed.example"
            | "hosts.glusterfs.native.example" => &["KM701"],
            _ => &[],
        };
        let expected: std::collections::BTreeSet<&str> = expected.iter().copied().collect();
        assert_eq!(codes, expected, "{name}: {:#?}", errors(&r.findings));
        seen += 1;
    }
    assert!(seen >= 9, "only {seen} samples");
}

/// ceph-ansible's `group_vars/*.yml.sample` at stable-4.0 and stable-6.0,
/// with a three-host inventory. The samples leave ceph_origin to the user
/// (`dummy`): with it set as all.yml.sample documents, no error.
#[test]
fn every_ceph_ansible_sample_gives_no_error() {
    let Some(samples) = upstream_samples() else {
        return;
    };
    // The dashboard's monitoring group: [grafana-server] up to 5.0,
    // [monitoring] since 6.0 (roles/ceph-validate/tasks/main.yml).
    for (branch, tag, release, monitoring) in [
        ("stable-4.0", "v4.0.70", "nautilus", "grafana-server"),
        ("stable-6.0", "v6.0.28", "pacific", "monitoring"),
    ] {
        let d = tempfile::tempdir().unwrap();
        let gv = d.path().join("ceph-ansible/group_vars");
        std::fs::create_dir_all(&gv).unwrap();
        for e in
            std::fs::read_dir(samples.join(format!("ceph-ansible-{branch}/group_vars"))).unwrap()
        {
            let p = e.unwrap().path();
            let n = p
                .file_name()
                .unwrap()
                .to_string_lossy()
                .replace(".yml.sample", ".yml");
            // rhcs.yml.sample is the Red Hat variant of all.yml, not a group.
            if n == "rhcs.yml" {
                continue;
            }
            std::fs::copy(&p, gv.join(n)).unwrap();
        }
        let all = gv.join("all.yml");
        let mut body = std::fs::read_to_string(&all).unwrap();
        body.push_str(&format!(
            "ceph_origin: repository\nceph_repository: community\nceph_stable_release: {release}\n"
        ));
        std::fs::write(&all, body).unwrap();
        std::fs::write(
            d.path().join("ceph-ansible/hosts"),
            format!("[mons]\nceph1 monitor_address=127.0.0.21\nceph2 monitor_address=127.0.0.22\nceph3 monitor_address=127.0.0.23\n\n[mgrs:children]\nmons\n\n[osds]\nceph1 devices='[\"/dev/sdb\"]'\nceph2 devices='[\"/dev/sdb\"]'\nceph3 devices='[\"/dev/sdb\"]'\n\n[{monitoring}]\nceph1\n"),
        )
        .unwrap();
        std::fs::write(
            d.path().join("kubemagic.yml"),
            format!("name: ceph\nupstreams:\n  ceph-ansible:\n    url: https://github.com/ceph/ceph-ansible.git\n    ref: {tag}\n"),
        )
        .unwrap();
        let r = kubemagic_site::check_site(d.path()).unwrap_or_else(|e| panic!("{branch}: {e}"));
        assert!(
            errors(&r.findings).is_empty(),
            "{branch}: {:#?}",
            errors(&r.findings)
        );
        // The other release of the community repository is refused.
        let other = if release == "pacific" {
            "nautilus"
        } else {
            "pacific"
        };
        let body = std::fs::read_to_string(&all).unwrap().replace(
            &format!("ceph_stable_release: {release}"),
            &format!("ceph_stable_release: {other}"),
        );
        std::fs::write(&all, body).unwrap();
        let f = kubemagic_site::check_site(d.path()).unwrap().findings;
        assert!(has(&f, "KM245"), "{branch}: {f:#?}");
        // Without a monitoring host, the dashboard (on by default) fails.
        let hosts = d.path().join("ceph-ansible/hosts");
        let t = std::fs::read_to_string(&hosts)
            .unwrap()
            .replace(&format!("[{monitoring}]\nceph1\n"), "");
        std::fs::write(&hosts, t).unwrap();
        assert!(
            has(
                &kubemagic_site::check_site(d.path()).unwrap().findings,
                "KM244"
            ),
            "{branch}"
        );
    }
}

#[test]
fn engine_warnings_become_km604_at_their_line() {
    let hosts = std::fs::read_to_string(examples().join("utgb/custom/hosts")).unwrap();
    let edited = format!("{hosts}[extra]\nh[5:1]\n");
    let line = edited.lines().count() as u32;
    let (_d, f) = check_edited("utgb", &[("custom/hosts", Edit::Write(&edited))]);
    let w: Vec<&Finding> = f.iter().filter(|f| f.code == "KM604").collect();
    assert_eq!(w.len(), 1, "{f:?}");
    assert!(w[0]
        .file
        .as_ref()
        .is_some_and(|p| p.ends_with("custom/hosts")));
    assert_eq!(w[0].line, Some(line));
    assert!(w[0].message.contains("reversed"), "{}", w[0].message);
}

/// Uncomments the registry example a kubespray sample's own
/// `group_vars/all/containerd.yml` carries (`# containerd_config:` in 2.13,
/// `# containerd_registries:` in 2.16, `# containerd_registries_mirrors:` in
/// 2.26): the block starting at `# VAR:` and the indented lines after it.
fn uncomment_registry_example(site: &Path, var: &str) {
    let f = site.join("kubespray/inventory/site/group_vars/all/containerd.yml");
    let text = std::fs::read_to_string(&f).unwrap();
    let mut out = String::new();
    let mut inside = false;
    for line in text.lines() {
        if line.trim_end() == format!("# {var}:") {
            inside = true;
            out.push_str(&line[2..]);
        } else if inside && line.starts_with("#  ") {
            out.push_str(&line[1..]);
        } else {
            inside = false;
            out.push_str(line);
        }
        out.push('\n');
    }
    assert!(
        out.contains(&format!("\n{var}:")),
        "{var} not in {}",
        f.display()
    );
    std::fs::write(&f, out).unwrap();
}

#[test]
fn each_kubespray_samples_own_registry_example_passes_on_its_release_and_is_ignored_by_the_others()
{
    let Some(samples) = upstream_samples() else {
        return;
    };
    let examples = [
        ("v2.13.2", "containerd_config"),
        ("v2.16.0", "containerd_registries"),
        ("v2.26.0", "containerd_registries_mirrors"),
    ];
    for (tag, var) in examples {
        for (pin, _) in examples {
            let d = kubespray_sample_site(&samples, tag, pin);
            uncomment_registry_example(d.path(), var);
            let r = kubemagic_site::check_site(d.path()).unwrap_or_else(|e| panic!("{tag}: {e}"));
            let registry: Vec<&Finding> = r
                .findings
                .iter()
                .filter(|f| f.code.starts_with("KM40") || f.code == "KM505")
                .collect();
            if pin == tag {
                assert!(
                    registry.is_empty(),
                    "{tag}'s example on {pin}: {registry:#?}"
                );
            } else {
                assert_eq!(
                    registry.iter().map(|f| f.code.as_str()).collect::<Vec<_>>(),
                    vec!["KM505"],
                    "{tag}'s example on {pin}: {registry:#?}"
                );
                assert_eq!(registry[0].variable.as_deref(), Some(var), "{pin}");
            }
        }
    }
}

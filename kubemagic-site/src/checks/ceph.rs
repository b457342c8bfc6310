//! Ceph: the ceph-ansible inventory itself, and how Kubernetes reaches it.
//!
//! In the seed, `prep-hosts` prepares an RBD pool and Kubernetes' Ceph
//! credentials, and kubespray deploys the external rbd/cephfs provisioners:
//! the monitor list, the pool and the image features written in kubespray's
//! group_vars must match what ceph-ansible actually deployed.

use super::common::{at_var, finding, is_template, scalar, string_list};
use crate::read::address::{node_address, MonAddress};
use crate::read::{ceph::monitors, ceph_pools};
use crate::site::{truthy, InventoryKind, Role, Site, SiteInventory};
use kubemagic_core::{Finding, Origin};
use kubemagic_inventory::Value;
use std::net::{IpAddr, SocketAddr};

/// The Ceph family (KM2xx). On the ceph-ansible inventory: an odd number of
/// monitors, each with a monitor address (KM201, KM202), OSDs with devices
/// (KM203), and what ceph-ansible's `ceph-validate` role would refuse (KM241
/// to KM245). On the kubespray inventory, when the site also has a Ceph
/// inventory: the external rbd/cephfs provisioners must name the monitors,
/// pool and image features ceph-ansible actually deployed (KM211 to KM213).
pub fn check(site: &Site) -> Vec<Finding> {
    let mut out = Vec::new();
    let ceph = site.inventory(InventoryKind::Ceph);
    if let Some(c) = ceph {
        mons(c, &mut out);
        osds(c, &mut out);
        validate(site, c, &mut out);
    }
    if let Some(k) = site.inventory(InventoryKind::Kubespray) {
        provisioners(k, ceph, &mut out);
    }
    out
}

fn group_origin(inv: &SiteInventory, g: &str) -> Origin {
    inv.groups
        .get(g)
        .and_then(|g| g.origin.clone())
        .unwrap_or_else(|| Origin::new(inv.path.clone(), None))
}

fn mons(inv: &SiteInventory, out: &mut Vec<Finding>) {
    let mons = inv.group_hosts("mons");
    if mons.len().is_multiple_of(2) && !mons.is_empty() {
        out.push(
            finding(
                "KM201",
                format!(
                    "{} Ceph monitors ({}): monitors need a majority, an even count adds a failure point without adding tolerance",
                    mons.len(),
                    mons.join(", ")
                ),
            )
            .group("mons")
            .at(Some(&group_origin(inv, "mons"))),
        );
    }
    // ceph-ansible's placeholders (`monitor_address: x.x.x.x`, ...) mean
    // unset: the one reading, `read::address::mon_address`, says so.
    for (h, address) in monitors(inv) {
        let has = !matches!(address, MonAddress::Unset);
        if !has {
            let origin = inv
                .var(h, "monitor_address")
                .and_then(|v| v.origin.clone())
                .unwrap_or_else(|| group_origin(inv, "mons"));
            out.push(
                finding(
                    "KM202",
                    format!("Ceph monitor {h} has no monitor_address, monitor_address_block or monitor_interface: ceph-ansible cannot tell which address the monitor binds"),
                )
                .host(h)
                .group("mons")
                .at(Some(&origin)),
            );
        }
    }
}

fn osds(inv: &SiteInventory, out: &mut Vec<Finding>) {
    for h in inv.group_hosts("osds") {
        let non_empty = |name: &str| {
            inv.var(h, name).is_some_and(|v| match &v.value {
                Value::Array(a) => !a.is_empty(),
                Value::Object(m) => !m.is_empty(),
                Value::String(s) => !s.trim().is_empty() && s.trim() != "[]",
                _ => false,
            })
        };
        let auto = inv
            .var(h, "osd_auto_discovery")
            .is_some_and(|v| truthy(&v.value));
        if !(non_empty("devices") || non_empty("lvm_volumes") || auto) {
            let origin = inv
                .var(h, "devices")
                .or_else(|| inv.var(h, "lvm_volumes"))
                .and_then(|v| v.origin.clone())
                .unwrap_or_else(|| group_origin(inv, "osds"));
            out.push(
                finding("KM203", format!("Ceph OSD host {h} has neither devices nor lvm_volumes (nor osd_auto_discovery): no OSD would be created"))
                    .host(h)
                    .group("osds")
                    .at(Some(&origin)),
            );
        }
    }
}

/// The Ceph releases each ceph-ansible stable branch accepts from the
/// community repository (`ceph_stable_release not in [...]`:
/// roles/ceph-validate/tasks/main.yml on stable-3.2 and stable-4.0 from
/// v3.2.52 and v4.0.20, check_repository.yml since stable-5.0).
const STABLE_RELEASES: [((u32, u32), &[&str]); 6] = [
    ((3, 2), &["luminous", "mimic"]),
    ((4, 0), &["nautilus", "octopus"]),
    ((5, 0), &["octopus"]),
    ((6, 0), &["pacific"]),
    ((7, 0), &["quincy"]),
    ((8, 0), &["reef"]),
];

/// ceph-ansible's `roles/ceph-validate` asserts that depend on the
/// inventory alone: install origin and repository, object store, LVM
/// volumes, the dashboard's grafana-server host, the release of the
/// community repository. Cluster-wide variables are read on the first host
/// that sets them (ceph-ansible reads them from group_vars/all).
fn validate(site: &Site, inv: &SiteInventory, out: &mut Vec<Finding>) {
    let hosts: Vec<&str> = inv.hosts.keys().map(String::as_str).collect();
    let Some(&first) = hosts.first() else { return };
    let get = |name: &str| inv.first_var(&hosts, name).map(|(_, v)| v);
    let text = |name: &str| {
        get(name)
            .and_then(|v| scalar(&v.value))
            .map(|s| s.trim().to_string())
    };
    let file_origin = Origin::new(inv.path.clone(), None);
    let version = site.versions.get(crate::versions::Upstream::CephAnsible);
    let containerized = get("containerized_deployment").is_some_and(|v| truthy(&v.value));
    if !containerized {
        let origin = text("ceph_origin");
        let ok = matches!(origin.as_deref(), Some("repository" | "distro" | "local"));
        if !ok && !get("ceph_origin").is_some_and(|v| is_template(&v.value)) {
            let f = finding(
                "KM241",
                format!(
                    "ceph_origin is {}: ceph-ansible stops (`ceph_origin must be either 'repository', 'distro' or 'local'`) unless containerized_deployment is true",
                    origin.map(|o| format!("`{o}`")).unwrap_or_else(|| "not set".into())
                ),
            )
            .variable("ceph_origin");
            out.push(match get("ceph_origin") {
                Some(v) => f.at(v.origin.as_ref()),
                None => f.at(Some(&file_origin)),
            });
        } else if origin.as_deref() == Some("repository") {
            let repo = text("ceph_repository");
            if !matches!(
                repo.as_deref(),
                Some("community" | "rhcs" | "dev" | "custom" | "uca" | "obs")
            ) {
                let f = finding(
                    "KM241",
                    format!(
                        "ceph_origin is repository but ceph_repository is {}: ceph-ansible stops (`ceph_repository must be either 'community', 'rhcs', 'dev', 'custom' or 'uca'`)",
                        repo.map(|o| format!("`{o}`")).unwrap_or_else(|| "not set".into())
                    ),
                )
                .variable("ceph_repository");
                out.push(match get("ceph_repository") {
                    Some(v) => f.at(v.origin.as_ref()),
                    None => f.at(get("ceph_origin").and_then(|v| v.origin.as_ref())),
                });
            } else if repo.as_deref() == Some("community")
                && super::registry::applies(site, "KM245")
            {
                let accepted = version.and_then(|v| {
                    STABLE_RELEASES
                        .iter()
                        .find(|((ma, mi), _)| (v.major, v.minor) == (*ma, *mi))
                        .map(|(_, r)| *r)
                });
                let release = text("ceph_stable_release");
                if let (Some(accepted), Some(v)) = (accepted, version) {
                    if !release.as_deref().is_some_and(|r| accepted.contains(&r))
                        && !get("ceph_stable_release").is_some_and(|v| is_template(&v.value))
                    {
                        let expected = accepted
                            .iter()
                            .map(|r| format!("'{r}'"))
                            .collect::<Vec<_>>()
                            .join(" or ");
                        let f = finding(
                            "KM245",
                            format!(
                                "ceph_stable_release is {} but ceph-ansible {v} installs {} from the community repository: it stops (`ceph_stable_release must be {expected}`)",
                                release.map(|r| format!("`{r}`")).unwrap_or_else(|| "not set".into()),
                                accepted.join(" or ")
                            ),
                        )
                        .variable("ceph_stable_release");
                        out.push(match get("ceph_stable_release") {
                            Some(v) => f.at(v.origin.as_ref()),
                            None => f.at(get("ceph_repository").and_then(|v| v.origin.as_ref())),
                        });
                    }
                }
            }
        }
    }
    let objectstore = text("osd_objectstore").unwrap_or_else(|| "bluestore".into());
    if !matches!(objectstore.as_str(), "bluestore" | "filestore")
        && !get("osd_objectstore").is_some_and(|v| is_template(&v.value))
    {
        if let Some(v) = get("osd_objectstore") {
            out.push(at_var(
                finding("KM242", format!("osd_objectstore is `{objectstore}`: ceph-ansible accepts only bluestore or filestore")),
                "osd_objectstore",
                v,
            ));
        }
    }
    lvm_volumes(inv, out);
    // The dashboard: on by default since ceph-ansible 4.0.
    let dashboard = match get("dashboard_enabled") {
        Some(v) if is_template(&v.value) => None,
        Some(v) => Some((truthy(&v.value), v.origin.clone())),
        None => version.filter(|v| v.major >= 4).map(|_| (true, None)),
    };
    if let Some((true, origin)) = dashboard {
        // The group the release requires (either, with the release unknown:
        // no finding while one has a host).
        let groups = crate::read::tls::ceph_monitoring_groups(inv, &hosts, version);
        let group = groups
            .first()
            .map(|(g, _)| g.clone())
            .unwrap_or_else(|| "grafana-server".into());
        if groups.iter().all(|(g, _)| inv.group_hosts(g).is_empty()) {
            let how = if origin.is_some() {
                "dashboard_enabled is true"
            } else {
                "the dashboard is on by default"
            };
            // ceph-validate's own words, per release.
            let says = |var: &str| match var {
                "monitoring_group_name" => {
                    "`you must add a monitoring group and add at least one node` (since 6.0)"
                }
                _ => "`you must add a [grafana-server] group and add at least one node`",
            };
            let which = groups
                .iter()
                .map(|(g, _)| format!("[{g}]"))
                .collect::<Vec<_>>()
                .join(" or ");
            let stops = groups
                .iter()
                .map(|(_, var)| says(var))
                .collect::<Vec<_>>()
                .join(", or ");
            out.push(
                finding(
                    "KM244",
                    format!("{how} but the {which} group has no host: ceph-ansible stops ({stops}); add one, or set dashboard_enabled: false"),
                )
                .variable("dashboard_enabled")
                .group(group)
                .at(Some(origin.as_ref().unwrap_or(&file_origin))),
            );
        }
    }
    let _ = first;
}

/// KM243: ceph-validate's `lvm_volumes` keys (data, and journal with
/// filestore), once per definition.
fn lvm_volumes(inv: &SiteInventory, out: &mut Vec<Finding>) {
    let mut done = super::common::Once::default();
    for h in inv.group_hosts("osds") {
        if inv
            .var(h, "osd_auto_discovery")
            .is_some_and(|v| truthy(&v.value))
        {
            continue;
        }
        let Some(var) = inv.var(h, "lvm_volumes") else {
            continue;
        };
        let Value::Array(vols) = &var.value else {
            continue;
        };
        let store = inv
            .var(h, "osd_objectstore")
            .and_then(|v| scalar(&v.value))
            .unwrap_or_else(|| "bluestore".into());
        let need: &[&str] = if store.trim() == "filestore" {
            &["data", "journal"]
        } else {
            &["data"]
        };
        let bad = vols
            .iter()
            .position(|e| need.iter().any(|k| e.get(*k).is_none()));
        if let Some(i) = bad {
            if done.first(&var.origin, "lvm_volumes") {
                out.push(at_var(
                    finding(
                        "KM243",
                        format!("lvm_volumes entry {} has no {}: ceph-ansible stops (`{} key(s) must be defined in lvm_volumes`) with osd_objectstore {store}", i + 1, need.join(" and "), need.join(" and ")),
                    )
                    .host(h.clone()),
                    "lvm_volumes",
                    var,
                ));
            }
        }
    }
}

/// The v1 address of each mon, as ceph-ansible would bind it: an explicit
/// `monitor_address`, else the host's own address (which must then sit in
/// `monitor_address_block` when that is set).
fn mon_addresses(ceph: &SiteInventory) -> Vec<(String, Option<IpAddr>)> {
    monitors(ceph)
        .into_iter()
        .map(|(h, m)| (h.to_string(), m.ip().or_else(|| node_address(ceph, h))))
        .collect()
}

/// One entry of a provisioner monitor list: `ip`, `ip:port`, `[ipv6]:port`,
/// with an optional `v1:`/`v2:` prefix.
fn parse_monitor(entry: &str) -> Result<(IpAddr, u16, bool), String> {
    let e = entry.trim().trim_start_matches('[').trim_end_matches(']');
    let (v2, e) = if let Some(r) = e.strip_prefix("v2:") {
        (true, r)
    } else {
        (false, e.strip_prefix("v1:").unwrap_or(e))
    };
    if let Ok(sa) = e.parse::<SocketAddr>() {
        return Ok((sa.ip(), sa.port(), v2));
    }
    if let Ok(ip) = e.trim_matches(|c| c == '[' || c == ']').parse::<IpAddr>() {
        return Ok((ip, 6789, v2));
    }
    if let Some((host, port)) = e.rsplit_once(':') {
        if let (Ok(ip), Ok(p)) = (host.parse::<IpAddr>(), port.parse::<u16>()) {
            return Ok((ip, p, v2));
        }
    }
    Err(format!("`{entry}` is not an address"))
}

fn provisioners(k: &SiteInventory, ceph: Option<&SiteInventory>, out: &mut Vec<Finding>) {
    let mut hosts = k.role_hosts(Role::K8sCluster);
    if hosts.is_empty() {
        hosts = k.hosts.keys().map(String::as_str).collect();
    }
    if let Some(ceph) = ceph {
        let mons = mon_addresses(ceph);
        for var_name in ["rbd_provisioner_monitors", "cephfs_provisioner_monitors"] {
            let Some((_, var)) = k.first_var(&hosts, var_name) else {
                continue;
            };
            if is_template(&var.value) || mons.is_empty() {
                continue;
            }
            let mut problems = Vec::new();
            let mut not_v1 = Vec::new();
            let mut not_mon = Vec::new();
            let mut seen = Vec::new();
            for entry in string_list(&var.value) {
                match parse_monitor(&entry) {
                    Err(e) => problems.push(e),
                    Ok((ip, port, v2)) => {
                        if v2 || port != 6789 {
                            not_v1.push(format!("`{entry}`"));
                        }
                        if !mons.iter().any(|(_, a)| *a == Some(ip)) {
                            not_mon.push(ip.to_string());
                        }
                        seen.push(ip);
                    }
                }
            }
            if !not_v1.is_empty() {
                problems.push(format!(
                    "{} not on the v1 port 6789 (the external provisioners speak only msgr v1)",
                    not_v1.join(", ")
                ));
            }
            if !not_mon.is_empty() {
                problems.push(format!("{} not a Ceph monitor address", not_mon.join(", ")));
            }
            let missing: Vec<String> = mons
                .iter()
                .filter_map(|(m, a)| {
                    a.filter(|a| !seen.contains(a))
                        .map(|a| format!("{m} ({a})"))
                })
                .collect();
            if !missing.is_empty() {
                problems.push(format!("monitor(s) {} missing", missing.join(", ")));
            }
            if !problems.is_empty() {
                let expected = mons
                    .iter()
                    .filter_map(|(_, a)| a.map(|a| SocketAddr::new(a, 6789).to_string()))
                    .collect::<Vec<_>>()
                    .join(",");
                out.push(at_var(
                    finding(
                        "KM211",
                        format!("{var_name}: {}; expected `{expected}`", problems.join("; ")),
                    ),
                    var_name,
                    var,
                ));
            }
        }
        if let Some((_, var)) = k.first_var(&hosts, "rbd_provisioner_pool") {
            if let Some(pool) = scalar(&var.value).filter(|_| !is_template(&var.value)) {
                let pools = ceph_pools(ceph);
                let pools = pools.names();
                if !pools.contains(&pool.as_str()) {
                    out.push(at_var(
                        finding(
                            "KM212",
                            format!(
                                "rbd_provisioner_pool `{pool}` is not among the pools ceph-ansible creates ({}): add it to openstack_pools in ceph-ansible's group_vars or create it before deploy-kube",
                                if pools.is_empty() { "none".to_string() } else { pools.join(", ") }
                            ),
                        ),
                        "rbd_provisioner_pool",
                        var,
                    ));
                }
            }
        }
    }
    if let Some((_, var)) = k.first_var(&hosts, "rbd_provisioner_image_features") {
        if !is_template(&var.value) {
            let extra: Vec<String> = string_list(&var.value)
                .into_iter()
                .filter(|f| f != "layering")
                .collect();
            if !extra.is_empty() {
                out.push(at_var(
                    finding(
                        "KM213",
                        format!("rbd_provisioner_image_features has {}: the external rbd-provisioner accepts only `layering`", extra.join(", ")),
                    ),
                    "rbd_provisioner_image_features",
                    var,
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::*;
    use serde_json::json;

    fn ceph_site(mons: usize) -> Site {
        let mut s = site();
        let c = s.inventory_mut(InventoryKind::Ceph);
        for i in 1..=mons {
            c.add_host(&format!("mon{i}"), &["mons"]);
        }
        c.add_host("osd1", &["osds"]);
        for i in 1..=mons {
            set(
                &mut s,
                InventoryKind::Ceph,
                &format!("mon{i}"),
                "monitor_address",
                json!(format!("127.0.1.{i}")),
                "ceph/hosts",
                i as u32,
            );
        }
        set(
            &mut s,
            InventoryKind::Ceph,
            "osd1",
            "devices",
            json!(["/dev/sdb"]),
            "ceph/group_vars/osds.yml",
            2,
        );
        let hosts: Vec<String> = s
            .inventory(InventoryKind::Ceph)
            .unwrap()
            .hosts
            .keys()
            .cloned()
            .collect();
        for h in &hosts {
            for (name, v, line) in [
                ("ceph_origin", "repository", 2),
                ("ceph_repository", "community", 3),
                ("ceph_stable_release", "pacific", 4),
            ] {
                set(
                    &mut s,
                    InventoryKind::Ceph,
                    h,
                    name,
                    json!(v),
                    "ceph/group_vars/all.yml",
                    line,
                );
            }
        }
        s
    }

    fn set_all(s: &mut Site, name: &str, v: Value, file: &str, line: u32) {
        let hosts: Vec<String> = s
            .inventory(InventoryKind::Ceph)
            .unwrap()
            .hosts
            .keys()
            .cloned()
            .collect();
        for h in &hosts {
            set(s, InventoryKind::Ceph, h, name, v.clone(), file, line);
        }
    }

    #[test]
    fn ceph_origin_must_be_known_unless_containerized() {
        let mut s = ceph_site(3);
        set_all(
            &mut s,
            "ceph_origin",
            json!("dummy"),
            "ceph/group_vars/all.yml",
            2,
        );
        assert_eq!(codes(&check(&s)), vec!["KM241"]);
        set_all(
            &mut s,
            "containerized_deployment",
            json!(true),
            "ceph/group_vars/all.yml",
            9,
        );
        assert!(check(&s).is_empty());
        let mut s = ceph_site(3);
        set_all(
            &mut s,
            "ceph_repository",
            json!("nope"),
            "ceph/group_vars/all.yml",
            3,
        );
        assert_eq!(codes(&check(&s)), vec!["KM241"]);
    }

    #[test]
    fn stable_release_follows_the_ceph_ansible_version() {
        use crate::versions::{Upstream, Version};
        let mut s = ceph_site(3);
        s.versions
            .set(Upstream::CephAnsible, Version::new(6, 0, 28));
        set_all(
            &mut s,
            "dashboard_enabled",
            json!(false),
            "ceph/group_vars/all.yml",
            5,
        );
        assert!(check(&s).is_empty(), "{:?}", check(&s));
        s.versions
            .set(Upstream::CephAnsible, Version::new(4, 0, 70));
        let f = check(&s);
        assert_eq!(codes(&f), vec!["KM245"]);
        assert!(f[0].message.contains("nautilus"));
    }

    #[test]
    fn objectstore_and_lvm_volumes_are_validated() {
        let mut s = ceph_site(3);
        set_all(
            &mut s,
            "osd_objectstore",
            json!("kstore"),
            "ceph/group_vars/all.yml",
            6,
        );
        assert_eq!(codes(&check(&s)), vec!["KM242"]);
        let mut s = ceph_site(3);
        set(
            &mut s,
            InventoryKind::Ceph,
            "osd1",
            "lvm_volumes",
            json!([{"data": "lv1", "data_vg": "vg"}]),
            "ceph/group_vars/osds.yml",
            4,
        );
        assert!(check(&s).is_empty());
        set(
            &mut s,
            InventoryKind::Ceph,
            "osd1",
            "osd_objectstore",
            json!("filestore"),
            "ceph/group_vars/osds.yml",
            5,
        );
        assert_eq!(codes(&check(&s)), vec!["KM243"]);
    }

    #[test]
    fn dashboard_needs_a_host_in_the_monitoring_group_of_its_release() {
        use crate::versions::{Upstream, Version};
        let mut s = ceph_site(3);
        // Version unknown, dashboard_enabled unset: no guess about the default.
        assert!(check(&s).is_empty());
        s.versions
            .set(Upstream::CephAnsible, Version::new(6, 0, 28));
        let f = check(&s);
        assert_eq!(codes(&f), vec!["KM244"]);
        assert!(f[0].message.contains("[monitoring]"), "{}", f[0].message);
        // 6.0 asks for [monitoring]: a [grafana-server] host does not do.
        s.inventory_mut(InventoryKind::Ceph)
            .add_host("mon1", &["grafana-server"]);
        assert_eq!(codes(&check(&s)), vec!["KM244"]);
        // 4.0 asks for [grafana-server].
        s.versions
            .set(Upstream::CephAnsible, Version::new(4, 0, 70));
        assert!(check(&s).iter().all(|f| f.code != "KM244"));
        s.versions
            .set(Upstream::CephAnsible, Version::new(6, 0, 28));
        s.inventory_mut(InventoryKind::Ceph)
            .add_host("mon1", &["monitoring"]);
        assert!(check(&s).is_empty());
    }

    fn with_k8s(mut s: Site, monitors: Value) -> Site {
        s.inventory_mut(InventoryKind::Kubespray)
            .add_host("node1", &["k8s_cluster"]);
        set(
            &mut s,
            InventoryKind::Kubespray,
            "node1",
            "rbd_provisioner_monitors",
            monitors,
            "k/group_vars/k8s_cluster/addons.yml",
            7,
        );
        s
    }

    #[test]
    fn three_mons_with_addresses_and_an_osd_pass() {
        assert!(check(&ceph_site(3)).is_empty());
    }

    #[test]
    fn even_mon_count_is_an_error() {
        assert_eq!(codes(&check(&ceph_site(2))), vec!["KM201"]);
    }

    #[test]
    fn mon_without_address_is_an_error() {
        let mut s = ceph_site(3);
        s.inventory_mut(InventoryKind::Ceph).hosts["mon2"].shift_remove("monitor_address");
        let f = check(&s);
        assert_eq!(codes(&f), vec!["KM202"]);
        assert_eq!(f[0].host.as_deref(), Some("mon2"));
        let mut ok = ceph_site(3);
        set(
            &mut ok,
            InventoryKind::Ceph,
            "mon2",
            "monitor_interface",
            json!("eth0"),
            "ceph/group_vars/all.yml",
            3,
        );
        assert!(check(&ok).is_empty());
    }

    #[test]
    fn a_mon_with_ceph_ansibles_placeholder_address_has_none_as_kubemagic_ceph_says() {
        let mut s = ceph_site(3);
        set(
            &mut s,
            InventoryKind::Ceph,
            "mon2",
            "monitor_address",
            json!("x.x.x.x"),
            "ceph/group_vars/all.yml",
            4,
        );
        let f = check(&s);
        assert_eq!(codes(&f), vec!["KM202"]);
        assert_eq!(f[0].line, Some(4));
    }

    #[test]
    fn osd_without_devices_is_an_error() {
        let mut s = ceph_site(3);
        set(
            &mut s,
            InventoryKind::Ceph,
            "osd1",
            "devices",
            json!([]),
            "ceph/group_vars/osds.yml",
            2,
        );
        assert_eq!(codes(&check(&s)), vec!["KM203"]);
        let mut ok = ceph_site(3);
        set(
            &mut ok,
            InventoryKind::Ceph,
            "osd1",
            "lvm_volumes",
            json!([{"data": "lv"}]),
            "x",
            1,
        );
        assert!(check(&ok).is_empty());
    }

    #[test]
    fn provisioner_monitors_must_be_the_mons_v1() {
        let ok = with_k8s(
            ceph_site(3),
            json!("127.0.1.1:6789,127.0.1.2:6789,127.0.1.3:6789"),
        );
        assert!(check(&ok).is_empty());
        let v2 = with_k8s(
            ceph_site(3),
            json!("127.0.1.1:3300,127.0.1.2:6789,127.0.1.3:6789"),
        );
        let f = check(&v2);
        assert_eq!(codes(&f), vec!["KM211"]);
        assert_eq!(f[0].line, Some(7));
        let wrong = with_k8s(
            ceph_site(3),
            json!(["127.0.9.9:6789", "127.0.1.2:6789", "127.0.1.3:6789"]),
        );
        assert_eq!(codes(&check(&wrong)), vec!["KM211"]);
    }

    #[test]
    fn rbd_pool_must_be_created_by_ceph_ansible() {
        let mut s = with_k8s(
            ceph_site(3),
            json!("127.0.1.1:6789,127.0.1.2:6789,127.0.1.3:6789"),
        );
        set(
            &mut s,
            InventoryKind::Kubespray,
            "node1",
            "rbd_provisioner_pool",
            json!("kube"),
            "k/addons.yml",
            9,
        );
        assert_eq!(codes(&check(&s)), vec!["KM212"]);
        set(
            &mut s,
            InventoryKind::Ceph,
            "mon1",
            "openstack_pools",
            json!([{"name": "kube", "pg_num": 64}]),
            "ceph/group_vars/all.yml",
            20,
        );
        assert!(check(&s).is_empty());
    }

    #[test]
    fn only_layering_is_accepted() {
        let mut s = site();
        s.inventory_mut(InventoryKind::Kubespray)
            .add_host("node1", &["k8s_cluster"]);
        set(
            &mut s,
            InventoryKind::Kubespray,
            "node1",
            "rbd_provisioner_image_features",
            json!("layering,exclusive-lock"),
            "k/addons.yml",
            3,
        );
        assert_eq!(codes(&check(&s)), vec!["KM213"]);
        set(
            &mut s,
            InventoryKind::Kubespray,
            "node1",
            "rbd_provisioner_image_features",
            json!("layering"),
            "k/addons.yml",
            3,
        );
        assert!(check(&s).is_empty());
    }
}

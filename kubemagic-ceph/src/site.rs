//! The cluster model from a site's ceph-ansible inventory
//! (`SITE/ceph-ansible/hosts` and its group_vars/host_vars), as
//! [`kubemagic_site::Site::load`] has already read it: one reading of a
//! site, and every value keeps the file and line that set it, so findings
//! about the model (KM22x) point at them.
//!
//! [`from_inventory`] is pure (a [`SiteInventory`] in, the model and the
//! findings met on the way out) and is tested with hand-built inventories;
//! [`from_site`] picks the ceph-ansible inventory of a loaded [`Site`];
//! [`load`] is the thin layer that reads a site directory.

use crate::error::{CephError, Result};
use crate::model::{CephCluster, Monitor, Pool, DEFAULT_FAILURE_DOMAIN};
use kubemagic_core::{Finding, Origin};
use kubemagic_inventory::{Value, Vars};
use kubemagic_site::read::address::{MonAddress, MON_PLACEHOLDERS};
use kubemagic_site::read::ceph::{as_u32, ceph_pools, monitors};
use kubemagic_site::site::{InventoryKind, Site, SiteInventory};
use std::path::Path;

fn var_str<'a>(vars: &'a Vars, name: &str) -> Option<&'a str> {
    vars.get(name)
        .and_then(|v| v.value.as_str())
        .map(str::trim)
        .filter(|s| !s.is_empty() && !MON_PLACEHOLDERS.contains(s))
}

fn origin_of<'a>(vars: &'a Vars, name: &str) -> Option<&'a Origin> {
    vars.get(name).and_then(|v| v.origin.as_ref())
}

/// The failure domain ceph-ansible's default rule uses:
/// `osd_crush_chooseleaf_type` 0 replicates across OSDs, anything else
/// (the default, 1) across hosts.
fn site_failure_domain(all_vars: &Vars) -> &'static str {
    match all_vars
        .get("osd_crush_chooseleaf_type")
        .map(|v| &v.value)
        .and_then(as_u32)
    {
        Some(0) => "osd",
        _ => DEFAULT_FAILURE_DOMAIN,
    }
}

/// The model from a ceph-ansible inventory as the site read it: monitors
/// from the `mons` group, OSDs and their hosts from `osds`, cluster-wide
/// variables (fsid, public_network, pools) as every host resolves them
/// (group_vars/all), each with its origin. Returns the model and the
/// findings met on the way (unresolvable monitor addresses, bad networks).
pub fn from_inventory(inv: &SiteInventory) -> (CephCluster, Vec<Finding>) {
    let empty = Vars::new();
    let mons = inv.group_hosts("mons");
    let osds = inv.group_hosts("osds");
    // group_vars/all resolves into every host: the first mon's (else the
    // first OSD's) variables hold them, with their origins.
    let all_vars = mons
        .first()
        .or_else(|| osds.first())
        .and_then(|h| inv.hosts.get(h))
        .unwrap_or(&empty);
    let host_origin = |h: &str| inv.host_origins.get(h).cloned().flatten();
    let inv_origin = Origin::new(inv.path.clone(), None);

    let mut findings = Vec::new();
    let mut c = CephCluster {
        fsid: var_str(all_vars, "fsid").map(str::to_string),
        ..Default::default()
    };
    for name in ["fsid", "public_network"] {
        if let Some(o) = origin_of(all_vars, name) {
            c.origins.insert(name.to_string(), o.clone());
        }
    }

    if let Some(nets) = var_str(all_vars, "public_network") {
        for n in nets.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            match n.parse() {
                Ok(net) => c.public_networks.push(net),
                Err(_) => findings.push(
                    Finding::error(
                        "KM234",
                        format!("public_network {n:?} is not a CIDR network (e.g. 10.0.0.0/24)"),
                    )
                    .variable("public_network")
                    .at(origin_of(all_vars, "public_network")),
                ),
            }
        }
    }

    for (host, address) in monitors(inv) {
        let fallback = host_origin(host).unwrap_or_else(|| inv_origin.clone());
        let at =
            |var: &kubemagic_inventory::Var| var.origin.clone().or_else(|| Some(fallback.clone()));
        let (ip, origin) = match address {
            MonAddress::Explicit { ip, var } | MonAddress::InBlock { ip, var } => (ip, at(var)),
            MonAddress::FromInterface { ip, interface, var } => {
                findings.push(
                    Finding::info(
                        "KM235",
                        format!("monitor_interface {interface} of {host}: address taken from ansible_host ({ip}); facts would give the interface's own"),
                    )
                    .host(host)
                    .variable("monitor_interface")
                    .at(at(var).as_ref()),
                );
                (ip, at(var))
            }
            MonAddress::Invalid { name, var, reason } => {
                findings.push(
                    Finding::error("KM228", reason)
                        .host(host)
                        .variable(name)
                        .at(at(var).as_ref()),
                );
                continue;
            }
            MonAddress::Unset => {
                findings.push(
                    Finding::error(
                        "KM228",
                        format!("mon {host} has none of monitor_address, monitor_address_block, monitor_interface"),
                    )
                    .host(host)
                    .at(Some(&fallback)),
                );
                continue;
            }
        };
        let mut m = Monitor::on_default_ports(host.to_string(), ip);
        m.origin = origin;
        c.monitors.push(m);
    }

    let mut osd_count = 0u32;
    let mut known = !osds.is_empty();
    for h in osds {
        let vars = inv.hosts.get(h).unwrap_or(&empty);
        if vars
            .get("osd_auto_discovery")
            .and_then(|v| v.value.as_bool())
            == Some(true)
        {
            known = false;
        }
        for list in ["devices", "lvm_volumes"] {
            if let Some(Value::Array(a)) = vars.get(list).map(|v| &v.value) {
                osd_count = osd_count.saturating_add(u32::try_from(a.len()).unwrap_or(u32::MAX));
            }
        }
    }
    c.osd_count = known.then_some(osd_count);
    if let Some(n) = c.osd_count {
        c.failure_domains.insert("osd".into(), n);
    }
    if !osds.is_empty() {
        // Each inventory host is one CRUSH host bucket (hosts are distinct
        // by name: ceph-ansible names the bucket after the hostname).
        c.failure_domains
            .insert("host".into(), u32::try_from(osds.len()).unwrap_or(u32::MAX));
    }
    let domain = site_failure_domain(all_vars);

    let pools = ceph_pools(inv);
    for at in &pools.unnamed {
        let origin = at.origin.clone().or_else(|| Some(inv_origin.clone()));
        findings.push(
            Finding::error("KM221", format!("an entry of {} has no name", at.variable))
                .variable(at.variable.clone())
                .at(origin.as_ref()),
        );
    }
    for p in pools.pools {
        c.pools.push(Pool {
            name: p.name,
            pg_num: p.pg_num,
            size: p.size,
            application: p.application,
            failure_domain: Some(domain.to_string()),
            origin: p.declared.origin.or_else(|| Some(inv_origin.clone())),
        });
    }
    (c, findings)
}

/// The model from a loaded site's ceph-ansible inventory; an error naming
/// the expected file when the site has none, or no host in `mons`.
pub fn from_site(site: &Site) -> Result<(CephCluster, Vec<Finding>)> {
    let Some(inv) = site.inventory(InventoryKind::Ceph) else {
        return Err(CephError::Site {
            path: site.root.clone(),
            message: format!(
                "no ceph-ansible inventory at {}",
                site.root.join("ceph-ansible").join("hosts").display()
            ),
        });
    };
    if inv.group_hosts("mons").is_empty() {
        return Err(CephError::Site {
            path: inv.path.clone(),
            message: "the ceph-ansible inventory has no host in group mons".into(),
        });
    }
    Ok(from_inventory(inv))
}

/// Reads the site directory once ([`Site::load`]) and builds the model.
pub fn load(dir: &Path) -> Result<(CephCluster, Vec<Finding>)> {
    let site = Site::load(dir)?;
    from_site(&site)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A ceph-ansible inventory by hand: `(host, groups, vars)`; every var
    /// gets the origin `group_vars/all.yml:<n>` (n = its position + 1) so
    /// tests can check findings point at it.
    fn inv(hosts: &[(&str, &[&str], serde_json::Value)]) -> SiteInventory {
        let mut i = SiteInventory::new(InventoryKind::Ceph, "ceph-ansible/hosts");
        for (h, groups, vars) in hosts {
            i.add_host(h, groups);
            for (n, (k, v)) in vars.as_object().unwrap().iter().enumerate() {
                let value: Value = serde_json::from_value(v.clone()).unwrap();
                let line = u32::try_from(n + 1).unwrap();
                i.set_var(
                    h,
                    k,
                    value,
                    Some(Origin::new("group_vars/all.yml", Some(line))),
                );
            }
        }
        i
    }

    #[test]
    fn monitor_address_forms_are_resolved() {
        let all = json!({"fsid": "8ea25b82-518c-4114-9aaf-d0c02cbe6c81", "public_network": "10.0.0.0/24"});
        let with = |extra: serde_json::Value| {
            let mut m = all.as_object().unwrap().clone();
            m.extend(extra.as_object().unwrap().clone());
            serde_json::Value::Object(m)
        };
        let i = inv(&[
            (
                "mon1",
                &["mons"],
                with(json!({"monitor_address": "10.0.0.1"})),
            ),
            (
                "mon2",
                &["mons"],
                with(json!({"monitor_address_block": "10.0.0.0/24", "ansible_host": "10.0.0.2"})),
            ),
            (
                "mon3",
                &["mons"],
                with(json!({"monitor_interface": "eth0", "ansible_host": "10.0.0.3"})),
            ),
        ]);
        let (c, f) = from_inventory(&i);
        assert_eq!(
            c.v1_monitors(),
            vec!["10.0.0.1:6789", "10.0.0.2:6789", "10.0.0.3:6789"]
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].code, "KM235");
        assert!(crate::validate::validate_cluster(&c).is_empty());
    }

    #[test]
    fn ipv6_monitor_address_is_bracketed() {
        let i = inv(&[("mon1", &["mons"], json!({"monitor_address": "fd00::1"}))]);
        let (c, _) = from_inventory(&i);
        assert_eq!(c.v1_monitors(), vec!["[fd00::1]:6789"]);
    }

    #[test]
    fn mon_without_any_address_is_an_error_at_its_variable() {
        let i = inv(&[("mon1", &["mons"], json!({"monitor_address": "x.x.x.x"}))]);
        let (c, f) = from_inventory(&i);
        assert!(c.monitors.is_empty());
        assert_eq!(f[0].code, "KM228");
        assert_eq!(f[0].host.as_deref(), Some("mon1"));
        assert_eq!(f[0].file.as_deref(), Some(Path::new("ceph-ansible/hosts")));
    }

    #[test]
    fn address_block_not_matching_the_host_needs_facts() {
        let i = inv(&[(
            "mon1",
            &["mons"],
            json!({"monitor_address_block": "192.168.0.0/24", "ansible_host": "10.0.0.1"}),
        )]);
        let (_, f) = from_inventory(&i);
        assert!(f[0].message.contains("facts"));
        assert_eq!(f[0].line, Some(1));
    }

    #[test]
    fn pools_and_osd_count_feed_the_replica_check() {
        let all = json!({
            "monitor_address": "10.0.0.1",
            "osd_pool_default_size": 3,
            "osd_pool_default_pg_num": 64,
            "openstack_pools": [{"name": "kube", "pg_num": "{{ osd_pool_default_pg_num }}", "size": "{{ osd_pool_default_size }}", "application": "rbd"}],
            "pools": [{"name": "", "pg_num": 100}]
        });
        let i = inv(&[
            ("mon1", &["mons"], all),
            ("osd1", &["osds"], json!({"devices": ["/dev/sdb"]})),
            (
                "osd2",
                &["osds"],
                json!({"lvm_volumes": [{"data": "lv1", "data_vg": "vg"}]}),
            ),
        ]);
        let (c, _) = from_inventory(&i);
        assert_eq!(c.osd_count, Some(2));
        let kube = c.pools.iter().find(|p| p.name == "kube").unwrap();
        assert_eq!((kube.pg_num, kube.size), (Some(64), Some(3)));
        let codes: Vec<String> = crate::validate::validate_cluster(&c)
            .into_iter()
            .map(|f| f.code)
            .collect();
        assert!(codes.contains(&"KM221".to_string()), "{codes:?}");
        assert!(codes.contains(&"KM222".to_string()));
        assert!(codes.contains(&"KM223".to_string()));
    }

    #[test]
    fn size_three_on_two_hosts_of_three_osds_is_an_error() {
        let all = json!({
            "monitor_address": "10.0.0.1",
            "openstack_pools": [{"name": "kube", "pg_num": 64, "size": 3}],
        });
        let disks = json!({"devices": ["/dev/sdb", "/dev/sdc", "/dev/sdd"]});
        let i = inv(&[
            ("mon1", &["mons"], all.clone()),
            ("osd1", &["osds"], disks.clone()),
            ("osd2", &["osds"], disks.clone()),
        ]);
        let (c, _) = from_inventory(&i);
        assert_eq!(c.osd_count, Some(6));
        let f = crate::validate::validate_cluster(&c);
        let km223: Vec<_> = f.iter().filter(|f| f.code == "KM223").collect();
        assert_eq!(km223.len(), 1, "{f:?}");
        assert!(km223[0].message.contains("2 host"), "{}", km223[0].message);
        // With osd_crush_chooseleaf_type 0 replicas spread over OSDs: fine.
        let mut all0 = all.clone();
        all0["osd_crush_chooseleaf_type"] = json!(0);
        let i = inv(&[
            ("mon1", &["mons"], all0),
            ("osd1", &["osds"], disks.clone()),
            ("osd2", &["osds"], disks),
        ]);
        let (c, _) = from_inventory(&i);
        assert!(crate::validate::validate_cluster(&c)
            .iter()
            .all(|f| f.code != "KM223"));
    }

    #[test]
    fn bad_public_network_is_reported() {
        let i = inv(&[(
            "mon1",
            &["mons"],
            json!({"monitor_address": "10.0.0.1", "public_network": "10.0.0.0/33"}),
        )]);
        let (_, f) = from_inventory(&i);
        assert_eq!(f[0].code, "KM234");
        assert_eq!(f[0].line, Some(2));
    }

    #[test]
    fn missing_site_inventory_is_a_clear_error() {
        let d = tempfile::tempdir().unwrap();
        // A site (it has an inventory), without a ceph-ansible one.
        std::fs::create_dir_all(d.path().join("custom")).unwrap();
        std::fs::write(d.path().join("custom/hosts"), "[all]\nh1\n").unwrap();
        assert!(load(d.path())
            .unwrap_err()
            .to_string()
            .contains("no ceph-ansible inventory"));
    }

    #[test]
    fn site_inventory_builds_the_model_with_file_and_line() {
        let d = tempfile::tempdir().unwrap();
        let ca = d.path().join("ceph-ansible");
        std::fs::create_dir_all(ca.join("group_vars")).unwrap();
        std::fs::write(
            ca.join("hosts"),
            "[mons]\nmon1 ansible_host=10.0.0.1 monitor_address=10.0.0.1\nmon2 ansible_host=10.0.0.2 monitor_address=10.0.0.2\nmon3 ansible_host=10.0.0.3 monitor_interface=eth0\n[osds]\nosd1 devices='[\"/dev/sdb\",\"/dev/sdc\"]'\n",
        )
        .unwrap();
        std::fs::write(
            ca.join("group_vars/all.yml"),
            "fsid: 8ea25b82-518c-4114-9aaf-d0c02cbe6c81\npublic_network: 10.0.0.0/24\npools:\n  - name: kube\n    pg_num: 32\n    size: 3\n",
        )
        .unwrap();
        let (c, f) = load(d.path()).unwrap();
        assert_eq!(c.v1_monitors().len(), 3);
        assert_eq!(
            c.fsid.as_deref(),
            Some("8ea25b82-518c-4114-9aaf-d0c02cbe6c81")
        );
        assert_eq!(c.osd_count, Some(2));
        assert_eq!(f.len(), 1, "{f:?}");
        // KM235 points at the INI line that set monitor_interface.
        assert!(
            f[0].file.as_ref().unwrap().ends_with("ceph-ansible/hosts"),
            "{f:?}"
        );
        assert_eq!(f[0].line, Some(4));
        let v = crate::validate::validate_cluster(&c);
        assert_eq!(v[0].code, "KM223");
        // ... and KM223 at the `pools:` line of group_vars/all.yml.
        assert!(
            v[0].file.as_ref().unwrap().ends_with("group_vars/all.yml"),
            "{v:?}"
        );
        assert_eq!(v[0].line, Some(3));
    }
}

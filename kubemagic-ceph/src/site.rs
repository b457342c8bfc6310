//! The cluster model from a ceph-ansible inventory (`SITE/ceph-ansible/hosts`
//! and its group_vars/host_vars).
//!
//! [`from_inventory_vars`] is pure: it takes each mon's and OSD's resolved
//! variables (what `ansible-inventory --host` prints) and the variables of
//! `all`, so it is tested with hand-built maps; [`from_site`] is the thin
//! layer that loads the inventory with kubemagic-inventory.

use crate::error::{CephError, Result};
use crate::model::{CephCluster, Monitor, Pool};
use kubemagic_core::Finding;
use serde_json::{Map, Value};
use std::net::IpAddr;
use std::path::Path;

/// ceph-ansible's placeholder defaults (`monitor_address: x.x.x.x`,
/// `monitor_address_block: subnet`, `monitor_interface: interface`), which
/// mean "not set".
const PLACEHOLDERS: [&str; 4] = ["x.x.x.x", "subnet", "interface", "0.0.0.0"];

fn var_str<'a>(vars: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    vars.get(name)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty() && !PLACEHOLDERS.contains(s))
}

/// A one-level `{{ name }}` reference resolved against `all_vars`, as the
/// common `pg_num: "{{ osd_pool_default_pg_num }}"` in ceph-ansible's
/// samples; anything more templated stays unknown.
fn resolve<'a>(v: &'a Value, all_vars: &'a Map<String, Value>) -> &'a Value {
    if let Some(s) = v.as_str() {
        let t = s.trim();
        if let Some(inner) = t.strip_prefix("{{").and_then(|r| r.strip_suffix("}}")) {
            let name = inner.trim();
            if name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                if let Some(found) = all_vars.get(name) {
                    return found;
                }
            }
        }
    }
    v
}

fn as_u32(v: &Value) -> Option<u32> {
    match v {
        Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The host's address, read as the site checks read it.
fn host_ip(vars: &Map<String, Value>) -> Option<IpAddr> {
    kubemagic_site::site::NODE_ADDRESS_VARS
        .iter()
        .find_map(|k| var_str(vars, k).and_then(|s| s.trim().parse().ok()))
}

/// The model from resolved inventory variables: `mons` and `osds` are
/// (host, resolved vars) in inventory order; `all_vars` holds group
/// `all`'s variables (fsid, public_network, pools...). Returns the model
/// and the findings met on the way (unresolvable monitor addresses, bad
/// networks).
pub fn from_inventory_vars(
    mons: &[(String, Map<String, Value>)],
    osds: &[(String, Map<String, Value>)],
    all_vars: &Map<String, Value>,
) -> (CephCluster, Vec<Finding>) {
    let mut findings = Vec::new();
    let mut c = CephCluster {
        fsid: var_str(all_vars, "fsid").map(str::to_string),
        ..Default::default()
    };

    if let Some(nets) = var_str(all_vars, "public_network") {
        for n in nets.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            match n.parse() {
                Ok(net) => c.public_networks.push(net),
                Err(_) => findings.push(
                    Finding::error(
                        "KM234",
                        format!("public_network {n:?} is not a CIDR network (e.g. 10.0.0.0/24)"),
                    )
                    .variable("public_network"),
                ),
            }
        }
    }

    for (host, vars) in mons {
        let mut found = None;
        if let Some(addr) = var_str(vars, "monitor_address") {
            match addr
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<IpAddr>()
            {
                Ok(ip) => found = Some(ip),
                Err(_) => findings.push(
                    Finding::error(
                        "KM228",
                        format!("monitor_address {addr:?} of {host} is not an IP address"),
                    )
                    .host(host.clone())
                    .variable("monitor_address"),
                ),
            }
        } else if let Some(block) = var_str(vars, "monitor_address_block") {
            match block.parse::<ipnet::IpNet>() {
                Ok(net) => match host_ip(vars).filter(|ip| net.contains(ip)) {
                    Some(ip) => found = Some(ip),
                    None => findings.push(
                        Finding::error(
                            "KM228",
                            format!("monitor_address_block {block} of {host}: the host's address in that block is known only from facts; set ansible_host or monitor_address"),
                        )
                        .host(host.clone())
                        .variable("monitor_address_block"),
                    ),
                },
                Err(_) => findings.push(
                    Finding::error("KM228", format!("monitor_address_block {block:?} of {host} is not a CIDR network"))
                        .host(host.clone())
                        .variable("monitor_address_block"),
                ),
            }
        } else if let Some(iface) = var_str(vars, "monitor_interface") {
            match host_ip(vars) {
                Some(ip) => {
                    findings.push(
                        Finding::info(
                            "KM235",
                            format!("monitor_interface {iface} of {host}: address taken from ansible_host ({ip}); facts would give the interface's own"),
                        )
                        .host(host.clone())
                        .variable("monitor_interface"),
                    );
                    found = Some(ip);
                }
                None => findings.push(
                    Finding::error(
                        "KM228",
                        format!("monitor_interface {iface} of {host}: no ansible_host to take its address from"),
                    )
                    .host(host.clone())
                    .variable("monitor_interface"),
                ),
            }
        } else {
            findings.push(
                Finding::error(
                    "KM228",
                    format!("mon {host} has none of monitor_address, monitor_address_block, monitor_interface"),
                )
                .host(host.clone()),
            );
        }
        if let Some(ip) = found {
            c.monitors.push(Monitor::on_default_ports(host.clone(), ip));
        }
    }

    let mut osd_count = 0u32;
    let mut known = !osds.is_empty();
    for (_, vars) in osds {
        if vars.get("osd_auto_discovery").and_then(Value::as_bool) == Some(true) {
            known = false;
        }
        for list in ["devices", "lvm_volumes"] {
            if let Some(Value::Array(a)) = vars.get(list) {
                osd_count += u32::try_from(a.len()).unwrap_or(u32::MAX);
            }
        }
    }
    c.osd_count = known.then_some(osd_count);

    for list in ["pools", "openstack_pools"] {
        let Some(Value::Array(items)) = all_vars.get(list) else {
            continue;
        };
        for item in items {
            let Some(p) = item.as_object() else { continue };
            let Some(name) = p
                .get("name")
                .map(|v| resolve(v, all_vars))
                .and_then(Value::as_str)
            else {
                findings.push(
                    Finding::error("KM221", format!("an entry of {list} has no name"))
                        .variable(list),
                );
                continue;
            };
            let size = p
                .get("size")
                .map(|v| resolve(v, all_vars))
                .and_then(as_u32)
                .or_else(|| all_vars.get("osd_pool_default_size").and_then(as_u32));
            c.pools.push(Pool {
                name: name.to_string(),
                pg_num: p
                    .get("pg_num")
                    .map(|v| resolve(v, all_vars))
                    .and_then(as_u32),
                size,
                application: p
                    .get("application")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            });
        }
    }
    (c, findings)
}

/// Loads `SITE/ceph-ansible/hosts` with the inventory engine and builds the
/// model from the `mons` and `osds` groups.
pub fn from_site(site: &Path) -> Result<(CephCluster, Vec<Finding>)> {
    use kubemagic_inventory::{Inventory, LoadOptions};
    let hosts = site.join("ceph-ansible").join("hosts");
    if !hosts.exists() {
        return Err(CephError::Site {
            path: site.to_path_buf(),
            message: format!("no ceph-ansible inventory at {}", hosts.display()),
        });
    }
    let inv = Inventory::load(std::slice::from_ref(&hosts), &LoadOptions::default())?;
    let vars_of = |group: &str| -> Result<Vec<(String, Map<String, Value>)>> {
        let mut out = Vec::new();
        for h in inv.group_hosts(group).unwrap_or_default() {
            let vars = inv.host_vars(h)?;
            out.push((
                h.to_string(),
                vars.into_iter().map(|(k, v)| (k, v.value)).collect(),
            ));
        }
        Ok(out)
    };
    let mons = vars_of("mons")?;
    if mons.is_empty() {
        return Err(CephError::Site {
            path: hosts,
            message: "the ceph-ansible inventory has no host in group mons".into(),
        });
    }
    let osds = vars_of("osds")?;
    // group_vars/all resolves into every host: the first mon's variables
    // hold them (plus its own, which the pure constructor reads only for
    // per-host keys).
    let all_vars = mons[0].1.clone();
    Ok(from_inventory_vars(&mons, &osds, &all_vars))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn monitor_address_forms_are_resolved() {
        let mons = vec![
            (
                "mon1".to_string(),
                map(json!({"monitor_address": "10.0.0.1"})),
            ),
            (
                "mon2".to_string(),
                map(json!({"monitor_address_block": "10.0.0.0/24", "ansible_host": "10.0.0.2"})),
            ),
            (
                "mon3".to_string(),
                map(json!({"monitor_interface": "eth0", "ansible_host": "10.0.0.3"})),
            ),
        ];
        let all = map(
            json!({"fsid": "8ea25b82-518c-4114-9aaf-d0c02cbe6c81", "public_network": "10.0.0.0/24"}),
        );
        let (c, f) = from_inventory_vars(&mons, &[], &all);
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
        let mons = vec![(
            "mon1".to_string(),
            map(json!({"monitor_address": "fd00::1"})),
        )];
        let (c, _) = from_inventory_vars(&mons, &[], &Map::new());
        assert_eq!(c.v1_monitors(), vec!["[fd00::1]:6789"]);
    }

    #[test]
    fn mon_without_any_address_is_an_error() {
        let mons = vec![(
            "mon1".to_string(),
            map(json!({"monitor_address": "x.x.x.x"})),
        )];
        let (c, f) = from_inventory_vars(&mons, &[], &Map::new());
        assert!(c.monitors.is_empty());
        assert_eq!(f[0].code, "KM228");
        assert_eq!(f[0].host.as_deref(), Some("mon1"));
    }

    #[test]
    fn address_block_not_matching_the_host_needs_facts() {
        let mons = vec![(
            "mon1".to_string(),
            map(json!({"monitor_address_block": "192.168.0.0/24", "ansible_host": "10.0.0.1"})),
        )];
        let (_, f) = from_inventory_vars(&mons, &[], &Map::new());
        assert!(f[0].message.contains("facts"));
    }

    #[test]
    fn pools_and_osd_count_feed_the_replica_check() {
        let osds = vec![
            ("osd1".to_string(), map(json!({"devices": ["/dev/sdb"]}))),
            (
                "osd2".to_string(),
                map(json!({"lvm_volumes": [{"data": "lv1", "data_vg": "vg"}]})),
            ),
        ];
        let all = map(json!({
            "osd_pool_default_size": 3,
            "osd_pool_default_pg_num": 64,
            "openstack_pools": [{"name": "kube", "pg_num": "{{ osd_pool_default_pg_num }}", "size": "{{ osd_pool_default_size }}", "application": "rbd"}],
            "pools": [{"name": "", "pg_num": 100}]
        }));
        let mons = vec![(
            "mon1".to_string(),
            map(json!({"monitor_address": "10.0.0.1"})),
        )];
        let (c, _) = from_inventory_vars(&mons, &osds, &all);
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
    fn bad_public_network_is_reported() {
        let all = map(json!({"public_network": "10.0.0.0/33"}));
        let (_, f) = from_inventory_vars(&[], &[], &all);
        assert_eq!(f[0].code, "KM234");
    }

    #[test]
    fn missing_site_inventory_is_a_clear_error() {
        let d = tempfile::tempdir().unwrap();
        assert!(from_site(d.path())
            .unwrap_err()
            .to_string()
            .contains("no ceph-ansible inventory"));
    }

    #[test]
    fn site_inventory_builds_the_model() {
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
        let (c, f) = from_site(d.path()).unwrap();
        assert_eq!(c.v1_monitors().len(), 3);
        assert_eq!(
            c.fsid.as_deref(),
            Some("8ea25b82-518c-4114-9aaf-d0c02cbe6c81")
        );
        assert_eq!(c.osd_count, Some(2));
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(crate::validate::validate_cluster(&c)[0].code, "KM223");
    }
}

//! Addresses: a node's (the one precedence kubespray, ceph-ansible and
//! the load balancer agree on) and a Ceph monitor's (ceph-ansible's own
//! order), read once for every consumer.

use super::sourced::Sourced;
use crate::site::{Site, SiteInventory};
use crate::values::scalar;
use kubemagic_inventory::Var;
use std::net::IpAddr;

/// The variables that give a node's address, in kubespray's order (`ip`,
/// else `access_ip`, else `ansible_host`). One list for every reader (site
/// checks, Ceph monitors), so they never disagree on a host's address.
pub const NODE_ADDRESS_VARS: [&str; 3] = ["ip", "access_ip", "ansible_host"];

/// The address of `host` in `inv`, with the variable that gave it: the
/// first of [`NODE_ADDRESS_VARS`] holding an IP address (kubespray's
/// `ip` → `access_ip` → `ansible_host`, roles/kubespray-defaults
/// `main.yml`'s `access_ip | default(ip | default(fallback_ip))` for the
/// first two), else the host name itself when it is an address (Ansible
/// connects to the name then).
pub fn node_address_var(inv: &SiteInventory, host: &str) -> Option<Sourced<IpAddr>> {
    NODE_ADDRESS_VARS
        .iter()
        .find_map(|name| {
            let v = inv.var(host, name)?;
            let ip = scalar(&v.value)?.trim().parse::<IpAddr>().ok()?;
            Some(Sourced::new(ip, *name, v.origin.clone()))
        })
        .or_else(|| {
            let ip = host.parse().ok()?;
            Some(Sourced::new(
                ip,
                "inventory_hostname",
                inv.host_origins.get(host).cloned().flatten(),
            ))
        })
}

/// The address of `host` in `inv` ([`node_address_var`] without its origin).
pub fn node_address(inv: &SiteInventory, host: &str) -> Option<IpAddr> {
    node_address_var(inv, host).map(|s| s.value)
}

/// The address of `host` in the first inventory of the site (site order:
/// custom, kubespray, Ceph, OpenShift) that gives one: an lb host is often
/// declared in `custom/hosts` with its address in kubespray's inventory.
pub fn site_node_address(site: &Site, host: &str) -> Option<IpAddr> {
    site.inventories
        .iter()
        .filter(|i| i.hosts.contains_key(host))
        .find_map(|i| node_address(i, host))
}

/// How ceph-ansible binds a mon, as far as the inventory tells (without
/// facts). One reading for every consumer: the site's provisioner checks
/// and kubemagic-ceph's cluster model, so they never disagree.
#[derive(Debug, Clone, PartialEq)]
pub enum MonAddress<'a> {
    /// `monitor_address`.
    Explicit {
        /// The address.
        ip: IpAddr,
        /// The variable that set it (value and origin).
        var: &'a Var,
    },
    /// The host's own address (`ip`, `access_ip`, `ansible_host`), which
    /// lies in `monitor_address_block`.
    InBlock {
        /// The address.
        ip: IpAddr,
        /// `monitor_address_block`.
        var: &'a Var,
    },
    /// `monitor_interface`: the host's own address stands in for the
    /// interface's, which only facts give.
    FromInterface {
        /// The host's address.
        ip: IpAddr,
        /// The interface named.
        interface: String,
        /// `monitor_interface`.
        var: &'a Var,
    },
    /// One of the three is set but gives no address.
    Invalid {
        /// `monitor_address`, `monitor_address_block` or `monitor_interface`.
        name: &'static str,
        /// The variable.
        var: &'a Var,
        /// Why it gives no address.
        reason: String,
    },
    /// None of the three is set (or each holds ceph-ansible's placeholder).
    Unset,
}

impl MonAddress<'_> {
    /// The address, when the inventory gives one.
    pub fn ip(&self) -> Option<IpAddr> {
        match self {
            MonAddress::Explicit { ip, .. }
            | MonAddress::InBlock { ip, .. }
            | MonAddress::FromInterface { ip, .. } => Some(*ip),
            _ => None,
        }
    }
}

/// ceph-ansible's placeholder defaults (`monitor_address: x.x.x.x`,
/// `monitor_address_block: subnet`, `monitor_interface: interface`), which
/// mean "not set".
pub const MON_PLACEHOLDERS: [&str; 4] = ["x.x.x.x", "subnet", "interface", "0.0.0.0"];

/// How ceph-ansible would bind the mon `host`: `monitor_address`, else
/// `monitor_address_block`, else `monitor_interface` (ceph-ansible's order).
pub fn mon_address<'a>(inv: &'a SiteInventory, host: &str) -> MonAddress<'a> {
    let set = |name: &str| {
        inv.var(host, name).and_then(|v| {
            let s = scalar(&v.value)?;
            let s = s.trim().to_string();
            (!s.is_empty() && !MON_PLACEHOLDERS.contains(&s.as_str())).then_some((v, s))
        })
    };
    if let Some((var, addr)) = set("monitor_address") {
        return match addr.trim_start_matches('[').trim_end_matches(']').parse() {
            Ok(ip) => MonAddress::Explicit { ip, var },
            Err(_) => MonAddress::Invalid {
                name: "monitor_address",
                var,
                reason: format!("monitor_address {addr:?} of {host} is not an IP address"),
            },
        };
    }
    if let Some((var, block)) = set("monitor_address_block") {
        return match block.parse::<ipnet::IpNet>() {
            Ok(net) => match node_address(inv, host).filter(|ip| net.contains(ip)) {
                Some(ip) => MonAddress::InBlock { ip, var },
                None => MonAddress::Invalid {
                    name: "monitor_address_block",
                    var,
                    reason: format!("monitor_address_block {block} of {host}: the host's address in that block is known only from facts; set ansible_host or monitor_address"),
                },
            },
            Err(_) => MonAddress::Invalid {
                name: "monitor_address_block",
                var,
                reason: format!("monitor_address_block {block:?} of {host} is not a CIDR network"),
            },
        };
    }
    if let Some((var, interface)) = set("monitor_interface") {
        return match node_address(inv, host) {
            Some(ip) => MonAddress::FromInterface { ip, interface, var },
            None => MonAddress::Invalid {
                name: "monitor_interface",
                var,
                reason: format!("monitor_interface {interface} of {host}: no ansible_host to take its address from"),
            },
        };
    }
    MonAddress::Unset
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::site::InventoryKind;
    use serde_json::json;

    #[test]
    fn the_first_address_variable_holding_an_ip_wins_else_the_name() {
        let mut inv = SiteInventory::new(InventoryKind::Kubespray, "k/hosts.yml");
        inv.add_host("n1", &["kube_node"]);
        inv.set_var("n1", "ansible_host", json!("10.0.0.3"), None);
        inv.set_var("n1", "ip", json!("{{ x }}"), None);
        let a = node_address_var(&inv, "n1").unwrap();
        assert_eq!(
            (a.value.to_string(), a.variable.as_str()),
            ("10.0.0.3".into(), "ansible_host")
        );
        inv.add_host("10.0.0.9", &["kube_node"]);
        assert_eq!(
            node_address(&inv, "10.0.0.9"),
            Some("10.0.0.9".parse().unwrap())
        );
        inv.add_host("n2", &["kube_node"]);
        assert_eq!(node_address(&inv, "n2"), None);
    }
}

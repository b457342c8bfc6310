//! The etcd members of a kubespray site, named and addressed as kubespray
//! does, so that `kubemagic etcd restore --print-plan --site DIR` gives
//! every member the `ETCD_INITIAL_CLUSTER` kubespray would write.
//!
//! kubespray `roles/kubespray-defaults/defaults/main/main.yml` (v2.27):
//! `etcd_peer_addresses` lists `groups['etcd']` in order, each as
//! `etcd_member_name | default("etcd" + loop.index)` `=https://`
//! `etcd_access_address | default(ip | default(fallback_ip))` `:2380`, and
//! `etcd_access_address` defaults to `access_ip | default(ip)`;
//! `etcd_data_dir` defaults to `/var/lib/etcd`.

use crate::site::{InventoryKind, Site, SiteInventory};
use crate::values::{is_template, scalar};

/// One member of the site's etcd group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EtcdPeer {
    /// The inventory host.
    pub host: String,
    /// `ETCD_NAME` (`etcd_member_name`, else `etcdN`).
    pub name: String,
    /// The peer URL kubespray advertises.
    pub peer_url: String,
}

/// kubespray's default `etcd_data_dir`.
pub const KUBESPRAY_ETCD_DATA_DIR: &str = "/var/lib/etcd";

fn plain(inv: &SiteInventory, host: &str, name: &str) -> Result<Option<String>, String> {
    match inv.var(host, name) {
        None => Ok(None),
        Some(v) if is_template(&v.value) => Err(format!(
            "{name} of {host} is a template kubemagic does not evaluate; give --initial-cluster"
        )),
        Some(v) => Ok(scalar(&v.value).filter(|s| !s.trim().is_empty())),
    }
}

/// The kubespray inventory's etcd group as (host, name, peer URL), in
/// group order, and the members' data directory.
pub fn etcd_peers(site: &Site) -> Result<(Vec<EtcdPeer>, String), String> {
    let inv = site
        .inventory(InventoryKind::Kubespray)
        .ok_or("the site has no kubespray inventory")?;
    let hosts = inv.group_hosts("etcd");
    if hosts.is_empty() {
        return Err("the kubespray inventory has no host in group etcd".into());
    }
    let mut peers = Vec::with_capacity(hosts.len());
    for (i, host) in hosts.iter().enumerate() {
        let name = plain(inv, host, "etcd_member_name")?.unwrap_or(format!("etcd{}", i + 1));
        let mut addr = None;
        for var in ["etcd_access_address", "access_ip", "ip"] {
            if let Some(a) = plain(inv, host, var)? {
                addr = Some(a);
                break;
            }
        }
        let addr = addr.ok_or_else(|| {
            format!("{host} has no etcd_access_address, access_ip or ip: its peer URL is unknown")
        })?;
        let addr = if addr.contains(':') && !addr.starts_with('[') {
            format!("[{addr}]")
        } else {
            addr
        };
        peers.push(EtcdPeer {
            host: host.clone(),
            name,
            peer_url: format!("https://{addr}:2380"),
        });
    }
    let data_dir = plain(inv, &hosts[0], "etcd_data_dir")?
        .unwrap_or_else(|| KUBESPRAY_ETCD_DATA_DIR.to_string());
    Ok((peers, data_dir))
}

/// `name=url,...` of the peers.
pub fn initial_cluster(peers: &[EtcdPeer]) -> String {
    peers
        .iter()
        .map(|p| format!("{}={}", p.name, p.peer_url))
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::site::SiteInventory;
    use kubemagic_inventory::Value;

    fn site(build: impl FnOnce(&mut SiteInventory)) -> Site {
        let mut s = Site::new("/site");
        build(s.inventory_mut(InventoryKind::Kubespray));
        s
    }

    #[test]
    fn names_and_urls_follow_kubesprays_defaults() {
        let s = site(|inv| {
            inv.add_host("n1", &["etcd"])
                .add_host("n2", &["etcd"])
                .add_host("n3", &["etcd"]);
            inv.set_var("n1", "ip", Value::String("10.0.0.1".into()), None);
            inv.set_var("n2", "ip", Value::String("10.0.0.2".into()), None);
            inv.set_var("n2", "access_ip", Value::String("192.168.0.2".into()), None);
            inv.set_var("n3", "ip", Value::String("10.0.0.3".into()), None);
            inv.set_var(
                "n3",
                "etcd_member_name",
                Value::String("main3".into()),
                None,
            );
        });
        let (peers, dd) = etcd_peers(&s).unwrap();
        assert_eq!(
            initial_cluster(&peers),
            "etcd1=https://10.0.0.1:2380,etcd2=https://192.168.0.2:2380,main3=https://10.0.0.3:2380"
        );
        assert_eq!(dd, "/var/lib/etcd");
    }

    #[test]
    fn a_host_without_address_is_named() {
        let s = site(|inv| {
            inv.add_host("n1", &["etcd"]);
        });
        assert!(etcd_peers(&s).unwrap_err().contains("n1"));
    }
}

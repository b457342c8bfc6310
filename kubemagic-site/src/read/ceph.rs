//! ceph-ansible's pools and monitors, read once for the site checks (KM211,
//! KM212) and kubemagic-ceph's cluster model (KM221–KM235).
//!
//! The pools ceph-ansible creates (ceph/ceph-ansible, stable-3.2 to
//! stable-8.0): `openstack_pools` (roles/ceph-osd/tasks/openstack_config.yml),
//! `pools` (roles/ceph-client/tasks/create_users_keys.yml), the CephFS pools
//! (`cephfs_pools` up to stable-3.2, `cephfs_data_pool` and
//! `cephfs_metadata_pool` since stable-4.0, roles/ceph-mds/tasks/
//! create_mds_filesystems.yml). Each is a list of mappings (or one mapping)
//! with `name`, `pg_num`, `size`, `application`.

use super::address::{mon_address, MonAddress};
use super::sourced::Sourced;
use crate::site::SiteInventory;
use crate::values::scalar;
use indexmap::IndexSet;
use kubemagic_core::Origin;
use kubemagic_inventory::{Value, Vars};

/// The variables listing pools ceph-ansible creates, each a list.
pub const POOL_LISTS: [&str; 3] = ["openstack_pools", "pools", "cephfs_pools"];
/// The variables naming one CephFS pool each (a mapping).
pub const POOL_SINGLES: [&str; 2] = ["cephfs_data_pool", "cephfs_metadata_pool"];

/// One pool ceph-ansible creates, as declared.
#[derive(Debug, Clone, PartialEq)]
pub struct CephPool {
    /// The name (possibly invalid: validation is the consumer's).
    pub name: String,
    /// `pg_num`; `None` when unset or templated beyond one `{{ name }}`.
    pub pg_num: Option<u32>,
    /// `size`, else the cluster's `osd_pool_default_size`.
    pub size: Option<u32>,
    /// `application` (`rbd`, `cephfs`, `rgw`).
    pub application: Option<String>,
    /// The variable that declares it and where.
    pub declared: Sourced<()>,
}

/// Every pool of the ceph-ansible inventory, each name once (the first
/// declaration wins), and the entries without a name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CephPools {
    /// The pools, in declaration order.
    pub pools: Vec<CephPool>,
    /// Entries of a pool list with no name, by the variable holding them.
    pub unnamed: Vec<Sourced<()>>,
}

impl CephPools {
    /// The pool names.
    pub fn names(&self) -> Vec<&str> {
        self.pools.iter().map(|p| p.name.as_str()).collect()
    }
}

/// A one-level `{{ name }}` reference resolved against `vars`, as the
/// common `pg_num: "{{ osd_pool_default_pg_num }}"` in ceph-ansible's
/// samples; anything more templated stays as written.
fn resolve<'a>(v: &'a Value, vars: &'a Vars) -> &'a Value {
    if let Some(s) = v.as_str() {
        let t = s.trim();
        if let Some(inner) = t.strip_prefix("{{").and_then(|r| r.strip_suffix("}}")) {
            let name = inner.trim();
            if name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                if let Some(found) = vars.get(name) {
                    return &found.value;
                }
            }
        }
    }
    v
}

/// A count: a number, or a string holding one.
pub fn as_u32(v: &Value) -> Option<u32> {
    match v {
        Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        other => scalar(other)?.trim().parse().ok(),
    }
}

/// The hosts whose variables are read: mons first (group_vars/all reaches
/// them, and kubemagic-ceph has always read the cluster's variables there),
/// then OSDs, then the rest.
fn reading_order(inv: &SiteInventory) -> Vec<&str> {
    let mut set: IndexSet<&str> = IndexSet::new();
    for g in ["mons", "osds"] {
        set.extend(inv.group_hosts(g).iter().map(String::as_str));
    }
    set.extend(inv.hosts.keys().map(String::as_str));
    set.into_iter().collect()
}

/// Every pool ceph-ansible creates from this inventory.
pub fn ceph_pools(inv: &SiteInventory) -> CephPools {
    let mut out = CephPools::default();
    // Hosts inherit the same definition: read each (variable, origin) once.
    let mut seen: IndexSet<(&str, Option<&Origin>)> = IndexSet::new();
    for h in reading_order(inv) {
        let Some(vars) = inv.hosts.get(h) else {
            continue;
        };
        for name in POOL_LISTS.iter().chain(POOL_SINGLES.iter()) {
            let Some(var) = vars.get(*name) else { continue };
            if var.origin.is_some() && !seen.insert((name, var.origin.as_ref())) {
                continue;
            }
            let declared = Sourced::new((), *name, var.origin.clone());
            let items: Vec<&Value> = match &var.value {
                Value::Array(a) if POOL_LISTS.contains(name) => a.iter().collect(),
                v @ Value::Object(_) if POOL_SINGLES.contains(name) => vec![v],
                _ => continue,
            };
            for item in items {
                let Some(p) = item.as_object() else { continue };
                let field = |f: &str| p.get(f).map(|v| resolve(v, vars));
                let Some(pool) = field("name").and_then(scalar) else {
                    out.unnamed.push(declared.clone());
                    continue;
                };
                if out.pools.iter().any(|x| x.name == pool) {
                    continue;
                }
                out.pools.push(CephPool {
                    name: pool,
                    pg_num: field("pg_num").and_then(as_u32),
                    size: field("size").and_then(as_u32).or_else(|| {
                        vars.get("osd_pool_default_size")
                            .and_then(|v| as_u32(&v.value))
                    }),
                    application: field("application").and_then(scalar),
                    declared: declared.clone(),
                });
            }
        }
    }
    out
}

/// Each host of `mons` with the address ceph-ansible binds it to.
pub fn monitors(inv: &SiteInventory) -> Vec<(&str, MonAddress<'_>)> {
    inv.group_hosts("mons")
        .iter()
        .map(|h| (h.as_str(), mon_address(inv, h)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::site::InventoryKind;
    use serde_json::json;

    #[test]
    fn one_pool_list_for_every_reader() {
        let mut inv = SiteInventory::new(InventoryKind::Ceph, "ceph-ansible/hosts");
        inv.add_host("mon1", &["mons"]);
        let o = |l| Some(Origin::new("group_vars/all.yml", Some(l)));
        inv.set_var("mon1", "osd_pool_default_pg_num", json!(64), o(1));
        inv.set_var(
            "mon1",
            "openstack_pools",
            json!([{"name": "kube", "pg_num": "{{ osd_pool_default_pg_num }}"}, {"pg_num": 8}]),
            o(2),
        );
        inv.set_var(
            "mon1",
            "pools",
            json!([{"name": {"__ansible_unsafe": "rbd"}}]),
            o(3),
        );
        inv.set_var(
            "mon1",
            "cephfs_data_pool",
            json!({"name": "cephfs_data"}),
            o(4),
        );
        inv.set_var(
            "mon1",
            "cephfs_metadata_pool",
            json!({"name": "cephfs_metadata"}),
            o(5),
        );
        let p = ceph_pools(&inv);
        assert_eq!(p.names(), ["kube", "rbd", "cephfs_data", "cephfs_metadata"]);
        assert_eq!(p.pools[0].pg_num, Some(64));
        assert_eq!(p.unnamed.len(), 1);
        assert_eq!(p.unnamed[0].variable, "openstack_pools");
    }
}

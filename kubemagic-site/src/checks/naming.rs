//! Host names: Kubernetes node names are lowercase RFC 1123 DNS names, and
//! kubespray asserts it before deploying; catch it before the run.

use super::common::finding;
use crate::site::{InventoryKind, Role, Site};
use kubemagic_core::{Finding, Origin};
use kubemagic_inventory::WarningKind;

/// Lowercase RFC 1123: dot-separated labels of `[a-z0-9-]`, 1 to 63
/// characters, not starting or ending with `-`; 253 characters at most.
pub fn is_rfc1123(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
}

/// Dashed group names an upstream itself requires: kubespray before 2.16
/// (`kube-master`, `k8s-cluster`, ...; see [`Role::group_names`]) and
/// ceph-ansible (`grafana-server`, and `iscsi-gws` before 4.0). Ansible
/// warns about any dash in a group name, but a site cannot rename these
/// without breaking the upstream's playbooks: no finding for them.
fn upstream_group_name(name: &str) -> bool {
    Role::of_group(name).is_some() || matches!(name, "grafana-server" | "iscsi-gws")
}

/// KM604: every warning the inventory engine gave while reading the site's
/// inventories (a file in an inventory directory no plugin reads, a YAML
/// group key Ansible skips, a reversed range, a reserved variable name...),
/// at its file and line; except Ansible's warning about the dashed group
/// names the upstream itself requires (`upstream_group_name`).
pub fn engine_warnings(site: &Site) -> Vec<Finding> {
    site.inventories
        .iter()
        .flat_map(|inv| &inv.warnings)
        .filter(|w| {
            !(w.kind == WarningKind::GroupName
                && w.subject.as_deref().is_some_and(upstream_group_name))
        })
        .map(|w| finding("KM604", w.message.clone()).at(Some(&Origin::new(w.file.clone(), w.line))))
        .collect()
}

/// KM602: every host of the kubespray and openshift-ansible inventories must
/// be a lowercase RFC 1123 name ([`is_rfc1123`]), since it becomes a
/// Kubernetes node name. The finding points at where the host is declared
/// and suggests the lowercased name when that one is valid. The custom and
/// Ceph inventories hold no Kubernetes node and are not checked.
pub fn check(site: &Site) -> Vec<Finding> {
    let mut out = Vec::new();
    for inv in &site.inventories {
        if !matches!(
            inv.kind,
            InventoryKind::Kubespray | InventoryKind::Openshift
        ) {
            continue;
        }
        for host in inv.hosts.keys() {
            if is_rfc1123(host) {
                continue;
            }
            let origin = inv
                .host_origins
                .get(host)
                .cloned()
                .flatten()
                .unwrap_or_else(|| Origin::new(inv.path.clone(), None));
            let hint = if is_rfc1123(&host.to_ascii_lowercase()) {
                format!(" (use `{}`)", host.to_ascii_lowercase())
            } else {
                String::new()
            };
            out.push(
                finding(
                    "KM602",
                    format!("host name `{host}` is not a lowercase RFC 1123 name, which Kubernetes requires of node names{hint}"),
                )
                .host(host.clone())
                .at(Some(&origin)),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::*;

    #[test]
    fn rfc1123_names() {
        assert!(is_rfc1123("master1.utgb.example"));
        assert!(is_rfc1123("127.0.0.1"));
        assert!(!is_rfc1123("Master1"));
        assert!(!is_rfc1123("node_1"));
        assert!(!is_rfc1123("-node"));
        assert!(!is_rfc1123(&"a".repeat(64)));
    }

    #[test]
    fn uppercase_kubespray_host_is_an_error_and_lowercase_passes() {
        let mut s = site();
        s.inventory_mut(InventoryKind::Kubespray)
            .add_host("Node1", &["kube_node"]);
        let f = check(&s);
        assert_eq!(codes(&f), vec!["KM602"]);
        assert!(f[0].message.contains("use `node1`"));
        let mut ok = site();
        ok.inventory_mut(InventoryKind::Kubespray)
            .add_host("node1", &["kube_node"]);
        ok.inventory_mut(InventoryKind::Ceph)
            .add_host("OSD_1", &["osds"]);
        assert!(check(&ok).is_empty());
    }
}

//! group_vars for no group, host_vars for no host: Ansible silently
//! ignores them.
//!
//! kubespray 2.16 renamed `kube-master` → `kube_control_plane`,
//! `k8s-cluster` → `k8s_cluster`, ...: a `group_vars/k8s-cluster/` folder
//! carried over from an older inventory then applies to nothing, and the
//! cluster is deployed with defaults without a word.

use super::common::finding;
use crate::site::{Role, Site};
use kubemagic_core::{Finding, Origin, Severity};
use kubemagic_inventory::VarsKind;

/// KM601 and KM603, on every inventory of the site: a `group_vars` entry
/// that names no group of its inventory, or a `host_vars` entry that names no
/// host, which Ansible ignores without a word. A `group_vars` entry under the
/// other spelling of a kubespray group in use (`k8s-cluster` beside
/// `k8s_cluster`) is raised to an error: that is the 2.16 rename, and the
/// cluster would be deployed with defaults. Each finding suggests the closest
/// name.
pub fn check(site: &Site) -> Vec<Finding> {
    let mut out = Vec::new();
    for inv in &site.inventories {
        for entry in inv.vars_files.iter().filter(|e| e.kind == VarsKind::Host) {
            if inv.hosts.contains_key(&entry.name) {
                continue;
            }
            let suggestion = closest(&entry.name, inv.hosts.keys().map(String::as_str))
                .map(|h| format!(": did you mean `{h}`?"))
                .unwrap_or_default();
            out.push(
                finding(
                    "KM603",
                    format!(
                        "host_vars `{}` matches no host of the {} inventory, so Ansible ignores it{suggestion}",
                        entry.name, inv.kind
                    ),
                )
                .host(entry.name.clone())
                .at(Some(&Origin::new(entry.path.clone(), None))),
            );
        }
        for entry in inv.vars_files.iter().filter(|e| e.kind == VarsKind::Group) {
            if inv.has_group(&entry.name) || entry.name == "all" {
                continue;
            }
            // A renamed kubespray group whose other spelling is in use.
            let renamed = Role::of_group(&entry.name).and_then(|r| {
                r.group_names()
                    .iter()
                    .find(|g| **g != entry.name && inv.has_group(g))
                    .copied()
            });
            let mut f = match renamed {
                Some(g) => {
                    let mut f = finding(
                        "KM601",
                        format!(
                            "group_vars `{}` matches no group, so Ansible ignores it: did you mean `{g}`? kubespray renamed its groups (kube-master → kube_control_plane, k8s-cluster → k8s_cluster, kube-node → kube_node, calico-rr → calico_rr)",
                            entry.name
                        ),
                    );
                    f.severity = Severity::Error;
                    f
                }
                None => {
                    let suggestion = closest(&entry.name, inv.groups.keys().map(String::as_str))
                        .map(|g| format!(": did you mean `{g}`?"))
                        .unwrap_or_default();
                    finding(
                        "KM601",
                        format!("group_vars `{}` matches no group of the {} inventory, so Ansible ignores it{suggestion}", entry.name, inv.kind),
                    )
                }
            };
            f = f
                .group(entry.name.clone())
                .at(Some(&Origin::new(entry.path.clone(), None)));
            out.push(f);
        }
    }
    out
}

/// The most similar group name, if similar enough to be a typo.
fn closest<'a>(name: &str, groups: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let norm = |s: &str| s.to_ascii_lowercase().replace('-', "_");
    groups
        .filter(|g| *g != "all" && *g != "ungrouped")
        .map(|g| (strsim::jaro_winkler(&norm(name), &norm(g)), g))
        .filter(|(score, _)| *score >= 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, g)| g)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::*;
    use crate::site::InventoryKind;
    use kubemagic_inventory::VarsFileEntry;

    fn with_group_vars(group_in_inventory: &str, vars_name: &str) -> Site {
        let mut s = site();
        let k = s.inventory_mut(InventoryKind::Kubespray);
        k.add_host("n1", &[group_in_inventory]);
        k.vars_files.push(VarsFileEntry {
            kind: VarsKind::Group,
            name: vars_name.into(),
            path: format!("/site/kubespray/inventory/utgb/group_vars/{vars_name}").into(),
        });
        s
    }

    #[test]
    fn group_vars_of_an_existing_group_pass() {
        assert!(check(&with_group_vars("k8s_cluster", "k8s_cluster")).is_empty());
    }

    #[test]
    fn old_kubespray_name_is_an_error_with_did_you_mean() {
        let f = check(&with_group_vars("k8s_cluster", "k8s-cluster"));
        assert_eq!(codes(&f), vec!["KM601"]);
        assert_eq!(f[0].severity, Severity::Error);
        assert!(f[0].message.contains("did you mean `k8s_cluster`"));
        assert!(f[0]
            .file
            .as_ref()
            .unwrap()
            .ends_with("group_vars/k8s-cluster"));
    }

    #[test]
    fn host_vars_for_no_host_warns_with_did_you_mean() {
        let mut s = with_group_vars("etcd", "etcd");
        let k = s.inventory_mut(InventoryKind::Kubespray);
        k.vars_files.push(VarsFileEntry {
            kind: VarsKind::Host,
            name: "nl".into(),
            path: "/site/kubespray/inventory/utgb/host_vars/nl.yml".into(),
        });
        k.vars_files.push(VarsFileEntry {
            kind: VarsKind::Host,
            name: "n1".into(),
            path: "/site/kubespray/inventory/utgb/host_vars/n1.yml".into(),
        });
        let f = check(&s);
        assert_eq!(codes(&f), vec!["KM603"]);
        assert_eq!(f[0].severity, Severity::Warning);
    }

    #[test]
    fn typo_is_a_warning_with_did_you_mean() {
        let f = check(&with_group_vars("nagios", "nagio"));
        assert_eq!(f[0].severity, Severity::Warning);
        assert!(f[0].message.contains("did you mean `nagios`"));
    }
}

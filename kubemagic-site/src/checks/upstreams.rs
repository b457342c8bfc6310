//! Upstreams: pin kubespray, ceph-ansible and openshift-ansible to a tag or
//! a commit. The seed deployed kubespray from `master` and got a
//! cert-manager whose RBAC/CRDs did not match its image.

use super::common::finding;
use crate::site::Site;
use kubemagic_core::{Finding, Origin};

pub use crate::versions::{classify, RefKind};

/// KM501 and KM502: an upstream in kubemagic.yml pinned to a branch
/// ([`classify`]) deploys whatever the branch holds on the day of `init`.
/// When that upstream is kubespray and it deploys cert-manager, the finding
/// is the error KM502 (the seed's cert-manager RBAC/CRDs did not match its
/// image). Findings point at the `ref` line in kubemagic.yml.
pub fn check(site: &Site) -> Vec<Finding> {
    let mut out = Vec::new();
    let Some(file) = &site.config_file else {
        return out;
    };
    let cert_manager = site.deploys_cert_manager();
    for (name, up) in &site.config.upstreams {
        if classify(&up.git_ref) != RefKind::Branch {
            continue;
        }
        let origin = Origin::new(file.clone(), site.config_ref_lines.get(name).copied());
        let f = match (&cert_manager, name.as_str()) {
            (Some((cm_origin, how)), "kubespray") => finding(
                "KM502",
                format!(
                    "kubespray is pinned to the branch `{}` and deploys cert-manager ({how}{}): a branch ships whatever cert-manager image and RBAC/CRDs it holds that day, which did not match in the seed; pin a release tag",
                    up.git_ref,
                    cm_origin
                        .as_ref()
                        .map(|o| {
                            let rel = o.file.strip_prefix(&site.root).unwrap_or(&o.file);
                            format!(" at {}", kubemagic_core::Origin::new(rel, o.line))
                        })
                        .unwrap_or_default()
                ),
            ),
            _ => finding(
                "KM501",
                format!("upstream {name} is pinned to the branch `{}`: each `init` may deploy something different; pin a tag or a commit", up.git_ref),
            ),
        };
        out.push(
            f.variable(format!("upstreams.{name}.ref"))
                .at(Some(&origin)),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::*;
    use crate::site::InventoryKind;
    use kubemagic_core::Upstream;
    use serde_json::json;

    fn with_ref(r: &str) -> Site {
        let mut s = site();
        s.config_file = Some("/site/kubemagic.yml".into());
        s.config.upstreams.insert(
            "kubespray".into(),
            Upstream {
                url: "https://github.com/kubernetes-sigs/kubespray.git".into(),
                git_ref: r.into(),
            },
        );
        s.config_ref_lines.insert("kubespray".into(), 5);
        s
    }

    #[test]
    fn refs_are_classified() {
        assert_eq!(classify("master"), RefKind::Branch);
        assert_eq!(classify("release-2.13"), RefKind::Branch);
        assert_eq!(classify("stable-4.0"), RefKind::Branch);
        assert_eq!(classify("v2.13.2"), RefKind::Tag);
        assert_eq!(classify("openshift-ansible-3.11.272-1"), RefKind::Tag);
        assert_eq!(classify("4c2a3b1d9e"), RefKind::Commit);
    }

    #[test]
    fn tag_passes_and_branch_warns_at_its_line() {
        assert!(check(&with_ref("v2.13.2")).is_empty());
        let f = check(&with_ref("master"));
        assert_eq!(codes(&f), vec!["KM501"]);
        assert_eq!(f[0].line, Some(5));
    }

    #[test]
    fn branch_with_cert_manager_is_an_error() {
        let mut s = with_ref("master");
        s.inventory_mut(InventoryKind::Kubespray)
            .add_host("n1", &["k8s_cluster"]);
        set(
            &mut s,
            InventoryKind::Kubespray,
            "n1",
            "cert_manager_enabled",
            json!(true),
            "gv/addons.yml",
            12,
        );
        assert_eq!(codes(&check(&s)), vec!["KM502"]);
        let mut pinned = with_ref("v2.13.2");
        pinned
            .inventory_mut(InventoryKind::Kubespray)
            .add_host("n1", &["k8s_cluster"]);
        set(
            &mut pinned,
            InventoryKind::Kubespray,
            "n1",
            "cert_manager_enabled",
            json!(true),
            "gv/addons.yml",
            12,
        );
        assert!(check(&pinned).is_empty());
    }
}

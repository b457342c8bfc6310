//! Registries: insecure registries on a containerd that cannot use them.
//!
//! The seed: containerd pulls from an insecure (HTTP or unverified TLS)
//! registry only since 1.4.0; kubespray of 2020 shipped 1.2.13 on Debian
//! buster, so such a registry could be pushed to by Tekton/Buildah but no
//! pod could run from it.

use super::common::{at_var, finding, is_template, scalar};
use crate::site::{InventoryKind, Site};
use kubemagic_core::Finding;
use kubemagic_inventory::Value;

/// kubespray variables describing registries for containerd, every
/// release's shape: `containerd_config.registries` (2.13 and older),
/// `containerd_registries` (2.14 to 2.22), `containerd_registries_mirrors`
/// (2.23+). All are read whatever the version: a declaration the release
/// ignores is KM505's business, an insecure one is insecure in any shape.
const REGISTRY_VARS: [&str; 5] = [
    "containerd_config",
    "containerd_insecure_registries",
    "containerd_registries",
    "containerd_registries_mirrors",
    "containerd_registry_auth",
];

/// KM401: a registry declared insecure (plain HTTP, or TLS not verified) for
/// a containerd older than 1.4.0, which cannot pull from it. The containerd
/// version is `containerd_version`, else the one the pinned kubespray ships;
/// every release's shape of the registry variables is read.
pub fn check(site: &Site) -> Vec<Finding> {
    let mut out = Vec::new();
    let Some(k) = site.inventory(InventoryKind::Kubespray) else {
        return out;
    };
    let kubespray_ref = site
        .config
        .upstreams
        .get("kubespray")
        .map(|u| u.git_ref.as_str());
    let mut done = super::common::Once::default();
    for (host, vars) in &k.hosts {
        let manager = vars.get("container_manager").and_then(|v| scalar(&v.value));
        let version_var = vars.get("containerd_version");
        let on_containerd = match manager.as_deref() {
            Some("containerd") => true,
            Some(_) => false,
            None => version_var.is_some(),
        };
        if !on_containerd {
            continue;
        }
        // The version: containerd_version, else what the pinned kubespray ships.
        let version = match version_var
            .filter(|v| !is_template(&v.value))
            .and_then(|v| scalar(&v.value))
        {
            Some(v) => Some((v.clone(), parse_version(&v))),
            None => kubespray_ref.and_then(shipped_containerd).map(|v| {
                (
                    format!(
                        "{}.{} (shipped by kubespray {})",
                        v.0,
                        v.1,
                        kubespray_ref.unwrap_or("")
                    ),
                    Some(v),
                )
            }),
        };
        let Some((version_text, Some(v))) = version else {
            continue;
        };
        if v >= (1, 4) {
            continue;
        }
        for name in REGISTRY_VARS {
            let Some(var) = vars.get(name) else { continue };
            let Some(why) = insecure(name, &var.value) else {
                continue;
            };
            if !done.first(&var.origin, name) {
                continue;
            }
            out.push(at_var(
                finding(
                    "KM401",
                    format!(
                        "{name} declares {why}, but containerd {version_text} cannot pull from insecure registries (supported since 1.4.0): images would push fine and never run; serve the registry with a CA the nodes trust, or upgrade containerd"
                    ),
                )
                .host(host),
                name,
                var,
            ));
        }
    }
    out
}

/// `1.2.13-2`, `v1.3.9`, `1.4.0-beta.0` → (major, minor).
fn parse_version(s: &str) -> Option<(u32, u32)> {
    let s = s.trim().trim_start_matches('v');
    let mut it = s.split(|c: char| !c.is_ascii_digit());
    let major = it.next()?.parse().ok()?;
    let minor = it.next()?.parse().ok()?;
    Some((major, minor))
}

/// The containerd a kubespray tag installs by default (kubespray's
/// `containerd_version` defaults): up to v2.14 1.2.x, v2.15 1.3.x, 1.4+ since v2.16.
fn shipped_containerd(git_ref: &str) -> Option<(u32, u32)> {
    let (maj, min) = parse_version(git_ref)?;
    match (maj, min) {
        (2, m) if m <= 14 => Some((1, 2)),
        (2, 15) => Some((1, 3)),
        _ => None,
    }
}

/// What makes a registry declaration insecure, if anything.
fn insecure(name: &str, v: &Value) -> Option<String> {
    if name == "containerd_config" {
        // Only its `registries` mapping (the rest is containerd settings).
        return v
            .get("registries")
            .and_then(|r| insecure("containerd_registries", r));
    }
    if name == "containerd_insecure_registries" {
        let non_empty = match v {
            Value::Object(m) => !m.is_empty(),
            Value::Array(a) => !a.is_empty(),
            Value::String(s) => !s.trim().is_empty(),
            _ => false,
        };
        return non_empty.then(|| "insecure registries".to_string());
    }
    fn walk(v: &Value, key: &str) -> Option<String> {
        match v {
            Value::String(s) if s.trim_start().starts_with("http://") => {
                Some(format!("a plain-HTTP registry ({})", s.trim()))
            }
            Value::Bool(true) | Value::String(_)
                if (key == "skip_verify" || key == "insecure_skip_verify")
                    && super::super::site::truthy(v) =>
            {
                Some("a registry with TLS verification disabled (skip_verify)".to_string())
            }
            Value::Object(m) => m.iter().find_map(|(k, v)| walk(v, k)),
            Value::Array(a) => a.iter().find_map(|v| walk(v, key)),
            _ => None,
        }
    }
    walk(v, "")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::*;
    use serde_json::json;

    fn k8s(version: &str, registries: Value) -> Site {
        let mut s = site();
        s.inventory_mut(InventoryKind::Kubespray)
            .add_host("node1", &["k8s_cluster"]);
        set(
            &mut s,
            InventoryKind::Kubespray,
            "node1",
            "container_manager",
            json!("containerd"),
            "gv/k8s.yml",
            1,
        );
        set(
            &mut s,
            InventoryKind::Kubespray,
            "node1",
            "containerd_version",
            json!(version),
            "gv/containerd.yml",
            1,
        );
        set(
            &mut s,
            InventoryKind::Kubespray,
            "node1",
            "containerd_registries",
            registries,
            "gv/containerd.yml",
            4,
        );
        s
    }

    #[test]
    fn http_registry_on_containerd_1_2_is_an_error() {
        let f = check(&k8s(
            "1.2.13-2",
            json!({"registry.utgb.example": "http://registry.utgb.example:5000"}),
        ));
        assert_eq!(codes(&f), vec!["KM401"]);
        assert_eq!(f[0].line, Some(4));
    }

    #[test]
    fn skip_verify_mirror_on_old_containerd_is_an_error() {
        let mut s = k8s("1.3.9", json!({}));
        set(
            &mut s,
            InventoryKind::Kubespray,
            "node1",
            "containerd_registries_mirrors",
            json!([{"prefix": "r.example", "mirrors": [{"host": "https://r.example", "skip_verify": true}]}]),
            "gv/containerd.yml",
            9,
        );
        assert_eq!(codes(&check(&s)), vec!["KM401"]);
    }

    #[test]
    fn http_registry_on_containerd_1_4_or_https_on_old_pass() {
        assert!(check(&k8s("1.7.22", json!({"r": "http://r.example"}))).is_empty());
        assert!(check(&k8s("1.2.13", json!({"r": "https://r.example"}))).is_empty());
    }

    #[test]
    fn version_comes_from_the_pinned_kubespray_when_unset() {
        let mut s = site();
        s.inventory_mut(InventoryKind::Kubespray)
            .add_host("node1", &["k8s_cluster"]);
        set(
            &mut s,
            InventoryKind::Kubespray,
            "node1",
            "container_manager",
            json!("containerd"),
            "gv/k8s.yml",
            1,
        );
        set(
            &mut s,
            InventoryKind::Kubespray,
            "node1",
            "containerd_insecure_registries",
            json!({"r.example": "r.example:5000"}),
            "gv/c.yml",
            2,
        );
        s.config.upstreams.insert(
            "kubespray".into(),
            kubemagic_core::Upstream {
                url: "u".into(),
                git_ref: "v2.13.2".into(),
            },
        );
        assert_eq!(codes(&check(&s)), vec!["KM401"]);
        s.config.upstreams.insert(
            "kubespray".into(),
            kubemagic_core::Upstream {
                url: "u".into(),
                git_ref: "v2.26.0".into(),
            },
        );
        assert!(check(&s).is_empty());
    }
}

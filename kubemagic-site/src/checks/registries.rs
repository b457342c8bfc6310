//! Registries: what keeps containerd from pulling the site's images.
//!
//! The seed: containerd pulls from an insecure (HTTP or unverified TLS)
//! registry only since 1.4.0; kubespray of 2020 shipped 1.2.13 on Debian
//! buster, so such a registry could be pushed to by Tekton/Buildah but no
//! pod could run from it (KM401). Since then kubespray changed the shape of
//! its registry variables five times: a value in the wrong shape crashes
//! the containerd task or renders nothing (KM402), 2.21 turned `config_path`
//! on beside the mirrors, which the CRI plugin refuses (KM403), a CA cannot
//! be given before 2.28 (KM404), and a private registry the images use but
//! no variable declares is pulled over HTTPS with the system CAs (KM405).
//! Every shape is read by [`crate::read::registries`], the one reading.

use super::common::{at_var, finding, is_template, scalar, Once};
use crate::read::registries::{self, Era, Registry};
use crate::site::{InventoryKind, Site};
use kubemagic_core::Finding;
use kubemagic_inventory::Vars;

/// Every registry family finding.
pub fn check(site: &Site) -> Vec<Finding> {
    let mut out = openshift_registry(site);
    let Some(k) = site.inventory(InventoryKind::Kubespray) else {
        return out;
    };
    let era = registries::site_era(site);
    let mut once = Once::default();
    let mut seen = Seen::default();
    for (host, vars) in &k.hosts {
        if !on_containerd(vars) {
            continue;
        }
        old_containerd(site, host, vars, &mut once, &mut out);
        if let Some(era) = era {
            let d = registries::declared(vars, era);
            shapes(host, &d.problems, &mut seen, &mut out);
            mirrors_beside_config_path(site, host, vars, &d.registries, &mut once, &mut out);
            undeclared_image_registries(site, host, vars, &d.registries, &mut once, &mut out);
        }
        if let Some(era) = era.filter(|e| !e.supports_ca()) {
            ca_the_release_cannot_write(site, host, era, &mut out);
        }
    }
    out
}

/// Whether the host runs containerd: `container_manager`, else a
/// `containerd_version` set for it.
fn on_containerd(vars: &Vars) -> bool {
    match vars
        .get("container_manager")
        .and_then(|v| scalar(&v.value))
        .as_deref()
    {
        Some("containerd") => true,
        Some(_) => false,
        None => vars.contains_key("containerd_version"),
    }
}

/// KM401: a registry declared insecure (plain HTTP, or TLS not verified) for
/// a containerd older than 1.4.0, which cannot pull from it. Declarations in
/// every release's shape count: an insecure registry is insecure in any.
fn old_containerd<'a>(
    site: &Site,
    host: &str,
    vars: &'a Vars,
    once: &mut Once<'a>,
    out: &mut Vec<Finding>,
) {
    let Some(v) = registries::containerd_version(site, Some(vars)) else {
        return;
    };
    if v >= (1, 4) {
        return;
    }
    let set = vars
        .get("containerd_version")
        .filter(|x| !is_template(&x.value))
        .and_then(|x| scalar(&x.value));
    let version_text = match set {
        Some(t) => t,
        None => format!(
            "{}.{} (shipped by kubespray {})",
            v.0,
            v.1,
            site.kubespray_version()
                .map(|k| k.to_string())
                .unwrap_or_default()
        ),
    };
    {
        for r in registries::declared_any(vars).registries {
            let Some(why) = insecurity(&r) else { continue };
            let Some(name) = registries::REGISTRY_VARS
                .into_iter()
                .find(|n| *n == top_var(&r.var))
            else {
                continue;
            };
            let Some(var) = vars.get(name) else { continue };
            if !once.first(&var.origin, name) {
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
}

/// Findings already given, by definition and message: hosts inherit one
/// definition, and its finding belongs to it once.
#[derive(Default)]
struct Seen(std::collections::HashSet<(Option<kubemagic_core::Origin>, String)>);

/// `containerd_config.registries` is set through `containerd_config`.
fn top_var(var: &str) -> &str {
    var.split('.').next().unwrap_or(var)
}

fn insecurity(r: &Registry) -> Option<String> {
    if r.var == "containerd_insecure_registries" {
        return Some("insecure registries".to_string());
    }
    if let Some(m) = r.mirrors.iter().find(|m| m.is_plain_http()) {
        return Some(format!("a plain-HTTP registry ({})", m.url));
    }
    r.mirrors
        .iter()
        .any(|m| m.skip_verify)
        .then(|| "a registry with TLS verification disabled (skip_verify)".to_string())
}

/// KM402: registry variables of the wrong shape for the release.
fn shapes(
    host: &str,
    problems: &[registries::ShapeProblem],
    seen: &mut Seen,
    out: &mut Vec<Finding>,
) {
    for p in problems {
        if p.message.contains("`ca`") {
            // Said by KM404, with what to do instead.
            continue;
        }
        if !seen.0.insert((p.origin.clone(), p.message.clone())) {
            continue;
        }
        out.push(
            finding("KM402", p.message.clone())
                .host(host)
                .variable(p.var.clone())
                .at(p.origin.as_ref()),
        );
    }
}

/// KM403: kubespray 2.21 sets `config_path` as soon as an insecure registry
/// is declared, and still renders `registry.mirrors` from
/// `containerd_registries` (whose default holds docker.io): containerd's
/// CRI plugin refuses `mirrors` beside `config_path` and does not load, so
/// no pod starts (kubespray #9741). `containerd_extra_args` holding a
/// `registry.mirrors` table does the same wherever config_path is set
/// (2.27+, or `containerd_use_config_path: true` on 2.22–2.26).
fn mirrors_beside_config_path<'a>(
    site: &Site,
    host: &str,
    vars: &'a Vars,
    declared: &[Registry],
    once: &mut Once<'a>,
    out: &mut Vec<Finding>,
) {
    let Some(version) = site.kubespray_version() else {
        return;
    };
    let insecure = declared
        .iter()
        .any(|r| r.var == "containerd_insecure_registries");
    if version.major == 2 && version.minor == 21 && insecure {
        if let Some(var) = vars.get("containerd_insecure_registries") {
            if once.first(&var.origin, "KM403") {
                out.push(at_var(
                    finding(
                        "KM403",
                        "kubespray 2.21 sets registry.config_path when containerd_insecure_registries is set, and still writes registry.mirrors from containerd_registries: containerd's CRI plugin refuses the pair and does not load (kubespray #9741); upgrade to 2.22+ with containerd_use_config_path, or use `kubemagic registry render`",
                    )
                    .host(host),
                    "containerd_insecure_registries",
                    var,
                ));
            }
        }
    }
    let config_path = (version.major, version.minor) >= (2, 27)
        || ((2, 22) <= (version.major, version.minor)
            && vars
                .get("containerd_use_config_path")
                .is_some_and(|v| crate::site::truthy(&v.value)));
    if !config_path {
        return;
    }
    let Some(var) = vars.get("containerd_extra_args") else {
        return;
    };
    let mirrors = scalar(&var.value).is_some_and(|t| t.contains("registry.mirrors"));
    if mirrors && once.first(&var.origin, "KM403") {
        out.push(at_var(
            finding(
                "KM403",
                "containerd_extra_args adds a registry.mirrors table while kubespray sets registry.config_path: containerd's CRI plugin refuses the pair and does not load; declare mirrors in containerd_registries_mirrors instead",
            )
            .host(host),
            "containerd_extra_args",
            var,
        ));
    }
}

/// KM404: a registry whose certificate needs a CA file, on a kubespray
/// release whose hosts.toml cannot carry one (before 2.28, #11853): from
/// kubemagic.yml `registries:`, or `ca` in `containerd_registries_mirrors`.
fn ca_the_release_cannot_write(site: &Site, host: &str, era: Era, out: &mut Vec<Finding>) {
    if host != first_containerd_host(site).unwrap_or_default() {
        return;
    }
    let version = site
        .kubespray_version()
        .map(|v| v.to_string())
        .unwrap_or_default();
    for r in registries::from_config(&site.config.registries, None) {
        if !r.mirrors.iter().any(|m| !m.ca.is_empty()) {
            continue;
        }
        let origin = site
            .config_file
            .as_ref()
            .map(|p| kubemagic_core::Origin::new(p.clone(), None));
        out.push(
            finding(
                "KM404",
                format!(
                    "registry {} needs a CA file, but kubespray {version} ({}) cannot write one into containerd's hosts.toml (only 2.28+ can, #11853): without it containerd rejects the certificate; install the files with the role kubemagic.core.containerd_registries (or `kubemagic registry render`)",
                    r.prefix,
                    era.mirrors_var()
                ),
            )
            .variable("registries")
            .at(origin.as_ref()),
        );
    }
    if let Some(k) = site.inventory(InventoryKind::Kubespray) {
        let mut once = Once::default();
        for (h, vars) in &k.hosts {
            let d = registries::declared(vars, Era::Mirrors);
            for p in d.problems.iter().filter(|p| p.message.contains("`ca`")) {
                if once.first(&p.origin, "KM404") {
                    out.push(
                        finding("KM404", p.message.clone())
                            .host(h)
                            .variable(p.var.clone())
                            .at(p.origin.as_ref()),
                    );
                }
            }
        }
    }
}

fn first_containerd_host(site: &Site) -> Option<&str> {
    site.inventory(InventoryKind::Kubespray)?
        .hosts
        .iter()
        .find(|(_, v)| on_containerd(v))
        .map(|(h, _)| h.as_str())
}

/// Public registries whose certificates every node trusts: using them needs
/// no declaration.
const PUBLIC_REGISTRIES: [&str; 14] = [
    "docker.io",
    "registry-1.docker.io",
    "index.docker.io",
    "quay.io",
    "gcr.io",
    "k8s.gcr.io",
    "registry.k8s.io",
    "ghcr.io",
    "registry.redhat.io",
    "registry.access.redhat.com",
    "mcr.microsoft.com",
    "public.ecr.aws",
    "nvcr.io",
    "docker.elastic.co",
];

/// The registry of an image reference or repository (`reg:5000/ns/img`):
/// the first path component when it looks like a host (a `.`, a `:`, or
/// `localhost`), as container tools decide.
pub(crate) fn image_registry(reference: &str) -> Option<&str> {
    let first = reference.trim().split('/').next()?;
    let looks_like_host = reference.contains('/')
        && (first.contains('.') || first.contains(':') || first == "localhost");
    looks_like_host.then_some(first)
}

/// KM405: the images come from a private registry no registry variable
/// declares (kubespray's `*_image_repo`, `registry_host`; OpenShift's
/// `oreg_url`): containerd pulls it over HTTPS with the system CAs, so an
/// insecure or self-signed one fails at the first pod.
fn undeclared_image_registries<'a>(
    site: &Site,
    host: &str,
    vars: &'a Vars,
    declared: &[Registry],
    once: &mut Once<'a>,
    out: &mut Vec<Finding>,
) {
    let own = registries::from_config(&site.config.registries, None);
    for (name, var) in vars {
        let image_var = name.ends_with("_image_repo") || name == "registry_host";
        if !image_var || is_template(&var.value) {
            continue;
        }
        let Some(text) = scalar(&var.value) else {
            continue;
        };
        let reg = if name == "registry_host" {
            Some(text.trim())
        } else {
            image_registry(&text)
        };
        let Some(reg) = reg else { continue };
        if PUBLIC_REGISTRIES.contains(&reg)
            || declared.iter().chain(&own).any(|r| r.prefix == reg)
            || !once.first(&var.origin, name)
        {
            continue;
        }
        out.push(at_var(
            finding(
                "KM405",
                format!(
                    "{name} pulls from {reg}, which no registry variable declares: containerd will use HTTPS with the system CAs, so a plain-HTTP or self-signed registry fails at the first pod; declare it ({}, or kubemagic.yml registries:)",
                    registries::site_era(site).map_or("containerd_registries_mirrors", Era::mirrors_var)
                ),
            )
            .host(host),
            name,
            var,
        ));
    }
}

/// KM405 for OpenShift: `oreg_url` names the registry every OpenShift
/// image comes from.
fn openshift_registry(site: &Site) -> Vec<Finding> {
    let mut out = Vec::new();
    let Some(o) = site.inventory(InventoryKind::Openshift) else {
        return out;
    };
    let mut once = Once::default();
    for (host, vars) in &o.hosts {
        let Some(var) = vars.get("oreg_url") else {
            continue;
        };
        let Some(text) = scalar(&var.value) else {
            continue;
        };
        let Some(reg) = image_registry(&text) else {
            continue;
        };
        let declared = [
            "openshift_docker_insecure_registries",
            "openshift_docker_additional_registries",
        ]
        .iter()
        .filter_map(|n| vars.get(*n))
        .any(|v| {
            super::common::string_list(&v.value)
                .iter()
                .any(|r| r == reg)
        });
        if PUBLIC_REGISTRIES.contains(&reg) || declared || !once.first(&var.origin, "oreg_url") {
            continue;
        }
        out.push(at_var(
            finding(
                "KM405",
                format!("oreg_url pulls from {reg}, which neither openshift_docker_additional_registries nor openshift_docker_insecure_registries lists: the nodes' container runtime will not know it is allowed, or that it is insecure"),
            )
            .host(host),
            "oreg_url",
            var,
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::*;
    use kubemagic_inventory::Value;
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
        s.versions.set(
            crate::versions::Upstream::Kubespray,
            crate::versions::Version::new(2, 13, 2),
        );
        assert_eq!(codes(&check(&s)), vec!["KM401"]);
        s.config.upstreams.insert(
            "kubespray".into(),
            kubemagic_core::Upstream {
                url: "u".into(),
                git_ref: "v2.26.0".into(),
            },
        );
        s.versions.set(
            crate::versions::Upstream::Kubespray,
            crate::versions::Version::new(2, 26, 0),
        );
        assert!(check(&s).is_empty());
    }

    fn at(s: &mut Site, minor: u32) {
        s.versions.set(
            crate::versions::Upstream::Kubespray,
            crate::versions::Version::new(2, minor, 0),
        );
    }

    #[test]
    fn old_list_form_of_insecure_registries_on_2_19_is_km402_at_its_line() {
        let mut s = k8s(
            "1.6.4",
            json!({"docker.io": "https://registry-1.docker.io"}),
        );
        set(
            &mut s,
            InventoryKind::Kubespray,
            "node1",
            "containerd_insecure_registries",
            json!(["registry.example:5000"]),
            "gv/containerd.yml",
            7,
        );
        at(&mut s, 19);
        let f = check(&s);
        assert_eq!(codes(&f), vec!["KM402"]);
        assert_eq!(f[0].line, Some(7));
        assert!(f[0].message.contains("#9720"));
        // The same list is the right shape for 2.18.
        at(&mut s, 18);
        assert!(check(&s).is_empty());
    }

    #[test]
    fn insecure_registries_on_2_21_put_mirrors_beside_config_path() {
        let mut s = k8s(
            "1.6.9",
            json!({"docker.io": "https://registry-1.docker.io"}),
        );
        set(
            &mut s,
            InventoryKind::Kubespray,
            "node1",
            "containerd_insecure_registries",
            json!({"registry.example:5000": "http://registry.example:5000"}),
            "gv/containerd.yml",
            8,
        );
        at(&mut s, 21);
        assert_eq!(codes(&check(&s)), vec!["KM403"]);
        at(&mut s, 20);
        assert!(check(&s).is_empty());
    }

    #[test]
    fn a_mirror_ca_before_2_28_is_km404_and_insecure_skip_verify_is_km402() {
        let mut s = k8s("1.7.22", json!({}));
        set(
            &mut s,
            InventoryKind::Kubespray,
            "node1",
            "containerd_registries_mirrors",
            json!([{"prefix": "r.example:5000", "mirrors": [{"host": "https://r.example:5000", "ca": ["/etc/r.pem"], "insecure_skip_verify": true}]}]),
            "gv/containerd.yml",
            9,
        );
        at(&mut s, 26);
        let f = check(&s);
        let mut c = codes(&f);
        c.sort();
        assert_eq!(c, vec!["KM402", "KM404"]);
        at(&mut s, 28);
        assert_eq!(codes(&check(&s)), vec!["KM402"]);
    }

    #[test]
    fn images_from_an_undeclared_private_registry_are_km405_and_public_ones_pass() {
        let mut s = k8s(
            "1.6.4",
            json!({"docker.io": "https://registry-1.docker.io"}),
        );
        at(&mut s, 19);
        set(
            &mut s,
            InventoryKind::Kubespray,
            "node1",
            "kube_image_repo",
            json!("registry.k8s.io"),
            "gv/k8s.yml",
            2,
        );
        assert!(check(&s).is_empty());
        set(
            &mut s,
            InventoryKind::Kubespray,
            "node1",
            "quay_image_repo",
            json!("mirror.utgb.example:5000/quay"),
            "gv/k8s.yml",
            3,
        );
        let f = check(&s);
        assert_eq!(codes(&f), vec!["KM405"]);
        assert!(f[0].message.contains("mirror.utgb.example:5000"));
        set(
            &mut s,
            InventoryKind::Kubespray,
            "node1",
            "containerd_registries",
            json!({"docker.io": "https://registry-1.docker.io", "mirror.utgb.example:5000": "https://mirror.utgb.example:5000"}),
            "gv/containerd.yml",
            4,
        );
        assert!(check(&s).is_empty());
    }
}

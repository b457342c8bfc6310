//! The site checks: the seed's hard lessons, caught before `ansible-playbook`.
//!
//! Every check is a pure function `fn(&Site) -> Vec<Finding>`, so tests feed
//! hand-built sites as well as real folders. Every finding has a stable code
//! (documented in `docs/checks.md`) and points at the file and line of the
//! variable that caused it (the winning definition, [`Var::origin`]), because
//! an operator fixes files, not hosts.
//!
//! Code ranges: KM1xx etcd, KM2xx Ceph, KM3xx network (addresses, proxies,
//! load balancer), KM4xx registries, KM5xx upstreams, KM6xx inventory
//! layout (group_vars, host names), KM7xx OpenShift.

pub mod accept;
pub mod ceph;
pub(crate) mod common;
pub mod etcd;
pub mod groupvars;
pub mod kubespray;
pub mod naming;
pub mod network;
pub mod openshift;
pub mod registries;
pub mod registry;
pub mod upstreams;

pub use registry::{check_info, CheckInfo, REGISTRY};

use crate::site::Site;
use crate::suppress::Suppressed;
use crate::versions::SiteVersions;
use common::finding;
use kubemagic_core::redact::is_secret_name;
use kubemagic_core::Finding;
use kubemagic_inventory::Value;
use serde::Serialize;

/// A family of checks.
pub type CheckFn = fn(&Site) -> Vec<Finding>;

/// Every family, in report order.
pub const FAMILIES: &[(&str, CheckFn)] = &[
    ("etcd", etcd::check),
    ("ceph", ceph::check),
    ("network", network::check),
    ("registries", registries::check),
    ("upstreams", upstreams::check),
    ("groupvars", groupvars::check),
    ("naming", naming::check),
    ("engine", naming::engine_warnings),
    ("openshift", openshift::check),
    ("kubespray", kubespray::check),
];

/// Runs every check on the site. Findings come sorted by file, line, code,
/// host, and every message has secret values scrubbed.
pub fn run_all(site: &Site) -> Vec<Finding> {
    let mut out: Vec<Finding> = FAMILIES.iter().flat_map(|(_, f)| f(site)).collect();
    let secrets = if out.is_empty() {
        Vec::new()
    } else {
        collect_secrets(site)
    };
    for f in &mut out {
        if let std::borrow::Cow::Owned(m) = kubemagic_core::redact(&f.message) {
            f.message = m;
        }
        for s in &secrets {
            if f.message.contains(s.as_str()) {
                f.message = f.message.replace(s.as_str(), "<redacted>");
            }
        }
    }
    out.sort_by(|a, b| {
        (&a.file, a.line, &a.code, &a.host).cmp(&(&b.file, b.line, &b.code, &b.host))
    });
    out.dedup();
    out
}

/// What `kubemagic check` reports: the findings that count (and decide
/// the exit code), those the site accepted, and the upstream versions the
/// rules assumed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckReport {
    /// The findings no ignore accepted, sorted by file, line, code and host:
    /// these decide the exit code.
    pub findings: Vec<Finding>,
    /// The findings the site accepted, each with its reason and where the
    /// ignore is written: reported, never counted.
    pub suppressed: Vec<Suppressed>,
    /// The upstream releases the version-bound rules assumed, so that a reader
    /// knows which of them ran.
    pub versions: SiteVersions,
}

impl CheckReport {
    /// True when a finding that counts is an error: exit 1, `run` refuses.
    pub fn has_errors(&self) -> bool {
        kubemagic_core::finding::has_errors(&self.findings)
    }

    /// Leaves out every finding, counted or accepted, whose code is in
    /// `codes`: the command line's `-x/--skip KM...`, as ansible-lint's
    /// `-x`. Applied after the site's own ignores, so an ignore in
    /// kubemagic.yml still counts as used. Returns how many were left out.
    pub fn skip(&mut self, codes: &[String]) -> usize {
        let before = self.findings.len() + self.suppressed.len();
        let skipped = |code: &str| codes.iter().any(|c| c.eq_ignore_ascii_case(code));
        self.findings.retain(|f| !skipped(&f.code));
        self.suppressed.retain(|s| !skipped(&s.finding.code));
        before - self.findings.len() - self.suppressed.len()
    }
}

/// Runs every check and applies the site's ignores.
pub fn report(site: &Site) -> CheckReport {
    let mut all = run_all(site);
    all.extend(unknown_versions(site));
    let (mut findings, suppressed) = accept::apply(site, all);
    findings.sort_by(|a, b| {
        (&a.file, a.line, &a.code, &a.host).cmp(&(&b.file, b.line, &b.code, &b.host))
    });
    CheckReport {
        findings,
        suppressed,
        versions: site.versions.clone(),
    }
}

/// Loads the site in `dir` and runs every check: what `kubemagic check`,
/// `kubemagic run`'s pre-check and the Python `kubemagic.check(site)` do.
pub fn check_site(dir: &std::path::Path) -> Result<CheckReport, crate::site::SiteError> {
    Ok(report(&Site::load(dir)?))
}
/// One KM503 per upstream the site uses whose version is unknown, naming
/// the version-bound rules that were therefore not run.
fn unknown_versions(site: &Site) -> Vec<Finding> {
    let mut out = Vec::new();
    for uv in &site.versions.0 {
        if uv.version.is_some() {
            continue;
        }
        let skipped: Vec<&str> = REGISTRY
            .iter()
            .filter(|c| c.upstream == Some(uv.upstream) && !c.range.is_all())
            .map(|c| c.code)
            .collect();
        if skipped.is_empty() {
            continue;
        }
        let f = finding(
            "KM503",
            format!(
                "{} version unknown (no release tag in upstreams.{}.ref, none in the checkout): {} not checked, as they depend on the release; pin a release tag",
                uv.upstream,
                uv.upstream,
                skipped.join(", ")
            ),
        )
        .variable(format!("upstreams.{}.ref", uv.upstream));
        let origin = site.config_file.as_ref().map(|f| {
            kubemagic_core::Origin::new(f, site.config_ref_lines.get(uv.upstream.name()).copied())
        });
        out.push(f.at(origin.as_ref()));
    }
    out
}

/// Every string value held under a secret-named key, anywhere in the site
/// (nested ones too, e.g. an LDAP provider's `bindPassword`).
fn collect_secrets(site: &Site) -> Vec<String> {
    fn walk(name: &str, v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) if kubemagic_inventory::value_str(v).is_none() => {
                for (k, v) in m {
                    walk(k, v, out);
                }
            }
            Value::Array(a) => {
                for v in a {
                    walk(name, v, out);
                }
            }
            // An `!unsafe` string is a string too, under the same name.
            _ => match kubemagic_inventory::value_str(v) {
                Some(s) if is_secret_name(name) && s.len() >= 3 => out.push(s.to_string()),
                Some(s) if s.trim_start().starts_with('[') || s.trim_start().starts_with('{') => {
                    // INI inventories sometimes hold JSON-ish strings
                    // (openshift_master_identity_providers).
                    if let Ok(inner) = serde_json::from_str::<Value>(s) {
                        walk(name, &inner, out);
                    }
                }
                _ => {}
            },
        }
    }
    let mut out = Vec::new();
    // Hosts mostly inherit the same definitions: walk each (name, origin) once.
    let mut seen: std::collections::HashSet<(&str, Option<&kubemagic_core::Origin>)> =
        Default::default();
    for inv in &site.inventories {
        for vars in inv.hosts.values() {
            for (k, var) in vars {
                if var.origin.is_some() && !seen.insert((k.as_str(), var.origin.as_ref())) {
                    continue;
                }
                walk(k, &var.value, &mut out);
            }
        }
    }
    out.sort();
    out.dedup();
    // Longest first so that a secret containing another is scrubbed whole.
    out.sort_by_key(|s| std::cmp::Reverse(s.len()));
    out
}

#[cfg(test)]
pub(crate) mod testutil {
    //! Hand-built sites for unit tests.
    use crate::site::{InventoryKind, Site};
    use kubemagic_core::{Finding, Origin};
    use kubemagic_inventory::Value;

    pub fn site() -> Site {
        Site::new("/site")
    }

    /// Sets `name` on `host` of `kind`, with an origin `file:line`.
    pub fn set(
        site: &mut Site,
        kind: InventoryKind,
        host: &str,
        name: &str,
        value: Value,
        file: &str,
        line: u32,
    ) {
        site.inventory_mut(kind)
            .set_var(host, name, value, Some(Origin::new(file, Some(line))));
    }

    pub fn codes(findings: &[Finding]) -> Vec<&str> {
        findings.iter().map(|f| f.code.as_str()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_codes_are_unique_and_documented() {
        let docs = include_str!("../../../docs/checks.md");
        for (i, c) in REGISTRY.iter().enumerate() {
            assert!(
                REGISTRY[i + 1..].iter().all(|d| d.code != c.code),
                "duplicate {}",
                c.code
            );
            assert!(
                docs.contains(&format!("## {}", c.code)),
                "{} missing from docs/checks.md",
                c.code
            );
        }
    }

    #[test]
    fn mirrored_upstream_asserts_name_their_upstream_file_in_the_docs() {
        let docs = include_str!("../../../docs/checks.md");
        let mirrored = |c: &str| {
            c.starts_with("KM80")
                || c.starts_with("KM81")
                || c.starts_with("KM24")
                || [
                    "KM111", "KM114", "KM504", "KM704", "KM705", "KM706", "KM707", "KM708",
                ]
                .contains(&c)
        };
        for c in REGISTRY.iter().filter(|c| mirrored(c.code)) {
            let start = docs.find(&format!("## {}\n", c.code)).unwrap();
            let section = &docs[start + 4..];
            let section = &section[..section.find("\n## ").unwrap_or(section.len())];
            assert!(
                section.contains("Upstream"),
                "{}: no upstream file named",
                c.code
            );
        }
    }

    #[test]
    fn secret_values_never_reach_messages() {
        use crate::site::InventoryKind;
        let mut site = testutil::site();
        let k = site.inventory_mut(InventoryKind::Kubespray);
        for i in 1..=2 {
            k.add_host(&format!("m{i}"), &["etcd", "kube_control_plane"]);
        }
        // A (silly) quota equal to a secret's value: the message must not show it.
        for h in ["m1", "m2"] {
            testutil::set(
                &mut site,
                InventoryKind::Kubespray,
                h,
                "etcd_quota_backend_bytes",
                serde_json::json!("s3cr3tvalue"),
                "gv.yml",
                1,
            );
            testutil::set(
                &mut site,
                InventoryKind::Kubespray,
                h,
                "registry_password",
                serde_json::json!("s3cr3tvalue"),
                "gv.yml",
                2,
            );
        }
        let f = run_all(&site);
        assert!(f.iter().any(|f| f.code == "KM103"));
        assert!(
            f.iter().all(|f| !f.message.contains("s3cr3tvalue")),
            "{f:?}"
        );
    }

    #[test]
    fn unsafe_secret_values_never_reach_messages_either() {
        use crate::site::InventoryKind;
        let mut site = testutil::site();
        let k = site.inventory_mut(InventoryKind::Kubespray);
        for i in 1..=2 {
            k.add_host(&format!("m{i}"), &["etcd", "kube_control_plane"]);
        }
        let unsafe_secret = serde_json::json!({"__ansible_unsafe": "s3cr3tvalue"});
        for h in ["m1", "m2"] {
            for (i, name) in ["etcd_quota_backend_bytes", "registry_password"]
                .iter()
                .enumerate()
            {
                testutil::set(
                    &mut site,
                    InventoryKind::Kubespray,
                    h,
                    name,
                    unsafe_secret.clone(),
                    "gv.yml",
                    i as u32 + 1,
                );
            }
        }
        let f = run_all(&site);
        // The quota is read through `!unsafe` (not silently skipped)...
        assert!(f.iter().any(|f| f.code == "KM103"), "{f:?}");
        // ...and the secret behind `!unsafe` is still scrubbed.
        assert!(
            f.iter().all(|f| !f.message.contains("s3cr3tvalue")),
            "{f:?}"
        );
    }
}

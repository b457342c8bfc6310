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
pub mod etcd;
pub mod groupvars;
pub mod kubespray;
pub mod naming;
pub mod network;
pub mod openshift;
pub mod registries;
pub mod upstreams;

use crate::site::Site;
use crate::suppress::Suppressed;
use crate::versions::{Range, SiteVersions, Upstream, Version};
use kubemagic_core::redact::is_secret_name;
use kubemagic_core::{Finding, Severity};
use kubemagic_inventory::{Value, Var};
use serde::Serialize;
use std::net::IpAddr;

/// A registered check: its stable code, severity, one-line title, and the
/// upstream releases it applies to (versions are data: a rule of one
/// kubespray era must not fire on another).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckInfo {
    /// The stable code, `KM` and three digits; the hundreds name the family.
    pub code: &'static str,
    /// The severity of its findings. A check may raise it for one finding (KM601
    /// is an error when the group_vars is a renamed kubespray group).
    pub severity: Severity,
    /// What the code reports, in one line.
    pub title: &'static str,
    /// The upstream whose version selects the rule; `None`: any site.
    pub upstream: Option<Upstream>,
    /// The releases of `upstream` the rule applies to. A rule with a
    /// narrower range than all versions does not run when the version is
    /// unknown (KM503 says so once).
    pub range: Range,
}

const fn info(code: &'static str, severity: Severity, title: &'static str) -> CheckInfo {
    CheckInfo {
        code,
        severity,
        title,
        upstream: None,
        range: Range::ALL,
    }
}

const fn ver(
    code: &'static str,
    severity: Severity,
    title: &'static str,
    upstream: Upstream,
    range: Range,
) -> CheckInfo {
    CheckInfo {
        code,
        severity,
        title,
        upstream: Some(upstream),
        range,
    }
}

const V2_28: Version = Version::new(2, 28, 0);
const KS: Upstream = Upstream::Kubespray;
const CA: Upstream = Upstream::CephAnsible;

use Severity::{Error as E, Info as I, Warning as W};

/// Every finding code kubemagic check can emit. `docs/checks.md` has one
/// section per entry (a test keeps the two in sync).
pub const REGISTRY: &[CheckInfo] = &[
    info("KM101", E, "etcd quota below 1 GiB"),
    info("KM102", W, "etcd quota above 8 GiB"),
    info("KM103", E, "etcd quota written with a unit or not a number"),
    info("KM104", E, "etcd members with different quotas"),
    info(
        "KM105",
        W,
        "etcd memory limit below the quota (etcd in a container)",
    ),
    info("KM111", E, "even number of etcd members"),
    info("KM112", W, "fewer than 3 etcd members"),
    info("KM113", E, "no control plane host"),
    info("KM114", E, "no etcd group where kubespray requires one"),
    info("KM201", E, "even number of Ceph monitors"),
    info("KM202", E, "Ceph monitor without a monitor address"),
    info("KM203", E, "Ceph OSD without devices"),
    info(
        "KM211",
        E,
        "provisioner monitors are not the Ceph monitors (v1, port 6789)",
    ),
    info(
        "KM212",
        W,
        "rbd provisioner pool not created by ceph-ansible",
    ),
    info("KM213", E, "rbd image features other than layering"),
    info("KM241", E, "unsupported ceph_origin / ceph_repository"),
    info("KM242", E, "unsupported osd_objectstore"),
    info("KM243", E, "lvm_volumes entry without data (or journal)"),
    info(
        "KM244",
        E,
        "dashboard enabled without a grafana-server host",
    ),
    ver(
        "KM245",
        E,
        "ceph_stable_release not the one this ceph-ansible installs",
        CA,
        Range::from(Version::new(3, 0, 0)),
    ),
    info("KM301", E, "one host, several addresses"),
    info("KM311", E, "no_proxy does not cover the cluster"),
    info("KM321", E, "load balancer with fewer than 2 hosts"),
    info(
        "KM322",
        E,
        "Keepalived VIP is not the API load balancer address",
    ),
    info(
        "KM323",
        E,
        "control plane host missing from the load balancer backends",
    ),
    info(
        "KM324",
        I,
        "load balancer variables unknown to kubemagic: not checked",
    ),
    info("KM401", E, "insecure registry on containerd older than 1.4"),
    ver(
        "KM402",
        E,
        "registry variable of the wrong shape for the pinned kubespray",
        KS,
        Range::from(Version::new(2, 0, 0)),
    ),
    ver(
        "KM403",
        E,
        "registry mirrors beside config_path: containerd's CRI plugin does not load",
        KS,
        Range::from(Version::new(2, 21, 0)),
    ),
    ver(
        "KM404",
        W,
        "registry CA the pinned kubespray cannot write into hosts.toml",
        KS,
        Range::from(Version::new(2, 0, 0)),
    ),
    info(
        "KM405",
        W,
        "images from a private registry no registry variable declares",
    ),
    info("KM501", W, "upstream pinned to a branch"),
    info("KM502", E, "cert-manager deployed from an upstream branch"),
    info(
        "KM503",
        I,
        "upstream version unknown: version-bound rules skipped",
    ),
    ver(
        "KM504",
        E,
        "variable removed by the pinned kubespray (it refuses to run)",
        KS,
        Range::from(V2_28),
    ),
    ver(
        "KM505",
        W,
        "variable the pinned kubespray ignores",
        KS,
        Range::from(Version::new(2, 0, 0)),
    ),
    info("KM601", W, "group_vars for no group"),
    info("KM602", E, "host name not lowercase RFC 1123"),
    info("KM603", W, "host_vars for no host"),
    info(
        "KM604",
        W,
        "the inventory engine (or Ansible) warns about a source",
    ),
    info("KM701", E, "OpenShift node without a valid node group"),
    info("KM702", E, "malformed LDAP identity provider"),
    info(
        "KM703",
        E,
        "LDAP identity provider verifying TLS without a CA",
    ),
    info("KM704", E, "variable removed in OpenShift 3.10+"),
    info("KM705", E, "malformed openshift_node_groups"),
    info(
        "KM706",
        E,
        "several masters without openshift_master_cluster_hostname",
    ),
    info(
        "KM707",
        E,
        "openshift_deployment_type missing or unsupported",
    ),
    info("KM708", E, "more than one OpenShift network plugin"),
    info("KM801", E, "unsupported kube_network_plugin"),
    info("KM802", E, "unsupported kube_proxy_mode"),
    info("KM803", E, "unsupported dns_mode"),
    info("KM804", E, "unsupported container_manager"),
    info("KM805", E, "unsupported etcd_deployment_type"),
    info("KM806", E, "kubespray boolean written as a string"),
    info("KM807", E, "pod or service subnet invalid or overlapping"),
    info("KM808", E, "pod subnet too small for the node count"),
    info(
        "KM809",
        E,
        "kubelet_max_pods above the addresses of a node's pod range",
    ),
    info("KM810", E, "unsupported cert_management or resolvconf_mode"),
    info("KM901", W, "ignore that matches no finding"),
];

/// Looks up a code in the registry.
pub fn check_info(code: &str) -> Option<&'static CheckInfo> {
    REGISTRY.iter().find(|c| c.code == code)
}

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

/// Whether the rule `code` applies to the site's version of its upstream.
/// A version-bound rule does not run when the version is unknown.
pub(crate) fn applies(site: &Site, code: &str) -> bool {
    let Some(info) = check_info(code) else {
        return true;
    };
    match info.upstream {
        Some(u) if !info.range.is_all() => {
            site.versions.get(u).is_some_and(|v| info.range.contains(v))
        }
        _ => true,
    }
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

// ---------------------------------------------------------------- helpers

/// Builds a finding for `code` (severity from the registry) at the origin of `var`.
pub(crate) fn finding(code: &str, message: impl Into<String>) -> Finding {
    let severity = check_info(code)
        .map(|c| c.severity)
        .unwrap_or(Severity::Error);
    Finding::new(code, severity, message)
}

pub(crate) fn at_var(f: Finding, name: &str, var: &Var) -> Finding {
    f.variable(name).at(var.origin.as_ref())
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

/// Remembers which (definition, key) pairs were already reported: hosts
/// inherit the same definition, and its finding belongs to it once, not
/// once per host. Hashed, so a 5,000-host site stays linear.
/// The origin is cloned only the first time: most calls (every host
/// inheriting a group_vars definition) are lookups.
#[derive(Default)]
pub(crate) struct Once<'a>(
    std::collections::HashMap<&'a str, std::collections::HashSet<Option<kubemagic_core::Origin>>>,
);

impl<'a> Once<'a> {
    /// True the first time this definition is seen with this key.
    pub(crate) fn first(&mut self, origin: &Option<kubemagic_core::Origin>, key: &'a str) -> bool {
        let seen = self.0.entry(key).or_default();
        if seen.contains(origin) {
            return false;
        }
        seen.insert(origin.clone());
        true
    }
}

pub(crate) use crate::values::{is_template, scalar};

/// The address kubespray uses for a node: `ip`, else `access_ip`, else
/// `ansible_host`, else the name when it is an address.
pub(crate) fn node_address(inv: &crate::site::SiteInventory, host: &str) -> Option<IpAddr> {
    for name in crate::site::NODE_ADDRESS_VARS {
        if let Some(v) = inv.var(host, name) {
            if let Some(ip) = scalar(&v.value).and_then(|s| s.trim().parse::<IpAddr>().ok()) {
                return Some(ip);
            }
        }
    }
    host.parse().ok()
}

/// Parses a YAML/INI value that may be a list, or a string holding a list
/// (comma-separated or JSON), into strings.
pub(crate) fn string_list(v: &Value) -> Vec<String> {
    match v {
        Value::Array(a) => a.iter().filter_map(scalar).collect(),
        Value::String(s) => {
            let t = s.trim();
            if t.starts_with('[') {
                if let Ok(Value::Array(a)) = serde_json::from_str::<Value>(t) {
                    return a.iter().filter_map(scalar).collect();
                }
            }
            t.split(',')
                .map(|p| p.trim().to_string())
                .filter(|p| !p.is_empty())
                .collect()
        }
        other => scalar(other).into_iter().collect(),
    }
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

    #[test]
    fn string_list_reads_lists_and_comma_strings() {
        assert_eq!(
            string_list(&serde_json::json!("a:1, b:2")),
            vec!["a:1", "b:2"]
        );
        assert_eq!(string_list(&serde_json::json!(["x", 3])), vec!["x", "3"]);
    }
}

//! `kubemagic.yml`: the optional description of a site.
//!
//! Pure types only. Reading the file (YAML, typed as Ansible types YAML) is
//! done by `kubemagic_site::site`, which deserialises into these types
//! through `serde_json::Value`. Every field has a default so that a site
//! without `kubemagic.yml` still works.

pub use crate::flavor::Flavor;
use crate::phase_spec::PhaseOverride;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// An upstream Ansible project pinned to a ref (tag, commit or branch).
///
/// Pinned because versions are data: the kubespray or ceph-ansible release a
/// site uses selects which variables exist and which rules the checks apply,
/// and the seed's `make init` fetched whatever the branch held that day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Upstream {
    /// Where to clone from. May carry credentials, so it is only ever printed
    /// through [`crate::redact()`].
    pub url: String,
    /// Tag, commit or branch, written `ref` in kubemagic.yml (`ref` is a Rust
    /// keyword, hence the field name).
    #[serde(rename = "ref")]
    pub git_ref: String,
}

/// The contents of a site's `kubemagic.yml`.
///
/// Unknown keys are rejected (`deny_unknown_fields`): a misspelt key such as
/// `flavour` would otherwise be ignored and the site silently deployed with
/// the default. Every field is optional so that a seed site without the file
/// works unchanged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct SiteConfig {
    /// Site name; defaults to the directory name.
    #[serde(default)]
    pub name: Option<String>,
    /// The orchestrator. `None` when not written, kept distinct from an
    /// explicit `kubespray`: the runner then infers it from the inventories
    /// the site has (an OpenShift one and no kubespray one: openshift), and
    /// `kubemagic check` says "flavor not set" instead of claiming a choice.
    #[serde(default)]
    pub flavor: Option<Flavor>,
    /// Name of the kubespray inventory folder (`kubespray/inventory/<name>`);
    /// defaults to the site name, or the only folder present.
    #[serde(default)]
    pub kubespray_inventory: Option<String>,
    /// Keyed by `kubespray`, `ceph-ansible`, `openshift-ansible`.
    #[serde(default)]
    pub upstreams: BTreeMap<String, Upstream>,
    /// Enabled addons, e.g. `logging`, `prometheus`, `tekton`, `cert_manager`.
    #[serde(default)]
    pub addons: Vec<String>,
    /// Phases added to or overriding the default catalog (see
    /// `kubemagic_core::phase::Catalog::for_site`).
    #[serde(default)]
    pub phases: Vec<PhaseOverride>,
    /// What `kubemagic check` is told about the site: accepted findings.
    #[serde(default)]
    pub checks: ChecksConfig,
    /// The site's own API load balancer role, when it does not use
    /// kubemagic's variable names (`keepalived_vip`,
    /// `haproxy_apiserver_backends`): which variables hold the VIP and the
    /// backends, so that the load balancer checks can read them.
    #[serde(default)]
    pub lb: Option<LbConfig>,
    /// Container registries the site's containerd must reach, in the
    /// newest kubespray shape (2.28's `containerd_registries_mirrors`
    /// entries): declared once here, `kubemagic registry render` writes
    /// them for any containerd and prints the variables of the site's own
    /// kubespray release.
    #[serde(default)]
    pub registries: Vec<RegistryConfig>,
}

/// One entry of `registries:` in kubemagic.yml: the images whose names
/// start with `prefix` (`docker.io`, `registry.example:5000`) are pulled
/// from `mirrors`, in order, then from `server`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RegistryConfig {
    /// The registry as image names spell it: `host[:port]`.
    pub prefix: String,
    /// The upstream server (defaults to `https://<prefix>`).
    #[serde(default)]
    pub server: Option<String>,
    /// Where to pull from instead, tried in order.
    #[serde(default)]
    pub mirrors: Vec<MirrorConfig>,
}

/// One mirror of a [`RegistryConfig`] (containerd's `[host."URL"]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct MirrorConfig {
    /// `https://mirror:5000` or `http://mirror:5000` (plain HTTP).
    pub host: String,
    /// containerd capabilities; defaults to `[pull, resolve]`.
    #[serde(default)]
    pub capabilities: Vec<String>,
    /// Accept any certificate (never needed with `ca`).
    #[serde(default)]
    pub skip_verify: bool,
    /// CA files (on the nodes) the mirror's certificate chains to.
    #[serde(default)]
    pub ca: Vec<String>,
}

/// `checks:` in kubemagic.yml.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ChecksConfig {
    /// Findings the site accepts on purpose, each with its reason.
    #[serde(default)]
    pub ignore: Vec<IgnoreRule>,
}

/// One accepted finding: `{code: KM102, reason: "...", hosts: [...], groups: [...]}`.
/// Without `hosts`/`groups` it accepts the code everywhere. The reason is
/// an `Option` only so that the reader can report its absence with the
/// file and line (a reason is required: an ignore nobody can explain is
/// one nobody dares remove).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct IgnoreRule {
    /// The finding code accepted, e.g. `KM102`.
    pub code: String,
    /// Why the site accepts it (required; `None` only so that its absence
    /// can be reported at the entry's line).
    #[serde(default)]
    pub reason: Option<String>,
    /// Only findings about these hosts.
    #[serde(default)]
    pub hosts: Vec<String>,
    /// Only findings about these groups, or about hosts in them.
    #[serde(default)]
    pub groups: Vec<String>,
}

/// `lb:` in kubemagic.yml: the variable names of the site's own
/// HAProxy/Keepalived role (on the hosts of the `lb` group of `custom/`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct LbConfig {
    /// Variable holding the virtual address serving the API.
    #[serde(default)]
    pub vip_var: Option<String>,
    /// Variable listing the API server backends (names, addresses,
    /// `address:port`, or mappings with `name`/`address`).
    #[serde(default)]
    pub backends_var: Option<String>,
}

impl SiteConfig {
    /// Deserialises from a JSON-like value (what the YAML reader returns).
    pub fn from_value(v: serde_json::Value) -> Result<SiteConfig, serde_json::Error> {
        serde_json::from_value(v)
    }
    /// Whether `addon` is listed in `addons`: the test an addon phase's
    /// `applies_when.addon` makes.
    pub fn addon_enabled(&self, addon: &str) -> bool {
        self.addons.iter().any(|a| a == addon)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_config_has_defaults() {
        let c = SiteConfig::from_value(serde_json::json!({})).unwrap();
        assert_eq!(c.flavor, None);
        assert!(c.upstreams.is_empty());
    }

    #[test]
    fn unknown_key_is_rejected() {
        assert!(SiteConfig::from_value(serde_json::json!({"flavour": "kubespray"})).is_err());
    }

    #[test]
    fn upstream_ref_is_read() {
        let c = SiteConfig::from_value(serde_json::json!({
            "flavor": "openshift",
            "upstreams": {"kubespray": {"url": "https://example.invalid/k.git", "ref": "v2.13.2"}},
            "addons": ["tekton"]
        }))
        .unwrap();
        assert_eq!(c.flavor, Some(Flavor::Openshift));
        assert_eq!(c.upstreams["kubespray"].git_ref, "v2.13.2");
        assert!(c.addon_enabled("tekton"));
    }

    #[test]
    fn ignores_and_lb_are_read() {
        let c = SiteConfig::from_value(serde_json::json!({
            "checks": {"ignore": [{"code": "KM102", "reason": "20 GiB on purpose", "groups": ["etcd"]}]},
            "lb": {"vip_var": "haproxy_vip"}
        }))
        .unwrap();
        assert_eq!(c.checks.ignore[0].code, "KM102");
        assert_eq!(c.checks.ignore[0].groups, vec!["etcd"]);
        assert_eq!(c.lb.unwrap().vip_var.as_deref(), Some("haproxy_vip"));
        assert!(SiteConfig::from_value(serde_json::json!({"checks": {"skip": []}})).is_err());
    }
}

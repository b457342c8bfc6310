//! The one reading of a site's container registries, per kubespray release.
//!
//! kubespray changed the shape of its registry variables five times, and a
//! variable of another release's shape is silently ignored or crashes the
//! containerd task. Which variable a release reads, and in which shape, is
//! data here ([`Era`]), read from kubespray's own role at each tag
//! (`roles/container-engine/containerd/defaults/main.yml` and
//! `templates/config.toml.j2`, `templates/hosts.toml.j2`):
//!
//! | kubespray | variable | shape |
//! |---|---|---|
//! | ≤ 2.15 | `containerd_config.registries` | `{name: url \| [url]}` (mirror endpoints) |
//! | 2.16–2.17 | `containerd_registries` | `{name: url \| [url]}` |
//! | 2.18 | + `containerd_insecure_registries` | a list of addresses (`for addr in …`), TLS verification off |
//! | 2.19–2.22 | + `containerd_insecure_registries` | a mapping `{name: url \| [url]}` (`.items()`: a list crashes the task, kubespray #9720) |
//! | 2.21 | (config_path is set as soon as an insecure registry is, beside the mirrors: the CRI plugin refuses the pair, #9741) | |
//! | 2.22 | `containerd_use_config_path` chooses config_path *or* mirrors | |
//! | 2.23–2.26 | `containerd_registries_mirrors` | `[{prefix, mirrors: [{host, capabilities, skip_verify, override_path}]}]`; hosts.toml always written, config_path only with `containerd_use_config_path` |
//! | 2.27 | the same; config_path always (`containerd_use_config_path` gone) | |
//! | ≥ 2.28 | the same plus `server`, `ca`, `client` per mirror; containerd 2.x, whose config has no `registry.configs…auth`: `containerd_registry_auth` has no effect (#12296) | |
//!
//! `containerd_registries` was still in 2.23's defaults but no template read
//! it; 2.24 removed it and `containerd_insecure_registries`.
//!
//! Everything that interprets these variables is here: the checks
//! (`checks/registries.rs`, and KM505 in `checks/kubespray.rs`) and the
//! renderer (`kubemagic-registry`) consume [`Registry`] values.

use crate::site::{InventoryKind, Site};
use crate::values::{is_template, scalar};
use crate::versions::Version;
use kubemagic_core::{Origin, RegistryConfig};
use kubemagic_inventory::{Value, Var, Vars};
use serde::Serialize;

/// Which registry variables a kubespray release reads, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Era {
    /// ≤ 2.15: `containerd_config.registries`.
    ConfigRegistries,
    /// 2.16–2.17: `containerd_registries`.
    Registries,
    /// 2.18: `containerd_registries` + `containerd_insecure_registries` as a list.
    InsecureList,
    /// 2.19–2.22: `containerd_registries` + `containerd_insecure_registries` as a mapping.
    InsecureMap,
    /// 2.23–2.27: `containerd_registries_mirrors`.
    Mirrors,
    /// ≥ 2.28: `containerd_registries_mirrors` with `server`/`ca`/`client`; containerd 2.x.
    MirrorsCa,
}

impl Era {
    /// The era of a kubespray release.
    pub fn of(v: Version) -> Era {
        match (v.major, v.minor) {
            (2, m) if m <= 15 => Era::ConfigRegistries,
            (2, 16..=17) => Era::Registries,
            (2, 18) => Era::InsecureList,
            (2, 19..=22) => Era::InsecureMap,
            (2, 23..=27) => Era::Mirrors,
            (maj, _) if maj < 2 => Era::ConfigRegistries,
            _ => Era::MirrorsCa,
        }
    }

    /// The variable this era reads registry mirrors from (as a message
    /// names it).
    pub fn mirrors_var(self) -> &'static str {
        match self {
            Era::ConfigRegistries => "containerd_config.registries",
            Era::Registries | Era::InsecureList | Era::InsecureMap => "containerd_registries",
            Era::Mirrors | Era::MirrorsCa => "containerd_registries_mirrors",
        }
    }

    /// Whether a top-level registry variable is read by this era at all.
    /// `containerd_config` counts only for its `registries` key.
    pub fn reads(self, name: &str) -> bool {
        match name {
            "containerd_config" => self == Era::ConfigRegistries,
            "containerd_registries" => {
                matches!(self, Era::Registries | Era::InsecureList | Era::InsecureMap)
            }
            "containerd_insecure_registries" => {
                matches!(self, Era::InsecureList | Era::InsecureMap)
            }
            "containerd_registries_mirrors" => matches!(self, Era::Mirrors | Era::MirrorsCa),
            // Read since 2.17 (config.toml's registry.configs…auth); the
            // containerd 2.x config of 2.28+ has no such section.
            "containerd_registry_auth" => self >= Era::Registries && self < Era::MirrorsCa,
            "containerd_use_config_path" => matches!(self, Era::InsecureMap | Era::Mirrors),
            _ => true,
        }
    }

    /// Whether the hosts.toml this era writes can carry a CA file.
    pub fn supports_ca(self) -> bool {
        self == Era::MirrorsCa
    }
}

/// The registry variables kubespray has had, in any release.
pub const REGISTRY_VARS: [&str; 6] = [
    "containerd_config",
    "containerd_registries",
    "containerd_insecure_registries",
    "containerd_registries_mirrors",
    "containerd_registry_auth",
    "containerd_use_config_path",
];

/// One mirror of a registry: containerd's `[host."URL"]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mirror {
    /// `https://mirror:5000`, or `http://…` for plain HTTP. A bare
    /// `host:port` as kubespray 2.18's insecure list holds it gets
    /// `https://` (with `skip_verify`), as containerd does.
    pub url: String,
    /// `pull`, `resolve`, `push`.
    pub capabilities: Vec<String>,
    /// TLS verification off.
    pub skip_verify: bool,
    /// CA files on the node.
    pub ca: Vec<String>,
}

impl Mirror {
    fn new(url: &str, skip_verify: bool) -> Mirror {
        let url = url.trim();
        let url = if url.contains("://") {
            url.to_string()
        } else {
            format!("https://{url}")
        };
        Mirror {
            url,
            capabilities: vec!["pull".into(), "resolve".into()],
            skip_verify,
            ca: Vec::new(),
        }
    }

    /// Plain HTTP.
    pub fn is_plain_http(&self) -> bool {
        self.url.starts_with("http://")
    }
}

/// One registry as the site declares it: images named `prefix/...` are
/// pulled from `mirrors`, then `server`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Registry {
    /// `host[:port]` as image names spell it.
    pub prefix: String,
    /// The upstream server; `https://<prefix>` when `None`.
    pub server: Option<String>,
    /// Mirrors, in order.
    pub mirrors: Vec<Mirror>,
    /// The variable it was declared in (`kubemagic.yml registries` for the
    /// site's own declaration).
    pub var: String,
    /// Where.
    #[serde(skip)]
    pub origin: Option<Origin>,
}

impl Registry {
    /// The server URL, defaulted as containerd and kubespray do.
    /// (`docker.io` is served by `registry-1.docker.io`, as containerd's
    /// docs/hosts.md says.)
    pub fn server_url(&self) -> String {
        match (&self.server, self.prefix.as_str()) {
            (Some(s), _) => s.clone(),
            (None, "docker.io") => "https://registry-1.docker.io".to_string(),
            (None, p) => format!("https://{p}"),
        }
    }

    /// Whether pulling needs an insecure transport (plain HTTP or TLS
    /// verification off) somewhere.
    pub fn is_insecure(&self) -> bool {
        self.server_url().starts_with("http://")
            || self
                .mirrors
                .iter()
                .any(|m| m.skip_verify || m.is_plain_http())
    }
}

/// A registry variable whose value does not have the shape its release
/// reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShapeProblem {
    /// The variable.
    pub var: String,
    /// Where it was set.
    pub origin: Option<Origin>,
    /// What is wrong and what it does.
    pub message: String,
}

/// What one host's variables declare.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Declared {
    /// The registries the release reads, merged by prefix in declaration
    /// order.
    pub registries: Vec<Registry>,
    /// Values of the wrong shape for the release.
    pub problems: Vec<ShapeProblem>,
}

/// The registries a host's kubespray variables declare for `era`. Values
/// still holding a Jinja template are not read (their value is not known
/// before Ansible runs).
pub fn declared(vars: &Vars, era: Era) -> Declared {
    let mut d = Declared::default();
    for name in REGISTRY_VARS {
        let Some(var) = vars.get(name) else { continue };
        if is_template(&var.value) || !era.reads(name) {
            continue;
        }
        match name {
            "containerd_config" => {
                if let Some(r) = var.value.get("registries") {
                    name_to_urls(&mut d, "containerd_config.registries", r, var, false);
                }
            }
            "containerd_registries" => name_to_urls(&mut d, name, &var.value, var, false),
            "containerd_insecure_registries" => insecure(&mut d, era, var),
            "containerd_registries_mirrors" => mirrors(&mut d, era, var),
            _ => {}
        }
    }
    d
}

/// The site's own `registries:` from kubemagic.yml.
pub fn from_config(cfg: &[RegistryConfig], origin: Option<&Origin>) -> Vec<Registry> {
    cfg.iter()
        .map(|r| Registry {
            prefix: r.prefix.clone(),
            server: r.server.clone(),
            mirrors: r
                .mirrors
                .iter()
                .map(|m| Mirror {
                    url: Mirror::new(&m.host, m.skip_verify).url,
                    capabilities: if m.capabilities.is_empty() {
                        vec!["pull".into(), "resolve".into()]
                    } else {
                        m.capabilities.clone()
                    },
                    skip_verify: m.skip_verify,
                    ca: m.ca.clone(),
                })
                .collect(),
            var: "kubemagic.yml registries".into(),
            origin: origin.cloned(),
        })
        .collect()
}

/// The registries a host's variables declare in any release's shape: for a
/// site whose kubespray version is unknown, what it evidently means (shape
/// problems need the version and are left out).
pub fn declared_any(vars: &Vars) -> Declared {
    let mut d = Declared::default();
    for era in [
        Era::ConfigRegistries,
        Era::InsecureList,
        Era::InsecureMap,
        Era::MirrorsCa,
    ] {
        for r in declared(vars, era).registries {
            add(&mut d, r);
        }
    }
    d
}

/// The era of the site's kubespray, `None` when its version is unknown.
pub fn site_era(site: &Site) -> Option<Era> {
    site.kubespray_version().map(Era::of)
}

/// Every registry one host must reach, by the site's one reading: the
/// kubespray variables of its release, then kubemagic.yml's `registries:`
/// (which wins for a prefix both declare: it is the site's own, newest
/// shape). With the version unknown, every release's shape is read
/// ([`declared_any`]).
pub fn for_host(site: &Site, host: &str) -> Declared {
    let era = site_era(site);
    let mut d = site
        .inventory(InventoryKind::Kubespray)
        .and_then(|k| k.hosts.get(host))
        .map(|vars| match era {
            Some(era) => declared(vars, era),
            None => declared_any(vars),
        })
        .unwrap_or_default();
    let origin = site
        .config_file
        .as_ref()
        .map(|p| Origin::new(p.clone(), None));
    for r in from_config(&site.config.registries, origin.as_ref()) {
        d.registries.retain(|x| x.prefix != r.prefix);
        d.registries.push(r);
    }
    d
}

fn add(d: &mut Declared, reg: Registry) {
    if let Some(x) = d.registries.iter_mut().find(|x| x.prefix == reg.prefix) {
        for m in reg.mirrors {
            match x.mirrors.iter_mut().find(|y| y.url == m.url) {
                Some(y) => y.skip_verify |= m.skip_verify,
                None => x.mirrors.push(m),
            }
        }
    } else {
        d.registries.push(reg);
    }
}

fn problem(d: &mut Declared, var: &str, at: &Var, message: String) {
    d.problems.push(ShapeProblem {
        var: var.to_string(),
        origin: at.origin.clone(),
        message,
    });
}

fn registry(prefix: &str, mirrors: Vec<Mirror>, name: &str, var: &Var) -> Registry {
    Registry {
        prefix: prefix.to_string(),
        server: None,
        mirrors,
        var: name.to_string(),
        origin: var.origin.clone(),
    }
}

/// `{name: url | [url]}`: `containerd_config.registries`,
/// `containerd_registries`, and 2.19–2.22's insecure mapping.
fn name_to_urls(d: &mut Declared, name: &str, v: &Value, var: &Var, skip_verify: bool) {
    let Value::Object(map) = v else {
        problem(
            d,
            name,
            var,
            format!(
                "{name} must be a mapping of registry name to endpoint URL(s) (`docker.io: https://mirror`); kubespray calls `.items()` on it, and a {} fails the containerd task",
                kind(v)
            ),
        );
        return;
    };
    for (prefix, urls) in map {
        let list: Vec<String> = match urls {
            Value::Array(a) => a.iter().filter_map(scalar).collect(),
            other => scalar(other).into_iter().collect(),
        };
        if list.is_empty() {
            problem(d, name, var, format!("{name}.{prefix} has no endpoint URL"));
            continue;
        }
        let mirrors = list.iter().map(|u| Mirror::new(u, skip_verify)).collect();
        add(d, registry(prefix, mirrors, name, var));
    }
}

/// `containerd_insecure_registries`: a list of addresses in 2.18, a
/// mapping from 2.19 on.
fn insecure(d: &mut Declared, era: Era, var: &Var) {
    let name = "containerd_insecure_registries";
    match (&var.value, era) {
        (Value::Array(items), Era::InsecureList) => {
            for addr in items.iter().filter_map(scalar) {
                let prefix = addr
                    .split_once("://")
                    .map_or(addr.as_str(), |(_, rest)| rest)
                    .trim_end_matches('/')
                    .to_string();
                add(d, registry(&prefix, vec![Mirror::new(&addr, true)], name, var));
            }
        }
        (Value::Object(_), Era::InsecureList) => problem(
            d,
            name,
            var,
            format!("{name} is a mapping, but kubespray 2.18 iterates it as a list of addresses: its keys become mirror endpoints; write a list (`- registry.example:5000`)"),
        ),
        (Value::Array(_), _) => problem(
            d,
            name,
            var,
            format!("{name} is a list, but kubespray 2.19 to 2.22 read a mapping (`registry: http://address`): the old list form fails the containerd task (`'list object' has no attribute 'items'`, kubespray #9720)"),
        ),
        (v, _) => name_to_urls(d, name, v, var, true),
    }
}

/// `containerd_registries_mirrors` (2.23+).
fn mirrors(d: &mut Declared, era: Era, var: &Var) {
    let name = "containerd_registries_mirrors";
    let Value::Array(items) = &var.value else {
        problem(
            d,
            name,
            var,
            format!(
                "{name} must be a list of `{{prefix, mirrors: [{{host, capabilities, skip_verify}}]}}`, not a {}; the containerd task fails",
                kind(&var.value)
            ),
        );
        return;
    };
    for (i, item) in items.iter().enumerate() {
        let Some(prefix) = item.get("prefix").and_then(scalar) else {
            problem(d, name, var, format!("{name}[{i}] has no `prefix`"));
            continue;
        };
        let Some(Value::Array(ms)) = item.get("mirrors") else {
            problem(
                d,
                name,
                var,
                format!("{name}[{i}] ({prefix}) has no `mirrors` list: kubespray renders no endpoint for it"),
            );
            continue;
        };
        let mut out = Vec::new();
        for m in ms {
            let Some(host) = m.get("host").and_then(scalar) else {
                problem(
                    d,
                    name,
                    var,
                    format!("{name}[{i}] ({prefix}): a mirror without `host`"),
                );
                continue;
            };
            if m.get("insecure_skip_verify").is_some() {
                problem(
                    d,
                    name,
                    var,
                    format!("{name}[{i}] ({prefix}): `insecure_skip_verify` is not read (kubespray #9192); the key is `skip_verify`"),
                );
            }
            if m.get("ca").is_some() && !era.supports_ca() {
                problem(
                    d,
                    name,
                    var,
                    format!("{name}[{i}] ({prefix}): `ca` is written to hosts.toml only since kubespray 2.28 (#11853); this release ignores it, so the mirror's certificate is not trusted: use the role kubemagic.core.containerd_registries, or `kubemagic registry render`"),
                );
            }
            let mut mirror =
                Mirror::new(&host, m.get("skip_verify").is_some_and(crate::site::truthy));
            if let Some(caps) = m.get("capabilities") {
                let caps: Vec<String> = match caps {
                    Value::Array(a) => a.iter().filter_map(scalar).collect(),
                    other => scalar(other).into_iter().collect(),
                };
                if !caps.is_empty() {
                    mirror.capabilities = caps;
                }
            }
            if era.supports_ca() {
                mirror.ca = match m.get("ca") {
                    Some(Value::Array(a)) => a.iter().filter_map(scalar).collect(),
                    Some(other) => scalar(other).into_iter().collect(),
                    None => Vec::new(),
                };
            }
            out.push(mirror);
        }
        let mut reg = registry(&prefix, out, name, var);
        if era.supports_ca() {
            reg.server = item.get("server").and_then(scalar);
        }
        add(d, reg);
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Array(_) => "list",
        Value::Object(_) => "mapping",
        Value::String(_) => "string",
        Value::Number(_) => "number",
        Value::Bool(_) => "boolean",
        Value::Null => "null",
    }
}

/// The containerd (major, minor) a host runs: `containerd_version`, else
/// what its kubespray release installs by default (`containerd_version` in
/// the download role's defaults: 1.2 up to 2.14, 1.3 in 2.15, 1.4 in
/// 2.16–2.17, 1.5 in 2.18, 1.6–1.7 in 2.19–2.27, 2.x from 2.28).
pub fn containerd_version(site: &Site, vars: Option<&Vars>) -> Option<(u32, u32)> {
    let set = vars
        .and_then(|v| v.get("containerd_version"))
        .filter(|v| !is_template(&v.value))
        .and_then(|v| scalar(&v.value))
        .and_then(|t| Version::parse(&t));
    if let Some(v) = set {
        return Some((v.major, v.minor));
    }
    let k = site.kubespray_version()?;
    Some(match (k.major, k.minor) {
        (2, m) if m <= 14 => (1, 2),
        (2, 15) => (1, 3),
        (2, 16..=17) => (1, 4),
        (2, 18) => (1, 5),
        (2, 19..=21) => (1, 6),
        (2, 22..=27) => (1, 7),
        _ => (2, 0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn vars(pairs: &[(&str, Value)]) -> Vars {
        pairs
            .iter()
            .map(|(k, v)| {
                (
                    k.to_string(),
                    Var {
                        value: v.clone(),
                        origin: Some(Origin::new("gv/containerd.yml", Some(3))),
                    },
                )
            })
            .collect()
    }

    #[test]
    fn eras_follow_the_kubespray_tags() {
        let e = |m| Era::of(Version::new(2, m, 0));
        assert_eq!(e(13), Era::ConfigRegistries);
        assert_eq!(e(15), Era::ConfigRegistries);
        assert_eq!(e(16), Era::Registries);
        assert_eq!(e(18), Era::InsecureList);
        assert_eq!(e(19), Era::InsecureMap);
        assert_eq!(e(22), Era::InsecureMap);
        assert_eq!(e(23), Era::Mirrors);
        assert_eq!(e(27), Era::Mirrors);
        assert_eq!(e(28), Era::MirrorsCa);
    }

    #[test]
    fn the_old_list_form_of_insecure_registries_is_a_shape_problem_on_2_19() {
        let v = vars(&[("containerd_insecure_registries", json!(["r.example:5000"]))]);
        let d = declared(&v, Era::InsecureMap);
        assert!(d.registries.is_empty());
        assert!(d.problems[0].message.contains("#9720"), "{:?}", d.problems);
        let d = declared(&v, Era::InsecureList);
        assert_eq!(d.registries[0].prefix, "r.example:5000");
        assert!(d.registries[0].mirrors[0].skip_verify);
    }

    #[test]
    fn mirrors_read_with_capabilities_and_ca_only_where_the_release_writes_it() {
        let v = vars(&[(
            "containerd_registries_mirrors",
            json!([{"prefix": "registry.example:5000",
                    "mirrors": [{"host": "http://10.0.0.5:5000", "capabilities": ["pull", "resolve"], "skip_verify": false, "ca": ["/etc/ca.pem"]}]}]),
        )]);
        let old = declared(&v, Era::Mirrors);
        assert_eq!(old.registries[0].mirrors[0].ca, Vec::<String>::new());
        assert!(old.problems[0].message.contains("2.28"));
        let new = declared(&v, Era::MirrorsCa);
        assert!(new.problems.is_empty());
        assert_eq!(new.registries[0].mirrors[0].ca, vec!["/etc/ca.pem"]);
        assert!(new.registries[0].is_insecure());
    }

    #[test]
    fn a_variable_the_release_does_not_read_declares_nothing() {
        let v = vars(&[("containerd_registries", json!({"docker.io": "https://m"}))]);
        assert!(declared(&v, Era::Mirrors).registries.is_empty());
        assert_eq!(declared(&v, Era::Registries).registries.len(), 1);
    }
}

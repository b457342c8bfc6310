//! Container registries for every containerd a site runs.
//!
//! The seed could not pull from its insecure registry because kubespray
//! shipped containerd 1.2.13; since then containerd moved registry settings
//! from its CRI config (`registry.mirrors`/`registry.configs`, deprecated in
//! 1.5) to one `hosts.toml` per registry under `config_path`, and kubespray
//! changed its variables five times (`kubemagic_site::read::registries` holds the
//! table). This crate takes the site's one reading of its registries and
//! renders, per host:
//! - containerd ≥ 1.5: `etc/containerd/certs.d/<registry>/hosts.toml`
//!   (`server`, `[host."URL"]` with `capabilities`, `skip_verify`, `ca`) and
//!   the `config_path` line the CRI plugin needs;
//! - containerd < 1.5: the equivalent `config.toml` fragment
//!   (`registry.mirrors` endpoints, `registry.configs…tls`);
//! - the variables of the site's kubespray release that produce the same,
//!   as a group_vars YAML document (`-o yaml`).
//!
//! Rendering is pure ([`render`], [`hosts_toml`], [`legacy_config`],
//! [`kubespray_vars`]); [`write_files`] writes through
//! `kubemagic_fs::write_atomic`, and [`write_text`] prints through the one
//! redacting writer (a mirror URL may carry credentials).

#![deny(missing_docs)]

use kubemagic_core::{Finding, Origin, RedactingWriter};
use kubemagic_site::read::registries::{self, Era, Registry};
use kubemagic_site::{InventoryKind, Site};
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};

/// What rendering refused, naming the variable and where it was set.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The site could not be read.
    #[error(transparent)]
    Site(#[from] kubemagic_site::SiteError),
    /// A value that cannot stand in a TOML file as written (a quote, a
    /// backslash, a control character, a `/` in a registry name): it would
    /// change the file's meaning, so nothing is rendered.
    #[error("{}{var}: {value:?} {why}", origin.as_ref().map(|o| format!("{o}: ")).unwrap_or_default())]
    Unsafe {
        /// The variable (or `kubemagic.yml registries`).
        var: String,
        /// The offending value.
        value: String,
        /// Why it cannot be rendered.
        why: &'static str,
        /// Where it was set.
        origin: Option<Origin>,
    },
    /// `--host` names no containerd host of the site.
    #[error("no containerd host {host} in the kubespray inventory (known: {})", known.join(", "))]
    UnknownHost {
        /// The host asked for.
        host: String,
        /// The containerd hosts.
        known: Vec<String>,
    },
    /// Writing a file failed.
    #[error(transparent)]
    Write(#[from] kubemagic_fs::FsError),
}

impl kubemagic_core::KmError for RegistryError {
    fn file(&self) -> Option<&Path> {
        match self {
            RegistryError::Site(e) => e.file(),
            RegistryError::Unsafe { origin, .. } => origin.as_ref().map(|o| o.file.as_path()),
            RegistryError::Write(e) => Some(e.path()),
            RegistryError::UnknownHost { .. } => None,
        }
    }
    fn line(&self) -> Option<u32> {
        match self {
            RegistryError::Site(e) => e.line(),
            RegistryError::Unsafe { origin, .. } => origin.as_ref().and_then(|o| o.line),
            _ => None,
        }
    }
    fn kind(&self) -> kubemagic_core::ErrorKind {
        match self {
            RegistryError::Write(_) => kubemagic_core::ErrorKind::Failure,
            _ => kubemagic_core::ErrorKind::Input,
        }
    }
}

/// One rendered file, its path relative to the host's root (`/`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RenderedFile {
    /// `etc/containerd/certs.d/<registry>/hosts.toml`, or
    /// `etc/containerd/config.d/kubemagic-registries.toml` for the CRI
    /// fragment.
    pub path: PathBuf,
    /// The file's text.
    pub content: String,
}

/// What one host gets.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HostRender {
    /// The inventory host.
    pub host: String,
    /// containerd (major, minor), when known (else the newest layout).
    pub containerd: Option<(u32, u32)>,
    /// The registries, as the site declares them for this host.
    pub registries: Vec<Registry>,
    /// The files to install.
    pub files: Vec<RenderedFile>,
    /// The `config.toml` lines that make containerd read the files
    /// (`config_path`), or the legacy fragment itself on containerd < 1.5.
    pub config_toml: String,
}

/// `kubemagic registry render`'s report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RenderReport {
    /// The site's kubespray release, when known.
    pub kubespray: Option<String>,
    /// Which registry variables that release reads.
    pub era: Option<Era>,
    /// One entry per containerd host.
    pub hosts: Vec<HostRender>,
    /// The site's registries as its kubespray release's variables
    /// (group_vars), producing the same on a kubespray run.
    pub kubespray_vars: serde_json::Value,
    /// What the release's variables cannot express (a CA before 2.28,
    /// TLS verification off before 2.18...): the files above are then the
    /// way, through the role `kubemagic.core.containerd_registries`.
    pub notes: Vec<String>,
    /// The registry findings of the site check (KM40x), so a render of a
    /// broken declaration says why.
    pub findings: Vec<Finding>,
}

impl RenderReport {
    /// Whether any finding is an error.
    pub fn has_errors(&self) -> bool {
        self.findings
            .iter()
            .any(|f| f.severity == kubemagic_core::Severity::Error)
    }
}

/// The containerd hosts of the site: the kubespray inventory's hosts whose
/// `container_manager` is containerd (kubespray's default since 2.18; a
/// host with none set counts when the site declares registries at all).
fn containerd_hosts(site: &Site) -> Vec<&str> {
    let Some(k) = site.inventory(InventoryKind::Kubespray) else {
        return Vec::new();
    };
    k.hosts
        .iter()
        .filter(|(_, vars)| {
            vars.get("container_manager")
                .and_then(|v| v.value.as_str())
                .is_none_or(|m| m == "containerd")
        })
        .map(|(h, _)| h.as_str())
        .collect()
}

/// Renders every containerd host's files (or one host's, with `host`).
pub fn render(site: &Site, host: Option<&str>) -> Result<RenderReport, RegistryError> {
    let all = containerd_hosts(site);
    let hosts: Vec<&str> = match host {
        Some(h) if all.contains(&h) => vec![h],
        Some(h) => {
            return Err(RegistryError::UnknownHost {
                host: h.to_string(),
                known: all.iter().map(|s| s.to_string()).collect(),
            })
        }
        None => all,
    };
    let era = registries::site_era(site);
    let kubespray = site.inventory(InventoryKind::Kubespray);
    let mut out = Vec::new();
    for h in hosts {
        let declared = registries::for_host(site, h);
        for r in &declared.registries {
            validate(r)?;
        }
        let vars = kubespray.and_then(|k| k.hosts.get(h));
        let containerd = registries::containerd_version(site, vars);
        out.push(render_host(h, containerd, declared.registries));
    }
    let (kubespray_vars, notes) = match (era, out.first()) {
        (Some(era), Some(first)) => kubespray_vars(&first.registries, era),
        _ => (serde_json::json!({}), Vec::new()),
    };
    let findings = kubemagic_site::run_all(site)
        .into_iter()
        .filter(|f| f.code.starts_with("KM40"))
        .collect();
    Ok(RenderReport {
        kubespray: site.kubespray_version().map(|v| v.to_string()),
        era,
        hosts: out,
        kubespray_vars,
        notes,
        findings,
    })
}

fn render_host(host: &str, containerd: Option<(u32, u32)>, regs: Vec<Registry>) -> HostRender {
    let legacy = containerd.is_some_and(|v| v < (1, 5));
    let (files, config_toml) = if legacy {
        (
            Vec::new(),
            legacy_config(&regs, containerd.unwrap_or((1, 4))),
        )
    } else {
        let files = regs
            .iter()
            .map(|r| RenderedFile {
                path: Path::new("etc/containerd/certs.d")
                    .join(&r.prefix)
                    .join("hosts.toml"),
                content: hosts_toml(r),
            })
            .collect();
        (files, config_path_toml(containerd))
    };
    HostRender {
        host: host.to_string(),
        containerd,
        registries: regs,
        files,
        config_toml,
    }
}

/// Refuses values that would change a TOML file's meaning.
fn validate(r: &Registry) -> Result<(), RegistryError> {
    let bad = |value: &str, why: &'static str| RegistryError::Unsafe {
        var: r.var.clone(),
        value: value.to_string(),
        why,
        origin: r.origin.clone(),
    };
    let unsafe_char = |s: &str| s.chars().any(|c| c.is_control() || c == '"' || c == '\\');
    if r.prefix.is_empty()
        || r.prefix.contains('/')
        || r.prefix.starts_with('.')
        || unsafe_char(&r.prefix)
    {
        return Err(bad(
            &r.prefix,
            "is not a registry name (host[:port], no `/`, quote or control character)",
        ));
    }
    let texts = r
        .server
        .iter()
        .chain(r.mirrors.iter().map(|m| &m.url))
        .chain(r.mirrors.iter().flat_map(|m| m.ca.iter()))
        .chain(r.mirrors.iter().flat_map(|m| m.capabilities.iter()));
    for t in texts {
        if unsafe_char(t) {
            return Err(bad(
                t,
                "holds a quote, a backslash or a control character, which would rewrite the TOML file",
            ));
        }
    }
    Ok(())
}

fn quoted_list(items: &[String]) -> String {
    let inner: Vec<String> = items.iter().map(|i| format!("\"{i}\"")).collect();
    format!("[{}]", inner.join(", "))
}

/// One registry's `hosts.toml`, as containerd ≥ 1.5 reads it
/// (containerd's docs/hosts.md): `server`, then each mirror as
/// `[host."URL"]` in order.
pub fn hosts_toml(r: &Registry) -> String {
    let mut s = format!(
        "# Written by kubemagic registry render: images from {}.\nserver = \"{}\"\n",
        r.prefix,
        r.server_url()
    );
    for m in &r.mirrors {
        s.push_str(&format!("\n[host.\"{}\"]\n", m.url));
        s.push_str(&format!(
            "  capabilities = {}\n",
            quoted_list(&m.capabilities)
        ));
        if m.skip_verify {
            s.push_str("  skip_verify = true\n");
        }
        if !m.ca.is_empty() {
            s.push_str(&format!("  ca = {}\n", quoted_list(&m.ca)));
        }
    }
    s
}

/// The `config.toml` lines that point the CRI plugin at the hosts.toml
/// files: `plugins."io.containerd.grpc.v1.cri".registry` on containerd 1.x,
/// `plugins."io.containerd.cri.v1.images".registry` on 2.x (as kubespray
/// 2.28's config.toml.j2 / config-v1.toml.j2 write it).
pub fn config_path_toml(containerd: Option<(u32, u32)>) -> String {
    let table = if containerd.is_some_and(|v| v.0 >= 2) || containerd.is_none() {
        "plugins.\"io.containerd.cri.v1.images\".registry"
    } else {
        "plugins.\"io.containerd.grpc.v1.cri\".registry"
    };
    format!("[{table}]\n  config_path = \"/etc/containerd/certs.d\"\n")
}

/// The CRI registry fragment for containerd older than 1.5, which has no
/// hosts.toml: mirrors as `registry.mirrors."<prefix>".endpoint`, TLS as
/// `registry.configs."<host>".tls`. Config version 1 (`plugins.cri`) below
/// 1.4, as kubespray ≤ 2.15's config.toml.j2 writes it; version 2 on 1.4.
pub fn legacy_config(regs: &[Registry], containerd: (u32, u32)) -> String {
    let base = if containerd < (1, 4) {
        "plugins.cri.registry"
    } else {
        "plugins.\"io.containerd.grpc.v1.cri\".registry"
    };
    let mut s = format!("[{base}.mirrors]\n");
    for r in regs {
        // The CRI plugin tries the registry's own host after the endpoints.
        let mut endpoints: Vec<String> = r.mirrors.iter().map(|m| m.url.clone()).collect();
        if endpoints.is_empty() {
            endpoints.push(r.server_url());
        }
        s.push_str(&format!(
            "  [{base}.mirrors.\"{}\"]\n    endpoint = {}\n",
            r.prefix,
            quoted_list(&endpoints)
        ));
    }
    for r in regs {
        for m in &r.mirrors {
            if !m.skip_verify && m.ca.is_empty() {
                continue;
            }
            let host = m.url.split_once("://").map_or(m.url.as_str(), |(_, h)| h);
            let host = host.split('/').next().unwrap_or(host);
            s.push_str(&format!("[{base}.configs.\"{host}\".tls]\n"));
            if m.skip_verify {
                s.push_str("  insecure_skip_verify = true\n");
            }
            if let Some(ca) = m.ca.first() {
                s.push_str(&format!("  ca_file = \"{ca}\"\n"));
            }
        }
    }
    s
}

/// The site's registries as the variables of a kubespray release, with
/// what that release cannot express.
pub fn kubespray_vars(regs: &[Registry], era: Era) -> (serde_json::Value, Vec<String>) {
    use serde_json::{json, Map, Value};
    let mut notes = Vec::new();
    let urls = |r: &Registry| -> Value {
        let mut v: Vec<String> = r.mirrors.iter().map(|m| m.url.clone()).collect();
        if v.is_empty() {
            v.push(r.server_url());
        }
        json!(v)
    };
    let netloc = |u: &str| {
        let h = u.split_once("://").map_or(u, |(_, h)| h);
        h.split('/').next().unwrap_or(h).to_string()
    };
    let cannot = |what: &str, notes: &mut Vec<String>| {
        notes.push(format!(
            "{what}: install the rendered hosts.toml files with the role kubemagic.core.containerd_registries"
        ))
    };
    let has_ca = regs
        .iter()
        .any(|r| r.mirrors.iter().any(|m| !m.ca.is_empty()));
    if has_ca && !era.supports_ca() {
        cannot(
            "this kubespray release cannot give containerd a registry CA (2.28+ can)",
            &mut notes,
        );
    }
    let vars = match era {
        Era::ConfigRegistries | Era::Registries => {
            let map: Map<String, Value> =
                regs.iter().map(|r| (r.prefix.clone(), urls(r))).collect();
            if regs.iter().any(|r| r.mirrors.iter().any(|m| m.skip_verify)) {
                cannot(
                    "this kubespray release cannot turn TLS verification off (2.18+ can)",
                    &mut notes,
                );
            }
            if era == Era::ConfigRegistries {
                notes.push("containerd_config replaces kubespray's whole default mapping: keep its other keys (grpc, max_container_log_line_size) beside registries".into());
                json!({"containerd_config": {"registries": map}})
            } else {
                json!({"containerd_registries": map})
            }
        }
        Era::InsecureList | Era::InsecureMap => {
            let secure: Map<String, Value> = regs
                .iter()
                .filter(|r| !r.is_insecure())
                .map(|r| (r.prefix.clone(), urls(r)))
                .collect();
            let insecure: Vec<&Registry> = regs.iter().filter(|r| r.is_insecure()).collect();
            let insecure_value = if era == Era::InsecureList {
                json!(insecure
                    .iter()
                    .flat_map(|r| r.mirrors.iter().map(|m| netloc(&m.url)))
                    .collect::<Vec<_>>())
            } else {
                Value::Object(
                    insecure
                        .iter()
                        .map(|r| (r.prefix.clone(), urls(r)))
                        .collect(),
                )
            };
            json!({"containerd_registries": secure, "containerd_insecure_registries": insecure_value})
        }
        Era::Mirrors | Era::MirrorsCa => {
            let list: Vec<Value> = regs
                .iter()
                .map(|r| {
                    let mirrors: Vec<Value> = r
                        .mirrors
                        .iter()
                        .map(|m| {
                            let mut o = json!({"host": m.url, "capabilities": m.capabilities, "skip_verify": m.skip_verify});
                            if era.supports_ca() && !m.ca.is_empty() {
                                o["ca"] = json!(m.ca);
                            }
                            o
                        })
                        .collect();
                    let mut o = json!({"prefix": r.prefix, "mirrors": mirrors});
                    if era.supports_ca() {
                        if let Some(s) = &r.server {
                            o["server"] = json!(s);
                        }
                    }
                    o
                })
                .collect();
            json!({"containerd_registries_mirrors": list})
        }
    };
    (vars, notes)
}

/// Writes every host's files under `dest/<host>/` (0644, as containerd
/// and kubespray's role leave them: they hold no secret), and the
/// config fragment as `dest/<host>/etc/containerd/kubemagic-registries.toml`
/// for the role or the operator to merge. Returns the paths written.
pub fn write_files(report: &RenderReport, dest: &Path) -> Result<Vec<PathBuf>, RegistryError> {
    let mut written = Vec::new();
    for h in &report.hosts {
        let root = dest.join(&h.host);
        let fragment = RenderedFile {
            path: PathBuf::from("etc/containerd/kubemagic-registries.toml"),
            content: h.config_toml.clone(),
        };
        for f in h.files.iter().chain(std::iter::once(&fragment)) {
            let p = root.join(&f.path);
            if let Some(dir) = p.parent() {
                std::fs::create_dir_all(dir).map_err(|source| kubemagic_fs::FsError::Io {
                    path: dir.to_path_buf(),
                    source,
                })?;
            }
            kubemagic_fs::write_atomic(&p, f.content.as_bytes(), 0o644)?;
            written.push(p);
        }
    }
    Ok(written)
}

/// The report for people: each host's files, then the kubespray variables.
pub fn write_text<W: Write>(
    out: &mut RedactingWriter<W>,
    report: &RenderReport,
) -> std::io::Result<()> {
    for h in &report.hosts {
        let version = h
            .containerd
            .map(|(a, b)| format!("containerd {a}.{b}"))
            .unwrap_or_else(|| "containerd version unknown".into());
        writeln!(out, "## {} ({version})", h.host)?;
        for f in &h.files {
            writeln!(out, "### /{}\n{}", f.path.display(), f.content)?;
        }
        let what = if h.files.is_empty() {
            "config.toml (containerd < 1.5 has no hosts.toml)"
        } else {
            "config.toml"
        };
        writeln!(out, "### {what}\n{}", h.config_toml)?;
    }
    if let Some(era) = report.era {
        writeln!(
            out,
            "## kubespray {} variables ({})",
            report.kubespray.as_deref().unwrap_or("?"),
            era.mirrors_var()
        )?;
        out.write_all(kubespray_vars_yaml(report).as_bytes())?;
    }
    for n in &report.notes {
        writeln!(out, "note: {n}")?;
    }
    Ok(())
}

/// The registry findings, as the one finding renderer prints them (paths
/// relative to `relative_to`), for stderr beside the files on stdout.
pub fn write_findings<W: Write>(
    out: &mut RedactingWriter<W>,
    report: &RenderReport,
    relative_to: Option<&Path>,
) -> std::io::Result<()> {
    if report.findings.is_empty() {
        return Ok(());
    }
    let opts = kubemagic_core::render::TextOptions {
        color: false,
        relative_to,
    };
    out.write_all(kubemagic_core::render::text(&report.findings, &opts).as_bytes())?;
    out.flush()
}

/// The kubespray variables as a group_vars YAML document (`-o yaml`).
pub fn kubespray_vars_yaml(report: &RenderReport) -> String {
    serde_yaml_ng::to_string(&report.kubespray_vars).unwrap_or_default()
}

/// `-o yaml`: the variables document, through the redacting writer.
pub fn write_yaml<W: Write>(
    out: &mut RedactingWriter<W>,
    report: &RenderReport,
) -> std::io::Result<()> {
    out.write_all(kubespray_vars_yaml(report).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubemagic_site::read::registries::Mirror;

    fn reg(prefix: &str, url: &str, skip: bool, ca: &[&str]) -> Registry {
        Registry {
            prefix: prefix.into(),
            server: None,
            mirrors: vec![Mirror {
                url: url.into(),
                capabilities: vec!["pull".into(), "resolve".into()],
                skip_verify: skip,
                ca: ca.iter().map(|s| s.to_string()).collect(),
            }],
            var: "kubemagic.yml registries".into(),
            origin: None,
        }
    }

    #[test]
    fn hosts_toml_has_server_and_each_mirror_with_its_tls() {
        let t = hosts_toml(&reg(
            "r.example:5000",
            "https://10.0.0.5:5000",
            true,
            &["/etc/ca.pem"],
        ));
        assert!(t.contains("server = \"https://r.example:5000\""), "{t}");
        assert!(t.contains("[host.\"https://10.0.0.5:5000\"]"), "{t}");
        assert!(t.contains("skip_verify = true"), "{t}");
        assert!(t.contains("ca = [\"/etc/ca.pem\"]"), "{t}");
    }

    #[test]
    fn legacy_fragment_uses_config_v1_below_1_4_and_v2_on_1_4() {
        let r = [reg("r.example", "http://10.0.0.5:5000", false, &[])];
        assert!(legacy_config(&r, (1, 2)).contains("[plugins.cri.registry.mirrors.\"r.example\"]"));
        let v2 = legacy_config(&r, (1, 4));
        assert!(v2.contains("plugins.\"io.containerd.grpc.v1.cri\".registry.mirrors.\"r.example\""));
        assert!(v2.contains("endpoint = [\"http://10.0.0.5:5000\"]"), "{v2}");
    }

    #[test]
    fn kubespray_vars_follow_the_release_shape() {
        let r = [reg("r.example:5000", "http://r.example:5000", false, &[])];
        let (v, _) = kubespray_vars(&r, Era::InsecureMap);
        assert_eq!(
            v["containerd_insecure_registries"]["r.example:5000"][0],
            "http://r.example:5000"
        );
        let (v, _) = kubespray_vars(&r, Era::InsecureList);
        assert_eq!(v["containerd_insecure_registries"][0], "r.example:5000");
        let (v, _) = kubespray_vars(&r, Era::Mirrors);
        assert_eq!(
            v["containerd_registries_mirrors"][0]["prefix"],
            "r.example:5000"
        );
        let ca = [reg(
            "r.example:5000",
            "https://r.example:5000",
            false,
            &["/ca.pem"],
        )];
        let (v, notes) = kubespray_vars(&ca, Era::Mirrors);
        assert!(v["containerd_registries_mirrors"][0]["mirrors"][0]
            .get("ca")
            .is_none());
        assert!(notes[0].contains("CA"), "{notes:?}");
        let (v, notes) = kubespray_vars(&ca, Era::MirrorsCa);
        assert_eq!(
            v["containerd_registries_mirrors"][0]["mirrors"][0]["ca"][0],
            "/ca.pem"
        );
        assert!(notes.is_empty());
    }

    #[test]
    fn a_quote_or_newline_in_a_value_is_refused_not_rendered() {
        let mut r = reg("r.example", "https://m\"\n[host.\"evil\"]", false, &[]);
        assert!(matches!(validate(&r), Err(RegistryError::Unsafe { .. })));
        r.mirrors[0].url = "https://m".into();
        r.prefix = "../../etc".into();
        assert!(validate(&r).is_err());
    }
}

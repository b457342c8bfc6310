//! A site: every inventory of one deployment, seen as one model.
//!
//! Kube Magic exists to centralise the inventories of a deployment
//! (`custom/`, `kubespray/`, `ceph-ansible/`, `openshift-ansible/`). Nothing
//! in Ansible stops them from contradicting each other; the checks in
//! [`crate::checks`] read a [`Site`] and report where they do.
//!
//! A [`Site`] is plain data (group membership, resolved host variables with
//! their origins, vars files found) so that checks are pure functions that
//! tests can feed with hand-built sites; [`Site::load`] fills it from the
//! inventory engine.

use indexmap::{IndexMap, IndexSet};
use kubemagic_core::{Origin, SiteConfig};
use kubemagic_inventory::{Inventory, LoadOptions, VarsFileEntry};
use kubemagic_inventory::{Node, NodeKind};
use kubemagic_inventory::{Value, Var, Vars};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::suppress::{Ignore, Scope};
use crate::versions::{self, SiteVersions, Upstream, Version};

/// Which upstream project an inventory belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InventoryKind {
    /// `custom/hosts`: load balancers, monitoring, what the site adds.
    Custom,
    /// `kubespray/inventory/<name>/...`
    Kubespray,
    /// `ceph-ansible/hosts`
    Ceph,
    /// `openshift-ansible/hosts`
    Openshift,
}

impl fmt::Display for InventoryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            InventoryKind::Custom => "custom",
            InventoryKind::Kubespray => "kubespray",
            InventoryKind::Ceph => "ceph-ansible",
            InventoryKind::Openshift => "openshift-ansible",
        })
    }
}

/// A Kubernetes role as kubespray names it, whatever the kubespray version:
/// kubespray 2.16 renamed `kube-master` to `kube_control_plane` (and the
/// dashes to underscores); a site may use either spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// `etcd`: the etcd members.
    Etcd,
    /// `kube_control_plane`, formerly `kube-master` (and `kube_master`): the
    /// API servers, controller managers and schedulers.
    ControlPlane,
    /// `kube_node`, formerly `kube-node`: the workers.
    Node,
    /// `k8s_cluster`, formerly `k8s-cluster`: the parent of the control plane
    /// and node groups, whose group_vars hold the cluster-wide settings.
    K8sCluster,
    /// `calico_rr`, formerly `calico-rr`: Calico's route reflectors.
    CalicoRr,
}

impl Role {
    /// Every spelling kubespray has used for this role, newest first.
    /// A site written for a kubespray before 2.16 keeps the old names, and
    /// one being migrated may mix both: a check that asked for one spelling
    /// only would see no etcd or no control plane on such a site.
    pub fn group_names(self) -> &'static [&'static str] {
        match self {
            Role::Etcd => &["etcd"],
            Role::ControlPlane => &["kube_control_plane", "kube-master", "kube_master"],
            Role::Node => &["kube_node", "kube-node"],
            Role::K8sCluster => &["k8s_cluster", "k8s-cluster"],
            Role::CalicoRr => &["calico_rr", "calico-rr"],
        }
    }
    /// The role a kubespray group name stands for, if any.
    pub fn of_group(name: &str) -> Option<Role> {
        [
            Role::Etcd,
            Role::ControlPlane,
            Role::Node,
            Role::K8sCluster,
            Role::CalicoRr,
        ]
        .into_iter()
        .find(|r| r.group_names().contains(&name))
    }
}

/// A group of one inventory: every host under it, descendants included.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SiteGroup {
    /// Every host of the group, its child groups' included, in inventory order.
    pub hosts: Vec<String>,
    /// Where the group is declared, for findings about the group itself (an
    /// even number of monitors, say); `None` when unknown (implicit groups,
    /// hand-built sites).
    pub origin: Option<Origin>,
}

/// One inventory of the site, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteInventory {
    /// Which upstream the inventory belongs to.
    pub kind: InventoryKind,
    /// The inventory source (file), as found in the site.
    pub path: PathBuf,
    /// Groups by name, in the inventory's order.
    pub groups: IndexMap<String, SiteGroup>,
    /// Each host's variables as Ansible resolves them, with origins.
    pub hosts: IndexMap<String, Vars>,
    /// group_vars/host_vars files or folders found beside the source.
    pub vars_files: Vec<VarsFileEntry>,
    /// Where each host was first declared, when known.
    pub host_origins: IndexMap<String, Option<Origin>>,
    /// What Ansible (or the engine beyond Ansible) warns about while reading
    /// this inventory: `kubemagic check` turns them into KM604 findings, so
    /// nothing the engine noticed is lost in the site view.
    pub warnings: Vec<kubemagic_inventory::Warning>,
}

impl SiteInventory {
    /// An empty inventory of `kind` at `path`, to fill by hand (tests, the bench
    /// generator) with [`SiteInventory::add_host`] and [`SiteInventory::set_var`].
    pub fn new(kind: InventoryKind, path: impl Into<PathBuf>) -> Self {
        SiteInventory {
            kind,
            path: path.into(),
            groups: IndexMap::new(),
            hosts: IndexMap::new(),
            vars_files: Vec::new(),
            host_origins: IndexMap::new(),
            warnings: Vec::new(),
        }
    }

    /// Builds from a loaded [`Inventory`], resolving every host's variables.
    pub fn from_inventory(
        kind: InventoryKind,
        path: PathBuf,
        inv: &Inventory,
    ) -> Result<SiteInventory, SiteError> {
        let mut out = SiteInventory::new(kind, path);
        for g in inv.groups() {
            let hosts = inv
                .group_hosts(g)
                .unwrap_or_default()
                .into_iter()
                .map(str::to_string)
                .collect();
            let origin = inv.group_origin(g).cloned();
            out.groups
                .insert(g.to_string(), SiteGroup { hosts, origin });
        }
        for h in inv.hosts() {
            let vars = inv.host_vars(h).map_err(SiteError::Inventory)?;
            out.hosts.insert(h.to_string(), vars);
            let origin = inv.host_origin(h).cloned();
            out.host_origins.insert(h.to_string(), origin);
        }
        out.vars_files = inv.vars_files().to_vec();
        out.warnings = inv.warnings().to_vec();
        Ok(out)
    }

    /// Hosts of a group (descendants included); empty when the group is absent.
    pub fn group_hosts(&self, group: &str) -> &[String] {
        self.groups
            .get(group)
            .map(|g| g.hosts.as_slice())
            .unwrap_or(&[])
    }

    /// Whether the inventory declares `group`, even with no host in it.
    pub fn has_group(&self, group: &str) -> bool {
        self.groups.contains_key(group)
    }

    /// Hosts of a kubespray role under any of its spellings, each once, in order.
    pub fn role_hosts(&self, role: Role) -> Vec<&str> {
        let mut set: IndexSet<&str> = IndexSet::new();
        for g in role.group_names() {
            for h in self.group_hosts(g) {
                set.insert(h.as_str());
            }
        }
        set.into_iter().collect()
    }

    /// The resolved variable `name` of `host`.
    pub fn var(&self, host: &str, name: &str) -> Option<&Var> {
        self.hosts.get(host).and_then(|v| v.get(name))
    }

    /// The first host (in `hosts` order) that defines `name`, with the variable.
    pub fn first_var<'a>(&'a self, hosts: &[&'a str], name: &str) -> Option<(&'a str, &'a Var)> {
        hosts
            .iter()
            .find_map(|h| self.var(h, name).map(|v| (*h, v)))
    }

    // ---- builder helpers, used by tests and by the bench generator ----

    /// Adds `host` to `groups` (and to `all`), creating what is missing.
    pub fn add_host(&mut self, host: &str, groups: &[&str]) -> &mut Self {
        self.hosts.entry(host.to_string()).or_default();
        for g in groups.iter().copied().chain(std::iter::once("all")) {
            let grp = self.groups.entry(g.to_string()).or_default();
            if !grp.hosts.iter().any(|h| h == host) {
                grp.hosts.push(host.to_string());
            }
        }
        self
    }

    /// Sets a resolved variable of `host`, with an origin.
    pub fn set_var(
        &mut self,
        host: &str,
        name: &str,
        value: Value,
        origin: Option<Origin>,
    ) -> &mut Self {
        self.hosts
            .entry(host.to_string())
            .or_default()
            .insert(name.to_string(), Var { value, origin });
        self
    }
}

/// The whole site.
#[derive(Debug, Clone, PartialEq)]
pub struct Site {
    /// The site directory, which every inventory and checkout is found under.
    pub root: PathBuf,
    /// kubemagic.yml as read, or the defaults when the site has none.
    pub config: SiteConfig,
    /// `kubemagic.yml` when present.
    pub config_file: Option<PathBuf>,
    /// Line of each `upstreams.<name>.ref` in `kubemagic.yml`, for findings.
    pub config_ref_lines: BTreeMap<String, u32>,
    /// The inventories found ([`Site::discover`]): at most one of each
    /// [`InventoryKind`], in the order custom, kubespray, Ceph, OpenShift.
    pub inventories: Vec<SiteInventory>,
    /// The release of each upstream the checks assume ([`crate::versions`]).
    pub versions: SiteVersions,
    /// Accepted findings: kubemagic.yml's `checks.ignore` and the inline
    /// `kubemagic: ignore[...]` comments of every inventory file.
    pub ignores: Vec<Ignore>,
    /// The site ships its own `custom/prep-hosts.yml`: its load balancer is
    /// its own role's. Without it, `kubemagic plan` runs kubemagic's
    /// `kubemagic.core.prep_hosts`, whose role reads kubemagic's variables
    /// (and falls back to kubespray's API address), so the LB checks apply.
    pub own_prep_hosts: bool,
}

pub use crate::error::SiteError;

/// Whether `path` is a regular file (symlinks followed): `false` when it does
/// not exist, an error when it exists as anything else, so a FIFO or a link
/// to `/dev/zero` is named instead of silently skipped (or read forever).
fn regular_file(path: &Path) -> Result<bool, SiteError> {
    use std::os::unix::fs::FileTypeExt;
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => Ok(true),
        Ok(m) => {
            let t = m.file_type();
            let kind = if t.is_dir() {
                "a directory"
            } else if t.is_fifo() {
                "a FIFO"
            } else if t.is_socket() {
                "a socket"
            } else if t.is_char_device() || t.is_block_device() {
                "a device"
            } else {
                "not a file"
            };
            Err(SiteError::NotAFile {
                path: path.to_path_buf(),
                kind,
            })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(source) => Err(SiteError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// The stack of each inventory reader thread. The readers recurse on the
/// nesting of values, which `kubemagic_fs::limits::MAX_NESTING` bounds; a
/// spawned thread's default 2 MiB is not enough for that bound in a debug
/// build (about 10 KiB a level), the main thread's 8 MiB is. Only touched
/// pages are committed.
const READER_STACK_BYTES: usize = 16 * 1024 * 1024;

/// Inventory file names kubespray accepts inside `inventory/<name>/`, in the
/// order we prefer them.
const KUBESPRAY_SOURCES: [&str; 4] = ["hosts.yml", "hosts.yaml", "inventory.ini", "hosts.ini"];

impl Site {
    /// An empty site (no inventory), for building by hand.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Site {
            root: root.into(),
            config: SiteConfig::default(),
            config_file: None,
            config_ref_lines: BTreeMap::new(),
            inventories: Vec::new(),
            versions: SiteVersions::default(),
            ignores: Vec::new(),
            own_prep_hosts: false,
        }
    }

    /// Opens `dir`: reads `kubemagic.yml` if present, but no inventory.
    /// Enough for `plan` and `run`, which only need to know which
    /// inventories exist ([`Site::discover`]); [`Site::load`] reads them too.
    pub fn open(dir: &Path) -> Result<Site, SiteError> {
        let mut site = Site::new(dir);
        // Also refuses a `dir` that is not a directory.
        if let Some((file, config, lines)) = load_config_with_lines(dir)? {
            site.ignores = config_ignores(&file, &config, &lines.ignores)?;
            site.config = config;
            site.config_ref_lines = lines.refs;
            site.config_file = Some(file);
        }
        site.own_prep_hosts = dir.join("custom").join("prep-hosts.yml").exists();
        Ok(site)
    }

    /// Reads `dir`: `kubemagic.yml` if present, then every inventory found.
    pub fn load(dir: &Path) -> Result<Site, SiteError> {
        let mut site = Site::open(dir)?;
        // The inventories are independent: read them on parallel threads
        // (a 5,000-host site must check within 200 ms).
        let found = site.discover()?;
        let loaded: Vec<Result<SiteInventory, SiteError>> = std::thread::scope(|scope| {
            let handles: Vec<_> = found
                .into_iter()
                .map(|(kind, path)| {
                    let at = path.clone();
                    std::thread::Builder::new()
                        .stack_size(READER_STACK_BYTES)
                        .spawn_scoped(scope, move || {
                            let inv = Inventory::load(
                                std::slice::from_ref(&path),
                                &LoadOptions::default(),
                            )?;
                            SiteInventory::from_inventory(kind, path, &inv)
                        })
                        .map_err(|source| SiteError::Io { path: at, source })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h?.join().unwrap_or_else(|_| {
                        Err(SiteError::Config {
                            file: PathBuf::new(),
                            line: None,
                            message: "internal error: an inventory reader panicked".into(),
                        })
                    })
                })
                .collect()
        });
        for inv in loaded {
            site.inventories.push(inv?);
        }
        // Inline ignores: every file the inventories were read from.
        for inv in &site.inventories {
            crate::suppress::scan_path(&inv.path, &mut site.ignores)?;
            for vf in &inv.vars_files {
                crate::suppress::scan_path(&vf.path, &mut site.ignores)?;
            }
        }
        site.versions = versions::detect(&site.root, &site.config, &site.upstreams_used())?;
        Ok(site)
    }

    /// The upstreams this site uses: those with an inventory, plus those
    /// pinned in kubemagic.yml.
    pub fn upstreams_used(&self) -> Vec<Upstream> {
        Upstream::ALL
            .into_iter()
            .filter(|u| {
                self.config.upstreams.contains_key(u.name())
                    || self.inventories.iter().any(|i| {
                        matches!(
                            (i.kind, u),
                            (InventoryKind::Kubespray, Upstream::Kubespray)
                                | (InventoryKind::Openshift, Upstream::OpenshiftAnsible)
                                | (InventoryKind::Ceph, Upstream::CephAnsible)
                        )
                    })
            })
            .collect()
    }

    /// The kubespray version the checks assume, `None` when unknown.
    pub fn kubespray_version(&self) -> Option<Version> {
        self.versions.get(Upstream::Kubespray)
    }

    /// The inventory sources present in the site, by kind. `check`, `plan`
    /// and `run` all call this, so they agree on which inventories a site
    /// has. A site with none is [`SiteError::NotASite`]; a site path that
    /// exists but is not a regular file is [`SiteError::NotAFile`].
    pub fn discover(&self) -> Result<Vec<(InventoryKind, PathBuf)>, SiteError> {
        let dir = &self.root;
        let mut out = Vec::new();
        let custom = dir.join("custom").join("hosts");
        if regular_file(&custom)? {
            out.push((InventoryKind::Custom, custom));
        }
        if let Some(p) = self.kubespray_source()? {
            out.push((InventoryKind::Kubespray, p));
        }
        for (kind, sub) in [
            (InventoryKind::Ceph, "ceph-ansible"),
            (InventoryKind::Openshift, "openshift-ansible"),
        ] {
            let p = dir.join(sub).join("hosts");
            if regular_file(&p)? {
                out.push((kind, p));
            }
        }
        if out.is_empty() {
            return Err(SiteError::NotASite(dir.clone()));
        }
        Ok(out)
    }

    /// `kubespray/inventory/<name>/hosts.yml|hosts.yaml|inventory.ini`, where
    /// `<name>` is `kubespray_inventory` from kubemagic.yml, else the site
    /// name, else the only folder there (ignoring upstream's `sample` and `local`).
    fn kubespray_source(&self) -> Result<Option<PathBuf>, SiteError> {
        let base = self.root.join("kubespray").join("inventory");
        if !base.is_dir() {
            return Ok(None);
        }
        let pick = |d: &Path| -> Result<Option<PathBuf>, SiteError> {
            for p in KUBESPRAY_SOURCES.iter().map(|n| d.join(n)) {
                if regular_file(&p)? {
                    return Ok(Some(p));
                }
            }
            Ok(None)
        };
        let wanted = self
            .config
            .kubespray_inventory
            .clone()
            .or_else(|| self.config.name.clone());
        if let Some(name) = &wanted {
            let d = base.join(name);
            if d.is_dir() {
                return pick(&d);
            }
            if self.config.kubespray_inventory.is_some() {
                return Err(SiteError::Config {
                    file: self
                        .config_file
                        .clone()
                        .unwrap_or_else(|| self.root.join("kubemagic.yml")),
                    line: None,
                    message: format!("kubespray_inventory `{name}`: no folder {}", d.display()),
                });
            }
        }
        let entries = std::fs::read_dir(&base).map_err(|source| SiteError::Io {
            path: base.clone(),
            source,
        })?;
        let dirs: Vec<PathBuf> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .filter(|p| {
                let n = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                n != "sample" && n != "local" && !n.starts_with('.')
            })
            .collect();
        let mut with_source = Vec::new();
        for d in dirs {
            if pick(&d)?.is_some() {
                with_source.push(d);
            }
        }
        let mut dirs = with_source;
        dirs.sort();
        match dirs.len() {
            0 => Ok(None),
            1 => pick(&dirs[0]),
            _ => Err(SiteError::Config {
                file: base.clone(),
                line: None,
                message: format!(
                    "several kubespray inventories ({}); name one with `kubespray_inventory:` in kubemagic.yml",
                    dirs.iter()
                        .filter_map(|d| d.file_name().and_then(|n| n.to_str()))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }),
        }
    }

    /// The site name: kubemagic.yml's `name`, else the directory name.
    pub fn name(&self) -> String {
        self.config.name.clone().unwrap_or_else(|| {
            self.root
                .canonicalize()
                .ok()
                .as_deref()
                .unwrap_or(&self.root)
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("site")
                .to_string()
        })
    }

    /// The inventory of `kind`, when the site has one.
    pub fn inventory(&self, kind: InventoryKind) -> Option<&SiteInventory> {
        self.inventories.iter().find(|i| i.kind == kind)
    }

    /// The inventory of `kind`, created empty at its conventional path when the
    /// site has none: for building sites by hand.
    pub fn inventory_mut(&mut self, kind: InventoryKind) -> &mut SiteInventory {
        if let Some(i) = self.inventories.iter().position(|i| i.kind == kind) {
            return &mut self.inventories[i];
        }
        let path = self.root.join(match kind {
            InventoryKind::Custom => "custom/hosts",
            InventoryKind::Kubespray => "kubespray/inventory/site/hosts.yml",
            InventoryKind::Ceph => "ceph-ansible/hosts",
            InventoryKind::Openshift => "openshift-ansible/hosts",
        });
        self.inventories.push(SiteInventory::new(kind, path));
        let last = self.inventories.len() - 1;
        &mut self.inventories[last]
    }

    /// The Kubernetes inventory: kubespray's, or openshift-ansible's for an
    /// OpenShift site.
    pub fn kubernetes(&self) -> Option<&SiteInventory> {
        self.inventory(InventoryKind::Kubespray)
            .or_else(|| self.inventory(InventoryKind::Openshift))
    }

    /// Every machine of the site, each once: the same name in several
    /// inventories is one host.
    pub fn host_names(&self) -> IndexSet<&str> {
        self.inventories
            .iter()
            .flat_map(|i| i.hosts.keys().map(String::as_str))
            .collect()
    }

    /// Each inventory naming `host`, with the host's variables there.
    pub fn host_everywhere<'a>(&'a self, host: &str) -> Vec<(&'a SiteInventory, &'a Vars)> {
        self.inventories
            .iter()
            .filter_map(|i| i.hosts.get(host).map(|v| (i, v)))
            .collect()
    }

    /// Whether the site deploys cert-manager: kubespray's
    /// `cert_manager_enabled` on a k8s_cluster host, or the `cert_manager`
    /// addon in kubemagic.yml.
    pub fn deploys_cert_manager(&self) -> Option<(Option<Origin>, String)> {
        if self.config.addon_enabled("cert_manager") || self.config.addon_enabled("cert-manager") {
            return Some((
                self.config_file.as_ref().map(|f| Origin::new(f, None)),
                "addons".into(),
            ));
        }
        let k = self.inventory(InventoryKind::Kubespray)?;
        let mut hosts = k.role_hosts(Role::K8sCluster);
        if hosts.is_empty() {
            hosts = k.hosts.keys().map(String::as_str).collect();
        }
        hosts.iter().find_map(|h| {
            let v = k.var(h, "cert_manager_enabled")?;
            truthy(&v.value).then(|| (v.origin.clone(), "cert_manager_enabled".to_string()))
        })
    }
}

/// Ansible's boolean filter, for the values inventories hold.
pub fn truthy(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => matches!(
            s.trim().to_ascii_lowercase().as_str(),
            "yes" | "on" | "1" | "true" | "y" | "t"
        ),
        _ => false,
    }
}

/// Reads only `DIR/kubemagic.yml` (or `.yaml`), without the inventories:
/// what the phase planner needs. `None` when the site has no such file
/// (every field then takes its default).
pub fn load_config(dir: &Path) -> Result<Option<(PathBuf, SiteConfig)>, SiteError> {
    Ok(load_config_with_lines(dir)?.map(|(f, c, _)| (f, c)))
}

/// Lines of kubemagic.yml entries that findings point at.
#[derive(Debug, Default)]
struct ConfigLines {
    /// `upstreams.<name>.ref`, by name.
    refs: BTreeMap<String, u32>,
    /// Each `checks.ignore` entry, in order.
    ignores: Vec<u32>,
}

type ConfigWithLines = (PathBuf, SiteConfig, ConfigLines);

/// kubemagic.yml's `checks.ignore` as [`Ignore`]s; an entry without a
/// reason is an input error at its line.
fn config_ignores(
    file: &Path,
    config: &SiteConfig,
    lines: &[u32],
) -> Result<Vec<Ignore>, SiteError> {
    let mut out = Vec::new();
    for (i, rule) in config.checks.ignore.iter().enumerate() {
        let line = lines.get(i).copied();
        let reason = rule.reason.as_deref().map(str::trim).unwrap_or("");
        if reason.is_empty() {
            return Err(SiteError::Config {
                file: file.to_path_buf(),
                line,
                message: format!(
                    "checks.ignore entry for {} has no reason: say why the finding is accepted",
                    rule.code
                ),
            });
        }
        out.push(Ignore {
            codes: vec![rule.code.trim().to_ascii_uppercase()],
            reason: reason.to_string(),
            at: Origin::new(file, line),
            scope: Scope::Site {
                hosts: rule.hosts.clone(),
                groups: rule.groups.clone(),
            },
        });
    }
    Ok(out)
}

fn load_config_with_lines(dir: &Path) -> Result<Option<ConfigWithLines>, SiteError> {
    if !dir.is_dir() {
        return Err(SiteError::NotADirectory(dir.to_path_buf()));
    }
    let mut found = None;
    for p in ["kubemagic.yml", "kubemagic.yaml"]
        .iter()
        .map(|n| dir.join(n))
    {
        // A FIFO or a device named kubemagic.yml is refused, not skipped:
        // silently running without the site's configuration is worse.
        if regular_file(&p)? {
            found = Some(p);
            break;
        }
    }
    let Some(file) = found else {
        return Ok(None);
    };
    let (config, lines) = read_config(&file)?;
    Ok(Some((file, config, lines)))
}

/// Reads kubemagic.yml: YAML typed as Ansible types it, then the
/// [`SiteConfig`] shape (unknown keys are errors: a typo must not silently
/// fall back to a default). Also returns the line of each upstream's `ref`,
/// so that findings about refs point at it.
fn read_config(file: &Path) -> Result<(SiteConfig, ConfigLines), SiteError> {
    let text = kubemagic_fs::read_to_string(file, kubemagic_fs::limits::MAX_SOURCE_BYTES)?;
    let Some(node) = kubemagic_inventory::load_nodes(&text, file).map_err(config_yaml_error)?
    else {
        return Ok((SiteConfig::default(), ConfigLines::default()));
    };
    let value = node.to_value(file).map_err(config_yaml_error)?;
    if !value.is_object() {
        return Err(SiteError::Config {
            file: file.to_path_buf(),
            line: Some(node.line),
            message: "expected a mapping at the top level".into(),
        });
    }
    // Unknown keys and words first, each at its own line (serde would name
    // the word but not where it is).
    crate::config_check::check_shape(file, &node)?;
    let config = SiteConfig::from_value(value).map_err(|e| {
        let message = e.to_string();
        // serde names the offending key (`unknown field `flavour``) or value
        // (`unknown variant `nonsense``, `invalid type: string "x"`) but
        // not where it is: find the line of that key, else of that value.
        let named: Vec<&str> = message
            .split('`')
            .skip(1)
            .step_by(2)
            .chain(message.split('"').skip(1).step_by(2))
            .collect();
        let line = named
            .iter()
            .find_map(|t| key_line(&node, t))
            .or_else(|| named.iter().find_map(|t| value_line(&node, t)))
            .or(Some(node.line));
        SiteError::Config {
            file: file.to_path_buf(),
            line,
            message: format!("kubemagic.yml: {message}"),
        }
    })?;
    let mut lines = ConfigLines::default();
    if let Some(NodeKind::Map(entries)) = node.get("upstreams").map(|n| &n.kind) {
        for (k, v) in entries {
            if let (Some(name), Some(r)) = (k.kind.as_str(), v.get("ref")) {
                lines.refs.insert(name.to_string(), r.line);
            }
        }
    }
    if let Some(NodeKind::Seq(items)) = node
        .get("checks")
        .and_then(|c| c.get("ignore"))
        .map(|n| &n.kind)
    {
        lines.ignores = items.iter().map(|n| n.line).collect();
    }
    crate::config_check::check_meaning(file, &node, &config)?;
    Ok((config, lines))
}

/// kubemagic.yml that is not YAML is the site's configuration at fault, not
/// an inventory: a [`SiteError::Config`] at the parser's line (Python's
/// `kubemagic.check()` then raises CheckError, as documented, rather than
/// InventoryError).
fn config_yaml_error(e: kubemagic_inventory::InventoryError) -> SiteError {
    let Some(file) = e.file().map(Path::to_path_buf) else {
        return SiteError::Inventory(e);
    };
    let line = e.line();
    let text = e.to_string();
    let prefix = format!(
        "{}{}: ",
        file.display(),
        line.map(|l| format!(":{l}")).unwrap_or_default()
    );
    let message = text.strip_prefix(&prefix).unwrap_or(&text).to_string();
    SiteError::Config {
        file,
        line,
        message: format!("kubemagic.yml: {message}"),
    }
}

/// The line of the first scalar value whose text is `text`, anywhere in
/// the document (what serde's "unknown variant" names).
fn value_line(node: &Node, text: &str) -> Option<u32> {
    match &node.kind {
        NodeKind::Map(entries) => entries.iter().find_map(|(_, v)| value_line(v, text)),
        NodeKind::Seq(items) => items.iter().find_map(|n| value_line(n, text)),
        kind => (kind.as_str() == Some(text)).then_some(node.line),
    }
}

/// The line of the first mapping key named `key`, anywhere in the document.
fn key_line(node: &Node, key: &str) -> Option<u32> {
    match &node.kind {
        NodeKind::Map(entries) => entries.iter().find_map(|(k, v)| {
            if k.kind.as_str() == Some(key) {
                Some(k.line)
            } else {
                key_line(v, key)
            }
        }),
        NodeKind::Seq(items) => items.iter().find_map(|n| key_line(n, key)),
        _ => None,
    }
}

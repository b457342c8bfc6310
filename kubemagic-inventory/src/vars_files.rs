//! `group_vars/` and `host_vars/` beside each source and the playbook dir,
//! found as ansible-core's `host_group_vars` vars plugin and
//! `DataLoader.find_vars_files` find them.
//!
//! For an entity `name`, the first existing of `name`, `name.yml`,
//! `name.yaml`, `name.json` wins; a directory is walked recursively in
//! sorted order (hidden and `~` entries skipped, files only with a valid
//! extension or none, sub-directories only without an extension). Each
//! vars directory is listed once and each file parsed once, so resolving
//! 5,000 hosts does not touch the disk 5,000 times.

use crate::error::{InventoryError, Result, Warning};
use crate::value::Vars;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Whether a vars file or folder belongs to a group or a host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VarsKind {
    /// `group_vars/<name>`.
    Group,
    /// `host_vars/<name>`.
    Host,
}

/// A `group_vars/<name>[.yml|.yaml|.json]` or `host_vars/...` entry found
/// beside a source or the playbook dir, whether or not a group/host of that
/// name exists (checks report the orphans).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VarsFileEntry {
    /// Group or host.
    pub kind: VarsKind,
    /// The group or host name the entry is for.
    pub name: String,
    /// The file or folder path.
    pub path: PathBuf,
}

const EXTS: [&str; 3] = [".yml", ".yaml", ".json"];

/// One `group_vars` or `host_vars` directory, listed.
#[derive(Debug, Clone, Default)]
struct KindDir {
    dir: PathBuf,
    /// Entry names directly in the directory.
    names: HashSet<String>,
}

/// The vars directories of one base path (a source's directory or the
/// playbook dir).
#[derive(Debug, Clone, Default)]
pub struct VarsBase {
    group: Option<KindDir>,
    host: Option<KindDir>,
}

/// Parsed vars files, shared between bases that resolve to the same path.
#[derive(Debug, Clone, Default)]
pub struct VarsStore {
    loaded: HashMap<PathBuf, Option<Arc<Vars>>>,
    /// What Ansible warns about while loading them (duplicate keys), once
    /// per file.
    pub warnings: Vec<Warning>,
}

impl VarsBase {
    /// Lists `base/group_vars` and `base/host_vars` (`base` is already the
    /// canonical directory, as the plugin's `realpath(basedir(path))`).
    pub fn open(base: &Path) -> Result<VarsBase> {
        Ok(VarsBase {
            group: list_kind_dir(&base.join("group_vars"))?,
            host: list_kind_dir(&base.join("host_vars"))?,
        })
    }

    /// The files for one entity, in load order (`find_vars_files`).
    pub fn find(&self, kind: VarsKind, name: &str) -> Result<Vec<PathBuf>> {
        let kd = match kind {
            VarsKind::Group => &self.group,
            VarsKind::Host => &self.host,
        };
        let Some(kd) = kd else { return Ok(Vec::new()) };
        // "avoid 'chroot' type inventory hostnames /path/to/chroot"
        if name.is_empty() || name.starts_with('/') {
            return Ok(Vec::new());
        }
        for ext in std::iter::once("").chain(EXTS) {
            let candidate = format!("{name}{ext}");
            // Names with a `/` reach into sub-directories in Ansible; look
            // them up on the disk rather than in the listing.
            let exists = if name.contains('/') {
                kd.dir.join(&candidate).exists()
            } else {
                kd.names.contains(&candidate)
            };
            if !exists {
                continue;
            }
            let full = kd.dir.join(&candidate);
            if full.is_dir() {
                let mut found = Vec::new();
                walk_dir(&full, &mut found)?;
                return Ok(found);
            }
            return Ok(vec![full]);
        }
        Ok(Vec::new())
    }

    /// Every entry of `group_vars/` and `host_vars/` that Ansible could load
    /// for some entity: files with a valid extension or none, directories.
    pub fn entries(&self) -> Vec<VarsFileEntry> {
        let mut out = Vec::new();
        for (kind, kd) in [(VarsKind::Group, &self.group), (VarsKind::Host, &self.host)] {
            let Some(kd) = kd else { continue };
            let mut names: Vec<&String> = kd.names.iter().collect();
            names.sort();
            for n in names {
                if n.starts_with('.') || n.ends_with('~') {
                    continue;
                }
                let path = kd.dir.join(n);
                let ext = crate::text::splitext_ext(&path);
                let name = if EXTS.contains(&ext.as_str()) {
                    n[..n.len() - ext.len()].to_string()
                } else if path.is_dir() || ext.is_empty() {
                    n.clone()
                } else {
                    continue;
                };
                out.push(VarsFileEntry { kind, name, path });
            }
        }
        out
    }
}

fn list_kind_dir(dir: &Path) -> Result<Option<KindDir>> {
    if !dir.is_dir() {
        return Ok(None);
    }
    let mut names = HashSet::new();
    let rd = std::fs::read_dir(dir).map_err(|e| InventoryError::io(dir, e))?;
    for entry in rd {
        let entry = entry.map_err(|e| InventoryError::io(dir, e))?;
        names.insert(entry.file_name().to_string_lossy().into_owned());
    }
    Ok(Some(KindDir {
        dir: dir.to_path_buf(),
        names,
    }))
}

/// `DataLoader._get_dir_vars_files`.
fn walk_dir(dir: &Path, found: &mut Vec<PathBuf>) -> Result<()> {
    let mut names: Vec<String> = Vec::new();
    let rd = std::fs::read_dir(dir).map_err(|e| InventoryError::io(dir, e))?;
    for entry in rd {
        let entry = entry.map_err(|e| InventoryError::io(dir, e))?;
        names.push(entry.file_name().to_string_lossy().into_owned());
    }
    names.sort();
    for n in names {
        if n.starts_with('.') || n.ends_with('~') {
            continue;
        }
        let full = dir.join(&n);
        let ext = crate::text::splitext_ext(&full);
        if full.is_dir() && ext.is_empty() {
            walk_dir(&full, found)?;
        } else if full.is_file() && (ext.is_empty() || EXTS.contains(&ext.as_str())) {
            found.push(full);
        }
    }
    Ok(())
}

impl VarsStore {
    /// Loads (once) a vars file; `None` for an empty file, which Ansible
    /// ignores (`if new_data:`).
    pub fn load(&mut self, path: &Path) -> Result<Option<Arc<Vars>>> {
        if let Some(v) = self.loaded.get(path) {
            return Ok(v.clone());
        }
        // `group_vars/<name>` itself is read whatever it is (Ansible's
        // `find_vars_files` takes any existing path and would block on a
        // FIFO): refuse what is not a regular file, naming it. Inside a
        // folder only regular files are taken (`walk_dir`), as in Ansible.
        let bytes = kubemagic_fs::read(path, kubemagic_fs::limits::MAX_SOURCE_BYTES)?;
        let text = crate::text::decode_utf8(bytes, path)?;
        let (vars, warnings) = crate::yaml::load_vars_file(&text, path)?;
        self.warnings.extend(warnings);
        let vars = vars.filter(|v| !v.is_empty()).map(Arc::new);
        self.loaded.insert(path.to_path_buf(), vars.clone());
        Ok(vars)
    }
}

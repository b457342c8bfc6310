//! The public face of the engine: load sources, query, resolve, export.
//!
//! CONTRACT (other crates, the CLI, the Python module and the site checks
//! code against these signatures; keep them stable, extend freely):
//! - `Inventory::load(&sources, &LoadOptions)`
//! - `groups()`, `hosts()`, `group_hosts(g)`, `host_groups(h)`
//! - `host_vars(h)` → resolved variables with origins (what
//!   `ansible-inventory --host` prints, plus where each value was set)
//! - `select(pattern)` → hosts matching an Ansible host pattern
//! - `to_ansible_list(export)` → the `ansible-inventory --list` document
//! - `graph(group)` → the `ansible-inventory --graph` text
//! - `vars_files()` → every group_vars/host_vars file or folder found

use crate::data::InventoryData;
use crate::error::{InventoryError, Result};
use crate::value::{Value, Vars};
use std::path::PathBuf;

/// How dictionaries from different levels combine (`DEFAULT_HASH_BEHAVIOUR`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum HashBehaviour {
    /// Ansible's default: a higher-precedence dict replaces the lower one.
    #[default]
    Replace,
    /// Recursive merge of dicts.
    Merge,
}

#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `--playbook-dir`: its group_vars/host_vars are read too (after the
    /// inventory-adjacent ones, at higher precedence).
    pub playbook_dir: Option<PathBuf>,
    pub hash_behaviour: HashBehaviour,
}

/// Whether a vars file or folder belongs to a group or a host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VarsKind {
    Group,
    Host,
}

/// A `group_vars/<name>[.yml|.yaml|.json]` or `host_vars/...` entry found
/// beside a source or the playbook dir, whether or not a group/host of that
/// name exists (checks report the orphans).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VarsFileEntry {
    pub kind: VarsKind,
    /// The group or host name the entry is for.
    pub name: String,
    /// The file or folder path.
    pub path: PathBuf,
}

/// A loaded inventory (one or several sources merged).
#[derive(Debug, Clone)]
pub struct Inventory {
    pub data: InventoryData,
    pub sources: Vec<PathBuf>,
    pub options: LoadOptions,
}

impl Inventory {
    pub fn load(_sources: &[PathBuf], _options: &LoadOptions) -> Result<Inventory> {
        Err(InventoryError::Model("Inventory::load: not implemented yet".into()))
    }

    /// Group names in creation order (`all` and `ungrouped` first).
    pub fn groups(&self) -> Vec<&str> {
        self.data.groups.iter().map(|g| g.name.as_str()).collect()
    }

    /// Host names in creation order.
    pub fn hosts(&self) -> Vec<&str> {
        self.data.hosts.iter().map(|h| h.name.as_str()).collect()
    }

    /// Every host of a group, descendants included, in Ansible's order
    /// (`group.get_hosts()`); `None` when the group does not exist.
    pub fn group_hosts(&self, _group: &str) -> Option<Vec<&str>> {
        None
    }

    /// Groups of a host, ancestors included; `None` when the host does not exist.
    pub fn host_groups(&self, host: &str) -> Option<Vec<&str>> {
        let h = self.data.host(host)?;
        Some(h.groups.iter().map(|&g| self.data.groups[g].name.as_str()).collect())
    }

    /// Resolved variables of a host with their origins, in Ansible's
    /// precedence; values equal to `ansible-inventory --host HOST`.
    pub fn host_vars(&self, host: &str) -> Result<Vars> {
        Err(InventoryError::Model(format!("host_vars({host}): not implemented yet")))
    }

    /// Hosts matching an Ansible host pattern, in Ansible's order.
    pub fn select(&self, pattern: &str) -> Result<Vec<&str>> {
        Err(InventoryError::Pattern {
            pattern: pattern.to_string(),
            message: "not implemented yet".into(),
        })
    }

    /// The `ansible-inventory --list` (or `--list --export`) document.
    pub fn to_ansible_list(&self, _export: bool) -> Result<Value> {
        Err(InventoryError::Model("to_ansible_list: not implemented yet".into()))
    }

    /// The `ansible-inventory --graph [GROUP]` text, byte for byte.
    pub fn graph(&self, _group: Option<&str>, _with_vars: bool) -> Result<String> {
        Err(InventoryError::Model("graph: not implemented yet".into()))
    }

    /// Every group_vars/host_vars file or folder found beside the sources
    /// and the playbook dir.
    pub fn vars_files(&self) -> &[VarsFileEntry] {
        &[]
    }
}

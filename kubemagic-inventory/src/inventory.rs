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

use crate::data::{GroupId, HostId, InventoryData, ALL};
use crate::error::{InventoryError, Result, Warning, WarningKind};
use crate::resolve::{combine_level, remove_internal, HashBehaviour};
use crate::value::{Value, Var, Vars};
use crate::vars_files::{VarsBase, VarsFileEntry, VarsKind, VarsStore};
use kubemagic_core::Origin;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

/// What `ansible-inventory` takes from its command line and `ansible.cfg`
/// that changes the result; everything else is Ansible's default.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `--playbook-dir`: its group_vars/host_vars are read too (after the
    /// inventory-adjacent ones, at higher precedence).
    pub playbook_dir: Option<PathBuf>,
    /// `DEFAULT_HASH_BEHAVIOUR` (`--hash-merge`).
    pub hash_behaviour: HashBehaviour,
    /// `--strict`: any warning makes [`Inventory::load`] fail with
    /// [`InventoryError::Strict`] (exit 2) instead of loading.
    pub strict: bool,
}

/// Parsed vars files of one base directory, per group and per host.
#[derive(Debug, Clone, Default)]
struct BaseVars {
    /// Indexed by `GroupId`: the files' contents, in load order.
    groups: Vec<Vec<Arc<Vars>>>,
    /// Indexed by `HostId`.
    hosts: Vec<Vec<Arc<Vars>>>,
}

/// A loaded inventory (one or several sources merged).
#[derive(Debug, Clone)]
pub struct Inventory {
    /// The groups and hosts as the parsers built them (crate-internal: the
    /// ids and raw vars are not Ansible's view; callers use the methods).
    pub(crate) data: InventoryData,
    /// The sources, as given to [`Inventory::load`].
    pub sources: Vec<PathBuf>,
    /// The options the inventory was loaded with.
    pub options: LoadOptions,
    /// Vars of each source's directory, in source order (host lists have none).
    source_vars: Vec<BaseVars>,
    /// Vars of the playbook dir.
    play_vars: Option<BaseVars>,
    vars_files: Vec<VarsFileEntry>,
    /// Levels 1–6 of the precedence (everything coming from groups),
    /// computed once per distinct set of groups: hosts sharing their groups
    /// share this part.
    group_parts: Vec<Vars>,
    /// For each host, its index in `group_parts`.
    host_group_part: Vec<usize>,
    /// For each group part, the indices of its non-internal entries sorted
    /// by name, so `host_vars_view` merge-joins instead of hashing.
    group_parts_sorted: Vec<Vec<usize>>,
}

impl Inventory {
    /// Reads every source (files, directories, host lists) and the vars
    /// files beside them and the playbook dir, as `ansible-inventory` does.
    pub fn load(sources: &[PathBuf], options: &LoadOptions) -> Result<Inventory> {
        let mut data = InventoryData::new();
        data.hash_behaviour = options.hash_behaviour;
        crate::sources::parse_sources(sources, &mut data)?;

        let mut store = VarsStore::default();
        let mut vars_files = Vec::new();
        let mut opened: Vec<(PathBuf, VarsBase)> = Vec::new();
        let mut source_vars = Vec::new();
        for source in sources {
            if source.as_os_str().is_empty() || crate::sources::is_host_list(source) {
                continue;
            }
            let base = vars_base_dir(source);
            source_vars.push(load_base(
                &base,
                &data,
                &mut store,
                &mut opened,
                &mut vars_files,
            )?);
        }
        let play_vars = match &options.playbook_dir {
            Some(pd) => {
                let base = std::fs::canonicalize(crate::sources::unfrack(pd))
                    .unwrap_or_else(|_| crate::sources::unfrack(pd));
                Some(load_base(
                    &base,
                    &data,
                    &mut store,
                    &mut opened,
                    &mut vars_files,
                )?)
            }
            None => None,
        };
        let mut inv = Inventory {
            data,
            sources: sources.to_vec(),
            options: options.clone(),
            source_vars,
            play_vars,
            vars_files,
            group_parts: Vec::new(),
            host_group_part: Vec::new(),
            group_parts_sorted: Vec::new(),
        };
        inv.compute_group_parts();
        inv.data.warnings.append(&mut store.warnings);
        let reserved = inv.reserved_name_warnings();
        inv.data.warnings.extend(reserved);
        if options.strict && !inv.data.warnings.is_empty() {
            return Err(InventoryError::Strict {
                warnings: std::mem::take(&mut inv.data.warnings),
            });
        }
        Ok(inv)
    }

    /// What Ansible warns about while reading these sources (and what
    /// kubemagic knows beyond Ansible: a range that expands to nothing, an
    /// unknown key in a YAML group), each with its file, line and column.
    /// The inventory itself is exactly Ansible's; these only inform.
    /// `kubemagic check` reports them as KM6xx findings.
    pub fn warnings(&self) -> &[Warning] {
        &self.data.warnings
    }

    fn hb(&self) -> HashBehaviour {
        self.options.hash_behaviour
    }

    /// Host's groups without `all`, sorted as `sort_groups` does.
    fn sorted_groups(&self, h: HostId) -> Vec<GroupId> {
        let mut gs: Vec<GroupId> = self.data.hosts[h]
            .groups
            .iter()
            .copied()
            .filter(|&g| g != ALL)
            .collect();
        gs.sort_by(|&a, &b| {
            let (ga, gb) = (&self.data.groups[a], &self.data.groups[b]);
            (ga.depth, ga.priority, &ga.name).cmp(&(gb.depth, gb.priority, &gb.name))
        });
        gs
    }

    fn compute_group_parts(&mut self) {
        let mut index: HashMap<Vec<GroupId>, usize> = HashMap::new();
        let mut parts = Vec::new();
        let mut host_part = Vec::with_capacity(self.data.hosts.len());
        for h in 0..self.data.hosts.len() {
            let gs = self.sorted_groups(h);
            let i = match index.get(&gs) {
                Some(&i) => i,
                None => {
                    let part = self.group_part(&gs);
                    parts.push(part);
                    index.insert(gs, parts.len() - 1);
                    parts.len() - 1
                }
            };
            host_part.push(i);
        }
        self.group_parts_sorted = parts
            .iter()
            .map(|p| {
                let mut idx: Vec<usize> = (0..p.len())
                    .filter(|&i| {
                        p.get_index(i)
                            .is_some_and(|(k, _)| !crate::resolve::is_internal(k))
                    })
                    .collect();
                idx.sort_unstable_by(|&a, &b| {
                    let ka = p.get_index(a).map(|(k, _)| k.as_str()).unwrap_or("");
                    let kb = p.get_index(b).map(|(k, _)| k.as_str()).unwrap_or("");
                    ka.cmp(kb)
                });
                idx
            })
            .collect();
        self.group_parts = parts;
        self.host_group_part = host_part;
    }

    /// Precedence levels 1–6 for a host in the sorted groups `gs`, each
    /// as sources (outer) × files (inner), the nesting `combine_level`
    /// folds (see the module doc): the one statement of that order, which
    /// [`Inventory::group_part`] combines and the reserved-name warning walks.
    fn group_levels(&self, gs: &[GroupId]) -> [Vec<Vec<&Vars>>; 6] {
        let play = |f: &dyn Fn(&BaseVars) -> Vec<&Vars>| -> Vec<Vec<&Vars>> {
            self.play_vars.iter().map(f).collect()
        };
        [
            // 1. all_inventory
            vec![vec![&self.data.groups[ALL].vars]],
            // 2. groups_inventory
            vec![gs.iter().map(|&g| &self.data.groups[g].vars).collect()],
            // 3. all_plugins_inventory
            self.source_vars
                .iter()
                .map(|b| b.groups[ALL].iter().map(|a| a.as_ref()).collect())
                .collect(),
            // 4. all_plugins_play
            play(&|p| p.groups[ALL].iter().map(|a| a.as_ref()).collect()),
            // 5. groups_plugins_inventory: source outermost, then groups, then files
            self.source_vars
                .iter()
                .map(|b| {
                    gs.iter()
                        .flat_map(|&g| b.groups[g].iter().map(|a| a.as_ref()))
                        .collect()
                })
                .collect(),
            // 6. groups_plugins_play
            play(&|p| {
                gs.iter()
                    .flat_map(|&g| p.groups[g].iter().map(|a| a.as_ref()))
                    .collect()
            }),
        ]
    }

    /// Precedence levels 7–9 for host `h`: its inventory vars, then its
    /// host_vars beside each source, then those of the playbook dir.
    fn host_levels(&self, h: HostId) -> [Vec<Vec<&Vars>>; 3] {
        [
            vec![vec![&self.data.hosts[h].vars]],
            self.source_vars
                .iter()
                .map(|b| b.hosts[h].iter().map(|a| a.as_ref()).collect())
                .collect(),
            self.play_vars
                .iter()
                .map(|p| p.hosts[h].iter().map(|a| a.as_ref()).collect())
                .collect(),
        ]
    }

    /// Precedence levels 1–6 combined, for a host in the sorted groups `gs`.
    fn group_part(&self, gs: &[GroupId]) -> Vars {
        let hb = self.hb();
        let mut acc = Vars::new();
        for level in self.group_levels(gs) {
            combine_level(&mut acc, &level, hb);
        }
        acc
    }

    /// Ansible's "Found variable using reserved name" for every host, as
    /// `--list` prints it: once per variable and origin. The origin is the
    /// *first* definition in precedence order, not the winning one: Python's
    /// `a | b` keeps the key object of `a`, and the warning points at the
    /// key. Computed once per distinct set of groups, then per host.
    fn reserved_name_warnings(&self) -> Vec<Warning> {
        fn first_defs<'a>(chain: &[&'a Vars], out: &mut Vec<(&'a str, &'a Origin)>) {
            for vars in chain {
                for (k, var) in vars.iter() {
                    if crate::resolve::is_reserved(k) && !out.iter().any(|(n, _)| *n == k) {
                        if let Some(o) = &var.origin {
                            out.push((k, o));
                        }
                    }
                }
            }
        }
        let mut per_part: HashMap<usize, Vec<(&str, &Origin)>> = HashMap::new();
        let mut seen: Vec<(&str, &Origin)> = Vec::new();
        for h in 0..self.data.hosts.len() {
            let part = self.host_group_part[h];
            let mut defs = match per_part.get(&part) {
                Some(d) => d.clone(),
                None => {
                    let levels = self.group_levels(&self.sorted_groups(h));
                    let chain: Vec<&Vars> = levels.into_iter().flatten().flatten().collect();
                    let mut d = Vec::new();
                    first_defs(&chain, &mut d);
                    per_part.insert(part, d.clone());
                    d
                }
            };
            // Inline host vars only when one of them is reserved: this walk
            // would otherwise touch every host's variables (see
            // `InventoryData::host_var_reserved`).
            let skip = usize::from(!self.data.host_var_reserved);
            let host_chain: Vec<&Vars> = self
                .host_levels(h)
                .into_iter()
                .skip(skip)
                .flatten()
                .flatten()
                .collect();
            first_defs(&host_chain, &mut defs);
            for d in defs {
                if !seen.contains(&d) {
                    seen.push(d);
                }
            }
        }
        seen.into_iter()
            .map(|(name, o)| {
                Warning::new(
                    WarningKind::ReservedName,
                    o.file.clone(),
                    o.line,
                    o.col,
                    format!("Found variable using reserved name '{name}'."),
                )
                .about(name)
            })
            .collect()
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
    pub fn group_hosts(&self, group: &str) -> Option<Vec<&str>> {
        let g = self.data.group_id(group)?;
        Some(
            crate::pattern::group_get_hosts(&self.data, g)
                .into_iter()
                .map(|h| self.data.hosts[h].name.as_str())
                .collect(),
        )
    }

    /// Groups of a host, ancestors included; `None` when the host does not exist.
    pub fn host_groups(&self, host: &str) -> Option<Vec<&str>> {
        let h = self.data.host(host)?;
        Some(
            h.groups
                .iter()
                .map(|&g| self.data.groups[g].name.as_str())
                .collect(),
        )
    }

    /// Resolved variables of a host with their origins, in Ansible's
    /// precedence; values equal to `ansible-inventory --host HOST`.
    pub fn host_vars(&self, host: &str) -> Result<Vars> {
        let h = self
            .data
            .host_id(host)
            .ok_or_else(|| InventoryError::Model(format!("host {host} is not in the inventory")))?;
        Ok(self.host_vars_by_id(h))
    }

    /// `host_vars` by id (what `--list` prints under `_meta.hostvars`).
    pub fn host_vars_by_id(&self, h: HostId) -> Vars {
        let hb = self.hb();
        let mut acc = self.group_parts[self.host_group_part[h]].clone();
        for level in self.host_levels(h) {
            combine_level(&mut acc, &level, hb);
        }
        remove_internal(&mut acc);
        acc
    }

    /// Steps 8 and 9 of the precedence (for `--export`, whose host vars are
    /// the host's own): host_vars beside each source, then those of the
    /// playbook dir; then the internal variables Ansible never prints are
    /// dropped.
    fn add_host_vars_files(&self, acc: &mut Vars, h: HostId) {
        let hb = self.hb();
        for level in self.host_levels(h).into_iter().skip(1) {
            combine_level(acc, &level, hb);
        }
        remove_internal(acc);
    }

    /// The resolved variables of a host as borrowed `(name, value)` pairs
    /// sorted by name, without cloning anything: the fast path `--list`
    /// uses for thousands of hosts. `None` with `hash_behaviour=merge`
    /// (merged dicts are new values; use [`Inventory::host_vars_by_id`]).
    pub fn host_vars_view<'a>(&'a self, h: HostId) -> Option<Vec<(&'a str, &'a Value)>> {
        if self.hb() != HashBehaviour::Replace {
            return None;
        }
        let pi = self.host_group_part[h];
        let part = &self.group_parts[pi];
        // Host levels (7–9) in `host_levels` order, walked without allocating
        // (the hot path of `--list`); last definition wins; hosts have few
        // variables.
        let mut own: Vec<(&str, &Value)> = Vec::new();
        let mut put = |k: &'a str, v: &'a Value| match own.iter_mut().find(|(x, _)| *x == k) {
            Some(slot) => slot.1 = v,
            None => own.push((k, v)),
        };
        for (k, v) in &self.data.hosts[h].vars {
            put(k, &v.value);
        }
        for b in &self.source_vars {
            for f in &b.hosts[h] {
                for (k, v) in f.iter() {
                    put(k, &v.value);
                }
            }
        }
        if let Some(p) = &self.play_vars {
            for f in &p.hosts[h] {
                for (k, v) in f.iter() {
                    put(k, &v.value);
                }
            }
        }
        own.retain(|(k, _)| !crate::resolve::is_internal(k));
        own.sort_unstable_by(|a, b| a.0.cmp(b.0));
        // Merge-join with the group part, sorted once per distinct group set.
        let mut out = Vec::with_capacity(part.len() + own.len());
        let mut gi = self.group_parts_sorted[pi].iter().peekable();
        let mut oi = own.into_iter().peekable();
        loop {
            let g = gi
                .peek()
                .and_then(|&&i| part.get_index(i))
                .map(|(k, v)| (k.as_str(), &v.value));
            match (g, oi.peek().copied()) {
                (None, None) => break,
                (Some(gv), None) => {
                    out.push(gv);
                    gi.next();
                }
                (None, Some(ov)) => {
                    out.push(ov);
                    oi.next();
                }
                (Some(gv), Some(ov)) => match gv.0.cmp(ov.0) {
                    std::cmp::Ordering::Less => {
                        out.push(gv);
                        gi.next();
                    }
                    std::cmp::Ordering::Greater => {
                        out.push(ov);
                        oi.next();
                    }
                    std::cmp::Ordering::Equal => {
                        out.push(ov);
                        gi.next();
                        oi.next();
                    }
                },
            }
        }
        Some(out)
    }

    /// `--export` host vars: the host's own vars and its host_vars files only.
    pub fn export_host_vars(&self, h: HostId) -> Vars {
        let mut acc = self.data.hosts[h].vars.clone();
        self.add_host_vars_files(&mut acc, h);
        acc
    }

    /// `_get_group_variables`: inventory vars, group_vars beside the
    /// sources and in the playbook dir, and a non-default priority.
    pub fn group_vars_by_id(&self, g: GroupId) -> Vars {
        let hb = self.hb();
        let mut acc = self.data.groups[g].vars.clone();
        let src: Vec<Vec<&Vars>> = self
            .source_vars
            .iter()
            .map(|b| b.groups[g].iter().map(|a| a.as_ref()).collect())
            .collect();
        combine_level(&mut acc, &src, hb);
        if let Some(p) = &self.play_vars {
            combine_level(
                &mut acc,
                &[p.groups[g].iter().map(|a| a.as_ref()).collect()],
                hb,
            );
        }
        let prio = self.data.groups[g].priority;
        if prio != 1 {
            acc.insert(
                "ansible_group_priority".to_string(),
                Var {
                    value: Value::from(prio),
                    origin: self.data.groups[g].origin.clone(),
                },
            );
        }
        remove_internal(&mut acc);
        acc
    }

    /// Resolved variables of a group as `ansible-inventory --graph --vars`
    /// and `--list --export` show them.
    pub fn group_vars(&self, group: &str) -> Result<Vars> {
        let g = self.data.group_id(group).ok_or_else(|| {
            InventoryError::Model(format!("group {group} is not in the inventory"))
        })?;
        Ok(self.group_vars_by_id(g))
    }

    /// Hosts matching an Ansible host pattern, in Ansible's order.
    pub fn select(&self, pattern: &str) -> Result<Vec<&str>> {
        Ok(self.select_noting(pattern)?.0)
    }

    /// [`Inventory::select`], with Ansible's warning for each part of the
    /// pattern that matched nothing: `Could not match supplied host
    /// pattern, ignoring: lb2` (what `ansible 'lb:!lb2' --list-hosts`
    /// prints when `lb2` names no host or group).
    pub fn select_noting(&self, pattern: &str) -> Result<(Vec<&str>, Vec<String>)> {
        let mut unmatched = Vec::new();
        let ids = crate::pattern::get_hosts_noting(&self.data, pattern, &mut unmatched)?;
        // Ansible names its implicit localhost after the first pattern that
        // created it (`_create_implicit_localhost(pattern)`).
        let implicit_name = crate::pattern::split_host_pattern(pattern)
            .iter()
            .map(|p| p.trim_start_matches(['&', '!']))
            .find_map(|p| {
                crate::pattern::LOCALHOST_NAMES
                    .iter()
                    .copied()
                    .find(|l| *l == p)
            })
            .unwrap_or("localhost");
        let hosts = ids
            .into_iter()
            .map(|h| match self.data.hosts.get(h) {
                Some(host) => host.name.as_str(),
                None => implicit_name,
            })
            .collect();
        // Ansible's Display prints a warning once.
        let mut seen = std::collections::HashSet::new();
        unmatched.retain(|p| seen.insert(p.clone()));
        let warnings = unmatched
            .into_iter()
            .map(|p| format!("Could not match supplied host pattern, ignoring: {p}"))
            .collect();
        Ok((hosts, warnings))
    }

    /// Where a group was first declared (file and line), for findings that
    /// point at a group; `None` for an unknown group or the implicit ones.
    pub fn group_origin(&self, group: &str) -> Option<&Origin> {
        self.data.group(group).and_then(|g| g.origin.as_ref())
    }

    /// Where a host was first declared (file and line).
    pub fn host_origin(&self, host: &str) -> Option<&Origin> {
        self.data.host(host).and_then(|h| h.origin.as_ref())
    }

    /// Every group_vars/host_vars file or folder found beside the sources
    /// and the playbook dir.
    pub fn vars_files(&self) -> &[VarsFileEntry] {
        &self.vars_files
    }
}

/// The directory whose group_vars/host_vars belong to a source:
/// `get_vars_from_inventory_sources` takes the source itself when it is a
/// directory, else its dirname; the plugin then resolves symlinks.
fn vars_base_dir(source: &std::path::Path) -> PathBuf {
    let abs = crate::sources::unfrack(source);
    let dir = if abs.is_dir() {
        abs
    } else {
        abs.parent().map(|p| p.to_path_buf()).unwrap_or(abs)
    };
    std::fs::canonicalize(&dir).unwrap_or(dir)
}

fn load_base(
    base: &std::path::Path,
    data: &InventoryData,
    store: &mut VarsStore,
    opened: &mut Vec<(PathBuf, VarsBase)>,
    vars_files: &mut Vec<VarsFileEntry>,
) -> Result<BaseVars> {
    let vb = match opened.iter().find(|(p, _)| p == base) {
        Some((_, vb)) => vb.clone(),
        None => {
            let vb = VarsBase::open(base)?;
            for e in vb.entries() {
                if !vars_files.contains(&e) {
                    vars_files.push(e);
                }
            }
            opened.push((base.to_path_buf(), vb.clone()));
            vb
        }
    };
    let mut out = BaseVars::default();
    for g in &data.groups {
        let mut loaded = Vec::new();
        for f in vb.find(VarsKind::Group, &g.name)? {
            if let Some(v) = store.load(&f)? {
                loaded.push(v);
            }
        }
        out.groups.push(loaded);
    }
    for h in &data.hosts {
        let mut loaded = Vec::new();
        for f in vb.find(VarsKind::Host, &h.name)? {
            if let Some(v) = store.load(&f)? {
                loaded.push(v);
            }
        }
        out.hosts.push(loaded);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn site(files: &[(&str, &str)]) -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        for (p, t) in files {
            let path = d.path().join(p);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, t).unwrap();
        }
        d
    }

    #[test]
    fn inventory_can_cross_threads_for_python_and_async_callers() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Inventory>();
    }

    #[test]
    fn winning_value_keeps_its_origin() {
        let d = site(&[
            (
                "hosts.yml",
                "all:\n  children:\n    web:\n      vars: {x: inv}\n      hosts: {w1: }\n",
            ),
            ("group_vars/web.yml", "x: file\n"),
        ]);
        let inv = Inventory::load(&[d.path().join("hosts.yml")], &LoadOptions::default()).unwrap();
        let vars = inv.host_vars("w1").unwrap();
        assert_eq!(vars["x"].value, Value::from("file"));
        let origin = vars["x"].origin.as_ref().unwrap();
        assert!(origin.file.ends_with("group_vars/web.yml"), "{origin}");
    }

    #[test]
    fn vars_files_lists_entries_without_matching_groups() {
        let d = site(&[
            ("hosts.yml", "all:\n  hosts: {h1: }\n"),
            ("group_vars/kube-master.yml", "a: 1\n"),
            ("group_vars/all/main.yml", "a: 1\n"),
            ("group_vars/.hidden.yml", "a: 1\n"),
            ("host_vars/h1.yaml", "a: 1\n"),
        ]);
        let inv = Inventory::load(&[d.path().join("hosts.yml")], &LoadOptions::default()).unwrap();
        let names: Vec<(VarsKind, &str)> = inv
            .vars_files()
            .iter()
            .map(|e| (e.kind, e.name.as_str()))
            .collect();
        assert_eq!(
            names,
            vec![
                (VarsKind::Group, "all"),
                (VarsKind::Group, "kube-master"),
                (VarsKind::Host, "h1")
            ]
        );
    }

    #[test]
    fn hash_merge_merges_dicts_across_levels() {
        let d = site(&[(
            "hosts.yml",
            "all:\n  vars: {d: {a: 1}}\n  hosts: {h1: {d: {b: 2}}}\n",
        )]);
        let opts = LoadOptions {
            hash_behaviour: HashBehaviour::Merge,
            ..Default::default()
        };
        let inv = Inventory::load(&[d.path().join("hosts.yml")], &opts).unwrap();
        assert_eq!(
            inv.host_vars("h1").unwrap()["d"].value,
            serde_json::json!({"a": 1, "b": 2})
        );
        let inv = Inventory::load(&[d.path().join("hosts.yml")], &LoadOptions::default()).unwrap();
        assert_eq!(
            inv.host_vars("h1").unwrap()["d"].value,
            serde_json::json!({"b": 2})
        );
    }

    #[test]
    fn broken_vars_file_is_an_error_with_its_path() {
        let d = site(&[
            (
                "hosts.yml",
                "all:\n  children:\n    web:\n      hosts: {w1: }\n",
            ),
            ("group_vars/web.yml", "a: [1\n"),
        ]);
        let err =
            Inventory::load(&[d.path().join("hosts.yml")], &LoadOptions::default()).unwrap_err();
        assert!(err.file().unwrap().ends_with("group_vars/web.yml"), "{err}");
    }

    #[test]
    fn missing_source_is_an_error() {
        let d = site(&[]);
        let err = Inventory::load(&[d.path().join("nope")], &LoadOptions::default()).unwrap_err();
        assert!(err.to_string().contains("does not exist"));
    }

    #[test]
    fn list_view_equals_resolved_host_vars() {
        let d = site(&[
            ("hosts.yml", "all:\n  vars: {a: 1, inventory_file: x}\n  children:\n    g:\n      vars: {b: 2}\n      hosts: {h1: {c: 3, a: 0}}\n"),
            ("host_vars/h1.yml", "b: 9\n"),
        ]);
        let inv = Inventory::load(&[d.path().join("hosts.yml")], &LoadOptions::default()).unwrap();
        let view: Vec<(String, Value)> = inv
            .host_vars_view(0)
            .unwrap()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        let mut full: Vec<(String, Value)> = inv
            .host_vars_by_id(0)
            .into_iter()
            .map(|(k, v)| (k, v.value))
            .collect();
        full.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(view, full);
    }
}

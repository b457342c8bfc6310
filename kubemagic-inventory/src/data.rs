//! The in-memory inventory, built the way ansible-core builds it.
//!
//! This is a port of ansible-core's `InventoryData`, `Group` and `Host`
//! (`lib/ansible/inventory/{data,group,host}.py`): parsers never touch the
//! structures directly, they call [`InventoryData::add_group`],
//! [`InventoryData::add_host`], [`InventoryData::add_child`] and
//! [`InventoryData::set_variable`] in the same order as Ansible's plugins do,
//! so insertion order, depth and ancestry come out identical. Parsing knows
//! nothing of precedence; resolving (see `resolve`) knows nothing of syntax.

use crate::error::{InventoryError, Result, Warning, WarningKind};
use crate::value::{Value, Var, Vars};
use indexmap::IndexMap;
use kubemagic_core::Origin;
use std::collections::HashSet;

pub type GroupId = usize;
pub type HostId = usize;

#[derive(Debug, Clone)]
pub struct Group {
    pub name: String,
    /// Variables set on the group by inventory sources (not group_vars files).
    pub vars: Vars,
    /// Direct member hosts, in insertion order.
    pub hosts: Vec<HostId>,
    /// Direct child groups, in insertion order.
    pub children: Vec<GroupId>,
    /// Direct parent groups, in insertion order.
    pub parents: Vec<GroupId>,
    /// Longest path from `all`; used to order groups for precedence.
    pub depth: u32,
    /// `ansible_group_priority`, default 1.
    pub priority: i64,
    /// Where the group was first declared, when known.
    pub origin: Option<Origin>,
}

#[derive(Debug, Clone)]
pub struct Host {
    pub name: String,
    /// Variables set on the host by inventory sources (not host_vars files).
    pub vars: Vars,
    /// Groups the host belongs to, ancestors included (Ansible's `host.groups`).
    pub groups: Vec<GroupId>,
    pub origin: Option<Origin>,
}

/// Mutable inventory under construction, then read by resolution and export.
#[derive(Debug, Clone)]
pub struct InventoryData {
    pub groups: Vec<Group>,
    pub hosts: Vec<Host>,
    group_index: IndexMap<String, GroupId>,
    host_index: IndexMap<String, HostId>,
    /// (group, host) direct memberships: Ansible keeps a name set per group
    /// (`Group._hosts`); one set here keeps `add_host` O(1) on big groups.
    membership: HashSet<(GroupId, HostId)>,
    /// How `set_variable` combines a dict with an existing dict of the same
    /// name (Ansible calls `combine_vars` there, which honours
    /// `DEFAULT_HASH_BEHAVIOUR`).
    pub hash_behaviour: crate::resolve::HashBehaviour,
    /// What the parsers warned about, in the order Ansible would warn.
    pub warnings: Vec<Warning>,
    /// The first localhost-like host (`C.LOCALHOST`), which Ansible keeps
    /// as the inventory's localhost and warns about any other.
    localhost: Option<HostId>,
    /// Whether any host's inline variables use a reserved name (see
    /// `Inventory::reserved_name_warnings`).
    pub host_var_reserved: bool,
}

/// `C.LOCALHOST`: the names Ansible treats as this machine.
const LOCALHOST: [&str; 3] = ["127.0.0.1", "localhost", "::1"];

/// The characters `C.INVALID_VARIABLE_NAMES` (`^[\d\W]|[^\w]`) finds in a
/// group name, in order and once each; `None` for a valid name. Python's
/// `\w` on text is "alphanumeric or `_`", as [`char::is_alphanumeric`].
fn invalid_group_chars(name: &str) -> Option<String> {
    let mut found = String::new();
    for (i, c) in name.chars().enumerate() {
        let word = c.is_alphanumeric() || c == '_';
        if (!word || (i == 0 && c.is_numeric())) && !found.contains(c) {
            found.push(c);
        }
    }
    (!found.is_empty()).then_some(found)
}

/// A visited set over group ids that clears in O(1): a group is in it
/// when its stamp is the current epoch.
struct Marks {
    stamp: Vec<u32>,
    epoch: u32,
}

impl Marks {
    fn new(n: usize) -> Marks {
        Marks {
            stamp: vec![0; n],
            epoch: 1,
        }
    }
    fn clear(&mut self) {
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            self.stamp.iter_mut().for_each(|s| *s = 0);
            self.epoch = 1;
        }
    }
    /// Whether `g` was not in the set (and now is).
    fn insert(&mut self, g: GroupId) -> bool {
        let new = self.stamp[g] != self.epoch;
        self.stamp[g] = self.epoch;
        new
    }
}

pub const ALL: GroupId = 0;
pub const UNGROUPED: GroupId = 1;

impl Default for InventoryData {
    fn default() -> Self {
        Self::new()
    }
}

impl InventoryData {
    /// A fresh inventory holds `all` and `ungrouped` (child of `all`), as in Ansible.
    pub fn new() -> Self {
        let mut inv = InventoryData {
            groups: Vec::new(),
            hosts: Vec::new(),
            group_index: IndexMap::new(),
            host_index: IndexMap::new(),
            membership: HashSet::new(),
            hash_behaviour: Default::default(),
            warnings: Vec::new(),
            localhost: None,
            host_var_reserved: false,
        };
        inv.add_group("all", None);
        inv.add_group("ungrouped", None);
        // Cannot fail: two distinct fresh groups.
        let _ = inv.add_child_group(ALL, UNGROUPED);
        inv
    }

    pub fn group_id(&self, name: &str) -> Option<GroupId> {
        self.group_index.get(name).copied()
    }
    pub fn host_id(&self, name: &str) -> Option<HostId> {
        self.host_index.get(name).copied()
    }
    pub fn group(&self, name: &str) -> Option<&Group> {
        self.group_id(name).map(|g| &self.groups[g])
    }
    pub fn host(&self, name: &str) -> Option<&Host> {
        self.host_id(name).map(|h| &self.hosts[h])
    }

    /// Adds a group if missing; returns its id. Like Ansible, adding an
    /// existing group is a no-op.
    pub fn add_group(&mut self, name: &str, origin: Option<Origin>) -> GroupId {
        if let Some(id) = self.group_id(name) {
            return id;
        }
        let id = self.groups.len();
        self.groups.push(Group {
            name: name.to_string(),
            vars: Vars::new(),
            hosts: Vec::new(),
            children: Vec::new(),
            parents: Vec::new(),
            depth: 0,
            priority: 1,
            origin,
        });
        self.group_index.insert(name.to_string(), id);
        if let Some(chars) = invalid_group_chars(name) {
            // Ansible's `to_safe_group_name` with the default
            // TRANSFORM_INVALID_GROUP_CHARS=never: keep the name, warn.
            if let Some(o) = &self.groups[id].origin {
                self.warnings.push(Warning::new(
                    WarningKind::GroupName,
                    o.file.clone(),
                    o.line,
                    o.col,
                    format!("Invalid characters were found in group names but not replaced: {chars:?} in group name ({name})"),
                ).about(name));
            }
        }
        id
    }

    /// Adds a host if missing and, when `group` is given, puts it in that group.
    /// `port` becomes `ansible_port` only when the host is new: the port of
    /// the first definition is kept, as in Ansible.
    pub fn add_host(
        &mut self,
        name: &str,
        group: Option<&str>,
        port: Option<u16>,
        origin: Option<Origin>,
    ) -> Result<HostId> {
        let gid = match group {
            Some(g) => Some(self.group_id(g).ok_or_else(|| {
                InventoryError::Model(format!("Could not find group {g} in inventory"))
            })?),
            None => None,
        };
        if name.is_empty() {
            return Err(InventoryError::Model(
                "Invalid empty host name provided".to_string(),
            ));
        }
        let hid = match self.host_id(name) {
            Some(h) => h,
            None => {
                let id = self.hosts.len();
                let mut vars = Vars::with_capacity(4);
                // Ansible's `if port:`: port 0 sets nothing.
                if let Some(p) = port.filter(|&p| p != 0) {
                    vars.insert(
                        "ansible_port".to_string(),
                        Var {
                            value: Value::from(p),
                            origin: origin.clone(),
                        },
                    );
                }
                if LOCALHOST.contains(&name) {
                    match (self.localhost, &origin) {
                        (None, _) => self.localhost = Some(id),
                        (Some(first), Some(o)) => self.warnings.push(Warning::new(
                            WarningKind::DuplicateLocalhost,
                            o.file.clone(),
                            o.line,
                            o.col,
                            format!(
                                "A duplicate localhost-like entry was found ({name}). First found localhost was {}",
                                self.hosts[first].name
                            ),
                        ).about(name)),
                        (Some(_), None) => {}
                    }
                }
                self.hosts.push(Host {
                    name: name.to_string(),
                    vars,
                    groups: Vec::new(),
                    origin,
                });
                self.host_index.insert(name.to_string(), id);
                id
            }
        };
        if let Some(g) = gid {
            self.add_host_to_group(g, hid);
        }
        Ok(hid)
    }

    /// `group.add_host(host)` in Ansible: the direct membership. The
    /// host's ancestor list (`Host.groups`) is not updated edge by edge as
    /// Ansible does: on a dense group graph (group *i* the parent of every
    /// earlier group) that walks every subtree once per edge, quartic in
    /// the number of groups. It is computed once, in [`Self::reconcile`],
    /// which every load ends with ([`Self::host_ancestry`]).
    fn add_host_to_group(&mut self, g: GroupId, h: HostId) {
        if self.membership.insert((g, h)) {
            self.groups[g].hosts.push(h);
        }
    }

    /// Every host's groups, ancestors included (Ansible's `host.groups`,
    /// as its `add_group` orders them: a group's ancestors, then the group,
    /// for each group the host was put in), from the direct memberships.
    /// Each group's ancestors are walked once, whatever the number of its
    /// hosts.
    fn host_ancestry(&mut self) {
        let mut direct: Vec<Vec<GroupId>> = vec![Vec::new(); self.hosts.len()];
        for (g, grp) in self.groups.iter().enumerate() {
            for &h in &grp.hosts {
                direct[h].push(g);
            }
        }
        let mut lineage: Vec<Option<Vec<GroupId>>> = vec![None; self.groups.len()];
        let mut seen = Marks::new(self.groups.len());
        // Marks instead of a hash set per host: `mark[g] == h + 1` when
        // host `h` already has group `g`.
        let mut mark: Vec<usize> = vec![0; self.groups.len()];
        for (h, groups_of_h) in direct.into_iter().enumerate() {
            let mut out = Vec::new();
            for g in groups_of_h {
                let line = lineage[g].get_or_insert_with(|| {
                    let mut l = self.ancestors_marked(g, &mut seen);
                    l.push(g);
                    l
                });
                for &a in line.iter() {
                    if mark[a] != h + 1 {
                        mark[a] = h + 1;
                        out.push(a);
                    }
                }
            }
            self.hosts[h].groups = out;
        }
    }

    /// Makes `child` (a group or, failing that, a host) a child of `parent`.
    pub fn add_child(&mut self, parent: &str, child: &str) -> Result<()> {
        let p = self
            .group_id(parent)
            .ok_or_else(|| InventoryError::Model(format!("{parent} is not a known group")))?;
        if let Some(c) = self.group_id(child) {
            self.add_child_group(p, c)
        } else if let Some(h) = self.host_id(child) {
            self.add_host_to_group(p, h);
            Ok(())
        } else {
            Err(InventoryError::Model(format!(
                "{child} is not a known host nor group"
            )))
        }
    }

    /// All ancestors of a group (not the group itself), each once, with
    /// the caller's visited marks, cleared here
    /// in O(1): walking every group's ancestors then costs the edges walked,
    /// with neither a hash per step nor an allocation per group.
    fn ancestors_marked(&self, g: GroupId, seen: &mut Marks) -> Vec<GroupId> {
        seen.clear();
        let mut out = Vec::new();
        let mut stack: Vec<GroupId> = self.groups[g].parents.clone();
        while let Some(p) = stack.pop() {
            if seen.insert(p) {
                out.push(p);
                stack.extend(self.groups[p].parents.iter().copied());
            }
        }
        out
    }

    /// `Group.add_child_group`: refuses loops, updates depths, and adds the
    /// new ancestors to every host below the child.
    pub fn add_child_group(&mut self, parent: GroupId, child: GroupId) -> Result<()> {
        if parent == child {
            return Err(InventoryError::Model(format!(
                "can't add group {} to itself",
                self.groups[parent].name
            )));
        }
        if self.groups[parent].children.contains(&child) {
            return Ok(());
        }
        // `child` is an ancestor of `parent` exactly when `parent` is below
        // `child`. Ansible walks the parent's ancestors; walking the child's
        // subtree instead answers the same and is what the host update needs
        // anyway, and a chain written top-down (`[g0:children] g1`, then
        // `[g1:children] g2`, ...) adds each child before it has a subtree,
        // so building it stays linear.
        if self.reaches(child, parent) {
            return Err(InventoryError::Model(format!(
                "Adding group '{}' as child to '{}' creates a recursive dependency loop.",
                self.groups[child].name, self.groups[parent].name
            )));
        }
        self.groups[parent].children.push(child);
        let depth = self.groups[parent].depth + 1;
        self.raise_depth(child, depth);
        if !self.groups[child].parents.contains(&parent) {
            self.groups[child].parents.push(parent);
        }
        Ok(())
    }

    /// Whether `to` is below `from` (a descendant of it). Walks down from
    /// `from` and up from `to` a step at a time each and stops when either
    /// walk runs out: the cost is about twice the smaller of the two, so a
    /// chain written top-down (`[g0:children] g1`, then `[g1:children]
    /// g2`: the child has no subtree yet), one written bottom-up (the
    /// parent has no ancestors yet) and a dense graph (group *i* the parent
    /// of every earlier group) all stay near-linear to build.
    fn reaches(&self, from: GroupId, to: GroupId) -> bool {
        if from == to {
            return true;
        }
        // The common cases, in O(1): nothing below `from` yet, or nothing
        // above `to` yet (an INI section's children are usually added
        // before the section itself gets a parent).
        if self.groups[from].children.is_empty() || self.groups[to].parents.is_empty() {
            return false;
        }
        let mut down = (vec![from], HashSet::from([from]));
        let mut up = (vec![to], HashSet::from([to]));
        loop {
            // One step down from `from`: found `to`, or nothing left below.
            match down.0.pop() {
                None => return false,
                Some(g) => {
                    for &c in &self.groups[g].children {
                        if up.1.contains(&c) {
                            return true;
                        }
                        if down.1.insert(c) {
                            down.0.push(c);
                        }
                    }
                }
            }
            match up.0.pop() {
                None => return false,
                Some(g) => {
                    for &p in &self.groups[g].parents {
                        if down.1.contains(&p) {
                            return true;
                        }
                        if up.1.insert(p) {
                            up.0.push(p);
                        }
                    }
                }
            }
        }
    }

    fn raise_depth(&mut self, g: GroupId, depth: u32) {
        let mut stack = vec![(g, depth)];
        while let Some((g, d)) = stack.pop() {
            if self.groups[g].depth < d {
                self.groups[g].depth = d;
            }
            let next = self.groups[g].depth + 1;
            for &c in &self.groups[g].children {
                if self.groups[c].depth < next {
                    stack.push((c, next));
                }
            }
        }
    }

    /// `InventoryData.set_variable`: groups win over hosts of the same name.
    /// `ansible_group_priority` sets the group's priority instead of a variable
    /// (Ansible's `int(value)`, called outside `set_priority`'s `try`: a
    /// list, dict, null or unparsable string fails the source).
    /// A dict set over an existing dict goes through `combine_vars`.
    pub fn set_variable(
        &mut self,
        entity: &str,
        key: &str,
        value: Value,
        origin: Option<Origin>,
    ) -> Result<()> {
        let hb = self.hash_behaviour;
        let vars = if let Some(g) = self.group_id(entity) {
            if key == "ansible_group_priority" {
                match priority_of(&value) {
                    Priority::Int(p) => self.groups[g].priority = p,
                    Priority::Invalid => {
                        return Err(InventoryError::Model(format!(
                        "ansible_group_priority of group {entity} must be an integer, got {value}"
                    )))
                    }
                }
                return Ok(());
            }
            &mut self.groups[g].vars
        } else if let Some(h) = self.host_id(entity) {
            // Checked here, while the name is in cache: the per-host pass
            // for Ansible's reserved-name warning then skips inline host
            // variables unless one of them is reserved.
            self.host_var_reserved |= crate::resolve::is_reserved(key);
            &mut self.hosts[h].vars
        } else {
            return Err(InventoryError::Model(format!(
                "Could not identify group or host named {entity}"
            )));
        };
        let value = match (vars.get(key), hb) {
            (Some(old), crate::resolve::HashBehaviour::Merge)
                if old.value.is_object() && value.is_object() =>
            {
                crate::resolve::merge_values(&old.value, &value)
            }
            _ => value,
        };
        vars.insert(key.to_string(), Var { value, origin });
        Ok(())
    }

    /// `InventoryData.reconcile_inventory`: every group without parents
    /// becomes a child of `all`; hosts in no group but `all` go to `ungrouped`,
    /// and hosts in another group leave `ungrouped`.
    pub fn reconcile(&mut self) -> Result<()> {
        for g in 0..self.groups.len() {
            if g != ALL && self.groups[g].parents.is_empty() {
                self.add_child_group(ALL, g)?;
            }
        }
        self.host_ancestry();
        let mut leave_ungrouped: HashSet<HostId> = HashSet::new();
        for h in 0..self.hosts.len() {
            let groups = &self.hosts[h].groups;
            if groups.contains(&UNGROUPED) {
                if groups.iter().any(|&g| g != ALL && g != UNGROUPED) {
                    leave_ungrouped.insert(h);
                }
            } else if groups.is_empty() || (groups.len() == 1 && groups[0] == ALL) {
                self.add_host_to_group(UNGROUPED, h);
                // `ungrouped`'s ancestors (`all`), then `ungrouped`.
                self.hosts[h].groups = vec![ALL, UNGROUPED];
            }
        }
        if !leave_ungrouped.is_empty() {
            self.groups[UNGROUPED]
                .hosts
                .retain(|h| !leave_ungrouped.contains(h));
            for &h in &leave_ungrouped {
                self.membership.remove(&(UNGROUPED, h));
                self.hosts[h].groups.retain(|&x| x != UNGROUPED);
            }
        }
        for h in &self.hosts {
            if let (Some(_), Some(o)) = (self.group_index.get(&h.name), &h.origin) {
                self.warnings.push(
                    Warning::new(
                        WarningKind::GroupIsHost,
                        o.file.clone(),
                        o.line,
                        o.col,
                        format!("Found both group and host with same name: {}", h.name),
                    )
                    .about(h.name.clone()),
                );
            }
        }
        Ok(())
    }
}

enum Priority {
    Int(i64),
    Invalid,
}

/// Python's `int(value)` as `Group.set_priority` applies it.
fn priority_of(v: &Value) -> Priority {
    match v {
        Value::Number(n) => match n.as_i64() {
            Some(i) => Priority::Int(i),
            None => match n.as_f64() {
                Some(f) if f.is_finite() => Priority::Int(f.trunc() as i64),
                _ => Priority::Invalid,
            },
        },
        Value::String(s) => {
            let t = s.trim().replace('_', "");
            match t.parse::<i64>() {
                Ok(i)
                    if !s.trim().starts_with('_')
                        && !s.trim().ends_with('_')
                        && !s.contains("__") =>
                {
                    Priority::Int(i)
                }
                _ => Priority::Invalid,
            }
        }
        Value::Bool(b) => Priority::Int(*b as i64),
        _ => Priority::Invalid,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_inventory_has_all_and_ungrouped() {
        let inv = InventoryData::new();
        assert_eq!(inv.groups[ALL].children, vec![UNGROUPED]);
        assert_eq!(inv.groups[UNGROUPED].depth, 1);
    }

    #[test]
    fn loop_between_groups_is_refused() {
        let mut inv = InventoryData::new();
        inv.add_group("a", None);
        inv.add_group("b", None);
        inv.add_child("a", "b").unwrap();
        assert!(inv.add_child("b", "a").is_err());
    }

    #[test]
    fn host_in_a_group_leaves_ungrouped_on_reconcile() {
        let mut inv = InventoryData::new();
        inv.add_group("g", None);
        inv.add_host("h1", Some("ungrouped"), None, None).unwrap();
        inv.add_host("h1", Some("g"), None, None).unwrap();
        inv.add_host("h2", None, Some(2222), None).unwrap();
        inv.reconcile().unwrap();
        let ung = &inv.groups[UNGROUPED];
        assert_eq!(ung.hosts, vec![inv.host_id("h2").unwrap()]);
        assert_eq!(inv.groups[inv.group_id("g").unwrap()].parents, vec![ALL]);
    }
}

#[cfg(test)]
mod dense_tests {
    use super::*;

    /// Group *i* has every earlier group as a child (issue 22): 300 groups,
    /// 45,000 edges. Building and reconciling took minutes when every edge
    /// walked the child's whole subtree; it must stay near-linear.
    #[test]
    fn a_dense_group_graph_builds_fast_with_ansibles_depths_and_ancestry() {
        let n = 300;
        let start = std::time::Instant::now();
        let mut inv = InventoryData::new();
        for i in 0..n {
            let g = format!("g{i}");
            inv.add_group(&g, None);
            inv.add_host(&format!("h{i}"), Some(&g), None, None)
                .unwrap();
            for j in 0..i {
                inv.add_child(&g, &format!("g{j}")).unwrap();
            }
        }
        inv.reconcile().unwrap();
        let took = start.elapsed();
        assert!(took.as_secs_f64() < 5.0, "took {took:?}");
        // Longest path from `all`: g(n-1) at 1, g0 at n.
        assert_eq!(inv.group("g299").unwrap().depth, 1);
        assert_eq!(inv.group("g0").unwrap().depth, n as u32);
        // h_j is in g_j and every later group, and in `all`.
        let h0: HashSet<GroupId> = inv.host("h0").unwrap().groups.iter().copied().collect();
        assert_eq!(h0.len(), n + 1);
        assert_eq!(inv.host("h0").unwrap().groups.len(), n + 1);
        assert_eq!(inv.host("h299").unwrap().groups, vec![ALL, 301]);
        // A loop is still refused in the dense graph.
        assert!(inv.add_child("g0", "g299").is_err());
        assert!(inv.add_child("g5", "g200").is_err());
    }

    #[test]
    fn hosts_learn_ancestors_added_after_they_joined() {
        let mut inv = InventoryData::new();
        inv.add_group("leaf", None);
        inv.add_host("h", Some("leaf"), None, None).unwrap();
        inv.add_group("mid", None);
        inv.add_group("top", None);
        inv.add_child("mid", "leaf").unwrap();
        inv.add_child("top", "mid").unwrap();
        inv.reconcile().unwrap();
        let names: Vec<&str> = inv
            .host("h")
            .unwrap()
            .groups
            .iter()
            .map(|&g| inv.groups[g].name.as_str())
            .collect();
        assert_eq!(names.len(), 4, "{names:?}");
        let set: HashSet<&str> = names.into_iter().collect();
        assert_eq!(set, HashSet::from(["all", "top", "mid", "leaf"]));
    }
}

#[cfg(test)]
mod priority_tests {
    use super::*;

    #[test]
    fn group_priority_must_be_an_integer() {
        let mut inv = InventoryData::new();
        inv.add_group("g", None);
        assert!(inv
            .set_variable("g", "ansible_group_priority", Value::from("7"), None)
            .is_ok());
        assert_eq!(inv.group("g").unwrap().priority, 7);
        for bad in [Value::Null, serde_json::json!([1]), Value::from("high")] {
            assert!(inv
                .set_variable("g", "ansible_group_priority", bad, None)
                .is_err());
        }
    }

    #[test]
    fn port_zero_is_not_a_port() {
        let mut inv = InventoryData::new();
        inv.add_host("h", None, Some(0), None).unwrap();
        assert!(inv.host("h").unwrap().vars.is_empty());
    }
}

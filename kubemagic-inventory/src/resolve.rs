//! Variable precedence, as `VariableManager.get_vars(host=…, stage='all')`
//! and `InventoryCLI._get_group_variables` compute it.
//!
//! For a host, with Ansible's default `VARIABLE_PRECEDENCE`:
//! 1. `all_inventory`: the `all` group's inventory vars
//! 2. `groups_inventory`: the host's other groups' inventory vars, groups
//!    sorted by (depth, priority, name)
//! 3. `all_plugins_inventory`: `group_vars/all` beside each source
//! 4. `all_plugins_play`: `group_vars/all` of the playbook dir
//! 5. `groups_plugins_inventory`: for each source (outer loop), for each
//!    sorted group (inner loop), its `group_vars` files
//! 6. `groups_plugins_play`: the same in the playbook dir
//! 7. the host's inventory vars, 8. `host_vars` beside each source,
//! 9. `host_vars` of the playbook dir; then Ansible's internal variables
//!    (`inventory_file`, `groups`, ...) are dropped.
//!
//! Each level is first folded on its own and then combined into the
//! result, exactly as Ansible nests its `combine_vars` calls: with
//! `hash_behaviour=merge` the recursive merge is not associative, so the
//! nesting changes the answer.

use crate::value::{as_nonfinite, Map, Value, Var, Vars};

/// How dictionaries from different levels combine (`DEFAULT_HASH_BEHAVIOUR`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum HashBehaviour {
    /// Ansible's default: a higher-precedence dict replaces the lower one.
    #[default]
    Replace,
    /// Recursive merge of dicts.
    Merge,
}

/// `DEFAULT_HASH_BEHAVIOUR` as Ansible spells it: `replace` or `merge`.
impl std::str::FromStr for HashBehaviour {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<HashBehaviour, String> {
        match s {
            "replace" => Ok(HashBehaviour::Replace),
            "merge" => Ok(HashBehaviour::Merge),
            other => Err(format!(
                "hash_behaviour must be \"replace\" or \"merge\", not {other:?}"
            )),
        }
    }
}

/// `C.INTERNAL_STATIC_VARS`: removed from every `ansible-inventory` output.
pub const INTERNAL_STATIC_VARS: [&str; 30] = [
    "ansible_async_path",
    "ansible_collection_name",
    "ansible_config_file",
    "ansible_dependent_role_names",
    "ansible_diff_mode",
    "ansible_facts",
    "ansible_forks",
    "ansible_inventory_sources",
    "ansible_limit",
    "ansible_play_batch",
    "ansible_play_hosts",
    "ansible_play_hosts_all",
    "ansible_play_role_names",
    "ansible_playbook_python",
    "ansible_role_name",
    "ansible_role_names",
    "ansible_run_tags",
    "ansible_skip_tags",
    "ansible_verbosity",
    "ansible_version",
    "inventory_dir",
    "inventory_file",
    "inventory_hostname",
    "inventory_hostname_short",
    "groups",
    "group_names",
    "hostvars",
    "playbook_dir",
    "play_hosts",
    "role_name",
];
/// The rest of `INTERNAL_STATIC_VARS` (kept apart to keep the array short).
const INTERNAL_MORE: [&str; 3] = ["role_names", "role_path", "role_uuid"];

pub fn is_internal(name: &str) -> bool {
    INTERNAL_STATIC_VARS.contains(&name) || INTERNAL_MORE.contains(&name)
}

pub fn remove_internal(vars: &mut Vars) {
    vars.retain(|k, _| !is_internal(k));
}

/// `merge_hash(x, y)` with `list_merge='replace'` on two JSON dicts: `y`
/// wins, dicts present on both sides are merged recursively.
pub fn merge_values(x: &Value, y: &Value) -> Value {
    match (x, y) {
        (Value::Object(xm), Value::Object(ym))
            if as_nonfinite(x).is_none() && as_nonfinite(y).is_none() =>
        {
            Value::Object(merge_maps(xm, ym))
        }
        _ => y.clone(),
    }
}

fn merge_maps(x: &Map, y: &Map) -> Map {
    let mut out = x.clone();
    for (k, yv) in y {
        let merged = match out.get(k) {
            Some(xv @ Value::Object(_)) if yv.is_object() => merge_values(xv, yv),
            _ => yv.clone(),
        };
        out.insert(k.clone(), merged);
    }
    out
}

/// `combine_vars(a, b)` in place: `a = a | b`, or `merge_hash(a, b)`.
/// Each top-level variable keeps the origin of the definition that won
/// (for a merge, the later one).
pub fn combine_into(a: &mut Vars, b: &Vars, hb: HashBehaviour) {
    match hb {
        HashBehaviour::Replace => {
            for (k, v) in b {
                if let Some(slot) = a.get_mut(k) {
                    *slot = v.clone();
                } else {
                    a.insert(k.clone(), v.clone());
                }
            }
        }
        HashBehaviour::Merge => {
            for (k, v) in b {
                match a.get_mut(k) {
                    Some(slot) if slot.value.is_object() && v.value.is_object() => {
                        *slot = Var {
                            value: merge_values(&slot.value, &v.value),
                            origin: v.origin.clone(),
                        };
                    }
                    Some(slot) => *slot = v.clone(),
                    None => {
                        a.insert(k.clone(), v.clone());
                    }
                }
            }
        }
    }
}

/// Folds one precedence level given as sources (outer) × files (inner),
/// then combines it into `acc`. With `replace` the nesting does not
/// matter and everything is overlaid directly, the fast path.
pub fn combine_level(acc: &mut Vars, nested: &[Vec<&Vars>], hb: HashBehaviour) {
    match hb {
        HashBehaviour::Replace => {
            for inner in nested {
                for v in inner {
                    combine_into(acc, v, hb);
                }
            }
        }
        HashBehaviour::Merge => {
            let mut level = Vars::new();
            for inner in nested {
                if inner.is_empty() {
                    continue;
                }
                let mut per_source = Vars::new();
                for v in inner {
                    combine_into(&mut per_source, v, hb);
                }
                if !per_source.is_empty() {
                    combine_into(&mut level, &per_source, hb);
                }
            }
            if !level.is_empty() {
                combine_into(acc, &level, hb);
            }
        }
    }
}

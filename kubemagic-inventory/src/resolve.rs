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

/// `ansible.vars.reserved._RESERVED_NAMES` of ansible-core 2.19, sorted:
/// the play, role, block and task keywords plus the template globals. A
/// host variable of one of these names draws Ansible's "Found variable
/// using reserved name" (`warn_if_reserved` in `VariableManager.get_vars`)
/// because a play's keyword of that name shadows it. A test compares the
/// list with the installed ansible-core's.
pub const RESERVED_NAMES: [&str; 75] = [
    "action",
    "always",
    "any_errors_fatal",
    "args",
    "async",
    "async_val",
    "become",
    "become_exe",
    "become_flags",
    "become_method",
    "become_user",
    "block",
    "changed_when",
    "check_mode",
    "collections",
    "connection",
    "cycler",
    "debugger",
    "delay",
    "delegate_facts",
    "delegate_to",
    "dict",
    "diff",
    "environment",
    "fact_path",
    "failed_when",
    "force_handlers",
    "gather_facts",
    "gather_timeout",
    "handlers",
    "hosts",
    "ignore_errors",
    "ignore_unreachable",
    "joiner",
    "lipsum",
    "local_action",
    "lookup",
    "loop",
    "loop_control",
    "loop_with",
    "max_fail_percentage",
    "module_defaults",
    "name",
    "namespace",
    "no_log",
    "notify",
    "now",
    "omit",
    "order",
    "poll",
    "port",
    "post_tasks",
    "pre_tasks",
    "q",
    "query",
    "range",
    "register",
    "remote_user",
    "rescue",
    "retries",
    "roles",
    "run_once",
    "serial",
    "strategy",
    "tags",
    "tasks",
    "throttle",
    "timeout",
    "undef",
    "until",
    "vars",
    "vars_files",
    "vars_prompt",
    "when",
    "with_",
];

/// Whether `warn_if_reserved` warns about a variable of this name (`vars`
/// is exempt: Ansible sets it itself).
pub fn is_reserved(name: &str) -> bool {
    // Every host pays this for each of its variables: reject the common
    // names (`ansible_*`, long or capitalised ones) before the search.
    let longest = 19; // `ignore_unreachable`, `max_fail_percentage`
    if name.len() > longest
        || !name.as_bytes().first().is_some_and(u8::is_ascii_lowercase)
        || name.starts_with("ansible_")
    {
        return false;
    }
    name != "vars" && RESERVED_NAMES.binary_search(&name).is_ok()
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

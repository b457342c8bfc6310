//! YAML (and JSON) inventory files: a port of ansible-core 2.19's
//! `plugins/inventory/yaml.py`.
//!
//! The file is loaded as every Ansible YAML file is ([`crate::yaml`]: JSON
//! first, then YAML 1.1), then walked exactly as `yaml.py` walks it, calling
//! [`InventoryData`] in the same order (`add_group`, then for each key of the
//! group in file order: `vars` → `set_variable`, `children` → recurse then
//! `add_child`, `hosts` → `add_host` then `set_variable` per host), so group
//! and host order match `ansible-inventory`. Host keys are host patterns
//! expanded by [`crate::ranges::expand_host_pattern`] (`node[01:03]:2222`).
//!
//! # Choosing between YAML and INI (for the engine)
//! Ansible tries its enabled plugins in order; for files this means the
//! `yaml` plugin when [`yaml_plugin_accepts`] (extension `.yaml`, `.yml`,
//! `.json`, or none), then the `ini` plugin (any file but `.toml`); the first
//! that parses wins. So an extensionless `hosts` file in INI syntax fails
//! the YAML plugin and is read as INI. Use [`parse_yaml_inventory_or_decline`]:
//! it returns [`YamlParse::Declined`] (with the reason, and `inv` untouched)
//! when the text is not a YAML inventory at all — a YAML syntax error, an
//! empty document, a top level that is not a mapping, or an inventory
//! plugin configuration (`plugin:` key) — and the engine should then try
//! INI (reporting the INI error if that fails too). Once the top level is a
//! mapping of groups, any mistake is a hard error with `FILE:LINE`.
//!
//! # Warnings (issue 15: Ansible's output, Ansible's warnings)
//! Read exactly as Ansible reads them, each with a [`Warning`] at its line
//! and column (Ansible's wording where Ansible warns):
//! - a group whose value is neither a mapping nor null (`g: [a, b]`,
//!   kubeadm's `apiVersion: v1` in kubespray's `patches/`): skipped;
//! - a key other than `vars`, `hosts`, `children` in a group (a typo such as
//!   `host:` loses hosts): skipped;
//! - `vars: somestring`: the variable `somestring` set to null (silent in
//!   Ansible);
//! - a host whose value is falsy but not null (`h1: []`, `h1: ""`, `h1: 0`):
//!   no variables (silent in Ansible);
//! - a reversed numeric range: no host (silent in Ansible).
//!
//! A vault-encrypted inventory file is an error (Ansible decrypts it;
//! kubemagic cannot, and must not read it as an INI host list).
//!
//! Errors Ansible raises itself (they make it skip the whole source with a
//! warning) are errors here too, with Ansible's wording: non-mapping
//! `hosts`/`children`/`vars` sections, a host pattern that is not a string
//! ("Enclose integers/floats in quotation marks"), a non-mapping host value,
//! an empty or non-string group name.

use crate::data::InventoryData;
use crate::error::{InventoryError, Result, Warning, WarningKind};
use crate::ranges::{expand_host_pattern, reversed_range_warning};
use crate::value::Value;
use crate::yaml::{load_nodes_warned, Node, NodeKind};
use kubemagic_core::Origin;
use std::path::Path;

/// The extensions ansible's yaml plugin accepts (`yaml_extensions` default).
#[cfg(test)]
const YAML_EXTENSIONS: [&str; 3] = ["yaml", "yml", "json"];

/// ansible's yaml plugin `verify_file`: no extension, or one of
/// [`YAML_EXTENSIONS`] (Python's `os.path.splitext`: a leading dot is not an
/// extension, so `.hosts` has none).
#[cfg(test)]
pub fn yaml_plugin_accepts(path: &Path) -> bool {
    let name = match path.file_name().and_then(|n| n.to_str()) {
        Some(n) => n,
        None => return true,
    };
    let trimmed = name.trim_start_matches('.');
    match trimmed.rfind('.') {
        None => true,
        Some(i) => YAML_EXTENSIONS.contains(&&trimmed[i + 1..]),
    }
}

/// Outcome of [`parse_yaml_inventory_or_decline`].
#[derive(Debug)]
pub enum YamlParse {
    /// Parsed; `inv` now holds the file's groups and hosts.
    Parsed,
    /// Not a YAML inventory (Ansible's yaml plugin fails before touching the
    /// inventory and Ansible tries the next plugin). `inv` is untouched.
    Declined(InventoryError),
}

/// Parses a YAML inventory into `inv`; "not a YAML inventory" is an error.
#[cfg(test)]
pub fn parse_yaml_inventory(text: &str, path: &Path, inv: &mut InventoryData) -> Result<()> {
    match parse_yaml_inventory_or_decline(text, path, inv)? {
        YamlParse::Parsed => Ok(()),
        YamlParse::Declined(e) => Err(e),
    }
}

/// Like [`parse_yaml_inventory`], but tells "this is not a YAML inventory"
/// (try INI) apart from "this YAML inventory is wrong" (an `Err`).
/// Validation runs completely before `inv` is touched; only
/// [`InventoryData`] errors (e.g. a child loop) can leave it half-built.
pub fn parse_yaml_inventory_or_decline(
    text: &str,
    path: &Path,
    inv: &mut InventoryData,
) -> Result<YamlParse> {
    if text.trim_start().starts_with("$ANSIBLE_VAULT;") {
        // Ansible decrypts the whole file first (and fails without a vault
        // secret); read as INI it would become a host named `$ANSIBLE_VAULT...`.
        return Err(InventoryError::parse(
            path,
            Some(1),
            "vault-encrypted inventory file: kubemagic cannot decrypt it",
        ));
    }
    let (root, key_warnings) = match load_nodes_warned(text, path) {
        Ok((Some(n), w)) => (n, w),
        Ok((None, _)) => {
            return Ok(YamlParse::Declined(InventoryError::parse(
                path,
                Some(1),
                "Parsed empty YAML file",
            )))
        }
        Err(e) => return Ok(YamlParse::Declined(e)),
    };
    let entries = match &root.kind {
        NodeKind::Map(entries) if !entries.is_empty() => entries,
        NodeKind::Map(_) => {
            return Ok(YamlParse::Declined(InventoryError::parse(
                path,
                Some(root.line),
                "Parsed empty YAML file",
            )))
        }
        other if !other.is_truthy() => {
            return Ok(YamlParse::Declined(InventoryError::parse(
                path,
                Some(root.line),
                "Parsed empty YAML file",
            )))
        }
        other => {
            return Ok(YamlParse::Declined(InventoryError::parse(
                path,
                Some(root.line),
                format!(
                    "YAML inventory has invalid structure, it should be a dictionary, got: <class '{}'>",
                    other.type_name()
                ),
            )))
        }
    };
    if root.get("plugin").is_some_and(|p| p.kind.is_truthy()) {
        return Ok(YamlParse::Declined(InventoryError::parse(
            path,
            root.get("plugin").map(|p| p.line),
            "Plugin configuration YAML file, not YAML inventory (inventory plugins are not supported)",
        )));
    }
    let mut p = Planner {
        path,
        ops: Vec::new(),
        warnings: key_warnings,
    };
    for (k, v) in entries {
        p.group(k, v)?;
    }
    for op in p.ops {
        apply(op, path, inv)?;
    }
    inv.warnings.extend(p.warnings);
    Ok(YamlParse::Parsed)
}

/// Where an op's key is: line and column.
type Pos = (u32, u32);

enum Op {
    AddGroup(String, Pos),
    AddChild(String, String, u32),
    AddHost {
        name: String,
        group: String,
        port: Option<u16>,
        at: Pos,
    },
    SetVar(String, String, Value, Pos),
}

fn apply(op: Op, path: &Path, inv: &mut InventoryData) -> Result<()> {
    let origin = |(line, col): Pos| Some(Origin::new(path, Some(line)).with_col(col));
    let at = |line: u32| {
        move |e: InventoryError| match e {
            InventoryError::Model(m) => InventoryError::parse(path, Some(line), m),
            other => other,
        }
    };
    match op {
        Op::AddGroup(name, pos) => {
            inv.add_group(&name, origin(pos));
        }
        Op::AddChild(parent, child, line) => inv.add_child(&parent, &child).map_err(at(line))?,
        Op::AddHost {
            name,
            group,
            port,
            at: pos,
        } => {
            inv.add_host(&name, Some(&group), port, origin(pos))
                .map_err(at(pos.0))?;
        }
        Op::SetVar(entity, key, value, pos) => inv
            .set_variable(&entity, &key, value, origin(pos))
            .map_err(at(pos.0))?,
    }
    Ok(())
}

struct Planner<'p> {
    path: &'p Path,
    ops: Vec<Op>,
    warnings: Vec<Warning>,
}

impl Planner<'_> {
    fn warn(&mut self, kind: WarningKind, at: &Node, msg: impl Into<String>) {
        self.warnings.push(Warning::new(
            kind,
            self.path,
            Some(at.line),
            Some(at.col),
            msg,
        ));
    }

    /// An error at a node's line and column.
    fn err_at(&self, at: &Node, msg: impl Into<String>) -> InventoryError {
        InventoryError::parse_at(self.path, at.line, at.col, msg)
    }

    /// The group name as `InventoryData.add_group` accepts it.
    fn group_name(&self, key: &Node) -> Result<String> {
        match &key.kind {
            NodeKind::Str(s) | NodeKind::Unsafe(s) if !s.is_empty() => Ok(s.clone()),
            k if !k.is_truthy() => Err(self.err_at(
                key,
                format!(
                    "Unable to add group {}: Invalid empty/false group name provided",
                    key.key_string(self.path).unwrap_or_default()
                ),
            )),
            k => Err(self.err_at(
                key,
                format!(
                    "Unable to add group {0}: Invalid group name supplied, expected a string but got <class '{1}'> for {0}; quote the name",
                    key.key_string(self.path).unwrap_or_default(),
                    k.type_name()
                ),
            )),
        }
    }

    /// `_parse_group`; returns the group name.
    fn group(&mut self, key: &Node, data: &Node) -> Result<String> {
        // Ansible looks at the value before the name: a group that is not a
        // mapping is skipped with a warning whatever its name (kubespray's
        // inventory directory holds kubeadm `patches/*.yaml`: `apiVersion`,
        // `kind` are skipped, `metadata`/`spec` become groups).
        if !matches!(data.kind, NodeKind::Null | NodeKind::Map(_)) {
            let shown = key.key_string(self.path).unwrap_or_default();
            self.warn(
                WarningKind::Skipped,
                key,
                format!("Skipping '{shown}' as this is not a valid group definition"),
            );
            return Ok(shown);
        }
        let name = self.group_name(key)?;
        let entries = match &data.kind {
            NodeKind::Map(entries) => entries,
            _ => {
                self.ops
                    .push(Op::AddGroup(name.clone(), (key.line, key.col)));
                return Ok(name);
            }
        };
        self.ops
            .push(Op::AddGroup(name.clone(), (key.line, key.col)));
        // Ansible first checks all three sections, then walks the keys.
        for section in ["vars", "children", "hosts"] {
            if let Some(v) = data.get(section) {
                let ok = matches!(
                    &v.kind,
                    NodeKind::Null | NodeKind::Map(_) | NodeKind::Str(_) | NodeKind::Unsafe(_)
                );
                if !ok {
                    return Err(self.err_at(
                        v,
                        format!(
                            "Invalid \"{section}\" entry for \"{name}\" group, requires a dictionary, found \"<class '{}'>\" instead.",
                            v.kind.type_name()
                        ),
                    ));
                }
                if section == "vars" {
                    if let Some(s) = v.kind.as_str() {
                        self.warn(
                            WarningKind::Questionable,
                            v,
                            format!("`vars: {s}` in group ({name}) is a string: Ansible reads it as the variable `{s}` set to null"),
                        );
                    }
                }
            }
        }
        for (k, v) in entries {
            let section = match &k.kind {
                NodeKind::Str(s) | NodeKind::Unsafe(s) => s.as_str(),
                _ => "",
            };
            match section {
                "vars" | "children" | "hosts" => {}
                _ => {
                    let shown = k.key_string(self.path).unwrap_or_default();
                    let msg = match &v.kind {
                        NodeKind::Null | NodeKind::Map(_) => format!(
                            "Skipping unexpected key ({shown}) in group ({name}), only \"vars\", \"children\" and \"hosts\" are valid"
                        ),
                        other => format!(
                            "Skipping key ({shown}) in group ({name}) as it is not a mapping, it is a <class '{}'>",
                            other.type_name()
                        ),
                    };
                    self.warn(WarningKind::Skipped, k, msg);
                    continue;
                }
            }
            // A bare string is a single entry: `hosts: h1` == `hosts: {h1: }`.
            let single;
            let items: &[(Node, Node)] = match &v.kind {
                NodeKind::Null => continue,
                NodeKind::Map(e) => e,
                _ => {
                    single = [(
                        v.clone(),
                        Node {
                            line: v.line,
                            col: v.col,
                            kind: NodeKind::Null,
                        },
                    )];
                    &single
                }
            };
            match section {
                "vars" => {
                    for (vk, vv) in items {
                        let var = vk.key_string(self.path)?;
                        let value = vv.to_value(self.path)?;
                        self.ops
                            .push(Op::SetVar(name.clone(), var, value, (vk.line, vk.col)));
                    }
                }
                "children" => {
                    for (ck, cv) in items {
                        let child = self.group(ck, cv)?;
                        self.ops.push(Op::AddChild(name.clone(), child, ck.line));
                    }
                }
                _ => {
                    for (hk, hv) in items {
                        self.hosts(&name, hk, hv)?;
                    }
                }
            }
        }
        Ok(name)
    }

    fn hosts(&mut self, group: &str, key: &Node, vars: &Node) -> Result<()> {
        let pattern = match &key.kind {
            NodeKind::Str(s) | NodeKind::Unsafe(s) => s.as_str(),
            _ => {
                return Err(self.err_at(
                    key,
                    format!(
                    "Host pattern {} must be a string. Enclose integers/floats in quotation marks.",
                    key.key_string(self.path).unwrap_or_default()
                ),
                ))
            }
        };
        let (names, port) = expand_host_pattern(pattern).map_err(|m| self.err_at(key, m))?;
        if names.is_empty() {
            self.warn(
                WarningKind::Questionable,
                key,
                reversed_range_warning(pattern),
            );
        }
        let entries: &[(Node, Node)] = match &vars.kind {
            NodeKind::Null => &[],
            NodeKind::Map(e) => e,
            other if !other.is_truthy() => {
                self.warn(
                    WarningKind::Questionable,
                    vars,
                    format!(
                        "host '{pattern}' has a {} instead of a mapping of variables: Ansible reads it as no variables",
                        other.type_name()
                    ),
                );
                &[]
            }
            other => {
                return Err(self.err_at(
                    vars,
                    format!(
                        "Invalid data from file, expected dictionary of host variables for '{pattern}' and got {}",
                        other.type_name()
                    ),
                ))
            }
        };
        let mut values = Vec::with_capacity(entries.len());
        for (k, v) in entries {
            values.push((
                k.key_string(self.path)?,
                v.to_value(self.path)?,
                (k.line, k.col),
            ));
        }
        for host in names {
            if host.is_empty() {
                return Err(self.err_at(key, "Invalid empty host name provided"));
            }
            self.ops.push(Op::AddHost {
                name: host.clone(),
                group: group.to_string(),
                port,
                at: (key.line, key.col),
            });
            for (k, v, pos) in &values {
                self.ops
                    .push(Op::SetVar(host.clone(), k.clone(), v.clone(), *pos));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn parse(text: &str) -> Result<InventoryData> {
        let mut inv = InventoryData::new();
        parse_yaml_inventory(text, &PathBuf::from("inv.yml"), &mut inv)?;
        Ok(inv)
    }

    fn names(inv: &InventoryData, ids: &[usize]) -> Vec<String> {
        ids.iter().map(|&h| inv.hosts[h].name.clone()).collect()
    }

    #[test]
    fn extension_rules_follow_verify_file() {
        assert!(yaml_plugin_accepts(Path::new("inv/hosts")));
        assert!(yaml_plugin_accepts(Path::new("inv/hosts.yml")));
        assert!(yaml_plugin_accepts(Path::new("inv/hosts.yaml")));
        assert!(yaml_plugin_accepts(Path::new("inv/hosts.json")));
        assert!(yaml_plugin_accepts(Path::new("inv/.hosts")));
        assert!(!yaml_plugin_accepts(Path::new("inv/hosts.ini")));
        assert!(!yaml_plugin_accepts(Path::new("inv/hosts.YML")));
    }

    #[test]
    fn groups_hosts_children_and_vars_are_built_in_file_order() {
        let inv = parse(
            "all:\n  vars:\n    a: 1\n  children:\n    k8s:\n      hosts:\n        n[1:2]:\n          ip: 10.0.0.1\n      children:\n        etcd:\n          hosts: n1\n    other:\n",
        )
        .unwrap();
        let k8s = inv.group("k8s").unwrap();
        assert_eq!(names(&inv, &k8s.hosts), vec!["n1", "n2"]);
        assert_eq!(inv.group("etcd").unwrap().hosts.len(), 1);
        assert_eq!(inv.groups[0].vars["a"].value, Value::from(1));
        assert_eq!(
            inv.host("n2").unwrap().vars["ip"].value,
            Value::from("10.0.0.1")
        );
        assert_eq!(
            inv.host("n2").unwrap().vars["ip"].origin,
            Some(Origin::new("inv.yml", Some(8)).with_col(11))
        );
        assert!(inv.group("other").is_some());
    }

    #[test]
    fn host_port_becomes_ansible_port() {
        let inv = parse("g:\n  hosts:\n    'h1:2222':\n").unwrap();
        assert_eq!(
            inv.host("h1").unwrap().vars["ansible_port"].value,
            Value::from(2222)
        );
    }

    #[test]
    fn unknown_group_key_is_skipped_with_a_warning_at_its_line_and_column() {
        let inv = parse("g:\n  hosts:\n    h1:\n  host:\n    h2:\n").unwrap();
        assert!(inv.host("h2").is_none());
        let w = &inv.warnings[0];
        assert_eq!((w.line, w.col), (Some(4), Some(3)));
        assert!(w.message.contains("unexpected key (host)"), "{w}");
        assert_eq!(
            w.to_string(),
            "inv.yml:4:3: warning: Skipping unexpected key (host) in group (g), only \"vars\", \"children\" and \"hosts\" are valid"
        );
    }

    #[test]
    fn list_of_hosts_is_an_error() {
        let e = parse("g:\n  hosts:\n    - h1\n").unwrap_err();
        assert!(e.to_string().contains("Invalid \"hosts\" entry"), "{e}");
        assert_eq!(e.line(), Some(3));
    }

    #[test]
    fn integer_host_name_must_be_quoted() {
        let e = parse("g:\n  hosts:\n    10:\n").unwrap_err();
        assert!(e.to_string().contains("must be a string"), "{e}");
    }

    #[test]
    fn ini_text_is_declined_not_failed() {
        let mut inv = InventoryData::new();
        let r = parse_yaml_inventory_or_decline(
            "[g]\nh1 a=1\n\n[g:vars]\nx=2\n",
            Path::new("hosts"),
            &mut inv,
        )
        .unwrap();
        assert!(matches!(r, YamlParse::Declined(_)));
        let r = parse_yaml_inventory_or_decline("h1\nh2\n", Path::new("hosts"), &mut inv).unwrap();
        assert!(matches!(r, YamlParse::Declined(_)));
        let r = parse_yaml_inventory_or_decline("# only\n", Path::new("hosts"), &mut inv).unwrap();
        assert!(matches!(r, YamlParse::Declined(_)));
        assert_eq!(inv.hosts.len(), 0);
        assert_eq!(inv.groups.len(), 2);
    }

    #[test]
    fn vault_encrypted_inventory_is_an_error_not_an_ini_host() {
        let mut inv = InventoryData::new();
        let r = parse_yaml_inventory_or_decline(
            "$ANSIBLE_VAULT;1.1;AES256\n6162\n",
            Path::new("hosts"),
            &mut inv,
        );
        assert!(r.is_err());
    }

    #[test]
    fn string_vars_section_is_a_null_variable_and_a_warning() {
        let inv = parse("g:\n  vars: foo\n").unwrap();
        assert_eq!(inv.group("g").unwrap().vars["foo"].value, Value::Null);
        assert_eq!(inv.warnings.len(), 1);
    }

    #[test]
    fn falsy_host_value_is_no_variables_and_a_warning() {
        let inv = parse("g:\n  hosts:\n    h1: []\n").unwrap();
        assert!(inv.host("h1").unwrap().vars.is_empty());
        assert_eq!(inv.warnings.len(), 1);
        assert!(parse("g:\n  hosts:\n    h1: 5\n").is_err());
    }

    #[test]
    fn group_that_is_not_a_mapping_is_skipped_with_a_warning() {
        // A kubeadm patch in kubespray's inventory directory.
        let inv =
            parse("apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n  annotations:\n    a: b\n")
                .unwrap();
        assert!(inv.group("apiVersion").is_none());
        assert!(inv.group("metadata").is_some());
        let msgs: Vec<&str> = inv.warnings.iter().map(|w| w.message.as_str()).collect();
        assert_eq!(msgs.len(), 4, "{msgs:?}");
        assert!(msgs[0].contains("Skipping 'apiVersion' as this is not a valid group definition"));
        assert!(msgs[2].contains("Skipping key (name) in group (metadata) as it is not a mapping"));
    }
}

//! What `ansible-inventory` prints: `--list` (`json_inventory`), `--host`,
//! `--graph [--vars]`, written the way Python's
//! `json.dumps(sort_keys=True, indent=4)` and `str()` write them, so the
//! output is byte-identical and not only equal in content.
//!
//! The JSON writer is hand-written because no crate reproduces CPython's
//! `json` module (ASCII-only escaping, `repr(float)` number format, keys
//! sorted at every level) and streaming it through a buffered writer keeps
//! 50,000 hosts from being built as one tree in memory.

use crate::data::{GroupId, ALL};
use crate::error::{InventoryError, Result};
use crate::inventory::Inventory;
use crate::pyrepr::{json_float_repr, py_str};
use crate::value::{as_nonfinite, json_keys, map_key, strip_unsafe, Map, Value, Vars};
use std::io::{self, Write};

/// `--list` as a JSON value (keys inserted sorted, as Ansible prints them).
pub fn list_value(inv: &Inventory, export: bool) -> Value {
    let mut top: Vec<(String, Value)> = group_entries(inv, export)
        .into_iter()
        .map(|(name, v)| (name, Value::Object(v)))
        .collect();
    let mut hostvars: Vec<(String, Value)> = Vec::new();
    for h in all_host_ids(inv) {
        let vars = host_vars_for_list(inv, h, export);
        if !vars.is_empty() {
            hostvars.push((inv.data.hosts[h].name.clone(), vars_to_value(&vars)));
        }
    }
    hostvars.sort_by(|a, b| a.0.cmp(&b.0));
    let mut meta = Map::new();
    meta.insert(
        "hostvars".into(),
        Value::Object(hostvars.into_iter().collect()),
    );
    meta.insert("profile".into(), Value::from("inventory_legacy"));
    top.push(("_meta".into(), Value::Object(meta)));
    top.sort_by(|a, b| a.0.cmp(&b.0));
    Value::Object(top.into_iter().collect())
}

/// `--list` written to `w` as Ansible writes it, host vars streamed.
pub fn write_list<W: Write>(inv: &Inventory, export: bool, w: &mut W) -> io::Result<()> {
    enum Entry {
        Group(Map),
        Meta,
    }
    let mut top: Vec<(String, Entry)> = group_entries(inv, export)
        .into_iter()
        .map(|(n, m)| (n, Entry::Group(m)))
        .collect();
    top.push(("_meta".into(), Entry::Meta));
    top.sort_by(|a, b| a.0.cmp(&b.0));
    w.write_all(b"{")?;
    for (i, (name, entry)) in top.iter().enumerate() {
        if i > 0 {
            w.write_all(b",")?;
        }
        w.write_all(b"\n    ")?;
        write_str(w, name)?;
        w.write_all(b": ")?;
        match entry {
            Entry::Group(m) => write_map(w, m, 1)?,
            Entry::Meta => {
                w.write_all(b"{\n        \"hostvars\": ")?;
                let mut hosts: Vec<(&str, usize)> = all_host_ids(inv)
                    .into_iter()
                    .map(|h| (inv.data.hosts[h].name.as_str(), h))
                    .collect();
                hosts.sort();
                let mut first = true;
                for (name, h) in hosts {
                    let view = if export { None } else { inv.host_vars_view(h) };
                    let owned;
                    let pairs: Vec<(&str, &Value)> = match view {
                        Some(v) => v,
                        None => {
                            owned = host_vars_for_list(inv, h, export);
                            let mut p: Vec<(&str, &Value)> =
                                owned.iter().map(|(k, v)| (k.as_str(), &v.value)).collect();
                            p.sort_unstable_by(|a, b| a.0.cmp(b.0));
                            p
                        }
                    };
                    if pairs.is_empty() {
                        continue;
                    }
                    w.write_all(if first { b"{" } else { b"," })?;
                    first = false;
                    w.write_all(b"\n            ")?;
                    write_str(w, name)?;
                    w.write_all(b": {")?;
                    for (i, (k, v)) in pairs.iter().enumerate() {
                        if i > 0 {
                            w.write_all(b",")?;
                        }
                        w.write_all(b"\n                ")?;
                        write_str(w, k)?;
                        w.write_all(b": ")?;
                        write_value(w, v, 4)?;
                    }
                    w.write_all(b"\n            }")?;
                }
                if first {
                    w.write_all(b"{}")?;
                } else {
                    w.write_all(b"\n        }")?;
                }
                w.write_all(b",\n        \"profile\": \"inventory_legacy\"\n    }")?;
            }
        }
    }
    w.write_all(b"\n}\n")
}

fn host_vars_for_list(inv: &Inventory, h: usize, export: bool) -> Vars {
    if export {
        inv.export_host_vars(h)
    } else {
        inv.host_vars_by_id(h)
    }
}

/// `inventory.get_hosts('all')`: every host, in `all`'s order.
fn all_host_ids(inv: &Inventory) -> Vec<usize> {
    crate::pattern::group_get_hosts(&inv.data, ALL)
}

/// `json_inventory.format_group` from `all`: one entry per group that has
/// hosts, children or (with `--export`) vars.
fn group_entries(inv: &Inventory, export: bool) -> Vec<(String, Map)> {
    let mut out = Vec::new();
    let mut seen = vec![false; inv.data.groups.len()];
    let mut stack: Vec<GroupId> = vec![ALL];
    seen[ALL] = true;
    while let Some(g) = stack.pop() {
        let group = &inv.data.groups[g];
        let mut m = Map::new();
        if g != ALL && !group.hosts.is_empty() {
            m.insert(
                "hosts".into(),
                Value::Array(
                    group
                        .hosts
                        .iter()
                        .map(|&h| Value::from(inv.data.hosts[h].name.as_str()))
                        .collect(),
                ),
            );
        }
        if !group.children.is_empty() {
            m.insert(
                "children".into(),
                Value::Array(
                    group
                        .children
                        .iter()
                        .map(|&c| Value::from(inv.data.groups[c].name.as_str()))
                        .collect(),
                ),
            );
        }
        if export {
            let vars = inv.group_vars_by_id(g);
            if !vars.is_empty() {
                m.insert("vars".into(), vars_to_value(&vars));
            }
        }
        if !m.is_empty() {
            out.push((group.name.clone(), m));
        }
        for &c in group.children.iter().rev() {
            if !seen[c] {
                seen[c] = true;
                stack.push(c);
            }
        }
    }
    out
}

/// Variables as one JSON document (sorted names, plain JSON keys inside:
/// see [`json_keys`]), for the `--list`, `--host` and graph values.
pub fn vars_to_value(vars: &Vars) -> Value {
    let mut keys: Vec<&String> = vars.keys().collect();
    keys.sort();
    let mut v = Value::Object(
        keys.into_iter()
            .map(|k| (k.clone(), vars[k].value.clone()))
            .collect(),
    );
    json_keys(&mut v);
    v
}

/// A host's variables as `ansible-inventory --host` shows them: sorted keys,
/// and `!unsafe` strings bare (only `--list` wraps them). Used by the CLI and
/// the Python module alike, so both equal Ansible's `--host`.
pub fn host_value(vars: &Vars) -> Value {
    strip_unsafe(&vars_to_value(vars))
}

/// A value as `json.dumps(v, sort_keys=True, indent=4)` writes it, plus a
/// newline (what `ansible-inventory --host` prints).
pub fn to_python_json(v: &Value) -> String {
    let mut out = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = write_value(&mut out, v, 0);
    out.push(b'\n');
    String::from_utf8_lossy(&out).into_owned()
}

/// An object as `json.dumps(sort_keys=True, indent=4)` writes it: keys
/// sorted, four spaces a level, `{}` when empty. Non-string keys are
/// written as JSON writes them ([`MapKey::json`]), the later of two keys
/// that then read the same winning, as in Ansible's `inventory_legacy`.
fn write_sorted_object<'a, W: Write>(
    w: &mut W,
    entries: impl Iterator<Item = (&'a String, &'a Value)>,
    level: usize,
) -> io::Result<()> {
    let mut entries: Vec<(&str, &Value)> = entries.map(|(k, v)| (map_key(k).json(), v)).collect();
    if entries.is_empty() {
        return w.write_all(b"{}");
    }
    // Stable: of equal keys the last inserted stays last, and wins below.
    entries.sort_by(|a, b| a.0.cmp(b.0));
    w.write_all(b"{")?;
    let mut first = true;
    for (i, (k, v)) in entries.iter().enumerate() {
        if entries.get(i + 1).is_some_and(|next| next.0 == *k) {
            continue;
        }
        if !first {
            w.write_all(b",")?;
        }
        first = false;
        newline(w, level + 1)?;
        write_str(w, k)?;
        w.write_all(b": ")?;
        write_value(w, v, level + 1)?;
    }
    newline(w, level)?;
    w.write_all(b"}")
}

fn newline<W: Write>(w: &mut W, level: usize) -> io::Result<()> {
    w.write_all(b"\n")?;
    for _ in 0..level {
        w.write_all(b"    ")?;
    }
    Ok(())
}

fn write_map<W: Write>(w: &mut W, m: &Map, level: usize) -> io::Result<()> {
    write_sorted_object(w, m.iter(), level)
}

pub fn write_value<W: Write>(w: &mut W, v: &Value, level: usize) -> io::Result<()> {
    match v {
        Value::Null => w.write_all(b"null"),
        Value::Bool(true) => w.write_all(b"true"),
        Value::Bool(false) => w.write_all(b"false"),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                write!(w, "{i}")
            } else if let Some(u) = n.as_u64() {
                write!(w, "{u}")
            } else {
                w.write_all(json_float_repr(n.as_f64().unwrap_or(f64::NAN)).as_bytes())
            }
        }
        Value::String(s) => write_str(w, s),
        Value::Array(a) => {
            if a.is_empty() {
                return w.write_all(b"[]");
            }
            w.write_all(b"[")?;
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    w.write_all(b",")?;
                }
                newline(w, level + 1)?;
                write_value(w, x, level + 1)?;
            }
            newline(w, level)?;
            w.write_all(b"]")
        }
        Value::Object(m) => match as_nonfinite(v) {
            Some(f) => w.write_all(json_float_repr(f).as_bytes()),
            None => write_map(w, m, level),
        },
    }
}

/// A JSON string escaped as Python's `json` does with `ensure_ascii=False`
/// (Ansible's inventory encoder prints non-ASCII text as is).
fn write_str<W: Write>(w: &mut W, s: &str) -> io::Result<()> {
    if !s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
        w.write_all(b"\"")?;
        w.write_all(s.as_bytes())?;
        return w.write_all(b"\"");
    }
    let mut buf = String::with_capacity(s.len() + 2);
    buf.push('"');
    for c in s.chars() {
        match c {
            '"' => buf.push_str("\\\""),
            '\\' => buf.push_str("\\\\"),
            '\n' => buf.push_str("\\n"),
            '\r' => buf.push_str("\\r"),
            '\t' => buf.push_str("\\t"),
            '\u{8}' => buf.push_str("\\b"),
            '\u{c}' => buf.push_str("\\f"),
            c if (c as u32) < 0x20 => buf.push_str(&format!("\\u{:04x}", c as u32)),
            c => buf.push(c),
        }
    }
    buf.push('"');
    w.write_all(buf.as_bytes())
}

/// `InventoryCLI.inventory_graph`.
pub fn graph(inv: &Inventory, group: &str, with_vars: bool) -> Result<String> {
    let g = inv.data.group_id(group).ok_or_else(|| {
        InventoryError::Model("Pattern must be valid group name when using --graph".into())
    })?;
    let mut lines = Vec::new();
    graph_group(inv, g, 0, with_vars, &mut lines);
    Ok(lines.join("\n"))
}

/// The `--graph` tree as a value, for `--output json` and Python:
/// `{"name", "children": [..], "hosts": [..], "vars"?}` (group vars only;
/// `all` lists no hosts, as in the text graph).
pub fn graph_value(inv: &Inventory, group: &str, with_vars: bool) -> Result<Value> {
    let g = inv.data.group_id(group).ok_or_else(|| {
        InventoryError::Model("Pattern must be valid group name when using --graph".into())
    })?;
    Ok(graph_node(inv, g, with_vars))
}

fn graph_node(inv: &Inventory, g: GroupId, with_vars: bool) -> Value {
    let group = &inv.data.groups[g];
    let mut node = Map::new();
    node.insert("name".into(), group.name.clone().into());
    let children: Vec<Value> = group
        .children
        .iter()
        .map(|&c| graph_node(inv, c, with_vars))
        .collect();
    node.insert("children".into(), children.into());
    let hosts: Vec<Value> = if g == ALL {
        Vec::new()
    } else {
        group
            .hosts
            .iter()
            .map(|&h| inv.data.hosts[h].name.clone().into())
            .collect()
    };
    node.insert("hosts".into(), hosts.into());
    if with_vars {
        node.insert("vars".into(), vars_to_value(&inv.group_vars_by_id(g)));
    }
    Value::Object(node)
}

fn graph_name(name: &str, depth: usize) -> String {
    if depth > 0 {
        format!("{}--{}", "  |".repeat(depth), name)
    } else {
        name.to_string()
    }
}

fn show_vars(vars: &Vars, depth: usize, lines: &mut Vec<String>) {
    let mut keys: Vec<&String> = vars.keys().collect();
    keys.sort();
    for k in keys {
        lines.push(graph_name(
            &format!("{{{} = {}}}", k, py_str(&strip_unsafe(&vars[k].value))),
            depth,
        ));
    }
}

fn graph_group(
    inv: &Inventory,
    g: GroupId,
    depth: usize,
    with_vars: bool,
    lines: &mut Vec<String>,
) {
    let group = &inv.data.groups[g];
    lines.push(graph_name(&format!("@{}:", group.name), depth));
    let depth = depth + 1;
    for &kid in &group.children {
        graph_group(inv, kid, depth, with_vars, lines);
    }
    if g != ALL {
        for &h in &group.hosts {
            lines.push(graph_name(&inv.data.hosts[h].name, depth));
            if with_vars {
                show_vars(&inv.host_vars_by_id(h), depth + 1, lines);
            }
        }
    }
    if with_vars {
        show_vars(&inv.group_vars_by_id(g), depth, lines);
    }
}

/// The exports as methods of [`Inventory`]: they live here, beside the
/// writers, so that `inventory` never needs to import `export` (which
/// imports `inventory`).
impl Inventory {
    /// The `ansible-inventory --list` (or `--list --export`) document.
    pub fn to_ansible_list(&self, export: bool) -> Result<Value> {
        Ok(list_value(self, export))
    }

    /// The `ansible-inventory --graph [GROUP]` text, byte for byte
    /// (without the final newline `display` adds).
    pub fn graph(&self, group: Option<&str>, with_vars: bool) -> Result<String> {
        graph(self, group.unwrap_or("all"), with_vars)
    }

    /// The same graph as a tree value (see the free function `graph_value`).
    pub fn graph_value(&self, group: Option<&str>, with_vars: bool) -> Result<Value> {
        graph_value(self, group.unwrap_or("all"), with_vars)
    }

    /// `ansible-inventory --host PATTERN`: the pattern must select exactly
    /// one host; its variables as `--host` prints them.
    pub fn ansible_host(&self, pattern: &str) -> Result<Value> {
        match self.select(pattern)?.as_slice() {
            [host] => Ok(host_value(&self.host_vars(host)?)),
            // Ansible says "You must pass a single valid host to --host
            // parameter"; say which pattern and what it matched instead.
            [] => Err(InventoryError::Model(format!(
                "host `{pattern}` is not in the inventory (no host matches it)"
            ))),
            many => Err(InventoryError::Model(format!(
                "`{pattern}` matches {} hosts ({}{}): name a single host",
                many.len(),
                many.iter().take(5).copied().collect::<Vec<_>>().join(", "),
                if many.len() > 5 { ", ..." } else { "" }
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pyrepr::py_str_repr;

    #[test]
    fn floats_print_as_python_repr() {
        assert_eq!(json_float_repr(1.5), "1.5");
        assert_eq!(json_float_repr(1e16), "1e+16");
        assert_eq!(json_float_repr(1e15), "1000000000000000.0");
        assert_eq!(json_float_repr(0.0001), "0.0001");
        assert_eq!(json_float_repr(0.00001), "1e-05");
        assert_eq!(json_float_repr(-2.5e-7), "-2.5e-07");
        assert_eq!(json_float_repr(3.0), "3.0");
    }

    #[test]
    fn strings_are_escaped_like_python_json_without_ensure_ascii() {
        let mut out = Vec::new();
        write_str(&mut out, "é\"\n😀\u{1}").unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "\"é\\\"\\n😀\\u0001\"");
    }

    #[test]
    fn repr_picks_python_quotes() {
        assert_eq!(py_str_repr("it's"), "\"it's\"");
        assert_eq!(py_str_repr("a"), "'a'");
    }
}

//! YAML (and JSON) documents typed exactly as ansible-core 2.19 types them.
//!
//! Ansible loads every YAML file (inventories, `group_vars`, `host_vars`)
//! through `ansible.parsing.utils.yaml.from_yaml`: the text is first tried as
//! JSON (`json.loads` with Ansible's legacy decoder), and only if that fails
//! it goes through `AnsibleLoader` = libyaml's parser (PyYAML `CParser`) +
//! PyYAML's YAML **1.1** implicit `Resolver` + `AnsibleConstructor`
//! (PyYAML's `SafeConstructor` plus `!unsafe` and `!vault`).
//!
//! # Why the typing is hand-written
//! Syntax (scanner, parser, events with positions) comes from the
//! `saphyr-parser` crate. No Rust crate implements PyYAML's YAML 1.1
//! implicit resolver and `SafeConstructor` (Rust YAML crates follow the
//! YAML 1.2 core schema, where `yes` is a string and `0755` is decimal), so
//! this module ports them by hand: the regular expressions of
//! `yaml/resolver.py`, the constructors of `yaml/constructor.py` (including
//! the merge-key flattening of PyYAML 6.0.2+) and Ansible's tags.
//!
//! # The typing table (verified against the real loader, see the tests)
//! - null: `~`, `null`, `Null`, `NULL`, empty. Quoted scalars are strings.
//! - bool: `yes/no/true/false/on/off` in lower, Title and UPPER case only;
//!   `y`, `n`, `yEs` are strings.
//! - int: decimal with `_`, `0b1010`, `0x1F`, octal `0755` (`0o755` is a
//!   string), sexagesimal `1:30` (= 90), with an optional sign. Integers
//!   outside the 64-bit range are rejected (Ansible keeps Python's big ints,
//!   `serde_json` cannot).
//! - float: needs a dot: `1.5`, `1.`, `.5`, `1.0e+3` (the exponent needs a
//!   sign: `1.0e3` and `1e3` are strings), `1:30.5`, `.inf`, `-.inf`,
//!   `.nan`. Infinity and NaN are rejected: ansible-inventory prints them as
//!   the non-JSON tokens `Infinity`/`NaN`, which [`Value`] cannot hold.
//! - timestamps: `2024-01-02` and `2001-12-14t21:59:43.10-05:00` become
//!   strings in Python's `isoformat()` (`2024-01-02`,
//!   `2001-12-14T21:59:43.100000-05:00`, `Z` → `+00:00`), which is how
//!   ansible-inventory prints `date`/`datetime`.
//! - `!unsafe X`: `X` is re-resolved as if it were plain, even when quoted
//!   (`!unsafe '123'` is the int 123); every string constructed inside is
//!   untrusted and rendered `{"__ansible_unsafe": "..."}` — this is what
//!   `ansible-inventory --list` prints; `--host` prints the bare string (see
//!   [`strip_unsafe`]). Keys are never wrapped.
//! - `!vault X`: `X` re-resolved the same way; it must be a string, rendered
//!   `{"__ansible_vault": "<ciphertext>"}` by both `--list` and `--host`.
//! - `!!set` → list of its keys, `!!omap`/`!!pairs` → list of `[key, value]`
//!   lists; `!!binary` is rejected (ansible-inventory crashes on bytes).
//! - Mapping keys: Python dict semantics (`1`, `1.0` and `true` are the same
//!   key; the first key object stays, the last value wins); rendered as
//!   Python's `json.dumps` renders them (`1`, `true`, `null`, `1.5`); a date
//!   key is rejected (ansible-inventory crashes on it).
//! - Merge keys `<<` (a mapping or a list of mappings) follow PyYAML 6.0.4
//!   exactly, including its quirk: within the merged pairs a key repeated by
//!   several merged mappings is de-duplicated by *object identity*, so a
//!   one-character key (a CPython singleton string) keeps its first merged
//!   value while a longer key takes the last one.
//! - One document at most: a second document is an error; an empty stream
//!   or a document holding only `~` gives `None`.
//!
//! Syntax: libyaml's tab rules are reproduced on top of saphyr (see
//! [`compose`]): `key:<TAB>value` is accepted, a tab in the indentation of a
//! block-context line is an error. Known deviations, checked by the
//! `documents_match_the_libyaml_table` test: YAML 1.1 line breaks (NEL,
//! LS, PS) are not line breaks here; an empty implicit key (`: v`) is a
//! null key here and an error in libyaml; a tab-indented continuation line
//! of a quoted scalar is an error here. Values: `!!set` order (Python's is
//! hash-randomised); `!unsafe` on an alias whose node was already
//! constructed elsewhere (Python reuses the trusted object).

mod compose;
mod construct;
mod node;
mod resolver;

pub use construct::DuplicateKey;
pub use node::{Node, NodeKind};

use crate::error::{InventoryError, Result, Warning};
use crate::value::{Value, Var, Vars};
use compose::{compose, Raw, RawKind, NODE_BUDGET};
use construct::Constructor;
use kubemagic_core::Origin;
use std::path::Path;
use std::rc::Rc;

// ---------------------------------------------------------------------------
// Public entry points
// ---------------------------------------------------------------------------

/// `from_yaml`: JSON first, then YAML; the constructed document with
/// positions, `None` for an empty stream or an empty/null document.
pub fn load_nodes(text: &str, path: &Path) -> Result<Option<Node>> {
    load_nodes_with_duplicates(text, path).map(|(n, _)| n)
}

/// [`load_nodes`] plus Ansible's warnings about the document (each
/// duplicate key), for the loaders that pass warnings on.
pub(crate) fn load_nodes_warned(text: &str, path: &Path) -> Result<(Option<Node>, Vec<Warning>)> {
    let (node, dups) = load_nodes_with_duplicates(text, path)?;
    Ok((node, dups.iter().map(|d| d.warning(path)).collect()))
}

/// [`load_nodes`] plus the duplicate keys Ansible would warn about (YAML
/// only: `json.loads` keeps the last value silently), for checks that want
/// to flag them.
pub fn load_nodes_with_duplicates(
    text: &str,
    path: &Path,
) -> Result<(Option<Node>, Vec<DuplicateKey>)> {
    let yaml_raw = compose(text, path);
    if let Some(json) = try_json(text) {
        let raw = yaml_raw.as_ref().ok().and_then(|r| r.as_ref());
        return match json {
            Value::Null => Ok((None, Vec::new())),
            v => Ok((
                Some(graft(&v, raw, 1, 1)?.ok_or_else(|| {
                    InventoryError::parse(
                        path,
                        Some(1),
                        "invalid `__ansible_unsafe`/`__ansible_vault` value",
                    )
                })?),
                Vec::new(),
            )),
        };
    }
    let raw = match yaml_raw? {
        Some(r) => r,
        None => return Ok((None, Vec::new())),
    };
    let mut c = Constructor {
        path,
        budget: NODE_BUDGET,
        duplicates: Vec::new(),
    };
    let node = c.construct(&raw, false, 0)?;
    let node = match node.kind {
        NodeKind::Null => None,
        _ => Some(node),
    };
    Ok((node, c.duplicates))
}

/// A whole document as a value (for `kubemagic.yml` and other callers),
/// keys as JSON writes them (`1:` reads as `"1"`, see
/// [`json_keys`](crate::value::json_keys)); `None` when the document is
/// empty or null.
pub fn load_yaml(text: &str, path: &Path) -> Result<Option<Value>> {
    match load_nodes(text, path)? {
        Some(n) => {
            let mut v = n.into_value(path)?;
            crate::value::json_keys(&mut v);
            Ok(Some(v))
        }
        None => Ok(None),
    }
}

/// One `group_vars`/`host_vars` file as ansible's `host_group_vars` plugin
/// reads it: `None` when the data is empty or falsy (`if new_data:`), the
/// top-level mapping's variables each with the line of its key otherwise.
/// Anything else is an error where Ansible would fail with "Could not
/// process" / "Invalid variable file contents".
pub fn load_vars_file(text: &str, path: &Path) -> Result<(Option<Vars>, Vec<Warning>)> {
    if text.trim_start().starts_with("$ANSIBLE_VAULT;") {
        return Err(InventoryError::parse(
            path,
            Some(1),
            "vault-encrypted vars file: kubemagic cannot decrypt it",
        ));
    }
    let (node, warnings) = load_nodes_warned(text, path)?;
    let node = match node {
        Some(n) => n,
        None => return Ok((None, warnings)),
    };
    if !node.kind.is_truthy() {
        return Ok((None, warnings));
    }
    let line = node.line;
    match node.kind {
        NodeKind::Map(entries) => {
            let mut vars = Vars::with_capacity(entries.len());
            for (k, v) in entries {
                let name = k.key_string(path)?;
                vars.insert(
                    name,
                    Var {
                        value: v.into_value(path)?,
                        origin: Some(Origin::new(path, Some(k.line)).with_col(k.col)),
                    },
                );
            }
            Ok((Some(vars), warnings))
        }
        other => Err(InventoryError::parse(
            path,
            Some(line),
            format!(
                "Invalid vars file: expected a mapping of variables at the top level, found {}",
                other.type_name()
            ),
        )),
    }
}

// ---------------------------------------------------------------------------
// JSON (json.loads with Ansible's legacy decoder)
// ---------------------------------------------------------------------------

fn try_json(text: &str) -> Option<Value> {
    let v: Value = serde_json::from_str(text).ok()?;
    // The legacy decoder turns any object holding `__ansible_unsafe` or
    // `__ansible_vault` into a string; a non-string value there makes
    // `json.loads` fail, and Ansible falls back to YAML.
    fn check(v: &Value) -> bool {
        match v {
            Value::Object(m) => {
                for key in ["__ansible_unsafe", "__ansible_vault"] {
                    if let Some(x) = m.get(key) {
                        return x.is_string();
                    }
                }
                m.values().all(check)
            }
            Value::Array(a) => a.iter().all(check),
            _ => true,
        }
    }
    check(&v).then_some(v)
}

/// Builds a node from a JSON value, taking positions (and the digits of
/// integers too big for `serde_json`) from the YAML parse of the same text
/// wherever the two structures agree.
fn graft(v: &Value, raw: Option<&Rc<Raw>>, line: u32, col: u32) -> Result<Option<Node>> {
    let (line, col) = raw.map_or((line, col), |r| (r.line, r.col));
    let node = |kind| Node { line, col, kind };
    Ok(Some(match v {
        Value::Null => node(NodeKind::Null),
        Value::Bool(b) => node(NodeKind::Bool(*b)),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                node(NodeKind::Int(i as i128))
            } else if let Some(u) = n.as_u64() {
                node(NodeKind::Int(u as i128))
            } else {
                let f = n.as_f64().unwrap_or(0.0);
                // serde_json reads a huge integer literal as a float; Python
                // keeps it an int.
                let big = raw.and_then(|r| match &r.kind {
                    RawKind::Scalar { value, .. }
                        if !value.is_empty()
                            && value
                                .trim_start_matches('-')
                                .bytes()
                                .all(|b| b.is_ascii_digit()) =>
                    {
                        value.parse::<i128>().ok()
                    }
                    _ => None,
                });
                match big {
                    Some(i) => node(NodeKind::Int(i)),
                    None => node(NodeKind::Float(f)),
                }
            }
        }
        Value::String(s) => node(NodeKind::Str(s.clone())),
        Value::Array(a) => {
            let raws = match raw.map(|r| &r.kind) {
                Some(RawKind::Seq(items)) if items.len() == a.len() => Some(items),
                _ => None,
            };
            let mut out = Vec::with_capacity(a.len());
            for (i, x) in a.iter().enumerate() {
                let r = raws.map(|items| &items[i]);
                if let Some(n) = graft(x, r, line, col)? {
                    out.push(n);
                }
            }
            node(NodeKind::Seq(out))
        }
        Value::Object(m) => {
            for (key, kind) in [("__ansible_unsafe", 0), ("__ansible_vault", 1)] {
                if let Some(x) = m.get(key) {
                    let s = x.as_str().unwrap_or_default().to_string();
                    return Ok(Some(node(if kind == 0 {
                        NodeKind::Unsafe(s)
                    } else {
                        NodeKind::Vault(s)
                    })));
                }
            }
            // Match each JSON key with the last YAML pair holding that key
            // text (JSON duplicates: the last value wins).
            let pairs = match raw.map(|r| &r.kind) {
                Some(RawKind::Map(p)) => Some(p),
                _ => None,
            };
            let mut out = Vec::with_capacity(m.len());
            for (k, x) in m {
                let pair = pairs.and_then(|p| {
                    p.iter().rev().find(
                        |(rk, _)| matches!(&rk.kind, RawKind::Scalar { value, .. } if value == k),
                    )
                });
                let (kl, kc) = pair.map_or((line, col), |(rk, _)| (rk.line, rk.col));
                let knode = Node {
                    line: kl,
                    col: kc,
                    kind: NodeKind::Str(k.clone()),
                };
                if let Some(vn) = graft(x, pair.map(|(_, rv)| rv), kl, kc)? {
                    out.push((knode, vn));
                }
            }
            node(NodeKind::Map(out))
        }
    }))
}

#[cfg(test)]
mod tests;

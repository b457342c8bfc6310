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

use crate::error::{InventoryError, Result};
use crate::value::{Map, Value, Var, Vars};
use kubemagic_core::Origin;
use saphyr_parser::{Event, Parser, ScalarStyle};
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::path::Path;
use std::rc::Rc;

/// A node of a constructed document, with the 1-based line and column where
/// it starts (for keys: the line of the *last* definition of a duplicate
/// key, which is the one whose value wins).
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub line: u32,
    pub col: u32,
    pub kind: NodeKind,
}

/// A constructed value, typed as Python would type it after `AnsibleLoader`.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    Null,
    Bool(bool),
    /// Python int; wider than i64 so that out-of-range values can be reported.
    Int(i128),
    Float(f64),
    Str(String),
    /// A string built under `!unsafe` (not trusted as a template).
    Unsafe(String),
    /// `!vault` ciphertext.
    Vault(String),
    /// A `datetime.date`/`datetime.datetime`, already in `isoformat()`.
    Timestamp(String),
    Seq(Vec<Node>),
    /// Entries in Python dict order, keys unique under Python equality.
    Map(Vec<(Node, Node)>),
}

impl NodeKind {
    /// The Python type name, for messages such as Ansible's
    /// "requires a dictionary, found <class 'list'>".
    pub fn type_name(&self) -> &'static str {
        match self {
            NodeKind::Null => "NoneType",
            NodeKind::Bool(_) => "bool",
            NodeKind::Int(_) => "int",
            NodeKind::Float(_) => "float",
            NodeKind::Str(_) | NodeKind::Unsafe(_) => "str",
            NodeKind::Vault(_) => "EncryptedString",
            NodeKind::Timestamp(s) => {
                if s.len() == 10 {
                    "date"
                } else {
                    "datetime"
                }
            }
            NodeKind::Seq(_) => "list",
            NodeKind::Map(_) => "dict",
        }
    }

    /// Python truthiness (`if data:`), used for "ignore empty vars files".
    pub fn is_truthy(&self) -> bool {
        match self {
            NodeKind::Null => false,
            NodeKind::Bool(b) => *b,
            NodeKind::Int(i) => *i != 0,
            NodeKind::Float(f) => *f != 0.0,
            NodeKind::Str(s) | NodeKind::Unsafe(s) | NodeKind::Vault(s) => !s.is_empty(),
            NodeKind::Timestamp(_) => true,
            NodeKind::Seq(v) => !v.is_empty(),
            NodeKind::Map(m) => !m.is_empty(),
        }
    }

    /// The text of a string (trusted, unsafe or vault ciphertext).
    pub fn as_str(&self) -> Option<&str> {
        match self {
            NodeKind::Str(s) | NodeKind::Unsafe(s) | NodeKind::Vault(s) => Some(s),
            _ => None,
        }
    }
}

impl Node {
    /// Looks up a string key in a mapping node.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.kind {
            NodeKind::Map(entries) => entries
                .iter()
                .find(
                    |(k, _)| matches!(&k.kind, NodeKind::Str(s) | NodeKind::Unsafe(s) if s == key),
                )
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// The node as an Ansible value (what ansible-inventory `--list` prints).
    pub fn to_value(&self, file: &Path) -> Result<Value> {
        let err = |msg: String| InventoryError::parse(file, Some(self.line), msg);
        Ok(match &self.kind {
            NodeKind::Null => Value::Null,
            NodeKind::Bool(b) => Value::Bool(*b),
            NodeKind::Int(i) => int_value(*i).ok_or_else(|| {
                err(format!(
                    "integer {i} is outside the 64-bit range kubemagic supports"
                ))
            })?,
            NodeKind::Float(f) => match serde_json::Number::from_f64(*f) {
                Some(n) => Value::Number(n),
                None => {
                    return Err(err(format!(
                    "float {} cannot be represented: ansible-inventory prints it as non-JSON `{}`",
                    crate::pyliteral::py_float_repr(*f, true, false),
                    crate::export::py_float_repr(*f)
                )))
                }
            },
            NodeKind::Str(s) | NodeKind::Timestamp(s) => Value::String(s.clone()),
            NodeKind::Unsafe(s) => wrap("__ansible_unsafe", s),
            NodeKind::Vault(s) => wrap("__ansible_vault", s),
            NodeKind::Seq(items) => Value::Array(
                items
                    .iter()
                    .map(|n| n.to_value(file))
                    .collect::<Result<Vec<_>>>()?,
            ),
            NodeKind::Map(entries) => {
                let mut m = Map::new();
                for (k, v) in entries {
                    m.insert(k.key_string(file)?, v.to_value(file)?);
                }
                Value::Object(m)
            }
        })
    }

    /// [`Node::to_value`] without copying the strings.
    pub fn into_value(self, file: &Path) -> Result<Value> {
        let line = self.line;
        Ok(match self.kind {
            NodeKind::Str(s) | NodeKind::Timestamp(s) => Value::String(s),
            NodeKind::Seq(items) => Value::Array(
                items
                    .into_iter()
                    .map(|n| n.into_value(file))
                    .collect::<Result<Vec<_>>>()?,
            ),
            NodeKind::Map(entries) => {
                let mut m = Map::with_capacity(entries.len());
                for (k, v) in entries {
                    let key = match k.kind {
                        NodeKind::Str(s) | NodeKind::Unsafe(s) | NodeKind::Vault(s) => s,
                        _ => k.key_string(file)?,
                    };
                    m.insert(key, v.into_value(file)?);
                }
                Value::Object(m)
            }
            kind => Node {
                line,
                col: self.col,
                kind,
            }
            .to_value(file)?,
        })
    }

    /// A mapping key as Ansible's legacy JSON encoder writes it: strings as
    /// they are, `None`/ints/floats/bools through `json.dumps`.
    pub fn key_string(&self, file: &Path) -> Result<String> {
        let err = |msg: String| InventoryError::parse(file, Some(self.line), msg);
        Ok(match &self.kind {
            NodeKind::Str(s) | NodeKind::Unsafe(s) | NodeKind::Vault(s) => s.clone(),
            NodeKind::Null => "null".to_string(),
            NodeKind::Bool(b) => b.to_string(),
            NodeKind::Int(i) => i.to_string(),
            NodeKind::Float(f) => crate::export::py_float_repr(*f),
            NodeKind::Timestamp(s) => {
                return Err(err(format!(
                "date key `{s}` is not JSON serializable (ansible-inventory fails on it); quote it"
            )))
            }
            NodeKind::Seq(_) | NodeKind::Map(_) => {
                return Err(err("found unhashable key".to_string()))
            }
        })
    }
}

fn wrap(key: &str, s: &str) -> Value {
    let mut m = Map::new();
    m.insert(key.to_string(), Value::String(s.to_string()));
    Value::Object(m)
}

fn int_value(i: i128) -> Option<Value> {
    if let Ok(v) = i64::try_from(i) {
        Some(Value::from(v))
    } else {
        u64::try_from(i).ok().map(Value::from)
    }
}

/// `--host` rendering: Ansible prints `!unsafe` strings bare there, while
/// `--list` wraps them as `{"__ansible_unsafe": ...}`. Vault stays wrapped.
pub fn strip_unsafe(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            if m.len() == 1 {
                if let Some(Value::String(s)) = m.get("__ansible_unsafe") {
                    return Value::String(s.clone());
                }
            }
            Value::Object(
                m.iter()
                    .map(|(k, v)| (k.clone(), strip_unsafe(v)))
                    .collect(),
            )
        }
        Value::Array(a) => Value::Array(a.iter().map(strip_unsafe).collect()),
        other => other.clone(),
    }
}

/// The text of a string value, looking through an `!unsafe` wrapper (what a
/// check reading a variable wants).
pub fn value_str(v: &Value) -> Option<&str> {
    match v {
        Value::String(s) => Some(s),
        Value::Object(m) if m.len() == 1 => match m.get("__ansible_unsafe") {
            Some(Value::String(s)) => Some(s),
            _ => None,
        },
        _ => None,
    }
}

// ---------------------------------------------------------------------------
// Public entry points
// ---------------------------------------------------------------------------

/// A repeated mapping key: Ansible warns "Found duplicate mapping key"
/// and keeps the last value (its default `DUPLICATE_YAML_DICT_KEY=warn`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateKey {
    /// The key as it would be printed (`key_string`).
    pub key: String,
    /// Line of the first definition.
    pub first_line: u32,
    /// Line of the definition that wins.
    pub line: u32,
}

/// `from_yaml`: JSON first, then YAML; the constructed document with
/// positions, `None` for an empty stream or an empty/null document.
pub fn load_nodes(text: &str, path: &Path) -> Result<Option<Node>> {
    load_nodes_with_duplicates(text, path).map(|(n, _)| n)
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

/// A whole document as a value (for `kubemagic.yml` and other callers);
/// `None` when the document is empty or null.
pub fn load_yaml(text: &str, path: &Path) -> Result<Option<Value>> {
    match load_nodes(text, path)? {
        Some(n) => Ok(Some(n.into_value(path)?)),
        None => Ok(None),
    }
}

/// One `group_vars`/`host_vars` file as ansible's `host_group_vars` plugin
/// reads it: `None` when the data is empty or falsy (`if new_data:`), the
/// top-level mapping's variables each with the line of its key otherwise.
/// Anything else is an error where Ansible would fail with "Could not
/// process" / "Invalid variable file contents".
pub fn load_vars_file(text: &str, path: &Path) -> Result<Option<Vars>> {
    if text.trim_start().starts_with("$ANSIBLE_VAULT;") {
        return Err(InventoryError::parse(
            path,
            Some(1),
            "vault-encrypted vars file: kubemagic cannot decrypt it",
        ));
    }
    let node = match load_nodes(text, path)? {
        Some(n) => n,
        None => return Ok(None),
    };
    if !node.kind.is_truthy() {
        return Ok(None);
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
                        origin: Some(Origin::new(path, Some(k.line))),
                    },
                );
            }
            Ok(Some(vars))
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

// ---------------------------------------------------------------------------
// Composition: saphyr events → node graph (aliases share nodes, as in PyYAML)
// ---------------------------------------------------------------------------

#[derive(Debug)]
struct Raw {
    line: u32,
    col: u32,
    /// Full tag (`tag:yaml.org,2002:int`, `!unsafe`, `!`), when explicit.
    tag: Option<String>,
    kind: RawKind,
}

#[derive(Debug)]
enum RawKind {
    Scalar { value: String, plain: bool },
    Seq(Vec<Rc<Raw>>),
    Map(Vec<(Rc<Raw>, Rc<Raw>)>),
}

enum Frame {
    Seq {
        line: u32,
        col: u32,
        tag: Option<String>,
        anchor: usize,
        items: Vec<Rc<Raw>>,
    },
    Map {
        line: u32,
        col: u32,
        tag: Option<String>,
        anchor: usize,
        pairs: Vec<(Rc<Raw>, Rc<Raw>)>,
        key: Option<Rc<Raw>>,
    },
}

const MAX_DEPTH: usize = 512;
/// Nodes constructed per document, after alias expansion ("billion laughs").
const NODE_BUDGET: usize = 2_000_000;

/// Where scalars and flow collections lie, for the libyaml tab rules.
#[derive(Default)]
struct Layout {
    /// (first line, last line, style, first char index, end char index)
    scalars: Vec<(usize, usize, ScalarStyle, usize, usize)>,
    /// (opening line, closing line) of flow collections.
    flows: Vec<(usize, usize)>,
    open: Vec<Option<usize>>,
}

/// libyaml and saphyr disagree on tabs: libyaml accepts a tab as the
/// separator after an indicator (`key:<TAB>value`), which saphyr rejects,
/// and rejects a tab in the leading whitespace of a block-context line,
/// which saphyr accepts. Both are reproduced here: on a saphyr error the
/// text is retried with such separator tabs turned into spaces (accepted
/// only if none of them lands inside a quoted or block scalar), and a
/// parsed text is checked for leading tabs. Only runs when the text has tabs.
fn compose(text: &str, path: &Path) -> Result<Option<Rc<Raw>>> {
    if !text.contains('\t') {
        return compose_inner(text, path, None);
    }
    let chars: Vec<char> = text.chars().collect();
    let mut layout = Layout::default();
    match compose_inner(text, path, Some((&chars, &mut layout))) {
        Ok(root) => {
            check_leading_tabs(text, path, &layout)?;
            Ok(root)
        }
        Err(first) => {
            let (relaxed, changed) = relax_separator_tabs(text);
            if changed.is_empty() {
                return Err(first);
            }
            let rchars: Vec<char> = relaxed.chars().collect();
            let mut rl = Layout::default();
            match compose_inner(&relaxed, path, Some((&rchars, &mut rl))) {
                Ok(root) => {
                    let inside = rl.scalars.iter().any(|&(_, _, style, a, b)| {
                        style != ScalarStyle::Plain && changed.iter().any(|&i| i >= a && i < b)
                    });
                    if inside {
                        return Err(first);
                    }
                    check_leading_tabs(&relaxed, path, &rl)?;
                    Ok(root)
                }
                Err(_) => Err(first),
            }
        }
    }
}

/// Tabs in the whitespace right after `:`, `- ` or `? ` on a line that goes
/// on with content become spaces; returns the char indices changed.
fn relax_separator_tabs(text: &str) -> (String, Vec<usize>) {
    let chars: Vec<char> = text.chars().collect();
    let mut out = chars.clone();
    let mut changed = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let indicator = c == ':'
            || ((c == '-' || c == '?') && {
                let mut j = i;
                while j > 0 && chars[j - 1] == ' ' {
                    j -= 1;
                }
                j == 0 || chars[j - 1] == '\n' || chars[j - 1] == '-'
            });
        if indicator && chars.get(i + 1) == Some(&'\t') {
            let mut j = i + 1;
            while j < chars.len() && (chars[j] == ' ' || chars[j] == '\t') {
                j += 1;
            }
            if j < chars.len() && chars[j] != '\n' && chars[j] != '\r' {
                for (k, ch) in out.iter_mut().enumerate().take(j).skip(i + 1) {
                    if *ch == '\t' {
                        *ch = ' ';
                        changed.push(k);
                    }
                }
            }
            i = j;
            continue;
        }
        i += 1;
    }
    (out.into_iter().collect(), changed)
}

/// libyaml: in block context a tab may not appear in the leading
/// whitespace of a line ("found character that cannot start any token"),
/// nor before a block scalar's indentation ("found a tab character where an
/// indentation space is expected"). Quoted scalars and flow collections may
/// hold such tabs.
fn check_leading_tabs(text: &str, path: &Path, layout: &Layout) -> Result<()> {
    let lines: Vec<&str> = text.split('\n').collect();
    let mut state: Vec<u8> = vec![0; lines.len() + 2]; // 0 block, 1 skip, 2 block scalar, 3 plain continuation
    let mut block_indent: HashMap<usize, usize> = HashMap::new();
    for &(a, b) in &layout.flows {
        let end = b.min(lines.len());
        if a < end {
            state[a + 1..=end].iter_mut().for_each(|s| *s = 1);
        }
    }
    for &(a, b, style, _, _) in &layout.scalars {
        if b <= a {
            continue;
        }
        let kind = match style {
            ScalarStyle::Plain => 3,
            ScalarStyle::Literal | ScalarStyle::Folded => 2,
            _ => 1,
        };
        let mut indent = None;
        let end = b.min(lines.len());
        for (l, st) in state.iter_mut().enumerate().take(end + 1).skip(a + 1) {
            if *st == 1 {
                continue;
            }
            *st = kind;
            if kind == 2 {
                let line = lines.get(l - 1).copied().unwrap_or("");
                let spaces = line.len() - line.trim_start_matches(' ').len();
                if indent.is_none()
                    && !line
                        .trim_start_matches(' ')
                        .trim_end_matches('\r')
                        .is_empty()
                {
                    indent = Some(spaces.max(1));
                }
                block_indent.insert(l, indent.unwrap_or(usize::MAX));
            }
        }
    }
    for (i, line) in lines.iter().enumerate() {
        let l = i + 1;
        let spaces = line.len() - line.trim_start_matches(' ').len();
        if !line[spaces..].starts_with('\t') {
            continue;
        }
        let bad = match state[l] {
            1 => false,
            2 => spaces < block_indent.get(&l).copied().unwrap_or(usize::MAX),
            3 => spaces == 0,
            _ => true,
        };
        if bad {
            return Err(InventoryError::parse(
                path,
                Some(l as u32),
                "found a tab character in the indentation (YAML forbids tabs there; use spaces)",
            ));
        }
    }
    Ok(())
}

fn compose_inner(
    text: &str,
    path: &Path,
    mut layout: Option<(&[char], &mut Layout)>,
) -> Result<Option<Rc<Raw>>> {
    let perr =
        |line: usize, msg: String| InventoryError::parse(path, Some(line.max(1) as u32), msg);
    let mut anchors: HashMap<usize, Rc<Raw>> = HashMap::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Rc<Raw>> = None;
    let mut documents = 0usize;
    let tag_string = |t: &Option<std::borrow::Cow<'_, saphyr_parser::Tag>>| {
        t.as_ref().map(|t| format!("{}{}", t.handle, t.suffix))
    };
    for item in Parser::new_from_str(text) {
        let (event, span) = item.map_err(|e| perr(e.marker().line(), e.info().to_string()))?;
        let line = span.start.line().max(1) as u32;
        let col = span.start.col() as u32 + 1;
        let is_map = matches!(event, Event::MappingStart(..));
        let finished: Option<(Rc<Raw>, usize)> = match event {
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => None,
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    return Err(perr(
                        span.start.line(),
                        "expected a single document in the stream, but found another document"
                            .to_string(),
                    ));
                }
                None
            }
            Event::Alias(id) => match anchors.get(&id) {
                Some(n) => Some((n.clone(), 0)),
                None => {
                    return Err(perr(
                        span.start.line(),
                        "found undefined or recursive alias".to_string(),
                    ))
                }
            },
            Event::Scalar(value, style, anchor, tag) => {
                if let Some((_, lay)) = layout.as_mut() {
                    lay.scalars.push((
                        span.start.line(),
                        span.end.line(),
                        style,
                        span.start.index(),
                        span.end.index(),
                    ));
                }
                let raw = Raw {
                    line,
                    col,
                    tag: tag_string(&tag),
                    kind: RawKind::Scalar {
                        value: value.into_owned(),
                        plain: style == ScalarStyle::Plain,
                    },
                };
                Some((Rc::new(raw), anchor))
            }
            Event::SequenceStart(anchor, tag) | Event::MappingStart(anchor, tag) => {
                if let Some((chars, lay)) = layout.as_mut() {
                    let flow = matches!(chars.get(span.start.index()), Some('[' | '{'));
                    lay.open.push(flow.then(|| span.start.line()));
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(perr(
                        span.start.line(),
                        "document nested too deeply".to_string(),
                    ));
                }
                let tag = tag_string(&tag);
                stack.push(if is_map {
                    Frame::Map {
                        line,
                        col,
                        tag,
                        anchor,
                        pairs: Vec::new(),
                        key: None,
                    }
                } else {
                    Frame::Seq {
                        line,
                        col,
                        tag,
                        anchor,
                        items: Vec::new(),
                    }
                });
                None
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some((_, lay)) = layout.as_mut() {
                    if let Some(Some(open)) = lay.open.pop() {
                        lay.flows
                            .push((open, span.end.line().max(span.start.line())));
                    }
                }
                match stack.pop() {
                    Some(Frame::Seq {
                        line,
                        col,
                        tag,
                        anchor,
                        items,
                    }) => Some((
                        Rc::new(Raw {
                            line,
                            col,
                            tag,
                            kind: RawKind::Seq(items),
                        }),
                        anchor,
                    )),
                    Some(Frame::Map {
                        line,
                        col,
                        tag,
                        anchor,
                        pairs,
                        ..
                    }) => Some((
                        Rc::new(Raw {
                            line,
                            col,
                            tag,
                            kind: RawKind::Map(pairs),
                        }),
                        anchor,
                    )),
                    None => {
                        return Err(perr(
                            span.start.line(),
                            "unbalanced collection end".to_string(),
                        ))
                    }
                }
            }
        };
        if let Some((node, anchor)) = finished {
            if anchor != 0 {
                anchors.insert(anchor, node.clone());
            }
            match stack.last_mut() {
                Some(Frame::Seq { items, .. }) => items.push(node),
                Some(Frame::Map { pairs, key, .. }) => match key.take() {
                    Some(k) => pairs.push((k, node)),
                    None => *key = Some(node),
                },
                None => root = Some(node),
            }
        }
    }
    Ok(root)
}

// ---------------------------------------------------------------------------
// Resolver (PyYAML `Resolver`, YAML 1.1 implicit types)
// ---------------------------------------------------------------------------

const T_NULL: &str = "tag:yaml.org,2002:null";
const T_BOOL: &str = "tag:yaml.org,2002:bool";
const T_INT: &str = "tag:yaml.org,2002:int";
const T_FLOAT: &str = "tag:yaml.org,2002:float";
const T_STR: &str = "tag:yaml.org,2002:str";
const T_TIMESTAMP: &str = "tag:yaml.org,2002:timestamp";
const T_MERGE: &str = "tag:yaml.org,2002:merge";
const T_VALUE: &str = "tag:yaml.org,2002:value";
const T_SEQ: &str = "tag:yaml.org,2002:seq";
const T_MAP: &str = "tag:yaml.org,2002:map";

/// `Resolver.resolve(ScalarNode, value, (True, _))`. Python's `re.match`
/// with `$` also matches before one trailing newline, which only matters
/// for re-resolved quoted or block scalars (`!unsafe |`).
fn resolve_plain(value: &str) -> &'static str {
    let v = value.strip_suffix('\n').unwrap_or(value);
    if is_bool(v) {
        T_BOOL
    } else if is_float(v) {
        T_FLOAT
    } else if is_int(v) {
        T_INT
    } else if v == "<<" {
        T_MERGE
    } else if is_null(v) && (v.len() == value.len() || !v.is_empty()) {
        T_NULL
    } else if is_timestamp(v) {
        T_TIMESTAMP
    } else if v == "=" {
        T_VALUE
    } else {
        T_STR
    }
}

fn is_bool(v: &str) -> bool {
    matches!(
        v,
        "yes"
            | "Yes"
            | "YES"
            | "no"
            | "No"
            | "NO"
            | "true"
            | "True"
            | "TRUE"
            | "false"
            | "False"
            | "FALSE"
            | "on"
            | "On"
            | "ON"
            | "off"
            | "Off"
            | "OFF"
    )
}

fn is_null(v: &str) -> bool {
    matches!(v, "~" | "null" | "Null" | "NULL" | "")
}

fn strip_sign(v: &str) -> &str {
    v.strip_prefix(['-', '+']).unwrap_or(v)
}

/// `[0-9][0-9_]*` (or `[1-9][0-9_]*` when `nonzero`) at the start; returns the rest.
fn digits_us(v: &str, nonzero: bool) -> Option<&str> {
    let b = v.as_bytes();
    let first = *b.first()?;
    if !(first.is_ascii_digit() && (!nonzero || first != b'0')) {
        return None;
    }
    let n = b[1..]
        .iter()
        .take_while(|c| c.is_ascii_digit() || **c == b'_')
        .count();
    Some(&v[1 + n..])
}

/// `(?::[0-5]?[0-9])+` at the start; returns the rest.
fn sexagesimal_tail(mut v: &str) -> Option<&str> {
    let mut any = false;
    while let Some(rest) = v.strip_prefix(':') {
        let b = rest.as_bytes();
        let n = match (b.first(), b.get(1)) {
            (Some(a), Some(c)) if (b'0'..=b'5').contains(a) && c.is_ascii_digit() => 2,
            (Some(a), _) if a.is_ascii_digit() => 1,
            _ => break,
        };
        v = &rest[n..];
        any = true;
    }
    any.then_some(v)
}

fn is_int(v: &str) -> bool {
    let s = strip_sign(v);
    let all = |t: &str, f: fn(u8) -> bool| !t.is_empty() && t.bytes().all(f);
    if let Some(t) = s.strip_prefix("0b") {
        if all(t, |c| c == b'0' || c == b'1' || c == b'_') {
            return true;
        }
    }
    if let Some(t) = s.strip_prefix("0x") {
        if all(t, |c| c.is_ascii_hexdigit() || c == b'_') {
            return true;
        }
    }
    if let Some(t) = s.strip_prefix('0') {
        if t.is_empty() || all(t, |c| (b'0'..=b'7').contains(&c) || c == b'_') {
            return true;
        }
    }
    if let Some(rest) = digits_us(s, true) {
        if rest.is_empty() {
            return true;
        }
        if sexagesimal_tail(rest) == Some("") {
            return true;
        }
    }
    false
}

/// `[eE][-+][0-9]+` optional, then end.
fn exponent_end(v: &str) -> bool {
    if v.is_empty() {
        return true;
    }
    match v
        .strip_prefix(['e', 'E'])
        .and_then(|r| r.strip_prefix(['-', '+']))
    {
        Some(d) => !d.is_empty() && d.bytes().all(|c| c.is_ascii_digit()),
        None => false,
    }
}

fn frac_us(v: &str) -> &str {
    v.trim_start_matches(|c: char| c.is_ascii_digit() || c == '_')
}

fn is_float(v: &str) -> bool {
    if matches!(v, ".nan" | ".NaN" | ".NAN") {
        return true;
    }
    // `\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?` (unsigned)
    if let Some(t) = v.strip_prefix('.') {
        if t.as_bytes().first().is_some_and(|c| c.is_ascii_digit()) && exponent_end(frac_us(t)) {
            return true;
        }
    }
    let s = strip_sign(v);
    if matches!(s, ".inf" | ".Inf" | ".INF") {
        return true;
    }
    if let Some(rest) = digits_us(s, false) {
        if let Some(t) = rest.strip_prefix('.') {
            if exponent_end(frac_us(t)) {
                return true;
            }
        }
        if let Some(r) = sexagesimal_tail(rest) {
            if let Some(t) = r.strip_prefix('.') {
                if frac_us(t).is_empty() {
                    return true;
                }
            }
        }
    }
    false
}

fn take_digits(v: &str, min: usize, max: usize) -> Option<(&str, &str)> {
    let n = v
        .bytes()
        .take(max)
        .take_while(|c| c.is_ascii_digit())
        .count();
    (n >= min).then(|| v.split_at(n))
}

/// hour, minute, second, fraction, time zone.
type StampTime<'a> = (&'a str, &'a str, &'a str, Option<&'a str>, Option<&'a str>);

struct Stamp<'a> {
    year: &'a str,
    month: &'a str,
    day: &'a str,
    time: Option<StampTime<'a>>,
}

/// The constructor's `timestamp_regexp` (looser than the resolver's).
fn parse_stamp(v: &str) -> Option<Stamp<'_>> {
    let (year, r) = take_digits(v, 4, 4)?;
    let (month, r) = take_digits(r.strip_prefix('-')?, 1, 2)?;
    let (day, r) = take_digits(r.strip_prefix('-')?, 1, 2)?;
    if r.is_empty() {
        return Some(Stamp {
            year,
            month,
            day,
            time: None,
        });
    }
    let r = if let Some(x) = r.strip_prefix(['T', 't']) {
        x
    } else {
        let x = r.trim_start_matches([' ', '\t']);
        if x.len() == r.len() {
            return None;
        }
        x
    };
    let (hour, r) = take_digits(r, 1, 2)?;
    let (minute, r) = take_digits(r.strip_prefix(':')?, 2, 2)?;
    let (second, r) = take_digits(r.strip_prefix(':')?, 2, 2)?;
    let (fraction, r) = match r.strip_prefix('.') {
        Some(x) => {
            let n = x.bytes().take_while(|c| c.is_ascii_digit()).count();
            (Some(&x[..n]), &x[n..])
        }
        None => (None, r),
    };
    let tz = if r.is_empty() {
        None
    } else {
        let x = r.trim_start_matches([' ', '\t']);
        if x == "Z" {
            Some("Z")
        } else {
            let b = x.as_bytes();
            if !matches!(b.first(), Some(b'+' | b'-')) {
                return None;
            }
            let (_, rest) = take_digits(&x[1..], 1, 2)?;
            if !rest.is_empty() {
                let m = rest.strip_prefix(':')?;
                if m.len() != 2 || !m.bytes().all(|c| c.is_ascii_digit()) {
                    return None;
                }
            }
            Some(x)
        }
    };
    Some(Stamp {
        year,
        month,
        day,
        time: Some((hour, minute, second, fraction, tz)),
    })
}

/// The resolver's timestamp regex: `YYYY-MM-DD`, or the long form.
fn is_timestamp(v: &str) -> bool {
    match parse_stamp(v) {
        Some(s) => match s.time {
            None => s.month.len() == 2 && s.day.len() == 2,
            Some(_) => true,
        },
        None => false,
    }
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// `construct_yaml_timestamp` then `isoformat()`.
fn construct_timestamp(v: &str) -> std::result::Result<String, String> {
    let s = parse_stamp(v).ok_or_else(|| format!("invalid timestamp `{v}`"))?;
    let num = |x: &str| x.parse::<i64>().unwrap_or(0);
    let (y, m, d) = (num(s.year), num(s.month), num(s.day));
    if y < 1 {
        return Err(format!("year {y} is out of range"));
    }
    if !(1..=12).contains(&m) {
        return Err("month must be in 1..12".to_string());
    }
    if d < 1 || d > days_in_month(y, m) {
        return Err("day is out of range for month".to_string());
    }
    let date = format!("{y:04}-{m:02}-{d:02}");
    let Some((hh, mm, ss, fraction, tz)) = s.time else {
        return Ok(date);
    };
    let (hh, mm, ss) = (num(hh), num(mm), num(ss));
    if hh > 23 {
        return Err("hour must be in 0..23".to_string());
    }
    if mm > 59 {
        return Err("minute must be in 0..59".to_string());
    }
    if ss > 59 {
        return Err("second must be in 0..59".to_string());
    }
    let mut out = format!("{date}T{hh:02}:{mm:02}:{ss:02}");
    if let Some(f) = fraction.filter(|f| !f.is_empty()) {
        let mut f: String = f.chars().take(6).collect();
        while f.len() < 6 {
            f.push('0');
        }
        if f != "000000" {
            out.push('.');
            out.push_str(&f);
        }
    }
    match tz {
        None => {}
        Some("Z") => out.push_str("+00:00"),
        Some(tz) => {
            let neg = tz.starts_with('-');
            let body = &tz[1..];
            let (h, m) = match body.split_once(':') {
                Some((h, m)) => (num(h), num(m)),
                None => (num(body), 0),
            };
            let total = h * 60 + m;
            if total >= 24 * 60 {
                return Err("offset must be a timedelta strictly between -timedelta(hours=24) and timedelta(hours=24)".to_string());
            }
            let sign = if neg && total != 0 { '-' } else { '+' };
            out.push_str(&format!("{sign}{:02}:{:02}", total / 60, total % 60));
        }
    }
    Ok(out)
}

/// Python `int(s, base)` for the strings `construct_yaml_int` hands it.
fn py_int(s: &str, base: u32) -> Option<i128> {
    let t = s.trim_matches(|c: char| c.is_ascii_whitespace());
    let (neg, t) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let prefix = match base {
        2 => ["0b", "0B"],
        8 => ["0o", "0O"],
        16 => ["0x", "0X"],
        _ => ["", ""],
    };
    let t = if base != 10 {
        t.strip_prefix(prefix[0])
            .or_else(|| t.strip_prefix(prefix[1]))
            .unwrap_or(t)
    } else {
        t
    };
    if t.is_empty() || t.starts_with(['+', '-']) {
        return None;
    }
    let v = i128::from_str_radix(t, base).ok()?;
    Some(if neg { -v } else { v })
}

fn construct_int(raw: &str) -> std::result::Result<i128, String> {
    let bad = || format!("invalid literal for int(): `{raw}`");
    let value: String = raw.replace('_', "");
    let (sign, v) = match value.as_bytes().first() {
        Some(b'-') => (-1i128, &value[1..]),
        Some(b'+') => (1, &value[1..]),
        Some(_) => (1, &value[..]),
        None => return Err(bad()),
    };
    if v == "0" {
        return Ok(0);
    }
    let r = if let Some(b) = v.strip_prefix("0b") {
        py_int(b, 2)
    } else if let Some(h) = v.strip_prefix("0x") {
        py_int(h, 16)
    } else if v.starts_with('0') {
        py_int(v, 8)
    } else if v.contains(':') {
        let mut acc: i128 = 0;
        for part in v.split(':') {
            let d = py_int(part, 10).ok_or_else(bad)?;
            acc = acc
                .checked_mul(60)
                .and_then(|a| a.checked_add(d))
                .ok_or_else(bad)?;
        }
        Some(acc)
    } else {
        py_int(v, 10)
    };
    r.map(|x| sign * x).ok_or_else(bad)
}

/// Python `float(s)`.
fn py_float(s: &str) -> Option<f64> {
    let t = s.trim_matches(|c: char| c.is_ascii_whitespace());
    let lower = t.to_ascii_lowercase();
    let body = lower.trim_start_matches(['+', '-']);
    if matches!(body, "inf" | "infinity" | "nan")
        || body.starts_with(|c: char| c.is_ascii_digit() || c == '.')
    {
        return t.parse::<f64>().ok();
    }
    None
}

fn construct_float(raw: &str) -> std::result::Result<f64, String> {
    let bad = || format!("could not convert string to float: `{raw}`");
    let value = raw.replace('_', "").to_lowercase();
    let (sign, v) = match value.as_bytes().first() {
        Some(b'-') => (-1.0, &value[1..]),
        Some(b'+') => (1.0, &value[1..]),
        Some(_) => (1.0, &value[..]),
        None => return Err(bad()),
    };
    if v == ".inf" {
        Ok(sign * f64::INFINITY)
    } else if v == ".nan" {
        Ok(f64::NAN)
    } else if v.contains(':') {
        let mut acc = 0.0;
        for part in v.split(':') {
            acc = acc * 60.0 + py_float(part).ok_or_else(bad)?;
        }
        Ok(sign * acc)
    } else {
        Ok(sign * py_float(v).ok_or_else(bad)?)
    }
}

// ---------------------------------------------------------------------------
// Construction (SafeConstructor + AnsibleConstructor)
// ---------------------------------------------------------------------------

struct Constructor<'p> {
    path: &'p Path,
    budget: usize,
    duplicates: Vec<DuplicateKey>,
}

/// Python dict key identity: `1 == 1.0 == True`, strings by content.
#[derive(PartialEq, Eq, Hash)]
enum PyKey<'a> {
    None,
    Int(i128),
    Float(u64),
    Str(&'a str),
    Stamp(&'a str),
}

fn py_key(n: &Node) -> Option<PyKey<'_>> {
    Some(match &n.kind {
        NodeKind::Null => PyKey::None,
        NodeKind::Bool(b) => PyKey::Int(*b as i128),
        NodeKind::Int(i) => PyKey::Int(*i),
        NodeKind::Float(f) => {
            if f.fract() == 0.0 && f.abs() < 1e30 {
                PyKey::Int(*f as i128)
            } else {
                PyKey::Float(f.to_bits())
            }
        }
        NodeKind::Str(s) | NodeKind::Unsafe(s) | NodeKind::Vault(s) => PyKey::Str(s),
        NodeKind::Timestamp(s) => PyKey::Stamp(s),
        NodeKind::Seq(_) | NodeKind::Map(_) => return None,
    })
}

/// `id(key_node.value)` in PyYAML's merge de-duplication: the same node,
/// or — CPython caches them — the same empty or one-Latin-1-character string.
#[derive(PartialEq, Eq, Hash)]
enum KeyId {
    Ptr(usize),
    Char(String),
}

fn key_id(k: &Rc<Raw>) -> KeyId {
    if let RawKind::Scalar { value, .. } = &k.kind {
        let mut chars = value.chars();
        let single = match (chars.next(), chars.next()) {
            (None, _) => true,
            (Some(c), None) => (c as u32) < 256,
            _ => false,
        };
        if single {
            return KeyId::Char(value.clone());
        }
    }
    KeyId::Ptr(Rc::as_ptr(k) as usize)
}

impl Constructor<'_> {
    fn err(&self, line: u32, msg: impl Into<String>) -> InventoryError {
        InventoryError::parse(self.path, Some(line), msg)
    }

    /// The tag PyYAML's composer gives a node: explicit, or resolved. A
    /// non-specific `!` makes libyaml report the scalar as plain-implicit.
    fn tag_of<'r>(&self, raw: &'r Raw) -> &'r str {
        match (&raw.tag, &raw.kind) {
            (Some(t), _) if t != "!" => t,
            (tag, RawKind::Scalar { value, plain }) => {
                if *plain || tag.is_some() {
                    resolve_plain(value)
                } else {
                    T_STR
                }
            }
            (_, RawKind::Seq(_)) => T_SEQ,
            (_, RawKind::Map(_)) => T_MAP,
        }
    }

    fn construct(&mut self, raw: &Rc<Raw>, unsafe_: bool, depth: usize) -> Result<Node> {
        let tag = self.tag_of(raw);
        self.construct_tagged(raw, tag, unsafe_, depth)
    }

    fn scalar<'r>(&self, raw: &'r Raw, what: &str) -> Result<&'r str> {
        match &raw.kind {
            RawKind::Scalar { value, .. } => Ok(value),
            other => Err(self.err(
                raw.line,
                format!(
                    "while constructing {what}: expected a scalar node, but found {}",
                    kind_name(other)
                ),
            )),
        }
    }

    fn construct_tagged(
        &mut self,
        raw: &Rc<Raw>,
        tag: &str,
        unsafe_: bool,
        depth: usize,
    ) -> Result<Node> {
        if depth > MAX_DEPTH {
            return Err(self.err(raw.line, "document nested too deeply"));
        }
        if self.budget == 0 {
            return Err(self.err(raw.line, "document too large after alias expansion"));
        }
        self.budget -= 1;
        let (line, col) = (raw.line, raw.col);
        let mk = |kind| Node { line, col, kind };
        let kind = match tag {
            T_NULL => {
                self.scalar(raw, "a null")?;
                NodeKind::Null
            }
            T_BOOL => {
                let v = self.scalar(raw, "a bool")?;
                match v.to_lowercase().as_str() {
                    "yes" | "true" | "on" => NodeKind::Bool(true),
                    "no" | "false" | "off" => NodeKind::Bool(false),
                    _ => return Err(self.err(line, format!("invalid boolean `{v}`"))),
                }
            }
            T_INT => {
                let v = self.scalar(raw, "an int")?;
                NodeKind::Int(construct_int(v).map_err(|m| self.err(line, m))?)
            }
            T_FLOAT => {
                let v = self.scalar(raw, "a float")?;
                NodeKind::Float(construct_float(v).map_err(|m| self.err(line, m))?)
            }
            T_STR | "tag:yaml.org,2002:python/unicode" => {
                let v = self.scalar(raw, "a string")?.to_string();
                if unsafe_ {
                    NodeKind::Unsafe(v)
                } else {
                    NodeKind::Str(v)
                }
            }
            T_TIMESTAMP => {
                let v = self.scalar(raw, "a timestamp")?;
                let v = v.strip_suffix('\n').unwrap_or(v);
                NodeKind::Timestamp(construct_timestamp(v).map_err(|m| self.err(line, m))?)
            }
            "tag:yaml.org,2002:binary" => return Err(self.err(
                line,
                "`!!binary` values are not supported (ansible-inventory cannot serialize bytes)",
            )),
            T_SEQ => match &raw.kind {
                RawKind::Seq(items) => {
                    let mut out = Vec::with_capacity(items.len());
                    for it in items {
                        out.push(self.construct(it, unsafe_, depth + 1)?);
                    }
                    NodeKind::Seq(out)
                }
                other => {
                    return Err(self.err(
                        line,
                        format!("expected a sequence node, but found {}", kind_name(other)),
                    ))
                }
            },
            T_MAP | "tag:yaml.org,2002:python/dict" => {
                NodeKind::Map(self.construct_mapping(raw, unsafe_, depth)?)
            }
            "tag:yaml.org,2002:set" => {
                let entries = self.construct_mapping(raw, unsafe_, depth)?;
                NodeKind::Seq(entries.into_iter().map(|(k, _)| k).collect())
            }
            "tag:yaml.org,2002:omap" | "tag:yaml.org,2002:pairs" => {
                let items = match &raw.kind {
                    RawKind::Seq(items) => items,
                    other => {
                        return Err(self.err(
                            line,
                            format!(
                            "while constructing an ordered map: expected a sequence, but found {}",
                            kind_name(other)
                        ),
                        ))
                    }
                };
                let mut out = Vec::new();
                for it in items {
                    match &it.kind {
                        RawKind::Map(p) if p.len() == 1 => {
                            let k = self.construct(&p[0].0, unsafe_, depth + 1)?;
                            let v = self.construct(&p[0].1, unsafe_, depth + 1)?;
                            out.push(Node {
                                line: it.line,
                                col: it.col,
                                kind: NodeKind::Seq(vec![k, v]),
                            });
                        }
                        _ => {
                            return Err(self.err(
                                it.line,
                                "while constructing an ordered map: expected a mapping of length 1",
                            ))
                        }
                    }
                }
                NodeKind::Seq(out)
            }
            "!unsafe" => {
                let t = self.implicit_tag(raw);
                return self.construct_tagged(raw, t, true, depth);
            }
            "!vault" | "!vault-encrypted" => {
                let t = self.implicit_tag(raw);
                let n = self.construct_tagged(raw, t, unsafe_, depth)?;
                match n.kind {
                    NodeKind::Str(s) | NodeKind::Unsafe(s) => NodeKind::Vault(s),
                    _ => {
                        return Err(
                            self.err(line, format!("the '{tag}' tag requires a string value"))
                        )
                    }
                }
            }
            other => {
                return Err(self.err(
                    line,
                    format!("could not determine a constructor for the tag '{other}'"),
                ))
            }
        };
        Ok(mk(kind))
    }

    /// `resolve(type(node), node.value, (True, False))`, used by `!unsafe`
    /// and `!vault`: scalars are resolved as if plain.
    fn implicit_tag(&self, raw: &Raw) -> &'static str {
        match &raw.kind {
            RawKind::Scalar { value, .. } => resolve_plain(value),
            RawKind::Seq(_) => T_SEQ,
            RawKind::Map(_) => T_MAP,
        }
    }

    /// PyYAML's `flatten_mapping` (6.0.4): merged pairs first, then the rest.
    fn flatten(&self, raw: &Rc<Raw>, depth: usize) -> Result<Vec<(Rc<Raw>, Rc<Raw>)>> {
        if depth > MAX_DEPTH {
            return Err(self.err(raw.line, "merge keys nested too deeply"));
        }
        let pairs = match &raw.kind {
            RawKind::Map(p) => p,
            other => {
                return Err(self.err(
                    raw.line,
                    format!("expected a mapping node, but found {}", kind_name(other)),
                ))
            }
        };
        let mut merge: Vec<(Rc<Raw>, Rc<Raw>)> = Vec::new();
        let mut seen: std::collections::HashSet<KeyId> = std::collections::HashSet::new();
        let mut rest = Vec::with_capacity(pairs.len());
        for (k, v) in pairs {
            if self.tag_of(k) != T_MERGE {
                rest.push((k.clone(), v.clone()));
                continue;
            }
            let subs: Vec<&Rc<Raw>> = match &v.kind {
                RawKind::Map(_) => vec![v],
                RawKind::Seq(items) => {
                    for it in items {
                        if !matches!(it.kind, RawKind::Map(_)) {
                            return Err(self.err(
                                it.line,
                                format!(
                                    "while constructing a mapping: expected a mapping for merging, but found {}",
                                    kind_name(&it.kind)
                                ),
                            ));
                        }
                    }
                    items.iter().collect()
                }
                RawKind::Scalar { .. } => {
                    return Err(self.err(
                        v.line,
                        "while constructing a mapping: expected a mapping or list of mappings for merging, but found scalar",
                    ))
                }
            };
            for sub in subs {
                for pair in self.flatten(sub, depth + 1)? {
                    if seen.insert(key_id(&pair.0)) {
                        merge.push(pair);
                    }
                }
            }
        }
        merge.extend(rest);
        Ok(merge)
    }

    fn construct_mapping(
        &mut self,
        raw: &Rc<Raw>,
        unsafe_: bool,
        depth: usize,
    ) -> Result<Vec<(Node, Node)>> {
        let pairs = self.flatten(raw, depth)?;
        let mut out: Vec<(Node, Node)> = Vec::with_capacity(pairs.len());
        // Python dict semantics without cloning keys: small mappings are
        // scanned, larger ones indexed by the hash of the key's view.
        let mut index: HashMap<u64, usize> = HashMap::new();
        let mut collided: Vec<usize> = Vec::new();
        let hasher = std::collections::hash_map::RandomState::new();
        for (k, v) in &pairs {
            let key = if self.tag_of(k) == T_VALUE {
                self.construct_tagged(k, T_STR, unsafe_, depth + 1)?
            } else {
                self.construct(k, unsafe_, depth + 1)?
            };
            let pk = py_key(&key).ok_or_else(|| {
                self.err(k.line, "while constructing a mapping: found unhashable key")
            })?;
            let value = self.construct(v, unsafe_, depth + 1)?;
            let found = if out.len() < 12 {
                out.iter()
                    .position(|(ok, _)| py_key(ok).as_ref() == Some(&pk))
            } else {
                if index.is_empty() {
                    for (i, (ok, _)) in out.iter().enumerate() {
                        if let Some(okey) = py_key(ok) {
                            let h = hasher.hash_one(&okey);
                            if index.insert(h, i).is_some() {
                                collided.push(i);
                            }
                        }
                    }
                }
                let h = hasher.hash_one(&pk);
                match index.get(&h) {
                    Some(&i) if py_key(&out[i].0).as_ref() == Some(&pk) => Some(i),
                    Some(_) => collided
                        .iter()
                        .copied()
                        .find(|&i| py_key(&out[i].0).as_ref() == Some(&pk)),
                    None => None,
                }
            };
            match found {
                Some(i) => {
                    self.duplicates.push(DuplicateKey {
                        key: out[i].0.key_string(self.path).unwrap_or_default(),
                        first_line: out[i].0.line,
                        line: key.line,
                    });
                    out[i].0.line = key.line;
                    out[i].0.col = key.col;
                    out[i].1 = value;
                }
                None => {
                    if !index.is_empty() {
                        let h = hasher.hash_one(&pk);
                        if index.insert(h, out.len()).is_some() {
                            collided.push(out.len());
                        }
                    }
                    out.push((key, value));
                }
            }
        }
        Ok(out)
    }
}

fn kind_name(k: &RawKind) -> &'static str {
    match k {
        RawKind::Scalar { .. } => "scalar",
        RawKind::Seq(_) => "sequence",
        RawKind::Map(_) => "mapping",
    }
}

#[cfg(test)]
mod tests;

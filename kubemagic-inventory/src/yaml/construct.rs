//! The constructor: PyYAML's `SafeConstructor` plus Ansible's
//! `AnsibleConstructor` (`!unsafe`, `!vault`), turning the composer's raw
//! nodes into the typed [`Node`] tree with Python dict semantics for keys
//! and PyYAML 6's merge-key (`<<`) flattening.

use super::compose::{Raw, RawKind, MAX_DEPTH};
use super::node::{Node, NodeKind};
use super::resolver::{
    construct_float, construct_int, construct_timestamp, resolve_plain, T_BOOL, T_FLOAT, T_INT,
    T_MAP, T_MERGE, T_NULL, T_SEQ, T_STR, T_TIMESTAMP, T_VALUE,
};
use crate::error::{InventoryError, Result, Warning, WarningKind};
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::path::Path;
use std::rc::Rc;

/// A repeated mapping key: Ansible warns "Found duplicate mapping key"
/// and keeps the last value (its default `DUPLICATE_YAML_DICT_KEY=warn`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateKey {
    /// The key as Ansible's message shows it: Python's `repr()`.
    pub key: String,
    /// Line of the first definition.
    pub first_line: u32,
    /// Line of the definition that wins.
    pub line: u32,
    /// Column of the definition that wins.
    pub col: u32,
}

impl DuplicateKey {
    /// Ansible's warning, at the definition that wins.
    pub fn warning(&self, path: &Path) -> Warning {
        Warning::new(
            WarningKind::DuplicateKey,
            path,
            Some(self.line),
            Some(self.col),
            format!(
                "Found duplicate mapping key {}. Using last defined value only (the first is on line {}).",
                self.key, self.first_line
            ),
        )
    }
}

// ---------------------------------------------------------------------------
// Construction (SafeConstructor + AnsibleConstructor)
// ---------------------------------------------------------------------------

pub(super) struct Constructor<'p> {
    pub(super) path: &'p Path,
    pub(super) budget: usize,
    pub(super) duplicates: Vec<DuplicateKey>,
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

/// A key as Python's `repr()` shows it (Ansible's duplicate-key message).
fn key_repr(n: &Node) -> String {
    match &n.kind {
        NodeKind::Str(s) | NodeKind::Unsafe(s) | NodeKind::Vault(s) => {
            crate::pyrepr::py_str_repr(s)
        }
        NodeKind::Null => "None".into(),
        NodeKind::Bool(true) => "True".into(),
        NodeKind::Bool(false) => "False".into(),
        NodeKind::Int(i) => i.to_string(),
        NodeKind::Float(f) => crate::pyrepr::py_float_repr(*f, true, false),
        NodeKind::Timestamp(s) => s.clone(),
        NodeKind::Seq(_) | NodeKind::Map(_) => String::new(),
    }
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

    pub(super) fn construct(&mut self, raw: &Rc<Raw>, unsafe_: bool, depth: usize) -> Result<Node> {
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
            return Err(self.err(
                raw.line,
                format!("nested more than {MAX_DEPTH} levels deep (aliases expanded)"),
            ));
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
                        key: key_repr(&out[i].0),
                        first_line: out[i].0.line,
                        line: key.line,
                        col: key.col,
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

//! The node tree: a constructed document with the line and column of every
//! node, typed as Python types it after `AnsibleLoader`, and its conversion
//! to the [`Value`] ansible-inventory prints. Parsers that must report
//! positions (the YAML inventory plugin, the site's kubemagic.yml) walk this
//! tree; everything else takes the [`Value`].

use crate::error::{InventoryError, Result};
use crate::value::{nonfinite_value, nonstring_key, Map, Value};
use std::path::Path;
/// A node of a constructed document, with the 1-based line and column where
/// it starts (for keys: the line of the *last* definition of a duplicate
/// key, which is the one whose value wins).
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// 1-based line where the node starts.
    pub line: u32,
    /// 1-based column where the node starts.
    pub col: u32,
    /// The value.
    pub kind: NodeKind,
}

/// A constructed value, typed as Python would type it after `AnsibleLoader`.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    /// `None` (`~`, `null`, empty).
    Null,
    /// `True`/`False` (YAML 1.1: `yes`, `on`, ...).
    Bool(bool),
    /// Python int; wider than i64 so that out-of-range values can be reported.
    Int(i128),
    /// Python float (`1.5`, `.inf`).
    Float(f64),
    /// A trusted string.
    Str(String),
    /// A string built under `!unsafe` (not trusted as a template).
    Unsafe(String),
    /// `!vault` ciphertext.
    Vault(String),
    /// A `datetime.date`/`datetime.datetime`, already in `isoformat()`.
    Timestamp(String),
    /// A list.
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
                None => nonfinite_value(*f),
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
                    m.insert(k.value_key(file)?, v.to_value(file)?);
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
                        _ => k.value_key(file)?,
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

    /// A key of a mapping inside a value: strings as they are, other
    /// scalars typed (see [`NONSTRING_KEY_MARK`](crate::value::NONSTRING_KEY_MARK)),
    /// so that `--graph --vars` prints `0` where the file says `0` and
    /// `'0'` where it says `"0"`.
    pub fn value_key(&self, file: &Path) -> Result<String> {
        use crate::pyrepr::py_float_repr;
        Ok(match &self.kind {
            NodeKind::Str(s) | NodeKind::Unsafe(s) | NodeKind::Vault(s) => s.clone(),
            NodeKind::Null => nonstring_key("None"),
            NodeKind::Bool(true) => nonstring_key("True"),
            NodeKind::Bool(false) => nonstring_key("False"),
            NodeKind::Int(i) => nonstring_key(&i.to_string()),
            NodeKind::Float(f) => nonstring_key(&py_float_repr(*f, true, false)),
            _ => return self.key_string(file),
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
            NodeKind::Float(f) => crate::pyrepr::json_float_repr(*f),
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

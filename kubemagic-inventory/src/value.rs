//! Variable values and their origins.
//!
//! Values are an ordered JSON-like tree (`serde_json::Value` with
//! `preserve_order`): Ansible's own output is JSON, and key order must
//! survive merging. Each top-level variable keeps the [`Origin`] of the
//! definition that set it, so a check can point at the winning file and line;
//! the origin is dropped only when exporting to Ansible's JSON.

use indexmap::IndexMap;
use kubemagic_core::Origin;

/// A variable's value: JSON-shaped, as ansible-inventory prints it.
pub type Value = serde_json::Value;
/// An ordered mapping of a [`Value`] (insertion order kept, as Python's dict).
pub type Map = serde_json::Map<String, Value>;

/// A variable's value and where it was set.
#[derive(Debug, Clone, PartialEq)]
pub struct Var {
    /// The value that won under Ansible's precedence.
    pub value: Value,
    /// The file and line of the definition that set it (`None` for values
    /// Ansible makes up, such as a host list's port).
    pub origin: Option<Origin>,
}

/// Variables of one host or group, in definition order.
pub type Vars = IndexMap<String, Var>;

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

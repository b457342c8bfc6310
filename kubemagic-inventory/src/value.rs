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

/// Key of the one-entry object that holds a float JSON cannot (`.inf`,
/// `-.inf`, `.nan` in YAML): [`Value`] is `serde_json`'s, whose numbers are
/// finite, while Ansible keeps Python's float and prints `Infinity`/`NaN`
/// (JSON) or `inf`/`nan` (`--graph --vars`). The exports recognise this
/// object and print what Ansible prints; merges treat it as a scalar. Like
/// `__ansible_unsafe`, a mapping written by hand with this single key would
/// read the same; no real inventory has one.
pub const NONFINITE_KEY: &str = "__kubemagic_nonfinite_float";

/// A non-finite float as a [`Value`] (see [`NONFINITE_KEY`]).
pub fn nonfinite_value(f: f64) -> Value {
    let text = if f.is_nan() {
        "nan"
    } else if f > 0.0 {
        "inf"
    } else {
        "-inf"
    };
    let mut m = Map::new();
    m.insert(NONFINITE_KEY.to_string(), Value::String(text.to_string()));
    Value::Object(m)
}

/// The float a `.inf`/`.nan` value holds (the one-key object whose key is `__kubemagic_nonfinite_float`).
pub fn as_nonfinite(v: &Value) -> Option<f64> {
    match v {
        Value::Object(m) if m.len() == 1 => match m.get(NONFINITE_KEY)?.as_str()? {
            "nan" => Some(f64::NAN),
            "inf" => Some(f64::INFINITY),
            "-inf" => Some(f64::NEG_INFINITY),
            _ => None,
        },
        _ => None,
    }
}

/// First character of a mapping key that was not a string in Python
/// (`0`, `true`, `~`, `1.5` as YAML keys; `{0: 1}` in an INI value).
/// [`Value`]'s keys are strings, while Ansible keeps Python's typed keys:
/// `--graph --vars` prints them by `repr()` (`{0: 2, True: 3}`) and the
/// JSON outputs by `json.dumps` (`"0"`, `"true"`), so `'0'` and `0` are
/// two keys of one mapping until JSON folds them. Such a key is stored as
/// this mark followed by the Python `repr()` of the key; [`map_key`] reads
/// it back and [`json_keys`] writes the plain JSON every document-shaped
/// output gives. A NUL cannot start a key of any real inventory's text.
pub const NONSTRING_KEY_MARK: char = '\u{0}';

/// A non-string mapping key (its Python `repr()`) as a [`Value`] key.
pub(crate) fn nonstring_key(repr: &str) -> String {
    let mut k = String::with_capacity(repr.len() + 1);
    k.push(NONSTRING_KEY_MARK);
    k.push_str(repr);
    k
}

/// A mapping key of a [`Value`], as Python held it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapKey<'a> {
    /// A string key (nearly every key).
    Str(&'a str),
    /// `None`, a bool, an int or a float, by its Python `repr()`.
    Other(&'a str),
}

impl<'a> MapKey<'a> {
    /// The key as `json.dumps` writes it (what `--list` and `--host`
    /// print): `None` → `null`, `True` → `true`, `inf` → `Infinity`.
    pub fn json(self) -> &'a str {
        match self {
            MapKey::Str(s) => s,
            MapKey::Other(r) => match r {
                "None" => "null",
                "True" => "true",
                "False" => "false",
                "inf" => "Infinity",
                "-inf" => "-Infinity",
                "nan" => "NaN",
                other => other,
            },
        }
    }
}

/// Reads a [`Value`] key (see [`NONSTRING_KEY_MARK`]).
pub fn map_key(k: &str) -> MapKey<'_> {
    match k.strip_prefix(NONSTRING_KEY_MARK) {
        Some(repr) => MapKey::Other(repr),
        None => MapKey::Str(k),
    }
}

/// Writes every non-string key of `v` as JSON writes it, in place: the
/// later of two keys that JSON folds into one wins, at the place of the
/// first (Python's dict update in Ansible's `inventory_legacy` profile).
/// What the `--list`, `--host` and graph documents give scripts and Python.
/// Values without such keys (nearly all) are walked, not rebuilt.
pub fn json_keys(v: &mut Value) {
    match v {
        Value::Object(m) => {
            if m.keys().any(|k| k.starts_with(NONSTRING_KEY_MARK)) {
                let old = std::mem::take(m);
                for (k, v) in old {
                    let key = map_key(&k).json().to_string();
                    m.insert(key, v);
                }
            }
            for v in m.values_mut() {
                json_keys(v);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(json_keys),
        _ => {}
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

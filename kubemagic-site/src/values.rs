//! The value readers every part of the site crate shares. They read
//! `!unsafe` strings as strings (through the engine's `value_str`), so no
//! check and no site helper can miss such a value again: a leaf module, so
//! the site model and the checks both use it without importing each other.

use kubemagic_inventory::Value;

/// A scalar as text (strings unquoted), for messages and comparisons.
pub fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        // Strings, `!unsafe` ones included.
        _ => kubemagic_inventory::value_str(v).map(str::to_string),
    }
}

/// True when the value is an unrendered Jinja template: kubemagic does not
/// evaluate templates, so checks skip such values rather than guess.
pub fn is_template(v: &Value) -> bool {
    kubemagic_inventory::value_str(v).is_some_and(|s| s.contains("{{") || s.contains("{%"))
}

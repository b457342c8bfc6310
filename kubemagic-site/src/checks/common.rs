//! The helpers every check family shares: building findings with the
//! registry's severity, reporting a definition once, reading lists. Below
//! the families, above the registry, so every import in `checks` runs down.

use super::registry::check_info;
use kubemagic_core::{Finding, Severity};
use kubemagic_inventory::{Value, Var};

pub(crate) use crate::values::{is_template, scalar};

/// Builds a finding for `code` (severity from the registry) at the origin of `var`.
pub(crate) fn finding(code: &str, message: impl Into<String>) -> Finding {
    let severity = check_info(code)
        .map(|c| c.severity)
        .unwrap_or(Severity::Error);
    Finding::new(code, severity, message)
}

pub(crate) fn at_var(f: Finding, name: &str, var: &Var) -> Finding {
    f.variable(name).at(var.origin.as_ref())
}

/// Remembers which (definition, key) pairs were already reported: hosts
/// inherit the same definition, and its finding belongs to it once, not
/// once per host. Hashed, so a 5,000-host site stays linear.
/// The origin is cloned only the first time: most calls (every host
/// inheriting a group_vars definition) are lookups.
#[derive(Default)]
pub(crate) struct Once<'a>(
    std::collections::HashMap<&'a str, std::collections::HashSet<Option<kubemagic_core::Origin>>>,
);

impl<'a> Once<'a> {
    /// True the first time this definition is seen with this key.
    pub(crate) fn first(&mut self, origin: &Option<kubemagic_core::Origin>, key: &'a str) -> bool {
        let seen = self.0.entry(key).or_default();
        if seen.contains(origin) {
            return false;
        }
        seen.insert(origin.clone());
        true
    }
}

/// Parses a YAML/INI value that may be a list, or a string holding a list
/// (comma-separated or JSON), into strings.
pub(crate) fn string_list(v: &Value) -> Vec<String> {
    match v {
        Value::Array(a) => a.iter().filter_map(scalar).collect(),
        Value::String(s) => {
            let t = s.trim();
            if t.starts_with('[') {
                if let Ok(Value::Array(a)) = serde_json::from_str::<Value>(t) {
                    return a.iter().filter_map(scalar).collect();
                }
            }
            t.split(',')
                .map(|p| p.trim().to_string())
                .filter(|p| !p.is_empty())
                .collect()
        }
        other => scalar(other).into_iter().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_list_reads_lists_and_comma_strings() {
        assert_eq!(
            string_list(&serde_json::json!("a:1, b:2")),
            vec!["a:1", "b:2"]
        );
        assert_eq!(string_list(&serde_json::json!(["x", 3])), vec!["x", "3"]);
    }
}

//! Python's `repr()`/`str()` and `json.dumps` spellings of the values
//! Ansible holds, in one place: the graph export prints them, and the
//! parsers quote names in their messages the way Ansible's own messages do.
//! A leaf module (it knows only [`Value`]) so that parsers and exports can
//! both use it without importing each other.

use crate::value::{as_nonfinite, map_key, MapKey, Value};

/// Python's `repr(float)` (`add_dot_0`) or the `'r'` format without the
/// `.0`, as `complex.__repr__` uses; `sign` forces a leading `+`.
pub fn py_float_repr(f: f64, add_dot_0: bool, sign: bool) -> String {
    let lead = if f.is_sign_negative() && !f.is_nan() {
        "-"
    } else if sign {
        "+"
    } else {
        ""
    };
    if f.is_nan() {
        return format!("{lead}nan");
    }
    if f.is_infinite() {
        return format!("{lead}inf");
    }
    let e = format!("{:e}", f.abs());
    let (mant, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    let decpt = exp + 1;
    let body = if decpt <= -4 || decpt > 16 {
        let (first, rest) = digits.split_at(1);
        let m = if rest.is_empty() {
            first.to_string()
        } else {
            format!("{first}.{rest}")
        };
        let x = decpt - 1;
        format!("{m}e{}{:02}", if x < 0 { '-' } else { '+' }, x.abs())
    } else if decpt <= 0 {
        format!("0.{}{digits}", "0".repeat((-decpt) as usize))
    } else if decpt as usize >= digits.len() {
        let zeros = "0".repeat(decpt as usize - digits.len());
        format!("{digits}{zeros}{}", if add_dot_0 { ".0" } else { "" })
    } else {
        let (a, b) = digits.split_at(decpt as usize);
        format!("{a}.{b}")
    };
    format!("{lead}{body}")
}

/// A float as Python's `json.dumps` writes it: `repr(float)` for finite
/// values (one implementation, in [`py_float_repr`]) and
/// JSON's `NaN`/`Infinity` spellings otherwise.
pub fn json_float_repr(f: f64) -> String {
    if f.is_nan() {
        "NaN".into()
    } else if f.is_infinite() {
        if f > 0.0 { "Infinity" } else { "-Infinity" }.into()
    } else {
        py_float_repr(f, true, false)
    }
}

/// Python's `str(value)` as `_show_vars` formats `{name = value}`.
pub fn py_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => py_repr(other),
    }
}

/// Python's `repr()` of the value Ansible holds.
pub fn py_repr(v: &Value) -> String {
    match v {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.to_string()
            } else if let Some(u) = n.as_u64() {
                u.to_string()
            } else {
                // serde_json numbers are finite: Python's repr(float) applies.
                py_float_repr(n.as_f64().unwrap_or(0.0), true, false)
            }
        }
        Value::String(s) => py_str_repr(s),
        Value::Array(a) => {
            let parts: Vec<String> = a.iter().map(py_repr).collect();
            format!("[{}]", parts.join(", "))
        }
        Value::Object(_) if as_nonfinite(v).is_some() => {
            py_float_repr(as_nonfinite(v).unwrap_or(f64::NAN), true, false)
        }
        Value::Object(m) => {
            let parts: Vec<String> = m
                .iter()
                .map(|(k, v)| {
                    let key = match map_key(k) {
                        MapKey::Str(s) => py_str_repr(s),
                        MapKey::Other(repr) => repr.to_string(),
                    };
                    format!("{key}: {}", py_repr(v))
                })
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
    }
}

/// `repr(str)`: single quotes unless the text has `'` and no `"`.
pub fn py_str_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if (0x80..0xa0).contains(&(c as u32)) => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

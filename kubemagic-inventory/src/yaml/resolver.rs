//! PyYAML's YAML 1.1 `Resolver`: which tag a plain scalar gets (`yes` is a
//! bool, `0755` an octal int, `1:30` a sexagesimal int), and the reading of
//! a scalar of each implicit type (ints, floats, timestamps in Python's
//! `isoformat()`). Pure string functions, no tree.

// ---------------------------------------------------------------------------
// Resolver (PyYAML `Resolver`, YAML 1.1 implicit types)
// ---------------------------------------------------------------------------

pub(super) const T_NULL: &str = "tag:yaml.org,2002:null";
pub(super) const T_BOOL: &str = "tag:yaml.org,2002:bool";
pub(super) const T_INT: &str = "tag:yaml.org,2002:int";
pub(super) const T_FLOAT: &str = "tag:yaml.org,2002:float";
pub(super) const T_STR: &str = "tag:yaml.org,2002:str";
pub(super) const T_TIMESTAMP: &str = "tag:yaml.org,2002:timestamp";
pub(super) const T_MERGE: &str = "tag:yaml.org,2002:merge";
pub(super) const T_VALUE: &str = "tag:yaml.org,2002:value";
pub(super) const T_SEQ: &str = "tag:yaml.org,2002:seq";
pub(super) const T_MAP: &str = "tag:yaml.org,2002:map";

/// `Resolver.resolve(ScalarNode, value, (True, _))`. Python's `re.match`
/// with `$` also matches before one trailing newline, which only matters
/// for re-resolved quoted or block scalars (`!unsafe |`).
pub(super) fn resolve_plain(value: &str) -> &'static str {
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
pub(super) fn construct_timestamp(v: &str) -> std::result::Result<String, String> {
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

pub(super) fn construct_int(raw: &str) -> std::result::Result<i128, String> {
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

pub(super) fn construct_float(raw: &str) -> std::result::Result<f64, String> {
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

//! Host patterns as inventory files write them: `node[01:10]:2222`,
//! `db-[a:f]`, `[::1]:22`, `web[0:10:2].example.com`.
//!
//! A port of ansible-core 2.19's `_BaseInventoryPlugin._expand_hostpattern`
//! (`plugins/inventory/__init__.py`), which calls `parse_address`
//! (`parsing/utils/addresses.py`) to split off a port and then
//! `detect_range`/`expand_hostname_range` (also in
//! `plugins/inventory/__init__.py` in 2.19) to expand `[x:y(:z)]` ranges.
//! Both the INI and the YAML parser call [`expand_host_pattern`].
//!
//! The address regexes are translated one to one into the `regex` crate
//! (Python's `\w` is spelled `[\p{L}\p{N}_]`, its `$` is `\n?\z`, and the
//! hostname label's look-behind is rewritten as an equivalent alternation,
//! which the crate cannot express directly). The range expansion is
//! hand-written because it is a few lines of string slicing whose quirks
//! (e.g. `string.ascii_letters.index` accepting a substring such as `ab`)
//! must be kept.
//!
//! Deliberately stricter than Ansible (each is an error here, where Ansible
//! silently produces no host, a port it later cannot use, or runs out of
//! memory):
//! - a reversed letter range (`[c:a]`, an error in Ansible too) and a step
//!   below 1 (`[1:5:0]`, `[1:5:-1]`);
//! - a port above 65535;
//! - more than [`MAX_EXPANDED_HOSTS`] hosts from one pattern;
//! - a range bound written with non-ASCII digits (Python's `int()` accepts
//!   e.g. Arabic-Indic digits; we refuse them rather than guess).

use regex::Regex;
use std::sync::LazyLock;

/// Upper bound on the hosts one pattern may expand to: 100,000 is twice the
/// biggest inventory the benchmark reads, and about 140 MB of hosts; a
/// typo such as `h[0:999999]` is then a clear error instead of gigabytes
/// (Ansible takes 1.9 GB on `h[0:99999999]`).
pub const MAX_EXPANDED_HOSTS: usize = 100_000;

/// Python's `\w` for `str` patterns: letters, numbers and `_`.
const W: &str = r"[\p{L}\p{N}_]";
/// Python's `\w` without `_` (a label may not end with `_` or `-`).
const W_NO_UNDERSCORE: &str = r"[\p{L}\p{N}]";

/// `alphanumeric_range` of addresses.py.
const ALNUM_RANGE: &str = r"\[(?:[a-z]:[a-z]|[0-9]+:[0-9]+)(?::[0-9]+)?\]";
/// `hexadecimal_range` of addresses.py.
const HEX_RANGE: &str = r"\[(?:[0-9a-f]+:[0-9a-f]+)(?::[0-9]+)?\]";

static BRACKETED_HOSTPORT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\A\[(.+)\]:([0-9]+)\n?\z").expect("static regex")); // ok: constant pattern, not input

static HOSTPORT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\A((?:[^:\[\]]|\[[^\]]*\])*):([0-9]+)\n?\z").expect("static regex")
    // ok: constant pattern, not input
});

static IPV6: LazyLock<Regex> = LazyLock::new(|| {
    let c = format!("(?:[0-9a-f]{{1,4}}|{HEX_RANGE})");
    let alts = [
        format!("(?:{c}:){{7}}{c}"),
        format!("(?:{c}:){{1,6}}:"),
        format!("(?:{c}:)(?::{c}){{1,6}}"),
        format!("(?:{c}:){{2}}(?::{c}){{1,5}}"),
        format!("(?:{c}:){{3}}(?::{c}){{1,4}}"),
        format!("(?:{c}:){{4}}(?::{c}){{1,3}}"),
        format!("(?:{c}:){{5}}(?::{c}){{1,2}}"),
        format!("(?:{c}:){{6}}(?::{c})"),
        format!(":(?::{c}){{1,6}}"),
        format!("{c}?::"),
        format!("(?:0:){{6}}(?:{c}\\.){{3}}{c}"),
        format!("::(?:ffff:)?(?:{c}\\.){{3}}{c}"),
        format!("(?:0:){{5}}ffff:(?:{c}\\.){{3}}{c}"),
    ];
    Regex::new(&format!(r"(?i)\A(?:{})\n?\z", alts.join("|"))).expect("static regex")
    // ok: constant pattern, not input
});

static HOSTNAME: LazyLock<Regex> = LazyLock::new(|| {
    // label = (?:\w|R)(?:[\w_-]|R)*(?<![_-]), rewritten without look-behind:
    // one unit that is not `_`, or several whose last is not `_`/`-`.
    let r = ALNUM_RANGE;
    let unit_first = format!("(?:{W}|{r})");
    let unit_mid = format!(r"(?:[\p{{L}}\p{{N}}_-]|{r})");
    let unit_last = format!("(?:{W_NO_UNDERSCORE}|{r})");
    let label = format!("(?:{unit_last}|{unit_first}{unit_mid}*{unit_last})");
    Regex::new(&format!(r"(?i)\A{label}(?:\.{label})*\n?\z")).expect("static regex")
    // ok: constant pattern, not input
});

/// `parse_address(address, allow_ranges=True)`: the host part and the port,
/// or `None` when the address is not a recognisable host (the caller then
/// keeps the whole pattern as the host name, as Ansible does).
fn parse_address(address: &str) -> Option<(String, Option<String>)> {
    let mut address = address.to_string();
    let mut port = None;
    // Ansible tries both port forms in turn (a `continue`, not a `break`),
    // so `[h:1]:2` ends with host `h` and port `1`.
    for re in [&*BRACKETED_HOSTPORT, &*HOSTPORT] {
        if let Some(c) = re.captures(&address) {
            let host = c.get(1).map_or("", |m| m.as_str()).to_string();
            port = Some(c.get(2).map_or("", |m| m.as_str()).to_string());
            address = host;
        }
    }
    // An IPv4 address (with ranges) is always also a valid hostname, so the
    // `ipv4` pattern needs no separate test.
    if IPV6.is_match(&address) || HOSTNAME.is_match(&address) {
        Some((address, port))
    } else {
        None
    }
}

/// Expands one host pattern into host names and an optional port.
///
/// The port is `Some` only when it is non-zero: Ansible's `Host()` sets
/// `ansible_port` only for a truthy port, so `host:0` behaves as no port.
/// Errors are plain messages; the caller adds file and line. An empty
/// list means a reversed numeric range (`h[3:1]`), which Ansible silently
/// expands to no host: the caller warns (see [`reversed_range_warning`]).
pub fn expand_host_pattern(pattern: &str) -> Result<(Vec<String>, Option<u16>), String> {
    // Without a `:` neither port form can match, and whether or not the
    // address parses, Ansible then keeps the pattern as it is.
    let (host, port) = if !pattern.contains(':') {
        (pattern.to_string(), None)
    } else {
        match parse_address(pattern) {
            Some((h, p)) => (h, p),
            None => (pattern.to_string(), None),
        }
    };
    let port = match port {
        None => None,
        Some(digits) => {
            let trimmed = digits.trim_start_matches('0');
            let value = if trimmed.is_empty() {
                Some(0)
            } else if trimmed.len() > 5 {
                None
            } else {
                trimmed.parse::<u32>().ok().filter(|&p| p <= 65535)
            };
            match value {
                Some(0) => None,
                Some(p) => Some(p as u16),
                None => {
                    return Err(format!(
                        "port {digits} in host pattern '{pattern}' is out of range (0-65535)"
                    ))
                }
            }
        }
    };
    let hosts = if host.contains('[') {
        expand_hostname_range(&host)?
    } else {
        vec![host]
    };
    Ok((hosts, port))
}

/// The warning for a pattern that expanded to no host.
pub fn reversed_range_warning(pattern: &str) -> String {
    format!("host range in '{pattern}' is reversed (begin > end): Ansible expands it to no host")
}

/// Python's `string.ascii_letters`.
const ASCII_LETTERS: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// One expanded range: either numbers (with an optional zero-fill width)
/// or letters.
enum Seq {
    Numbers {
        start: i128,
        step: i128,
        count: usize,
        width: Option<usize>,
    },
    Letters(Vec<char>),
}

impl Seq {
    fn len(&self) -> usize {
        match self {
            Seq::Numbers { count, .. } => *count,
            Seq::Letters(l) => l.len(),
        }
    }
    fn item(&self, i: usize) -> String {
        match self {
            Seq::Numbers {
                start, step, width, ..
            } => {
                let n = start + step * i as i128;
                match width {
                    Some(w) => zfill(&n.to_string(), *w),
                    None => n.to_string(),
                }
            }
            Seq::Letters(l) => l[i].to_string(),
        }
    }
}

/// Python's `str.zfill`.
fn zfill(s: &str, width: usize) -> String {
    let len = s.chars().count();
    if len >= width {
        return s.to_string();
    }
    let pad = "0".repeat(width - len);
    match s.strip_prefix(['-', '+']) {
        Some(rest) => format!("{}{pad}{rest}", &s[..1]),
        None => format!("{pad}{s}"),
    }
}

/// Python's `int(str)` for range bounds: surrounding whitespace, a sign,
/// ASCII digits with single `_` between them.
fn py_int(s: &str) -> Option<i128> {
    let s = s.trim_matches(crate::text::is_py_space);
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
    {
        return None;
    }
    let mut v: i128 = 0;
    for c in digits.chars() {
        if c == '_' {
            continue;
        }
        let d = c.to_digit(10).filter(|_| c.is_ascii_digit())?;
        v = v.checked_mul(10)?.checked_add(d as i128)?;
        // Keeps all range arithmetic (`end - begin`, `step * i`) far from
        // i128 overflow; no host range needs more.
        if v > i64::MAX as i128 {
            return None;
        }
    }
    Some(if neg { -v } else { v })
}

/// The range part between the first `[` and the first `]`, expanded.
fn parse_range(line: &str) -> Result<(String, Seq, String), String> {
    let replaced = line.replacen('[', "|", 1).replacen(']', "|", 1);
    let parts: Vec<&str> = replaced.split('|').collect();
    let [head, nrange, tail] = parts[..] else {
        return Err(format!("invalid host range in '{line}'"));
    };
    let bounds: Vec<&str> = nrange.split(':').collect();
    if bounds.len() != 2 && bounds.len() != 3 {
        return Err("host range must be begin:end or begin:end:step".into());
    }
    let beg = if bounds[0].is_empty() { "0" } else { bounds[0] };
    let end = bounds[1];
    let step = bounds.get(2).copied();
    if end.is_empty() {
        return Err("host range must specify end value".into());
    }
    let width = if beg.starts_with('0') && beg.chars().count() > 1 {
        let rlen = beg.chars().count();
        if rlen != end.chars().count() {
            return Err("host range must specify equal-length begin and end formats".into());
        }
        Some(rlen)
    } else {
        None
    };
    let step_value = match step {
        None => Some(1),
        Some(s) => py_int(s),
    };
    if let (Some(i_beg), Some(i_end)) = (ASCII_LETTERS.find(beg), ASCII_LETTERS.find(end)) {
        if i_beg > i_end {
            return Err("host range must have begin <= end".into());
        }
        // Python falls back to int(beg) on a bad step, which fails for letters.
        let step = step_value.ok_or_else(|| format!("invalid range step in '{nrange}'"))?;
        if step < 1 {
            return Err(format!("host range step must be at least 1, got {step}"));
        }
        let letters: Vec<char> = ASCII_LETTERS[i_beg..=i_end]
            .chars()
            .step_by(usize::try_from(step).unwrap_or(usize::MAX))
            .collect();
        return Ok((head.to_string(), Seq::Letters(letters), tail.to_string()));
    }
    let (Some(b), Some(e)) = (py_int(beg), py_int(end)) else {
        return Err(format!(
            "invalid host range [{nrange}]: bounds must be integers or letters"
        ));
    };
    let step = step_value.ok_or_else(|| format!("invalid range step in [{nrange}]"))?;
    if step < 1 {
        return Err(format!("host range step must be at least 1, got {step}"));
    }
    // Reversed (`[3:1]`): Python's `range` is empty, so Ansible adds no host;
    // so do we, and the callers warn (an empty expansion means exactly this).
    let count = if b > e { 0 } else { (e - b) / step + 1 };
    let count = usize::try_from(count)
        .ok()
        .filter(|&c| c <= MAX_EXPANDED_HOSTS)
        .ok_or_else(|| {
            format!("host range [{nrange}] expands to more than {MAX_EXPANDED_HOSTS} hosts")
        })?;
    Ok((
        head.to_string(),
        Seq::Numbers {
            start: b,
            step,
            count,
            width,
        },
        tail.to_string(),
    ))
}

/// `expand_hostname_range`: expands the first range, then the rest of each
/// result, depth-first. Done level by level here (no recursion, so no stack
/// limit): siblings share head and tail, so the order is the same.
fn expand_hostname_range(line: &str) -> Result<Vec<String>, String> {
    let mut current = vec![line.to_string()];
    while current.iter().any(|h| h.contains('[')) {
        let mut next = Vec::new();
        for h in &current {
            if !h.contains('[') {
                next.push(h.clone());
                continue;
            }
            let (head, seq, tail) = parse_range(h)?;
            if next
                .len()
                .saturating_add(seq.len().saturating_mul(current.len()))
                > MAX_EXPANDED_HOSTS
            {
                return Err(format!(
                    "host pattern '{line}' expands to more than {MAX_EXPANDED_HOSTS} hosts"
                ));
            }
            for i in 0..seq.len() {
                next.push(format!("{head}{}{tail}", seq.item(i)));
            }
        }
        current = next;
    }
    Ok(current)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(p: &str) -> Vec<String> {
        expand_host_pattern(p).unwrap().0
    }

    #[test]
    fn plain_host_has_no_port() {
        assert_eq!(
            expand_host_pattern("web1").unwrap(),
            (vec!["web1".into()], None)
        );
    }

    #[test]
    fn host_port_is_split() {
        assert_eq!(
            expand_host_pattern("web1.example.com:2222").unwrap(),
            (vec!["web1.example.com".into()], Some(2222))
        );
    }

    #[test]
    fn zero_padded_numeric_range_keeps_width() {
        assert_eq!(hosts("node[01:03]"), ["node01", "node02", "node03"]);
        assert_eq!(hosts("n[8:10]"), ["n8", "n9", "n10"]);
    }

    #[test]
    fn step_and_letters_and_nested_ranges() {
        assert_eq!(hosts("n[0:10:5]"), ["n0", "n5", "n10"]);
        assert_eq!(hosts("db-[a:c]"), ["db-a", "db-b", "db-c"]);
        assert_eq!(hosts("r[1:2]c[a:b]"), ["r1ca", "r1cb", "r2ca", "r2cb"]);
        assert_eq!(hosts("x[y:B]"), ["xy", "xz", "xA", "xB"]);
        // ascii_letters.index() finds substrings, so `ab` is a valid bound
        assert_eq!(hosts("x[ab:c]"), ["xa", "xb", "xc"]);
        assert_eq!(hosts("x[:2]"), ["x0", "x1", "x2"]);
    }

    #[test]
    fn range_with_port() {
        assert_eq!(
            expand_host_pattern("h[1:2]:22").unwrap(),
            (vec!["h1".into(), "h2".into()], Some(22))
        );
        assert_eq!(
            expand_host_pattern("10.0.0.[1:2]:22").unwrap(),
            (vec!["10.0.0.1".into(), "10.0.0.2".into()], Some(22))
        );
    }

    #[test]
    fn bracketed_ipv6_with_port() {
        assert_eq!(
            expand_host_pattern("[::1]:22").unwrap(),
            (vec!["::1".into()], Some(22))
        );
        assert_eq!(
            expand_host_pattern("[fe80::1]:2222").unwrap(),
            (vec!["fe80::1".into()], Some(2222))
        );
    }

    #[test]
    fn bare_ipv6_is_one_host_without_port() {
        assert_eq!(
            expand_host_pattern("fe80::1").unwrap(),
            (vec!["fe80::1".into()], None)
        );
        assert_eq!(
            expand_host_pattern("::1").unwrap(),
            (vec!["::1".into()], None)
        );
    }

    #[test]
    fn unparseable_address_is_kept_whole() {
        assert_eq!(
            expand_host_pattern("user@host:22").unwrap(),
            (vec!["user@host:22".into()], None)
        );
        assert_eq!(
            expand_host_pattern("h_:22").unwrap(),
            (vec!["h_:22".into()], None)
        );
    }

    #[test]
    fn port_zero_is_no_port() {
        assert_eq!(
            expand_host_pattern("h:0").unwrap(),
            (vec!["h".into()], None)
        );
    }

    #[test]
    fn port_above_65535_is_an_error() {
        assert!(expand_host_pattern("h:65536").is_err());
        assert_eq!(expand_host_pattern("h:0065535").unwrap().1, Some(65535));
    }

    #[test]
    fn reversed_numeric_range_is_empty_and_letters_an_error() {
        assert_eq!(
            expand_host_pattern("node[3:1]").unwrap().0,
            Vec::<String>::new()
        );
        assert_eq!(
            expand_host_pattern("n[1:2]x[3:1]").unwrap().0,
            Vec::<String>::new()
        );
        assert!(expand_host_pattern("node[c:a]").is_err());
        assert!(expand_host_pattern("node[1:3:0]").is_err());
        assert!(expand_host_pattern("node[1:3:-1]").is_err());
    }

    #[test]
    fn malformed_ranges_are_errors() {
        for p in [
            "n[1:]",
            "n[1]",
            "n[1:2:3:4]",
            "n[01:100]",
            "n[1:2",
            "n[a:5]",
            "n|[1:2]",
        ] {
            assert!(expand_host_pattern(p).is_err(), "{p}");
        }
    }

    #[test]
    fn bounds_beyond_64_bits_are_errors_not_overflows() {
        assert!(expand_host_pattern("n[0:9223372036854775807:4611686018427387904]").is_ok());
        assert!(expand_host_pattern(
            "n[0:170141183460469231731687303715884105727:85070591730234615865843651857942052864]"
        )
        .is_err());
        assert!(expand_host_pattern(
            "n[-9223372036854775807:9223372036854775807:9223372036854775807]"
        )
        .is_ok());
    }

    mod prop {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2000))]
            #[test]
            fn arbitrary_patterns_never_panic(s in "\\PC{0,60}") {
                let _ = expand_host_pattern(&s);
            }

            #[test]
            fn range_shaped_patterns_never_panic(
                s in "[a-z0-9.:_-]{0,4}(\\[[-+0-9a-zA-Z_ ]{0,22}:[-+0-9a-zA-Z_ ]{0,22}(:[-+0-9_]{0,22})?\\][a-z0-9.:\\[\\]-]{0,6}){1,3}"
            ) {
                if let Ok((hosts, _)) = expand_host_pattern(&s) {
                    prop_assert!(hosts.len() <= MAX_EXPANDED_HOSTS);
                    prop_assert!(!hosts.is_empty());
                }
            }
        }
    }

    #[test]
    fn huge_expansion_is_refused_not_allocated() {
        assert!(expand_host_pattern("n[0:99999999999999]").is_err());
        assert!(expand_host_pattern("n[0:9999]m[0:9999]").is_err());
    }
}

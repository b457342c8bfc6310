//! Host patterns and host addresses, ported from ansible-core's
//! `inventory/manager.py` (`split_host_pattern`, `order_patterns`,
//! `_evaluate_patterns`, `_match_one_pattern`, `_split_subscript`,
//! `_apply_subscript`, `_enumerate_matches`), `inventory/group.py`
//! (`get_hosts` order) and `parsing/utils/addresses.py` (`parse_address`).
//!
//! Regular expressions go through `fancy-regex`: Ansible's own address
//! patterns use a look-behind, and `~regex` host patterns are Python
//! regexes, whose look-arounds and back-references the `regex` crate
//! refuses.

use crate::data::{GroupId, HostId, InventoryData};
use crate::error::{InventoryError, Result};
use fancy_regex::Regex;
use std::collections::HashSet;
use std::sync::OnceLock;

const NUMERIC_RANGE: &str = r"\[(?:[0-9]+:[0-9]+)(?::[0-9]+)?\]";
const HEX_RANGE: &str = r"\[(?:[0-9a-f]+:[0-9a-f]+)(?::[0-9]+)?\]";
const ALNUM_RANGE: &str = r"\[(?:[a-z]:[a-z]|[0-9]+:[0-9]+)(?::[0-9]+)?\]";

struct AddressPatterns {
    bracketed_hostport: Regex,
    hostport: Regex,
    ipv4: Regex,
    ipv6: Regex,
    hostname: Regex,
}

fn address_patterns() -> &'static AddressPatterns {
    static P: OnceLock<AddressPatterns> = OnceLock::new();
    P.get_or_init(|| {
        let i6 = format!(r"(?:[0-9a-f]{{1,4}}|{HEX_RANGE})");
        let i4 = format!(r"(?:[01]?[0-9]{{1,2}}|2[0-4][0-9]|25[0-5]|{NUMERIC_RANGE})");
        let label = format!(r"(?:[\w]|{ALNUM_RANGE})(?:[\w_-]|{ALNUM_RANGE})*(?<![_-])");
        let ipv6 = format!(
            r"^((?:{0}:){{7}}{0}|(?:{0}:){{1,6}}:|(?:{0}:)(?::{0}){{1,6}}|(?:{0}:){{2}}(?::{0}){{1,5}}|(?:{0}:){{3}}(?::{0}){{1,4}}|(?:{0}:){{4}}(?::{0}){{1,3}}|(?:{0}:){{5}}(?::{0}){{1,2}}|(?:{0}:){{6}}(?::{0})|:(?::{0}){{1,6}}|{0}?::|(?:0:){{6}}(?:{0}\.){{3}}{0}|::(?:ffff:)?(?:{0}\.){{3}}{0}|(?:0:){{5}}ffff:(?:{0}\.){{3}}{0})$",
            i6
        );
        // These are constant, known-good expressions: failing to compile
        // them is a programming error caught by the unit tests.
        let re = |s: &str| Regex::new(s).expect("constant address pattern"); // ok: constant pattern, not input
        AddressPatterns {
            bracketed_hostport: re(r"^\[(.+)\]:([0-9]+)$"),
            hostport: re(r"^((?:[^:\[\]]|\[[^\]]*\])*):([0-9]+)$"),
            ipv4: re(&format!(r"(?i)^(?:{i4}\.){{3}}{i4}$")),
            ipv6: re(&format!("(?i){ipv6}")),
            hostname: re(&format!(r"(?i)^{label}(?:\.{label})*$")),
        }
    })
}

fn full_match(re: &Regex, s: &str) -> bool {
    matches!(re.is_match(s), Ok(true))
}

/// `parse_address(address, allow_ranges)`: `Some((host, port))`, or `None`
/// where Ansible raises.
pub fn parse_address(address: &str, allow_ranges: bool) -> Option<(String, Option<u64>)> {
    let p = address_patterns();
    let mut address = address.to_string();
    let mut port = None;
    for re in [&p.bracketed_hostport, &p.hostport] {
        if let Ok(Some(c)) = re.captures(&address) {
            let a = c.get(1).map(|m| m.as_str().to_string()).unwrap_or_default();
            let pt = c.get(2).map(|m| m.as_str()).unwrap_or_default();
            port = Some(pt.parse::<u64>().ok()?);
            address = a;
        }
    }
    let is_host = [&p.ipv4, &p.ipv6, &p.hostname]
        .iter()
        .any(|re| full_match(re, &address));
    if !is_host {
        return None;
    }
    if !allow_ranges && address.contains('[') {
        return None;
    }
    Some((address, port))
}

/// `split_host_pattern`: `a,b[1], c[2:3] , d` → `a`, `b[1]`, `c[2:3]`, `d`;
/// `:` separates too unless the whole pattern is one host address.
pub fn split_host_pattern(pattern: &str) -> Vec<String> {
    let parts: Vec<String> = if pattern.contains(',') {
        pattern.split(',').map(str::to_string).collect()
    } else if parse_address(pattern, true).is_some() {
        vec![pattern.to_string()]
    } else {
        static SPLIT: OnceLock<Regex> = OnceLock::new();
        let re = SPLIT.get_or_init(|| {
            Regex::new(r"(?:[^\s:\[\]]|\[[^\]]*\])+").expect("constant split pattern")
            // ok: constant pattern, not input
        });
        re.find_iter(pattern)
            .filter_map(|m| m.ok())
            .map(|m| m.as_str().to_string())
            .collect()
    };
    parts
        .into_iter()
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

/// `order_patterns`: plain patterns, then `&` intersections, then `!`
/// exclusions; `all` when there is no plain pattern.
pub fn order_patterns(patterns: &[String]) -> Vec<String> {
    let mut regular = Vec::new();
    let mut inter = Vec::new();
    let mut excl = Vec::new();
    for p in patterns {
        if p.is_empty() {
            continue;
        }
        if p.starts_with('!') {
            excl.push(p.clone());
        } else if p.starts_with('&') {
            inter.push(p.clone());
        } else {
            regular.push(p.clone());
        }
    }
    if regular.is_empty() {
        regular.push("all".to_string());
    }
    regular.extend(inter);
    regular.extend(excl);
    regular
}

/// `Group.get_hosts()`: the group's hosts, then its descendants' hosts,
/// level by level, each host once.
///
/// Ansible walks each level from a Python `set` of groups, whose order
/// follows object addresses; kubemagic takes the order groups were reached
/// in, which is what Ansible gives whenever the hierarchy below the group
/// is at most two levels deep (the order of deeper levels is not stable
/// in Ansible itself).
pub fn group_get_hosts(data: &InventoryData, g: GroupId) -> Vec<HostId> {
    let mut ordered: Vec<GroupId> = vec![g];
    ordered.extend(data.groups[g].children.iter().copied());
    let mut seen_g = vec![false; data.groups.len()];
    let mut unprocessed: Vec<GroupId> = Vec::new();
    for &c in &data.groups[g].children {
        if !unprocessed.contains(&c) {
            unprocessed.push(c);
        }
    }
    if !unprocessed.contains(&g) {
        unprocessed.insert(0, g);
    }
    while !unprocessed.is_empty() {
        for &u in &unprocessed {
            seen_g[u] = true;
        }
        let mut next: Vec<GroupId> = Vec::new();
        let mut in_next = HashSet::new();
        for &u in &unprocessed {
            for &c in &data.groups[u].children {
                if in_next.insert(c) {
                    next.push(c);
                }
                if !seen_g[c] {
                    ordered.push(c);
                }
            }
        }
        next.retain(|&c| !seen_g[c]);
        unprocessed = next;
    }
    let mut seen_h = vec![false; data.hosts.len()];
    let mut hosts = Vec::new();
    for kid in ordered {
        for &h in &data.groups[kid].hosts {
            if !seen_h[h] {
                seen_h[h] = true;
                hosts.push(h);
            }
        }
    }
    hosts
}

/// Stands for Ansible's implicit `localhost` in [`get_hosts`] results: a
/// pattern naming `localhost`, `127.0.0.1` or `::1` that matches nothing
/// in the inventory selects it (never through `all`).
pub const IMPLICIT_LOCALHOST: HostId = HostId::MAX;

/// `C.LOCALHOST`.
pub const LOCALHOST_NAMES: [&str; 3] = ["127.0.0.1", "localhost", "::1"];

/// `InventoryManager.get_hosts(pattern)`; may hold [`IMPLICIT_LOCALHOST`].
/// Also notes each part of the pattern that matched no
/// group and no host (`lb2` in `lb:!lb2`): Ansible warns "Could not match
/// supplied host pattern, ignoring: lb2" for each (`_enumerate_matches`,
/// ansible-core 2.19 `lib/ansible/inventory/manager.py`).
pub fn get_hosts_noting(
    data: &InventoryData,
    pattern: &str,
    unmatched: &mut Vec<String>,
) -> Result<Vec<HostId>> {
    let patterns = order_patterns(&split_host_pattern(pattern));
    let mut hosts: Vec<HostId> = Vec::new();
    for p in &patterns {
        if let Some(h) = data.host_id(p) {
            hosts.push(h);
            continue;
        }
        let that = match_one_pattern(data, p, unmatched)?;
        if p.starts_with('!') {
            let that: HashSet<HostId> = that.into_iter().collect();
            hosts.retain(|h| !that.contains(h));
        } else if p.starts_with('&') {
            let that: HashSet<HostId> = that.into_iter().collect();
            hosts.retain(|h| that.contains(h));
        } else {
            let existing: HashSet<HostId> = hosts.iter().copied().collect();
            hosts.extend(that.into_iter().filter(|h| !existing.contains(h)));
        }
    }
    // deduplicate_list
    let mut seen = HashSet::new();
    hosts.retain(|h| seen.insert(*h));
    Ok(hosts)
}

fn match_one_pattern(
    data: &InventoryData,
    pattern: &str,
    unmatched: &mut Vec<String>,
) -> Result<Vec<HostId>> {
    let p = pattern.strip_prefix(['&', '!']).unwrap_or(pattern);
    if p.is_empty() {
        return Ok(Vec::new());
    }
    let (expr, subscript) = split_subscript(p);
    let hosts = enumerate_matches(data, &expr, unmatched)?;
    apply_subscript(hosts, subscript).ok_or_else(|| InventoryError::Pattern {
        pattern: p.to_string(),
        message: format!("No hosts matched the subscripted pattern '{p}'"),
    })
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Subscript {
    Index(i64),
    /// `(start, end)` where `end` of 0 behaves as an index (Ansible's
    /// `if end:`) and -1 means "to the last host".
    Range(i64, i64),
}

/// `_split_subscript`: `web[0]`, `web[1:3]`, `web[2:]`, `web[-1]`.
fn split_subscript(pattern: &str) -> (String, Option<Subscript>) {
    if pattern.starts_with('~') {
        return (pattern.to_string(), None);
    }
    static SUB: OnceLock<Regex> = OnceLock::new();
    let re = SUB.get_or_init(|| {
        Regex::new(r"^(.+)\[(?:(-?[0-9]+)|([0-9]+)([:-])([0-9]*))\]$")
            .expect("constant subscript pattern") // ok: constant pattern, not input
    });
    if let Ok(Some(c)) = re.captures(pattern) {
        let base = c.get(1).map(|m| m.as_str().to_string()).unwrap_or_default();
        if let Some(idx) = c.get(2) {
            if let Ok(i) = idx.as_str().parse::<i64>() {
                return (base, Some(Subscript::Index(i)));
            }
        } else {
            let start = c.get(3).and_then(|m| m.as_str().parse::<i64>().ok());
            let end_s = c.get(5).map(|m| m.as_str()).unwrap_or("");
            let end = if end_s.is_empty() {
                Some(-1)
            } else {
                end_s.parse::<i64>().ok()
            };
            if let (Some(s), Some(e)) = (start, end) {
                return (base, Some(Subscript::Range(s, e)));
            }
        }
    }
    (pattern.to_string(), None)
}

/// `_apply_subscript`; `None` where Python raises `IndexError`.
fn apply_subscript(hosts: Vec<HostId>, sub: Option<Subscript>) -> Option<Vec<HostId>> {
    let Some(sub) = sub else { return Some(hosts) };
    if hosts.is_empty() {
        return Some(hosts);
    }
    let n = hosts.len() as i64;
    let index = |i: i64| -> Option<Vec<HostId>> {
        let j = if i < 0 { n + i } else { i };
        if j < 0 || j >= n {
            None
        } else {
            Some(vec![hosts[j as usize]])
        }
    };
    match sub {
        Subscript::Index(i) => index(i),
        Subscript::Range(start, 0) => index(start),
        Subscript::Range(start, end) => {
            let end = if end == -1 { n - 1 } else { end };
            // Python slice hosts[start:end + 1] with clamping.
            let clamp = |x: i64| -> i64 {
                let x = if x < 0 { (n + x).max(0) } else { x };
                x.min(n)
            };
            let (s, e) = (clamp(start), clamp(end + 1));
            if s >= e {
                Some(Vec::new())
            } else {
                Some(hosts[s as usize..e as usize].to_vec())
            }
        }
    }
}

/// `fnmatch.translate` for the glob subset Ansible patterns use, as an
/// unanchored expression (callers anchor it).
pub fn fnmatch_translate(pat: &str) -> String {
    let chars: Vec<char> = pat.chars().collect();
    let n = chars.len();
    let mut res = String::new();
    let mut i = 0;
    while i < n {
        let c = chars[i];
        i += 1;
        match c {
            '*' => {
                if !res.ends_with(".*") {
                    res.push_str(".*");
                }
            }
            '?' => res.push('.'),
            '[' => {
                let mut j = i;
                if j < n && chars[j] == '!' {
                    j += 1;
                }
                if j < n && chars[j] == ']' {
                    j += 1;
                }
                while j < n && chars[j] != ']' {
                    j += 1;
                }
                if j >= n {
                    res.push_str("\\[");
                } else {
                    let stuff: Vec<char> = chars[i..j].to_vec();
                    i = j + 1;
                    let mut class = String::from("[");
                    for (k, &sc) in stuff.iter().enumerate() {
                        if k == 0 && sc == '!' {
                            class.push('^');
                        } else if k == 0 && sc == '^' {
                            class.push_str("\\^");
                        } else if matches!(sc, '\\' | '[' | '&' | '~' | ']') {
                            class.push('\\');
                            class.push(sc);
                        } else {
                            class.push(sc);
                        }
                    }
                    class.push(']');
                    res.push_str(&class);
                }
            }
            c => res.push_str(&fancy_regex::escape(&c.to_string())),
        }
    }
    res
}

/// The regex of `_match_list`: a glob, or a regex after `~`, matched at the
/// start as Python's `re.match` does. Compiled once per pattern.
fn pattern_regex(pattern: &str) -> Result<Regex> {
    let src = match pattern.strip_prefix('~') {
        Some(rx) => format!("^(?:{rx})"),
        None => format!("^(?s:{})$", fnmatch_translate(pattern)),
    };
    Regex::new(&src).map_err(|_| InventoryError::Pattern {
        pattern: pattern.to_string(),
        message: format!("Invalid host list pattern: {pattern}"),
    })
}

/// `_match_list`: the ids of the names the pattern's regex matches.
fn match_list<'a, I: Iterator<Item = (usize, &'a str)>>(
    items: I,
    re: &Regex,
    pattern: &str,
) -> Result<Vec<usize>> {
    let mut out = Vec::new();
    for (id, name) in items {
        match re.is_match(name) {
            Ok(true) => out.push(id),
            Ok(false) => {}
            Err(e) => {
                return Err(InventoryError::Pattern {
                    pattern: pattern.to_string(),
                    message: e.to_string(),
                })
            }
        }
    }
    Ok(out)
}

/// `_enumerate_matches`: hosts of matching groups, plus matching host
/// names when no group matched or the pattern is a regex or glob.
fn enumerate_matches(
    data: &InventoryData,
    pattern: &str,
    unmatched: &mut Vec<String>,
) -> Result<Vec<HostId>> {
    let mut results = Vec::new();
    let re = pattern_regex(pattern)?;
    let groups = match_list(
        data.groups
            .iter()
            .enumerate()
            .map(|(i, g)| (i, g.name.as_str())),
        &re,
        pattern,
    )?;
    for &g in &groups {
        results.extend(group_get_hosts(data, g));
    }
    let special =
        pattern.starts_with('~') || pattern.chars().any(|c| matches!(c, '.' | '?' | '*' | '['));
    if groups.is_empty() || special {
        let hosts = match_list(
            data.hosts
                .iter()
                .enumerate()
                .map(|(i, h)| (i, h.name.as_str())),
            &re,
            pattern,
        )?;
        results.extend(hosts);
    }
    if results.is_empty() && LOCALHOST_NAMES.contains(&pattern) {
        results.push(IMPLICIT_LOCALHOST);
    }
    if results.is_empty() && groups.is_empty() && pattern != "all" {
        unmatched.push(pattern.to_string());
    }
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_parsing_matches_ansible() {
        assert_eq!(
            parse_address("host:22", false),
            Some(("host".into(), Some(22)))
        );
        assert_eq!(
            parse_address("[::1]:22", false),
            Some(("::1".into(), Some(22)))
        );
        assert_eq!(parse_address("::1", false), Some(("::1".into(), None)));
        assert_eq!(
            parse_address("10.0.0.1", false),
            Some(("10.0.0.1".into(), None))
        );
        assert_eq!(parse_address("bad-", false), None);
        assert_eq!(parse_address("web[1:3]", false), None);
        assert!(parse_address("web[1:3]", true).is_some());
    }

    #[test]
    fn patterns_split_on_commas_and_colons() {
        assert_eq!(
            split_host_pattern("a,b[1], c[2:3] , d"),
            vec!["a", "b[1]", "c[2:3]", "d"]
        );
        assert_eq!(split_host_pattern("web:&db:!x"), vec!["web", "&db", "!x"]);
        assert_eq!(split_host_pattern("g[1:3]"), vec!["g[1:3]"]);
    }

    #[test]
    fn subscripts_follow_python_slicing() {
        let h: Vec<usize> = (0..5).collect();
        assert_eq!(
            apply_subscript(h.clone(), Some(Subscript::Range(1, 3))),
            Some(vec![1, 2, 3])
        );
        assert_eq!(
            apply_subscript(h.clone(), Some(Subscript::Index(-1))),
            Some(vec![4])
        );
        assert_eq!(apply_subscript(h.clone(), Some(Subscript::Index(7))), None);
        assert_eq!(
            apply_subscript(h, Some(Subscript::Range(2, -1))),
            Some(vec![2, 3, 4])
        );
    }
}

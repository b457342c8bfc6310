//! The INI inventory format, read as ansible-core 2.19's `ini` plugin reads
//! it (`lib/ansible/plugins/inventory/ini.py`), with stricter errors.
//!
//! [`parse_ini`] walks the lines once, like `InventoryModule._parse`, and
//! calls the [`InventoryData`] builder (`add_group`, `add_host`,
//! `add_child`, `set_variable`) in the same order Ansible calls its
//! `InventoryData`, so group/host order, depth and "first definition wins"
//! (e.g. the port of a host) come out identical. Each group, host and
//! variable carries the [`Origin`] (file, 1-based line) that defined it.
//!
//! Rules kept from Ansible:
//! - lines are Python's `str.splitlines()` (so `\r`, `\x0b`, `\x0c`,
//!   `\x1c`-`\x1e`, `\x85`, U+2028/9 also end a line), stripped of Python
//!   whitespace; empty lines and lines starting with `#` or `;` are skipped;
//! - sections `[g]`, `[g:hosts]`, `[g:vars]`, `[g:children]`, optionally
//!   followed by `# comment` (but not `; comment`, which makes the line a
//!   host line, as in Ansible); lines before any section are in `ungrouped`;
//! - group names are taken as written (Ansible's default
//!   `TRANSFORM_INVALID_GROUP_CHARS=never` only warns about `-` and friends);
//! - host lines are split like `shlex.split(line, comments=True)`
//!   ([`shlex_split`]); the first token is a host pattern
//!   ([`crate::ranges::expand_host_pattern`]), the others `key=value` whose
//!   values are typed by [`crate::pyliteral::parse_value`];
//! - `:vars` lines are `key=value` split at the first `=`, both sides
//!   stripped, the value typed the same way (trailing `# c` is then a Python
//!   comment of the literal: `x=5 # c` is 5, `x=a # c` is the string
//!   `a # c`);
//! - children named before their group is defined stay pending and are
//!   attached when the group's `[g]`/`[g:children]` section appears, in
//!   Ansible's order; `[g:vars]` alone does not define a group.
//!
//! Errors (always `InventoryError::Parse` with file and line): everything
//! for which Ansible fails this source (it then only warns and goes on, we
//! stop), notably a `[g:vars]` or `[g:children]` child whose group is never
//! defined (reported at the line that named it, first in Ansible's order),
//! plus what Ansible accepts silently but we refuse: a range step below 1
//! and ports above 65535 (see [`crate::ranges`]), and literals we
//! cannot represent faithfully (see [`crate::pyliteral`]). A reversed
//! numeric range adds no host, as in Ansible, with a warning.
//!
//! Input must be UTF-8: [`parse_ini`] takes `&str`; [`parse_ini_bytes`]
//! reports the first line that is not UTF-8 (Ansible 2.19 escapes such
//! bytes with a deprecation warning; 2.23 will refuse them as we do).

use crate::data::InventoryData;
use crate::error::{InventoryError, Result, Warning, WarningKind};
use crate::pyliteral::parse_value;
use crate::pyrepr::py_str_repr;
use crate::ranges::{expand_host_pattern, reversed_range_warning};
use crate::text::{is_py_space, py_splitlines};
use indexmap::IndexMap;
use kubemagic_core::Origin;
use regex::Regex;
use std::path::Path;
use std::sync::LazyLock;

/// `patterns['section']` of ini.py. `\s` is Python's (it includes
/// U+001C..U+001F, which the `regex` crate's `\s` does not).
static SECTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\A\[([^:\]\s\x1c-\x1f]+)(?::([\p{L}\p{N}_]+))?\][\s\x1c-\x1f]*(?:#.*)?\n?\z")
        .expect("static regex") // ok: constant pattern, not input
});

/// `patterns['groupname']` of ini.py.
static GROUPNAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\A([^:\]\s\x1c-\x1f]+)[\s\x1c-\x1f]*(?:#.*)?\n?\z").expect("static regex")
    // ok: constant pattern, not input
});

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Hosts,
    Children,
    Vars,
}

/// A group named by `[g:vars]` or as a child before it was defined.
#[derive(Debug)]
struct Pending {
    line: u32,
    state: State,
    parents: Vec<String>,
}

#[cfg(test)]
/// Parses UTF-8 bytes; a line that is not UTF-8 is an error at that line.
pub fn parse_ini_bytes(bytes: &[u8], path: &Path, inv: &mut InventoryData) -> Result<()> {
    let text = crate::text::decode_utf8(bytes.to_vec(), path)?;
    parse_ini(&text, path, inv)
}

struct IniParser<'a> {
    path: &'a Path,
    inv: &'a mut InventoryData,
    line: u32,
    pending: IndexMap<String, Pending>,
}

/// Parses an INI inventory into `inv` (which may already hold earlier
/// sources: a `[g:vars]` for a group they defined is fine, as in Ansible).
pub fn parse_ini(text: &str, path: &Path, inv: &mut InventoryData) -> Result<()> {
    let mut p = IniParser {
        path,
        inv,
        line: 0,
        pending: IndexMap::new(),
    };
    p.parse(text)
}

impl IniParser<'_> {
    fn err(&self, message: impl Into<String>) -> InventoryError {
        InventoryError::parse(self.path, Some(self.line), message)
    }

    fn origin(&self) -> Option<Origin> {
        Some(Origin::new(self.path, Some(self.line)))
    }

    /// `InventoryData.set_variable`, refusing first what makes Ansible's
    /// `int(value)` raise `TypeError` for a group's `ansible_group_priority`
    /// (null, list, dict): that fails the INI source in Ansible.
    fn set_variable(&mut self, entity: &str, key: &str, value: crate::Value) -> Result<()> {
        if key == "ansible_group_priority"
            && self.inv.group_id(entity).is_some()
            && matches!(
                value,
                crate::Value::Null | crate::Value::Array(_) | crate::Value::Object(_)
            )
        {
            return Err(self.err(format!(
                "ansible_group_priority of group {entity} must be an integer, got {value}"
            )));
        }
        let r = self.inv.set_variable(entity, key, value, self.origin());
        self.at_line(r)
    }

    /// Errors from the builder (loops, unknown names) get this file and line.
    fn at_line<T>(&self, r: Result<T>) -> Result<T> {
        r.map_err(|e| match e {
            e @ InventoryError::Parse { .. } => e,
            other => self.err(other.to_string()),
        })
    }

    fn parse(&mut self, text: &str) -> Result<()> {
        let mut groupname = "ungrouped".to_string();
        let mut state = State::Hosts;
        for raw in py_splitlines(text) {
            self.line = self.line.saturating_add(1);
            let line = raw.trim_matches(is_py_space);
            if line.is_empty() || line.starts_with(['#', ';']) {
                continue;
            }
            let section = if line.starts_with('[') {
                SECTION.captures(line)
            } else {
                None
            };
            if let Some(c) = section {
                groupname = c.get(1).map_or("", |m| m.as_str()).to_string();
                let tag = c.get(2).map(|m| m.as_str());
                state = match tag {
                    None | Some("hosts") => State::Hosts,
                    Some("children") => State::Children,
                    Some("vars") => State::Vars,
                    Some(other) => {
                        return Err(self.err(format!(
                            "Section [{groupname}:{other}] has unknown type: {other}"
                        )))
                    }
                };
                self.section(&groupname, state)?;
                continue;
            } else if line.starts_with('[') && line.ends_with(']') {
                return Err(self.err(format!(
                    "Invalid section entry: '{line}'. Please make sure that there are no spaces in the section entry, and that there are no other invalid characters"
                )));
            }
            match state {
                State::Hosts => self.host_line(line, &groupname)?,
                State::Vars => {
                    let Some((k, v)) = line.split_once('=') else {
                        return Err(self.err(format!("Expected key=value, got: {line}")));
                    };
                    let k = k.trim_matches(is_py_space);
                    let v = v.trim_matches(is_py_space);
                    let value = parse_value(v).map_err(|m| self.err(format!("{k}: {m}")))?;
                    self.set_variable(&groupname, k, value)?;
                }
                State::Children => {
                    let Some(child) = GROUPNAME.captures(line).and_then(|c| c.get(1)) else {
                        return Err(self.err(format!("Expected group name, got: {line}")));
                    };
                    let child = child.as_str();
                    if self.inv.group_id(child).is_none() {
                        match self.pending.get_mut(child) {
                            Some(p) => p.parents.push(groupname.clone()),
                            None => {
                                self.pending.insert(
                                    child.to_string(),
                                    Pending {
                                        line: self.line,
                                        state: State::Children,
                                        parents: vec![groupname.clone()],
                                    },
                                );
                            }
                        }
                    } else {
                        let r = self.inv.add_child(&groupname, child);
                        self.at_line(r)?;
                    }
                }
            }
        }
        // Anything still pending was never defined: Ansible reports the first.
        if let Some((name, decl)) = self.pending.first() {
            self.line = decl.line;
            let msg = match decl.state {
                State::Vars => format!(
                    "Section [{name}:vars] not valid for undefined group {}.",
                    py_str_repr(name)
                ),
                _ => format!(
                    "Section [{}:children] includes undefined group {}.",
                    decl.parents.last().map_or("", String::as_str),
                    py_str_repr(name)
                ),
            };
            return Err(self.err(msg));
        }
        Ok(())
    }

    /// A `[group(:tag)]` header: declares the group and settles what was
    /// pending on it.
    fn section(&mut self, groupname: &str, state: State) -> Result<()> {
        if self.inv.group_id(groupname).is_none() {
            if state == State::Vars && !self.pending.contains_key(groupname) {
                self.pending.insert(
                    groupname.to_string(),
                    Pending {
                        line: self.line,
                        state,
                        parents: Vec::new(),
                    },
                );
            }
            self.inv.add_group(groupname, self.origin());
        }
        if state != State::Vars {
            match self.pending.get(groupname).map(|p| p.state) {
                Some(State::Children) => self.add_pending_children(groupname)?,
                Some(State::Vars) => {
                    self.pending.shift_remove(groupname);
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// `_add_pending_children`: attaches a now-defined group to the parents
    /// that named it, recursing into parents that were themselves pending.
    fn add_pending_children(&mut self, group: &str) -> Result<()> {
        let mut stack = vec![group.to_string()];
        while let Some(g) = stack.pop() {
            let Some(decl) = self.pending.get(&g) else {
                continue;
            };
            let parents = decl.parents.clone();
            self.pending.shift_remove(&g);
            for parent in parents {
                let r = self.inv.add_child(&parent, &g);
                self.at_line(r)?;
                if self
                    .pending
                    .get(&parent)
                    .is_some_and(|p| p.state == State::Children)
                {
                    stack.push(parent);
                }
            }
        }
        Ok(())
    }

    /// `_parse_host_definition` + `_populate_host_vars`.
    fn host_line(&mut self, line: &str, groupname: &str) -> Result<()> {
        let tokens = shlex_split(line)
            .map_err(|e| self.err(format!("Error parsing host definition '{line}': {e}")))?;
        let Some(pattern) = tokens.first() else {
            return Err(self.err(format!("Expected a host definition, got: {line}")));
        };
        let (hostnames, port) = expand_host_pattern(pattern).map_err(|m| self.err(m))?;
        if hostnames.is_empty() {
            let w = Warning::new(
                WarningKind::Questionable,
                self.path,
                Some(self.line),
                None,
                reversed_range_warning(pattern),
            );
            self.inv.warnings.push(w);
        }
        if port.is_none() && pattern.trim_matches(is_py_space).ends_with(':') {
            return Err(self.err(format!(
                "Invalid host pattern '{pattern}' supplied, ending in ':' is not allowed, this character is reserved to provide a port."
            )));
        }
        if hostnames
            .iter()
            .any(|h| h.trim_matches(is_py_space) == "---")
        {
            return Err(self.err(format!(
                "Invalid host pattern '{pattern}' supplied, '---' is normally a sign this is a YAML file."
            )));
        }
        // A Python dict: a repeated key keeps its first position, last value.
        let mut variables: Vec<(&str, crate::Value)> = Vec::new();
        for t in &tokens[1..] {
            let Some((k, v)) = t.split_once('=') else {
                return Err(self.err(format!(
                    "Expected key=value host variable assignment, got: {t}"
                )));
            };
            let value = parse_value(v).map_err(|m| self.err(format!("{k}: {m}")))?;
            match variables.iter_mut().find(|(name, _)| *name == k) {
                Some(slot) => slot.1 = value,
                None => variables.push((k, value)),
            }
        }
        let last = hostnames.len().saturating_sub(1);
        for (i, host) in hostnames.iter().enumerate() {
            let r = self
                .inv
                .add_host(host, Some(groupname), port, self.origin());
            self.at_line(r)?;
            if i == last {
                // The last host takes the values instead of copies.
                for (k, v) in std::mem::take(&mut variables) {
                    self.set_variable(host, k, v)?;
                }
            } else {
                for (k, v) in &variables {
                    self.set_variable(host, k, v.clone())?;
                }
            }
        }
        Ok(())
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Lex {
    /// Between tokens (`' '`).
    Space,
    /// In a word (`'a'`).
    Word,
    /// Inside quotes.
    Quote(char),
    /// After a backslash; the state to return to.
    Escape(EscapeFrom),
    Eof,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum EscapeFrom {
    Word,
    DoubleQuote,
}

/// Python's `shlex.split(s, comments=True, posix=True)`.
///
/// Hand-written because the `shlex` crate follows the POSIX shell, not
/// Python: it only starts a comment at the start of a word (Python's lexer
/// also cuts `host#1` at `#`), keeps a backslash before `$` and backquote
/// inside double quotes differently, and reports no error kind. This is a
/// line-for-line port of `shlex.read_token` for this configuration
/// (whitespace ` \t\r\n`, quotes `'"`, escape `\`, escaped quotes `"`).
pub fn shlex_split(s: &str) -> std::result::Result<Vec<String>, &'static str> {
    let mut chars = s.chars();
    let mut state = Lex::Space;
    let mut tokens = Vec::new();
    loop {
        // read_token
        let mut quoted = false;
        let mut token = String::new();
        loop {
            let next = chars.next();
            match state {
                Lex::Eof => break,
                Lex::Space => match next {
                    None => {
                        state = Lex::Eof;
                        break;
                    }
                    Some(' ' | '\t' | '\r' | '\n') => {
                        if !token.is_empty() || quoted {
                            break;
                        }
                    }
                    Some('#') => {
                        for c in chars.by_ref() {
                            if c == '\n' {
                                break;
                            }
                        }
                    }
                    Some('\\') => state = Lex::Escape(EscapeFrom::Word),
                    Some(q @ ('\'' | '"')) => state = Lex::Quote(q),
                    Some(c) => {
                        token = c.to_string();
                        state = Lex::Word;
                    }
                },
                Lex::Quote(q) => {
                    quoted = true;
                    match next {
                        None => return Err("No closing quotation"),
                        Some(c) if c == q => state = Lex::Word,
                        Some('\\') if q == '"' => state = Lex::Escape(EscapeFrom::DoubleQuote),
                        Some(c) => token.push(c),
                    }
                }
                Lex::Escape(from) => {
                    let Some(c) = next else {
                        return Err("No escaped character");
                    };
                    if from == EscapeFrom::DoubleQuote && c != '\\' && c != '"' {
                        token.push('\\');
                    }
                    token.push(c);
                    state = match from {
                        EscapeFrom::Word => Lex::Word,
                        EscapeFrom::DoubleQuote => Lex::Quote('"'),
                    };
                }
                Lex::Word => match next {
                    None => {
                        state = Lex::Eof;
                        break;
                    }
                    Some(' ' | '\t' | '\r' | '\n') => {
                        state = Lex::Space;
                        if !token.is_empty() || quoted {
                            break;
                        }
                    }
                    Some('#') => {
                        for c in chars.by_ref() {
                            if c == '\n' {
                                break;
                            }
                        }
                        state = Lex::Space;
                        if !token.is_empty() || quoted {
                            break;
                        }
                    }
                    Some(q @ ('\'' | '"')) => state = Lex::Quote(q),
                    Some('\\') => state = Lex::Escape(EscapeFrom::Word),
                    Some(c) => token.push(c),
                },
            }
        }
        if !quoted && token.is_empty() {
            // Python returns None here, which ends the iteration.
            return Ok(tokens);
        }
        tokens.push(token);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::UNGROUPED;
    use serde_json::json;
    use std::path::PathBuf;

    fn parse(text: &str) -> Result<InventoryData> {
        let mut inv = InventoryData::new();
        parse_ini(text, &PathBuf::from("hosts"), &mut inv)?;
        Ok(inv)
    }

    fn group_hosts(inv: &InventoryData, g: &str) -> Vec<String> {
        inv.group(g)
            .unwrap()
            .hosts
            .iter()
            .map(|&h| inv.hosts[h].name.clone())
            .collect()
    }

    fn children(inv: &InventoryData, g: &str) -> Vec<String> {
        inv.group(g)
            .unwrap()
            .children
            .iter()
            .map(|&c| inv.groups[c].name.clone())
            .collect()
    }

    fn hvar(inv: &InventoryData, h: &str, k: &str) -> crate::Value {
        inv.host(h).unwrap().vars[k].value.clone()
    }

    fn gvar(inv: &InventoryData, g: &str, k: &str) -> crate::Value {
        inv.group(g).unwrap().vars[k].value.clone()
    }

    fn err_line(text: &str) -> (Option<u32>, String) {
        let e = parse(text).unwrap_err();
        (e.line(), e.to_string())
    }

    #[test]
    fn shlex_matches_python_posix_with_comments() {
        let cases: &[(&str, &[&str])] = &[
            ("a b=1", &["a", "b=1"]),
            ("a#b c", &["a"]),
            ("a #c", &["a"]),
            ("a b='x y' c=\"p q\"", &["a", "b=x y", "c=p q"]),
            ("a b=\"x\\$y\\\"z\"", &["a", "b=x\\$y\"z"]),
            ("a b='x\\y'", &["a", "b=x\\y"]),
            ("a b\\ c", &["a", "b c"]),
            ("a ''", &["a", ""]),
            ("a b=''", &["a", "b="]),
            ("a\tb", &["a", "b"]),
            ("a x=\"'03#pa33w0rd'\"", &["a", "x='03#pa33w0rd'"]),
        ];
        for (input, want) in cases {
            assert_eq!(shlex_split(input).unwrap(), *want, "{input}");
        }
        assert_eq!(shlex_split("a 'b"), Err("No closing quotation"));
        assert_eq!(shlex_split("a \\"), Err("No escaped character"));
    }

    #[test]
    fn splitlines_follows_python() {
        assert_eq!(py_splitlines("a\r\nb\rc\x0bd\n"), ["a", "b", "c", "d"]);
        assert_eq!(py_splitlines("a\n\nb"), ["a", "", "b"]);
        assert!(py_splitlines("").is_empty());
    }

    #[test]
    fn hosts_before_any_section_are_ungrouped() {
        let inv = parse("h1\nh2 a=1\n[g]\nh3\n").unwrap();
        assert_eq!(inv.groups[UNGROUPED].hosts.len(), 2);
        assert_eq!(group_hosts(&inv, "g"), ["h3"]);
        assert_eq!(hvar(&inv, "h2", "a"), json!(1));
    }

    #[test]
    fn host_vars_are_typed_and_origins_recorded() {
        let inv =
            parse("[g]\n\nh1 a=1 b=0x1f c='x' d=True e=[1,2] f=010 g=\"{'k': 1}\"\n").unwrap();
        assert_eq!(hvar(&inv, "h1", "a"), json!(1));
        assert_eq!(hvar(&inv, "h1", "b"), json!(31));
        assert_eq!(hvar(&inv, "h1", "c"), json!("x"));
        assert_eq!(hvar(&inv, "h1", "d"), json!(true));
        assert_eq!(hvar(&inv, "h1", "e"), json!([1, 2]));
        assert_eq!(hvar(&inv, "h1", "f"), json!("010"));
        assert_eq!(hvar(&inv, "h1", "g"), json!({"k": 1}));
        let o = inv.host("h1").unwrap().vars["a"].origin.clone().unwrap();
        assert_eq!(o.line, Some(3));
        assert_eq!(
            inv.host("h1").unwrap().origin.as_ref().unwrap().line,
            Some(3)
        );
    }

    #[test]
    fn group_vars_are_typed_with_python_comments() {
        let inv = parse("[g]\nh\n[g:vars]\na = 5 # five\nb=foo # c\nc = 'x y'\nd=\n").unwrap();
        assert_eq!(gvar(&inv, "g", "a"), json!(5));
        assert_eq!(gvar(&inv, "g", "b"), json!("foo # c"));
        assert_eq!(gvar(&inv, "g", "c"), json!("x y"));
        assert_eq!(gvar(&inv, "g", "d"), json!(""));
    }

    #[test]
    fn port_is_kept_from_first_definition() {
        let inv = parse("[a]\nh:2222\n[b]\nh:3333\n").unwrap();
        assert_eq!(hvar(&inv, "h", "ansible_port"), json!(2222));
        assert_eq!(group_hosts(&inv, "b"), ["h"]);
    }

    #[test]
    fn ranges_expand_in_order() {
        let inv = parse("[g]\nn[01:03]:22 x=1\n").unwrap();
        assert_eq!(group_hosts(&inv, "g"), ["n01", "n02", "n03"]);
        assert_eq!(hvar(&inv, "n03", "ansible_port"), json!(22));
        assert_eq!(hvar(&inv, "n03", "x"), json!(1));
    }

    #[test]
    fn children_declared_before_defined_are_attached_later() {
        let inv = parse("[p:children]\nc1\nc2\n[c2]\nh2\n[c1]\nh1\n").unwrap();
        assert_eq!(children(&inv, "p"), ["c2", "c1"]);
        let names: Vec<&str> = inv.groups.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(names, ["all", "ungrouped", "p", "c2", "c1"]);
    }

    #[test]
    fn children_and_vars_sections_before_group() {
        let inv = parse("[p:children]\nc\n[c:vars]\nx=1\n[c]\nh\n").unwrap();
        assert_eq!(children(&inv, "p"), ["c"]);
        assert_eq!(gvar(&inv, "c", "x"), json!(1));
    }

    #[test]
    fn vars_for_undefined_group_is_an_error() {
        let (line, msg) = err_line("[g]\nh\n\n[nope:vars]\nx=1\n");
        assert_eq!(line, Some(4));
        assert!(
            msg.contains("not valid for undefined group 'nope'"),
            "{msg}"
        );
        assert!(msg.starts_with("hosts:4: "), "{msg}");
    }

    #[test]
    fn vars_section_then_group_section_is_fine() {
        let inv = parse("[g:vars]\nx=1\n[g]\nh\n").unwrap();
        assert_eq!(gvar(&inv, "g", "x"), json!(1));
    }

    #[test]
    fn undefined_child_group_is_an_error() {
        let (line, msg) = err_line("[p:children]\nc1\n[q:children]\nc1\n");
        assert_eq!(line, Some(2));
        assert!(
            msg.contains("Section [q:children] includes undefined group 'c1'"),
            "{msg}"
        );
    }

    #[test]
    fn group_priority_that_int_rejects_is_an_error() {
        for v in ["[1]", "None", "{'a': 1}", "abc"] {
            let text = format!("[g]\nh\n[g:vars]\nansible_group_priority={v}\n");
            assert_eq!(parse(&text).unwrap_err().line(), Some(4), "{v}");
        }
        let inv = parse("[g]\nh\n[g:vars]\nansible_group_priority=7\n").unwrap();
        assert_eq!(inv.group("g").unwrap().priority, 7);
        // On a host it is just a variable.
        let inv = parse("[g]\nh ansible_group_priority=\"[1]\"\n").unwrap();
        assert_eq!(hvar(&inv, "h", "ansible_group_priority"), json!([1]));
    }

    #[test]
    fn host_named_as_child_is_an_error() {
        assert!(parse("h\n[p:children]\nh\n").is_err());
    }

    #[test]
    fn reversed_range_adds_no_host_and_warns_at_its_line() {
        let inv = parse("[g]\nok\nnode[3:1]\n").unwrap();
        assert_eq!(inv.hosts.len(), 1);
        assert_eq!(inv.warnings.len(), 1);
        assert_eq!(inv.warnings[0].line, Some(3));
        assert!(inv.warnings[0].message.contains("reversed"));
    }

    #[test]
    fn malformed_lines_are_errors_with_their_line() {
        for (text, line) in [
            ("[g]\nh a\n", 2),
            ("[g:vars]\n", 1),
            ("[g]\nh\n[g:vars]\nnovalue\n", 4),
            ("[g:children]\na b\n[a]\n", 2),
            ("[g:bogus]\n", 1),
            ("[g x]\n", 1),
            ("[g]\nh 'x\n", 2),
            ("[g]\nh:\n", 2),
            ("[g]\n---\n", 2),
            ("[g]\nh x={1,2}\n", 2),
            ("[a:children]\nb\n[b:children]\na\n", 4),
        ] {
            assert_eq!(parse(text).unwrap_err().line(), Some(line), "{text:?}");
        }
    }

    #[test]
    fn section_comment_with_semicolon_is_a_host_line_as_in_ansible() {
        // `[g] ; c` is not a section header for Ansible: it is a host line
        // whose pattern `[g]` is an invalid range.
        assert!(parse("[g] ; c\n").is_err());
        let inv = parse("[g] # c\nh\n").unwrap();
        assert_eq!(group_hosts(&inv, "g"), ["h"]);
    }

    #[test]
    fn group_var_set_on_host_line_goes_to_group_of_same_name() {
        // InventoryData.set_variable prefers a group over a host.
        let inv = parse("[web]\nweb x=1\n").unwrap();
        assert_eq!(gvar(&inv, "web", "x"), json!(1));
    }

    #[test]
    fn non_utf8_bytes_are_an_error_at_their_line() {
        let mut inv = InventoryData::new();
        let e = parse_ini_bytes(b"[g]\nh1\nh\xff2\n", Path::new("hosts"), &mut inv).unwrap_err();
        assert_eq!(e.line(), Some(3));
        let e = parse_ini_bytes(b"\xff", Path::new("hosts"), &mut inv).unwrap_err();
        assert_eq!(e.line(), Some(1));
    }

    mod prop {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2000))]
            #[test]
            fn arbitrary_text_never_panics(s in "\\PC*") {
                let _ = parse(&s);
            }

            #[test]
            fn arbitrary_bytes_never_panic(b in proptest::collection::vec(any::<u8>(), 0..400)) {
                let mut inv = InventoryData::new();
                let _ = parse_ini_bytes(&b, Path::new("x"), &mut inv);
                let lossy = String::from_utf8_lossy(&b);
                let _ = parse(&lossy);
            }

            #[test]
            fn inventory_like_lines_never_panic(
                lines in proptest::collection::vec(
                    "(\\[[a-c]{1,2}(:(vars|children|hosts|x))?\\]|[a-c\\[\\]0-9:=' \"#;\\\\.-]{0,24})",
                    0..20,
                )
            ) {
                let _ = parse(&lines.join("\n"));
            }
        }
    }
}

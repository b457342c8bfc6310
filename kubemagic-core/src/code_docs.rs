//! The documentation of every finding code, in the binary: what `kubemagic
//! explain KM101` prints (the docs/checks.md entry) and what `kubemagic
//! codes` lists (code, severity, title, the upstream rule it mirrors), as
//! `ansible-lint -L` lists its rules.
//!
//! The text is the documentation itself, embedded at build time rather than
//! copied into a table here, so the terminal and docs/ cannot drift: the
//! site checks are `## KMnnn` sections of docs/checks.md (`**title**
//! (severity)`, then *What*, *Why*, *Upstream*, *Fix*); the live etcd codes
//! are rows of the README's table and the `kubemagic ceph` codes rows of
//! docs/architecture-ceph.md's (`| KMnnn | severity | what |`). A test
//! proves every registered code ([`crate::codes::ALL`]) is documented.

use crate::codes::{self, Owner};

const CHECKS_MD: &str = include_str!("../../docs/checks.md");
const README_MD: &str = include_str!("../../README.md");
const CEPH_MD: &str = include_str!("../../docs/architecture-ceph.md");

/// One code's documentation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CodeDoc {
    /// `KMnnn`.
    pub code: &'static str,
    /// As documented: `error`, `warning`, `info`, or `error/warning` for a
    /// code whose severity depends on the case.
    pub severity: String,
    /// One line: what the code reports.
    pub title: String,
    /// The command that reports it (`kubemagic check`, `kubemagic etcd
    /// status`, `kubemagic ceph`, `kubemagic lb`).
    pub command: &'static str,
    /// The upstream assert or rule the code mirrors (docs' *Upstream*), when
    /// it mirrors one.
    pub upstream: Option<String>,
    /// The whole entry, as written in the docs (Markdown).
    pub text: String,
    /// Where the entry is documented, relative to the repository.
    pub doc: &'static str,
}

/// The command that reports a code, from the registry's owner.
fn command(owner: Owner) -> &'static str {
    match owner {
        Owner::Site => "kubemagic check",
        Owner::Etcd => "kubemagic etcd status",
        Owner::Ceph => "kubemagic ceph",
        Owner::Lb => "kubemagic lb",
        Owner::Certs => "kubemagic certs",
    }
}

/// The `## KMnnn` section of docs/checks.md, up to the next heading or rule.
fn section(code: &str) -> Option<String> {
    let head = format!("## {code}");
    let mut lines = CHECKS_MD.lines().skip_while(|l| l.trim_end() != head);
    lines.next()?;
    let body: Vec<&str> = lines
        .take_while(|l| !l.starts_with("## ") && !l.starts_with("# ") && l.trim() != "---")
        .collect();
    Some(body.join("\n").trim().to_string())
}

/// `**title** (severity)`, the first line of a section.
fn title_line(text: &str) -> Option<(String, String)> {
    let line = text.lines().find(|l| l.starts_with("**"))?;
    let rest = line.strip_prefix("**")?;
    let (title, after) = rest.split_once("**")?;
    let sev = after
        .trim()
        .strip_prefix('(')
        .and_then(|s| s.split_once(')'))
        .map(|(s, _)| s.trim().to_string())
        .unwrap_or_default();
    Some((title.trim().to_string(), sev))
}

/// The *Upstream* paragraph of a section, on one line.
fn upstream(text: &str) -> Option<String> {
    let start = text.find("*Upstream*:")?;
    let para = text[start + "*Upstream*:".len()..]
        .split("\n\n")
        .next()
        .unwrap_or("");
    Some(para.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// The `| KMnnn | severity | what |` row naming `code` (a row may name
/// several: `| KM129 / KM132 | ...`).
fn table_row(doc: &str, code: &str) -> Option<(String, String, String)> {
    doc.lines().find_map(|l| {
        let cells: Vec<&str> = l.trim().strip_prefix('|')?.split('|').collect();
        if cells.len() < 3 {
            return None;
        }
        cells[0].split('/').any(|c| c.trim() == code).then(|| {
            (
                cells[1].trim().to_string(),
                cells[2].trim().to_string(),
                l.trim().to_string(),
            )
        })
    })
}

/// The documentation of `code` (any case), if it is a registered code.
pub fn doc(code: &str) -> Option<CodeDoc> {
    let upper = code.trim().to_ascii_uppercase();
    let entry = codes::ALL.iter().find(|c| c.code == upper)?;
    let command = command(entry.owner);
    if let Some(text) = section(entry.code) {
        let (title, severity) = title_line(&text).unwrap_or_default();
        return Some(CodeDoc {
            code: entry.code,
            severity,
            title,
            command,
            upstream: upstream(&text),
            text,
            doc: "docs/checks.md",
        });
    }
    let (doc, name) = match entry.owner {
        Owner::Ceph => (CEPH_MD, "docs/architecture-ceph.md"),
        _ => (README_MD, "README.md"),
    };
    let (severity, title, row) = table_row(doc, entry.code)?;
    Some(CodeDoc {
        code: entry.code,
        severity,
        title,
        command,
        upstream: None,
        text: row,
        doc: name,
    })
}

/// Every registered code's documentation, in code order; codes without
/// documentation are left out (a test proves there are none).
pub fn all() -> Vec<CodeDoc> {
    codes::ALL.iter().filter_map(|c| doc(c.code)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_registered_code_is_documented_with_a_severity_and_title() {
        for c in codes::ALL {
            let d = doc(c.code).unwrap_or_else(|| panic!("{} is not documented", c.code));
            assert!(!d.title.is_empty(), "{}: no title", c.code);
            assert!(
                ["error", "warning", "info"]
                    .iter()
                    .any(|s| d.severity.contains(s)),
                "{}: severity {:?}",
                c.code,
                d.severity
            );
        }
    }

    #[test]
    fn a_site_check_is_its_docs_section_with_its_upstream() {
        let d = doc("km101").unwrap();
        assert_eq!(d.title, "etcd quota below 1 GiB");
        assert_eq!(d.severity, "error");
        assert!(d.text.contains("*Fix*"), "{}", d.text);
        let d = doc("KM801").unwrap();
        assert!(d.upstream.unwrap().contains("validate_inventory"));
        let d = doc("KM132").unwrap();
        assert_eq!(d.command, "kubemagic etcd status");
        assert!(doc("KM999").is_none());
    }
}

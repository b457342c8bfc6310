//! Accepted findings: `checks.ignore` in kubemagic.yml and inline
//! `kubemagic: ignore[KM102] reason` comments.
//!
//! A linter that cannot be told "this one is on purpose" is turned off
//! wholesale (`run --ignore-check`), and then catches nothing. An accepted
//! finding leaves `findings` (and the exit code) but is still reported,
//! under `suppressed`, with its reason and where the ignore was written; an
//! ignore that matches nothing is itself a warning (KM901), so that ignores
//! do not outlive the mistake they accepted.
//!
//! Reading the comments is I/O ([`scan_path`], called by
//! [`Site::load`](crate::site::Site::load)); matching is pure
//! ([`crate::checks::accept`]).

use crate::error::SiteError;
use kubemagic_core::{Finding, Origin};
use kubemagic_fs::FsError;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// The marker of an inline ignore comment.
pub const MARKER: &str = "kubemagic: ignore[";

/// One accepted finding rule, from kubemagic.yml or from a comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ignore {
    /// The codes it accepts (`ignore[KM102,KM104]` gives two).
    pub codes: Vec<String>,
    /// Why the finding is accepted: required, and reported with every finding it
    /// suppresses, so that an accepted finding always says why.
    pub reason: String,
    /// Where the ignore is written (kubemagic.yml entry or the comment).
    pub at: Origin,
    /// Which findings of those codes it accepts.
    pub scope: Scope,
}

/// What an ignore applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// kubemagic.yml: findings of the code anywhere, or only about these
    /// hosts / groups (a host finding matches a group holding the host).
    Site {
        /// Findings about these hosts. A finding matching either list is
        /// accepted; with both lists empty, every finding of the codes is.
        hosts: Vec<String>,
        /// Only findings about these groups, or about a host of one of them.
        groups: Vec<String>,
    },
    /// An inline comment: findings pointing at one of these lines of `file`
    /// (the comment's own line, and the next one when the comment is alone
    /// on its line).
    Lines {
        /// The file holding the comment.
        file: PathBuf,
        /// The comment's line, and the next when the comment is alone on its
        /// line.
        lines: Vec<u32>,
    },
}

/// A finding the site accepted, with why and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suppressed {
    /// The finding as its check reported it (flattened in JSON: a suppressed
    /// finding reads as any finding, plus `reason` and `ignored_at`).
    #[serde(flatten)]
    pub finding: Finding,
    /// The ignore's reason.
    pub reason: String,
    /// Where the ignore was given: kubemagic.yml's entry or the comment.
    pub ignored_at: Origin,
}

/// Reads the inline ignores of one file. A marker without a reason, or
/// with something other than codes inside the brackets, is an input error
/// naming the file and line. `#` starts a comment everywhere, `;` too in
/// INI files.
pub fn scan_text(file: &Path, text: &str) -> Result<Vec<Ignore>, SiteError> {
    let mut out = Vec::new();
    if !text.contains("kubemagic:") {
        return Ok(out);
    }
    let yaml = matches!(
        file.extension().and_then(|e| e.to_str()),
        Some("yml" | "yaml" | "json")
    );
    let is_comment_char = |c: char| c == '#' || (!yaml && c == ';');
    for (i, line) in text.lines().enumerate() {
        let Some(m) = line.find(MARKER) else { continue };
        let lineno = i as u32 + 1;
        // The marker must be inside a comment.
        if !line[..m].contains(is_comment_char) {
            continue;
        }
        let err = |message: String| SiteError::Config {
            file: file.to_path_buf(),
            line: Some(lineno),
            message,
        };
        let rest = &line[m + MARKER.len()..];
        let Some(close) = rest.find(']') else {
            return Err(err(format!("`{MARKER}` has no closing `]`")));
        };
        let codes: Vec<String> = rest[..close]
            .split(',')
            .map(|c| c.trim().to_ascii_uppercase())
            .filter(|c| !c.is_empty())
            .collect();
        if codes.is_empty()
            || codes.iter().any(|c| {
                c.len() < 3 || !c.starts_with("KM") || !c[2..].chars().all(|d| d.is_ascii_digit())
            })
        {
            return Err(err(format!(
                "`{MARKER}{}]`: expected check codes such as KM102",
                &rest[..close]
            )));
        }
        let reason = rest[close + 1..].trim().to_string();
        if reason.is_empty() {
            return Err(err(format!(
                "`{MARKER}{}]` needs a reason after the `]`: why is this accepted?",
                codes.join(",")
            )));
        }
        let alone = line.trim_start().starts_with(is_comment_char);
        let mut lines = vec![lineno];
        if alone {
            lines.push(lineno + 1);
        }
        out.push(Ignore {
            codes,
            reason,
            at: Origin::new(file, Some(lineno)),
            scope: Scope::Lines {
                file: file.to_path_buf(),
                lines,
            },
        });
    }
    Ok(out)
}

/// Reads a file (or every file under a folder, as group_vars folders are)
/// for inline ignores. Files that cannot be decoded are skipped: the
/// inventory reader already reported them. A FIFO, a device or an
/// oversized file is refused naming it (reading it could block or never
/// end), even one the inventory reader never loaded (a `group_vars` entry
/// for no group).
pub fn scan_path(path: &Path, out: &mut Vec<Ignore>) -> Result<(), SiteError> {
    if path.is_dir() {
        let Ok(entries) = std::fs::read_dir(path) else {
            return Ok(());
        };
        let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        paths.sort();
        for p in paths {
            if p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.'))
            {
                continue;
            }
            // Inside a folder only what Ansible would load: folders and
            // regular files (a FIFO there is skipped, as Ansible skips it).
            if !p.is_dir() && !kubemagic_fs::is_regular(&p) {
                continue;
            }
            scan_path(&p, out)?;
        }
        return Ok(());
    }
    match kubemagic_fs::read_to_string(path, kubemagic_fs::limits::MAX_SOURCE_BYTES) {
        Ok(text) => out.extend(scan_text(path, &text)?),
        Err(e @ (FsError::NotRegular { .. } | FsError::TooLarge { .. })) => return Err(e.into()),
        Err(_) => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_comment_alone_covers_the_next_line() {
        let text = "a: 1\n# kubemagic: ignore[KM102] 20 GiB on a dedicated volume\netcd_quota_backend_bytes: 21474836480\n";
        let ig = scan_text(Path::new("gv/etcd.yml"), text).unwrap();
        assert_eq!(ig.len(), 1);
        assert_eq!(ig[0].codes, vec!["KM102"]);
        assert_eq!(ig[0].reason, "20 GiB on a dedicated volume");
        assert_eq!(
            ig[0].scope,
            Scope::Lines {
                file: "gv/etcd.yml".into(),
                lines: vec![2, 3]
            }
        );
    }

    #[test]
    fn inline_ini_semicolon_on_the_same_line() {
        let text = "[etcd]\nm1 etcd_quota_backend_bytes=21474836480 ; kubemagic: ignore[KM102, km104] on purpose\n";
        let ig = scan_text(Path::new("hosts"), text).unwrap();
        assert_eq!(ig[0].codes, vec!["KM102", "KM104"]);
        assert!(matches!(&ig[0].scope, Scope::Lines { lines, .. } if lines == &vec![2]));
    }

    #[test]
    fn missing_reason_is_an_error_at_its_line() {
        let e =
            scan_text(Path::new("hosts.yml"), "x: 1\n# kubemagic: ignore[KM102]\n").unwrap_err();
        assert_eq!(e.line(), Some(2));
        assert!(e.to_string().contains("needs a reason"), "{e}");
        let e = scan_text(Path::new("h.yml"), "# kubemagic: ignore[quota] why\n").unwrap_err();
        assert!(e.to_string().contains("expected check codes"), "{e}");
    }

    #[test]
    fn marker_outside_a_comment_is_not_an_ignore() {
        let ig = scan_text(Path::new("a.yml"), "note: \"kubemagic: ignore[KM1] x\"\n").unwrap();
        assert!(ig.is_empty());
        // `;` is no comment in YAML.
        let ig = scan_text(Path::new("a.yml"), "a: b ; kubemagic: ignore[KM1] x\n").unwrap();
        assert!(ig.is_empty());
    }
}

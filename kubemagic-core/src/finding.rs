//! Findings: what a check or a diagnosis reports.
//!
//! A finding points at the *place that caused it* (file and line of the
//! winning variable), not merely at the host that inherits it: an operator
//! fixes files, not hosts.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::PathBuf;

/// How bad a finding is. Ordered: `Info < Warning < Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing, nothing to fix (e.g. "no fsid set: ceph-ansible
    /// generates one"). Never affects the exit code.
    Info,
    /// Questionable but what Ansible would accept: printed with its place so
    /// the operator can judge, and never a reason to stop a run (no false
    /// alarms on a clean site).
    Warning,
    /// The site or cluster is wrong in a way that breaks a deployment: the
    /// command exits 1 ([`has_errors`]) and `kubemagic run` refuses to start.
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// Where a value or a finding comes from: a file and, when known, a 1-based line.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Origin {
    /// The file as the reader opened it (the renderer shortens it relative to
    /// the site for display).
    pub file: PathBuf,
    /// 1-based, as editors count. `None` when the source has no lines to
    /// point at (a JSON document from a cluster, a value from the command
    /// line) rather than a made-up line 0 or 1.
    pub line: Option<u32>,
    /// 1-based column, where the reader knows it (YAML does, INI does not):
    /// Ansible 2.19 points at `FILE:LINE:COL` too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub col: Option<u32>,
}

impl Origin {
    /// An origin from anything path-like, so callers holding a `&Path`, a
    /// `String` or a `PathBuf` need no conversion at each call.
    pub fn new(file: impl Into<PathBuf>, line: Option<u32>) -> Self {
        Origin {
            file: file.into(),
            line,
            col: None,
        }
    }

    /// The same origin at column `col` of its line.
    pub fn with_col(mut self, col: u32) -> Self {
        self.col = Some(col);
        self
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.col) {
            (Some(line), Some(col)) => write!(f, "{}:{line}:{col}", self.file.display()),
            (Some(line), None) => write!(f, "{}:{}", self.file.display(), line),
            (None, _) => write!(f, "{}", self.file.display()),
        }
    }
}

/// One diagnostic: what a check, a diagnosis or a validation reports.
///
/// It points at the file and line of the *winning* variable (the definition
/// Ansible's precedence actually uses), not at the first or every definition
/// nor merely at the host: an operator fixes files, and editing a definition
/// that loses to another changes nothing. `host` and `group` then say whom
/// the value reaches.
///
/// Flat, owned and serde-friendly on purpose, so the same value goes to the
/// terminal ([`crate::render::text`]), to editors and CI
/// ([`crate::render::line`]), to `--output json` and to Python unchanged.
///
/// Serialises as
/// `{"code","severity","message","file","line","host","group","variable"}`
/// with absent fields as `null`, the shape every kubemagic command emits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable code, e.g. `KM101`; documented in `docs/checks.md`.
    pub code: String,
    /// How bad it is; decides the exit code (see [`Severity`]).
    pub severity: Severity,
    /// One sentence saying what is wrong and, where known, what to write
    /// instead. Rendered through [`crate::redact()`], so it may quote values.
    pub message: String,
    /// The file that caused the finding (the winning variable's), or `None`
    /// for a finding about the cluster as a whole (e.g. a member list).
    pub file: Option<PathBuf>,
    /// 1-based line in `file`; `None` when the source has no line to give.
    pub line: Option<u32>,
    /// The inventory host the finding is about, when it is about one host.
    pub host: Option<String>,
    /// The inventory group, when the finding is about a group (e.g. an even
    /// number of Ceph monitors in `mons`).
    pub group: Option<String>,
    /// The variable involved, e.g. `etcd_quota_backend_bytes`: lets a reader
    /// grep the site for every definition, not only the winning one.
    pub variable: Option<String>,
}

impl Finding {
    /// A finding with no place yet; chain [`Finding::at`], [`Finding::host`],
    /// [`Finding::group`] and [`Finding::variable`] to add what is known.
    /// A builder rather than a struct literal so that adding a field later
    /// does not touch every check.
    pub fn new(code: impl Into<String>, severity: Severity, message: impl Into<String>) -> Self {
        Finding {
            code: code.into(),
            severity,
            message: message.into(),
            file: None,
            line: None,
            host: None,
            group: None,
            variable: None,
        }
    }
    /// Shorthand for [`Finding::new`] with [`Severity::Error`].
    pub fn error(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Error, message)
    }
    /// Shorthand for [`Finding::new`] with [`Severity::Warning`].
    pub fn warning(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Warning, message)
    }
    /// Shorthand for [`Finding::new`] with [`Severity::Info`].
    pub fn info(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Info, message)
    }
    /// Points the finding at `origin` (file and line). Takes an `Option` so a
    /// check can pass the origin of a variable straight through: a value with
    /// no known origin leaves the finding unplaced instead of inventing one.
    pub fn at(mut self, origin: Option<&Origin>) -> Self {
        if let Some(o) = origin {
            self.file = Some(o.file.clone());
            self.line = o.line;
        }
        self
    }
    /// Names the host the finding is about.
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.host = Some(host.into());
        self
    }
    /// Names the group the finding is about.
    pub fn group(mut self, group: impl Into<String>) -> Self {
        self.group = Some(group.into());
        self
    }
    /// Names the variable involved.
    pub fn variable(mut self, variable: impl Into<String>) -> Self {
        self.variable = Some(variable.into());
        self
    }
    /// The place as an [`Origin`], or `None` when the finding has no file
    /// (a line without a file is meaningless and is dropped).
    pub fn origin(&self) -> Option<Origin> {
        self.file
            .as_ref()
            .map(|f| Origin::new(f.clone(), self.line))
    }
}

/// True when any finding is an error: the CLI then exits 1.
pub fn has_errors(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.severity == Severity::Error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finding_serialises_absent_fields_as_null() {
        let f = Finding::error("KM101", "quota too small").variable("etcd_quota_backend_bytes");
        let v = serde_json::to_value(&f).unwrap();
        assert_eq!(v["severity"], "error");
        assert!(v["file"].is_null());
        assert!(v["line"].is_null());
        assert_eq!(v["variable"], "etcd_quota_backend_bytes");
    }

    #[test]
    fn severity_orders_info_below_error() {
        assert!(Severity::Info < Severity::Warning && Severity::Warning < Severity::Error);
    }
}

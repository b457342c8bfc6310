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
    Info,
    Warning,
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
    pub file: PathBuf,
    pub line: Option<u32>,
}

impl Origin {
    pub fn new(file: impl Into<PathBuf>, line: Option<u32>) -> Self {
        Origin {
            file: file.into(),
            line,
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}", self.file.display(), line),
            None => write!(f, "{}", self.file.display()),
        }
    }
}

/// One diagnostic. Serialises as
/// `{"code","severity","message","file","line","host","group","variable"}`
/// with absent fields as `null`, the shape every kubemagic command emits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable code, e.g. `KM101`; documented in `docs/checks.md`.
    pub code: String,
    pub severity: Severity,
    pub message: String,
    pub file: Option<PathBuf>,
    pub line: Option<u32>,
    pub host: Option<String>,
    pub group: Option<String>,
    pub variable: Option<String>,
}

impl Finding {
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
    pub fn error(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Error, message)
    }
    pub fn warning(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Warning, message)
    }
    pub fn info(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Info, message)
    }
    pub fn at(mut self, origin: Option<&Origin>) -> Self {
        if let Some(o) = origin {
            self.file = Some(o.file.clone());
            self.line = o.line;
        }
        self
    }
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.host = Some(host.into());
        self
    }
    pub fn group(mut self, group: impl Into<String>) -> Self {
        self.group = Some(group.into());
        self
    }
    pub fn variable(mut self, variable: impl Into<String>) -> Self {
        self.variable = Some(variable.into());
        self
    }
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

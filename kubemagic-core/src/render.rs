//! The one finding renderer: every command, the Python module and the
//! Ansible collection print findings through these functions, so a finding
//! reads the same wherever it shows up and every message passes through
//! [`crate::redact()`] on its way out.
//!
//! Three shapes, as linters offer them (ansible-lint's `-f`):
//! - [`text`]: grouped by file, for a person at a terminal;
//! - [`line()`]: one `FILE:LINE:COL: severity: CODE message` per finding, the
//!   form editors and CI annotators parse;
//! - [`json`]: the serialised [`Finding`] list, redacted.

use crate::finding::{Finding, Severity};
use crate::redact::redact;
use std::path::Path;

/// How [`text`] prints.
#[derive(Debug, Clone, Default)]
pub struct TextOptions<'a> {
    /// ANSI colours (the CLI sets it for a terminal without `NO_COLOR`).
    pub color: bool,
    /// Paths under this directory are printed relative to it: shorter to read.
    pub relative_to: Option<&'a Path>,
}

/// A finding with its message redacted: what JSON output and Python receive.
pub fn redacted(f: &Finding) -> Finding {
    let mut f = f.clone();
    if let std::borrow::Cow::Owned(m) = redact(&f.message) {
        f.message = m;
    }
    f
}

/// The findings as the JSON list every command emits under `findings`.
pub fn json(findings: &[Finding]) -> serde_json::Value {
    serde_json::Value::Array(
        findings
            .iter()
            .map(|f| serde_json::to_value(redacted(f)).unwrap_or(serde_json::Value::Null))
            .collect(),
    )
}

/// How many findings [`nagios`] lists in the long output: a monitoring
/// system's notification should stay readable; the rest is a count.
pub const NAGIOS_LONG_LINES: usize = 10;

/// Findings as a Monitoring Plugins check (`kubemagic check --output
/// nagios`): CRITICAL when any is an error, WARNING when any is a warning,
/// else OK; the counts as perfdata; the first [`NAGIOS_LONG_LINES`] findings,
/// most severe first, as long output in the [`line()`] form.
pub fn nagios(service: &str, findings: &[Finding]) -> crate::nagios::PluginOutput {
    use crate::nagios::{Perf, PluginOutput, State, Uom};
    let (errors, warnings) = counts(findings);
    let state = if errors > 0 {
        State::Critical
    } else if warnings > 0 {
        State::Warning
    } else {
        State::Ok
    };
    let mut sorted: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.severity > Severity::Info)
        .collect();
    sorted.sort_by_key(|f| std::cmp::Reverse(f.severity));
    let mut long: Vec<String> = sorted
        .iter()
        .take(NAGIOS_LONG_LINES)
        .map(|f| line(f))
        .collect();
    if sorted.len() > NAGIOS_LONG_LINES {
        long.push(format!("... and {} more", sorted.len() - NAGIOS_LONG_LINES));
    }
    PluginOutput {
        service: service.to_string(),
        state,
        summary: summary(findings),
        perfdata: vec![
            Perf::new("errors", Some(errors as f64), Uom::None)
                .thresholds(None, Some(1.0))
                .bounds(Some(0.0), None),
            Perf::new("warnings", Some(warnings as f64), Uom::None)
                .thresholds(Some(1.0), None)
                .bounds(Some(0.0), None),
        ],
        long,
    }
}

/// One line: `FILE:LINE:COL: severity: CODE message (host H)`. The column is
/// 1 when the line is known (findings point at a variable's line), and file,
/// line and column are left out when unknown.
pub fn line(f: &Finding) -> String {
    let mut s = String::new();
    if let Some(file) = &f.file {
        s.push_str(&file.display().to_string());
        if let Some(l) = f.line {
            s.push_str(&format!(":{l}:1"));
        }
        s.push_str(": ");
    }
    s.push_str(&format!(
        "{}: {} {}",
        f.severity,
        f.code,
        redact(&f.message)
    ));
    let ctx = context(f);
    if !ctx.is_empty() {
        s.push_str(&format!(" [{}]", ctx.join(", ")));
    }
    s
}

fn context(f: &Finding) -> Vec<String> {
    let mut ctx = Vec::new();
    if let Some(h) = &f.host {
        ctx.push(format!("host {h}"));
    }
    if let Some(g) = &f.group {
        ctx.push(format!("group {g}"));
    }
    if let Some(v) = &f.variable {
        ctx.push(format!("variable {v}"));
    }
    ctx
}

/// ANSI styles, written by hand: four escape sequences do not need a crate.
struct Style {
    on: bool,
}

impl Style {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn severity(&self, sev: Severity) -> String {
        match sev {
            Severity::Error => self.paint("1;31", "error"),
            Severity::Warning => self.paint("1;33", "warning"),
            Severity::Info => self.paint("1;36", "info"),
        }
    }
}

/// The count line: `N errors, M warnings`.
pub fn summary(findings: &[Finding]) -> String {
    let (errors, warnings) = counts(findings);
    format!(
        "{errors} error{}, {warnings} warning{}",
        if errors == 1 { "" } else { "s" },
        if warnings == 1 { "" } else { "s" }
    )
}

fn counts(findings: &[Finding]) -> (usize, usize) {
    let errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    let warnings = findings
        .iter()
        .filter(|f| f.severity == Severity::Warning)
        .count();
    (errors, warnings)
}

/// Findings grouped by file (in the order given), then the summary line.
pub fn text(findings: &[Finding], opts: &TextOptions<'_>) -> String {
    let st = Style { on: opts.color };
    let mut s = String::new();
    let mut current: Option<Option<&std::path::PathBuf>> = None;
    for f in findings {
        if current != Some(f.file.as_ref()) {
            current = Some(f.file.as_ref());
            if !s.is_empty() {
                s.push('\n');
            }
            let title = f
                .file
                .as_deref()
                .map(|p| display_path(p, opts.relative_to))
                .unwrap_or_else(|| "(site)".into());
            s.push_str(&st.paint("1", &title));
            s.push('\n');
        }
        let line = f
            .line
            .map(|l| format!("{l:>4}: "))
            .unwrap_or_else(|| "      ".into());
        s.push_str(&format!(
            "  {line}{} {} {}",
            st.severity(f.severity),
            st.paint("2", &f.code),
            redact(&f.message)
        ));
        let ctx = context(f);
        if !ctx.is_empty() {
            s.push_str(&st.paint("2", &format!(" [{}]", ctx.join(", "))));
        }
        s.push('\n');
    }
    if !s.is_empty() {
        s.push('\n');
    }
    let (errors, warnings) = counts(findings);
    let summary = summary(findings);
    s.push_str(&if errors > 0 {
        st.paint("1;31", &summary)
    } else if warnings > 0 {
        st.paint("1;33", &summary)
    } else {
        st.paint("1;32", &summary)
    });
    s.push('\n');
    s
}

fn display_path(p: &Path, base: Option<&Path>) -> String {
    base.and_then(|b| p.strip_prefix(b).ok())
        .map(|r| r.display().to_string())
        .unwrap_or_else(|| p.display().to_string())
}

/// One line, `FILE:LINE:COL: severity: CODE message`: the shared renderer's
/// [`line()`], redacted.
impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&line(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Origin;

    fn sample() -> Vec<Finding> {
        vec![
            Finding::error("KM101", "small")
                .at(Some(&Origin::new("/a.yml", Some(3))))
                .host("m1"),
            Finding::warning("KM112", "few").at(Some(&Origin::new("/a.yml", Some(9)))),
            Finding::warning("KM501", "branch").at(Some(&Origin::new("/b.yml", None))),
        ]
    }

    #[test]
    fn text_groups_by_file_and_is_plain_without_color() {
        let f = sample();
        let t = text(&f, &TextOptions::default());
        assert!(!t.contains('\x1b'));
        assert_eq!(t.matches("/a.yml").count(), 1);
        assert!(t.contains("     3: error KM101 small [host m1]"));
        assert!(t.ends_with("1 error, 2 warnings\n"));
        let colored = text(
            &f,
            &TextOptions {
                color: true,
                relative_to: None,
            },
        );
        assert!(colored.contains("\x1b[1;31merror"));
    }

    #[test]
    fn line_is_file_line_col_for_editors() {
        let f = sample();
        assert_eq!(line(&f[0]), "/a.yml:3:1: error: KM101 small [host m1]");
        assert_eq!(line(&f[2]), "/b.yml: warning: KM501 branch");
        assert_eq!(line(&Finding::info("KM1", "x")), "info: KM1 x");
    }

    #[test]
    fn nagios_is_critical_on_errors_warning_on_warnings_ok_otherwise() {
        use crate::nagios::State;
        let f = sample();
        let out = nagios("KUBEMAGIC", &f);
        assert_eq!(out.state, State::Critical);
        let text = out.render();
        assert!(
            text.starts_with(
                "KUBEMAGIC CRITICAL - 1 error, 2 warnings | 'errors'=1;;1;0 'warnings'=2;1;;0\n"
            ),
            "{text}"
        );
        assert!(text.contains("/a.yml:3:1: error: KM101 small [host m1]\n"));
        assert_eq!(nagios("K", &f[1..]).state, State::Warning);
        assert_eq!(nagios("K", &[]).state, State::Ok);
    }

    #[test]
    fn every_shape_redacts_url_credentials() {
        let f = vec![Finding::error(
            "KM401",
            "insecure http://u:p,w)d@reg.example/v2",
        )];
        for out in [
            text(&f, &TextOptions::default()),
            line(&f[0]),
            json(&f).to_string(),
        ] {
            assert!(!out.contains("p,w)d"), "{out}");
            assert!(out.contains("http://***@reg.example/v2"), "{out}");
        }
    }
}

//! The one finding renderer: every command, the Python module and the
//! Ansible collection print findings through these functions, so a finding
//! reads the same wherever it shows up and every message passes through
//! [`crate::redact()`] on its way out.
//!
//! Three shapes, as linters offer them (ansible-lint's `-f`):
//! - [`text`]: grouped by file, for a person at a terminal;
//! - [`line()`]: one `FILE:LINE:COL: severity: CODE message` per finding, the
//!   form editors and CI annotators parse;
//! - [`json`]: the serialised [`Finding`] list, redacted;
//! - [`sarif`]: a SARIF 2.1.0 log, for code-scanning annotations;
//! - [`github()`]: GitHub Actions workflow commands (`::error file=,line=::`).

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

/// Accepted findings for a person (`kubemagic check -v`): each in the
/// [`line()`] form, then where it was accepted and why. Empty when there
/// are none.
pub fn accepted_text(items: &[(&Finding, &str, &crate::Origin)], opts: &TextOptions<'_>) -> String {
    if items.is_empty() {
        return String::new();
    }
    let st = Style { on: opts.color };
    let mut s = format!("\n{}\n", st.paint("1", "accepted (not counted):"));
    for (f, reason, at) in items {
        let mut f = (*f).clone();
        if let Some(file) = &f.file {
            f.file = Some(display_path(file, opts.relative_to).into());
        }
        let at_file = display_path(&at.file, opts.relative_to);
        let at_line = at.line.map(|l| format!(":{l}")).unwrap_or_default();
        s.push_str(&format!(
            "  {}\n      {} {at_file}{at_line}: {}\n",
            line(&f),
            st.paint("2", "accepted at"),
            redact(reason)
        ));
    }
    s
}

/// A rule (finding code) as SARIF's `tool.driver.rules` describes it.
#[derive(Debug, Clone, Default)]
pub struct RuleInfo {
    /// One line: what the code reports.
    pub title: String,
    /// Where the code is documented, if anywhere reachable.
    pub help_uri: Option<String>,
}

/// What [`sarif`] says about the tool and where paths are relative to.
#[derive(Debug, Clone, Default)]
pub struct SarifOptions<'a> {
    /// The tool's version (`kubemagic --version`).
    pub version: &'a str,
    /// Paths under this directory become relative URIs (what code scanning
    /// maps onto the repository); others stay absolute.
    pub relative_to: Option<&'a Path>,
}

/// A finding the site accepted, for SARIF's `suppressions`: the finding and
/// the reason given.
pub type Accepted<'a> = (&'a Finding, &'a str);

/// The SARIF 2.1.0 level of a severity: `error`, `warning`, `note`.
fn sarif_level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

fn sarif_result(f: &Finding, opts: &SarifOptions<'_>, reason: Option<&str>) -> serde_json::Value {
    use serde_json::json;
    let mut text = redact(&f.message).into_owned();
    let ctx = context(f);
    if !ctx.is_empty() {
        text.push_str(&format!(" [{}]", ctx.join(", ")));
    }
    let mut r = json!({
        "ruleId": f.code,
        "level": sarif_level(f.severity),
        "message": {"text": text},
    });
    if let Some(file) = &f.file {
        let uri = display_path(file, opts.relative_to);
        let mut loc = json!({"artifactLocation": {"uri": uri}});
        if let Some(line) = f.line.filter(|l| *l >= 1) {
            loc["region"] = json!({"startLine": line, "startColumn": 1});
        }
        r["locations"] = json!([{"physicalLocation": loc}]);
    }
    if let Some(reason) = reason {
        r["suppressions"] = json!([{
            "kind": "external",
            "justification": redact(reason),
        }]);
    }
    r
}

/// Findings (and the accepted ones, as suppressed results) as one SARIF
/// 2.1.0 log (OASIS `sarif-schema-2.1.0.json`), the format code-scanning
/// services (GitHub's `upload-sarif`, GitLab, Azure DevOps) annotate from.
/// `rule` gives each code's title; every code present is listed once under
/// `tool.driver.rules`. Messages are redacted.
pub fn sarif(
    findings: &[Finding],
    accepted: &[Accepted<'_>],
    rule: impl Fn(&str) -> RuleInfo,
    opts: &SarifOptions<'_>,
) -> serde_json::Value {
    use serde_json::json;
    let mut codes: Vec<&str> = findings
        .iter()
        .chain(accepted.iter().map(|(f, _)| *f))
        .map(|f| f.code.as_str())
        .collect();
    codes.sort_unstable();
    codes.dedup();
    let rules: Vec<serde_json::Value> = codes
        .iter()
        .map(|c| {
            let info = rule(c);
            let mut r = json!({"id": c, "shortDescription": {"text": info.title}});
            if let Some(u) = info.help_uri {
                r["helpUri"] = json!(u);
            }
            r
        })
        .collect();
    let mut results: Vec<serde_json::Value> = findings
        .iter()
        .map(|f| sarif_result(f, opts, None))
        .collect();
    results.extend(
        accepted
            .iter()
            .map(|(f, reason)| sarif_result(f, opts, Some(reason))),
    );
    json!({
        "$schema": "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "kubemagic",
                "version": opts.version,
                "rules": rules,
            }},
            "results": results,
        }],
    })
}

/// GitHub's escaping of a workflow command's message (`%`, CR, LF).
fn gh_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// GitHub's escaping of a workflow command's property (also `:` and `,`).
fn gh_property(s: &str) -> String {
    gh_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// One GitHub Actions workflow command per finding:
/// `::error file=F,line=L,col=1,title=KM101::message`, which the runner
/// turns into an annotation on that line of the pull request. Info
/// findings are `::notice`. Messages are redacted.
pub fn github(findings: &[Finding], relative_to: Option<&Path>) -> String {
    let mut s = String::new();
    for f in findings {
        let level = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let mut props = Vec::new();
        if let Some(file) = &f.file {
            props.push(format!(
                "file={}",
                gh_property(&display_path(file, relative_to))
            ));
            if let Some(l) = f.line {
                props.push(format!("line={l}"));
                props.push("col=1".to_string());
            }
        }
        props.push(format!("title={}", gh_property(&f.code)));
        let mut msg = format!("{} {}", f.code, redact(&f.message));
        let ctx = context(f);
        if !ctx.is_empty() {
            msg.push_str(&format!(" [{}]", ctx.join(", ")));
        }
        s.push_str(&format!(
            "::{level} {}::{}\n",
            props.join(","),
            gh_data(&msg)
        ));
    }
    s
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
    fn sarif_lists_rules_results_and_accepted_findings_as_suppressed() {
        let f = sample();
        let acc = Finding::warning("KM102", "big").at(Some(&Origin::new("/a.yml", Some(7))));
        let log = sarif(
            &f,
            &[(&acc, "on purpose")],
            |c| RuleInfo {
                title: format!("title of {c}"),
                help_uri: None,
            },
            &SarifOptions {
                version: "1.0",
                relative_to: Some(Path::new("/")),
            },
        );
        assert_eq!(log["version"], "2.1.0");
        let run = &log["runs"][0];
        assert_eq!(run["tool"]["driver"]["rules"].as_array().unwrap().len(), 4);
        let r0 = &run["results"][0];
        assert_eq!(r0["ruleId"], "KM101");
        assert_eq!(r0["level"], "error");
        let loc = &r0["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uri"], "a.yml");
        assert_eq!(loc["region"]["startLine"], 3);
        assert!(run["results"][2]["locations"][0]["physicalLocation"]
            .get("region")
            .is_none());
        assert_eq!(
            run["results"][3]["suppressions"][0]["justification"],
            "on purpose"
        );
    }

    #[test]
    fn github_commands_annotate_file_and_line_and_escape() {
        let f = vec![
            Finding::error("KM101", "50% full\nnext").at(Some(&Origin::new("/s/a,b.yml", Some(3)))),
            Finding::info("KM503", "unknown"),
        ];
        let out = github(&f, Some(Path::new("/s")));
        assert_eq!(
            out,
            "::error file=a%2Cb.yml,line=3,col=1,title=KM101::KM101 50%25 full%0Anext\n\
             ::notice title=KM503::KM503 unknown\n"
        );
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
            github(&f, None),
            sarif(&f, &[], |_| RuleInfo::default(), &SarifOptions::default()).to_string(),
        ] {
            assert!(!out.contains("p,w)d"), "{out}");
            assert!(out.contains("http://***@reg.example/v2"), "{out}");
        }
    }
}

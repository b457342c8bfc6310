//! The report writers: text for people, the JSON or YAML document for
//! scripts, Monitoring Plugins output for Nagios. Every one writes through
//! a [`RedactingWriter`], and none has anything secret to write: private
//! keys are never read into a report (see [`crate::pem`],
//! [`crate::kubeconfig`]).

use crate::model::{Certificate, Skipped, Thresholds};
use kubemagic_core::nagios::{Perf, PluginOutput, State, Uom};
use kubemagic_core::render::TextOptions;
use kubemagic_core::Finding;
use kubemagic_core::RedactingWriter;
use serde::Serialize;
use std::io::{self, Write};

/// The whole report of `certs check` or `certs probe`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Report {
    /// Every certificate read, nearest expiry first.
    pub certificates: Vec<Certificate>,
    /// What is wrong with them.
    pub findings: Vec<Finding>,
    /// Private keys recognised and skipped (path only).
    pub skipped: Vec<Skipped>,
    /// The renewal, when asked for (`--plan`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<crate::plan::Plan>,
    /// The time the report was decided at, RFC 3339.
    pub at: String,
    /// The thresholds used.
    pub thresholds: Thresholds,
}

impl Report {
    /// Whether any finding is an error (exit 1).
    pub fn has_errors(&self) -> bool {
        kubemagic_core::finding::has_errors(&self.findings)
    }

    /// The certificate nearest its expiry, if any.
    pub fn nearest(&self) -> Option<&Certificate> {
        self.certificates.iter().min_by_key(|c| c.not_after_ts)
    }
}

/// How to write a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A table nearest expiry first, the plan, then the findings.
    Text,
    /// `{"certificates": [...], "findings": [...], ...}`.
    Json,
    /// The same document as YAML.
    Yaml,
    /// One Monitoring Plugins status line by the nearest expiry, perfdata
    /// `days_left`.
    Nagios,
}

/// The service name the plugin output starts with.
pub const NAGIOS_SERVICE: &str = "CERTS";

/// Writes `report` in `format`.
pub fn write<W: Write>(
    report: &Report,
    format: Format,
    out: &mut RedactingWriter<W>,
) -> io::Result<()> {
    match format {
        Format::Json => out.write_json(report),
        Format::Yaml => {
            let mut v = serde_json::to_value(report).map_err(io::Error::other)?;
            out.redactor().redact_json(&mut v);
            let text = serde_yaml_ng::to_string(&v).map_err(io::Error::other)?;
            out.write_all(text.as_bytes())
        }
        Format::Nagios => out.write_all(nagios(report).render().as_bytes()),
        Format::Text => text(report, out),
    }
}

/// The process exit code for `report` written in `format`: the plugin
/// state for Nagios, else 1 when a finding is an error, 0 otherwise.
pub fn exit_code(report: &Report, format: Format) -> u8 {
    match format {
        Format::Nagios => nagios(report).state.code(),
        _ if report.has_errors() => 1,
        _ => 0,
    }
}

/// The plugin output: CRITICAL on any error finding (expired, within the
/// critical days, a broken chain, a missing SAN), WARNING on any warning,
/// else OK; UNKNOWN when no certificate was read and nothing failed. The
/// summary names the certificate nearest its expiry, whose days left are
/// the perfdata.
pub fn nagios(report: &Report) -> PluginOutput {
    let base = kubemagic_core::render::nagios(NAGIOS_SERVICE, &report.findings);
    let Some(near) = report.nearest() else {
        // Endpoints that could not be probed are errors (CRITICAL); nothing
        // read and nothing wrong is a check that could not decide.
        if report.has_errors() {
            return PluginOutput {
                summary: format!("no certificate read; {}", base.summary),
                ..base
            };
        }
        return PluginOutput::unknown(NAGIOS_SERVICE, "no certificate found");
    };
    let state: State = base.state;
    let what = match &near.name {
        Some(n) => format!("{} [{n}]", near.path),
        None => near.path.clone(),
    };
    let summary = format!(
        "{} certificate(s), nearest expiry in {} day(s): {what} ({}); {}",
        report.certificates.len(),
        near.days_left,
        near.subject,
        kubemagic_core::render::summary(&report.findings)
    );
    let mut perfdata = vec![
        Perf::new("days_left", Some(near.days_left as f64), Uom::None).thresholds(
            Some(report.thresholds.warning_days as f64),
            Some(report.thresholds.critical_days as f64),
        ),
    ];
    perfdata.extend(base.perfdata);
    PluginOutput {
        service: NAGIOS_SERVICE.into(),
        state,
        summary,
        perfdata,
        long: base.long,
    }
}

fn text<W: Write>(report: &Report, out: &mut RedactingWriter<W>) -> io::Result<()> {
    writeln!(
        out,
        "{:>5}  {:<20}  {:<11}  {:<15}  PATH  SUBJECT",
        "DAYS", "NOT AFTER", "CHAIN", "KIND"
    )?;
    for c in &report.certificates {
        let path = match &c.name {
            Some(n) => format!("{} [{n}]", c.path),
            None => c.path.clone(),
        };
        writeln!(
            out,
            "{:>5}  {:<20}  {:<11}  {:<15}  {path}  {}",
            c.days_left,
            c.not_after,
            c.chain.word(),
            c.kind.as_str(),
            c.subject
        )?;
    }
    if !report.skipped.is_empty() {
        writeln!(
            out,
            "\n{} private key file(s) recognised and skipped (never read into a report)",
            report.skipped.len()
        )?;
    }
    if let Some(plan) = &report.plan {
        writeln!(
            out,
            "\nRenewal ({} {}):",
            plan.stack.name(),
            plan.release.as_deref().unwrap_or("release unknown")
        )?;
        for (i, s) in plan.steps.iter().enumerate() {
            let due = if s.due { "DUE" } else { "not due" };
            writeln!(out, "{}. [{due}] {} (on {})", i + 1, s.title, s.on)?;
            for c in &s.commands {
                writeln!(out, "     {c}")?;
            }
            writeln!(out, "     source: {}", s.source)?;
        }
    }
    writeln!(out)?;
    let opts = TextOptions::default();
    out.write_all(kubemagic_core::render::text(&report.findings, &opts).as_bytes())
}

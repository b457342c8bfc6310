//! Every Ceph report as text, JSON, YAML or a Monitoring Plugins check,
//! written through the one redacting writer.
//!
//! The CLI and Python only choose the [`Format`] and the destination (stdout,
//! stderr, a `Vec<u8>`): the words are here, so `kubemagic ceph ...` and
//! `kubemagic.ceph.*` print the same text, and no report can reach a screen
//! without [`RedactingWriter`] (the type of every writer below). The
//! [`redactor`] knows the admin's key beside the patterns, so even a report
//! that quoted it by mistake would print `***`.

use crate::cli::Connection;
use crate::leftovers::LeftoversReport;
use crate::prepare::{PrepareReport, PrepareRequest};
use crate::render::Rendered;
use crate::validate::ValidateReport;
use kubemagic_core::nagios::PluginOutput;
use kubemagic_core::{Finding, RedactingWriter, Redactor};
use std::io::{self, Write};

/// How a report is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// For people.
    Text,
    /// The report's JSON document (the `--output json` contract).
    Json,
    /// The same document as YAML; `render` writes its YAML stream.
    Yaml,
    /// A Monitoring Plugins check (the commands that are checks).
    Nagios,
}

/// The redaction of Ceph reports: the patterns, plus the key of the
/// connection's own entity (`--name` in `--keyring`) when it can be read.
/// A keyring that cannot be read adds nothing here: the command itself
/// reports it.
pub fn redactor(conn: &Connection) -> Redactor {
    let mut r = Redactor::new();
    if let Some(path) = &conn.keyring {
        if let Ok(kr) = crate::keyring::Keyring::read(path) {
            let entity = conn.name.as_deref().unwrap_or("client.admin");
            if let Some(key) = kr.entries.get(entity) {
                r.add_secret(key.expose().trim());
            }
        }
    }
    r
}

/// A report as a JSON or YAML document, every string redacted first.
pub fn write_document<W: Write, T: serde::Serialize>(
    w: &mut RedactingWriter<W>,
    value: &T,
    format: Format,
) -> io::Result<()> {
    if format != Format::Yaml {
        return w.write_json(value);
    }
    let mut v = serde_json::to_value(value).map_err(io::Error::other)?;
    w.redactor().redact_json(&mut v);
    let text = serde_yaml_ng::to_string(&v).map_err(io::Error::other)?;
    w.write_document(&text)
}

/// Findings one per line (`FILE:LINE: severity CODE message`): the notes of
/// `prepare` and `render`, which the CLI writes on stderr.
pub fn write_findings<W: Write>(
    w: &mut RedactingWriter<W>,
    findings: &[Finding],
) -> io::Result<()> {
    for f in findings {
        writeln!(w, "{f}")?;
    }
    Ok(())
}

/// `prepare`'s report: what ran (or would), where the keys are. The notes
/// are written by [`write_findings`] where the caller wants them.
pub fn write_prepare<W: Write>(
    w: &mut RedactingWriter<W>,
    report: &PrepareReport,
    req: &PrepareRequest,
    format: Format,
) -> io::Result<()> {
    if format != Format::Text {
        return write_document(w, report, format);
    }
    let verb = if report.dry_run { "would" } else { "did" };
    for a in &report.actions {
        writeln!(w, "{verb}: {}  ({})", a.describe(), a.command())?;
    }
    if report.actions.is_empty() {
        writeln!(
            w,
            "no change: pool {}, {} already prepared",
            req.pool,
            req.client.entity()
        )?;
    }
    for k in &report.keys {
        writeln!(
            w,
            "key of {}: in the monitors' auth database; read it with `{}`",
            k.entity, k.read_with
        )?;
    }
    Ok(())
}

/// `render`: the YAML stream or the commands (text and YAML), or the JSON
/// document. Its findings go through [`write_findings`].
///
/// The YAML stream is a document kubemagic serialised: its keys are the
/// schema (`provisioner-secret-name` names a Secret), so it is masked with
/// [`RedactingWriter::write_document`] (known secrets, userinfo), the
/// commands line by line like any text.
pub fn write_render<W: Write>(
    w: &mut RedactingWriter<W>,
    rendered: &Rendered,
    format: Format,
) -> io::Result<()> {
    match format {
        Format::Json => w.write_json(rendered),
        _ if rendered.commands.is_some() => w.write_all(rendered.text.as_bytes()),
        _ => w.write_document(&rendered.text),
    }
}

/// `validate`: one finding a line, or "no finding".
pub fn write_validate<W: Write>(
    w: &mut RedactingWriter<W>,
    report: &ValidateReport,
    format: Format,
) -> io::Result<()> {
    if format != Format::Text {
        return write_document(w, report, format);
    }
    write_findings(w, &report.findings)?;
    if report.findings.is_empty() {
        writeln!(w, "no finding")?;
    }
    Ok(())
}

/// `doctor` as a Monitoring Plugins check: CRITICAL on errors, WARNING on
/// warnings, the counts as perfdata.
pub fn doctor_check(report: &crate::doctor::DoctorReport) -> PluginOutput {
    kubemagic_core::render::nagios("CEPH DOCTOR", &report.findings)
}

/// `doctor`: one finding a line, then what was measured (PG budget,
/// probes) in one line each.
pub fn write_doctor<W: Write>(
    w: &mut RedactingWriter<W>,
    report: &crate::doctor::DoctorReport,
    format: Format,
) -> io::Result<()> {
    match format {
        Format::Text => {}
        Format::Nagios => return write_nagios(w, &doctor_check(report)),
        _ => return write_document(w, report, format),
    }
    write_findings(w, &report.findings)?;
    let b = &report.facts.pg_budget;
    writeln!(
        w,
        "pg budget: {} of {} PG replicas in use (mon_max_pg_per_osd {} × {} OSD(s))",
        b.in_use,
        b.max(),
        b.max_per_osd,
        b.osds_counted()
    )?;
    for p in &report.facts.probes {
        let result = if p.error.is_some() { "FAILED" } else { "ok" };
        writeln!(w, "probe as {}: {}: {result}", p.entity, p.command)?;
    }
    let (errors, warnings) = report
        .findings
        .iter()
        .fold((0, 0), |(e, wn), f| match f.severity {
            kubemagic_core::Severity::Error => (e + 1, wn),
            kubemagic_core::Severity::Warning => (e, wn + 1),
            _ => (e, wn),
        });
    if errors + warnings == 0 {
        writeln!(w, "ready: nothing stops a PVC on this cluster")?;
    } else {
        writeln!(w, "{errors} error(s), {warnings} warning(s)")?;
    }
    Ok(())
}

/// A Monitoring Plugins result (status line, perfdata, long output).
pub fn write_nagios<W: Write>(w: &mut RedactingWriter<W>, out: &PluginOutput) -> io::Result<()> {
    w.write_all(out.render().as_bytes())
}

/// `leftovers` as a check: the report's result, or UNKNOWN with the reason
/// when Kubernetes or Ceph could not be asked.
pub fn leftovers_check(result: &crate::Result<LeftoversReport>) -> PluginOutput {
    match result {
        Ok(report) => report.nagios(),
        Err(e) => PluginOutput::unknown("CEPH LEFTOVERS", e.to_string()),
    }
}

/// `leftovers`: released PVs, orphan Secrets, stale Ceph volumes, what was
/// deleted, and the Ceph-side cleanup commands.
pub fn write_leftovers<W: Write>(
    w: &mut RedactingWriter<W>,
    r: &LeftoversReport,
    format: Format,
) -> io::Result<()> {
    match format {
        Format::Text => {}
        Format::Nagios => return write_nagios(w, &r.nagios()),
        _ => return write_document(w, r, format),
    }
    if r.is_empty() {
        writeln!(w, "no provisioner leftovers")?;
    }
    write_kube_leftovers(w, r)?;
    for v in &r.stale_volumes {
        let snaps = if v.snapshots.is_empty() {
            String::new()
        } else {
            format!(" with {} snapshot(s)", v.snapshots.len())
        };
        writeln!(
            w,
            "stale {} {} of {}{snaps}: no PersistentVolume references it",
            v.kind,
            v.display(),
            v.provisioner
        )?;
    }
    for d in &r.ceph_data_deleted {
        let what = if d.existed { "deleted" } else { "already gone" };
        writeln!(w, "{what}: {}", d.volume)?;
    }
    if !r.ceph_scanned {
        writeln!(w, "(Ceph not scanned: give --ceph-conf and --keyring to find stale images and subvolumes)")?;
    }
    write_ceph_cleanup(w, r)
}

/// The Kubernetes half of [`write_leftovers`]: PVs, orphan Secrets, deletions.
fn write_kube_leftovers<W: Write>(
    w: &mut RedactingWriter<W>,
    r: &LeftoversReport,
) -> io::Result<()> {
    for v in &r.volumes {
        let secret = v
            .secret
            .as_ref()
            .map(|s| {
                format!(
                    "{}/{}{}",
                    s.namespace,
                    s.name,
                    if s.exists { "" } else { " (already gone)" }
                )
            })
            .unwrap_or_else(|| "-".into());
        writeln!(
            w,
            "PV {}: Released, reclaim policy Delete, claim {}; secret {secret}",
            v.pv,
            v.claim.as_deref().unwrap_or("-")
        )?;
    }
    for s in &r.orphan_secrets {
        writeln!(
            w,
            "orphan Secret {}/{} (its PV is gone)",
            s.namespace, s.name
        )?;
    }
    for d in &r.deleted {
        let what = if d.existed { "deleted" } else { "already gone" };
        match &d.namespace {
            Some(ns) => writeln!(w, "{what}: {} {ns}/{}", d.kind, d.name)?,
            None => writeln!(w, "{what}: {} {}", d.kind, d.name)?,
        }
    }
    Ok(())
}

/// The cephx users (and shares) the Ceph side still holds.
fn write_ceph_cleanup<W: Write>(w: &mut RedactingWriter<W>, r: &LeftoversReport) -> io::Result<()> {
    if r.ceph_cleanup.is_empty() {
        return Ok(());
    }
    writeln!(w, "Ceph side:")?;
    for c in &r.ceph_cleanup {
        let done = r
            .ceph_users_deleted
            .iter()
            .any(|u| u.entity == format!("client.{}", c.user));
        writeln!(w, "  {}{}", c.command, if done { "  (done)" } else { "" })?;
        if let Some(p) = &c.path {
            let removed = r
                .ceph_data_deleted
                .iter()
                .any(|d| p.ends_with(d.volume.rsplit(':').next().unwrap_or("")));
            if !removed {
                writeln!(w, "  share {p}: removed with `ceph fs subvolume rm` when it is /volumes/<group>/<name> (see the stale list); otherwise remove it from a CephFS mount")?;
            }
        }
    }
    Ok(())
}

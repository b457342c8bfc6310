//! The text of every etcd report, written through the one redacting writer.
//!
//! Each writer takes a `&mut RedactingWriter<W>`, never a bare
//! `io::Write`: a report quotes endpoints as they were typed (a bootstrap
//! URL may carry `user:password@`), and the writer's redactor knows those
//! credentials ([`crate::Config::redactor`]), so nothing written here can
//! reach a terminal, a file or Python unmasked. The CLI only chooses the
//! destination (stdout for reports, stderr for progress); Python gets the
//! same documents.

mod repair;
mod status;
mod upkeep;

pub use repair::{alarm_disarm, alarm_list, compact, defrag, recovery};
pub use status::status;
pub use upkeep::{maintain, snapshot, usage};

use crate::ops::Progress;
use kubemagic_core::nagios::PluginOutput;
use kubemagic_core::{ByteSize, RedactingWriter};
use std::io::{self, Write};

/// A size, or `?` when it could not be read.
pub(crate) fn size(s: Option<ByteSize>) -> String {
    s.map(|s| s.to_string()).unwrap_or_else(|| "?".into())
}

/// One progress line of a running operation (the CLI writes these to
/// stderr).
pub fn progress<W: Write>(w: &mut RedactingWriter<W>, p: &Progress) -> io::Result<()> {
    match p {
        Progress::Compacting { revision } => writeln!(w, "compacting to revision {revision}..."),
        Progress::Compacted { revision, already } => {
            if *already {
                writeln!(w, "already compacted at revision {revision}")
            } else {
                writeln!(w, "compacted to revision {revision}")
            }
        }
        Progress::DefragStart {
            endpoint,
            index,
            total,
            db_size,
        } => writeln!(
            w,
            "[{index}/{total}] defragmenting {endpoint} ({})...",
            size(*db_size)
        ),
        Progress::DefragDone {
            endpoint,
            before,
            after,
            elapsed,
        } => writeln!(
            w,
            "      {endpoint}: {} -> {} in {:.1}s",
            size(*before),
            size(*after),
            elapsed.as_secs_f64()
        ),
        Progress::Disarmed { alarm } => {
            writeln!(w, "disarmed {} of member {}", alarm.alarm, alarm.member_id)
        }
        Progress::Probed => writeln!(w, "write probe succeeded"),
    }?;
    w.flush()
}

/// Notes about how the cluster was reached (e.g. the default endpoint), one
/// line each, for stderr.
pub fn notes<W: Write>(w: &mut RedactingWriter<W>, notes: &[String]) -> io::Result<()> {
    for n in notes {
        writeln!(w, "kubemagic: {n}")?;
    }
    w.flush()
}

/// A Monitoring Plugins output: status line with perfdata, long output.
/// Labels and text are redacted like any report (a perfdata label names a
/// member by its endpoint when it has no name).
pub fn nagios<W: Write>(w: &mut RedactingWriter<W>, o: &PluginOutput) -> io::Result<()> {
    write!(w, "{}", o.render())?;
    w.flush()
}

/// A report as a JSON document (pretty, every string redacted).
pub fn json<W: Write, T: serde::Serialize>(w: &mut RedactingWriter<W>, v: &T) -> io::Result<()> {
    w.write_json(v)?;
    w.flush()
}

/// Rows aligned in columns, two spaces apart, trailing blanks trimmed.
pub(crate) fn table<W: Write>(
    w: &mut RedactingWriter<W>,
    header: &[&str],
    rows: &[Vec<String>],
) -> io::Result<()> {
    // Cells as they will be printed (masked), so that columns align.
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            r.iter()
                .map(|c| w.redactor().redact(c).into_owned())
                .collect()
        })
        .collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for r in &rows {
        for (i, c) in r.iter().enumerate() {
            if i < widths.len() {
                widths[i] = widths[i].max(c.chars().count());
            }
        }
    }
    let mut line = |cells: Vec<&str>| -> io::Result<()> {
        let parts: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c:<w$}", w = widths.get(i).copied().unwrap_or(0)))
            .collect();
        writeln!(w, "{}", parts.join("  ").trim_end())
    };
    line(header.to_vec())?;
    for r in &rows {
        line(r.iter().map(String::as_str).collect())?;
    }
    Ok(())
}

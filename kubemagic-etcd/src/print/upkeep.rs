//! The upkeep reports: `snapshot save`, `usage`, `maintain`.

use super::repair::defrag_result;
use super::table;
use crate::ops::{MaintainReport, SnapshotReport, UsageReport};
use kubemagic_core::RedactingWriter;
use std::io::{self, Write};

/// `etcd snapshot save`.
pub fn snapshot<W: Write>(w: &mut RedactingWriter<W>, r: &SnapshotReport) -> io::Result<()> {
    writeln!(
        w,
        "snapshot saved to {} ({}, revision {}, from {})\nsha256 {}",
        r.path.display(),
        r.size,
        r.revision
            .map(|r| r.to_string())
            .unwrap_or_else(|| "?".into()),
        r.endpoint,
        r.sha256
    )?;
    w.flush()
}

/// `etcd usage`: a table per resource and the total.
pub fn usage<W: Write>(w: &mut RedactingWriter<W>, r: &UsageReport) -> io::Result<()> {
    let rows: Vec<Vec<String>> = r
        .resources
        .iter()
        .map(|x| vec![x.resource.clone(), x.keys.to_string(), x.bytes.to_string()])
        .collect();
    table(w, &["RESOURCE", "KEYS", "BYTES"], &rows)?;
    writeln!(
        w,
        "total: {} keys, {} under {} at revision {} ({}{})",
        r.total_keys,
        r.total_bytes,
        r.prefix,
        r.revision,
        r.endpoint,
        if r.keys_only { ", keys only" } else { "" }
    )?;
    w.flush()
}

fn maintain_plan<W: Write>(w: &mut RedactingWriter<W>, r: &MaintainReport) -> io::Result<()> {
    let Some(p) = &r.plan else { return Ok(()) };
    if r.dry_run || r.nothing_to_do {
        writeln!(w, "plan:")?;
        if let Some(rev) = p.compact_revision {
            writeln!(w, "  compact to revision {rev}")?;
        }
        if let Some(from) = &p.snapshot_from {
            writeln!(w, "  snapshot from {from}")?;
        }
        if !p.defrag.is_empty() {
            writeln!(w, "  defragment: {}", p.defrag.join(" -> "))?;
        }
    }
    for s in &p.skipped {
        writeln!(w, "  no defrag for {}: {}", s.endpoint, s.reason)?;
    }
    Ok(())
}

fn maintain_done<W: Write>(w: &mut RedactingWriter<W>, r: &MaintainReport) -> io::Result<()> {
    if let Some(c) = &r.compacted {
        writeln!(w, "compacted to revision {}", c.revision)?;
    }
    if let Some(s) = &r.snapshot {
        writeln!(
            w,
            "snapshot {} ({}, from {}) sha256 {}",
            s.path.display(),
            s.size,
            s.endpoint,
            s.sha256
        )?;
    }
    for d in &r.removed_temporary {
        writeln!(w, "removed stale temporary file {}", d.display())?;
    }
    for d in &r.deleted_snapshots {
        writeln!(w, "deleted old snapshot {}", d.display())?;
    }
    for x in &r.defrag {
        defrag_result(w, x)?;
    }
    for e in &r.errors {
        writeln!(w, "ERROR: {e}")?;
    }
    Ok(())
}

/// `etcd maintain`: the refusal, or the plan and what was done.
pub fn maintain<W: Write>(w: &mut RedactingWriter<W>, r: &MaintainReport) -> io::Result<()> {
    if let Some(refusal) = &r.refusal {
        writeln!(w, "refused: {refusal}")?;
        return w.flush();
    }
    maintain_plan(w, r)?;
    if r.nothing_to_do {
        writeln!(w, "nothing to do")?;
    } else if r.dry_run {
        writeln!(w, "dry run: nothing changed")?;
    } else {
        maintain_done(w, r)?;
    }
    w.flush()
}

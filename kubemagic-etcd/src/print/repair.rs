//! The repairs' reports: `compact`, `defrag`, `alarm list|disarm`,
//! `recover`.

use super::size;
use crate::model::Alarm;
use crate::ops::{CompactReport, DefragReport, DefragResult, DisarmReport, RecoveryReport};
use kubemagic_core::RedactingWriter;
use std::io::{self, Write};

/// `etcd compact`.
pub fn compact<W: Write>(w: &mut RedactingWriter<W>, r: &CompactReport) -> io::Result<()> {
    if r.already_compacted {
        writeln!(
            w,
            "already compacted at or past revision {} ({})",
            r.revision, r.endpoint
        )?;
    } else {
        writeln!(w, "compacted to revision {} ({})", r.revision, r.endpoint)?;
    }
    w.flush()
}

/// One member's defragmentation, as `defrag` and `maintain` report it.
pub(crate) fn defrag_result<W: Write>(
    w: &mut RedactingWriter<W>,
    x: &DefragResult,
) -> io::Result<()> {
    match &x.error {
        Some(e) => writeln!(w, "FAILED {}: {e}", x.endpoint),
        None => writeln!(
            w,
            "defragmented {}: {} -> {} in {:.1}s",
            x.endpoint,
            size(x.before),
            size(x.after),
            x.seconds
        ),
    }
}

/// `etcd defrag`.
pub fn defrag<W: Write>(w: &mut RedactingWriter<W>, r: &DefragReport) -> io::Result<()> {
    for s in &r.skipped {
        writeln!(w, "skipped {}: {}", s.endpoint, s.reason)?;
    }
    if r.results.is_empty() && r.succeeded() {
        writeln!(w, "nothing to defragment")?;
    }
    for x in &r.results {
        defrag_result(w, x)?;
    }
    w.flush()
}

/// `etcd alarm list`.
pub fn alarm_list<W: Write>(w: &mut RedactingWriter<W>, alarms: &[Alarm]) -> io::Result<()> {
    if alarms.is_empty() {
        writeln!(w, "no alarm")?;
    }
    for a in alarms {
        writeln!(w, "memberID:{} alarm:{}", a.member_id, a.alarm)?;
    }
    w.flush()
}

/// `etcd alarm disarm`.
pub fn alarm_disarm<W: Write>(w: &mut RedactingWriter<W>, r: &DisarmReport) -> io::Result<()> {
    for a in &r.disarmed {
        writeln!(w, "disarmed memberID:{} alarm:{}", a.member_id, a.alarm)?;
    }
    for k in &r.kept {
        writeln!(
            w,
            "kept memberID:{} alarm:{} ({})",
            k.member_id, k.alarm, k.reason
        )?;
    }
    if r.disarmed.is_empty() && r.kept.is_empty() {
        writeln!(w, "no alarm to disarm")?;
    }
    for x in &r.warnings {
        writeln!(
            w,
            "warning: {x}: the alarm will be raised again at the next write"
        )?;
    }
    w.flush()
}

fn recovery_plan<W: Write>(w: &mut RedactingWriter<W>, r: &RecoveryReport) -> io::Result<()> {
    let Some(p) = &r.plan else { return Ok(()) };
    if p.nothing_to_repair {
        return Ok(());
    }
    writeln!(w, "plan:")?;
    writeln!(w, "  1. status: every member healthy, quorum present")?;
    writeln!(
        w,
        "  2. compact to revision {} (physical)",
        p.compact_revision
    )?;
    writeln!(
        w,
        "  3. defragment one by one, followers first: {}",
        p.defrag.order.join(" -> ")
    )?;
    for s in &p.defrag.skipped {
        writeln!(w, "     skip {}: {}", s.endpoint, s.reason)?;
    }
    if p.disarm.is_empty() {
        writeln!(w, "  4. disarm: no NOSPACE alarm raised")?;
    } else {
        let list: Vec<String> = p
            .disarm
            .iter()
            .map(|a| format!("{} of {}", a.alarm, a.member_id))
            .collect();
        writeln!(
            w,
            "  4. disarm {} once every member is below 90 % of its quota",
            list.join(", ")
        )?;
    }
    writeln!(
        w,
        "  5. prove a write works under {}",
        crate::ops::PROBE_PREFIX
    )
}

/// `etcd recover`: the plan, the steps as they ran, the outcome, the root
/// cause and the lasting fix.
pub fn recovery<W: Write>(w: &mut RedactingWriter<W>, r: &RecoveryReport) -> io::Result<()> {
    recovery_plan(w, r)?;
    if !r.dry_run || r.refusal.is_some() || r.nothing_to_repair() {
        for s in &r.steps {
            let mark = if s.ok { "ok  " } else { "FAIL" };
            writeln!(w, "{mark} {}: {}", s.step, s.detail)?;
        }
    }
    if let Some(refusal) = &r.refusal {
        writeln!(w, "refused: {refusal}")?;
    }
    if let Some(stop) = &r.stopped {
        writeln!(w, "STOPPED: {stop}")?;
    }
    if r.nothing_to_repair() {
        writeln!(w, "nothing to repair: nothing changed")?;
    } else if r.dry_run && r.refusal.is_none() {
        writeln!(w, "dry run: nothing changed")?;
    } else if r.succeeded() {
        writeln!(w, "recovered: writes work and no alarm is left")?;
    }
    writeln!(w, "root cause:")?;
    for c in &r.root_cause {
        writeln!(w, "  - {c}")?;
    }
    writeln!(w, "fix: {}", r.fix)?;
    w.flush()
}

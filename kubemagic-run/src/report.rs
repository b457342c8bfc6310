//! The text of `kubemagic plan`, `run` and `init`: the plan, the progress
//! lines of a run, its summary, the pre-run check's errors, the upstreams
//! synced. Every writer here takes a
//! [`RedactingWriter`](kubemagic_core::RedactingWriter), so nothing reaches
//! a terminal, a file or a Python string without the one redaction; the
//! front end only picks the destination.
//!
//! Commands are shown as shell lines ([`shell_line`]): each argument masked
//! first, then quoted so that the line pastes into a shell *and* reads the
//! same after the writer's own redaction of the whole line (a masked
//! `ansible_become_password=***`, quoted naively as
//! `'ansible_become_password=***'`, would lose its closing quote to it).

use crate::init::{SyncAction, UpstreamSync};
use crate::runner::{PhaseStatus, RunEvent, RunOutcome, RunReport, StepStatus};
use kubemagic_core::phase::Plan;
use kubemagic_core::redact::{redact, redact_argv, MASK};
use kubemagic_core::{Finding, RedactingWriter, Severity};
use std::io::{self, Write};

/// Characters a shell word may hold unquoted.
fn plain(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c)
}

/// `s` single-quoted (a `'` inside as `'\''`), or as is when nothing in it
/// needs quoting.
fn quote(s: &str) -> String {
    if !s.is_empty() && s.chars().all(plain) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Whether the redaction leaves `s` as it is (so the writer's pass over the
/// whole line cannot change it).
fn stable(s: &str) -> bool {
    redact(s) == s
}

/// One masked argument as a shell word that survives the redaction.
///
/// First the ordinary quoting. If the redaction would change that (a masked
/// value followed by the closing quote reads as a longer bare value), every
/// run of characters is quoted on its own, with each mask as its own quoted
/// piece: `ansible_become_password='***'` is the same word to a shell, and
/// to the redaction a quoted value it masks into itself. Should even that
/// not hold, the word becomes the mask alone: a line that still pastes.
fn shell_word(masked: &str) -> String {
    let whole = quote(masked);
    if stable(&whole) {
        return whole;
    }
    let mut pieces = String::new();
    let mut first = true;
    for segment in masked.split(MASK) {
        if !first {
            pieces.push_str(&format!("'{MASK}'"));
        }
        first = false;
        // Plain runs stay bare, the rest is quoted: a key stays a key.
        let mut run = String::new();
        let mut run_plain = true;
        for c in segment.chars() {
            if plain(c) != run_plain && !run.is_empty() {
                pieces.push_str(&if run_plain { run.clone() } else { quote(&run) });
                run.clear();
            }
            run_plain = plain(c);
            run.push(c);
        }
        if !run.is_empty() {
            pieces.push_str(&if run_plain { run } else { quote(&run) });
        }
    }
    if pieces.is_empty() {
        pieces = "''".into();
    }
    if stable(&pieces) {
        pieces
    } else {
        format!("'{MASK}'")
    }
}

/// A command as a shell line: secrets masked argument by argument (before
/// quoting, so that quoting cannot hide a URL's or a `key=value`'s shape
/// from the masking), each argument quoted so that the line pastes into a
/// shell and is left unchanged by the redacting writer it is printed
/// through.
pub fn shell_line(argv: &[String]) -> String {
    redact_argv(argv)
        .iter()
        .map(|a| shell_word(a))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `kubemagic plan`'s text: the phases in order, why each applies, its
/// commands, its notes; then what was skipped and why.
pub fn write_plan<W: Write>(
    out: &mut RedactingWriter<W>,
    plan: &Plan,
    header: bool,
) -> io::Result<()> {
    if header {
        writeln!(out, "{} phase(s), in order:", plan.phases.len())?;
    }
    for (i, p) in plan.phases.iter().enumerate() {
        writeln!(out, "{:>3}. {} — {}", i + 1, p.name, p.description)?;
        writeln!(out, "     why: {}", p.reason)?;
        for s in &p.steps {
            writeln!(
                out,
                "     $ cd {} && {}",
                quote(&s.cwd),
                shell_line(&s.argv)
            )?;
        }
        for n in &p.notes {
            writeln!(out, "     note: {n}")?;
        }
    }
    if !plan.skipped.is_empty() {
        writeln!(out, "skipped:")?;
        for s in &plan.skipped {
            writeln!(out, "     {} — {}", s.name, s.reason)?;
        }
    }
    out.flush()
}

/// The summary `kubemagic run` prints at the end: each phase's status, for a
/// dry run each step's command and why it would run, and how to go on.
pub fn write_run<W: Write>(out: &mut RedactingWriter<W>, report: &RunReport) -> io::Result<()> {
    let title = if report.dry_run { "dry run" } else { "run" };
    writeln!(out, "{title} summary:")?;
    for p in &report.phases {
        let status = match p.status {
            PhaseStatus::Ran => "ran",
            PhaseStatus::UpToDate => "up to date",
            PhaseStatus::WouldRun => "would run",
            PhaseStatus::Failed => "FAILED",
            PhaseStatus::Interrupted => "interrupted",
            PhaseStatus::NotRun => "not run",
        };
        writeln!(out, "  {:<20} {status}", p.name)?;
        if report.dry_run {
            for s in &p.steps {
                let why = s.reason.as_deref().unwrap_or("");
                writeln!(
                    out,
                    "      $ cd {} && {}  [{why}]",
                    quote(&s.cwd),
                    shell_line(&s.argv)
                )?;
            }
        }
        if p.status == PhaseStatus::Ran {
            for n in &p.notes {
                writeln!(out, "      {n}")?;
            }
        }
    }
    match report.outcome {
        RunOutcome::Completed => {}
        RunOutcome::Failed => writeln!(
            out,
            "a step failed; fix it and run again: the run resumes at the failed step"
        )?,
        RunOutcome::Interrupted => writeln!(out, "interrupted; run again to resume")?,
    }
    out.flush()
}

/// The error findings of a pre-run check that stopped a run, one a line.
pub fn write_check_errors<W: Write>(
    out: &mut RedactingWriter<W>,
    findings: &[Finding],
) -> io::Result<()> {
    for f in findings.iter().filter(|f| f.severity == Severity::Error) {
        writeln!(out, "{}", kubemagic_core::render::line(f))?;
    }
    out.flush()
}

fn action(a: SyncAction) -> &'static str {
    match a {
        SyncAction::Cloned => "checked out",
        SyncAction::Updated => "moved",
        SyncAction::UpToDate => "already",
    }
}

/// `kubemagic init`'s text: each upstream and the commit it is at.
pub fn write_init<W: Write>(
    out: &mut RedactingWriter<W>,
    synced: &[UpstreamSync],
) -> io::Result<()> {
    for s in synced {
        writeln!(
            out,
            "{}: {} at {} (commit {})",
            s.name,
            action(s.action),
            s.git_ref,
            s.commit
        )?;
    }
    out.flush()
}

/// The progress lines of one [`RunEvent`]: the command's own output and
/// the step headers on `out`; its stderr, notices and failures on `err`.
/// A front end that keeps stdout for a JSON report passes stderr as both.
/// A dry run prints no phase headers (its summary says it all).
pub fn write_event<O: Write, E: Write>(
    out: &mut RedactingWriter<O>,
    err: &mut RedactingWriter<E>,
    event: &RunEvent<'_>,
    dry_run: bool,
) -> io::Result<()> {
    match event {
        RunEvent::PhaseStarted { .. } if dry_run => {}
        RunEvent::PhaseStarted {
            index,
            total,
            phase,
        } => {
            writeln!(
                out,
                "==> phase {index}/{total}: {} — {}",
                phase.name, phase.description
            )?;
            out.flush()?;
            for n in &phase.notes {
                writeln!(err, "    {n}")?;
            }
        }
        RunEvent::StepStarted {
            index,
            total,
            phase,
            step,
            steps,
            cwd,
            argv,
        } => writeln!(
            out,
            "==> phase {index}/{total}: {phase} step {}/{steps}: cd {} && {}",
            step + 1,
            quote(cwd),
            shell_line(argv)
        )?,
        RunEvent::StepSkipped {
            phase,
            step,
            reason,
        } => writeln!(out, "    {phase} step {}: up to date ({reason})", step + 1)?,
        RunEvent::Output { line, stderr } => {
            if *stderr {
                writeln!(err, "{line}")?
            } else {
                writeln!(out, "{line}")?
            }
        }
        RunEvent::StepFinished {
            phase,
            step,
            status,
            exit_code,
        } => {
            if *status != StepStatus::Ok {
                let status = match status {
                    StepStatus::Interrupted => "interrupted",
                    _ => "failed",
                };
                let code = exit_code
                    .map(|c| format!(" (exit {c})"))
                    .unwrap_or_default();
                writeln!(err, "==> {phase} step {}: {status}{code}", step + 1)?;
            }
        }
        RunEvent::Notice { message } => writeln!(err, "kubemagic: {message}")?,
        RunEvent::UpstreamSynced(s) => writeln!(
            out,
            "    {}: {} at {} (commit {})",
            s.name,
            action(s.action),
            s.git_ref,
            s.commit
        )?,
    }
    out.flush()?;
    err.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubemagic_core::Redactor;

    fn args(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    /// The line as printed through the writer, its words as a shell reads
    /// them, and the masked arguments they must equal.
    fn printed(argv: &[String]) -> (String, Vec<String>) {
        let mut w = RedactingWriter::new(Vec::new(), Redactor::new());
        writeln!(w, "$ cd custom && {}", shell_line(argv)).unwrap();
        let text = String::from_utf8(w.finish().unwrap()).unwrap();
        let line = text.trim_end().to_string();
        let words = shlex::split(line.trim_start_matches("$ cd custom && "))
            .unwrap_or_else(|| panic!("does not paste into a shell: {line}"));
        (line, words)
    }

    #[test]
    fn a_masked_password_keeps_its_quotes_and_the_line_pastes_into_a_shell() {
        let argv = args(&[
            "ansible-playbook",
            "-e",
            "ansible_become_password=s3cr3t",
            "-e",
            "x=1",
            "cluster.yml",
        ]);
        let (line, words) = printed(&argv);
        assert!(!line.contains("s3cr3t"), "{line}");
        assert_eq!(words, redact_argv(&argv), "{line}");
        assert_eq!(words[2], "ansible_become_password=***");
        assert_eq!(words[3], "-e", "{line}");
    }

    #[test]
    fn every_masked_shape_round_trips_through_the_writer_and_shlex() {
        let cases = [
            "ansible_become_password=pw",
            "ansible_become_password='a b' other=1",
            "a=1 ansible_become_password=pw b=2",
            "{ansible_become_password: pw}",
            r#"{"ansible_become_password": "pw", "x": 1}"#,
            "https://oauth2:T0k'e)n@gitlab.example/k.git",
            "--vault-password-file=/etc/pw",
            "api_token=abc'def",
            "plain",
            "",
            "it's",
            "--extra-vars=ceph_secret=zz",
        ];
        for c in cases {
            let argv = args(&["ansible-playbook", "-e", c, "site.yml"]);
            let (line, words) = printed(&argv);
            assert_eq!(words, redact_argv(&argv), "{c:?} printed as {line}");
            for secret in ["T0k'e)n", "abc'def", "zz"] {
                if c.contains(secret) {
                    assert!(!line.contains(secret), "{line}");
                }
            }
        }
    }

    #[test]
    fn plain_commands_read_as_before() {
        assert_eq!(
            shell_line(&args(&[
                "ansible-playbook",
                "-i",
                "inventory/my site/hosts.yml",
                "cluster.yml"
            ])),
            "ansible-playbook -i 'inventory/my site/hosts.yml' cluster.yml"
        );
    }
}

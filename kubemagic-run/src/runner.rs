//! `kubemagic run`: executes a plan, step by step, under the site's lock,
//! recording every step in the journal.
//!
//! A step is *done* when its latest journal entry succeeded, was not a
//! `--check` run, and has the same working directory, command and inventory
//! digest as now: it is skipped unless `--force`. A failed step stops the
//! run; the next run skips what is done and so resumes at that step. Done-ness
//! is per step and looks only at that step's own inputs: a change to
//! `ceph-ansible/hosts` re-runs deploy-ceph, not the phases after it.

use crate::digest::{inventory_digest, ArgsKey};
use crate::init::{sync_upstream, UpstreamSync};
use crate::journal::{journal_path, now, Journal, JournalEntry, StepOutcome};
use crate::lock::{group_alive, shell_words, still_running_list, RunningStep, SiteLock};
use crate::process::{run_streaming, Exit, Interrupt};
use crate::RunError;
use kubemagic_core::phase::{PhaseKind, Plan, PlannedPhase, PlannedStep};
use kubemagic_core::{Finding, SiteConfig};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How often `--wait` looks again at the lock and the step it waits for.
const WAIT_POLL: Duration = Duration::from_millis(500);

/// The check that runs before anything is deployed. [`SiteCheck`] is
/// `kubemagic check` itself, what every front end passes; the trait stays a
/// hook so that tests can hand in findings and embedders run their own.
pub trait PreRunCheck {
    /// Findings for the site; `Err` when the check itself could not run.
    fn check(&self, site: &Path, config: &SiteConfig) -> Result<Vec<Finding>, String>;
}

impl<F> PreRunCheck for F
where
    F: Fn(&Path, &SiteConfig) -> Result<Vec<Finding>, String>,
{
    fn check(&self, site: &Path, config: &SiteConfig) -> Result<Vec<Finding>, String> {
        self(site, config)
    }
}

/// `kubemagic check` on the site: every site check, accepted
/// (suppressed) findings left out, so that a finding the site accepted with
/// a reason does not stop a run.
pub struct SiteCheck;

impl PreRunCheck for SiteCheck {
    fn check(&self, site: &Path, _: &SiteConfig) -> Result<Vec<Finding>, String> {
        kubemagic_site::check_site(site)
            .map(|r| r.findings)
            .map_err(|e| e.to_string())
    }
}

/// A check that finds nothing: for embedders that run their own checks and
/// for tests of the runner itself. The CLI passes `kubemagic check`.
pub struct SkipCheck;

impl PreRunCheck for SkipCheck {
    fn check(&self, _: &Path, _: &SiteConfig) -> Result<Vec<Finding>, String> {
        Ok(vec![])
    }
}

/// How [`run`] runs a plan: the flags of `kubemagic run`. The default runs
/// for real, skips what is done, and refuses a busy site.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Report what would run; run nothing, write nothing, take no lock.
    pub dry_run: bool,
    /// Pass `--check` to ansible-playbook (such runs never count as done).
    pub check: bool,
    /// Run steps even when done with unchanged inputs.
    pub force: bool,
    /// Run even when the pre-run check finds errors.
    pub ignore_check: bool,
    /// The ansible-playbook binary; default: `$KUBEMAGIC_ANSIBLE_PLAYBOOK`,
    /// else `ansible-playbook` from PATH.
    pub ansible_playbook: Option<PathBuf>,
    /// When the site is busy (another run holds the lock, or a killed run's
    /// ansible-playbook still runs), wait until it is free instead of
    /// refusing. Ctrl-C stops the wait.
    pub wait: bool,
}

/// What happens during a run, for the CLI to print as it goes.
#[derive(Debug, Clone)]
pub enum RunEvent<'a> {
    /// `index` counts from 1, out of `total` planned phases.
    PhaseStarted {
        /// The phase's position in the plan, from 1.
        index: usize,
        /// How many phases the plan has.
        total: usize,
        /// The phase as planned.
        phase: &'a PlannedPhase,
    },
    /// A playbook step is about to be spawned (skipped steps, `--dry-run`
    /// and fetch-upstreams steps send none).
    StepStarted {
        /// The phase's position in the plan, from 1.
        index: usize,
        /// How many phases the plan has.
        total: usize,
        /// The phase's name.
        phase: &'a str,
        /// Index of the step within its phase, from 0.
        step: usize,
        /// How many steps the phase has.
        steps: usize,
        /// The folder the command runs in, relative to the site.
        cwd: &'a str,
        /// The command as planned (without `--check`).
        argv: &'a [String],
    },
    /// A step is skipped: done earlier with the same inputs.
    StepSkipped {
        /// The phase's name.
        phase: &'a str,
        /// Index of the step within its phase.
        step: usize,
        /// Why it counts as done (`done at ..., inventory unchanged`).
        reason: &'a str,
    },
    /// A line the running step's command printed (line end removed), or
    /// the error of a failed upstream sync.
    Output {
        /// The line.
        line: &'a str,
        /// It came from stderr.
        stderr: bool,
    },
    /// A step that ran has ended.
    StepFinished {
        /// The phase's name.
        phase: &'a str,
        /// Index of the step within its phase.
        step: usize,
        /// How it ended.
        status: StepStatus,
        /// Its exit code (128 + signal when killed by one), if it has one.
        exit_code: Option<i32>,
    },
    /// A fetch-upstreams step brought an upstream to its pinned commit.
    UpstreamSynced(&'a UpstreamSync),
    /// Something about the site's state the operator should know before the
    /// steps' output: waiting for the lock (`--wait`), a killed run's stale
    /// lock taken over, its `running` steps marked `interrupted`.
    Notice {
        /// The notice, one line.
        message: &'a str,
    },
}

/// Receives the [`RunEvent`]s of a run as they happen; any
/// `FnMut(RunEvent)` closure is one.
pub trait RunObserver {
    /// Called for each event, in order, on the thread that called [`run`].
    fn event(&mut self, event: RunEvent<'_>);
}

impl<F: FnMut(RunEvent<'_>)> RunObserver for F {
    fn event(&mut self, event: RunEvent<'_>) {
        self(event)
    }
}

/// How a step fared in this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepStatus {
    /// Ran and succeeded (exit 0).
    Ok,
    /// Ran and failed (non-zero exit, killed by a signal, or the upstream
    /// could not be synced); the run stops after it.
    Failed,
    /// Stopped by Ctrl-C; the run stops after it.
    Interrupted,
    /// Done earlier with the same inputs.
    UpToDate,
    /// `--dry-run`: would run.
    WouldRun,
    /// Not reached: an earlier step failed or the run was interrupted.
    NotRun,
}

/// How a phase fared in this run, summed up from its steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PhaseStatus {
    /// At least one step ran, and all that ran succeeded.
    Ran,
    /// Every step was done already with the same inputs; nothing ran.
    UpToDate,
    /// `--dry-run` (or `--check` for fetch-upstreams): at least one step
    /// would run.
    WouldRun,
    /// A step failed.
    Failed,
    /// A step was stopped by Ctrl-C, or Ctrl-C came before one started.
    Interrupted,
    /// Not reached: an earlier phase failed or was interrupted.
    NotRun,
}

/// One planned step and what became of it.
#[derive(Debug, Clone, Serialize)]
pub struct StepReport {
    /// The folder the command runs in, relative to the site.
    pub cwd: String,
    /// The command as planned.
    pub argv: Vec<String>,
    /// What became of it.
    pub status: StepStatus,
    /// Its exit code (128 + signal when killed by one), when it ran.
    pub exit_code: Option<i32>,
    /// Why it ran or was skipped (`never run`, `inventory changed`,
    /// `done at ...`), or the error of a failed upstream sync.
    pub reason: Option<String>,
}

/// One planned phase and what became of it.
#[derive(Debug, Clone, Serialize)]
pub struct PhaseReport {
    /// The phase's name.
    pub name: String,
    /// What became of it, summed up from its steps.
    pub status: PhaseStatus,
    /// Every planned step, in order, including those not reached.
    pub steps: Vec<StepReport>,
    /// The planner's notes on the phase, passed on for the report.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// How a whole run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunOutcome {
    /// Every step ran, was up to date, or (dry run) would run.
    Completed,
    /// A step failed; the steps after it did not run. The next run resumes
    /// at that step.
    Failed,
    /// Ctrl-C stopped the run; the next run resumes at the interrupted
    /// step.
    Interrupted,
}

/// What a run did, phase by phase: what `kubemagic run` prints at the end
/// (and as JSON).
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    /// How the run ended.
    pub outcome: RunOutcome,
    /// It was a `--dry-run`: nothing ran.
    pub dry_run: bool,
    /// ansible-playbook ran with `--check`.
    pub check_mode: bool,
    /// Every planned phase, in plan order, including those not reached.
    pub phases: Vec<PhaseReport>,
    /// Pre-run check findings (warnings; errors stop the run before this).
    pub findings: Vec<Finding>,
}

fn ansible_playbook(opts: &RunOptions) -> PathBuf {
    opts.ansible_playbook
        .clone()
        .or_else(|| {
            std::env::var_os("KUBEMAGIC_ANSIBLE_PLAYBOOK")
                .filter(|s| !s.is_empty())
                .map(PathBuf::from)
        })
        .unwrap_or_else(|| PathBuf::from("ansible-playbook"))
}

/// Whether a journal entry proves a step done with these inputs.
/// `args_digest` is the keyed digest of the step's unmasked arguments
/// (`None` when the site has no key yet: then nothing recorded can match).
fn done(
    entry: Option<&JournalEntry>,
    step: &PlannedStep,
    digest: &str,
    args_digest: Option<&str>,
) -> Option<String> {
    let e = entry?;
    (e.outcome == StepOutcome::Ok
        && !e.check_mode
        && e.cwd == step.cwd
        && e.argv == recorded_argv(&step.argv)
        && args_digest.is_some()
        && e.args_digest.as_deref() == args_digest
        && e.inventory_digest == digest)
        .then(|| {
            format!(
                "done at {}, inventory unchanged",
                e.ended.as_deref().unwrap_or(&e.started)
            )
        })
}

/// A command as the journal and the lock record it: credentials in URLs
/// masked, so they never reach a file another user may read (the journal is
/// compared in this form too).
fn recorded_argv(argv: &[String]) -> Vec<String> {
    kubemagic_core::redact::redact_argv(argv)
}

/// Why a step will run (for --dry-run and the journal's readers).
fn why_run(
    entry: Option<&JournalEntry>,
    step: &PlannedStep,
    force: bool,
    args_digest: Option<&str>,
) -> String {
    match entry {
        None => "never run".into(),
        Some(_) if force => "--force".into(),
        Some(e) if e.outcome != StepOutcome::Ok => {
            format!(
                "resuming: last run {} at {}",
                format!("{:?}", e.outcome).to_lowercase(),
                e.started
            )
        }
        Some(e) if e.check_mode => "last run was --check".into(),
        Some(e) if e.cwd != step.cwd || e.argv != recorded_argv(&step.argv) => {
            "command changed".into()
        }
        Some(e) if e.args_digest.is_none() => {
            "arguments not digested by the kubemagic that ran it".into()
        }
        Some(e) if e.args_digest.as_deref() != args_digest => {
            "arguments changed (a masked value, such as a password)".into()
        }
        Some(_) => "inventory changed".into(),
    }
}

/// Runs a plan on a site. Step failures are in the report (outcome
/// `Failed`); `Err` is for what prevents running at all (lock held, check
/// errors, unreadable journal, ansible-playbook missing).
pub fn run(
    site: &Path,
    config: &SiteConfig,
    plan: &Plan,
    opts: &RunOptions,
    pre_check: &dyn PreRunCheck,
    observer: &mut dyn RunObserver,
    cancel: &dyn Interrupt,
) -> Result<RunReport, RunError> {
    let mut findings = vec![];
    if !opts.ignore_check {
        findings = pre_check
            .check(site, config)
            .map_err(RunError::CheckUnavailable)?;
        if kubemagic_core::finding::has_errors(&findings) {
            return Err(RunError::CheckFailed { findings });
        }
    }
    // Held until the end of the run; a dry run changes nothing, so no lock.
    let (mut lock, mut journal, key) = if opts.dry_run {
        (None, Journal::load(site)?, ArgsKey::load(site)?)
    } else {
        let (lock, journal) = take_site(site, opts.wait, observer, cancel)?;
        // Under the lock: two runs never create two keys.
        let key = ArgsKey::load_or_create(site)?;
        (Some(lock), journal, Some(key))
    };
    let program = ansible_playbook(opts);
    let total = plan.phases.len();
    let mut report = RunReport {
        outcome: RunOutcome::Completed,
        dry_run: opts.dry_run,
        check_mode: opts.check,
        phases: vec![],
        findings,
    };
    for (pi, phase) in plan.phases.iter().enumerate() {
        let name = phase.name.as_str();
        let mut pr = PhaseReport {
            name: name.into(),
            status: PhaseStatus::UpToDate,
            steps: vec![],
            notes: phase.notes.clone(),
        };
        if report.outcome != RunOutcome::Completed {
            pr.status = PhaseStatus::NotRun;
            pr.steps = phase
                .steps
                .iter()
                .map(|s| StepReport {
                    cwd: s.cwd.clone(),
                    argv: s.argv.clone(),
                    status: StepStatus::NotRun,
                    exit_code: None,
                    reason: None,
                })
                .collect();
            report.phases.push(pr);
            continue;
        }
        observer.event(RunEvent::PhaseStarted {
            index: pi + 1,
            total,
            phase,
        });
        for (si, step) in phase.steps.iter().enumerate() {
            if cancel.presses() > 0 {
                report.outcome = RunOutcome::Interrupted;
                pr.status = PhaseStatus::Interrupted;
                pr.steps.push(StepReport {
                    cwd: step.cwd.clone(),
                    argv: step.argv.clone(),
                    status: StepStatus::NotRun,
                    exit_code: None,
                    reason: None,
                });
                continue;
            }
            if report.outcome != RunOutcome::Completed {
                pr.steps.push(StepReport {
                    cwd: step.cwd.clone(),
                    argv: step.argv.clone(),
                    status: StepStatus::NotRun,
                    exit_code: None,
                    reason: None,
                });
                continue;
            }
            let sr = if phase.kind == PhaseKind::FetchUpstreams {
                run_init_step(site, config, name, si, step, opts, &mut journal, observer)?
            } else {
                run_playbook_step(
                    site,
                    &program,
                    key.as_ref(),
                    name,
                    (pi + 1, total),
                    si,
                    phase.steps.len(),
                    step,
                    opts,
                    &mut journal,
                    lock.as_mut(),
                    observer,
                    cancel,
                )?
            };
            match sr.status {
                StepStatus::Failed => {
                    report.outcome = RunOutcome::Failed;
                    pr.status = PhaseStatus::Failed;
                }
                StepStatus::Interrupted => {
                    report.outcome = RunOutcome::Interrupted;
                    pr.status = PhaseStatus::Interrupted;
                }
                StepStatus::Ok if pr.status == PhaseStatus::UpToDate => {
                    pr.status = PhaseStatus::Ran
                }
                StepStatus::WouldRun if pr.status == PhaseStatus::UpToDate => {
                    pr.status = PhaseStatus::WouldRun
                }
                _ => {}
            }
            pr.steps.push(sr);
        }
        report.phases.push(pr);
    }
    Ok(report)
}

/// What keeps a run from starting now, as a `--wait` notice.
fn waiting_for(e: &RunError) -> String {
    match e {
        RunError::StepStillRunning {
            pgid,
            command,
            supervisor,
            ..
        } => format!(
            "waiting for another run's ansible-playbook (pid {pgid}, `{command}`){} to stop (Ctrl-C to give up)",
            supervisor
                .map(|s| format!(" and every process of its step (supervisor pid {s})"))
                .unwrap_or_default()
        ),
        RunError::Locked { path, holder } => format!(
            "waiting for the kubemagic run holding {} (pid {} on {} since {}) to end (Ctrl-C to give up)",
            path.display(),
            holder.pid,
            holder.host,
            holder.started
        ),
        e => format!("waiting: {e}"),
    }
}

/// Takes the site's lock and settles what a killed run left behind, or says
/// (or with `wait`, waits until) why not.
///
/// Under the lock, every journal entry still `running` belongs to a run
/// that is gone. If such a step's process group still runs (a killed run's
/// ansible-playbook, recorded in the journal even if the lock was removed by
/// hand), nothing may start; otherwise those entries become `interrupted`,
/// so no step reads `running` forever.
fn take_site(
    site: &Path,
    wait: bool,
    observer: &mut dyn RunObserver,
    cancel: &dyn Interrupt,
) -> Result<(SiteLock, Journal), RunError> {
    let mut announced = false;
    loop {
        let busy = match SiteLock::try_acquire(site)? {
            Ok(lock) => {
                let mut journal = Journal::load(site)?;
                if let Some(e) = journal.still_running(group_alive) {
                    RunError::StepStillRunning {
                        path: journal_path(site),
                        pgid: e.pgid.unwrap_or_default(),
                        command: shell_words(&e.argv),
                        runner: None,
                        supervisor: e.supervisor,
                        still: still_running_list(e.supervisor),
                    }
                    // `lock` is dropped (released) at the end of this arm.
                } else {
                    if let Some(h) = lock.taken_over() {
                        let message = format!(
                            "took over the lock of kubemagic run pid {} (started {}), which is gone",
                            h.pid, h.started
                        );
                        observer.event(RunEvent::Notice { message: &message });
                    }
                    let note = format!(
                        "the run that started this step ended without recording how it ended (killed?); marked interrupted by pid {} at {}",
                        std::process::id(),
                        now()
                    );
                    let marked = journal.mark_interrupted(&note);
                    if marked > 0 {
                        journal.save(site)?;
                        let message =
                            format!("{marked} step(s) of a killed run recorded as interrupted");
                        observer.event(RunEvent::Notice { message: &message });
                    }
                    return Ok((lock, journal));
                }
            }
            Err(busy) => RunError::from(busy),
        };
        if !wait {
            return Err(busy);
        }
        if !announced {
            observer.event(RunEvent::Notice {
                message: &waiting_for(&busy),
            });
            announced = true;
        }
        let t0 = std::time::Instant::now();
        while t0.elapsed() < WAIT_POLL {
            if cancel.presses() > 0 {
                return Err(RunError::WaitInterrupted {
                    path: SiteLock::path(site),
                });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn run_init_step(
    site: &Path,
    config: &SiteConfig,
    phase: &str,
    si: usize,
    step: &PlannedStep,
    opts: &RunOptions,
    journal: &mut Journal,
    observer: &mut dyn RunObserver,
) -> Result<StepReport, RunError> {
    let mut sr = StepReport {
        cwd: step.cwd.clone(),
        argv: step.argv.clone(),
        status: StepStatus::Ok,
        exit_code: None,
        reason: None,
    };
    let Some(name) = &step.upstream else {
        return Ok(sr);
    };
    let Some(upstream) = config.upstreams.get(name) else {
        return Ok(sr);
    };
    if opts.dry_run || opts.check {
        sr.status = StepStatus::WouldRun;
        sr.reason = Some(format!("would check out {name} at {}", upstream.git_ref));
        return Ok(sr);
    }
    let entry = JournalEntry {
        phase: phase.into(),
        step: si,
        cwd: step.cwd.clone(),
        argv: recorded_argv(&step.argv),
        inventory_digest: String::new(),
        check_mode: false,
        started: now(),
        ended: None,
        exit_code: None,
        outcome: StepOutcome::Running,
        commit: None,
        pgid: None,
        supervisor: None,
        args_digest: None,
        note: None,
    };
    let idx = journal.start(site, entry)?;
    // The runner's observer already announces each step as it starts.
    match sync_upstream(site, name, upstream, &kubemagic_core::Silent) {
        Ok(sync) => {
            observer.event(RunEvent::UpstreamSynced(&sync));
            if let Some(e) = journal.entries.get_mut(idx) {
                e.commit = Some(sync.commit.clone());
                e.inventory_digest = sync.commit.clone();
            }
            journal.finish(site, idx, StepOutcome::Ok, Some(0))?;
            sr.reason = Some(format!("{name} at {} ({})", upstream.git_ref, sync.commit));
        }
        Err(e) => {
            journal.finish(site, idx, StepOutcome::Failed, None)?;
            sr.status = StepStatus::Failed;
            sr.reason = Some(e.to_string());
            let line = e.to_string();
            observer.event(RunEvent::Output {
                line: &line,
                stderr: true,
            });
        }
    }
    observer.event(RunEvent::StepFinished {
        phase,
        step: si,
        status: sr.status,
        exit_code: sr.exit_code,
    });
    Ok(sr)
}

#[allow(clippy::too_many_arguments)]
fn run_playbook_step(
    site: &Path,
    program: &Path,
    key: Option<&ArgsKey>,
    phase: &str,
    (index, total): (usize, usize),
    si: usize,
    steps: usize,
    step: &PlannedStep,
    opts: &RunOptions,
    journal: &mut Journal,
    mut lock: Option<&mut SiteLock>,
    observer: &mut dyn RunObserver,
    cancel: &dyn Interrupt,
) -> Result<StepReport, RunError> {
    let playbook = step.argv.last().map(String::as_str);
    let digest = inventory_digest(site, &step.cwd, &step.inventory, playbook)?;
    let last = journal.last(phase, si);
    let args_digest = key.map(|k| k.digest(&step.cwd, &step.argv));
    let mut sr = StepReport {
        cwd: step.cwd.clone(),
        argv: step.argv.clone(),
        status: StepStatus::Ok,
        exit_code: None,
        reason: None,
    };
    if !opts.force {
        if let Some(why) = done(last, step, &digest, args_digest.as_deref()) {
            observer.event(RunEvent::StepSkipped {
                phase,
                step: si,
                reason: &why,
            });
            sr.status = StepStatus::UpToDate;
            sr.reason = Some(why);
            return Ok(sr);
        }
    }
    sr.reason = Some(why_run(last, step, opts.force, args_digest.as_deref()));
    if opts.dry_run {
        sr.status = StepStatus::WouldRun;
        return Ok(sr);
    }
    let mut args: Vec<String> = step.argv.iter().skip(1).cloned().collect();
    if opts.check {
        args.insert(0, "--check".into());
    }
    observer.event(RunEvent::StepStarted {
        index,
        total,
        phase,
        step: si,
        steps,
        cwd: &step.cwd,
        argv: &step.argv,
    });
    let entry = JournalEntry {
        phase: phase.into(),
        step: si,
        cwd: step.cwd.clone(),
        argv: recorded_argv(&step.argv),
        inventory_digest: digest,
        check_mode: opts.check,
        started: now(),
        ended: None,
        exit_code: None,
        outcome: StepOutcome::Running,
        commit: None,
        pgid: None,
        supervisor: None,
        args_digest,
        note: None,
    };
    let idx = journal.start(site, entry)?;
    let cwd = site.join(&step.cwd);
    let hold = lock.as_deref().map(SiteLock::steps_fd);
    let result = run_streaming(
        program,
        &args,
        &cwd,
        hold,
        cancel,
        // The lock first: it is what a run finding this one killed checks.
        &mut |procs, command| {
            if let Some(lock) = lock.as_deref_mut() {
                lock.set_step(Some(RunningStep {
                    pgid: procs.playbook,
                    supervisor: Some(procs.supervisor),
                    command: recorded_argv(&command),
                    phase: phase.into(),
                    step: si,
                    started: now(),
                }))?;
            }
            journal.set_procs(site, idx, procs.playbook, Some(procs.supervisor))
        },
        &mut |l| {
            observer.event(RunEvent::Output {
                line: &l.text,
                stderr: l.stderr,
            })
        },
    );
    let exit = match result {
        Ok(exit) => exit,
        Err(e) => {
            // Could not even start: record it, then report.
            journal.finish(site, idx, StepOutcome::Failed, None)?;
            return Err(e);
        }
    };
    let (status, outcome, code) = match exit {
        Exit::Code(0) => (StepStatus::Ok, StepOutcome::Ok, Some(0)),
        Exit::Code(c) => (StepStatus::Failed, StepOutcome::Failed, Some(c)),
        Exit::Signal(s) => (StepStatus::Failed, StepOutcome::Failed, Some(128 + s)),
        Exit::Interrupted(c) => (StepStatus::Interrupted, StepOutcome::Interrupted, c),
    };
    journal.finish(site, idx, outcome, code)?;
    if let Some(lock) = lock {
        lock.set_step(None)?;
    }
    sr.status = status;
    sr.exit_code = code;
    observer.event(RunEvent::StepFinished {
        phase,
        step: si,
        status,
        exit_code: code,
    });
    Ok(sr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journal_and_lock_record_commands_without_url_credentials() {
        let argv: Vec<String> = [
            "git",
            "fetch",
            "https://oauth2:T0k,e)n@gitlab.example/k.git",
            "v2.16.0",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let recorded = recorded_argv(&argv);
        assert_eq!(recorded[2], "https://***@gitlab.example/k.git");
        assert!(!recorded.concat().contains("T0k,e)n"));
        // Stable: a resumed run compares the recorded form with the plan's.
        assert_eq!(recorded_argv(&argv), recorded);
    }
}

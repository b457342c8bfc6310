//! `kubemagic plan`, `kubemagic run`, `kubemagic init`: the seed's Makefile
//! targets as ordered, checked, resumable phases. Translation only: the
//! planner is `kubemagic_core::phase`, the runner `kubemagic_run`.

use crate::output::{print_json, CliError, Exit, OutputFormat};
use kubemagic_core::phase::{Plan, PlanRequest};
use kubemagic_core::Severity;
use kubemagic_run::{
    plan_site, PhaseStatus, RunError, RunEvent, RunObserver, RunOptions, RunOutcome, RunReport,
    StepStatus, SyncAction,
};
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

#[derive(clap::Args)]
pub struct PlanArgs {
    /// The site directory (holding kubemagic.yml and the inventories).
    pub site: PathBuf,
    /// Phases to plan (with the phases they require); default: all that apply.
    pub phases: Vec<String>,
    /// Start at this phase, leaving out the ones ordered before it.
    #[arg(long)]
    pub from: Option<String>,
}

#[derive(clap::Args)]
pub struct RunArgs {
    /// The site directory (holding kubemagic.yml and the inventories).
    pub site: PathBuf,
    /// Phases to run (with the phases they require); default: all that apply.
    pub phases: Vec<String>,
    /// Show what would run; run nothing, change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Pass --check to ansible-playbook (such runs never count as done).
    #[arg(long)]
    pub check: bool,
    /// Start at this phase, leaving out the ones ordered before it.
    #[arg(long)]
    pub from: Option<String>,
    /// Run phases already done with unchanged inventories.
    #[arg(long)]
    pub force: bool,
    /// Run even when `kubemagic check` finds errors.
    #[arg(long)]
    pub ignore_check: bool,
    /// When another run holds the site, or a killed run's ansible-playbook
    /// is still running, wait for it instead of refusing.
    #[arg(long)]
    pub wait: bool,
}

#[derive(clap::Args)]
pub struct InitArgs {
    /// The site directory (holding kubemagic.yml).
    pub site: PathBuf,
}

fn cli_error(e: RunError) -> CliError {
    CliError::lib(e)
}

/// A command as a shell line, credentials in URLs masked.
fn shown(argv: &[String]) -> String {
    let argv = kubemagic_core::redact::redact_argv(argv);
    shlex::try_join(argv.iter().map(String::as_str)).unwrap_or_else(|_| argv.join(" "))
}

fn print_plan_text(plan: &Plan) -> Result<(), CliError> {
    // Written whole, then through the shared redaction: upstream URLs may
    // carry credentials.
    let mut out: Vec<u8> = Vec::new();
    writeln!(out, "{} phase(s), in order:", plan.phases.len())?;
    for (i, p) in plan.phases.iter().enumerate() {
        writeln!(out, "{:>3}. {} — {}", i + 1, p.name, p.description)?;
        writeln!(out, "     why: {}", p.reason)?;
        for s in &p.steps {
            writeln!(out, "     $ cd {} && {}", s.cwd, shown(&s.argv))?;
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
    let text = String::from_utf8_lossy(&out);
    crate::output::stdout().write_all(kubemagic_core::redact(&text).as_bytes())?;
    Ok(())
}

pub fn plan(args: PlanArgs, format: OutputFormat) -> Result<Exit, CliError> {
    let request = PlanRequest {
        targets: args.phases,
        from: args.from,
    };
    let (_, plan) = plan_site(&args.site, &request).map_err(cli_error)?;
    match format {
        OutputFormat::Json => print_json(&plan)?,
        OutputFormat::Text => print_plan_text(&plan)?,
    }
    Ok(Exit::Ok)
}

/// Prints progress and the playbooks' output as they come. In JSON mode
/// everything goes to stderr so that stdout holds only the report. On a
/// terminal, a status line (`phase i/n NAME step j/m`, elapsed time) stays
/// under the streamed output.
struct Printer {
    json: bool,
    dry_run: bool,
    /// Draws nothing when stderr is not a terminal.
    bar: indicatif::ProgressBar,
}

impl Printer {
    fn new(json: bool, dry_run: bool) -> Printer {
        let bar = indicatif::ProgressBar::new_spinner();
        if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} {msg} [{elapsed}]") {
            bar.set_style(style);
        }
        Printer { json, dry_run, bar }
    }

    fn line(&self, text: &str, stderr: bool) {
        let text = kubemagic_core::redact(text);
        self.bar.suspend(|| {
            if self.json || stderr {
                eprintln!("{text}");
            } else {
                println!("{text}");
            }
        });
    }
}

impl RunObserver for Printer {
    fn event(&mut self, e: RunEvent<'_>) {
        match e {
            // A dry run's summary says it all.
            RunEvent::PhaseStarted { .. } if self.dry_run => {}
            RunEvent::PhaseStarted {
                index,
                total,
                phase,
            } => {
                self.line(
                    &format!(
                        "==> phase {index}/{total}: {} — {}",
                        phase.name, phase.description
                    ),
                    false,
                );
                for n in &phase.notes {
                    self.line(&format!("    {n}"), true);
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
            } => {
                self.line(
                    &format!(
                        "==> phase {index}/{total}: {phase} step {}/{steps}: cd {cwd} && {}",
                        step + 1,
                        shown(argv)
                    ),
                    false,
                );
                self.bar.reset_elapsed();
                self.bar.set_message(format!(
                    "phase {index}/{total} {phase} step {}/{steps}",
                    step + 1
                ));
                self.bar
                    .enable_steady_tick(std::time::Duration::from_millis(250));
            }
            RunEvent::StepSkipped {
                phase,
                step,
                reason,
            } => {
                self.line(
                    &format!("    {phase} step {}: up to date ({reason})", step + 1),
                    false,
                );
            }
            RunEvent::Output { line, stderr } => self.line(line, stderr),
            RunEvent::StepFinished {
                phase,
                step,
                status,
                exit_code,
            } => {
                self.bar.disable_steady_tick();
                self.bar.set_message("");
                if status != StepStatus::Ok {
                    let status = match status {
                        StepStatus::Interrupted => "interrupted",
                        _ => "failed",
                    };
                    let code = exit_code
                        .map(|c| format!(" (exit {c})"))
                        .unwrap_or_default();
                    self.line(
                        &format!("==> {phase} step {}: {status}{code}", step + 1),
                        true,
                    );
                }
            }
            RunEvent::Notice { message } => self.line(&format!("kubemagic: {message}"), true),
            RunEvent::UpstreamSynced(s) => {
                let action = match s.action {
                    SyncAction::Cloned => "checked out",
                    SyncAction::Updated => "moved",
                    SyncAction::UpToDate => "already",
                };
                self.line(
                    &format!(
                        "    {}: {action} at {} (commit {})",
                        s.name, s.git_ref, s.commit
                    ),
                    false,
                )
            }
        }
    }
}

impl Drop for Printer {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

fn print_run_text(report: &RunReport) -> Result<(), CliError> {
    // Written whole, then through the shared redaction: upstream URLs may
    // carry credentials.
    let mut out: Vec<u8> = Vec::new();
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
                writeln!(out, "      $ cd {} && {}  [{why}]", s.cwd, shown(&s.argv))?;
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
    let text = String::from_utf8_lossy(&out);
    crate::output::stdout().write_all(kubemagic_core::redact(&text).as_bytes())?;
    Ok(())
}

pub fn run(args: RunArgs, format: OutputFormat) -> Result<Exit, CliError> {
    let request = PlanRequest {
        targets: args.phases,
        from: args.from,
    };
    let (config, plan) = plan_site(&args.site, &request).map_err(cli_error)?;
    let opts = RunOptions {
        dry_run: args.dry_run,
        check: args.check,
        force: args.force,
        ignore_check: args.ignore_check,
        ansible_playbook: None,
        wait: args.wait,
    };
    // Counts Ctrl-C: the first stops the step gracefully, a second one
    // without waiting out the grace period.
    let cancel = Arc::new(AtomicU32::new(0));
    let flag = cancel.clone();
    ctrlc::set_handler(move || {
        flag.fetch_add(1, Ordering::SeqCst);
    })
    .map_err(|e| CliError::Failed(format!("cannot install the Ctrl-C handler: {e}")))?;
    let mut printer = Printer::new(format == OutputFormat::Json, args.dry_run);
    let result = kubemagic_run::run(
        &args.site,
        &config,
        &plan,
        &opts,
        &kubemagic_run::SiteCheck,
        &mut printer,
        &*cancel,
    );
    // Clears the status line before the summary.
    drop(printer);
    let report = match result {
        Ok(r) => r,
        Err(RunError::CheckFailed { findings }) => {
            for f in findings.iter().filter(|f| f.severity == Severity::Error) {
                eprintln!("{}", kubemagic_core::render::line(f));
            }
            return Err(cli_error(RunError::CheckFailed { findings }));
        }
        Err(e) => return Err(cli_error(e)),
    };
    match format {
        OutputFormat::Json => print_json(&report)?,
        OutputFormat::Text => print_run_text(&report)?,
    }
    Ok(match report.outcome {
        RunOutcome::Completed => Exit::Ok,
        RunOutcome::Failed | RunOutcome::Interrupted => Exit::Failed,
    })
}

pub fn init(args: InitArgs, format: OutputFormat) -> Result<Exit, CliError> {
    let synced = kubemagic_run::init(&args.site).map_err(cli_error)?;
    match format {
        OutputFormat::Json => print_json(&serde_json::json!({ "upstreams": synced }))?,
        OutputFormat::Text => {
            let mut out = crate::output::stdout();
            for s in &synced {
                let action = match s.action {
                    SyncAction::Cloned => "checked out",
                    SyncAction::Updated => "moved",
                    SyncAction::UpToDate => "already",
                };
                writeln!(
                    out,
                    "{}: {action} at {} (commit {})",
                    s.name, s.git_ref, s.commit
                )?;
            }
        }
    }
    Ok(Exit::Ok)
}

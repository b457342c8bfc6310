//! `kubemagic plan`, `kubemagic run`, `kubemagic init`: the seed's Makefile
//! targets as ordered, checked, resumable phases. Translation only: the
//! planner is `kubemagic_core::phase`, the runner `kubemagic_run`.

use crate::output::{print_json, CliError, Exit, OutputFormat};
use kubemagic_core::phase::{Plan, PlanRequest};
use kubemagic_core::{RedactingWriter, Redactor};
use kubemagic_run::{
    plan_site, RunError, RunEvent, RunObserver, RunOptions, RunOutcome, RunReport,
};
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

#[derive(clap::Args)]
pub struct PlanArgs {
    /// The site directory (holding kubemagic.yml and the inventories);
    /// default: the current directory, when it is a site.
    #[arg(add = clap_complete::ArgValueCompleter::new(crate::complete::site_or_phase))]
    pub site: Option<PathBuf>,
    /// Phases to plan (with the phases they require); default: all that apply.
    #[arg(add = clap_complete::ArgValueCandidates::new(crate::complete::phases))]
    pub phases: Vec<String>,
    /// Start at this phase, leaving out the ones ordered before it.
    #[arg(long, add = clap_complete::ArgValueCandidates::new(crate::complete::phases))]
    pub from: Option<String>,
}

/// SITE is optional before the phases (`kubemagic plan deploy-kube` in a
/// site): a first word that is not a directory, while the current
/// directory is a site, is the first phase.
fn site_and_phases(site: Option<PathBuf>, phases: &mut Vec<String>) -> PathBuf {
    match site {
        None => PathBuf::from("."),
        Some(s) if s.is_dir() => s,
        Some(s)
            if kubemagic_site::Site::open(std::path::Path::new("."))
                .and_then(|site| site.discover())
                .is_ok_and(|found| !found.is_empty()) =>
        {
            phases.insert(0, s.display().to_string());
            PathBuf::from(".")
        }
        Some(s) => s,
    }
}

#[derive(clap::Args)]
pub struct RunArgs {
    /// The site directory (holding kubemagic.yml and the inventories);
    /// default: the current directory, when it is a site.
    #[arg(add = clap_complete::ArgValueCompleter::new(crate::complete::site_or_phase))]
    pub site: Option<PathBuf>,
    /// Phases to run (with the phases they require); default: all that apply.
    #[arg(add = clap_complete::ArgValueCandidates::new(crate::complete::phases))]
    pub phases: Vec<String>,
    /// Show what would run; run nothing, change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Pass --check to ansible-playbook (such runs never count as done).
    #[arg(long)]
    pub check: bool,
    /// Start at this phase, leaving out the ones ordered before it.
    #[arg(long, add = clap_complete::ArgValueCandidates::new(crate::complete::phases))]
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

/// Standard output through the one redaction.
fn stdout_writer() -> RedactingWriter<crate::output::Stdout> {
    crate::output::stdout()
}

fn print_plan_text(plan: &Plan) -> Result<(), CliError> {
    let mut out = stdout_writer();
    // -q: the phases only, no header line.
    kubemagic_run::write_plan(&mut out, plan, !crate::output::quiet())?;
    out.finish()?;
    Ok(())
}

pub fn plan(mut args: PlanArgs, format: OutputFormat) -> Result<Exit, CliError> {
    let site = site_and_phases(args.site.take(), &mut args.phases);
    let request = PlanRequest {
        targets: args.phases,
        from: args.from,
    };
    let (_, plan) = plan_site(&site, &request).map_err(cli_error)?;
    match format {
        OutputFormat::Json => print_json(&plan)?,
        OutputFormat::Text => print_plan_text(&plan)?,
    }
    Ok(Exit::Ok)
}

/// Prints progress and the playbooks' output as they come (the library's
/// `write_event`). In JSON mode everything goes to stderr so that stdout
/// holds only the report. On a terminal, a status line (`phase i/n NAME
/// step j/m`, elapsed time) stays under the streamed output.
struct Printer {
    dry_run: bool,
    out: RedactingWriter<Box<dyn Write>>,
    err: RedactingWriter<Box<dyn Write>>,
    /// Draws nothing when stderr is not a terminal.
    bar: indicatif::ProgressBar,
}

impl Printer {
    fn new(json: bool, dry_run: bool) -> Printer {
        // `-q` and `--progress never` silence the status line too.
        let bar = if crate::progress::enabled() {
            indicatif::ProgressBar::new_spinner()
        } else {
            indicatif::ProgressBar::hidden()
        };
        if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} {msg} [{elapsed}]") {
            bar.set_style(style);
        }
        let out: Box<dyn Write> = if json {
            Box::new(crate::output::raw_stderr())
        } else {
            Box::new(crate::output::raw_stdout())
        };
        Printer {
            dry_run,
            out: RedactingWriter::new(out, crate::output::redactor()),
            err: RedactingWriter::new(
                Box::new(crate::output::raw_stderr()),
                crate::output::redactor(),
            ),
            bar,
        }
    }
}

impl RunObserver for Printer {
    fn event(&mut self, e: RunEvent<'_>) {
        let (out, err, dry_run) = (&mut self.out, &mut self.err, self.dry_run);
        // Progress is best effort: a closed terminal must not stop a deployment.
        let _ = self
            .bar
            .suspend(|| kubemagic_run::write_event(out, err, &e, dry_run));
        match e {
            RunEvent::StepStarted {
                index,
                total,
                phase,
                step,
                steps,
                ..
            } => {
                self.bar.reset_elapsed();
                self.bar.set_message(format!(
                    "phase {index}/{total} {phase} step {}/{steps}",
                    step + 1
                ));
                self.bar
                    .enable_steady_tick(std::time::Duration::from_millis(250));
            }
            RunEvent::StepFinished { .. } => {
                self.bar.disable_steady_tick();
                self.bar.set_message("");
            }
            _ => {}
        }
    }
}

impl Drop for Printer {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

fn print_run_text(report: &RunReport) -> Result<(), CliError> {
    let mut out = stdout_writer();
    kubemagic_run::write_run(&mut out, report)?;
    out.finish()?;
    Ok(())
}

pub fn run(mut args: RunArgs, format: OutputFormat) -> Result<Exit, CliError> {
    let site = site_and_phases(args.site.take(), &mut args.phases);
    let request = PlanRequest {
        targets: args.phases,
        from: args.from,
    };
    let (config, plan) = plan_site(&site, &request).map_err(cli_error)?;
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
        &site,
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
            let mut err = RedactingWriter::new(crate::output::raw_stderr(), Redactor::new());
            kubemagic_run::write_check_errors(&mut err, &findings)?;
            err.finish()?;
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
    let synced = kubemagic_run::init(&args.site, crate::progress::reporter()).map_err(cli_error)?;
    match format {
        OutputFormat::Json => print_json(&serde_json::json!({ "upstreams": synced }))?,
        OutputFormat::Text => {
            let mut out = stdout_writer();
            kubemagic_run::write_init(&mut out, &synced)?;
            out.finish()?;
        }
    }
    Ok(Exit::Ok)
}

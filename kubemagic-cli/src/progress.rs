//! Progress on stderr: a step still running after two seconds is shown,
//! so that a first `kubemagic init` fetching kubespray, or a defrag of a
//! large member, is not a silent terminal that looks hung.
//!
//! The libraries name their steps through [`kubemagic_core::Progress`] and
//! print nothing; this is the CLI's implementation. Every command is
//! itself a step (`etcd defrag`), so any operation over two seconds is
//! shown even where the library names no finer step.
//!
//! Two styles, as `docker build --progress` and `git` do it:
//! - on a terminal (`--progress auto`, the default, when stderr is one):
//!   one line, redrawn each second with the elapsed time, erased when the
//!   step ends or the moment the command writes anything else, so results
//!   never share a line with it;
//! - anywhere else only with `--progress always` (a CI log): one line when
//!   a step has lasted two seconds and one when it ends, with its duration.
//!   Cron mail and Nagios, which read stderr, get nothing by default.
//!
//! `-q` and `--progress never` show nothing. Every line goes through the
//! process-wide redacting writer: a label may hold a URL with credentials.

use kubemagic_core::Progress;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

/// How long a step runs before it is shown.
pub const AFTER: Duration = Duration::from_secs(2);

/// The longest label shown on a terminal line when the terminal's width is
/// unknown (an 80-column terminal keeps the line whole, so that erasing it
/// erases all of it).
const LINE_LABEL_CHARS: usize = 60;
/// What a terminal line holds besides the label: `kubemagic: `, ` (NNNNs)`.
const LINE_FRAME_CHARS: usize = 20;

/// `--progress` as typed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ProgressArg {
    /// On a terminal (stderr), a line redrawn in place; elsewhere nothing.
    Auto,
    /// Also when stderr is not a terminal: a line when a step has lasted
    /// two seconds, one when it ends.
    Always,
    /// Never.
    Never,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Style {
    /// A terminal: one line redrawn in place.
    Line,
    /// A log: whole lines.
    Plain,
}

struct StepState {
    label: String,
    started: Instant,
    shown: bool,
    /// An inner step was shown in a log: this one says nothing more
    /// (`init` after `fetching kubespray ...: done`).
    covered: bool,
}

#[derive(Default)]
struct State {
    steps: Vec<StepState>,
    /// A terminal line is on screen (and must be erased before anything
    /// else is written to the terminal).
    drawn: bool,
    /// What the line on screen shows (depth of its step, seconds), so it
    /// is redrawn only when that changes.
    last: Option<(usize, u64)>,
    /// The command has started writing its results: no more terminal
    /// lines.
    stopped: bool,
}

/// The CLI's [`Progress`]: shows steps on stderr as the module says.
pub struct Reporter {
    style: Option<Style>,
    state: Mutex<State>,
    wake: Condvar,
}

static REPORTER: OnceLock<Reporter> = OnceLock::new();
/// Set once the command has written anything: from then on no terminal
/// line is drawn, so none can land between two lines of its output.
static OUTPUT: AtomicBool = AtomicBool::new(false);

/// Records `--progress` (once, from the global flags) and starts the
/// thread that draws. `own_interrupts`: the command handles Ctrl-C itself
/// (`run`); otherwise, with a terminal line, Ctrl-C erases it before the
/// process ends (exit 130, as the shell reports a SIGINT).
pub fn configure(arg: ProgressArg, quiet: bool, own_interrupts: bool) {
    use std::io::IsTerminal;
    let terminal =
        std::io::stderr().is_terminal() && std::env::var_os("TERM").is_none_or(|t| t != "dumb");
    let style = match arg {
        _ if quiet => None,
        ProgressArg::Never => None,
        ProgressArg::Auto => terminal.then_some(Style::Line),
        ProgressArg::Always if terminal => Some(Style::Line),
        ProgressArg::Always => Some(Style::Plain),
    };
    let reporter = REPORTER.get_or_init(|| Reporter::new(style));
    if reporter.style.is_some() {
        // A reporter that cannot draw is no reason to fail the command.
        let _ = std::thread::Builder::new()
            .name("progress".into())
            .spawn(move || reporter.tick());
    }
    if reporter.style == Some(Style::Line) {
        // A panic's message starts on a clean line.
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            erase_if_free();
            previous(info);
        }));
        if !own_interrupts {
            // ctrlc runs this on a thread of its own, not in the signal
            // handler. Without a handler the default action would stand:
            // no handler is no reason to fail. (ctrlc cannot tell SIGINT
            // from SIGTERM/SIGHUP: each ends with 130 here, on a terminal.)
            let _ = ctrlc::set_handler(|| {
                erase_if_free();
                std::process::exit(130);
            });
        }
    }
}

/// Whether progress is shown at all (`--progress`, `-q`): `run`'s status
/// line under ansible-playbook's output follows it too.
pub fn enabled() -> bool {
    reporter().style.is_some()
}

/// The process's reporter (silent until [`configure`]d).
pub fn reporter() -> &'static Reporter {
    REPORTER.get_or_init(|| Reporter::new(None))
}

/// Called before anything else is written to stdout or stderr: erases a
/// terminal line and draws no more, so that results and errors start on a
/// clean line and are never overdrawn. Under the lock the drawing thread
/// holds while it draws, so no line can be drawn between the check and the
/// write (the lock is only taken when a terminal line may be drawn at all).
pub fn before_output() {
    OUTPUT.store(true, Ordering::Relaxed);
    let r = reporter();
    if r.style != Some(Style::Line) {
        return;
    }
    let mut state = r.lock();
    state.stopped = true;
    r.erase(&mut state);
}

/// Erases a terminal line unless the lock is held (a panic while drawing,
/// or a terminal frozen by Ctrl-S mid-write): never waits, so Ctrl-C
/// always ends the process.
fn erase_if_free() {
    OUTPUT.store(true, Ordering::Relaxed);
    let r = reporter();
    if r.style != Some(Style::Line) {
        return;
    }
    let guard = match r.state.try_lock() {
        Ok(g) => g,
        Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
        Err(std::sync::TryLockError::WouldBlock) => return,
    };
    let mut state = guard;
    state.stopped = true;
    r.erase(&mut state);
}

impl Reporter {
    fn new(style: Option<Style>) -> Reporter {
        Reporter {
            style,
            state: Mutex::new(State::default()),
            wake: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere while drawing leaves the state usable.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn write(text: &str) {
        // Nowhere to report a failure to write progress.
        let mut err = crate::output::progress_stderr();
        let _ = err.write_all(text.as_bytes());
        let _ = err.flush();
    }

    fn erase(&self, state: &mut State) {
        if state.drawn {
            Self::write("\r\x1b[K");
            state.drawn = false;
            state.last = None;
        }
    }

    /// The drawing thread: wakes every quarter second (or on a change) and
    /// shows the innermost step once it has lasted [`AFTER`]. It writes
    /// while holding the lock, so [`before_output`] and a step's end wait
    /// for a line being drawn (one short write; a terminal stalled by
    /// Ctrl-S stalls the command's own output as well).
    fn tick(&self) {
        let mut state = self.lock();
        loop {
            state = match self.wake.wait_timeout(state, Duration::from_millis(250)) {
                Ok((s, _)) => s,
                Err(p) => p.into_inner().0,
            };
            if self.style == Some(Style::Line) && (state.stopped || OUTPUT.load(Ordering::Relaxed))
            {
                return;
            }
            let style = self.style;
            let depth = state.steps.len();
            let last = state.last;
            let Some(top) = state.steps.last_mut() else {
                continue;
            };
            let elapsed = top.started.elapsed();
            if elapsed < AFTER {
                continue;
            }
            match style {
                Some(Style::Line) if last != Some((depth, elapsed.as_secs())) => {
                    let label = shorten(
                        &crate::output::redactor().redact(&top.label),
                        line_label_chars(),
                    );
                    top.shown = true;
                    Self::write(&format!(
                        "\r\x1b[Kkubemagic: {label} ({}s)",
                        elapsed.as_secs()
                    ));
                    state.drawn = true;
                    state.last = Some((depth, elapsed.as_secs()));
                }
                Some(Style::Plain) if !top.shown && !top.covered => {
                    top.shown = true;
                    Self::write(&format!("kubemagic: {}...\n", top.label));
                }
                _ => {}
            }
        }
    }
}

/// How many characters of a label fit on one row of the terminal.
fn line_label_chars() -> usize {
    console::Term::stderr()
        .size_checked()
        .map(|(_, cols)| usize::from(cols).saturating_sub(LINE_FRAME_CHARS).max(10))
        .unwrap_or(LINE_LABEL_CHARS)
}

/// A label cut to `max` characters (already redacted: cutting first could
/// leave half a credential the redactor no longer recognises).
fn shorten(label: &str, max: usize) -> String {
    if label.chars().count() <= max {
        return label.to_string();
    }
    let cut: String = label.chars().take(max.saturating_sub(3)).collect();
    format!("{cut}...")
}

impl Progress for Reporter {
    fn begin(&self, label: &str) {
        if self.style.is_none() {
            return;
        }
        let mut state = self.lock();
        state.steps.push(StepState {
            label: label.to_string(),
            started: Instant::now(),
            shown: false,
            covered: false,
        });
        self.wake.notify_all();
    }

    fn end(&self) {
        if self.style.is_none() {
            return;
        }
        let mut state = self.lock();
        let Some(step) = state.steps.pop() else {
            return;
        };
        match self.style {
            Some(Style::Line) => self.erase(&mut state),
            Some(Style::Plain) if step.shown => {
                Self::write(&format!(
                    "kubemagic: {}: done in {:.1}s\n",
                    step.label,
                    step.started.elapsed().as_secs_f64()
                ));
                for outer in &mut state.steps {
                    outer.covered = true;
                }
            }
            _ => {}
        }
        self.wake.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_label_is_cut_after_redaction_so_no_half_secret_survives() {
        let label = format!(
            "fetching kubespray v2.16.0 from https://deploy:{}@git.example/k.git",
            "s3cr3t-token-".repeat(4)
        );
        let redacted = kubemagic_core::Redactor::default()
            .redact(&label)
            .into_owned();
        let short = shorten(&redacted, LINE_LABEL_CHARS);
        assert!(!short.contains("s3cr3t"), "{short}");
        assert!(short.chars().count() <= LINE_LABEL_CHARS);
    }
}

//! [`RunError`]: why `plan`, `run` or `init` could not do its work, and
//! whether that is the operator's input to fix or a failure.

use kubemagic_core::{Finding, PhaseError};
use std::path::PathBuf;

/// Everything that can keep `plan`, `run` or `init` from doing its work.
///
/// A step that runs and fails is not an error: it is in the
/// [`RunReport`](crate::RunReport). Every variant names the file it is
/// about where there is one, so the CLI can point at it
/// ([`KmError::file`](kubemagic_core::KmError::file)), and
/// [`KmError::kind`](kubemagic_core::KmError::kind) tells input (fix a file)
/// from failure (exit code).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Reading or writing a file or folder failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder concerned.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// A site file is readable but its content is not usable (input, exit
    /// 2). Nothing in this crate raises it today: kubemagic.yml problems
    /// come as [`RunError::Site`], with their line.
    #[error("{}: {message}", path.display())]
    Config {
        /// The file at fault.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// The phase catalog or the plan request is invalid (unknown phase,
    /// bad `phases:` entry in kubemagic.yml).
    #[error(transparent)]
    Phase(#[from] PhaseError),
    /// kubemagic.yml unreadable or invalid (carries its file and line).
    #[error(transparent)]
    Site(#[from] kubemagic_site::site::SiteError),
    /// `SITE/.kubemagic/journal.json` does not parse. kubemagic replaces it
    /// atomically, so a run never leaves it torn: an unparsable journal was
    /// edited by hand, and guessing which steps are done could re-run or
    /// skip a deployment step.
    #[error("{}: journal unreadable ({source}); it is only ever replaced whole, so this file was edited by hand", path.display())]
    Journal {
        /// The journal file.
        path: PathBuf,
        /// Where and why it does not parse.
        source: serde_json::Error,
    },
    /// Another kubemagic run holds the site's lock (alive on this host, or
    /// on another host, whose processes cannot be checked from here).
    #[error("another kubemagic run holds {}: pid {} on {} since {}", path.display(), holder.pid, holder.host, holder.started)]
    Locked {
        /// The lock file.
        path: PathBuf,
        /// Who holds it, as recorded in the lock file (boxed to keep the
        /// error small).
        holder: Box<crate::lock::LockHolder>,
    },
    /// The run holding the lock is gone but the ansible-playbook it started
    /// still runs: starting the same playbook again would run it twice on
    /// the same hosts at once.
    #[error("another run's ansible-playbook (pid {pgid}, `{command}`) is still running on {}{}{}{still}; wait for it (`kubemagic run --wait` takes over once it has stopped) or stop it (`{}`)", path.display(), runner.map(|p| format!(" although the kubemagic run that started it (pid {p}) is gone")).unwrap_or_default(), supervisor.map(|s| format!(", under its step supervisor (pid {s})")).unwrap_or_default(), supervisor.map(|s| format!("kill -TERM {s}")).unwrap_or_else(|| format!("kill -TERM -- -{pgid}")))]
    StepStillRunning {
        /// The lock or journal that recorded the step.
        path: PathBuf,
        /// The step's process group (ansible-playbook's pid).
        pgid: u32,
        /// The command, shell-quoted.
        command: String,
        /// The kubemagic run that started it, when known.
        runner: Option<u32>,
        /// The step's supervisor, which outlives a killed run until every
        /// process of the step is gone (absent in older records).
        supervisor: Option<u32>,
        /// `; still running: pid N `cmd`, ...`: the step's live processes,
        /// or empty.
        still: String,
    },
    /// A state file (journal, lock, key) is not a regular file or is too
    /// large: a FIFO or a link to a device in its place is refused, naming
    /// it, instead of hanging or eating memory (input, exit 2).
    #[error(transparent)]
    State(#[from] kubemagic_fs::FsError),
    /// Ctrl-C while `--wait` waited for the site's lock: nothing ran.
    #[error("interrupted while waiting for {}; nothing ran", path.display())]
    WaitInterrupted {
        /// The lock file that was waited for.
        path: PathBuf,
    },
    /// The lock file exists but does not parse. It is never taken over
    /// then: whether its holder still runs cannot be told, and removing a
    /// live run's lock would let two runs deploy at once.
    #[error("lock file {} is unreadable ({message}); if no kubemagic run is active on this site, remove it", path.display())]
    BadLock {
        /// The lock file.
        path: PathBuf,
        /// Why it does not parse.
        message: String,
    },
    /// A program (`ansible-playbook`, `git`) could not be started.
    #[error("cannot run {program}: {source}{hint}")]
    Spawn {
        /// The program as it was to be run.
        program: String,
        /// What the operating system said.
        source: std::io::Error,
        /// How to fix it (e.g. ` (install git)`), or empty; starts with a
        /// space so that it reads on after `source`.
        hint: &'static str,
    },
    /// The pre-run check found errors; nothing ran. `--ignore-check`
    /// skips the check.
    #[error("pre-run check found {} error(s); fix them or pass --ignore-check", findings.iter().filter(|f| f.severity == kubemagic_core::Severity::Error).count())]
    CheckFailed {
        /// All the check's findings, errors and warnings.
        findings: Vec<Finding>,
    },
    /// The pre-run check itself failed (could not read the site); its
    /// message. Nothing ran.
    #[error("pre-run check could not run: {0}")]
    CheckUnavailable(String),
    /// Fetching or checking out an upstream failed, or its checkout is in a
    /// state kubemagic refuses to touch (local changes, another origin).
    #[error("upstream {name}: {message}")]
    Upstream {
        /// The upstream's name in kubemagic.yml (also its folder).
        name: String,
        /// What went wrong, with the git command's own message.
        message: String,
    },
    /// `kubemagic init` on a site whose kubemagic.yml pins no upstream:
    /// an error so that a missing or misspelt `upstreams:` is not a silent
    /// success.
    #[error("{}: kubemagic.yml pins no upstreams (add `upstreams: {{kubespray: {{url: ..., ref: ...}}}}`)", site.display())]
    NoUpstreams {
        /// The site folder.
        site: PathBuf,
    },
}

impl RunError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> RunError {
        let path = path.into();
        move |source| RunError::Io { path, source }
    }
}

/// What the caller wrote (kubemagic.yml, phases, a hand-edited journal or
/// lock) is input (exit 2); a held lock, a failed step or spawn is a failure.
impl kubemagic_core::KmError for RunError {
    fn file(&self) -> Option<&std::path::Path> {
        match self {
            RunError::Io { path, .. }
            | RunError::Config { path, .. }
            | RunError::Journal { path, .. }
            | RunError::Locked { path, .. }
            | RunError::StepStillRunning { path, .. }
            | RunError::WaitInterrupted { path }
            | RunError::BadLock { path, .. } => Some(path),
            RunError::Site(e) => kubemagic_core::KmError::file(e),
            RunError::State(e) => Some(e.path()),
            RunError::NoUpstreams { site } => Some(site),
            _ => None,
        }
    }
    fn line(&self) -> Option<u32> {
        match self {
            RunError::Site(e) => kubemagic_core::KmError::line(e),
            _ => None,
        }
    }
    fn kind(&self) -> kubemagic_core::ErrorKind {
        match self {
            RunError::Site(_)
            | RunError::Config { .. }
            | RunError::NoUpstreams { .. }
            | RunError::Phase(_)
            | RunError::Journal { .. }
            | RunError::State(_)
            | RunError::BadLock { .. } => kubemagic_core::ErrorKind::Input,
            _ => kubemagic_core::ErrorKind::Failure,
        }
    }
}

use kubemagic_core::{Finding, PhaseError};
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {message}", path.display())]
    Config { path: PathBuf, message: String },
    #[error(transparent)]
    Phase(#[from] PhaseError),
    /// kubemagic.yml unreadable or invalid (carries its file and line).
    #[error(transparent)]
    Site(#[from] kubemagic_site::site::SiteError),
    #[error("{}: journal unreadable ({source}); it is only ever replaced whole, so this file was edited by hand", path.display())]
    Journal {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("another kubemagic run holds {}: pid {} on {} since {}", path.display(), holder.pid, holder.host, holder.started)]
    Locked {
        path: PathBuf,
        holder: Box<crate::lock::LockHolder>,
    },
    /// The run holding the lock is gone but the ansible-playbook it started
    /// still runs: starting the same playbook again would run it twice on
    /// the same hosts at once.
    #[error("another run's ansible-playbook (pid {pgid}, `{command}`) is still running on {}{}; wait for it (`kubemagic run --wait` takes over once it has stopped) or stop it (`kill -TERM -- -{pgid}`)", path.display(), runner.map(|p| format!(" although the kubemagic run that started it (pid {p}) is gone")).unwrap_or_default())]
    StepStillRunning {
        /// The lock or journal that recorded the step.
        path: PathBuf,
        /// The step's process group (ansible-playbook's pid).
        pgid: u32,
        /// The command, shell-quoted.
        command: String,
        /// The kubemagic run that started it, when known.
        runner: Option<u32>,
    },
    /// Ctrl-C while `--wait` waited for the site's lock: nothing ran.
    #[error("interrupted while waiting for {}; nothing ran", path.display())]
    WaitInterrupted { path: PathBuf },
    #[error("lock file {} is unreadable ({message}); if no kubemagic run is active on this site, remove it", path.display())]
    BadLock { path: PathBuf, message: String },
    #[error("cannot run {program}: {source}{hint}")]
    Spawn {
        program: String,
        source: std::io::Error,
        hint: &'static str,
    },
    #[error("pre-run check found {} error(s); fix them or pass --ignore-check", findings.iter().filter(|f| f.severity == kubemagic_core::Severity::Error).count())]
    CheckFailed { findings: Vec<Finding> },
    #[error("pre-run check could not run: {0}")]
    CheckUnavailable(String),
    #[error("upstream {name}: {message}")]
    Upstream { name: String, message: String },
    #[error("{}: kubemagic.yml pins no upstreams (add `upstreams: {{kubespray: {{url: ..., ref: ...}}}}`)", site.display())]
    NoUpstreams { site: PathBuf },
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
            | RunError::BadLock { .. } => kubemagic_core::ErrorKind::Input,
            _ => kubemagic_core::ErrorKind::Failure,
        }
    }
}

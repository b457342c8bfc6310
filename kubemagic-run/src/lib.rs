//! Runs deployment phases planned by `kubemagic_core::phase`.
//!
//! This is the I/O half of `kubemagic plan` / `run` / `init`: reading the
//! site, digesting inventories, the journal under `SITE/.kubemagic/`, the
//! lock that keeps two operators from deploying at once, spawning
//! `ansible-playbook` (an argument vector, never a shell string) and `git`.

#![deny(missing_docs)]

pub mod digest;
pub mod error;
pub mod init;
pub mod journal;
pub mod lock;
mod process;
pub mod report;
pub mod runner;
pub mod site;
mod supervise;

pub use error::RunError;
pub use init::{init, init_site, sync_upstream, SyncAction, UpstreamSync};
pub use journal::{Journal, JournalEntry, StepOutcome};
pub use lock::{decide, Decision, Liveness, LockHolder, RunningStep, SiteLock};
pub use process::Interrupt;
pub use report::{shell_line, write_check_errors, write_event, write_init, write_plan, write_run};
pub use runner::{
    run, PhaseReport, PhaseStatus, PreRunCheck, RunEvent, RunObserver, RunOptions, RunOutcome,
    RunReport, SiteCheck, SkipCheck, StepReport, StepStatus,
};
pub use site::{load_site_config, plan_site, site_facts};

/// Where kubemagic keeps its state inside a site.
pub const STATE_DIR: &str = ".kubemagic";

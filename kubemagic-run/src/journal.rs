//! `SITE/.kubemagic/journal.json`: every step kubemagic ran, appended.
//!
//! The journal is what makes a run resumable: a step whose last entry
//! succeeded with the same command and the same inventory digest is done.
//! It is always replaced whole (temporary file in the same folder, fsync,
//! rename, fsync of the folder), so a run killed at any instant leaves the
//! previous or the next version, never a torn file.

use crate::{RunError, STATE_DIR};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// The journal's file name inside [`STATE_DIR`].
pub const JOURNAL_FILE: &str = "journal.json";
const VERSION: u32 = 1;

/// How a journaled step ended, as far as the journal knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StepOutcome {
    /// Started and not finished: the run is still going, or was killed
    /// without a chance to record anything else.
    Running,
    /// Exited 0: with the same command and inventory digest, the step is
    /// done and the next run skips it.
    Ok,
    /// Exited non-zero, was killed by a signal, or could not start: the
    /// next run starts again here.
    Failed,
    /// Stopped by Ctrl-C, or found `running` by a later run after the run
    /// that started it was killed (see [`JournalEntry::note`]).
    Interrupted,
}

/// One attempt at one step: written `running` when it starts, then updated
/// with how it ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalEntry {
    /// The name of the step's phase.
    pub phase: String,
    /// Index of the step within its phase.
    pub step: usize,
    /// The folder the command ran in, relative to the site; part of what
    /// must match for the step to count as done.
    pub cwd: String,
    /// The planned command (`argv[0]` as planned, not the resolved binary), so
    /// that the same plan on another machine compares equal. Secrets are
    /// masked: see [`JournalEntry::args_digest`] for what tells a changed
    /// secret.
    pub argv: Vec<String>,
    /// A keyed digest (HMAC-SHA256, see [`crate::digest::ArgsKey`]) of the
    /// folder and the *unmasked* command: a changed password in a step's
    /// `extra_args` changes it, so the step runs again although the masked
    /// `argv` reads the same. Absent in entries written before it existed
    /// (such a step runs again once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub args_digest: Option<String>,
    /// Digest of the inventory files (see [`crate::digest`]), or for init the commit.
    pub inventory_digest: String,
    /// Run with ansible-playbook's `--check`: such a run changed nothing,
    /// so it never makes the step done.
    #[serde(default)]
    pub check_mode: bool,
    /// When the step started (RFC 3339, UTC, seconds).
    pub started: String,
    /// When the step ended (RFC 3339); `None` while it runs, or when its
    /// run was killed.
    #[serde(default)]
    pub ended: Option<String>,
    /// The command's exit code; 128 + the signal number when a signal
    /// killed it; `None` when it never started or has not ended.
    #[serde(default)]
    pub exit_code: Option<i32>,
    /// How the step ended.
    pub outcome: StepOutcome,
    /// For init: the commit the upstream was checked out at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// The process group of the step's ansible-playbook (its pid), recorded
    /// once it is spawned: a later run whose lock takeover finds this entry
    /// still `running` checks that this group is gone before anything runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pgid: Option<u32>,
    /// The step's supervisor (see [`crate::lock::RunningStep::supervisor`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supervisor: Option<u32>,
    /// Why the outcome was set by someone other than the run that started
    /// the step (a `running` entry of a killed run marked `interrupted`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The whole journal of a site, as stored in [`JOURNAL_FILE`]; entries are
/// only ever appended or updated in place, never removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Journal {
    /// The file format's version (currently 1).
    pub version: u32,
    /// Every step attempt, oldest first; the latest one for a step decides
    /// whether it is done ([`Journal::last`]).
    pub entries: Vec<JournalEntry>,
}

impl Default for Journal {
    fn default() -> Self {
        Journal {
            version: VERSION,
            entries: vec![],
        }
    }
}

/// The current time as the journal and the lock write it: RFC 3339, UTC,
/// whole seconds (`2026-11-28T07:00:00Z`).
pub fn now() -> String {
    humantime::format_rfc3339_seconds(SystemTime::now()).to_string()
}

/// Where a site's journal lives: `SITE/.kubemagic/journal.json`.
pub fn journal_path(site: &Path) -> PathBuf {
    site.join(STATE_DIR).join(JOURNAL_FILE)
}

impl Journal {
    /// The journal of a site; none yet is an empty journal. Read as a
    /// regular file of at most
    /// [`MAX_STATE_BYTES`](kubemagic_fs::limits::MAX_STATE_BYTES): a FIFO or
    /// a link to a device in its place is refused, naming it (exit 2).
    pub fn load(site: &Path) -> Result<Journal, RunError> {
        let path = journal_path(site);
        match kubemagic_fs::read(&path, kubemagic_fs::limits::MAX_STATE_BYTES) {
            Ok(bytes) => {
                serde_json::from_slice(&bytes).map_err(|source| RunError::Journal { path, source })
            }
            Err(e) if e.is_not_found() => Ok(Journal::default()),
            Err(e) => Err(e.into()),
        }
    }

    /// Replaces the journal atomically ([`kubemagic_fs::write_atomic`]: a
    /// temporary file in the same folder, synced, renamed over the old one,
    /// the folder synced; mode 0600, a link in its place replaced, never
    /// followed). A run killed (or a machine losing power) at any instant
    /// thus leaves the previous or the new journal, never a torn one, so
    /// which steps are done is never lost; it is also why an unparsable
    /// journal is reported as hand-edited ([`RunError::Journal`]).
    pub fn save(&self, site: &Path) -> Result<(), RunError> {
        let path = journal_path(site);
        let dir = site.join(STATE_DIR);
        std::fs::create_dir_all(&dir).map_err(RunError::io(&dir))?;
        let mut bytes = serde_json::to_vec_pretty(self).map_err(|e| RunError::Io {
            path: path.clone(),
            source: e.into(),
        })?;
        bytes.push(b'\n');
        kubemagic_fs::write_atomic(&path, &bytes, 0o600)?;
        Ok(())
    }

    /// The latest entry for a step of a phase.
    pub fn last(&self, phase: &str, step: usize) -> Option<&JournalEntry> {
        self.entries
            .iter()
            .rev()
            .find(|e| e.phase == phase && e.step == step)
    }

    /// Records the start of a step and saves; returns the entry's index.
    pub fn start(&mut self, site: &Path, entry: JournalEntry) -> Result<usize, RunError> {
        self.entries.push(entry);
        self.save(site)?;
        Ok(self.entries.len() - 1)
    }

    /// The first `running` entry whose process group `group_alive` says
    /// still runs. Called under a freshly taken lock: such an entry is a
    /// step whose run was killed but whose ansible-playbook goes on.
    pub fn still_running(&self, group_alive: impl Fn(u32) -> bool) -> Option<&JournalEntry> {
        self.entries
            .iter()
            .find(|e| e.outcome == StepOutcome::Running && e.pgid.is_some_and(&group_alive))
    }

    /// Marks every `running` entry `interrupted` (with `note`), without
    /// saving; returns how many. Called under a freshly taken lock, once
    /// [`Journal::still_running`] found none running: the runs that wrote
    /// them are gone, so they would otherwise read `running` forever.
    pub fn mark_interrupted(&mut self, note: &str) -> usize {
        let mut n = 0;
        for e in &mut self.entries {
            if e.outcome == StepOutcome::Running {
                e.outcome = StepOutcome::Interrupted;
                e.note = Some(note.to_string());
                n += 1;
            }
        }
        n
    }

    /// Records the process group of a started step's command, and its
    /// supervisor, and saves.
    pub fn set_procs(
        &mut self,
        site: &Path,
        index: usize,
        pgid: u32,
        supervisor: Option<u32>,
    ) -> Result<(), RunError> {
        if let Some(e) = self.entries.get_mut(index) {
            e.pgid = Some(pgid);
            e.supervisor = supervisor;
        }
        self.save(site)
    }

    /// Records how a started step ended and saves.
    pub fn finish(
        &mut self,
        site: &Path,
        index: usize,
        outcome: StepOutcome,
        exit_code: Option<i32>,
    ) -> Result<(), RunError> {
        if let Some(e) = self.entries.get_mut(index) {
            e.outcome = outcome;
            e.exit_code = exit_code;
            e.ended = Some(now());
        }
        self.save(site)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(phase: &str, outcome: StepOutcome) -> JournalEntry {
        JournalEntry {
            phase: phase.into(),
            step: 0,
            cwd: "custom".into(),
            argv: vec!["ansible-playbook".into()],
            inventory_digest: "sha256:0".into(),
            check_mode: false,
            started: now(),
            ended: None,
            exit_code: None,
            outcome,
            commit: None,
            pgid: None,
            supervisor: None,
            args_digest: None,
            note: None,
        }
    }

    #[test]
    fn running_entries_of_a_dead_run_become_interrupted_unless_their_group_lives() {
        let mut j = Journal::default();
        j.entries.push(entry("prep-hosts", StepOutcome::Ok));
        let mut running = entry("deploy-kube", StepOutcome::Running);
        running.pgid = Some(77);
        j.entries.push(running);
        assert_eq!(
            j.still_running(|g| g == 77).map(|e| e.phase.as_str()),
            Some("deploy-kube")
        );
        assert!(j.still_running(|_| false).is_none());
        assert_eq!(j.mark_interrupted("killed"), 1);
        assert_eq!(j.entries[1].outcome, StepOutcome::Interrupted);
        assert_eq!(j.entries[1].note.as_deref(), Some("killed"));
        assert_eq!(j.entries[0].outcome, StepOutcome::Ok);
        // Only `running` entries are ever in question.
        assert!(j.still_running(|_| true).is_none());
    }

    #[test]
    fn journal_round_trips_and_last_entry_wins() {
        let d = tempfile::tempdir().unwrap();
        let mut j = Journal::default();
        let i = j
            .start(d.path(), entry("prep-hosts", StepOutcome::Running))
            .unwrap();
        j.finish(d.path(), i, StepOutcome::Failed, Some(2)).unwrap();
        let i = j
            .start(d.path(), entry("prep-hosts", StepOutcome::Running))
            .unwrap();
        j.finish(d.path(), i, StepOutcome::Ok, Some(0)).unwrap();
        let back = Journal::load(d.path()).unwrap();
        assert_eq!(back, j);
        assert_eq!(back.last("prep-hosts", 0).unwrap().outcome, StepOutcome::Ok);
        // No temporary file left beside it.
        let names: Vec<_> = std::fs::read_dir(d.path().join(STATE_DIR))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, [JOURNAL_FILE]);
    }

    #[test]
    fn missing_journal_is_empty() {
        let d = tempfile::tempdir().unwrap();
        assert!(Journal::load(d.path()).unwrap().entries.is_empty());
    }

    #[test]
    fn garbage_journal_is_an_error_naming_the_file() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join(STATE_DIR)).unwrap();
        std::fs::write(journal_path(d.path()), "{not json").unwrap();
        let e = Journal::load(d.path()).unwrap_err();
        assert!(
            e.to_string().contains("journal.json: journal unreadable"),
            "{e}"
        );
    }
}

//! `SITE/.kubemagic/lock`: one run per site at a time.
//!
//! Created with O_EXCL (`create_new`), so two runs racing for it cannot both
//! win. It holds who took it (pid, host, time) so the refusal names the
//! holder, and, while a step runs, that step's process group and command.
//!
//! A lock whose process is gone (same host, pid no longer exists) is stale: a
//! run that was SIGKILLed or lost power. It is taken over only once the step
//! it was running is gone too: ansible-playbook outlives a SIGKILLed
//! kubemagic for as long as it takes to stop (on Linux it gets SIGTERM when
//! its parent dies, see `process`), and forever where that signal does not
//! exist. Taking over earlier would start the same playbook a second time
//! on the same hosts. Whether to take over is [`decide`], a pure function of
//! the lock's record and the liveness facts gathered by [`Liveness::of`].
//!
//! "The step is gone" is known for certain through [`STEPS_FILE`]: a run
//! holds an exclusive `flock` on it from the moment it takes the site lock,
//! and each step's supervisor (see `supervise`) inherits that lock and keeps
//! it until the last process of the step has been reaped. The kernel drops
//! it only when every holder has exited, so a run that can take it knows
//! that nothing of an earlier run still executes, whatever session its
//! processes moved to. The recorded process group is still checked too, for
//! locks and journals written before steps had supervisors.

use crate::{journal::now, RunError, STATE_DIR};
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::Write;
use std::os::fd::{AsRawFd, RawFd};
use std::path::{Path, PathBuf};

/// The lock's file name inside [`STATE_DIR`].
pub const LOCK_FILE: &str = "lock";

/// Held (`flock`) while a run reads, judges and replaces the lock file.
/// Without it two runs finding the same stale lock could both take it over:
/// the second's removal of the stale file would remove the first's fresh
/// one. It is never removed, and cannot go stale: the kernel drops a flock
/// when its process dies.
pub const GUARD_FILE: &str = "lock.guard";

/// Held (`flock`, exclusive) by a run from the moment it holds the site
/// lock, and by each of its step supervisors until the step's last process
/// is gone: free means no step of any run executes. Never removed.
pub const STEPS_FILE: &str = "steps.lock";

/// Opens (creating it if need be) a file that is only ever `flock`ed: never
/// through a link, never blocking on a FIFO, and refused unless it is a
/// regular file, naming it.
fn open_flock_file(path: &Path) -> Result<File, RunError> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .map_err(RunError::io(path))?;
    let meta = file.metadata().map_err(RunError::io(path))?;
    if !meta.is_file() {
        return Err(RunError::Config {
            path: path.to_path_buf(),
            message:
                "not a regular file; kubemagic keeps a lock file here, remove what is in its place"
                    .into(),
        });
    }
    Ok(file)
}

/// `flock(fd, op)`, EINTR retried: Ok(false) when a non-blocking lock is
/// held by someone else.
fn flock(file: &File, op: libc::c_int) -> std::io::Result<bool> {
    loop {
        // SAFETY: flock on a descriptor the caller owns; no memory passed.
        if unsafe { libc::flock(file.as_raw_fd(), op) } == 0 {
            return Ok(true);
        }
        let e = std::io::Error::last_os_error();
        match e.raw_os_error() {
            Some(libc::EINTR) => continue,
            Some(libc::EWOULDBLOCK) => return Ok(false),
            _ => return Err(e),
        }
    }
}

/// The guard, locked exclusively until the returned file is dropped. Held
/// by other runs only for the few milliseconds of their own takeover.
fn guard(dir: &Path) -> Result<File, RunError> {
    let path = dir.join(GUARD_FILE);
    let file = open_flock_file(&path)?;
    flock(&file, libc::LOCK_EX).map_err(RunError::io(&path))?;
    Ok(file)
}

/// The steps lock, taken (exclusive, non-blocking): `None` when a step of
/// some run still executes.
fn take_steps(dir: &Path) -> Result<Option<File>, RunError> {
    let path = dir.join(STEPS_FILE);
    let file = open_flock_file(&path)?;
    Ok(flock(&file, libc::LOCK_EX | libc::LOCK_NB)
        .map_err(RunError::io(&path))?
        .then_some(file))
}

/// Whether a step of some run (this process's included) still executes:
/// the steps lock is held. Dropping the probe's file releases it at once.
pub(crate) fn steps_busy(dir: &Path) -> Result<bool, RunError> {
    Ok(take_steps(dir)?.is_none())
}

/// Who holds a site's lock, as written in the lock file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockHolder {
    /// The holding kubemagic's process id (on `host`).
    pub pid: u32,
    /// The host name of the machine it runs on. A site folder may be shared
    /// (NFS, a synced checkout): only a lock of this host can have its
    /// processes checked, so another host's lock is never taken over.
    pub host: String,
    /// When the lock was taken (RFC 3339, UTC).
    pub started: String,
    /// The step running right now, if any: what a run finding this lock
    /// stale must wait for. Absent between steps and in locks written by
    /// kubemagic before it recorded steps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<RunningStep>,
}

/// A step being run by the lock's holder: its ansible-playbook's process
/// group and the command as spawned (what `ps` shows).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunningStep {
    /// The process group of the step's command. The command leads its own
    /// group, so this is also ansible-playbook's pid. A run finding this
    /// lock stale takes it over only once no member of this group is left
    /// (zombies aside): until then the step is still at work on the hosts.
    pub pgid: u32,
    /// The step's supervisor, which reaps every process the step starts and
    /// holds [`STEPS_FILE`] until the last is gone. Absent in locks written
    /// before kubemagic had supervisors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supervisor: Option<u32>,
    /// The command as spawned: the resolved program, then its arguments
    /// (URL credentials redacted), for the refusal message and `ps`.
    pub command: Vec<String>,
    /// The name of the step's phase.
    pub phase: String,
    /// Index of the step within its phase.
    pub step: usize,
    /// When the step started (RFC 3339, UTC).
    pub started: String,
}

/// What is known about a lock's holder on this machine, gathered by
/// [`Liveness::of`] (syscalls) and judged by [`decide`] (pure).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Liveness {
    /// The holder's pid exists (and is not a zombie).
    pub holder_alive: bool,
    /// A step still executes: [`STEPS_FILE`] is locked (by a supervisor
    /// outliving its run), or the recorded step's process group still has a
    /// member that is not a zombie.
    pub step_alive: bool,
}

/// What a run may do about a lock it found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// The holder and its step are gone: remove the lock and take it.
    TakeOver,
    /// The holder runs (or ran) on another host: its processes cannot be
    /// seen from here, so the lock is never taken over.
    OtherHost,
    /// The holder is alive: another run is going on.
    HolderAlive,
    /// The holder is gone but the step it started still runs (a SIGKILLed
    /// kubemagic whose ansible-playbook goes on).
    StepStillRunning(RunningStep),
}

/// Whether a run on host `here` may take over the lock `holder`, given what
/// is known about the holder's processes. Pure: the syscalls are in
/// [`Liveness::of`].
pub fn decide(holder: &LockHolder, here: &str, facts: Liveness) -> Decision {
    if holder.host != here {
        return Decision::OtherHost;
    }
    if facts.holder_alive {
        return Decision::HolderAlive;
    }
    match &holder.step {
        Some(step) if facts.step_alive => Decision::StepStillRunning(step.clone()),
        _ => Decision::TakeOver,
    }
}

/// A held lock; released (file removed) when dropped.
#[derive(Debug)]
pub struct SiteLock {
    path: PathBuf,
    holder: LockHolder,
    /// The stale lock this one replaced, if any.
    taken_over: Option<LockHolder>,
    /// [`STEPS_FILE`], locked: inherited by each step's supervisor.
    steps: File,
}

/// This machine's host name (`uname -n`), as written in and compared with
/// [`LockHolder::host`].
pub fn hostname() -> String {
    rustix::system::uname()
        .nodename()
        .to_string_lossy()
        .into_owned()
}

fn to_pid(pid: u32) -> Option<rustix::process::Pid> {
    i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
}

/// `/proc/PID/stat`'s state letter and process group: None when the process
/// is gone or /proc cannot tell (not Linux, /proc not mounted).
fn proc_stat(pid: u32) -> Option<(char, u32)> {
    proc_stat_full(pid).map(|(state, pgrp, _)| (state, pgrp))
}

/// `/proc/PID/stat`'s state letter, process group and parent pid.
fn proc_stat_full(pid: u32) -> Option<(char, u32, u32)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // `pid (comm) state ppid pgrp ...`; comm may hold spaces and parentheses.
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let ppid = fields.next()?.parse().ok()?;
    let pgrp = fields.next()?.parse().ok()?;
    Some((state, pgrp, ppid))
}

fn zombie(state: char) -> bool {
    matches!(state, 'Z' | 'X' | 'x')
}

/// Whether a process with this pid exists on this machine. EPERM means it
/// exists but belongs to someone else: still alive. A zombie is not alive:
/// it has exited and merely waits for a parent to reap it, which may never
/// happen where pid 1 does not reap (some containers).
pub(crate) fn pid_alive(pid: u32) -> bool {
    let Some(p) = to_pid(pid) else {
        return false;
    };
    let exists = match rustix::process::test_kill_process(p) {
        Ok(()) => true,
        Err(e) => e != rustix::io::Errno::SRCH,
    };
    exists && !proc_stat(pid).is_some_and(|(state, _)| zombie(state))
}

/// Whether a process group has a live member: `kill(-pgid, 0)`, then, where
/// /proc exists, a look for a member that is not a zombie (a group whose
/// members all exited but were not reaped is gone for our purpose).
pub(crate) fn group_alive(pgid: u32) -> bool {
    let Some(p) = to_pid(pgid) else {
        return false;
    };
    match rustix::process::test_kill_process_group(p) {
        Ok(()) => {}
        Err(e) if e == rustix::io::Errno::SRCH => return false,
        // EPERM: members exist that are not ours.
        Err(_) => return true,
    }
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return true;
    };
    let mut seen_any = false;
    for entry in entries.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse().ok()) else {
            continue;
        };
        if let Some((state, pgrp)) = proc_stat(pid) {
            seen_any = true;
            if pgrp == pgid && !zombie(state) {
                return true;
            }
        }
    }
    // /proc without process entries (not procfs): trust kill().
    !seen_any
}

impl Liveness {
    /// Looks at this machine's processes for a lock's holder and its step,
    /// and at the steps lock in `dir` (the site's state folder). Meaningful
    /// only when the holder ran on this host.
    pub fn of(holder: &LockHolder, dir: &Path) -> Result<Liveness, RunError> {
        Ok(Liveness {
            holder_alive: pid_alive(holder.pid),
            step_alive: steps_busy(dir)?
                || holder.step.as_ref().is_some_and(|s| group_alive(s.pgid)),
        })
    }
}

/// The live processes descended from `pid` (itself excluded), with their
/// command lines, from /proc: what a refusal names as still running.
pub(crate) fn descendants(pid: u32) -> Vec<(u32, String)> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return vec![];
    };
    let procs: Vec<(u32, u32, char)> = entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|p| {
            let (state, _, ppid) = proc_stat_full(p)?;
            Some((p, ppid, state))
        })
        .collect();
    let parent_of = |p: u32| procs.iter().find(|(q, ..)| *q == p).map(|(_, pp, _)| *pp);
    let mut out = vec![];
    for &(p, _, state) in &procs {
        if p == pid || zombie(state) {
            continue;
        }
        let mut cur = p;
        let mut hops = 0;
        while let Some(pp) = parent_of(cur) {
            if pp == pid {
                let cmd = std::fs::read(format!("/proc/{p}/cmdline")).unwrap_or_default();
                let words: Vec<String> = cmd
                    .split(|&b| b == 0)
                    .filter(|w| !w.is_empty())
                    .map(|w| String::from_utf8_lossy(w).into_owned())
                    .collect();
                out.push((p, shell_words(&kubemagic_core::redact::redact_argv(&words))));
                break;
            }
            if pp <= 1 || hops > 64 {
                break;
            }
            cur = pp;
            hops += 1;
        }
    }
    out.sort();
    out
}

/// `descendants`, as the refusal's words: `pid 12 `sleep 15`, ...`.
pub(crate) fn still_running_list(supervisor: Option<u32>) -> String {
    let Some(s) = supervisor else {
        return String::new();
    };
    let procs = descendants(s);
    let mut list: Vec<String> = procs
        .iter()
        .take(6)
        .map(|(p, c)| format!("pid {p} `{c}`"))
        .collect();
    if procs.len() > 6 {
        list.push(format!("and {} more", procs.len() - 6));
    }
    if list.is_empty() {
        String::new()
    } else {
        format!("; still running: {}", list.join(", "))
    }
}

/// Why a lock cannot be taken now.
#[derive(Debug, Clone)]
pub struct Busy {
    /// The lock file.
    pub path: PathBuf,
    /// Who holds it, as read from the lock file.
    pub holder: LockHolder,
    /// Why it is not taken over: never [`Decision::TakeOver`].
    pub decision: Decision,
}

impl From<Busy> for RunError {
    fn from(b: Busy) -> RunError {
        match b.decision {
            Decision::StepStillRunning(step) => RunError::StepStillRunning {
                path: b.path,
                pgid: step.pgid,
                command: shell_words(&step.command),
                // Our own pid when the lock was not there to say who ran it.
                runner: (b.holder.pid != std::process::id()).then_some(b.holder.pid),
                supervisor: step.supervisor,
                still: still_running_list(step.supervisor),
            },
            _ => RunError::Locked {
                path: b.path,
                holder: Box::new(b.holder),
            },
        }
    }
}

/// An argument vector as a shell would read it back (for messages).
pub(crate) fn shell_words(argv: &[String]) -> String {
    argv.iter()
        .map(|a| {
            if !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c))
            {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

impl SiteLock {
    /// Where a site's lock lives: `SITE/.kubemagic/lock`.
    pub fn path(site: &Path) -> PathBuf {
        site.join(STATE_DIR).join(LOCK_FILE)
    }

    /// Takes the site's lock, or says who holds it.
    pub fn acquire(site: &Path) -> Result<SiteLock, RunError> {
        SiteLock::try_acquire(site)?.map_err(RunError::from)
    }

    /// Takes the site's lock; `Ok(Err(busy))` when it is held (for callers
    /// that wait and try again), `Err` when the lock cannot be read or
    /// written at all.
    pub fn try_acquire(site: &Path) -> Result<Result<SiteLock, Busy>, RunError> {
        let dir = site.join(STATE_DIR);
        std::fs::create_dir_all(&dir).map_err(RunError::io(&dir))?;
        let path = SiteLock::path(site);
        let me = LockHolder {
            pid: std::process::id(),
            host: hostname(),
            started: now(),
            step: None,
        };
        let _guard = guard(&dir)?;
        let mut taken_over: Option<LockHolder> = None;
        // A second attempt after removing a stale lock, or after the holder
        // released its lock between our attempt and our reading it.
        for _ in 0..3 {
            // The holder is written to a temporary file first and linked into
            // place only if no lock exists: a racing run never sees an empty
            // lock, and a crash never leaves one.
            let tmp = write_tmp(&dir, &path, &me)?;
            match tmp.persist_noclobber(&path) {
                Ok(_) => {
                    let Some(steps) = take_steps(&dir)? else {
                        // A step of an earlier run still executes (its
                        // supervisor holds the steps lock): not ours yet.
                        let _ = std::fs::remove_file(&path);
                        let step = taken_over
                            .as_ref()
                            .and_then(|h: &LockHolder| h.step.clone())
                            .or_else(|| running_step(site))
                            .unwrap_or_else(|| RunningStep {
                                pgid: 0,
                                supervisor: None,
                                command: vec!["(not recorded)".into()],
                                phase: String::new(),
                                step: 0,
                                started: String::new(),
                            });
                        return Ok(Err(Busy {
                            path,
                            holder: taken_over.unwrap_or(me),
                            decision: Decision::StepStillRunning(step),
                        }));
                    };
                    return Ok(Ok(SiteLock {
                        path,
                        holder: me,
                        taken_over,
                        steps,
                    }));
                }
                Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => {
                    // Released (removed by its holder's drop, which takes no
                    // guard) since: try again.
                    let Some(holder) = read_holder_if_any(&path)? else {
                        continue;
                    };
                    let facts = if holder.host == me.host {
                        Liveness::of(&holder, &dir)?
                    } else {
                        Liveness {
                            holder_alive: true,
                            step_alive: true,
                        }
                    };
                    match decide(&holder, &me.host, facts) {
                        Decision::TakeOver => {
                            match std::fs::remove_file(&path) {
                                Ok(()) => {}
                                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                                Err(e) => return Err(RunError::Io { path, source: e }),
                            }
                            taken_over = Some(holder);
                            continue;
                        }
                        decision => {
                            return Ok(Err(Busy {
                                path,
                                holder,
                                decision,
                            }))
                        }
                    }
                }
                Err(e) => {
                    return Err(RunError::Io {
                        path,
                        source: e.error,
                    })
                }
            }
        }
        // Locks taken and released faster than we could look (or a run
        // without the guard, an older kubemagic): report the current one.
        let holder = read_holder(&path)?;
        Ok(Err(Busy {
            path,
            holder,
            decision: Decision::HolderAlive,
        }))
    }

    /// The stale lock this one replaced (its holder was gone), if any.
    pub fn taken_over(&self) -> Option<&LockHolder> {
        self.taken_over.as_ref()
    }

    /// The steps lock's descriptor, for a step's supervisor to inherit and
    /// hold until the step's last process is gone.
    pub(crate) fn steps_fd(&self) -> RawFd {
        self.steps.as_raw_fd()
    }

    /// Records the step now running (or none) in the lock file, replacing it
    /// whole: a run that finds this lock stale then knows which process
    /// group to wait for.
    pub fn set_step(&mut self, step: Option<RunningStep>) -> Result<(), RunError> {
        self.holder.step = step;
        let body = serde_json::to_vec(&self.holder).map_err(|e| RunError::Io {
            path: self.path.clone(),
            source: e.into(),
        })?;
        kubemagic_fs::write_atomic(&self.path, &body, 0o600)?;
        Ok(())
    }
}

fn write_tmp(
    dir: &Path,
    path: &Path,
    holder: &LockHolder,
) -> Result<tempfile::NamedTempFile, RunError> {
    let body = serde_json::to_vec(holder).map_err(|e| RunError::Io {
        path: path.to_path_buf(),
        source: e.into(),
    })?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(RunError::io(dir))?;
    tmp.write_all(&body)
        .and_then(|_| tmp.as_file().sync_all())
        .map_err(RunError::io(tmp.path()))?;
    Ok(tmp)
}

fn read_holder_if_any(path: &Path) -> Result<Option<LockHolder>, RunError> {
    match kubemagic_fs::read(path, kubemagic_fs::limits::MAX_STATE_BYTES) {
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e.into()),
        Ok(bytes) => parse_holder(path, &bytes).map(Some),
    }
}

/// The lock file, read as a regular file of at most
/// [`MAX_STATE_BYTES`](kubemagic_fs::limits::MAX_STATE_BYTES): a FIFO or a
/// link to a device in its place is refused, naming it, never waited on.
fn read_holder(path: &Path) -> Result<LockHolder, RunError> {
    let bytes = kubemagic_fs::read(path, kubemagic_fs::limits::MAX_STATE_BYTES)?;
    parse_holder(path, &bytes)
}

fn parse_holder(path: &Path, bytes: &[u8]) -> Result<LockHolder, RunError> {
    serde_json::from_slice(bytes).map_err(|e| RunError::BadLock {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

impl Drop for SiteLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The latest `running` entry of a site's journal as a lock's step record:
/// what a refusal names when a step still executes but no lock file says
/// which (removed by hand, or the run died before recording it there).
fn running_step(site: &Path) -> Option<RunningStep> {
    let j = crate::journal::Journal::load(site).ok()?;
    let e = j
        .entries
        .iter()
        .rev()
        .find(|e| e.outcome == crate::journal::StepOutcome::Running)?;
    Some(RunningStep {
        pgid: e.pgid.unwrap_or_default(),
        supervisor: e.supervisor,
        command: e.argv.clone(),
        phase: e.phase.clone(),
        step: e.step,
        started: e.started.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::CommandExt;

    #[test]
    fn second_lock_names_the_holder() {
        let d = tempfile::tempdir().unwrap();
        let _held = SiteLock::acquire(d.path()).unwrap();
        let e = SiteLock::acquire(d.path()).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains(&format!("pid {} on {}", std::process::id(), hostname())),
            "{msg}"
        );
    }

    #[test]
    fn lock_is_released_on_drop() {
        let d = tempfile::tempdir().unwrap();
        drop(SiteLock::acquire(d.path()).unwrap());
        assert!(!SiteLock::path(d.path()).exists());
        SiteLock::acquire(d.path()).unwrap();
    }

    #[test]
    fn stale_lock_of_a_dead_process_is_taken_over() {
        let d = tempfile::tempdir().unwrap();
        // A child that has exited and been reaped: its pid is gone.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        std::fs::create_dir_all(d.path().join(STATE_DIR)).unwrap();
        let stale = LockHolder {
            pid,
            host: hostname(),
            started: now(),
            step: None,
        };
        std::fs::write(
            SiteLock::path(d.path()),
            serde_json::to_vec(&stale).unwrap(),
        )
        .unwrap();
        let _lock = SiteLock::acquire(d.path()).unwrap();
        let now_held: LockHolder =
            serde_json::from_slice(&std::fs::read(SiteLock::path(d.path())).unwrap()).unwrap();
        assert_eq!(now_held.pid, std::process::id());
    }

    #[test]
    fn lock_of_another_host_is_never_taken_over() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join(STATE_DIR)).unwrap();
        let other = LockHolder {
            pid: 1,
            host: "elsewhere.invalid".into(),
            started: now(),
            step: None,
        };
        std::fs::write(
            SiteLock::path(d.path()),
            serde_json::to_vec(&other).unwrap(),
        )
        .unwrap();
        let e = SiteLock::acquire(d.path()).unwrap_err();
        assert!(e.to_string().contains("pid 1 on elsewhere.invalid"), "{e}");
    }

    #[test]
    fn garbage_lock_is_reported_not_removed() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join(STATE_DIR)).unwrap();
        std::fs::write(SiteLock::path(d.path()), "").unwrap();
        let e = SiteLock::acquire(d.path()).unwrap_err();
        assert!(matches!(e, RunError::BadLock { .. }), "{e}");
        assert!(SiteLock::path(d.path()).exists());
    }

    fn holder(host: &str, step: bool) -> LockHolder {
        LockHolder {
            pid: 4242,
            host: host.into(),
            started: "2026-11-28T07:00:00Z".into(),
            step: step.then(|| RunningStep {
                pgid: 4343,
                supervisor: None,
                command: vec!["ansible-playbook".into(), "cluster.yml".into()],
                phase: "deploy-kube".into(),
                step: 0,
                started: "2026-11-28T07:01:00Z".into(),
            }),
        }
    }

    fn facts(holder_alive: bool, step_alive: bool) -> Liveness {
        Liveness {
            holder_alive,
            step_alive,
        }
    }

    #[test]
    fn decide_takes_over_only_when_holder_and_its_step_are_gone() {
        let h = holder("here", true);
        assert_eq!(decide(&h, "here", facts(false, false)), Decision::TakeOver);
        assert_eq!(
            decide(&h, "here", facts(false, true)),
            Decision::StepStillRunning(h.step.clone().unwrap())
        );
        assert_eq!(decide(&h, "here", facts(true, true)), Decision::HolderAlive);
        assert_eq!(
            decide(&h, "here", facts(true, false)),
            Decision::HolderAlive
        );
    }

    #[test]
    fn decide_takes_over_a_dead_holder_between_steps() {
        let h = holder("here", false);
        // No step recorded: a live group of some unrelated pgid is no reason.
        assert_eq!(decide(&h, "here", facts(false, true)), Decision::TakeOver);
        assert_eq!(
            decide(&h, "here", facts(true, false)),
            Decision::HolderAlive
        );
    }

    #[test]
    fn decide_never_takes_over_another_hosts_lock() {
        for step in [false, true] {
            let h = holder("elsewhere", step);
            for (a, b) in [(false, false), (true, true), (false, true)] {
                assert_eq!(decide(&h, "here", facts(a, b)), Decision::OtherHost);
            }
        }
    }

    #[test]
    fn lock_without_a_step_field_still_reads() {
        let h: LockHolder =
            serde_json::from_str(r#"{"pid": 1, "host": "h", "started": "t"}"#).unwrap();
        assert_eq!(h.step, None);
        assert!(!serde_json::to_string(&h).unwrap().contains("step"));
    }

    #[test]
    fn stale_lock_whose_step_still_runs_is_refused_naming_pid_and_command() {
        let d = tempfile::tempdir().unwrap();
        // The recorded step: a live process group of our own making.
        let mut group = std::process::Command::new("sleep")
            .arg("30")
            .process_group(0)
            .spawn()
            .unwrap();
        let mut dead = std::process::Command::new("true").spawn().unwrap();
        let dead_pid = dead.id();
        dead.wait().unwrap();
        let mut h = holder(&hostname(), true);
        h.pid = dead_pid;
        h.step.as_mut().unwrap().pgid = group.id();
        h.step.as_mut().unwrap().command = vec![
            "/venv/bin/ansible-playbook".into(),
            "-i".into(),
            "inventory/my site/hosts.yml".into(),
            "cluster.yml".into(),
        ];
        std::fs::create_dir_all(d.path().join(STATE_DIR)).unwrap();
        std::fs::write(SiteLock::path(d.path()), serde_json::to_vec(&h).unwrap()).unwrap();
        let msg = SiteLock::acquire(d.path()).unwrap_err().to_string();
        assert!(
            msg.contains(&format!(
                "ansible-playbook (pid {}, `/venv/bin/ansible-playbook -i 'inventory/my site/hosts.yml' cluster.yml`) is still running",
                group.id()
            )),
            "{msg}"
        );
        assert!(msg.contains("--wait"), "{msg}");
        // Once the group is gone (and even if nobody reaped it), it is taken over.
        group.kill().unwrap();
        group.wait().unwrap();
        let lock = SiteLock::acquire(d.path()).unwrap();
        assert_eq!(lock.taken_over().unwrap().pid, dead_pid);
    }

    #[test]
    fn a_zombie_group_is_gone() {
        // A child that exited but is not reaped yet: kill(-pgid, 0) still
        // succeeds, yet nothing runs.
        let mut child = std::process::Command::new("true")
            .process_group(0)
            .spawn()
            .unwrap();
        let pgid = child.id();
        let t0 = std::time::Instant::now();
        while proc_stat(pgid).is_some_and(|(s, _)| !zombie(s))
            && t0.elapsed() < std::time::Duration::from_secs(5)
        {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert!(!group_alive(pgid));
        assert!(!pid_alive(pgid));
        child.wait().unwrap();
        assert!(!group_alive(pgid));
    }

    #[test]
    fn set_step_records_the_running_step_in_the_lock() {
        let d = tempfile::tempdir().unwrap();
        let mut lock = SiteLock::acquire(d.path()).unwrap();
        let step = holder("x", true).step;
        lock.set_step(step.clone()).unwrap();
        let on_disk: LockHolder =
            serde_json::from_slice(&std::fs::read(SiteLock::path(d.path())).unwrap()).unwrap();
        assert_eq!(on_disk.step, step);
        assert_eq!(on_disk.pid, std::process::id());
        lock.set_step(None).unwrap();
        let on_disk: LockHolder =
            serde_json::from_slice(&std::fs::read(SiteLock::path(d.path())).unwrap()).unwrap();
        assert_eq!(on_disk.step, None);
    }

    #[test]
    fn racing_takeovers_of_one_stale_lock_leave_exactly_one_winner() {
        let d = tempfile::tempdir().unwrap();
        let mut dead = std::process::Command::new("true").spawn().unwrap();
        let dead_pid = dead.id();
        dead.wait().unwrap();
        for _ in 0..20 {
            std::fs::create_dir_all(d.path().join(STATE_DIR)).unwrap();
            let mut stale = holder(&hostname(), false);
            stale.pid = dead_pid;
            std::fs::write(
                SiteLock::path(d.path()),
                serde_json::to_vec(&stale).unwrap(),
            )
            .unwrap();
            let barrier = std::sync::Arc::new(std::sync::Barrier::new(4));
            let winners: Vec<_> = (0..4)
                .map(|_| {
                    let site = d.path().to_path_buf();
                    let b = barrier.clone();
                    std::thread::spawn(move || {
                        b.wait();
                        SiteLock::try_acquire(&site).unwrap().ok()
                    })
                })
                .collect::<Vec<_>>()
                .into_iter()
                .map(|t| t.join().unwrap())
                .collect();
            // Threads share a pid, so the losers see a live holder.
            assert_eq!(winners.iter().filter(|w| w.is_some()).count(), 1);
            drop(winners);
            assert!(!SiteLock::path(d.path()).exists());
        }
    }
}

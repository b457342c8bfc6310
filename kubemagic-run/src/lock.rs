//! `SITE/.kubemagic/lock`: one run per site at a time.
//!
//! Created with O_EXCL (`create_new`), so two runs racing for it cannot both
//! win. It holds who took it (pid, host, time) so the refusal names the
//! holder. A lock whose process is gone (same host, pid no longer exists) is
//! stale: a run that was SIGKILLed or lost power; it is taken over.

use crate::{journal::now, RunError, STATE_DIR};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

pub const LOCK_FILE: &str = "lock";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockHolder {
    pub pid: u32,
    pub host: String,
    pub started: String,
}

/// A held lock; released (file removed) when dropped.
#[derive(Debug)]
pub struct SiteLock {
    path: PathBuf,
}

pub fn hostname() -> String {
    rustix::system::uname()
        .nodename()
        .to_string_lossy()
        .into_owned()
}

/// Whether a process with this pid exists on this machine. EPERM means it
/// exists but belongs to someone else: still alive.
fn pid_alive(pid: u32) -> bool {
    let Ok(raw) = i32::try_from(pid) else {
        return false;
    };
    let Some(pid) = rustix::process::Pid::from_raw(raw) else {
        return false;
    };
    match rustix::process::test_kill_process(pid) {
        Ok(()) => true,
        Err(e) => e != rustix::io::Errno::SRCH,
    }
}

impl SiteLock {
    pub fn path(site: &Path) -> PathBuf {
        site.join(STATE_DIR).join(LOCK_FILE)
    }

    /// Takes the site's lock, or says who holds it.
    pub fn acquire(site: &Path) -> Result<SiteLock, RunError> {
        let dir = site.join(STATE_DIR);
        std::fs::create_dir_all(&dir).map_err(RunError::io(&dir))?;
        let path = SiteLock::path(site);
        let me = LockHolder {
            pid: std::process::id(),
            host: hostname(),
            started: now(),
        };
        let body = serde_json::to_vec(&me).map_err(|e| RunError::Io {
            path: path.clone(),
            source: e.into(),
        })?;
        // Two attempts: the second after removing a stale lock.
        for _ in 0..2 {
            // The holder is written to a temporary file first and linked into
            // place only if no lock exists: a racing run never sees an empty
            // lock, and a crash never leaves one.
            let mut tmp = tempfile::NamedTempFile::new_in(&dir).map_err(RunError::io(&dir))?;
            tmp.write_all(&body)
                .and_then(|_| tmp.as_file().sync_all())
                .map_err(RunError::io(tmp.path()))?;
            match tmp.persist_noclobber(&path) {
                Ok(_) => return Ok(SiteLock { path }),
                Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => {
                    let holder = read_holder(&path)?;
                    if holder.host == me.host && !pid_alive(holder.pid) {
                        match std::fs::remove_file(&path) {
                            Ok(()) => continue,
                            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                            Err(e) => return Err(RunError::Io { path, source: e }),
                        }
                    }
                    return Err(RunError::Locked { path, holder });
                }
                Err(e) => {
                    return Err(RunError::Io {
                        path,
                        source: e.error,
                    })
                }
            }
        }
        // Someone took a lock again right after we removed a stale one.
        let holder = read_holder(&path)?;
        Err(RunError::Locked { path, holder })
    }
}

fn read_holder(path: &Path) -> Result<LockHolder, RunError> {
    let bytes = std::fs::read(path).map_err(RunError::io(path))?;
    serde_json::from_slice(&bytes).map_err(|e| RunError::BadLock {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

impl Drop for SiteLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}

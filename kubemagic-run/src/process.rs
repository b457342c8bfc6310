//! Runs one command (ansible-playbook), streaming its output line by line to
//! the caller, and stopping it when the run is cancelled (Ctrl-C) or when
//! kubemagic itself dies.
//!
//! Stopping ansible-playbook means signalling *it*: since ansible-core 2.19
//! (`WorkerProcess._detach`) every worker calls `setsid()`, so the workers
//! are not in ansible-playbook's process group and a signal to the group
//! reaches ansible-playbook alone. ansible-playbook's `TaskQueueManager`
//! handles SIGINT and SIGTERM by forwarding the signal to each worker (which
//! passes it on to its own session) and then stopping; SIGKILL gives it no
//! such chance and leaves the workers running. Hence the order used below:
//! SIGINT (Ctrl-C: "User interrupted execution"), then SIGTERM, and SIGKILL
//! only when both were ignored.

use crate::RunError;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long ansible-playbook gets to stop after SIGINT (it then prints its
/// "User interrupted execution" and exits) before it gets SIGTERM. A second
/// Ctrl-C cuts this short.
const GRACE: Duration = Duration::from_secs(10);

/// How long ansible-playbook gets after SIGTERM (forward to the workers,
/// exit) before its group is killed.
const TERM_GRACE: Duration = Duration::from_secs(5);

/// How a run learns that the operator wants it to stop: the number of
/// Ctrl-C (SIGINT, SIGTERM) kubemagic received. The first stops the running
/// step gracefully (SIGINT to ansible-playbook, 10 s grace); a second one
/// does not wait out the grace (SIGTERM at once).
pub trait Interrupt: Sync {
    /// How many times the operator asked to stop; 0: keep going.
    fn presses(&self) -> u32;
}

/// Set once: a stop request that never escalates (embedders, tests).
impl Interrupt for AtomicBool {
    fn presses(&self) -> u32 {
        u32::from(self.load(Ordering::SeqCst))
    }
}

/// A counter the signal handler increments (the CLI's).
impl Interrupt for AtomicU32 {
    fn presses(&self) -> u32 {
        self.load(Ordering::SeqCst)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Exit {
    Code(i32),
    Signal(i32),
    Interrupted(Option<i32>),
}

pub(crate) struct Line {
    pub text: String,
    pub stderr: bool,
}

fn pump(
    r: impl Read + Send + 'static,
    stderr: bool,
    tx: mpsc::Sender<Line>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut r = BufReader::new(r);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match r.read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    let text = String::from_utf8_lossy(&buf)
                        .trim_end_matches(['\n', '\r'])
                        .to_string();
                    if tx.send(Line { text, stderr }).is_err() {
                        break;
                    }
                }
            }
        }
    })
}

fn signal_group(pid: u32, sig: rustix::process::Signal) {
    if let Some(pid) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    {
        let _ = rustix::process::kill_process_group(pid, sig);
    }
}

/// The signal ansible-playbook gets when kubemagic dies: SIGTERM, the one
/// its `TaskQueueManager` turns into "forward to every worker, then exit"
/// without the interactive "User interrupted execution" path of SIGINT
/// (which writes to a terminal and pipes nobody reads any more). SIGKILL
/// would orphan the workers, which live in their own sessions.
#[cfg(any(target_os = "linux", target_os = "android"))]
const PARENT_DEATH_SIGNAL: rustix::process::Signal = rustix::process::Signal::TERM;

/// Makes the child get [`PARENT_DEATH_SIGNAL`] when kubemagic dies, even by
/// SIGKILL, so that no ansible-playbook outlives the run that journals it.
///
/// `PR_SET_PDEATHSIG` is set between fork and exec and survives the exec
/// (ansible-playbook is not set-uid). It fires when the *thread* that forked
/// the child exits, not the process: `run_streaming` waits for the child on
/// the thread that spawned it, so that thread outlives the step. The classic
/// race: kubemagic may die after the fork but before the `prctl`; the child
/// then already has a new parent and would never get the signal, so it
/// checks `getppid()` afterwards and gives up (exits without exec) if its
/// parent is no longer the one that forked it.
///
/// Elsewhere (macOS, the BSDs) there is no such signal in this code: a
/// SIGKILLed kubemagic leaves ansible-playbook running until it ends. The
/// lock still records its process group, so the next run refuses (or with
/// `--wait`, waits) until it has ended.
fn die_with_parent(cmd: &mut Command) {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        let parent = rustix::process::getpid();
        // SAFETY: the closure runs in the forked child before exec and only
        // makes two system calls (no allocation, no locks): async-signal-safe.
        unsafe {
            cmd.pre_exec(move || {
                rustix::process::set_parent_process_death_signal(Some(PARENT_DEATH_SIGNAL))?;
                if rustix::process::getppid() != Some(parent) {
                    // Our parent died before the prctl: exit, never exec.
                    return Err(rustix::io::Errno::SRCH.into());
                }
                Ok(())
            });
        }
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let _ = cmd;
}

/// Runs `program args` in `cwd`, in its own process group (so that a
/// terminal's Ctrl-C reaches kubemagic, which then stops the whole group and
/// records it, instead of killing ansible behind the journal's back).
/// `on_spawn` gets the child's pid (= its process group) and command line as
/// soon as it runs, to record them; if recording fails the child is stopped
/// and the error returned.
pub(crate) fn run_streaming(
    program: &Path,
    args: &[String],
    cwd: &Path,
    cancel: &dyn Interrupt,
    on_spawn: &mut dyn FnMut(u32, Vec<String>) -> Result<(), RunError>,
    on_line: &mut dyn FnMut(Line),
) -> Result<Exit, RunError> {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env("PYTHONUNBUFFERED", "1")
        .process_group(0);
    die_with_parent(&mut cmd);
    let mut child = cmd.spawn().map_err(|source| RunError::Spawn {
        program: program.display().to_string(),
        hint: if source.kind() == std::io::ErrorKind::NotFound {
            " (put ansible-playbook on PATH or set KUBEMAGIC_ANSIBLE_PLAYBOOK)"
        } else {
            ""
        },
        source,
    })?;
    let (tx, rx) = mpsc::channel();
    let mut pumps = vec![];
    if let Some(out) = child.stdout.take() {
        pumps.push(pump(out, false, tx.clone()));
    }
    if let Some(err) = child.stderr.take() {
        pumps.push(pump(err, true, tx.clone()));
    }
    drop(tx);
    let pid = child.id();
    let command: Vec<String> = std::iter::once(program.display().to_string())
        .chain(args.iter().cloned())
        .collect();
    if let Err(e) = on_spawn(pid, command) {
        // Not recorded: a later run could not know to wait for it.
        signal_group(pid, rustix::process::Signal::TERM);
        let t0 = Instant::now();
        while matches!(child.try_wait(), Ok(None)) {
            if t0.elapsed() > TERM_GRACE {
                signal_group(pid, rustix::process::Signal::KILL);
                let _ = child.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        return Err(e);
    }
    let mut interrupted_at: Option<Instant> = None;
    let mut terminated_at: Option<Instant> = None;
    let mut killed = false;
    let status = loop {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(line) => on_line(line),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            // Both pumps ended (the child closed its output) but the child
            // may still run: poll it at the same pace instead of spinning.
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                std::thread::sleep(Duration::from_millis(100))
            }
        }
        let presses = cancel.presses();
        if presses >= 1 && interrupted_at.is_none() {
            signal_group(pid, rustix::process::Signal::INT);
            interrupted_at = Some(Instant::now());
        }
        if let Some(t) = interrupted_at {
            if terminated_at.is_none() && (presses >= 2 || t.elapsed() > GRACE) {
                signal_group(pid, rustix::process::Signal::TERM);
                terminated_at = Some(Instant::now());
            }
        }
        if let Some(t) = terminated_at {
            if !killed && t.elapsed() > TERM_GRACE {
                signal_group(pid, rustix::process::Signal::KILL);
                killed = true;
            }
        }
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => {}
            Err(e) => {
                return Err(RunError::Io {
                    path: program.to_path_buf(),
                    source: e,
                })
            }
        }
    };
    // Output still buffered in the pipes. A grandchild that kept them open
    // would block this, so stop waiting once the pumps are done or after a
    // short while.
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        match rx.recv_timeout(Duration::from_millis(50)) {
            Ok(line) => on_line(line),
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) if Instant::now() > deadline => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
    }
    for p in pumps {
        if p.is_finished() {
            let _ = p.join();
        }
    }
    if interrupted_at.is_some() {
        return Ok(Exit::Interrupted(status.code()));
    }
    Ok(match (status.code(), status.signal()) {
        (Some(c), _) => Exit::Code(c),
        (None, Some(s)) => Exit::Signal(s),
        (None, None) => Exit::Code(-1),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A command that ignores SIGINT (as a playbook stuck in an
    /// uninterruptible task does) and says when it is ready.
    fn stubborn(cancel: &AtomicU32, press_twice: bool) -> (Exit, Duration) {
        let t0 = Instant::now();
        let mut recorded = None;
        let exit = run_streaming(
            Path::new("sh"),
            &["-c".into(), "trap '' INT; echo ready; sleep 30".into()],
            Path::new("."),
            cancel,
            &mut |pgid, command| {
                recorded = Some((pgid, command));
                Ok(())
            },
            &mut |l| {
                if l.text == "ready" {
                    cancel.fetch_add(if press_twice { 2 } else { 1 }, Ordering::SeqCst);
                }
            },
        )
        .unwrap();
        let (pgid, command) = recorded.unwrap();
        assert!(pgid > 0);
        assert_eq!(command[0], "sh");
        (exit, t0.elapsed())
    }

    #[test]
    fn a_second_ctrl_c_stops_a_step_that_ignores_sigint_without_the_grace() {
        let cancel = AtomicU32::new(0);
        let (exit, took) = stubborn(&cancel, true);
        // SIGTERM ended it (sh runs `sleep` in the foreground, both get it).
        assert!(matches!(exit, Exit::Interrupted(_)), "{exit:?}");
        assert!(took < GRACE, "took {took:?}");
    }

    #[test]
    fn one_ctrl_c_gives_a_step_that_ignores_sigint_the_grace_then_sigterm() {
        let cancel = AtomicU32::new(0);
        let (exit, took) = stubborn(&cancel, false);
        assert!(matches!(exit, Exit::Interrupted(_)), "{exit:?}");
        assert!(took >= GRACE && took < GRACE + TERM_GRACE, "took {took:?}");
    }

    #[test]
    fn a_failed_record_stops_the_child_and_is_the_error() {
        let cancel = AtomicU32::new(0);
        let t0 = Instant::now();
        let e = run_streaming(
            Path::new("sleep"),
            &["30".into()],
            Path::new("."),
            &cancel,
            &mut |_, _| {
                Err(RunError::Io {
                    path: "lock".into(),
                    source: std::io::ErrorKind::StorageFull.into(),
                })
            },
            &mut |_| {},
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("lock:"), "{e}");
        assert!(t0.elapsed() < Duration::from_secs(10));
    }
}

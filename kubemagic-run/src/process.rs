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
//! only when both were ignored. The signals go through the step's
//! supervisor ([`crate::supervise`]), which forwards them, reaps every
//! process of the step (also those in other sessions), and stops the step on
//! its own when kubemagic dies.

use crate::supervise::{self, Ended, Request, SpawnError};
use crate::RunError;
use std::io::{BufRead, BufReader, Read};
use std::os::fd::RawFd;
use std::path::Path;
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

/// The processes of a started step, as recorded in the lock and journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StepProcs {
    /// The step supervisor (see [`crate::supervise`]): it exits only once
    /// every process of the step is gone.
    pub supervisor: u32,
    /// ansible-playbook's pid, which is also its process group.
    pub playbook: u32,
}

/// Runs `program args` in `cwd` under a step supervisor (see
/// [`crate::supervise`]): ansible-playbook in its own process group (so that
/// a terminal's Ctrl-C reaches kubemagic, which then stops the step and
/// records it, instead of killing ansible behind the journal's back), every
/// process it starts reaped by the supervisor, the whole step stopped if
/// kubemagic dies. `hold` (the run's step lock) stays open in the supervisor
/// until the step's last process is gone. `on_spawn` gets the supervisor's
/// and ansible-playbook's pids and the command line as soon as it runs, to
/// record them; if recording fails the step is stopped and the error
/// returned. Returns once every process of the step has ended.
pub(crate) fn run_streaming(
    program: &Path,
    args: &[String],
    cwd: &Path,
    hold: Option<RawFd>,
    cancel: &dyn Interrupt,
    on_spawn: &mut dyn FnMut(StepProcs, Vec<String>) -> Result<(), RunError>,
    on_line: &mut dyn FnMut(Line),
) -> Result<Exit, RunError> {
    let mut child = supervise::spawn(program, args, cwd, &[("PYTHONUNBUFFERED", "1")], hold)
        .map_err(|e| match e {
            SpawnError::NotFound => RunError::Spawn {
                program: program.display().to_string(),
                source: std::io::ErrorKind::NotFound.into(),
                hint: " (put ansible-playbook on PATH or set KUBEMAGIC_ANSIBLE_PLAYBOOK)",
            },
            SpawnError::Chdir(source) => RunError::Io {
                path: cwd.to_path_buf(),
                source,
            },
            SpawnError::Exec(source) => RunError::Spawn {
                program: program.display().to_string(),
                source,
                hint: "",
            },
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
    let procs = StepProcs {
        supervisor: child.supervisor,
        playbook: child.playbook,
    };
    let command: Vec<String> = std::iter::once(program.display().to_string())
        .chain(args.iter().cloned())
        .collect();
    if let Err(e) = on_spawn(procs, command) {
        // Not recorded: a later run could not name it. Stop it.
        child.stop(TERM_GRACE.as_millis() as u64);
        return Err(e);
    }
    let mut interrupted_at: Option<Instant> = None;
    let mut terminated_at: Option<Instant> = None;
    let mut killed = false;
    let ended = loop {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(line) => on_line(line),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            // Both pumps ended (the step closed its output) but processes
            // may still run: poll at the same pace instead of spinning.
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                std::thread::sleep(Duration::from_millis(100))
            }
        }
        let presses = cancel.presses();
        if presses >= 1 && interrupted_at.is_none() {
            child.request(Request::Interrupt);
            interrupted_at = Some(Instant::now());
        }
        if let Some(t) = interrupted_at {
            if terminated_at.is_none() && (presses >= 2 || t.elapsed() > GRACE) {
                child.request(Request::Terminate);
                terminated_at = Some(Instant::now());
            }
        }
        if let Some(t) = terminated_at {
            if !killed && t.elapsed() > TERM_GRACE {
                child.request(Request::Kill);
                killed = true;
            }
        }
        match child.try_wait() {
            Ok(Some(ended)) => break ended,
            Ok(None) => {}
            Err(e) => {
                return Err(RunError::Io {
                    path: program.to_path_buf(),
                    source: e,
                })
            }
        }
    };
    // Output still buffered in the pipes. Every writer is gone (the
    // supervisor reaped the step's last process), so the pumps end; the
    // deadline is only a safety net.
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
        return Ok(Exit::Interrupted(match ended {
            Ended::Code(c) => Some(c),
            Ended::Signal(_) => None,
        }));
    }
    Ok(match ended {
        Ended::Code(c) => Exit::Code(c),
        Ended::Signal(s) => Exit::Signal(s),
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
            None,
            cancel,
            &mut |procs, command| {
                recorded = Some((procs.playbook, command));
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
    fn a_step_ends_only_once_what_it_daemonized_is_gone() {
        let d = tempfile::tempdir().unwrap();
        let pidfile = d.path().join("daemon.pid");
        let script = format!(
            "setsid sh -c 'echo $$ > {}; exec sleep 30' & sleep 0.5; echo started",
            pidfile.display()
        );
        let cancel = AtomicU32::new(0);
        let t0 = Instant::now();
        let exit = run_streaming(
            Path::new("sh"),
            &["-c".into(), script],
            Path::new("."),
            None,
            &cancel,
            &mut |_, _| Ok(()),
            &mut |_| {},
        )
        .unwrap();
        assert_eq!(exit, Exit::Code(0));
        let daemon: u32 = std::fs::read_to_string(&pidfile)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        // Its own session, orphaned when sh exited: the supervisor, its
        // subreaper, stopped it (SIGTERM) and reaped it before returning.
        assert!(
            !crate::lock::pid_alive(daemon),
            "daemon {daemon} still runs"
        );
        assert!(t0.elapsed() < Duration::from_secs(10), "{:?}", t0.elapsed());
    }

    #[test]
    fn a_missing_program_is_a_spawn_error_with_the_hint() {
        let cancel = AtomicU32::new(0);
        let e = run_streaming(
            Path::new("no-such-ansible-playbook"),
            &[],
            Path::new("."),
            None,
            &cancel,
            &mut |_, _| Ok(()),
            &mut |_| {},
        )
        .unwrap_err();
        assert!(e.to_string().contains("KUBEMAGIC_ANSIBLE_PLAYBOOK"), "{e}");
    }

    #[test]
    fn a_failed_record_stops_the_child_and_is_the_error() {
        let cancel = AtomicU32::new(0);
        let t0 = Instant::now();
        let e = run_streaming(
            Path::new("sleep"),
            &["30".into()],
            Path::new("."),
            None,
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

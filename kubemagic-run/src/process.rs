//! Runs one command (ansible-playbook), streaming its output line by line to
//! the caller, and stopping it when the run is cancelled (Ctrl-C).

use crate::RunError;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long ansible-playbook gets to stop after SIGINT (it then prints its
/// "User interrupted execution" and exits) before the group is killed.
const GRACE: Duration = Duration::from_secs(10);

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

/// Runs `program args` in `cwd`, in its own process group (so that a
/// terminal's Ctrl-C reaches kubemagic, which then stops the whole group and
/// records it, instead of killing ansible behind the journal's back).
pub(crate) fn run_streaming(
    program: &Path,
    args: &[String],
    cwd: &Path,
    cancel: &AtomicBool,
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
    let mut interrupted_at: Option<Instant> = None;
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
        if cancel.load(Ordering::SeqCst) && interrupted_at.is_none() {
            signal_group(pid, rustix::process::Signal::INT);
            interrupted_at = Some(Instant::now());
        }
        if let Some(t) = interrupted_at {
            if !killed && t.elapsed() > GRACE {
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

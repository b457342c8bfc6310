//! The step supervisor: a small process, forked by kubemagic for each step,
//! that runs ansible-playbook and owns *every* process the step starts, so
//! that no step can ever run twice at once (issue 22, item 1).
//!
//! Why a supervisor: ansible-core 2.19's workers call `setsid()`
//! (`WorkerProcess._detach`), so a task's processes live in their own
//! sessions; when ansible-playbook is SIGKILLed they are orphaned to pid 1,
//! where neither its process group nor its children can find them. A task
//! that daemonizes (`setsid`, a double fork, ssh's ControlPersist master)
//! escapes the same way. The supervisor is a *child subreaper*
//! (`PR_SET_CHILD_SUBREAPER`): every orphan of the step is re-parented to it,
//! whatever session or group it moved to, and it exits only once it has
//! reaped the last of them. It inherits the run's step lock (a `flock` on
//! `.kubemagic/steps.lock`, see [`crate::lock`]); the kernel releases that
//! lock when the supervisor's descriptor closes, i.e. when the supervisor
//! has exited, i.e. when nothing of the step runs any more. A run that finds
//! the lock taken therefore waits (`--wait`) or refuses, and it can never
//! overlap a step still at work.
//!
//! What it does:
//! - kubemagic dies (even by SIGKILL): `PR_SET_PDEATHSIG` gives the
//!   supervisor SIGTERM; it sends SIGTERM to ansible-playbook's process group
//!   (ansible forwards it to its workers and exits), and after
//!   [`TERM_GRACE_MS`] SIGKILLs every descendant still there.
//! - ansible-playbook ends: the step's leftovers (daemons, ssh masters) get
//!   SIGTERM, and SIGKILL after [`LEFTOVER_GRACE_MS`]: a step ends when its
//!   playbook ends, and nothing it started outlives it.
//! - kubemagic asks (Ctrl-C): SIGINT and SIGTERM are forwarded to
//!   ansible-playbook's group; SIGUSR1 means "kill the whole tree now".
//!
//! Why fork and not re-exec kubemagic: the runner is a library used by the
//! CLI, by Python (where the executable is the interpreter) and by tests; a
//! forked child needs no binary of its own. After `fork` in a multi-threaded
//! process only async-signal-safe calls are allowed, so the supervisor is
//! written against raw system calls: no allocation, no locks, no panics;
//! everything it needs (paths, argument and environment vectors) is built
//! before the fork. Linux only (subreaper, parent-death signal, /proc).

use std::ffi::{CString, OsString};
use std::fs::File;
use std::os::fd::{FromRawFd, RawFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

/// How long ansible-playbook gets, once kubemagic has died, between SIGTERM
/// (forward to the workers, exit) and SIGKILL of everything left.
pub(crate) const TERM_GRACE_MS: i64 = 5_000;

/// How long the processes a step leaves behind when its ansible-playbook
/// has ended (a daemonized task, ssh's ControlPersist master) get between
/// SIGTERM and SIGKILL.
pub(crate) const LEFTOVER_GRACE_MS: i64 = 2_000;

/// Status-pipe messages (two native-endian `i32`: kind, value).
const MSG_STARTED: i32 = 1;
const MSG_CHDIR_FAILED: i32 = 2;
const MSG_EXEC_FAILED: i32 = 3;
const MSG_EXITED: i32 = 4;

/// Why a step's command could not be started.
#[derive(Debug)]
pub(crate) enum SpawnError {
    /// The program is not on PATH (or not executable).
    NotFound,
    /// The step's folder could not be entered.
    Chdir(std::io::Error),
    /// exec (or a pipe, or fork) failed.
    Exec(std::io::Error),
}

/// How ansible-playbook ended, as the supervisor saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ended {
    /// Exited with this code.
    Code(i32),
    /// Killed by this signal.
    Signal(i32),
}

/// What kubemagic can ask of a running supervisor.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Request {
    /// SIGINT to ansible-playbook's group (Ctrl-C).
    Interrupt,
    /// SIGTERM to ansible-playbook's group.
    Terminate,
    /// SIGKILL to every process of the step.
    Kill,
}

/// A running step: its supervisor, ansible-playbook, their output.
pub(crate) struct Supervised {
    /// The supervisor's pid (it leads its own process group).
    pub supervisor: u32,
    /// ansible-playbook's pid (it leads its own process group too).
    pub playbook: u32,
    /// ansible-playbook's stdout (read end).
    pub stdout: Option<File>,
    /// ansible-playbook's stderr (read end).
    pub stderr: Option<File>,
    status: File,
    ended: Option<Ended>,
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// A descriptor moved to 3 or above, close-on-exec: the playbook's
/// `dup2` onto 0, 1 and 2 must never overwrite one of them (an embedder may
/// have closed its standard descriptors).
fn high_fd(fd: RawFd) -> std::io::Result<RawFd> {
    if fd >= 3 {
        return Ok(fd);
    }
    // SAFETY: plain descriptor calls on a descriptor this module owns.
    let new = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 3) };
    unsafe { libc::close(fd) };
    if new < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(new)
}

fn pipe() -> std::io::Result<(RawFd, RawFd)> {
    let mut fds = [0; 2];
    // SAFETY: pipe2 writes two descriptors into the array it is given.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok((high_fd(fds[0])?, high_fd(fds[1])?))
}

/// `program` as exec will find it: a path with a `/` as given (made
/// absolute against kubemagic's folder, since the child changes folder),
/// else the first executable file of that name on PATH.
fn resolve(program: &Path) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    if program.as_os_str().as_bytes().contains(&b'/') {
        return std::path::absolute(program).ok();
    }
    let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into());
    std::env::split_paths(&path)
        .map(|d| d.join(program))
        .find(|p| {
            std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
        .and_then(|p| std::path::absolute(p).ok())
}

fn cstring(bytes: impl Into<Vec<u8>>) -> std::io::Result<CString> {
    CString::new(bytes).map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput))
}

/// Everything the forked processes use, prepared before the fork.
struct Raw {
    parent: libc::pid_t,
    program: *const libc::c_char,
    argv: *const *const libc::c_char,
    envp: *const *const libc::c_char,
    cwd: *const libc::c_char,
    devnull: RawFd,
    out_w: RawFd,
    err_w: RawFd,
    status_w: RawFd,
    /// The run's step lock, kept open by the supervisor alone, or -1.
    hold: RawFd,
}

/// Starts `program args` in `cwd` under a new supervisor. `env` is added
/// to kubemagic's environment. `hold` is a descriptor the supervisor keeps
/// open (close-on-exec, so ansible-playbook does not) until the step's last
/// process has been reaped: the run's step lock.
pub(crate) fn spawn(
    program: &Path,
    args: &[String],
    cwd: &Path,
    env: &[(&str, &str)],
    hold: Option<RawFd>,
) -> Result<Supervised, SpawnError> {
    let resolved = resolve(program).ok_or(SpawnError::NotFound)?;
    let exec = |e: std::io::Error| SpawnError::Exec(e);
    let c_program = cstring(resolved.as_os_str().as_bytes()).map_err(exec)?;
    let c_cwd = cstring(cwd.as_os_str().as_bytes()).map_err(exec)?;
    let mut c_args = vec![cstring(program.as_os_str().as_bytes()).map_err(exec)?];
    for a in args {
        c_args.push(cstring(a.as_bytes()).map_err(exec)?);
    }
    let mut vars: Vec<(OsString, OsString)> = std::env::vars_os()
        .filter(|(k, _)| !env.iter().any(|(n, _)| k.as_bytes() == n.as_bytes()))
        .collect();
    vars.extend(env.iter().map(|(k, v)| (k.into(), v.into())));
    let mut c_env = vec![];
    for (k, v) in vars {
        let mut kv = k.into_vec();
        kv.push(b'=');
        kv.extend(v.into_vec());
        c_env.push(cstring(kv).map_err(exec)?);
    }
    let argv: Vec<*const libc::c_char> = c_args
        .iter()
        .map(|c| c.as_ptr())
        .chain(std::iter::once(std::ptr::null()))
        .collect();
    let envp: Vec<*const libc::c_char> = c_env
        .iter()
        .map(|c| c.as_ptr())
        .chain(std::iter::once(std::ptr::null()))
        .collect();
    // SAFETY: opening /dev/null read-only, close-on-exec.
    let devnull = unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
    if devnull < 0 {
        return Err(SpawnError::Exec(std::io::Error::last_os_error()));
    }
    let devnull = high_fd(devnull).map_err(exec)?;
    let (out_r, out_w) = pipe().map_err(exec)?;
    let (err_r, err_w) = pipe().map_err(exec)?;
    let (status_r, status_w) = pipe().map_err(exec)?;
    let raw = Raw {
        // SAFETY: getpid cannot fail.
        parent: unsafe { libc::getpid() },
        program: c_program.as_ptr(),
        argv: argv.as_ptr(),
        envp: envp.as_ptr(),
        cwd: c_cwd.as_ptr(),
        devnull,
        out_w,
        err_w,
        status_w,
        hold: hold.unwrap_or(-1),
    };
    // SAFETY: the child runs `supervisor`, which only makes async-signal-safe
    // system calls on memory prepared above and never returns.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        unsafe { supervisor(&raw) }
    }
    let fork_error = std::io::Error::last_os_error();
    // SAFETY: closing the write ends (and /dev/null) only the children use.
    unsafe {
        libc::close(devnull);
        libc::close(out_w);
        libc::close(err_w);
        libc::close(status_w);
    }
    // SAFETY: each read end is owned by exactly one File from here on.
    let (stdout, stderr, mut status) = unsafe {
        (
            File::from_raw_fd(out_r),
            File::from_raw_fd(err_r),
            File::from_raw_fd(status_r),
        )
    };
    if pid < 0 {
        return Err(SpawnError::Exec(fork_error));
    }
    let supervisor = pid as u32;
    match read_msg(&mut status) {
        Some((MSG_STARTED, playbook)) => Ok(Supervised {
            supervisor,
            playbook: playbook as u32,
            stdout: Some(stdout),
            stderr: Some(stderr),
            status,
            ended: None,
        }),
        other => {
            reap(pid);
            Err(match other {
                Some((MSG_CHDIR_FAILED, e)) => {
                    SpawnError::Chdir(std::io::Error::from_raw_os_error(e))
                }
                Some((_, e)) => SpawnError::Exec(std::io::Error::from_raw_os_error(e)),
                None => SpawnError::Exec(std::io::Error::other("step supervisor exited early")),
            })
        }
    }
}

fn read_msg(f: &mut File) -> Option<(i32, i32)> {
    use std::io::Read;
    let mut buf = [0u8; 8];
    f.read_exact(&mut buf).ok()?;
    let kind = i32::from_ne_bytes([buf[0], buf[1], buf[2], buf[3]]);
    let value = i32::from_ne_bytes([buf[4], buf[5], buf[6], buf[7]]);
    Some((kind, value))
}

/// Waits for a pid (EINTR retried); returns its wait status.
fn reap(pid: libc::pid_t) -> Option<i32> {
    loop {
        let mut st = 0;
        // SAFETY: waitpid on our own child.
        let r = unsafe { libc::waitpid(pid, &mut st, 0) };
        if r == pid {
            return Some(st);
        }
        if r < 0 && errno() != libc::EINTR {
            return None;
        }
    }
}

fn ended(st: i32) -> Ended {
    if libc::WIFSIGNALED(st) {
        Ended::Signal(libc::WTERMSIG(st))
    } else {
        Ended::Code(libc::WEXITSTATUS(st))
    }
}

impl Supervised {
    /// Passes a request on to the supervisor (a signal it handles).
    pub fn request(&self, r: Request) {
        let sig = match r {
            Request::Interrupt => libc::SIGINT,
            Request::Terminate => libc::SIGTERM,
            Request::Kill => libc::SIGUSR1,
        };
        if self.ended.is_none() {
            // SAFETY: signalling our own, not yet reaped, child.
            unsafe { libc::kill(self.supervisor as libc::pid_t, sig) };
        }
    }

    /// How ansible-playbook ended, once the supervisor has exited (i.e.
    /// once every process of the step is gone); `None` while it runs.
    pub fn try_wait(&mut self) -> std::io::Result<Option<Ended>> {
        if let Some(e) = self.ended {
            return Ok(Some(e));
        }
        let mut st = 0;
        // SAFETY: waitpid on our own child, non-blocking.
        let r = unsafe { libc::waitpid(self.supervisor as libc::pid_t, &mut st, libc::WNOHANG) };
        if r == 0 {
            return Ok(None);
        }
        if r < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() == std::io::ErrorKind::Interrupted {
                return Ok(None);
            }
            return Err(e);
        }
        let e = match read_msg(&mut self.status) {
            Some((MSG_EXITED, pst)) => ended(pst),
            // The supervisor itself was killed (by hand): say how.
            _ => ended(st),
        };
        self.ended = Some(e);
        Ok(Some(e))
    }

    /// Waits until the supervisor has exited, asking it to stop the step
    /// and, after `grace_ms`, to kill it.
    pub fn stop(&mut self, grace_ms: u64) {
        self.request(Request::Terminate);
        let t0 = std::time::Instant::now();
        let mut killed = false;
        while matches!(self.try_wait(), Ok(None)) {
            if !killed && t0.elapsed().as_millis() as u64 > grace_ms {
                self.request(Request::Kill);
                killed = true;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
}

// ---- Below: runs in forked children. Async-signal-safe calls only. ----

fn send(fd: RawFd, kind: i32, value: i32) {
    let k = kind.to_ne_bytes();
    let v = value.to_ne_bytes();
    let buf = [k[0], k[1], k[2], k[3], v[0], v[1], v[2], v[3]];
    // SAFETY: write(2) of a stack buffer; 8 bytes to a pipe are atomic.
    unsafe { libc::write(fd, buf.as_ptr().cast(), buf.len()) };
}

fn now_ms() -> i64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime fills the struct it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec * 1000 + ts.tv_nsec / 1_000_000
}

/// The forked supervisor. Never returns.
unsafe fn supervisor(r: &Raw) -> ! {
    // The signals the loop takes with sigtimedwait: blocked, so they queue
    // instead of running kubemagic's inherited handlers.
    let mut set: libc::sigset_t = std::mem::zeroed();
    libc::sigemptyset(&mut set);
    for s in [
        libc::SIGINT,
        libc::SIGTERM,
        libc::SIGHUP,
        libc::SIGQUIT,
        libc::SIGUSR1,
        libc::SIGCHLD,
    ] {
        libc::sigaddset(&mut set, s);
    }
    libc::sigprocmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
    // Its own process group: a terminal's Ctrl-C reaches kubemagic, which
    // decides what to pass on.
    libc::setpgid(0, 0);
    libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM, 0, 0, 0);
    if libc::getppid() != r.parent {
        // kubemagic died before the prctl: start nothing.
        libc::_exit(1);
    }
    // Only what the step needs stays open: the step lock, the pipes,
    // /dev/null; not kubemagic's other files and sockets (an embedder's).
    close_all_but(&[r.hold, r.devnull, r.out_w, r.err_w, r.status_w]);
    let mut ep = [0; 2];
    if libc::pipe2(ep.as_mut_ptr(), libc::O_CLOEXEC) != 0 {
        send(r.status_w, MSG_EXEC_FAILED, errno());
        libc::_exit(1);
    }
    let me = libc::getpid();
    let pid = libc::fork();
    if pid < 0 {
        send(r.status_w, MSG_EXEC_FAILED, errno());
        libc::_exit(1);
    }
    if pid == 0 {
        playbook(r, me, ep[1]);
    }
    libc::close(ep[1]);
    libc::close(r.out_w);
    libc::close(r.err_w);
    libc::close(r.devnull);
    // The exec pipe closes on a successful exec; a failure writes errno.
    let mut buf = [0u8; 8];
    let mut got = 0usize;
    while got < buf.len() {
        let n = libc::read(ep[0], buf.as_mut_ptr().add(got).cast(), buf.len() - got);
        if n > 0 {
            got += n as usize;
        } else if n == 0 || errno() != libc::EINTR {
            break;
        }
    }
    libc::close(ep[0]);
    if got == buf.len() {
        let kind = i32::from_ne_bytes([buf[0], buf[1], buf[2], buf[3]]);
        let value = i32::from_ne_bytes([buf[4], buf[5], buf[6], buf[7]]);
        let mut st = 0;
        while libc::waitpid(pid, &mut st, 0) < 0 && errno() == libc::EINTR {}
        send(r.status_w, kind, value);
        libc::_exit(1);
    }
    send(r.status_w, MSG_STARTED, pid);
    let status = supervise(r, pid, &set);
    send(r.status_w, MSG_EXITED, status);
    libc::_exit(0)
}

/// Closes every descriptor from 3 up except those in `keep` (close_range
/// over the gaps; a kernel without it leaves them open, which only costs
/// descriptors).
unsafe fn close_all_but(keep: &[RawFd; 5]) {
    let mut sorted = *keep;
    sorted.sort_unstable();
    let mut from: libc::c_uint = 3;
    for &k in &sorted {
        if k < 3 || (k as libc::c_uint) < from {
            continue;
        }
        if (k as libc::c_uint) > from {
            libc::syscall(libc::SYS_close_range, from, k as libc::c_uint - 1, 0);
        }
        from = k as libc::c_uint + 1;
    }
    libc::syscall(libc::SYS_close_range, from, libc::c_uint::MAX, 0);
}

/// The forked ansible-playbook, between fork and exec. Never returns.
unsafe fn playbook(r: &Raw, supervisor: libc::pid_t, ep: RawFd) -> ! {
    let fail = |kind: i32| -> ! {
        send(ep, kind, errno());
        libc::_exit(127)
    };
    libc::setpgid(0, 0);
    // If the supervisor is killed by hand, ansible-playbook still gets the
    // SIGTERM it forwards to its workers.
    libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM, 0, 0, 0);
    if libc::getppid() != supervisor {
        libc::_exit(1);
    }
    for (fd, target) in [(r.devnull, 0), (r.out_w, 1), (r.err_w, 2)] {
        if libc::dup2(fd, target) < 0 {
            fail(MSG_EXEC_FAILED);
        }
    }
    if libc::chdir(r.cwd) != 0 {
        fail(MSG_CHDIR_FAILED);
    }
    // Rust ignores SIGPIPE; a child expects the default. Unblock all.
    libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    let mut empty: libc::sigset_t = std::mem::zeroed();
    libc::sigemptyset(&mut empty);
    libc::sigprocmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut());
    libc::execve(r.program, r.argv, r.envp);
    fail(MSG_EXEC_FAILED)
}

/// Pids already sent a leftover SIGTERM (each gets one).
struct PidSet {
    pids: [libc::pid_t; 256],
    len: usize,
}

impl PidSet {
    /// Adds a pid; false if it was there already. A full set forgets
    /// nothing and answers true (a second SIGTERM does no harm).
    fn insert(&mut self, pid: libc::pid_t) -> bool {
        if self.pids[..self.len].contains(&pid) {
            return false;
        }
        if self.len < self.pids.len() {
            self.pids[self.len] = pid;
            self.len += 1;
        }
        true
    }
}

/// The supervisor's loop: reaps, forwards, stops. Returns ansible-playbook's
/// wait status once it and every other descendant have been reaped.
unsafe fn supervise(r: &Raw, pid: libc::pid_t, set: &libc::sigset_t) -> i32 {
    let me = libc::getpid();
    let mut status: Option<i32> = None;
    let mut orphaned_at: Option<i64> = None;
    let mut leftovers_at: Option<i64> = None;
    let mut kill_all = false;
    let mut termed = PidSet {
        pids: [0; 256],
        len: 0,
    };
    loop {
        let mut no_children = false;
        loop {
            let mut st = 0;
            let w = libc::waitpid(-1, &mut st, libc::WNOHANG);
            if w > 0 {
                if w == pid {
                    status = Some(st);
                }
                continue;
            }
            if w < 0 {
                match errno() {
                    libc::EINTR => continue,
                    libc::ECHILD => no_children = true,
                    _ => {}
                }
            }
            break;
        }
        if let Some(st) = status {
            if no_children {
                return st;
            }
        }
        let now = now_ms();
        if orphaned_at.is_none() && libc::getppid() != r.parent {
            // kubemagic is gone: stop the step as it would have.
            orphaned_at = Some(now);
            if status.is_none() {
                libc::kill(-pid, libc::SIGTERM);
            }
        }
        if orphaned_at.is_some_and(|t| now - t > TERM_GRACE_MS) {
            kill_all = true;
        }
        if status.is_some() {
            let since = *leftovers_at.get_or_insert(now);
            if now - since > LEFTOVER_GRACE_MS {
                kill_all = true;
            } else {
                for_each_child(me, |c| {
                    if termed.insert(c) {
                        libc::kill(c, libc::SIGTERM);
                    }
                });
            }
        }
        if kill_all {
            if status.is_none() {
                libc::kill(-pid, libc::SIGKILL);
            }
            for_each_child(me, |c| {
                libc::kill(c, libc::SIGKILL);
            });
        }
        let pace = if kill_all || status.is_some() {
            20_000_000
        } else {
            100_000_000
        };
        let ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: pace,
        };
        let sig = libc::sigtimedwait(set, std::ptr::null_mut(), &ts);
        let alive = status.is_none();
        match sig {
            libc::SIGINT if alive => {
                libc::kill(-pid, libc::SIGINT);
            }
            // From kubemagic (a parent-death SIGTERM is seen at the top).
            libc::SIGTERM | libc::SIGHUP | libc::SIGQUIT
                if alive && orphaned_at.is_none() && libc::getppid() == r.parent =>
            {
                libc::kill(-pid, libc::SIGTERM);
            }
            libc::SIGUSR1 => kill_all = true,
            _ => {}
        }
    }
}

/// Calls `f` with the pid of each direct child of `me`, found in /proc (a
/// subreaper's children include every orphan of the step).
unsafe fn for_each_child(me: libc::pid_t, mut f: impl FnMut(libc::pid_t)) {
    let dir = libc::open(
        c"/proc".as_ptr(),
        libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
    );
    if dir < 0 {
        return;
    }
    let mut buf = [0u8; 4096];
    loop {
        let n = libc::syscall(libc::SYS_getdents64, dir, buf.as_mut_ptr(), buf.len());
        if n <= 0 {
            break;
        }
        let n = (n as usize).min(buf.len());
        let mut off = 0usize;
        // struct linux_dirent64 { u64 ino; i64 off; u16 reclen; u8 type; char name[]; }
        while off + 19 < n {
            let reclen = match (buf.get(off + 16), buf.get(off + 17)) {
                (Some(&a), Some(&b)) => u16::from_ne_bytes([a, b]) as usize,
                _ => break,
            };
            if reclen == 0 {
                break;
            }
            if let Some(name) = buf.get(off + 19..(off + reclen).min(n)) {
                if let Some(pid) = parse_pid(name) {
                    if pid != me && ppid_of(pid) == Some(me) {
                        f(pid);
                    }
                }
            }
            off += reclen;
        }
    }
    libc::close(dir);
}

/// A NUL-terminated decimal name as a pid.
fn parse_pid(name: &[u8]) -> Option<libc::pid_t> {
    let mut v: libc::pid_t = 0;
    let mut digits = 0;
    for &b in name {
        if b == 0 {
            break;
        }
        if !b.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((b - b'0') as libc::pid_t)?;
        digits += 1;
    }
    (digits > 0).then_some(v)
}

/// The parent pid in `/proc/PID/stat`, read into a stack buffer.
unsafe fn ppid_of(pid: libc::pid_t) -> Option<libc::pid_t> {
    // "/proc/" + up to 10 digits + "/stat\0"
    let mut path = [0u8; 32];
    let prefix = b"/proc/";
    path[..prefix.len()].copy_from_slice(prefix);
    let mut digits = [0u8; 10];
    let mut n = 0;
    let mut v = pid;
    loop {
        digits[n] = b'0' + (v % 10) as u8;
        n += 1;
        v /= 10;
        if v == 0 || n == digits.len() {
            break;
        }
    }
    let mut at = prefix.len();
    for i in (0..n).rev() {
        path[at] = digits[i];
        at += 1;
    }
    for &b in b"/stat\0" {
        path[at] = b;
        at += 1;
    }
    let fd = libc::open(path.as_ptr().cast(), libc::O_RDONLY | libc::O_CLOEXEC);
    if fd < 0 {
        return None;
    }
    let mut buf = [0u8; 512];
    let len = libc::read(fd, buf.as_mut_ptr().cast(), buf.len());
    libc::close(fd);
    if len <= 0 {
        return None;
    }
    let text = buf.get(..len as usize)?;
    // `pid (comm) state ppid ...`: comm may hold anything, so from the last `)`.
    let close = text.iter().rposition(|&b| b == b')')?;
    let rest = text.get(close + 1..)?;
    // " S PPID "
    let mut fields = rest.split(|&b| b == b' ').filter(|f| !f.is_empty());
    let _state = fields.next()?;
    parse_pid(fields.next()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pids_parse_from_proc_names_only() {
        assert_eq!(parse_pid(b"1234\0junk"), Some(1234));
        assert_eq!(parse_pid(b"self\0"), None);
        assert_eq!(parse_pid(b"\0"), None);
        assert_eq!(parse_pid(b"99999999999999\0"), None);
    }

    #[test]
    fn ppid_of_a_child_is_us() {
        let mut c = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .unwrap();
        let me = std::process::id() as libc::pid_t;
        assert_eq!(unsafe { ppid_of(c.id() as libc::pid_t) }, Some(me));
        let mut seen = vec![];
        unsafe { for_each_child(me, |p| seen.push(p)) };
        assert!(seen.contains(&(c.id() as libc::pid_t)), "{seen:?}");
        c.kill().unwrap();
        c.wait().unwrap();
    }
}

//! Issue 27: progress on stderr for `init` (its fetch) and for any
//! operation over two seconds, never on stdout, never a credential, and
//! nothing when a script or cron reads stderr unless asked.
//!
//! The slow operations are real: `git` is the real git behind a shim that
//! waits three seconds before a fetch (so the upstream is a local
//! repository, fetched by git itself), and the slow endpoint is a real TCP
//! listener on 127.0.0.1 that accepts and never answers the handshake.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const KM: &str = env!("CARGO_BIN_EXE_kubemagic");
/// The pinned URL, with credentials: the label shows it redacted.
const URL: &str = "https://deploy:Tok3n-Pr0gress@git.example.invalid/kubespray.git";

struct Fixture {
    _dir: tempfile::TempDir,
    site: PathBuf,
    path: String,
}

/// A site pinning `URL` at tag v1, and a PATH whose `git` fetches that URL
/// from a local repository after three seconds.
fn slow_fetch_site() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let up = dir.path().join("up");
    let git = |d: &Path, args: &[&str]| {
        let o = Command::new("git")
            .arg("-C")
            .arg(d)
            .args(args)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    std::fs::create_dir_all(&up).unwrap();
    git(&up, &["init", "-q"]);
    git(
        &up,
        &[
            "-c",
            "user.email=t@example.invalid",
            "-c",
            "user.name=t",
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "one",
        ],
    );
    git(&up, &["tag", "v1"]);
    let site = dir.path().join("site");
    std::fs::create_dir_all(&site).unwrap();
    std::fs::write(
        site.join("kubemagic.yml"),
        format!(
            "name: t\nflavor: kubespray\nupstreams:\n  kubespray:\n    url: {URL}\n    ref: v1\n"
        ),
    )
    .unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let real_git = which("git");
    let shim = bin.join("git");
    std::fs::write(
        &shim,
        format!(
            "#!/bin/sh\nfor a in \"$@\"; do if [ \"$a\" = fetch ]; then sleep 3; \
             exec {real} -c url.{up}.insteadOf={URL} \"$@\"; fi; done\nexec {real} \"$@\"\n",
            real = real_git.display(),
            up = up.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&shim, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    Fixture {
        _dir: dir,
        site,
        path,
    }
}

fn which(program: &str) -> PathBuf {
    std::env::var("PATH")
        .unwrap_or_default()
        .split(':')
        .map(|d| Path::new(d).join(program))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("{program} is not on PATH (make test installs it)"))
}

fn km(path: &str, args: &[&str]) -> Output {
    Command::new(KM)
        .env("PATH", path)
        .args(args)
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn init_names_a_fetch_over_two_seconds_on_stderr_with_the_url_redacted() {
    let f = slow_fetch_site();
    let site = f.site.to_str().unwrap();
    let o = km(&f.path, &["--progress", "always", "init", site]);
    let (out, err) = (text(&o.stdout), text(&o.stderr));
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(
        err.contains("kubemagic: fetching kubespray v1 from https://***@git.example.invalid/kubespray.git..."),
        "{err}"
    );
    assert!(err.contains(": done in 3."), "{err}");
    assert!(!err.contains("Tok3n"), "{err}");
    // The enclosing command step says nothing more once its fetch was shown.
    assert!(!err.contains("kubemagic: init"), "{err}");
    assert!(!out.contains("kubemagic:"), "progress on stdout: {out}");
    assert!(out.contains("kubespray: checked out at v1"), "{out}");
}

#[test]
fn a_script_reading_stderr_gets_no_progress_unless_it_asks() {
    let f = slow_fetch_site();
    let site = f.site.to_str().unwrap();
    // stderr is a pipe here, as under cron or Nagios: `auto` shows nothing.
    let o = km(&f.path, &["init", site]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(text(&o.stderr), "");
}

#[test]
fn quiet_and_never_silence_progress_even_when_always_is_asked() {
    let f = slow_fetch_site();
    let site = f.site.to_str().unwrap();
    let o = km(&f.path, &["-q", "--progress", "always", "init", site]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(text(&o.stderr), "");
    std::fs::remove_dir_all(f.site.join("kubespray")).unwrap();
    let o = km(&f.path, &["--progress", "never", "init", site]);
    assert_eq!(text(&o.stderr), "");
}

/// A real TCP listener on 127.0.0.1 that accepts and never answers the
/// TLS handshake (held for `secs`): `certs probe` waits for its timeout.
fn silent_endpoint(secs: u64) -> (String, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let hold = std::thread::spawn(move || {
        let (s, _) = listener.accept().unwrap();
        std::thread::sleep(std::time::Duration::from_secs(secs));
        drop(s);
    });
    (addr, hold)
}

#[test]
fn any_command_still_running_after_two_seconds_is_named_with_its_duration() {
    let (addr, hold) = silent_endpoint(5);
    let path = std::env::var("PATH").unwrap_or_default();
    let o = km(
        &path,
        &[
            "--progress",
            "always",
            "certs",
            "probe",
            &addr,
            "--timeout",
            "3",
        ],
    );
    let (out, err) = (text(&o.stdout), text(&o.stderr));
    assert!(err.contains("kubemagic: certs probe...\n"), "{err}");
    assert!(err.contains("kubemagic: certs probe: done in "), "{err}");
    // The report itself (a KM349 finding for the silent endpoint) is on
    // stdout, untouched by progress.
    assert!(
        out.contains("KM349") && !out.contains("kubemagic: certs probe"),
        "{out}"
    );
    hold.join().unwrap();
}

#[test]
fn a_fast_command_shows_no_progress() {
    // `codes` reads nothing: far under 2 s even on a loaded machine.
    let path = std::env::var("PATH").unwrap_or_default();
    let o = km(&path, &["--progress", "always", "codes"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(text(&o.stderr), "");
}

fn script_program() -> Option<PathBuf> {
    std::env::var("PATH")
        .unwrap_or_default()
        .split(':')
        .map(|d| Path::new(d).join("script"))
        .find(|p| p.is_file())
}

/// Runs `cmd` on a real pseudo-terminal (util-linux `script`), returning
/// everything the terminal received.
fn on_a_terminal(script: &Path, path: &str, cmd: &str) -> (Option<i32>, String) {
    let o = Command::new(script)
        .env("PATH", path)
        .env("TERM", "xterm")
        .args(["-qec", cmd, "/dev/null"])
        .output()
        .unwrap();
    (o.status.code(), text(&o.stdout))
}

/// On a terminal: one line redrawn in place, with the label cut to the
/// terminal's width after redaction.
#[test]
fn on_a_terminal_the_progress_line_is_redrawn_in_place_without_the_credential() {
    let Some(script) = script_program() else {
        println!("skipped: util-linux `script` is not installed, no pseudo-terminal to test on");
        return;
    };
    let f = slow_fetch_site();
    let (code, all) = on_a_terminal(&script, &f.path, &format!("{KM} init {}", f.site.display()));
    assert_eq!(code, Some(0), "{all}");
    assert!(
        all.contains("\r\x1b[Kkubemagic: fetching kubespray v1 from https://***@git.example.invalid/kubespray.git (2s)")
            || all.contains("\r\x1b[Kkubemagic: fetching kubespray v1 from https://***@git.example.invali"),
        "{all:?}"
    );
    assert!(all.contains("(2s)"), "{all:?}");
    assert!(!all.contains("Tok3n"));
}

/// On a terminal, a command that prints while its line is on screen
/// erases the line first (`before_output`): the report starts on a clean
/// line. The step itself ends only after the report, so the erase before
/// it can only come from the write.
#[test]
fn on_a_terminal_results_printed_while_the_line_is_shown_start_on_a_clean_line() {
    let Some(script) = script_program() else {
        println!("skipped: util-linux `script` is not installed, no pseudo-terminal to test on");
        return;
    };
    let (addr, hold) = silent_endpoint(5);
    let path = std::env::var("PATH").unwrap_or_default();
    let (_, all) = on_a_terminal(
        &script,
        &path,
        &format!("{KM} certs probe {addr} --timeout 3"),
    );
    let drawn = all
        .find("kubemagic: certs probe (2s)")
        .unwrap_or_else(|| panic!("no progress line: {all:?}"));
    let report = all[drawn..]
        .find("KM349")
        .map(|i| drawn + i)
        .unwrap_or_else(|| panic!("no report after the line: {all:?}"));
    // Between the drawn line and the report: an erase, and no other text
    // on the line the report starts on.
    let between = &all[drawn..report];
    let erase = between
        .rfind("\r\x1b[K")
        .unwrap_or_else(|| panic!("the line was not erased before the report: {all:?}"));
    assert!(
        !between[erase..].contains("kubemagic: certs probe"),
        "{all:?}"
    );
    hold.join().unwrap();
}

/// The label is cut to the terminal's width (here 50 columns: 30 for the
/// label), after redaction, so the line never wraps and erasing it erases
/// all of it.
#[test]
fn on_a_narrow_terminal_the_label_is_cut_to_its_width() {
    let Some(script) = script_program() else {
        println!("skipped: util-linux `script` is not installed, no pseudo-terminal to test on");
        return;
    };
    let f = slow_fetch_site();
    let (code, all) = on_a_terminal(
        &script,
        &f.path,
        &format!("stty rows 24 cols 50; {KM} init {}", f.site.display()),
    );
    assert_eq!(code, Some(0), "{all}");
    assert!(
        all.contains("\r\x1b[Kkubemagic: fetching kubespray v1 from ... (2s)"),
        "{all:?}"
    );
}

/// Ctrl-C while the line is shown: the line is erased and the process ends
/// as an interrupted one (130), leaving the shell's prompt on a clean line.
#[test]
fn on_a_terminal_ctrl_c_erases_the_line_and_exits_130() {
    let Some(script) = script_program() else {
        println!("skipped: util-linux `script` is not installed, no pseudo-terminal to test on");
        return;
    };
    let f = slow_fetch_site();
    let (code, all) = on_a_terminal(
        &script,
        &f.path,
        &format!(
            "timeout --preserve-status -s INT 2.6 {KM} init {}",
            f.site.display()
        ),
    );
    assert_eq!(code, Some(130), "{all:?}");
    let drawn = all
        .rfind("kubemagic: fetching kubespray")
        .unwrap_or_else(|| panic!("no progress line: {all:?}"));
    assert!(all[drawn..].ends_with("\r\x1b[K"), "{all:?}");
}

//! Odd files in a site (issue 22, item 3): a FIFO, a link to a device, a
//! deeply nested vars file. Every command that reads the site refuses them
//! naming the file (exit 2) instead of hanging, reading until memory runs
//! out, or overflowing the stack; where Ansible itself reads past them (a
//! FIFO inside a `group_vars/<name>/` folder, which it skips as not a
//! file) kubemagic does the same.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The exit code and the text of `kubemagic ARGS`, killed (and the test
/// failed) if it runs for more than 20 s: a hang must fail, not block CI.
fn km_within(args: &[&str]) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kubemagic"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = out.read_to_end(&mut s);
        let _ = err.read_to_end(&mut s);
        String::from_utf8_lossy(&s).into_owned()
    });
    let start = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("kubemagic {args:?} still running after 20 s (hangs)");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    (status.code(), reader.join().unwrap())
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples")
}

fn copy_dir(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

fn utgb() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&examples().join("utgb"), dir.path());
    dir
}

fn mkfifo(path: &Path) {
    let _ = std::fs::remove_file(path);
    assert!(Command::new("mkfifo").arg(path).status().unwrap().success());
}

/// `check`, `check -o nagios` and `lb render` on `site`.
fn site_commands(site: &Path) -> Vec<Vec<String>> {
    let d = site.to_str().unwrap().to_string();
    vec![
        vec!["check".into(), d.clone()],
        vec!["check".into(), "-o".into(), "nagios".into(), d.clone()],
        vec!["lb".into(), "render".into(), d],
    ]
}

fn run(args: &[String]) -> (Option<i32>, String) {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    km_within(&args)
}

#[test]
fn a_fifo_in_group_vars_is_refused_naming_it_by_check_nagios_and_lb_render() {
    let site = utgb();
    mkfifo(&site.path().join("custom/group_vars/lb.yml"));
    for args in site_commands(site.path()) {
        let (code, text) = run(&args);
        assert!(
            text.contains("group_vars/lb.yml: is a FIFO, not a regular file"),
            "{args:?}: {text}"
        );
        // The plugin output says UNKNOWN (3) for an input error; the
        // other commands exit 2.
        let want = if args.contains(&"nagios".to_string()) {
            3
        } else {
            2
        };
        assert_eq!(code, Some(want), "{args:?}: {text}");
    }
}

#[test]
fn a_fifo_named_like_no_group_in_group_vars_is_refused_too() {
    let site = utgb();
    mkfifo(&site.path().join("custom/group_vars/zz"));
    let (code, text) = km_within(&["check", site.path().to_str().unwrap()]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("group_vars/zz: is a FIFO"), "{text}");
}

#[test]
fn a_fifo_inside_a_group_vars_folder_is_skipped_as_ansible_skips_it() {
    let site = utgb();
    let gv = site.path().join("custom/group_vars");
    std::fs::create_dir_all(gv.join("all")).unwrap();
    std::fs::rename(gv.join("all.yml"), gv.join("all/main.yml")).unwrap();
    let d = site.path().to_str().unwrap();
    let (clean_code, clean) = km_within(&["check", d]);
    mkfifo(&gv.join("all/pipe.yml"));
    let (code, text) = km_within(&["check", d]);
    assert_eq!(code, clean_code, "{text}");
    assert_eq!(text, clean);
}

#[test]
fn a_group_vars_file_linked_to_dev_zero_is_refused_naming_it() {
    let site = utgb();
    let p = site.path().join("custom/group_vars/lb.yml");
    std::fs::remove_file(&p).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &p).unwrap();
    for args in site_commands(site.path()) {
        let (_, text) = run(&args);
        assert!(
            text.contains("group_vars/lb.yml: is a character device, not a regular file"),
            "{args:?}: {text}"
        );
    }
    let (code, _) = km_within(&["check", site.path().to_str().unwrap()]);
    assert_eq!(code, Some(2));
}

#[test]
fn a_fifo_as_kubemagic_yml_is_refused_not_ignored() {
    let site = utgb();
    mkfifo(&site.path().join("kubemagic.yml"));
    for cmd in ["check", "plan"] {
        let (code, text) = km_within(&[cmd, site.path().to_str().unwrap()]);
        assert_eq!(code, Some(2), "{cmd}: {text}");
        assert!(
            text.contains("kubemagic.yml: not a regular file (a FIFO)"),
            "{cmd}: {text}"
        );
    }
}

#[test]
fn a_fifo_in_an_inventory_directory_is_refused_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hosts"), "[web]\nh1\n").unwrap();
    mkfifo(&dir.path().join("zpipe"));
    let (code, text) = km_within(&["inventory", "list", "-i", dir.path().to_str().unwrap()]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("zpipe: is a FIFO"), "{text}");
}

/// `depth` mappings nested in one another, under `key`.
fn nested(key: &str, depth: usize) -> String {
    let mut s = format!("{key}:\n");
    for i in 1..depth {
        s.push_str(&format!("{}k{i}:\n", "  ".repeat(i)));
    }
    s.push_str(&format!("{}leaf: v\n", "  ".repeat(depth)));
    s
}

#[test]
fn two_hundred_nested_mappings_are_refused_at_their_line_not_a_crash() {
    let site = utgb();
    let p = site.path().join("custom/group_vars/all.yml");
    let mut text = std::fs::read_to_string(&p).unwrap();
    let first = text.lines().count() + 1;
    text.push_str(&nested("deep", 200));
    std::fs::write(&p, text).unwrap();
    // The 129th nested collection opens on line first + 128.
    let at = format!("group_vars/all.yml:{}:", first + 128);
    for args in site_commands(site.path()) {
        let (code, out) = run(&args);
        assert!(out.contains(&at), "{args:?}: {out}");
        assert!(out.contains("nested more than 128 levels"), "{args:?}");
        assert_ne!(code, Some(134), "aborted: {args:?}");
        assert!(code == Some(2) || code == Some(3), "{args:?}: {code:?}");
    }
}

#[test]
fn nesting_up_to_the_limit_still_reads() {
    let site = utgb();
    let p = site.path().join("custom/group_vars/all.yml");
    let mut text = std::fs::read_to_string(&p).unwrap();
    text.push_str(&nested("deep", 127));
    std::fs::write(&p, text).unwrap();
    let (code, out) = km_within(&["check", site.path().to_str().unwrap()]);
    assert!(code == Some(0) || code == Some(1), "{out}");
}

//! Broken pipes keep exit codes honest (issue 22, item 8): when the reader
//! of stdout goes away after the first line (`kubemagic check SITE | head
//! -1`), kubemagic stops writing quietly and still exits with the code the
//! result deserves (1: the site has errors), as `set -o pipefail` expects.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

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

/// seed-mistakes (error findings) plus 1,000 group_vars for no group: a
/// report of several hundred kilobytes, far more than a pipe buffers, so
/// closing the reader after one line always breaks the pipe mid-report.
fn big_site_with_errors() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    copy_dir(&examples.join("seed-mistakes"), dir.path());
    let gv = dir.path().join("custom/group_vars");
    for i in 0..1000 {
        std::fs::write(gv.join(format!("orphan_group_number_{i}.yml")), "x: 1\n").unwrap();
    }
    dir
}

/// Runs `kubemagic ARGS`, reads one line of stdout, closes the pipe, and
/// returns the exit code and stderr.
fn first_line_then_close(args: &[&str]) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kubemagic"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    {
        let mut r = BufReader::new(child.stdout.take().unwrap());
        r.read_line(&mut first).unwrap();
        // Dropped here: the read end closes, as `head -1` exits.
    }
    assert!(!first.is_empty(), "{args:?}: no first line");
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn check_piped_into_head_exits_1_on_a_site_with_errors_text_and_json() {
    let site = big_site_with_errors();
    let d = site.path().to_str().unwrap();
    // The full report is far larger than a pipe buffer.
    let full = Command::new(env!("CARGO_BIN_EXE_kubemagic"))
        .args(["check", d])
        .output()
        .unwrap();
    assert_eq!(full.status.code(), Some(1));
    assert!(full.stdout.len() > 128 * 1024, "{}", full.stdout.len());
    for args in [vec!["check", d], vec!["-o", "json", "check", d]] {
        for attempt in 0..5 {
            let (code, stderr) = first_line_then_close(&args);
            assert_eq!(code, Some(1), "{args:?} try {attempt}: {stderr}");
            assert!(
                !stderr.contains("Broken pipe") && !stderr.contains("cannot"),
                "{args:?} try {attempt}: {stderr}"
            );
        }
    }
}

#[test]
fn a_clean_inventory_list_piped_into_head_still_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let mut ini = String::from("[web]\n");
    for i in 0..20000 {
        ini.push_str(&format!("host-{i}.example ansible_port=22{}\n", i % 10));
    }
    let hosts = dir.path().join("hosts");
    std::fs::write(&hosts, ini).unwrap();
    let h = hosts.to_str().unwrap();
    for _ in 0..5 {
        let (code, stderr) = first_line_then_close(&["inventory", "list", "-i", h]);
        assert_eq!(code, Some(0), "{stderr}");
        assert!(stderr.is_empty(), "{stderr}");
    }
}

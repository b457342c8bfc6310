//! "Every printed text is redacted" is a claim about code: reports are
//! written by the library crates through `kubemagic_core::RedactingWriter`,
//! and the CLI only picks a writer and a destination. This test reads every
//! crate's sources and fails, naming file and line, where a print macro
//! (`println!`, `eprintln!`, `print!`, `eprint!`) or a raw `std::io::stdout()`
//! / `stderr()` write appears outside the one place allowed to own the
//! process's streams (`kubemagic-cli/src/output.rs`) and outside tests. A
//! new print around the redaction cannot be added by accident.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            // Test folders (`tests/`, `src/tests/`) may print.
            if p.file_name().is_some_and(|n| n == "tests") {
                continue;
            }
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs")
            && p.file_name().is_some_and(|n| n != "tests.rs")
        {
            out.push(p);
        }
    }
}

/// The code of a file up to its first `#[cfg(test)]` (test modules close
/// the files that have them), comments dropped.
fn code_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start();
        if t.starts_with("#[cfg(test)]") {
            break;
        }
        if t.starts_with("//") {
            continue;
        }
        let code = match line.find("//") {
            Some(c) if !line[..c].contains('"') => &line[..c],
            _ => line,
        };
        out.push((i + 1, code.to_string()));
    }
    out
}

const FORBIDDEN: [&str; 4] = ["println!", "eprintln!", "print!(", "eprint!("];

#[test]
fn no_print_outside_the_cli_output_module_and_tests() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for e in std::fs::read_dir(&root).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        if name.starts_with("kubemagic-") {
            rust_files(&e.path().join("src"), &mut files);
        }
    }
    assert!(files.len() > 50, "found only {} source files", files.len());
    let allowed = root.join("kubemagic-cli/src/output.rs");
    let mut bad = Vec::new();
    for f in &files {
        if f.canonicalize().ok() == allowed.canonicalize().ok() {
            continue;
        }
        let text = std::fs::read_to_string(f).unwrap();
        for (n, line) in code_lines(&text) {
            if FORBIDDEN.iter().any(|m| line.contains(m)) {
                bad.push(format!("{}:{n}: {}", f.display(), line.trim()));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "print macros outside kubemagic-cli/src/output.rs: write reports through a library writer over kubemagic_core::RedactingWriter instead:\n{}",
        bad.join("\n")
    );
}

/// The process's streams are owned by the CLI's `output.rs` (its `Stdout`
/// and `Stderr` erase a progress line before writing, and stdout survives
/// a closed pipe) and `progress.rs` (which draws that line): a command or a
/// library that opened `std::io::stdout()` or `stderr()` itself would
/// write over the progress line (a library names a slow wait through
/// `kubemagic_core::Progress` instead), and a closed pipe would end it with
/// an error.
#[test]
fn streams_are_opened_only_in_the_cli_output_and_progress_modules() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for e in std::fs::read_dir(&root).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        if name.starts_with("kubemagic-") {
            rust_files(&e.path().join("src"), &mut files);
        }
    }
    assert!(files.len() > 50, "found only {} source files", files.len());
    let mut bad = Vec::new();
    for f in &files {
        let cli = root.join("kubemagic-cli/src");
        let owner = ["output.rs", "progress.rs"]
            .iter()
            .any(|n| f.canonicalize().ok() == cli.join(n).canonicalize().ok());
        if owner {
            continue;
        }
        let text = std::fs::read_to_string(f).unwrap();
        for (n, line) in code_lines(&text) {
            if line.contains("io::stdout()") || line.contains("io::stderr()") {
                bad.push(format!("{}:{n}: {}", f.display(), line.trim()));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "streams opened outside kubemagic-cli/src/output.rs: in the CLI use output::raw_stdout()/raw_stderr() (or stdout()/stderr()); in a library, return the text or name the step through kubemagic_core::Progress:\n{}",
        bad.join("\n")
    );
}

//! Every example kubemagic shows runs (issue 27): the example commands of
//! README.md and docs/*.md and the `Examples:` of every `--help` are run
//! against the bundled sites (examples/utgb, examples/okd,
//! examples/seed-mistakes) from the repository root, and each succeeds, or
//! fails with the exit code its documentation gives.
//!
//! Not run, each for a stated reason: synopsis lines (`SITE`, `[--from
//! PHASE]`: placeholders, not commands) and the commands that need a live
//! system ([`live`]: an etcd cluster, a Ceph cluster, a Kubernetes API, the
//! site's machines, the upstreams' git servers). The test prints both lists.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .unwrap()
}

fn km(args: &[String], cwd: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_kubemagic"))
        .current_dir(cwd)
        .env_remove("COMPLETE")
        .args(args)
        .output()
        .unwrap()
}

/// One example as written, and where.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Example {
    source: String,
    line: String,
}

/// The lines of fenced shell blocks (or untagged ones) that are kubemagic
/// commands, `\` continuations joined, and inline `` `kubemagic ...` ``
/// spans that name a bundled site.
fn from_markdown(name: &str, text: &str) -> Vec<Example> {
    let mut out = Vec::new();
    let mut fence: Option<String> = None;
    let mut pending = String::new();
    for raw in text.lines() {
        let t = raw.trim();
        if let Some(lang) = t.strip_prefix("```") {
            fence = match fence {
                Some(_) => None,
                None => Some(lang.to_string()),
            };
            continue;
        }
        match &fence {
            Some(lang) if matches!(lang.as_str(), "" | "sh" | "shell" | "console" | "bash") => {
                let t = t.strip_prefix("$ ").unwrap_or(t);
                if pending.is_empty() && !t.starts_with("kubemagic ") {
                    continue;
                }
                if let Some(cont) = t.strip_suffix('\\') {
                    pending.push_str(cont);
                    pending.push(' ');
                    continue;
                }
                pending.push_str(t);
                out.push(Example {
                    source: name.to_string(),
                    line: std::mem::take(&mut pending),
                });
            }
            Some(_) => {}
            None => {
                for span in raw.split('`').skip(1).step_by(2) {
                    if span.starts_with("kubemagic ") && span.contains("examples/") {
                        out.push(Example {
                            source: name.to_string(),
                            line: span.to_string(),
                        });
                    }
                }
            }
        }
    }
    out
}

/// The `Examples:` lines of `kubemagic [SUB...] --help`, every subcommand.
fn from_help(path: &mut Vec<String>, out: &mut Vec<Example>) {
    let mut args = path.clone();
    args.push("--help".into());
    let o = km(&args, &root());
    let help = String::from_utf8_lossy(&o.stdout).into_owned();
    let name = format!(
        "kubemagic {}--help",
        path.iter().map(|p| format!("{p} ")).collect::<String>()
    );
    let mut in_examples = false;
    let mut in_commands = false;
    let mut subs = Vec::new();
    for l in help.lines() {
        if l.starts_with("Examples:") {
            in_examples = true;
            continue;
        }
        if l.starts_with("Commands:") {
            in_commands = true;
            continue;
        }
        if l.trim().is_empty() {
            in_examples = false;
            in_commands = false;
            continue;
        }
        if in_examples && l.trim_start().starts_with("kubemagic ") {
            out.push(Example {
                source: name.clone(),
                line: l.trim().to_string(),
            });
        }
        if in_commands {
            if let Some(sub) = l.split_whitespace().next() {
                if sub != "help" && l.starts_with("  ") && !l.starts_with("   ") {
                    subs.push(sub.to_string());
                }
            }
        }
    }
    for sub in subs {
        path.push(sub);
        from_help(path, out);
        path.pop();
    }
}

/// Why an example cannot run here, when it needs a live system.
fn live(words: &[String]) -> Option<&'static str> {
    // The subcommand words: flags (and `-o`'s value) left out.
    let mut cmd: Vec<&str> = Vec::new();
    let mut it = words.iter().map(String::as_str);
    while let Some(w) = it.next() {
        if matches!(w, "-o" | "--output") {
            it.next();
        } else if !w.starts_with('-') {
            cmd.push(w);
        }
    }
    let has = |flag: &str| {
        words
            .iter()
            .any(|w| w == flag || w.starts_with(&format!("{flag}=")))
    };
    match cmd.get(1).copied() {
        Some("etcd") if !has("--print-systemd-units") => {
            Some("needs a live etcd cluster (endpoints, /etc/etcd.env, certificates)")
        }
        Some("ceph") if cmd.get(2) == Some(&"leftovers") => {
            Some("needs a Kubernetes API (kubeconfig) and a live Ceph cluster")
        }
        Some("ceph") if has("--ceph-conf") || cmd.get(2) == Some(&"prepare") => {
            Some("needs a live Ceph cluster (ceph.conf, admin keyring)")
        }
        Some("run") if !has("--dry-run") => {
            Some("runs ansible-playbook against the site's machines")
        }
        Some("init") => Some("fetches the upstreams from their git servers"),
        Some("certs") if cmd.get(2) == Some(&"probe") => {
            Some("handshakes with the site's live TLS endpoints")
        }
        Some("certs") if words.iter().any(|w| w.starts_with("/etc/")) || has("--site") => {
            Some("reads a node's own certificate directories (/etc/kubernetes, /etc/origin)")
        }
        _ => None,
    }
}

/// A synopsis rather than a command: placeholders (`SITE`, `H`),
/// alternatives (`a|b`), optional parts (`[...]`), elisions (`...`).
fn is_synopsis(words: &[String]) -> bool {
    words.iter().skip(1).any(|w| {
        w.contains('[')
            || w.contains("...")
            || (w.contains('|') && !w.contains('\''))
            || (w.chars().any(|c| c.is_ascii_uppercase())
                && w.chars()
                    .all(|c| c.is_ascii_uppercase() || c == '_' || c == '/' || c == '-')
                && !w.starts_with('-'))
            || w.starts_with('<')
            || w.starts_with('(')
    })
}

/// The command's words: shell-split, up to the first pipe, redirection,
/// `&&` or comment (what follows is another program).
fn words(line: &str) -> Option<Vec<String>> {
    let line = line.split(" #").next().unwrap_or(line);
    let all = shlex::split(line)?;
    Some(
        all.into_iter()
            .take_while(|w| !matches!(w.as_str(), "|" | ">" | "&&" | "2>" | ">>"))
            .collect(),
    )
}

/// The exit code the documentation gives: 1 for `check` on the site that
/// reproduces the seed's mistakes (error findings), CRITICAL (2) as a
/// monitoring plugin; 0 otherwise.
fn expected_exit(words: &[String]) -> i32 {
    let joined = words.join(" ");
    let seed = joined.contains("examples/seed-mistakes");
    if seed && words.iter().any(|w| w == "check") {
        if joined.contains("nagios") {
            return 2;
        }
        return 1;
    }
    0
}

#[test]
fn every_documented_example_runs_against_the_bundled_sites() {
    let root = root();
    let mut examples = Vec::new();
    for doc in std::iter::once(root.join("README.md")).chain(
        std::fs::read_dir(root.join("docs"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "md")),
    ) {
        let name = doc.strip_prefix(&root).unwrap().display().to_string();
        examples.extend(from_markdown(
            &name,
            &std::fs::read_to_string(&doc).unwrap(),
        ));
    }
    let from_docs = examples.len();
    from_help(&mut Vec::new(), &mut examples);
    assert!(from_docs >= 5, "{examples:?}");
    assert!(
        examples.len() - from_docs >= 20,
        "help examples: {}",
        examples.len() - from_docs
    );

    let scratch = tempfile::tempdir().unwrap();
    let mut seen = BTreeSet::new();
    let (mut ran, mut skipped, mut synopses, mut failures) = (0, Vec::new(), 0, Vec::new());
    for ex in examples {
        let Some(mut w) = words(&ex.line) else {
            failures.push(format!("{}: cannot split `{}`", ex.source, ex.line));
            continue;
        };
        if is_synopsis(&w) {
            synopses += 1;
            continue;
        }
        if let Some(why) = live(&w) {
            skipped.push(format!("{}: `{}` -- {why}", ex.source, ex.line));
            continue;
        }
        if !seen.insert(w.clone()) {
            continue;
        }
        // Where an example writes (a directory of its own), a scratch one.
        for word in w.iter_mut() {
            for dir in ["/tmp/lb", "target/man"] {
                if word == dir {
                    *word = scratch
                        .path()
                        .join(dir.replace('/', "_"))
                        .display()
                        .to_string();
                }
            }
        }
        let o = km(&w[1..], &root);
        ran += 1;
        let want = expected_exit(&w);
        if o.status.code() != Some(want) {
            failures.push(format!(
                "{}: `{}` exited {:?}, documented {want}:\n{}{}",
                ex.source,
                ex.line,
                o.status.code(),
                String::from_utf8_lossy(&o.stdout)
                    .lines()
                    .take(5)
                    .collect::<Vec<_>>()
                    .join("\n"),
                String::from_utf8_lossy(&o.stderr)
            ));
        }
    }
    println!("ran {ran} examples; {synopses} synopsis lines (placeholders) not run");
    println!("not run, needing a live system ({}):", skipped.len());
    for s in &skipped {
        println!("  {s}");
    }
    assert!(ran >= 25, "only {ran} examples ran");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn synopses_and_live_commands_are_told_apart_from_examples() {
    let w = |s: &str| words(s).unwrap();
    assert!(is_synopsis(&w(
        "kubemagic plan SITE [PHASE...] [--from PHASE]"
    )));
    assert!(is_synopsis(&w("kubemagic lb render SITE --dest DIR")));
    assert!(!is_synopsis(&w(
        "kubemagic inventory hosts -i examples/utgb/custom/hosts 'lb:!lb2'"
    )));
    assert_eq!(
        w("kubemagic -o json check examples/seed-mistakes | jq '.findings[] | .code'"),
        ["kubemagic", "-o", "json", "check", "examples/seed-mistakes"]
    );
    assert!(live(&w("kubemagic etcd status --env-file /etc/etcd.env")).is_some());
    assert!(live(&w("kubemagic -o nagios ceph leftovers --kubeconfig k")).is_some());
    assert!(live(&w("kubemagic run --dry-run examples/utgb")).is_none());
    assert!(live(&w("kubemagic run examples/utgb deploy-kube")).is_some());
    assert_eq!(
        expected_exit(&w("kubemagic check examples/seed-mistakes")),
        1
    );
}

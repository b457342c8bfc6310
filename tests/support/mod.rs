//! Differential testing against the real ansible-inventory: case folders,
//! a batched oracle (one Python process for many cases), and the
//! comparison of every view kubemagic offers with Ansible's.
#![allow(dead_code)]

use kubemagic_inventory::{
    host_value, to_python_json, write_list, HashBehaviour, Inventory, LoadOptions, WarningKind,
};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// One differential case (see tests/corpus/README.md for the layout).
#[derive(Debug, Clone)]
pub struct Case {
    pub id: String,
    pub dir: PathBuf,
    pub sources: Vec<PathBuf>,
    pub playbook_dir: Option<PathBuf>,
    /// Hosts to query with `--host`; `None` = every host.
    pub hosts: Option<Vec<String>>,
    pub graph: Vec<String>,
    pub graph_vars: bool,
    pub export: bool,
    pub patterns: Vec<String>,
    pub hash_merge: bool,
    /// `(file relative to the case dir, line)` kubemagic must report.
    pub expect_error: Option<(String, Option<u32>)>,
    /// `(file, line)` kubemagic must warn about, output still Ansible's.
    pub expect_warning: Option<(String, Option<u32>)>,
    /// Compare pattern results as sets: below two levels of nesting,
    /// Ansible's own order comes from a Python `set` of groups and is not
    /// reproducible (see `pattern::group_get_hosts`).
    pub unordered_patterns: bool,
}

const DEFAULT_SOURCES: [&str; 6] = [
    "hosts",
    "hosts.yml",
    "hosts.yaml",
    "hosts.ini",
    "inventory",
    "hosts.json",
];

impl Case {
    /// Reads `dir/case.json` if present; everything has a default.
    pub fn load(id: &str, dir: &Path) -> Result<Case, String> {
        let cfg: Value = match std::fs::read_to_string(dir.join("case.json")) {
            Ok(t) => serde_json::from_str(&t).map_err(|e| format!("{id}/case.json: {e}"))?,
            Err(_) => json!({}),
        };
        let strs = |k: &str| -> Option<Vec<String>> {
            cfg.get(k).and_then(|v| v.as_array()).map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
        };
        let sources: Vec<PathBuf> = match strs("sources") {
            Some(s) => s
                .iter()
                .map(|s| {
                    if s.contains(',') {
                        PathBuf::from(s)
                    } else {
                        dir.join(s)
                    }
                })
                .collect(),
            None => {
                let found = DEFAULT_SOURCES
                    .iter()
                    .map(|s| dir.join(s))
                    .find(|p| p.exists())
                    .ok_or_else(|| {
                        format!("{id}: no case.json `sources` and no default source file")
                    })?;
                vec![found]
            }
        };
        let file_line = |k: &str| {
            cfg.get(k).map(|e| {
                (
                    e.get("file")
                        .and_then(|f| f.as_str())
                        .unwrap_or("")
                        .to_string(),
                    e.get("line").and_then(|l| l.as_u64()).map(|l| l as u32),
                )
            })
        };
        let expect_warning = file_line("expect_warning");
        let expect_error = cfg.get("expect_error").map(|e| {
            (
                e.get("file")
                    .and_then(|f| f.as_str())
                    .unwrap_or("")
                    .to_string(),
                e.get("line").and_then(|l| l.as_u64()).map(|l| l as u32),
            )
        });
        Ok(Case {
            id: id.to_string(),
            dir: dir.to_path_buf(),
            sources,
            playbook_dir: cfg
                .get("playbook_dir")
                .and_then(|p| p.as_str())
                .map(|p| dir.join(p)),
            hosts: strs("hosts"),
            graph: strs("graph").unwrap_or_else(|| vec!["all".to_string()]),
            graph_vars: cfg
                .get("graph_vars")
                .and_then(|v| v.as_bool())
                .unwrap_or(true),
            export: cfg.get("export").and_then(|v| v.as_bool()).unwrap_or(true),
            patterns: strs("patterns").unwrap_or_default(),
            hash_merge: cfg.get("hash_behaviour").and_then(|v| v.as_str()) == Some("merge"),
            expect_error,
            expect_warning,
            unordered_patterns: false,
        })
    }

    fn job(&self) -> Value {
        json!({
            "id": self.id,
            "sources": self.sources.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
            "playbook_dir": self.playbook_dir.as_ref().map(|p| p.display().to_string()),
            "list": true,
            "export": self.export,
            "hosts": match &self.hosts { Some(h) => json!(h), None => json!("all") },
            "graph": self.graph,
            "graph_vars": self.graph_vars,
            "patterns": self.patterns,
        })
    }
}

/// Every case folder under `root`, sorted.
pub fn corpus_cases(root: &Path) -> Vec<Case> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    dirs.sort();
    dirs.iter()
        .map(|d| {
            let id = d
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            Case::load(&id, d).unwrap_or_else(|e| panic!("{e}"))
        })
        .collect()
}

/// The venv Python with ansible-core, or `None` (the caller skips loudly).
pub fn ansible_python() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("KUBEMAGIC_ANSIBLE_PYTHON") {
        return Some(PathBuf::from(p));
    }
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python");
    let ok = p.exists()
        && Command::new(&p)
            .args(["-c", "import ansible.cli.inventory"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
    ok.then_some(p)
}

pub fn skip_loudly(what: &str) {
    eprintln!("\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
    eprintln!("!!! SKIPPED {what}: no ansible-core venv at .venv (run `make test-deps`)");
    eprintln!("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n");
}

/// Runs the oracle on all cases: one Python process per hash behaviour.
pub fn run_oracle(python: &Path, cases: &[Case]) -> HashMap<String, Value> {
    let driver = Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/ansible_oracle.py");
    let mut out = HashMap::new();
    for merge in [false, true] {
        let jobs: Vec<Value> = cases
            .iter()
            .filter(|c| c.hash_merge == merge)
            .map(|c| c.job())
            .collect();
        if jobs.is_empty() {
            continue;
        }
        let cwd = tempfile::tempdir().expect("temp cwd");
        let mut cmd = Command::new(python);
        cmd.arg(&driver)
            .current_dir(cwd.path())
            .env(
                "ANSIBLE_HASH_BEHAVIOUR",
                if merge { "merge" } else { "replace" },
            )
            .env("ANSIBLE_NOCOLOR", "1")
            .env_remove("ANSIBLE_CONFIG")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("start the ansible oracle");
        {
            use std::io::Write;
            let mut stdin = child.stdin.take().expect("oracle stdin");
            stdin
                .write_all(serde_json::to_string(&jobs).expect("jobs json").as_bytes())
                .expect("write jobs");
        }
        let output = child.wait_with_output().expect("oracle output");
        assert!(
            output.status.success(),
            "ansible oracle failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let results: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
            panic!(
                "oracle output is not JSON ({e}): {}",
                String::from_utf8_lossy(&output.stderr)
            )
        });
        for r in results {
            let id = r["id"].as_str().unwrap_or("").to_string();
            out.insert(id, r);
        }
    }
    out
}

fn options(case: &Case) -> LoadOptions {
    LoadOptions {
        playbook_dir: case.playbook_dir.clone(),
        hash_behaviour: if case.hash_merge {
            HashBehaviour::Merge
        } else {
            HashBehaviour::Replace
        },
        strict: false,
    }
}

fn compare_json_text(what: &str, ours: &str, theirs: &str, fails: &mut Vec<String>) {
    if ours.trim_end() == theirs.trim_end() {
        return;
    }
    let a: Result<Value, _> = serde_json::from_str(ours);
    let b: Result<Value, _> = serde_json::from_str(theirs);
    match (a, b) {
        (Ok(a), Ok(b)) if a == b => fails.push(format!("{what}: same content, different text")),
        _ => fails.push(format!(
            "{what}: differs\n--- ansible\n{theirs}\n+++ kubemagic\n{ours}"
        )),
    }
}

/// Ansible's inventory warnings and the kind kubemagic gives each, with
/// how much of Ansible's text kubemagic's message must contain: all of it,
/// or (where Ansible's names nothing, "use -vvvv to see details") the
/// prefix. Pattern warnings are not the engine's and are not compared.
const COMPARED_WARNINGS: [(&str, WarningKind, bool); 7] = [
    ("Skipping ", WarningKind::Skipped, true),
    ("Unable to parse ", WarningKind::Unparsed, true),
    (
        "Invalid characters were found in group names",
        WarningKind::GroupName,
        false,
    ),
    (
        "Found variable using reserved name",
        WarningKind::ReservedName,
        true,
    ),
    (
        "Found both group and host with same name",
        WarningKind::GroupIsHost,
        true,
    ),
    (
        "A duplicate localhost-like entry was found",
        WarningKind::DuplicateLocalhost,
        true,
    ),
    (
        "Found duplicate mapping key",
        WarningKind::DuplicateKey,
        true,
    ),
];

/// Both ways: every warning Ansible prints must be among kubemagic's, same
/// text up to Python's class name (`<class '...'>` differs: Ansible's
/// tagged types); and every kubemagic warning of a kind Ansible has must
/// have been printed by Ansible too (no warning Ansible would not give).
/// kubemagic may warn about more only as [`WarningKind::Questionable`].
fn compare_warnings(inv: &Inventory, oracle: &Value, fails: &mut Vec<String>) {
    let norm = |s: &str| s.split("<class").next().unwrap_or("").to_string();
    let ours: Vec<(WarningKind, String)> = inv
        .warnings()
        .iter()
        .map(|w| (w.kind, w.message.clone()))
        .collect();
    let theirs: Vec<String> = oracle["warnings"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter_map(|w| w.as_str().map(str::to_string))
        .collect();
    // The oracle records every `display.warning` call of every command it
    // runs (Ansible prints each text once): a text may repeat.
    let matches = |kind: WarningKind, ours: &str, theirs: &str| {
        COMPARED_WARNINGS.iter().any(|&(prefix, k, whole)| {
            k == kind
                && theirs.starts_with(prefix)
                && norm(ours).contains(
                    if whole {
                        norm(theirs)
                    } else {
                        prefix.to_string()
                    }
                    .trim_end(),
                )
        })
    };
    for w in &theirs {
        if COMPARED_WARNINGS.iter().any(|c| w.starts_with(c.0))
            && !ours.iter().any(|(k, o)| matches(*k, o, w))
        {
            fails.push(format!(
                "ansible warned {w:?}; kubemagic's warnings: {ours:?}"
            ));
        }
    }
    for (kind, msg) in &ours {
        if COMPARED_WARNINGS.iter().any(|c| c.1 == *kind)
            && !theirs.iter().any(|t| matches(*kind, msg, t))
        {
            fails.push(format!(
                "kubemagic warned {msg:?} ({kind:?}), ansible did not: {theirs:?}"
            ));
        }
    }
}

/// Compares kubemagic with the oracle's result for one case; returns the
/// differences (empty when the case passes).
pub fn check_case(case: &Case, oracle: &Value) -> Vec<String> {
    let mut fails = Vec::new();
    let loaded = Inventory::load(&case.sources, &options(case));
    if let Some((file, line)) = &case.expect_error {
        match loaded {
            Ok(_) => fails.push("expected an error, kubemagic loaded the inventory".to_string()),
            Err(e) => {
                let f = e
                    .file()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default();
                if !file.is_empty() && !f.ends_with(file.as_str()) {
                    fails.push(format!("error names file {f}, expected …{file}: {e}"));
                }
                if line.is_some() && e.line() != *line {
                    fails.push(format!(
                        "error line {:?}, expected {:?}: {e}",
                        e.line(),
                        line
                    ));
                }
            }
        }
        if !oracle["error"].is_null() {
            fails.push(format!("ansible itself failed hard: {}", oracle["error"]));
        }
        return fails;
    }
    if !oracle["error"].is_null() {
        fails.push(format!("ansible failed: {}", oracle["error"]));
        return fails;
    }
    let inv = match loaded {
        Ok(inv) => inv,
        Err(e) => {
            fails.push(format!("kubemagic failed to load: {e}"));
            return fails;
        }
    };
    compare_warnings(&inv, oracle, &mut fails);
    if let Some((file, line)) = &case.expect_warning {
        let hit = inv.warnings().iter().any(|w| {
            w.file.display().to_string().ends_with(file.as_str())
                && (line.is_none() || w.line == *line)
        });
        if !hit {
            fails.push(format!(
                "expected a warning at …{file}:{line:?}, kubemagic warned: {:?}",
                inv.warnings()
            ));
        }
    }
    let mut buf = Vec::new();
    write_list(&inv, false, &mut buf).expect("write to Vec");
    compare_json_text(
        "--list",
        &String::from_utf8_lossy(&buf),
        oracle["list"].as_str().unwrap_or(""),
        &mut fails,
    );
    if let Some(theirs) = oracle["export"].as_str() {
        let mut buf = Vec::new();
        write_list(&inv, true, &mut buf).expect("write to Vec");
        compare_json_text(
            "--list --export",
            &String::from_utf8_lossy(&buf),
            theirs,
            &mut fails,
        );
    }
    if let Some(hosts) = oracle["host"].as_object() {
        for (h, theirs) in hosts {
            let ours = inv.select(h).ok().filter(|v| v.len() == 1);
            match (ours, theirs.as_str()) {
                (Some(v), Some(t)) => match inv.host_vars(v[0]) {
                    Ok(vars) => {
                        let text = to_python_json(&host_value(&vars));
                        compare_json_text(&format!("--host {h}"), &text, t, &mut fails);
                    }
                    Err(e) => fails.push(format!("--host {h}: {e}")),
                },
                (None, None) => {}
                (o, t) => fails.push(format!("--host {h}: kubemagic {o:?} vs ansible {t:?}")),
            }
        }
    }
    for (key, with_vars) in [("graph", false), ("graph_vars", true)] {
        if let Some(graphs) = oracle[key].as_object() {
            for (g, theirs) in graphs {
                let ours = inv.graph(Some(g), with_vars);
                match (ours, theirs.as_str()) {
                    (Ok(o), Some(t)) => {
                        if o != t {
                            fails.push(format!("--graph {g} (vars {with_vars}):\n--- ansible\n{t}\n+++ kubemagic\n{o}"));
                        }
                    }
                    (Err(_), None) => {}
                    (o, t) => fails.push(format!("--graph {g}: kubemagic {o:?} vs ansible {t:?}")),
                }
            }
        }
    }
    if let Some(pats) = oracle["patterns"].as_object() {
        for (p, theirs) in pats {
            let ours = inv.select(p);
            match (ours, theirs.as_array()) {
                (Ok(o), Some(t)) => {
                    let mut t: Vec<&str> = t.iter().filter_map(|x| x.as_str()).collect();
                    let mut o = o;
                    if case.unordered_patterns {
                        o.sort();
                        t.sort();
                    }
                    if o != t {
                        fails.push(format!("pattern {p:?}: kubemagic {o:?} vs ansible {t:?}"));
                    }
                }
                (Err(_), None) => {}
                (o, t) => fails.push(format!("pattern {p:?}: kubemagic {o:?} vs ansible {t:?}")),
            }
        }
    }
    fails
}

/// Checks all cases and panics with a summary of every failing one.
pub fn check_all(label: &str, cases: &[Case], oracle: &HashMap<String, Value>) {
    let mut failed = Vec::new();
    for c in cases {
        let Some(r) = oracle.get(&c.id) else {
            failed.push(format!("{}: no oracle result", c.id));
            continue;
        };
        let fails = check_case(c, r);
        if !fails.is_empty() {
            failed.push(format!(
                "== {} ({})\n{}",
                c.id,
                c.dir.display(),
                fails.join("\n")
            ));
        }
    }
    eprintln!(
        "{label}: {} of {} cases agree with ansible-inventory",
        cases.len() - failed.len(),
        cases.len()
    );
    if !failed.is_empty() {
        panic!(
            "{} {label} case(s) differ from ansible:\n{}",
            failed.len(),
            failed.join("\n\n")
        );
    }
}

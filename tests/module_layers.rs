//! "Data flows one way" is a claim about imports: no module of any crate may
//! import one that imports it back, directly or through others. This test
//! reads every library crate's sources, takes each `crate::m` a top-level
//! module names outside its tests and doc comments, and fails naming the
//! cycle when the graph is not a DAG.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs")
            // A `tests.rs` is a test module (declared under #[cfg(test)]).
            && p.file_name().is_some_and(|n| n != "tests.rs")
        {
            out.push(p);
        }
    }
}

/// The top-level module a file belongs to (`None` for lib.rs/main.rs, whose
/// `pub use` lists re-export everything by design).
fn top_module(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).ok()?;
    let first = rel.components().next()?.as_os_str().to_str()?;
    match first {
        "lib.rs" | "main.rs" => None,
        f => Some(f.trim_end_matches(".rs").to_string()),
    }
}

/// `crate::name` references in code (not comments), up to the first
/// `#[cfg(test)]`: test modules may reach anywhere.
fn references(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with("#[cfg(test)]") {
            break;
        }
        if t.starts_with("//") {
            continue;
        }
        let mut rest = t;
        while let Some(i) = rest.find("crate::") {
            // `kubemagic_crate::` or `$crate::` are not this crate's modules.
            let before = rest[..i].chars().last();
            let after = &rest[i + "crate::".len()..];
            rest = after;
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
                continue;
            }
            let name: String = after
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.insert(name);
            }
            // `use crate::{a, b}`: every name in the braces.
            if let Some(inner) = after.strip_prefix('{') {
                for part in inner.split(['}', ',']) {
                    let n: String = part
                        .trim()
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    if !n.is_empty() {
                        out.insert(n);
                    }
                }
            }
        }
    }
    out
}

fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(n.to_string(), 1);
        stack.push(n.to_string());
        for m in graph.get(n).into_iter().flatten() {
            match state.get(m.as_str()).copied().unwrap_or(0) {
                1 => {
                    let start = stack.iter().position(|s| s == m).unwrap_or(0);
                    let mut c = stack[start..].to_vec();
                    c.push(m.clone());
                    return Some(c);
                }
                0 => {
                    if let Some(c) = visit(m, graph, state, stack) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(n.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in graph.keys() {
        if state.get(n.as_str()).copied().unwrap_or(0) == 0 {
            let mut stack = Vec::new();
            if let Some(c) = visit(n, graph, &mut state, &mut stack) {
                return Some(c);
            }
        }
    }
    None
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut crates = Vec::new();
    for e in std::fs::read_dir(&root).unwrap().flatten() {
        let src = e.path().join("src");
        let name = e.file_name().to_string_lossy().to_string();
        if name.starts_with("kubemagic-") && src.join("lib.rs").exists() {
            crates.push((name, src));
        }
    }
    assert!(
        crates.len() >= 5,
        "found only {crates:?} under {}",
        root.display()
    );
    let mut cycles = Vec::new();
    for (name, src) in &crates {
        let mut files = Vec::new();
        rust_files(src, &mut files);
        let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let modules: BTreeSet<String> = files.iter().filter_map(|f| top_module(src, f)).collect();
        for f in &files {
            let Some(m) = top_module(src, f) else {
                continue;
            };
            let text = std::fs::read_to_string(f).unwrap();
            let deps = graph.entry(m.clone()).or_default();
            for r in references(&text) {
                if r != m && modules.contains(&r) {
                    deps.insert(r);
                }
            }
        }
        if let Some(c) = find_cycle(&graph) {
            cycles.push(format!("{name}: {}", c.join(" -> ")));
        }
    }
    assert!(
        cycles.is_empty(),
        "module import cycles:\n{}",
        cycles.join("\n")
    );
}

#[test]
fn the_reference_reader_sees_braced_imports_and_skips_comments() {
    let r = references("use crate::{a::X, b};\n// crate::c\nlet x = kubemagic_crate::d;\n#[cfg(test)]\nuse crate::e;");
    assert_eq!(r, ["a", "b"].iter().map(|s| s.to_string()).collect());
}

/// Every `"KMnnn"` a crate's sources use is registered in
/// `kubemagic_core::codes::ALL` under that crate (KM321 is the site's, and
/// `kubemagic lb` reuses it with the same meaning), so no two crates can
/// hand out one code for different things.
#[test]
fn every_code_a_crate_emits_is_registered_under_that_crate() {
    use kubemagic_core::codes::{lookup, Owner};
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let crates = [
        ("kubemagic-site", Owner::Site),
        ("kubemagic-etcd", Owner::Etcd),
        ("kubemagic-ceph", Owner::Ceph),
        ("kubemagic-lb", Owner::Lb),
        ("kubemagic-certs", Owner::Certs),
    ];
    let mut problems = Vec::new();
    for (name, owner) in crates {
        let mut files = Vec::new();
        rust_files(&root.join(name).join("src"), &mut files);
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            let mut rest = text.as_str();
            while let Some(i) = rest.find("\"KM") {
                let code = &rest[i + 1..(i + 6).min(rest.len())];
                rest = &rest[i + 3..];
                if code.len() < 5 || !code[2..].bytes().all(|b| b.is_ascii_digit()) {
                    continue;
                }
                match lookup(code) {
                    None => problems.push(format!("{}: {code} is not registered", f.display())),
                    Some(c) if c.owner != owner && !(code == "KM321" && owner == Owner::Lb) => {
                        problems.push(format!("{}: {code} belongs to {:?}", f.display(), c.owner))
                    }
                    _ => {}
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

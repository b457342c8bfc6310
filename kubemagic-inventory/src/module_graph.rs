//! Proof that the crate's modules import each other without a cycle.
//!
//! A module that imports one that imports it back (directly or through
//! others) cannot be read, tested or moved on its own; issue 10 found ten
//! modules in one circle. This test reads every source file, collects the
//! modules each one names (`crate::a::b`, `super::x`), and checks that the
//! graph is a DAG, printing the cycle when it is not. In-file `#[cfg(test)]`
//! modules and `tests.rs` files are left out: tests may reach anywhere.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Module path of a source file relative to `src/` (`yaml/node.rs` →
/// `yaml::node`, `yaml/mod.rs` → `yaml`); `None` for the crate root and
/// test-only files.
fn module_name(rel: &Path) -> Option<String> {
    let parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    let last = parts.last()?;
    if parts.len() == 1 && (last == "lib" || last == "module_graph") {
        return None;
    }
    if last == "tests" || parts.iter().any(|p| p == "tests") {
        return None;
    }
    let parts = if last == "mod" {
        &parts[..parts.len() - 1]
    } else {
        &parts[..]
    };
    Some(parts.join("::"))
}

fn source_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            source_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The non-test code of a file, comments removed.
fn code_of(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with("#[cfg(test)]") {
            break;
        }
        if t.starts_with("//") {
            continue;
        }
        out.push_str(line.split(" //").next().unwrap_or(""));
        out.push('\n');
    }
    out
}

/// Paths written after `prefix` (`crate::` or `super::`), as identifier lists.
fn paths_after<'a>(code: &'a str, prefix: &str) -> Vec<Vec<&'a str>> {
    let mut out = Vec::new();
    for (i, _) in code.match_indices(prefix) {
        // `foo_crate::` is not `crate::`.
        let before = code[..i].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let rest = &code[i + prefix.len()..];
        assert!(
            !rest.starts_with('{'),
            "write `use {prefix}a::X;` one module per line so this test can read it"
        );
        let mut path = Vec::new();
        let mut rest = rest;
        loop {
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            if end == 0 {
                break;
            }
            path.push(&rest[..end]);
            match rest[end..].strip_prefix("::") {
                Some(more) => rest = more,
                None => break,
            }
        }
        out.push(path);
    }
    out
}

/// Edges module → modules it names.
fn import_graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    source_files(&src, &mut files);
    let mut code = BTreeMap::new();
    for f in &files {
        if let Some(m) = module_name(f.strip_prefix(&src).unwrap()) {
            code.insert(m, code_of(&std::fs::read_to_string(f).unwrap()));
        }
    }
    let modules: BTreeSet<String> = code.keys().cloned().collect();
    // The longest prefix of `path` that is a module.
    let resolve = |path: &[&str]| -> Option<String> {
        (1..=path.len())
            .rev()
            .map(|n| path[..n].join("::"))
            .find(|m| modules.contains(m))
    };
    let mut graph = BTreeMap::new();
    for (m, text) in &code {
        let mut deps = BTreeSet::new();
        for p in paths_after(text, "crate::") {
            if let Some(d) = resolve(&p) {
                deps.insert(d);
            }
        }
        let parent: Vec<&str> = m.split("::").collect();
        if parent.len() > 1 {
            let parent = &parent[..parent.len() - 1];
            for p in paths_after(text, "super::") {
                let full: Vec<&str> = parent.iter().copied().chain(p).collect();
                if let Some(d) = resolve(&full) {
                    deps.insert(d);
                }
            }
        }
        deps.remove(m);
        graph.insert(m.clone(), deps);
    }
    graph
}

/// A cycle of the graph, if there is one (depth-first search).
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    fn visit(
        n: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        marks: &mut BTreeMap<String, Mark>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        marks.insert(n.to_string(), Mark::Open);
        stack.push(n.to_string());
        for d in graph.get(n).into_iter().flatten() {
            match marks.get(d.as_str()).copied().unwrap_or(Mark::New) {
                Mark::Open => {
                    let start = stack.iter().position(|s| s == d).unwrap();
                    let mut cycle = stack[start..].to_vec();
                    cycle.push(d.clone());
                    return Some(cycle);
                }
                Mark::New => {
                    if let Some(c) = visit(d, graph, marks, stack) {
                        return Some(c);
                    }
                }
                Mark::Done => {}
            }
        }
        stack.pop();
        marks.insert(n.to_string(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for n in graph.keys() {
        if marks.get(n.as_str()).copied().unwrap_or(Mark::New) == Mark::New {
            if let Some(c) = visit(n, graph, &mut marks, &mut Vec::new()) {
                return Some(c);
            }
        }
    }
    None
}

#[test]
fn module_imports_form_a_dag() {
    let graph = import_graph();
    assert!(graph.len() > 10, "module files not found: {graph:?}");
    if let Some(cycle) = find_cycle(&graph) {
        panic!(
            "modules import each other in a circle: {}",
            cycle.join(" → ")
        );
    }
}

#[test]
fn the_cycle_finder_finds_a_planted_cycle() {
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    g.entry("a".into()).or_default().insert("b".into());
    g.entry("b".into()).or_default().insert("c".into());
    g.entry("c".into()).or_default().insert("a".into());
    assert_eq!(find_cycle(&g).unwrap(), ["a", "b", "c", "a"]);
    g.get_mut("c").unwrap().clear();
    assert_eq!(find_cycle(&g), None);
    let code = "use crate::yaml::node::Node;\nlet x = foo_crate::a; super::b::c();";
    assert_eq!(paths_after(code, "crate::"), [vec!["yaml", "node", "Node"]]);
}

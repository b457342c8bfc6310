//! Deterministic fuzzing of every reader of user files (issue 22): the
//! inventory (INI and YAML), the site (kubemagic.yml and group_vars) and
//! the load balancer (its group_vars, through the site). Each reader gets
//! at least 2,000 inputs, mutated with a fixed seed from the shipped
//! examples and the differential corpus (upstream-shaped inventories), and
//! each input runs on its own thread with a 10 s timeout: a panic, a stack
//! overflow (which aborts this test binary) or a run over 10 s fails the
//! test, naming the input (saved under `target/fuzz-failures/`).
//!
//! The mutator is a small seeded one rather than `cargo fuzz` (nightly) or
//! proptest shrinking: the same inputs on every run, fast enough for `make
//! test` in a debug build. `KUBEMAGIC_FUZZ_CASES` raises the count for a
//! longer local run; `KUBEMAGIC_FUZZ_SEED` changes the seed.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const CASES: usize = 2000;
const SEED: u64 = 0x6b75_6265_6d61_6769; // "kubemagi"
const TIMEOUT: Duration = Duration::from_secs(10);
/// Each input's thread gets the stack a site reader thread gets.
const STACK: usize = 16 * 1024 * 1024;

fn cases() -> usize {
    std::env::var("KUBEMAGIC_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(CASES)
}

fn seed(salt: u64) -> u64 {
    std::env::var("KUBEMAGIC_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(SEED)
        ^ salt
}

/// splitmix64: tiny, seedable, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

/// Tokens that mean something to YAML, INI, Python literals, Jinja or the
/// readers' limits.
const TOKENS: &[&str] = &[
    ":",
    ": ",
    "- ",
    "? ",
    "[",
    "]",
    "{",
    "}",
    ",",
    "&a ",
    "*a",
    "<<: *a",
    "!unsafe ",
    "!vault |",
    "!!str ",
    "!!int ",
    "!!python/object ",
    "|",
    ">-",
    "#",
    "'",
    "\"",
    "\\",
    "\t",
    "\r",
    "\0",
    "\u{feff}",
    "é",
    "𝔘",
    "=",
    "[g:children]",
    "[g:vars]",
    "[all:vars]",
    "h[1:3]",
    "h[a:c]",
    "h[0:99999]",
    "h[3:1]",
    "{{ x }}",
    "{% if %}",
    "1e999",
    ".inf",
    "-.nan",
    "0x1F",
    "0o17",
    "0755",
    "1_000",
    "~",
    "null",
    "yes",
    "on",
    "True",
    "2001:db8::1",
    "127.0.0.1:22",
    "[::1]:22",
    "ansible_host=",
    "ansible_port=x",
    "ansible_group_priority=x",
    "hosts:",
    "children:",
    "vars:",
    "all:",
    "ungrouped:",
    "---\n",
    "...\n",
    "%YAML 1.1\n",
    "%TAG ! !x\n",
    "u'x'",
    "b'x'",
    "(1,)",
    "{1: 2}",
    "{'a': [1, {'b': (2,)}]}",
    "set()",
    "-(1)",
    "1+2j",
    "\n  ",
    "\n    - ",
    "\n\t",
    "kubemagic: ignore[KM102] why",
    "flavor: openshift",
    "upstreams:",
    "ref: master",
    "checks:",
    "ignore:",
    "addons:",
];

/// One mutated input: 1 to 4 edits of a random seed.
fn mutate(rng: &mut Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut s = rng.pick(seeds).clone();
    for _ in 0..1 + rng.below(4) {
        edit(rng, &mut s, seeds);
        s.truncate(256 * 1024);
    }
    s
}

fn line_bounds(s: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, &b) in s.iter().enumerate() {
        if b == b'\n' {
            out.push((start, i + 1));
            start = i + 1;
        }
    }
    if start < s.len() {
        out.push((start, s.len()));
    }
    out
}

fn edit(rng: &mut Rng, s: &mut Vec<u8>, seeds: &[Vec<u8>]) {
    let at = rng.below(s.len() + 1);
    let lines = line_bounds(s);
    match rng.below(11) {
        0 => {
            let end = (at + 1 + rng.below(16)).min(s.len());
            if at < end {
                s.drain(at..end);
            }
        }
        1 | 2 => {
            let t = rng.pick(TOKENS).as_bytes().to_vec();
            s.splice(at..at, t);
        }
        3 if !lines.is_empty() => {
            let (a, b) = *rng.pick(&lines);
            let line = s[a..b].to_vec();
            s.splice(b..b, line);
        }
        4 if !lines.is_empty() => {
            let (a, b) = *rng.pick(&lines);
            s.drain(a..b);
        }
        5 if lines.len() > 1 => {
            let (a1, b1) = *rng.pick(&lines);
            let (a2, b2) = *rng.pick(&lines);
            if b1 <= a2 {
                let (l1, l2) = (s[a1..b1].to_vec(), s[a2..b2].to_vec());
                s.splice(a2..b2, l1);
                s.splice(a1..b1, l2);
            }
        }
        6 if at < s.len() => {
            let bytes = [
                b'\t', b'\0', 0xff, 0xc3, b' ', b'\n', b':', b'-', b'#', b'"',
            ];
            s[at] = if rng.below(2) == 0 {
                *rng.pick(&bytes)
            } else {
                rng.next() as u8
            };
        }
        7 => {
            // A line of another seed, spliced in at a line start.
            let other = rng.pick(seeds);
            let ol = line_bounds(other);
            if !ol.is_empty() {
                let (a, b) = *rng.pick(&ol);
                let pos = lines
                    .get(rng.below(lines.len() + 1))
                    .map_or(s.len(), |l| l.0);
                s.splice(pos..pos, other[a..b].to_vec());
            }
        }
        8 if !lines.is_empty() => {
            let (a, _) = *rng.pick(&lines);
            if rng.below(2) == 0 {
                s.splice(a..a, b"  ".iter().copied());
            } else if s[a..].starts_with(b"  ") {
                s.drain(a..a + 2);
            }
        }
        9 => {
            // Deep nesting, around the readers' limit.
            let depth = 100 + rng.below(200);
            let mut nest = Vec::new();
            match rng.below(3) {
                0 => {
                    nest.extend(std::iter::repeat_n(b'[', depth));
                    nest.extend(std::iter::repeat_n(b']', depth));
                }
                1 => {
                    for i in 0..depth {
                        nest.extend(std::iter::repeat_n(b' ', i));
                        nest.extend(format!("k{i}:\n").as_bytes());
                    }
                }
                _ => {
                    nest.extend(b"x=");
                    nest.extend(std::iter::repeat_n(b'{', 1));
                    for _ in 0..depth {
                        nest.extend(b"'a': {");
                    }
                    nest.extend(std::iter::repeat_n(b'}', depth + 1));
                    nest.push(b'\n');
                }
            }
            let pos = lines
                .get(rng.below(lines.len() + 1))
                .map_or(s.len(), |l| l.0);
            s.splice(pos..pos, nest);
        }
        _ => {
            // A chunk repeated: long lines, many keys.
            let end = (at + 1 + rng.below(40)).min(s.len());
            if at < end {
                let chunk = s[at..end].to_vec();
                let times = 1 + rng.below(200);
                let rep: Vec<u8> = chunk
                    .iter()
                    .copied()
                    .cycle()
                    .take(chunk.len() * times)
                    .collect();
                s.splice(end..end, rep);
            }
        }
    }
}

/// Runs `f` on its own thread; `Err` says why the input failed (a panic
/// or a run over [`TIMEOUT`]). A timed-out thread is left behind: the test
/// fails anyway.
fn bounded(f: impl FnOnce() + Send + 'static) -> Result<Duration, String> {
    let (tx, rx) = mpsc::channel();
    let start = Instant::now();
    let handle = std::thread::Builder::new()
        .stack_size(STACK)
        .spawn(move || {
            f();
            let _ = tx.send(());
        })
        .map_err(|e| format!("cannot spawn: {e}"))?;
    match rx.recv_timeout(TIMEOUT) {
        Ok(()) => {
            let _ = handle.join();
            Ok(start.elapsed())
        }
        Err(mpsc::RecvTimeoutError::Timeout) => Err(format!("ran over {TIMEOUT:?}")),
        Err(mpsc::RecvTimeoutError::Disconnected) => Err(match handle.join() {
            Err(p) => p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .map(|m| format!("panicked: {m}"))
                .unwrap_or_else(|| "panicked".into()),
            Ok(()) => "worker ended without an answer".into(),
        }),
    }
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Saves a failing input where a developer can replay it.
fn save_failure(reader: &str, i: usize, input: &[u8]) -> PathBuf {
    let dir = workspace().join("target/fuzz-failures");
    let _ = std::fs::create_dir_all(&dir);
    let p = dir.join(format!("{reader}-{i}"));
    let _ = std::fs::write(&p, input);
    p
}

/// Feeds `cases()` mutated inputs to `run` (which writes the input where
/// the reader expects it in the folder `setup` prepared once, reads it,
/// and puts back what it overwrote), and fails with every input that
/// panicked or ran over the timeout.
fn fuzz(reader: &str, salt: u64, seeds: &[Vec<u8>], setup: fn(&Path), run: fn(Vec<u8>, PathBuf)) {
    assert!(!seeds.is_empty(), "{reader}: no seed inputs");
    let mut rng = Rng(seed(salt));
    let scratch = tempfile::tempdir().unwrap();
    setup(scratch.path());
    let mut failures = Vec::new();
    let mut slowest = Duration::ZERO;
    let n = cases();
    let start = Instant::now();
    for i in 0..n {
        let input = mutate(&mut rng, seeds);
        let copy = input.clone();
        let d = scratch.path().to_path_buf();
        match bounded(move || run(copy, d)) {
            Ok(t) => slowest = slowest.max(t),
            Err(why) => {
                let saved = save_failure(reader, i, &input);
                failures.push(format!("input {i} ({}): {why}", saved.display()));
                if why.starts_with("ran over") {
                    // The folder is still in use by the stuck reader.
                    break;
                }
            }
        }
    }
    eprintln!(
        "{reader}: {n} inputs in {:.1} s, slowest {:.3} s, {} failures",
        start.elapsed().as_secs_f64(),
        slowest.as_secs_f64(),
        failures.len()
    );
    assert!(failures.is_empty(), "{reader}:\n{}", failures.join("\n"));
}

/// Every file under `dir` whose name satisfies `keep`.
fn files_under(dir: &Path, keep: &dyn Fn(&Path) -> bool, out: &mut Vec<Vec<u8>>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            files_under(&p, keep, out);
        } else if keep(&p) {
            if let Ok(b) = std::fs::read(&p) {
                if b.len() < 64 * 1024 {
                    out.push(b);
                }
            }
        }
    }
}

fn ext(p: &Path) -> &str {
    p.extension().and_then(|e| e.to_str()).unwrap_or("")
}

fn name(p: &Path) -> &str {
    p.file_name().and_then(|e| e.to_str()).unwrap_or("")
}

/// Inventory files of the corpus and the examples: INI (no extension or
/// `.ini`, not under group_vars/host_vars) or YAML.
fn inventory_seeds(yaml: bool) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let keep = move |p: &Path| {
        let s = p.to_string_lossy();
        if s.contains("group_vars") || s.contains("host_vars") || name(p) == "case.json" {
            return false;
        }
        if yaml {
            matches!(ext(p), "yml" | "yaml" | "json") && name(p) != "kubemagic.yml"
        } else {
            matches!(ext(p), "" | "ini") && !name(p).starts_with('.')
        }
    };
    files_under(&workspace().join("tests/corpus/inventory"), &keep, &mut out);
    files_under(&workspace().join("examples"), &keep, &mut out);
    out
}

fn exercise(inv: &kubemagic_inventory::Inventory) {
    let mut sink = Vec::new();
    let _ = kubemagic_inventory::write_list(inv, false, &mut sink);
    for h in inv.hosts().into_iter().take(5) {
        let _ = inv.host_vars(h);
        let _ = inv.ansible_host(h);
    }
    for p in ["all", "all:!ungrouped"] {
        let _ = inv.select(p);
    }
}

fn read_inventory(input: Vec<u8>, dir: PathBuf, file: &str) {
    let p = dir.join(file);
    std::fs::write(&p, &input).unwrap();
    let opts = kubemagic_inventory::LoadOptions::default();
    if let Ok(inv) = kubemagic_inventory::Inventory::load(&[p], &opts) {
        exercise(&inv);
    }
}

#[test]
fn fuzz_ini_inventory_reader() {
    fuzz(
        "ini",
        1,
        &inventory_seeds(false),
        |_| {},
        |input, dir| read_inventory(input, dir, "hosts.ini"),
    );
}

#[test]
fn fuzz_yaml_inventory_reader() {
    fuzz(
        "yaml",
        2,
        &inventory_seeds(true),
        |_| {},
        |input, dir| read_inventory(input, dir, "hosts.yml"),
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

/// A site made of the `custom/` part of utgb (and, with the input, a
/// kubemagic.yml): small, so 2,000 readings stay within seconds.
fn small_site(dir: &Path) {
    let ex = workspace().join("examples/utgb");
    copy_dir(&ex.join("custom"), &site_path(dir).join("custom"));
}

/// Writes `input` as `rel` in the site, reads with `read`, then puts back
/// utgb's own file (or removes it), ready for the next input.
fn with_file(dir: &Path, rel: &str, input: &[u8], read: impl FnOnce(&Path)) {
    let site = site_path(dir);
    let target = site.join(rel);
    std::fs::write(&target, input).unwrap();
    read(&site);
    match std::fs::read(workspace().join("examples/utgb").join(rel)) {
        Ok(orig) if rel != "kubemagic.yml" => std::fs::write(&target, orig).unwrap(),
        _ => std::fs::remove_file(&target).unwrap(),
    }
}

/// The site readers' seeds: every kubemagic.yml and group_vars file of the
/// examples, plus vars files of the corpus.
fn site_seeds() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let keep = |p: &Path| {
        name(p) == "kubemagic.yml"
            || (p.to_string_lossy().contains("group_vars") && matches!(ext(p), "yml" | "yaml" | ""))
    };
    files_under(&workspace().join("examples"), &keep, &mut out);
    let mut corpus = Vec::new();
    files_under(
        &workspace().join("tests/corpus/inventory"),
        &keep,
        &mut corpus,
    );
    out.extend(corpus.into_iter().step_by(4));
    out
}

fn site_path(dir: &Path) -> PathBuf {
    dir.join("site")
}

fn read_site(input: Vec<u8>, dir: PathBuf) {
    // What the input stands for alternates: kubemagic.yml, then a
    // group_vars file.
    let rel = ["kubemagic.yml", "custom/group_vars/all.yml"][input.len() % 2];
    with_file(&dir, rel, &input, |site| {
        if let Ok(report) = kubemagic_site::checks::check_site(site) {
            let _ = serde_json::to_string(&report);
        }
    });
}

#[test]
fn fuzz_site_reader_kubemagic_yml_and_group_vars() {
    fuzz("site", 3, &site_seeds(), small_site, read_site);
}

/// The load balancer's inputs: the lb, haproxy and keepalived group_vars
/// of the examples.
fn lb_seeds() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let keep = |p: &Path| {
        matches!(
            name(p),
            "lb.yml" | "haproxy.yml" | "keepalived.yml" | "all.yml"
        ) && p.to_string_lossy().contains("custom/group_vars")
    };
    files_under(&workspace().join("examples"), &keep, &mut out);
    out
}

fn read_lb(input: Vec<u8>, dir: PathBuf) {
    let rel = [
        "custom/group_vars/lb.yml",
        "custom/group_vars/haproxy.yml",
        "custom/group_vars/keepalived.yml",
    ][input.len() % 3];
    with_file(&dir, rel, &input, |site| {
        if let Ok(model) = kubemagic_lb::load(site) {
            for r in kubemagic_lb::render_all(&model) {
                assert!(!r.haproxy_cfg.is_empty() || !r.keepalived_conf.is_empty());
            }
            let _ = serde_json::to_string(&model);
        }
    });
}

#[test]
fn fuzz_lb_reader_and_renderer() {
    fuzz("lb", 4, &lb_seeds(), small_site, read_lb);
}

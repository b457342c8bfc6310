//! Property test: random inventories (groups, nesting, ranges, typed values,
//! priorities, group_vars/host_vars files and folders, several sources, a
//! playbook dir, hash merging, host patterns), each written both as INI and
//! as YAML, compared with the real ansible-inventory in one batch.
//!
//! The generator is seeded (`KUBEMAGIC_PROP_SEED`, default fixed) so a
//! failure is reproducible; `KUBEMAGIC_PROP_CASES` sets how many models
//! (each gives two cases).

mod support;

use std::fmt::Write as _;
use std::path::Path;
use support::Case;

/// xorshift64*: enough randomness for test inputs, no dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() % 10_000) as f64 / 10_000.0 < p
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

const GROUP_NAMES: [&str; 10] = [
    "web",
    "db",
    "lb",
    "k8s_cluster",
    "etcd",
    "g1",
    "kube-master",
    "kube_node",
    "calico_rr",
    "Mixed_Case",
];
const VAR_NAMES: [&str; 5] = ["v0", "v1", "v2", "v3", "port"];
/// Values as an INI file writes them (typed by Ansible's literal_eval),
/// including dicts with non-string keys and a float beyond `f64`.
const INI_VALUES: [&str; 21] = [
    "\"{0: 'a', True: 1, None: 2, 1.5: 3, '0': 4}\"",
    "1e999",
    "[-1e999]",
    "1",
    "-7",
    "1_000",
    "0x1f",
    "010",
    "1.5",
    "True",
    "False",
    "None",
    "yes",
    "plain",
    "'quoted'",
    "\"two words\"",
    "[1,2]",
    "{'k':'v'}",
    "(1,2)",
    "1e3",
    "0o17",
];
/// Values as YAML writes them (typed by YAML 1.1), including `.inf`/`.nan`,
/// flow collections spread over lines that close at column 0 or after
/// a quoted scalar, non-string and duplicate keys (issue 15).
const YAML_VALUES: [&str; 27] = [
    "{0: a, 1.5: b, true: c, ~: d, '0': e, 10: f, 9: g}",
    "{k: 1, k: 2}",
    ".inf",
    "-.Inf",
    ".nan",
    "{\n  \"a\": \"b\",\n}",
    "[\n\"x\",\n  1\n]",
    "1",
    "-7",
    "0755",
    "0x1f",
    "1.5",
    "1e3",
    "yes",
    "no",
    "on",
    "~",
    "plain",
    "'quoted'",
    "\"dq\"",
    "[1, 2]",
    "{k: v}",
    "true",
    "1_000",
    "010",
    "2024-01-15",
    "\"a: b\"",
];
/// Dict values to exercise hash merging.
const DICTS: [&str; 3] = ["{a: 1, n: {x: 1}}", "{b: 2, n: {y: 2}}", "{a: 3}"];

struct Model {
    groups: Vec<String>,
    /// (parent, child) indices into `groups`, parent < child.
    edges: Vec<(usize, usize)>,
    hosts: Vec<String>,
    /// host → groups it is listed in (empty: ungrouped).
    membership: Vec<Vec<usize>>,
    /// (group, range pattern) entries.
    ranges: Vec<(usize, String)>,
    host_vars: Vec<Vec<(String, usize)>>,
    group_vars: Vec<Vec<(String, usize)>>,
    priorities: Vec<Option<i64>>,
    all_vars: Vec<(String, usize)>,
    merge: bool,
}

fn gen_vars(rng: &mut Rng, max: usize) -> Vec<(String, usize)> {
    let n = rng.below(max + 1);
    let mut out: Vec<(String, usize)> = Vec::new();
    for _ in 0..n {
        let name = rng.pick(&VAR_NAMES).to_string();
        if out.iter().all(|(k, _)| *k != name) {
            out.push((name, rng.below(1000)));
        }
    }
    out
}

fn gen_model(rng: &mut Rng) -> Model {
    let ng = 1 + rng.below(6);
    let mut pool: Vec<&str> = GROUP_NAMES.to_vec();
    let mut groups = Vec::new();
    for _ in 0..ng {
        let i = rng.below(pool.len());
        groups.push(pool.remove(i).to_string());
    }
    let mut edges = Vec::new();
    for c in 1..ng {
        for p in 0..c {
            if rng.chance(0.25) {
                edges.push((p, c));
            }
        }
    }
    let nh = 1 + rng.below(9);
    let mut hosts = Vec::new();
    for k in 0..nh {
        let name = match rng.below(4) {
            0 => format!("node{k}.example.com"),
            1 => format!("10.0.0.{}", k + 1),
            _ => format!("h{k}"),
        };
        hosts.push(name);
    }
    let membership = (0..nh)
        .map(|_| {
            let mut m = Vec::new();
            for _ in 0..rng.below(3) {
                let g = rng.below(ng);
                if !m.contains(&g) {
                    m.push(g);
                }
            }
            m
        })
        .collect();
    let mut ranges = Vec::new();
    if rng.chance(0.3) {
        let r = rng
            .pick(&["r[1:3]", "r[01:03]", "r[a:c]", "r[0:6:2]"])
            .to_string();
        ranges.push((rng.below(ng), r));
    }
    let host_vars = (0..nh)
        .map(|_| {
            if rng.chance(0.5) {
                gen_vars(rng, 3)
            } else {
                Vec::new()
            }
        })
        .collect();
    let group_vars = (0..ng)
        .map(|_| {
            if rng.chance(0.5) {
                gen_vars(rng, 3)
            } else {
                Vec::new()
            }
        })
        .collect();
    let priorities = (0..ng)
        .map(|_| {
            if rng.chance(0.15) {
                Some(rng.below(5) as i64)
            } else {
                None
            }
        })
        .collect();
    let all_vars = if rng.chance(0.3) {
        gen_vars(rng, 2)
    } else {
        Vec::new()
    };
    Model {
        groups,
        edges,
        hosts,
        membership,
        ranges,
        host_vars,
        group_vars,
        priorities,
        all_vars,
        merge: rng.chance(0.15),
    }
}

fn ini_value(v: usize) -> &'static str {
    INI_VALUES[v % INI_VALUES.len()]
}
fn yaml_value(v: usize) -> &'static str {
    YAML_VALUES[v % YAML_VALUES.len()]
}

fn write_ini(m: &Model) -> String {
    let mut s = String::new();
    let mut vars_written = vec![false; m.hosts.len()];
    let host_line = |h: usize, vars_written: &mut Vec<bool>| -> String {
        let mut line = m.hosts[h].clone();
        if !vars_written[h] {
            vars_written[h] = true;
            for (k, v) in &m.host_vars[h] {
                let _ = write!(line, " {k}={}", ini_value(*v));
            }
        }
        line
    };
    for h in 0..m.hosts.len() {
        if m.membership[h].is_empty() {
            let _ = writeln!(s, "{}", host_line(h, &mut vars_written));
        }
    }
    for (g, name) in m.groups.iter().enumerate() {
        let _ = writeln!(s, "\n[{name}]");
        for h in 0..m.hosts.len() {
            if m.membership[h].contains(&g) {
                let _ = writeln!(s, "{}", host_line(h, &mut vars_written));
            }
        }
        for (rg, r) in &m.ranges {
            if *rg == g {
                let _ = writeln!(s, "{r} from_range=1");
            }
        }
        if !m.group_vars[g].is_empty() || m.priorities[g].is_some() {
            let _ = writeln!(s, "\n[{name}:vars]");
            for (k, v) in &m.group_vars[g] {
                let _ = writeln!(s, "{k}={}", ini_value(*v));
            }
            if let Some(p) = m.priorities[g] {
                let _ = writeln!(s, "ansible_group_priority={p}");
            }
        }
    }
    for (p, name) in m.groups.iter().enumerate() {
        let kids: Vec<&str> = m
            .edges
            .iter()
            .filter(|(pp, _)| *pp == p)
            .map(|(_, c)| m.groups[*c].as_str())
            .collect();
        if !kids.is_empty() {
            let _ = writeln!(s, "\n[{name}:children]\n{}", kids.join("\n"));
        }
    }
    if !m.all_vars.is_empty() {
        let _ = writeln!(s, "\n[all:vars]");
        for (k, v) in &m.all_vars {
            let _ = writeln!(s, "{k}={}", ini_value(*v));
        }
    }
    s
}

fn yaml_key(name: &str) -> String {
    format!("\"{name}\"")
}

fn write_yaml(m: &Model) -> String {
    let mut s = String::from("all:\n");
    if !m.all_vars.is_empty() {
        s.push_str("  vars:\n");
        for (k, v) in &m.all_vars {
            let _ = writeln!(s, "    {k}: {}", yaml_value(*v));
        }
    }
    let mut vars_written = vec![false; m.hosts.len()];
    let mut host_entry = |h: usize, indent: &str, s: &mut String| {
        if !vars_written[h] && !m.host_vars[h].is_empty() {
            let _ = writeln!(s, "{indent}{}:", yaml_key(&m.hosts[h]));
            for (k, v) in &m.host_vars[h] {
                let _ = writeln!(s, "{indent}  {k}: {}", yaml_value(*v));
            }
        } else {
            let _ = writeln!(s, "{indent}{}:", yaml_key(&m.hosts[h]));
        }
        vars_written[h] = true;
    };
    let ungrouped: Vec<usize> = (0..m.hosts.len())
        .filter(|&h| m.membership[h].is_empty())
        .collect();
    if !ungrouped.is_empty() {
        s.push_str("  hosts:\n");
        for h in ungrouped {
            host_entry(h, "    ", &mut s);
        }
    }
    s.push_str("  children:\n");
    for (g, name) in m.groups.iter().enumerate() {
        let _ = writeln!(s, "    {}:", yaml_key(name));
        if !m.group_vars[g].is_empty() || m.priorities[g].is_some() {
            s.push_str("      vars:\n");
            for (k, v) in &m.group_vars[g] {
                let _ = writeln!(s, "        {k}: {}", yaml_value(*v));
            }
            if let Some(p) = m.priorities[g] {
                let _ = writeln!(s, "        ansible_group_priority: {p}");
            }
        }
        let members: Vec<usize> = (0..m.hosts.len())
            .filter(|&h| m.membership[h].contains(&g))
            .collect();
        let rs: Vec<&String> = m
            .ranges
            .iter()
            .filter(|(rg, _)| *rg == g)
            .map(|(_, r)| r)
            .collect();
        if !members.is_empty() || !rs.is_empty() {
            s.push_str("      hosts:\n");
            for h in members {
                host_entry(h, "        ", &mut s);
            }
            for r in rs {
                let _ = writeln!(s, "        {}:\n          from_range: 1", yaml_key(r));
            }
        }
        let kids: Vec<&str> = m
            .edges
            .iter()
            .filter(|(p, _)| *p == g)
            .map(|(_, c)| m.groups[*c].as_str())
            .collect();
        if !kids.is_empty() {
            s.push_str("      children:\n");
            for k in kids {
                let _ = writeln!(s, "        {}:", yaml_key(k));
            }
        }
    }
    s
}

fn write(path: &Path, text: &str) {
    if let Some(p) = path.parent() {
        std::fs::create_dir_all(p).expect("mkdir");
    }
    std::fs::write(path, text).expect("write");
}

/// group_vars/host_vars files, folders, a second source and a playbook dir.
fn gen_vars_files(rng: &mut Rng, m: &Model, dir: &Path) -> (Vec<String>, Option<String>) {
    let exts = ["", ".yml", ".yaml", ".json"];
    let body = |rng: &mut Rng, json: bool| -> String {
        let vars = gen_vars(rng, 3);
        let dict = if rng.chance(0.4) {
            Some(*rng.pick(&DICTS))
        } else {
            None
        };
        if json {
            let mut parts: Vec<String> = vars
                .iter()
                .map(|(k, v)| format!("\"{k}\": {}", (*v % 50) as i64 - 10))
                .collect();
            if dict.is_some() {
                parts.push("\"d\": {\"j\": 1}".into());
            }
            format!("{{{}}}\n", parts.join(", "))
        } else {
            let mut s = String::new();
            for (k, v) in vars {
                let _ = writeln!(s, "{k}: {}", yaml_value(v));
            }
            if let Some(d) = dict {
                let _ = writeln!(s, "d: {d}");
            }
            s
        }
    };
    let mut names: Vec<String> = m.groups.clone();
    names.push("all".into());
    for base in ["", "pb/"] {
        for name in &names {
            if !rng.chance(if base.is_empty() { 0.4 } else { 0.15 }) {
                continue;
            }
            if rng.chance(0.2) {
                for f in ["a.yml", "b.yaml"] {
                    let text = body(rng, false);
                    write(&dir.join(format!("{base}group_vars/{name}/{f}")), &text);
                }
            } else {
                let ext = *rng.pick(&exts);
                let text = body(rng, ext == ".json");
                write(&dir.join(format!("{base}group_vars/{name}{ext}")), &text);
            }
        }
        for h in &m.hosts {
            if rng.chance(if base.is_empty() { 0.3 } else { 0.1 }) {
                let text = body(rng, false);
                write(&dir.join(format!("{base}host_vars/{h}.yml")), &text);
            }
        }
    }
    let playbook = dir.join("pb").exists().then(|| "pb".to_string());
    let mut extra = Vec::new();
    if rng.chance(0.2) {
        // A second source in another directory adding a host to a group.
        let g = rng.pick(&m.groups).clone();
        write(&dir.join("second/hosts.yml"), &format!("all:\n  children:\n    \"{g}\":\n      hosts:\n        extra1:\n          v0: second\n"));
        write(&dir.join("second/group_vars/all.yml"), &body(rng, false));
        write(
            &dir.join(format!("second/group_vars/{g}.yml")),
            &body(rng, false),
        );
        extra.push("second/hosts.yml".to_string());
    }
    (extra, playbook)
}

fn gen_patterns(rng: &mut Rng, m: &Model) -> Vec<String> {
    let mut names: Vec<String> = m.groups.clone();
    names.extend(m.hosts.iter().cloned());
    names.push("all".into());
    let mut out = vec!["all".to_string()];
    for _ in 0..4 {
        let a = rng.pick(&names).clone();
        let b = rng.pick(&names).clone();
        let p = match rng.below(8) {
            0 => format!("{a}:{b}"),
            1 => format!("{a}:&{b}"),
            2 => format!("{a}:!{b}"),
            3 => format!("{a}[0]"),
            4 => format!("{a}[1:]"),
            5 => format!("{}*", &a[..1]),
            6 => format!("~{}.*", &a[..1]),
            _ => format!("{a},{b}"),
        };
        out.push(p);
    }
    out
}

#[test]
fn random_inventories_match_ansible_as_ini_and_yaml() {
    let Some(python) = support::ansible_python() else {
        support::skip_loudly("inventory property test");
        return;
    };
    let seed: u64 = std::env::var("KUBEMAGIC_PROP_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_2026);
    let n: usize = std::env::var("KUBEMAGIC_PROP_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(150);
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut rng = Rng(seed | 1);
    let mut cases = Vec::new();
    for i in 0..n {
        let m = gen_model(&mut rng);
        for (fmt, file, text) in [
            ("ini", "hosts", write_ini(&m)),
            ("yaml", "hosts.yml", write_yaml(&m)),
        ] {
            let dir = tmp.path().join(format!("case{i:04}_{fmt}"));
            write(&dir.join(file), &text);
            // Same random stream shape for both formats: re-seed per case.
            let mut frng = Rng((seed ^ (i as u64).wrapping_mul(0x9E37_79B9)) | 1);
            let (extra, playbook) = gen_vars_files(&mut frng, &m, &dir);
            let mut sources = vec![dir.join(file)];
            if frng.chance(0.25) {
                // The directory as the source, as kubespray's layout is
                // given (`-i inventory/mycluster/`): walked sorted, with
                // files no plugin reads beside the inventory.
                sources[0] = dir.clone();
                if frng.chance(0.5) {
                    write(
                        &dir.join("notes.txt"),
                        "Just some notes: not an inventory\n",
                    );
                }
                if frng.chance(0.5) {
                    write(
                        &dir.join("patches/kube-apiserver+json.yaml"),
                        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: kube-apiserver\n",
                    );
                }
            }
            sources.extend(extra.iter().map(|e| dir.join(e)));
            cases.push(Case {
                id: format!("case{i:04}_{fmt}"),
                dir: dir.clone(),
                sources,
                playbook_dir: playbook.map(|p| dir.join(p)),
                hosts: None,
                graph: vec!["all".into()],
                graph_vars: i % 5 == 0,
                export: true,
                patterns: gen_patterns(&mut frng, &m),
                hash_merge: m.merge,
                expect_error: None,
                expect_warning: None,
                // Without nesting, Ansible's order is stable: compare it exactly.
                unordered_patterns: !m.edges.is_empty(),
            });
        }
    }
    let oracle = support::run_oracle(&python, &cases);
    support::check_all(&format!("property (seed {seed})"), &cases, &oracle);
}

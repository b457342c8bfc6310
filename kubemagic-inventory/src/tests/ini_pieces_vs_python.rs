//! The three hand-written pieces of the INI parser against the real thing,
//! in ONE Python process (ansible-core 2.19 from the workspace `.venv`):
//! - `pyliteral::literal_eval` against `InventoryModule._parse_value` and
//!   Ansible's `inventory_legacy` JSON encoder;
//! - `ini::shlex_split` against `shlex.split(s, comments=True)`;
//! - `ranges::expand_host_pattern` against `_expand_hostpattern`.
//!
//! Inputs: a few hundred handwritten and generated strings. Skipped with a
//! loud message when the venv is missing (`make test` installs it).

use crate::ini::shlex_split;
use crate::pyliteral::{literal_eval, LiteralError};
use crate::ranges::expand_host_pattern;
use crate::value::Value;
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const ORACLE: &str = r#"
import ast, json, math, sys, warnings
from ansible.plugins.inventory import BaseFileInventoryPlugin
from ansible.plugins.inventory.ini import InventoryModule
from ansible._internal._datatag._tags import Origin
from ansible._internal._json._profiles import _inventory_legacy
import shlex

m = InventoryModule()
m._origin = Origin(path='/x', line_num=1)
NOT = object()

def bad(v):
    # what kubemagic refuses by design (see pyliteral.rs)
    if isinstance(v, bool) or v is None:
        return False
    if isinstance(v, int):
        return not (-2**63 <= v < 2**64)
    if isinstance(v, float):
        return False
    if isinstance(v, complex):
        return False
    if isinstance(v, str):
        return any(0xd800 <= ord(c) <= 0xdfff for c in v)
    if isinstance(v, (set, frozenset)):
        return len(v) > 1 or any(bad(x) for x in v)
    if isinstance(v, (list, tuple)):
        return any(bad(x) for x in v)
    if isinstance(v, dict):
        return any(bad(k) or bad(x) for k, x in v.items())
    return False

def literal(s):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            raw = ast.literal_eval(s)
    except (ValueError, SyntaxError):
        raw = NOT
    except Exception as e:
        return {"k": "error", "why": repr(e)}
    try:
        v = m._parse_value(s)
    except Exception as e:
        return {"k": "error", "why": repr(e)}
    if (raw is not NOT and bad(raw)) or bad(v):
        return {"k": "unsupported"}
    try:
        # where ansible-inventory --list puts a host variable (trust is
        # rendered only there)
        doc = {"_meta": {"hostvars": {"h": {"v": v}}}}
        out = json.dumps(doc, cls=_inventory_legacy.Encoder)
    except Exception as e:
        return {"k": "error", "why": repr(e)}
    # Infinity/NaN as kubemagic holds them (its JSON values are finite).
    nonfinite = lambda c: {"__kubemagic_nonfinite_float": {"Infinity": "inf", "-Infinity": "-inf", "NaN": "nan"}[c]}
    return {"k": "value", "v": json.loads(out, parse_constant=nonfinite)["_meta"]["hostvars"]["h"]["v"]}

def split(s):
    try:
        return {"k": "value", "v": shlex.split(s, comments=True)}
    except ValueError as e:
        return {"k": "error", "why": str(e)}

def expand(p):
    try:
        hosts, port = BaseFileInventoryPlugin._expand_hostpattern(m, p)
        return {"k": "value", "v": [hosts, port]}
    except Exception as e:
        return {"k": "error", "why": repr(e)}

job = json.load(sys.stdin)
json.dump({
    "literal": [literal(s) for s in job["literal"]],
    "shlex": [split(s) for s in job["shlex"]],
    "expand": [expand(s) for s in job["expand"]],
}, sys.stdout)
"#;

fn python() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("KUBEMAGIC_ANSIBLE_PYTHON") {
        return Some(PathBuf::from(p));
    }
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python");
    let ok = p.exists()
        && Command::new(&p)
            .args(["-c", "import ansible.plugins.inventory.ini"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
    ok.then_some(p)
}

/// Tiny deterministic generator (no extra dependency).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.next() % xs.len() as u64) as usize]
    }
}

fn literal_inputs() -> Vec<String> {
    let mut v: Vec<String> = [
        "1",
        "-5",
        "+5",
        "1_000",
        "1__0",
        "1_",
        "0x1f",
        "0X1F",
        "0x_1f",
        "0o17",
        "0b11",
        "0b12",
        "010",
        "00",
        "0_0",
        "0_7",
        "010.5",
        "010e1",
        "010j",
        "07.",
        "1e3",
        "1E+3",
        "1e-3",
        "1e",
        "1e+",
        ".5",
        "1.",
        "1.e5",
        "1.5j",
        "1J",
        "inf",
        "nan",
        "-inf",
        "1e400",
        "-1e400",
        "1e16",
        "1e15",
        "0.0001",
        "0.00001",
        "-0.0",
        "-0",
        "True",
        "False",
        "None",
        "true",
        "yes",
        "no",
        "on",
        "off",
        "~",
        "null",
        "...",
        "[...]",
        "'a'",
        "\"a\"",
        "'''a'''",
        "\"\"\"a\"\"\"",
        "'a' 'b'",
        "'a''b'",
        "'a' \"b\" '''c'''",
        "u'a'",
        "U'a'",
        "r'\\n'",
        "R'\\n'",
        "b'abc'",
        "B'abc'",
        "br'\\x'",
        "rb'\\x'",
        "Rb'a'",
        "bu'a'",
        "ur'a'",
        "f'a'",
        "F'a'",
        "'a' f'b'",
        "'a' b'b'",
        "b'a' b'b'",
        "b'\\xff'",
        "b'\\x41'",
        "b'\\777'",
        "b'\\u0041'",
        "'\\u0041'",
        "'\\U0001F600'",
        "'\\U00110000'",
        "'\\x4'",
        "'\\x41'",
        "'\\101'",
        "'\\777'",
        "'\\0'",
        "'\\d'",
        "'\\\\'",
        "'\\''",
        "'\\\"'",
        "\"\\'\"",
        "'\\a\\b\\f\\n\\r\\t\\v'",
        "'\\ud800'",
        "'\\N{DIGIT ONE}'",
        "'\\N{bogus}'",
        "'\\N'",
        "'\\N{}'",
        "'a",
        "'",
        "\"",
        "''",
        "\"\"",
        "'é'",
        "'日本'",
        "[1, 2]",
        "[1, 2,]",
        "[,]",
        "[1 2]",
        "[]",
        "()",
        "(1)",
        "(1,)",
        "(1, 2)",
        "1, 2",
        "1,",
        ",",
        "{}",
        "{1: 2}",
        "{'a': 1, 'b': [1, (2, 3)]}",
        "{'a': 1,}",
        "{1: 'a', True: 'b'}",
        "{True: 'a', 1: 'b'}",
        "{1.0: 2, 1: 3}",
        "{None: 1}",
        "{False: 0}",
        "{1.5: 2}",
        "{1e16: 1}",
        "{'1': 1, 1: 2}",
        "{1: 1, '1': 2}",
        "{(1, 2): 3}",
        "{b'k': 1}",
        "{1j: 2}",
        "{...: 1}",
        "{[1]: 2}",
        "{[1]: 2, 3: x}",
        "{3: x, [1]: 2}",
        "{{}: 1}",
        "{1}",
        "{1, 1}",
        "{1, True}",
        "{1, 2}",
        "{'a', 'b'}",
        "{[1]}",
        "set()",
        "set( )",
        "set(1)",
        "set",
        "frozenset()",
        "{**{}}",
        "{*()}",
        "[*()]",
        "1+2j",
        "1-2j",
        "-1-2j",
        "-1+2j",
        "1.5+0j",
        "1+-2j",
        "1j+1j",
        "1+1",
        "1+2j+3j",
        "(1+2j)",
        "-(1+2j)",
        "1j",
        "-1j",
        "+1j",
        "0j",
        "-0j",
        "1e400j",
        "1-0j",
        "-(5)",
        "-(-5)",
        "--5",
        "+-5",
        "- 5",
        "-True",
        "+True",
        "-'a'",
        "-[1]",
        "~1",
        "not 1",
        "1 if 1 else 2",
        "1if 1 else 2",
        "1and 2",
        "1 or 2",
        "x",
        "a.b",
        "a[0]",
        "f()",
        "lambda: 1",
        "1 # c",
        "1 #",
        "# c",
        "",
        " ",
        " 1",
        "\t1",
        "  [1]",
        "1 ",
        "[1] # x",
        "'a' # 'b'",
        "[1, # c\n 2]",
        "1\n",
        "1;",
        "1 2",
        "\u{a0}1",
        "1\u{a0}",
        "\0",
        "a\0b",
        "123456789012345678901234567890",
        "-123456789012345678901234567890",
        "9223372036854775807",
        "9223372036854775808",
        "-9223372036854775808",
        "-9223372036854775809",
        "18446744073709551615",
        "18446744073709551616",
        "0xffffffffffffffff",
        "0x10000000000000000",
        "[1, [2, [3, [4]]]]",
        "((((1))))",
        "[(1, 2), {'a': (3,)}]",
        "{'a': {'b': {'c': None}}}",
        "'#not a comment'",
        "\"'q'\"",
        "'\"q\"'",
        "host",
        "host:22",
        "10.0.0.1",
        "::1",
        "/etc/passwd",
        "C:\\x",
        "$HOME",
        "{{ jinja }}",
        "'{{ jinja }}'",
        "1.2.3",
        "1..2",
        "1.__class__",
        "1j.real",
        "0e5",
        "00j",
        "0_7.5",
        "1_0.0_1e1_0",
        "1_0j",
        "0xg",
        "0o8",
        "0b",
        "0x",
        "127.0.0.1",
        "1.2.3.4.5",
        "1...",
        "1....",
        "....",
        ".1.",
        "0",
        "007",
        "123456789012345678",
        "1234567890123456789",
        "_x",
        "True1",
        "_",
        "None_",
        "é",
        "x1.5",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.push(format!("{}{}", "[".repeat(200), "]".repeat(200)));
    v.push(format!("{}{}", "[".repeat(201), "]".repeat(201)));
    v.push("1".repeat(4300));
    v.push("1".repeat(4301));
    let atoms = [
        "1", "-2", "0x1F", "3.5", "1e2", "True", "None", "'s'", "b'b'", "\"d\"", "1j", "2+3j",
        "...", "x", "()", "[]", "{}", "010", "1_0", "'a' 'b'", "r'\\t'", "'\\x41'", "-0.0",
    ];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..250 {
        v.push(gen(&mut rng, &atoms, 0));
    }
    v
}

fn gen(rng: &mut Rng, atoms: &[&str], depth: u32) -> String {
    let n = rng.next() % if depth > 2 { 4 } else { 10 };
    let many = |rng: &mut Rng, open: &str, close: &str, kv: bool| {
        let k = rng.next() % 4;
        let items: Vec<String> = (0..k)
            .map(|_| {
                let a = gen(rng, atoms, depth + 1);
                if kv {
                    format!("{}: {a}", rng.pick(atoms))
                } else {
                    a
                }
            })
            .collect();
        let trailing = if rng.next() % 3 < 1 && k > 0 { "," } else { "" };
        format!("{open}{}{trailing}{close}", items.join(", "))
    };
    let s = match n {
        0..=3 => rng.pick(atoms).to_string(),
        4 | 5 => many(rng, "[", "]", false),
        6 => many(rng, "(", ")", false),
        7 => many(rng, "{", "}", true),
        8 => many(rng, "{", "}", false),
        _ => format!("{}, {}", rng.pick(atoms), rng.pick(atoms)),
    };
    if depth == 0 && rng.next() % 5 < 1 {
        format!("{s} # comment")
    } else {
        s
    }
}

fn shlex_inputs() -> Vec<String> {
    let mut v: Vec<String> = [
        "a b=1",
        "a#b c",
        "a #c",
        "#c",
        "a b='x y' c=\"p q\"",
        "a b=\"x\\$y\\\"z\"",
        "a b='x\\y'",
        "a b\\ c",
        "a ''",
        "a \"\"",
        "a b=''",
        "a\tb",
        "a\rb",
        "a\nb",
        "a x=\"'03#pa33w0rd'\"",
        "a 'b",
        "a \"b",
        "a \\",
        "a b\\",
        "'a'b'c'",
        "a\"b\"c",
        "\\#a",
        "a \\#b",
        "a 'b#c'",
        "a \"b#c\"",
        "a b=\"\\\\\"",
        "a b=\"\\n\"",
        "a b='\\''",
        "é ü=ß",
        "a\u{a0}b",
        "a\u{1f}b",
        "  a  ",
        "a ;b",
        "a b=[1, 2]",
        "a b=\"[1, 2]\"",
        "a b={'k': 'v'}",
        "a b=\"{'k': 'v'}\"",
        "h:22 x=1#c",
        "\"\"",
        "''''",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let parts = ["a", "b", " ", "\t", "'", "\"", "\\", "#", "=", "x y", "é"];
    let mut rng = Rng(0xDEAD_BEEF_1234_5678);
    for _ in 0..150 {
        let n = 1 + rng.next() % 8;
        v.push((0..n).map(|_| rng.pick(&parts)).collect());
    }
    v
}

fn expand_inputs() -> Vec<String> {
    let mut v: Vec<String> = [
        "web1",
        "web1:22",
        "web1.example.com:2222",
        "10.0.0.1",
        "10.0.0.1:22",
        "10.0.0.[1:3]",
        "10.0.0.[1:3]:22",
        "node[01:03]",
        "node[1:3]",
        "node[8:11]",
        "node[001:010:3]",
        "node[0:10:5]",
        "n[a:c]",
        "n[y:B]",
        "n[A:z]",
        "n[ab:c]",
        "n[:2]",
        "n[1:]",
        "n[1]",
        "n[1:2:3:4]",
        "n[01:100]",
        "n[1:2",
        "n1:2]",
        "n]1:2[",
        "n[a:5]",
        "n[1:2]x[a:b]",
        "n[1:2]-[01:02].example.com:99",
        "[::1]",
        "[::1]:22",
        "::1",
        "fe80::1",
        "[fe80::1]:2222",
        "fe80::[1:2]",
        "[fe80::[a:b]]:22",
        "2001:db8::1",
        "::ffff:192.0.2.3",
        "[h:1]:2",
        "user@host",
        "user@host:22",
        "h_:22",
        "_h:22",
        "h-:22",
        "h-1:22",
        "h_1.x_:22",
        "h:0",
        "h:00022",
        "h:99999",
        "h:",
        "h::",
        ":22",
        "é.example:22",
        "h²:22",
        "h\u{93f}:22",
        "x.-y:1",
        "a..b:1",
        "1.2.3.4.5:22",
        "256.1.1.1:22",
        "h[1:3]:",
        "---",
        "h|x",
        "h[1:2]|",
        "n[-2:1]",
        "n[3:1]",
        "n[c:a]",
        "n[1:3:0]",
        "n[1:3:-1]",
        "n[a:c:2]",
        "n[a:c:0]",
        "n[ 1:3]",
        "n[1_0:1_2]",
        "n[+1:3]",
        "n[01:-1]",
        "[a:b]",
        "h[K:z]",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let parts = [
        "h", "1", "0", "[", "]", ":", ".", "-", "_", "a", "z", "2", "f",
    ];
    let mut rng = Rng(0x0123_4567_89AB_CDEF);
    for _ in 0..150 {
        let n = 1 + rng.next() % 10;
        v.push((0..n).map(|_| rng.pick(&parts)).collect());
    }
    v
}

#[test]
fn literal_shlex_and_ranges_match_python() {
    let Some(py) = python() else {
        eprintln!("\n!!! SKIPPED literal_shlex_and_ranges_match_python: no ansible-core venv at .venv (run `make test`)\n");
        return;
    };
    let literal = literal_inputs();
    let shlex = shlex_inputs();
    let expand = expand_inputs();
    let job = json!({"literal": literal, "shlex": shlex, "expand": expand});
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(&py)
        .args(["-c", ORACLE])
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(job.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "oracle failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let res: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut failures = Vec::new();

    for (s, py) in literal.iter().zip(res["literal"].as_array().unwrap()) {
        // Compared as `--list` writes it: non-string keys as JSON keys.
        let mine = literal_eval(s).map(|mut v| {
            crate::value::json_keys(&mut v);
            v
        });
        let ok = match (py["k"].as_str().unwrap(), &mine) {
            ("value", Ok(v)) => *v == py["v"],
            ("value", Err(LiteralError::NotALiteral)) => py["v"] == json!(s),
            // \N{...} is refused by design (no Unicode name table).
            ("value", Err(LiteralError::Unsupported(m))) => m.contains("\\N{"),
            ("unsupported" | "error", Err(LiteralError::Unsupported(_))) => true,
            _ => false,
        };
        if !ok {
            failures.push(format!("literal {s:?}: python {py}, kubemagic {mine:?}"));
        }
    }
    for (s, py) in shlex.iter().zip(res["shlex"].as_array().unwrap()) {
        let mine = shlex_split(s);
        let ok = match (py["k"].as_str().unwrap(), &mine) {
            ("value", Ok(v)) => json!(v) == py["v"],
            ("error", Err(e)) => py["why"] == json!(e),
            _ => false,
        };
        if !ok {
            failures.push(format!("shlex {s:?}: python {py}, kubemagic {mine:?}"));
        }
    }
    for (s, py) in expand.iter().zip(res["expand"].as_array().unwrap()) {
        let mine = expand_host_pattern(s);
        let ok = match (py["k"].as_str().unwrap(), &mine) {
            ("value", Ok((hosts, port))) => {
                let py_port = py["v"][1].as_u64().filter(|&p| p != 0);
                json!(hosts) == py["v"][0] && py_port == port.map(u64::from)
            }
            // Stricter by design: empty expansions (reversed ranges) and
            // ports above 65535 are errors.
            ("value", Err(_)) => {
                py["v"][0].as_array().is_some_and(|a| a.is_empty())
                    || py["v"][1].as_u64().is_some_and(|p| p > 65535)
                    || s.contains(":-")
            }
            ("error", Err(_)) => true,
            _ => false,
        };
        if !ok {
            failures.push(format!("expand {s:?}: python {py}, kubemagic {mine:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} inputs differ from Python:\n{}",
        failures.len(),
        literal.len() + shlex.len() + expand.len(),
        failures.join("\n")
    );
    eprintln!(
        "compared {} literals, {} shlex lines, {} host patterns with Python",
        literal.len(),
        shlex.len(),
        expand.len()
    );
}

/// `resolve::RESERVED_NAMES` is ansible-core's `_RESERVED_NAMES`, and
/// `is_reserved` agrees with `warn_if_reserved` on each (and on `vars`).
#[test]
fn reserved_names_are_ansible_cores() {
    let Some(py) = python() else {
        eprintln!("\n!!! SKIPPED reserved_names_are_ansible_cores: no ansible-core venv at .venv (run `make test`)\n");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(&py)
        .args([
            "-c",
            "import json; from ansible.vars.reserved import _RESERVED_NAMES as R; print(json.dumps(sorted(R)))",
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let theirs: Vec<String> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(theirs, crate::resolve::RESERVED_NAMES.to_vec());
    for name in &theirs {
        assert_eq!(crate::resolve::is_reserved(name), name != "vars", "{name}");
    }
    assert!(!crate::resolve::is_reserved("ansible_port"));
}

//! `yaml::load_yaml` against the real loader, in ONE Python process:
//! ansible-core 2.19's `AnsibleLoader` (libyaml + PyYAML's YAML 1.1
//! resolver + `AnsibleConstructor`) followed by ansible-inventory's
//! `inventory_legacy` JSON encoder, on
//! - every row of the two unit-test tables (`src/yaml/typing_table.json`,
//!   `src/yaml/document_table.json`), so the tables stay true to Ansible;
//! - a few thousand generated scalars (`v: <scalar>`) built from the
//!   characters where YAML 1.1 typing is tricky (digits, `_`, `.`, `:`,
//!   signs, `e`, `0x`, `0b`, dates, bool and null words).
//!
//! What kubemagic refuses by design (integers beyond 64 bits, infinities
//! and NaN, date keys, `!!binary`) counts as an error on the Python side.
//! Skipped with a loud message when the venv is missing (`make test`
//! installs it).

use kubemagic_inventory::load_yaml;
use kubemagic_inventory::Value;
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const ORACLE: &str = r#"
import json, math, sys
import yaml
from ansible.parsing.yaml.loader import AnsibleLoader
from ansible._internal._datatag._tags import TrustedAsTemplate
from ansible._internal._json._profiles import _inventory_legacy

def big(v):
    if isinstance(v, bool) or v is None:
        return False
    if isinstance(v, int):
        return not (-2**63 <= v < 2**64)
    if isinstance(v, (list, tuple)):
        return any(big(x) for x in v)
    if isinstance(v, dict):
        return any(big(k) or big(x) for k, x in v.items())
    return False

def nonfinite(v):
    # `Infinity`/`NaN` as kubemagic's Value holds them (value::NONFINITE_KEY)
    if isinstance(v, float) and not math.isfinite(v):
        t = "nan" if v != v else ("inf" if v > 0 else "-inf")
        return {"__kubemagic_nonfinite_float": t}
    if isinstance(v, list):
        return [nonfinite(x) for x in v]
    if isinstance(v, dict):
        return {k: nonfinite(x) for k, x in v.items()}
    return v

out = []
for doc in json.load(sys.stdin):
    try:
        data = yaml.load(TrustedAsTemplate().tag(doc), Loader=AnsibleLoader)
        if big(data):
            raise ValueError("refused by design")
        text = json.dumps({"_meta": {"hostvars": {"h": {"v": data}}}}, cls=_inventory_legacy.Encoder)
        out.append(nonfinite(json.loads(text)["_meta"]["hostvars"]["h"]["v"]))
    except Exception:
        out.append("!error")
json.dump(out, sys.stdout)
"#;

fn python() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("KUBEMAGIC_ANSIBLE_PYTHON") {
        return Some(PathBuf::from(p));
    }
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python");
    let ok = p.exists()
        && Command::new(&p)
            .args(["-c", "import ansible.parsing.yaml.loader"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
    ok.then_some(p)
}

/// Documents where libyaml and saphyr knowingly disagree (see the module
/// doc of `yaml.rs`); the unit test pins them.
const KNOWN_SYNTAX_DEVIATIONS: &[&str] = &[
    "a: b\u{85}c\n",
    "a: b\u{2028}c\n",
    "key: value\n: v\n",
    "a: 'x\n\ty'\n",
];

/// Deterministic scalars from tricky pieces (no external RNG needed).
fn generated_scalars(n: usize) -> Vec<String> {
    const ATOMS: &[&str] = &[
        "0",
        "1",
        "2",
        "5",
        "7",
        "8",
        "9",
        "_",
        ".",
        ":",
        "-",
        "+",
        "e",
        "E",
        "x",
        "b",
        "0x",
        "0b",
        "0o",
        "a",
        "F",
        "Z",
        "T",
        " ",
        "-0",
        "1_0",
        ".5",
        "6",
        "12",
        "2001-12-14",
        "2024-1-2",
        "21:59:43",
        "59",
        "60",
        ".inf",
        ".nan",
        "yes",
        "No",
        "on",
        "OFF",
        "null",
        "~",
        "<<",
        "=",
        "y",
        "n",
        "True",
    ];
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let len = 1 + (next() % 6) as usize;
        let s: String = (0..len)
            .map(|_| ATOMS[(next() % ATOMS.len() as u64) as usize])
            .collect();
        let s = s.trim().to_string();
        // Keep to plain scalars that stay one value after `v: `.
        if s.is_empty()
            || s.starts_with(['-', ':', '?'])
                && !s[1..].starts_with(|c: char| c.is_ascii_digit() || c == '.')
        {
            continue;
        }
        if s.contains(": ") || s.ends_with(':') || s.contains(" #") {
            continue;
        }
        out.push(s);
    }
    out
}

fn table_docs() -> Vec<String> {
    let typing: Vec<(String, Value)> =
        serde_json::from_str(include_str!("../src/yaml/typing_table.json")).unwrap();
    let documents: Vec<(String, Value)> =
        serde_json::from_str(include_str!("../src/yaml/document_table.json")).unwrap();
    typing
        .into_iter()
        .map(|(t, _)| format!("v: {t}"))
        .chain(
            documents
                .into_iter()
                .map(|(d, _)| d)
                .filter(|d| !KNOWN_SYNTAX_DEVIATIONS.contains(&d.as_str())),
        )
        .collect()
}

#[test]
fn load_yaml_matches_ansible_loader_on_tables_and_generated_scalars() {
    let Some(py) = python() else {
        eprintln!("\n!!! SKIPPED load_yaml_matches_ansible_loader: no ansible-core venv at .venv (run `make test`)\n");
        return;
    };
    let table = table_docs();
    let mut docs = table;
    docs.extend(
        generated_scalars(3000)
            .into_iter()
            .map(|s| format!("v: {s}")),
    );

    let mut child = Command::new(&py)
        .args(["-c", ORACLE])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start python");
    let input = serde_json::to_vec(&docs).unwrap();
    child.stdin.take().unwrap().write_all(&input).unwrap();
    let output = child.wait_with_output().expect("python output");
    let expected: Vec<Value> = serde_json::from_slice(&output.stdout).expect("oracle JSON");
    assert_eq!(expected.len(), docs.len());

    let path = PathBuf::from("v.yml");
    let mut failures = Vec::new();
    for (doc, want) in docs.iter().zip(&expected) {
        let got = match load_yaml(doc, &path) {
            Ok(Some(v)) => v,
            Ok(None) => Value::Null,
            Err(_) => json!("!error"),
        };
        // Same value and same JSON type (1 vs 1.0 matters).
        let same =
            &got == want && serde_json::to_string(&got).ok() == serde_json::to_string(want).ok();
        if !same {
            failures.push(format!("{doc:?}: kubemagic {got}, ansible {want}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} documents differ:\n{}",
        failures.len(),
        docs.len(),
        failures.join("\n")
    );
}

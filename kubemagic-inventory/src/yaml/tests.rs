use super::*;
use crate::value::{strip_unsafe, value_str};
use proptest::prelude::*;
use serde_json::json;
use std::path::PathBuf;

fn path() -> PathBuf {
    PathBuf::from("vars.yml")
}

fn load(text: &str) -> Result<Option<Value>> {
    load_yaml(text, &path())
}

fn v(text: &str) -> Value {
    match load(text) {
        Ok(Some(v)) => v,
        other => panic!("{text:?} gave {other:?}"),
    }
}

/// `typing_table.json` holds `[scalar text, expected value or "!error"]`
/// rows; each is loaded as the document `v: <text>`. The same table was
/// checked against the real `AnsibleLoader` + ansible-inventory's JSON
/// encoder (see the module doc of the test-table verifier in the report):
/// 0 mismatches over all rows.
#[test]
fn scalar_typing_matches_the_pyyaml_table() {
    let rows: Vec<(String, Value)> =
        serde_json::from_str(include_str!("typing_table.json")).unwrap();
    assert!(rows.len() >= 100);
    let mut failures = Vec::new();
    for (text, expected) in &rows {
        let got = match load(&format!("v: {text}")) {
            Ok(Some(Value::Object(m))) => {
                let mut v = m.get("v").cloned().unwrap_or(Value::Null);
                crate::value::json_keys(&mut v);
                v
            }
            Ok(other) => json!(format!("unexpected document {other:?}")),
            Err(_) => json!("!error"),
        };
        if &got != expected {
            failures.push(format!("{text:?}: got {got}, want {expected}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn y_and_n_are_strings_not_booleans() {
    assert_eq!(v("a: y\nb: n"), json!({"a": "y", "b": "n"}));
}

#[test]
fn octal_0755_is_an_int_but_0o755_is_a_string() {
    assert_eq!(v("a: 0755\nb: 0o755"), json!({"a": 493, "b": "0o755"}));
}

#[test]
fn exponent_without_dot_is_a_string() {
    assert_eq!(v("a: 1e3\nb: 1.0e+3"), json!({"a": "1e3", "b": 1000.0}));
}

#[test]
fn merge_key_single_mapping_is_overridden_by_explicit_keys() {
    let doc = "a: &a {x: 1, yy: 1}\nc:\n  q: 0\n  <<: *a\n  x: 9\n";
    let got = v(doc);
    assert_eq!(got["c"], json!({"x": 9, "yy": 1, "q": 0}));
    let keys: Vec<&String> = got["c"].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["x", "yy", "q"]);
}

#[test]
fn merge_key_list_dedups_one_char_keys_only_like_pyyaml_604() {
    // PyYAML 6.0.4 de-duplicates merged keys by object identity: `x` is a
    // cached one-character string (first merged value wins), `yy` is not
    // (the last merged value wins).
    let doc = "a: &a {x: 1, yy: 1}\nb: &b {x: 2, yy: 2, z: 2}\nc: {<<: [*a, *b]}\n";
    assert_eq!(v(doc)["c"], json!({"x": 1, "yy": 2, "z": 2}));
    let doc = "c:\n  <<: {x: 1}\n  <<: {x: 2}\nd:\n  <<: {xx: 1}\n  <<: {xx: 2}\n";
    assert_eq!(v(doc), json!({"c": {"x": 1}, "d": {"xx": 2}}));
}

#[test]
fn merge_of_a_scalar_is_an_error() {
    assert!(load("a:\n  <<: 1\n").is_err());
    assert!(load("a:\n  <<: [1]\n").is_err());
}

#[test]
fn anchors_and_aliases_share_values() {
    assert_eq!(
        v("a: &x [1, {b: 2}]\nc: *x\n"),
        json!({"a": [1, {"b": 2}], "c": [1, {"b": 2}]})
    );
}

#[test]
fn duplicate_key_last_value_wins_at_first_position() {
    let got = v("a: 1\nb: 2\na: 3\n");
    assert_eq!(got, json!({"a": 3, "b": 2}));
    assert_eq!(got.as_object().unwrap().keys().next().unwrap(), "a");
}

#[test]
fn empty_documents_are_none() {
    assert_eq!(load("").unwrap(), None);
    assert_eq!(load("# only a comment\n").unwrap(), None);
    assert_eq!(load("---\n").unwrap(), None);
    assert_eq!(load("~\n").unwrap(), None);
}

#[test]
fn second_document_is_an_error() {
    let e = load("a: 1\n---\nb: 2\n").unwrap_err();
    assert_eq!(e.line(), Some(2));
}

#[test]
fn syntax_error_has_file_and_line() {
    let e = load("a: 1\nb: [1, 2\nc: 3\n").unwrap_err();
    assert_eq!(e.file(), Some(path().as_path()));
    assert!(e.line().is_some());
    assert!(e.to_string().starts_with("vars.yml:"), "{e}");
}

#[test]
fn json_is_tried_first() {
    // As JSON, 1e3 is a float; as YAML 1.1 it would be a string.
    assert_eq!(
        v("{\"a\": 1e3, \"b\": \"x\"}"),
        json!({"a": 1000.0, "b": "x"})
    );
    assert_eq!(
        v("{\"a\": {\"__ansible_unsafe\": \"{{ x }}\", \"dropped\": 1}}"),
        json!({"a": {"__ansible_unsafe": "{{ x }}"}})
    );
}

#[test]
fn json_keys_keep_their_lines() {
    let vars = load_vars_file("{\n  \"a\": 1,\n  \"b\": [1, 2]\n}\n", &path())
        .unwrap()
        .0
        .unwrap();
    assert_eq!(vars["b"].origin.as_ref().unwrap().line, Some(3));
}

#[test]
fn vars_file_keeps_key_lines() {
    let vars = load_vars_file("---\n# c\na: 1\n\nb:\n  c: yes\n", &path())
        .unwrap()
        .0
        .unwrap();
    assert_eq!(
        vars["a"].origin,
        Some(Origin::new(path(), Some(3)).with_col(1))
    );
    assert_eq!(
        vars["b"].origin,
        Some(Origin::new(path(), Some(5)).with_col(1))
    );
    assert_eq!(vars["b"].value, json!({"c": true}));
}

#[test]
fn duplicate_var_points_at_the_winning_line_and_warns_there() {
    let (vars, warnings) = load_vars_file("a: 1\nb: 2\na: 3\n", &path()).unwrap();
    let vars = vars.unwrap();
    assert_eq!(vars["a"].origin.as_ref().unwrap().line, Some(3));
    assert_eq!(vars["a"].value, json!(3));
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0].location(), format!("{}:3:1", path().display()));
    assert!(warnings[0]
        .message
        .starts_with("Found duplicate mapping key 'a'."));
}

#[test]
fn falsy_vars_files_are_ignored_like_ansible() {
    for text in ["", "---\n", "{}", "[]", "0", "false", "''"] {
        assert_eq!(load_vars_file(text, &path()).unwrap().0, None, "{text:?}");
    }
}

#[test]
fn non_mapping_vars_file_is_an_error() {
    let e = load_vars_file("\n- a\n- b\n", &path()).unwrap_err();
    assert_eq!(e.line(), Some(2));
    assert!(e.to_string().contains("Invalid vars file"), "{e}");
    assert!(load_vars_file("just a string", &path()).is_err());
}

#[test]
fn vault_encrypted_vars_file_is_an_error() {
    assert!(load_vars_file("$ANSIBLE_VAULT;1.1;AES256\n6162\n", &path()).is_err());
}

#[test]
fn unsafe_is_wrapped_for_list_and_bare_for_host() {
    let got = v("a: !unsafe '{{ x }}'\nb: [!unsafe '{{ y }}']\n");
    assert_eq!(got["a"], json!({"__ansible_unsafe": "{{ x }}"}));
    assert_eq!(
        strip_unsafe(&got),
        json!({"a": "{{ x }}", "b": ["{{ y }}"]})
    );
    assert_eq!(value_str(&got["a"]), Some("{{ x }}"));
}

#[test]
fn big_integer_is_an_error_not_a_wrong_number() {
    assert!(load("a: 123456789012345678901234567890\n").is_err());
}

#[test]
fn python_float_repr_matches_python() {
    for (f, s) in [
        (1.0, "1.0"),
        (0.1, "0.1"),
        (1e20, "1e+20"),
        (1e16, "1e+16"),
        (1e15, "1000000000000000.0"),
        (0.0001, "0.0001"),
        (0.00001, "1e-05"),
        (-1.5e-7, "-1.5e-07"),
        (123.456, "123.456"),
        (1.5e300, "1.5e+300"),
    ] {
        assert_eq!(crate::pyrepr::json_float_repr(f), s);
    }
}

#[test]
fn billion_laughs_is_refused_not_exhausting_memory() {
    let mut doc = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let p = i - 1;
        doc.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    assert!(load(&doc).is_err());
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let doc = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    assert!(load(&doc).is_err());
    let doc = format!("{}1{}", "{a: ".repeat(2000), "}".repeat(2000));
    assert!(load(&doc).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]
    #[test]
    fn arbitrary_text_never_panics(s in "\\PC{0,200}") {
        let _ = load_yaml(&s, &path());
        let _ = load_vars_file(&s, &path());
    }

    #[test]
    fn yaml_looking_text_never_panics(s in "[ a-z0-9:\\-\\[\\]{},&*!<>|'\"#~.\\n]{0,200}") {
        let _ = load_yaml(&s, &path());
        let mut inv = crate::data::InventoryData::new();
        let _ = crate::yaml_inventory::parse_yaml_inventory(&s, &path(), &mut inv);
    }
}

/// Whole documents (syntax corner cases), expected values generated by
/// the real `AnsibleLoader` (libyaml) + ansible-inventory's JSON encoder.
/// Rows listed in `KNOWN_SYNTAX_DEVIATIONS` are libyaml-vs-saphyr parser
/// differences, documented in the module doc.
#[test]
fn documents_match_the_libyaml_table() {
    let rows: Vec<(String, Value)> =
        serde_json::from_str(include_str!("document_table.json")).unwrap();
    let mut failures = Vec::new();
    for (text, expected) in &rows {
        let got = match load(text) {
            Ok(Some(v)) => v,
            Ok(None) => Value::Null,
            Err(_) => json!("!error"),
        };
        let known = KNOWN_SYNTAX_DEVIATIONS.contains(&text.as_str());
        if (&got != expected) != known {
            failures.push(format!(
                "{text:?}: got {got}, want {expected} (known deviation: {known})"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

const KNOWN_SYNTAX_DEVIATIONS: &[&str] = &[
    // YAML 1.1 line breaks (NEL, LS): libyaml breaks the line, saphyr does not.
    "a: b\u{85}c\n",
    "a: b\u{2028}c\n",
    // An empty implicit key: libyaml refuses it, saphyr reads a null key.
    "key: value\n: v\n",
    // saphyr refuses a tab-indented continuation line of a quoted scalar.
    "a: 'x\n\ty'\n",
];

#[test]
fn duplicate_keys_are_reported_with_both_lines() {
    let (_, dups) =
        load_nodes_with_duplicates("a: 1\nb:\n  c: 1\n  c: 2\na: 3\n", &path()).unwrap();
    assert_eq!(
        dups,
        vec![
            DuplicateKey {
                key: "'c'".into(),
                first_line: 3,
                line: 4,
                col: 3,
            },
            DuplicateKey {
                key: "'a'".into(),
                first_line: 1,
                line: 5,
                col: 1,
            },
        ]
    );
}

#[test]
fn large_mapping_keeps_python_dict_semantics() {
    let mut doc: String = (0..30).map(|i| format!("k{i}: {i}\n")).collect();
    doc.push_str("1: one\nk3: again\ntrue: yes\n1.0: float\n");
    let (node, dups) = load_nodes_with_duplicates(&doc, &path()).unwrap();
    let v = node.unwrap().into_value(&path()).unwrap();
    let m = v.as_object().unwrap();
    assert_eq!(m.len(), 31);
    assert_eq!(m["k3"], json!("again"));
    assert_eq!(m["\u{0}1"], json!("float"));
    assert_eq!(m.keys().nth(3).unwrap(), "k3");
    assert_eq!(dups.len(), 3);
}

/// Issue 15 bug 1: flow collections closed at the key's indentation (or
/// column 0) after a quoted scalar, and a flow mapping continued on a more
/// indented line, are valid YAML that PyYAML reads (kolla-ansible's
/// group_vars have the first shape); saphyr-parser 0.3.4 refused them.
#[test]
fn flow_collections_closed_at_the_key_indentation_load_as_pyyaml_does() {
    assert_eq!(v("m: {\n  \"a\": \"b\",\n}\n"), json!({"m": {"a": "b"}}));
    assert_eq!(v("m: {\n  'a': 'b'\n}\n"), json!({"m": {"a": "b"}}));
    assert_eq!(v("m: [\n  \"a\"\n]\n"), json!({"m": ["a"]}));
    assert_eq!(
        v("all:\n  hosts:\n    h1:\n      m: [\n        \"a\"\n      ]\n"),
        json!({"all": {"hosts": {"h1": {"m": ["a"]}}}})
    );
    assert_eq!(v("m: {a: 1,\n    b: 2}\n"), json!({"m": {"a": 1, "b": 2}}));
    assert_eq!(
        v("x:\n  m: {\n    \"a\": 1\n  }\n"),
        json!({"x": {"m": {"a": 1}}})
    );
}

/// Issue 15 bug 3: `.inf`/`.nan` load (Ansible prints `Infinity`/`NaN` in
/// JSON and `inf`/`nan` in `--graph --vars`) instead of refusing the file.
#[test]
fn infinity_and_nan_load_and_print_as_ansible_prints_them() {
    let got = v("a: .inf\nb: -.Inf\nc: .nan\nd: [.inf]\n");
    assert_eq!(
        crate::export::to_python_json(&got),
        "{\n    \"a\": Infinity,\n    \"b\": -Infinity,\n    \"c\": NaN,\n    \"d\": [\n        Infinity\n    ]\n}\n"
    );
    assert_eq!(
        crate::pyrepr::py_repr(&got),
        "{'a': inf, 'b': -inf, 'c': nan, 'd': [inf]}"
    );
}

/// YAML syntax errors name the column too (`FILE:LINE:COL`), as Ansible
/// 2.19 does, so an editor jumps to the character.
#[test]
fn syntax_error_has_file_line_and_column() {
    let e = load("a: 1\nb: x: y\n").unwrap_err();
    assert_eq!((e.line(), e.col().is_some()), (Some(2), true), "{e}");
    let loc = format!("vars.yml:2:{}: ", e.col().unwrap());
    assert!(e.to_string().starts_with(&loc), "{e}");
}

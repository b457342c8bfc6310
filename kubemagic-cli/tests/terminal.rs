//! Issue 27, the operator's terminal: what users of kubectl, etcdctl and
//! ansible-lint expect of a command line, each behaviour proved on the
//! bundled sites.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn km(args: &[&str]) -> Output {
    km_in(&root(), args)
}

fn km_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kubemagic"))
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .args(args)
        .output()
        .unwrap()
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .unwrap()
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const HOSTS: &str = "examples/utgb/custom/hosts";
const KS: &str = "examples/utgb/kubespray/inventory/utgb/hosts.yml";

/// Every inventory command: `-o yaml` is the `-o json` document in YAML
/// (for the exports, the YAML of Ansible's JSON document).
#[test]
fn yaml_output_is_honoured_by_every_inventory_command() {
    let cases: Vec<Vec<&str>> = vec![
        vec!["inventory", "list", "-i", HOSTS],
        vec!["inventory", "list", "--export", "-i", KS],
        vec!["inventory", "host", "-i", HOSTS, "lb1.utgb.example"],
        vec!["inventory", "graph", "--vars", "-i", HOSTS],
        vec!["inventory", "hosts", "-i", HOSTS, "lb:!lb2"],
    ];
    for args in cases {
        let j = km(&[&["-o", "json"][..], &args].concat());
        let y = km(&[&["-o", "yaml"][..], &args].concat());
        assert_eq!(y.status.code(), Some(0), "{args:?}: {}", err(&y));
        assert!(
            !out(&y).trim_start().starts_with('{'),
            "{args:?} printed JSON for -o yaml:\n{}",
            out(&y)
        );
        let from_json: serde_json::Value = serde_json::from_slice(&j.stdout).unwrap();
        let from_yaml: serde_json::Value = serde_yaml_ng::from_slice(&y.stdout).unwrap();
        assert_eq!(from_json, from_yaml, "{args:?}");
    }
}

/// `ansible 'lb:!lb2' --list-hosts` warns "[WARNING]: Could not match
/// supplied host pattern, ignoring: lb2"; so does kubemagic, on stderr,
/// with stdout still the host list.
#[test]
fn unmatched_pattern_part_warns_as_ansible_does() {
    let o = km(&["inventory", "hosts", "-i", HOSTS, "lb:!lb2"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(out(&o), "lb1.utgb.example\nlb2.utgb.example\n");
    assert!(
        err(&o).contains("Could not match supplied host pattern, ignoring: lb2"),
        "{}",
        err(&o)
    );
    // A part that matches (a group, a host) warns about nothing.
    let o = km(&["inventory", "hosts", "-i", HOSTS, "lb:!lb2.utgb.example"]);
    assert_eq!(out(&o), "lb1.utgb.example\n");
    assert_eq!(err(&o), "");
}

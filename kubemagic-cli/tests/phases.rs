//! `kubemagic plan`, `run`, `init` as a user types them: the real binary, the
//! real ansible-playbook on localhost, the real git.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn ansible_bin_dir() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("KUBEMAGIC_ANSIBLE_PLAYBOOK").filter(|p| !p.is_empty()) {
        return PathBuf::from(p).parent().map(Path::to_path_buf);
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin");
    venv.join("ansible-playbook").exists().then_some(venv)
}

fn km(args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kubemagic"));
    cmd.args(args);
    // ansible-playbook from PATH, as the Makefile sets it (.venv/bin first).
    if let Some(dir) = ansible_bin_dir() {
        let path = std::env::var_os("PATH").unwrap_or_default();
        let mut paths = vec![dir];
        paths.extend(std::env::split_paths(&path));
        cmd.env("PATH", std::env::join_paths(paths).unwrap());
    }
    cmd.env_remove("KUBEMAGIC_ANSIBLE_PLAYBOOK");
    cmd.output().unwrap()
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

const INI: &str = "[all]\nlocalhost ansible_connection=local ansible_python_interpreter=\"{{ ansible_playbook_python }}\"\n";

fn marker(phase: &str) -> String {
    format!(
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - ansible.builtin.shell: \
         test ! -e ../fail-{phase} && echo {phase} >> ../order.log\n      args:\n        chdir: \"{{{{ playbook_dir }}}}\"\n"
    )
}

/// A kubespray site without Ceph: prep-hosts, deploy-kube, deploy-post.
fn site(dir: &Path) {
    write(
        &dir.join("kubemagic.yml"),
        r#"{"phases": [{"name": "deploy-kube", "steps": [{"cwd": "kubespray", "inventory": ["inventory/t/hosts.yml"], "playbook": "cluster.yml"}]}]}"#,
    );
    write(&dir.join("custom/hosts"), INI);
    write(&dir.join("custom/prep-hosts.yml"), &marker("prep-hosts"));
    write(&dir.join("custom/deploy-post.yml"), &marker("deploy-post"));
    write(&dir.join("kubespray/inventory/t/hosts.yml"), KUBESPRAY_INI);
    write(&dir.join("kubespray/cluster.yml"), &marker("deploy-kube"));
}

/// A kubespray inventory `kubemagic check` accepts: localhost in every role.
const KUBESPRAY_INI: &str = "[kube_control_plane]\nlocalhost ansible_connection=local ansible_python_interpreter=\"{{ ansible_playbook_python }}\"\n[etcd]\nlocalhost\n[kube_node]\nlocalhost\n[k8s_cluster:children]\nkube_control_plane\nkube_node\n";

fn order(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("order.log")).unwrap_or_default()
}

#[test]
fn plan_json_lists_phases_in_execution_order_with_reasons() {
    let d = tempfile::tempdir().unwrap();
    site(d.path());
    let o = km(&["--output", "json", "plan", d.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    let v = json(&o);
    let names: Vec<_> = v["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["prep-hosts", "deploy-kube", "deploy-post"]);
    assert_eq!(v["phases"][1]["steps"][0]["cwd"], "kubespray");
    assert_eq!(
        v["phases"][1]["steps"][0]["argv"],
        serde_json::json!([
            "ansible-playbook",
            "-i",
            "inventory/t/hosts.yml",
            "cluster.yml"
        ])
    );
    assert_eq!(
        v["phases"][0]["reason"],
        "site flavor is kubespray; custom/hosts exists"
    );
    let skipped: Vec<_> = v["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert!(skipped.contains(&"deploy-ceph") && skipped.contains(&"init"));
}

#[test]
fn plan_of_an_unknown_phase_is_a_usage_error() {
    let d = tempfile::tempdir().unwrap();
    site(d.path());
    let o = km(&["plan", d.path().to_str().unwrap(), "deploy-k8s"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown phase \"deploy-k8s\""));
}

#[test]
fn plan_names_a_cycle_in_kubemagic_yml() {
    let d = tempfile::tempdir().unwrap();
    site(d.path());
    write(
        &d.path().join("kubemagic.yml"),
        r#"{"phases": [{"name": "prep-hosts", "requires": ["deploy-post"]}]}"#,
    );
    let o = km(&["plan", d.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("phase cycle: prep-hosts -> deploy-post -> deploy-kube -> prep-hosts"),
        "{err}"
    );
}

#[test]
fn run_fails_with_exit_1_then_resumes_and_dry_run_runs_nothing() {
    let d = tempfile::tempdir().unwrap();
    let s = d.path().to_str().unwrap();
    site(d.path());

    let o = km(&["--output", "json", "run", s, "--dry-run"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(json(&o)["phases"][0]["status"], "would-run");
    assert_eq!(order(d.path()), "");

    write(&d.path().join("fail-deploy-kube"), "");
    let o = km(&["run", s]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("==> phase 1/3: prep-hosts"), "{out}");
    assert!(out.contains("PLAY RECAP"), "ansible output streamed: {out}");
    assert_eq!(order(d.path()), "prep-hosts\n");

    std::fs::remove_file(d.path().join("fail-deploy-kube")).unwrap();
    let o = km(&["--output", "json", "run", s]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v = json(&o);
    assert_eq!(v["outcome"], "completed");
    assert_eq!(v["phases"][0]["status"], "up-to-date");
    assert_eq!(v["phases"][1]["status"], "ran");
    assert_eq!(order(d.path()), "prep-hosts\ndeploy-kube\ndeploy-post\n");
    let journal: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.path().join(".kubemagic/journal.json")).unwrap())
            .unwrap();
    assert_eq!(journal["entries"].as_array().unwrap().len(), 4);
}

#[test]
fn run_refuses_while_another_run_holds_the_lock() {
    let d = tempfile::tempdir().unwrap();
    site(d.path());
    write(
        &d.path().join(".kubemagic/lock"),
        r#"{"pid": 1, "host": "ops-laptop.invalid", "started": "2026-11-24T20:00:00Z"}"#,
    );
    let o = km(&["run", d.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("pid 1 on ops-laptop.invalid since 2026-11-24T20:00:00Z"),
        "{err}"
    );
    assert_eq!(order(d.path()), "");
}

fn git(dir: &Path, args: &[&str]) -> String {
    let o = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
        .args(args)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

#[test]
fn init_checks_out_each_upstream_at_its_pinned_tag() {
    let d = tempfile::tempdir().unwrap();
    let up = d.path().join("kubespray.git");
    std::fs::create_dir_all(&up).unwrap();
    git(&up, &["init", "-q"]);
    write(&up.join("cluster.yml"), "[]\n");
    git(&up, &["add", "."]);
    git(&up, &["commit", "-q", "-m", "one"]);
    git(&up, &["tag", "v2.13.2"]);
    let commit = git(&up, &["rev-parse", "HEAD"]);
    let site = d.path().join("site");
    write(
        &site.join("kubemagic.yml"),
        &format!(
            r#"{{"upstreams": {{"kubespray": {{"url": "{}", "ref": "v2.13.2"}}}}}}"#,
            up.display()
        ),
    );
    let o = km(&["--output", "json", "init", site.to_str().unwrap()]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v = json(&o);
    assert_eq!(v["upstreams"][0]["commit"], commit.as_str());
    assert_eq!(v["upstreams"][0]["action"], "cloned");
    assert!(site.join("kubespray/cluster.yml").exists());
    let o = km(&["init", site.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stdout).contains("kubespray: already at v2.13.2"));
}

#[test]
fn ctrl_c_stops_the_playbook_and_the_journal_records_it() {
    let d = tempfile::tempdir().unwrap();
    write(
        &d.path().join("kubemagic.yml"),
        r#"{"phases": [{"name": "slow", "steps": [{"cwd": "custom", "inventory": ["hosts"], "playbook": "slow.yml"}]}]}"#,
    );
    write(&d.path().join("custom/hosts"), INI);
    write(
        &d.path().join("custom/slow.yml"),
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - ansible.builtin.command: sleep 60\n",
    );
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kubemagic"));
    cmd.args(["run", d.path().to_str().unwrap(), "slow"]);
    if let Some(dir) = ansible_bin_dir() {
        let path = std::env::var_os("PATH").unwrap_or_default();
        let mut paths = vec![dir];
        paths.extend(std::env::split_paths(&path));
        cmd.env("PATH", std::env::join_paths(paths).unwrap());
    }
    let mut child = cmd
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the step is recorded as running, then give ansible a moment.
    let journal = d.path().join(".kubemagic/journal.json");
    let t0 = std::time::Instant::now();
    while !journal.exists() && t0.elapsed() < std::time::Duration::from_secs(20) {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    std::thread::sleep(std::time::Duration::from_secs(3));
    let ok = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(1));
    assert!(
        t0.elapsed() < std::time::Duration::from_secs(40),
        "stopped before sleep 60 ended"
    );
    let j: serde_json::Value = serde_json::from_slice(&std::fs::read(&journal).unwrap()).unwrap();
    assert_eq!(j["entries"][0]["outcome"], "interrupted");
    assert!(!d.path().join(".kubemagic/lock").exists(), "lock released");
}

#[test]
fn a_killed_run_leaves_a_readable_journal_and_a_stale_lock_the_next_run_takes_over() {
    let d = tempfile::tempdir().unwrap();
    write(
        &d.path().join("kubemagic.yml"),
        r#"{"phases": [{"name": "slow", "steps": [{"cwd": "custom", "inventory": ["hosts"], "playbook": "slow.yml"}]}]}"#,
    );
    write(&d.path().join("custom/hosts"), INI);
    write(
        &d.path().join("custom/slow.yml"),
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - ansible.builtin.command: sleep 3\n",
    );
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kubemagic"));
    cmd.args(["run", d.path().to_str().unwrap(), "slow"]);
    if let Some(dir) = ansible_bin_dir() {
        let path = std::env::var_os("PATH").unwrap_or_default();
        let mut paths = vec![dir];
        paths.extend(std::env::split_paths(&path));
        cmd.env("PATH", std::env::join_paths(paths).unwrap());
    }
    let mut child = cmd
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let journal = d.path().join(".kubemagic/journal.json");
    let t0 = std::time::Instant::now();
    while !journal.exists() && t0.elapsed() < std::time::Duration::from_secs(20) {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.kill().unwrap(); // SIGKILL: no chance to clean up
    child.wait().unwrap();
    let j: serde_json::Value = serde_json::from_slice(&std::fs::read(&journal).unwrap()).unwrap();
    assert_eq!(j["entries"][0]["outcome"], "running");
    assert!(
        d.path().join(".kubemagic/lock").exists(),
        "the killed run's lock is left behind"
    );

    write(&d.path().join("custom/slow.yml"), &marker("slow"));
    let o = km(&[
        "--output",
        "json",
        "run",
        d.path().to_str().unwrap(),
        "slow",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v = json(&o);
    assert_eq!(
        v["phases"][0]["steps"][0]["reason"]
            .as_str()
            .unwrap()
            .split(':')
            .next(),
        Some("resuming")
    );
    assert_eq!(order(d.path()), "slow\n");
    assert!(!d.path().join(".kubemagic/lock").exists());
}

#[test]
fn run_refuses_when_check_finds_errors_unless_ignore_check() {
    let d = tempfile::tempdir().unwrap();
    let s = d.path().to_str().unwrap();
    site(d.path());
    // No control plane (and no etcd group): `kubemagic check` reports
    // KM113 and KM114, errors.
    write(&d.path().join("kubespray/inventory/t/hosts.yml"), INI);
    let o = km(&["run", s]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("pre-run check found 2 error"), "{err}");
    assert!(err.contains("error[KM113]"), "{err}");
    assert_eq!(order(d.path()), "");

    let o = km(&["run", s, "--ignore-check"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(order(d.path()).contains("deploy-kube"));
}

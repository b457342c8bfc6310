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
        "site flavor is kubespray; custom/hosts exists; playbook custom/prep-hosts.yml (the site's own)"
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
    // --wait: the killed run's ansible-playbook may still be stopping.
    let o = km(&[
        "--output",
        "json",
        "run",
        d.path().to_str().unwrap(),
        "slow",
        "--wait",
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
    let j: serde_json::Value = serde_json::from_slice(&std::fs::read(&journal).unwrap()).unwrap();
    assert_eq!(j["entries"][0]["outcome"], "interrupted");
    assert_eq!(j["entries"][1]["outcome"], "ok");
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
    assert!(err.contains(": error: KM113 "), "{err}");
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

/// `kubemagic ARGS` ready to spawn, with ansible-playbook on PATH.
fn km_command(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kubemagic"));
    cmd.args(args);
    if let Some(dir) = ansible_bin_dir() {
        let path = std::env::var_os("PATH").unwrap_or_default();
        let mut paths = vec![dir];
        paths.extend(std::env::split_paths(&path));
        cmd.env("PATH", std::env::join_paths(paths).unwrap());
    }
    cmd.env_remove("KUBEMAGIC_ANSIBLE_PLAYBOOK");
    cmd
}

/// A site with one phase, `slow`, whose task appends `start T PID` to
/// `SITE/stamps.log`, sleeps for as many seconds as `SITE/duration` says,
/// and appends `end T` when the sleep ends. Before that, it appends `overlap
/// PID` if the previous run's task still runs: the proof that the playbook
/// never runs twice at once, also when the previous run was stopped by a
/// signal (and so wrote no `end`). No traps: a trapped SIGTERM that comes
/// during `$(...)` waits for the *next* command (the sleep) to end, a bash
/// quirk that would keep a stopped task running.
fn stamping_site(dir: &Path, seconds: u32) {
    write(
        &dir.join("kubemagic.yml"),
        r#"{"phases": [{"name": "slow", "steps": [{"cwd": "custom", "inventory": ["hosts"], "playbook": "slow.yml"}]}]}"#,
    );
    write(&dir.join("custom/hosts"), INI);
    write(
        &dir.join("custom/slow.yml"),
        r#"- hosts: all
  gather_facts: false
  tasks:
    - ansible.builtin.shell: |
        p=$(cat ../task.pid 2>/dev/null)
        # Alive and not a zombie (pid 1 may not reap here).
        if [ -n "$p" ] && s=$(cut -d' ' -f3 /proc/$p/stat 2>/dev/null) && [ "$s" != Z ]; then
          echo "overlap $p" >> ../stamps.log
        fi
        echo $$ > ../task.pid
        echo "start $(date +%s.%N) $$" >> ../stamps.log
        sleep "$(cat ../duration)"
        echo "end $(date +%s.%N)" >> ../stamps.log
      args:
        chdir: "{{ playbook_dir }}"
        executable: /bin/bash
"#,
    );
    write(&dir.join("duration"), &seconds.to_string());
}

/// One run of the stamping playbook's task.
#[derive(Debug)]
struct TaskRun {
    start: f64,
    /// When it ended, if it could say so.
    end: Option<f64>,
    /// The task's shell.
    pid: u32,
}

/// The runs of the stamping playbook's task, in order; panics on an
/// `overlap` line.
fn stamps(dir: &Path) -> Vec<TaskRun> {
    let text = std::fs::read_to_string(dir.join("stamps.log")).unwrap_or_default();
    let mut runs: Vec<TaskRun> = vec![];
    for line in text.lines() {
        let f: Vec<&str> = line.split(' ').collect();
        match f[..] {
            ["start", t, pid] => runs.push(TaskRun {
                start: t.parse().unwrap(),
                end: None,
                pid: pid.parse().unwrap(),
            }),
            ["end", t] => runs.last_mut().expect("end before start").end = Some(t.parse().unwrap()),
            ["overlap", _] => panic!("the playbook ran twice at once: {text}"),
            _ => panic!("{line}"),
        }
    }
    runs
}

/// Asserts that no two runs of the playbook overlapped in time: no
/// `overlap` line (checked by `stamps`), and where a run recorded its end,
/// the next one started after it.
fn assert_never_twice_at_once(runs: &[TaskRun]) {
    for w in runs.windows(2) {
        if let Some(end) = w[0].end {
            assert!(
                end <= w[1].start,
                "runs overlap: one ended at {end}, the next started at {}: {runs:?}",
                w[1].start
            );
        }
    }
}

/// Whether a process runs (exists and is not a zombie).
fn runs(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rfind(')')
            .is_some_and(|i| stat[i + 1..].split_whitespace().next() != Some("Z"))
    })
}

fn wait_for(what: &str, secs: u64, mut cond: impl FnMut() -> bool) {
    let t0 = std::time::Instant::now();
    while !cond() {
        assert!(
            t0.elapsed() < std::time::Duration::from_secs(secs),
            "timed out after {secs} s waiting for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

fn lock_json(dir: &Path) -> Option<serde_json::Value> {
    let bytes = std::fs::read(dir.join(".kubemagic/lock")).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Whether a process group has a member that is not a zombie (this
/// machine's pid 1 may never reap orphans).
fn group_runs(pgid: u32) -> bool {
    std::fs::read_dir("/proc").unwrap().flatten().any(|e| {
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
            return false;
        };
        let Some(i) = stat.rfind(')') else {
            return false;
        };
        let f: Vec<&str> = stat[i + 1..].split_whitespace().collect();
        f.len() > 2 && f[2] == pgid.to_string() && f[0] != "Z"
    })
}

fn now_secs() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

/// Starts `kubemagic run SITE slow` and waits until its step runs: the
/// playbook's task has started and the lock records the step. Returns the
/// run and the step's process group as the lock records it.
fn start_slow_run(dir: &Path) -> (std::process::Child, u32, serde_json::Value) {
    let child = km_command(&["run", dir.to_str().unwrap(), "slow"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_for("the task to start", 60, || !stamps(dir).is_empty());
    let lock = lock_json(dir).unwrap();
    let step = lock["step"].clone();
    let pgid = step["pgid"].as_u64().unwrap() as u32;
    (child, pgid, step)
}

#[test]
fn the_playbook_gets_sigterm_and_stops_when_kubemagic_is_sigkilled() {
    let d = tempfile::tempdir().unwrap();
    stamping_site(d.path(), 60);
    let (mut run, pgid, step) = start_slow_run(d.path());
    assert!(
        step["command"][0]
            .as_str()
            .unwrap()
            .ends_with("ansible-playbook"),
        "{step}"
    );
    assert_eq!(
        step["command"].as_array().unwrap().last().unwrap(),
        "slow.yml"
    );
    assert!(group_runs(pgid));
    run.kill().unwrap(); // SIGKILL
    run.wait().unwrap();
    let killed_at = now_secs();
    // PR_SET_PDEATHSIG: ansible-playbook gets SIGTERM, forwards it to its
    // worker, whose task (sleep 60) ends; then ansible-playbook exits.
    wait_for("ansible-playbook to exit", 20, || !group_runs(pgid));
    let task = stamps(d.path())[0].pid;
    wait_for("the task (sleep 60) to be stopped", 20, || !runs(task));
    assert!(
        stamps(d.path())[0].end.is_none(),
        "stopped, not run to its end"
    );
    assert!(now_secs() - killed_at < 30.0);
    // The journal still says `running` (nobody was left to say otherwise).
    let j: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.path().join(".kubemagic/journal.json")).unwrap())
            .unwrap();
    assert_eq!(j["entries"][0]["outcome"], "running");
    assert_eq!(j["entries"][0]["pgid"], pgid);
}

#[test]
fn after_a_kill_9_an_immediate_rerun_never_runs_the_playbook_twice_at_once() {
    let d = tempfile::tempdir().unwrap();
    let s = d.path().to_str().unwrap();
    stamping_site(d.path(), 60);
    let (mut run, pgid, _) = start_slow_run(d.path());
    // The re-run's own step is short.
    write(&d.path().join("duration"), "1");
    run.kill().unwrap(); // SIGKILL, mid-step
    run.wait().unwrap();
    // At once: either ansible-playbook is already gone (taken over) or the
    // re-run refuses, naming it.
    let o = km(&["--output", "json", "run", s, "slow"]);
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    let o = match o.status.code() {
        Some(0) => {
            eprintln!("the killed run's ansible-playbook was already gone: taken over");
            o
        }
        Some(1) => {
            eprintln!("refused at once: {err}");
            assert!(
                err.contains(&format!("ansible-playbook (pid {pgid}, `")),
                "{err}"
            );
            let o = km(&["--output", "json", "run", s, "slow", "--wait"]);
            assert_eq!(
                o.status.code(),
                Some(0),
                "{}",
                String::from_utf8_lossy(&o.stderr)
            );
            o
        }
        c => panic!("exit {c:?}: {err}"),
    };
    let runs = stamps(d.path());
    assert_eq!(runs.len(), 2, "{runs:?}");
    assert_never_twice_at_once(&runs);
    let v = json(&o);
    assert_eq!(v["phases"][0]["status"], "ran");
    assert!(
        v["phases"][0]["steps"][0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("resuming: last run interrupted"),
        "{v}"
    );
    let j: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.path().join(".kubemagic/journal.json")).unwrap())
            .unwrap();
    let entries = j["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["outcome"], "interrupted");
    assert!(
        entries[0]["note"]
            .as_str()
            .unwrap()
            .contains("marked interrupted by pid"),
        "{j}"
    );
    assert_eq!(entries[1]["outcome"], "ok");
    assert!(!d.path().join(".kubemagic/lock").exists());
}

#[test]
fn a_killed_runs_playbook_still_running_is_refused_by_pid_and_command_and_wait_waits_for_it() {
    let d = tempfile::tempdir().unwrap();
    let s = d.path().to_str().unwrap();
    stamping_site(d.path(), 4);
    // The killed run's ansible-playbook, going on by itself (as it would
    // where there is no parent-death signal): a real one, in its own group.
    let Some(bin) = ansible_bin_dir()
        .map(|d| d.join("ansible-playbook"))
        .or_else(|| Some(PathBuf::from("ansible-playbook")))
    else {
        unreachable!()
    };
    let mut orphan = {
        use std::os::unix::process::CommandExt;
        // Its output kept, so a failure to start says why.
        let log = std::fs::File::create(d.path().join("orphan.log")).unwrap();
        Command::new(&bin)
            .args(["-i", "hosts", "slow.yml"])
            .current_dir(d.path().join("custom"))
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .process_group(0)
            .spawn()
            .unwrap()
    };
    let mut gone = Command::new("true").spawn().unwrap();
    let dead_pid = gone.id();
    gone.wait().unwrap();
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let lock = serde_json::json!({
        "pid": dead_pid, "host": host.trim(), "started": "2026-11-28T07:00:00Z",
        "step": {"pgid": orphan.id(), "command": [bin.to_str().unwrap(), "-i", "hosts", "slow.yml"],
                 "phase": "slow", "step": 0, "started": "2026-11-28T07:00:01Z"}
    });
    write(&d.path().join(".kubemagic/lock"), &lock.to_string());
    let t0 = std::time::Instant::now();
    while stamps(d.path()).is_empty() {
        let log = || std::fs::read_to_string(d.path().join("orphan.log")).unwrap_or_default();
        if let Ok(Some(st)) = orphan.try_wait() {
            panic!(
                "the orphan ansible-playbook exited ({st}) before its task started:\n{}",
                log()
            );
        }
        assert!(
            t0.elapsed() < std::time::Duration::from_secs(180),
            "timed out after 180 s waiting for the orphan's task to start; its output:\n{}",
            log()
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }

    let o = km(&["run", s, "slow"]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(&format!(
            "another run's ansible-playbook (pid {}, `{} -i hosts slow.yml`) is still running",
            orphan.id(),
            bin.display()
        )),
        "{err}"
    );
    assert!(err.contains(&format!("(pid {dead_pid}) is gone")), "{err}");
    assert!(err.contains("--wait"), "{err}");
    assert_eq!(stamps(d.path()).len(), 1, "nothing else ran");

    write(&d.path().join("duration"), "1");
    let o = km(&["run", s, "slow", "--wait"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(&format!(
            "waiting for another run's ansible-playbook (pid {}",
            orphan.id()
        )),
        "{err}"
    );
    assert!(orphan.wait().unwrap().success());
    let runs = stamps(d.path());
    assert_eq!(runs.len(), 2, "{runs:?}");
    assert_never_twice_at_once(&runs);
    assert!(!d.path().join(".kubemagic/lock").exists());
}

/// A site with one phase, `tick`, whose task (a real ansible shell task on
/// localhost) proves with timestamps when it runs: it appends `T TAG TIME`
/// to `SITE/ticks.log` every 50 ms for `SITE/ticks` ticks, and first starts
/// a daemon that double-forks into its own session (`( setsid ... & )`) and
/// ticks as `TAGd` for 10 s. The daemon is what a process-group check cannot
/// see: after its parent exits its parent is the step supervisor (or, without
/// one, pid 1). With `trap_term`, the task ignores SIGTERM, so only a SIGKILL
/// stops it.
fn ticking_site(dir: &Path, trap_term: bool) {
    write(
        &dir.join("kubemagic.yml"),
        r#"{"phases": [{"name": "tick", "steps": [{"cwd": "custom", "inventory": ["hosts"], "playbook": "tick.yml"}]}]}"#,
    );
    write(&dir.join("custom/hosts"), INI);
    let trap = if trap_term { "trap '' TERM" } else { "" };
    write(
        &dir.join("custom/tick.yml"),
        &format!(
            r#"- hosts: all
  gather_facts: false
  tasks:
    - ansible.builtin.shell: |
        {trap}
        tag=$$
        log="$PWD/../ticks.log"
        ( setsid bash -c 'for i in $(seq 200); do echo "T '$tag'd $(date +%s.%N)" >> "$0"; sleep 0.05; done' "$log" </dev/null >/dev/null 2>&1 & )
        for i in $(seq "$(cat ../ticks)"); do echo "T $tag $(date +%s.%N)" >> "$log"; sleep 0.05; done
      args:
        chdir: "{{{{ playbook_dir }}}}"
        executable: /bin/bash
"#
        ),
    );
    write(&dir.join("ticks"), "400");
}

/// The tick log as runs: for each task (its tag, the daemon's ticks
/// counted with it), the first and last time it was seen, in start order.
fn tick_runs(dir: &Path) -> Vec<(String, f64, f64)> {
    let text = std::fs::read_to_string(dir.join("ticks.log")).unwrap_or_default();
    let mut runs: Vec<(String, f64, f64)> = vec![];
    for line in text.lines() {
        let f: Vec<&str> = line.split(' ').collect();
        let ["T", tag, t] = f[..] else {
            // A line torn by a SIGKILL mid-write carries no time.
            continue;
        };
        let Ok(t) = t.parse::<f64>() else { continue };
        let tag = tag.trim_end_matches('d');
        match runs.iter_mut().find(|r| r.0 == tag) {
            Some(r) => {
                r.1 = r.1.min(t);
                r.2 = r.2.max(t);
            }
            None => runs.push((tag.to_string(), t, t)),
        }
    }
    runs.sort_by(|a, b| a.1.total_cmp(&b.1));
    runs
}

/// Every run's first tick comes after the previous run's last one, its
/// daemon's included.
fn assert_no_overlap(runs: &[(String, f64, f64)]) {
    for w in runs.windows(2) {
        assert!(
            w[0].2 < w[1].1,
            "overlap: task {} ticked until {:.3}, task {} started at {:.3}: {runs:?}",
            w[0].0,
            w[0].2,
            w[1].0,
            w[1].1
        );
    }
}

/// Issue 22, item 1: 20 times, `kill -9` of `kubemagic run` 0.2 to 0.8 s
/// into its task, then at once `kubemagic run --force --wait`, which is the
/// next trial's victim (chained, so each trial costs one ansible-playbook
/// start: the CI machine has 2 cores). No two tasks, daemons included, ever
/// tick at the same time.
#[test]
fn kill_9_then_an_immediate_forced_rerun_never_overlaps_even_a_daemonized_task_in_20_trials() {
    let d = tempfile::tempdir().unwrap();
    let s = d.path().to_str().unwrap();
    ticking_site(d.path(), false);
    let trials = 20;
    let spawn = || {
        km_command(&["run", s, "tick", "--force", "--wait"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let mut run = spawn();
    let t0 = now_secs();
    for i in 0..trials {
        wait_for("the task to start", 120, || tick_runs(d.path()).len() > i);
        // 0.2 to 0.8 s into the task (the daemon starts at once).
        std::thread::sleep(std::time::Duration::from_millis(200 + 200 * (i as u64 % 4)));
        run.kill().unwrap(); // SIGKILL
        run.wait().unwrap();
        if i + 1 == trials {
            write(&d.path().join("ticks"), "10");
        }
        // At once, the next run, forced, waiting for the killed one's step.
        run = spawn();
    }
    let o = run.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    let runs = tick_runs(d.path());
    assert_eq!(runs.len(), trials + 1, "{runs:?}");
    assert_no_overlap(&runs);
    let gaps: Vec<f64> = runs.windows(2).map(|w| w[1].1 - w[0].2).collect();
    eprintln!(
        "{trials} kill -9 trials in {:.0} s, 0 overlaps; smallest gap between a killed task's last tick and the next task's first {:.3} s",
        now_secs() - t0,
        gaps.iter().cloned().fold(f64::INFINITY, f64::min)
    );
    // Nothing of any run is left: no daemon ticks after the last run.
    let last = runs.last().unwrap().2;
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert_eq!(tick_runs(d.path()).last().unwrap().2, last);
}

#[test]
fn a_killed_runs_step_that_ignores_sigterm_is_refused_naming_its_supervisor_and_processes_until_killed(
) {
    let d = tempfile::tempdir().unwrap();
    let s = d.path().to_str().unwrap();
    ticking_site(d.path(), true);
    let mut run = km_command(&["run", s, "tick"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_for("the task to start", 120, || !tick_runs(d.path()).is_empty());
    let step = lock_json(d.path()).unwrap()["step"].clone();
    let supervisor = step["supervisor"].as_u64().unwrap();
    run.kill().unwrap(); // SIGKILL
    let killed_at = now_secs();
    run.wait().unwrap();
    // The task ignores SIGTERM: its supervisor keeps the step (and the
    // steps lock) until its grace ends and it SIGKILLs what is left.
    let o = km(&["run", s, "tick"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!("under its step supervisor (pid {supervisor})")),
        "{err}"
    );
    assert!(err.contains("still running: pid "), "{err}");
    assert!(err.contains(&format!("kill -TERM {supervisor}")), "{err}");
    assert_eq!(tick_runs(d.path()).len(), 1, "nothing else ran");
    write(&d.path().join("ticks"), "10");
    let o = km(&["run", s, "tick", "--wait"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(
        err.contains(&format!(
            "and every process of its step (supervisor pid {supervisor})"
        )),
        "{err}"
    );
    let runs = tick_runs(d.path());
    assert_eq!(runs.len(), 2, "{runs:?}");
    assert_no_overlap(&runs);
    // The killed run's task was stopped (SIGKILL after the grace), long
    // before its 400 ticks (20 s) were done.
    assert!(runs[0].2 - killed_at < 12.0, "{runs:?}");
}

#[test]
fn plan_and_dry_run_lines_with_a_masked_password_paste_into_a_shell() {
    let d = tempfile::tempdir().unwrap();
    let s = d.path().to_str().unwrap();
    write(
        &d.path().join("kubemagic.yml"),
        r#"{"phases": [{"name": "sec", "steps": [{"cwd": "custom", "inventory": ["hosts"], "playbook": "sec.yml",
            "extra_args": ["-e", "ansible_become_password=Pa55w0rd", "-e", "x=1"]}]}]}"#,
    );
    write(&d.path().join("custom/hosts"), INI);
    write(&d.path().join("custom/sec.yml"), &marker("sec"));
    for args in [vec!["plan", s, "sec"], vec!["run", s, "sec", "--dry-run"]] {
        let o = km(&args);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {o:?}");
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(!out.contains("Pa55w0rd"), "{out}");
        let line = out
            .lines()
            .find_map(|l| l.trim().strip_prefix("$ cd custom && "))
            .unwrap_or_else(|| panic!("{out}"));
        let line = line.split("  [").next().unwrap();
        let words = shlex::split(line).unwrap_or_else(|| panic!("does not paste: {line}"));
        assert_eq!(
            &words[words.len() - 5..],
            ["-e", "ansible_become_password=***", "-e", "x=1", "sec.yml"],
            "{line}"
        );
    }
}

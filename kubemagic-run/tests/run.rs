//! The runner against the real `ansible-playbook` on localhost
//! (`connection: local`) and the real `git`: test sites whose upstream
//! folders hold small playbooks that append their phase name to
//! `SITE/order.log`.

use kubemagic_core::phase::PlanRequest;
use kubemagic_core::{Finding, Silent, SiteConfig};
use kubemagic_run::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn ansible_playbook() -> PathBuf {
    if let Some(p) = std::env::var_os("KUBEMAGIC_ANSIBLE_PLAYBOOK").filter(|p| !p.is_empty()) {
        return p.into();
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/ansible-playbook");
    if venv.exists() {
        return venv;
    }
    "ansible-playbook".into()
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

const INI: &str = "[all]\nlocalhost ansible_connection=local ansible_python_interpreter=\"{{ ansible_playbook_python }}\"\n";

/// A playbook that fails when `SITE/fail-<phase>` exists and otherwise
/// appends `<phase>` to `SITE/order.log`.
fn marker_playbook(phase: &str) -> String {
    format!(
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - ansible.builtin.shell: \
         test ! -e ../fail-{phase} && echo {phase} >> ../order.log\n      args:\n        chdir: \"{{{{ playbook_dir }}}}\"\n"
    )
}

/// Kubespray site with Ceph and the logging addon: deploy-ceph, prep-hosts,
/// deploy-kube, deploy-post, deploy-logging. deploy-kube is overridden
/// without kubespray's `--become` (no sudo in tests).
fn kubespray_site(dir: &Path) {
    write(
        &dir.join("kubemagic.yml"),
        r#"{"flavor": "kubespray", "addons": ["logging"],
 "phases": [{"name": "deploy-kube", "steps": [{"cwd": "kubespray", "inventory": ["inventory/t/hosts.yml"], "playbook": "cluster.yml"}]}]}
"#,
    );
    write(&dir.join("ceph-ansible/hosts"), INI);
    write(
        &dir.join("ceph-ansible/site.yml"),
        &marker_playbook("deploy-ceph"),
    );
    write(&dir.join("custom/hosts"), INI);
    for p in ["prep-hosts", "deploy-post", "deploy-logging"] {
        write(&dir.join(format!("custom/{p}.yml")), &marker_playbook(p));
    }
    write(
        &dir.join("kubespray/inventory/t/hosts.yml"),
        "all:\n  hosts:\n    localhost:\n      ansible_connection: local\n      ansible_python_interpreter: \"{{ ansible_playbook_python }}\"\n",
    );
    write(
        &dir.join("kubespray/cluster.yml"),
        &marker_playbook("deploy-kube"),
    );
}

fn order(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("order.log"))
        .unwrap_or_default()
        .lines()
        .map(String::from)
        .collect()
}

fn opts() -> RunOptions {
    RunOptions {
        ansible_playbook: Some(ansible_playbook()),
        ..Default::default()
    }
}

struct Outcome {
    report: RunReport,
    output: Vec<String>,
    progress: Vec<String>,
    notices: Vec<String>,
}

fn run_site(
    dir: &Path,
    request: PlanRequest,
    opts: &RunOptions,
    cancel: &AtomicBool,
) -> Result<Outcome, RunError> {
    run_with(dir, request, opts, &SkipCheck, cancel)
}

fn run_with(
    dir: &Path,
    request: PlanRequest,
    opts: &RunOptions,
    check: &dyn PreRunCheck,
    cancel: &AtomicBool,
) -> Result<Outcome, RunError> {
    let (config, plan) = plan_site(dir, &request)?;
    let mut output = vec![];
    let mut progress = vec![];
    let mut notices = vec![];
    let mut obs = |e: RunEvent<'_>| match e {
        RunEvent::Notice { message } => notices.push(message.to_string()),
        RunEvent::Output { line, .. } => output.push(line.to_string()),
        RunEvent::PhaseStarted {
            index,
            total,
            phase,
        } => progress.push(format!("phase {index}/{total} {}", phase.name)),
        _ => {}
    };
    let report = run(dir, &config, &plan, opts, check, &mut obs, cancel)?;
    Ok(Outcome {
        report,
        output,
        progress,
        notices,
    })
}

fn statuses(r: &RunReport) -> Vec<(String, PhaseStatus)> {
    r.phases
        .iter()
        .map(|p| (p.name.clone(), p.status))
        .collect()
}

fn all() -> PlanRequest {
    PlanRequest::default()
}

#[test]
fn run_resumes_after_a_failure_skips_done_phases_and_reruns_on_inventory_change() {
    let d = tempfile::tempdir().unwrap();
    let site = d.path();
    kubespray_site(site);
    let no = AtomicBool::new(false);

    // 1. deploy-kube fails: the run stops there.
    write(&site.join("fail-deploy-kube"), "");
    let o = run_site(site, all(), &opts(), &no).unwrap();
    assert_eq!(o.report.outcome, RunOutcome::Failed);
    assert_eq!(order(site), ["deploy-ceph", "prep-hosts"]);
    assert_eq!(
        statuses(&o.report),
        [
            ("deploy-ceph".into(), PhaseStatus::Ran),
            ("prep-hosts".into(), PhaseStatus::Ran),
            ("deploy-kube".into(), PhaseStatus::Failed),
            ("deploy-post".into(), PhaseStatus::NotRun),
            ("deploy-logging".into(), PhaseStatus::NotRun),
        ]
    );
    assert_eq!(
        o.progress,
        [
            "phase 1/5 deploy-ceph",
            "phase 2/5 prep-hosts",
            "phase 3/5 deploy-kube"
        ]
    );
    assert!(
        o.output.iter().any(|l| l.starts_with("PLAY RECAP")),
        "ansible output is streamed"
    );
    let j = Journal::load(site).unwrap();
    let kube = j.last("deploy-kube", 0).unwrap();
    assert_eq!(kube.outcome, StepOutcome::Failed);
    assert_eq!(kube.exit_code, Some(2));
    assert!(kube.ended.is_some());
    assert_eq!(
        kube.argv,
        [
            "ansible-playbook",
            "-i",
            "inventory/t/hosts.yml",
            "cluster.yml"
        ]
    );
    let ceph = j.last("deploy-ceph", 0).unwrap();
    assert_eq!((ceph.outcome, ceph.exit_code), (StepOutcome::Ok, Some(0)));
    assert!(ceph.inventory_digest.starts_with("sha256:"));
    assert!(!SiteLock::path(site).exists(), "lock released");

    // 2. Fixed: the next run resumes at deploy-kube.
    std::fs::remove_file(site.join("fail-deploy-kube")).unwrap();
    let o = run_site(site, all(), &opts(), &no).unwrap();
    assert_eq!(o.report.outcome, RunOutcome::Completed);
    assert_eq!(
        order(site),
        [
            "deploy-ceph",
            "prep-hosts",
            "deploy-kube",
            "deploy-post",
            "deploy-logging"
        ]
    );
    assert_eq!(o.report.phases[0].status, PhaseStatus::UpToDate);
    assert!(o.report.phases[0].steps[0]
        .reason
        .as_deref()
        .unwrap()
        .contains("inventory unchanged"));

    // 3. Nothing changed: nothing runs.
    let o = run_site(site, all(), &opts(), &no).unwrap();
    assert!(o
        .report
        .phases
        .iter()
        .all(|p| p.status == PhaseStatus::UpToDate));
    assert_eq!(order(site).len(), 5);

    // 4. A group_vars change beside ceph-ansible's inventory re-runs deploy-ceph only.
    write(
        &site.join("ceph-ansible/group_vars/all.yml"),
        "monitor_interface: lo\n",
    );
    let o = run_site(site, all(), &opts(), &no).unwrap();
    assert_eq!(order(site).len(), 6);
    assert_eq!(order(site)[5], "deploy-ceph");
    assert_eq!(o.report.phases[0].status, PhaseStatus::Ran);
    assert!(o.report.phases[1..]
        .iter()
        .all(|p| p.status == PhaseStatus::UpToDate));

    // 5. --force --dry-run: everything would run again, nothing runs.
    let o = run_site(
        site,
        all(),
        &RunOptions {
            force: true,
            dry_run: true,
            ..opts()
        },
        &no,
    )
    .unwrap();
    assert!(o
        .report
        .phases
        .iter()
        .all(|p| p.status == PhaseStatus::WouldRun));
    assert_eq!(
        o.report.phases[2].steps[0].reason.as_deref(),
        Some("--force")
    );
    assert_eq!(order(site).len(), 6);
    let entries = Journal::load(site).unwrap().entries.len();
    assert_eq!(entries, 3 + 3 + 1);
}

#[test]
fn dry_run_runs_nothing_and_writes_nothing() {
    let d = tempfile::tempdir().unwrap();
    kubespray_site(d.path());
    let o = run_site(
        d.path(),
        all(),
        &RunOptions {
            dry_run: true,
            ..opts()
        },
        &AtomicBool::new(false),
    )
    .unwrap();
    assert_eq!(o.report.phases.len(), 5);
    assert!(o
        .report
        .phases
        .iter()
        .all(|p| p.status == PhaseStatus::WouldRun));
    assert_eq!(
        o.report.phases[0].steps[0].reason.as_deref(),
        Some("never run")
    );
    assert!(order(d.path()).is_empty());
    assert!(!d.path().join(".kubemagic").exists());
    assert!(o.output.is_empty());
}

#[test]
fn a_second_run_is_refused_while_the_lock_is_held() {
    let d = tempfile::tempdir().unwrap();
    kubespray_site(d.path());
    let _held = SiteLock::acquire(d.path()).unwrap();
    let e = run_site(d.path(), all(), &opts(), &AtomicBool::new(false))
        .err()
        .unwrap();
    let msg = e.to_string();
    assert!(msg.contains("another kubemagic run holds"), "{msg}");
    assert!(
        msg.contains(&format!("pid {}", std::process::id())),
        "{msg}"
    );
    assert!(order(d.path()).is_empty());
}

#[test]
fn from_starts_at_the_named_phase() {
    let d = tempfile::tempdir().unwrap();
    kubespray_site(d.path());
    let req = PlanRequest {
        targets: vec![],
        from: Some("deploy-logging".into()),
    };
    let o = run_site(d.path(), req, &opts(), &AtomicBool::new(false)).unwrap();
    assert_eq!(
        statuses(&o.report),
        [("deploy-logging".into(), PhaseStatus::Ran)]
    );
    assert_eq!(order(d.path()), ["deploy-logging"]);
}

#[test]
fn check_mode_passes_check_and_never_counts_as_done() {
    let d = tempfile::tempdir().unwrap();
    kubespray_site(d.path());
    let req = PlanRequest {
        targets: vec![],
        from: Some("deploy-logging".into()),
    };
    let no = AtomicBool::new(false);
    let o = run_site(
        d.path(),
        req.clone(),
        &RunOptions {
            check: true,
            ..opts()
        },
        &no,
    )
    .unwrap();
    assert_eq!(o.report.outcome, RunOutcome::Completed);
    // ansible's shell module does nothing in check mode: no marker.
    assert!(order(d.path()).is_empty());
    assert!(
        Journal::load(d.path())
            .unwrap()
            .last("deploy-logging", 0)
            .unwrap()
            .check_mode
    );
    let o = run_site(
        d.path(),
        req,
        &RunOptions {
            dry_run: true,
            ..opts()
        },
        &no,
    )
    .unwrap();
    assert_eq!(
        o.report.phases[0].steps[0].reason.as_deref(),
        Some("last run was --check")
    );
}

#[test]
fn pre_run_check_errors_stop_the_run_unless_ignored() {
    let d = tempfile::tempdir().unwrap();
    kubespray_site(d.path());
    let failing = |_: &Path, _: &SiteConfig| {
        Ok(vec![Finding::error(
            "etcd-quota",
            "etcd_quota_backend_bytes is 20Mi",
        )])
    };
    let no = AtomicBool::new(false);
    let e = run_with(
        d.path(),
        all(),
        &RunOptions {
            dry_run: true,
            ..opts()
        },
        &failing,
        &no,
    )
    .err()
    .unwrap();
    assert!(
        matches!(&e, RunError::CheckFailed { findings } if findings.len() == 1),
        "{e}"
    );
    assert!(e.to_string().contains("--ignore-check"));
    let o = run_with(
        d.path(),
        all(),
        &RunOptions {
            dry_run: true,
            ignore_check: true,
            ..opts()
        },
        &failing,
        &no,
    )
    .unwrap();
    assert_eq!(o.report.phases.len(), 5);
    let warn = |_: &Path, _: &SiteConfig| {
        Ok(vec![Finding::warning(
            "ref",
            "kubespray pinned to a branch",
        )])
    };
    let o = run_with(
        d.path(),
        all(),
        &RunOptions {
            dry_run: true,
            ..opts()
        },
        &warn,
        &no,
    )
    .unwrap();
    assert_eq!(o.report.findings.len(), 1);
}

#[test]
fn ctrl_c_stops_the_playbook_and_records_the_interruption() {
    let d = tempfile::tempdir().unwrap();
    let site = d.path();
    write(
        &site.join("kubemagic.yml"),
        r#"{"phases": [{"name": "slow", "steps": [{"cwd": "custom", "inventory": ["hosts"], "playbook": "slow.yml"}]}]}"#,
    );
    write(&site.join("custom/hosts"), INI);
    write(
        &site.join("custom/slow.yml"),
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - ansible.builtin.command: sleep 60\n",
    );
    let cancel = Arc::new(AtomicBool::new(false));
    let c2 = cancel.clone();
    let started = Instant::now();
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(4));
        c2.store(true, Ordering::SeqCst);
    });
    let req = PlanRequest {
        targets: vec!["slow".into()],
        from: None,
    };
    let o = run_site(site, req, &opts(), &cancel).unwrap();
    t.join().unwrap();
    assert_eq!(o.report.outcome, RunOutcome::Interrupted);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "stopped well before sleep 60 ended"
    );
    let e = Journal::load(site)
        .unwrap()
        .last("slow", 0)
        .cloned()
        .unwrap();
    assert_eq!(e.outcome, StepOutcome::Interrupted);
    assert!(e.ended.is_some());
    assert!(!SiteLock::path(site).exists());
}

// ---- init: upstreams as local git repositories ----

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.invalid",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// An upstream with `site.yml` at v1 and a change at v2; returns (path, v1 commit, v2 commit).
fn upstream_repo(root: &Path, name: &str) -> (PathBuf, String, String) {
    let repo = root.join("upstreams").join(name);
    std::fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "-q"]);
    write(&repo.join("site.yml"), &marker_playbook("deploy-ceph"));
    write(&repo.join("README"), "v1\n");
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "v1"]);
    git(&repo, &["tag", "-a", "v1", "-m", "v1"]);
    let v1 = git(&repo, &["rev-parse", "HEAD"]);
    write(&repo.join("README"), "v2\n");
    git(&repo, &["commit", "-q", "-am", "v2"]);
    git(&repo, &["tag", "v2"]);
    let v2 = git(&repo, &["rev-parse", "HEAD"]);
    (repo, v1, v2)
}

fn pin(site: &Path, name: &str, url: &Path, git_ref: &str) -> SiteConfig {
    let text = format!(
        r#"{{"upstreams": {{"{name}": {{"url": "{}", "ref": "{git_ref}"}}}}}}"#,
        url.display()
    );
    write(&site.join("kubemagic.yml"), &text);
    load_site_config(site).unwrap()
}

#[test]
fn init_checks_out_the_pinned_tag_and_verifies_it() {
    let d = tempfile::tempdir().unwrap();
    let (repo, v1, v2) = upstream_repo(d.path(), "kubespray");
    let site = d.path().join("site");
    std::fs::create_dir_all(&site).unwrap();

    let c = pin(&site, "kubespray", &repo, "v1");
    let s = init_site(&site, &c, &Silent).unwrap();
    assert_eq!(
        (s[0].action, s[0].commit.as_str()),
        (SyncAction::Cloned, v1.as_str()),
        "annotated tag peeled to its commit"
    );
    assert_eq!(
        std::fs::read_to_string(site.join("kubespray/README")).unwrap(),
        "v1\n"
    );

    let s = init_site(&site, &c, &Silent).unwrap();
    assert_eq!(s[0].action, SyncAction::UpToDate);

    // The operator's inventory (untracked) survives a move to v2.
    write(&site.join("kubespray/inventory/t/hosts.yml"), "all: {}\n");
    let c = pin(&site, "kubespray", &repo, "v2");
    let s = init_site(&site, &c, &Silent).unwrap();
    assert_eq!(
        (s[0].action, s[0].commit.as_str()),
        (SyncAction::Updated, v2.as_str())
    );
    assert!(site.join("kubespray/inventory/t/hosts.yml").exists());

    // A commit id pins too; a branch follows upstream.
    let c = pin(&site, "kubespray", &repo, &v1[..12]);
    assert_eq!(init_site(&site, &c, &Silent).unwrap()[0].commit, v1);
    let c = pin(&site, "kubespray", &repo, "main");
    assert_eq!(init_site(&site, &c, &Silent).unwrap()[0].commit, v2);

    let c = pin(&site, "kubespray", &repo, "v9");
    let e = init_site(&site, &c, &Silent).unwrap_err();
    assert!(e.to_string().contains("ref v9 not found"), "{e}");
}

#[test]
fn init_refuses_a_checkout_with_local_changes() {
    let d = tempfile::tempdir().unwrap();
    let (repo, _, _) = upstream_repo(d.path(), "kubespray");
    let site = d.path().join("site");
    std::fs::create_dir_all(&site).unwrap();
    init_site(&site, &pin(&site, "kubespray", &repo, "v1"), &Silent).unwrap();
    write(&site.join("kubespray/README"), "patched by hand\n");
    let e = init_site(&site, &pin(&site, "kubespray", &repo, "v2"), &Silent).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("has local changes") && msg.contains("README"),
        "{msg}"
    );
    assert_eq!(
        std::fs::read_to_string(site.join("kubespray/README")).unwrap(),
        "patched by hand\n"
    );
}

#[test]
fn init_refuses_a_checkout_of_another_origin() {
    let d = tempfile::tempdir().unwrap();
    let (repo, _, _) = upstream_repo(d.path(), "kubespray");
    let (other, _, _) = upstream_repo(d.path(), "fork");
    let site = d.path().join("site");
    std::fs::create_dir_all(&site).unwrap();
    init_site(&site, &pin(&site, "kubespray", &repo, "v1"), &Silent).unwrap();
    let e = init_site(&site, &pin(&site, "kubespray", &other, "v1"), &Silent).unwrap_err();
    assert!(e.to_string().contains("fetches from"), "{e}");
}

#[test]
fn run_with_upstreams_inits_in_place_then_deploys() {
    let d = tempfile::tempdir().unwrap();
    let (repo, v1, _) = upstream_repo(d.path(), "ceph-ansible");
    let site = d.path().join("site");
    // The ceph inventory exists before init, inside the upstream folder.
    write(&site.join("ceph-ansible/hosts"), INI);
    pin(&site, "ceph-ansible", &repo, "v1");
    let req = PlanRequest {
        targets: vec!["deploy-ceph".into()],
        from: None,
    };
    let o = run_site(&site, req, &opts(), &AtomicBool::new(false)).unwrap();
    assert_eq!(
        statuses(&o.report),
        [
            ("init".into(), PhaseStatus::Ran),
            ("deploy-ceph".into(), PhaseStatus::Ran)
        ]
    );
    assert_eq!(order(&site), ["deploy-ceph"]);
    assert_eq!(
        Journal::load(&site)
            .unwrap()
            .last("init", 0)
            .unwrap()
            .commit
            .as_deref(),
        Some(v1.as_str())
    );
    assert!(site.join("ceph-ansible/hosts").exists());
}

#[test]
fn block_yaml_kubemagic_yml_is_read_by_the_site_loader() {
    let d = tempfile::tempdir().unwrap();
    write(
        &d.path().join("kubemagic.yml"),
        "flavor: openshift\naddons:\n  - tekton\n",
    );
    let c = load_site_config(d.path()).unwrap();
    assert_eq!(c.flavor, Some(kubemagic_core::Flavor::Openshift));
    assert!(c.addon_enabled("tekton"));
}

#[test]
fn unknown_key_in_kubemagic_yml_is_an_error_naming_file_and_line() {
    let d = tempfile::tempdir().unwrap();
    write(
        &d.path().join("kubemagic.yml"),
        "flavor: kubespray\nflavour: openshift\n",
    );
    let e = load_site_config(d.path()).unwrap_err().to_string();
    assert!(e.contains("kubemagic.yml"), "{e}");
    assert!(e.contains("flavour"), "{e}");
}

/// A site with one phase, `slow`: `sleep SECONDS` on localhost.
fn slow_site(dir: &Path, seconds: u32) {
    write(
        &dir.join("kubemagic.yml"),
        r#"{"phases": [{"name": "slow", "steps": [{"cwd": "custom", "inventory": ["hosts"], "playbook": "slow.yml"}]}]}"#,
    );
    write(&dir.join("custom/hosts"), INI);
    write(
        &dir.join("custom/slow.yml"),
        &format!(
            "- hosts: all\n  gather_facts: false\n  tasks:\n    - ansible.builtin.command: sleep {seconds}\n"
        ),
    );
}

fn slow() -> PlanRequest {
    PlanRequest {
        targets: vec!["slow".into()],
        from: None,
    }
}

#[test]
fn the_lock_and_the_journal_record_the_running_steps_process_group_and_command() {
    let d = tempfile::tempdir().unwrap();
    let site = d.path().to_path_buf();
    slow_site(&site, 4);
    let runner = {
        let site = site.clone();
        std::thread::spawn(move || run_site(&site, slow(), &opts(), &AtomicBool::new(false)))
    };
    let t0 = Instant::now();
    let step = loop {
        let held: Option<LockHolder> = std::fs::read(SiteLock::path(&site))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok());
        if let Some(step) = held.and_then(|h| h.step) {
            break step;
        }
        assert!(t0.elapsed() < Duration::from_secs(60), "no step recorded");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(step.phase, "slow");
    assert_eq!(step.command[0], ansible_playbook().display().to_string());
    assert_eq!(step.command[1..], ["-i", "hosts", "slow.yml"]);
    // The journal's entry gets it right after the lock.
    let t0 = Instant::now();
    let journal = loop {
        let j = Journal::load(&site).unwrap();
        if j.entries[0].pgid.is_some() || t0.elapsed() > Duration::from_secs(5) {
            break j;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(journal.entries[0].outcome, StepOutcome::Running);
    assert_eq!(journal.entries[0].pgid, Some(step.pgid));
    let o = runner.join().unwrap().unwrap();
    assert_eq!(o.report.outcome, RunOutcome::Completed);
    assert!(!SiteLock::path(&site).exists(), "lock released");
    let journal = Journal::load(&site).unwrap();
    assert_eq!(journal.entries[0].outcome, StepOutcome::Ok);
    assert_eq!(journal.entries[0].pgid, Some(step.pgid));
}

#[test]
fn wait_waits_for_the_lock_holder_to_finish_then_runs() {
    let d = tempfile::tempdir().unwrap();
    kubespray_site(d.path());
    let held = SiteLock::acquire(d.path()).unwrap();
    let released = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(2));
        drop(held);
        Instant::now()
    });
    let waiting = RunOptions {
        wait: true,
        ..opts()
    };
    let req = PlanRequest {
        targets: vec![],
        from: Some("deploy-logging".into()),
    };
    let o = run_site(d.path(), req, &waiting, &AtomicBool::new(false)).unwrap();
    let released_at = released.join().unwrap();
    assert!(Instant::now() > released_at);
    assert_eq!(o.report.outcome, RunOutcome::Completed);
    assert_eq!(order(d.path()), ["deploy-logging"]);
    assert!(
        o.notices[0].starts_with(&format!(
            "waiting for the kubemagic run holding {} (pid {}",
            SiteLock::path(d.path()).display(),
            std::process::id()
        )),
        "{:?}",
        o.notices
    );
}

#[test]
fn ctrl_c_while_waiting_gives_up_and_runs_nothing() {
    let d = tempfile::tempdir().unwrap();
    kubespray_site(d.path());
    let _held = SiteLock::acquire(d.path()).unwrap();
    let cancel = Arc::new(AtomicBool::new(false));
    let c2 = cancel.clone();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(1));
        c2.store(true, Ordering::SeqCst);
    });
    let waiting = RunOptions {
        wait: true,
        ..opts()
    };
    let e = run_site(d.path(), all(), &waiting, &cancel).err().unwrap();
    assert!(matches!(e, RunError::WaitInterrupted { .. }), "{e}");
    assert!(order(d.path()).is_empty());
}

/// A site with one phase, `sec`, whose step passes a password in its
/// `extra_args` (read from `pw`) and appends `sec` to `order.log`.
fn secret_site(dir: &Path, password: &str) {
    write(
        &dir.join("kubemagic.yml"),
        &serde_json::json!({"phases": [{"name": "sec", "steps": [{
            "cwd": "custom", "inventory": ["hosts"], "playbook": "sec.yml",
            "extra_args": ["-e", format!("ansible_become_password={password}")]}]}]})
        .to_string(),
    );
    write(&dir.join("custom/hosts"), INI);
    write(
        &dir.join("custom/sec.yml"),
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - ansible.builtin.shell: echo sec >> ../order.log\n      args:\n        chdir: \"{{ playbook_dir }}\"\n",
    );
}

#[test]
fn a_changed_secret_in_extra_args_reruns_its_step_and_the_journal_never_holds_it() {
    let d = tempfile::tempdir().unwrap();
    let site = d.path();
    let no = AtomicBool::new(false);
    let sec = || PlanRequest {
        targets: vec!["sec".into()],
        from: None,
    };
    secret_site(site, "first-Pa55");
    let r = run_site(site, sec(), &opts(), &no).unwrap().report;
    assert_eq!(r.phases[0].status, PhaseStatus::Ran);
    let r = run_site(site, sec(), &opts(), &no).unwrap().report;
    assert_eq!(r.phases[0].status, PhaseStatus::UpToDate);
    // Same masked command (`ansible_become_password=***`), other secret.
    secret_site(site, "second-Pa55");
    let dry = RunOptions {
        dry_run: true,
        ..opts()
    };
    let r = run_site(site, sec(), &dry, &no).unwrap().report;
    assert_eq!(r.phases[0].status, PhaseStatus::WouldRun);
    assert_eq!(
        r.phases[0].steps[0].reason.as_deref(),
        Some("arguments changed (a masked value, such as a password)")
    );
    let r = run_site(site, sec(), &opts(), &no).unwrap().report;
    assert_eq!(r.phases[0].status, PhaseStatus::Ran);
    assert_eq!(order(site), ["sec", "sec"]);
    let r = run_site(site, sec(), &opts(), &no).unwrap().report;
    assert_eq!(r.phases[0].status, PhaseStatus::UpToDate);
    // Neither secret is in any state file; the key is private.
    for f in std::fs::read_dir(site.join(".kubemagic")).unwrap() {
        let f = f.unwrap().path();
        let bytes = std::fs::read(&f).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains("Pa55"),
            "{} holds a secret: {text}",
            f.display()
        );
    }
    use std::os::unix::fs::PermissionsExt;
    let key = std::fs::metadata(site.join(".kubemagic/args.key")).unwrap();
    assert_eq!(key.permissions().mode() & 0o777, 0o600);
    let j = Journal::load(site).unwrap();
    assert!(j
        .entries
        .iter()
        .all(|e| e.argv.iter().any(|a| a == "ansible_become_password=***")));
    assert!(j.entries.iter().all(|e| e
        .args_digest
        .as_deref()
        .is_some_and(|d| d.starts_with("hmac-sha256:"))));
}

fn mkfifo(path: &Path) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let st = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(st.success());
}

/// Runs on another thread and gives up after 20 s: the old code hung here
/// for ever (a FIFO) or until memory ran out (/dev/zero).
fn run_bounded(site: &Path, request: PlanRequest) -> Result<Outcome, RunError> {
    let (tx, rx) = std::sync::mpsc::channel();
    let site = site.to_path_buf();
    std::thread::spawn(move || {
        let _ = tx.send(run_site(&site, request, &opts(), &AtomicBool::new(false)));
    });
    rx.recv_timeout(Duration::from_secs(20))
        .expect("run hung on an odd state file")
}

#[test]
fn a_fifo_or_dev_zero_as_the_journal_or_the_lock_is_refused_naming_it_with_exit_2() {
    use kubemagic_core::KmError;
    for name in ["journal.json", "lock"] {
        for kind in ["fifo", "dev-zero"] {
            let d = tempfile::tempdir().unwrap();
            slow_site(d.path(), 0);
            let path = d.path().join(".kubemagic").join(name);
            if kind == "fifo" {
                mkfifo(&path);
            } else {
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::os::unix::fs::symlink("/dev/zero", &path).unwrap();
            }
            let Err(e) = run_bounded(d.path(), slow()) else {
                panic!("{name} as {kind}: the run went ahead");
            };
            let msg = e.to_string();
            assert!(msg.contains(&path.display().to_string()), "{msg}");
            assert!(msg.contains("not a regular file"), "{msg}");
            assert_eq!(e.kind(), kubemagic_core::ErrorKind::Input, "{msg}");
            assert_eq!(e.file(), Some(path.as_path()));
            // A dry run reads the journal too.
            if name == "journal.json" {
                let dry = RunOptions {
                    dry_run: true,
                    ..opts()
                };
                let (config, plan) = plan_site(d.path(), &slow()).unwrap();
                let e = run(
                    d.path(),
                    &config,
                    &plan,
                    &dry,
                    &SkipCheck,
                    &mut |_: RunEvent<'_>| {},
                    &AtomicBool::new(false),
                )
                .unwrap_err();
                assert!(e.to_string().contains("not a regular file"), "{e}");
            }
        }
    }
}

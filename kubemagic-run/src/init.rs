//! `kubemagic init`: each upstream checked out at its pinned ref, with git.
//!
//! The seed's `make init` pulled whatever the branches held that day (its
//! cert-manager trouble came from kubespray master). Here every upstream of
//! kubemagic.yml is fetched and checked out (detached) at its pinned ref,
//! the resulting commit is verified against the ref, and a checkout with
//! local changes to tracked files is never touched. Untracked files (the
//! site's own inventories, which live inside the upstream folders, e.g.
//! `kubespray/inventory/utgb`) are left alone; git itself refuses a checkout
//! that would overwrite one. A folder that exists but is not yet a checkout
//! (inventories committed before init) becomes one in place.
//!
//! The `git` CLI is used rather than a library: it is what operators
//! already have configured (credentials, proxies, SSH keys) and what they
//! can re-run by hand.

use crate::RunError;
use kubemagic_core::progress::step;
use kubemagic_core::{Progress, SiteConfig, Upstream};
use serde::Serialize;
use std::path::Path;
use std::process::Command;

/// What [`sync_upstream`] did to an upstream's checkout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SyncAction {
    /// A new checkout was made.
    Cloned,
    /// The checkout moved to the pinned commit.
    Updated,
    /// Already at the pinned commit; nothing fetched.
    UpToDate,
}

/// One upstream brought to its pinned commit: what `kubemagic init` prints
/// and what the journal records for a fetch-upstreams step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UpstreamSync {
    /// The upstream's name in kubemagic.yml, which is also its folder in
    /// the site (`kubespray`).
    pub name: String,
    /// The URL it is fetched from (the checkout's `origin`).
    pub url: String,
    /// The pinned ref: a tag, a branch or a commit id.
    #[serde(rename = "ref")]
    pub git_ref: String,
    /// The full commit id the checkout is now at, verified against the ref.
    pub commit: String,
    /// Whether it was cloned, moved or already there.
    pub action: SyncAction,
}

/// `git` that never waits for a person: no credential prompt
/// (`GIT_TERMINAL_PROMPT=0`) and, unless the operator chose an ssh command
/// (`GIT_SSH_COMMAND`, `GIT_SSH`, or `core.sshCommand` as git reads it in
/// that checkout: system, global, `includeIf`, local), ssh in batch mode,
/// so a host key or passphrase question fails with ssh's message instead
/// of waiting on the terminal under a progress line (or forever under
/// cron). Keys in an agent work as before.
fn git_command(dir: &Path) -> Command {
    let mut c = Command::new("git");
    c.arg("-C")
        .arg(dir)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("LC_ALL", "C");
    if !operator_chose_ssh(dir) {
        c.env("GIT_SSH_COMMAND", "ssh -o BatchMode=yes");
    }
    c
}

fn operator_chose_ssh(dir: &Path) -> bool {
    std::env::var_os("GIT_SSH_COMMAND").is_some()
        || std::env::var_os("GIT_SSH").is_some()
        || Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(["config", "--get", "core.sshCommand"])
            .output()
            .is_ok_and(|o| o.status.success() && !o.stdout.trim_ascii().is_empty())
}

fn git(dir: &Path, name: &str, args: &[&str]) -> Result<String, RunError> {
    let out = git_command(dir)
        .args(args)
        .output()
        .map_err(|source| RunError::Spawn {
            program: "git".into(),
            source,
            hint: " (install git)",
        })?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    } else {
        Err(RunError::Upstream {
            name: name.into(),
            message: format!(
                "git {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            ),
        })
    }
}

fn try_git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = git_command(dir).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn is_hex_commit(r: &str) -> bool {
    (7..=40).contains(&r.len()) && r.chars().all(|c| c.is_ascii_hexdigit())
}

/// The commit a ref names in this checkout: a tag (peeled), a branch of
/// origin, or a commit id.
fn resolve(dir: &Path, git_ref: &str) -> Option<String> {
    let candidates = [
        format!("refs/tags/{git_ref}^{{commit}}"),
        format!("refs/remotes/origin/{git_ref}^{{commit}}"),
        format!("{git_ref}^{{commit}}"),
    ];
    let n = if is_hex_commit(git_ref) { 3 } else { 2 };
    candidates[..n]
        .iter()
        .find_map(|c| try_git(dir, &["rev-parse", "--verify", "--quiet", c]))
}

/// An upstream's folder name must be a plain name inside the site.
fn check_name(name: &str) -> Result<(), RunError> {
    let ok = !name.is_empty() && !name.starts_with('.') && !name.contains(['/', '\\']);
    if ok {
        Ok(())
    } else {
        Err(RunError::Upstream {
            name: name.into(),
            message: "upstream names are folder names inside the site".into(),
        })
    }
}

/// Brings `SITE/<name>` to the pinned commit of `upstream`: makes the
/// checkout if there is none (in place, keeping files already there),
/// refuses one whose `origin` differs from the pinned URL or that has
/// local changes to tracked files, fetches unless a pinned tag or commit is
/// already checked out, checks out the commit detached and verifies it.
/// The fetch and the checkout are steps on `progress` (a first fetch of
/// kubespray takes a minute).
pub fn sync_upstream(
    site: &Path,
    name: &str,
    upstream: &Upstream,
    progress: &dyn Progress,
) -> Result<UpstreamSync, RunError> {
    check_name(name)?;
    let dir = site.join(name);
    let fail = |message: String| RunError::Upstream {
        name: name.into(),
        message,
    };
    let mut action = SyncAction::Updated;
    if !dir.join(".git").exists() {
        std::fs::create_dir_all(&dir).map_err(RunError::io(&dir))?;
        git(&dir, name, &["init", "-q"])?;
        git(&dir, name, &["remote", "add", "origin", &upstream.url])?;
        action = SyncAction::Cloned;
    }
    let origin = git(&dir, name, &["remote", "get-url", "origin"])?;
    if origin != upstream.url {
        return Err(fail(format!(
            "{} fetches from {origin}, kubemagic.yml pins {}; fix one of them",
            dir.display(),
            upstream.url
        )));
    }
    let changes = git(
        &dir,
        name,
        &["status", "--porcelain", "--untracked-files=no"],
    )?;
    if !changes.is_empty() {
        return Err(fail(format!(
            "{} has local changes; commit, stash or revert them first (kubemagic never touches them):\n{changes}",
            dir.display()
        )));
    }
    let head = try_git(&dir, &["rev-parse", "--verify", "--quiet", "HEAD^{commit}"]);
    // A tag or commit already present and checked out: nothing to fetch.
    // A branch name always fetches (it moves).
    let local = resolve(&dir, &upstream.git_ref).filter(|_| {
        try_git(
            &dir,
            &[
                "rev-parse",
                "--verify",
                "--quiet",
                &format!("refs/remotes/origin/{}", upstream.git_ref),
            ],
        )
        .is_none()
    });
    if let (Some(h), Some(l)) = (&head, &local) {
        if h == l && action != SyncAction::Cloned {
            return Ok(UpstreamSync {
                name: name.into(),
                url: upstream.url.clone(),
                git_ref: upstream.git_ref.clone(),
                commit: h.clone(),
                action: SyncAction::UpToDate,
            });
        }
    }
    // Without --force a tag that moved upstream is refused by git ("would
    // clobber existing tag"): a pinned tag must not change under us.
    {
        let _step = step(
            progress,
            &format!("fetching {name} {} from {}", upstream.git_ref, upstream.url),
        );
        git(&dir, name, &["fetch", "-q", "--tags", "origin"])?;
    }
    let Some(commit) = resolve(&dir, &upstream.git_ref) else {
        return Err(fail(format!(
            "ref {} not found in {}",
            upstream.git_ref, upstream.url
        )));
    };
    if head.as_deref() != Some(commit.as_str()) {
        let _step = step(progress, &format!("checking out {name} at {commit}"));
        git(
            &dir,
            name,
            &[
                "-c",
                "advice.detachedHead=false",
                "checkout",
                "-q",
                "--detach",
                &commit,
            ],
        )?;
    } else if action != SyncAction::Cloned {
        action = SyncAction::UpToDate;
    }
    let now = git(&dir, name, &["rev-parse", "HEAD"])?;
    if now != commit {
        return Err(fail(format!(
            "checked out {now}, expected {commit} for {}",
            upstream.git_ref
        )));
    }
    if is_hex_commit(&upstream.git_ref)
        && !commit.starts_with(&upstream.git_ref.to_ascii_lowercase())
    {
        return Err(fail(format!(
            "pinned commit {} resolved to {commit}",
            upstream.git_ref
        )));
    }
    Ok(UpstreamSync {
        name: name.into(),
        url: upstream.url.clone(),
        git_ref: upstream.git_ref.clone(),
        commit,
        action,
    })
}

/// Syncs every upstream of the site, in name order, stopping at the first
/// failure (so that nothing half-done goes unnoticed).
pub fn init_site(
    site: &Path,
    config: &SiteConfig,
    progress: &dyn Progress,
) -> Result<Vec<UpstreamSync>, RunError> {
    config
        .upstreams
        .iter()
        .map(|(name, u)| sync_upstream(site, name, u, progress))
        .collect()
}

/// `kubemagic init`: checks out every upstream kubemagic.yml pins, under the
/// site's lock (a run may be checking out or deploying right now). A site
/// that pins nothing is an error rather than a silent no-op. Slow steps
/// (fetches, checkouts) are named on `progress`.
pub fn init(site: &Path, progress: &dyn Progress) -> Result<Vec<UpstreamSync>, RunError> {
    let config = crate::load_site_config(site)?;
    if config.upstreams.is_empty() {
        return Err(RunError::NoUpstreams {
            site: site.to_path_buf(),
        });
    }
    let _lock = crate::SiteLock::acquire(site)?;
    init_site(site, &config, progress)
}

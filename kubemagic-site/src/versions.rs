//! Which release of each upstream the site runs: versions are data.
//!
//! kubespray, openshift-ansible and ceph-ansible rename, add and remove
//! variables between releases; a check that reads the wrong shape either
//! misses a mistake or invents one. The site's version of each upstream
//! comes from `upstreams.<name>.ref` in kubemagic.yml when that is a
//! release tag, else from the checkout in the site (kubespray's
//! `galaxy.yml`, openshift-ansible's `.spec`, or a tag naming the checked
//! out commit), else it is unknown, and rules that depend on it say so
//! (KM503) instead of guessing.

use kubemagic_fs::FsError;
use serde::Serialize;
use std::fmt;
use std::path::{Path, PathBuf};

/// A release number: `2.13.2`, `3.11.272`, `6.0.28`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Version {
    /// The first number.
    pub major: u32,
    /// The second number.
    pub minor: u32,
    /// The third number; 0 when the text gave only two.
    pub patch: u32,
}

impl Version {
    /// A version from its three numbers; `const` so that rule ranges are
    /// constants.
    pub const fn new(major: u32, minor: u32, patch: u32) -> Self {
        Version {
            major,
            minor,
            patch,
        }
    }

    /// Reads the first `N.N[.N]` in a tag or version string: `v2.13.2`,
    /// `openshift-ansible-3.11.272-1`, `v6.0.28`, `2.16.0`. `None` when
    /// there is none.
    pub fn parse(text: &str) -> Option<Version> {
        let start = text.find(|c: char| c.is_ascii_digit())?;
        let mut nums = text[start..]
            .split(|c: char| !c.is_ascii_digit())
            .take(3)
            .map(|p| p.parse::<u32>().ok());
        let major = nums.next()??;
        let minor = nums.next()??;
        let patch = nums.next().flatten().unwrap_or(0);
        Some(Version::new(major, minor, patch))
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// The three upstreams kubemagic knows, by the key they have in
/// kubemagic.yml's `upstreams:` and the folder of their checkout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Upstream {
    /// kubernetes-sigs/kubespray, which deploys Kubernetes.
    Kubespray,
    /// openshift/openshift-ansible (3.x), which deploys OpenShift.
    OpenshiftAnsible,
    /// ceph/ceph-ansible, which deploys Ceph.
    CephAnsible,
}

impl Upstream {
    /// Every upstream, in the order reports list them.
    pub const ALL: [Upstream; 3] = [
        Upstream::Kubespray,
        Upstream::OpenshiftAnsible,
        Upstream::CephAnsible,
    ];
    /// The key in kubemagic.yml and the checkout folder in the site.
    pub fn name(self) -> &'static str {
        match self {
            Upstream::Kubespray => "kubespray",
            Upstream::OpenshiftAnsible => "openshift-ansible",
            Upstream::CephAnsible => "ceph-ansible",
        }
    }
}

impl fmt::Display for Upstream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where a version was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "path")]
pub enum VersionSource {
    /// `upstreams.<name>.ref` in kubemagic.yml, a release tag.
    Pinned,
    /// A file of the checkout (`galaxy.yml`, `openshift-ansible.spec`).
    File(PathBuf),
    /// A git tag naming the checked-out commit.
    GitTag(String),
    /// A release branch pinned in kubemagic.yml (ceph-ansible's
    /// `stable-X.Y`: one release series, so its X.Y is known though the
    /// patch level moves; read as X.Y.0).
    ReleaseBranch(String),
    /// Nothing said which release: rules needing it are skipped.
    Unknown,
}

/// The version of one upstream the checks assume.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UpstreamVersion {
    /// Which upstream.
    pub upstream: Upstream,
    /// `None` when unknown.
    pub version: Option<Version>,
    /// Where the version was read, so that a report says why it is believed.
    pub source: VersionSource,
}

impl fmt::Display for UpstreamVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.version, &self.source) {
            (Some(v), VersionSource::Pinned) => write!(f, "{} {v} (kubemagic.yml)", self.upstream),
            (Some(v), VersionSource::File(p)) => {
                write!(
                    f,
                    "{} {v} ({})",
                    self.upstream,
                    p.file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default()
                )
            }
            (Some(v), VersionSource::GitTag(t)) => write!(f, "{} {v} (tag {t})", self.upstream),
            (Some(v), VersionSource::ReleaseBranch(b)) => {
                write!(f, "{} {v} (branch {b})", self.upstream)
            }
            _ => write!(f, "{} version unknown", self.upstream),
        }
    }
}

/// The versions of a site, one entry per upstream the site uses.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(transparent)]
pub struct SiteVersions(pub Vec<UpstreamVersion>);

impl SiteVersions {
    /// The version of `u`, `None` when unknown or not used.
    pub fn get(&self, u: Upstream) -> Option<Version> {
        self.0
            .iter()
            .find(|v| v.upstream == u)
            .and_then(|v| v.version)
    }

    /// Sets (or replaces) the version of `u`, as pinned: for hand-built sites.
    pub fn set(&mut self, u: Upstream, v: Version) {
        self.0.retain(|x| x.upstream != u);
        self.0.push(UpstreamVersion {
            upstream: u,
            version: Some(v),
            source: VersionSource::Pinned,
        });
        self.0.sort_by_key(|x| x.upstream);
    }
}

/// A version range a rule applies to: `from` inclusive, `until` exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    /// The first release the rule applies to; `None`: from the first.
    pub from: Option<Version>,
    /// The first release the rule no longer applies to; `None`: it still does.
    pub until: Option<Version>,
}

impl Range {
    /// Every version.
    pub const ALL: Range = Range {
        from: None,
        until: None,
    };
    /// Release `v` and every later one.
    pub const fn from(v: Version) -> Range {
        Range {
            from: Some(v),
            until: None,
        }
    }
    /// Every release before `v`.
    pub const fn until(v: Version) -> Range {
        Range {
            from: None,
            until: Some(v),
        }
    }
    /// From `from` up to, but not including, `until`.
    pub const fn between(from: Version, until: Version) -> Range {
        Range {
            from: Some(from),
            until: Some(until),
        }
    }
    /// Whether release `v` is in the range.
    pub fn contains(&self, v: Version) -> bool {
        self.from.is_none_or(|f| v >= f) && self.until.is_none_or(|u| v < u)
    }
    /// True when the range is every version: the rule needs no version.
    pub fn is_all(&self) -> bool {
        self.from.is_none() && self.until.is_none()
    }
}

impl fmt::Display for Range {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let short = |v: Version| format!("{}.{}", v.major, v.minor);
        match (self.from, self.until) {
            (None, None) => f.write_str("all versions"),
            (Some(a), None) => write!(f, "{}+", short(a)),
            (None, Some(b)) => write!(f, "before {}", short(b)),
            (Some(a), Some(b)) => write!(f, "{} to before {}", short(a), short(b)),
        }
    }
}

/// Reads the site's version of each upstream it uses (`used`): pinned ref,
/// else the checkout under `root/<name>/`, else unknown. A file of the
/// checkout that is a FIFO, a device or oversized is refused naming it.
pub fn detect(
    root: &Path,
    config: &kubemagic_core::SiteConfig,
    used: &[Upstream],
) -> Result<SiteVersions, FsError> {
    let mut out = Vec::new();
    for &u in used {
        let pinned = config
            .upstreams
            .get(u.name())
            .filter(|up| classify(&up.git_ref) == RefKind::Tag)
            .and_then(|up| Version::parse(&up.git_ref));
        let found = match pinned {
            Some(v) => Some((v, VersionSource::Pinned)),
            None => from_checkout(&root.join(u.name()), u)?.or_else(|| {
                let r = &config.upstreams.get(u.name())?.git_ref;
                Some((
                    release_branch(u, r)?,
                    VersionSource::ReleaseBranch(r.clone()),
                ))
            }),
        };
        out.push(match found {
            Some((v, source)) => UpstreamVersion {
                upstream: u,
                version: Some(v),
                source,
            },
            None => UpstreamVersion {
                upstream: u,
                version: None,
                source: VersionSource::Unknown,
            },
        });
    }
    Ok(SiteVersions(out))
}

/// The release series a pinned branch names: ceph-ansible's `stable-X.Y`
/// (its only release branches, one per Ceph release). Other upstreams'
/// branches name no version here.
pub fn release_branch(u: Upstream, git_ref: &str) -> Option<Version> {
    if u != Upstream::CephAnsible {
        return None;
    }
    let rest = git_ref
        .trim()
        .trim_start_matches("refs/heads/")
        .strip_prefix("stable-")?;
    let (major, minor) = rest.split_once('.')?;
    Some(Version::new(major.parse().ok()?, minor.parse().ok()?, 0))
}

/// A small text file of a checkout, `None` when it is missing or not text;
/// through `kubemagic_fs`, so a FIFO or a link to a device is an error
/// instead of a read that blocks or never ends.
fn read_text(path: &Path) -> Result<Option<String>, FsError> {
    match kubemagic_fs::read_to_string(path, kubemagic_fs::limits::MAX_SOURCE_BYTES) {
        Ok(t) => Ok(Some(t)),
        Err(e @ (FsError::NotRegular { .. } | FsError::TooLarge { .. })) => Err(e),
        Err(_) => Ok(None),
    }
}

/// The version a checkout declares: kubespray's `galaxy.yml` (`version:`),
/// openshift-ansible's `openshift-ansible.spec` (`Version:`), else a tag of
/// the checked-out commit (read from `.git`, no git process).
fn from_checkout(dir: &Path, u: Upstream) -> Result<Option<(Version, VersionSource)>, FsError> {
    let (file, key) = match u {
        Upstream::Kubespray => ("galaxy.yml", "version:"),
        Upstream::OpenshiftAnsible => ("openshift-ansible.spec", "Version:"),
        Upstream::CephAnsible => ("", ""),
    };
    if !file.is_empty() {
        let p = dir.join(file);
        if let Some(text) = read_text(&p)? {
            let v = text
                .lines()
                .find_map(|l| l.trim().strip_prefix(key))
                .and_then(|rest| Version::parse(rest.trim().trim_matches(['"', '\''])));
            if let Some(v) = v {
                return Ok(Some((v, VersionSource::File(p))));
            }
        }
    }
    let Some(tag) = git_tag_of_head(dir)? else {
        return Ok(None);
    };
    Ok(Version::parse(&tag).map(|v| (v, VersionSource::GitTag(tag))))
}

/// A release tag pointing at the checkout's HEAD commit, from
/// `.git/refs/tags/` and `.git/packed-refs` (annotated tags are matched by
/// their peeled `^` line).
fn git_tag_of_head(dir: &Path) -> Result<Option<String>, FsError> {
    let git = dir.join(".git");
    let Some(head) = read_text(&git.join("HEAD"))? else {
        return Ok(None);
    };
    let head = head.trim();
    let commit = match head.strip_prefix("ref: ") {
        Some(r) => match read_text(&git.join(r))? {
            Some(s) => s.trim().to_string(),
            None => match packed_ref(&git, r)? {
                Some(c) => c,
                None => return Ok(None),
            },
        },
        None => head.to_string(),
    };
    let mut tags: Vec<String> = Vec::new();
    if let Some(packed) = read_text(&git.join("packed-refs"))? {
        let mut last: Option<&str> = None;
        for line in packed.lines() {
            if let Some(peeled) = line.strip_prefix('^') {
                if peeled.trim() == commit {
                    tags.extend(last.map(str::to_string));
                }
                continue;
            }
            let mut parts = line.split_whitespace();
            let (Some(sha), Some(name)) = (parts.next(), parts.next()) else {
                continue;
            };
            last = name.strip_prefix("refs/tags/");
            if sha == commit {
                tags.extend(last.map(str::to_string));
            }
        }
    }
    if let Ok(entries) = std::fs::read_dir(git.join("refs").join("tags")) {
        for e in entries.flatten() {
            // Only regular files are tags (a folder is a namespace).
            if !kubemagic_fs::is_regular(&e.path()) {
                continue;
            }
            if read_text(&e.path())?.is_some_and(|s| s.trim() == commit) {
                tags.push(e.file_name().to_string_lossy().into_owned());
            }
        }
    }
    tags.sort();
    Ok(tags
        .into_iter()
        .find(|t| classify(t) == RefKind::Tag && Version::parse(t).is_some()))
}

fn packed_ref(git: &Path, name: &str) -> Result<Option<String>, FsError> {
    let Some(packed) = read_text(&git.join("packed-refs"))? else {
        return Ok(None);
    };
    Ok(packed.lines().find_map(|l| {
        let mut p = l.split_whitespace();
        let sha = p.next()?;
        (p.next()? == name).then(|| sha.to_string())
    }))
}

/// What an upstream ref looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefKind {
    /// A branch: it moves, so what it deploys changes from one day to the next.
    Branch,
    /// A release tag, which names a version.
    Tag,
    /// A commit id: fixed, but it names no release.
    Commit,
}

/// `master`, `main`, `release-*`, `stable-*` and names without a digit are
/// branches; 7 to 40 hex digits a commit; the rest (`v2.13.2`,
/// `openshift-ansible-3.11.272-1`) tags.
pub fn classify(git_ref: &str) -> RefKind {
    let r = git_ref
        .trim()
        .trim_start_matches("refs/heads/")
        .trim_start_matches("origin/");
    if git_ref.starts_with("refs/heads/") {
        return RefKind::Branch;
    }
    if git_ref.starts_with("refs/tags/") {
        return RefKind::Tag;
    }
    if (7..=40).contains(&r.len())
        && r.chars().all(|c| c.is_ascii_hexdigit())
        && r.chars().any(|c| c.is_ascii_digit())
    {
        return RefKind::Commit;
    }
    let lower = r.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "master" | "main" | "devel" | "develop" | "trunk" | "head"
    ) || lower.starts_with("release-")
        || lower.starts_with("stable-")
        || !lower.chars().any(|c| c.is_ascii_digit())
    {
        return RefKind::Branch;
    }
    RefKind::Tag
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_of_the_three_upstreams_parse() {
        assert_eq!(Version::parse("v2.13.2"), Some(Version::new(2, 13, 2)));
        assert_eq!(
            Version::parse("openshift-ansible-3.11.272-1"),
            Some(Version::new(3, 11, 272))
        );
        assert_eq!(Version::parse("v6.0"), Some(Version::new(6, 0, 0)));
        assert_eq!(Version::parse("master"), None);
    }

    #[test]
    fn ranges_include_from_and_exclude_until() {
        let r = Range::between(Version::new(2, 16, 0), Version::new(2, 28, 0));
        assert!(r.contains(Version::new(2, 16, 0)));
        assert!(r.contains(Version::new(2, 27, 9)));
        assert!(!r.contains(Version::new(2, 28, 0)));
        assert!(!r.contains(Version::new(2, 13, 2)));
    }

    #[test]
    fn pinned_tag_wins_then_galaxy_then_unknown() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("kubespray")).unwrap();
        std::fs::write(
            dir.path().join("kubespray/galaxy.yml"),
            "namespace: kubernetes_sigs\nversion: 2.26.0\n",
        )
        .unwrap();
        let mut c = kubemagic_core::SiteConfig::default();
        let all = [Upstream::Kubespray, Upstream::CephAnsible];
        let v = detect(dir.path(), &c, &all).unwrap();
        assert_eq!(v.get(Upstream::Kubespray), Some(Version::new(2, 26, 0)));
        assert_eq!(v.get(Upstream::CephAnsible), None);
        assert_eq!(v.0[1].source, VersionSource::Unknown);
        c.upstreams.insert(
            "kubespray".into(),
            kubemagic_core::Upstream {
                url: "u".into(),
                git_ref: "v2.13.2".into(),
            },
        );
        let v = detect(dir.path(), &c, &all).unwrap();
        assert_eq!(v.get(Upstream::Kubespray), Some(Version::new(2, 13, 2)));
        // A branch is no version: back to the checkout.
        c.upstreams.get_mut("kubespray").unwrap().git_ref = "master".into();
        let v = detect(dir.path(), &c, &all).unwrap();
        assert_eq!(v.get(Upstream::Kubespray), Some(Version::new(2, 26, 0)));
    }

    #[test]
    fn a_tag_naming_head_gives_the_version() {
        let dir = tempfile::tempdir().unwrap();
        let git = dir.path().join("ceph-ansible/.git");
        std::fs::create_dir_all(git.join("refs/tags")).unwrap();
        let sha = "0123456789abcdef0123456789abcdef01234567";
        std::fs::write(git.join("HEAD"), format!("{sha}\n")).unwrap();
        std::fs::write(
            git.join("packed-refs"),
            format!(
                "# pack-refs\nfffffff0123456789abcdef0123456789abcdef0 refs/tags/v6.0.28\n^{sha}\n"
            ),
        )
        .unwrap();
        let v = detect(
            dir.path(),
            &kubemagic_core::SiteConfig::default(),
            &[Upstream::CephAnsible],
        )
        .unwrap();
        assert_eq!(v.get(Upstream::CephAnsible), Some(Version::new(6, 0, 28)));
        assert_eq!(v.0[0].source, VersionSource::GitTag("v6.0.28".into()));
    }

    #[test]
    fn a_ceph_ansible_stable_branch_names_its_release_series_and_nothing_else_does() {
        assert_eq!(
            release_branch(Upstream::CephAnsible, "stable-6.0"),
            Some(Version::new(6, 0, 0))
        );
        assert_eq!(release_branch(Upstream::CephAnsible, "main"), None);
        assert_eq!(release_branch(Upstream::Kubespray, "stable-6.0"), None);
    }

    #[test]
    fn a_fifo_as_galaxy_yml_is_refused_naming_it_without_hanging() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("kubespray")).unwrap();
        let p = dir.path().join("kubespray/galaxy.yml");
        assert!(std::process::Command::new("mkfifo")
            .arg(&p)
            .status()
            .unwrap()
            .success());
        let e = detect(
            dir.path(),
            &kubemagic_core::SiteConfig::default(),
            &[Upstream::Kubespray],
        )
        .unwrap_err();
        assert!(e.to_string().contains("galaxy.yml: is a FIFO"), "{e}");
    }
}

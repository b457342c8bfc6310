//! Restoring a cluster from a snapshot, decided without I/O: the
//! snapshot's integrity rule, each member's restore parameters and
//! environment, the token, the cluster id the restore will produce, and
//! which etcd tool restores for which release.
//!
//! [`crate::restore_ops`] reads the snapshot, checks the data directory and
//! runs the tool.

use crate::member::{self, ClusterState, MemberEnv};
use crate::model::MemberId;
use serde::Serialize;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// What `restore` is asked.
#[derive(Debug, Clone)]
pub struct RestoreRequest {
    /// The snapshot file (`etcdctl snapshot save`, `kubemagic etcd snapshot
    /// save` or `maintain`).
    pub snapshot: PathBuf,
    /// This member's name.
    pub name: String,
    /// `name=URL,...` of every member of the restored cluster.
    pub initial_cluster: String,
    /// This member's peer URLs.
    pub advertise_peer_urls: Vec<String>,
    /// The data directory to create.
    pub data_dir: PathBuf,
    /// `ETCD_INITIAL_CLUSTER_TOKEN`; derived from the snapshot when absent.
    pub token: Option<String>,
    /// Move a non-empty data directory aside instead of refusing.
    pub move_aside: bool,
    /// Where `etcdutl`/`etcdctl` are; `PATH` when absent.
    pub bin_dir: Option<PathBuf>,
}

/// Bad restore arguments (exit 2) and restore failures (exit 1).
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    /// An argument etcd would refuse.
    #[error("{0}")]
    Input(String),
    /// The snapshot failed its integrity check.
    #[error("{}: {message}; nothing was written", path.display())]
    Corrupt {
        /// The snapshot.
        path: PathBuf,
        /// What the check found.
        message: String,
    },
    /// The data directory holds something.
    #[error("{}: data directory is not empty; refusing to restore over it (give --move-aside to move it aside first; nothing is ever deleted)", path.display())]
    DataDirNotEmpty {
        /// The directory.
        path: PathBuf,
    },
    /// No restore tool was found.
    #[error("{0}")]
    NoTool(String),
    /// The tool failed.
    #[error("{tool} failed ({status}): {stderr}")]
    ToolFailed {
        /// The command.
        tool: String,
        /// Its exit status.
        status: String,
        /// Its standard error.
        stderr: String,
    },
    /// A file operation failed.
    #[error(transparent)]
    Fs(#[from] kubemagic_fs::FsError),
}

impl kubemagic_core::KmError for RestoreError {
    fn file(&self) -> Option<&Path> {
        match self {
            RestoreError::Corrupt { path, .. } | RestoreError::DataDirNotEmpty { path } => {
                Some(path)
            }
            RestoreError::Fs(e) => Some(e.path()),
            _ => None,
        }
    }
    fn line(&self) -> Option<u32> {
        None
    }
    fn kind(&self) -> kubemagic_core::ErrorKind {
        use kubemagic_core::ErrorKind;
        match self {
            RestoreError::Input(_)
            | RestoreError::Corrupt { .. }
            | RestoreError::DataDirNotEmpty { .. }
            | RestoreError::NoTool(_)
            | RestoreError::Fs(_) => ErrorKind::Input,
            RestoreError::ToolFailed { .. } => ErrorKind::Failure,
        }
    }
}

/// etcd's snapshot integrity rule: the snapshot is a bbolt file (a whole
/// number of 512-byte sectors) followed by the SHA-256 of it, so a file
/// whose size is not `512·n + 32` is truncated or padded, and a digest
/// mismatch is corruption (etcdctl `snapshot restore`, v3.4
/// `clientv3/snapshot/v3_snapshot.go` `hasHash`; etcdutl v3.5 the same).
pub fn check_trailer(size: u64, body_sha256: &[u8], trailer: &[u8]) -> Result<(), String> {
    check_size(size)?;
    if body_sha256 != trailer {
        return Err("the SHA-256 etcd appended does not match the data: corrupted".into());
    }
    Ok(())
}

/// The size half of [`check_trailer`], checked before a byte is read.
pub fn check_size(size: u64) -> Result<(), String> {
    if size < 32 + 512 || size % 512 != 32 {
        return Err(format!(
            "{size} bytes is not a database followed by its SHA-256 (512·n + 32 bytes): truncated or not a snapshot"
        ));
    }
    Ok(())
}

/// One member's restore: its flags and its environment.
#[derive(Debug, Clone, Serialize)]
pub struct MemberRestore {
    /// Its name.
    pub name: String,
    /// Its peer URLs.
    pub peer_urls: Vec<String>,
    /// The member id it will have.
    pub member_id: MemberId,
    /// Its data directory.
    pub data_dir: PathBuf,
    /// The environment to start it with (`ETCD_INITIAL_CLUSTER_STATE=new`).
    pub env: MemberEnv,
}

/// The whole cluster's restore: identical flags on every member.
#[derive(Debug, Clone, Serialize)]
pub struct RestorePlan {
    /// `ETCD_INITIAL_CLUSTER`.
    pub initial_cluster: String,
    /// `ETCD_INITIAL_CLUSTER_TOKEN`.
    pub initial_cluster_token: String,
    /// The cluster id every member will agree on (new: the token differs
    /// from the old cluster's).
    pub cluster_id: MemberId,
    /// One entry per member.
    pub members: Vec<MemberRestore>,
}

/// The token of a restore when none is given: derived from the snapshot's
/// digest, so every host restoring the same file agrees without talking to
/// the others, and never the old cluster's (`k8s_etcd` on kubespray).
pub fn default_token(snapshot_sha256: &str) -> String {
    format!(
        "kubemagic-restore-{}",
        &snapshot_sha256[..snapshot_sha256.len().min(16)]
    )
}

/// The plan for every member of `initial_cluster`, each with `data_dir`.
pub fn plan(
    initial_cluster: &str,
    token: &str,
    data_dir: &Path,
) -> Result<RestorePlan, RestoreError> {
    let ic = member::parse_initial_cluster(initial_cluster)
        .map_err(|e| RestoreError::Input(format!("--initial-cluster: {e}")))?;
    if token.is_empty() {
        return Err(RestoreError::Input(
            "--initial-cluster-token is empty".into(),
        ));
    }
    let canonical = member::initial_cluster(ic.iter().map(|(n, u)| (n.as_str(), u.as_slice())));
    let members = ic
        .iter()
        .map(|(name, urls)| {
            let mut env = member::member_env(name, &canonical, ClusterState::New, token, urls);
            env.0
                .push(("ETCD_DATA_DIR".into(), data_dir.display().to_string()));
            MemberRestore {
                name: name.clone(),
                peer_urls: urls.clone(),
                member_id: member::bootstrap_member_id(urls, token),
                data_dir: data_dir.to_path_buf(),
                env,
            }
        })
        .collect();
    Ok(RestorePlan {
        initial_cluster: canonical,
        initial_cluster_token: token.to_string(),
        cluster_id: member::cluster_id_of(&ic, token),
        members,
    })
}

/// This member's entry of the plan, checked against its flags: the name
/// must be in the initial cluster with exactly the advertised peer URLs
/// (etcd refuses to start otherwise, after the restore is written).
pub fn this_member<'a>(
    plan: &'a RestorePlan,
    name: &str,
    advertise_peer_urls: &[String],
) -> Result<&'a MemberRestore, RestoreError> {
    let m = plan
        .members
        .iter()
        .find(|m| m.name == name)
        .ok_or_else(|| {
            RestoreError::Input(format!(
                "--name {name} is not in --initial-cluster ({})",
                plan.initial_cluster
            ))
        })?;
    if !member::same_urls(&m.peer_urls, advertise_peer_urls) {
        return Err(RestoreError::Input(format!(
            "--initial-advertise-peer-urls {} differs from {name}'s URLs in --initial-cluster ({})",
            advertise_peer_urls.join(","),
            m.peer_urls.join(",")
        )));
    }
    Ok(m)
}

/// The etcd tool that restores a snapshot, by release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Tool {
    /// etcd 3.5 and later: `etcdutl snapshot restore` (etcdctl's is
    /// deprecated there and removed in 3.6).
    Etcdutl {
        /// The binary.
        path: PathBuf,
        /// Its version.
        version: String,
    },
    /// etcd 3.4: `ETCDCTL_API=3 etcdctl snapshot restore`.
    Etcdctl {
        /// The binary.
        path: PathBuf,
        /// Its version.
        version: String,
    },
}

/// The version in `etcdutl version` / `etcdctl version` output
/// (`etcdctl version: 3.4.23`).
pub fn parse_tool_version(output: &str) -> Option<String> {
    output.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        (k.trim().ends_with("version") && !k.contains("API")).then(|| v.trim().to_string())
    })
}

/// Which tool to use from what was found: `etcdutl` when present (3.5+),
/// else an `etcdctl` of 3.4 or earlier (3.3's v3 API restores the same way).
pub fn choose_tool(
    etcdutl: Option<(PathBuf, String)>,
    etcdctl: Option<(PathBuf, String)>,
) -> Result<Tool, RestoreError> {
    if let Some((path, version)) = etcdutl {
        return Ok(Tool::Etcdutl { path, version });
    }
    match etcdctl {
        Some((path, version)) => Ok(Tool::Etcdctl { path, version }),
        None => Err(RestoreError::NoTool(
            "neither etcdutl (etcd 3.5+) nor etcdctl (etcd 3.4) found: give --bin-dir or put them on PATH"
                .into(),
        )),
    }
}

impl Tool {
    /// The binary.
    pub fn path(&self) -> &Path {
        match self {
            Tool::Etcdutl { path, .. } | Tool::Etcdctl { path, .. } => path,
        }
    }

    /// Arguments of `snapshot restore` for one member into `target`.
    pub fn restore_args(
        &self,
        snapshot: &Path,
        m: &MemberRestore,
        plan: &RestorePlan,
        target: &Path,
    ) -> Vec<OsString> {
        let mut a: Vec<OsString> = vec!["snapshot".into(), "restore".into(), snapshot.into()];
        for (flag, value) in [
            ("--name", m.name.clone()),
            ("--initial-cluster", plan.initial_cluster.clone()),
            (
                "--initial-cluster-token",
                plan.initial_cluster_token.clone(),
            ),
            ("--initial-advertise-peer-urls", m.peer_urls.join(",")),
        ] {
            a.push(flag.into());
            a.push(value.into());
        }
        a.push("--data-dir".into());
        a.push(target.into());
        a
    }
}

/// Where a non-empty data directory is moved: beside it, named with the
/// UTC time, never deleted.
pub fn aside_name(data_dir: &Path, utc: &str) -> PathBuf {
    let name = data_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "etcd".into());
    data_dir.with_file_name(format!("{name}.kubemagic-aside-{utc}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailer_rule_refuses_truncation_and_mismatch() {
        assert!(check_trailer(4096 + 32, b"a", b"a").is_ok());
        assert!(check_trailer(4096 + 31, b"a", b"a")
            .unwrap_err()
            .contains("truncated"));
        assert!(check_trailer(4096 + 32, b"a", b"b")
            .unwrap_err()
            .contains("corrupted"));
        assert!(check_trailer(32, b"a", b"a").is_err());
    }

    #[test]
    fn plan_gives_every_member_the_same_cluster_and_a_new_state() {
        let p = plan(
            "a=https://10.0.0.1:2380,b=https://10.0.0.2:2380,c=https://10.0.0.3:2380",
            "t1",
            Path::new("/var/lib/etcd"),
        )
        .unwrap();
        assert_eq!(p.members.len(), 3);
        for m in &p.members {
            assert_eq!(m.env.get("ETCD_INITIAL_CLUSTER_STATE"), Some("new"));
            assert_eq!(
                m.env.get("ETCD_INITIAL_CLUSTER"),
                Some(p.initial_cluster.as_str())
            );
            assert_eq!(m.env.get("ETCD_INITIAL_CLUSTER_TOKEN"), Some("t1"));
            assert_eq!(m.env.get("ETCD_DATA_DIR"), Some("/var/lib/etcd"));
        }
        let other = plan(&p.initial_cluster, "t2", Path::new("/x")).unwrap();
        assert_ne!(
            p.cluster_id, other.cluster_id,
            "a new token is a new cluster id"
        );
    }

    #[test]
    fn this_member_must_match_its_initial_cluster_entry() {
        let p = plan("a=http://127.0.0.1:2380", "t", Path::new("/d")).unwrap();
        assert!(this_member(&p, "a", &["http://127.0.0.1:2380".into()]).is_ok());
        assert!(this_member(&p, "b", &["http://127.0.0.1:2380".into()]).is_err());
        assert!(this_member(&p, "a", &["http://127.0.0.1:2381".into()]).is_err());
    }

    #[test]
    fn etcdutl_wins_when_present() {
        let u = Some((PathBuf::from("/b/etcdutl"), "3.5.1".to_string()));
        let c = Some((PathBuf::from("/b/etcdctl"), "3.5.1".to_string()));
        assert!(matches!(
            choose_tool(u, c.clone()).unwrap(),
            Tool::Etcdutl { .. }
        ));
        assert!(matches!(
            choose_tool(None, c).unwrap(),
            Tool::Etcdctl { .. }
        ));
        assert!(choose_tool(None, None).is_err());
        assert_eq!(
            parse_tool_version("etcdctl version: 3.4.23\nAPI version: 3.4\n").as_deref(),
            Some("3.4.23")
        );
    }

    #[test]
    fn default_token_is_the_snapshots_and_not_kubesprays() {
        let t = default_token("0123456789abcdef0123");
        assert_eq!(t, "kubemagic-restore-0123456789abcdef");
        assert_ne!(t, member::KUBESPRAY_TOKEN);
    }
}

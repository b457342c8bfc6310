//! `kubemagic etcd restore`: verify the snapshot, check the data
//! directory, restore with the release's own tool into a temporary
//! directory beside the target and rename it into place, so that an
//! interrupted restore never leaves a half-written data directory.
//! Decisions are [`crate::restore`]'s.

use crate::member::MemberEnv;
use crate::model::MemberId;
use crate::restore::{self, RestoreError, RestorePlan, RestoreRequest, Tool};
use kubemagic_core::RedactingWriter;
use serde::Serialize;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A snapshot that passed the integrity check.
#[derive(Debug, Clone, Serialize)]
pub struct SnapshotCheck {
    /// The file.
    pub path: PathBuf,
    /// Its size.
    pub size: u64,
    /// SHA-256 of the whole file, hex.
    pub sha256: String,
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Streams the snapshot once: its size must be a database plus the
/// 32-byte SHA-256 etcd appends, and the digest must match
/// ([`restore::check_trailer`]). Regular files only.
pub fn verify_snapshot(path: &Path) -> Result<SnapshotCheck, RestoreError> {
    use sha2::{Digest, Sha256};
    let (mut f, size) = kubemagic_fs::open_regular(path)?;
    let corrupt = |message: String| RestoreError::Corrupt {
        path: path.to_path_buf(),
        message,
    };
    restore::check_size(size).map_err(corrupt)?;
    let body_len = size - 32;
    let mut body = Sha256::new();
    let mut whole = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut read: u64 = 0;
    let mut trailer = Vec::with_capacity(32);
    loop {
        let n = f.read(&mut buf).map_err(|source| {
            RestoreError::Fs(kubemagic_fs::FsError::Io {
                path: path.to_path_buf(),
                source,
            })
        })?;
        if n == 0 {
            break;
        }
        let chunk = &buf[..n];
        whole.update(chunk);
        let in_body = body_len.saturating_sub(read).min(n as u64) as usize;
        body.update(&chunk[..in_body]);
        trailer.extend_from_slice(&chunk[in_body..]);
        read += n as u64;
    }
    if read != size {
        return Err(corrupt(format!(
            "changed while read ({size} bytes, then {read})"
        )));
    }
    restore::check_trailer(size, body.finalize().as_slice(), &trailer).map_err(corrupt)?;
    Ok(SnapshotCheck {
        path: path.to_path_buf(),
        size,
        sha256: hex(&whole.finalize()),
    })
}

/// Whether `dir` exists and holds anything.
/// Whether `dir` exists and holds anything but `lost+found` (the root of
/// a dedicated ext4 volume, as the seed advises for etcd, has one).
pub fn is_non_empty(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|rd| {
        rd.flatten()
            .any(|e| e.file_name() != std::ffi::OsStr::new(LOST_FOUND))
    })
}

const LOST_FOUND: &str = "lost+found";

/// Whether `dir` is a mount point (another device than its parent): a
/// dedicated volume cannot be renamed aside or replaced, so its restore
/// happens inside it.
pub fn is_mount_point(dir: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    match (std::fs::metadata(dir), std::fs::metadata(parent)) {
        (Ok(d), Ok(p)) => d.is_dir() && d.dev() != p.dev(),
        _ => false,
    }
}

/// On a mount point: moves everything but `lost+found` and `keep` into
/// `DIR/kubemagic-aside-TIME/` (same file system, so a rename), and
/// returns that directory.
fn move_contents_aside(dir: &Path, keep: &Path) -> Result<PathBuf, RestoreError> {
    let aside = dir.join(format!(
        "kubemagic-aside-{}",
        crate::maintain::timestamp(std::time::SystemTime::now())
    ));
    std::fs::create_dir(&aside).map_err(io_err(&aside))?;
    for e in std::fs::read_dir(dir).map_err(io_err(dir))?.flatten() {
        let p = e.path();
        if p == aside || p == keep || e.file_name() == std::ffi::OsStr::new(LOST_FOUND) {
            continue;
        }
        std::fs::rename(&p, aside.join(e.file_name())).map_err(io_err(&p))?;
    }
    Ok(aside)
}

/// Puts the tool's output `tmp` in place as `dir`: renamed over an absent
/// or emptied directory, or, on a mount point, its `member` directory
/// moved in. Returns where previous contents went.
fn put_in_place(
    tmp: &Path,
    dir: &Path,
    mounted: bool,
    non_empty: bool,
) -> Result<Option<PathBuf>, RestoreError> {
    if mounted {
        let aside = if non_empty {
            Some(move_contents_aside(dir, tmp)?)
        } else {
            None
        };
        let member = dir.join("member");
        std::fs::rename(tmp.join("member"), &member).map_err(io_err(&member))?;
        let _ = std::fs::remove_dir(tmp);
        return Ok(aside);
    }
    let mut aside = None;
    if dir.exists() {
        if non_empty || is_non_empty(dir) {
            let a = restore::aside_name(
                dir,
                &crate::maintain::timestamp(std::time::SystemTime::now()),
            );
            std::fs::rename(dir, &a).map_err(io_err(dir))?;
            aside = Some(a);
        } else {
            // An empty directory (created by the package, say): etcd's tools
            // want to create it, so it goes; nothing is lost.
            std::fs::remove_dir(dir).map_err(io_err(dir))?;
        }
    }
    std::fs::rename(tmp, dir).map_err(io_err(dir))?;
    Ok(aside)
}

fn version_of(path: &Path) -> Option<String> {
    let out = Command::new(path).arg("version").output().ok()?;
    out.status
        .success()
        .then(|| restore::parse_tool_version(&String::from_utf8_lossy(&out.stdout)))
        .flatten()
}

fn find_binary(name: &str, bin_dir: Option<&Path>) -> Option<PathBuf> {
    let dirs: Vec<PathBuf> = match bin_dir {
        Some(d) => vec![d.to_path_buf()],
        None => std::env::var_os("PATH")
            .map(|p| std::env::split_paths(&p).collect())
            .unwrap_or_default(),
    };
    dirs.into_iter()
        .map(|d| d.join(name))
        .find(|p| kubemagic_fs::is_regular(p))
}

/// The release's own restore tool, found in `bin_dir` or on `PATH`.
pub fn find_tool(bin_dir: Option<&Path>) -> Result<Tool, RestoreError> {
    let probe =
        |name: &str| find_binary(name, bin_dir).and_then(|p| version_of(&p).map(|v| (p, v)));
    // etcdctl is asked for its version only when there is no etcdutl.
    match probe("etcdutl") {
        Some(u) => restore::choose_tool(Some(u), None),
        None => restore::choose_tool(None, probe("etcdctl")),
    }
}

/// What a restore did.
#[derive(Debug, Clone, Serialize)]
pub struct RestoreReport {
    /// The verified snapshot.
    pub snapshot: SnapshotCheck,
    /// The tool that restored it.
    pub tool: Tool,
    /// The data directory written.
    pub data_dir: PathBuf,
    /// Where a previous data directory was moved, if one was.
    pub moved_aside: Option<PathBuf>,
    /// The cluster id the restored members will form.
    pub cluster_id: MemberId,
    /// This member's id.
    pub member_id: MemberId,
    /// `ETCD_INITIAL_CLUSTER_TOKEN` used.
    pub initial_cluster_token: String,
    /// The member's environment (`ETCD_INITIAL_CLUSTER_STATE=new`).
    pub env: MemberEnv,
    /// What the operator does next.
    pub next: Vec<String>,
}

/// The plan for every member (`--print-plan`): the snapshot is verified
/// first, since its digest names the default token.
pub fn print_plan(req: &RestoreRequest) -> Result<(SnapshotCheck, RestorePlan), RestoreError> {
    let check = verify_snapshot(&req.snapshot)?;
    let token = req
        .token
        .clone()
        .unwrap_or_else(|| restore::default_token(&check.sha256));
    let plan = restore::plan(&req.initial_cluster, &token, &req.data_dir)?;
    Ok((check, plan))
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> RestoreError + '_ {
    move |source| {
        RestoreError::Fs(kubemagic_fs::FsError::Io {
            path: path.to_path_buf(),
            source,
        })
    }
}

/// Restores one member: snapshot verified, arguments checked, data
/// directory empty (or moved aside with `move_aside`), the tool run into a
/// temporary sibling directory, renamed into place.
pub fn restore(req: &RestoreRequest) -> Result<RestoreReport, RestoreError> {
    let (check, plan) = print_plan(req)?;
    let m = restore::this_member(&plan, &req.name, &req.advertise_peer_urls)?.clone();
    let non_empty = is_non_empty(&req.data_dir);
    if non_empty && !req.move_aside {
        return Err(RestoreError::DataDirNotEmpty {
            path: req.data_dir.clone(),
        });
    }
    let tool = find_tool(req.bin_dir.as_deref())?;
    let parent = match req.data_dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(io_err(&parent))?;
    // A dedicated volume mounted at the data directory: restore inside it.
    let mounted = is_mount_point(&req.data_dir);
    let work_dir = if mounted {
        req.data_dir.clone()
    } else {
        parent.clone()
    };
    let tmp = work_dir.join(format!(
        ".{}.kubemagic-restoring-{}",
        req.data_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "etcd".into()),
        std::process::id()
    ));
    let out = Command::new(tool.path())
        .args(tool.restore_args(&req.snapshot, &m, &plan, &tmp))
        .env("ETCDCTL_API", "3")
        .output()
        .map_err(io_err(tool.path()))?;
    if !out.status.success() {
        return Err(RestoreError::ToolFailed {
            tool: tool.path().display().to_string(),
            status: out.status.to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    let moved_aside = put_in_place(&tmp, &req.data_dir, mounted, non_empty)?;
    if let Ok(d) = std::fs::File::open(&parent) {
        let _ = d.sync_all();
    }
    Ok(RestoreReport {
        snapshot: check,
        tool,
        data_dir: req.data_dir.clone(),
        moved_aside,
        cluster_id: plan.cluster_id,
        member_id: m.member_id,
        initial_cluster_token: plan.initial_cluster_token.clone(),
        next: vec![
            format!(
                "restore every member of ETCD_INITIAL_CLUSTER from this same snapshot with the same \
                 --initial-cluster and --initial-cluster-token ({})",
                plan.initial_cluster_token
            ),
            "start etcd on every member with its environment; they form the new cluster together".into(),
        ],
        env: m.env,
    })
}

// ---------------------------------------------------------------- writers

/// A restore as text: what was verified and written, the env lines.
pub fn write_restore_text<W: Write>(
    w: &mut RedactingWriter<W>,
    r: &RestoreReport,
) -> std::io::Result<()> {
    writeln!(
        w,
        "snapshot {} verified ({} bytes, sha256 {})",
        r.snapshot.path.display(),
        r.snapshot.size,
        r.snapshot.sha256
    )?;
    if let Some(a) = &r.moved_aside {
        writeln!(w, "previous data directory moved aside to {}", a.display())?;
    }
    let (tool, version) = match &r.tool {
        Tool::Etcdutl { path, version } | Tool::Etcdctl { path, version } => (path, version),
    };
    writeln!(
        w,
        "restored into {} with {} {version}: member {} of new cluster {}",
        r.data_dir.display(),
        tool.display(),
        r.member_id,
        r.cluster_id
    )?;
    writeln!(w, "# /etc/etcd.env lines for this member:")?;
    w.write_all(r.env.to_env_file().as_bytes())?;
    for n in &r.next {
        writeln!(w, "next: {n}")?;
    }
    Ok(())
}

/// `--print-plan` as text: the same flags for every member, one block each.
pub fn write_plan_text<W: Write>(
    w: &mut RedactingWriter<W>,
    check: &SnapshotCheck,
    plan: &RestorePlan,
    snapshot: &Path,
) -> std::io::Result<()> {
    writeln!(
        w,
        "snapshot {} verified ({} bytes, sha256 {})",
        check.path.display(),
        check.size,
        check.sha256
    )?;
    writeln!(
        w,
        "new cluster {} (token {}), {} members; on every member, etcd stopped:",
        plan.cluster_id,
        plan.initial_cluster_token,
        plan.members.len()
    )?;
    for m in &plan.members {
        writeln!(w)?;
        writeln!(w, "## {} ({})", m.name, m.member_id)?;
        writeln!(
            w,
            "kubemagic etcd restore --snapshot {} --name {} --initial-cluster {} --initial-advertise-peer-urls {} --initial-cluster-token {} --data-dir {} --move-aside",
            snapshot.display(),
            m.name,
            plan.initial_cluster,
            m.peer_urls.join(","),
            plan.initial_cluster_token,
            m.data_dir.display()
        )?;
        w.write_all(m.env.to_env_file().as_bytes())?;
    }
    Ok(())
}

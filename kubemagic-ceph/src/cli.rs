//! [`CephApi`] over the Ceph command line tools.
//!
//! Why the CLI and not librados (the `ceph` crate): librados needs
//! `librados-dev` at build time and links every kubemagic build (`make
//! run` included) against the exact librados of the build machine; the
//! `ceph` CLI is already on every Ceph admin host, speaks the same mon
//! commands with `--format json`, and its failures come with Ceph's own
//! messages. See docs/architecture-ceph.md.
//!
//! Every command is an argument vector passed to `std::process::Command`
//! (no shell), with `--conf` and `--keyring` of the caller: kubemagic never
//! reads `/etc/ceph` unless told to.

use crate::api::{CephApi, CephCommand, CrushRule, FsInfo, MonDump, OsdTree, PoolDetail, Program};
use crate::error::{CephError, Result};
use crate::model::{CephKey, Client, FsName, PoolName};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Seconds the tools wait for a monitor before giving up (instead of
/// hanging forever on an unreachable cluster).
pub const CONNECT_TIMEOUT_SECS: u32 = 20;

/// Where a wait on the monitors is named: the caller's
/// [`kubemagic_core::Progress`] (the CLI shows it on stderr after 2 s,
/// since the tools themselves stay silent until they time out); none by
/// default, as a library prints nothing.
#[derive(Clone, Copy, Default)]
pub struct ProgressHook(pub Option<&'static dyn kubemagic_core::Progress>);

impl std::fmt::Debug for ProgressHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "ProgressHook(set)"
        } else {
            "ProgressHook(none)"
        })
    }
}

/// Where progress goes is no part of a connection's identity.
impl PartialEq for ProgressHook {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for ProgressHook {}

/// How to reach a live cluster, as the operator gives it (CLI options,
/// Python arguments). [`Connection::open`] checks the files and returns the
/// client.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Connection {
    /// ceph.conf of the cluster (never `/etc/ceph` unless given).
    pub ceph_conf: Option<PathBuf>,
    /// Keyring of the admin client.
    pub keyring: Option<PathBuf>,
    /// `--name` of the admin client (the tools' default `client.admin`
    /// when `None`).
    pub name: Option<String>,
    /// Where to name the monitors awaited when one is slow to answer (the
    /// CLI passes its progress reporter).
    pub progress: ProgressHook,
}

/// The file exists and is a regular file (or a link to one): the error
/// names the file and says what is wrong with it ("no such file", "is a
/// directory"), clearer than what librados says through the tools.
pub fn check_file(path: &Path) -> Result<()> {
    let problem = match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => "is a directory",
        Ok(m) if m.is_file() => return Ok(()),
        Ok(_) => "is not a regular file",
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => "no such file",
        Err(source) => {
            return Err(CephError::Io {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    Err(CephError::File {
        path: path.to_path_buf(),
        problem,
    })
}

impl Connection {
    /// The client, after checking that the files exist and are files;
    /// `None` without `ceph_conf`.
    pub fn open(&self) -> Result<Option<CephCli>> {
        let Some(conf) = &self.ceph_conf else {
            if let Some(k) = &self.keyring {
                check_file(k)?;
            }
            return Ok(None);
        };
        for f in std::iter::once(conf).chain(self.keyring.as_ref()) {
            check_file(f)?;
        }
        let mut c = CephCli::new(conf, self.keyring.clone());
        c.name = self.name.clone();
        c.progress = self.progress;
        Ok(Some(c))
    }
}

/// `mon host` of a ceph.conf (`mon_host`, `mon-host` and `mon host` are the
/// same option to Ceph), for messages about unreachable monitors.
pub fn mon_host_of(conf: &Path) -> Option<String> {
    let text = kubemagic_fs::read_to_string(conf, kubemagic_fs::limits::MAX_SOURCE_BYTES).ok()?;
    text.lines().find_map(|l| {
        let (k, v) = l.split_once('=')?;
        let k: String = k
            .trim()
            .chars()
            .map(|c| if c == '_' || c == '-' { ' ' } else { c })
            .collect();
        (k == "mon host").then(|| v.trim().to_string())
    })
}

/// The `ceph`/`rbd`/`rados` tools with the caller's conf and keyring.
#[derive(Debug, Clone)]
pub struct CephCli {
    /// `--conf`.
    pub conf: PathBuf,
    /// `--keyring`.
    pub keyring: Option<PathBuf>,
    /// `--name`, e.g. `client.admin` (the tools' default when `None`).
    pub name: Option<String>,
    /// The `ceph` program.
    pub ceph_bin: PathBuf,
    /// The `rbd` program.
    pub rbd_bin: PathBuf,
    /// The `rados` program.
    pub rados_bin: PathBuf,
    /// Where a slow answer is named (see [`Connection`]).
    pub progress: ProgressHook,
    /// Seconds to wait for a monitor ([`CONNECT_TIMEOUT_SECS`]).
    pub connect_timeout_secs: u32,
}

impl CephCli {
    /// The tools found on `PATH`, with `conf` and `keyring`.
    pub fn new(conf: impl Into<PathBuf>, keyring: Option<PathBuf>) -> Self {
        CephCli {
            conf: conf.into(),
            keyring,
            name: None,
            ceph_bin: "ceph".into(),
            rbd_bin: "rbd".into(),
            rados_bin: "rados".into(),
            progress: ProgressHook(None),
            connect_timeout_secs: CONNECT_TIMEOUT_SECS,
        }
    }

    /// The monitors of the conf, for messages (`?` when unreadable).
    fn monitors(&self) -> String {
        mon_host_of(&self.conf).unwrap_or_else(|| "?".into())
    }

    fn base(&self, program: &PathBuf) -> Command {
        let mut c = Command::new(program);
        c.arg("--conf").arg(&self.conf);
        if let Some(k) = &self.keyring {
            c.arg("--keyring").arg(k);
        }
        if let Some(n) = &self.name {
            c.arg("--name").arg(n);
        }
        let secs = self.connect_timeout_secs.to_string();
        if program == &self.ceph_bin {
            c.arg("--connect-timeout").arg(&secs);
        } else {
            c.arg("--client_mount_timeout").arg(&secs);
        }
        c.stdin(std::process::Stdio::null());
        c
    }

    fn output(&self, program: &PathBuf, args: &[&str]) -> Result<(String, Output)> {
        let mut cmd = self.base(program);
        cmd.args(args);
        let shown = format!(
            "{} {}",
            program
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default(),
            args.join(" ")
        );
        cmd.stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let child = cmd.spawn().map_err(|source| CephError::Spawn {
            program: program.display().to_string(),
            source,
        })?;
        // A step on the caller's progress: a slow monitor is named after a
        // moment instead of 20 silent seconds.
        let waited = {
            let _step = self.progress.0.map(|p| {
                kubemagic_core::progress::step(
                    p,
                    &format!(
                        "waiting for the Ceph monitors at {} (`{shown}`, gives up after {} s)",
                        self.monitors(),
                        self.connect_timeout_secs
                    ),
                )
            });
            child.wait_with_output()
        };
        let out = waited.map_err(|source| CephError::Spawn {
            program: program.display().to_string(),
            source,
        })?;
        if !out.status.success() && is_timeout(&out) {
            return Err(CephError::Unreachable {
                command: shown,
                monitors: self.monitors(),
                conf: self.conf.clone(),
                seconds: self.connect_timeout_secs,
            });
        }
        Ok((shown, out))
    }

    fn checked(&self, program: &PathBuf, args: &[&str]) -> Result<Vec<u8>> {
        let (shown, out) = self.output(program, args)?;
        if !out.status.success() {
            return Err(command_error(shown, &out));
        }
        Ok(out.stdout)
    }

    fn json<T: DeserializeOwned>(&self, args: &[&str]) -> Result<T> {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--format", "json"]);
        let stdout = self.checked(&self.ceph_bin, &all)?;
        serde_json::from_slice(&stdout).map_err(|source| CephError::Json {
            command: format!("ceph {}", args.join(" ")),
            source,
        })
    }
}

/// A fresh directory only we can read (0700), for the probe's keyring.
fn private_dir() -> Result<PathBuf> {
    use std::os::unix::fs::DirBuilderExt;
    let base = std::env::temp_dir();
    for n in 0..100u32 {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let dir = base.join(format!(
            "kubemagic-probe-{}-{nanos}-{n}",
            std::process::id()
        ));
        match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(source) => return Err(CephError::Io { path: dir, source }),
        }
    }
    Err(CephError::Request(
        "cannot create a private temporary directory".into(),
    ))
}

fn command_error(command: String, out: &Output) -> CephError {
    CephError::Command {
        command,
        status: out
            .status
            .code()
            .map(|c| c.to_string())
            .unwrap_or_else(|| "signal".into()),
        stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
    }
}

/// The tools' "could not reach a monitor" (`timed out`, errno 110).
fn is_timeout(out: &Output) -> bool {
    let e = String::from_utf8_lossy(&out.stderr);
    e.contains("timed out") || e.contains("TimedOut") || e.contains("(110)")
}

/// ENOENT as the ceph tools report it (`Error ENOENT: ...`, `(2) No such
/// file or directory`).
fn is_enoent(out: &Output) -> bool {
    let e = String::from_utf8_lossy(&out.stderr);
    out.status.code() == Some(2) || e.contains("ENOENT") || e.contains("(2) No such file")
}

#[derive(Deserialize)]
struct AuthEntry {
    entity: String,
    key: String,
    #[serde(default)]
    caps: std::collections::BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct OsdStat {
    num_osds: u32,
    #[serde(default)]
    num_in_osds: u32,
}

#[derive(Deserialize)]
struct GroupEntry {
    name: String,
}

impl CephApi for CephCli {
    fn mon_dump(&self) -> Result<MonDump> {
        self.json(&["mon", "dump"])
    }

    fn pools(&self) -> Result<Vec<PoolDetail>> {
        self.json(&["osd", "pool", "ls", "detail"])
    }

    fn osd_count(&self) -> Result<u32> {
        Ok(self.json::<OsdStat>(&["osd", "stat"])?.num_osds)
    }

    fn crush_rules(&self) -> Result<Vec<CrushRule>> {
        self.json(&["osd", "crush", "rule", "dump"])
    }

    fn osd_tree(&self) -> Result<OsdTree> {
        self.json(&["osd", "tree"])
    }

    fn rbd_pool_initialised(&self, pool: &PoolName) -> Result<bool> {
        let (shown, out) = self.output(
            &self.rados_bin,
            &["--pool", pool.as_str(), "stat", "rbd_info"],
        )?;
        if out.status.success() {
            Ok(true)
        } else if is_enoent(&out) {
            Ok(false)
        } else {
            Err(command_error(shown, &out))
        }
    }

    fn auth_get(&self, entity: &str) -> Result<Option<Client>> {
        let args = ["auth", "get", entity, "--format", "json"];
        let (shown, out) = self.output(&self.ceph_bin, &args)?;
        if !out.status.success() {
            return if is_enoent(&out) {
                Ok(None)
            } else {
                Err(command_error(shown, &out))
            };
        }
        let entries: Vec<AuthEntry> =
            serde_json::from_slice(&out.stdout).map_err(|source| CephError::Json {
                command: shown,
                source,
            })?;
        Ok(entries
            .into_iter()
            .find(|e| e.entity == entity)
            .map(|e| Client {
                entity: e.entity,
                caps: e.caps,
                key: Some(CephKey::new(e.key)),
            }))
    }

    fn fs_ls(&self) -> Result<Vec<FsInfo>> {
        self.json(&["fs", "ls"])
    }

    fn subvolume_groups(&self, fs: &FsName) -> Result<Vec<String>> {
        let groups: Vec<GroupEntry> = self.json(&["fs", "subvolumegroup", "ls", fs.as_str()])?;
        Ok(groups.into_iter().map(|g| g.name).collect())
    }

    fn execute_removal(&self, cmd: &CephCommand) -> Result<bool> {
        let program = match cmd.program {
            Program::Ceph => &self.ceph_bin,
            Program::Rbd => &self.rbd_bin,
        };
        let args: Vec<&str> = cmd.args.iter().map(String::as_str).collect();
        let (shown, out) = self.output(program, &args)?;
        if out.status.success() {
            Ok(true)
        } else if is_enoent(&out) {
            Ok(false)
        } else {
            Err(command_error(shown, &out))
        }
    }

    fn rbd_images(&self, pool: &str) -> Result<Vec<String>> {
        let args = ["ls", "--pool", pool, "--format", "json"];
        let stdout = self.checked(&self.rbd_bin, &args)?;
        serde_json::from_slice(&stdout).map_err(|source| CephError::Json {
            command: format!("rbd {}", args.join(" ")),
            source,
        })
    }

    fn rbd_snapshots(&self, pool: &str, image: &str) -> Result<Vec<String>> {
        let spec = format!("{pool}/{image}");
        let args = ["snap", "ls", spec.as_str(), "--format", "json"];
        let stdout = self.checked(&self.rbd_bin, &args)?;
        let snaps: Vec<GroupEntry> =
            serde_json::from_slice(&stdout).map_err(|source| CephError::Json {
                command: format!("rbd {}", args.join(" ")),
                source,
            })?;
        Ok(snaps.into_iter().map(|g| g.name).collect())
    }

    fn subvolumes(&self, fs: &str, group: &str) -> Result<Vec<String>> {
        let args = [
            "fs",
            "subvolume",
            "ls",
            fs,
            "--group_name",
            group,
            "--format",
            "json",
        ];
        let (shown, out) = self.output(&self.ceph_bin, &args)?;
        if !out.status.success() {
            return if is_enoent(&out) {
                Ok(vec![])
            } else {
                Err(command_error(shown, &out))
            };
        }
        let subs: Vec<GroupEntry> =
            serde_json::from_slice(&out.stdout).map_err(|source| CephError::Json {
                command: shown,
                source,
            })?;
        Ok(subs.into_iter().map(|g| g.name).collect())
    }

    fn subvolume_snapshots(&self, fs: &str, group: &str, name: &str) -> Result<Vec<String>> {
        let snaps: Vec<GroupEntry> = self.json(&[
            "fs",
            "subvolume",
            "snapshot",
            "ls",
            fs,
            name,
            "--group_name",
            group,
        ])?;
        Ok(snaps.into_iter().map(|g| g.name).collect())
    }

    fn health_detail(&self) -> Result<crate::api::HealthDetail> {
        self.json(&["health", "detail"])
    }

    fn config_get(&self, who: &str, option: &str) -> Result<serde_json::Value> {
        self.json(&["config", "get", who, option])
    }

    fn osds_in(&self) -> Result<u32> {
        Ok(self.json::<OsdStat>(&["osd", "stat"])?.num_in_osds)
    }

    fn pool_usage(&self) -> Result<Vec<crate::api::PoolUsage>> {
        Ok(self
            .json::<crate::api::DfDetailPub>(&["df", "detail"])?
            .pools)
    }

    fn execute_as(&self, entity: &str, key: &CephKey, cmd: &CephCommand) -> Result<()> {
        let dir = private_dir()?;
        let keyring = dir.join("probe.keyring");
        let text = format!("[{entity}]\n\tkey = {}\n", key.expose());
        let written = kubemagic_fs::write_atomic(&keyring, text.as_bytes(), 0o600);
        let as_user = CephCli {
            keyring: Some(keyring.clone()),
            name: Some(entity.to_string()),
            ..self.clone()
        };
        let result = written
            .map_err(CephError::from)
            .and_then(|()| as_user.execute(cmd));
        let _ = std::fs::remove_dir_all(&dir);
        result
    }

    fn execute(&self, cmd: &CephCommand) -> Result<()> {
        let program = match cmd.program {
            Program::Ceph => &self.ceph_bin,
            Program::Rbd => &self.rbd_bin,
        };
        let args: Vec<&str> = cmd.args.iter().map(String::as_str).collect();
        // stdout is dropped: `auth get-or-create` prints the new key there.
        self.checked(program, &args).map(drop)
    }
}

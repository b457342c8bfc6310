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

use crate::api::{CephApi, CephCommand, FsInfo, MonDump, PoolDetail, Program};
use crate::error::{CephError, Result};
use crate::model::{CephKey, Client, FsName, PoolName};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::path::PathBuf;
use std::process::{Command, Output};

/// Seconds the tools wait for a monitor before giving up (instead of
/// hanging forever on an unreachable cluster).
const CONNECT_TIMEOUT_SECS: &str = "20";

#[derive(Debug, Clone)]
pub struct CephCli {
    pub conf: PathBuf,
    pub keyring: Option<PathBuf>,
    /// `--name`, e.g. `client.admin` (the tools' default when `None`).
    pub name: Option<String>,
    pub ceph_bin: PathBuf,
    pub rbd_bin: PathBuf,
    pub rados_bin: PathBuf,
}

impl CephCli {
    pub fn new(conf: impl Into<PathBuf>, keyring: Option<PathBuf>) -> Self {
        CephCli {
            conf: conf.into(),
            keyring,
            name: None,
            ceph_bin: "ceph".into(),
            rbd_bin: "rbd".into(),
            rados_bin: "rados".into(),
        }
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
        if program == &self.ceph_bin {
            c.arg("--connect-timeout").arg(CONNECT_TIMEOUT_SECS);
        } else {
            c.arg("--client_mount_timeout").arg(CONNECT_TIMEOUT_SECS);
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
        let out = cmd.output().map_err(|source| CephError::Spawn {
            program: program.display().to_string(),
            source,
        })?;
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

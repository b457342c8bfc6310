//! The Ceph I/O boundary: every question asked of a live cluster and every
//! change made to it goes through [`CephApi`]. Planning and rendering take
//! plain values, so they are tested without Ceph; [`crate::cli::CephCli`]
//! implements the trait over the `ceph`/`rbd`/`rados` commands.

use crate::error::Result;
use crate::model::{CephCluster, Client, FsName, MonAddr, Monitor, MsgrVersion, Pool, PoolName};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Which Ceph command line tool a [`CephCommand`] runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Program {
    Ceph,
    Rbd,
}

/// One Ceph command as an argument vector (never a shell string). Its
/// `Display` is the shell-quoted line an operator would type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CephCommand {
    pub program: Program,
    pub args: Vec<String>,
}

impl CephCommand {
    pub fn ceph<I: IntoIterator<Item = S>, S: Into<String>>(args: I) -> Self {
        CephCommand {
            program: Program::Ceph,
            args: args.into_iter().map(Into::into).collect(),
        }
    }
    pub fn rbd<I: IntoIterator<Item = S>, S: Into<String>>(args: I) -> Self {
        CephCommand {
            program: Program::Rbd,
            args: args.into_iter().map(Into::into).collect(),
        }
    }
}

impl fmt::Display for CephCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let program = match self.program {
            Program::Ceph => "ceph",
            Program::Rbd => "rbd",
        };
        let words = std::iter::once(program).chain(self.args.iter().map(String::as_str));
        // Arguments come from validated names and fixed caps; quoting can
        // only fail on a NUL byte, which no such value holds.
        let line = shlex::try_join(words).unwrap_or_else(|_| "<unprintable command>".into());
        f.write_str(&line)
    }
}

/// `ceph mon dump --format json`.
#[derive(Debug, Clone, Deserialize)]
pub struct MonDump {
    pub fsid: String,
    pub mons: Vec<MonDumpEntry>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct MonDumpEntry {
    pub name: String,
    pub public_addrs: AddrVec,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AddrVec {
    pub addrvec: Vec<AddrVecEntry>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AddrVecEntry {
    #[serde(rename = "type")]
    pub kind: String,
    pub addr: String,
}

impl MonDump {
    /// Monitors with their v1/v2 addresses; unknown address types
    /// (`any`, `none`) and unparsable addresses are skipped.
    pub fn monitors(&self) -> Vec<Monitor> {
        self.mons
            .iter()
            .map(|m| Monitor {
                name: m.name.clone(),
                addrs: m
                    .public_addrs
                    .addrvec
                    .iter()
                    .filter_map(|a| {
                        let version = match a.kind.as_str() {
                            "v1" => MsgrVersion::V1,
                            "v2" => MsgrVersion::V2,
                            _ => return None,
                        };
                        Some(MonAddr {
                            version,
                            addr: a.addr.parse().ok()?,
                        })
                    })
                    .collect(),
            })
            .collect()
    }
}

/// One entry of `ceph osd pool ls detail --format json`.
#[derive(Debug, Clone, Deserialize)]
pub struct PoolDetail {
    pub pool_name: String,
    pub pg_num: u32,
    pub size: u32,
    #[serde(default)]
    pub application_metadata: serde_json::Map<String, serde_json::Value>,
}

/// One entry of `ceph fs ls --format json`.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct FsInfo {
    pub name: String,
    pub metadata_pool: String,
    #[serde(default)]
    pub data_pools: Vec<String>,
}

/// What kubemagic asks of and does to a Ceph cluster.
pub trait CephApi {
    fn mon_dump(&self) -> Result<MonDump>;
    fn pools(&self) -> Result<Vec<PoolDetail>>;
    fn osd_count(&self) -> Result<u32>;
    /// Whether `rbd pool init` has run on the pool (its `rbd_info` object
    /// exists).
    fn rbd_pool_initialised(&self, pool: &PoolName) -> Result<bool>;
    /// `ceph auth get ENTITY`; `None` when the entity does not exist.
    fn auth_get(&self, entity: &str) -> Result<Option<Client>>;
    fn fs_ls(&self) -> Result<Vec<FsInfo>>;
    fn subvolume_groups(&self, fs: &FsName) -> Result<Vec<String>>;
    /// Runs one mutating command.
    fn execute(&self, cmd: &CephCommand) -> Result<()>;

    /// The live cluster as a model: fsid, monitors, pools, OSD count.
    fn cluster(&self) -> Result<CephCluster> {
        let dump = self.mon_dump()?;
        let pools = self
            .pools()?
            .into_iter()
            .map(|p| Pool {
                name: p.pool_name,
                pg_num: Some(p.pg_num),
                size: Some(p.size),
                application: p.application_metadata.keys().next().cloned(),
            })
            .collect();
        Ok(CephCluster {
            fsid: Some(dump.fsid.clone()),
            monitors: dump.monitors(),
            pools,
            clients: vec![],
            osd_count: Some(self.osd_count()?),
            public_networks: vec![],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mon_dump_json_gives_v1_and_v2_addresses() {
        let json = r#"{"epoch":1,"fsid":"8ea25b82-518c-4114-9aaf-d0c02cbe6c81","mons":[{"rank":0,"name":"a","public_addrs":{"addrvec":[{"type":"v2","addr":"127.0.0.1:21445","nonce":0},{"type":"v1","addr":"127.0.0.1:21444","nonce":0}]},"addr":"127.0.0.1:21444/0"},{"rank":1,"name":"b","public_addrs":{"addrvec":[{"type":"v2","addr":"[fd00::2]:3300","nonce":0},{"type":"v1","addr":"[fd00::2]:6789","nonce":0}]}}],"quorum":[0,1]}"#;
        let dump: MonDump = serde_json::from_str(json).unwrap();
        let mons = dump.monitors();
        assert_eq!(mons[0].v1().unwrap().host_port(), "127.0.0.1:21444");
        assert_eq!(mons[1].v1().unwrap().host_port(), "[fd00::2]:6789");
        assert_eq!(mons[1].addrs[0].version, MsgrVersion::V2);
    }

    #[test]
    fn commands_print_shell_quoted() {
        let c = CephCommand::ceph(["auth", "caps", "client.kube", "mon", "profile rbd"]);
        assert_eq!(
            c.to_string(),
            "ceph auth caps client.kube mon 'profile rbd'"
        );
    }
}

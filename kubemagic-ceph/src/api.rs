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
    /// The `ceph` tool.
    Ceph,
    /// The `rbd` tool.
    Rbd,
}

/// One Ceph command as an argument vector (never a shell string). Its
/// `Display` is the shell-quoted line an operator would type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CephCommand {
    /// Which tool runs it.
    pub program: Program,
    /// Its arguments, unquoted.
    pub args: Vec<String>,
}

impl CephCommand {
    /// A `ceph ARGS` command.
    pub fn ceph<I: IntoIterator<Item = S>, S: Into<String>>(args: I) -> Self {
        CephCommand {
            program: Program::Ceph,
            args: args.into_iter().map(Into::into).collect(),
        }
    }
    /// An `rbd ARGS` command.
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
    /// The cluster fsid.
    pub fsid: String,
    /// The monitors, by rank.
    pub mons: Vec<MonDumpEntry>,
}

#[derive(Debug, Clone, Deserialize)]
/// One monitor of `mon dump`.
pub struct MonDumpEntry {
    /// The monitor's name (`a`, the host name).
    pub name: String,
    /// Its public addresses.
    pub public_addrs: AddrVec,
}

#[derive(Debug, Clone, Deserialize)]
/// An address vector: the v2 and v1 addresses of one daemon.
pub struct AddrVec {
    /// The addresses.
    pub addrvec: Vec<AddrVecEntry>,
}

#[derive(Debug, Clone, Deserialize)]
/// One address of an address vector.
pub struct AddrVecEntry {
    #[serde(rename = "type")]
    /// `v1`, `v2` (or `any`/`none`, skipped).
    pub kind: String,
    /// `IP:PORT`, IPv6 bracketed.
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
                origin: None,
            })
            .collect()
    }
}

/// One entry of `ceph osd pool ls detail --format json`.
#[derive(Debug, Clone, Deserialize)]
pub struct PoolDetail {
    /// The pool's name.
    pub pool_name: String,
    /// Its current pg_num.
    pub pg_num: u32,
    /// Its replica count.
    pub size: u32,
    /// The id of the pool's CRUSH rule.
    #[serde(default)]
    pub crush_rule: Option<u32>,
    #[serde(default)]
    /// Applications enabled on it (`rbd`, `cephfs`).
    pub application_metadata: serde_json::Map<String, serde_json::Value>,
}

/// One rule of `ceph osd crush rule dump --format json`.
#[derive(Debug, Clone, Deserialize)]
pub struct CrushRule {
    /// The id pools refer to (`crush_rule` of `osd pool ls detail`).
    pub rule_id: u32,
    /// The rule's name (`replicated_rule`).
    pub rule_name: String,
    /// take / choose(leaf)_firstn|indep / emit.
    #[serde(default)]
    pub steps: Vec<CrushStep>,
}

/// One step of a CRUSH rule.
#[derive(Debug, Clone, Deserialize)]
pub struct CrushStep {
    /// `take`, `chooseleaf_firstn`, `choose_indep`, `emit`...
    pub op: String,
    /// The bucket type a choose step selects (`host`, `osd`, `rack`).
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
}

impl CrushRule {
    /// The type the rule spreads replicas across: the type of its last
    /// choose step (`chooseleaf_firstn 0 type host` → `host`).
    pub fn failure_domain(&self) -> Option<&str> {
        self.steps
            .iter()
            .filter(|s| s.op.starts_with("choose"))
            .filter_map(|s| s.kind.as_deref())
            .next_back()
    }
}

/// `ceph osd tree --format json`: the CRUSH hierarchy.
#[derive(Debug, Clone, Deserialize)]
pub struct OsdTree {
    /// Buckets (negative ids) and OSDs (ids ≥ 0).
    pub nodes: Vec<OsdTreeNode>,
}

/// One bucket or OSD of [`OsdTree`].
#[derive(Debug, Clone, Deserialize)]
pub struct OsdTreeNode {
    /// Negative for buckets, the OSD number for OSDs.
    pub id: i64,
    /// `default`, `ceph1`, `osd.0`.
    pub name: String,
    /// `root`, `host`, `osd`...
    #[serde(rename = "type")]
    pub kind: String,
    /// Ids of the children of a bucket.
    #[serde(default)]
    pub children: Vec<i64>,
}

impl OsdTree {
    /// How many buckets of each type hold at least one OSD: what replicas
    /// can spread across (an empty host bucket holds no replica).
    pub fn failure_domains(&self) -> std::collections::BTreeMap<String, u32> {
        use std::collections::{BTreeMap, HashMap};
        let by_id: HashMap<i64, &OsdTreeNode> = self.nodes.iter().map(|n| (n.id, n)).collect();
        fn holds_osd(id: i64, by_id: &HashMap<i64, &OsdTreeNode>, depth: u32) -> bool {
            if id >= 0 {
                return true;
            }
            // A malformed tree with a cycle must not recurse forever.
            depth < 32
                && by_id
                    .get(&id)
                    .is_some_and(|n| n.children.iter().any(|c| holds_osd(*c, by_id, depth + 1)))
        }
        let mut out: BTreeMap<String, u32> = BTreeMap::new();
        for n in &self.nodes {
            if holds_osd(n.id, &by_id, 0) {
                *out.entry(n.kind.clone()).or_default() += 1;
            }
        }
        out
    }
}

/// One entry of `ceph fs ls --format json`.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct FsInfo {
    /// The file system's name.
    pub name: String,
    /// Its metadata pool.
    pub metadata_pool: String,
    #[serde(default)]
    /// Its data pools.
    pub data_pools: Vec<String>,
}

/// `ceph health detail --format json`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct HealthDetail {
    /// `HEALTH_OK`, `HEALTH_WARN`, `HEALTH_ERR`.
    pub status: String,
    /// The raised checks by name (`OSD_NEARFULL`, `MON_CLOCK_SKEW`...).
    #[serde(default)]
    pub checks: std::collections::BTreeMap<String, HealthCheck>,
}

/// One raised health check.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct HealthCheck {
    /// `HEALTH_WARN` or `HEALTH_ERR`.
    pub severity: String,
    /// The one-line summary.
    pub summary: HealthMessage,
    /// The detail lines (one per OSD, pool, PG...).
    #[serde(default)]
    pub detail: Vec<HealthMessage>,
    /// Muted by an operator (`ceph health mute`).
    #[serde(default)]
    pub muted: bool,
}

/// A health message.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct HealthMessage {
    /// Its text.
    pub message: String,
}

/// One pool of `ceph df detail --format json`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct PoolUsage {
    /// The pool.
    pub name: String,
    /// Its usage.
    pub stats: PoolStats,
}

/// A pool's usage and quota.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct PoolStats {
    /// Bytes stored (before replication).
    #[serde(default)]
    pub stored: u64,
    /// Bytes that can still be written, given the fullest OSD.
    #[serde(default)]
    pub max_avail: u64,
    /// `max_bytes` quota (0: none).
    #[serde(default)]
    pub quota_bytes: u64,
}

/// `ceph df detail --format json` (its pools only).
#[derive(Debug, Clone, Deserialize)]
pub struct DfDetailPub {
    /// The pools' usage.
    #[serde(default)]
    pub pools: Vec<PoolUsage>,
}

/// What kubemagic asks of and does to a Ceph cluster.
pub trait CephApi {
    /// `ceph health detail`.
    fn health_detail(&self) -> Result<HealthDetail>;
    /// `ceph config get WHO OPTION`, as the JSON value Ceph prints.
    fn config_get(&self, who: &str, option: &str) -> Result<serde_json::Value>;
    /// `ceph osd stat`'s count of OSDs `in`.
    fn osds_in(&self) -> Result<u32>;
    /// `ceph df detail`'s pools.
    fn pool_usage(&self) -> Result<Vec<PoolUsage>>;
    /// Runs one command as another entity with its own key (the live
    /// probe: what ceph-csi's user may do); the key goes in a keyring file
    /// readable only by us, never on a command line.
    fn execute_as(
        &self,
        entity: &str,
        key: &crate::model::CephKey,
        cmd: &CephCommand,
    ) -> Result<()>;

    /// The PG budget's inputs ([`crate::budget`]), asked concurrently.
    fn pg_budget(&self) -> Result<crate::budget::PgBudget>
    where
        Self: Sync,
    {
        let num = |v: serde_json::Value| -> u64 {
            v.as_u64()
                .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
                .unwrap_or(0)
        };
        std::thread::scope(|s| {
            let max = s.spawn(|| self.config_get("mon", "mon_max_pg_per_osd"));
            let size = s.spawn(|| self.config_get("mon", "osd_pool_default_size"));
            let pgs = s.spawn(|| self.config_get("mon", "osd_pool_default_pg_num"));
            let osds = s.spawn(|| self.osds_in());
            let pools = s.spawn(|| self.pools());
            fn j<T>(r: std::thread::Result<T>) -> T {
                r.unwrap_or_else(|p| std::panic::resume_unwind(p))
            }
            let in_use = j(pools.join())?
                .iter()
                .map(|p| u64::from(p.pg_num) * u64::from(p.size))
                .sum();
            Ok(crate::budget::PgBudget {
                max_per_osd: num(j(max.join())?),
                osds_in: j(osds.join())?,
                in_use,
                default_size: u32::try_from(num(j(size.join())?)).unwrap_or(3),
                default_pg_num: u32::try_from(num(j(pgs.join())?)).unwrap_or(32),
            })
        })
    }

    /// `ceph mon dump`.
    fn mon_dump(&self) -> Result<MonDump>;
    /// `ceph osd pool ls detail`.
    fn pools(&self) -> Result<Vec<PoolDetail>>;
    /// `ceph osd stat`'s OSD count.
    fn osd_count(&self) -> Result<u32>;
    /// `ceph osd crush rule dump`.
    fn crush_rules(&self) -> Result<Vec<CrushRule>>;
    /// `ceph osd tree`.
    fn osd_tree(&self) -> Result<OsdTree>;
    /// Whether `rbd pool init` has run on the pool (its `rbd_info` object
    /// exists).
    fn rbd_pool_initialised(&self, pool: &PoolName) -> Result<bool>;
    /// `ceph auth get ENTITY`; `None` when the entity does not exist.
    fn auth_get(&self, entity: &str) -> Result<Option<Client>>;
    /// `ceph fs ls`.
    fn fs_ls(&self) -> Result<Vec<FsInfo>>;
    /// `ceph fs subvolumegroup ls FS`.
    fn subvolume_groups(&self, fs: &FsName) -> Result<Vec<String>>;
    /// Runs one mutating command.
    fn execute(&self, cmd: &CephCommand) -> Result<()>;
    /// Runs one removal; `Ok(false)` when its object was already gone
    /// (ENOENT), so that a second cleanup succeeds doing nothing.
    fn execute_removal(&self, cmd: &CephCommand) -> Result<bool>;
    /// `rbd ls POOL`: image names.
    fn rbd_images(&self, pool: &str) -> Result<Vec<String>>;
    /// `rbd snap ls POOL/IMAGE`: snapshot names.
    fn rbd_snapshots(&self, pool: &str, image: &str) -> Result<Vec<String>>;
    /// `ceph fs subvolume ls FS --group_name GROUP`; empty when the group
    /// does not exist.
    fn subvolumes(&self, fs: &str, group: &str) -> Result<Vec<String>>;
    /// `ceph fs subvolume snapshot ls FS NAME --group_name GROUP`.
    fn subvolume_snapshots(&self, fs: &str, group: &str, name: &str) -> Result<Vec<String>>;

    /// The live cluster as a model: fsid, monitors, pools (with their
    /// rule's failure domain), OSD count, failure domains. The five
    /// questions are independent `ceph` calls: asked concurrently, they cost
    /// about one call's time.
    fn cluster(&self) -> Result<CephCluster>
    where
        Self: Sync,
    {
        let (dump, rules, pools, osd_count, tree) = std::thread::scope(|s| {
            let dump = s.spawn(|| self.mon_dump());
            let rules = s.spawn(|| self.crush_rules());
            let pools = s.spawn(|| self.pools());
            let osds = s.spawn(|| self.osd_count());
            let tree = s.spawn(|| self.osd_tree());
            fn j<T>(r: std::thread::Result<T>) -> T {
                r.unwrap_or_else(|p| std::panic::resume_unwind(p))
            }
            (
                j(dump.join()),
                j(rules.join()),
                j(pools.join()),
                j(osds.join()),
                j(tree.join()),
            )
        });
        let (dump, rules, pools, osd_count, tree) = (dump?, rules?, pools?, osd_count?, tree?);
        let domain_of = |id: Option<u32>| {
            rules
                .iter()
                .find(|r| Some(r.rule_id) == id)
                .and_then(|r| r.failure_domain())
                .map(str::to_string)
        };
        let pools = pools
            .into_iter()
            .map(|p| Pool {
                failure_domain: domain_of(p.crush_rule),
                name: p.pool_name,
                pg_num: Some(p.pg_num),
                size: Some(p.size),
                application: p.application_metadata.keys().next().cloned(),
                origin: None,
            })
            .collect();
        Ok(CephCluster {
            fsid: Some(dump.fsid.clone()),
            monitors: dump.monitors(),
            pools,
            clients: vec![],
            osd_count: Some(osd_count),
            failure_domains: tree.failure_domains(),
            public_networks: vec![],
            origins: Default::default(),
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
    fn crush_rule_and_tree_give_failure_domains() {
        let rules: Vec<CrushRule> = serde_json::from_str(r#"[{"rule_id":0,"rule_name":"replicated_rule","type":1,"steps":[{"op":"take","item":-1,"item_name":"default"},{"op":"chooseleaf_firstn","num":0,"type":"host"},{"op":"emit"}]}]"#).unwrap();
        assert_eq!(rules[0].failure_domain(), Some("host"));
        let tree: OsdTree = serde_json::from_str(r#"{"nodes":[{"id":-1,"name":"default","type":"root","type_id":11,"children":[-4,-3,-2]},{"id":-2,"name":"a","type":"host","children":[2,1,0]},{"id":0,"name":"osd.0","type":"osd"},{"id":1,"name":"osd.1","type":"osd"},{"id":2,"name":"osd.2","type":"osd"},{"id":-3,"name":"b","type":"host","children":[5,4,3]},{"id":3,"name":"osd.3","type":"osd"},{"id":4,"name":"osd.4","type":"osd"},{"id":5,"name":"osd.5","type":"osd"},{"id":-4,"name":"empty","type":"host","children":[]}],"stray":[]}"#).unwrap();
        let d = tree.failure_domains();
        assert_eq!((d["host"], d["osd"], d["root"]), (2, 6, 1));
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

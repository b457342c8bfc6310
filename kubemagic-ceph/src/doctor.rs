//! `kubemagic ceph doctor`: is this Ceph ready to serve Kubernetes, before a
//! PVC finds out.
//!
//! Most ceph-csi support threads are missing caps, a clusterID the driver
//! does not know, or a pool Ceph refuses to create (ERANGE on
//! `mon_max_pg_per_osd`). The doctor asks the cluster once ([`gather`],
//! through [`CephApi`], concurrently), then decides with pure functions
//! over the [`Facts`] (one per finding code, unit-tested without Ceph):
//!
//! | code | check |
//! | --- | --- |
//! | KM250 | a raised `health detail` check, explained for a Kubernetes consumer |
//! | KM251 | the PG budget ([`crate::budget`]) with what `prepare` would add |
//! | KM252 | a pool's free space against its quota, or no space left |
//! | KM253 | a csi/kube user's caps against ceph-csi's docs/capabilities.md |
//! | KM254 | the ceph-csi config's clusterID against `ceph fsid` |
//! | KM255 | the ceph-csi config's monitors against `mon dump` |
//! | KM256 | the live probe: the csi user's own key creating and deleting what a PVC creates |

use crate::api::{CephApi, CephCommand, HealthDetail, PoolUsage};
use crate::budget::PgBudget;
use crate::cli::Connection;
use crate::model::{CephKey, FsName, Monitor, PgNum, PoolName};
use crate::prepare::{cephfs_caps, rbd_caps, Caps, CsiUser};
use crate::{CephError, Result};
use kubemagic_core::{Finding, Origin};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// What to examine.
#[derive(Debug, Clone)]
pub struct DoctorRequest {
    /// The cluster, as the admin.
    pub conn: Connection,
    /// A site whose ceph-ansible model is validated too.
    pub site: Option<PathBuf>,
    /// ceph-csi's `config.json`, or the ConfigMap holding it.
    pub csi_config: Option<PathBuf>,
    /// The RBD pool PVCs use.
    pub pool: PoolName,
    /// The RBD client of the external rbd-provisioner (`client.kube`).
    pub client: Option<String>,
    /// The CephFS file system PVCs use.
    pub fs: Option<FsName>,
    /// ceph-csi's subvolume group.
    pub subvolume_group: String,
    /// The pg_num `prepare` would give the pool if it is missing.
    pub pg_num: Option<PgNum>,
    /// Run the live probe.
    pub probe: bool,
}

impl DoctorRequest {
    /// The pool's checks with the library's defaults: no file system,
    /// subvolume group `csi`, the probe on.
    pub fn new(conn: Connection, pool: PoolName) -> DoctorRequest {
        DoctorRequest {
            conn,
            site: None,
            csi_config: None,
            pool,
            client: None,
            fs: None,
            subvolume_group: crate::prepare::DEFAULT_SUBVOLUME_GROUP.into(),
            pg_num: None,
            probe: true,
        }
    }
}

/// One ceph-csi cluster entry of `config.json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CsiCluster {
    /// `clusterID`.
    pub cluster_id: String,
    /// `monitors`.
    pub monitors: Vec<String>,
    /// Where the entry is.
    pub origin: Option<Origin>,
}

/// One live probe: a command run as a csi user, and Ceph's error if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Probe {
    /// The user.
    pub entity: String,
    /// The command (shell-quoted, as an operator would replay it).
    pub command: String,
    /// Ceph's error, verbatim; `None` when it worked.
    pub error: Option<String>,
}

/// Everything the checks decide on.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Facts {
    /// `health detail`.
    pub health: HealthDetail,
    /// The PG budget's inputs.
    pub pg_budget: PgBudget,
    /// Whether the pool exists.
    pub pool_exists: bool,
    /// `df detail`'s pools.
    pub pool_usage: Vec<PoolUsage>,
    /// `ceph fsid`.
    pub fsid: String,
    /// `mon dump`'s monitors.
    pub monitors: Vec<Monitor>,
    /// Caps of each user examined; `None` when it does not exist.
    pub users: BTreeMap<String, Option<BTreeMap<String, String>>>,
    /// The ceph-csi config, when given.
    pub csi_config: Option<Vec<CsiCluster>>,
    /// The csi config file.
    pub csi_config_path: Option<PathBuf>,
    /// The live probes run.
    pub probes: Vec<Probe>,
    /// The live cluster model (pools with their CRUSH failure domains,
    /// OSDs, monitors), for the model checks: a pool whose size exceeds
    /// the failure domains never becomes active+clean (KM223).
    #[serde(skip)]
    pub cluster: crate::CephCluster,
}

/// The doctor's answer: `{"findings": [...], "facts": {...}}`.
#[derive(Debug, Clone, Serialize)]
pub struct DoctorReport {
    /// Every finding, most severe first.
    pub findings: Vec<Finding>,
    /// What they were decided on.
    pub facts: Facts,
}

/// Ceph's health checks a Kubernetes consumer feels, with what it feels.
/// Names from Ceph 16.2's doc/rados/operations/health-checks.rst.
const HEALTH_EXPLAINED: &[(&str, &str)] = &[
    ("OSD_NEARFULL", "OSDs are nearly full: writes soon stop and PVCs bound to this cluster fail to provision or go read-only"),
    ("OSD_BACKFILLFULL", "OSDs are too full to rebalance: data cannot move, recovery stalls"),
    ("OSD_FULL", "an OSD is full: every write to the cluster blocks and pods using Ceph volumes hang"),
    ("POOL_NEARFULL", "a pool is near its quota: new PVC data will soon be refused"),
    ("POOL_FULL", "a pool is full: writes to its volumes block and provisioning fails"),
    ("MON_CLOCK_SKEW", "monitor clocks disagree: cephx tickets and quorum break, so provisioning and mounts fail intermittently"),
    ("POOL_APP_NOT_ENABLED", "a pool has no application enabled: `rbd pool init` or `ceph osd pool application enable` was never run, and ceph-csi's omap writes can be refused"),
    ("TOO_FEW_OSDS", "fewer OSDs than the pools' size: PGs cannot become active+clean and I/O to volumes blocks"),
    ("PG_AVAILABILITY", "PGs are not active: I/O to the volumes whose data they hold blocks, pods hang in ContainerCreating"),
    ("PG_DEGRADED", "PGs are not active+clean: data has fewer copies than the pool's size"),
    ("OSD_DOWN", "OSDs are down: their PGs are degraded or unavailable"),
    ("MON_DOWN", "a monitor is down: ceph-csi configs listing it time out on it first"),
    ("FS_DEGRADED", "a CephFS file system is degraded: CephFS PVCs cannot mount"),
    ("MDS_ALL_DOWN", "no MDS is up: CephFS PVCs cannot mount"),
    ("MGR_DOWN", "no mgr is up: ceph-csi's CephFS subvolume calls (mgr volumes module) fail"),
];

/// KM250: each raised, unmuted health check; an error for `HEALTH_ERR`,
/// a warning for `HEALTH_WARN` on a check a Kubernetes consumer feels,
/// info for the others (they do not stop a PVC).
pub fn health_findings(h: &HealthDetail) -> Vec<Finding> {
    let mut out = Vec::new();
    for (name, check) in &h.checks {
        if check.muted {
            continue;
        }
        let explained = HEALTH_EXPLAINED.iter().find(|(n, _)| n == name);
        let detail: Vec<&str> = check
            .detail
            .iter()
            .take(3)
            .map(|d| d.message.as_str())
            .collect();
        let mut msg = format!("{name}: {}", check.summary.message);
        if let Some((_, why)) = explained {
            msg.push_str(&format!(" — {why}"));
        }
        if !detail.is_empty() {
            msg.push_str(&format!(" ({})", detail.join("; ")));
        }
        let f = match (check.severity.as_str(), explained) {
            ("HEALTH_ERR", _) => Finding::error("KM250", msg),
            (_, Some(_)) => Finding::warning("KM250", msg),
            _ => Finding::info("KM250", msg),
        };
        out.push(f);
    }
    out
}

/// KM251: the PG budget, with the pool `prepare` would create when it is
/// missing.
pub fn budget_findings(f: &Facts, pool: &PoolName, pg_num: Option<PgNum>) -> Vec<Finding> {
    let adding =
        (!f.pool_exists).then(|| (pool.as_str(), f.pg_budget.new_pool(pg_num.map(PgNum::get))));
    f.pg_budget.check(adding).into_iter().collect()
}

/// KM252: a pool with a quota nearly used (≥ 80 %: warning) or used up
/// (error), and the requested pool with no space left at all.
pub fn capacity_findings(f: &Facts, pool: &PoolName) -> Vec<Finding> {
    let mut out = Vec::new();
    for p in &f.pool_usage {
        let s = &p.stats;
        if let Some(pct) = s.stored.saturating_mul(100).checked_div(s.quota_bytes) {
            let free = s.quota_bytes.saturating_sub(s.stored);
            let msg = format!("pool {}: {} of its quota of {} bytes used ({pct} %), {free} bytes free: PVCs in it get no more space than that, whatever their size says", p.name, s.stored, s.quota_bytes);
            if s.stored >= s.quota_bytes {
                out.push(Finding::error("KM252", msg));
            } else if pct >= 80 {
                out.push(Finding::warning("KM252", msg));
            }
        }
        if p.name == pool.as_str() && s.max_avail == 0 && f.pool_exists {
            out.push(Finding::error(
                "KM252",
                format!(
                    "pool {}: no space available (max_avail 0): writes to its volumes block",
                    p.name
                ),
            ));
        }
    }
    out
}

/// The users examined and the caps ceph-csi documents for each.
pub fn expected_caps(req: &DoctorRequest) -> Vec<(String, Caps)> {
    let mut out: Vec<(String, Caps)> = vec![
        (CsiUser::RbdProvisioner.entity(), rbd_caps(&req.pool)),
        (CsiUser::RbdNode.entity(), rbd_caps(&req.pool)),
    ];
    if let Some(fs) = &req.fs {
        for u in [CsiUser::CephfsProvisioner, CsiUser::CephfsNode] {
            out.push((u.entity(), cephfs_caps(fs, &req.subvolume_group)));
        }
    }
    if let Some(c) = &req.client {
        out.push((c.clone(), rbd_caps(&req.pool)));
    }
    out
}

/// The default RBD client (`client.kube`, what `prepare` creates for the
/// external rbd-provisioner): examined when it exists and `--client` names
/// no other; its absence is no finding (ceph-csi does not use it).
pub fn optional_users(req: &DoctorRequest) -> Vec<(String, Caps)> {
    if req.client.is_some() {
        return vec![];
    }
    let entity = format!("client.{}", crate::prepare::DEFAULT_CLIENT);
    vec![(entity, rbd_caps(&req.pool))]
}

/// The `pool=`, `fsname=`, `data=` and `metadata=` values of a cap.
fn scopes(cap: &str) -> Vec<&str> {
    cap.split([' ', ','])
        .filter(|w| {
            ["pool=", "fsname=", "data=", "metadata="]
                .iter()
                .any(|p| w.starts_with(p))
        })
        .collect()
}

/// Whether a cap grants beyond any pool or file system: `allow *`,
/// `allow rwx` with no scope, a profile with no pool.
fn unscoped(cap: &str, wanted: &str) -> bool {
    let wide = cap.contains('*')
        || cap.contains("allow rwx")
        || cap.trim() == "allow rw" && wanted != "allow rw";
    wide || (!scopes(wanted).is_empty() && scopes(cap).is_empty())
}

/// KM253: each user's caps against ceph-csi's docs/capabilities.md
/// (<https://github.com/ceph/ceph-csi/blob/devel/docs/capabilities.md>):
/// a user missing (warning: nothing can use it), a cap missing or on
/// another pool/file system (error: the PVC fails), a cap wider than
/// documented (warning: the node holding the key can do more than it
/// needs).
pub fn caps_findings(f: &Facts, expected: &[(String, Caps)]) -> Vec<Finding> {
    let mut out = Vec::new();
    for (entity, want) in expected {
        let Some(Some(have)) = f.users.get(entity) else {
            if !f.users.contains_key(entity) {
                // Not asked (an optional user that is absent).
                continue;
            }
            out.push(Finding::warning("KM253", format!("{entity} does not exist: ceph-csi's Secrets cannot name it (`kubemagic ceph prepare --csi` creates it with the documented caps)")));
            continue;
        };
        for (svc, cap) in want {
            let Some(got) = have.get(svc) else {
                out.push(Finding::error(
                    "KM253",
                    format!("{entity} has no {svc} cap; ceph-csi needs {svc} '{cap}'"),
                ));
                continue;
            };
            if got == cap {
                continue;
            }
            let (w, g) = (scopes(cap), scopes(got));
            if !w.is_empty() && !g.is_empty() && !w.iter().all(|s| g.contains(s)) {
                out.push(Finding::error("KM253", format!("{entity} has {svc} '{got}', on another pool or file system than ceph-csi needs: {svc} '{cap}'")));
            } else if unscoped(got, cap) {
                out.push(Finding::warning(
                    "KM253",
                    format!("{entity} has {svc} '{got}', wider than ceph-csi needs: {svc} '{cap}'"),
                ));
            } else {
                out.push(Finding::warning(
                    "KM253",
                    format!("{entity} has {svc} '{got}', not ceph-csi's documented {svc} '{cap}'"),
                ));
            }
        }
        for svc in have.keys().filter(|s| !want.iter().any(|(w, _)| w == *s)) {
            out.push(Finding::warning(
                "KM253",
                format!(
                    "{entity} has a {svc} cap ceph-csi does not need ('{}')",
                    have[svc]
                ),
            ));
        }
    }
    out
}

/// `IP:PORT` of a monitor string of config.json (`10.0.0.1:6789`,
/// `v2:10.0.0.1:3300`, `[::1]:6789`, a bare IP meaning port 6789).
fn mon_endpoint(s: &str) -> String {
    let s = s.trim().trim_start_matches("v1:").trim_start_matches("v2:");
    if s.parse::<std::net::IpAddr>().is_ok() {
        return format!("{s}:6789");
    }
    s.to_string()
}

/// KM254 and KM255: ceph-csi's clusterID must be `ceph fsid` (ceph-csi
/// looks the StorageClass's clusterID up in config.json; "missing
/// configuration for cluster ID" otherwise), and its monitors the cluster's
/// (a stale one is tried and times out first; none current: every call fails).
pub fn csi_config_findings(f: &Facts) -> Vec<Finding> {
    let Some(clusters) = &f.csi_config else {
        return vec![];
    };
    let mut out = Vec::new();
    if !clusters.iter().any(|c| c.cluster_id == f.fsid) {
        let ids: Vec<&str> = clusters.iter().map(|c| c.cluster_id.as_str()).collect();
        let at = clusters.first().and_then(|c| c.origin.clone());
        out.push(
            Finding::error("KM254", format!("no ceph-csi clusterID is this cluster's fsid {} (config has {}): StorageClasses naming {} fail with \"missing configuration for cluster ID\"", f.fsid, ids.join(", "), f.fsid))
                .at(at.as_ref()),
        );
    }
    let current: Vec<String> = f
        .monitors
        .iter()
        .flat_map(|m| m.addrs.iter().map(|a| a.addr.to_string()))
        .collect();
    let v2: Vec<String> = f
        .monitors
        .iter()
        .flat_map(|m| m.addrs.iter())
        .filter(|a| a.version == crate::model::MsgrVersion::V2)
        .map(|a| a.addr.to_string())
        .collect();
    for c in clusters
        .iter()
        .filter(|c| c.cluster_id == f.fsid || clusters.len() == 1)
    {
        for m in &c.monitors {
            let ep = mon_endpoint(m);
            if !current.contains(&ep) {
                out.push(Finding::error("KM255", format!("ceph-csi clusterID {} lists monitor {m}, which `mon dump` does not have (monitors: {}): a stale monitor is tried first and times out", c.cluster_id, current.join(", "))).at(c.origin.as_ref()));
            } else if v2.contains(&ep) && !m.starts_with("v2:") {
                out.push(Finding::warning("KM255", format!("ceph-csi clusterID {} lists {m}, a v2 (msgr2) address: the kernel clients (krbd, CephFS) before 5.11 speak only v1", c.cluster_id)).at(c.origin.as_ref()));
            }
        }
    }
    out
}

/// KM256: each probe that failed, with Ceph's error verbatim.
pub fn probe_findings(f: &Facts) -> Vec<Finding> {
    f.probes
        .iter()
        .filter_map(|p| {
            p.error.as_ref().map(|e| {
                Finding::error(
                    "KM256",
                    format!("live probe as {}: `{}` failed: {e}", p.entity, p.command),
                )
            })
        })
        .collect()
}

/// Every check over the facts, most severe first.
pub fn diagnose(req: &DoctorRequest, f: &Facts) -> Vec<Finding> {
    let mut out = health_findings(&f.health);
    out.extend(budget_findings(f, &req.pool, req.pg_num));
    out.extend(capacity_findings(f, &req.pool));
    let mut users = expected_caps(req);
    users.extend(optional_users(req));
    out.extend(caps_findings(f, &users));
    out.extend(csi_config_findings(f));
    out.extend(probe_findings(f));
    out.extend(crate::validate::validate_cluster(&f.cluster));
    out.sort_by_key(|f| std::cmp::Reverse(f.severity));
    out
}

/// Reads ceph-csi's `config.json`: the JSON list itself, or a ConfigMap
/// (YAML or JSON) whose `data."config.json"` holds it. Each entry's origin
/// is the line of its clusterID.
pub fn read_csi_config(path: &std::path::Path) -> Result<Vec<CsiCluster>> {
    let text = kubemagic_fs::read_to_string(path, kubemagic_fs::limits::MAX_SOURCE_BYTES)?;
    let bad = |why: String| CephError::Site {
        path: path.to_path_buf(),
        message: why,
    };
    let doc: serde_json::Value =
        serde_yaml_ng::from_str(&text).map_err(|e| bad(format!("not JSON or YAML: {e}")))?;
    let list = match doc.get("data").and_then(|d| d.get("config.json")) {
        Some(serde_json::Value::String(s)) => serde_json::from_str(s)
            .map_err(|e| bad(format!("data.\"config.json\" is not JSON: {e}")))?,
        _ => doc,
    };
    let entries = list
        .as_array()
        .ok_or_else(|| bad("config.json is not a list of clusters".into()))?;
    let line_of = |id: &str| {
        text.lines()
            .position(|l| !id.is_empty() && l.contains(id))
            .and_then(|i| u32::try_from(i + 1).ok())
    };
    Ok(entries
        .iter()
        .map(|e| {
            let cluster_id = e
                .get("clusterID")
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string();
            let monitors = e
                .get("monitors")
                .and_then(|v| v.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|m| m.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            let origin = Some(Origin::new(path, line_of(&cluster_id)));
            CsiCluster {
                cluster_id,
                monitors,
                origin,
            }
        })
        .collect())
}

/// The name of the probe's image and subvolume: recognisable, unique to
/// this run.
fn probe_name() -> String {
    format!("kubemagic-doctor-probe-{}", std::process::id())
}

/// Runs `create` then `remove` as `entity`; the first error is the probe's.
fn probe(
    api: &(dyn CephApi + Sync),
    entity: &str,
    key: &CephKey,
    create: CephCommand,
    remove: CephCommand,
) -> Probe {
    let error = match api.execute_as(entity, key, &create) {
        Err(e) => Some(ceph_message(e)),
        Ok(()) => api.execute_as(entity, key, &remove).err().map(|e| {
            format!(
                "created but not removed ({remove} as admin cleans up): {}",
                ceph_message(e)
            )
        }),
    };
    Probe {
        entity: entity.to_string(),
        command: create.to_string(),
        error,
    }
}

/// Ceph's own words from a failed command.
fn ceph_message(e: CephError) -> String {
    match e {
        CephError::Command { stderr, status, .. } => format!("{} (exit {status})", stderr.trim()),
        other => other.to_string(),
    }
}

/// The probes a PVC's provisioning does, as the provisioner users with
/// their own keys: an RBD image in the pool, a subvolume in the group.
fn run_probes(
    api: &(dyn CephApi + Sync),
    req: &DoctorRequest,
    keys: &BTreeMap<String, CephKey>,
) -> Vec<Probe> {
    let name = probe_name();
    let mut out = Vec::new();
    let rbd_user = CsiUser::RbdProvisioner.entity();
    if let Some(key) = keys.get(&rbd_user) {
        let image = format!("{}/{name}", req.pool);
        out.push(probe(
            api,
            &rbd_user,
            key,
            CephCommand::rbd(["create", "--size", "1M", image.as_str()]),
            CephCommand::rbd(["rm", "--no-progress", image.as_str()]),
        ));
    }
    let fs_user = CsiUser::CephfsProvisioner.entity();
    if let (Some(fs), Some(key)) = (&req.fs, keys.get(&fs_user)) {
        let g = req.subvolume_group.as_str();
        out.push(probe(
            api,
            &fs_user,
            key,
            CephCommand::ceph([
                "fs",
                "subvolume",
                "create",
                fs.as_str(),
                name.as_str(),
                "--group_name",
                g,
                "--size",
                "1048576",
            ]),
            CephCommand::ceph([
                "fs",
                "subvolume",
                "rm",
                fs.as_str(),
                name.as_str(),
                "--group_name",
                g,
            ]),
        ));
    }
    out
}

/// Asks the cluster everything the checks need: the questions are
/// independent `ceph` calls, asked concurrently; then the probes.
pub fn gather(api: &(dyn CephApi + Sync), req: &DoctorRequest) -> Result<Facts> {
    let mut expected = expected_caps(req);
    expected.extend(optional_users(req));
    let (health, budget, pools, usage, dump, users, model) = std::thread::scope(|s| {
        let health = s.spawn(|| api.health_detail());
        let budget = s.spawn(|| api.pg_budget());
        let pools = s.spawn(|| api.pools());
        let usage = s.spawn(|| api.pool_usage());
        let dump = s.spawn(|| api.mon_dump());
        let cluster = s.spawn(|| api.cluster());
        let users: Vec<_> = expected
            .iter()
            .map(|(e, _)| (e.clone(), s.spawn(move || api.auth_get(e))))
            .collect();
        fn j<T>(r: std::thread::Result<T>) -> T {
            r.unwrap_or_else(|p| std::panic::resume_unwind(p))
        }
        let users: Vec<_> = users.into_iter().map(|(e, h)| (e, j(h.join()))).collect();
        (
            j(health.join()),
            j(budget.join()),
            j(pools.join()),
            j(usage.join()),
            j(dump.join()),
            users,
            j(cluster.join()),
        )
    });
    let pools = pools?;
    let dump = dump?;
    let mut caps = BTreeMap::new();
    let mut keys = BTreeMap::new();
    for (entity, got) in users {
        let got = got?;
        if let Some(k) = got.as_ref().and_then(|c| c.key.clone()) {
            keys.insert(entity.clone(), k);
        }
        let optional = optional_users(req).iter().any(|(e, _)| *e == entity);
        match got {
            Some(c) => {
                caps.insert(entity, Some(c.caps));
            }
            // An optional user that is absent is not a fact to report.
            None if optional => {}
            None => {
                caps.insert(entity, None);
            }
        }
    }
    let csi_config = req.csi_config.as_deref().map(read_csi_config).transpose()?;
    let mut facts = Facts {
        health: health?,
        pg_budget: budget?,
        pool_exists: pools.iter().any(|p| p.pool_name == req.pool.as_str()),
        pool_usage: usage?,
        fsid: dump.fsid.clone(),
        monitors: dump.monitors(),
        users: caps,
        csi_config,
        csi_config_path: req.csi_config.clone(),
        probes: vec![],
        cluster: model?,
    };
    if req.probe && facts.pool_exists {
        facts.probes = run_probes(api, req, &keys);
    }
    Ok(facts)
}

/// `kubemagic ceph doctor`: gather, then decide; with a site, its
/// ceph-ansible model's findings too.
pub fn doctor(req: &DoctorRequest) -> Result<DoctorReport> {
    let api = req
        .conn
        .open()?
        .ok_or_else(|| CephError::Request("doctor needs --ceph-conf and --keyring".into()))?;
    let facts = gather(&api, req)?;
    let mut findings = diagnose(req, &facts);
    if let Some(site) = &req.site {
        let (cluster, f) = crate::site::load(site)?;
        findings.extend(f);
        findings.extend(crate::validate::validate_cluster(&cluster));
    }
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    Ok(DoctorReport { findings, facts })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{HealthCheck, HealthMessage};

    fn req() -> DoctorRequest {
        DoctorRequest::new(Connection::default(), "kube".parse().unwrap())
    }

    fn facts() -> Facts {
        let mut users = BTreeMap::new();
        for (e, caps) in expected_caps(&req()) {
            users.insert(e, Some(caps.into_iter().collect()));
        }
        Facts {
            pg_budget: PgBudget {
                max_per_osd: 250,
                osds_in: 3,
                in_use: 96,
                default_size: 3,
                default_pg_num: 32,
            },
            pool_exists: true,
            fsid: "f5d0e5d2-0b7e-4b55-9d3a-1c1d2a3b4c5d".into(),
            users,
            cluster: crate::CephCluster {
                fsid: Some("f5d0e5d2-0b7e-4b55-9d3a-1c1d2a3b4c5d".into()),
                monitors: vec![Monitor::on_default_ports("a", "10.0.0.1".parse().unwrap())],
                ..Default::default()
            },
            ..Default::default()
        }
    }

    #[test]
    fn a_clean_cluster_has_no_finding() {
        assert!(diagnose(&req(), &facts()).is_empty());
    }

    #[test]
    fn nearfull_is_explained_for_kubernetes() {
        let mut f = facts();
        f.health.checks.insert(
            "OSD_NEARFULL".into(),
            HealthCheck {
                severity: "HEALTH_WARN".into(),
                summary: HealthMessage {
                    message: "1 nearfull osd(s)".into(),
                },
                detail: vec![],
                muted: false,
            },
        );
        let out = health_findings(&f.health);
        assert_eq!(out[0].severity, kubemagic_core::Severity::Warning);
        assert!(out[0].message.contains("PVC"), "{}", out[0].message);
    }

    #[test]
    fn caps_on_another_pool_are_an_error_and_wide_caps_a_warning() {
        let mut f = facts();
        let mut other: BTreeMap<String, String> =
            rbd_caps(&"other".parse().unwrap()).into_iter().collect();
        f.users
            .insert(CsiUser::RbdNode.entity(), Some(other.clone()));
        other.insert("osd".into(), "allow *".into());
        other.insert("mgr".into(), "profile rbd pool=kube".into());
        f.users
            .insert(CsiUser::RbdProvisioner.entity(), Some(other));
        let out = caps_findings(&f, &expected_caps(&req()));
        assert!(
            out.iter()
                .any(|x| x.severity == kubemagic_core::Severity::Error
                    && x.message.contains("csi-rbd-node")
                    && x.message.contains("another pool")),
            "{out:?}"
        );
        assert!(
            out.iter()
                .any(|x| x.severity == kubemagic_core::Severity::Warning
                    && x.message.contains("wider")),
            "{out:?}"
        );
    }

    #[test]
    fn wrong_cluster_id_and_stale_monitor_are_found() {
        let mut f = facts();
        f.monitors = vec![Monitor::on_default_ports("a", "10.0.0.1".parse().unwrap())];
        f.csi_config = Some(vec![CsiCluster {
            cluster_id: "wrong".into(),
            monitors: vec!["10.0.0.1:6789".into(), "10.0.0.9:6789".into()],
            origin: None,
        }]);
        let codes: Vec<_> = csi_config_findings(&f)
            .into_iter()
            .map(|x| x.code)
            .collect();
        assert_eq!(codes, ["KM254", "KM255"]);
    }

    #[test]
    fn a_missing_pool_counts_what_prepare_would_add() {
        let mut f = facts();
        f.pool_exists = false;
        assert!(budget_findings(
            &f,
            &"kube".parse().unwrap(),
            Some(PgNum::try_from(32).unwrap())
        )
        .is_empty());
        let out = budget_findings(
            &f,
            &"kube".parse().unwrap(),
            Some(PgNum::try_from(256).unwrap()),
        );
        assert_eq!(out[0].code, "KM251");
    }
}

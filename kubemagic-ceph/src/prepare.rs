//! `kubemagic ceph prepare`: the pool, the RBD initialisation, the client
//! and (with CephFS) the subvolume group Kubernetes needs.
//!
//! Three steps keep it idempotent and testable: [`observe`] asks the
//! cluster what exists, [`plan`] (pure) compares that with the request and
//! returns only the missing or different pieces, [`prepare`] runs them. A
//! second run observes everything in place and plans nothing: "no change".

use crate::api::{CephApi, CephCommand};
use crate::error::{CephError, Result};
use crate::model::{ClientName, FsName, PgNum, PoolName};
use kubemagic_core::Finding;
use serde::Serialize;
use std::collections::BTreeMap;

/// ceph-csi's default subvolume group.
pub const DEFAULT_SUBVOLUME_GROUP: &str = "csi";

/// What the operator asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrepareRequest {
    pub pool: PoolName,
    pub client: ClientName,
    /// `None`: Ceph's default (the autoscaler then adjusts it).
    pub pg_num: Option<PgNum>,
    pub cephfs: Option<CephFsRequest>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CephFsRequest {
    pub fs: FsName,
    pub subvolume_group: String,
    /// The CephFS client; separate from the RBD one because the two cap
    /// sets cannot be merged into one entity without widening both.
    pub client: ClientName,
}

/// Caps as an ordered list of (service, capability), in the order an
/// operator types them.
pub type Caps = Vec<(String, String)>;

/// The RBD client caps ceph-csi and the rbd-provisioner document.
pub fn rbd_caps(pool: &PoolName) -> Caps {
    vec![
        ("mon".into(), "profile rbd".into()),
        ("osd".into(), format!("profile rbd pool={pool}")),
        ("mgr".into(), format!("profile rbd pool={pool}")),
    ]
}

/// The CephFS client caps of ceph-csi's docs/capabilities.md.
pub fn cephfs_caps(fs: &FsName, group: &str) -> Caps {
    vec![
        ("mon".into(), format!("allow r fsname={fs}")),
        ("mgr".into(), "allow rw".into()),
        (
            "osd".into(),
            format!("allow rw tag cephfs metadata={fs}, allow rw tag cephfs data={fs}"),
        ),
        (
            "mds".into(),
            format!(
                "allow r fsname={fs} path=/volumes, allow rws fsname={fs} path=/volumes/{group}"
            ),
        ),
    ]
}

fn caps_map(caps: &Caps) -> BTreeMap<String, String> {
    caps.iter().cloned().collect()
}

/// What the cluster already has, as far as the request is concerned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Observed {
    /// The pool's pg_num and enabled applications, when the pool exists.
    pub pool: Option<(u32, Vec<String>)>,
    pub rbd_initialised: bool,
    /// Caps of the RBD client, when it exists.
    pub client_caps: Option<BTreeMap<String, String>>,
    /// Subvolume groups of the requested file system.
    pub subvolume_groups: Vec<String>,
    pub cephfs_client_caps: Option<BTreeMap<String, String>>,
}

/// One change, in the order it must happen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum Action {
    CreatePool {
        pool: String,
        pg_num: Option<u32>,
    },
    EnableRbdApplication {
        pool: String,
    },
    InitRbdPool {
        pool: String,
    },
    CreateClient {
        entity: String,
        caps: BTreeMap<String, String>,
    },
    UpdateCaps {
        entity: String,
        caps: BTreeMap<String, String>,
        previous: BTreeMap<String, String>,
    },
    CreateSubvolumeGroup {
        fs: String,
        group: String,
    },
}

impl Action {
    /// One line for a human.
    pub fn describe(&self) -> String {
        match self {
            Action::CreatePool {
                pool,
                pg_num: Some(n),
            } => format!("create pool {pool} with pg_num {n}"),
            Action::CreatePool { pool, pg_num: None } => format!("create pool {pool}"),
            Action::EnableRbdApplication { pool } => {
                format!("enable application rbd on pool {pool}")
            }
            Action::InitRbdPool { pool } => format!("initialise pool {pool} for RBD"),
            Action::CreateClient { entity, .. } => format!("create {entity}"),
            Action::UpdateCaps { entity, .. } => format!("update the caps of {entity}"),
            Action::CreateSubvolumeGroup { fs, group } => {
                format!("create subvolume group {group} in CephFS {fs}")
            }
        }
    }

    /// The commands that perform the action.
    pub fn command(&self) -> CephCommand {
        let caps_args = |caps: &BTreeMap<String, String>| -> Vec<String> {
            // mon, osd, mgr, mds: the order Ceph's docs use.
            let order = ["mon", "osd", "mgr", "mds"];
            let mut v = Vec::new();
            for svc in order.iter().map(|s| s.to_string()).chain(
                caps.keys()
                    .filter(|k| !order.contains(&k.as_str()))
                    .cloned(),
            ) {
                if let Some(c) = caps.get(&svc) {
                    v.push(svc);
                    v.push(c.clone());
                }
            }
            v
        };
        match self {
            Action::CreatePool { pool, pg_num } => {
                let mut a = vec![
                    "osd".to_string(),
                    "pool".into(),
                    "create".into(),
                    pool.clone(),
                ];
                if let Some(n) = pg_num {
                    a.push(n.to_string());
                }
                CephCommand::ceph(a)
            }
            Action::EnableRbdApplication { pool } => {
                CephCommand::ceph(["osd", "pool", "application", "enable", pool.as_str(), "rbd"])
            }
            Action::InitRbdPool { pool } => CephCommand::rbd(["pool", "init", pool.as_str()]),
            Action::CreateClient { entity, caps } => {
                let mut a = vec!["auth".to_string(), "get-or-create".into(), entity.clone()];
                a.extend(caps_args(caps));
                CephCommand::ceph(a)
            }
            Action::UpdateCaps { entity, caps, .. } => {
                let mut a = vec!["auth".to_string(), "caps".into(), entity.clone()];
                a.extend(caps_args(caps));
                CephCommand::ceph(a)
            }
            Action::CreateSubvolumeGroup { fs, group } => CephCommand::ceph([
                "fs",
                "subvolumegroup",
                "create",
                fs.as_str(),
                group.as_str(),
            ]),
        }
    }
}

/// The plan: actions to run and notes about what is left as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub actions: Vec<Action>,
    pub notes: Vec<Finding>,
}

fn client_action(
    entity: String,
    want: &Caps,
    have: &Option<BTreeMap<String, String>>,
) -> Option<Action> {
    let caps = caps_map(want);
    match have {
        None => Some(Action::CreateClient { entity, caps }),
        Some(prev) if *prev != caps => Some(Action::UpdateCaps {
            entity,
            caps,
            previous: prev.clone(),
        }),
        Some(_) => None,
    }
}

/// Pure: the actions that bring `observed` to what `req` asks.
pub fn plan(req: &PrepareRequest, observed: &Observed) -> Plan {
    let mut p = Plan::default();
    let pool = req.pool.to_string();
    match &observed.pool {
        None => {
            p.actions.push(Action::CreatePool {
                pool: pool.clone(),
                pg_num: req.pg_num.map(PgNum::get),
            });
            p.actions
                .push(Action::EnableRbdApplication { pool: pool.clone() });
        }
        Some((pg, apps)) => {
            if let Some(want) = req.pg_num {
                if want.get() != *pg {
                    p.notes.push(
                        Finding::warning(
                            "KM231",
                            format!("pool {pool} exists with pg_num {pg}, not {want}; left unchanged (change it with `ceph osd pool set {pool} pg_num {want}` if you mean it)"),
                        )
                        .variable("pg_num"),
                    );
                }
            }
            let others: Vec<&String> = apps.iter().filter(|a| *a != "rbd").collect();
            if !others.is_empty() {
                p.notes.push(Finding::error(
                    "KM232",
                    format!(
                        "pool {pool} already serves application(s) {}; refusing to also use it for RBD (pick another pool)",
                        others.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
                    ),
                ));
                return p;
            }
            if !apps.iter().any(|a| a == "rbd") {
                p.actions
                    .push(Action::EnableRbdApplication { pool: pool.clone() });
            }
        }
    }
    if !observed.rbd_initialised {
        p.actions.push(Action::InitRbdPool { pool: pool.clone() });
    }
    p.actions.extend(client_action(
        req.client.entity(),
        &rbd_caps(&req.pool),
        &observed.client_caps,
    ));
    if let Some(fs) = &req.cephfs {
        if !observed.subvolume_groups.contains(&fs.subvolume_group) {
            p.actions.push(Action::CreateSubvolumeGroup {
                fs: fs.fs.to_string(),
                group: fs.subvolume_group.clone(),
            });
        }
        p.actions.extend(client_action(
            fs.client.entity(),
            &cephfs_caps(&fs.fs, &fs.subvolume_group),
            &observed.cephfs_client_caps,
        ));
    }
    p
}

/// A scoped thread's result; a panic in it is re-raised here.
fn joined<T>(r: std::thread::Result<T>) -> T {
    r.unwrap_or_else(|p| std::panic::resume_unwind(p))
}

/// Asks the cluster what exists. Fails when the requested CephFS does not.
///
/// The independent questions (pool and its init marker, RBD client,
/// CephFS) run concurrently: each is a `ceph` process of a few hundred
/// milliseconds, and a re-run that changes nothing should cost one of them,
/// not five.
pub fn observe(api: &(dyn CephApi + Sync), req: &PrepareRequest) -> Result<Observed> {
    type FsPart = (Vec<String>, Option<BTreeMap<String, String>>);
    /// The pool's (pg_num, applications) if it exists, and whether it is initialised.
    type PoolPart = (Option<(u32, Vec<String>)>, bool);
    std::thread::scope(|s| {
        let pool_part = s.spawn(|| -> Result<PoolPart> {
            let pool = api
                .pools()?
                .into_iter()
                .find(|p| p.pool_name == req.pool.as_str())
                .map(|p| (p.pg_num, p.application_metadata.keys().cloned().collect()));
            let initialised = pool.is_some() && api.rbd_pool_initialised(&req.pool)?;
            Ok((pool, initialised))
        });
        let client_part = s.spawn(|| api.auth_get(&req.client.entity()));
        let fs_part = s.spawn(|| -> Result<FsPart> {
            let Some(fs) = &req.cephfs else {
                return Ok((vec![], None));
            };
            if !api.fs_ls()?.iter().any(|f| f.name == fs.fs.as_str()) {
                return Err(CephError::NoSuchFs(fs.fs.to_string()));
            }
            Ok((
                api.subvolume_groups(&fs.fs)?,
                api.auth_get(&fs.client.entity())?.map(|c| c.caps),
            ))
        });
        let (pool, rbd_initialised) = joined(pool_part.join())?;
        let client_caps = joined(client_part.join())?.map(|c| c.caps);
        let (subvolume_groups, cephfs_client_caps) = joined(fs_part.join())?;
        Ok(Observed {
            pool,
            rbd_initialised,
            client_caps,
            subvolume_groups,
            cephfs_client_caps,
        })
    })
}

/// Where a client's key is: in the monitors' auth database, never printed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyLocation {
    pub entity: String,
    /// The command that reads it (or writes it to a keyring file with `-o`).
    pub read_with: String,
}

/// The outcome of `prepare`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PrepareReport {
    pub dry_run: bool,
    /// Actions run (or, with `dry_run`, that would run).
    pub actions: Vec<Action>,
    pub changed: bool,
    pub notes: Vec<Finding>,
    pub keys: Vec<KeyLocation>,
}

/// Observe, plan, and (unless `dry_run`) run the plan. A plan with an
/// error note runs nothing.
pub fn prepare(
    api: &(dyn CephApi + Sync),
    req: &PrepareRequest,
    dry_run: bool,
) -> Result<PrepareReport> {
    let observed = observe(api, req)?;
    let plan = plan(req, &observed);
    let blocked = kubemagic_core::finding::has_errors(&plan.notes);
    if !dry_run && !blocked {
        for action in &plan.actions {
            api.execute(&action.command())?;
        }
    }
    let mut keys = vec![req.client.entity()];
    if let Some(fs) = &req.cephfs {
        keys.push(fs.client.entity());
    }
    Ok(PrepareReport {
        dry_run,
        changed: !dry_run && !blocked && !plan.actions.is_empty(),
        actions: if blocked { vec![] } else { plan.actions },
        notes: plan.notes,
        keys: keys
            .into_iter()
            .map(|entity| KeyLocation {
                read_with: format!("ceph auth get {entity}"),
                entity,
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req() -> PrepareRequest {
        PrepareRequest {
            pool: "kube".parse().unwrap(),
            client: "kube".parse().unwrap(),
            pg_num: Some(PgNum::try_from(32).unwrap()),
            cephfs: None,
        }
    }

    #[test]
    fn empty_cluster_gets_pool_application_init_and_client() {
        let p = plan(&req(), &Observed::default());
        let cmds: Vec<String> = p.actions.iter().map(|a| a.command().to_string()).collect();
        assert_eq!(
            cmds,
            vec![
                "ceph osd pool create kube 32",
                "ceph osd pool application enable kube rbd",
                "rbd pool init kube",
                "ceph auth get-or-create client.kube mon 'profile rbd' osd 'profile rbd pool=kube' mgr 'profile rbd pool=kube'",
            ]
        );
    }

    #[test]
    fn prepared_cluster_plans_nothing() {
        let observed = Observed {
            pool: Some((32, vec!["rbd".into()])),
            rbd_initialised: true,
            client_caps: Some(caps_map(&rbd_caps(&"kube".parse().unwrap()))),
            ..Default::default()
        };
        assert_eq!(plan(&req(), &observed), Plan::default());
    }

    #[test]
    fn client_with_other_caps_is_updated() {
        let observed = Observed {
            pool: Some((32, vec!["rbd".into()])),
            rbd_initialised: true,
            client_caps: Some([("mon".to_string(), "allow r".to_string())].into()),
            ..Default::default()
        };
        let p = plan(&req(), &observed);
        assert_eq!(p.actions.len(), 1);
        assert!(p.actions[0]
            .command()
            .to_string()
            .starts_with("ceph auth caps client.kube mon 'profile rbd'"));
    }

    #[test]
    fn pool_of_another_application_is_refused() {
        let observed = Observed {
            pool: Some((32, vec!["cephfs".into()])),
            ..Default::default()
        };
        let p = plan(&req(), &observed);
        assert!(p.actions.is_empty());
        assert_eq!(p.notes[0].code, "KM232");
    }

    #[test]
    fn different_pg_num_is_noted_not_changed() {
        let observed = Observed {
            pool: Some((8, vec![])),
            ..Default::default()
        };
        let p = plan(&req(), &observed);
        assert_eq!(p.notes[0].code, "KM231");
        assert_eq!(
            p.actions[0],
            Action::EnableRbdApplication {
                pool: "kube".into()
            }
        );
    }

    #[test]
    fn cephfs_adds_subvolume_group_and_documented_caps() {
        let mut r = req();
        r.cephfs = Some(CephFsRequest {
            fs: "cephfs".parse().unwrap(),
            subvolume_group: "csi".into(),
            client: "kube-cephfs".parse().unwrap(),
        });
        let p = plan(&r, &Observed::default());
        let cmds: Vec<String> = p.actions.iter().map(|a| a.command().to_string()).collect();
        assert_eq!(cmds[4], "ceph fs subvolumegroup create cephfs csi");
        assert_eq!(
            cmds[5],
            "ceph auth get-or-create client.kube-cephfs mon 'allow r fsname=cephfs' osd 'allow rw tag cephfs metadata=cephfs, allow rw tag cephfs data=cephfs' mgr 'allow rw' mds 'allow r fsname=cephfs path=/volumes, allow rws fsname=cephfs path=/volumes/csi'"
        );
    }
}

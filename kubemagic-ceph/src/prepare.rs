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
/// The default RBD pool of `prepare` and `render` (CLI and Python).
pub const DEFAULT_POOL: &str = "kube";
/// The default RBD client (`client.kube`) of `prepare` and `render`.
pub const DEFAULT_CLIENT: &str = "kube";

/// What the operator asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrepareRequest {
    /// The RBD pool.
    pub pool: PoolName,
    /// The RBD client of the external rbd-provisioner (kubespray).
    pub client: ClientName,
    /// `None`: Ceph's default (the autoscaler then adjusts it).
    pub pg_num: Option<PgNum>,
    /// CephFS too: subvolume group and client.
    pub cephfs: Option<CephFsRequest>,
    /// Also the four ceph-csi users ([`CsiUser`]), restricted to the pool
    /// (and file system / subvolume group with `cephfs`).
    pub csi: bool,
}

/// The CephFS part of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CephFsRequest {
    /// The file system (`ceph fs ls`).
    pub fs: FsName,
    /// ceph-csi's subvolume group (default [`DEFAULT_SUBVOLUME_GROUP`]).
    pub subvolume_group: String,
    /// The CephFS client; separate from the RBD one because the two cap
    /// sets cannot be merged into one entity without widening both.
    pub client: ClientName,
}

impl CephFsRequest {
    /// The request with its defaults: group `csi`, client `<rbd client>-cephfs`.
    pub fn new(
        fs: FsName,
        group: Option<String>,
        client: Option<ClientName>,
        rbd_client: &ClientName,
    ) -> Result<CephFsRequest> {
        let client = match client {
            Some(c) => c,
            None => format!("{rbd_client}-cephfs").parse()?,
        };
        Ok(CephFsRequest {
            fs,
            subvolume_group: group.unwrap_or_else(|| DEFAULT_SUBVOLUME_GROUP.into()),
            client,
        })
    }
}

/// The four users ceph-csi's deployment uses (the names of rook's
/// `create-external-cluster-resources.py`): a provisioner and a node user
/// per driver, so that a node never holds the provisioner's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CsiUser {
    /// `client.csi-rbd-provisioner`: provisioner and controller-expand Secret.
    RbdProvisioner,
    /// `client.csi-rbd-node`: node-stage Secret.
    RbdNode,
    /// `client.csi-cephfs-provisioner`.
    CephfsProvisioner,
    /// `client.csi-cephfs-node`.
    CephfsNode,
}

impl CsiUser {
    /// The RBD users, then the CephFS users.
    pub const ALL: [CsiUser; 4] = [
        CsiUser::RbdProvisioner,
        CsiUser::RbdNode,
        CsiUser::CephfsProvisioner,
        CsiUser::CephfsNode,
    ];

    /// The client name (`csi-rbd-node`), also the Secret's name.
    pub fn name(self) -> &'static str {
        match self {
            CsiUser::RbdProvisioner => "csi-rbd-provisioner",
            CsiUser::RbdNode => "csi-rbd-node",
            CsiUser::CephfsProvisioner => "csi-cephfs-provisioner",
            CsiUser::CephfsNode => "csi-cephfs-node",
        }
    }

    /// `client.NAME`.
    pub fn entity(self) -> String {
        format!("client.{}", self.name())
    }

    /// Whether the user belongs to the CephFS driver.
    pub fn is_cephfs(self) -> bool {
        matches!(self, CsiUser::CephfsProvisioner | CsiUser::CephfsNode)
    }

    /// The caps of ceph-csi's docs/capabilities.md, the same for the
    /// provisioner and the node user of a driver ("the command for
    /// provisioner and node stage secret ... will be same"), restricted to
    /// the pool, or to the file system and subvolume group. `None` for a
    /// CephFS user without a file system.
    pub fn caps(self, pool: &PoolName, cephfs: Option<&CephFsRequest>) -> Option<Caps> {
        if self.is_cephfs() {
            cephfs.map(|fs| cephfs_caps(&fs.fs, &fs.subvolume_group))
        } else {
            Some(rbd_caps(pool))
        }
    }
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
    /// Whether `rbd pool init` ran on the pool.
    pub rbd_initialised: bool,
    /// Caps of the RBD client, when it exists.
    pub client_caps: Option<BTreeMap<String, String>>,
    /// Subvolume groups of the requested file system.
    pub subvolume_groups: Vec<String>,
    /// Caps of the CephFS client, when it exists.
    pub cephfs_client_caps: Option<BTreeMap<String, String>>,
    /// Caps of each ceph-csi user that exists (asked only with `csi`).
    pub csi_users: BTreeMap<String, BTreeMap<String, String>>,
    /// The PG budget, asked when the pool is to be created: a pool over it
    /// is refused before anything is created (KM251), not by Ceph's ERANGE
    /// after the users were.
    pub pg_budget: Option<crate::budget::PgBudget>,
}

/// One change, in the order it must happen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum Action {
    /// `ceph osd pool create`.
    CreatePool {
        /// The pool.
        pool: String,
        /// Its pg_num (Ceph's default when `None`).
        pg_num: Option<u32>,
    },
    /// `ceph osd pool application enable POOL rbd`.
    EnableRbdApplication {
        /// The pool.
        pool: String,
    },
    /// `rbd pool init`.
    InitRbdPool {
        /// The pool.
        pool: String,
    },
    /// `ceph auth get-or-create`.
    CreateClient {
        /// `client.NAME`.
        entity: String,
        /// Caps by service.
        caps: BTreeMap<String, String>,
    },
    /// `ceph auth caps`: caps that drifted are put back.
    UpdateCaps {
        /// `client.NAME`.
        entity: String,
        /// Caps by service, as wanted.
        caps: BTreeMap<String, String>,
        /// Caps found, replaced.
        previous: BTreeMap<String, String>,
    },
    /// `ceph fs subvolumegroup create`.
    CreateSubvolumeGroup {
        /// The file system.
        fs: String,
        /// The group.
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
    /// Actions in the order they must run.
    pub actions: Vec<Action>,
    /// What is left as it is, and why (KM231, KM232).
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
            let adding = observed
                .pg_budget
                .map(|b| b.new_pool(req.pg_num.map(PgNum::get)));
            if let Some(over) = observed
                .pg_budget
                .zip(adding)
                .and_then(|(b, n)| b.check(Some((&pool, n))))
            {
                p.notes.push(over);
                return p;
            }
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
    if req.csi {
        for u in CsiUser::ALL {
            if let Some(caps) = u.caps(&req.pool, req.cephfs.as_ref()) {
                p.actions.extend(client_action(
                    u.entity(),
                    &caps,
                    &observed.csi_users.get(&u.entity()).cloned(),
                ));
            }
        }
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
    type PoolPart = (
        Option<(u32, Vec<String>)>,
        bool,
        Option<crate::budget::PgBudget>,
    );
    std::thread::scope(|s| {
        let pool_part = s.spawn(|| -> Result<PoolPart> {
            let pool = api
                .pools()?
                .into_iter()
                .find(|p| p.pool_name == req.pool.as_str())
                .map(|p| (p.pg_num, p.application_metadata.keys().cloned().collect()));
            let initialised = pool.is_some() && api.rbd_pool_initialised(&req.pool)?;
            let budget = match pool {
                None => Some(api.pg_budget()?),
                Some(_) => None,
            };
            Ok((pool, initialised, budget))
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
        let csi_part = s.spawn(|| -> Result<BTreeMap<String, BTreeMap<String, String>>> {
            let mut out = BTreeMap::new();
            if !req.csi {
                return Ok(out);
            }
            for u in CsiUser::ALL {
                if u.is_cephfs() && req.cephfs.is_none() {
                    continue;
                }
                if let Some(c) = api.auth_get(&u.entity())? {
                    out.insert(c.entity, c.caps);
                }
            }
            Ok(out)
        });
        let (pool, rbd_initialised, pg_budget) = joined(pool_part.join())?;
        let client_caps = joined(client_part.join())?.map(|c| c.caps);
        let (subvolume_groups, cephfs_client_caps) = joined(fs_part.join())?;
        let csi_users = joined(csi_part.join())?;
        Ok(Observed {
            pool,
            rbd_initialised,
            client_caps,
            subvolume_groups,
            cephfs_client_caps,
            csi_users,
            pg_budget,
        })
    })
}

/// Where a client's key is: in the monitors' auth database, never printed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyLocation {
    /// `client.NAME`.
    pub entity: String,
    /// The command that reads it (or writes it to a keyring file with `-o`).
    pub read_with: String,
}

/// The outcome of `prepare`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PrepareReport {
    /// Whether nothing was changed on purpose.
    pub dry_run: bool,
    /// Actions run (or, with `dry_run`, that would run).
    pub actions: Vec<Action>,
    /// Whether the cluster was changed.
    pub changed: bool,
    /// Notes of the plan (a KM232 error blocks every action).
    pub notes: Vec<Finding>,
    /// Where each client's key is (never the key).
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
    if req.csi {
        keys.extend(
            CsiUser::ALL
                .into_iter()
                .filter(|u| !u.is_cephfs() || req.cephfs.is_some())
                .map(CsiUser::entity),
        );
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
            csi: false,
        }
    }

    #[test]
    fn csi_users_get_the_documented_caps_restricted_to_pool_and_group() {
        let mut r = req();
        r.csi = true;
        r.cephfs = Some(CephFsRequest {
            fs: "cephfs".parse().unwrap(),
            subvolume_group: "k8s".into(),
            client: "kube-cephfs".parse().unwrap(),
        });
        let p = plan(&r, &Observed::default());
        let cmds: Vec<String> = p.actions.iter().map(|a| a.command().to_string()).collect();
        assert!(cmds.contains(&"ceph auth get-or-create client.csi-rbd-node mon 'profile rbd' osd 'profile rbd pool=kube' mgr 'profile rbd pool=kube'".to_string()), "{cmds:#?}");
        assert!(cmds.contains(&"ceph auth get-or-create client.csi-cephfs-provisioner mon 'allow r fsname=cephfs' osd 'allow rw tag cephfs metadata=cephfs, allow rw tag cephfs data=cephfs' mgr 'allow rw' mds 'allow r fsname=cephfs path=/volumes, allow rws fsname=cephfs path=/volumes/k8s'".to_string()), "{cmds:#?}");
        // Without CephFS only the two RBD users.
        r.cephfs = None;
        let p = plan(&r, &Observed::default());
        let users: Vec<_> = p
            .actions
            .iter()
            .filter_map(|a| match a {
                Action::CreateClient { entity, .. } => Some(entity.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(
            users,
            [
                "client.kube",
                "client.csi-rbd-provisioner",
                "client.csi-rbd-node"
            ]
        );
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

//! What the cephfs-provisioner (1.2.2) leaves behind when a PVC is deleted:
//! a PersistentVolume stuck in `Released` although its reclaim policy is
//! `Delete`, and the per-volume Secret `ceph-<user>-secret` it created for
//! the volume's cephx user. Both block re-creating a PVC of the same name.
//!
//! [`find_leftovers`] is a pure function over k8s-openapi objects;
//! [`scan`] and [`delete`] are the kube client around it.

use crate::api::CephCommand;
use crate::error::{CephError, Result};
use k8s_openapi::api::core::v1::{PersistentVolume, Secret};
use kube::api::{Api, DeleteParams, ListParams};
use serde::Serialize;
use std::collections::BTreeSet;
use std::path::Path;

/// The annotation the external provisioner library sets on every PV.
pub const PROVISIONED_BY: &str = "pv.kubernetes.io/provisioned-by";
/// The provisioner name of the external cephfs-provisioner (its PV annotation).
pub const CEPHFS_PROVISIONER: &str = "ceph.com/cephfs";
/// The cephfs-provisioner names each volume's cephx user
/// `kubernetes-dynamic-user-<uuid>`: orphan Secrets are recognised by it,
/// so that an unrelated `ceph-admin-secret` is never touched.
pub const DYNAMIC_USER_PREFIX: &str = "kubernetes-dynamic-user-";

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
/// A Secret a leftover refers to.
pub struct SecretRef {
    /// Its namespace.
    pub namespace: String,
    /// Its name.
    pub name: String,
    /// Whether the Secret exists now.
    pub exists: bool,
}

/// A Released PV of the cephfs-provisioner that Kubernetes will not delete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LeftoverVolume {
    /// The PV's name.
    pub pv: String,
    /// `namespace/name` of the deleted claim.
    pub claim: Option<String>,
    /// The cephx user of the volume (`spec.cephfs.user`).
    pub user: Option<String>,
    /// The share path in CephFS (`spec.cephfs.path`).
    pub path: Option<String>,
    /// The volume's Secret, when known.
    pub secret: Option<SecretRef>,
}

/// A per-volume Secret whose PV is gone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrphanSecret {
    /// The Secret's namespace.
    pub namespace: String,
    /// The Secret's name.
    pub name: String,
    /// The cephx user named in it.
    pub user: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
/// What the cephfs-provisioner left behind, as found in Kubernetes.
pub struct Leftovers {
    /// Released PVs with reclaim policy Delete.
    pub volumes: Vec<LeftoverVolume>,
    /// Secrets whose PV is gone.
    pub orphan_secrets: Vec<OrphanSecret>,
}

/// The Ceph side of one leftover: its cephx user and share.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CephCleanup {
    /// The cephx user (without `client.`).
    pub user: String,
    /// The share path in CephFS, when known.
    pub path: Option<String>,
    /// `ceph auth del client.<user>`.
    pub command: CephCommand,
}

impl Leftovers {
    /// Nothing found.
    pub fn is_empty(&self) -> bool {
        self.volumes.is_empty() && self.orphan_secrets.is_empty()
    }

    /// The cephx users to delete and the share paths to remove, one per
    /// user.
    pub fn ceph_cleanup(&self) -> Vec<CephCleanup> {
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        let users = self
            .volumes
            .iter()
            .filter_map(|v| v.user.clone().map(|u| (u, v.path.clone())))
            .chain(self.orphan_secrets.iter().map(|s| (s.user.clone(), None)));
        for (user, path) in users {
            if seen.insert(user.clone()) {
                out.push(CephCleanup {
                    command: CephCommand::ceph([
                        "auth".to_string(),
                        "del".into(),
                        format!("client.{user}"),
                    ]),
                    user,
                    path,
                });
            }
        }
        out
    }
}

fn secret_name_for(user: &str) -> String {
    format!("ceph-{user}-secret")
}

/// The user of a `ceph-<user>-secret` name, when it is a provisioner's.
fn user_of_secret_name(name: &str) -> Option<&str> {
    let user = name.strip_prefix("ceph-")?.strip_suffix("-secret")?;
    user.starts_with(DYNAMIC_USER_PREFIX).then_some(user)
}

/// Pure: Released cephfs-provisioner PVs with reclaim policy Delete, their
/// Secrets, and provisioner Secrets whose PV no longer exists.
pub fn find_leftovers(pvs: &[PersistentVolume], secrets: &[Secret]) -> Leftovers {
    let existing: BTreeSet<(String, String)> = secrets
        .iter()
        .filter_map(|s| Some((s.metadata.namespace.clone()?, s.metadata.name.clone()?)))
        .collect();
    let mut out = Leftovers::default();
    let mut pv_users = BTreeSet::new();

    for pv in pvs {
        let spec = pv.spec.as_ref();
        let cephfs = spec.and_then(|s| s.cephfs.as_ref());
        if let Some(u) = cephfs.and_then(|c| c.user.clone()) {
            pv_users.insert(u);
        }
        let by_cephfs = pv
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(PROVISIONED_BY))
            .is_some_and(|p| p == CEPHFS_PROVISIONER);
        let released = pv.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Released");
        let delete =
            spec.and_then(|s| s.persistent_volume_reclaim_policy.as_deref()) == Some("Delete");
        if !(by_cephfs && released && delete) {
            continue;
        }
        let claim_ref = spec.and_then(|s| s.claim_ref.as_ref());
        let claim_ns = claim_ref.and_then(|c| c.namespace.clone());
        let user = cephfs.and_then(|c| c.user.clone());
        let secret = cephfs
            .and_then(|c| c.secret_ref.as_ref())
            .and_then(|r| {
                Some((
                    r.namespace.clone().or_else(|| claim_ns.clone())?,
                    r.name.clone()?,
                ))
            })
            .or_else(|| Some((claim_ns.clone()?, secret_name_for(user.as_deref()?))))
            .map(|(namespace, name)| SecretRef {
                exists: existing.contains(&(namespace.clone(), name.clone())),
                namespace,
                name,
            });
        out.volumes.push(LeftoverVolume {
            pv: pv.metadata.name.clone().unwrap_or_default(),
            claim: claim_ref.map(|c| {
                format!(
                    "{}/{}",
                    c.namespace.as_deref().unwrap_or_default(),
                    c.name.as_deref().unwrap_or_default()
                )
            }),
            user,
            path: cephfs.and_then(|c| c.path.clone()),
            secret,
        });
    }

    for s in secrets {
        let (Some(ns), Some(name)) = (&s.metadata.namespace, &s.metadata.name) else {
            continue;
        };
        if let Some(user) = user_of_secret_name(name) {
            if !pv_users.contains(user) {
                out.orphan_secrets.push(OrphanSecret {
                    namespace: ns.clone(),
                    name: name.clone(),
                    user: user.to_string(),
                });
            }
        }
    }
    out
}

/// A client from a kubeconfig file, or from `$KUBECONFIG`/`~/.kube/config`
/// (then in-cluster) when `path` is `None`.
pub async fn client(path: Option<&Path>) -> Result<kube::Client> {
    let shown = path
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "(default)".into());
    let kerr = |message: String| CephError::Kubeconfig {
        path: shown.clone(),
        message,
    };
    let config = match path {
        Some(p) => {
            let kc = kube::config::Kubeconfig::read_from(p).map_err(|e| kerr(e.to_string()))?;
            kube::Config::from_custom_kubeconfig(kc, &kube::config::KubeConfigOptions::default())
                .await
                .map_err(|e| kerr(e.to_string()))?
        }
        None => kube::Config::infer()
            .await
            .map_err(|e| kerr(e.to_string()))?,
    };
    kube::Client::try_from(config).map_err(|e| kerr(e.to_string()))
}

fn kube_err(action: impl Into<String>) -> impl FnOnce(kube::Error) -> CephError {
    let action = action.into();
    move |source| CephError::Kube { action, source }
}

async fn list_pvs(client: &kube::Client) -> Result<Vec<PersistentVolume>> {
    Ok(Api::<PersistentVolume>::all(client.clone())
        .list(&ListParams::default())
        .await
        .map_err(kube_err("list persistentvolumes"))?
        .items)
}

async fn list_secrets(client: &kube::Client) -> Result<Vec<Secret>> {
    Ok(Api::<Secret>::all(client.clone())
        .list(&ListParams::default())
        .await
        .map_err(kube_err("list secrets"))?
        .items)
}

/// Lists every PV and Secret and finds the leftovers.
pub async fn scan(client: &kube::Client) -> Result<Leftovers> {
    let pvs = list_pvs(client).await?;
    let secrets = list_secrets(client).await?;
    Ok(find_leftovers(&pvs, &secrets))
}

/// One object deleted (or already gone).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Deleted {
    /// `Secret` or `PersistentVolume`.
    pub kind: &'static str,
    /// The namespace (Secrets).
    pub namespace: Option<String>,
    /// The object's name.
    pub name: String,
    /// False when the object was already gone (404).
    pub existed: bool,
}

fn gone(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == 404)
}

/// Deletes each leftover volume's Secret, then the PV, then the orphan
/// Secrets. The Secret goes first: a PV deleted first would turn its Secret
/// into an orphan only recognisable by name.
pub async fn delete(client: &kube::Client, leftovers: &Leftovers) -> Result<Vec<Deleted>> {
    let dp = DeleteParams::default();
    let mut out = Vec::new();
    let delete_secret = |ns: String, name: String| {
        let api = Api::<Secret>::namespaced(client.clone(), &ns);
        async move {
            match api.delete(&name, &DeleteParams::default()).await {
                Ok(_) => Ok(Deleted {
                    kind: "Secret",
                    namespace: Some(ns),
                    name,
                    existed: true,
                }),
                Err(e) if gone(&e) => Ok(Deleted {
                    kind: "Secret",
                    namespace: Some(ns),
                    name,
                    existed: false,
                }),
                Err(e) => Err(CephError::Kube {
                    action: format!("delete secret {ns}/{name}"),
                    source: e,
                }),
            }
        }
    };
    for v in &leftovers.volumes {
        if let Some(s) = v.secret.as_ref().filter(|s| s.exists) {
            out.push(delete_secret(s.namespace.clone(), s.name.clone()).await?);
        }
        let pvs = Api::<PersistentVolume>::all(client.clone());
        match pvs.delete(&v.pv, &dp).await {
            Ok(_) => out.push(Deleted {
                kind: "PersistentVolume",
                namespace: None,
                name: v.pv.clone(),
                existed: true,
            }),
            Err(e) if gone(&e) => out.push(Deleted {
                kind: "PersistentVolume",
                namespace: None,
                name: v.pv.clone(),
                existed: false,
            }),
            Err(e) => {
                return Err(CephError::Kube {
                    action: format!("delete persistentvolume {}", v.pv),
                    source: e,
                })
            }
        }
    }
    for s in &leftovers.orphan_secrets {
        out.push(delete_secret(s.namespace.clone(), s.name.clone()).await?);
    }
    Ok(out)
}

/// Runs an async kube operation on a private current-thread runtime, for
/// synchronous callers (the CLI, Python).
pub fn block_on<F: std::future::Future>(f: F) -> Result<F::Output> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(CephError::Runtime)?;
    Ok(rt.block_on(f))
}

/// What happened to one cephx user of a leftover.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserDeleted {
    /// `client.<user>`.
    pub entity: String,
    /// False when Ceph no longer knew the user.
    pub existed: bool,
}

/// Deletes the cephx users of the leftovers (`ceph auth del`). A user
/// already gone is not an error. Share paths are left to the operator: removing
/// them needs a CephFS mount.
pub fn delete_ceph_users(
    api: &dyn crate::api::CephApi,
    cleanups: &[CephCleanup],
) -> Result<Vec<UserDeleted>> {
    let mut out = Vec::new();
    for c in cleanups {
        let entity = format!("client.{}", c.user);
        let existed = api.auth_get(&entity)?.is_some();
        if existed {
            api.execute(&c.command)?;
        }
        out.push(UserDeleted { entity, existed });
    }
    Ok(out)
}

/// The subvolume group of ceph-csi's CephFS volumes.
pub const CSI_GROUP: &str = crate::prepare::DEFAULT_SUBVOLUME_GROUP;
/// The group the cephfs-provisioner (ceph_volume_client) put volumes in.
pub const LEGACY_GROUP: &str = "kubernetes";
/// Names ceph-csi gives its RBD images and CephFS subvolumes.
pub const CSI_VOLUME_PREFIX: &str = "csi-vol-";
/// Names the rbd-provisioner and the cephfs-provisioner give their volumes.
pub const LEGACY_VOLUME_PREFIX: &str = "kubernetes-dynamic-pvc-";
/// The RBD driver of ceph-csi, as PVs name it.
const RBD_CSI_DRIVER: &str = crate::render::RBD_CSI_DRIVER;
/// The CephFS driver of ceph-csi, as PVs name it.
const CEPHFS_CSI_DRIVER: &str = crate::render::CEPHFS_CSI_DRIVER;

/// What a PV points at in Ceph, for the "still referenced" rule.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct References {
    /// (pool, image) of RBD volumes (in-tree `rbd` and ceph-csi).
    pub images: BTreeSet<(String, String)>,
    /// (group, name) of CephFS volumes (ceph-csi, and the
    /// cephfs-provisioner's `/volumes/<group>/<name>` paths).
    pub subvolumes: BTreeSet<(String, String)>,
}

/// (group, name): the last two components of a share path
/// (`/volumes/kubernetes/kubernetes-dynamic-pvc-x` → `kubernetes`, ...).
fn group_and_name(path: &str) -> Option<(String, String)> {
    let mut it = path.trim_end_matches('/').rsplit('/');
    let name = it.next().filter(|n| !n.is_empty())?;
    let group = it.next().filter(|g| !g.is_empty())?;
    Some((group.to_string(), name.to_string()))
}

/// Everything the PVs reference, except `skip` (the leftover PVs that the
/// cleanup deletes first).
pub fn references(pvs: &[PersistentVolume], skip: &BTreeSet<String>) -> References {
    let mut r = References::default();
    for pv in pvs {
        if pv.metadata.name.as_ref().is_some_and(|n| skip.contains(n)) {
            continue;
        }
        let Some(spec) = pv.spec.as_ref() else {
            continue;
        };
        if let Some(rbd) = &spec.rbd {
            r.images.insert((
                rbd.pool.clone().unwrap_or_else(|| "rbd".into()),
                rbd.image.clone(),
            ));
        }
        if let Some(p) = spec.cephfs.as_ref().and_then(|c| c.path.as_deref()) {
            r.subvolumes.extend(group_and_name(p));
        }
        if let Some(csi) = &spec.csi {
            let attrs = csi.volume_attributes.clone().unwrap_or_default();
            if csi.driver == RBD_CSI_DRIVER {
                if let (Some(pool), Some(image)) = (attrs.get("pool"), attrs.get("imageName")) {
                    r.images.insert((pool.clone(), image.clone()));
                }
            } else if csi.driver == CEPHFS_CSI_DRIVER {
                if let Some(name) = attrs.get("subvolumeName") {
                    let group = attrs
                        .get("subvolumePath")
                        .and_then(|p| p.strip_prefix("/volumes/"))
                        .and_then(|p| p.split('/').next())
                        .unwrap_or(CSI_GROUP);
                    r.subvolumes.insert((group.to_string(), name.clone()));
                }
            }
        }
    }
    r
}

/// What the cluster holds of the provisioners' volumes (scanned by
/// [`scan_ceph`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CephVolumes {
    /// (pool, image, snapshots) of images named like a provisioner's.
    pub images: Vec<(String, String, Vec<String>)>,
    /// (fs, group, name, snapshots) of subvolumes in the provisioners' groups.
    pub subvolumes: Vec<(String, String, String, Vec<String>)>,
}

/// A volume in Ceph that no PV references: data nobody can reach.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StaleVolume {
    /// `ceph-csi`, `rbd-provisioner` or `cephfs-provisioner`.
    pub provisioner: &'static str,
    /// `rbd-image` or `subvolume`.
    pub kind: &'static str,
    /// The pool (RBD) or the file system (CephFS).
    pub location: String,
    /// The subvolume group (CephFS).
    pub group: Option<String>,
    /// The image or subvolume.
    pub name: String,
    /// Its snapshots (removed with it).
    pub snapshots: Vec<String>,
    /// The removal, snapshots first, in order.
    pub commands: Vec<CephCommand>,
}

impl StaleVolume {
    /// `pool/image` or `fs:group/name`, for text output.
    pub fn display(&self) -> String {
        match &self.group {
            Some(g) => format!("{}:{g}/{}", self.location, self.name),
            None => format!("{}/{}", self.location, self.name),
        }
    }
}

/// Pure: the volumes of `ceph` that no PV in `refs` points at, with the
/// commands that remove them (snapshots first: Ceph refuses to remove an
/// image or subvolume that still has snapshots).
pub fn find_stale(ceph: &CephVolumes, refs: &References) -> Vec<StaleVolume> {
    let mut out = Vec::new();
    for (pool, image, snaps) in &ceph.images {
        if refs.images.contains(&(pool.clone(), image.clone())) {
            continue;
        }
        let provisioner = if image.starts_with(CSI_VOLUME_PREFIX) {
            "ceph-csi"
        } else if image.starts_with(LEGACY_VOLUME_PREFIX) {
            "rbd-provisioner"
        } else {
            continue;
        };
        let spec = format!("{pool}/{image}");
        let mut commands = Vec::new();
        if !snaps.is_empty() {
            commands.push(CephCommand::rbd(["snap", "purge", spec.as_str()]));
        }
        commands.push(CephCommand::rbd(["rm", spec.as_str()]));
        out.push(StaleVolume {
            provisioner,
            kind: "rbd-image",
            location: pool.clone(),
            group: None,
            name: image.clone(),
            snapshots: snaps.clone(),
            commands,
        });
    }
    for (fs, group, name, snaps) in &ceph.subvolumes {
        if refs.subvolumes.contains(&(group.clone(), name.clone())) {
            continue;
        }
        let provisioner = match group.as_str() {
            g if g == CSI_GROUP && name.starts_with(CSI_VOLUME_PREFIX) => "ceph-csi",
            g if g == LEGACY_GROUP && name.starts_with(LEGACY_VOLUME_PREFIX) => {
                "cephfs-provisioner"
            }
            _ => continue,
        };
        let mut commands: Vec<CephCommand> = snaps
            .iter()
            .map(|s| {
                CephCommand::ceph([
                    "fs",
                    "subvolume",
                    "snapshot",
                    "rm",
                    fs.as_str(),
                    name.as_str(),
                    s.as_str(),
                    "--group_name",
                    group.as_str(),
                ])
            })
            .collect();
        // The mgr volumes module treats the cephfs-provisioner's
        // `/volumes/<group>/<name>` directories as legacy subvolumes, so
        // the same command removes them (no CephFS mount needed).
        commands.push(CephCommand::ceph([
            "fs",
            "subvolume",
            "rm",
            fs.as_str(),
            name.as_str(),
            "--group_name",
            group.as_str(),
        ]));
        out.push(StaleVolume {
            provisioner,
            kind: "subvolume",
            location: fs.clone(),
            group: Some(group.clone()),
            name: name.clone(),
            snapshots: snaps.clone(),
            commands,
        });
    }
    out
}

/// Asks the cluster for the provisioners' volumes: images named
/// `csi-vol-*`/`kubernetes-dynamic-pvc-*` in every RBD pool, subvolumes of
/// the `csi` and `kubernetes` groups of every file system, with their
/// snapshots.
pub fn scan_ceph(api: &dyn crate::api::CephApi) -> Result<CephVolumes> {
    let mut out = CephVolumes::default();
    for pool in api.pools()? {
        if !pool.application_metadata.contains_key("rbd") {
            continue;
        }
        for image in api.rbd_images(&pool.pool_name)? {
            if image.starts_with(CSI_VOLUME_PREFIX) || image.starts_with(LEGACY_VOLUME_PREFIX) {
                let snaps = api.rbd_snapshots(&pool.pool_name, &image)?;
                out.images.push((pool.pool_name.clone(), image, snaps));
            }
        }
    }
    for fs in api.fs_ls()? {
        for group in [CSI_GROUP, LEGACY_GROUP] {
            for name in api.subvolumes(&fs.name, group)? {
                let snaps = api.subvolume_snapshots(&fs.name, group, &name)?;
                out.subvolumes
                    .push((fs.name.clone(), group.to_string(), name, snaps));
            }
        }
    }
    Ok(out)
}

/// One Ceph volume removed (or already gone).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DataDeleted {
    /// `pool/image` or `fs:group/name`.
    pub volume: String,
    /// False when it was already gone.
    pub existed: bool,
}

/// Removes stale volumes, refusing any that `refs` (the PVs as they are
/// now) still points at; a volume already gone is not an error.
pub fn delete_stale(
    api: &dyn crate::api::CephApi,
    stale: &[StaleVolume],
    refs: &References,
) -> Result<Vec<DataDeleted>> {
    let mut out = Vec::new();
    for v in stale {
        let referenced = match &v.group {
            Some(g) => refs.subvolumes.contains(&(g.clone(), v.name.clone())),
            None => refs.images.contains(&(v.location.clone(), v.name.clone())),
        };
        if referenced {
            return Err(CephError::Refused(format!(
                "{} is referenced by a PersistentVolume; not deleting it",
                v.display()
            )));
        }
        let mut existed = true;
        for c in &v.commands {
            existed &= api.execute_removal(c)?;
        }
        out.push(DataDeleted {
            volume: v.display(),
            existed,
        });
    }
    Ok(out)
}

/// What `kubemagic ceph leftovers` (and Python) asks.
#[derive(Debug, Clone, Default)]
pub struct LeftoversRequest {
    /// The kubeconfig; `$KUBECONFIG`, `~/.kube/config`, then in-cluster
    /// when `None`.
    pub kubeconfig: Option<std::path::PathBuf>,
    /// The Ceph cluster (with `ceph_conf`): needed to delete the Ceph side.
    pub conn: crate::cli::Connection,
    /// Delete what was found (Kubernetes objects, then Ceph users).
    pub delete: bool,
}

/// The result of [`leftovers`]; its JSON is the contract of
/// `kubemagic ceph leftovers --output json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LeftoversReport {
    /// Released cephfs-provisioner PVs with reclaim policy Delete.
    pub volumes: Vec<LeftoverVolume>,
    /// Provisioner Secrets whose PV is gone.
    pub orphan_secrets: Vec<OrphanSecret>,
    /// Kubernetes objects deleted (with `delete`).
    pub deleted: Vec<Deleted>,
    /// The Ceph side: users to delete, shares to remove.
    pub ceph_cleanup: Vec<CephCleanup>,
    /// Whether Ceph was scanned (a cluster was given).
    pub ceph_scanned: bool,
    /// Images and subvolumes of the three provisioners that no PV
    /// references (only with a cluster).
    pub stale_volumes: Vec<StaleVolume>,
    /// Ceph volumes removed (with `delete`).
    pub ceph_data_deleted: Vec<DataDeleted>,
    /// cephx users deleted (with `delete` and a cluster).
    pub ceph_users_deleted: Vec<UserDeleted>,
}

impl LeftoversReport {
    /// Nothing left behind.
    pub fn is_empty(&self) -> bool {
        self.volumes.is_empty() && self.orphan_secrets.is_empty() && self.stale_volumes.is_empty()
    }

    /// The report as a Monitoring Plugins check (`kubemagic ceph leftovers
    /// --output nagios`): leftovers are WARNING (space is lost slowly, nothing
    /// is down), none is OK; the counts as perfdata, the first leftovers as
    /// long output. Volume sizes are not measured (no `du` of every volume),
    /// so the summary counts volumes, not bytes.
    pub fn nagios(&self) -> kubemagic_core::nagios::PluginOutput {
        use kubemagic_core::nagios::{Perf, PluginOutput, State, Uom};
        let released = self.volumes.len();
        let secrets = self.orphan_secrets.len();
        let stale = self.stale_volumes.len();
        let state = if self.is_empty() {
            State::Ok
        } else {
            State::Warning
        };
        let mut long: Vec<String> = self
            .stale_volumes
            .iter()
            .map(|v| {
                format!(
                    "stale {} {} {}/{}",
                    v.provisioner, v.kind, v.location, v.name
                )
            })
            .chain(self.volumes.iter().map(|v| format!("released PV {}", v.pv)))
            .take(10)
            .collect();
        let total = released + secrets + stale;
        if total > long.len() {
            long.push(format!("... {} in all", total));
        }
        let count = |label: &str, n: usize| {
            Perf::new(label, Some(n as f64), Uom::None)
                .thresholds(Some(1.0), None)
                .bounds(Some(0.0), None)
        };
        PluginOutput {
            service: "CEPH LEFTOVERS".into(),
            state,
            summary: format!(
                "{stale} stale volume(s) in Ceph, {released} released PV(s), {secrets} orphan Secret(s){}",
                if self.ceph_scanned { "" } else { " (Ceph not scanned: give --ceph-conf)" }
            ),
            perfdata: vec![
                count("stale_volumes", stale),
                count("released_pvs", released),
                count("orphan_secrets", secrets),
            ],
            long,
        }
    }
}

/// `kubemagic ceph leftovers`: scan Kubernetes (and with a cluster, Ceph),
/// report, and with `delete` remove in a safe order: Kubernetes objects
/// first (a Secret before its PV), then Ceph data no PV references (the PVs
/// are listed again first, so a volume a PV references now is refused),
/// then the Ceph users.
pub fn leftovers(req: &LeftoversRequest) -> Result<LeftoversReport> {
    let ceph_api = req.conn.open()?;
    let kubeconfig = req.kubeconfig.as_deref();
    let delete_k8s = req.delete;
    let (found, pvs, deleted, pvs_after) = block_on(async {
        let client = client(kubeconfig).await?;
        let pvs = list_pvs(&client).await?;
        let secrets = list_secrets(&client).await?;
        let found = find_leftovers(&pvs, &secrets);
        let (deleted, pvs_after) = if delete_k8s {
            let d = delete(&client, &found).await?;
            (d, Some(list_pvs(&client).await?))
        } else {
            (vec![], None)
        };
        Ok::<_, CephError>((found, pvs, deleted, pvs_after))
    })??;
    let ceph_cleanup = found.ceph_cleanup();
    let mut report = LeftoversReport {
        ceph_scanned: ceph_api.is_some(),
        ..Default::default()
    };
    if let Some(api) = &ceph_api {
        let leftover_pvs: BTreeSet<String> = found.volumes.iter().map(|v| v.pv.clone()).collect();
        let refs = references(&pvs, &leftover_pvs);
        report.stale_volumes = find_stale(&scan_ceph(api)?, &refs);
        if req.delete {
            // The PVs as they are now, less those just deleted (one may
            // linger a moment while Kubernetes finalises it).
            let gone: BTreeSet<String> = deleted
                .iter()
                .filter(|d| d.kind == "PersistentVolume")
                .map(|d| d.name.clone())
                .collect();
            let now = references(pvs_after.as_deref().unwrap_or(&pvs), &gone);
            report.ceph_data_deleted = delete_stale(api, &report.stale_volumes, &now)?;
            report.ceph_users_deleted = delete_ceph_users(api, &ceph_cleanup)?;
        }
    }
    report.volumes = found.volumes;
    report.orphan_secrets = found.orphan_secrets;
    report.deleted = deleted;
    report.ceph_cleanup = ceph_cleanup;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pv(json: serde_json::Value) -> PersistentVolume {
        serde_json::from_value(json).unwrap()
    }

    /// A PV as the cephfs-provisioner 1.2.2 creates it, in a given phase.
    fn cephfs_pv(name: &str, user: &str, ns: &str, phase: &str, policy: &str) -> PersistentVolume {
        pv(serde_json::json!({
            "apiVersion": "v1", "kind": "PersistentVolume",
            "metadata": {"name": name, "annotations": {
                "cephFSProvisionerIdentity": "cephfs-provisioner-1",
                "cephShare": format!("kubernetes-dynamic-pvc-{name}"),
                "pv.kubernetes.io/provisioned-by": "ceph.com/cephfs"}},
            "spec": {
                "accessModes": ["ReadWriteMany"], "capacity": {"storage": "1Gi"},
                "cephfs": {"monitors": ["10.0.0.1:6789", "10.0.0.2:6789"],
                           "path": format!("/volumes/kubernetes/kubernetes/kubernetes-dynamic-pvc-{name}"),
                           "secretRef": {"name": format!("ceph-{user}-secret"), "namespace": ns},
                           "user": user},
                "claimRef": {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "name": "data", "namespace": ns, "uid": "f1"},
                "persistentVolumeReclaimPolicy": policy, "storageClassName": "cephfs", "volumeMode": "Filesystem"},
            "status": {"phase": phase}
        }))
    }

    fn secret(ns: &str, name: &str) -> Secret {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": name, "namespace": ns}, "data": {"key": "QVFEejZBVnIxaWVrREJBQTgwVWlremZBZU9aSmx3V1ZqZlc0K0E9PQ=="}
        }))
        .unwrap()
    }

    const U1: &str = "kubernetes-dynamic-user-7b1c2d3e-0000-11ea-8a1b-0242ac110002";
    const U2: &str = "kubernetes-dynamic-user-8c2d3e4f-0000-11ea-8a1b-0242ac110002";
    const U3: &str = "kubernetes-dynamic-user-9d3e4f50-0000-11ea-8a1b-0242ac110002";

    #[test]
    fn released_pv_with_delete_policy_and_its_secret_are_leftovers() {
        let pvs = [
            cephfs_pv("pvc-1", U1, "apps", "Released", "Delete"),
            cephfs_pv("pvc-2", U2, "apps", "Bound", "Delete"),
        ];
        let secrets = [
            secret("apps", &format!("ceph-{U1}-secret")),
            secret("apps", &format!("ceph-{U2}-secret")),
        ];
        let l = find_leftovers(&pvs, &secrets);
        assert_eq!(l.volumes.len(), 1);
        let v = &l.volumes[0];
        assert_eq!(v.pv, "pvc-1");
        assert_eq!(v.claim.as_deref(), Some("apps/data"));
        assert_eq!(v.user.as_deref(), Some(U1));
        assert_eq!(
            v.secret,
            Some(SecretRef {
                namespace: "apps".into(),
                name: format!("ceph-{U1}-secret"),
                exists: true
            })
        );
        assert!(
            l.orphan_secrets.is_empty(),
            "the bound PV's secret is in use"
        );
    }

    #[test]
    fn retain_policy_and_other_provisioners_are_not_leftovers() {
        let mut rbd = cephfs_pv("pvc-3", U3, "apps", "Released", "Delete");
        rbd.metadata
            .annotations
            .as_mut()
            .unwrap()
            .insert(PROVISIONED_BY.into(), "ceph.com/rbd".into());
        let pvs = [cephfs_pv("pvc-1", U1, "apps", "Released", "Retain"), rbd];
        assert!(find_leftovers(&pvs, &[]).volumes.is_empty());
    }

    #[test]
    fn secret_whose_pv_is_gone_is_an_orphan_but_unrelated_secrets_are_not() {
        let secrets = [
            secret("apps", &format!("ceph-{U3}-secret")),
            secret("kube-system", "ceph-admin-secret"),
            secret("apps", "ceph-secret-user"),
        ];
        let l = find_leftovers(&[], &secrets);
        assert_eq!(
            l.orphan_secrets,
            vec![OrphanSecret {
                namespace: "apps".into(),
                name: format!("ceph-{U3}-secret"),
                user: U3.into()
            }]
        );
    }

    #[test]
    fn secret_name_is_derived_from_the_user_without_secret_ref() {
        let mut p = cephfs_pv("pvc-1", U1, "apps", "Released", "Delete");
        p.spec.as_mut().unwrap().cephfs.as_mut().unwrap().secret_ref = None;
        let l = find_leftovers(&[p], &[]);
        let s = l.volumes[0].secret.clone().unwrap();
        assert_eq!((s.namespace.as_str(), s.exists), ("apps", false));
        assert_eq!(s.name, format!("ceph-{U1}-secret"));
    }

    #[test]
    fn ceph_cleanup_deletes_each_user_once_and_names_the_share() {
        let pvs = [cephfs_pv("pvc-1", U1, "apps", "Released", "Delete")];
        let secrets = [
            secret("apps", &format!("ceph-{U1}-secret")),
            secret("apps", &format!("ceph-{U3}-secret")),
        ];
        let c = find_leftovers(&pvs, &secrets).ceph_cleanup();
        // U1 from the Released PV, U3 from the orphan Secret.
        assert_eq!(c.len(), 2);
        assert_eq!((c[1].user.as_str(), c[1].path.as_deref()), (U3, None));
        assert_eq!(
            c[0].command.to_string(),
            format!("ceph auth del client.{U1}")
        );
        assert_eq!(
            c[0].path.as_deref(),
            Some("/volumes/kubernetes/kubernetes/kubernetes-dynamic-pvc-pvc-1")
        );
    }

    fn csi_pv(name: &str, driver: &str, attrs: serde_json::Value) -> PersistentVolume {
        pv(serde_json::json!({
            "apiVersion": "v1", "kind": "PersistentVolume",
            "metadata": {"name": name},
            "spec": {"csi": {"driver": driver, "volumeHandle": "h", "volumeAttributes": attrs}},
            "status": {"phase": "Bound"}
        }))
    }

    #[test]
    fn volumes_no_pv_references_are_stale_and_referenced_ones_are_not() {
        let pvs = [
            csi_pv(
                "pv-a",
                RBD_CSI_DRIVER,
                serde_json::json!({"pool": "kube", "imageName": "csi-vol-a"}),
            ),
            csi_pv(
                "pv-b",
                CEPHFS_CSI_DRIVER,
                serde_json::json!({"subvolumeName": "csi-vol-b", "subvolumePath": "/volumes/csi/csi-vol-b/uuid"}),
            ),
            cephfs_pv("pvc-1", U1, "apps", "Released", "Delete"),
        ];
        let leftover: BTreeSet<String> = ["pvc-1".to_string()].into();
        let refs = references(&pvs, &leftover);
        let ceph = CephVolumes {
            images: vec![
                ("kube".into(), "csi-vol-a".into(), vec![]),
                ("kube".into(), "csi-vol-stale".into(), vec!["snap1".into()]),
                ("kube".into(), "kubernetes-dynamic-pvc-old".into(), vec![]),
                ("kube".into(), "someone-elses".into(), vec![]),
            ],
            subvolumes: vec![
                ("cephfs".into(), "csi".into(), "csi-vol-b".into(), vec![]),
                (
                    "cephfs".into(),
                    "csi".into(),
                    "csi-vol-c".into(),
                    vec!["s".into()],
                ),
                (
                    "cephfs".into(),
                    "kubernetes".into(),
                    "kubernetes-dynamic-pvc-pvc-1".into(),
                    vec![],
                ),
            ],
        };
        let stale = find_stale(&ceph, &refs);
        let names: Vec<(&str, String)> =
            stale.iter().map(|v| (v.provisioner, v.display())).collect();
        assert_eq!(
            names,
            [
                ("ceph-csi", "kube/csi-vol-stale".to_string()),
                (
                    "rbd-provisioner",
                    "kube/kubernetes-dynamic-pvc-old".to_string()
                ),
                ("ceph-csi", "cephfs:csi/csi-vol-c".to_string()),
                (
                    "cephfs-provisioner",
                    "cephfs:kubernetes/kubernetes-dynamic-pvc-pvc-1".to_string()
                ),
            ]
        );
        // Snapshots go first.
        let cmds: Vec<String> = stale[0].commands.iter().map(ToString::to_string).collect();
        assert_eq!(
            cmds,
            [
                "rbd snap purge kube/csi-vol-stale",
                "rbd rm kube/csi-vol-stale"
            ]
        );
        assert_eq!(
            stale[2].commands[0].to_string(),
            "ceph fs subvolume snapshot rm cephfs csi-vol-c s --group_name csi"
        );
        assert_eq!(
            stale[3].commands[0].to_string(),
            "ceph fs subvolume rm cephfs kubernetes-dynamic-pvc-pvc-1 --group_name kubernetes"
        );
        // The Released PV still counts when it is not being deleted.
        let all = references(&pvs, &BTreeSet::new());
        assert_eq!(find_stale(&ceph, &all).len(), 3);
    }

    #[test]
    fn deleting_a_volume_a_pv_references_now_is_refused_before_any_command() {
        let stale = find_stale(
            &CephVolumes {
                images: vec![("kube".into(), "csi-vol-x".into(), vec![])],
                subvolumes: vec![],
            },
            &References::default(),
        );
        assert_eq!(stale.len(), 1);
        // Meanwhile a PV was created on it.
        let now = references(
            &[csi_pv(
                "pv-x",
                RBD_CSI_DRIVER,
                serde_json::json!({"pool": "kube", "imageName": "csi-vol-x"}),
            )],
            &BTreeSet::new(),
        );
        // A client that could run nothing: the refusal comes first.
        let api = crate::cli::CephCli::new("/nonexistent/ceph.conf", None);
        let e = delete_stale(&api, &stale, &now).unwrap_err();
        assert!(matches!(e, CephError::Refused(_)), "{e}");
        assert!(e.to_string().contains("kube/csi-vol-x"));
    }
}

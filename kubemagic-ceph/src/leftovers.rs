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

/// Lists every PV and Secret and finds the leftovers.
pub async fn scan(client: &kube::Client) -> Result<Leftovers> {
    let pvs = Api::<PersistentVolume>::all(client.clone())
        .list(&ListParams::default())
        .await
        .map_err(kube_err("list persistentvolumes"))?;
    let secrets = Api::<Secret>::all(client.clone())
        .list(&ListParams::default())
        .await
        .map_err(kube_err("list secrets"))?;
    Ok(find_leftovers(&pvs.items, &secrets.items))
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
    /// cephx users deleted (with `delete` and a cluster).
    pub ceph_users_deleted: Vec<UserDeleted>,
}

impl LeftoversReport {
    /// Nothing left behind.
    pub fn is_empty(&self) -> bool {
        self.volumes.is_empty() && self.orphan_secrets.is_empty()
    }
}

/// `kubemagic ceph leftovers`: scan Kubernetes (and Ceph), report, and with
/// `delete` remove in a safe order: Kubernetes objects first (a Secret
/// before its PV), then the Ceph users.
pub fn leftovers(req: &LeftoversRequest) -> Result<LeftoversReport> {
    let ceph_api = req.conn.open()?;
    let kubeconfig = req.kubeconfig.as_deref();
    let delete_k8s = req.delete;
    let (found, deleted) = block_on(async {
        let client = client(kubeconfig).await?;
        let found = scan(&client).await?;
        let deleted = if delete_k8s {
            delete(&client, &found).await?
        } else {
            vec![]
        };
        Ok::<_, CephError>((found, deleted))
    })??;
    let ceph_cleanup = found.ceph_cleanup();
    let ceph_users_deleted = match (req.delete, &ceph_api) {
        (true, Some(api)) => delete_ceph_users(api, &ceph_cleanup)?,
        _ => vec![],
    };
    Ok(LeftoversReport {
        volumes: found.volumes,
        orphan_secrets: found.orphan_secrets,
        deleted,
        ceph_cleanup,
        ceph_users_deleted,
    })
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
}

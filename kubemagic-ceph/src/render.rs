//! `kubemagic ceph render`: the same cluster, pool and clients written for
//! kubespray (group_vars of the external rbd/cephfs provisioners), for
//! ceph-csi (manifests built from k8s-openapi types) and as the commands an
//! operator would type.
//!
//! Keys appear only in the Secret manifests of [`csi`], and only the keys
//! of the four ceph-csi users ([`CsiUser`]): the admin key is never read
//! for rendering. kubespray vars get a vault reference instead, and
//! [`commands`] reads keys with `ceph auth get-key` at the operator's
//! terminal.

use crate::cli::Connection;
use crate::error::{CephError, Result};
use crate::model::{CephCluster, CephKey, ClientName, FsName, PgNum, PoolName};
use crate::prepare::{
    plan, CephFsRequest, CsiUser, Observed, PrepareRequest, DEFAULT_CLIENT, DEFAULT_POOL,
};
use crate::validate::{validate_cluster_id, validate_key};
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use k8s_openapi::api::storage::v1::StorageClass;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kubemagic_core::Finding;
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The RBD driver name of ceph-csi (StorageClass `provisioner`).
pub const RBD_CSI_DRIVER: &str = "rbd.csi.ceph.com";
/// The CephFS driver name of ceph-csi.
pub const CEPHFS_CSI_DRIVER: &str = "cephfs.csi.ceph.com";
/// The ConfigMap holding ceph-csi's `config.json` (clusterID → monitors).
pub const CSI_CONFIG_MAP: &str = "ceph-csi-config";
/// The ConfigMap ceph-csi's pods mount as /etc/ceph (ceph.conf, keyring).
pub const CEPH_CONFIG_MAP: &str = "ceph-config";
/// The default namespace of the ceph-csi ConfigMaps and Secrets.
pub const DEFAULT_NAMESPACE: &str = "ceph-csi";
/// The default admin id written into kubespray's vars.
pub const DEFAULT_ADMIN: &str = "admin";

/// Everything a renderer needs.
#[derive(Debug, Clone)]
pub struct RenderInput {
    /// The cluster: fsid and monitors.
    pub cluster: CephCluster,
    /// The RBD pool.
    pub pool: PoolName,
    /// The RBD client of the external rbd-provisioner (kubespray).
    pub client: ClientName,
    /// The admin id of kubespray's provisioner vars (never its key).
    pub admin: ClientName,
    /// CephFS, when it is rendered too.
    pub cephfs: Option<CephFsRequest>,
    /// pg_num of a new pool (commands).
    pub pg_num: Option<PgNum>,
    /// Namespace of the ceph-csi Secrets and ConfigMap.
    pub namespace: String,
    /// Keys of the ceph-csi users by entity (`client.csi-rbd-node`), as
    /// read from the cluster; a missing one becomes a placeholder.
    pub csi_keys: BTreeMap<String, CephKey>,
}

impl RenderInput {
    /// The input with the library's defaults (pool and client `kube`,
    /// admin `admin`, namespace `ceph-csi`) for `cluster`.
    pub fn new(cluster: CephCluster) -> Result<RenderInput> {
        Ok(RenderInput {
            cluster,
            pool: DEFAULT_POOL.parse()?,
            client: DEFAULT_CLIENT.parse()?,
            admin: DEFAULT_ADMIN.parse()?,
            cephfs: None,
            pg_num: None,
            namespace: DEFAULT_NAMESPACE.into(),
            csi_keys: BTreeMap::new(),
        })
    }
}

/// Rendered output plus what the operator must know about it. In JSON the
/// output is structured: `manifests` (csi: Kubernetes objects), `vars`
/// (kubespray) or `commands`, with `findings`; `text` is the YAML stream
/// (or shell lines) printed in text and YAML output.
#[derive(Debug, Clone, Serialize)]
pub struct Rendered {
    /// The YAML stream or the commands, as printed.
    #[serde(skip)]
    pub text: String,
    /// The ceph-csi manifests as JSON objects (target csi).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manifests: Option<Vec<Value>>,
    /// kubespray's group_vars (target kubespray).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vars: Option<Value>,
    /// The commands, one per line (target commands).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commands: Option<Vec<String>>,
    /// What the operator must know (placeholders, invalid clusterID...).
    pub findings: Vec<Finding>,
}

impl Rendered {
    fn text(text: String, findings: Vec<Finding>) -> Rendered {
        Rendered {
            text,
            manifests: None,
            vars: None,
            commands: None,
            findings,
        }
    }
}

fn monitors(input: &RenderInput) -> Result<Vec<String>> {
    let mons = input.cluster.v1_monitors();
    if mons.is_empty() {
        return Err(CephError::Render(
            "no monitor with a v1 address: nothing to point Kubernetes at".into(),
        ));
    }
    Ok(mons)
}

/// kubespray's `rbd_provisioner_*` and `cephfs_provisioner_*` group_vars.
pub fn kubespray(input: &RenderInput) -> Result<Rendered> {
    let mons = monitors(input)?.join(",");
    let mut v = Map::new();
    let mut put = |k: &str, val: Value| {
        v.insert(k.to_string(), val);
    };
    put("rbd_provisioner_enabled", json!(true));
    put("rbd_provisioner_namespace", json!("rbd-provisioner"));
    put("rbd_provisioner_monitors", json!(mons));
    put("rbd_provisioner_pool", json!(input.pool.as_str()));
    put("rbd_provisioner_admin_id", json!(input.admin.as_str()));
    put("rbd_provisioner_secret_name", json!("ceph-secret-admin"));
    put(
        "rbd_provisioner_secret",
        json!("{{ vault_rbd_provisioner_secret }}"),
    );
    put("rbd_provisioner_user_id", json!(input.client.as_str()));
    put(
        "rbd_provisioner_user_secret_name",
        json!("ceph-secret-user"),
    );
    put(
        "rbd_provisioner_user_secret",
        json!("{{ vault_rbd_provisioner_user_secret }}"),
    );
    put(
        "rbd_provisioner_user_secret_namespace",
        json!("rbd-provisioner"),
    );
    put("rbd_provisioner_fs_type", json!("ext4"));
    put("rbd_provisioner_image_format", json!("2"));
    // The external rbd-provisioner accepts only layering (validate::Consumer).
    put("rbd_provisioner_image_features", json!("layering"));
    put("rbd_provisioner_storage_class", json!("rbd"));
    put("rbd_provisioner_reclaim_policy", json!("Delete"));
    if input.cephfs.is_some() {
        put("cephfs_provisioner_enabled", json!(true));
        put("cephfs_provisioner_namespace", json!("cephfs-provisioner"));
        put("cephfs_provisioner_cluster", json!("ceph"));
        put("cephfs_provisioner_monitors", json!(mons));
        put("cephfs_provisioner_admin_id", json!(input.admin.as_str()));
        put(
            "cephfs_provisioner_secret",
            json!("{{ vault_cephfs_provisioner_secret }}"),
        );
        put("cephfs_provisioner_storage_class", json!("cephfs"));
        put("cephfs_provisioner_reclaim_policy", json!("Delete"));
        put("cephfs_provisioner_claim_root", json!("/volumes"));
        put("cephfs_provisioner_deterministic_names", json!(true));
    }
    let vars = Value::Object(v);
    let mut text = String::from(
        "# kubespray group_vars (k8s_cluster/addons.yml) for the external Ceph provisioners.\n\
         # Keys are vault references: put `ceph auth get-key client.<id>` into\n\
         # vault_*_secret with ansible-vault; they are never printed here.\n",
    );
    text.push_str(&serde_yaml_ng::to_string(&vars)?);
    let mut r = Rendered::text(text, vec![]);
    r.vars = Some(vars);
    Ok(r)
}

fn meta(name: &str, namespace: Option<&str>) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_string()),
        namespace: namespace.map(str::to_string),
        ..Default::default()
    }
}

fn key_or_placeholder(input: &RenderInput, user: CsiUser, findings: &mut Vec<Finding>) -> String {
    let entity = user.entity();
    match input.csi_keys.get(&entity) {
        Some(k) => {
            findings.extend(validate_key(&entity, k));
            k.expose().to_string()
        }
        None => {
            findings.push(Finding::warning(
                "KM233",
                format!("the key of {entity} is unknown here (create it with `kubemagic ceph prepare --csi`): replace the placeholder with `ceph auth get-key {entity}`"),
            ));
            format!("REPLACE-WITH-ceph-auth-get-key-{entity}")
        }
    }
}

fn secret(name: &str, ns: &str, data: BTreeMap<String, String>) -> Secret {
    Secret {
        metadata: meta(name, Some(ns)),
        string_data: Some(data),
        type_: Some("Opaque".into()),
        ..Default::default()
    }
}

/// A StorageClass whose provisioner and controller-expand Secret is the
/// provisioner user's and whose node-stage Secret is the node user's.
fn storage_class(
    name: &str,
    driver: &str,
    (provisioner, node): (CsiUser, CsiUser),
    ns: &str,
    mut params: BTreeMap<String, String>,
) -> StorageClass {
    for (kind, user) in [
        ("provisioner", provisioner),
        ("controller-expand", provisioner),
        ("node-stage", node),
    ] {
        params.insert(
            format!("csi.storage.k8s.io/{kind}-secret-name"),
            user.name().to_string(),
        );
        params.insert(
            format!("csi.storage.k8s.io/{kind}-secret-namespace"),
            ns.to_string(),
        );
    }
    StorageClass {
        metadata: meta(name, None),
        provisioner: driver.to_string(),
        parameters: Some(params),
        reclaim_policy: Some("Delete".into()),
        allow_volume_expansion: Some(true),
        mount_options: (driver == RBD_CSI_DRIVER).then(|| vec!["discard".to_string()]),
        ..Default::default()
    }
}

fn to_value<T: Serialize>(obj: &T) -> Result<Value> {
    serde_json::to_value(obj)
        .map_err(|e| CephError::Render(format!("cannot serialise a manifest: {e}")))
}

/// The Secret of one ceph-csi user. RBD reads `userID`/`userKey`; CephFS
/// reads `adminID`/`adminKey` to provision and `userID`/`userKey` to stage
/// static volumes, so its Secrets carry both pairs, of the same user.
fn csi_secret(input: &RenderInput, user: CsiUser, findings: &mut Vec<Finding>) -> Secret {
    let key = key_or_placeholder(input, user, findings);
    let mut data: BTreeMap<String, String> = [
        ("userID".to_string(), user.name().to_string()),
        ("userKey".to_string(), key.clone()),
    ]
    .into();
    if user.is_cephfs() {
        data.insert("adminID".into(), user.name().into());
        data.insert("adminKey".into(), key);
    }
    secret(user.name(), &input.namespace, data)
}

/// The ceph-csi ConfigMaps (`ceph-csi-config`, `ceph-config`), one Secret
/// per ceph-csi user and the StorageClasses.
pub fn csi(input: &RenderInput) -> Result<Rendered> {
    let mut findings = Vec::new();
    let fsid = input.cluster.fsid.clone().ok_or_else(|| {
        CephError::Render("the cluster fsid (ceph-csi's clusterID) is unknown: set `fsid` in ceph-ansible's group_vars, give --fsid, or render from a live cluster with --ceph-conf".into())
    })?;
    findings.extend(validate_cluster_id(&fsid));
    let mons = monitors(input)?;
    let ns = input.namespace.as_str();

    let mut entry = json!({"clusterID": fsid, "monitors": mons});
    if let Some(fs) = &input.cephfs {
        entry["cephFS"] = json!({"subvolumeGroup": fs.subvolume_group});
    }
    let config = serde_json::to_string_pretty(&json!([entry])).map_err(|e| CephError::Json {
        command: "ceph-csi config.json".into(),
        source: e,
    })?;
    let mut manifests = vec![to_value(&ConfigMap {
        metadata: meta(CSI_CONFIG_MAP, Some(ns)),
        data: Some([("config.json".to_string(), config)].into()),
        ..Default::default()
    })?];
    // ceph-csi's deploy/ceph-conf.yaml: the plugins mount it as /etc/ceph;
    // cephx everywhere, and an empty keyring (keys come from the Secrets).
    manifests.push(to_value(&ConfigMap {
        metadata: meta(CEPH_CONFIG_MAP, Some(ns)),
        data: Some(
            [
                (
                    "ceph.conf".to_string(),
                    "[global]\nauth_cluster_required = cephx\nauth_service_required = cephx\nauth_client_required = cephx\n".to_string(),
                ),
                ("keyring".to_string(), String::new()),
            ]
            .into(),
        ),
        ..Default::default()
    })?);

    for u in [CsiUser::RbdProvisioner, CsiUser::RbdNode] {
        manifests.push(to_value(&csi_secret(input, u, &mut findings))?);
    }
    let rbd_params: BTreeMap<String, String> = [
        ("clusterID", fsid.as_str()),
        ("pool", input.pool.as_str()),
        ("imageFeatures", "layering"),
        ("csi.storage.k8s.io/fstype", "ext4"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    manifests.push(to_value(&storage_class(
        "csi-rbd-sc",
        RBD_CSI_DRIVER,
        (CsiUser::RbdProvisioner, CsiUser::RbdNode),
        ns,
        rbd_params,
    ))?);

    if let Some(fs) = &input.cephfs {
        for u in [CsiUser::CephfsProvisioner, CsiUser::CephfsNode] {
            manifests.push(to_value(&csi_secret(input, u, &mut findings))?);
        }
        let params: BTreeMap<String, String> =
            [("clusterID", fsid.as_str()), ("fsName", fs.fs.as_str())]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
        manifests.push(to_value(&storage_class(
            "csi-cephfs-sc",
            CEPHFS_CSI_DRIVER,
            (CsiUser::CephfsProvisioner, CsiUser::CephfsNode),
            ns,
            params,
        ))?);
    }
    let mut text = String::new();
    for m in &manifests {
        text.push_str("---\n");
        text.push_str(&serde_yaml_ng::to_string(m)?);
    }
    let mut r = Rendered::text(text, findings);
    r.manifests = Some(manifests);
    Ok(r)
}

/// The ceph commands that prepare the cluster by hand (what `prepare --csi`
/// does on an empty cluster), then how to read the keys.
pub fn commands(input: &RenderInput) -> Result<Rendered> {
    let req = PrepareRequest {
        pool: input.pool.clone(),
        client: input.client.clone(),
        pg_num: input.pg_num,
        cephfs: input.cephfs.clone(),
        csi: true,
    };
    let p = plan(&req, &Observed::default());
    let mut text = String::from("# Prepare Ceph for Kubernetes by hand (what `kubemagic ceph prepare --csi` does on a new cluster).\n");
    let mut commands = Vec::new();
    for a in &p.actions {
        text.push_str(&format!("# {}\n{}\n", a.describe(), a.command()));
        commands.push(a.command().to_string());
    }
    text.push_str("# Read the keys (for the Kubernetes Secrets) at your terminal:\n");
    let mut entities = vec![input.client.entity()];
    if let Some(fs) = &input.cephfs {
        entities.push(fs.client.entity());
    }
    entities.extend(
        CsiUser::ALL
            .into_iter()
            .filter(|u| !u.is_cephfs() || input.cephfs.is_some())
            .map(CsiUser::entity),
    );
    for e in entities {
        text.push_str(&format!("ceph auth get-key {e}\n"));
        commands.push(format!("ceph auth get-key {e}"));
    }
    if let Ok(mons) = monitors(input) {
        text.push_str(&format!(
            "# Monitors (v1) for the provisioners: {}\n",
            mons.join(",")
        ));
    }
    let mut r = Rendered::text(text, p.notes);
    r.commands = Some(commands);
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Monitor;

    const KEY: &str = "AQDz6AVr1iekDBAA80UikzfAeOZJlwWVjfW4+A==";

    fn input() -> RenderInput {
        let mut i = RenderInput::new(CephCluster {
            fsid: Some("8ea25b82-518c-4114-9aaf-d0c02cbe6c81".into()),
            monitors: vec![
                Monitor::on_default_ports("mon1", "10.0.0.1".parse().unwrap()),
                Monitor::on_default_ports("mon2", "fd00::2".parse().unwrap()),
            ],
            ..Default::default()
        })
        .unwrap();
        i.cephfs =
            Some(CephFsRequest::new("cephfs".parse().unwrap(), None, None, &i.client).unwrap());
        for u in [
            CsiUser::RbdProvisioner,
            CsiUser::RbdNode,
            CsiUser::CephfsProvisioner,
        ] {
            i.csi_keys.insert(u.entity(), CephKey::new(KEY));
        }
        i
    }

    fn docs(text: &str) -> Vec<serde_json::Value> {
        text.split("---\n")
            .filter(|d| !d.trim().is_empty())
            .map(|d| serde_yaml_ng::from_str(d).unwrap())
            .collect()
    }

    #[test]
    fn csi_config_map_uses_fsid_and_bracketed_v1_monitors() {
        let r = csi(&input()).unwrap();
        let d = docs(&r.text);
        assert_eq!(d[0]["kind"], "ConfigMap");
        assert_eq!(d[0]["metadata"]["name"], "ceph-csi-config");
        let cfg: serde_json::Value =
            serde_json::from_str(d[0]["data"]["config.json"].as_str().unwrap()).unwrap();
        assert_eq!(cfg[0]["clusterID"], "8ea25b82-518c-4114-9aaf-d0c02cbe6c81");
        assert_eq!(
            cfg[0]["monitors"],
            json!(["10.0.0.1:6789", "[fd00::2]:6789"])
        );
        assert_eq!(cfg[0]["cephFS"]["subvolumeGroup"], "csi");
    }

    #[test]
    fn csi_secrets_and_storage_classes_are_complete() {
        let r = csi(&input()).unwrap();
        let d = docs(&r.text);
        // The YAML stream and the JSON manifests are the same objects.
        assert_eq!(&d, r.manifests.as_ref().unwrap());
        let kinds: Vec<&str> = d.iter().map(|x| x["kind"].as_str().unwrap()).collect();
        assert_eq!(
            kinds,
            [
                "ConfigMap",
                "ConfigMap",
                "Secret",
                "Secret",
                "StorageClass",
                "Secret",
                "Secret",
                "StorageClass"
            ]
        );
        assert_eq!(d[1]["metadata"]["name"], "ceph-config");
        assert_eq!(d[1]["data"]["keyring"], "");
        assert!(d[1]["data"]["ceph.conf"]
            .as_str()
            .unwrap()
            .contains("auth_client_required = cephx"));
        assert_eq!(d[2]["metadata"]["name"], "csi-rbd-provisioner");
        assert_eq!(d[2]["stringData"]["userID"], "csi-rbd-provisioner");
        assert_eq!(d[2]["stringData"]["userKey"], KEY);
        assert_eq!(d[4]["apiVersion"], "storage.k8s.io/v1");
        assert_eq!(d[4]["provisioner"], "rbd.csi.ceph.com");
        assert_eq!(d[4]["parameters"]["pool"], "kube");
        assert_eq!(
            d[4]["parameters"]["csi.storage.k8s.io/node-stage-secret-name"],
            "csi-rbd-node"
        );
        assert_eq!(
            d[4]["parameters"]["csi.storage.k8s.io/provisioner-secret-name"],
            "csi-rbd-provisioner"
        );
        assert_eq!(d[5]["stringData"]["adminID"], "csi-cephfs-provisioner");
        assert_eq!(d[7]["provisioner"], "cephfs.csi.ceph.com");
        assert_eq!(d[7]["parameters"]["fsName"], "cephfs");
        // The unknown CephFS node key is a placeholder and a finding.
        assert_eq!(r.findings.len(), 1);
        assert_eq!(r.findings[0].code, "KM233");
        assert!(r.findings[0].message.contains("csi-cephfs-node"));
    }

    #[test]
    fn kubespray_vars_never_contain_keys() {
        let r = kubespray(&input()).unwrap();
        assert!(!r.text.contains(KEY));
        let v: serde_json::Value = serde_yaml_ng::from_str(&r.text).unwrap();
        assert_eq!(
            v["rbd_provisioner_monitors"],
            "10.0.0.1:6789,[fd00::2]:6789"
        );
        assert_eq!(
            v["cephfs_provisioner_monitors"],
            "10.0.0.1:6789,[fd00::2]:6789"
        );
        assert_eq!(v["rbd_provisioner_image_features"], "layering");
        assert_eq!(v["rbd_provisioner_user_id"], "kube");
    }

    #[test]
    fn commands_never_contain_keys_and_match_prepare() {
        let r = commands(&input()).unwrap();
        assert!(!r.text.contains(KEY));
        assert!(r.text.contains("rbd pool init kube\n"));
        assert!(r.text.contains("ceph auth get-key client.kube\n"));
        assert!(r
            .text
            .contains("ceph auth get-or-create client.csi-rbd-node "));
        assert!(r
            .text
            .contains("ceph fs subvolumegroup create cephfs csi\n"));
    }

    #[test]
    fn csi_without_fsid_is_an_error() {
        let mut i = input();
        i.cluster.fsid = None;
        assert!(csi(&i).unwrap_err().to_string().contains("fsid"));
    }

    #[test]
    fn no_monitors_is_an_error() {
        let mut i = input();
        i.cluster.monitors.clear();
        assert!(kubespray(&i).is_err());
    }
}

/// What to render.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    /// kubespray's rbd_provisioner_* / cephfs_provisioner_* group_vars.
    Kubespray,
    /// ceph-csi ConfigMaps, Secrets and StorageClasses.
    Csi,
    /// The ceph commands to prepare the cluster by hand.
    Commands,
}

impl std::str::FromStr for Target {
    type Err = CephError;
    fn from_str(s: &str) -> Result<Target> {
        match s {
            "kubespray" => Ok(Target::Kubespray),
            "csi" => Ok(Target::Csi),
            "commands" => Ok(Target::Commands),
            other => Err(CephError::Request(format!(
                "target must be \"kubespray\", \"csi\" or \"commands\", not {other:?}"
            ))),
        }
    }
}

/// What `kubemagic ceph render` and `kubemagic.ceph.render` ask; built
/// with [`RenderRequest::new`], which holds the defaults both share.
#[derive(Debug, Clone)]
pub struct RenderRequest {
    /// What to render.
    pub target: Target,
    /// A site directory: the cluster from its ceph-ansible inventory.
    pub site: Option<PathBuf>,
    /// A live cluster: fsid, monitors and the ceph-csi users' keys.
    pub conn: Connection,
    /// The fsid (ceph-csi's clusterID) when the site does not set it
    /// (ceph-ansible's `generate_fsid`); overrides the site's.
    pub fsid: Option<String>,
    /// The RBD pool (default `kube`).
    pub pool: PoolName,
    /// The RBD client of kubespray's rbd-provisioner (default `kube`).
    pub client: ClientName,
    /// The admin id in kubespray's vars (default `admin`).
    pub admin: ClientName,
    /// Render CephFS for this file system too.
    pub cephfs: Option<FsName>,
    /// ceph-csi's subvolume group (default `csi`).
    pub subvolume_group: Option<String>,
    /// The CephFS client of kubespray (default `<client>-cephfs`).
    pub cephfs_client: Option<ClientName>,
    /// pg_num of a new pool (commands).
    pub pg_num: Option<PgNum>,
    /// Namespace of the ceph-csi ConfigMaps and Secrets (default `ceph-csi`).
    pub namespace: String,
}

impl RenderRequest {
    /// A request with every default, reading nothing yet.
    pub fn new(target: Target) -> Result<RenderRequest> {
        let d = RenderInput::new(CephCluster::default())?;
        Ok(RenderRequest {
            target,
            site: None,
            conn: Connection::default(),
            fsid: None,
            pool: d.pool,
            client: d.client,
            admin: d.admin,
            cephfs: None,
            subvolume_group: None,
            cephfs_client: None,
            pg_num: None,
            namespace: d.namespace,
        })
    }
}

/// `kubemagic ceph render` and `kubemagic.ceph.render`: reads the cluster
/// (the site's inventory, or the live cluster and, for `csi`, the keys of
/// the ceph-csi users, never the admin's), then renders. One function so
/// that the CLI and Python give the same output.
pub fn render(req: &RenderRequest) -> Result<Rendered> {
    if req.site.is_some() && req.conn.ceph_conf.is_some() {
        return Err(CephError::Request(
            "give a site or a live cluster (ceph.conf), not both".into(),
        ));
    }
    let api = req.conn.open()?;
    let mut input = RenderInput::new(CephCluster::default())?;
    input.pool = req.pool.clone();
    input.client = req.client.clone();
    input.admin = req.admin.clone();
    input.pg_num = req.pg_num;
    input.namespace = req.namespace.clone();
    input.cephfs = match &req.cephfs {
        Some(fs) => Some(CephFsRequest::new(
            fs.clone(),
            req.subvolume_group.clone(),
            req.cephfs_client.clone(),
            &req.client,
        )?),
        None => None,
    };
    let mut findings = Vec::new();
    match (&req.site, &api) {
        (Some(site), _) => {
            let (cluster, f) = crate::site::load(site)?;
            input.cluster = cluster;
            findings.extend(f);
        }
        (None, Some(api)) => {
            use crate::api::CephApi;
            input.cluster = api.cluster()?;
            if req.target == Target::Csi {
                for u in CsiUser::ALL {
                    if u.is_cephfs() && input.cephfs.is_none() {
                        continue;
                    }
                    if let Some(key) = api.auth_get(&u.entity())?.and_then(|c| c.key) {
                        input.csi_keys.insert(u.entity(), key);
                    }
                }
            }
        }
        (None, None) if req.target == Target::Commands => {}
        (None, None) => {
            return Err(CephError::Request(
                "render needs a site or a live cluster (--site SITE, or --ceph-conf CONF with --keyring KEYRING)".into(),
            ))
        }
    }
    if let Some(fsid) = &req.fsid {
        input.cluster.fsid = Some(fsid.clone());
    }
    let mut rendered = match req.target {
        Target::Kubespray => kubespray(&input),
        Target::Csi => csi(&input),
        Target::Commands => commands(&input),
    }?;
    findings.append(&mut rendered.findings);
    rendered.findings = findings;
    Ok(rendered)
}

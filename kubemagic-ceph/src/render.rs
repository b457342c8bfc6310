//! `kubemagic ceph render`: the same cluster, pool and clients written for
//! kubespray (group_vars of the external rbd/cephfs provisioners), for
//! ceph-csi (manifests built from k8s-openapi types) and as the commands an
//! operator would type.
//!
//! Keys appear only in the Secret manifests of [`csi`]; kubespray vars get
//! a vault reference instead, and [`commands`] reads keys with
//! `ceph auth get-key` at the operator's terminal.

use crate::error::{CephError, Result};
use crate::model::{CephCluster, CephKey, ClientName, FsName, PgNum, PoolName};
use crate::prepare::{plan, CephFsRequest, Observed, PrepareRequest};
use crate::validate::{validate_cluster_id, validate_key};
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use k8s_openapi::api::storage::v1::StorageClass;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kubemagic_core::Finding;
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

pub const RBD_CSI_DRIVER: &str = "rbd.csi.ceph.com";
pub const CEPHFS_CSI_DRIVER: &str = "cephfs.csi.ceph.com";
pub const CSI_CONFIG_MAP: &str = "ceph-csi-config";

/// Everything a renderer needs.
#[derive(Debug, Clone)]
pub struct RenderInput {
    pub cluster: CephCluster,
    pub pool: PoolName,
    pub client: ClientName,
    pub admin: ClientName,
    pub cephfs: Option<CephFsRequest>,
    pub pg_num: Option<PgNum>,
    /// Namespace of the ceph-csi Secrets and ConfigMap.
    pub namespace: String,
    pub user_key: Option<CephKey>,
    pub admin_key: Option<CephKey>,
    pub cephfs_user_key: Option<CephKey>,
}

/// Rendered text plus what the operator must know about it.
#[derive(Debug, Clone, Serialize)]
pub struct Rendered {
    pub text: String,
    pub findings: Vec<Finding>,
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
    let mut text = String::from(
        "# kubespray group_vars (k8s_cluster/addons.yml) for the external Ceph provisioners.\n\
         # Keys are vault references: put `ceph auth get-key client.<id>` into\n\
         # vault_*_secret with ansible-vault; they are never printed here.\n",
    );
    text.push_str(&serde_yaml_ng::to_string(&Value::Object(v))?);
    Ok(Rendered {
        text,
        findings: vec![],
    })
}

fn meta(name: &str, namespace: Option<&str>) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_string()),
        namespace: namespace.map(str::to_string),
        ..Default::default()
    }
}

fn key_or_placeholder(key: &Option<CephKey>, entity: &str, findings: &mut Vec<Finding>) -> String {
    match key {
        Some(k) => {
            findings.extend(validate_key(entity, k));
            k.expose().to_string()
        }
        None => {
            findings.push(Finding::warning(
                "KM233",
                format!("the key of {entity} is unknown here: replace the placeholder with `ceph auth get-key {entity}`"),
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

fn storage_class(
    name: &str,
    driver: &str,
    secret_name: &str,
    ns: &str,
    mut params: BTreeMap<String, String>,
) -> StorageClass {
    for kind in ["provisioner", "controller-expand", "node-stage"] {
        params.insert(
            format!("csi.storage.k8s.io/{kind}-secret-name"),
            secret_name.to_string(),
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

fn push_doc<T: Serialize>(out: &mut String, obj: &T) -> Result<()> {
    out.push_str("---\n");
    out.push_str(&serde_yaml_ng::to_string(obj)?);
    Ok(())
}

/// The ceph-csi ConfigMap, Secrets and StorageClasses.
pub fn csi(input: &RenderInput) -> Result<Rendered> {
    let mut findings = Vec::new();
    let fsid = input.cluster.fsid.clone().ok_or_else(|| {
        CephError::Render("the cluster fsid (ceph-csi's clusterID) is unknown: set `fsid` in ceph-ansible's group_vars or render from a live cluster with --ceph-conf".into())
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
    let cm = ConfigMap {
        metadata: meta(CSI_CONFIG_MAP, Some(ns)),
        data: Some([("config.json".to_string(), config)].into()),
        ..Default::default()
    };

    let mut out = String::new();
    push_doc(&mut out, &cm)?;

    let user_key = key_or_placeholder(&input.user_key, &input.client.entity(), &mut findings);
    push_doc(
        &mut out,
        &secret(
            "csi-rbd-secret",
            ns,
            [
                ("userID".to_string(), input.client.to_string()),
                ("userKey".to_string(), user_key),
            ]
            .into(),
        ),
    )?;
    let rbd_params: BTreeMap<String, String> = [
        ("clusterID", fsid.as_str()),
        ("pool", input.pool.as_str()),
        ("imageFeatures", "layering"),
        ("csi.storage.k8s.io/fstype", "ext4"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    push_doc(
        &mut out,
        &storage_class(
            "csi-rbd-sc",
            RBD_CSI_DRIVER,
            "csi-rbd-secret",
            ns,
            rbd_params,
        ),
    )?;

    if let Some(fs) = &input.cephfs {
        let fs_user_key =
            key_or_placeholder(&input.cephfs_user_key, &fs.client.entity(), &mut findings);
        let admin_key = key_or_placeholder(&input.admin_key, &input.admin.entity(), &mut findings);
        push_doc(
            &mut out,
            &secret(
                "csi-cephfs-secret",
                ns,
                [
                    ("userID".to_string(), fs.client.to_string()),
                    ("userKey".to_string(), fs_user_key),
                    ("adminID".to_string(), input.admin.to_string()),
                    ("adminKey".to_string(), admin_key),
                ]
                .into(),
            ),
        )?;
        let params: BTreeMap<String, String> =
            [("clusterID", fsid.as_str()), ("fsName", fs.fs.as_str())]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
        push_doc(
            &mut out,
            &storage_class(
                "csi-cephfs-sc",
                CEPHFS_CSI_DRIVER,
                "csi-cephfs-secret",
                ns,
                params,
            ),
        )?;
    }
    Ok(Rendered {
        text: out,
        findings,
    })
}

/// The ceph commands that prepare the cluster by hand (what `prepare` does
/// on an empty cluster), then how to read the keys.
pub fn commands(input: &RenderInput) -> Result<Rendered> {
    let req = PrepareRequest {
        pool: input.pool.clone(),
        client: input.client.clone(),
        pg_num: input.pg_num,
        cephfs: input.cephfs.clone(),
    };
    let p = plan(&req, &Observed::default());
    let mut text = String::from("# Prepare Ceph for Kubernetes by hand (what `kubemagic ceph prepare` does on a new cluster).\n");
    for a in &p.actions {
        text.push_str(&format!("# {}\n{}\n", a.describe(), a.command()));
    }
    text.push_str("# Read the keys (for the Kubernetes Secrets) at your terminal:\n");
    text.push_str(&format!("ceph auth get-key {}\n", input.client.entity()));
    if let Some(fs) = &input.cephfs {
        text.push_str(&format!("ceph auth get-key {}\n", fs.client.entity()));
    }
    if let Ok(mons) = monitors(input) {
        text.push_str(&format!(
            "# Monitors (v1) for the provisioners: {}\n",
            mons.join(",")
        ));
    }
    Ok(Rendered {
        text,
        findings: p.notes,
    })
}

/// Convenience for callers holding a CephFS name: the request part of it.
pub fn cephfs_request(fs: FsName, group: Option<String>, client: ClientName) -> CephFsRequest {
    CephFsRequest {
        fs,
        subvolume_group: group.unwrap_or_else(|| crate::prepare::DEFAULT_SUBVOLUME_GROUP.into()),
        client,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Monitor;

    const KEY: &str = "AQDz6AVr1iekDBAA80UikzfAeOZJlwWVjfW4+A==";

    fn input() -> RenderInput {
        RenderInput {
            cluster: CephCluster {
                fsid: Some("8ea25b82-518c-4114-9aaf-d0c02cbe6c81".into()),
                monitors: vec![
                    Monitor::on_default_ports("mon1", "10.0.0.1".parse().unwrap()),
                    Monitor::on_default_ports("mon2", "fd00::2".parse().unwrap()),
                ],
                ..Default::default()
            },
            pool: "kube".parse().unwrap(),
            client: "kube".parse().unwrap(),
            admin: "admin".parse().unwrap(),
            cephfs: Some(cephfs_request(
                "cephfs".parse().unwrap(),
                None,
                "kube-cephfs".parse().unwrap(),
            )),
            pg_num: None,
            namespace: "ceph-csi".into(),
            user_key: Some(CephKey::new(KEY)),
            admin_key: Some(CephKey::new(KEY)),
            cephfs_user_key: None,
        }
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
        let kinds: Vec<&str> = d.iter().map(|x| x["kind"].as_str().unwrap()).collect();
        assert_eq!(
            kinds,
            [
                "ConfigMap",
                "Secret",
                "StorageClass",
                "Secret",
                "StorageClass"
            ]
        );
        assert_eq!(d[1]["stringData"]["userID"], "kube");
        assert_eq!(d[1]["stringData"]["userKey"], KEY);
        assert_eq!(d[2]["apiVersion"], "storage.k8s.io/v1");
        assert_eq!(d[2]["provisioner"], "rbd.csi.ceph.com");
        assert_eq!(d[2]["parameters"]["pool"], "kube");
        assert_eq!(
            d[2]["parameters"]["csi.storage.k8s.io/node-stage-secret-name"],
            "csi-rbd-secret"
        );
        assert_eq!(d[3]["stringData"]["adminID"], "admin");
        assert_eq!(d[4]["provisioner"], "cephfs.csi.ceph.com");
        assert_eq!(d[4]["parameters"]["fsName"], "cephfs");
        // The unknown CephFS user key is a placeholder and a finding.
        assert_eq!(r.findings.len(), 1);
        assert_eq!(r.findings[0].code, "KM233");
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// kubespray's rbd_provisioner_* / cephfs_provisioner_* group_vars.
    Kubespray,
    /// ceph-csi ConfigMap, Secrets and StorageClasses.
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
            other => Err(CephError::Render(format!(
                "target must be \"kubespray\", \"csi\" or \"commands\", not {other:?}"
            ))),
        }
    }
}

/// Where the cluster description comes from.
pub enum Source<'a> {
    /// A site's ceph-ansible inventory (no cluster needed).
    Site(&'a std::path::Path),
    /// A live cluster; keys are read only for `csi`, the admin key from the
    /// keyring given.
    Live {
        api: &'a dyn crate::api::CephApi,
        keyring: Option<&'a std::path::Path>,
    },
    /// Nothing: only `commands` can be rendered.
    Nothing,
}

/// `kubemagic ceph render` and `kubemagic.ceph.render`: fills `input` from
/// the source (cluster, and the keys that go into ceph-csi Secrets), then
/// renders. One function so that the CLI and Python give the same text.
pub fn render(target: Target, source: Source<'_>, mut input: RenderInput) -> Result<Rendered> {
    let mut findings = Vec::new();
    match source {
        Source::Site(site) => {
            let (cluster, f) = crate::site::from_site(site)?;
            input.cluster = cluster;
            findings.extend(f);
        }
        Source::Live { api, keyring } => {
            input.cluster = api.cluster()?;
            if target == Target::Csi {
                input.user_key = api.auth_get(&input.client.entity())?.and_then(|c| c.key);
                if let Some(fs) = &input.cephfs {
                    input.cephfs_user_key = api.auth_get(&fs.client.entity())?.and_then(|c| c.key);
                }
                if let Some(path) = keyring {
                    let kr = crate::keyring::Keyring::read(path)?;
                    input.admin_key = kr.entries.get(&input.admin.entity()).cloned();
                }
            }
        }
        Source::Nothing if target == Target::Commands => {}
        Source::Nothing => {
            return Err(CephError::Render(
                "kubespray vars and ceph-csi manifests need a site or a live cluster".into(),
            ))
        }
    }
    let mut rendered = match target {
        Target::Kubespray => kubespray(&input),
        Target::Csi => csi(&input),
        Target::Commands => commands(&input),
    }?;
    findings.append(&mut rendered.findings);
    rendered.findings = findings;
    Ok(rendered)
}

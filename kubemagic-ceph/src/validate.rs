//! Findings about a Ceph model and its consumers, with stable codes
//! (`KM6xx`, documented in docs/architecture-ceph.md).
//!
//! Each check exists because the mistake it catches is accepted silently
//! by the tool that receives it and fails later, on a node, at mount time:
//! a feature the kernel cannot map, a clusterID ceph-csi truncates, a key
//! with a trailing newline that cephx refuses.

use crate::model::{CephCluster, CephKey, PgNum, PoolName};
use kubemagic_core::Finding;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// ceph-csi stores the clusterID in volume handles whose layout reserves 36
/// bytes for it (the length of a UUID, i.e. of an fsid).
pub const CSI_CLUSTER_ID_MAX: usize = 36;

/// RBD image features (`rbd feature` names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ImageFeature {
    /// Copy-on-write clones (the only feature of the rbd-provisioner).
    Layering,
    /// Fancy striping.
    Striping,
    /// Exclusive lock (kernel 4.9).
    ExclusiveLock,
    /// Object map (kernel 5.3).
    ObjectMap,
    /// Fast diff (kernel 5.3).
    FastDiff,
    /// Deep flatten (kernel 5.1).
    DeepFlatten,
    /// Journaling (no kernel).
    Journaling,
    /// A separate data pool (kernel 4.11).
    DataPool,
}

impl ImageFeature {
    /// Every feature, in `rbd feature` order.
    pub const ALL: [ImageFeature; 8] = [
        ImageFeature::Layering,
        ImageFeature::Striping,
        ImageFeature::ExclusiveLock,
        ImageFeature::ObjectMap,
        ImageFeature::FastDiff,
        ImageFeature::DeepFlatten,
        ImageFeature::Journaling,
        ImageFeature::DataPool,
    ];
    /// The feature's name as `rbd` spells it.
    pub fn name(self) -> &'static str {
        match self {
            ImageFeature::Layering => "layering",
            ImageFeature::Striping => "striping",
            ImageFeature::ExclusiveLock => "exclusive-lock",
            ImageFeature::ObjectMap => "object-map",
            ImageFeature::FastDiff => "fast-diff",
            ImageFeature::DeepFlatten => "deep-flatten",
            ImageFeature::Journaling => "journaling",
            ImageFeature::DataPool => "data-pool",
        }
    }
    /// The first kernel whose krbd maps an image with this feature; `None`
    /// when krbd never supports it (journaling: use rbd-nbd).
    pub fn krbd_min_kernel(self) -> Option<KernelVersion> {
        let k = |major, minor| Some(KernelVersion { major, minor });
        match self {
            ImageFeature::Layering => k(3, 10),
            ImageFeature::Striping => k(4, 17),
            ImageFeature::ExclusiveLock => k(4, 9),
            ImageFeature::ObjectMap | ImageFeature::FastDiff => k(5, 3),
            ImageFeature::DeepFlatten => k(5, 1),
            ImageFeature::DataPool => k(4, 11),
            ImageFeature::Journaling => None,
        }
    }
    /// The feature this one cannot be enabled without.
    pub fn requires(self) -> Option<ImageFeature> {
        match self {
            ImageFeature::ObjectMap => Some(ImageFeature::ExclusiveLock),
            ImageFeature::FastDiff => Some(ImageFeature::ObjectMap),
            ImageFeature::Journaling => Some(ImageFeature::ExclusiveLock),
            _ => None,
        }
    }
}

impl fmt::Display for ImageFeature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ImageFeature {
    type Err = crate::CephError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_lowercase().replace('_', "-");
        ImageFeature::ALL
            .into_iter()
            .find(|f| f.name() == t || (t == "stripingv2" && *f == ImageFeature::Striping))
            .ok_or_else(|| crate::CephError::ImageFeature(s.to_string()))
    }
}

/// Parses `layering,exclusive-lock` (kubespray's and ceph-csi's syntax).
pub fn parse_features(s: &str) -> Result<Vec<ImageFeature>, crate::CephError> {
    s.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(ImageFeature::from_str)
        .collect()
}

/// A Linux kernel version, compared as (major, minor).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct KernelVersion {
    /// The major version.
    pub major: u32,
    /// The minor version.
    pub minor: u32,
}

impl FromStr for KernelVersion {
    type Err = crate::CephError;
    /// Accepts `5.4`, `5.4.0` and `5.4.0-150-generic` (`uname -r`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || crate::CephError::KernelVersion(s.to_string());
        let mut it = s.trim().split(['.', '-']);
        let major = it.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        let minor = it.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        Ok(KernelVersion { major, minor })
    }
}

impl fmt::Display for KernelVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// Who maps the RBD images.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consumer {
    /// The external `ceph.com/rbd` provisioner kubespray deploys: it
    /// creates images with `layering` only and refuses anything else.
    RbdProvisioner,
    /// The kernel client (in-tree plugin, ceph-csi with the default
    /// mounter) on nodes running this kernel.
    Krbd(KernelVersion),
    /// librbd through rbd-nbd or QEMU: every feature.
    Librbd,
}

/// Image features checked against their consumer and their dependencies.
pub fn validate_image_features(features: &[ImageFeature], consumer: Consumer) -> Vec<Finding> {
    let mut out = Vec::new();
    for &f in features {
        if let Some(req) = f.requires() {
            if !features.contains(&req) {
                out.push(
                    Finding::error(
                        "KM225",
                        format!("RBD image feature {f} requires {req}; add it or drop {f}"),
                    )
                    .variable("imageFeatures"),
                );
            }
        }
        match consumer {
            Consumer::RbdProvisioner if f != ImageFeature::Layering => out.push(
                Finding::error(
                    "KM224",
                    format!("the external rbd-provisioner accepts only the layering image feature, not {f}"),
                )
                .variable("rbd_provisioner_image_features"),
            ),
            Consumer::Krbd(kernel) => match f.krbd_min_kernel() {
                None => out.push(
                    Finding::error("KM224", format!("krbd cannot map images with {f} on any kernel; use rbd-nbd or drop it"))
                        .variable("imageFeatures"),
                ),
                Some(min) if kernel < min => out.push(
                    Finding::error(
                        "KM224",
                        format!("RBD image feature {f} needs kernel {min} or later for krbd; nodes run {kernel}: mapping would fail"),
                    )
                    .variable("imageFeatures"),
                ),
                Some(_) => {}
            },
            _ => {}
        }
    }
    out
}

/// A ceph-csi clusterID (the fsid by convention) fits its 36 bytes.
pub fn validate_cluster_id(id: &str) -> Option<Finding> {
    if id.is_empty() {
        return Some(Finding::error("KM226", "ceph-csi clusterID is empty").variable("clusterID"));
    }
    (id.len() > CSI_CLUSTER_ID_MAX).then(|| {
        Finding::error(
            "KM226",
            format!(
                "ceph-csi clusterID {id:?} is {} bytes; ceph-csi accepts at most {CSI_CLUSTER_ID_MAX} (use the fsid)",
                id.len()
            ),
        )
        .variable("clusterID")
    })
}

/// A cephx key is the base64 of 28 bytes (40 characters): stray whitespace
/// or a newline copied along with it makes cephx refuse the client.
/// Messages never contain the key.
pub fn validate_key(entity: &str, key: &CephKey) -> Vec<Finding> {
    use base64::Engine as _;
    let raw = key.raw();
    let mut out = Vec::new();
    if raw != raw.trim() || raw.contains(char::is_whitespace) {
        out.push(Finding::error(
            "KM227",
            format!("the key of {entity} has stray whitespace or a newline; cephx would refuse it (key not shown)"),
        ));
    }
    let trimmed = raw.trim();
    let decodes = base64::engine::general_purpose::STANDARD
        .decode(trimmed)
        .map(|b| b.len() == 28)
        .unwrap_or(false);
    if !trimmed.is_empty() && !trimmed.contains(char::is_whitespace) && !decodes {
        out.push(Finding::error(
            "KM227",
            format!("the key of {entity} is not a cephx key (base64 of 28 bytes; key not shown)"),
        ));
    }
    if trimmed.is_empty() {
        out.push(Finding::error(
            "KM227",
            format!("the key of {entity} is empty"),
        ));
    }
    out
}

/// KM223: a pool's replicas need as many distinct failure domains (the
/// CRUSH type its rule chooses leaves of: `host` by default in Ceph and
/// ceph-ansible) as its `size`; with fewer, every PG stays undersized.
/// Counting OSDs instead would pass size 3 on 2 hosts of 3 OSDs each.
fn replica_check(c: &CephCluster, pool: &crate::model::Pool, size: u32) -> Option<Finding> {
    let domain = pool
        .failure_domain
        .as_deref()
        .unwrap_or(crate::model::DEFAULT_FAILURE_DOMAIN);
    let (count, what) = match c.failure_domains.get(domain) {
        Some(n) => (
            *n,
            format!("{n} {domain}(s) holding OSDs (the failure domain of its CRUSH rule)"),
        ),
        // The domain is unknown to the model: at least the OSD count bounds it.
        None => {
            let n = c.osd_count?;
            (n, format!("{n} OSD(s)"))
        }
    };
    (size > count).then(|| {
        Finding::error(
            "KM223",
            format!(
                "pool {} wants {size} replicas but the cluster has {what}: its PGs would stay undersized",
                pool.name
            ),
        )
        .variable("size")
    })
}

/// Checks of the cluster model itself: pools, replica sizes, monitors,
/// clusterID, keys.
pub fn validate_cluster(c: &CephCluster) -> Vec<Finding> {
    let mut out = Vec::new();
    for pool in &c.pools {
        let at = pool.origin.as_ref();
        if let Err(e) = PoolName::from_str(&pool.name) {
            out.push(
                Finding::error("KM221", e.to_string())
                    .variable("pools")
                    .at(at),
            );
        }
        if let Some(pg) = pool.pg_num {
            if let Err(e) = PgNum::try_from(pg) {
                out.push(
                    Finding::error("KM222", format!("pool {}: {e}", pool.name))
                        .variable("pg_num")
                        .at(at),
                );
            }
        }
        if let Some(size) = pool.size {
            out.extend(replica_check(c, pool, size).map(|f| f.at(at)));
        }
    }
    if c.monitors.is_empty() {
        out.push(Finding::error(
            "KM228",
            "no Ceph monitor address known: Kubernetes could not reach the cluster",
        ));
    }
    for m in &c.monitors {
        if m.v1().is_none() {
            out.push(
                Finding::warning(
                    "KM228",
                    format!("monitor {} has no v1 address: the provisioners and krbd before 5.11 speak only v1", m.name),
                )
                .host(m.name.clone())
                .at(m.origin.as_ref()),
            );
        }
        if let Some(ip) = m.ip() {
            if !c.public_networks.is_empty() && !c.public_networks.iter().any(|n| n.contains(&ip)) {
                out.push(
                    Finding::error(
                        "KM229",
                        format!("monitor {} address {ip} is outside public_network", m.name),
                    )
                    .host(m.name.clone())
                    .variable("public_network")
                    .at(m.origin.as_ref().or(c.origins.get("public_network"))),
                );
            }
        }
    }
    match &c.fsid {
        Some(fsid) => out.extend(validate_cluster_id(fsid).map(|f| f.at(c.origins.get("fsid")))),
        None => out.push(
            Finding::info("KM230", "no fsid set (ceph-ansible generates one): ceph-csi's clusterID is known only once the cluster exists")
                .variable("fsid"),
        ),
    }
    for client in &c.clients {
        if let Some(key) = &client.key {
            out.extend(validate_key(&client.entity, key));
        }
    }
    out
}

/// What `kubemagic ceph validate` (and Python) asks: the cluster model
/// from a site or a live cluster, the keys of a keyring, RBD image features
/// against their consumer. Any part may be absent; at least one is needed.
#[derive(Debug, Clone, Default)]
pub struct ValidateRequest {
    /// A site directory: the model from its ceph-ansible inventory.
    pub site: Option<std::path::PathBuf>,
    /// A live cluster (with `ceph_conf`); its `keyring` alone is enough for
    /// the key checks.
    pub conn: crate::cli::Connection,
    /// RBD image features, e.g. `layering,exclusive-lock`.
    pub image_features: Option<String>,
    /// Who maps the images (librbd when neither of the two below).
    pub krbd_kernel: Option<KernelVersion>,
    /// Images are created by the external rbd-provisioner.
    pub rbd_provisioner: bool,
}

/// The result of [`validate`]: `{"findings": [...]}` in JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ValidateReport {
    /// Every finding, in the order met (model, keys, features).
    pub findings: Vec<Finding>,
}

impl ValidateReport {
    /// Whether any finding is an error (the CLI then exits 1).
    pub fn has_errors(&self) -> bool {
        kubemagic_core::finding::has_errors(&self.findings)
    }
}

/// `kubemagic ceph validate`: the model's findings (site or live), every
/// key of the keyring (a key pasted with a trailing blank or newline is
/// refused by cephx only when a node mounts), and image features against
/// their consumer.
pub fn validate(req: &ValidateRequest) -> crate::Result<ValidateReport> {
    let mut findings = Vec::new();
    let api = req.conn.open()?;
    match (&req.site, &api) {
        (Some(site), _) => {
            let (cluster, f) = crate::site::load(site)?;
            findings.extend(f);
            findings.extend(validate_cluster(&cluster));
        }
        (None, Some(api)) => findings.extend(validate_cluster(&crate::api::CephApi::cluster(api)?)),
        (None, None) if req.image_features.is_some() || req.conn.keyring.is_some() => {}
        (None, None) => {
            return Err(crate::CephError::Request(
                "validate needs --site, --ceph-conf, --keyring or --image-features".into(),
            ))
        }
    }
    if let Some(path) = &req.conn.keyring {
        let kr = crate::keyring::Keyring::read(path)?;
        findings.extend(kr.findings.iter().cloned());
        for (entity, key) in &kr.entries {
            findings.extend(validate_key(entity, key).into_iter().map(|f| Finding {
                file: Some(path.clone()),
                ..f
            }));
        }
    }
    if let Some(list) = &req.image_features {
        let feats = parse_features(list)?;
        let consumer = match (req.krbd_kernel, req.rbd_provisioner) {
            (Some(k), _) => Consumer::Krbd(k),
            (None, true) => Consumer::RbdProvisioner,
            (None, false) => Consumer::Librbd,
        };
        findings.extend(validate_image_features(&feats, consumer));
    }
    Ok(ValidateReport { findings })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Client, Monitor, Pool};
    use std::collections::BTreeMap;

    fn k(s: &str) -> KernelVersion {
        s.parse().unwrap()
    }

    #[test]
    fn rbd_provisioner_accepts_only_layering() {
        assert!(
            validate_image_features(&[ImageFeature::Layering], Consumer::RbdProvisioner).is_empty()
        );
        let f = validate_image_features(
            &parse_features("layering,exclusive-lock").unwrap(),
            Consumer::RbdProvisioner,
        );
        assert_eq!(f.len(), 1);
        assert!(f[0].message.contains("only the layering"));
    }

    #[test]
    fn krbd_table_gates_features_by_kernel() {
        let feats =
            parse_features("layering,exclusive-lock,object-map,fast-diff,deep-flatten").unwrap();
        // 5.3 maps everything of the table.
        assert!(validate_image_features(&feats, Consumer::Krbd(k("5.3.0-1-amd64"))).is_empty());
        // 5.1: deep-flatten ok, object-map and fast-diff not.
        let f = validate_image_features(&feats, Consumer::Krbd(k("5.1")));
        assert_eq!(f.len(), 2, "{f:?}");
        // 4.9: exclusive-lock ok, deep-flatten not.
        let f = validate_image_features(
            &parse_features("layering,exclusive-lock,deep-flatten").unwrap(),
            Consumer::Krbd(k("4.9")),
        );
        assert_eq!(f.len(), 1);
        assert!(f[0].message.contains("deep-flatten needs kernel 5.1"));
        // 4.4 (CentOS-era): exclusive-lock fails.
        let f = validate_image_features(
            &[ImageFeature::Layering, ImageFeature::ExclusiveLock],
            Consumer::Krbd(k("4.4")),
        );
        assert!(f[0].message.contains("4.9"));
    }

    #[test]
    fn krbd_never_maps_journaling() {
        let f = validate_image_features(
            &[ImageFeature::ExclusiveLock, ImageFeature::Journaling],
            Consumer::Krbd(k("6.1")),
        );
        assert_eq!(f.len(), 1);
        assert!(f[0].message.contains("any kernel"));
        assert!(validate_image_features(
            &[ImageFeature::ExclusiveLock, ImageFeature::Journaling],
            Consumer::Librbd
        )
        .is_empty());
    }

    #[test]
    fn fast_diff_without_object_map_is_an_error() {
        let f = validate_image_features(
            &[ImageFeature::Layering, ImageFeature::FastDiff],
            Consumer::Librbd,
        );
        assert_eq!(f[0].code, "KM225");
    }

    #[test]
    fn unknown_feature_and_bad_kernel_are_errors() {
        assert!(parse_features("layering,turbo").is_err());
        assert!("five".parse::<KernelVersion>().is_err());
        assert_eq!(
            parse_features("stripingv2").unwrap(),
            vec![ImageFeature::Striping]
        );
    }

    #[test]
    fn cluster_id_longer_than_36_bytes_is_an_error() {
        assert!(validate_cluster_id("8ea25b82-518c-4114-9aaf-d0c02cbe6c81").is_none());
        let f = validate_cluster_id("8ea25b82-518c-4114-9aaf-d0c02cbe6c81-x").unwrap();
        assert!(f.message.contains("38 bytes"), "{}", f.message);
    }

    #[test]
    fn key_with_trailing_newline_is_reported_without_the_key() {
        let raw = "AQDz6AVr1iekDBAA80UikzfAeOZJlwWVjfW4+A==\n";
        let f = validate_key("client.kube", &CephKey::new(raw));
        assert_eq!(f.len(), 1);
        assert!(f[0].message.contains("stray whitespace"));
        assert!(!f[0].message.contains("AQD"));
        assert!(validate_key("client.kube", &CephKey::new(raw.trim())).is_empty());
        assert_eq!(
            validate_key("client.kube", &CephKey::new("not-a-key"))[0].code,
            "KM227"
        );
    }

    fn cluster() -> CephCluster {
        CephCluster {
            fsid: Some("8ea25b82-518c-4114-9aaf-d0c02cbe6c81".into()),
            monitors: vec![Monitor::on_default_ports(
                "mon1",
                "10.0.0.1".parse().unwrap(),
            )],
            pools: vec![Pool {
                name: "kube".into(),
                pg_num: Some(32),
                size: Some(3),
                application: Some("rbd".into()),
                failure_domain: None,
                origin: None,
            }],
            clients: vec![],
            osd_count: Some(3),
            failure_domains: [("host".to_string(), 3), ("osd".to_string(), 3)].into(),
            public_networks: vec!["10.0.0.0/24".parse().unwrap()],
            origins: Default::default(),
        }
    }

    #[test]
    fn clean_cluster_has_no_findings() {
        assert_eq!(validate_cluster(&cluster()), vec![]);
    }

    #[test]
    fn replica_size_above_osd_count_is_an_error() {
        let mut c = cluster();
        c.osd_count = Some(2);
        c.failure_domains.clear();
        let f = validate_cluster(&c);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].code, "KM223");
    }

    #[test]
    fn replica_size_above_failure_domain_count_is_an_error_even_with_enough_osds() {
        let mut c = cluster();
        c.osd_count = Some(6);
        c.failure_domains = [("host".to_string(), 2), ("osd".to_string(), 6)].into();
        let f = validate_cluster(&c);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].code, "KM223");
        assert!(f[0].message.contains("2 host(s)"), "{}", f[0].message);
        // A rule choosing OSDs is satisfied by 6 OSDs.
        c.pools[0].failure_domain = Some("osd".into());
        assert!(validate_cluster(&c).is_empty());
    }

    #[test]
    fn bad_pool_name_and_pg_num_are_reported() {
        let mut c = cluster();
        c.pools.push(Pool {
            name: ".hidden".into(),
            pg_num: Some(100),
            size: None,
            application: None,
            failure_domain: None,
            origin: None,
        });
        let codes: Vec<_> = validate_cluster(&c).into_iter().map(|f| f.code).collect();
        assert_eq!(codes, vec!["KM221", "KM222"]);
    }

    #[test]
    fn monitor_outside_public_network_is_an_error() {
        let mut c = cluster();
        c.public_networks = vec!["192.168.0.0/16".parse().unwrap()];
        assert_eq!(validate_cluster(&c)[0].code, "KM229");
    }

    #[test]
    fn client_key_whitespace_is_found_in_the_model() {
        let mut c = cluster();
        c.clients.push(Client {
            entity: "client.kube".into(),
            caps: BTreeMap::new(),
            key: Some(CephKey::new(" AQDz6AVr1iekDBAA80UikzfAeOZJlwWVjfW4+A==")),
        });
        assert_eq!(validate_cluster(&c)[0].code, "KM227");
    }
}

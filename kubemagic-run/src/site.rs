//! The site as the runner needs it: kubemagic.yml and the facts that decide
//! which phases apply.

use crate::RunError;
use kubemagic_core::phase::{Catalog, Plan, PlanRequest, SiteFacts};
use kubemagic_core::{Flavor, SiteConfig};
use std::path::Path;

pub const SITE_CONFIG: &str = "kubemagic.yml";

/// Reads `SITE/kubemagic.yml`; a site without one gets the defaults.
///
/// TODO(coordinator): switch to kubemagic_inventory::site loader after merge.
/// Stopgap: the file is parsed with serde_json, so it must be written as
/// JSON-compatible flow YAML (`{"flavor": "kubespray", ...}`), which is also
/// valid YAML and reads the same with the real loader.
pub fn load_site_config(site: &Path) -> Result<SiteConfig, RunError> {
    let path = site.join(SITE_CONFIG);
    if !site.is_dir() {
        return Err(RunError::Config {
            path: site.to_path_buf(),
            message: "not a site directory".into(),
        });
    }
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(SiteConfig::default()),
        Err(e) => return Err(RunError::Io { path, source: e }),
    };
    if text.trim().is_empty() {
        return Ok(SiteConfig::default());
    }
    serde_json::from_str(&text).map_err(|e| {
        let hint = match e.classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                " (until the YAML site loader lands, kubemagic.yml must be JSON-compatible flow YAML)"
            }
            _ => "",
        };
        RunError::Config { path: path.clone(), message: format!("{e}{hint}") }
    })
}

fn exists(site: &Path, rel: &str) -> bool {
    site.join(rel).exists()
}

/// Decides flavor, Ceph presence and the kubespray inventory folder.
///
/// - flavor: kubemagic.yml `flavor`, else openshift when only
///   `openshift-ansible/hosts` is there, else kubespray;
/// - Ceph: `ceph-ansible/hosts` exists (the seed's ceph inventory);
/// - kubespray inventory: kubemagic.yml `kubespray_inventory`, else the only
///   folder of `kubespray/inventory` besides kubespray's own `sample` and
///   `local`, else the folder named after the site.
pub fn site_facts(site: &Path, config: &SiteConfig) -> Result<SiteFacts, RunError> {
    let flavor = config.flavor.unwrap_or_else(|| {
        if exists(site, "openshift-ansible/hosts") && !exists(site, "kubespray/inventory") {
            Flavor::Openshift
        } else {
            Flavor::Kubespray
        }
    });
    let (ceph, evidence) = if exists(site, "ceph-ansible/hosts") {
        (true, "ceph-ansible/hosts exists")
    } else {
        (false, "no ceph-ansible/hosts")
    };
    let mut facts = SiteFacts::from_config(config, flavor, ceph, evidence);
    if facts.kubespray_inventory.is_none() {
        let inv = site.join("kubespray/inventory");
        let mut names = vec![];
        if let Ok(rd) = std::fs::read_dir(&inv) {
            for e in rd.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if e.path().is_dir() && name != "sample" && name != "local" {
                    names.push(name);
                }
            }
        }
        let site_name = config.name.clone().or_else(|| {
            site.canonicalize()
                .ok()
                .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        });
        facts.kubespray_inventory = if names.len() == 1 {
            names.pop()
        } else {
            site_name.filter(|n| inv.join(n).is_dir())
        };
    }
    Ok(facts)
}

/// Loads the site and plans it: what `kubemagic plan` prints.
pub fn plan_site(site: &Path, request: &PlanRequest) -> Result<(SiteConfig, Plan), RunError> {
    let config = load_site_config(site)?;
    let catalog = Catalog::for_site(&config)?;
    let facts = site_facts(site, &config)?;
    let plan = catalog.plan(&facts, request)?;
    Ok((config, plan))
}

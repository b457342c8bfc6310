//! The site as the runner needs it: kubemagic.yml and the facts that decide
//! which phases apply.

use crate::RunError;
use kubemagic_core::phase::{Catalog, Plan, PlanRequest, SiteFacts};
use kubemagic_core::{Flavor, SiteConfig};
use std::path::Path;

pub const SITE_CONFIG: &str = "kubemagic.yml";

/// Inventory files kubespray accepts in `inventory/<name>/`, preferred first
/// (the same order as the site loader's).
const KUBESPRAY_SOURCES: [&str; 4] = ["hosts.yml", "hosts.yaml", "inventory.ini", "hosts.ini"];

/// Reads `SITE/kubemagic.yml` (or `.yaml`) with the site loader of
/// `kubemagic-inventory`, so that `plan`, `run` and `check` type the file the
/// same way; a site without one gets the defaults.
pub fn load_site_config(site: &Path) -> Result<SiteConfig, RunError> {
    if !site.is_dir() {
        return Err(RunError::Config {
            path: site.to_path_buf(),
            message: "not a site directory".into(),
        });
    }
    Ok(kubemagic_inventory::site::load_config(site)?
        .map(|(_, config)| config)
        .unwrap_or_default())
}

fn exists(site: &Path, rel: &str) -> bool {
    site.join(rel).exists()
}

/// Decides flavor, Ceph presence and the kubespray inventory folder.
///
/// - flavor: kubemagic.yml `flavor`, else openshift when only
///   `openshift-ansible/hosts` is there, else kubespray;
/// - Ceph: `ceph-ansible/hosts` exists (the seed's ceph inventory);
/// - which of the catalog's `exists` paths are there (`custom/hosts`);
/// - kubespray inventory: kubemagic.yml `kubespray_inventory`, else the only
///   folder of `kubespray/inventory` besides kubespray's own `sample` and
///   `local`, else the folder named after the site; its inventory file is
///   the first of `hosts.yml`, `hosts.yaml`, `inventory.ini`, `hosts.ini`.
pub fn site_facts(
    site: &Path,
    config: &SiteConfig,
    catalog: &Catalog,
) -> Result<SiteFacts, RunError> {
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
    facts.existing = catalog
        .probe_paths()
        .into_iter()
        .filter(|p| site.join(p).exists())
        .collect();
    if let Some(name) = &facts.kubespray_inventory {
        let folder = site.join("kubespray/inventory").join(name);
        if let Some(f) = KUBESPRAY_SOURCES.iter().find(|f| folder.join(f).is_file()) {
            facts.kubespray_hosts = f.to_string();
        }
    }
    Ok(facts)
}

/// Loads the site and plans it: what `kubemagic plan` prints.
pub fn plan_site(site: &Path, request: &PlanRequest) -> Result<(SiteConfig, Plan), RunError> {
    let config = load_site_config(site)?;
    let catalog = Catalog::for_site(&config)?;
    let facts = site_facts(site, &config, &catalog)?;
    let plan = catalog.plan(&facts, request)?;
    Ok((config, plan))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(p: &Path) {
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, "").unwrap();
    }

    #[test]
    fn the_only_kubespray_inventory_folder_and_its_ini_file_are_found() {
        let d = tempfile::tempdir().unwrap();
        touch(&d.path().join("kubespray/inventory/sample/hosts.yaml"));
        touch(&d.path().join("kubespray/inventory/prod/inventory.ini"));
        let f = site_facts(
            d.path(),
            &SiteConfig::default(),
            &Catalog::default_catalog(),
        )
        .unwrap();
        assert_eq!(f.kubespray_inventory.as_deref(), Some("prod"));
        assert_eq!(f.kubespray_hosts, "inventory.ini");
        assert_eq!(f.flavor, Flavor::Kubespray);
        assert!(!f.ceph);
    }

    #[test]
    fn openshift_is_detected_from_its_inventory_and_ceph_from_ceph_ansible_hosts() {
        let d = tempfile::tempdir().unwrap();
        touch(&d.path().join("openshift-ansible/hosts"));
        touch(&d.path().join("ceph-ansible/hosts"));
        let f = site_facts(
            d.path(),
            &SiteConfig::default(),
            &Catalog::default_catalog(),
        )
        .unwrap();
        assert_eq!(f.flavor, Flavor::Openshift);
        assert!(f.ceph);
        assert_eq!(f.ceph_evidence, "ceph-ansible/hosts exists");
        assert!(f.existing.is_empty(), "no custom/hosts");
    }

    #[test]
    fn site_without_kubemagic_yml_has_the_default_config() {
        let d = tempfile::tempdir().unwrap();
        assert_eq!(load_site_config(d.path()).unwrap(), SiteConfig::default());
    }
}

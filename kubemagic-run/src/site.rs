//! The site as the runner needs it: kubemagic.yml and the facts that decide
//! which phases apply.

use crate::RunError;
use kubemagic_core::phase::{Catalog, Plan, PlanRequest, SiteFacts};
use kubemagic_core::{Flavor, SiteConfig};
use kubemagic_site::site::{InventoryKind, Site};
use std::path::Path;

/// Reads `SITE/kubemagic.yml` (or `.yaml`) with the site loader of
/// `kubemagic-inventory`, so that `plan`, `run` and `check` type the file the
/// same way; a site without one gets the defaults.
pub fn load_site_config(site: &Path) -> Result<SiteConfig, RunError> {
    Ok(Site::open(site)?.config)
}

/// Decides flavor, Ceph presence and the kubespray inventory from the
/// inventories the site loader finds ([`Site::discover`]), so that `plan`
/// and `check` always agree on which inventory is the site's:
///
/// - flavor: kubemagic.yml `flavor`, else openshift when the site has an
///   OpenShift inventory and no kubespray one, else kubespray;
/// - Ceph: the site has a ceph-ansible inventory;
/// - kubespray inventory: the folder and file the site loader picked;
/// - which of the catalog's `exists` paths are there (`custom/hosts`).
pub fn site_facts(site: &Site, catalog: &Catalog) -> Result<SiteFacts, RunError> {
    let found = site.discover()?;
    let has = |kind: InventoryKind| found.iter().any(|(k, _)| *k == kind);
    let flavor = site.config.flavor.unwrap_or(
        if has(InventoryKind::Openshift) && !has(InventoryKind::Kubespray) {
            Flavor::Openshift
        } else {
            Flavor::Kubespray
        },
    );
    let (ceph, evidence) = if has(InventoryKind::Ceph) {
        (true, "ceph-ansible/hosts exists")
    } else {
        (false, "no ceph-ansible/hosts")
    };
    let mut facts = SiteFacts::from_config(&site.config, flavor, ceph, evidence);
    let kubespray = found.iter().find(|(k, _)| *k == InventoryKind::Kubespray);
    if let Some((_, hosts)) = kubespray {
        let name = |p: Option<&Path>| {
            p.and_then(Path::file_name)
                .map(|n| n.to_string_lossy().into_owned())
        };
        if facts.kubespray_inventory.is_none() {
            facts.kubespray_inventory = name(hosts.parent());
        }
        if let Some(file) = name(Some(hosts)) {
            facts.kubespray_hosts = file;
        }
    }
    facts.existing = catalog
        .probe_paths()
        .into_iter()
        .filter(|p| site.root.join(p).exists())
        .collect();
    Ok(facts)
}

/// Loads the site and plans it: what `kubemagic plan` prints.
pub fn plan_site(site: &Path, request: &PlanRequest) -> Result<(SiteConfig, Plan), RunError> {
    let site = Site::open(site)?;
    let catalog = Catalog::for_site(&site.config)?;
    let facts = site_facts(&site, &catalog)?;
    let plan = catalog.plan(&facts, request)?;
    Ok((site.config, plan))
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
        let f = site_facts(&Site::open(d.path()).unwrap(), &Catalog::default_catalog()).unwrap();
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
        let f = site_facts(&Site::open(d.path()).unwrap(), &Catalog::default_catalog()).unwrap();
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

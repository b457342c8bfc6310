//! `kubemagic.site_inventories(site)`: which inventories a site has and
//! where, as the engine finds them (for the `kubemagic.core.site` inventory
//! plugin, which must read the same files `kubemagic check` reads).

use crate::errors::{inventory_error, with_location, CheckError};
use kubemagic_site::site::{Site, SiteError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::path::PathBuf;

/// `{"name", "flavor", "inventories": {kind: path}}`: the site's name and
/// flavor (kubemagic.yml, defaults applied) and its inventory sources by kind
/// ("custom", "kubespray", "ceph-ansible", "openshift-ansible"), in discovery
/// order. Reads kubemagic.yml and looks at the folders, not the inventories.
/// Raises CheckError (with `.file`, `.line`) when the site cannot be read.
#[pyfunction]
pub fn site_inventories<'py>(py: Python<'py>, site: PathBuf) -> PyResult<Bound<'py, PyDict>> {
    let found = py.detach(|| {
        let opened = Site::open(&site)?;
        let inventories = opened.discover()?;
        Ok::<_, SiteError>((opened, inventories))
    });
    let (opened, inventories) = match found {
        Ok(v) => v,
        Err(SiteError::Inventory(e)) => return Err(inventory_error(py, &e)),
        Err(e) => {
            return Err(with_location::<CheckError>(
                py,
                e.to_string(),
                e.file(),
                e.line(),
            ))
        }
    };
    let dict = PyDict::new(py);
    dict.set_item("name", opened.name())?;
    dict.set_item(
        "flavor",
        opened.config.flavor.unwrap_or_default().to_string(),
    )?;
    let by_kind = PyDict::new(py);
    for (kind, path) in inventories {
        by_kind.set_item(kind.to_string(), path.to_string_lossy().into_owned())?;
    }
    dict.set_item("inventories", by_kind)?;
    Ok(dict)
}

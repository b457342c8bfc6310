//! `kubemagic.registry.render(site)`: containerd's registry files of
//! `kubemagic registry render`.

use crate::convert::to_py;
use crate::errors::{from_km, inventory_error, RegistryError as PyRegistryError};
use kubemagic_registry::RegistryError;
use kubemagic_site::site::SiteError;
use pyo3::prelude::*;
use std::path::PathBuf;

/// Renders every containerd host's registry files (or `host`'s). Returns
/// what `kubemagic registry render --output json` prints, redacted. An
/// unreadable inventory raises InventoryError, anything else RegistryError
/// (with `.file`, `.line`, `.kind`).
#[pyfunction]
#[pyo3(signature = (site, host=None))]
pub fn registry_render<'py>(
    py: Python<'py>,
    site: PathBuf,
    host: Option<String>,
) -> PyResult<Bound<'py, PyAny>> {
    let report = py.detach(|| {
        let site = kubemagic_site::Site::load(&site)?;
        kubemagic_registry::render(&site, host.as_deref())
    });
    let report = match report {
        Ok(r) => r,
        Err(RegistryError::Site(SiteError::Inventory(e))) => return Err(inventory_error(py, &e)),
        Err(e) => return Err(from_km::<PyRegistryError>(py, &e)),
    };
    let mut value = serde_json::to_value(&report)
        .map_err(|e| PyErr::new::<PyRegistryError, _>(format!("report not representable: {e}")))?;
    kubemagic_core::redact::redact_json(&mut value);
    to_py(py, &value)
}

//! `kubemagic.check(site)`: the site checks of `kubemagic check`.

use crate::convert::to_py;
use crate::errors::{inventory_error, with_location, CheckError};
use kubemagic_site::checks;
use kubemagic_site::site::SiteError;
use pyo3::prelude::*;
use std::path::PathBuf;

/// Runs the site checks on a site directory and returns the findings as
/// dicts, as `kubemagic check --output json` prints them. An unreadable
/// inventory raises InventoryError, any other unreadable site CheckError
/// (both with `.file` and `.line`).
#[pyfunction]
pub fn check<'py>(py: Python<'py>, site: PathBuf) -> PyResult<Vec<Bound<'py, PyAny>>> {
    // Reading every inventory of the site is file I/O: release the GIL.
    let findings = py.detach(|| checks::check_site(&site));
    let findings = match findings {
        Ok(f) => f,
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
    // The shared renderer's JSON: the same redacted shape as the CLI's.
    match kubemagic_core::render::json(&findings) {
        serde_json::Value::Array(items) => items.iter().map(|v| to_py(py, v)).collect(),
        _ => Err(PyErr::new::<CheckError, _>("findings are not a list")),
    }
}

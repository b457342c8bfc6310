//! `kubemagic.check(site)`: the site checks of `kubemagic check`.

use crate::convert::to_py;
use crate::errors::{inventory_error, with_location, CheckError};
use kubemagic_site::checks;
use kubemagic_site::site::SiteError;
use pyo3::prelude::*;
use std::path::PathBuf;

/// Runs the site checks on a site directory and returns
/// `{"findings": [...], "suppressed": [...], "versions": [...]}`, as
/// `kubemagic check --output json` prints it: accepted findings (kubemagic.yml
/// `checks.ignore`, inline `kubemagic: ignore[...]`) are under `suppressed`
/// with their `reason` and `ignored_at`. An unreadable inventory raises
/// InventoryError, any other unreadable site (a missing ignore reason
/// included) CheckError (both with `.file` and `.line`).
#[pyfunction]
pub fn check<'py>(py: Python<'py>, site: PathBuf) -> PyResult<Bound<'py, PyAny>> {
    // Reading every inventory of the site is file I/O: release the GIL.
    let report = py.detach(|| checks::check_site(&site));
    let report = match report {
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
    let mut value = serde_json::to_value(&report)
        .map_err(|e| PyErr::new::<CheckError, _>(format!("check report not representable: {e}")))?;
    // Through the shared redaction, as the CLI's JSON.
    kubemagic_core::redact::redact_json(&mut value);
    to_py(py, &value)
}

/// One finding (a dict as `check()` returns them) as the one-line form every
/// kubemagic front end prints: `FILE:LINE:COL: severity: CODE message
/// [host H]`, redacted (`kubemagic_core::render::line`). The collection's
/// modules use it for their messages, so a finding reads the same in a
/// play's failure as in `kubemagic check`.
#[pyfunction]
pub fn render_finding(finding: &Bound<'_, PyAny>) -> PyResult<String> {
    let value = crate::convert::from_py(finding)?;
    let f: kubemagic_core::Finding = serde_json::from_value(value)
        .map_err(|e| pyo3::exceptions::PyValueError::new_err(format!("not a finding: {e}")))?;
    Ok(kubemagic_core::render::line(&f))
}

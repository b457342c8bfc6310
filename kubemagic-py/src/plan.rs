//! `kubemagic.plan(site, targets)`: the phases `kubemagic plan` prints.

use crate::convert::to_py;
use crate::errors::PlanError;
use kubemagic_core::phase::PlanRequest;
use kubemagic_run::{plan_site, RunError};
use pyo3::prelude::*;
use std::path::PathBuf;

fn plan_error(py: Python<'_>, e: &RunError) -> PyErr {
    crate::errors::from_km::<PlanError>(py, e)
}

/// The phases of a site in execution order, each `{"name", "reason",
/// "steps": [{"cwd", "argv"}], "description", ...}` as in `kubemagic plan
/// --output json`; `targets` restricts the plan to those phases and what they
/// require. Raises PlanError (unknown phase, cycle, unreadable kubemagic.yml).
#[pyfunction]
#[pyo3(signature = (site, targets=None))]
pub fn plan<'py>(
    py: Python<'py>,
    site: PathBuf,
    targets: Option<Vec<String>>,
) -> PyResult<Vec<Bound<'py, PyAny>>> {
    let request = PlanRequest {
        targets: targets.unwrap_or_default(),
        from: None,
    };
    // Reads kubemagic.yml and looks at the site's folders: release the GIL.
    let planned = py.detach(|| plan_site(&site, &request));
    let (_, plan) = planned.map_err(|e| plan_error(py, &e))?;
    plan.phases
        .iter()
        .map(|p| {
            let value = serde_json::to_value(p)
                .map_err(|e| PyErr::new::<PlanError, _>(format!("phase not representable: {e}")))?;
            to_py(py, &value)
        })
        .collect()
}

//! `kubemagic.certs.check(...)` / `kubemagic.certs.probe(...)`: the reports
//! of `kubemagic certs check|probe`, as the dicts its `-o json` prints,
//! plus the Monitoring Plugins text and exit code (`nagios`).

use crate::convert::to_py;
use crate::errors::{from_km, CertsError as PyCertsError};
use kubemagic_certs::{CertsError, Format, Report, Thresholds};
use kubemagic_core::{RedactingWriter, Redactor};
use pyo3::prelude::*;
use std::path::PathBuf;
use std::time::Duration;

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn when(
    warning_days: i64,
    critical_days: i64,
    at: Option<&str>,
) -> Result<(Thresholds, i64), CertsError> {
    let t = Thresholds::new(warning_days, critical_days)?;
    let at = match at {
        Some(text) => kubemagic_certs::time::parse_at(text)?,
        None => now(),
    };
    Ok((t, at))
}

/// The report as the JSON document, with `nagios: {"text", "exit"}` added:
/// what a monitoring check or an Ansible module needs without a second call.
fn to_dict<'py>(py: Python<'py>, r: Result<Report, CertsError>) -> PyResult<Bound<'py, PyAny>> {
    let report = r.map_err(|e| from_km::<PyCertsError>(py, &e))?;
    let render = |format: Format| -> PyResult<String> {
        let mut w = RedactingWriter::new(Vec::new(), Redactor::new());
        kubemagic_certs::write(&report, format, &mut w)
            .and_then(|()| w.finish())
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .map_err(|e| PyErr::new::<PyCertsError, _>(e.to_string()))
    };
    let mut value = serde_json::to_value(&report)
        .map_err(|e| PyErr::new::<PyCertsError, _>(format!("report not representable: {e}")))?;
    kubemagic_core::redact::redact_json(&mut value);
    value["nagios"] = serde_json::json!({
        "text": render(Format::Nagios)?,
        "exit": kubemagic_certs::exit_code(&report, Format::Nagios),
    });
    value["text"] = serde_json::Value::String(render(Format::Text)?);
    to_py(py, &value)
}

/// `kubemagic certs check`.
#[pyfunction]
#[pyo3(signature = (paths, site=None, host=None, root=PathBuf::from("/"), warning_days=30, critical_days=7, at=None, plan=false))]
#[allow(clippy::too_many_arguments)]
pub fn certs_check<'py>(
    py: Python<'py>,
    paths: Vec<PathBuf>,
    site: Option<PathBuf>,
    host: Option<String>,
    root: PathBuf,
    warning_days: i64,
    critical_days: i64,
    at: Option<String>,
    plan: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let r = py.detach(|| {
        let (thresholds, at) = when(warning_days, critical_days, at.as_deref())?;
        kubemagic_certs::check(&kubemagic_certs::CheckRequest {
            paths,
            site,
            host,
            root,
            thresholds,
            at,
            plan,
        })
    });
    to_dict(py, r)
}

/// `kubemagic certs probe`.
#[pyfunction]
#[pyo3(signature = (endpoints, site=None, warning_days=30, critical_days=7, at=None, timeout=5.0, plan=false))]
#[allow(clippy::too_many_arguments)]
pub fn certs_probe<'py>(
    py: Python<'py>,
    endpoints: Vec<String>,
    site: Option<PathBuf>,
    warning_days: i64,
    critical_days: i64,
    at: Option<String>,
    timeout: f64,
    plan: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let r = py.detach(|| {
        let (thresholds, at) = when(warning_days, critical_days, at.as_deref())?;
        kubemagic_certs::probe_endpoints(&kubemagic_certs::ProbeRequest {
            endpoints,
            site,
            thresholds,
            at,
            timeout: Duration::from_secs_f64(timeout.clamp(0.1, 3600.0)),
            plan,
        })
    });
    to_dict(py, r)
}

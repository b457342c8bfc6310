//! `kubemagic.ceph.render`, `.validate` and `.leftovers`: kubespray vars,
//! ceph-csi manifests or ceph commands, findings, and provisioner leftovers,
//! from a site or a live cluster. Parses the arguments into the
//! library's [`RenderRequest`] (whose defaults are the CLI's) and converts
//! the result.

use crate::errors::{with_location, CephError as PyCephError};
use kubemagic_ceph::cli::Connection;
use kubemagic_ceph::render::{self, RenderRequest, Target};
use kubemagic_ceph::report::{self, Format};
use kubemagic_ceph::CephError;
use kubemagic_ceph::{leftovers, validate};
use kubemagic_core::nagios::PluginOutput;
use kubemagic_core::{Finding, RedactingWriter, Severity};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use std::path::PathBuf;

fn ceph_error(py: Python<'_>, e: &CephError) -> PyErr {
    match e {
        CephError::Request(m) => PyValueError::new_err(m.clone()),
        _ => crate::errors::from_km::<PyCephError>(py, e),
    }
}

/// Findings of severity error turn into an exception naming the first one's
/// file and line.
fn findings_error(py: Python<'_>, errors: &[Finding]) -> PyErr {
    let first = errors.first().and_then(|f| f.file.clone());
    let line = errors.first().and_then(|f| f.line);
    let message = errors
        .iter()
        .map(kubemagic_core::render::line)
        .collect::<Vec<_>>()
        .join("; ");
    with_location::<PyCephError>(py, message, first.as_deref(), line)
}

/// Renders the Kubernetes side of Ceph storage; see `kubemagic.ceph.render`.
#[pyfunction]
#[pyo3(signature = (target, site=None, ceph_conf=None, keyring=None, pool=None, client=None, fsid=None))]
#[allow(clippy::too_many_arguments)]
pub fn ceph_render(
    py: Python<'_>,
    target: &str,
    site: Option<PathBuf>,
    ceph_conf: Option<PathBuf>,
    keyring: Option<PathBuf>,
    pool: Option<&str>,
    client: Option<&str>,
    fsid: Option<String>,
) -> PyResult<String> {
    let bad = |e: CephError| PyValueError::new_err(e.to_string());
    let target: Target = target.parse().map_err(bad)?;
    let mut req = RenderRequest::new(target).map_err(bad)?;
    if let Some(p) = pool {
        req.pool = p.parse().map_err(bad)?;
    }
    if let Some(c) = client {
        req.client = c.parse().map_err(bad)?;
    }
    req.site = site;
    req.fsid = fsid;
    req.conn = Connection {
        ceph_conf,
        keyring,
        name: Some("client.admin".into()),
        progress: kubemagic_ceph::cli::ProgressHook(None),
    };
    // Reads the site or runs the ceph tool against a live cluster.
    let rendered = py
        .detach(|| render::render(&req))
        .map_err(|e| ceph_error(py, &e))?;
    let errors: Vec<Finding> = rendered
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .cloned()
        .collect();
    if errors.is_empty() {
        // The same text the CLI prints, through the same writer.
        let mut w = RedactingWriter::new(Vec::new(), report::redactor(&req.conn));
        report::write_render(&mut w, &rendered, Format::Text)
            .and_then(|()| w.finish())
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .map_err(|e| PyValueError::new_err(format!("cannot write the report: {e}")))
    } else {
        Err(findings_error(py, &errors))
    }
}

fn connection(ceph_conf: Option<PathBuf>, keyring: Option<PathBuf>) -> Connection {
    Connection {
        ceph_conf,
        keyring,
        name: Some("client.admin".into()),
        progress: kubemagic_ceph::cli::ProgressHook(None),
    }
}

/// The report's JSON document as the CLI's `-o json` writes it: the same
/// redaction (patterns and the admin's key of `conn`).
fn report_value<T: serde::Serialize>(report: &T, conn: &Connection) -> PyResult<serde_json::Value> {
    let mut v = serde_json::to_value(report)
        .map_err(|e| PyValueError::new_err(format!("report not representable: {e}")))?;
    report::redactor(conn).redact_json(&mut v);
    Ok(v)
}

/// A Monitoring Plugins result for Python (`{"state", "exit_code",
/// "output"}`), the output written by the CLI's writer.
fn plugin_value(out: &PluginOutput, conn: &Connection) -> PyResult<serde_json::Value> {
    let mut w = RedactingWriter::new(Vec::new(), report::redactor(conn));
    let text = report::write_nagios(&mut w, out)
        .and_then(|()| w.finish())
        .map_err(|e| PyValueError::new_err(format!("cannot write the report: {e}")))?;
    Ok(serde_json::json!({
        "state": out.state.to_string(),
        "exit_code": out.state.code(),
        "output": String::from_utf8_lossy(&text),
    }))
}

/// The model's, the keyring's and the image features' findings, as
/// `kubemagic ceph validate --output json` (`{"findings": [...]}`): a
/// report, not an exception, since findings are the answer asked for.
#[pyfunction]
#[pyo3(signature = (site=None, ceph_conf=None, keyring=None, image_features=None, krbd_kernel=None, rbd_provisioner=false))]
pub fn ceph_validate<'py>(
    py: Python<'py>,
    site: Option<PathBuf>,
    ceph_conf: Option<PathBuf>,
    keyring: Option<PathBuf>,
    image_features: Option<String>,
    krbd_kernel: Option<&str>,
    rbd_provisioner: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let bad = |e: CephError| PyValueError::new_err(e.to_string());
    let krbd_kernel = krbd_kernel.map(str::parse).transpose().map_err(bad)?;
    if krbd_kernel.is_some() && rbd_provisioner {
        return Err(PyValueError::new_err(
            "krbd_kernel and rbd_provisioner name two different consumers: give one",
        ));
    }
    let req = validate::ValidateRequest {
        site,
        conn: connection(ceph_conf, keyring),
        image_features,
        krbd_kernel,
        rbd_provisioner,
    };
    let report = py
        .detach(|| validate::validate(&req))
        .map_err(|e| ceph_error(py, &e))?;
    crate::convert::to_py(py, &report_value(&report, &req.conn)?)
}

/// Provisioner leftovers, as `kubemagic ceph leftovers --output json`; with
/// `delete=True` they are removed in the CLI's safe order. `nagios=True`
/// returns the Monitoring Plugins result instead: `{"state", "exit_code",
/// "output"}`, UNKNOWN when Kubernetes or Ceph cannot be asked.
#[pyfunction]
#[pyo3(signature = (kubeconfig=None, ceph_conf=None, keyring=None, delete=false, nagios=false))]
pub fn ceph_leftovers<'py>(
    py: Python<'py>,
    kubeconfig: Option<PathBuf>,
    ceph_conf: Option<PathBuf>,
    keyring: Option<PathBuf>,
    delete: bool,
    nagios: bool,
) -> PyResult<Bound<'py, PyAny>> {
    if nagios && delete {
        return Err(PyValueError::new_err(
            "a monitoring check never deletes: nagios=True with delete=True",
        ));
    }
    let req = leftovers::LeftoversRequest {
        kubeconfig,
        conn: connection(ceph_conf, keyring),
        delete,
    };
    let result = py.detach(|| leftovers::leftovers(&req));
    if nagios {
        let out = report::leftovers_check(&result);
        return crate::convert::to_py(py, &plugin_value(&out, &req.conn)?);
    }
    let report = result.map_err(|e| ceph_error(py, &e))?;
    crate::convert::to_py(py, &report_value(&report, &req.conn)?)
}

/// `kubemagic ceph doctor`: `{"findings", "facts"}` as `-o json`, or with
/// `nagios=True` the Monitoring Plugins result (CRITICAL on errors,
/// UNKNOWN when the cluster cannot be asked). `text=True` returns the CLI's
/// text report instead.
#[pyfunction]
#[pyo3(signature = (ceph_conf, keyring, pool=None, csi_config=None, fs=None, subvolume_group=None, client=None, pg_num=None, site=None, probe=true, nagios=false, text=false))]
#[allow(clippy::too_many_arguments)]
pub fn ceph_doctor<'py>(
    py: Python<'py>,
    ceph_conf: PathBuf,
    keyring: PathBuf,
    pool: Option<&str>,
    csi_config: Option<PathBuf>,
    fs: Option<&str>,
    subvolume_group: Option<String>,
    client: Option<&str>,
    pg_num: Option<u32>,
    site: Option<PathBuf>,
    probe: bool,
    nagios: bool,
    text: bool,
) -> PyResult<Bound<'py, PyAny>> {
    use kubemagic_ceph::doctor::{doctor, DoctorRequest};
    let bad = |e: CephError| PyValueError::new_err(e.to_string());
    let conn = connection(Some(ceph_conf), Some(keyring));
    let pool = pool
        .unwrap_or(kubemagic_ceph::prepare::DEFAULT_POOL)
        .parse()
        .map_err(bad)?;
    let mut req = DoctorRequest::new(conn.clone(), pool);
    req.csi_config = csi_config;
    req.fs = fs.map(str::parse).transpose().map_err(bad)?;
    if let Some(g) = subvolume_group {
        req.subvolume_group = g;
    }
    req.client = client
        .map(str::parse::<kubemagic_ceph::ClientName>)
        .transpose()
        .map_err(bad)?
        .map(|c| c.entity());
    req.pg_num = pg_num
        .map(kubemagic_ceph::PgNum::try_from)
        .transpose()
        .map_err(bad)?;
    req.site = site;
    req.probe = probe;
    let result = py.detach(|| doctor(&req));
    if nagios {
        let out = match &result {
            Ok(r) => report::doctor_check(r),
            Err(e) => PluginOutput::unknown("CEPH DOCTOR", e.to_string()),
        };
        return crate::convert::to_py(py, &plugin_value(&out, &conn)?);
    }
    let rep = result.map_err(|e| ceph_error(py, &e))?;
    if text {
        let mut w = RedactingWriter::new(Vec::new(), report::redactor(&conn));
        let bytes = report::write_doctor(&mut w, &rep, Format::Text)
            .and_then(|()| w.finish())
            .map_err(|e| PyValueError::new_err(format!("cannot write the report: {e}")))?;
        return crate::convert::to_py(
            py,
            &serde_json::Value::String(String::from_utf8_lossy(&bytes).into_owned()),
        );
    }
    crate::convert::to_py(py, &report_value(&rep, &conn)?)
}

//! `kubemagic.ceph.render`: kubespray vars, ceph-csi manifests or ceph
//! commands, from a site or a live cluster. Parses the arguments into the
//! library's [`RenderRequest`] (whose defaults are the CLI's) and converts
//! the result.

use crate::errors::{with_location, CephError as PyCephError};
use kubemagic_ceph::cli::Connection;
use kubemagic_ceph::render::{self, RenderRequest, Target};
use kubemagic_ceph::CephError;
use kubemagic_core::{Finding, Severity};
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
        progress: false,
    };
    // Reads the site or runs the ceph tool against a live cluster.
    let rendered = py
        .detach(|| render::render(&req))
        .map_err(|e| ceph_error(py, &e))?;
    let errors: Vec<Finding> = rendered
        .findings
        .into_iter()
        .filter(|f| f.severity == Severity::Error)
        .collect();
    if errors.is_empty() {
        Ok(rendered.text)
    } else {
        Err(findings_error(py, &errors))
    }
}

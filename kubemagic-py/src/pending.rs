//! Functions whose library crate has not landed in this build yet. Each
//! raises NotImplementedError naming the missing crate, so callers (and the
//! Ansible modules) report why instead of failing obscurely. Each moves to
//! its own module once its crate is merged.

use pyo3::exceptions::PyNotImplementedError;
use pyo3::prelude::*;

fn missing(what: &str, krate: &str) -> PyErr {
    PyNotImplementedError::new_err(format!(
        "{what} is not available in this build of kubemagic: the {krate} library it calls had not landed when this module was built"
    ))
}

/// Plans the deployment phases of a site; returns them in execution order.
#[pyfunction]
#[pyo3(signature = (site, targets=None))]
fn plan(site: std::path::PathBuf, targets: Option<Vec<String>>) -> PyResult<Vec<Py<PyAny>>> {
    let _ = (site, targets);
    Err(missing("kubemagic.plan", "phase planner (kubemagic plan)"))
}

#[pyfunction]
#[pyo3(signature = (endpoints=None, env_file=None, cacert=None, cert=None, key=None))]
fn etcd_status(
    endpoints: Option<Vec<String>>,
    env_file: Option<std::path::PathBuf>,
    cacert: Option<std::path::PathBuf>,
    cert: Option<std::path::PathBuf>,
    key: Option<std::path::PathBuf>,
) -> PyResult<Py<PyAny>> {
    let _ = (endpoints, env_file, cacert, cert, key);
    Err(missing("kubemagic.etcd.status", "kubemagic-etcd"))
}

#[pyfunction]
#[pyo3(signature = (endpoints=None, env_file=None, cacert=None, cert=None, key=None, dry_run=false))]
fn etcd_recover(
    endpoints: Option<Vec<String>>,
    env_file: Option<std::path::PathBuf>,
    cacert: Option<std::path::PathBuf>,
    cert: Option<std::path::PathBuf>,
    key: Option<std::path::PathBuf>,
    dry_run: bool,
) -> PyResult<Py<PyAny>> {
    let _ = (endpoints, env_file, cacert, cert, key, dry_run);
    Err(missing("kubemagic.etcd.recover", "kubemagic-etcd"))
}

#[pyfunction]
#[pyo3(signature = (target, site=None, ceph_conf=None, keyring=None, pool=None, client=None))]
fn ceph_render(
    target: String,
    site: Option<std::path::PathBuf>,
    ceph_conf: Option<std::path::PathBuf>,
    keyring: Option<std::path::PathBuf>,
    pool: Option<String>,
    client: Option<String>,
) -> PyResult<String> {
    let _ = (target, site, ceph_conf, keyring, pool, client);
    Err(missing("kubemagic.ceph.render", "kubemagic-ceph"))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(plan, m)?)?;
    m.add_function(wrap_pyfunction!(etcd_status, m)?)?;
    m.add_function(wrap_pyfunction!(etcd_recover, m)?)?;
    m.add_function(wrap_pyfunction!(ceph_render, m)?)?;
    Ok(())
}

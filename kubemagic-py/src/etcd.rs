//! `kubemagic.etcd.status` / `kubemagic.etcd.recover`: the etcd library's
//! async functions run on one tokio runtime with the GIL released.

use crate::convert::to_py;
use crate::errors::EtcdError as PyEtcdError;
use kubemagic_etcd::{ops, Cluster, Config, ConnectArgs, EtcdError};
use pyo3::prelude::*;
use std::path::PathBuf;
use std::sync::OnceLock;

/// One runtime for the process: building one per call costs threads, and the
/// library's clients are cheap to create on it.
fn runtime() -> PyResult<&'static tokio::runtime::Runtime> {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    if let Some(rt) = RT.get() {
        return Ok(rt);
    }
    let rt = kubemagic_etcd::runtime().map_err(|e| {
        PyErr::new::<PyEtcdError, _>(format!("cannot start the async runtime: {e}"))
    })?;
    Ok(RT.get_or_init(|| rt))
}

fn etcd_error(py: Python<'_>, e: &EtcdError) -> PyErr {
    crate::errors::from_km::<PyEtcdError>(py, e)
}

fn connect_args(
    endpoints: Option<Vec<String>>,
    env_file: Option<PathBuf>,
    cacert: Option<PathBuf>,
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
) -> ConnectArgs {
    ConnectArgs {
        endpoints: endpoints.unwrap_or_default(),
        cacert,
        cert,
        key,
        env_file,
        ..ConnectArgs::default()
    }
}

fn serialize<T: serde::Serialize>(v: &T) -> PyResult<serde_json::Value> {
    serde_json::to_value(v)
        .map_err(|e| PyErr::new::<PyEtcdError, _>(format!("report not representable: {e}")))
}

/// Every member's status, the alarms and the findings (as `kubemagic etcd
/// status --output json`).
#[pyfunction]
#[pyo3(signature = (endpoints=None, env_file=None, cacert=None, cert=None, key=None))]
pub fn etcd_status<'py>(
    py: Python<'py>,
    endpoints: Option<Vec<String>>,
    env_file: Option<PathBuf>,
    cacert: Option<PathBuf>,
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
) -> PyResult<Bound<'py, PyAny>> {
    let args = connect_args(endpoints, env_file, cacert, cert, key);
    let rt = runtime()?;
    let result = py.detach(|| {
        rt.block_on(async {
            let config = Config::from_process_env(&args)?;
            let cluster = Cluster::connect(config).await?;
            Ok::<_, EtcdError>(ops::status(&cluster).await)
        })
    });
    let status = result.map_err(|e| etcd_error(py, &e))?;
    to_py(py, &serialize(&status)?)
}

/// NOSPACE recovery (as `kubemagic etcd recover --output json`), plus
/// `changed`: true only when it acted on the cluster's state (an alarm was
/// present or disarmed), never in a dry run.
#[pyfunction]
#[pyo3(signature = (endpoints=None, env_file=None, cacert=None, cert=None, key=None, dry_run=false))]
pub fn etcd_recover<'py>(
    py: Python<'py>,
    endpoints: Option<Vec<String>>,
    env_file: Option<PathBuf>,
    cacert: Option<PathBuf>,
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
    dry_run: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let args = connect_args(endpoints, env_file, cacert, cert, key);
    let rt = runtime()?;
    let result = py.detach(|| {
        rt.block_on(async {
            let config = Config::from_process_env(&args)?;
            let cluster = Cluster::connect(config).await?;
            let mut progress = |_: &kubemagic_etcd::Progress| {};
            Ok::<_, EtcdError>(ops::recover(&cluster, dry_run, &mut progress).await)
        })
    });
    let report = result.map_err(|e| etcd_error(py, &e))?;
    let value = report
        .to_json()
        .map_err(|e| PyErr::new::<PyEtcdError, _>(format!("report not representable: {e}")))?;
    to_py(py, &value)
}

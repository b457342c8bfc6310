//! `kubemagic.etcd.status`, `.recover`, `.maintain` and `.nagios`: the etcd library's
//! async functions run on one tokio runtime with the GIL released.

use crate::convert::to_py;
use crate::errors::EtcdError as PyEtcdError;
use kubemagic_etcd::{ops, Cluster, Config, ConnectArgs, EtcdError};
use pyo3::exceptions::PyValueError;
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

/// Connects to the cluster `args` name and runs `op` on it, on the shared
/// runtime with the GIL released: the one path status, recover and
/// maintain share.
fn on_cluster<T, F, Fut>(py: Python<'_>, args: &ConnectArgs, op: F) -> PyResult<T>
where
    T: Send,
    F: FnOnce(Cluster) -> Fut + Send,
    Fut: std::future::Future<Output = T>,
{
    let rt = runtime()?;
    let result = py.detach(|| {
        rt.block_on(async {
            let config = Config::from_process_env(args)?;
            let cluster = Cluster::connect(config).await?;
            Ok::<_, EtcdError>(op(cluster).await)
        })
    });
    result.map_err(|e| etcd_error(py, &e))
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
    let status = on_cluster(py, &args, |c| async move { ops::status(&c).await })?;
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
    let report = on_cluster(py, &args, |c| async move {
        let mut progress = |_: &kubemagic_etcd::Progress| {};
        ops::recover(&c, dry_run, &mut progress).await
    })?;
    let value = report
        .to_json()
        .map_err(|e| PyErr::new::<PyEtcdError, _>(format!("report not representable: {e}")))?;
    to_py(py, &value)
}

/// Routine upkeep (as `kubemagic etcd maintain --output json`): a snapshot
/// of the leader with retention, then the members that need it
/// defragmented one at a time, followers first; plus `succeeded` (no
/// refusal, no error).
#[pyfunction]
#[pyo3(signature = (endpoints=None, env_file=None, cacert=None, cert=None, key=None, snapshot_dir=None, keep=7, defrag_min_size="100MB", defrag_min_free_pct=45.0, compact=false, dry_run=false))]
#[allow(clippy::too_many_arguments)]
pub fn etcd_maintain<'py>(
    py: Python<'py>,
    endpoints: Option<Vec<String>>,
    env_file: Option<PathBuf>,
    cacert: Option<PathBuf>,
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
    snapshot_dir: Option<PathBuf>,
    keep: usize,
    defrag_min_size: &str,
    defrag_min_free_pct: f64,
    compact: bool,
    dry_run: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let defrag_min_size: kubemagic_core::ByteSize = defrag_min_size
        .parse()
        .map_err(|e| PyValueError::new_err(format!("defrag_min_size: {e}")))?;
    let opts = kubemagic_etcd::maintain::MaintainOptions {
        snapshot_dir,
        keep,
        defrag_min_size,
        defrag_min_free_pct,
        compact,
        dry_run,
    };
    opts.check_args()
        .map_err(|e| PyValueError::new_err(format!("defrag_min_free_pct: {e}")))?;
    let args = connect_args(endpoints, env_file, cacert, cert, key);
    let report = on_cluster(py, &args, |c| async move {
        let mut progress = |_: &kubemagic_etcd::Progress| {};
        ops::maintain(&c, &opts, &mut progress).await
    })?;
    let mut value = serialize(&report)?;
    if let Some(m) = value.as_object_mut() {
        m.insert("succeeded".into(), report.succeeded().into());
    }
    kubemagic_core::redact::redact_json(&mut value);
    to_py(py, &value)
}

/// The etcd Monitoring Plugins check (as `kubemagic -o nagios etcd
/// status`): `{"state", "exit_code", "output"}`; CRITICAL when no member
/// answers, UNKNOWN when the env file cannot be read or the thresholds are
/// not `0 < warning <= critical <= 100`.
#[pyfunction]
#[pyo3(signature = (endpoints=None, env_file=None, cacert=None, cert=None, key=None, warning_pct=80.0, critical_pct=95.0))]
#[allow(clippy::too_many_arguments)]
pub fn etcd_nagios<'py>(
    py: Python<'py>,
    endpoints: Option<Vec<String>>,
    env_file: Option<PathBuf>,
    cacert: Option<PathBuf>,
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
    warning_pct: f64,
    critical_pct: f64,
) -> PyResult<Bound<'py, PyAny>> {
    use kubemagic_core::nagios::PluginOutput;
    use kubemagic_etcd::monitor;
    let args = connect_args(endpoints, env_file, cacert, cert, key);
    let rt = runtime()?;
    let out = match monitor::Thresholds::new(warning_pct, critical_pct) {
        Err(why) => PluginOutput::unknown(monitor::SERVICE, why),
        Ok(th) => py.detach(|| match Config::from_process_env(&args) {
            Ok(config) => rt.block_on(ops::nagios_check(config, th)),
            Err(e) => PluginOutput::unknown(monitor::SERVICE, e.to_string()),
        }),
    };
    to_py(py, &crate::convert::plugin_value(&out))
}

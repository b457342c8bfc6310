//! `kubemagic.etcd.status`, `.recover`, `.maintain` and `.nagios`: the etcd library's
//! async functions run on one tokio runtime with the GIL released.

use crate::convert::to_py;
use crate::errors::EtcdError as PyEtcdError;
use kubemagic_core::Redactor;
use kubemagic_etcd::config::redactor_from_process_env;
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

/// The exception for a library error, its message through the
/// connection's redactor (which knows the endpoints' credentials as typed:
/// an error quoting an endpoint with a space in its password is masked).
fn etcd_error(py: Python<'_>, e: &EtcdError, redactor: &Redactor) -> PyErr {
    use kubemagic_core::KmError;
    let message = redactor.redact(&e.to_string()).into_owned();
    let err = crate::errors::with_location::<PyEtcdError>(py, message, e.file(), e.line());
    let _ = err.value(py).setattr("kind", e.kind().as_str());
    err
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

/// Connects to the cluster `args` name (the library's one connect path,
/// [`ops::with_cluster`]) and runs `op` on it, on the shared runtime with
/// the GIL released: the one path status, recover and maintain share.
/// Returns the report as a JSON value redacted with the connection's
/// redactor, the same masking the CLI's writers apply.
fn on_cluster<T, F, Fut>(py: Python<'_>, args: &ConnectArgs, op: F) -> PyResult<serde_json::Value>
where
    T: Send + serde::Serialize,
    F: FnOnce(Cluster) -> Fut + Send,
    Fut: std::future::Future<Output = T>,
{
    let rt = runtime()?;
    let redactor = redactor_from_process_env(args);
    let result = py.detach(|| {
        rt.block_on(async {
            let config = Config::from_process_env(args)?;
            ops::with_cluster(config, op).await
        })
    });
    let report = result.map_err(|e| etcd_error(py, &e, &redactor))?;
    let mut value = serialize(&report)?;
    redactor.redact_json(&mut value);
    Ok(value)
}

fn serialize<T: serde::Serialize>(v: &T) -> PyResult<serde_json::Value> {
    serde_json::to_value(v)
        .map_err(|e| PyErr::new::<PyEtcdError, _>(format!("report not representable: {e}")))
}

/// A report with its derived fields (`succeeded`, `changed`), as the CLI's
/// `--output json` prints it.
struct WithDerived<T>(T, fn(&T) -> serde_json::Value);

impl<T> serde::Serialize for WithDerived<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        (self.1)(&self.0).serialize(s)
    }
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
    to_py(py, &status)
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
    let value = on_cluster(py, &args, |c| async move {
        let mut progress = |_: &kubemagic_etcd::Progress| {};
        let r = ops::recover(&c, dry_run, &mut progress).await;
        WithDerived(r, |r| r.to_json().unwrap_or(serde_json::Value::Null))
    })?;
    to_py(py, &value)
}

/// Routine upkeep (as `kubemagic etcd maintain --output json`): a snapshot
/// of the leader with retention, then the members that need it
/// defragmented one at a time, followers first; plus `succeeded` (no
/// refusal, no error).
#[pyfunction]
#[pyo3(signature = (endpoints=None, env_file=None, cacert=None, cert=None, key=None, snapshot_dir=None, keep=None, defrag_min_size="100MB", defrag_min_free_pct=45.0, compact=false, dry_run=false))]
#[allow(clippy::too_many_arguments)]
pub fn etcd_maintain<'py>(
    py: Python<'py>,
    endpoints: Option<Vec<String>>,
    env_file: Option<PathBuf>,
    cacert: Option<PathBuf>,
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
    snapshot_dir: Option<PathBuf>,
    keep: Option<usize>,
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
    // The CLI's flag names, in Python's words.
    opts.check_args().map_err(|e| {
        PyValueError::new_err(
            e.to_string()
                .replace("--defrag-min-free", "defrag_min_free_pct")
                .replace("--snapshot-dir", "snapshot_dir")
                .replace("--keep", "keep"),
        )
    })?;
    let args = connect_args(endpoints, env_file, cacert, cert, key);
    let value = on_cluster(py, &args, |c| async move {
        let mut progress = |_: &kubemagic_etcd::Progress| {};
        let r = ops::maintain(&c, &opts, &mut progress).await;
        WithDerived(r, |r| {
            let mut v = serde_json::to_value(r).unwrap_or(serde_json::Value::Null);
            if let Some(m) = v.as_object_mut() {
                m.insert("succeeded".into(), r.succeeded().into());
            }
            v
        })
    })?;
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
    let redactor = redactor_from_process_env(&args);
    let rt = runtime()?;
    let out = match monitor::Thresholds::new(warning_pct, critical_pct) {
        Err(why) => PluginOutput::unknown(monitor::SERVICE, why),
        Ok(th) => py.detach(|| match Config::from_process_env(&args) {
            Ok(config) => rt.block_on(ops::nagios_check(config, th)),
            Err(e) => PluginOutput::unknown(monitor::SERVICE, e.to_string()),
        }),
    };
    // The same text the CLI prints: through the library's writer.
    let mut w = kubemagic_core::RedactingWriter::new(Vec::new(), redactor);
    kubemagic_etcd::print::nagios(&mut w, &out)
        .map_err(|e| PyErr::new::<PyEtcdError, _>(format!("cannot render the check: {e}")))?;
    let text = w
        .finish()
        .map_err(|e| PyErr::new::<PyEtcdError, _>(format!("cannot render the check: {e}")))?;
    let mut value = crate::convert::plugin_value(&out);
    value["output"] = String::from_utf8_lossy(&text).into_owned().into();
    to_py(py, &value)
}

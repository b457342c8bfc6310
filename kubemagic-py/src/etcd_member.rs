//! `kubemagic.etcd.member_list`, `.member_replace`, `.member_promote` and
//! `.restore`: etcd disaster recovery (issue 23) for Python, the same
//! library calls as `kubemagic etcd member ...` / `restore`, with the GIL
//! released while they run.

use crate::convert::to_py;
use crate::errors::EtcdError as PyEtcdError;
use kubemagic_etcd::member_ops::{self, MemberOpError, ReplaceRequest};
use kubemagic_etcd::restore::RestoreRequest;
use kubemagic_etcd::{restore_ops, Config, ConnectArgs};
use pyo3::prelude::*;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

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

fn km_err(py: Python<'_>, e: &dyn kubemagic_core::KmError) -> PyErr {
    crate::errors::from_km::<PyEtcdError>(py, e)
}

fn report<'py, T: serde::Serialize>(py: Python<'py>, v: &T) -> PyResult<Bound<'py, PyAny>> {
    let value = serde_json::to_value(v)
        .map_err(|e| PyErr::new::<PyEtcdError, _>(format!("report not representable: {e}")))?;
    to_py(py, &value)
}

/// Resolves the connection and runs one membership operation on the
/// shared runtime, GIL released.
fn on_config<T, F, Fut>(py: Python<'_>, args: ConnectArgs, op: F) -> PyResult<T>
where
    T: Send,
    F: FnOnce(Config) -> Fut + Send,
    Fut: std::future::Future<Output = Result<T, MemberOpError>>,
{
    let rt = runtime()?;
    let result = py.detach(|| {
        rt.block_on(async {
            let config = Config::from_process_env(&args).map_err(MemberOpError::from)?;
            op(config).await
        })
    });
    result.map_err(|e| km_err(py, &e))
}

fn connect(
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

/// The member list with peer URLs and health (as `kubemagic etcd member
/// list --output json`), with KM141–KM143 for `env_file`'s member.
#[pyfunction]
#[pyo3(signature = (endpoints=None, env_file=None, cacert=None, cert=None, key=None))]
pub fn etcd_member_list<'py>(
    py: Python<'py>,
    endpoints: Option<Vec<String>>,
    env_file: Option<PathBuf>,
    cacert: Option<PathBuf>,
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
) -> PyResult<Bound<'py, PyAny>> {
    let ef = env_file.clone();
    let args = connect(endpoints, env_file, cacert, cert, key);
    let r = on_config(py, args, |c| async move {
        member_ops::list(&c, ef.as_deref()).await
    })?;
    report(py, &r)
}

/// Replaces a dead member (as `kubemagic etcd member replace --output
/// json`): journaled in `state_dir`, resumed when re-run.
#[pyfunction]
#[pyo3(signature = (dead, name, peer_urls, endpoints=None, env_file=None, cacert=None, cert=None, key=None, force=false, no_learner=false, state_dir=None, initial_cluster_token=None))]
#[allow(clippy::too_many_arguments)]
pub fn etcd_member_replace<'py>(
    py: Python<'py>,
    dead: String,
    name: String,
    peer_urls: Vec<String>,
    endpoints: Option<Vec<String>>,
    env_file: Option<PathBuf>,
    cacert: Option<PathBuf>,
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
    force: bool,
    no_learner: bool,
    state_dir: Option<PathBuf>,
    initial_cluster_token: Option<String>,
) -> PyResult<Bound<'py, PyAny>> {
    let req = ReplaceRequest {
        dead,
        name,
        peer_urls,
        force,
        no_learner,
        token: initial_cluster_token
            .unwrap_or_else(|| kubemagic_etcd::member::KUBESPRAY_TOKEN.to_string()),
        state_dir: state_dir.unwrap_or_else(|| PathBuf::from(".kubemagic")),
    };
    let args = connect(endpoints, env_file, cacert, cert, key);
    let r = on_config(py, args, |c| async move {
        let mut progress = |_: &member_ops::MemberProgress| {};
        member_ops::replace(&c, &req, &mut progress).await
    })?;
    report(py, &r)
}

/// Promotes a learner (as `kubemagic etcd member promote --output json`),
/// retrying for at most `wait_seconds` while it catches up.
#[pyfunction]
#[pyo3(signature = (name, endpoints=None, env_file=None, cacert=None, cert=None, key=None, wait_seconds=60.0))]
#[allow(clippy::too_many_arguments)]
pub fn etcd_member_promote<'py>(
    py: Python<'py>,
    name: String,
    endpoints: Option<Vec<String>>,
    env_file: Option<PathBuf>,
    cacert: Option<PathBuf>,
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
    wait_seconds: f64,
) -> PyResult<Bound<'py, PyAny>> {
    let wait = Duration::try_from_secs_f64(wait_seconds)
        .map_err(|_| PyErr::new::<PyEtcdError, _>("wait_seconds must be a positive number"))?;
    let args = connect(endpoints, env_file, cacert, cert, key);
    let r = on_config(py, args, |c| async move {
        member_ops::promote(&c, &name, wait).await
    })?;
    report(py, &r)
}

/// Restores this member's data directory from a verified snapshot (as
/// `kubemagic etcd restore --output json`).
#[pyfunction]
#[pyo3(signature = (snapshot, name, initial_cluster, initial_advertise_peer_urls, data_dir, initial_cluster_token=None, move_aside=false, bin_dir=None))]
#[allow(clippy::too_many_arguments)]
pub fn etcd_restore<'py>(
    py: Python<'py>,
    snapshot: PathBuf,
    name: String,
    initial_cluster: String,
    initial_advertise_peer_urls: Vec<String>,
    data_dir: PathBuf,
    initial_cluster_token: Option<String>,
    move_aside: bool,
    bin_dir: Option<PathBuf>,
) -> PyResult<Bound<'py, PyAny>> {
    let req = RestoreRequest {
        snapshot,
        name,
        initial_cluster,
        advertise_peer_urls: initial_advertise_peer_urls,
        data_dir,
        token: initial_cluster_token,
        move_aside,
        bin_dir,
    };
    let r = py
        .detach(|| restore_ops::restore(&req))
        .map_err(|e| km_err(py, &e))?;
    report(py, &r)
}

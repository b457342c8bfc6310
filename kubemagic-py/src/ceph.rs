//! `kubemagic.ceph.render`: kubespray vars, ceph-csi manifests or ceph
//! commands, from a site or a live cluster. Mirrors `kubemagic ceph render`
//! (defaults: pool and client `kube`, admin `admin`, namespace `ceph-csi`).

use crate::errors::{with_location, CephError as PyCephError};
use kubemagic_ceph::cli::CephCli;
use kubemagic_ceph::model::{ClientName, PoolName};
use kubemagic_ceph::render::{self, RenderInput, Target};
use kubemagic_ceph::{CephCluster, CephError};
use kubemagic_core::{Finding, Severity};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use std::path::PathBuf;

fn ceph_error(py: Python<'_>, e: &CephError) -> PyErr {
    let (file, line) = match e {
        CephError::Io { path, .. } | CephError::KeyringEntity { path, .. } => {
            (Some(path.as_path()), None)
        }
        CephError::Site { path, .. } => (Some(path.as_path()), None),
        CephError::Keyring { path, line, .. } => (Some(path.as_path()), u32::try_from(*line).ok()),
        CephError::Inventory(ie) => (ie.file(), ie.line()),
        _ => (None, None),
    };
    with_location::<PyCephError>(py, e.to_string(), file, line)
}

/// Why rendering gave no text: a library error, or findings of severity
/// error (the text would be wrong).
enum Failure {
    Ceph(CephError),
    Findings(Vec<Finding>),
}

/// The same rendering as `kubemagic ceph render` (one library function);
/// findings of severity error turn into an exception.
fn render_blocking(
    target: Target,
    site: Option<PathBuf>,
    ceph_conf: Option<PathBuf>,
    keyring: Option<PathBuf>,
    input: RenderInput,
) -> Result<String, Failure> {
    let api = ceph_conf.as_ref().map(|conf| {
        let mut api = CephCli::new(conf, keyring.clone());
        api.name = Some("client.admin".into());
        api
    });
    let source = match (&site, &api) {
        (Some(site), _) => render::Source::Site(site),
        (None, Some(api)) => render::Source::Live {
            api,
            keyring: keyring.as_deref(),
        },
        (None, None) => render::Source::Nothing,
    };
    let rendered = render::render(target, source, input).map_err(Failure::Ceph)?;
    let errors: Vec<Finding> = rendered
        .findings
        .into_iter()
        .filter(|f| f.severity == Severity::Error)
        .collect();
    if errors.is_empty() {
        Ok(rendered.text)
    } else {
        Err(Failure::Findings(errors))
    }
}

/// Renders the Kubernetes side of Ceph storage; see `kubemagic.ceph.render`.
#[pyfunction]
#[pyo3(signature = (target, site=None, ceph_conf=None, keyring=None, pool=None, client=None))]
pub fn ceph_render(
    py: Python<'_>,
    target: &str,
    site: Option<PathBuf>,
    ceph_conf: Option<PathBuf>,
    keyring: Option<PathBuf>,
    pool: Option<&str>,
    client: Option<&str>,
) -> PyResult<String> {
    let target: Target = target
        .parse()
        .map_err(|e: CephError| PyValueError::new_err(e.to_string()))?;
    if site.is_some() && ceph_conf.is_some() {
        return Err(PyValueError::new_err("give site or ceph_conf, not both"));
    }
    if site.is_none() && ceph_conf.is_none() && !matches!(target, Target::Commands) {
        return Err(PyValueError::new_err(
            "render needs site=SITE or ceph_conf=CONF (with keyring=KEYRING)",
        ));
    }
    for f in ceph_conf.iter().chain(keyring.iter()) {
        if !f.is_file() {
            return Err(with_location::<PyCephError>(
                py,
                format!("{}: no such file", f.display()),
                Some(f),
                None,
            ));
        }
    }
    let bad = |e: CephError| PyValueError::new_err(e.to_string());
    let pool = pool.unwrap_or("kube").parse::<PoolName>().map_err(bad)?;
    let client = client
        .unwrap_or("kube")
        .parse::<ClientName>()
        .map_err(bad)?;
    let admin = "admin".parse::<ClientName>().map_err(bad)?;
    let input = RenderInput {
        cluster: CephCluster::default(),
        pool,
        client,
        admin,
        cephfs: None,
        pg_num: None,
        namespace: "ceph-csi".into(),
        user_key: None,
        admin_key: None,
        cephfs_user_key: None,
    };
    // Reads the site or runs the ceph tool against a live cluster.
    match py.detach(|| render_blocking(target, site, ceph_conf, keyring, input)) {
        Ok(text) => Ok(text),
        Err(Failure::Ceph(e)) => Err(ceph_error(py, &e)),
        Err(Failure::Findings(errors)) => {
            let first = errors.first().and_then(|f| f.file.clone());
            let line = errors.first().and_then(|f| f.line);
            let message = errors
                .iter()
                .map(kubemagic_core::render::line)
                .collect::<Vec<_>>()
                .join("; ");
            Err(with_location::<PyCephError>(
                py,
                message,
                first.as_deref(),
                line,
            ))
        }
    }
}

//! `kubemagic.lb.render(site)`: the API load balancer of `kubemagic lb render`.

use crate::convert::to_py;
use crate::errors::{inventory_error, with_location, LbError as PyLbError};
use kubemagic_lb::LbError;
use kubemagic_site::site::SiteError;
use pyo3::prelude::*;
use std::path::PathBuf;

/// Builds the load balancer of a site and renders its files. Returns
/// `{"model": <as kubemagic lb render --output json>, "files": {host:
/// {"haproxy.cfg": text, "keepalived.conf": text}}}`; `host` keeps one lb
/// host. An unreadable inventory raises InventoryError, anything else
/// LbError (both with `.file` and `.line`).
#[pyfunction]
#[pyo3(signature = (site, host=None))]
pub fn lb_render<'py>(
    py: Python<'py>,
    site: PathBuf,
    host: Option<String>,
) -> PyResult<Bound<'py, PyAny>> {
    let model = py.detach(|| kubemagic_lb::load(&site));
    let mut model = match model {
        Ok(m) => m,
        Err(LbError::Site(SiteError::Inventory(e))) => return Err(inventory_error(py, &e)),
        Err(e) => {
            return Err(with_location::<PyLbError>(
                py,
                e.to_string(),
                e.file(),
                e.line(),
            ))
        }
    };
    if let Some(h) = &host {
        if model.host(h).is_none() {
            let e = LbError::UnknownHost {
                host: h.clone(),
                file: model
                    .inventory
                    .clone()
                    .unwrap_or_else(|| site.join("custom/hosts")),
                known: model.hosts.iter().map(|h| h.name.clone()).collect(),
            };
            return Err(with_location::<PyLbError>(
                py,
                e.to_string(),
                e.file(),
                e.line(),
            ));
        }
        model.hosts.retain(|x| &x.name == h);
    }
    let mut files = serde_json::Map::new();
    for r in kubemagic_lb::render_all(&model) {
        files.insert(
            r.host.clone(),
            serde_json::json!({"haproxy.cfg": r.haproxy_cfg, "keepalived.conf": r.keepalived_conf}),
        );
    }
    let model = serde_json::to_value(&model)
        .map_err(|e| PyErr::new::<PyLbError, _>(format!("model not representable: {e}")))?;
    to_py(py, &serde_json::json!({"model": model, "files": files}))
}

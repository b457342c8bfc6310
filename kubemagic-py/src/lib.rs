//! The native part of the `kubemagic` Python package (`kubemagic._kubemagic`).
//!
//! Only translation lives here: Python arguments to library calls, results
//! to Python objects (one converter, `convert`), library errors to the
//! exception classes of `errors`. Blocking I/O runs with the GIL released.

mod ceph;
mod certs;
mod check;
mod convert;
mod errors;
mod etcd;
mod etcd_member;
mod inventory;
mod lb;
mod plan;
mod registry;
mod site;

use pyo3::prelude::*;

/// Converts a Python value to kubemagic's value type and back (a test hook
/// for the converter: `_roundtrip(x) == x` for JSON-like `x`).
#[pyfunction]
fn _roundtrip<'py>(obj: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let value = convert::from_py(obj)?;
    convert::to_py(obj.py(), &value)
}

#[pymodule]
fn _kubemagic(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // The crate version is the wheel's version (maturin takes it from
    // Cargo.toml), so `kubemagic.__version__` cannot drift from pip's.
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    errors::register(m)?;
    m.add_class::<inventory::Inventory>()?;
    m.add_function(wrap_pyfunction!(_roundtrip, m)?)?;
    m.add_function(wrap_pyfunction!(check::check, m)?)?;
    m.add_function(wrap_pyfunction!(check::render_finding, m)?)?;
    m.add_function(wrap_pyfunction!(plan::plan, m)?)?;
    m.add_function(wrap_pyfunction!(site::site_inventories, m)?)?;
    m.add_function(wrap_pyfunction!(etcd::etcd_status, m)?)?;
    m.add_function(wrap_pyfunction!(etcd::etcd_recover, m)?)?;
    m.add_function(wrap_pyfunction!(etcd::etcd_maintain, m)?)?;
    m.add_function(wrap_pyfunction!(etcd::etcd_nagios, m)?)?;
    m.add_function(wrap_pyfunction!(etcd_member::etcd_member_list, m)?)?;
    m.add_function(wrap_pyfunction!(etcd_member::etcd_member_replace, m)?)?;
    m.add_function(wrap_pyfunction!(etcd_member::etcd_member_promote, m)?)?;
    m.add_function(wrap_pyfunction!(etcd_member::etcd_restore, m)?)?;
    m.add_function(wrap_pyfunction!(ceph::ceph_render, m)?)?;
    m.add_function(wrap_pyfunction!(ceph::ceph_validate, m)?)?;
    m.add_function(wrap_pyfunction!(ceph::ceph_leftovers, m)?)?;
    m.add_function(wrap_pyfunction!(ceph::ceph_doctor, m)?)?;
    m.add_function(wrap_pyfunction!(lb::lb_render, m)?)?;
    m.add_function(wrap_pyfunction!(registry::registry_render, m)?)?;
    m.add_function(wrap_pyfunction!(certs::certs_check, m)?)?;
    m.add_function(wrap_pyfunction!(certs::certs_probe, m)?)?;
    Ok(())
}

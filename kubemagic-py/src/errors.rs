//! Python exceptions: everything kubemagic raises derives from
//! `kubemagic.Error`, so callers can catch one class; each library's error
//! type has its own subclass carrying the context the Rust error carries.

use pyo3::prelude::*;
use pyo3::types::PyString;

pyo3::create_exception!(
    kubemagic,
    Error,
    pyo3::exceptions::PyException,
    "Base class of every error kubemagic raises."
);
pyo3::create_exception!(
    kubemagic,
    InventoryError,
    Error,
    "An inventory or vars file could not be read. `.file` and `.line` say where (None when unknown)."
);
pyo3::create_exception!(
    kubemagic,
    CheckError,
    Error,
    "A site could not be checked (not a finding: the site itself could not be read)."
);
pyo3::create_exception!(
    kubemagic,
    PlanError,
    Error,
    "The phases of a site could not be planned (e.g. a dependency cycle)."
);
pyo3::create_exception!(
    kubemagic,
    EtcdError,
    Error,
    "An etcd operation failed (connection, TLS, quorum, or a refused step)."
);
pyo3::create_exception!(
    kubemagic,
    CephError,
    Error,
    "A Ceph operation or rendering failed."
);

pyo3::create_exception!(
    kubemagic,
    LbError,
    Error,
    "The load balancer of a site could not be rendered (the site could not be read, or an unknown lb host)."
);

pyo3::create_exception!(
    kubemagic,
    RegistryError,
    Error,
    "The registries of a site could not be rendered (a value that cannot stand in a TOML file, an unknown host)."
);

pyo3::create_exception!(
    kubemagic,
    CertsError,
    Error,
    "Certificates could not be checked or probed (bad input: a file that is no certificate, a bad time or endpoint, an unreadable site)."
);

/// Builds an exception of type `E` with `message` (through the shared
/// redaction: an error may quote a line holding a password), and sets `.file`
/// and `.line` on it (None when unknown) so Python code can point at the spot.
pub fn with_location<E: pyo3::type_object::PyTypeInfo>(
    py: Python<'_>,
    message: String,
    file: Option<&std::path::Path>,
    line: Option<u32>,
) -> PyErr {
    let err = PyErr::new::<E, _>(kubemagic_core::redact(&message).into_owned());
    let value = err.value(py);
    let file_obj = match file {
        Some(f) => PyString::new(py, &f.to_string_lossy()).into_any(),
        None => py.None().into_bound(py),
    };
    // Setting attributes on a fresh exception instance cannot fail short of
    // memory exhaustion; if it does, the exception without them is still right.
    let _ = value.setattr("file", file_obj);
    let _ = value.setattr("line", line);
    err
}

/// An exception of type `E` from any library error, through the one error
/// contract: `.file`, `.line` from it, and `.kind` (`"input"` or
/// `"failure"`, the same split that gives the CLI's exit 2 or 1).
pub fn from_km<E: pyo3::type_object::PyTypeInfo>(
    py: Python<'_>,
    e: &dyn kubemagic_core::KmError,
) -> PyErr {
    let err = with_location::<E>(py, e.to_string(), e.file(), e.line());
    let _ = err.value(py).setattr("kind", e.kind().as_str());
    err
}

pub fn inventory_error(py: Python<'_>, e: &kubemagic_inventory::InventoryError) -> PyErr {
    from_km::<InventoryError>(py, e)
}

/// Adds the exception classes to the native module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    // Class-level defaults: every kubemagic exception has `.file` and
    // `.line`, even one raised without a location (None then).
    let base = py.get_type::<Error>();
    base.setattr("file", py.None())?;
    base.setattr("line", py.None())?;
    base.setattr("kind", py.None())?;
    m.add("Error", base)?;
    m.add("InventoryError", py.get_type::<InventoryError>())?;
    m.add("CheckError", py.get_type::<CheckError>())?;
    m.add("PlanError", py.get_type::<PlanError>())?;
    m.add("EtcdError", py.get_type::<EtcdError>())?;
    m.add("CephError", py.get_type::<CephError>())?;
    m.add("LbError", py.get_type::<LbError>())?;
    m.add("RegistryError", py.get_type::<RegistryError>())?;
    m.add("CertsError", py.get_type::<CertsError>())?;
    Ok(())
}

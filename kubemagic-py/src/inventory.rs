//! `kubemagic.Inventory`: the inventory engine for Python. Loading reads
//! files, so it runs with the GIL released; queries translate results only.

use crate::convert::to_py;
use crate::errors::inventory_error;
use kubemagic_inventory::{HashBehaviour, Inventory as Engine, LoadOptions};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString, PyTuple};
use std::path::PathBuf;

/// Ansible inventories read exactly as ansible-core 2.19 reads them.
///
/// Create one with `Inventory.load(sources, playbook_dir=None)`.
#[pyclass(module = "kubemagic", name = "Inventory", frozen)]
pub struct Inventory {
    inner: Engine,
}

/// One path or an iterable of paths, as `ansible-inventory -i` takes one or
/// several. A `str` is one path: pyo3 refuses to read a `str` as a sequence
/// ("Can't extract str to Vec"), and splitting it into characters would be
/// wrong anyway.
fn paths(obj: &Bound<'_, PyAny>) -> PyResult<Vec<PathBuf>> {
    if obj.is_instance_of::<PyString>() || obj.hasattr("__fspath__")? {
        return Ok(vec![obj.extract::<PathBuf>()?]);
    }
    obj.try_iter()
        .map_err(|_| {
            PyTypeError::new_err(
                "sources must be a path (str or os.PathLike) or an iterable of paths",
            )
        })?
        .map(|item| item?.extract::<PathBuf>())
        .collect()
}

#[pymethods]
impl Inventory {
    /// Loads one or several inventory sources (files or directories, as
    /// `ansible-inventory -i` takes them), with their group_vars/host_vars
    /// and those of `playbook_dir`. `hash_behaviour` is "replace" (Ansible's
    /// default) or "merge". `sources` is one path (str or os.PathLike) or
    /// an iterable of them. Raises InventoryError with `.file` and `.line`;
    /// with `strict=True` also when Ansible (or kubemagic) would warn.
    #[staticmethod]
    #[pyo3(signature = (sources, playbook_dir=None, hash_behaviour="replace", strict=false))]
    fn load(
        py: Python<'_>,
        sources: &Bound<'_, PyAny>,
        playbook_dir: Option<PathBuf>,
        hash_behaviour: &str,
        strict: bool,
    ) -> PyResult<Self> {
        let hash_behaviour: HashBehaviour =
            hash_behaviour.parse().map_err(PyValueError::new_err)?;
        let sources = paths(sources)?;
        if sources.is_empty() {
            return Err(PyValueError::new_err(
                "sources must name at least one inventory",
            ));
        }
        let options = LoadOptions {
            playbook_dir,
            hash_behaviour,
            strict,
        };
        // File I/O and parsing: other Python threads may run meanwhile.
        let loaded = py.detach(|| Engine::load(&sources, &options));
        match loaded {
            Ok(inner) => Ok(Inventory { inner }),
            Err(e) => Err(inventory_error(py, &e)),
        }
    }

    /// What Ansible warns about while reading these sources (and what
    /// kubemagic finds questionable where Ansible is silent): a list of
    /// dicts with `kind`, `file`, `line`, `col`, `message` and `subject`.
    #[getter]
    fn warnings<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let mut v = serde_json::to_value(self.inner.warnings())
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        kubemagic_core::redact::redact_json(&mut v);
        to_py(py, &v)
    }

    /// The sources this inventory was loaded from.
    #[getter]
    fn sources(&self) -> Vec<String> {
        self.inner
            .sources
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect()
    }

    /// Hosts matching an Ansible host pattern (`all`, `a:b`, `a:&b`, `a:!b`,
    /// wildcards, `~regex`, `g[0]`), in Ansible's order.
    #[pyo3(signature = (pattern="all"))]
    fn hosts(&self, py: Python<'_>, pattern: &str) -> PyResult<Vec<String>> {
        match self.inner.select(pattern) {
            Ok(hosts) => Ok(hosts.into_iter().map(str::to_owned).collect()),
            Err(e) => Err(inventory_error(py, &e)),
        }
    }

    /// Group names in creation order (`all` and `ungrouped` first).
    fn groups(&self) -> Vec<String> {
        self.inner.groups().into_iter().map(str::to_owned).collect()
    }

    /// The variables of `host`, equal to `ansible-inventory --host HOST`
    /// (keys sorted as it prints them, `!unsafe` strings bare).
    fn host_vars<'py>(&self, py: Python<'py>, host: &str) -> PyResult<Bound<'py, PyAny>> {
        let vars = self
            .inner
            .host_vars(host)
            .map_err(|e| inventory_error(py, &e))?;
        to_py(py, &kubemagic_inventory::host_value(&vars))
    }

    /// Where each variable of `host` was set: name → (file, line) with line
    /// None when unknown, or None when the value has no file (e.g. implicit).
    fn host_var_origins<'py>(&self, py: Python<'py>, host: &str) -> PyResult<Bound<'py, PyDict>> {
        let vars = self
            .inner
            .host_vars(host)
            .map_err(|e| inventory_error(py, &e))?;
        let dict = PyDict::new(py);
        for (name, var) in &vars {
            match &var.origin {
                Some(o) => {
                    let t = PyTuple::new(
                        py,
                        [
                            o.file
                                .to_string_lossy()
                                .into_owned()
                                .into_pyobject(py)?
                                .into_any(),
                            o.line.into_pyobject(py)?.into_any(),
                        ],
                    )?;
                    dict.set_item(name, t)?
                }
                None => dict.set_item(name, py.None())?,
            }
        }
        Ok(dict)
    }

    /// The `ansible-inventory --list` document (`--list --export` with
    /// `export=True`).
    #[pyo3(signature = (export=false))]
    fn to_ansible_list<'py>(&self, py: Python<'py>, export: bool) -> PyResult<Bound<'py, PyAny>> {
        let doc = self
            .inner
            .to_ansible_list(export)
            .map_err(|e| inventory_error(py, &e))?;
        to_py(py, &doc)
    }

    /// The `ansible-inventory --graph [GROUP]` text (`--vars` with `vars=True`).
    #[pyo3(signature = (group=None, vars=false))]
    fn graph(&self, py: Python<'_>, group: Option<&str>, vars: bool) -> PyResult<String> {
        self.inner
            .graph(group, vars)
            .map_err(|e| inventory_error(py, &e))
    }

    fn __repr__(&self) -> String {
        format!(
            "<kubemagic.Inventory sources={:?} hosts={} groups={}>",
            self.sources(),
            self.inner.hosts().len(),
            self.inner.groups().len()
        )
    }
}

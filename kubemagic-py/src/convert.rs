//! The one converter between kubemagic's values (`serde_json::Value`, key
//! order preserved) and Python objects.
//!
//! Written by hand rather than with `pythonize` because it is twenty lines,
//! must keep dict key order and must turn integers beyond 64 bits (which
//! Ansible's `literal_eval` typing can produce) into Python ints instead of
//! floats; pythonize would add a dependency for less control.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};
use serde_json::{Number, Value};

/// The deepest value converted either way. Both converters recurse on
/// depth: the engine's values are at most `kubemagic_fs::limits::MAX_NESTING`
/// deep (its readers refuse deeper files at their line) plus the few levels
/// of the documents that wrap them; a Python object handed in can be
/// anything, a list that contains itself included. Deeper is a
/// `ValueError`, never a stack overflow that kills the interpreter.
const MAX_DEPTH: usize = 2 * kubemagic_fs::limits::MAX_NESTING;

fn too_deep() -> PyErr {
    PyValueError::new_err(format!(
        "value nested more than {MAX_DEPTH} levels deep (or containing itself)"
    ))
}

/// A JSON-like value as the equal Python object: `null` → `None`, numbers →
/// `int`/`float`, arrays → `list`, objects → `dict` in the same key order.
pub fn to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    to_py_at(py, value, 0)
}

fn to_py_at<'py>(py: Python<'py>, value: &Value, depth: usize) -> PyResult<Bound<'py, PyAny>> {
    if depth > MAX_DEPTH {
        return Err(too_deep());
    }
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => b.into_pyobject(py)?.to_owned().into_any(),
        Value::Number(n) => number_to_py(py, n)?,
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(to_py_at(py, item, depth + 1)?)?;
            }
            list.into_any()
        }
        // `.inf`/`.nan`: the engine keeps them in a one-key object (its
        // JSON values are finite); Python gets the float, as Ansible's does.
        Value::Object(_) if kubemagic_inventory::as_nonfinite(value).is_some() => {
            let f = kubemagic_inventory::as_nonfinite(value).unwrap_or(f64::NAN);
            f.into_pyobject(py)?.into_any()
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (k, v) in map {
                dict.set_item(k, to_py_at(py, v, depth + 1)?)?;
            }
            dict.into_any()
        }
    })
}

fn number_to_py<'py>(py: Python<'py>, n: &Number) -> PyResult<Bound<'py, PyAny>> {
    if let Some(i) = n.as_i64() {
        return Ok(i.into_pyobject(py)?.into_any());
    }
    if let Some(u) = n.as_u64() {
        return Ok(u.into_pyobject(py)?.into_any());
    }
    // An integer wider than 64 bits survives only as its decimal text
    // (serde_json's `arbitrary_precision`); Python's int() takes it whole.
    let text = n.to_string();
    let is_integer = text
        .trim_start_matches('-')
        .bytes()
        .all(|b| b.is_ascii_digit());
    if is_integer && !text.is_empty() {
        return py.get_type::<pyo3::types::PyInt>().call1((text,));
    }
    match n.as_f64() {
        Some(f) => Ok(f.into_pyobject(py)?.into_any()),
        None => Err(PyTypeError::new_err(format!(
            "number {text} has no Python equivalent"
        ))),
    }
}

/// A Python object as a JSON-like value (used for arguments that carry
/// variables, e.g. extra vars). Dict keys must be strings, as in JSON.
pub fn from_py(obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    from_py_at(obj, 0)
}

fn from_py_at(obj: &Bound<'_, PyAny>, depth: usize) -> PyResult<Value> {
    if depth > MAX_DEPTH {
        return Err(too_deep());
    }
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(b) = obj.cast::<pyo3::types::PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if let Ok(i) = obj.extract::<i64>() {
        if obj.is_instance_of::<pyo3::types::PyInt>() {
            return Ok(Value::from(i));
        }
    }
    if obj.is_instance_of::<pyo3::types::PyInt>() {
        if let Ok(u) = obj.extract::<u64>() {
            return Ok(Value::from(u));
        }
        return Err(PyTypeError::new_err("integer out of 64-bit range"));
    }
    if let Ok(f) = obj.cast::<pyo3::types::PyFloat>() {
        return Number::from_f64(f.value())
            .map(Value::Number)
            .ok_or_else(|| PyTypeError::new_err("NaN and infinity have no JSON equivalent"));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        // to_cow, not to_str: the abi3-py39 limited API has no borrowed UTF-8 view.
        return Ok(Value::String(s.to_cow()?.into_owned()));
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        let mut map = serde_json::Map::with_capacity(d.len());
        for (k, v) in d.iter() {
            let key: String = k
                .extract()
                .map_err(|_| PyTypeError::new_err("dict keys must be str"))?;
            map.insert(key, from_py_at(&v, depth + 1)?);
        }
        return Ok(Value::Object(map));
    }
    if let Ok(seq) = obj.cast::<PyList>() {
        return seq
            .iter()
            .map(|v| from_py_at(&v, depth + 1))
            .collect::<PyResult<Vec<_>>>()
            .map(Value::Array);
    }
    if let Ok(t) = obj.cast::<pyo3::types::PyTuple>() {
        return t
            .iter()
            .map(|v| from_py_at(&v, depth + 1))
            .collect::<PyResult<Vec<_>>>()
            .map(Value::Array);
    }
    Err(PyTypeError::new_err(format!(
        "cannot convert {} to a kubemagic value",
        obj.get_type().name()?
    )))
}

/// A Monitoring Plugins result for Python: `{"state": "WARNING",
/// "exit_code": 1, "output": "SERVICE WARNING - ... | perf\n..."}`, the
/// output exactly what the CLI's `--output nagios` prints (redacted).
pub fn plugin_value(out: &kubemagic_core::nagios::PluginOutput) -> Value {
    serde_json::json!({
        "state": out.state.to_string(),
        "exit_code": out.state.code(),
        "output": out.render(),
    })
}

//! Python objects ⇄ `serde_json::Value`, with decimal safety.
//!
//! In: [`to_value`] first walks the object once to apply the host policy — `float` refused with
//! its path, `decimal.Decimal` → its exact text, `datetime.date` → `YYYY-MM-DD`, other mappings →
//! dict, anything unknown refused — collecting every problem, then hands the (rarely rewritten)
//! tree to `pythonize::depythonize`. Ints of any size reach the core as exact JSON numbers
//! (pythonize's `arbitrary_precision` feature, matching the workspace's serde_json).
//!
//! Out: [`to_host`] is `pythonize::pythonize` (integers stay `int`; the core writes no other
//! numbers) followed by turning the string values under `compcode_core::api::DECIMAL_FIELDS` keys
//! into `decimal.Decimal`, built from the exact text.

use crate::error::to_py_err;
use compcode_core::{api::DECIMAL_FIELDS, Error, ErrorCode, Issue};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple, PyType};
use serde_json::Value;
use std::fmt::Write as _;

/// Containers nested deeper than this are refused (serde_json's text parser stops at 128 too),
/// so no recursion here, in pythonize or in the core can exhaust the stack.
pub const MAX_DEPTH: usize = 128;

static DECIMAL: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static DATE: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static DATETIME: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static MAPPING: PyOnceLock<Py<PyType>> = PyOnceLock::new();

fn decimal_type(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    DECIMAL.import(py, "decimal", "Decimal")
}

/// Converts a host value into the JSON value the core reads, or raises `ValidationError` listing
/// every value the binding refuses (with core-style paths such as
/// `plans[0].versions[0].config.rules[0].tiers[0].rate`).
pub fn to_value(obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    let py = obj.py();
    let mut walk = Walk {
        decimal: decimal_type(py)?.clone(),
        date: DATE.import(py, "datetime", "date")?.clone(),
        datetime: DATETIME.import(py, "datetime", "datetime")?.clone(),
        mapping: MAPPING.import(py, "collections.abc", "Mapping")?.clone(),
        path: Vec::new(),
        issues: Vec::new(),
    };
    let replaced = walk.visit(obj, 0)?;
    if !walk.issues.is_empty() {
        return Err(to_py_err(py, &Error::validation(walk.issues)));
    }
    let tree = replaced.as_ref().unwrap_or(obj);
    pythonize::depythonize::<Value>(tree).map_err(|e| {
        let issue = Issue {
            path: String::new(),
            code: "invalid_value",
            message: format!("the input could not be read: {e}"),
            suggestion: None,
        };
        to_py_err(py, &Error::validation(vec![issue]))
    })
}

/// One step of the path to the value being visited.
enum Seg<'py> {
    Key(Bound<'py, PyAny>),
    Index(usize),
}

struct Walk<'py> {
    decimal: Bound<'py, PyType>,
    date: Bound<'py, PyType>,
    datetime: Bound<'py, PyType>,
    mapping: Bound<'py, PyType>,
    path: Vec<Seg<'py>>,
    issues: Vec<Issue>,
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type().qualname().map(|n| n.to_string()).unwrap_or_else(|_| "object".to_string())
}

fn repr(obj: &Bound<'_, PyAny>) -> String {
    obj.repr().map(|r| r.to_string()).unwrap_or_else(|_| type_name(obj))
}

impl<'py> Walk<'py> {
    /// The current path in the core's format: `a.b[0].c`, `""` for the document itself.
    fn path_text(&self) -> String {
        let mut s = String::new();
        for seg in &self.path {
            match seg {
                Seg::Key(k) => {
                    if !s.is_empty() {
                        s.push('.');
                    }
                    match k.str() {
                        Ok(t) => s.push_str(&t.to_string_lossy()),
                        Err(_) => s.push('?'),
                    }
                }
                Seg::Index(i) => {
                    let _ = write!(s, "[{i}]");
                }
            }
        }
        s
    }

    fn issue(&mut self, code: &'static str, message: String) {
        let path = self.path_text();
        self.issues.push(Issue { path, code, message, suggestion: None });
    }

    /// Checks `obj` (and what it contains); returns the value to use instead when it must change.
    fn visit(&mut self, obj: &Bound<'py, PyAny>, depth: usize) -> PyResult<Option<Bound<'py, PyAny>>> {
        if obj.is_none()
            || obj.is_instance_of::<PyBool>()
            || obj.is_instance_of::<PyInt>()
            || obj.is_instance_of::<PyString>()
        {
            return Ok(None);
        }
        if obj.is_instance_of::<PyFloat>() {
            let r = repr(obj);
            self.issue(
                "invalid_type",
                format!(
                    "found the float {r}: floats are refused for decimal safety; pass a decimal.Decimal \
                     or a string instead, e.g. Decimal(\"{r}\") or \"{r}\""
                ),
            );
            return Ok(None);
        }
        let is_dict = obj.is_instance_of::<PyDict>();
        let is_seq = obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>();
        let is_mapping = !is_dict && !is_seq && obj.is_instance(&self.mapping)?;
        if is_dict || is_seq || is_mapping {
            if depth >= MAX_DEPTH {
                self.issue("invalid_value", format!("nested more than {MAX_DEPTH} levels deep"));
                return Ok(None);
            }
            return if is_seq { self.sequence(obj, depth) } else { self.dict(obj, depth, is_mapping) };
        }
        if obj.is_instance(&self.decimal)? {
            if !obj.call_method0("is_finite")?.is_truthy()? {
                self.issue("invalid_decimal", format!("{} is not a finite number", repr(obj)));
                return Ok(None);
            }
            // Fixed-point text of the exact value: Decimal("1E+3") -> "1000", "1.50" stays "1.50".
            return Ok(Some(obj.call_method1("__format__", ("f",))?));
        }
        if obj.is_instance(&self.datetime)? {
            self.issue(
                "invalid_type",
                format!("found the datetime {}: pass a datetime.date or a \"YYYY-MM-DD\" string", repr(obj)),
            );
            return Ok(None);
        }
        if obj.is_instance(&self.date)? {
            return Ok(Some(obj.call_method0("isoformat")?));
        }
        self.issue(
            "invalid_type",
            format!(
                "unsupported Python type `{}`; use dict, list, str, int, bool, None, decimal.Decimal or datetime.date",
                type_name(obj)
            ),
        );
        Ok(None)
    }

    /// A dict (kept unless a value changes) or another mapping (always copied into a dict).
    fn dict(
        &mut self,
        obj: &Bound<'py, PyAny>,
        depth: usize,
        always_copy: bool,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        let items: Vec<(Bound<'py, PyAny>, Bound<'py, PyAny>)> = match obj.cast::<PyDict>() {
            Ok(d) => d.iter().collect(),
            Err(_) => obj.call_method0("items")?.try_iter()?.map(|kv| kv?.extract()).collect::<PyResult<_>>()?,
        };
        let mut changed: Vec<(Bound<'py, PyAny>, Bound<'py, PyAny>)> = Vec::new();
        for (k, v) in &items {
            if !k.is_instance_of::<PyString>() {
                self.path.push(Seg::Key(k.clone()));
                self.issue("invalid_type", format!("keys must be strings, found the {} {}", type_name(k), repr(k)));
                self.path.pop();
                continue;
            }
            self.path.push(Seg::Key(k.clone()));
            let new = self.visit(v, depth + 1)?;
            self.path.pop();
            if let Some(n) = new {
                changed.push((k.clone(), n));
            }
        }
        if changed.is_empty() && !always_copy {
            return Ok(None);
        }
        let out = PyDict::new(obj.py());
        for (k, v) in items {
            out.set_item(k, v)?;
        }
        for (k, v) in changed {
            out.set_item(k, v)?;
        }
        Ok(Some(out.into_any()))
    }

    /// A list or tuple (kept unless an item changes; a changed one becomes a list).
    fn sequence(&mut self, obj: &Bound<'py, PyAny>, depth: usize) -> PyResult<Option<Bound<'py, PyAny>>> {
        let items: Vec<Bound<'py, PyAny>> = obj.try_iter()?.collect::<PyResult<_>>()?;
        let mut changed = false;
        let mut out = Vec::with_capacity(items.len());
        for (i, v) in items.into_iter().enumerate() {
            self.path.push(Seg::Index(i));
            let new = self.visit(&v, depth + 1)?;
            self.path.pop();
            changed |= new.is_some();
            out.push(new.unwrap_or(v));
        }
        if changed {
            Ok(Some(PyList::new(obj.py(), out)?.into_any()))
        } else {
            Ok(None)
        }
    }
}

/// Converts a core answer into plain Python objects, with `decimal.Decimal` for the string values
/// under the `DECIMAL_FIELDS` keys.
pub fn to_host<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    let obj = pythonize::pythonize(py, v).map_err(|e| {
        to_py_err(py, &Error::new(ErrorCode::InternalError, format!("the result could not be converted: {e}")))
    })?;
    let keys: Vec<Bound<'py, PyString>> = DECIMAL_FIELDS.iter().map(|k| PyString::new(py, k)).collect();
    decimals(&obj, &keys, decimal_type(py)?)?;
    Ok(obj)
}

fn decimals<'py>(obj: &Bound<'py, PyAny>, keys: &[Bound<'py, PyString>], decimal: &Bound<'py, PyType>) -> PyResult<()> {
    if let Ok(d) = obj.cast::<PyDict>() {
        for k in keys {
            let Some(v) = d.get_item(k)? else { continue };
            if let Ok(s) = v.cast::<PyString>() {
                let exact = decimal.call1((s,)).map_err(|_| {
                    let msg = format!("the engine wrote {} under `{k}`, which is not a decimal", repr(&v));
                    to_py_err(obj.py(), &Error::new(ErrorCode::InternalError, msg))
                })?;
                d.set_item(k, exact)?;
            }
        }
        for v in d.values().iter() {
            decimals(&v, keys, decimal)?;
        }
    } else if let Ok(l) = obj.cast::<PyList>() {
        for v in l.iter() {
            decimals(&v, keys, decimal)?;
        }
    }
    Ok(())
}

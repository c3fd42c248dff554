//! Python objects ⇄ `serde_json::Value`, with decimal safety.
//!
//! In: [`to_value`] first walks the object once to apply the host policy — `float` refused with
//! its path, `decimal.Decimal` → its exact text, `datetime.date` → `YYYY-MM-DD`, other mappings →
//! dict, anything unknown refused — collecting every problem, then hands the (rarely rewritten)
//! tree to `pythonize::depythonize`. Ints of any size reach the core as exact JSON numbers
//! (pythonize's `arbitrary_precision` feature, matching the workspace's serde_json).
//!
//! Out: [`to_host`] builds plain Python objects (integers stay `int`), turning the string values
//! under `compcode_core::api::DECIMAL_FIELDS` keys — and any fractional JSON number — into
//! `decimal.Decimal`, built from the exact text; never a `float`.
//!
//! Stored documents (a Python repository's records) go both ways as plain JSON types:
//! [`json_to_py`] with [`Out::Store`] and [`from_store`].

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

// ------------------------------------------------------------------------------------ out

/// How [`json_to_py`] renders a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Out {
    /// An answer for the host: the string values under the `DECIMAL_FIELDS` keys and every
    /// fractional JSON number become `decimal.Decimal`, so no `float` ever reaches the host.
    Host,
    /// A stored document for a Python repository: plain JSON types. Strings stay strings; a
    /// fractional JSON number (written only by hosts that pass JSON numbers, never by this
    /// binding) is a `float` when that float gives the same number back, else a `Decimal`.
    Store,
}

/// Converts a core answer into plain Python objects, with `decimal.Decimal` for the string values
/// under the `DECIMAL_FIELDS` keys.
///
/// Python's cyclic garbage collector is paused while the answer is built (and resumed after,
/// also on error, unless the host had paused it itself): a large simulate answer is millions of
/// new dicts, lists and `Decimal`s, each allocation counting toward a collection that can find
/// nothing to free — none of them is in a cycle. On 100,000 deals (issue #9) `simulate` took
/// 12.4 s CPU before and 7–11 s after (a noisy machine; with `gc` paused by the caller, 7.3 s).
/// Reference counting still frees everything as usual.
pub fn to_host<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    let _paused = GcPause::new(py);
    json_to_py(py, v, Out::Host)
}

/// Pauses `gc` for its lifetime when it was enabled; best effort (a failure to pause only costs
/// time, so it is ignored).
pub(crate) struct GcPause<'py> {
    gc: Option<Bound<'py, PyAny>>,
}

impl<'py> GcPause<'py> {
    pub(crate) fn new(py: Python<'py>) -> Self {
        let gc = py.import("gc").ok().map(Bound::into_any);
        let enabled = gc
            .as_ref()
            .and_then(|g| g.call_method0("isenabled").ok())
            .and_then(|r| r.is_truthy().ok())
            .unwrap_or(false);
        let gc = gc.filter(|g| enabled && g.call_method0("disable").is_ok());
        GcPause { gc }
    }
}

impl Drop for GcPause<'_> {
    fn drop(&mut self) {
        if let Some(gc) = &self.gc {
            let _ = gc.call_method0("enable");
        }
    }
}

/// A JSON value as Python objects (see [`Out`]).
pub fn json_to_py<'py>(py: Python<'py>, v: &Value, out: Out) -> PyResult<Bound<'py, PyAny>> {
    let decimal = decimal_type(py)?;
    emit(py, v, out, decimal, &mut Keys::default())
}

/// The dict keys met so far in one answer, each made into a Python `str` once (an answer of
/// 100,000 deals has millions of keys but a few dozen distinct ones), with whether its values are
/// decimals (`DECIMAL_FIELDS`).
#[derive(Default)]
struct Keys<'v, 'py> {
    seen: std::collections::HashMap<&'v str, (Bound<'py, PyString>, bool)>,
}

impl<'v, 'py> Keys<'v, 'py> {
    fn get(&mut self, py: Python<'py>, k: &'v str) -> (Bound<'py, PyString>, bool) {
        let (key, decimal) = self.seen.entry(k).or_insert_with(|| (PyString::new(py, k), DECIMAL_FIELDS.contains(&k)));
        (key.clone(), *decimal)
    }
}

fn emit<'v, 'py>(
    py: Python<'py>,
    v: &'v Value,
    out: Out,
    decimal: &Bound<'py, PyType>,
    keys: &mut Keys<'v, 'py>,
) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => number(py, n, out, decimal)?,
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(emit(py, item, out, decimal, keys)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (k, x) in map {
                let (key, decimal_field) = keys.get(py, k);
                let value = match x {
                    // Only plain decimal text becomes a Decimal: v0 contexts echo the host's own field
                    // names, so a host field called `amount` may hold any text and stays a string.
                    Value::String(s) if out == Out::Host && decimal_field && plain_decimal(s) => {
                        decimal.call1((s.as_str(),)).map_err(|_| {
                            let msg = format!("the engine wrote {s:?} under `{k}`, which is not a decimal");
                            to_py_err(py, &Error::new(ErrorCode::InternalError, msg))
                        })?
                    }
                    _ => emit(py, x, out, decimal, keys)?,
                };
                dict.set_item(key, value)?;
            }
            dict.into_any()
        }
    })
}

/// `-?[0-9]+(\.[0-9]+)?`: the only text the engine writes for a decimal.
fn plain_decimal(s: &str) -> bool {
    let body = s.strip_prefix('-').unwrap_or(s);
    let mut parts = body.splitn(2, '.');
    let int_ok = parts.next().is_some_and(|i| !i.is_empty() && i.bytes().all(|b| b.is_ascii_digit()));
    let frac_ok = match parts.next() {
        None => true,
        Some(f) => !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()),
    };
    int_ok && frac_ok
}

fn number<'py>(
    py: Python<'py>,
    n: &serde_json::Number,
    out: Out,
    decimal: &Bound<'py, PyType>,
) -> PyResult<Bound<'py, PyAny>> {
    if let Some(i) = n.as_i64() {
        return Ok(i.into_pyobject(py)?.into_any());
    }
    if let Some(u) = n.as_u64() {
        return Ok(u.into_pyobject(py)?.into_any());
    }
    let text = n.as_str();
    if !text.contains(['.', 'e', 'E']) {
        return py.get_type::<PyInt>().call1((text,)); // an integer beyond 64 bits, exactly
    }
    if out == Out::Store {
        if let Some(f) = lossless_f64(text) {
            return Ok(PyFloat::new(py, f).into_any());
        }
    }
    decimal.call1((text,))
}

/// The float of a JSON number's text when its shortest representation is the same number.
fn lossless_f64(text: &str) -> Option<f64> {
    let f: f64 = text.parse().ok()?;
    if !f.is_finite() {
        return None;
    }
    (normalized(text)? == normalized(&format!("{f:e}"))?).then_some(f)
}

/// A decimal text as (negative, significant digits, exponent): "1.50" and "15e-1" are equal.
fn normalized(text: &str) -> Option<(bool, String, i64)> {
    let (neg, rest) = match text.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (mantissa, exp) = match rest.find(['e', 'E']) {
        Some(i) => (&rest[..i], rest[i + 1..].parse::<i64>().ok()?),
        None => (rest, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits = format!("{int}{frac}");
    let trimmed = digits.trim_start_matches('0').trim_end_matches('0');
    if trimmed.is_empty() {
        return Some((false, String::new(), 0));
    }
    let trailing = (digits.len() - digits.trim_end_matches('0').len()) as i64;
    Some((neg, trimmed.to_string(), exp - frac.len() as i64 + trailing))
}

// ------------------------------------------------------------------------------------ store in

/// Reads a document a Python repository gave back: plain JSON types, `int` of any size,
/// `float` (finite), and `decimal.Decimal` as a JSON number of its exact text. On failure, the
/// path of the offending value (`doc.plans[0].rate`) and what is wrong.
pub fn from_store(obj: &Bound<'_, PyAny>) -> Result<Value, (String, String)> {
    let py = obj.py();
    let decimal = decimal_type(py).map_err(|e| (String::new(), e.to_string()))?.clone();
    let mapping = MAPPING.import(py, "collections.abc", "Mapping").map_err(|e| (String::new(), e.to_string()))?.clone();
    read_store(obj, &decimal, &mapping, 0)
}

fn seg_key(key: &str, (path, msg): (String, String)) -> (String, String) {
    if path.is_empty() || path.starts_with('[') {
        (format!("{key}{path}"), msg)
    } else {
        (format!("{key}.{path}"), msg)
    }
}

fn read_store(
    obj: &Bound<'_, PyAny>,
    decimal: &Bound<'_, PyType>,
    mapping: &Bound<'_, PyType>,
    depth: usize,
) -> Result<Value, (String, String)> {
    let fail = |m: String| Err((String::new(), m));
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return s.to_cow().map(|t| Value::String(t.into_owned())).or_else(|e| fail(e.to_string()));
    }
    if obj.is_instance_of::<PyInt>() {
        if let Ok(i) = obj.extract::<i64>() {
            return Ok(Value::from(i));
        }
        if let Ok(u) = obj.extract::<u64>() {
            return Ok(Value::from(u));
        }
        let text = obj.str().map_err(|e| (String::new(), e.to_string()))?.to_string();
        return number_text(&text).map(Value::Number).map_or_else(|| fail(format!("the int {text}")), Ok);
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        let v = f.value();
        return serde_json::Number::from_f64(v).map(Value::Number).map_or_else(|| fail(format!("the float {v}")), Ok);
    }
    if depth >= MAX_DEPTH {
        return fail(format!("nested more than {MAX_DEPTH} levels deep"));
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        return read_items(d.iter().map(Ok), decimal, mapping, depth);
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        let mut out = Vec::new();
        for (i, item) in obj.try_iter().map_err(|e| (String::new(), e.to_string()))?.enumerate() {
            let item = item.map_err(|e| (String::new(), e.to_string()))?;
            out.push(read_store(&item, decimal, mapping, depth + 1).map_err(|e| seg_key(&format!("[{i}]"), e))?);
        }
        return Ok(Value::Array(out));
    }
    if obj.is_instance(decimal).unwrap_or(false) {
        let text = obj
            .call_method1("__format__", ("f",))
            .and_then(|t| t.extract::<String>())
            .map_err(|e| (String::new(), e.to_string()))?;
        return number_text(&text).map(Value::Number).map_or_else(|| fail(format!("the Decimal {text}")), Ok);
    }
    if obj.is_instance(mapping).unwrap_or(false) {
        let items = obj.call_method0("items").and_then(|i| i.try_iter()).map_err(|e| (String::new(), e.to_string()))?;
        let pairs = items.map(|kv| kv.and_then(|kv| kv.extract::<(Bound<'_, PyAny>, Bound<'_, PyAny>)>()));
        return read_items(pairs, decimal, mapping, depth);
    }
    fail(format!("unsupported type `{}` (a stored document holds JSON values)", type_name(obj)))
}

fn read_items<'py>(
    pairs: impl Iterator<Item = PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)>>,
    decimal: &Bound<'_, PyType>,
    mapping: &Bound<'_, PyType>,
    depth: usize,
) -> Result<Value, (String, String)> {
    let mut out = serde_json::Map::new();
    for kv in pairs {
        let (k, v) = kv.map_err(|e| (String::new(), e.to_string()))?;
        let Ok(key) = k.cast::<PyString>() else {
            return Err((String::new(), format!("keys must be strings, found the {} {}", type_name(&k), repr(&k))));
        };
        let key = key.to_cow().map_err(|e| (String::new(), e.to_string()))?.into_owned();
        let value = read_store(&v, decimal, mapping, depth + 1).map_err(|e| seg_key(&key, e))?;
        out.insert(key, value);
    }
    Ok(Value::Object(out))
}

/// A JSON number from its text, exactly (serde_json's `arbitrary_precision`).
fn number_text(text: &str) -> Option<serde_json::Number> {
    serde_json::from_str::<serde_json::Number>(text).ok()
}

// ------------------------------------------------------------------------------------ dates

/// A `str` argument (`name` in messages: `operation`, `name`, `actor`, `collection`, `id`,
/// `path`) as Rust text. Another type is a `TypeError`; a string that is not valid Unicode — a
/// lone surrogate such as `"\ud800"`, which UTF-8 cannot encode — is `VALIDATION_FAILED`
/// (`invalid_value` at `name`), not the `UnicodeEncodeError` PyO3's own `String` extraction
/// would raise.
pub fn text_arg(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<String> {
    let Ok(s) = obj.cast::<PyString>() else {
        return Err(pyo3::exceptions::PyTypeError::new_err(format!("`{name}` must be a str, not {}", type_name(obj))));
    };
    match s.to_cow() {
        Ok(t) => Ok(t.into_owned()),
        Err(_) => Err(not_unicode(obj.py(), name)),
    }
}

/// The `VALIDATION_FAILED` error of a `str` argument that UTF-8 cannot encode.
pub fn not_unicode(py: Python<'_>, name: &str) -> PyErr {
    let issue = Issue {
        path: name.into(),
        code: "invalid_value",
        message: format!("`{name}` is not valid Unicode text (a lone surrogate such as \\ud800 cannot be encoded)"),
        suggestion: None,
    };
    to_py_err(py, &Error::validation(vec![issue]))
}

/// Reads an `at` argument: a `datetime.date` (not a `datetime`) or a `"YYYY-MM-DD"` string.
/// Anything else raises `ValidationError` with path `at`.
/// A lone surrogate in the string is `ValidationError` (`invalid_value` at `at`).
pub fn to_date(obj: &Bound<'_, PyAny>) -> PyResult<chrono::NaiveDate> {
    let py = obj.py();
    let bad = |message: String| {
        let issue = Issue { path: "at".into(), code: "invalid_date", message, suggestion: None };
        Err(to_py_err(py, &Error::validation(vec![issue])))
    };
    let text = if obj.is_instance(DATETIME.import(py, "datetime", "datetime")?)? {
        return bad(format!("found the datetime {}: pass a datetime.date or a \"YYYY-MM-DD\" string", repr(obj)));
    } else if obj.is_instance(DATE.import(py, "datetime", "date")?)? {
        obj.call_method0("isoformat")?.extract::<String>()?
    } else if let Ok(s) = obj.cast::<PyString>() {
        s.to_cow().map_err(|_| not_unicode(py, "at"))?.into_owned()
    } else {
        return bad(format!("`at` must be a datetime.date or a \"YYYY-MM-DD\" string, found {}", repr(obj)));
    };
    match compcode_core::period::parse_date(&text, false) {
        Some(d) => Ok(d),
        None => bad(format!("`at` must be a date as \"YYYY-MM-DD\", found {text:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_are_used_only_when_they_give_the_same_number_back() {
        for ok in ["0.08", "1.0", "1.25", "1.50", "-0.5", "1e21", "2.5E-3", "0.0"] {
            assert!(lossless_f64(ok).is_some(), "{ok}");
        }
        for lossy in ["0.12345678901234567890", "1e400", "123456789012345678.5"] {
            assert!(lossless_f64(lossy).is_none(), "{lossy}");
        }
        assert_eq!(normalized("1.50"), normalized("15e-1"));
        assert_eq!(normalized("-0.0"), normalized("0"));
        assert_ne!(normalized("-1"), normalized("1"));
    }
}

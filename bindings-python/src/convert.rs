//! Python objects ⇄ `serde_json::Value`, with decimal safety.
//!
//! In: [`to_value`] first walks the object once to apply the host policy — `float` refused with
//! its path, `decimal.Decimal` → its exact text, `datetime.date` → `YYYY-MM-DD`, other mappings →
//! dict, anything unknown refused — collecting every problem, then reads the (rarely rewritten)
//! tree in one pass, leaving anything unusual to `pythonize::depythonize`. Ints of any size
//! reach the core as exact JSON numbers (pythonize's `arbitrary_precision` feature, matching the
//! workspace's serde_json).
//!
//! Out: [`to_host`] builds plain Python objects (integers stay `int`), turning the string values
//! under `compcode_core::api::DECIMAL_FIELDS` keys — and any fractional JSON number — into
//! `decimal.Decimal`, built from the exact text; never a `float`. [`answer_to_host`] builds the
//! same objects from a typed answer (`compcode_core::api::Answer`), without the `Value`.
//!
//! Stored documents (a Python repository's records) go both ways as plain JSON types:
//! [`json_to_py`] with [`Out::Store`] and [`from_store`].

use crate::error::to_py_err;
use compcode_core::{api::DECIMAL_FIELDS, Error, ErrorCode, Issue};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple, PyType};
use serde_json::Value;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::hash::BuildHasherDefault;

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
    read_value(obj, true)
}

/// [`to_value`] with `pythonize` reading every tree (`fast` false; the tests compare both).
pub(crate) fn read_value(obj: &Bound<'_, PyAny>, fast: bool) -> PyResult<Value> {
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
    if let Some(v) = plain_value(tree).filter(|_| fast) {
        return Ok(v);
    }
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

/// The JSON value of a tree the walk let through, read in one pass: `None`, `bool`, `int` within
/// 64 bits, `str`, `dict` with `str` keys, `list` / `tuple` — the value `pythonize` gives for
/// it, without its generic deserializer (lists of keys and values per dict, a visitor per
/// value). Anything else (an `int` beyond 64 bits, text that is not valid Unicode, a dict key
/// that serde_json reads as a private marker) is `None`: `pythonize` then reads the whole tree,
/// with its own result or error.
fn plain_value(obj: &Bound<'_, PyAny>) -> Option<Value> {
    if obj.is_none() {
        return Some(Value::Null);
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Some(Value::Bool(b.is_true()));
    }
    if obj.is_instance_of::<PyInt>() {
        if let Ok(i) = obj.extract::<i64>() {
            return Some(Value::from(i));
        }
        return obj.extract::<u64>().ok().map(Value::from);
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        let mut map = serde_json::Map::new();
        for (k, v) in d.iter() {
            let key = k.cast::<PyString>().ok()?.to_cow().ok()?;
            if key.starts_with("$serde_json::private::") {
                return None;
            }
            map.insert(key.into_owned(), plain_value(&v)?);
        }
        return Some(Value::Object(map));
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        let mut out = Vec::with_capacity(obj.len().ok()?);
        for item in obj.try_iter().ok()? {
            out.push(plain_value(&item.ok()?)?);
        }
        return Some(Value::Array(out));
    }
    if let Ok(t) = obj.cast::<PyString>() {
        return t.to_cow().ok().map(|t| Value::String(t.into_owned()));
    }
    None
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
    seen: HashMap<&'v str, (Bound<'py, PyString>, bool)>,
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

// ------------------------------------------------------------------------------------ typed answers

/// Converts a typed core answer (anything `serde::Serialize`, such as
/// `compcode_core::api::Answer`) straight into Python objects, with no `serde_json::Value` in
/// between: the very objects [`to_host`] builds from `serde_json::to_value(answer)`.
///
/// - dict keys in `serde_json::Map`'s order (sorted: the workspace's serde_json keeps a
///   `BTreeMap`), not a struct's field order; a key met twice keeps the last value, as there;
///   each distinct key is made into a Python `str` once per answer;
/// - a string value under a `DECIMAL_FIELDS` key is a `decimal.Decimal` when it is plain decimal
///   text (`Option::Some` and newtype structs are looked through, as serde_json does);
/// - a `serde_json::Number` nested in the answer (traces, installments, under the workspace's
///   `arbitrary_precision` it serializes as a private one-field struct) becomes what
///   [`to_host`] makes of it: `int`, or `Decimal` when fractional;
/// - integers are `int`, `None`/unit `None`, sequences `list`, maps and structs `dict`; a
///   serialization failure is `InternalError` with serde_json's message.
///
/// Equal values, with one difference invisible but for `is`: a `str` or `Decimal` dict value
/// whose text repeats is one shared object (both types are immutable; see
/// `Builder::string`). Each dict is a copy of a template holding its keys in order (one per
/// distinct key list), so no dict sorts its keys or grows its hash table. Python's cyclic GC is
/// paused meanwhile (see [`to_host`]).
///
/// Issue #9 (`benches/README.md`): `simulate` on 100,000 deals took about 5.3 s CPU through
/// `serde_json::Value` + [`to_host`] and about 3.0 s this way; on 10,000 deals the conversion
/// is 717 M instructions (callgrind), 1,102 M before the templates and value caches.
pub fn answer_to_host<'py, T: serde::Serialize + ?Sized>(py: Python<'py>, answer: &T) -> PyResult<Bound<'py, PyAny>> {
    let _paused = GcPause::new(py);
    let mut b = Builder {
        py,
        decimal: decimal_type(py)?.clone(),
        index: HashMap::default(),
        fields: HashMap::default(),
        keys: Vec::new(),
        templates: HashMap::default(),
        scratch: Vec::new(),
        strings: HashMap::default(),
        decimals: HashMap::default(),
    };
    answer.serialize(HostSer { b: &mut b, key: None }).map_err(|e| e.into_py(py))
}

/// serde_json's marker struct names (`arbitrary_precision`, `raw_value`).
const NUMBER_TOKEN: &str = "$serde_json::private::Number";
const RAW_TOKEN: &str = "$serde_json::private::RawValue";

/// A dict key of one answer: its text (the sort key), its Python `str`, and whether its values
/// are decimals.
struct Key<'py> {
    text: Box<str>,
    py: Bound<'py, PyString>,
    decimal: bool,
    /// Values looked up in / found in the value caches under this key.
    lookups: u32,
    hits: u32,
}

/// The state of one [`answer_to_host`] run.
struct Builder<'py> {
    py: Python<'py>,
    decimal: Bound<'py, PyType>,
    /// Every key met, by its text (SipHash: map keys may come from the host's own data).
    index: HashMap<Box<str>, KeyId>,
    /// Struct field and variant names (`&'static str`) by address and length: no hashing of
    /// the text for the millions of fields of a large answer.
    fields: HashMap<(usize, usize), KeyId, BuildHasherDefault<IdHasher>>,
    keys: Vec<Key<'py>>,
    /// One empty dict per distinct list of keys met (a struct type with its present fields),
    /// keys in map order with `None` values; a dict is a copy of its template, values then set
    /// in place: no sorting, no growing hash table per dict.
    templates: HashMap<Vec<KeyId>, Bound<'py, PyDict>, BuildHasherDefault<IdHasher>>,
    scratch: Vec<KeyId>,
    /// Value caches by text (see [`Builder::string`]).
    strings: HashMap<Box<str>, Bound<'py, PyAny>>,
    decimals: HashMap<Box<str>, Bound<'py, PyAny>>,
}

type KeyId = u32;

/// Lookups before a key whose values rarely repeat stops using the value caches.
const CACHE_PROBATION: u32 = 256;

/// Values kept at most in each value cache.
const MAX_CACHED: usize = 1 << 16;

/// Templates kept at most (a map keyed by ids — deal ids, say — has a new key list each time;
/// past this its dicts are built directly).
const MAX_TEMPLATES: usize = 4096;

/// FxHash-style hasher for our own small integers (key ids, addresses): not exposed to
/// host-chosen text.
#[derive(Default)]
struct IdHasher(u64);

impl IdHasher {
    fn add(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl std::hash::Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        for &b in chunks.remainder() {
            self.add(u64::from(b));
        }
    }
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

impl<'py> Builder<'py> {
    fn key(&mut self, k: &str) -> KeyId {
        if let Some(&i) = self.index.get(k) {
            return i;
        }
        let i = self.keys.len() as KeyId;
        self.keys.push(Key {
            text: k.into(),
            py: PyString::new(self.py, k),
            decimal: DECIMAL_FIELDS.contains(&k),
            lookups: 0,
            hits: 0,
        });
        self.index.insert(k.into(), i);
        i
    }

    /// [`Builder::key`] of a field or variant name, found by its address.
    fn static_key(&mut self, k: &'static str) -> KeyId {
        let at = (k.as_ptr() as usize, k.len());
        if let Some(&i) = self.fields.get(&at) {
            return i;
        }
        let i = self.key(k);
        self.fields.insert(at, i);
        i
    }

    fn text(&self, k: KeyId) -> &str {
        &self.keys[k as usize].text
    }

    /// A dict of `items`, keys in serde_json's map order (byte order of the key text; the last
    /// of equal keys wins).
    fn dict(&mut self, items: Vec<(KeyId, Bound<'py, PyAny>)>) -> Result<Bound<'py, PyAny>, SerError> {
        if items.is_empty() {
            return Ok(PyDict::new(self.py).into_any());
        }
        self.scratch.clear();
        self.scratch.extend(items.iter().map(|(k, _)| *k));
        let dict = match self.templates.get(self.scratch.as_slice()) {
            Some(t) => t.copy()?,
            None if self.templates.len() < MAX_TEMPLATES => {
                let mut ids = self.scratch.clone();
                ids.sort_by(|a, b| self.text(*a).cmp(self.text(*b)));
                ids.dedup();
                let t = PyDict::new(self.py);
                for k in ids {
                    t.set_item(&self.keys[k as usize].py, self.py.None())?;
                }
                let d = t.copy()?;
                self.templates.insert(self.scratch.clone(), t);
                d
            }
            None => {
                let mut items = items;
                items.sort_by(|a, b| self.text(a.0).cmp(self.text(b.0)));
                let dict = PyDict::new(self.py);
                for (k, v) in items {
                    dict.set_item(&self.keys[k as usize].py, v)?;
                }
                return Ok(dict.into_any());
            }
        };
        for (k, v) in items {
            dict.set_item(&self.keys[k as usize].py, v)?;
        }
        Ok(dict.into_any())
    }

    /// A string value under dict key `key` (`None`: a list item or the answer itself); under a
    /// decimal key, plain decimal text becomes a `Decimal` (only plain decimal text, as in
    /// `emit`).
    ///
    /// Repeated values share one object: a dict value is looked up by its text in the answer's
    /// `str` or `Decimal` cache first (both immutable types, so sharing is invisible but for
    /// `is`); a large simulate answer repeats the same rep, plan, rule, period, tier, rate and
    /// target texts hundreds of thousands of times. A key whose values rarely repeat (deal ids,
    /// idempotency keys, names) stops using the cache after `CACHE_PROBATION` lookups with
    /// under half of them hits (a tenth for `Decimal`s, much dearer to build than a lookup).
    fn string(&mut self, s: &str, key: Option<KeyId>) -> Result<Bound<'py, PyAny>, SerError> {
        let Some(k) = key else { return Ok(PyString::new(self.py, s).into_any()) };
        let decimal = self.keys[k as usize].decimal && plain_decimal(s);
        let entry = &mut self.keys[k as usize];
        // a hit saves a `str` (~3 lookups' worth of work) or a `Decimal` (~20)
        let worth = if decimal { entry.hits.saturating_mul(10) } else { entry.hits.saturating_mul(2) };
        let cached = entry.lookups < CACHE_PROBATION || worth >= entry.lookups;
        if cached {
            entry.lookups = entry.lookups.saturating_add(1);
            let cache = if decimal { &self.decimals } else { &self.strings };
            if let Some(v) = cache.get(s) {
                entry.hits = entry.hits.saturating_add(1);
                return Ok(v.clone());
            }
        }
        let v = if decimal {
            self.decimal.call1((s,)).map_err(|_| {
                let msg = format!("the engine wrote {s:?} under `{}`, which is not a decimal", self.text(k));
                SerError::Py(to_py_err(self.py, &Error::new(ErrorCode::InternalError, msg)))
            })?
        } else {
            PyString::new(self.py, s).into_any()
        };
        let cache = if decimal { &mut self.decimals } else { &mut self.strings };
        if cached && cache.len() < MAX_CACHED {
            cache.insert(s.into(), v.clone());
        }
        Ok(v)
    }

    /// A one-entry dict `{variant: inner}` (serde_json's externally tagged enum variants).
    fn variant(&mut self, variant: &'static str, inner: Bound<'py, PyAny>) -> Result<Bound<'py, PyAny>, SerError> {
        let k = self.static_key(variant);
        self.dict(vec![(k, inner)])
    }

    /// A value serde_json renders itself (floats, raw JSON), then as [`to_host`] does.
    fn via_json(&self, v: &Value) -> Result<Bound<'py, PyAny>, SerError> {
        Ok(json_to_py(self.py, v, Out::Host)?)
    }
}

/// A failure while building an answer: a Python error, or serde's message.
#[derive(Debug)]
enum SerError {
    Py(PyErr),
    Msg(String),
}

impl std::fmt::Display for SerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SerError::Py(e) => e.fmt(f),
            SerError::Msg(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for SerError {}

impl serde::ser::Error for SerError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        SerError::Msg(msg.to_string())
    }
}

impl From<PyErr> for SerError {
    fn from(e: PyErr) -> Self {
        SerError::Py(e)
    }
}

impl From<serde_json::Error> for SerError {
    fn from(e: serde_json::Error) -> Self {
        SerError::Msg(e.to_string())
    }
}

impl SerError {
    /// As `compcode_core::api::run` reports a serialization failure.
    fn into_py(self, py: Python<'_>) -> PyErr {
        match self {
            SerError::Py(e) => e,
            SerError::Msg(m) => {
                to_py_err(py, &Error::new(ErrorCode::InternalError, format!("could not serialize the result: {m}")))
            }
        }
    }
}

/// Serializes one value into a Python object; `key` is the dict key it sits under (`None` for
/// a list item or the answer itself).
struct HostSer<'b, 'py> {
    b: &'b mut Builder<'py>,
    key: Option<KeyId>,
}

impl<'b, 'py> serde::Serializer for HostSer<'b, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = SerError;
    type SerializeSeq = SeqState<'b, 'py>;
    type SerializeTuple = SeqState<'b, 'py>;
    type SerializeTupleStruct = SeqState<'b, 'py>;
    type SerializeTupleVariant = SeqState<'b, 'py>;
    type SerializeMap = MapState<'b, 'py>;
    type SerializeStruct = StructState<'b, 'py>;
    type SerializeStructVariant = StructState<'b, 'py>;

    fn serialize_bool(self, v: bool) -> Result<Self::Ok, SerError> {
        Ok(PyBool::new(self.b.py, v).to_owned().into_any())
    }
    fn serialize_i8(self, v: i8) -> Result<Self::Ok, SerError> {
        self.serialize_i64(v.into())
    }
    fn serialize_i16(self, v: i16) -> Result<Self::Ok, SerError> {
        self.serialize_i64(v.into())
    }
    fn serialize_i32(self, v: i32) -> Result<Self::Ok, SerError> {
        self.serialize_i64(v.into())
    }
    fn serialize_i64(self, v: i64) -> Result<Self::Ok, SerError> {
        Ok(v.into_pyobject(self.b.py).map(Bound::into_any).unwrap_or_else(|e| match e {}))
    }
    fn serialize_i128(self, v: i128) -> Result<Self::Ok, SerError> {
        match i64::try_from(v) {
            Ok(i) => self.serialize_i64(i),
            Err(_) => Ok(self.b.py.get_type::<PyInt>().call1((v.to_string(),))?),
        }
    }
    fn serialize_u8(self, v: u8) -> Result<Self::Ok, SerError> {
        self.serialize_u64(v.into())
    }
    fn serialize_u16(self, v: u16) -> Result<Self::Ok, SerError> {
        self.serialize_u64(v.into())
    }
    fn serialize_u32(self, v: u32) -> Result<Self::Ok, SerError> {
        self.serialize_u64(v.into())
    }
    fn serialize_u64(self, v: u64) -> Result<Self::Ok, SerError> {
        Ok(v.into_pyobject(self.b.py).map(Bound::into_any).unwrap_or_else(|e| match e {}))
    }
    fn serialize_u128(self, v: u128) -> Result<Self::Ok, SerError> {
        match u64::try_from(v) {
            Ok(u) => self.serialize_u64(u),
            Err(_) => Ok(self.b.py.get_type::<PyInt>().call1((v.to_string(),))?),
        }
    }
    fn serialize_f32(self, v: f32) -> Result<Self::Ok, SerError> {
        self.b.via_json(&Value::from(v))
    }
    fn serialize_f64(self, v: f64) -> Result<Self::Ok, SerError> {
        self.b.via_json(&Value::from(v))
    }
    fn serialize_char(self, v: char) -> Result<Self::Ok, SerError> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<Self::Ok, SerError> {
        self.b.string(v, self.key)
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Self::Ok, SerError> {
        Ok(PyList::new(self.b.py, v.iter().map(|&x| u64::from(x)))?.into_any())
    }
    fn serialize_none(self) -> Result<Self::Ok, SerError> {
        Ok(self.b.py.None().into_bound(self.b.py))
    }
    fn serialize_some<T: serde::Serialize + ?Sized>(self, value: &T) -> Result<Self::Ok, SerError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Self::Ok, SerError> {
        self.serialize_none()
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<Self::Ok, SerError> {
        self.serialize_none()
    }
    fn serialize_unit_variant(self, _name: &'static str, _i: u32, variant: &'static str) -> Result<Self::Ok, SerError> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: serde::Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Self::Ok, SerError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: serde::Serialize + ?Sized>(
        self,
        _name: &'static str,
        _i: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Self::Ok, SerError> {
        let k = self.b.static_key(variant);
        let inner = value.serialize(HostSer { b: &mut *self.b, key: Some(k) })?;
        self.b.dict(vec![(k, inner)])
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<SeqState<'b, 'py>, SerError> {
        Ok(SeqState { b: self.b, items: Vec::with_capacity(len.unwrap_or(0)), variant: None })
    }
    fn serialize_tuple(self, len: usize) -> Result<SeqState<'b, 'py>, SerError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<SeqState<'b, 'py>, SerError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _i: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<SeqState<'b, 'py>, SerError> {
        Ok(SeqState { b: self.b, items: Vec::with_capacity(len), variant: Some(variant) })
    }
    fn serialize_map(self, len: Option<usize>) -> Result<MapState<'b, 'py>, SerError> {
        Ok(MapState { b: self.b, items: Vec::with_capacity(len.unwrap_or(0)), pending: None })
    }
    fn serialize_struct(self, name: &'static str, len: usize) -> Result<StructState<'b, 'py>, SerError> {
        let kind = match name {
            NUMBER_TOKEN => Kind::Number(None),
            RAW_TOKEN => Kind::Raw(None),
            _ => Kind::Fields(None),
        };
        Ok(StructState { b: self.b, items: Vec::with_capacity(len), kind })
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _i: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<StructState<'b, 'py>, SerError> {
        Ok(StructState { b: self.b, items: Vec::with_capacity(len), kind: Kind::Fields(Some(variant)) })
    }
}

/// A list being built (a tuple variant's list is then wrapped in `{variant: list}`).
struct SeqState<'b, 'py> {
    b: &'b mut Builder<'py>,
    items: Vec<Bound<'py, PyAny>>,
    variant: Option<&'static str>,
}

impl<'py> SeqState<'_, 'py> {
    fn element<T: serde::Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        let v = value.serialize(HostSer { b: &mut *self.b, key: None })?;
        self.items.push(v);
        Ok(())
    }
    fn finish(self) -> Result<Bound<'py, PyAny>, SerError> {
        let list = PyList::new(self.b.py, self.items)?.into_any();
        match self.variant {
            Some(v) => self.b.variant(v, list),
            None => Ok(list),
        }
    }
}

impl<'py> serde::ser::SerializeSeq for SeqState<'_, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = SerError;
    fn serialize_element<T: serde::Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        self.element(value)
    }
    fn end(self) -> Result<Self::Ok, SerError> {
        self.finish()
    }
}

impl<'py> serde::ser::SerializeTuple for SeqState<'_, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = SerError;
    fn serialize_element<T: serde::Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        self.element(value)
    }
    fn end(self) -> Result<Self::Ok, SerError> {
        self.finish()
    }
}

impl<'py> serde::ser::SerializeTupleStruct for SeqState<'_, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = SerError;
    fn serialize_field<T: serde::Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        self.element(value)
    }
    fn end(self) -> Result<Self::Ok, SerError> {
        self.finish()
    }
}

impl<'py> serde::ser::SerializeTupleVariant for SeqState<'_, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = SerError;
    fn serialize_field<T: serde::Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        self.element(value)
    }
    fn end(self) -> Result<Self::Ok, SerError> {
        self.finish()
    }
}

/// A map being built.
struct MapState<'b, 'py> {
    b: &'b mut Builder<'py>,
    items: Vec<(KeyId, Bound<'py, PyAny>)>,
    pending: Option<KeyId>,
}

impl<'py> serde::ser::SerializeMap for MapState<'_, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = SerError;
    fn serialize_key<T: serde::Serialize + ?Sized>(&mut self, key: &T) -> Result<(), SerError> {
        self.pending = Some(key.serialize(KeySer { b: &mut *self.b })?);
        Ok(())
    }
    fn serialize_value<T: serde::Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerError> {
        let Some(k) = self.pending.take() else {
            return Err(SerError::Msg("serialize_value called before serialize_key".into()));
        };
        let v = value.serialize(HostSer { b: &mut *self.b, key: Some(k) })?;
        self.items.push((k, v));
        Ok(())
    }
    fn end(self) -> Result<Self::Ok, SerError> {
        self.b.dict(self.items)
    }
}

/// What a struct stands for: fields (of a struct, or of a struct variant named here), or
/// serde_json's `Number` / `RawValue` marker with its text once seen.
enum Kind<'py> {
    Fields(Option<&'static str>),
    Number(Option<Bound<'py, PyAny>>),
    Raw(Option<Bound<'py, PyAny>>),
}

/// A struct being built.
struct StructState<'b, 'py> {
    b: &'b mut Builder<'py>,
    items: Vec<(KeyId, Bound<'py, PyAny>)>,
    kind: Kind<'py>,
}

impl<'py> StructState<'_, 'py> {
    fn field<T: serde::Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), SerError> {
        match &mut self.kind {
            Kind::Fields(_) => {
                let k = self.b.static_key(key);
                let v = value.serialize(HostSer { b: &mut *self.b, key: Some(k) })?;
                self.items.push((k, v));
            }
            Kind::Number(out) if key == NUMBER_TOKEN => {
                // the number's exact text, then as `to_host` renders a JSON number
                let n = match serde_json::to_value(value)? {
                    Value::String(text) => number_text(&text),
                    _ => None,
                };
                let n = n.ok_or_else(|| SerError::Msg("invalid number".into()))?;
                *out = Some(number(self.b.py, &n, Out::Host, &self.b.decimal)?);
            }
            Kind::Raw(out) if key == RAW_TOKEN => {
                let v = match serde_json::to_value(value)? {
                    Value::String(text) => serde_json::from_str::<Value>(&text)?,
                    _ => return Err(SerError::Msg("invalid raw value".into())),
                };
                *out = Some(self.b.via_json(&v)?);
            }
            Kind::Number(_) => return Err(SerError::Msg("invalid number".into())),
            Kind::Raw(_) => return Err(SerError::Msg("invalid raw value".into())),
        }
        Ok(())
    }

    fn finish(self) -> Result<Bound<'py, PyAny>, SerError> {
        match self.kind {
            Kind::Fields(variant) => {
                let dict = self.b.dict(self.items)?;
                match variant {
                    Some(v) => self.b.variant(v, dict),
                    None => Ok(dict),
                }
            }
            Kind::Number(out) => out.ok_or_else(|| SerError::Msg("number value was not emitted".into())),
            Kind::Raw(out) => out.ok_or_else(|| SerError::Msg("raw value was not emitted".into())),
        }
    }
}

impl<'py> serde::ser::SerializeStruct for StructState<'_, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = SerError;
    fn serialize_field<T: serde::Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), SerError> {
        self.field(key, value)
    }
    fn end(self) -> Result<Self::Ok, SerError> {
        self.finish()
    }
}

impl<'py> serde::ser::SerializeStructVariant for StructState<'_, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = SerError;
    fn serialize_field<T: serde::Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), SerError> {
        self.field(key, value)
    }
    fn end(self) -> Result<Self::Ok, SerError> {
        self.finish()
    }
}

/// A map key, as serde_json's own map-key serializer makes it: a string as is; numbers, `bool`
/// and `char` as their text; a unit variant as its name; anything else refused (serde_json's
/// own code does each non-string case, so the text and the errors are its).
struct KeySer<'b, 'py> {
    b: &'b mut Builder<'py>,
}

impl KeySer<'_, '_> {
    /// The key serde_json's `Value` serializer makes of `key` (or its error).
    fn json<T: serde::Serialize + ?Sized>(self, key: &T) -> Result<KeyId, SerError> {
        use serde::ser::SerializeMap as _;
        use serde::Serializer as _;
        let mut map = serde_json::value::Serializer.serialize_map(Some(1))?;
        map.serialize_key(key)?;
        map.serialize_value(&())?;
        match map.end()? {
            Value::Object(m) => match m.keys().next() {
                Some(k) => Ok(self.b.key(k)),
                None => Err(SerError::Msg("key must be a string".into())),
            },
            _ => Err(SerError::Msg("key must be a string".into())),
        }
    }
}

macro_rules! key_via_json {
    ($($name:ident: $t:ty),*) => {$(
        fn $name(self, v: $t) -> Result<KeyId, SerError> {
            self.json(&v)
        }
    )*};
}

impl serde::Serializer for KeySer<'_, '_> {
    type Ok = KeyId;
    type Error = SerError;
    type SerializeSeq = serde::ser::Impossible<KeyId, SerError>;
    type SerializeTuple = serde::ser::Impossible<KeyId, SerError>;
    type SerializeTupleStruct = serde::ser::Impossible<KeyId, SerError>;
    type SerializeTupleVariant = serde::ser::Impossible<KeyId, SerError>;
    type SerializeMap = serde::ser::Impossible<KeyId, SerError>;
    type SerializeStruct = serde::ser::Impossible<KeyId, SerError>;
    type SerializeStructVariant = serde::ser::Impossible<KeyId, SerError>;

    key_via_json!(serialize_bool: bool, serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64,
        serialize_i128: i128, serialize_u8: u8, serialize_u16: u16, serialize_u32: u32, serialize_u64: u64,
        serialize_u128: u128, serialize_f32: f32, serialize_f64: f64, serialize_char: char, serialize_bytes: &[u8]);

    fn serialize_str(self, v: &str) -> Result<KeyId, SerError> {
        Ok(self.b.key(v))
    }
    fn serialize_none(self) -> Result<KeyId, SerError> {
        self.json(&None::<()>)
    }
    fn serialize_some<T: serde::Serialize + ?Sized>(self, _value: &T) -> Result<KeyId, SerError> {
        self.json(&Some(()))
    }
    fn serialize_unit(self) -> Result<KeyId, SerError> {
        self.json(&())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<KeyId, SerError> {
        self.json(&())
    }
    fn serialize_unit_variant(self, _name: &'static str, _i: u32, variant: &'static str) -> Result<KeyId, SerError> {
        Ok(self.b.static_key(variant))
    }
    fn serialize_newtype_struct<T: serde::Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<KeyId, SerError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: serde::Serialize + ?Sized>(
        self,
        _name: &'static str,
        _i: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<KeyId, SerError> {
        self.json(&())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, SerError> {
        Err(not_a_key())
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, SerError> {
        Err(not_a_key())
    }
    fn serialize_tuple_struct(self, _name: &'static str, _len: usize) -> Result<Self::SerializeTupleStruct, SerError> {
        Err(not_a_key())
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _i: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, SerError> {
        Err(not_a_key())
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, SerError> {
        Err(not_a_key())
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Self::SerializeStruct, SerError> {
        Err(not_a_key())
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _i: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, SerError> {
        Err(not_a_key())
    }
}

/// serde_json's error for a key that cannot be a JSON object key.
fn not_a_key() -> SerError {
    use serde::ser::SerializeMap as _;
    use serde::Serializer as _;
    match serde_json::value::Serializer.serialize_map(Some(1)).and_then(|mut m| m.serialize_key(&())) {
        Err(e) => e.into(),
        Ok(()) => SerError::Msg("key must be a string".into()),
    }
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

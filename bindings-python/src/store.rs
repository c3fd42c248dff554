//! Repositories for the orchestrator: the built-in stores (`compcode.MemoryRepository`,
//! `compcode.SqliteRepository`) and [`PyRepository`], the adapter that implements the core's
//! [`Repository`] trait by calling a Python object's `get`, `list` and `commit` methods.
//!
//! Records and writes cross as plain dicts in the core's shape:
//! `{"id", "repId", "period", "dealId", "version", "doc"}`, queries as
//! `{"repId", "period", "dealId"}` (None = any), writes as
//! `{"op": "put", "collection", "record", "expectedVersion"}` or
//! `{"op": "delete", "collection", "id"}`. Documents are JSON values; decimals stay strings.
//!
//! Errors a Python store raises: a `compcode.ConflictError` becomes `CONFLICT` (so the
//! orchestrator recomputes and retries), anything else `INTERNAL_ERROR` naming the method. The
//! exception is kept ([`Failure`]) so the error the host finally sees carries it as `__cause__`;
//! a `BaseException` that is not an `Exception` (`KeyboardInterrupt`, `SystemExit`) stops the
//! store and is raised again as it was.

use crate::convert::{self, Out};
use crate::error::{to_py_err, ConflictError};
use compcode_core::memory::MemoryRepository;
use compcode_core::repository::{Collection, Query, Record, Repository, Write};
use compcode_core::{Error, ErrorCode, Issue, Result};
use compcode_sqlite::SqliteRepository;
use pyo3::exceptions::{PyException, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};
use serde_json::Value;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

// ------------------------------------------------------------------------------------ shapes

/// A record as the dict a Python repository stores and returns.
pub fn record_to_py<'py>(py: Python<'py>, r: &Record) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("id", &r.id)?;
    d.set_item("repId", &r.rep_id)?;
    d.set_item("period", &r.period)?;
    d.set_item("dealId", &r.deal_id)?;
    d.set_item("version", r.version)?;
    d.set_item("doc", convert::json_to_py(py, &r.doc, Out::Store)?)?;
    Ok(d)
}

/// A query as a dict (`None` = any value).
pub fn query_to_py<'py>(py: Python<'py>, q: &Query) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("repId", &q.rep_id)?;
    d.set_item("period", &q.period)?;
    d.set_item("dealId", &q.deal_id)?;
    Ok(d)
}

/// A write as a dict.
pub fn write_to_py<'py>(py: Python<'py>, w: &Write) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    match w {
        Write::Put { collection, record, expected_version } => {
            d.set_item("op", "put")?;
            d.set_item("collection", collection.as_str())?;
            d.set_item("record", record_to_py(py, record)?)?;
            d.set_item("expectedVersion", expected_version)?;
        }
        Write::Delete { collection, id } => {
            d.set_item("op", "delete")?;
            d.set_item("collection", collection.as_str())?;
            d.set_item("id", id)?;
        }
    }
    Ok(d)
}

/// A problem reading a Python value: the path to it and what is wrong.
type Bad = (String, String);

fn at(path: &str, (p, m): Bad) -> Bad {
    if p.is_empty() {
        (path.to_string(), m)
    } else if p.starts_with('[') {
        (format!("{path}{p}"), m)
    } else {
        (format!("{path}.{p}"), m)
    }
}

fn describe(obj: &Bound<'_, PyAny>) -> String {
    let t = obj.get_type().qualname().map(|n| n.to_string()).unwrap_or_else(|_| "object".into());
    let r = obj.repr().map(|r| r.to_string()).unwrap_or_default();
    let r = if r.chars().count() > 80 { format!("{}…", r.chars().take(80).collect::<String>()) } else { r };
    format!("the {t} {r}")
}

fn field<'py>(obj: &Bound<'py, PyAny>, key: &str) -> std::result::Result<Option<Bound<'py, PyAny>>, Bad> {
    let Ok(d) = obj.cast::<PyDict>() else {
        return match obj.get_item(key) {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.is_instance_of::<pyo3::exceptions::PyKeyError>(obj.py()) => Ok(None),
            Err(e) => Err((String::new(), e.to_string())),
        };
    };
    d.get_item(key).map_err(|e| (key.to_string(), e.to_string()))
}

fn is_mapping(obj: &Bound<'_, PyAny>) -> bool {
    obj.cast::<PyDict>().is_ok()
        || obj
            .py()
            .import("collections.abc")
            .and_then(|m| m.getattr("Mapping"))
            .and_then(|m| obj.is_instance(&m))
            .unwrap_or(false)
}

fn string(obj: &Bound<'_, PyAny>, key: &str, required: bool) -> std::result::Result<Option<String>, Bad> {
    match field(obj, key)? {
        Some(v) if v.is_instance_of::<PyString>() => {
            Ok(Some(v.extract::<String>().map_err(|e| (key.into(), e.to_string()))?))
        }
        Some(v) if v.is_none() && !required => Ok(None),
        None if !required => Ok(None),
        None => Err((key.into(), "missing (a string is required)".into())),
        Some(v) => Err((key.into(), format!("{} is not a string", describe(&v)))),
    }
}

fn count(obj: &Bound<'_, PyAny>, key: &str, required: bool) -> std::result::Result<Option<u64>, Bad> {
    match field(obj, key)? {
        Some(v) if v.is_none() && !required => Ok(None),
        None if !required => Ok(None),
        None => Err((key.into(), "missing (an int ≥ 0 is required)".into())),
        Some(v) if v.is_instance_of::<pyo3::types::PyInt>() && !v.is_instance_of::<pyo3::types::PyBool>() => {
            v.extract::<u64>().map(Some).map_err(|_| (key.into(), format!("{} is not an int ≥ 0", describe(&v))))
        }
        Some(v) => Err((key.into(), format!("{} is not an int ≥ 0", describe(&v)))),
    }
}

/// A record dict back into a [`Record`]; `version` is required when the store returns it.
pub fn record_from_py(obj: &Bound<'_, PyAny>, need_version: bool) -> std::result::Result<Record, Bad> {
    if !is_mapping(obj) {
        return Err((String::new(), format!("{} is not a record dict", describe(obj))));
    }
    let id = string(obj, "id", true)?.unwrap_or_default();
    let doc = match field(obj, "doc")? {
        Some(d) => convert::from_store(&d).map_err(|e| at("doc", e))?,
        None => return Err(("doc".into(), "missing (the stored document)".into())),
    };
    Ok(Record {
        id,
        rep_id: string(obj, "repId", false)?,
        period: string(obj, "period", false)?,
        deal_id: string(obj, "dealId", false)?,
        version: count(obj, "version", need_version)?.unwrap_or(0),
        doc,
    })
}

fn collection_from(obj: &Bound<'_, PyAny>) -> std::result::Result<Collection, Bad> {
    let name = string(obj, "collection", true)?.unwrap_or_default();
    parse_collection(&name).map_err(|m| ("collection".into(), m))
}

fn parse_collection(name: &str) -> std::result::Result<Collection, String> {
    Collection::parse(name).ok_or_else(|| {
        let all: Vec<&str> = Collection::ALL.iter().map(|c| c.as_str()).collect();
        format!("unknown collection `{name}`; expected one of: {}", all.join(", "))
    })
}

/// A write dict back into a [`Write`].
pub fn write_from_py(obj: &Bound<'_, PyAny>) -> std::result::Result<Write, Bad> {
    if !is_mapping(obj) {
        return Err((String::new(), format!("{} is not a write dict", describe(obj))));
    }
    match string(obj, "op", true)?.as_deref() {
        Some("put") => {
            let collection = collection_from(obj)?;
            let record = match field(obj, "record")? {
                Some(r) => record_from_py(&r, false).map_err(|e| at("record", e))?,
                None => return Err(("record".into(), "missing".into())),
            };
            Ok(Write::Put { collection, record, expected_version: count(obj, "expectedVersion", false)? })
        }
        Some("delete") => {
            let collection = collection_from(obj)?;
            Ok(Write::Delete { collection, id: string(obj, "id", true)?.unwrap_or_default() })
        }
        other => Err(("op".into(), format!("must be \"put\" or \"delete\", found {other:?}"))),
    }
}

fn query_from_py(obj: Option<&Bound<'_, PyAny>>) -> std::result::Result<Query, Bad> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else { return Ok(Query::all()) };
    if !is_mapping(obj) {
        return Err((String::new(), format!("{} is not a query dict", describe(obj))));
    }
    Ok(Query {
        rep_id: string(obj, "repId", false)?,
        period: string(obj, "period", false)?,
        deal_id: string(obj, "dealId", false)?,
    })
}

fn invalid(path: &str, (p, message): Bad) -> Error {
    let (path, _) = at(path, (p, String::new()));
    Error::validation(vec![Issue { path, code: "invalid_value", message, suggestion: None }])
}

// ------------------------------------------------------------------------------------ adapter

/// The Python exception behind the last error a [`PyRepository`] returned.
pub struct Failure {
    /// The core error the store call returned.
    pub error: Error,
    /// The exception the Python store raised.
    pub exception: PyErr,
    /// A `BaseException` that is not an `Exception`: the store is stopped, and the exception is
    /// raised again once the orchestrator returns.
    pub fatal: bool,
}

/// Where a [`PyRepository`] keeps its last [`Failure`] (shared by the stores a conformance run
/// makes, so the failing check can report it).
pub type FailureSlot = Arc<Mutex<Option<Failure>>>;

/// A Python object with `get`, `list` and `commit` methods as a core [`Repository`]. Every call
/// takes the GIL. `list` results are re-filtered by the query and sorted by id here, so a store
/// may return a superset in any order (correct, only slower).
pub struct PyRepository {
    obj: Py<PyAny>,
    failure: FailureSlot,
}

impl PyRepository {
    /// Wraps `obj` after checking that it has the three methods.
    pub fn new(obj: &Bound<'_, PyAny>, failure: FailureSlot) -> PyResult<Self> {
        let missing: Vec<&str> = ["get", "list", "commit"]
            .into_iter()
            .filter(|m| !obj.getattr(*m).map(|f| f.is_callable()).unwrap_or(false))
            .collect();
        if !missing.is_empty() {
            return Err(PyTypeError::new_err(format!(
                "a repository must be compcode.MemoryRepository, compcode.SqliteRepository or an object with \
                 get(collection, id), list(collection, query) and commit(writes) methods; {} has no {}",
                describe(obj),
                missing.join(", ")
            )));
        }
        Ok(PyRepository { obj: obj.clone().unbind(), failure })
    }

    /// The Python object.
    pub fn object(&self) -> &Py<PyAny> {
        &self.obj
    }

    /// Calls `method`, then reads its answer with `read`; maps every failure to a core error.
    fn invoke<T>(
        &self,
        method: &'static str,
        call: impl for<'py> FnOnce(&Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>>,
        read: impl for<'py> FnOnce(&Bound<'py, PyAny>) -> std::result::Result<T, Bad>,
    ) -> Result<T> {
        if lock(&self.failure).as_ref().is_some_and(|f| f.fatal) {
            return Err(Error::new(
                ErrorCode::InternalError,
                format!("the Python repository was interrupted earlier; `{method}` not called"),
            ));
        }
        Python::attach(|py| {
            let answer = match call(self.obj.bind(py)) {
                Ok(a) => a,
                Err(exc) => return Err(self.raised(py, method, exc)),
            };
            read(&answer).map_err(|(path, msg)| {
                let path = if path.is_empty() { String::new() } else { format!(" (at `{path}`)") };
                Error::new(
                    ErrorCode::InternalError,
                    format!("the Python repository's `{method}` returned{path}: {msg}"),
                )
            })
        })
    }

    fn raised(&self, py: Python<'_>, method: &str, exc: PyErr) -> Error {
        let fatal = !exc.is_instance_of::<PyException>(py);
        let value = exc.value(py);
        let error = if exc.is_instance_of::<ConflictError>(py) {
            let message = value
                .getattr("message")
                .and_then(|m| m.extract::<String>())
                .or_else(|_| value.str().map(|s| s.to_string()))
                .unwrap_or_default();
            let details = value
                .getattr("details")
                .ok()
                .and_then(|d| convert::from_store(&d).ok())
                .filter(Value::is_object)
                .unwrap_or_else(|| Value::Object(Default::default()));
            let message = if message.is_empty() {
                format!("the Python repository's `{method}` reported a conflict")
            } else {
                message
            };
            Error::with_details(ErrorCode::Conflict, message, details)
        } else {
            let kind = value.get_type().qualname().map(|n| n.to_string()).unwrap_or_else(|_| "an exception".into());
            let text = value.str().map(|s| s.to_string()).unwrap_or_default();
            let text = if text.is_empty() { String::new() } else { format!(": {text}") };
            Error::new(ErrorCode::InternalError, format!("the Python repository's `{method}` raised {kind}{text}"))
        };
        *lock(&self.failure) = Some(Failure { error: error.clone(), exception: exc, fatal });
        error
    }
}

impl Repository for PyRepository {
    fn get(&self, collection: Collection, id: &str) -> Result<Option<Record>> {
        self.invoke(
            "get",
            |o| o.call_method1("get", (collection.as_str(), id)),
            |a| {
                if a.is_none() {
                    return Ok(None);
                }
                let r = record_from_py(a, true)?;
                if r.id != id {
                    return Err(("id".into(), format!("a record with id {:?} for the id {id:?}", r.id)));
                }
                Ok(Some(r))
            },
        )
    }

    fn list(&self, collection: Collection, query: &Query) -> Result<Vec<Record>> {
        let mut records = self.invoke(
            "list",
            |o| o.call_method1("list", (collection.as_str(), query_to_py(o.py(), query)?)),
            |a| {
                let iter =
                    a.try_iter().map_err(|_| (String::new(), format!("{} is not a list of records", describe(a))))?;
                let mut out = Vec::new();
                for (i, item) in iter.enumerate() {
                    let item = item.map_err(|e| (format!("[{i}]"), e.to_string()))?;
                    out.push(record_from_py(&item, true).map_err(|e| at(&format!("[{i}]"), e))?);
                }
                Ok(out)
            },
        )?;
        records.retain(|r| query.matches(r));
        records.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(records)
    }

    fn commit(&mut self, writes: Vec<Write>) -> Result<()> {
        self.invoke(
            "commit",
            |o| {
                let py = o.py();
                let list = PyList::empty(py);
                for w in &writes {
                    list.append(write_to_py(py, w)?)?;
                }
                o.call_method1("commit", (list,))
            },
            |_| Ok(()),
        )
    }
}

// ------------------------------------------------------------------------------------ stores

/// The repository an orchestrator runs on.
pub enum Store {
    /// `compcode.MemoryRepository` (shared with the Python object).
    Memory(Arc<Mutex<MemoryRepository>>),
    /// `compcode.SqliteRepository` (shared with the Python object).
    Sqlite(Arc<Mutex<SqliteRepository>>),
    /// Any other Python object with the three methods.
    Python(PyRepository),
}

impl Store {
    /// The store for `obj`: a built-in one natively, anything else through [`PyRepository`].
    pub fn from_py(obj: &Bound<'_, PyAny>, failure: FailureSlot) -> PyResult<Store> {
        if let Ok(m) = obj.cast::<PyMemoryRepository>() {
            return Ok(Store::Memory(m.get().inner.clone()));
        }
        if let Ok(s) = obj.cast::<PySqliteRepository>() {
            return Ok(Store::Sqlite(s.get().inner.clone()));
        }
        PyRepository::new(obj, failure).map(Store::Python)
    }

    /// The failure behind the last error of a Python store, taken out of its slot.
    pub fn take_failure(&self) -> Option<Failure> {
        match self {
            Store::Python(p) => lock(&p.failure).take(),
            _ => None,
        }
    }
}

impl Repository for Store {
    fn get(&self, collection: Collection, id: &str) -> Result<Option<Record>> {
        match self {
            Store::Memory(m) => lock(m).get(collection, id),
            Store::Sqlite(s) => lock(s).get(collection, id),
            Store::Python(p) => p.get(collection, id),
        }
    }

    fn list(&self, collection: Collection, query: &Query) -> Result<Vec<Record>> {
        match self {
            Store::Memory(m) => lock(m).list(collection, query),
            Store::Sqlite(s) => lock(s).list(collection, query),
            Store::Python(p) => p.list(collection, query),
        }
    }

    fn commit(&mut self, writes: Vec<Write>) -> Result<()> {
        match self {
            Store::Memory(m) => lock(m).commit(writes),
            Store::Sqlite(s) => lock(s).commit(writes),
            Store::Python(p) => p.commit(writes),
        }
    }
}

// ------------------------------------------------------------------------------------ built-ins

/// The Python-facing `get` / `list` / `commit` of a built-in store: the same protocol a Python
/// repository implements, so a built-in can be inspected, wrapped or used as a reference.
fn builtin_get<R: Repository + Send>(
    py: Python<'_>,
    repo: &Mutex<R>,
    collection: &str,
    id: &str,
) -> PyResult<Option<Py<PyDict>>> {
    let c = parse_collection(collection).map_err(|m| to_py_err(py, &invalid("collection", (String::new(), m))))?;
    let r = py.detach(|| lock(repo).get(c, id)).map_err(|e| to_py_err(py, &e))?;
    r.map(|r| record_to_py(py, &r).map(Bound::unbind)).transpose()
}

fn builtin_list<R: Repository + Send>(
    py: Python<'_>,
    repo: &Mutex<R>,
    collection: &str,
    query: Option<&Bound<'_, PyAny>>,
) -> PyResult<Py<PyList>> {
    let c = parse_collection(collection).map_err(|m| to_py_err(py, &invalid("collection", (String::new(), m))))?;
    let q = query_from_py(query).map_err(|e| to_py_err(py, &invalid("query", e)))?;
    let records = py.detach(|| lock(repo).list(c, &q)).map_err(|e| to_py_err(py, &e))?;
    let list = PyList::empty(py);
    for r in &records {
        list.append(record_to_py(py, r)?)?;
    }
    Ok(list.unbind())
}

fn builtin_commit<R: Repository + Send>(py: Python<'_>, repo: &Mutex<R>, writes: &Bound<'_, PyAny>) -> PyResult<()> {
    let mut parsed = Vec::new();
    let iter = writes.try_iter().map_err(|_| {
        to_py_err(py, &invalid("writes", (String::new(), format!("{} is not a list", describe(writes)))))
    })?;
    for (i, w) in iter.enumerate() {
        let w = w?;
        parsed.push(write_from_py(&w).map_err(|e| to_py_err(py, &invalid(&format!("writes[{i}]"), e)))?);
    }
    py.detach(|| lock(repo).commit(parsed)).map_err(|e| to_py_err(py, &e))
}

/// An in-memory repository (tests, previews, hosts that keep state themselves). Several
/// orchestrators given the same object share its records. It has the repository methods
/// `get`, `list` and `commit` too, with the dict shapes a Python repository uses.
#[pyclass(module = "compcode", name = "MemoryRepository", frozen)]
pub struct PyMemoryRepository {
    inner: Arc<Mutex<MemoryRepository>>,
}

#[pymethods]
impl PyMemoryRepository {
    #[new]
    fn new() -> Self {
        PyMemoryRepository { inner: Arc::new(Mutex::new(MemoryRepository::new())) }
    }

    /// The record `id` of `collection` as a dict, or None.
    fn get(
        &self,
        py: Python<'_>,
        collection: &Bound<'_, PyAny>,
        id: &Bound<'_, PyAny>,
    ) -> PyResult<Option<Py<PyDict>>> {
        let (collection, id) = (convert::text_arg(collection, "collection")?, convert::text_arg(id, "id")?);
        builtin_get(py, &self.inner, &collection, &id)
    }

    /// The records of `collection` matching `query` (`{"repId", "period", "dealId"}`, each
    /// optional; None = all), ordered by id.
    #[pyo3(signature = (collection, query=None))]
    fn list(
        &self,
        py: Python<'_>,
        collection: &Bound<'_, PyAny>,
        query: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyList>> {
        let collection = convert::text_arg(collection, "collection")?;
        builtin_list(py, &self.inner, &collection, query)
    }

    /// Applies every write or none; a failed version check raises `ConflictError`.
    fn commit(&self, py: Python<'_>, writes: &Bound<'_, PyAny>) -> PyResult<()> {
        builtin_commit(py, &self.inner, writes)
    }

    fn __repr__(&self) -> String {
        "compcode.MemoryRepository()".into()
    }
}

/// compcode's SQLite store (SQLite compiled in): one database file (`":memory:"` for a private
/// in-memory one), created and migrated on open; every commit is one SQL transaction. Several
/// orchestrators given the same object share its connection; other processes may open the same
/// file (version checks keep concurrent writers honest). Has `get`, `list` and `commit` too.
#[pyclass(module = "compcode", name = "SqliteRepository", frozen)]
pub struct PySqliteRepository {
    inner: Arc<Mutex<SqliteRepository>>,
    path: PathBuf,
}

#[pymethods]
impl PySqliteRepository {
    #[new]
    fn new(py: Python<'_>, path: &Bound<'_, PyAny>) -> PyResult<Self> {
        // a str is read here (a lone surrogate is a ValidationError, not UnicodeEncodeError);
        // any other os.PathLike goes through PyO3's PathBuf conversion
        let path: PathBuf = if path.is_instance_of::<PyString>() {
            PathBuf::from(convert::text_arg(path, "path")?)
        } else {
            path.extract::<PathBuf>().map_err(|e| {
                if e.is_instance_of::<pyo3::exceptions::PyUnicodeEncodeError>(py) {
                    convert::not_unicode(py, "path")
                } else {
                    e
                }
            })?
        };
        let p = path.clone();
        let repo = py.detach(move || SqliteRepository::open(p)).map_err(|e| to_py_err(py, &e))?;
        Ok(PySqliteRepository { inner: Arc::new(Mutex::new(repo)), path })
    }

    /// The database path given when opening.
    #[getter]
    fn path(&self) -> String {
        self.path.to_string_lossy().into_owned()
    }

    /// The record `id` of `collection` as a dict, or None.
    fn get(
        &self,
        py: Python<'_>,
        collection: &Bound<'_, PyAny>,
        id: &Bound<'_, PyAny>,
    ) -> PyResult<Option<Py<PyDict>>> {
        let (collection, id) = (convert::text_arg(collection, "collection")?, convert::text_arg(id, "id")?);
        builtin_get(py, &self.inner, &collection, &id)
    }

    /// The records of `collection` matching `query` (`{"repId", "period", "dealId"}`, each
    /// optional; None = all), ordered by id.
    #[pyo3(signature = (collection, query=None))]
    fn list(
        &self,
        py: Python<'_>,
        collection: &Bound<'_, PyAny>,
        query: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyList>> {
        let collection = convert::text_arg(collection, "collection")?;
        builtin_list(py, &self.inner, &collection, query)
    }

    /// Applies every write or none, in one SQL transaction; a failed version check raises
    /// `ConflictError`.
    fn commit(&self, py: Python<'_>, writes: &Bound<'_, PyAny>) -> PyResult<()> {
        builtin_commit(py, &self.inner, writes)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!("compcode.SqliteRepository({})", PyString::new(py, &self.path.to_string_lossy()).repr()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The dicts a Python repository sees are the core's serde shapes, except that a put's
    /// expected version is spelled `expectedVersion` like the record's camelCase keys.
    #[test]
    fn dict_shapes_follow_the_core_serde_shapes() {
        Python::initialize();
        Python::attach(|py| {
            let rec = Record {
                id: "a".into(),
                rep_id: Some("alice".into()),
                period: None,
                deal_id: Some("D1".into()),
                version: 3,
                doc: json!({"amount": "1.50", "rate": 0.08, "n": 12345678901234567890123_u128, "big": [-9223372036854775809_i128]}),
            };
            let as_py = |d: Bound<'_, PyDict>| convert::from_store(&d.into_any()).unwrap();
            assert_eq!(as_py(record_to_py(py, &rec).unwrap()), serde_json::to_value(&rec).unwrap());
            let put = Write::put(Collection::TrueUps, rec.clone(), Some(2));
            let mut serde_put = serde_json::to_value(&put).unwrap();
            let ev = serde_put.as_object_mut().unwrap().remove("expected_version").unwrap();
            serde_put["expectedVersion"] = ev;
            assert_eq!(as_py(write_to_py(py, &put).unwrap()), serde_put);
            let del = Write::Delete { collection: Collection::Reps, id: "x".into() };
            assert_eq!(as_py(write_to_py(py, &del).unwrap()), serde_json::to_value(&del).unwrap());
            // and back
            let back = write_from_py(&write_to_py(py, &put).unwrap().into_any()).unwrap();
            assert_eq!(back, put);
            let q = Query { rep_id: Some("r".into()), period: None, deal_id: None };
            assert_eq!(as_py(query_to_py(py, &q).unwrap()), serde_json::to_value(&q).unwrap());
        });
    }
}

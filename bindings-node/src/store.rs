//! Repositories for the orchestrator: the built-in stores ([`BuiltinStore`], behind the JS
//! classes `MemoryRepository` and `SqliteRepository`) and [`HostRepository`], the adapter that
//! implements the core's [`Repository`] trait by calling a JS object's `get`, `list` and
//! `commit` methods synchronously, during the native call.
//!
//! # The shapes a JS store sees
//!
//! JSON text crosses the boundary both ways, as everywhere in this crate. A record is
//! `{"id", "repId", "period", "dealId", "version", "doc"}` (the core's serde shape of
//! [`Record`]), a query `{"repId", "period", "dealId"}` (null = any), a write
//! `{"op": "put", "collection", "record", "expectedVersion"}` or
//! `{"op": "delete", "collection", "id"}`: the core's serde shape of [`Write`] except that the
//! expected version is spelled `expectedVersion`, like the record's camelCase keys (and like
//! the Python binding's dicts).
//!
//! # The bridge
//!
//! `index.js` does not hand the store itself to Rust but a *bridge*, one JS function
//! `(method, a, b) -> string` that calls the store's method and answers JSON text:
//! `{"ok": answer}`, `{"threw": {"conflict", "message", "details"}}` when the store threw
//! (`conflict` for a `CompcodeError` with code `CONFLICT`; the message already names the
//! method), or `{"unreadable": message}` when the answer is not JSON data. So the bridge never
//! throws into Rust, the JS exception stays in JS (where it becomes the `cause` of the error the
//! caller sees), and only strings cross. Each bridge call runs in its own N-API handle scope, so
//! a long workflow does not pile up JS values until it returns.

use crate::{contain, host_issue, HostIssue};
use compcode_core::memory::MemoryRepository;
use compcode_core::repository::{Collection, Query, Record, Repository, Write};
use compcode_core::validate::parse_json;
use compcode_core::{Error, ErrorCode, Issue, Result};
use compcode_sqlite::SqliteRepository;
use napi::bindgen_prelude::{Either, FnArgs, Function};
use napi::Env;
use napi_derive::napi;
use serde::Serialize;
use serde_json::{Map, Value};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn internal(message: String) -> Error {
    Error::new(ErrorCode::InternalError, message)
}

fn serialize(v: &impl Serialize) -> Result<String> {
    serde_json::to_string(v).map_err(|e| internal(format!("could not serialize: {e}")))
}

// ------------------------------------------------------------------------------------ shapes

/// A write as a JS store sees it (`expectedVersion` in camelCase).
#[derive(Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
enum WriteOut<'a> {
    Put {
        collection: &'static str,
        record: &'a Record,
        #[serde(rename = "expectedVersion")]
        expected_version: Option<u64>,
    },
    Delete {
        collection: &'static str,
        id: &'a str,
    },
}

/// The writes of a commit as the JSON text a JS store receives.
pub fn writes_text(writes: &[Write]) -> Result<String> {
    let out: Vec<WriteOut<'_>> = writes
        .iter()
        .map(|w| match w {
            Write::Put { collection, record, expected_version } => {
                WriteOut::Put { collection: collection.as_str(), record, expected_version: *expected_version }
            }
            Write::Delete { collection, id } => WriteOut::Delete { collection: collection.as_str(), id },
        })
        .collect();
    serialize(&out)
}

/// A problem reading a value from JS: the path to it and what is wrong.
type Bad = (String, String);

/// `bad` seen from `prefix` (`[3]` + `version` = `[3].version`).
fn under(prefix: &str, (p, m): Bad) -> Bad {
    let path = match (prefix.is_empty(), p.is_empty()) {
        (_, true) => prefix.to_string(),
        (true, false) => p,
        (false, false) if p.starts_with('[') => format!("{prefix}{p}"),
        (false, false) => format!("{prefix}.{p}"),
    };
    (path, m)
}

/// A short description of a value for messages: its JSON text, cut at 80 characters.
fn describe(v: Option<&Value>) -> String {
    let Some(v) = v else { return "undefined".into() };
    let text = v.to_string();
    if text.chars().count() > 80 {
        format!("{}…", text.chars().take(80).collect::<String>())
    } else {
        text
    }
}

fn object<'v>(v: &'v Value, what: &str) -> std::result::Result<&'v Map<String, Value>, Bad> {
    v.as_object().ok_or_else(|| (String::new(), format!("{} is not {what}", describe(Some(v)))))
}

fn string(o: &Map<String, Value>, key: &str, required: bool) -> std::result::Result<Option<String>, Bad> {
    match o.get(key) {
        Some(Value::String(s)) => Ok(Some(s.clone())),
        None | Some(Value::Null) if !required => Ok(None),
        None | Some(Value::Null) => Err((key.into(), "missing (a string is required)".into())),
        Some(v) => Err((key.into(), format!("{} is not a string", describe(Some(v))))),
    }
}

fn count(o: &Map<String, Value>, key: &str, required: bool) -> std::result::Result<Option<u64>, Bad> {
    match o.get(key) {
        None | Some(Value::Null) if !required => Ok(None),
        None | Some(Value::Null) => Err((key.into(), "missing (an integer ≥ 0 is required)".into())),
        Some(v) => {
            v.as_u64().map(Some).ok_or_else(|| (key.into(), format!("{} is not an integer ≥ 0", describe(Some(v)))))
        }
    }
}

fn collection_named(name: &str) -> std::result::Result<Collection, String> {
    Collection::parse(name).ok_or_else(|| {
        let all: Vec<&str> = Collection::ALL.iter().map(|c| c.as_str()).collect();
        format!("unknown collection `{name}`; expected one of: {}", all.join(", "))
    })
}

/// A record object back into a [`Record`]; `version` is required when a store returns it. Keys
/// other than the six are ignored (a store may keep its own, e.g. a timestamp).
pub fn read_record(v: &Value, need_version: bool) -> std::result::Result<Record, Bad> {
    let o = object(v, "a record object")?;
    let doc = o.get("doc").cloned().ok_or_else(|| ("doc".to_string(), "missing (the stored document)".to_string()))?;
    Ok(Record {
        id: string(o, "id", true)?.unwrap_or_default(),
        rep_id: string(o, "repId", false)?,
        period: string(o, "period", false)?,
        deal_id: string(o, "dealId", false)?,
        version: count(o, "version", need_version)?.unwrap_or(0),
        doc,
    })
}

/// A write object back into a [`Write`]. Unknown keys are refused: a misspelt
/// `expectedVersion` (`expected_version`) would otherwise silently drop the version check.
pub fn read_write(v: &Value) -> std::result::Result<Write, Bad> {
    let o = object(v, "a write object")?;
    let op = string(o, "op", true)?.unwrap_or_default();
    let allowed: &[&str] = match op.as_str() {
        "put" => &["op", "collection", "record", "expectedVersion"],
        "delete" => &["op", "collection", "id"],
        other => return Err(("op".into(), format!("must be \"put\" or \"delete\", found {other:?}"))),
    };
    if let Some(k) = o.keys().find(|k| !allowed.contains(&k.as_str())) {
        let hint = if k == "expected_version" { " (write it `expectedVersion`)" } else { "" };
        return Err((k.clone(), format!("unknown key{hint}; a {op} write has: {}", allowed.join(", "))));
    }
    let name = string(o, "collection", true)?.unwrap_or_default();
    let collection = collection_named(&name).map_err(|m| ("collection".to_string(), m))?;
    if op == "delete" {
        return Ok(Write::Delete { collection, id: string(o, "id", true)?.unwrap_or_default() });
    }
    let record = match o.get("record") {
        Some(r) => read_record(r, false).map_err(|e| under("record", e))?,
        None => return Err(("record".into(), "missing".into())),
    };
    Ok(Write::Put { collection, record, expected_version: count(o, "expectedVersion", false)? })
}

/// A query object (`{"repId", "period", "dealId"}`, each optional; null = any).
pub fn read_query(v: &Value) -> std::result::Result<Query, Bad> {
    if v.is_null() {
        return Ok(Query::all());
    }
    let o = object(v, "a query object")?;
    if let Some(k) = o.keys().find(|k| !["repId", "period", "dealId"].contains(&k.as_str())) {
        return Err((k.clone(), "unknown key; a query has: repId, period, dealId".into()));
    }
    Ok(Query {
        rep_id: string(o, "repId", false)?,
        period: string(o, "period", false)?,
        deal_id: string(o, "dealId", false)?,
    })
}

/// `VALIDATION_FAILED` for a bad argument of a built-in store's method.
fn invalid(path: &str, bad: Bad) -> Error {
    let (path, message) = under(path, bad);
    Error::validation(vec![Issue { path, code: "invalid_value", message, suggestion: None }])
}

// ------------------------------------------------------------------------------------ built-ins

/// A built-in store, shared by every orchestrator given the same JS object.
#[derive(Clone)]
pub enum Builtin {
    /// `MemoryRepository`.
    Memory(Arc<Mutex<MemoryRepository>>),
    /// `SqliteRepository`.
    Sqlite(Arc<Mutex<SqliteRepository>>),
}

impl Repository for Builtin {
    fn get(&self, collection: Collection, id: &str) -> Result<Option<Record>> {
        match self {
            Builtin::Memory(m) => lock(m).get(collection, id),
            Builtin::Sqlite(s) => lock(s).get(collection, id),
        }
    }

    fn list(&self, collection: Collection, query: &Query) -> Result<Vec<Record>> {
        match self {
            Builtin::Memory(m) => lock(m).list(collection, query),
            Builtin::Sqlite(s) => lock(s).list(collection, query),
        }
    }

    fn commit(&mut self, writes: Vec<Write>) -> Result<()> {
        match self {
            Builtin::Memory(m) => lock(m).commit(writes),
            Builtin::Sqlite(s) => lock(s).commit(writes),
        }
    }
}

/// The native half of `MemoryRepository` and `SqliteRepository`. Its methods speak the store
/// protocol a JS repository implements (JSON text, answers in the envelope), so a built-in can
/// be inspected, wrapped or used as a reference from JS.
#[napi]
pub struct BuiltinStore {
    inner: Builtin,
}

impl BuiltinStore {
    /// The store itself (a shared handle).
    pub fn builtin(&self) -> Builtin {
        self.inner.clone()
    }
}

fn collection_arg(name: &str) -> Result<Collection> {
    collection_named(name).map_err(|m| invalid("collection", (String::new(), m)))
}

#[napi]
impl BuiltinStore {
    /// The record `id` of `collection` (JSON text), or `null`, in the envelope.
    #[napi]
    pub fn get(&self, collection: String, id: String) -> String {
        contain(|| {
            let c = collection_arg(&collection)?;
            serialize(&self.inner.get(c, &id)?)
        })
    }

    /// The records of `collection` matching `query` (JSON text of `{repId?, period?, dealId?}`
    /// or `null`), ordered by id, in the envelope.
    #[napi]
    pub fn list(&self, collection: String, query: String) -> String {
        contain(|| {
            let c = collection_arg(&collection)?;
            let q = read_query(&parse_json(&query)?).map_err(|e| invalid("query", e))?;
            serialize(&self.inner.list(c, &q)?)
        })
    }

    /// Applies every write of `writes` (JSON text of a list of writes) or none; a failed
    /// version check is `CONFLICT`. `host_issues`: values of the writes JSON could not carry.
    #[napi]
    pub fn commit(&self, writes: String, host_issues: Option<Vec<HostIssue>>) -> String {
        contain(|| {
            let issues = host_issues.unwrap_or_default();
            if !issues.is_empty() {
                return Err(Error::validation(issues.iter().map(host_issue).collect()));
            }
            let v = parse_json(&writes)?;
            let list = v.as_array().ok_or_else(|| invalid("writes", (String::new(), "is not a list".into())))?;
            let parsed = list
                .iter()
                .enumerate()
                .map(|(i, w)| read_write(w).map_err(|e| invalid(&format!("writes[{i}]"), e)))
                .collect::<Result<Vec<_>>>()?;
            let mut store = self.inner.clone();
            store.commit(parsed)?;
            Ok("null".into())
        })
    }
}

/// A new, empty in-memory store.
#[napi(js_name = "openMemoryStore")]
pub fn open_memory_store() -> BuiltinStore {
    BuiltinStore { inner: Builtin::Memory(Arc::new(Mutex::new(MemoryRepository::new()))) }
}

/// The SQLite store in the database file `path` (`:memory:` for a private in-memory one),
/// created and migrated on open; or, when it cannot be opened, the error envelope (text).
#[napi(js_name = "openSqliteStore")]
pub fn open_sqlite_store(path: String) -> Either<BuiltinStore, String> {
    let mut opened = None;
    let envelope = contain(|| {
        opened = Some(SqliteRepository::open(&path)?);
        Ok("null".into())
    });
    match opened {
        Some(repo) => Either::A(BuiltinStore { inner: Builtin::Sqlite(Arc::new(Mutex::new(repo))) }),
        None => Either::B(envelope),
    }
}

// ------------------------------------------------------------------------------------ JS stores

/// The bridge `index.js` makes around a JS store: `(method, a, b) -> JSON text`.
pub type Bridge<'f> = Function<'f, FnArgs<(String, String, String)>, String>;

/// A JS store (through its [`Bridge`]) as a core [`Repository`]. `list` answers are
/// re-filtered by the query and sorted by id here, so a store may return a superset in any
/// order (correct, only slower).
pub struct HostRepository<'f> {
    env: Env,
    bridge: Bridge<'f>,
}

impl<'f> HostRepository<'f> {
    /// The store behind `bridge`.
    pub fn new(env: Env, bridge: Bridge<'f>) -> Self {
        HostRepository { env, bridge }
    }

    /// Calls the store's `method` through the bridge; its answer, or the error it threw.
    fn invoke(&self, method: &'static str, a: String, b: String) -> Result<Option<Value>> {
        let text = self
            .env
            .run_in_scope(|| self.bridge.call(FnArgs::from((method.to_string(), a, b))))
            .map_err(|e| internal(format!("calling the JS repository's `{method}` failed: {e}")))?;
        let reply = parse_json(&text).map_err(|e| {
            internal(format!("the JS repository bridge answered `{method}` with bad JSON: {}", e.message()))
        })?;
        if let Some(t) = reply.get("threw") {
            let message = t.get("message").and_then(Value::as_str).unwrap_or_default().to_string();
            if t.get("conflict").and_then(Value::as_bool) == Some(true) {
                let details =
                    t.get("details").filter(|d| d.is_object()).cloned().unwrap_or_else(|| Value::Object(Map::new()));
                return Err(Error::with_details(ErrorCode::Conflict, message, details));
            }
            return Err(internal(message));
        }
        if let Some(m) = reply.get("unreadable") {
            return Err(internal(m.as_str().unwrap_or_default().to_string()));
        }
        Ok(match reply {
            Value::Object(mut o) => o.remove("ok"), // absent: the store returned undefined
            _ => None,
        })
    }

    fn returned(method: &str, (path, message): Bad) -> Error {
        let at = if path.is_empty() { String::new() } else { format!(" (at `{path}`)") };
        internal(format!("the JS repository's `{method}` returned{at}: {message}"))
    }
}

impl Repository for HostRepository<'_> {
    fn get(&self, collection: Collection, id: &str) -> Result<Option<Record>> {
        let answer = self.invoke("get", collection.as_str().to_string(), id.to_string())?;
        let Some(v) = answer.filter(|v| !v.is_null()) else { return Ok(None) };
        let r = read_record(&v, true).map_err(|e| Self::returned("get", e))?;
        if r.id != id {
            return Err(Self::returned("get", ("id".into(), format!("a record with id {:?} for the id {id:?}", r.id))));
        }
        Ok(Some(r))
    }

    fn list(&self, collection: Collection, query: &Query) -> Result<Vec<Record>> {
        let answer = self.invoke("list", collection.as_str().to_string(), serialize(query)?)?;
        let items = match answer {
            Some(Value::Array(items)) => items,
            other => {
                return Err(Self::returned(
                    "list",
                    (String::new(), format!("{} is not a list of records", describe(other.as_ref()))),
                ))
            }
        };
        let mut records = items
            .iter()
            .enumerate()
            .map(|(i, v)| read_record(v, true).map_err(|e| Self::returned("list", under(&format!("[{i}]"), e))))
            .collect::<Result<Vec<_>>>()?;
        records.retain(|r| query.matches(r));
        records.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(records)
    }

    fn commit(&mut self, writes: Vec<Write>) -> Result<()> {
        self.invoke("commit", writes_text(&writes)?, String::new()).map(|_| ())
    }
}

/// The repository an orchestrator call runs on.
pub enum Store<'f> {
    /// A built-in store.
    Builtin(Builtin),
    /// A JS store.
    Host(HostRepository<'f>),
}

impl Repository for Store<'_> {
    fn get(&self, collection: Collection, id: &str) -> Result<Option<Record>> {
        match self {
            Store::Builtin(b) => b.get(collection, id),
            Store::Host(h) => h.get(collection, id),
        }
    }

    fn list(&self, collection: Collection, query: &Query) -> Result<Vec<Record>> {
        match self {
            Store::Builtin(b) => b.list(collection, query),
            Store::Host(h) => h.list(collection, query),
        }
    }

    fn commit(&mut self, writes: Vec<Write>) -> Result<()> {
        match self {
            Store::Builtin(b) => b.commit(writes),
            Store::Host(h) => h.commit(writes),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rec() -> Record {
        Record {
            id: "a".into(),
            rep_id: Some("alice".into()),
            period: None,
            deal_id: Some("D1".into()),
            version: 3,
            doc: json!({"amount": "1.50", "rate": 0.08, "n": 12345678901234567890123_u128}),
        }
    }

    /// The objects a JS store sees are the core's serde shapes, except that a put's expected
    /// version is spelled `expectedVersion` like the record's camelCase keys.
    #[test]
    fn shapes_follow_the_core_serde_shapes() {
        let put = Write::put(Collection::TrueUps, rec(), Some(2));
        let del = Write::Delete { collection: Collection::Reps, id: "x".into() };
        let text = writes_text(&[put.clone(), del.clone()]).unwrap();
        let seen: Value = parse_json(&text).unwrap();
        let mut serde_put = serde_json::to_value(&put).unwrap();
        let ev = serde_put.as_object_mut().unwrap().remove("expected_version").unwrap();
        serde_put["expectedVersion"] = ev;
        assert_eq!(seen[0], serde_put);
        assert_eq!(seen[1], serde_json::to_value(&del).unwrap());
        assert_eq!(seen[0]["record"]["doc"]["n"].to_string(), "12345678901234567890123", "numbers stay exact");
        // and back
        assert_eq!(read_write(&seen[0]).unwrap(), put);
        assert_eq!(read_write(&seen[1]).unwrap(), del);
        let q = Query { rep_id: Some("r".into()), period: None, deal_id: None };
        assert_eq!(parse_json(&serialize(&q).unwrap()).unwrap(), json!({"repId": "r", "period": null, "dealId": null}));
        assert_eq!(read_query(&json!({"repId": "r"})).unwrap(), q);
    }

    #[test]
    fn bad_objects_name_the_path() {
        let bad = |v: Value| read_record(&v, true).unwrap_err();
        assert_eq!(bad(json!([])).1, "[] is not a record object");
        assert_eq!(bad(json!({"id": "a", "version": 1})).0, "doc");
        assert_eq!(
            bad(json!({"id": "a", "doc": {}})),
            ("version".into(), "missing (an integer ≥ 0 is required)".into())
        );
        assert_eq!(bad(json!({"id": "a", "doc": {}, "version": -1})).0, "version");
        assert_eq!(bad(json!({"id": 7, "doc": {}, "version": 1})).1, "7 is not a string");
        let w = json!({"op": "put", "collection": "reps", "record": {"id": "a", "doc": {}}, "expected_version": 0});
        let (path, msg) = read_write(&w).unwrap_err();
        assert_eq!(path, "expected_version");
        assert!(msg.contains("expectedVersion"), "{msg}");
        let w = json!({"op": "put", "collection": "nope", "record": {"id": "a", "doc": {}}});
        assert!(read_write(&w).unwrap_err().1.starts_with("unknown collection `nope`"));
        let w = json!({"op": "put", "collection": "reps", "record": {"id": 1, "doc": {}}});
        assert_eq!(read_write(&w).unwrap_err().0, "record.id");
        assert_eq!(under("[2]", ("record.id".into(), String::new())).0, "[2].record.id");
        assert_eq!(under("writes", ("[0]".into(), String::new())).0, "writes[0]");
    }

    #[test]
    fn the_builtin_stores_speak_the_protocol_in_the_envelope() {
        let store = open_memory_store();
        let put = r#"[{"op": "put", "collection": "reps", "record": {"id": "a", "repId": null, "period": null,
                      "dealId": null, "version": 0, "doc": {"x": 0.1}}, "expectedVersion": 0}]"#;
        assert_eq!(store.commit(put.into(), None), r#"{"ok":null}"#);
        let got: Value = parse_json(&store.get("reps".into(), "a".into())).unwrap();
        assert_eq!(got["ok"]["version"], 1);
        assert_eq!(got["ok"]["doc"]["x"].to_string(), "0.1");
        let again: Value = parse_json(&store.commit(put.into(), None)).unwrap();
        assert_eq!(again["error"]["code"], "CONFLICT");
        let listed: Value = parse_json(&store.list("reps".into(), r#"{"repId": null}"#.into())).unwrap();
        assert_eq!(listed["ok"].as_array().map(Vec::len), Some(1));
        let bad: Value = parse_json(&store.list("nope".into(), "null".into())).unwrap();
        assert_eq!(bad["error"]["details"]["errors"][0]["path"], "collection");
        assert!(matches!(open_sqlite_store(":memory:".into()), Either::A(_)));
        match open_sqlite_store("/nonexistent-dir/x/y.db".into()) {
            Either::B(envelope) => assert!(envelope.contains("INTERNAL_ERROR"), "{envelope}"),
            Either::A(_) => panic!("opened a database in a missing directory"),
        }
    }
}

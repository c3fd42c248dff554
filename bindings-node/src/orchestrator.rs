//! The core's stateful workflows (`compcode_core::orchestrator::Orchestrator`) over a built-in
//! store or a JS store ([`crate::store`]), and the core's repository conformance suite for a
//! host's store.
//!
//! The core's `Orchestrator` holds nothing but its repository, so one is made for each call
//! around the store of that call: a JS store is only used while the native call that calls it
//! runs (no persistent references, nothing to free). One call at a time per JS `Orchestrator`
//! is enforced in `index.js` (a store that calls back into the orchestrator calling it gets an
//! error instead of interleaving two workflows).
//!
//! A request crosses as the JSON text of `{name, args, actor, at}`, so every argument is
//! checked here and a bad one is `VALIDATION_FAILED` naming its path (`at`, `args.deal.amount`).

use crate::store::{Bridge, BuiltinStore, HostRepository, Store};
use crate::{contain, host_issue, HostIssue};
use chrono::NaiveDate;
use compcode_core::orchestrator::{Actor, Orchestrator, WORKFLOWS};
use compcode_core::period::parse_date;
use compcode_core::repository::{Collection, Query, Record, Repository, Write};
use compcode_core::validate::parse_json;
use compcode_core::{Error, ErrorCode, Issue, Result};
use napi::bindgen_prelude::{ClassInstance, Either, Function};
use napi::Env;
use napi_derive::napi;
use serde_json::{Map, Value};

fn issue(path: &str, code: &'static str, message: &str) -> Issue {
    Issue { path: path.into(), code, message: message.into(), suggestion: None }
}

/// A workflow call: which, by whom, as of when, with what.
#[derive(Debug)]
struct Request {
    name: String,
    actor: Actor,
    at: NaiveDate,
    args: Value,
}

/// Reads the request `{name, args?, actor?, at}`. `host_issues` (values JSON could not carry,
/// found by the wrapper) come first; a check at the same path is left out.
fn read_request(text: &str, host_issues: &[HostIssue]) -> Result<Request> {
    let v = parse_json(text)?;
    let mut issues: Vec<Issue> = host_issues.iter().map(host_issue).collect();
    let mut check = |path: &str, code: &'static str, message: &str| {
        if !host_issues.iter().any(|h| h.path == path) {
            issues.push(issue(path, code, message));
        }
    };
    let name = match v.get("name") {
        Some(Value::String(s)) => s.clone(),
        _ => {
            check("name", "required", "the workflow name (a string, one of WORKFLOWS) is required");
            String::new()
        }
    };
    let actor = match v.get("actor") {
        None | Some(Value::Null) => Actor::System,
        Some(Value::String(s)) => Actor::User(s.clone()),
        Some(_) => {
            check("actor", "invalid_type", "`actor` is a rep id (a string), or null/undefined for the host itself");
            Actor::System
        }
    };
    let at = match v.get("at") {
        Some(Value::String(s)) => parse_date(s, false),
        _ => None,
    };
    if at.is_none() {
        let (code, message) = match v.get("at") {
            None | Some(Value::Null) => ("required", "`at` (the date the workflow runs as of, YYYY-MM-DD) is required"),
            _ => (
                "invalid_date",
                "`at` must be a date string YYYY-MM-DD (not a timestamp: a JS Date is refused because its UTC \
                 day may not be the local one)",
            ),
        };
        check("at", code, message);
    }
    let args = match v.get("args") {
        None | Some(Value::Null) => Value::Object(Map::new()),
        Some(a @ Value::Object(_)) => a.clone(),
        Some(_) => {
            check("args", "invalid_type", "`args` must be an object (or null/undefined for none)");
            Value::Null
        }
    };
    match at {
        Some(at) if issues.is_empty() => Ok(Request { name, actor, at, args }),
        _ => Err(Error::validation(issues)),
    }
}

fn run(store: Store<'_>, request: &str, host_issues: Option<Vec<HostIssue>>) -> Result<String> {
    let r = read_request(request, &host_issues.unwrap_or_default())?;
    let out = Orchestrator::new(store).call(&r.name, &r.actor, r.at, &r.args)?;
    Ok(out.to_string())
}

/// Runs a workflow on a built-in store. `request`: the JSON text of `{name, args?, actor?,
/// at}`; `host_issues`: its values JSON could not carry. Answers the envelope (JSON text).
#[napi(js_name = "orchestratorCall")]
pub fn orchestrator_call(store: &BuiltinStore, request: String, host_issues: Option<Vec<HostIssue>>) -> String {
    contain(|| run(Store::Builtin(store.builtin()), &request, host_issues))
}

/// Runs a workflow on a JS store, through its bridge (`index.js`): the store's methods are
/// called synchronously while this call runs. Otherwise as [`orchestrator_call`].
#[napi(js_name = "orchestratorCallHost")]
pub fn orchestrator_call_host(
    env: Env,
    bridge: Bridge<'_>,
    request: String,
    host_issues: Option<Vec<HostIssue>>,
) -> String {
    contain(|| run(Store::Host(HostRepository::new(env, bridge)), &request, host_issues))
}

/// Every workflow name `orchestratorCall` accepts, in the envelope.
#[napi(js_name = "workflows")]
pub fn workflows() -> String {
    contain(|| Ok(Value::from(WORKFLOWS.to_vec()).to_string()))
}

/// A conformance store: the factory's store, or nothing when the factory failed (the wrapper
/// keeps its exception and throws it once the suite returns).
enum Candidate<'f> {
    Ready(Store<'f>),
    /// Why there is no store (the factory's own exception is thrown by the wrapper).
    Failed(String),
}

fn factory_failed(why: &str) -> Error {
    Error::new(ErrorCode::InternalError, format!("the repository factory failed{why}"))
}

impl Repository for Candidate<'_> {
    fn get(&self, collection: Collection, id: &str) -> Result<Option<Record>> {
        match self {
            Candidate::Ready(s) => s.get(collection, id),
            Candidate::Failed(why) => Err(factory_failed(why)),
        }
    }

    fn list(&self, collection: Collection, query: &Query) -> Result<Vec<Record>> {
        match self {
            Candidate::Ready(s) => s.list(collection, query),
            Candidate::Failed(why) => Err(factory_failed(why)),
        }
    }

    fn commit(&mut self, writes: Vec<Write>) -> Result<()> {
        match self {
            Candidate::Ready(s) => s.commit(writes),
            Candidate::Failed(why) => Err(factory_failed(why)),
        }
    }
}

/// What the wrapper's factory gives for each check: a built-in store, the bridge of a JS
/// store, or nothing (the user's factory threw, or made something that is not a store). A
/// `ClassInstance`, not a `&BuiltinStore`: napi-rs lends `&T` only for a callback's own
/// arguments, not for what a JS function it calls returns.
pub type Made<'f> = Option<Either<ClassInstance<'f, BuiltinStore>, Bridge<'f>>>;

/// Runs the core's repository conformance suite (`compcode_core::conformance::run_all`: store
/// basics, atomic commits, version conflicts, the operator recipes end to end) on the stores
/// `factory()` makes, a fresh one per check. Answers `{"ok": null}` or the error of the first
/// failing check, its message naming the check.
#[napi(js_name = "runConformance")]
pub fn run_conformance(env: Env, factory: Function<'_, (), Made<'_>>) -> String {
    contain(|| {
        compcode_core::conformance::run_all(|| match factory.call(()) {
            Ok(Some(Either::A(builtin))) => Candidate::Ready(Store::Builtin(builtin.builtin())),
            Ok(Some(Either::B(bridge))) => Candidate::Ready(Store::Host(HostRepository::new(env, bridge))),
            Ok(None) => Candidate::Failed(String::new()),
            Err(e) => Candidate::Failed(format!(": {e}")),
        })?;
        Ok("null".into())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bad(text: &str, host: &[HostIssue]) -> Vec<(String, String)> {
        let e = read_request(text, host).unwrap_err();
        assert_eq!(e.code(), ErrorCode::ValidationFailed);
        e.to_json()["details"]["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| (i["path"].as_str().unwrap().to_string(), i["code"].as_str().unwrap().to_string()))
            .collect()
    }

    #[test]
    fn a_request_is_read_and_checked() {
        let r = read_request(r#"{"name": "events", "actor": "ada", "at": "2026-04-01", "args": {"repId": "a"}}"#, &[])
            .unwrap();
        assert_eq!((r.name.as_str(), &r.actor, r.at.to_string()), ("events", &Actor::user("ada"), "2026-04-01".into()));
        assert_eq!(r.args["repId"], "a");
        let r = read_request(r#"{"name": "events", "at": "2026-04-01"}"#, &[]).unwrap();
        assert_eq!((r.actor, r.args), (Actor::System, Value::Object(Map::new())));
        assert_eq!(
            bad(r#"{"actor": 7, "args": [], "at": "2026-04-01T00:00:00.000Z"}"#, &[]),
            vec![
                ("name".into(), "required".into()),
                ("actor".into(), "invalid_type".into()),
                ("at".into(), "invalid_date".into()),
                ("args".into(), "invalid_type".into())
            ]
        );
        assert_eq!(bad(r#"{"name": "events"}"#, &[]), vec![("at".into(), "required".into())]);
        let nan = HostIssue { path: "args.deal.amount".into(), kind: "nan".into(), detail: None };
        let at = HostIssue { path: "at".into(), kind: "bigint".into(), detail: Some("1".into()) };
        assert_eq!(
            bad(r#"{"name": "upsert_deal", "at": null, "args": {"deal": {"amount": null}}}"#, &[nan, at]),
            vec![("args.deal.amount".into(), "invalid_decimal".into()), ("at".into(), "invalid_type".into())]
        );
    }

    #[test]
    fn workflows_are_the_core_list() {
        let v: Value = serde_json::from_str(&workflows()).unwrap();
        assert_eq!(v["ok"].as_array().map(Vec::len), Some(WORKFLOWS.len()));
    }
}

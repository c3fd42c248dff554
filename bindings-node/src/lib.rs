//! The Node.js binding of compcode (napi-rs): the native half of the npm package `compcode`.
//!
//! It only converts and maps errors: every operation is the core's facade, [`compcode_core::api`]
//! (`simulate` and `validate` through their typed functions, the others through `api::run`).
//!
//! # Why JSON text crosses the boundary
//!
//! The JS wrapper (`index.js`) turns the caller's object into JSON text with `JSON.stringify`,
//! this crate parses it with [`compcode_core::validate::parse_json`], runs the operation and hands
//! back JSON text, which the wrapper turns into plain objects with `JSON.parse`. The user only
//! ever sees plain objects. We chose this over napi's `serde-json` value conversion because:
//!
//! * **Exact numbers.** The workspace enables serde_json's `arbitrary_precision`, under which a
//!   `serde_json::Number` goes through non-JSON (de)serializers as a private one-key map, and
//!   napi's conversion of a JS number goes through `f64`. `JSON.stringify` writes every finite JS
//!   number as its shortest round-trip decimal text (`0.08` → `0.08`), and `parse_json` keeps
//!   that text, so a number arrives as exactly the decimal the user wrote, never through binary
//!   floating point. Decimals in the output are strings already.
//! * **Speed.** One string each way instead of one N-API call per property: V8's JSON parser and
//!   printer are much faster than millions of N-API calls on a 100k-deal document.
//! * **One route for Node and WASM.** The WASM build can reuse the same wrapper.
//!
//! What JSON cannot carry (NaN, ±Infinity, BigInt, cycles) the wrapper finds before
//! stringifying and passes here as [`HostIssue`]s, so the error names the path.
//!
//! # Workflows over a repository
//!
//! [`orchestrator`] runs the core's stateful workflows (`Orchestrator::call`) and its repository
//! conformance suite on a store from [`store`]: a built-in one (`MemoryRepository`,
//! `SqliteRepository`) or the host's own JS object, whose synchronous `get` / `list` / `commit`
//! methods are called during the native call through a bridge that keeps the same discipline
//! (JSON text both ways, answers in an envelope, nothing thrown into Rust).
//!
//! # Errors and panics
//!
//! Nothing is thrown across the boundary: every export returns an envelope, `{"ok": output}` or
//! `{"error": {"code", "status", "message", "details"}}` (the fixtures' error shape), built by
//! [`error_envelope`], the one error-mapping function of this crate. `index.js` turns the
//! `error` object into a JS `Error` with `.code`, `.status`, `.details` in its one mapping
//! function. Every export runs inside [`contain`] (`std::panic::catch_unwind`), so a panic
//! becomes `INTERNAL_ERROR` instead of crashing the Node process.

#![deny(missing_docs)]

pub mod orchestrator;
pub mod store;

use compcode_core::validate::parse_json;
use compcode_core::{api, Error, ErrorCode, Issue};
use napi_derive::napi;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// A value of the caller's input that JSON cannot represent, found by the JS wrapper. It is
/// `null` in the JSON text the wrapper sends along with it.
#[napi(object)]
pub struct HostIssue {
    /// Where, in the core's path syntax (`deals[3].amount`, `""` for the document itself).
    pub path: String,
    /// `nan`, `infinity`, `-infinity`, `bigint`, `cycle` or `too_deep`.
    pub kind: String,
    /// For `bigint`: its decimal text.
    pub detail: Option<String>,
}

/// Runs `operation` (one of `compcode_core::api::OPERATIONS`) on the JSON text `input` and
/// returns the envelope `{"ok": output}` or `{"error": {...}}` as JSON text. `host_issues` lists
/// the values the wrapper could not put into JSON; when there are any, the call fails with
/// `VALIDATION_FAILED` listing them together with the rest of the document's problems.
#[napi(js_name = "runJson")]
pub fn run_json(operation: String, input: String, host_issues: Option<Vec<HostIssue>>) -> String {
    contain(|| run(&operation, &input, host_issues.unwrap_or_default()))
}

/// The stable error codes of compcode (`ErrorCode::ALL`), in the envelope:
/// `{"ok": ["VALIDATION_FAILED", ...]}`.
#[napi(js_name = "errorCodes")]
pub fn error_codes() -> String {
    contain(|| Ok(Value::from(ErrorCode::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>()).to_string()))
}

/// Panics with `message` inside the same guard as every export, so the test suite can check
/// that a panic comes back as `INTERNAL_ERROR` and the process lives on. Not part of the API.
#[napi(js_name = "panicForTests")]
pub fn panic_for_tests(message: String) -> String {
    contain(|| panic!("{message}"))
}

fn run(operation: &str, input: &str, host_issues: Vec<HostIssue>) -> Result<String, Error> {
    let value = parse_json(input)?;
    if !host_issues.is_empty() {
        return Err(unrepresentable(operation, &value, &host_issues));
    }
    // The typed facade functions serialize straight to text, in declaration key order; going
    // through `api::run`'s `serde_json::Value` costs ten times more on a big simulate (the tree
    // is built, key-sorted, printed and freed). Other operations go through `api::run`, so an
    // operation added to the core works here unchanged (and an unknown one is NOT_FOUND).
    let text = match operation {
        // the lazy view: the same text, without building the owned result first
        "simulate" => serde_json::to_string(&compcode_core::view::simulate(&value)?),
        "validate" => serde_json::to_string(&api::validate(&value)),
        other => serde_json::to_string(&api::run(other, &value)?),
    };
    text.map_err(|e| Error::new(ErrorCode::InternalError, format!("could not serialize the result: {e}")))
}

/// `VALIDATION_FAILED` for input values JSON cannot carry, listed first. For the operations
/// that take a calculation document, every other problem of the document follows, as the core
/// reports it (issues at the same paths left out: there the core only sees the `null` the
/// wrapper put in their place). An unknown operation is still `NOT_FOUND`.
fn unrepresentable(operation: &str, value: &Value, host_issues: &[HostIssue]) -> Error {
    if !api::OPERATIONS.contains(&operation) {
        if let Err(e) = api::run(operation, value) {
            return e;
        }
    }
    let mut issues: Vec<Issue> = host_issues.iter().map(host_issue).collect();
    if matches!(operation, "simulate" | "validate") {
        let paths: HashSet<&str> = host_issues.iter().map(|h| h.path.as_str()).collect();
        issues.extend(api::validate(value).errors.into_iter().filter(|i| !paths.contains(i.path.as_str())));
    }
    Error::validation(issues)
}

pub(crate) fn host_issue(h: &HostIssue) -> Issue {
    let (code, message) = match h.kind.as_str() {
        "nan" | "infinity" | "-infinity" => {
            let what = match h.kind.as_str() {
                "nan" => "NaN",
                "infinity" => "Infinity",
                _ => "-Infinity",
            };
            (
                "invalid_decimal",
                format!(
                    "{what} is not a number compcode can use: numbers must be finite \
                     (write decimals as strings, e.g. \"0.08\")"
                ),
            )
        }
        "bigint" => (
            "invalid_type",
            format!(
                "a BigInt cannot be sent as JSON; pass it as a string (\"{}\")",
                h.detail.as_deref().unwrap_or_default()
            ),
        ),
        "cycle" => ("invalid_value", "this value contains itself (a cycle); the input must be JSON data".to_string()),
        "too_deep" => ("invalid_value", "the input is nested too deeply".to_string()),
        other => ("invalid_value", format!("this value cannot be sent as JSON ({other})")),
    };
    Issue { path: h.path.clone(), code, message, suggestion: None }
}

/// The one error-mapping function of the native side: a core [`Error`] as the envelope
/// `{"error": {"code", "status", "message", "details"}}` (JSON text), which `index.js` turns
/// into a JS `Error`.
fn error_envelope(e: &Error) -> String {
    json!({ "error": e.to_json() }).to_string()
}

/// Runs an export's body, which returns its output as JSON text, with panics contained (a panic
/// becomes `INTERNAL_ERROR`), and wraps the outcome in the envelope.
pub(crate) fn contain(f: impl FnOnce() -> Result<String, Error>) -> String {
    let result = catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".to_string());
        Err(Error::with_details(
            ErrorCode::InternalError,
            format!("compcode panicked (a bug, please report it): {what}"),
            json!({ "panic": what }),
        ))
    });
    match result {
        // `{"ok":` + output + `}`, without building a second tree.
        Ok(text) => {
            let mut out = String::with_capacity(text.len() + 7);
            out.push_str("{\"ok\":");
            out.push_str(&text);
            out.push('}');
            out
        }
        Err(e) => error_envelope(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Value {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn a_panic_becomes_internal_error() {
        let out = parse(&panic_for_tests("boom".into()));
        assert_eq!(out["error"]["code"], "INTERNAL_ERROR");
        assert_eq!(out["error"]["status"], 500);
        assert_eq!(out["error"]["details"]["panic"], "boom");
    }

    #[test]
    fn results_and_errors_come_back_in_the_envelope() {
        let ok = parse(&run_json("validate".into(), "{}".into(), None));
        assert_eq!(ok["ok"]["valid"], false);
        let err = parse(&run_json("nope".into(), "{}".into(), None));
        assert_eq!(err["error"]["code"], "NOT_FOUND");
        let bad = parse(&run_json("simulate".into(), "{not json".into(), None));
        assert_eq!(bad["error"]["details"]["errors"][0]["code"], "invalid_json");
    }

    #[test]
    fn host_issues_come_first_and_hide_the_core_issue_at_the_same_path() {
        let issue = HostIssue { path: "asOf".into(), kind: "nan".into(), detail: None };
        let out = parse(&run_json("simulate".into(), r#"{"asOf": null}"#.into(), Some(vec![issue])));
        let errors = out["error"]["details"]["errors"].as_array().unwrap().clone();
        assert_eq!(out["error"]["code"], "VALIDATION_FAILED");
        assert_eq!(errors[0]["path"], "asOf");
        assert_eq!(errors[0]["code"], "invalid_decimal");
        assert!(errors.iter().skip(1).all(|e| e["path"] != "asOf"));
        assert!(errors.iter().any(|e| e["path"] == "reps" && e["code"] == "required"));
    }

    #[test]
    fn host_issues_of_other_operations_come_alone_and_unknown_operations_stay_not_found() {
        let issue = || vec![HostIssue { path: "existing[0].amount".into(), kind: "infinity".into(), detail: None }];
        let out = parse(&run_json("reconcile".into(), r#"{"existing": [{"amount": null}]}"#.into(), Some(issue())));
        assert_eq!(out["error"]["code"], "VALIDATION_FAILED");
        assert_eq!(out["error"]["details"]["errors"].as_array().map(Vec::len), Some(1));
        let out = parse(&run_json("nope".into(), "{}".into(), Some(issue())));
        assert_eq!(out["error"]["code"], "NOT_FOUND");
    }

    #[test]
    fn error_codes_are_the_core_list() {
        let codes = parse(&error_codes());
        assert_eq!(codes["ok"].as_array().map(Vec::len), Some(ErrorCode::ALL.len()));
        assert_eq!(codes["ok"][0], "VALIDATION_FAILED");
    }
}

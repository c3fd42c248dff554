//! The WebAssembly binding of compcode (wasm-bindgen): the Rust half of the npm package
//! `compcode-wasm`, for Node.js and browsers.
//!
//! It only converts and maps errors, exactly as the Node binding (`bindings-node/src/lib.rs`)
//! does, so that both run the same JS layer (`bindings-node/index.js`, copied verbatim into the
//! package by `bindings-wasm/build.js`) and pass the same `node --test` suite:
//!
//! * **JSON text crosses the boundary.** The JS layer turns the caller's object into JSON text
//!   with `JSON.stringify` (a finite JS number becomes its shortest round-trip decimal text, which
//!   [`compcode_core::validate::parse_json`] keeps exactly), this crate runs the operation and
//!   answers JSON text, which the JS layer `JSON.parse`s. One string each way is also the fast
//!   route: wasm-bindgen copies a string with one `TextEncoder.encodeInto` / `TextDecoder.decode`.
//! * **Envelopes, not exceptions.** Every export answers `{"ok": output}` or
//!   `{"error": {"code", "status", "message", "details"}}`, built by [`error_envelope`], the one
//!   error-mapping function of this crate; the JS layer turns the `error` object into a
//!   `CompcodeError` (an `Error` with `.code`, `.status`, `.details`).
//! * **Panics.** wasm32-unknown-unknown cannot unwind: a panic runs the panic hook and then the
//!   module traps (`WebAssembly.RuntimeError: unreachable`). The hook installed by [`start`]
//!   records the panic's message for [`take_panic`] and then calls `console_error_panic_hook`
//!   (the message and a JS stack on `console.error`). The package's `native.js` catches the
//!   trap, reads the message, re-instantiates the module (a trapped instance's stack and heap are
//!   not trusted again) and answers the same `INTERNAL_ERROR` envelope as the Node addon, made by
//!   [`panic_envelope`] in the fresh instance.
//!
//! What JSON cannot carry (NaN, ±Infinity, BigInt, cycles) the JS layer finds before
//! stringifying; `native.js` passes those issues here as JSON text, so the error names the path.

#![deny(missing_docs)]

use compcode_core::validate::parse_json;
use compcode_core::{api, Error, ErrorCode, Issue};
use serde::Deserialize;
use serde_json::{json, Value};
use std::cell::RefCell;
use std::collections::HashSet;
use std::panic::PanicHookInfo;
use wasm_bindgen::prelude::*;

/// A value of the caller's input that JSON cannot represent, found by the JS layer. It is `null`
/// in the JSON text sent along with it.
#[derive(Debug, Clone, Deserialize)]
struct HostIssue {
    /// Where, in the core's path syntax (`deals[3].amount`, `""` for the document itself).
    path: String,
    /// `nan`, `infinity`, `-infinity`, `bigint`, `cycle` or `too_deep`.
    kind: String,
    /// For `bigint`: its decimal text.
    #[serde(default)]
    detail: Option<String>,
}

/// Runs `operation` (one of `compcode_core::api::OPERATIONS`) on the JSON text `input` and
/// returns the envelope `{"ok": output}` or `{"error": {...}}` as JSON text. `host_issues` is the
/// JSON text of the list of values the JS layer could not put into JSON (`[{path, kind,
/// detail?}]`); when there are any, the call fails with `VALIDATION_FAILED` listing them together
/// with the rest of the document's problems.
#[wasm_bindgen(js_name = runJson)]
pub fn run_json(operation: &str, input: &str, host_issues: Option<String>) -> String {
    envelope(run(operation, input, host_issues.as_deref()))
}

/// The stable error codes of compcode (`ErrorCode::ALL`), in the envelope:
/// `{"ok": ["VALIDATION_FAILED", ...]}`.
#[wasm_bindgen(js_name = errorCodes)]
pub fn error_codes() -> String {
    envelope(Ok(Value::from(ErrorCode::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>()).to_string()))
}

/// Panics with `message`, so the test suite can check that a panic comes back as
/// `INTERNAL_ERROR` and the module works on afterwards. Not part of the API.
#[wasm_bindgen(js_name = panicForTests)]
pub fn panic_for_tests(message: &str) -> String {
    panic!("{message}")
}

/// The message of the last panic, recorded by the panic hook, and forgets it (`undefined` when
/// there was none). `native.js` calls it right after catching a trap.
#[wasm_bindgen(js_name = takePanic)]
pub fn take_panic() -> Option<String> {
    LAST_PANIC.with(|p| p.try_borrow_mut().ok().and_then(|mut p| p.take()))
}

/// The envelope of a contained panic: `INTERNAL_ERROR` (500) with the panic's message, the same
/// as the Node addon's. `message` is what [`take_panic`] answered; without it (the module trapped
/// for another reason, e.g. out of memory), `trap` is the JS error's message.
#[wasm_bindgen(js_name = panicEnvelope)]
pub fn panic_envelope(message: Option<String>, trap: Option<String>) -> String {
    error_envelope(&panic_error(message, trap))
}

/// Runs when the module is instantiated (and re-instantiated after a trap): installs the panic
/// hook that records the message for [`take_panic`] and then hands over to
/// `console_error_panic_hook`.
#[wasm_bindgen(start)]
pub fn start() {
    std::panic::set_hook(Box::new(|info: &PanicHookInfo<'_>| {
        record_panic(info);
        console_error_panic_hook::hook(info);
    }));
}

/// Keeps the panic's message for [`take_panic`].
fn record_panic(info: &PanicHookInfo<'_>) {
    let what = panic_text(info);
    LAST_PANIC.with(|p| {
        if let Ok(mut p) = p.try_borrow_mut() {
            *p = Some(what);
        }
    });
}

thread_local! {
    /// The message of the last panic (the module is single-threaded: this is one static).
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

fn panic_text(info: &PanicHookInfo<'_>) -> String {
    let payload = info.payload();
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_string())
}

fn panic_error(message: Option<String>, trap: Option<String>) -> Error {
    match message {
        Some(what) => Error::with_details(
            ErrorCode::InternalError,
            format!("compcode panicked (a bug, please report it): {what}"),
            json!({ "panic": what }),
        ),
        None => {
            let trap = trap.unwrap_or_else(|| "unknown".to_string());
            Error::with_details(
                ErrorCode::InternalError,
                format!("the compcode WebAssembly module trapped (a bug, please report it): {trap}"),
                json!({ "trap": trap }),
            )
        }
    }
}

fn run(operation: &str, input: &str, host_issues: Option<&str>) -> Result<String, Error> {
    let host_issues: Vec<HostIssue> = match host_issues {
        None => Vec::new(),
        Some(text) => serde_json::from_str(text).map_err(|e| {
            Error::new(ErrorCode::InternalError, format!("unreadable host issues from the JS layer: {e}"))
        })?,
    };
    let value = parse_json(input)?;
    if !host_issues.is_empty() {
        return Err(unrepresentable(operation, &value, &host_issues));
    }
    // The typed facade functions serialize straight to text, in declaration key order, which is
    // much cheaper than `api::run`'s `serde_json::Value` on a big simulate. Other operations go
    // through `api::run`, so an operation added to the core works here unchanged (and an unknown
    // one is NOT_FOUND).
    let text = match operation {
        // the lazy view: the same text, without building the owned result first
        "simulate" => serde_json::to_string(&compcode_core::view::simulate(&value)?),
        "validate" => serde_json::to_string(&api::validate(&value)),
        other => serde_json::to_string(&run_value(other, &value)?),
    };
    text.map_err(|e| Error::new(ErrorCode::InternalError, format!("could not serialize the result: {e}")))
}

/// Every operation of `compcode_core::api::run`.
#[cfg(not(feature = "preview"))]
fn run_value(operation: &str, value: &Value) -> Result<Value, Error> {
    api::run(operation, value)
}

/// The operations the plan preview page calls (feature `preview`: the browser-only module of
/// `bindings-wasm/demo/`, which leaves the ledger, CRM, Spark, CommissionFlow and v0 code out so
/// the page downloads less than half the full module). Any other operation is `NOT_FOUND`.
#[cfg(feature = "preview")]
fn run_value(operation: &str, value: &Value) -> Result<Value, Error> {
    match operation {
        "diff_plans" => compcode_core::diff::diff_plans_op(value),
        "analyze_plan" => compcode_core::analysis::analyze_plan_op(value),
        "templates" => compcode_core::templates::templates_op(value),
        other => Err(Error::new(
            ErrorCode::NotFound,
            format!(
                "the preview module runs {PREVIEW_OPERATIONS:?}, not `{other}`: use the full \
                 compcode-wasm module for every operation"
            ),
        )),
    }
}

/// What the preview module (feature `preview`) runs.
#[cfg(feature = "preview")]
const PREVIEW_OPERATIONS: [&str; 5] = ["simulate", "validate", "diff_plans", "analyze_plan", "templates"];

/// `VALIDATION_FAILED` for input values JSON cannot carry, listed first. For the operations that
/// take a calculation document, every other problem of the document follows, as the core reports
/// it (issues at the same paths left out: there the core only sees the `null` the JS layer put
/// in their place). An unknown operation is still `NOT_FOUND`.
fn unrepresentable(operation: &str, value: &Value, host_issues: &[HostIssue]) -> Error {
    if !api::OPERATIONS.contains(&operation) {
        if let Err(e) = run_value(operation, value) {
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

fn host_issue(h: &HostIssue) -> Issue {
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

/// The one error-mapping function of this crate: a core [`Error`] as the envelope
/// `{"error": {"code", "status", "message", "details"}}` (JSON text), which the JS layer turns
/// into a `CompcodeError`.
fn error_envelope(e: &Error) -> String {
    json!({ "error": e.to_json() }).to_string()
}

/// An export's outcome (output as JSON text, or an error) in the envelope.
fn envelope(result: Result<String, Error>) -> String {
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
    //! Host-side unit tests of the conversion (`cargo test -p compcode-wasm`); the same code
    //! compiled to WebAssembly runs the shared `node --test` suite and the browser tests.
    use super::*;

    fn parse(text: &str) -> Value {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn results_and_errors_come_back_in_the_envelope() {
        let ok = parse(&run_json("validate", "{}", None));
        assert_eq!(ok["ok"]["valid"], false);
        let err = parse(&run_json("nope", "{}", None));
        assert_eq!(err["error"]["code"], "NOT_FOUND");
        assert_eq!(err["error"]["status"], 404);
        let bad = parse(&run_json("simulate", "{not json", None));
        assert_eq!(bad["error"]["details"]["errors"][0]["code"], "invalid_json");
    }

    /// The preview module (feature `preview`) runs the page's operations and refuses the others
    /// with NOT_FOUND; the full module runs every operation of the core.
    #[test]
    fn the_preview_module_runs_the_pages_operations_only() {
        let templates = parse(&run_json("templates", "{}", None));
        assert_eq!(templates["ok"]["templates"].as_array().map(Vec::len), Some(6));
        let other = parse(&run_json("spark.rate_lookup", "{}", None));
        if cfg!(feature = "preview") {
            assert_eq!(other["error"]["code"], "NOT_FOUND");
            assert!(other["error"]["message"].as_str().unwrap_or("").contains("preview module"));
        } else {
            assert_ne!(other["error"]["code"], "NOT_FOUND", "the full module runs spark.rate_lookup");
        }
    }

    #[test]
    fn host_issues_come_first_and_hide_the_core_issue_at_the_same_path() {
        let issues = r#"[{"path": "asOf", "kind": "nan"}]"#.to_string();
        let out = parse(&run_json("simulate", r#"{"asOf": null}"#, Some(issues)));
        let errors = out["error"]["details"]["errors"].as_array().unwrap().clone();
        assert_eq!(out["error"]["code"], "VALIDATION_FAILED");
        assert_eq!(errors[0]["path"], "asOf");
        assert_eq!(errors[0]["code"], "invalid_decimal");
        assert!(errors.iter().skip(1).all(|e| e["path"] != "asOf"));
        assert!(errors.iter().any(|e| e["path"] == "reps" && e["code"] == "required"));
    }

    #[test]
    fn host_issues_of_other_operations_come_alone_and_unknown_operations_stay_not_found() {
        let issue = || Some(r#"[{"path": "existing[0].amount", "kind": "infinity"}]"#.to_string());
        let out = parse(&run_json("reconcile", r#"{"existing": [{"amount": null}]}"#, issue()));
        assert_eq!(out["error"]["code"], "VALIDATION_FAILED");
        assert_eq!(out["error"]["details"]["errors"].as_array().map(Vec::len), Some(1));
        let out = parse(&run_json("nope", "{}", issue()));
        assert_eq!(out["error"]["code"], "NOT_FOUND");
    }

    #[test]
    fn a_bigint_names_its_text_and_unreadable_host_issues_are_internal() {
        let issues = r#"[{"path": "deals[0].amount", "kind": "bigint", "detail": "10"}]"#.to_string();
        let out = parse(&run_json("validate", "{}", Some(issues)));
        assert_eq!(
            out["error"]["details"]["errors"][0]["message"],
            "a BigInt cannot be sent as JSON; pass it as a string (\"10\")"
        );
        let out = parse(&run_json("validate", "{}", Some("{".to_string())));
        assert_eq!(out["error"]["code"], "INTERNAL_ERROR");
    }

    #[test]
    fn a_panic_envelope_is_the_node_addons() {
        let out = parse(&panic_envelope(Some("boom".to_string()), Some("unreachable".to_string())));
        assert_eq!(out["error"]["code"], "INTERNAL_ERROR");
        assert_eq!(out["error"]["status"], 500);
        assert_eq!(out["error"]["message"], "compcode panicked (a bug, please report it): boom");
        assert_eq!(out["error"]["details"], json!({ "panic": "boom" }));
        let out = parse(&panic_envelope(None, Some("unreachable".to_string())));
        assert_eq!(out["error"]["details"], json!({ "trap": "unreachable" }));
    }

    #[test]
    fn the_panic_hook_records_the_message() {
        // `start` adds console_error_panic_hook, which on the host only prints to stderr.
        std::panic::set_hook(Box::new(record_panic));
        let caught = std::panic::catch_unwind(|| panic_for_tests("boom"));
        let _ = std::panic::take_hook();
        assert!(caught.is_err());
        assert_eq!(take_panic().as_deref(), Some("boom"));
        assert_eq!(take_panic(), None, "taken once");
    }

    #[test]
    fn error_codes_are_the_core_list() {
        let codes = parse(&error_codes());
        assert_eq!(codes["ok"].as_array().map(Vec::len), Some(ErrorCode::ALL.len()));
        assert_eq!(codes["ok"][0], "VALIDATION_FAILED");
    }
}

//! The operations of `compcode_core::api` as Python functions. Each one converts its input
//! ([`crate::convert::to_value`]), runs the core with the GIL released, and converts the answer
//! back ([`crate::convert::answer_to_host`] for the typed `simulate` / `validate` answers,
//! [`crate::convert::to_host`] for the others) — all inside [`guarded`], so a Rust panic becomes a
//! `compcode.InternalError` instead of taking the interpreter down.

use crate::convert;
use crate::error::to_py_err;
use compcode_core::api::Answer;
use compcode_core::{Error, ErrorCode};
use pyo3::prelude::*;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Runs `f`, turning a Rust panic into `CompcodeError` code `INTERNAL_ERROR` (status 500).
/// Every entry point of the module goes through here.
pub fn guarded<T>(py: Python<'_>, f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic without a message".to_string());
            let e = Error::new(
                ErrorCode::InternalError,
                format!("compcode panicked: {what} (a bug in compcode; the interpreter is unharmed, please report it)"),
            );
            Err(to_py_err(py, &e))
        }
    }
}

/// Converts `input`, runs `operation` on it without holding the GIL, converts the answer.
fn call(py: Python<'_>, operation: &str, input: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    guarded(py, || {
        // no cyclic collections while the input is read and the answer built (see `to_host`)
        let _paused = convert::GcPause::new(py);
        let value = convert::to_value(input)?;
        let out = py.detach(|| compcode_core::api::run_answer(operation, &value));
        match out {
            // a typed answer (simulate, validate) straight into Python objects (issue #9)
            Ok(Answer::Value(v)) => convert::to_host(py, &v).map(Bound::unbind),
            Ok(answer) => convert::answer_to_host(py, &answer).map(Bound::unbind),
            Err(e) => Err(to_py_err(py, &e)),
        }
    })
}

/// Test hook, not part of the API: JSON text read by serde_json (numbers kept exact) and made
/// into Python objects by [`convert::answer_to_host`] (`typed`) or [`convert::to_host`], so the
/// test suite can check both give the same objects for any JSON, not only for engine answers.
#[pyfunction]
pub fn _json_to_host_for_tests(py: Python<'_>, text: &str, typed: bool) -> PyResult<Py<PyAny>> {
    guarded(py, || {
        let v: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| to_py_err(py, &Error::new(ErrorCode::ValidationFailed, e.to_string())))?;
        let out = if typed { convert::answer_to_host(py, &v) } else { convert::to_host(py, &v) };
        out.map(Bound::unbind)
    })
}

/// Test hook, not part of the API: the JSON text of the value `input` becomes for the engine,
/// read by the one-pass reader (`fast`) or by `pythonize` alone, so the test suite can check
/// both agree (or raise the same error).
#[pyfunction]
pub fn _input_json_for_tests(py: Python<'_>, input: &Bound<'_, PyAny>, fast: bool) -> PyResult<String> {
    guarded(py, || {
        let v = convert::read_value(input, fast)?;
        serde_json::to_string(&v).map_err(|e| to_py_err(py, &Error::new(ErrorCode::InternalError, e.to_string())))
    })
}

/// Test hook, not part of the API: `run` through the engine's JSON value
/// (`compcode_core::api::run`, then [`convert::to_host`]), the path every answer took before
/// typed answers were converted directly; the test suite checks both give the same objects.
#[pyfunction]
pub fn _run_via_value(py: Python<'_>, operation: &Bound<'_, PyAny>, input: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    let operation = convert::text_arg(operation, "operation")?;
    guarded(py, || {
        let _paused = convert::GcPause::new(py);
        let value = convert::to_value(input)?;
        let out = py.detach(|| compcode_core::api::run(&operation, &value));
        match out {
            Ok(v) => convert::to_host(py, &v).map(Bound::unbind),
            Err(e) => Err(to_py_err(py, &e)),
        }
    })
}

/// Simulate a calculation document (SPEC §0.1): validate it, calculate, and return the result
/// (`mode`, `asOf`, `totalCommission`, `events`, `results`, `quotas`, `diagnostics`, ...).
/// Writes nothing.
///
/// `doc` is a dict of plain Python values. Decimals may be `decimal.Decimal`, `int` or decimal
/// strings; a `float` anywhere is refused (decimal safety). Dates may be `datetime.date` or
/// `"YYYY-MM-DD"`. In the result, the values of `compcode.DECIMAL_FIELDS` keys are
/// `decimal.Decimal`, everything else is str / int / bool / None / list / dict.
///
/// Raises `ValidationError` (code `VALIDATION_FAILED`, every problem in
/// `details["errors"]`) for a bad document, another `CompcodeError` for other failures.
#[pyfunction]
pub fn simulate(py: Python<'_>, doc: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    call(py, "simulate", doc)
}

/// Check a calculation document without calculating. Returns
/// `{"valid": bool, "errors": [{"path", "code", "message", "suggestion"?}, ...]}` listing every
/// problem, with paths like `plans[0].versions[0].config.rules[0].tiers[1].minThreshold`.
///
/// A problem the binding itself finds (a `float`, an unsupported Python type) raises
/// `ValidationError` instead, since such a document cannot be handed to the engine.
#[pyfunction]
pub fn validate(py: Python<'_>, doc: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    call(py, "validate", doc)
}

/// Reconcile stored events with freshly computed ones (SPEC §12), purely: `input` is
/// `{"existing": [event], "computed": [event], "locks"?: {"approved": [[repId, period]],
/// "corrections": {key: amount}}, "landingPeriod"?}`; the answer is the change set (`written`,
/// `updated`, `reversed`, `noop`, `clawbacks`, `locked`, `counters`). Amounts are `Decimal`.
#[pyfunction]
pub fn reconcile(py: Python<'_>, input: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    call(py, "reconcile", input)
}

/// Run scripted orchestrator steps against a fresh in-memory store: `input` is
/// `{"steps": [{"call", "at", "as"?, "args"?}]}`; the answer is `{"results": [{"ok": ...} |
/// {"error": {"code", "status", "message", "details"}}]}`, one per step (a failing step does not
/// raise). For a store that lasts — built-in or your own database — use `compcode.Orchestrator`.
#[pyfunction]
pub fn workflow(py: Python<'_>, input: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    call(py, "workflow", input)
}

/// Run a named operation of the engine (one of `compcode.OPERATIONS`: `"simulate"`,
/// `"validate"`, `"reconcile"`, `"workflow"`) on `input`, with the same conversions as the
/// named functions. An unknown operation raises
/// `NotFoundError` (code `NOT_FOUND`).
#[pyfunction]
pub fn run(py: Python<'_>, operation: &Bound<'_, PyAny>, input: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    let operation = convert::text_arg(operation, "operation")?;
    call(py, &operation, input)
}

/// Test hook, not part of the API: panics inside the same guard every operation uses, so the
/// test suite can check that a Rust panic raises `InternalError` and leaves the interpreter alive.
#[pyfunction]
pub fn _panic_for_tests(py: Python<'_>) -> PyResult<()> {
    guarded(py, || panic!("deliberate panic from compcode._compcode._panic_for_tests"))
}

//! # compcode-python
//!
//! The Python binding of compcode: the native module `compcode._compcode`, re-exported by the
//! `compcode` package. It stays thin — every operation is `compcode_core::api::run`, every
//! workflow `compcode_core::orchestrator::Orchestrator::call`; this crate only converts host
//! values ([`convert`]), maps errors ([`error::to_py_err`], the one mapping function), adapts
//! Python repositories to the core's `Repository` trait ([`store::PyRepository`]) and contains
//! panics ([`api::guarded`]).
//!
//! Modules mirror the core's: [`api`] (the operations), [`orchestrator`] (the workflows and the
//! conformance suite), [`store`] (repositories), [`error`] (exceptions), plus [`convert`]
//! (Python objects ⇄ `serde_json::Value`, decimal safety).
#![deny(missing_docs)]

use pyo3::prelude::*;
use pyo3::types::PyTuple;

pub mod api;
pub mod convert;
pub mod error;
pub mod orchestrator;
pub mod store;

/// The native module. `compcode/__init__.py` re-exports its public names.
#[pymodule]
fn _compcode(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_function(wrap_pyfunction!(api::simulate, m)?)?;
    m.add_function(wrap_pyfunction!(api::validate, m)?)?;
    m.add_function(wrap_pyfunction!(api::reconcile, m)?)?;
    m.add_function(wrap_pyfunction!(api::workflow, m)?)?;
    m.add_function(wrap_pyfunction!(api::run, m)?)?;
    m.add_function(wrap_pyfunction!(api::_panic_for_tests, m)?)?;
    m.add_function(wrap_pyfunction!(api::_run_via_value, m)?)?;
    m.add_function(wrap_pyfunction!(api::_json_to_host_for_tests, m)?)?;
    m.add_function(wrap_pyfunction!(api::_input_json_for_tests, m)?)?;
    m.add_function(wrap_pyfunction!(orchestrator::run_conformance, m)?)?;
    m.add_class::<orchestrator::PyOrchestrator>()?;
    m.add_class::<store::PyMemoryRepository>()?;
    m.add_class::<store::PySqliteRepository>()?;
    m.add("CompcodeError", py.get_type::<error::CompcodeError>())?;
    m.add("ValidationError", py.get_type::<error::ValidationError>())?;
    m.add("UnauthorizedError", py.get_type::<error::UnauthorizedError>())?;
    m.add("ForbiddenError", py.get_type::<error::ForbiddenError>())?;
    m.add("NotFoundError", py.get_type::<error::NotFoundError>())?;
    m.add("ConflictError", py.get_type::<error::ConflictError>())?;
    m.add("InternalError", py.get_type::<error::InternalError>())?;
    m.add("DECIMAL_FIELDS", PyTuple::new(py, compcode_core::api::DECIMAL_FIELDS)?)?;
    m.add("OPERATIONS", PyTuple::new(py, compcode_core::api::OPERATIONS)?)?;
    m.add("WORKFLOWS", PyTuple::new(py, compcode_core::orchestrator::WORKFLOWS)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}

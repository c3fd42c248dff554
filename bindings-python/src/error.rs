//! The exception classes and the one function that maps a `compcode_core::Error` onto them.
//!
//! Class by status: 400 `ValidationError`, 401 `UnauthorizedError`, 403 `ForbiddenError`,
//! 404 `NotFoundError`, 409 `ConflictError`, 500 `InternalError`; any other status (422
//! `arithmetic_overflow`) the base `CompcodeError`. So domain codes raise the subclass of their
//! generic status (`rep_not_found` → `NotFoundError`, `period_mismatch` → `ValidationError`),
//! and `.code` keeps the exact code.

use compcode_core::Error;
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::PyDict;

create_exception!(
    compcode,
    CompcodeError,
    PyException,
    "Every error compcode raises. Attributes: `code` (str, a SPEC §16 code such as \
     `VALIDATION_FAILED` or `rep_not_found`), `status` (int, HTTP-style), `message` (str) and \
     `details` (dict; for validation, `details[\"errors\"]` lists every problem as \
     `{path, code, message}`). Subclasses are chosen by status; codes without a generic status \
     of their own (422 `arithmetic_overflow`) raise this base class."
);
create_exception!(
    compcode,
    ValidationError,
    CompcodeError,
    "Status 400: the input is not a valid document (`VALIDATION_FAILED`, with every problem in \
     `details[\"errors\"]`), or a 400 domain code (`period_mismatch`, `quota_ambiguous_measure`, \
     `formula_*`)."
);
create_exception!(compcode, UnauthorizedError, CompcodeError, "Status 401: `UNAUTHORIZED`.");
create_exception!(compcode, ForbiddenError, CompcodeError, "Status 403: `FORBIDDEN`, or the domain code `forbidden`.");
create_exception!(
    compcode,
    NotFoundError,
    CompcodeError,
    "Status 404: `NOT_FOUND` (e.g. an unknown operation), `plan_rule_not_found` or `rep_not_found`."
);
create_exception!(
    compcode,
    ConflictError,
    CompcodeError,
    "Status 409: `CONFLICT`, `statement_locked` or `duplicate_idempotency_key`."
);
create_exception!(
    compcode,
    InternalError,
    CompcodeError,
    "Status 500: `INTERNAL_ERROR` — a bug in compcode (including a contained Rust panic)."
);

/// The Python class for a status (see the module docs).
pub fn class_for_status(py: Python<'_>, status: u16) -> Bound<'_, pyo3::types::PyType> {
    match status {
        400 => py.get_type::<ValidationError>(),
        401 => py.get_type::<UnauthorizedError>(),
        403 => py.get_type::<ForbiddenError>(),
        404 => py.get_type::<NotFoundError>(),
        409 => py.get_type::<ConflictError>(),
        500 => py.get_type::<InternalError>(),
        _ => py.get_type::<CompcodeError>(),
    }
}

/// The one error-mapping function: a core [`Error`] becomes the exception of its status with
/// `.code`, `.status`, `.message` and `.details` set; `str(exc)` is `"CODE: message"`.
pub fn to_py_err(py: Python<'_>, e: &Error) -> PyErr {
    let err = PyErr::from_type(class_for_status(py, e.status()), e.to_string());
    let attach = || -> PyResult<()> {
        let details = match pythonize::pythonize(py, e.details()) {
            Ok(d) if d.is_instance_of::<PyDict>() => d,
            _ => PyDict::new(py).into_any(),
        };
        let value = err.value(py);
        value.setattr("code", e.code().as_str())?;
        value.setattr("status", e.status())?;
        value.setattr("message", e.message())?;
        value.setattr("details", details)?;
        Ok(())
    };
    match attach() {
        Ok(()) => err,
        Err(other) => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use compcode_core::ErrorCode;

    /// Every core code lands on a deliberate class; only 422 (`arithmetic_overflow`) uses the base.
    #[test]
    fn every_code_has_its_class() {
        Python::initialize();
        Python::attach(|py| {
            let base = py.get_type::<CompcodeError>();
            for code in ErrorCode::ALL {
                let cls = class_for_status(py, code.status());
                assert!(cls.is_subclass(&base).unwrap(), "{code}");
                let is_base = cls.is(&base);
                assert_eq!(is_base, code.status() == 422, "{code} (status {}) -> {cls}", code.status());
                let err = to_py_err(py, &Error::new(code, "m"));
                let value = err.value(py);
                assert_eq!(value.getattr("code").unwrap().extract::<String>().unwrap(), code.as_str());
                assert_eq!(value.getattr("status").unwrap().extract::<u16>().unwrap(), code.status());
                assert_eq!(value.str().unwrap().to_string(), format!("{code}: m"));
            }
        });
    }
}

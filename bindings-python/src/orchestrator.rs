//! `compcode.Orchestrator`: the core's stateful workflows
//! (`compcode_core::orchestrator::Orchestrator`) over a built-in store or a Python repository
//! ([`crate::store`]), and `compcode.run_conformance`, the core's repository conformance suite
//! for a host's store.
//!
//! A call converts its arguments like the module functions do (floats refused, `Decimal` → its
//! exact text), runs the workflow with the GIL released (a Python store takes it back for each
//! of its calls), and converts the answer with `Decimal`s. One call at a time per orchestrator:
//! other threads wait; a store that calls back into the orchestrator calling it gets a
//! `RuntimeError` instead of a deadlock.

use crate::api::guarded;
use crate::convert;
use crate::error::to_py_err;
use crate::store::{Failure, FailureSlot, Store};
use compcode_core::api::Answer;
use compcode_core::orchestrator::{Actor, Orchestrator};
use compcode_core::repository::{Collection, Query, Record, Repository, Write};
use compcode_core::{Error, Result};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use serde_json::Value;
use std::cell::RefCell;
use std::sync::{Arc, Mutex, PoisonError};

thread_local! {
    /// The orchestrators this thread is inside (re-entry detection).
    static ACTIVE: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

/// Marks an orchestrator as running on this thread until dropped.
struct Entered(usize);

impl Entered {
    fn enter(id: usize) -> PyResult<Entered> {
        ACTIVE.with(|a| {
            let mut a = a.borrow_mut();
            if a.contains(&id) {
                return Err(PyRuntimeError::new_err(
                    "re-entrant call: the repository called back into the compcode.Orchestrator that is calling it",
                ));
            }
            a.push(id);
            Ok(Entered(id))
        })
    }
}

impl Drop for Entered {
    fn drop(&mut self) {
        ACTIVE.with(|a| a.borrow_mut().retain(|x| *x != self.0));
    }
}

/// Turns a core result plus the store's [`Failure`] into the Python answer: a fatal store
/// exception is raised as it was; an error that came from the store carries its exception as
/// `__cause__`.
fn finish<T>(py: Python<'_>, out: Result<T>, failure: Option<Failure>) -> PyResult<T> {
    if let Some(f) = failure.as_ref().filter(|f| f.fatal) {
        return Err(f.exception.clone_ref(py));
    }
    match out {
        Ok(v) => Ok(v),
        Err(e) => {
            let err = to_py_err(py, &e);
            if let Some(f) = failure.filter(|f| e.message().contains(f.error.message())) {
                err.set_cause(py, Some(f.exception));
            }
            Err(err)
        }
    }
}

/// CompCode's workflows over a repository (SPEC §12–§17): reps, plans, assignments, quotas,
/// deal snapshots, calculation runs that reconcile the event ledger, statements (generate,
/// approve, revert), adjustments, true-ups, comments, exports and the audit log.
///
/// `repository` is a `compcode.MemoryRepository`, a `compcode.SqliteRepository`, or any object
/// with `get(collection, id) -> dict | None`, `list(collection, query) -> list[dict]` and
/// `commit(writes) -> None` (see the README's "your own database"). Every workflow commits its
/// writes in one `commit` call; a `compcode.ConflictError` raised by the store makes it
/// recompute and retry.
#[pyclass(module = "compcode._compcode", name = "Orchestrator", subclass, frozen)]
pub struct PyOrchestrator {
    inner: Mutex<Orchestrator<Store>>,
    repository: Py<PyAny>,
}

#[pymethods]
impl PyOrchestrator {
    #[new]
    fn new(repository: &Bound<'_, PyAny>) -> PyResult<Self> {
        let store = Store::from_py(repository, FailureSlot::default())?;
        Ok(PyOrchestrator { inner: Mutex::new(Orchestrator::new(store)), repository: repository.clone().unbind() })
    }

    /// The repository given when created.
    #[getter]
    fn repository(&self, py: Python<'_>) -> Py<PyAny> {
        self.repository.clone_ref(py)
    }

    /// Runs the workflow `name` (one of `compcode.WORKFLOWS`) with `args` (a dict, converted like
    /// the module functions' inputs: floats refused, `Decimal` as its exact text) as `actor` (a
    /// rep id whose role is read from the store; None = the host itself, trusted like an admin)
    /// on the date `at` (a `datetime.date` or `"YYYY-MM-DD"`; nothing reads the clock).
    ///
    /// Returns plain Python objects, the values under `compcode.DECIMAL_FIELDS` keys as
    /// `Decimal`. Raises `CompcodeError` subclasses: `NotFoundError` for an unknown workflow,
    /// `ForbiddenError` / `UnauthorizedError` for roles, `ConflictError` for `statement_locked`
    /// or a store that kept conflicting, `InternalError` for a store that raised (the store's
    /// exception is the `__cause__`).
    #[pyo3(signature = (name, args=None, *, actor=None, at))]
    fn call(
        &self,
        py: Python<'_>,
        name: &Bound<'_, PyAny>,
        args: Option<&Bound<'_, PyAny>>,
        actor: Option<&Bound<'_, PyAny>>,
        at: &Bound<'_, PyAny>,
    ) -> PyResult<Py<PyAny>> {
        // str arguments are read here, not by PyO3, so a lone surrogate is a ValidationError
        let name = convert::text_arg(name, "name")?;
        let name = name.as_str();
        let actor = match actor {
            Some(a) if !a.is_none() => Some(convert::text_arg(a, "actor")?),
            _ => None,
        };
        guarded(py, || {
            let at = convert::to_date(at)?;
            let args = match args {
                Some(a) if !a.is_none() => convert::to_value(a)?,
                _ => Value::Object(Default::default()),
            };
            let actor = actor.map_or(Actor::System, Actor::User);
            let _entered = Entered::enter(self as *const Self as usize)?;
            let (out, failure) = py.detach(|| {
                let mut o = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
                o.repo().take_failure();
                let out = o.call_answer(name, &actor, at, &args);
                (out, o.repo().take_failure())
            });
            match finish(py, out, failure)? {
                Answer::Value(v) => convert::to_host(py, &v).map(Bound::unbind),
                // `simulate`: straight from the typed result (issue #9)
                typed => convert::answer_to_host(py, &typed).map(Bound::unbind),
            }
        })
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        let repo = self.repository.bind(py).repr().map(|r| r.to_string()).unwrap_or_else(|_| "?".into());
        format!("compcode.Orchestrator({repo})")
    }
}

/// A conformance store: the factory's store, or the factory's failure.
enum Candidate {
    Ready(Store),
    Failed,
}

fn factory_failed() -> Error {
    Error::new(compcode_core::ErrorCode::InternalError, "the repository factory raised")
}

impl Repository for Candidate {
    fn get(&self, collection: Collection, id: &str) -> Result<Option<Record>> {
        match self {
            Candidate::Ready(s) => s.get(collection, id),
            Candidate::Failed => Err(factory_failed()),
        }
    }

    fn list(&self, collection: Collection, query: &Query) -> Result<Vec<Record>> {
        match self {
            Candidate::Ready(s) => s.list(collection, query),
            Candidate::Failed => Err(factory_failed()),
        }
    }

    fn commit(&mut self, writes: Vec<Write>) -> Result<()> {
        match self {
            Candidate::Ready(s) => s.commit(writes),
            Candidate::Failed => Err(factory_failed()),
        }
    }
}

/// Runs compcode's repository conformance suite (store basics, atomic commits, version
/// conflicts, and the operator recipes end to end through the orchestrator) against the
/// repositories `factory()` returns — a fresh, empty one per check. Returns None when every
/// check passes; otherwise raises the `CompcodeError` of the first failing check, its message
/// naming the check (``conformance `atomic commit`: ...``), with the store's own exception as
/// `__cause__` when it raised one. An exception `factory` raises propagates as is.
#[pyfunction]
pub fn run_conformance(py: Python<'_>, factory: Bound<'_, PyAny>) -> PyResult<()> {
    guarded(py, || {
        let factory = factory.unbind();
        let slot = FailureSlot::default();
        let mut factory_error: Option<PyErr> = None;
        let out = py.detach(|| {
            compcode_core::conformance::run_all(|| {
                if factory_error.is_some() {
                    return Candidate::Failed;
                }
                {
                    // a fatal exception (KeyboardInterrupt) stays, so the later checks stop too
                    let mut last = slot.lock().unwrap_or_else(PoisonError::into_inner);
                    if !last.as_ref().is_some_and(|f| f.fatal) {
                        last.take();
                    }
                }
                Python::attach(|py| {
                    match factory.bind(py).call0().and_then(|obj| Store::from_py(&obj, Arc::clone(&slot))) {
                        Ok(store) => Candidate::Ready(store),
                        Err(e) => {
                            factory_error = Some(e);
                            Candidate::Failed
                        }
                    }
                })
            })
        });
        if let Some(e) = factory_error {
            return Err(e);
        }
        let failure = slot.lock().unwrap_or_else(PoisonError::into_inner).take();
        finish(py, out, failure)
    })
}

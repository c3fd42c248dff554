"""Type stubs of the native module ``compcode._compcode`` (built from ``bindings-python/src``)."""

import datetime
import os
from typing import Any, Callable, Dict, Iterable, List, Literal, Mapping, Optional, Tuple, Union, overload

from typing_extensions import Self, disjoint_base, final

from ._types import Repository, SimulateResult, StoredRecord, ValidateResult

__all__ = [
    "simulate",
    "validate",
    "reconcile",
    "workflow",
    "run",
    "run_conformance",
    "_panic_for_tests",
    "_run_via_value",
    "_json_to_host_for_tests",
    "_input_json_for_tests",
    "Orchestrator",
    "MemoryRepository",
    "SqliteRepository",
    "CompcodeError",
    "ValidationError",
    "UnauthorizedError",
    "ForbiddenError",
    "NotFoundError",
    "ConflictError",
    "InternalError",
    "DECIMAL_FIELDS",
    "OPERATIONS",
    "WORKFLOWS",
    "__version__",
]

__version__: str
DECIMAL_FIELDS: Tuple[str, ...]
OPERATIONS: Tuple[str, ...]
WORKFLOWS: Tuple[str, ...]

def simulate(doc: Mapping[str, Any]) -> SimulateResult: ...
def validate(doc: Mapping[str, Any]) -> ValidateResult: ...
def reconcile(input: Mapping[str, Any]) -> Dict[str, Any]: ...
def workflow(input: Mapping[str, Any]) -> Dict[str, Any]: ...
@overload
def run(operation: Literal["simulate"], input: Mapping[str, Any]) -> SimulateResult: ...
@overload
def run(operation: Literal["validate"], input: Mapping[str, Any]) -> ValidateResult: ...
@overload
def run(operation: str, input: Any) -> Dict[str, Any]: ...
def _panic_for_tests() -> None: ...
def _run_via_value(operation: str, input: Any) -> Any: ...
def _json_to_host_for_tests(text: str, typed: bool) -> Any: ...
def _input_json_for_tests(input: Any, fast: bool) -> str: ...
def run_conformance(factory: Callable[[], Repository]) -> None: ...

@disjoint_base
class Orchestrator:
    def __new__(cls, repository: Repository) -> Self: ...
    @property
    def repository(self) -> Repository: ...
    def call(
        self,
        name: str,
        args: Optional[Mapping[str, Any]] = None,
        *,
        actor: Optional[str] = None,
        at: Union[datetime.date, str],
    ) -> Any: ...

@final
class MemoryRepository:
    def __new__(cls) -> Self: ...
    def get(self, collection: str, id: str) -> Optional[StoredRecord]: ...
    def list(self, collection: str, query: Optional[Mapping[str, Any]] = None) -> List[StoredRecord]: ...
    def commit(self, writes: Iterable[Mapping[str, Any]]) -> None: ...

@final
class SqliteRepository:
    def __new__(cls, path: Union[str, "os.PathLike[str]"]) -> Self: ...
    @property
    def path(self) -> str: ...
    def get(self, collection: str, id: str) -> Optional[StoredRecord]: ...
    def list(self, collection: str, query: Optional[Mapping[str, Any]] = None) -> List[StoredRecord]: ...
    def commit(self, writes: Iterable[Mapping[str, Any]]) -> None: ...

class CompcodeError(Exception):
    code: str
    status: int
    message: str
    details: Dict[str, Any]

class ValidationError(CompcodeError): ...
class UnauthorizedError(CompcodeError): ...
class ForbiddenError(CompcodeError): ...
class NotFoundError(CompcodeError): ...
class ConflictError(CompcodeError): ...
class InternalError(CompcodeError): ...

"""Type stubs of the native module ``compcode._compcode`` (built from ``bindings-python/src``)."""

from typing import Any, Dict, Literal, Mapping, Tuple, overload

from ._types import SimulateResult, ValidateResult

__all__ = [
    "simulate",
    "validate",
    "reconcile",
    "workflow",
    "run",
    "_panic_for_tests",
    "CompcodeError",
    "ValidationError",
    "UnauthorizedError",
    "ForbiddenError",
    "NotFoundError",
    "ConflictError",
    "InternalError",
    "DECIMAL_FIELDS",
    "OPERATIONS",
    "__version__",
]

__version__: str
DECIMAL_FIELDS: Tuple[str, ...]
OPERATIONS: Tuple[str, ...]

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

"""compcode — an embeddable sales-commission engine (Rust core, exact decimals).

Every function takes and returns plain Python objects. Decimals come back as
:class:`decimal.Decimal` (the values of the :data:`DECIMAL_FIELDS` keys); inputs accept
``Decimal``, ``int`` or decimal strings, and refuse ``float`` (decimal safety). Dates may be
:class:`datetime.date` or ``"YYYY-MM-DD"`` strings. Failures raise :class:`CompcodeError`
subclasses carrying ``.code``, ``.status``, ``.message`` and ``.details``.

>>> import compcode
>>> compcode.validate({"asOf": "2026-13-01", "reps": [], "plans": [], "deals": []})["errors"][0]["code"]
'invalid_date'
"""

from ._compcode import (
    DECIMAL_FIELDS,
    OPERATIONS,
    CompcodeError,
    ConflictError,
    ForbiddenError,
    InternalError,
    NotFoundError,
    UnauthorizedError,
    ValidationError,
    __version__,
    reconcile,
    run,
    simulate,
    validate,
    workflow,
)
from ._types import (
    DealResult,
    Diagnostic,
    Event,
    Issue,
    QuotaStatus,
    RuleBreakdown,
    SimulateResult,
    ValidateResult,
)

__all__ = [
    "DECIMAL_FIELDS",
    "CompcodeError",
    "ConflictError",
    "DealResult",
    "Diagnostic",
    "Event",
    "ForbiddenError",
    "InternalError",
    "Issue",
    "NotFoundError",
    "OPERATIONS",
    "QuotaStatus",
    "RuleBreakdown",
    "SimulateResult",
    "UnauthorizedError",
    "ValidateResult",
    "ValidationError",
    "__version__",
    "reconcile",
    "run",
    "simulate",
    "validate",
    "workflow",
]

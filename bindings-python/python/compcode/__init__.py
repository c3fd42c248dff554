"""compcode — an embeddable sales-commission engine (Rust core, exact decimals).

Every function takes and returns plain Python objects. Decimals come back as
:class:`decimal.Decimal` (the values of the :data:`DECIMAL_FIELDS` keys); inputs accept
``Decimal``, ``int`` or decimal strings, and refuse ``float`` (decimal safety). Dates may be
:class:`datetime.date` or ``"YYYY-MM-DD"`` strings. Failures raise :class:`CompcodeError`
subclasses carrying ``.code``, ``.status``, ``.message`` and ``.details``.

:class:`Orchestrator` runs the stateful workflows (ledger, statements, true-ups, audit) over a
built-in store (:class:`MemoryRepository`, :class:`SqliteRepository`) or your own database: any
object with ``get``, ``list`` and ``commit`` (:class:`Repository`; check it with
:func:`run_conformance`).

>>> import compcode
>>> compcode.validate({"asOf": "2026-13-01", "reps": [], "plans": [], "deals": []})["errors"][0]["code"]
'invalid_date'
"""

from ._compcode import (
    DECIMAL_FIELDS,
    OPERATIONS,
    WORKFLOWS,
    CompcodeError,
    ConflictError,
    ForbiddenError,
    InternalError,
    MemoryRepository,
    NotFoundError,
    SqliteRepository,
    UnauthorizedError,
    ValidationError,
    __version__,
    reconcile,
    run,
    run_conformance,
    simulate,
    validate,
    workflow,
)
from ._orchestrator import DateLike, Orchestrator
from ._operations import (
    commissionflow_calculate,
    commissionflow_import,
    commissionflow_list,
    commissionflow_transition,
    crm_attio_record,
    crm_attio_webhook,
    crm_attributes,
    crm_auto_match,
    crm_hubspot_deal,
    crm_hubspot_webhook,
    formula_evaluate,
    rules_v0_evaluate,
    rules_v0_validate,
    spark_allocation_summary,
    spark_goals,
    spark_rate_lookup,
)
from ._types import (
    AuditEntry,
    DealResult,
    DeleteWrite,
    Diagnostic,
    Event,
    HistoryRow,
    Issue,
    LedgerEvent,
    PutWrite,
    QuotaStatus,
    RecordQuery,
    Repository,
    RuleBreakdown,
    RunReport,
    SimulateResult,
    Statement,
    StatementLine,
    StatementVersion,
    StoredRecord,
    TrueUpResult,
    ValidateResult,
    Write,
)

__all__ = [
    "commissionflow_calculate",
    "commissionflow_import",
    "commissionflow_list",
    "commissionflow_transition",
    "crm_attio_record",
    "crm_attio_webhook",
    "crm_attributes",
    "crm_auto_match",
    "crm_hubspot_deal",
    "crm_hubspot_webhook",
    "formula_evaluate",
    "rules_v0_evaluate",
    "rules_v0_validate",
    "spark_allocation_summary",
    "spark_goals",
    "spark_rate_lookup",
    "DECIMAL_FIELDS",
    "AuditEntry",
    "CompcodeError",
    "ConflictError",
    "DateLike",
    "DealResult",
    "DeleteWrite",
    "Diagnostic",
    "Event",
    "ForbiddenError",
    "HistoryRow",
    "InternalError",
    "Issue",
    "LedgerEvent",
    "MemoryRepository",
    "NotFoundError",
    "OPERATIONS",
    "Orchestrator",
    "PutWrite",
    "QuotaStatus",
    "RecordQuery",
    "Repository",
    "RuleBreakdown",
    "RunReport",
    "SimulateResult",
    "SqliteRepository",
    "Statement",
    "StatementLine",
    "StatementVersion",
    "StoredRecord",
    "TrueUpResult",
    "UnauthorizedError",
    "ValidateResult",
    "ValidationError",
    "WORKFLOWS",
    "Write",
    "__version__",
    "reconcile",
    "run",
    "run_conformance",
    "simulate",
    "validate",
    "workflow",
]

"""The shapes of compcode's results and of a repository's records, as ``TypedDict``\\ s (plain
dicts at run time), and the :class:`Repository` protocol a host's store implements.

They mirror the serde types of ``compcode_core`` (``api::SimulateResult``, ``api::Event``,
``orchestrator::RunReport``, ``orchestrator::Statement``, ``ledger::Event``, ...);
``tests/test_types.py`` checks real outputs against them, so they cannot drift. Decimal fields are
:class:`decimal.Decimal` (the ``DECIMAL_FIELDS`` keys); ``trace`` steps are free-form dicts whose
values are strings, ints, bools or None (plus ``Decimal`` under the ``DECIMAL_FIELDS`` keys).
"""

from decimal import Decimal
from typing import Any, Dict, List, Literal, Mapping, Optional, Protocol, Sequence, TypedDict, Union

__all__ = [
    "AuditEntry",
    "DealResult",
    "DeleteWrite",
    "Diagnostic",
    "Event",
    "HistoryRow",
    "Issue",
    "LedgerEvent",
    "PutWrite",
    "QuotaStatus",
    "RecordQuery",
    "Repository",
    "RuleBreakdown",
    "RunReport",
    "SimulateResult",
    "Statement",
    "StatementLine",
    "StatementVersion",
    "StoredRecord",
    "TrueUpResult",
    "ValidateResult",
    "Write",
]


class _EventRequired(TypedDict):
    """One payout line (SPEC §12's event shape)."""

    dealId: Optional[str]
    repId: str
    planId: str
    planVersionId: str
    ruleName: str
    executionPhase: str
    period: str
    amount: Decimal
    sourceRepId: Optional[str]
    tierName: Optional[str]
    rateApplied: Optional[Decimal]
    attainment: Optional[Decimal]
    base: Optional[Decimal]
    creditedValue: Optional[Decimal]
    reason: Optional[str]
    provisional: bool
    milestone: Optional[int]
    role: Optional[str]
    idempotencyKey: str
    trace: List[Dict[str, Any]]


class Event(_EventRequired, total=False):
    """One payout line (SPEC §12's event shape). ``currency`` when the document uses FX,
    ``installment`` and ``held`` on the installments of a payout schedule (SPEC §20)."""

    currency: str
    installment: Dict[str, Any]
    held: bool


class RuleBreakdown(TypedDict):
    """One rule's contribution to a deal in the per-deal view."""

    ruleName: str
    planId: Optional[str]
    amount: Optional[Decimal]
    tierName: Optional[str]
    rateApplied: Optional[Decimal]
    attainment: Optional[Decimal]
    rulePeriod: Optional[str]
    skipped: bool
    reason: Optional[str]
    trace: List[Dict[str, Any]]


class DealResult(TypedDict):
    """The per-deal view: one entry per (deal, credited rep)."""

    dealId: str
    dealName: Optional[str]
    dealAmount: Optional[Decimal]
    dealStage: Optional[str]
    repId: str
    repName: str
    period: Optional[str]
    eligible: bool
    commissionTotal: Decimal
    ruleBreakdown: List[RuleBreakdown]


class QuotaStatus(TypedDict):
    """Quota progress of one (rep, plan, rule, period) (SPEC §5)."""

    repId: str
    planId: str
    ruleName: str
    period: str
    target: Decimal
    variableTarget: Optional[Decimal]
    currentValue: Decimal
    attainment: Decimal


class Diagnostic(TypedDict):
    """A skip and its reason (``rep_not_assigned``, ``quota_missing``, ...)."""

    code: str
    dealId: Optional[str]
    repId: Optional[str]
    planId: Optional[str]
    ruleName: Optional[str]
    period: Optional[str]
    message: str


class _SimulateResultRequired(TypedDict):
    """What :func:`compcode.simulate` returns."""

    mode: str
    asOf: str
    period: str
    totalDeals: int
    eligibleDeals: int
    totalCommission: Decimal
    assignedReps: int
    events: List[Event]
    results: List[DealResult]
    quotas: List[QuotaStatus]
    diagnostics: List[Diagnostic]


class SimulateResult(_SimulateResultRequired, total=False):
    """What :func:`compcode.simulate` returns; ``draws`` (SPEC §20) when the document has draws:
    one row per (draw, period) with ``repId, draw, kind, period, earnings, drawAmount, recovery,
    balance, net``."""

    draws: List[Dict[str, Any]]


class _IssueRequired(TypedDict):
    path: str
    code: str
    message: str


class Issue(_IssueRequired, total=False):
    """One validation problem: ``path`` (``plans[0].config.rules[0].tiers[1].rate``), ``code``
    (``invalid_decimal``, ``unknown_field``, ...), ``message``, and for unknown keys a
    ``suggestion``."""

    suggestion: str


class _ValidateRequired(TypedDict):
    valid: bool
    errors: List[Issue]


class ValidateResult(_ValidateRequired, total=False):
    """What :func:`compcode.validate` returns; ``warnings`` (``unknown_field`` for a rule
    measure or condition field outside the document's ``fieldMapping``, SPEC §19) only when
    there are some."""

    warnings: List[Issue]


# --- the orchestrator's results ----------------------------------------------------------------


class RunReport(TypedDict):
    """What one calculation run did (``upsert_deal``, ``delete_deal``, ``reverse_deal``,
    ``recalculate``, ``import_document``): the ``orchestrator.ran`` counters of SPEC §12."""

    outcome: str
    eventsWritten: int
    eventsUpdated: int
    eventsReversed: int
    eventsNoop: int
    eventsLocked: int
    clawbacks: int
    statementLocked: bool
    skipped: List[str]
    changes: Dict[str, Any]


class LedgerEvent(TypedDict):
    """A stored payout line: the current state of one idempotency key (SPEC §12)."""

    idempotencyKey: str
    dealId: Optional[str]
    repId: str
    planId: str
    planVersionId: str
    ruleName: str
    executionPhase: str
    period: str
    amount: Decimal
    tierName: Optional[str]
    rateApplied: Optional[Decimal]
    attainment: Optional[Decimal]
    base: Optional[Decimal]
    milestone: Optional[int]
    sourceRepId: Optional[str]
    role: Optional[str]
    creditDate: str
    status: str
    batchId: Optional[str]
    paidAt: Optional[str]
    held: Optional[Dict[str, Any]]
    referencesPeriod: Optional[str]
    trueUpId: Optional[str]
    trace: List[Dict[str, Any]]


class HistoryRow(TypedDict):
    """One mutation of an event (``event_history``). The amounts are decimal strings."""

    idempotencyKey: str
    change: str
    outcome: str
    oldAmount: Optional[str]
    newAmount: Optional[str]
    at: str


class StatementLine(TypedDict):
    """One line of a statement: ``kind`` is ``event``, ``adjustment``, ``true_up``, ``clawback``,
    ``held`` (an installment not released yet, not in the net), ``draw`` or ``draw_recovery``."""

    kind: str
    key: str
    ruleName: Optional[str]
    dealId: Optional[str]
    dealName: Optional[str]
    tierName: Optional[str]
    rateApplied: Optional[Decimal]
    amount: Decimal
    creditDate: Optional[str]
    referencesPeriod: Optional[str]
    currency: Optional[str]
    reason: Optional[str]


class StatementVersion(TypedDict):
    """One generated snapshot of a statement. ``netPayout`` is a decimal string (not one of the
    ``DECIMAL_FIELDS`` keys): ``Decimal(v["netPayout"])``."""

    version: int
    generatedAt: str
    generatedBy: str
    lines: List[StatementLine]
    netPayout: str


class Statement(TypedDict):
    """A rep's statement for one period with every version generated; ``status`` is ``draft``
    or ``approved``."""

    repId: str
    period: str
    status: str
    versions: List[StatementVersion]
    approvedBy: Optional[str]
    approvedAt: Optional[str]


class TrueUpResult(TypedDict):
    """A true-up call: ``status`` is ``approved``, ``requires_approval``, ``rejected`` or ``none``
    (nothing to true up); ``total`` is a decimal string; the lines land in ``period``."""

    id: str
    repId: str
    referencesPeriod: str
    period: str
    status: str
    total: str
    lines: List[LedgerEvent]


class AuditEntry(TypedDict):
    """One entry of the append-only audit log (SPEC §15)."""

    seq: int
    at: str
    actor: str
    action: str
    targetType: str
    targetId: str
    details: Dict[str, Any]


# --- a repository's records (the host-implemented store) ---------------------------------------


class StoredRecord(TypedDict):
    """A record of a repository: unique ``id`` within its collection, the indexed attributes, the
    ``version`` the store sets (1 for a new record, +1 on every put) and the JSON document
    (str / int / bool / None / list / dict; decimals are strings)."""

    id: str
    repId: Optional[str]
    period: Optional[str]
    dealId: Optional[str]
    version: int
    doc: Any


class RecordQuery(TypedDict):
    """A filter on the indexed attributes: every one that is not None must match."""

    repId: Optional[str]
    period: Optional[str]
    dealId: Optional[str]


class PutWrite(TypedDict):
    """Insert or replace ``record`` (its ``version`` is ignored; the store sets it).
    ``expectedVersion``: ``0`` = must not exist yet, ``n`` = must be at version n (else raise
    :class:`compcode.ConflictError`), None = unconditional."""

    op: Literal["put"]
    collection: str
    record: StoredRecord
    expectedVersion: Optional[int]


class DeleteWrite(TypedDict):
    """Remove a record (a missing one is not an error)."""

    op: Literal["delete"]
    collection: str
    id: str


Write = Union[PutWrite, DeleteWrite]
"""One write of a commit."""


class Repository(Protocol):
    """What :class:`compcode.Orchestrator` needs from a store (the core's ``Repository`` trait).

    Collections are ``settings``, ``reps``, ``plans``, ``assignments``, ``quotas``,
    ``overrides``, ``deals``, ``events``, ``history``, ``statements``, ``adjustments``,
    ``true_ups``, ``comments`` and ``audit``. ``compcode.run_conformance`` checks an
    implementation; ``examples/sqlite3_repository.py`` is one on the standard library's sqlite3.
    """

    def get(self, collection: str, id: str) -> Optional[Mapping[str, Any]]:
        """The record ``id`` of ``collection`` (a :class:`StoredRecord` dict), or None."""
        ...

    def list(self, collection: str, query: RecordQuery) -> Sequence[Mapping[str, Any]]:
        """The records of ``collection`` matching ``query``, ordered by id."""
        ...

    def commit(self, writes: List[Write]) -> None:
        """Apply every write or none (one transaction); a failed ``expectedVersion`` check raises
        :class:`compcode.ConflictError` and changes nothing."""
        ...

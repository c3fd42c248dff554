"""The shapes of compcode's results, as ``TypedDict``\\ s (plain dicts at run time).

They mirror the serde types of ``compcode_core::api`` (``SimulateResult``, ``Event``, ...);
``tests/test_types.py`` checks every fixture's output against them, so they cannot drift.
Decimal fields are :class:`decimal.Decimal`; ``trace`` steps are free-form dicts whose values
are strings, ints, bools or None (plus ``Decimal`` under the ``DECIMAL_FIELDS`` keys).
"""

from decimal import Decimal
from typing import Any, Dict, List, Optional, TypedDict

__all__ = [
    "DealResult",
    "Diagnostic",
    "Event",
    "Issue",
    "QuotaStatus",
    "RuleBreakdown",
    "SimulateResult",
    "ValidateResult",
]


class Event(TypedDict):
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


class SimulateResult(TypedDict):
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


class _IssueRequired(TypedDict):
    path: str
    code: str
    message: str


class Issue(_IssueRequired, total=False):
    """One validation problem: ``path`` (``plans[0].config.rules[0].tiers[1].rate``), ``code``
    (``invalid_decimal``, ``unknown_field``, ...), ``message``, and for unknown keys a
    ``suggestion``."""

    suggestion: str


class ValidateResult(TypedDict):
    """What :func:`compcode.validate` returns."""

    valid: bool
    errors: List[Issue]

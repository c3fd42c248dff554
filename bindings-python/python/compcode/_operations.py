"""The core operations whose names have a dot (``rules_v0.validate`` …), as Python functions
named with an underscore (``rules_v0_validate``). Each is ``run(operation, input)``: plain
Python objects in and out, the same decimal safety and errors as every other function."""

from __future__ import annotations

from typing import Any, Dict

from ._compcode import run


def rules_v0_validate(rules: Any) -> Dict[str, Any]:
    """Validates No-code rules v0 (one rule, or ``{"rules": [...]}``) against the v0 schema:
    ``{"valid", "errors": [{"path", "code", "message"}]}`` listing every violation."""
    out: Dict[str, Any] = run("rules_v0.validate", rules)
    return out


def rules_v0_evaluate(input: Any) -> Dict[str, Any]:
    """Evaluates v0 rules on a context: ``{"rules", "context"}`` → the final ``context``, a
    ``trace`` of every rule and action, and the ids of the rules that ``fired``."""
    out: Dict[str, Any] = run("rules_v0.evaluate", input)
    return out


def formula_evaluate(input: Any) -> Dict[str, Any]:
    """Evaluates a formula in exact decimals: ``{"formula", "context"?}`` → ``{"result",
    "references", "inputs"}``; formula errors raise with ``details["position"]``."""
    out: Dict[str, Any] = run("formula.evaluate", input)
    return out


def commissionflow_import(input: Any) -> Dict[str, Any]:
    """Imports a CommissionFlow plan (``{"plan"}``) as a compcode plan."""
    out: Dict[str, Any] = run("commissionflow.import", input)
    return out


def commissionflow_calculate(input: Any) -> Dict[str, Any]:
    """Calculates CommissionFlow commissions for sales, each with its ``explanation``."""
    out: Dict[str, Any] = run("commissionflow.calculate", input)
    return out


def commissionflow_transition(input: Any) -> Dict[str, Any]:
    """Moves commissions PENDING → APPROVED → PAID (any other step is ``ConflictError``)."""
    out: Dict[str, Any] = run("commissionflow.transition", input)
    return out


def commissionflow_list(input: Any) -> Dict[str, Any]:
    """Filters and paginates commissions (status, userId, startDate, endDate, page, limit)."""
    out: Dict[str, Any] = run("commissionflow.list", input)
    return out


def spark_rate_lookup(input: Any) -> Dict[str, Any]:
    """Spark's ``rates/lookup``: the most specific rate-table row for a sale and participant, with
    ``matchedOn`` (SPEC §9); no match raises ``NotFoundError`` (``details["reason"] == "no_rate"``)."""
    out: Dict[str, Any] = run("spark.rate_lookup", input)
    return out


def spark_allocation_summary(input: Any) -> Dict[str, Any]:
    """Allocation totals by milestone, status and allocation type, and the grand total (SPEC §18.25)."""
    out: Dict[str, Any] = run("spark.allocation_summary", input)
    return out


def spark_goals(input: Any) -> Dict[str, Any]:
    """Goals with progress, days remaining from ``asOf`` and milestones achieved (SPEC §18.26)."""
    out: Dict[str, Any] = run("spark.goals", input)
    return out


def templates(input: Any = None) -> Dict[str, Any]:
    """The starter plan templates of SPEC §19 (AE commission, SPIF, quarterly milestone bonus,
    manager override, Spark solar, CommissionFlow basic): ``{"templates": [{"id", "name",
    "description", "product", "plan"}]}``; ``{"product": "spark"}`` keeps one product's."""
    out: Dict[str, Any] = run("templates", {} if input is None else input)
    return out


def analyze_plan(plan: Any, context: Any = None) -> Dict[str, Any]:
    """Analyzes a plan (SPEC §19): ``{"planId", "findings": [{"code", "severity", "path",
    "message"}], "calibration", "summary"}``. ``context`` is a calculation document without
    plans (reps, assignments, quotas, sample deals) plus ``fieldMapping``, ``referenceQuota``,
    ``referenceVariableTarget`` and ``calibrationDeal``. The calibration's money stays a string."""
    input: Dict[str, Any] = {"plan": plan}
    if context is not None:
        input["context"] = context
    out: Dict[str, Any] = run("analyze_plan", input)
    return out


def diff_plans(
    document: Any, version_a: Any = None, version_b: Any = None, top: Any = None, plan_id: Any = None
) -> Dict[str, Any]:
    """Plan-change impact (SPEC §19): simulates ``document`` under plan version ``version_a``, then
    ``version_b`` (``planVersionId``s of one plan, or dates naming the version in force in plan
    ``plan_id``) and returns ``{"total", "reps", "deals",
    "changedDeals"}`` with ``old``, ``new`` and ``delta`` as money strings; ``deals`` are the ``top``
    (default 10) most changed deals."""
    input: Dict[str, Any] = {"document": document}
    if version_a is not None:
        input["versionA"] = version_a
    if version_b is not None:
        input["versionB"] = version_b
    if top is not None:
        input["top"] = top
    if plan_id is not None:
        input["planId"] = plan_id
    out: Dict[str, Any] = run("diff_plans", input)
    return out


def draws_compute(input: Any) -> Dict[str, Any]:
    """Draws and guarantees over given earnings (SPEC §20): ``{"draws", "earnings": [{"repId",
    "period", "amount"}], "settings"?}`` → ``{"draws": [{"repId", "draw", "kind", "period",
    "earnings", "drawAmount", "recovery", "balance", "net"}]}`` (money as decimal strings)."""
    out: Dict[str, Any] = run("draws.compute", input)
    return out


def amortization_schedule(input: Any) -> Dict[str, Any]:
    """Commission expense amortization (SPEC §20): ``{"lines": [{"id"?, "amount", "creditDate",
    "repId"?, "currency"?}], "policy": {"months", "start"?: "credit_month" | "next_month"},
    "settings"?}`` → ``{"lines", "byMonth", "total"}``; each month rounded, the last takes the
    remainder."""
    out: Dict[str, Any] = run("amortization.schedule", input)
    return out


def amortization_csv(input: Any) -> Dict[str, Any]:
    """The amortization schedule as CSV: the same input → ``{"csv"}`` (``lineId,repId,month,amount,
    currency`` rows, a ``total`` row per month, a ``grand_total`` row per currency)."""
    out: Dict[str, Any] = run("amortization.csv", input)
    return out


def crm_hubspot_deal(input: Any) -> Dict[str, Any]:
    """A HubSpot CRM v3 deal object → a deal snapshot: ``{"deal", "mapping": {slug: property}}``
    (SPEC §19); a mapped property the deal lacks raises ``ValidationError`` naming its path."""
    out: Dict[str, Any] = run("crm.hubspot.deal", input)
    return out


def crm_hubspot_webhook(input: Any) -> Dict[str, Any]:
    """A HubSpot webhook batch → deal changes (upsert, owner_change, delete, ignored) and the final
    snapshots: ``{"events", "mapping", "deals"?}``; all or nothing (SPEC §19)."""
    out: Dict[str, Any] = run("crm.hubspot.webhook", input)
    return out


def crm_attio_record(input: Any) -> Dict[str, Any]:
    """An Attio record (typed value lists) → a deal snapshot: ``{"record", "mapping"}`` (SPEC §19)."""
    out: Dict[str, Any] = run("crm.attio.record", input)
    return out


def crm_attio_webhook(input: Any) -> Dict[str, Any]:
    """An Attio webhook delivery → deal changes: ``{"payload", "mapping", "records"?, "deals"?,
    "objectId"?}``; the host passes the fetched records by id; all or nothing (SPEC §19)."""
    out: Dict[str, Any] = run("crm.attio.webhook", input)
    return out


def crm_attributes(input: Any) -> Dict[str, Any]:
    """The field catalogue of a CRM schema payload (HubSpot properties or Attio attributes):
    ``{"provider", "attributes": [{"slug", "label", "type", "options"}]}`` (SPEC §19)."""
    out: Dict[str, Any] = run("crm.attributes", input)
    return out


def crm_auto_match(input: Any) -> Dict[str, Any]:
    """Proposes a mapping for the canonical slugs from ``{"attributes"}`` (or ``{"schema"}``):
    ``{"mapping", "proposals": [{"slug", "attribute", "label", "confidence"}], "unmatched"}``."""
    out: Dict[str, Any] = run("crm.auto_match", input)
    return out

"""``compcode.Orchestrator``: the native orchestrator plus one typed method per workflow.

Every method is a thin wrapper of :meth:`Orchestrator.call` (the native dispatcher,
``compcode_core::orchestrator::Orchestrator::call``): it names the workflow, puts its
arguments where the dispatcher reads them, and types the answer. ``tests/test_orchestrator.py``
checks that the methods cover :data:`compcode.WORKFLOWS` exactly.

``actor`` is a rep id whose role is read from the store (None = the host itself, trusted like
an admin); ``at`` is the date the workflow runs as of (``datetime.date`` or ``"YYYY-MM-DD"``;
compcode never reads the clock). Mappings may hold ``Decimal``, ``int``, ``str``, ``date``;
floats are refused.
"""

from __future__ import annotations

import datetime
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union, cast

from ._compcode import Orchestrator as _NativeOrchestrator
from ._types import (
    AuditEntry,
    HistoryRow,
    LedgerEvent,
    RunReport,
    SimulateResult,
    Statement,
    TrueUpResult,
)

DateLike = Union[datetime.date, str]
"""A ``datetime.date`` or a ``"YYYY-MM-DD"`` string."""

__all__ = ["DateLike", "Orchestrator"]


def _args(**kv: Any) -> Dict[str, Any]:
    """The workflow arguments without the ones left out (None)."""
    return {k: v for k, v in kv.items() if v is not None}


def _str_list(value: Any, name: str) -> Any:
    """A list or tuple of ids handed to the engine as it is, like every other argument: never
    iterated here, so a host object's own exception cannot escape unwrapped (the engine's
    conversion reports it), and a lone ``str`` is not split into one-character ids. Anything
    else is a ``TypeError``."""
    if isinstance(value, (list, tuple)):
        return value
    raise TypeError(f"`{name}` must be a list or tuple of str, not {type(value).__name__}")


class Orchestrator(_NativeOrchestrator):
    """CompCode's workflows over a repository (SPEC §12–§17).

    ``repository`` is a :class:`compcode.MemoryRepository`, a :class:`compcode.SqliteRepository`,
    or any object with ``get``, ``list`` and ``commit`` (:class:`compcode.Repository`). Each
    workflow reads what it needs, computes with the engine and commits all of its writes in one
    ``commit``; a :class:`compcode.ConflictError` raised by the store makes it recompute and
    retry. ``call(name, args, actor=..., at=...)`` runs any workflow by name; the methods below
    are typed shortcuts for each one.

    >>> import compcode
    >>> o = compcode.Orchestrator(compcode.MemoryRepository())
    >>> o.upsert_rep({"id": "ada", "name": "Ada", "role": "admin"}, at="2026-01-02")
    >>> [e["action"] for e in o.audit_log(actor="ada", at="2026-01-02")]
    ['rep.created']
    """

    # --- settings, reps ----------------------------------------------------------------------

    def put_settings(self, settings: Mapping[str, Any], *, actor: Optional[str] = None, at: DateLike) -> None:
        """Store the workspace settings (SPEC §1, §2, §4, §13). Admin only."""
        self.call("put_settings", {"settings": settings}, actor=actor, at=at)

    def upsert_rep(self, rep: Mapping[str, Any], *, actor: Optional[str] = None, at: DateLike) -> None:
        """Create or replace a rep (``{"id", "name", "email"?, "role"?, "managerId"?, ...}``).
        Admin only (or the host, to bootstrap)."""
        self.call("upsert_rep", {"rep": rep}, actor=actor, at=at)

    # --- plans ---------------------------------------------------------------------------------

    def create_plan(self, plan: Mapping[str, Any], *, actor: Optional[str] = None, at: DateLike) -> Dict[str, Any]:
        """Create a plan (``{"planId"?, "name", "effectiveStart", "config"}``); returns the stored
        plan with its first version ``<planId>:v1``. Admin only."""
        return cast(Dict[str, Any], self.call("create_plan", {"plan": plan}, actor=actor, at=at))

    def update_plan(
        self, plan_id: str, body: Mapping[str, Any], *, actor: Optional[str] = None, at: DateLike
    ) -> Dict[str, Any]:
        """Add a plan version (``{"config", "effectiveStart"?, "changeMessage"?, "name"?}``);
        returns the stored plan. Admin only."""
        return cast(Dict[str, Any], self.call("update_plan", {"planId": plan_id, "body": body}, actor=actor, at=at))

    def plan_history(self, plan_id: str, *, actor: Optional[str] = None, at: DateLike) -> List[Dict[str, Any]]:
        """A plan's versions, oldest first. Admin only."""
        return cast(List[Dict[str, Any]], self.call("plan_history", {"planId": plan_id}, actor=actor, at=at))

    def archive_plan(self, plan_id: str, *, actor: Optional[str] = None, at: DateLike) -> None:
        """Archive a plan (it pays nothing until reactivated). Admin only."""
        self.call("archive_plan", {"planId": plan_id}, actor=actor, at=at)

    def reactivate_plan(self, plan_id: str, *, actor: Optional[str] = None, at: DateLike) -> None:
        """Reactivate an archived plan. Admin only."""
        self.call("reactivate_plan", {"planId": plan_id}, actor=actor, at=at)

    def delete_plan(self, plan_id: str, *, actor: Optional[str] = None, at: DateLike) -> None:
        """Delete a plan; ``ConflictError`` while reps are assigned to it. Admin only."""
        self.call("delete_plan", {"planId": plan_id}, actor=actor, at=at)

    # --- assignments, quotas, overrides --------------------------------------------------------

    def assign(self, body: Mapping[str, Any], *, actor: Optional[str] = None, at: DateLike) -> None:
        """Assign reps to a plan (``{"repIds", "planId", "effectiveStart", "effectiveEnd"?}``).
        Admin only."""
        self.call("assign", {"body": body}, actor=actor, at=at)

    def unassign(self, rep_id: str, plan_id: str, *, actor: Optional[str] = None, at: DateLike) -> int:
        """Remove a rep's assignments to a plan; returns how many were removed. Admin only."""
        return cast(int, self.call("unassign", {"repId": rep_id, "planId": plan_id}, actor=actor, at=at))

    def set_quota(self, body: Mapping[str, Any], *, actor: Optional[str] = None, at: DateLike) -> None:
        """Set quotas (``{"repIds", "planRuleId" | "measure", "period", "target", "prorate"?, ...}``).
        Admin only."""
        self.call("set_quota", {"body": body}, actor=actor, at=at)

    def delete_quota(self, rep_id: str, rule: str, period: str, *, actor: Optional[str] = None, at: DateLike) -> int:
        """Delete a rep's quota for a rule reference and period; returns how many. Admin only."""
        args = {"repId": rep_id, "rule": rule, "period": period}
        return cast(int, self.call("delete_quota", args, actor=actor, at=at))

    def set_override(self, body: Mapping[str, Any], *, actor: Optional[str] = None, at: DateLike) -> None:
        """Set a per-rep tier override (``{"planVersionId", "repId", "ruleName", ...}``). Admin only."""
        self.call("set_override", {"body": body}, actor=actor, at=at)

    def delete_override(
        self, plan_version_id: str, rep_id: str, rule_name: str, *, actor: Optional[str] = None, at: DateLike
    ) -> None:
        """Delete a per-rep tier override. Admin only."""
        args = {"planVersionId": plan_version_id, "repId": rep_id, "ruleName": rule_name}
        self.call("delete_override", args, actor=actor, at=at)

    def import_document(
        self, document: Mapping[str, Any], *, actor: Optional[str] = None, at: DateLike
    ) -> RunReport:
        """Import a whole calculation document (SPEC §0.1: settings, reps, plans, assignments,
        quotas, overrides, deals) — validated first, nothing written when it has a problem —
        then recalculate everything as of ``at``. Admin only. (Workflow ``import``.)"""
        return cast(RunReport, self.call("import", {"document": document}, actor=actor, at=at))

    # --- deals and runs ------------------------------------------------------------------------

    def upsert_deal(self, deal: Mapping[str, Any], *, actor: Optional[str] = None, at: DateLike) -> RunReport:
        """A CRM snapshot arrived (webhook or sync): store it and recalculate what it touches.
        After approval, the locked lines are held (``statementLocked``) for a true-up."""
        return cast(RunReport, self.call("upsert_deal", {"deal": deal}, actor=actor, at=at))

    def delete_deal(self, deal_id: str, *, actor: Optional[str] = None, at: DateLike) -> RunReport:
        """The CRM deleted the deal: reverse its events and soft-delete the snapshot."""
        return cast(RunReport, self.call("delete_deal", {"dealId": deal_id}, actor=actor, at=at))

    def reverse_deal(self, deal_id: str, *, actor: Optional[str] = None, at: DateLike) -> RunReport:
        """Reverse a deal by hand (audited as ``manual_reverse``). Admin only."""
        return cast(RunReport, self.call("reverse_deal", {"dealId": deal_id}, actor=actor, at=at))

    def recalculate(
        self, plan_id: Optional[str] = None, *, actor: Optional[str] = None, at: DateLike
    ) -> RunReport:
        """Recalculate everything (or one plan's lines) and reconcile the ledger. Admin only."""
        return cast(RunReport, self.call("recalculate", _args(planId=plan_id), actor=actor, at=at))

    def simulate(
        self,
        scope: Optional[Mapping[str, Any]] = None,
        options: Optional[Mapping[str, Any]] = None,
        *,
        actor: Optional[str] = None,
        at: DateLike,
    ) -> SimulateResult:
        """Simulate on the stored state (``scope``: ``{"planId"?, "period"?, "repIds"?}``);
        writes nothing. Admin only."""
        args = _args(scope=scope, options=options)
        return cast(SimulateResult, self.call("simulate", args, actor=actor, at=at))

    def events(
        self,
        rep_id: Optional[str] = None,
        period: Optional[str] = None,
        *,
        actor: Optional[str] = None,
        at: DateLike,
    ) -> List[LedgerEvent]:
        """Stored events, optionally of one rep and period. Reps read their own, managers their
        team's, admins all."""
        args = _args(repId=rep_id, period=period)
        return cast(List[LedgerEvent], self.call("events", args, actor=actor, at=at))

    def event_history(self, key: str, *, actor: Optional[str] = None, at: DateLike) -> List[HistoryRow]:
        """The history rows of one event key, oldest first."""
        return cast(List[HistoryRow], self.call("event_history", {"key": key}, actor=actor, at=at))

    def mark_paid(self, keys: Sequence[str], *, actor: Optional[str] = None, at: DateLike) -> int:
        """Mark lines paid (SPEC §18.11); returns how many. Admin only."""
        return cast(int, self.call("mark_paid", {"keys": _str_list(keys, "keys")}, actor=actor, at=at))

    # --- statements ----------------------------------------------------------------------------

    def generate_statement(
        self, rep_id: str, period: str, *, actor: Optional[str] = None, at: DateLike
    ) -> Statement:
        """Generate (or return the unchanged current) statement version. A manager above the rep
        or an admin; ``statement_locked`` once approved."""
        args = {"repId": rep_id, "period": period}
        return cast(Statement, self.call("generate_statement", args, actor=actor, at=at))

    def get_statement(self, rep_id: str, period: str, *, actor: Optional[str] = None, at: DateLike) -> Statement:
        """A statement with every version generated."""
        args = {"repId": rep_id, "period": period}
        return cast(Statement, self.call("get_statement", args, actor=actor, at=at))

    def approve_statement(
        self, rep_id: str, period: str, *, actor: Optional[str] = None, at: DateLike
    ) -> Statement:
        """Approve a statement: the period locks and its lines become APPROVED."""
        args = {"repId": rep_id, "period": period}
        return cast(Statement, self.call("approve_statement", args, actor=actor, at=at))

    def revert_statement(
        self, rep_id: str, period: str, *, actor: Optional[str] = None, at: DateLike
    ) -> Statement:
        """Revert an approved statement to draft (its lines go back to PENDING)."""
        args = {"repId": rep_id, "period": period}
        return cast(Statement, self.call("revert_statement", args, actor=actor, at=at))

    def adjust(
        self,
        rep_id: str,
        period: str,
        amount: Any,
        reason: str,
        *,
        actor: Optional[str] = None,
        at: DateLike,
    ) -> Dict[str, Any]:
        """A manual adjustment (``amount`` a ``Decimal``, ``int`` or decimal string; negative =
        a deduction) with a reason; ``statement_locked`` once approved. Admin only."""
        args = {"repId": rep_id, "period": period, "amount": amount, "reason": reason}
        return cast(Dict[str, Any], self.call("adjust", args, actor=actor, at=at))

    def true_up(self, rep_id: str, period: str, *, actor: Optional[str] = None, at: DateLike) -> TrueUpResult:
        """Turn the changes held on an approved period into true-up lines in the next open period;
        above the workspace threshold the call ``requires_approval``."""
        args = {"repId": rep_id, "period": period}
        return cast(TrueUpResult, self.call("true_up", args, actor=actor, at=at))

    def decide_true_up(
        self, id: str, approve: bool, *, actor: Optional[str] = None, at: DateLike
    ) -> Dict[str, Any]:
        """Approve or reject a true-up that ``requires_approval``; returns the stored call."""
        return cast(Dict[str, Any], self.call("decide_true_up", {"id": id, "approve": approve}, actor=actor, at=at))

    def add_comment(
        self,
        rep_id: str,
        period: str,
        text: str,
        line_key: Optional[str] = None,
        *,
        actor: Optional[str] = None,
        at: DateLike,
    ) -> Dict[str, Any]:
        """Comment on a statement (or one line of it); returns the comment."""
        args = _args(repId=rep_id, period=period, text=text, lineKey=line_key)
        return cast(Dict[str, Any], self.call("add_comment", args, actor=actor, at=at))

    def comments(
        self, rep_id: str, period: str, *, actor: Optional[str] = None, at: DateLike
    ) -> List[Dict[str, Any]]:
        """The comments on a statement, oldest first."""
        args = {"repId": rep_id, "period": period}
        return cast(List[Dict[str, Any]], self.call("comments", args, actor=actor, at=at))

    def delete_comment(self, id: str, *, actor: Optional[str] = None, at: DateLike) -> None:
        """Delete a comment (its author or an admin)."""
        self.call("delete_comment", {"id": id}, actor=actor, at=at)

    def export_statement(
        self, rep_id: str, period: str, format: str = "csv", *, actor: Optional[str] = None, at: DateLike
    ) -> str:
        """A statement's lines for payroll as CSV (default) or JSON text: one row per line, then a
        ``net`` row per currency."""
        args = {"repId": rep_id, "period": period, "format": format}
        return cast(str, self.call("export_statement", args, actor=actor, at=at))

    # --- audit, state ----------------------------------------------------------------------------

    def audit_log(
        self, action: Optional[str] = None, *, actor: Optional[str] = None, at: DateLike
    ) -> List[AuditEntry]:
        """The audit log, oldest first, optionally one action only. Admin only."""
        return cast(List[AuditEntry], self.call("audit_log", _args(action=action), actor=actor, at=at))

    def state_document(self, *, actor: Optional[str] = None, at: DateLike) -> Dict[str, Any]:
        """The stored state as a calculation document (SPEC §0.1) as of ``at``. Admin only."""
        return cast(Dict[str, Any], self.call("state_document", None, actor=actor, at=at))

    # --- Spark: sales, payroll batches, clawbacks, summaries, goals (SPEC §9, §14) ------------

    def cancel_sale(
        self,
        deal_id: str,
        reason: Optional[str] = None,
        cancelled_at: Optional[str] = None,
        *,
        actor: Optional[str] = None,
        at: DateLike,
    ) -> RunReport:
        """Cancel a sale: unpaid allocations are reversed, paid ones clawed back (respecting
        ``clawbackWindowDays``). Admin or the host."""
        args = _args(dealId=deal_id, reason=reason, cancelledAt=cancelled_at)
        return cast(RunReport, self.call("cancel_sale", args, actor=actor, at=at))

    def recalculate_sale(self, deal_id: str, *, actor: Optional[str] = None, at: DateLike) -> RunReport:
        """Recalculate one sale, keeping what is paid. Admin or the host."""
        return cast(RunReport, self.call("recalculate_sale", {"dealId": deal_id}, actor=actor, at=at))

    def sale(self, deal_id: str, *, actor: Optional[str] = None, at: DateLike) -> Dict[str, Any]:
        """A sale with its allocations, overrides and clawbacks (Spark's sale detail)."""
        return cast(Dict[str, Any], self.call("sale", {"dealId": deal_id}, actor=actor, at=at))

    def create_batch(self, batch: Mapping[str, Any], *, actor: Optional[str] = None, at: DateLike) -> Dict[str, Any]:
        """Create a DRAFT payroll batch from filters (``payPeriodEnd``, ``payDate``,
        ``projectTypeIds``?, ``includeClawbacks``?). Admin only."""
        return cast(Dict[str, Any], self.call("create_batch", {"batch": batch}, actor=actor, at=at))

    def get_batch(self, batch_id: str, *, actor: Optional[str] = None, at: DateLike) -> Dict[str, Any]:
        """A payroll batch with its payouts and lines. Admin only."""
        return cast(Dict[str, Any], self.call("get_batch", {"batchId": batch_id}, actor=actor, at=at))

    def list_batches(
        self, filters: Optional[Mapping[str, Any]] = None, *, actor: Optional[str] = None, at: DateLike
    ) -> List[Dict[str, Any]]:
        """Payroll batches, optionally by ``status``, ``startDate``, ``endDate``. Admin only."""
        return cast(List[Dict[str, Any]], self.call("list_batches", {} if filters is None else filters, actor=actor, at=at))

    def submit_batch(self, batch_id: str, *, actor: Optional[str] = None, at: DateLike) -> Dict[str, Any]:
        """DRAFT → SUBMITTED (any other move is :class:`compcode.ConflictError`). Admin only."""
        return cast(Dict[str, Any], self.call("submit_batch", {"batchId": batch_id}, actor=actor, at=at))

    def approve_batch(self, batch_id: str, *, actor: Optional[str] = None, at: DateLike) -> Dict[str, Any]:
        """SUBMITTED → APPROVED. Admin only."""
        return cast(Dict[str, Any], self.call("approve_batch", {"batchId": batch_id}, actor=actor, at=at))

    def export_batch(self, batch_id: str, *, actor: Optional[str] = None, at: DateLike) -> Dict[str, Any]:
        """APPROVED → EXPORTED, with the batch's CSV. Admin only."""
        return cast(Dict[str, Any], self.call("export_batch", {"batchId": batch_id}, actor=actor, at=at))

    def mark_batch_paid(self, batch_id: str, *, actor: Optional[str] = None, at: DateLike) -> Dict[str, Any]:
        """EXPORTED → PAID: every line becomes PAID; a negative net is carried forward. Admin only."""
        return cast(Dict[str, Any], self.call("mark_batch_paid", {"batchId": batch_id}, actor=actor, at=at))

    def batch_csv(self, batch_id: str, *, actor: Optional[str] = None, at: DateLike) -> str:
        """The batch's payroll CSV. Admin only."""
        return cast(str, self.call("batch_csv", {"batchId": batch_id}, actor=actor, at=at))

    def clawbacks(
        self, filters: Optional[Mapping[str, Any]] = None, *, actor: Optional[str] = None, at: DateLike
    ) -> List[Dict[str, Any]]:
        """Clawback lines (``userId``, ``dealId``, ``isProcessed``, ``startDate``, ``endDate``)."""
        return cast(List[Dict[str, Any]], self.call("clawbacks", {} if filters is None else filters, actor=actor, at=at))

    def process_clawback(self, id: str, *, actor: Optional[str] = None, at: DateLike) -> Any:
        """Mark one clawback processed. Admin only."""
        return self.call("process_clawback", {"id": id}, actor=actor, at=at)

    def process_clawbacks(self, ids: Sequence[str], *, actor: Optional[str] = None, at: DateLike) -> Any:
        """Mark several clawbacks processed, all or nothing. Admin only."""
        return self.call("process_clawbacks", {"ids": _str_list(ids, "ids")}, actor=actor, at=at)

    def allocation_summary(
        self, filters: Optional[Mapping[str, Any]] = None, *, actor: Optional[str] = None, at: DateLike
    ) -> Dict[str, Any]:
        """Allocation totals by milestone, status and allocation type, and the grand total."""
        return cast(Dict[str, Any], self.call("allocation_summary", {} if filters is None else filters, actor=actor, at=at))

    def set_goal(self, goal: Mapping[str, Any], *, actor: Optional[str] = None, at: DateLike) -> Dict[str, Any]:
        """Create or replace a goal (SPEC §18.26). Admin only."""
        return cast(Dict[str, Any], self.call("set_goal", {"goal": goal}, actor=actor, at=at))

    def delete_goal(self, goal_id: str, *, actor: Optional[str] = None, at: DateLike) -> Any:
        """Delete a goal. Admin only."""
        return self.call("delete_goal", {"goalId": goal_id}, actor=actor, at=at)

    def goals(
        self,
        user_id: Optional[str] = None,
        goal_id: Optional[str] = None,
        *,
        actor: Optional[str] = None,
        at: DateLike,
    ) -> Dict[str, Any]:
        """Goals with progress, days remaining from ``at`` and milestones achieved."""
        return cast(Dict[str, Any], self.call("goals", _args(userId=user_id, goalId=goal_id), actor=actor, at=at))

    # --- SPEC §19: CRM webhooks, read models, maintenance

    def crm_webhook(
        self,
        provider: str,
        mapping: Mapping[str, str],
        batch: Any,
        records: Optional[Mapping[str, Any]] = None,
        object_id: Optional[str] = None,
        *,
        actor: Optional[str] = None,
        at: DateLike,
    ) -> Dict[str, Any]:
        """Take a CRM webhook batch directly (SPEC §19): ``provider`` ``"hubspot"`` (``batch`` = the
        event list or the raw body) or ``"attio"`` (``batch`` = the delivery, ``records`` = the
        fetched records by id, ``object_id`` = the deals object). Converted all or nothing, then one
        deal run per deal. Admin or the host."""
        key = "events" if provider == "hubspot" else "payload"
        args = _args(provider=provider, mapping=mapping, records=records, objectId=object_id)
        args[key] = batch
        return cast(Dict[str, Any], self.call("crm_webhook", args, actor=actor, at=at))

    def rep_dashboard(
        self, rep_id: str, period: Optional[str] = None, *, actor: Optional[str] = None, at: DateLike
    ) -> Dict[str, Any]:
        """A rep's dashboard: totalEarnings, dealsClosed, attainment and per-plan deal breakdown."""
        return cast(Dict[str, Any], self.call("rep_dashboard", _args(repId=rep_id, period=period), actor=actor, at=at))

    def team_summary(self, period: Optional[str] = None, *, actor: Optional[str] = None, at: DateLike) -> Dict[str, Any]:
        """One row per rep of the actor's team (managers) or of the workspace (admins); reps are refused."""
        return cast(Dict[str, Any], self.call("team_summary", _args(period=period), actor=actor, at=at))

    def commission_periods(
        self, rep_id: Optional[str] = None, *, actor: Optional[str] = None, at: DateLike
    ) -> Dict[str, Any]:
        """The periods with commission data the actor may read (one rep's with ``rep_id``)."""
        return cast(Dict[str, Any], self.call("commission_periods", _args(repId=rep_id), actor=actor, at=at))

    def deal_list(
        self, filters: Optional[Mapping[str, Any]] = None, *, actor: Optional[str] = None, at: DateLike
    ) -> Dict[str, Any]:
        """Deal snapshots filtered by ``ownerRepId``, ``stage`` and ``period`` (of the close date)."""
        # passed as given: the engine reads it and names what is wrong (``dict(garbage)`` would raise
        # a bare ValueError before the engine could)
        return cast(Dict[str, Any], self.call("deal_list", {} if filters is None else filters, actor=actor, at=at))

    def cleanup(self, *, actor: Optional[str] = None, at: DateLike) -> Dict[str, Any]:
        """Reverse live lines whose deal, plan or rule no longer exists; locked lines are counted, untouched. Admin only."""
        return cast(Dict[str, Any], self.call("cleanup", {}, actor=actor, at=at))

    def reset(self, *, actor: Optional[str] = None, at: DateLike) -> Dict[str, Any]:
        """Wipe the unlocked calculated lines and the unreferenced deal snapshots. Admin only, audited."""
        return cast(Dict[str, Any], self.call("reset", {}, actor=actor, at=at))

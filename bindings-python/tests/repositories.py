"""Host stores for the tests: a pure-Python dict store, a forwarding wrapper, the sqlite3 example,
and a month-end scenario (the seed's "close the month" recipe) to run on any of them."""

from __future__ import annotations

import sys
from collections import Counter
from decimal import Decimal
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence

import compcode
from helpers import EXAMPLES

sys.path.insert(0, str(EXAMPLES))
from sqlite3_repository import Sqlite3Repository  # noqa: E402

__all__ = ["DictRepository", "Forwarding", "Sqlite3Repository", "DOCUMENT", "close_the_month"]


class DictRepository:
    """The simplest correct store: one dict per collection; a commit is applied to a copy that
    replaces the data only when every write went through (so a conflict changes nothing)."""

    def __init__(self) -> None:
        self.data: Dict[str, Dict[str, compcode.StoredRecord]] = {}
        self.commits = 0

    def get(self, collection: str, id: str) -> Optional[compcode.StoredRecord]:
        return self.data.get(collection, {}).get(id)

    def list(self, collection: str, query: compcode.RecordQuery) -> List[compcode.StoredRecord]:
        def wanted(r: compcode.StoredRecord) -> bool:
            pairs = ((query["repId"], r["repId"]), (query["period"], r["period"]), (query["dealId"], r["dealId"]))
            return all(want is None or have == want for want, have in pairs)

        rows = self.data.get(collection, {})
        return [rows[k] for k in sorted(rows) if wanted(rows[k])]

    def commit(self, writes: Sequence[compcode.Write]) -> None:
        data = {c: dict(rows) for c, rows in self.data.items()}
        for w in writes:
            rows = data.setdefault(w["collection"], {})
            if w["op"] == "delete":
                rows.pop(w["id"], None)
                continue
            rec = w["record"]
            found = rows[rec["id"]]["version"] if rec["id"] in rows else 0
            if w["expectedVersion"] is not None and w["expectedVersion"] != found:
                raise compcode.ConflictError(f"{w['collection']} {rec['id']}: expected {w['expectedVersion']}, found {found}")
            rows[rec["id"]] = {**rec, "version": found + 1}
        self.data = data
        self.commits += 1


class Forwarding:
    """A Python store that forwards to another one (a built-in, through its Python methods),
    counting the calls: the adapter's dicts go out and come back in."""

    def __init__(self, inner: compcode.Repository) -> None:
        self.inner = inner
        self.calls: Counter[str] = Counter()

    def get(self, collection: str, id: str) -> Optional[Mapping[str, Any]]:
        self.calls["get"] += 1
        return self.inner.get(collection, id)

    def list(self, collection: str, query: compcode.RecordQuery) -> Sequence[Mapping[str, Any]]:
        self.calls["list"] += 1
        return self.inner.list(collection, query)

    def commit(self, writes: List[compcode.Write]) -> None:
        self.calls["commit"] += 1
        self.inner.commit(writes)


def _rate(x: str) -> Decimal:
    return Decimal(x)


DOCUMENT: Dict[str, Any] = {
    "asOf": "2026-04-01",
    "reps": [
        {"id": "admin", "name": "Ada Admin", "email": "ada@example.com", "role": "admin"},
        {"id": "mgr", "name": "Morgan", "email": "mgr@example.com", "role": "manager"},
        {"id": "alice", "name": "Alice", "email": "alice@example.com", "managerId": "mgr"},
        {"id": "bob", "name": "Bob", "email": "bob@example.com", "managerId": "mgr"},
    ],
    "plans": [
        {
            "planId": "ae-plan-2026",
            "name": "AE Plan 2026",
            "effectiveStart": "2026-01-01",
            "config": {
                "rules": [
                    {
                        "name": "Revenue Commission",
                        "measure": "closed_won_revenue",
                        "executionPhase": "per_deal",
                        "attainmentPeriod": "quarterly",
                        "tierBy": "attainment",
                        "tierMode": "full_rate",
                        "tiers": [
                            {"tierIndex": 0, "name": "Base", "minThreshold": 0, "rate": _rate("0.08")},
                            {"tierIndex": 1, "name": "On Target", "minThreshold": _rate("1.0"), "rate": _rate("0.10")},
                            {"tierIndex": 2, "name": "Accelerator", "minThreshold": _rate("1.25"), "rate": _rate("0.14")},
                        ],
                    }
                ]
            },
        }
    ],
    "assignments": [{"repId": "alice", "planId": "ae-plan-2026", "effectiveStart": "2026-01-01"}],
    "quotas": [
        {"repId": "alice", "planId": "ae-plan-2026", "ruleName": "Revenue Commission", "period": "2026-Q1",
         "target": 500000, "variableTarget": 25000}
    ],  # fmt: skip
    "deals": [
        {"id": "D1", "name": "Deal D1", "stage": "closed_won", "amount": "200000", "closeDate": "2026-01-10",
         "ownerRepId": "alice"},
        {"id": "D2", "name": "Deal D2", "stage": "closed_won", "amount": Decimal("100000"),
         "closeDate": "2026-02-10", "ownerRepId": "alice"},
    ],  # fmt: skip
}


def close_the_month(o: compcode.Orchestrator, check: Callable[[str, Any], None] = lambda _k, _v: None) -> Dict[str, Any]:
    """The seed's "close the month" recipe, from an imported document: generate + approve the
    Q1 statement, a webhook after approval is held (`statementLocked`), a true-up above the
    threshold `requires_approval`, approved into Q2, both statements exported as CSV. Returns
    every answer by step (and hands each to `check`)."""
    out: Dict[str, Any] = {}

    def keep(k: str, v: Any) -> Any:
        out[k] = v
        check(k, v)
        return v

    keep("import", o.import_document(DOCUMENT, at="2026-04-01"))
    keep("generate", o.generate_statement("alice", "2026-Q1", actor="mgr", at="2026-04-01"))
    keep("approve", o.approve_statement("alice", "2026-Q1", actor="mgr", at="2026-04-01"))
    d2 = dict(DOCUMENT["deals"][1], amount="110000")
    keep("late_webhook", o.upsert_deal(d2, at="2026-04-03"))
    keep("true_up", o.true_up("alice", "2026-Q1", actor="mgr", at="2026-04-03"))
    keep("decide", o.decide_true_up(out["true_up"]["id"], True, actor="mgr", at="2026-04-04"))
    keep("q1_csv", o.export_statement("alice", "2026-Q1", actor="admin", at="2026-04-04"))
    keep("q2_csv", o.export_statement("alice", "2026-Q2", actor="admin", at="2026-04-04"))
    keep("events", o.events("alice", actor="admin", at="2026-04-04"))
    keep("history", o.event_history(out["events"][0]["idempotencyKey"], actor="admin", at="2026-04-04"))
    keep("audit", o.audit_log(actor="admin", at="2026-04-04"))
    return out

"""End to end: the seed's "close the month" recipe through compcode.Orchestrator on the sqlite3
example store (a database file), then the same answers on every other store."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Dict, List

import compcode
import pytest
from helpers import conforms
from repositories import DictRepository, Forwarding, Sqlite3Repository, close_the_month

NET_Q2 = "alice,Alice,alice@example.com,2026-Q2,net,,,,,,800.00,\n"


def test_close_the_month_on_a_sqlite3_database(tmp_path: Path) -> None:
    db = tmp_path / "payroll.db"
    with Sqlite3Repository(db) as repo:
        o = compcode.Orchestrator(repo)
        out = close_the_month(o)

        imported = out["import"]
        assert (imported["outcome"], imported["eventsWritten"], imported["statementLocked"]) == ("processed", 2, False)
        st = out["generate"]
        assert (st["status"], st["versions"][0]["netPayout"]) == ("draft", "24000.00")
        assert [(line["dealId"], line["amount"]) for line in st["versions"][0]["lines"]] == [
            ("D1", Decimal("16000.00")),
            ("D2", Decimal("8000.00")),
        ]
        assert (out["approve"]["status"], out["approve"]["approvedBy"]) == ("approved", "mgr")

        # a webhook after approval: D2 grows to 110000; the approved lines are held, not changed
        late = out["late_webhook"]
        assert (late["statementLocked"], late["eventsLocked"], late["eventsUpdated"]) == (True, 2, 0)
        q1 = [e for e in out["events"] if e["period"] == "2026-Q1"]
        assert [(e["dealId"], e["amount"], e["status"]) for e in q1] == [
            ("D1", Decimal("16000.00"), "APPROVED"),
            ("D2", Decimal("8000.00"), "APPROVED"),
        ]
        with pytest.raises(compcode.ConflictError) as locked:
            o.adjust("alice", "2026-Q1", "500", "spiff", actor="admin", at="2026-04-03")
        assert (locked.value.code, locked.value.status) == ("statement_locked", 409)

        # the true-up: 110000 × 0.08 − 8000 = 800 > the 500 threshold → requires approval, lands in Q2
        tu = out["true_up"]
        assert (tu["status"], tu["total"], tu["period"], tu["referencesPeriod"]) == (
            "requires_approval",
            "800.00",
            "2026-Q2",
            "2026-Q1",
        )
        assert [ln["amount"] for ln in tu["lines"]] == [Decimal("800.00")]
        assert out["decide"]["status"] == "approved"

        # CSV for payroll
        q1 = out["q1_csv"].splitlines()
        assert q1[0] == "repId,repName,email,period,kind,rule,dealId,dealName,tier,rate,amount,currency"
        assert q1[1:] == [
            "alice,Alice,alice@example.com,2026-Q1,event,Revenue Commission,D1,Deal D1,Base,0.08,16000.00,",
            "alice,Alice,alice@example.com,2026-Q1,event,Revenue Commission,D2,Deal D2,Base,0.08,8000.00,",
            "alice,Alice,alice@example.com,2026-Q1,net,,,,,,24000.00,",
        ]
        assert out["q2_csv"].endswith(NET_Q2)

        actions = [e["action"] for e in out["audit"]]
        assert {"import.loaded", "statement.generated", "statement.approved", "true_up.approved"} <= set(actions)
        ran = [e for e in out["audit"] if e["action"] == "orchestrator.ran"]
        assert ran[-1]["details"]["statementLocked"] is True
        assert [e["seq"] for e in out["audit"]] == list(range(1, len(out["audit"]) + 1))

    # everything is in the database file: a new connection (a restarted service) sees it
    with Sqlite3Repository(db) as reopened:
        o = compcode.Orchestrator(reopened)
        again = o.get_statement("alice", "2026-Q1", actor="alice", at="2026-04-05")
        assert again == out["approve"]
        assert o.export_statement("alice", "2026-Q2", actor="mgr", at="2026-04-05") == out["q2_csv"]
        assert o.audit_log(actor="admin", at="2026-04-05") == out["audit"]
    with sqlite3.connect(db) as conn:
        (version,) = conn.execute(
            "SELECT version FROM compcode_records WHERE collection = 'statements' AND id = 'alice|2026-Q1'"
        ).fetchone()
        assert version == 2  # generated, then approved


def test_the_result_types_match_the_answers() -> None:
    problems: List[str] = []
    types: Dict[str, Any] = {
        "import": compcode.RunReport,
        "generate": compcode.Statement,
        "approve": compcode.Statement,
        "late_webhook": compcode.RunReport,
        "true_up": compcode.TrueUpResult,
        "q1_csv": str,
        "events": List[compcode.LedgerEvent],
        "history": List[compcode.HistoryRow],
        "audit": List[compcode.AuditEntry],
    }
    seen: set[str] = set()

    def check(step: str, answer: Any) -> None:
        if step in types:
            seen.add(step)
            problems.extend(conforms(answer, types[step], step))

    close_the_month(compcode.Orchestrator(compcode.MemoryRepository()), check)
    assert seen == set(types) and not problems, problems


STORES: Dict[str, Callable[[Path], compcode.Repository]] = {
    "MemoryRepository": lambda _: compcode.MemoryRepository(),
    "SqliteRepository": lambda tmp: compcode.SqliteRepository(tmp / "builtin.db"),
    "DictRepository": lambda _: DictRepository(),
    "Forwarding(SqliteRepository)": lambda _: Forwarding(compcode.SqliteRepository(":memory:")),
}


@pytest.mark.parametrize("name", list(STORES))
def test_every_store_gives_the_same_answers(name: str, tmp_path: Path) -> None:
    with Sqlite3Repository() as reference:
        expected = close_the_month(compcode.Orchestrator(reference))
    assert close_the_month(compcode.Orchestrator(STORES[name](tmp_path))) == expected

"""A compcode repository on the standard library's ``sqlite3``: how to plug in your own database.

``compcode.Orchestrator`` needs three methods from a store (``compcode.Repository``):

* ``get(collection, id)`` -> the record dict, or None;
* ``list(collection, query)`` -> the records matching ``query`` (``repId`` / ``period`` /
  ``dealId``, None = any), ordered by id;
* ``commit(writes)`` -> apply every write or none, in one transaction. A write's
  ``expectedVersion`` (0 = must not exist, n = must be at version n) that does not match raises
  ``compcode.ConflictError``: the orchestrator then recomputes and retries. Every put sets the
  record's version to the stored one + 1.

A record is ``{"id", "repId", "period", "dealId", "version", "doc"}``, the doc a JSON value
(decimals are strings in it). Swap ``sqlite3`` for your driver (PostgreSQL: ``BEGIN``, then
``SELECT ... FOR UPDATE`` or a serializable transaction) and keep the same shape. Check the
result with ``compcode.run_conformance(lambda: Sqlite3Repository())``.

Run it: ``python bindings-python/examples/sqlite3_repository.py [DB_FILE]`` runs the conformance
suite, then a small month-end against the file (default: in memory).
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from decimal import Decimal
from typing import Any, List, Optional, Sequence, Tuple, Union

import compcode

SCHEMA = """
CREATE TABLE IF NOT EXISTS compcode_records (
    collection TEXT NOT NULL,
    id         TEXT NOT NULL,
    rep_id     TEXT,
    period     TEXT,
    deal_id    TEXT,
    version    INTEGER NOT NULL,
    doc        TEXT NOT NULL,
    PRIMARY KEY (collection, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS compcode_records_by_rep_period ON compcode_records (collection, rep_id, period);
CREATE INDEX IF NOT EXISTS compcode_records_by_deal ON compcode_records (collection, deal_id);
"""

Row = Tuple[str, Optional[str], Optional[str], Optional[str], int, str]


class Sqlite3Repository:
    """compcode's records in one table of a SQLite database (a file, or ``":memory:"``)."""

    def __init__(self, path: Union[str, "os.PathLike[str]"] = ":memory:", *, timeout: float = 5.0) -> None:
        # isolation_level=None: no implicit transactions; commit() opens and ends its own.
        # (The timeout is the sqlite3 module's own argument, in seconds, not a compcode value.)
        self._conn = sqlite3.connect(path, timeout=timeout, isolation_level=None, check_same_thread=False)
        if str(path) != ":memory:":
            self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.executescript(SCHEMA)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> "Sqlite3Repository":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @staticmethod
    def _record(row: Row) -> compcode.StoredRecord:
        rid, rep_id, period, deal_id, version, doc = row
        # parse_float=Decimal: a fractional JSON number comes back exact (compcode reads a Decimal
        # in a stored document as the number it is); compcode's own decimals are strings anyway.
        return {
            "id": rid,
            "repId": rep_id,
            "period": period,
            "dealId": deal_id,
            "version": version,
            "doc": json.loads(doc, parse_float=Decimal),
        }

    def get(self, collection: str, id: str) -> Optional[compcode.StoredRecord]:
        row = self._conn.execute(
            "SELECT id, rep_id, period, deal_id, version, doc FROM compcode_records WHERE collection = ? AND id = ?",
            (collection, id),
        ).fetchone()
        return None if row is None else self._record(row)

    def list(self, collection: str, query: compcode.RecordQuery) -> List[compcode.StoredRecord]:
        rows = self._conn.execute(
            """SELECT id, rep_id, period, deal_id, version, doc FROM compcode_records
               WHERE collection = :c AND (:rep IS NULL OR rep_id = :rep) AND (:period IS NULL OR period = :period)
                 AND (:deal IS NULL OR deal_id = :deal)
               ORDER BY id""",
            {"c": collection, "rep": query.get("repId"), "period": query.get("period"), "deal": query.get("dealId")},
        ).fetchall()
        return [self._record(r) for r in rows]

    def commit(self, writes: Sequence[compcode.Write]) -> None:
        cur = self._conn.cursor()
        # IMMEDIATE takes the write lock now, so the version checks below see the latest rows
        # and no other writer can slip in between check and write.
        cur.execute("BEGIN IMMEDIATE")
        try:
            for w in writes:
                if w["op"] == "delete":
                    cur.execute("DELETE FROM compcode_records WHERE collection = ? AND id = ?", (w["collection"], w["id"]))
                    continue
                rec = w["record"]
                row = cur.execute(
                    "SELECT version FROM compcode_records WHERE collection = ? AND id = ?", (w["collection"], rec["id"])
                ).fetchone()
                found = 0 if row is None else int(row[0])
                expected = w["expectedVersion"]
                if expected is not None and expected != found:
                    raise compcode.ConflictError(
                        f"{w['collection']} `{rec['id']}` changed concurrently (expected version {expected}, found {found})"
                    )
                cur.execute(
                    "INSERT OR REPLACE INTO compcode_records (collection, id, rep_id, period, deal_id, version, doc)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        w["collection"],
                        rec["id"],
                        rec["repId"],
                        rec["period"],
                        rec["dealId"],
                        found + 1,
                        json.dumps(rec["doc"], ensure_ascii=False, separators=(",", ":")),
                    ),
                )
            cur.execute("COMMIT")
        except BaseException:
            if self._conn.in_transaction:
                cur.execute("ROLLBACK")  # any failure, a conflict included: the database is as before
            raise
        finally:
            cur.close()


def _month_end(repo: Sqlite3Repository) -> str:
    """A small month-end on `repo`: import, generate + approve, export."""
    o = compcode.Orchestrator(repo)
    doc: dict[str, Any] = {
        "asOf": "2026-04-01",
        "reps": [{"id": "ada", "name": "Ada", "role": "admin"}, {"id": "alice", "name": "Alice"}],
        "plans": [{"planId": "ae", "name": "AE", "effectiveStart": "2026-01-01", "config": {"rules": [{
            "name": "Revenue", "measure": "closed_won_revenue", "tierBy": "value",
            "tiers": [{"tierIndex": 0, "name": "Base", "minThreshold": 0, "rate": Decimal("0.08")}]}]}}],
        "assignments": [{"repId": "alice", "planId": "ae", "effectiveStart": "2026-01-01"}],
        "deals": [{"id": "D1", "stage": "closed_won", "amount": "200000", "closeDate": "2026-01-10",
                   "ownerRepId": "alice"}],
    }  # fmt: skip
    o.import_document(doc, at="2026-04-01")
    o.generate_statement("alice", "2026-Q1", actor="ada", at="2026-04-01")
    o.approve_statement("alice", "2026-Q1", actor="ada", at="2026-04-01")
    return o.export_statement("alice", "2026-Q1", actor="ada", at="2026-04-01")


def main() -> int:
    compcode.run_conformance(Sqlite3Repository)
    print("conformance: every check passed")
    path = sys.argv[1] if len(sys.argv) > 1 else ":memory:"
    with Sqlite3Repository(path) as repo:
        print(_month_end(repo), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())

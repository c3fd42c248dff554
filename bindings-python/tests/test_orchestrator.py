"""compcode.Orchestrator over built-in and host stores, the repository adapter (shapes, conversions,
error mapping, retries, re-entry, threads) and compcode.run_conformance."""

from __future__ import annotations

import datetime
import inspect
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence

import compcode
import pytest
from helpers import conforms
from repositories import DictRepository, Forwarding, Sqlite3Repository

AT = "2026-01-02"
ADA = {"id": "ada", "name": "Ada", "role": "admin"}


def orchestrator(repo: Optional[compcode.Repository] = None) -> compcode.Orchestrator:
    """An orchestrator with the admin `ada`."""
    o = compcode.Orchestrator(repo if repo is not None else compcode.MemoryRepository())
    o.upsert_rep(ADA, at=AT)
    return o


# --- the typed methods and `call` ----------------------------------------------------------


def workflow_methods() -> Dict[str, Callable[..., Any]]:
    """The methods compcode.Orchestrator adds to the native class (one per workflow)."""
    native = compcode._compcode.Orchestrator
    return {
        name: fn
        for name, fn in vars(compcode.Orchestrator).items()
        if callable(fn) and not name.startswith("_") and not hasattr(native, name)
    }


class Recording(compcode.Orchestrator):
    """Records what each method hands to `call` instead of running it."""

    seen: List[Any]

    def call(
        self,
        name: str,
        args: Optional[Any] = None,
        *,
        actor: Optional[str] = None,
        at: compcode.DateLike,
    ) -> Any:
        self.seen.append((name, args, actor, at))
        return None


def test_the_methods_cover_the_workflows_exactly() -> None:
    methods = workflow_methods()
    named: Dict[str, str] = {}
    for method, fn in methods.items():
        assert fn.__doc__ and fn.__doc__.strip(), method
        rec = Recording(compcode.MemoryRepository())
        rec.seen = []
        params = list(inspect.signature(fn).parameters.values())[1:]
        # a placeholder per required argument: a one-element list where the method takes ids
        # (`Sequence[str]`: a lone str is refused, not split into characters)
        positional = [
            [f"<{p.name}>"] if "Sequence" in str(p.annotation) else f"<{p.name}>"
            for p in params
            if p.kind is p.POSITIONAL_OR_KEYWORD and p.default is p.empty
        ]
        assert [p.name for p in params if p.kind is p.KEYWORD_ONLY] == ["actor", "at"], method
        getattr(rec, method)(*positional, actor="ada", at=AT)
        [(name, args, actor, at)] = rec.seen
        assert (actor, at) == ("ada", AT), method
        assert args is None or isinstance(args, dict), method
        named[method] = name
    assert sorted(named.values()) == sorted(compcode.WORKFLOWS), "one method per workflow, none missing"
    assert {m: w for m, w in named.items() if m != w} == {"import_document": "import"}
    assert isinstance(compcode.WORKFLOWS, tuple) and "WORKFLOWS" in compcode.__all__


def test_call_runs_any_workflow_by_name() -> None:
    o = orchestrator()
    assert o.call("audit_log", None, actor="ada", at=AT) == o.audit_log(actor="ada", at=AT)
    assert o.call("audit_log", {"action": "rep.created"}, actor="ada", at=datetime.date(2026, 1, 2))[0]["seq"] == 1
    e = pytest.raises(compcode.NotFoundError, o.call, "payroll", at=AT).value
    assert (e.code, e.status) == ("NOT_FOUND", 404) and "payroll" in e.message
    assert e.details["workflows"] == list(compcode.WORKFLOWS)
    assert isinstance(o.repository, compcode.MemoryRepository) and "MemoryRepository" in repr(o)


def test_every_method_runs_for_real() -> None:
    """Each typed method against the dispatcher: its arguments land where the core reads them."""
    o = orchestrator()
    at = "2026-01-05"
    o.put_settings({"trueUpApprovalThreshold": "500"}, at=at)
    for rep in ({"id": "mgr", "name": "Morgan", "role": "manager"}, {"id": "alice", "name": "Alice", "managerId": "mgr"}):
        o.upsert_rep(rep, actor="ada", at=at)
    plan = o.create_plan({"name": "AE", "effectiveStart": "2026-01-01", "config": {"rules": [
        {"name": "R", "measure": "amount", "tierBy": "value",
         "tiers": [{"tierIndex": 0, "name": "T", "minThreshold": 0, "rate": Decimal("0.1")}]}]}}, actor="ada", at=at)  # fmt: skip
    assert plan["planId"] == "ae"
    v2 = o.update_plan("ae", {"config": plan["versions"][0]["config"], "changeMessage": "same"}, actor="ada", at=at)
    assert [v["planVersionId"] for v in o.plan_history("ae", actor="ada", at=at)] == ["ae:v1", "ae:v2"] == [
        v["planVersionId"] for v in v2["versions"]
    ]
    o.assign({"repIds": ["alice"], "planId": "ae", "effectiveStart": "2026-01-01"}, actor="ada", at=at)
    o.set_quota({"repIds": ["alice"], "measure": "R", "period": "2026-Q1", "target": 1000}, actor="ada", at=at)
    assert o.delete_quota("alice", "R", "2026-Q1", actor="ada", at=at) == 1
    o.set_override({"planVersionId": "ae:v2", "repId": "alice", "ruleName": "R",
                    "tiers": [{"tierIndex": 0, "name": "T", "minThreshold": 0, "rate": "0.2"}]}, actor="ada", at=at)  # fmt: skip
    o.delete_override("ae:v2", "alice", "R", actor="ada", at=at)
    run = o.upsert_deal({"id": "D1", "stage": "Won", "amount": 1000, "closeDate": "2026-01-02", "ownerRepId": "alice"}, at=at)
    assert (run["outcome"], run["eventsWritten"]) == ("processed", 1)
    assert o.recalculate("ae", actor="ada", at=at)["eventsNoop"] == 1
    assert o.simulate({"period": "2026-Q1"}, actor="ada", at=at)["totalCommission"] == Decimal("100.00")
    [ev] = o.events("alice", "2026-Q1", actor="alice", at=at)
    assert ev["amount"] == Decimal("100.00") and ev["status"] == "PENDING"
    assert [h["change"] for h in o.event_history(ev["idempotencyKey"], actor="ada", at=at)] == ["written"]
    st = o.generate_statement("alice", "2026-Q1", actor="mgr", at=at)
    assert st["versions"][0]["netPayout"] == "100.00" and o.get_statement("alice", "2026-Q1", actor="alice", at=at) == st
    adj = o.adjust("alice", "2026-Q1", Decimal("25.50"), "spiff", actor="ada", at=at)
    assert adj["amount"] == Decimal("25.50")
    o.generate_statement("alice", "2026-Q1", actor="mgr", at=at)
    assert o.approve_statement("alice", "2026-Q1", actor="mgr", at=at)["status"] == "approved"
    assert o.true_up("alice", "2026-Q1", actor="mgr", at=at)["status"] == "none"
    assert o.revert_statement("alice", "2026-Q1", actor="mgr", at=at)["status"] == "draft"
    o.approve_statement("alice", "2026-Q1", actor="ada", at=at)
    with pytest.raises(compcode.NotFoundError):
        o.decide_true_up("nope", True, actor="mgr", at=at)
    c = o.add_comment("alice", "2026-Q1", "Is D1 right?", ev["idempotencyKey"], actor="alice", at=at)
    assert [x["text"] for x in o.comments("alice", "2026-Q1", actor="mgr", at=at)] == ["Is D1 right?"]
    o.delete_comment(c["id"], actor="alice", at=at)
    assert o.export_statement("alice", "2026-Q1", "json", actor="alice", at=at).startswith("{")
    assert o.mark_paid([ev["idempotencyKey"]], actor="ada", at=at) == 1
    assert o.reverse_deal("D1", actor="ada", at=at)["outcome"] == "manual_reverse"
    assert o.delete_deal("D1", actor="ada", at=at)["outcome"] == "deleted"
    assert o.unassign("alice", "ae", actor="ada", at=at) == 1
    o.archive_plan("ae", actor="ada", at=at)
    o.reactivate_plan("ae", actor="ada", at=at)
    o.delete_plan("ae", actor="ada", at=at)
    state = o.state_document(actor="ada", at=at)
    assert state["plans"] == [] and {r["id"] for r in state["reps"]} == {"ada", "mgr", "alice"}
    assert o.audit_log("plan.deleted", actor="ada", at=at)[0]["targetId"] == "ae"


# --- inputs ----------------------------------------------------------------------------------


def test_inputs_refuse_floats_and_nothing_is_written() -> None:
    o = orchestrator()
    deal = {"id": "D1", "stage": "Won", "amount": 1.5, "closeDate": "2026-01-02", "ownerRepId": "ada"}
    e = pytest.raises(compcode.ValidationError, o.upsert_deal, deal, at=AT).value
    [issue] = e.details["errors"]
    assert (issue["path"], issue["code"]) == ("deal.amount", "invalid_type") and "float" in issue["message"]
    assert o.repository.get("deals", "D1") is None
    e = pytest.raises(compcode.ValidationError, o.call, "upsert_rep", {"rep": {"id": "x", "q": [0.5]}}, at=AT).value
    assert [i["path"] for i in e.details["errors"]] == ["rep.q[0]"]


def test_decimals_and_dates_are_stored_as_text() -> None:
    o = orchestrator()
    deal = {"id": "D1", "stage": "Won", "amount": Decimal("2E+5"), "closeDate": datetime.date(2026, 1, 2), "ownerRepId": "ada"}
    o.upsert_deal(deal, at=AT)
    rec = o.repository.get("deals", "D1")
    assert rec is not None and (rec["doc"]["amount"], rec["doc"]["closeDate"]) == ("200000", "2026-01-02")
    assert rec["dealId"] == "D1" and rec["version"] == 1


@pytest.mark.parametrize(
    "at", ["2026-1-2", "2026-01-02T10:00:00", datetime.datetime(2026, 1, 2, 10, 0), 20260102, None, "2026-02-30"]
)
def test_at_must_be_a_date(at: Any) -> None:
    o = orchestrator()
    e = pytest.raises(compcode.ValidationError, o.call, "audit_log", actor="ada", at=at).value
    assert [(i["path"], i["code"]) for i in e.details["errors"]] == [("at", "invalid_date")]


def test_at_is_required_and_actor_is_a_string() -> None:
    o = orchestrator()
    with pytest.raises(TypeError):
        o.call("audit_log")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        o.call("audit_log", actor=1, at=AT)  # type: ignore[arg-type]
    assert pytest.raises(compcode.UnauthorizedError, o.audit_log, actor="nobody", at=AT).value.code == "UNAUTHORIZED"


def test_forbidden_for_a_rep() -> None:
    o = orchestrator()
    o.upsert_rep({"id": "bob", "name": "Bob"}, at=AT)
    e = pytest.raises(compcode.ForbiddenError, o.recalculate, actor="bob", at=AT).value
    assert (e.code, e.status) == ("FORBIDDEN", 403)


# --- the stores ------------------------------------------------------------------------------


def test_builtin_stores_speak_the_repository_protocol(tmp_path: Path) -> None:
    for repo in (compcode.MemoryRepository(), compcode.SqliteRepository(tmp_path / "x.db")):
        rec: compcode.StoredRecord = {"id": "a", "repId": "r", "period": "2026-Q1", "dealId": None, "version": 0, "doc": {"n": 1}}
        repo.commit([{"op": "put", "collection": "events", "record": rec, "expectedVersion": 0}])
        assert repo.get("events", "a") == dict(rec, version=1)
        assert repo.list("events") == repo.list("events", {"repId": "r"}) == [dict(rec, version=1)]
        assert repo.list("events", {"period": "2026-Q2"}) == [] and repo.get("reps", "a") is None
        e = pytest.raises(
            compcode.ConflictError, repo.commit, [{"op": "put", "collection": "events", "record": rec, "expectedVersion": 0}]
        ).value
        assert e.code == "CONFLICT" and e.details == {"collection": "events", "id": "a", "expected": 0, "found": 1}
        e2 = pytest.raises(compcode.ValidationError, repo.commit, [{"op": "upsert"}]).value
        assert e2.details["errors"][0]["path"] == "writes[0].op"
        e3 = pytest.raises(compcode.ValidationError, repo.get, "nope", "a").value
        assert "true_ups" in e3.details["errors"][0]["message"]
        repo.commit([{"op": "delete", "collection": "events", "id": "a"}])
        assert repo.list("events") == []
    assert repr(compcode.SqliteRepository(":memory:")) == "compcode.SqliteRepository(':memory:')"


def test_orchestrators_on_one_store_share_it(tmp_path: Path) -> None:
    mem = compcode.MemoryRepository()
    a, b = orchestrator(mem), compcode.Orchestrator(mem)
    b.upsert_rep({"id": "bob", "name": "Bob"}, at=AT)
    assert [e["targetId"] for e in a.audit_log(actor="ada", at=AT)] == ["ada", "bob"]
    db = tmp_path / "compcode.db"
    orchestrator(compcode.SqliteRepository(db))
    again = compcode.Orchestrator(compcode.SqliteRepository(str(db)))
    assert again.audit_log(actor="ada", at=AT)[0]["action"] == "rep.created"


def test_a_plain_object_without_the_methods_is_refused() -> None:
    with pytest.raises(TypeError, match="get, list, commit"):
        compcode.Orchestrator(object())  # type: ignore[arg-type]

    class NoCommit:
        def get(self, collection: str, id: str) -> None:
            return None

        def list(self, collection: str, query: Any) -> List[Any]:
            return []

    with pytest.raises(TypeError, match="has no commit"):
        compcode.Orchestrator(NoCommit())  # type: ignore[arg-type]


class Faulty(DictRepository):
    """A dict store whose methods fail on demand."""

    def __init__(self) -> None:
        super().__init__()
        self.fail: Dict[str, Callable[[], Any]] = {}
        self.attempts = 0

    def get(self, collection: str, id: str) -> Any:
        if "get" in self.fail:
            return self.fail["get"]()
        return super().get(collection, id)

    def commit(self, writes: Sequence[compcode.Write]) -> None:
        self.attempts += 1
        if "commit" in self.fail:
            self.fail["commit"]()
        super().commit(writes)


def test_a_store_exception_is_internal_error_naming_the_method_with_the_cause() -> None:
    store = Faulty()
    o = orchestrator(store)

    def disk_full() -> None:
        raise OSError("disk full")

    store.fail["commit"] = disk_full
    e = pytest.raises(compcode.InternalError, o.upsert_rep, {"id": "bob", "name": "Bob"}, at=AT).value
    assert (e.code, e.status) == ("INTERNAL_ERROR", 500)
    assert e.message == "the Python repository's `commit` raised OSError: disk full"
    assert isinstance(e.__cause__, OSError) and str(e.__cause__) == "disk full"
    assert store.attempts == 2  # no retry for an error that is not a conflict
    del store.fail["commit"]
    o.upsert_rep({"id": "bob", "name": "Bob"}, at=AT)  # the orchestrator lives on
    assert store.get("reps", "bob") is not None


def test_a_conflict_raised_by_the_store_is_retried() -> None:
    store = Faulty()
    o = orchestrator(store)
    before = store.attempts
    flaky = iter([True, True])

    def lose_the_race() -> None:
        if next(flaky, False):
            raise compcode.ConflictError("somebody else wrote first")

    store.fail["commit"] = lose_the_race
    o.upsert_rep({"id": "bob", "name": "Bob"}, at=AT)
    assert store.attempts - before == 3 and store.get("reps", "bob") is not None

    def always() -> None:
        raise compcode.ConflictError("somebody else wrote first")

    store.fail["commit"] = always
    before = store.attempts
    e = pytest.raises(compcode.ConflictError, o.upsert_rep, {"id": "carl", "name": "Carl"}, at=AT).value
    assert (e.code, e.message) == ("CONFLICT", "somebody else wrote first")
    assert store.attempts - before == 4 and isinstance(e.__cause__, compcode.ConflictError)


def test_keyboard_interrupt_in_the_store_propagates_as_is() -> None:
    store = Faulty()
    o = orchestrator(store)

    def interrupted() -> None:
        raise KeyboardInterrupt

    store.fail["get"] = interrupted
    with pytest.raises(KeyboardInterrupt):
        o.audit_log(actor="ada", at=AT)
    del store.fail["get"]
    assert o.audit_log(actor="ada", at=AT)[0]["action"] == "rep.created"


@pytest.mark.parametrize(
    "answer, where",
    [
        (["not", "a", "record"], "not a record dict"),
        ({"id": "ada", "version": 1}, "at `doc`"),
        ({"id": "other", "version": 1, "doc": {}}, "for the id"),
        ({"id": "ada", "version": -1, "doc": {}}, "at `version`"),
        ({"id": "ada", "version": 1, "doc": {"x": {1, 2}}}, "at `doc.x`"),
        ({"id": "ada", "version": 1, "doc": {"x": [float("nan")]}}, "at `doc.x[0]`"),
    ],
)
def test_a_bad_record_from_the_store_is_internal_error(answer: Any, where: str) -> None:
    store = Faulty()
    o = orchestrator(store)
    store.fail["get"] = lambda: answer
    e = pytest.raises(compcode.InternalError, o.audit_log, actor="ada", at=AT).value
    assert "the Python repository's `get` returned" in e.message and where in e.message, e.message


def test_a_store_that_calls_back_into_its_orchestrator_gets_an_error_not_a_deadlock() -> None:
    store = Faulty()
    o = orchestrator(store)
    store.fail["get"] = lambda: o.audit_log(actor="ada", at=AT)
    e = pytest.raises(compcode.InternalError, o.audit_log, actor="ada", at=AT).value
    assert "RuntimeError: re-entrant call" in e.message and isinstance(e.__cause__, RuntimeError)


def test_threads_share_an_orchestrator() -> None:
    store = DictRepository()
    o = orchestrator(store)
    errors: List[BaseException] = []

    def work(t: int) -> None:
        try:
            for i in range(5):
                o.upsert_rep({"id": f"r{t}-{i}", "name": "R"}, at=AT)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors and len(store.data["reps"]) == 21
    assert [e["seq"] for e in o.audit_log(actor="ada", at=AT)] == list(range(1, 22))


def test_two_connections_race_and_the_loser_retries(tmp_path: Path) -> None:
    db = tmp_path / "race.db"
    with Sqlite3Repository(db) as first, Sqlite3Repository(db) as second:
        o1, o2 = orchestrator(first), compcode.Orchestrator(second)
        raced: List[bool] = []

        class Racing(Sqlite3Repository):
            def commit(self, writes: Sequence[compcode.Write]) -> None:
                if not raced:  # another process writes between our read and our commit
                    raced.append(True)
                    o2.upsert_rep({"id": "bob", "name": "Bob"}, at=AT)
                super().commit(writes)

        with Racing(db) as racing:
            o3 = compcode.Orchestrator(racing)
            o3.upsert_rep({"id": "carl", "name": "Carl"}, at=AT)
        log = o1.audit_log(actor="ada", at=AT)
        assert [(e["seq"], e["targetId"]) for e in log] == [(1, "ada"), (2, "bob"), (3, "carl")]


def test_fractional_json_numbers_in_stored_documents() -> None:
    """Numbers a non-Python host stored stay exact: the store gets a float only when that float
    gives the same number back (else a Decimal), and the host's answers get Decimal, never float."""
    stores: List[DictRepository] = []

    def make() -> DictRepository:
        stores.append(DictRepository())
        return stores[-1]

    compcode.run_conformance(make)  # the Rust suite writes plans with JSON numbers (0.08, 1.25)

    def numbers(v: Any) -> List[Any]:
        if isinstance(v, dict):
            return [n for x in v.values() for n in numbers(x)]
        if isinstance(v, list):
            return [n for x in v for n in numbers(x)]
        return [v] if isinstance(v, (float, Decimal)) else []

    seen = {n for s in stores for rows in s.data.values() for r in rows.values() for n in numbers(r["doc"])}
    assert {0.08, 1.25} <= seen and all(type(n) is float for n in seen)

    store = DictRepository()
    o = orchestrator(store)
    o.create_plan({"planId": "p", "name": "P", "effectiveStart": "2026-01-01", "config": {"rules": [
        {"name": "R", "measure": "amount", "tierBy": "value",
         "tiers": [{"tierIndex": 0, "name": "T", "minThreshold": 0, "rate": "0.1"}]}]}}, at=AT)  # fmt: skip
    precise = Decimal("0.123456789012345678901")  # more digits than a float holds
    store.data["plans"]["p"]["doc"]["versions"][0]["config"]["rules"][0]["tiers"][0]["rate"] = precise
    tier = o.state_document(actor="ada", at=AT)["plans"][0]["versions"][0]["config"]["rules"][0]["tiers"][0]
    assert tier["rate"] == precise and type(tier["rate"]) is Decimal
    o.archive_plan("p", at=AT)  # the store gets the number back exactly
    assert store.data["plans"]["p"]["doc"]["versions"][0]["config"]["rules"][0]["tiers"][0]["rate"] == precise


# --- conformance -----------------------------------------------------------------------------


def _factories(tmp: Path) -> Dict[str, Callable[[], compcode.Repository]]:
    counter = iter(range(1000))
    return {
        "MemoryRepository": compcode.MemoryRepository,
        "SqliteRepository(:memory:)": lambda: compcode.SqliteRepository(":memory:"),
        "SqliteRepository(file)": lambda: compcode.SqliteRepository(tmp / f"builtin-{next(counter)}.db"),
        "Sqlite3Repository(:memory:)": Sqlite3Repository,
        "Sqlite3Repository(file)": lambda: Sqlite3Repository(tmp / f"sqlite3-{next(counter)}.db"),
        "DictRepository": DictRepository,
        "Forwarding(MemoryRepository)": lambda: Forwarding(compcode.MemoryRepository()),
        "Forwarding(SqliteRepository)": lambda: Forwarding(compcode.SqliteRepository(":memory:")),
        "Lazy (ignores queries, unordered)": Lazy,
    }


class Lazy(DictRepository):
    """Returns a whole collection, newest first, whatever the query: the adapter filters and
    sorts, so this is correct (only slower)."""

    def list(self, collection: str, query: compcode.RecordQuery) -> List[compcode.StoredRecord]:
        return list(reversed(list(self.data.get(collection, {}).values())))


@pytest.mark.parametrize(
    "name",
    list(_factories(Path("."))),
)
def test_conformance(name: str, tmp_path: Path) -> None:
    compcode.run_conformance(_factories(tmp_path)[name])


def test_the_forwarding_store_is_really_called() -> None:
    made: List[Forwarding] = []

    def make() -> Forwarding:
        made.append(Forwarding(compcode.MemoryRepository()))
        return made[-1]

    compcode.run_conformance(make)
    assert len(made) >= 13 and all(f.calls["commit"] > 0 and f.calls["list"] > 0 for f in made)
    assert sum(f.calls["get"] for f in made) > 100


class NoVersionCheck(DictRepository):
    def commit(self, writes: Sequence[compcode.Write]) -> None:
        for w in writes:
            rows = self.data.setdefault(w["collection"], {})
            if w["op"] == "put":
                rec = w["record"]
                rows[rec["id"]] = dict(rec, version=rows[rec["id"]]["version"] + 1 if rec["id"] in rows else 1)  # type: ignore[assignment]
            else:
                rows.pop(w["id"], None)


class NotAtomic(DictRepository):
    """Checks versions but applies each write as it goes: a late conflict leaves earlier writes."""

    def commit(self, writes: Sequence[compcode.Write]) -> None:
        for w in writes:
            super().commit([w])


@pytest.mark.parametrize(
    "store, check",
    [
        (NoVersionCheck, "conformance `store basics`: a stale version is CONFLICT"),
        (NotAtomic, "conformance `atomic commit`: a failed commit changed the store"),
    ],
)
def test_conformance_names_the_failing_check(store: Callable[[], compcode.Repository], check: str) -> None:
    e = pytest.raises(compcode.CompcodeError, compcode.run_conformance, store).value
    assert check in e.message, e.message


def test_conformance_reports_the_store_exception_and_the_factory_failure() -> None:
    class Broken(DictRepository):
        def commit(self, writes: Sequence[compcode.Write]) -> None:
            raise ValueError("no space left")

    e = pytest.raises(compcode.InternalError, compcode.run_conformance, Broken).value
    assert e.message == "conformance `store basics`: the Python repository's `commit` raised ValueError: no space left"
    assert isinstance(e.__cause__, ValueError)

    def factory() -> compcode.Repository:
        raise OSError("cannot connect")

    with pytest.raises(OSError, match="cannot connect"):
        compcode.run_conformance(factory)
    with pytest.raises(TypeError, match="get, list, commit"):
        compcode.run_conformance(object)  # type: ignore[arg-type]


# --- result types ----------------------------------------------------------------------------


def test_stored_records_and_writes_match_their_types() -> None:
    writes: List[Any] = []

    class Capturing(DictRepository):
        def commit(self, ws: Sequence[compcode.Write]) -> None:
            writes.extend(ws)
            super().commit(ws)

    store = Capturing()
    o = orchestrator(store)
    o.upsert_deal({"id": "D1", "stage": "Won", "amount": 1, "closeDate": AT, "ownerRepId": "ada"}, at=AT)
    o.delete_deal("D1", at=AT)
    problems = [p for w in writes for p in conforms(w, compcode.Write, "write")]
    records = [r for rows in store.data.values() for r in rows.values()]
    problems += [p for r in records for p in conforms(r, compcode.StoredRecord, "record")]
    assert not problems, problems
    assert len(writes) >= 5 and len(records) >= 5
    mem = compcode.MemoryRepository()
    mem.commit(writes)
    assert not [p for r in mem.list("audit") for p in conforms(r, compcode.StoredRecord, "record")]

"""The Python-only behaviour: decimal safety, conversions, error classes, panic containment."""

from __future__ import annotations

import copy
import datetime
import pickle
import types
from decimal import Decimal
from typing import Any

import compcode
import pytest
from compcode import _compcode


def doc(rate: Any = "0.08", amount: Any = "200000", close: Any = "2026-01-10") -> dict[str, Any]:
    """The README's one-rule document, with versioned plans, the rate / amount / date injectable."""
    return {
        "asOf": "2026-04-01",
        "reps": [{"id": "alice", "name": "Alice"}],
        "plans": [
            {
                "planId": "ae",
                "name": "AE Plan",
                "versions": [
                    {
                        "planVersionId": "ae-v1",
                        "effectiveStart": "2026-01-01",
                        "config": {
                            "rules": [
                                {
                                    "name": "Revenue Commission",
                                    "measure": "closed_won_revenue",
                                    "tierBy": "value",
                                    "tiers": [{"tierIndex": 0, "name": "Base", "minThreshold": 0, "rate": rate}],
                                }
                            ]
                        },
                    }
                ],
            }
        ],
        "assignments": [{"repId": "alice", "planId": "ae", "effectiveStart": "2026-01-01"}],
        "deals": [
            {"id": "D1", "stage": "closed_won", "amount": amount, "closeDate": close, "ownerRepId": "alice"}
        ],
    }


RATE_PATH = "plans[0].versions[0].config.rules[0].tiers[0].rate"


def raised(fn: Any, *args: Any) -> compcode.CompcodeError:
    with pytest.raises(compcode.CompcodeError) as info:
        fn(*args)
    return info.value


# --- decimal safety on input -------------------------------------------------------------


def test_float_is_refused_with_its_path() -> None:
    e = raised(compcode.simulate, doc(rate=0.08))
    assert type(e) is compcode.ValidationError
    assert (e.code, e.status) == ("VALIDATION_FAILED", 400)
    assert isinstance(e.details, dict)
    [issue] = e.details["errors"]
    assert issue["path"] == RATE_PATH
    assert issue["code"] == "invalid_type"
    msg = issue["message"]
    assert "float" in msg and "decimal safety" in msg and "Decimal" in msg and "string" in msg
    assert RATE_PATH in e.message and str(e).startswith("VALIDATION_FAILED: ")


def test_every_float_is_listed_and_validate_refuses_them_too() -> None:
    d = doc(rate=0.1, amount=1e5)
    d["plans"][0]["versions"][0]["config"]["rules"][0]["tiers"][0]["minThreshold"] = 0.0
    for fn in (compcode.simulate, compcode.validate):
        e = raised(fn, d)
        assert isinstance(e, compcode.ValidationError)
        paths = {i["path"] for i in e.details["errors"]}
        min_path = "plans[0].versions[0].config.rules[0].tiers[0].minThreshold"
        assert paths == {RATE_PATH, "deals[0].amount", min_path}
    e = raised(compcode.run, "simulate", {"asOf": "2026-04-01", "x": [1, (2, 2.5)]})
    assert [i["path"] for i in e.details["errors"]] == ["x[1][1]"]


def test_float_subclasses_are_floats() -> None:
    class Money(float):
        pass

    e = raised(compcode.simulate, doc(rate=Money(0.08)))
    assert e.details["errors"][0]["path"] == RATE_PATH


@pytest.mark.parametrize("rate", [Decimal("0.08"), "0.08", Decimal("8E-2"), Decimal("0.080")])
def test_decimal_and_string_rates_are_accepted(rate: Any) -> None:
    out = compcode.simulate(doc(rate=rate))
    assert str(out["totalCommission"]) == "16000.00"


@pytest.mark.parametrize("amount", [200000, "200000", Decimal("200000"), Decimal("2E+5"), Decimal("200000.00")])
def test_int_decimal_and_string_amounts_are_accepted(amount: Any) -> None:
    out = compcode.simulate(doc(amount=amount))
    assert out["totalCommission"] == Decimal("16000.00")
    assert out["events"][0]["creditedValue"] == Decimal("200000")


def test_big_ints_reach_the_engine_exactly() -> None:
    # 2**64 + 1 does not fit a u64; it must arrive as its exact digits, not a float.
    out = compcode.simulate(doc(rate=1, amount=2**64 + 1))
    assert out["totalCommission"] == Decimal(2**64 + 1)
    e = raised(compcode.simulate, doc(amount=10**40))  # beyond exact decimals: refused, not rounded
    assert e.status in (400, 422)


def test_bool_is_not_a_number() -> None:
    e = raised(compcode.simulate, doc(rate=True))
    assert isinstance(e, compcode.ValidationError)
    assert e.details["errors"][0]["path"] == RATE_PATH
    assert e.details["errors"][0]["code"] == "invalid_decimal"


def test_non_finite_decimals_are_refused() -> None:
    for bad in (Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity"), Decimal("sNaN")):
        e = raised(compcode.simulate, doc(rate=bad))
        assert e.details["errors"][0]["path"] == RATE_PATH
        assert e.details["errors"][0]["code"] == "invalid_decimal"


def test_dates_and_datetimes() -> None:
    out = compcode.simulate(doc(close=datetime.date(2026, 1, 10)))
    assert out["events"][0]["period"] == "2026-Q1"
    assert out == compcode.simulate(doc(close="2026-01-10"))
    e = raised(compcode.simulate, doc(close=datetime.datetime(2026, 1, 10, 12, 0)))
    assert e.details["errors"][0]["path"] == "deals[0].closeDate"
    assert "datetime" in e.details["errors"][0]["message"]


def test_tuples_and_other_mappings_are_accepted_and_the_input_is_not_changed() -> None:
    d = doc(rate=Decimal("0.08"), close=datetime.date(2026, 1, 10))
    before = copy.deepcopy(d)
    d["reps"] = tuple(d["reps"])
    out = compcode.simulate(types.MappingProxyType(d))
    assert out["totalCommission"] == Decimal("16000.00")
    d["reps"] = list(d["reps"])
    assert d == before
    assert isinstance(d["plans"][0]["versions"][0]["config"]["rules"][0]["tiers"][0]["rate"], Decimal)


# --- outputs -------------------------------------------------------------------------------


def test_decimal_outputs_are_exact_decimals_and_the_rest_plain() -> None:
    out = compcode.simulate(doc())
    total = out["totalCommission"]
    assert type(total) is Decimal and str(total) == "16000.00"
    ev = out["events"][0]
    assert ev["rateApplied"] == Decimal("0.08") and str(ev["rateApplied"]) == "0.08"
    assert str(ev["amount"]) == "16000.00" and str(ev["base"]) == "200000"
    assert type(out["totalDeals"]) is int and out["totalDeals"] == 1
    assert type(ev["provisional"]) is bool and ev["milestone"] is None
    assert type(ev["idempotencyKey"]) is str and type(ev["period"]) is str
    q_free = compcode.simulate(doc())["results"][0]
    assert str(q_free["commissionTotal"]) == "16000.00" and str(q_free["dealAmount"]) == "200000"


def test_every_decimal_field_string_becomes_decimal() -> None:
    def walk(v: Any) -> None:
        if isinstance(v, dict):
            for k, x in v.items():
                if k in compcode.DECIMAL_FIELDS:
                    assert x is None or isinstance(x, Decimal), (k, x)
                else:
                    assert not isinstance(x, Decimal), (k, x)
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)
        else:
            assert v is None or isinstance(v, (str, int, bool, Decimal)), v
            assert not isinstance(v, float)

    walk(compcode.simulate(doc()))
    assert "totalCommission" in compcode.DECIMAL_FIELDS and isinstance(compcode.DECIMAL_FIELDS, tuple)


def test_tiny_decimals_keep_their_text() -> None:
    out = compcode.simulate(doc(rate=Decimal("0.0000001"), amount="200000"))
    rate = out["events"][0]["rateApplied"]
    assert rate == Decimal("0.0000001") and format(rate, "f") == "0.0000001"
    assert str(out["totalCommission"]) == "0.02"


def test_validate_returns_a_plain_dict() -> None:
    r = compcode.validate(doc())
    assert r == {"valid": True, "errors": []}
    r = compcode.validate({"asOf": "2026-13-01", "reps": [], "plans": [], "deals": [], "dealz": []})
    assert r["valid"] is False
    by_path = {i["path"]: i for i in r["errors"]}
    assert by_path["asOf"]["code"] == "invalid_date"
    assert by_path["dealz"]["code"] == "unknown_field" and by_path["dealz"]["suggestion"] == "deals"


def test_run_is_the_generic_entry_point() -> None:
    assert compcode.run("simulate", doc()) == compcode.simulate(doc())
    assert compcode.run("validate", doc()) == compcode.validate(doc())


def test_every_core_operation_is_a_function() -> None:
    assert set(compcode.OPERATIONS) >= {"simulate", "validate"}
    for op in compcode.OPERATIONS:
        name = op.replace(".", "_")  # rules_v0.validate → compcode.rules_v0_validate
        fn = getattr(compcode, name)
        assert callable(fn) and name in compcode.__all__ and fn.__doc__
        with pytest.raises(compcode.ValidationError):
            fn({"x": 0.5})


def ledger_event(deal: str, amount: Any) -> dict[str, Any]:
    return {
        "idempotencyKey": f'["{deal}","a","p","R"]',
        "dealId": deal,
        "repId": "a",
        "planId": "p",
        "planVersionId": "p:v1",
        "ruleName": "R",
        "executionPhase": "per_deal",
        "period": "2026-Q1",
        "amount": amount,
        "creditDate": datetime.date(2026, 1, 10),
    }


def test_reconcile_takes_and_returns_decimals() -> None:
    existing = [ledger_event("D1", Decimal("10.00"))]
    computed = [ledger_event("D1", "12.50"), ledger_event("D2", Decimal("1.0"))]
    out = compcode.reconcile({"existing": existing, "computed": computed})
    as_text = {
        "existing": [ledger_event("D1", "10.00")],
        "computed": [ledger_event("D1", "12.50"), ledger_event("D2", "1.0")],
    }
    assert out == compcode.run("reconcile", as_text)
    [updated] = out["updated"]
    assert updated["new"]["amount"] == Decimal("12.50") and type(updated["new"]["amount"]) is Decimal
    assert str(updated["old"]["amount"]) == "10.00"
    assert str(out["written"][0]["new"]["amount"]) == "1.0"
    e = raised(compcode.reconcile, {"existing": [ledger_event("D1", 10.0)]})
    assert e.details["errors"][0]["path"] == "existing[0].amount"


def test_workflow_results_carry_errors_per_step() -> None:
    ada = {"id": "ada", "name": "Ada", "role": "admin"}
    steps = [
        {"call": "upsert_rep", "at": datetime.date(2026, 1, 2), "args": {"rep": ada}},
        {"call": "recalculate", "as": "bob", "at": "2026-01-02"},
    ]
    out = compcode.workflow({"steps": steps})
    assert "ok" in out["results"][0]
    assert out["results"][1]["error"]["code"] == "UNAUTHORIZED"


# --- errors --------------------------------------------------------------------------------


def test_error_classes() -> None:
    subclasses = [
        compcode.ValidationError,
        compcode.UnauthorizedError,
        compcode.ForbiddenError,
        compcode.NotFoundError,
        compcode.ConflictError,
        compcode.InternalError,
    ]
    assert issubclass(compcode.CompcodeError, Exception)
    for cls in [compcode.CompcodeError, *subclasses]:
        assert cls.__module__ == "compcode"
        assert cls.__doc__ and len(cls.__doc__) > 10
        if cls is not compcode.CompcodeError:
            assert cls.__bases__ == (compcode.CompcodeError,)
    for fn in (compcode.simulate, compcode.validate, compcode.run):
        assert fn.__doc__ and len(fn.__doc__) > 40


def test_unknown_operation_is_not_found() -> None:
    e = raised(compcode.run, "payroll", {})
    assert type(e) is compcode.NotFoundError
    assert (e.code, e.status, e.details) == ("NOT_FOUND", 404, {})
    assert "payroll" in e.message and str(e) == f"NOT_FOUND: {e.message}"


def test_core_validation_error_carries_every_issue() -> None:
    d = doc(rate="abc")
    d["asOf"] = "2026-02-30"
    e = raised(compcode.simulate, d)
    assert isinstance(e, compcode.ValidationError)
    issues = {(i["path"], i["code"]) for i in e.details["errors"]}
    assert issues == {("asOf", "invalid_date"), (RATE_PATH, "invalid_decimal")}


def test_domain_code_maps_by_status() -> None:
    # period_mismatch (400) -> ValidationError, keeping its own code
    d = doc()
    d["plans"][0]["versions"][0]["config"]["rules"][0].update(tierBy="attainment", attainmentPeriod="quarterly")
    quota = {"repId": "alice", "planId": "ae", "ruleName": "Revenue Commission", "period": "2026-01", "target": "1"}
    d["quotas"] = [quota]
    e = raised(compcode.simulate, d)
    assert (type(e), e.code, e.status) == (compcode.ValidationError, "period_mismatch", 400)
    assert isinstance(e.details, dict)


def test_errors_pickle_with_their_attributes() -> None:
    e = raised(compcode.run, "nope", {})
    e2 = pickle.loads(pickle.dumps(e))
    assert type(e2) is compcode.NotFoundError
    assert (e2.code, e2.status, e2.message, e2.details) == (e.code, e.status, e.message, e.details)


# --- garbage in, no crash ------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [None, 42, "not a document", [], object(), {1: "int key"}, {"asOf": {1, 2}}, {"asOf": b"bytes"}],
    ids=["None", "int", "str", "list", "object", "int-key", "set", "bytes"],
)
def test_garbage_raises_validation_error(bad: Any) -> None:
    e = raised(compcode.simulate, bad)
    assert type(e) is compcode.ValidationError and e.code == "VALIDATION_FAILED"
    assert e.details["errors"]


def test_unsupported_values_are_named_with_their_path() -> None:
    e = raised(compcode.simulate, {"asOf": "2026-04-01", "reps": [{"id": "a", "name": object()}], 3: 1})
    got = {(i["path"], i["code"]) for i in e.details["errors"]}
    assert got == {("reps[0].name", "invalid_type"), ("3", "invalid_type")}


def test_deep_nesting_is_refused_not_a_stack_overflow() -> None:
    deep: Any = "x"
    for _ in range(100_000):
        deep = [deep]
    e = raised(compcode.simulate, {"asOf": "2026-04-01", "deals": deep})
    assert type(e) is compcode.ValidationError
    assert "nested" in e.details["errors"][0]["message"]
    selfref: list[Any] = []
    selfref.append(selfref)
    assert type(raised(compcode.validate, {"x": selfref})) is compcode.ValidationError


def test_a_rust_panic_raises_internal_error_and_the_interpreter_lives_on() -> None:
    with pytest.raises(compcode.InternalError) as info:
        _compcode._panic_for_tests()
    e = info.value
    assert (e.code, e.status) == ("INTERNAL_ERROR", 500)
    assert "panicked" in e.message and isinstance(e.details, dict)
    assert compcode.simulate(doc())["totalCommission"] == Decimal("16000.00")


def test_wrong_argument_types_are_type_errors() -> None:
    with pytest.raises(TypeError):
        compcode.run(1, {})  # type: ignore[call-overload]


def test_context_fields_named_like_decimals_stay_text() -> None:
    # a v0 context echoes the host's own field names: `amount` holding text stays text
    out = compcode.rules_v0_evaluate({"rules": [], "context": {"amount": "n/a", "base": "12.50"}})
    assert out["context"]["amount"] == "n/a"
    assert out["context"]["base"] == Decimal("12.50")


# --- the garbage collector is paused while an answer is built, and only then (issue #9) ----------


def test_the_gc_is_left_as_the_host_had_it() -> None:
    import gc

    assert gc.isenabled()
    out = compcode.simulate(doc())
    assert out["totalCommission"] == Decimal("16000.00")
    assert gc.isenabled(), "resumed after the answer is built"
    raised(compcode.simulate, {"asOf": "nope"})
    assert gc.isenabled(), "an error leaves it running"
    gc.disable()
    try:
        compcode.simulate(doc())
        assert not gc.isenabled(), "a host that paused it keeps it paused"
    finally:
        gc.enable()

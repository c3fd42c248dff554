"""`simulate` / `validate` answers are built straight from the engine's typed results
(`convert::answer_to_host`, issue #9). They must be the very objects the JSON-value path builds
(`_compcode._run_via_value`: the engine's `serde_json::Value`, then `convert::to_host`): same
types, same dict key order, same `Decimal` text, `None`, `int`, and the JSON numbers nested in
traces and installments."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

import pytest
from helpers import FIXTURE_ROOT, fixture_files, load_fixture

import compcode
from compcode import _compcode

OPERATIONS = ("simulate", "validate")


def _cases() -> List[Tuple[Path, str, Any]]:
    out = []
    for path in fixture_files():
        fx, _ = load_fixture(path)
        if fx["operation"] in OPERATIONS:
            out.append((path, fx["operation"], fx["input"]))
    return out


CASES = _cases()


def same(a: Any, b: Any, path: str = "") -> Optional[str]:
    """None when `a` and `b` are the same objects tree (types, key order, Decimal text)."""
    if type(a) is not type(b):
        return f"{path or '.'}: {type(a).__name__} {a!r} vs {type(b).__name__} {b!r}"
    if isinstance(a, dict):
        if list(a) != list(b):
            return f"{path or '.'}: keys {list(a)} vs {list(b)}"
        for k in a:
            why = same(a[k], b[k], f"{path}.{k}")
            if why is not None:
                return why
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} items vs {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            why = same(x, y, f"{path}[{i}]")
            if why is not None:
                return why
        return None
    if isinstance(a, Decimal):
        return None if a.as_tuple() == b.as_tuple() else f"{path}: Decimal {a} vs {b}"
    return None if a == b else f"{path}: {a!r} vs {b!r}"


def outcome(fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except compcode.CompcodeError as e:
        return {"raised": type(e).__name__, "code": e.code, "message": e.message, "details": e.details}


def test_there_are_cases() -> None:
    assert len(CASES) >= 40, len(CASES)


@pytest.mark.parametrize("path,operation,doc", CASES, ids=lambda c: str(c.relative_to(FIXTURE_ROOT)) if isinstance(c, Path) else "")
def test_typed_answer_is_the_value_path_answer(path: Path, operation: str, doc: Any) -> None:
    new = outcome(lambda: compcode.run(operation, doc))
    old = outcome(lambda: _compcode._run_via_value(operation, doc))
    why = same(new, old)
    assert why is None, why
    if operation == "simulate":
        # the named function goes the same way
        assert same(outcome(lambda: compcode.simulate(doc)), old) is None
        # and so does the answer without traces
        if isinstance(doc, dict):
            quiet = copy.deepcopy(doc)
            quiet.setdefault("options", {})["trace"] = False
            why = same(outcome(lambda: compcode.simulate(quiet)), outcome(lambda: _compcode._run_via_value("simulate", quiet)))
            assert why is None, why


def _walk(v: Any, key: str, seen: Dict[str, int], inside: str = "") -> None:
    if isinstance(v, dict):
        if list(v) != sorted(v):
            seen["unsorted"] += 1
        for k, x in v.items():
            _walk(x, k, seen, inside or (k if k in ("trace", "installment") else ""))
        return
    if isinstance(v, list):
        for x in v:
            _walk(x, key, seen, inside)
        return
    if v is None:
        seen["none"] += 1
    elif isinstance(v, Decimal):
        seen["decimal_field" if key in compcode.DECIMAL_FIELDS else "decimal_number"] += 1
    elif isinstance(v, bool):
        seen["bool"] += 1
    elif isinstance(v, int):
        seen["int_nested" if inside else "int"] += 1
    elif isinstance(v, str) and key in compcode.DECIMAL_FIELDS:
        seen["str_under_decimal_key"] += 1


def test_the_cases_cover_every_kind_of_value() -> None:
    kinds = ("unsorted", "none", "decimal_field", "decimal_number", "bool", "int", "int_nested", "str_under_decimal_key")
    seen = {k: 0 for k in kinds}
    for _, operation, doc in CASES:
        out = outcome(lambda: compcode.run(operation, doc))
        if "raised" not in out:
            _walk(out, "", seen)
    # dict keys come out sorted (serde_json's map order), never in struct field order
    assert seen["unsorted"] == 0, seen
    # (fractional JSON numbers nested in an answer: test_any_json_value_converts_the_same_way)
    for kind in ("none", "decimal_field", "bool", "int", "int_nested"):
        assert seen[kind] > 0, (kind, seen)


JSON_TEXTS = [
    '{"b": 1, "a": [1.50, 1e5, -0, 1E-7, 12345678901234567890123, -9223372036854775809, 18446744073709551615]}',
    '{"amount": "1.50", "rateApplied": "-0.08", "target": "1e5", "base": "abc", "attainment": " 1", "dealAmount": 3}',
    '{"amount": {"amount": "2"}, "x": {"amount": ["3.0"]}, "currentValue": null, "variableTarget": 2.50}',
    '{"z": "é", "é": 1, "Z": 2, "_": 3, "": 4, "a": {"y": true, "x": false}, "k": {}, "l": []}',
    '{"d": 1, "d": 2}',
    '[1, "2.0", null, {"amount": "7"}]',
    '"1.5"',
    "3.25",
    "null",
]


# past the dict-template limit (5,000 distinct key lists), and past the value caches' probation
# (values that repeat, that never repeat, and that stop repeating)
JSON_TEXTS.append(json.dumps({f"k{i}": {f"u{i}_{j}": j for j in range(2)} for i in range(5000)}))
JSON_TEXTS.append(
    json.dumps(
        [
            {"amount": f"{i % 7}.50", "target": f"{i}.00", "repId": f"r{i % 3}", "dealId": f"d{i}", "n": i}
            for i in range(3000)
        ]
        + [{"amount": f"{i}.25", "repId": f"x{i}"} for i in range(1000)]
    )
)


@pytest.mark.parametrize("text", JSON_TEXTS, ids=lambda t: t[:40])
def test_any_json_value_converts_the_same_way(text: str) -> None:
    new = _compcode._json_to_host_for_tests(text, True)
    old = _compcode._json_to_host_for_tests(text, False)
    why = same(new, old)
    assert why is None, why


def test_json_numbers_keep_their_exact_value() -> None:
    out = _compcode._json_to_host_for_tests(JSON_TEXTS[0], True)
    assert list(out) == ["a", "b"]
    assert [type(x).__name__ for x in out["a"]] == ["Decimal", "Decimal", "int", "Decimal", "int", "int", "int"]
    assert str(out["a"][0]) == "1.50" and out["a"][4] == 12345678901234567890123
    assert out["a"][5] == -9223372036854775809 and out["a"][6] == 18446744073709551615
    dec = _compcode._json_to_host_for_tests(JSON_TEXTS[1], True)
    assert dec == {
        "amount": Decimal("1.50"),
        "attainment": " 1",
        "base": "abc",
        "dealAmount": 3,
        "rateApplied": Decimal("-0.08"),
        "target": "1e5",
    }


def test_installment_numbers_and_held_flags() -> None:
    fx, _ = load_fixture(FIXTURE_ROOT / "schedules" / "three_installments.json")
    out = compcode.simulate(fx["input"])
    inst = [e for e in out["events"] if "installment" in e]
    assert inst and all(type(e["installment"]["index"]) is int and type(e["held"]) is bool for e in inst)
    assert all("installment" not in e and "held" not in e for e in out["events"] if e not in inst)
    assert same(out, _compcode._run_via_value("simulate", fx["input"])) is None


def test_orchestrator_simulate_is_the_value_path_answer() -> None:
    fx, _ = load_fixture(FIXTURE_ROOT / "examples" / "ae_quickstart.json")
    at = fx["input"]["asOf"]
    o = compcode.Orchestrator(compcode.MemoryRepository())
    o.call("upsert_rep", {"rep": {"id": "ada", "name": "Ada", "role": "admin"}}, at=at)
    o.call("import", {"document": fx["input"]}, actor="ada", at=at)
    doc = o.call("state_document", actor="ada", at=at)
    for extra in ({}, {"options": {"trace": False}}, {"scope": {"period": "2026-Q1"}}):
        new = o.call("simulate", extra, actor="ada", at=at)
        old = _compcode._run_via_value("simulate", {**doc, **extra})
        assert new["events"]
        why = same(new, old)
        assert why is None, why

"""Shared by the tests: the spec-fixture files and the README's matching rules."""

from __future__ import annotations

import json
import sys
import typing
from decimal import Decimal
from pathlib import Path
from typing import Any, Dict, List, Union

import compcode

REPO = Path(__file__).resolve().parents[2]
FIXTURE_ROOT = REPO / "spec-fixtures"
EXAMPLES = REPO / "bindings-python" / "examples"


def fixture_files() -> list[Path]:
    """Every `spec-fixtures/**/*.json` vector, `*.schema.json` excluded, in a stable order."""
    return sorted(p for p in FIXTURE_ROOT.rglob("*.json") if not p.name.endswith(".schema.json"))


def load_fixture(path: Path) -> tuple[dict[str, Any], Any]:
    """The fixture with its input read as a host would pass it (JSON numbers with a fraction or
    exponent as `Decimal`, never `float`), and `expected` read as plain JSON."""
    text = path.read_text(encoding="utf-8")
    return json.loads(text, parse_float=Decimal), json.loads(text)["expected"]


def actual_output(operation: str, input: Any) -> Any:
    """The operation's output, or `{"error": {code, status, message, details}}` when it raises."""
    try:
        return compcode.run(operation, input)
    except compcode.CompcodeError as e:
        return {"error": {"code": e.code, "status": e.status, "message": e.message, "details": e.details}}


def _kind(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, Decimal):
        return "decimal"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "object"
    return type(v).__name__


def _short(v: Any) -> str:
    s = repr(v)
    return s if len(s) <= 600 else s[:600] + "…"


def match(expected: Any, actual: Any, path: str = "") -> str | None:
    """`spec-fixtures/README.md`'s rules; returns None on a match, else the first mismatch.

    Objects: every key named must exist and match. Arrays: same length, paired one-to-one in
    any order (each expected item takes the first unpaired actual item it matches). Scalars:
    equal as JSON values (so `True` is not `1`). A `Decimal` output matches an expected string
    when its text is that string: `format(d, "f")`, which is `str(d)` except below 1e-6 where
    `str` switches to an exponent the engine never writes.
    """
    ek, ak = _kind(expected), _kind(actual)
    if ek == "object" and ak == "object":
        for k, ev in expected.items():
            p = f"{path}.{k}"
            if k not in actual:
                return f"{p}: missing (expected {_short(ev)})"
            why = match(ev, actual[k], p)
            if why is not None:
                return why
        return None
    if ek == "array" and ak == "array":
        if len(expected) != len(actual):
            return f"{path}: expected {len(expected)} items, got {len(actual)}: {_short(actual)}"
        used = [False] * len(actual)
        for i, ev in enumerate(expected):
            hit = next((j for j, av in enumerate(actual) if not used[j] and match(ev, av) is None), None)
            if hit is None:
                whys = [match(ev, av, f"{path}[{i}]") or "" for j, av in enumerate(actual) if not used[j]]
                closest = min(whys, key=len) if whys else ""
                return f"{path}[{i}]: no actual item matches {_short(ev)}; closest: {closest}"
            used[hit] = True
        return None
    if ak == "decimal" and ek == "string":
        if format(actual, "f") == expected:
            return None
        return f"{path}: expected {expected!r}, got {actual!r}"
    if ek == ak and expected == actual:
        return None
    return f"{path}: expected {_short(expected)}, got {_short(actual)}"


def conforms(value: Any, tp: Any, path: str) -> list[str]:
    """Problems of `value` against the annotation `tp` (TypedDict, Optional, List, Dict, scalars)."""
    origin = typing.get_origin(tp)
    if tp is Any:
        return []
    if origin is typing.Literal:
        return [] if value in typing.get_args(tp) else [f"{path}: {value!r} is not one of {typing.get_args(tp)}"]
    if origin is Union:
        if any(not conforms(value, arm, path) for arm in typing.get_args(tp)):
            return []
        return [f"{path}: {value!r} is none of {tp}"]
    if tp is type(None):
        return [] if value is None else [f"{path}: {value!r} is not None"]
    if origin in (list, List):
        if not isinstance(value, list):
            return [f"{path}: {type(value).__name__} is not a list"]
        (item,) = typing.get_args(tp)
        return [p for i, v in enumerate(value) for p in conforms(v, item, f"{path}[{i}]")]
    if origin in (dict, Dict):
        return [] if isinstance(value, dict) else [f"{path}: {type(value).__name__} is not a dict"]
    if typing.is_typeddict(tp) if sys.version_info >= (3, 10) else hasattr(tp, "__required_keys__"):
        if not isinstance(value, dict):
            return [f"{path}: {type(value).__name__} is not a dict ({tp.__name__})"]
        hints = typing.get_type_hints(tp)
        problems = [f"{path}.{k}: missing ({tp.__name__})" for k in tp.__required_keys__ if k not in value]
        problems += [f"{path}.{k}: not in {tp.__name__}" for k in value if k not in hints]
        for k, v in value.items():
            if k in hints:
                problems += conforms(v, hints[k], f"{path}.{k}")
        return problems
    if tp is int:
        return [] if type(value) is int else [f"{path}: {value!r} is not an int"]
    if tp in (str, bool, Decimal):
        return [] if type(value) is tp else [f"{path}: {value!r} is not a {tp.__name__}"]
    raise AssertionError(f"unhandled annotation {tp!r}")

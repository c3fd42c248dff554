"""The result TypedDicts (what the stubs promise) checked against real outputs of every fixture,
so the Python types cannot drift from the Rust serde types of `compcode_core::api`."""

from __future__ import annotations

import sys
import typing
from decimal import Decimal
from typing import Any, Dict, List, Union

import compcode
import pytest
from helpers import actual_output, fixture_files, load_fixture


def conforms(value: Any, tp: Any, path: str) -> list[str]:
    """Problems of `value` against the annotation `tp` (TypedDict, Optional, List, Dict, scalars)."""
    origin = typing.get_origin(tp)
    if tp is Any:
        return []
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


RESULT_TYPES = {"simulate": compcode.SimulateResult, "validate": compcode.ValidateResult}


def test_every_fixture_output_conforms_to_the_result_types() -> None:
    checked = {"simulate": 0, "validate": 0}
    problems: list[str] = []
    for path in fixture_files():
        fx, _ = load_fixture(path)
        out = actual_output(fx["operation"], fx["input"])
        if "error" in out or fx["operation"] not in RESULT_TYPES:
            continue  # reconcile / workflow answers are typed Dict[str, Any]
        checked[fx["operation"]] += 1
        problems += [f"{path.name}: {p}" for p in conforms(out, RESULT_TYPES[fx["operation"]], "")]
    assert not problems, "\n".join(problems[:20])
    assert checked["simulate"] >= 30 and checked["validate"] >= 1, checked


def test_every_typed_key_is_seen() -> None:
    """Each TypedDict key shows up in some output (so no stale key hides in the types)."""
    seen: dict[str, set[str]] = {}

    def collect(v: Any, tp: Any) -> None:
        origin = typing.get_origin(tp)
        if origin is Union:
            for arm in typing.get_args(tp):
                if arm is not type(None):
                    collect(v, arm)
        elif origin in (list, List) and isinstance(v, list):
            for x in v:
                collect(x, typing.get_args(tp)[0])
        elif hasattr(tp, "__required_keys__") and isinstance(v, dict):
            seen.setdefault(tp.__name__, set()).update(v)
            hints = typing.get_type_hints(tp)
            for k, x in v.items():
                if k in hints:
                    collect(x, hints[k])

    for path in fixture_files():
        fx, _ = load_fixture(path)
        out = actual_output(fx["operation"], fx["input"])
        if "error" not in out and fx["operation"] in RESULT_TYPES:
            collect(out, RESULT_TYPES[fx["operation"]])
    for tp in (compcode.SimulateResult, compcode.Event, compcode.DealResult, compcode.RuleBreakdown,
               compcode.QuotaStatus, compcode.Diagnostic, compcode.ValidateResult, compcode.Issue):
        assert set(typing.get_type_hints(tp)) <= seen.get(tp.__name__, set()), tp.__name__


@pytest.mark.parametrize("name", compcode.__all__)
def test_public_names_have_docstrings(name: str) -> None:
    obj = getattr(compcode, name)
    if isinstance(obj, (str, tuple)):
        return
    assert obj.__doc__ and obj.__doc__.strip(), name

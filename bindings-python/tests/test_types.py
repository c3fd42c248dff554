"""The result TypedDicts (what the stubs promise) checked against real outputs of every fixture,
so the Python types cannot drift from the Rust serde types of `compcode_core::api`."""

from __future__ import annotations

import typing
from typing import Any, List, Union

import compcode
import pytest
from helpers import actual_output, conforms, fixture_files, load_fixture


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
    if isinstance(obj, (str, tuple)) or typing.get_origin(obj) is Union:
        return  # constants, and type aliases (`DateLike`, `Write`: Union[...]), documented in the source
    assert obj.__doc__ and obj.__doc__.strip(), name

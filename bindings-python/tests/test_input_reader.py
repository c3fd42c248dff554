"""Documents reach the engine through a one-pass reader (`convert::plain_value`) that falls back
to `pythonize` for anything unusual; both must give the same JSON value, or the same error."""

from __future__ import annotations

import collections
import datetime
import enum
import json
import types
from decimal import Decimal
from pathlib import Path
from typing import Any, List

import pytest
from helpers import FIXTURE_ROOT, fixture_files, load_fixture

import compcode
from compcode import _compcode


def read(input: Any, fast: bool) -> Any:
    try:
        return json.loads(_compcode._input_json_for_tests(input, fast))
    except compcode.CompcodeError as e:
        return {"raised": type(e).__name__, "code": e.code, "message": e.message, "details": e.details}


def exact(v: Any) -> Any:
    """JSON text with key order, for a strict comparison (1 and True differ, as do 1 and 1.0)."""
    return json.dumps(v, sort_keys=False)


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: str(p.relative_to(FIXTURE_ROOT)))
def test_every_fixture_input_reads_the_same(path: Path) -> None:
    fx, _ = load_fixture(path)
    assert exact(read(fx["input"], True)) == exact(read(fx["input"], False))


class Level(enum.IntEnum):
    HIGH = 3


class Name(str):
    pass


ODD: List[Any] = [
    {"a": 1, "b": -1, "c": True, "d": None, "e": "x", "f": [1, (2, 3)], "g": {}},
    {"big": 2**64, "neg": -(2**63) - 1, "u64": 2**64 - 1, "i64": -(2**63)},
    {"enum": Level.HIGH, "name": Name("n"), Name("k"): 1},
    collections.OrderedDict([("z", 1), ("a", 2)]),
    collections.defaultdict(int, {"q": 1}),
    types.MappingProxyType({"m": {"n": Decimal("1.50")}}),
    {"d": Decimal("1E+3"), "date": datetime.date(2026, 1, 2)},
    {"$serde_json::private::Number": "12"},
    {"x": {"$serde_json::private::Number": "1.5"}},
    {"bad": "\ud800"},
    {"\ud800": 1},
    [1, 2.5],
    {1: "int key"},
    "text",
    7,
    None,
    (1, [2, {"a": (3,)}]),
]


@pytest.mark.parametrize("value", ODD, ids=lambda v: repr(v)[:40])
def test_unusual_values_read_the_same(value: Any) -> None:
    assert exact(read(value, True)) == exact(read(value, False))


def test_the_fast_reader_keeps_exact_numbers() -> None:
    assert read({"a": 2**70, "b": Decimal("0.10")}, True) == {"a": 2**70, "b": "0.10"}

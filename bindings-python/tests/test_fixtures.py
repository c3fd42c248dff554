"""Every spec-fixtures vector through the wheel, matched with the README's rules."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from helpers import FIXTURE_ROOT, actual_output, fixture_files, load_fixture, match

FILES = fixture_files()


def test_there_are_fixtures() -> None:
    assert len(FILES) >= 40, f"expected at least 40 fixtures under {FIXTURE_ROOT}, found {len(FILES)}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(FIXTURE_ROOT)))
def test_fixture(path: Path) -> None:
    fx, expected = load_fixture(path)
    for key in ("operation", "input", "expected", "why"):
        assert key in fx, f"missing `{key}`"
    actual = actual_output(fx["operation"], fx["input"])
    why = match(expected, actual)
    assert why is None, why


def test_matcher_follows_the_readme_rules() -> None:
    assert match({"a": 1}, {"a": 1, "b": 2}) is None
    assert match({"a": 1, "c": 3}, {"a": 1}) is not None
    assert match([{"x": 1}, {"x": 2}], [{"x": 2, "y": 0}, {"x": 1}]) is None
    assert match([{"x": 1}], [{"x": 1}, {"x": 1}]) is not None
    assert match([{"x": 1}, {"x": 1}], [{"x": 1}, {"x": 2}]) is not None
    assert match(1, True) is not None and match(True, 1) is not None
    assert match("16000.00", Decimal("16000.00")) is None
    assert match("16000.0", Decimal("16000.00")) is not None
    assert match("0.0000001", Decimal("0.0000001")) is None
    assert match(None, None) is None and match(None, "x") is not None

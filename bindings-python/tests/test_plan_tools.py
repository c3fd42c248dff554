"""Templates, plan analysis and plan diff (SPEC §19) through their Python functions: arguments
map onto the operations' inputs; the numbers are the hand-worked fixtures' (spec-fixtures/)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, Dict

import pytest
from helpers import FIXTURE_ROOT

import compcode


def fixture_input(name: str) -> Dict[str, Any]:
    out: Dict[str, Any] = json.loads((FIXTURE_ROOT / name).read_text(encoding="utf-8"), parse_float=Decimal)["input"]
    return out


def test_templates_and_the_product_filter() -> None:
    ids = [t["id"] for t in compcode.templates()["templates"]]
    assert ids[0] == "ae_commission" and len(ids) == 6
    spark = compcode.templates({"product": "spark"})["templates"]
    assert [t["id"] for t in spark] == ["spark_solar"]
    assert spark[0]["plan"]["config"]["rules"][0]["milestones"][1]["name"] == "MP2"


def test_analyze_plan_takes_the_plan_and_an_optional_context() -> None:
    fx = fixture_input("analysis/missing_quota.json")
    out = compcode.analyze_plan(fx["plan"], fx["context"])
    assert [(f["code"], f["path"]) for f in out["findings"]] == [("missing_quota", "context.assignments[2]")]
    bare = compcode.analyze_plan(fx["plan"])
    assert bare["findings"] == [] and bare["calibration"]["referenceQuota"] == "1000000"
    with pytest.raises(compcode.ValidationError) as e:
        compcode.analyze_plan(fx["plan"], {"deels": []})
    assert e.value.details["errors"][0]["path"] == "context.deels"


def test_diff_plans_by_id_date_and_top() -> None:
    doc = fixture_input("diff/quickstart_accelerator.json")["document"]
    out = compcode.diff_plans(doc, "saved", "edited")
    assert out["total"] == {"old": "97480.00", "new": "99300.00", "delta": "1820.00"}
    assert [d["dealId"] for d in out["deals"]] == ["S6", "J4"]
    assert len(compcode.diff_plans(doc, "saved", "edited", top=1)["deals"]) == 1
    two = fixture_input("diff/top_ties_and_cascade.json")["document"]
    by_date = compcode.diff_plans(two, "2026-01-15", "2026-02-01", plan_id="p")
    assert (by_date["versionA"], by_date["versionB"]) == ("v1", "v2")
    with pytest.raises(compcode.ValidationError) as e:
        compcode.diff_plans(doc, "saved")
    assert e.value.details["errors"][0]["path"] == "versionB"

"""Simulate the CompCode quickstart (examples/ae-quickstart.json) and print the payouts per rep.

Run from anywhere: ``python bindings-python/examples/quickstart.py``. Type-checked with
``mypy --strict`` by the test suite.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import compcode

DOCUMENT = Path(__file__).resolve().parents[2] / "examples" / "ae-quickstart.json"


def payouts(result: compcode.SimulateResult) -> dict[str, Decimal]:
    """Total paid per rep, summed exactly."""
    per_rep: defaultdict[str, Decimal] = defaultdict(Decimal)
    for event in result["events"]:
        per_rep[event["repId"]] += event["amount"]
    return dict(per_rep)


def main() -> int:
    # JSON numbers with a fraction become Decimal, never float (floats are refused).
    doc = json.loads(DOCUMENT.read_text(encoding="utf-8"), parse_float=Decimal)
    report = compcode.validate(doc)
    if not report["valid"]:
        for issue in report["errors"]:
            print(f"{issue['path']}: {issue['code']}: {issue['message']}", file=sys.stderr)
        return 1
    try:
        result = compcode.simulate(doc)
    except compcode.CompcodeError as e:
        print(f"{e.code} ({e.status}): {e.message}", file=sys.stderr)
        return 1
    for rep, total in sorted(payouts(result).items()):
        print(f"{rep:<8} {total:>12}")
    print(f"{'total':<8} {result['totalCommission']:>12}")
    assert sum(payouts(result).values(), Decimal(0)) == result["totalCommission"]
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The pure-Python baseline gives the hand-worked numbers, and the engine's totals on a generated
input when a `compcode-bench` binary is built (otherwise that part is skipped).

    python3 -m unittest discover -s benches/python
"""

import json
import os
import subprocess
import sys
import tempfile
import unittest
from decimal import Decimal

sys.path.insert(0, os.path.dirname(__file__))
import baseline  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
RULES = json.load(open(os.path.join(os.path.dirname(__file__), "rules.json")))


def document():
    """Rep a (manager m), quota 100,000 for 2026-Q1; D1 80,000 EMEA Platform, D2 60,000 AMER
    Services, D3 30,000 EMEA Analytics lost."""
    deal = lambda i, amount, date, region, product, stage="closed_won": {  # noqa: E731
        "id": i, "name": i, "stage": stage, "amount": amount, "closeDate": date, "ownerRepId": "a",
        "fields": {"region": region, "product": product}}
    return {
        "asOf": "2026-06-30",
        "reps": [{"id": "a", "name": "A", "managerId": "m"}, {"id": "m", "name": "M", "managerId": None}],
        "plans": [{"planId": "ae", "name": "AE", "versions": [{"planVersionId": "ae-v1",
                   "effectiveStart": "2026-01-01", "config": {"rules": RULES}}]}],
        "assignments": [{"repId": r, "planId": "ae", "effectiveStart": "2026-01-01"} for r in ("a", "m")],
        "quotas": [{"repId": "a", "planId": "ae", "ruleName": n, "period": "2026-Q1", "target": "100000"}
                   for n in ("Attainment Commission", "Quarterly Bonus")],
        "deals": [deal("D1", "80000", "2026-01-10", "EMEA", "Platform"),
                  deal("D2", "60000", "2026-02-01", "AMER", "Services"),
                  deal("D3", "30000", "2026-03-01", "EMEA", "Analytics", "closed_lost")],
        "options": {"trace": False},
    }


class HandWorked(unittest.TestCase):
    def test_totals(self):
        t = baseline.totals(baseline.calculate(document()))
        # D1 covers [0, 80000): 80000 × 0.05 = 4000.00; D2 covers [80000, 140000):
        # 20000 × 0.05 + 40000 × 0.08 = 1000 + 3200 = 4200.00
        self.assertEqual(t["Attainment Commission"], Decimal("8200.00"))
        # D1 is EMEA Platform and ≥ 50000: 80000 × 0.02 = 1600.00; D2 is AMER; D3 is lost
        self.assertEqual(t["Strategic SPIF"], Decimal("1600.00"))
        # 140000 / 100000 = 1.4 ≥ 1
        self.assertEqual(t["Quarterly Bonus"], Decimal("2500.00"))
        # m: (4000 + 4200) × 0.03 = 246.00
        self.assertEqual(t["Manager Override"], Decimal("246.00"))
        self.assertEqual(t["total"], Decimal("12546.00"))


def engine_binary():
    for profile in ("release", "debug"):
        p = os.path.join(ROOT, "target", profile, "compcode-bench")
        if os.path.exists(p):
            return p
    return None


@unittest.skipIf(engine_binary() is None, "no target/*/compcode-bench: cargo build -p compcode-bench")
class SameAsTheEngine(unittest.TestCase):
    def engine_totals(self, path):
        out = subprocess.run([engine_binary(), "totals", path], check=True, capture_output=True, text=True).stdout
        return {line[:22].strip(): Decimal(line[22:].strip()) for line in out.splitlines()}

    def test_hand_worked_document(self):
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(document(), f)
        try:
            self.assertEqual(self.engine_totals(f.name)["total"], Decimal("12546.00"))
        finally:
            os.unlink(f.name)

    def test_generated_workload(self):
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            subprocess.run([engine_binary(), "gen", "3000", "--reps", "40", "--no-trace"], check=True, stdout=f)
        try:
            with open(f.name) as g:
                mine = baseline.totals(baseline.calculate(json.load(g)))
            self.assertEqual(self.engine_totals(f.name), mine)
        finally:
            os.unlink(f.name)


if __name__ == "__main__":
    unittest.main()

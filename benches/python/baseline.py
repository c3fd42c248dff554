"""The benchmark plan written the way a Python payroll team would: plain dicts, `decimal`.

This is the pure-Python baseline of the comparison harness (`scripts/bench.sh`): it reads the
document `compcode-bench gen` writes (the four rules of benches/src/lib.rs, hard-coded here as a
team would hard-code its own plan) and returns the payout lines as a list of dicts.

    python3 benches/python/baseline.py input.json      # prints the totals per rule

Rules (SPEC §8): per deal, a rep's won deals of a quarter are walked in (close date, deal id)
order; "Attainment Commission" pays the marginal bands [0, T) 5 %, [T, 1.5 T) 8 %, above 12 % of
the part of the quarter's cumulative credited value the deal covers; "Strategic SPIF" pays 1 %
(2 % from 50,000) of an EMEA Platform/Analytics deal; "Quarterly Bonus" pays 2,500 when the
quarter's credited value reaches the quota; "Manager Override" pays the manager 3 % of each
report's quarterly Attainment Commission. Every line is rounded half away from zero to cents.
"""

import json
import sys
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
COMMISSION_BANDS = [(Decimal("0"), Decimal("0.05")), (Decimal("1"), Decimal("0.08")), (Decimal("1.5"), Decimal("0.12"))]
SPIF_LARGE = Decimal("50000")
SPIF_RATE, SPIF_LARGE_RATE = Decimal("0.01"), Decimal("0.02")
BONUS = Decimal("2500")
OVERRIDE_RATE = Decimal("0.03")


def money(x):
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


def quarter(date):
    return "%s-Q%d" % (date[:4], (int(date[5:7]) - 1) // 3 + 1)


def marginal(before, after, target):
    """Sum of overlap × rate of [before, after] with the bands scaled by the target."""
    total = Decimal(0)
    for i, (lo, rate) in enumerate(COMMISSION_BANDS):
        start = lo * target
        end = COMMISSION_BANDS[i + 1][0] * target if i + 1 < len(COMMISSION_BANDS) else None
        top = after if end is None else min(after, end)
        overlap = top - max(before, start)
        if overlap > 0:
            total += overlap * rate
    return total


def calculate(doc):
    as_of = doc["asOf"]
    managers = {r["id"]: r.get("managerId") for r in doc["reps"]}
    quotas = {}
    for q in doc["quotas"]:
        quotas[(q["repId"], q["ruleName"], q["period"])] = Decimal(q["target"])

    # group the won deals by (rep, quarter)
    groups = defaultdict(list)
    for deal in doc["deals"]:
        if deal["stage"] != "closed_won" or deal["closeDate"] > as_of:
            continue
        groups[(deal["ownerRepId"], quarter(deal["closeDate"]))].append(deal)

    lines = []
    commission_by_rep_quarter = defaultdict(Decimal)
    for (rep, period), deals in sorted(groups.items()):
        deals.sort(key=lambda d: (d["closeDate"], d["id"]))
        target = quotas.get((rep, "Attainment Commission", period))
        cumulative = Decimal(0)
        for deal in deals:
            amount = Decimal(deal["amount"])
            if target is not None:
                pay = money(marginal(cumulative, cumulative + amount, target))
                lines.append({"dealId": deal["id"], "repId": rep, "rule": "Attainment Commission",
                              "period": period, "amount": pay})
                commission_by_rep_quarter[(rep, period)] += pay
            cumulative += amount
            fields = deal.get("fields", {})
            if fields.get("region") == "EMEA" and fields.get("product") in ("Platform", "Analytics"):
                rate = SPIF_LARGE_RATE if amount >= SPIF_LARGE else SPIF_RATE
                lines.append({"dealId": deal["id"], "repId": rep, "rule": "Strategic SPIF",
                              "period": period, "amount": money(amount * rate)})
        bonus_target = quotas.get((rep, "Quarterly Bonus", period))
        if bonus_target is not None:
            pay = BONUS if cumulative / bonus_target >= 1 else Decimal("0.00")
            lines.append({"dealId": None, "repId": rep, "rule": "Quarterly Bonus", "period": period,
                          "amount": money(pay)})

    for (rep, period), commission in sorted(commission_by_rep_quarter.items()):
        manager = managers.get(rep)
        if manager:
            lines.append({"dealId": None, "repId": manager, "sourceRepId": rep, "rule": "Manager Override",
                          "period": period, "amount": money(commission * OVERRIDE_RATE)})
    return lines


def totals(lines):
    out = defaultdict(Decimal)
    for line in lines:
        out[line["rule"]] += line["amount"]
    out["total"] = sum((line["amount"] for line in lines), Decimal(0))
    return dict(out)


if __name__ == "__main__":
    with open(sys.argv[1]) as f:
        document = json.load(f)
    for rule, amount in sorted(totals(calculate(document)).items()):
        print("%-22s %s" % (rule, amount))

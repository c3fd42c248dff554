"""Comparison harness, Python side (run by scripts/bench.sh; not a test).

    python3 benches/python/harness.py INPUT.json [runs=3]

Times (CPU time of the process), on the same already-loaded document (Python dicts in, Python objects out), the pure-Python
baseline (`baseline.calculate`) and, when the `compcode` wheel is importable, `compcode.simulate`.
Checks that both give the same total, then prints one JSON line:
{"baseline_ms": median, "wheel_ms": median or null, "total": "..."}.
"""

import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import baseline  # noqa: E402


def median_ms(fn, runs):
    """Median CPU time of the process (steadier than the wall clock on a shared machine)."""
    times = []
    for _ in range(runs):
        t = time.process_time()
        fn()
        times.append((time.process_time() - t) * 1000)
    return statistics.median(times)


def main():
    path = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    with open(path) as f:
        doc = json.load(f)
    total = baseline.totals(baseline.calculate(doc))["total"]
    out = {"baseline_ms": median_ms(lambda: baseline.calculate(doc), runs), "wheel_ms": None, "total": str(total)}
    try:
        import compcode  # noqa: F401
    except ImportError:
        compcode = None
    if compcode is not None:
        result = compcode.simulate(doc)
        wheel_total = result["totalCommission"] if isinstance(result, dict) else result.total_commission
        if str(wheel_total) != str(total):
            sys.exit("the wheel's total %s differs from the baseline's %s" % (wheel_total, total))
        out["wheel_ms"] = median_ms(lambda: compcode.simulate(doc), runs)
    print(json.dumps(out))


if __name__ == "__main__":
    main()

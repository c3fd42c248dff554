#!/usr/bin/env bash
# The comparison harness (issue #9): the same seeded 100,000-deal document (compcode-bench gen,
# traces off) through native Rust, the Python wheel, the Node addon, the WASM build and the
# pure-Python `decimal` baseline; prints one table with the ratios to the baseline.
#
#   bash scripts/bench.sh [deals=100000] [runs=3]
#
# Times are the median CPU time (user + system) of the measured call, steadier than the wall
# clock on a shared machine. Native Rust is measured in memory (document already built; read/validate + simulate), the
# bindings end to end from their own objects (dicts / JS objects in, objects out), the baseline
# the same way. A binding that is not built is reported as "not built": build it with
# scripts/test-python.sh (activates bindings-python/.venv), scripts/test-node.sh,
# scripts/test-wasm.sh. Not a test: nothing here fails on a time.
set -euo pipefail
cd "$(dirname "$0")/.."
DEALS="${1:-100000}"
RUNS="${2:-3}"
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"

cargo build --release -q -p compcode-bench
BIN=target/release/compcode-bench
INPUT="$(mktemp "${TMPDIR:-/tmp}/compcode-bench-XXXXXX.json")"
trap 'rm -f "$INPUT"' EXIT
"$BIN" gen "$DEALS" --no-trace > "$INPUT"

# native: median of RUNS in-memory runs; the driver prints
# "read X s (cpu A), simulate Y s (cpu B), json text Z s, ...": owned = A + B (read + the owned
# SimulateResult), view = A + B + Z (read + the lazy view + writing it as JSON text)
median() { sort -n | sed -n "$(( (RUNS + 1) / 2 ))p"; }
cpu_ms() { sed -E 's/.*read [0-9.]+ s \(cpu ([0-9.]+)\), simulate [0-9.]+ s \(cpu ([0-9.]+)\), json text ([0-9.]+) s.*/\1 \2 \3/' \
  | awk -v with_json="$1" '{printf "%.1f\n", ($1 + $2 + (with_json ? $3 : 0)) * 1000}'; }
NATIVE_MS="$(for _ in $(seq "$RUNS"); do "$BIN" run "$DEALS" --no-trace | cpu_ms 0; done | median)"
VIEW_MS="$(for _ in $(seq "$RUNS"); do "$BIN" run "$DEALS" --no-trace --view | cpu_ms 1; done | median)"

PY=python3
[ -x bindings-python/.venv/bin/python ] && PY=bindings-python/.venv/bin/python
PYOUT="$("$PY" benches/python/harness.py "$INPUT" "$RUNS")"
JSOUT='{"node_ms": null, "wasm_ms": null}'
command -v node >/dev/null 2>&1 && JSOUT="$(node benches/harness.js "$INPUT" "$RUNS")"

python3 - "$DEALS" "$NATIVE_MS" "$PYOUT" "$JSOUT" "$VIEW_MS" <<'PY'
import json, sys
deals, native, view = sys.argv[1], float(sys.argv[2]), float(sys.argv[5])
py, js = json.loads(sys.argv[3]), json.loads(sys.argv[4])
base = py["baseline_ms"]
rows = [("native Rust (owned result)", native), ("native Rust (view + JSON)", view),
        ("Python wheel", py["wheel_ms"]), ("Node addon", js["node_ms"]),
        ("WASM (Node)", js["wasm_ms"]), ("pure-Python decimal", base)]
print(f"workload: simulate, {int(deals):,} deals x 3 rules + cascade, 1,000 reps, traces off (total {py['total']})")
print(f"{'engine':<26}{'CPU ms':>12}{'x faster than pure Python':>28}")
for name, ms in rows:
    if ms is None:
        print(f"{name:<26}{'not built':>12}{'':>28}")
    else:
        print(f"{name:<26}{ms:>12.0f}{base / ms:>27.1f}x")
PY

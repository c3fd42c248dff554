#!/usr/bin/env bash
# Fuzzes every cargo-fuzz target of fuzz/ (its own workspace) with the nightly toolchain:
#   FUZZ_SECONDS   seconds per target (default 600)
#   FUZZ_TARGETS   space-separated targets (default: all of `cargo fuzz list`)
#   FUZZ_JOBS      parallel libFuzzer jobs per target (default 1)
# Installs cargo-fuzz (and the nightly toolchain) when missing, seeds each run from the spec
# fixtures (a scratch directory, not committed), runs each target, minimizes its corpus into
# fuzz/corpus/<target> (committed; replayed by compcode-core/tests/fuzz_corpus.rs on every
# `cargo test`), and prints execs, corpus size and crashes per target. A crash is saved under
# fuzz/artifacts/<target>/ and makes the script exit 1: minimize it (`cargo +nightly fuzz tmin
# <target> <file>`), fix the bug, and commit the input under compcode-core/tests/fuzz-crashers/.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"
SECONDS_PER_TARGET="${FUZZ_SECONDS:-600}"
JOBS="${FUZZ_JOBS:-1}"

step() { printf '\n==> %s\n' "$*"; }

toolchains=$(rustup toolchain list || true)
if ! grep -q '^nightly' <<<"$toolchains"; then
  step "rustup toolchain install nightly"
  rustup toolchain install nightly --profile minimal
fi
if ! command -v cargo-fuzz >/dev/null 2>&1; then
  step "cargo install cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

cd fuzz
TARGETS="${FUZZ_TARGETS:-$(cargo +nightly fuzz list)}"
step "cargo +nightly fuzz build -O ($(echo $TARGETS | wc -w) targets)"
cargo +nightly fuzz build -O

# Seeds from the spec fixtures, shaped as each target reads its input.
SEEDS=$(mktemp -d)
trap 'rm -rf "$SEEDS"' EXIT
python3 - "$SEEDS" <<'PY'
import json, os, pathlib, sys
seeds = pathlib.Path(sys.argv[1])
root = pathlib.Path("../spec-fixtures")
import re
# api_run picks OPERATIONS[byte % len]: the seeds use the core's own list, in its order
api = pathlib.Path("../compcode-core/src/api.rs").read_text()
ops = re.findall(r'"([^"]+)"', re.search(r"pub const OPERATIONS: &\[&str\] = &\[(.*?)\];", api, re.S).group(1))
def put(target, name, data):
    d = seeds / target
    d.mkdir(parents=True, exist_ok=True)
    data = data if isinstance(data, bytes) else data.encode()
    if len(data) <= 16384:
        (d / name).write_bytes(data)
for f in sorted(root.rglob("*.json")):
    if f.name.endswith(".schema.json"):
        continue
    fx = json.loads(f.read_text())
    op, inp, stem = fx.get("operation"), fx.get("input"), f"{f.parent.name}_{f.stem}"
    if op in ops:
        put("api_run", stem, bytes([ops.index(op)]) + json.dumps(inp).encode())
    if op in ("simulate", "validate") and isinstance(inp, dict):
        for i, p in enumerate(inp.get("plans") or [] if isinstance(inp.get("plans"), list) else []):
            put("plan_validate", f"{stem}_{i}", json.dumps(p))
            for r in (p.get("config") or {}).get("rules") or [] if isinstance(p, dict) else []:
                put("simulate_input", f"{stem}_rule", bytes([1]) + json.dumps(r).encode())
                for c in r.get("conditions") or [] if isinstance(r, dict) else []:
                    put("simulate_input", f"{stem}_cond", bytes([2]) + json.dumps(c).encode())
        for d in (inp.get("deals") or [])[:1] if isinstance(inp.get("deals"), list) else []:
            put("simulate_input", f"{stem}_deal", bytes([0]) + json.dumps(d).encode())
    if op and op.startswith("rules_v0"):
        put("rules_v0_json", stem, json.dumps(inp))
    if op == "formula.evaluate" and isinstance(inp, dict) and isinstance(inp.get("formula"), str):
        put("formula", stem, inp["formula"])
for i, s in enumerate(["Ada Lovelace\0Deal, \"quoted\"\n\0200000\0-50.5\0-12.34",
                       "=cmd|' /C calc'!A0\0\u00e9\u00e8\r\n\01e3\01\00.01", "\0\0\0\0"]):
    put("export_roundtrip", f"seed{i}", s)
PY

status=0
summary=()
for t in $TARGETS; do
  corpus="corpus/$t"
  mkdir -p "$corpus" "artifacts/$t" "$SEEDS/$t"
  step "fuzz $t for ${SECONDS_PER_TARGET}s"
  log=$(mktemp)
  set +e
  cargo +nightly fuzz run -O "$t" "$corpus" "$SEEDS/$t" -- -max_total_time="$SECONDS_PER_TARGET" \
    -max_len=16384 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -jobs="$JOBS" -workers="$JOBS" \
    >"$log" 2>&1
  rc=$?
  set -e
  execs=$(grep -h 'stat::number_of_executed_units' "$log" fuzz-*.log 2>/dev/null | awk '{s+=$2} END {print s+0}')
  rm -f fuzz-*.log
  crashes=$(find "artifacts/$t" -type f | wc -l)
  if [ "$rc" -ne 0 ] || [ "$crashes" -gt 0 ]; then
    status=1
    tail -n 40 "$log"
  fi
  step "minimize fuzz/$corpus"
  # a set cover on edge coverage only (no hit counters, no comparison features): every edge the
  # corpus reached is kept by the fewest inputs, so the committed corpus stays small
  cargo +nightly fuzz cmin -O "$t" "$corpus" -- -set_cover_merge=1 -use_counters=0 -use_cmp=0 \
    -max_len=16384 >/dev/null 2>&1 || true
  files=$(find "$corpus" -type f | wc -l)
  bytes=$(find "$corpus" -type f -print0 | xargs -0 cat 2>/dev/null | wc -c)
  summary+=("$(printf '%-18s %12s execs  %5s corpus files (%s bytes)  %s crash(es)  exit %s' "$t" "$execs" "$files" "$bytes" "$crashes" "$rc")")
  rm -f "$log"
done

step "summary (${SECONDS_PER_TARGET}s per target)"
printf '%s\n' "${summary[@]}"
exit "$status"

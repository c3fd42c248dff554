#!/usr/bin/env bash
# Runs every test of compcode: formatting, lints, unit + doc + fixture + property tests, the CLI
# on the examples, and (when ../shared is beside the checkout) the reference check.
# Installs what it needs first (scripts/setup.sh), so it works on a fresh machine.
set -euo pipefail
mkdir -p "$(dirname "$0")/../target"
cd "$(dirname "$0")/.."
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# CI builds once from scratch: incremental caches there only cost disk (about 1 GB).
if [ "${CI:-}" = true ]; then export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"; fi
# The disk this run starts with, so a "No space left on device" failure can be read from the log.
df -h . | sed 's/^/disk: /'

bash scripts/setup.sh

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

step "cargo test (unit, doc, spec-fixtures, properties)"
cargo test --workspace 2>&1 | tee target/test-output.log
passed=$(grep -Eo 'test result: ok\. [0-9]+ passed' target/test-output.log | awk '{s+=$4} END {print s+0}')

# the threaded calculation (feature `parallel`, off by default) must stay clean and give the
# sequential answer (calc::parallel's unit test compares them on 6,000 deals)
step "feature parallel (clippy; the calculation's unit tests)"
cargo clippy -p compcode-core --features parallel --lib --tests -- -D warnings
cargo test -p compcode-core --features parallel --lib calc:: 2>&1 | tee target/test-parallel.log
passed=$((passed + $(grep -Eo 'test result: ok\. [0-9]+ passed' target/test-parallel.log | awk '{s+=$4} END {print s+0}')))

step "benchmark baseline (pure-Python decimal plan = hand numbers = the engine)"
python3 -m unittest discover -s benches/python

step "CLI on the examples"
cargo build --release -p compcode-cli
for f in examples/*.json; do
  target/release/compcode validate "$f"
  target/release/compcode simulate "$f" > /dev/null
done

step "the lifecycle on the embedded SQLite store"
work=$(mktemp -d)
c=target/release/compcode
$c --db "$work/store.sqlite" load examples/ae-quickstart.json --at 2026-04-02
$c --db "$work/store.sqlite" statement generate sarah 2026-Q1 --at 2026-04-02 > /dev/null
$c --db "$work/store.sqlite" statement approve sarah 2026-Q1 --at 2026-04-02 > /dev/null
echo '{"id": "S6", "name": "Initech", "stage": "closed_won", "amount": "150000", "closeDate": "2026-03-28", "ownerRepId": "sarah"}' > "$work/s6.json"
# Outputs go to files before grep reads them: `grep -q` on a pipe closes it early, and the
# writer's exit status then depends on timing under pipefail.
$c --db "$work/store.sqlite" deal upsert "$work/s6.json" --at 2026-04-05 > "$work/upsert.json"
grep -q '"statementLocked": true' "$work/upsert.json"
# S6 grew 110000 → 150000 in the 14% tier: the true-up is 40000 × 0.14 = 5600.00 (> 500: needs approval)
$c --db "$work/store.sqlite" statement true-up sarah 2026-Q1 --at 2026-04-05 > "$work/tu.json"
grep -q '"total": "5600.00"' "$work/tu.json" && grep -q '"status": "requires_approval"' "$work/tu.json"
$c --db "$work/store.sqlite" statement export sarah 2026-Q1 > "$work/export.csv"
tail -1 "$work/export.csv" | grep -q ',net,,,,,,61600.00,'
rm -rf "$work"
echo "lifecycle ok"

step "Python binding (bindings-python: wheel, pytest, mypy)"
bash scripts/test-python.sh 2>&1 | tee target/test-python.log
pypassed=$(grep -Eo '[0-9]+ passed' target/test-python.log | tail -1 | awk '{print $1}')
passed=$((passed + ${pypassed:-0}))

step "Node binding (bindings-node: addon, node --test, tsc, npm pack)"
bash scripts/test-node.sh 2>&1 | tee target/test-node.log
nodepassed=$(grep -Eo '^# pass [0-9]+' target/test-node.log | tail -1 | awk '{print $3}')
passed=$((passed + ${nodepassed:-0}))

step "WASM binding (bindings-wasm: the Node suite on WASM, fixtures in headless Chromium, the preview page)"
bash scripts/test-wasm.sh 2>&1 | tee target/test-wasm.log
wasmpassed=$(grep -Eo 'wasm tests: [0-9]+ passed' target/test-wasm.log | tail -1 | awk '{print $3}')
passed=$((passed + ${wasmpassed:-0}))

if [ -f ../shared/checks/reference_check.py ]; then
  step "reference check (independently worked answers)"
  python3 ../shared/checks/reference_check.py --cmd "target/release/compcode simulate --json --no-trace {file}"
fi
echo
du -sh target | sed 's/^/disk used by target: /'
echo "tests: ${passed} passed, 0 failed"

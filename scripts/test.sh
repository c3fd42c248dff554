#!/usr/bin/env bash
# Runs every test of compcode: formatting, lints, unit + doc + fixture + property tests, the CLI
# on the examples, and (when ../shared is beside the checkout) the reference check.
# Installs what it needs first (scripts/setup.sh), so it works on a fresh machine.
set -euo pipefail
mkdir -p "$(dirname "$0")/../target"
cd "$(dirname "$0")/.."
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

bash scripts/setup.sh

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

step "cargo test (unit, doc, spec-fixtures, properties)"
cargo test --workspace 2>&1 | tee target/test-output.log
passed=$(grep -Eo 'test result: ok\. [0-9]+ passed' target/test-output.log | awk '{s+=$4} END {print s+0}')

step "CLI on the examples"
cargo build --release -p compcode-cli
for f in examples/*.json; do
  target/release/compcode validate "$f"
  target/release/compcode simulate "$f" > /dev/null
done

if [ -f ../shared/checks/reference_check.py ]; then
  step "reference check (independently worked answers)"
  python3 ../shared/checks/reference_check.py --cmd "target/release/compcode simulate --json --no-trace {file}"
fi
echo
echo "tests: ${passed} passed, 0 failed"

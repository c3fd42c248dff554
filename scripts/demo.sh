#!/usr/bin/env bash
# The demo: simulate the CompCode quickstart AE plan on a quarter of deals.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"
cargo run --quiet --release -p compcode-cli -- simulate "${1:-examples/ae-quickstart.json}"

#!/usr/bin/env bash
# Builds the Python binding (bindings-python/) into its own virtualenv and runs its tests:
# pytest (every spec fixture, the Python-only behaviour, the README example, the result types,
# mypy --strict on the example and stubtest on the stubs), then mypy --strict on the example, the
# package and the tests.
# Works on a fresh machine with Rust and python3 installed; idempotent, and quick once set up.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

CRATE=bindings-python
VENV="$CRATE/.venv"
PY="$VENV/bin/python"
# Pinned majors; bump together with the toolchain note (shared/toolchain/python-bindings.md).
REQUIREMENTS=("maturin>=1.16,<2" "pytest>=9,<10" "mypy>=1.10,<2")
STAMP="$VENV/.compcode-requirements"

step() { printf '\n==> %s\n' "$*"; }

command -v cargo >/dev/null 2>&1 || { echo "test-python: cargo is missing; install Rust (rustup) first" >&2; exit 1; }
command -v python3 >/dev/null 2>&1 || { echo "test-python: python3 is missing (3.9 or newer)" >&2; exit 1; }

if [ ! -x "$PY" ] || ! "$PY" -c 'import sys' >/dev/null 2>&1; then
  step "python3 -m venv $VENV"
  rm -rf "$VENV"
  if ! python3 -m venv "$VENV"; then
    # Debian/Ubuntu ship venv separately.
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
      apt-get update -qq && apt-get install -y -qq python3-venv
      rm -rf "$VENV" && python3 -m venv "$VENV"
    else
      echo "test-python: 'python3 -m venv' failed; install the python3-venv package" >&2
      exit 1
    fi
  fi
fi

if [ "$(cat "$STAMP" 2>/dev/null)" != "${REQUIREMENTS[*]}" ]; then
  step "pip install ${REQUIREMENTS[*]}"
  "$PY" -m pip install -q --disable-pip-version-check "${REQUIREMENTS[@]}"
  printf '%s' "${REQUIREMENTS[*]}" > "$STAMP"
fi

step "maturin develop --release ($CRATE)"
(cd "$CRATE" && .venv/bin/maturin develop --release --locked)

step "pytest $CRATE/tests"
(cd "$CRATE" && .venv/bin/python -m pytest -q -p no:cacheprovider tests) 2>&1 | tee "$CRATE/.venv/pytest-output.log"
passed=$(grep -Eo '[0-9]+ passed' "$CRATE/.venv/pytest-output.log" | tail -1 | awk '{print $1}')

step "mypy --strict (example, package, tests)"
(cd "$CRATE" && .venv/bin/python -m mypy --strict examples/quickstart.py python/compcode tests)

echo
echo "python tests: ${passed:-0} passed, 0 failed; mypy --strict clean"

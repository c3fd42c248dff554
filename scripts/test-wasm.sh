#!/usr/bin/env bash
# Tests the WebAssembly binding (bindings-wasm/): builds the module for wasm32-unknown-unknown,
# assembles the npm package bindings-wasm/pkg (wasm-bindgen glue for Node.js and for browsers),
# runs the binding's Rust unit tests, the Node binding's `node --test` suite UNCHANGED against
# the WASM build (COMPCODE_TARGET=wasm), and bindings-wasm's own tests: the package, every spec
# fixture in headless Chromium, and the plan preview page (demo/, with its screenshot).
#
# Works on a fresh machine with Rust (rustup) and root for apt: it installs what it needs.
#   * a wasm32 standard library: rustup's target (`rustup target add`, with a timeout), else
#     Debian's Rust 1.96 (rustc-web, cargo-web, rust-web-src, rust-web-llvm, lld-22) building std
#     from source (-Z build-std); FORCE_DEBIAN_WASM=1 takes that route on purpose
#   * wasm-bindgen-cli of exactly the wasm-bindgen version in Cargo.lock (cargo install)
#   * Node.js and npm (apt) when missing; npm packages from the lock files (bindings-wasm:
#     playwright-core; bindings-node: typescript, for its types test)
#   * Debian's chromium (apt), driven by playwright-core (no browser download)
# Quick when already set up. BENCH=1 also runs bindings-wasm/bench/simulate.js (needs the CLI:
# cargo build --release -p compcode-cli). Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p target
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

TOOLS_ROOT=${TOOLS_ROOT:-$HOME/.cargo} # where wasm-bindgen-cli is installed
export PATH="$TOOLS_ROOT/bin:$PATH"
T=wasm32-unknown-unknown
# The module's release settings, for the wasm32 build only (the workspace's release profile keeps
# debug info and speed for the CLI): size-optimised, one codegen unit, LTO. Measured on the
# 100k-deal benchmark: opt-level 3 is ~25 % faster but 490 KiB gzipped instead of 390.
WASM_PROFILE=(CARGO_PROFILE_RELEASE_OPT_LEVEL=s CARGO_PROFILE_RELEASE_LTO=true
  CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1 CARGO_PROFILE_RELEASE_DEBUG=0)
# Issue #6's target is 500 KiB gzipped; the module met it (406 KiB) until SPEC §19–§20 (CRM
# adapters, analysis, diff, read models, draws, FX, schedules, amortization) added ~40 % more code:
# 621 KiB now (tried: opt-level z 615 KiB and ~35 % slower; Debian's wasm-opt 108 -Oz breaks or
# grows the module). So the browser page gets its own module: compcode-wasm's `preview` feature
# (the page's operations only, ~290 KiB), held to issue #6's 500 KiB; the full npm module has a
# budget so that growth stays visible. It was 640 KiB until issue #9's second round added the
# typed trace steps with their JSON writers, the lazy simulate view (a second renderer, serialized
# to text and to values) and the incremental deal runs: 626 → 660 KiB, for 2× faster simulate
# answers in the module itself. It was 680 KiB until issue #9's fourth round (shared names,
# lines reserved at their count, in-place sorts, interned deal texts: the 1M-deal heap peak −23 %
# without traces, the typed document −11 %) took it from 679 to 682 KiB after a size pass that
# gave back 11 KB raw of that round's growth (a new BTreeSet, a second BTreeMap key type, a
# stable sort); the rest is spread thin over generic instantiations. It was 690 KiB until issue
# #9's sixth round (groups in a dense table, shared field names, in-place slot indices, a shorter
# band walk: 1M deals ~17 % faster, the typed document −7 %) took it from 688.2 to 690.1 KiB
# (Node's zlib level 9, which bindings-wasm/test/pkg.test.js checks; gzip -9 here reads ~6 KB
# less) after a size pass that gave back ~6 KB gzipped of that round's growth (a generic map's code, a
# BTreeMap bulk build, a stable sort of the field entries). Now 692 KiB: the next growth must
# again be a decision.
MAX_GZIP_KIB=692
PREVIEW_MAX_GZIP_KIB=500

step() { printf '\n==> %s\n' "$*"; }
started=$(date +%s)

if ! command -v cargo >/dev/null 2>&1; then
  echo "test-wasm: cargo is missing; install Rust (rustup) first" >&2
  exit 1
fi
apt_updated=
apt_install() {
  if [ -z "$apt_updated" ]; then
    apt-get update -qq
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  step "installing Node.js (apt)"
  apt_install nodejs npm
fi
node -e 'if (+process.versions.node.split(".")[0] < 18) { console.error(`test-wasm: Node ${process.version} is too old (18 or later)`); process.exit(1) }'

step "a wasm32 standard library"
# Listings are captured before grep reads them: `grep -q` on a pipe can close it under a writer
# that is still printing, and pipefail then turns a match into a failure.
has_rustup_target() { local l; l=$(rustup target list --installed 2>/dev/null || true); grep -qx "$T" <<<"$l"; }
if [ -z "${FORCE_DEBIAN_WASM:-}" ] && ! has_rustup_target; then
  echo "adding rustup's $T target (at most 120 s)"
  timeout 120 rustup target add "$T" >/dev/null 2>&1 || echo "rustup could not add $T: Debian's route"
fi
if [ -z "${FORCE_DEBIAN_WASM:-}" ] && has_rustup_target; then
  echo "rustup's $T ($(rustc -V))"
  OUT=target
  wasm_cargo() { env "${WASM_PROFILE[@]}" cargo "$@" --target "$T"; }
else
  debian_rustc=$(/usr/bin/rustc -V 2>/dev/null || true)
  if ! grep -q '^rustc 1\.96' <<<"$debian_rustc" || ! [ -e /usr/lib/llvm-22/bin/lld ] ||
    ! [ -d /usr/lib/rustlib/src/rust/library ]; then
    echo "installing Debian's Rust 1.96 with its std source and lld-22 (apt)"
    apt_install rustc-web cargo-web rust-web-src rust-web-llvm lld-22
  fi
  echo "Debian's $(/usr/bin/rustc -V) with -Z build-std"
  # Its own target dir: 1.96 and rustup's compiler do not share build artifacts.
  OUT=target/debian-wasm
  wasm_cargo() {
    env "${WASM_PROFILE[@]}" RUSTC_BOOTSTRAP=1 RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc CARGO_TARGET_DIR="$OUT" \
      /usr/bin/cargo "$@" -Z build-std=std,panic_abort --target "$T"
  }
fi

step "wasm-bindgen-cli"
WBG_VER=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
if [ -z "$WBG_VER" ]; then
  echo "test-wasm: no wasm-bindgen in Cargo.lock" >&2
  exit 1
fi
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WBG_VER" ]; then
  echo "installing wasm-bindgen-cli $WBG_VER (about 2 minutes)"
  # --locked first; its lock file names a webpki-roots release the registry may not serve, and
  # then the same version resolves without --locked.
  cargo install --quiet --locked wasm-bindgen-cli --version "=$WBG_VER" --root "$TOOLS_ROOT" ||
    cargo install --quiet wasm-bindgen-cli --version "=$WBG_VER" --root "$TOOLS_ROOT"
fi
wasm-bindgen --version

npm_ci() { # npm ci in $1 unless node_modules is newer than the lock file
  local dir=$1 log
  if [ -f "$dir/node_modules/.package-lock.json" ] && ! [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    echo "$dir: up to date"
    return
  fi
  log=$(mktemp)
  if (cd "$dir" && npm ci --no-audit --no-fund) >"$log" 2>&1; then
    echo "$dir: $(tail -n 1 "$log")"
  else
    # As in scripts/test-node.sh: npm ci refuses a lock file without other platforms' optional
    # packages; `npm install --no-save` installs the same locked versions without touching it.
    grep -m 3 'npm error' "$log" || true
    echo "$dir: npm ci refused the lock file; npm install --no-save"
    (cd "$dir" && npm install --no-save --no-audit --no-fund)
  fi
  rm -f "$log"
}
step "npm packages (bindings-wasm: playwright-core; bindings-node: typescript for its types test)"
npm_ci bindings-wasm
npm_ci bindings-node

step "chromium (Debian's)"
if ! [ -x /usr/bin/chromium ]; then
  echo "installing chromium (apt, about 150 MB)"
  apt_install chromium
fi
/usr/bin/chromium --version 2>/dev/null | tail -n 1

step "cargo test -p compcode-wasm (the binding's Rust unit tests, on the host)"
if ! cargo test --locked -p compcode-wasm --quiet >target/test-wasm-rust.log 2>&1; then
  cat target/test-wasm-rust.log >&2
  echo "test-wasm: cargo test -p compcode-wasm failed" >&2
  exit 1
fi
if ! cargo test --locked -p compcode-wasm --features preview --quiet >>target/test-wasm-rust.log 2>&1; then
  cat target/test-wasm-rust.log >&2
  echo "test-wasm: cargo test -p compcode-wasm --features preview failed" >&2
  exit 1
fi
grep -E '^test result' target/test-wasm-rust.log
rustpassed=$(grep -Eo 'test result: ok\. [0-9]+ passed' target/test-wasm-rust.log | awk '{s+=$4} END {print s+0}')

step "build the module (cargo build --release --target $T -p compcode-wasm)"
wasm_cargo build --locked --release -p compcode-wasm
WASM="$OUT/$T/release/compcode_wasm.wasm"

step "wasm-bindgen (nodejs + web) and the package (bindings-wasm/pkg)"
node bindings-wasm/build.js "$WASM"
MOD=bindings-wasm/pkg/compcode_wasm_bg.wasm
raw=$(stat -c %s "$MOD")
gz=$(gzip -9 -c "$MOD" | wc -c)
echo "module size: $raw bytes raw ($((raw / 1024)) KiB), $gz bytes gzip -9 ($((gz / 1024)) KiB); limit ${MAX_GZIP_KIB} KiB gzipped"
if [ "$gz" -gt $((MAX_GZIP_KIB * 1024)) ]; then
  echo "test-wasm: the module is larger than ${MAX_GZIP_KIB} KiB gzipped" >&2
  exit 1
fi

step "the preview page's module (--features preview: simulate, validate, diff_plans, analyze_plan, templates)"
wasm_cargo build --locked --release -p compcode-wasm --features preview
node bindings-wasm/build.js --preview "$WASM"
PMOD=bindings-wasm/demo/pkg/compcode_wasm_bg.wasm
praw=$(stat -c %s "$PMOD")
pgz=$(gzip -9 -c "$PMOD" | wc -c)
echo "preview module size: $praw bytes raw ($((praw / 1024)) KiB), $pgz bytes gzip -9 ($((pgz / 1024)) KiB); limit ${PREVIEW_MAX_GZIP_KIB} KiB gzipped"
if [ "$pgz" -gt $((PREVIEW_MAX_GZIP_KIB * 1024)) ]; then
  echo "test-wasm: the preview module is larger than ${PREVIEW_MAX_GZIP_KIB} KiB gzipped" >&2
  exit 1
fi

run_node_tests() { # $1: label, then the node --test arguments; prints the counts, fails loudly
  local label=$1 log
  shift
  log=$(mktemp)
  if ! node --test "$@" >"$log" 2>&1; then
    grep -E '^not ok|^# ' "$log" || true
    echo "test-wasm: $label failed; full output:" >&2
    cat "$log" >&2
    rm -f "$log"
    exit 1
  fi
  grep -E '^# (tests|pass|fail|skipped)' "$log"
  last_pass=$(awk '/^# pass/ {print $3}' "$log")
  rm -f "$log"
}

step "the Node binding's suite against the WASM build (COMPCODE_TARGET=wasm node --test bindings-node/test/)"
export COMPCODE_TARGET=wasm # bindings-node/test/load.js then loads ../bindings-wasm/pkg
run_node_tests "the Node suite against WASM" bindings-node/test/
unset COMPCODE_TARGET
nodepassed=$last_pass

step "bindings-wasm tests: the package, every fixture in headless Chromium, the plan preview page"
run_node_tests "bindings-wasm/test" bindings-wasm/test/*.test.js
wasmpassed=$last_pass
echo "screenshot: bindings-wasm/demo/screenshot.png"

if [ -n "${BENCH:-}" ]; then
  step "benchmark: simulate, WASM in Node against native"
  node bindings-wasm/bench/simulate.js
fi

echo
echo "wasm: $((raw / 1024)) KiB raw, $((gz / 1024)) KiB gzipped (preview page: $((pgz / 1024)) KiB); Rust ${rustpassed}, Node suite on WASM ${nodepassed}, bindings-wasm ${wasmpassed} ($(($(date +%s) - started)) s)"
echo "wasm tests: $((rustpassed + nodepassed + wasmpassed)) passed, 0 failed"

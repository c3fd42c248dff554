#!/usr/bin/env bash
# Tests the Node.js binding (bindings-node/): installs its npm dev tools (npm ci), builds the
# addon (release), runs the binding's Rust unit tests, the `node --test` suite (spec fixtures,
# JS behaviour, README example, index.d.ts checks), the TypeScript check of the typed example,
# and packs the npm package and installs it into a scratch project. Works on a fresh machine
# with Rust; installs Node.js from apt when it is missing. Quick when already set up.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

step() { printf '\n==> %s\n' "$*"; }

if ! command -v cargo >/dev/null 2>&1; then
  echo "test-node: cargo is missing; install Rust (rustup) first" >&2
  exit 1
fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  step "installing Node.js (apt)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
node -e 'if (+process.versions.node.split(".")[0] < 18) { console.error(`test-node: Node ${process.version} is too old (18 or later)`); process.exit(1) }'

cd bindings-node

step "npm ci (bindings-node)"
# node_modules/.package-lock.json is written by npm on install: skip when it is newer than the lock.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # `npm ci` refuses a lock file without the other platforms' optional packages of the napi CLI's
  # helpers, which npm leaves out when its registry cannot serve them (as on a mirror that
  # carries only this platform's); `npm install --no-save` then installs the same locked
  # versions without touching package-lock.json.
  npm_log=$(mktemp)
  if npm ci --no-audit --no-fund >"$npm_log" 2>&1; then
    tail -n 1 "$npm_log"
  else
    grep -m 3 'npm error' "$npm_log" || true
    echo "test-node: npm ci refused the lock file; installing the locked versions with npm install --no-save"
    npm install --no-save --no-audit --no-fund
  fi
  rm -f "$npm_log"
else
  echo "up to date"
fi

step "build the addon (napi build --release)"
npm run --silent build
# The workspace's release profile keeps debug info (for the CLI and benches); the shipped addon
# does not need it. Stripping the copy leaves the shared target/ untouched.
if command -v strip >/dev/null 2>&1; then
  strip --strip-debug compcode.*.node
fi

step "cargo test -p compcode-node (Rust unit tests of the binding)"
(cd .. && cargo test --locked -p compcode-node --quiet)

step "node --test"
log=$(mktemp)
trap 'rm -rf "$log" "${scratch:-}"' EXIT
if ! node --test test/*.test.js >"$log" 2>&1; then
  grep -E '^not ok|^# ' "$log" || true
  echo "test-node: node --test failed; full output:" >&2
  cat "$log" >&2
  exit 1
fi
grep -E '^# (tests|pass|fail|skipped)' "$log"
passed=$(awk '/^# pass/ {print $3}' "$log")

step "tsc --noEmit --strict examples/quickstart.ts"
npm run --silent typecheck
echo "ok"

step "npm pack + install into a scratch project"
scratch=$(mktemp -d)
tarball=$(npm pack --silent --pack-destination "$scratch" | tail -n 1)
echo "packed $tarball ($(du -h "$scratch/$tarball" | cut -f1))"
(
  cd "$scratch"
  npm init -y >/dev/null
  npm install --no-audit --no-fund --silent "./$tarball"
  node -e '
    const assert = require("node:assert");
    const fs = require("node:fs");
    const path = require("node:path");
    const c = require("compcode");
    const out = c.simulate({
      asOf: "2026-04-01",
      reps: [{ id: "alice", name: "Alice" }],
      plans: [{ planId: "ae", name: "AE", effectiveStart: "2026-01-01", config: { rules: [{ name: "Revenue",
        measure: "closed_won_revenue", tierBy: "value", tiers: [{ minThreshold: 0, rate: 0.08 }] }] } }],
      assignments: [{ repId: "alice", planId: "ae" }],
      deals: [{ id: "D1", stage: "closed_won", amount: "200000", closeDate: "2026-01-10", ownerRepId: "alice" }],
    });
    assert.strictEqual(out.totalCommission, "16000.00");
    assert.throws(() => c.validate({ asOf: NaN }), (e) => e instanceof c.CompcodeError && e.code === "VALIDATION_FAILED");
    const dir = path.dirname(require.resolve("compcode/package.json"));
    const files = fs.readdirSync(dir).sort();
    for (const f of ["index.js", "index.d.ts", "native.js", "package.json", "README.md"]) assert.ok(files.includes(f), f);
    assert.ok(files.some((f) => f.endsWith(".node")), "the addon is in the package");
    assert.ok(!files.includes("src") && !files.includes("test"), "sources and tests stay out: " + files);
    console.log("installed and required compcode from the tarball: " + files.join(" "));
  '
)

echo
echo "node tests: ${passed} passed, 0 failed; tsc ok; pack + install ok"

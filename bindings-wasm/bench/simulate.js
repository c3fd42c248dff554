'use strict';
// Benchmark (not a test): simulate() through the WASM build in Node versus native code, on the
// same deterministic document (bindings-node/bench/generate.js: 200 reps, tiered per-deal rule
// plus a periodic bonus, quotas per quarter).
//
//   cargo build --release -p compcode-cli      # the native side: target/release/compcode
//   bash scripts/test-wasm.sh                   # builds bindings-wasm/pkg
//   node bindings-wasm/bench/simulate.js [deals=100000] [runs=5]
//
// WASM: compcodeWasm.simulate(doc) on a JS object: JSON.stringify of the input, copying the text
// into the module's memory, the engine compiled to WebAssembly, copying the answer out and
// JSON.parse into plain objects. Native: the `compcode` CLI, `compcode simulate --json
// --no-trace FILE` (read the file, parse, simulate, print to /dev/null), a whole process per run.
// When the Node addon (bindings-node) is built, it is measured too: the same JS layer as the
// WASM build, the engine native, in-process (the fairest comparison of the engines alone).
// The document has options.trace = false everywhere. Prints medians and bests; the target for
// WASM / native (CLI) is at most 2.5.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { generate } = require('../../bindings-node/bench/generate');
const wasm = require('../pkg');

const deals = Number(process.argv[2] || 100000);
const runs = Number(process.argv[3] || 5);
const cli = path.resolve(__dirname, '../../target/release/compcode');
if (!fs.existsSync(cli)) {
  console.error(`missing ${cli}: build it with \`cargo build --release -p compcode-cli\``);
  process.exit(2);
}
let addon = null;
try {
  addon = require('../../bindings-node');
} catch {
  addon = null; // not built: skipped
}

const doc = generate(deals);
const file = path.join(os.tmpdir(), `compcode-wasm-bench-${process.pid}-${deals}.json`);
fs.writeFileSync(file, JSON.stringify(doc));

const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (x) => `${x.toFixed(0)} ms`;

try {
  // Same answer on every side.
  const wasmOut = wasm.simulate(doc);
  const cliRun = spawnSync(cli, ['simulate', '--json', '--no-trace', file], { maxBuffer: 1 << 30, encoding: 'utf8' });
  if (cliRun.status !== 0) throw new Error(`the CLI failed: ${cliRun.stderr}`);
  const cliOut = JSON.parse(cliRun.stdout);
  for (const k of ['totalCommission', 'totalDeals', 'eligibleDeals']) {
    if (wasmOut[k] !== cliOut[k]) throw new Error(`${k} differs: wasm ${wasmOut[k]}, CLI ${cliOut[k]}`);
  }
  if (wasmOut.events.length !== cliOut.events.length) throw new Error('the number of events differs');
  if (addon) {
    try {
      if (addon.simulate(doc).totalCommission !== wasmOut.totalCommission) addon = null; // a stale addon: skipped
    } catch {
      addon = null;
    }
  }

  // Interleaved, so that load from other processes hits every side alike.
  const times = { wasm: [], cli: [], addon: [] };
  for (let i = 0; i < runs; i++) {
    let t = process.hrtime.bigint();
    wasm.simulate(doc);
    times.wasm.push(ms(t));
    t = process.hrtime.bigint();
    const r = spawnSync(cli, ['simulate', '--json', '--no-trace', file], { stdio: 'ignore' });
    times.cli.push(ms(t));
    if (r.status !== 0) throw new Error('the CLI failed');
    if (addon) {
      t = process.hrtime.bigint();
      addon.simulate(doc);
      times.addon.push(ms(t));
    }
  }
  // Where the JS side's time goes, measured apart on the same data.
  const parts = { stringify: [], parse: [] };
  const text = JSON.stringify(wasmOut);
  for (let i = 0; i < runs; i++) {
    let t = process.hrtime.bigint();
    JSON.stringify(doc);
    parts.stringify.push(ms(t));
    t = process.hrtime.bigint();
    JSON.parse(text);
    parts.parse.push(ms(t));
  }

  const line = (label, xs) => console.log(`  ${label.padEnd(34)} median ${fmt(median(xs))}  best ${fmt(Math.min(...xs))}`);
  const ratio = (a, b) => `${(median(a) / median(b)).toFixed(2)} (median), ${(Math.min(...a) / Math.min(...b)).toFixed(2)} (best)`;
  const wasmSize = fs.statSync(path.join(__dirname, '../pkg/compcode_wasm_bg.wasm')).size;
  console.log(
    `simulate, ${deals} deals, ${doc.reps.length} reps, ${runs} runs each (${os.cpus().length} cpus, node ${process.version}, module ${(wasmSize / 1024).toFixed(0)} KiB)`,
  );
  console.log(`  output: ${wasmOut.events.length} events, ${wasmOut.results.length} results, total ${wasmOut.totalCommission}`);
  line('wasm   simulate(doc) in Node', times.wasm);
  console.log(`    of which JSON.stringify(doc) ~${fmt(median(parts.stringify))}, JSON.parse(answer) ~${fmt(median(parts.parse))}`);
  line('native compcode CLI (a process)', times.cli);
  if (addon) line('native Node addon simulate(doc)', times.addon);
  else console.log('  native Node addon: not built or stale (bash scripts/test-node.sh builds it): skipped');
  console.log(`  ratio wasm / native CLI:   ${ratio(times.wasm, times.cli)}; target <= 2.5`);
  if (addon) console.log(`  ratio wasm / native addon: ${ratio(times.wasm, times.addon)}`);
} finally {
  fs.unlinkSync(file);
}

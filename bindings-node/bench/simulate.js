'use strict';
// Benchmark (not a test): simulate() through the addon versus the native engine on the same
// deterministic 100 000-deal document.
//
//   cargo build --release -p compcode-cli     # the native side: target/release/compcode
//   npm run build                             # the addon (release)
//   node bench/simulate.js [deals=100000] [runs=5]
//
// Addon: compcode.simulate(doc) on a JS object, including JSON.stringify of the input, the
// native call and JSON.parse of the answer into plain objects. Native: the `compcode` CLI,
// `compcode simulate --json --no-trace FILE` (read the file, parse, simulate, print the JSON
// to /dev/null), a whole process per run. The document has options.trace = false on both sides.
// Prints the median and best of each and the ratio of the medians (target: at most 1.5).
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { generate } = require('./generate');
const compcode = require('..');

const deals = Number(process.argv[2] || 100000);
const runs = Number(process.argv[3] || 5);
const cli = path.resolve(__dirname, '../../target/release/compcode');
if (!fs.existsSync(cli)) {
  console.error(`missing ${cli}: build it with \`cargo build --release -p compcode-cli\``);
  process.exit(2);
}

const doc = generate(deals);
const file = path.join(os.tmpdir(), `compcode-bench-${deals}.json`);
fs.writeFileSync(file, JSON.stringify(doc));

const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (x) => `${x.toFixed(0)} ms`;

// Same answer on both sides.
const addonOut = compcode.simulate(doc);
const cliRun = spawnSync(cli, ['simulate', '--json', '--no-trace', file], { maxBuffer: 1 << 30, encoding: 'utf8' });
if (cliRun.status !== 0) throw new Error(`the CLI failed: ${cliRun.stderr}`);
const cliOut = JSON.parse(cliRun.stdout);
for (const k of ['totalCommission', 'totalDeals', 'eligibleDeals']) {
  if (addonOut[k] !== cliOut[k]) throw new Error(`${k} differs: addon ${addonOut[k]}, CLI ${cliOut[k]}`);
}
if (addonOut.events.length !== cliOut.events.length) throw new Error('the number of events differs');

// Interleaved, so that load from other processes hits both sides alike.
const addon = [];
const native = [];
for (let i = 0; i < runs; i++) {
  let t = process.hrtime.bigint();
  compcode.simulate(doc);
  addon.push(ms(t));
  t = process.hrtime.bigint();
  const r = spawnSync(cli, ['simulate', '--json', '--no-trace', file], { stdio: 'ignore' });
  native.push(ms(t));
  if (r.status !== 0) throw new Error('the CLI failed');
}
// Where the addon's extra time goes, measured apart on the same data.
const parts = { stringify: [], parse: [] };
const text = JSON.stringify(addonOut);
for (let i = 0; i < runs; i++) {
  let t = process.hrtime.bigint();
  JSON.stringify(doc);
  parts.stringify.push(ms(t));
  t = process.hrtime.bigint();
  JSON.parse(text);
  parts.parse.push(ms(t));
}

console.log(`simulate, ${deals} deals, ${doc.reps.length} reps, ${runs} runs each (${os.cpus().length} cpus, node ${process.version})`);
console.log(`  output: ${addonOut.events.length} events, ${addonOut.results.length} results, ${addonOut.diagnostics.length} diagnostics, total ${addonOut.totalCommission}`);
console.log(`  addon  simulate(doc)         median ${fmt(median(addon))}  best ${fmt(Math.min(...addon))}`);
console.log(`    of which JSON.stringify(doc) ~${fmt(median(parts.stringify))}, JSON.parse(answer) ~${fmt(median(parts.parse))}`);
console.log(`  native compcode CLI          median ${fmt(median(native))}  best ${fmt(Math.min(...native))}`);
console.log(`  ratio addon / native: ${(median(addon) / median(native)).toFixed(2)} (median), ${(Math.min(...addon) / Math.min(...native)).toFixed(2)} (best); target <= 1.5`);
fs.unlinkSync(file);

'use strict';
// Comparison harness, JavaScript side (run by scripts/bench.sh; not a test).
//
//   node benches/harness.js INPUT.json [runs=3]
//
// Times simulate(doc) on the same already-parsed document (JS objects in, JS objects out) through
// the Node addon (bindings-node, when built) and the WASM build (bindings-wasm/pkg, when built),
// checks their totals, and prints one JSON line: {"node_ms": median|null, "wasm_ms": median|null,
// "total": "..."}.
const fs = require('node:fs');
const path = require('node:path');

const file = process.argv[2];
const runs = Number(process.argv[3] || 3);
const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function load(p) {
  try {
    return require(p);
  } catch (e) {
    return null;
  }
}

function time(mod) {
  if (!mod) return { ms: null, total: null };
  const total = mod.simulate(doc).totalCommission;
  const xs = [];
  for (let i = 0; i < runs; i++) {
    // CPU time of the process (steadier than the wall clock on a shared machine)
    const t = process.cpuUsage();
    mod.simulate(doc);
    const d = process.cpuUsage(t);
    xs.push((d.user + d.system) / 1000);
  }
  return { ms: median(xs), total };
}

const node = time(load(path.resolve(__dirname, '../bindings-node')));
const wasm = time(load(path.resolve(__dirname, '../bindings-wasm/pkg')));
if (node.total && wasm.total && node.total !== wasm.total) {
  console.error(`totals differ: node ${node.total}, wasm ${wasm.total}`);
  process.exit(1);
}
console.log(JSON.stringify({ node_ms: node.ms, wasm_ms: wasm.ms, total: node.total || wasm.total }));

'use strict';
// The orchestrator examples run as a user runs them: the typed month-end
// (examples/orchestrator.ts, type-checked separately by `npm run typecheck`), the example stores
// (`node examples/json-file-repository.js`, `node examples/sqlite-repository.js` where
// node:sqlite exists), and the README's "your own database" example. Skipped under
// COMPCODE_TARGET=wasm.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { compcode } = require('./load');
const { SKIP } = require('./stores');

const EXAMPLES = path.resolve(__dirname, '../examples');

function run(args, what) {
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', cwd: EXAMPLES });
  assert.strictEqual(r.status, 0, `${what} exited with ${r.status}: ${r.stderr}`);
  return r.stdout;
}

test('the typed example runs', { skip: SKIP }, () => {
  // transpiled in a child process, compiled as examples/orchestrator.ts so that its `..` is this package
  const file = path.join(EXAMPLES, 'orchestrator.ts');
  const script = `
    const ts = require(${JSON.stringify(require.resolve('typescript'))});
    const Module = require('node:module');
    const file = ${JSON.stringify(file)};
    const js = ts.transpileModule(require('node:fs').readFileSync(file, 'utf8'),
      { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020 } }).outputText;
    const m = new Module(file);
    m.filename = file;
    m.paths = Module._nodeModulePaths(${JSON.stringify(EXAMPLES)});
    m._compile(js, file);`;
  const out = run(['-e', script], 'examples/orchestrator.ts');
  assert.match(out, /^imported: 1 lines\nnet 16000\.00\nstatementLocked: true\n/);
  assert.match(out, /alice,Alice,alice@example\.com,2026-Q2,net,,,,,,4000\.00,/);
  assert.match(out, /statement_locked 409\n$/);
});

const MONTH_END = [
  'repId,repName,email,period,kind,rule,dealId,dealName,tier,rate,amount,currency',
  'alice,Alice,alice@example.com,2026-Q1,event,Revenue,D1,,Tier 1,0.08,16000.00,',
  'alice,Alice,alice@example.com,2026-Q1,net,,,,,,16000.00,',
  '',
].join('\n');

test('node examples/json-file-repository.js', { skip: SKIP }, () => {
  const out = run(['json-file-repository.js'], 'the JSON file store');
  assert.strictEqual(out, `conformance: every check passed (14 stores)\n${MONTH_END}`);
});

let nodeSqlite = false;
try {
  require('node:sqlite');
  nodeSqlite = true;
} catch {
  // Node < 22.5
}

test(
  'node examples/sqlite-repository.js',
  { skip: SKIP || (!nodeSqlite && `node:sqlite is not in Node ${process.version} (it is from 22.5 on)`) },
  () => {
    const out = run(['sqlite-repository.js'], 'the node:sqlite store');
    assert.strictEqual(out, `conformance: every check passed\n${MONTH_END}`);
  },
);

test("the README's \"your own database\" example runs", { skip: SKIP }, () => {
  const readme = fs.readFileSync(path.resolve(__dirname, '../README.md'), 'utf8');
  const m = /<!-- START repository-example -->\s*```js\n([\s\S]*?)```\s*<!-- END repository-example -->/.exec(readme);
  assert.ok(m, 'README.md has a ```js block between the repository-example markers');
  const modules = { compcode, 'node:assert': assert };
  const requireShim = (name) => {
    if (!(name in modules)) throw new Error(`the example requires ${name}, which this test does not provide`);
    return modules[name];
  };
  new Function('require', m[1])(requireShim);
});

'use strict';
// The README's JS example (between the js-example markers of bindings-node/README.md, copied
// into the top README under the same markers) runs as a test, against the module under test.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { compcode } = require('./load');

const README = path.resolve(__dirname, '../README.md');

/** The code between `<!-- START js-example -->` and `<!-- END js-example -->`, fence removed. */
function extractExample(text) {
  const m = /<!-- START js-example -->\s*```js\n([\s\S]*?)```\s*<!-- END js-example -->/.exec(text);
  assert.ok(m, 'README.md has a ```js block between the js-example markers');
  return m[1];
}

test('the README example is short and asserts a total', () => {
  const code = extractExample(fs.readFileSync(README, 'utf8'));
  const lines = code.trimEnd().split('\n');
  assert.ok(lines.length <= 12, `the example has ${lines.length} lines, 12 at most`);
  assert.match(code, /assert\.\w+\(.*totalCommission/);
  assert.match(code, /require\('compcode'\)/);
});

test('the README example runs', () => {
  const code = extractExample(fs.readFileSync(README, 'utf8'));
  const modules = { compcode, assert, 'node:assert': assert };
  const requireShim = (name) => {
    if (!(name in modules)) throw new Error(`the README example requires ${name}, which this test does not provide`);
    return modules[name];
  };
  // eslint-disable-next-line no-new-func
  new Function('require', code)(requireShim);
});

test('the example fails loudly when the total is wrong', () => {
  const code = extractExample(fs.readFileSync(README, 'utf8')).replace(/(totalCommission,\s*)'[^']*'/, "$1'-1.00'");
  assert.match(code, /'-1\.00'/);
  const requireShim = (name) => (name === 'compcode' ? compcode : assert);
  assert.throws(() => new Function('require', code)(requireShim), assert.AssertionError);
});

test('the top README shows exactly this example', () => {
  const top = path.resolve(__dirname, '../../README.md');
  assert.strictEqual(extractExample(fs.readFileSync(top, 'utf8')), extractExample(fs.readFileSync(README, 'utf8')));
});

'use strict';
// A panic in Rust must not crash the Node process: every export runs under catch_unwind and a
// panic comes back as an INTERNAL_ERROR CompcodeError. Run in a child process so that Rust's
// panic message (printed to stderr by the default hook) does not clutter the test output.
const test = require('node:test');
const assert = require('node:assert');
const { spawnSync } = require('node:child_process');
const { compcode } = require('./load');

const child = `
const { compcode } = require(${JSON.stringify(require.resolve('./load'))});
let caught;
try { compcode._panicForTests('boom'); } catch (e) { caught = e; }
// still alive: a normal call works after the panic
const after = compcode.validate({ asOf: '2026-01-01', reps: [], plans: [], deals: [] });
process.stdout.write(JSON.stringify({
  isError: caught instanceof Error, isCompcodeError: caught instanceof compcode.CompcodeError,
  code: caught.code, status: caught.status, message: caught.message, details: caught.details, after,
}));
`;

test('a panic becomes INTERNAL_ERROR and the process lives on', { skip: !compcode._panicForTests }, () => {
  const r = spawnSync(process.execPath, ['-e', child], { encoding: 'utf8' });
  assert.strictEqual(r.status, 0, `child exited with ${r.status} (signal ${r.signal}): ${r.stderr}`);
  const out = JSON.parse(r.stdout);
  assert.strictEqual(out.isError, true);
  assert.strictEqual(out.isCompcodeError, true);
  assert.strictEqual(out.code, 'INTERNAL_ERROR');
  assert.strictEqual(out.status, 500);
  assert.match(out.message, /panicked.*boom/);
  assert.deepStrictEqual(out.details, { panic: 'boom' });
  assert.deepStrictEqual(out.after, { valid: true, errors: [] });
  assert.match(r.stderr, /boom/, "Rust's panic message still reaches stderr");
});

test('the test-only panic hook is not part of the public API', { skip: !compcode._panicForTests }, () => {
  assert.ok(!Object.keys(compcode).includes('_panicForTests'));
});

'use strict';
// The browser build (pkg/web, wasm-bindgen --target web) in headless Chromium: every spec
// fixture, matched with the shared rules of bindings-node/test/fixtures.js and compared with the
// Node build's answer; the API, the number rules and panic containment, in the browser.
const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const { serve } = require('./server');
const { launch, newPage } = require('./browser');
const { loadFixtures, runFixture, mismatch } = require('../../bindings-node/test/fixtures');
const nodeBuild = require('../pkg');

const ROOT = path.resolve(__dirname, '..');

let server;
let browser;
let page;

test.before(async () => {
  server = await serve(ROOT);
  browser = await launch();
  page = await newPage(browser);
  await page.goto(`${server.url}/test/fixtures.html`);
  await page.waitForFunction(() => window.compcode || window.loadError);
  const loadError = await page.evaluate(() => window.loadError);
  assert.strictEqual(loadError, undefined, `the browser build did not load: ${loadError}`);
});

test.after(async () => {
  if (browser) await browser.close();
  if (server) await server.close();
});

test('the browser build exports the same API as the Node build', async () => {
  const got = await page.evaluate(() => ({
    named: window.compcodeNamed,
    keys: Object.keys(window.compcode).sort(),
    codes: window.compcode.ERROR_CODES,
    frozen: Object.isFrozen(window.compcode.ERROR_CODES),
    types: ['simulate', 'validate', 'run', 'CompcodeError'].map((k) => typeof window.compcode[k]),
    panicHidden: typeof window.compcode._panicForTests === 'function' && !Object.keys(window.compcode).includes('_panicForTests'),
  }));
  assert.deepStrictEqual(got.keys, Object.keys(nodeBuild).sort());
  assert.deepStrictEqual(got.named, [...Object.keys(nodeBuild), 'default'].sort());
  assert.deepStrictEqual(got.codes, [...nodeBuild.ERROR_CODES]);
  assert.strictEqual(got.frozen, true);
  assert.deepStrictEqual(got.types, ['function', 'function', 'function', 'function']);
  assert.strictEqual(got.panicHidden, true);
});

test('every spec fixture in Chromium: matches the vector and the Node build', async (t) => {
  const fixtures = loadFixtures();
  assert.ok(fixtures.length >= 40, `only ${fixtures.length} fixtures`);
  const results = await page.evaluate((inputs) => {
    const c = window.compcode;
    return inputs.map(({ operation, input }) => {
      try {
        return { output: c.run(operation, input) };
      } catch (e) {
        return {
          isError: e instanceof Error,
          isCompcodeError: e instanceof c.CompcodeError,
          name: e && e.name,
          output: { error: { code: e.code, status: e.status, message: e.message, details: e.details } },
        };
      }
    });
  }, fixtures.map(({ operation, input }) => ({ operation, input })));
  for (let i = 0; i < fixtures.length; i++) {
    const fx = fixtures[i];
    const r = results[i];
    await t.test(`fixture ${fx.name}`, () => {
      if (r.output.error) {
        assert.strictEqual(r.isError, true, 'thrown value is an Error');
        assert.strictEqual(r.isCompcodeError, true, 'thrown value is a CompcodeError');
        assert.strictEqual(r.name, 'CompcodeError');
      }
      const why = mismatch(fx.expected, r.output);
      assert.strictEqual(why, null, `${fx.name}: ${why}`);
      assert.deepStrictEqual(r.output, runFixture(nodeBuild, fx), 'the browser and Node builds answer alike');
    });
  }
});

test('numbers in the browser: exact from their shortest text; NaN and BigInt refused with a path', async () => {
  const got = await page.evaluate(() => {
    const c = window.compcode;
    const doc = (amount, rate) => ({
      asOf: '2026-04-01',
      reps: [{ id: 'alice', name: 'Alice' }],
      plans: [
        {
          planId: 'ae',
          name: 'AE',
          effectiveStart: '2026-01-01',
          config: { rules: [{ name: 'R', measure: 'closed_won_revenue', tierBy: 'value', tiers: [{ minThreshold: 0, rate }] }] },
        },
      ],
      assignments: [{ repId: 'alice', planId: 'ae' }],
      deals: [{ id: 'D1', stage: 'closed_won', amount, closeDate: '2026-01-10', ownerRepId: 'alice' }],
    });
    const err = (f) => {
      try {
        f();
      } catch (e) {
        return { code: e.code, status: e.status, errors: e.details.errors.map((i) => [i.path, i.code]) };
      }
      return null;
    };
    return {
      total: c.simulate(doc(200000, 0.08)).totalCommission,
      rate: c.simulate(doc('200000', 0.08)).events[0].rateApplied,
      sum: c.simulate(doc(0.1 + 0.2, 1)).events[0].creditedValue,
      big: c.simulate(doc(1e21, 1)).events[0].creditedValue,
      nan: err(() => c.simulate(doc(NaN, '0.08'))),
      bigint: err(() => c.validate(doc(10n, '0.08'))),
    };
  });
  assert.deepStrictEqual(got, {
    total: '16000.00',
    rate: '0.08',
    sum: '0.30000000000000004',
    big: '1000000000000000000000',
    nan: { code: 'VALIDATION_FAILED', status: 400, errors: [['deals[0].amount', 'invalid_decimal']] },
    bigint: { code: 'VALIDATION_FAILED', status: 400, errors: [['deals[0].amount', 'invalid_type']] },
  });
});

test('a panic in the browser: console.error (console_error_panic_hook), INTERNAL_ERROR, and the module works on', async () => {
  page.consoleMessages.length = 0;
  const got = await page.evaluate(() => {
    const c = window.compcode;
    const one = (msg) => {
      try {
        c._panicForTests(msg);
      } catch (e) {
        return { isCompcodeError: e instanceof c.CompcodeError, code: e.code, status: e.status, message: e.message, details: e.details };
      }
      return null;
    };
    const first = one('boom');
    const second = one('again'); // the re-instantiated module reports a second panic as well
    const after = c.validate({ asOf: '2026-01-01', reps: [], plans: [], deals: [] });
    return { first, second, after };
  });
  assert.deepStrictEqual(got.first, {
    isCompcodeError: true,
    code: 'INTERNAL_ERROR',
    status: 500,
    message: 'compcode panicked (a bug, please report it): boom',
    details: { panic: 'boom' },
  });
  assert.deepStrictEqual(got.second.details, { panic: 'again' });
  assert.deepStrictEqual(got.after, { valid: true, errors: [] });
  const errors = page.consoleMessages.filter((m) => m.type === 'error').map((m) => m.text);
  assert.ok(errors.some((t) => /panicked at .*\n?boom/s.test(t)), `console.error got the panic: ${JSON.stringify(errors)}`);
  assert.deepStrictEqual(page.pageErrors, [], 'no uncaught page errors');
});

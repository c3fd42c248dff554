'use strict';
// The JS-specific behaviour: plain objects in and out, decimals as strings, which JS numbers
// are accepted, what JSON cannot carry, and the error objects.
const test = require('node:test');
const assert = require('node:assert');
const { compcode } = require('./load');

const { simulate, validate, run, CompcodeError, ERROR_CODES } = compcode;

/** A small valid document; `deal` and `tier` patch the one deal and the one tier. */
function doc({ deal = {}, tier = {}, extra = {} } = {}) {
  return {
    asOf: '2026-04-01',
    reps: [{ id: 'alice', name: 'Alice' }],
    plans: [
      {
        planId: 'ae',
        name: 'AE',
        effectiveStart: '2026-01-01',
        config: {
          rules: [
            {
              name: 'Revenue',
              measure: 'closed_won_revenue',
              tierBy: 'value',
              tiers: [{ tierIndex: 0, name: 'Base', minThreshold: 0, rate: '0.08', ...tier }],
            },
          ],
        },
      },
    ],
    assignments: [{ repId: 'alice', planId: 'ae', effectiveStart: '2026-01-01' }],
    deals: [
      { id: 'D1', stage: 'closed_won', amount: '200000', closeDate: '2026-01-10', ownerRepId: 'alice', ...deal },
    ],
    ...extra,
  };
}

/** Calls `fn` and returns the CompcodeError it throws. */
function thrown(fn) {
  try {
    fn();
  } catch (e) {
    return e;
  }
  assert.fail('expected an error');
}

test('simulate takes and returns plain objects; decimals come back as strings', () => {
  const out = simulate(doc());
  assert.strictEqual(Object.getPrototypeOf(out), Object.prototype);
  assert.strictEqual(out.mode, 'simulate');
  assert.strictEqual(out.totalCommission, '16000.00');
  assert.strictEqual(out.totalDeals, 1);
  const [event] = out.events;
  assert.strictEqual(event.amount, '16000.00');
  assert.strictEqual(event.rateApplied, '0.08');
  assert.strictEqual(event.base, '200000');
  assert.strictEqual(event.dealId, 'D1');
  assert.strictEqual(event.sourceRepId, null);
  assert.ok(Array.isArray(event.trace) && event.trace.length > 0, 'traces are on by default');
  assert.deepStrictEqual(JSON.parse(JSON.stringify(out)), out, 'nothing but JSON data');
});

test('run dispatches by name, like simulate and validate', () => {
  assert.deepStrictEqual(run('simulate', doc()), simulate(doc()));
  assert.deepStrictEqual(run('validate', doc()), { valid: true, errors: [] });
  assert.deepStrictEqual(validate(doc()), { valid: true, errors: [] });
});

test('validate lists every problem with its path instead of throwing', () => {
  const r = validate(doc({ deal: { closeDate: '2026-13-01' }, tier: { rate: 'abc' } }));
  assert.strictEqual(r.valid, false);
  const paths = r.errors.map((e) => `${e.path} ${e.code}`).sort();
  assert.deepStrictEqual(paths, [
    'deals[0].closeDate invalid_date',
    'plans[0].config.rules[0].tiers[0].rate invalid_decimal',
  ]);
});

test('a JS number is read as its shortest decimal text, exactly', () => {
  // 0.08 is not exactly representable in binary; the engine still sees exactly 0.08.
  const out = simulate(doc({ tier: { rate: 0.08 }, deal: { amount: 200000 } }));
  assert.strictEqual(out.totalCommission, '16000.00');
  assert.strictEqual(out.events[0].rateApplied, '0.08');
  // 0.1 + 0.2 is the double whose shortest text is 0.30000000000000004: that is what counts.
  const sum = simulate(doc({ tier: { rate: 1 }, deal: { amount: 0.1 + 0.2 } }));
  assert.strictEqual(sum.events[0].creditedValue, '0.30000000000000004');
  // Exponent forms (what JSON.stringify writes for big and tiny numbers) are exact too.
  const big = simulate(doc({ tier: { rate: 1 }, deal: { amount: 1e21 } }));
  assert.strictEqual(big.events[0].creditedValue, '1000000000000000000000');
  const tiny = simulate(doc({ tier: { rate: 1 }, deal: { amount: 1.5e-7 } }));
  assert.strictEqual(tiny.events[0].creditedValue, '0.00000015');
  // Integers are integers, -0 is 0, and an integer id is used as its text.
  assert.strictEqual(simulate(doc({ deal: { amount: -0 } })).totalCommission, '0.00');
  const ints = doc({ deal: { id: 42, ownerRepId: 7 } });
  ints.reps[0].id = 7;
  ints.assignments[0].repId = 7;
  const event = simulate(ints).events[0];
  assert.strictEqual(event.dealId, '42');
  assert.strictEqual(event.repId, '7');
});

test('string and number inputs give the same answer', () => {
  const a = simulate(doc({ tier: { rate: '0.125' }, deal: { amount: '1234.56' } }));
  const b = simulate(doc({ tier: { rate: 0.125 }, deal: { amount: 1234.56 } }));
  assert.deepStrictEqual(a, b);
  assert.strictEqual(a.totalCommission, '154.32');
});

for (const [label, value, what] of [
  ['NaN', NaN, 'NaN'],
  ['Infinity', Infinity, 'Infinity'],
  ['-Infinity', -Infinity, '-Infinity'],
]) {
  test(`${label} is refused with VALIDATION_FAILED naming its path`, () => {
    for (const op of ['simulate', 'validate']) {
      const e = thrown(() => run(op, doc({ deal: { amount: value } })));
      assert.ok(e instanceof CompcodeError && e instanceof Error);
      assert.strictEqual(e.code, 'VALIDATION_FAILED');
      assert.strictEqual(e.status, 400);
      assert.deepStrictEqual(
        e.details.errors.map((i) => [i.path, i.code]),
        [['deals[0].amount', 'invalid_decimal']],
      );
      assert.match(e.details.errors[0].message, new RegExp(`^${what.replace('-', '\\-')} `));
      assert.match(e.message, /deals\[0\]\.amount/);
    }
  });
}

test('non-finite numbers are found anywhere, together with the other problems', () => {
  const d = doc({ deal: { fields: { score: NaN, list: [1, Infinity] } }, tier: { minThreshold: -Infinity } });
  d.reps[0].id = ''; // a problem the engine finds
  const e = thrown(() => simulate(d));
  assert.strictEqual(e.code, 'VALIDATION_FAILED');
  const got = e.details.errors.map((i) => `${i.path} ${i.code}`);
  assert.deepStrictEqual(got.slice(0, 3).sort(), [
    'deals[0].fields.list[1] invalid_decimal',
    'deals[0].fields.score invalid_decimal',
    'plans[0].config.rules[0].tiers[0].minThreshold invalid_decimal',
  ]);
  assert.ok(got.includes('reps[0].id invalid_type'), got.join('\n'));
  assert.ok(!got.includes('plans[0].config.rules[0].tiers[0].minThreshold required'), 'no second issue at that path');
});

test('BigInt and cycles are refused with their paths; the input is not modified', () => {
  const d = doc({ deal: { amount: 10n } });
  const before = JSON.stringify(d, (_, v) => (typeof v === 'bigint' ? `${v}n` : v));
  const e = thrown(() => simulate(d));
  assert.strictEqual(e.code, 'VALIDATION_FAILED');
  assert.deepStrictEqual(e.details.errors[0], {
    path: 'deals[0].amount',
    code: 'invalid_type',
    message: 'a BigInt cannot be sent as JSON; pass it as a string ("10")',
  });
  assert.strictEqual(JSON.stringify(d, (_, v) => (typeof v === 'bigint' ? `${v}n` : v)), before);

  const c = doc();
  c.deals[0].fields = { me: c.deals[0] };
  const ce = thrown(() => validate(c));
  assert.strictEqual(ce.code, 'VALIDATION_FAILED');
  assert.deepStrictEqual(
    ce.details.errors.map((i) => [i.path, i.code]),
    [['deals[0].fields.me', 'invalid_value']],
  );
});

test('undefined, functions and toJSON behave as in JSON.stringify', () => {
  const out = simulate(doc({ deal: { name: undefined, currency: () => 'EUR', closeDate: { toJSON: () => '2026-01-10' } } }));
  assert.strictEqual(out.totalCommission, '16000.00');
  assert.strictEqual(out.results[0].dealName, null);
  // Inside the slow path (a NaN elsewhere) the same rules hold.
  const e = thrown(() => simulate(doc({ deal: { name: undefined, closeDate: { toJSON: () => 'x' }, amount: NaN } })));
  const got = e.details.errors.map((i) => `${i.path} ${i.code}`).sort();
  assert.deepStrictEqual(got, ['deals[0].amount invalid_decimal', 'deals[0].closeDate invalid_date']);
});

test('a document that is not an object is a validation problem, not a crash', () => {
  for (const input of [undefined, null, 42, 'text', [], () => 1]) {
    const r = validate(input);
    assert.strictEqual(r.valid, false);
    assert.strictEqual(r.errors[0].path, '');
    const e = thrown(() => simulate(input));
    assert.strictEqual(e.code, 'VALIDATION_FAILED');
  }
});

test('errors are Error objects with code, status, details and message', () => {
  const e = thrown(() => simulate({ asOf: '2026-04-01', reps: [], plans: [], deals: [], bogus: 1 }));
  assert.ok(e instanceof Error);
  assert.ok(e instanceof CompcodeError);
  assert.strictEqual(e.name, 'CompcodeError');
  assert.strictEqual(e.code, 'VALIDATION_FAILED');
  assert.strictEqual(e.status, 400);
  assert.strictEqual(typeof e.message, 'string');
  assert.match(e.message, /bogus/);
  assert.match(String(e.stack), /CompcodeError/);
  assert.deepStrictEqual(Object.keys(e.details), ['errors']);
  assert.strictEqual(e.details.errors[0].code, 'unknown_field');

  const nf = thrown(() => run('explode', doc()));
  assert.strictEqual(nf.code, 'NOT_FOUND');
  assert.strictEqual(nf.status, 404);
  assert.match(nf.message, /unknown operation `explode`/);
  assert.deepStrictEqual(nf.details, {});
});

test('domain errors keep their code, status and details', () => {
  const d = doc({
    extra: {
      quotas: [{ repId: 'alice', measure: 'Revenue', period: '2026-Q1', target: '1000' }],
    },
  });
  d.plans.push({ ...d.plans[0], planId: 'ae2', name: 'AE 2' });
  d.assignments.push({ repId: 'alice', planId: 'ae2' });
  const e = thrown(() => simulate(d));
  assert.strictEqual(e.code, 'quota_ambiguous_measure');
  assert.strictEqual(e.status, 400);
  assert.strictEqual(e.details.path, 'quotas[0]');
});

test('ERROR_CODES lists every stable code once', () => {
  assert.ok(Object.isFrozen(ERROR_CODES));
  assert.strictEqual(new Set(ERROR_CODES).size, ERROR_CODES.length);
  for (const c of ['VALIDATION_FAILED', 'NOT_FOUND', 'INTERNAL_ERROR', 'arithmetic_overflow']) {
    assert.ok(ERROR_CODES.includes(c), c);
  }
});

test('a large document round-trips (10 000 deals)', () => {
  const d = doc();
  d.deals = Array.from({ length: 10000 }, (_, i) => ({
    id: `D${i}`,
    stage: 'closed_won',
    amount: (i + 1) / 4,
    closeDate: '2026-01-10',
    ownerRepId: 'alice',
  }));
  d.options = { trace: false };
  const out = simulate(d);
  assert.strictEqual(out.events.length, 10000);
  // Σ (i+1)/4 for i < 10000 = 12 501 250 ; × 0.08, each line rounded to cents.
  const cents = d.deals.reduce((s, x) => s + Math.round(x.amount * 8), 0);
  assert.strictEqual(out.totalCommission, (cents / 100).toFixed(2));
});

'use strict';
// Every spec-fixtures vector through the module, matched with the README's rules.
const test = require('node:test');
const assert = require('node:assert');
const { compcode } = require('./load');
const { loadFixtures, runFixture, mismatch } = require('./fixtures');

const fixtures = loadFixtures();

test('the spec fixtures are all there', () => {
  assert.ok(fixtures.length >= 40, `expected at least 40 fixtures, found ${fixtures.length}`);
  for (const fx of fixtures) {
    for (const key of ['operation', 'input', 'expected', 'why']) assert.ok(key in fx, `${fx.name}: missing \`${key}\``);
  }
});

for (const fx of fixtures) {
  test(`fixture ${fx.name}`, () => {
    const actual = runFixture(compcode, fx);
    const why = mismatch(fx.expected, actual);
    assert.strictEqual(why, null, `${fx.name}: ${why}`);
  });
}

test('the matcher follows the README rules', () => {
  assert.strictEqual(mismatch({ a: 1 }, { a: 1, b: 2 }), null, 'keys not named are not checked');
  assert.notStrictEqual(mismatch({ a: 1, c: 3 }, { a: 1 }), null, 'named keys must exist');
  assert.strictEqual(mismatch([{ x: 1 }, { x: 2 }], [{ x: 2 }, { x: 1 }]), null, 'order is ignored');
  assert.notStrictEqual(mismatch([{ x: 1 }], [{ x: 1 }, { x: 1 }]), null, 'same length');
  assert.notStrictEqual(mismatch([{ x: 1 }, { x: 1 }], [{ x: 1 }, { x: 2 }]), null, 'one-to-one');
  assert.notStrictEqual(mismatch([{}, { x: 1 }], [{ x: 1 }, { x: 2 }]), null, 'greedy: the first unpaired match');
  assert.strictEqual(mismatch([{ x: 1 }, {}], [{ x: 1 }, { x: 2 }]), null);
  assert.notStrictEqual(mismatch('1.0', '1'), null, 'decimals compare as text');
  assert.notStrictEqual(mismatch(null, {}), null);
  assert.notStrictEqual(mismatch({}, []), null);
});

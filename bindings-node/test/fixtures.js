'use strict';
// The shared spec vectors (spec-fixtures/**/*.json) and the matching rules of
// spec-fixtures/README.md, identical to the Rust runner's (compcode-core/tests/fixtures.rs).
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '../../spec-fixtures');

/** Every fixture file under spec-fixtures, sorted, `*.schema.json` left out. */
function fixtureFiles(dir = ROOT) {
  const out = [];
  for (const name of fs.readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    if (fs.statSync(p).isDirectory()) out.push(...fixtureFiles(p));
    else if (name.endsWith('.json') && !name.endsWith('.schema.json')) out.push(p);
  }
  return out;
}

/** `{ name, operation, input, expected }` for every fixture. */
function loadFixtures() {
  return fixtureFiles().map((file) => {
    const fx = JSON.parse(fs.readFileSync(file, 'utf8'));
    return { name: path.relative(ROOT, file), file, ...fx };
  });
}

/**
 * Runs a fixture's operation through the module; on failure the output is the README's
 * `{ error: { code, status, message, details } }`, read from the thrown Error.
 */
function runFixture(compcode, fx) {
  try {
    return compcode.run(fx.operation, fx.input);
  } catch (e) {
    if (!(e instanceof Error) || typeof e.code !== 'string') throw e;
    return { error: { code: e.code, status: e.status, message: e.message, details: e.details } };
  }
}

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

function show(v) {
  const s = JSON.stringify(v);
  return s && s.length > 600 ? `${s.slice(0, 600)}…` : s;
}

/**
 * The README's matching rule: an expected object matches when every key it names exists and
 * matches; an expected array matches an actual array of the same length whose items pair
 * one-to-one with the expected ones in any order (each expected item takes the first unpaired
 * actual item it matches); scalars match when equal as JSON values. Returns null on a match,
 * else the first mismatch as `path: explanation`.
 */
function mismatch(expected, actual, p = '') {
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return `${p}: expected a list, got ${show(actual)}`;
    if (expected.length !== actual.length) {
      return `${p}: expected ${expected.length} items, got ${actual.length}: ${show(actual)}`;
    }
    const used = new Array(actual.length).fill(false);
    for (let i = 0; i < expected.length; i++) {
      const j = actual.findIndex((a, k) => !used[k] && mismatch(expected[i], a) === null);
      if (j < 0) {
        const why = actual
          .filter((_, k) => !used[k])
          .map((a) => mismatch(expected[i], a, `${p}[${i}]`))
          .sort((x, y) => x.length - y.length)[0];
        return `${p}[${i}]: no actual item matches ${show(expected[i])}; closest: ${why}`;
      }
      used[j] = true;
    }
    return null;
  }
  if (isObject(expected)) {
    if (!isObject(actual)) return `${p}: expected an object, got ${show(actual)}`;
    for (const k of Object.keys(expected)) {
      if (!Object.prototype.hasOwnProperty.call(actual, k)) return `${p}.${k}: missing (expected ${show(expected[k])})`;
      const m = mismatch(expected[k], actual[k], `${p}.${k}`);
      if (m !== null) return m;
    }
    return null;
  }
  return expected === actual ? null : `${p}: expected ${show(expected)}, got ${show(actual)}`;
}

module.exports = { ROOT, fixtureFiles, loadFixtures, runFixture, mismatch };

'use strict';
// compcode for Node.js: a thin wrapper over the native addon (src/lib.rs).
//
// Data crosses the boundary as JSON text (see the comment at the top of src/lib.rs for why):
// the caller's object goes through JSON.stringify, whose text for a finite JS number is its
// shortest round-trip decimal form (0.08 -> "0.08"), which the engine reads exactly; the answer
// comes back as JSON text and is JSON.parse'd, so callers only ever see plain objects. Values
// JSON cannot carry (NaN, +-Infinity, BigInt, cycles) are found here first and reported by the
// engine as VALIDATION_FAILED issues naming their paths.

const native = require('./native.js');

/** Nesting deeper than this is not a calculation document (and may be a cycle). */
const MAX_DEPTH = 256;

/**
 * The error every compcode function throws: `.code` (a stable code such as
 * `VALIDATION_FAILED`), `.status` (HTTP-style), `.details` (`details.errors` lists every
 * validation problem with its path) and `.message`.
 */
class CompcodeError extends Error {
  constructor(message, code, status, details) {
    super(message);
    this.name = 'CompcodeError';
    this.code = code;
    this.status = status;
    this.details = details;
  }
}

/**
 * The one error-mapping function of the package: the engine's error object
 * `{ code, status, message, details }` (the shape the spec fixtures use) as a `CompcodeError`.
 */
function toError(payload) {
  const p = payload && typeof payload === 'object' ? payload : {};
  const code = typeof p.code === 'string' ? p.code : 'INTERNAL_ERROR';
  const status = typeof p.status === 'number' ? p.status : 500;
  const details = p.details && typeof p.details === 'object' ? p.details : {};
  const message = typeof p.message === 'string' ? p.message : String(p.message);
  return new CompcodeError(message, code, status, details);
}

function internal(message) {
  return toError({ code: 'INTERNAL_ERROR', status: 500, message, details: {} });
}

/** Reads the native envelope `{"ok": output}` / `{"error": {...}}`. */
function decode(envelope) {
  let reply;
  try {
    reply = JSON.parse(envelope);
  } catch (e) {
    throw internal(`the native addon returned something that is not JSON: ${e.message}`);
  }
  if (reply && typeof reply === 'object' && 'error' in reply) throw toError(reply.error);
  return reply.ok;
}

/** Calls a native export; anything it throws (it should not) becomes INTERNAL_ERROR. */
function call(fn, ...args) {
  let envelope;
  try {
    envelope = fn(...args);
  } catch (e) {
    throw internal(`the native addon failed: ${e && e.message ? e.message : e}`);
  }
  return decode(envelope);
}

// ---- JS values -> JSON text ---------------------------------------------------------------

/** Fast check: does `v` hold anything JSON.stringify would silently change or refuse? */
function needsCare(v, depth) {
  switch (typeof v) {
    case 'number':
      return !Number.isFinite(v);
    case 'bigint':
      return true;
    case 'object':
      break;
    default:
      return false;
  }
  if (v === null || typeof v.toJSON === 'function') return false;
  if (depth > MAX_DEPTH) return true;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (needsCare(v[i], depth + 1)) return true;
    return false;
  }
  const keys = Object.keys(v);
  for (let i = 0; i < keys.length; i++) if (needsCare(v[keys[i]], depth + 1)) return true;
  return false;
}

function join(path, key) {
  return path === '' ? key : `${path}.${key}`;
}

/**
 * Slow path (only for input needsCare flagged): a copy of `value` as JSON.stringify would see
 * it, with every value JSON cannot carry replaced by null and listed in `issues` with its path
 * (the engine's path syntax: `deals[3].amount`).
 */
function sanitize(value, key, path, ancestors, issues) {
  if (value !== null && typeof value === 'object' && typeof value.toJSON === 'function') {
    value = value.toJSON(key);
  }
  if (value instanceof Number || value instanceof String || value instanceof Boolean) value = value.valueOf();
  switch (typeof value) {
    case 'number':
      if (Number.isFinite(value)) return value;
      issues.push({ path, kind: Number.isNaN(value) ? 'nan' : value > 0 ? 'infinity' : '-infinity' });
      return null;
    case 'bigint':
      issues.push({ path, kind: 'bigint', detail: value.toString() });
      return null;
    case 'string':
    case 'boolean':
      return value;
    case 'object':
      break;
    default:
      return undefined; // undefined, functions, symbols: left out, as JSON.stringify does
  }
  if (value === null) return null;
  if (ancestors.includes(value)) {
    issues.push({ path, kind: 'cycle' });
    return null;
  }
  if (ancestors.length >= MAX_DEPTH) {
    issues.push({ path, kind: 'too_deep' });
    return null;
  }
  ancestors.push(value);
  let out;
  if (Array.isArray(value)) {
    out = value.map((item, i) => {
      const v = sanitize(item, String(i), `${path}[${i}]`, ancestors, issues);
      return v === undefined ? null : v;
    });
  } else {
    out = {};
    for (const k of Object.keys(value)) {
      const v = sanitize(value[k], k, join(path, k), ancestors, issues);
      if (v !== undefined) out[k] = v;
    }
  }
  ancestors.pop();
  return out;
}

/** The caller's input as JSON text plus the values JSON could not carry. */
function encode(input) {
  let issues = [];
  let data = input;
  if (needsCare(input, 0)) data = sanitize(input, '', '', [], issues);
  const text = JSON.stringify(data);
  return { text: text === undefined ? 'null' : text, issues: issues.length ? issues : undefined };
}

// ---- the API -----------------------------------------------------------------------------

/**
 * Runs a named operation (`simulate`, `validate`) on a plain-object input and returns its
 * plain-object output. Throws `CompcodeError`.
 */
function run(operation, input) {
  const { text, issues } = encode(input);
  return call(native.runJson, String(operation), text, issues);
}

/** Simulates a calculation document: every payout line, quota progress and diagnostics. */
function simulate(doc) {
  return run('simulate', doc);
}

/** Checks a calculation document without calculating: `{ valid, errors }`, every problem with its path. */
function validate(doc) {
  return run('validate', doc);
}

/** Every stable error code, in the engine's order. */
const ERROR_CODES = Object.freeze(call(native.errorCodes));

module.exports = { simulate, validate, run, CompcodeError, ERROR_CODES };
// Not part of the API: lets the test suite check that a panic in Rust becomes INTERNAL_ERROR.
Object.defineProperty(module.exports, '_panicForTests', {
  value: (message) => call(native.panicForTests, String(message)),
  enumerable: false,
});

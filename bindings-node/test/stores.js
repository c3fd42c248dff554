'use strict';
// Helpers of the orchestrator tests: repositories written in plain JS (a correct one and
// faulty ones), and a check of values against index.d.ts with the TypeScript compiler itself.
//
// The orchestrator needs host repositories, which the WASM build does not have: the test files
// that use these helpers skip themselves under COMPCODE_TARGET=wasm (`SKIP`).
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { compcode, dir, target } = require('./load');

/** The `skip` option of every orchestrator test. */
const SKIP = target === 'wasm' ? 'the WASM build has no host repositories (Orchestrator)' : false;

const copy = (v) => (v === null || v === undefined ? null : JSON.parse(JSON.stringify(v)));

/**
 * The simplest correct repository: records in Maps, a commit applied to a copy and swapped in
 * (all or nothing), version checks throwing CompcodeError CONFLICT. Counts its calls.
 */
class ObjectRepository {
  constructor() {
    this.data = new Map();
    this.calls = { get: 0, list: 0, commit: 0 };
  }

  collection(c, data = this.data) {
    if (!data.has(c)) data.set(c, new Map());
    return data.get(c);
  }

  get(collection, id) {
    this.calls.get++;
    return copy(this.collection(collection).get(id));
  }

  list(collection, query) {
    this.calls.list++;
    return [...this.collection(collection).values()]
      .filter(
        (r) =>
          (query.repId == null || r.repId === query.repId) &&
          (query.period == null || r.period === query.period) &&
          (query.dealId == null || r.dealId === query.dealId),
      )
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map(copy);
  }

  commit(writes) {
    this.calls.commit++;
    const next = new Map([...this.data].map(([c, m]) => [c, new Map(m)]));
    for (const w of writes) {
      const records = this.collection(w.collection, next);
      if (w.op === 'delete') {
        records.delete(w.id);
        continue;
      }
      const found = records.has(w.record.id) ? records.get(w.record.id).version : 0;
      if (w.expectedVersion !== null && w.expectedVersion !== found) {
        throw new compcode.CompcodeError(`${w.collection} ${w.record.id}: expected ${w.expectedVersion}, found ${found}`, 'CONFLICT');
      }
      records.set(w.record.id, { ...copy(w.record), version: found + 1 });
    }
    this.data = next;
  }
}

/** A JS store that forwards every call to another repository (a built-in one, say) and records them. */
class Forwarding {
  constructor(inner) {
    this.inner = inner;
    this.seen = [];
  }

  get(collection, id) {
    this.seen.push(['get', collection, id]);
    return this.inner.get(collection, id);
  }

  list(collection, query) {
    this.seen.push(['list', collection, query]);
    return this.inner.list(collection, query);
  }

  commit(writes) {
    this.seen.push(['commit', writes]);
    this.inner.commit(writes);
  }
}

/** An ObjectRepository whose methods can be made to fail: `fail.get = () => answer-or-throw`. */
class Faulty extends ObjectRepository {
  constructor() {
    super();
    this.fail = {};
    this.attempts = 0; // commit calls, failed ones included
  }

  get(collection, id) {
    return this.fail.get ? this.fail.get(collection, id) : super.get(collection, id);
  }

  list(collection, query) {
    return this.fail.list ? this.fail.list(collection, query) : super.list(collection, query);
  }

  commit(writes) {
    this.attempts++;
    if (this.fail.commit) this.fail.commit(writes);
    super.commit(writes);
  }
}

/** A scratch directory, removed when the process exits. */
function scratch(prefix) {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `compcode-${prefix}-`));
  process.on('exit', () => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

/**
 * Type-checks values against types of index.d.ts with the TypeScript compiler (strict): each
 * `[type, value]` becomes `const vN: type = <value as a JSON literal>;`, so a missing key, an
 * undeclared key (excess property check) or a wrong value type is an error. Returns the errors.
 */
function typeErrors(entries) {
  const ts = require('typescript');
  const d = scratch('dts');
  const file = path.join(d, 'check.ts');
  const index = path.join(dir, 'index').split(path.sep).join('/');
  const names = new Set();
  const lines = entries.map(([type, value], i) => {
    for (const m of type.matchAll(/\b[A-Z]\w*/g)) names.add(m[0]);
    return `export const v${i}: ${type} = ${JSON.stringify(value)};`;
  });
  fs.writeFileSync(file, `import type { ${[...names].join(', ')} } from '${index}';\n${lines.join('\n')}\n`);
  const program = ts.createProgram([file], { strict: true, noEmit: true, target: ts.ScriptTarget.ES2020 });
  return ts.getPreEmitDiagnostics(program).map((diag) => {
    const where = diag.file && diag.start !== undefined ? diag.file.getLineAndCharacterOfPosition(diag.start).line : -1;
    const text = ts.flattenDiagnosticMessageText(diag.messageText, '\n');
    return where > 0 ? `${entries[where - 1][0]}: ${text}` : text;
  });
}

/** Calls `fn` and returns what it throws. */
function thrown(fn) {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
}

module.exports = { SKIP, ObjectRepository, Forwarding, Faulty, scratch, typeErrors, thrown, copy };

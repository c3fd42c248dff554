'use strict';
// runConformance(factory): the core's repository conformance suite (store basics, atomic
// commits, version conflicts, the operator recipes end to end) on the built-in stores, on a
// plain JS store, on the example stores, and on broken stores, which must fail naming the
// check. Skipped under COMPCODE_TARGET=wasm.
const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const { compcode } = require('./load');
const { SKIP, ObjectRepository, Forwarding, scratch, thrown } = require('./stores');

const { runConformance, MemoryRepository, SqliteRepository, CompcodeError } = compcode;

/** The factory `make`, counting the stores it made. */
function counted(make) {
  const f = () => {
    f.made++;
    return make();
  };
  f.made = 0;
  return f;
}

const CHECKS = 14; // compcode_core::conformance::run_all

test('a plain JS store passes', { skip: SKIP }, () => {
  const factory = counted(() => new ObjectRepository());
  assert.strictEqual(runConformance(factory), undefined);
  assert.strictEqual(factory.made, CHECKS, 'a fresh store per check');
});

test('the built-in stores pass', { skip: SKIP }, () => {
  const d = scratch('conformance');
  let n = 0;
  runConformance(() => new MemoryRepository());
  runConformance(() => new SqliteRepository(':memory:'));
  runConformance(() => new SqliteRepository(path.join(d, `builtin-${++n}.db`)));
  assert.strictEqual(n, CHECKS);
});

test('a JS store wrapping a built-in passes, and is really called', { skip: SKIP }, () => {
  const stores = [];
  runConformance(() => {
    stores.push(new Forwarding(new MemoryRepository()));
    return stores[stores.length - 1];
  });
  for (const m of ['get', 'list', 'commit']) assert.ok(stores.some((s) => s.seen.some(([x]) => x === m)), m);
});

test('the example store on a JSON file passes', { skip: SKIP }, () => {
  const { JsonFileRepository } = require('../examples/json-file-repository');
  const d = scratch('json-conformance');
  let n = 0;
  runConformance(() => new JsonFileRepository(path.join(d, `store-${++n}.json`)));
});

let nodeSqlite = false;
try {
  require('node:sqlite');
  nodeSqlite = true;
} catch {
  // Node < 22.5
}

test(
  'the example store on node:sqlite passes',
  { skip: SKIP || (!nodeSqlite && `node:sqlite is not in Node ${process.version} (it is from 22.5 on)`) },
  () => {
    const { NodeSqliteRepository } = require('../examples/sqlite-repository');
    const d = scratch('node-sqlite-conformance');
    let n = 0;
    runConformance(() => new NodeSqliteRepository());
    runConformance(() => new NodeSqliteRepository(path.join(d, `store-${++n}.db`)));
  },
);

test('a store may return a superset, unsorted: compcode filters and sorts', { skip: SKIP }, () => {
  class Sloppy extends ObjectRepository {
    list(collection) {
      return super.list(collection, { repId: null, period: null, dealId: null }).reverse();
    }
  }
  runConformance(() => new Sloppy());
});

/** Runs the suite on `make`'s stores and returns the error. */
function failure(make) {
  const e = thrown(() => runConformance(make));
  assert.ok(e instanceof CompcodeError, `${e}`);
  return e;
}

test('a store that ignores expected versions fails the store basics', { skip: SKIP }, () => {
  class Careless extends ObjectRepository {
    commit(writes) {
      super.commit(writes.map((w) => (w.op === 'put' ? { ...w, expectedVersion: null } : w)));
    }
  }
  const e = failure(() => new Careless());
  assert.strictEqual(e.code, 'INTERNAL_ERROR');
  assert.match(e.message, /^conformance `store basics`: a stale version is CONFLICT/);
});

test('a store that is not atomic fails the atomic commit', { skip: SKIP }, () => {
  class Partial extends ObjectRepository {
    commit(writes) {
      for (const w of writes) super.commit([w]); // one write at a time: a failure leaves the earlier ones
    }
  }
  assert.match(failure(() => new Partial()).message, /^conformance `atomic commit`: a failed commit changed the store/);
});

test('a store that does not count versions fails', { skip: SKIP }, () => {
  class Stuck extends ObjectRepository {
    commit(writes) {
      super.commit(writes);
      for (const c of this.data.values()) for (const r of c.values()) r.version = 1;
    }
  }
  assert.match(failure(() => new Stuck()).message, /^conformance `store basics`: a put increments the version/);
});

test('what a store throws fails the first check, with the exception as cause', { skip: SKIP }, () => {
  const boom = new TypeError('no connection');
  class Down extends ObjectRepository {
    commit() {
      throw boom;
    }
  }
  const e = failure(() => new Down());
  assert.strictEqual(e.message, "conformance `store basics`: the JS repository's `commit` threw TypeError: no connection");
  assert.strictEqual(e.cause, boom);
});

test('what the factory throws is thrown as is, and stops the suite', { skip: SKIP }, () => {
  const boom = new RangeError('no more connections');
  let calls = 0;
  const e = thrown(() =>
    runConformance(() => {
      if (++calls === 3) throw boom;
      return new ObjectRepository();
    }),
  );
  assert.strictEqual(e, boom);
  assert.strictEqual(calls, 3, 'no store is asked for after the failure');
});

test('a factory that makes something else, or no factory, is VALIDATION_FAILED', { skip: SKIP }, () => {
  const e = thrown(() => runConformance(() => ({ get() {} })));
  assert.deepStrictEqual([e.code, e.details.errors[0].path], ['VALIDATION_FAILED', 'factory()']);
  assert.match(e.message, /has no list, commit/);
  const none = thrown(() => runConformance(new ObjectRepository()));
  assert.deepStrictEqual([none.code, none.details.errors[0].path], ['VALIDATION_FAILED', 'factory']);
});

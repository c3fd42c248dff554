'use strict';
// A compcode repository in one JSON file: how to plug your own storage into the Orchestrator.
//
// The Orchestrator needs three SYNCHRONOUS methods from a store (`Repository` in index.d.ts):
//
//   get(collection, id)      -> the record, or null
//   list(collection, query)  -> the records matching query.repId / .period / .dealId (null =
//                               any), ordered by id
//   commit(writes)           -> apply every write or none, in one transaction. A put's
//                               `expectedVersion` (0 = must not exist, n = must be at version n,
//                               null = unconditional) that does not match throws
//                               `new CompcodeError(message, 'CONFLICT')`: the orchestrator then
//                               recomputes and retries. Every put stores version = found + 1.
//
// A record is { id, repId, period, dealId, version, doc }; a write is
// { op: 'put', collection, record, expectedVersion } or { op: 'delete', collection, id }.
//
// Why a JSON file: the methods are called synchronously in the middle of a native call, so the
// store needs a synchronous driver, and this Node (v20) has no built-in SQLite (`node:sqlite`
// arrived in Node 22.5; `examples/sqlite-repository.js` is the same store on it). A file
// replaced by an atomic rename is the database every Node has, and shows the three things any
// store must get right:
//
// * one transaction per commit: the commit takes an exclusive lock (a lock file created with
//   O_EXCL), re-reads the current state, checks every expected version, and only then writes;
// * all or nothing: the new state goes to a temporary file, is fsync'ed, then renamed over the
//   old one (rename is atomic), so a crash or a failed check leaves the previous file intact;
// * optimistic concurrency: reads take no lock (each sees one whole committed file); the
//   version checks at commit time catch a writer that came in between, as CONFLICT.
//
// Every commit rewrites the whole file: fine for a workspace of a few thousand deals on one
// host, not for a big ledger. On a real database keep the same shape: one table (collection, id,
// rep_id, period, deal_id, version, doc), BEGIN IMMEDIATE (or SELECT ... FOR UPDATE) in commit.
// Check any store with `runConformance(() => new YourStore())`.
//
// Run it: `node examples/json-file-repository.js [FILE]` runs the conformance suite on fresh
// files, then a small month-end on FILE (default: a temporary file).

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
// in your project: require('compcode')
const { CompcodeError, Orchestrator, runConformance } = require('..');

const FORMAT = 'compcode-json-file-repository/1';

/** Sleeps synchronously (the store's methods are synchronous). */
function sleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

class JsonFileRepository {
  /**
   * @param {string} file the JSON file (created when missing)
   * @param {{ lockTimeoutMs?: number }} [options] how long a commit waits for another writer
   */
  constructor(file, { lockTimeoutMs = 5000 } = {}) {
    this.file = path.resolve(file);
    this.lockFile = `${this.file}.lock`;
    this.lockTimeoutMs = lockTimeoutMs;
    this.cache = null; // { stamp, collections }: the last file read, while it is still the current one
    if (!fs.existsSync(this.file)) this.withLock(() => fs.existsSync(this.file) || this.write({}));
  }

  get(collection, id) {
    const records = this.read()[collection];
    return records && Object.prototype.hasOwnProperty.call(records, id) ? records[id] : null;
  }

  list(collection, query) {
    const records = this.read()[collection] || {};
    return Object.keys(records)
      .sort()
      .map((id) => records[id])
      .filter(
        (r) =>
          (query.repId == null || r.repId === query.repId) &&
          (query.period == null || r.period === query.period) &&
          (query.dealId == null || r.dealId === query.dealId),
      );
  }

  commit(writes) {
    this.withLock(() => {
      const current = this.read(true); // under the lock, from the disk: the latest committed state
      const next = { ...current }; // copy on write, per collection
      const collection = (c) => {
        if (next[c] === current[c]) next[c] = { ...current[c] };
        return next[c];
      };
      for (const w of writes) {
        const records = collection(w.collection);
        if (w.op === 'delete') {
          delete records[w.id];
          continue;
        }
        const stored = Object.prototype.hasOwnProperty.call(records, w.record.id) ? records[w.record.id] : null;
        const found = stored ? stored.version : 0;
        if (w.expectedVersion !== null && w.expectedVersion !== found) {
          // nothing has been written: the file on disk is untouched
          throw new CompcodeError(
            `${w.collection} \`${w.record.id}\` changed concurrently (expected version ${w.expectedVersion}, found ${found})`,
            'CONFLICT',
            409,
            { collection: w.collection, id: w.record.id, expected: w.expectedVersion, found },
          );
        }
        const { id, repId, period, dealId, doc } = w.record;
        records[id] = { id, repId, period, dealId, version: found + 1, doc };
      }
      this.write(next);
    });
  }

  // --- the file

  /**
   * The committed collections. Reads reuse the last parse while the file looks the same (a
   * commit renames a new file in); a commit reads from the disk (`fresh`), whatever the stamp.
   */
  read(fresh = false) {
    const st = fs.statSync(this.file, { bigint: true });
    const stamp = `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
    if (fresh || !this.cache || this.cache.stamp !== stamp) {
      const data = JSON.parse(fs.readFileSync(this.file, 'utf8'));
      if (data.format !== FORMAT) throw new Error(`${this.file} is not a ${FORMAT} file`);
      this.cache = { stamp, collections: data.collections };
    }
    return this.cache.collections;
  }

  /** Replaces the file atomically: a temporary file, fsync, rename, fsync of the directory. */
  write(collections) {
    const tmp = `${this.file}.${process.pid}.tmp`;
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeSync(fd, JSON.stringify({ format: FORMAT, collections }));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.file);
    try {
      const dir = fs.openSync(path.dirname(this.file), 'r');
      fs.fsyncSync(dir); // makes the rename durable (Linux; a no-op elsewhere)
      fs.closeSync(dir);
    } catch {
      // directories cannot be opened on every platform
    }
    this.cache = null;
  }

  /** Runs `fn` holding the exclusive lock (a lock file only one process can create). */
  withLock(fn) {
    const deadline = Date.now() + this.lockTimeoutMs;
    let fd;
    for (;;) {
      try {
        fd = fs.openSync(this.lockFile, 'wx');
        break;
      } catch (e) {
        if (e.code !== 'EEXIST') throw e;
        if (Date.now() > deadline) {
          throw new Error(`${this.lockFile} is held by another writer (delete it if no process is using the store)`);
        }
        sleep(5);
      }
    }
    try {
      fs.writeSync(fd, String(process.pid));
      return fn();
    } finally {
      fs.closeSync(fd);
      fs.unlinkSync(this.lockFile);
    }
  }
}

/** A small month-end on `repo`: import, generate + approve, export. */
function monthEnd(repo) {
  const o = new Orchestrator(repo);
  o.importDocument(
    {
      asOf: '2026-04-01',
      reps: [
        { id: 'ada', name: 'Ada', role: 'admin' },
        { id: 'alice', name: 'Alice', email: 'alice@example.com' },
      ],
      plans: [
        {
          planId: 'ae',
          name: 'AE',
          effectiveStart: '2026-01-01',
          config: {
            rules: [{ name: 'Revenue', measure: 'closed_won_revenue', tierBy: 'value', tiers: [{ minThreshold: 0, rate: 0.08 }] }],
          },
        },
      ],
      assignments: [{ repId: 'alice', planId: 'ae', effectiveStart: '2026-01-01' }],
      deals: [{ id: 'D1', stage: 'closed_won', amount: '200000', closeDate: '2026-01-10', ownerRepId: 'alice' }],
    },
    { at: '2026-04-01' },
  );
  const ctx = { actor: 'ada', at: '2026-04-01' };
  o.generateStatement('alice', '2026-Q1', ctx);
  o.approveStatement('alice', '2026-Q1', ctx);
  return o.exportStatement('alice', '2026-Q1', ctx);
}

function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'compcode-json-store-'));
  try {
    let n = 0;
    runConformance(() => new JsonFileRepository(path.join(dir, `conformance-${++n}.json`)));
    console.log(`conformance: every check passed (${n} stores)`);
    const file = process.argv[2] || path.join(dir, 'payroll.json');
    process.stdout.write(monthEnd(new JsonFileRepository(file)));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) main();

module.exports = { JsonFileRepository, monthEnd };

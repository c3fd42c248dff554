'use strict';
// A compcode repository on Node's built-in SQLite (`node:sqlite`, Node 22.5 or later; from 22.5
// to 22.12 run node with --experimental-sqlite): your own database behind the Orchestrator.
//
// The protocol (`Repository` in index.d.ts) is three synchronous methods, which `node:sqlite`'s
// DatabaseSync (like better-sqlite3) can serve directly:
//
//   get(collection, id)      -> the record { id, repId, period, dealId, version, doc }, or null
//   list(collection, query)  -> the records matching query.repId / .period / .dealId (null =
//                               any), ordered by id
//   commit(writes)           -> every write or none, in ONE transaction; a put whose
//                               `expectedVersion` (0 = must not exist, n = at version n, null =
//                               unconditional) does not match throws
//                               `new CompcodeError(message, 'CONFLICT')` after rolling back, and
//                               the orchestrator recomputes and retries.
//
// On another database keep the same table and the same commit: PostgreSQL with a synchronous
// client would use BEGIN, SELECT version ... FOR UPDATE, then the upserts. (Asynchronous drivers
// such as `pg` cannot implement a synchronous method: see the README, "your own database".)
// Check a store with `runConformance(() => new YourStore())`.
//
// This Node (v20) has no `node:sqlite`: examples/json-file-repository.js is the same store on a
// JSON file, and the test suite runs this one only where `node:sqlite` exists.
//
// Run it: `node examples/sqlite-repository.js [DB_FILE]` runs the conformance suite, then a small
// month-end on DB_FILE (default: in memory).

// in your project: require('compcode')
const { CompcodeError, runConformance } = require('..');
const { monthEnd } = require('./json-file-repository');

const SCHEMA = `
CREATE TABLE IF NOT EXISTS compcode_records (
    collection TEXT NOT NULL,
    id         TEXT NOT NULL,
    rep_id     TEXT,
    period     TEXT,
    deal_id    TEXT,
    version    INTEGER NOT NULL,
    doc        TEXT NOT NULL,
    PRIMARY KEY (collection, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS compcode_records_by_rep_period ON compcode_records (collection, rep_id, period);
CREATE INDEX IF NOT EXISTS compcode_records_by_deal ON compcode_records (collection, deal_id);
`;

const COLUMNS = 'id, rep_id, period, deal_id, version, doc';

class NodeSqliteRepository {
  /** @param {string} [file] the database file (':memory:' for a private in-memory one) */
  constructor(file = ':memory:') {
    const { DatabaseSync } = require('node:sqlite'); // Node 22.5+
    this.db = new DatabaseSync(file);
    if (file !== ':memory:') this.db.exec('PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000;');
    this.db.exec(SCHEMA);
    this.sql = {
      get: this.db.prepare(`SELECT ${COLUMNS} FROM compcode_records WHERE collection = ? AND id = ?`),
      list: this.db.prepare(
        `SELECT ${COLUMNS} FROM compcode_records
         WHERE collection = ? AND (? IS NULL OR rep_id = ?) AND (? IS NULL OR period = ?) AND (? IS NULL OR deal_id = ?)
         ORDER BY id`,
      ),
      version: this.db.prepare('SELECT version FROM compcode_records WHERE collection = ? AND id = ?'),
      put: this.db.prepare(
        `INSERT OR REPLACE INTO compcode_records (collection, id, rep_id, period, deal_id, version, doc)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ),
      delete: this.db.prepare('DELETE FROM compcode_records WHERE collection = ? AND id = ?'),
    };
  }

  close() {
    this.db.close();
  }

  static record(row) {
    return {
      id: row.id,
      repId: row.rep_id,
      period: row.period,
      dealId: row.deal_id,
      version: Number(row.version),
      doc: JSON.parse(row.doc),
    };
  }

  get(collection, id) {
    const row = this.sql.get.get(collection, id);
    return row ? NodeSqliteRepository.record(row) : null;
  }

  list(collection, query) {
    const { repId = null, period = null, dealId = null } = query;
    return this.sql.list.all(collection, repId, repId, period, period, dealId, dealId).map(NodeSqliteRepository.record);
  }

  commit(writes) {
    // IMMEDIATE takes the write lock now: the version checks see the latest rows and no other
    // writer slips in between a check and its write.
    this.db.exec('BEGIN IMMEDIATE');
    try {
      for (const w of writes) {
        if (w.op === 'delete') {
          this.sql.delete.run(w.collection, w.id);
          continue;
        }
        const r = w.record;
        const row = this.sql.version.get(w.collection, r.id);
        const found = row ? Number(row.version) : 0;
        if (w.expectedVersion !== null && w.expectedVersion !== found) {
          throw new CompcodeError(
            `${w.collection} \`${r.id}\` changed concurrently (expected version ${w.expectedVersion}, found ${found})`,
            'CONFLICT',
            409,
            { collection: w.collection, id: r.id, expected: w.expectedVersion, found },
          );
        }
        this.sql.put.run(w.collection, r.id, r.repId, r.period, r.dealId, found + 1, JSON.stringify(r.doc));
      }
      this.db.exec('COMMIT');
    } catch (e) {
      try {
        this.db.exec('ROLLBACK'); // any failure, a conflict included: the database is as before
      } catch {
        // no transaction left to roll back (a failed COMMIT may have ended it)
      }
      throw e;
    }
  }
}

function main() {
  runConformance(() => new NodeSqliteRepository());
  console.log('conformance: every check passed');
  const repo = new NodeSqliteRepository(process.argv[2] || ':memory:');
  try {
    process.stdout.write(monthEnd(repo));
  } finally {
    repo.close();
  }
}

if (require.main === module) main();

module.exports = { NodeSqliteRepository };

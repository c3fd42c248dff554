// A typed month-end through the Orchestrator on your own store: implement `Repository`, check
// it with `runConformance`, import a document, generate + approve a statement, a late deal
// change, a true-up, the payroll CSV. Type-checked by `npm run typecheck` (tsc --noEmit
// --strict) in scripts/test-node.sh. (A store on a real database: examples/json-file-repository.js
// and examples/sqlite-repository.js.)
import {
  CalcDocument,
  CollectionName,
  CompcodeError,
  LedgerEvent,
  MemoryRepository,
  Orchestrator,
  RecordQuery,
  Repository,
  RunReport,
  Statement,
  StoredRecord,
  TrueUpResult,
  Write,
  runConformance,
} from '..';

/** The smallest correct store: records in plain objects, a commit applied to a copy. */
class ObjectRepository implements Repository {
  private data: { [collection: string]: { [id: string]: StoredRecord } } = {};

  get(collection: CollectionName, id: string): StoredRecord | null {
    const r = (this.data[collection] || {})[id];
    return r ? copy(r) : null;
  }

  list(collection: CollectionName, query: RecordQuery): StoredRecord[] {
    const records = this.data[collection] || {};
    return Object.keys(records)
      .sort()
      .map((id) => copy(records[id]))
      .filter(
        (r) =>
          (query.repId === null || r.repId === query.repId) &&
          (query.period === null || r.period === query.period) &&
          (query.dealId === null || r.dealId === query.dealId),
      );
  }

  commit(writes: Write[]): void {
    const next: { [collection: string]: { [id: string]: StoredRecord } } = copy(this.data);
    for (const w of writes) {
      const records = (next[w.collection] = next[w.collection] || {});
      if (w.op === 'delete') {
        delete records[w.id];
        continue;
      }
      const found = records[w.record.id] ? records[w.record.id].version : 0;
      if (w.expectedVersion !== null && w.expectedVersion !== found) {
        throw new CompcodeError(`${w.collection} ${w.record.id}: expected version ${w.expectedVersion}, found ${found}`, 'CONFLICT');
      }
      records[w.record.id] = { ...w.record, version: found + 1 };
    }
    this.data = next; // all or nothing
  }
}

function copy<T>(v: T): T {
  return JSON.parse(JSON.stringify(v));
}

runConformance(() => new ObjectRepository());
runConformance(() => new MemoryRepository());

const doc: CalcDocument = {
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
      config: { rules: [{ name: 'Revenue', measure: 'closed_won_revenue', tierBy: 'value', tiers: [{ minThreshold: 0, rate: '0.08' }] }] },
    },
  ],
  assignments: [{ repId: 'alice', planId: 'ae', effectiveStart: '2026-01-01' }],
  deals: [{ id: 'D1', stage: 'closed_won', amount: '200000', closeDate: '2026-01-10', ownerRepId: 'alice' }],
};

const o = new Orchestrator(new ObjectRepository());
const imported: RunReport = o.importDocument(doc, { at: '2026-04-01' });
console.log(`imported: ${imported.eventsWritten} lines`);

const admin = { actor: 'ada', at: '2026-04-01' };
const draft: Statement = o.generateStatement('alice', '2026-Q1', admin);
console.log(`net ${draft.versions[draft.versions.length - 1].netPayout}`); // a string: exact
o.approveStatement('alice', '2026-Q1', admin);

// the CRM changes the deal after approval: the approved line is held, not changed
const late: RunReport = o.upsertDeal({ ...doc.deals[0], amount: '250000' }, { at: '2026-04-03' });
console.log(`statementLocked: ${late.statementLocked}`);

const tu: TrueUpResult = o.trueUp('alice', '2026-Q1', { actor: 'ada', at: '2026-04-03' });
if (tu.status === 'requires_approval') o.decideTrueUp(tu.id, true, { actor: 'ada', at: '2026-04-03' });
const lines: LedgerEvent[] = o.events('alice', { actor: 'ada', at: '2026-04-03' });
console.log(lines.map((e) => `${e.period} ${e.executionPhase} ${e.amount} ${e.status}`).join('\n'));
console.log(o.exportStatement('alice', '2026-Q2', { actor: 'ada', at: '2026-04-03' }));

// by name: the answer is typed from the workflow name
const log = o.call('audit_log', { action: 'statement.approved' }, admin);
console.log(log.map((e) => `${e.seq} ${e.action} by ${e.actor}`).join('\n'));

try {
  o.adjust('alice', '2026-Q1', '500', 'spiff', admin);
} catch (e) {
  if (e instanceof CompcodeError) console.log(e.code, e.status); // statement_locked 409
  else throw e;
}

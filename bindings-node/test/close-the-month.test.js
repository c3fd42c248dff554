'use strict';
// End to end: the seed's "close the month" recipe through `new Orchestrator(store)` on a store
// that persists to disk (examples/json-file-repository.js), from the repository's example
// document (examples/ae-quickstart.json): import, generate + approve a statement, a CRM change
// after approval is held (`statementLocked`), a true-up above the threshold
// `requires_approval`, the payroll CSV. Then the same answers on every other store. Skipped
// under COMPCODE_TARGET=wasm.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { compcode } = require('./load');
const { SKIP, ObjectRepository, Forwarding, scratch, thrown } = require('./stores');

const DOCUMENT = JSON.parse(fs.readFileSync(path.join(__dirname, '../../examples/ae-quickstart.json'), 'utf8'));
const HEADER = 'repId,repName,email,period,kind,rule,dealId,dealName,tier,rate,amount,currency';

/** The recipe on `o`; every answer by step. Sarah's manager Maria closes Q1. */
function closeTheMonth(o) {
  const out = {};
  const maria = (at) => ({ actor: 'maria', at });
  out.import = o.importDocument(DOCUMENT, { at: '2026-04-02' }); // the host (no admin in the document)
  out.generate = o.generateStatement('sarah', '2026-Q1', maria('2026-04-02'));
  out.approve = o.approveStatement('sarah', '2026-Q1', maria('2026-04-02'));
  // the CRM sends Globex (S2) again after approval: 180000 -> 200000
  const s2 = DOCUMENT.deals.find((d) => d.id === 'S2');
  out.late = o.upsertDeal({ ...s2, amount: 200000 }, { at: '2026-04-03' });
  out.lockedAdjust = thrown(() => o.adjust('sarah', '2026-Q1', '500', 'Spiff', { at: '2026-04-03' }));
  out.trueUp = o.trueUp('sarah', '2026-Q1', maria('2026-04-03'));
  out.q2BeforeDecision = o.exportStatement('sarah', '2026-Q2', maria('2026-04-03'));
  out.decide = o.decideTrueUp(out.trueUp.id, true, maria('2026-04-04'));
  out.q1Csv = o.exportStatement('sarah', '2026-Q1', maria('2026-04-04'));
  out.q2Csv = o.exportStatement('sarah', '2026-Q2', { actor: 'sarah', at: '2026-04-04' });
  out.events = o.events('sarah', maria('2026-04-04'));
  out.history = o.eventHistory(out.events.find((e) => e.dealId === 'S2' && e.period === '2026-Q1').idempotencyKey, {
    at: '2026-04-04',
  });
  out.audit = o.auditLog({ at: '2026-04-04' });
  return out;
}

function JsonFileRepository() {
  return require('../examples/json-file-repository').JsonFileRepository; // needs the Node addon: loaded lazily
}

test('close the month on a store in a file', { skip: SKIP }, () => {
  const file = path.join(scratch('month'), 'payroll.json');
  const Store = JsonFileRepository();
  const o = new compcode.Orchestrator(new Store(file));
  const out = closeTheMonth(o);

  const imported = out.import;
  assert.deepStrictEqual(
    [imported.outcome, imported.eventsWritten, imported.statementLocked, imported.skipped],
    ['processed', 10, false, []],
  );

  const draft = out.generate;
  assert.deepStrictEqual([draft.status, draft.versions.length, draft.versions[0].netPayout], ['draft', 1, '61600.00']);
  assert.deepStrictEqual(
    draft.versions[0].lines.map((l) => `${l.dealId} ${l.tierName} ${l.rateApplied} ${l.amount}`),
    [
      'S1 Base 0.08 9600.00',
      'S2 Base 0.08 14400.00',
      'S4 Base 0.08 7200.00', // 60 % of Umbrella's 150000
      'S5 On Target 0.1 15000.00',
      'S6 Accelerator 0.14 15400.00',
    ],
  );
  assert.deepStrictEqual([out.approve.status, out.approve.approvedBy, out.approve.approvedAt], ['approved', 'maria', '2026-04-02']);

  // after approval the period is locked: the new result is held beside the approved line
  const late = out.late;
  assert.deepStrictEqual(
    [late.statementLocked, late.eventsLocked, late.eventsUpdated, late.eventsWritten],
    [true, 5, 0, 0],
  );
  const q1 = out.events.filter((e) => e.period === '2026-Q1');
  assert.ok(q1.every((e) => e.status === 'APPROVED'));
  const s2 = q1.find((e) => e.dealId === 'S2');
  assert.deepStrictEqual([s2.amount, s2.held.amount], ['14400.00', '16000.00']);
  // SPEC §12: every mutation has a history row — the approval is a status change (amount kept)
  assert.deepStrictEqual(out.history.map((h) => `${h.change} ${h.oldAmount} ${h.newAmount}`), [
    'written null 14400.00',
    'status 14400.00 14400.00',
    'locked 14400.00 16000.00',
  ]);
  assert.deepStrictEqual([out.lockedAdjust.code, out.lockedAdjust.status], ['statement_locked', 409]);

  // the true-up: 20000 × 0.08 = 1600 > the default threshold 500 → requires approval, lands in Q2
  const tu = out.trueUp;
  assert.deepStrictEqual(
    [tu.id, tu.status, tu.total, tu.period, tu.referencesPeriod],
    ['sarah|2026-Q1|tu1', 'requires_approval', '1600.00', '2026-Q2', '2026-Q1'],
  );
  assert.deepStrictEqual(tu.lines.map((l) => `${l.dealId} ${l.executionPhase} ${l.amount}`), ['S2 true_up 1600.00']);
  assert.strictEqual(out.q2BeforeDecision, `${HEADER}\n`, 'an unapproved true-up is on no statement');
  assert.deepStrictEqual([out.decide.status, out.decide.total], ['approved', '1600.00']);

  // the CSV for payroll
  assert.deepStrictEqual(out.q1Csv.split('\n'), [
    HEADER,
    'sarah,Sarah Chen,sarah@acme.com,2026-Q1,event,Revenue Commission,S1,Acme Corp,Base,0.08,9600.00,',
    'sarah,Sarah Chen,sarah@acme.com,2026-Q1,event,Revenue Commission,S2,Globex,Base,0.08,14400.00,',
    'sarah,Sarah Chen,sarah@acme.com,2026-Q1,event,Revenue Commission,S4,Umbrella Corp,Base,0.08,7200.00,',
    'sarah,Sarah Chen,sarah@acme.com,2026-Q1,event,Revenue Commission,S5,Hooli,On Target,0.1,15000.00,',
    'sarah,Sarah Chen,sarah@acme.com,2026-Q1,event,Revenue Commission,S6,Vandelay Industries,Accelerator,0.14,15400.00,',
    'sarah,Sarah Chen,sarah@acme.com,2026-Q1,net,,,,,,61600.00,',
    '',
  ]);
  assert.deepStrictEqual(out.q2Csv.split('\n'), [
    HEADER,
    'sarah,Sarah Chen,sarah@acme.com,2026-Q2,true_up,Revenue Commission,S2,Globex,Base,0.08,1600.00,',
    'sarah,Sarah Chen,sarah@acme.com,2026-Q2,net,,,,,,1600.00,',
    '',
  ]);

  assert.deepStrictEqual(out.audit.map((e) => `${e.seq} ${e.action} ${e.actor}`), [
    '1 import.loaded system',
    '2 orchestrator.ran system',
    '3 statement.generated maria',
    '4 statement.approved maria',
    '5 webhook.received system',
    '6 orchestrator.ran system',
    '7 statement.true_up maria',
    '8 true_up.approved maria',
  ]);
  assert.strictEqual(out.audit[5].details.statementLocked, true);

  // everything is in the file: a new process (a new store on the same file) sees it
  const reopened = new compcode.Orchestrator(new Store(file));
  assert.deepStrictEqual(reopened.getStatement('sarah', '2026-Q1', { actor: 'sarah', at: '2026-04-05' }), out.approve);
  assert.strictEqual(reopened.exportStatement('sarah', '2026-Q2', { actor: 'maria', at: '2026-04-05' }), out.q2Csv);
  assert.deepStrictEqual(reopened.auditLog({ at: '2026-04-05' }), out.audit);
  const onDisk = JSON.parse(fs.readFileSync(file, 'utf8'));
  assert.strictEqual(onDisk.collections.statements['sarah|2026-Q1'].version, 2, 'generated, then approved');
  assert.deepStrictEqual(fs.readdirSync(path.dirname(file)), ['payroll.json'], 'no lock or temporary file left');
});

test('every store gives the same answers', { skip: SKIP }, () => {
  const d = scratch('same-month');
  const expected = closeTheMonth(new compcode.Orchestrator(new compcode.MemoryRepository()));
  const Store = JsonFileRepository();
  const stores = {
    'SqliteRepository (file)': () => new compcode.SqliteRepository(path.join(d, 'builtin.db')),
    'a plain JS object': () => new ObjectRepository(),
    'a JS object forwarding to SqliteRepository': () => new Forwarding(new compcode.SqliteRepository(':memory:')),
    'JsonFileRepository (example)': () => new Store(path.join(d, 'store.json')),
  };
  let nodeSqlite = null;
  try {
    require('node:sqlite');
    nodeSqlite = require('../examples/sqlite-repository').NodeSqliteRepository;
  } catch {
    // Node < 22.5: no node:sqlite
  }
  if (nodeSqlite) stores['NodeSqliteRepository (example)'] = () => new nodeSqlite(path.join(d, 'node.db'));
  for (const [name, make] of Object.entries(stores)) {
    const out = closeTheMonth(new compcode.Orchestrator(make()));
    const plain = (o) => JSON.parse(JSON.stringify({ ...o, lockedAdjust: [o.lockedAdjust.code, o.lockedAdjust.message] }));
    assert.deepStrictEqual(plain(out), plain(expected), name);
  }
});

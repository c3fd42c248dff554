'use strict';
// Templates, plan analysis and plan diff (SPEC §19) through their JS functions: arguments map
// onto the operations' inputs; the numbers are the hand-worked fixtures' (spec-fixtures/).
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const compcode = require('..');

const FIXTURES = path.resolve(__dirname, '../../spec-fixtures');
const input = (name) => JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8')).input;

test('templates, and the product filter', () => {
  const all = compcode.templates().templates;
  assert.strictEqual(all.length, 6);
  assert.strictEqual(all[0].id, 'ae_commission');
  assert.deepStrictEqual(compcode.templates({ product: 'commissionflow' }).templates.map((t) => t.id), ['commissionflow_basic']);
});

test('analyzePlan(plan, context?)', () => {
  const fx = input('analysis/missing_quota.json');
  const out = compcode.analyzePlan(fx.plan, fx.context);
  assert.deepStrictEqual(out.findings.map((f) => [f.code, f.severity, f.path]), [['missing_quota', 'error', 'context.assignments[2]']]);
  assert.deepStrictEqual(compcode.analyzePlan(fx.plan).findings, []);
  assert.throws(() => compcode.analyzePlan(fx.plan, { deels: [] }), (e) => e instanceof compcode.CompcodeError && e.details.errors[0].path === 'context.deels');
});

test('diffPlans(document, versionA, versionB, { top, planId })', () => {
  const doc = input('diff/quickstart_accelerator.json').document;
  const out = compcode.diffPlans(doc, 'saved', 'edited');
  assert.deepStrictEqual(out.total, { old: '97480.00', new: '99300.00', delta: '1820.00' });
  assert.deepStrictEqual(out.deals.map((d) => [d.rank, d.dealId, d.delta]), [[1, 'S6', '1100.00'], [2, 'J4', '720.00']]);
  assert.strictEqual(compcode.diffPlans(doc, 'saved', 'edited', { top: 1 }).deals.length, 1);
  const two = input('diff/top_ties_and_cascade.json').document;
  const byDate = compcode.diffPlans(two, '2026-01-15', '2026-02-01', { planId: 'p' });
  assert.deepStrictEqual([byDate.versionA, byDate.versionB], ['v1', 'v2']);
  assert.throws(() => compcode.diffPlans(doc, 'saved', 'nope'), (e) => e.code === 'VALIDATION_FAILED' && e.details.errors[0].path === 'versionB');
});

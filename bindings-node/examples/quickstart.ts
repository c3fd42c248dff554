// A typed quickstart: build a calculation document, simulate it, read the lines, handle errors.
// Type-checked by `npm run typecheck` (tsc --noEmit --strict) in scripts/test-node.sh.
import { simulate, validate, CompcodeError, CalcDocument, SimulateResult, SimulateEvent, ValidationIssue } from '..';

const doc: CalcDocument = {
  asOf: '2026-04-01',
  reps: [{ id: 'alice', name: 'Alice' }],
  plans: [
    {
      planId: 'ae',
      name: 'AE',
      effectiveStart: '2026-01-01',
      config: {
        rules: [
          {
            name: 'Revenue Commission',
            measure: 'closed_won_revenue',
            tiers: [
              { tierIndex: 0, name: 'Base', minThreshold: 0, rate: '0.08' },
              { tierIndex: 1, name: 'On Target', minThreshold: 1, rate: 0.1 },
            ],
          },
        ],
      },
    },
  ],
  assignments: [{ repId: 'alice', planId: 'ae', effectiveStart: '2026-01-01' }],
  quotas: [{ repId: 'alice', planId: 'ae', ruleName: 'Revenue Commission', period: '2026-Q1', target: '500000' }],
  deals: [{ id: 'D1', stage: 'closed_won', amount: '600000', closeDate: '2026-02-01', ownerRepId: 'alice' }],
  options: { trace: false },
};

const result: SimulateResult = simulate(doc);
const lines: SimulateEvent[] = result.events;
for (const line of lines) {
  // Decimals are strings: exact, ready for a decimal library or display.
  const rate: string | null = line.rateApplied;
  console.log(`${line.repId} ${line.period} ${line.tierName ?? '-'} @ ${rate ?? '-'}: ${line.amount}`);
}
console.log(`total ${result.totalCommission}; attainment ${result.quotas[0]?.attainment ?? 'n/a'}`);

const check = validate({ ...doc, asOf: '2026-13-01' });
const problems: ValidationIssue[] = check.errors;
for (const p of problems) console.log(`${p.path}: [${p.code}] ${p.message}`);

try {
  simulate({ ...doc, deals: [{ id: 'D2', amount: Number.NaN }] });
} catch (e) {
  if (e instanceof CompcodeError) {
    // e.code is an ErrorCode, e.status a number, e.details.errors the problems with paths.
    console.log(e.code, e.status, e.details.errors?.map((i) => i.path).join(', '));
  } else {
    throw e;
  }
}

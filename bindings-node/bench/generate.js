'use strict';
// A deterministic calculation document of `n` deals (default 100 000) for the benchmark:
// 200 reps on one AE plan (quarterly attainment tiers, per deal) plus a periodic quarterly
// bonus, a quota per rep and quarter, and deals closing across 2026. The same seed always gives
// the same document.

function generate(n = 100000, { trace = false } = {}) {
  let seed = 0x2f6b1d3;
  const rand = () => {
    // mulberry32
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const nReps = 200;
  const reps = [];
  for (let i = 0; i < nReps; i++) reps.push({ id: `rep${i}`, name: `Rep ${i}`, email: `rep${i}@example.com` });
  const rules = [
    {
      name: 'Revenue Commission',
      measure: 'closed_won_revenue',
      executionPhase: 'per_deal',
      attainmentPeriod: 'quarterly',
      tierBy: 'attainment',
      tierMode: 'full_rate',
      tiers: [
        { tierIndex: 0, name: 'Base', minThreshold: '0', rate: '0.08' },
        { tierIndex: 1, name: 'On Target', minThreshold: '1', rate: '0.10' },
        { tierIndex: 2, name: 'Accelerator', minThreshold: '1.25', rate: '0.14' },
      ],
    },
    {
      name: 'Quarterly Bonus',
      measure: 'closed_won_revenue',
      executionPhase: 'periodic',
      attainmentPeriod: 'quarterly',
      tierBy: 'attainment',
      payoutBase: '1',
      tiers: [
        { tierIndex: 0, name: 'None', minThreshold: '0', flatAmount: '0' },
        { tierIndex: 1, name: 'Hit', minThreshold: '1', flatAmount: '5000' },
      ],
    },
  ];
  const plans = [{ planId: 'ae', name: 'AE Plan', effectiveStart: '2026-01-01', config: { rules } }];
  const assignments = reps.map((r) => ({ repId: r.id, planId: 'ae', effectiveStart: '2026-01-01' }));
  const quotas = [];
  for (const r of reps) {
    for (const q of [1, 2, 3, 4]) {
      for (const rule of ['Revenue Commission', 'Quarterly Bonus']) {
        quotas.push({ repId: r.id, planId: 'ae', ruleName: rule, period: `2026-Q${q}`, target: '6000000' });
      }
    }
  }
  const deals = [];
  for (let i = 0; i < n; i++) {
    const month = 1 + Math.floor(rand() * 12);
    const day = 1 + Math.floor(rand() * 28);
    const won = rand() < 0.8;
    deals.push({
      id: `D${i}`,
      name: `Deal ${i}`,
      stage: won ? 'closed_won' : 'closed_lost',
      amount: (1000 + Math.floor(rand() * 99000000) / 100).toFixed(2),
      closeDate: `2026-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`,
      ownerRepId: `rep${Math.floor(rand() * nReps)}`,
    });
  }
  return { asOf: '2027-01-15', reps, plans, assignments, quotas, deals, options: { trace } };
}

module.exports = { generate };

'use strict';
// The plan preview page (demo/) in headless Chromium, served on 127.0.0.1 by test/server.js:
// the bundled example's numbers against the hand-worked fixture, a trace, the chart, editing a
// tier rate (new totals worked out by hand below), CSV uploads, errors, a bare plan; and a
// screenshot to demo/screenshot.png.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { serve } = require('./server');
const { launch, newPage } = require('./browser');
const compcode = require('../pkg');

const ROOT = path.resolve(__dirname, '..');
const REPO = path.resolve(ROOT, '..');
const EXAMPLE = JSON.parse(fs.readFileSync(path.join(REPO, 'examples/ae-quickstart.json'), 'utf8'));
const FIXTURE = JSON.parse(fs.readFileSync(path.join(REPO, 'spec-fixtures/examples/ae_quickstart.json'), 'utf8'));
const SCREENSHOT = path.join(ROOT, 'demo/screenshot.png');

let server;
let browser;
let page;

/** The engine's value (data-value) and the text shown, of one element. */
const valueOf = (sel) => page.$eval(sel, (el) => ({ value: el.dataset.value, text: el.textContent }));
const repPayout = (rep) => page.$eval(`#rep-table tr[data-rep="${rep}"] .payout`, (el) => el.dataset.value);
const lines = () =>
  page.$$eval('#lines-table tbody tr', (rows) =>
    rows.map((r) => ({
      dealId: r.dataset.deal,
      repId: r.dataset.rep,
      tierName: r.children[5].textContent,
      rate: r.children[6].textContent,
      attainment: r.children[7].textContent,
      amount: r.querySelector('.amount').dataset.value,
    })),
  );
/** Types into a tier's input as a user would (select all, type): an `input` event per key. */
async function setTier(tier, value, field = 'rate') {
  const input = page.locator(`#tiers input[data-tier="${tier}"][data-field="${field}"]`);
  await input.fill(''); // one input event, then one per typed character
  await input.pressSequentially(value);
}

test.before(async () => {
  server = await serve(ROOT);
  browser = await launch();
  page = await newPage(browser, { viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 });
  // A fixed clock: a bare plan's document is "as of today".
  await page.clock.setFixedTime(new Date('2026-04-02T12:00:00Z'));
  await page.goto(`${server.url}/demo/`);
  await page.waitForSelector('body.ready');
});

test.after(async () => {
  if (browser) await browser.close();
  if (server) await server.close();
});

test('the bundled CSVs are the example document\'s deals and quotas (same simulate answer)', async () => {
  const { dealsFromCsv, quotasFromCsv } = await import(path.join(ROOT, 'demo/csv.js'));
  const read = (f) => fs.readFileSync(path.join(ROOT, 'demo/examples', f), 'utf8');
  const deals = dealsFromCsv(read('ae-quickstart-deals.csv'));
  const quotas = quotasFromCsv(read('ae-quickstart-quotas.csv'));
  assert.deepStrictEqual(deals.map((d) => d.id), EXAMPLE.deals.map((d) => d.id));
  assert.deepStrictEqual(deals[5].credits, [
    { repId: 'sarah', splitPercent: '60' },
    { repId: 'james', splitPercent: '40' },
  ]);
  assert.deepStrictEqual(compcode.simulate({ ...EXAMPLE, deals, quotas }), compcode.simulate(EXAMPLE));
});

test('the example: totals, per rep and per deal as in spec-fixtures/examples/ae_quickstart.json', async () => {
  assert.match(await page.textContent('#engine-status'), /engine ready/);
  assert.deepStrictEqual(await valueOf('#total'), { value: FIXTURE.expected.totalCommission, text: '97,480.00' });
  assert.strictEqual(FIXTURE.expected.totalCommission, '97480.00');
  assert.strictEqual(await page.textContent('#deals-count'), String(FIXTURE.expected.totalDeals));
  assert.strictEqual(await page.textContent('#eligible-count'), String(FIXTURE.expected.eligibleDeals));
  assert.strictEqual(await page.textContent('#reps-count'), String(FIXTURE.expected.assignedReps));
  // per rep (the fixture's why: sarah 61600, james 35880; maria has no deals)
  assert.strictEqual(await repPayout('sarah'), '61600.00');
  assert.strictEqual(await repPayout('james'), '35880.00');
  assert.strictEqual(await repPayout('maria'), '0.00');
  const att = await page.$$eval('#rep-table tbody tr', (rows) => rows.map((r) => [r.dataset.rep, r.querySelector('.attainment').textContent]));
  assert.deepStrictEqual(att, [
    ['sarah', '130% 2026-Q1'],
    ['james', '125% 2026-Q1'],
    ['maria', 'no quota'],
  ]);
  // per deal: every expected line with its tier, rate, attainment and payout
  const shown = await lines();
  assert.strictEqual(shown.length, FIXTURE.expected.events.length);
  const pct = (r) => `${+(Number(r) * 100).toFixed(6)}%`;
  for (const e of FIXTURE.expected.events) {
    const row = shown.find((l) => l.dealId === e.dealId && l.repId === e.repId);
    assert.ok(row, `a line for ${e.dealId} / ${e.repId}`);
    assert.deepStrictEqual(row, {
      dealId: e.dealId,
      repId: e.repId,
      tierName: e.tierName,
      rate: pct(e.rateApplied),
      attainment: pct(e.attainment),
      amount: e.amount,
    });
  }
  // S3 is closed_lost: a diagnostic, no line
  assert.match(await page.textContent('#diagnostics'), /not_won S3/);
});

test('the chart: cumulative payout against attainment, one line per rep, tier thresholds', async () => {
  const chart = await page.$eval('#chart svg', (svg) => ({
    series: [...svg.querySelectorAll('g.series')]
      .map((g) => [g.dataset.rep, g.dataset.period, g.querySelectorAll('circle').length, g.querySelector('.end-label').textContent])
      .sort(),
    thresholds: [...svg.querySelectorAll('.threshold-label')].map((t) => t.textContent),
  }));
  // five paying lines each; the last point is the rep's payout (61600 and 35880)
  assert.deepStrictEqual(chart, {
    series: [
      ['james', '2026-Q1', 5, '35.9k'],
      ['sarah', '2026-Q1', 5, '61.6k'],
    ],
    thresholds: ['On Target 10%', 'Accelerator 14%'],
  });
  assert.match(await page.textContent('#legend'), /Sarah Chen.*James Okafor/);
});

test('clicking a line shows its trace', async () => {
  await page.click('#lines-table tr[data-deal="J4"]');
  assert.match(await page.textContent('#trace-title'), /J4 Tyrell Corp · James Okafor · Revenue Commission · 10,080\.00/);
  const steps = await page.$$eval('#trace > li', (lis) => lis.map((li) => [li.dataset.step, li.querySelector('span').textContent]));
  assert.deepStrictEqual(steps, [
    ['credit', 'Deal J4 credits 72,000 on 2026-03-30: cumulative 303,000.00 → 375,000.00'],
    ['tier', 'Tier Accelerator (read at 1.25), full_rate: 72,000 × 0.14 = 10,080.00'],
    ['round', 'Rounded 10,080.00 → 10,080.00'],
  ]);
  assert.strictEqual(await page.$eval('#lines-table tr.selected', (r) => r.dataset.deal), 'J4');
});

test('the page looks right (screenshot: demo/screenshot.png)', async () => {
  // The timing ("simulated in 15 ms") is painted over in the page's background colour, so that
  // the committed picture only changes when the page does.
  await page.screenshot({ path: SCREENSHOT, fullPage: true, mask: [page.locator('#timing')], maskColor: '#f4f6fa' });
  const png = fs.readFileSync(SCREENSHOT);
  assert.strictEqual(png.subarray(1, 4).toString(), 'PNG');
  assert.ok(png.length > 20000, `a real picture (${png.length} bytes)`);
});

test('editing a tier rate updates every number at once', async () => {
  // Accelerator 0.14 → 0.15. Only the two Accelerator lines change (by hand, from the fixture's
  // why): sarah S6 110000 × 0.15 = 16500.00 (was 15400.00, +1100); james J4 72000 × 0.15 =
  // 10800.00 (was 10080.00, +720). sarah 61600 + 1100 = 62700.00; james 35880 + 720 = 36600.00;
  // total 97480 + 1820 = 99300.00.
  await setTier('Accelerator', '0.15');
  assert.deepStrictEqual(await valueOf('#total'), { value: '99300.00', text: '99,300.00' });
  assert.strictEqual(await repPayout('sarah'), '62700.00');
  assert.strictEqual(await repPayout('james'), '36600.00');
  const byDeal = Object.fromEntries((await lines()).map((l) => [`${l.dealId}/${l.repId}`, [l.rate, l.amount]]));
  assert.deepStrictEqual(byDeal['S6/sarah'], ['15%', '16500.00']);
  assert.deepStrictEqual(byDeal['J4/james'], ['15%', '10800.00']);
  assert.deepStrictEqual(byDeal['S5/sarah'], ['10%', '15000.00'], 'other tiers unchanged');
  // the open trace follows, the plan text too, and the engine agrees
  assert.match(await page.textContent('#trace'), /72,000 × 0\.15 = 10,800\.00/);
  const plan = JSON.parse(await page.inputValue('#plan-json'));
  assert.strictEqual(plan.plans[0].config.rules[0].tiers[2].rate, '0.15');
  const doc = structuredClone(EXAMPLE);
  doc.plans[0].config.rules[0].tiers[2].rate = '0.15';
  assert.strictEqual(compcode.simulate(doc).totalCommission, '99300.00');
  // the compare view: the plan as loaded (the saved version) against the edited one, through
  // diffPlans (the same numbers as spec-fixtures/diff/quickstart_accelerator.json): +1820.00 in
  // total, sarah +1100.00 (S6), james +720.00 (J4), the two changed deals by change.
  assert.deepStrictEqual(await page.$eval('#compare-total', (el) => ({ ...el.dataset })), { old: '97480.00', new: '99300.00', delta: '1820.00' });
  assert.match(await page.textContent('#compare-total'), /97,480\.00 → 99,300\.00 \(\+1,820\.00\)/);
  const repDeltas = await page.$$eval('#compare-reps tbody tr', (rows) => rows.map((r) => [r.dataset.rep, r.querySelector('.delta').dataset.value]));
  assert.deepStrictEqual(repDeltas, [
    ['sarah', '1100.00'],
    ['james', '720.00'],
  ]);
  const topDeals = await page.$$eval('#compare-deals tbody tr', (rows) => rows.map((r) => [r.dataset.rank, r.dataset.deal, r.querySelector('.delta').dataset.value]));
  assert.deepStrictEqual(topDeals, [
    ['1', 'S6', '1100.00'],
    ['2', 'J4', '720.00'],
  ]);
  // Base 0.08 → 0.09 as well: every Base line gains 1% of its credit; Base credits are sarah
  // 120000 + 180000 + 90000 = 390000 (+3900) and james 90000 + 75000 + 60000 = 225000 (+2250):
  // total 99300 + 6150 = 105450.00.
  await setTier('Base', '0.09');
  assert.strictEqual((await valueOf('#total')).value, '105450.00');
  // against the saved version: 105450 − 97480 = 7970.00
  assert.strictEqual(await page.$eval('#compare-total', (el) => el.dataset.delta), '7970.00');
  assert.strictEqual(await repPayout('sarah'), '66600.00');
  assert.strictEqual(await repPayout('james'), '38850.00');
});

test('a bad rate is reported with its path; fixing it brings the numbers back', async () => {
  await setTier('Base', 'abc');
  assert.strictEqual(await page.isVisible('#errors'), true);
  const text = await page.textContent('#errors');
  assert.match(text, /VALIDATION_FAILED/);
  assert.match(text, /plans\[0\]\.config\.rules\[0\]\.tiers\[0\]\.rate/);
  assert.match(await page.getAttribute('#outputs', 'class'), /stale/);
  await setTier('Base', '0.08');
  assert.strictEqual(await page.isVisible('#errors'), false);
  assert.strictEqual((await valueOf('#total')).value, '99300.00');
  await setTier('Accelerator', '0.14');
  assert.strictEqual((await valueOf('#total')).value, '97480.00');
  // back to the saved rates (typed as text: the plan differs, the payouts do not)
  assert.strictEqual(await page.$eval('#compare-total', (el) => el.dataset.delta), '0.00');
  assert.strictEqual(await page.$$eval('#compare-deals tbody tr', (rows) => rows.length), 0);
  // saving makes the edited plan the saved version
  await page.click('#compare-save');
  assert.match(await page.textContent('#compare-total'), /No change from the saved version: total 97,480\.00/);
});

test('uploading CSVs: a smaller deals file, a broken one (its line is named), then back', async () => {
  // S1 alone for sarah (120000: 24% of 500000, Base 8% = 9600.00) and J1 for james (90000:
  // 30% of 300000, Base = 7200.00): 16800.00.
  const csv = 'id,name,ownerRepId,stage,amount,closeDate\nS1,Acme Corp,sarah,closed_won,120000,2026-01-14\nJ1,Stark Industries,james,closed_won,90000,2026-01-22\n';
  await page.setInputFiles('#deals-file', { name: 'two.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await page.waitForFunction(() => document.querySelector('#total').dataset.value === '16800.00');
  assert.strictEqual(await page.textContent('#deals-status'), '2 deals from two.csv');
  assert.strictEqual(await page.textContent('#deals-count'), '2');

  const broken = 'id,amount,ownerRepId,stage,closeDate\nX1,12o,sarah,closed_won,2026-01-14\n';
  await page.setInputFiles('#deals-file', { name: 'broken.csv', mimeType: 'text/csv', buffer: Buffer.from(broken) });
  await page.waitForSelector('#errors:not([hidden])');
  assert.match(await page.textContent('#errors'), /deals\[0\]\.amount \(broken\.csv, line 2\)/);

  const wrongColumn = 'id,amont\nX1,1\n';
  await page.setInputFiles('#deals-file', { name: 'typo.csv', mimeType: 'text/csv', buffer: Buffer.from(wrongColumn) });
  await page.waitForFunction(() => /unknown column "amont"/.test(document.querySelector('#errors').textContent));

  await page.click('#use-example');
  await page.waitForFunction(() => document.querySelector('#total').dataset.value === '97480.00');
  assert.strictEqual(await page.isVisible('#errors'), false);
});

test('pasting into the plan text: bad JSON is reported, good JSON runs', async () => {
  await page.fill('#plan-json', '{"asOf": ');
  await page.waitForFunction(() => /The plan is not valid JSON/.test(document.querySelector('#errors').textContent));
  const doc = { ...EXAMPLE, deals: undefined, quotas: undefined };
  doc.settings = { ...doc.settings, currencyPrecision: 3 }; // money with three decimals
  await page.fill('#plan-json', JSON.stringify(doc));
  await page.waitForFunction(() => document.querySelector('#total').dataset.value === '97480.000');
  assert.strictEqual(await page.isVisible('#errors'), false);
  assert.strictEqual(await repPayout('sarah'), '61600.000');
});

test('a bare plan: reps come from the CSVs, each assigned to it', async () => {
  const plan = EXAMPLE.plans[0];
  await page.setInputFiles('#plan-file', { name: 'plan.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(plan)) });
  await page.waitForFunction(() => /A bare plan/.test(document.querySelector('#plan-note').textContent));
  // asOf is "today" (the page's clock is fixed at 2026-04-02, the example's asOf): same lines
  assert.strictEqual((await valueOf('#total')).value, '97480.00');
  const reps = await page.$$eval('#rep-table tbody tr', (rows) => rows.map((r) => r.dataset.rep));
  assert.deepStrictEqual(reps.sort(), ['james', 'sarah']);
  assert.strictEqual(await page.textContent('#reps-count'), '2');
  assert.deepStrictEqual(page.pageErrors, [], 'no uncaught page errors');
});

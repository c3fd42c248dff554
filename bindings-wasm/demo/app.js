// The plan preview page: compcode's WebAssembly build in the browser, plain DOM, no framework.
// Every change (plan text, a CSV, a tier rate) rebuilds the calculation document and runs
// `simulate` again; the numbers shown are the engine's decimal strings (sums per rep are added
// exactly, with BigInt), never binary floating point. Only the chart's geometry uses JS numbers.
// The page's own module (demo/pkg, compcode-wasm's `preview` build: the page's operations only,
// less than half the full module); the full package's web build works the same: ../pkg/web/index.js
import compcode, { CompcodeError } from './pkg/index.js';
import { dealsFromCsv, quotasFromCsv } from './csv.js';

const $ = (sel) => document.querySelector(sel);

const state = {
  doc: null, // the parsed plan JSON (a document, a plan or a list of plans)
  deals: null, // { name, list } from a deals CSV, or null: the document's deals
  quotas: null, // { name, list } from a quotas CSV
  selected: null, // idempotencyKey of the line whose trace is shown
  last: null, // the last good simulate answer (window.__preview for tests)
  saved: null, // the plan JSON as loaded: the "saved version" of the compare view
};

// ---- small helpers -------------------------------------------------------------------------

/** `h('td', { class: 'num' }, 'text', child)`: an element; strings become text (never HTML). */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : String(c));
  return el;
}

const SVG = 'http://www.w3.org/2000/svg';
function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  for (const c of children.flat()) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : String(c));
  return el;
}

/** Exact decimal strings as BigInt + scale: '-12.50' → { v: -1250n, scale: 2 }. */
function parseDec(text) {
  const m = /^(-?)(\d*)(?:\.(\d*))?$/.exec(String(text));
  if (!m) throw new Error(`not a decimal: ${text}`);
  const frac = m[3] || '';
  const v = BigInt((m[2] || '0') + frac);
  return { v: m[1] ? -v : v, scale: frac.length };
}
function formatDec(v, scale) {
  const neg = v < 0n;
  let digits = (neg ? -v : v).toString().padStart(scale + 1, '0');
  if (scale > 0) digits = `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return (neg ? '-' : '') + digits;
}
/** Σ of decimal strings, exactly, with the largest scale among them. */
function sumDec(values, minScale = 0) {
  const parts = values.map(parseDec);
  const scale = Math.max(minScale, ...parts.map((p) => p.scale));
  const total = parts.reduce((acc, p) => acc + p.v * 10n ** BigInt(scale - p.scale), 0n);
  return formatDec(total, scale);
}
/** '97480.00' → '97,480.00' (text only: no float). */
function money(text) {
  if (text === null || text === undefined) return '–';
  const [i, f] = String(text).split('.');
  const neg = i.startsWith('-');
  const grouped = (neg ? i.slice(1) : i).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${neg ? '-' : ''}${grouped}${f !== undefined ? `.${f}` : ''}`;
}
/** A ratio as a percentage, by moving the decimal point: '1.25' → '125%', '0.245' → '24.5%'. */
function percent(text) {
  if (text === null || text === undefined) return '–';
  const { v, scale } = parseDec(text);
  const s2 = Math.max(scale - 2, 0);
  let out = formatDec(v * 10n ** BigInt(s2 - (scale - 2)), s2);
  if (out.includes('.')) out = out.replace(/0+$/, '').replace(/\.$/, '');
  return `${out}%`;
}
const isDecimalText = (t) => /^-?\d+(\.\d+)?$/.test(String(t));
const num = (text) => Number(text); // chart geometry only

function debounce(fn, ms) {
  let t;
  return (...a) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...a), ms);
  };
}

// ---- the document ----------------------------------------------------------------------------

const isPlan = (v) => v && typeof v === 'object' && !Array.isArray(v) && 'planId' in v && !('plans' in v);

/** Every rule of the plan JSON with where it is: [{ plan, version, rule, path }]. */
function rulesOf(doc) {
  const plans = Array.isArray(doc) ? doc : isPlan(doc) ? [doc] : (doc && Array.isArray(doc.plans) && doc.plans) || [];
  const base = Array.isArray(doc) ? [] : isPlan(doc) ? null : ['plans'];
  const out = [];
  plans.forEach((plan, p) => {
    if (!plan || typeof plan !== 'object') return;
    const planPath = base === null ? [] : [...base, p];
    const configs = Array.isArray(plan.versions)
      ? plan.versions.map((v, k) => ({ version: v.planVersionId, config: v && v.config, path: [...planPath, 'versions', k, 'config'] }))
      : [{ version: null, config: plan.config, path: [...planPath, 'config'] }];
    for (const { version, config, path } of configs) {
      if (!config || !Array.isArray(config.rules)) continue;
      config.rules.forEach((rule, r) => {
        if (rule && Array.isArray(rule.tiers)) out.push({ plan, version, rule, path: [...path, 'rules', r] });
      });
    }
  });
  return out;
}

/** The calculation document to simulate: the plan JSON + the CSVs (+ reps for a bare plan). */
function buildDocument() {
  let doc = state.doc;
  let note = null;
  const deals = state.deals ? state.deals.list : null;
  const quotas = state.quotas ? state.quotas.list : null;
  if (isPlan(doc) || Array.isArray(doc)) {
    const plans = Array.isArray(doc) ? doc : [doc];
    const ids = new Set();
    for (const d of deals || []) {
      if (d.ownerRepId !== undefined) ids.add(String(d.ownerRepId));
      for (const c of d.credits || []) ids.add(String(c.repId));
    }
    for (const q of quotas || []) ids.add(String(q.repId));
    const asOf = new Date().toISOString().slice(0, 10);
    doc = {
      asOf,
      reps: [...ids].map((id) => ({ id, name: id })),
      plans,
      assignments: [...ids].flatMap((repId) => plans.map((p) => ({ repId, planId: p && p.planId }))),
      deals: [],
    };
    note = `A bare plan: the document around it has asOf ${asOf} and one rep per rep id of the CSVs (${ids.size}), each assigned to ${plans.length === 1 ? 'it' : 'every plan'}.`;
  } else if (doc && typeof doc === 'object') {
    doc = { ...doc };
  }
  if (doc && typeof doc === 'object') {
    if (deals) doc.deals = deals;
    if (quotas) doc.quotas = quotas;
    doc.options = { ...(doc.options || {}), trace: true };
  }
  return { doc, note };
}

// ---- rendering -------------------------------------------------------------------------------

function showErrors(title, items = []) {
  const box = $('#errors');
  box.replaceChildren(h('strong', {}, title), items.length ? h('ul', {}, items.map((t) => h('li', {}, t))) : null);
  box.hidden = false;
  $('#outputs').classList.add('stale');
}
function clearErrors() {
  $('#errors').hidden = true;
  $('#outputs').classList.remove('stale');
}

/** `deals[3].amount` → the CSV line, when the deals came from a CSV. */
function where(path) {
  const m = /^(deals|quotas)\[(\d+)\]/.exec(path || '');
  const src = m && state[m[1]];
  const item = src && src.list[Number(m[2])];
  return item && item.csvLine ? ` (${src.name}, line ${item.csvLine})` : '';
}

function showEngineError(e) {
  const issues = (e.details && Array.isArray(e.details.errors) ? e.details.errors : []).map(
    (i) => `${i.path || '(document)'}${where(i.path)}: ${i.message}${i.suggestion ? ` (did you mean ${i.suggestion}?)` : ''}`,
  );
  showErrors(`${e.code}: ${issues.length ? 'the document has problems' : e.message}`, issues);
}

function renderTiers() {
  const box = $('#tiers');
  const rules = rulesOf(state.doc);
  if (!rules.length) {
    box.replaceChildren(h('p', { class: 'hint' }, 'No tiered rules in the plan.'));
    return;
  }
  box.replaceChildren(
    ...rules.map(({ plan, version, rule, path }) => {
      const byAttainment = (rule.tierBy || 'attainment') === 'attainment';
      return h(
        'div',
        { class: 'rule' },
        h(
          'h3',
          {},
          rule.name || '(unnamed rule)',
          h('span', { class: 'hint' }, ` ${plan.name || plan.planId}${version ? ` · ${version}` : ''} · by ${byAttainment ? 'attainment' : 'value'}${rule.tierMode ? ` · ${rule.tierMode}` : ''}`),
        ),
        h(
          'table',
          { class: 'tiers' },
          h('thead', {}, h('tr', {}, h('th', {}, 'Tier'), h('th', {}, 'From'), h('th', {}, 'Rate'), h('th', {}, ''))),
          h(
            'tbody',
            {},
            rule.tiers.map((tier, t) => {
              const field = tier && tier.flatAmount !== undefined && tier.flatAmount !== null && tier.rate === undefined ? 'flatAmount' : 'rate';
              const value = tier && tier[field] !== undefined && tier[field] !== null ? String(tier[field]) : '';
              const name = (tier && tier.name) || `Tier ${t}`;
              const from = tier && tier.minThreshold !== undefined ? String(tier.minThreshold) : '0';
              const input = h('input', {
                type: 'text',
                inputmode: 'decimal',
                value,
                'aria-label': `${field === 'rate' ? 'Rate' : 'Flat amount'} of tier ${name}, rule ${rule.name}`,
                dataset: { rule: rule.name || '', tier: name, field, path: JSON.stringify([...path, 'tiers', t, field]) },
                oninput: (ev) => editTier(ev.target),
              });
              const hint = h('span', { class: 'hint pct' }, field === 'rate' && isDecimalText(value) ? percent(value) : field === 'flatAmount' ? 'flat' : '');
              return h('tr', {}, h('td', {}, name), h('td', {}, byAttainment && isDecimalText(from) ? `≥ ${percent(from)}` : `≥ ${money(from)}`), h('td', {}, input), h('td', {}, hint));
            }),
          ),
        ),
      );
    }),
  );
}

function editTier(input) {
  const path = JSON.parse(input.dataset.path);
  let node = state.doc;
  for (const k of path.slice(0, -1)) node = node[k];
  node[path[path.length - 1]] = input.value.trim(); // a decimal string: exact
  const hint = input.closest('tr').querySelector('.pct');
  if (input.dataset.field === 'rate') hint.textContent = isDecimalText(input.value.trim()) ? percent(input.value.trim()) : '';
  $('#plan-json').value = JSON.stringify(state.doc, null, 2);
  recompute();
}

function repNames(doc) {
  const names = new Map();
  for (const r of (doc && doc.reps) || []) if (r && r.id !== undefined) names.set(String(r.id), r.name || String(r.id));
  return names;
}

function render(out, doc) {
  state.last = out;
  window.__preview = { result: out, document: doc };
  const names = repNames(doc);
  const precision = (doc.settings && doc.settings.currencyPrecision) ?? 2;

  $('#total').textContent = money(out.totalCommission);
  $('#total').dataset.value = out.totalCommission;
  $('#deals-count').textContent = out.totalDeals;
  $('#eligible-count').textContent = out.eligibleDeals;
  $('#reps-count').textContent = out.assignedReps;

  // per rep: every rep of the document, then any other rep with lines
  const repIds = [...names.keys()];
  for (const e of out.events) if (!repIds.includes(e.repId)) repIds.push(e.repId);
  const colour = new Map(repIds.map((id, i) => [id, PALETTE[i % PALETTE.length]]));
  $('#rep-table tbody').replaceChildren(
    ...repIds.map((id) => {
      const lines = out.events.filter((e) => e.repId === id);
      const payout = sumDec(lines.map((e) => e.amount), precision);
      const quotas = out.quotas.filter((q) => q.repId === id);
      const tiers = [...new Set(lines.map((e) => e.tierName).filter(Boolean))];
      return h(
        'tr',
        { dataset: { rep: id } },
        h('td', {}, h('span', { class: 'dot', style: `background:${colour.get(id)}` }), names.get(id) || id),
        h('td', { class: 'num' }, h('div', { class: 'payout', dataset: { value: payout } }, money(payout)), h('div', { class: 'hint' }, `${lines.length} ${lines.length === 1 ? 'line' : 'lines'}`)),
        h(
          'td',
          { class: 'attainment' },
          quotas.length
            ? quotas.map((q) => h('div', { title: `${money(q.currentValue)} of ${money(q.target)}` }, h('b', {}, percent(q.attainment)), ` ${q.period}`))
            : h('span', { class: 'hint' }, 'no quota'),
        ),
        h('td', { class: 'tiers-reached' }, tiers.length ? tiers.map((t) => h('div', {}, t)) : h('span', { class: 'hint' }, '–')),
      );
    }),
  );

  // per deal: the payout lines
  const dealNames = new Map();
  for (const d of doc.deals || []) if (d && d.id !== undefined) dealNames.set(String(d.id), d.name);
  if (state.selected && !out.events.some((e) => e.idempotencyKey === state.selected)) state.selected = null;
  // the lines of each rep in the engine's (crediting) order, reps in the order of the rep table
  const events = [...out.events].sort((a, b) => repIds.indexOf(a.repId) - repIds.indexOf(b.repId));
  $('#lines-table tbody').replaceChildren(
    ...events.map((e) =>
      h(
        'tr',
        {
          class: e.idempotencyKey === state.selected ? 'selected' : null,
          tabindex: 0,
          dataset: { key: e.idempotencyKey, deal: e.dealId ?? '', rep: e.repId },
          onclick: () => select(e.idempotencyKey),
          onkeydown: (ev) => (ev.key === 'Enter' || ev.key === ' ') && select(e.idempotencyKey),
        },
        h('td', {}, e.dealId ? [h('b', {}, e.dealId), ' ', dealNames.get(e.dealId) || ''] : h('span', { class: 'hint' }, e.executionPhase)),
        h('td', {}, names.get(e.repId) || e.repId),
        h('td', {}, e.ruleName),
        h('td', {}, e.period, e.provisional ? h('span', { class: 'hint' }, ' (open)') : null),
        h('td', { class: 'num' }, money(e.creditedValue)),
        h('td', {}, e.tierName || h('span', { class: 'hint' }, e.reason || '–')),
        h('td', { class: 'num rate' }, e.rateApplied === null ? '–' : percent(e.rateApplied)),
        h('td', { class: 'num' }, e.attainment === null ? '–' : percent(e.attainment)),
        h('td', { class: 'num amount', dataset: { value: e.amount } }, money(e.amount)),
      ),
    ),
  );
  if (!out.events.length) {
    $('#lines-table tbody').replaceChildren(h('tr', {}, h('td', { colspan: 9, class: 'hint' }, 'No payout lines.')));
  }
  renderTrace(names, dealNames);

  $('#diagnostics').replaceChildren(
    ...(out.diagnostics.length
      ? out.diagnostics.map((d) => h('li', {}, h('code', {}, d.code), ' ', d.dealId ? h('b', {}, `${d.dealId} `) : null, d.message))
      : [h('li', { class: 'hint' }, 'None.')]),
  );

  renderChart(out, doc, names, colour);
}

function select(key) {
  state.selected = key;
  for (const tr of document.querySelectorAll('#lines-table tbody tr')) tr.classList.toggle('selected', tr.dataset.key === key);
  const { document: doc } = window.__preview;
  const dealNames = new Map((doc.deals || []).map((d) => [String(d.id), d.name]));
  renderTrace(repNames(doc), dealNames);
}

/** One trace step in words where the step is known, its fields otherwise. */
function describeStep(st) {
  switch (st.step) {
    case 'credit':
      return `${st.dealId ? `Deal ${st.dealId} ` : ''}credits ${money(st.creditedValue)}${st.splitPercent && st.splitPercent !== '100' ? ` (${st.splitPercent}% split)` : ''} on ${st.creditDate}: cumulative ${money(st.cumulativeBefore)} → ${money(st.cumulativeAfter)}`;
    case 'tier':
      return `Tier ${st.tier}${st.readAt ? ` (read at ${st.readAt})` : ''}, ${st.mode || ''}: ${st.flatAmount !== null && st.flatAmount !== undefined ? `flat ${money(st.flatAmount)}` : `${money(st.base)} × ${st.rate}`} = ${money(st.amount)}`;
    case 'round':
      return `Rounded ${money(st.before)} → ${money(st.after)}`;
    default:
      return null;
  }
}

function renderTrace(names, dealNames) {
  const list = $('#trace');
  const e = state.last && state.last.events.find((x) => x.idempotencyKey === state.selected);
  if (!e) {
    $('#trace-title').textContent = 'select a line';
    list.replaceChildren();
    return;
  }
  $('#trace-title').textContent = `${e.dealId ? `${e.dealId} ${dealNames.get(e.dealId) || ''} · ` : ''}${names.get(e.repId) || e.repId} · ${e.ruleName} · ${money(e.amount)}`;
  list.replaceChildren(
    ...e.trace.map((st) => {
      const words = describeStep(st);
      const fields = Object.entries(st)
        .filter(([k]) => k !== 'step')
        .map(([k, v]) => h('span', { class: 'kv' }, h('i', {}, k), ' ', typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)));
      return h('li', { dataset: { step: st.step } }, h('code', { class: 'step-name' }, st.step), ' ', words ? h('span', {}, words) : null, h('div', { class: 'fields' }, fields));
    }),
  );
  if (!e.trace.length) list.replaceChildren(h('li', { class: 'hint' }, 'No trace (options.trace is false).'));
}

const PALETTE = ['#2563eb', '#db2777', '#059669', '#d97706', '#7c3aed', '#0891b2', '#dc2626', '#4d7c0f'];

function niceCeil(x) {
  if (x <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= x) return m * p;
  return 10 * p;
}
const shortMoney = (x) => (x >= 1e6 ? `${+(x / 1e6).toFixed(1)}M` : x >= 1e3 ? `${+(x / 1e3).toFixed(1)}k` : `${+x.toFixed(0)}`);

/**
 * Cumulative payout against attainment, one line per rep and period, in the order the engine
 * credits the deals; the tier thresholds of the rule most lines came from as dashed guides.
 */
function renderChart(out, doc, names, colour) {
  const box = $('#chart');
  const series = new Map();
  for (const e of out.events) {
    if (e.attainment === null || e.executionPhase !== 'per_deal') continue;
    const key = `${e.repId}\u0000${e.period}`;
    if (!series.has(key)) series.set(key, { repId: e.repId, period: e.period, amounts: [], points: [{ x: 0, y: 0 }] });
    const sr = series.get(key);
    sr.amounts.push(e.amount);
    sr.points.push({ x: num(e.attainment), y: num(sumDec(sr.amounts)), dealId: e.dealId, amount: e.amount });
  }
  if (!series.size) {
    box.replaceChildren(h('p', { class: 'hint' }, 'Nothing to plot: attainment needs quotas (a quotas CSV) for rules tiered by attainment.'));
    $('#legend').replaceChildren();
    return;
  }
  // in the order of the rep table, then by period
  const order = [...colour.keys()];
  const all = [...series.values()].sort((a, b) => order.indexOf(a.repId) - order.indexOf(b.repId) || a.period.localeCompare(b.period));
  const periods = new Set(all.map((x) => x.period));
  const W = 560;
  const H = 300;
  const m = { l: 58, r: 18, t: 14, b: 40 };
  const maxX = Math.max(...all.flatMap((x) => x.points.map((p) => p.x)));
  const maxY = Math.max(...all.flatMap((x) => x.points.map((p) => p.y)));
  const xMax = Math.max(1.5, Math.ceil((maxX * 1.08) / 0.25) * 0.25);
  const yMax = niceCeil(maxY * 1.08);
  const X = (x) => m.l + (x / xMax) * (W - m.l - m.r);
  const Y = (y) => H - m.b - (y / yMax) * (H - m.t - m.b);

  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'Cumulative payout against quota attainment, per rep' });
  // grid and axes
  const xStep = xMax > 3 ? 0.5 : 0.25;
  for (let x = 0; x <= xMax + 1e-9; x += xStep) {
    svg.append(s('line', { x1: X(x), x2: X(x), y1: m.t, y2: H - m.b, class: 'grid' }));
    svg.append(s('text', { x: X(x), y: H - m.b + 16, class: 'tick', 'text-anchor': 'middle' }, `${Math.round(x * 100)}%`));
  }
  for (let k = 0; k <= 5; k++) {
    const y = (yMax * k) / 5;
    svg.append(s('line', { x1: m.l, x2: W - m.r, y1: Y(y), y2: Y(y), class: 'grid' }));
    svg.append(s('text', { x: m.l - 6, y: Y(y) + 4, class: 'tick', 'text-anchor': 'end' }, shortMoney(y)));
  }
  svg.append(s('text', { x: (m.l + W - m.r) / 2, y: H - 6, class: 'axis', 'text-anchor': 'middle' }, 'quota attainment'));
  svg.append(s('text', { x: 14, y: (m.t + H - m.b) / 2, class: 'axis', 'text-anchor': 'middle', transform: `rotate(-90 14 ${(m.t + H - m.b) / 2})` }, 'cumulative payout'));

  // tier thresholds of the rule most lines came from
  const counts = new Map();
  for (const e of out.events) if (e.attainment !== null) counts.set(e.ruleName, (counts.get(e.ruleName) || 0) + 1);
  const ruleName = [...counts.entries()].sort((a, b) => b[1] - a[1])[0][0];
  const rule = rulesOf(doc).find((r) => r.rule.name === ruleName);
  let k = 0;
  for (const tier of (rule && rule.rule.tiers) || []) {
    const t = num(tier.minThreshold);
    if (!(t > 0) || t > xMax) continue;
    svg.append(s('line', { x1: X(t), x2: X(t), y1: m.t, y2: H - m.b, class: 'threshold' }));
    const label = `${tier.name || ''}${tier.rate !== undefined && isDecimalText(tier.rate) ? ` ${percent(String(tier.rate))}` : ''}`;
    // labels on alternate rows, so that close thresholds do not overlap
    svg.append(s('text', { x: X(t) + 4, y: m.t + 12 + 14 * (k++ % 2), class: 'threshold-label' }, label));
  }

  // one line per rep and period, the last point marked and labelled
  for (const sr of all) {
    const c = colour.get(sr.repId) || '#555';
    const d = sr.points.map((p, i) => `${i ? 'L' : 'M'}${X(p.x).toFixed(1)},${Y(p.y).toFixed(1)}`).join(' ');
    const g = s('g', { class: 'series', 'data-rep': sr.repId, 'data-period': sr.period });
    g.append(s('path', { d, stroke: c, fill: 'none', 'stroke-width': 2 }));
    sr.points.slice(1).forEach((p, i, arr) => {
      const last = i === arr.length - 1;
      g.append(
        s(
          'circle',
          { cx: X(p.x), cy: Y(p.y), r: last ? 5 : 3, fill: last ? c : '#fff', stroke: c, 'stroke-width': 2 },
          s('title', {}, `${names.get(sr.repId) || sr.repId} ${sr.period}: ${p.dealId} pays ${money(p.amount)}; attainment ${Math.round(p.x * 1000) / 10}%, cumulative ${money(p.y.toFixed(2))}`),
        ),
      );
    });
    const end = sr.points[sr.points.length - 1];
    g.append(s('text', { x: X(end.x) - 8, y: Y(end.y) - 9, class: 'end-label', fill: c, 'text-anchor': 'end' }, `${shortMoney(end.y)}`));
    svg.append(g);
  }
  box.replaceChildren(svg);
  $('#legend').replaceChildren(
    ...all.map((sr) =>
      h('span', {}, h('span', { class: 'dot', style: `background:${colour.get(sr.repId)}` }), names.get(sr.repId) || sr.repId, periods.size > 1 ? ` ${sr.period}` : ''),
    ),
    h('span', { class: 'hint' }, '– – tier thresholds'),
  );
}

// ---- compare with the saved version ------------------------------------------------------------

const plansOf = (doc) => (Array.isArray(doc) ? doc : isPlan(doc) ? [doc] : (doc && Array.isArray(doc.plans) && doc.plans) || []);
const planIdOf = (p) => (p && (p.planId ?? p.id ?? p.name)) ?? null;
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The document for `diffPlans`: `doc` (the edited one, as simulated) with its first changed plan
 * holding two versions, `saved` (as loaded) and `edited`; null when no plan changed.
 */
function compareDocument(doc) {
  const savedPlans = plansOf(state.saved);
  const plans = plansOf(doc);
  for (let i = 0; i < plans.length; i++) {
    const edited = plans[i];
    const saved = savedPlans.find((p) => planIdOf(p) !== null && planIdOf(p) === planIdOf(edited));
    if (!saved || same(saved, edited)) continue;
    // a flat plan is its one version; of a versioned plan, the first version that changed
    const versionOf = (p, k) =>
      Array.isArray(p.versions)
        ? p.versions[k]
        : { effectiveStart: p.effectiveStart, effectiveEnd: p.effectiveEnd, config: p.config };
    let k = 0;
    if (Array.isArray(edited.versions) && Array.isArray(saved.versions)) {
      k = edited.versions.findIndex((v, j) => !same(v, saved.versions[j]));
      if (k < 0 || !saved.versions[k]) continue;
    } else if (Array.isArray(edited.versions) !== Array.isArray(saved.versions)) {
      continue; // the plan's shape changed: nothing to compare version to version
    }
    const as = (v, id) => ({ ...v, planVersionId: id, version: undefined, status: 'active' });
    const plan = { planId: planIdOf(edited), name: edited.name || String(planIdOf(edited)), versions: [as(versionOf(saved, k), 'saved'), as(versionOf(edited, k), 'edited')] };
    // per-rep tier overrides of the compared version apply to both sides
    const original = Array.isArray(edited.versions) ? edited.versions[k].planVersionId : `${plan.planId}:v1`;
    const repOverrides = Array.isArray(doc.repOverrides)
      ? doc.repOverrides.flatMap((o) => (o && String(o.planVersionId) === String(original) ? [{ ...o, planVersionId: 'saved' }, { ...o, planVersionId: 'edited' }] : [o]))
      : doc.repOverrides;
    return { planId: plan.planId, doc: { ...doc, plans: plans.map((p, j) => (j === i ? plan : p)), repOverrides, options: { ...(doc.options || {}), trace: false } } };
  }
  return null;
}

function deltaCell(text) {
  const cls = text.startsWith('-') ? 'down' : /[1-9]/.test(text) ? 'up' : '';
  return h('td', { class: `num delta ${cls}`, dataset: { value: text } }, `${cls === 'up' ? '+' : ''}${money(text)}`);
}

function renderCompare(out, doc) {
  const total = $('#compare-total');
  const body = $('#compare-body');
  const cmp = state.saved === null ? null : compareDocument(doc);
  if (!cmp) {
    const zero = sumDec([], (doc.settings && doc.settings.currencyPrecision) ?? 2);
    Object.assign(total.dataset, { old: out.totalCommission, new: out.totalCommission, delta: zero });
    total.replaceChildren('No change from the saved version: total ', h('b', {}, money(out.totalCommission)), '.');
    body.replaceChildren();
    window.__preview.compare = null;
    return;
  }
  let diff;
  try {
    diff = compcode.diffPlans(cmp.doc, 'saved', 'edited', { top: 10 });
  } catch (e) {
    if (!(e instanceof CompcodeError)) throw e;
    total.dataset.delta = '';
    total.replaceChildren(h('span', { class: 'hint' }, `The saved version cannot be compared: ${e.code}: ${e.message}`));
    body.replaceChildren();
    window.__preview.compare = null;
    return;
  }
  window.__preview.compare = diff;
  const t = diff.total;
  Object.assign(total.dataset, { old: t.old, new: t.new, delta: t.delta });
  const sign = t.delta.startsWith('-') ? '' : '+';
  total.replaceChildren(`Plan ${diff.planId}: total `, h('b', {}, money(t.old)), ' → ', h('b', {}, money(t.new)), ` (${sign}${money(t.delta)})`);
  const names = repNames(doc);
  const head = (...cells) => h('thead', {}, h('tr', {}, cells.map(([text, num]) => h('th', { class: num ? 'num' : null }, text))));
  body.replaceChildren(
    h(
      'table',
      { id: 'compare-reps' },
      head(['Rep'], ['Saved', true], ['Edited', true], ['Change', true]),
      h(
        'tbody',
        {},
        diff.reps.map((r) =>
          h('tr', { dataset: { rep: r.repId } }, h('td', {}, names.get(r.repId) || r.repName), h('td', { class: 'num' }, money(r.old)), h('td', { class: 'num' }, money(r.new)), deltaCell(r.delta)),
        ),
      ),
    ),
    h('h3', {}, diff.changedDeals ? `Most changed deals (${diff.deals.length} of ${diff.changedDeals})` : 'No deal changed'),
    diff.deals.length
      ? h(
          'table',
          { id: 'compare-deals' },
          head(['#'], ['Deal'], ['Saved', true], ['Edited', true], ['Change', true]),
          h(
            'tbody',
            {},
            diff.deals.map((d) =>
              h('tr', { dataset: { deal: d.dealId, rank: d.rank } }, h('td', {}, String(d.rank)), h('td', {}, h('b', {}, d.dealId), ' ', d.dealName || ''), h('td', { class: 'num' }, money(d.old)), h('td', { class: 'num' }, money(d.new)), deltaCell(d.delta)),
            ),
          ),
        )
      : null,
  );
}

// ---- running -----------------------------------------------------------------------------------

function recompute() {
  if (state.doc === null) return;
  const { doc, note } = buildDocument();
  $('#plan-note').textContent = note || PLAN_NOTE;
  const t0 = performance.now();
  let out;
  try {
    out = compcode.simulate(doc);
  } catch (e) {
    if (!(e instanceof CompcodeError)) throw e;
    showEngineError(e);
    return;
  }
  const ms = performance.now() - t0;
  clearErrors();
  render(out, doc);
  renderCompare(out, doc);
  $('#timing').textContent = `simulated in ${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`;
  document.body.dataset.runs = String(Number(document.body.dataset.runs || 0) + 1);
}

/** A plan loaded (the example, a file): it becomes the saved version of the compare view. */
function setPlanText(text) {
  $('#plan-json').value = text;
  readPlanText(true);
}

/** The plan text, parsed; typing in it is an edit (the saved version stays), loading is not. */
function readPlanText(loaded) {
  const text = $('#plan-json').value;
  try {
    state.doc = JSON.parse(text);
  } catch (e) {
    showErrors('The plan is not valid JSON', [e.message]);
    return;
  }
  if (loaded === true) state.saved = structuredClone(state.doc);
  renderTiers();
  recompute();
}

function loadCsv(kind, name, text) {
  const parse = kind === 'deals' ? dealsFromCsv : quotasFromCsv;
  let list;
  try {
    list = parse(text);
  } catch (e) {
    showErrors(`${name}: not a ${kind} CSV`, [e.message]);
    return;
  }
  state[kind] = { name, list };
  $(`#${kind}-status`).textContent = `${list.length} ${kind === 'deals' ? (list.length === 1 ? 'deal' : 'deals') : list.length === 1 ? 'quota' : 'quotas'} from ${name}`;
  $(`#${kind}-clear`).hidden = false;
  recompute();
}

function clearCsv(kind) {
  state[kind] = null;
  $(`#${kind}-status`).textContent = `none: the document's ${kind}`;
  $(`#${kind}-clear`).hidden = true;
  recompute();
}

async function fetchText(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: ${r.status} ${r.statusText}`);
  return r.text();
}

/** The bundled example: examples/ae-quickstart.json as the plan, its deals and quotas as CSVs. */
async function useExample() {
  const [json, deals, quotas] = await Promise.all([
    fetchText('examples/ae-quickstart.json'),
    fetchText('examples/ae-quickstart-deals.csv'),
    fetchText('examples/ae-quickstart-quotas.csv'),
  ]);
  const doc = JSON.parse(json);
  delete doc.deals; // they come from the CSVs
  delete doc.quotas;
  state.selected = null;
  state.deals = { name: 'ae-quickstart-deals.csv', list: dealsFromCsv(deals) };
  state.quotas = { name: 'ae-quickstart-quotas.csv', list: quotasFromCsv(quotas) };
  for (const kind of ['deals', 'quotas']) {
    const n = state[kind].list.length;
    $(`#${kind}-status`).textContent = `${n} ${kind} from ${state[kind].name}`;
    $(`#${kind}-clear`).hidden = false;
  }
  setPlanText(JSON.stringify(doc, null, 2));
}

function readFile(input, then) {
  input.addEventListener('change', async () => {
    const file = input.files && input.files[0];
    if (!file) return;
    then(file.name, await file.text());
    input.value = '';
  });
}

let PLAN_NOTE = '';

function main() {
  PLAN_NOTE = $('#plan-note').textContent.replace(/\s+/g, ' ').trim();
  $('#engine-status').textContent = `engine ready · WebAssembly · ${compcode.ERROR_CODES.length} error codes`;
  $('#engine-status').classList.add('ok');
  $('#use-example').addEventListener('click', () => useExample().catch((e) => showErrors('Could not load the example', [e.message])));
  $('#plan-json').addEventListener('input', debounce(() => readPlanText(false), 150));
  $('#compare-save').addEventListener('click', () => {
    if (state.doc === null) return;
    state.saved = structuredClone(state.doc);
    recompute();
  });
  readFile($('#plan-file'), (_, text) => setPlanText(text));
  readFile($('#deals-file'), (name, text) => loadCsv('deals', name, text));
  readFile($('#quotas-file'), (name, text) => loadCsv('quotas', name, text));
  $('#deals-clear').addEventListener('click', () => clearCsv('deals'));
  $('#quotas-clear').addEventListener('click', () => clearCsv('quotas'));
  useExample()
    .then(() => document.body.classList.add('ready'))
    .catch((e) => showErrors('Could not load the example', [e.message]));
}

main();

// CSV → compcode deals and quotas, for the plan preview page (and its test, which imports this
// module in Node to check that the bundled CSVs are the example's deals and quotas).
//
// Deals CSV: one row per deal; a header row names the columns. Known columns are the deal's keys
//   id, name, stage, amount, closeDate, currency, ownerRepId, ownerCrmId, ownerEmail, status, deleted
// plus `credits` (split credit: `repId:splitPercent` pairs separated by `;`, e.g.
// `sarah:60;james:40`) and `fields.<name>` (a custom field). Quotas CSV: the quota's keys
//   repId, planId, ruleName, planRuleId, measure, period, target, variableTarget, prorate
// Empty cells are left out. Values stay strings (decimals as strings: exact), except `deleted`
// and `prorate` (true/false). An unknown column is an error, so a typo is not silently ignored.

const DEAL_COLUMNS = [
  'id',
  'name',
  'stage',
  'amount',
  'closeDate',
  'currency',
  'ownerRepId',
  'ownerCrmId',
  'ownerEmail',
  'status',
  'deleted',
  'credits',
];
const QUOTA_COLUMNS = [
  'repId',
  'planId',
  'ruleName',
  'planRuleId',
  'measure',
  'period',
  'target',
  'variableTarget',
  'prorate',
];
const BOOLEAN_COLUMNS = new Set(['deleted', 'prorate']);

/** A CSV error naming the line (1-based, as an editor shows it). */
export class CsvError extends Error {
  constructor(message, line) {
    super(line ? `line ${line}: ${message}` : message);
    this.name = 'CsvError';
    this.line = line;
  }
}

/**
 * RFC 4180 CSV: commas, double-quoted fields ("" inside quotes is one "), quoted newlines,
 * CRLF or LF line ends, a leading BOM ignored, blank lines skipped. Returns the rows (arrays of
 * strings), each with its starting line number as `row.line`.
 */
export function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const endRow = () => {
    row.push(field);
    field = '';
    if (!(row.length === 1 && row[0] === '')) {
      row.line = rowLine;
      rows.push(row);
    }
    row = [];
  };
  for (; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (c === '\n') line++;
        field += c;
      }
    } else if (c === '"') {
      if (field !== '') throw new CsvError('a quote inside an unquoted field', line);
      quoted = true;
    } else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endRow();
      line++;
      rowLine = line;
    } else field += c;
  }
  if (quoted) throw new CsvError('a quoted field is not closed', rowLine);
  if (field !== '' || row.length) endRow();
  return rows;
}

/** Rows as objects keyed by the header, empty cells left out; checks the column names. */
function records(text, known, what) {
  const rows = parseCsv(text);
  if (!rows.length) throw new CsvError(`the ${what} CSV is empty (a header row is needed)`);
  const header = rows[0].map((h) => h.trim());
  for (const h of header) {
    const ok = known.includes(h) || (what === 'deals' && /^fields\.[^.]+$/.test(h));
    if (!ok) {
      const hint = what === 'deals' ? `, or fields.<name>` : '';
      throw new CsvError(`unknown column "${h}" in the ${what} CSV; known: ${known.join(', ')}${hint}`, rows[0].line);
    }
  }
  return rows.slice(1).map((r) => {
    if (r.length !== header.length) {
      throw new CsvError(`${r.length} cells, but the header has ${header.length} columns`, r.line);
    }
    const rec = {};
    header.forEach((h, k) => {
      const v = r[k].trim();
      if (v === '') return;
      if (BOOLEAN_COLUMNS.has(h)) {
        if (!/^(true|false)$/i.test(v)) throw new CsvError(`${h} must be true or false, not "${v}"`, r.line);
        rec[h] = v.toLowerCase() === 'true';
      } else rec[h] = v;
    });
    rec.line = r.line;
    return rec;
  });
}

/** Remembers the CSV line as `csvLine`, not enumerable: JSON.stringify (so the engine) never sees it. */
function withLine(obj, line) {
  return Object.defineProperty(obj, 'csvLine', { value: line });
}

/** `sarah:60;james:40` → `[{ repId: 'sarah', splitPercent: '60' }, ...]`. */
function credits(text, line) {
  return text.split(';').map((part) => {
    const m = /^\s*([^:]+?)\s*:\s*(\S+)\s*$/.exec(part);
    if (!m) throw new CsvError(`credits must be repId:splitPercent pairs separated by ";", not "${text}"`, line);
    return { repId: m[1], splitPercent: m[2] };
  });
}

/** The deals of a deals CSV, as compcode deal snapshots. */
export function dealsFromCsv(text) {
  return records(text, DEAL_COLUMNS, 'deals').map(({ line, ...rec }) => {
    const deal = {};
    for (const [k, v] of Object.entries(rec)) {
      if (k === 'credits') deal.credits = credits(v, line);
      else if (k.startsWith('fields.')) (deal.fields ||= {})[k.slice('fields.'.length)] = v;
      else deal[k] = v;
    }
    if (deal.id === undefined) throw new CsvError('a deal needs an id', line);
    return withLine(deal, line);
  });
}

/** The quotas of a quotas CSV, as compcode quotas. */
export function quotasFromCsv(text) {
  return records(text, QUOTA_COLUMNS, 'quotas').map(({ line, ...rec }) => {
    if (rec.repId === undefined) throw new CsvError('a quota needs a repId', line);
    return withLine(rec, line);
  });
}

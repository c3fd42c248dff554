'use strict';
// index.d.ts against the Rust definitions:
// * every spec fixture's real output has exactly the keys and value types the output
//   interfaces declare (and every output interface is exercised);
// * every valid fixture input fits `CalcDocument`;
// * every input interface declares exactly the keys the engine's reader knows (asked from the
//   engine itself: an unknown key makes it list the known ones);
// * `ErrorCode` is the engine's code list, `IssueCode` / `DiagnosticCode` the README's lists;
// * the declared functions, class and constants are the module's exports.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const ts = require('typescript');
const { compcode, dir } = require('./load');
const { ROOT, loadFixtures, runFixture } = require('./fixtures');

const DTS = path.join(dir, 'index.d.ts');
const source = ts.createSourceFile(DTS, fs.readFileSync(DTS, 'utf8'), ts.ScriptTarget.Latest, true);

/** name -> declaration (interface, type alias, class), and the exported values. */
const decls = new Map();
const exportedValues = new Set();
for (const st of source.statements) {
  if (ts.isInterfaceDeclaration(st) || ts.isTypeAliasDeclaration(st)) decls.set(st.name.text, st);
  if (ts.isClassDeclaration(st)) {
    decls.set(st.name.text, st);
    exportedValues.add(st.name.text);
  }
  if (ts.isFunctionDeclaration(st)) exportedValues.add(st.name.text);
  if (ts.isVariableStatement(st)) for (const d of st.declarationList.declarations) exportedValues.add(d.name.text);
}

const show = (v) => {
  const s = JSON.stringify(v);
  return s && s.length > 200 ? `${s.slice(0, 200)}…` : s;
};
const isPlainObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Interfaces and classes a check went through, with how many objects. */
const exercised = new Map();

/** Checks a JSON value against a type node of index.d.ts; returns null or the first problem. */
function check(v, node, p) {
  const K = ts.SyntaxKind;
  switch (node.kind) {
    case K.StringKeyword:
      return typeof v === 'string' ? null : `${p}: expected a string, got ${show(v)}`;
    case K.NumberKeyword:
      return typeof v === 'number' ? null : `${p}: expected a number, got ${show(v)}`;
    case K.BooleanKeyword:
      return typeof v === 'boolean' ? null : `${p}: expected a boolean, got ${show(v)}`;
    case K.UnknownKeyword:
    case K.AnyKeyword:
      return null;
    case K.ObjectKeyword:
      return v !== null && typeof v === 'object' ? null : `${p}: expected an object, got ${show(v)}`;
    case K.NeverKeyword:
      return `${p}: the type is never, got ${show(v)}`;
    case K.LiteralType: {
      const lit = node.literal;
      if (lit.kind === K.NullKeyword) return v === null ? null : `${p}: expected null, got ${show(v)}`;
      if (lit.kind === K.TrueKeyword) return v === true ? null : `${p}: expected true, got ${show(v)}`;
      if (lit.kind === K.FalseKeyword) return v === false ? null : `${p}: expected false, got ${show(v)}`;
      if (ts.isStringLiteral(lit)) return v === lit.text ? null : `${p}: expected '${lit.text}', got ${show(v)}`;
      if (ts.isNumericLiteral(lit)) return v === Number(lit.text) ? null : `${p}: expected ${lit.text}, got ${show(v)}`;
      throw new Error(`unsupported literal ${node.getText()}`);
    }
    case K.UnionType: {
      const errs = [];
      for (const t of node.types) {
        const e = check(v, t, p);
        if (e === null) return null;
        errs.push(e);
      }
      // the most specific explanation: the one that got deepest into the value
      return errs.sort((a, b) => b.split(':')[0].length - a.split(':')[0].length)[0];
    }
    case K.ParenthesizedType:
      return check(v, node.type, p);
    case K.TypeOperator:
      return check(v, node.type, p);
    case K.ArrayType:
      return checkArray(v, node.elementType, p);
    case K.TypeLiteral:
      return checkMembers(v, node.members, p, false);
    case K.TypeReference: {
      const name = node.typeName.getText();
      if (name === 'Array') return checkArray(v, node.typeArguments[0], p);
      const decl = decls.get(name);
      if (!decl) throw new Error(`index.d.ts: unknown type ${name}`);
      if (ts.isTypeAliasDeclaration(decl)) return check(v, decl.type, p);
      exercised.set(name, (exercised.get(name) || 0) + 1);
      return checkMembers(v, decl.members, p, ts.isClassDeclaration(decl));
    }
    default:
      throw new Error(`index.d.ts: unsupported type syntax ${node.getText()}`);
  }
}

function checkArray(v, elementType, p) {
  if (!Array.isArray(v)) return `${p}: expected a list, got ${show(v)}`;
  for (let i = 0; i < v.length; i++) {
    const e = check(v[i], elementType, `${p}[${i}]`);
    if (e !== null) return e;
  }
  return null;
}

/** An object against declared members: required keys present, no undeclared keys (unless an index signature or a class). */
function checkMembers(v, members, p, allowExtra) {
  if (!isPlainObject(v) && !(allowExtra && v instanceof Error)) return `${p}: expected an object, got ${show(v)}`;
  const props = new Map();
  let index = null;
  for (const m of members) {
    if (ts.isIndexSignatureDeclaration(m)) index = m.type;
    else if ((ts.isPropertySignature(m) || ts.isPropertyDeclaration(m)) && m.type) props.set(m.name.getText(), m);
  }
  for (const [name, m] of props) {
    if (!(name in v)) {
      if (!m.questionToken) return `${p}.${name}: missing (declared required)`;
      continue;
    }
    const e = check(v[name], m.type, `${p}.${name}`);
    if (e !== null) return e;
  }
  if (!allowExtra) {
    for (const k of Object.keys(v)) {
      if (props.has(k)) continue;
      if (!index) return `${p}.${k}: not declared in index.d.ts (value ${show(v[k])})`;
      const e = check(v[k], index, `${p}.${k}`);
      if (e !== null) return e;
    }
  }
  return null;
}

const typeRef = (name) => {
  assert.ok(decls.has(name), `index.d.ts declares ${name}`);
  return ts.factory.createTypeReferenceNode(name);
};
// Type references made by the factory have no source text; give them one.
function ref(name) {
  const node = typeRef(name);
  node.typeName.getText = () => name;
  return node;
}

/** The string literals of a union type alias. */
function literals(name) {
  const decl = decls.get(name);
  assert.ok(decl && ts.isTypeAliasDeclaration(decl) && ts.isUnionTypeNode(decl.type), `${name} is a union`);
  return decl.type.types.map((t) => t.literal.text);
}

/** The property names an interface declares. */
function declaredKeys(name) {
  return decls
    .get(name)
    .members.filter((m) => ts.isPropertySignature(m))
    .map((m) => m.name.getText())
    .sort();
}

const fixtures = loadFixtures();
/** Operations `run` accepts whose input and output index.d.ts does not describe yet. */
const UNTYPED_OPERATIONS = [
  'reconcile',
  'workflow',
  'rules_v0.validate',
  'rules_v0.evaluate',
  'formula.evaluate',
  'commissionflow.import',
  'commissionflow.calculate',
  'commissionflow.transition',
  'commissionflow.list',
  'spark.rate_lookup',
  'spark.allocation_summary',
  'spark.goals',  'draws.compute',
  'amortization.schedule',
  'amortization.csv',
  'spark.goals',
  'crm.hubspot.deal',
  'crm.hubspot.webhook',
  'crm.attio.record',
  'crm.attio.webhook',
  'crm.attributes',
  'crm.auto_match',
];

test('every fixture output has exactly the declared shape', () => {
  exercised.clear();
  for (const fx of fixtures) {
    let out;
    let e;
    try {
      out = compcode.run(fx.operation, fx.input);
    } catch (err) {
      e = check(err, ref('CompcodeError'), 'error');
      assert.strictEqual(e, null, `${fx.name}: ${e}`);
      assert.strictEqual(typeof err.message, 'string');
      continue;
    }
    if (fx.operation === 'simulate') {
      e = check(out, ref('SimulateResult'), '');
    } else if (fx.operation === 'validate') {
      e = check(out, ref('ValidateResult'), '');
    } else if (fx.operation === 'templates') {
      e = check(out, ref('TemplatesResult'), '');
    } else if (fx.operation === 'analyze_plan') {
      e = check(out, ref('PlanAnalysis'), '');
    } else if (fx.operation === 'diff_plans') {
      e = check(out, ref('PlanDiff'), '');
    } else {
      // reconcile / workflow: typed `unknown` until the ledger issue types them
      assert.ok(UNTYPED_OPERATIONS.includes(fx.operation), `${fx.name}: operation ${fx.operation} has no type`);
      continue;
    }
    assert.strictEqual(e, null, `${fx.name}: ${e}`);
  }
  for (const name of [
    'SimulateResult',
    'SimulateEvent',
    'TraceStep',
    'DealResult',
    'RuleBreakdown',
    'QuotaStatus',
    'Diagnostic',
    'ValidateResult',
    'ValidationIssue',
    'TemplatesResult',
    'PlanTemplate',
    'PlanAnalysis',
    'Finding',
    'Calibration',
    'CalibrationRow',
    'PlanDiff',
    'RepPayoutChange',
    'DealPayoutChange',
    'CompcodeError',
    'ErrorDetails',
  ]) {
    assert.ok(exercised.get(name) > 0, `no fixture output exercised ${name}`);
  }
});

test('the outputs of a traced simulate fit too (traces on, every kind of line)', () => {
  for (const fx of fixtures.filter((f) => f.operation === 'simulate')) {
    const input = { ...fx.input, options: { ...(fx.input.options || {}), trace: true } };
    let out;
    try {
      out = compcode.simulate(input);
    } catch {
      continue;
    }
    const e = check(out, ref('SimulateResult'), '');
    assert.strictEqual(e, null, `${fx.name}: ${e}`);
  }
});

test('every valid fixture input fits CalcDocument', () => {
  exercised.clear();
  let n = 0;
  for (const fx of fixtures.filter((f) => f.operation === 'simulate' || f.operation === 'validate')) {
    const out = runFixture(compcode, fx);
    if (out.error ? out.error.code === 'VALIDATION_FAILED' : out.valid === false) continue;
    const e = check(fx.input, ref('CalcDocument'), '');
    assert.strictEqual(e, null, `${fx.name}: ${e}`);
    n++;
  }
  assert.ok(n >= 40, `only ${n} valid inputs`);
  for (const name of ['CalcDocument', 'Rep', 'Rule', 'Tier', 'Deal', 'Quota', 'Assignment', 'ConditionLeaf']) {
    assert.ok(exercised.get(name) > 0, `no fixture input exercised ${name}`);
  }
});

/** A valid document holding one of every kind of object the reader knows. */
function richDocument() {
  const tier = { tierIndex: 0, name: 'Base', minThreshold: '0', rate: '0.1' };
  return {
    asOf: '2026-04-01',
    settings: { currencyPrecision: 2 },
    reps: [{ id: 'alice', name: 'Alice' }],
    plans: [
      {
        planId: 'ae',
        name: 'AE',
        versions: [
          {
            planVersionId: 'ae-v1',
            effectiveStart: '2026-01-01',
            config: {
              conditions: [
                { field: 'region', operator: 'equals', value: 'EU' },
                { operator: 'or', rules: [{ field: 'region', operator: 'is_set' }] },
              ],
              rules: [{ name: 'Revenue', measure: 'closed_won_revenue', tiers: [tier] }],
            },
          },
        ],
      },
      {
        planId: 'flat',
        name: 'Flat',
        effectiveStart: '2026-01-01',
        config: { rules: [{ name: 'Revenue', measure: 'closed_won_revenue', tierBy: 'value', tiers: [tier] }] },
      },
    ],
    assignments: [{ repId: 'alice', planId: 'ae' }],
    quotas: [{ repId: 'alice', planId: 'ae', ruleName: 'Revenue', period: '2026-Q1', target: '1000' }],
    repOverrides: [{ planVersionId: 'ae-v1', repId: 'alice', ruleName: 'Revenue', tiers: [{ ...tier }] }],
    deals: [{ id: 'D1', credits: [{ repId: 'alice', splitPercent: '100' }] }],
    scope: { period: 'all' },
    options: { trace: false },
  };
}

// interface -> where its object is in richDocument()
const PROBES = {
  CalcDocument: (d) => d,
  Settings: (d) => d.settings,
  Rep: (d) => d.reps[0],
  VersionedPlan: (d) => d.plans[0],
  PlanVersion: (d) => d.plans[0].versions[0],
  PlanConfig: (d) => d.plans[0].versions[0].config,
  ConditionLeaf: (d) => d.plans[0].versions[0].config.conditions[0],
  ConditionGroup: (d) => d.plans[0].versions[0].config.conditions[1],
  Rule: (d) => d.plans[0].versions[0].config.rules[0],
  Tier: (d) => d.plans[0].versions[0].config.rules[0].tiers[0],
  FlatPlan: (d) => d.plans[1],
  Assignment: (d) => d.assignments[0],
  Quota: (d) => d.quotas[0],
  RepOverride: (d) => d.repOverrides[0],
  Deal: (d) => d.deals[0],
  Credit: (d) => d.deals[0].credits[0],
  Scope: (d) => d.scope,
  Options: (d) => d.options,
};

test('the probe document is valid and fits CalcDocument', () => {
  assert.deepStrictEqual(compcode.validate(richDocument()), { valid: true, errors: [] });
  assert.strictEqual(check(richDocument(), ref('CalcDocument'), ''), null);
});

for (const [name, locate] of Object.entries(PROBES)) {
  test(`${name} declares exactly the keys the engine's reader knows`, () => {
    const d = richDocument();
    locate(d).qqqqqqqqqqqq = true;
    const r = compcode.validate(d);
    const issue = r.errors.find((i) => i.code === 'unknown_field');
    assert.ok(issue, `no unknown_field issue: ${JSON.stringify(r.errors)}`);
    const m = /expected one of: (.*)$/.exec(issue.message);
    assert.ok(m, `the message lists the known keys: ${issue.message}`);
    assert.deepStrictEqual(declaredKeys(name), m[1].split(', ').sort());
  });
}

test('ErrorCode is the engine\'s code list', () => {
  assert.deepStrictEqual(literals('ErrorCode'), [...compcode.ERROR_CODES]);
});

test('IssueCode and DiagnosticCode are the lists of spec-fixtures/README.md', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const issueTable = readme.slice(readme.indexOf('| code | when |'));
  const issueCodes = [...issueTable.matchAll(/^\| `([a-z_0-9]+)` \|/gm)].map((m) => m[1]);
  assert.ok(issueCodes.length >= 10);
  assert.deepStrictEqual(literals('IssueCode').sort(), issueCodes.sort());
  const diag = /Diagnostic codes:([\s\S]*?)\.\s*\n/.exec(readme);
  assert.ok(diag, 'the README lists the diagnostic codes');
  const diagCodes = [...diag[1].matchAll(/`([a-z_]+)`/g)].map((m) => m[1]);
  assert.deepStrictEqual(literals('DiagnosticCode').sort(), diagCodes.sort());
});

test('the declared functions, class and constants are the module\'s exports', () => {
  assert.deepStrictEqual([...exportedValues].sort(), Object.keys(compcode).sort());
  for (const f of ['simulate', 'validate', 'run', 'templates', 'analyzePlan', 'diffPlans']) assert.strictEqual(typeof compcode[f], 'function');
});

test('the shape check itself catches missing, extra and mistyped keys', () => {
  const d = richDocument();
  d.plans = [d.plans[1]];
  d.assignments = [{ repId: 'alice', planId: 'flat' }];
  d.quotas = [];
  d.repOverrides = [];
  d.deals = [{ id: 'D1', stage: 'closed_won', amount: '10', closeDate: '2026-01-02', ownerRepId: 'alice' }];
  const out = compcode.simulate(d);
  assert.strictEqual(check(out, ref('SimulateResult'), ''), null);
  assert.strictEqual(out.events.length, 1);
  const ev = out.events[0];
  assert.match(check({ ...ev, extra: 1 }, ref('SimulateEvent'), ''), /\.extra: not declared/);
  const { amount, ...noAmount } = ev;
  assert.strictEqual(typeof amount, 'string');
  assert.match(check(noAmount, ref('SimulateEvent'), ''), /\.amount: missing/);
  assert.match(check({ ...ev, amount: 1 }, ref('SimulateEvent'), ''), /\.amount: expected a string/);
  assert.match(check({ ...ev, executionPhase: 'weekly' }, ref('SimulateEvent'), ''), /executionPhase/);
  assert.match(check({ ...richDocument(), deals: [{ id: {} }] }, ref('CalcDocument'), ''), /deals\[0\]\.id/);
});

'use strict';
// compcode for Node.js: a thin wrapper over the native addon (src/lib.rs).
//
// Data crosses the boundary as JSON text (see the comment at the top of src/lib.rs for why):
// the caller's object goes through JSON.stringify, whose text for a finite JS number is its
// shortest round-trip decimal form (0.08 -> "0.08"), which the engine reads exactly; the answer
// comes back as JSON text and is JSON.parse'd, so callers only ever see plain objects. Values
// JSON cannot carry (NaN, +-Infinity, BigInt, cycles) are found here first and reported by the
// engine as VALIDATION_FAILED issues naming their paths.

const native = require('./native.js');

/** Nesting deeper than this is not a calculation document (and may be a cycle). */
const MAX_DEPTH = 256;

/** The status of the generic codes, for a CompcodeError made without one (a repository's CONFLICT). */
const GENERIC_STATUS = { VALIDATION_FAILED: 400, UNAUTHORIZED: 401, FORBIDDEN: 403, NOT_FOUND: 404, CONFLICT: 409 };

/**
 * The error every compcode function throws: `.code` (a stable code such as
 * `VALIDATION_FAILED`), `.status` (HTTP-style), `.details` (`details.errors` lists every
 * validation problem with its path) and `.message`. A repository throws one with code
 * `CONFLICT` for a failed version check: `new CompcodeError(message, 'CONFLICT')`.
 */
class CompcodeError extends Error {
  constructor(message, code, status, details) {
    super(message);
    this.name = 'CompcodeError';
    this.code = code;
    this.status = status === undefined ? GENERIC_STATUS[code] || 500 : status;
    this.details = details === undefined ? {} : details;
  }
}

/**
 * The one error-mapping function of the package: the engine's error object
 * `{ code, status, message, details }` (the shape the spec fixtures use) as a `CompcodeError`.
 */
function toError(payload) {
  const p = payload && typeof payload === 'object' ? payload : {};
  const code = typeof p.code === 'string' ? p.code : 'INTERNAL_ERROR';
  const status = typeof p.status === 'number' ? p.status : 500;
  const details = p.details && typeof p.details === 'object' ? p.details : {};
  const message = typeof p.message === 'string' ? p.message : String(p.message);
  return new CompcodeError(message, code, status, details);
}

function internal(message) {
  return toError({ code: 'INTERNAL_ERROR', status: 500, message, details: {} });
}

/** Reads the native envelope `{"ok": output}` / `{"error": {...}}`. */
function decode(envelope) {
  let reply;
  try {
    reply = JSON.parse(envelope);
  } catch (e) {
    throw internal(`the native addon returned something that is not JSON: ${e.message}`);
  }
  if (reply && typeof reply === 'object' && 'error' in reply) throw toError(reply.error);
  return reply.ok;
}

/** Calls a native export; anything it throws (it should not) becomes INTERNAL_ERROR. */
function call(fn, ...args) {
  return invoke(() => fn(...args));
}

/** Runs `native` (a call of the addon answering an envelope) and decodes its answer. */
function invoke(native) {
  let envelope;
  try {
    envelope = native();
  } catch (e) {
    throw internal(`the native addon failed: ${e && e.message ? e.message : e}`);
  }
  return decode(envelope);
}

// ---- JS values -> JSON text ---------------------------------------------------------------

/** Fast check: does `v` hold anything JSON.stringify would silently change or refuse? */
function needsCare(v, depth) {
  switch (typeof v) {
    case 'number':
      return !Number.isFinite(v);
    case 'bigint':
      return true;
    case 'object':
      break;
    default:
      return false;
  }
  if (v === null || typeof v.toJSON === 'function') return false;
  if (depth > MAX_DEPTH) return true;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (needsCare(v[i], depth + 1)) return true;
    return false;
  }
  const keys = Object.keys(v);
  for (let i = 0; i < keys.length; i++) if (needsCare(v[keys[i]], depth + 1)) return true;
  return false;
}

function join(path, key) {
  return path === '' ? key : `${path}.${key}`;
}

/**
 * Slow path (only for input needsCare flagged): a copy of `value` as JSON.stringify would see
 * it, with every value JSON cannot carry replaced by null and listed in `issues` with its path
 * (the engine's path syntax: `deals[3].amount`).
 */
function sanitize(value, key, path, ancestors, issues) {
  if (value !== null && typeof value === 'object' && typeof value.toJSON === 'function') {
    value = value.toJSON(key);
  }
  if (value instanceof Number || value instanceof String || value instanceof Boolean) value = value.valueOf();
  switch (typeof value) {
    case 'number':
      if (Number.isFinite(value)) return value;
      issues.push({ path, kind: Number.isNaN(value) ? 'nan' : value > 0 ? 'infinity' : '-infinity' });
      return null;
    case 'bigint':
      issues.push({ path, kind: 'bigint', detail: value.toString() });
      return null;
    case 'string':
    case 'boolean':
      return value;
    case 'object':
      break;
    default:
      return undefined; // undefined, functions, symbols: left out, as JSON.stringify does
  }
  if (value === null) return null;
  if (ancestors.includes(value)) {
    issues.push({ path, kind: 'cycle' });
    return null;
  }
  if (ancestors.length >= MAX_DEPTH) {
    issues.push({ path, kind: 'too_deep' });
    return null;
  }
  ancestors.push(value);
  let out;
  if (Array.isArray(value)) {
    out = value.map((item, i) => {
      const v = sanitize(item, String(i), `${path}[${i}]`, ancestors, issues);
      return v === undefined ? null : v;
    });
  } else {
    out = {};
    for (const k of Object.keys(value)) {
      const v = sanitize(value[k], k, join(path, k), ancestors, issues);
      if (v !== undefined) out[k] = v;
    }
  }
  ancestors.pop();
  return out;
}

/**
 * The caller's input as JSON text plus the values JSON could not carry (their paths start at
 * `root`: `writes[0].record.doc.x`).
 */
function encode(input, root = '') {
  let issues = [];
  let data = input;
  if (needsCare(input, 0)) data = sanitize(input, '', root, [], issues);
  const text = JSON.stringify(data);
  return { text: text === undefined ? 'null' : text, issues: issues.length ? issues : undefined };
}

// ---- the API -----------------------------------------------------------------------------

/**
 * Runs a named operation (`simulate`, `validate`) on a plain-object input and returns its
 * plain-object output. Throws `CompcodeError` (`VALIDATION_FAILED`, `invalid_type` at
 * `operation` when the operation is not a string).
 */
function run(operation, input) {
  // checked before any conversion: String() of a hostile value (a 100 000-deep array, an object
  // whose toString throws) would overflow the stack or throw its own error
  const op = stringArgument(operation, 'operation');
  const { text, issues } = encode(input);
  return call(native.runJson, op, text, issues);
}

/** Simulates a calculation document: every payout line, quota progress and diagnostics. */
function simulate(doc) {
  return run('simulate', doc);
}

/** Checks a calculation document without calculating: `{ valid, errors }`, every problem with its path. */
function validate(doc) {
  return run('validate', doc);
}

/** The starter plan templates (SPEC §19), optionally of one product: `{ templates: [...] }`. */
function templates(filter) {
  return run('templates', filter === undefined ? {} : filter);
}

/** Analyzes a plan (SPEC §19): `{ planId, findings, calibration, summary }`; `context` is a calculation document without plans (plus `fieldMapping`, `referenceQuota`, `calibrationDeal`, …). */
function analyzePlan(plan, context) {
  return run('analyze_plan', context === undefined ? { plan } : { plan, context });
}

/** Plan-change impact (SPEC §19): the document under `versionA`, then `versionB` (planVersionIds, or dates of the version in force in `options.planId`), per rep and in total, and the most changed deals (`options.top`, default 10). */
function diffPlans(document, versionA, versionB, options) {
  const input = { document, versionA, versionB };
  if (options && options.top !== undefined) input.top = options.top;
  if (options && options.planId !== undefined) input.planId = options.planId;
  return run('diff_plans', input);
}

/** Every stable error code, in the engine's order. */
const ERROR_CODES = Object.freeze(call(native.errorCodes));

// ---- the orchestrator: workflows over a repository ----------------------------------------
//
// `new Orchestrator(repository)` runs the engine's stateful workflows (src/orchestrator.rs) on
// a built-in store (MemoryRepository, SqliteRepository: native, shared by every orchestrator
// given the same object) or on the host's own store: any object with synchronous
// `get(collection, id)`, `list(collection, query)` and `commit(writes)` methods, called during
// the native call through a bridge (below) that answers JSON text and never throws into Rust.
//
// The addon of a build without these exports (the WASM build) still loads this file: the
// classes are there and say so when used.

/** Every workflow name `Orchestrator#call` accepts (empty in a build without the orchestrator). */
const WORKFLOWS = Object.freeze(typeof native.workflows === 'function' ? call(native.workflows) : []);

/** A `VALIDATION_FAILED` error for one bad argument, in the engine's words. */
function invalidArgument(path, code, message) {
  return toError({
    code: 'VALIDATION_FAILED',
    status: 400,
    message: `1 problem in the input: ${message} (${path})`,
    details: { errors: [{ path, code, message }] },
  });
}

function requireNative(what, ...exports) {
  if (exports.every((name) => typeof native[name] === 'function')) return;
  throw internal(`${what} is not available in this build of compcode (it needs the Node.js addon)`);
}

/** The native store of each MemoryRepository / SqliteRepository. */
const builtins = new WeakMap();

/**
 * The native store of a built-in repository whose methods are the built-in ones (undefined for
 * anything else): a subclass or an object whose `get` / `list` / `commit` were replaced goes
 * through the bridge like any JS store, so its own methods are the ones called.
 */
function builtinOf(repository) {
  if (repository === null || typeof repository !== 'object' || !builtins.has(repository)) return undefined;
  const own = BuiltinRepository.prototype;
  const untouched = repository.get === own.get && repository.list === own.list && repository.commit === own.commit;
  return untouched ? builtins.get(repository) : undefined;
}

function stringArgument(value, path) {
  if (typeof value === 'string') return value;
  throw invalidArgument(path, 'invalid_type', `a string is required, not ${value === null ? 'null' : typeof value}`);
}

/** The store protocol of the built-ins: JSON text to the native store, plain objects back. */
class BuiltinRepository {
  get(collection, id) {
    const store = builtins.get(this);
    const c = stringArgument(collection, 'collection');
    const i = stringArgument(id, 'id');
    return invoke(() => store.get(c, i));
  }

  list(collection, query) {
    const store = builtins.get(this);
    const c = stringArgument(collection, 'collection');
    const { text, issues } = encode(query === undefined ? null : query, 'query');
    if (issues) throw invalidArgument('query', 'invalid_value', 'a query holds only strings and nulls');
    return invoke(() => store.list(c, text));
  }

  commit(writes) {
    const store = builtins.get(this);
    const { text, issues } = encode(writes, 'writes');
    invoke(() => store.commit(text, issues));
  }
}

/**
 * An in-memory repository (tests, previews, hosts that keep state themselves). Orchestrators
 * given the same object share its records. It speaks the repository protocol itself
 * (`get`, `list`, `commit`), so it can be inspected, wrapped, or used as a reference.
 */
class MemoryRepository extends BuiltinRepository {
  constructor() {
    super();
    requireNative('MemoryRepository', 'openMemoryStore', 'orchestratorCall');
    builtins.set(this, native.openMemoryStore());
  }
}

/**
 * compcode's SQLite store (SQLite compiled into the addon): one database file, created and
 * migrated on open (`':memory:'` for a private in-memory database). Every commit is one SQL
 * transaction. Orchestrators given the same object share its connection; other processes may
 * open the same file (version checks keep concurrent writers honest).
 */
class SqliteRepository extends BuiltinRepository {
  #path;

  constructor(path) {
    super();
    requireNative('SqliteRepository', 'openSqliteStore', 'orchestratorCall');
    this.#path = stringArgument(path, 'path');
    let opened;
    try {
      opened = native.openSqliteStore(this.#path); // the native store, or the error envelope
    } catch (e) {
      throw internal(`the native addon failed: ${e && e.message ? e.message : e}`);
    }
    if (typeof opened === 'string') {
      decode(opened); // throws the error
      throw internal('the native addon opened no database');
    }
    builtins.set(this, opened);
  }

  /** The database path given when opening. */
  get path() {
    return this.#path;
  }
}

/**
 * Is `e` the conflict a store reports (a CompcodeError with code CONFLICT, from any copy of this
 * package)?
 */
function isConflict(e) {
  return e instanceof Error && (e instanceof CompcodeError || e.name === 'CompcodeError') && e.code === 'CONFLICT';
}

function describeThrown(e) {
  try {
    if (e instanceof Error) {
      const code = typeof e.code === 'string' ? ` (${e.code})` : '';
      return e.message ? `${e.name}${code}: ${e.message}` : `${e.name}${code}`;
    }
    return typeof e === 'string' ? JSON.stringify(e) : String(e);
  } catch {
    return 'a value that cannot be described';
  }
}

/**
 * The bridge to a JS store: `(method, a, b) -> JSON text` (see src/store.rs). What the store
 * threw is kept in `failures.last` with the message the engine reports for it, so the error the
 * caller finally sees can carry it as `cause`.
 */
function hostBridge(store, failures) {
  return (method, a, b) => {
    let answer;
    try {
      if (method === 'get') answer = store.get(a, b);
      else if (method === 'list') answer = store.list(a, JSON.parse(b));
      else if (method === 'commit') answer = store.commit(JSON.parse(a));
      else throw new Error(`unknown repository method ${method}`);
      if (method !== 'list' && answer === undefined) answer = null; // get: none; commit: nothing to answer
    } catch (thrown) {
      const conflict = isConflict(thrown);
      const message = conflict
        ? thrown.message || `the JS repository's \`${method}\` reported a conflict`
        : `the JS repository's \`${method}\` threw ${describeThrown(thrown)}`;
      failures.last = { thrown, message };
      let details = {};
      if (conflict) {
        try {
          const d = JSON.parse(JSON.stringify(thrown.details === undefined ? {} : thrown.details));
          if (d !== null && typeof d === 'object' && !Array.isArray(d)) details = d;
        } catch {
          // details JSON cannot carry: left out
        }
      }
      return JSON.stringify({ threw: { conflict, message, details } });
    }
    try {
      return JSON.stringify({ ok: answer });
    } catch (e) {
      const why = `the JS repository's \`${method}\` returned a value JSON cannot carry: ${e && e.message}`;
      return JSON.stringify({ unreadable: why });
    }
  };
}

/** Throws unless `repository` is a built-in or has the three methods. */
function checkRepository(repository, path) {
  if (builtinOf(repository)) return;
  const missing =
    repository !== null && (typeof repository === 'object' || typeof repository === 'function')
      ? ['get', 'list', 'commit'].filter((m) => typeof repository[m] !== 'function')
      : ['get', 'list', 'commit'];
  if (missing.length === 0) return;
  throw invalidArgument(
    path,
    'invalid_type',
    'a repository is a MemoryRepository, a SqliteRepository or an object with get(collection, id), ' +
      `list(collection, query) and commit(writes) methods; this one has no ${missing.join(', ')}`,
  );
}

/** The native side of `repository`: its built-in store, or a bridge reporting into `failures`. */
function nativeStore(repository, failures) {
  return builtinOf(repository) || hostBridge(repository, failures);
}

/** Decodes a native answer; an error that came from the store gets the store's exception as `cause`. */
function decodeWithCause(run, failures) {
  try {
    return invoke(run);
  } catch (e) {
    const f = failures.last;
    if (f && e instanceof CompcodeError && e.message.includes(f.message)) {
      Object.defineProperty(e, 'cause', { value: f.thrown, writable: true, configurable: true, enumerable: false });
    }
    throw e;
  }
}

/** `[ctx, ...positional]` for a method whose optional positional arguments come before `ctx`. */
function splitContext(args) {
  const a = Array.from(args);
  return [a.pop(), ...a];
}

/**
 * CompCode's workflows over a repository (SPEC §12–§17): reps, plans, assignments, quotas,
 * deal snapshots, calculation runs that reconcile the event ledger, statements (generate,
 * approve, revert), adjustments, true-ups, comments, exports and the audit log.
 *
 * `call(name, args, { actor, at })` runs any workflow by name; the methods are shortcuts, one
 * per workflow, whose last argument is always `{ actor, at }`: `actor` is a rep id whose role
 * is read from the store (null/undefined = the host itself, trusted like an admin), `at` the
 * date (`YYYY-MM-DD`) the workflow runs as of (compcode never reads the clock). Answers are
 * plain objects, decimals as strings. Each workflow commits its writes in one `commit`; a
 * conflict (a failed version check) makes it recompute and retry.
 */
class Orchestrator {
  #repository;
  #busy = false;

  constructor(repository) {
    requireNative('Orchestrator', 'orchestratorCall', 'orchestratorCallHost');
    checkRepository(repository, 'repository');
    this.#repository = repository;
  }

  /** The repository given when created. */
  get repository() {
    return this.#repository;
  }

  /** Runs the workflow `name` (one of `WORKFLOWS`) with `args` as `ctx.actor` on `ctx.at`. */
  call(name, args, ctx) {
    if (this.#busy) {
      throw internal(
        `re-entrant call of \`${name}\`: the repository called back into the Orchestrator that is calling it`,
      );
    }
    const { actor, at } = ctx !== null && typeof ctx === 'object' ? ctx : {};
    const { text, issues } = encode({ name, args, actor, at });
    const failures = { last: null };
    const store = nativeStore(this.#repository, failures);
    this.#busy = true;
    try {
      return decodeWithCause(
        () =>
          typeof store === 'function'
            ? native.orchestratorCallHost(store, text, issues)
            : native.orchestratorCall(store, text, issues),
        failures,
      );
    } finally {
      this.#busy = false;
    }
  }

  // --- settings, reps

  /** Stores the workspace settings (SPEC §1, §2, §4, §13). Admin only. */
  putSettings(settings, ctx) {
    this.call('put_settings', { settings }, ctx);
  }

  /**
   * Creates or replaces a rep (`{ id, name, email?, role?, managerId?, … }`). Admin only (or the host,
   * to bootstrap).
   */
  upsertRep(rep, ctx) {
    this.call('upsert_rep', { rep }, ctx);
  }

  // --- plans

  /**
   * Creates a plan (`{ planId?, name, effectiveStart, config }`); returns it with its first version
   * `<planId>:v1`. Admin only.
   */
  createPlan(plan, ctx) {
    return this.call('create_plan', { plan }, ctx);
  }

  /**
   * Adds a plan version (`{ config, effectiveStart?, changeMessage?, name? }`); returns the plan.
   * Admin only.
   */
  updatePlan(planId, body, ctx) {
    return this.call('update_plan', { planId, body }, ctx);
  }

  /** A plan's versions, oldest first. Admin only. */
  planHistory(planId, ctx) {
    return this.call('plan_history', { planId }, ctx);
  }

  /** Archives a plan (it pays nothing until reactivated). Admin only. */
  archivePlan(planId, ctx) {
    this.call('archive_plan', { planId }, ctx);
  }

  /** Reactivates an archived plan. Admin only. */
  reactivatePlan(planId, ctx) {
    this.call('reactivate_plan', { planId }, ctx);
  }

  /** Deletes a plan; `CONFLICT` while reps are assigned to it. Admin only. */
  deletePlan(planId, ctx) {
    this.call('delete_plan', { planId }, ctx);
  }

  // --- assignments, quotas, overrides, import

  /** Assigns reps to a plan (`{ repIds, planId, effectiveStart, effectiveEnd? }`). Admin only. */
  assign(body, ctx) {
    this.call('assign', { body }, ctx);
  }

  /** Removes a rep's assignments to a plan; returns how many. Admin only. */
  unassign(repId, planId, ctx) {
    return this.call('unassign', { repId, planId }, ctx);
  }

  /** Sets quotas (`{ repIds, planRuleId | measure, period, target, prorate?, … }`). Admin only. */
  setQuota(body, ctx) {
    this.call('set_quota', { body }, ctx);
  }

  /** Deletes a rep's quota for a rule reference and a period; returns how many. Admin only. */
  deleteQuota(repId, rule, period, ctx) {
    return this.call('delete_quota', { repId, rule, period }, ctx);
  }

  /** Sets a per-rep tier override (`{ planVersionId, repId, ruleName, tiers }`). Admin only. */
  setOverride(body, ctx) {
    this.call('set_override', { body }, ctx);
  }

  /** Deletes a per-rep tier override. Admin only. */
  deleteOverride(planVersionId, repId, ruleName, ctx) {
    this.call('delete_override', { planVersionId, repId, ruleName }, ctx);
  }

  /**
   * Imports a whole calculation document (settings, reps, plans, assignments, quotas, overrides,
   * deals): validated first, nothing written when it has a problem; then recalculates
   * everything as of `at`. Admin only. (The workflow `import`.)
   */
  importDocument(document, ctx) {
    return this.call('import', { document }, ctx);
  }

  // --- deals and runs

  /**
   * A CRM snapshot arrived: stores it and recalculates what it touches. Lines of approved periods are
   * held (`statementLocked`).
   */
  upsertDeal(deal, ctx) {
    return this.call('upsert_deal', { deal }, ctx);
  }

  /** The CRM deleted the deal: reverses its events and soft-deletes the snapshot. */
  deleteDeal(dealId, ctx) {
    return this.call('delete_deal', { dealId }, ctx);
  }

  /** Reverses a deal by hand (audited as `manual_reverse`). Admin only. */
  reverseDeal(dealId, ctx) {
    return this.call('reverse_deal', { dealId }, ctx);
  }

  /**
   * `recalculate([planId], ctx)`: recalculates everything (or one plan's lines) and reconciles the
   * ledger. Admin only.
   */
  recalculate(...args) {
    const [ctx, planId] = splitContext(args);
    return this.call('recalculate', { planId }, ctx);
  }

  /**
   * `simulate([scope], [options], ctx)`: simulates on the stored state (`scope`: `{ planId?, period?,
   * repIds? }`); writes nothing. Admin only.
   */
  simulate(...args) {
    const [ctx, scope, options] = splitContext(args);
    return this.call('simulate', { scope, options }, ctx);
  }

  /**
   * `events([repId], [period], ctx)`: stored events. Reps read their own, managers their team's,
   * admins all.
   */
  events(...args) {
    const [ctx, repId, period] = splitContext(args);
    return this.call('events', { repId, period }, ctx);
  }

  /** The history rows of one event key, oldest first. */
  eventHistory(key, ctx) {
    return this.call('event_history', { key }, ctx);
  }

  /** Marks lines paid (SPEC §18.11); returns how many. Admin only. */
  markPaid(keys, ctx) {
    return this.call('mark_paid', { keys }, ctx);
  }

  // --- statements

  /**
   * Generates (or returns the unchanged current) statement version. A manager above the rep or an
   * admin; `statement_locked` once approved.
   */
  generateStatement(repId, period, ctx) {
    return this.call('generate_statement', { repId, period }, ctx);
  }

  /** A statement with every version generated. */
  getStatement(repId, period, ctx) {
    return this.call('get_statement', { repId, period }, ctx);
  }

  /** Approves a statement: the period locks and its lines become APPROVED. */
  approveStatement(repId, period, ctx) {
    return this.call('approve_statement', { repId, period }, ctx);
  }

  /** Reverts an approved statement to draft (its lines go back to PENDING). */
  revertStatement(repId, period, ctx) {
    return this.call('revert_statement', { repId, period }, ctx);
  }

  /**
   * A manual adjustment (`amount` a decimal string or number; negative = a deduction) with a reason;
   * `statement_locked` once approved. Admin only.
   */
  adjust(repId, period, amount, reason, ctx) {
    return this.call('adjust', { repId, period, amount, reason }, ctx);
  }

  /**
   * Turns the changes held on an approved period into true-up lines in the next open period; above the
   * threshold it `requires_approval`.
   */
  trueUp(repId, period, ctx) {
    return this.call('true_up', { repId, period }, ctx);
  }

  /** Approves or rejects a true-up that `requires_approval`; returns the stored call. */
  decideTrueUp(id, approve, ctx) {
    return this.call('decide_true_up', { id, approve }, ctx);
  }

  /**
   * `addComment(repId, period, text, [lineKey], ctx)`: comments on a statement (or one of its lines);
   * returns the comment.
   */
  addComment(repId, period, text, ...rest) {
    const [ctx, lineKey] = splitContext(rest);
    return this.call('add_comment', { repId, period, text, lineKey }, ctx);
  }

  /** The comments on a statement, oldest first. */
  comments(repId, period, ctx) {
    return this.call('comments', { repId, period }, ctx);
  }

  /** Deletes a comment (its author or an admin). */
  deleteComment(id, ctx) {
    this.call('delete_comment', { id }, ctx);
  }

  /**
   * `exportStatement(repId, period, [format], ctx)`: the statement's lines for payroll as CSV
   * (default) or JSON text.
   */
  exportStatement(repId, period, ...rest) {
    const [ctx, format] = splitContext(rest);
    return this.call('export_statement', { repId, period, format }, ctx);
  }

  // --- audit, state

  /** `auditLog([action], ctx)`: the audit log, oldest first, optionally one action only. Admin only. */
  auditLog(...args) {
    const [ctx, action] = splitContext(args);
    return this.call('audit_log', { action }, ctx);
  }

  /** The stored state as a calculation document as of `at`. Admin only. */
  stateDocument(ctx) {
    return this.call('state_document', {}, ctx);
  }

  // --- Spark: sales, payroll batches, clawbacks, summaries, goals (SPEC §9, §14)

  /**
   * `cancelSale(dealId, [{reason, cancelledAt}], ctx)`: unpaid allocations are reversed, paid ones
   * clawed back (respecting `clawbackWindowDays`).
   */
  cancelSale(dealId, ...rest) {
    const [ctx, opts] = splitContext(rest);
    return this.call('cancel_sale', { dealId, ...(opts || {}) }, ctx);
  }

  /** Recalculates one sale, keeping what is paid. */
  recalculateSale(dealId, ctx) {
    return this.call('recalculate_sale', { dealId }, ctx);
  }

  /** A sale with its allocations, overrides and clawbacks. */
  sale(dealId, ctx) {
    return this.call('sale', { dealId }, ctx);
  }

  /** Creates a DRAFT payroll batch (`{batchName, payPeriodEnd, payDate, projectTypeIds?, includeClawbacks?}`). Admin only. */
  createBatch(batch, ctx) {
    return this.call('create_batch', { batch }, ctx);
  }

  /** A payroll batch with its payouts and lines. Admin only. */
  getBatch(batchId, ctx) {
    return this.call('get_batch', { batchId }, ctx);
  }

  /** `listBatches([filters], ctx)`: batches by `status`, `startDate`, `endDate`. Admin only. */
  listBatches(...rest) {
    const [ctx, filters] = splitContext(rest);
    return this.call('list_batches', filters || {}, ctx);
  }

  /** DRAFT → SUBMITTED (any other move is CONFLICT). Admin only. */
  submitBatch(batchId, ctx) {
    return this.call('submit_batch', { batchId }, ctx);
  }

  /** SUBMITTED → APPROVED. Admin only. */
  approveBatch(batchId, ctx) {
    return this.call('approve_batch', { batchId }, ctx);
  }

  /** APPROVED → EXPORTED, with the batch's CSV. Admin only. */
  exportBatch(batchId, ctx) {
    return this.call('export_batch', { batchId }, ctx);
  }

  /** EXPORTED → PAID: every line becomes PAID; a negative net is carried forward. Admin only. */
  markBatchPaid(batchId, ctx) {
    return this.call('mark_batch_paid', { batchId }, ctx);
  }

  /** The batch's payroll CSV. Admin only. */
  batchCsv(batchId, ctx) {
    return this.call('batch_csv', { batchId }, ctx);
  }

  /** `clawbacks([filters], ctx)`: clawback lines by `userId`, `dealId`, `isProcessed`, dates. */
  clawbacks(...rest) {
    const [ctx, filters] = splitContext(rest);
    return this.call('clawbacks', filters || {}, ctx);
  }

  /** Marks one clawback processed. Admin only. */
  processClawback(id, ctx) {
    return this.call('process_clawback', { id }, ctx);
  }

  /** Marks several clawbacks processed, all or nothing. Admin only. */
  processClawbacks(ids, ctx) {
    return this.call('process_clawbacks', { ids }, ctx);
  }

  /** `allocationSummary([filters], ctx)`: totals by milestone, status, allocation type, and the grand total. */
  allocationSummary(...rest) {
    const [ctx, filters] = splitContext(rest);
    return this.call('allocation_summary', filters || {}, ctx);
  }

  /** Creates or replaces a goal (SPEC §18.26). Admin only. */
  setGoal(goal, ctx) {
    return this.call('set_goal', { goal }, ctx);
  }

  /** Deletes a goal. Admin only. */
  deleteGoal(goalId, ctx) {
    return this.call('delete_goal', { goalId }, ctx);
  }

  /** `goals([{userId, goalId}], ctx)`: goals with progress, days remaining and milestones achieved. */
  goals(...rest) {
    const [ctx, filters] = splitContext(rest);
    return this.call('goals', filters || {}, ctx);
  }

  // --- SPEC §19: CRM webhooks, read models, maintenance

  /** Takes a CRM webhook batch (`{ provider, events | payload, mapping, records?, objectId? }`), all or nothing. Admin or the host. */
  crmWebhook(batch, ctx) {
    return this.call('crm_webhook', batch, ctx);
  }

  /** `repDashboard(repId, [period], ctx)`: totalEarnings, dealsClosed, attainment and the per-plan deal breakdown. */
  repDashboard(repId, ...rest) {
    const [ctx, period] = splitContext(rest);
    return this.call('rep_dashboard', period == null ? { repId } : { repId, period }, ctx);
  }

  /** `teamSummary([period], ctx)`: one row per rep of the team (managers) or workspace (admins). */
  teamSummary(...rest) {
    const [ctx, period] = splitContext(rest);
    return this.call('team_summary', period == null ? {} : { period }, ctx);
  }

  /** `commissionPeriods([repId], ctx)`: the periods with commission data the actor may read. */
  commissionPeriods(...rest) {
    const [ctx, repId] = splitContext(rest);
    return this.call('commission_periods', repId == null ? {} : { repId }, ctx);
  }

  /** `dealList([{ ownerRepId, stage, period }], ctx)`: deal snapshots, newest close date first. */
  dealList(...rest) {
    const [ctx, filters] = splitContext(rest);
    return this.call('deal_list', filters || {}, ctx);
  }

  /** Reverses live lines whose deal, plan or rule no longer exists (locked lines untouched). Admin only. */
  cleanup(ctx) {
    return this.call('cleanup', {}, ctx);
  }

  /** Wipes unlocked calculated lines and unreferenced deal snapshots. Admin only, audited. */
  reset(ctx) {
    return this.call('reset', {}, ctx);
  }
}

/**
 * Runs compcode's repository conformance suite (store basics, atomic commits, version
 * conflicts, and the operator recipes end to end through the orchestrator) on the repositories
 * `factory()` returns, a fresh empty one per check. Returns nothing when every check passes;
 * otherwise throws the CompcodeError of the first failing check, its message naming the check
 * (`conformance \`atomic commit\`: …`), with the store's own exception as `cause` when it threw
 * one. What `factory` throws (or a factory result that is not a repository) is thrown as is.
 */
function runConformance(factory) {
  requireNative('runConformance', 'runConformance');
  if (typeof factory !== 'function') {
    throw invalidArgument('factory', 'invalid_type', 'a function that returns a new, empty repository is required');
  }
  const failures = { last: null };
  let factoryError = null;
  const make = () => {
    if (factoryError) return null;
    failures.last = null;
    try {
      const repository = factory();
      checkRepository(repository, 'factory()');
      return nativeStore(repository, failures);
    } catch (e) {
      factoryError = { e };
      return null;
    }
  };
  let outcome;
  try {
    decodeWithCause(() => native.runConformance(make), failures);
  } catch (e) {
    outcome = e;
  }
  if (factoryError) throw factoryError.e;
  if (outcome) throw outcome;
}

module.exports = {
  simulate,
  validate,
  run,
  templates,
  analyzePlan,
  diffPlans,
  CompcodeError,
  ERROR_CODES,
  Orchestrator,
  MemoryRepository,
  SqliteRepository,
  runConformance,
  WORKFLOWS,
};
// Not part of the API: lets the test suite check that a panic in Rust becomes INTERNAL_ERROR.
Object.defineProperty(module.exports, '_panicForTests', {
  value: (message) => call(native.panicForTests, String(message)),
  enumerable: false,
});

// Types of the npm package `compcode` (the Node.js binding of compcode).
//
// Written by hand from the Rust definitions and checked against them by
// test/types.test.js: every spec fixture's output must have exactly the keys and value types
// declared here, every input interface must list exactly the keys the engine's reader knows,
// and `ErrorCode` must be the engine's code list.

// ---- values ---------------------------------------------------------------------------------

/**
 * A decimal in the input: a string (`"0.08"`, `"1e3"`) or a finite JS number, read from its
 * shortest round-trip text (`0.08` is exactly `"0.08"`). NaN and ±Infinity are refused.
 * Output decimals are always strings.
 */
export type DecimalInput = string | number;

/** An id: a string, or an integer (used as its text). */
export type Id = string | number;

/** A date, `YYYY-MM-DD`. */
export type DateString = string;

/** A period: `YYYY-MM`, `YYYY-QN` or `YYYY`. */
export type PeriodString = string;

/** Any JSON value. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

// ---- the input: a calculation document (SPEC §0.1) ------------------------------------------

/** Everything a calculation needs. Optional fields may also be `null` (the same as absent). */
export interface CalcDocument {
  /** The evaluation date: periods that end after it are open. */
  asOf: DateString;
  settings?: Settings | null;
  reps: Rep[];
  plans: Plan[];
  assignments?: Assignment[] | null;
  quotas?: Quota[] | null;
  repOverrides?: RepOverride[] | null;
  deals: Deal[];
  scope?: Scope | null;
  options?: Options | null;
  /** The saved CRM field mapping `{slug: crmProperty}` (SPEC §19): with it, `validate` warns
   * (`unknown_field`) about rule measures and condition fields outside its slugs. */
  fieldMapping?: { [slug: string]: string } | null;
  /** SPEC §20: draws (recoverable) and guarantees. */
  draws?: Draw[] | null;
  /** SPEC §20: FX rates, `1 from = rate to` from `effectiveDate` on. */
  fxRates?: FxRate[] | null;
}

/** A draw or guarantee (SPEC §20). */
export interface Draw {
  repId: Id;
  amountPerPeriod: DecimalInput;
  periodFrom: string;
  periodTo: string;
  /** `true`: a draw, recovered later; `false`: a guarantee. */
  recoverable: boolean;
  /** Default: the period after the first draw. */
  recoveryStart?: string | null;
  /** 0–100 (default 100). */
  maxRecoveryPercent?: DecimalInput | null;
}

/** An FX rate (SPEC §20). Currency codes are 3 uppercase letters. */
export interface FxRate {
  from: string;
  to: string;
  /** > 0. */
  rate: DecimalInput;
  effectiveDate: DateString;
}

/** When an installment of a payout schedule is released (SPEC §20). */
export type PayoutRelease = 'credit' | { field: string } | { daysAfterCredit: number };

/** One installment of a rule's `payoutSchedule`; percents add up to 100. */
export interface PayoutInstallment {
  percent: DecimalInput;
  release: PayoutRelease;
}

export type Rounding = 'half_away_from_zero' | 'half_even' | 'down' | 'up';

/** What `put_settings` stores: the settings plus the SPEC §20 document fields the ledger uses. */
export type WorkspaceSettings = Settings & { draws?: Draw[] | null; fxRates?: FxRate[] | null };

export interface Settings {
  /** Decimals of money amounts, 0–10 (default 2). */
  currencyPrecision?: number | null;
  rounding?: Rounding | null;
  /** 1–12 (default 1). */
  fiscalYearStartMonth?: number | null;
  /** Deal stages that count as won (default: `closed_won`, `won`, …). */
  wonStages?: string[] | null;
  trueUpApprovalThreshold?: DecimalInput | null;
  /** SPEC §20: the currency of plan versions that name none (default USD). */
  reportingCurrency?: string | null;
}

export interface Rep {
  id: Id;
  name?: string | null;
  email?: string | null;
  crmIds?: Array<string | number> | null;
  managerId?: Id | null;
  role?: 'admin' | 'manager' | 'rep' | null;
  active?: boolean | null;
}

/** A plan with its versions, or CompCode's one-version ("flat") plan body. */
export type Plan = VersionedPlan | FlatPlan;

export interface VersionedPlan {
  planId: Id;
  name?: string | null;
  versions: PlanVersion[];
}

export type PlanStatus = 'active' | 'archived';

export interface PlanVersion {
  planVersionId: Id;
  version?: number | null;
  effectiveStart: DateString;
  effectiveEnd?: DateString | null;
  status?: PlanStatus | null;
  changeMessage?: string | null;
  config: PlanConfig;
  /** SPEC §20: the payout currency (default `settings.reportingCurrency`). */
  currency?: string | null;
}

/** CompCode's `POST /api/plans` body: a plan with one version (`<planId>:v1`). */
export interface FlatPlan {
  planId?: Id | null;
  id?: Id | null;
  name: string;
  effectiveStart: DateString;
  effectiveEnd?: DateString | null;
  status?: PlanStatus | null;
  version?: number | null;
  changeMessage?: string | null;
  config: PlanConfig;
  description?: string | null;
  /** SPEC §20: the payout currency (default `settings.reportingCurrency`). */
  currency?: string | null;
}

export interface PlanConfig {
  /** Plan-level conditions: a deal must pass them for any rule of the plan. */
  conditions?: Condition[] | null;
  rules: Rule[];
}

export type ExecutionPhase = 'per_deal' | 'periodic' | 'cascade';

export interface Rule {
  id?: Id | null;
  name: string;
  /** `closed_won_revenue`, `closed_won_count`, … or a deal field name. */
  measure: string;
  executionPhase?: ExecutionPhase | null;
  attainmentPeriod?: 'monthly' | 'quarterly' | 'annual' | null;
  tierBy?: 'attainment' | 'value' | 'cumulative_value' | null;
  tierMode?: 'full_rate' | 'marginal' | 'interpolated' | null;
  retroactive?: boolean | null;
  /** `measure` (default), `1`, `variable_target` or a deal field name. */
  payoutBase?: string | 1 | null;
  /** Cascade: the rule name (or `_total`) whose commission is the base. */
  dependsOn?: string | null;
  cascadeBase?: 'commission' | 'measure' | null;
  /** Cascade: how many managers up, 1–64. */
  level?: number | null;
  floorAttainment?: DecimalInput | null;
  capMultiplier?: DecimalInput | null;
  minAmount?: DecimalInput | null;
  maxAmount?: DecimalInput | null;
  periodCap?: DecimalInput | null;
  requireWon?: boolean | null;
  creditDateField?: string | null;
  conditions?: Condition[] | null;
  /** Required unless `rateTable` is given. */
  tiers?: Tier[] | null;
  /** Spark rate table (SPEC §9): rates by specificity instead of tiers. */
  rateTable?: RateTableRow[] | null;
  /** Milestone payments of a rate-table rule (SPEC §9, §18.8). */
  milestones?: Milestone[] | null;
  /** Days after payment during which a cancellation claws back (SPEC §18.10). */
  clawbackWindowDays?: number | null;
  /** Spark overrides: the participant roles that feed the manager chain (SPEC §18.9). */
  sourceRoles?: (string | number)[] | null;
  /** SPEC §20: split each payout into installments (holdbacks). */
  payoutSchedule?: PayoutInstallment[] | null;
}

/** A rate-table row: keys (`userId`, `roleId`, `installerId`, `stateCode`, `projectTypeId`),
 * `effectiveStartDate`, `effectiveEndDate?`, and `percentMpN` / `flatMpN` per milestone. */
export interface RateTableRow {
  [key: string]: JsonValue;
}

/** A milestone payment: paid once its condition on the sale holds. */
export interface Milestone {
  number: number;
  name?: string | null;
  when?: Condition[] | null;
  /** The field that dates the payment (default: the credit date). */
  dateField?: string | null;
}

export interface Tier {
  /** Default: the tier's position. */
  tierIndex?: number | null;
  name?: string | null;
  minThreshold: DecimalInput;
  /** Only on the last tier. */
  maxThreshold?: DecimalInput | null;
  /** Exactly one of `rate` and `flatAmount`. */
  rate?: DecimalInput | null;
  flatAmount?: DecimalInput | null;
}

export type FieldType = 'text' | 'number' | 'currency' | 'date' | 'select' | 'status' | 'checkbox' | 'timestamp';

export type ConditionOperator =
  | 'equals'
  | 'not_equals'
  | 'eq'
  | 'ne'
  | 'contains'
  | 'not_contains'
  | 'starts_with'
  | 'ends_with'
  | 'in'
  | 'not_in'
  | 'gt'
  | 'gte'
  | 'lt'
  | 'lte'
  | 'between'
  | 'before'
  | 'after'
  | 'in_period'
  | 'in_last_n_days'
  | 'is_set'
  | 'is_not_set'
  | 'is_true'
  | 'is_false';

export type Condition = ConditionLeaf | ConditionGroup;

/** A test on one deal field. */
export interface ConditionLeaf {
  field: string;
  fieldType?: FieldType | null;
  operator: ConditionOperator;
  /** The operand; its shape depends on the operator (a list for `in`, two values for `between`). */
  value?: JsonValue;
}

/** `and` / `or` over nested conditions (32 levels at most). */
export interface ConditionGroup {
  operator: 'and' | 'or';
  rules: Condition[];
}

export interface Assignment {
  repId: Id;
  planId: Id;
  effectiveStart?: DateString | null;
  effectiveEnd?: DateString | null;
}

/** A quota names its rule by exactly one of `planRuleId`, `ruleName` (with `planId`) or `measure`. */
export interface Quota {
  repId: Id;
  planId?: Id | null;
  ruleName?: string | null;
  planRuleId?: Id | null;
  measure?: string | null;
  period: PeriodString;
  target: DecimalInput;
  variableTarget?: DecimalInput | null;
  prorate?: boolean | null;
}

/** A rep's own tiers for one rule of one plan version. */
export interface RepOverride {
  planVersionId: Id;
  repId: Id;
  ruleName: string;
  tiers: Tier[];
}

/** A deal snapshot. */
export interface Deal {
  id: Id;
  name?: string | null;
  stage?: string | null;
  amount?: DecimalInput | null;
  closeDate?: DateString | null;
  currency?: string | null;
  ownerRepId?: Id | null;
  ownerCrmId?: Id | null;
  ownerEmail?: string | null;
  /** Custom fields, read by conditions, measures and payout bases. */
  fields?: { [field: string]: JsonValue } | null;
  /** Split credit; without it the owner gets 100 %. */
  credits?: Credit[] | null;
  deleted?: boolean | null;
  status?: string | null;
}

export interface Credit {
  repId: Id;
  /** Required unless `role` is given. */
  splitPercent?: DecimalInput | null;
  role?: string | number | null;
}

export interface Scope {
  planId?: Id | null;
  /** `all` (default) or a period string. */
  period?: PeriodString | null;
  repIds?: string[] | null;
}

export interface Options {
  /** Pay periodic lines of periods still open on `asOf` (marked `provisional`). */
  includeOpenPeriods?: boolean | null;
  /** Explanation steps on every line (default true). */
  trace?: boolean | null;
}

// ---- the output ----------------------------------------------------------------------------

/** The answer of `simulate`. Money is a string with exactly `currencyPrecision` decimals. */
export interface SimulateResult {
  mode: 'simulate';
  asOf: DateString;
  /** `all` or the scope period. */
  period: string;
  /** Deal snapshots considered (deleted ones excluded). */
  totalDeals: number;
  /** Deals with at least one per_deal line. */
  eligibleDeals: number;
  totalCommission: string;
  /** Reps with an assignment to a plan in scope. */
  assignedReps: number;
  events: SimulateEvent[];
  /** CompCode's per-deal view: one entry per (deal, credited rep). */
  results: DealResult[];
  quotas: QuotaStatus[];
  diagnostics: Diagnostic[];
  /** SPEC §20: one row per (draw, period) when the document has `draws`. */
  draws?: DrawPeriod[];
}

/** One period of a draw or guarantee (SPEC §20). Money is a string. */
export interface DrawPeriod {
  repId: string;
  /** Index of the draw in the document's `draws`. */
  draw: number;
  kind: 'draw' | 'guarantee';
  period: string;
  /** Earnings E without draw lines. */
  earnings: string;
  drawAmount: string;
  /** ≤ 0. */
  recovery: string;
  /** After the period; always "0.00" for a guarantee. */
  balance: string;
  net: string;
}

/** One explanation step: `{ step: "tier", ... }`. */
export interface TraceStep {
  step: string;
  [key: string]: JsonValue;
}

/** One payout line. */
export interface SimulateEvent {
  /** Null for periodic and cascade lines. */
  dealId: string | null;
  repId: string;
  planId: string;
  planVersionId: string;
  ruleName: string;
  executionPhase: ExecutionPhase;
  period: PeriodString;
  amount: string;
  /** Cascade: the rep whose results fed it. */
  sourceRepId: string | null;
  tierName: string | null;
  rateApplied: string | null;
  attainment: string | null;
  /** What the rate multiplied. */
  base: string | null;
  creditedValue: string | null;
  /** Why a line pays zero or less than its tier would. */
  reason: 'below_first_tier' | 'below_floor' | 'period_cap' | null;
  /** A periodic line of an open period. */
  provisional: boolean;
  milestone: number | null;
  role: string | null;
  /** The compact JSON array of the line's key parts. */
  idempotencyKey: string;
  /** Empty when `options.trace` is false. */
  trace: TraceStep[];
  /** SPEC §20: the line's (plan version's) currency when the document uses FX. */
  currency?: string;
  /** SPEC §20: the installment of a payout schedule this line is. */
  installment?: { index: number; of: number; percent: string; releaseDate: DateString | null };
  /** SPEC §20: an installment not released yet (not payable). */
  held?: boolean;
}

export interface DealResult {
  dealId: string;
  dealName: string | null;
  dealAmount: string | null;
  dealStage: string | null;
  repId: string;
  repName: string;
  period: PeriodString | null;
  /** At least one rule paid a line. */
  eligible: boolean;
  commissionTotal: string;
  ruleBreakdown: RuleBreakdown[];
}

export interface RuleBreakdown {
  ruleName: string;
  planId: string | null;
  /** Null when the rule skipped the deal. */
  amount: string | null;
  tierName: string | null;
  rateApplied: string | null;
  attainment: string | null;
  rulePeriod: PeriodString | null;
  skipped: boolean;
  /** A skip reason (a diagnostic code) or a zero-pay reason. */
  reason: string | null;
  trace: TraceStep[];
}

export interface QuotaStatus {
  repId: string;
  planId: string;
  ruleName: string;
  period: PeriodString;
  /** After proration. */
  target: string;
  variableTarget: string | null;
  currentValue: string;
  /** currentValue / target. */
  attainment: string;
}

export type DiagnosticCode =
  | 'rep_not_assigned'
  | 'ghost_owner'
  | 'quota_missing'
  | 'below_floor'
  | 'condition_failed'
  | 'not_won'
  | 'future_credit_date'
  | 'measure_missing'
  | 'credit_date_missing'
  | 'no_matching_plan'
  | 'payout_base_missing'
  | 'deleted'
  | 'condition_value_unreadable'
  | 'variable_target_missing'
  | 'formula_missing_field'
  | 'formula_division_by_zero'
  | 'arithmetic_overflow'
  | 'no_rate'
  /** SPEC §20: a deal in another currency with no FX rate in force on its credit date. */
  | 'fx_rate_missing';

/** A skip and its reason; fields that do not apply are null. */
export interface Diagnostic {
  code: DiagnosticCode;
  dealId: string | null;
  repId: string | null;
  planId: string | null;
  ruleName: string | null;
  period: string | null;
  message: string;
}

/** The answer of `validate`. */
export interface ValidateResult {
  valid: boolean;
  errors: ValidationIssue[];
  /** Advice that keeps the document valid (`unknown_field`, SPEC §19); absent when none. */
  warnings?: ValidationIssue[];
}

export type IssueCode =
  | 'invalid_json'
  | 'required'
  | 'unknown_field'
  | 'invalid_type'
  | 'invalid_value'
  | 'invalid_decimal'
  | 'invalid_date'
  | 'invalid_period'
  | 'duplicate'
  | 'tiers_not_increasing'
  | 'invalid_tier'
  | 'manager_cycle'
  | 'unknown_reference'
  | 'split_over_100'
  | 'invalid_operator'
  | 'invalid_condition_value'
  | 'out_of_range'
  | 'formula_syntax'
  | 'formula_too_complex'
  | 'formula_missing_field'
  | 'formula_division_by_zero'
  | 'arithmetic_overflow'
  | 'too_large';

/** One problem of the input. */
export interface ValidationIssue {
  /** `plans[0].versions[0].config.rules[0].tiers[1].minThreshold`; `""` is the document. */
  path: string;
  code: IssueCode;
  message: string;
  /** For `unknown_field`: the closest known key. */
  suggestion?: string;
}

// ---- errors --------------------------------------------------------------------------------

/** The stable error codes (SPEC §16): generic ones upper-case, domain ones snake_case. */
export type ErrorCode =
  | 'VALIDATION_FAILED'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'INTERNAL_ERROR'
  | 'plan_rule_not_found'
  | 'statement_locked'
  | 'rep_not_found'
  | 'duplicate_idempotency_key'
  | 'period_mismatch'
  | 'quota_ambiguous_measure'
  | 'forbidden'
  | 'formula_syntax'
  | 'formula_missing_field'
  | 'formula_division_by_zero'
  | 'formula_too_complex'
  | 'arithmetic_overflow';

/** `errors` for `VALIDATION_FAILED`; other codes carry their own keys (`path`, `candidates`, …). */
export interface ErrorDetails {
  errors?: ValidationIssue[];
  [key: string]: unknown;
}

/**
 * The error every function of this package throws. A repository reports a lost race (a failed
 * version check) by throwing one with code `CONFLICT`:
 * `new CompcodeError(message, 'CONFLICT', 409, { collection, id })`.
 */
export class CompcodeError extends Error {
  constructor(message: string, code: ErrorCode, status?: number, details?: ErrorDetails);
  readonly name: 'CompcodeError';
  readonly code: ErrorCode;
  /** HTTP-style: 400, 404, 409, 422, 500, … */
  readonly status: number;
  readonly details: ErrorDetails;
  /** For an error that came from a repository of yours: what its method threw. */
  cause?: unknown;
}

/** Every `ErrorCode`, in the engine's order. */
export const ERROR_CODES: readonly ErrorCode[];

// ---- functions -----------------------------------------------------------------------------

/** Simulates a calculation document: every payout line, the per-deal view, quota progress and diagnostics. Writes nothing. */
export function simulate(doc: CalcDocument): SimulateResult;

/** Checks a calculation document without calculating and lists every problem with its path. */
export function validate(doc: CalcDocument | object): ValidateResult;

/** Runs an operation by name (`simulate`, `validate`); an unknown name throws `NOT_FOUND`. */
export function run(operation: 'simulate', input: CalcDocument): SimulateResult;
export function run(operation: 'validate', input: CalcDocument | object): ValidateResult;
export function run(operation: 'templates', input: { product?: TemplateProduct | null } | null): TemplatesResult;
export function run(operation: 'analyze_plan', input: { plan: Plan; context?: AnalysisContext | null }): PlanAnalysis;
export function run(operation: 'diff_plans', input: { document: CalcDocument; versionA: string; versionB: string; planId?: string | null; top?: number | null }): PlanDiff;
export function run(operation: string, input: unknown): unknown;

/** The starter plan templates (SPEC §19), optionally of one product. */
export function templates(filter?: { product?: TemplateProduct | null }): TemplatesResult;

/** Analyzes a plan: findings with paths into the input, and a calibration table (SPEC §19). */
export function analyzePlan(plan: Plan, context?: AnalysisContext | null): PlanAnalysis;

/** Simulates the document under two versions of one plan (ids, or dates of the version in force in `options.planId`) and compares (SPEC §19). */
export function diffPlans(document: CalcDocument, versionA: string, versionB: string, options?: { top?: number; planId?: string }): PlanDiff;

// ---- templates, plan analysis, plan diff (SPEC §19) ----------------------------------------

export type TemplateProduct = 'compcode' | 'spark' | 'commissionflow';

export interface TemplatesResult {
  templates: PlanTemplate[];
}

/** A starter plan: valid as it stands, in the flat shape a calculation document takes. */
export interface PlanTemplate {
  id: string;
  name: string;
  description: string;
  product: TemplateProduct;
  plan: FlatPlan;
}

/** The context of `analyzePlan`: a calculation document without plans, plus the analysis keys. */
export interface AnalysisContext {
  asOf?: DateString | null;
  settings?: Settings | null;
  reps?: Rep[] | null;
  assignments?: Assignment[] | null;
  quotas?: Quota[] | null;
  deals?: Deal[] | null;
  /** The host's saved field mapping `{slug: crmProperty}` (for `unknown_field`). */
  fieldMapping?: { [slug: string]: JsonValue } | null;
  /** The calibration's quota (default: the first context quota's target, else 1,000,000). */
  referenceQuota?: DecimalInput | null;
  referenceVariableTarget?: DecimalInput | null;
  /** What the calibration's synthesized deals carry. */
  calibrationDeal?: { stage?: string | null; status?: string | null; currency?: string | null; fields?: { [field: string]: JsonValue } | null } | null;
}

export type FindingCode =
  | 'uncapped_accelerator'
  | 'tier_gap'
  | 'unreachable_tier'
  | 'decelerator'
  | 'missing_quota'
  | 'rule_never_fires'
  | 'condition_never_matches'
  | 'cascade_without_manager'
  | 'unknown_field';

export interface Finding {
  code: FindingCode;
  severity: 'error' | 'warning' | 'info';
  /** Where in the input: `plan.config.rules[0].tiers[2].rate`, `context.assignments[1]`. */
  path: string;
  message: string;
}

export interface PlanAnalysis {
  planId: string;
  findings: Finding[];
  /** Null when the plan has no active version. */
  calibration: Calibration | null;
  summary: { errors: number; warnings: number; infos: number };
}

/** One rep reaching each attainment with `attainment × 4` deals of `dealSize` (a quarter of the reference quota). */
export interface Calibration {
  planVersionId: string;
  referenceQuota: string;
  variableTarget: string | null;
  dealSize: string;
  creditDate: DateString;
  rows: CalibrationRow[];
}

export interface CalibrationRow {
  attainment: string;
  deals: number;
  revenue: string;
  /** Money: the rep's rounded lines. */
  payout: string;
  /** payout / revenue to 4 decimals. */
  effectiveRate: string | null;
}

/** Old (versionA), new (versionB) and delta, as money strings. */
export interface PayoutChange {
  old: string;
  new: string;
  delta: string;
}

export interface PlanDiff {
  planId: string;
  versionA: string;
  versionB: string;
  total: PayoutChange;
  /** Every rep with a line in either run, in document order. */
  reps: RepPayoutChange[];
  /** The most changed deals, by |delta| then deal id. */
  deals: DealPayoutChange[];
  /** How many deals changed in all. */
  changedDeals: number;
}

export interface RepPayoutChange {
  repId: string;
  repName: string;
  old: string;
  new: string;
  delta: string;
}

export interface DealPayoutChange {
  /** 1 = the most changed. */
  rank: number;
  dealId: string;
  dealName: string | null;
  old: string;
  new: string;
  delta: string;
}

// ---- the orchestrator: workflows over a repository (SPEC §12–§17) ---------------------------

/** The collections compcode stores. */
export type CollectionName =
  | 'settings'
  | 'reps'
  | 'plans'
  | 'assignments'
  | 'quotas'
  | 'overrides'
  | 'deals'
  | 'events'
  | 'history'
  | 'statements'
  | 'adjustments'
  | 'true_ups'
  | 'comments'
  | 'audit'
  | 'batches'
  | 'goals';

/** One stored record: an id, the indexed attributes, a version and the JSON document. */
export interface StoredRecord {
  /** Unique within the collection. */
  id: string;
  /** Indexed: the rep the record belongs to. */
  repId: string | null;
  /** Indexed: the period. */
  period: string | null;
  /** Indexed: the deal. */
  dealId: string | null;
  /** Set by the store on every put: the stored version + 1 (1 for a new record). */
  version: number;
  /** The document (decimals in it are strings; numbers are the JS numbers you passed). */
  doc: JsonValue;
}

/** A filter on the indexed attributes: every non-null one must match. */
export interface RecordQuery {
  repId: string | null;
  period: string | null;
  dealId: string | null;
}

/** Insert or replace a record. */
export interface PutWrite {
  op: 'put';
  collection: CollectionName;
  /** Its `version` is 0 and ignored: the store sets the new version. */
  record: StoredRecord;
  /** 0 = must not exist, n = must be at version n, null = unconditional. A mismatch: throw a `CONFLICT`. */
  expectedVersion: number | null;
}

/** Remove a record (a missing one is not an error). */
export interface DeleteWrite {
  op: 'delete';
  collection: CollectionName;
  id: string;
}

export type Write = PutWrite | DeleteWrite;

/**
 * Your own database, for `new Orchestrator(repository)`: three synchronous methods, called
 * while a workflow runs. Check an implementation with `runConformance(() => new MyStore())`.
 */
export interface Repository {
  /** The record, or null (or undefined) when there is none. */
  get(collection: CollectionName, id: string): StoredRecord | null | undefined;
  /** The records matching `query`, ordered by id (compcode re-filters and sorts what you return). */
  list(collection: CollectionName, query: RecordQuery): StoredRecord[];
  /**
   * Applies every write or none, in one transaction. A failed `expectedVersion` check: throw
   * `new CompcodeError(message, 'CONFLICT', 409)` (the orchestrator recomputes and retries).
   * Anything else thrown fails the workflow with `INTERNAL_ERROR` naming the method.
   */
  commit(writes: Write[]): void;
}

/** An in-memory repository (tests, previews). Orchestrators given the same object share its records. */
export class MemoryRepository implements Repository {
  constructor();
  get(collection: CollectionName, id: string): StoredRecord | null;
  list(collection: CollectionName, query?: Partial<RecordQuery> | null): StoredRecord[];
  commit(writes: Write[]): void;
}

/**
 * compcode's SQLite store (compiled in): a database file, created and migrated on open;
 * `':memory:'` for a private one.
 */
export class SqliteRepository implements Repository {
  constructor(path: string);
  /** The database path given when opening. */
  readonly path: string;
  get(collection: CollectionName, id: string): StoredRecord | null;
  list(collection: CollectionName, query?: Partial<RecordQuery> | null): StoredRecord[];
  commit(writes: Write[]): void;
}

/** Who acts and when: the last argument of every workflow. */
export interface CallContext {
  /** A rep id whose role is read from the store; null/undefined = the host itself (trusted like an admin). */
  actor?: string | null;
  /** The date the workflow runs as of, `YYYY-MM-DD` (compcode never reads the clock; a `Date` is refused). */
  at: DateString;
}

export type LineStatus = 'PENDING' | 'APPROVED' | 'PAID' | 'REVERSED';

export type RunOutcome = 'processed' | 'owner_changed' | 'deleted' | 'manual_reverse';

/** A stored payout line: the current state of one idempotency key. */
export interface LedgerEvent {
  /** The compact JSON array of the key parts. */
  idempotencyKey: string;
  dealId: string | null;
  repId: string;
  planId: string;
  planVersionId: string;
  ruleName: string;
  executionPhase: ExecutionPhase | 'true_up' | 'clawback';
  period: PeriodString;
  amount: string;
  tierName: string | null;
  rateApplied: string | null;
  attainment: string | null;
  base: string | null;
  milestone: number | null;
  sourceRepId: string | null;
  role: string | null;
  /** The line's date (a periodic or cascade line's last day). */
  creditDate: DateString;
  status: LineStatus;
  batchId: string | null;
  paidAt: string | null;
  /** Beside a locked key: what it would be now. */
  held: HeldResult | null;
  /** True-ups and clawbacks: the period corrected. */
  referencesPeriod: PeriodString | null;
  trueUpId: string | null;
  trace: TraceStep[];
  /** Override level (Spark overrides). */
  level?: number;
  /** Why the line exists (`cancellation`, `carry_forward`, …). */
  reason?: string;
  /** Currency of the line's deal. */
  currency?: string;
  /** The first run that found the line no longer computed (the cancellation date fallback). */
  goneSince?: string;
}

export interface HeldResult {
  /** The amount the key would have now (0 when no longer computed). */
  amount: string;
  event: LedgerEvent | null;
}

/** One key's change in a run. */
export interface LedgerChange {
  key: string;
  /** Null for a new key. */
  old: LedgerEvent | null;
  new: LedgerEvent;
}

export interface ChangeSet {
  written: LedgerChange[];
  updated: LedgerChange[];
  reversed: LedgerChange[];
  /** Unchanged keys. */
  noop: string[];
  /** Locked keys, with their held results. */
  locked: LedgerChange[];
  clawbacks: LedgerEvent[];
}

/** What a run did (the `orchestrator.ran` counters). */
export interface RunReport {
  outcome: RunOutcome;
  eventsWritten: number;
  eventsUpdated: number;
  eventsReversed: number;
  eventsNoop: number;
  eventsLocked: number;
  clawbacks: number;
  /** Any key was locked by an approved statement, a payment or a batch (held for a true-up). */
  statementLocked: boolean;
  /** Why the deal produced no line (`rep_not_assigned`, `ghost_owner`, …). */
  skipped: string[];
  changes: ChangeSet;
}

/** One mutation of an event. */
export interface HistoryRow {
  idempotencyKey: string;
  change: 'written' | 'updated' | 'reversed' | 'locked' | 'clawback' | 'status';
  outcome: RunOutcome;
  oldAmount: string | null;
  newAmount: string | null;
  at: DateString;
}

export interface StatementLine {
  kind: 'event' | 'adjustment' | 'true_up' | 'clawback' | 'held' | 'draw' | 'draw_recovery';
  /** The event key (or the adjustment id). */
  key: string;
  ruleName: string | null;
  dealId: string | null;
  dealName: string | null;
  tierName: string | null;
  rateApplied: string | null;
  amount: string;
  creditDate: DateString | null;
  referencesPeriod: PeriodString | null;
  currency: string | null;
  /** An adjustment's reason. */
  reason: string | null;
}

export interface StatementVersion {
  version: number;
  generatedAt: DateString;
  generatedBy: string;
  lines: StatementLine[];
  netPayout: string;
}

/** A rep's statement for one period, with every version generated. */
export interface Statement {
  repId: string;
  period: PeriodString;
  status: 'draft' | 'approved';
  /** Oldest first. */
  versions: StatementVersion[];
  approvedBy: string | null;
  approvedAt: DateString | null;
}

export interface TrueUpResult {
  /** Empty when there was nothing to true up. */
  id: string;
  repId: string;
  /** The locked period corrected. */
  referencesPeriod: PeriodString;
  /** Where the lines land. */
  period: PeriodString;
  status: 'approved' | 'requires_approval' | 'rejected' | 'none';
  total: string;
  lines: LedgerEvent[];
}

/** A stored true-up call (`decideTrueUp`'s answer). */
export interface TrueUpCall {
  id: string;
  repId: string;
  referencesPeriod: PeriodString;
  period: PeriodString;
  status: 'approved' | 'requires_approval' | 'rejected';
  total: string;
  /** The corrected event keys. */
  keys: string[];
  at: DateString;
}

export interface Adjustment {
  id: string;
  repId: string;
  period: PeriodString;
  amount: string;
  reason: string;
  actor: string;
  at: DateString;
}

export interface StatementComment {
  id: string;
  n: number;
  repId: string;
  period: PeriodString;
  lineKey: string | null;
  author: string;
  text: string;
  at: DateString;
}

/** A stored plan: its versions, oldest first. */
export interface StoredPlan {
  planId: string;
  name: string;
  archived: boolean;
  versions: StoredPlanVersion[];
}

export interface StoredPlanVersion {
  planVersionId: string;
  version: number;
  effectiveStart: DateString;
  effectiveEnd?: DateString | null;
  status: PlanStatus;
  changeMessage?: string | null;
  config: PlanConfig;
  /** SPEC §20: the payout currency (default `settings.reportingCurrency`). */
  currency?: string | null;
}

export interface AuditEntry {
  /** 1, 2, … in order. */
  seq: number;
  at: DateString;
  /** A rep id, or `system`. */
  actor: string;
  /** `rep.created`, `statement.approved`, `orchestrator.ran`, `orchestrator.skipped`, … */
  action: string;
  targetType: string;
  targetId: string;
  details: { [key: string]: JsonValue };
}

/** The answer of each workflow, by name. */
export interface WorkflowResults {
  put_settings: null;
  upsert_rep: null;
  create_plan: StoredPlan;
  update_plan: StoredPlan;
  plan_history: StoredPlanVersion[];
  archive_plan: null;
  reactivate_plan: null;
  delete_plan: null;
  assign: null;
  unassign: number;
  set_quota: null;
  delete_quota: number;
  set_override: null;
  delete_override: null;
  import: RunReport;
  upsert_deal: RunReport;
  delete_deal: RunReport;
  reverse_deal: RunReport;
  recalculate: RunReport;
  simulate: SimulateResult;
  events: LedgerEvent[];
  event_history: HistoryRow[];
  mark_paid: number;
  generate_statement: Statement;
  get_statement: Statement;
  approve_statement: Statement;
  revert_statement: Statement;
  adjust: Adjustment;
  true_up: TrueUpResult;
  decide_true_up: TrueUpCall;
  add_comment: StatementComment;
  comments: StatementComment[];
  delete_comment: null;
  export_statement: string;
  audit_log: AuditEntry[];
  state_document: CalcDocument;
  cancel_sale: RunReport;
  recalculate_sale: RunReport;
  sale: { [key: string]: JsonValue };
  create_batch: { [key: string]: JsonValue };
  get_batch: { [key: string]: JsonValue };
  list_batches: { [key: string]: JsonValue }[];
  submit_batch: { [key: string]: JsonValue };
  approve_batch: { [key: string]: JsonValue };
  export_batch: { [key: string]: JsonValue };
  mark_batch_paid: { [key: string]: JsonValue };
  batch_csv: string;
  clawbacks: { [key: string]: JsonValue }[];
  process_clawback: JsonValue;
  process_clawbacks: JsonValue;
  allocation_summary: { [key: string]: JsonValue };
  set_goal: { [key: string]: JsonValue };
  delete_goal: JsonValue;
  goals: { [key: string]: JsonValue }[];
  crm_webhook: { [key: string]: JsonValue };
  rep_dashboard: { [key: string]: JsonValue };
  team_summary: { [key: string]: JsonValue };
  commission_periods: { periods: string[] };
  deal_list: { [key: string]: JsonValue };
  cleanup: { [key: string]: JsonValue };
  reset: { [key: string]: JsonValue };
}

/** A workflow name (`WORKFLOWS`). */
export type WorkflowName = keyof WorkflowResults;

/** Every workflow name, in the engine's order (empty in a build without the orchestrator). */
export const WORKFLOWS: readonly WorkflowName[];

/**
 * CompCode's workflows over a repository: a `MemoryRepository`, a `SqliteRepository`, or your
 * own (`Repository`). Each workflow reads what it needs, computes, and commits all of its writes
 * in one `commit`; a `CONFLICT` from the store makes it recompute and retry. The last argument
 * of every method is `{ actor?, at }`. Answers are plain objects, decimals as strings.
 */
export class Orchestrator {
  constructor(repository: Repository | MemoryRepository | SqliteRepository);
  /** The repository given when created. */
  readonly repository: Repository;
  /** Runs a workflow by name; `args` as the engine reads them (`{ rep }`, `{ repId, period }`, …). */
  call<N extends WorkflowName>(name: N, args: object | null | undefined, ctx: CallContext): WorkflowResults[N];
  call(name: string, args: object | null | undefined, ctx: CallContext): unknown;

  /** The workspace settings; they may also carry the document fields `draws` and `fxRates` (SPEC §20). */
  putSettings(settings: WorkspaceSettings, ctx: CallContext): void;
  upsertRep(rep: Rep, ctx: CallContext): void;
  createPlan(plan: FlatPlan, ctx: CallContext): StoredPlan;
  updatePlan(
    planId: string,
    body: {
      config: PlanConfig;
      effectiveStart?: DateString;
      effectiveEnd?: DateString;
      changeMessage?: string;
      name?: string;
    },
    ctx: CallContext,
  ): StoredPlan;
  planHistory(planId: string, ctx: CallContext): StoredPlanVersion[];
  archivePlan(planId: string, ctx: CallContext): void;
  reactivatePlan(planId: string, ctx: CallContext): void;
  deletePlan(planId: string, ctx: CallContext): void;
  assign(
    body: { repIds: string[]; planId: string; effectiveStart?: DateString; effectiveEnd?: DateString | null },
    ctx: CallContext,
  ): void;
  unassign(repId: string, planId: string, ctx: CallContext): number;
  setQuota(body: { repIds: string[] } & Omit<Quota, 'repId'>, ctx: CallContext): void;
  deleteQuota(repId: string, rule: string, period: PeriodString, ctx: CallContext): number;
  setOverride(body: RepOverride, ctx: CallContext): void;
  deleteOverride(planVersionId: string, repId: string, ruleName: string, ctx: CallContext): void;
  /** The workflow `import`: a whole calculation document, validated, stored, then recalculated. */
  importDocument(document: CalcDocument, ctx: CallContext): RunReport;
  upsertDeal(deal: Deal, ctx: CallContext): RunReport;
  deleteDeal(dealId: string, ctx: CallContext): RunReport;
  reverseDeal(dealId: string, ctx: CallContext): RunReport;
  recalculate(ctx: CallContext): RunReport;
  recalculate(planId: string | null | undefined, ctx: CallContext): RunReport;
  simulate(ctx: CallContext): SimulateResult;
  simulate(scope: Scope | null | undefined, ctx: CallContext): SimulateResult;
  simulate(scope: Scope | null | undefined, options: Options | null | undefined, ctx: CallContext): SimulateResult;
  events(ctx: CallContext): LedgerEvent[];
  events(repId: string | null | undefined, ctx: CallContext): LedgerEvent[];
  events(repId: string | null | undefined, period: PeriodString | null | undefined, ctx: CallContext): LedgerEvent[];
  eventHistory(key: string, ctx: CallContext): HistoryRow[];
  markPaid(keys: string[], ctx: CallContext): number;
  generateStatement(repId: string, period: PeriodString, ctx: CallContext): Statement;
  getStatement(repId: string, period: PeriodString, ctx: CallContext): Statement;
  approveStatement(repId: string, period: PeriodString, ctx: CallContext): Statement;
  revertStatement(repId: string, period: PeriodString, ctx: CallContext): Statement;
  adjust(repId: string, period: PeriodString, amount: DecimalInput, reason: string, ctx: CallContext): Adjustment;
  trueUp(repId: string, period: PeriodString, ctx: CallContext): TrueUpResult;
  decideTrueUp(id: string, approve: boolean, ctx: CallContext): TrueUpCall;
  addComment(repId: string, period: PeriodString, text: string, ctx: CallContext): StatementComment;
  addComment(
    repId: string,
    period: PeriodString,
    text: string,
    lineKey: string | null | undefined,
    ctx: CallContext,
  ): StatementComment;
  comments(repId: string, period: PeriodString, ctx: CallContext): StatementComment[];
  deleteComment(id: string, ctx: CallContext): void;
  exportStatement(repId: string, period: PeriodString, ctx: CallContext): string;
  exportStatement(repId: string, period: PeriodString, format: 'csv' | 'json', ctx: CallContext): string;
  auditLog(ctx: CallContext): AuditEntry[];
  auditLog(action: string | null | undefined, ctx: CallContext): AuditEntry[];
  stateDocument(ctx: CallContext): CalcDocument;
  cancelSale(dealId: string, ctx: CallContext): RunReport;
  cancelSale(dealId: string, opts: { reason?: string; cancelledAt?: string } | null | undefined, ctx: CallContext): RunReport;
  recalculateSale(dealId: string, ctx: CallContext): RunReport;
  sale(dealId: string, ctx: CallContext): WorkflowResults['sale'];
  createBatch(batch: { [key: string]: JsonValue }, ctx: CallContext): WorkflowResults['create_batch'];
  getBatch(batchId: string, ctx: CallContext): WorkflowResults['get_batch'];
  listBatches(ctx: CallContext): WorkflowResults['list_batches'];
  listBatches(filters: { [key: string]: JsonValue } | null | undefined, ctx: CallContext): WorkflowResults['list_batches'];
  submitBatch(batchId: string, ctx: CallContext): WorkflowResults['submit_batch'];
  approveBatch(batchId: string, ctx: CallContext): WorkflowResults['approve_batch'];
  exportBatch(batchId: string, ctx: CallContext): WorkflowResults['export_batch'];
  markBatchPaid(batchId: string, ctx: CallContext): WorkflowResults['mark_batch_paid'];
  batchCsv(batchId: string, ctx: CallContext): string;
  clawbacks(ctx: CallContext): WorkflowResults['clawbacks'];
  clawbacks(filters: { [key: string]: JsonValue } | null | undefined, ctx: CallContext): WorkflowResults['clawbacks'];
  processClawback(id: string, ctx: CallContext): JsonValue;
  processClawbacks(ids: string[], ctx: CallContext): JsonValue;
  allocationSummary(ctx: CallContext): WorkflowResults['allocation_summary'];
  allocationSummary(filters: { [key: string]: JsonValue } | null | undefined, ctx: CallContext): WorkflowResults['allocation_summary'];
  setGoal(goal: { [key: string]: JsonValue }, ctx: CallContext): WorkflowResults['set_goal'];
  deleteGoal(goalId: string, ctx: CallContext): JsonValue;
  goals(ctx: CallContext): WorkflowResults['goals'];
  goals(filters: { userId?: string; goalId?: string } | null | undefined, ctx: CallContext): WorkflowResults['goals'];
  /** Takes a CRM webhook batch directly (SPEC §19), all or nothing. Admin or the host. */
  crmWebhook(batch: { [key: string]: JsonValue }, ctx: CallContext): WorkflowResults['crm_webhook'];
  repDashboard(repId: string, ctx: CallContext): WorkflowResults['rep_dashboard'];
  repDashboard(repId: string, period: string | null | undefined, ctx: CallContext): WorkflowResults['rep_dashboard'];
  teamSummary(ctx: CallContext): WorkflowResults['team_summary'];
  teamSummary(period: string | null | undefined, ctx: CallContext): WorkflowResults['team_summary'];
  commissionPeriods(ctx: CallContext): WorkflowResults['commission_periods'];
  commissionPeriods(repId: string | null | undefined, ctx: CallContext): WorkflowResults['commission_periods'];
  dealList(ctx: CallContext): WorkflowResults['deal_list'];
  dealList(
    filters: { ownerRepId?: string; stage?: string; period?: string } | null | undefined,
    ctx: CallContext,
  ): WorkflowResults['deal_list'];
  cleanup(ctx: CallContext): WorkflowResults['cleanup'];
  reset(ctx: CallContext): WorkflowResults['reset'];
}

/**
 * Runs compcode's repository conformance suite (store basics, atomic commits, version
 * conflicts, and the operator recipes end to end) on fresh repositories from `factory`. Throws
 * the `CompcodeError` of the first failing check (its message names the check; `cause` is what
 * your store threw, if it threw); what `factory` throws is thrown as is.
 */
export function runConformance(factory: () => Repository | MemoryRepository | SqliteRepository): void;

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
}

export type Rounding = 'half_away_from_zero' | 'half_even' | 'down' | 'up';

export interface Settings {
  /** Decimals of money amounts, 0–10 (default 2). */
  currencyPrecision?: number | null;
  rounding?: Rounding | null;
  /** 1–12 (default 1). */
  fiscalYearStartMonth?: number | null;
  /** Deal stages that count as won (default: `closed_won`, `won`, …). */
  wonStages?: string[] | null;
  trueUpApprovalThreshold?: DecimalInput | null;
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
  tiers: Tier[];
  /** Not supported by this version (SPEC §9). */
  rateTable?: never;
  /** Not supported by this version (SPEC §9). */
  milestones?: never;
  /** Not supported by this version. */
  clawbackWindowDays?: never;
  /** Not supported by this version. */
  sourceRoles?: never;
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
  role?: string | null;
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
  | 'arithmetic_overflow';

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
  | 'arithmetic_overflow';

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

/** The error every function of this package throws. */
export class CompcodeError extends Error {
  readonly name: 'CompcodeError';
  readonly code: ErrorCode;
  /** HTTP-style: 400, 404, 409, 422, 500, … */
  readonly status: number;
  readonly details: ErrorDetails;
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
export function run(operation: string, input: unknown): unknown;

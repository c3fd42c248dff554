//! The typed model of a calculation document (SPEC §0.1, §3–§7): what the reader in
//! [`crate::validate`] builds from host JSON, and what the calculation in [`crate::calc`] reads.

use crate::condition::Condition;
use crate::decimal::Rounding;
use crate::period::{Period, PeriodKind};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

pub mod fields;
mod name;
pub use fields::Fields;
pub use name::Name;

/// Workspace settings (SPEC §1, §2, §4, §13).
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Decimals of a payout line (default 2).
    pub currency_precision: u32,
    /// Rounding of payout lines (default half away from zero).
    pub rounding: Rounding,
    /// First month of the fiscal year, 1–12 (default 1).
    pub fiscal_year_start_month: u32,
    /// Stages that count as won (exact match).
    pub won_stages: Vec<String>,
    /// True-ups above this need approval (default 500.00).
    pub true_up_approval_threshold: Decimal,
    /// The currency of plan versions that name none (SPEC §20; `None` = USD).
    pub reporting_currency: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            currency_precision: 2,
            rounding: Rounding::HalfAwayFromZero,
            fiscal_year_start_month: 1,
            won_stages: vec!["closed_won".into(), "closedwon".into(), "Won".into()],
            true_up_approval_threshold: Decimal::new(50000, 2),
            reporting_currency: None,
        }
    }
}

/// A user's role (SPEC §17).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Role {
    /// Everything.
    Admin,
    /// Their team.
    Manager,
    /// Themselves.
    #[default]
    Rep,
}

/// A sales rep (SPEC §3).
#[derive(Debug, Clone, PartialEq)]
pub struct Rep {
    /// Stable id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Email (owners resolve by it, case-insensitively).
    pub email: Option<String>,
    /// CRM owner ids (owners resolve by them first).
    pub crm_ids: Vec<String>,
    /// Direct manager.
    pub manager_id: Option<String>,
    /// Role.
    pub role: Role,
    /// Active flag.
    pub active: bool,
}

/// What a rule's rate multiplies (SPEC §6 `payoutBase`).
#[derive(Debug, Clone, PartialEq)]
pub enum PayoutBase {
    /// The credited measure (default).
    Measure,
    /// `"1"`: a flat base, usually with flat tiers.
    One,
    /// The rep's quota `variableTarget`.
    VariableTarget,
    /// A numeric deal field.
    Field(String),
    /// `={formula}` (SPEC §10 syntax); evaluated on deal fields.
    Formula(String),
}

/// The phase a rule runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    /// One line per deal.
    PerDeal,
    /// One line per (rep, period), closed periods only.
    Periodic,
    /// Manager overrides on other reps' results.
    Cascade,
}

impl Phase {
    /// The JSON spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::PerDeal => "per_deal",
            Phase::Periodic => "periodic",
            Phase::Cascade => "cascade",
        }
    }
}

/// What picks the tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TierBy {
    /// Period-to-date credited value / quota target.
    Attainment,
    /// The deal's own credited value.
    Value,
    /// Period-to-date credited value in currency (no quota).
    CumulativeValue,
}

/// How tiers pay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TierMode {
    /// The whole deal at the tier's rate.
    FullRate,
    /// Each band at its own rate.
    Marginal,
    /// Flat amounts paid proportionally to band coverage.
    Interpolated,
}

/// What a cascade's base is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CascadeBase {
    /// The source rep's payouts.
    Commission,
    /// The source rep's credited measure.
    Measure,
}

/// One tier (SPEC §6).
#[derive(Debug, Clone, PartialEq)]
pub struct Tier {
    /// Sort order (unique).
    pub tier_index: i64,
    /// Display name.
    pub name: Name,
    /// Lower bound (ratio for attainment, amount for value).
    pub min_threshold: Decimal,
    /// Upper bound of the top band (marginal / interpolated).
    pub max_threshold: Option<Decimal>,
    /// Rate (fraction).
    pub rate: Option<Decimal>,
    /// Flat amount.
    pub flat_amount: Option<Decimal>,
}

/// One rule of a plan version (SPEC §6).
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// Optional rule id (quotas may name it as `planRuleId`).
    pub id: Option<String>,
    /// Unique name within the version.
    pub name: Name,
    /// The measure.
    pub measure: String,
    /// Phase.
    pub phase: Phase,
    /// Attainment period.
    pub period_kind: PeriodKind,
    /// What picks the tier.
    pub tier_by: TierBy,
    /// How tiers pay.
    pub tier_mode: TierMode,
    /// Full-rate retroactive.
    pub retroactive: bool,
    /// Payout base.
    pub payout_base: PayoutBase,
    /// Cascade upstream rule (or `_total`).
    pub depends_on: Option<String>,
    /// Cascade base.
    pub cascade_base: CascadeBase,
    /// Cascade level (1 = direct manager).
    pub level: u32,
    /// Minimum period-to-date attainment before anything pays.
    pub floor_attainment: Option<Decimal>,
    /// Cap as a multiple of the variable target.
    pub cap_multiplier: Option<Decimal>,
    /// Minimum positive payout.
    pub min_amount: Option<Decimal>,
    /// Maximum payout.
    pub max_amount: Option<Decimal>,
    /// Cap on a rep's period total for this rule.
    pub period_cap: Option<Decimal>,
    /// Only won deals count (default true).
    pub require_won: bool,
    /// Field holding the credit date.
    pub credit_date_field: Option<String>,
    /// Rule conditions (AND-ed with the plan's).
    pub conditions: Vec<Condition>,
    /// Tiers, sorted by `tier_index` (empty for a rate-table rule).
    pub tiers: Vec<Tier>,
    /// Spark rate table (SPEC §9): rates come from the most specific matching row.
    pub rate_table: Option<Vec<RateRow>>,
    /// Spark milestones (SPEC §9, §18.8), sorted by number. Empty on a rate-table rule means one
    /// unconditional milestone 1.
    pub milestones: Vec<Milestone>,
    /// Days after `paidAt` during which a paid line is still clawed back (SPEC §18.10; `None` =
    /// always).
    pub clawback_window_days: Option<u32>,
    /// Cascade over a rate-table rule: the participant roles that feed the manager chain
    /// (SPEC §18.9; `None` = the owner only).
    pub source_roles: Option<Vec<String>>,
    /// Installments a payout is split into (SPEC §20 holdbacks); empty = paid at once.
    pub payout_schedule: Vec<crate::schedule::Installment>,
}

impl Rule {
    /// The milestones a rate-table rule pays: its own, or one unconditional milestone 1.
    pub fn milestone_list(&self) -> Vec<Milestone> {
        if self.milestones.is_empty() {
            vec![Milestone { number: 1, name: None, when: Vec::new(), date_field: None }]
        } else {
            self.milestones.clone()
        }
    }
}

/// The sale keys of a rate-table row, in SPEC §9's priority order.
pub const RATE_KEYS: [&str; 5] = ["userId", "roleId", "installerId", "stateCode", "projectTypeId"];

/// One row of a Spark rate table (SPEC §9). Keys are ids compared as strings (SPEC §18.7).
#[derive(Debug, Clone, PartialEq)]
pub struct RateRow {
    /// The host's id of the row (echoed by the lookup).
    pub rate_id: Option<String>,
    /// `userId`, `roleId`, `installerId`, `stateCode`, `projectTypeId` in [`RATE_KEYS`] order;
    /// `None` matches anything.
    pub keys: [Option<String>; 5],
    /// First day in force.
    pub effective_start: NaiveDate,
    /// Last day in force (inclusive).
    pub effective_end: Option<NaiveDate>,
    /// Milestone N → (`percentMpN`, `flatMpN`) as given; a missing one is 0 (SPEC §18.8).
    pub milestones: BTreeMap<u32, (Option<Decimal>, Option<Decimal>)>,
}

impl RateRow {
    /// `percentMpN` (a percent) and `flatMpN` of milestone `n`, 0 when missing.
    pub fn rates(&self, n: u32) -> (Decimal, Decimal) {
        let (p, f) = self.milestones.get(&n).copied().unwrap_or((None, None));
        (p.unwrap_or(Decimal::ZERO), f.unwrap_or(Decimal::ZERO))
    }

    /// True when `date` is inside the row's effective range (both ends included).
    pub fn covers(&self, date: NaiveDate) -> bool {
        self.effective_start <= date && self.effective_end.map_or(true, |e| date <= e)
    }
}

/// A Spark milestone (SPEC §9, §18.8): its payment exists once `when` holds on the sale.
#[derive(Debug, Clone, PartialEq)]
pub struct Milestone {
    /// 1, 2, … (MP1, MP2).
    pub number: u32,
    /// Display name.
    pub name: Option<String>,
    /// Conditions on the sale (AND-ed; empty = always).
    pub when: Vec<Condition>,
    /// Field holding the date of the payment (default: the credit date).
    pub date_field: Option<String>,
}

/// A plan configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanConfig {
    /// Plan-level conditions.
    pub conditions: Vec<Condition>,
    /// Rules.
    pub rules: Vec<Rule>,
}

/// One version of a plan (SPEC §5).
#[derive(Debug, Clone, PartialEq)]
pub struct PlanVersion {
    /// Version id.
    pub plan_version_id: String,
    /// Version number.
    pub version: Option<i64>,
    /// First day in force.
    pub effective_start: NaiveDate,
    /// Last day in force (inclusive).
    pub effective_end: Option<NaiveDate>,
    /// `active` (default) or archived.
    pub active: bool,
    /// Why this version was made.
    pub change_message: Option<String>,
    /// The rules.
    pub config: PlanConfig,
    /// Payout currency named by the version (SPEC §20); `None` = `settings.reportingCurrency`.
    pub currency: Option<String>,
}

impl PlanVersion {
    /// True when `date` is inside the version's effective range (both ends included).
    pub fn covers(&self, date: NaiveDate) -> bool {
        self.effective_start <= date && self.effective_end.map_or(true, |e| date <= e)
    }
}

/// A plan with its versions.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Plan identity.
    pub plan_id: String,
    /// Name.
    pub name: String,
    /// Versions.
    pub versions: Vec<PlanVersion>,
}

impl Plan {
    /// The active version in force on `date`: the latest `effectiveStart`, then the higher
    /// `version`, then the greater `planVersionId` (SPEC §8.5).
    pub fn version_on(&self, date: NaiveDate) -> Option<usize> {
        self.versions
            .iter()
            .enumerate()
            .filter(|(_, v)| v.active && v.covers(date))
            .max_by(|(_, a), (_, b)| {
                (a.effective_start, a.version, &a.plan_version_id).cmp(&(
                    b.effective_start,
                    b.version,
                    &b.plan_version_id,
                ))
            })
            .map(|(i, _)| i)
    }
}

/// A rep's assignment to a plan (SPEC §5).
#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    /// Rep.
    pub rep_id: String,
    /// Plan.
    pub plan_id: String,
    /// First day.
    pub start: NaiveDate,
    /// Last day (inclusive).
    pub end: Option<NaiveDate>,
}

/// How a quota names its rule.
#[derive(Debug, Clone, PartialEq)]
pub enum RuleRef {
    /// `planRuleId`.
    RuleId(String),
    /// `planId` + `ruleName`.
    Named(String, String),
    /// The name shortcut (`measure`, or `ruleName` without `planId`), optionally restricted to a plan.
    Shortcut(Option<String>, String),
}

/// A quota (SPEC §5).
#[derive(Debug, Clone, PartialEq)]
pub struct Quota {
    /// Rep.
    pub rep_id: String,
    /// Rule reference.
    pub rule: RuleRef,
    /// Period.
    pub period: Period,
    /// Target (> 0).
    pub target: Decimal,
    /// Variable target (on-target earnings for the period).
    pub variable_target: Option<Decimal>,
    /// Prorate by assigned days.
    pub prorate: bool,
}

/// A per-rep tier override (SPEC §5).
#[derive(Debug, Clone, PartialEq)]
pub struct RepOverride {
    /// Version the override belongs to.
    pub plan_version_id: String,
    /// Rep.
    pub rep_id: String,
    /// Rule name.
    pub rule_name: String,
    /// Replacement tiers (sorted by index).
    pub tiers: Vec<Tier>,
}

/// One credit of a deal (SPEC §4).
#[derive(Debug, Clone, PartialEq)]
pub struct Credit {
    /// Credited rep.
    pub rep_id: String,
    /// Percent (100 = all).
    pub split_percent: Decimal,
    /// Participant role.
    pub role: Option<Name>,
}

/// A deal snapshot (SPEC §4).
#[derive(Debug, Clone, PartialEq)]
pub struct Deal {
    /// Id.
    pub id: String,
    /// Name.
    pub name: Option<String>,
    /// CRM stage.
    pub stage: Option<Name>,
    /// Amount.
    pub amount: Option<Decimal>,
    /// Close date.
    pub close_date: Option<NaiveDate>,
    /// Currency code.
    pub currency: Option<Name>,
    /// Owner by rep id.
    pub owner_rep_id: Option<Name>,
    /// Owner by CRM id.
    pub owner_crm_id: Option<String>,
    /// Owner by email.
    pub owner_email: Option<String>,
    /// Custom fields (sorted by name; see [`Fields`]).
    pub fields: Fields,
    /// Explicit credits.
    pub credits: Option<Vec<Credit>>,
    /// Soft-deleted.
    pub deleted: bool,
    /// Spark sale status.
    pub status: Option<Name>,
}

/// What a calculation covers.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Scope {
    /// Only this plan.
    pub plan_id: Option<String>,
    /// Only this period (`None` = all).
    pub period: Option<Period>,
    /// Only these reps' lines.
    pub rep_ids: Option<Vec<String>>,
}

/// Calculation options.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Show provisional periodic lines for open periods.
    pub include_open_periods: bool,
    /// Build traces (default true).
    pub trace: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options { include_open_periods: false, trace: true }
    }
}

/// The calculation document (SPEC §0.1), validated.
#[derive(Debug, Clone, PartialEq)]
pub struct CalcDoc {
    /// Evaluation date.
    pub as_of: NaiveDate,
    /// Settings.
    pub settings: Settings,
    /// Reps.
    pub reps: Vec<Rep>,
    /// Plans.
    pub plans: Vec<Plan>,
    /// Assignments.
    pub assignments: Vec<Assignment>,
    /// Quotas.
    pub quotas: Vec<Quota>,
    /// Per-rep tier overrides.
    pub rep_overrides: Vec<RepOverride>,
    /// Deals.
    pub deals: Vec<Deal>,
    /// Scope.
    pub scope: Scope,
    /// Options.
    pub options: Options,
    /// Draws and guarantees (SPEC §20).
    pub draws: Vec<crate::draws::Draw>,
    /// FX rates (SPEC §20).
    pub fx_rates: Vec<crate::fx::FxRate>,
}

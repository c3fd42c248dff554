//! CommissionFlow compatibility (SPEC §11, §18.30, §18.31, §18.37): its rule types imported as
//! plan rules, commission records in its API's response shape with the per-commission
//! `explanation`, the PENDING → APPROVED → PAID lifecycle, and the list helper with its filters
//! and pagination.
//!
//! **Rules.** `PERCENTAGE` value v → one tier at 0 with rate v / 100; `FLAT` value v → one tier
//! at 0 with `flatAmount` v; `TIERED` `tiers: [{upTo | null, value}]` → marginal bands from 0, tier
//! i starting at the previous `upTo` with rate value / 100 (a non-null `upTo` on the last tier
//! ends the top band: nothing above it is paid). All three tier by the sale's own value
//! (`tierBy: value`), so a refund (a negative amount, or `transactionType: "REFUND"` with a
//! positive one) mirrors the sale it undoes, caps included (SPEC §18.37), and a flat amount earns
//! nothing on a zero or negative sale (SPEC §8.5). `minAmount` / `maxAmount` are the plan rule's
//! clamps. Optional `conditions` (SPEC §7 shape) read the sale's `fields` and its attributes.
//!
//! **Calculation** goes through the engine itself ([`crate::api::simulate`]) on a document built
//! from the input — one rep per user, one version per active plan, one won deal per sale dated by
//! its `transactionDate` — so CommissionFlow answers and plan answers can never drift apart.
//! `explanation.calculation.calculatedAmount` is the tier amount rounded *before* the caps,
//! `finalAmount` the line after them (SPEC §18.30).
//!
//! **Choices where SPEC is silent.** Rule ids are unique across the input (they name the plan
//! rules); a commission's `id` is `comm_<saleId>_<ruleId>` (deterministic, never random, §18.35)
//! and `calculatedAt` is the caller's; `userIds` on a plan restricts it to those users (absent:
//! every user); `startDate` / `endDate` on a plan bound the sale dates it applies to (inclusive);
//! inactive plans are ignored, inactive rules are listed in `ruleTrace` as not matched. A sale's
//! credit date is the date part of its `transactionDate` as written (no time-zone conversion);
//! `currency` is echoed, never converted. A sale with no applicable plan gets no record, only a
//! diagnostic (`rep_not_assigned`). Decimals are strings in the output: money with
//! `currencyPrecision` decimals, others normalized.

use crate::api::simulate_doc;
use crate::decimal::{fmt_money, fmt_plain, round_money};
use crate::error::{Error, ErrorCode, Issue, Result};
use crate::period::parse_date;
use crate::validate::{read_document, Reader};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap, HashSet};

type Obj = Map<String, Value>;

/// Commission statuses (SPEC §11).
pub const STATUSES: [&str; 3] = ["PENDING", "APPROVED", "PAID"];
/// The three rule types.
pub const RULE_TYPES: [&str; 3] = ["PERCENTAGE", "FLAT", "TIERED"];

const RULE_KEYS: [&str; 11] = [
    "id",
    "name",
    "type",
    "value",
    "tiers",
    "minAmount",
    "maxAmount",
    "isActive",
    "conditions",
    "description",
    "priority",
];
const TIER_KEYS: [&str; 2] = ["upTo", "value"];
const PLAN_KEYS: [&str; 8] = ["id", "name", "description", "isActive", "userIds", "startDate", "endDate", "rules"];
const USER_KEYS: [&str; 4] = ["id", "firstName", "lastName", "email"];
const SALE_KEYS: [&str; 11] = [
    "id",
    "userId",
    "amount",
    "transactionDate",
    "transactionType",
    "description",
    "invoiceNumber",
    "currency",
    "project",
    "client",
    "fields",
];
const CALCULATE_KEYS: [&str; 5] = ["calculatedAt", "settings", "users", "plans", "sales"];

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn present<'v>(m: &'v Obj, key: &str) -> Option<&'v Value> {
    m.get(key).filter(|v| !v.is_null())
}

fn id_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) if n.is_i64() || n.is_u64() => Some(n.to_string()),
        _ => None,
    }
}

fn id(r: &mut Reader, m: &Obj, path: &str, key: &str) -> Option<String> {
    match present(m, key) {
        None => {
            r.issue(join(path, key), "required", format!("`{key}` is required"));
            None
        }
        Some(v) => {
            let out = id_of(v);
            if out.is_none() {
                r.issue(join(path, key), "invalid_type", format!("`{key}` must be a non-empty string id"));
            }
            out
        }
    }
}

/// A timestamp as CommissionFlow writes them: `YYYY-MM-DD` or RFC 3339
/// (`2024-01-15T10:30:00Z`). Returns its date.
fn timestamp_date(s: &str) -> Option<NaiveDate> {
    if s.len() == 10 {
        return parse_date(s, false);
    }
    chrono::DateTime::parse_from_rfc3339(s).ok().and_then(|_| parse_date(s, true))
}

fn timestamp(r: &mut Reader, m: &Obj, path: &str, key: &str, required: bool) -> Option<(String, NaiveDate)> {
    let v = present(m, key);
    match v {
        None => {
            if required {
                r.issue(join(path, key), "required", format!("`{key}` is required"));
            }
            None
        }
        Some(Value::String(s)) => match timestamp_date(s) {
            Some(d) => Some((s.clone(), d)),
            None => {
                r.issue(
                    join(path, key),
                    "invalid_date",
                    format!("`{key}` must be a date YYYY-MM-DD or an RFC 3339 timestamp, found \"{s}\""),
                );
                None
            }
        },
        Some(other) => {
            r.issue(
                join(path, key),
                "invalid_date",
                format!("`{key}` must be a date or timestamp string, found {other}"),
            );
            None
        }
    }
}

/// One CommissionFlow rule, read.
#[derive(Debug, Clone, PartialEq)]
pub struct CfRule {
    /// Rule id (also the plan rule's name).
    pub id: String,
    /// Display name.
    pub name: String,
    /// `PERCENTAGE`, `FLAT` or `TIERED`.
    pub rule_type: &'static str,
    /// `value` (percent or flat amount); `None` for TIERED.
    pub value: Option<Decimal>,
    /// TIERED: `(upTo, value)`.
    pub tiers: Vec<(Option<Decimal>, Decimal)>,
    /// Floor.
    pub min_amount: Option<Decimal>,
    /// Ceiling.
    pub max_amount: Option<Decimal>,
    /// Default true.
    pub is_active: bool,
    /// SPEC §7 conditions, as given.
    pub conditions: Option<Value>,
}

fn nonneg(r: &mut Reader, m: &Obj, path: &str, key: &str) -> Option<Decimal> {
    present(m, key)?;
    let d = r.decimal(m, path, key, false)?;
    if d.is_sign_negative() && !d.is_zero() {
        r.issue(join(path, key), "invalid_value", format!("`{key}` must be 0 or more"));
        return None;
    }
    Some(d)
}

/// Reads one CommissionFlow rule, reporting problems with paths under `path`.
fn read_rule(r: &mut Reader, v: &Value, path: &str) -> Option<CfRule> {
    let m = r.obj(v, path, &RULE_KEYS)?;
    let id = id(r, m, path, "id");
    let name = r.string(m, path, "name", true);
    let t = r.string(m, path, "type", true);
    let rule_type = t.as_deref().and_then(|t| {
        let found = RULE_TYPES.iter().copied().find(|x| *x == t);
        if found.is_none() {
            let hint =
                crate::validate::suggest(t, &RULE_TYPES).map(|x| format!(" (did you mean `{x}`?)")).unwrap_or_default();
            r.issue(
                join(path, "type"),
                "invalid_value",
                format!("`type` must be PERCENTAGE, FLAT or TIERED, found `{t}`{hint}"),
            );
        }
        found
    });
    let tiered = rule_type == Some("TIERED");
    let value = if tiered {
        if present(m, "value").is_some() {
            r.issue(join(path, "value"), "invalid_value", "a TIERED rule takes its percents from `tiers`, not `value`");
        }
        None
    } else {
        if rule_type.is_some() && present(m, "tiers").is_some() {
            r.issue(join(path, "tiers"), "invalid_value", "only a TIERED rule has `tiers`");
        }
        let v = r.decimal(m, path, "value", rule_type.is_some());
        if v.is_some_and(|d| d.is_sign_negative() && !d.is_zero()) {
            r.issue(join(path, "value"), "invalid_value", "`value` must be 0 or more");
        }
        v
    };
    let mut tiers = Vec::new();
    if tiered {
        let base = join(path, "tiers");
        if let Some(items) = r.array(m, path, "tiers", true) {
            if items.is_empty() {
                r.issue(&base, "invalid_value", "a TIERED rule needs at least one tier");
            }
            let mut prev = Decimal::ZERO;
            for (i, it) in items.iter().enumerate() {
                let p = format!("{base}[{i}]");
                let Some(tm) = r.obj(it, &p, &TIER_KEYS) else { continue };
                let up_to = if present(tm, "upTo").is_some() { r.decimal(tm, &p, "upTo", false) } else { None };
                let val = r.decimal(tm, &p, "value", true);
                if val.is_some_and(|d| d.is_sign_negative() && !d.is_zero()) {
                    r.issue(join(&p, "value"), "invalid_value", "a tier `value` (percent) must be 0 or more");
                }
                match up_to {
                    Some(u) if u <= prev => r.issue(
                        join(&p, "upTo"),
                        "tiers_not_increasing",
                        format!("`upTo` must be above the previous bound {prev}, found {u}"),
                    ),
                    Some(u) => prev = u,
                    None if present(tm, "upTo").is_none() && i + 1 < items.len() => r.issue(
                        join(&p, "upTo"),
                        "invalid_value",
                        "only the last tier may leave `upTo` null (unbounded)",
                    ),
                    None => {}
                }
                if let Some(v) = val {
                    tiers.push((up_to, v));
                }
            }
        }
    }
    let min_amount = nonneg(r, m, path, "minAmount");
    let max_amount = nonneg(r, m, path, "maxAmount");
    if let (Some(lo), Some(hi)) = (min_amount, max_amount) {
        if lo > hi {
            r.issue(join(path, "minAmount"), "invalid_value", "`minAmount` is greater than `maxAmount`");
        }
    }
    let is_active = match present(m, "isActive") {
        None => true,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            r.issue(join(path, "isActive"), "invalid_type", "`isActive` must be true or false");
            true
        }
    };
    let conditions = present(m, "conditions").cloned();
    if conditions.as_ref().is_some_and(|c| !c.is_array()) {
        r.issue(join(path, "conditions"), "invalid_type", "`conditions` must be a list");
    }
    let _ = r.string(m, path, "description", false);
    Some(CfRule {
        id: id?,
        name: name?,
        rule_type: rule_type?,
        value,
        tiers,
        min_amount,
        max_amount,
        is_active,
        conditions,
    })
}

/// The plan rule (SPEC §6 JSON) a CommissionFlow rule maps to (SPEC §11, §18.30).
///
/// ```
/// use compcode_core::commissionflow::{import_rule, CfRule};
/// let rule = CfRule { id: "r1".into(), name: "10% Base".into(), rule_type: "PERCENTAGE",
///     value: Some(10.into()), tiers: vec![], min_amount: None, max_amount: Some(1000.into()),
///     is_active: true, conditions: None };
/// let plan_rule = import_rule(&rule);
/// assert_eq!(plan_rule["tierBy"], "value");
/// assert_eq!(plan_rule["tiers"][0]["minThreshold"], "0");
/// assert_eq!(plan_rule["tiers"][0]["rate"], "0.1");
/// assert_eq!(plan_rule["maxAmount"], "1000");
/// ```
pub fn import_rule(rule: &CfRule) -> Value {
    let pct = |v: Decimal| fmt_plain(v / Decimal::ONE_HUNDRED);
    let (mode, tiers) = match rule.rule_type {
        "TIERED" => {
            let mut out = Vec::new();
            let mut lo = Decimal::ZERO;
            for (i, (up_to, v)) in rule.tiers.iter().enumerate() {
                let mut t = json!({"tierIndex": i, "name": format!("Tier {}", i + 1), "minThreshold": fmt_plain(lo), "rate": pct(*v)});
                if let (Some(u), true) = (up_to, i + 1 == rule.tiers.len()) {
                    t["maxThreshold"] = json!(fmt_plain(*u));
                }
                lo = up_to.unwrap_or(lo);
                out.push(t);
            }
            ("marginal", out)
        }
        "FLAT" => (
            "full_rate",
            vec![
                json!({"tierIndex": 0, "name": "Tier 1", "minThreshold": "0", "flatAmount": fmt_plain(rule.value.unwrap_or_default())}),
            ],
        ),
        _ => (
            "full_rate",
            vec![
                json!({"tierIndex": 0, "name": "Tier 1", "minThreshold": "0", "rate": pct(rule.value.unwrap_or_default())}),
            ],
        ),
    };
    let mut out = json!({
        "id": rule.id, "name": rule.id, "measure": "amount", "executionPhase": "per_deal",
        "attainmentPeriod": "monthly", "tierBy": "value", "tierMode": mode, "tiers": tiers,
    });
    if let Some(x) = rule.min_amount {
        out["minAmount"] = json!(fmt_plain(x));
    }
    if let Some(x) = rule.max_amount {
        out["maxAmount"] = json!(fmt_plain(x));
    }
    if let Some(c) = &rule.conditions {
        out["conditions"] = c.clone();
    }
    out
}

/// `commissionflow.import`: `{plan: {id, name, rules, startDate?, endDate?}}` → a CompCode plan
/// (`{planId, name, versions: [{planVersionId: "<id>:v1", effectiveStart, effectiveEnd?, config:
/// {rules}}]}`) that `simulate` accepts. Inactive rules are left out; `effectiveStart` defaults to
/// `1970-01-01`.
///
/// ```
/// use serde_json::json;
/// let out = compcode_core::api::run("commissionflow.import", &json!({"plan": {
///     "id": "plan_1", "name": "Standard", "rules": [
///     {"id": "r1", "name": "Tiered", "type": "TIERED", "tiers": [{"upTo": 10000, "value": 10}, {"upTo": null, "value": 15}]}]}})).unwrap();
/// let rule = &out["versions"][0]["config"]["rules"][0];
/// assert_eq!(rule["tierMode"], "marginal");
/// assert_eq!(rule["tiers"][1]["minThreshold"], "10000");
/// assert_eq!(rule["tiers"][1]["rate"], "0.15");
/// ```
pub fn import_op(input: &Value) -> Result<Value> {
    let mut r = Reader::default();
    let Some(m) = r.obj(input, "", &["plan"]) else { return Err(Error::validation(r.issues)) };
    let Some(plan) = present(m, "plan") else {
        r.issue("plan", "required", "`plan` is required");
        return Err(Error::validation(r.issues));
    };
    let p = read_plan(&mut r, plan, "plan");
    match p {
        Some(p) if r.issues.is_empty() => {
            let rules: Vec<Value> = p.rules.iter().filter(|x| x.is_active).map(import_rule).collect();
            let mut version = json!({
                "planVersionId": format!("{}:v1", p.id),
                "effectiveStart": p.start.map_or_else(|| "1970-01-01".to_string(), |d| d.to_string()),
                "config": {"rules": rules},
            });
            if let Some(e) = p.end {
                version["effectiveEnd"] = json!(e.to_string());
            }
            Ok(json!({"planId": p.id, "name": p.name, "versions": [version]}))
        }
        _ => Err(Error::validation(r.issues)),
    }
}

struct CfPlan {
    id: String,
    name: String,
    description: Option<String>,
    is_active: bool,
    user_ids: Option<Vec<String>>,
    start: Option<NaiveDate>,
    end: Option<NaiveDate>,
    rules: Vec<CfRule>,
    /// Index in the input list of each rule read.
    rule_index: Vec<usize>,
}

fn read_plan(r: &mut Reader, v: &Value, path: &str) -> Option<CfPlan> {
    let m = r.obj(v, path, &PLAN_KEYS)?;
    let pid = id(r, m, path, "id");
    let name = r.string(m, path, "name", true);
    let description = r.string(m, path, "description", false);
    let is_active = match present(m, "isActive") {
        None => true,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            r.issue(join(path, "isActive"), "invalid_type", "`isActive` must be true or false");
            true
        }
    };
    let user_ids = r.array(m, path, "userIds", false).map(|a| {
        let mut out = Vec::new();
        for (i, x) in a.iter().enumerate() {
            match id_of(x) {
                Some(s) => out.push(s),
                None => r.issue(format!("{path}.userIds[{i}]"), "invalid_type", "a user id must be a non-empty string"),
            }
        }
        out
    });
    let start = r.date(m, path, "startDate", false);
    let end = r.date(m, path, "endDate", false);
    if let (Some(s), Some(e)) = (start, end) {
        if e < s {
            r.issue(join(path, "endDate"), "invalid_value", "`endDate` is before `startDate`");
        }
    }
    let mut rules = Vec::new();
    let mut rule_index = Vec::new();
    if let Some(items) = r.array(m, path, "rules", true) {
        for (i, it) in items.iter().enumerate() {
            if let Some(x) = read_rule(r, it, &format!("{path}.rules[{i}]")) {
                rules.push(x);
                rule_index.push(i);
            }
        }
    }
    Some(CfPlan { id: pid?, name: name?, description, is_active, user_ids, start, end, rules, rule_index })
}

struct Sale<'v> {
    id: String,
    user_id: String,
    amount: Decimal,
    signed: Decimal,
    date_text: String,
    date: NaiveDate,
    raw: &'v Obj,
}

fn read_sale<'v>(r: &mut Reader, v: &'v Value, path: &str) -> Option<Sale<'v>> {
    let m = r.obj(v, path, &SALE_KEYS)?;
    let sid = id(r, m, path, "id");
    let user_id = id(r, m, path, "userId");
    let amount = r.decimal(m, path, "amount", true);
    let date = timestamp(r, m, path, "transactionDate", true);
    let kind = r.string(m, path, "transactionType", false);
    for key in ["description", "invoiceNumber", "currency"] {
        let _ = r.string(m, path, key, false);
    }
    for key in ["project", "client", "fields"] {
        if present(m, key).is_some_and(|x| !x.is_object()) {
            r.issue(join(path, key), "invalid_type", format!("`{key}` must be an object"));
        }
    }
    let amount = amount?;
    // a REFUND written with a positive amount undoes a sale of that size
    let signed = if kind.as_deref() == Some("REFUND") && amount > Decimal::ZERO { -amount } else { amount };
    let (date_text, date) = date?;
    Some(Sale { id: sid?, user_id: user_id?, amount, signed, date_text, date, raw: m })
}

fn read_settings(r: &mut Reader, v: Option<&Value>) -> (u32, crate::decimal::Rounding) {
    let mut out = (2, crate::decimal::Rounding::HalfAwayFromZero);
    let Some(v) = v.filter(|v| !v.is_null()) else { return out };
    let Some(m) = r.obj(v, "settings", &["currencyPrecision", "rounding"]) else { return out };
    if let Some(p) = present(m, "currencyPrecision") {
        match p.as_u64() {
            Some(p) if p <= 10 => out.0 = p as u32,
            _ => r.issue("settings.currencyPrecision", "invalid_value", "`currencyPrecision` must be 0–10"),
        }
    }
    if let Some(x) = r.string(m, "settings", "rounding", false) {
        match crate::decimal::Rounding::parse(&x) {
            Some(mode) => out.1 = mode,
            None => r.issue(
                "settings.rounding",
                "invalid_value",
                "`rounding` must be one of half_away_from_zero, half_even, down, up",
            ),
        }
    }
    out
}

/// `commissionflow.calculate`: calculates the commission records of a batch of sales.
///
/// Input: `{calculatedAt, settings?: {currencyPrecision, rounding}, users?: [{id, firstName,
/// lastName, email}], plans: [{id, name, description?, isActive?, userIds?, startDate?, endDate?,
/// rules: [{id, name, type, value | tiers, minAmount?, maxAmount?, isActive?, conditions?}]}],
/// sales: [{id, userId, amount, transactionDate, transactionType?, description?,
/// invoiceNumber?, project?, client?, fields?}]}`.
///
/// Output: `{commissions: [record], diagnostics: [{code, saleId, userId, planId, ruleId,
/// message}]}` — one record per (sale, matching rule), in sale, plan, rule order, each in
/// CommissionFlow's `GET /api/v1/commissions/{id}` shape plus `creditDate`: `{id, amount, status:
/// "PENDING", calculatedAt, approvedAt: null, paidAt: null, creditDate, salesTransaction, user,
/// commissionPlan, commissionRule, explanation: {ruleTrace, calculation: {saleAmount, ruleType,
/// ruleValue, calculatedAmount, minCap, maxCap, finalAmount}, inputSnapshot}}`.
///
/// ```
/// use serde_json::json;
/// let out = compcode_core::api::run("commissionflow.calculate", &json!({
///   "calculatedAt": "2024-01-15T10:30:00Z",
///   "plans": [{"id": "plan_ghi012", "name": "Standard Sales Plan", "rules": [
///     {"id": "rule_jkl345", "name": "10% Base Commission", "type": "PERCENTAGE", "value": 10,
///      "minAmount": null, "maxAmount": 1000}]}],
///   "sales": [{"id": "sale_xyz789", "userId": "user_def456", "amount": 5000.00,
///              "transactionDate": "2024-01-15T00:00:00Z"}]})).unwrap();
/// let c = &out["commissions"][0];
/// assert_eq!(c["amount"], "500.00");
/// assert_eq!(c["status"], "PENDING");
/// assert_eq!(c["explanation"]["calculation"]["calculatedAmount"], "500.00");
/// assert_eq!(c["explanation"]["calculation"]["maxCap"], "1000");
/// ```
pub fn calculate_op(input: &Value) -> Result<Value> {
    let mut r = Reader::default();
    let Some(m) = r.obj(input, "", &CALCULATE_KEYS) else { return Err(Error::validation(r.issues)) };
    let calculated_at = timestamp(&mut r, m, "", "calculatedAt", true);
    let (dp, rounding) = read_settings(&mut r, m.get("settings"));
    let mut users: Vec<(String, &Value)> = Vec::new();
    if let Some(items) = r.array(m, "", "users", false) {
        for (i, u) in items.iter().enumerate() {
            let p = format!("users[{i}]");
            if let Some(um) = r.obj(u, &p, &USER_KEYS) {
                let uid = id(&mut r, um, &p, "id");
                for k in ["firstName", "lastName", "email"] {
                    let _ = r.string(um, &p, k, false);
                }
                if let Some(uid) = uid {
                    users.push((uid, u));
                }
            }
        }
    }
    let users_given = present(m, "users").is_some();
    let mut plans = Vec::new();
    if let Some(items) = r.array(m, "", "plans", true) {
        for (i, it) in items.iter().enumerate() {
            if let Some(p) = read_plan(&mut r, it, &format!("plans[{i}]")) {
                plans.push((i, p));
            }
        }
    }
    let mut sales = Vec::new();
    if let Some(items) = r.array(m, "", "sales", true) {
        for (i, it) in items.iter().enumerate() {
            if let Some(s) = read_sale(&mut r, it, &format!("sales[{i}]")) {
                sales.push((i, s));
            }
        }
    }
    // uniqueness and references
    let user_index: HashMap<&str, &Value> = users.iter().map(|u| (u.0.as_str(), u.1)).collect();
    let mut seen = HashSet::new();
    for (i, u) in users.iter().enumerate() {
        if !seen.insert(u.0.as_str()) {
            r.issue(format!("users[{i}].id"), "duplicate", format!("user `{}` is listed twice", u.0));
        }
    }
    let mut seen = HashSet::new();
    let mut rule_seen = HashMap::new();
    for (pi, p) in &plans {
        if !seen.insert(p.id.as_str()) {
            r.issue(format!("plans[{pi}].id"), "duplicate", format!("plan `{}` is listed twice", p.id));
        }
        for (k, rule) in p.rules.iter().enumerate() {
            let path = format!("plans[{pi}].rules[{}].id", p.rule_index[k]);
            if let Some(first) = rule_seen.insert(rule.id.clone(), path.clone()) {
                r.issue(path, "duplicate", format!("rule id `{}` is already used at {first}", rule.id));
            }
        }
        if users_given {
            for (k, uid) in p.user_ids.iter().flatten().enumerate() {
                if !user_index.contains_key(uid.as_str()) {
                    r.issue(
                        format!("plans[{pi}].userIds[{k}]"),
                        "unknown_reference",
                        format!("user `{uid}` is not in `users`"),
                    );
                }
            }
        }
    }
    let mut seen = HashSet::new();
    for (si, s) in &sales {
        if !seen.insert(s.id.as_str()) {
            r.issue(format!("sales[{si}].id"), "duplicate", format!("sale `{}` is listed twice", s.id));
        }
        if users_given && !user_index.contains_key(s.user_id.as_str()) {
            r.issue(
                format!("sales[{si}].userId"),
                "unknown_reference",
                format!("user `{}` is not in `users`", s.user_id),
            );
        }
    }
    let Some((calculated_at, calc_date)) = calculated_at.filter(|_| r.issues.is_empty()) else {
        return Err(Error::validation(r.issues));
    };

    // the calculation document
    // one rep per user: the listed users, then users named only by sales or plans
    let mut rep_ids: Vec<String> = Vec::new();
    let mut rep_seen: HashSet<&str> = HashSet::new();
    let named = users.iter().map(|u| u.0.as_str()).chain(sales.iter().map(|(_, s)| s.user_id.as_str()));
    for uid in named.chain(plans.iter().flat_map(|(_, p)| p.user_ids.iter().flatten().map(String::as_str))) {
        if rep_seen.insert(uid) {
            rep_ids.push(uid.to_string());
        }
    }
    let earliest = sales.iter().map(|(_, s)| s.date).min().unwrap_or(calc_date).min(calc_date);
    let as_of = sales.iter().map(|(_, s)| s.date).max().unwrap_or(calc_date).max(calc_date);
    let mut doc_plans = Vec::new();
    let mut doc_assignments = Vec::new();
    // doc plan index → (input plan index, input rule index of each doc rule)
    let mut plan_map: Vec<(usize, Vec<usize>)> = Vec::new();
    for (pi, p) in &plans {
        let active: Vec<(usize, &CfRule)> =
            p.rules.iter().enumerate().filter(|(_, x)| x.is_active).map(|(k, x)| (p.rule_index[k], x)).collect();
        if !p.is_active || active.is_empty() {
            continue;
        }
        let mut version = json!({
            "planVersionId": format!("{}:v1", p.id),
            "effectiveStart": p.start.unwrap_or(earliest).to_string(),
            "config": {"rules": active.iter().map(|(_, x)| import_rule(x)).collect::<Vec<_>>()},
        });
        if let Some(e) = p.end {
            version["effectiveEnd"] = json!(e.to_string());
        }
        doc_plans.push(json!({"planId": p.id, "name": p.name, "versions": [version]}));
        plan_map.push((*pi, active.iter().map(|(k, _)| *k).collect()));
        for uid in p.user_ids.clone().unwrap_or_else(|| rep_ids.clone()) {
            doc_assignments.push(json!({"repId": uid, "planId": p.id}));
        }
    }
    let deals: Vec<Value> = sales
        .iter()
        .map(|(_, s)| {
            let mut fields = s.raw.get("fields").and_then(Value::as_object).cloned().unwrap_or_default();
            for key in ["transactionType", "invoiceNumber"] {
                if let Some(v) = present(s.raw, key) {
                    fields.entry(key.to_string()).or_insert_with(|| v.clone());
                }
            }
            if let Some(tier) = s.raw.get("client").and_then(|c| c.get("tier")).filter(|t| !t.is_null()) {
                fields.entry("clientTier".to_string()).or_insert_with(|| tier.clone());
            }
            let mut d = json!({"id": s.id, "stage": "closed_won", "amount": s.signed.to_string(),
                               "closeDate": s.date.to_string(), "ownerRepId": s.user_id, "fields": fields});
            if let Some(desc) = present(s.raw, "description") {
                d["name"] = desc.clone();
            }
            d
        })
        .collect();
    let settings = json!({"currencyPrecision": dp, "rounding": rounding.as_str()});
    let doc_json = json!({
        "asOf": as_of.to_string(), "settings": settings,
        "reps": rep_ids.iter().map(|id| json!({"id": id, "name": id})).collect::<Vec<_>>(),
        "plans": doc_plans, "assignments": doc_assignments, "quotas": [], "deals": deals,
        "options": {"trace": true},
    });
    let doc = read_document(&doc_json).map_err(|e| remap(e, &plan_map))?;
    let result = simulate_doc(&doc)?;

    // events and diagnostics by (sale, rule)
    let mut events: BTreeMap<(&str, &str), &crate::api::Event> = BTreeMap::new();
    for e in &result.events {
        if let Some(d) = &e.deal_id {
            events.insert((d.as_str(), e.rule_name.as_str()), e);
        }
    }
    let mut diags: BTreeMap<(&str, &str), (&str, &str)> = BTreeMap::new();
    for d in &result.diagnostics {
        if let (Some(deal), Some(rule)) = (&d.deal_id, &d.rule_name) {
            diags.entry((deal.as_str(), rule.as_str())).or_insert((d.code, d.message.as_str()));
        }
    }
    let user_obj = |uid: &str| -> Value { user_index.get(uid).map_or_else(|| json!({"id": uid}), |u| (*u).clone()) };
    let mut commissions = Vec::new();
    for (_, s) in &sales {
        let applies = |p: &CfPlan| p.is_active && p.user_ids.as_ref().map_or(true, |ids| ids.contains(&s.user_id));
        let mut rule_trace = Vec::new();
        let mut matched: Vec<(&CfPlan, &CfRule, &crate::api::Event)> = Vec::new();
        let mut read_fields: Vec<String> = Vec::new();
        for (_, p) in plans.iter().filter(|(_, p)| applies(p)) {
            for rule in &p.rules {
                collect_condition_fields(rule.conditions.as_ref(), &mut read_fields);
                let entry = if !rule.is_active {
                    json!({"ruleId": rule.id, "ruleName": rule.name, "planId": p.id, "matched": false,
                           "reason": "the rule is inactive"})
                } else if let Some(e) = events.get(&(s.id.as_str(), rule.id.as_str())) {
                    matched.push((p, rule, e));
                    json!({"ruleId": rule.id, "ruleName": rule.name, "planId": p.id, "matched": true,
                           "reason": format!("Sale amount {} qualifies for {} commission", fmt_plain(s.signed), rule.rule_type.to_lowercase())})
                } else if let Some((code, msg)) = diags.get(&(s.id.as_str(), rule.id.as_str())) {
                    json!({"ruleId": rule.id, "ruleName": rule.name, "planId": p.id, "matched": false,
                           "code": code, "reason": msg})
                } else {
                    json!({"ruleId": rule.id, "ruleName": rule.name, "planId": p.id, "matched": false,
                           "reason": "the rule did not apply to this sale"})
                };
                rule_trace.push(entry);
            }
        }
        let mut snapshot = json!({
            "saleAmount": fmt_plain(s.signed),
            "transactionDate": s.date_text,
            "transactionType": present(s.raw, "transactionType").cloned().unwrap_or(json!("SALE")),
            "clientTier": s.raw.get("client").and_then(|c| c.get("tier")).cloned().unwrap_or(Value::Null),
        });
        if let Some(f) = s.raw.get("fields").and_then(Value::as_object) {
            for (k, v) in f {
                snapshot[k] = v.clone();
            }
        }
        for f in &read_fields {
            if snapshot.get(f).is_none() {
                let v = s.raw.get("fields").and_then(|x| x.get(f)).cloned().unwrap_or(Value::Null);
                snapshot[f] = v;
            }
        }
        for (p, rule, e) in matched {
            let pre = pre_cap_amount(&e.trace).map(|a| round_money(a, dp, rounding));
            let mut tx = json!({"id": s.id, "amount": fmt_plain(s.amount), "transactionDate": s.date_text});
            for key in ["transactionType", "description", "invoiceNumber", "currency", "project", "client"] {
                if let Some(v) = present(s.raw, key) {
                    tx[key] = v.clone();
                }
            }
            let mut plan_obj = json!({"id": p.id, "name": p.name});
            if let Some(d) = &p.description {
                plan_obj["description"] = json!(d);
            }
            let tiers_json = || -> Value {
                rule.tiers
                    .iter()
                    .map(|(u, v)| json!({"upTo": u.map(fmt_plain), "value": fmt_plain(*v)}))
                    .collect::<Vec<_>>()
                    .into()
            };
            let mut rule_obj = json!({
                "id": rule.id, "name": rule.name, "type": rule.rule_type, "value": rule.value.map(fmt_plain),
                "minAmount": rule.min_amount.map(fmt_plain), "maxAmount": rule.max_amount.map(fmt_plain),
            });
            let mut calculation = json!({
                "saleAmount": fmt_plain(s.signed), "ruleType": rule.rule_type, "ruleValue": rule.value.map(fmt_plain),
                "calculatedAmount": pre.map_or_else(|| e.amount.clone(), |x| fmt_money(x, dp)),
                "minCap": rule.min_amount.map(fmt_plain), "maxCap": rule.max_amount.map(fmt_plain),
                "finalAmount": e.amount,
            });
            if rule.rule_type == "TIERED" {
                rule_obj["tiers"] = tiers_json();
                calculation["tiers"] = tiers_json();
            }
            commissions.push(json!({
                "id": format!("comm_{}_{}", s.id, rule.id),
                "amount": e.amount,
                "status": "PENDING",
                "calculatedAt": calculated_at,
                "approvedAt": null,
                "paidAt": null,
                "creditDate": s.date.to_string(),
                "salesTransaction": tx,
                "user": user_obj(&s.user_id),
                "commissionPlan": plan_obj,
                "commissionRule": rule_obj,
                "explanation": {"ruleTrace": rule_trace, "calculation": calculation, "inputSnapshot": snapshot},
            }));
        }
    }
    let mut ids = HashSet::new();
    for c in &commissions {
        if let Some(i) = c["id"].as_str() {
            if !ids.insert(i.to_string()) {
                return Err(Error::validation(vec![Issue {
                    path: "sales".into(),
                    code: "duplicate",
                    message: format!("two commissions would share the id `{i}`; choose sale and rule ids whose `comm_<sale>_<rule>` differ"),
                    suggestion: None,
                }]));
            }
        }
    }
    let diagnostics: Vec<Value> = result
        .diagnostics
        .iter()
        .map(|d| {
            json!({"code": d.code, "saleId": d.deal_id, "userId": d.rep_id, "planId": d.plan_id,
                   "ruleId": d.rule_name, "message": d.message})
        })
        .collect();
    Ok(json!({"commissions": commissions, "diagnostics": diagnostics}))
}

fn collect_condition_fields(v: Option<&Value>, out: &mut Vec<String>) {
    let Some(items) = v.and_then(Value::as_array) else { return };
    for c in items {
        if let Some(f) = c.get("field").and_then(Value::as_str) {
            if !out.iter().any(|x| x == f) && f != "amount" {
                out.push(f.to_string());
            }
        }
        collect_condition_fields(c.get("rules"), out);
    }
}

/// The tier amount before caps, from the engine's own trace (the `tier` / `bands` step), negated
/// for a refund.
fn pre_cap_amount(trace: &[crate::trace::Step]) -> Option<Decimal> {
    use crate::trace::Step;
    let amount = trace.iter().find_map(|s| match s {
        Step::Tier { amount, .. } | Step::Bands { amount, .. } => Some(*amount),
        _ => None,
    })?;
    let refund = trace.iter().any(|s| matches!(s, Step::Refund { .. }));
    Some(if refund { -amount } else { amount })
}

/// Validation issues of the generated document, with paths moved back onto the input.
fn remap(e: Error, plan_map: &[(usize, Vec<usize>)]) -> Error {
    if e.code() != ErrorCode::ValidationFailed {
        return e;
    }
    let issues: Vec<Issue> = e
        .details()
        .get("errors")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|i| {
                    let path = i["path"].as_str().unwrap_or_default();
                    let code = crate::rules_v0::ISSUE_CODES
                        .iter()
                        .chain(["invalid_date", "invalid_period", "unknown_reference", "tiers_not_increasing"].iter())
                        .copied()
                        .find(|c| Some(*c) == i["code"].as_str())
                        .unwrap_or("invalid_value");
                    Issue {
                        path: remap_path(path, plan_map),
                        code,
                        message: i["message"].as_str().unwrap_or_default().to_string(),
                        suggestion: i.get("suggestion").and_then(Value::as_str).map(str::to_string),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    Error::validation(issues)
}

fn remap_path(path: &str, plan_map: &[(usize, Vec<usize>)]) -> String {
    let num = |s: &str| -> Option<(usize, usize)> {
        let end = s.find(']')?;
        Some((s[..end].parse().ok()?, end + 1))
    };
    if let Some(rest) = path.strip_prefix("plans[") {
        if let Some((k, n)) = num(rest) {
            let rest = &rest[n..];
            if let (Some((pi, rules)), Some(r2)) = (plan_map.get(k), rest.strip_prefix(".versions[0].config.rules[")) {
                if let Some((j, n2)) = num(r2) {
                    if let Some(ri) = rules.get(j) {
                        return format!("plans[{pi}].rules[{ri}]{}", &r2[n2..]);
                    }
                }
            }
        }
    }
    if let Some(rest) = path.strip_prefix("deals[") {
        if let Some((k, n)) = num(rest) {
            let tail = &rest[n..];
            let tail = tail.strip_prefix(".fields").unwrap_or(tail);
            return format!("sales[{k}]{tail}");
        }
    }
    path.to_string()
}

/// A stored commission record as the lifecycle and list helpers read it.
struct Record<'v> {
    id: String,
    status: String,
    user_id: Option<String>,
    date: NaiveDate,
    raw: &'v Value,
}

fn read_record<'v>(r: &mut Reader, v: &'v Value, path: &str, need_date: bool) -> Option<Record<'v>> {
    let Some(m) = v.as_object() else {
        r.issue(path, "invalid_type", "a commission record must be an object");
        return None;
    };
    let rid = id(r, m, path, "id");
    let status = r.string(m, path, "status", true);
    if let Some(s) = &status {
        if !STATUSES.contains(&s.as_str()) && s != "REVERSED" {
            r.issue(
                join(path, "status"),
                "invalid_value",
                format!("`status` must be PENDING, APPROVED or PAID, found `{s}`"),
            );
        }
    }
    let user_id = m.get("user").and_then(|u| u.get("id")).or_else(|| m.get("userId")).and_then(id_of);
    let date_text = m
        .get("creditDate")
        .or_else(|| m.get("salesTransaction").and_then(|t| t.get("transactionDate")))
        .and_then(Value::as_str);
    let date = date_text.and_then(timestamp_date);
    if need_date && date.is_none() {
        r.issue(
            join(path, "salesTransaction.transactionDate"),
            "invalid_date",
            "a commission needs its credit date (`creditDate` or `salesTransaction.transactionDate`)",
        );
    }
    Some(Record { id: rid?, status: status?, user_id, date: date.unwrap_or(NaiveDate::MIN), raw: v })
}

/// `commissionflow.transition`: moves commission records along PENDING → APPROVED → PAID
/// (SPEC §11, §18.31), stamping `approvedAt` / `paidAt` with the caller's `at`. Every other
/// transition — backwards, skipping APPROVED, staying put, leaving PAID — is `CONFLICT` (details
/// `{id, from, to}`) and nothing changes.
///
/// Input: `{commission: record, status, at}` → `{commission}`; or `{commissions: [record], ids?:
/// [id] (default all), status, at}` → `{commissions: [every record, the named ones moved],
/// updated: [id]}`. An id not among the records is `NOT_FOUND`.
///
/// ```
/// use serde_json::json;
/// let c = json!({"id": "comm_1", "status": "PENDING", "approvedAt": null, "paidAt": null});
/// let out = compcode_core::api::run("commissionflow.transition",
///     &json!({"commission": c, "status": "APPROVED", "at": "2024-01-16T14:00:00Z"})).unwrap();
/// assert_eq!(out["commission"]["status"], "APPROVED");
/// assert_eq!(out["commission"]["approvedAt"], "2024-01-16T14:00:00Z");
/// let err = compcode_core::api::run("commissionflow.transition",
///     &json!({"commission": c, "status": "PAID", "at": "2024-01-16"})).unwrap_err();
/// assert_eq!(err.code().as_str(), "CONFLICT");
/// ```
pub fn transition_op(input: &Value) -> Result<Value> {
    let mut r = Reader::default();
    let Some(m) = r.obj(input, "", &["commission", "commissions", "ids", "status", "at"]) else {
        return Err(Error::validation(r.issues));
    };
    let single = present(m, "commission");
    if single.is_some() == present(m, "commissions").is_some() {
        r.issue("", "required", "give exactly one of `commission` (one record) or `commissions` (a list)");
    }
    let to = r.string(m, "", "status", true);
    if let Some(t) = &to {
        if !STATUSES.contains(&t.as_str()) {
            r.issue("status", "invalid_value", format!("`status` must be PENDING, APPROVED or PAID, found `{t}`"));
        }
    }
    let at = timestamp(&mut r, m, "", "at", true);
    let mut records = Vec::new();
    match (single, present(m, "commissions")) {
        (Some(c), None) => {
            if let Some(x) = read_record(&mut r, c, "commission", false) {
                records.push(x);
            }
        }
        (None, Some(list)) => match list.as_array() {
            Some(items) => {
                for (i, it) in items.iter().enumerate() {
                    if let Some(x) = read_record(&mut r, it, &format!("commissions[{i}]"), false) {
                        records.push(x);
                    }
                }
            }
            None => r.issue("commissions", "invalid_type", "`commissions` must be a list"),
        },
        _ => {}
    }
    let ids: Option<Vec<String>> = present(m, "ids").map(|v| match v.as_array() {
        Some(a) => a.iter().filter_map(id_of).collect(),
        None => {
            r.issue("ids", "invalid_type", "`ids` must be a list of commission ids");
            Vec::new()
        }
    });
    if single.is_some() && ids.is_some() {
        r.issue("ids", "invalid_value", "`ids` goes with `commissions`, not with `commission`");
    }
    let (Some(to), Some((at, _))) = (to, at) else { return Err(Error::validation(r.issues)) };
    if !r.issues.is_empty() {
        return Err(Error::validation(r.issues));
    }
    let chosen: Vec<usize> = match &ids {
        None => (0..records.len()).collect(),
        Some(ids) => {
            let mut out = Vec::new();
            let mut missing = Vec::new();
            for want in ids {
                match records.iter().position(|x| &x.id == want) {
                    Some(i) => out.push(i),
                    None => missing.push(want.clone()),
                }
            }
            if !missing.is_empty() {
                return Err(Error::with_details(
                    ErrorCode::NotFound,
                    format!("no commission with id {}", missing.join(", ")),
                    json!({"ids": missing}),
                ));
            }
            out
        }
    };
    for &i in &chosen {
        let from = records[i].status.as_str();
        let ok = matches!((from, to.as_str()), ("PENDING", "APPROVED") | ("APPROVED", "PAID"));
        if !ok {
            return Err(Error::with_details(
                ErrorCode::Conflict,
                format!(
                    "commission `{}` cannot move from {from} to {to}; only PENDING → APPROVED → PAID is allowed",
                    records[i].id
                ),
                json!({"id": records[i].id, "from": from, "to": to}),
            ));
        }
    }
    let stamp = if to == "APPROVED" { "approvedAt" } else { "paidAt" };
    let mut out: Vec<Value> = records.iter().map(|x| x.raw.clone()).collect();
    for &i in &chosen {
        out[i]["status"] = json!(to);
        out[i][stamp] = json!(at);
    }
    if single.is_some() {
        return Ok(json!({"commission": out.pop().unwrap_or(Value::Null)}));
    }
    let updated: Vec<&str> = chosen.iter().map(|i| records[*i].id.as_str()).collect();
    Ok(json!({"commissions": out, "updated": updated}))
}

fn page_number(r: &mut Reader, m: &Obj, key: &str, default: u64, range: (u64, u64)) -> u64 {
    let Some(v) = present(m, key) else { return default };
    let n = match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) if !s.is_empty() && s.len() <= 18 && s.bytes().all(|b| b.is_ascii_digit()) => s.parse().ok(),
        _ => None,
    };
    match n {
        Some(n) if n >= range.0 && n <= range.1 => n,
        Some(_) | None if v.is_number() || v.is_string() => {
            let span =
                if range.1 == u64::MAX { format!("{} or more", range.0) } else { format!("{}–{}", range.0, range.1) };
            r.issue(key, "invalid_value", format!("`{key}` must be a whole number {span}, found {v}"));
            default
        }
        _ => {
            r.issue(key, "invalid_type", format!("`{key}` must be a whole number, found {v}"));
            default
        }
    }
}

/// `commissionflow.list`: CommissionFlow's `GET /api/v1/commissions` over the records the host
/// passes (SPEC §11, §18.31). Filters `status`, `userId`, `startDate` and `endDate` (on the
/// credit date, both ends inclusive); sorted by credit date descending, then id ascending;
/// REVERSED records left out; `page` ≥ 1 (default 1) and `limit` 1..=100 (default 50), else
/// `VALIDATION_FAILED`; a page past the end is empty.
///
/// Input: `{commissions: [record], page?, limit?, status?, userId?, startDate?, endDate?}`.
/// Output (the API's `data` object): `{commissions: [record], pagination: {page, limit, total,
/// pages}}` with `pages = ceil(total / limit)` (0 when nothing matches).
///
/// ```
/// use serde_json::json;
/// let rec = |id: &str, date: &str| json!({"id": id, "status": "PENDING", "user": {"id": "u1"},
///                                         "creditDate": date});
/// let out = compcode_core::api::run("commissionflow.list", &json!({
///     "commissions": [rec("c1", "2024-01-05"), rec("c2", "2024-01-20"), rec("c3", "2024-02-01")],
///     "startDate": "2024-01-01", "endDate": "2024-01-31", "limit": 1})).unwrap();
/// assert_eq!(out["commissions"][0]["id"], "c2");
/// assert_eq!(out["pagination"], json!({"page": 1, "limit": 1, "total": 2, "pages": 2}));
/// ```
pub fn list_op(input: &Value) -> Result<Value> {
    let mut r = Reader::default();
    let Some(m) = r.obj(input, "", &["commissions", "page", "limit", "status", "userId", "startDate", "endDate"])
    else {
        return Err(Error::validation(r.issues));
    };
    let page = page_number(&mut r, m, "page", 1, (1, u64::MAX));
    let limit = page_number(&mut r, m, "limit", 50, (1, 100));
    let status = r.string(m, "", "status", false);
    if let Some(s) = &status {
        if !STATUSES.contains(&s.as_str()) {
            r.issue("status", "invalid_value", format!("`status` must be PENDING, APPROVED or PAID, found `{s}`"));
        }
    }
    let user = present(m, "userId").and_then(|v| {
        let x = id_of(v);
        if x.is_none() {
            r.issue("userId", "invalid_type", "`userId` must be a non-empty string");
        }
        x
    });
    let start = timestamp(&mut r, m, "", "startDate", false).map(|x| x.1);
    let end = timestamp(&mut r, m, "", "endDate", false).map(|x| x.1);
    let mut records = Vec::new();
    if let Some(items) = r.array(m, "", "commissions", true) {
        for (i, it) in items.iter().enumerate() {
            if let Some(x) = read_record(&mut r, it, &format!("commissions[{i}]"), true) {
                records.push(x);
            }
        }
    }
    if !r.issues.is_empty() {
        return Err(Error::validation(r.issues));
    }
    let mut hits: Vec<&Record<'_>> = records
        .iter()
        .filter(|x| x.status != "REVERSED")
        .filter(|x| status.as_ref().map_or(true, |s| &x.status == s))
        .filter(|x| user.as_ref().map_or(true, |u| x.user_id.as_ref() == Some(u)))
        .filter(|x| start.map_or(true, |s| x.date >= s) && end.map_or(true, |e| x.date <= e))
        .collect();
    hits.sort_by(|a, b| b.date.cmp(&a.date).then_with(|| a.id.cmp(&b.id)));
    let total = hits.len() as u64;
    let pages = total.div_ceil(limit);
    let from = (page - 1).saturating_mul(limit);
    let items: Vec<Value> = hits
        .iter()
        .skip(usize::try_from(from).unwrap_or(usize::MAX))
        .take(limit as usize)
        .map(|x| x.raw.clone())
        .collect();
    Ok(json!({"commissions": items, "pagination": {"page": page, "limit": limit, "total": total, "pages": pages}}))
}

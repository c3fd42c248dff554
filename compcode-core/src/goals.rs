//! Spark goals (SPEC §14, §18.26): a user's target over a date range, progress from the user's
//! credited value of won, non-cancelled deals, days remaining from `asOf`, milestones achieved.
//! Pure: the operation `spark.goals` and the orchestrator's `goals` workflow both call
//! [`progress`].
//!
//! Choices where SPEC is silent:
//! - `goalType` names what is counted: `sales_amount` (default) is the deal amount,
//!   `sales_count` is `deal_count` (1 per deal), anything else is read as a measure (SPEC §4: a
//!   slug in `fields`). The credited value is measure × splitPercent / 100 (SPEC §4); a deal
//!   without the measure counts nothing.
//! - A deal counts when it is won (SPEC §4, §18.2: not cancelled, not deleted), credited to the
//!   user, and its `closeDate` is inside [periodStart, periodEnd] and on or before `asOf`.
//! - `progressPercent` = currentValue / targetValue × 100, rounded to 2 decimals with the
//!   workspace rounding and written with 2 decimals (`"45.00"`); not capped. `currentValue` and
//!   the targets are written normalized. A milestone is achieved when currentValue ≥ its
//!   target. `daysRemaining` = max(0, periodEnd + 1 day − asOf).

use crate::api::IssueIn;
use crate::calc::{is_won, measure_value, Index};
use crate::decimal::{fmt_money, fmt_plain, round_money};
use crate::error::{Error, Issue, Result};
use crate::model::CalcDoc;
use crate::period::parse_date;
use crate::validate::read_document;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::collections::HashSet;

/// A goal (SPEC §18.26 input).
#[derive(Debug, Clone, PartialEq)]
pub struct Goal {
    /// Id.
    pub goal_id: String,
    /// Whose goal.
    pub user_id: String,
    /// What is counted.
    pub goal_type: String,
    /// Target (> 0).
    pub target: Decimal,
    /// First day.
    pub start: NaiveDate,
    /// Last day (inclusive).
    pub end: NaiveDate,
    /// (milestoneId, target).
    pub milestones: Vec<(String, Decimal)>,
}

fn id_of(v: Option<&Value>) -> Option<String> {
    match v {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Some(n.to_string()),
        _ => None,
    }
}

fn dec_of(v: Option<&Value>) -> Option<Decimal> {
    v.and_then(crate::condition::number_of)
}

fn push(issues: &mut Vec<Issue>, path: String, code: &'static str, message: &str) {
    issues.push(Issue { path, code, message: message.into(), suggestion: None });
}

/// Reads `goals` (a list) with every problem reported with its path (`goals[0].targetValue`).
pub fn read_goals(v: &Value, path: &str) -> Result<Vec<Goal>> {
    let (goals, issues) = goals_and_issues(v, path);
    if issues.is_empty() {
        Ok(goals)
    } else {
        Err(Error::validation(issues))
    }
}

fn goals_and_issues(v: &Value, path: &str) -> (Vec<Goal>, Vec<Issue>) {
    let mut issues = Vec::new();
    let mut out = Vec::new();
    let Some(items) = v.as_array() else {
        push(&mut issues, path.into(), "invalid_type", "`goals` must be a list");
        return (out, issues);
    };
    let known = ["goalId", "userId", "userName", "goalType", "targetValue", "periodStart", "periodEnd", "milestones"];
    let mut seen = HashSet::new();
    for (i, g) in items.iter().enumerate() {
        let p = format!("{path}[{i}]");
        let at = |k: &str| format!("{p}.{k}");
        let Some(obj) = g.as_object() else {
            push(&mut issues, p.clone(), "invalid_type", "a goal is an object");
            continue;
        };
        for k in obj.keys() {
            if !known.contains(&k.as_str()) {
                let suggestion = crate::validate::suggest(k, &known);
                issues.push(Issue {
                    path: at(k),
                    code: "unknown_field",
                    message: format!("unknown field `{k}`"),
                    suggestion,
                });
            }
        }
        let goal_id = id_of(obj.get("goalId"));
        match &goal_id {
            None => push(&mut issues, at("goalId"), "required", "`goalId` (a string or integer id) is required"),
            Some(gid) if !seen.insert(gid.clone()) => {
                push(&mut issues, at("goalId"), "duplicate", "this goalId is used twice")
            }
            _ => {}
        }
        let user_id = id_of(obj.get("userId"));
        if user_id.is_none() {
            push(&mut issues, at("userId"), "required", "`userId` (a string or integer id) is required");
        }
        let goal_type = match obj.get("goalType") {
            None | Some(Value::Null) => Some("sales_amount".to_string()),
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            Some(_) => {
                push(&mut issues, at("goalType"), "invalid_type", "`goalType` must be a non-empty string");
                None
            }
        };
        let target = dec_of(obj.get("targetValue"));
        match target {
            None => push(&mut issues, at("targetValue"), "invalid_decimal", "`targetValue` must be a decimal"),
            Some(t) if t <= Decimal::ZERO => {
                push(&mut issues, at("targetValue"), "invalid_value", "`targetValue` must be greater than 0")
            }
            _ => {}
        }
        let date = |k: &str| obj.get(k).and_then(Value::as_str).and_then(|s| parse_date(s, false));
        let (start, end) = (date("periodStart"), date("periodEnd"));
        if start.is_none() {
            push(&mut issues, at("periodStart"), "invalid_date", "`periodStart` must be a date YYYY-MM-DD");
        }
        if end.is_none() {
            push(&mut issues, at("periodEnd"), "invalid_date", "`periodEnd` must be a date YYYY-MM-DD");
        }
        if let (Some(s), Some(e)) = (start, end) {
            if e < s {
                push(&mut issues, at("periodEnd"), "invalid_value", "`periodEnd` is before `periodStart`");
            }
        }
        let mut milestones = Vec::new();
        match obj.get("milestones") {
            None | Some(Value::Null) => {}
            Some(Value::Array(ms)) => {
                for (j, m) in ms.iter().enumerate() {
                    let mp = format!("{p}.milestones[{j}]");
                    let mid = id_of(m.get("milestoneId"));
                    let mt = dec_of(m.get("targetValue"));
                    if mid.is_none() {
                        push(&mut issues, format!("{mp}.milestoneId"), "required", "`milestoneId` is required");
                    }
                    if mt.is_none() {
                        push(
                            &mut issues,
                            format!("{mp}.targetValue"),
                            "invalid_decimal",
                            "`targetValue` must be a decimal",
                        );
                    }
                    if let (Some(a), Some(b)) = (mid, mt) {
                        milestones.push((a, b));
                    }
                }
            }
            Some(_) => push(&mut issues, at("milestones"), "invalid_type", "`milestones` must be a list"),
        }
        if let (Some(goal_id), Some(user_id), Some(goal_type), Some(target), Some(start), Some(end)) =
            (goal_id, user_id, goal_type, target, start, end)
        {
            out.push(Goal { goal_id, user_id, goal_type, target, start, end, milestones });
        }
    }
    (out, issues)
}

/// Goal progress as of the document's `asOf` (the seed's `GET /goals/{id}` shape).
pub fn progress(doc: &CalcDoc, goals: &[Goal]) -> Result<Vec<Value>> {
    let ix = Index::new(doc);
    let (mut scratch, mut credits) = (Vec::new(), Vec::new());
    let mut out = Vec::with_capacity(goals.len());
    for g in goals {
        let measure = match g.goal_type.as_str() {
            "sales_amount" => "amount",
            "sales_count" => "deal_count",
            other => other,
        };
        let mut current = Decimal::ZERO;
        for (di, deal) in doc.deals.iter().enumerate() {
            let Some(date) = deal.close_date else { continue };
            if date < g.start || date > g.end || date > doc.as_of || !is_won(deal, &doc.settings) {
                continue;
            }
            scratch.clear();
            ix.credits(di, &mut scratch, &mut credits);
            for &(rep, share, _) in &credits {
                if doc.reps[rep].id != g.user_id {
                    continue;
                }
                if let Some(m) = measure_value(deal, measure) {
                    let credited = m.checked_mul(share).ok_or_else(|| Error::overflow("a goal's value"))?;
                    current = current.checked_add(credited).ok_or_else(|| Error::overflow("a goal's value"))?;
                }
            }
        }
        let ratio = current
            .checked_mul(Decimal::ONE_HUNDRED)
            .and_then(|x| x.checked_div(g.target))
            .ok_or_else(|| Error::overflow("a goal's progress"))?;
        let pct = round_money(ratio, 2, doc.settings.rounding);
        let days = g.end.succ_opt().map_or(0, |next| (next - doc.as_of).num_days().max(0));
        let name = ix.rep(&g.user_id).map(|r| doc.reps[r].name.clone());
        let milestones: Vec<Value> = g
            .milestones
            .iter()
            .map(|(id, t)| json!({"milestoneId": id, "targetValue": fmt_plain(*t), "isAchieved": current >= *t}))
            .collect();
        out.push(json!({
            "goalId": g.goal_id, "userId": g.user_id, "userName": name, "goalType": g.goal_type,
            "targetValue": fmt_plain(g.target), "currentValue": fmt_plain(current),
            "progressPercent": fmt_money(pct, 2), "periodStart": g.start.to_string(),
            "periodEnd": g.end.to_string(), "daysRemaining": days, "milestones": milestones,
        }));
    }
    Ok(out)
}

/// `spark.goals`: a calculation document (SPEC §0.1; `plans` may be left out) plus `goals` →
/// `{goals: [progress]}`.
///
/// ```
/// use serde_json::json;
/// let out = compcode_core::api::run("spark.goals", &json!({
///   "asOf": "2025-02-05",
///   "reps": [{"id": "10", "name": "Alice Rep"}],
///   "deals": [{"id": "S1", "status": "APPROVED", "amount": 45000, "closeDate": "2025-01-15", "ownerRepId": "10"}],
///   "goals": [{"goalId": 20, "userId": 10, "goalType": "sales_amount", "targetValue": 100000,
///              "periodStart": "2025-01-01", "periodEnd": "2025-03-31",
///              "milestones": [{"milestoneId": 1, "targetValue": 25000}, {"milestoneId": 2, "targetValue": 50000}]}]
/// })).unwrap();
/// let g = &out["goals"][0];
/// assert_eq!((g["currentValue"].as_str(), g["progressPercent"].as_str()), (Some("45000"), Some("45.00")));
/// assert_eq!(g["daysRemaining"], 55);
/// assert_eq!(g["milestones"][1]["isAchieved"], false);
/// ```
pub fn goals_op(input: &Value) -> Result<Value> {
    let mut doc = input.clone();
    let goals_v = match doc.as_object_mut() {
        Some(m) => {
            m.entry("plans").or_insert_with(|| json!([]));
            m.entry("reps").or_insert_with(|| json!([]));
            m.remove("goals").unwrap_or_else(|| json!([]))
        }
        None => Value::Null,
    };
    let (goals, mut issues) = goals_and_issues(&goals_v, "goals");
    let parsed = match read_document(&doc) {
        Ok(p) => Some(p),
        Err(e) => {
            let mut doc_issues: Vec<Issue> = e
                .details()
                .get("errors")
                .and_then(|v| serde_json::from_value::<Vec<IssueIn>>(v.clone()).ok())
                .map(|v| v.into_iter().map(IssueIn::into_issue).collect())
                .unwrap_or_default();
            if doc_issues.is_empty() {
                return Err(e);
            }
            doc_issues.append(&mut issues);
            issues = doc_issues;
            None
        }
    };
    let parsed = match parsed {
        Some(p) if issues.is_empty() => p,
        _ => return Err(Error::validation(issues)),
    };
    Ok(json!({"goals": progress(&parsed, &goals)?}))
}

//! Spark rate tables (SPEC §9, §18.5–§18.8): which row of a rule's `rateTable` applies to one
//! participant of one sale, and the seed's `GET /rates/lookup` as the pure operation
//! `spark.rate_lookup`.
//!
//! A row matches a (sale, participant) when each of its non-null keys equals the sale's or the
//! participant's value — `userId` the participant's rep id, `roleId` the participant's credit
//! `role`, `installerId` / `stateCode` / `projectTypeId` the deal's `fields` of those names —
//! comparing ids as strings (`10` = `"10"`), and the sale's credit date is inside the row's
//! effective range (both ends included). The most specific match wins: most non-null keys; then
//! the key priority `userId > roleId > installerId > stateCode > projectTypeId` (the row having
//! the higher-priority key wins); then the latest `effectiveStartDate`. Rows that would tie
//! exactly are refused when the plan is read, so the winner is unique.
//!
//! Choices where SPEC is silent:
//! - A sale key field that is a JSON number is read as its text; `10.0` is not `10`.
//! - A participant without a `role` (the default owner credit) matches only rows without
//!   `roleId`.
//! - `spark.rate_lookup` without a match is `NOT_FOUND` with `details.reason = "no_rate"`, like
//!   the seed's REST call; rate-table decimals are written normalized (`"4"`, `"100"`), and
//!   `percentMpN` / `flatMpN` are listed for milestones 1 and 2 and any other the row names,
//!   0 when missing (SPEC §18.8).

use crate::calc::credit_date_of;
use crate::decimal::fmt_plain;
use crate::error::{Error, ErrorCode, Issue, Result};
use crate::model::{Deal, RateRow, RATE_KEYS};
use crate::validate::Reader;
use chrono::NaiveDate;
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;

/// The row that applies, with the keys it matched on.
#[derive(Debug, Clone, PartialEq)]
pub struct RateMatch<'a> {
    /// Position of the row in the table.
    pub index: usize,
    /// The row.
    pub row: &'a RateRow,
    /// The row's non-null keys, in priority order (SPEC §9 `matchedOn`).
    pub matched_on: Vec<&'static str>,
}

/// A sale key read from the deal's `fields` as an id string.
fn sale_key(deal: &Deal, key: &str) -> Option<String> {
    match deal.fields.get(key)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The most specific row matching (sale, participant) on `date` (SPEC §9, §18.7).
///
/// ```
/// use compcode_core::model::{Deal, RateRow};
/// use compcode_core::rate_table::lookup;
/// let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
/// let row = |user: Option<&str>, state: Option<&str>| RateRow {
///     rate_id: None, keys: [user.map(Into::into), None, None, state.map(Into::into), None],
///     effective_start: d("2025-01-01"), effective_end: None, milestones: Default::default() };
/// let rows = vec![row(None, Some("TX")), row(Some("10"), None)];
/// let mut deal = Deal { id: "S1".into(), name: None, stage: None, amount: None, close_date: None,
///     currency: None, owner_rep_id: None, owner_crm_id: None, owner_email: None,
///     fields: Default::default(), credits: None, deleted: false, status: None };
/// deal.fields.insert("stateCode".into(), "TX".into());
/// // one key each: userId outranks stateCode
/// let m = lookup(&rows, "10", None, &deal, d("2025-01-15")).unwrap();
/// assert_eq!((m.index, m.matched_on), (1, vec!["userId"]));
/// ```
pub fn lookup<'a>(
    rows: &'a [RateRow],
    user: &str,
    role: Option<&str>,
    deal: &Deal,
    date: NaiveDate,
) -> Option<RateMatch<'a>> {
    let values: [Option<String>; 5] = [
        Some(user.to_string()),
        role.map(str::to_string),
        sale_key(deal, "installerId"),
        sale_key(deal, "stateCode"),
        sale_key(deal, "projectTypeId"),
    ];
    rows.iter()
        .enumerate()
        .filter(|(_, r)| r.covers(date))
        .filter(|(_, r)| r.keys.iter().zip(values.iter()).all(|(k, v)| k.is_none() || k == v))
        .max_by(|(ia, a), (ib, b)| {
            let rank = |r: &RateRow| {
                let present: Vec<bool> = r.keys.iter().map(Option::is_some).collect();
                (present.iter().filter(|p| **p).count(), present, r.effective_start)
            };
            // equal rank cannot happen (refused when read); the earlier row wins to stay total
            rank(a).cmp(&rank(b)).then(ib.cmp(ia))
        })
        .map(|(index, row)| RateMatch {
            index,
            row,
            matched_on: RATE_KEYS.iter().zip(row.keys.iter()).filter(|(_, k)| k.is_some()).map(|(n, _)| *n).collect(),
        })
}

/// The seed's lookup answer for a matched row.
pub fn row_json(m: &RateMatch<'_>) -> Value {
    let r = m.row;
    let mut out = Map::new();
    out.insert("rateId".into(), r.rate_id.clone().map_or(Value::Null, Value::String));
    for (name, k) in RATE_KEYS.iter().zip(r.keys.iter()) {
        out.insert((*name).into(), k.clone().map_or(Value::Null, Value::String));
    }
    let numbers: BTreeSet<u32> = [1, 2].into_iter().chain(r.milestones.keys().copied()).collect();
    for n in numbers {
        let (p, f) = r.rates(n);
        out.insert(format!("percentMp{n}"), json!(fmt_plain(p)));
        out.insert(format!("flatMp{n}"), json!(fmt_plain(f)));
    }
    out.insert("effectiveStartDate".into(), json!(r.effective_start.to_string()));
    out.insert("effectiveEndDate".into(), r.effective_end.map_or(Value::Null, |d| json!(d.to_string())));
    out.insert("matchedOn".into(), json!(m.matched_on));
    Value::Object(out)
}

/// `spark.rate_lookup` (the seed's `GET /rates/lookup`): `{rateTable: [row], deal: <deal
/// snapshot>, userId, roleId?, creditDateField?}` → the matching row with `matchedOn` (plus
/// `rowIndex` and `saleDate`). `roleId` defaults to the role of `userId`'s credit on the deal.
///
/// ```
/// use serde_json::json;
/// let out = compcode_core::api::run("spark.rate_lookup", &json!({
///   "rateTable": [
///     {"rateId": 1, "stateCode": "TX", "effectiveStartDate": "2025-01-01", "percentMp1": 3},
///     {"rateId": 100, "userId": 10, "roleId": 1, "stateCode": "TX", "effectiveStartDate": "2025-01-01",
///      "percentMp1": "4.00", "flatMp1": "100.00", "percentMp2": "2.00", "flatMp2": "50.00"}],
///   "deal": {"id": 123, "amount": 25000, "closeDate": "2025-01-15", "fields": {"stateCode": "TX"},
///            "credits": [{"repId": 10, "role": 1}]},
///   "userId": 10})).unwrap();
/// assert_eq!(out["rateId"], "100");
/// assert_eq!(out["matchedOn"], json!(["userId", "roleId", "stateCode"]));
/// assert_eq!(out["percentMp1"], "4");
/// ```
pub fn lookup_op(input: &Value) -> Result<Value> {
    let mut r = Reader::new();
    let Some(m) = r.obj(input, "", &["rateTable", "deal", "userId", "roleId", "creditDateField"]) else {
        return r.finish(None);
    };
    let rows = r.rate_table(m, "");
    let deal = match m.get("deal") {
        Some(v) if !v.is_null() => r.deal(v, "deal"),
        _ => {
            r.issue("deal", "required", "`deal` (a deal snapshot) is required");
            None
        }
    };
    let id_of = |v: Option<&Value>| match v {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Some(n.to_string()),
        _ => None,
    };
    let user = id_of(m.get("userId"));
    if user.is_none() {
        r.issue("userId", "required", "`userId` (a string or integer id) is required");
    }
    let role_given = id_of(m.get("roleId"));
    if m.get("roleId").is_some_and(|v| !v.is_null()) && role_given.is_none() {
        r.issue("roleId", "invalid_type", "`roleId` must be a string or integer id");
    }
    let date_field = m.get("creditDateField").and_then(Value::as_str).map(str::to_string);
    let deal = r.finish(deal)?;
    let user = user.unwrap_or_default();
    let role = role_given.or_else(|| {
        deal.credits.iter().flatten().find(|c| c.rep_id == user).and_then(|c| c.role.as_deref().map(str::to_string))
    });
    let date = credit_date_of(&deal, date_field.as_deref()).ok_or_else(|| {
        Error::validation(vec![Issue {
            path: date_field.as_ref().map_or("deal.closeDate".into(), |f| format!("deal.fields.{f}")),
            code: "required",
            message: "the sale needs a readable credit date to pick a rate row".into(),
            suggestion: None,
        }])
    })?;
    match lookup(&rows, &user, role.as_deref(), &deal, date) {
        Some(found) => {
            let mut out = row_json(&found);
            out["rowIndex"] = json!(found.index);
            out["saleDate"] = json!(date.to_string());
            Ok(out)
        }
        None => Err(Error::with_details(
            ErrorCode::NotFound,
            format!("no rate row matches user `{user}` on sale `{}` ({date})", deal.id),
            json!({"reason": "no_rate", "userId": user, "roleId": role, "dealId": deal.id, "saleDate": date.to_string()}),
        )),
    }
}

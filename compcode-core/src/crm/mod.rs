//! CRM payloads → deal snapshots and deal changes (SPEC §19), the field catalogue and
//! `autoMatch`.
//!
//! Pure adapters: no I/O. The host fetches from its CRM and passes the payloads in.
//!
//! * [`hubspot`]: CRM v3 deal objects `{id, properties, createdAt, updatedAt, archived}` and
//!   webhook event batches (`deal.creation`, `deal.propertyChange`, `deal.deletion`).
//! * [`attio`]: record payloads whose `values` hold lists of typed values, and webhook
//!   deliveries `{webhook_id, events: [{event_type, id: {record_id, …}, actor}]}`.
//! * [`catalog`]: `attributes` from a CRM schema payload and `autoMatch`.
//!
//! ## The field mapping
//!
//! `{slug: crmProperty}`. The canonical slugs fill the snapshot's attributes (SPEC §4):
//!
//! | slug | snapshot |
//! | --- | --- |
//! | `closed_won_revenue` | `amount` (and `currency` from an Attio currency value) |
//! | `deal_stage` | `stage` |
//! | `close_date` | `closeDate` (a timestamp is cut to its UTC date) |
//! | `owner` | `ownerEmail` when the value holds `@`, else `ownerCrmId` |
//! | `deal_name` | `name` |
//! | any other slug (`deal_type` included) | `fields[slug]` |
//!
//! ## Readings where the CRMs' documents leave a choice (also in DESIGN.md)
//!
//! * A mapping naming a CRM property that the payload does not carry is `VALIDATION_FAILED`
//!   (`unknown_reference` at `mapping.<slug>`, the message naming the payload path): a snapshot built without it would silently
//!   drop the deal from every plan. A property present with `null` (HubSpot) or an empty value
//!   list (Attio) is "not set" and is left out of the snapshot.
//! * A webhook batch is converted all or nothing: any bad event fails the whole batch and
//!   nothing is applied. Events of another object type (`contact.*` in a HubSpot deal batch,
//!   `note.*` or a record of another object in an Attio delivery) make the batch invalid.
//! * Events are applied in `occurredAt` order (HubSpot does not guarantee delivery order), ties
//!   in list order. A `propertyChange` of an unmapped property changes nothing (kind `ignored`).
//! * Attio webhooks carry ids only; the host fetches the records and passes them in `records`
//!   (by record id). A `record.created`/`record.updated` whose record is missing there is
//!   `VALIDATION_FAILED` at `records.<record_id>`.
//! * Attio archive: a record payload with `"archived": true` (the host's marker) becomes a
//!   deleted snapshot, exactly like `record.deleted` (SPEC §19: an archive is a deletion).
//! * Limits: a batch holds at most [`MAX_EVENTS`] events, a string at most [`MAX_TEXT`]
//!   characters; more is `VALIDATION_FAILED` (`too_large`).

pub mod attio;
pub mod catalog;
pub mod hubspot;

use crate::error::{Error, Issue, Result};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// The canonical slugs, in the order `autoMatch` reports them.
pub const CANONICAL_SLUGS: &[&str] =
    &["closed_won_revenue", "deal_stage", "close_date", "owner", "deal_type", "deal_name"];

/// Most events one webhook batch may hold.
pub const MAX_EVENTS: usize = 1000;
/// Longest accepted string value (characters).
pub const MAX_TEXT: usize = 10_000;

/// A field mapping `{slug: crmProperty}`, in slug order.
pub type Mapping = BTreeMap<String, String>;

pub(crate) fn issue(path: impl Into<String>, code: &'static str, message: impl Into<String>) -> Issue {
    Issue { path: path.into(), code, message: message.into(), suggestion: None }
}

pub(crate) fn fail(path: impl Into<String>, code: &'static str, message: impl Into<String>) -> Error {
    Error::validation(vec![issue(path, code, message)])
}

/// Reads `input.mapping`: an object of non-empty strings.
pub fn read_mapping(input: &Value) -> Result<Mapping> {
    let Some(m) = input.get("mapping") else {
        return Err(fail("mapping", "required", "`mapping` ({slug: crmProperty}) is required"));
    };
    let Some(obj) = m.as_object() else {
        return Err(fail("mapping", "invalid_type", "`mapping` must be an object {slug: crmProperty}"));
    };
    let mut out = Mapping::new();
    let mut issues = Vec::new();
    for (k, v) in obj {
        match v.as_str() {
            Some(p) if !p.is_empty() && p.chars().count() <= MAX_TEXT => {
                out.insert(k.clone(), p.to_string());
            }
            _ => {
                issues.push(issue(format!("mapping.{k}"), "invalid_type", "a CRM property name (a string) is required"))
            }
        }
    }
    if issues.is_empty() {
        Ok(out)
    } else {
        Err(Error::validation(issues))
    }
}

/// A typed value read from a CRM payload, before it lands in a snapshot.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    /// Not set (null, empty list).
    Unset,
    /// Text (also select, status, actor ids).
    Text(String),
    /// A decimal, kept as its text.
    Number(String),
    /// A date `YYYY-MM-DD`.
    Date(String),
    /// A boolean.
    Bool(bool),
}

/// Checks a decimal text (`-?digits(.digits)?`) and normalizes it through `Decimal`.
pub(crate) fn decimal_text(t: &str) -> Option<String> {
    let t = t.trim();
    let ok = {
        let body = t.strip_prefix('-').unwrap_or(t);
        let mut parts = body.splitn(2, '.');
        let int = parts.next().unwrap_or("");
        let frac = parts.next();
        !int.is_empty()
            && int.bytes().all(|b| b.is_ascii_digit())
            && frac.map_or(true, |f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
    };
    if !ok {
        return None;
    }
    t.parse::<rust_decimal::Decimal>().ok().map(crate::decimal::fmt_plain)
}

/// A date from `YYYY-MM-DD`, an ISO timestamp (`2024-03-31T00:00:00.000Z`: its UTC date) or
/// epoch milliseconds (HubSpot's older date format).
pub(crate) fn date_text(t: &str) -> Option<String> {
    let t = t.trim();
    if !t.is_empty() && t.len() <= 15 && t.bytes().all(|b| b.is_ascii_digit()) {
        let ms: i64 = t.parse().ok()?;
        let dt = chrono::DateTime::from_timestamp_millis(ms)?;
        return Some(dt.date_naive().to_string());
    }
    if t.len() >= 10 && t.is_char_boundary(10) {
        let (d, rest) = t.split_at(10);
        if rest.is_empty() || rest.starts_with('T') || rest.starts_with(' ') {
            if rest.len() > 1 {
                // a timestamp: read it whole so an offset moves the date to UTC
                if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(t) {
                    return Some(dt.with_timezone(&chrono::Utc).date_naive().to_string());
                }
            }
            return crate::period::parse_date(d, false).map(|d| d.to_string());
        }
    }
    None
}

/// Puts one mapped cell into a snapshot (SPEC §4 attributes for the canonical slugs).
pub(crate) fn place(snapshot: &mut Value, slug: &str, cell: &Cell) {
    let obj = match snapshot.as_object_mut() {
        Some(o) => o,
        None => return,
    };
    let target = match slug {
        "closed_won_revenue" => Some("amount"),
        "deal_stage" => Some("stage"),
        "close_date" => Some("closeDate"),
        "deal_name" => Some("name"),
        _ => None,
    };
    let json = match cell {
        Cell::Unset => Value::Null,
        Cell::Text(t) | Cell::Number(t) | Cell::Date(t) => json!(t),
        Cell::Bool(b) => json!(b),
    };
    if slug == "owner" {
        obj.remove("ownerCrmId");
        obj.remove("ownerEmail");
        if let Cell::Text(t) | Cell::Number(t) = cell {
            let key = if t.contains('@') { "ownerEmail" } else { "ownerCrmId" };
            obj.insert(key.into(), json!(t));
        }
        return;
    }
    match target {
        Some(k) => {
            if json.is_null() {
                obj.remove(k);
            } else {
                obj.insert(k.into(), json);
            }
        }
        None => {
            let fields = obj.entry("fields").or_insert_with(|| Value::Object(Map::new()));
            if let Some(f) = fields.as_object_mut() {
                if json.is_null() {
                    f.remove(slug);
                } else {
                    f.insert(slug.to_string(), json);
                }
            }
        }
    }
}

/// The owner reference of a snapshot (`ownerRepId`, `ownerCrmId` or `ownerEmail`).
pub(crate) fn owner_of(snapshot: &Value) -> Option<String> {
    ["ownerRepId", "ownerCrmId", "ownerEmail"]
        .iter()
        .find_map(|k| snapshot.get(*k).and_then(Value::as_str))
        .map(str::to_string)
}

/// One deal change a webhook batch produced.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DealChange {
    /// `upsert`, `owner_change`, `delete` or `ignored`.
    pub kind: &'static str,
    /// The deal (CRM id).
    pub deal_id: String,
    /// The CRM's event id.
    pub event_id: Option<Value>,
    /// When it happened, as the CRM wrote it.
    pub occurred_at: Option<Value>,
    /// The CRM property that changed (property changes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub property: Option<String>,
    /// The mapped slug of that property.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slug: Option<String>,
    /// Owner before (owner changes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_owner: Option<String>,
    /// Owner after (owner changes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Why nothing changes (`unmapped_property`, `unknown_deal`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    /// The snapshot after the change (upserts and owner changes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<Value>,
}

/// A converted webhook batch: its changes in order and the final snapshot of every deal it
/// touched (deleted ones marked `deleted: true`).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct WebhookResult {
    /// Provider: `hubspot` or `attio`.
    pub provider: &'static str,
    /// The changes, in application order.
    pub changes: Vec<DealChange>,
    /// Final snapshots by deal id.
    pub deals: Vec<Value>,
}

/// Known snapshots passed as `deals: [snapshot]` (the current state webhooks change).
pub(crate) fn current_deals(input: &Value) -> Result<BTreeMap<String, Value>> {
    let mut out = BTreeMap::new();
    match input.get("deals") {
        None | Some(Value::Null) => {}
        Some(Value::Array(a)) => {
            for (i, d) in a.iter().enumerate() {
                let id = match d.get("id") {
                    Some(Value::String(s)) if !s.is_empty() => s.clone(),
                    Some(Value::Number(n)) => n.to_string(),
                    _ => return Err(fail(format!("deals[{i}].id"), "required", "a deal snapshot needs an `id`")),
                };
                out.insert(id, d.clone());
            }
        }
        Some(_) => return Err(fail("deals", "invalid_type", "`deals` must be a list of deal snapshots")),
    }
    Ok(out)
}

/// Reads a string that must not be oversized.
pub(crate) fn text_at(v: &Value, path: &str) -> Result<Option<String>> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) if s.chars().count() > MAX_TEXT => {
            Err(fail(path, "too_large", format!("at most {MAX_TEXT} characters")))
        }
        Value::String(s) => Ok(Some(s.clone())),
        _ => Err(fail(path, "invalid_type", "a string is required")),
    }
}

/// A webhook body given as JSON text is parsed (truncated text is `invalid_json`).
pub(crate) fn parse_if_text(v: &Value, path: &str) -> Result<Value> {
    match v {
        Value::String(t) => crate::validate::parse_json(t).map_err(|e| {
            let msg = e.to_string();
            fail(path, "invalid_json", format!("the webhook body is not valid JSON: {msg}"))
        }),
        other => Ok(other.clone()),
    }
}

fn to_value<T: serde::Serialize>(v: &T) -> Result<Value> {
    serde_json::to_value(v).map_err(|e| Error::new(crate::ErrorCode::InternalError, e.to_string()))
}

/// The `crm.*` operations of [`crate::api::run`].
///
/// | operation | input → output |
/// | --- | --- |
/// | `crm.hubspot.deal` | `{deal, mapping}` → deal snapshot |
/// | `crm.hubspot.webhook` | `{events, mapping, deals?}` → `{provider, changes, deals}` |
/// | `crm.attio.record` | `{record, mapping}` → deal snapshot |
/// | `crm.attio.webhook` | `{payload, mapping, records?, deals?, objectId?}` → `{provider, changes, deals}` |
/// | `crm.attributes` | `{schema, provider?}` → `{provider, attributes}` |
/// | `crm.auto_match` | `{attributes}` or `{schema}` → `{mapping, proposals, unmatched}` |
///
/// ```
/// use serde_json::json;
/// let out = compcode_core::api::run("crm.hubspot.deal", &json!({
///     "deal": {"id": "512", "properties": {"amount": "1500.50", "dealstage": "closedwon",
///              "closedate": "2026-02-03T00:00:00.000Z", "hubspot_owner_id": "910"}},
///     "mapping": {"closed_won_revenue": "amount", "deal_stage": "dealstage",
///                 "close_date": "closedate", "owner": "hubspot_owner_id"}})).unwrap();
/// assert_eq!(out["amount"], "1500.5");
/// assert_eq!(out["closeDate"], "2026-02-03");
/// assert_eq!(out["ownerCrmId"], "910");
/// ```
pub fn run_op(operation: &str, input: &Value) -> Result<Value> {
    if !input.is_object() {
        return Err(fail("", "invalid_type", "the input must be an object"));
    }
    match operation {
        "crm.hubspot.deal" => {
            let mapping = read_mapping(input)?;
            let deal = input.get("deal").ok_or_else(|| fail("deal", "required", "`deal` is required"))?;
            hubspot::deal_snapshot(deal, &mapping, "deal")
        }
        "crm.hubspot.webhook" => to_value(&hubspot::webhook_op(input)?),
        "crm.attio.record" => {
            let mapping = read_mapping(input)?;
            let rec = input.get("record").ok_or_else(|| fail("record", "required", "`record` is required"))?;
            attio::record_snapshot(rec, &mapping, "record")
        }
        "crm.attio.webhook" => to_value(&attio::webhook_op(input)?),
        "crm.attributes" => catalog::attributes_op(input),
        "crm.auto_match" => catalog::auto_match_op(input),
        other => Err(Error::new(crate::ErrorCode::NotFound, format!("unknown operation `{other}`"))),
    }
}

/// Converts a webhook batch of either provider (`{provider: "hubspot" | "attio", …}`) — the
/// orchestrator's `crm_webhook` workflow uses it with the stored snapshots as `deals`.
pub fn webhook(input: &Value) -> Result<WebhookResult> {
    match input.get("provider").and_then(Value::as_str) {
        Some("hubspot") => hubspot::webhook_op(input),
        Some("attio") => attio::webhook_op(input),
        _ => Err(fail("provider", "invalid_value", "`provider` must be `hubspot` or `attio`")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_decimals() {
        assert_eq!(date_text("2024-03-31T00:00:00.000Z").as_deref(), Some("2024-03-31"));
        assert_eq!(date_text("2024-03-31T23:30:00-02:00").as_deref(), Some("2024-04-01"));
        assert_eq!(date_text("1470145673504").as_deref(), Some("2016-08-02"));
        assert_eq!(date_text("2024-02-30"), None);
        assert_eq!(decimal_text("50000.00").as_deref(), Some("50000"));
        assert_eq!(decimal_text("1e3"), None);
        assert_eq!(decimal_text(".5"), None);
    }
}

//! HubSpot: CRM v3 deal objects and webhook event batches (SPEC §19).
//!
//! Shapes (HubSpot's public documentation):
//! * deal object (`GET /crm/v3/objects/deals/{id}`): `{id, properties: {name: string|null},
//!   createdAt, updatedAt, archived}` — every property value is a string or null;
//! * webhook batch (a JSON array, <https://developers.hubspot.com/docs/api/webhooks>):
//!   `[{eventId, subscriptionId, portalId, appId, occurredAt (epoch ms), subscriptionType,
//!   attemptNumber, objectId, changeSource, propertyName?, propertyValue?}]`; the generic
//!   format (`object.creation` / `object.propertyChange` / `object.deletion` with
//!   `objectTypeId`, <https://developers.hubspot.com/docs/apps/legacy-apps/public-apps/create-generic-webhook-subscriptions>)
//!   is accepted for deals (`0-3`).

use super::{
    current_deals, date_text, decimal_text, fail, issue, owner_of, parse_if_text, place, read_mapping, text_at, Cell,
    DealChange, Mapping, WebhookResult, MAX_EVENTS, MAX_TEXT,
};
use crate::error::{Error, Result};
use serde_json::{json, Value};

/// HubSpot's object type id of deals in generic (`object.*`) webhook events.
pub const DEAL_OBJECT_TYPE: &str = "0-3";

/// A property value read for `slug`: dates for `close_date`, decimals for
/// `closed_won_revenue`, text otherwise (HubSpot sends strings; numbers and booleans are
/// accepted as their text).
fn cell(slug: &str, v: &Value, path: &str) -> Result<Cell> {
    let text = match v {
        Value::Null => return Ok(Cell::Unset),
        Value::String(s) if s.is_empty() => return Ok(Cell::Unset),
        Value::String(s) if s.chars().count() > MAX_TEXT => {
            return Err(fail(path, "too_large", format!("at most {MAX_TEXT} characters")))
        }
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => return Ok(Cell::Bool(*b)),
        _ => return Err(fail(path, "invalid_type", "a HubSpot property value is a string or null")),
    };
    Ok(match slug {
        "closed_won_revenue" => Cell::Number(
            decimal_text(&text).ok_or_else(|| fail(path, "invalid_decimal", format!("`{text}` is not a decimal")))?,
        ),
        "close_date" => Cell::Date(
            date_text(&text)
                .ok_or_else(|| fail(path, "invalid_date", format!("`{text}` is not a date or timestamp")))?,
        ),
        _ => Cell::Text(text),
    })
}

fn id_of(v: Option<&Value>, path: &str) -> Result<String> {
    match v {
        Some(Value::String(s)) if !s.is_empty() && s.len() <= 64 => Ok(s.clone()),
        Some(Value::Number(n)) if n.is_u64() => Ok(n.to_string()),
        None | Some(Value::Null) => Err(fail(path, "required", "an object id is required")),
        _ => Err(fail(path, "invalid_type", "an id is a non-empty string or a whole number")),
    }
}

/// A HubSpot CRM v3 deal object → a deal snapshot (SPEC §4). `archived: true` makes the
/// snapshot `deleted`. Every mapped property must be present in `properties`.
///
/// ```
/// use serde_json::json;
/// let mapping = [("deal_name".to_string(), "dealname".to_string())].into_iter().collect();
/// let snap = compcode_core::crm::hubspot::deal_snapshot(
///     &json!({"id": "7", "properties": {"dealname": "Acme"}, "archived": false}), &mapping, "deal").unwrap();
/// assert_eq!(snap, json!({"id": "7", "name": "Acme", "fields": {}}));
/// ```
pub fn deal_snapshot(deal: &Value, mapping: &Mapping, path: &str) -> Result<Value> {
    let Some(obj) = deal.as_object() else {
        return Err(fail(path, "invalid_type", "a HubSpot deal object `{id, properties}` is required"));
    };
    let at = |k: &str| if path.is_empty() { k.to_string() } else { format!("{path}.{k}") };
    let id = id_of(obj.get("id"), &at("id"))?;
    let props = match obj.get("properties") {
        Some(Value::Object(p)) => p,
        None => return Err(fail(at("properties"), "required", "`properties` is required")),
        Some(_) => return Err(fail(at("properties"), "invalid_type", "`properties` must be an object")),
    };
    let mut snap = json!({"id": id, "fields": {}});
    let mut issues = Vec::new();
    for (slug, prop) in mapping {
        let p = format!("{}.{prop}", at("properties"));
        match props.get(prop) {
            None => issues.push(issue(
                format!("mapping.{slug}"),
                "unknown_reference",
                format!("the mapping sends `{slug}` to `{prop}`, but the deal has no `{p}`"),
            )),
            Some(v) => match cell(slug, v, &p) {
                Ok(c) => place(&mut snap, slug, &c),
                Err(e) => issues.extend(issues_of(e)),
            },
        }
    }
    match obj.get("archived") {
        None | Some(Value::Null) | Some(Value::Bool(false)) => {}
        Some(Value::Bool(true)) => snap["deleted"] = json!(true),
        Some(_) => issues.push(issue(at("archived"), "invalid_type", "`archived` is a boolean")),
    }
    if issues.is_empty() {
        Ok(snap)
    } else {
        Err(Error::validation(issues))
    }
}

pub(crate) fn issues_of(e: Error) -> Vec<crate::error::Issue> {
    let list = e.details().get("errors").cloned().unwrap_or(Value::Null);
    serde_json::from_value::<Vec<crate::api::IssueIn>>(list)
        .map(|v| v.into_iter().map(crate::api::IssueIn::into_issue).collect())
        .unwrap_or_else(|_| vec![issue("", "invalid_value", e.to_string())])
}

/// One checked event.
struct Ev {
    index: usize,
    kind: &'static str,
    deal: String,
    occurred: i64,
    event_id: Option<Value>,
    occurred_raw: Option<Value>,
    property: Option<String>,
    value: Value,
}

fn read_event(e: &Value, i: usize) -> Result<Ev> {
    let p = format!("events[{i}]");
    let Some(obj) = e.as_object() else {
        return Err(fail(p, "invalid_type", "a webhook event is an object"));
    };
    let st = text_at(obj.get("subscriptionType").unwrap_or(&Value::Null), &format!("{p}.subscriptionType"))?
        .ok_or_else(|| fail(format!("{p}.subscriptionType"), "required", "`subscriptionType` is required"))?;
    // HubSpot's generic format (`object.*` with `objectTypeId`; deals are `0-3`)
    if st.starts_with("object.") {
        let ty = text_at(obj.get("objectTypeId").unwrap_or(&Value::Null), &format!("{p}.objectTypeId"))?
            .ok_or_else(|| fail(format!("{p}.objectTypeId"), "required", "an object.* event needs `objectTypeId`"))?;
        if ty != DEAL_OBJECT_TYPE {
            return Err(fail(
                format!("{p}.objectTypeId"),
                "invalid_value",
                format!(
                    "object type `{ty}` is not deals ({DEAL_OBJECT_TYPE}): a deal webhook batch holds only deal events"
                ),
            ));
        }
    }
    let kind = match st.as_str() {
        "deal.creation" | "object.creation" => "creation",
        "deal.propertyChange" | "object.propertyChange" => "propertyChange",
        "deal.deletion" | "object.deletion" => "deletion",
        other if !other.starts_with("deal.") && !other.starts_with("object.") => {
            return Err(fail(
                format!("{p}.subscriptionType"),
                "invalid_value",
                format!("`{other}` is not a deal event: a deal webhook batch holds only deal.* events"),
            ))
        }
        other => {
            return Err(fail(
                format!("{p}.subscriptionType"),
                "invalid_value",
                format!("`{other}` is not supported (deal.creation, deal.propertyChange, deal.deletion)"),
            ))
        }
    };
    let deal = id_of(obj.get("objectId"), &format!("{p}.objectId"))?;
    let occurred = match obj.get("occurredAt") {
        Some(Value::Number(n)) if n.is_i64() => n.as_i64().unwrap_or(0),
        None | Some(Value::Null) => {
            return Err(fail(format!("{p}.occurredAt"), "required", "`occurredAt` is required"))
        }
        _ => {
            return Err(fail(
                format!("{p}.occurredAt"),
                "invalid_type",
                "`occurredAt` is a whole number (epoch milliseconds)",
            ))
        }
    };
    let (property, value) = if kind == "propertyChange" {
        let name = text_at(obj.get("propertyName").unwrap_or(&Value::Null), &format!("{p}.propertyName"))?
            .ok_or_else(|| fail(format!("{p}.propertyName"), "required", "a propertyChange needs `propertyName`"))?;
        let v = match obj.get("propertyValue") {
            None => {
                return Err(fail(format!("{p}.propertyValue"), "required", "a propertyChange needs `propertyValue`"))
            }
            Some(v @ (Value::Null | Value::String(_) | Value::Number(_) | Value::Bool(_))) => v.clone(),
            Some(_) => {
                return Err(fail(format!("{p}.propertyValue"), "invalid_type", "`propertyValue` is a string or null"))
            }
        };
        (Some(name), v)
    } else {
        (None, Value::Null)
    };
    Ok(Ev {
        index: i,
        kind,
        deal,
        occurred,
        event_id: obj.get("eventId").cloned(),
        occurred_raw: obj.get("occurredAt").cloned(),
        property,
        value,
    })
}

/// `crm.hubspot.webhook`: `{events: [event] | "<raw JSON body>", mapping, deals?: [snapshot]}`
/// → the changes, all or nothing.
///
/// ```
/// use serde_json::json;
/// let out = compcode_core::crm::hubspot::webhook_op(&json!({
///   "mapping": {"owner": "hubspot_owner_id"},
///   "deals": [{"id": "9", "ownerCrmId": "1"}],
///   "events": [{"objectId": 9, "subscriptionType": "deal.propertyChange", "occurredAt": 1,
///               "propertyName": "hubspot_owner_id", "propertyValue": "2"}]})).unwrap();
/// assert_eq!(out.changes[0].kind, "owner_change");
/// assert_eq!(out.deals[0]["ownerCrmId"], "2");
/// ```
pub fn webhook_op(input: &Value) -> Result<WebhookResult> {
    let mapping = read_mapping(input)?;
    let events = parse_if_text(input.get("events").unwrap_or(&Value::Null), "events")?;
    let list = match &events {
        Value::Array(a) => a,
        Value::Null => return Err(fail("events", "required", "`events` (the webhook batch, a list) is required")),
        _ => return Err(fail("events", "invalid_type", "a HubSpot webhook batch is a JSON array of events")),
    };
    if list.len() > MAX_EVENTS {
        return Err(fail("events", "too_large", format!("a batch holds at most {MAX_EVENTS} events")));
    }
    let mut issues = Vec::new();
    let mut evs = Vec::with_capacity(list.len());
    for (i, e) in list.iter().enumerate() {
        match read_event(e, i) {
            Ok(ev) => evs.push(ev),
            Err(err) => issues.extend(issues_of(err)),
        }
    }
    let mut deals = current_deals(input)?;
    // property values are checked against the mapping before anything is applied
    let by_prop: std::collections::BTreeMap<&str, &str> =
        mapping.iter().map(|(slug, prop)| (prop.as_str(), slug.as_str())).collect();
    for ev in &evs {
        if let Some(prop) = &ev.property {
            if let Some(slug) = by_prop.get(prop.as_str()) {
                if let Err(e) = cell(slug, &ev.value, &format!("events[{}].propertyValue", ev.index)) {
                    issues.extend(issues_of(e));
                }
            }
        }
    }
    if !issues.is_empty() {
        return Err(Error::validation(issues));
    }
    evs.sort_by_key(|e| (e.occurred, e.index));
    let mut changes = Vec::with_capacity(evs.len());
    let mut touched: Vec<String> = Vec::new();
    for ev in evs {
        let mut ch = DealChange {
            kind: "upsert",
            deal_id: ev.deal.clone(),
            event_id: ev.event_id.clone(),
            occurred_at: ev.occurred_raw.clone(),
            property: ev.property.clone(),
            slug: None,
            previous_owner: None,
            owner: None,
            reason: None,
            snapshot: None,
        };
        let snap = deals.entry(ev.deal.clone()).or_insert_with(|| json!({"id": ev.deal, "fields": {}}));
        match ev.kind {
            "deletion" => {
                snap["deleted"] = json!(true);
                ch.kind = "delete";
            }
            "creation" => {
                if let Some(o) = snap.as_object_mut() {
                    o.remove("deleted");
                }
                ch.snapshot = Some(snap.clone());
            }
            _ => {
                let prop = ev.property.clone().unwrap_or_default();
                match by_prop.get(prop.as_str()) {
                    None => {
                        ch.kind = "ignored";
                        ch.reason = Some("unmapped_property");
                    }
                    Some(slug) => {
                        let c = cell(slug, &ev.value, "")?;
                        let before = owner_of(snap);
                        place(snap, slug, &c);
                        ch.slug = Some(slug.to_string());
                        if *slug == "owner" {
                            let after = owner_of(snap);
                            if before != after {
                                ch.kind = "owner_change";
                                ch.previous_owner = before;
                                ch.owner = after;
                            }
                        }
                        ch.snapshot = Some(snap.clone());
                    }
                }
            }
        }
        if ch.kind != "ignored" && !touched.contains(&ev.deal) {
            touched.push(ev.deal.clone());
        }
        changes.push(ch);
    }
    let out_deals = touched.iter().filter_map(|id| deals.get(id).cloned()).collect();
    Ok(WebhookResult { provider: "hubspot", changes, deals: out_deals })
}

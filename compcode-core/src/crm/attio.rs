//! Attio: record payloads and webhook deliveries (SPEC §19).
//!
//! Shapes (Attio's public documentation, <https://docs.attio.com>):
//! * record (`GET /v2/objects/deals/records/{record_id}` → `{data: record}`): `{id: {workspace_id,
//!   object_id, record_id}, created_at, web_url, values: {attribute_slug: [value]}}`; each value
//!   has `active_from`, `active_until`, `created_by_actor`, `attribute_type` and its typed
//!   properties: currency `{currency_value, currency_code}`, status `{status: {title, …}}`,
//!   select `{option: {title, …}}`, actor-reference `{referenced_actor_type,
//!   referenced_actor_id}`, date / text / number / checkbox / timestamp `{value}`;
//! * webhook delivery: `{webhook_id, events: [{event_type, id: {workspace_id, object_id,
//!   record_id, attribute_id?}, actor: {type, id}}]}` with `record.created`, `record.updated`,
//!   `record.deleted` (ids only — the host fetches the records).
//!
//! The value read is the active one (`active_until` null), else the first of the list.

use super::hubspot::issues_of;
use super::{
    current_deals, date_text, decimal_text, fail, issue, owner_of, parse_if_text, place, read_mapping, text_at, Cell,
    DealChange, Mapping, WebhookResult, MAX_EVENTS,
};
use crate::error::{Error, Result};
use serde_json::{json, Value};

fn short(v: &Value, path: &str) -> Result<String> {
    text_at(v, path)?.ok_or_else(|| fail(path, "required", "a string is required"))
}

/// One Attio value → a cell; the currency code when it is a currency.
fn cell(slug: &str, v: &Value, path: &str) -> Result<(Cell, Option<String>)> {
    let Some(o) = v.as_object() else {
        return Err(fail(path, "invalid_type", "an Attio value is an object with `attribute_type`"));
    };
    let ty = short(o.get("attribute_type").unwrap_or(&Value::Null), &format!("{path}.attribute_type"))?;
    let field = |k: &str| o.get(k).unwrap_or(&Value::Null);
    let num = |v: &Value, p: String| -> Result<String> {
        let t = match v {
            Value::Number(n) => n.to_string(),
            Value::String(s) => s.clone(),
            _ => return Err(fail(p, "invalid_decimal", "a number is required")),
        };
        decimal_text(&t).ok_or_else(|| fail(p, "invalid_decimal", format!("`{t}` is not a decimal")))
    };
    let out = match ty.as_str() {
        "currency" => {
            let n = num(field("currency_value"), format!("{path}.currency_value"))?;
            let code = text_at(field("currency_code"), &format!("{path}.currency_code"))?;
            return Ok((Cell::Number(n), code));
        }
        "number" | "rating" => Cell::Number(num(field("value"), format!("{path}.value"))?),
        "status" => {
            let st = field("status");
            Cell::Text(short(st.get("title").unwrap_or(&Value::Null), &format!("{path}.status.title"))?)
        }
        "select" => {
            // Attio's own example of a status value carries `attribute_type: "select"`
            if let Some(st) = o.get("status") {
                Cell::Text(short(st.get("title").unwrap_or(&Value::Null), &format!("{path}.status.title"))?)
            } else {
                let op = field("option");
                Cell::Text(short(op.get("title").unwrap_or(&Value::Null), &format!("{path}.option.title"))?)
            }
        }
        "actor-reference" => match field("referenced_actor_id") {
            Value::Null => Cell::Unset,
            id => Cell::Text(short(id, &format!("{path}.referenced_actor_id"))?),
        },
        "date" | "timestamp" => {
            let t = short(field("value"), &format!("{path}.value"))?;
            Cell::Date(
                date_text(&t)
                    .ok_or_else(|| fail(format!("{path}.value"), "invalid_date", format!("`{t}` is not a date")))?,
            )
        }
        "checkbox" => match field("value") {
            Value::Bool(b) => Cell::Bool(*b),
            _ => return Err(fail(format!("{path}.value"), "invalid_type", "a checkbox value is a boolean")),
        },
        "text" | "email-address" | "domain" | "phone-number" => {
            let key = match ty.as_str() {
                "email-address" => "email_address",
                "domain" => "domain",
                "phone-number" => "original_phone_number",
                _ => "value",
            };
            Cell::Text(short(field(key), &format!("{path}.{key}"))?)
        }
        other => {
            return Err(fail(
                format!("{path}.attribute_type"),
                "invalid_value",
                format!("attribute type `{other}` cannot be mapped to a deal field"),
            ))
        }
    };
    // the canonical measures need their type
    match (slug, &out) {
        ("closed_won_revenue", Cell::Text(_) | Cell::Date(_) | Cell::Bool(_)) => {
            Err(fail(path, "invalid_type", "closed_won_revenue needs a currency or number attribute"))
        }
        ("close_date", Cell::Text(_) | Cell::Number(_) | Cell::Bool(_)) => {
            Err(fail(path, "invalid_type", "close_date needs a date or timestamp attribute"))
        }
        _ => Ok((out, None)),
    }
}

/// An Attio record (`{data: record}` or the record itself) → a deal snapshot. The record id
/// is `id.record_id`. A host marker `archived: true` makes the snapshot `deleted`.
///
/// ```
/// use serde_json::json;
/// let mapping = [("closed_won_revenue".to_string(), "value".to_string())].into_iter().collect();
/// let rec = json!({"id": {"record_id": "r1"}, "values": {"value": [
///     {"active_until": null, "attribute_type": "currency", "currency_value": 4200, "currency_code": "USD"}]}});
/// let snap = compcode_core::crm::attio::record_snapshot(&rec, &mapping, "record").unwrap();
/// assert_eq!(snap["amount"], "4200");
/// assert_eq!(snap["currency"], "USD");
/// ```
pub fn record_snapshot(record: &Value, mapping: &Mapping, path: &str) -> Result<Value> {
    let (rec, base) = match record.get("data") {
        Some(d) => (d, format!("{path}.data")),
        None => (record, path.to_string()),
    };
    let Some(obj) = rec.as_object() else {
        return Err(fail(&base, "invalid_type", "an Attio record `{id, values}` is required"));
    };
    let at = |k: &str| if base.is_empty() { k.to_string() } else { format!("{base}.{k}") };
    let id = match obj.get("id") {
        Some(Value::Object(i)) => short(i.get("record_id").unwrap_or(&Value::Null), &at("id.record_id"))?,
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        _ => return Err(fail(at("id.record_id"), "required", "the record id `id.record_id` is required")),
    };
    let values = match obj.get("values") {
        Some(Value::Object(v)) => v,
        None => return Err(fail(at("values"), "required", "`values` is required")),
        Some(_) => return Err(fail(at("values"), "invalid_type", "`values` must be an object of value lists")),
    };
    let mut snap = json!({"id": id, "fields": {}});
    let mut issues = Vec::new();
    for (slug, attr) in mapping {
        let p = format!("{}.{attr}", at("values"));
        let list = match values.get(attr) {
            None => {
                issues.push(issue(
                    format!("mapping.{slug}"),
                    "unknown_reference",
                    format!("the mapping sends `{slug}` to `{attr}`, but the record has no `{p}`"),
                ));
                continue;
            }
            Some(Value::Array(l)) => l,
            Some(_) => {
                issues.push(issue(&p, "invalid_type", "an Attio attribute holds a list of values"));
                continue;
            }
        };
        let pick = list
            .iter()
            .position(|v| v.get("active_until").map_or(true, Value::is_null))
            .or(if list.is_empty() { None } else { Some(0) });
        let Some(k) = pick else {
            place(&mut snap, slug, &Cell::Unset);
            continue;
        };
        match cell(slug, &list[k], &format!("{p}[{k}]")) {
            Ok((c, code)) => {
                place(&mut snap, slug, &c);
                if let (Some(code), "closed_won_revenue") = (code, slug.as_str()) {
                    snap["currency"] = json!(code);
                }
            }
            Err(e) => issues.extend(issues_of(e)),
        }
    }
    match obj.get("archived").or_else(|| record.get("archived")) {
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

/// `crm.attio.webhook`: `{payload: {webhook_id, events} | "<raw JSON body>", mapping,
/// records?: {record_id: record}, deals?: [snapshot], objectId?}` → the changes, all or nothing.
/// `objectId` (the deals object's id) rejects events about records of another object.
///
/// ```
/// use serde_json::json;
/// let out = compcode_core::crm::attio::webhook_op(&json!({"mapping": {}, "payload": {"webhook_id": "w",
///   "events": [{"event_type": "record.deleted", "id": {"workspace_id": "ws", "object_id": "o", "record_id": "r1"},
///               "actor": {"type": "workspace-member", "id": "m"}}]}})).unwrap();
/// assert_eq!(out.changes[0].kind, "delete");
/// ```
pub fn webhook_op(input: &Value) -> Result<WebhookResult> {
    let mapping = read_mapping(input)?;
    let payload = parse_if_text(input.get("payload").unwrap_or(&Value::Null), "payload")?;
    let events = match payload.get("events") {
        Some(Value::Array(a)) => a,
        Some(_) => return Err(fail("payload.events", "invalid_type", "`events` must be a list")),
        None if payload.is_object() => return Err(fail("payload.events", "required", "`events` is required")),
        None => return Err(fail("payload", "required", "`payload` (the webhook delivery object) is required")),
    };
    if events.len() > MAX_EVENTS {
        return Err(fail("payload.events", "too_large", format!("a delivery holds at most {MAX_EVENTS} events")));
    }
    let object_filter = input.get("objectId").and_then(Value::as_str);
    let records = match input.get("records") {
        None | Some(Value::Null) => serde_json::Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return Err(fail("records", "invalid_type", "`records` maps record ids to record payloads")),
    };
    let mut deals = current_deals(input)?;
    let mut issues = Vec::new();
    let mut parsed: Vec<(&'static str, String, Option<Value>)> = Vec::new();
    for (i, e) in events.iter().enumerate() {
        let p = format!("payload.events[{i}]");
        let r = (|| -> Result<(&'static str, String, Option<Value>)> {
            if !e.is_object() {
                return Err(fail(&p, "invalid_type", "a webhook event is an object"));
            }
            let ty = short(e.get("event_type").unwrap_or(&Value::Null), &format!("{p}.event_type"))?;
            let kind = match ty.as_str() {
                "record.created" | "record.updated" => "upsert",
                "record.deleted" => "delete",
                other if other.starts_with("record.") => {
                    return Err(fail(
                        format!("{p}.event_type"),
                        "invalid_value",
                        format!("`{other}` is not supported (record.created, record.updated, record.deleted)"),
                    ))
                }
                other => {
                    return Err(fail(
                        format!("{p}.event_type"),
                        "invalid_value",
                        format!("`{other}` is not a record event: a deal delivery holds only record.* events"),
                    ))
                }
            };
            let ids = e.get("id").filter(|v| v.is_object()).ok_or_else(|| {
                fail(format!("{p}.id"), "required", "`id` {workspace_id, object_id, record_id} is required")
            })?;
            let rid = short(ids.get("record_id").unwrap_or(&Value::Null), &format!("{p}.id.record_id"))?;
            if let Some(want) = object_filter {
                let obj = text_at(ids.get("object_id").unwrap_or(&Value::Null), &format!("{p}.id.object_id"))?;
                if obj.as_deref() != Some(want) {
                    return Err(fail(
                        format!("{p}.id.object_id"),
                        "invalid_value",
                        format!("the event is about another object than `{want}` (the deals object)"),
                    ));
                }
            }
            let snap = if kind == "upsert" {
                let rec = records.get(&rid).ok_or_else(|| {
                    fail(
                        format!("records.{rid}"),
                        "required",
                        "Attio webhooks carry ids only: pass the fetched record under `records`",
                    )
                })?;
                Some(record_snapshot(rec, &mapping, &format!("records.{rid}"))?)
            } else {
                None
            };
            Ok((kind, rid, snap))
        })();
        match r {
            Ok(x) => parsed.push(x),
            Err(err) => issues.extend(issues_of(err)),
        }
    }
    if !issues.is_empty() {
        return Err(Error::validation(issues));
    }
    let mut changes = Vec::new();
    let mut touched: Vec<String> = Vec::new();
    for (i, (kind, rid, snap)) in parsed.into_iter().enumerate() {
        let ev = &events[i];
        let mut ch = DealChange {
            kind,
            deal_id: rid.clone(),
            event_id: payload.get("webhook_id").cloned(),
            occurred_at: None,
            property: ev.get("id").and_then(|v| v.get("attribute_id")).and_then(Value::as_str).map(str::to_string),
            slug: None,
            previous_owner: None,
            owner: None,
            reason: None,
            snapshot: None,
        };
        let before = deals.get(&rid).and_then(owner_of);
        match snap {
            None => {
                let cur = deals.entry(rid.clone()).or_insert_with(|| json!({"id": rid, "fields": {}}));
                cur["deleted"] = json!(true);
            }
            Some(s) => {
                let had = deals.contains_key(&rid);
                let after = owner_of(&s);
                if s.get("deleted") == Some(&json!(true)) {
                    ch.kind = "delete";
                } else if had && before != after {
                    ch.kind = "owner_change";
                    ch.previous_owner = before;
                    ch.owner = after;
                }
                if ch.kind != "delete" {
                    ch.snapshot = Some(s.clone());
                }
                deals.insert(rid.clone(), s);
            }
        }
        if !touched.contains(&rid) {
            touched.push(rid);
        }
        changes.push(ch);
    }
    let out = touched.iter().filter_map(|id| deals.get(id).cloned()).collect();
    Ok(WebhookResult { provider: "attio", changes, deals: out })
}

//! The reader: host JSON → the typed [`CalcDoc`], reporting **every** problem at once with its
//! JSON path and an issue code, and a "did you mean" for unknown keys (SPEC §16).
//!
//! Spark rules (SPEC §9, §18.5–§18.9): `rateTable` rows accept the five sale keys (string or
//! integer ids), `rateId`, the effective range and any `percentMpN` / `flatMpN` (N ≥ 1, 0 or
//! more); rows that would tie exactly (same keys, same values, same `effectiveStartDate`) are
//! `duplicate`. A rate-table rule is per_deal only and refuses `tiers`, `payoutBase`,
//! `floorAttainment` and `capMultiplier`; `milestones` (unique `number` 1–1000, `when`
//! conditions, `dateField`) need a `rateTable`; `clawbackWindowDays` is a whole number 0–36600
//! on any rule; `sourceRoles` belongs to a `measure` cascade whose `dependsOn` names a
//! rate-table rule. A credit's `role` may be an integer id (read as its text).

use crate::condition::{compile_leaf, number_of, Condition, FieldType, Op, OPERATORS};
use crate::decimal::{parse_decimal, Rounding};
use crate::error::{Error, Issue, Result};
use crate::hash::{HashMap, HashSet};
use crate::model::*;
use crate::period::{parse_date, Period, PeriodKind};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

type Obj = Map<String, Value>;

/// Collects issues while reading.
#[derive(Default)]
pub(crate) struct Reader {
    pub(crate) issues: Vec<Issue>,
    fy_start: u32,
    /// For each list (by its path) that lost unreadable entries: the input index of every
    /// parsed entry, so the cross-checks name the entry where it is in the input.
    kept: HashMap<String, Vec<usize>>,
    /// Deal texts that repeat (stage, currency, owner, status), one shared [`Name`] each: a
    /// million deals hold a handful of stages, not a million copies (issue #9).
    names: HashSet<Name>,
}

/// The most distinct texts [`Reader::intern`] shares; past it, texts are copied as they come.
const INTERNED_MAX: usize = 100_000;

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn idx(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

/// Appends the decimal digits of `i` (what `format!("{i}")` writes).
fn push_index(out: &mut String, i: usize) {
    let mut b = [0u8; 20];
    let mut n = b.len();
    let mut x = i;
    loop {
        n -= 1;
        b[n] = b'0' + (x % 10) as u8;
        x /= 10;
        if x == 0 {
            break;
        }
    }
    // only ASCII digits were written
    out.push_str(std::str::from_utf8(&b[n..]).unwrap_or_default());
}

impl Reader {
    /// A reader with the default fiscal year.
    pub(crate) fn new() -> Self {
        Reader { issues: Vec::new(), fy_start: 1, kept: HashMap::default(), names: HashSet::default() }
    }

    /// `Ok(value)` when nothing was reported, else `VALIDATION_FAILED` with every issue.
    pub(crate) fn finish<T>(self, value: Option<T>) -> Result<T> {
        match value {
            Some(v) if self.issues.is_empty() => Ok(v),
            _ => {
                let mut issues = self.issues;
                if issues.is_empty() {
                    issues.push(Issue {
                        path: String::new(),
                        code: "invalid_value",
                        message: "the input could not be read".into(),
                        suggestion: None,
                    });
                }
                Err(Error::validation(issues))
            }
        }
    }

    pub(crate) fn issue(&mut self, path: impl Into<String>, code: &'static str, message: impl Into<String>) {
        self.issues.push(Issue { path: path.into(), code, message: message.into(), suggestion: None });
    }

    /// Checks `v` is an object and reports keys not in `known` (with a suggestion).
    pub(crate) fn obj<'v>(&mut self, v: &'v Value, path: &str, known: &[&str]) -> Option<&'v Obj> {
        let Some(m) = v.as_object() else {
            self.issue(path, "invalid_type", format!("expected an object, found {}", kind(v)));
            return None;
        };
        for k in m.keys() {
            if !known.contains(&k.as_str()) {
                self.unknown_field(path, k, known);
            }
        }
        Some(m)
    }

    /// Reports `k` as an unknown field of the object at `path` (with a suggestion).
    fn unknown_field(&mut self, path: &str, k: &str, known: &[&str]) {
        let suggestion = suggest(k, known);
        let message = match &suggestion {
            Some(s) => format!("unknown field `{k}`; did you mean `{s}`?"),
            None => format!("unknown field `{k}`; expected one of: {}", known.join(", ")),
        };
        self.issues.push(Issue { path: join(path, k), code: "unknown_field", message, suggestion });
    }

    fn get<'v>(&mut self, m: &'v Obj, path: &str, key: &str, required: bool) -> Option<&'v Value> {
        self.value_of(m.get(key), path, key, required)
    }

    /// A member's value already looked up (`None` when absent): null counts as absent, and a
    /// required one is reported.
    fn value_of<'v>(&mut self, v: Option<&'v Value>, path: &str, key: &str, required: bool) -> Option<&'v Value> {
        match v {
            None | Some(Value::Null) => {
                if required {
                    self.issue(join(path, key), "required", format!("`{key}` is required"));
                }
                None
            }
            Some(v) => Some(v),
        }
    }

    pub(crate) fn string(&mut self, m: &Obj, path: &str, key: &str, required: bool) -> Option<String> {
        self.string_at(m.get(key), path, key, required)
    }

    pub(crate) fn string_at(&mut self, v: Option<&Value>, path: &str, key: &str, required: bool) -> Option<String> {
        self.str_at(v, path, key, required).map(str::to_string)
    }

    /// [`Reader::string_at`], borrowed from the input.
    fn str_at<'v>(&mut self, v: Option<&'v Value>, path: &str, key: &str, required: bool) -> Option<&'v str> {
        let v = self.value_of(v, path, key, required)?;
        match v.as_str() {
            Some(s) if s.is_empty() && required => {
                self.issue(join(path, key), "invalid_value", format!("`{key}` must not be empty"));
                None
            }
            Some(s) => Some(s),
            None => {
                self.issue(join(path, key), "invalid_type", format!("`{key}` must be a string, found {}", kind(v)));
                None
            }
        }
    }

    /// `s` as a shared [`Name`]: the same text read before gives the same allocation.
    fn intern(&mut self, s: &str) -> Name {
        if let Some(n) = self.names.get(s) {
            return n.clone();
        }
        let n = Name::from(s);
        if self.names.len() < INTERNED_MAX {
            self.names.insert(n.clone());
        }
        n
    }

    /// An optional string ([`Reader::string_at`]) as a shared [`Name`].
    fn name_at(&mut self, v: Option<&Value>, path: &str, key: &str) -> Option<Name> {
        self.str_at(v, path, key, false).map(|s| self.intern(s))
    }

    /// An optional id ([`Reader::id_at`]) as a shared [`Name`].
    fn id_name_at(&mut self, v: Option<&Value>, path: &str, key: &str) -> Option<Name> {
        self.id_text_at(v, path, key, false).map(|s| self.intern(&s))
    }

    /// An id: a string, or an integer (written as its text).
    fn id(&mut self, m: &Obj, path: &str, key: &str, required: bool) -> Option<String> {
        self.id_at(m.get(key), path, key, required)
    }

    fn id_at(&mut self, v: Option<&Value>, path: &str, key: &str, required: bool) -> Option<String> {
        self.id_text_at(v, path, key, required).map(std::borrow::Cow::into_owned)
    }

    /// [`Reader::id_at`], borrowed from the input when the id is a string.
    fn id_text_at<'v>(
        &mut self,
        v: Option<&'v Value>,
        path: &str,
        key: &str,
        required: bool,
    ) -> Option<std::borrow::Cow<'v, str>> {
        let v = self.value_of(v, path, key, required)?;
        match v {
            Value::String(s) if !s.is_empty() => Some(s.as_str().into()),
            Value::Number(n) if n.is_i64() || n.is_u64() => Some(n.to_string().into()),
            _ => {
                self.issue(join(path, key), "invalid_type", format!("`{key}` must be a non-empty string id"));
                None
            }
        }
    }

    pub(crate) fn decimal(&mut self, m: &Obj, path: &str, key: &str, required: bool) -> Option<Decimal> {
        self.decimal_at(m.get(key), path, key, required)
    }

    pub(crate) fn decimal_at(&mut self, v: Option<&Value>, path: &str, key: &str, required: bool) -> Option<Decimal> {
        let v = self.value_of(v, path, key, required)?;
        let text: Option<std::borrow::Cow<'_, str>> = match v {
            Value::Number(n) => Some(n.to_string().into()),
            Value::String(s) => Some(s.as_str().into()),
            _ => None,
        };
        let parsed = text.as_deref().and_then(parse_decimal);
        if parsed.is_none() && text.as_deref().is_some_and(decimal_shaped) {
            // a well-formed number that exact decimals cannot hold (over 28 significant digits,
            // beyond ±2^96, or an exponent out of reach): spec-fixtures/README's `out_of_range`
            self.issue(
                join(path, key),
                "out_of_range",
                format!("`{key}` is beyond what exact decimals hold (28 significant digits), found {v}"),
            );
        } else if parsed.is_none() {
            self.issue(
                join(path, key),
                "invalid_decimal",
                format!("`{key}` must be a decimal number or decimal string, found {v}"),
            );
        }
        parsed
    }

    fn bool(&mut self, m: &Obj, path: &str, key: &str) -> Option<bool> {
        self.bool_at(m.get(key), path, key)
    }

    fn bool_at(&mut self, v: Option<&Value>, path: &str, key: &str) -> Option<bool> {
        let v = self.value_of(v, path, key, false)?;
        match v.as_bool() {
            Some(b) => Some(b),
            None => {
                self.issue(join(path, key), "invalid_type", format!("`{key}` must be true or false"));
                None
            }
        }
    }

    fn int(&mut self, m: &Obj, path: &str, key: &str, required: bool) -> Option<i64> {
        let v = self.get(m, path, key, required)?;
        match v.as_i64() {
            Some(i) => Some(i),
            None => {
                self.issue(join(path, key), "invalid_type", format!("`{key}` must be a whole number"));
                None
            }
        }
    }

    pub(crate) fn date(&mut self, m: &Obj, path: &str, key: &str, required: bool) -> Option<NaiveDate> {
        self.date_at(m.get(key), path, key, required)
    }

    pub(crate) fn date_at(&mut self, v: Option<&Value>, path: &str, key: &str, required: bool) -> Option<NaiveDate> {
        let v = self.value_of(v, path, key, required)?;
        let d = v.as_str().and_then(|s| parse_date(s, true));
        if d.is_none() {
            self.issue(join(path, key), "invalid_date", format!("`{key}` must be a date YYYY-MM-DD, found {v}"));
        }
        d
    }

    fn period(&mut self, m: &Obj, path: &str, key: &str, required: bool) -> Option<Period> {
        let v = self.get(m, path, key, required)?;
        let p = v.as_str().and_then(Period::parse);
        if p.is_none() {
            self.issue(
                join(path, key),
                "invalid_period",
                format!("`{key}` must be a period YYYY-MM, YYYY-QN or YYYY, found {v}"),
            );
        }
        p
    }

    pub(crate) fn array<'v>(&mut self, m: &'v Obj, path: &str, key: &str, required: bool) -> Option<&'v Vec<Value>> {
        let v = self.get(m, path, key, required)?;
        match v.as_array() {
            Some(a) => Some(a),
            None => {
                self.issue(join(path, key), "invalid_type", format!("`{key}` must be a list, found {}", kind(v)));
                None
            }
        }
    }

    fn choice<T>(
        &mut self,
        m: &Obj,
        path: &str,
        key: &str,
        parse: fn(&str) -> Option<T>,
        allowed: &[&str],
    ) -> Option<T> {
        let s = self.string(m, path, key, false)?;
        let r = parse(&s);
        if r.is_none() {
            let hint = suggest(&s, allowed).map(|x| format!(" (did you mean `{x}`?)")).unwrap_or_default();
            self.issue(
                join(path, key),
                "invalid_value",
                format!("`{key}` must be one of {}, found `{s}`{hint}", allowed.join(", ")),
            );
        }
        r
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// The closest known key, when it is close enough to be a likely typo.
pub(crate) fn suggest(k: &str, known: &[&str]) -> Option<String> {
    let lower = k.to_ascii_lowercase();
    known
        .iter()
        .map(|c| (strsim::damerau_levenshtein(&lower, &c.to_ascii_lowercase()), *c))
        .filter(|(d, c)| *d <= 3.max(c.len() / 3) && *d < c.len().max(2))
        .min()
        .map(|(_, c)| c.to_string())
        .or_else(|| {
            // a prefix ("tierMod" → "tierMode") or a known key inside the typo
            known.iter().find(|c| c.len() >= 4 && (c.starts_with(k) || k.starts_with(*c))).map(|c| c.to_string())
        })
}

const DOC_KEYS: &[&str] = &[
    "asOf",
    "settings",
    "reps",
    "plans",
    "assignments",
    "quotas",
    "repOverrides",
    "deals",
    "scope",
    "options",
    "draws",
    "fxRates",
    "fieldMapping",
];
const SETTINGS_KEYS: &[&str] = &[
    "currencyPrecision",
    "rounding",
    "fiscalYearStartMonth",
    "wonStages",
    "trueUpApprovalThreshold",
    "reportingCurrency",
];
const REP_KEYS: &[&str] = &["id", "name", "email", "crmIds", "managerId", "role", "active"];
const PLAN_KEYS: &[&str] = &["planId", "name", "versions"];
const FLAT_PLAN_KEYS: &[&str] = &[
    "planId",
    "id",
    "name",
    "effectiveStart",
    "effectiveEnd",
    "status",
    "version",
    "changeMessage",
    "config",
    "description",
    "currency",
];
const VERSION_KEYS: &[&str] =
    &["planVersionId", "version", "effectiveStart", "effectiveEnd", "status", "changeMessage", "config", "currency"];
const CONFIG_KEYS: &[&str] = &["conditions", "rules"];
const RULE_KEYS: &[&str] = &[
    "id",
    "name",
    "measure",
    "executionPhase",
    "attainmentPeriod",
    "tierBy",
    "tierMode",
    "retroactive",
    "payoutBase",
    "dependsOn",
    "cascadeBase",
    "level",
    "floorAttainment",
    "capMultiplier",
    "minAmount",
    "maxAmount",
    "periodCap",
    "requireWon",
    "creditDateField",
    "conditions",
    "rateTable",
    "milestones",
    "tiers",
    "clawbackWindowDays",
    "sourceRoles",
    "payoutSchedule",
];
const RATE_ROW_KEYS: &[&str] = &[
    "rateId",
    "userId",
    "roleId",
    "installerId",
    "stateCode",
    "projectTypeId",
    "effectiveStartDate",
    "effectiveEndDate",
    "percentMp1",
    "flatMp1",
    "percentMp2",
    "flatMp2",
];
const MILESTONE_KEYS: &[&str] = &["number", "name", "when", "dateField"];
const TIER_KEYS: &[&str] = &["tierIndex", "name", "minThreshold", "maxThreshold", "rate", "flatAmount"];
const LEAF_KEYS: &[&str] = &["field", "fieldType", "operator", "value"];
const GROUP_KEYS: &[&str] = &["operator", "rules"];
const ASSIGNMENT_KEYS: &[&str] = &["repId", "planId", "effectiveStart", "effectiveEnd"];
const QUOTA_KEYS: &[&str] =
    &["repId", "planId", "ruleName", "planRuleId", "measure", "period", "target", "variableTarget", "prorate"];
const OVERRIDE_KEYS: &[&str] = &["planVersionId", "repId", "ruleName", "tiers"];
const DEAL_KEYS: &[&str] = &[
    "id",
    "name",
    "stage",
    "amount",
    "closeDate",
    "currency",
    "ownerRepId",
    "ownerCrmId",
    "ownerEmail",
    "fields",
    "credits",
    "deleted",
    "status",
];
const CREDIT_KEYS: &[&str] = &["repId", "splitPercent", "role"];
const SCOPE_KEYS: &[&str] = &["planId", "period", "repIds"];
const OPTIONS_KEYS: &[&str] = &["includeOpenPeriods", "trace"];

/// Parses JSON text into a [`serde_json::Value`], numbers kept as their text.
///
/// ```
/// let v = compcode_core::validate::parse_json("{\"rate\": 0.1}").unwrap();
/// assert_eq!(v["rate"].to_string(), "0.1");
/// assert_eq!(compcode_core::validate::parse_json("{").unwrap_err().code().as_str(), "VALIDATION_FAILED");
/// ```
pub fn parse_json(text: &str) -> Result<Value> {
    serde_json::from_str(text).map_err(|e| {
        Error::validation(vec![Issue {
            path: String::new(),
            code: "invalid_json",
            message: format!("the input is not valid JSON: {e}"),
            suggestion: None,
        }])
    })
}

/// Reads and checks a calculation document (SPEC §0.1). Returns the typed document, or
/// `VALIDATION_FAILED` listing every problem.
///
/// ```
/// use serde_json::json;
/// let doc = json!({"asOf": "2026-04-01", "reps": [], "plans": [], "deals": [],
///                  "assignments": [], "quotas": [], "settng": {}});
/// let err = compcode_core::validate::read_document(&doc).unwrap_err();
/// let issue = &err.details()["errors"][0];
/// assert_eq!(issue["code"], "unknown_field");
/// assert_eq!(issue["suggestion"], "settings");
/// ```
pub fn read_document(v: &Value) -> Result<CalcDoc> {
    let mut r = Reader { issues: Vec::new(), fy_start: 1, kept: HashMap::default(), names: HashSet::default() };
    let doc = r.document(v);
    match doc {
        Some(d) if r.issues.is_empty() => Ok(d),
        _ => {
            if r.issues.is_empty() {
                r.issue("", "invalid_value", "the document could not be read");
            }
            Err(Error::validation(r.issues))
        }
    }
}

impl Reader {
    fn document(&mut self, v: &Value) -> Option<CalcDoc> {
        let m = self.obj(v, "", DOC_KEYS)?;
        let settings = match m.get("settings") {
            None | Some(Value::Null) => Settings::default(),
            Some(s) => self.settings(s, "settings"),
        };
        self.fy_start = settings.fiscal_year_start_month;
        let as_of = self.date(m, "", "asOf", true);
        let reps = self.list(m, "", "reps", true, |r, v, p| r.rep(v, p));
        let plans = self.list(m, "", "plans", true, |r, v, p| r.plan(v, p));
        let assignments = self.list(m, "", "assignments", false, |r, v, p| r.assignment(v, p));
        let quotas = self.list(m, "", "quotas", false, |r, v, p| r.quota(v, p));
        let rep_overrides = self.list(m, "", "repOverrides", false, |r, v, p| r.rep_override(v, p));
        let deals = self.list(m, "", "deals", true, |r, v, p| r.deal(v, p));
        let scope = match m.get("scope") {
            None | Some(Value::Null) => Scope::default(),
            Some(s) => self.scope(s, "scope"),
        };
        let options = match m.get("options") {
            None | Some(Value::Null) => Options::default(),
            Some(o) => self.options(o, "options"),
        };
        // the saved CRM field mapping (SPEC §19): `{slug: crmProperty}`, read by validate's warnings
        self.issues.extend(crate::crm::catalog::field_mapping_issues(m.get("fieldMapping")));
        let draws = self.list(m, "", "draws", false, |r, v, p| r.draw(v, p));
        let fx_rates = self.list(m, "", "fxRates", false, |r, v, p| r.fx_rate(v, p));
        let doc = CalcDoc {
            as_of: as_of?,
            settings,
            reps,
            plans,
            assignments,
            quotas,
            rep_overrides,
            deals,
            scope,
            options,
            draws,
            fx_rates,
        };
        self.check_draw_reps(&doc);
        self.cross_checks(&doc, m);
        Some(doc)
    }

    fn list<T>(
        &mut self,
        m: &Obj,
        path: &str,
        key: &str,
        required: bool,
        mut f: impl FnMut(&mut Self, &Value, &str) -> Option<T>,
    ) -> Vec<T> {
        let mut out = Vec::new();
        if let Some(items) = self.array(m, path, key, required) {
            // exactly sized: a million deals pushed one by one would leave up to 2^20 - 10^6
            // spare slots of 272 bytes (13 MiB) in the typed document
            out.reserve_exact(items.len());
            let base = join(path, key);
            let mut kept = Vec::new();
            // one path buffer for the list: `base[i]` per entry without formatting machinery
            let mut at = String::with_capacity(base.len() + 12);
            for (i, it) in items.iter().enumerate() {
                at.clear();
                at.push_str(&base);
                at.push('[');
                push_index(&mut at, i);
                at.push(']');
                if let Some(x) = f(self, it, &at) {
                    out.push(x);
                    kept.push(i);
                }
            }
            if kept.len() != items.len() {
                self.kept.insert(base, kept);
            }
        }
        out
    }

    /// The input path of the `i`-th parsed entry of the list at `list` (the parsed lists leave
    /// out unreadable entries, so the two indexes differ after one).
    fn at(&self, list: &str, i: usize) -> String {
        idx(list, self.kept.get(list).and_then(|k| k.get(i)).copied().unwrap_or(i))
    }

    fn settings(&mut self, v: &Value, path: &str) -> Settings {
        let mut s = Settings::default();
        let Some(m) = self.obj(v, path, SETTINGS_KEYS) else { return s };
        if let Some(p) = self.int(m, path, "currencyPrecision", false) {
            if (0..=10).contains(&p) {
                s.currency_precision = p as u32;
            } else {
                self.issue(join(path, "currencyPrecision"), "invalid_value", "`currencyPrecision` must be 0–10");
            }
        }
        if let Some(x) =
            self.choice(m, path, "rounding", Rounding::parse, &["half_away_from_zero", "half_even", "down", "up"])
        {
            s.rounding = x;
        }
        if let Some(f) = self.int(m, path, "fiscalYearStartMonth", false) {
            if (1..=12).contains(&f) {
                s.fiscal_year_start_month = f as u32;
            } else {
                self.issue(join(path, "fiscalYearStartMonth"), "invalid_value", "`fiscalYearStartMonth` must be 1–12");
            }
        }
        if let Some(a) = self.array(m, path, "wonStages", false) {
            let mut stages = Vec::new();
            for (i, x) in a.iter().enumerate() {
                match x.as_str() {
                    Some(t) => stages.push(t.to_string()),
                    None => {
                        self.issue(idx(&join(path, "wonStages"), i), "invalid_type", "a won stage must be a string")
                    }
                }
            }
            s.won_stages = stages;
        }
        if let Some(t) = self.decimal(m, path, "trueUpApprovalThreshold", false) {
            s.true_up_approval_threshold = t;
        }
        s.reporting_currency = self.currency_code(m, path, "reportingCurrency", false);
        s
    }

    fn rep(&mut self, v: &Value, path: &str) -> Option<Rep> {
        let m = self.obj(v, path, REP_KEYS)?;
        let id = self.id(m, path, "id", true);
        let name = self.string(m, path, "name", false);
        let email = self.string(m, path, "email", false);
        let mut crm_ids = Vec::new();
        if let Some(a) = self.array(m, path, "crmIds", false) {
            for (i, x) in a.iter().enumerate() {
                match x {
                    Value::String(s) => crm_ids.push(s.clone()),
                    Value::Number(n) => crm_ids.push(n.to_string()),
                    _ => self.issue(idx(&join(path, "crmIds"), i), "invalid_type", "a CRM id must be a string"),
                }
            }
        }
        let manager_id = self.id(m, path, "managerId", false);
        let role = self
            .choice(
                m,
                path,
                "role",
                |s| match s {
                    "admin" => Some(Role::Admin),
                    "manager" => Some(Role::Manager),
                    "rep" => Some(Role::Rep),
                    _ => None,
                },
                &["admin", "manager", "rep"],
            )
            .unwrap_or_default();
        let active = self.bool(m, path, "active").unwrap_or(true);
        let id = id?;
        Some(Rep { name: name.unwrap_or_else(|| id.clone()), id, email, crm_ids, manager_id, role, active })
    }

    fn plan(&mut self, v: &Value, path: &str) -> Option<Plan> {
        let is_flat = v.get("config").is_some() && v.get("versions").is_none();
        if is_flat {
            // CompCode's `POST /api/plans` body: one version.
            let m = self.obj(v, path, FLAT_PLAN_KEYS)?;
            let name = self.string(m, path, "name", true);
            let plan_id =
                self.id(m, path, "planId", false).or_else(|| self.id(m, path, "id", false)).or_else(|| name.clone());
            let version = self.version_fields(m, path, plan_id.as_deref().map(|p| format!("{p}:v1")));
            return Some(Plan { plan_id: plan_id?, name: name?, versions: vec![version?] });
        }
        let m = self.obj(v, path, PLAN_KEYS)?;
        let plan_id = self.id(m, path, "planId", true);
        let name = self.string(m, path, "name", false);
        let versions = self.list(m, path, "versions", true, |r, v, p| {
            let vm = r.obj(v, p, VERSION_KEYS)?;
            r.version_fields(vm, p, None)
        });
        if m.get("versions").and_then(Value::as_array).is_some_and(|a| a.is_empty()) {
            self.issue(join(path, "versions"), "invalid_value", "a plan needs at least one version");
        }
        let plan_id = plan_id?;
        Some(Plan { name: name.unwrap_or_else(|| plan_id.clone()), plan_id, versions })
    }

    fn version_fields(&mut self, m: &Obj, path: &str, default_id: Option<String>) -> Option<PlanVersion> {
        let plan_version_id = match default_id {
            Some(d) => Some(d),
            None => self.id(m, path, "planVersionId", true),
        };
        let version = self.int(m, path, "version", false);
        let effective_start = self.date(m, path, "effectiveStart", true);
        let effective_end = self.date(m, path, "effectiveEnd", false);
        if let (Some(s), Some(e)) = (effective_start, effective_end) {
            if e < s {
                self.issue(join(path, "effectiveEnd"), "invalid_value", "`effectiveEnd` is before `effectiveStart`");
            }
        }
        let active = self
            .choice(
                m,
                path,
                "status",
                |s| match s {
                    "active" => Some(true),
                    "archived" => Some(false),
                    _ => None,
                },
                &["active", "archived"],
            )
            .unwrap_or(true);
        let change_message = self.string(m, path, "changeMessage", false);
        let currency = self.currency_code(m, path, "currency", false);
        let config = self.get(m, path, "config", true).and_then(|c| self.config(c, &join(path, "config")));
        Some(PlanVersion {
            plan_version_id: plan_version_id?,
            version,
            effective_start: effective_start?,
            effective_end,
            active,
            change_message,
            config: config?,
            currency,
        })
    }

    fn config(&mut self, v: &Value, path: &str) -> Option<PlanConfig> {
        let m = self.obj(v, path, CONFIG_KEYS)?;
        let conditions = self.conditions(m, path, "conditions");
        let rules = self.list(m, path, "rules", true, |r, v, p| r.rule(v, p));
        let mut seen = HashSet::default();
        if let Some(items) = m.get("rules").and_then(Value::as_array) {
            if items.is_empty() {
                self.issue(join(path, "rules"), "invalid_value", "a plan version needs at least one rule");
            }
            for (i, it) in items.iter().enumerate() {
                if let Some(n) = it.get("name").and_then(Value::as_str) {
                    if !seen.insert(n) {
                        self.issue(
                            join(&idx(&join(path, "rules"), i), "name"),
                            "duplicate",
                            format!("rule name `{n}` is used twice in this version"),
                        );
                    }
                }
            }
        }
        Some(PlanConfig { conditions, rules })
    }

    pub(crate) fn conditions(&mut self, m: &Obj, path: &str, key: &str) -> Vec<Condition> {
        self.list(m, path, key, false, |r, v, p| r.condition(v, p, 0))
    }

    fn condition(&mut self, v: &Value, path: &str, depth: usize) -> Option<Condition> {
        if depth > 32 {
            self.issue(path, "invalid_value", "conditions are nested too deeply (32 levels at most)");
            return None;
        }
        let is_group =
            v.get("rules").is_some() || matches!(v.get("operator").and_then(Value::as_str), Some("and" | "or"));
        if is_group {
            let m = self.obj(v, path, GROUP_KEYS)?;
            let op = self.string(m, path, "operator", true);
            let all = match op.as_deref() {
                Some("and") => Some(true),
                Some("or") => Some(false),
                Some(o) => {
                    self.issue(
                        join(path, "operator"),
                        "invalid_operator",
                        format!("a group operator must be `and` or `or`, found `{o}`"),
                    );
                    None
                }
                None => None,
            };
            let rules = self.list(m, path, "rules", true, |r, v, p| r.condition(v, p, depth + 1));
            return Some(Condition::Group { all: all?, rules });
        }
        let m = self.obj(v, path, LEAF_KEYS)?;
        let field = self.string(m, path, "field", true);
        let field_type = self.choice(
            m,
            path,
            "fieldType",
            FieldType::parse,
            &["text", "number", "currency", "date", "select", "status", "checkbox", "timestamp"],
        );
        let op_text = self.string(m, path, "operator", true);
        let op = op_text.as_deref().and_then(|o| {
            let p = Op::parse(o);
            if p.is_none() {
                let hint = suggest(o, &OPERATORS).map(|x| format!("; did you mean `{x}`?")).unwrap_or_default();
                self.issue(join(path, "operator"), "invalid_operator", format!("unknown operator `{o}`{hint}"));
            }
            p
        });
        let (field, op) = (field?, op?);
        let value = m.get("value").cloned().unwrap_or(Value::Null);
        let needs_value = !matches!(op, Op::IsSet | Op::IsNotSet | Op::IsTrue | Op::IsFalse);
        if needs_value && value.is_null() {
            self.issue(join(path, "value"), "required", "`value` is required for this operator");
            return None;
        }
        match compile_leaf(&field, field_type, op, &value, self.fy_start) {
            Ok(l) => Some(Condition::Leaf(l)),
            Err((code, msg)) => {
                self.issue(join(path, "value"), code, msg);
                None
            }
        }
    }

    fn rule(&mut self, v: &Value, path: &str) -> Option<Rule> {
        let m = self.obj(v, path, RULE_KEYS)?;
        let id = self.id(m, path, "id", false);
        let name = self.string(m, path, "name", true);
        let measure = self.string(m, path, "measure", true);
        let phase = self
            .choice(
                m,
                path,
                "executionPhase",
                |s| match s {
                    "per_deal" => Some(Phase::PerDeal),
                    "periodic" => Some(Phase::Periodic),
                    "cascade" => Some(Phase::Cascade),
                    _ => None,
                },
                &["per_deal", "periodic", "cascade"],
            )
            .unwrap_or(Phase::PerDeal);
        let period_kind = self
            .choice(m, path, "attainmentPeriod", PeriodKind::parse, &["monthly", "quarterly", "annual"])
            .unwrap_or(PeriodKind::Quarterly);
        let tier_by = self.choice(
            m,
            path,
            "tierBy",
            |s| match s {
                "attainment" => Some(TierBy::Attainment),
                "value" => Some(TierBy::Value),
                "cumulative_value" => Some(TierBy::CumulativeValue),
                _ => None,
            },
            &["attainment", "value", "cumulative_value"],
        );
        let tier_mode = self
            .choice(
                m,
                path,
                "tierMode",
                |s| match s {
                    "full_rate" => Some(TierMode::FullRate),
                    "marginal" => Some(TierMode::Marginal),
                    "interpolated" => Some(TierMode::Interpolated),
                    _ => None,
                },
                &["full_rate", "marginal", "interpolated"],
            )
            .unwrap_or(TierMode::FullRate);
        let retroactive = self.bool(m, path, "retroactive").unwrap_or(false);
        let payout_base = match m.get("payoutBase") {
            None | Some(Value::Null) => PayoutBase::Measure,
            Some(Value::Number(n)) if n.to_string() == "1" => PayoutBase::One,
            Some(Value::String(s)) => match s.as_str() {
                "measure" => PayoutBase::Measure,
                "1" => PayoutBase::One,
                "variable_target" => PayoutBase::VariableTarget,
                "" => {
                    self.issue(join(path, "payoutBase"), "invalid_value", "`payoutBase` must not be empty");
                    PayoutBase::Measure
                }
                f if f.starts_with('=') => PayoutBase::Formula(f[1..].to_string()),
                f => PayoutBase::Field(f.to_string()),
            },
            Some(other) => {
                self.issue(
                    join(path, "payoutBase"),
                    "invalid_type",
                    format!("`payoutBase` must be a string, found {}", kind(other)),
                );
                PayoutBase::Measure
            }
        };
        if let PayoutBase::Formula(f) = &payout_base {
            // A formula base is compiled here only to check it (SPEC §10, §18.29); the issue code
            // is the formula's own (`formula_syntax`, `formula_too_complex`, `arithmetic_overflow`)
            // and the position counts characters of the formula after the `=`.
            if let Err(e) = crate::rules_v0::formula::Formula::parse(f) {
                let message = format!("payoutBase formula `{f}` (positions count from after the `=`): {}", e.message);
                self.issue(join(path, "payoutBase"), e.code.as_str(), message);
            }
        }
        let depends_on = self.string(m, path, "dependsOn", false);
        let cascade_base = self
            .choice(
                m,
                path,
                "cascadeBase",
                |s| match s {
                    "commission" => Some(CascadeBase::Commission),
                    "measure" => Some(CascadeBase::Measure),
                    _ => None,
                },
                &["commission", "measure"],
            )
            .unwrap_or(CascadeBase::Commission);
        let level = match self.int(m, path, "level", false) {
            Some(l) if (1..=64).contains(&l) => l as u32,
            Some(_) => {
                self.issue(join(path, "level"), "invalid_value", "`level` must be 1–64");
                1
            }
            None => 1,
        };
        let nonneg = |r: &mut Self, key: &str, positive: bool| {
            let d = r.decimal(m, path, key, false)?;
            if d.is_sign_negative() && !d.is_zero() || (positive && d.is_zero()) {
                let what = if positive { "greater than 0" } else { "0 or more" };
                r.issue(join(path, key), "invalid_value", format!("`{key}` must be {what}"));
            }
            Some(d)
        };
        let floor_attainment = nonneg(self, "floorAttainment", false);
        let cap_multiplier = nonneg(self, "capMultiplier", false);
        let min_amount = nonneg(self, "minAmount", false);
        let max_amount = nonneg(self, "maxAmount", false);
        let period_cap = nonneg(self, "periodCap", false);
        if let (Some(lo), Some(hi)) = (min_amount, max_amount) {
            if lo > hi {
                self.issue(join(path, "minAmount"), "invalid_value", "`minAmount` is greater than `maxAmount`");
            }
        }
        let require_won = self.bool(m, path, "requireWon").unwrap_or(true);
        let credit_date_field = self.string(m, path, "creditDateField", false);
        let conditions = self.conditions(m, path, "conditions");
        let rate_table = match m.get("rateTable") {
            None | Some(Value::Null) => None,
            Some(_) => Some(self.rate_table(m, path)),
        };
        let milestones = self.milestones(m, path);
        let clawback_window_days = match self.int(m, path, "clawbackWindowDays", false) {
            Some(d) if (0..=36600).contains(&d) => Some(d as u32),
            Some(_) => {
                self.issue(join(path, "clawbackWindowDays"), "invalid_value", "`clawbackWindowDays` must be 0–36600");
                None
            }
            None => None,
        };
        let source_roles = self.array(m, path, "sourceRoles", false).map(|a| {
            let mut roles = Vec::new();
            for (i, x) in a.iter().enumerate() {
                match x {
                    Value::String(t) if !t.is_empty() => roles.push(t.clone()),
                    Value::Number(n) if n.is_i64() || n.is_u64() => roles.push(n.to_string()),
                    _ => self.issue(idx(&join(path, "sourceRoles"), i), "invalid_type", "a role must be a string id"),
                }
            }
            roles
        });
        let payout_schedule = self.payout_schedule(m, path, phase);
        if source_roles.is_some() && phase != Phase::Cascade {
            self.issue(join(path, "sourceRoles"), "invalid_value", "`sourceRoles` applies only to cascade rules");
        }
        // SPEC §18.5: a rate-table rule takes its rates from the table; these would be ignored
        if rate_table.is_some() {
            for key in ["tiers", "payoutBase", "floorAttainment", "capMultiplier"] {
                if m.get(key).is_some_and(|v| !v.is_null()) {
                    self.issue(
                        join(path, key),
                        "invalid_value",
                        format!("`{key}` cannot be used with `rateTable` (the rates come from the table, SPEC §18.5)"),
                    );
                }
            }
            if phase != Phase::PerDeal {
                self.issue(join(path, "rateTable"), "invalid_value", "`rateTable` applies only to per_deal rules");
            }
        } else if m.get("milestones").is_some_and(|v| !v.is_null()) {
            self.issue(join(path, "milestones"), "invalid_value", "`milestones` needs a `rateTable` (SPEC §18.5)");
        }
        let tiers = if rate_table.is_some() { Vec::new() } else { self.tiers(m, path, "tiers", true, tier_mode) };
        let phase_ok = phase;
        if phase_ok == Phase::Cascade {
            if cascade_base == CascadeBase::Commission && depends_on.is_none() {
                self.issue(
                    join(path, "dependsOn"),
                    "required",
                    "a cascade rule with a commission base needs `dependsOn` (a rule name or `_total`)",
                );
            }
        } else {
            for key in ["dependsOn", "cascadeBase", "level"] {
                if m.contains_key(key) {
                    self.issue(join(path, key), "invalid_value", format!("`{key}` applies only to cascade rules"));
                }
            }
        }
        // Cascades tier by value on their base (SPEC §8.5).
        let tier_by = match (phase, tier_by) {
            (Phase::Cascade, _) => TierBy::Value,
            (_, Some(t)) => t,
            (_, None) => TierBy::Attainment,
        };
        if retroactive && tier_mode != TierMode::FullRate {
            self.issue(
                join(path, "retroactive"),
                "invalid_value",
                "`retroactive` applies only to `tierMode: full_rate`",
            );
        }
        Some(Rule {
            id,
            name: Name::from(name?),
            measure: measure?,
            phase,
            period_kind,
            tier_by,
            tier_mode,
            retroactive,
            payout_base,
            depends_on,
            cascade_base,
            level,
            floor_attainment,
            cap_multiplier,
            min_amount,
            max_amount,
            period_cap,
            require_won,
            credit_date_field,
            conditions,
            tiers,
            rate_table,
            milestones,
            clawback_window_days,
            source_roles,
            payout_schedule,
        })
    }

    /// A rule's `rateTable` (SPEC §9, §18.5–§18.7): rows with ids compared as strings, decimals
    /// `percentMpN` / `flatMpN` (0 or more), an effective range; two rows that would always tie
    /// (same keys with the same values and the same `effectiveStartDate`) are `duplicate`.
    pub(crate) fn rate_table(&mut self, m: &Obj, path: &str) -> Vec<RateRow> {
        let base = join(path, "rateTable");
        let mut rows: Vec<(usize, RateRow)> = Vec::new();
        let Some(items) = self.array(m, path, "rateTable", true) else { return Vec::new() };
        if items.is_empty() {
            self.issue(&base, "invalid_value", "a rate table needs at least one row");
        }
        for (i, it) in items.iter().enumerate() {
            let p = idx(&base, i);
            let Some(rm) = it.as_object() else {
                self.issue(&p, "invalid_type", format!("expected an object, found {}", kind(it)));
                continue;
            };
            let mut milestones: BTreeMap<u32, (Option<Decimal>, Option<Decimal>)> = BTreeMap::new();
            for k in rm.keys() {
                if let Some(n) = milestone_key(k) {
                    let d = self.decimal(rm, &p, k, false);
                    if d.is_some_and(|d| d.is_sign_negative() && !d.is_zero()) {
                        self.issue(join(&p, k), "invalid_value", format!("`{k}` must be 0 or more"));
                    }
                    let slot = milestones.entry(n).or_default();
                    if k.starts_with("percent") {
                        slot.0 = d;
                    } else {
                        slot.1 = d;
                    }
                } else if !RATE_ROW_KEYS.contains(&k.as_str()) {
                    let suggestion = suggest(k, RATE_ROW_KEYS);
                    let message = match &suggestion {
                        Some(s) => format!("unknown field `{k}`; did you mean `{s}`?"),
                        None => format!(
                            "unknown field `{k}`; expected one of: {}, percentMpN, flatMpN",
                            RATE_ROW_KEYS[..8].join(", ")
                        ),
                    };
                    self.issues.push(Issue { path: join(&p, k), code: "unknown_field", message, suggestion });
                }
            }
            let rate_id = self.id(rm, &p, "rateId", false);
            let mut keys: [Option<String>; 5] = Default::default();
            for (slot, key) in keys.iter_mut().zip(RATE_KEYS) {
                *slot = self.id(rm, &p, key, false);
            }
            let start = self.date(rm, &p, "effectiveStartDate", true);
            let end = self.date(rm, &p, "effectiveEndDate", false);
            if let (Some(s), Some(e)) = (start, end) {
                if e < s {
                    self.issue(
                        join(&p, "effectiveEndDate"),
                        "invalid_value",
                        "`effectiveEndDate` is before `effectiveStartDate`",
                    );
                }
            }
            if let Some(effective_start) = start {
                rows.push((i, RateRow { rate_id, keys, effective_start, effective_end: end, milestones }));
            }
        }
        // SPEC §18.7: an exact tie after the priority and date rules is refused
        for (a, (i, ra)) in rows.iter().enumerate() {
            if let Some((j, _)) =
                rows[..a].iter().find(|(_, rb)| rb.keys == ra.keys && rb.effective_start == ra.effective_start)
            {
                self.issue(
                    idx(&base, *i),
                    "duplicate",
                    format!("rows {j} and {i} have the same keys and effectiveStartDate: they would tie for every sale both match"),
                );
            }
        }
        rows.into_iter().map(|(_, r)| r).collect()
    }

    /// A rule's `milestones` (SPEC §9, §18.8): unique numbers ≥ 1, conditions in `when`.
    fn milestones(&mut self, m: &Obj, path: &str) -> Vec<Milestone> {
        let mut out = self.list(m, path, "milestones", false, |r, v, p| {
            let mm = r.obj(v, p, MILESTONE_KEYS)?;
            let number = r.int(mm, p, "number", true);
            if number.is_some_and(|n| !(1..=1000).contains(&n)) {
                r.issue(join(p, "number"), "invalid_value", "a milestone `number` must be 1–1000");
            }
            let name = r.string(mm, p, "name", false);
            let when = r.conditions(mm, p, "when");
            let date_field = r.string(mm, p, "dateField", false);
            let number = number.filter(|n| (1..=1000).contains(n))? as u32;
            Some(Milestone { number, name, when, date_field })
        });
        let mut seen = HashSet::default();
        for (i, ms) in out.iter().enumerate() {
            if !seen.insert(ms.number) {
                self.issue(
                    join(&idx(&join(path, "milestones"), i), "number"),
                    "duplicate",
                    format!("milestone {} is listed twice", ms.number),
                );
            }
        }
        if m.get("milestones").and_then(Value::as_array).is_some_and(|a| a.is_empty()) {
            self.issue(
                join(path, "milestones"),
                "invalid_value",
                "`milestones` needs at least one milestone (or leave it out)",
            );
        }
        out.sort_by_key(|ms| ms.number);
        out
    }

    fn tiers(&mut self, m: &Obj, path: &str, key: &str, required: bool, mode: TierMode) -> Vec<Tier> {
        let base = join(path, key);
        let mut tiers: Vec<(usize, Tier)> = Vec::new();
        if let Some(items) = self.array(m, path, key, required) {
            if items.is_empty() {
                self.issue(&base, "invalid_value", "at least one tier is required");
            }
            for (i, it) in items.iter().enumerate() {
                let p = idx(&base, i);
                let Some(tm) = self.obj(it, &p, TIER_KEYS) else { continue };
                let tier_index = self.int(tm, &p, "tierIndex", false).unwrap_or(i as i64);
                let name = self.string(tm, &p, "name", false).unwrap_or_else(|| format!("Tier {}", i + 1));
                let min_threshold = self.decimal(tm, &p, "minThreshold", true);
                let max_threshold = self.decimal(tm, &p, "maxThreshold", false);
                let rate = self.decimal(tm, &p, "rate", false);
                let flat_amount = self.decimal(tm, &p, "flatAmount", false);
                let has = |k: &str| tm.get(k).is_some_and(|v| !v.is_null());
                match (has("rate"), has("flatAmount")) {
                    (true, true) => {
                        self.issue(&p, "invalid_tier", "a tier has exactly one of `rate` or `flatAmount`, not both")
                    }
                    (false, false) => self.issue(&p, "invalid_tier", "a tier needs `rate` or `flatAmount`"),
                    _ => {}
                }
                if mode == TierMode::Marginal && has("flatAmount") {
                    self.issue(&p, "invalid_tier", "`flatAmount` tiers cannot be used with `tierMode: marginal`");
                }
                if mode == TierMode::Interpolated && !has("flatAmount") {
                    self.issue(&p, "invalid_tier", "`tierMode: interpolated` needs a `flatAmount` on every tier");
                }
                if let (Some(lo), Some(hi)) = (min_threshold, max_threshold) {
                    if hi <= lo {
                        self.issue(
                            join(&p, "maxThreshold"),
                            "invalid_value",
                            "`maxThreshold` must be greater than `minThreshold`",
                        );
                    }
                }
                if let Some(mt) = min_threshold {
                    tiers.push((
                        i,
                        Tier {
                            tier_index,
                            name: Name::from(name),
                            min_threshold: mt,
                            max_threshold,
                            rate,
                            flat_amount,
                        },
                    ));
                }
            }
        }
        let mut seen = HashSet::default();
        for (i, t) in &tiers {
            if !seen.insert(t.tier_index) {
                self.issue(
                    join(&idx(&base, *i), "tierIndex"),
                    "duplicate",
                    format!("tierIndex {} is used twice", t.tier_index),
                );
            }
        }
        tiers.sort_by_key(|(_, t)| t.tier_index);
        for w in tiers.windows(2) {
            if w[1].1.min_threshold <= w[0].1.min_threshold {
                self.issue(
                    join(&idx(&base, w[1].0), "minThreshold"),
                    "tiers_not_increasing",
                    format!(
                        "tier thresholds must strictly increase with tierIndex: `{}` ({}) is not above `{}` ({})",
                        w[1].1.name, w[1].1.min_threshold, w[0].1.name, w[0].1.min_threshold
                    ),
                );
            }
        }
        for (i, t) in tiers.iter().take(tiers.len().saturating_sub(1)) {
            if t.max_threshold.is_some() {
                self.issue(
                    join(&idx(&base, *i), "maxThreshold"),
                    "invalid_value",
                    "only the last tier may have a `maxThreshold`",
                );
            }
        }
        if mode == TierMode::Interpolated {
            if let Some((i, last)) = tiers.last() {
                if last.max_threshold.is_none() {
                    self.issue(
                        idx(&base, *i),
                        "invalid_tier",
                        "`tierMode: interpolated` needs a `maxThreshold` on the last tier",
                    );
                }
            }
        }
        tiers.into_iter().map(|(_, t)| t).collect()
    }

    fn assignment(&mut self, v: &Value, path: &str) -> Option<Assignment> {
        let m = self.obj(v, path, ASSIGNMENT_KEYS)?;
        let rep_id = self.id(m, path, "repId", true);
        let plan_id = self.id(m, path, "planId", true);
        let start = self.date(m, path, "effectiveStart", false).unwrap_or(NaiveDate::MIN);
        let end = self.date(m, path, "effectiveEnd", false);
        if end.is_some_and(|e| e < start) {
            self.issue(join(path, "effectiveEnd"), "invalid_value", "`effectiveEnd` is before `effectiveStart`");
        }
        Some(Assignment { rep_id: rep_id?, plan_id: plan_id?, start, end })
    }

    fn quota(&mut self, v: &Value, path: &str) -> Option<Quota> {
        let m = self.obj(v, path, QUOTA_KEYS)?;
        let rep_id = self.id(m, path, "repId", true);
        let plan_id = self.id(m, path, "planId", false);
        let rule_name = self.string(m, path, "ruleName", false);
        let rule_id = self.id(m, path, "planRuleId", false);
        let measure = self.string(m, path, "measure", false);
        let n_refs = [rule_name.is_some(), rule_id.is_some(), measure.is_some()].iter().filter(|b| **b).count();
        if n_refs != 1 {
            self.issue(
                path,
                if n_refs == 0 { "required" } else { "invalid_value" },
                "a quota names its rule by exactly one of `planRuleId`, `ruleName` (with `planId`) or `measure`",
            );
        }
        let rule = match (rule_id, plan_id, rule_name, measure) {
            (Some(id), _, _, _) => Some(RuleRef::RuleId(id)),
            (None, Some(p), Some(n), _) => Some(RuleRef::Named(p, n)),
            (None, p, None, Some(n)) | (None, p @ None, Some(n), None) => Some(RuleRef::Shortcut(p, n)),
            _ => None,
        };
        let period = self.period(m, path, "period", true);
        let target = self.decimal(m, path, "target", true);
        if target.is_some_and(|t| t <= Decimal::ZERO) {
            self.issue(join(path, "target"), "invalid_value", "a quota `target` must be greater than 0");
        }
        let variable_target = self.decimal(m, path, "variableTarget", false);
        if variable_target.is_some_and(|t| t.is_sign_negative() && !t.is_zero()) {
            self.issue(join(path, "variableTarget"), "invalid_value", "`variableTarget` must be 0 or more");
        }
        let prorate = self.bool(m, path, "prorate").unwrap_or(false);
        Some(Quota { rep_id: rep_id?, rule: rule?, period: period?, target: target?, variable_target, prorate })
    }

    fn rep_override(&mut self, v: &Value, path: &str) -> Option<RepOverride> {
        let m = self.obj(v, path, OVERRIDE_KEYS)?;
        let plan_version_id = self.id(m, path, "planVersionId", true);
        let rep_id = self.id(m, path, "repId", true);
        let rule_name = self.string(m, path, "ruleName", true);
        // The tier mode is checked against the rule in `cross_checks`.
        let tiers = self.tiers(m, path, "tiers", true, TierMode::FullRate);
        Some(RepOverride { plan_version_id: plan_version_id?, rep_id: rep_id?, rule_name: rule_name?, tiers })
    }

    pub(crate) fn deal(&mut self, v: &Value, path: &str) -> Option<Deal> {
        let Some(m) = v.as_object() else {
            self.issue(path, "invalid_type", format!("expected an object, found {}", kind(v)));
            return None;
        };
        // one pass over the deal's members (a million deals: no map lookup per field), reporting
        // unknown ones in member order as `obj` does; then the fields in their usual order
        let mut at: [Option<&Value>; 13] = [None; 13];
        for (k, x) in m {
            let i = match k.as_str() {
                "id" => 0,
                "name" => 1,
                "stage" => 2,
                "amount" => 3,
                "closeDate" => 4,
                "currency" => 5,
                "ownerRepId" => 6,
                "ownerCrmId" => 7,
                "ownerEmail" => 8,
                "fields" => 9,
                "credits" => 10,
                "deleted" => 11,
                "status" => 12,
                _ => {
                    self.unknown_field(path, k, DEAL_KEYS);
                    continue;
                }
            };
            at[i] = Some(x);
        }
        let id = self.id_at(at[0], path, "id", true);
        let name = self.string_at(at[1], path, "name", false);
        let stage = self.name_at(at[2], path, "stage");
        let amount = self.decimal_at(at[3], path, "amount", false);
        let close_date = self.date_at(at[4], path, "closeDate", false);
        let currency = self.name_at(at[5], path, "currency");
        let owner_rep_id = self.id_name_at(at[6], path, "ownerRepId");
        let owner_crm_id = self.id_at(at[7], path, "ownerCrmId", false);
        let owner_email = self.string_at(at[8], path, "ownerEmail", false);
        let mut fields = crate::model::Fields::new();
        if let Some(f) = self.value_of(at[9], path, "fields", false) {
            match f.as_object() {
                // field names shared between deals (see `Fields`)
                Some(o) => fields = o.iter().map(|(k, v)| (self.intern(k), v.clone())).collect(),
                None => self.issue(join(path, "fields"), "invalid_type", "`fields` must be an object"),
            }
        }
        let credits = m.get("credits").filter(|c| !c.is_null()).map(|_| {
            let list = self.list(m, path, "credits", false, |r, v, p| r.credit(v, p));
            let cpath = join(path, "credits");
            let mut seen = HashSet::default();
            let mut sum = Decimal::ZERO;
            for (i, c) in list.iter().enumerate() {
                if !seen.insert(c.rep_id.as_str()) {
                    self.issue(
                        join(&idx(&cpath, i), "repId"),
                        "duplicate",
                        format!("rep `{}` is credited twice on this deal", c.rep_id),
                    );
                }
                let counts = !(c.role.is_some() && m["credits"][i].get("splitPercent").is_none_or_null());
                if counts {
                    sum = sum.checked_add(c.split_percent).unwrap_or(Decimal::MAX);
                }
            }
            if sum > Decimal::ONE_HUNDRED {
                self.issue(&cpath, "split_over_100", format!("split percents add up to {sum}, more than 100"));
            }
            list
        });
        let deleted = self.bool_at(at[11], path, "deleted").unwrap_or(false);
        let status = self.name_at(at[12], path, "status");
        Some(Deal {
            id: id?,
            name,
            stage,
            amount,
            close_date,
            currency,
            owner_rep_id,
            owner_crm_id,
            owner_email,
            fields,
            credits,
            deleted,
            status,
        })
    }

    fn credit(&mut self, v: &Value, path: &str) -> Option<Credit> {
        let m = self.obj(v, path, CREDIT_KEYS)?;
        let rep_id = self.id(m, path, "repId", true);
        // a participant role is an id (SPEC §18.7: ids compare as strings, so Spark's roleId 1 = "1")
        let role = match m.get("role") {
            Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Some(n.to_string()),
            _ => self.string(m, path, "role", false),
        };
        let split = self.decimal(m, path, "splitPercent", role.is_none());
        if split.is_some_and(|s| s <= Decimal::ZERO) {
            self.issue(join(path, "splitPercent"), "invalid_value", "`splitPercent` must be greater than 0");
        }
        Some(Credit {
            rep_id: rep_id?,
            split_percent: split.unwrap_or(Decimal::ONE_HUNDRED),
            role: role.map(|r| self.intern(&r)),
        })
    }

    fn scope(&mut self, v: &Value, path: &str) -> Scope {
        let mut s = Scope::default();
        let Some(m) = self.obj(v, path, SCOPE_KEYS) else { return s };
        s.plan_id = self.id(m, path, "planId", false);
        if let Some(p) = self.string(m, path, "period", false) {
            if p != "all" {
                match Period::parse(&p) {
                    Some(x) => s.period = Some(x),
                    None => self.issue(
                        join(path, "period"),
                        "invalid_period",
                        format!("`period` must be `all` or a period string, found `{p}`"),
                    ),
                }
            }
        }
        if let Some(a) = self.array(m, path, "repIds", false) {
            s.rep_ids = Some(a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect());
        }
        s
    }

    fn options(&mut self, v: &Value, path: &str) -> Options {
        let mut o = Options::default();
        let Some(m) = self.obj(v, path, OPTIONS_KEYS) else { return o };
        o.include_open_periods = self.bool(m, path, "includeOpenPeriods").unwrap_or(false);
        o.trace = self.bool(m, path, "trace").unwrap_or(true);
        o
    }

    /// Checks across lists: unique ids, references, the manager chain.
    fn cross_checks(&mut self, doc: &CalcDoc, m: &Obj) {
        let rep_ids: HashMap<&str, usize> = doc.reps.iter().enumerate().map(|(i, r)| (r.id.as_str(), i)).collect();
        dup_check(self, m, "reps", "id");
        dup_check(self, m, "plans", "planId");
        dup_check(self, m, "deals", "id");
        let mut version_ids = HashSet::default();
        for (pi, p) in doc.plans.iter().enumerate() {
            for (vi, v) in p.versions.iter().enumerate() {
                if !version_ids.insert(v.plan_version_id.as_str()) {
                    self.issue(
                        format!("{}.planVersionId", self.at(&format!("{}.versions", self.at("plans", pi)), vi)),
                        "duplicate",
                        format!("planVersionId `{}` is used twice", v.plan_version_id),
                    );
                }
            }
        }
        // managers exist and the chain is acyclic
        for (i, r) in doc.reps.iter().enumerate() {
            if let Some(mg) = &r.manager_id {
                if !rep_ids.contains_key(mg.as_str()) {
                    self.issue(
                        format!("{}.managerId", self.at("reps", i)),
                        "unknown_reference",
                        format!("manager `{mg}` is not a rep in this document"),
                    );
                }
            }
        }
        let mut reported: HashSet<usize> = HashSet::default();
        for start in 0..doc.reps.len() {
            let mut seen = vec![start];
            let mut cur = start;
            while let Some(next) = doc.reps[cur].manager_id.as_deref().and_then(|m| rep_ids.get(m)).copied() {
                if let Some(pos) = seen.iter().position(|x| *x == next) {
                    let cycle: Vec<usize> = seen[pos..].to_vec();
                    if cycle.iter().all(|c| !reported.contains(c)) {
                        let first = *cycle.iter().min().unwrap_or(&next);
                        let names: Vec<&str> = cycle.iter().map(|c| doc.reps[*c].id.as_str()).collect();
                        self.issue(
                            format!("{}.managerId", self.at("reps", first)),
                            "manager_cycle",
                            format!("the manager chain loops: {} → {}", names.join(" → "), doc.reps[cycle[0]].id),
                        );
                    }
                    reported.extend(cycle);
                    break;
                }
                seen.push(next);
                cur = next;
            }
        }
        let plan_ids: HashSet<&str> = doc.plans.iter().map(|p| p.plan_id.as_str()).collect();
        for (i, a) in doc.assignments.iter().enumerate() {
            if !rep_ids.contains_key(a.rep_id.as_str()) {
                self.issue(
                    format!("{}.repId", self.at("assignments", i)),
                    "unknown_reference",
                    format!("rep `{}` is not in this document", a.rep_id),
                );
            }
            if !plan_ids.contains(a.plan_id.as_str()) {
                self.issue(
                    format!("{}.planId", self.at("assignments", i)),
                    "unknown_reference",
                    format!("plan `{}` is not in this document", a.plan_id),
                );
            }
        }
        for (i, q) in doc.quotas.iter().enumerate() {
            if !rep_ids.contains_key(q.rep_id.as_str()) {
                self.issue(
                    format!("{}.repId", self.at("quotas", i)),
                    "unknown_reference",
                    format!("rep `{}` is not in this document", q.rep_id),
                );
            }
            if let RuleRef::Named(p, _) | RuleRef::Shortcut(Some(p), _) = &q.rule {
                if !plan_ids.contains(p.as_str()) {
                    self.issue(
                        format!("{}.planId", self.at("quotas", i)),
                        "unknown_reference",
                        format!("plan `{p}` is not in this document"),
                    );
                }
            }
        }
        // dependsOn names a non-cascade rule on some plan, or `_total`
        let upstream: HashSet<&str> = doc
            .plans
            .iter()
            .flat_map(|p| p.versions.iter())
            .flat_map(|v| v.config.rules.iter())
            .filter(|r| r.phase != Phase::Cascade)
            .map(|r| r.name.as_str())
            .collect();
        let rate_rules: HashSet<&str> = doc
            .plans
            .iter()
            .flat_map(|p| p.versions.iter())
            .flat_map(|v| v.config.rules.iter())
            .filter(|r| r.rate_table.is_some())
            .map(|r| r.name.as_str())
            .collect();
        for (pi, p) in doc.plans.iter().enumerate() {
            for (vi, v) in p.versions.iter().enumerate() {
                for (ri, r) in v.config.rules.iter().enumerate() {
                    if let (Phase::Cascade, Some(d)) = (r.phase, &r.depends_on) {
                        if d != "_total" && !upstream.contains(d.as_str()) {
                            let known: Vec<&str> = upstream.iter().copied().collect();
                            let hint = suggest(d, &known).map(|x| format!("; did you mean `{x}`?")).unwrap_or_default();
                            let path = format!("{}.dependsOn", self.rule_path(m, pi, vi, ri));
                            self.issue(path, "unknown_reference", format!("`dependsOn` names `{d}`, which is no per_deal or periodic rule of any plan here (or `_total`){hint}"));
                        }
                    }
                    // SPEC §18.9: `sourceRoles` picks the participants of a rate-table sale
                    if r.phase == Phase::Cascade && r.source_roles.is_some() {
                        let spark = r.cascade_base == CascadeBase::Measure
                            && r.depends_on.as_deref().is_some_and(|d| rate_rules.contains(d));
                        if !spark {
                            let path = format!("{}.sourceRoles", self.rule_path(m, pi, vi, ri));
                            self.issue(path, "invalid_value", "`sourceRoles` needs `cascadeBase: measure` and a `dependsOn` naming a rate-table rule (SPEC §18.9)");
                        }
                    }
                }
            }
        }
        for (i, o) in doc.rep_overrides.iter().enumerate() {
            if !rep_ids.contains_key(o.rep_id.as_str()) {
                self.issue(
                    format!("{}.repId", self.at("repOverrides", i)),
                    "unknown_reference",
                    format!("rep `{}` is not in this document", o.rep_id),
                );
            }
            let version =
                doc.plans.iter().flat_map(|p| p.versions.iter()).find(|v| v.plan_version_id == o.plan_version_id);
            match version {
                None => self.issue(
                    format!("{}.planVersionId", self.at("repOverrides", i)),
                    "unknown_reference",
                    format!("plan version `{}` is not in this document", o.plan_version_id),
                ),
                Some(v) => match v.config.rules.iter().find(|r| r.name == o.rule_name) {
                    None => self.issue(
                        format!("{}.ruleName", self.at("repOverrides", i)),
                        "unknown_reference",
                        format!("rule `{}` is not on plan version `{}`", o.rule_name, o.plan_version_id),
                    ),
                    Some(rule) => {
                        let p = format!("{}.tiers", self.at("repOverrides", i));
                        check_tiers_for_mode(self, &p, &o.tiers, rule.tier_mode);
                    }
                },
            }
        }
    }
}

impl Reader {
    /// The input path of rule `ri` of version `vi` of plan `pi` (indexes in the parsed lists),
    /// in the versioned or the flat (`POST /api/plans`) plan form.
    fn rule_path(&self, m: &Obj, pi: usize, vi: usize, ri: usize) -> String {
        let plan = self.at("plans", pi);
        let input_pi = self.kept.get("plans").and_then(|k| k.get(pi)).copied().unwrap_or(pi);
        let config = if m.get("plans").and_then(|x| x.get(input_pi)).and_then(|p| p.get("versions")).is_some() {
            format!("{}.config", self.at(&format!("{plan}.versions"), vi))
        } else {
            format!("{plan}.config")
        };
        self.at(&format!("{config}.rules"), ri)
    }
}

fn check_tiers_for_mode(r: &mut Reader, path: &str, tiers: &[Tier], mode: TierMode) {
    for (i, t) in tiers.iter().enumerate() {
        if mode == TierMode::Marginal && t.flat_amount.is_some() {
            r.issue(
                format!("{path}[{i}]"),
                "invalid_tier",
                "`flatAmount` tiers cannot be used with `tierMode: marginal`",
            );
        }
        if mode == TierMode::Interpolated && t.flat_amount.is_none() {
            r.issue(
                format!("{path}[{i}]"),
                "invalid_tier",
                "`tierMode: interpolated` needs a `flatAmount` on every tier",
            );
        }
    }
    if mode == TierMode::Interpolated && tiers.last().is_some_and(|t| t.max_threshold.is_none()) {
        r.issue(
            format!("{path}[{}]", tiers.len() - 1),
            "invalid_tier",
            "`tierMode: interpolated` needs a `maxThreshold` on the last tier",
        );
    }
}

fn dup_check(r: &mut Reader, m: &Obj, list: &str, key: &str) {
    let Some(items) = m.get(list).and_then(Value::as_array) else { return };
    // ids borrowed from the input (a million deals: no copy of each id)
    let mut seen: HashSet<std::borrow::Cow<'_, str>> =
        HashSet::with_capacity_and_hasher(items.len(), Default::default());
    for (i, it) in items.iter().enumerate() {
        let id: std::borrow::Cow<'_, str> = match it.get(key) {
            Some(Value::String(s)) => s.as_str().into(),
            Some(Value::Number(n)) => n.to_string().into(),
            _ => continue,
        };
        if !seen.insert(id.clone()) {
            r.issue(format!("{list}[{i}].{key}"), "duplicate", format!("{key} `{id}` is used twice in `{list}`"));
        }
    }
}

trait NullExt {
    fn is_none_or_null(&self) -> bool;
}

impl NullExt for Option<&Value> {
    fn is_none_or_null(&self) -> bool {
        self.map_or(true, Value::is_null)
    }
}

/// Whether `t` has the shape of a decimal number, `[+-]?digits[.digits][e[+-]digits]`: used to
/// tell a number too large (or too precise) for exact decimals from text that is no number.
fn decimal_shaped(t: &str) -> bool {
    let b = t.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i > start
    };
    if !digits(&mut i) {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if !digits(&mut i) {
            return false;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if !digits(&mut i) {
            return false;
        }
    }
    i == b.len()
}

/// `percentMpN` / `flatMpN` → N (N ≥ 1).
fn milestone_key(k: &str) -> Option<u32> {
    let digits = k.strip_prefix("percentMp").or_else(|| k.strip_prefix("flatMp"))?;
    if digits.is_empty() || digits.starts_with('0') || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().filter(|n| (1..=1000).contains(n))
}

/// Reads a decimal from a deal field value (numbers or numeric strings).
pub(crate) fn field_decimal(v: &Value) -> Option<Decimal> {
    number_of(v)
}

// ---- SPEC §20: draws, FX rates, currencies, payout schedules, amortization inputs ----

const DRAW_KEYS: &[&str] =
    &["repId", "amountPerPeriod", "periodFrom", "periodTo", "recoverable", "recoveryStart", "maxRecoveryPercent"];
const FX_KEYS: &[&str] = &["from", "to", "rate", "effectiveDate"];
const INSTALLMENT_KEYS: &[&str] = &["percent", "release"];
const RELEASE_KEYS: &[&str] = &["field", "daysAfterCredit"];
const DRAWS_INPUT_KEYS: &[&str] = &["draws", "earnings", "settings", "reps"];
const EARNING_KEYS: &[&str] = &["repId", "period", "amount"];
const AMORT_INPUT_KEYS: &[&str] = &["lines", "policy", "settings"];
const AMORT_LINE_KEYS: &[&str] = &["id", "amount", "creditDate", "repId", "currency"];
const POLICY_KEYS: &[&str] = &["months", "start"];

impl Reader {
    /// A currency code: 3 uppercase ASCII letters (ISO 4217 shape).
    fn currency_code(&mut self, m: &Obj, path: &str, key: &str, required: bool) -> Option<String> {
        let v = self.get(m, path, key, required)?;
        match v.as_str() {
            Some(c) if c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase()) => Some(c.to_string()),
            Some(c) => {
                self.issue(
                    join(path, key),
                    "invalid_value",
                    format!("`{key}` must be a 3-letter uppercase currency code like `USD`, found {c:?}"),
                );
                None
            }
            None => {
                self.issue(join(path, key), "invalid_type", format!("`{key}` must be a string, found {}", kind(v)));
                None
            }
        }
    }

    /// One draw or guarantee (SPEC §20).
    fn draw(&mut self, v: &Value, path: &str) -> Option<crate::draws::Draw> {
        let m = self.obj(v, path, DRAW_KEYS)?;
        let rep_id = self.id(m, path, "repId", true);
        let amount = self.decimal(m, path, "amountPerPeriod", true);
        if amount.is_some_and(|a| a < Decimal::ZERO) {
            self.issue(join(path, "amountPerPeriod"), "invalid_value", "`amountPerPeriod` must be 0 or more");
        }
        let from = self.period(m, path, "periodFrom", true);
        let to = self.period(m, path, "periodTo", true);
        let recoverable = match m.get("recoverable") {
            None => {
                self.issue(
                    join(path, "recoverable"),
                    "required",
                    "`recoverable` is required (true: a draw, false: a guarantee)",
                );
                None
            }
            Some(_) => self.bool(m, path, "recoverable"),
        };
        let recovery_start = self.period(m, path, "recoveryStart", false);
        let pct = self.decimal(m, path, "maxRecoveryPercent", false);
        if pct.is_some_and(|p| p < Decimal::ZERO || p > Decimal::ONE_HUNDRED) {
            self.issue(join(path, "maxRecoveryPercent"), "invalid_value", "`maxRecoveryPercent` must be 0–100");
        }
        if let (Some(f), Some(t)) = (from, to) {
            if f.kind != t.kind {
                self.issue(
                    join(path, "periodTo"),
                    "invalid_period",
                    "`periodTo` must be the same kind of period as `periodFrom`",
                );
            } else if t < f {
                self.issue(join(path, "periodTo"), "invalid_value", "`periodTo` is before `periodFrom`");
            }
            if let Some(r) = recovery_start {
                if r.kind != f.kind {
                    self.issue(
                        join(path, "recoveryStart"),
                        "invalid_period",
                        "`recoveryStart` must be the same kind of period as `periodFrom`",
                    );
                }
            }
        }
        if recovery_start.is_some() && recoverable == Some(false) {
            self.issue(
                join(path, "recoveryStart"),
                "invalid_value",
                "a guarantee (`recoverable: false`) is never recovered",
            );
        }
        Some(crate::draws::Draw {
            rep_id: rep_id?,
            amount_per_period: amount?,
            period_from: from?,
            period_to: to?,
            recoverable: recoverable?,
            recovery_start,
            max_recovery_percent: pct.unwrap_or(Decimal::ONE_HUNDRED),
        })
    }

    fn check_draw_reps(&mut self, doc: &CalcDoc) {
        for (i, d) in doc.draws.iter().enumerate() {
            if !doc.reps.iter().any(|r| r.id == d.rep_id) {
                self.issue(
                    format!("draws[{i}].repId"),
                    "unknown_reference",
                    format!("rep `{}` is not a rep in this document", d.rep_id),
                );
            }
        }
    }

    /// One FX rate (SPEC §20).
    fn fx_rate(&mut self, v: &Value, path: &str) -> Option<crate::fx::FxRate> {
        let m = self.obj(v, path, FX_KEYS)?;
        let from = self.currency_code(m, path, "from", true);
        let to = self.currency_code(m, path, "to", true);
        let rate = self.decimal(m, path, "rate", true);
        if rate.is_some_and(|r| r <= Decimal::ZERO) {
            self.issue(join(path, "rate"), "invalid_value", "`rate` must be more than 0");
        }
        let effective_date = self.date(m, path, "effectiveDate", true);
        if from.is_some() && from == to {
            self.issue(join(path, "to"), "invalid_value", "`to` must differ from `from`");
        }
        Some(crate::fx::FxRate { from: from?, to: to?, rate: rate?, effective_date: effective_date? })
    }

    /// A rule's `payoutSchedule` (SPEC §20): percents > 0 summing to exactly 100, a release each.
    fn payout_schedule(&mut self, m: &Obj, path: &str, phase: Phase) -> Vec<crate::schedule::Installment> {
        use crate::schedule::{Installment, Release};
        let mut out = Vec::new();
        let Some(items) = self.array(m, path, "payoutSchedule", false) else { return out };
        let base = join(path, "payoutSchedule");
        if items.is_empty() {
            self.issue(base.clone(), "invalid_value", "`payoutSchedule` needs at least one installment");
            return out;
        }
        let mut sum = Decimal::ZERO;
        let mut all_read = true;
        for (i, it) in items.iter().enumerate() {
            let p = idx(&base, i);
            let Some(im) = self.obj(it, &p, INSTALLMENT_KEYS) else {
                all_read = false;
                continue;
            };
            let percent = self.decimal(im, &p, "percent", true);
            if percent.is_some_and(|x| x <= Decimal::ZERO || x > Decimal::ONE_HUNDRED) {
                self.issue(join(&p, "percent"), "invalid_value", "`percent` must be more than 0 and at most 100");
            }
            let rp = join(&p, "release");
            let release = match im.get("release") {
                None => {
                    self.issue(
                        rp.clone(),
                        "required",
                        "`release` is required: \"credit\", {\"field\": slug} or {\"daysAfterCredit\": n}",
                    );
                    None
                }
                Some(Value::String(s)) if s == "credit" => Some(Release::Credit),
                Some(Value::String(s)) => {
                    let mut iss = Issue {
                        path: rp.clone(),
                        code: "invalid_value",
                        message: format!("`release` must be \"credit\", {{\"field\": slug}} or {{\"daysAfterCredit\": n}}, found {s:?}"),
                        suggestion: None,
                    };
                    iss.suggestion = suggest(s, &["credit"]);
                    self.issues.push(iss);
                    None
                }
                Some(rv @ Value::Object(_)) => {
                    let rm = self.obj(rv, &rp, RELEASE_KEYS);
                    match rm {
                        Some(rm) if rm.len() == 1 && rm.contains_key("field") => {
                            self.string(rm, &rp, "field", true).filter(|f| !f.is_empty()).map(Release::Field)
                        }
                        Some(rm) if rm.len() == 1 && rm.contains_key("daysAfterCredit") => {
                            match self.int(rm, &rp, "daysAfterCredit", true) {
                                Some(n) if (0..=36_500).contains(&n) => Some(Release::DaysAfterCredit(n)),
                                Some(_) => {
                                    self.issue(
                                        join(&rp, "daysAfterCredit"),
                                        "invalid_value",
                                        "`daysAfterCredit` must be 0–36500",
                                    );
                                    None
                                }
                                None => None,
                            }
                        }
                        Some(_) => {
                            self.issue(
                                rp.clone(),
                                "invalid_value",
                                "`release` needs exactly one of `field` or `daysAfterCredit`",
                            );
                            None
                        }
                        None => None,
                    }
                }
                Some(other) => {
                    self.issue(
                        rp.clone(),
                        "invalid_type",
                        format!("`release` must be \"credit\" or an object, found {}", kind(other)),
                    );
                    None
                }
            };
            if matches!(release, Some(Release::Field(_))) && phase != Phase::PerDeal {
                self.issue(
                    rp.clone(),
                    "invalid_value",
                    "a `field` release needs a deal: it applies only to per_deal rules",
                );
            }
            match (percent, release) {
                (Some(pc), Some(r)) => {
                    sum += pc;
                    out.push(Installment { percent: pc, release: r });
                }
                _ => all_read = false,
            }
        }
        if all_read && sum != Decimal::ONE_HUNDRED {
            self.issue(
                base,
                "invalid_value",
                format!("the `payoutSchedule` percents must add up to 100, found {}", sum.normalize()),
            );
        }
        out
    }
}

/// The input of `draws.compute`: draws, earnings `(repId, period, amount)`, settings.
pub(crate) type DrawsInput = (Vec<crate::draws::Draw>, Vec<(String, Period, Decimal)>, Settings);

/// Reads the input of `draws.compute`: `{draws, earnings: [{repId, period, amount}], settings?}`.
pub(crate) fn read_draws_input(v: &Value) -> Result<DrawsInput> {
    let mut r = Reader::new();
    let out = (|| {
        let m = r.obj(v, "", DRAWS_INPUT_KEYS)?;
        let settings = match m.get("settings") {
            None | Some(Value::Null) => Settings::default(),
            Some(s) => r.settings(s, "settings"),
        };
        r.fy_start = settings.fiscal_year_start_month;
        let draws = r.list(m, "", "draws", true, |r, v, p| r.draw(v, p));
        let earnings = r.list(m, "", "earnings", false, |r, v, p| {
            let em = r.obj(v, p, EARNING_KEYS)?;
            let rep = r.id(em, p, "repId", true);
            let period = r.period(em, p, "period", true);
            let amount = r.decimal(em, p, "amount", true);
            Some((rep?, period?, amount?))
        });
        Some((draws, earnings, settings))
    })();
    r.finish(out)
}

/// Reads the input of `amortization.schedule` / `amortization.csv`.
pub(crate) fn read_amortization_input(
    v: &Value,
) -> Result<(Vec<crate::amortization::AmortLine>, crate::amortization::Policy, u32, crate::decimal::Rounding)> {
    use crate::amortization::{AmortLine, Policy, Start};
    let mut r = Reader::new();
    let out = (|| {
        let m = r.obj(v, "", AMORT_INPUT_KEYS)?;
        let settings = match m.get("settings") {
            None | Some(Value::Null) => Settings::default(),
            Some(s) => r.settings(s, "settings"),
        };
        let lines = r.list(m, "", "lines", true, |r, v, p| {
            let lm = r.obj(v, p, AMORT_LINE_KEYS)?;
            let id = r.id(lm, p, "id", false);
            let amount = r.decimal(lm, p, "amount", true);
            let credit_date = r.date(lm, p, "creditDate", true);
            let rep_id = r.id(lm, p, "repId", false);
            let currency = r.currency_code(lm, p, "currency", false);
            let pos = p.rsplit('[').next().unwrap_or("").trim_end_matches(']').to_string();
            Some(AmortLine { id: id.unwrap_or(pos), amount: amount?, credit_date: credit_date?, rep_id, currency })
        });
        dup_check(&mut r, m, "lines", "id");
        let pm = r.get(m, "", "policy", true).and_then(|p| r.obj(p, "policy", POLICY_KEYS));
        let pm = pm?;
        let months = match r.int(pm, "policy", "months", true) {
            Some(n) if (1..=600).contains(&n) => Some(n as u32),
            Some(_) => {
                r.issue("policy.months", "invalid_value", "`months` must be 1–600");
                None
            }
            None => None,
        };
        let start = r
            .choice(
                pm,
                "policy",
                "start",
                |s| match s {
                    "credit_month" => Some(Start::CreditMonth),
                    "next_month" => Some(Start::NextMonth),
                    _ => None,
                },
                &["credit_month", "next_month"],
            )
            .unwrap_or(Start::CreditMonth);
        Some((lines, Policy { months: months?, start }, settings.currency_precision, settings.rounding))
    })();
    r.finish(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_index_writes_the_decimal_digits() {
        for i in [0usize, 7, 10, 99, 100, 12345, usize::MAX] {
            let mut s = String::from("deals[");
            push_index(&mut s, i);
            assert_eq!(s, format!("deals[{i}"));
        }
    }
}

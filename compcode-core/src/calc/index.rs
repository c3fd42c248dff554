//! Lookups built once per calculation: reps by id / CRM id / email, assignments, rule families
//! per plan, and resolved quotas (SPEC §3, §5).

use super::{At, Code, Detail, Diagnostic, QuotaUse};
use crate::error::{Error, ErrorCode, Issue, Result};
use crate::hash::HashMap;
use crate::model::*;
use crate::period::Period;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::json;
use std::collections::BTreeMap;

use super::tiers::Checked;

/// Inclusive date ranges of one rep's assignments to one plan.
type Ranges = Vec<(NaiveDate, Option<NaiveDate>)>;
/// A plan's rule families: (rule name, [(version, rule index)] in precedence order).
type Families<'a> = Vec<(&'a str, Vec<(usize, usize)>)>;
/// Resolved quotas by (rep, plan, rule name, period).
pub(crate) type QuotaMap<'a> = BTreeMap<(usize, usize, &'a str, Period), QuotaUse>;

/// Indexes over a document.
#[derive(Clone)]
pub struct Index<'a> {
    doc: &'a CalcDoc,
    reps: HashMap<&'a str, usize>,
    crm: HashMap<&'a str, usize>,
    email: HashMap<String, usize>,
    plans: HashMap<&'a str, usize>,
    /// rep → plan → [start, end] ranges
    /// (a vector by rep index: looked up for every deal and credit)
    assignments: Vec<BTreeMap<usize, Ranges>>,
    /// rep → the plans it has any assignment to, by plan id (read for every deal and credit)
    plans_of: Vec<Vec<usize>>,
    /// plan → [(rule name, [(version, rule index)] in precedence order)] for per_deal/periodic rules
    families: Vec<Families<'a>>,
}

impl<'a> Index<'a> {
    /// Builds the indexes.
    pub fn new(doc: &'a CalcDoc) -> Self {
        let mut reps = HashMap::default();
        let mut crm = HashMap::default();
        let mut email = HashMap::default();
        for (i, r) in doc.reps.iter().enumerate() {
            reps.insert(r.id.as_str(), i);
            for c in &r.crm_ids {
                crm.entry(c.as_str()).or_insert(i);
            }
            if let Some(e) = &r.email {
                email.entry(e.to_lowercase()).or_insert(i);
            }
        }
        let plans: HashMap<&str, usize> = doc.plans.iter().enumerate().map(|(i, p)| (p.plan_id.as_str(), i)).collect();
        let mut assignments: Vec<BTreeMap<usize, Ranges>> = vec![BTreeMap::new(); doc.reps.len()];
        for a in &doc.assignments {
            if let (Some(&r), Some(&p)) = (reps.get(a.rep_id.as_str()), plans.get(a.plan_id.as_str())) {
                assignments[r].entry(p).or_default().push((a.start, a.end));
            }
        }
        let plans_of = (0..doc.reps.len())
            .map(|rep| {
                let mut v: Vec<usize> = assignments[rep].keys().copied().collect();
                v.sort_by(|a, b| doc.plans[*a].plan_id.cmp(&doc.plans[*b].plan_id));
                v
            })
            .collect();
        let families = doc
            .plans
            .iter()
            .map(|p| {
                // versions in precedence order: latest start, then version, then id (SPEC §8.5)
                let mut order: Vec<usize> = (0..p.versions.len()).collect();
                order.sort_by(|a, b| {
                    let (va, vb) = (&p.versions[*a], &p.versions[*b]);
                    (vb.effective_start, vb.version, &vb.plan_version_id).cmp(&(
                        va.effective_start,
                        va.version,
                        &va.plan_version_id,
                    ))
                });
                let mut fams: BTreeMap<&str, Vec<(usize, usize)>> = BTreeMap::new();
                for vi in order {
                    for (ri, r) in p.versions[vi].config.rules.iter().enumerate() {
                        if r.phase != Phase::Cascade {
                            fams.entry(r.name.as_str()).or_default().push((vi, ri));
                        }
                    }
                }
                fams.into_iter().collect()
            })
            .collect();
        Index { doc, reps, crm, email, plans, assignments, plans_of, families }
    }

    /// A rep by id.
    pub fn rep(&self, id: &str) -> Option<usize> {
        self.reps.get(id).copied()
    }

    /// A plan by id.
    pub fn plan(&self, id: &str) -> Option<usize> {
        self.plans.get(id).copied()
    }

    /// The rule families (per_deal and periodic rules by name) of a plan.
    pub(crate) fn families(&self, plan: usize) -> &[(&'a str, Vec<(usize, usize)>)] {
        &self.families[plan]
    }

    /// Plans a rep has any assignment to, by plan id order.
    pub fn assigned_plans(&self, rep: usize) -> Vec<usize> {
        self.plans_of(rep).to_vec()
    }

    /// [`Index::assigned_plans`] without a copy (sorted once, when the index is built).
    pub(crate) fn plans_of(&self, rep: usize) -> &[usize] {
        self.plans_of.get(rep).map_or(&[], Vec::as_slice)
    }

    fn ranges(&self, rep: usize, plan: usize) -> &[(NaiveDate, Option<NaiveDate>)] {
        self.assignments.get(rep).and_then(|m| m.get(&plan)).map(Vec::as_slice).unwrap_or(&[])
    }

    /// True when `date` is inside one of the rep's assignments to the plan (both ends included).
    pub fn assigned_on(&self, rep: usize, plan: usize, date: NaiveDate) -> bool {
        self.ranges(rep, plan).iter().any(|(s, e)| *s <= date && e.map_or(true, |e| date <= e))
    }

    /// True when `date` is inside any of the rep's assignments to any plan.
    pub fn assigned_any_on(&self, rep: usize, date: NaiveDate) -> bool {
        self.assignments.get(rep).is_some_and(|m| m.keys().any(|p| self.assigned_on(rep, *p, date)))
    }

    /// True when the rep is assigned to the plan on some day of `[from, to]`.
    pub fn assigned_between(&self, rep: usize, plan: usize, from: NaiveDate, to: NaiveDate) -> bool {
        self.ranges(rep, plan).iter().any(|(s, e)| *s <= to && e.map_or(true, |e| from <= e))
    }

    /// Days of `[from, to)` covered by the rep's assignments to the plan.
    fn covered_days(&self, rep: usize, plan: usize, from: NaiveDate, to: NaiveDate) -> i64 {
        let ranges = self.ranges(rep, plan); // looked up once, not per day
        let mut n = 0;
        let mut d = from;
        while d < to {
            if ranges.iter().any(|(s, e)| *s <= d && e.map_or(true, |e| d <= e)) {
                n += 1;
            }
            match d.succ_opt() {
                Some(x) => d = x,
                None => break,
            }
        }
        n
    }

    /// Resolves a deal's owner: `ownerRepId`, then the CRM id, then the email (case-insensitive).
    pub fn owner(&self, deal: &Deal) -> Option<usize> {
        deal.owner_rep_id
            .as_deref()
            .and_then(|id| self.rep(id))
            .or_else(|| deal.owner_crm_id.as_deref().and_then(|c| self.crm.get(c).copied()))
            .or_else(|| deal.owner_email.as_deref().and_then(|e| self.email.get(&e.to_lowercase()).copied()))
    }

    /// The credited reps of a deal with their share (split / 100) and role. Ghost owners and
    /// ghost credits are reported and left out (SPEC §3, §8.5). Written into `out` (cleared
    /// first): a walk over every deal reuses one buffer instead of allocating a vector per deal
    /// (issue #9).
    pub(crate) fn credits(
        &self,
        di: usize,
        diags: &mut Vec<Diagnostic>,
        out: &mut Vec<(usize, Decimal, Option<Name>)>,
    ) {
        out.clear();
        let deal = &self.doc.deals[di];
        match deal.credits.as_deref() {
            Some(list) if !list.is_empty() => {
                for c in list {
                    match self.rep(&c.rep_id) {
                        Some(r) => out.push((r, c.split_percent / Decimal::ONE_HUNDRED, c.role.clone())),
                        None => diags.push(Diagnostic::new(
                            Code::GhostOwner,
                            At { deal: Some(di), ..At::default() },
                            Detail::GhostCredit(Box::new(c.rep_id.as_str().into())),
                        )),
                    }
                }
            }
            _ => match self.owner(deal) {
                Some(r) => out.push((r, Decimal::ONE, None)),
                None => {
                    let who =
                        deal.owner_rep_id.as_deref().or(deal.owner_crm_id.as_deref()).or(deal.owner_email.as_deref());
                    diags.push(Diagnostic::new(
                        Code::GhostOwner,
                        At { deal: Some(di), ..At::default() },
                        super::diag::text(match who {
                            Some(w) => format!("owner `{w}` resolves to no rep; the deal is skipped"),
                            None => "the deal has no owner; it is skipped".into(),
                        }),
                    ));
                }
            },
        }
    }
}

/// Resolves every quota to (rep, plan, rule name, period) with its prorated targets (SPEC §5).
pub(crate) fn resolve_quotas<'a>(doc: &'a CalcDoc, ix: &Index<'a>) -> Result<QuotaMap<'a>> {
    let fy = doc.settings.fiscal_year_start_month;
    let mut out = BTreeMap::new();
    let mut dup_issues = Vec::new();
    // rule name → plans having it (any version)
    let rule_on = |plan: usize, name: &str| {
        doc.plans[plan].versions.iter().any(|v| v.config.rules.iter().any(|r| r.name == name))
    };
    for (qi, q) in doc.quotas.iter().enumerate() {
        let Some(rep) = ix.rep(&q.rep_id) else { continue };
        let (plan, name): (usize, &'a str) = match &q.rule {
            RuleRef::RuleId(id) => {
                let found = doc.plans.iter().enumerate().find_map(|(pi, p)| {
                    p.versions
                        .iter()
                        .flat_map(|v| v.config.rules.iter())
                        .find(|r| r.id.as_deref() == Some(id.as_str()))
                        .map(|r| (pi, r.name.as_str()))
                });
                match found {
                    Some(f) => f,
                    None => {
                        return Err(Error::with_details(
                            ErrorCode::PlanRuleNotFound,
                            format!("quotas[{qi}]: planRuleId `{id}` is not a rule of any plan version here"),
                            json!({"path": format!("quotas[{qi}].planRuleId"), "planRuleId": id}),
                        ))
                    }
                }
            }
            RuleRef::Named(p, n) | RuleRef::Shortcut(Some(p), n) => {
                let Some(pi) = ix.plan(p) else { continue };
                match doc.plans[pi].versions.iter().flat_map(|v| v.config.rules.iter()).find(|r| &r.name == n) {
                    Some(r) => (pi, r.name.as_str()),
                    None => {
                        return Err(Error::with_details(
                            ErrorCode::PlanRuleNotFound,
                            format!("quotas[{qi}]: plan `{p}` has no rule named `{n}`"),
                            json!({"path": format!("quotas[{qi}]"), "planId": p, "ruleName": n}),
                        ))
                    }
                }
            }
            RuleRef::Shortcut(None, n) => {
                let all: Vec<usize> = (0..doc.plans.len()).filter(|p| rule_on(*p, n)).collect();
                let assigned: Vec<usize> = ix.assigned_plans(rep).into_iter().filter(|p| rule_on(*p, n)).collect();
                let pick = if assigned.len() == 1 {
                    assigned[0]
                } else if assigned.len() > 1 || all.len() > 1 {
                    let cands: Vec<&str> = (if assigned.len() > 1 { &assigned } else { &all })
                        .iter()
                        .map(|p| doc.plans[*p].plan_id.as_str())
                        .collect();
                    return Err(Error::with_details(
                        ErrorCode::QuotaAmbiguousMeasure,
                        format!(
                            "quotas[{qi}]: `{n}` names rules on several plans of rep `{}`: {}; give `planId`",
                            q.rep_id,
                            cands.join(", ")
                        ),
                        json!({"path": format!("quotas[{qi}]"), "measure": n, "candidates": cands}),
                    ));
                } else if all.len() == 1 {
                    all[0]
                } else {
                    return Err(Error::with_details(
                        ErrorCode::PlanRuleNotFound,
                        format!("quotas[{qi}]: no plan has a rule named `{n}`"),
                        json!({"path": format!("quotas[{qi}]"), "measure": n}),
                    ));
                };
                let name = doc.plans[pick]
                    .versions
                    .iter()
                    .flat_map(|v| v.config.rules.iter())
                    .find(|r| &r.name == n)
                    .map(|r| r.name.as_str())
                    .unwrap_or("");
                (pick, name)
            }
        };
        // the quota's period must have the rule's format (SPEC §2)
        let kinds: Vec<_> = doc.plans[plan]
            .versions
            .iter()
            .flat_map(|v| v.config.rules.iter())
            .filter(|r| r.name == name)
            .map(|r| r.period_kind)
            .collect();
        if !kinds.contains(&q.period.kind) {
            return Err(Error::with_details(
                ErrorCode::PeriodMismatch,
                format!(
                    "quotas[{qi}]: period `{}` is {} but rule `{name}` is {}",
                    q.period,
                    q.period.kind.as_str(),
                    kinds.first().map_or("?", |k| k.as_str())
                ),
                json!({"path": format!("quotas[{qi}].period"), "period": q.period.to_string(), "expected": kinds.first().map(|k| k.as_str())}),
            ));
        }
        let (mut target, mut vt) = (q.target, q.variable_target);
        if q.prorate {
            let (from, to) = (q.period.start(fy), q.period.end(fy));
            let covered = Decimal::from(ix.covered_days(rep, plan, from, to));
            let total = Decimal::from(q.period.days(fy));
            target = target.mul_c(covered)?.div_c(total)?.unwrap_or(Decimal::ZERO);
            vt = match vt {
                Some(v) => Some(v.mul_c(covered)?.div_c(total)?.unwrap_or(Decimal::ZERO)),
                None => None,
            };
            if target.is_zero() {
                continue; // not assigned at all in the period: no quota
            }
        }
        let key = (rep, plan, name, q.period);
        if out.insert(key, QuotaUse { target, variable_target: vt }).is_some() {
            dup_issues.push(Issue {
                path: format!("quotas[{qi}]"),
                code: "duplicate",
                message: format!(
                    "rep `{}` has two quotas for rule `{name}` of plan `{}` in {}",
                    q.rep_id, doc.plans[plan].plan_id, q.period
                ),
                suggestion: None,
            });
        }
    }
    if !dup_issues.is_empty() {
        return Err(Error::validation(dup_issues));
    }
    Ok(out)
}

//! Payroll batches never lose or invent a cent (SPEC §14, §18.24): for every batch, the sum of
//! its payouts (max(net, 0)) minus the balances it carries forward equals the allocations it
//! took minus the clawbacks it took — checked against the stored lines of the batch, over random
//! sales, milestones, cancellations and follow-up sales, through three batches.

use compcode_core::ledger::{Event, LineStatus};
use compcode_core::memory::MemoryRepository;
use compcode_core::orchestrator::{Actor, Orchestrator};
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::{json, Value};

fn date(day: u32) -> String {
    (chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap() + chrono::Days::new(u64::from(day))).to_string()
}

fn d(s: &str) -> chrono::NaiveDate {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn setup() -> Orchestrator<MemoryRepository> {
    let mut o = Orchestrator::new(MemoryRepository::new());
    let at = d("2025-01-01");
    let sys = Actor::System;
    o.upsert_rep(&sys, json!({"id": "admin", "name": "Ada", "role": "admin"}), at).unwrap();
    o.upsert_rep(&sys, json!({"id": "bob", "name": "Bob", "role": "manager"}), at).unwrap();
    o.upsert_rep(&sys, json!({"id": "alice", "name": "Alice", "managerId": "bob"}), at).unwrap();
    o.upsert_rep(&sys, json!({"id": "sam", "name": "Sam", "managerId": "bob"}), at).unwrap();
    o.create_plan(
        &sys,
        json!({"planId": "spark", "name": "Spark", "effectiveStart": "2025-01-01", "config": {"rules": [
            {"name": "Sales Commission", "measure": "amount", "attainmentPeriod": "monthly",
             "rateTable": [
                {"roleId": "Closer", "effectiveStartDate": "2025-01-01", "percentMp1": "4", "flatMp1": "100",
                 "percentMp2": "2", "flatMp2": "50"},
                {"roleId": "Setter", "effectiveStartDate": "2025-01-01", "percentMp1": "1.5", "flatMp1": "25"}],
             "milestones": [
                {"number": 1, "when": [{"field": "status", "operator": "in", "value": ["APPROVED", "COMPLETED"]}]},
                {"number": 2, "when": [{"field": "status", "operator": "equals", "value": "COMPLETED"}],
                 "dateField": "installDate"}]},
            {"name": "Override", "measure": "amount", "executionPhase": "cascade", "cascadeBase": "measure",
             "dependsOn": "Sales Commission", "attainmentPeriod": "monthly", "sourceRoles": ["Closer", "Setter"],
             "tiers": [{"tierIndex": 0, "name": "1%", "minThreshold": 0, "rate": "0.01"}]}]}}),
        at,
    )
    .unwrap();
    o.assign(&sys, json!({"repIds": ["alice", "sam", "bob"], "planId": "spark", "effectiveStart": "2025-01-01"}), at)
        .unwrap();
    o
}

fn approve(o: &mut Orchestrator<MemoryRepository>, period: &str, at: &str) {
    let admin = Actor::user("admin");
    for rep in ["alice", "sam", "bob"] {
        o.generate_statement(&admin, rep, period, d(at)).unwrap();
        o.set_statement_status(&admin, rep, period, "approved", d(at)).unwrap();
    }
}

/// Pays a batch and checks the identity against the stored lines.
fn pay_and_check(o: &mut Orchestrator<MemoryRepository>, end: &str, pay: &str) -> Result<(), TestCaseError> {
    let admin = Actor::user("admin");
    let b = o
        .create_batch(
            &admin,
            json!({"batchName": format!("to {end}"), "payPeriodEnd": end, "payDate": pay, "includeClawbacks": true}),
            d(end),
        )
        .unwrap();
    let id = b.batch_id.clone();
    for action in ["submit", "approve", "export"] {
        o.batch_action(&admin, &id, action, d(end)).unwrap();
    }
    let paid = o.batch_action(&admin, &id, "mark_paid", d(pay)).unwrap();
    let events: Vec<Event> = o.events(&admin, None, None).unwrap();
    let mine: Vec<&Event> = events.iter().filter(|e| e.batch_id.as_deref() == Some(id.as_str())).collect();
    let mut allocations = Decimal::ZERO;
    let mut clawbacks = Decimal::ZERO;
    for e in &mine {
        prop_assert_eq!(e.status, LineStatus::Paid, "every line of a PAID batch is paid");
        prop_assert_eq!(e.paid_at.as_deref(), Some(pay), "paidAt is the pay date");
        if e.execution_phase == "clawback" {
            clawbacks += -e.amount;
        } else {
            allocations += e.amount;
        }
    }
    let payouts: Decimal = b.payouts.iter().map(|p| p.pay_amount).sum();
    let carried_keys: Vec<String> =
        paid["carryForwards"].as_array().unwrap().iter().map(|k| k.as_str().unwrap().to_string()).collect();
    let carried: Decimal = events.iter().filter(|e| carried_keys.contains(&e.idempotency_key)).map(|e| -e.amount).sum();
    prop_assert_eq!(carried_keys.len(), b.payouts.iter().filter(|p| p.carry_forward > Decimal::ZERO).count());
    prop_assert_eq!(payouts - carried, allocations - clawbacks, "Σ pay − carried forward = allocations − clawbacks");
    prop_assert_eq!(Some(payouts), b.total_amount, "totalAmount = Σ max(net, 0)");
    prop_assert_eq!(mine.len(), b.record_count);
    Ok(())
}

#[derive(Debug, Clone)]
struct Sale {
    amount: u32,
    day: u32,
    completed: bool,
    setter: bool,
    cancel: bool,
}

fn sale_strategy() -> impl Strategy<Value = Sale> {
    (1_000u32..80_000, 0u32..85, any::<bool>(), any::<bool>(), prop::bool::weighted(0.5))
        .prop_map(|(amount, day, completed, setter, cancel)| Sale { amount, day, completed, setter, cancel })
}

fn snapshot(id: &str, s: &Sale, status: &str) -> Value {
    let mut credits = vec![json!({"repId": "alice", "role": "Closer"})];
    if s.setter {
        credits.push(json!({"repId": "sam", "role": "Setter"}));
    }
    json!({"id": id, "status": status, "amount": s.amount.to_string(), "closeDate": date(s.day), "ownerRepId": "alice",
           "fields": {"installDate": date((s.day + 20).min(100))}, "credits": credits})
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn batch_payouts_plus_carried_balances_equal_allocations_minus_clawbacks(
        sales in prop::collection::vec(sale_strategy(), 1..6),
        later in prop::collection::vec(500u32..30_000, 0..3),
    ) {
        let mut o = setup();
        let sys = Actor::System;
        let admin = Actor::user("admin");
        for (i, s) in sales.iter().enumerate() {
            let status = if s.completed { "COMPLETED" } else { "APPROVED" };
            o.upsert_deal(&sys, snapshot(&format!("S{i}"), s, status), d(&date(s.day))).unwrap();
        }
        for (p, at) in [("2025-01", "2025-01-31"), ("2025-02", "2025-02-28"), ("2025-03", "2025-03-31"), ("2025-04", "2025-04-30")] {
            approve(&mut o, p, at);
        }
        pay_and_check(&mut o, "2025-04-30", "2025-05-05")?;
        for (i, s) in sales.iter().enumerate() {
            if s.cancel {
                o.cancel_sale(&admin, &format!("S{i}"), Some("cancelled"), None, d("2025-05-10")).unwrap();
            }
        }
        for (i, amount) in later.iter().enumerate() {
            let s = Sale { amount: *amount, day: 130 + i as u32, completed: false, setter: i % 2 == 0, cancel: false };
            o.upsert_deal(&sys, snapshot(&format!("L{i}"), &s, "APPROVED"), d("2025-05-20")).unwrap();
        }
        approve(&mut o, "2025-05", "2025-05-31");
        pay_and_check(&mut o, "2025-05-31", "2025-06-05")?;
        pay_and_check(&mut o, "2025-06-30", "2025-07-05")?;
    }
}

//! Property tests for the v0 rules, the formula language and the CommissionFlow operations:
//! arbitrary input never panics and always ends in a value or a typed error; generated formulas
//! evaluate like an independent reference; CommissionFlow amounts follow the hand formula.

use compcode_core::api::{run, OPERATIONS};
use compcode_core::rules_v0::formula::{format_result, Formula, Ref, MAX_LENGTH};
use proptest::prelude::*;
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{json, Value};

const FORMULA_CODES: [&str; 5] = [
    "formula_syntax",
    "formula_missing_field",
    "formula_division_by_zero",
    "formula_too_complex",
    "arithmetic_overflow",
];

fn lookup(name: &str) -> Ref {
    match name {
        "a" => Ref::Number(Decimal::new(125, 2)),
        "b" => Ref::Number(Decimal::from(-3)),
        "z" => Ref::Number(Decimal::ZERO),
        "big" => Ref::Number(Decimal::MAX),
        "t" => Ref::NotNumeric("text".into()),
        _ => Ref::Missing,
    }
}

/// Text made mostly of formula characters, so that parsing gets deep before failing.
fn formula_like() -> impl Strategy<Value = String> {
    let piece = prop::sample::select(vec![
        "1",
        "0",
        "42",
        "3.5",
        ".",
        "+",
        "-",
        "*",
        "/",
        "(",
        ")",
        " ",
        "{{a}}",
        "{{b}}",
        "{{ z }}",
        "{{big}}",
        "{{t}}",
        "{{nope}}",
        "{{",
        "}}",
        "{",
        "}",
        "e",
        "é",
        "\n",
        "0.0000000000000001",
        "79228162514264337593543950335",
    ]);
    prop::collection::vec(piece, 0..200).prop_map(|v| v.concat())
}

fn check_formula(text: &str) -> Result<(), TestCaseError> {
    let n = text.chars().count();
    match Formula::parse(text) {
        Ok(f) => {
            prop_assert!(n <= MAX_LENGTH);
            match f.eval(lookup) {
                Ok(d) => {
                    let s = format_result(d);
                    prop_assert!(!s.contains('e') && !s.contains('E') && s != "-0", "{}", s);
                }
                Err(e) => {
                    prop_assert!(FORMULA_CODES.contains(&e.code.as_str()));
                    prop_assert!(e.position.is_some_and(|p| p < n));
                }
            }
        }
        Err(e) => {
            prop_assert!(FORMULA_CODES.contains(&e.code.as_str()), "{:?}", e);
            prop_assert!(e.position.is_some_and(|p| p <= n.max(MAX_LENGTH)), "{:?}", e);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_strings_never_panic(text in any::<String>()) {
        check_formula(&text)?;
    }

    #[test]
    fn formula_like_strings_never_panic(text in formula_like()) {
        check_formula(&text)?;
    }
}

#[test]
fn huge_and_deep_formulas_end_quickly() {
    for text in [
        "(".repeat(100_000),
        "-".repeat(100_000),
        format!("1{}", "+1".repeat(100_000)),
        "{{".repeat(50_000),
        format!("{}1{}", "(".repeat(64), ")".repeat(64)),
        format!("{}1", "-".repeat(64)),
        format!("1{}", "*2".repeat(2000)),
    ] {
        let start = std::time::Instant::now();
        let r = Formula::parse(&text).and_then(|f| f.eval(lookup));
        assert!(start.elapsed().as_secs() < 2, "slow on {} characters", text.len());
        if let Err(e) = r {
            assert!(FORMULA_CODES.contains(&e.code.as_str()));
        }
    }
}

// ---- generated formulas against an independent reference ----

#[derive(Debug, Clone)]
enum Expr {
    Num(Decimal),
    Ref(&'static str),
    Neg(Box<Expr>),
    Bin(char, Box<Expr>, Box<Expr>),
}

fn expr() -> impl Strategy<Value = Expr> {
    let leaf = prop_oneof![
        (0i64..10_000, 0u32..3).prop_map(|(m, s)| Expr::Num(Decimal::new(m, s))),
        prop::sample::select(vec!["a", "b"]).prop_map(Expr::Ref),
    ];
    leaf.prop_recursive(4, 24, 2, |inner| {
        prop_oneof![
            inner.clone().prop_map(|e| Expr::Neg(Box::new(e))),
            (prop::sample::select(vec!['+', '-', '*']), inner.clone(), inner.clone()).prop_map(|(op, a, b)| Expr::Bin(
                op,
                Box::new(a),
                Box::new(b)
            )),
            // divisors are non-zero literals, so the reference never divides by zero
            (inner, 1i64..13).prop_map(|(a, d)| Expr::Bin('/', Box::new(a), Box::new(Expr::Num(Decimal::from(d))))),
        ]
    })
}

fn prec(e: &Expr) -> u8 {
    match e {
        Expr::Bin('+' | '-', ..) => 1,
        Expr::Bin(..) => 2,
        Expr::Neg(_) => 3,
        _ => 4,
    }
}

/// Renders with the fewest parentheses the grammar needs, and some spacing noise.
fn render(e: &Expr, space: bool) -> String {
    let sp = if space { " " } else { "" };
    match e {
        Expr::Num(d) => d.to_string(),
        Expr::Ref(n) => format!("{{{{{n}}}}}"),
        Expr::Neg(x) => {
            let inner = render(x, !space);
            if prec(x) < 3 {
                format!("-({inner})")
            } else {
                format!("-{inner}")
            }
        }
        Expr::Bin(op, a, b) => {
            let p = prec(e);
            let l = render(a, !space);
            let r = render(b, !space);
            let l = if prec(a) < p { format!("({l})") } else { l };
            let r = if prec(b) <= p { format!("({r})") } else { r };
            format!("{l}{sp}{op}{sp}{r}")
        }
    }
}

/// The reference: checked decimal arithmetic, each division rounded half-even to 16 places.
/// `None` for overflow; `Some(None)` when a quotient is too large for the reference's rounding
/// to be comparable (above 10^12 the engine keeps as many decimals as fit).
fn reference(e: &Expr) -> Option<Option<Decimal>> {
    Some(Some(match e {
        Expr::Num(d) => *d,
        Expr::Ref(n) => match lookup(n) {
            Ref::Number(d) => d,
            _ => return None,
        },
        Expr::Neg(x) => -(reference(x)?)?,
        Expr::Bin(op, a, b) => {
            let (Some(x), Some(y)) = (reference(a)?, reference(b)?) else { return Some(None) };
            match op {
                '+' => x.checked_add(y)?,
                '-' => x.checked_sub(y)?,
                '*' => x.checked_mul(y)?,
                _ => {
                    if x.abs() > Decimal::from(1_000_000_000_000i64) {
                        return Some(None);
                    }
                    x.checked_div(y)?.round_dp_with_strategy(16, RoundingStrategy::MidpointNearestEven)
                }
            }
        }
    }))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, ..ProptestConfig::default() })]

    #[test]
    fn generated_formulas_evaluate_like_the_reference(e in expr(), space in any::<bool>()) {
        let text = render(&e, space);
        let f = Formula::parse(&text);
        prop_assert!(f.is_ok(), "{} → {:?}", text, f);
        let got = f.unwrap().eval(lookup);
        match reference(&e) {
            Some(Some(want)) => {
                let got = got.map_err(|err| TestCaseError::fail(format!("{text}: {err:?}")))?;
                prop_assert_eq!(got, want, "{}", text);
            }
            Some(None) => {}
            None => prop_assert!(got.is_err_and(|e| e.code.as_str() == "arithmetic_overflow"), "{}", text),
        }
    }
}

// ---- arbitrary JSON through every operation ----

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        prop::sample::select(vec!["0.5", "-1.25", "1e308", "1e-30", "79228162514264337593543950336"])
            .prop_map(|t| serde_json::from_str::<Value>(t).unwrap()),
        "[a-z_{}() *+/.0-9-]{0,12}".prop_map(Value::String),
        prop::sample::select(vec![
            "v0",
            "550e8400-e29b-41d4-a716-446655440000",
            "2024-01-15",
            "2024-01-15T10:30:00Z",
            "PENDING",
            "APPROVED",
            "PAID",
            "PERCENTAGE",
            "FLAT",
            "TIERED",
            "eq",
            "gt",
            "in",
            "apply_tier",
            "set_rate",
        ])
        .prop_map(|s| Value::String(s.to_string())),
    ]
}

const FIELD_NAMES: [&str; 28] = [
    "rules",
    "context",
    "formula",
    "schema_version",
    "rule_id",
    "rule_name",
    "conditions",
    "actions",
    "field",
    "operator",
    "value",
    "type",
    "target_field",
    "tiers",
    "min",
    "max",
    "rate",
    "commissions",
    "commission",
    "status",
    "at",
    "page",
    "limit",
    "plans",
    "sales",
    "calculatedAt",
    "amount",
    "id",
];

fn any_json() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(4, 40, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(FIELD_NAMES.to_vec()), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, ..ProptestConfig::default() })]

    #[test]
    fn every_operation_takes_arbitrary_json_without_panicking(op in prop::sample::select(OPERATIONS.to_vec()), input in any_json()) {
        match run(op, &input) {
            Ok(_) => {}
            Err(e) => prop_assert!(!e.code().as_str().is_empty()),
        }
    }

    #[test]
    fn v0_operations_take_arbitrary_rules(rule in any_json(), context in any_json()) {
        let _ = run("rules_v0.validate", &rule);
        let _ = run("rules_v0.validate", &json!({"rules": [rule.clone()]}));
        let _ = run("rules_v0.evaluate", &json!({"rules": [rule], "context": context}));
    }
}

// ---- v0 evaluation on valid rules ----

fn tier_rule(n: u32, bounds: &[(i64, Option<i64>)], priority: u32, active: bool) -> Value {
    let tiers: Vec<Value> = bounds
        .iter()
        .enumerate()
        .map(|(i, (lo, hi))| json!({"min": lo, "max": hi, "rate": format!("0.{i}")}))
        .collect();
    json!({"schema_version": "v0", "rule_id": format!("00000000-0000-4000-8000-{n:012}"), "rule_name": format!("R{n}"),
           "priority": priority, "is_active": active,
           "conditions": [{"field": "x", "operator": "gte", "value": 0}],
           "actions": [{"type": "apply_tier", "target_field": "rate", "tiers": tiers},
                       {"type": "apply_formula", "target_field": format!("y{n}"), "formula": "{{x}} * 2 - 1"}]})
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Every rule is traced once, in priority order (ties by list order); inactive rules never
    /// fire; an active rule fires exactly when its condition holds.
    #[test]
    fn evaluation_traces_every_rule_in_priority_order(
        specs in prop::collection::vec((0u32..4, any::<bool>()), 1..8),
        x in -5i64..60,
    ) {
        let rules: Vec<Value> = specs.iter().enumerate()
            .map(|(i, (p, active))| tier_rule(i as u32, &[(0, Some(9)), (10, Some(19)), (20, None)], *p, *active))
            .collect();
        let out = run("rules_v0.evaluate", &json!({"rules": rules, "context": {"x": x}})).unwrap();
        let trace = out["trace"].as_array().unwrap();
        prop_assert_eq!(trace.len(), specs.len());
        let mut order: Vec<usize> = (0..specs.len()).collect();
        order.sort_by_key(|i| std::cmp::Reverse(specs[*i].0));
        for (step, i) in order.iter().enumerate() {
            prop_assert_eq!(trace[step]["index"].as_u64(), Some(*i as u64));
            let fired = trace[step]["fired"].as_bool().unwrap();
            prop_assert_eq!(fired, specs[*i].1 && x >= 0);
        }
        if x >= 0 && specs.iter().any(|s| s.1) {
            let want = if x <= 9 { "0.0" } else if x <= 19 { "0.1" } else { "0.2" };
            prop_assert_eq!(out["context"]["rate"].as_str(), Some(want));
        }
    }
}

// ---- CommissionFlow amounts follow the hand formula ----

fn money(d: Decimal) -> String {
    let mut r = d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    r.rescale(2);
    if r.is_zero() {
        r.set_sign_positive(true);
    }
    r.to_string()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// PERCENTAGE with optional caps: calculatedAmount = round(sale × v / 100); the final amount
    /// prices |sale| (minAmount lifting only a positive amount, maxAmount capping), then restores
    /// the sign (SPEC §18.37).
    #[test]
    fn percentage_commissions_follow_the_hand_formula(
        cents in -10_000_000i64..10_000_000,
        pct in 0i64..5000,
        min in prop::option::of(0i64..50_000),
        max in prop::option::of(0i64..500_000),
    ) {
        let (min, max) = match (min, max) {
            (Some(a), Some(b)) if a > b => (Some(b), Some(a)),
            other => other,
        };
        let sale = Decimal::new(cents, 2);
        let v = Decimal::new(pct, 2);
        let mut rule = json!({"id": "r", "name": "R", "type": "PERCENTAGE", "value": v.to_string()});
        if let Some(m) = min { rule["minAmount"] = json!(m.to_string()); }
        if let Some(m) = max { rule["maxAmount"] = json!(m.to_string()); }
        let out = run("commissionflow.calculate", &json!({
            "calculatedAt": "2024-06-01", "plans": [{"id": "p", "name": "P", "rules": [rule]}],
            "sales": [{"id": "s", "userId": "u", "amount": sale.to_string(), "transactionDate": "2024-05-31"}]})).unwrap();
        let c = &out["commissions"][0];
        let raw = sale.abs() * v / Decimal::ONE_HUNDRED;
        let mut capped = raw;
        if let Some(m) = min { if capped > Decimal::ZERO && capped < Decimal::from(m) { capped = Decimal::from(m); } }
        if let Some(m) = max { if capped > Decimal::from(m) { capped = Decimal::from(m); } }
        let sign = if sale.is_sign_negative() { -Decimal::ONE } else { Decimal::ONE };
        let (want_calculated, want_final) = (money(sign * raw), money(sign * capped));
        prop_assert_eq!(c["explanation"]["calculation"]["calculatedAmount"].as_str(), Some(want_calculated.as_str()));
        prop_assert_eq!(c["amount"].as_str(), Some(want_final.as_str()));
    }

    /// Only PENDING → APPROVED → PAID succeeds; everything else is CONFLICT and changes nothing.
    #[test]
    fn the_lifecycle_allows_only_forward_steps(steps in prop::collection::vec(prop::sample::select(vec!["PENDING", "APPROVED", "PAID"]), 1..8)) {
        let mut rec = json!({"id": "c", "status": "PENDING", "approvedAt": null, "paidAt": null});
        for (i, to) in steps.iter().enumerate() {
            let from = rec["status"].as_str().unwrap().to_string();
            let at = format!("2024-01-{:02}", i + 1);
            let r = run("commissionflow.transition", &json!({"commission": rec.clone(), "status": to, "at": at}));
            let allowed = (from == "PENDING" && *to == "APPROVED") || (from == "APPROVED" && *to == "PAID");
            match r {
                Ok(v) => {
                    prop_assert!(allowed, "{} → {} was allowed", from, to);
                    rec = v["commission"].clone();
                    let stamp = if *to == "APPROVED" { "approvedAt" } else { "paidAt" };
                    prop_assert_eq!(rec[stamp].as_str(), Some(at.as_str()));
                }
                Err(e) => {
                    prop_assert!(!allowed, "{} → {} was refused", from, to);
                    prop_assert_eq!(e.code().as_str(), "CONFLICT");
                }
            }
        }
    }

    /// The list helper returns each matching record exactly once across its pages, in order.
    #[test]
    fn list_pages_partition_the_matches(
        recs in prop::collection::vec((0u32..28, prop::sample::select(vec!["PENDING", "APPROVED", "PAID", "REVERSED"]), 0u8..3), 0..40),
        limit in 1u64..12,
    ) {
        let records: Vec<Value> = recs.iter().enumerate().map(|(i, (day, st, u))| json!({
            "id": format!("c{i:02}"), "status": st, "user": {"id": format!("u{u}")},
            "salesTransaction": {"transactionDate": format!("2024-02-{:02}", day + 1)}})).collect();
        let want: Vec<(u32, String)> = {
            let mut w: Vec<(u32, String)> = recs.iter().enumerate().filter(|(_, r)| r.1 != "REVERSED")
                .map(|(i, r)| (r.0, format!("c{i:02}"))).collect();
            w.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
            w
        };
        let mut got = Vec::new();
        let mut page = 1;
        loop {
            let out = run("commissionflow.list", &json!({"commissions": records, "limit": limit, "page": page})).unwrap();
            let p = &out["pagination"];
            prop_assert_eq!(p["total"].as_u64(), Some(want.len() as u64));
            prop_assert_eq!(p["pages"].as_u64(), Some((want.len() as u64).div_ceil(limit)));
            let items = out["commissions"].as_array().unwrap();
            if items.is_empty() { break; }
            got.extend(items.iter().map(|c| c["id"].as_str().unwrap().to_string()));
            page += 1;
        }
        prop_assert_eq!(got, want.into_iter().map(|w| w.1).collect::<Vec<_>>());
    }
}

//! The benchmark workload of compcode: a deterministic, seeded calculation document.
//!
//! The same seed always gives the same document, so the criterion benches, the profiling driver
//! (`compcode-bench run`), the comparison harness (`scripts/bench.sh`) and the pure-Python
//! baseline (`benches/baseline.py`) all work on the same input.
//!
//! The plan ("AE") has the four rules of the performance targets (issue #9):
//! - `Attainment Commission`: per_deal, quarterly attainment, **marginal** tiers
//!   (5 % to 100 %, 8 % to 150 %, 12 % above);
//! - `Strategic SPIF`: per_deal, tiered by the deal's value, **full_rate**, with conditions
//!   (`region` equals `EMEA` and `product` in `[Platform, Analytics]`): 1 % (2 % from 50,000);
//! - `Quarterly Bonus`: periodic, a flat 2,500 at 100 % quarterly attainment;
//! - `Manager Override`: a cascade of 3 % of the reports' `Attainment Commission` to their
//!   manager.
//!
//! Reps: `n_reps` (1,000 by default); every 20th rep is a manager (no manager of their own), the
//! others report to the manager of their block of 20. Quotas per rep and quarter of 2026 for the
//! attainment rule and the bonus. Deals close on a day of 2026 (70 % won), owned by a random
//! rep, with a random amount of 1,000.00–250,000.00, a region and a product.
//!
//! ```
//! let doc = compcode_bench::generate(&compcode_bench::Workload { deals: 10, ..Default::default() });
//! assert_eq!(doc["deals"].as_array().unwrap().len(), 10);
//! assert_eq!(doc, compcode_bench::generate(&compcode_bench::Workload { deals: 10, ..Default::default() }));
//! ```

use serde_json::{json, Value};

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workload {
    /// Number of deals.
    pub deals: usize,
    /// Number of reps (a multiple of 20 is tidiest).
    pub reps: usize,
    /// Seed of the random numbers.
    pub seed: u64,
    /// `options.trace`.
    pub trace: bool,
}

impl Default for Workload {
    fn default() -> Self {
        Workload { deals: 100_000, reps: 1_000, seed: 0x2f6b_1d35, trace: true }
    }
}

/// splitmix64: small, fast, reproducible everywhere (the Python baseline does not need it: it
/// reads the generated JSON).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// The names of the rules, in plan order.
pub const RULES: [&str; 4] = ["Attainment Commission", "Strategic SPIF", "Quarterly Bonus", "Manager Override"];

/// The plan's rules.
pub fn rules() -> Value {
    json!([
        {
            "name": RULES[0], "measure": "closed_won_revenue", "executionPhase": "per_deal",
            "attainmentPeriod": "quarterly", "tierBy": "attainment", "tierMode": "marginal",
            "tiers": [
                {"tierIndex": 0, "name": "Base", "minThreshold": "0", "rate": "0.05"},
                {"tierIndex": 1, "name": "On Target", "minThreshold": "1", "rate": "0.08"},
                {"tierIndex": 2, "name": "Accelerator", "minThreshold": "1.5", "rate": "0.12"}
            ]
        },
        {
            "name": RULES[1], "measure": "closed_won_revenue", "executionPhase": "per_deal",
            "attainmentPeriod": "quarterly", "tierBy": "value", "tierMode": "full_rate",
            "conditions": [
                {"field": "region", "operator": "equals", "value": "EMEA"},
                {"field": "product", "operator": "in", "value": ["Platform", "Analytics"]}
            ],
            "tiers": [
                {"tierIndex": 0, "name": "Standard", "minThreshold": "0", "rate": "0.01"},
                {"tierIndex": 1, "name": "Large", "minThreshold": "50000", "rate": "0.02"}
            ]
        },
        {
            "name": RULES[2], "measure": "closed_won_revenue", "executionPhase": "periodic",
            "attainmentPeriod": "quarterly", "tierBy": "attainment", "payoutBase": "1",
            "tiers": [
                {"tierIndex": 0, "name": "None", "minThreshold": "0", "flatAmount": "0"},
                {"tierIndex": 1, "name": "Hit", "minThreshold": "1", "flatAmount": "2500"}
            ]
        },
        {
            "name": RULES[3], "measure": "closed_won_revenue", "executionPhase": "cascade",
            "attainmentPeriod": "quarterly", "dependsOn": RULES[0],
            "tiers": [{"tierIndex": 0, "name": "Override", "minThreshold": "0", "rate": "0.03"}]
        }
    ])
}

/// The quarterly quota of every rep (for both quota rules): about what a rep closes in a quarter
/// at the default sizes, so attainment crosses the tiers.
pub fn quota_target(w: &Workload) -> u64 {
    // mean won amount ≈ 125,500 × 0.7 won, deals per rep-quarter = deals / reps / 4
    let per_rep_quarter = (w.deals as u64).max(1) * 87_850 / (w.reps.max(1) as u64 * 4);
    per_rep_quarter.max(1_000)
}

/// The whole calculation document.
pub fn generate(w: &Workload) -> Value {
    let mut rng = Rng(w.seed);
    let reps: Vec<Value> = (0..w.reps)
        .map(|i| {
            let manager = if i % 20 == 0 { Value::Null } else { json!(format!("rep{}", i / 20 * 20)) };
            json!({"id": format!("rep{i}"), "name": format!("Rep {i}"), "email": format!("rep{i}@example.com"), "managerId": manager})
        })
        .collect();
    let assignments: Vec<Value> = (0..w.reps)
        .map(|i| json!({"repId": format!("rep{i}"), "planId": "ae", "effectiveStart": "2026-01-01"}))
        .collect();
    let target = quota_target(w).to_string();
    let mut quotas = Vec::with_capacity(w.reps * 8);
    for i in 0..w.reps {
        for q in 1..=4 {
            for rule in [RULES[0], RULES[2]] {
                quotas.push(json!({"repId": format!("rep{i}"), "planId": "ae", "ruleName": rule,
                    "period": format!("2026-Q{q}"), "target": target}));
            }
        }
    }
    const REGIONS: [&str; 3] = ["EMEA", "AMER", "APAC"];
    const PRODUCTS: [&str; 3] = ["Platform", "Analytics", "Services"];
    const DAYS: [u64; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let deals: Vec<Value> = (0..w.deals)
        .map(|i| {
            let month = rng.below(12);
            let day = 1 + rng.below(DAYS[month as usize]);
            let won = rng.below(10) < 7;
            let cents = 100_000 + rng.below(24_900_001);
            let owner = rng.below(w.reps.max(1) as u64);
            let region = REGIONS[rng.below(3) as usize];
            let product = PRODUCTS[rng.below(3) as usize];
            json!({
                "id": format!("D{i}"), "name": format!("Deal {i}"),
                "stage": if won { "closed_won" } else { "closed_lost" },
                "amount": format!("{}.{:02}", cents / 100, cents % 100),
                "closeDate": format!("2026-{:02}-{:02}", month + 1, day),
                "ownerRepId": format!("rep{owner}"),
                "fields": {"region": region, "product": product}
            })
        })
        .collect();
    json!({
        "asOf": "2027-01-15",
        "reps": reps,
        "plans": [{"planId": "ae", "name": "AE Plan", "versions": [{"planVersionId": "ae-v1",
            "effectiveStart": "2026-01-01", "config": {"rules": rules()}}]}],
        "assignments": assignments,
        "quotas": quotas,
        "deals": deals,
        "options": {"trace": w.trace}
    })
}

/// [`generate`] as compact JSON text.
pub fn generate_json(w: &Workload) -> String {
    generate(w).to_string()
}

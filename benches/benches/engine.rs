//! criterion benches of the engine on the seeded workload (`compcode_bench::generate`).
//!
//! ```text
//! cargo bench -p compcode-bench                      # everything (the 1M case takes minutes)
//! cargo bench -p compcode-bench -- simulate/10000    # one bench
//! ```
//!
//! Not a test: nothing here runs in `cargo test`, and nothing asserts a time.
use compcode_bench::{generate, Workload};
use compcode_core::api;
use compcode_core::memory::MemoryRepository;
use compcode_core::orchestrator::{Actor, Orchestrator};
use compcode_core::validate::read_document;
use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion};
use serde_json::{json, Value};
use std::time::Duration;

fn workload(deals: usize, trace: bool) -> Value {
    generate(&Workload { deals, trace, ..Workload::default() })
}

/// Plan validation: the plan alone, and a whole 10,000-deal document.
fn validation(c: &mut Criterion) {
    let mut g = c.benchmark_group("validate");
    let plan_only = workload(0, true);
    g.bench_function("plan", |b| b.iter(|| black_box(api::validate(black_box(&plan_only)))));
    let doc = workload(10_000, true);
    g.bench_function("document_10000", |b| b.iter(|| black_box(api::validate(black_box(&doc)))));
    g.finish();
}

/// `simulate` from an in-memory, already-read document (traces on, then off).
fn simulate(c: &mut Criterion) {
    let mut g = c.benchmark_group("simulate");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    for deals in [10_000usize, 100_000, 1_000_000] {
        for trace in [true, false] {
            // built on first use, so a filtered-out size costs nothing
            let mut doc = None;
            let name = format!("{deals}{}", if trace { "" } else { "/no_trace" });
            g.bench_function(name, |b| {
                let doc =
                    doc.get_or_insert_with(|| read_document(&workload(deals, trace)).expect("the workload is valid"));
                b.iter(|| black_box(api::simulate_doc(black_box(doc))))
            });
        }
    }
    g.finish();
}

/// A store with one rep and `deals` deals (about 10,000 won deals per quarter for 57,000).
fn store(deals: usize) -> Orchestrator<MemoryRepository> {
    let at = chrono::NaiveDate::from_ymd_opt(2027, 1, 15).unwrap_or_default();
    let doc = generate(&Workload { deals, reps: 1, trace: false, ..Workload::default() });
    let mut o = Orchestrator::new(MemoryRepository::new());
    o.import_document(&Actor::System, &doc, at).expect("the workload imports");
    o
}

/// One deal upsert in a 10,000-deal (rep, quarter) group, calculation and reconcile included.
///
/// `upsert_in_10000_group`: an early deal of the quarter changes its amount, which moves every
/// later line of the group under the marginal attainment tiers (about 5,500 events updated).
/// `upsert_small_effect_in_10000_group`: a deal closing on the quarter's last day (after every
/// other deal of the group) changes its amount: its own two lines change.
fn incremental(c: &mut Criterion) {
    let at = chrono::NaiveDate::from_ymd_opt(2027, 1, 15).unwrap_or_default();
    let mut o = None;
    let mut g = c.benchmark_group("incremental");
    g.sample_size(10);
    let mut n = 0u64;
    g.bench_function("upsert_in_10000_group", |b| {
        let o = o.get_or_insert_with(|| store(57_000));
        b.iter(|| {
            n += 1;
            let snap = json!({"id": "D0", "name": "Deal 0", "stage": "closed_won", "amount": format!("{}.00", 50_000 + n % 2),
                "closeDate": "2026-02-10", "ownerRepId": "rep0", "fields": {"region": "EMEA", "product": "Platform"}});
            black_box(o.upsert_deal(&Actor::System, snap, at).expect("upsert"))
        })
    });
    g.bench_function("upsert_small_effect_in_10000_group", |b| {
        let o = o.get_or_insert_with(|| store(57_000));
        b.iter(|| {
            n += 1;
            let snap = json!({"id": "DNEW", "name": "Deal", "stage": "closed_won", "amount": format!("{}.00", 50_000 + n % 2),
                "closeDate": "2026-03-31", "ownerRepId": "rep0", "fields": {"region": "EMEA", "product": "Platform"}});
            black_box(o.upsert_deal(&Actor::System, snap, at).expect("upsert"))
        })
    });
    g.finish();
}

/// Reconcile of about 100,000 stored events against a recalculation that changed 1 % of them.
fn reconcile(c: &mut Criterion) {
    let mut input = None;
    let mut g = c.benchmark_group("reconcile");
    g.sample_size(10);
    g.bench_function("100000_events", |b| {
        let input = input.get_or_insert_with(|| {
            // 110,000 deals give about 100,000 events
            let out = api::simulate(&workload(110_000, false)).expect("simulate");
            let existing: Vec<Value> = out.events.iter().map(|e| serde_json::to_value(e).unwrap_or_default()).collect();
            let mut computed = existing.clone();
            for e in computed.iter_mut().step_by(100) {
                e["amount"] = json!("1.00");
            }
            json!({"existing": existing, "computed": computed})
        });
        b.iter(|| black_box(api::run("reconcile", black_box(&*input))))
    });
    g.finish();
}

/// A statement of a rep-quarter of about 10,000 lines, and its CSV export.
fn statements(c: &mut Criterion) {
    let at = chrono::NaiveDate::from_ymd_opt(2027, 1, 15).unwrap_or_default();
    let mut o = None;
    let mut g = c.benchmark_group("statement");
    g.sample_size(10);
    g.bench_function("generate", |b| {
        let o = o.get_or_insert_with(|| store(57_000));
        b.iter_batched(
            || (),
            |_| black_box(o.generate_statement(&Actor::System, "rep0", "2026-Q1", at).expect("statement")),
            BatchSize::PerIteration,
        )
    });
    g.bench_function("export_csv", |b| {
        let o = o.get_or_insert_with(|| store(57_000));
        b.iter(|| black_box(o.export_statement(&Actor::System, "rep0", "2026-Q1", "csv", at).expect("csv")))
    });
    g.finish();
}

criterion_group!(benches, validation, simulate, incremental, reconcile, statements);
criterion_main!(benches);

//! Driver of the benchmark workload (not a test).
//!
//! ```text
//! compcode-bench gen DEALS [--reps N] [--no-trace]          # the input JSON on stdout
//! compcode-bench run DEALS [--reps N] [--no-trace] [--view]  # time read + calculate + render in memory
//! compcode-bench upsert DEALS [--reps N] [--case big|small] [--times N]  # a store, then time deal upserts
//! compcode-bench totals FILE                                 # simulate a JSON file: totals per rule
//! ```
//!
//! `run` builds the document in memory first (not timed), then times `read_document` (validation)
//! and `simulate_doc` (calculation and the output objects) separately; it is what
//! `valgrind --tool=callgrind` profiles.
//!
//! `upsert` times two cases (`--case` picks one, for `valgrind --toggle-collect='*upsert_deal*'`;
//! the difference between `--times 3` and `--times 1` is two upserts after the first):
//! `big`, 3 upserts of `D0` (an early deal of the first quarter) with a changed amount, which
//! changes every later line of its rep-quarter under the marginal attainment tiers (about 5,500
//! events for 57,000 deals and 1 rep); `small`, 3 upserts of a new deal `DNEW` closing on the
//! quarter's last day (after every other deal of the quarter), whose amount changes: one or two
//! events change.
use compcode_bench::{generate, generate_json, Workload};
use std::time::Instant;

#[cfg(feature = "peak-mem")]
#[global_allocator]
static HEAP: peak_alloc::PeakAlloc = peak_alloc::PeakAlloc;

/// (heap in use now, heap peak since the last reset) in MiB, with the feature `peak-mem`.
fn heap_mib(reset: bool) -> Option<(f32, f32)> {
    #[cfg(feature = "peak-mem")]
    {
        let out = (HEAP.current_usage_as_mb(), HEAP.peak_usage_as_mb());
        if reset {
            HEAP.reset_peak_usage();
        }
        Some(out)
    }
    #[cfg(not(feature = "peak-mem"))]
    {
        let _ = reset;
        None
    }
}

/// CPU time of this process (user + system), from /proc/self/stat (Linux; `None` elsewhere).
/// On a shared machine it is steadier than the wall clock. Ticks are 1/100 s.
fn cpu_time() -> Option<std::time::Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(std::time::Duration::from_millis(ticks * 10))
}

/// Peak resident memory of this process (VmHWM) in MiB, from /proc/self/status (Linux only).
fn peak_rss_mib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut w = Workload::default();
    let mut cmd = None;
    let mut view = false;
    let mut case = String::from("both");
    let mut times = 3u64;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--no-trace" => w.trace = false,
            "--view" => view = true,
            "--case" => case = it.next().cloned().unwrap_or(case),
            "--times" => times = it.next().and_then(|s| s.parse().ok()).unwrap_or(times),
            "--reps" => w.reps = it.next().and_then(|s| s.parse().ok()).unwrap_or(w.reps),
            "--seed" => w.seed = it.next().and_then(|s| s.parse().ok()).unwrap_or(w.seed),
            s if cmd.is_none() && !s.starts_with('-') => cmd = Some(s.to_string()),
            s => w.deals = s.parse().unwrap_or(w.deals),
        }
    }
    match cmd.as_deref() {
        Some("totals") => {
            let file = args.get(1).cloned().unwrap_or_default();
            let text = std::fs::read_to_string(&file).unwrap_or_else(|e| {
                eprintln!("{file}: {e}");
                std::process::exit(2)
            });
            match compcode_core::api::simulate_json(&text) {
                Ok(out) => {
                    let mut by_rule = std::collections::BTreeMap::new();
                    for e in &out.events {
                        let amount: rust_decimal::Decimal = e.amount.parse().unwrap_or_default();
                        *by_rule.entry(e.rule_name.clone()).or_insert(rust_decimal::Decimal::ZERO) += amount;
                    }
                    for (rule, amount) in by_rule {
                        println!("{rule:<22} {amount}");
                    }
                    println!("{:<22} {}", "total", out.total_commission);
                }
                Err(e) => {
                    eprintln!("{e}");
                    std::process::exit(1)
                }
            }
        }
        Some("upsert") => {
            use compcode_core::memory::MemoryRepository;
            use compcode_core::orchestrator::{Actor, Orchestrator};
            let at = chrono::NaiveDate::from_ymd_opt(2027, 1, 15).unwrap_or_default();
            w.trace = false;
            let t0 = Instant::now();
            let mut o = Orchestrator::new(MemoryRepository::new());
            if let Err(e) = o.import_document(&Actor::System, &generate(&w), at) {
                eprintln!("{e}");
                std::process::exit(1)
            }
            println!("import of {} deals: {:.3} s", w.deals, t0.elapsed().as_secs_f64());
            let mut cases = Vec::new();
            if case != "small" {
                cases.push(("big", "D0", "2026-02-10"));
            }
            if case != "big" {
                cases.push(("small", "DNEW", "2026-03-31"));
            }
            for (name, id, close) in cases {
                for n in 0..times {
                    let snap = serde_json::json!({"id": id, "name": "Deal", "stage": "closed_won",
                        "amount": format!("{}.00", 50_000 + n), "closeDate": close, "ownerRepId": "rep0",
                        "fields": {"region": "EMEA", "product": "Platform"}});
                    let t = Instant::now();
                    match o.upsert_deal(&Actor::System, snap, at) {
                        Ok(r) => println!(
                            "upsert {name} {id}: {:.3} s ({} written, {} updated, {} noop)",
                            t.elapsed().as_secs_f64(),
                            r.events_written,
                            r.events_updated,
                            r.events_noop
                        ),
                        Err(e) => {
                            eprintln!("{e}");
                            std::process::exit(1)
                        }
                    }
                }
            }
        }
        Some("gen") => println!("{}", generate_json(&w)),
        Some("run") => {
            let doc = generate(&w);
            let c0 = cpu_time();
            let t0 = Instant::now();
            let calc_doc = match compcode_core::validate::read_document(&doc) {
                Ok(d) => d,
                Err(e) => {
                    eprintln!("{e}");
                    std::process::exit(1)
                }
            };
            // the JSON document is the host's, not the engine's: free it, and measure the peak
            // memory of the calculation alone (Linux: clear_refs 5 resets VmHWM)
            drop(doc);
            let _ = std::fs::write("/proc/self/clear_refs", "5");
            let heap_doc = heap_mib(true).map(|(now, _)| now);
            let t1 = Instant::now();
            let c1 = cpu_time();
            let fail = |e: compcode_core::Error| -> ! {
                eprintln!("{e}");
                std::process::exit(1)
            };
            // `--view`: the lazy answer (compcode_core::view) instead of the owned SimulateResult
            let (events, total, t2, c2, json_s) = if view {
                let out = compcode_core::view::simulate_view(&calc_doc).unwrap_or_else(|e| fail(e));
                let (t2, c2) = (Instant::now(), cpu_time());
                let _ = serde_json::to_writer(std::io::sink(), &out);
                (out.event_count(), out.total_commission().to_string(), t2, c2, t2.elapsed())
            } else {
                let out = compcode_core::api::simulate_doc(&calc_doc).unwrap_or_else(|e| fail(e));
                let (t2, c2) = (Instant::now(), cpu_time());
                let _ = serde_json::to_writer(std::io::sink(), &out);
                (out.events.len(), out.total_commission.clone(), t2, c2, t2.elapsed())
            };
            let secs = |a: Option<std::time::Duration>, b: Option<std::time::Duration>| match (a, b) {
                (Some(a), Some(b)) => b.saturating_sub(a).as_secs_f64(),
                _ => f64::NAN,
            };
            // with `peak-mem`: the heap peak of simulate + JSON text (the typed document included)
            let peak = match (heap_doc, heap_mib(false)) {
                (Some(d), Some((_, p))) => format!("heap {p:.0} MiB (document {d:.0})"),
                _ => peak_rss_mib().map_or_else(|| "rss ?".to_string(), |m| format!("rss {m} MiB")),
            };
            println!(
                "deals {} reps {} trace {} {}: read {:.3} s (cpu {:.2}), simulate {:.3} s (cpu {:.2}), json text {:.3} s, peak {peak}; {} events, total {}",
                w.deals,
                w.reps,
                w.trace,
                if view { "view" } else { "owned" },
                (t1 - t0).as_secs_f64(),
                secs(c0, c1),
                (t2 - t1).as_secs_f64(),
                secs(c1, c2),
                json_s.as_secs_f64(),
                events,
                total
            );
        }
        _ => {
            eprintln!("usage: compcode-bench gen|run DEALS [--reps N] [--no-trace] [--seed S]");
            std::process::exit(2)
        }
    }
}

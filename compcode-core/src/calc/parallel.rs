//! The calculation on every core (cargo feature `parallel`, off by default so the WASM build and
//! single-threaded hosts are unchanged): the walk over the deals and the per_deal groups, the two
//! phases that make most of a calculation (issue #9).
//!
//! - **Collecting**: the deals are cut into one contiguous range per thread; each thread places
//!   its deals' entries in groups of its own and writes its own diagnostics. The ranges are
//!   joined back in deal order (a group's entries from the first range, then the next), which is
//!   the order one walk over every deal gives.
//! - **Pricing**: the per_deal groups, already in their final (rep id, plan id, rule, period)
//!   order, are cut into contiguous runs of about equal numbers of entries, one per thread; the
//!   lines and diagnostics are joined back in run order, so the lines come out in the order the
//!   sequential loop writes them.
//!
//! Groups are independent: each reads the document, the indexes, the quotas and the compiled
//! formulas (shared, see [`Ctx::fork`]) and writes only its own lines and diagnostics. The first
//! error is the sequential one: the earliest range's or run's. Threads are `std::thread::scope`
//! (no new dependency).

use super::{per_deal, Collected, Ctx, Entry, GroupKey, Line};
use crate::error::{Error, ErrorCode, Result};
use std::collections::btree_map;

/// Below this many deals (or entries) the threads cost more than they save.
const MIN_ITEMS: usize = 4096;

#[cfg(test)]
mod tests;

fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()).min(16)
}

/// Runs each job on a scoped thread of its own; the results in job order (a job that panicked
/// is an `INTERNAL_ERROR`, not a panic across the caller).
fn on_threads<T: Send>(jobs: Vec<impl FnOnce() -> Result<T> + Send>) -> Vec<Result<T>> {
    std::thread::scope(|s| {
        let handles: Vec<_> = jobs.into_iter().map(|job| s.spawn(job)).collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| Err(Error::new(ErrorCode::InternalError, "a calculation thread panicked")))
            })
            .collect()
    })
}

/// [`super::collect`] over every deal, one range of deals per thread.
pub(crate) fn collect<'a>(ctx: &mut Ctx<'a>) -> Result<Collected<'a>> {
    let (n, threads) = (ctx.doc.deals.len(), threads());
    if threads < 2 || n < MIN_ITEMS {
        return super::collect(ctx, 0..n);
    }
    let per = n.div_ceil(threads);
    let jobs: Vec<_> = (0..n)
        .step_by(per)
        .map(|start| {
            let mut local = ctx.fork();
            move || {
                let c = super::collect(&mut local, start..(start + per).min(n))?;
                Ok((c, local.diags.list))
            }
        })
        .collect();
    let results = on_threads(jobs);
    let mut out: Option<Collected<'a>> = None;
    for r in results {
        let ((groups, pairs, total), diags) = r?;
        ctx.diags.list.extend(diags);
        let Some((all_groups, all_pairs, all_total)) = &mut out else {
            out = Some((groups, pairs, total));
            continue;
        };
        for (key, entries) in groups {
            match all_groups.entry(key) {
                btree_map::Entry::Vacant(v) => {
                    v.insert(entries);
                }
                btree_map::Entry::Occupied(mut o) => o.get_mut().extend(entries),
            }
        }
        all_pairs.extend(pairs);
        *all_total += total;
    }
    Ok(out.unwrap_or_default())
}

/// [`per_deal::run_group`] for each group of `order` (in that order), one run of groups per
/// thread; the lines are appended to `out` in `order`'s order and each group's entries are freed
/// once its lines are made.
pub(crate) fn per_deal_groups<'a>(
    ctx: &mut Ctx<'a>,
    order: Vec<(GroupKey<'a>, Vec<Entry<'a>>)>,
    out: &mut Vec<Line>,
) -> Result<()> {
    let threads = threads();
    let total: usize = order.iter().map(|(_, e)| e.len()).sum();
    if threads < 2 || total < MIN_ITEMS {
        for (key, entries) in order {
            per_deal::run_group(ctx, key, &entries, out)?;
        }
        return Ok(());
    }
    // contiguous runs of about total / threads entries
    let per = total.div_ceil(threads);
    let mut runs: Vec<Vec<(GroupKey<'a>, Vec<Entry<'a>>)>> = Vec::with_capacity(threads);
    let mut weight = 0;
    for group in order {
        if runs.is_empty() || (weight >= per && runs.len() < threads) {
            runs.push(Vec::new());
            weight = 0;
        }
        weight += group.1.len();
        if let Some(run) = runs.last_mut() {
            run.push(group);
        }
    }
    let jobs: Vec<_> = runs
        .into_iter()
        .map(|run| {
            let mut local = ctx.fork();
            move || {
                let mut lines = Vec::with_capacity(run.iter().map(|(_, e)| e.len()).sum());
                for (key, entries) in run {
                    per_deal::run_group(&mut local, key, &entries, &mut lines)?;
                }
                Ok((lines, local.diags.list))
            }
        })
        .collect();
    let results = on_threads(jobs);
    for r in results {
        let (lines, diags) = r?;
        out.extend(lines);
        ctx.diags.list.extend(diags);
    }
    Ok(())
}

//! The per_deal groups on every core (cargo feature `parallel`, off by default so the WASM build
//! and single-threaded hosts are unchanged).
//!
//! Groups are independent: each (rep, plan, rule, period) group reads the document, the indexes,
//! the quotas and the compiled formulas, and writes only its own lines and diagnostics. The
//! groups (in their usual key order) are cut into contiguous runs of about equal numbers of
//! entries, one per thread (`std::thread::scope`, no new dependency); each thread works on its own
//! copy of the shared context, and the lines and diagnostics are joined back in the same order,
//! so the result, the first error included, is exactly the sequential one.

use super::{per_deal, Ctx, Diags, Entry, GroupKey, Line};
use crate::error::Result;
use std::collections::BTreeMap;

/// Below this many entries the threads cost more than they save.
const MIN_ENTRIES: usize = 4096;

#[cfg(test)]
mod tests;

type Group<'g, 'a> = (&'g GroupKey<'a>, &'g mut Vec<Entry<'a>>);

pub(crate) fn per_deal_groups<'a>(
    ctx: &mut Ctx<'a>,
    groups: &mut BTreeMap<GroupKey<'a>, Vec<Entry<'a>>>,
    out: &mut Vec<Line>,
) -> Result<()> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(16);
    let total: usize = groups.values().map(Vec::len).sum();
    if threads < 2 || total < MIN_ENTRIES {
        for (key, entries) in groups.iter_mut() {
            per_deal::run_group(ctx, *key, entries, out)?;
        }
        return Ok(());
    }
    let mut items: Vec<Group<'_, 'a>> = groups.iter_mut().collect();
    // contiguous runs of about total / threads entries
    let mut runs: Vec<&mut [Group<'_, 'a>]> = Vec::with_capacity(threads);
    let mut rest: &mut [Group<'_, 'a>] = &mut items;
    let per = total.div_ceil(threads);
    while !rest.is_empty() {
        let mut n = 0;
        let mut weight = 0;
        while n < rest.len() && (weight < per || n == 0) {
            weight += rest[n].1.len();
            n += 1;
        }
        let (run, tail) = std::mem::take(&mut rest).split_at_mut(n);
        runs.push(run);
        rest = tail;
    }
    let shared = &*ctx;
    let results: Vec<Result<(Vec<Line>, Vec<super::Diagnostic>)>> = std::thread::scope(|s| {
        let handles: Vec<_> = runs
            .into_iter()
            .map(|run| {
                s.spawn(move || {
                    let mut local = Ctx {
                        doc: shared.doc,
                        ix: shared.ix.clone(),
                        quotas: shared.quotas.clone(),
                        diags: Diags::default(),
                        trace: shared.trace,
                        formulas: shared.formulas.clone(),
                        deal_rank: shared.deal_rank.clone(),
                    };
                    let mut lines = Vec::new();
                    for (key, entries) in run.iter_mut() {
                        per_deal::run_group(&mut local, **key, entries, &mut lines)?;
                    }
                    Ok((lines, local.diags.list))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(crate::error::Error::new(
                        crate::error::ErrorCode::InternalError,
                        "a calculation thread panicked",
                    ))
                })
            })
            .collect()
    });
    for r in results {
        let (lines, diags) = r?;
        out.extend(lines);
        ctx.diags.list.extend(diags);
    }
    Ok(())
}

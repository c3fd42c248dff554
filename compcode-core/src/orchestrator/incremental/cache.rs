//! The typed deals of the last deal run (issue #9): a deal run of a 10,000-deal group spent as
//! much time reading the group's stored deal snapshots into typed [`Deal`]s as calculating them.
//!
//! The cache maps a stored deal's record id to the document it was read from and the typed deal
//! read from it. A deal run uses an entry only when the stored document is **equal** to the
//! cached one (so a deal changed by any workflow, by the host through `repo_mut`, or a record
//! deleted and created again, is read again), and reads every other deal of its document as
//! before — in one [`crate::validate::read_document`] of its document, which still checks them
//! all with the reps, plans, assignments, quotas and overrides. A deal is read from its own
//! document alone: the reader's answer for a deal does not depend on the rest of the document
//! (only the duplicate-id check does, which the run repeats over every deal it calculates).
//!
//! After a run the cache holds exactly the deals of that run's document (its snapshot
//! included), so its size is bounded by one scope. A run that falls back to the full calculation,
//! or fails, leaves it empty.

use crate::hash::HashMap;
use crate::model::Deal;
use serde_json::Value;
use std::sync::Mutex;

/// Record id → (stored document, the deal read from it).
pub(crate) type Entries = HashMap<String, (Value, Deal)>;

/// The typed deals of the last deal run (see the module docs).
#[derive(Debug, Default)]
pub(crate) struct DealCache(Mutex<Entries>);

impl DealCache {
    /// Takes every entry out (none after a panic while it was held).
    pub(crate) fn take(&self) -> Entries {
        match self.0.lock() {
            Ok(mut m) => std::mem::take(&mut *m),
            Err(_) => Entries::default(),
        }
    }

    /// Replaces the entries.
    pub(crate) fn put(&self, entries: Entries) {
        if let Ok(mut m) = self.0.lock() {
            *m = entries;
        }
    }
}

//! The host's storage, behind one small trait (SPEC §12, ARCHITECTURE "Repository").
//!
//! A repository stores JSON records in named collections and applies a list of writes
//! **atomically**: either every write of a [`Repository::commit`] lands or none does. Writes may
//! carry an expected version (optimistic concurrency, SPEC §18.22): a mismatch fails the whole
//! commit with `CONFLICT`, and the orchestrator recomputes and retries.
//!
//! The shape is deliberately small so a host can implement it on any database, or from Python
//! or JavaScript: get a record, list records by an indexed filter, commit writes.

use crate::error::{Error, ErrorCode, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The collections compcode stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Collection {
    /// Workspace settings (one record, id `settings`).
    Settings,
    /// Reps.
    Reps,
    /// Plans with their versions.
    Plans,
    /// Assignments.
    Assignments,
    /// Quotas.
    Quotas,
    /// Per-rep tier overrides.
    Overrides,
    /// Deal snapshots (soft-deleted ones included).
    Deals,
    /// Current-state events (payout lines, true-ups, clawbacks).
    Events,
    /// Event history rows.
    History,
    /// Statement snapshots (one record per rep + period, holding every version).
    Statements,
    /// Manual adjustments.
    Adjustments,
    /// True-up calls.
    TrueUps,
    /// Comments on statements and lines.
    Comments,
    /// The append-only audit log.
    Audit,
    /// Spark payroll batches (SPEC §14).
    Batches,
    /// Spark goals (SPEC §18.26).
    Goals,
}

impl Collection {
    /// Every collection.
    pub const ALL: [Collection; 16] = [
        Collection::Settings,
        Collection::Reps,
        Collection::Plans,
        Collection::Assignments,
        Collection::Quotas,
        Collection::Overrides,
        Collection::Deals,
        Collection::Events,
        Collection::History,
        Collection::Statements,
        Collection::Adjustments,
        Collection::TrueUps,
        Collection::Comments,
        Collection::Audit,
        Collection::Batches,
        Collection::Goals,
    ];

    /// The collection's name (also its SQL table key).
    pub fn as_str(self) -> &'static str {
        match self {
            Collection::Settings => "settings",
            Collection::Reps => "reps",
            Collection::Plans => "plans",
            Collection::Assignments => "assignments",
            Collection::Quotas => "quotas",
            Collection::Overrides => "overrides",
            Collection::Deals => "deals",
            Collection::Events => "events",
            Collection::History => "history",
            Collection::Statements => "statements",
            Collection::Adjustments => "adjustments",
            Collection::TrueUps => "true_ups",
            Collection::Comments => "comments",
            Collection::Audit => "audit",
            Collection::Batches => "batches",
            Collection::Goals => "goals",
        }
    }

    /// Parses a collection name.
    pub fn parse(s: &str) -> Option<Collection> {
        Collection::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// One stored record: an id, the indexed attributes, a version and the JSON document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Record {
    /// Unique within the collection.
    pub id: String,
    /// Indexed: the rep the record belongs to.
    pub rep_id: Option<String>,
    /// Indexed: the period.
    pub period: Option<String>,
    /// Indexed: the deal.
    pub deal_id: Option<String>,
    /// Incremented by the store on every put (1 for a new record).
    pub version: u64,
    /// The document.
    pub doc: Value,
}

impl Record {
    /// A record with no index attributes.
    pub fn new(id: impl Into<String>, doc: Value) -> Self {
        Record { id: id.into(), rep_id: None, period: None, deal_id: None, version: 0, doc }
    }
}

/// A filter on the indexed attributes (all given ones must match).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Query {
    /// Rep.
    pub rep_id: Option<String>,
    /// Period.
    pub period: Option<String>,
    /// Deal.
    pub deal_id: Option<String>,
}

impl Query {
    /// Everything.
    pub fn all() -> Self {
        Query::default()
    }

    /// True when a record passes the filter.
    pub fn matches(&self, r: &Record) -> bool {
        let eq =
            |want: &Option<String>, have: &Option<String>| want.as_ref().map_or(true, |w| have.as_ref() == Some(w));
        eq(&self.rep_id, &r.rep_id) && eq(&self.period, &r.period) && eq(&self.deal_id, &r.deal_id)
    }
}

/// One write of a commit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Write {
    /// Insert or replace. `expected_version`: `Some(0)` = must not exist, `Some(n)` = must be at
    /// version n, `None` = unconditional.
    Put {
        /// Collection.
        collection: Collection,
        /// The record (its `version` is ignored; the store sets it).
        record: Record,
        /// Optimistic concurrency check.
        expected_version: Option<u64>,
    },
    /// Remove a record (a missing one is not an error).
    Delete {
        /// Collection.
        collection: Collection,
        /// Id.
        id: String,
    },
}

impl Write {
    /// A conditional put.
    pub fn put(collection: Collection, record: Record, expected_version: Option<u64>) -> Self {
        Write::Put { collection, record, expected_version }
    }
}

/// The host's storage. Implementations: [`crate::memory::MemoryRepository`], `compcode-sqlite`,
/// or the host's own.
pub trait Repository {
    /// One record.
    fn get(&self, collection: Collection, id: &str) -> Result<Option<Record>>;
    /// Records matching the query, ordered by id.
    fn list(&self, collection: Collection, query: &Query) -> Result<Vec<Record>>;
    /// Applies every write or none. A failed version check is `CONFLICT`.
    fn commit(&mut self, writes: Vec<Write>) -> Result<()>;
    /// How many records match the query. The default lists them; a store can count without
    /// reading (a deal run counts the history rows, issue #9).
    ///
    /// ```
    /// use compcode_core::memory::MemoryRepository;
    /// use compcode_core::repository::{Collection, Query, Repository};
    /// assert_eq!(MemoryRepository::new().count(Collection::History, &Query::all()).unwrap(), 0);
    /// ```
    fn count(&self, collection: Collection, query: &Query) -> Result<usize> {
        Ok(self.list(collection, query)?.len())
    }
    /// Calls `visit` with every record matching the query, ordered by id, stopping at the first
    /// error. The default lists them; a store that holds its records in memory can lend them
    /// instead of copying (a deal run reads every stored event but parses only those of its
    /// groups, issue #9).
    ///
    /// ```
    /// use compcode_core::memory::MemoryRepository;
    /// use compcode_core::repository::{Collection, Query, Record, Repository, Write};
    /// let mut repo = MemoryRepository::new();
    /// repo.commit(vec![Write::put(Collection::Reps, Record::new("a", serde_json::json!({"id": "a"})), None)]).unwrap();
    /// let mut ids = Vec::new();
    /// repo.scan(Collection::Reps, &Query::all(), &mut |r| { ids.push(r.id.clone()); Ok(()) }).unwrap();
    /// assert_eq!(ids, ["a"]);
    /// ```
    fn scan(&self, collection: Collection, query: &Query, visit: &mut dyn FnMut(&Record) -> Result<()>) -> Result<()> {
        for r in self.list(collection, query)? {
            visit(&r)?;
        }
        Ok(())
    }
}

/// The `CONFLICT` a store returns for a failed version check.
pub fn version_conflict(collection: Collection, id: &str, expected: u64, found: u64) -> Error {
    Error::with_details(
        ErrorCode::Conflict,
        format!("{} `{id}` changed concurrently (expected version {expected}, found {found})", collection.as_str()),
        serde_json::json!({"collection": collection.as_str(), "id": id, "expected": expected, "found": found}),
    )
}

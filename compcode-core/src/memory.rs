//! `MemoryRepository`: the in-memory [`Repository`], for tests, previews and hosts that keep
//! state themselves. A commit is applied in place with an undo log and rolled back on any
//! failure, so a failed commit leaves the store exactly as before.

use crate::error::{Error, ErrorCode, Result};
use crate::repository::{version_conflict, Collection, Query, Record, Repository, Write};
use std::collections::BTreeMap;

/// An in-memory repository.
///
/// ```
/// use compcode_core::memory::MemoryRepository;
/// use compcode_core::repository::{Collection, Query, Record, Repository, Write};
/// let mut repo = MemoryRepository::new();
/// repo.commit(vec![Write::put(Collection::Reps, Record::new("alice", serde_json::json!({"id": "alice"})), Some(0))]).unwrap();
/// assert_eq!(repo.get(Collection::Reps, "alice").unwrap().unwrap().version, 1);
/// // a second insert expecting "absent" conflicts, and nothing changes
/// assert!(repo.commit(vec![Write::put(Collection::Reps, Record::new("alice", serde_json::json!({})), Some(0))]).is_err());
/// assert_eq!(repo.list(Collection::Reps, &Query::all()).unwrap().len(), 1);
/// ```
#[derive(Debug, Clone, Default)]
pub struct MemoryRepository {
    data: BTreeMap<Collection, BTreeMap<String, Record>>,
    fail_after: Option<usize>,
}

impl MemoryRepository {
    /// An empty repository.
    pub fn new() -> Self {
        Self::default()
    }

    /// Test hook: the next commit fails after applying `n` writes (then rolls them back), to
    /// prove that a failed commit changes nothing.
    pub fn fail_next_commit_after(&mut self, n: usize) {
        self.fail_after = Some(n);
    }
}

impl Repository for MemoryRepository {
    fn get(&self, collection: Collection, id: &str) -> Result<Option<Record>> {
        Ok(self.data.get(&collection).and_then(|c| c.get(id)).cloned())
    }

    fn list(&self, collection: Collection, query: &Query) -> Result<Vec<Record>> {
        Ok(self
            .data
            .get(&collection)
            .map(|c| c.values().filter(|r| query.matches(r)).cloned().collect())
            .unwrap_or_default())
    }

    fn count(&self, collection: Collection, query: &Query) -> Result<usize> {
        Ok(match self.data.get(&collection) {
            None => 0,
            Some(c) if *query == Query::all() => c.len(),
            Some(c) => c.values().filter(|r| query.matches(r)).count(),
        })
    }

    fn scan(&self, collection: Collection, query: &Query, visit: &mut dyn FnMut(&Record) -> Result<()>) -> Result<()> {
        for r in self.data.get(&collection).into_iter().flat_map(|c| c.values()) {
            if query.matches(r) {
                visit(r)?;
            }
        }
        Ok(())
    }

    fn commit(&mut self, writes: Vec<Write>) -> Result<()> {
        let fail_after = self.fail_after.take();
        // apply in place with an undo log; on any failure, roll back
        let mut undo: Vec<(Collection, String, Option<Record>)> = Vec::with_capacity(writes.len());
        let mut failure = None;
        for (i, w) in writes.into_iter().enumerate() {
            if fail_after == Some(i) {
                failure = Some(Error::new(ErrorCode::InternalError, "injected failure while applying a change set"));
                break;
            }
            match w {
                Write::Put { collection, mut record, expected_version } => {
                    let coll = self.data.entry(collection).or_default();
                    let found = coll.get(&record.id).map_or(0, |r| r.version);
                    if let Some(exp) = expected_version {
                        if exp != found {
                            failure = Some(version_conflict(collection, &record.id, exp, found));
                            break;
                        }
                    }
                    record.version = found + 1;
                    let id = record.id.clone();
                    let prev = coll.insert(id.clone(), record);
                    undo.push((collection, id, prev));
                }
                Write::Delete { collection, id } => {
                    let prev = self.data.get_mut(&collection).and_then(|c| c.remove(&id));
                    undo.push((collection, id, prev));
                }
            }
        }
        match failure {
            None => Ok(()),
            Some(e) => {
                for (collection, id, prev) in undo.into_iter().rev() {
                    let coll = self.data.entry(collection).or_default();
                    match prev {
                        Some(r) => coll.insert(id, r),
                        None => coll.remove(&id),
                    };
                }
                Err(e)
            }
        }
    }
}

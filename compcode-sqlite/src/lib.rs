//! # compcode-sqlite
//!
//! The embedded default store of compcode: a [`Repository`] on SQLite (the bundled library, no
//! system SQLite needed). Every [`Repository::commit`] runs in one SQL transaction, so a failed
//! change set leaves the database exactly as before. The schema is versioned with
//! `PRAGMA user_version` and migrated on open.
//!
//! ```
//! use compcode_core::orchestrator::{Actor, Orchestrator};
//! use compcode_sqlite::SqliteRepository;
//! let repo = SqliteRepository::open_in_memory().unwrap();
//! let mut o = Orchestrator::new(repo);
//! let at = chrono::NaiveDate::from_ymd_opt(2026, 1, 2).unwrap();
//! o.upsert_rep(&Actor::System, serde_json::json!({"id": "admin", "name": "Ada", "role": "admin"}), at).unwrap();
//! assert_eq!(o.audit_log(&Actor::user("admin"), None).unwrap().len(), 1);
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

use compcode_core::error::{Error, ErrorCode, Result};
use compcode_core::repository::{version_conflict, Collection, Query, Record, Repository, Write};
use rusqlite::{params, Connection, ErrorCode as SqliteCode, OptionalExtension, TransactionBehavior};
use std::path::Path;

/// The schema migrations, in order; `PRAGMA user_version` records how many ran.
const MIGRATIONS: &[&str] = &[
    // 1: one table of JSON records per collection, with the indexed attributes as columns
    "CREATE TABLE records (
        collection TEXT NOT NULL,
        id         TEXT NOT NULL,
        rep_id     TEXT,
        period     TEXT,
        deal_id    TEXT,
        version    INTEGER NOT NULL,
        doc        TEXT NOT NULL,
        PRIMARY KEY (collection, id)
    ) WITHOUT ROWID;
    CREATE INDEX records_by_rep_period ON records (collection, rep_id, period);
    CREATE INDEX records_by_deal ON records (collection, deal_id);",
];

/// A repository in a SQLite database file (or in memory).
pub struct SqliteRepository {
    conn: Connection,
}

/// A busy or locked database is a lost race: `CONFLICT`, which the orchestrator retries.
fn busy_is_conflict(e: rusqlite::Error) -> Error {
    match e.sqlite_error_code() {
        Some(SqliteCode::DatabaseBusy | SqliteCode::DatabaseLocked) => {
            Error::new(ErrorCode::Conflict, format!("SQLite: another writer holds the database ({e})"))
        }
        _ => db_err(e),
    }
}

fn db_err(e: rusqlite::Error) -> Error {
    Error::new(ErrorCode::InternalError, format!("SQLite: {e}"))
}

impl SqliteRepository {
    /// Opens (or creates) a database file and migrates it to the current schema.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::init(Connection::open(path).map_err(db_err)?)
    }

    /// A private in-memory database (tests, previews).
    pub fn open_in_memory() -> Result<Self> {
        Self::init(Connection::open_in_memory().map_err(db_err)?)
    }

    fn init(conn: Connection) -> Result<Self> {
        conn.pragma_update(None, "journal_mode", "WAL").ok();
        conn.pragma_update(None, "foreign_keys", true).map_err(db_err)?;
        conn.busy_timeout(std::time::Duration::from_secs(5)).map_err(db_err)?;
        let mut repo = SqliteRepository { conn };
        repo.migrate()?;
        Ok(repo)
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<u32> {
        self.conn.pragma_query_value(None, "user_version", |r| r.get(0)).map_err(db_err)
    }

    fn migrate(&mut self) -> Result<()> {
        let current = self.schema_version()? as usize;
        if current > MIGRATIONS.len() {
            return Err(Error::new(
                ErrorCode::Conflict,
                format!("the database schema is version {current}, newer than this compcode ({})", MIGRATIONS.len()),
            ));
        }
        let tx = self.conn.transaction().map_err(db_err)?;
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(current) {
            tx.execute_batch(sql).map_err(db_err)?;
            tx.pragma_update(None, "user_version", (i + 1) as u32).map_err(db_err)?;
        }
        tx.commit().map_err(busy_is_conflict)
    }
}

/// A `records` row: id, rep_id, period, deal_id, version, doc.
type Row = (String, Option<String>, Option<String>, Option<String>, i64, String);

fn row_to_record(row: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?, row.get(5)?))
}

fn to_record(t: Row) -> Result<Record> {
    let doc =
        serde_json::from_str(&t.5).map_err(|e| Error::new(ErrorCode::InternalError, format!("stored JSON: {e}")))?;
    Ok(Record { id: t.0, rep_id: t.1, period: t.2, deal_id: t.3, version: t.4.max(0) as u64, doc })
}

impl Repository for SqliteRepository {
    fn get(&self, collection: Collection, id: &str) -> Result<Option<Record>> {
        let row = self
            .conn
            .query_row(
                "SELECT id, rep_id, period, deal_id, version, doc FROM records WHERE collection = ?1 AND id = ?2",
                params![collection.as_str(), id],
                row_to_record,
            )
            .optional()
            .map_err(db_err)?;
        row.map(to_record).transpose()
    }

    fn list(&self, collection: Collection, q: &Query) -> Result<Vec<Record>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, rep_id, period, deal_id, version, doc FROM records
                 WHERE collection = ?1 AND (?2 IS NULL OR rep_id = ?2) AND (?3 IS NULL OR period = ?3)
                   AND (?4 IS NULL OR deal_id = ?4)
                 ORDER BY id",
            )
            .map_err(db_err)?;
        let rows = stmt
            .query_map(params![collection.as_str(), q.rep_id, q.period, q.deal_id], row_to_record)
            .map_err(db_err)?;
        let mut out = Vec::new();
        for r in rows {
            out.push(to_record(r.map_err(db_err)?)?);
        }
        Ok(out)
    }

    fn commit(&mut self, writes: Vec<Write>) -> Result<()> {
        // IMMEDIATE takes the write lock up front, so two writers never deadlock mid-transaction;
        // a writer that cannot get it in the busy timeout gets CONFLICT and the orchestrator
        // retries. Dropping the transaction without commit rolls everything back.
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(busy_is_conflict)?;
        for w in writes {
            match w {
                Write::Put { collection, record, expected_version } => {
                    let found: i64 = tx
                        .query_row(
                            "SELECT version FROM records WHERE collection = ?1 AND id = ?2",
                            params![collection.as_str(), record.id],
                            |r| r.get(0),
                        )
                        .optional()
                        .map_err(db_err)?
                        .unwrap_or(0);
                    let found = found.max(0) as u64;
                    if let Some(exp) = expected_version {
                        if exp != found {
                            return Err(version_conflict(collection, &record.id, exp, found));
                        }
                    }
                    let doc = serde_json::to_string(&record.doc)
                        .map_err(|e| Error::new(ErrorCode::InternalError, format!("JSON: {e}")))?;
                    tx.execute(
                        "INSERT OR REPLACE INTO records (collection, id, rep_id, period, deal_id, version, doc)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                        params![
                            collection.as_str(),
                            record.id,
                            record.rep_id,
                            record.period,
                            record.deal_id,
                            (found + 1) as i64,
                            doc
                        ],
                    )
                    .map_err(db_err)?;
                }
                Write::Delete { collection, id } => {
                    tx.execute(
                        "DELETE FROM records WHERE collection = ?1 AND id = ?2",
                        params![collection.as_str(), id],
                    )
                    .map_err(db_err)?;
                }
            }
        }
        tx.commit().map_err(busy_is_conflict)
    }
}

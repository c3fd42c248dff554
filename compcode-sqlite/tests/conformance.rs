//! The same conformance suite and recipes as `MemoryRepository`, on SQLite.

use compcode_core::conformance;
use compcode_core::orchestrator::{Actor, Orchestrator};
use compcode_core::repository::{Collection, Query, Repository};
use compcode_sqlite::SqliteRepository;

#[test]
fn sqlite_repository_passes_the_conformance_suite() {
    conformance::run_all(|| SqliteRepository::open_in_memory().unwrap()).unwrap();
}

#[test]
fn a_database_file_survives_reopening_and_is_migrated_once() {
    let dir = std::env::temp_dir().join(format!("compcode-sqlite-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("store.sqlite");
    let _ = std::fs::remove_file(&path);
    let at = chrono::NaiveDate::from_ymd_opt(2026, 1, 2).unwrap();
    {
        let mut o = Orchestrator::new(SqliteRepository::open(&path).unwrap());
        o.upsert_rep(&Actor::System, serde_json::json!({"id": "admin", "name": "Ada", "role": "admin"}), at).unwrap();
        assert_eq!(o.repo().schema_version().unwrap(), 1);
    }
    let repo = SqliteRepository::open(&path).unwrap();
    assert_eq!(repo.schema_version().unwrap(), 1);
    assert_eq!(repo.list(Collection::Reps, &Query::all()).unwrap().len(), 1);
    std::fs::remove_dir_all(&dir).ok();
}

//! The lifecycle commands on the embedded SQLite store.

use crate::{read, Command, DealAction, StatementAction};
use chrono::NaiveDate;
use compcode_core::error::{Error, ErrorCode, Result};
use compcode_core::orchestrator::{Actor, Orchestrator};
use compcode_core::validate::parse_json;
use compcode_sqlite::SqliteRepository;
use serde_json::{json, Value};

fn pretty(v: impl serde::Serialize) -> Result<String> {
    serde_json::to_string_pretty(&v).map_err(|e| Error::new(ErrorCode::InternalError, e.to_string()))
}

fn file_json(path: &str) -> Result<Value> {
    parse_json(&read(path).map_err(|e| Error::new(ErrorCode::NotFound, e))?)
}

/// Runs one lifecycle command and returns what to print.
pub(crate) fn run(db: &str, actor: &Actor, at: NaiveDate, cmd: Command) -> Result<String> {
    let mut o = Orchestrator::new(SqliteRepository::open(db)?);
    match cmd {
        Command::Load { file } => {
            let r = o.import_document(actor, &file_json(&file)?, at)?;
            Ok(format!(
                "loaded {file} into {db}: {} events written, {} updated, {} reversed, {} unchanged",
                r.events_written, r.events_updated, r.events_reversed, r.events_noop
            ))
        }
        Command::Recalc { plan } => {
            let r = o.recalculate(actor, plan.as_deref(), at)?;
            pretty(json!({"outcome": r.outcome, "eventsWritten": r.events_written, "eventsUpdated": r.events_updated,
                          "eventsReversed": r.events_reversed, "eventsNoop": r.events_noop, "eventsLocked": r.events_locked,
                          "statementLocked": r.statement_locked}))
        }
        Command::Deal { action } => {
            let r = match action {
                DealAction::Upsert { file } => o.upsert_deal(actor, file_json(&file)?, at)?,
                DealAction::Delete { id } => o.delete_deal(actor, &id, at)?,
                DealAction::Reverse { id } => o.reverse_deal(actor, &id, at)?,
            };
            pretty(json!({"outcome": r.outcome, "eventsWritten": r.events_written, "eventsUpdated": r.events_updated,
                          "eventsReversed": r.events_reversed, "eventsNoop": r.events_noop, "eventsLocked": r.events_locked,
                          "statementLocked": r.statement_locked, "skipped": r.skipped}))
        }
        Command::Statement { action } => match action {
            StatementAction::Generate { rep, period } => pretty(o.generate_statement(actor, &rep, &period, at)?),
            StatementAction::Get { rep, period } => pretty(o.get_statement(actor, &rep, &period)?),
            StatementAction::Approve { rep, period } => {
                pretty(o.set_statement_status(actor, &rep, &period, "approved", at)?)
            }
            StatementAction::Revert { rep, period } => {
                pretty(o.set_statement_status(actor, &rep, &period, "draft", at)?)
            }
            StatementAction::TrueUp { rep, period } => pretty(o.true_up(actor, &rep, &period, at)?),
            StatementAction::Export { rep, period, format } => {
                Ok(o.export_statement(actor, &rep, &period, &format, at)?.trim_end().to_string())
            }
        },
        Command::Adjust { rep, period, amount, reason } => {
            pretty(o.adjust(actor, &rep, &period, &json!(amount), &reason, at)?)
        }
        Command::Events { rep, period } => {
            let mut evs = o.events(actor, rep.as_deref(), period.as_deref())?;
            for e in &mut evs {
                e.trace.clear();
            }
            pretty(evs)
        }
        Command::Audit { action } => pretty(o.audit_log(actor, action.as_deref())?),
        Command::Validate { .. } | Command::Simulate { .. } | Command::Diff { .. } => {
            Err(Error::new(ErrorCode::InternalError, "not a store command"))
        }
    }
}

//! # compcode-core
//!
//! An embeddable sales-commission calculation engine. Pure functions: plans, reps, quotas,
//! assignments and deal snapshots in; payout events, quota progress and diagnostics out. Exact
//! decimals everywhere (`rust_decimal`), no clock, no I/O, no global state: `asOf` is an
//! argument. The semantics are those of `SPEC.md`; section numbers in these docs refer to it.
//!
//! ```
//! use serde_json::json;
//! let doc = json!({
//!   "asOf": "2026-04-01",
//!   "reps": [{"id": "alice", "name": "Alice", "email": "alice@example.com"}],
//!   "plans": [{"planId": "ae", "name": "AE", "effectiveStart": "2026-01-01", "config": {"rules": [{
//!       "name": "Revenue Commission", "measure": "closed_won_revenue", "tierBy": "value",
//!       "tiers": [{"tierIndex": 0, "name": "Base", "minThreshold": 0, "rate": 0.08}]}]}}],
//!   "assignments": [{"repId": "alice", "planId": "ae", "effectiveStart": "2026-01-01"}],
//!   "quotas": [],
//!   "deals": [{"id": "D1", "name": "Acme", "stage": "closed_won", "amount": "200000",
//!              "closeDate": "2026-01-10", "ownerRepId": "alice"}]
//! });
//! let out = compcode_core::api::simulate(&doc).unwrap();
//! assert_eq!(out.total_commission, "16000.00");
//! assert_eq!(out.events[0].period, "2026-Q1");
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod analysis;
pub mod api;
pub mod calc;
pub mod commissionflow;
pub mod condition;
pub mod conformance;
pub mod crm;
pub mod csv_text;
pub mod decimal;
pub mod diff;
pub mod error;
pub mod goals;
pub mod ledger;
pub mod memory;
pub mod model;
pub mod orchestrator;
pub mod payroll;
pub mod period;
pub mod rate_table;
pub mod repository;
pub mod rules_v0;
pub mod templates;
pub mod trace;
pub mod validate;
pub mod view;
// SPEC §20
pub mod amortization;
pub mod draws;
pub mod fx;
mod hash;
pub mod schedule;

pub use error::{Error, ErrorCode, Issue, Result};

/// The README's Rust example, compiled and run as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

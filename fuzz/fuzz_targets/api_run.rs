//! `compcode_core::api::run` — the entry point every binding calls — on arbitrary input: the
//! first byte picks the operation, the rest is JSON text.
#![no_main]

use compcode_core::api::{run, OPERATIONS};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else { return };
    let op = OPERATIONS[pick as usize % OPERATIONS.len()];
    let Ok(input) = serde_json::from_slice::<Value>(rest) else { return };
    if let Err(e) = run(op, &input) {
        assert!(!e.code().as_str().is_empty());
    }
});

//! The formula parser and evaluator on arbitrary text: never a panic, never a hang; every
//! failure is one of the formula error codes.
#![no_main]

use compcode_core::rules_v0::formula::{format_result, Formula, Ref};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(formula) = Formula::parse(text) else { return };
    let result = formula.eval(|name| match name.len() % 4 {
        0 => Ref::Missing,
        1 => Ref::NotNumeric("text".into()),
        2 => Ref::Number(rust_decimal_from(name)),
        _ => Ref::Number(0.into()),
    });
    if let Ok(d) = result {
        let s = format_result(d);
        assert!(!s.contains('e') && s != "-0");
    }
});

/// A deterministic, sometimes extreme number derived from the reference name.
fn rust_decimal_from(name: &str) -> rust_decimal::Decimal {
    let n = name.bytes().fold(0i64, |a, b| a.wrapping_mul(31).wrapping_add(b as i64));
    rust_decimal::Decimal::new(n, (name.len() % 29) as u32)
}

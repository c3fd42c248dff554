//! The one error type of compcode, with the stable codes of SPEC §16.

use serde::Serialize;
use serde_json::Value;
use std::fmt;

/// Stable machine codes (SPEC §16). Generic codes are upper-case, domain codes snake_case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[non_exhaustive]
pub enum ErrorCode {
    /// 400: the input breaks the schema; `details.errors` lists every problem.
    #[serde(rename = "VALIDATION_FAILED")]
    ValidationFailed,
    /// 401.
    #[serde(rename = "UNAUTHORIZED")]
    Unauthorized,
    /// 403.
    #[serde(rename = "FORBIDDEN")]
    Forbidden,
    /// 404.
    #[serde(rename = "NOT_FOUND")]
    NotFound,
    /// 409: a state transition that is not allowed.
    #[serde(rename = "CONFLICT")]
    Conflict,
    /// 500: a bug in compcode; never expected.
    #[serde(rename = "INTERNAL_ERROR")]
    InternalError,
    /// 404: a quota or override names a rule id that is not on the version in force.
    #[serde(rename = "plan_rule_not_found")]
    PlanRuleNotFound,
    /// 409: the rep's period has an approved statement.
    #[serde(rename = "statement_locked")]
    StatementLocked,
    /// 404: no such rep.
    #[serde(rename = "rep_not_found")]
    RepNotFound,
    /// 409: an event with this key exists already (safe to ignore).
    #[serde(rename = "duplicate_idempotency_key")]
    DuplicateIdempotencyKey,
    /// 400: a period string whose format does not match the rule's attainment period.
    #[serde(rename = "period_mismatch")]
    PeriodMismatch,
    /// 400: a quota `measure` shortcut matches rules on several plans of the rep.
    #[serde(rename = "quota_ambiguous_measure")]
    QuotaAmbiguousMeasure,
    /// 403: the acting user may not do this.
    #[serde(rename = "forbidden")]
    ForbiddenAction,
    /// 400: a formula that does not parse.
    #[serde(rename = "formula_syntax")]
    FormulaSyntax,
    /// 400: a formula reads a field the context does not have.
    #[serde(rename = "formula_missing_field")]
    FormulaMissingField,
    /// 400: a formula divides by zero.
    #[serde(rename = "formula_division_by_zero")]
    FormulaDivisionByZero,
    /// 400: a formula over the length or nesting limits.
    #[serde(rename = "formula_too_complex")]
    FormulaTooComplex,
    /// 422: a number outside the range exact decimals can hold.
    #[serde(rename = "arithmetic_overflow")]
    ArithmeticOverflow,
}

impl ErrorCode {
    /// Every code, for completeness tests and bindings.
    pub const ALL: [ErrorCode; 18] = [
        ErrorCode::ValidationFailed,
        ErrorCode::Unauthorized,
        ErrorCode::Forbidden,
        ErrorCode::NotFound,
        ErrorCode::Conflict,
        ErrorCode::InternalError,
        ErrorCode::PlanRuleNotFound,
        ErrorCode::StatementLocked,
        ErrorCode::RepNotFound,
        ErrorCode::DuplicateIdempotencyKey,
        ErrorCode::PeriodMismatch,
        ErrorCode::QuotaAmbiguousMeasure,
        ErrorCode::ForbiddenAction,
        ErrorCode::FormulaSyntax,
        ErrorCode::FormulaMissingField,
        ErrorCode::FormulaDivisionByZero,
        ErrorCode::FormulaTooComplex,
        ErrorCode::ArithmeticOverflow,
    ];

    /// The stable text of the code.
    ///
    /// ```
    /// use compcode_core::ErrorCode;
    /// assert_eq!(ErrorCode::ValidationFailed.as_str(), "VALIDATION_FAILED");
    /// assert_eq!(ErrorCode::PeriodMismatch.as_str(), "period_mismatch");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::ValidationFailed => "VALIDATION_FAILED",
            ErrorCode::Unauthorized => "UNAUTHORIZED",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::Conflict => "CONFLICT",
            ErrorCode::InternalError => "INTERNAL_ERROR",
            ErrorCode::PlanRuleNotFound => "plan_rule_not_found",
            ErrorCode::StatementLocked => "statement_locked",
            ErrorCode::RepNotFound => "rep_not_found",
            ErrorCode::DuplicateIdempotencyKey => "duplicate_idempotency_key",
            ErrorCode::PeriodMismatch => "period_mismatch",
            ErrorCode::QuotaAmbiguousMeasure => "quota_ambiguous_measure",
            ErrorCode::ForbiddenAction => "forbidden",
            ErrorCode::FormulaSyntax => "formula_syntax",
            ErrorCode::FormulaMissingField => "formula_missing_field",
            ErrorCode::FormulaDivisionByZero => "formula_division_by_zero",
            ErrorCode::FormulaTooComplex => "formula_too_complex",
            ErrorCode::ArithmeticOverflow => "arithmetic_overflow",
        }
    }

    /// The HTTP-style status of the code.
    ///
    /// ```
    /// use compcode_core::ErrorCode;
    /// assert_eq!(ErrorCode::Conflict.status(), 409);
    /// ```
    pub fn status(self) -> u16 {
        match self {
            ErrorCode::ValidationFailed
            | ErrorCode::PeriodMismatch
            | ErrorCode::QuotaAmbiguousMeasure
            | ErrorCode::FormulaSyntax
            | ErrorCode::FormulaMissingField
            | ErrorCode::FormulaDivisionByZero
            | ErrorCode::FormulaTooComplex => 400,
            ErrorCode::Unauthorized => 401,
            ErrorCode::Forbidden | ErrorCode::ForbiddenAction => 403,
            ErrorCode::NotFound | ErrorCode::PlanRuleNotFound | ErrorCode::RepNotFound => 404,
            ErrorCode::Conflict | ErrorCode::StatementLocked | ErrorCode::DuplicateIdempotencyKey => 409,
            ErrorCode::ArithmeticOverflow => 422,
            ErrorCode::InternalError => 500,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem found while validating input: where (a JSON path), what (a code), and a
/// message for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issue {
    /// JSON path, e.g. `plans[0].versions[0].config.rules[0].tiers[1].minThreshold`.
    pub path: String,
    /// Issue code (see `spec-fixtures/README.md`), e.g. `unknown_field`.
    pub code: &'static str,
    /// Human-readable explanation.
    pub message: String,
    /// For `unknown_field`: the closest known key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<String>,
}

/// The error every compcode operation returns.
///
/// ```
/// use compcode_core::{Error, ErrorCode};
/// let e = Error::new(ErrorCode::NotFound, "no statement for alice 2026-Q1");
/// assert_eq!(e.code(), ErrorCode::NotFound);
/// assert_eq!(e.status(), 404);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    code: ErrorCode,
    message: String,
    details: Value,
}

impl Error {
    /// An error with a code and message and empty details.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Error { code, message: message.into(), details: Value::Object(Default::default()) }
    }

    /// An error carrying `details`.
    pub fn with_details(code: ErrorCode, message: impl Into<String>, details: Value) -> Self {
        Error { code, message: message.into(), details }
    }

    /// `VALIDATION_FAILED` listing every issue in `details.errors`.
    pub fn validation(issues: Vec<Issue>) -> Self {
        let n = issues.len();
        let first = issues.first().map(|i| format!(": {} ({})", i.message, i.path)).unwrap_or_default();
        let message = if n == 1 {
            format!("1 problem in the input{first}")
        } else {
            format!("{n} problems in the input; the first{first}")
        };
        let errors = serde_json::to_value(&issues).unwrap_or(Value::Null);
        let mut details = serde_json::Map::new();
        details.insert("errors".into(), errors);
        Error { code: ErrorCode::ValidationFailed, message, details: Value::Object(details) }
    }

    /// Checked arithmetic failed (`arithmetic_overflow`).
    pub fn overflow(what: &str) -> Self {
        Error::new(ErrorCode::ArithmeticOverflow, format!("arithmetic overflow while computing {what}"))
    }

    /// The stable code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The HTTP-style status of the code.
    pub fn status(&self) -> u16 {
        self.code.status()
    }

    /// The human message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Structured details (`errors` for validation, candidates for ambiguity, …).
    pub fn details(&self) -> &Value {
        &self.details
    }

    /// The error as the JSON object bindings and fixtures see:
    /// `{ "code", "status", "message", "details" }`.
    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "code": self.code.as_str(),
            "status": self.status(),
            "message": self.message,
            "details": self.details,
        })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for Error {}

/// `Result` with compcode's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_and_serialize_as_their_text() {
        let texts: HashSet<_> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(texts.len(), ErrorCode::ALL.len());
        for c in ErrorCode::ALL {
            assert_eq!(serde_json::to_value(c).unwrap(), Value::String(c.as_str().into()));
        }
    }

    #[test]
    fn spec_16_codes_are_all_present() {
        let spec = [
            "VALIDATION_FAILED",
            "UNAUTHORIZED",
            "FORBIDDEN",
            "NOT_FOUND",
            "CONFLICT",
            "INTERNAL_ERROR",
            "plan_rule_not_found",
            "statement_locked",
            "rep_not_found",
            "duplicate_idempotency_key",
            "period_mismatch",
            "quota_ambiguous_measure",
            "forbidden",
            "formula_syntax",
            "formula_missing_field",
            "formula_division_by_zero",
            "formula_too_complex",
            "arithmetic_overflow",
        ];
        let ours: HashSet<_> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(ours, spec.into_iter().collect());
    }
}

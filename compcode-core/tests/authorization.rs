//! The authorization matrix (issue #10): every workflow of `orchestrator::WORKFLOWS` called through
//! `Orchestrator::call` by every kind of acting user, checked against SPEC §17 and §18.32–§18.33.
//!
//! Actors: an admin, the target rep's manager, a manager of someone else, the target rep, another
//! rep, an unknown user and an inactive user (an inactive *admin*, so that being inactive is what
//! refuses it). Each cell runs on a fresh store, so no call changes what the next one sees.
//! "Allowed" means the call succeeds; "refused" means exactly `FORBIDDEN` (403) for a known,
//! active user and `UNAUTHORIZED` (401) for an unknown or inactive one.

use chrono::NaiveDate;
use compcode_core::memory::MemoryRepository;
use compcode_core::orchestrator::{Actor, Orchestrator, WORKFLOWS};
use compcode_core::ErrorCode;
use serde_json::{json, Value};

const ROLES: [&str; 7] = ["admin", "manager_of_rep", "other_manager", "rep", "other_rep", "unknown", "inactive"];

fn actor(role: &str) -> Actor {
    Actor::user(match role {
        "admin" => "ada",
        "manager_of_rep" => "mia",
        "other_manager" => "max",
        "rep" => "rex",
        "other_rep" => "sam",
        "unknown" => "nobody",
        "inactive" => "old",
        other => panic!("no role {other}"),
    })
}

/// Who may call a workflow (on the target rep `rex`, where the workflow is about a rep).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Policy {
    /// Plans, quotas, assignments, recalculation, adjustments, deals, settings, audit: admin only.
    Admin,
    /// Reading a rep's statements and commissions: admin, a manager above them, the rep.
    Read,
    /// Generate / approve / true-up a rep's statement: admin or a manager above them.
    Manage,
    /// Revert: admin or the approver (here the host approved, so managers are refused).
    AdminOrApprover,
    /// Delete a comment: its author (the rep) or an admin.
    AuthorOrAdmin,
    /// The team summary (SPEC §19): admins and any manager (each sees their own team).
    Managers,
}

fn policy(workflow: &str) -> Option<Policy> {
    use Policy::*;
    Some(match workflow {
        "put_settings" | "upsert_rep" | "create_plan" | "update_plan" | "plan_history" | "archive_plan"
        | "reactivate_plan" | "delete_plan" | "assign" | "unassign" | "set_quota" | "delete_quota" | "set_override"
        | "delete_override" | "import" | "upsert_deal" | "delete_deal" | "reverse_deal" | "recalculate"
        | "simulate" | "event_history" | "mark_paid" | "adjust" | "audit_log" | "state_document" => Admin,
        // Spark (SPEC §9, §14, §18.23–§18.26): sales, payroll batches (admin only, §18.33), goals
        "cancel_sale" | "recalculate_sale" | "sale" | "create_batch" | "get_batch" | "list_batches"
        | "submit_batch" | "approve_batch" | "export_batch" | "mark_batch_paid" | "batch_csv" | "process_clawback"
        | "process_clawbacks" | "set_goal" | "delete_goal" => Admin,
        "events" | "get_statement" | "add_comment" | "comments" | "export_statement" => Read,
        "clawbacks" | "allocation_summary" | "goals" => Read,
        "generate_statement" | "approve_statement" | "true_up" | "decide_true_up" => Manage,
        "revert_statement" => AdminOrApprover,
        "delete_comment" => AuthorOrAdmin,
        // SPEC §19: webhook batches and maintenance like upsert_deal; read models like statements
        "crm_webhook" | "cleanup" | "reset" => Admin,
        "rep_dashboard" | "commission_periods" | "deal_list" => Read,
        "team_summary" => Managers,
        _ => return None,
    })
}

/// Workflows whose allowed calls may fail for reasons other than roles with the arguments
/// `prepare` gives (an unknown batch id, …): for them "allowed" means "neither FORBIDDEN nor
/// UNAUTHORIZED".
const LENIENT: &[&str] = &[
    "get_batch",
    "submit_batch",
    "approve_batch",
    "export_batch",
    "mark_batch_paid",
    "batch_csv",
    "process_clawback",
    "process_clawbacks",
    "delete_goal",
    "set_goal",
    "create_batch",
];

fn allowed(p: Policy, role: &str) -> bool {
    match (p, role) {
        (_, "unknown" | "inactive") => false,
        (_, "admin") => true,
        (Policy::Read, "manager_of_rep" | "rep") => true,
        (Policy::Manage, "manager_of_rep") => true,
        (Policy::AuthorOrAdmin, "rep") => true,
        (Policy::Managers, "manager_of_rep" | "other_manager") => true,
        _ => false,
    }
}

fn at() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 4, 2).unwrap()
}

fn ok(o: &mut Orchestrator<MemoryRepository>, name: &str, args: Value) -> Value {
    o.call(name, &Actor::System, at(), &args).unwrap_or_else(|e| panic!("setup {name}: {e}"))
}

const PLAN_CONFIG: &str = r#"{"rules": [{"name": "Commission", "measure": "closed_won_revenue", "tierBy": "value",
    "tiers": [{"tierIndex": 0, "name": "Base", "minThreshold": "0", "rate": "0.1"}]}]}"#;

fn deal(amount: &str) -> Value {
    json!({"id": "D1", "name": "Deal 1", "stage": "closed_won", "amount": amount, "closeDate": "2026-02-01",
           "ownerRepId": "rex"})
}

/// The shared state: the seven users, plan `ae` assigned to rex and sam, a quota, an override,
/// deal D1 for rex, and a draft statement of rex for 2026-Q1.
fn world() -> Orchestrator<MemoryRepository> {
    let mut o = Orchestrator::new(MemoryRepository::new());
    for rep in [
        json!({"id": "ada", "name": "Ada", "role": "admin"}),
        json!({"id": "mia", "name": "Mia", "role": "manager"}),
        json!({"id": "rex", "name": "Rex", "managerId": "mia"}),
        json!({"id": "max", "name": "Max", "role": "manager"}),
        json!({"id": "sam", "name": "Sam", "managerId": "max"}),
        json!({"id": "old", "name": "Old", "role": "admin", "active": false}),
    ] {
        ok(&mut o, "upsert_rep", json!({ "rep": rep }));
    }
    let config: Value = serde_json::from_str(PLAN_CONFIG).unwrap();
    ok(
        &mut o,
        "create_plan",
        json!({"plan": {"planId": "ae", "name": "AE", "effectiveStart": "2026-01-01", "config": config}}),
    );
    ok(
        &mut o,
        "create_plan",
        json!({"plan": {"planId": "spare", "name": "Spare", "effectiveStart": "2026-01-01", "config": config}}),
    );
    ok(&mut o, "assign", json!({"body": {"repIds": ["rex", "sam"], "planId": "ae", "effectiveStart": "2026-01-01"}}));
    ok(
        &mut o,
        "set_quota",
        json!({"body": {"repIds": ["rex"], "planId": "ae", "ruleName": "Commission", "period": "2026-Q1", "target": "100000"}}),
    );
    ok(
        &mut o,
        "set_override",
        json!({"body": {"planVersionId": "ae:v1", "repId": "rex", "ruleName": "Commission",
        "tiers": [{"tierIndex": 0, "name": "Special", "minThreshold": "0", "rate": "0.12"}]}}),
    );
    ok(&mut o, "upsert_deal", json!({ "deal": deal("10000") }));
    ok(&mut o, "generate_statement", json!({"repId": "rex", "period": "2026-Q1"}));
    o
}

/// Extra host steps a workflow needs before the call, and the call's arguments.
fn prepare(o: &mut Orchestrator<MemoryRepository>, workflow: &str) -> Value {
    let rq = json!({"repId": "rex", "period": "2026-Q1"});
    let config: Value = serde_json::from_str(PLAN_CONFIG).unwrap();
    match workflow {
        "put_settings" => json!({"settings": {"currencyPrecision": 2}}),
        "upsert_rep" => json!({"rep": {"id": "new", "name": "New"}}),
        "create_plan" => {
            json!({"plan": {"planId": "p2", "name": "P2", "effectiveStart": "2026-01-01", "config": config}})
        }
        "update_plan" => json!({"planId": "ae", "body": {"effectiveStart": "2026-07-01", "config": config}}),
        "plan_history" | "archive_plan" | "reactivate_plan" => json!({"planId": "ae"}),
        "delete_plan" => json!({"planId": "spare"}),
        "assign" => json!({"body": {"repIds": ["sam"], "planId": "spare", "effectiveStart": "2026-01-01"}}),
        "unassign" => json!({"repId": "sam", "planId": "ae"}),
        "set_quota" => {
            json!({"body": {"repIds": ["sam"], "planId": "ae", "ruleName": "Commission", "period": "2026-Q1", "target": "5"}})
        }
        "delete_quota" => json!({"repId": "rex", "rule": "Commission", "period": "2026-Q1"}),
        "set_override" => json!({"body": {"planVersionId": "ae:v1", "repId": "sam", "ruleName": "Commission",
            "tiers": [{"tierIndex": 0, "name": "S", "minThreshold": "0", "rate": "0.2"}]}}),
        "delete_override" => json!({"planVersionId": "ae:v1", "repId": "rex", "ruleName": "Commission"}),
        "import" => {
            json!({"document": {"asOf": "2026-04-02", "reps": [{"id": "zoe", "name": "Zoe"}], "plans": [], "deals": []}})
        }
        "upsert_deal" => json!({"deal": deal("20000")}),
        "delete_deal" | "reverse_deal" => json!({"dealId": "D1"}),
        "recalculate" | "audit_log" | "state_document" => json!({}),
        "simulate" => json!({"scope": {"period": "2026-Q1"}}),
        "events" => json!({"repId": "rex"}),
        "event_history" => json!({"key": "[\"D1\",\"rex\",\"ae\",\"Commission\"]"}),
        "mark_paid" => json!({"keys": []}),
        "adjust" => json!({"repId": "rex", "period": "2026-Q1", "amount": "10", "reason": "spiff"}),
        "generate_statement" | "get_statement" | "approve_statement" | "comments" => rq,
        "export_statement" => json!({"repId": "rex", "period": "2026-Q1", "format": "json"}),
        "add_comment" => json!({"repId": "rex", "period": "2026-Q1", "text": "looks right"}),
        "revert_statement" | "true_up" => {
            ok(o, "approve_statement", rq.clone());
            rq
        }
        "decide_true_up" => {
            // approve, then the deal grows by 100 000 (a 12 000.00 delta > the 500.00 threshold):
            // the true-up requires approval
            ok(o, "approve_statement", rq.clone());
            ok(o, "upsert_deal", json!({ "deal": deal("110000") }));
            let tu = ok(o, "true_up", rq);
            assert_eq!(tu["status"], "requires_approval", "{tu}");
            json!({"id": tu["id"], "approve": true})
        }
        "delete_comment" => {
            let c = o.call(
                "add_comment",
                &Actor::user("rex"),
                at(),
                &json!({"repId": "rex", "period": "2026-Q1", "text": "mine"}),
            );
            json!({"id": c.unwrap()["id"]})
        }
        // Spark workflows: plausible arguments; an allowed call may still end in NOT_FOUND or
        // CONFLICT here (see `LENIENT`) — what is checked is that the role check let it through.
        "cancel_sale" | "recalculate_sale" | "sale" => json!({"dealId": "D1"}),
        "create_batch" => {
            json!({"batch": {"batchId": "b1", "batchName": "March", "payPeriodEnd": "2026-03-31", "payDate": "2026-04-05"}})
        }
        "get_batch" | "submit_batch" | "approve_batch" | "export_batch" | "mark_batch_paid" | "batch_csv" => {
            json!({"batchId": "nope"})
        }
        "list_batches" => json!({}),
        "process_clawback" | "delete_goal" => json!({"id": "nope", "goalId": "nope"}),
        "process_clawbacks" => json!({"ids": []}),
        "clawbacks" | "allocation_summary" | "goals" => json!({"userId": "rex"}),
        "set_goal" => json!({"goal": {"goalId": "g1", "userId": "rex", "goalType": "revenue", "targetValue": "100000",
            "periodStart": "2026-01-01", "periodEnd": "2026-03-31", "milestones": []}}),
        "crm_webhook" => json!({"provider": "hubspot", "mapping": {"closed_won_revenue": "amount"}, "events": [
            {"eventId": 1, "subscriptionType": "deal.propertyChange", "objectId": "D1", "occurredAt": 1711234567890_i64,
             "propertyName": "amount", "propertyValue": "30000"}]}),
        "cleanup" | "reset" => json!({}),
        "rep_dashboard" | "commission_periods" => json!({"repId": "rex", "period": "2026-Q1"}),
        "deal_list" => json!({"ownerRepId": "rex"}),
        "team_summary" => json!({"period": "2026-Q1"}),
        other => panic!("no arguments for workflow `{other}`: add them to `prepare`"),
    }
}

#[test]
fn every_workflow_has_a_policy() {
    let missing: Vec<&str> = WORKFLOWS.iter().copied().filter(|w| policy(w).is_none()).collect();
    assert!(missing.is_empty(), "workflows without a row in the authorization matrix: {missing:?}");
}

#[test]
fn the_matrix() {
    let mut failures = Vec::new();
    let mut cells = 0;
    for &w in WORKFLOWS {
        let Some(p) = policy(w) else { continue };
        for role in ROLES {
            let mut o = world();
            let args = prepare(&mut o, w);
            let got = o.call(w, &actor(role), at(), &args);
            cells += 1;
            let want_ok = allowed(p, role);
            let verdict = match (&got, want_ok) {
                (Ok(_), true) => None,
                (Err(e), false) => {
                    let want = if matches!(role, "unknown" | "inactive") {
                        ErrorCode::Unauthorized
                    } else {
                        ErrorCode::Forbidden
                    };
                    (e.code() != want || e.status() != if want == ErrorCode::Forbidden { 403 } else { 401 })
                        .then(|| format!("expected {want}, got {e}"))
                }
                (Ok(v), false) => Some(format!("expected a refusal, got Ok({})", short(v))),
                (Err(e), true)
                    if LENIENT.contains(&w) && !matches!(e.code(), ErrorCode::Forbidden | ErrorCode::Unauthorized) =>
                {
                    None
                }
                (Err(e), true) => Some(format!("expected success, got {e}")),
            };
            if let Some(why) = verdict {
                failures.push(format!("{w} as {role} ({p:?}): {why}"));
            }
        }
    }
    assert!(failures.is_empty(), "{} of {cells} cells wrong:\n{}", failures.len(), failures.join("\n"));
    assert_eq!(cells, WORKFLOWS.len() * ROLES.len());
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    s.chars().take(200).collect()
}

/// A refused call writes nothing: not even an audit entry.
#[test]
fn a_refused_call_changes_nothing() {
    for &w in WORKFLOWS.iter().filter(|w| policy(w) == Some(Policy::Admin)) {
        let mut o = world();
        let args = prepare(&mut o, w);
        let before = o.state_document(at()).unwrap();
        let log_before = o.audit_log(&Actor::System, None).unwrap().len();
        assert!(o.call(w, &actor("rep"), at(), &args).is_err(), "{w}");
        assert_eq!(o.state_document(at()).unwrap(), before, "{w}");
        assert_eq!(o.audit_log(&Actor::System, None).unwrap().len(), log_before, "{w}");
    }
}

/// SPEC §18.33: a manager's team is everyone below them, not themselves — a manager cannot
/// generate or approve their own statement; a manager above them can. The approver may revert.
#[test]
fn managers_and_their_own_statements() {
    let mut o = world();
    // mia reports to a director
    ok(&mut o, "upsert_rep", json!({"rep": {"id": "dee", "name": "Dee", "role": "manager"}}));
    ok(&mut o, "upsert_rep", json!({"rep": {"id": "mia", "name": "Mia", "role": "manager", "managerId": "dee"}}));
    let mia_q1 = json!({"repId": "mia", "period": "2026-Q1"});
    let mia = Actor::user("mia");
    let dee = Actor::user("dee");
    let e = o.call("generate_statement", &mia, at(), &mia_q1).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Forbidden);
    o.call("generate_statement", &dee, at(), &mia_q1).unwrap();
    let e = o.call("approve_statement", &mia, at(), &mia_q1).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Forbidden);
    // the director manages rex transitively
    let rex_q1 = json!({"repId": "rex", "period": "2026-Q1"});
    o.call("approve_statement", &dee, at(), &rex_q1).unwrap();
    // mia (rex's manager) did not approve: she may not revert; the approver may
    let e = o.call("revert_statement", &mia, at(), &rex_q1).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Forbidden);
    o.call("revert_statement", &dee, at(), &rex_q1).unwrap();
    // mia approves rex's statement herself, and may then revert it
    o.call("approve_statement", &mia, at(), &rex_q1).unwrap();
    o.call("revert_statement", &mia, at(), &rex_q1).unwrap();
    // a rep reading their manager's statement: refused
    let e = o.call("get_statement", &Actor::user("rex"), at(), &mia_q1).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Forbidden);
}

/// A rep whose role changes loses or gains rights at once; deactivating an admin locks them out.
#[test]
fn role_changes_take_effect_immediately() {
    let mut o = world();
    let sam = Actor::user("sam");
    assert_eq!(o.call("recalculate", &sam, at(), &json!({})).unwrap_err().code(), ErrorCode::Forbidden);
    ok(&mut o, "upsert_rep", json!({"rep": {"id": "sam", "name": "Sam", "role": "admin", "managerId": "max"}}));
    o.call("recalculate", &sam, at(), &json!({})).unwrap();
    ok(&mut o, "upsert_rep", json!({"rep": {"id": "sam", "name": "Sam", "role": "admin", "active": false}}));
    assert_eq!(o.call("recalculate", &sam, at(), &json!({})).unwrap_err().code(), ErrorCode::Unauthorized);
    // an unknown workflow is NOT_FOUND, whoever asks (the name is checked before the actor)
    assert_eq!(o.call("nope", &Actor::user("nobody"), at(), &json!({})).unwrap_err().code(), ErrorCode::NotFound);
}

//! The `compcode` binary as a shell user meets it: exit codes, and a reader that goes away.

use std::process::{Command, Stdio};

fn compcode() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_compcode"));
    c.current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    c
}

/// `compcode simulate … | head -1` (or `| grep -q`): the reader closes the pipe before the
/// output is written. That is the reader's choice; the CLI must end quietly with success, never
/// panic ("failed printing to stdout: Broken pipe").
#[test]
fn a_closed_stdout_pipe_is_a_quiet_success_not_a_panic() {
    for args in [
        &["simulate", "--json", "examples/ae-quickstart.json"][..],
        &["simulate", "examples/ae-quickstart.json"][..],
        &["validate", "--json", "examples/ae-quickstart.json"][..],
    ] {
        let mut child =
            compcode().args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("the binary starts");
        drop(child.stdout.take()); // the reader is gone before anything is written
        let out = child.wait_with_output().expect("the binary ends");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?} panicked: {stderr}");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
    }
}

#[test]
fn exit_codes_say_ok_invalid_and_usage() {
    let ok = compcode().args(["validate", "examples/ae-quickstart.json"]).output().unwrap();
    assert_eq!(ok.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&ok.stdout).trim(), "examples/ae-quickstart.json: valid");

    let dir = std::env::temp_dir().join(format!("compcode-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.json");
    std::fs::write(&bad, r#"{"plan": {"name": "P", "rules": [{"name": "R", "tierMod": "marginal"}]}}"#).unwrap();
    let invalid = compcode().arg("validate").arg(&bad).output().unwrap();
    assert_eq!(invalid.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&invalid.stdout).contains("problem(s)"));

    let missing = compcode().args(["validate", "no/such/file.json"]).output().unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("cannot read no/such/file.json"));
    std::fs::remove_dir_all(&dir).ok();
}

/// `compcode diff FILE --from A --to B`: the quickstart's saved plan against the edited one
/// (Accelerator 0.14 → 0.15; hand-worked in spec-fixtures/diff/quickstart_accelerator.json):
/// a readable table, the same numbers with `--json`, and a typed error for an unknown version.
#[test]
fn diff_compares_two_plan_versions() {
    let fx: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string("../spec-fixtures/diff/quickstart_accelerator.json").unwrap())
            .unwrap();
    let dir = std::env::temp_dir().join(format!("compcode-cli-diff-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("versions.json");
    std::fs::write(&file, fx["input"]["document"].to_string()).unwrap();

    let out = compcode().arg("diff").arg(&file).args(["--from", "saved", "--to", "edited"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "plan ae-plan-2026: saved → edited");
    let row = |first: &str| {
        lines
            .iter()
            .find(|l| l.split_whitespace().next() == Some(first))
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .unwrap_or_default()
    };
    assert_eq!(row("sarah"), ["sarah", "Sarah", "Chen", "61600.00", "62700.00", "+1100.00"]);
    assert_eq!(row("james"), ["james", "James", "Okafor", "35880.00", "36600.00", "+720.00"]);
    assert_eq!(row("total"), ["total", "97480.00", "99300.00", "+1820.00"]);
    assert!(text.contains("most changed deals (2 of 2 changed):"), "{text}");
    assert_eq!(row("1"), ["1", "S6", "Vandelay", "Industries", "15400.00", "16500.00", "+1100.00"]);
    assert_eq!(row("2"), ["2", "J4", "Tyrell", "Corp", "10080.00", "10800.00", "+720.00"]);

    let json = compcode()
        .arg("diff")
        .arg(&file)
        .args(["--from", "saved", "--to", "edited", "--json", "--top", "1"])
        .output()
        .unwrap();
    assert_eq!(json.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["total"], serde_json::json!({"old": "97480.00", "new": "99300.00", "delta": "1820.00"}));
    assert_eq!(v["deals"].as_array().map(Vec::len), Some(1));
    assert_eq!(v["changedDeals"], 2);

    let bad = compcode().arg("diff").arg(&file).args(["--from", "saved", "--to", "nope"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("versionB: [unknown_reference]"));
    std::fs::remove_dir_all(&dir).ok();
}

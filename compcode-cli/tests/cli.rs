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

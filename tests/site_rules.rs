//! Site rules in the ftr-site-config format (issue 13): `check` and `rules coverage` over rule folders of
//! our own, and extraction with rules against the loopback server through the real binary.

use std::path::PathBuf;

use crate::support::workspace::{Workspace, config_with, stderr, stdout};

fn fixture(case: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/rules")).join(case)
}

/// A workspace whose config reads the rule folders `folders` (in that order).
fn workspace_with_rules(folders: &[PathBuf]) -> Workspace {
    let workspace = Workspace::new();
    let list: Vec<String> = folders
        .iter()
        .map(|f| format!("{:?}", f.display().to_string()))
        .collect();
    workspace.write_config(&config_with("").replace(
        "[settings]\n",
        &format!("[settings]\nsite_rules = [{}]\n", list.join(", ")),
    ));
    workspace
}

#[test]
fn check_names_file_and_line_of_each_rule_problem_and_exits_2_on_errors() {
    let workspace = workspace_with_rules(&[fixture("broken")]);
    let output = workspace.run(&["check"]);
    assert_eq!(output.status.code(), Some(2), "{}", stdout(&output));
    let errors = stderr(&output);
    let file = fixture("broken").join("example.org.txt").display().to_string();
    for expected in [
        format!("{file}:3: error: body: at character 17: expected ']' at the end"),
        format!("{file}:4: warning: unknown directive frobnicate; ignored"),
        format!("{file}:5: warning: login_uri is not supported; ignored"),
        format!("{file}:6: error: expected yes or no, found \"sometimes\""),
        format!("{file}:7: error: replace_string without a preceding find_string"),
    ] {
        assert!(errors.contains(&expected), "missing {expected:?} in:\n{errors}");
    }
    assert!(!errors.contains(":2:"), "line 2 is valid:\n{errors}");
    assert!(stdout(&output).contains("site rules: 1 files from 1 folder(s), 3 errors, 2 warnings"));
}

#[test]
fn check_flags_a_bad_wildcard_file_and_a_missing_folder() {
    let workspace = workspace_with_rules(&[fixture("community_like")]);
    let output = workspace.run(&["check"]);
    assert_eq!(
        output.status.code(),
        Some(2),
        "the wildcard file has a bad expression"
    );
    assert!(stderr(&output).contains(".example.net.txt:2: error: date:"));

    let missing = fixture("no_such_folder");
    let workspace = workspace_with_rules(std::slice::from_ref(&missing));
    let output = workspace.run(&["check"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains(&format!(
            "{}: error: cannot read the rules folder",
            missing.display()
        )),
        "{}",
        stderr(&output)
    );
}

#[test]
fn rules_coverage_reports_files_expressions_and_unsupported_kinds() {
    let workspace = Workspace::new();
    let output = workspace.run(&[
        "rules",
        "coverage",
        &fixture("community_like").display().to_string(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report = stdout(&output);
    for expected in [
        "files read without errors: 1/2 (50.00%)",
        "  body    2/2 (100.00%)",
        "  date    1/2 (50.00%)",
        "expressions supported: 6/7 (85.71%)",
        "contains() does not take 1 argument(s)",
        "     1  strip_attr",
    ] {
        assert!(report.contains(expected), "missing {expected:?} in:\n{report}");
    }
}

//! Outside programs a test needs (site builders, a browser): present, or the test says it SKIPPED.

use std::process::Command;

/// True when `program version_argument` runs; otherwise prints the SKIPPED line (or fails under
/// TIDINGS_REQUIRE_EXTERNAL=1, set by .ci/run, which installs every such program).
pub fn available(program: &str, version_argument: &str, test: &str) -> bool {
    let found = Command::new(program)
        .arg(version_argument)
        .output()
        .is_ok_and(|output| output.status.success());
    if !found {
        let why = format!("{program} is not installed");
        assert!(
            std::env::var("TIDINGS_REQUIRE_EXTERNAL").as_deref() != Ok("1"),
            "{test}: {why} and TIDINGS_REQUIRE_EXTERNAL=1"
        );
        eprintln!("SKIPPED: {test}: {why}, install it (apt-get install -y {program}) or run .ci/run");
    }
    found
}

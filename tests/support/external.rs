//! Outside programs some tests run (site builders, node with gray-matter). Without one a test prints a
//! SKIPPED line and passes, unless TIDINGS_REQUIRE_EXTERNAL=1 (set by .ci/run, which installs them) makes
//! that a failure.

use std::path::PathBuf;
use std::process::Command;

/// Says `test` is skipped because of `why` (and how to get the missing piece), or fails under
/// TIDINGS_REQUIRE_EXTERNAL=1.
pub fn skip(test: &str, why: &str, remedy: &str) {
    assert!(
        std::env::var("TIDINGS_REQUIRE_EXTERNAL").as_deref() != Ok("1"),
        "{test}: {why} and TIDINGS_REQUIRE_EXTERNAL=1"
    );
    eprintln!("SKIPPED: {test}: {why}, {remedy} or run .ci/run");
}

/// True when `program version_argument` runs; otherwise skips `test`.
pub fn available(program: &str, version_argument: &str, test: &str) -> bool {
    let found = Command::new(program)
        .arg(version_argument)
        .output()
        .is_ok_and(|output| output.status.success());
    if !found {
        skip(
            test,
            &format!("{program} is not installed"),
            &format!("install it (apt-get install -y {program})"),
        );
    }
    found
}

/// The `node_modules` folder holding the npm package `package`: `$TIDINGS_NODE_MODULES` (exported by
/// .ci/run), else `target/npm/node_modules` of this checkout. `None` (after skipping `test`) when node or
/// the package is missing.
pub fn node_modules_with(package: &str, test: &str) -> Option<PathBuf> {
    if !available("node", "--version", test) {
        return None;
    }
    let folder = std::env::var_os("TIDINGS_NODE_MODULES").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/npm/node_modules"),
        PathBuf::from,
    );
    let found = Command::new("node")
        .arg("-e")
        .arg(format!("require({package:?})"))
        .env("NODE_PATH", &folder)
        .output()
        .is_ok_and(|output| output.status.success());
    if !found {
        skip(
            test,
            &format!("the npm package {package} is not in {}", folder.display()),
            &format!(
                "install it (npm install --prefix target/npm {package}) or point TIDINGS_NODE_MODULES at it"
            ),
        );
    }
    found.then_some(folder)
}

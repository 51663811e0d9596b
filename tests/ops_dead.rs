//! Dead feeds: failing without a break for longer than `dead_after` → shown `dead`, polled once a day,
//! warned about on each of those polls; never dropped.

use serde_json::Value;

use crate::support::server::{FixtureServer, Route};
use crate::support::workspace::{Workspace, config_with, feed_entry, stderr, stdout};

#[test]
fn feed_failing_past_dead_after_is_dead_polled_daily_and_warned() {
    let server = FixtureServer::start();
    server.route("/feed", Route::status(500));
    let workspace = Workspace::new();
    workspace.write_config(&config_with(&feed_entry("gone", &server.url("/feed"), "")));
    let first = workspace.run(&["once"]);
    assert!(stderr(&first).contains("feed failed"), "{}", stderr(&first));
    assert!(!stderr(&first).contains("feed is dead"));

    // Eight days of failures, as the database would have them (default dead_after = 7 days).
    let connection = rusqlite::Connection::open(workspace.path().join("tidings.db")).expect("db");
    let eight_days_ago = (chrono::Utc::now() - chrono::TimeDelta::days(8)).to_rfc3339();
    connection
        .execute("UPDATE feeds SET failing_since = ?1", [&eight_days_ago])
        .expect("backdate");
    drop(connection);

    let report: Value = serde_json::from_str(&stdout(&workspace.run(&["status", "--json"]))).expect("json");
    assert_eq!(report["feeds"][0]["result"], "dead");
    assert_eq!(report["totals"]["results"]["dead"], 1);

    let second = workspace.run(&["once"]);
    assert_eq!(second.status.code(), Some(1));
    assert!(stderr(&second).contains("feed is dead"), "{}", stderr(&second));
    assert_eq!(server.hits("/feed"), 2);
    let report: Value = serde_json::from_str(&stdout(&workspace.run(&["status", "--json"]))).expect("json");
    let feed = &report["feeds"][0];
    assert_eq!(feed["result"], "dead");
    assert_eq!(feed["consecutive_failures"], 2);
    let next =
        chrono::DateTime::parse_from_rfc3339(feed["next_poll"].as_str().expect("next poll")).expect("time");
    assert!(
        next > chrono::Utc::now() + chrono::TimeDelta::hours(23),
        "a dead feed is polled once a day, not at {next}"
    );
    let table = stdout(&workspace.run(&["status"]));
    assert!(table.contains("dead ×2"), "{table}");

    // It answers again: healthy at once.
    server.route(
        "/feed",
        Route::ok("application/rss+xml", crate::support::pages::rss(&[])),
    );
    workspace.run(&["once"]);
    let report: Value = serde_json::from_str(&stdout(&workspace.run(&["status", "--json"]))).expect("json");
    assert_ne!(report["feeds"][0]["result"], "dead");
    assert_eq!(report["feeds"][0]["consecutive_failures"], 0);
}

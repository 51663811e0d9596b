//! `tidings status [--json]` against the real binary: the contract fields, read-only behaviour, and the
//! regressions of issue 12 (articles count reset by an unchanged poll, URL named three times).

use serde_json::Value;

use crate::support::news_site;
use crate::support::server::{FixtureServer, Route};
use crate::support::workspace::{Workspace, config_with, feed_entry, stderr, stdout};

fn status_json(workspace: &Workspace) -> Value {
    let output = workspace.run(&["status", "--json"]);
    assert_eq!(output.status.code(), Some(0), "stderr:\n{}", stderr(&output));
    serde_json::from_str(&stdout(&output)).unwrap_or_else(|error| panic!("{error}:\n{}", stdout(&output)))
}

fn feed<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["feeds"]
        .as_array()
        .and_then(|feeds| feeds.iter().find(|feed| feed["name"] == name))
        .unwrap_or_else(|| panic!("no feed {name} in {report:#}"))
}

fn is_rfc3339(value: &Value) -> bool {
    value
        .as_str()
        .is_some_and(|text| chrono::DateTime::parse_from_rfc3339(text).is_ok())
}

#[test]
fn status_without_a_database_says_so_and_creates_nothing() {
    let workspace = Workspace::new();
    workspace.write_config(&config_with(&feed_entry("a", "http://127.0.0.1:9/feed", "")));
    for args in [&["status"][..], &["status", "--json"], &["articles"]] {
        let output = workspace.run(args);
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        assert!(
            stderr(&output).contains("no database yet"),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(stdout(&output).is_empty(), "{args:?}");
    }
    let leftovers: Vec<_> = std::fs::read_dir(workspace.path())
        .expect("list")
        .filter_map(Result::ok)
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name != "feeds.toml")
        .collect();
    assert!(leftovers.is_empty(), "status created {leftovers:?}");
}

#[test]
fn status_does_not_migrate_an_older_database() {
    let workspace = Workspace::new();
    workspace.write_config(&config_with(""));
    let database = workspace.path().join("tidings.db");
    let connection = rusqlite::Connection::open(&database).expect("create db");
    connection
        .execute_batch("CREATE TABLE feeds (name TEXT); PRAGMA user_version = 1;")
        .expect("old schema");
    drop(connection);
    let output = workspace.run(&["status"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("upgrades it"), "{}", stderr(&output));
    let connection = rusqlite::Connection::open(&database).expect("reopen");
    let version: i64 = connection
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .expect("version");
    assert_eq!(version, 1, "status migrated the database");
}

#[test]
fn status_json_has_every_contract_field_and_totals() {
    let server = FixtureServer::start();
    news_site::serve(
        &server,
        "/feed",
        &[("/a", "Alpha arrives", "alpha"), ("/b", "Beta begins", "beta")],
    );
    server.route("/broken", Route::status(500));
    let workspace = Workspace::new();
    workspace.write_config(&config_with(&format!(
        "{}{}{}",
        feed_entry("news", &server.url("/feed"), ""),
        feed_entry("broken", &server.url("/broken"), ""),
        feed_entry("paused", &server.url("/feed"), "enabled = false"),
    )));
    assert_eq!(workspace.run(&["once"]).status.code(), Some(1));

    let report = status_json(&workspace);
    let news = feed(&report, "news");
    let fields = [
        "name",
        "url",
        "result",
        "last_poll",
        "last_success",
        "next_poll",
        "articles_total",
        "articles_24h",
        "consecutive_failures",
        "skipped",
        "pending_failures",
        "last_error",
        "leased_by",
    ];
    let keys: Vec<&str> = news
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys.len(), fields.len(), "{keys:?}");
    for field in fields {
        assert!(news.get(field).is_some(), "missing {field}: {news:#}");
    }
    assert_eq!(news["result"], "ok");
    assert_eq!(news["url"], server.url("/feed"));
    assert_eq!(news["articles_total"], 2);
    assert_eq!(news["articles_24h"], 2);
    assert_eq!(news["consecutive_failures"], 0);
    assert_eq!(news["pending_failures"], 0);
    assert_eq!(news["last_error"], Value::Null);
    for time in ["last_poll", "last_success", "next_poll"] {
        assert!(is_rfc3339(&news[time]), "{time}: {}", news[time]);
    }

    let broken = feed(&report, "broken");
    assert_eq!(broken["result"], "failed");
    assert_eq!(broken["consecutive_failures"], 1);
    assert_eq!(broken["last_success"], Value::Null);
    assert!(is_rfc3339(&broken["next_poll"]));

    let paused = feed(&report, "paused");
    assert_eq!(paused["result"], "disabled");
    assert_eq!(paused["last_poll"], Value::Null);
    assert_eq!(paused["next_poll"], Value::Null);

    let totals = &report["totals"];
    assert_eq!(totals["feeds"], 3);
    assert_eq!(totals["articles_total"], 2);
    assert_eq!(totals["articles_24h"], 2);
    assert_eq!(totals["results"]["ok"], 1);
    assert_eq!(totals["results"]["failed"], 1);
    assert_eq!(totals["results"]["disabled"], 1);
}

#[test]
fn status_articles_total_survives_an_unchanged_poll() {
    let server = FixtureServer::start();
    news_site::serve(
        &server,
        "/feed",
        &[("/a", "Alpha arrives", "alpha"), ("/b", "Beta begins", "beta")],
    );
    let workspace = Workspace::new();
    workspace.write_config(&config_with(&feed_entry("news", &server.url("/feed"), "")));
    assert_eq!(workspace.run(&["once"]).status.code(), Some(0));
    assert_eq!(workspace.run(&["once"]).status.code(), Some(0));

    let report = status_json(&workspace);
    let news = feed(&report, "news");
    assert_eq!(news["result"], "not-modified");
    assert_eq!(news["articles_total"], 2, "{news:#}");
    assert_eq!(news["articles_24h"], 2, "{news:#}");

    let table = stdout(&workspace.run(&["status"]));
    let row = table
        .lines()
        .find(|line| line.starts_with("news "))
        .unwrap_or_else(|| panic!("no row:\n{table}"));
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert!(cells.contains(&"not-modified"), "{row}");
    assert!(
        table.contains("total: 1 feeds (1 not-modified), 2 articles, 2 in 24h"),
        "{table}"
    );
}

#[test]
fn status_last_error_names_the_url_once_with_credentials_redacted() {
    let server = FixtureServer::start();
    server.route("/private", Route::status(503));
    let secret_url = server
        .url("/private?token=s3cr3t&page=1")
        .replace("http://", "http://reader:hunter2@");
    let workspace = Workspace::new();
    workspace.write_config(&config_with(&feed_entry("private", &secret_url, "")));
    assert_eq!(workspace.run(&["once"]).status.code(), Some(1));

    let table = stdout(&workspace.run(&["status"]));
    assert!(!table.contains("hunter2") && !table.contains("s3cr3t"), "{table}");
    let report = status_json(&workspace);
    let private = feed(&report, "private");
    let error = private["last_error"].as_str().expect("an error");
    assert!(!error.contains('\n'), "{error}");
    assert!(!error.contains("hunter2") && !error.contains("s3cr3t"), "{error}");
    let shown = server
        .url("/private?token=***&page=1")
        .replace("http://", "http://***@");
    assert_eq!(error.matches("127.0.0.1").count(), 1, "{error}");
    assert!(error.starts_with(&shown), "{error}");
    assert!(error.contains("503"), "{error}");
    assert_eq!(private["url"], shown);
}

#[test]
fn status_counts_pending_item_failures() {
    let server = FixtureServer::start();
    news_site::serve(&server, "/feed", &[("/a", "Alpha arrives", "alpha")]);
    server.route("/gone", Route::status(500));
    server.route(
        "/feed",
        Route::ok(
            "application/rss+xml",
            crate::support::pages::rss(&[
                ("Alpha arrives".into(), server.url("/a")),
                ("Gone soon".into(), server.url("/gone")),
            ]),
        ),
    );
    let workspace = Workspace::new();
    workspace.write_config(&config_with(&feed_entry("news", &server.url("/feed"), "")));
    workspace.run(&["once"]);
    let report = status_json(&workspace);
    let news = feed(&report, "news");
    assert_eq!(news["pending_failures"], 1, "{news:#}");
    assert_eq!(news["articles_total"], 1);
    assert_eq!(report["totals"]["pending_failures"], 1);
}

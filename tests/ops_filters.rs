//! Keep/block filters in `[settings]` and per feed, before the page fetch (feed text decides) and after
//! extraction (body decides); a filtered item is recorded, never fetched again, and counted by `status`.

use serde_json::Value;

use crate::support::news_site;
use crate::support::pages::rss;
use crate::support::server::{FixtureServer, Route};
use crate::support::workspace::{Workspace, config_with, feed_entry, stderr, stdout};

fn skipped(workspace: &Workspace) -> Value {
    let report: Value = serde_json::from_str(&stdout(&workspace.run(&["status", "--json"]))).expect("json");
    report["feeds"][0]["skipped"].clone()
}

/// The feed changes (one more item), so the next poll reads every item again.
fn add_item(server: &FixtureServer, items: &mut Vec<(String, String)>, title: &str, path: &str) {
    news_site::serve(server, "/unused", &[(path, title, "extra")]);
    items.push((title.into(), server.url(path)));
    server.route("/feed", Route::ok("application/rss+xml", rss(items)));
}

#[test]
fn filter_block_on_feed_title_rejects_before_the_page_fetch_and_never_refetches() {
    let server = FixtureServer::start();
    news_site::serve(
        &server,
        "/feed",
        &[
            ("/ad", "Sponsored: buy our widget", "widget"),
            ("/news", "Council approves budget", "budget"),
        ],
    );
    let workspace = Workspace::new();
    workspace.write_config(&config_with(&feed_entry(
        "news",
        &server.url("/feed"),
        "block = [\"(?i)^sponsored\"]",
    )));
    let output = workspace.run(&["once"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("item filtered out"),
        "{}",
        stderr(&output)
    );
    let names: Vec<String> = workspace.articles().into_iter().map(|(name, _)| name).collect();
    assert_eq!(names, ["2025-09-27-council-approves-budget.md"]);
    assert_eq!(server.hits("/ad"), 0, "the feed's title decided: no page fetch");
    assert_eq!(skipped(&workspace), 1);

    let mut items = vec![
        ("Sponsored: buy our widget".to_string(), server.url("/ad")),
        ("Council approves budget".to_string(), server.url("/news")),
    ];
    add_item(&server, &mut items, "Bridge reopens", "/bridge");
    assert_eq!(workspace.run(&["once"]).status.code(), Some(0));
    assert_eq!(server.hits("/ad"), 0);
    assert_eq!(workspace.articles().len(), 2);
    assert_eq!(skipped(&workspace), 1, "recorded once, not counted again");
}

#[test]
fn filter_keep_is_decided_by_the_body_after_extraction() {
    let server = FixtureServer::start();
    // Neither title mentions telescopes; only one article's body does.
    news_site::serve(
        &server,
        "/feed",
        &[
            ("/sky", "A night to remember", "telescope"),
            ("/sea", "Waves of change", "harbour"),
        ],
    );
    let workspace = Workspace::new();
    workspace.write_config(&config_with(&feed_entry(
        "science",
        &server.url("/feed"),
        "keep = [\"(?i)telescope\"]",
    )));
    assert_eq!(workspace.run(&["once"]).status.code(), Some(0));
    let names: Vec<String> = workspace.articles().into_iter().map(|(name, _)| name).collect();
    assert_eq!(names, ["2025-09-27-a-night-to-remember.md"]);
    assert_eq!((server.hits("/sky"), server.hits("/sea")), (1, 1));
    assert_eq!(skipped(&workspace), 1);

    let mut items = vec![
        ("A night to remember".to_string(), server.url("/sky")),
        ("Waves of change".to_string(), server.url("/sea")),
    ];
    add_item(&server, &mut items, "Telescope upgrade", "/upgrade");
    assert_eq!(workspace.run(&["once"]).status.code(), Some(0));
    assert_eq!(server.hits("/sea"), 1, "a filtered item is not fetched again");
    assert_eq!(server.hits("/upgrade"), 1, "kept by its title, fetched once");
    assert_eq!(workspace.articles().len(), 2);
}

#[test]
fn filter_settings_block_applies_to_the_body_of_every_feed() {
    let server = FixtureServer::start();
    news_site::serve(
        &server,
        "/feed",
        &[
            ("/dry", "Farm report", "drought"),
            ("/wet", "Town report", "festival"),
        ],
    );
    let workspace = Workspace::new();
    let config = config_with(&feed_entry("farm", &server.url("/feed"), "")).replacen(
        "[settings]\n",
        "[settings]\nblock = [\"(?i)drought\"]\n",
        1,
    );
    workspace.write_config(&config);
    assert_eq!(workspace.run(&["once"]).status.code(), Some(0));
    let names: Vec<String> = workspace.articles().into_iter().map(|(name, _)| name).collect();
    assert_eq!(names, ["2025-09-27-town-report.md"]);
    assert_eq!(skipped(&workspace), 1);
}

#[test]
fn filter_invalid_pattern_is_a_config_error_at_its_position() {
    let workspace = Workspace::new();
    workspace.write_config(
        "[settings]\nblock = [\"ok\", \"(unclosed\"]\n\n[[feeds]]\nname = \"a\"\nurl = \"https://example.com/feed\"\nkeep = [\"[z-a]\"]\n",
    );
    let output = workspace.run(&["check"]);
    assert_eq!(output.status.code(), Some(2));
    let errors = stderr(&output);
    assert!(
        errors.contains("feeds.toml:2:16: invalid regular expression \"(unclosed\""),
        "{errors}"
    );
    assert!(
        errors.contains("feeds.toml:7:9: invalid regular expression \"[z-a]\""),
        "{errors}"
    );
}

//! `tidings articles [--feed F] [--since DATE] [--search TEXT] [--json]` against the real binary.

use serde_json::Value;

use crate::support::news_site;
use crate::support::server::FixtureServer;
use crate::support::workspace::{Workspace, config_with, feed_entry, stderr, stdout};

/// Two feeds, three articles: "news" stores two, then "science" one (so it is the newest).
fn stored_workspace() -> (FixtureServer, Workspace) {
    let server = FixtureServer::start();
    news_site::serve(
        &server,
        "/news",
        &[
            ("/a", "Harbour bridge reopens", "harbour"),
            ("/b", "Budget vote delayed", "budget"),
        ],
    );
    news_site::serve(&server, "/science", &[("/c", "Comet passes Earth", "comet")]);
    let workspace = Workspace::new();
    workspace.write_config(&config_with(&format!(
        "{}{}",
        feed_entry("news", &server.url("/news"), ""),
        feed_entry("science", &server.url("/science"), "")
    )));
    assert_eq!(workspace.run(&["once", "--feed", "news"]).status.code(), Some(0));
    assert_eq!(
        workspace.run(&["once", "--feed", "science"]).status.code(),
        Some(0)
    );
    (server, workspace)
}

fn listed(workspace: &Workspace, args: &[&str]) -> Vec<Value> {
    let mut full = vec!["articles", "--json"];
    full.extend_from_slice(args);
    let output = workspace.run(&full);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report: Value = serde_json::from_str(&stdout(&output)).expect("json");
    report["articles"].as_array().expect("array").clone()
}

fn titles(articles: &[Value]) -> Vec<&str> {
    articles
        .iter()
        .map(|article| article["title"].as_str().unwrap_or(""))
        .collect()
}

#[test]
fn articles_lists_newest_first_with_existing_file_paths() {
    let (server, workspace) = stored_workspace();
    let articles = listed(&workspace, &[]);
    assert_eq!(articles.len(), 3);
    assert_eq!(articles[0]["title"], "Comet passes Earth");
    assert_eq!(articles[0]["feed"], "science");
    assert_eq!(articles[0]["url"], server.url("/c"));
    for article in &articles {
        let path = article["path"].as_str().expect("path");
        assert!(std::path::Path::new(path).is_file(), "{path} missing");
        assert!(chrono::DateTime::parse_from_rfc3339(article["stored_at"].as_str().unwrap_or("")).is_ok());
    }

    let table = stdout(&workspace.run(&["articles"]));
    let first_row = table.lines().nth(1).unwrap_or_default();
    assert!(first_row.contains("Comet passes Earth"), "{table}");
    assert!(first_row.contains("comet-passes-earth.md"), "{table}");
    assert!(table.trim_end().ends_with("3 articles"), "{table}");
}

#[test]
fn articles_filters_by_feed_and_since() {
    let (_server, workspace) = stored_workspace();
    let news = listed(&workspace, &["--feed", "news"]);
    let mut news_titles = titles(&news);
    news_titles.sort_unstable();
    assert_eq!(news_titles, ["Budget vote delayed", "Harbour bridge reopens"]);
    assert!(listed(&workspace, &["--since", "1h"]).len() == 3);
    assert!(listed(&workspace, &["--since", "2999-01-01"]).is_empty());
    assert_eq!(listed(&workspace, &["--since", "2000-01-01T00:00:00Z"]).len(), 3);

    let output = workspace.run(&["articles", "--since", "last tuesday"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--since"), "{}", stderr(&output));
}

#[test]
fn articles_search_matches_title_and_body_words() {
    let (_server, workspace) = stored_workspace();
    assert_eq!(
        titles(&listed(&workspace, &["--search", "comet"])),
        ["Comet passes Earth"]
    );
    // Only in the body: the fixture paragraphs mention "skilled engineers" for every topic.
    assert_eq!(listed(&workspace, &["--search", "skilled engineers"]).len(), 3);
    assert_eq!(
        titles(&listed(&workspace, &["--search", "budget consultation"])),
        ["Budget vote delayed"]
    );
    // Query syntax in the text is plain text, not an FTS5 error.
    assert_eq!(
        titles(&listed(&workspace, &["--search", "harbour- \"bridge:"])),
        ["Harbour bridge reopens"]
    );
    assert_eq!(
        titles(&listed(&workspace, &["--search", "harbour", "--feed", "science"])),
        Vec::<&str>::new()
    );
}

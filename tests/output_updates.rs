//! `on_update`: an article whose feed item says it changed is left alone (`keep`, the default) or rewritten
//! in place with an `updated` field (`rewrite`), through the real binary against a loopback site.

use chrono::{SecondsFormat, TimeDelta, Utc};

use crate::support::pages::{article_page, paragraphs};
use crate::support::server::{FixtureServer, Route};
use crate::support::workspace::{Workspace, config_with, feed_entry, front_matter, stderr};

fn atom(server: &FixtureServer, updated: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Harbour news</title><id>urn:harbour</id><updated>{updated}</updated>
<entry><title>Harbour bridge reopens</title><id>urn:harbour:1</id><link href="{link}"/>
<published>2025-09-27T09:30:00-07:00</published><updated>{updated}</updated></entry>
</feed>"#,
        link = server.url("/story")
    )
}

fn serve(server: &FixtureServer, updated: &str, topic: &str) {
    let paragraphs = paragraphs(topic);
    let paragraphs: Vec<&str> = paragraphs.iter().map(String::as_str).collect();
    server.route(
        "/story",
        Route::ok(
            "text/html",
            article_page(
                "Harbour bridge reopens",
                "Jane Doe",
                "2025-09-27T09:30:00-07:00",
                &paragraphs,
            ),
        ),
    );
    server.route("/feed", Route::ok("application/atom+xml", atom(server, updated)));
}

/// An `updated` time newer than anything stored so far (feed times have whole seconds, ours fractions).
fn after_now() -> String {
    (Utc::now() + TimeDelta::seconds(1)).to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn once(workspace: &Workspace) {
    workspace.run_ok(&["once"]);
}

fn workspace_with(server: &FixtureServer, on_update: &str) -> Workspace {
    let workspace = Workspace::new();
    workspace.write_config(&config_with(&feed_entry("harbour", &server.url("/feed"), "")));
    workspace.add_settings(on_update);
    workspace
}

#[test]
fn changed_item_is_kept_by_default_and_rewritten_in_place_with_rewrite() {
    let server = FixtureServer::start();
    serve(&server, "2025-09-27T10:00:00Z", "bridge");
    let keep = workspace_with(&server, "");
    let rewrite = workspace_with(&server, "on_update = \"rewrite\"\n");
    once(&keep);
    once(&rewrite);
    let first_keep = keep.articles();
    let first_rewrite = rewrite.articles();
    assert_eq!(first_keep.len(), 1);
    assert_eq!(first_rewrite, first_keep, "both write the same file first");
    let (name, first_text) = first_rewrite[0].clone();
    assert!(first_text.contains("The bridge story began"), "{first_text}");
    assert!(!first_text.contains("updated:"), "{first_text}");
    let page_hits = server.hits("/story");

    // The publisher edits the story and says so in the feed.
    let updated = after_now();
    serve(&server, &updated, "ferry");
    once(&keep);
    once(&rewrite);
    assert_eq!(keep.articles(), first_keep, "keep leaves the file byte-identical");
    let rewritten = rewrite.articles();
    assert_eq!(rewritten.len(), 1, "{rewritten:?}");
    assert_eq!(rewritten[0].0, name, "rewritten under the same name");
    let (yaml, body) = front_matter(&rewritten[0].1);
    assert_eq!(yaml["title"], "Harbour bridge reopens");
    assert_eq!(
        yaml["updated"],
        updated.replace('Z', "+00:00"),
        "{}",
        rewritten[0].1
    );
    assert!(body.contains("The ferry story began"), "{body}");
    assert!(!body.contains("The bridge story began"), "{body}");
    assert_eq!(
        server.hits("/story"),
        page_hits + 1,
        "only rewrite reads the page again"
    );
    let stored: String = rusqlite::Connection::open(rewrite.path().join("tidings.db"))
        .expect("db")
        .query_row("SELECT body FROM articles", [], |row| row.get(0))
        .expect("row");
    assert!(stored.contains("The ferry story began"), "the row is updated");

    // Nothing changed since: no further page request, the file stays; `rebuild` keeps the `updated` field.
    once(&rewrite);
    assert_eq!(server.hits("/story"), page_hits + 1);
    assert_eq!(rewrite.articles(), rewritten);
    let rebuilt = rewrite.run(&["rebuild"]);
    assert_eq!(rebuilt.status.code(), Some(0), "{}", stderr(&rebuilt));
    assert_eq!(rewrite.articles(), rewritten, "rebuild renders the same file");
}

#[test]
fn newer_updated_time_with_the_same_text_leaves_the_file_alone() {
    let server = FixtureServer::start();
    serve(&server, "2025-09-27T10:00:00Z", "bridge");
    let rewrite = workspace_with(&server, "on_update = \"rewrite\"\n");
    once(&rewrite);
    let first = rewrite.articles();
    let updated = after_now();
    serve(&server, &updated, "bridge");
    once(&rewrite);
    assert_eq!(
        rewrite.articles(),
        first,
        "same text: no rewrite, no updated field"
    );
    let hits = server.hits("/story");
    once(&rewrite);
    assert_eq!(server.hits("/story"), hits, "the checked time is remembered");
}

#[test]
fn on_update_takes_only_its_two_words() {
    let error = tidings::config::parse(
        "[settings]\non_update = \"replace\"\n",
        std::path::Path::new("feeds.toml"),
    )
    .expect_err("unknown word");
    assert_eq!(
        error.to_string(),
        "feeds.toml:2:13: on_update must be \"keep\" or \"rewrite\", not \"replace\""
    );
}

//! `tidings add URL [--name N] [--dry-run]` on a loopback site: discovery from a page's
//! `<link rel="alternate">` and the usual paths, and feeds.toml kept byte for byte outside the added table.

use crate::support::pages::rss;
use crate::support::server::{FixtureServer, Route};
use crate::support::workspace::{Workspace, stderr, stdout};

const CONFIG: &str = "# My feeds — hand-written, keep my comments!\n[settings]\nschedule   =   \"*/30 * * * *\"   # aligned on purpose\n\n# the one I read first\n[[feeds]]\nname = \"first\"   # short name\nurl  = \"https://example.com/feed\"\n\n# trailing comment, no newline at the end";

fn site(server: &FixtureServer) {
    server.route(
        "/",
        Route::ok(
            "text/html; charset=utf-8",
            "<!doctype html><html><head><title>Home</title><link rel=\"alternate\" type=\"application/rss+xml\" title=\"News\" href=\"/news.xml\"></head><body>Hello</body></html>",
        ),
    );
    server.route(
        "/news.xml",
        Route::ok(
            "application/rss+xml",
            rss(&[
                ("Older story".into(), server.url("/older")),
                ("Newest story".into(), server.url("/newest")),
            ]),
        ),
    );
}

#[test]
fn add_discovers_the_feed_linked_from_a_page_and_keeps_comments_byte_for_byte() {
    let server = FixtureServer::start();
    site(&server);
    let workspace = Workspace::new();
    workspace.write_config(CONFIG);

    let output = workspace.run(&["add", &server.url("/"), "--dry-run"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let shown = stdout(&output);
    assert!(
        shown.contains(&format!("feed:  {}", server.url("/news.xml"))),
        "{shown}"
    );
    assert!(shown.contains("title: Fixture"), "{shown}");
    assert!(
        shown.contains("Newest story") && shown.contains("items: 2"),
        "{shown}"
    );
    assert!(shown.contains("would append"), "{shown}");
    assert_eq!(
        std::fs::read_to_string(workspace.config_path()).expect("read"),
        CONFIG
    );

    let output = workspace.run(&["add", &server.url("/"), "--name", "local news"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let updated = std::fs::read_to_string(workspace.config_path()).expect("read");
    assert!(
        updated.starts_with(CONFIG),
        "the existing text changed:\n{updated}"
    );
    let added = &updated[CONFIG.len()..];
    assert_eq!(
        added,
        format!(
            "\n\n[[feeds]]\nname = \"local news\"\nurl = \"{}\"\n",
            server.url("/news.xml")
        )
    );
    assert_eq!(workspace.run(&["check"]).status.code(), Some(0));

    let again = workspace.run(&["add", &server.url("/news.xml")]);
    assert_eq!(again.status.code(), Some(2));
    assert!(stderr(&again).contains("already polls"), "{}", stderr(&again));
    assert_eq!(
        std::fs::read_to_string(workspace.config_path()).expect("read"),
        updated
    );
}

#[test]
fn add_tries_the_usual_paths_and_names_the_feed_from_its_title() {
    let server = FixtureServer::start();
    server.route(
        "/blog",
        Route::ok("text/html", "<html><head></head><body>no links</body></html>"),
    );
    server.route(
        "/feed.json",
        Route::ok(
            "application/feed+json",
            format!(
                r#"{{"version":"https://jsonfeed.org/version/1.1","title":"Tiny Blog","items":[{{"id":"1","url":"{}","title":"Hi"}}]}}"#,
                server.url("/hi")
            ),
        ),
    );
    let workspace = Workspace::new();
    workspace.write_config("");
    let output = workspace.run(&["add", &server.url("/blog")]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let updated = std::fs::read_to_string(workspace.config_path()).expect("read");
    assert_eq!(
        updated,
        format!(
            "[[feeds]]\nname = \"tiny-blog\"\nurl = \"{}\"\n",
            server.url("/feed.json")
        )
    );
    for path in ["/feed", "/rss.xml", "/atom.xml", "/index.xml"] {
        assert_eq!(server.hits(path), 1, "{path} tried first");
    }
}

#[test]
fn add_without_a_feed_fails_and_changes_nothing() {
    let server = FixtureServer::start();
    server.route(
        "/plain",
        Route::ok("text/html", "<html><body>nothing</body></html>"),
    );
    let workspace = Workspace::new();
    workspace.write_config(CONFIG);
    let output = workspace.run(&["add", &server.url("/plain")]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("not a feed"), "{}", stderr(&output));
    assert_eq!(
        std::fs::read_to_string(workspace.config_path()).expect("read"),
        CONFIG
    );
    assert_eq!(
        workspace.run(&["add", "ftp://example.com/"]).status.code(),
        Some(2)
    );
}

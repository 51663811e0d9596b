//! Issue 7, "every input is hostile": one regression test per row of the table that the fetch,
//! schedule, pipeline, config and unit own, each against the real binary, a real SQLite file and loopback
//! servers that count requests. (Deep-nesting rows live in tests/hostile_pages.rs, the JSON Feed row in
//! tests/feeds.rs.)

use chrono::{DateTime, DurationRound, TimeDelta, Timelike, Utc};

use crate::daemon::serve_story;
use crate::support::pages::{rss, xml_escape};
use crate::support::server::{FixtureServer, Route};
use crate::support::workspace::{Workspace, config_with, feed_entry, stderr, stdout};

const RSS: &str = "application/rss+xml";

fn database(workspace: &Workspace) -> rusqlite::Connection {
    rusqlite::Connection::open(workspace.path().join("tidings.db")).expect("open db")
}

fn next_poll_of(workspace: &Workspace, feed: &str) -> DateTime<Utc> {
    let text: String = database(workspace)
        .query_row("SELECT next_poll_at FROM feeds WHERE name = ?1", [feed], |row| {
            row.get(0)
        })
        .unwrap_or_else(|error| panic!("{feed}: no next poll stored: {error}"));
    DateTime::parse_from_rfc3339(&text)
        .expect("stored time")
        .with_timezone(&Utc)
}

/// Row "`Cache-Control: max-age=99999999999999`, or such a `Retry-After` on 429/503, or a far `Expires`":
/// no panic, every feed is in the summary, and each is due again within the documented week.
#[test]
fn far_cache_and_retry_headers_keep_a_sane_schedule() {
    let server = FixtureServer::start();
    let feed = |path: &str| rss(&[("Story".into(), server.url(&format!("{path}-story")))]);
    serve_story(&server, "/max-age-story", "Max age story");
    serve_story(&server, "/expires-story", "Expires story");
    serve_story(&server, "/ttl-story", "Ttl story");
    server.route(
        "/max-age",
        Route::ok(RSS, feed("/max-age")).header("cache-control", "max-age=99999999999999"),
    );
    server.route(
        "/expires",
        Route::ok(RSS, feed("/expires")).header("expires", "Fri, 31 Dec 9999 23:59:59 GMT"),
    );
    server.route(
        "/ttl",
        Route::ok(
            RSS,
            feed("/ttl").replace(
                "<description>d</description>",
                "<description>d</description><ttl>4294967295</ttl>",
            ),
        ),
    );
    server.route(
        "/retry-503",
        Route::status(503).header("retry-after", "99999999999999"),
    );
    // A 429 cools its whole host down, so it gets a host of its own.
    let cooling = FixtureServer::start();
    cooling.route(
        "/retry-429",
        Route::status(429).header("retry-after", "Fri, 31 Dec 9999 23:59:59 GMT"),
    );
    let names = ["max-age", "expires", "ttl", "retry-503", "retry-429"];
    let workspace = Workspace::new();
    let feeds: String = names
        .iter()
        .map(|name| {
            let host = if *name == "retry-429" { &cooling } else { &server };
            feed_entry(name, &host.url(&format!("/{name}")), "")
        })
        .collect();
    workspace.write_config(&config_with(&feeds));

    let started = Utc::now();
    let output = workspace.run(&["once"]);
    let log = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "two feeds failed:\n{log}");
    assert!(!log.contains("panicked"), "{log}");
    let summary = stdout(&output);
    for name in names {
        assert!(
            summary.contains(name),
            "{name} missing from the summary:\n{summary}"
        );
        let next = next_poll_of(&workspace, name);
        // A week of server hint, then the next quarter-hour tick.
        let latest = started + TimeDelta::days(7) + TimeDelta::minutes(16);
        assert!(next > started && next <= latest, "{name}: next poll {next}");
    }
    assert!(summary.contains("3 articles written"), "{summary}");
}

/// Row "a 40 KB page with ~5,000 nested `<span>`…: the item was never recorded, so every restart fetches it
/// again": an extraction the process died in (stack overflow, OOM kill) is left marked in the database; the
/// next start marks the item failed for good and never fetches it again.
#[test]
fn page_the_process_died_extracting_is_marked_failed_not_rerun() {
    let server = FixtureServer::start();
    serve_story(&server, "/killer", "Killer page");
    serve_story(&server, "/fine", "Fine page");
    server.route(
        "/feed",
        Route::ok(
            RSS,
            rss(&[
                ("Killer page".into(), server.url("/killer")),
                ("Fine page".into(), server.url("/fine")),
            ]),
        ),
    );
    let workspace = Workspace::new();
    // A first run (no feeds yet) creates the database; then the state a process killed inside the extraction
    // leaves. (`status` is read-only and never creates it.)
    workspace.write_config(&config_with(""));
    workspace.run(&["once"]);
    workspace.write_config(&config_with(&feed_entry("f", &server.url("/feed"), "")));
    database(&workspace)
        .execute(
            "INSERT INTO extractions_in_progress (canonical_url, feed, started_at) VALUES (?1, 'f', '2026-01-01T00:00:00Z')",
            [server.url("/killer")],
        )
        .expect("simulate a crash mid-extraction");

    let output = workspace.run(&["once"]);
    let log = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{log}");
    assert!(
        log.contains("stopped while extracting") && log.contains(&server.url("/killer")),
        "the log names the feed and URL:\n{log}"
    );
    assert_eq!(
        server.hits("/killer"),
        0,
        "the page that killed the process is not fetched again"
    );
    assert_eq!(server.hits("/fine"), 1);
    assert_eq!(workspace.articles().len(), 1);
    let leftover: i64 = database(&workspace)
        .query_row("SELECT COUNT(*) FROM extractions_in_progress", [], |row| {
            row.get(0)
        })
        .expect("count");
    assert_eq!(leftover, 0, "a finished extraction leaves no mark");
}

/// Row "item links (or a redirect from an allowed page) to 127.0.0.1, 10.x, 169.254.169.254, [::1]…": the
/// feed is on 127.0.0.1 (its own host stays reachable); a link and a redirect to 127.0.0.2, standing in for
/// an internal host, are never connected to, logged once with the setting that would allow them, and not
/// retried on the next poll.
#[test]
fn item_link_and_redirect_to_internal_address_are_never_connected_to() {
    let server = FixtureServer::start();
    let internal = FixtureServer::start_on("127.0.0.2");
    serve_story(&internal, "/secret", "Internal secret");
    serve_story(&server, "/own", "Own host story");
    server.route("/hop", Route::redirect(&internal.url("/secret")));
    let internal_port = internal.url("").rsplit(':').next().unwrap_or("").to_string();
    server.route(
        "/feed",
        Route::ok(
            RSS,
            rss(&[
                ("Direct".into(), internal.url("/secret")),
                ("Redirected".into(), server.url("/hop")),
                (
                    "Metadata".into(),
                    "http://169.254.169.254/latest/meta-data/".into(),
                ),
                (
                    "Loopback v6".into(),
                    format!("http://[::1]:{internal_port}/secret"),
                ),
                ("Own host story".into(), server.url("/own")),
            ]),
        ),
    );
    let workspace = Workspace::new();
    workspace.write_config(&config_with(&feed_entry("f", &server.url("/feed"), "")));

    let output = workspace.run(&["once"]);
    let log = stderr(&output);
    assert_eq!(
        output.status.code(),
        Some(0),
        "refused items are item failures:\n{log}"
    );
    assert_eq!(
        internal.seen().len(),
        0,
        "the internal host was contacted:\n{log}"
    );
    assert_eq!(server.hits("/hop"), 1, "the allowed first hop is fetched");
    assert_eq!(
        workspace.articles().len(),
        1,
        "only the feed host's own page is written"
    );
    for url in [
        internal.url("/secret"),
        server.url("/hop"),
        "http://169.254.169.254/latest/meta-data/".into(),
    ] {
        let refusals = log
            .lines()
            .filter(|line| line.contains("refused") && line.contains(&url))
            .collect::<Vec<_>>();
        assert_eq!(refusals.len(), 1, "one refusal line for {url}:\n{log}");
        assert!(
            refusals[0].contains("allow_private_addresses = true"),
            "{}",
            refusals[0]
        );
    }

    // The next poll does not try them again.
    let output = workspace.run(&["once"]);
    let log = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{log}");
    assert!(!log.contains("refused"), "refused links are not retried:\n{log}");
    assert_eq!(server.hits("/hop"), 1);
    assert_eq!(internal.seen().len(), 0);
}

/// The admin can lift the guard for one feed.
#[test]
fn allow_private_addresses_lets_a_feed_reach_its_intranet() {
    let server = FixtureServer::start();
    let internal = FixtureServer::start_on("127.0.0.2");
    serve_story(&internal, "/wiki", "Intranet wiki page");
    server.route(
        "/feed",
        Route::ok(RSS, rss(&[("Intranet wiki page".into(), internal.url("/wiki"))])),
    );
    let workspace = Workspace::new();
    workspace.write_config(&config_with(&feed_entry(
        "f",
        &server.url("/feed"),
        "allow_private_addresses = true",
    )));
    let output = workspace.run(&["once"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(internal.hits("/wiki"), 1);
    assert_eq!(workspace.articles().len(), 1);
}

/// Row "`run` and `once` on one database: several polls fail with 'database is locked'": the second writer
/// refuses at once, naming the holder; `check` and `status` still work; once the holder stops, `once` runs.
#[test]
fn second_writer_on_one_database_refuses_naming_the_holder() {
    let server = FixtureServer::start();
    serve_story(&server, "/story", "Only story");
    server.route(
        "/feed",
        Route::ok(RSS, rss(&[("Only story".into(), server.url("/story"))])),
    );
    let workspace = Workspace::new();
    workspace.write_config(&config_with(&feed_entry("f", &server.url("/feed"), "")));
    let mut daemon = crate::daemon::Daemon::start(&workspace);
    daemon.wait_for("feed polled");

    let output = workspace.run(&["once"]);
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{message}");
    assert!(
        message.contains("in use by pid") && message.contains(" run"),
        "the holder's pid and command are named:\n{message}"
    );
    assert!(!message.contains("database is locked"), "{message}");
    assert_eq!(workspace.run(&["check"]).status.code(), Some(0));
    let status = workspace.run(&["status"]);
    assert_eq!(status.status.code(), Some(0), "{}", stderr(&status));
    assert!(stdout(&status).contains('f'), "{}", stdout(&status));

    daemon.signal("TERM");
    assert_eq!(daemon.wait_exit(), Some(0));
    let output = workspace.run(&["once"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

/// (If-None-Match header of each request to `path`, in order.)
fn conditional_headers(server: &FixtureServer, path: &str) -> Vec<Option<String>> {
    server
        .seen()
        .iter()
        .filter(|seen| seen.path == path)
        .map(|seen| seen.headers.get("if-none-match").cloned())
        .collect()
}

/// Row "output folder read-only or full, or deleted, while running: the row commits, the file is missing…
/// only a restart writes it; `once` exits 0. The failure rows are never cleared and disable conditional GET":
/// an unwritable output folder makes `once` exit 1 naming the file; then, while the daemon runs, the next
/// poll (feed unchanged, 304) recreates the vanished folder and writes the file, keeping conditional GET.
#[test]
fn unwritable_then_vanished_output_folder_is_written_on_the_next_poll() {
    let server = FixtureServer::start();
    serve_story(&server, "/story", "Stored but unwritten");
    server.route(
        "/feed",
        Route::ok(RSS, rss(&[("Stored but unwritten".into(), server.url("/story"))])).with_etag("\"v1\""),
    );
    let workspace = Workspace::new();
    workspace.write_config(&config_with(&feed_entry(
        "f",
        &server.url("/feed"),
        "schedule = \"* * * * * *\"",
    )));
    // A file where the folder should be: unwritable even for root, like a read-only or full disk.
    std::fs::write(workspace.output_dir(), "not a folder").expect("block the output folder");

    let output = workspace.run(&["once"]);
    let (log, summary) = (stderr(&output), stdout(&output));
    assert_eq!(
        output.status.code(),
        Some(1),
        "a file not written fails the run:\n{summary}\n{log}"
    );
    assert!(summary.contains("1 files NOT written"), "{summary}");
    assert!(
        log.contains("could not be written") && log.contains(&server.url("/story")),
        "{log}"
    );

    // While the daemon runs (polling every second), the folder stays blocked, then "vanishes": a later poll
    // writes the pending file without a restart.
    let mut daemon = crate::daemon::Daemon::start(&workspace);
    daemon.wait_for("could not be written");
    std::fs::remove_file(workspace.output_dir()).expect("unblock");
    daemon.wait_for("output folder is gone; recreating it");
    daemon.wait_for("pending article file written");
    daemon.signal("TERM");
    assert_eq!(daemon.wait_exit(), Some(0));
    let articles = workspace.articles();
    assert_eq!(articles.len(), 1, "{articles:?}");
    assert!(articles[0].1.contains("Stored but unwritten"));
    assert_eq!(
        server.hits("/story"),
        1,
        "the page is not fetched again: the row was stored"
    );
    let headers = conditional_headers(&server, "/feed");
    assert!(
        headers.len() >= 2
            && headers[1..]
                .iter()
                .all(|header| header.as_deref() == Some("\"v1\"")),
        "a pending file does not turn conditional GET off: {headers:?}"
    );
}

/// The failure record of an item the feed no longer lists is cleared, so conditional GET comes back.
#[test]
fn failure_of_an_item_the_feed_dropped_is_cleared_and_conditional_get_returns() {
    let server = FixtureServer::start();
    serve_story(&server, "/kept", "Kept story");
    let feed = |items: &[(String, String)], etag: &str| Route::ok(RSS, rss(items)).with_etag(etag);
    let kept = ("Kept story".to_string(), server.url("/kept"));
    let broken = ("Broken story".to_string(), server.url("/broken"));
    server.route("/feed", feed(&[kept.clone(), broken], "\"v1\""));
    let workspace = Workspace::new();
    workspace.write_config(&config_with(&feed_entry("f", &server.url("/feed"), "")));

    assert_eq!(workspace.run(&["once"]).status.code(), Some(0));
    server.route("/feed", feed(&[kept], "\"v2\""));
    assert_eq!(workspace.run(&["once"]).status.code(), Some(0));
    assert_eq!(workspace.run(&["once"]).status.code(), Some(0));
    assert_eq!(
        conditional_headers(&server, "/feed"),
        [None, None, Some("\"v2\"".to_string())],
        "full fetch while the failed item is listed, conditional once it is dropped"
    );
    let failures: i64 = database(&workspace)
        .query_row("SELECT COUNT(*) FROM item_failures", [], |row| row.get(0))
        .expect("count");
    assert_eq!(failures, 0);
}

/// An RSS item with its own full content, published `day` days into September 2025.
fn content_item(title: &str, link: &str, day: u32, body_html: &str) -> String {
    format!(
        "<item><title>{}</title><link>{}</link><pubDate>{day:02} Sep 2025 10:00:00 +0000</pubDate><content:encoded><![CDATA[{body_html}]]></content:encoded></item>",
        xml_escape(title),
        xml_escape(link)
    )
}

fn content_feed(items: &str) -> String {
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\"><channel><title>F</title><link>http://x/</link><description>d</description>{items}</channel></rss>"
    )
}

/// Row "a feed with 100,000 items: 100,000 files in one poll": one poll processes at most
/// `max_items_per_poll` new items, the newest first; the backlog drains over later polls (the feed's body
/// is unchanged, yet it is fetched in full until the backlog is gone).
#[test]
fn feed_with_a_flood_of_items_drains_newest_first_over_several_polls() {
    let server = FixtureServer::start();
    let paragraph = "<p>A full paragraph of feed content that is long enough to be published on its own as an article body, well past any teaser threshold the pipeline applies to feed content.</p>";
    let items: String = (1..=25)
        .map(|day| {
            content_item(
                &format!("Flood story {day:02}"),
                &server.url(&format!("/s{day}")),
                day,
                paragraph,
            )
        })
        .collect();
    server.route(
        "/feed",
        Route::ok(RSS, content_feed(&items)).with_etag("\"same\""),
    );
    let workspace = Workspace::new();
    workspace.write_config(&config_with(&feed_entry(
        "flood",
        &server.url("/feed"),
        "fetch_article = false\nmax_items_per_poll = 10",
    )));

    let output = workspace.run(&["once"]);
    let log = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{log}");
    assert!(
        log.contains("max_items_per_poll") && log.contains("deferred=15"),
        "{log}"
    );
    let names: Vec<String> = workspace.articles().into_iter().map(|(name, _)| name).collect();
    assert_eq!(names.len(), 10, "{names:?}");
    assert!(
        names.iter().all(|name| name >= &"2025-09-16".to_string()),
        "newest first: {names:?}"
    );

    assert_eq!(workspace.run(&["once"]).status.code(), Some(0));
    assert_eq!(workspace.articles().len(), 20);
    assert_eq!(workspace.run(&["once"]).status.code(), Some(0));
    assert_eq!(workspace.articles().len(), 25, "the backlog drained");
    let output = workspace.run(&["once"]);
    assert!(
        stdout(&output).contains("not modified"),
        "then conditional GET again: {}",
        stdout(&output)
    );
}

/// Row "a 10 MB title, a 15 MB one-line body: written verbatim": title, author, tags and body are cut to
/// their documented caps, and the cut is logged.
#[test]
fn huge_title_author_tags_and_body_are_cut_with_a_log() {
    let server = FixtureServer::start();
    let title = "Enormous ".repeat(50_000);
    let body = format!("<p>{}</p>", "endless words ".repeat(90_000));
    let item = content_item(&title, &server.url("/huge"), 1, &body).replace(
        "</title>",
        &format!(
            "</title><author>{}</author>{}",
            "Writer ".repeat(10_000),
            "<category>tag</category>".to_string()
                + &(0..80)
                    .map(|n| format!("<category>{n}{}</category>", "x".repeat(500)))
                    .collect::<String>()
        ),
    );
    server.route("/feed", Route::ok(RSS, content_feed(&item)));
    let workspace = Workspace::new();
    workspace.write_config(&config_with(&feed_entry(
        "huge",
        &server.url("/feed"),
        "fetch_article = false",
    )));
    let output = workspace.run(&["once"]);
    let log = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{log}");
    for field in ["field=\"title\"", "field=\"body\"", "too many tags"] {
        assert!(
            log.contains(field),
            "{field} cut not logged:\n{}",
            &log[..log.len().min(3000)]
        );
    }
    let articles = workspace.articles();
    assert_eq!(articles.len(), 1);
    let (meta, text) = crate::support::workspace::front_matter(&articles[0].1);
    assert!(
        meta["title"]
            .as_str()
            .is_some_and(|title| title.chars().count() <= 301),
        "title not cut"
    );
    assert!(
        meta["tags"].as_array().is_some_and(|tags| tags.len() <= 50),
        "tags not cut"
    );
    assert!(
        text.chars().count() <= 1_000_100,
        "body not cut: {} chars",
        text.chars().count()
    );
    assert!(
        articles[0].1.len() < 1_200_000,
        "file is {} bytes",
        articles[0].1.len()
    );
}

/// Row "a config with an unknown key or a wrong value type: that one error hides every other problem in the
/// file": `check` reports all of them in one pass, each at `PATH:LINE:COL`, in file order, and exits 2.
#[test]
fn config_with_unknown_keys_and_wrong_types_reports_every_problem() {
    let workspace = Workspace::new();
    workspace.write_config(concat!(
        "[settings]\n",                              // 1
        "concurency = 4\n",                          // 2 unknown key
        "per_host_concurrency = \"2\"\n",            // 3 string where a number goes
        "user_agent = 7\n",                          // 4 number where a string goes
        "\n",                                        // 5
        "[[feeds]]\n",                               // 6
        "name = \"news\"\n",                         // 7
        "url = \"https://news.example/feed.xml\"\n", // 8
        "schedule = \"61 * * * *\"\n",               // 9 bad cron
        "  categroy = \"World\"\n",                  // 10 unknown key in a feed
        "\n",                                        // 11
        "[[feeds]]\n",                               // 12
        "name = \"news\"\n",                         // 13 duplicate name
        "url = \"htp:/news.example\"\n",             // 14 bad URL
        "max_items_per_poll = \"ten\"\n",            // 15 string where a number goes
    ));
    let output = workspace.run(&["check"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let path = workspace.config_path().display().to_string();
    let reported: Vec<String> = stderr(&output)
        .lines()
        .map(|line| line.strip_prefix(&format!("{path}:")).unwrap_or(line).to_string())
        .collect();
    let expected = [
        (
            "2:1:",
            "unknown key `concurency` in [settings]; did you mean `concurrency`?",
        ),
        (
            "3:24:",
            "`per_host_concurrency` in [settings] must be an integer, not a string (\"2\")",
        ),
        (
            "4:14:",
            "`user_agent` in [settings] must be a string, not an integer (7)",
        ),
        ("9:12:", "61"),
        (
            "10:3:",
            "unknown key `categroy` in [[feeds]]; did you mean `category`?",
        ),
        (
            "13:8:",
            "duplicate feed name \"news\" (first used at line 7, column 8)",
        ),
        ("14:7:", "htp:/news.example"),
        (
            "15:22:",
            "`max_items_per_poll` in [[feeds]] must be an integer, not a string (\"ten\")",
        ),
    ];
    assert_eq!(reported.len(), expected.len(), "{reported:#?}");
    for ((location, text), line) in expected.iter().zip(&reported) {
        assert!(
            line.starts_with(&format!("{location} ")) && line.contains(text),
            "expected {location} … {text}, got {line}\nall: {reported:#?}"
        );
    }
}

/// Row "a feed URL with credentials or a token: logged in clear at INFO on every poll": a feed URL with a
/// user, a password and a token in its query, one that works, one answering 404 and one refusing the
/// connection; no line `once` (at debug level) or `run` (JSON lines) writes, and nothing `status` shows, holds
/// the password, the token or the encoded credentials, while the server did receive both.
#[test]
fn feed_url_credentials_and_tokens_never_reach_logs_or_status() {
    use base64::Engine as _;
    const PASSWORD: &str = "s3cr3tPW";
    const TOKEN: &str = "T0KENVALUE";
    let server = FixtureServer::start();
    serve_story(&server, "/story", "Members story");
    server.route(
        "/feed.xml",
        Route::ok(RSS, rss(&[("Members story".into(), server.url("/story"))])),
    );
    let with_secrets = |base: &str, path: &str, parameter: &str| {
        base.replacen("http://", &format!("http://member:{PASSWORD}@"), 1)
            + &format!("{path}?{parameter}={TOKEN}")
    };
    let base = server.url("");
    let feeds = [
        feed_entry("members", &with_secrets(&base, "/feed.xml", "token"), ""),
        feed_entry("gone", &with_secrets(&base, "/gone.xml", "api_key"), ""),
        feed_entry(
            "refused",
            &with_secrets("http://127.0.0.1:1", "/feed.xml", "token"),
            "",
        ),
    ]
    .concat();
    let workspace = Workspace::new();
    workspace.write_config(&config_with(&feeds));
    let secrets = [
        PASSWORD.to_string(),
        TOKEN.to_string(),
        base64::engine::general_purpose::STANDARD.encode(format!("member:{PASSWORD}")),
    ];
    let assert_hidden = |what: &str, text: &str| {
        for secret in &secrets {
            assert!(!text.contains(secret.as_str()), "{what} shows {secret}:\n{text}");
        }
    };

    let output = workspace
        .command(&["once"])
        .env("RUST_LOG", "debug")
        .output()
        .expect("run once");
    let log = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "two feeds fail:\n{log}");
    assert!(
        log.contains("member") && log.contains("***") && log.contains("gone") && log.contains("refused"),
        "the feeds are still named:\n{log}"
    );
    assert_hidden("once's log", &log);
    assert_hidden("once's summary", &stdout(&output));
    let fetched = server
        .seen()
        .into_iter()
        .find(|seen| seen.path.starts_with("/feed.xml"))
        .expect("the feed was fetched");
    assert!(
        fetched.path.contains(TOKEN),
        "the token was sent: {}",
        fetched.path
    );
    assert!(
        fetched
            .headers
            .get("authorization")
            .is_some_and(|header| header.contains(&secrets[2])),
        "the credentials were sent: {:?}",
        fetched.headers
    );
    assert_eq!(workspace.articles().len(), 1);

    for arguments in [&["status"][..], &["status", "--json"]] {
        let status = workspace.run(arguments);
        assert_eq!(status.status.code(), Some(0), "{}", stderr(&status));
        let shown = stdout(&status);
        assert!(shown.contains("gone") && shown.contains("404"), "{shown}");
        assert_hidden("status", &shown);
    }

    // A fresh database, so every feed is due within the second.
    workspace.write_config(&config_with(&feeds).replace(
        "database = \"tidings.db\"\n",
        "database = \"daemon.db\"\nlog_format = \"json\"\nschedule = \"* * * * * *\"\n",
    ));
    let mut daemon = crate::daemon::Daemon::start(&workspace);
    daemon.wait_for("\"feed\":\"refused\"");
    daemon.wait_for("\"feed\":\"gone\"");
    daemon.wait_for("\"feed\":\"members\"");
    daemon.signal("TERM");
    assert_eq!(daemon.wait_exit(), Some(0));
    let log = daemon.whole_log();
    assert_hidden("run's log", &log);
}

/// Row "time arithmetic from the network … `<ttl>`, `<skipHours>`": a feed skipping every hour but one is
/// next polled at the start of that hour, not at the next quarter-hour tick; its `<skipDays>` naming all
/// seven days is nonsense and ignored rather than silencing the feed for good.
#[test]
fn skip_hours_move_the_next_poll_to_the_allowed_hour() {
    let server = FixtureServer::start();
    serve_story(&server, "/story", "Night story");
    let started = Utc::now();
    let allowed = started.duration_trunc(TimeDelta::hours(1)).expect("whole hour") + TimeDelta::hours(3);
    let skipped: String = (0..24)
        .filter(|hour| *hour != allowed.hour())
        .map(|hour| format!("<hour>{hour}</hour>"))
        .collect();
    let days: String = [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ]
    .iter()
    .map(|day| format!("<day>{day}</day>"))
    .collect();
    server.route(
        "/feed",
        Route::ok(
            RSS,
            rss(&[("Night story".into(), server.url("/story"))]).replace(
                "<description>d</description>",
                &format!(
                    "<description>d</description><skipHours>{skipped}</skipHours><skipDays>{days}</skipDays>"
                ),
            ),
        ),
    );
    let workspace = Workspace::new();
    workspace.write_config(&config_with(&feed_entry("nightly", &server.url("/feed"), "")));
    let output = workspace.run(&["once"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(workspace.articles().len(), 1);
    assert_eq!(next_poll_of(&workspace, "nightly"), allowed);
}

/// Row "file descriptors run out … 1,284 stored for good from the feed's teaser instead of the page": the
/// real binary under ever higher `RLIMIT_NOFILE` limits, against a feed of six items, each with a full-length
/// teaser and a slow page (so their connections are open at once). At the limits where the feed is read but
/// some pages' connections cannot be opened, those items are retried next poll without counting an attempt
/// (the shortage is ours, not theirs: five attempts would give them up for good), never written from the
/// teaser; with descriptors back, the next poll reads the feed again and writes every item from its page.
#[test]
fn out_of_file_descriptors_retries_the_item_never_the_teaser() {
    use std::os::unix::process::CommandExt as _;

    const ITEMS: usize = 6;
    let server = FixtureServer::start();
    let teaser: String = crate::support::pages::paragraphs("teaser")
        .iter()
        .map(|paragraph| format!("<p>{paragraph}</p>"))
        .collect();
    let mut items = String::new();
    for n in 1..=ITEMS {
        let (path, title) = (format!("/story{n}"), format!("Harbour page {n}"));
        let page = crate::support::pages::article_page(
            &title,
            "Ann",
            "2025-09-27T10:00:00Z",
            &crate::support::pages::paragraphs(&title)
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
        );
        server.route(
            &path,
            Route::ok("text/html", page).delayed(std::time::Duration::from_millis(300)),
        );
        items.push_str(&content_item(&title, &server.url(&path), n as u32, &teaser));
    }
    server.route("/feed", Route::ok(RSS, content_feed(&items)));
    let workspace = Workspace::new();
    workspace.write_config(&config_with(&feed_entry("port", &server.url("/feed"), "")));
    let failures = || -> i64 {
        database(&workspace)
            .query_row("SELECT COUNT(*) FROM item_failures", [], |row| row.get(0))
            .unwrap_or(0)
    };

    let mut exhausted_at = None;
    let mut tried = Vec::new();
    for limit in 12..=64u64 {
        let mut command = workspace.command(&["once"]);
        // SAFETY: setrlimit is async-signal-safe and touches only the child about to exec.
        unsafe {
            command.pre_exec(move || {
                let rlimit = libc::rlimit {
                    rlim_cur: limit,
                    rlim_max: limit,
                };
                if libc::setrlimit(libc::RLIMIT_NOFILE, &raw const rlimit) == 0 {
                    Ok(())
                } else {
                    Err(std::io::Error::last_os_error())
                }
            });
        }
        let output = command.output().expect("run once under a descriptor limit");
        let log = stderr(&output);
        let articles = workspace.articles();
        assert!(
            articles
                .iter()
                .all(|(_, text)| !text.contains("The teaser story")),
            "written from the teaser at RLIMIT_NOFILE={limit}:\n{log}"
        );
        let page_failures = log
            .lines()
            .filter(|line| line.contains("out of file descriptors") && line.contains("/story"))
            .count();
        tried.push(format!(
            "RLIMIT_NOFILE={limit}: exit {:?}, {} articles, {page_failures} pages out of descriptors",
            output.status.code(),
            articles.len()
        ));
        if page_failures > 0 {
            assert!(
                log.contains("will retry next poll (not counted as an attempt)"),
                "{log}"
            );
            assert_eq!(failures(), 0, "no attempt is counted against the items:\n{log}");
            exhausted_at = Some(limit);
            break;
        }
        if articles.len() == ITEMS {
            break;
        }
    }
    let tried = tried.join("\n");
    assert!(
        exhausted_at.is_some(),
        "no limit made a page fetch fail while the feed was read:\n{tried}"
    );

    let output = workspace.run(&["once"]);
    assert_eq!(output.status.code(), Some(0), "{}\n{tried}", stderr(&output));
    let articles = workspace.articles();
    assert_eq!(articles.len(), ITEMS, "retried with descriptors back:\n{tried}");
    for (_, text) in &articles {
        assert!(text.contains("The Harbour page"), "{text}");
    }
    assert_eq!(failures(), 0, "the failure records are cleared");
}

/// The unit's resource limits (issue 7, "the unit"): `systemd-analyze verify` accepts it (with `ExecStart`
/// pointing at this build), descriptors are sized for thousands of hosts, and memory leaves room for the
/// documented bound: one extraction slot per core at up to ~350 MB each, for the 4 cores the unit is sized for.
#[test]
fn systemd_unit_verifies_and_sizes_descriptors_and_memory() {
    const TEST: &str = "systemd_unit_verifies_and_sizes_descriptors_and_memory";
    let unit = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/systemd/tidings.service"))
        .expect("read the unit");
    let setting = |key: &str| {
        unit.lines()
            .find_map(|line| line.strip_prefix(&format!("{key}=")))
            .unwrap_or_else(|| panic!("the unit sets no {key}="))
            .trim()
            .to_string()
    };
    let megabytes = |value: String| -> u64 {
        match value.split_at(value.len() - 1) {
            (number, "M") => number.parse().expect("a number of M"),
            (number, "G") => number.parse::<u64>().expect("a number of G") * 1024,
            _ => panic!("memory setting {value:?} is not in M or G"),
        }
    };
    let (high, max) = (megabytes(setting("MemoryHigh")), megabytes(setting("MemoryMax")));
    assert!(
        high >= 4 * 350 && max > high,
        "MemoryHigh={high}M MemoryMax={max}M"
    );
    let descriptors: u64 = setting("LimitNOFILE").parse().expect("a number");
    assert!(descriptors >= 16_384, "LimitNOFILE={descriptors}");

    if !crate::support::external::available("systemd-analyze", "--version", TEST) {
        return;
    }
    let folder = tempfile::tempdir().expect("temp folder");
    let path = folder.path().join("tidings.service");
    std::fs::write(
        &path,
        unit.replace("/usr/bin/tidings", env!("CARGO_BIN_EXE_tidings")),
    )
    .expect("write the unit");
    let output = std::process::Command::new("systemd-analyze")
        .arg("verify")
        .arg(&path)
        .output()
        .expect("run systemd-analyze");
    let said = format!("{}{}", stdout(&output), stderr(&output));
    assert!(
        output.status.success() && !said.contains("tidings.service"),
        "systemd-analyze verify:\n{said}"
    );
}

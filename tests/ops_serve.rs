//! `[settings] listen` against the real daemon: `/metrics` parsed by a strict Prometheus text-format parser
//! with per-feed values matching what the daemon did, `/healthz` turning 503 when the database file is gone,
//! and the status page loaded in headless Chromium with its table read back from the DOM.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use openmetrics_parser::prometheus::parse_prometheus;
use openmetrics_parser::{MetricsExposition, PrometheusType, PrometheusValue};

use crate::daemon::{Daemon, serve_story};
use crate::support::external::available;
use crate::support::pages::rss;
use crate::support::server::{FixtureServer, Route};
use crate::support::workspace::{Workspace, config_with, stderr, stdout};

const RSS: &str = "application/rss+xml";
/// A feed name with the characters the exposition format escapes that a name may hold (a line feed, the
/// third, is refused by the config and covered by the exposition's unit test), and markup for the HTML page.
const HOSTILE_NAME: &str = "Tom's \"best\" \\ <b>feed</b>";

/// One HTTP/1.1 request to the daemon's server: (status, lower-cased headers, body).
fn request(address: &str, method: &str, path: &str) -> (u16, HashMap<String, String>, String) {
    let mut stream = TcpStream::connect(address).expect("connect to the status server");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .expect("send request");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read response");
    let raw = String::from_utf8(raw).expect("UTF-8 response");
    let (head, body) = raw.split_once("\r\n\r\n").expect("header end");
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .expect("status line");
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_string()))
        .collect();
    (status, headers, body.to_string())
}

/// A feed site with two stories and a failing feed, configured with `listen` on a port the system picks;
/// `schedule` is each feed's extra line.
fn feed_site(workspace: &Workspace, server: &FixtureServer, feed_name: &str, schedule: &str) {
    serve_story(server, "/one", "First served story");
    serve_story(server, "/two", "Second served story");
    server.route(
        "/feed",
        Route::ok(
            RSS,
            rss(&[
                ("First served story".into(), server.url("/one")),
                ("Second served story".into(), server.url("/two")),
            ]),
        ),
    );
    server.route("/broken", Route::status(500));
    let name = toml_edit::Value::from(feed_name).to_string();
    workspace.write_config(
        &config_with(&format!(
            "[[feeds]]\nname = {name}\nurl = \"{}\"\n{schedule}\n\n[[feeds]]\nname = \"broken\"\nurl = \"{}\"\n{schedule}\n",
            server.url("/feed"),
            server.url("/broken")
        ))
        .replace("[settings]\n", "[settings]\nlisten = \"127.0.0.1:0\"\n"),
    );
}

/// The daemon on `workspace`, and the address its server logged.
fn serving_daemon(workspace: &Workspace) -> (Daemon, String) {
    let mut daemon = Daemon::start(workspace);
    let line = daemon.wait_for("serving /metrics");
    let address = line
        .split_whitespace()
        .find_map(|field| field.strip_prefix("address="))
        .expect("address in the log line")
        .to_string();
    (daemon, address)
}

/// [`feed_site`] polled once by a fresh daemon.
fn start_daemon(workspace: &Workspace, server: &FixtureServer, feed_name: &str) -> (Daemon, String) {
    feed_site(workspace, server, feed_name, "");
    let (mut daemon, address) = serving_daemon(workspace);
    daemon.wait_for("feed polled");
    daemon.wait_for("feed polled");
    (daemon, address)
}

/// `/metrics` parsed; fails on anything the strict parser rejects.
fn scrape(address: &str) -> MetricsExposition<PrometheusType, PrometheusValue> {
    let (status, _, body) = request(address, "GET", "/metrics");
    assert_eq!(status, 200, "{body}");
    parse_prometheus(&body).unwrap_or_else(|error| panic!("{error:?} in:\n{body}"))
}

fn value(value: &PrometheusValue) -> f64 {
    match value {
        PrometheusValue::Counter(counter) => counter.value.as_f64(),
        PrometheusValue::Gauge(number) | PrometheusValue::Unknown(number) => number.as_f64(),
        other => panic!("unexpected sample {other:?}"),
    }
}

/// Label (name, value) pairs a sample must have.
type Labels<'a> = &'a [(&'a str, &'a str)];

/// The value of family `name`'s sample whose labels include every pair of `labels`.
fn sample(
    exposition: &MetricsExposition<PrometheusType, PrometheusValue>,
    name: &str,
    labels: Labels,
) -> f64 {
    let family = exposition
        .families
        .get(name)
        .unwrap_or_else(|| panic!("no family {name}"));
    let found: Vec<f64> = family
        .iter_samples()
        .filter(|sample| {
            let set = sample.get_labelset().expect("labels");
            labels
                .iter()
                .all(|(label, wanted)| set.get_label_value(label) == Some(*wanted))
        })
        .map(|sample| value(&sample.value))
        .collect();
    assert_eq!(found.len(), 1, "{name} {labels:?}: {found:?}");
    found[0]
}

#[test]
fn metrics_parse_as_prometheus_text_and_match_what_the_daemon_did() {
    let server = FixtureServer::start();
    let workspace = Workspace::new();
    let started = chrono::Utc::now().timestamp();
    let (mut daemon, address) = start_daemon(&workspace, &server, HOSTILE_NAME);

    let (status, headers, body) = request(&address, "GET", "/metrics");
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        headers.get("content-type").map(String::as_str),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let exposition = parse_prometheus(&body).unwrap_or_else(|error| panic!("{error:?} in:\n{body}"));
    for (family, kind) in [
        ("tidings_feed_polls_total", "counter"),
        ("tidings_feed_articles_written_total", "counter"),
        ("tidings_feed_last_success_timestamp_seconds", "gauge"),
        ("tidings_feed_consecutive_failures", "gauge"),
        ("tidings_http_responses_total", "counter"),
        ("tidings_extraction_failures_total", "counter"),
        ("tidings_feed_content_fallbacks_total", "counter"),
        ("tidings_queue_depth", "gauge"),
        ("tidings_queue_capacity", "gauge"),
        ("tidings_page_queue_bytes", "gauge"),
        ("process_resident_memory_bytes", "gauge"),
    ] {
        let found = exposition
            .families
            .get(family)
            .unwrap_or_else(|| panic!("no {family} in:\n{body}"));
        assert_eq!(found.family_type.to_string(), kind, "{family}");
        assert!(!found.help.is_empty(), "{family} has no HELP");
    }

    // The feed name comes back exactly, escapes resolved: quote and backslash survived.
    let hostile = ("feed", HOSTILE_NAME);
    let broken = ("feed", "broken");
    let expected: [(&str, Labels, f64); 14] = [
        ("tidings_feed_polls_total", &[hostile, ("result", "ok")], 1.0),
        ("tidings_feed_polls_total", &[hostile, ("result", "failed")], 0.0),
        ("tidings_feed_articles_written_total", &[hostile], 2.0),
        ("tidings_feed_consecutive_failures", &[hostile], 0.0),
        ("tidings_feed_polls_total", &[broken, ("result", "failed")], 1.0),
        ("tidings_feed_polls_total", &[broken, ("result", "ok")], 0.0),
        ("tidings_feed_consecutive_failures", &[broken], 1.0),
        ("tidings_feed_articles_written_total", &[broken], 0.0),
        ("tidings_extraction_failures_total", &[], 0.0),
        // One feed and two pages answered 200, the broken feed 500; nothing went without a response.
        ("tidings_http_responses_total", &[("class", "2xx")], 3.0),
        ("tidings_http_responses_total", &[("class", "5xx")], 1.0),
        ("tidings_http_responses_total", &[("class", "error")], 0.0),
        ("tidings_queue_capacity", &[("queue", "polls")], 256.0),
        ("tidings_page_queue_bytes", &[], 0.0),
    ];
    for (family, labels, value) in expected {
        assert_eq!(sample(&exposition, family, labels), value, "{family} {labels:?}");
    }
    let success = sample(
        &exposition,
        "tidings_feed_last_success_timestamp_seconds",
        &[hostile],
    );
    assert!(
        (started as f64..=chrono::Utc::now().timestamp() as f64).contains(&success),
        "last success {success}"
    );
    assert!(
        exposition.families["tidings_feed_last_success_timestamp_seconds"]
            .iter_samples()
            .all(|sample| sample.get_labelset().expect("labels").get_label_value("feed") != Some("broken")),
        "a feed never successful has no last-success sample"
    );

    // A poll leaves its place just after logging "feed polled": at most the two feeds hold one.
    assert!(sample(&exposition, "tidings_queue_depth", &[("queue", "polls")]) <= 2.0);
    assert!(sample(&exposition, "process_resident_memory_bytes", &[]) > 1_000_000.0);

    // Only GET and HEAD; HEAD answers the headers alone; unknown paths are 404.
    let (status, headers, _) = request(&address, "POST", "/metrics");
    assert_eq!(
        (status, headers.get("allow").map(String::as_str)),
        (405, Some("GET, HEAD"))
    );
    let (status, _, body) = request(&address, "HEAD", "/metrics");
    assert_eq!((status, body.as_str()), (200, ""));
    assert_eq!(request(&address, "GET", "/nothing").0, 404);

    daemon.signal("TERM");
    assert_eq!(daemon.wait_exit(), Some(0));
}

#[test]
fn healthz_is_503_while_the_database_file_is_gone_and_200_when_it_is_back() {
    let server = FixtureServer::start();
    let workspace = Workspace::new();
    let (mut daemon, address) = start_daemon(&workspace, &server, "plain");
    let (status, _, body) = request(&address, "GET", "/healthz");
    assert_eq!((status, body.as_str()), (200, "ok\n"));

    let database = workspace.path().join("tidings.db");
    let aside = workspace.path().join("moved-away.db");
    std::fs::rename(&database, &aside).expect("move the database away");
    let (status, _, body) = request(&address, "GET", "/healthz");
    assert_eq!(status, 503, "{body}");
    assert!(
        body.starts_with("database does not answer: ")
            && body.contains("removed or replaced")
            && body.lines().count() == 1,
        "{body}"
    );
    // The status page cannot read it either, and says so.
    let (status, _, page) = request(&address, "GET", "/");
    assert_eq!(status, 503, "{page}");
    assert!(page.contains("cannot read the database"), "{page}");

    std::fs::rename(&aside, &database).expect("put it back");
    assert_eq!(request(&address, "GET", "/healthz").0, 200);

    daemon.signal("TERM");
    assert_eq!(daemon.wait_exit(), Some(0));
}

#[test]
fn status_page_in_headless_chromium_shows_the_status_rows_and_article_links() {
    let test = "status_page_in_headless_chromium_shows_the_status_rows_and_article_links";
    if !available("chromium", "--version", test) {
        return;
    }
    let server = FixtureServer::start();
    let workspace = Workspace::new();
    let (mut daemon, address) = start_daemon(&workspace, &server, HOSTILE_NAME);
    let profile = tempfile::tempdir().expect("browser profile");
    // --no-sandbox: Chromium refuses to run as root with its sandbox, and CI runs as root; a container's small
    // /dev/shm would crash its renderer.
    let mut browser = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("http://{address}/"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromium");
    let deadline = Instant::now() + Duration::from_secs(90);
    while browser.try_wait().expect("chromium state").is_none() {
        if Instant::now() > deadline {
            let _ = browser.kill();
            panic!("chromium did not finish");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut dom = String::new();
    browser
        .stdout
        .take()
        .expect("stdout")
        .read_to_string(&mut dom)
        .expect("read the DOM");

    let document = scraper::Html::parse_document(&dom);
    let select = |css: &str| scraper::Selector::parse(css).expect("selector");
    let cells = |row: scraper::ElementRef| -> Vec<String> {
        row.select(&select("th, td"))
            .map(|cell| cell.text().collect::<String>())
            .collect()
    };
    let header = document
        .select(&select("table#feeds thead tr"))
        .next()
        .map(cells)
        .unwrap_or_else(|| panic!("no feed table in the DOM:\n{dom}"));
    assert_eq!(header[0..2], ["feed", "result"]);
    let rows: Vec<Vec<String>> = document
        .select(&select("table#feeds tbody tr"))
        .map(cells)
        .collect();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(
        document.select(&select("script, b")).next().is_none(),
        "markup in a feed name must be text, not elements"
    );

    // The same rows `tidings status --json` reports, feed by feed.
    let status: serde_json::Value =
        serde_json::from_str(&stdout(&workspace.run(&["status", "--json"]))).expect("status JSON");
    let feeds = status["feeds"].as_array().expect("feeds");
    assert_eq!(feeds.len(), rows.len());
    for (row, feed) in rows.iter().zip(feeds) {
        assert_eq!(Some(row[0].as_str()), feed["name"].as_str());
        let column = |name: &str| row[header.iter().position(|h| h == name).expect("column")].clone();
        assert_eq!(column("articles"), feed["articles_total"].to_string());
        assert_eq!(column("failures"), feed["consecutive_failures"].to_string());
        assert!(
            column("result").starts_with(feed["result"].as_str().expect("result")),
            "{row:?}"
        );
    }
    assert_eq!(rows[0][0], HOSTILE_NAME);
    assert_eq!(rows[1][1], "failed ×1");

    // The latest articles link to their sources.
    let links: Vec<(String, String)> = document
        .select(&select("table#articles a"))
        .map(|link| {
            (
                link.text().collect(),
                link.value().attr("href").unwrap_or_default().to_string(),
            )
        })
        .collect();
    let mut expected = vec![
        ("First served story".to_string(), server.url("/one")),
        ("Second served story".to_string(), server.url("/two")),
    ];
    let mut links_sorted = links.clone();
    links_sorted.sort();
    expected.sort();
    assert_eq!(links_sorted, expected, "{links:?}");

    daemon.signal("TERM");
    assert_eq!(daemon.wait_exit(), Some(0));
}

#[test]
fn a_listen_port_already_taken_stops_the_daemon_at_start() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = taken.local_addr().expect("address").to_string();
    let workspace = Workspace::new();
    workspace.write_config(
        &config_with("").replace("[settings]\n", &format!("[settings]\nlisten = \"{address}\"\n")),
    );
    let output = workspace.run(&["run"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains(&format!("cannot listen on {address}")),
        "{}",
        stderr(&output)
    );
}

#[test]
fn feed_gauges_start_from_the_database_after_a_restart() {
    let server = FixtureServer::start();
    let workspace = Workspace::new();
    // Yearly schedules: after `once`, neither feed is due again while the daemon runs.
    feed_site(&workspace, &server, "news", "schedule = \"0 0 1 1 *\"");
    assert_eq!(workspace.run(&["once"]).status.code(), Some(1));
    let (mut daemon, address) = serving_daemon(&workspace);
    let exposition = scrape(&address);
    let polled_at = sample(
        &exposition,
        "tidings_feed_last_success_timestamp_seconds",
        &[("feed", "news")],
    );
    assert!(polled_at > 0.0);
    let expected: [(&str, Labels, f64); 4] = [
        ("tidings_feed_consecutive_failures", &[("feed", "broken")], 1.0),
        ("tidings_feed_consecutive_failures", &[("feed", "news")], 0.0),
        // Counters count this process's work: nothing polled yet.
        (
            "tidings_feed_polls_total",
            &[("feed", "news"), ("result", "ok")],
            0.0,
        ),
        ("tidings_feed_articles_written_total", &[("feed", "news")], 0.0),
    ];
    for (family, labels, value) in expected {
        assert_eq!(sample(&exposition, family, labels), value, "{family} {labels:?}");
    }
    daemon.signal("TERM");
    assert_eq!(daemon.wait_exit(), Some(0));
}

//! Site rules in the ftr-site-config format (issue 13): `check` and `rules coverage` over rule folders of
//! our own, and extraction with rules against the loopback server through the real binary.

use std::path::PathBuf;

use crate::support::pages::rss;
use crate::support::server::{FixtureServer, Route};
use crate::support::workspace::{Workspace, config_with, feed_entry, stderr, stdout};

fn fixture(case: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/rules")).join(case)
}

/// A workspace whose config reads the rule folders `folders` (in that order).
fn workspace_with_rules(folders: &[PathBuf]) -> Workspace {
    let workspace = Workspace::new();
    let list: Vec<String> = folders
        .iter()
        .map(|f| format!("{:?}", f.display().to_string()))
        .collect();
    workspace.write_config(&config_with("").replace(
        "[settings]\n",
        &format!("[settings]\nsite_rules = [{}]\n", list.join(", ")),
    ));
    workspace
}

#[test]
fn check_names_file_and_line_of_each_rule_problem_and_exits_2_on_errors() {
    let workspace = workspace_with_rules(&[fixture("broken")]);
    let output = workspace.run(&["check"]);
    assert_eq!(output.status.code(), Some(2), "{}", stdout(&output));
    let errors = stderr(&output);
    let file = fixture("broken").join("example.org.txt").display().to_string();
    for expected in [
        format!("{file}:3: error: body: at character 17: expected ']' at the end"),
        format!("{file}:4: warning: unknown directive frobnicate; ignored"),
        format!("{file}:5: warning: login_uri is not supported; ignored"),
        format!("{file}:6: error: expected yes or no, found \"sometimes\""),
        format!("{file}:7: error: replace_string without a preceding find_string"),
    ] {
        assert!(errors.contains(&expected), "missing {expected:?} in:\n{errors}");
    }
    assert!(!errors.contains(":2:"), "line 2 is valid:\n{errors}");
    assert!(stdout(&output).contains("site rules: 1 files from 1 folder(s), 3 errors, 2 warnings"));
}

#[test]
fn check_flags_a_bad_wildcard_file_and_a_missing_folder() {
    let workspace = workspace_with_rules(&[fixture("community_like")]);
    let output = workspace.run(&["check"]);
    assert_eq!(
        output.status.code(),
        Some(2),
        "the wildcard file has a bad expression"
    );
    assert!(stderr(&output).contains(".example.net.txt:2: error: date:"));

    let missing = fixture("no_such_folder");
    let workspace = workspace_with_rules(std::slice::from_ref(&missing));
    let output = workspace.run(&["check"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains(&format!(
            "{}: error: cannot read the rules folder",
            missing.display()
        )),
        "{}",
        stderr(&output)
    );
}

#[test]
fn rules_coverage_reports_files_expressions_and_unsupported_kinds() {
    let workspace = Workspace::new();
    let output = workspace.run(&[
        "rules",
        "coverage",
        &fixture("community_like").display().to_string(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report = stdout(&output);
    for expected in [
        "files read without errors: 1/2 (50.00%)",
        "  body    2/2 (100.00%)",
        "  date    1/2 (50.00%)",
        "expressions supported: 6/7 (85.71%)",
        "contains() does not take 1 argument(s)",
        "     1  strip_attr",
    ] {
        assert!(report.contains(expected), "missing {expected:?} in:\n{report}");
    }
}

fn page(case: &str, file: &str) -> String {
    std::fs::read_to_string(fixture(case).join(file)).expect("fixture page")
}

const HTML: &str = "text/html; charset=utf-8";

#[test]
fn extract_applies_every_extraction_directive_and_explains_them() {
    let server = FixtureServer::start();
    server.route("/article", Route::ok(HTML, page("directives", "article.html")));
    let workspace = workspace_with_rules(&[fixture("directives")]);
    let check = workspace.run(&["check"]);
    assert_eq!(check.status.code(), Some(0), "{}", stderr(&check));
    assert!(
        stdout(&check).contains("0 errors, 0 warnings"),
        "{}",
        stdout(&check)
    );

    let output = workspace.run(&["extract", "--explain", &server.url("/article")]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let shown = stdout(&output);
    let rule_file = fixture("directives").join("127.0.0.1.txt");
    for expected in [
        format!("explain: rules: {}", rule_file.display()),
        "explain: replace_string: 2 replacement(s) applied to the HTML".to_string(),
        "explain: title (line 2): //div[@class='kicker']/following-sibling::h2[1] → \"The Rule-Chosen Headline\"".into(),
        "explain: author (line 3):".into(),
        "explain: date (line 4):".into(),
        "explain: strip (line 7):".into(),
        "explain: strip_id_or_class/strip_image_src: 2 element(s) removed".into(),
        "explain: native_ad_clue (line 17):".into(),
        "explain: body (line 6): //section[@data-role='story'] → 1 element(s)".into(),
        "explain: prune: no".into(),
        "explain: native ad: yes".into(),
        "title: The Rule-Chosen Headline".into(),
        "author: Ada Lovelace, Charles Babbage".into(),
        "published: 2024-03-05T10:00:00+00:00".into(),
    ] {
        assert!(shown.contains(&expected), "missing {expected:?} in:\n{shown}");
    }
    let body = shown.split_once("\n\n").map_or("", |(_, body)| body);
    for kept in [
        "ferry timetable",
        "New Brand Daily readers",
        "![The harbour at dawn](",
        "Timetable",
        "Fares stay the same",
    ] {
        assert!(body.contains(kept), "{kept:?} missing from the body:\n{body}");
    }
    for gone in [
        "Old Brand",
        "newsletter",
        "harbour mug",
        "tracking-pixel",
        "city council",
    ] {
        assert!(!body.contains(gone), "{gone:?} should be gone:\n{body}");
    }
    let request = server
        .seen()
        .into_iter()
        .find(|seen| seen.path == "/article")
        .expect("fetched");
    assert_eq!(
        request.headers.get("user-agent").map(String::as_str),
        Some("RulesFixture/1.0")
    );
    assert_eq!(
        request.headers.get("x-rules-test").map(String::as_str),
        Some("yes")
    );
}

fn serve_long_read(server: &FixtureServer) {
    for n in 1..=3 {
        server.route(
            &format!("/long/{n}"),
            Route::ok(HTML, page("pages", &format!("page{n}.html"))),
        );
    }
}

#[test]
fn three_page_article_is_followed_by_next_page_link_once_per_page() {
    let server = FixtureServer::start();
    serve_long_read(&server);
    let workspace = workspace_with_rules(&[fixture("pages")]);
    let output = workspace.run(&["extract", "--explain", &server.url("/long/1")]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let shown = stdout(&output);
    let order: Vec<usize> = (1..=3)
        .flat_map(|n| {
            [
                shown.find(&format!("Page {n} opens here")),
                shown.find(&format!("Page {n} closes here")),
            ]
        })
        .map(|at| at.unwrap_or_else(|| panic!("a page is missing:\n{shown}")))
        .collect();
    assert!(
        order.windows(2).all(|pair| pair[0] < pair[1]),
        "pages out of order:\n{shown}"
    );
    assert!(!shown.contains("Next page"), "the pager is stripped:\n{shown}");
    assert!(shown.contains(&format!(
        "explain: next_page_link (line 3): {}",
        server.url("/long/3")
    )));
    for n in 1..=3 {
        assert_eq!(
            server.hits(&format!("/long/{n}")),
            1,
            "page {n} fetched once (page 3 links back to 1)"
        );
    }
}

#[test]
fn multi_page_article_is_stored_whole_by_the_pipeline() {
    let server = FixtureServer::start();
    serve_long_read(&server);
    server.route(
        "/feed",
        Route::ok(
            "application/rss+xml",
            rss(&[("The Long Read".into(), server.url("/long/1"))]),
        ),
    );
    let workspace = workspace_with_rules(&[fixture("pages")]);
    let config = std::fs::read_to_string(workspace.config_path()).expect("config");
    workspace.write_config(&format!(
        "{config}{}",
        feed_entry("long", &server.url("/feed"), "")
    ));
    let output = workspace.run(&["once"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let articles = workspace.articles();
    assert_eq!(articles.len(), 1, "{articles:?}");
    for n in 1..=3 {
        assert!(
            articles[0].1.contains(&format!("Page {n} closes here")),
            "{}",
            articles[0].1
        );
    }
}

#[test]
fn next_page_link_to_another_site_is_not_followed() {
    let server = FixtureServer::start();
    let offsite = server.url("/long/2").replace("127.0.0.1", "localhost");
    let first = page("pages", "page1.html").replace("href=\"2\"", &format!("href=\"{offsite}\""));
    server.route("/long/1", Route::ok(HTML, first));
    let workspace = workspace_with_rules(&[fixture("pages")]);
    let output = workspace.run(&["extract", &server.url("/long/1")]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).contains("Page 1 closes here"));
    assert_eq!(server.hits("/long/2"), 0, "another host is another site");
}

#[test]
fn single_page_link_reads_the_print_view_instead() {
    let server = FixtureServer::start();
    server.route("/orchard", Route::ok(HTML, page("single", "teaser.html")));
    server.route("/orchard/print", Route::ok(HTML, page("single", "print.html")));
    let workspace = workspace_with_rules(&[fixture("single")]);
    let output = workspace.run(&["extract", "--explain", &server.url("/orchard")]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let shown = stdout(&output);
    assert!(shown.contains("Full text second paragraph"), "{shown}");
    assert!(!shown.contains("Only the opening lines"), "{shown}");
    assert!(shown.contains(&format!(
        "explain: single_page_link (line 2): {}",
        server.url("/orchard/print")
    )));
    assert_eq!((server.hits("/orchard"), server.hits("/orchard/print")), (1, 1));
}

#[test]
fn body_rule_selecting_nothing_falls_back_to_generic_extraction() {
    let server = FixtureServer::start();
    server.route("/article", Route::ok(HTML, page("directives", "article.html")));
    let workspace = workspace_with_rules(&[fixture("fallback")]);
    let output = workspace.run(&["extract", "--explain", &server.url("/article")]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let shown = stdout(&output);
    assert!(shown.contains("explain: body: none of 1 rule(s) selected anything; generic extraction used"));
    assert!(
        shown.contains("ferry timetable"),
        "not an empty article:\n{shown}"
    );
}

#[test]
fn autodetect_on_failure_no_fails_the_page_instead() {
    let server = FixtureServer::start();
    server.route("/article", Route::ok(HTML, page("directives", "article.html")));
    let workspace = workspace_with_rules(&[fixture("strict")]);
    let output = workspace.run(&["extract", &server.url("/article")]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("autodetect_on_failure: no"),
        "{}",
        stderr(&output)
    );

    let file = fixture("directives").join("article.html").display().to_string();
    let output = workspace.run(&["extract", "--url", "http://127.0.0.1/article", &file]);
    assert_eq!(
        output.status.code(),
        Some(1),
        "a file under the same rules fails alike"
    );
}

#[test]
fn html_file_inputs_get_the_rules_of_their_url() {
    let workspace = workspace_with_rules(&[fixture("directives")]);
    let file = fixture("directives").join("article.html").display().to_string();
    let output = workspace.run(&[
        "extract",
        "--explain",
        "--format",
        "json",
        "--url",
        "http://127.0.0.1/a",
        &file,
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let shown: serde_json::Value = serde_json::from_str(stdout(&output).trim()).expect("one json object");
    assert_eq!(shown["title"], "The Rule-Chosen Headline");
    let explain = shown["explain"].as_array().expect("explain lines");
    assert!(
        explain
            .iter()
            .any(|line| line.as_str().is_some_and(|l| l.starts_with("body (line 6)")))
    );
}

#[test]
fn later_rules_folder_wins_and_extract_reads_rules_from_feeds_toml_when_present() {
    let server = FixtureServer::start();
    server.route(
        "/article",
        Route::ok(HTML, "<html><body><h1>From the first folder</h1><h2>From the second folder</h2><p>Text.</p></body></html>"),
    );
    let workspace = workspace_with_rules(&[fixture("first"), fixture("second")]);
    let output = workspace.run(&["extract", &server.url("/article")]);
    assert!(
        stdout(&output).contains("title: From the second folder"),
        "{}",
        stdout(&output)
    );

    let bare = Workspace::new();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_tidings"))
        .args(["extract", "--explain", &server.url("/article")])
        .current_dir(bare.path())
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).contains("explain: rules: none for 127.0.0.1; generic extraction"));

    let second = format!("{:?}", fixture("second").display().to_string());
    bare.write_config(&format!("[settings]\nsite_rules = [{second}]\n"));
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_tidings"))
        .args(["extract", &server.url("/article")])
        .current_dir(bare.path())
        .output()
        .expect("run");
    assert!(
        stdout(&output).contains("title: From the second folder"),
        "./feeds.toml's rules apply without --config:\n{}",
        stdout(&output)
    );
}

#[test]
fn per_feed_content_selector_wins_over_the_body_rule() {
    let server = FixtureServer::start();
    server.route("/article", Route::ok(HTML, page("directives", "article.html")));
    server.route(
        "/feed",
        Route::ok(
            "application/rss+xml",
            rss(&[("Ferries".into(), server.url("/article"))]),
        ),
    );
    let workspace = workspace_with_rules(&[fixture("directives")]);
    let config = std::fs::read_to_string(workspace.config_path()).expect("config");
    let feed = feed_entry(
        "ferries",
        &server.url("/feed"),
        "content_selector = \"div.elsewhere\"",
    );
    workspace.write_config(&format!("{config}{feed}"));
    let output = workspace.run(&["once"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let articles = workspace.articles();
    assert_eq!(articles.len(), 1);
    assert!(articles[0].1.contains("city council"), "{}", articles[0].1);
    assert!(!articles[0].1.contains("ferry timetable"), "{}", articles[0].1);
    assert!(
        articles[0].1.contains("The Rule-Chosen Headline"),
        "the title rule still applies"
    );
}

#[test]
fn rules_test_fetches_each_test_url_and_checks_test_contains() {
    let server = FixtureServer::start();
    server.route("/article", Route::ok(HTML, page("directives", "article.html")));
    let workspace = Workspace::new();
    let folder = workspace.path().join("rules");
    std::fs::create_dir(&folder).expect("rules folder");
    let template =
        std::fs::read_to_string(fixture("selftest").join("127.0.0.1.txt.template")).expect("template");
    std::fs::write(
        folder.join("127.0.0.1.txt"),
        template.replace("{origin}", &server.url("")),
    )
    .expect("rules");
    workspace
        .write_config(&config_with("").replace("[settings]\n", "[settings]\nsite_rules = [\"rules\"]\n"));
    let output = workspace.run(&["rules", "test"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report = stdout(&output);
    assert!(report.contains(&format!(
        "ok   {}: {}",
        folder.join("127.0.0.1.txt").display(),
        server.url("/article")
    )));
    assert!(
        report.contains("missing [\"text that is not on the page\"]"),
        "{report}"
    );
    assert!(report.contains("1 passed, 1 failed"), "{report}");
    assert_eq!(server.hits("/article"), 2);
    let only_other = workspace.run(&["rules", "test", "example.com"]);
    assert_eq!(only_other.status.code(), Some(0));
    assert!(stdout(&only_other).contains("0 passed, 0 failed"));
}

//! The command-line contract: words, exit codes, `file:line:col` errors, and the bundled config.

use crate::support::server::{FixtureServer, Route};
use crate::support::workspace::{Workspace, stderr, stdout};

#[test]
fn check_reports_every_problem_at_file_line_col_and_exits_2() {
    let workspace = Workspace::new();
    workspace.write_config(
        "[settings]\nschedule = \"*/15 * * *\"\n\n[[feeds]]\nname = \"a\"\nurl = \"notaurl\"\n\n[[feeds]]\nname = \"a\"\nurl = \"https://example.com/feed\"\ncontent_selector = \"div[\"\n",
    );
    let output = workspace.run(&["check"]);
    assert_eq!(output.status.code(), Some(2));
    let errors = stderr(&output);
    let path = workspace.config_path().display().to_string();
    for location in ["2:12:", "6:7:", "9:8:", "11:20:"] {
        assert!(
            errors.contains(&format!("{path}:{location} ")),
            "{location} missing:\n{errors}"
        );
    }
}

#[test]
fn check_on_unknown_key_and_syntax_error() {
    let workspace = Workspace::new();
    workspace
        .write_config("[[feeds]]\nname = \"a\"\nurl = \"https://example.com/\"\nfetch_articles = true\n");
    let output = workspace.run(&["check"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains(
            "feeds.toml:4:1: unknown key `fetch_articles` in [[feeds]]; did you mean `fetch_article`?"
        ),
        "{}",
        stderr(&output)
    );

    workspace.write_config("[[feeds]\nname = \"a\"\n");
    let output = workspace.run(&["check"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("feeds.toml:1:"), "{}", stderr(&output));
}

#[test]
fn bundled_feeds_toml_is_valid() {
    let bundled = concat!(env!("CARGO_MANIFEST_DIR"), "/feeds.toml");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_tidings"))
        .args(["--config", bundled, "check"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

#[test]
fn once_with_bad_config_exits_2_and_unknown_feed_is_a_usage_error() {
    let workspace = Workspace::new();
    workspace.write_config("[settings]\nconcurrency = 0\n");
    assert_eq!(workspace.run(&["once"]).status.code(), Some(2));
    workspace.write_config("");
    assert_eq!(workspace.run(&["once", "--feed", "nope"]).status.code(), Some(2));
    assert_eq!(workspace.run(&["frobnicate"]).status.code(), Some(2));
}

#[test]
fn extract_prints_one_json_object_per_input_in_one_process() {
    let server = FixtureServer::start();
    let paragraphs = crate::support::pages::paragraphs("telescope");
    let paragraphs: Vec<&str> = paragraphs.iter().map(String::as_str).collect();
    let page = crate::support::pages::article_page(
        "Telescope sees far",
        "Ann Lee",
        "2025-01-02T03:04:05Z",
        &paragraphs,
    );
    server.route("/t", Route::ok("text/html", page.clone()));
    let workspace = Workspace::new();
    let file = workspace.path().join("page.html");
    std::fs::write(&file, &page).expect("write page");
    let file = file.display().to_string();
    let output = workspace.run(&[
        "extract",
        "--format",
        "json",
        "--url",
        "https://news.example/t",
        &file,
        &server.url("/t"),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let lines: Vec<serde_json::Value> = stdout(&output)
        .lines()
        .map(|line| serde_json::from_str(line).expect("json line"))
        .collect();
    assert_eq!(lines.len(), 2);
    for (line, (input, url)) in lines.iter().zip([
        (file.as_str(), "https://news.example/t".to_string()),
        (&*server.url("/t"), server.url("/t")),
    ]) {
        let keys: Vec<&String> = line.as_object().expect("object").keys().collect();
        for key in [
            "input",
            "url",
            "title",
            "author",
            "published",
            "excerpt",
            "cover_image",
            "language",
            "markdown",
            "text",
        ] {
            assert!(keys.iter().any(|k| *k == key), "{key} missing: {line}");
        }
        assert_eq!(line["input"], input);
        assert_eq!(line["url"], url.as_str());
        assert_eq!(line["title"], "Telescope sees far");
        assert_eq!(line["author"], "Ann Lee");
        assert_eq!(line["authors"], serde_json::json!(["Ann Lee"]));
        assert!(
            line["text"]
                .as_str()
                .is_some_and(|text| text.contains("public consultation closes"))
        );
    }
    assert_eq!(server.hits("/t"), 1);
}

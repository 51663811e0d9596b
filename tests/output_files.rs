//! The files tidings owns in output_dir, through the real binary: tombstones for files the admin deletes,
//! `forget`, `rebuild` after a preset change, retention.

use crate::support::news_site;
use crate::support::pages::{article_page, paragraphs, rss};
use crate::support::server::{FixtureServer, Route};
use crate::support::workspace::{Workspace, config_with, feed_entry, front_matter, stderr, stdout};

fn run_ok(workspace: &Workspace, args: &[&str]) -> String {
    stdout(&workspace.run_ok(args))
}

fn names(workspace: &Workspace) -> Vec<String> {
    workspace.articles().into_iter().map(|(name, _)| name).collect()
}

pub(crate) fn two_story_site(workspace: &Workspace, settings: &str) -> FixtureServer {
    let server = FixtureServer::start();
    news_site::serve(
        &server,
        "/feed",
        &[
            ("/one", "Harbour bridge reopens", "bridge"),
            ("/two", "Tram line extended", "tram"),
        ],
    );
    workspace.write_config(&config_with(&feed_entry("f", &server.url("/feed"), "")));
    workspace.add_settings(settings);
    server
}

#[test]
fn deleted_file_is_tombstoned_at_start_up_and_forget_writes_it_again() {
    let workspace = Workspace::new();
    let server = two_story_site(&workspace, "");
    run_ok(&workspace, &["once"]);
    let written = names(&workspace);
    assert_eq!(
        written,
        [
            "2025-09-27-harbour-bridge-reopens.md",
            "2025-09-27-tram-line-extended.md"
        ]
    );

    std::fs::remove_file(workspace.output_dir().join(&written[0])).expect("admin deletes");
    run_ok(&workspace, &["once"]);
    run_ok(&workspace, &["once"]);
    assert_eq!(
        names(&workspace),
        [written[1].clone()],
        "the deleted file stays deleted"
    );
    assert_eq!(server.hits("/one"), 1, "a tombstone is not refetched");
    let database = rusqlite::Connection::open(workspace.path().join("tidings.db")).expect("db");
    let state: String = database
        .query_row(
            "SELECT state FROM written_files WHERE path = ?1",
            [&written[0]],
            |row| row.get(0),
        )
        .expect("state");
    assert_eq!(state, "deleted", "the tombstone is in the database");

    let forgot = run_ok(&workspace, &["forget", &server.url("/one")]);
    assert!(forgot.contains("written again"), "{forgot}");
    assert_eq!(names(&workspace), written);
    let (yaml, _) = front_matter(&workspace.articles()[0].1);
    assert_eq!(yaml["title"], "Harbour bridge reopens");

    let unknown = workspace.run(&["forget", "https://elsewhere.example/x"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        stderr(&unknown).contains("no stored article has this URL"),
        "{}",
        stderr(&unknown)
    );
}

#[test]
fn rebuild_after_preset_change_renames_own_files_and_leaves_foreign_files_alone() {
    let workspace = Workspace::new();
    let _server = two_story_site(&workspace, "filename = \"{slug}.md\"\n");
    run_ok(&workspace, &["once"]);
    assert_eq!(
        names(&workspace),
        ["harbour-bridge-reopens.md", "tram-line-extended.md"]
    );
    let dir = workspace.output_dir();
    std::fs::write(dir.join("about.md"), "the admin's own page").expect("foreign file");
    // A foreign file already holds the new name of the first article: rebuild must pick another.
    std::fs::write(dir.join("2025-09-27-harbour-bridge-reopens.md"), "foreign").expect("foreign clash");

    let config = std::fs::read_to_string(workspace.config_path()).expect("config");
    workspace.write_config(&config.replace(
        "filename = \"{slug}.md\"\n",
        "filename = \"{date}-{slug}.md\"\npreset = \"jekyll\"\n",
    ));
    let report = run_ok(&workspace, &["rebuild"]);
    assert!(
        report.contains("0 rewritten, 2 moved, 0 written, 0 tombstones"),
        "{report}"
    );
    assert_eq!(
        names(&workspace),
        [
            "2025-09-27-harbour-bridge-reopens-2.md",
            "2025-09-27-harbour-bridge-reopens.md",
            "2025-09-27-tram-line-extended.md",
            "about.md",
        ]
    );
    let files = workspace.articles();
    assert_eq!(files[1].1, "foreign");
    assert_eq!(files[3].1, "the admin's own page");
    for index in [0, 2] {
        let (yaml, body) = front_matter(&files[index].1);
        assert_eq!(yaml["layout"], "post", "{}", files[index].0);
        assert!(body.trim_start().starts_with("{% raw %}"), "{}", files[index].0);
    }

    // A rebuild with nothing changed rewrites in place; the next poll writes nothing new.
    let again = run_ok(&workspace, &["rebuild"]);
    assert!(again.contains("2 rewritten, 0 moved"), "{again}");
    run_ok(&workspace, &["once"]);
    assert_eq!(names(&workspace).len(), 4);
}

#[test]
fn retention_removes_old_files_tombstones_them_and_never_writes_old_articles() {
    let workspace = Workspace::new();
    let server = two_story_site(&workspace, "");
    run_ok(&workspace, &["once"]);
    assert_eq!(names(&workspace).len(), 2);

    // A fresh story appears; retention is switched on: the 2025 files go, the fresh one is written.
    let today = chrono::Utc::now().format("%Y-%m-%dT08:00:00+00:00").to_string();
    let paragraphs = paragraphs("ferry");
    let paragraphs: Vec<&str> = paragraphs.iter().map(String::as_str).collect();
    server.route(
        "/fresh",
        Route::ok(
            "text/html",
            article_page("Ferry timetable changes", "Jane Doe", &today, &paragraphs),
        ),
    );
    server.route(
        "/feed",
        Route::ok(
            "application/rss+xml",
            rss(&[
                ("Harbour bridge reopens".into(), server.url("/one")),
                ("Tram line extended".into(), server.url("/two")),
                ("Ferry timetable changes".into(), server.url("/fresh")),
            ]),
        ),
    );
    workspace.add_settings("max_age_days = 30\n");
    run_ok(&workspace, &["once"]);
    let kept = names(&workspace);
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert!(kept[0].ends_with("-ferry-timetable-changes.md"), "{kept:?}");
    run_ok(&workspace, &["once"]);
    assert_eq!(names(&workspace), kept, "expired articles are not written again");
    assert_eq!(server.hits("/one"), 1, "nor refetched");

    // An old article first seen after retention is on is stored but never written.
    news_site::serve(&server, "/feed2", &[("/old", "Archive story", "archive")]);
    let config = std::fs::read_to_string(workspace.config_path()).expect("config");
    workspace.write_config(&format!(
        "{config}\n{}",
        feed_entry("g", &server.url("/feed2"), "")
    ));
    run_ok(&workspace, &["once"]);
    assert_eq!(names(&workspace), kept);
}

#[test]
fn file_deleted_while_the_daemon_runs_is_tombstoned_by_a_reload_and_not_rewritten() {
    let workspace = Workspace::new();
    let server = two_story_site(&workspace, "");
    let config = std::fs::read_to_string(workspace.config_path()).expect("config");
    workspace.write_config(&config.replace(
        "[[feeds]]\nname = \"f\"\n",
        "[[feeds]]\nname = \"f\"\nschedule = \"* * * * * *\"\n",
    ));
    let mut daemon = crate::daemon::Daemon::start(&workspace);
    daemon.wait_for("daemon ready");
    daemon.wait_for("article written");
    daemon.wait_for("article written");
    let written = names(&workspace);
    assert_eq!(written.len(), 2);

    std::fs::remove_file(workspace.output_dir().join(&written[0])).expect("admin deletes");
    // Polls in between never write it again; the check after a reload records the tombstone.
    daemon.wait_for("feed polled");
    daemon.wait_for("feed polled");
    assert_eq!(names(&workspace), [written[1].clone()], "not written again");
    daemon.signal("HUP");
    daemon.wait_for("article file deleted by the admin");
    daemon.wait_for("feed polled");
    let state: String = rusqlite::Connection::open(workspace.path().join("tidings.db"))
        .expect("db")
        .query_row(
            "SELECT state FROM written_files WHERE path = ?1",
            [&written[0]],
            |row| row.get(0),
        )
        .expect("state");
    assert_eq!(state, "deleted");
    assert_eq!(server.hits("/one"), 1, "a tombstone is not refetched");
    daemon.signal("TERM");
    assert_eq!(daemon.wait_exit(), Some(0));
}

/// `tidings articles --json`: each title with its `path` and `file` state.
fn listed_files(workspace: &Workspace) -> Vec<(String, String, String)> {
    let listed: serde_json::Value =
        serde_json::from_str(&run_ok(workspace, &["articles", "--json"])).expect("json");
    let mut rows: Vec<(String, String, String)> = listed["articles"]
        .as_array()
        .expect("articles")
        .iter()
        .map(|article| {
            let text = |key: &str| article[key].as_str().unwrap_or_default().to_string();
            (text("title"), text("path"), text("file"))
        })
        .collect();
    rows.sort();
    rows
}

#[test]
fn articles_shows_where_each_file_is_after_a_rebuild_and_which_were_deleted() {
    let workspace = Workspace::new();
    let _server = two_story_site(&workspace, "filename = \"{slug}.md\"\n");
    run_ok(&workspace, &["once"]);
    let dir = workspace.output_dir();
    let at = |name: &str| dir.join(name).display().to_string();
    assert_eq!(
        listed_files(&workspace),
        [
            (
                "Harbour bridge reopens".into(),
                at("harbour-bridge-reopens.md"),
                "written".into()
            ),
            (
                "Tram line extended".into(),
                at("tram-line-extended.md"),
                "written".into()
            ),
        ]
    );

    let config = std::fs::read_to_string(workspace.config_path()).expect("config");
    workspace.write_config(&config.replace(
        "filename = \"{slug}.md\"\n",
        "filename = \"{feed}/{slug}/index.md\"\n",
    ));
    run_ok(&workspace, &["rebuild"]);
    std::fs::remove_file(dir.join("f/tram-line-extended/index.md")).expect("admin deletes");
    run_ok(&workspace, &["once"]);
    assert_eq!(
        listed_files(&workspace),
        [
            (
                "Harbour bridge reopens".into(),
                at("f/harbour-bridge-reopens/index.md"),
                "written".into()
            ),
            (
                "Tram line extended".into(),
                at("f/tram-line-extended/index.md"),
                "deleted".into()
            ),
        ]
    );
    let table = run_ok(&workspace, &["articles"]);
    assert!(table.contains("f/harbour-bridge-reopens/index.md"), "{table}");
    assert!(
        table.contains("f/tram-line-extended/index.md (deleted)"),
        "{table}"
    );
}

//! What follows a poll that changed files, through the real binary: the `on_write` hook (changed paths on its
//! stdin; a failing or hanging hook is logged, killed after its timeout, never fatal) and the `index.json`
//! manifest (`manifest = true`).

use std::path::Path;
use std::time::{Duration, Instant};

use crate::daemon::Daemon;
use crate::output_files::two_story_site;
use crate::support::news_site;
use crate::support::server::FixtureServer;
use crate::support::workspace::{Workspace, config_with, feed_entry, front_matter, stderr};

/// A workspace polling two stories, with `settings` added to `[settings]`.
fn two_stories(settings: &str) -> (Workspace, FixtureServer) {
    let workspace = Workspace::new();
    let server = two_story_site(&workspace, settings);
    (workspace, server)
}

/// Writes an executable shell script `name` into the workspace; returns its `on_write` setting line.
fn hook(workspace: &Workspace, name: &str, script: &str) -> String {
    let path = workspace.path().join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{script}\n")).expect("write hook");
    let mut permissions = std::fs::metadata(&path).expect("hook").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
    std::fs::set_permissions(&path, permissions).expect("chmod");
    format!("on_write = [\"{}\", \"--quick\"]\n", path.display())
}

/// The log of a successful `once`.
fn once(workspace: &Workspace) -> String {
    stderr(&workspace.run_ok(&["once"]))
}

/// The Markdown files under `dir`, relative, sorted.
fn written_names(dir: &Path) -> Vec<String> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).expect("list").filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".md") {
            names.push(name);
        }
    }
    names.sort();
    names
}

#[test]
fn hook_gets_the_written_paths_on_stdin_once_per_run_and_only_when_files_changed() {
    let (workspace, _server) = two_stories("");
    let received = workspace.path().join("received.txt");
    let arguments = workspace.path().join("arguments.txt");
    workspace.add_settings(&hook(
        &workspace,
        "hook.sh",
        &format!(
            "cat >> '{}'\necho \"$@\" >> '{}'\necho rebuilt the site",
            received.display(),
            arguments.display()
        ),
    ));
    let log = once(&workspace);
    let names = written_names(&workspace.output_dir());
    assert_eq!(names.len(), 2);
    let expected: Vec<String> = names
        .iter()
        .map(|name| workspace.output_dir().join(name).display().to_string())
        .collect();
    let lines: Vec<String> = std::fs::read_to_string(&received)
        .expect("the hook ran")
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(lines, expected, "one changed path per line, one run");
    assert_eq!(std::fs::read_to_string(&arguments).expect("args"), "--quick\n");
    assert!(log.contains("on_write hook finished"), "{log}");
    assert!(
        log.contains("rebuilt the site"),
        "the hook's output is logged:\n{log}"
    );

    // Nothing new: the hook is not run.
    once(&workspace);
    assert_eq!(
        std::fs::read_to_string(&received).expect("input").lines().count(),
        2
    );
}

#[test]
fn failing_hook_is_logged_and_never_fatal() {
    let (workspace, _server) = two_stories("");
    workspace.add_settings(&hook(&workspace, "hook.sh", "echo cannot build >&2\nexit 3"));
    let log = once(&workspace);
    assert_eq!(written_names(&workspace.output_dir()).len(), 2);
    assert!(log.contains("on_write hook failed"), "{log}");
    assert!(log.contains("exit status 3"), "{log}");
    assert!(log.contains("cannot build"), "{log}");

    // A program that cannot be started is logged the same way.
    let (workspace, _server) = two_stories("on_write = [\"/nonexistent/rebuild-site\"]\n");
    let log = once(&workspace);
    assert_eq!(written_names(&workspace.output_dir()).len(), 2);
    assert!(log.contains("on_write hook could not be started"), "{log}");
}

#[test]
fn hook_outliving_its_timeout_is_killed_with_what_it_started() {
    let (workspace, _server) = two_stories("on_write_timeout = \"1s\"\n");
    let pid_file = workspace.path().join("sleep.pid");
    workspace.add_settings(&hook(
        &workspace,
        "hook.sh",
        &format!("sleep 60 &\necho $! > '{}'\nwait", pid_file.display()),
    ));
    let started = Instant::now();
    let log = once(&workspace);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "once waited {:?} for a hanging hook",
        started.elapsed()
    );
    assert!(
        log.contains("on_write hook outlived its timeout and was killed"),
        "{log}"
    );
    assert_eq!(written_names(&workspace.output_dir()).len(), 2);
    let pid = std::fs::read_to_string(&pid_file).expect("pid");
    let status = Path::new("/proc").join(pid.trim()).join("status");
    // Killed: gone, or a zombie until init reaps it.
    let deadline = Instant::now() + Duration::from_secs(5);
    while std::fs::read_to_string(&status).is_ok_and(|text| !text.contains("State:\tZ")) {
        assert!(Instant::now() < deadline, "the hook's child still runs");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn daemon_runs_the_hook_once_for_polls_close_together() {
    let server = FixtureServer::start();
    news_site::serve(
        &server,
        "/feed-a",
        &[("/one", "Harbour bridge reopens", "bridge")],
    );
    news_site::serve(&server, "/feed-b", &[("/two", "Tram line extended", "tram")]);
    let workspace = Workspace::new();
    let every_second = "schedule = \"* * * * * *\"";
    workspace.write_config(&config_with(&format!(
        "{}{}",
        feed_entry("a", &server.url("/feed-a"), every_second),
        feed_entry("b", &server.url("/feed-b"), every_second)
    )));
    let received = workspace.path().join("received.txt");
    let runs = workspace.path().join("runs.txt");
    workspace.add_settings(&hook(
        &workspace,
        "hook.sh",
        &format!(
            "cat >> '{}'\necho run >> '{}'",
            received.display(),
            runs.display()
        ),
    ));
    let mut daemon = Daemon::start(&workspace);
    daemon.wait_for("daemon ready");
    daemon.wait_for("on_write hook finished");
    assert_eq!(
        std::fs::read_to_string(&runs).expect("runs"),
        "run\n",
        "two feeds' polls, one run"
    );
    let lines = std::fs::read_to_string(&received).expect("input");
    assert_eq!(lines.lines().count(), 2, "{lines}");
    // Later polls write nothing: no more runs.
    daemon.wait_for("feed polled");
    daemon.wait_for("feed polled");
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(std::fs::read_to_string(&runs).expect("runs"), "run\n");
    daemon.signal("TERM");
    assert_eq!(daemon.wait_exit(), Some(0));
}

#[test]
fn manifest_lists_every_written_file_with_its_front_matter_and_follows_changes() {
    let (workspace, _server) = two_stories("manifest = true\n");
    once(&workspace);
    let manifest = |workspace: &Workspace| -> serde_json::Value {
        let text = std::fs::read_to_string(workspace.output_dir().join("index.json")).expect("index.json");
        serde_json::from_str(&text).expect("valid JSON")
    };
    let check = |workspace: &Workspace, preset: &str| {
        let listed = manifest(workspace);
        assert_eq!(listed["preset"], preset);
        let files = listed["files"].as_array().expect("files");
        let names = written_names(&workspace.output_dir());
        let paths: Vec<&str> = files
            .iter()
            .map(|file| file["path"].as_str().expect("path"))
            .collect();
        assert_eq!(paths, names, "every file and only those");
        for file in files {
            let text =
                std::fs::read_to_string(workspace.output_dir().join(file["path"].as_str().expect("path")))
                    .expect("listed file");
            let (yaml, _) = front_matter(&text);
            assert_eq!(file["front_matter"], yaml, "{}", file["path"]);
        }
    };
    check(&workspace, "seed");

    // A missing manifest is written again even when no article changed.
    std::fs::remove_file(workspace.output_dir().join("index.json")).expect("remove manifest");
    once(&workspace);
    check(&workspace, "seed");

    // The admin deletes one: the next run lists the other only.
    let names = written_names(&workspace.output_dir());
    std::fs::remove_file(workspace.output_dir().join(&names[0])).expect("delete");
    once(&workspace);
    check(&workspace, "seed");
    assert_eq!(manifest(&workspace)["files"].as_array().map(Vec::len), Some(1));

    // `rebuild` after a preset change rewrites it too.
    workspace.add_settings("preset = \"hugo\"\n");
    let rebuilt = workspace.run(&["rebuild"]);
    assert_eq!(rebuilt.status.code(), Some(0), "{}", stderr(&rebuilt));
    check(&workspace, "hugo");
    assert_eq!(manifest(&workspace)["files"][0]["front_matter"]["draft"], false);
}

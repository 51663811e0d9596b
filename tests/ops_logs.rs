//! Logs: syslog priorities and `key=value` fields under journald (`JOURNAL_STREAM`), `log_format = "json"`,
//! and warnings printed above the live progress line on a terminal — read from the real binary's raw output.

use crate::support::news_site;
use crate::support::server::{FixtureServer, Route};
use crate::support::workspace::{Workspace, config_with, feed_entry, stderr};

fn failing_and_working(server: &FixtureServer, settings: &str) -> Workspace {
    news_site::serve(server, "/feed", &[("/a", "Alpha arrives", "alpha")]);
    server.route("/broken", Route::status(500));
    let workspace = Workspace::new();
    let config = config_with(&format!(
        "{}{}",
        feed_entry("news", &server.url("/feed"), ""),
        feed_entry("broken", &server.url("/broken"), "")
    ))
    .replacen("[settings]\n", &format!("[settings]\n{settings}"), 1);
    workspace.write_config(&config);
    workspace
}

#[test]
fn logs_under_journald_carry_syslog_priorities_and_key_value_fields() {
    let server = FixtureServer::start();
    let workspace = failing_and_working(&server, "");
    let output = workspace
        .command(&["once"])
        .env("JOURNAL_STREAM", "8:12345")
        .output()
        .expect("run");
    let log = stderr(&output);
    let lines: Vec<&str> = log.lines().filter(|line| !line.is_empty()).collect();
    assert!(!lines.is_empty());
    for line in &lines {
        let priority = line.get(..3).unwrap_or("");
        assert!(
            ["<3>", "<4>", "<5>", "<6>", "<7>"].contains(&priority),
            "no syslog priority: {line}"
        );
    }
    let failed = lines
        .iter()
        .find(|line| line.starts_with("<4>feed failed"))
        .unwrap_or_else(|| panic!("no warning line:\n{log}"));
    assert!(failed.contains(" feed=broken"), "{failed}");
    assert!(failed.contains(" status=500"), "{failed}");
    assert!(
        failed.contains(&format!(" url=\"{}\"", server.url("/broken")))
            || failed.contains(&format!(" url={}", server.url("/broken"))),
        "{failed}"
    );
    let polled = lines
        .iter()
        .find(|line| line.starts_with("<6>feed polled") && line.contains(" feed=news"))
        .unwrap_or_else(|| panic!("no info line:\n{log}"));
    assert!(
        polled.contains(" result=ok") && polled.contains(" elapsed_ms="),
        "{polled}"
    );
}

#[test]
fn log_format_json_prints_one_object_per_line() {
    let server = FixtureServer::start();
    let workspace = failing_and_working(&server, "log_format = \"json\"\n");
    let output = workspace.run(&["once"]);
    let log = stderr(&output);
    let events: Vec<serde_json::Value> = log
        .lines()
        .filter(|line| !line.is_empty())
        .map(|line| serde_json::from_str(line).unwrap_or_else(|error| panic!("{error}: {line}")))
        .collect();
    let failed = events
        .iter()
        .find(|event| event["fields"]["message"] == "feed failed")
        .unwrap_or_else(|| panic!("no failure event:\n{log}"));
    assert_eq!(failed["level"], "WARN");
    assert_eq!(failed["fields"]["feed"], "broken");
    assert_eq!(failed["fields"]["status"], 500);

    workspace.write_config("[settings]\nlog_format = \"yaml\"\n");
    let output = workspace.run(&["check"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("feeds.toml:2:14: log_format must be"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn logs_on_a_terminal_print_above_the_progress_line_never_through_it() {
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!(
            "SKIPPED: logs_on_a_terminal_print_above_the_progress_line_never_through_it: `script` (util-linux) \
             is absent; install util-linux to run it"
        );
        return;
    }
    let server = FixtureServer::start();
    let workspace = failing_and_working(&server, "");
    let command = format!(
        "{} --config {} once",
        env!("CARGO_BIN_EXE_tidings"),
        workspace.config_path().display()
    );
    // `script` gives the binary a pseudo-terminal, so it draws its progress line and logs as on a terminal.
    let output = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env_remove("RUST_LOG")
        .current_dir(workspace.path())
        .output()
        .expect("script");
    let screen = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(screen.contains("feeds "), "no progress line:\n{screen:?}");
    let warning = screen
        .split(['\n'])
        .find(|line| line.contains("feed failed"))
        .unwrap_or_else(|| panic!("no warning:\n{screen:?}"));
    // Whatever the progress line had drawn on this terminal row was erased before the warning was written.
    let after_clear = warning.rsplit("\r\x1b[2K").next().unwrap_or(warning);
    assert!(after_clear.contains("feed failed"), "{warning:?}");
    assert!(
        !after_clear.contains("feeds "),
        "warning written through the progress line: {warning:?}"
    );
}

#[test]
fn each_log_line_names_its_url_once() {
    let server = FixtureServer::start();
    // A port nothing listens on: connection errors are where the HTTP client repeats the URL itself.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("free port");
    server.route(
        "/feed",
        Route::ok(
            "application/rss+xml",
            crate::support::pages::rss(&[("Gone story".into(), server.url("/gone"))]),
        ),
    );
    server.route("/broken", Route::status(500));
    let workspace = Workspace::new();
    workspace.write_config(&config_with(&format!(
        "{}{}{}",
        feed_entry("items", &server.url("/feed"), ""),
        feed_entry("broken", &server.url("/broken"), ""),
        feed_entry("refused", &format!("http://{closed}/feed"), "")
    )));
    let output = workspace
        .command(&["once"])
        .env("JOURNAL_STREAM", "8:12345")
        .output()
        .expect("run");
    let log = stderr(&output);
    let mut checked = Vec::new();
    for line in log.lines() {
        let Some(url) = line
            .split(' ')
            .find_map(|field| field.strip_prefix("url="))
            .map(|url| url.trim_matches('"'))
        else {
            continue;
        };
        assert_eq!(line.matches(url).count(), 1, "{url} more than once in: {line}");
        checked.push(line.split(" feed=").next().unwrap_or_default().to_string());
    }
    for message in ["<4>feed failed", "<4>item not written; will retry next poll"] {
        assert!(
            checked.iter().filter(|line| line.as_str() == message).count() >= 1,
            "no {message:?} line checked in:\n{log}"
        );
    }
    assert_eq!(
        checked.iter().filter(|line| *line == "<4>feed failed").count(),
        2,
        "{log}"
    );
}

//! A temporary folder holding one test's config, database and output, and a runner for the real binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub struct Workspace {
    pub dir: tempfile::TempDir,
}

impl Workspace {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn config_path(&self) -> PathBuf {
        self.path().join("feeds.toml")
    }

    pub fn write_config(&self, text: &str) {
        std::fs::write(self.config_path(), text).expect("write config");
    }

    pub fn output_dir(&self) -> PathBuf {
        self.path().join("articles")
    }

    /// Markdown files written so far, sorted by name (temporary files included, so tests can see leftovers).
    pub fn articles(&self) -> Vec<(String, String)> {
        let Ok(entries) = std::fs::read_dir(self.output_dir()) else {
            return Vec::new();
        };
        let mut files: Vec<(String, String)> = entries
            .filter_map(Result::ok)
            .map(|entry| {
                let name = entry.file_name().to_string_lossy().into_owned();
                let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
                (name, text)
            })
            .collect();
        files.sort();
        files
    }

    /// Runs `tidings --config <this workspace's feeds.toml> ARGS…` and waits for it.
    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run tidings")
    }

    /// Runs `tidings ARGS…` and asserts it exits 0, showing its output when not.
    pub fn run_ok(&self, args: &[&str]) -> Output {
        let output = self.run(args);
        assert_eq!(
            output.status.code(),
            Some(0),
            "tidings {args:?}\nstdout:\n{}\nstderr:\n{}",
            stdout(&output),
            stderr(&output)
        );
        output
    }

    /// Puts `settings` (whole lines) first in the config's `[settings]` table.
    pub fn add_settings(&self, settings: &str) {
        let config = std::fs::read_to_string(self.config_path()).expect("read config");
        self.write_config(&config.replacen("[settings]\n", &format!("[settings]\n{settings}"), 1));
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_tidings"));
        command
            .arg("--config")
            .arg(self.config_path())
            .args(args)
            .env("RUST_LOG", "info")
            .current_dir(self.path());
        command
    }
}

/// A config with fast politeness settings for loopback tests, followed by `feeds`.
pub fn config_with(feeds: &str) -> String {
    format!(
        "[settings]\ndatabase = \"tidings.db\"\noutput_dir = \"articles\"\nper_host_interval = \"0s\"\nper_host_concurrency = 4\ntimeout = \"5s\"\njitter = \"0s\"\n\n{feeds}"
    )
}

pub fn feed_entry(name: &str, url: &str, extra: &str) -> String {
    format!("[[feeds]]\nname = \"{name}\"\nurl = \"{url}\"\n{extra}\n")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Files under `root` at any depth whose extension is one of `extensions`, sorted.
pub fn files_under(root: &Path, extensions: &[&str]) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut folders = vec![root.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).expect("list").filter_map(Result::ok) {
            let path = entry.path();
            if path.is_dir() {
                folders.push(path);
            } else if path
                .extension()
                .is_some_and(|extension| extensions.iter().any(|wanted| extension == *wanted))
            {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// Splits a written file into its parsed front matter and body; panics with the file if it is not valid.
pub fn front_matter(text: &str) -> (serde_json::Value, String) {
    let rest = text
        .strip_prefix("---\n")
        .unwrap_or_else(|| panic!("no front matter:\n{text}"));
    let end = rest
        .find("\n---\n")
        .unwrap_or_else(|| panic!("front matter not closed:\n{text}"));
    let yaml: serde_json::Value = serde_saphyr::from_str(&rest[..end])
        .unwrap_or_else(|error| panic!("invalid YAML ({error}):\n{text}"));
    (yaml, rest[end + 5..].to_string())
}

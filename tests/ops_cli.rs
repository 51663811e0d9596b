//! Completions and the manual page, generated from the CLI definition, against the real binary.

use crate::support::workspace::{Workspace, stderr, stdout};

#[test]
fn completions_for_every_shell_name_each_command_and_bash_accepts_the_script() {
    let workspace = Workspace::new();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let output = workspace.run(&["completions", shell]);
        assert_eq!(output.status.code(), Some(0), "{shell}: {}", stderr(&output));
        let script = stdout(&output);
        for word in ["status", "articles", "json", "since", "search", "completions"] {
            assert!(script.contains(word), "{shell} script lacks {word}");
        }
    }
    let script = workspace.path().join("tidings.bash");
    std::fs::write(&script, stdout(&workspace.run(&["completions", "bash"]))).expect("write");
    let checked = std::process::Command::new("bash")
        .arg("-n")
        .arg(&script)
        .output()
        .expect("bash");
    assert!(checked.status.success(), "{}", stderr(&checked));
    assert_eq!(workspace.run(&["completions", "tcsh"]).status.code(), Some(2));
}

#[test]
fn man_page_is_roff_listing_the_commands() {
    let workspace = Workspace::new();
    let output = workspace.run(&["man"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let page = stdout(&output);
    assert!(
        page.starts_with(".ie") || page.starts_with(".TH"),
        "{}",
        &page[..80.min(page.len())]
    );
    assert!(page.contains(".TH tidings 1"), "{page}");
    for word in ["status", "articles", "completions", "\\-\\-config"] {
        assert!(page.contains(word), "man page lacks {word}");
    }
}

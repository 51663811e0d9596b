//! End to end with the real site builders: the hostile article rendered by preset hugo and jekyll builds with
//! zero errors, and the template syntax it quotes appears as text in the built HTML. Needs `hugo` and
//! `jekyll` (Debian packages); without them each test is skipped (see tests/support/external.rs).

use std::path::Path;
use std::process::Command;

use tidings::output::{self, Page, Preset};

use crate::output::hostile_article;
use crate::support::external::available;
use crate::support::workspace::files_under;

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("folders");
    std::fs::write(path, text).expect("write");
}

fn build(command: &mut Command, site: &Path) {
    let output = command.current_dir(site).output().expect("run the builder");
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "build failed:\n{log}");
    assert!(
        !log.to_lowercase().contains("error"),
        "errors in the build log:\n{log}"
    );
}

fn built_html(root: &Path) -> String {
    files_under(root, &["html"])
        .iter()
        .map(|page| std::fs::read_to_string(page).expect("read page"))
        .collect()
}

fn rendered(preset: Preset) -> String {
    let article = hostile_article("https://news.example/2025/09/27/hostile");
    output::render(preset, &Page::of(&article), false)
}

#[test]
fn hugo_builds_the_hostile_article_and_shows_quoted_shortcodes_as_text() {
    if !available(
        "hugo",
        "version",
        "hugo_builds_the_hostile_article_and_shows_quoted_shortcodes_as_text",
    ) {
        return;
    }
    let site = tempfile::tempdir().expect("site");
    let root = site.path();
    write(
        &root.join("hugo.toml"),
        "baseURL = \"http://example.test/\"\ntitle = \"t\"\n",
    );
    write(
        &root.join("layouts/_default/single.html"),
        "<html><body><h1>{{ .Title }}</h1>{{ .Content }}</body></html>",
    );
    write(
        &root.join("layouts/_default/list.html"),
        "<html><body>{{ range .Pages }}{{ .Title }}{{ end }}</body></html>",
    );
    write(&root.join("content/posts/hostile.md"), &rendered(Preset::Hugo));
    build(
        Command::new("hugo").arg("--destination").arg(root.join("public")),
        root,
    );
    let html = built_html(&root.join("public"));
    for quoted in [
        "{{&lt; youtube abc &gt;}}",
        "{{% notice %}}inner{{% /notice %}}",
        "{% include footer.html %}",
        "{{&lt; tweet 1 &gt;}}",
    ] {
        assert!(html.contains(quoted), "{quoted} not shown as text:\n{html}");
    }
}

#[test]
fn jekyll_builds_the_hostile_article_and_shows_quoted_liquid_as_text() {
    if !available(
        "jekyll",
        "--version",
        "jekyll_builds_the_hostile_article_and_shows_quoted_liquid_as_text",
    ) {
        return;
    }
    let site = tempfile::tempdir().expect("site");
    let root = site.path();
    write(&root.join("_config.yml"), "title: t\n");
    write(
        &root.join("_layouts/post.html"),
        "<html><body><h1>{{ page.title }}</h1>{{ content }}</body></html>",
    );
    write(
        &root.join("_posts/2025-09-27-hostile.md"),
        &rendered(Preset::Jekyll),
    );
    build(
        Command::new("jekyll")
            .arg("build")
            .arg("--destination")
            .arg(root.join("_site")),
        root,
    );
    let html = built_html(&root.join("_site"));
    for quoted in [
        "{% include footer.html %}",
        "{{ page.title }}",
        "{%- endraw -%}",
        "{{&lt; youtube abc &gt;}}",
    ] {
        assert!(html.contains(quoted), "{quoted} not shown as text:\n{html}");
    }
}

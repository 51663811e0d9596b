//! End to end with the real site builders: the hostile article rendered by preset hugo and jekyll builds with
//! zero errors, and the template syntax it quotes appears as text in the built HTML. Needs `hugo` and
//! `jekyll` (Debian packages); without them each test is skipped (see tests/support/external.rs).

use std::path::Path;
use std::process::Command;

use tidings::output::{self, Page, Preset};

use crate::output::hostile_article;
use crate::output_images::serve_story;
use crate::support::external::available;
use crate::support::server::FixtureServer;
use crate::support::workspace::{Workspace, config_with, feed_entry, files_under};

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

/// A Hugo site at `root` with the smallest layouts that show a page's title and content.
fn hugo_site(root: &Path) {
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
}

/// Builds the Hugo site at `root` into `public/`; the HTML of every page.
fn hugo_build(root: &Path) -> String {
    build(
        Command::new("hugo").arg("--destination").arg(root.join("public")),
        root,
    );
    built_html(&root.join("public"))
}

/// A Jekyll site at `root` with a post layout that shows the title and content.
fn jekyll_site(root: &Path) {
    write(&root.join("_config.yml"), "title: t\n");
    write(
        &root.join("_layouts/post.html"),
        "<html><body><h1>{{ page.title }}</h1>{{ content }}</body></html>",
    );
}

/// Builds the Jekyll site at `root` into `_site/`; the HTML of every page.
fn jekyll_build(root: &Path) -> String {
    build(
        Command::new("jekyll")
            .arg("build")
            .arg("--destination")
            .arg(root.join("_site")),
        root,
    );
    built_html(&root.join("_site"))
}

/// Runs tidings once against the story with images (see tests/output_images.rs), writing into `output_dir`
/// (relative to the workspace) with `settings`; the workspace and the name of the copy of image `a.png`.
fn poll_story_with_images(server: &FixtureServer, output_dir: &str, settings: &str) -> (Workspace, String) {
    serve_story(server);
    let workspace = Workspace::new();
    let config = config_with(&feed_entry("harbour", &server.url("/feed"), ""));
    workspace.write_config(&config.replace(
        "output_dir = \"articles\"",
        &format!("output_dir = \"{output_dir}\""),
    ));
    workspace.add_settings(settings);
    workspace.run_ok(&["once"]);
    let copy = format!(
        "{}.png",
        output::url_hash(&url::Url::parse(&server.url("/media/a.png")).expect("url"))
    );
    (workspace, copy)
}

#[test]
fn hugo_page_bundle_serves_its_downloaded_images_beside_the_page() {
    let test = "hugo_page_bundle_serves_its_downloaded_images_beside_the_page";
    if !available("hugo", "version", test) {
        return;
    }
    let server = FixtureServer::start();
    let (workspace, copy) = poll_story_with_images(
        &server,
        "site/content/posts",
        "preset = \"hugo\"\nfilename = \"{slug}/index.md\"\nimages = \"download\"\n",
    );
    let root = workspace.path().join("site");
    hugo_site(&root);
    let html = hugo_build(&root);
    assert!(html.contains(&format!("src=\"{copy}\"")), "{html}");
    let published = root.join("public/posts/harbour-bridge-reopens").join(&copy);
    assert!(published.is_file(), "{} not published", published.display());
}

#[test]
fn jekyll_post_links_downloaded_images_by_images_url() {
    let test = "jekyll_post_links_downloaded_images_by_images_url";
    if !available("jekyll", "--version", test) {
        return;
    }
    let server = FixtureServer::start();
    let (workspace, copy) = poll_story_with_images(
        &server,
        "site",
        "preset = \"jekyll\"\nfilename = \"_posts/{date}-{slug}.md\"\nimages = \"download\"\nimages_dir = \"assets/img\"\nimages_url = \"/assets/img\"\n",
    );
    let root = workspace.path().join("site");
    jekyll_site(&root);
    let html = jekyll_build(&root);
    assert!(html.contains(&format!("src=\"/assets/img/{copy}\"")), "{html}");
    assert!(root.join("_site/assets/img").join(&copy).is_file());
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
    hugo_site(root);
    write(&root.join("content/posts/hostile.md"), &rendered(Preset::Hugo));
    let html = hugo_build(root);
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
    jekyll_site(root);
    write(
        &root.join("_posts/2025-09-27-hostile.md"),
        &rendered(Preset::Jekyll),
    );
    let html = jekyll_build(root);
    for quoted in [
        "{% include footer.html %}",
        "{{ page.title }}",
        "{%- endraw -%}",
        "{{&lt; youtube abc &gt;}}",
    ] {
        assert!(html.contains(quoted), "{quoted} not shown as text:\n{html}");
    }
}

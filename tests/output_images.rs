//! `images = "download"` through the real binary: the cover and in-article images are copied beside a page
//! bundle (or into `images_dir`), the file points at the copies, a failed image keeps its remote URL and is
//! copied on a later poll, and what is not a raster image is never stored.

use crate::support::pages::{paragraphs, rss};
use crate::support::server::{FixtureServer, Route};
use crate::support::workspace::{Workspace, config_with, feed_entry, front_matter};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR fixture bytes";
const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F'];

/// A story page whose article holds two images, with an `og:image` cover.
pub(crate) fn serve_story(server: &FixtureServer) {
    let text: String = paragraphs("harbour")
        .iter()
        .map(|paragraph| format!("<p>{paragraph}</p>\n"))
        .collect();
    let page = format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Harbour bridge reopens</title>
<meta property="og:image" content="/media/cover.jpg"></head><body><main><article>
<h1>Harbour bridge reopens</h1>
{text}<figure><img src="/media/a.png" alt="The bridge at dawn"></figure>
<p>More words about the bridge follow the first picture, long enough to stay part of the article text.</p>
<figure><img src="/media/b.png" alt="Traffic on the bridge"></figure>
<p>The last paragraph closes the story after the second picture, again with enough words to be kept.</p>
</article></main></body></html>"#
    );
    server.route("/story", Route::ok("text/html; charset=utf-8", page));
    server.route("/media/cover.jpg", Route::ok("image/jpeg", JPEG));
    server.route("/media/a.png", Route::ok("image/png", PNG));
    server.route(
        "/feed",
        Route::ok(
            "application/rss+xml",
            rss(&[("Harbour bridge reopens".into(), server.url("/story"))]),
        ),
    );
}

fn workspace_with(server: &FixtureServer, settings: &str) -> Workspace {
    let workspace = Workspace::new();
    workspace.write_config(&config_with(&feed_entry("harbour", &server.url("/feed"), "")));
    workspace.add_settings(settings);
    workspace
}

fn once(workspace: &Workspace) {
    workspace.run_ok(&["once"]);
}

/// The name tidings gives the copy of `url`.
fn copy_name(url: &str, extension: &str) -> String {
    let url = url::Url::parse(url).expect("url");
    format!("{}.{extension}", tidings::output::url_hash(&url))
}

fn pending(workspace: &Workspace) -> u32 {
    rusqlite::Connection::open(workspace.path().join("tidings.db"))
        .expect("db")
        .query_row("SELECT count(*) FROM pending_files", [], |row| row.get(0))
        .expect("count")
}

#[test]
fn bundle_gets_its_images_beside_it_and_a_failed_one_is_copied_on_a_later_poll() {
    let server = FixtureServer::start();
    serve_story(&server);
    let workspace = workspace_with(&server, "images = \"download\"\nfilename = \"{slug}/index.md\"\n");
    once(&workspace);

    let bundle = workspace.output_dir().join("harbour-bridge-reopens");
    let text = std::fs::read_to_string(bundle.join("index.md")).expect("article");
    let (yaml, body) = front_matter(&text);
    let cover = copy_name(&server.url("/media/cover.jpg"), "jpg");
    let a = copy_name(&server.url("/media/a.png"), "png");
    let b = copy_name(&server.url("/media/b.png"), "png");
    assert_eq!(yaml["coverImage"], cover.as_str(), "{text}");
    assert_eq!(std::fs::read(bundle.join(&cover)).expect("cover copy"), JPEG);
    assert_eq!(std::fs::read(bundle.join(&a)).expect("image copy"), PNG);
    assert!(body.contains(&format!("![The bridge at dawn]({a})")), "{body}");
    assert!(
        body.contains(&format!(
            "![Traffic on the bridge]({})",
            server.url("/media/b.png")
        )),
        "the 404 image keeps its remote URL:\n{body}"
    );
    assert!(!bundle.join(&b).exists());
    assert_eq!(pending(&workspace), 1, "the failed image is recorded for a retry");

    // The image appears; the next poll copies it and rewrites the same file.
    server.route("/media/b.png", Route::ok("image/png", PNG));
    once(&workspace);
    let text = std::fs::read_to_string(bundle.join("index.md")).expect("article");
    assert!(text.contains(&format!("![Traffic on the bridge]({b})")), "{text}");
    assert_eq!(std::fs::read(bundle.join(&b)).expect("late copy"), PNG);
    assert_eq!(pending(&workspace), 0);
    assert_eq!(server.hits("/media/a.png"), 1, "a copy is fetched once");
    assert_eq!(server.hits("/story"), 1, "the article is not fetched again");
    assert_eq!(
        std::fs::read_dir(&bundle).expect("bundle").count(),
        4,
        "index.md and three images"
    );

    // A rebuild to flat files takes the copies along to images_dir and links them there.
    let config = std::fs::read_to_string(workspace.config_path()).expect("config");
    workspace.write_config(&config.replace("{slug}/index.md", "{slug}.md"));
    workspace.run_ok(&["rebuild"]);
    assert!(!bundle.exists(), "the emptied bundle folder goes");
    let text =
        std::fs::read_to_string(workspace.output_dir().join("harbour-bridge-reopens.md")).expect("moved");
    assert!(
        text.contains(&format!("coverImage: \"images/{cover}\"")),
        "{text}"
    );
    assert!(
        text.contains(&format!("![Traffic on the bridge](images/{b})")),
        "{text}"
    );
    assert_eq!(
        std::fs::read_dir(workspace.output_dir().join("images"))
            .expect("images")
            .count(),
        3
    );
}

#[test]
fn flat_files_share_images_dir_and_non_images_stay_remote() {
    let server = FixtureServer::start();
    serve_story(&server);
    // Declared a PNG, but an HTML page: never stored.
    server.route(
        "/media/b.png",
        Route::ok("image/png", "<html>not an image</html>"),
    );
    let workspace = workspace_with(&server, "images = \"download\"\nimages_dir = \"media/copies\"\n");
    once(&workspace);
    let names: Vec<String> = workspace.articles().into_iter().map(|(name, _)| name).collect();
    let article = names.iter().find(|name| name.ends_with(".md")).expect("article");
    let text = std::fs::read_to_string(workspace.output_dir().join(article)).expect("article");
    let (yaml, body) = front_matter(&text);
    let cover = copy_name(&server.url("/media/cover.jpg"), "jpg");
    let a = copy_name(&server.url("/media/a.png"), "png");
    assert_eq!(yaml["coverImage"], format!("media/copies/{cover}"));
    assert!(body.contains(&format!("(media/copies/{a})")), "{body}");
    assert!(body.contains(&server.url("/media/b.png")), "{body}");
    let copies = workspace.output_dir().join("media/copies");
    assert_eq!(std::fs::read_dir(&copies).expect("copies").count(), 2);
    assert_eq!(pending(&workspace), 0, "what is not an image is not retried");

    // Remote (the default) hot-links everything and copies nothing.
    let remote = workspace_with(&server, "");
    once(&remote);
    let (_, text) = &remote.articles()[0];
    assert!(text.contains(&server.url("/media/cover.jpg")), "{text}");
    assert!(!remote.output_dir().join("images").exists());
}

#[test]
fn images_and_images_dir_are_checked_in_the_config() {
    let parse = |settings: &str| {
        tidings::config::parse(
            &format!("[settings]\n{settings}\n"),
            std::path::Path::new("feeds.toml"),
        )
        .map(|config| config.settings.images_dir)
        .map_err(|error| error.to_string())
    };
    assert_eq!(parse("images = \"download\""), Ok("images".into()));
    assert_eq!(
        parse("images = \"copy\""),
        Err("feeds.toml:2:10: images must be \"remote\" or \"download\", not \"copy\"".into())
    );
    for outside in ["../img", "/var/www/img", "a/../../b", ""] {
        let error = parse(&format!("images_dir = {outside:?}")).expect_err(outside);
        assert!(
            error.contains("images_dir must be a folder inside output_dir"),
            "{error}"
        );
    }
}

#[test]
fn images_url_must_be_a_site_path_or_address() {
    let parse = |value: &str| {
        tidings::config::parse(
            &format!("[settings]\nimages_url = {value:?}\n"),
            std::path::Path::new("feeds.toml"),
        )
        .map(|config| config.settings.images_url)
        .map_err(|error| error.to_string())
    };
    assert_eq!(parse("/assets/img"), Ok(Some("/assets/img".into())));
    assert_eq!(
        parse("https://cdn.example/img"),
        Ok(Some("https://cdn.example/img".into()))
    );
    for bad in ["assets/img", "javascript:alert(1)", "/a b", "/a\"b"] {
        let error = parse(bad).expect_err(bad);
        assert!(
            error.contains("images_url must be a path from the site root"),
            "{error}"
        );
    }
}

#[test]
fn switching_to_download_copies_the_images_of_articles_already_written() {
    let server = FixtureServer::start();
    serve_story(&server);
    server.route("/media/b.png", Route::ok("image/png", PNG));
    let workspace = workspace_with(&server, "");
    once(&workspace);
    let name = workspace.articles()[0].0.clone();
    assert!(workspace.articles()[0].1.contains(&server.url("/media/a.png")));

    workspace.add_settings("images = \"download\"\n");
    workspace.run_ok(&["rebuild"]);
    assert_eq!(
        pending(&workspace),
        1,
        "rebuild cannot download; the next poll will"
    );
    once(&workspace);
    let text = std::fs::read_to_string(workspace.output_dir().join(&name)).expect("article");
    let a = copy_name(&server.url("/media/a.png"), "png");
    assert!(text.contains(&format!("(images/{a})")), "{text}");
    assert!(
        !text.contains(&server.url("/media/")),
        "every image is local:\n{text}"
    );
    assert_eq!(pending(&workspace), 0);
    assert_eq!(server.hits("/story"), 1, "the article is not fetched again");
}

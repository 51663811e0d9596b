//! Pages built to hurt the extractor (issue 7's extraction rows), through the real binary: deep nesting
//! finishes with the article and no crash; a page over the extraction budget is refused with the reason,
//! and in a poll the item falls back to the feed's own content.

use std::process::Output;

use crate::support::pages::{paragraphs, xml_escape};
use crate::support::server::{FixtureServer, Route};
use crate::support::workspace::{Workspace, config_with, feed_entry, front_matter, stderr, stdout};

const HTML: &str = "text/html; charset=utf-8";

const PROSE: &str = "The harbour authority said on Monday that the new breakwater, finished after three years of \
                     work and two storms, had already cut the swell inside the port by half.";

/// A page whose article is one paragraph, then `open` × `depth`, `words`, `close` × `depth`.
fn nested_page(open: &str, close: &str, depth: usize, words: &str) -> String {
    format!(
        "<!doctype html><html><head><title>Breakwater finished</title></head><body><article><p>{PROSE}</p>\
         {}{words}{}</article></body></html>",
        open.repeat(depth),
        close.repeat(depth)
    )
}

/// Runs `tidings extract --format text FILE` on `html`.
fn extract_file(html: &str) -> Output {
    let workspace = Workspace::new();
    let path = workspace.path().join("page.html");
    std::fs::write(&path, html).unwrap_or_else(|e| panic!("write page: {e}"));
    let path = path.to_string_lossy().into_owned();
    workspace.run(&["extract", "--format", "text", &path])
}

/// The deep page was extracted: exit 0 (not a signal), the article and the deep words in the text.
fn assert_extracted(output: &Output, words: &str) {
    assert_eq!(output.status.code(), Some(0), "stderr:\n{}", stderr(output));
    let text = stdout(output);
    assert!(text.contains("breakwater"), "{text}");
    assert!(text.contains(words), "{text}");
}

#[test]
fn deep_spans_5000_levels_extract_without_stack_overflow() {
    let page = nested_page("<span>", "</span>", 5_000, "words at the bottom of the spans");
    assert_extracted(&extract_file(&page), "words at the bottom of the spans");
}

#[test]
fn deep_blockquotes_5000_levels_extract_without_stack_overflow() {
    let page = nested_page(
        "<blockquote>",
        "</blockquote>",
        5_000,
        "words at the bottom of the quotes",
    );
    assert_extracted(&extract_file(&page), "words at the bottom of the quotes");
}

#[test]
fn deep_lists_5000_levels_extract_without_stack_overflow() {
    let page = nested_page(
        "<ul><li>item ",
        "</li></ul>",
        5_000,
        "words at the bottom of the lists",
    );
    assert_extracted(&extract_file(&page), "words at the bottom of the lists");
}

#[test]
fn nested_divs_100k_extract_within_budget() {
    let page = nested_page("<div>", "</div>", 100_000, "words at the bottom of the divs");
    assert_extracted(&extract_file(&page), "words at the bottom of the divs");
}

#[test]
fn huge_page_of_tiny_elements_16mb_is_refused_with_the_budget_reason() {
    let mut page = String::from("<!doctype html><html><body><p>");
    while page.len() < 16 * 1024 * 1024 {
        page.push_str("<i>a</i>");
    }
    let output = extract_file(&page);
    assert_eq!(output.status.code(), Some(1), "stderr:\n{}", stderr(&output));
    let errors = stderr(&output);
    assert!(errors.contains("nodes (extraction budget)"), "{errors}");
}

/// An RSS feed of one item whose description carries the whole story.
fn feed_with_content(title: &str, link: &str, paragraphs: &[String]) -> String {
    let content: String = paragraphs.iter().map(|p| format!("<p>{p}</p>")).collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>Port news</title>\
         <link>http://example.test/</link><description>d</description><item><title>{}</title><link>{}</link>\
         <pubDate>Mon, 29 Sep 2025 10:00:00 +0000</pubDate><description>{}</description></item></channel></rss>",
        xml_escape(title),
        xml_escape(link),
        xml_escape(&content)
    )
}

#[test]
fn deep_spans_page_in_a_poll_is_written() {
    let server = FixtureServer::start();
    let page = nested_page("<span>", "</span>", 5_000, "words at the bottom of the spans");
    server.route("/deep", Route::ok(HTML, page));
    let feed = feed_with_content("Breakwater finished", &server.url("/deep"), &[]);
    server.route("/feed", Route::ok("application/rss+xml", feed));
    let workspace = Workspace::new();
    workspace.write_config(&config_with(&feed_entry("port", &server.url("/feed"), "")));

    let output = workspace.run(&["once"]);
    assert_eq!(output.status.code(), Some(0), "stderr:\n{}", stderr(&output));
    let articles = workspace.articles();
    assert_eq!(articles.len(), 1, "{articles:?}");
    let (_, body) = front_matter(&articles[0].1);
    assert!(body.contains("words at the bottom of the spans"), "{body}");
}

#[test]
fn page_over_the_node_budget_in_a_poll_falls_back_to_the_feed_content() {
    let server = FixtureServer::start();
    // About 500,000 empty elements in 3.5 MB: over the node budget, under any sane page-size cap.
    let mut page = String::from("<!doctype html><html><body><p>");
    while page.len() < 3_500_000 {
        page.push_str("<i></i>");
    }
    server.route("/huge", Route::ok(HTML, page));
    let story = paragraphs("breakwater");
    let feed = feed_with_content("Breakwater finished", &server.url("/huge"), &story);
    server.route("/feed", Route::ok("application/rss+xml", feed));
    let workspace = Workspace::new();
    workspace.write_config(&config_with(&feed_entry("port", &server.url("/feed"), "")));

    let output = workspace.run(&["once"]);
    assert_eq!(output.status.code(), Some(0), "stderr:\n{}", stderr(&output));
    let log = stderr(&output);
    assert!(log.contains("extraction budget"), "{log}");
    let articles = workspace.articles();
    assert_eq!(articles.len(), 1, "{articles:?}");
    let (_, body) = front_matter(&articles[0].1);
    assert!(body.contains(&story[0]), "{body}");
}

mod walker_properties {
    //! Random deep and wide trees, well-formed or not, through every walk of the extractor (parse, index,
    //! cleaning, scoring, rendering, both entry points) on the test thread's small stack.

    use proptest::prelude::*;
    use url::Url;

    const TAGS: &[&str] = &[
        "div",
        "span",
        "p",
        "blockquote",
        "ul",
        "ol",
        "li",
        "table",
        "tr",
        "td",
        "a",
        "b",
        "em",
        "pre",
        "code",
        "h2",
        "figure",
        "figcaption",
        "section",
        "article",
        "dl",
        "dd",
        "svg",
        "noscript",
        "script",
        "textarea",
        "select",
        "template",
        "font",
    ];

    fn piece() -> impl Strategy<Value = String> {
        prop_oneof![
            prop::sample::select(TAGS).prop_map(|tag| format!("<{tag} class=\"x\">")),
            prop::sample::select(TAGS).prop_map(|tag| format!("</{tag}>")),
            Just("<br>".to_owned()),
            Just("<img src=\"/a.jpg\" alt=\"a\">".to_owned()),
            "[a-z ,.]{1,40}",
        ]
    }

    fn page() -> impl Strategy<Value = String> {
        (
            prop::collection::vec(piece(), 0..120),
            prop::sample::select(TAGS),
            0usize..4_000,
            prop::collection::vec(piece(), 0..60),
            0usize..4_000,
        )
            .prop_map(|(before, deep, depth, inside, closes)| {
                format!(
                    "<html><body>{}{}{}{}</body></html>",
                    before.concat(),
                    format!("<{deep}>").repeat(depth),
                    inside.concat(),
                    format!("</{deep}>").repeat(closes)
                )
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

        #[test]
        fn random_deep_and_wide_trees_never_panic_or_overflow(html in page()) {
            let url = Url::parse("https://example.com/a").map_err(|e| TestCaseError::fail(e.to_string()))?;
            let page = tidings::extract::extract(&html, &url, &Default::default());
            prop_assert!(page.is_ok(), "{page:?}");
            let fragment = tidings::extract::extract_fragment(&html, &url);
            prop_assert!(fragment.is_ok(), "{fragment:?}");
        }
    }
}

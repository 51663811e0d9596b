//! Feed reading (issue 8), end to end: fixture feeds in `tests/fixtures/feeds/` served by the loopback server,
//! read by the real binary's `once` with `fetch_article = false`, judged by the summary, `status` and the
//! written front matter. One test per class of the issue, named after it.

use std::collections::BTreeMap;

use crate::support::server::{FixtureServer, Route};
use crate::support::workspace::{Workspace, config_with, feed_entry, front_matter, stderr, stdout};

const RSS: &str = "application/rss+xml";
const ATOM: &str = "application/atom+xml";
const JSON: &str = "application/feed+json";

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/feeds/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
}

/// One `once` run over feeds given as `(feed name, body, content type)`.
struct Run {
    workspace: Workspace,
    output: std::process::Output,
}

impl Run {
    fn new(feeds: &[(&str, Vec<u8>, &str)]) -> Self {
        let server = FixtureServer::start();
        let mut entries = String::new();
        for (name, body, content_type) in feeds {
            let path = format!("/{name}");
            server.route(&path, Route::ok(content_type, body.clone()));
            entries.push_str(&feed_entry(name, &server.url(&path), "fetch_article = false"));
        }
        let workspace = Workspace::new();
        workspace.write_config(&config_with(&entries));
        let output = workspace.run(&["once"]);
        Self { workspace, output }
    }

    /// Runs fixture files, each feed named after its file.
    fn fixtures(files: &[(&str, &str)]) -> Self {
        let feeds: Vec<(&str, Vec<u8>, &str)> = files
            .iter()
            .map(|(file, content_type)| {
                (
                    file.split('.').next().unwrap_or(file),
                    fixture(file),
                    *content_type,
                )
            })
            .collect();
        Self::new(&feeds)
    }

    fn stdout(&self) -> String {
        stdout(&self.output)
    }

    fn stderr(&self) -> String {
        stderr(&self.output)
    }

    /// The summary row of `feed`: result, items, skipped, written, … as printed.
    fn row(&self, feed: &str) -> Vec<String> {
        self.stdout()
            .lines()
            .find(|line| line.split_whitespace().next() == Some(feed))
            .unwrap_or_else(|| panic!("no summary row for {feed}:\n{}\n{}", self.stdout(), self.stderr()))
            .split_whitespace()
            .skip(1)
            .map(str::to_string)
            .collect()
    }

    fn assert_result(&self, feed: &str, result: &str, items: usize) {
        let row = self.row(feed);
        assert_eq!(
            (row[0].as_str(), row[1].as_str()),
            (result, items.to_string().as_str()),
            "{feed}: {row:?}\n{}",
            self.stderr()
        );
    }

    /// Every written article's front matter, by title.
    fn articles(&self) -> BTreeMap<String, serde_json::Value> {
        self.workspace
            .articles()
            .iter()
            .map(|(_, text)| {
                let (meta, _) = front_matter(text);
                (meta["title"].as_str().unwrap_or_default().to_string(), meta)
            })
            .collect()
    }

    fn body_of(&self, title: &str) -> String {
        self.workspace
            .articles()
            .into_iter()
            .map(|(_, text)| front_matter(&text))
            .find(|(meta, _)| meta["title"] == title)
            .map(|(_, body)| body)
            .unwrap_or_else(|| panic!("no article titled {title:?}: {:?}", self.articles().keys()))
    }

    fn source_of(&self, title: &str) -> String {
        self.articles()
            .get(title)
            .unwrap_or_else(|| panic!("no article titled {title:?}: {:?}", self.articles().keys()))["source"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}

#[test]
fn rss_without_version_or_with_version_093_094_201_21_is_read() {
    let files = [
        "rss_no_version.xml",
        "rss_v093.xml",
        "rss_v094.xml",
        "rss_v201.xml",
        "rss_v21.xml",
    ];
    let run = Run::fixtures(&files.map(|file| (file, RSS)));
    assert_eq!(run.output.status.code(), Some(0), "{}", run.stderr());
    for file in files {
        run.assert_result(file.trim_end_matches(".xml"), "ok", 2);
    }
    assert_eq!(run.articles().len(), 10);
    assert_eq!(
        run.source_of("Version 2.1 first story"),
        "https://versions.example/v21/1"
    );
}

#[test]
fn atom_03_feed_is_read() {
    let run = Run::fixtures(&[("atom03.xml", ATOM)]);
    run.assert_result("atom03", "ok", 2);
    let articles = run.articles();
    let first = &articles["Atom zero three first entry"];
    assert_eq!(first["source"], "https://atom03.example/2025/first");
    assert_eq!(first["author"], "Ana Old");
    assert_eq!(first["date"], "2025-09-27");
    assert!(
        run.body_of("Atom zero three first entry")
            .contains("Escaped HTML content of the first entry.")
    );
    assert!(
        run.body_of("Atom zero three second entry")
            .contains("Plain summary of the second entry.")
    );
}

#[test]
fn rss_090_rdf_userland_namespace_and_rss_10_items_without_link_are_read() {
    let run = Run::fixtures(&[
        ("rss090_rdf.xml", RSS),
        ("userland.xml", RSS),
        ("rss10_no_link.xml", "application/rdf+xml"),
    ]);
    run.assert_result("rss090_rdf", "ok", 2);
    run.assert_result("userland", "ok", 1);
    run.assert_result("rss10_no_link", "ok", 2);
    assert_eq!(
        run.source_of("Old format second news"),
        "https://rss090.example/meldung/2"
    );
    assert_eq!(
        run.source_of("Userland first post"),
        "https://userland.example/2025/1"
    );
    assert_eq!(run.source_of("RDF item without link"), "https://rss10.example/a");
    assert_eq!(run.articles()["RDF item without link"]["date"], "2025-09-27");
}

#[test]
fn atom_text_of_unknown_type_costs_only_that_element() {
    let run = Run::fixtures(&[("atom_odd_types.xml", ATOM)]);
    run.assert_result("atom_odd_types", "ok", 3);
    let articles = run.articles();
    assert!(
        articles.contains_key("An xhtml typed title"),
        "{:?}",
        articles.keys()
    );
    assert!(
        articles.contains_key("A base64 encoded title"),
        "{:?}",
        articles.keys()
    );
    assert!(
        articles.contains_key("An empty typed title"),
        "{:?}",
        articles.keys()
    );
    let plain = run.body_of("A base64 encoded title");
    assert!(
        plain.contains("Plain content") && plain.contains("kept"),
        "{plain}"
    );
    assert!(
        run.body_of("An empty typed title")
            .contains("Summary beside binary content.")
    );
}

#[test]
fn cdf_channel_is_read() {
    let run = Run::fixtures(&[("cdf.xml", "application/x-cdf")]);
    run.assert_result("cdf", "ok", 2);
    assert_eq!(run.source_of("CDF first item"), "https://cdf.example/first.html");
    assert_eq!(
        run.source_of("CDF nested item"),
        "https://cdf.example/sub/second.html"
    );
    assert_eq!(run.articles()["CDF first item"]["date"], "2025-09-27");
}

#[test]
fn ill_formed_xml_mismatched_truncated_hex_reference_and_bare_ampersand_is_recovered() {
    let run = Run::fixtures(&[
        ("mismatched_end_tags.xml", RSS),
        ("truncated.xml", RSS),
        ("hex_reference_and_bare_ampersand.xml", RSS),
        ("bare_ampersand_without_items.xml", RSS),
    ]);
    run.assert_result("mismatched_end_tags", "ok", 2);
    run.assert_result("truncated", "ok", 2);
    run.assert_result("hex_reference_and_bare_ampersand", "ok", 1);
    run.assert_result("bare_ampersand_without_items", "empty", 0);
    assert_eq!(
        run.source_of("Misspelled end tag story"),
        "https://broken.example/mismatched/1"
    );
    assert_eq!(
        run.source_of("Unclosed item before me"),
        "https://broken.example/mismatched/2"
    );
    assert_eq!(
        run.source_of("Whole item before the cut"),
        "https://broken.example/truncated/1"
    );
    assert_eq!(
        run.source_of("Angström & Q&A © 2025"),
        "https://broken.example/refs/1?a=1&b=2"
    );
    assert!(run.stderr().contains("not well-formed XML"), "{}", run.stderr());
}

#[test]
fn json_feed_version_10_and_11_strings_are_read() {
    let run = Run::fixtures(&[
        ("json_version_10.json", JSON),
        ("json_version_11.json", "application/json"),
    ]);
    run.assert_result("json_version_10", "ok", 2);
    run.assert_result("json_version_11", "ok", 1);
    let articles = run.articles();
    assert_eq!(articles["JSON ten first"]["author"], "Jay Son");
    assert_eq!(run.source_of("JSON ten relative"), "https://json.example/10/2");
    assert_eq!(
        articles["JSON eleven numeric id"]["tags"],
        serde_json::json!(["json"])
    );
    assert_eq!(articles["JSON eleven numeric id"]["author"], "Eve Leven");
}

#[test]
fn json_feed_with_one_bad_unicode_escape_keeps_its_items() {
    let run = Run::fixtures(&[("json_bad_unicode_escape.json", JSON)]);
    run.assert_result("json_bad_unicode_escape", "ok", 2);
    assert!(
        run.articles()
            .contains_key("Escape \u{fffd}ZZZZ and lone \u{fffd} surrogate"),
        "{:?}",
        run.articles().keys()
    );
}

/// The fixture re-encoded: UTF-16 or UTF-32 in either byte order, no byte-order mark, declaring `label`.
fn wide(label: &str, unit: fn(char) -> Vec<u8>) -> Vec<u8> {
    let text = String::from_utf8(fixture("utf16_declared.xml")).expect("utf-8 fixture");
    text.replace("encoding=\"utf-16\"", &format!("encoding=\"{label}\""))
        .chars()
        .flat_map(unit)
        .collect()
}

fn utf16be(c: char) -> Vec<u8> {
    c.encode_utf16(&mut [0; 2])
        .iter()
        .flat_map(|unit| unit.to_be_bytes())
        .collect()
}

#[test]
fn utf32_and_utf16_without_bom_declared_le_or_be_are_read() {
    let run = Run::new(&[
        (
            "utf32be",
            wide("utf-32", |c| u32::from(c).to_be_bytes().to_vec()),
            RSS,
        ),
        (
            "utf32le",
            wide("utf-32le", |c| u32::from(c).to_le_bytes().to_vec()),
            RSS,
        ),
        (
            "utf16le",
            wide("utf-16le", |c| {
                c.encode_utf16(&mut [0; 2])
                    .iter()
                    .flat_map(|u| u.to_le_bytes())
                    .collect()
            }),
            RSS,
        ),
        ("utf16be", wide("utf-16be", utf16be), "text/xml; charset=utf-16be"),
    ]);
    for feed in ["utf32be", "utf32le", "utf16le", "utf16be"] {
        run.assert_result(feed, "ok", 1);
    }
    assert_eq!(
        run.source_of("Wide encoding story café 뉴스"),
        "https://wide.example/1"
    );
}

#[test]
fn utf16be_without_bom_declaring_utf16_does_not_panic_and_is_polled() {
    let run = Run::new(&[("utf16", wide("utf-16", utf16be), "text/xml; charset=utf-16")]);
    assert_eq!(run.output.status.code(), Some(0), "{}", run.stderr());
    run.assert_result("utf16", "ok", 1);
    assert!(!run.stderr().contains("panicked"), "{}", run.stderr());
    let status = stdout(&run.workspace.run(&["status"]));
    assert!(!status.contains("never polled"), "{status}");
}

#[test]
fn entries_with_non_url_ids_relative_guids_upper_case_http_and_link_text_are_read() {
    let run = Run::fixtures(&[("rss_links.xml", RSS), ("atom_links.xml", ATOM)]);
    run.assert_result("rss_links", "ok", 7);
    run.assert_result("atom_links", "ok", 5);
    assert_eq!(
        run.source_of("Relative guid under xml base"),
        "https://links.example/base/posts/b.html"
    );
    assert_eq!(run.source_of("Upper case scheme"), "http://links.example/Upper");
    assert_eq!(
        run.source_of("Tag id without any link"),
        "tag:links.example,2025:3"
    );
    assert_eq!(
        run.source_of("Link given as element text"),
        "https://links.example/atom/text-link"
    );
    assert_eq!(
        run.source_of("Relative href under xml base"),
        "https://links.example/atom/base/relative-entry"
    );
}

#[test]
fn comments_before_link_and_atom_edit_license_replies_links_never_become_the_article() {
    let run = Run::fixtures(&[("rss_links.xml", RSS), ("atom_links.xml", ATOM)]);
    assert_eq!(run.source_of("Comments come first"), "https://links.example/a");
    assert_eq!(
        run.source_of("Atom alternate inside RSS"),
        "https://links.example/f"
    );
    assert_eq!(
        run.source_of("Alternate comes last"),
        "https://links.example/atom/1"
    );
    assert_eq!(
        run.source_of("Edit and enclosure only"),
        "https://media.example/atom2.mp3"
    );
}

#[test]
fn enclosure_only_item_is_written_and_non_permalink_guid_is_never_the_link() {
    let run = Run::fixtures(&[("rss_links.xml", RSS)]);
    assert_eq!(
        run.source_of("Podcast episode one"),
        "https://media.example/episode1.mp3"
    );
    assert!(run.body_of("Podcast episode one").contains("Podcast episode one"));
    assert_eq!(run.source_of("Not a permalink"), "https://links.example/e");
    let opaque = run.source_of("Only a non-permalink guid");
    assert!(
        !opaque.starts_with("http"),
        "a non-permalink guid is not a web link: {opaque}"
    );
}

#[test]
fn duplicate_guids_and_links_keep_the_first_item_and_are_logged_once() {
    let first = Run::fixtures(&[("duplicate_guids.xml", RSS)]);
    let articles = first.articles();
    assert_eq!(articles.keys().collect::<Vec<_>>(), ["Dup first version"]);
    assert_eq!(
        first.stderr().matches("the first in the feed wins").count(),
        1,
        "{}",
        first.stderr()
    );
    for _ in 0..3 {
        let again = Run::fixtures(&[("duplicate_guids.xml", RSS)]);
        assert_eq!(again.articles().keys().collect::<Vec<_>>(), ["Dup first version"]);
    }
}

#[test]
fn dates_keep_the_publisher_offset_and_implausible_dates_give_way() {
    let run = Run::fixtures(&[("dates.xml", RSS)]);
    let articles = run.articles();
    assert_eq!(
        articles["Seoul morning story"]["date"], "2025-09-27",
        "08:00 KST is not the 26th"
    );
    assert_eq!(
        articles["Epoch date falls through"]["date"], "2025-09-20",
        "dc:date, in its own offset"
    );
    let today = chrono::Utc::now().date_naive().format("%Y-%m-%d").to_string();
    let future = articles["Far future date ignored"]["date"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(future <= today, "a date in 2999 is not used: {future}");
}

#[test]
fn titles_authors_and_tags_are_clean_text() {
    let run = Run::fixtures(&[("titles.xml", RSS)]);
    let articles = run.articles();
    let titles: Vec<&String> = articles.keys().collect();
    assert_eq!(
        titles,
        [
            "Breaking: bold move",
            "Escaped markup headline",
            "Price drops to £5 today",
            "Vec<T> and Option<T> explained",
        ]
    );
    let price = &articles["Price drops to £5 today"];
    assert_eq!(price["author"], "José Ramos");
    assert_eq!(price["tags"], serde_json::json!(["R&D"]));
    let body = run.body_of("Price drops to £5 today");
    assert!(body.contains("Now £5 only."), "{body:?}");
    assert!(!body.contains('\u{2}'), "{body:?}");
}

#[test]
fn feed_with_no_items_or_only_skipped_items_is_empty_not_ok() {
    let run = Run::fixtures(&[("empty.xml", RSS), ("all_skipped.xml", RSS)]);
    assert_eq!(run.output.status.code(), Some(0), "{}", run.stderr());
    run.assert_result("empty", "empty", 0);
    run.assert_result("all_skipped", "empty", 0);
    assert_eq!(
        run.row("all_skipped")[2],
        "2",
        "skipped column: {:?}",
        run.row("all_skipped")
    );
    assert!(run.stdout().contains("the feed has no items"), "{}", run.stdout());
    assert!(
        run.stdout().contains("all 2 items were skipped"),
        "{}",
        run.stdout()
    );
    assert!(run.stderr().contains("feed yields no items"), "{}", run.stderr());
    let status = stdout(&run.workspace.run(&["status"]));
    let row = status
        .lines()
        .find(|line| line.starts_with("all_skipped"))
        .unwrap_or_else(|| panic!("{status}"));
    assert!(
        row.contains("empty") && row.contains("all 2 items were skipped"),
        "{status}"
    );
    assert!(
        status
            .lines()
            .next()
            .is_some_and(|header| header.contains("skipped")),
        "{status}"
    );
}

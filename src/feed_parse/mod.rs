//! Feed parsing: raw feed bytes → [`ParsedFeed`] items with absolute links and clean text.
//!
//! Reads everything Python's feedparser reads, with our own tolerant reader on quick-xml (see the README's
//! dependency notes for why not feed-rs): RSS 0.90–2.x with any or no version, RSS 1.0/RDF, Userland RSS,
//! Atom 0.3 and 1.0, CDF and JSON Feed 1.0/1.1, in any encoding [`charset`] knows. One bad element costs
//! that element, one bad item that item, never the feed.
//!
//! ```text
//! bytes ─▶ charset ─▶ tree (tolerant XML) ─▶ dialect ─┐
//!                  └▶ json ───────────────────────────┴▶ entry (link, date, text choice) ─▶ identity ─▶ items
//! ```

mod dates;
mod dialect;
mod entry;
mod json;
mod text;
mod tree;

use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use url::Url;

use crate::charset;
use crate::schedule::{MAX_SERVER_WAIT, SkipTimes};

/// One item of a feed, with everything later stages may use.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedItem {
    /// The item's article URL, absolute (see `entry` for the order links are chosen in). A media-only item
    /// links its media; an item with only an opaque id is identified by a non-web URI (`tag:`, `urn:`).
    pub link: Url,
    /// Title text: entities decoded once, HTML rendered to text, control characters removed.
    pub title: Option<String>,
    /// Author names, duplicates removed, `jane@x (Jane Doe)` reduced to `Jane Doe`.
    pub authors: Vec<String>,
    /// The first plausible date (publication before update), in the publisher's own UTC offset.
    pub published: Option<DateTime<FixedOffset>>,
    /// When the publisher last changed the item (Atom `updated`, `dc:modified`, JSON `date_modified`), for
    /// `on_update = "rewrite"`.
    pub updated: Option<DateTime<FixedOffset>>,
    /// Category terms (labels when given), in feed order, duplicates removed.
    pub categories: Vec<String>,
    /// The item's full HTML content (`content:encoded`, Atom `content`, JSON `content_html`).
    pub content_html: Option<String>,
    /// The item's summary/description HTML.
    pub summary_html: Option<String>,
    /// An image the feed offers for the item: `media:content`/`media:thumbnail` of an image type, an image
    /// enclosure, `itunes:image`, JSON `image`.
    pub image: Option<Url>,
}

impl FeedItem {
    /// True when the link is a web page that can be fetched (not a media-less opaque id).
    pub fn has_web_link(&self) -> bool {
        matches!(self.link.scheme(), "http" | "https")
    }
}

/// The items of one feed and what it says about polling.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedFeed {
    pub items: Vec<FeedItem>,
    /// RSS `<ttl>`: how long the feed may be cached.
    pub ttl: Option<Duration>,
    /// RSS `<skipHours>`/`<skipDays>`: when the feed asks not to be polled.
    pub skip: SkipTimes,
    /// Items dropped because they had neither a link nor an id, or no text at all.
    pub skipped_items: usize,
    /// Why the first skipped item was skipped.
    pub skip_reason: Option<&'static str>,
    /// True when the XML was ill-formed and was recovered to be read.
    pub repaired: bool,
}

impl ParsedFeed {
    /// Why the feed yields nothing, when it does: the `empty` result's reason.
    pub fn empty_reason(&self) -> Option<String> {
        if !self.items.is_empty() {
            return None;
        }
        Some(match (self.skipped_items, self.skip_reason) {
            (0, _) => "the feed has no items".to_string(),
            (skipped, reason) => format!(
                "all {skipped} items were skipped ({})",
                reason.unwrap_or("unusable")
            ),
        })
    }
}

/// Why a body is not a feed.
#[derive(Debug, thiserror::Error)]
pub enum FeedParseError {
    #[error("{url}: not a feed: {reason}")]
    NotAFeed { url: Url, reason: String },
}

/// Parses `bytes` (as served, with the response's `Content-Type`) fetched from `url`: the entry point for
/// the pipeline, the bench and the fuzz target. Never panics.
pub fn parse(bytes: &[u8], content_type: Option<&str>, url: &Url) -> Result<ParsedFeed, FeedParseError> {
    let not_a_feed = |reason: String| FeedParseError::NotAFeed {
        url: url.clone(),
        reason,
    };
    let decoded = charset::decode(bytes, content_type);
    let text = decoded
        .text
        .trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    let (entries, ttl_minutes, skip, repaired) = if text.starts_with('{') {
        let entries = json::read(text, url).map_err(not_a_feed)?;
        (entries, None, SkipTimes::default(), false)
    } else {
        let (root, repaired) = tree::read(text).ok_or_else(|| not_a_feed("no XML element found".into()))?;
        match dialect::read(&root, url) {
            Ok(feed) => (feed.entries, feed.ttl_minutes, feed.skip, repaired),
            // Junk before the feed (a PHP warning, an HTML preamble): read from the first feed root instead.
            Err(reason) => match after_preamble(text).and_then(tree::read) {
                Some((root, _)) => match dialect::read(&root, url) {
                    Ok(feed) => (feed.entries, feed.ttl_minutes, feed.skip, true),
                    Err(_) => return Err(not_a_feed(reason)),
                },
                None => return Err(not_a_feed(reason)),
            },
        }
    };

    let mut parsed = ParsedFeed {
        items: Vec::with_capacity(entries.len()),
        // Clamped like every server hint, here already, so no caller can do arithmetic with a huge value.
        ttl: ttl_minutes.map(|minutes| Duration::from_secs(minutes.saturating_mul(60)).min(MAX_SERVER_WAIT)),
        skip,
        skipped_items: 0,
        skip_reason: None,
        repaired,
    };
    for entry in entries {
        match entry.into_item(url) {
            Ok(item) => parsed.items.push(item),
            Err(skip) => {
                parsed.skipped_items += 1;
                parsed.skip_reason.get_or_insert(skip.reason());
            }
        }
    }
    Ok(parsed)
}

/// The text from the first element that opens a feed, when something else comes before it.
fn after_preamble(text: &str) -> Option<&str> {
    let lower = text.to_ascii_lowercase();
    ["<rss", "<feed", "<rdf:rdf", "<channel"]
        .iter()
        .filter_map(|root| lower.find(root))
        .min()
        .filter(|at| *at > 0)
        .map(|at| &text[at..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://news.example/feed/").expect("url")
    }

    fn rss(items: &str) -> String {
        format!(
            "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>T</title><ttl>60</ttl>{items}</channel></rss>"
        )
    }

    #[test]
    fn relative_links_entities_and_authors() {
        let feed = rss(
            "<item><title>Caf&amp;eacute; &amp;amp; more</title><link>/2025/a?x=1</link>\
             <author>jane@example.com (Jane Doe)</author><category>AI</category><category>ai</category></item>",
        );
        let parsed = parse(feed.as_bytes(), None, &base()).expect("parses");
        let item = &parsed.items[0];
        assert_eq!(item.link.as_str(), "https://news.example/2025/a?x=1");
        assert_eq!(item.title.as_deref(), Some("Café & more"));
        assert_eq!(item.authors, ["Jane Doe"]);
        assert_eq!(item.categories, ["AI"]);
        assert_eq!(parsed.ttl, Some(Duration::from_secs(3600)));
    }

    #[test]
    fn skip_hours_and_days_are_read_and_ttl_is_clamped() {
        let feed = rss(
            "<skipHours><hour>0</hour><hour> 1 </hour><hour>24</hour><hour>x</hour></skipHours>\
             <skipDays><day>Saturday</day><day>sunday</day><day>Someday</day></skipDays>\
             <item><title>A</title><link>https://a.example/1</link></item>",
        )
        .replace("<ttl>60</ttl>", "<ttl>99999999999999</ttl>");
        let parsed = parse(feed.as_bytes(), None, &base()).expect("parses");
        assert_eq!(
            parsed.skip,
            SkipTimes::new([0, 1], [chrono::Weekday::Sat, chrono::Weekday::Sun])
        );
        assert_eq!(parsed.ttl, Some(MAX_SERVER_WAIT));
        let every_hour: String = (0..24).map(|hour| format!("<hour>{hour}</hour>")).collect();
        let feed = rss(&format!("<skipHours>{every_hour}</skipHours>"));
        let parsed = parse(feed.as_bytes(), None, &base()).expect("parses");
        assert!(parsed.skip.is_empty(), "skipping every hour is ignored");
    }

    #[test]
    fn ill_formed_xml_is_recovered() {
        let cases = [
            (
                "bare ampersand",
                rss(
                    "<item><title>Q&A time</title><link>https://a.example/1</link></item><item><title>B</title><link>https://a.example/2</link></item>",
                ),
            ),
            (
                "missing description end",
                rss(
                    "<item><title>A</title><link>https://a.example/1</link><description>text</item><item><title>B</title><link>https://a.example/2</link></item>",
                ),
            ),
            (
                "missing item end",
                rss(
                    "<item><title>A</title><link>https://a.example/1</link><item><title>B</title><link>https://a.example/2</link></item>",
                ),
            ),
            (
                "html entity",
                rss(
                    "<item><title>A&nbsp;&eacute;</title><link>https://a.example/1</link></item><item><title>B</title><link>https://a.example/2</link></item>",
                ),
            ),
        ];
        for (name, feed) in cases {
            let parsed =
                parse(feed.as_bytes(), None, &base()).unwrap_or_else(|error| panic!("{name}: {error}"));
            assert_eq!(parsed.items.len(), 2, "{name}: {parsed:?}");
            assert_eq!(parsed.items[1].link.as_str(), "https://a.example/2", "{name}");
        }
        let entity = rss("<item><title>A&nbsp;&eacute;</title><link>https://a.example/1</link></item>");
        let parsed = parse(entity.as_bytes(), None, &base()).expect("html entities are not fatal");
        assert_eq!(parsed.items[0].title.as_deref(), Some("A é"));
        let truncated =
            rss("<item><title>A</title><link>https://a.example/1</link></item><item><title>B</ti");
        let truncated = &truncated[..truncated.len() - "</channel></rss>".len()];
        let parsed =
            parse(truncated.as_bytes(), None, &base()).expect("truncated feed keeps its whole items");
        assert_eq!(parsed.items[0].link.as_str(), "https://a.example/1");
    }

    #[test]
    fn junk_before_the_feed_is_skipped() {
        let feed = format!(
            "<br />\n<b>Warning</b>: something in <b>x.php</b><br />\n{}",
            rss("<item><title>A</title><link>https://a.example/1</link></item>")
        );
        let parsed = parse(feed.as_bytes(), None, &base()).expect("feed after a PHP warning");
        assert_eq!(parsed.items.len(), 1);
    }

    #[test]
    fn html_page_is_not_a_feed() {
        let error = parse(
            b"<!doctype html><html><body>hi</body></html>",
            Some("text/html"),
            &base(),
        )
        .expect_err("html is not a feed");
        assert!(error.to_string().contains("HTML page"), "{error}");
    }

    #[test]
    fn undeclared_euc_kr_feed_decodes() {
        let feed = rss(
            "<item><title>인공지능 뉴스: 정부가 새로운 계획을 발표했다</title><link>https://a.example/1</link></item>",
        );
        let bytes = encoding_rs::EUC_KR.encode(&feed).0;
        let parsed = parse(&bytes, Some("application/xml"), &base()).expect("parses");
        assert_eq!(
            parsed.items[0].title.as_deref(),
            Some("인공지능 뉴스: 정부가 새로운 계획을 발표했다")
        );
    }
}

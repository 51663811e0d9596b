//! Feed parsing: raw feed bytes → [`ParsedFeed`] items with absolute links and decoded text.
//!
//! Owns everything between "the server sent bytes" and "here are the items": charset detection (feed-rs
//! misreads undeclared legacy encodings), recovery of ill-formed XML (feed-rs gives up on a single bare `&`
//! or missing end tag), HTML entities left in titles, and relative links. RSS 0.9x/1.0/2.0, Atom and JSON
//! Feed all come through feed-rs.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use quick_xml::events::{BytesEnd, Event};
use url::Url;

use crate::charset;

/// One item of a feed, with everything later stages may use.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedItem {
    /// The item's article URL, absolute: the `alternate` link, else the first link, else an id that is a URL.
    pub link: Url,
    /// Title text with HTML entities decoded and whitespace collapsed.
    pub title: Option<String>,
    /// Author names, duplicates removed, `jane@x (Jane Doe)` reduced to `Jane Doe`.
    pub authors: Vec<String>,
    pub published: Option<DateTime<Utc>>,
    /// Category terms (labels when given), in feed order, duplicates removed.
    pub categories: Vec<String>,
    /// The item's full HTML content (`content:encoded`, Atom `content`, JSON `content_html`).
    pub content_html: Option<String>,
    /// The item's summary/description HTML.
    pub summary_html: Option<String>,
    /// An image the feed offers for the item: `media:content`/`media:thumbnail` of an image type, else an
    /// image enclosure.
    pub image: Option<Url>,
}

/// The items of one feed and what it says about polling.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedFeed {
    pub items: Vec<FeedItem>,
    /// RSS `<ttl>`: how long the feed may be cached.
    pub ttl: Option<Duration>,
    /// Items dropped because they had no usable link.
    pub skipped_items: usize,
    /// True when the XML was ill-formed and had to be repaired to be read.
    pub repaired: bool,
}

/// Why a body is not a feed.
#[derive(Debug, thiserror::Error)]
pub enum FeedParseError {
    #[error("{url}: not a feed: {reason}")]
    NotAFeed { url: Url, reason: String },
}

/// Parses `bytes` (as served, with the response's `Content-Type`) fetched from `url`.
pub fn parse(bytes: &[u8], content_type: Option<&str>, url: &Url) -> Result<ParsedFeed, FeedParseError> {
    let decoded = charset::decode(bytes, content_type);
    let text = decoded
        .text
        .trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    let looks_like_json = text.starts_with('{');
    let as_utf8 = if looks_like_json {
        text.to_string()
    } else {
        with_utf8_prolog(text)
    };

    let (feed, repaired) = match parse_with_feed_rs(&as_utf8, url) {
        Ok(feed) => (feed, false),
        Err(first_error) if !looks_like_json => {
            let repaired_xml = repair_xml(&as_utf8);
            match parse_with_feed_rs(&repaired_xml, url) {
                Ok(feed) if !feed.entries.is_empty() => (feed, true),
                _ => return Err(not_a_feed(url, first_error, text)),
            }
        }
        Err(error) => return Err(not_a_feed(url, error, text)),
    };

    let mut skipped_items = 0;
    let items = feed
        .entries
        .into_iter()
        .filter_map(|entry| {
            let item = convert_entry(entry, url);
            skipped_items += usize::from(item.is_none());
            item
        })
        .collect();
    Ok(ParsedFeed {
        items,
        ttl: feed
            .ttl
            .map(|minutes| Duration::from_secs(u64::from(minutes) * 60)),
        skipped_items,
        repaired,
    })
}

fn not_a_feed(url: &Url, error: feed_rs::parser::ParseFeedError, text: &str) -> FeedParseError {
    let reason = if text
        .get(..512)
        .unwrap_or(text)
        .to_ascii_lowercase()
        .contains("<html")
    {
        "the server sent an HTML page".to_string()
    } else {
        error.to_string()
    };
    FeedParseError::NotAFeed {
        url: url.clone(),
        reason,
    }
}

fn parse_with_feed_rs(
    text: &str,
    url: &Url,
) -> Result<feed_rs::model::Feed, feed_rs::parser::ParseFeedError> {
    feed_rs::parser::Builder::new()
        .base_uri(Some(url.as_str()))
        .build()
        .parse(text.as_bytes())
}

/// We hand feed-rs UTF-8, so an XML prolog must not claim another encoding.
fn with_utf8_prolog(text: &str) -> String {
    if let Some(rest) = text.strip_prefix("<?xml")
        && let Some(end) = rest.find("?>")
    {
        let attributes = &rest[..end];
        let without_encoding: String = attributes
            .split_whitespace()
            .filter(|attribute| !attribute.to_ascii_lowercase().starts_with("encoding"))
            .collect::<Vec<_>>()
            .join(" ");
        return format!(
            "<?xml {without_encoding} encoding=\"UTF-8\"?>{}",
            &rest[end + 2..]
        );
    }
    text.to_string()
}

fn convert_entry(entry: feed_rs::model::Entry, feed_url: &Url) -> Option<FeedItem> {
    let base = entry
        .base
        .as_deref()
        .and_then(|base| feed_url.join(base).ok())
        .unwrap_or_else(|| feed_url.clone());
    let resolve = |href: &str| {
        base.join(href.trim())
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https"))
    };
    let link = entry
        .links
        .iter()
        .filter(|link| link.rel.as_deref().is_none_or(|rel| rel == "alternate"))
        .chain(entry.links.iter())
        .find_map(|link| resolve(&link.href))
        .or_else(|| resolve(&entry.id).filter(|_| entry.id.starts_with("http")))?;

    let mut authors: Vec<String> = Vec::new();
    for person in &entry.authors {
        let name = person_name(person.name.as_deref().unwrap_or(""));
        if !name.is_empty() && !authors.contains(&name) {
            authors.push(name);
        }
    }
    let mut categories: Vec<String> = Vec::new();
    for category in &entry.categories {
        let term = clean_text(category.label.as_deref().unwrap_or(&category.term));
        if !term.is_empty() && !categories.iter().any(|known| known.eq_ignore_ascii_case(&term)) {
            categories.push(term);
        }
    }
    let media_images = entry
        .media
        .iter()
        .flat_map(|media| media.content.iter())
        .filter(|content| {
            content
                .content_type
                .as_ref()
                .is_none_or(|media_type| media_type.ty() == "image")
        })
        .filter_map(|content| content.url.as_ref().map(Url::as_str));
    let thumbnails = entry
        .media
        .iter()
        .flat_map(|media| media.thumbnails.iter())
        .map(|thumbnail| thumbnail.image.uri.as_str());
    let image_enclosures = entry
        .links
        .iter()
        .filter(|link| link.rel.as_deref() == Some("enclosure"))
        .filter(|link| {
            link.media_type
                .as_deref()
                .is_some_and(|media_type| media_type.starts_with("image/"))
        })
        .map(|link| link.href.as_str());
    let image = media_images
        .chain(thumbnails)
        .chain(image_enclosures)
        .find_map(resolve);

    Some(FeedItem {
        link,
        title: entry
            .title
            .map(|title| clean_text(&title.content))
            .filter(|title| !title.is_empty()),
        authors,
        published: entry.published.or(entry.updated),
        categories,
        content_html: entry
            .content
            .and_then(|content| content.body)
            .filter(|body| !body.trim().is_empty()),
        summary_html: entry
            .summary
            .map(|summary| summary.content)
            .filter(|summary| !summary.trim().is_empty()),
        image,
    })
}

/// `jane@example.com (Jane Doe)` → `Jane Doe`; a bare address stays as it is.
fn person_name(raw: &str) -> String {
    let cleaned = clean_text(raw);
    if let Some(inner) = cleaned.strip_prefix('(').and_then(|rest| rest.strip_suffix(')')) {
        return inner.trim().to_string();
    }
    if let (Some(open), true) = (cleaned.find('('), cleaned.ends_with(')')) {
        let inner = cleaned[open + 1..cleaned.len() - 1].trim();
        if cleaned[..open].contains('@') && !inner.is_empty() {
            return inner.to_string();
        }
    }
    cleaned
}

/// Decodes HTML entities that survived XML parsing (`&amp;eacute;` in the source becomes `&eacute;` after
/// XML decoding, and publishers mean `é`), drops tags some feeds put in titles, collapses whitespace.
pub fn clean_text(raw: &str) -> String {
    let decoded = if raw.contains('&') || raw.contains('<') {
        let fragment = scraper::Html::parse_fragment(raw);
        fragment.root_element().text().collect::<String>()
    } else {
        raw.to_string()
    };
    decoded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Rewrites ill-formed XML into well-formed XML, keeping every item that can be kept: escapes bare `&`,
/// turns HTML-only named entities into character references, drops characters XML forbids, closes elements
/// left open (a missing `</description>` or `</item>`, a truncated file) and drops stray end tags.
pub fn repair_xml(text: &str) -> String {
    let start = text.find('<').unwrap_or(0);
    let escaped = escape_stray_ampersands(&text[start..]);
    let mut reader = quick_xml::Reader::from_str(&escaped);
    let config = reader.config_mut();
    config.check_end_names = false;
    config.allow_unmatched_ends = true;
    config.allow_dangling_amp = true;
    let mut writer = quick_xml::Writer::new(Vec::with_capacity(escaped.len()));
    let mut open: Vec<String> = Vec::new();
    loop {
        let event = match reader.read_event() {
            Ok(Event::Eof) | Err(_) => break,
            Ok(event) => event,
        };
        let written = match event {
            Event::Start(start) => {
                let name = start.name().into_inner().to_string();
                // Unprefixed RSS/Atom elements never nest in themselves: a second <item> while one is open
                // means the first was never closed.
                if !name.contains(':')
                    && let Some(depth) = open.iter().rposition(|open_name| *open_name == name)
                {
                    close_down_to(&mut writer, &mut open, depth);
                }
                open.push(name);
                writer.write_event(Event::Start(start))
            }
            Event::End(end) => {
                let name = end.name().into_inner().to_string();
                match open.iter().rposition(|open_name| *open_name == name) {
                    Some(depth) => {
                        close_down_to(&mut writer, &mut open, depth);
                        Ok(())
                    }
                    None => Ok(()),
                }
            }
            Event::DocType(_) => Ok(()),
            other => writer.write_event(other),
        };
        if written.is_err() {
            break;
        }
    }
    close_down_to(&mut writer, &mut open, 0);
    String::from_utf8_lossy(&writer.into_inner()).into_owned()
}

fn close_down_to(writer: &mut quick_xml::Writer<Vec<u8>>, open: &mut Vec<String>, depth: usize) {
    while open.len() > depth {
        if let Some(name) = open.pop() {
            let _ = writer.write_event(Event::End(BytesEnd::new(name)));
        }
    }
}

/// `&` not starting a valid reference becomes `&amp;`; `&name;` that XML does not define becomes a numeric
/// reference when HTML defines it, else is escaped; characters XML 1.0 forbids are dropped.
fn escape_stray_ampersands(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 32);
    let mut html_entities: HashMap<&str, Option<String>> = HashMap::new();
    let mut rest = text;
    while let Some(at) = rest.find(|c: char| c == '&' || (c < ' ' && !matches!(c, '\t' | '\n' | '\r'))) {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        if !tail.starts_with('&') {
            rest = &tail[tail.chars().next().map_or(1, char::len_utf8)..];
            continue;
        }
        let reference_end = tail[1..].find(';').map(|end| end + 1).filter(|end| *end <= 32);
        let name = reference_end.map(|end| &tail[1..end]);
        match name {
            Some(name) if is_xml_reference(name) => {
                out.push_str(&tail[..=name.len() + 1]);
                rest = &tail[name.len() + 2..];
            }
            Some(name) if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric()) => {
                let decoded = html_entities.entry(name).or_insert_with(|| {
                    let text = clean_text(&format!("&{name};"));
                    (text != format!("&{name};")).then_some(text)
                });
                match decoded {
                    Some(text) => text
                        .chars()
                        .for_each(|c| out.push_str(&format!("&#{};", u32::from(c)))),
                    None => out.push_str(&format!("&amp;{name};")),
                }
                rest = &tail[name.len() + 2..];
            }
            _ => {
                out.push_str("&amp;");
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn is_xml_reference(name: &str) -> bool {
    matches!(name, "amp" | "lt" | "gt" | "quot" | "apos")
        || name
            .strip_prefix("#x")
            .or_else(|| name.strip_prefix("#X"))
            .is_some_and(|hex| !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit()))
        || name
            .strip_prefix('#')
            .is_some_and(|digits| !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()))
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

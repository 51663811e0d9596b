//! Feed discovery for `tidings add` (issue 12): given a feed or a web page, find the feed. A page's
//! `<link rel="alternate">` feeds come first, then the usual paths (`/feed`, `/rss.xml`, `/atom.xml`,
//! `/index.xml`, `/feed.json`). Only candidates on the page's own host are tried: a page cannot send tidings
//! to another (possibly internal) address.

use url::Url;

use crate::feed_parse::{self, ParsedFeed};
use crate::fetch::{FetchOutcome, Fetcher};

/// The paths tried when a page names no feed.
pub const USUAL_PATHS: &[&str] = &["/feed", "/rss.xml", "/atom.xml", "/index.xml", "/feed.json"];

/// A feed found and read.
#[derive(Debug)]
pub struct Discovered {
    /// The feed's URL (after redirects).
    pub url: Url,
    /// The feed's own title, if it has one.
    pub title: Option<String>,
    pub feed: ParsedFeed,
}

/// Why no feed was found.
#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    #[error("{url}: {reason}")]
    Fetch { url: Url, reason: String },
    #[error("{url}: not a feed, and no feed found at its <link rel=\"alternate\"> or {}", USUAL_PATHS.join(", "))]
    NotFound { url: Url },
}

/// Fetches `url`; if it is a feed, that is the answer, otherwise its candidates are tried in order.
pub async fn discover(fetcher: &Fetcher, url: &Url) -> Result<Discovered, DiscoverError> {
    let (final_url, body, content_type) =
        fetch(fetcher, url).await.map_err(|reason| DiscoverError::Fetch {
            url: url.clone(),
            reason,
        })?;
    if let Some(found) = read_feed(&final_url, &body, content_type.as_deref()) {
        return Ok(found);
    }
    let html = String::from_utf8_lossy(&body);
    for candidate in candidates(&html, &final_url) {
        if let Ok((feed_url, body, content_type)) = fetch(fetcher, &candidate).await
            && let Some(found) = read_feed(&feed_url, &body, content_type.as_deref())
        {
            return Ok(found);
        }
    }
    Err(DiscoverError::NotFound { url: url.clone() })
}

async fn fetch(fetcher: &Fetcher, url: &Url) -> Result<(Url, Vec<u8>, Option<String>), String> {
    match fetcher.get(url, None).await {
        Ok(FetchOutcome::Fetched(response)) => Ok((response.final_url, response.body, response.content_type)),
        Ok(FetchOutcome::NotModified { .. }) => Err("unexpected 304".into()),
        Err(error) => Err(error.to_string()),
    }
}

fn read_feed(url: &Url, body: &[u8], content_type: Option<&str>) -> Option<Discovered> {
    let looks_like_html = content_type.is_some_and(|value| value.contains("html"));
    if looks_like_html {
        return None;
    }
    let feed = feed_parse::parse(body, content_type, url).ok()?;
    Some(Discovered {
        url: url.clone(),
        title: feed_title(body),
        feed,
    })
}

/// The feed URLs a page offers, then the usual paths, resolved against `page` and kept to its host, without
/// repeats.
pub fn candidates(html: &str, page: &Url) -> Vec<Url> {
    let document = scraper::Html::parse_document(html);
    let mut found: Vec<Url> = Vec::new();
    if let Ok(selector) = scraper::Selector::parse("link[rel][href]") {
        for link in document.select(&selector) {
            let element = link.value();
            let alternate = element.attr("rel").is_some_and(|rel| {
                rel.split_ascii_whitespace()
                    .any(|word| word.eq_ignore_ascii_case("alternate"))
            });
            let feed_type = element.attr("type").is_some_and(|kind| {
                let kind = kind.to_ascii_lowercase();
                kind.contains("rss") || kind.contains("atom") || kind.contains("feed+json")
            });
            if alternate
                && feed_type
                && let Some(url) = element.attr("href").and_then(|href| page.join(href.trim()).ok())
            {
                found.push(url);
            }
        }
    }
    found.extend(USUAL_PATHS.iter().filter_map(|path| page.join(path).ok()));
    let mut unique: Vec<Url> = Vec::new();
    for url in found {
        if url.host() == page.host()
            && url.port_or_known_default() == page.port_or_known_default()
            && !unique.contains(&url)
        {
            unique.push(url);
        }
    }
    unique
}

/// The feed's own title: JSON Feed `title`, else the first `<title>` in the XML (the channel's or feed's).
pub fn feed_title(body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    if text.trim_start().starts_with('{') {
        let json: serde_json::Value = serde_json::from_str(&text).ok()?;
        return json["title"]
            .as_str()
            .map(str::trim)
            .filter(|title| !title.is_empty())
            .map(String::from);
    }
    // The first <title> element in document order is the channel's (RSS) or the feed's (Atom): both put it
    // before any item.
    let pattern =
        regex::Regex::new(r"(?s)<(?:[A-Za-z0-9]+:)?title\b[^>]*>(.*?)</(?:[A-Za-z0-9]+:)?title>").ok()?;
    let inner = pattern.captures(&text)?.get(1)?.as_str();
    let inner = inner
        .trim()
        .trim_start_matches("<![CDATA[")
        .trim_end_matches("]]>");
    let title = scraper::Html::parse_fragment(inner)
        .root_element()
        .text()
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    (!title.is_empty()).then_some(title)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_links_come_first_and_other_hosts_are_ignored() {
        let page = Url::parse("http://news.test/blog/post").expect("url");
        let html = r#"<html><head>
            <link rel="alternate" type="application/atom+xml" href="/blog/atom">
            <link rel="stylesheet" href="/style.css">
            <link rel="alternate" type="application/rss+xml" href="http://169.254.169.254/feed">
            </head></html>"#;
        let found: Vec<String> = candidates(html, &page).iter().map(ToString::to_string).collect();
        assert_eq!(found[0], "http://news.test/blog/atom");
        assert_eq!(found[1], "http://news.test/feed");
        assert!(!found.iter().any(|url| url.contains("169.254")), "{found:?}");
        assert_eq!(found.len(), 1 + USUAL_PATHS.len());
    }

    #[test]
    fn titles_of_rss_atom_and_json_feeds() {
        assert_eq!(
            feed_title(
                b"<rss><channel><title>Daily &amp; Co</title><item><title>x</title></item></channel></rss>"
            ),
            Some("Daily & Co".into())
        );
        assert_eq!(feed_title(br#"{"version":"x","title":" J "}"#), Some("J".into()));
        assert_eq!(feed_title(b"<feed><id>x</id></feed>"), None);
    }
}

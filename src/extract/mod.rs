//! Extraction: one decoded HTML page → one [`Article`] (title, author, date, cover, excerpt, language, body).
//!
//! The boundary is a single function, [`extract`]; everything else in this folder is private to it.

use chrono::{DateTime, FixedOffset};
use url::Url;

/// What a careful human would copy from an article page.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Article {
    /// Headline without a " – Site Name" suffix. JSON-LD `headline`, then `og:title`/`twitter:title`, then
    /// the page's `<h1>`, then `<title>`. `None` when the page has none of them.
    pub title: Option<String>,
    /// Byline. JSON-LD `author.name`, then `<meta name=author>`/`article:author`, then a byline element.
    pub author: Option<String>,
    /// Publication time. JSON-LD `datePublished`, then `article:published_time`, then `<time datetime>`.
    pub published: Option<DateTime<FixedOffset>>,
    /// Meta description, else the first paragraph; at most ~160 chars, cut at a word boundary with "…".
    pub excerpt: Option<String>,
    /// `og:image`/`twitter:image`, else JSON-LD `image`, else the first large in-article image. Absolute.
    pub cover_image: Option<Url>,
    /// BCP 47-ish primary tag (`en`, `ko`, …): `<html lang>`, else detected from the body text.
    pub language: Option<String>,
    /// The body as Markdown: headings, lists, quotes, code, tables, links and images kept; URLs absolute.
    pub markdown: String,
    /// The body as plain text, paragraphs separated by blank lines.
    pub text: String,
}

/// Per-site overrides from feeds.toml (`content_selector`, `remove_selectors`), already validated.
#[derive(Debug, Clone, Default)]
pub struct ExtractOptions {
    /// When set and it matches, the body is taken from the first matching element instead of scoring.
    pub content_selector: Option<scraper::Selector>,
    /// Elements removed before anything else looks at the page.
    pub remove_selectors: Vec<scraper::Selector>,
}

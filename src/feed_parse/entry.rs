//! One feed entry's raw candidates → a [`FeedItem`]: which link is the article, which date, which text.
//!
//! Link choice (issue 8): the RSS `<link>` (or the CDF `HREF`), then a guid that is a permalink, then the RDF
//! item URI, then Atom's `rel="alternate"` link (HTML first), then an Atom id that is a URL; comments, edit,
//! license, self and replies links never. An item with none of these but an enclosure (a podcast episode) links
//! its media; an item with nothing but an opaque id (`tag:…`, `urn:…`, `12345`) is identified by that id so
//! its own text can still be written. Relative links and guids resolve against `xml:base` and the feed URL;
//! `HTTP://` in capitals is a web link like any other.

use url::Url;

use super::FeedItem;
use super::dates;
use super::text::{TextKind, clean_html, clean_line};

/// What a dialect found in one item, before any choice is made.
#[derive(Debug, Clone)]
pub(super) struct Entry {
    /// The item's base URL: the feed URL joined with every `xml:base` down to the item.
    pub base: Url,
    /// Article-link candidates, best first.
    pub links: Vec<String>,
    /// Media URLs, the link only for media-only items.
    pub enclosures: Vec<String>,
    pub id: Option<String>,
    pub title: Option<(String, TextKind)>,
    pub authors: Vec<String>,
    pub categories: Vec<String>,
    /// Date texts, best source first.
    pub dates: Vec<String>,
    /// Update-date texts (the subset of `dates` that says when the item last changed).
    pub updated: Vec<String>,
    pub content_html: Option<String>,
    pub summary_html: Option<String>,
    pub images: Vec<String>,
}

/// Why an entry could not become an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Skip {
    /// No link, enclosure or id at all.
    NoIdentity,
    /// Nothing to show: no title and no text.
    NoText,
}

impl Skip {
    pub fn reason(self) -> &'static str {
        match self {
            Skip::NoIdentity => "no link, enclosure or id",
            Skip::NoText => "no title and no text",
        }
    }
}

impl Entry {
    pub fn new(base: Url) -> Self {
        Self {
            base,
            links: Vec::new(),
            enclosures: Vec::new(),
            id: None,
            title: None,
            authors: Vec::new(),
            categories: Vec::new(),
            dates: Vec::new(),
            updated: Vec::new(),
            content_html: None,
            summary_html: None,
            images: Vec::new(),
        }
    }

    fn resolve(&self, href: &str) -> Option<Url> {
        let href = href.trim();
        if href.is_empty() {
            return None;
        }
        self.base
            .join(href)
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https") && url.host().is_some())
    }

    /// The entry as an item, or why it is skipped. `feed_url` scopes opaque ids.
    pub fn into_item(self, feed_url: &Url) -> Result<FeedItem, Skip> {
        let title = self
            .title
            .as_ref()
            .map(|(text, kind)| clean_line(text, *kind))
            .filter(|title| !title.is_empty());
        let content_html = self
            .content_html
            .as_deref()
            .map(clean_html)
            .filter(|html| !html.trim().is_empty());
        let summary_html = self
            .summary_html
            .as_deref()
            .map(clean_html)
            .filter(|html| !html.trim().is_empty());
        if title.is_none() && content_html.is_none() && summary_html.is_none() && self.enclosures.is_empty() {
            return Err(Skip::NoText);
        }
        let article_link = self.links.iter().find_map(|href| self.resolve(href));
        let media_link = match article_link {
            Some(_) => None,
            None => self.enclosures.iter().find_map(|href| self.resolve(href)),
        };
        let link = article_link
            .or_else(|| media_link.clone())
            .or_else(|| self.id.as_deref().and_then(|id| identity_url(id, feed_url)))
            .ok_or(Skip::NoIdentity)?;
        let mut authors: Vec<String> = Vec::new();
        for raw in &self.authors {
            let name = person_name(raw);
            if !name.is_empty() && !authors.iter().any(|known| known.eq_ignore_ascii_case(&name)) {
                authors.push(name);
            }
        }
        let mut categories: Vec<String> = Vec::new();
        for raw in &self.categories {
            let term = clean_line(raw, TextKind::Sniff);
            if !term.is_empty() && !categories.iter().any(|known| known.eq_ignore_ascii_case(&term)) {
                categories.push(term);
            }
        }
        // A media-only item (a podcast episode) is written from the feed's own text, linking the media.
        let summary_html = match (&content_html, summary_html, &title) {
            (None, None, Some(title)) if media_link.is_some() => Some(format!("<p>{}</p>", escape(title))),
            (_, summary, _) => summary,
        };
        Ok(FeedItem {
            published: dates::first_plausible(self.dates.iter().map(String::as_str)),
            updated: dates::first_plausible(self.updated.iter().map(String::as_str)),
            image: self.images.iter().find_map(|href| self.resolve(href)),
            link,
            title,
            authors,
            categories,
            content_html,
            summary_html,
        })
    }
}

fn escape(text: &str) -> String {
    let mut out = String::new();
    super::tree::escape_into(&mut out, text, false);
    out
}

/// An id that is not a web link still identifies the item: used as it is when it is an absolute URI
/// (`tag:`, `urn:`), else made one, scoped to the feed so `1` in two feeds are two items. An `http` id that
/// was not a link candidate (a guid with `isPermaLink="false"`) is wrapped too, so it is never fetched.
fn identity_url(id: &str, feed_url: &Url) -> Option<Url> {
    let id = id.trim();
    if id.is_empty() {
        return None;
    }
    if let Ok(url) = Url::parse(id)
        && !matches!(url.scheme(), "http" | "https")
    {
        return Some(url);
    }
    let scoped: String =
        url::form_urlencoded::byte_serialize(format!("{feed_url}#{id}").as_bytes()).collect();
    Url::parse(&format!("urn:x-tidings-item:{scoped}")).ok()
}

/// `jane@example.com (Jane Doe)` → `Jane Doe`; a bare address stays as it is.
fn person_name(raw: &str) -> String {
    let cleaned = clean_line(raw, TextKind::Sniff);
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

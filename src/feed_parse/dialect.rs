//! The XML feed dialects, read from the tolerant tree: RSS 0.90–2.x with any or no version attribute,
//! RSS 1.0/RDF, Userland's namespaced RSS, Atom 0.3 and 1.0, and CDF (`<CHANNEL>` with `HREF` items).
//! Each item becomes an [`Entry`] of raw candidates; choosing among them is [`super::entry`]'s job.
//! An element this reader does not understand is skipped, never fatal.

use base64::Engine as _;
use chrono::Weekday;
use url::Url;

use crate::schedule::SkipTimes;

use super::entry::Entry;
use super::text::TextKind;
use super::tree::{Element, Ns};

/// What the XML document held.
pub(super) struct XmlFeed {
    pub entries: Vec<Entry>,
    /// RSS `<ttl>` in minutes.
    pub ttl_minutes: Option<u64>,
    /// RSS `<skipHours>` and `<skipDays>`.
    pub skip: SkipTimes,
}

/// Reads the entries of any supported dialect; the error is why the document is not a feed.
pub(super) fn read(root: &Element, feed_url: &Url) -> Result<XmlFeed, String> {
    let base = rebase(feed_url, root);
    match root.name.as_str() {
        "rss" | "rdf" | "channel" | "scriptingnews" => Ok(read_rss(root, &base)),
        "feed" => Ok(XmlFeed {
            entries: root
                .elements()
                .filter(|element| element.name == "entry" && matches!(element.ns, Ns::Atom | Ns::Rss))
                .map(|entry| read_entry(entry, &rebase(&base, entry)))
                .collect(),
            ttl_minutes: None,
            skip: SkipTimes::default(),
        }),
        "html" => Err("the server sent an HTML page".into()),
        other => Err(format!(
            "the document's root element <{other}> is not RSS, Atom or CDF"
        )),
    }
}

/// `base` joined with the element's `xml:base`, when it has a usable one.
fn rebase(base: &Url, element: &Element) -> Url {
    element
        .attr("xml:base")
        .and_then(|relative| base.join(relative.trim()).ok())
        .unwrap_or_else(|| base.clone())
}

fn read_rss(root: &Element, base: &Url) -> XmlFeed {
    let mut entries = Vec::new();
    let mut ttl_minutes = None;
    let (mut skip_hours, mut skip_days) = (Vec::new(), Vec::new());
    // CDF nests channels in channels; RSS 0.90/1.0 put items beside the channel, not in it.
    let mut containers: Vec<(&Element, Url)> = vec![(root, base.clone())];
    while let Some((container, base)) = containers.pop() {
        let mut items = Vec::new();
        for child in container.elements() {
            match (child.ns, child.name.as_str()) {
                (Ns::Rss, "channel") => containers.push((child, rebase(&base, child))),
                (Ns::Rss, "item") => items.push(read_entry(child, &rebase(&base, child))),
                (Ns::Rss, "ttl") => ttl_minutes = child.text().trim().parse().ok().or(ttl_minutes),
                (Ns::Rss, "skiphours") => skip_hours
                    .extend(children_text(child, "hour").filter_map(|hour| hour.trim().parse::<u32>().ok())),
                (Ns::Rss, "skipdays") => skip_days
                    .extend(children_text(child, "day").filter_map(|day| day.trim().parse::<Weekday>().ok())),
                _ => {}
            }
        }
        entries.extend(items);
    }
    XmlFeed {
        entries,
        ttl_minutes,
        skip: SkipTimes::new(skip_hours, skip_days),
    }
}

/// The text of each `name` child of `element`.
fn children_text<'a>(element: &'a Element, name: &'a str) -> impl Iterator<Item = String> + 'a {
    element
        .elements()
        .filter(move |child| child.ns == Ns::Rss && child.name == name)
        .map(Element::text)
}

/// Date sources by preference: publication before update, the dialect's own element before borrowed ones.
fn date_rank(ns: Ns, name: &str) -> Option<u8> {
    Some(match (ns, name) {
        (Ns::Rss, "pubdate") | (Ns::Atom, "published") => 0,
        (Ns::Dc, "date") | (Ns::Atom, "issued") | (Ns::Dc, "issued") => 1,
        (Ns::Atom, "created") | (Ns::Dc, "created") => 2,
        (Ns::Atom, "updated") | (Ns::Atom, "modified") | (Ns::Dc, "modified") => 3,
        _ => return None,
    })
}

/// Ranks from this on are update dates (see [`date_rank`]).
const UPDATE_RANK: u8 = 3;

/// One RSS item or Atom entry (or CDF `ITEM`) as raw candidates.
fn read_entry(item: &Element, base: &Url) -> Entry {
    let mut entry = Entry::new(base.clone());
    let mut rss_links = Vec::new();
    let mut guid_link = None;
    let mut alternates: Vec<(bool, String)> = Vec::new();
    let mut dates: Vec<(u8, String)> = Vec::new();
    // CDF: <ITEM HREF="…" LASTMOD="…">; RDF: <item rdf:about="…">.
    if let Some(href) = item.attr("href") {
        rss_links.push(href.to_string());
    }
    if let Some(lastmod) = item.attr("lastmod") {
        dates.push((4, lastmod.to_string()));
        entry.updated.push(lastmod.to_string());
    }
    let about = item.attr("rdf:about").map(str::to_string);

    let mut children: Vec<&Element> = item.elements().collect();
    let mut index = 0;
    // A namespace-less `<feed>` still speaks Atom inside its entries.
    let atom_without_namespace = item.name == "entry";
    while let Some(child) = children.get(index).copied() {
        index += 1;
        let ns = if atom_without_namespace && child.ns == Ns::Rss {
            Ns::Atom
        } else {
            child.ns
        };
        if let Some(rank) = date_rank(ns, &child.name) {
            if rank >= UPDATE_RANK {
                entry.updated.push(child.text());
            }
            dates.push((rank, child.text()));
            continue;
        }
        match (ns, child.name.as_str()) {
            (Ns::Rss | Ns::Dc, "title") | (Ns::Atom, "title") if entry.title.is_none() => {
                entry.title = text_construct(child, ns != Ns::Atom);
            }
            (Ns::Rss, "link") => {
                let href = child.attr("href").map_or_else(|| child.text(), str::to_string);
                if !href.is_empty() {
                    rss_links.push(href);
                }
            }
            (Ns::Rss, "guid") => {
                let guid = child.text();
                let permalink = child
                    .attr("ispermalink")
                    .is_none_or(|value| !value.trim().eq_ignore_ascii_case("false"));
                if permalink && looks_like_link(&guid) {
                    guid_link = Some(guid.clone());
                }
                if !guid.is_empty() {
                    entry.id = Some(guid);
                }
            }
            (Ns::Atom, "link") => {
                let href = child.attr("href").map_or_else(|| child.text(), str::to_string);
                let rel = child
                    .attr("rel")
                    .map_or("alternate".into(), |rel| rel.trim().to_ascii_lowercase());
                match rel.as_str() {
                    "alternate" | "" => {
                        let html = child.attr("type").is_none_or(|kind| kind.contains("html"));
                        alternates.push((html, href));
                    }
                    "enclosure" => entry.enclosures.push(href),
                    // comments, edit, edit-media, license, self, replies, related, via: never the article.
                    _ => {}
                }
            }
            (Ns::Atom | Ns::Dc, "id" | "identifier") if entry.id.is_none() => {
                let id = child.text();
                if !id.is_empty() {
                    entry.id = Some(id);
                }
            }
            (Ns::Rss, "enclosure") => {
                if let Some(url) = child.attr("url") {
                    if child
                        .attr("type")
                        .is_some_and(|kind| kind.trim().starts_with("image/"))
                    {
                        entry.images.push(url.to_string());
                    }
                    entry.enclosures.push(url.to_string());
                }
            }
            (Ns::Media, "group") => children.extend(child.elements()),
            (Ns::Media, "content") => {
                if let Some(url) = child.attr("url") {
                    let image = child.attr("medium").is_some_and(|medium| medium == "image")
                        || child.attr("type").is_some_and(|kind| kind.starts_with("image/"));
                    if image {
                        entry.images.push(url.to_string());
                    } else {
                        entry.enclosures.push(url.to_string());
                    }
                }
            }
            (Ns::Media, "thumbnail") => entry.images.extend(child.attr("url").map(str::to_string)),
            (Ns::Itunes, "image") => entry.images.extend(child.attr("href").map(str::to_string)),
            (Ns::Rss | Ns::Dc, "description") | (Ns::Rss, "abstract") | (Ns::Atom, "summary")
                if entry.summary_html.is_none() =>
            {
                entry.summary_html = html_construct(child, ns != Ns::Atom);
            }
            (Ns::Itunes | Ns::Media, "summary" | "description") if entry.summary_html.is_none() => {
                entry.summary_html = html_construct(child, false);
            }
            (Ns::Content, "encoded") | (Ns::Xhtml, "body") | (Ns::Atom, "content")
                if entry.content_html.is_none() =>
            {
                entry.content_html = html_construct(child, ns != Ns::Atom);
            }
            (Ns::Rss | Ns::Atom | Ns::Itunes, "author") | (Ns::Dc, "creator") => {
                let name = child
                    .child(Ns::Atom, "name")
                    .or_else(|| child.child(Ns::Rss, "name"));
                let name = name.map_or_else(|| child.text(), Element::text);
                if !name.is_empty() {
                    entry.authors.push(name);
                }
            }
            (Ns::Rss, "category") | (Ns::Dc, "subject") => {
                let term = child.text();
                if !term.is_empty() {
                    entry.categories.push(term);
                }
            }
            (Ns::Atom, "category") => {
                if let Some(term) = child.attr("label").or_else(|| child.attr("term")) {
                    entry.categories.push(term.to_string());
                }
            }
            _ => {}
        }
    }
    // The order: RSS <link>, a permalink guid, RDF's item URI, Atom's alternate (HTML first), then an
    // Atom id that is a URL. Enclosures come last, only for items with nothing else (see `entry`).
    alternates.sort_by_key(|(html, _)| !*html);
    entry.links = rss_links
        .into_iter()
        .chain(guid_link)
        .chain(about)
        .chain(alternates.into_iter().map(|(_, href)| href))
        .collect();
    if item.name == "entry"
        && let Some(id) = entry.id.as_ref().filter(|id| is_absolute_web_url(id))
    {
        entry.links.push(id.clone());
    }
    dates.sort_by_key(|(rank, _)| *rank);
    entry.dates = dates.into_iter().map(|(_, date)| date).collect();
    entry
}

/// A guid worth trying as a link: an absolute http(s) URL in any case, or a path (`/2025/a`, `posts/1.html`).
fn looks_like_link(guid: &str) -> bool {
    is_absolute_web_url(guid)
        || (!guid.contains(char::is_whitespace)
            && (guid.starts_with('/') || guid.starts_with("./") || guid.starts_with("../"))
            || (guid.contains('/') && !guid.contains(':') && !guid.contains(char::is_whitespace)))
}

fn is_absolute_web_url(text: &str) -> bool {
    let lower = text.trim().get(..8).unwrap_or(text).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// An Atom text construct (or an RSS text) as text plus how to read it. A `type` this reader does not know
/// costs nothing: the element is read as text.
fn text_construct(element: &Element, undeclared: bool) -> Option<(String, TextKind)> {
    let kind = element.attr("type").unwrap_or("").trim().to_ascii_lowercase();
    let mode = element.attr("mode").unwrap_or("").trim().to_ascii_lowercase();
    let (text, kind) = if mode == "base64" || kind == "base64" {
        let html = kind.contains("html");
        (
            decode_base64(&element.text())?,
            if html { TextKind::Html } else { TextKind::Plain },
        )
    } else if kind == "xhtml" || kind.ends_with("xhtml+xml") || (element.has_elements() && !undeclared) {
        (xhtml_inner(element), TextKind::Html)
    } else if kind == "html" || kind.ends_with("/html") || mode == "escaped" {
        (element.text(), TextKind::Html)
    } else if !(kind.is_empty() || kind == "text" || kind.starts_with("text/") || kind.contains("xml")) {
        // Binary content (`image/png`): not text to show; the element is skipped, not the entry.
        return None;
    } else if undeclared {
        if element.has_elements() {
            (xhtml_inner(element), TextKind::Html)
        } else {
            (element.text(), TextKind::Sniff)
        }
    } else {
        (element.text(), TextKind::Plain)
    };
    (!text.trim().is_empty()).then_some((text, kind))
}

/// A body element as HTML, whatever its construct type.
fn html_construct(element: &Element, undeclared: bool) -> Option<String> {
    if element.attr("src").is_some() && element.name == "content" {
        return None;
    }
    let (text, kind) = text_construct(element, undeclared)?;
    Some(match kind {
        TextKind::Plain => super::text::text_to_html(&text),
        TextKind::Html | TextKind::Sniff => text,
    })
}

/// Atom xhtml content: the children of the wrapping `<div>` (RFC 4287 §3.1.1.3), else of the element.
fn xhtml_inner(element: &Element) -> String {
    let mut elements = element.elements();
    match (elements.next(), elements.next()) {
        (Some(div), None) if div.name == "div" && element.text() == div.text() => div.inner_html(),
        _ => element.inner_html(),
    }
}

fn decode_base64(text: &str) -> Option<String> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD.decode(compact).ok()?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

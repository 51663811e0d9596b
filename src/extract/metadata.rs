//! Page metadata: title, author, publication date, cover image, description, language and site name.
//!
//! Precedence, most deliberate source first:
//! 1. JSON-LD article objects (`NewsArticle`, `Article`, `BlogPosting`, … also inside `@graph`/arrays);
//! 2. OpenGraph/Twitter/article meta (`og:title`, `twitter:title`, `article:published_time`,
//!    `article:author` unless it is a profile URL, `og:image`, `twitter:image`, `og:locale`);
//! 3. plain meta (`author`, `byl`, `parsely-author`, `date`, `pubdate`, `parsely-pub-date`, `dc.date`, …);
//! 4. the document itself: `<h1>`/`<title>`, `<time datetime>`, a visible byline ("By Jane Doe").
//!
//! Titles lose a trailing (or leading) site name such as " – Site", " | Site", " :: Site" only when the
//! separated part is recognisably the site (`og:site_name`, `application-name`, JSON-LD publisher, host
//! name) or the rest equals the page's `<h1>`, so headlines that merely contain a dash survive.

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset};
use url::Url;

use super::boilerplate::contains_ignore_case;
use super::byline::{self, Evidence, clean_author};
use super::dates::{date_in_path, find_date_in_text, parse_date};
use super::dom::Dom;
use super::jsonld::{self, JsonLdArticle};
use super::text::{decode_leftover_references, normalize};

#[derive(Debug, Default)]
pub(super) struct Metadata {
    pub base: Option<Url>,
    pub title: Option<String>,
    pub author: Option<String>,
    pub published: Option<DateTime<FixedOffset>>,
    pub image: Option<Url>,
    pub description: Option<String>,
    pub language: Option<String>,
    pub article_body: Option<String>,
}

const TITLE_SEPARATORS: &[&str] = &[
    " | ", " – ", " — ", " - ", " :: ", " · ", " • ", " » ", " « ", " / ", " ~ ", "｜",
];
const AUTHOR_KEYS: &[&str] = &[
    "article:author",
    "dc:creator",
    "dcterm:creator",
    "dcterms:creator",
    "author",
    "byl",
    "parsely-author",
    "sailthru.author",
    "dc.creator",
];
const DATE_KEYS: &[&str] = &[
    "article:published_time",
    "og:published_time",
    "datepublished",
    "date",
    "pubdate",
    "parsely-pub-date",
    "dc.date",
    "dc.date.issued",
    "dcterms.date",
    "dcterms.created",
    "publish-date",
    "publish_date",
    "publishdate",
    "publish-time",
    "publishtime",
    "publication_date",
    "sailthru.date",
    "article.published",
];

/// What one sweep over the document collects before anything is cleaned away.
#[derive(Default)]
struct Scan {
    meta: HashMap<String, String>,
    json_ld: Vec<String>,
    html_lang: Option<String>,
    base_href: Option<String>,
    title: Option<String>,
    h1: Vec<String>,
    /// The best `<time>` so far and its rank (see the `time` arm of [`scan`]).
    time: Option<(u8, String)>,
    byline: Option<String>,
    /// The first unmarked byline ("By …" line, author-page link), used when no element is marked as one.
    loose_byline: Option<String>,
    dateline: Option<String>,
}

pub(super) fn read(dom: &Dom, url: &Url) -> Metadata {
    let scan = scan(dom);
    let base = scan
        .base_href
        .as_deref()
        .and_then(|href| url.join(href).ok())
        .unwrap_or_else(|| url.clone());
    let ld = jsonld::parse(&scan.json_ld).unwrap_or_default();
    let meta = |key: &str| scan.meta.get(key).map(String::as_str).filter(|v| !v.is_empty());

    // A page whose only <h1> is its logo names the site there, as <title> shows: "Headline | Site".
    let (site_h1, headline_h1): (Vec<&String>, Vec<&String>) = scan
        .h1
        .iter()
        .partition(|h| scan.title.as_deref().is_some_and(|t| is_title_site_part(t, h)));
    let sites: Vec<String> = [
        meta("og:site_name"),
        meta("application-name"),
        ld.publisher.as_deref(),
    ]
    .into_iter()
    .flatten()
    .map(str::to_owned)
    .chain(host_label(&base))
    .chain(site_h1.into_iter().cloned())
    .collect();
    let document_title = scan.title.as_deref().map(normalize).filter(|t| !t.is_empty());
    let title = [ld_title(&ld, document_title.as_deref())]
        .into_iter()
        .chain(TITLE_KEYS.iter().map(|k| meta(k)))
        .flatten()
        .map(|t| normalize(&decode_leftover_references(t)))
        // A meta title that is the site's own name ("Yahoo News - Latest News") is no headline.
        .find(|t| !t.is_empty() && !names_whole_site(t, &scan))
        .or_else(|| page_title(document_title, headline_h1.first().map(|h| h.as_str())))
        .map(|t| normalize(&decode_leftover_references(&t)))
        .map(|t| strip_site_name(&t, &sites, &scan.h1));

    let author = ld
        .author
        .clone()
        .or_else(|| AUTHOR_KEYS.iter().filter_map(|k| meta(k)).find_map(clean_author))
        .or_else(|| scan.byline.clone())
        .or_else(|| scan.loose_byline.clone())
        .or_else(|| ld.author_organization.clone());

    let published = ld
        .published
        .as_deref()
        .and_then(parse_date)
        .or_else(|| DATE_KEYS.iter().filter_map(|k| meta(k)).find_map(parse_date))
        // A <time> without `datetime` shows the date as text ("Published Sept. 27, 2025 at 2:03 pm").
        .or_else(|| {
            scan.time
                .as_ref()
                .and_then(|(_, value)| parse_date(value).or_else(|| find_date_in_text(value)))
        })
        .or_else(|| scan.dateline.as_deref().and_then(find_date_in_text))
        .or_else(|| date_in_path(url.path()));

    let image = [
        "og:image",
        "og:image:url",
        "og:image:secure_url",
        "twitter:image",
        "twitter:image:src",
    ]
    .iter()
    .filter_map(|k| meta(k))
    .chain(ld.image.as_deref())
    .find_map(|src| absolute_http_url(&base, src));

    let description = ["description", "og:description", "twitter:description"]
        .iter()
        .filter_map(|k| meta(k))
        .chain(ld.description.as_deref())
        .map(normalize)
        .find(|d| !d.is_empty());

    let language = scan
        .html_lang
        .as_deref()
        .into_iter()
        .chain(
            ["og:locale", "content-language", "language", "dc.language"]
                .iter()
                .filter_map(|k| meta(k)),
        )
        .chain(ld.language.as_deref())
        .find_map(primary_language_tag);

    let JsonLdArticle { body, .. } = ld;
    Metadata {
        base: Some(base),
        title,
        author,
        published,
        image,
        description,
        language,
        article_body: body,
    }
}

fn scan(dom: &Dom) -> Scan {
    let mut scan = Scan::default();
    let mut in_article = false;
    let mut article_end = 0;
    // Inside a form, "Name *" and "Your name" label inputs, not the article; inside a comment thread,
    // "comment-author" names a reader. Neither is the byline.
    let mut not_byline_end = 0;
    for index in 0..dom.len() {
        if index >= article_end {
            in_article = false;
        }
        if dom.element(index).is_none() {
            continue;
        }
        let attr = |name: &str| dom.attr(index, name).map(str::trim).filter(|v| !v.is_empty());
        if dom.name(index) == "form" || is_comment_thread(dom, index) {
            not_byline_end = not_byline_end.max(dom.nodes[index].end);
        }
        match dom.name(index) {
            "html" => scan.html_lang = scan.html_lang.take().or_else(|| attr("lang").map(str::to_owned)),
            "base" if scan.base_href.is_none() => scan.base_href = attr("href").map(str::to_owned),
            "title" if scan.title.is_none() => scan.title = Some(dom.text_content(index)),
            "h1" if scan.h1.len() < 4 => scan.h1.push(dom.text_content(index)),
            "article" if !in_article => {
                in_article = true;
                article_end = dom.nodes[index].end;
            }
            "meta" => {
                let key = attr("property")
                    .or_else(|| attr("name"))
                    .or_else(|| attr("itemprop"));
                let key = key.or_else(|| attr("http-equiv"));
                if let (Some(key), Some(content)) = (key, attr("content")) {
                    // `property` may hold several space-separated names.
                    for key in key.split_whitespace() {
                        scan.meta
                            .entry(key.to_ascii_lowercase())
                            .or_insert_with(|| content.to_owned());
                    }
                }
            }
            "script" if attr("type").is_some_and(|t| t.contains("ld+json")) => {
                scan.json_ld.push(dom.text_content_raw(index));
            }
            "time" => {
                let value = attr("datetime")
                    .map(str::to_owned)
                    .unwrap_or_else(|| dom.text_content(index));
                let says_published = attr("itemprop")
                    .is_some_and(|p| p.eq_ignore_ascii_case("datePublished"))
                    || dom.attr(index, "pubdate").is_some()
                    || attr("class").is_some_and(|c| c.contains("publish"));
                // Lower rank wins: an explicit "published" time, then one inside <article>, then any.
                let rank = if says_published {
                    0
                } else if in_article {
                    1
                } else {
                    2
                };
                if scan.time.as_ref().is_none_or(|(best, _)| rank < *best) {
                    scan.time = Some((rank, value));
                }
            }
            _ => {}
        }
        if scan.byline.is_none() && index >= not_byline_end {
            // Wrappers hold roles and dates too; the first element whose text reads as a name wins.
            match byline::candidate(dom, index, scan.loose_byline.is_none()) {
                Some((Evidence::Marked, name)) => scan.byline = Some(name),
                Some((Evidence::Unmarked, name)) => scan.loose_byline = Some(name),
                None => {}
            }
        }
        let marks_date = attr("class").is_some_and(|c| {
            ["date", "published", "timestamp"]
                .iter()
                .any(|w| contains_ignore_case(c, w))
        });
        // Only short elements can be a dateline; the length check spares building the text of every
        // wrapper that happens to say "date".
        if scan.dateline.is_none() && marks_date && dom.stats(index).chars < 120 {
            scan.dateline = Some(dom.text_content(index)).filter(|t| t.chars().count() < 120);
        }
    }
    scan
}

/// An element whose class or id says it holds comments ("comments-area", "comment-list", "comment-12").
fn is_comment_thread(dom: &Dom, index: usize) -> bool {
    [dom.attr(index, "class"), dom.attr(index, "id")]
        .into_iter()
        .flatten()
        .any(|value| contains_ignore_case(value, "comment"))
}

/// Meta titles in order of trust: Dublin Core is set deliberately, OpenGraph and Twitter for sharing.
const TITLE_KEYS: &[&str] = &[
    "dc:title",
    "dcterm:title",
    "dcterms:title",
    "og:title",
    "twitter:title",
    "parsely-title",
];

/// JSON-LD `headline`, unless `name` differs and is the one the document's `<title>` repeats (some
/// publishers put a label such as "Wikimedia list article" in `headline`).
fn ld_title<'l>(ld: &'l JsonLdArticle, document_title: Option<&str>) -> Option<&'l str> {
    let repeated = |candidate: &str| {
        let candidate = squash(candidate);
        !candidate.is_empty() && document_title.is_some_and(|t| squash(t).contains(&candidate))
    };
    match (ld.headline.as_deref(), ld.name.as_deref()) {
        (Some(headline), Some(name)) if !repeated(headline) && repeated(name) => Some(name),
        (headline, name) => headline.or(name),
    }
}

/// Whether `title` is exactly the site's own name as the page declares it (`og:site_name`,
/// `application-name`).
fn names_whole_site(title: &str, scan: &Scan) -> bool {
    let title = squash(title);
    ["og:site_name", "application-name"]
        .iter()
        .filter_map(|k| scan.meta.get(*k))
        .any(|site| squash(site) == title)
}

/// The document's `<title>` when it has one: a page's `<h1>` is as often its logo, a section name or a
/// teaser's headline as its own. The `<h1>` serves when there is no `<title>`, when it is most of the
/// `<title>` (the headline without the site's name, however that is attached), or when the `<title>` is
/// too short to be a headline and the `<h1>` reads like one.
fn page_title(document_title: Option<String>, h1: Option<&str>) -> Option<String> {
    let h1 = h1.map(normalize).filter(|h| !h.is_empty());
    match (document_title, h1) {
        (Some(title), Some(h1)) if is_most_of(&h1, &title) => Some(h1),
        (Some(title), Some(h1)) if title.chars().count() < 15 && h1.split_whitespace().count() > 4 => {
            Some(h1)
        }
        (Some(title), _) => Some(title),
        (None, h1) => h1,
    }
}

fn is_most_of(part: &str, whole: &str) -> bool {
    let (part, whole) = (squash(part), squash(whole));
    !part.is_empty() && whole.contains(&part) && part.chars().count() * 2 > whole.chars().count()
}

/// Whether `heading` is the shorter end of a separated `title` ("Headline | Site", "Site - Headline"): the
/// site's name set as a heading, not the headline, which is the longer part.
fn is_title_site_part(title: &str, heading: &str) -> bool {
    let heading = squash(heading);
    if heading.is_empty() {
        return false;
    }
    let title = normalize(title);
    TITLE_SEPARATORS.iter().any(|separator| {
        let parts: Vec<&str> = title.split(separator).collect();
        let (Some(first), Some(last)) = (parts.first(), parts.last()) else {
            return false;
        };
        let rest_chars = |part: &str| title.chars().count() - part.chars().count();
        parts.len() >= 2
            && [*first, *last]
                .iter()
                .any(|part| squash(part) == heading && rest_chars(part) > part.chars().count())
    })
}

fn host_label(url: &Url) -> Option<String> {
    let host = url.host_str()?;
    let host = host.strip_prefix("www.").unwrap_or(host);
    host.split('.').next().map(str::to_owned)
}

fn squash(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

fn names_site(part: &str, sites: &[String]) -> bool {
    let part_words = part.split_whitespace().count();
    let part = squash(part);
    !part.is_empty()
        && sites.iter().any(|site_name| {
            let site = squash(site_name);
            // "Dropbox Tech Blog" names the site "Dropbox"; "How we designed Dropbox's ATF" only mentions it.
            let few_more_words = part_words <= site_name.split_whitespace().count() + 2;
            !site.is_empty()
                && (part == site
                    || (site.chars().count() >= 4 && few_more_words && part.contains(&site))
                    || (part.chars().count() >= 4 && site.contains(&part)))
        })
}

/// Removes a site-name suffix or prefix (see the module docs for when a part counts as the site).
pub(super) fn strip_site_name(title: &str, sites: &[String], headings: &[String]) -> String {
    let matches_heading = |part: &str| {
        headings
            .iter()
            .any(|h| squash(h) == squash(part) && !h.is_empty())
    };
    for separator in TITLE_SEPARATORS {
        if let Some((head, tail)) = title.rsplit_once(separator)
            && !head.trim().is_empty()
            && (names_site(tail, sites) || matches_heading(head))
        {
            return strip_site_name(head.trim(), sites, headings);
        }
        if let Some((head, tail)) = title.split_once(separator)
            && !tail.trim().is_empty()
            && (names_site(head, sites) || matches_heading(tail))
        {
            return tail.trim().to_owned();
        }
    }
    title.to_owned()
}

/// An absolute http(s) URL for `src` relative to `base`.
pub(super) fn absolute_http_url(base: &Url, src: &str) -> Option<Url> {
    let src = src.trim();
    if src.is_empty() || src.starts_with("data:") {
        return None;
    }
    let url = base.join(src).ok()?;
    matches!(url.scheme(), "http" | "https").then_some(url)
}

/// "ko-KR" → "ko", "en_US" → "en"; rejects things that are not a language subtag.
pub(super) fn primary_language_tag(tag: &str) -> Option<String> {
    let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
    (2..=3)
        .contains(&primary.len())
        .then_some(primary)
        .filter(|p| p.chars().all(|c| c.is_ascii_alphabetic()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_recognised_site_names_only() {
        let sites = vec!["The Verge".to_owned(), "theverge".to_owned()];
        assert_eq!(
            strip_site_name("Apple ships a thing - The Verge", &sites, &[]),
            "Apple ships a thing"
        );
        assert_eq!(
            strip_site_name("Apple ships a thing | The Verge", &sites, &[]),
            "Apple ships a thing"
        );
        assert_eq!(
            strip_site_name("Spider-Man – a review of the film", &sites, &[]),
            "Spider-Man – a review of the film"
        );
        let heading = vec!["Markets fall".to_owned()];
        assert_eq!(
            strip_site_name("Markets fall :: Daily Planet", &[], &heading),
            "Markets fall"
        );
        assert_eq!(
            strip_site_name("The Verge | Apple ships", &sites, &[]),
            "Apple ships"
        );
        let dropbox = vec!["Dropbox".to_owned()];
        assert_eq!(
            strip_site_name(
                "How we designed Dropbox’s ATF - an async task framework",
                &dropbox,
                &[]
            ),
            "How we designed Dropbox’s ATF - an async task framework"
        );
        assert_eq!(
            strip_site_name("Big news | Dropbox Tech Blog", &dropbox, &[]),
            "Big news"
        );
    }

    #[test]
    fn language_tags() {
        assert_eq!(primary_language_tag("ko-KR").as_deref(), Some("ko"));
        assert_eq!(primary_language_tag("en_US").as_deref(), Some("en"));
        assert_eq!(primary_language_tag("").as_deref(), None);
    }
}

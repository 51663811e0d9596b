//! Extraction: one decoded HTML page → one [`Article`] (title, author, date, cover, excerpt, language, body).
//!
//! The boundary is [`extract`] for whole pages, [`extract_document`] for a page already parsed (and
//! perhaps trimmed by site rules), and [`extract_fragment`] for a feed item's own HTML; each stays within
//! a [`Budget`] of time and nodes or returns [`ExtractError`]. Everything else in this folder is private:
//!
//! - `parse`, `budget`: bounded parsing (nesting flattened, script bodies dropped, nodes and time counted);
//! - `dom`: a flat pre-order index over the parsed tree with per-subtree text statistics;
//! - `metadata`, `jsonld`, `dates`, `byline`: title, author, date, cover, description, language (precedence
//!   there);
//! - `boilerplate`, `widgets`, `content`: cleaning, candidate scoring, sibling merging, conditional cleaning;
//! - `paragraphs`: a second candidate from classifying each text block on its own (jusText-style);
//! - `render`, `images`, `markdown`, `text`: DOM → blocks → Markdown and plain text;
//! - `language`: detection from body text when the page declares none.

mod boilerplate;
mod budget;
mod byline;
mod content;
mod dates;
mod dom;
mod images;
mod jsonld;
mod language;
mod markdown;
mod metadata;
mod paragraphs;
mod parse;
mod render;
mod text;
mod widgets;

use std::collections::HashSet;

use chrono::{DateTime, FixedOffset};
use scraper::node::Element;
use scraper::{Html, Selector};
use url::Url;

use budget::Meter;
use dom::{Dom, ROOT};
use render::{Block, Inline, Renderer};

pub use budget::{Budget, ExtractError};

/// What a careful human would copy from an article page.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Article {
    /// Headline without a " – Site Name" suffix. JSON-LD `headline` (its `name` when the `<title>` repeats
    /// that instead), then `dc:title`/`og:title`/`twitter:title` unless it is the site's own name, then the
    /// `<title>` (the `<h1>` when it is most of the `<title>`, or there is no `<title>`). `None` when the
    /// page has none of them.
    pub title: Option<String>,
    /// Byline, several names joined with ", ". JSON-LD `author.name`, then `article:author`/`dc:creator`/
    /// `<meta name=author>`, then a byline element.
    pub author: Option<String>,
    /// The byline's names one by one ("A, B and C" → three), for front matter that lists authors.
    pub authors: Vec<String>,
    /// Publication time. JSON-LD `datePublished`, then `article:published_time`, then `<time>` (its
    /// `datetime` or its text), a dateline, a date in the URL path. Dates before 1990 or in the future
    /// are placeholders and skipped.
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

/// Per-site overrides from feeds.toml (`content_selector`, `remove_selectors`), already validated, and the
/// extraction's budget.
#[derive(Debug, Clone, Default)]
pub struct ExtractOptions {
    /// When set and it matches, the body is taken from the first matching element instead of scoring.
    pub content_selector: Option<scraper::Selector>,
    /// Elements removed before anything else looks at the page.
    pub remove_selectors: Vec<scraper::Selector>,
    /// Body elements a site rule selected (issue 13), used when `content_selector` is unset or selects
    /// nothing; empty means content scoring.
    pub body_nodes: Vec<ego_tree::NodeId>,
    /// `prune: no` in the site rule: a rule-selected body is kept whole, without conditional cleaning.
    pub keep_body_whole: bool,
    /// Site-rule title, replacing the page's own when set.
    pub title: Option<String>,
    /// Site-rule author, replacing the page's own when set.
    pub author: Option<String>,
    /// Site-rule date text, parsed like page metadata; replaces the page's date when it parses.
    pub date: Option<String>,
    /// Time and node limits for one page.
    pub budget: Budget,
}

/// Excerpts longer than this are cut at a word boundary.
const EXCERPT_CHARS: usize = 160;
/// Below this much body text the scored candidate is doubted and other strategies are tried.
const SHORT_BODY_CHARS: usize = 500;
/// Below this, scoring failed outright and collecting every prose paragraph is worth the risk.
const VERY_SHORT_BODY_CHARS: usize = 250;

/// Extracts the article from a whole page. `html` is already decoded; `url` is the page's final URL and the
/// base for relative links (a `<base href>` in the page takes precedence). A page without an article
/// yields empty `markdown`/`text` and whatever metadata it has; the only errors are an exceeded budget.
pub fn extract(html: &str, url: &Url, options: &ExtractOptions) -> Result<Article, ExtractError> {
    let meter = Meter::start(options.budget);
    let document = parse::document(html, &meter)?;
    extract_parsed(&document, url, options, &meter)
}

/// Parses a page within `budget`, for callers that work on the tree before [`extract_document`] (site
/// rules): nesting is flattened and script bodies dropped as in [`extract`].
pub fn parse_document(html: &str, budget: &Budget) -> Result<Html, ExtractError> {
    parse::document(html, &Meter::start(*budget))
}

/// Extracts the article from a page parsed by the caller (who may have removed nodes from it). The node
/// budget applies to the tree as given; its nesting is flattened for the walks as [`extract`] does.
pub fn extract_document(
    document: &Html,
    url: &Url,
    options: &ExtractOptions,
) -> Result<Article, ExtractError> {
    let meter = Meter::start(options.budget);
    meter.check_nodes(document.tree.nodes().len())?;
    extract_parsed(document, url, options, &meter)
}

fn extract_parsed(
    document: &Html,
    url: &Url,
    options: &ExtractOptions,
    meter: &Meter,
) -> Result<Article, ExtractError> {
    let mut dom = Dom::new(document);
    let mut meta = metadata::read(&dom, url);
    let base = meta.base.clone().unwrap_or_else(|| url.clone());
    override_metadata(&mut meta, options);

    for selector in &options.remove_selectors {
        for index in matching(document, &dom, selector) {
            dom.remove(index);
        }
    }
    dom.recompute();
    meter.check_time()?;
    content::clean(&mut dom, content::Cleaning::Full);

    let by_selector = options
        .content_selector
        .as_ref()
        .map(|selector| outermost(&dom, matching(document, &dom, selector)))
        .filter(|roots| !roots.is_empty());
    let from_selector = by_selector.is_some();
    // A per-feed selector wins over a site rule; a rule that selects nothing falls back to scoring.
    let by_rule = Some(outermost(&dom, identified(document, &dom, &options.body_nodes)))
        .filter(|roots| !from_selector && !roots.is_empty());
    let scores = content::score(&dom, content::Cleaning::Full);
    let ruled = by_rule.and_then(|roots| {
        if !options.keep_body_whole {
            content::clean_conditionally(&mut dom, &scores, &roots);
        }
        let blocks = render_roots(&dom, &base, &roots, meta.title.as_deref());
        if markdown::text_chars(&blocks) == 0 {
            tracing::debug!(url = %url, "site rule body has no text; generic extraction");
            return None;
        }
        Some((roots, blocks))
    });
    let from_rule = ruled.is_some();
    let (roots, mut blocks) = match ruled {
        Some(ruled) => ruled,
        None => {
            let roots = by_selector.unwrap_or_else(|| content::select(&dom, &scores));
            meter.check_time()?;
            content::clean_conditionally(&mut dom, &scores, &roots);
            let blocks = render_roots(&dom, &base, &roots, meta.title.as_deref());
            (roots, blocks)
        }
    };
    meter.check_time()?;

    if !from_selector && !from_rule {
        let claimed_body = meta.article_body.as_deref();
        let page = Page {
            document,
            options,
            base: &base,
            title: meta.title.as_deref(),
            claimed_body,
        };
        blocks = fallback_if_poor(&mut dom, &scores, &page, &roots, blocks, meter)?;
    }

    let cover_image = meta
        .image
        .clone()
        .or_else(|| first_cover_candidate(&dom, &base, &roots));
    let mut article = finish(
        blocks,
        meta.title,
        meta.author,
        meta.published,
        meta.description,
        cover_image,
    );
    article.language = meta.language.or_else(|| language::detect(&article.text));
    Ok(article)
}

/// Cuts `text` to at most `max_chars` characters at a word boundary (a character boundary for scripts
/// written without spaces) and appends "…": the rule excerpts follow, for callers that need one.
pub fn shorten(text: &str, max_chars: usize) -> String {
    text::truncate_excerpt(text, max_chars)
}

/// Cleans a feed item's own HTML (`content:encoded`, Atom content) without looking for an article in it:
/// scripts, share bars and feed footers ("The post X appeared first on Y") go, the rest is converted.
/// Title, author, date and language are left to the caller: a fragment declares no language, and most
/// fragments are never published (the page wins), so [`detect_language`] runs only on those that are.
/// Held to the default [`Budget`].
pub fn extract_fragment(html: &str, url: &Url) -> Result<Article, ExtractError> {
    let meter = Meter::start(Budget::default());
    let blocks = fragment_blocks(html, url, &meter)?;
    Ok(finish(blocks, None, None, None, None, None))
}

/// The language of `text` (a primary tag such as `en`), when the text says so reliably.
pub fn detect_language(text: &str) -> Option<String> {
    language::detect(text)
}

fn fragment_blocks(html: &str, base: &Url, meter: &Meter) -> Result<Vec<Block>, ExtractError> {
    let document = parse::fragment(html, meter)?;
    let mut dom = Dom::new(&document);
    content::clean(&mut dom, content::Cleaning::Full);
    let scores = content::score(&dom, content::Cleaning::Full);
    meter.check_time()?;
    content::clean_conditionally(&mut dom, &scores, &[ROOT]);
    Ok(render_roots(&dom, base, &[ROOT], None))
}

fn finish(
    blocks: Vec<Block>,
    title: Option<String>,
    author: Option<String>,
    published: Option<DateTime<FixedOffset>>,
    description: Option<String>,
    cover_image: Option<Url>,
) -> Article {
    let text = markdown::to_text(&blocks);
    let excerpt = description
        .as_deref()
        .or_else(|| markdown::first_prose(&blocks))
        .map(|e| text::truncate_excerpt(e, EXCERPT_CHARS))
        .filter(|e| !e.is_empty());
    Article {
        title,
        authors: author.as_deref().map(byline::split_names).unwrap_or_default(),
        author,
        published,
        excerpt,
        cover_image,
        language: None,
        markdown: markdown::to_markdown(&blocks),
        text,
    }
}

/// Indices of the elements `selector` matches, found by identity because scraper and [`Dom`] index
/// differently.
fn matching(document: &Html, dom: &Dom, selector: &Selector) -> Vec<usize> {
    let wanted: HashSet<*const Element> = document
        .select(selector)
        .map(|e| e.value() as *const Element)
        .collect();
    if wanted.is_empty() {
        return Vec::new();
    }
    (0..dom.len())
        .filter(|&i| {
            dom.element(i)
                .is_some_and(|e| wanted.contains(&(e as *const Element)))
        })
        .collect()
}

/// Indices of the tree nodes `ids` names (site-rule body nodes), in document order.
fn identified(document: &Html, dom: &Dom, ids: &[ego_tree::NodeId]) -> Vec<usize> {
    if ids.is_empty() {
        return Vec::new();
    }
    let wanted: HashSet<*const scraper::Node> = ids
        .iter()
        .filter_map(|&id| document.tree.get(id))
        .map(|node| node.value() as *const scraper::Node)
        .collect();
    (0..dom.len())
        .filter(|&i| wanted.contains(&(dom.nodes[i].node as *const scraper::Node)))
        .collect()
}

/// Site-rule title, author and date replace what the page says about itself.
fn override_metadata(meta: &mut metadata::Metadata, options: &ExtractOptions) {
    if let Some(title) = &options.title {
        meta.title = Some(title.clone());
    }
    if let Some(author) = &options.author {
        meta.author = Some(author.clone());
    }
    if let Some(published) = options.date.as_deref().and_then(dates::parse_date) {
        meta.published = Some(published);
    }
}

/// Drops indices nested inside an earlier one (the list is in document order).
fn outermost(dom: &Dom, indices: Vec<usize>) -> Vec<usize> {
    let mut roots: Vec<usize> = Vec::new();
    for index in indices {
        if !dom.is_removed(index) && roots.last().is_none_or(|&last| !dom.is_ancestor_of(last, index)) {
            roots.push(index);
        }
    }
    roots
}

fn render_roots(dom: &Dom, base: &Url, roots: &[usize], title: Option<&str>) -> Vec<Block> {
    let renderer = Renderer::new(dom, base);
    let mut blocks = Vec::new();
    for &root in roots {
        renderer.render(root, &mut blocks);
    }
    markdown::tidy(blocks, title)
}

/// What the fallbacks need to know about the page besides the cleaned tree.
struct Page<'p> {
    document: &'p Html,
    options: &'p ExtractOptions,
    base: &'p Url,
    title: Option<&'p str>,
    /// JSON-LD `articleBody`, the page's own claim of what its article says.
    claimed_body: Option<&'p str>,
}

/// When the scored body (`blocks`, rendered from `roots`) is short, or much shorter than the page's own
/// JSON-LD `articleBody`, tries the page's `<article>`/`<main>`, every prose paragraph, the paragraph
/// classifier's stretches of article, a second scoring of the original document that trusts no class
/// word, and `<noscript>`/`<template>` bodies, keeping whichever recovers clearly more text without
/// exceeding what the page claims as its body; `articleBody` itself is the last resort. A body long
/// enough may still get the classifier's [`second_opinion`].
fn fallback_if_poor(
    dom: &mut Dom,
    scores: &content::Scores,
    page: &Page,
    roots: &[usize],
    blocks: Vec<Block>,
    meter: &Meter,
) -> Result<Vec<Block>, ExtractError> {
    let found = markdown::text_chars(&blocks);
    let claimed = page
        .claimed_body
        .map_or(0, |b| b.chars().filter(|c| !c.is_whitespace()).count());
    let poor = found < SHORT_BODY_CHARS || found * 10 < claimed * 6;
    if !poor {
        return Ok(second_opinion(dom, page, roots, blocks));
    }
    let mut best = (found, blocks);
    let mut consider = |candidate: Vec<Block>| {
        let chars = markdown::text_chars(&candidate);
        let within_claim = claimed == 0 || chars * 10 <= claimed * 13;
        if chars * 10 > best.0 * 15 && within_claim {
            best = (chars, candidate);
        }
    };
    let containers = content::semantic_containers(dom);
    content::clean_conditionally(dom, scores, &containers);
    // Every paragraph on the page is a blunt instrument: only for pages where scoring found almost nothing.
    let paragraphs = if found < VERY_SHORT_BODY_CHARS {
        content::prose_paragraphs(dom)
    } else {
        Vec::new()
    };
    for roots in [containers, paragraphs] {
        meter.check_time()?;
        if !roots.is_empty() {
            consider(render_roots(dom, page.base, &roots, page.title));
        }
    }
    meter.check_time()?;
    let stretches: Vec<usize> = paragraphs::good_runs(dom)
        .into_iter()
        .filter(|run| paragraphs::is_stretch(dom, run))
        .flatten()
        .collect();
    consider(render_roots(dom, page.base, &stretches, page.title));
    consider(unpruned_candidate(page));
    for html in [largest_noscript(dom), largest_template(page.document)]
        .into_iter()
        .flatten()
    {
        consider(fragment_blocks(&html, page.base, meter)?);
    }
    match page.claimed_body {
        Some(body) if best.0 * 10 < claimed * 6 && claimed >= 200 => body_paragraphs(body, page.base, meter),
        _ => Ok(best.1),
    }
}

/// The article as scored on the original document with only structural cleaning: the first pass may have
/// removed the article's own container for a word in its class. When nothing scores (a page of a few
/// loose words), the body's remaining text, unless it is mostly links.
fn unpruned_candidate(page: &Page) -> Vec<Block> {
    let mut dom = Dom::new(page.document);
    for selector in &page.options.remove_selectors {
        for index in matching(page.document, &dom, selector) {
            dom.remove(index);
        }
    }
    dom.recompute();
    content::clean(&mut dom, content::Cleaning::Structural);
    let scores = content::score(&dom, content::Cleaning::Structural);
    let roots = content::select(&dom, &scores);
    if roots.is_empty() {
        if dom.stats(ROOT).link_density() >= 0.5 {
            return Vec::new();
        }
        content::drop_footer_after_last_rule(&mut dom, ROOT);
        let blocks = render_roots(&dom, page.base, &[ROOT], page.title);
        // Stray punctuation is not an article.
        let has_words = markdown::to_text(&blocks).chars().any(char::is_alphanumeric);
        return if has_words { blocks } else { Vec::new() };
    }
    content::clean_conditionally(&mut dom, &scores, &roots);
    render_roots(&dom, page.base, &roots, page.title)
}

/// The raw markup of the page's largest `<noscript>` that holds paragraphs: script-rendered pages put
/// the whole article there for readers without JavaScript (the parser keeps it as text).
fn largest_noscript(dom: &Dom) -> Option<String> {
    (1..dom.len())
        .filter(|&i| dom.name(i) == "noscript")
        .map(|i| dom.text_content_raw(i))
        .filter(|html| html.contains("<p") || html.contains("<br"))
        .max_by_key(String::len)
}

/// The contents of the page's largest `<template>` that holds paragraphs: some script-rendered pages ship
/// the article inert in one, to be stamped into the page. The parser keeps template contents apart from
/// the tree the index walks, so they are read through the document.
fn largest_template(document: &Html) -> Option<String> {
    document
        .tree
        .nodes()
        .filter(|node| node.value().as_element().is_some_and(|e| e.name() == "template"))
        .filter_map(scraper::ElementRef::wrap)
        .map(|template| template.inner_html())
        .filter(|html| html.contains("<p") || html.contains("<br"))
        .max_by_key(String::len)
}

/// The scored body is doubted when it holds less than this share of the prose in the page's text blocks.
const WEAK_SHARE: f64 = 0.7;
/// A doubted body is extended only by stretches of article adding at least this share of its text…
const SECOND_OPINION_GAIN: f64 = 0.25;
/// …and only when the classifier judges at least this share of the body's own text good: both then see
/// the same article, and the classifier found parts of it that scoring left in other containers.
const SECOND_OPINION_AGREEMENT: f64 = 0.7;

/// Trafilatura-style second opinion from an independent candidate: when the scored body holds clearly less
/// of the page's prose than it might, the paragraph classifier gets a say (only then, so most pages never
/// pay for it). Where it agrees with the body and finds further stretches of article outside it (a story
/// split by a wide figure into containers that scoring cannot join), those stretches join the body in
/// document order.
fn second_opinion(dom: &Dom, page: &Page, roots: &[usize], blocks: Vec<Block>) -> Vec<Block> {
    let found = markdown::text_chars(&blocks) as f64;
    let prose: u32 = paragraphs::text_blocks(dom)
        .into_iter()
        .map(|i| dom.stats(i))
        .filter(|s| s.link_density() < 0.5)
        .map(|s| s.chars)
        .sum();
    if found >= f64::from(prose) * WEAK_SHARE {
        return blocks;
    }
    let in_roots = |block: usize| {
        roots
            .iter()
            .any(|&root| root == block || dom.is_ancestor_of(root, block))
    };
    // A body inside the page's own `<article>` is extended only from within it: a company's "About" or an
    // author's bio after the article reads like a stretch of prose too.
    let container = content::body_container(dom, roots);
    let (mut shared, mut extra) = (0.0, 0.0);
    let mut outside = Vec::new();
    for run in paragraphs::good_runs(dom) {
        let stretch = paragraphs::is_stretch(dom, &run);
        for block in run {
            let chars = f64::from(dom.stats(block).chars);
            if in_roots(block) {
                shared += chars;
            } else if stretch && content::within_container(dom, container, block) {
                extra += chars;
                outside.push(whole_structure(dom, block));
            }
        }
    }
    if extra < found * SECOND_OPINION_GAIN || shared < found * SECOND_OPINION_AGREEMENT {
        return blocks;
    }
    let mut extended: Vec<usize> = roots.iter().copied().chain(outside).collect();
    extended.sort_unstable();
    extended.dedup();
    render_roots(dom, page.base, &outermost(dom, extended), page.title)
}

/// A cell, item or definition stands for its whole table or list, which renders as one.
fn whole_structure(dom: &Dom, block: usize) -> usize {
    if !matches!(dom.name(block), "td" | "th" | "li" | "dt" | "dd") {
        return block;
    }
    dom.ancestors(block)
        .find(|&a| matches!(dom.name(a), "table" | "dl" | "ul" | "ol"))
        .unwrap_or(block)
}

/// JSON-LD `articleBody` as paragraphs (it is plain text with newlines, or sometimes HTML).
fn body_paragraphs(body: &str, base: &Url, meter: &Meter) -> Result<Vec<Block>, ExtractError> {
    if body.contains("</p>") || body.contains("<br") {
        return fragment_blocks(body, base, meter);
    }
    Ok(body
        .split('\n')
        .map(text::normalize)
        .filter(|line| !line.is_empty())
        .map(|line| {
            Block::Paragraph(Inline {
                markdown: text::escape_markdown(&line, true),
                text: line,
            })
        })
        .collect())
}

/// The first image in the article that is neither decorative nor a placeholder.
fn first_cover_candidate(dom: &Dom, base: &Url, roots: &[usize]) -> Option<Url> {
    roots
        .iter()
        .flat_map(|&root| root..dom.nodes.get(root).map_or(root, |n| n.end))
        .filter(|&i| dom.name(i) == "img" && !dom.is_removed(i))
        .filter_map(|i| images::resolve_img(dom, i, base))
        .find(|image| !image.decorative)
        .map(|image| image.url)
}

#[cfg(test)]
mod tests;

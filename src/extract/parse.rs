//! HTML → tree within the extraction [`Budget`](super::Budget): html5ever's tokenizer feeds its tree
//! builder through a filter that
//!
//! - flattens nesting beyond [`MAX_PARSE_DEPTH`]: deeper start tags (and their end tags) are dropped, so
//!   their content joins the deepest kept element. The tree builder scans its stack of open elements for
//!   most tags, so unbounded nesting makes parsing quadratic (100,000 nested `<div>` took 26 s);
//! - drops the bodies of `<script>` (JSON-LD excepted, metadata reads it) and `<style>` before they are
//!   stored: nothing reads them, and on script-heavy pages they are most of the memory;
//! - counts the tree's nodes and watches the clock, and stops feeding input once either runs out.
//!
//! The filter tracks open elements approximately (no scopes, only same-name and paragraph implied ends);
//! a miscount only matters past the depth limit, and every end tag that matches an outer element
//! resynchronises it.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
use html5ever::tree_builder::{TreeBuilder, TreeBuilderOpts, TreeSink, create_element};
use html5ever::{LocalName, QualName, TokenizerResult, local_name, ns};
use scraper::{Html, HtmlTreeSink};

use super::budget::{ExtractError, Meter};

/// Deeper start tags are dropped (real pages stay below ~100; the DOM index flattens below its own limit).
pub(super) const MAX_PARSE_DEPTH: usize = 512;
/// Input is fed in pieces this large, so a page that exhausts the budget stops early.
const CHUNK_BYTES: usize = 64 * 1024;
/// How many tokens pass between checks of the node count.
const CHECK_EVERY: u32 = 64;
/// How many tokens pass between checks of the clock: reading a thread's CPU time is a system call, and
/// checking it every 64 tokens cost 3% of an extraction; a few thousand tokens take well under a millisecond.
const CHECK_TIME_EVERY: u32 = 2048;

/// Parses a whole page.
pub(super) fn document(html: &str, meter: &Meter) -> Result<Html, ExtractError> {
    let builder = TreeBuilder::new(
        HtmlTreeSink::new(Html::new_document()),
        TreeBuilderOpts::default(),
    );
    run(
        Tokenizer::new(Filter::new(builder, *meter), TokenizerOpts::default()),
        html,
    )
}

/// Parses a fragment (a feed item's HTML) as the content of a `<body>`.
pub(super) fn fragment(html: &str, meter: &Meter) -> Result<Html, ExtractError> {
    let sink = HtmlTreeSink::new(Html::new_fragment());
    let context = create_element(
        &sink,
        QualName::new(None, ns!(html), local_name!("body")),
        Vec::new(),
    );
    let builder = TreeBuilder::new_for_fragment(sink, context, None, TreeBuilderOpts::default());
    let options = TokenizerOpts {
        initial_state: Some(builder.tokenizer_state_for_context_elem(false)),
        ..TokenizerOpts::default()
    };
    run(Tokenizer::new(Filter::new(builder, *meter), options), html)
}

type Handle = <HtmlTreeSink as TreeSink>::Handle;
type Builder = TreeBuilder<Handle, HtmlTreeSink>;

fn run(tokenizer: Tokenizer<Filter>, html: &str) -> Result<Html, ExtractError> {
    let input = BufferQueue::default();
    let mut rest = html;
    while !rest.is_empty() {
        let mut cut = rest.len().min(CHUNK_BYTES);
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        let (chunk, tail) = rest.split_at(cut);
        rest = tail;
        input.push_back(chunk.into());
        // A script end or an encoding declaration pauses the tokenizer; neither needs anything from us.
        while !matches!(tokenizer.feed(&input), TokenizerResult::Done) {}
        if let Some(error) = tokenizer.sink.exceeded.take() {
            return Err(error);
        }
    }
    tokenizer.end();
    if let Some(error) = tokenizer.sink.exceeded.take() {
        return Err(error);
    }
    let Filter { builder, .. } = tokenizer.sink;
    Ok(builder.sink.0.into_inner())
}

/// One element the filter believes open.
struct Open {
    name: LocalName,
    /// Whether its start tag reached the tree builder (false: dropped for depth).
    forwarded: bool,
}

#[derive(Default)]
struct Nesting {
    open: Vec<Open>,
    /// How many of each name are in `open`, so a stray end tag costs no scan.
    open_by_name: HashMap<LocalName, u32, BuildHasherDefault<AtomHasher>>,
    /// Forwarded entries of `open`: the tree builder's depth, approximately.
    depth: usize,
    /// Inside a `<script>` or `<style>` whose text is dropped: its name.
    skipping: Option<LocalName>,
}

impl Nesting {
    fn push(&mut self, name: LocalName, forwarded: bool) {
        *self.open_by_name.entry(name.clone()).or_insert(0) += 1;
        self.depth += usize::from(forwarded);
        self.open.push(Open { name, forwarded });
    }

    fn pop(&mut self) -> Option<Open> {
        let open = self.open.pop()?;
        if let Some(count) = self.open_by_name.get_mut(&open.name) {
            *count = count.saturating_sub(1);
        }
        self.depth -= usize::from(open.forwarded);
        Some(open)
    }

    /// Closes up to and including the innermost open `name`; whether that one was forwarded, or `None`
    /// when no such element is open.
    fn close(&mut self, name: &LocalName) -> Option<bool> {
        if self.open_by_name.get(name).is_none_or(|&count| count == 0) {
            return None;
        }
        while let Some(open) = self.pop() {
            if open.name == *name {
                return Some(open.forwarded);
            }
        }
        None
    }

    fn top_is(&self, name: &LocalName) -> bool {
        self.open.last().is_some_and(|open| open.name == *name)
    }
}

/// A name hashes itself: string_cache hands the hasher the atom's precomputed 64-bit hash, so SipHash on
/// top of it only cost time (a tenth of the filter's). The folded multiply spreads an inline atom's packed
/// bytes over the low bits the table indexes by. It is no weaker against crafted names than SipHash was:
/// two names with one atom hash collide under either.
#[derive(Default)]
struct AtomHasher(u64);

impl Hasher for AtomHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.write_u64(u64::from(byte));
        }
    }

    fn write_u64(&mut self, value: u64) {
        let product = u128::from(value ^ self.0) * 0x9e37_79b9_7f4a_7c15;
        self.0 = (product as u64) ^ ((product >> 64) as u64);
    }
}

struct Filter {
    builder: Builder,
    meter: Meter,
    nesting: RefCell<Nesting>,
    tokens: Cell<u32>,
    /// Set once the budget is exceeded; from then on nothing reaches the tree builder.
    exceeded: RefCell<Option<ExtractError>>,
}

impl Filter {
    fn new(builder: Builder, meter: Meter) -> Self {
        Filter {
            builder,
            meter,
            nesting: RefCell::new(Nesting::default()),
            tokens: Cell::new(0),
            exceeded: RefCell::new(None),
        }
    }

    fn over_budget(&self) -> bool {
        let count = self.tokens.get().wrapping_add(1);
        self.tokens.set(count);
        if !count.is_multiple_of(CHECK_EVERY) {
            return false;
        }
        let nodes = self.builder.sink.0.borrow().tree.nodes().len();
        let checked = self.meter.check_nodes(nodes).and_then(|()| {
            if count.is_multiple_of(CHECK_TIME_EVERY) {
                self.meter.check_time()
            } else {
                Ok(())
            }
        });
        match checked {
            Ok(()) => false,
            Err(error) => {
                *self.exceeded.borrow_mut() = Some(error);
                true
            }
        }
    }

    fn start_tag(&self, tag: &html5ever::tokenizer::Tag) -> Result<(), TokenSinkResult<Handle>> {
        let mut nesting = self.nesting.borrow_mut();
        let name = &tag.name;
        if is_void(name) {
            return Ok(());
        }
        // The implied ends that matter for counting: a new item or cell closes the previous one, and a
        // block closes an open paragraph.
        if (nesting.top_is(name) && closes_same_name(name))
            || (closes_paragraph(name) && nesting.top_is(&local_name!("p")))
        {
            nesting.pop();
        }
        let forward = nesting.depth < MAX_PARSE_DEPTH;
        nesting.push(name.clone(), forward);
        let drops_text = *name == local_name!("style")
            || (*name == local_name!("script")
                && !tag
                    .attrs
                    .iter()
                    .any(|a| a.name.local == local_name!("type") && a.value.contains("ld+json")));
        if drops_text {
            nesting.skipping = Some(name.clone());
        }
        if forward {
            return Ok(());
        }
        // Dropped, but the tokenizer must still read a raw-text element's content as text.
        Err(match raw_kind(name) {
            Some(kind) => TokenSinkResult::RawData(kind),
            None if *name == local_name!("plaintext") => TokenSinkResult::Plaintext,
            None => TokenSinkResult::Continue,
        })
    }

    fn end_tag(&self, name: &LocalName) -> bool {
        let mut nesting = self.nesting.borrow_mut();
        if nesting.skipping.as_ref() == Some(name) {
            nesting.skipping = None;
        }
        // A stray end tag goes through: the tree builder has its own rules for those.
        nesting.close(name).unwrap_or(true)
    }
}

impl TokenSink for Filter {
    type Handle = Handle;

    fn process_token(&self, token: Token, line_number: u64) -> TokenSinkResult<Self::Handle> {
        if self.exceeded.borrow().is_some() || self.over_budget() {
            return TokenSinkResult::Continue;
        }
        match &token {
            Token::TagToken(tag) if tag.kind == TagKind::StartTag => {
                if let Err(result) = self.start_tag(tag) {
                    return result;
                }
            }
            Token::TagToken(tag) if !self.end_tag(&tag.name) => return TokenSinkResult::Continue,
            Token::CharacterTokens(_) | Token::NullCharacterToken
                if self.nesting.borrow().skipping.is_some() =>
            {
                return TokenSinkResult::Continue;
            }
            _ => {}
        }
        self.builder.process_token(token, line_number)
    }

    fn end(&self) {
        self.builder.end();
    }

    fn adjusted_current_node_present_but_not_in_html_namespace(&self) -> bool {
        self.builder
            .adjusted_current_node_present_but_not_in_html_namespace()
    }
}

fn is_void(name: &LocalName) -> bool {
    matches!(
        *name,
        local_name!("area")
            | local_name!("base")
            | local_name!("br")
            | local_name!("col")
            | local_name!("embed")
            | local_name!("hr")
            | local_name!("img")
            | local_name!("input")
            | local_name!("link")
            | local_name!("meta")
            | local_name!("source")
            | local_name!("track")
            | local_name!("wbr")
            | local_name!("param")
            | local_name!("keygen")
    )
}

fn closes_same_name(name: &LocalName) -> bool {
    matches!(
        *name,
        local_name!("p")
            | local_name!("li")
            | local_name!("dt")
            | local_name!("dd")
            | local_name!("option")
            | local_name!("tr")
            | local_name!("td")
            | local_name!("th")
            | local_name!("a")
    )
}

fn closes_paragraph(name: &LocalName) -> bool {
    matches!(
        *name,
        local_name!("div")
            | local_name!("ul")
            | local_name!("ol")
            | local_name!("dl")
            | local_name!("li")
            | local_name!("table")
            | local_name!("blockquote")
            | local_name!("section")
            | local_name!("article")
            | local_name!("aside")
            | local_name!("h1")
            | local_name!("h2")
            | local_name!("h3")
            | local_name!("h4")
            | local_name!("h5")
            | local_name!("h6")
            | local_name!("pre")
            | local_name!("figure")
            | local_name!("header")
            | local_name!("footer")
            | local_name!("nav")
    )
}

/// How the tokenizer reads the content of a raw-text element (HTML's "generic raw text" and "RCDATA").
fn raw_kind(name: &LocalName) -> Option<RawKind> {
    match *name {
        local_name!("script") => Some(RawKind::ScriptData),
        local_name!("style")
        | local_name!("xmp")
        | local_name!("iframe")
        | local_name!("noembed")
        | local_name!("noframes")
        | local_name!("noscript") => Some(RawKind::Rawtext),
        local_name!("textarea") | local_name!("title") => Some(RawKind::Rcdata),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::Budget;

    fn meter() -> Meter {
        Meter::start(Budget::default())
    }

    fn depth_of_deepest(html: &Html) -> usize {
        html.tree
            .nodes()
            .map(|node| node.ancestors().count())
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn flattens_nesting_beyond_the_limit_and_keeps_the_text() {
        let depth = MAX_PARSE_DEPTH * 3;
        let html = format!("{}deep words{}", "<div>".repeat(depth), "</div>".repeat(depth));
        let parsed = document(&html, &meter()).unwrap_or_else(|e| panic!("{e}"));
        assert!(depth_of_deepest(&parsed) <= MAX_PARSE_DEPTH + 8);
        let text: String = parsed.root_element().text().collect();
        assert_eq!(text, "deep words");
    }

    #[test]
    fn dropped_raw_text_elements_still_read_as_text() {
        let depth = MAX_PARSE_DEPTH + 4;
        let html = format!(
            "{}<textarea><b>not a tag</b></textarea><p>after</p>{}",
            "<div>".repeat(depth),
            "</div>".repeat(depth)
        );
        let parsed = document(&html, &meter()).unwrap_or_else(|e| panic!("{e}"));
        let text: String = parsed.root_element().text().collect();
        assert_eq!(text, "<b>not a tag</b>after");
    }

    #[test]
    fn drops_script_and_style_bodies_but_keeps_json_ld() {
        let html = "<html><head><style>p{color:red}</style><script>var x = 1;</script>\
                    <script type=\"application/ld+json\">{\"@type\":\"Article\"}</script></head>\
                    <body><p>words</p></body></html>";
        let parsed = document(html, &meter()).unwrap_or_else(|e| panic!("{e}"));
        let text: String = parsed.root_element().text().collect();
        assert_eq!(text, "{\"@type\":\"Article\"}words");
    }

    #[test]
    fn stops_at_the_node_budget() {
        let budget = Budget {
            max_nodes: 1000,
            ..Budget::default()
        };
        let html = "<b>x</b>".repeat(5000);
        let outcome = document(&html, &Meter::start(budget));
        assert_eq!(outcome.err(), Some(ExtractError::TooManyNodes { limit: 1000 }));
    }

    #[test]
    fn stops_at_the_time_budget() {
        let budget = Budget {
            max_time: std::time::Duration::ZERO,
            ..Budget::default()
        };
        let html = "<p>x</p>".repeat(5000);
        let outcome = fragment(&html, &Meter::start(budget));
        assert!(
            matches!(outcome, Err(ExtractError::OutOfTime { .. })),
            "{outcome:?}"
        );
    }
}

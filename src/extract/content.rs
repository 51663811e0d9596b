//! Finding the article in the page: structural cleaning, readability-style candidate scoring, sibling
//! merging, and the conditional cleaning of the chosen subtrees.
//!
//! Scoring: every paragraph-like block (a `<p>`, `<pre>`, `<td>`, `<blockquote>`, or a `<div>`-like element
//! holding only inline content or loose text) scores `1 + commas + min(chars / 100, 3)`, credited in full to
//! its parent, half to its grandparent and a third per level further up (five levels). Candidates start
//! from a tag bonus plus the class/id weight and end scaled by `1 - link density`. The winner may be
//! promoted to an ancestor shared by other near-winners, then its qualifying siblings are merged in; none of
//! these moves leaves the page's own `<article>` around the winner. Teaser cards of other stories are
//! removed before scoring, as their blurbs read like prose once their linked headlines' `<header>` is gone.

use super::boilerplate::{class_weight, is_furniture_tag, is_hidden, is_promotion, looks_like_furniture};
use super::dom::{Dom, ROOT, heading_level, is_block};
use super::widgets::{
    is_caption_credit, is_code_label, is_follow_line, is_gallery, is_social_embed, is_widget,
    social_embed_chrome, teaser_cards, wraps_social_embed,
};

/// Paragraphs shorter than this carry no signal (captions, labels, bylines).
const MIN_PARAGRAPH_CHARS: u32 = 25;
/// How far up a paragraph's score is propagated.
const SCORED_ANCESTOR_LEVELS: usize = 5;
/// An element holding at least this share of the page's text is the page itself, not furniture.
const PROTECTED_SHARE: f64 = 0.5;
/// A paragraph this long is prose, not a label, kicker or byline.
const STORY_PARAGRAPH_CHARS: u32 = 100;
/// A block without `<p>` this long and barely linked reads as a paragraph of prose.
const PROSE_BLOCK_CHARS: u32 = 80;
/// Visible text enough for a short article: hidden text or a slideshow beside this much is not the article.
const MIN_VISIBLE_ARTICLE_CHARS: u32 = 250;

/// How much the first pass trusts class and id words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Cleaning {
    /// Furniture by tag, visibility and by class/id/role words.
    Full,
    /// What is never content whatever its name (furniture tags, hidden elements, forms), and furniture by
    /// name only where it holds no paragraphs: the second look at a page whose article the class words
    /// removed ("story-body-supplemental", "noRightRail").
    Structural,
}

/// First pass: drops what is never content (scripts, navigation, hidden elements, and with
/// [`Cleaning::Full`] furniture by class).
pub(super) fn clean(dom: &mut Dom, cleaning: Cleaning) {
    for index in 1..dom.len() {
        if !dom.is_removed(index) && dom.element(index).is_some() && is_furniture_tag(dom.name(index)) {
            dom.remove(index);
        }
    }
    dom.recompute();
    remove_teasers(dom);
    let page_chars = f64::from(dom.stats(ROOT).chars.max(1));
    let mut index = 1;
    // The `<figcaption>` being walked through, tracked instead of looked up so deep pages stay linear.
    let mut caption: Option<usize> = None;
    // Whether a paragraph of prose has been passed: an `<h1>` before it is the headline or the site's
    // name, one after it a section heading of the story.
    let mut story_started = false;
    while index < dom.len() {
        let name = dom.name(index);
        let end = dom.nodes[index].end;
        if caption.is_some_and(|c| index >= dom.nodes[c].end) {
            caption = None;
        }
        if dom.is_removed(index) || dom.element(index).is_none() || matches!(name, "html" | "body") {
            index += 1;
            continue;
        }
        if let Some(caption) = caption {
            // Inside a caption, class words describe the caption itself: only hidden text and a separate
            // credit element are furniture.
            if is_hidden(dom, index) || is_caption_credit(dom, index, caption) {
                dom.remove(index);
                index = end;
            } else {
                index += 1;
            }
            continue;
        }
        let share = f64::from(dom.stats(index).chars) / page_chars;
        // Headings and paragraphs carry text-derived ids and styling classes, not furniture markers.
        let text_element = heading_level(name).is_some() || name == "p";
        // The structural pass still trusts a furniture word on a block without paragraphs (a cookie bar, a
        // promo line), not on a container of them (`<p>`s, or bare `<div>`s of prose on sites that set
        // paragraphs so) nor on inline markup (math, a tooltip mid-sentence).
        let stats = dom.stats(index);
        let trusted = cleaning == Cleaning::Full
            || (stats.paragraphs == 0
                && (is_block(name) || stats.has_block)
                && !holds_prose_blocks(dom, index));
        // An embedded post keeps its wrapper whatever the wrapper is called ("social-embed").
        let by_name = trusted
            && ((!text_element && looks_like_furniture(dom, index) && !wraps_social_embed(dom, index))
                || is_code_label(dom, index));
        let set_apart = is_hidden(dom, index) || is_gallery(dom, index);
        // Hidden text and slideshows go even when they are most of the page, as long as the page shows an
        // article of its own; a page whose article waits hidden for a script keeps it.
        let apart_from_article = set_apart
            && page_chars - f64::from(dom.stats(index).chars) >= f64::from(MIN_VISIBLE_ARTICLE_CHARS);
        if let Some(run) = tag_run(dom, index) {
            dom.remove(run);
            index = dom.nodes[run].end;
            continue;
        }
        let headline = name == "h1" && share < 0.2 && !story_started;
        let furniture = set_apart || by_name || matches!(name, "form" | "header") || headline;
        if (furniture && share < PROTECTED_SHARE) || apart_from_article {
            dom.remove(index);
            index = end;
            continue;
        }
        if name == "figcaption" {
            caption = Some(index);
        }
        if is_social_embed(dom, index) {
            for chrome in social_embed_chrome(dom, index) {
                dom.remove(chrome);
            }
        }
        story_started |= name == "p" && stats.chars >= STORY_PARAGRAPH_CHARS && stats.link_density() < 0.5;
        index += 1;
    }
    dom.recompute();
}

/// Removes teaser cards of other stories (see [`teaser_cards`]) when the page has prose of its own
/// besides them; on a page that is nothing but cards, they are what there is.
fn remove_teasers(dom: &mut Dom) {
    let cards = teaser_cards(dom);
    if cards.is_empty() {
        return;
    }
    let prose = |dom: &Dom, range: std::ops::Range<usize>| -> u32 {
        range
            .filter(|&i| dom.name(i) == "p" && !dom.is_removed(i))
            .map(|i| dom.stats(i))
            .filter(|s| s.chars >= STORY_PARAGRAPH_CHARS && s.link_density() < 0.5)
            .map(|s| s.chars)
            .sum()
    };
    let in_cards: u32 = cards.iter().map(|&c| prose(dom, c..dom.nodes[c].end)).sum();
    if prose(dom, 1..dom.len()) - in_cards < MIN_VISIBLE_ARTICLE_CHARS {
        return;
    }
    for card in cards {
        dom.remove(card);
    }
    dom.recompute();
}

/// Whether a subtree holds two or more blocks of prose that are not `<p>`s: sites that set every
/// paragraph as a bare `<div>` have no paragraphs to count, and one such block is a notice, not a post.
fn holds_prose_blocks(dom: &Dom, index: usize) -> bool {
    (index + 1..dom.nodes[index].end)
        .filter(|&i| {
            let stats = dom.stats(i);
            !dom.is_removed(i)
                && is_block(dom.name(i))
                && !stats.has_block
                && stats.chars >= PROSE_BLOCK_CHARS
                && stats.link_density() < 0.25
        })
        .nth(1)
        .is_some()
}

/// For a link marked as a tag or category (`rel="tag"`, `rel="category tag"`), the element holding the run
/// of such links when they are most of its text: a post's tag list is navigation, whatever its label
/// ("Read more about …"). A tag link inside a sentence is left alone.
fn tag_run(dom: &Dom, index: usize) -> Option<usize> {
    let is_tag_link = |i: usize| {
        dom.name(i) == "a"
            && dom.attr(i, "rel").is_some_and(|rel| {
                rel.split_ascii_whitespace()
                    .any(|r| r.eq_ignore_ascii_case("tag"))
            })
    };
    if !is_tag_link(index) {
        return None;
    }
    let run = dom.nodes[index].parent;
    if run == ROOT || matches!(dom.name(run), "body" | "html") {
        return None;
    }
    let tag_chars: u32 = (run + 1..dom.nodes[run].end)
        .filter(|&i| is_tag_link(i) && !dom.is_removed(i))
        .map(|i| dom.stats(i).chars)
        .sum();
    (tag_chars * 2 >= dom.stats(run).chars).then_some(run)
}

fn tag_bonus(name: &str) -> f64 {
    match name {
        "div" | "article" | "section" | "main" => 5.0,
        "pre" | "td" | "blockquote" => 3.0,
        "address" | "ol" | "ul" | "dl" | "dd" | "dt" | "li" | "form" => -3.0,
        "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "th" => -5.0,
        _ => 0.0,
    }
}

/// Characters of the element's own inline content: text and inline children, not block children.
fn loose_text_chars(dom: &Dom, index: usize) -> (u32, u32) {
    let mut chars = 0;
    let mut commas = 0;
    for child in dom.children(index) {
        let name = dom.name(child);
        if !is_block(name) && !dom.stats(child).has_block {
            chars += dom.stats(child).chars;
            commas += dom.stats(child).commas;
        }
    }
    (chars, commas)
}

/// Per-node readability scores; `None` for nodes that never became candidates.
pub(super) struct Scores {
    scores: Vec<Option<f64>>,
    cleaning: Cleaning,
}

impl Scores {
    pub fn get(&self, index: usize) -> Option<f64> {
        self.scores.get(index).copied().flatten()
    }

    /// The element's class/id weight as this pass trusts it: with [`Cleaning::Structural`] a furniture
    /// word does not count against its element, since that pass exists because such a word was wrong.
    fn class_weight(&self, dom: &Dom, index: usize) -> f64 {
        trusted_class_weight(dom, index, self.cleaning)
    }
}

fn trusted_class_weight(dom: &Dom, index: usize, cleaning: Cleaning) -> f64 {
    let weight = class_weight(dom, index);
    match cleaning {
        Cleaning::Full => weight,
        Cleaning::Structural => weight.max(0.0),
    }
}

/// Scores every candidate, class and id words weighed as `cleaning` trusts them.
pub(super) fn score(dom: &Dom, cleaning: Cleaning) -> Scores {
    let mut scores = Scores {
        scores: vec![None; dom.len()],
        cleaning,
    };
    for index in 1..dom.len() {
        if dom.is_removed(index) || dom.element(index).is_none() {
            continue;
        }
        let name = dom.name(index);
        let stats = dom.stats(index);
        let (chars, commas) = match name {
            "p" | "pre" | "td" | "blockquote" | "dd" => (stats.chars, stats.commas),
            _ if !stats.has_block
                && matches!(name, "div" | "section" | "article" | "span" | "font" | "center") =>
            {
                (stats.chars, stats.commas)
            }
            _ if stats.has_block && !matches!(name, "html" | "body") => loose_text_chars(dom, index),
            _ => continue,
        };
        if chars < MIN_PARAGRAPH_CHARS || (name == "blockquote" && stats.paragraphs > 0) {
            continue;
        }
        let own = if stats.has_block { Some(index) } else { None };
        let points = 1.0 + f64::from(commas) + (f64::from(chars) / 100.0).min(3.0);
        let targets = own
            .into_iter()
            .chain(dom.ancestors(index))
            .take(SCORED_ANCESTOR_LEVELS);
        for (level, ancestor) in targets.enumerate() {
            let slot = &mut scores.scores[ancestor];
            let base = *slot.get_or_insert_with(|| {
                tag_bonus(dom.name(ancestor)) + trusted_class_weight(dom, ancestor, cleaning)
            });
            let divider = match level {
                0 => 1.0,
                1 => 2.0,
                n => n as f64 * 3.0,
            };
            *slot = Some(base + points / divider);
        }
    }
    for (index, slot) in scores.scores.iter_mut().enumerate() {
        if let Some(score) = slot {
            *score *= 1.0 - dom.stats(index).link_density();
        }
    }
    scores
}

/// The subtrees that hold the article, in document order. Empty when nothing scored.
pub(super) fn select(dom: &Dom, scores: &Scores) -> Vec<usize> {
    let mut ranked: Vec<(usize, f64)> = (0..dom.len())
        .filter_map(|i| scores.get(i).map(|s| (i, s)))
        .filter(|(i, _)| !dom.is_removed(*i))
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    let Some(&(mut top, top_score)) = ranked.first() else {
        return Vec::new();
    };

    // The page's own `<article>` around the winner bounds every move up: what lies outside it (other
    // stories, the publisher's "About us", an author box) is not this article, however well it scores.
    let container = article_container(dom, top);
    // Near-winners sharing an ancestor mean the article is split and the ancestor is the real container.
    let near: Vec<usize> = ranked
        .iter()
        .skip(1)
        .take(4)
        .filter(|(_, s)| *s >= top_score * 0.75)
        .map(|(i, _)| *i)
        .collect();
    if near.len() >= 2
        && let Some(shared) = dom
            .ancestors(top)
            .find(|&a| near.iter().filter(|&&n| dom.is_ancestor_of(a, n)).count() >= 2)
            .filter(|&a| !matches!(dom.name(a), "body" | "html"))
    {
        top = bounded(dom, container, shared);
    }
    top = climb(dom, scores, top, container);
    if container == Some(top) {
        return vec![top];
    }
    merge_siblings(dom, scores, top)
}

/// The `<article>` (or schema.org article) element around `index` that holds a story's worth of text.
fn article_container(dom: &Dom, index: usize) -> Option<usize> {
    std::iter::once(index).chain(dom.ancestors(index)).find(|&a| {
        let article = dom.name(a) == "article"
            || dom.attr(a, "itemtype").is_some_and(|t| {
                ["Article", "BlogPosting", "Report"]
                    .iter()
                    .any(|kind| t.trim_end_matches('/').ends_with(kind))
            });
        article && dom.stats(a).chars >= MIN_VISIBLE_ARTICLE_CHARS
    })
}

/// The page's own `<article>` holding the chosen body, if there is one: what lies outside it is not this
/// article, whoever else offers it.
pub(super) fn body_container(dom: &Dom, roots: &[usize]) -> Option<usize> {
    let container = article_container(dom, *roots.first()?)?;
    roots
        .iter()
        .all(|&root| within_container(dom, Some(container), root))
        .then_some(container)
}

/// Whether `index` is the article `container` or inside it (anything is, without one).
pub(super) fn within_container(dom: &Dom, container: Option<usize>, index: usize) -> bool {
    container.is_none_or(|c| c == index || dom.is_ancestor_of(c, index))
}

/// A move up to `ancestor`, stopped at the article `container` when it would leave it: the article is
/// larger than the winner, but not larger than itself.
fn bounded(dom: &Dom, container: Option<usize>, ancestor: usize) -> usize {
    match container {
        Some(container) if !within_container(dom, Some(container), ancestor) => container,
        _ => ancestor,
    }
}

/// Moves up while the parent scores higher, or is a wrapper adding nothing but this child; never past
/// the article's own `container`, which is as far as a move beyond it gets.
fn climb(dom: &Dom, scores: &Scores, mut top: usize, container: Option<usize>) -> usize {
    let mut last = scores.get(top).unwrap_or(0.0);
    let threshold = last / 3.0;
    let mut parent = dom.nodes[top].parent;
    while parent != ROOT && !matches!(dom.name(parent), "body" | "html") {
        let Some(parent_score) = scores.get(parent) else {
            parent = dom.nodes[parent].parent;
            continue;
        };
        if parent_score < threshold {
            break;
        }
        if parent_score > last {
            top = bounded(dom, container, parent);
            break;
        }
        last = parent_score;
        parent = dom.nodes[parent].parent;
    }
    loop {
        let parent = dom.nodes[top].parent;
        if parent == ROOT
            || matches!(dom.name(parent), "body" | "html")
            || !within_container(dom, container, parent)
        {
            return top;
        }
        let element_children = dom.children(parent).filter(|&c| dom.element(c).is_some()).count();
        let same_text = dom.stats(parent).chars == dom.stats(top).chars;
        if element_children == 1 || same_text {
            top = parent;
        } else {
            return top;
        }
    }
}

fn merge_siblings(dom: &Dom, scores: &Scores, top: usize) -> Vec<usize> {
    let parent = dom.nodes[top].parent;
    if parent == ROOT || matches!(dom.name(parent), "html") {
        return vec![top];
    }
    let top_score = scores.get(top).unwrap_or(0.0);
    let threshold = (top_score * 0.2).max(10.0);
    let top_class = dom.attr(top, "class").filter(|c| !c.is_empty());
    let siblings: Vec<usize> = dom
        .children(parent)
        .filter(|&c| dom.element(c).is_some() || c == top)
        .collect();
    let mut keep: Vec<bool> = siblings
        .iter()
        .map(|&sibling| {
            if sibling == top {
                return true;
            }
            if is_widget(dom, sibling) || is_headline_block(dom, sibling) {
                return false;
            }
            let bonus = if top_class.is_some() && dom.attr(sibling, "class") == top_class {
                top_score * 0.2
            } else {
                0.0
            };
            if scores.get(sibling).is_some_and(|s| s + bonus >= threshold) {
                return true;
            }
            let stats = dom.stats(sibling);
            let density = stats.link_density();
            // A container of real paragraphs (a lede or a second body part in its own wrapper) is content
            // even when too short to score.
            let paragraph_box = stats.paragraphs > 0
                && stats.chars > 80
                && density < 0.25
                && scores.class_weight(dom, sibling) >= 0.0
                && !is_teaser_list(dom, sibling)
                && !is_promotion(&dom.present_text(sibling).to_lowercase());
            // Whatever its shape, a sibling whose class or id says furniture (a cookie bar scored -15.7)
            // joins only on its score.
            let prose_like = scores.class_weight(dom, sibling) >= 0.0
                && (paragraph_box
                    || matches!(
                        dom.name(sibling),
                        "p" | "blockquote" | "ul" | "ol" | "dl" | "table" | "pre" | "figure"
                    )
                    || (!stats.has_block && matches!(dom.name(sibling), "div" | "section")));
            // A short line is taken only after the article has started: before it, short lines are the
            // headline's deck, byline and dateline.
            prose_like
                && ((stats.chars > 80 && density < 0.25)
                    || (sibling > top
                        && stats.chars > 0
                        && stats.chars <= 80
                        && density == 0.0
                        && ends_sentence(dom, sibling)))
        })
        .collect();
    // A heading between kept siblings introduces the section after it, and so does a short unlinked line
    // ending in a colon ("The new rates are as follows:") the table or list after it.
    for position in 0..siblings.len() {
        let between = keep[..position].iter().any(|k| *k) && keep.get(position + 1).copied().unwrap_or(false);
        let sibling = siblings[position];
        let introduces = heading_level(dom.name(sibling)).is_some() || is_lead_in(dom, sibling);
        if !keep[position] && between && introduces {
            keep[position] = true;
        }
    }
    siblings
        .into_iter()
        .zip(keep)
        .filter(|(_, k)| *k)
        .map(|(s, _)| s)
        .collect()
}

/// A list of other stories: several headings that are (mostly) links, each over a short standfirst.
fn is_teaser_list(dom: &Dom, index: usize) -> bool {
    let linked_headings = (index + 1..dom.nodes[index].end)
        .filter(|&i| heading_level(dom.name(i)).is_some() && !dom.is_removed(i))
        .filter(|&i| {
            let stats = dom.stats(i);
            stats.chars > 0 && stats.link_chars * 2 >= stats.chars
        })
        .count();
    linked_headings >= 2
}

/// The block that held the page's headline (cleaning has removed the `<h1>` itself): what is left there
/// is deck, byline and dateline, unless it also holds much text or a paragraph long enough to be the lede.
fn is_headline_block(dom: &Dom, index: usize) -> bool {
    let range = index + 1..dom.nodes[index].end;
    dom.stats(index).chars < 400
        && range.clone().any(|i| dom.name(i) == "h1")
        && !range
            .into_iter()
            .any(|i| dom.name(i) == "p" && !dom.is_removed(i) && dom.stats(i).chars >= 200)
}

/// A short line without links that ends in a colon: it leads into whatever follows it.
fn is_lead_in(dom: &Dom, index: usize) -> bool {
    let stats = dom.stats(index);
    stats.chars <= 200 && stats.link_chars == 0 && dom.text_content(index).trim_end().ends_with([':', '：'])
}

fn ends_sentence(dom: &Dom, index: usize) -> bool {
    let text = dom.present_text(index);
    text.ends_with(['.', '!', '?', '。', '"', '”']) || text.contains(". ")
}

/// Second pass inside the chosen subtrees: removes link lists, forms, promotion boxes and blocks whose
/// class or score says furniture, unless they hold most of the article.
pub(super) fn clean_conditionally(dom: &mut Dom, scores: &Scores, roots: &[usize]) {
    for &root in roots {
        let root_chars = f64::from(dom.stats(root).chars.max(1));
        let root_prose = f64::from(unlinked_chars(dom, root).max(1));
        let end = dom.nodes[root].end;
        let mut index = root + 1;
        while index < end {
            let subtree_end = dom.nodes[index].end;
            if dom.is_removed(index) || dom.element(index).is_none() {
                index = subtree_end;
                continue;
            }
            // Most of the root's unlinked text is the article, however many links sit beside it.
            let holds_prose = f64::from(unlinked_chars(dom, index)) / root_prose > PROTECTED_SHARE;
            if !holds_prose && should_drop(dom, scores, index, root_chars) {
                dom.remove(index);
                index = subtree_end;
            } else {
                index += 1;
            }
        }
    }
    dom.recompute();
    drop_trailing_follow_lines(dom, roots);
    if let [root] = roots {
        drop_footer_after_last_rule(dom, *root);
    }
}

/// "Follow us on Facebook and X, or get our newsletter" paragraphs after the article's last paragraph: the
/// sign-off promotion many sites append to every story. Mid-article, the same links can be reporting.
fn drop_trailing_follow_lines(dom: &mut Dom, roots: &[usize]) {
    let paragraphs: Vec<usize> = roots
        .iter()
        .flat_map(|&root| root..dom.nodes[root].end)
        .filter(|&i| dom.name(i) == "p" && !dom.is_removed(i) && dom.stats(i).chars >= MIN_PARAGRAPH_CHARS)
        .collect();
    let mut dropped = false;
    for &paragraph in paragraphs.iter().rev() {
        if !is_follow_line(dom, paragraph) {
            break;
        }
        dom.remove(paragraph);
        dropped = true;
    }
    if dropped {
        dom.recompute();
    }
}

fn should_drop(dom: &Dom, scores: &Scores, index: usize, root_chars: f64) -> bool {
    let name = dom.name(index);
    let stats = dom.stats(index);
    let density = stats.link_density();
    if f64::from(stats.chars) / root_chars > PROTECTED_SHARE && density < 0.5 {
        return false;
    }
    match name {
        "p" => stats.chars < 200 && density > 0.9 && stats.images == 0,
        // A span of inline content is part of a sentence ("a statement [Twitter Lite] will be…"); a
        // `<center>` is a block of its own, a line of page links in older layouts.
        "span" if !stats.has_block => false,
        "ul" | "ol" | "dl" => density > 0.5 && stats.chars > 0,
        "div" | "section" | "table" | "span" | "article" | "figure" | "center" | "details" => {
            if is_widget(dom, index) {
                return true;
            }
            let weight = scores.class_weight(dom, index) + scores.get(index).unwrap_or(0.0);
            if weight < 0.0 || density > 0.5 || (density > 0.33 && stats.chars < 1500) {
                // An embedded post is a quote in the story, whatever its wrapper is called.
                return !wraps_social_embed(dom, index);
            }
            if stats.inputs > 0 && stats.inputs > stats.paragraphs / 3 {
                return true;
            }
            if stats.images == 0 && stats.chars == 0 {
                return !has_code_or_table(dom, index);
            }
            // Paywall boxes stack several one-line paragraphs ("Subscribe…", "Already a subscriber?").
            stats.chars < 600
                && (stats.paragraphs <= 2 || stats.chars < 40 * stats.paragraphs)
                && is_promotion(&dom.present_text(index).to_lowercase())
        }
        _ => false,
    }
}

fn unlinked_chars(dom: &Dom, index: usize) -> u32 {
    let stats = dom.stats(index);
    stats.chars - stats.link_chars
}

fn has_code_or_table(dom: &Dom, index: usize) -> bool {
    let end = dom.nodes[index].end;
    (index..end).any(|i| matches!(dom.name(i), "pre" | "table" | "hr"))
}

/// The page's own declaration of where the article is: `[itemprop=articleBody]`, else the largest
/// `<article>`, else `<main>`/`[role=main]`.
pub(super) fn semantic_containers(dom: &Dom) -> Vec<usize> {
    let present = |i: &usize| !dom.is_removed(*i) && dom.stats(*i).chars > 0;
    let largest = |matches: &dyn Fn(usize) -> bool| {
        (1..dom.len())
            .filter(|&i| matches(i))
            .filter(present)
            .max_by_key(|&i| dom.stats(i).chars)
    };
    largest(&|i| dom.attr(i, "itemprop").is_some_and(|p| p.contains("articleBody")))
        .or_else(|| largest(&|i| dom.name(i) == "article"))
        .or_else(|| largest(&|i| dom.name(i) == "main" || dom.attr(i, "role") == Some("main")))
        .into_iter()
        .collect()
}

/// Every paragraph that reads like prose, in document order: the last resort for pages whose structure
/// defeats scoring.
pub(super) fn prose_paragraphs(dom: &Dom) -> Vec<usize> {
    (1..dom.len())
        .filter(|&i| {
            let stats = dom.stats(i);
            dom.name(i) == "p"
                && !dom.is_removed(i)
                && stats.chars >= MIN_PARAGRAPH_CHARS
                && stats.link_density() < 0.5
        })
        .collect()
}

/// Text after a page's last `<hr>` that may be its footer rather than the article's end.
const FOOTER_CHARS: u32 = 250;

/// On a page whose article is loose text in `<body>` (no container to select), the last horizontal rule
/// followed by a few short lines ("updated 3 March", a mail link, "back to …") separates the article from
/// the page's footer, which goes. Much text after the rule is still the article.
pub(super) fn drop_footer_after_last_rule(dom: &mut Dom, root: usize) {
    let body = match dom.name(root) {
        "body" => Some(root),
        _ if root == ROOT => (1..dom.len()).find(|&i| dom.name(i) == "body" && !dom.is_removed(i)),
        _ => None,
    };
    let Some(body) = body else {
        return;
    };
    let Some(rule) = dom.children(body).filter(|&c| dom.name(c) == "hr").last() else {
        return;
    };
    let after: Vec<usize> = dom.children(body).filter(|&c| c > rule).collect();
    let after_chars: u32 = after.iter().map(|&c| dom.stats(c).chars).sum();
    if after_chars > FOOTER_CHARS || dom.stats(body).chars < after_chars * 4 {
        return;
    }
    for node in after {
        dom.remove(node);
    }
    dom.recompute();
}

//! Furniture that reads like content: boxes set inside or beside the article that carry prose, so neither
//! link density nor scoring gives them away, but whose structure does.
//!
//! - sign-up and poll boxes: a short block that held a form control (the control itself is already gone);
//! - membership, donation and newsletter pitches: a box with a call to action (a link to /join/,
//!   /donate/, /newsletters/, …) that is short, or whose class says "pitch"/"member"/"insert", or whose
//!   text is a promotion;
//! - shopping cards: several `rel=sponsored` links over product names and several prices, no prose;
//! - author bio boxes: a short box headed "About the author";
//! - "follow us" lines: a short paragraph that links to several social profiles or a newsletter page;
//! - photo credits inside a caption and filename labels above a code block;
//! - teaser cards: repeated short blocks, each a linked headline over a short blurb ("More from Transport",
//!   a river of other stories), which look like prose once cleaning has taken the `<header>` holding
//!   the link;
//! - the chrome of an embedded social post (attribution, date link, "View this post on …"), whose own
//!   words are a quote in the story.

use std::collections::HashMap;

use super::boilerplate::{class_words, contains_ignore_case, is_promotion};
use super::dom::{Dom, heading_level, is_block};

/// First path segments of call-to-action targets: membership, donations, subscriptions, newsletters.
#[rustfmt::skip]
const CTA_SEGMENTS: &[&str] = &[
    "join", "donate", "donation", "donations", "support-us", "membership", "subscribe", "subscription",
    "subscriptions", "newsletter", "newsletters", "signup", "sign-up", "give", "contribute", "suscripciones",
    "suscripcion", "suscribete", "assine", "assinatura", "abonnement", "abonnements", "abo", "abonnieren",
];

/// Class words of boxes that interrupt or close an article to ask for something.
#[rustfmt::skip]
const PITCH_WORDS: &[&str] = &[
    "pitch", "member", "members", "membership", "donate", "donation", "support", "appeal", "fundraising",
    "insert", "cta", "upsell", "paywall", "engagement", "callout", "subscribe", "subscription",
];

/// Hosts whose profile links make a "follow us" line.
#[rustfmt::skip]
const SOCIAL_HOSTS: &[&str] = &[
    "facebook.com", "x.com", "twitter.com", "instagram.com", "threads.net", "tiktok.com", "youtube.com",
    "linkedin.com", "t.me", "bsky.app", "whatsapp.com", "pinterest.com", "telegram.me",
];

/// Path pieces of links to one post or a share dialog, not to a profile.
const POST_PATHS: &[&str] = &[
    "/status/", "/posts/", "/p/", "/reel/", "/watch", "/video", "sharer", "intent", "share", "/events/",
];

/// Headings of author bio boxes.
#[rustfmt::skip]
const BIO_HEADINGS: &[&str] = &[
    "about the author", "about the authors", "about the reporter", "about the writer",
    "about the contributor", "sobre el autor", "sobre la autora", "sobre o autor", "sobre a autora",
    "à propos de l'auteur", "à propos de l’auteur", "über den autor", "über die autorin", "sull'autore",
    "작성자 소개", "기자 소개",
];

/// A box that looks like content but is page furniture (see the module docs).
pub(super) fn is_widget(dom: &Dom, index: usize) -> bool {
    let stats = dom.stats(index);
    if stats.chars == 0 {
        return false;
    }
    // Inline elements are pieces of a sentence, never a box.
    if !matches!(
        dom.name(index),
        "div" | "section" | "aside" | "article" | "figure" | "details" | "center"
    ) && !stats.has_block
    {
        return false;
    }
    (stats.chars < 300 && stats.images == 0 && held_form_control(dom, index) && !holds(dom, index, "pre"))
        || (stats.chars < 2500 && is_pitch(dom, index))
        || (stats.chars < 1500 && is_product_cards(dom, index))
        || (stats.chars < 1500 && is_bio_box(dom, index))
}

/// Class or id words that name a slideshow of pictures.
const GALLERY_WORDS: &[&str] = &["gallery", "slideshow", "carousel", "lightbox", "slider"];

/// A slideshow: named so by class or id and holding several pictures or slides. Its captions describe
/// other pictures, often other stories ("1/50 United goin down"), not the article around it.
pub(super) fn is_gallery(dom: &Dom, index: usize) -> bool {
    let stats = dom.stats(index);
    let slides = stats.images >= 3 || stats.list_items >= 3;
    slides
        && [dom.attr(index, "class"), dom.attr(index, "id")]
            .into_iter()
            .flatten()
            .any(|value| class_words(value).any(|w| GALLERY_WORDS.iter().any(|g| w.eq_ignore_ascii_case(g))))
}

/// A card's text besides its headline: a blurb, a date, a byline, not an article.
const TEASER_BLURB_CHARS: u32 = 350;
/// Text allowed before a card's headline (a section label or kicker).
const TEASER_KICKER_CHARS: u32 = 40;

/// Teaser cards of other stories, in document order: the outermost block around a linked headline
/// (`<h2>`–`<h6>` whose text is mostly a link to another page) that holds no other linked headline and
/// only a short blurb besides, and has a sibling card beside it. Headlines linking within the page (a
/// table of contents, a live blog's entry permalinks) do not count, nor sponsored links, nor a group whose
/// headlines lead to different sites (a shopping round-up's products, not the site's own stories).
pub(super) fn teaser_cards(dom: &Dom) -> Vec<usize> {
    let headlines: Vec<(usize, usize)> = (1..dom.len())
        .filter(|&i| matches!(heading_level(dom.name(i)), Some(2..)) && !dom.is_removed(i))
        .filter_map(|i| headline_link(dom, i).map(|link| (i, link)))
        .collect();
    if headlines.len() < 2 {
        return Vec::new();
    }
    let mut linked_below = vec![0u32; dom.len()];
    for &(headline, _) in &headlines {
        for ancestor in dom.ancestors(headline) {
            linked_below[ancestor] += 1;
        }
    }
    let cards: Vec<(usize, Option<&str>)> = headlines
        .iter()
        .filter_map(|&(headline, link)| {
            let card = dom
                .ancestors(headline)
                .take_while(|&a| {
                    linked_below[a] == 1
                        && !matches!(dom.name(a), "body" | "html")
                        && dom.stats(a).chars <= dom.stats(headline).chars + TEASER_BLURB_CHARS
                })
                .last()?;
            let before: u32 = (card + 1..headline)
                .filter_map(|i| dom.text(i).map(|_| dom.stats(i).chars))
                .sum();
            let host = dom.attr(link, "href").and_then(link_host);
            (before <= TEASER_KICKER_CHARS).then_some((card, host))
        })
        .collect();
    // Per parent: how many cards, the site their absolute links lead to, and whether they disagree.
    let mut groups: HashMap<usize, (u32, Option<&str>, bool)> = HashMap::new();
    for &(card, host) in &cards {
        let group = groups.entry(dom.nodes[card].parent).or_insert((0, None, false));
        group.0 += 1;
        match (group.1, host) {
            (Some(site), Some(host)) if !site.eq_ignore_ascii_case(host) => group.2 = true,
            (None, Some(host)) => group.1 = Some(host),
            _ => {}
        }
    }
    cards
        .into_iter()
        .map(|(card, _)| card)
        .filter(|card| {
            groups
                .get(&dom.nodes[*card].parent)
                .is_some_and(|g| g.0 >= 2 && !g.2)
        })
        .collect()
}

/// The link that makes a headline a link to another page: one around it, or the one inside holding most
/// of its text. Not an in-page anchor, nor a sponsored link.
fn headline_link(dom: &Dom, heading: usize) -> Option<usize> {
    let chars = dom.stats(heading).chars;
    if chars == 0 {
        return None;
    }
    let leaves_page = |link: usize| {
        dom.attr(link, "href")
            .is_some_and(|href| !href.trim().is_empty() && !href.trim_start().starts_with('#'))
            && !dom
                .attr(link, "rel")
                .is_some_and(|rel| contains_ignore_case(rel, "sponsored"))
    };
    if let Some(around) = dom.ancestors(heading).take(3).find(|&a| dom.name(a) == "a") {
        return leaves_page(around).then_some(around);
    }
    present_links(dom, heading)
        .filter(|&link| leaves_page(link))
        .max_by_key(|&link| dom.stats(link).chars)
        .filter(|&link| dom.stats(link).chars * 2 >= chars)
}

/// The host of an absolute (or protocol-relative) link, without "www."; `None` for a link within the site.
fn link_host(href: &str) -> Option<&str> {
    let href = href.trim();
    let rest = href
        .split_once("://")
        .map(|(_, rest)| rest)
        .or_else(|| href.strip_prefix("//"))?;
    let host = rest.split(['/', '?', '#']).next()?;
    Some(host.strip_prefix("www.").unwrap_or(host))
}

/// Class markers of embedded social posts: X/Twitter, Instagram, TikTok, Threads, Bluesky, Mastodon,
/// Facebook.
const SOCIAL_EMBED_CLASSES: &[&str] = &[
    "twitter-tweet",
    "twitter-video",
    "instagram-media",
    "tiktok-embed",
    "text-post-media",
    "bluesky-embed",
    "mastodon-embed",
    "fb-xfbml-parse-ignore",
];

/// An embedded social post as its provider's snippet writes it: a `<blockquote>` that the provider's
/// script would replace with a frame.
pub(super) fn is_social_embed(dom: &Dom, index: usize) -> bool {
    dom.name(index) == "blockquote"
        && dom.attr(index, "class").is_some_and(|class| {
            class
                .split_ascii_whitespace()
                .any(|c| SOCIAL_EMBED_CLASSES.iter().any(|m| c.eq_ignore_ascii_case(m)))
        })
}

/// The chrome of a social embed, to remove: its boxes other than paragraphs of the post's own words
/// ("View this post on Instagram", a "A post shared by" link paragraph, a TikTok player section) and the
/// photo link at the end of a tweet. The attribution line ("— Name (@handle) date") stays: it says who
/// is quoted.
pub(super) fn social_embed_chrome(dom: &Dom, embed: usize) -> Vec<usize> {
    let mut chrome = Vec::new();
    for child in dom.children(embed).filter(|&c| dom.element(c).is_some()) {
        let name = dom.name(child);
        let boxed = is_block(name) || dom.stats(child).has_block;
        if boxed && (name != "p" || dom.stats(child).link_density() > 0.5) {
            chrome.push(child);
            continue;
        }
        chrome.extend(present_links(dom, child).filter(|&link| {
            let text = dom.text_content(link);
            ["pic.twitter.com/", "pic.x.com/"]
                .iter()
                .any(|p| text.starts_with(p))
        }));
    }
    chrome
}

/// Whether a block named like furniture ("social-embed", "embed-social") is the wrapper of an embedded
/// post, which is a quote in the story.
pub(super) fn wraps_social_embed(dom: &Dom, index: usize) -> bool {
    let chars = dom.stats(index).chars;
    subtree(dom, index)
        .find(|&i| is_social_embed(dom, i) && !dom.is_removed(i))
        .is_some_and(|embed| dom.stats(embed).chars * 2 >= chars)
}

/// Whether the subtree had a form control, removed or not (cleaning drops the controls themselves), that
/// was not part of another box removed before (a sign-up box inside the block says nothing about the rest).
fn held_form_control(dom: &Dom, index: usize) -> bool {
    dom.descendants_pruned(index).any(|i| {
        matches!(
            dom.name(i),
            "form" | "input" | "button" | "select" | "textarea" | "label"
        )
    })
}

fn holds(dom: &Dom, index: usize, name: &str) -> bool {
    subtree(dom, index).any(|i| dom.name(i) == name && !dom.is_removed(i))
}

/// Every node below `index`, removed ones included.
fn subtree(dom: &Dom, index: usize) -> std::ops::Range<usize> {
    index + 1..dom.nodes.get(index).map_or(index, |n| n.end)
}

fn present_links<'d>(dom: &'d Dom, index: usize) -> impl Iterator<Item = usize> + 'd {
    subtree(dom, index).filter(move |&i| dom.name(i) == "a" && !dom.is_removed(i))
}

fn first_segment(href: &str) -> Option<String> {
    let path = href.trim();
    let path = match path.find("://") {
        Some(scheme_end) => {
            let rest = &path[scheme_end + 3..];
            &rest[rest.find('/').unwrap_or(rest.len())..]
        }
        None => path,
    };
    path.split(['?', '#'])
        .next()?
        .split('/')
        .find(|s| !s.is_empty())
        .map(str::to_ascii_lowercase)
}

fn is_cta_link(dom: &Dom, link: usize) -> bool {
    dom.attr(link, "href")
        .and_then(first_segment)
        .is_some_and(|segment| CTA_SEGMENTS.contains(&segment.as_str()))
}

fn is_pitch(dom: &Dom, index: usize) -> bool {
    if !present_links(dom, index).any(|link| is_cta_link(dom, link)) {
        return false;
    }
    let marked = [dom.attr(index, "class"), dom.attr(index, "id")]
        .into_iter()
        .flatten()
        .flat_map(class_words)
        .any(|word| PITCH_WORDS.iter().any(|w| w.eq_ignore_ascii_case(word)));
    // A short box is nothing but the call to action ("Our weekly garden letter. Sign up").
    marked || dom.stats(index).chars < 300 || is_promotion(&dom.present_text(index).to_lowercase())
}

/// Product cards: at least two sponsored links and no paragraph long enough to be prose.
fn is_product_cards(dom: &Dom, index: usize) -> bool {
    let sponsored = present_links(dom, index)
        .filter(|&link| {
            dom.attr(link, "rel")
                .is_some_and(|r| contains_ignore_case(r, "sponsored"))
        })
        .count();
    sponsored >= 2
        && prices(&dom.present_text(index)) >= 2
        && !subtree(dom, index).any(|i| dom.name(i) == "p" && !dom.is_removed(i) && dom.stats(i).chars >= 150)
}

/// Price tags in a text: a currency sign next to a digit ("$89.99", "€ 12", "12,90 €", "3만9000원" is not
/// counted, "39,000원" is).
fn prices(text: &str) -> usize {
    const CURRENCIES: &[char] = &['$', '€', '£', '¥', '₩', '円', '원'];
    let chars: Vec<char> = text.chars().collect();
    chars
        .iter()
        .enumerate()
        .filter(|&(i, c)| {
            CURRENCIES.contains(c)
                && [i.checked_sub(1), i.checked_sub(2), Some(i + 1), Some(i + 2)]
                    .into_iter()
                    .flatten()
                    .filter_map(|j| chars.get(j))
                    .any(char::is_ascii_digit)
        })
        .count()
}

fn is_bio_box(dom: &Dom, index: usize) -> bool {
    // The first element that carries only inline text must be the heading.
    let first = subtree(dom, index).find(|&i| {
        let stats = dom.stats(i);
        dom.element(i).is_some() && !dom.is_removed(i) && stats.chars > 0 && !stats.has_block
    });
    first.is_some_and(|heading| {
        let is_heading = heading_level(dom.name(heading)).is_some()
            || matches!(dom.name(heading), "strong" | "b" | "p" | "span" | "div");
        let text = dom.text_content(heading).to_lowercase();
        let text = text.trim_end_matches([':', '.']);
        is_heading && BIO_HEADINGS.contains(&text)
    })
}

/// A short paragraph that sends readers to several social profiles or a newsletter: "Follow us on
/// Facebook and X, or get our weekly newsletter".
pub(super) fn is_follow_line(dom: &Dom, index: usize) -> bool {
    let stats = dom.stats(index);
    if stats.chars >= 300 {
        return false;
    }
    let targets = present_links(dom, index)
        .filter_map(|link| dom.attr(link, "href"))
        .filter(|href| is_profile_link(href) || first_segment(href).is_some_and(|s| s.contains("newsletter")))
        .count();
    targets >= 2
}

fn is_profile_link(href: &str) -> bool {
    let lower = href.trim().to_ascii_lowercase();
    let Some(rest) = lower.split_once("://").map(|(_, rest)| rest) else {
        return false;
    };
    let host = rest.split('/').next().unwrap_or_default();
    let host = host.strip_prefix("www.").unwrap_or(host);
    SOCIAL_HOSTS.contains(&host) && !POST_PATHS.iter().any(|p| rest.contains(p))
}

/// Credit markers inside captions: class words and openings of the credit's text.
const CREDIT_CLASS_WORDS: &[&str] = &[
    "credit",
    "credits",
    "source",
    "copyright",
    "photographer",
    "byline",
    "author",
    "attribution",
    "courtesy",
];
#[rustfmt::skip]
const CREDIT_OPENINGS: &[&str] = &[
    "photo:", "photo by", "photos:", "photograph", "foto:", "fotos:", "image:", "images:", "credit:",
    "credits:", "courtesy", "©", "(c)", "illustration:", "picture:", "사진", "写真", "图片", "圖片",
];

/// An element inside a `<figcaption>` that is the photo credit rather than the caption: marked by class,
/// opening with "Photo:"/"©"/"사진", or wholly in brackets ("[Agency photo]", "(Reuters)").
pub(super) fn is_caption_credit(dom: &Dom, index: usize, caption: usize) -> bool {
    let chars = dom.stats(index).chars;
    if chars == 0 || chars > 80 || chars >= dom.stats(caption).chars || dom.stats(index).has_block {
        return false;
    }
    let marked = [dom.attr(index, "class"), dom.attr(index, "id")]
        .into_iter()
        .flatten()
        .flat_map(class_words)
        .any(|word| CREDIT_CLASS_WORDS.iter().any(|w| w.eq_ignore_ascii_case(word)));
    if marked {
        return true;
    }
    // Unmarked, only the caption's closing element can be the credit: a bracketed aside earlier in the
    // caption ("(from left)") is part of it.
    let after = dom.nodes[index].end..dom.nodes[caption].end;
    if after
        .into_iter()
        .any(|i| !dom.is_removed(i) && dom.text(i).is_some_and(|t| !t.trim().is_empty()))
    {
        return false;
    }
    let text = dom.text_content(index).to_lowercase();
    let bracketed = [('[', ']'), ('(', ')'), ('【', '】'), ('〔', '〕'), ('<', '>')]
        .iter()
        .any(|&(open, close)| text.starts_with(open) && text.ends_with(close));
    bracketed || CREDIT_OPENINGS.iter().any(|o| text.starts_with(o))
}

/// A filename label above a code block ("fetch_wait_for.py" in the block's header bar): the first element
/// of a small wrapper whose next element holds the `<pre>`, with a single path-like word as its text.
pub(super) fn is_code_label(dom: &Dom, index: usize) -> bool {
    let name = dom.name(index);
    let chars = dom.stats(index).chars;
    if chars == 0 || chars > 80 || name == "p" || name == "pre" || heading_level(name).is_some() {
        return false;
    }
    let parent = dom.nodes.get(index).map_or(index, |n| n.parent);
    let mut siblings = dom.children(parent).filter(|&c| dom.element(c).is_some());
    let (Some(first), Some(next)) = (siblings.next(), siblings.next()) else {
        return false;
    };
    // At most one more element (a copy button) beside the label and the code.
    if first != index || siblings.take(2).count() > 1 || !(dom.name(next) == "pre" || holds(dom, next, "pre"))
    {
        return false;
    }
    let text = dom.text_content(index);
    !text.is_empty()
        && !text.contains(char::is_whitespace)
        && text.contains(['.', '/'])
        && !text.ends_with(['.', ':', '!', '?'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_profiles_from_posts() {
        assert!(is_profile_link("https://www.facebook.com/ourpaper"));
        assert!(is_profile_link("https://x.com/ourpaper"));
        assert!(!is_profile_link("https://x.com/someone/status/123"));
        assert!(!is_profile_link("https://www.facebook.com/sharer/sharer.php?u=x"));
        assert!(!is_profile_link("/facebook/"));
    }

    #[test]
    fn counts_prices() {
        assert_eq!(prices("Shelving $89.99 Bins $42.50"), 2);
        assert_eq!(prices("12,90 € and 3 €"), 2);
        assert_eq!(prices("It cost dollars ($) to build"), 0);
    }

    #[test]
    fn reads_link_hosts() {
        assert_eq!(link_host("https://www.example.com/a/b"), Some("example.com"));
        assert_eq!(link_host("//cdn.example.org?x"), Some("cdn.example.org"));
        assert_eq!(link_host("/news/2025/story"), None);
        assert_eq!(link_host("story.html"), None);
    }

    #[test]
    fn reads_first_path_segments() {
        assert_eq!(first_segment("/join/").as_deref(), Some("join"));
        assert_eq!(
            first_segment("https://example.org/Donate?x=1").as_deref(),
            Some("donate")
        );
        assert_eq!(first_segment("https://example.org").as_deref(), None);
    }
}

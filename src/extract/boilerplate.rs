//! What page furniture looks like: class/id vocabulary, ARIA roles, hidden elements, and the short lines
//! ("Share this", "Advertisement", "Read more") that survive structural cleaning.
//!
//! Class and id values are split into words (on punctuation and camelCase) so that `read-more` does not
//! count as `ad-` and `tbody` does not count as `body`; a few compound words are matched as substrings.

use super::dom::Dom;
use super::text::normalize;

/// Words that mark furniture so reliably that the element is dropped before scoring.
#[rustfmt::skip]
const NEGATIVE_WORDS: &[&str] = &[
    "ad", "ads", "adv", "advert", "advertisement", "advertising", "aside", "banner", "breadcrumb",
    "breadcrumbs", "byline", "comment", "comments", "consent", "cookie", "cookies", "crumbs", "cta",
    "disqus", "dropdown", "flyout", "footer", "gdpr", "meta", "menu", "modal", "nav", "navbar",
    "navigation", "newsletter", "outbrain", "overlay", "pagination", "pager", "popular", "popup", "promo",
    "promotion", "rail", "recirc", "recommended", "related", "share", "sharing", "sidebar", "signup",
    "skip", "social", "sponsor", "sponsored", "subscribe", "subscription", "tags", "taboola", "toolbar",
    "tooltip", "trending", "widget", "masthead", "login", "donate", "shoutbox", "supplemental",
    "skyscraper", "tools", "sns", "relate", "prev", "previous", "bio", "author", "follow", "tag", "topics",
    "credit", "toc", "foot", "writer", "replies", "reply", "settings",
];

/// Compound spellings that do not split into the words above.
#[rustfmt::skip]
const NEGATIVE_SUBSTRINGS: &[&str] = &[
    "comment", "sidebar", "newsletter", "subscri", "advert", "banner", "breadcrumb", "widget", "sharing",
    "social", "related", "promo", "cookie", "popup", "footer", "authorbio", "author-bio", "readmore",
    "read-more", "morestories", "more-stories", "recommend", "signup", "sign-up", "adslot", "adunit",
    "ad-slot", "ad-unit", "ad-container", "ad-wrapper", "dfp", "paid-content", "inline-cta",
    "table-of-contents", "copyright",
];

#[rustfmt::skip]
const POSITIVE_WORDS: &[&str] = &[
    "article", "body", "content", "entry", "main", "post", "story", "text", "blog", "hentry", "prose",
    "richtext", "paragraph", "news", "column", "articlebody", "article-body", "story-body",
];

/// Roles that are never the article.
#[rustfmt::skip]
const FURNITURE_ROLES: &[&str] = &[
    "navigation", "menu", "menubar", "complementary", "banner", "contentinfo", "dialog", "alertdialog",
    "search", "tablist", "toolbar",
];

/// Tags whose content is never article text (`noscript` is consulted separately for image fallbacks).
pub(super) fn is_furniture_tag(name: &str) -> bool {
    matches!(
        name,
        "head"
            | "script"
            | "style"
            | "noscript"
            | "template"
            | "svg"
            | "canvas"
            | "iframe"
            | "object"
            | "embed"
            | "button"
            | "input"
            | "select"
            | "textarea"
            | "option"
            | "nav"
            | "aside"
            | "footer"
            | "dialog"
            | "menu"
            | "link"
            | "meta"
            | "label"
            | "audio"
            | "video"
            | "map"
    )
}

/// The words of a class or id value: split on non-alphanumerics and lower→upper case changes.
pub(super) fn class_words(value: &str) -> impl Iterator<Item = &str> + '_ {
    let mut rest = value;
    std::iter::from_fn(move || {
        let start = rest.find(char::is_alphanumeric)?;
        rest = &rest[start..];
        let mut prev_lower = false;
        let end = rest
            .char_indices()
            .find(|&(_, c)| {
                let boundary = !c.is_alphanumeric() || (c.is_uppercase() && prev_lower);
                prev_lower = c.is_lowercase();
                boundary
            })
            .map_or(rest.len(), |(i, _)| i);
        let (word, tail) = rest.split_at(end);
        rest = tail;
        Some(word)
    })
}

/// Case-insensitive substring test without allocating (class names are ASCII in practice).
pub(super) fn contains_ignore_case(haystack: &str, needle: &str) -> bool {
    let (haystack, needle) = (haystack.as_bytes(), needle.as_bytes());
    needle.is_empty()
        || haystack
            .windows(needle.len())
            .any(|window| window.eq_ignore_ascii_case(needle))
}

fn is_listed(word: &str, list: &[&str]) -> bool {
    list.iter().any(|entry| entry.eq_ignore_ascii_case(word))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Signal {
    Positive,
    Negative,
    Neutral,
}

/// Classifies one class or id value; negative wins because furniture ("related-posts") often borrows
/// content words.
fn classify(value: &str) -> Signal {
    let negative = NEGATIVE_SUBSTRINGS.iter().any(|s| contains_ignore_case(value, s))
        || class_words(value).any(|w| is_listed(w, NEGATIVE_WORDS));
    if negative {
        return Signal::Negative;
    }
    if class_words(value).any(|w| is_listed(w, POSITIVE_WORDS)) || contains_ignore_case(value, "article") {
        return Signal::Positive;
    }
    Signal::Neutral
}

/// Readability-style weight: ±25 for each of class and id.
pub(super) fn class_weight(dom: &Dom, index: usize) -> f64 {
    let weight = [dom.attr(index, "class"), dom.attr(index, "id")]
        .into_iter()
        .flatten()
        .map(|value| match classify(value) {
            Signal::Positive => 25.0,
            Signal::Negative => -25.0,
            Signal::Neutral => 0.0,
        })
        .sum();
    if weight < 0.0 && is_collapsed_continuation(dom, index) {
        0.0
    } else {
        weight
    }
}

/// "Read more" wrappers usually hold one link, but mobile templates also fold the rest of the article
/// into one ("read-more-content"): with paragraphs of unlinked prose inside, the element is the article.
fn is_collapsed_continuation(dom: &Dom, index: usize) -> bool {
    let marked = [dom.attr(index, "class"), dom.attr(index, "id")]
        .into_iter()
        .flatten()
        .any(|v| {
            ["readmore", "read-more", "read_more"]
                .iter()
                .any(|m| contains_ignore_case(v, m))
        });
    let stats = dom.stats(index);
    marked && stats.paragraphs >= 2 && stats.chars >= 300 && stats.link_density() < 0.2
}

/// Whether class, id, role or itemprop mark the element as page furniture.
pub(super) fn looks_like_furniture(dom: &Dom, index: usize) -> bool {
    if dom
        .attr(index, "itemprop")
        .is_some_and(|p| p.contains("articleBody"))
    {
        return false;
    }
    if dom
        .attr(index, "role")
        .is_some_and(|r| is_listed(r.trim(), FURNITURE_ROLES))
    {
        return true;
    }
    if is_collapsed_continuation(dom, index) {
        return false;
    }
    // Component frameworks name the block in a data attribute ("embed-newsletter", "share-bar"); only its
    // negative signal is trusted, as the same attributes also carry layout names.
    let component_furniture = dom.element(index).is_some_and(|element| {
        element.attrs().any(|(key, value)| {
            key.starts_with("data-")
                && COMPONENT_ATTRIBUTES.contains(&key)
                && classify(value) == Signal::Negative
        })
    });
    if component_furniture {
        return true;
    }
    let class = dom.attr(index, "class").map(classify).unwrap_or(Signal::Neutral);
    let id = dom
        .attr(index, "id")
        .filter(|id| !is_slug(id))
        .map(classify)
        .unwrap_or(Signal::Neutral);
    matches!(
        (class, id),
        (Signal::Negative, Signal::Negative | Signal::Neutral) | (Signal::Neutral, Signal::Negative)
    )
}

/// Data attributes that name a page component.
const COMPONENT_ATTRIBUTES: &[&str] = &[
    "data-block",
    "data-block-type",
    "data-component",
    "data-module",
    "data-widget",
    "data-testid",
];

/// Utility classes that hide an element (screen-reader-only text is furniture too).
#[rustfmt::skip]
const HIDING_CLASSES: &[&str] = &[
    "hidden", "sr-only", "visually-hidden", "visuallyhidden", "screen-reader-text", "screenreader-only",
    "hide", "invisible", "is-hidden", "u-hidden", "d-none",
];

/// Utility classes that show an element only on paper: a print masthead, "printed from" lines, the page's
/// address spelled out. (`hidden-print`/`noprint` are the opposite and stay.)
#[rustfmt::skip]
const PRINT_ONLY_CLASSES: &[&str] = &[
    "print-only", "printonly", "print_only", "only-print", "u-only-print", "visible-print",
    "visible-print-block", "visible-print-inline", "visible-print-inline-block", "show-for-print",
    "show-on-print", "print-show", "printfooter", "printheader", "print-header", "print-footer",
];

/// Ids generated from text ("what-comes-next", "smell-tells-you-more") describe content, not furniture.
fn is_slug(id: &str) -> bool {
    id.split(['-', '_']).filter(|w| !w.is_empty()).count() >= 4
}

/// Hidden by attribute, inline style, or a screen-reader-only / hidden utility class.
pub(super) fn is_hidden(dom: &Dom, index: usize) -> bool {
    let attr = |name: &str| dom.attr(index, name);
    if attr("hidden").is_some() || attr("aria-hidden").is_some_and(|v| v.trim() == "true") {
        return !attr("class").is_some_and(|c| c.contains("fallback-image"));
    }
    if let Some(style) = attr("style") {
        let style: String = style
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase();
        if style.contains("display:none") || style.contains("visibility:hidden") {
            return true;
        }
    }
    // An element meant for print (`media="print"`, a print-only class) is invisible on screen.
    if attr("media")
        .is_some_and(|media| contains_ignore_case(media, "print") && !contains_ignore_case(media, "screen"))
    {
        return true;
    }
    attr("class").is_some_and(|class| {
        class
            .split_ascii_whitespace()
            .any(|c| is_listed(c, HIDING_CLASSES) || is_listed(c, PRINT_ONLY_CLASSES))
    })
}

/// Whole short lines that are furniture, compared after lower-casing and trimming punctuation.
#[rustfmt::skip]
const BOILERPLATE_LINES: &[&str] = &[
    "advertisement", "advertising", "ad", "ads", "sponsored", "sponsored content", "share", "share this",
    "share this article", "share this story", "share this post", "share article", "tweet", "email", "print",
    "read more", "read more here", "related", "related stories", "related articles", "related posts",
    "related content", "related coverage", "more stories", "recommended", "recommended for you",
    "recommended stories", "you may also like", "you might also like", "trending", "trending now",
    "most popular", "most read", "continue reading", "continue reading below", "article continues below",
    "story continues below", "story continues below advertisement", "skip advertisement",
    "advertisement - scroll to continue", "scroll to continue with content", "subscribe", "sign up",
    "submit a comment", "leave a comment", "leave a reply", "post a comment", "comments", "0 comments",
    "no comments", "comment", "undefined", "null", "loading", "click to expand", "follow us", "listen",
    "listen to this article", "copy link", "link copied", "back to top", "next", "previous", "tags",
    "topics", "filed under", "see also", "also read", "read also", "don't miss", "editor's picks",
    "more on this story", "latest", "top stories", "watch", "image", "photo", "video", "enlarge this image",
    "toggle caption", "hide caption", "expand", "close", "open", "menu", "search", "log in", "login",
    "anzeige", "werbung", "publicité", "publicidad", "pubblicità", "lesen sie auch", "mehr zum thema",
    "lire aussi", "leer más", "leia mais", "lees ook", "관련기사", "관련 기사", "광고", "공유하기", "좋아요", "댓글", "추천",
    "関連記事", "広告", "相关阅读", "广告",
];

/// Openings of short furniture lines.
#[rustfmt::skip]
const BOILERPLATE_PREFIXES: &[&str] = &[
    "your email address will not be published", "sign up for", "subscribe to", "follow us on",
    "click here to", "read more:", "related:", "see also:", "also read:", "read also:", "more:",
    "copyright", "©", "(c) ", "tags:", "filed under", "posted in", "we use cookies",
    "this site uses cookies", "by clicking", "photo:", "image:", "credit:", "photograph:", "share on ",
    "share this", "follow ", "get the latest", "for the latest", "download the", "recommended:", "watch:",
    "listen:", "more from", "ⓒ", "©", "저작권자", "[사진", "<저작권자", "※", "this article was originally published",
    "this story was originally published", "originally published", "the post ", "all rights reserved",
    "related topics", "republish this", "have a correction", "have a news tip", "got a news tip",
    "video:", "vídeo:", "▶ video", "▶ vídeo", "▶ watch", "责任编辑", "【责任编辑", "(责任编辑", "（责任编辑", "責任編輯", "【責任編輯",
    "（責任編輯", "版權所有", "版权所有",
];

/// Phrases that mark a short block as a promotion, event box or sign-up form.
#[rustfmt::skip]
const PROMO_PHRASES: &[&str] = &[
    "register now", "get your tickets", "get your ticket", "buy tickets", "limited time offer", "subscribe now",
    "sign up now", "sign up here", "start your free trial", "delivered to your inbox", "our newsletter",
    "appeared first on", "all rights reserved", "무단전재", "무단 전재", "재배포 금지", "재배포금지",
    "techcrunch event", "join 10k+", "tech and vc leaders", "sign up to receive", "by signing up",
    "unsubscribe at any time", "enable javascript", "your browser does not support", "become a member",
    "support local journalism", "support our journalism", "support independent journalism",
    "made possible by readers", "subscribe to continue", "already a subscriber", "order reprints",
    "contributed reporting", "contributed to this report", "; editing by", "additional reporting by",
    "our standards:", "trust principles", "appears in print on", "purchase licensing rights",
    "we may earn a commission", "earn a commission when you buy", "ya soy suscriptor", "ya eres suscriptor",
    "suscríbete para seguir leyendo", "já é assinante", "já sou assinante", "déjà abonné", "bereits abonnent",
    "請勿轉載", "请勿转载", "禁止轉載", "禁止转载", "不得轉載", "不得转载", "無断転載", "無断複製",
];

fn squeeze(text: &str) -> String {
    normalize(text)
        .to_lowercase()
        .trim_matches(|c: char| {
            c.is_whitespace() || matches!(c, ':' | '.' | '!' | '»' | '›' | '>' | '|' | '-' | '–')
        })
        .replace(['’', '‘'], "'")
}

/// A short line that is furniture by its wording alone.
pub(super) fn is_boilerplate_line(text: &str) -> bool {
    let line = squeeze(text);
    if line.is_empty() {
        return true;
    }
    let chars = line.chars().count();
    if BOILERPLATE_LINES.contains(&line.as_str())
        || is_counter(&line)
        || line.ends_with("min read") && chars <= 20
    {
        return true;
    }
    if chars <= 160 && BOILERPLATE_PREFIXES.iter().any(|p| line.starts_with(p)) {
        return true;
    }
    chars <= 400 && is_promotion(&line)
}

/// Like, clap and comment counters: "12", "1.4k", "3,201".
fn is_counter(line: &str) -> bool {
    let digits = line.trim_end_matches(['k', 'm']);
    line.len() <= 8
        && !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.' || c == ',')
}

/// Whether a (lower-cased) short text reads like a promotion or sign-up box.
pub(super) fn is_promotion(lower_text: &str) -> bool {
    PROMO_PHRASES.iter().any(|p| lower_text.contains(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_class_names() {
        assert_eq!(classify("read-more"), Signal::Negative);
        assert_eq!(classify("related-posts"), Signal::Negative);
        assert_eq!(classify("article-body"), Signal::Positive);
        assert_eq!(classify("adContainer"), Signal::Negative);
        assert_eq!(classify("header-wrapper"), Signal::Neutral);
        assert_eq!(classify("heading"), Signal::Neutral);
        assert_eq!(classify("thread"), Signal::Neutral);
    }

    #[test]
    fn recognises_boilerplate_lines() {
        assert!(is_boilerplate_line("Share this"));
        assert!(is_boilerplate_line("  ADVERTISEMENT "));
        assert!(is_boilerplate_line(
            "Your email address will not be published. Required fields are marked *"
        ));
        assert!(is_boilerplate_line("The post Foo appeared first on Bar."));
        assert!(!is_boilerplate_line("The mayor said the share of voters rose."));
    }
}

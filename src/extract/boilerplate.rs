//! What page furniture looks like: class/id vocabulary, ARIA roles, hidden elements, and the short lines
//! ("Share this", "Advertisement", "Read more") that survive structural cleaning.
//!
//! Class and id values are split into words (on punctuation and camelCase) so that `read-more` does not
//! count as `ad-` and `tbody` does not count as `body`; a few compound words are matched as substrings.

use super::dom::Dom;
use super::text::normalize;

/// Words that mark furniture so reliably that the element is dropped before scoring.
const NEGATIVE_WORDS: &[&str] = &[
    "ad",
    "ads",
    "adv",
    "advert",
    "advertisement",
    "advertising",
    "aside",
    "banner",
    "breadcrumb",
    "breadcrumbs",
    "byline",
    "comment",
    "comments",
    "consent",
    "cookie",
    "cookies",
    "crumbs",
    "cta",
    "disqus",
    "dropdown",
    "flyout",
    "footer",
    "gdpr",
    "meta",
    "menu",
    "modal",
    "nav",
    "navbar",
    "navigation",
    "newsletter",
    "outbrain",
    "overlay",
    "pagination",
    "pager",
    "popular",
    "popup",
    "promo",
    "promotion",
    "rail",
    "recirc",
    "recommended",
    "related",
    "share",
    "sharing",
    "sidebar",
    "signup",
    "skip",
    "social",
    "sponsor",
    "sponsored",
    "subscribe",
    "subscription",
    "tags",
    "taboola",
    "toolbar",
    "tooltip",
    "trending",
    "widget",
    "masthead",
    "login",
    "donate",
    "shoutbox",
    "supplemental",
    "skyscraper",
    "tools",
    "sns",
    "relate",
    "prev",
    "previous",
    "bio",
    "author",
    "follow",
    "tag",
    "topics",
    "credit",
    "toc",
];

/// Compound spellings that do not split into the words above.
const NEGATIVE_SUBSTRINGS: &[&str] = &[
    "comment",
    "sidebar",
    "newsletter",
    "subscri",
    "advert",
    "banner",
    "breadcrumb",
    "widget",
    "sharing",
    "social",
    "related",
    "promo",
    "cookie",
    "popup",
    "footer",
    "authorbio",
    "author-bio",
    "readmore",
    "read-more",
    "morestories",
    "more-stories",
    "recommend",
    "signup",
    "sign-up",
    "adslot",
    "adunit",
    "ad-slot",
    "ad-unit",
    "ad-container",
    "ad-wrapper",
    "dfp",
    "paid-content",
    "inline-cta",
    "table-of-contents",
];

const POSITIVE_WORDS: &[&str] = &[
    "article",
    "body",
    "content",
    "entry",
    "main",
    "post",
    "story",
    "text",
    "blog",
    "hentry",
    "prose",
    "richtext",
    "paragraph",
    "news",
    "column",
    "articlebody",
    "article-body",
    "story-body",
];

/// Roles that are never the article.
const FURNITURE_ROLES: &[&str] = &[
    "navigation",
    "menu",
    "menubar",
    "complementary",
    "banner",
    "contentinfo",
    "dialog",
    "alertdialog",
    "search",
    "tablist",
    "toolbar",
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
fn words(value: &str) -> impl Iterator<Item = String> + '_ {
    let mut current = String::new();
    let mut out = Vec::new();
    let mut prev_lower = false;
    for c in value.chars() {
        if !c.is_alphanumeric() {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower && !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
        prev_lower = c.is_lowercase();
        current.extend(c.to_lowercase());
    }
    if !current.is_empty() {
        out.push(current);
    }
    out.into_iter()
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
    let lower = value.to_ascii_lowercase();
    if NEGATIVE_SUBSTRINGS.iter().any(|s| lower.contains(s))
        || words(value).any(|w| NEGATIVE_WORDS.contains(&w.as_str()))
    {
        return Signal::Negative;
    }
    if words(value).any(|w| POSITIVE_WORDS.contains(&w.as_str())) || lower.contains("article") {
        return Signal::Positive;
    }
    Signal::Neutral
}

/// Readability-style weight: ±25 for each of class and id.
pub(super) fn class_weight(dom: &Dom, index: usize) -> f64 {
    [dom.attr(index, "class"), dom.attr(index, "id")]
        .into_iter()
        .flatten()
        .map(|value| match classify(value) {
            Signal::Positive => 25.0,
            Signal::Negative => -25.0,
            Signal::Neutral => 0.0,
        })
        .sum()
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
        .is_some_and(|r| FURNITURE_ROLES.contains(&r.trim().to_ascii_lowercase().as_str()))
    {
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

/// Ids generated from text ("what-comes-next", "smell-tells-you-more") describe content, not furniture.
fn is_slug(id: &str) -> bool {
    id.split(['-', '_']).filter(|w| !w.is_empty()).count() >= 4
}

/// Hidden by attribute, inline style, or a screen-reader-only / hidden utility class.
pub(super) fn is_hidden(dom: &Dom, index: usize) -> bool {
    let Some(element) = dom.element(index) else {
        return false;
    };
    if element.attr("hidden").is_some() || element.attr("aria-hidden").is_some_and(|v| v.trim() == "true") {
        return !element
            .attr("class")
            .is_some_and(|c| c.contains("fallback-image"));
    }
    if let Some(style) = element.attr("style") {
        let style: String = style
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase();
        if style.contains("display:none") || style.contains("visibility:hidden") {
            return true;
        }
    }
    element.attr("class").is_some_and(|class| {
        class.split_ascii_whitespace().any(|c| {
            matches!(
                c.to_ascii_lowercase().as_str(),
                "hidden"
                    | "sr-only"
                    | "visually-hidden"
                    | "visuallyhidden"
                    | "screen-reader-text"
                    | "screenreader-only"
                    | "hide"
                    | "invisible"
                    | "is-hidden"
                    | "u-hidden"
                    | "d-none"
            )
        })
    })
}

/// Whole short lines that are furniture, compared after lower-casing and trimming punctuation.
const BOILERPLATE_LINES: &[&str] = &[
    "advertisement",
    "advertising",
    "ad",
    "ads",
    "sponsored",
    "sponsored content",
    "share",
    "share this",
    "share this article",
    "share this story",
    "share this post",
    "share article",
    "tweet",
    "email",
    "print",
    "read more",
    "read more here",
    "related",
    "related stories",
    "related articles",
    "related posts",
    "related content",
    "related coverage",
    "more stories",
    "recommended",
    "recommended for you",
    "recommended stories",
    "you may also like",
    "you might also like",
    "trending",
    "trending now",
    "most popular",
    "most read",
    "continue reading",
    "continue reading below",
    "article continues below",
    "story continues below",
    "story continues below advertisement",
    "skip advertisement",
    "advertisement - scroll to continue",
    "scroll to continue with content",
    "subscribe",
    "sign up",
    "submit a comment",
    "leave a comment",
    "leave a reply",
    "post a comment",
    "comments",
    "0 comments",
    "no comments",
    "comment",
    "undefined",
    "null",
    "loading",
    "click to expand",
    "follow us",
    "listen",
    "listen to this article",
    "copy link",
    "link copied",
    "back to top",
    "next",
    "previous",
    "tags",
    "topics",
    "filed under",
    "see also",
    "also read",
    "read also",
    "don't miss",
    "editor's picks",
    "more on this story",
    "latest",
    "top stories",
    "watch",
    "image",
    "photo",
    "video",
    "enlarge this image",
    "toggle caption",
    "hide caption",
    "expand",
    "close",
    "open",
    "menu",
    "search",
    "log in",
    "login",
    "anzeige",
    "werbung",
    "publicité",
    "publicidad",
    "pubblicità",
    "lesen sie auch",
    "mehr zum thema",
    "lire aussi",
    "leer más",
    "leia mais",
    "lees ook",
    "관련기사",
    "관련 기사",
    "광고",
    "공유하기",
    "좋아요",
    "댓글",
    "추천",
    "関連記事",
    "広告",
    "相关阅读",
    "广告",
];

/// Openings of short furniture lines.
const BOILERPLATE_PREFIXES: &[&str] = &[
    "your email address will not be published",
    "sign up for",
    "subscribe to",
    "follow us on",
    "click here to",
    "read more:",
    "related:",
    "see also:",
    "also read:",
    "read also:",
    "more:",
    "copyright",
    "©",
    "(c) ",
    "tags:",
    "filed under",
    "posted in",
    "we use cookies",
    "this site uses cookies",
    "by clicking",
    "photo:",
    "image:",
    "credit:",
    "photograph:",
    "share on ",
    "share this",
    "follow ",
    "get the latest",
    "for the latest",
    "download the",
    "recommended:",
    "watch:",
    "listen:",
    "more from",
    "ⓒ",
    "©",
    "저작권자",
    "[사진",
    "<저작권자",
    "※",
    "this article was originally published",
    "this story was originally published",
    "originally published",
    "the post ",
    "all rights reserved",
    "related topics",
];

/// Phrases that mark a short block as a promotion, event box or sign-up form.
const PROMO_PHRASES: &[&str] = &[
    "register now",
    "get your tickets",
    "get your ticket",
    "buy tickets",
    "save up to",
    "early bird",
    "limited time offer",
    "subscribe now",
    "sign up now",
    "sign up here",
    "start your free trial",
    "delivered to your inbox",
    "in your inbox",
    "newsletter",
    "appeared first on",
    "all rights reserved",
    "무단전재",
    "무단 전재",
    "재배포 금지",
    "재배포금지",
    "techcrunch event",
    "join 10k+",
    "disrupt 20",
    "tech and vc leaders",
    "sign up to receive",
    "by signing up",
    "privacy policy",
    "terms of service",
    "unsubscribe at any time",
    "enable javascript",
    "your browser does not support",
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
    if BOILERPLATE_LINES.contains(&line.as_str()) {
        return true;
    }
    if chars <= 160 && BOILERPLATE_PREFIXES.iter().any(|p| line.starts_with(p)) {
        return true;
    }
    chars <= 400 && is_promotion(&line)
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

//! Image sources as a browser would eventually load them: lazy-loading attributes, the largest `srcset`
//! candidate, `<picture>` sources and `<noscript>` fallbacks, with placeholders and tracking pixels skipped.

use url::Url;

use super::dom::Dom;
use super::metadata::absolute_http_url;

/// Attributes lazy-loading scripts read the real source from, most specific first.
const LAZY_SOURCE_ATTRIBUTES: &[&str] = &[
    "data-src",
    "data-lazy-src",
    "data-original",
    "data-lazy",
    "data-url",
    "data-hi-res-src",
    "data-full-src",
];
const LAZY_SRCSET_ATTRIBUTES: &[&str] = &["data-srcset", "data-lazy-srcset", "srcset"];
/// Substrings of `src` values that are stand-ins, not the picture.
const PLACEHOLDER_HINTS: &[&str] = &[
    "1x1",
    "pixel.",
    "blank.",
    "spacer.",
    "placeholder",
    "transparent.",
    "lazy-load",
    "lazyload",
    "grey.gif",
    "loading.",
];

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Image {
    pub url: Url,
    pub alt: String,
    /// Logos, avatars, icons and small declared sizes: kept in the body, never a cover.
    pub decorative: bool,
}

/// The best candidate of a `srcset` value: the widest `w` descriptor, else the largest `x` density.
fn largest_srcset_candidate(srcset: &str) -> Option<&str> {
    srcset
        .split(',')
        .filter_map(|candidate| {
            let mut parts = candidate.split_whitespace();
            let url = parts.next()?;
            let size = parts.next().and_then(|d| {
                let number = d.get(..d.len().saturating_sub(1))?.parse::<f64>().ok()?;
                Some(if d.ends_with('x') { number * 1000.0 } else { number })
            });
            Some((url, size.unwrap_or(1.0)))
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(url, _)| url)
}

fn is_placeholder(src: &str) -> bool {
    let lower = src.trim().to_ascii_lowercase();
    lower.is_empty() || lower.starts_with("data:") || PLACEHOLDER_HINTS.iter().any(|h| lower.contains(h))
}

fn declared_dimension(value: Option<&str>) -> Option<u32> {
    let digits: String = value?.trim().chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Resolves an `<img>` (or `<source>`-bearing `<picture>` child) to the image a reader would see.
pub(super) fn resolve_img(dom: &Dom, index: usize, base: &Url) -> Option<Image> {
    let attr = |name: &str| dom.attr(index, name).map(str::trim).filter(|v| !v.is_empty());
    let width = declared_dimension(attr("width"));
    let height = declared_dimension(attr("height"));
    if width.is_some_and(|w| w <= 2) || height.is_some_and(|h| h <= 2) {
        return None;
    }
    let picture_source = || {
        let parent = dom.nodes.get(index)?.parent;
        (dom.name(parent) == "picture").then_some(())?;
        dom.children(parent)
            .filter(|&c| dom.name(c) == "source")
            .find_map(|c| dom.attr(c, "srcset").or_else(|| dom.attr(c, "data-srcset")))
            .and_then(largest_srcset_candidate)
    };
    let src = LAZY_SOURCE_ATTRIBUTES
        .iter()
        .filter_map(|a| attr(a))
        .find(|s| !is_placeholder(s))
        .or_else(|| {
            LAZY_SRCSET_ATTRIBUTES
                .iter()
                .filter_map(|a| attr(a))
                .find_map(largest_srcset_candidate)
        })
        .or_else(|| attr("src").filter(|s| !is_placeholder(s)))
        .or_else(picture_source)?;
    let url = absolute_http_url(base, src)?;
    let class = attr("class").unwrap_or_default().to_ascii_lowercase();
    let path = url.path().to_ascii_lowercase();
    let decorative = [
        "logo", "avatar", "icon", "emoji", "gravatar", "spinner", "badge", "sprite",
    ]
    .iter()
    .any(|w| class.contains(w) || path.contains(w))
        || width.is_some_and(|w| w < 100)
        || height.is_some_and(|h| h < 100);
    Some(Image {
        url,
        alt: attr("alt").map(super::text::normalize).unwrap_or_default(),
        decorative,
    })
}

/// The image inside a `<noscript>` fallback, read from its raw text (scripting-enabled parsing keeps
/// `<noscript>` content as text).
pub(super) fn noscript_image(dom: &Dom, index: usize, base: &Url) -> Option<Image> {
    let raw = dom.text_content_raw(index);
    let tag_start = raw.find("<img")?;
    let tag = &raw[tag_start..];
    let tag = &tag[..tag.find('>').unwrap_or(tag.len())];
    let src = attribute_in_tag(tag, "src")
        .or_else(|| attribute_in_tag(tag, "srcset").and_then(largest_srcset_candidate))?;
    if is_placeholder(src) {
        return None;
    }
    let url = absolute_http_url(base, src)?;
    let alt = attribute_in_tag(tag, "alt")
        .map(super::text::normalize)
        .unwrap_or_default();
    Some(Image {
        url,
        alt,
        decorative: false,
    })
}

/// `name="value"` (or single-quoted, or bare) inside one start tag's source text.
fn attribute_in_tag<'t>(tag: &'t str, name: &str) -> Option<&'t str> {
    let mut search_from = 0;
    while let Some(found) = tag.get(search_from..)?.find(name) {
        let at = search_from + found;
        search_from = at + name.len();
        let preceded_by_space = tag[..at].ends_with(|c: char| c.is_whitespace());
        let rest = tag[search_from..].trim_start();
        let Some(value) = rest.strip_prefix('=').map(str::trim_start) else {
            continue;
        };
        if !preceded_by_space {
            continue;
        }
        return match value.chars().next() {
            Some(quote @ ('"' | '\'')) => value[1..].split(quote).next(),
            _ => value
                .split(|c: char| c.is_whitespace() || c == '>' || c == '/')
                .next(),
        };
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_widest_srcset_candidate() {
        assert_eq!(
            largest_srcset_candidate("a.jpg 320w, b.jpg 1024w, c.jpg 640w"),
            Some("b.jpg")
        );
        assert_eq!(largest_srcset_candidate("a.jpg 1x, b.jpg 2x"), Some("b.jpg"));
        assert_eq!(largest_srcset_candidate("only.jpg"), Some("only.jpg"));
    }

    #[test]
    fn reads_attributes_from_raw_tags() {
        let tag = r#"<img class="x" data-src="no" src="https://a.test/p.jpg" alt='A cat'"#;
        assert_eq!(attribute_in_tag(tag, "src"), Some("https://a.test/p.jpg"));
        assert_eq!(attribute_in_tag(tag, "alt"), Some("A cat"));
    }
}

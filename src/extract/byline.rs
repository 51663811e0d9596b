//! The visible byline, for pages whose metadata names no person: an element marked as the byline or
//! author (class, id, `rel=author`, `itemprop`), a link to an author page, or a short "By Jane Doe" line.
//!
//! Byline boxes hold more than the name (job title, avatar, email, date, "기자"), so inside a marked box
//! the element that says it is the name (`itemprop=name`, a class word "name") wins over the box's text,
//! and what is left is trimmed of e-mail addresses and trailing role words before it must read as a name.

use super::boilerplate::contains_ignore_case;
use super::dom::{Dom, heading_level};
use super::jsonld::looks_like_url;
use super::text::normalize;

/// How bylines open ("By Jane Doe", "Por María López", "Par Jean Dupont", "Von Katrin Vogel", "Door Anne de
/// Vries", "Af Lars Holm"), lower case with the space after the word.
pub(super) const BYLINE_WORDS: &[&str] = &["by ", "por ", "par ", "von ", "door ", "af "];

/// Class or id fragments that mark a byline element.
const BYLINE_MARKERS: &[&str] = &["byline", "author", "contributor", "writer", "reporter"];

/// Path segments of author pages ("/author/jane-doe", "/autor/marta-iglesias") in several languages.
const AUTHOR_PATH_SEGMENTS: &[&str] = &[
    "author",
    "authors",
    "autor",
    "autores",
    "autorin",
    "auteur",
    "auteurs",
    "journalist",
    "journalists",
    "reporter",
    "reporters",
    "writer",
    "writers",
    "columnist",
    "columnists",
];

/// Job titles that East Asian bylines put after the name ("김민수 기자", "山田太郎記者"); the name is what is
/// wanted, as it is for "By Jane Doe".
const TRAILING_ROLES: &[&str] = &[
    "기자",
    "특파원",
    "선임기자",
    "전문기자",
    "객원기자",
    "인턴기자",
    "논설위원",
    "記者",
    "特派員",
    "记者",
    "特派记者",
];

/// How sure a byline candidate is: an element marked as the byline beats an unmarked "By …" line or an
/// author-page link anywhere in the page (a photo caption "By John Smith/Reuters" can come first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Evidence {
    Marked,
    Unmarked,
}

/// The byline `index` offers, if it is one and its text reads as a name; unmarked ones only when
/// `unmarked_wanted`.
pub(super) fn candidate(dom: &Dom, index: usize, unmarked_wanted: bool) -> Option<(Evidence, String)> {
    // One pass over the attributes: this runs for every element until a byline is found.
    let (mut marked, mut href) = (false, None);
    for (key, value) in dom.element(index)?.attrs() {
        match key {
            "rel" => marked |= value.trim() == "author",
            "itemprop" => marked |= matches!(value.trim(), "author" | "name"),
            "class" | "id" => marked |= BYLINE_MARKERS.iter().any(|w| contains_ignore_case(value, w)),
            "href" => href = Some(value),
            _ => {}
        }
    }
    if marked {
        let mut names: Vec<String> = Vec::new();
        // A box often names its author twice (avatar link and name link): once is enough.
        for name in name_elements(dom, index)
            .into_iter()
            .filter_map(|i| clean_author(&dom.text_content(i)))
        {
            if !names.contains(&name) {
                names.push(name);
            }
        }
        let text = if names.is_empty() {
            // Longer than any name `clean_author` accepts: not worth building the text of a whole box.
            if dom.stats(index).chars > 110 {
                return None;
            }
            dom.text_content(index)
        } else {
            names.join(", ")
        };
        return clean_author(&text)
            .filter(|t| reads_as_name(t))
            .map(|t| (Evidence::Marked, t));
    }
    if !unmarked_wanted {
        return None;
    }
    let name = dom.name(index);
    let unmarked = |text: String| {
        clean_author(&text)
            .filter(|t| reads_as_name(t))
            .map(|t| (Evidence::Unmarked, t))
    };
    if name == "a" {
        return href
            .filter(|h| is_author_page(h))
            .and_then(|_| unmarked(dom.text_content(index)));
    }
    // An unmarked "By Jane Doe" line: short, a leaf of inline content, and not a heading ("By the numbers"
    // fails the name test anyway, but a heading is never a byline).
    let stats = dom.stats(index);
    let short_leaf = !stats.has_block && stats.chars <= 80 && heading_level(name).is_none();
    if short_leaf && opens_with_by(dom, index) {
        return unmarked(dom.text_content(index));
    }
    None
}

/// Whether the subtree's first words are "By …", checked without building its text (most elements fail).
fn opens_with_by(dom: &Dom, index: usize) -> bool {
    let end = dom.nodes.get(index).map_or(index, |n| n.end);
    (index + 1..end)
        .filter_map(|i| dom.text(i).map(str::trim_start))
        .find(|t| !t.is_empty())
        .is_some_and(|t| {
            t.get(..2).is_some_and(|b| b.eq_ignore_ascii_case("by"))
                && t.get(2..)
                    .is_some_and(|rest| rest.starts_with(|c: char| c == ':' || c.is_whitespace()))
        })
}

/// The descendants of a byline box that hold just a name (one per author), outermost only: elements that
/// say they are the name, else links to author pages (the box's other text is a job title or a date).
fn name_elements(dom: &Dom, index: usize) -> Vec<usize> {
    let found = marked_names(dom, index);
    if !found.is_empty() {
        return found;
    }
    let end = dom.nodes.get(index).map_or(index, |n| n.end);
    (index + 1..end)
        .filter(|&i| dom.name(i) == "a" && dom.attr(i, "href").is_some_and(is_author_page))
        .filter(|&i| dom.stats(i).chars > 0)
        .collect()
}

fn marked_names(dom: &Dom, index: usize) -> Vec<usize> {
    let end = dom.nodes.get(index).map_or(index, |n| n.end);
    let mut found: Vec<usize> = Vec::new();
    let mut i = index + 1;
    while i < end {
        let says_name = dom.attr(i, "itemprop").is_some_and(|p| p.trim() == "name")
            || dom.attr(i, "class").is_some_and(|c| {
                c.split(|ch: char| !ch.is_alphanumeric())
                    .flat_map(split_camel)
                    .any(|w| w.eq_ignore_ascii_case("name"))
            });
        if says_name {
            found.push(i);
            i = dom.nodes[i].end;
        } else {
            i += 1;
        }
    }
    found
}

/// "authorName" → "author", "Name"; plain words pass through.
fn split_camel(word: &str) -> impl Iterator<Item = &str> {
    let cut = word
        .char_indices()
        .skip(1)
        .find(|&(_, c)| c.is_uppercase())
        .map_or(word.len(), |(i, _)| i);
    let (head, tail) = word.split_at(cut);
    [head, tail].into_iter().filter(|w| !w.is_empty())
}

/// Whether a link points at an author's page: a known segment followed by a slug.
fn is_author_page(href: &str) -> bool {
    let path = href.split(['?', '#']).next().unwrap_or_default();
    let mut after_marker = false;
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        if after_marker && !segment.contains('.') {
            return true;
        }
        after_marker = AUTHOR_PATH_SEGMENTS
            .iter()
            .any(|s| segment.eq_ignore_ascii_case(s));
    }
    false
}

/// "By Jane Doe and John Roe" → "Jane Doe and John Roe", "김민수 기자 kim@x.kr" → "김민수"; rejects profile
/// URLs and long sentences.
pub(super) fn clean_author(raw: &str) -> Option<String> {
    let text = normalize(raw);
    let lower = text.to_lowercase();
    let opening = BYLINE_WORDS
        .iter()
        .chain(&["by:"])
        .find(|by| lower.starts_with(*by));
    let text = match opening {
        Some(by) => text
            .get(by.len()..)
            .unwrap_or_default()
            .trim_start_matches([':', ' '])
            .to_owned(),
        None => text,
    };
    let text = text.trim_end_matches([',', '|', '·']).trim();
    let reasonable = !text.is_empty() && text.chars().count() <= 100 && !looks_like_url(text);
    if !reasonable {
        return None;
    }
    let mut words: Vec<&str> = text.split_whitespace().filter(|w| !w.contains('@')).collect();
    while words.len() > 1 && words.last().is_some_and(|w| TRAILING_ROLES.contains(w)) {
        words.pop();
    }
    if let [only] = words.as_mut_slice()
        && let Some(name) = TRAILING_ROLES
            .iter()
            .find_map(|role| only.strip_suffix(role))
            .filter(|name| name.chars().count() >= 2)
    {
        *only = name;
    }
    Some(words.join(" ")).filter(|t| !t.is_empty())
}

/// The names in a byline: split at commas and at "and"/"&" (and their Spanish, French, German, Dutch,
/// Portuguese and Italian forms) when every part has at least two words, so "Jane Doe, Reuters" and
/// "Kooman, F." stay whole.
pub(super) fn split_names(byline: &str) -> Vec<String> {
    const CONJUNCTIONS: &[&str] = &[" and ", " & ", " y ", " et ", " und ", " en ", " e "];
    let mut parts: Vec<String> = vec![byline.to_owned()];
    for separator in CONJUNCTIONS.iter().copied().chain([", "]) {
        parts = parts
            .iter()
            .flat_map(|part| part.split(separator))
            .map(|p| p.trim_matches(|c: char| c == ',' || c.is_whitespace()).to_owned())
            .filter(|p| !p.is_empty())
            .collect();
    }
    if parts.len() > 1 && parts.iter().all(|p| p.split_whitespace().count() >= 2) {
        parts
    } else {
        vec![normalize(byline)]
    }
}

/// "Jane Doe", "Jane Doe and John Roe", "María de la Cruz, Reuters", "김기자": short, no digits, and no
/// word starting in lower case except name particles and conjunctions.
pub(super) fn reads_as_name(text: &str) -> bool {
    const PARTICLES: &[&str] = &[
        "and", "de", "da", "di", "del", "la", "le", "van", "von", "der", "bin", "y", "e",
    ];
    let words: Vec<&str> = text.split_whitespace().collect();
    (1..=8).contains(&words.len())
        // "Name *" is a comment form's label.
        && !text
            .chars()
            .any(|c| c.is_ascii_digit() || matches!(c, ':' | '|' | '@' | '*'))
        && words.iter().all(|w| {
            let w = w.trim_matches(|c: char| !c.is_alphanumeric());
            !w.chars().next().is_some_and(char::is_lowercase) || PARTICLES.contains(&w)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleans_bylines() {
        assert_eq!(clean_author("  By  Jane Doe ").as_deref(), Some("Jane Doe"));
        assert_eq!(clean_author("By: Jane Doe").as_deref(), Some("Jane Doe"));
        assert_eq!(
            clean_author("Par Sébastien Farcis").as_deref(),
            Some("Sébastien Farcis")
        );
        assert_eq!(clean_author("Von Katrin Vogel").as_deref(), Some("Katrin Vogel"));
        assert_eq!(clean_author("https://facebook.com/jane"), None);
        assert_eq!(clean_author("김민수 기자").as_deref(), Some("김민수"));
        assert_eq!(
            clean_author("박지영 기자 jypark@example.kr").as_deref(),
            Some("박지영")
        );
        assert_eq!(clean_author("山田太郎記者").as_deref(), Some("山田太郎"));
        assert_eq!(clean_author("기자").as_deref(), Some("기자"));
    }

    #[test]
    fn splits_bylines_into_names() {
        assert_eq!(split_names("Jane Doe"), ["Jane Doe"]);
        assert_eq!(split_names("Jane Doe and John Roe"), ["Jane Doe", "John Roe"]);
        assert_eq!(
            split_names("Steven Lee Myers, Keith Bradsher and Tariq Panja"),
            ["Steven Lee Myers", "Keith Bradsher", "Tariq Panja"]
        );
        assert_eq!(split_names("A One, B Two"), ["A One", "B Two"]);
        assert_eq!(
            split_names("A One, B Two, and C Three"),
            ["A One", "B Two", "C Three"]
        );
        assert_eq!(split_names("Jane Doe, Reuters"), ["Jane Doe, Reuters"]);
        assert_eq!(split_names("Kooman, F."), ["Kooman, F."]);
        assert_eq!(
            split_names("María López y Juan Pérez"),
            ["María López", "Juan Pérez"]
        );
    }

    #[test]
    fn recognises_author_pages() {
        assert!(is_author_page("/author/jane-doe"));
        assert!(is_author_page("https://example.com/autor/marta-iglesias/"));
        assert!(!is_author_page("/authors/"));
        assert!(!is_author_page("/news/author-interview-2025"));
    }
}

//! Text hygiene for what a feed says about an item: titles, author names, tags, and the HTML of bodies.
//!
//! Entities are decoded exactly once: XML reading already decoded one level, so only references that are
//! still present (HTML named entities a feed escaped, `&amp;#163;` double-encoded by a publisher) are
//! decoded here, and a repaired double encoding is never decoded a third time. HTML in a title is rendered
//! to its text; literal `<…>` in a plain-text title (`Vec<T> explained`) is kept. Control characters go.

use super::tree::{decode_references, escape_into, resolve_reference};

/// How a piece of feed text is to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TextKind {
    /// Declared plain text (Atom `type="text"`, JSON `title`): every character is meant literally.
    Plain,
    /// Declared HTML (Atom `type="html"`/`xhtml`).
    Html,
    /// Undeclared (RSS): HTML only when it looks like HTML, as feedparser decides.
    Sniff,
}

/// One line of clean text: references decoded, HTML rendered to text when it is HTML, control characters
/// removed, whitespace collapsed.
pub(super) fn clean_line(raw: &str, kind: TextKind) -> String {
    let repaired = repair_double_encoding(raw);
    let is_html = match kind {
        TextKind::Plain => false,
        TextKind::Html => true,
        TextKind::Sniff => looks_like_html(&repaired),
    };
    let text = if is_html {
        let fragment = scraper::Html::parse_fragment(&repaired);
        fragment.root_element().text().collect::<String>()
    } else {
        decode_references(&repaired)
    };
    text.split(|c: char| c.is_whitespace() || is_control(c))
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// HTML of a body: control characters removed and double-encoded references (`&amp;#163;`) repaired.
pub(super) fn clean_html(raw: &str) -> String {
    repair_double_encoding(raw)
        .chars()
        .filter(|c| !is_control(*c) || matches!(c, '\n' | '\t'))
        .collect()
}

/// Plain text as HTML paragraphs (Atom `type="text"` content), so every later stage sees HTML.
pub(super) fn text_to_html(text: &str) -> String {
    let mut out = String::new();
    for paragraph in text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
        out.push_str("<p>");
        escape_into(&mut out, paragraph, false);
        out.push_str("</p>");
    }
    out
}

/// C0 (except the whitespace ones), DEL and C1 characters: never meant as text in a feed.
fn is_control(c: char) -> bool {
    (c.is_control() && !matches!(c, '\n' | '\t' | '\r')) || c == '\u{fffe}' || c == '\u{ffff}'
}

/// `&amp;#163;` → `&#163;`, `&amp;eacute;` → `&eacute;`: a reference whose `&` was escaped once too often.
/// `&amp;amp;`, `&amp;lt;` and `&amp;gt;` are left alone: they may be a text about markup.
fn repair_double_encoding(raw: &str) -> String {
    if !raw.contains("&amp;") {
        return raw.to_string();
    }
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(at) = rest.find("&amp;") {
        out.push_str(&rest[..at]);
        let tail = &rest[at + "&amp;".len()..];
        let reference = tail
            .find(';')
            .filter(|end| *end <= 32)
            .map(|end| &tail[..end])
            .filter(|name| !matches!(*name, "amp" | "lt" | "gt"))
            .filter(|name| resolve_reference(name) != format!("&{name};"));
        match reference {
            Some(_) => out.push('&'),
            None => out.push_str("&amp;"),
        }
        rest = tail;
    }
    out.push_str(rest);
    out
}

/// feedparser's test: an end tag of a real HTML element, a `<br>`/`<img …>`, or an HTML entity.
fn looks_like_html(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    const TAGS: [&str; 24] = [
        "a", "b", "i", "u", "p", "em", "strong", "span", "div", "font", "sup", "sub", "code", "small", "big",
        "q", "s", "strike", "abbr", "cite", "del", "ins", "mark", "tt",
    ];
    let end_tag = lower.match_indices("</").any(|(at, _)| {
        let name: String = lower[at + 2..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        TAGS.contains(&name.as_str()) && lower[at + 2 + name.len()..].trim_start().starts_with('>')
    });
    end_tag
        || lower.contains("<br>")
        || lower.contains("<br/>")
        || lower.contains("<br />")
        || lower.contains("<img ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles() {
        assert_eq!(
            clean_line("Vec<T> and Option<T>", TextKind::Sniff),
            "Vec<T> and Option<T>"
        );
        assert_eq!(
            clean_line("Use <b>bold</b> text", TextKind::Sniff),
            "Use bold text"
        );
        assert_eq!(clean_line("Price &amp;#163;5", TextKind::Sniff), "Price £5");
        assert_eq!(
            clean_line("Caf&eacute;\u{7}\u{85} bar", TextKind::Plain),
            "Café bar"
        );
        assert_eq!(clean_line("<p>x</p>", TextKind::Plain), "<p>x</p>");
        assert_eq!(clean_line("AT&T &amp;amp; co", TextKind::Sniff), "AT&T &amp; co");
    }

    #[test]
    fn bodies() {
        assert_eq!(clean_html("<p>&amp;#163;5\u{1}</p>"), "<p>&#163;5</p>");
        assert_eq!(text_to_html("a < b\n\nc"), "<p>a &lt; b</p><p>c</p>");
    }
}

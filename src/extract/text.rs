//! Text hygiene shared by every output field: whitespace collapsing, invisible-character removal, Markdown
//! escaping and the excerpt's word-boundary cut.
//!
//! Entities are already decoded by html5ever, so nothing here decodes again (a literal "&amp;" in the text
//! is what the page says).

/// Characters that carry no visible content and only break words apart when copied (soft hyphen, zero-width
/// space, word joiner, BOM). The zero-width (non-)joiners are not among them: they shape emoji sequences
/// ("🏃‍♀️") and Indic and Persian words, so dropping them changes what the text says.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{ad}' | '\u{200b}' | '\u{2060}' | '\u{feff}')
}

/// Whitespace for collapsing purposes: Unicode white space (NBSP and the ideographic space included).
pub(super) fn is_space(c: char) -> bool {
    c.is_whitespace()
}

/// The ideographic space is typography in CJK text ("見出し　副題"), not layout: a run made only of it
/// stays one ideographic space instead of becoming an ASCII one.
const IDEOGRAPHIC_SPACE: char = '\u{3000}';

/// Appends `text` to `out`, turning every whitespace run into one space and dropping invisible characters.
/// A leading space is dropped when `out` is empty or already ends in whitespace.
pub(super) fn push_collapsed(out: &mut String, text: &str) {
    // The run's replacement: None outside a run, the ideographic space while the run holds nothing else.
    let mut pending: Option<char> = None;
    // Where the visible characters not copied yet start: they are copied a stretch at a time.
    let mut visible_from: Option<usize> = None;
    for (at, c) in text.char_indices() {
        let space = is_space(c);
        if !space && !is_invisible(c) {
            if visible_from.is_none() {
                if let Some(space) = pending.take() {
                    push_space(out, space);
                }
                visible_from = Some(at);
            }
            continue;
        }
        if let Some(from) = visible_from.take() {
            out.push_str(&text[from..at]);
        }
        if space {
            pending = Some(match pending {
                None | Some(IDEOGRAPHIC_SPACE) if c == IDEOGRAPHIC_SPACE => IDEOGRAPHIC_SPACE,
                _ => ' ',
            });
        }
    }
    match (visible_from, pending) {
        (Some(from), _) => out.push_str(&text[from..]),
        (None, Some(space)) => push_space(out, space),
        (None, None) => {}
    }
}

#[inline]
fn push_space(out: &mut String, space: char) {
    if !out.is_empty() && !out.ends_with([' ', '\n', IDEOGRAPHIC_SPACE]) {
        out.push(space);
    }
}

/// Whitespace-normalised copy: runs collapsed, ends trimmed.
/// Decodes character references left in text that was already decoded once: publishers that escape twice
/// ship titles such as "&#163;5m deal" or "Caf&amp;eacute;". Text without a reference is returned as is;
/// a lone "&" or "AT&T" is not a reference.
pub(super) fn decode_leftover_references(text: &str) -> String {
    let has_reference = text.match_indices('&').any(|(at, _)| {
        let rest = &text[at + 1..];
        let name_len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '#'))
            .unwrap_or(rest.len());
        name_len >= 2 && rest[name_len..].starts_with(';')
    });
    if !has_reference {
        return text.to_owned();
    }
    // The HTML parser knows every named reference; "<" is escaped first so no markup can appear.
    let fragment = scraper::Html::parse_fragment(&text.replace('<', "&lt;"));
    fragment.root_element().text().collect()
}

pub(super) fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    push_collapsed(&mut out, text);
    out.trim_end().to_owned()
}

/// Escapes what would change the meaning of `text` in Markdown, and nothing else: emphasis markers that
/// could pair up, brackets, backticks, backslashes, angle brackets that look like tags, and block markers at
/// the start of a line.
/// `at_line_start` says whether `text` begins a line of the output (so block markers matter there).
pub(super) fn escape_markdown(text: &str, at_line_start: bool) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    push_escaped(&mut out, text, at_line_start);
    out
}

/// [`escape_markdown`] appending to `out`.
pub(super) fn push_escaped(out: &mut String, text: &str, at_line_start: bool) {
    for (n, line) in text.split('\n').enumerate() {
        if n > 0 {
            out.push('\n');
        }
        escape_line(line, at_line_start || n > 0, out);
    }
}

/// Characters that may need a backslash wherever they stand.
const INLINE_SPECIALS: [char; 7] = ['\\', '`', '[', ']', '*', '_', '<'];
/// How much of a line's start [`block_marker`] can look at: up to 9 digits, the '.' and the space after.
const MARKER_LOOKAHEAD: usize = 12;

fn escape_line(line: &str, at_line_start: bool, out: &mut String) {
    let body = line.trim_start_matches(' ');
    let marker = at_line_start
        .then(|| {
            let head: Vec<char> = body.chars().take(MARKER_LOOKAHEAD).collect();
            let offset = block_marker(&head)?;
            // Indentation is spaces, one byte each.
            body.char_indices()
                .nth(offset)
                .map(|(at, _)| line.len() - body.len() + at)
        })
        .flatten();
    // Most lines of prose need nothing escaped: copied whole.
    if marker.is_none() && !line.contains(INLINE_SPECIALS) {
        out.push_str(line);
        return;
    }
    let mut prev = None;
    let mut chars = line.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        let next = chars.peek().map(|&(_, next)| next);
        let escape = marker == Some(at)
            || match c {
                '\\' | '`' | '[' | ']' => true,
                '*' => !(prev.is_none_or(char::is_whitespace) && next.is_none_or(char::is_whitespace)),
                // Intra-word underscores (snake_case) never form emphasis in CommonMark.
                '_' => !(prev.is_some_and(char::is_alphanumeric) && next.is_some_and(char::is_alphanumeric)),
                '<' => next.is_some_and(|n| n.is_ascii_alphabetic() || n == '/' || n == '!'),
                _ => false,
            };
        if escape {
            out.push('\\');
        }
        out.push(c);
        prev = Some(c);
    }
}

/// Offset of the character that would make `line` (already without indentation) a heading, quote, table
/// row, thematic break, setext underline or list item.
fn block_marker(line: &[char]) -> Option<usize> {
    let first = *line.first()?;
    let second = line.get(1).copied();
    match first {
        '#' | '>' | '|' => Some(0),
        '-' | '+' | '=' | '*' if second.is_none_or(|c| c == ' ' || c == first) => Some(0),
        '0'..='9' => {
            let digits = line.iter().take_while(|c| c.is_ascii_digit()).count();
            let after = line.get(digits + 1).copied();
            (digits <= 9 && matches!(line.get(digits), Some('.' | ')')) && after.is_none_or(|c| c == ' '))
                .then_some(digits)
        }
        _ => None,
    }
}

/// Cuts `text` to at most `max_chars` characters at a word boundary (at a character boundary for text
/// written without spaces, such as Chinese or Japanese) and appends "…". Short text is returned unchanged.
pub(super) fn truncate_excerpt(text: &str, max_chars: usize) -> String {
    let text = normalize(text);
    if text.chars().count() <= max_chars {
        return text;
    }
    // Leave room for the ellipsis.
    let limit = max_chars.saturating_sub(1);
    let cut_byte = text.char_indices().nth(limit).map_or(text.len(), |(b, _)| b);
    let head = &text[..cut_byte];
    let next_char = text[cut_byte..].chars().next();
    let mid_word = next_char.is_some_and(|c| !c.is_whitespace() && !is_cjk(c));
    let mut cut = if mid_word {
        match head.rfind(char::is_whitespace) {
            Some(space) if space > head.len() / 2 => &head[..space],
            _ if head.chars().last().is_some_and(is_cjk) => head,
            Some(space) => &head[..space],
            None => head,
        }
    } else {
        head
    };
    cut = cut.trim_end_matches(|c: char| c.is_whitespace() || is_dangling_punctuation(c));
    format!("{cut}…")
}

fn is_dangling_punctuation(c: char) -> bool {
    matches!(
        c,
        ',' | ';'
            | ':'
            | '-'
            | '–'
            | '—'
            | '('
            | '['
            | '{'
            | '"'
            | '\''
            | '“'
            | '‘'
            | '/'
            | '、'
            | '，'
            | '.'
            | '…'
    )
}

/// Han, Hangul, Kana and CJK punctuation: scripts where a character boundary is an acceptable cut.
pub(super) fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3000..=0x303F | 0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xAC00..=0xD7AF
        | 0x1100..=0x11FF | 0x3130..=0x318F | 0xF900..=0xFAFF | 0xFF00..=0xFFEF | 0x20000..=0x2FA1F)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collapses_whitespace_and_nbsp() {
        assert_eq!(normalize("  a\u{a0}\u{a0}b \n\t c\u{200b}d  "), "a b cd");
    }

    #[test]
    fn keeps_joiners_and_ideographic_spaces() {
        assert_eq!(
            normalize("Run 🏃\u{200d}♀\u{fe0f} run"),
            "Run 🏃\u{200d}♀\u{fe0f} run"
        );
        assert_eq!(
            normalize("\u{3000}\u{3000}見出し\u{3000}副題\u{3000}"),
            "見出し\u{3000}副題"
        );
        assert_eq!(normalize("a \u{3000}b"), "a b");
    }

    #[test]
    fn escapes_only_meaningful_markdown() {
        assert_eq!(escape_markdown("# not a heading", true), "\\# not a heading");
        assert_eq!(escape_markdown("C# and F#, 5 * 3", true), "C# and F#, 5 * 3");
        assert_eq!(
            escape_markdown("snake_case and _emph_", true),
            "snake_case and \\_emph\\_"
        );
        assert_eq!(escape_markdown("see [1] *here*", true), "see \\[1\\] \\*here\\*");
        assert_eq!(escape_markdown("1. first", true), "1\\. first");
        assert_eq!(escape_markdown("2024. It was", true), "2024\\. It was");
        assert_eq!(
            escape_markdown("Dr. Who, 3.5 and - dash", true),
            "Dr. Who, 3.5 and - dash"
        );
        assert_eq!(escape_markdown("- item", true), "\\- item");
        assert_eq!(escape_markdown("a <b> tag", true), "a \\<b> tag");
        // Indented markers, markers on later lines, and plain lines copied whole.
        assert_eq!(escape_markdown("  # deep", true), "  \\# deep");
        assert_eq!(escape_markdown("one\n12) two", false), "one\n12\\) two");
        assert_eq!(
            escape_markdown("1234567890. no list", true),
            "1234567890. no list"
        );
        assert_eq!(escape_markdown("Ünïcode — plain.", true), "Ünïcode — plain.");
        assert_eq!(escape_markdown("é*x", false), "é\\*x");
    }

    #[test]
    fn excerpt_cuts_at_word_boundary() {
        let text = "word ".repeat(50);
        let excerpt = truncate_excerpt(&text, 160);
        assert!(excerpt.ends_with("word…"), "{excerpt}");
        assert!(excerpt.chars().count() <= 160);
        assert_eq!(truncate_excerpt("short, text", 160), "short, text");
        let comma = format!("{}, tail and more words here", "a".repeat(150));
        assert!(!truncate_excerpt(&comma, 160).contains(",…"));
    }

    #[test]
    fn excerpt_cuts_cjk_at_characters() {
        let text = "한국어문장입니다".repeat(30);
        let excerpt = truncate_excerpt(&text, 160);
        assert_eq!(excerpt.chars().count(), 160);
        assert!(excerpt.ends_with('…'));
    }
}

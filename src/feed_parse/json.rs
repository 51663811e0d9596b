//! JSON Feed 1.0/1.1 in any version spelling (`https://jsonfeed.org/version/1.1`, `"1.1"`, none). A bad
//! `\u` escape or a raw control character inside a string is repaired before parsing (it costs that
//! character, never the feed), and a field of an unexpected type is ignored like a missing one.

use serde_json::Value;
use url::Url;

use super::entry::Entry;
use super::text::{TextKind, text_to_html};

/// The entries of a JSON Feed; the error is why the document is not one.
pub(super) fn read(text: &str, feed_url: &Url) -> Result<Vec<Entry>, String> {
    let value: Value = serde_json::from_str(&repair_strings(text))
        .map_err(|error| format!("the JSON is not readable: {error}"))?;
    let Some(items) = value.get("items").and_then(Value::as_array) else {
        return Err("the JSON has no \"items\" list, so it is not a JSON Feed".into());
    };
    let string = |value: &Value, key: &str| {
        value
            .get(key)
            .and_then(|field| match field {
                Value::String(text) => Some(text.trim().to_string()),
                Value::Number(number) => Some(number.to_string()),
                _ => None,
            })
            .filter(|text| !text.is_empty())
    };
    let base = string(&value, "home_page_url")
        .and_then(|home| feed_url.join(&home).ok())
        .unwrap_or_else(|| feed_url.clone());
    let feed_authors = authors(&value);
    Ok(items
        .iter()
        .map(|item| {
            let mut entry = Entry::new(base.clone());
            entry.links.extend(string(item, "url"));
            entry.id = string(item, "id");
            if let Some(id) = entry
                .id
                .as_ref()
                .filter(|id| id.to_ascii_lowercase().starts_with("http"))
            {
                entry.links.push(id.clone());
            }
            entry.links.extend(string(item, "external_url"));
            entry.enclosures = item
                .get("attachments")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|attachment| string(attachment, "url"))
                .collect();
            entry.title = string(item, "title").map(|title| (title, TextKind::Plain));
            entry.content_html = string(item, "content_html")
                .or_else(|| string(item, "content_text").map(|text| text_to_html(&text)));
            entry.summary_html = string(item, "summary").map(|text| text_to_html(&text));
            entry.dates = ["date_published", "date_modified"]
                .iter()
                .filter_map(|key| string(item, key))
                .collect();
            entry.updated = string(item, "date_modified").into_iter().collect();
            entry.images = ["image", "banner_image"]
                .iter()
                .filter_map(|key| string(item, key))
                .collect();
            entry.authors = authors(item);
            if entry.authors.is_empty() {
                entry.authors = feed_authors.clone();
            }
            entry.categories = item
                .get("tags")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect();
            entry
        })
        .collect())
}

/// `authors: [{name}]` (1.1) or `author: {name}` (1.0).
fn authors(value: &Value) -> Vec<String> {
    let list = value.get("authors").and_then(Value::as_array).cloned();
    let single = value.get("author").cloned().map(|author| vec![author]);
    list.or(single)
        .unwrap_or_default()
        .iter()
        .filter_map(|author| author.get("name").and_then(Value::as_str).map(str::to_string))
        .collect()
}

/// Rewrites what serde_json rejects inside strings: a `\u` not followed by four hex digits, a lone
/// surrogate, an unknown escape, a raw control character. Each becomes U+FFFD (or the character escaped).
fn repair_strings(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.char_indices().peekable();
    let mut in_string = false;
    while let Some((at, c)) = chars.next() {
        if !in_string {
            in_string = c == '"';
            out.push(c);
            continue;
        }
        match c {
            '"' => {
                in_string = false;
                out.push(c);
            }
            '\\' => match chars.next() {
                Some((_, escape @ ('"' | '\\' | '/' | 'b' | 'f' | 'n' | 'r' | 't'))) => {
                    out.push('\\');
                    out.push(escape);
                }
                Some((_, 'u')) => {
                    let unit = hex4(&text[at + 2..]);
                    match unit {
                        Some(high @ 0xD800..=0xDBFF) => {
                            let low = text[at + 6..].strip_prefix("\\u").and_then(hex4);
                            match low {
                                Some(low @ 0xDC00..=0xDFFF) => {
                                    out.push_str(&format!("\\u{high:04x}\\u{low:04x}"));
                                    skip(&mut chars, 10);
                                }
                                _ => {
                                    out.push_str("\\ufffd");
                                    skip(&mut chars, 4);
                                }
                            }
                        }
                        Some(0xDC00..=0xDFFF) => {
                            out.push_str("\\ufffd");
                            skip(&mut chars, 4);
                        }
                        Some(unit) => {
                            out.push_str(&format!("\\u{unit:04x}"));
                            skip(&mut chars, 4);
                        }
                        None => out.push_str("\\ufffd"),
                    }
                }
                Some((_, other)) => {
                    out.push_str("\\\\");
                    if other.is_control() {
                        out.push_str(&format!("\\u{:04x}", u32::from(other)));
                    } else {
                        out.push(other);
                    }
                }
                None => {}
            },
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out
}

fn hex4(text: &str) -> Option<u32> {
    let digits = text.get(..4)?;
    digits
        .chars()
        .all(|c| c.is_ascii_hexdigit())
        .then(|| u32::from_str_radix(digits, 16).ok())
        .flatten()
}

fn skip(chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>, count: usize) {
    for _ in 0..count {
        chars.next();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_escapes_cost_one_character() {
        let text = r#"{"items":[{"id":"1","title":"a\uZZ b \ud800 c \x","url":"https://a.example/1"}]}"#;
        let entries = read(text, &Url::parse("https://a.example/feed.json").expect("url")).expect("reads");
        assert_eq!(
            entries[0].title.as_ref().map(|(t, _)| t.as_str()),
            Some("a\u{fffd}ZZ b \u{fffd} c \\x")
        );
    }
}

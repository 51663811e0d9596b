//! Front matter as YAML that every strict YAML 1.1 and 1.2 parser reads the same way.
//!
//! Values are only what presets need: strings, `true`/`false`, lists of strings and nested mappings, with
//! keys fixed by the preset. Every string is cleaned ([`clean_text`]) and then double-quoted, which leaves
//! only `"` and `\` to escape: no title (quotes, colons, `#`, `---`, `yes`/`no`, emoji, Hangul, U+FFFF) can
//! change the document's structure or be rejected (YAML 1.1 §5.1 printable set, YAML 1.2 §5.1).

/// One front-matter value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Any text; written double-quoted after [`clean_text`].
    Text(String),
    Bool(bool),
    /// A list of texts; `[]` when empty.
    List(Vec<String>),
    /// A nested mapping; `{}` when empty.
    Map(Mapping),
}

/// Keys in the order they are written.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Mapping {
    entries: Vec<(&'static str, Value)>,
}

impl Mapping {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn text(&mut self, key: &'static str, value: impl Into<String>) -> &mut Self {
        self.entries.push((key, Value::Text(value.into())));
        self
    }

    /// Adds `key` only when there is a value.
    pub fn optional_text(&mut self, key: &'static str, value: Option<impl Into<String>>) -> &mut Self {
        if let Some(value) = value {
            self.text(key, value);
        }
        self
    }

    pub fn bool(&mut self, key: &'static str, value: bool) -> &mut Self {
        self.entries.push((key, Value::Bool(value)));
        self
    }

    pub fn list(&mut self, key: &'static str, values: Vec<String>) -> &mut Self {
        self.entries.push((key, Value::List(values)));
        self
    }

    pub fn map(&mut self, key: &'static str, value: Mapping) -> &mut Self {
        self.entries.push((key, Value::Map(value)));
        self
    }

    /// The mapping as JSON, every string as [`clean_text`] makes it: what a YAML reader gets from the file.
    pub fn to_json(&self) -> serde_json::Value {
        let text = |value: &str| serde_json::Value::String(clean_text(value));
        self.entries
            .iter()
            .map(|(key, value)| {
                let value = match value {
                    Value::Text(value) => text(value),
                    Value::Bool(flag) => serde_json::Value::Bool(*flag),
                    Value::List(items) => items.iter().map(|item| text(item)).collect(),
                    Value::Map(mapping) => mapping.to_json(),
                };
                ((*key).to_string(), value)
            })
            .collect::<serde_json::Map<_, _>>()
            .into()
    }

    /// The mapping as YAML lines (no `---` markers).
    pub fn to_yaml(&self) -> String {
        let mut out = String::with_capacity(256);
        self.write(&mut out, 0);
        out
    }

    fn write(&self, out: &mut String, indent: usize) {
        for (key, value) in &self.entries {
            out.extend(std::iter::repeat_n(' ', indent));
            out.push_str(key);
            out.push(':');
            match value {
                Value::Text(text) => {
                    out.push(' ');
                    push_quoted(out, text);
                }
                Value::Bool(flag) => out.push_str(if *flag { " true" } else { " false" }),
                Value::List(items) if items.is_empty() => out.push_str(" []"),
                Value::List(items) => {
                    for item in items {
                        out.push('\n');
                        out.extend(std::iter::repeat_n(' ', indent + 2));
                        out.push_str("- ");
                        push_quoted(out, item);
                    }
                }
                Value::Map(mapping) if mapping.entries.is_empty() => out.push_str(" {}"),
                Value::Map(mapping) => {
                    out.push('\n');
                    mapping.write(out, indent + 2);
                    out.pop();
                }
            }
            out.push('\n');
        }
    }
}

/// `value` as it will read back from the front matter: line breaks, tabs and no-break spaces become spaces;
/// C0/C1 control characters, Unicode noncharacters (U+FDD0–U+FDEF, U+xFFFE, U+xFFFF), bidirectional
/// embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069; "Trojan Source", CVE-2021-42574) and
/// byte-order marks are dropped. Everything else, every script and emoji included, is kept.
pub fn clean_text(value: &str) -> String {
    value
        .chars()
        .filter_map(|c| match c {
            '\t' | '\n' | '\r' | '\u{85}' | '\u{a0}' | '\u{2028}' | '\u{2029}' => Some(' '),
            c if is_forbidden(c) => None,
            c => Some(c),
        })
        .collect()
}

/// A character no output file carries: every control character (callers first turn tab and line breaks into
/// what they need), noncharacters, bidirectional embeddings/overrides/isolates and the byte-order mark.
pub fn is_forbidden(c: char) -> bool {
    let code = u32::from(c);
    c.is_control()
        || c == '\u{feff}'
        || (0xFDD0..=0xFDEF).contains(&code)
        || code & 0xFFFE == 0xFFFE
        || (0x202A..=0x202E).contains(&code)
        || (0x2066..=0x2069).contains(&code)
}

/// A YAML double-quoted scalar of the cleaned `value`: only `"` and `\` need escapes once it is clean.
fn push_quoted(out: &mut String, value: &str) {
    out.push('"');
    for c in clean_text(value).chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_strings_are_cleaned_and_escaped() {
        let mut out = String::new();
        push_quoted(
            &mut out,
            "a \"b\" \\ c\nd\u{2028}e\u{7}\u{a0}\u{ffff}\u{feff}\u{202e}f\u{1fffe}\u{9f}",
        );
        assert_eq!(out, "\"a \\\"b\\\" \\\\ c d e f\"");
    }

    #[test]
    fn json_reads_like_the_yaml() {
        let mut author = Mapping::new();
        author.text("name", "Jane\u{7}");
        let mut front = Mapping::new();
        front
            .text("title", "a\nb\u{ffff}")
            .bool("draft", false)
            .list("tags", vec!["x".into()])
            .map("author", author);
        assert_eq!(
            front.to_json(),
            serde_json::json!({"title": "a b", "draft": false, "tags": ["x"], "author": {"name": "Jane"}})
        );
    }

    #[test]
    fn nested_shapes() {
        let mut author = Mapping::new();
        author.text("name", "Jane").text("picture", "");
        let mut front = Mapping::new();
        front
            .text("title", "T")
            .bool("draft", false)
            .list("tags", vec![])
            .list("categories", vec!["A".into(), "B".into()])
            .map("author", author)
            .map("params", Mapping::new());
        assert_eq!(
            front.to_yaml(),
            "title: \"T\"\ndraft: false\ntags: []\ncategories:\n  - \"A\"\n  - \"B\"\nauthor:\n  name: \"Jane\"\n  picture: \"\"\nparams: {}\n"
        );
    }
}

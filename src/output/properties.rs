//! Property tests: any string survives the front matter of every preset, slugs and file names stay safe,
//! and no Hugo shortcode opener survives escaping.

use proptest::prelude::*;

use super::file_name::is_safe_relative;
use super::tests::record;
use super::yaml::{clean_text, is_forbidden};
use super::*;

/// Strings rich in what breaks YAML and builders: controls, noncharacters, bidi overrides, BOMs, quotes,
/// YAML indicators, template syntax, line separators, and arbitrary Unicode.
fn hostile_text() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        any::<char>().prop_map(String::from),
        prop::sample::select(vec![
            "\u{0}",
            "\u{7}",
            "\u{1b}",
            "\u{7f}",
            "\u{85}",
            "\u{9f}",
            "\u{a0}",
            "\u{2028}",
            "\u{2029}",
            "\u{fffe}",
            "\u{ffff}",
            "\u{fdd0}",
            "\u{1fffe}",
            "\u{10ffff}",
            "\u{feff}",
            "\u{202e}",
            "\u{2066}",
            "\t",
            "\n",
            "\r\n",
            "\"",
            "'",
            "\\",
            ": ",
            " #",
            "---",
            "...",
            "- ",
            "? ",
            "&a",
            "*a",
            "!tag",
            "%YAML",
            "@",
            "`",
            "|",
            ">",
            "yes",
            "no",
            "~",
            "null",
            "0x1F",
            "1e3",
            "{{< x >}}",
            "{{% y %}}",
            "{% raw %}",
            "{% endraw %}",
            "{{ site.title }}",
            "{x}",
            "<Tag />",
            "import a",
            "한국어",
            "🚀",
            "é",
            "\u{301}",
        ])
        .prop_map(str::to_string),
    ];
    prop::collection::vec(pieces, 0..24).prop_map(|pieces| pieces.concat())
}

/// What Hugo's content lexer prints for `text`: escaped shortcodes (`{{</* … */>}}`) lose their comment
/// markers; `None` if any real shortcode would be run.
fn hugo_prints(text: &str) -> Option<String> {
    let mut printed = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("{{") {
        let after = &rest[at + 2..];
        match after.chars().next() {
            Some(marker @ ('<' | '%')) => {
                let comment = after[1..].strip_prefix("/*")?;
                let close = if marker == '<' { "*/>}}" } else { "*/%}}" };
                let end = comment.find(close)?;
                printed.push_str(&rest[..at + 3]);
                printed.push_str(&comment[..end]);
                printed.push_str(&close[2..]);
                rest = &comment[end + close.len()..];
            }
            _ => {
                printed.push_str(&rest[..=at]);
                rest = &rest[at + 1..];
            }
        }
    }
    printed.push_str(rest);
    Some(printed)
}

fn parsed_front_matter(text: &str) -> serde_json::Value {
    let yaml = text
        .strip_prefix("---\n")
        .and_then(|rest| rest.strip_suffix("---\n"))
        .unwrap_or_else(|| panic!("not a front-matter block:\n{text}"));
    serde_saphyr::from_str(yaml).unwrap_or_else(|error| panic!("strict parser rejects ({error}):\n{text}"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_string_round_trips_through_every_presets_front_matter(text in hostile_text()) {
        let mut article = record(&text);
        article.excerpt = text.clone();
        article.author = Some(text.clone());
        article.tags = vec![text.clone()];
        article.category = Some(text.clone());
        let expected = clean_text(&text);
        for preset in Preset::ALL {
            let rendered = render_front_matter(preset, &Page::of(&article));
            let unsafe_char = rendered.chars().find(|c| *c != '\n' && (is_forbidden(*c) || *c == '\u{85}'));
            prop_assert_eq!(unsafe_char, None, "{}", preset);
            let parsed = parsed_front_matter(&rendered);
            prop_assert_eq!(parsed["title"].as_str(), Some(expected.as_str()), "{}", preset);
            prop_assert_eq!(parsed["tags"][0].as_str(), Some(expected.as_str()), "{}", preset);
        }
    }

    #[test]
    fn clean_text_keeps_ordinary_text_and_is_idempotent(text in hostile_text()) {
        let cleaned = clean_text(&text);
        prop_assert_eq!(clean_text(&cleaned), cleaned.clone());
        let ordinary = !text.chars().any(|c| is_forbidden(c) || c == '\u{a0}' || c == '\u{2028}' || c == '\u{2029}');
        if ordinary {
            prop_assert_eq!(cleaned, text);
        }
    }

    #[test]
    fn slugs_and_file_names_stay_safe(title in hostile_text(), feed in hostile_text(), category in hostile_text(), attempt in 1u32..40) {
        let slug = slugify(&title);
        prop_assert!(!slug.is_empty() && slug.len() <= 96, "{:?}", slug);
        prop_assert!(!slug.starts_with(['.', '-']) && !slug.ends_with('-'), "{:?}", slug);
        prop_assert!(slug.chars().all(|c| c.is_alphanumeric() || c == '-'), "{:?}", slug);
        prop_assert!(!slug.chars().any(|c| c.is_control() || c.is_whitespace() || "/\\.:*?\"<>|".contains(c)), "{:?}", slug);
        let mut article = record(&title);
        article.feed = feed;
        article.category = Some(category);
        for pattern in ["{date}-{slug}.md", "{feed}/{category}/{year}/{month}/{slug}/index.md", "{hash}.mdx"] {
            let name = file_name(pattern, &article, attempt);
            prop_assert!(is_safe_relative(&name), "{:?}", name);
        }
    }

    #[test]
    fn hugo_prints_escaped_shortcodes_as_the_original_text(text in hostile_text()) {
        let escaped = body::escape_hugo_shortcodes(&text);
        let printed = hugo_prints(&escaped);
        prop_assert!(printed.is_some(), "Hugo would lex a shortcode in {:?}", escaped);
        prop_assert_eq!(printed.map(|p| p.replace('\u{2060}', "")), Some(text.replace('\u{2060}', "")));
    }
}

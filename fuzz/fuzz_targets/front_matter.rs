//! Any strings as an article's title, author, tags, category, excerpt, feed and body, through every preset's
//! front matter and file: the block must hold no character builders choke on and must read back, in a
//! strict YAML parser, to the same (cleaned) title and tags.
#![no_main]

use chrono::NaiveDate;
use libfuzzer_sys::fuzz_target;
use tidings::output::yaml::{clean_text, is_forbidden};
use tidings::output::{Page, Preset, render, render_front_matter};
use tidings::record::{ArticleRecord, Origin};
use url::Url;

fuzz_target!(|input: &str| {
    // Fields are separated by U+0000 in the input; missing ones are empty.
    let mut fields = input.split('\0');
    let mut next = || fields.next().unwrap_or_default().to_string();
    let (title, author, tag, category, excerpt, feed, body) =
        (next(), next(), next(), next(), next(), next(), next());
    let record = ArticleRecord {
        canonical_url: Url::parse("https://news.example/a").expect("fixed URL"),
        feed,
        title: title.clone(),
        date: NaiveDate::from_ymd_opt(2025, 9, 27).expect("fixed date"),
        published: None,
        excerpt,
        cover_image: None,
        author: Some(author),
        tags: vec![tag.clone()],
        category: Some(category),
        language: None,
        body,
        origin: Origin::Page,
    };
    let page = Page::of(&record);
    for preset in Preset::ALL {
        let block = render_front_matter(preset, &page);
        assert!(
            !block.chars().any(|c| c != '\n' && (is_forbidden(c) || c == '\u{85}')),
            "{preset}: unsafe character in\n{block}"
        );
        let yaml = block
            .strip_prefix("---\n")
            .and_then(|rest| rest.strip_suffix("---\n"))
            .expect("a front-matter block");
        let parsed: serde_json::Value =
            serde_saphyr::from_str(yaml).unwrap_or_else(|error| panic!("{preset}: {error}\n{block}"));
        let title_shown = parsed["title"].as_str().map(str::to_string);
        assert_eq!(title_shown, Some(clean_text(&title)), "{preset}\n{block}");
        let tag_shown = parsed["tags"][0].as_str().map(str::to_string);
        assert_eq!(tag_shown, Some(clean_text(&tag)), "{preset}\n{block}");
        for mdx in [false, true] {
            assert!(render(preset, &page, mdx).starts_with(&block));
        }
    }
});

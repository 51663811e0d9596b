//! Output presets: one hostile article stored in a real database, read back and rendered by every preset,
//! compared with the golden files in tests/fixtures/output/ and read back with a strict YAML parser.
//! `TIDINGS_UPDATE_GOLDEN=1 cargo test --test tests output::` rewrites the golden files after a deliberate change.

use std::path::PathBuf;

use chrono::{DateTime, NaiveDate};
use tidings::output::{self, Page, Preset};
use tidings::record::{ArticleRecord, Origin};
use tidings::store;
use url::Url;

use crate::support::workspace::front_matter;

/// Title, excerpt and body quoting every syntax that has broken a builder: YAML indicators, controls and
/// noncharacters, a bidi override, a BOM, Hugo shortcodes, Liquid, MDX expressions, JSX and ESM.
pub fn hostile_article(url: &str) -> ArticleRecord {
    ArticleRecord {
        canonical_url: Url::parse(url).expect("url"),
        feed: "news".into(),
        title: "\u{feff}Yes: \"{{< tweet 1 >}}\" & {% include x.html %} {props.a} <Chart/> \u{ffff}\u{7}\u{202e}# no"
            .into(),
        date: NaiveDate::from_ymd_opt(2025, 9, 27).expect("date"),
        published: Some(DateTime::parse_from_rfc3339("2025-09-27T18:30:00+09:00").expect("time")),
        excerpt: "Quotes {{% notice %}} and {{ site.title }}\u{fffe}\n--- not a document end".into(),
        cover_image: Some(Url::parse("https://cdn.example/cover.jpg?w=800&h=400").expect("cover")),
        author: Some("Kim \"Ji-woo\" 김지우".into()),
        tags: vec!["AI".into(), "no".into(), "{{ x }}".into()],
        category: Some("General: AI".into()),
        language: Some("en".into()),
        body: concat!(
            "\u{feff}Shortcodes quoted: {{< youtube abc >}} and {{% notice %}}inner{{% /notice %}}, ",
            "an unclosed {{< left open.\n\n",
            "Liquid quoted: {% include footer.html %}, {{ page.title }} and {%- endraw -%} too.\n\n",
            "MDX quoted: {props.value}, <Chart data={x} />, <div>html</div>.\n\n",
            "import Something from 'somewhere'\n\n",
            "Inline `{code} <Tag>` stays.\n\n",
            "```js\nconst o = {a: 1}; // <T> {{< not run >}}\n```\n\n",
            "한국어 문장도 그대로.\n"
        )
        .into(),
        origin: Origin::Page,
    }
}

fn golden_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/output")
        .join(name)
}

#[test]
fn every_preset_matches_its_golden_file_and_reads_back_strictly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = store::open(&store::Database::Sqlite(dir.path().join("t.db")), "test").expect("store");
    let article = hostile_article("https://news.example/2025/09/27/hostile");
    store
        .insert_article(&article, &[], &|_| "golden.md".into())
        .expect("insert")
        .expect("stored");
    let stored = store.articles_after(0, 10).expect("articles").remove(0).record;
    assert_eq!(stored, article, "the database returns the article as stored");

    let cases = [
        (Preset::Seed, "seed.md"),
        (Preset::Hugo, "hugo.md"),
        (Preset::Jekyll, "jekyll.md"),
        (Preset::Astro, "astro.md"),
        (Preset::Astro, "astro.mdx"),
        (Preset::Nextjs, "nextjs.md"),
        (Preset::Nextjs, "nextjs.mdx"),
    ];
    let update = std::env::var_os("TIDINGS_UPDATE_GOLDEN").is_some();
    for (preset, name) in cases {
        let rendered = output::render(preset, &Page::of(&stored), output::is_mdx(name));
        let path = golden_path(name);
        if update {
            std::fs::write(&path, &rendered).expect("write golden");
        }
        let golden =
            std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        assert_eq!(rendered, golden, "{name} differs from its golden file");

        let (yaml, body) = front_matter(&rendered);
        let title = "Yes: \"{{< tweet 1 >}}\" & {% include x.html %} {props.a} <Chart/> # no";
        assert_eq!(yaml["title"], title, "{name}: title");
        assert!(body.contains("한국어 문장도 그대로."), "{name}: body kept");
        let source = match preset {
            Preset::Hugo => &yaml["params"]["source"],
            _ => &yaml["source"],
        };
        assert_eq!(
            source, "https://news.example/2025/09/27/hostile",
            "{name}: source"
        );
        let date = match preset {
            Preset::Seed => "2025-09-27",
            _ => "2025-09-27T18:30:00+09:00",
        };
        assert_eq!(yaml["date"], date, "{name}: date");
        assert!(
            !rendered.contains('\u{feff}') && !rendered.contains('\u{ffff}'),
            "{name}: cleaned"
        );
    }
}

#[test]
fn preset_specific_keys() {
    let article = hostile_article("https://news.example/a");
    let page = Page::of(&article);
    let keys = |preset| front_matter(&output::render(preset, &page, false)).0;
    let hugo = keys(Preset::Hugo);
    assert_eq!(hugo["draft"], false);
    assert_eq!(hugo["categories"], serde_json::json!(["General: AI"]));
    assert_eq!(
        hugo["images"],
        serde_json::json!(["https://cdn.example/cover.jpg?w=800&h=400"])
    );
    let jekyll = keys(Preset::Jekyll);
    assert_eq!(jekyll["layout"], "post");
    assert_eq!(jekyll["categories"], serde_json::json!(["General: AI"]));
    for preset in [Preset::Astro, Preset::Nextjs] {
        let starter = keys(preset);
        assert_eq!(starter["author"]["name"], "Kim \"Ji-woo\" 김지우", "{preset}");
        assert_eq!(starter["author"]["picture"], "", "{preset}");
        assert_eq!(starter["ogImage"]["url"], starter["coverImage"], "{preset}");
        assert!(
            starter["excerpt"]
                .as_str()
                .is_some_and(|excerpt| excerpt.ends_with("not a document end"))
        );
    }
}

#[test]
fn preset_and_filename_are_checked_in_the_config() {
    let parse = |settings: &str| {
        tidings::config::parse(
            &format!("[settings]\n{settings}\n"),
            std::path::Path::new("feeds.toml"),
        )
        .map(|config| (config.settings.preset, config.settings.filename))
        .map_err(|error| error.to_string())
    };
    assert_eq!(
        parse("preset = \"hugo\"\nfilename = \"{feed}/{slug}/index.md\""),
        Ok((Preset::Hugo, "{feed}/{slug}/index.md".into()))
    );
    assert_eq!(parse(""), Ok((Preset::Seed, "{date}-{slug}.md".into())));
    let error = parse("preset = \"gatsby\"").expect_err("unknown preset");
    assert!(
        error.starts_with("feeds.toml:2:10: unknown preset \"gatsby\""),
        "{error}"
    );
    let error = parse("preset = \"jekyll\"\nfilename = \"{slug}.md\"").expect_err("jekyll name");
    assert!(
        error.starts_with("feeds.toml:3:12: preset jekyll needs"),
        "{error}"
    );
    let error = parse("filename = \"../{slug}.md\"").expect_err("escape");
    assert!(error.contains("files stay inside output_dir"), "{error}");
}

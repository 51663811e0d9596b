//! Output: a stored article → a Markdown file with YAML front matter in the shape the chosen site builder
//! expects ([`Preset`]), written atomically inside `output_dir`.
//!
//! Knows nothing of HTTP or SQLite. Everything written is builder-safe: the front matter reads the same in
//! every strict YAML 1.1/1.2 parser ([`yaml`]), and template syntax the article quotes is shown as text by the
//! builder, never run ([`body`]).

mod body;
mod file_name;
pub mod images;
mod manifest;
mod preset;
#[cfg(test)]
mod properties;
mod write;
pub mod yaml;

use std::path::PathBuf;

use chrono::{DateTime, FixedOffset};

pub use file_name::{check_template, file_name, is_safe_relative, slugify, url_hash};
pub use manifest::{MANIFEST_NAME, ManifestEntry, render_manifest};
pub use preset::Preset;
pub use write::{remove_stale_temp_files, remove_written, resolve, write_atomically};

use crate::record::ArticleRecord;

/// Why a file could not be written or removed.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: refusing a path outside output_dir")]
    Outside { path: PathBuf },
}

/// `[settings] on_update`: what happens to a written article when its feed item says it changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OnUpdate {
    /// The file stays as first written.
    #[default]
    Keep,
    /// The page is read again and, if its text changed, the same file is rewritten with an `updated` field.
    Rewrite,
}

impl std::str::FromStr for OnUpdate {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "keep" => Ok(OnUpdate::Keep),
            "rewrite" => Ok(OnUpdate::Rewrite),
            other => Err(format!(
                "on_update must be \"keep\" or \"rewrite\", not {other:?}"
            )),
        }
    }
}

/// What one file shows: the stored article plus what output decided about it.
#[derive(Debug, Clone)]
pub struct Page<'a> {
    pub record: &'a ArticleRecord,
    /// The cover as written: a local copy's path when images are downloaded, else the remote URL.
    pub cover: Option<String>,
    /// The Markdown body as written (image links may point at local copies).
    pub body: String,
    /// When a rewrite replaced the text (`on_update = "rewrite"`); `None` for a first write.
    pub updated: Option<DateTime<FixedOffset>>,
}

impl<'a> Page<'a> {
    /// The article as stored: remote cover, stored body, never updated.
    pub fn of(record: &'a ArticleRecord) -> Self {
        Self {
            record,
            cover: record.cover_image.as_ref().map(ToString::to_string),
            body: record.body.clone(),
            updated: None,
        }
    }
}

/// The front matter of `page` for `preset`, as ordered keys.
pub fn front_matter(preset: Preset, page: &Page) -> yaml::Mapping {
    preset.shape().front_matter(page)
}

/// The front-matter block of `page` for `preset`: `---`, the YAML, `---`, each line ended.
pub fn render_front_matter(preset: Preset, page: &Page) -> String {
    format!("---\n{}---\n", front_matter(preset, page).to_yaml())
}

/// The whole file: front matter, a blank line, the builder-safe body, a final newline. `mdx` when the file is
/// `.mdx` (see [`is_mdx`]).
pub fn render(preset: Preset, page: &Page, mdx: bool) -> String {
    let body = preset
        .shape()
        .escape_body(body::clean_body(&page.body).trim(), mdx);
    let mut out = render_front_matter(preset, page);
    out.reserve(body.len() + 2);
    out.push('\n');
    out.push_str(body.trim_end());
    out.push('\n');
    out
}

/// True for file names MDX compiles (`.mdx`), whose bodies need MDX escaping.
pub fn is_mdx(name: &str) -> bool {
    name.to_ascii_lowercase().ends_with(".mdx")
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::record::Origin;

    pub fn record(title: &str) -> ArticleRecord {
        ArticleRecord {
            canonical_url: url::Url::parse("https://news.example/a").expect("url"),
            feed: "news".into(),
            title: title.into(),
            date: chrono::NaiveDate::from_ymd_opt(2025, 9, 27).expect("date"),
            published: None,
            excerpt: "An excerpt…".into(),
            cover_image: None,
            author: Some("Jane".into()),
            tags: vec!["AI".into(), "no".into()],
            category: None,
            language: None,
            body: "Body.\n".into(),
            origin: Origin::Page,
        }
    }

    #[test]
    fn seed_front_matter_keys_in_order_and_absent_optionals_omitted() {
        let article = record("Plain");
        assert_eq!(
            render(Preset::Seed, &Page::of(&article), false),
            "---\ntitle: \"Plain\"\ndate: \"2025-09-27\"\nexcerpt: \"An excerpt…\"\nauthor: \"Jane\"\ntags:\n  - \"AI\"\n  - \"no\"\nsource: \"https://news.example/a\"\n---\n\nBody.\n"
        );
    }

    #[test]
    fn presets_parse_from_their_words() {
        for preset in Preset::ALL {
            assert_eq!(preset.as_str().parse::<Preset>(), Ok(preset));
        }
        assert!("Hugo".parse::<Preset>().is_err());
    }
}

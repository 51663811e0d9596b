//! Presets: the front-matter keys and shapes each site builder's usual starter expects, and how its
//! template syntax is kept out of the body. One module per builder behind the [`Shape`] interface.

mod astro;
mod hugo;
mod jekyll;
mod nextjs;
mod seed;

use std::fmt;
use std::str::FromStr;

use super::Page;
use super::body::escape_mdx;
use super::yaml::Mapping;

/// `[settings] preset`: which site builder the files are for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Preset {
    /// The seed document's keys and order (what the Next.js blog-style importers read).
    #[default]
    Seed,
    Hugo,
    Jekyll,
    Astro,
    Nextjs,
}

impl Preset {
    pub const ALL: [Preset; 5] = [
        Preset::Seed,
        Preset::Hugo,
        Preset::Jekyll,
        Preset::Astro,
        Preset::Nextjs,
    ];

    /// The word used in `feeds.toml`.
    pub fn as_str(self) -> &'static str {
        match self {
            Preset::Seed => "seed",
            Preset::Hugo => "hugo",
            Preset::Jekyll => "jekyll",
            Preset::Astro => "astro",
            Preset::Nextjs => "nextjs",
        }
    }

    pub(super) fn shape(self) -> &'static dyn Shape {
        match self {
            Preset::Seed => &seed::Seed,
            Preset::Hugo => &hugo::Hugo,
            Preset::Jekyll => &jekyll::Jekyll,
            Preset::Astro => &astro::Astro,
            Preset::Nextjs => &nextjs::Nextjs,
        }
    }
}

impl fmt::Display for Preset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Preset {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Preset::ALL
            .into_iter()
            .find(|preset| preset.as_str() == text)
            .ok_or_else(|| {
                format!(
                    "unknown preset {text:?}; use one of {}",
                    Preset::ALL.map(Preset::as_str).join(", ")
                )
            })
    }
}

/// What a preset decides: the front matter of a page, and how its builder's template syntax in the body is
/// shown as text.
pub(super) trait Shape: Sync {
    fn front_matter(&self, page: &Page) -> Mapping;

    /// The body with template syntax escaped; `mdx` when the file is `.mdx`. Plain Markdown by default.
    fn escape_body(&self, body: &str, mdx: bool) -> String {
        if mdx { escape_mdx(body) } else { body.to_string() }
    }
}

/// The publication time as RFC 3339 with the publisher's offset, else midnight UTC of the article's date.
fn timestamp(page: &Page) -> String {
    match page.record.published {
        Some(published) => published.to_rfc3339(),
        None => format!("{}T00:00:00+00:00", page.record.date.format("%Y-%m-%d")),
    }
}

/// `author.name` for starters that need one: the article's author, else the publisher's host.
fn author_name(page: &Page) -> String {
    page.record
        .author
        .clone()
        .or_else(|| page.record.canonical_url.host_str().map(str::to_string))
        .unwrap_or_default()
}

/// The Next.js blog starter's keys, which Astro content collections built from it share: `excerpt`,
/// `coverImage`, `date`, `author: {name, picture}`, `ogImage: {url}`, then `tags`, `category`, `source`.
fn starter_keys(page: &Page, front: &mut Mapping) {
    let record = page.record;
    front
        .text("excerpt", &record.excerpt)
        .optional_text("coverImage", page.cover.as_deref())
        .text("date", timestamp(page));
    let mut author = Mapping::new();
    author.text("name", author_name(page)).text("picture", "");
    front.map("author", author);
    if let Some(cover) = &page.cover {
        let mut image = Mapping::new();
        image.text("url", cover);
        front.map("ogImage", image);
    }
    front
        .list("tags", record.tags.clone())
        .optional_text("category", record.category.as_deref())
        .text("source", record.canonical_url.as_str())
        .optional_text("updated", page.updated.map(|at| at.to_rfc3339()));
}

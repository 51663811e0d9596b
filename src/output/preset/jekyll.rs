//! `jekyll`: a `_posts` entry — `layout: post`, `title`, `date` with offset, `categories`, `tags`, `author`,
//! `excerpt`, `image` (jekyll-seo-tag) and `source`; the file name starts `YYYY-MM-DD-` (checked with the
//! config). The body sits in `{% raw %}` so Liquid quoted by the article is printed, not run.

use super::{Shape, timestamp};
use crate::output::Page;
use crate::output::body::liquid_raw;
use crate::output::yaml::Mapping;

pub struct Jekyll;

impl Shape for Jekyll {
    fn front_matter(&self, page: &Page) -> Mapping {
        let record = page.record;
        let mut front = Mapping::new();
        front
            .text("layout", "post")
            .text("title", &record.title)
            .text("date", timestamp(page))
            .list("categories", record.category.iter().cloned().collect())
            .list("tags", record.tags.clone())
            .optional_text("author", record.author.as_deref())
            .text("excerpt", &record.excerpt)
            .optional_text("image", page.cover.as_deref())
            .text("source", record.canonical_url.as_str())
            .optional_text("updated", page.updated.map(|at| at.to_rfc3339()));
        front
    }

    fn escape_body(&self, body: &str, _mdx: bool) -> String {
        liquid_raw(body)
    }
}

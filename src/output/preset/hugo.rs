//! `hugo`: what Hugo's themes read — `date` (RFC 3339 with offset), `lastmod` after a rewrite, `draft: false`,
//! `description`, `tags` and `categories` lists, `images` (Open Graph/Twitter cards), and `params` with the
//! author and source. Shortcode delimiters in the body are shown as text.

use super::{Shape, timestamp};
use crate::output::Page;
use crate::output::body::{escape_hugo_shortcodes, escape_mdx};
use crate::output::yaml::Mapping;

pub struct Hugo;

impl Shape for Hugo {
    fn front_matter(&self, page: &Page) -> Mapping {
        let record = page.record;
        let updated = page.updated.map(|at| at.to_rfc3339());
        let mut params = Mapping::new();
        params
            .optional_text("author", record.author.as_deref())
            .text("source", record.canonical_url.as_str());
        let mut front = Mapping::new();
        front
            .text("title", &record.title)
            .text("date", timestamp(page))
            .optional_text("lastmod", updated.clone())
            .optional_text("updated", updated)
            .bool("draft", false)
            .text("description", &record.excerpt)
            .list("tags", record.tags.clone())
            .list("categories", record.category.iter().cloned().collect())
            .list("images", page.cover.iter().cloned().collect())
            .map("params", params);
        front
    }

    fn escape_body(&self, body: &str, mdx: bool) -> String {
        let escaped = escape_hugo_shortcodes(body);
        if mdx { escape_mdx(&escaped) } else { escaped }
    }
}

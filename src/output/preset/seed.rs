//! `seed`: the seed document's keys in its order — `title`, `date` (YYYY-MM-DD), `excerpt`, `coverImage`,
//! `author`, `tags`, `category`, `source` — optional keys left out when empty, `updated` only after a rewrite.

use super::Shape;
use crate::output::Page;
use crate::output::yaml::Mapping;

pub struct Seed;

impl Shape for Seed {
    fn front_matter(&self, page: &Page) -> Mapping {
        let record = page.record;
        let mut front = Mapping::new();
        front
            .text("title", &record.title)
            .text("date", record.date.format("%Y-%m-%d").to_string())
            .text("excerpt", &record.excerpt)
            .optional_text("coverImage", page.cover.as_deref())
            .optional_text("author", record.author.as_deref())
            .list("tags", record.tags.clone())
            .optional_text("category", record.category.as_deref())
            .text("source", record.canonical_url.as_str())
            .optional_text("updated", page.updated.map(|at| at.to_rfc3339()));
        front
    }
}

//! `astro`: a content-collection entry — the Astro blog template's `title`, `description`, `pubDate`,
//! `updatedDate` and `heroImage`, then the Next.js starter keys (`excerpt`, `coverImage`, `date`,
//! `author: {name, picture}`, `ogImage: {url}`) that collections ported from it declare. MDX-escaped in `.mdx`.

use super::{Shape, starter_keys, timestamp};
use crate::output::Page;
use crate::output::yaml::Mapping;

pub struct Astro;

impl Shape for Astro {
    fn front_matter(&self, page: &Page) -> Mapping {
        let record = page.record;
        let mut front = Mapping::new();
        front
            .text("title", &record.title)
            .text("description", &record.excerpt)
            .text("pubDate", timestamp(page))
            .optional_text("updatedDate", page.updated.map(|at| at.to_rfc3339()))
            .optional_text("heroImage", page.cover.as_deref());
        starter_keys(page, &mut front);
        front
    }
}

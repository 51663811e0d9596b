//! `nextjs`: the Next.js blog starter's post — `title`, `excerpt`, `coverImage`, `date` (ISO 8601),
//! `author: {name, picture}`, `ogImage: {url}`, plus `tags`, `category` and `source`. MDX-escaped in `.mdx`.

use super::{Shape, starter_keys};
use crate::output::Page;
use crate::output::yaml::Mapping;

pub struct Nextjs;

impl Shape for Nextjs {
    fn front_matter(&self, page: &Page) -> Mapping {
        let mut front = Mapping::new();
        front.text("title", &page.record.title);
        starter_keys(page, &mut front);
        front
    }
}

//! Caps on what one feed can make us do or write (issue 7): how many new items one poll processes (the
//! newest first; the rest drain in later polls instead of flooding), and how long a title, author, tag or
//! body may be. Every cut is logged with the feed and URL.

use tracing::warn;

use super::{Pipeline, PipelineError};
use crate::canonical_url::canonicalize;
use crate::config::FeedConfig;
use crate::extract;
use crate::feed_parse::FeedItem;
use crate::record::ArticleRecord;

/// Longest title kept, in characters (cut at a word boundary with "…").
pub const MAX_TITLE_CHARS: usize = 300;
/// Longest author kept, in characters.
pub const MAX_AUTHOR_CHARS: usize = 200;
/// Longest tag kept, in characters, and most tags kept.
pub const MAX_TAG_CHARS: usize = 100;
pub const MAX_TAGS: usize = 50;
/// Longest Markdown body kept, in characters (~1 MB of text: no article comes near it).
pub const MAX_BODY_CHARS: usize = 1_000_000;

impl Pipeline {
    /// The items of `feed` to process this poll: those not stored yet, newest first, at most
    /// `max_items_per_poll`. Returns them and how many new items were deferred to later polls.
    pub(super) async fn newest_new_items(
        &self,
        feed: &FeedConfig,
        items: Vec<FeedItem>,
    ) -> Result<(Vec<FeedItem>, usize), PipelineError> {
        let cap = feed
            .max_items_per_poll
            .unwrap_or(self.settings.max_items_per_poll);
        if items.len() <= cap {
            return Ok((items, 0));
        }
        let mut new_items = self
            .on_store(move |store| {
                let mut new_items = Vec::new();
                for item in items {
                    if !store.is_known(&canonicalize(&item.link))? {
                        new_items.push(item);
                    }
                }
                Ok(new_items)
            })
            .await?;
        if new_items.len() <= cap {
            return Ok((new_items, 0));
        }
        // Undated items sort last; among equals the feed's own order is kept (the sort is stable).
        new_items.sort_by_key(|item| std::cmp::Reverse(item.published));
        let deferred = new_items.split_off(cap).len();
        warn!(
            feed = %feed.name,
            url = %feed.url,
            processed = cap,
            deferred,
            "more new items than max_items_per_poll: the newest are processed now, the rest in later polls"
        );
        Ok((new_items, deferred))
    }
}

/// Cuts an over-long title, author, tag list or body of `record`, logging each cut.
pub(super) fn cap_record(record: &mut ArticleRecord) {
    let url = record.canonical_url.clone();
    let feed = record.feed.clone();
    let cut = |field: &str, value: &mut String, max: usize| {
        let chars = value.chars().count();
        if chars > max {
            warn!(feed = %feed, url = %url, field, chars, max, "field too long; cut");
            *value = extract::shorten(value, max);
        }
    };
    cut("title", &mut record.title, MAX_TITLE_CHARS);
    if let Some(author) = record.author.as_mut() {
        cut("author", author, MAX_AUTHOR_CHARS);
    }
    for tag in &mut record.tags {
        cut("tag", tag, MAX_TAG_CHARS);
    }
    if record.tags.len() > MAX_TAGS {
        warn!(feed = %feed, url = %url, tags = record.tags.len(), max = MAX_TAGS, "too many tags; cut");
        record.tags.truncate(MAX_TAGS);
    }
    cut("body", &mut record.body, MAX_BODY_CHARS);
}

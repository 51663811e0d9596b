//! The article record: what the store keeps and what output renders. Plain data, shared by both so that
//! neither depends on the other.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use url::Url;

/// Where an article's body came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Extracted from the fetched article page.
    Page,
    /// Built from the feed item's own content (page unavailable, `fetch_article = false`, or the page's
    /// extraction failed a quality gate).
    Feed,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Page => "page",
            Origin::Feed => "feed",
        }
    }

    pub fn parse(text: &str) -> Self {
        if text == "page" {
            Origin::Page
        } else {
            Origin::Feed
        }
    }
}

/// One article, complete: every front-matter field and the Markdown body.
#[derive(Debug, Clone, PartialEq)]
pub struct ArticleRecord {
    /// The dedup key and front-matter `source`.
    pub canonical_url: Url,
    /// Name of the feed that first brought the article.
    pub feed: String,
    pub title: String,
    /// Front-matter `date`: the publication date in the publisher's own offset, else the day it was stored.
    pub date: NaiveDate,
    pub published: Option<DateTime<FixedOffset>>,
    /// Short summary; may be empty only when the body is shorter than an excerpt.
    pub excerpt: String,
    pub cover_image: Option<Url>,
    /// The feed's `author` override, else the page's byline, else the feed item's author.
    pub author: Option<String>,
    /// The feed's `tags` followed by the item's own categories, duplicates removed case-insensitively.
    pub tags: Vec<String>,
    pub category: Option<String>,
    pub language: Option<String>,
    /// The body as Markdown.
    pub body: String,
    pub origin: Origin,
}

/// An article as stored: the record plus the output file name the store assigned it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredArticle {
    pub id: i64,
    pub file_name: String,
    pub record: ArticleRecord,
    /// When the article's text was last rewritten after its feed item changed (`on_update = "rewrite"`).
    pub updated: Option<DateTime<FixedOffset>>,
    /// When tidings stored it.
    pub stored_at: DateTime<Utc>,
}

//! Composing an article record: which body wins (the page's or the feed's own content) and which value each
//! front-matter field takes, following the precedence documented in the README. Pure functions.

use chrono::{DateTime, FixedOffset, NaiveTime, Utc};
use tracing::{info, warn};
use url::Url;

use crate::config::FeedConfig;
use crate::extract::{self, Article};
use crate::feed_parse::FeedItem;
use crate::record::{ArticleRecord, Origin};

/// A page extraction shorter than this many characters is not trusted when the feed has more.
const MIN_PAGE_TEXT_CHARS: usize = 400;
/// Feed content shorter than this is a teaser, not an article to publish on its own.
const MIN_FEED_TEXT_CHARS: usize = 200;

/// The feed item's own content as an article body: full content when given, else the summary.
pub(super) fn feed_content_article(item: &FeedItem) -> Option<Article> {
    let html = item.content_html.as_deref().or(item.summary_html.as_deref())?;
    let article = match extract::extract_fragment(html, &item.link) {
        Ok(article) => article,
        Err(error) => {
            warn!(url = %item.link, error = %error, "the feed item's own content was not used");
            return None;
        }
    };
    (!article.text.trim().is_empty()).then_some(article)
}

pub(super) fn has_real_text(article: &Article) -> bool {
    article.text.chars().filter(|c| !c.is_whitespace()).count() >= MIN_FEED_TEXT_CHARS
}

/// The quality gate: the page's extraction unless it is much thinner than the feed's own full content
/// (a teaser, paywall or consent page), in which case the feed content wins. Logged either way it goes.
pub(super) fn choose_body(
    feed: &FeedConfig,
    item: &FeedItem,
    page: Article,
    feed_article: Option<Article>,
) -> (Article, Origin) {
    let page_chars = page.text.chars().count();
    if let Some(feed_article) = feed_article.filter(has_real_text) {
        let feed_chars = feed_article.text.chars().count();
        let reason = if page_chars == 0 {
            Some("the page gave no article text")
        } else if page_chars < MIN_PAGE_TEXT_CHARS && feed_chars > page_chars {
            Some("the page's text is a teaser")
        } else if feed_chars > page_chars.saturating_mul(2) {
            Some("the page's text is less than half the feed's full content")
        } else {
            None
        };
        if let Some(reason) = reason {
            info!(feed = %feed.name, url = %item.link, page_chars, feed_chars, reason, "using the feed's content instead of the page");
            let merged = Article {
                title: page.title.or(feed_article.title),
                author: page.author.or(feed_article.author),
                published: page.published.or(feed_article.published),
                cover_image: page.cover_image.or(feed_article.cover_image),
                language: page.language.or(feed_article.language),
                ..feed_article
            };
            return (merged, Origin::Feed);
        }
    }
    (page, Origin::Page)
}

/// Combines page, feed item and feed config into the record, following the documented precedence. `None`
/// when there is no text to publish: an empty article is never written.
pub(super) fn build_record(
    feed: &FeedConfig,
    item: &FeedItem,
    article: Article,
    origin: Origin,
    canonical_url: Url,
) -> Option<ArticleRecord> {
    if article.text.trim().is_empty() || article.markdown.trim().is_empty() {
        return None;
    }
    let title = preferred_title(article.title.as_deref(), item.title.as_deref())
        .unwrap_or_else(|| extract::shorten(&article.text, 80));
    let published = preferred_date(article.published, item.published);
    let date = published.map_or_else(|| Utc::now().date_naive(), |at| at.date_naive());
    let mut tags: Vec<String> = Vec::new();
    for tag in feed.tags.iter().chain(item.categories.iter()) {
        if !tags.iter().any(|known| known.eq_ignore_ascii_case(tag)) {
            tags.push(tag.clone());
        }
    }
    let author = feed
        .author
        .clone()
        .or(article.author)
        .or_else(|| (!item.authors.is_empty()).then(|| item.authors.join(", ")));
    let mut record = ArticleRecord {
        canonical_url,
        feed: feed.name.clone(),
        title,
        date,
        published,
        excerpt: article
            .excerpt
            .unwrap_or_else(|| extract::shorten(&article.text, 160)),
        cover_image: item.image.clone().or(article.cover_image),
        author,
        tags,
        category: feed.category.clone(),
        // A page's extraction has already looked; the feed's own content is only looked at once it is used.
        language: match origin {
            Origin::Feed => article
                .language
                .or_else(|| extract::detect_language(&article.text)),
            Origin::Page => article.language,
        },
        body: article.markdown,
        origin,
    };
    super::caps::cap_record(&mut record);
    Some(record)
}

/// The page's headline (it may have been edited since the feed was written), unless it is the feed's
/// title plus a site-name suffix the page did not declare (`Title - Site`), or it is only a name (two
/// words or fewer, "Yahoo News", a section) where the feed gives a headline of four or more: then the
/// feed's title is the headline. A feed title cut short ("…") never wins.
fn preferred_title(page: Option<&str>, item: Option<&str>) -> Option<String> {
    let page = page.map(str::trim).filter(|title| !title.is_empty());
    let item = item.map(str::trim).filter(|title| !title.is_empty());
    match (page, item) {
        (Some(page), Some(item)) => {
            let suffixed = page.strip_prefix(item).is_some_and(|rest| {
                [" - ", " | ", " – ", " — ", " :: ", " · ", " : "]
                    .iter()
                    .any(|separator| rest.starts_with(separator))
            });
            let truncated = item.ends_with('…') || item.ends_with("...");
            let words = |title: &str| {
                title
                    .split_whitespace()
                    .filter(|w| w.chars().any(char::is_alphanumeric))
                    .count()
            };
            // "A story" against "A story - Feed" is the headline without the feed's suffix, not a name.
            let page_is_a_name = words(page) <= 2 && words(item) >= 4 && !item.starts_with(page);
            let feed_wins = !truncated && (suffixed || page_is_a_name);
            Some(if feed_wins { item } else { page }.to_string())
        }
        (page, item) => page.or(item).map(str::to_string),
    }
}

/// The page's publication time, unless it is only a calendar date (from a URL, a dateline, a date-only
/// meta) and the feed's time falls within a day of it: the feed then says the same thing more precisely,
/// with the publisher's own offset.
fn preferred_date(
    page: Option<DateTime<FixedOffset>>,
    item: Option<DateTime<FixedOffset>>,
) -> Option<DateTime<FixedOffset>> {
    match (page, item) {
        (Some(page), Some(item))
            if page.time() == NaiveTime::MIN
                && page.offset().local_minus_utc() == 0
                && (item.date_naive() - page.date_naive()).num_days().abs() <= 1 =>
        {
            Some(item)
        }
        (page, item) => page.or(item),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_only_page_date_gives_way_to_the_feeds_time_that_day() {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).ok();
        let feed = at("2025-09-27T14:03:00+02:00");
        assert_eq!(preferred_date(at("2025-09-27T00:00:00+00:00"), feed), feed);
        let page = at("2025-09-27T09:30:00-04:00");
        assert_eq!(preferred_date(page, feed), page);
        let older = at("2024-01-02T00:00:00+00:00");
        assert_eq!(preferred_date(older, feed), older);
        assert_eq!(preferred_date(None, feed), feed);
        assert_eq!(preferred_date(older, None), older);
    }

    #[test]
    fn site_suffix_is_dropped_only_when_the_feed_title_proves_it() {
        assert_eq!(
            preferred_title(Some("A story - Site"), Some("A story")).as_deref(),
            Some("A story")
        );
        assert_eq!(
            preferred_title(Some("A story"), Some("A story - feed")).as_deref(),
            Some("A story")
        );
        assert_eq!(
            preferred_title(Some("Edited headline"), Some("Old headline")).as_deref(),
            Some("Edited headline")
        );
        assert_eq!(preferred_title(None, Some("Feed")).as_deref(), Some("Feed"));
        assert_eq!(
            preferred_title(Some("Yahoo News"), Some("Space ship breaks up over Siberia")).as_deref(),
            Some("Space ship breaks up over Siberia")
        );
        assert_eq!(
            preferred_title(Some("Short - Site"), Some("Short…")).as_deref(),
            Some("Short - Site")
        );
        assert_eq!(
            preferred_title(Some("Brexit"), Some("Brexit vote delayed again…")).as_deref(),
            Some("Brexit")
        );
    }
}

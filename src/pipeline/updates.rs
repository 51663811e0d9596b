//! `on_update = "rewrite"`: an already stored article whose feed item says it changed (its `updated` time is
//! newer than the text we have) is read again; when its title or text changed, the same file is rewritten in
//! place with an `updated` field and the stored row follows. The file goes first: if writing fails, the row
//! still says the old time, so the next poll tries again.

use std::path::PathBuf;
use std::sync::Arc;

use tracing::info;
use url::Url;

use super::compose::build_record;
use super::{ItemError, Pipeline};
use crate::config::FeedConfig;
use crate::extract::ExtractOptions;
use crate::feed_parse::FeedItem;
use crate::fetch::ContentFetcher;
use crate::output::OnUpdate;
use crate::output::images::ImageMode;
use crate::record::StoredArticle;

/// What checking a known item for an update did.
pub(super) enum Update {
    /// Nothing to do: rewriting is off, the item has no newer `updated` time, or the text is the same.
    Unchanged,
    /// The file was rewritten at this path.
    Rewritten(PathBuf),
    /// The text changed but the file could not be written (retried next poll), with the reason.
    FileFailed(String),
}

impl Pipeline {
    /// Checks the already stored article of `item` (known as `item_url`) for an update.
    pub(super) async fn check_update(
        &self,
        feed: &FeedConfig,
        item: &FeedItem,
        item_url: &Url,
        options: &Arc<ExtractOptions>,
        content: Option<&ContentFetcher>,
    ) -> Result<Update, ItemError> {
        let (OnUpdate::Rewrite, Some(updated)) = (self.settings.on_update, item.updated) else {
            return Ok(Update::Unchanged);
        };
        let url = item_url.clone();
        let Some(known) = self.on_store(move |store| store.article_at(&url)).await? else {
            return Ok(Update::Unchanged);
        };
        if known.text_as_of.is_some_and(|as_of| updated <= as_of) {
            return Ok(Update::Unchanged);
        }
        let stored = known.article;
        let (article, origin, _) = self.read_item(feed, item, item_url, options, content).await?;
        let record = build_record(feed, item, article, origin, stored.record.canonical_url.clone())
            .ok_or_else(|| ItemError::Unusable("no article text could be extracted".into()))?;
        let id = stored.id;
        if record.title == stored.record.title && record.body == stored.record.body {
            self.on_store(move |store| store.record_item_update(id, updated, None))
                .await?;
            return Ok(Update::Unchanged);
        }
        let rewritten = StoredArticle {
            record: crate::record::ArticleRecord {
                feed: stored.record.feed.clone(),
                ..record
            },
            updated: Some(updated),
            ..stored
        };
        let article = rewritten.clone();
        let written = self
            .on_publisher(move |publisher| publisher.rewrite(&article))
            .await;
        match written {
            Ok(path) => {
                let record = rewritten.record.clone();
                self.on_store(move |store| store.record_item_update(id, updated, Some(&record)))
                    .await?;
                if self.settings.images == ImageMode::Download {
                    // The new text's images: copied now (rewriting the file once more) or retried later.
                    if let Err(error) = self.write_file(feed, &rewritten).await {
                        tracing::warn!(feed = %feed.name, url = %item_url, error = %error, "cannot copy the rewritten article's images");
                    }
                }
                match path {
                    Some(path) => {
                        info!(feed = %feed.name, url = %item_url, path = %path.display(), updated = %updated, "article rewritten: its feed item changed");
                        Ok(Update::Rewritten(path))
                    }
                    None => Ok(Update::Unchanged),
                }
            }
            Err(error) => Ok(Update::FileFailed(error.to_string())),
        }
    }
}

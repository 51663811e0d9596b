//! Markdown files as projections of stored rows: writing one, and when that fails (output folder read-only,
//! full or deleted), keeping the article pending and writing it again at the start of every poll of its feed
//! until it succeeds (issue 7). A vanished output folder is recreated with a warning.

use std::path::PathBuf;

use tracing::{error, info, warn};

use super::{FeedReport, Pipeline, PipelineError};
use crate::canonical_url::canonicalize;
use crate::config::FeedConfig;
use crate::feed_parse::FeedItem;
use crate::record::StoredArticle;

impl Pipeline {
    /// Writes `stored`'s file unless this output folder holds a tombstone for it (see [`super::publish`]);
    /// `None` when not written for that reason. The error is the reason, naming the path.
    pub(super) async fn write_file(&self, stored: &StoredArticle) -> Result<Option<PathBuf>, String> {
        // A pure poller (`render = false`) stores articles; the instances that render write them.
        if !self.settings.render {
            return Ok(None);
        }
        let dir = &self.settings.output_dir;
        if !dir.is_dir() {
            warn!(feed = %stored.record.feed, path = %dir.display(), "the output folder is gone; recreating it");
        }
        let stored = stored.clone();
        self.on_publisher(move |publisher| publisher.publish(&stored, false))
            .await
            .map_err(|error| error.to_string())
    }

    /// Logs and records that `stored` is in the database but its file is not written yet.
    pub(super) async fn file_not_written(
        &self,
        stored: &StoredArticle,
        reason: &str,
    ) -> Result<(), PipelineError> {
        error!(
            feed = %stored.record.feed,
            url = %stored.record.canonical_url,
            error = %reason,
            "article stored but its file could not be written; retried every poll"
        );
        let (pending, reason) = (stored.clone(), reason.to_string());
        self.on_store(move |store| store.record_pending_file(&pending, &reason))
            .await
    }

    /// Writes the files of `feed`'s articles that earlier polls could not write.
    pub(super) async fn retry_pending_files(
        &self,
        feed: &FeedConfig,
        report: &mut FeedReport,
    ) -> Result<(), PipelineError> {
        let name = feed.name.clone();
        let pending = self.on_store(move |store| store.pending_files(&name)).await?;
        for stored in pending {
            match self.write_file(&stored).await {
                Ok(written) => {
                    self.on_store(move |store| store.clear_pending_file(stored.id))
                        .await?;
                    if let Some(path) = written {
                        self.metrics.article_written(&feed.name);
                        info!(feed = %feed.name, path = %path.display(), "pending article file written");
                        report.written.push(path);
                    }
                }
                Err(reason) => {
                    self.file_not_written(&stored, &reason).await?;
                    report.file_failures.push((stored.record.canonical_url, reason));
                }
            }
        }
        Ok(())
    }

    /// Forgets failures of items `feed` no longer lists: they will never be retried, and while recorded they
    /// keep the feed from conditional requests.
    pub(super) async fn forget_dropped_items(
        &self,
        feed: &FeedConfig,
        items: &[FeedItem],
    ) -> Result<(), PipelineError> {
        let name = feed.name.clone();
        let current: Vec<_> = items.iter().map(|item| canonicalize(&item.link)).collect();
        let forgotten = self
            .on_store(move |store| store.forget_dropped_item_failures(&name, &current))
            .await?;
        if forgotten > 0 {
            info!(feed = %feed.name, count = forgotten, "forgot failures of items the feed no longer lists");
        }
        Ok(())
    }
}

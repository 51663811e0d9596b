//! Markdown files as projections of stored rows: writing one, and when that fails (output folder read-only,
//! full or deleted), keeping the article pending and writing it again at the start of every poll of its feed
//! until it succeeds (issue 7). A vanished output folder is recreated with a warning.

use std::path::PathBuf;

use tracing::{error, info, warn};

use super::images::Copied;
use super::{Claim, FeedReport, Pipeline, PipelineError};
use crate::canonical_url::canonicalize;
use crate::config::FeedConfig;
use crate::feed_parse::FeedItem;
use crate::output::images::ImageMode;
use crate::record::StoredArticle;

/// How long after an article was stored its failed images are still retried.
const IMAGE_RETRY_DAYS: i64 = 7;

impl Pipeline {
    /// Writes `stored`'s file unless this output folder holds a tombstone for it (see [`super::publish`]);
    /// `None` when not written for that reason. With `images = "download"` its images are copied first, and
    /// a file already in place is rewritten when copies were made since (a later poll's retry). The error is
    /// the reason, naming the path.
    pub(super) async fn write_file(
        &self,
        feed: &FeedConfig,
        stored: &StoredArticle,
    ) -> Result<Option<PathBuf>, String> {
        // A pure poller (`render = false`) stores articles; the instances that render write them.
        if !self.settings.render {
            return Ok(None);
        }
        let dir = &self.settings.output_dir;
        if !dir.is_dir() {
            warn!(feed = %stored.record.feed, path = %dir.display(), "the output folder is gone; recreating it");
        }
        let download = self.settings.images == ImageMode::Download;
        if !download {
            // Claim, write and clear a pending mark in one trip to a blocking thread: each trip costs thread
            // wake-ups, a good part of an article's CPU when they were three.
            let article = stored.clone();
            let (written, cleared) = self
                .on_publisher(move |publisher| {
                    let written = publisher.publish(&article, false)?;
                    Ok((written, publisher.clear_pending(article.id)))
                })
                .await
                .map_err(|error| error.to_string())?;
            if let Err(error) = cleared {
                warn_pending_not_recorded(stored, &error);
            }
            return Ok(written);
        }
        let article = stored.clone();
        let claim = self
            .on_publisher(move |publisher| publisher.claim(&article, false))
            .await
            .map_err(|error| error.to_string())?;
        let (name, in_place) = match claim {
            Claim::New(name) => (name, false),
            Claim::InPlace(name) if download => (name, true),
            Claim::InPlace(_) | Claim::Settled => {
                self.note_images(stored, &[]).await;
                return Ok(None);
            }
        };
        let copied = if download {
            self.copy_images(feed, stored, &name).await
        } else {
            Copied::default()
        };
        if in_place && copied.new == 0 {
            self.note_images(stored, &copied.failed).await;
            return Ok(None);
        }
        let article = stored.clone();
        let written = self
            .on_publisher(move |publisher| match in_place {
                true => publisher.rewrite(&article),
                false => publisher.write_claimed(&article, &name).map(Some),
            })
            .await
            .map_err(|error| error.to_string())?;
        self.note_images(stored, &copied.failed).await;
        Ok(written)
    }

    /// Records `stored` as pending while images failed (its feed's next poll retries them), else clears it.
    /// Images of an article stored more than [`IMAGE_RETRY_DAYS`] ago are not retried any more, so dead
    /// image links do not add requests to every poll forever.
    async fn note_images(&self, stored: &StoredArticle, failed: &[(url::Url, String)]) {
        let pending = stored.clone();
        let age = chrono::Utc::now() - stored.stored_at;
        let given_up = !failed.is_empty() && age > chrono::TimeDelta::days(IMAGE_RETRY_DAYS);
        if given_up {
            warn!(feed = %stored.record.feed, url = %stored.record.canonical_url, images = failed.len(), "images still not copied after the retry period; their remote URLs stay");
        }
        let result = match failed.first().filter(|_| !given_up) {
            None => {
                let id = stored.id;
                self.on_store(move |store| store.clear_pending_file(id)).await
            }
            Some((url, reason)) => {
                let reason = format!("{} image(s) not copied yet, e.g. {url}: {reason}", failed.len());
                self.on_store(move |store| store.record_pending_file(&pending, &reason))
                    .await
            }
        };
        if let Err(error) = result {
            warn_pending_not_recorded(stored, &error);
        }
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
        pending: Vec<StoredArticle>,
        report: &mut FeedReport,
    ) -> Result<(), PipelineError> {
        for stored in pending {
            // Written or not, `write_file` clears the record, or keeps it while images are still missing.
            match self.write_file(feed, &stored).await {
                Ok(written) => {
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

fn warn_pending_not_recorded(stored: &StoredArticle, error: &dyn std::fmt::Display) {
    warn!(feed = %stored.record.feed, url = %stored.record.canonical_url, error = %error, "cannot record the article's pending images");
}

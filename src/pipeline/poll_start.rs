//! What a poll reads from the database before its request: the feed's state, its failed items still to
//! retry and the articles whose files wait. Read in one trip to a blocking thread per poll, or ahead for a
//! batch of polls about to start: each trip costs thread wake-ups, and those were much of the CPU of an
//! unchanged (304) poll.

use std::sync::Arc;

use super::{MAX_ITEM_ATTEMPTS, Pipeline, PipelineError};
use crate::config::FeedConfig;
use crate::record::StoredArticle;
use crate::store::{FeedState, PollRecord, StoreError};

/// What a poll reads from the database before its request (see [`Pipeline::start_poll`]).
pub(super) struct PollStart {
    pub state: FeedState,
    /// Stored articles of the feed whose files are still to be written.
    pub pending_files: Vec<StoredArticle>,
    /// Failed items are waiting for a retry, so the feed must be fetched in full.
    pub retrying: bool,
}

impl PollStart {
    fn new(record: PollRecord, pending_files: Vec<StoredArticle>) -> Self {
        Self {
            state: record.state,
            pending_files,
            // Items that failed last time are only seen again in the feed body, so while any are pending
            // the feed is fetched in full even if unchanged.
            retrying: record.retryable_failures > 0,
        }
    }
}

impl Pipeline {
    /// Reads the poll records of `feeds` in one trip to a blocking thread, each to be handed to its poll
    /// ([`Pipeline::poll_feed`]), in the order of `feeds`. Only on a database no other process polls from,
    /// where nothing but these polls changes the records. Otherwise, or when the read fails (each poll then
    /// reads, and reports, for itself), `None`s.
    pub async fn read_poll_records(&self, feeds: &[FeedConfig]) -> Vec<Option<PollRecord>> {
        let unread = || feeds.iter().map(|_| None).collect();
        if self.store.shares_feeds() || feeds.is_empty() {
            return unread();
        }
        let names: Vec<String> = feeds.iter().map(|feed| feed.name.clone()).collect();
        let read = self
            .on_store(move |store| {
                names
                    .iter()
                    .map(|name| store.poll_record(name, MAX_ITEM_ATTEMPTS).map(Some))
                    .collect::<Result<Vec<_>, StoreError>>()
            })
            .await;
        read.unwrap_or_else(|_| unread())
    }

    /// What a poll of `feed` needs before its request; `read` is its record when read ahead.
    pub(super) async fn start_poll(
        &self,
        feed: &FeedConfig,
        read: Option<PollRecord>,
    ) -> Result<PollStart, PipelineError> {
        if let Some(record) = read.filter(|record| !record.pending_files) {
            return Ok(PollStart::new(record, Vec::new()));
        }
        let store = Arc::clone(&self.store);
        let name = feed.name.clone();
        let start = tokio::task::spawn_blocking(move || -> Result<PollStart, StoreError> {
            let record = store.poll_record(&name, MAX_ITEM_ATTEMPTS)?;
            let pending_files = match record.pending_files {
                true => store.pending_files(&name)?,
                false => Vec::new(),
            };
            Ok(PollStart::new(record, pending_files))
        });
        Ok(start.await??)
    }
}

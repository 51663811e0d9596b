//! What a poll reads from the database before its request: the feed's state, its failed items still to
//! retry, the articles whose files wait, and (in the daemon) a check of its files. Read in one trip to a
//! blocking thread per poll, or, for a one-shot run, ahead in batches: each trip costs thread wake-ups, and
//! those were much of the CPU of an unchanged (304) poll.

use std::sync::Arc;

use super::{MAX_ITEM_ATTEMPTS, Pipeline, PipelineError, PublishError, Publisher, Reconciled};
use crate::config::FeedConfig;
use crate::record::StoredArticle;
use crate::store::{FeedState, PollRecord, StoreError};

/// What a poll reads from the database before its request (see [`Pipeline::start_poll`]).
pub(super) struct PollStart {
    /// `None` when this instance renders no files (`render = false`) or the files were checked at start-up
    /// ([`Pipeline::files_checked_once`]).
    pub reconciled: Option<Result<Reconciled, PublishError>>,
    pub state: FeedState,
    /// Stored articles of the feed whose files are still to be written.
    pub pending_files: Vec<StoredArticle>,
    /// Failed items are waiting for a retry, so the feed must be fetched in full.
    pub retrying: bool,
}

impl PollStart {
    fn new(record: PollRecord, pending_files: Vec<StoredArticle>) -> Self {
        Self {
            reconciled: None,
            state: record.state,
            pending_files,
            // Items that failed last time are only seen again in the feed body, so while any are pending
            // the feed is fetched in full even if unchanged.
            retrying: record.retryable_failures > 0,
        }
    }
}

impl Pipeline {
    /// Whether each poll first checks its feed's files.
    fn checks_files_each_poll(&self) -> bool {
        self.check_files_each_poll && self.settings.render
    }

    /// Reads the poll records of `feeds` in one trip to a blocking thread, each to be handed to its poll
    /// ([`Pipeline::poll_feed`]), in the order of `feeds`. Only where nothing else can change them before
    /// the polls: on a database no other process polls from, and when the polls do not check their files
    /// anyway. Otherwise, or when the read fails (each poll then reads, and reports, for itself), `None`s.
    pub async fn read_poll_records(&self, feeds: &[FeedConfig]) -> Vec<Option<PollRecord>> {
        let unread = || feeds.iter().map(|_| None).collect();
        if self.store.shares_feeds() || self.checks_files_each_poll() {
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
        let check_files = self.checks_files_each_poll();
        if let Some(record) = read.filter(|record| !check_files && !record.pending_files) {
            return Ok(PollStart::new(record, Vec::new()));
        }
        let (store, settings) = (Arc::clone(&self.store), Arc::clone(&self.settings));
        let name = feed.name.clone();
        let start = tokio::task::spawn_blocking(move || -> Result<PollStart, StoreError> {
            // Files of this feed the admin deleted since the last poll become tombstones before anything is
            // written.
            let reconciled = check_files.then(|| {
                Publisher::new(&store, &settings).and_then(|publisher| publisher.reconcile(Some(&name)))
            });
            let record = store.poll_record(&name, MAX_ITEM_ATTEMPTS)?;
            let pending_files = match record.pending_files {
                true => store.pending_files(&name)?,
                false => Vec::new(),
            };
            Ok(PollStart {
                reconciled,
                ..PollStart::new(record, pending_files)
            })
        });
        Ok(start.await??)
    }
}

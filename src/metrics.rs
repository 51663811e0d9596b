//! The metrics registry: counters and gauges the scheduler and pipeline update as they work, and that
//! [`crate::serve`] reads for `/metrics` and `/healthz`. Atomics only, so updating one never waits; the one lock
//! guards the map from feed name to that feed's counters and is taken for writing only the first time a feed
//! is seen.
//!
//! Data flows one way: the pipeline and scheduler write, the server reads. The same registry feeds the live
//! progress line of `once` and the daemon's systemd status.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

/// Poll results counted per feed, in the order `/metrics` lists them (the words `status` shows).
pub const POLL_RESULTS: [&str; 4] = ["ok", "not-modified", "empty", "failed"];
/// HTTP response classes counted, the last one for requests that got no response (connect, timeout, refused).
pub const RESPONSE_CLASSES: [&str; 5] = ["2xx", "3xx", "4xx", "5xx", "error"];

/// The bounded stages of the pipeline (see `pipeline/flow.rs`), whose occupancy is a gauge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queue {
    /// Feeds between their fetch and their last item.
    Polls,
    /// Items in progress, across polls.
    Items,
    /// HTTP requests in flight.
    Requests,
    /// Pages being extracted (CPU-bound).
    Extractions,
}

impl Queue {
    pub const ALL: [Queue; 4] = [Queue::Polls, Queue::Items, Queue::Requests, Queue::Extractions];

    pub fn as_str(self) -> &'static str {
        match self {
            Queue::Polls => "polls",
            Queue::Items => "items",
            Queue::Requests => "requests",
            Queue::Extractions => "extractions",
        }
    }
}

/// Why an item's article came from the feed's own content instead of its page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fallback {
    /// The page could not be fetched or extracted, or its link was refused.
    PageUnavailable,
    /// The page's text was much thinner than the feed's (a teaser, paywall or consent page).
    ThinPage,
}

impl Fallback {
    pub const ALL: [Fallback; 2] = [Fallback::PageUnavailable, Fallback::ThinPage];

    pub fn as_str(self) -> &'static str {
        match self {
            Fallback::PageUnavailable => "page_unavailable",
            Fallback::ThinPage => "thin_page",
        }
    }
}

/// One feed's counters since the process started (last success and failures seeded from the database).
#[derive(Debug, Default)]
pub struct FeedMetrics {
    polls: [AtomicU64; POLL_RESULTS.len()],
    articles_written: AtomicU64,
    /// Unix seconds of the last poll that did not fail; 0 for none known.
    last_success: AtomicI64,
    consecutive_failures: AtomicU64,
}

impl FeedMetrics {
    /// Counts polls ended with `result` (one of [`POLL_RESULTS`]).
    pub fn polls(&self, result: &str) -> u64 {
        POLL_RESULTS
            .iter()
            .position(|known| *known == result)
            .map_or(0, |index| self.polls[index].load(Ordering::Relaxed))
    }

    pub fn articles_written(&self) -> u64 {
        self.articles_written.load(Ordering::Relaxed)
    }

    pub fn last_success(&self) -> Option<DateTime<Utc>> {
        match self.last_success.load(Ordering::Relaxed) {
            0 => None,
            seconds => DateTime::from_timestamp(seconds, 0),
        }
    }

    pub fn consecutive_failures(&self) -> u64 {
        self.consecutive_failures.load(Ordering::Relaxed)
    }
}

/// How full one bounded stage is.
#[derive(Debug, Default)]
pub struct QueueGauge {
    depth: AtomicU64,
    waiting: AtomicU64,
    capacity: AtomicU64,
}

impl QueueGauge {
    /// Holders of a place now.
    pub fn depth(&self) -> u64 {
        self.depth.load(Ordering::Relaxed)
    }

    /// Work waiting for a place.
    pub fn waiting(&self) -> u64 {
        self.waiting.load(Ordering::Relaxed)
    }

    /// Places in all; 0 for a stage bounded per poll rather than process-wide.
    pub fn capacity(&self) -> u64 {
        self.capacity.load(Ordering::Relaxed)
    }
}

/// Counted while alive: a place held in a queue, or a wait for one.
#[must_use]
pub struct Counted {
    metrics: Arc<Metrics>,
    what: Tally,
}

/// Which gauge a [`Counted`] adds one to.
#[derive(Clone, Copy)]
enum Tally {
    Holding(Queue),
    Waiting(Queue),
    PagesWaiting,
}

impl Tally {
    fn counter(self, metrics: &Metrics) -> &AtomicU64 {
        match self {
            Tally::Holding(queue) => &metrics.queue(queue).depth,
            Tally::Waiting(queue) => &metrics.queue(queue).waiting,
            Tally::PagesWaiting => &metrics.pages_waiting,
        }
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.what.counter(&self.metrics).fetch_sub(1, Ordering::Relaxed);
    }
}

/// Everything `/metrics` reports, shared by the scheduler, the pipeline and the server.
#[derive(Debug)]
pub struct Metrics {
    feeds: RwLock<HashMap<String, Arc<FeedMetrics>>>,
    responses: [AtomicU64; RESPONSE_CLASSES.len()],
    extraction_failures: AtomicU64,
    fallbacks: [AtomicU64; Fallback::ALL.len()],
    item_failures: AtomicU64,
    queues: [QueueGauge; Queue::ALL.len()],
    page_queue_bytes: AtomicU64,
    page_queue_capacity: AtomicU64,
    pages_waiting: AtomicU64,
    started: Instant,
    /// Milliseconds after `started` of the scheduler's last turn.
    last_turn_ms: AtomicU64,
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            feeds: RwLock::default(),
            responses: Default::default(),
            extraction_failures: AtomicU64::default(),
            fallbacks: Default::default(),
            item_failures: AtomicU64::default(),
            queues: Default::default(),
            page_queue_bytes: AtomicU64::default(),
            page_queue_capacity: AtomicU64::default(),
            pages_waiting: AtomicU64::default(),
            started: Instant::now(),
            last_turn_ms: AtomicU64::default(),
        }
    }
}

impl Metrics {
    /// The counters of feed `name`, created on first use.
    pub fn feed(&self, name: &str) -> Arc<FeedMetrics> {
        if let Some(feed) = self
            .feeds
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(name)
        {
            return Arc::clone(feed);
        }
        let mut feeds = self.feeds.write().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(feeds.entry(name.to_string()).or_default())
    }

    /// The counters of feed `name`, if it has any yet (reading never creates them).
    pub fn known_feed(&self, name: &str) -> Option<Arc<FeedMetrics>> {
        self.feeds
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(name)
            .cloned()
    }

    /// Starts feed `name` from what the database remembers, so a restart does not reset its gauges.
    pub fn seed_feed(&self, name: &str, last_success: Option<DateTime<Utc>>, consecutive_failures: u32) {
        let feed = self.feed(name);
        if let Some(at) = last_success {
            feed.last_success.store(at.timestamp(), Ordering::Relaxed);
        }
        feed.consecutive_failures
            .store(u64::from(consecutive_failures), Ordering::Relaxed);
    }

    /// Counts a poll of feed `name` finished at `at` with `result` (one of [`POLL_RESULTS`]).
    pub fn poll_finished(&self, name: &str, result: &str, consecutive_failures: u32, at: DateTime<Utc>) {
        let feed = self.feed(name);
        if let Some(index) = POLL_RESULTS.iter().position(|known| *known == result) {
            feed.polls[index].fetch_add(1, Ordering::Relaxed);
        }
        if result != "failed" {
            feed.last_success.store(at.timestamp(), Ordering::Relaxed);
        }
        feed.consecutive_failures
            .store(u64::from(consecutive_failures), Ordering::Relaxed);
    }

    pub fn article_written(&self, feed: &str) {
        self.feed(feed).articles_written.fetch_add(1, Ordering::Relaxed);
    }

    /// Articles written since start, over every feed.
    pub fn articles_written(&self) -> u64 {
        self.feeds
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .map(|feed| feed.articles_written())
            .sum()
    }

    /// Items that could not be made into an article since start (retried or given up).
    pub fn item_failed(&self) {
        self.item_failures.fetch_add(1, Ordering::Relaxed);
    }

    pub fn item_failures(&self) -> u64 {
        self.item_failures.load(Ordering::Relaxed)
    }

    /// Counts an HTTP response by its status, or a request without one (`None`).
    pub fn response(&self, status: Option<u16>) {
        let class = match status {
            Some(200..=299) => 0,
            Some(300..=399) => 1,
            Some(400..=499) => 2,
            Some(500..=599) => 3,
            _ => 4,
        };
        self.responses[class].fetch_add(1, Ordering::Relaxed);
    }

    /// Responses of class `class` (one of [`RESPONSE_CLASSES`]).
    pub fn responses(&self, class: &str) -> u64 {
        RESPONSE_CLASSES
            .iter()
            .position(|known| *known == class)
            .map_or(0, |index| self.responses[index].load(Ordering::Relaxed))
    }

    /// A page was fetched but no article could be extracted from it.
    pub fn extraction_failed(&self) {
        self.extraction_failures.fetch_add(1, Ordering::Relaxed);
    }

    pub fn extraction_failures(&self) -> u64 {
        self.extraction_failures.load(Ordering::Relaxed)
    }

    pub fn fell_back(&self, why: Fallback) {
        self.fallbacks[why as usize].fetch_add(1, Ordering::Relaxed);
    }

    pub fn fallbacks(&self, why: Fallback) -> u64 {
        self.fallbacks[why as usize].load(Ordering::Relaxed)
    }

    pub fn queue(&self, queue: Queue) -> &QueueGauge {
        &self.queues[queue as usize]
    }

    /// Sets how many places `queue` has.
    pub fn set_capacity(&self, queue: Queue, capacity: usize) {
        self.queue(queue)
            .capacity
            .store(capacity as u64, Ordering::Relaxed);
    }

    /// Counts a place held in `queue` until the returned guard drops.
    pub fn hold(self: &Arc<Self>, queue: Queue) -> Counted {
        self.count(Tally::Holding(queue))
    }

    /// Counts a wait for a place in `queue` until the returned guard drops.
    pub fn wait(self: &Arc<Self>, queue: Queue) -> Counted {
        self.count(Tally::Waiting(queue))
    }

    /// Counts a page download waiting for room in the page queue until the returned guard drops.
    pub fn page_waiting(self: &Arc<Self>) -> Counted {
        self.count(Tally::PagesWaiting)
    }

    fn count(self: &Arc<Self>, what: Tally) -> Counted {
        what.counter(self).fetch_add(1, Ordering::Relaxed);
        Counted {
            metrics: Arc::clone(self),
            what,
        }
    }

    /// Page bytes between download and the end of extraction: `added` now held, `released` given back.
    pub fn page_bytes(&self, added: usize, released: usize) {
        self.page_queue_bytes.fetch_add(added as u64, Ordering::Relaxed);
        self.page_queue_bytes
            .fetch_sub(released as u64, Ordering::Relaxed);
    }

    pub fn set_page_queue_capacity(&self, bytes: usize) {
        self.page_queue_capacity.store(bytes as u64, Ordering::Relaxed);
    }

    /// (bytes held, capacity in bytes, downloads waiting for room).
    pub fn page_queue(&self) -> (u64, u64, u64) {
        (
            self.page_queue_bytes.load(Ordering::Relaxed),
            self.page_queue_capacity.load(Ordering::Relaxed),
            self.pages_waiting.load(Ordering::Relaxed),
        )
    }

    /// The scheduler turned: it is not stuck.
    pub fn scheduler_turned(&self) {
        let elapsed = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_turn_ms.store(elapsed, Ordering::Relaxed);
    }

    /// How long ago the scheduler last turned (or the registry was made, before its first turn).
    pub fn since_scheduler_turned(&self) -> Duration {
        let now = self.started.elapsed();
        now.saturating_sub(Duration::from_millis(self.last_turn_ms.load(Ordering::Relaxed)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guards_count_while_alive_and_polls_move_the_feed_gauges() {
        let metrics = Arc::new(Metrics::default());
        let held = metrics.hold(Queue::Items);
        let also = metrics.hold(Queue::Items);
        let waiting = metrics.wait(Queue::Polls);
        assert_eq!(metrics.queue(Queue::Items).depth(), 2);
        assert_eq!(metrics.queue(Queue::Polls).waiting(), 1);
        drop((held, waiting));
        assert_eq!(metrics.queue(Queue::Items).depth(), 1);
        assert_eq!(metrics.queue(Queue::Polls).waiting(), 0);
        drop(also);

        let at = DateTime::from_timestamp(1_700_000_000, 0).expect("time");
        metrics.seed_feed("f", None, 3);
        metrics.poll_finished("f", "failed", 4, at);
        assert_eq!(
            (
                metrics.feed("f").polls("failed"),
                metrics.feed("f").last_success()
            ),
            (1, None)
        );
        metrics.poll_finished("f", "not-modified", 0, at);
        let feed = metrics.feed("f");
        assert_eq!(feed.polls("not-modified"), 1);
        assert_eq!((feed.consecutive_failures(), feed.last_success()), (0, Some(at)));

        metrics.response(Some(304));
        metrics.response(None);
        assert_eq!((metrics.responses("3xx"), metrics.responses("error")), (1, 1));
    }
}

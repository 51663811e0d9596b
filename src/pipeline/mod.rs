//! The pipeline: the only module that calls the stages in order, for one feed at a time.
//!
//! ```text
//! fetch feed ─▶ feed_parse ─▶ canonical_url ─▶ (known? stop) ─▶ fetch page ─▶ charset ─▶ extract
//!            ─▶ quality gate (page or feed content) ─▶ store (commit) ─▶ output (atomic file)
//! ```
//! A failure anywhere is contained: a feed's failure is reported and scheduled for backoff; an item's
//! failure is recorded so the item is retried on the next poll; nothing stored or written is touched.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use tracing::{error, info, warn};
use url::Url;

mod after_write;
mod caps;
mod compose;
mod site_pages;

mod crash;
mod files;
mod flow;
mod images;
mod lease;
mod page;
mod poll_start;
mod publish;
mod states;
mod updates;

pub use after_write::{Changes, Debouncer};
pub use publish::{Claim, PublishError, Publisher, Rebuilt, Reconciled};

pub use flow::{Slot, Slots};
pub use lease::PollSlot;
pub use page::PageFailure;
pub use site_pages::{ArticlePage, Extraction, MAX_PAGES, PageReader, extract_file};

use compose::{build_record, choose_body, feed_content_article, has_real_text};
use poll_start::PollStart;
use states::StateSaver;

pub use crash::{Crash, contained};

use crate::canonical_url::canonicalize;
use crate::config::{FeedConfig, Settings};
use crate::extract::{Article, ExtractOptions};
use crate::feed_parse::{self, FeedItem};
use crate::fetch::{ALLOW_SETTING, ContentFetcher, FetchError, FetchOutcome, Fetcher, Validators};
use crate::filter::Verdict;
use crate::host_limits::HostLimits;
use crate::metrics::{Counted, Fallback, Metrics, Queue};
use crate::output::{self, OnUpdate};
use crate::record::Origin;
use crate::schedule::{self, PollOutcome, PollTiming, SkipTimes};
use crate::site_rules::{RuleBook, Severity};
use crate::status::without_url;
use crate::store::{FeedState, PollRecord, SavedState, Store, StoreError};

/// An item whose page failed this many polls in a row is given up on (a page that 404s five times is gone),
/// so a dead link does not cost a request on every poll forever.
pub const MAX_ITEM_ATTEMPTS: u32 = 5;
/// Feeds up to this size are parsed on the poll's own thread, saving the wake-ups of a trip to a blocking
/// thread: the parser reads ~25 MB/s on a slow core, so this holds a runtime thread for ~0.3 ms at most.
/// Larger ones (up to the 16 MiB cap) go to a blocking thread.
const PARSE_IN_PLACE_BYTES: usize = 8 * 1024;
/// How often a dead feed (see [`crate::store::FeedState::is_dead`]) is still polled.
pub const DEAD_POLL_INTERVAL: chrono::TimeDelta = chrono::TimeDelta::days(1);

/// How a poll of one feed ended.
#[derive(Debug, Clone, PartialEq)]
pub enum FeedOutcome {
    /// Fetched and parsed; new items processed.
    Updated,
    /// 304, or a body identical to the last one: nothing parsed.
    NotModified,
    /// Fetched and parsed, but it yields nothing: no items, or every item skipped (issue 8: a visible state,
    /// not `ok`). `reason` says which.
    Empty { reason: String },
    /// The feed itself could not be fetched or parsed; `status` is the HTTP status when there was one.
    Failed { error: String, status: Option<u16> },
    /// Not polled: another instance sharing the database has it (see [`PollSlot`]); `reason` says how.
    Skipped { reason: String },
}

impl FeedOutcome {
    /// The word stored as the feed's last result and shown by `status`.
    pub fn as_str(&self) -> &'static str {
        match self {
            FeedOutcome::Updated => "ok",
            FeedOutcome::NotModified => "not-modified",
            FeedOutcome::Empty { .. } => "empty",
            FeedOutcome::Failed { .. } => "failed",
            FeedOutcome::Skipped { .. } => "skipped",
        }
    }
}

/// What one poll of one feed did; the `once` summary and `status` are built from these.
#[derive(Debug, Clone)]
pub struct FeedReport {
    pub feed: String,
    pub url: Url,
    pub outcome: FeedOutcome,
    pub items: usize,
    /// Items the feed had but that could not be read (no link or id, no text).
    pub skipped: usize,
    /// Paths of the Markdown files written (or rewritten).
    pub written: Vec<PathBuf>,
    /// Items skipped because their article is already stored.
    pub known: usize,
    /// Items skipped because they failed [`MAX_ITEM_ATTEMPTS`] polls in a row.
    pub given_up: usize,
    /// Items a keep/block filter rejected.
    pub filtered: usize,
    /// Items that could not be made into an article (retried next poll), with the reason.
    pub item_failures: Vec<(Url, String)>,
    /// Stored articles whose file could not be written (retried every poll), with the reason.
    pub file_failures: Vec<(Url, String)>,
    /// Some item failed for a shortage of this process, not of its own, and is retried by reading the whole
    /// feed again next poll.
    pub deferred_items: bool,
    pub next_poll: DateTime<Utc>,
    pub elapsed: Duration,
}

impl FeedReport {
    /// A report for a poll of `feed` that has not done anything yet.
    fn new(feed: &FeedConfig) -> Self {
        Self {
            feed: feed.name.clone(),
            url: feed.url.clone(),
            outcome: FeedOutcome::Updated,
            items: 0,
            skipped: 0,
            written: Vec::new(),
            known: 0,
            given_up: 0,
            filtered: 0,
            item_failures: Vec::new(),
            file_failures: Vec::new(),
            deferred_items: false,
            next_poll: Utc::now(),
            elapsed: Duration::ZERO,
        }
    }
}

/// Reads the rule folders, logging each problem once (warnings at debug: community folders carry hundreds
/// of directives tidings does not act on).
fn load_site_rules(folders: &[PathBuf]) -> Arc<RuleBook> {
    let (book, problems) = RuleBook::load(folders);
    for problem in &problems {
        match problem.severity {
            Severity::Error => warn!(error = %problem, "site rule skipped"),
            Severity::Warning => tracing::debug!(error = %problem, "site rule ignored"),
        }
    }
    if !folders.is_empty() {
        info!(files = book.len(), problems = problems.len(), "site rules loaded");
    }
    Arc::new(book)
}

/// Why a poll could not even be recorded.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("background task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    #[error(transparent)]
    Publish(#[from] PublishError),
    #[error("the feed's state was not saved: the task saving it failed")]
    StateNotSaved,
}

/// Shared machinery for polling feeds: HTTP client with host limits, store, global concurrency bound.
#[derive(Clone)]
pub struct Pipeline {
    fetcher: Fetcher,
    store: Arc<dyn Store>,
    in_flight: Slots,
    /// Feeds being polled at once ([`flow::MAX_POLLS`]).
    polls: Slots,
    settings: Arc<Settings>,
    /// What `/metrics`, the progress line and the systemd status report; the pipeline only adds to it.
    metrics: Arc<Metrics>,
    /// Article pages, read under the site rules of `settings.site_rules`.
    pages: PageReader,
    /// Each feed's `<skipHours>`/`<skipDays>` as last read from its body, for the polls that do not read the
    /// body (304, unchanged): kept across config reloads, read again after a restart's first full fetch.
    skip_times: Arc<Mutex<HashMap<String, SkipTimes>>>,
    /// Feed states queued to be saved together.
    states: StateSaver,
}

impl Pipeline {
    pub fn new(settings: Settings, store: Arc<dyn Store>, metrics: Arc<Metrics>) -> Result<Self, FetchError> {
        let hosts = HostLimits::new(settings.per_host_concurrency, settings.per_host_interval);
        let fetcher =
            Fetcher::new(&settings.user_agent, settings.timeout, hosts)?.counting_responses(&metrics);
        let in_flight = Slots::new(settings.concurrency, Queue::Requests, &metrics);
        // Extraction is CPU-bound and a huge page briefly needs ~20× its size in memory: one per core at most.
        let extracting = Slots::new(
            std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get),
            Queue::Extractions,
            &metrics,
        );
        let pages = PageReader::new(
            in_flight.clone(),
            extracting,
            load_site_rules(&settings.site_rules),
            &metrics,
        );
        metrics.set_capacity(Queue::Items, flow::ITEMS_PER_POLL * flow::MAX_POLLS);
        Ok(Self {
            fetcher,
            store,
            in_flight,
            polls: Slots::new(flow::MAX_POLLS, Queue::Polls, &metrics),
            settings: Arc::new(settings),
            metrics,
            pages,
            skip_times: Arc::default(),
            states: StateSaver::default(),
        })
    }

    /// The pipeline for later polls after a config reload. When only output or schedule settings changed,
    /// the HTTP client and per-host state (politeness spacing, 429 cool-downs) carry over; when the network
    /// settings changed, they are rebuilt so the new limits apply. Polls already running finish on the old one.
    pub fn with_settings(&self, settings: Settings) -> Result<Self, FetchError> {
        let old = &self.settings;
        let network_unchanged = old.concurrency == settings.concurrency
            && old.per_host_concurrency == settings.per_host_concurrency
            && old.per_host_interval == settings.per_host_interval
            && old.user_agent == settings.user_agent
            && old.timeout == settings.timeout;
        if network_unchanged {
            // Rule files are re-read on every reload: editing them is what a reload is for.
            let pages = self.pages.with_rules(load_site_rules(&settings.site_rules));
            Ok(Self {
                settings: Arc::new(settings),
                pages,
                ..self.clone()
            })
        } else {
            Ok(Self {
                skip_times: Arc::clone(&self.skip_times),
                states: self.states.clone(),
                ..Self::new(settings, Arc::clone(&self.store), Arc::clone(&self.metrics))?
            })
        }
    }

    /// Remembers what the feed's body said about hours and days to skip.
    fn remember_skip_times(&self, feed: &FeedConfig, skip: SkipTimes) {
        let mut known = self.skip_times.lock().unwrap_or_else(PoisonError::into_inner);
        if skip.is_empty() {
            known.remove(&feed.name);
        } else {
            known.insert(feed.name.clone(), skip);
        }
    }

    /// Runs synchronous store work off the async threads.
    async fn on_store<T: Send + 'static>(
        &self,
        work: impl FnOnce(&dyn Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, PipelineError> {
        let store = Arc::clone(&self.store);
        Ok(tokio::task::spawn_blocking(move || work(store.as_ref())).await??)
    }

    /// Runs output work for this renderer (one `output_dir`) off the async threads.
    async fn on_publisher<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Publisher) -> Result<T, PublishError> + Send + 'static,
    ) -> Result<T, PipelineError> {
        let (store, settings) = (Arc::clone(&self.store), Arc::clone(&self.settings));
        let published =
            tokio::task::spawn_blocking(move || work(&Publisher::new(&store, &settings)?)).await?;
        Ok(published?)
    }

    /// Waits for a place among the feeds polled at once (see [`flow`]); take it before spawning the poll.
    pub async fn poll_place(&self) -> Slot {
        self.polls.enter().await
    }

    /// A place among the feeds polled at once, if one is free now.
    pub fn try_poll_place(&self) -> Option<Slot> {
        self.polls.try_enter()
    }

    /// Counts a feed that is due but has no poll place yet, until the guard drops.
    pub fn poll_waiting(&self) -> Counted {
        self.polls.waiting()
    }

    /// Polls `feed` once under its lease (see [`lease`]): fetch, parse, process new items, save the feed's
    /// state and next due time. A panic anywhere in the poll is contained: logged with the feed and URL and
    /// recorded as a failed poll, so the feed is retried with backoff like any other failure.
    ///
    /// `place` is the poll's place among those polled at once ([`Pipeline::poll_place`]), held to the end;
    /// `read` is the feed's record when [`Pipeline::read_poll_records`] read it ahead.
    pub async fn poll_feed(
        &self,
        feed: &FeedConfig,
        slot: PollSlot,
        place: Slot,
        read: Option<PollRecord>,
    ) -> Result<FeedReport, PipelineError> {
        let _place = place;
        // Leases only matter where several instances share the database; elsewhere they are skipped, and
        // with them three trips to a blocking thread per poll.
        let leased = self.store.shares_feeds();
        if leased && let Some(skipped) = self.take_lease(feed, slot).await? {
            return Ok(skipped);
        }
        let renewing = leased.then(|| self.keep_lease(feed));
        let polled = self.poll_leased(feed, read).await;
        drop(renewing);
        if leased {
            self.release_lease(feed).await;
        }
        polled
    }

    async fn poll_leased(
        &self,
        feed: &FeedConfig,
        read: Option<PollRecord>,
    ) -> Result<FeedReport, PipelineError> {
        let started = Instant::now();
        match contained(self.poll_feed_uncontained(feed, read, started)).await {
            Ok(result) => result,
            Err(crash) => {
                error!(feed = %feed.name, url = %feed.url, error = %crash, "poll crashed; recorded as a failed poll");
                let name = feed.name.clone();
                let state = self.on_store(move |store| store.feed_state(&name)).await?;
                let mut report = FeedReport::new(feed);
                report.outcome = FeedOutcome::Failed {
                    error: crash.to_string(),
                    status: None,
                };
                let timing = PollOutcome::Failed {
                    consecutive_failures: state.consecutive_failures + 1,
                    retry_after: None,
                };
                self.finish_poll(feed, state, report, timing, started).await
            }
        }
    }

    async fn poll_feed_uncontained(
        &self,
        feed: &FeedConfig,
        read: Option<PollRecord>,
        started: Instant,
    ) -> Result<FeedReport, PipelineError> {
        let mut report = FeedReport::new(feed);
        let PollStart {
            mut state,
            pending_files,
            retrying,
        } = self.start_poll(feed, read).await?;
        self.retry_pending_files(feed, pending_files, &mut report).await?;
        if retrying {
            state.body_hash = None;
        }
        let validators = (!retrying).then(|| Validators {
            etag: state.etag.clone(),
            last_modified: state.last_modified.clone(),
        });
        let fetched = match self.fetcher.turn(&feed.url).await {
            Ok(turn) => {
                let _slot = self.in_flight.enter().await;
                self.fetcher
                    .get_in_turn(turn, &feed.url, validators.as_ref())
                    .await
            }
            Err(error) => Err(error),
        };
        let timing = match fetched {
            Ok(FetchOutcome::NotModified { fresh_for }) => {
                report.outcome = FeedOutcome::NotModified;
                PollOutcome::Succeeded { fresh_for }
            }
            Ok(FetchOutcome::Fetched(response)) => {
                let body_hash = format!("{:x}", Sha256::digest(&response.body));
                state.etag = response.validators.etag.clone();
                state.last_modified = response.validators.last_modified.clone();
                if state.body_hash.as_deref() == Some(body_hash.as_str()) {
                    report.outcome = FeedOutcome::NotModified;
                    PollOutcome::Succeeded {
                        fresh_for: response.fresh_for,
                    }
                } else {
                    let url = response.final_url.clone();
                    let content_type = response.content_type.clone();
                    let small = response.body.len() <= PARSE_IN_PLACE_BYTES;
                    let parse = move || feed_parse::parse(&response.body, content_type.as_deref(), &url);
                    let parsed = if small {
                        parse()
                    } else {
                        tokio::task::spawn_blocking(parse).await?
                    };
                    match parsed {
                        Ok(parsed) => {
                            if parsed.skipped_items > 0 {
                                warn!(feed = %feed.name, url = %feed.url, skipped = parsed.skipped_items, error = parsed.skip_reason.unwrap_or_default(), "feed items that cannot be read were skipped");
                            }
                            if parsed.repaired {
                                warn!(feed = %feed.name, url = %feed.url, "feed is not well-formed XML; read it after recovery");
                            }
                            if let Some(reason) = parsed.empty_reason() {
                                warn!(feed = %feed.name, url = %feed.url, error = %reason, "feed yields no items");
                                report.outcome = FeedOutcome::Empty { reason };
                            }
                            report.skipped = parsed.skipped_items;
                            self.remember_skip_times(feed, parsed.skip);
                            state.body_hash = Some(body_hash);
                            state.skipped_items = u32::try_from(parsed.skipped_items).unwrap_or(u32::MAX);
                            report.items = parsed.items.len();
                            self.forget_dropped_items(feed, &parsed.items).await?;
                            let (items, deferred) = self.newest_new_items(feed, parsed.items).await?;
                            self.process_items(feed, items, &mut report).await?;
                            if deferred > 0 || report.deferred_items {
                                // The deferred items are only seen again in the body: fetch it in full next time.
                                state.etag = None;
                                state.last_modified = None;
                                state.body_hash = None;
                            }
                            let fresh_for = match (response.fresh_for, parsed.ttl) {
                                (Some(a), Some(b)) => Some(a.max(b)),
                                (a, b) => a.or(b),
                            };
                            PollOutcome::Succeeded { fresh_for }
                        }
                        Err(error) => {
                            report.outcome = FeedOutcome::Failed {
                                error: without_url(&feed.url, &error.to_string()),
                                status: None,
                            };
                            PollOutcome::Failed {
                                consecutive_failures: state.consecutive_failures + 1,
                                retry_after: None,
                            }
                        }
                    }
                }
            }
            Err(error) => {
                report.outcome = FeedOutcome::Failed {
                    error: without_url(&feed.url, &error.to_string()),
                    status: error.status(),
                };
                PollOutcome::Failed {
                    consecutive_failures: state.consecutive_failures + 1,
                    retry_after: error.retry_after(),
                }
            }
        };
        self.finish_poll(feed, state, report, timing, started).await
    }

    /// Schedules the next poll from `timing`, saves the feed's state and logs the poll's one summary line.
    async fn finish_poll(
        &self,
        feed: &FeedConfig,
        mut state: FeedState,
        mut report: FeedReport,
        timing: PollOutcome,
        started: Instant,
    ) -> Result<FeedReport, PipelineError> {
        let finished_at = Utc::now();
        report.next_poll = schedule::next_poll(&PollTiming {
            schedule: feed.effective_schedule(&self.settings),
            finished_at,
            outcome: timing,
            feed_jitter: schedule::feed_jitter(&feed.name, self.settings.jitter),
            backoff_jitter: rand::random::<f64>(),
            skip: self
                .skip_times
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get(&feed.name)
                .copied()
                .unwrap_or_default(),
        });
        state.last_poll_at = Some(finished_at);
        state.articles_written = u32::try_from(report.written.len()).unwrap_or(u32::MAX);
        match &report.outcome {
            FeedOutcome::Failed { error, status } => {
                state.consecutive_failures += 1;
                state.failing_since.get_or_insert(finished_at);
                state.last_result = Some(report.outcome.as_str().into());
                state.last_error = Some(error.clone());
                if state.is_dead(finished_at, self.settings.dead_after) {
                    // A dead feed is never dropped, only asked less often: one poll (and so one warning) a day.
                    report.next_poll = report.next_poll.max(finished_at + DEAD_POLL_INTERVAL);
                    warn!(
                        feed = %feed.name,
                        url = %feed.url,
                        status = status.map(u32::from),
                        error = %error,
                        failing_since = ?state.failing_since,
                        next_poll = %report.next_poll,
                        "feed is dead: failing without a break for longer than dead_after; polled once a day"
                    );
                } else {
                    warn!(
                        feed = %feed.name,
                        url = %feed.url,
                        status = status.map(u32::from),
                        error = %error,
                        consecutive_failures = state.consecutive_failures,
                        next_poll = %report.next_poll,
                        "feed failed"
                    );
                }
            }
            outcome => {
                state.consecutive_failures = 0;
                state.failing_since = None;
                // An empty feed keeps its reason where `status` shows errors.
                state.last_error = match outcome {
                    FeedOutcome::Empty { reason } => Some(reason.clone()),
                    _ => None,
                };
                state.last_result = Some(outcome.as_str().into());
            }
        }
        state.next_poll_at = Some(report.next_poll);
        self.metrics.poll_finished(
            &feed.name,
            report.outcome.as_str(),
            state.consecutive_failures,
            finished_at,
        );
        let saved = SavedState {
            name: feed.name.clone(),
            url: feed.url.clone(),
            state,
        };
        self.states.save(&self.store, saved).await?;
        report.elapsed = started.elapsed();
        info!(
            feed = %feed.name,
            url = %feed.url,
            result = report.outcome.as_str(),
            items = report.items,
            written = report.written.len(),
            failed_items = report.item_failures.len(),
            elapsed_ms = u64::try_from(report.elapsed.as_millis()).unwrap_or(u64::MAX),
            "feed polled"
        );
        Ok(report)
    }

    async fn process_items(
        &self,
        feed: &FeedConfig,
        items: Vec<FeedItem>,
        report: &mut FeedReport,
    ) -> Result<(), PipelineError> {
        let options = Arc::new(ExtractOptions {
            content_selector: feed.content_selector.clone(),
            remove_selectors: feed.remove_selectors.clone(),
            ..ExtractOptions::default()
        });
        let content = match feed.fetch_article {
            true => Some(Arc::new(
                self.fetcher
                    .for_content_of(&feed.url, feed.private_addresses_allowed(&self.settings))
                    .await?,
            )),
            false => None,
        };
        let feed = Arc::new(feed.clone());
        // Items whose links are one article (the same guid twice, tracking parameters): the first in the
        // feed's order wins, so the result never depends on which task finishes first (issue 8).
        let mut seen = HashSet::new();
        let (items, duplicates): (Vec<FeedItem>, Vec<FeedItem>) = items
            .into_iter()
            .partition(|item| seen.insert(canonicalize(&item.link)));
        if let Some(first) = duplicates.first() {
            warn!(feed = %feed.name, url = %first.link, duplicates = duplicates.len(), "items repeating an earlier item's article were dropped; the first in the feed wins");
        }
        // What the store knows of every item, in one trip: a changed feed is mostly items stored already, and
        // a trip per item cost more than the rest of their handling.
        let urls: Vec<Url> = items.iter().map(|item| canonicalize(&item.link)).collect();
        let looked_up = self
            .on_store(move |store| {
                urls.iter()
                    .map(|url| {
                        let known = store.is_known(url)?;
                        let attempts = if known { 0 } else { store.item_attempts(url)? };
                        Ok(Lookup { known, attempts })
                    })
                    .collect::<Result<Vec<_>, StoreError>>()
            })
            .await?;
        let watches_updates = self.settings.on_update == OnUpdate::Rewrite;
        // A stored article whose item cannot have been updated needs nothing more.
        let (settled, to_process): (Vec<_>, Vec<_>) = items
            .into_iter()
            .zip(looked_up)
            .partition(|(item, lookup)| lookup.known && !(watches_updates && item.updated.is_some()));
        report.known += settled.len();
        let mut items = to_process.into_iter();
        // A bounded queue: at most ITEMS_PER_POLL items in progress, the next one started as one finishes.
        let mut tasks = tokio::task::JoinSet::new();
        loop {
            while tasks.len() < flow::ITEMS_PER_POLL {
                let Some((item, lookup)) = items.next() else { break };
                let pipeline = self.clone();
                let (feed, options, content) = (Arc::clone(&feed), Arc::clone(&options), content.clone());
                let in_progress = self.metrics.hold(Queue::Items);
                tasks.spawn(async move {
                    let _in_progress = in_progress;
                    let link = item.link.clone();
                    let processed = pipeline.process_item(&feed, item, lookup, &options, content.as_deref());
                    let result = contained(processed)
                        .await
                        .unwrap_or_else(|crash| Err(ItemError::Unusable(crash.to_string())));
                    (link, result)
                });
            }
            let Some(joined) = tasks.join_next().await else {
                break;
            };
            let (link, result) = joined?;
            match result {
                Ok(ItemResult::Written(path)) => report.written.push(path),
                Ok(ItemResult::Known) => report.known += 1,
                Ok(ItemResult::GivenUp) => report.given_up += 1,
                Ok(ItemResult::Filtered) => report.filtered += 1,
                Ok(ItemResult::FileFailed(error)) => report.file_failures.push((link, error)),
                Err(ItemError::Store(error)) => return Err(error.into()),
                Err(ItemError::Refused(reason)) => {
                    self.metrics.item_failed();
                    let (name, canonical, error) = (feed.name.clone(), canonicalize(&link), reason.clone());
                    self.on_store(move |store| {
                        store.give_up_item(&name, &canonical, &error, MAX_ITEM_ATTEMPTS)
                    })
                    .await?;
                    report.item_failures.push((link, reason));
                }
                Err(ItemError::Deferred(reason)) => {
                    self.metrics.item_failed();
                    warn!(feed = %feed.name, url = %link, error = %without_url(&link, &reason), "item not written; will retry next poll (not counted as an attempt)");
                    report.deferred_items = true;
                    report.item_failures.push((link, reason));
                }
                Err(ItemError::Unusable(reason)) => {
                    self.metrics.item_failed();
                    warn!(feed = %feed.name, url = %link, error = %without_url(&link, &reason), "item not written; will retry next poll");
                    let (name, canonical, error) = (feed.name.clone(), canonicalize(&link), reason.clone());
                    self.on_store(move |store| store.record_item_failure(&name, &canonical, &error))
                        .await?;
                    report.item_failures.push((link, reason));
                }
            }
        }
        report.written.sort();
        Ok(())
    }

    async fn process_item(
        &self,
        feed: &FeedConfig,
        item: FeedItem,
        Lookup { known, attempts }: Lookup,
        options: &Arc<ExtractOptions>,
        content: Option<&ContentFetcher>,
    ) -> Result<ItemResult, ItemError> {
        let item_url = canonicalize(&item.link);
        if known {
            return Ok(
                match self
                    .check_update(feed, &item, &item_url, options, content)
                    .await?
                {
                    updates::Update::Unchanged => ItemResult::Known,
                    updates::Update::Rewritten(path) => ItemResult::Written(path),
                    updates::Update::FileFailed(error) => ItemResult::FileFailed(error),
                },
            );
        }
        if attempts >= MAX_ITEM_ATTEMPTS {
            return Ok(ItemResult::GivenUp);
        }
        // Filters: a rejected item is recorded and never fetched again; the feed's own text decides before
        // the page fetch when it can (issue 12).
        let feed_texts = if feed.filter.is_empty() {
            Vec::new()
        } else {
            filter_texts(&item)
        };
        let feed_texts: Vec<&str> = feed_texts.iter().map(String::as_str).collect();
        let mut verdict = Verdict::Keep;
        if !feed.filter.is_empty() {
            let url = item_url.clone();
            if self.on_store(move |store| store.is_filtered(&url)).await? {
                return Ok(ItemResult::Filtered);
            }
            verdict = feed.filter.judge(&feed_texts, None);
            if let Verdict::Reject(reason) = verdict {
                return self.reject(feed, &item_url, reason).await;
            }
        }
        let (article, origin, page_url) = self.read_item(feed, &item, &item_url, options, content).await?;
        if page_url != item_url && self.is_known(&page_url).await? {
            self.remember_alias(&page_url, &item_url).await?;
            return Ok(ItemResult::Known);
        }
        let Some(record) = build_record(feed, &item, article, origin, page_url) else {
            if origin == Origin::Page {
                // The page was fetched and extracted, but held no text: an extraction that failed.
                self.metrics.extraction_failed();
            }
            return Err(ItemError::Unusable("no article text could be extracted".into()));
        };
        if verdict == Verdict::NeedBody
            && let Verdict::Reject(reason) = feed.filter.judge(&feed_texts, Some(&record.body))
        {
            return self.reject(feed, &item_url, reason).await;
        }

        let pattern = self.settings.filename.clone();
        let aliases = vec![item_url];
        let stored = self
            .on_store(move |store| {
                store.insert_article(&record, &aliases, &|attempt| {
                    output::file_name(&pattern, &record, attempt)
                })
            })
            .await?;
        let Some(stored) = stored else {
            return Ok(ItemResult::Known);
        };
        match self.write_file(feed, &stored).await {
            Ok(Some(path)) => {
                self.metrics.article_written(&feed.name);
                info!(feed = %feed.name, url = %stored.record.canonical_url, path = %path.display(), origin = stored.record.origin.as_str(), "article written");
                Ok(ItemResult::Written(path))
            }
            // Older than `max_age_days`: stored as a tombstone, never written.
            Ok(None) => Ok(ItemResult::Known),
            Err(error) => {
                self.file_not_written(&stored, &error).await?;
                Ok(ItemResult::FileFailed(error))
            }
        }
    }

    /// The article of `item` (known as `item_url`): its page's extraction or the feed's own content, as the
    /// quality gate decides, with the canonical URL of the page it was read from.
    async fn read_item(
        &self,
        feed: &FeedConfig,
        item: &FeedItem,
        item_url: &Url,
        options: &Arc<ExtractOptions>,
        content: Option<&ContentFetcher>,
    ) -> Result<(Article, Origin, Url), ItemError> {
        let feed_article = feed_content_article(item);
        // An item identified only by an opaque id has no page to fetch: its own text is the article.
        let read = if let Some(content) = content.filter(|_| item.has_web_link()) {
            match self
                .fetch_page(content, &feed.name, item_url, &item.link, options)
                .await
            {
                Ok((page, final_url)) => {
                    let (article, origin) = choose_body(feed, item, page, feed_article);
                    if origin == Origin::Feed {
                        self.metrics.fell_back(Fallback::ThinPage);
                    }
                    (article, origin, canonicalize(&final_url))
                }
                Err(PageFailure::Refused(error)) => {
                    // Logged once: the item is then stored from the feed's content or given up, never retried.
                    warn!(feed = %feed.name, url = %item.link, error = %without_url(&item.link, &error), allow_with = ALLOW_SETTING, "item link refused: internal address; not retried");
                    match feed_article {
                        Some(article) if has_real_text(&article) => {
                            self.metrics.fell_back(Fallback::PageUnavailable);
                            (article, Origin::Feed, item_url.clone())
                        }
                        _ => return Err(ItemError::Refused(error)),
                    }
                }
                Err(PageFailure::Exhausted(error)) => return Err(ItemError::Deferred(error)),
                Err(PageFailure::Unavailable(error)) => match feed_article {
                    Some(article) if has_real_text(&article) => {
                        info!(feed = %feed.name, url = %item.link, error = %without_url(&item.link, &error), "page unavailable; using the feed's own content");
                        self.metrics.fell_back(Fallback::PageUnavailable);
                        (article, Origin::Feed, item_url.clone())
                    }
                    _ => return Err(ItemError::Unusable(error)),
                },
            }
        } else {
            match feed_article.filter(|article| !article.text.trim().is_empty()) {
                Some(article) => (article, Origin::Feed, item_url.clone()),
                None => return Err(ItemError::Unusable("the feed item has no content".into())),
            }
        };
        Ok(read)
    }

    /// Records that a filter rejected the item at `item_url`, so later polls skip it without a request.
    async fn reject(
        &self,
        feed: &FeedConfig,
        item_url: &Url,
        reason: String,
    ) -> Result<ItemResult, ItemError> {
        info!(feed = %feed.name, url = %item_url, reason = %reason, "item filtered out");
        let (name, url) = (feed.name.clone(), item_url.clone());
        self.on_store(move |store| store.record_filtered(&name, &url, &reason))
            .await?;
        Ok(ItemResult::Filtered)
    }

    async fn is_known(&self, url: &Url) -> Result<bool, ItemError> {
        let url = url.clone();
        Ok(self.on_store(move |store| store.is_known(&url)).await?)
    }

    /// The item link redirected to an article we already have: remember the link so it is skipped before
    /// any fetch next time.
    async fn remember_alias(&self, page_url: &Url, item_url: &Url) -> Result<(), ItemError> {
        let (known, alias) = (page_url.clone(), item_url.clone());
        self.on_store(move |store| store.add_alias(&known, &alias))
            .await?;
        Ok(())
    }

    /// Marks every extraction a dead process left unfinished as failed for good (so a page that crashed the
    /// process is not run again on every start), logging each with its feed and URL. Run once at start-up.
    pub async fn fail_interrupted_extractions(&self) -> Result<(), PipelineError> {
        let interrupted = self
            .on_store(|store| store.fail_interrupted_extractions(MAX_ITEM_ATTEMPTS))
            .await?;
        for (feed, url) in interrupted {
            error!(feed = %feed, url = %url, "the last run stopped while extracting this page; marked failed, not retried");
        }
        Ok(())
    }

    /// At start-up: writes the files of articles committed but never written (killed between commit and
    /// rename), tombstones files the admin deleted and applies retention (for the feed `only`, when the run
    /// polls only that one, else for all), and removes temporary files a killed process left.
    pub async fn reconcile_files(&self, only: Option<&str>) -> Result<Reconciled, PipelineError> {
        let only = only.map(str::to_owned);
        self.checked_files(move |publisher| publisher.reconcile(only.as_deref()))
            .await
    }

    /// While the daemon runs: tombstones files the admin deleted and applies retention. Polls do not depend
    /// on it (a write never recreates a file the admin deleted; see [`Publisher::claim`]): it keeps what
    /// `articles`, the manifest and retention see up to date.
    pub async fn check_files(&self) -> Result<Reconciled, PipelineError> {
        self.checked_files(|publisher| publisher.check_files(None)).await
    }

    async fn checked_files(
        &self,
        check: impl FnOnce(&Publisher) -> Result<Reconciled, PublishError> + Send + 'static,
    ) -> Result<Reconciled, PipelineError> {
        if !self.settings.render {
            return Ok(Reconciled::default());
        }
        let done = self.on_publisher(check).await?;
        if !done.written.is_empty() || done.tombstoned > 0 || !done.expired.is_empty() {
            info!(
                written = done.written.len(),
                tombstoned = done.tombstoned,
                expired = done.expired.len(),
                "article files reconciled with the database"
            );
        }
        Ok(done)
    }
}

impl Pipeline {
    /// Writes the articles this instance's output folder still lacks, whoever stored them (on a database
    /// shared by several instances, the others' too); nothing when `render = false`. Returns the paths written.
    pub async fn write_unwritten(&self) -> Result<Vec<PathBuf>, PipelineError> {
        if !self.settings.render {
            return Ok(Vec::new());
        }
        let written = self.on_publisher(|publisher| publisher.write_unwritten()).await?;
        for (feed, _) in &written {
            self.metrics.article_written(feed);
        }
        if !written.is_empty() {
            info!(
                written = written.len(),
                "article files written for articles stored elsewhere"
            );
        }
        Ok(written.into_iter().map(|(_, path)| path).collect())
    }
}

/// What the store knew of an item when its feed's items were looked up.
#[derive(Debug, Clone, Copy)]
struct Lookup {
    /// Its article is stored (by its canonical URL or as an alias).
    known: bool,
    /// Failed attempts recorded so far (0 when `known`: they no longer matter).
    attempts: u32,
}

enum ItemResult {
    Written(PathBuf),
    Known,
    /// Failed [`MAX_ITEM_ATTEMPTS`] times already; skipped without a request.
    GivenUp,
    /// Rejected by a keep/block filter (now or on an earlier poll).
    Filtered,
    /// Stored, but its file could not be written (recorded as pending, retried every poll).
    FileFailed(String),
}

/// What filters match before the page is fetched: the item's title, summary text and tags.
fn filter_texts(item: &FeedItem) -> Vec<String> {
    item.title
        .iter()
        .cloned()
        .chain(item.summary_html.as_deref().map(|html| {
            scraper::Html::parse_fragment(html)
                .root_element()
                .text()
                .collect::<String>()
        }))
        .chain(item.categories.iter().cloned())
        .collect()
}

enum ItemError {
    Store(StoreError),
    /// The link leads to an internal address: given up at once (not retried every poll).
    Refused(String),
    Unusable(String),
    /// This process ran short (out of file descriptors): not the item's fault, so no attempt is counted
    /// (five would give it up for good); the next poll reads the whole feed again and retries it.
    Deferred(String),
}

impl From<StoreError> for ItemError {
    fn from(error: StoreError) -> Self {
        ItemError::Store(error)
    }
}

impl From<PipelineError> for ItemError {
    fn from(error: PipelineError) -> Self {
        match error {
            PipelineError::Store(error) => ItemError::Store(error),
            PipelineError::Fetch(error) => ItemError::Unusable(error.to_string()),
            PipelineError::Task(error) => ItemError::Unusable(error.to_string()),
            PipelineError::Publish(error) => ItemError::Unusable(error.to_string()),
            PipelineError::StateNotSaved => ItemError::Unusable(error.to_string()),
        }
    }
}

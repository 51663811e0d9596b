//! Storage: the database is the truth. Feed state (validators, poll results, backoff), articles unique by
//! canonical URL, and the item failures to retry.
//!
//! [`Store`] is the one interface the rest of tidings uses; each backend implements it in its own module
//! ([`sqlite`]: the embedded default, one file; [`postgres`]: one server shared by several instances). Every
//! operation is synchronous and short: callers on the async runtime run them on blocking threads. Each
//! backend applies its own numbered `migrations/<backend>/*.sql` in order when opened, each once and each in
//! its own transaction.

mod database;
pub mod lock;
pub mod postgres;
pub mod sqlite;
mod written;

pub use database::Database;
pub use written::{FileState, WrittenFile, WrittenFiles};

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, Utc};
use url::Url;

use crate::record::{ArticleRecord, StoredArticle};

/// A database failure, naming the database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: {source}")]
    Sqlite { path: PathBuf, source: rusqlite::Error },
    #[error("{path}: in use by {holder}; only one `once` or `run` may write a database at a time")]
    InUse { path: PathBuf, holder: String },
    #[error("{path}: cannot take the writer lock: {source}")]
    Lock { path: PathBuf, source: std::io::Error },
    #[error("{path}: cannot create its folder: {source}")]
    Folder { path: PathBuf, source: std::io::Error },
    #[error("{path}: migration {migration} failed: {source}")]
    Migration {
        path: PathBuf,
        migration: &'static str,
        source: rusqlite::Error,
    },
    #[error("{path}: the database is from a newer tidings (schema {found}, this build knows {known})")]
    TooNew { path: PathBuf, found: i64, known: usize },
    /// The client error shows its cause itself (not as a source, which would print it twice).
    #[error("{database}: {error}")]
    Postgres {
        database: String,
        error: postgres::PostgresError,
    },
    #[error("{database}: migration {migration} failed: {error}")]
    PostgresMigration {
        database: String,
        migration: &'static str,
        error: postgres::PostgresError,
    },
    #[error("{path}: no database yet; `tidings once` or `tidings run` creates it")]
    Missing { path: PathBuf },
    #[error(
        "{path}: the database predates this tidings (schema {found} of {known}); `tidings once` or `tidings run` upgrades it"
    )]
    Outdated { path: PathBuf, found: i64, known: usize },
    #[error(
        "{path}: the database file was removed or replaced while in use; restart to use the file there now"
    )]
    Gone { path: PathBuf },
}

/// What the last poll of a feed left behind.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FeedState {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub body_hash: Option<String>,
    pub last_poll_at: Option<DateTime<Utc>>,
    pub last_result: Option<String>,
    pub last_error: Option<String>,
    pub consecutive_failures: u32,
    pub next_poll_at: Option<DateTime<Utc>>,
    /// Articles written by the last poll.
    pub articles_written: u32,
    /// Items the last poll skipped because they had no usable link.
    pub skipped_items: u32,
    /// When the current run of consecutive failures began; `None` while the feed is healthy.
    pub failing_since: Option<DateTime<Utc>>,
}

impl FeedState {
    /// Dead: failing without a break for at least `dead_after` (`[settings] dead_after`, issue 12).
    pub fn is_dead(&self, now: DateTime<Utc>, dead_after: Duration) -> bool {
        let dead_after = chrono::TimeDelta::from_std(dead_after).unwrap_or(chrono::TimeDelta::MAX);
        self.consecutive_failures > 0
            && self
                .failing_since
                .is_some_and(|since| now.signed_duration_since(since) >= dead_after)
    }
}

/// One feed as `tidings status` sees it: its stored state plus counts over its articles and items.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedStatus {
    pub name: String,
    pub state: FeedState,
    /// The last poll that did not fail; `None` if none has yet.
    pub last_success_at: Option<DateTime<Utc>>,
    /// Articles stored from this feed, ever.
    pub articles_total: u32,
    /// Articles stored from this feed since the `since` passed to [`Store::feed_statuses`].
    pub articles_recent: u32,
    /// Items rejected by a keep/block filter, ever.
    pub filtered_items: u32,
    /// Failed items that later polls will still retry.
    pub pending_failures: u32,
    /// The instance polling this feed right now (an unexpired lease); always `None` on SQLite.
    pub leased_by: Option<String>,
}

/// The answer to [`Store::lease_feed`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lease {
    /// This instance holds the feed's lease: poll it, then [`Store::release_feed`].
    Granted,
    /// Another instance polls the feed under a lease that runs until `until`.
    Held { by: String, until: DateTime<Utc> },
    /// Another instance polled the feed already: it is next due at `next_poll_at`.
    NotDue { next_poll_at: DateTime<Utc> },
}

/// What `tidings articles` selects; every part is optional.
#[derive(Debug, Clone, Default)]
pub struct ArticleQuery {
    pub feed: Option<String>,
    /// Only articles stored at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Words matched against titles and bodies by the full-text index.
    pub search: Option<String>,
    pub limit: Option<u32>,
}

/// One line of `tidings articles`: newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct ArticleSummary {
    pub id: i64,
    pub feed: String,
    pub title: String,
    pub url: Url,
    pub published: Option<DateTime<FixedOffset>>,
    /// When tidings stored it.
    pub stored_at: DateTime<Utc>,
    /// The file name first chosen for it inside `output_dir` (the written-files record has where it is now).
    pub file_name: String,
}
/// What a poll reads about its feed before its request ([`Store::poll_record`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PollRecord {
    /// The feed's stored state; defaults for a feed never polled.
    pub state: FeedState,
    /// Items of the feed that failed fewer than the given attempts and so are still to be retried.
    pub retryable_failures: u32,
    /// Some of the feed's stored articles still wait for their file.
    pub pending_files: bool,
}

/// One feed's state to save after its poll ([`Store::save_feed_states`]).
#[derive(Debug, Clone, PartialEq)]
pub struct SavedState {
    pub name: String,
    pub url: Url,
    pub state: FeedState,
}

/// Saves `states` with one call of `save`; if that fails and they were several, each alone, so a state the
/// database refuses fails only itself. One result per state, in order.
pub(crate) fn together_else_each_alone(
    states: &[SavedState],
    mut save: impl FnMut(&[SavedState]) -> Result<(), StoreError>,
) -> Vec<Result<(), StoreError>> {
    if states.is_empty() {
        return Vec::new();
    }
    match save(states) {
        Ok(()) => states.iter().map(|_| Ok(())).collect(),
        Err(error) if states.len() == 1 => vec![Err(error)],
        Err(_) => states
            .iter()
            .map(|saved| save(std::slice::from_ref(saved)))
            .collect(),
    }
}

/// A stored article and how current its text is.
#[derive(Debug, Clone, PartialEq)]
pub struct KnownArticle {
    pub article: StoredArticle,
    /// The newest feed-item `updated` time its text was checked against, else when it was stored; `None`
    /// when the stored time cannot be read (then any `updated` counts as newer).
    pub text_as_of: Option<DateTime<FixedOffset>>,
}

/// The operations tidings needs from a database; every backend provides all of them with the same meaning.
pub trait Store: WrittenFiles + Send + Sync {
    /// Proves the database still answers (watchdog and `/healthz`): a query that reads it, and its file is
    /// still the one opened (writes to a file removed from under us would be lost).
    fn ping(&self) -> Result<(), StoreError>;

    /// The stored state of feed `name`, or defaults for a feed never polled.
    fn feed_state(&self, name: &str) -> Result<FeedState, StoreError>;

    /// What a poll of feed `name` reads before its request, in one statement: its state, how many of its
    /// items are still to be retried (fewer than `max_attempts` failures), and whether any of its articles
    /// wait for their file ([`Store::pending_files`]). Each statement costs a round of locks (a round trip
    /// to PostgreSQL), and for an unchanged feed these reads were a good part of the poll.
    fn poll_record(&self, name: &str, max_attempts: u32) -> Result<PollRecord, StoreError>;

    /// Saves the state after a poll of feed `name` at `url`.
    fn save_feed_state(&self, name: &str, url: &Url, state: &FeedState) -> Result<(), StoreError>;

    /// Saves the states of several polls, in one transaction where the backend gains by it; one result per
    /// state, in order, so a state the database refuses fails alone.
    fn save_feed_states(&self, states: &[SavedState]) -> Vec<Result<(), StoreError>> {
        states
            .iter()
            .map(|saved| self.save_feed_state(&saved.name, &saved.url, &saved.state))
            .collect()
    }

    /// Sets only the next due time of a feed (used when a schedule changes without a poll).
    fn set_next_poll(&self, name: &str, url: &Url, at: DateTime<Utc>) -> Result<(), StoreError>;

    /// Every feed the database knows, by name, with article counts overall and since `since`, and the items
    /// still pending a retry (fewer than `max_attempts` failures).
    fn feed_statuses(&self, since: DateTime<Utc>, max_attempts: u32) -> Result<Vec<FeedStatus>, StoreError>;

    /// Stored articles matching `query`, newest first.
    fn article_summaries(&self, query: &ArticleQuery) -> Result<Vec<ArticleSummary>, StoreError>;

    /// Records that a keep/block filter rejected the item at `canonical_url`, so it is never fetched again.
    fn record_filtered(&self, feed: &str, canonical_url: &Url, reason: &str) -> Result<(), StoreError>;

    /// True when a filter already rejected the item at `canonical_url`.
    fn is_filtered(&self, canonical_url: &Url) -> Result<bool, StoreError>;

    /// True when `canonical_url` already leads to a stored article.
    fn is_known(&self, canonical_url: &Url) -> Result<bool, StoreError>;

    /// Stores `record` unless its canonical URL (or one of `aliases`) is already stored, recording every alias.
    /// The file name comes from `name_for(attempt)` — the first that no other article uses. Returns the stored
    /// article, or `None` if it was a duplicate (whose aliases are still recorded). Commits before returning.
    fn insert_article(
        &self,
        record: &ArticleRecord,
        aliases: &[Url],
        name_for: &dyn Fn(u32) -> String,
    ) -> Result<Option<StoredArticle>, StoreError>;

    /// Records `alias` as another URL of the article already stored under `known`; `false` if `known` is not
    /// stored.
    fn add_alias(&self, known: &Url, alias: &Url) -> Result<bool, StoreError>;

    /// How often the item at `canonical_url` has failed so far.
    fn item_attempts(&self, canonical_url: &Url) -> Result<u32, StoreError>;

    /// Notes that an item could not be made into an article; it stays unknown, so later polls retry it.
    /// Returns the attempts so far, this one included.
    fn record_item_failure(&self, feed: &str, canonical_url: &Url, error: &str) -> Result<u32, StoreError>;

    /// Records the item at `canonical_url` as failed `give_up_at` times with `error`: it is not tried again
    /// (a link to an internal address).
    fn give_up_item(
        &self,
        feed: &str,
        canonical_url: &Url,
        error: &str,
        give_up_at: u32,
    ) -> Result<(), StoreError>;

    /// Notes that the page of `canonical_url` (an item of `feed`) is about to be extracted.
    fn begin_extraction(&self, feed: &str, canonical_url: &Url) -> Result<(), StoreError>;

    /// Notes that the extraction of `canonical_url` ended (whatever its result).
    fn end_extraction(&self, canonical_url: &Url) -> Result<(), StoreError>;

    /// Extractions a dead process left unfinished: each item is recorded as failed `give_up_at` times, so it
    /// is not run again, and returned as `(feed, canonical URL)` for the log.
    fn fail_interrupted_extractions(&self, give_up_at: u32) -> Result<Vec<(String, String)>, StoreError>;

    /// Up to `limit` stored articles with ids above `after_id`, in id order: callers page through every
    /// article (rebuild) without holding all bodies in memory at once.
    fn articles_after(&self, after_id: i64, limit: u32) -> Result<Vec<StoredArticle>, StoreError>;

    /// The article stored under `canonical_url`, directly or as one of its aliases.
    fn article_by_url(&self, canonical_url: &Url) -> Result<Option<StoredArticle>, StoreError>;

    /// The article stored under `canonical_url` (or one of its aliases), with the time its text is known as
    /// of (for `on_update = "rewrite"`).
    fn article_at(&self, canonical_url: &Url) -> Result<Option<KnownArticle>, StoreError>;

    /// Notes that article `id`'s feed item says it changed at `item_updated` and that its text was checked
    /// against that; with `rewritten`, that text changed: the record becomes `rewritten` (URL, feed and file
    /// name stay) and `item_updated` its `updated` time.
    fn record_item_update(
        &self,
        id: i64,
        item_updated: DateTime<FixedOffset>,
        rewritten: Option<&ArticleRecord>,
    ) -> Result<(), StoreError>;

    /// Notes that `article`'s file could not be written; [`Store::pending_files`] returns it until cleared.
    fn record_pending_file(&self, article: &StoredArticle, error: &str) -> Result<(), StoreError>;

    /// Articles of `feed` whose file is still to be written, oldest first.
    fn pending_files(&self, feed: &str) -> Result<Vec<StoredArticle>, StoreError>;

    /// The file of article `article_id` is written.
    fn clear_pending_file(&self, article_id: i64) -> Result<(), StoreError>;

    /// Takes the lease of feed `name` (at `url`) for `lease`: granted when no other instance holds an unexpired
    /// lease on it and, with `due_by`, when its stored next poll is not after `due_by` (so a feed another
    /// instance polled in this slot is not polled again). SQLite always grants: its writer lock already keeps
    /// every other process out.
    fn lease_feed(
        &self,
        name: &str,
        url: &Url,
        lease: Duration,
        due_by: Option<DateTime<Utc>>,
    ) -> Result<Lease, StoreError>;

    /// Extends this instance's lease of feed `name` to `lease` from now; `false` if it no longer holds it.
    /// Whether several processes may poll from this database at once, so that polls need leases. SQLite
    /// says no (its writer lock admits one process), and its polls skip the lease round trips.
    fn shares_feeds(&self) -> bool {
        true
    }

    fn renew_lease(&self, name: &str, lease: Duration) -> Result<bool, StoreError>;

    /// Gives up this instance's lease of feed `name` (after its state, with the next due time, is saved).
    fn release_feed(&self, name: &str) -> Result<(), StoreError>;

    /// Forgets the item failures of `feed` whose URL is not in `current` (the feed dropped the item), so they
    /// no longer keep the feed from conditional requests. Returns how many were forgotten.
    fn forget_dropped_item_failures(&self, feed: &str, current: &[Url]) -> Result<usize, StoreError>;
}

/// Opens (creating if needed) `database` and brings its schema up to date; `instance` names this process
/// among the instances sharing a PostgreSQL database (its leases, its files).
pub fn open(database: &Database, instance: &str) -> Result<Arc<dyn Store>, StoreError> {
    Ok(match database {
        Database::Sqlite(path) => Arc::new(sqlite::Sqlite::open(path)?),
        Database::Postgres(url) => Arc::new(postgres::Postgres::open(url, instance)?),
    })
}

/// Opens an existing, up-to-date database for reading only: never creates, migrates or writes it (`tidings
/// status` and `tidings articles` must not change what they look at).
pub fn open_read_only(database: &Database, instance: &str) -> Result<Arc<dyn Store>, StoreError> {
    Ok(match database {
        Database::Sqlite(path) => Arc::new(sqlite::Sqlite::open_read_only(path)?),
        Database::Postgres(url) => Arc::new(postgres::Postgres::open_read_only(url, instance)?),
    })
}

/// The numbered `.sql` files in `migrations/<backend>`, sorted (for the backends' migration tests).
#[cfg(test)]
fn migration_files(backend: &str) -> Vec<String> {
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend);
    let mut files: Vec<String> = std::fs::read_dir(folder)
        .expect("migrations folder")
        .filter_map(Result::ok)
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".sql"))
        .collect();
    files.sort();
    files
}

//! The PostgreSQL backend of [`Store`]: one server shared by several tidings instances, on one machine or
//! many.
//!
//! What sharing needs beyond the SQLite backend's meaning: a feed is polled only under its lease
//! ([`Store::lease_feed`]); two instances storing the same article at once both reach the unique canonical
//! URL, and the loser records its aliases and stores nothing; what an instance renders, the extractions it
//! runs and the files it could not write are recorded under its `instance` name, so each instance writes every
//! committed article into its own output folder and judges only its own interrupted work.
//!
//! Calls block (the `postgres` client runs its own small runtime per connection): like every store call
//! they run on blocking threads, never on the async runtime's.

use std::error::Error as _;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use postgres::error::SqlState;
use postgres::types::{FromSql, ToSql, Type};
use postgres::{GenericClient, Row, Transaction};
use url::Url;

use super::database::redact_password;
use super::{
    ArticleQuery, ArticleSummary, FeedState, FeedStatus, KnownArticle, Lease, PollRecord, SavedState, Store,
    StoreError,
};
use crate::record::{ArticleRecord, Origin, StoredArticle};

mod migrate;
mod pool;
mod presence;
mod written;

use migrate::MigrateError;
use pool::{Pool, Pooled};
use presence::Presence;

/// A PostgreSQL database, as seen by one instance.
pub struct Postgres {
    /// The URL without its password, for messages.
    database: String,
    /// This instance's name: lease holder, renderer owner, extraction owner.
    instance: String,
    /// Random per process: two processes given the same instance name still never share a lease.
    token: i64,
    pool: Pool,
    /// Held by a writer for as long as the store is open; `None` when opened read-only.
    presence: Option<Presence>,
}

/// A client error shown with its cause: the client's own text names only the kind ("db error", "error
/// connecting to server"), the cause says what the server or the network said.
#[derive(Debug)]
pub struct PostgresError(postgres::Error);

impl fmt::Display for PostgresError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.source() {
            Some(cause) => write!(f, "{}: {cause}", self.0),
            None => write!(f, "{}", self.0),
        }
    }
}

/// Why one attempt at a transaction must be run again from the start.
const RETRYABLE: [SqlState; 2] = [
    SqlState::T_R_DEADLOCK_DETECTED,
    SqlState::T_R_SERIALIZATION_FAILURE,
];

impl Postgres {
    /// Connects to `url` as `instance` and brings the schema up to date.
    pub fn open(url: &str, instance: &str) -> Result<Self, StoreError> {
        let store = Self::connect(url, instance, false)?;
        let mut client = store.pool.get().map_err(|source| store.error(source))?;
        migrate::migrate(&mut client).map_err(|error| match error {
            MigrateError::Database(source) => store.error(source),
            MigrateError::Failed { migration, source } => StoreError::PostgresMigration {
                database: store.database.clone(),
                migration,
                error: PostgresError(source),
            },
            MigrateError::TooNew { found } => StoreError::TooNew {
                path: PathBuf::from(&store.database),
                found,
                known: migrate::MIGRATIONS.len(),
            },
        })?;
        drop(client);
        let presence = Presence::announce(&store.pool, instance).map_err(|source| store.error(source))?;
        if !presence.is_sole() {
            tracing::warn!(
                instance,
                "another live process runs as this instance (the daemon, or an instance given the same name): its unfinished extractions are left to it; give each instance its own name"
            );
        }
        Ok(Self {
            presence: Some(presence),
            ..store
        })
    }

    /// Connects to `url` for reading only: never creates, migrates or writes (every transaction is
    /// read-only); fails unless the schema is exactly this build's.
    pub fn open_read_only(url: &str, instance: &str) -> Result<Self, StoreError> {
        let store = Self::connect(url, instance, true)?;
        let mut client = store.pool.get().map_err(|source| store.error(source))?;
        let found = migrate::applied_version(&mut client).map_err(|source| store.error(source))?;
        drop(client);
        let path = PathBuf::from(&store.database);
        let known = migrate::known();
        match found {
            None => Err(StoreError::Missing { path }),
            Some(found) if found == known => Ok(store),
            Some(found) if found > known => Err(StoreError::TooNew {
                path,
                found,
                known: migrate::MIGRATIONS.len(),
            }),
            Some(found) => Err(StoreError::Outdated {
                path,
                found,
                known: migrate::MIGRATIONS.len(),
            }),
        }
    }

    fn connect(url: &str, instance: &str, read_only: bool) -> Result<Self, StoreError> {
        let database = redact_password(url);
        let config = url
            .parse::<postgres::Config>()
            .map_err(|source| StoreError::Postgres {
                database: database.clone(),
                error: PostgresError(source),
            })?;
        Ok(Self {
            pool: Pool::new(config, &format!("tidings {instance}"), read_only),
            database,
            instance: instance.to_string(),
            token: rand::random::<i64>(),
            presence: None,
        })
    }

    fn error(&self, source: postgres::Error) -> StoreError {
        StoreError::Postgres {
            database: self.database.clone(),
            error: PostgresError(source),
        }
    }

    /// Upserts every state in `states` with one statement: the columns travel as arrays, one element per
    /// state. The last success is kept unless this poll succeeded.
    fn save_feed_states_at_once(&self, states: &[SavedState]) -> Result<(), StoreError> {
        let names: Vec<&str> = states.iter().map(|saved| saved.name.as_str()).collect();
        let urls: Vec<&str> = states.iter().map(|saved| saved.url.as_str()).collect();
        let text = |field: fn(&FeedState) -> &Option<String>| -> Vec<Option<&str>> {
            states
                .iter()
                .map(|saved| field(&saved.state).as_deref())
                .collect()
        };
        let time = |field: fn(&FeedState) -> Option<DateTime<Utc>>| -> Vec<Option<DateTime<Utc>>> {
            states.iter().map(|saved| field(&saved.state)).collect()
        };
        let count = |field: fn(&FeedState) -> u32| -> Vec<i32> {
            states.iter().map(|saved| int(field(&saved.state))).collect()
        };
        let succeeded: Vec<bool> = states
            .iter()
            .map(|saved| saved.state.last_result.as_deref() != Some("failed"))
            .collect();
        self.with(|client| {
            client.execute(
                "INSERT INTO feeds (name, url, etag, last_modified, body_hash, last_poll_at, last_success_at,
                                    last_result, last_error, consecutive_failures, next_poll_at, articles_written,
                                    skipped_items, failing_since)
                 SELECT name, url, etag, last_modified, body_hash, last_poll_at,
                        CASE WHEN succeeded THEN last_poll_at END, last_result, last_error, consecutive_failures,
                        next_poll_at, articles_written, skipped_items, failing_since
                 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[],
                             $7::bool[], $8::text[], $9::text[], $10::int4[], $11::timestamptz[], $12::int4[],
                             $13::int4[], $14::timestamptz[])
                      AS saved(name, url, etag, last_modified, body_hash, last_poll_at, succeeded, last_result,
                               last_error, consecutive_failures, next_poll_at, articles_written, skipped_items,
                               failing_since)
                 ON CONFLICT (name) DO UPDATE SET
                    url = excluded.url, etag = excluded.etag, last_modified = excluded.last_modified,
                    body_hash = excluded.body_hash, last_poll_at = excluded.last_poll_at,
                    last_success_at = COALESCE(excluded.last_success_at, feeds.last_success_at),
                    last_result = excluded.last_result, last_error = excluded.last_error,
                    consecutive_failures = excluded.consecutive_failures,
                    next_poll_at = excluded.next_poll_at, articles_written = excluded.articles_written,
                    skipped_items = excluded.skipped_items, failing_since = excluded.failing_since",
                &[
                    &names,
                    &urls,
                    &text(|state| &state.etag),
                    &text(|state| &state.last_modified),
                    &text(|state| &state.body_hash),
                    &time(|state| state.last_poll_at),
                    &succeeded,
                    &text(|state| &state.last_result),
                    &text(|state| &state.last_error),
                    &count(|state| state.consecutive_failures),
                    &time(|state| state.next_poll_at),
                    &count(|state| state.articles_written),
                    &count(|state| state.skipped_items),
                    &time(|state| state.failing_since),
                ],
            )
        })
        .map(drop)
    }

    /// Runs `work` on a pooled connection.
    fn with<T>(&self, work: impl FnOnce(&mut Pooled) -> Result<T, postgres::Error>) -> Result<T, StoreError> {
        let mut client = self.pool.get().map_err(|source| self.error(source))?;
        work(&mut client).map_err(|source| self.error(source))
    }

    /// Runs `work` in one transaction, committed when it succeeds; a deadlock or serialization failure
    /// (instances racing for the same rows) runs it again, a few times.
    fn transaction<T>(
        &self,
        mut work: impl FnMut(&mut Transaction) -> Result<T, postgres::Error>,
    ) -> Result<T, StoreError> {
        let mut client = self.pool.get().map_err(|source| self.error(source))?;
        let mut attempts = 0;
        loop {
            attempts += 1;
            let result = client.transaction().and_then(|mut transaction| {
                let value = work(&mut transaction)?;
                transaction.commit()?;
                Ok(value)
            });
            match result {
                Err(error) if attempts < 4 && error.code().is_some_and(|code| RETRYABLE.contains(code)) => {}
                result => return result.map_err(|source| self.error(source)),
            }
        }
    }

    /// Articles matching `filter` (a `WHERE`/`ORDER BY` tail over `articles`), fully read.
    fn select_articles(
        &self,
        filter: &str,
        parameters: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<Vec<StoredArticle>, StoreError> {
        self.with(|client| {
            client
                .query(&format!("{ARTICLE_COLUMNS} FROM articles {filter}"), parameters)?
                .iter()
                .map(stored_article)
                .collect()
        })
    }
}

const FEED_STATE_COLUMNS: &str = "etag, last_modified, body_hash, last_poll_at, last_result, last_error,
    consecutive_failures, next_poll_at, articles_written, skipped_items, failing_since";

const ARTICLE_COLUMNS: &str = "SELECT id, file_name, canonical_url, feed, title, date, published, excerpt,
    cover_image, author, tags, category, language, body, origin, updated, created_at";

impl Store for Postgres {
    fn ping(&self) -> Result<(), StoreError> {
        self.with(|client| client.simple_query("SELECT 1").map(drop))
    }

    fn feed_state(&self, name: &str) -> Result<FeedState, StoreError> {
        self.with(|client| {
            client
                .query_opt(
                    &format!("SELECT {FEED_STATE_COLUMNS} FROM feeds WHERE name = $1"),
                    &[&name],
                )
                .map(|row| row.map(|row| feed_state(&row)).unwrap_or_default())
        })
    }

    fn poll_record(&self, name: &str, max_attempts: u32) -> Result<PollRecord, StoreError> {
        // From a one-row table, so a feed never polled still gets its counts (and default state).
        self.with(|client| {
            client
                .query_one(
                    "SELECT f.etag, f.last_modified, f.body_hash, f.last_poll_at, f.last_result, f.last_error,
                            COALESCE(f.consecutive_failures, 0), f.next_poll_at, COALESCE(f.articles_written, 0),
                            COALESCE(f.skipped_items, 0), f.failing_since,
                            (SELECT COUNT(*) FROM item_failures WHERE feed = $1 AND attempts < $2),
                            EXISTS (SELECT 1 FROM pending_files WHERE instance = $3 AND feed = $1)
                     FROM (SELECT $1::text AS name) AS wanted LEFT JOIN feeds f ON f.name = wanted.name",
                    &[&name, &int(max_attempts), &self.instance],
                )
                .map(|row| PollRecord {
                    state: feed_state(&row),
                    retryable_failures: count(&row, 11),
                    pending_files: row.get(12),
                })
        })
    }

    fn save_feed_state(&self, name: &str, url: &Url, state: &FeedState) -> Result<(), StoreError> {
        self.save_feed_states_at_once(&[SavedState {
            name: name.to_owned(),
            url: url.clone(),
            state: state.clone(),
        }])
    }

    /// One statement for the whole batch: a round trip per state added up at 10,000 feeds.
    fn save_feed_states(&self, states: &[SavedState]) -> Vec<Result<(), StoreError>> {
        super::together_else_each_alone(states, |batch| self.save_feed_states_at_once(batch))
    }

    fn set_next_poll(&self, name: &str, url: &Url, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.with(|client| {
            client.execute(
                "INSERT INTO feeds (name, url, next_poll_at) VALUES ($1, $2, $3)
                 ON CONFLICT (name) DO UPDATE SET next_poll_at = excluded.next_poll_at, url = excluded.url",
                &[&name, &url.as_str(), &at],
            )
        })
        .map(drop)
    }

    fn feed_statuses(&self, since: DateTime<Utc>, max_attempts: u32) -> Result<Vec<FeedStatus>, StoreError> {
        self.with(|client| {
            let rows = client.query(
                &format!(
                    "SELECT {FEED_STATE_COLUMNS}, name, last_success_at,
                        (SELECT COUNT(*) FROM articles WHERE articles.feed = feeds.name),
                        (SELECT COUNT(*) FROM articles WHERE articles.feed = feeds.name
                                AND articles.created_at >= $1),
                        (SELECT COUNT(*) FROM filtered_items WHERE filtered_items.feed = feeds.name),
                        (SELECT COUNT(*) FROM item_failures WHERE item_failures.feed = feeds.name
                                AND attempts < $2),
                        CASE WHEN lease_expires_at > now() THEN lease_holder END
                     FROM feeds ORDER BY name COLLATE \"C\""
                ),
                &[&since, &int(max_attempts)],
            )?;
            Ok(rows
                .iter()
                .map(|row| FeedStatus {
                    state: feed_state(row),
                    name: row.get(11),
                    last_success_at: row.get(12),
                    articles_total: count(row, 13),
                    articles_recent: count(row, 14),
                    filtered_items: count(row, 15),
                    pending_failures: count(row, 16),
                    leased_by: row.get(17),
                })
                .collect())
        })
    }

    fn article_summaries(&self, query: &ArticleQuery) -> Result<Vec<ArticleSummary>, StoreError> {
        let limit = query.limit.map(i64::from);
        self.with(|client| {
            let rows = client.query(
                "SELECT feed, title, canonical_url, published, created_at, file_name, id FROM articles
                 WHERE ($1::text IS NULL OR feed = $1)
                   AND ($2::timestamptz IS NULL OR created_at >= $2)
                   AND ($3::text IS NULL
                        OR to_tsvector('simple', title || ' ' || body) @@ plainto_tsquery('simple', $3))
                 ORDER BY created_at DESC, id DESC
                 LIMIT $4",
                &[&query.feed, &query.since, &query.search, &limit],
            )?;
            rows.iter()
                .map(|row| {
                    Ok(ArticleSummary {
                        feed: row.get(0),
                        title: row.get(1),
                        url: url_column(row, 2)?,
                        published: row
                            .get::<_, Option<String>>(3)
                            .and_then(|at| DateTime::parse_from_rfc3339(&at).ok()),
                        stored_at: row.get(4),
                        file_name: row.get(5),
                        id: row.get(6),
                    })
                })
                .collect()
        })
    }

    fn record_filtered(&self, feed: &str, canonical_url: &Url, reason: &str) -> Result<(), StoreError> {
        self.with(|client| {
            client.execute(
                "INSERT INTO filtered_items (canonical_url, feed, reason, filtered_at)
                 VALUES ($1, $2, $3, now()) ON CONFLICT DO NOTHING",
                &[&canonical_url.as_str(), &feed, &reason],
            )
        })
        .map(drop)
    }

    fn is_filtered(&self, canonical_url: &Url) -> Result<bool, StoreError> {
        self.with(|client| {
            client
                .query_opt(
                    "SELECT 1 FROM filtered_items WHERE canonical_url = $1",
                    &[&canonical_url.as_str()],
                )
                .map(|found| found.is_some())
        })
    }

    fn is_known(&self, canonical_url: &Url) -> Result<bool, StoreError> {
        self.with(|client| {
            client
                .query_opt(
                    "SELECT 1 FROM article_urls WHERE url = $1",
                    &[&canonical_url.as_str()],
                )
                .map(|found| found.is_some())
        })
    }

    fn insert_article(
        &self,
        record: &ArticleRecord,
        aliases: &[Url],
        name_for: &dyn Fn(u32) -> String,
    ) -> Result<Option<StoredArticle>, StoreError> {
        let canonical = record.canonical_url.as_str();
        let content = Content::of(record);
        self.transaction(|transaction| {
            // Another instance may be storing the same article right now: the unique canonical URL (and its
            // row in article_urls) decides, and the loser only records its aliases.
            loop {
                if let Some(existing) = article_of(transaction, canonical)? {
                    record_aliases(transaction, existing, aliases)?;
                    return Ok(None);
                }
                let mut attempt = 1;
                let inserted = loop {
                    let file_name = name_for(attempt);
                    attempt += 1;
                    let taken = transaction
                        .query_opt("SELECT 1 FROM articles WHERE file_name = $1", &[&file_name])?
                        .is_some();
                    if taken {
                        continue;
                    }
                    let row = transaction.query_opt(
                        "INSERT INTO articles (canonical_url, feed, title, date, published, excerpt, cover_image,
                                               author, tags, category, language, body, origin, file_name,
                                               created_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, now())
                         ON CONFLICT DO NOTHING
                         RETURNING id, created_at",
                        &[&canonical as &(dyn ToSql + Sync), &record.feed]
                            .into_iter()
                            .chain(content.columns())
                            .chain([&file_name as &(dyn ToSql + Sync)])
                            .collect::<Vec<_>>(),
                    )?;
                    match row {
                        Some(row) => break Some((row.get::<_, i64>(0), row.get(1), file_name)),
                        // The canonical URL was committed meanwhile: a duplicate after all.
                        None if article_id(transaction, canonical)?.is_some() => break None,
                        // The file name was taken meanwhile: try the next one.
                        None => {}
                    }
                };
                let Some((id, stored_at, file_name)) = inserted else {
                    continue;
                };
                let claimed = transaction.execute(
                    "INSERT INTO article_urls (url, article_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    &[&canonical, &id],
                )?;
                if claimed == 0 {
                    // The URL became another article's alias meanwhile: undo this insert, take that one.
                    transaction.execute("DELETE FROM articles WHERE id = $1", &[&id])?;
                    continue;
                }
                record_aliases(transaction, id, aliases)?;
                let failed: Vec<&str> = std::iter::once(canonical)
                    .chain(aliases.iter().map(Url::as_str))
                    .collect();
                transaction.execute(
                    "DELETE FROM item_failures WHERE canonical_url = ANY($1)",
                    &[&failed],
                )?;
                return Ok(Some(StoredArticle {
                    id,
                    file_name,
                    record: record.clone(),
                    updated: None,
                    stored_at,
                }));
            }
        })
    }

    fn add_alias(&self, known: &Url, alias: &Url) -> Result<bool, StoreError> {
        self.with(|client| {
            client.execute(
                "INSERT INTO article_urls (url, article_id)
                 SELECT $2, article_id FROM article_urls WHERE url = $1
                 ON CONFLICT DO NOTHING",
                &[&known.as_str(), &alias.as_str()],
            )
        })
        .map(|inserted| inserted > 0)
    }

    fn item_attempts(&self, canonical_url: &Url) -> Result<u32, StoreError> {
        self.with(|client| {
            client
                .query_opt(
                    "SELECT attempts FROM item_failures WHERE canonical_url = $1",
                    &[&canonical_url.as_str()],
                )
                .map(|row| row.map_or(0, |row| unsigned(row.get(0))))
        })
    }

    fn record_item_failure(&self, feed: &str, canonical_url: &Url, error: &str) -> Result<u32, StoreError> {
        self.with(|client| {
            client
                .query_one(
                    "INSERT INTO item_failures (canonical_url, feed, attempts, last_error, last_attempt_at)
                     VALUES ($1, $2, 1, $3, now())
                     ON CONFLICT (canonical_url) DO UPDATE SET attempts = item_failures.attempts + 1,
                        last_error = excluded.last_error, last_attempt_at = excluded.last_attempt_at
                     RETURNING attempts",
                    &[&canonical_url.as_str(), &feed, &error],
                )
                .map(|row| unsigned(row.get(0)))
        })
    }

    fn give_up_item(
        &self,
        feed: &str,
        canonical_url: &Url,
        error: &str,
        give_up_at: u32,
    ) -> Result<(), StoreError> {
        self.with(|client| record_given_up(&mut **client, feed, canonical_url.as_str(), error, give_up_at))
    }

    fn begin_extraction(&self, feed: &str, canonical_url: &Url) -> Result<(), StoreError> {
        self.with(|client| {
            client.execute(
                "INSERT INTO extractions_in_progress (canonical_url, feed, instance, started_at)
                 VALUES ($1, $2, $3, now())
                 ON CONFLICT (canonical_url) DO UPDATE SET feed = excluded.feed, instance = excluded.instance,
                    started_at = excluded.started_at",
                &[&canonical_url.as_str(), &feed, &self.instance],
            )
        })
        .map(drop)
    }

    fn end_extraction(&self, canonical_url: &Url) -> Result<(), StoreError> {
        self.with(|client| {
            client.execute(
                "DELETE FROM extractions_in_progress WHERE canonical_url = $1",
                &[&canonical_url.as_str()],
            )
        })
        .map(drop)
    }

    fn fail_interrupted_extractions(&self, give_up_at: u32) -> Result<Vec<(String, String)>, StoreError> {
        // While another live process runs under this name, its extractions may still be running.
        if !self.presence.as_ref().is_some_and(Presence::is_sole) {
            return Ok(Vec::new());
        }
        self.transaction(|transaction| {
            let mut rows: Vec<(DateTime<Utc>, String, String)> = transaction
                .query(
                    "DELETE FROM extractions_in_progress WHERE instance = $1
                     RETURNING started_at, feed, canonical_url",
                    &[&self.instance],
                )?
                .iter()
                .map(|row| (row.get(0), row.get(1), row.get(2)))
                .collect();
            rows.sort();
            for (_, feed, url) in &rows {
                record_given_up(
                    transaction,
                    feed,
                    url,
                    "the process stopped while extracting this page (crash, out of memory or kill); not retried",
                    give_up_at,
                )?;
            }
            Ok(rows.into_iter().map(|(_, feed, url)| (feed, url)).collect())
        })
    }

    fn articles_after(&self, after_id: i64, limit: u32) -> Result<Vec<StoredArticle>, StoreError> {
        self.select_articles(
            "WHERE id > $1 ORDER BY id LIMIT $2",
            &[&after_id, &i64::from(limit)],
        )
    }

    fn article_by_url(&self, canonical_url: &Url) -> Result<Option<StoredArticle>, StoreError> {
        let found = self.select_articles(
            "WHERE id = (SELECT article_id FROM article_urls WHERE url = $1) OR canonical_url = $1 LIMIT 1",
            &[&canonical_url.as_str()],
        )?;
        Ok(found.into_iter().next())
    }

    fn article_at(&self, canonical_url: &Url) -> Result<Option<KnownArticle>, StoreError> {
        self.with(|client| {
            let Some(row) = client.query_opt(
                &format!(
                    "{ARTICLE_COLUMNS}, COALESCE(item_updated, created_at) FROM articles
                     WHERE id = (SELECT article_id FROM article_urls WHERE url = $1)"
                ),
                &[&canonical_url.as_str()],
            )?
            else {
                return Ok(None);
            };
            let text_as_of: DateTime<Utc> = row.get(17);
            Ok(Some(KnownArticle {
                article: stored_article(&row)?,
                text_as_of: Some(text_as_of.fixed_offset()),
            }))
        })
    }

    fn record_item_update(
        &self,
        id: i64,
        item_updated: DateTime<FixedOffset>,
        rewritten: Option<&ArticleRecord>,
    ) -> Result<(), StoreError> {
        let checked = item_updated.with_timezone(&Utc);
        let rewritten = rewritten.map(|record| (Content::of(record), item_updated.to_rfc3339()));
        self.with(|client| match &rewritten {
            None => client.execute(
                "UPDATE articles SET item_updated = $2 WHERE id = $1",
                &[&id, &checked],
            ),
            // URL, feed and file name stay: the article is the same one, its file keeps its name.
            Some((content, updated)) => client.execute(
                "UPDATE articles SET item_updated = $2, updated = $3, title = $4, date = $5, published = $6,
                        excerpt = $7, cover_image = $8, author = $9, tags = $10, category = $11, language = $12,
                        body = $13, origin = $14
                 WHERE id = $1",
                &[&id as &(dyn ToSql + Sync), &checked, updated]
                    .into_iter()
                    .chain(content.columns())
                    .collect::<Vec<_>>(),
            ),
        })
        .map(drop)
    }

    fn record_pending_file(&self, article: &StoredArticle, error: &str) -> Result<(), StoreError> {
        self.with(|client| {
            client.execute(
                "INSERT INTO pending_files (instance, article_id, feed, last_error) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (instance, article_id) DO UPDATE SET last_error = excluded.last_error",
                &[&self.instance, &article.id, &article.record.feed, &error],
            )
        })
        .map(drop)
    }

    fn pending_files(&self, feed: &str) -> Result<Vec<StoredArticle>, StoreError> {
        self.select_articles(
            "WHERE id IN (SELECT article_id FROM pending_files WHERE instance = $1 AND feed = $2) ORDER BY id",
            &[&self.instance, &feed],
        )
    }

    fn clear_pending_file(&self, article_id: i64) -> Result<(), StoreError> {
        self.with(|client| {
            client.execute(
                "DELETE FROM pending_files WHERE instance = $1 AND article_id = $2",
                &[&self.instance, &article_id],
            )
        })
        .map(drop)
    }

    fn lease_feed(
        &self,
        name: &str,
        url: &Url,
        lease: Duration,
        due_by: Option<DateTime<Utc>>,
    ) -> Result<Lease, StoreError> {
        let seconds = lease.as_secs_f64();
        // The usual case in one round trip: the feed is known, free (or ours) and due. The row is locked
        // by the subquery, skipped if another instance has it locked.
        let granted = self.with(|client| {
            client.query_opt(
                "UPDATE feeds SET lease_holder = $2, lease_token = $3,
                    lease_expires_at = now() + make_interval(secs => $4)
                 WHERE name = (SELECT name FROM feeds WHERE name = $1 FOR UPDATE SKIP LOCKED)
                   AND (lease_holder IS NULL OR lease_expires_at IS NULL OR lease_expires_at <= now()
                        OR lease_token = $3)
                   AND ($5::timestamptz IS NULL OR next_poll_at IS NULL OR next_poll_at <= $5)
                 RETURNING 1",
                &[&name, &self.instance, &self.token, &seconds, &due_by],
            )
        })?;
        if granted.is_some() {
            return Ok(Lease::Granted);
        }
        // Otherwise a transaction finds out why (and adds a feed never seen before).
        self.transaction(|transaction| {
            transaction.execute(
                "INSERT INTO feeds (name, url) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
                &[&name, &url.as_str()],
            )?;
            let Some(row) = transaction.query_opt(
                "SELECT lease_holder, lease_token, lease_expires_at > now(), next_poll_at FROM feeds
                 WHERE name = $1 FOR UPDATE SKIP LOCKED",
                &[&name],
            )?
            else {
                // Another instance is taking or giving up this lease at this very moment.
                let row = transaction.query_one(
                    "SELECT lease_holder, COALESCE(lease_expires_at, now() + make_interval(secs => $2))
                     FROM feeds WHERE name = $1",
                    &[&name, &seconds],
                )?;
                return Ok(Lease::Held {
                    by: row
                        .get::<_, Option<String>>(0)
                        .unwrap_or_else(|| "another instance".into()),
                    until: row.get(1),
                });
            };
            let holder: Option<String> = row.get(0);
            let token: Option<i64> = row.get(1);
            let unexpired: Option<bool> = row.get(2);
            let next_poll_at: Option<DateTime<Utc>> = row.get(3);
            if let Some(by) = holder.filter(|_| unexpired == Some(true) && token != Some(self.token)) {
                let until: DateTime<Utc> = transaction
                    .query_one("SELECT lease_expires_at FROM feeds WHERE name = $1", &[&name])?
                    .get(0);
                return Ok(Lease::Held { by, until });
            }
            if let (Some(due_by), Some(next_poll_at)) = (due_by, next_poll_at)
                && next_poll_at > due_by
            {
                return Ok(Lease::NotDue { next_poll_at });
            }
            transaction.execute(
                "UPDATE feeds SET lease_holder = $2, lease_token = $3,
                    lease_expires_at = now() + make_interval(secs => $4)
                 WHERE name = $1",
                &[&name, &self.instance, &self.token, &seconds],
            )?;
            Ok(Lease::Granted)
        })
    }

    fn renew_lease(&self, name: &str, lease: Duration) -> Result<bool, StoreError> {
        self.with(|client| {
            client.execute(
                "UPDATE feeds SET lease_expires_at = now() + make_interval(secs => $3)
                 WHERE name = $1 AND lease_token = $2",
                &[&name, &self.token, &lease.as_secs_f64()],
            )
        })
        .map(|renewed| renewed > 0)
    }

    fn release_feed(&self, name: &str) -> Result<(), StoreError> {
        self.with(|client| {
            client.execute(
                "UPDATE feeds SET lease_holder = NULL, lease_token = NULL, lease_expires_at = NULL
                 WHERE name = $1 AND lease_token = $2",
                &[&name, &self.token],
            )
        })
        .map(drop)
    }

    fn forget_dropped_item_failures(&self, feed: &str, current: &[Url]) -> Result<usize, StoreError> {
        let current: Vec<&str> = current.iter().map(Url::as_str).collect();
        self.with(|client| {
            client.execute(
                "DELETE FROM item_failures WHERE feed = $1 AND NOT (canonical_url = ANY($2))",
                &[&feed, &current],
            )
        })
        .map(|forgotten| usize::try_from(forgotten).unwrap_or(usize::MAX))
    }
}

/// The article stored under `url` (its canonical URL or an alias).
fn article_of(client: &mut impl GenericClient, url: &str) -> Result<Option<i64>, postgres::Error> {
    Ok(client
        .query_opt("SELECT article_id FROM article_urls WHERE url = $1", &[&url])?
        .map(|row| row.get(0)))
}

/// The article whose canonical URL is `url`.
fn article_id(client: &mut impl GenericClient, url: &str) -> Result<Option<i64>, postgres::Error> {
    Ok(client
        .query_opt("SELECT id FROM articles WHERE canonical_url = $1", &[&url])?
        .map(|row| row.get(0)))
}

fn record_aliases(
    client: &mut impl GenericClient,
    article_id: i64,
    aliases: &[Url],
) -> Result<(), postgres::Error> {
    for alias in aliases {
        client.execute(
            "INSERT INTO article_urls (url, article_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            &[&alias.as_str(), &article_id],
        )?;
    }
    Ok(())
}

/// Records the item at `url` as failed `give_up_at` times, so no later poll tries it again.
fn record_given_up(
    client: &mut impl GenericClient,
    feed: &str,
    url: &str,
    error: &str,
    give_up_at: u32,
) -> Result<(), postgres::Error> {
    client
        .execute(
            "INSERT INTO item_failures (canonical_url, feed, attempts, last_error, last_attempt_at)
             VALUES ($1, $2, $3, $4, now())
             ON CONFLICT (canonical_url) DO UPDATE SET attempts = excluded.attempts,
                last_error = excluded.last_error, last_attempt_at = excluded.last_attempt_at",
            &[&url, &feed, &int(give_up_at), &error],
        )
        .map(drop)
}

/// The columns of an article from `title` to `origin`, in the order of the `articles` table (what a rewrite
/// may change: not the URL, feed or file name), as query parameters.
struct Content<'a> {
    record: &'a ArticleRecord,
    published: Option<String>,
    cover_image: Option<&'a str>,
    tags: String,
    origin: &'static str,
}

impl<'a> Content<'a> {
    fn of(record: &'a ArticleRecord) -> Self {
        Self {
            record,
            published: record.published.map(|at| at.to_rfc3339()),
            cover_image: record.cover_image.as_ref().map(Url::as_str),
            tags: serde_json::to_string(&record.tags).unwrap_or_else(|_| "[]".into()),
            origin: record.origin.as_str(),
        }
    }

    fn columns(&self) -> [&(dyn ToSql + Sync); 11] {
        [
            &self.record.title,
            &self.record.date,
            &self.published,
            &self.record.excerpt,
            &self.cover_image,
            &self.record.author,
            &self.tags,
            &self.record.category,
            &self.record.language,
            &self.record.body,
            &self.origin,
        ]
    }
}

/// A row of [`FEED_STATE_COLUMNS`] (first in the row).
fn feed_state(row: &Row) -> FeedState {
    FeedState {
        etag: row.get(0),
        last_modified: row.get(1),
        body_hash: row.get(2),
        last_poll_at: row.get(3),
        last_result: row.get(4),
        last_error: row.get(5),
        consecutive_failures: unsigned(row.get(6)),
        next_poll_at: row.get(7),
        articles_written: unsigned(row.get(8)),
        skipped_items: unsigned(row.get(9)),
        failing_since: row.get(10),
    }
}

/// A row of [`ARTICLE_COLUMNS`].
fn stored_article(row: &Row) -> Result<StoredArticle, postgres::Error> {
    let optional = |index: usize| row.get::<_, Option<String>>(index);
    Ok(StoredArticle {
        id: row.get(0),
        file_name: row.get(1),
        record: ArticleRecord {
            canonical_url: url_column(row, 2)?,
            feed: row.get(3),
            title: row.get(4),
            date: row.get::<_, NaiveDate>(5),
            published: optional(6).and_then(|at| DateTime::parse_from_rfc3339(&at).ok()),
            excerpt: row.get(7),
            cover_image: optional(8).and_then(|cover| Url::parse(&cover).ok()),
            author: optional(9),
            tags: serde_json::from_str(&row.get::<_, String>(10)).unwrap_or_default(),
            category: optional(11),
            language: optional(12),
            body: row.get(13),
            origin: Origin::parse(&row.get::<_, String>(14)),
        },
        updated: optional(15).and_then(|at| DateTime::parse_from_rfc3339(&at).ok()),
        stored_at: row.get(16),
    })
}

/// A URL column; a text that is no URL (only a hand-edited row) is that row's conversion error.
fn url_column(row: &Row, index: usize) -> Result<Url, postgres::Error> {
    row.try_get::<_, StoredUrl>(index).map(|url| url.0)
}

/// A stored URL, parsed as it is read.
struct StoredUrl(Url);

impl<'a> FromSql<'a> for StoredUrl {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(StoredUrl(Url::parse(<&str as FromSql>::from_sql(ty, raw)?)?))
    }

    fn accepts(ty: &Type) -> bool {
        <&str as FromSql>::accepts(ty)
    }
}

/// A count or counter as the integer column holding it.
fn int(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

/// An integer column holding a count (never negative).
fn unsigned(value: i32) -> u32 {
    u32::try_from(value).unwrap_or(0)
}

/// A `COUNT(*)` column.
fn count(row: &Row, index: usize) -> u32 {
    u32::try_from(row.get::<_, i64>(index)).unwrap_or(u32::MAX)
}

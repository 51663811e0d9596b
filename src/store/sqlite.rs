//! The SQLite backend of [`Store`]: one embedded database file, the default.
//!
//! Opening applies the numbered `migrations/sqlite/*.sql` in order, each once and each in its own
//! transaction, tracked with `PRAGMA user_version`. WAL mode lets `tidings status` read while the daemon writes.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use rusqlite::config::DbConfig;
use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags, OptionalExtension, Params, params, params_from_iter};
use url::Url;

use super::{
    ArticleQuery, ArticleSummary, FeedState, FeedStatus, KnownArticle, Lease, PollRecord, SavedState, Store,
    StoreError,
};
use crate::record::{ArticleRecord, Origin, StoredArticle};

mod feed_states;
mod written;

/// The migrations, in order; the number in each file name is its position.
const MIGRATIONS: &[(&str, &str)] = &[
    (
        "0001_initial.sql",
        include_str!("../../migrations/sqlite/0001_initial.sql"),
    ),
    (
        "0002_extractions_in_progress.sql",
        include_str!("../../migrations/sqlite/0002_extractions_in_progress.sql"),
    ),
    (
        "0003_operations.sql",
        include_str!("../../migrations/sqlite/0003_operations.sql"),
    ),
    (
        "0004_pending_files.sql",
        include_str!("../../migrations/sqlite/0004_pending_files.sql"),
    ),
    (
        "0005_written_files.sql",
        include_str!("../../migrations/sqlite/0005_written_files.sql"),
    ),
    (
        "0006_drop_dead_warned_at.sql",
        include_str!("../../migrations/sqlite/0006_drop_dead_warned_at.sql"),
    ),
    (
        "0007_article_updates.sql",
        include_str!("../../migrations/sqlite/0007_article_updates.sql"),
    ),
    (
        "0008_feed_indexes.sql",
        include_str!("../../migrations/sqlite/0008_feed_indexes.sql"),
    ),
];

/// `execute` and `query_row` through rusqlite's statement cache. Parsing a statement cost more CPU than
/// running it on a poll's short queries (a quarter of an unchanged feed's poll), and rusqlite's own
/// `execute`/`query_row` parse anew on every call.
trait CachedStatements {
    fn execute_cached<P: Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize>;
    fn query_row_cached<T, P: Params>(
        &self,
        sql: &str,
        params: P,
        row: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<T>;
}

impl CachedStatements for Connection {
    fn execute_cached<P: Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize> {
        self.prepare_cached(sql)?.execute(params)
    }

    fn query_row_cached<T, P: Params>(
        &self,
        sql: &str,
        params: P,
        row: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<T> {
        self.prepare_cached(sql)?.query_row(params, row)
    }
}

/// Distinct statements the store runs; the cache holds them all so none is parsed twice.
const STATEMENT_CACHE: usize = 128;

/// The SQLite database. One connection behind a mutex: writes are short, and SQLite serialises writers anyway.
pub struct Sqlite {
    path: PathBuf,
    /// Device and inode of the file opened, to notice it being removed or replaced.
    identity: Option<(u64, u64)>,
    connection: Mutex<Connection>,
    /// Held by a writer for as long as the database is open; `None` when opened read-only.
    _writer: Option<super::lock::WriterLock>,
}

impl Sqlite {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(folder) = path.parent().filter(|folder| !folder.as_os_str().is_empty()) {
            std::fs::create_dir_all(folder).map_err(|source| StoreError::Folder {
                path: path.to_path_buf(),
                source,
            })?;
        }
        let writer = super::lock::acquire(path)?;
        let sqlite = |source| StoreError::Sqlite {
            path: path.to_path_buf(),
            source,
        };
        let mut connection = Connection::open(path).map_err(sqlite)?;
        connection.busy_timeout(Duration::from_secs(10)).map_err(sqlite)?;
        connection.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        // A cached statement is otherwise parsed again whenever a bound value the planner looked at changes
        // (with STAT4, SQLite's build here, that was every poll's query of its feed's files); one plan per
        // statement is what a cache is for.
        connection
            .set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)
            .map_err(sqlite)?;
        // `cache_size` 8 MiB (SQLite's default is 2): the index pages every poll reads (its feed's state,
        // files, failures) stay in memory at 10,000 feeds instead of being read from the file again.
        connection
            .execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;
                 PRAGMA cache_size = -8192;",
            )
            .map_err(sqlite)?;
        migrate(&mut connection, path)?;
        Ok(Self {
            path: path.to_path_buf(),
            identity: file_identity(path),
            connection: Mutex::new(connection),
            _writer: Some(writer),
        })
    }

    /// Opens an existing, up-to-date database for reading only: never creates, migrates or writes it
    /// (`tidings status` and `tidings articles` must not change what they look at).
    pub fn open_read_only(path: &Path) -> Result<Self, StoreError> {
        if !path.is_file() {
            return Err(StoreError::Missing {
                path: path.to_path_buf(),
            });
        }
        let sqlite = |source| StoreError::Sqlite {
            path: path.to_path_buf(),
            source,
        };
        let connection = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(sqlite)?;
        connection.busy_timeout(Duration::from_secs(10)).map_err(sqlite)?;
        let found: i64 = connection
            .query_row_cached("PRAGMA user_version", [], |row| row.get(0))
            .map_err(sqlite)?;
        let known = MIGRATIONS.len();
        match usize::try_from(found) {
            Ok(version) if version == known => Ok(Self {
                path: path.to_path_buf(),
                identity: file_identity(path),
                connection: Mutex::new(connection),
                _writer: None,
            }),
            Ok(version) if version > known => Err(StoreError::TooNew {
                path: path.to_path_buf(),
                found,
                known,
            }),
            _ => Err(StoreError::Outdated {
                path: path.to_path_buf(),
                found,
                known,
            }),
        }
    }

    fn connection(&self) -> MutexGuard<'_, Connection> {
        self.connection.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn error(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }
}

impl Store for Sqlite {
    fn ping(&self) -> Result<(), StoreError> {
        if file_identity(&self.path) != self.identity {
            return Err(StoreError::Gone {
                path: self.path.clone(),
            });
        }
        // Reads the schema page, so an unreadable file fails here rather than passing a bare `SELECT 1`.
        self.connection()
            .query_row_cached("SELECT count(*) FROM sqlite_master", [], |_| Ok(()))
            .map_err(|source| self.error(source))
    }

    fn feed_state(&self, name: &str) -> Result<FeedState, StoreError> {
        self.connection()
            .query_row_cached(
                "SELECT etag, last_modified, body_hash, last_poll_at, last_result, last_error,
                        consecutive_failures, next_poll_at, articles_written, skipped_items, failing_since
                 FROM feeds WHERE name = ?1",
                [name],
                feed_state_from_row,
            )
            .optional()
            .map(Option::unwrap_or_default)
            .map_err(|source| self.error(source))
    }

    fn poll_record(&self, name: &str, max_attempts: u32) -> Result<PollRecord, StoreError> {
        // From a one-row table, so a feed never polled still gets its counts (and default state).
        self.connection()
            .query_row_cached(
                "SELECT f.etag, f.last_modified, f.body_hash, f.last_poll_at, f.last_result, f.last_error,
                        COALESCE(f.consecutive_failures, 0), f.next_poll_at, COALESCE(f.articles_written, 0),
                        COALESCE(f.skipped_items, 0), f.failing_since,
                        (SELECT COUNT(*) FROM item_failures WHERE feed = ?1 AND attempts < ?2),
                        EXISTS (SELECT 1 FROM pending_files WHERE feed = ?1)
                 FROM (SELECT ?1 AS name) AS wanted LEFT JOIN feeds f ON f.name = wanted.name",
                params![name, max_attempts],
                |row| {
                    Ok(PollRecord {
                        state: feed_state_from_row(row)?,
                        retryable_failures: row.get(11)?,
                        pending_files: row.get(12)?,
                    })
                },
            )
            .map_err(|source| self.error(source))
    }

    fn save_feed_state(&self, name: &str, url: &Url, state: &FeedState) -> Result<(), StoreError> {
        let saved = SavedState {
            name: name.to_owned(),
            url: url.clone(),
            state: state.clone(),
        };
        self.write_feed_states(std::slice::from_ref(&saved)).remove(0)
    }

    fn save_feed_states(&self, states: &[SavedState]) -> Vec<Result<(), StoreError>> {
        self.write_feed_states(states)
    }

    fn set_next_poll(&self, name: &str, url: &Url, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.connection()
            .execute_cached(
                "INSERT INTO feeds (name, url, next_poll_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (name) DO UPDATE SET next_poll_at = excluded.next_poll_at, url = excluded.url",
                params![name, url.as_str(), at.to_rfc3339()],
            )
            .map(drop)
            .map_err(|source| self.error(source))
    }

    fn feed_statuses(&self, since: DateTime<Utc>, max_attempts: u32) -> Result<Vec<FeedStatus>, StoreError> {
        let connection = self.connection();
        let mut statement = connection
            .prepare_cached(
                "SELECT etag, last_modified, body_hash, last_poll_at, last_result, last_error,
                        consecutive_failures, next_poll_at, articles_written, skipped_items, failing_since,
                        name, last_success_at,
                        (SELECT COUNT(*) FROM articles WHERE articles.feed = feeds.name),
                        (SELECT COUNT(*) FROM articles WHERE articles.feed = feeds.name
                                AND julianday(articles.created_at) >= julianday(?1)),
                        (SELECT COUNT(*) FROM filtered_items WHERE filtered_items.feed = feeds.name),
                        (SELECT COUNT(*) FROM item_failures WHERE item_failures.feed = feeds.name
                                AND attempts < ?2)
                 FROM feeds ORDER BY name",
            )
            .map_err(|source| self.error(source))?;

        statement
            .query_map(params![since.to_rfc3339(), max_attempts], |row| {
                Ok(FeedStatus {
                    state: feed_state_from_row(row)?,
                    name: row.get(11)?,
                    last_success_at: time_column(row, 12)?,
                    articles_total: row.get(13)?,
                    articles_recent: row.get(14)?,
                    filtered_items: row.get(15)?,
                    pending_failures: row.get(16)?,
                    leased_by: None,
                })
            })
            .and_then(Iterator::collect)
            .map_err(|source| self.error(source))
    }

    fn article_summaries(&self, query: &ArticleQuery) -> Result<Vec<ArticleSummary>, StoreError> {
        let connection = self.connection();
        let search = query.search.as_deref().map(fts_query);
        let mut statement = connection
            .prepare_cached(
                "SELECT feed, title, canonical_url, published, created_at, file_name, id FROM articles
                 WHERE (?1 IS NULL OR feed = ?1)
                   AND (?2 IS NULL OR julianday(created_at) >= julianday(?2))
                   AND (?3 IS NULL OR id IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?3))
                 ORDER BY created_at DESC, id DESC
                 LIMIT ?4",
            )
            .map_err(|source| self.error(source))?;
        statement
            .query_map(
                params![
                    query.feed,
                    query.since.map(|at| at.to_rfc3339()),
                    search,
                    query.limit.map_or(-1, i64::from),
                ],
                |row| {
                    Ok(ArticleSummary {
                        feed: row.get(0)?,
                        title: row.get(1)?,
                        url: url_column(row, 2)?,
                        published: row
                            .get::<_, Option<String>>(3)?
                            .and_then(|at| DateTime::parse_from_rfc3339(&at).ok()),
                        stored_at: time_column(row, 4)?.unwrap_or_default(),
                        file_name: row.get(5)?,
                        id: row.get(6)?,
                    })
                },
            )
            .and_then(Iterator::collect)
            .map_err(|source| self.error(source))
    }

    fn record_filtered(&self, feed: &str, canonical_url: &Url, reason: &str) -> Result<(), StoreError> {
        self.connection()
            .execute_cached(
                "INSERT OR IGNORE INTO filtered_items (canonical_url, feed, reason, filtered_at)
                 VALUES (?1, ?2, ?3, ?4)",
                params![canonical_url.as_str(), feed, reason, Utc::now().to_rfc3339()],
            )
            .map(drop)
            .map_err(|source| self.error(source))
    }

    fn is_filtered(&self, canonical_url: &Url) -> Result<bool, StoreError> {
        self.connection()
            .query_row_cached(
                "SELECT 1 FROM filtered_items WHERE canonical_url = ?1",
                [canonical_url.as_str()],
                |_| Ok(()),
            )
            .optional()
            .map(|found| found.is_some())
            .map_err(|source| self.error(source))
    }

    fn is_known(&self, canonical_url: &Url) -> Result<bool, StoreError> {
        self.connection()
            .query_row_cached(
                "SELECT 1 FROM article_urls WHERE url = ?1",
                [canonical_url.as_str()],
                |_| Ok(()),
            )
            .optional()
            .map(|found| found.is_some())
            .map_err(|source| self.error(source))
    }

    fn insert_article(
        &self,
        record: &ArticleRecord,
        aliases: &[Url],
        name_for: &dyn Fn(u32) -> String,
    ) -> Result<Option<StoredArticle>, StoreError> {
        let mut connection = self.connection();
        let transaction = connection.transaction().map_err(|source| self.error(source))?;
        let stored = (|| {
            let existing: Option<i64> = transaction
                .query_row_cached(
                    "SELECT article_id FROM article_urls WHERE url = ?1",
                    [record.canonical_url.as_str()],
                    |row| row.get(0),
                )
                .optional()?;
            if let Some(article_id) = existing {
                record_aliases(&transaction, article_id, aliases)?;
                return Ok(None);
            }
            let mut attempt = 1;
            let file_name = loop {
                let candidate = name_for(attempt);
                let taken = transaction
                    .query_row_cached(
                        "SELECT 1 FROM articles WHERE file_name = ?1",
                        [&candidate],
                        |_| Ok(()),
                    )
                    .optional()?
                    .is_some();
                if !taken {
                    break candidate;
                }
                attempt += 1;
            };
            let stored_at = Utc::now();
            transaction.execute_cached(
                "INSERT INTO articles (canonical_url, feed, title, date, published, excerpt, cover_image, author,
                                       tags, category, language, body, origin, file_name, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
                params_from_iter(
                    [
                        Value::Text(record.canonical_url.to_string()),
                        Value::Text(record.feed.clone()),
                    ]
                    .into_iter()
                    .chain(content_columns(record))
                    .chain([Value::Text(file_name.clone()), Value::Text(stored_at.to_rfc3339())]),
                ),
            )?;
            let id = transaction.last_insert_rowid();
            record_aliases(&transaction, id, std::slice::from_ref(&record.canonical_url))?;
            record_aliases(&transaction, id, aliases)?;
            transaction.execute_cached(
                "DELETE FROM item_failures WHERE canonical_url = ?1",
                [record.canonical_url.as_str()],
            )?;
            for alias in aliases {
                transaction.execute_cached(
                    "DELETE FROM item_failures WHERE canonical_url = ?1",
                    [alias.as_str()],
                )?;
            }
            Ok(Some(StoredArticle {
                id,
                file_name,
                record: record.clone(),
                updated: None,
                stored_at,
            }))
        })();
        let stored = stored.map_err(|source| self.error(source))?;
        transaction.commit().map_err(|source| self.error(source))?;
        Ok(stored)
    }

    fn add_alias(&self, known: &Url, alias: &Url) -> Result<bool, StoreError> {
        self.connection()
            .execute_cached(
                "INSERT OR IGNORE INTO article_urls (url, article_id)
                 SELECT ?2, article_id FROM article_urls WHERE url = ?1",
                params![known.as_str(), alias.as_str()],
            )
            .map(|inserted| inserted > 0)
            .map_err(|source| self.error(source))
    }

    fn item_attempts(&self, canonical_url: &Url) -> Result<u32, StoreError> {
        self.connection()
            .query_row_cached(
                "SELECT attempts FROM item_failures WHERE canonical_url = ?1",
                [canonical_url.as_str()],
                |row| row.get(0),
            )
            .optional()
            .map(Option::unwrap_or_default)
            .map_err(|source| self.error(source))
    }

    fn record_item_failure(&self, feed: &str, canonical_url: &Url, error: &str) -> Result<u32, StoreError> {
        self.connection()
            .query_row_cached(
                "INSERT INTO item_failures (canonical_url, feed, attempts, last_error, last_attempt_at)
                 VALUES (?1, ?2, 1, ?3, ?4)
                 ON CONFLICT (canonical_url) DO UPDATE SET attempts = attempts + 1,
                    last_error = excluded.last_error, last_attempt_at = excluded.last_attempt_at
                 RETURNING attempts",
                params![canonical_url.as_str(), feed, error, Utc::now().to_rfc3339()],
                |row| row.get(0),
            )
            .map_err(|source| self.error(source))
    }

    fn give_up_item(
        &self,
        feed: &str,
        canonical_url: &Url,
        error: &str,
        give_up_at: u32,
    ) -> Result<(), StoreError> {
        record_given_up(
            &self.connection(),
            feed,
            canonical_url.as_str(),
            error,
            give_up_at,
        )
        .map_err(|source| self.error(source))
    }

    fn begin_extraction(&self, feed: &str, canonical_url: &Url) -> Result<(), StoreError> {
        self.connection()
            .execute_cached(
                "INSERT OR REPLACE INTO extractions_in_progress (canonical_url, feed, started_at)
                 VALUES (?1, ?2, ?3)",
                params![canonical_url.as_str(), feed, Utc::now().to_rfc3339()],
            )
            .map(drop)
            .map_err(|source| self.error(source))
    }

    fn end_extraction(&self, canonical_url: &Url) -> Result<(), StoreError> {
        self.connection()
            .execute_cached(
                "DELETE FROM extractions_in_progress WHERE canonical_url = ?1",
                [canonical_url.as_str()],
            )
            .map(drop)
            .map_err(|source| self.error(source))
    }

    fn fail_interrupted_extractions(&self, give_up_at: u32) -> Result<Vec<(String, String)>, StoreError> {
        let mut connection = self.connection();
        let transaction = connection.transaction().map_err(|source| self.error(source))?;
        let interrupted = (|| {
            let rows: Vec<(String, String)> = transaction
                .prepare_cached(
                    "SELECT feed, canonical_url FROM extractions_in_progress ORDER BY started_at",
                )?
                .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
                .collect::<Result<_, _>>()?;
            for (feed, url) in &rows {
                record_given_up(
                    &transaction,
                    feed,
                    url,
                    "the process stopped while extracting this page (crash, out of memory or kill); not retried",
                    give_up_at,
                )?;
            }
            transaction.execute_cached("DELETE FROM extractions_in_progress", [])?;
            Ok(rows)
        })();
        let interrupted = interrupted.map_err(|source| self.error(source))?;
        transaction.commit().map_err(|source| self.error(source))?;
        Ok(interrupted)
    }

    fn articles_after(&self, after_id: i64, limit: u32) -> Result<Vec<StoredArticle>, StoreError> {
        self.select_articles("WHERE id > ?1 ORDER BY id LIMIT ?2", params![after_id, limit])
    }

    fn article_by_url(&self, canonical_url: &Url) -> Result<Option<StoredArticle>, StoreError> {
        let found = self.select_articles(
            "WHERE id = (SELECT article_id FROM article_urls WHERE url = ?1)
                OR canonical_url = ?1
             LIMIT 1",
            [canonical_url.as_str()],
        )?;
        Ok(found.into_iter().next())
    }

    fn article_at(&self, canonical_url: &Url) -> Result<Option<KnownArticle>, StoreError> {
        let found = self
            .connection()
            .query_row_cached(
                "SELECT a.id, coalesce(a.item_updated, a.created_at) FROM article_urls u
                 JOIN articles a ON a.id = u.article_id WHERE u.url = ?1",
                [canonical_url.as_str()],
                |row| Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?)),
            )
            .optional()
            .map_err(|source| self.error(source))?;
        let Some((id, checked)) = found else {
            return Ok(None);
        };
        Ok(self
            .select_articles("WHERE id = ?1", [id])?
            .pop()
            .map(|article| KnownArticle {
                article,
                text_as_of: DateTime::parse_from_rfc3339(&checked).ok(),
            }))
    }

    fn record_item_update(
        &self,
        id: i64,
        item_updated: DateTime<FixedOffset>,
        rewritten: Option<&ArticleRecord>,
    ) -> Result<(), StoreError> {
        let connection = self.connection();
        let updated = match rewritten {
            None => connection.execute_cached(
                "UPDATE articles SET item_updated = ?2 WHERE id = ?1",
                params![id, item_updated.to_rfc3339()],
            ),
            // URL, feed and file name stay: the article is the same one, its file keeps its name.
            Some(record) => connection.execute_cached(
                "UPDATE articles SET item_updated = ?2, updated = ?2, title = ?3, date = ?4, published = ?5,
                        excerpt = ?6, cover_image = ?7, author = ?8, tags = ?9, category = ?10, language = ?11,
                        body = ?12, origin = ?13
                 WHERE id = ?1",
                params_from_iter(
                    [Value::Integer(id), Value::Text(item_updated.to_rfc3339())]
                        .into_iter()
                        .chain(content_columns(record)),
                ),
            ),
        };
        updated.map(drop).map_err(|source| self.error(source))
    }

    fn record_pending_file(&self, article: &StoredArticle, error: &str) -> Result<(), StoreError> {
        self.connection()
            .execute_cached(
                "INSERT INTO pending_files (article_id, feed, last_error) VALUES (?1, ?2, ?3)
                 ON CONFLICT (article_id) DO UPDATE SET last_error = excluded.last_error",
                params![article.id, article.record.feed, error],
            )
            .map(drop)
            .map_err(|source| self.error(source))
    }

    fn pending_files(&self, feed: &str) -> Result<Vec<StoredArticle>, StoreError> {
        self.select_articles(
            "WHERE id IN (SELECT article_id FROM pending_files WHERE feed = ?1) ORDER BY id",
            [feed],
        )
    }

    fn clear_pending_file(&self, article_id: i64) -> Result<(), StoreError> {
        self.connection()
            .execute_cached("DELETE FROM pending_files WHERE article_id = ?1", [article_id])
            .map(drop)
            .map_err(|source| self.error(source))
    }

    fn lease_feed(
        &self,
        _name: &str,
        _url: &Url,
        _lease: Duration,
        _due_by: Option<DateTime<Utc>>,
    ) -> Result<Lease, StoreError> {
        // The writer lock keeps every other polling process out of this database.
        Ok(Lease::Granted)
    }

    fn shares_feeds(&self) -> bool {
        false
    }

    fn renew_lease(&self, _name: &str, _lease: Duration) -> Result<bool, StoreError> {
        Ok(true)
    }

    fn release_feed(&self, _name: &str) -> Result<(), StoreError> {
        Ok(())
    }

    fn forget_dropped_item_failures(&self, feed: &str, current: &[Url]) -> Result<usize, StoreError> {
        let current: std::collections::HashSet<&str> = current.iter().map(Url::as_str).collect();
        let mut connection = self.connection();
        let transaction = connection.transaction().map_err(|source| self.error(source))?;
        let forgotten = (|| {
            let failed: Vec<String> = transaction
                .prepare_cached("SELECT canonical_url FROM item_failures WHERE feed = ?1")?
                .query_map([feed], |row| row.get(0))?
                .collect::<Result<_, _>>()?;
            let mut forgotten = 0;
            for url in failed.iter().filter(|url| !current.contains(url.as_str())) {
                forgotten += transaction
                    .execute_cached("DELETE FROM item_failures WHERE canonical_url = ?1", [url])?;
            }
            Ok(forgotten)
        })();
        let forgotten = forgotten.map_err(|source| self.error(source))?;
        transaction.commit().map_err(|source| self.error(source))?;
        Ok(forgotten)
    }
}

impl Sqlite {
    /// Articles matching `filter` (a `WHERE`/`ORDER BY` tail over `articles`), fully read.
    pub(super) fn select_articles(
        &self,
        filter: &str,
        parameters: impl rusqlite::Params,
    ) -> Result<Vec<StoredArticle>, StoreError> {
        let connection = self.connection();
        let mut statement = connection
            .prepare_cached(&format!(
                "SELECT id, file_name, canonical_url, feed, title, date, published, excerpt, cover_image, author,
                        tags, category, language, body, origin, updated, created_at
                 FROM articles {filter}"
            ))
            .map_err(|source| self.error(source))?;

        statement
            .query_map(parameters, |row| {
                let text = |index: usize| row.get::<_, String>(index);
                let optional = |index: usize| row.get::<_, Option<String>>(index);
                Ok(StoredArticle {
                    id: row.get(0)?,
                    file_name: text(1)?,
                    record: ArticleRecord {
                        canonical_url: url_column(row, 2)?,
                        feed: text(3)?,
                        title: text(4)?,
                        date: NaiveDate::parse_from_str(&text(5)?, "%Y-%m-%d").unwrap_or_default(),
                        published: optional(6)?.and_then(|at| DateTime::parse_from_rfc3339(&at).ok()),
                        excerpt: text(7)?,
                        cover_image: optional(8)?.and_then(|cover| Url::parse(&cover).ok()),
                        author: optional(9)?,
                        tags: serde_json::from_str(&text(10)?).unwrap_or_default(),
                        category: optional(11)?,
                        language: optional(12)?,
                        body: text(13)?,
                        origin: Origin::parse(&text(14)?),
                    },
                    updated: optional(15)?.and_then(|at| DateTime::parse_from_rfc3339(&at).ok()),
                    stored_at: time_column(row, 16)?.unwrap_or_default(),
                })
            })
            .and_then(Iterator::collect)
            .map_err(|source| self.error(source))
    }
}

/// The columns of `record` from `title` to `origin`, in the order of the `articles` table (what a rewrite
/// may change: not the URL, feed or file name).
fn content_columns(record: &ArticleRecord) -> [Value; 11] {
    let optional = |value: Option<String>| value.map_or(Value::Null, Value::Text);
    [
        Value::Text(record.title.clone()),
        Value::Text(record.date.format("%Y-%m-%d").to_string()),
        optional(record.published.map(|at| at.to_rfc3339())),
        Value::Text(record.excerpt.clone()),
        optional(record.cover_image.as_ref().map(Url::to_string)),
        optional(record.author.clone()),
        Value::Text(serde_json::to_string(&record.tags).unwrap_or_else(|_| "[]".into())),
        optional(record.category.clone()),
        optional(record.language.clone()),
        Value::Text(record.body.clone()),
        Value::Text(record.origin.as_str().to_string()),
    ]
}

/// Records the item at `url` as failed `give_up_at` times, so no later poll tries it again.
fn record_given_up(
    connection: &Connection,
    feed: &str,
    url: &str,
    error: &str,
    give_up_at: u32,
) -> rusqlite::Result<()> {
    connection
        .execute_cached(
            "INSERT INTO item_failures (canonical_url, feed, attempts, last_error, last_attempt_at)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (canonical_url) DO UPDATE SET attempts = excluded.attempts,
                last_error = excluded.last_error, last_attempt_at = excluded.last_attempt_at",
            params![url, feed, give_up_at, error, Utc::now().to_rfc3339()],
        )
        .map(drop)
}

fn record_aliases(
    transaction: &rusqlite::Transaction,
    article_id: i64,
    aliases: &[Url],
) -> rusqlite::Result<()> {
    for alias in aliases {
        transaction.execute_cached(
            "INSERT OR IGNORE INTO article_urls (url, article_id) VALUES (?1, ?2)",
            params![alias.as_str(), article_id],
        )?;
    }
    Ok(())
}

fn feed_state_from_row(row: &rusqlite::Row) -> rusqlite::Result<FeedState> {
    Ok(FeedState {
        etag: row.get(0)?,
        last_modified: row.get(1)?,
        body_hash: row.get(2)?,
        last_poll_at: time_column(row, 3)?,
        last_result: row.get(4)?,
        last_error: row.get(5)?,
        consecutive_failures: row.get(6)?,
        next_poll_at: time_column(row, 7)?,
        articles_written: row.get(8)?,
        skipped_items: row.get(9)?,
        failing_since: time_column(row, 10)?,
    })
}

/// An RFC 3339 text column as UTC; unreadable text counts as absent.
fn time_column(row: &rusqlite::Row, index: usize) -> rusqlite::Result<Option<DateTime<Utc>>> {
    Ok(row
        .get::<_, Option<String>>(index)?
        .and_then(|at| DateTime::parse_from_rfc3339(&at).ok())
        .map(|at| at.with_timezone(&Utc)))
}

fn url_column(row: &rusqlite::Row, index: usize) -> rusqlite::Result<Url> {
    Url::parse(&row.get::<_, String>(index)?).map_err(|error| {
        rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, Box::new(error))
    })
}

/// Turns free text into an FTS5 query: each word quoted (so `-`, `:` or `AND` in it are plain text) and all
/// words required.
fn fts_query(text: &str) -> String {
    text.split_whitespace()
        .map(|word| format!("\"{}\"", word.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Device and inode of the file at `path`, or `None` when there is none.
fn file_identity(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path)
        .ok()
        .map(|metadata| (metadata.dev(), metadata.ino()))
}

fn migrate(connection: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let sqlite = |source| StoreError::Sqlite {
        path: path.to_path_buf(),
        source,
    };
    let applied: i64 = connection
        .query_row_cached("PRAGMA user_version", [], |row| row.get(0))
        .map_err(sqlite)?;
    if applied > MIGRATIONS.len() as i64 {
        return Err(StoreError::TooNew {
            path: path.to_path_buf(),
            found: applied,
            known: MIGRATIONS.len(),
        });
    }
    for (index, (name, sql)) in MIGRATIONS
        .iter()
        .enumerate()
        .skip(usize::try_from(applied).unwrap_or(0))
    {
        let failed = |source| StoreError::Migration {
            path: path.to_path_buf(),
            migration: name,
            source,
        };
        let transaction = connection.transaction().map_err(failed)?;
        transaction.execute_batch(sql).map_err(failed)?;
        transaction
            .pragma_update(None, "user_version", i64::try_from(index + 1).unwrap_or(i64::MAX))
            .map_err(failed)?;
        transaction.commit().map_err(failed)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{FileState, WrittenFiles};

    #[test]
    fn every_migration_file_is_listed_in_order() {
        let files = crate::store::migration_files("sqlite");
        let listed: Vec<&str> = MIGRATIONS.iter().map(|(name, _)| *name).collect();
        assert_eq!(files, listed);
        for (index, name) in listed.iter().enumerate() {
            assert!(
                name.starts_with(&format!("{:04}_", index + 1)),
                "{name} is out of sequence"
            );
        }
    }

    #[test]
    fn ping_fails_once_the_file_is_removed_or_replaced() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.db");
        let store = Sqlite::open(&path).expect("open");
        store.ping().expect("a fresh database answers");
        let aside = dir.path().join("aside.db");
        std::fs::rename(&path, &aside).expect("move away");
        assert!(matches!(store.ping(), Err(StoreError::Gone { .. })));
        std::fs::copy(&aside, &path).expect("a copy in its place");
        assert!(
            matches!(store.ping(), Err(StoreError::Gone { .. })),
            "a copy is not the file in use"
        );
        std::fs::remove_file(&path).expect("remove copy");
        std::fs::rename(&aside, &path).expect("move back");
        store.ping().expect("the same file back in place");
    }

    #[test]
    fn migrations_apply_once_and_reopen_is_a_no_op() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("nested/t.db");
        drop(Sqlite::open(&path).expect("first open"));
        let store = Sqlite::open(&path).expect("second open");
        let version: i64 = store
            .connection()
            .query_row_cached("PRAGMA user_version", [], |row| row.get(0))
            .expect("version");
        assert_eq!(version, MIGRATIONS.len() as i64);
    }

    #[test]
    fn start_up_reads_only_unsettled_articles_page_by_page_and_finds_articles_by_alias() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Sqlite::open(&dir.path().join("t.db")).expect("open");
        let mut ids = Vec::new();
        for n in 0..5 {
            let mut record = crate::output::tests::record("t");
            record.canonical_url = Url::parse(&format!("https://news.example/{n}")).expect("url");
            if n == 4 {
                record.body.clear();
            }
            let alias = Url::parse(&format!("https://alias.example/{n}")).expect("alias");
            let stored = store
                .insert_article(&record, &[alias], &|_| format!("{n}.md"))
                .expect("insert")
                .expect("new");
            ids.push(stored.id);
        }
        store
            .set_file("out", ids[0], "0.md", FileState::Written)
            .expect("written");
        store
            .set_file("out", ids[1], "1.md", FileState::Deleted)
            .expect("tombstone");
        store
            .set_file("out", ids[2], "2.md", FileState::Writing)
            .expect("claimed");
        store
            .set_file("other", ids[3], "3.md", FileState::Written)
            .expect("other renderer");

        let first = store.unwritten_articles("out", 0, 1).expect("page");
        assert_eq!(first.iter().map(|a| a.id).collect::<Vec<_>>(), [ids[2]]);
        let second = store.unwritten_articles("out", ids[2], 1).expect("page");
        assert_eq!(second.iter().map(|a| a.id).collect::<Vec<_>>(), [ids[3]]);
        assert!(
            store
                .unwritten_articles("out", ids[3], 1)
                .expect("page")
                .is_empty()
        );

        let all: Vec<i64> = store
            .articles_after(ids[1], 2)
            .expect("page")
            .iter()
            .map(|a| a.id)
            .collect();
        assert_eq!(all, [ids[2], ids[3]]);

        let by_alias = Url::parse("https://alias.example/3").expect("alias");
        assert_eq!(
            store.article_by_url(&by_alias).expect("lookup").map(|a| a.id),
            Some(ids[3])
        );
        let unknown = Url::parse("https://news.example/none").expect("url");
        assert!(store.article_by_url(&unknown).expect("lookup").is_none());
    }

    #[test]
    fn a_database_from_before_0006_loses_the_unused_dead_warned_at_column() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.db");
        let columns = |connection: &Connection| -> Vec<String> {
            let mut statement = connection
                .prepare_cached("SELECT name FROM pragma_table_info('feeds')")
                .expect("table info");
            statement
                .query_map([], |row| row.get(0))
                .and_then(Iterator::collect)
                .expect("columns")
        };
        {
            // The schema as a build that knew only migrations 0001–0005 left it.
            let connection = Connection::open(&path).expect("create");
            for (index, (_, sql)) in MIGRATIONS.iter().take(5).enumerate() {
                connection.execute_batch(sql).expect("old migration");
                connection
                    .pragma_update(None, "user_version", index as i64 + 1)
                    .expect("version");
            }
            assert!(columns(&connection).contains(&"dead_warned_at".to_string()));
        }
        let store = Sqlite::open(&path).expect("upgrade");
        let upgraded = columns(&store.connection());
        assert!(!upgraded.contains(&"dead_warned_at".to_string()), "{upgraded:?}");
        assert!(upgraded.contains(&"failing_since".to_string()));
    }
}

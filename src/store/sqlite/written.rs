//! The SQLite written-files record (`written_files`, migration 0004).

use chrono::{NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::{CachedStatements, Sqlite};
use crate::record::StoredArticle;
use crate::store::StoreError;
use crate::store::written::{FileState, WrittenFile, WrittenFiles};

/// The columns [`written_file`] reads, for queries that join `w` and `a` their own way.
macro_rules! columns {
    () => {
        "SELECT w.article_id, w.path, w.state, a.feed, a.date"
    };
}
const SELECT: &str = concat!(
    columns!(),
    " FROM written_files w JOIN articles a ON a.id = w.article_id"
);

fn written_file(row: &rusqlite::Row) -> rusqlite::Result<WrittenFile> {
    Ok(WrittenFile {
        article_id: row.get(0)?,
        path: row.get(1)?,
        state: FileState::parse(&row.get::<_, String>(2)?),
        feed: row.get(3)?,
        // `YYYY-MM-DD`, as stored; `parse` reads it without a format string to interpret on every row.
        date: row.get::<_, String>(4)?.parse::<NaiveDate>().unwrap_or_default(),
    })
}

fn free_name(
    connection: &Connection,
    renderer: &str,
    article_id: i64,
    name_for: &dyn Fn(u32) -> String,
    is_free: &dyn Fn(&str) -> bool,
) -> rusqlite::Result<String> {
    let mut attempt = 1;
    loop {
        let candidate = name_for(attempt);
        let held = connection
            .query_row_cached(
                "SELECT 1 FROM written_files WHERE renderer = ?1 AND path = ?2 AND article_id != ?3",
                params![renderer, candidate, article_id],
                |_| Ok(()),
            )
            .optional()?
            .is_some();
        // Ends: only finitely many names are held or present on disk.
        if !held && is_free(&candidate) {
            return Ok(candidate);
        }
        attempt += 1;
    }
}

impl WrittenFiles for Sqlite {
    fn written_files(&self, renderer: &str, feed: Option<&str>) -> Result<Vec<WrittenFile>, StoreError> {
        // Both start from the `(feed, date)` index, which holds every column read from `articles`: a lookup in
        // the table itself lands on the row's page, next to its body, one page per article (most of the cost
        // of checking 30,000 files). CROSS JOIN fixes that order; by feed, the index is also the way in (with
        // `?2 IS NULL OR a.feed = ?2` SQLite walked every record of the renderer on each feed's poll).
        let query = concat!(
            columns!(),
            " FROM articles a INDEXED BY articles_feed_date
              CROSS JOIN written_files w ON w.renderer = ?1 AND w.article_id = a.id"
        );
        // Sorted here, in place: SQLite's sorter held a second copy of every record (30,000 at 10,000 feeds).
        let query = match feed {
            Some(_) => format!("{query} WHERE a.feed = ?2"),
            None => format!("{query} WHERE ?2 IS NULL"),
        };
        let connection = self.connection();
        let mut statement = connection
            .prepare_cached(&query)
            .map_err(|source| self.error(source))?;
        let mut records: Vec<WrittenFile> = statement
            .query_map(params![renderer, feed], written_file)
            .and_then(Iterator::collect)
            .map_err(|source| self.error(source))?;
        records.sort_unstable_by_key(|record| record.article_id);
        Ok(records)
    }

    fn claim_file(
        &self,
        renderer: &str,
        article_id: i64,
        name_for: &dyn Fn(u32) -> String,
        is_free: &dyn Fn(&str) -> bool,
    ) -> Result<WrittenFile, StoreError> {
        let mut connection = self.connection();
        let transaction = connection.transaction().map_err(|source| self.error(source))?;
        let claimed = (|| {
            let existing = transaction
                .query_row_cached(
                    &format!("{SELECT} WHERE w.renderer = ?1 AND w.article_id = ?2"),
                    params![renderer, article_id],
                    written_file,
                )
                .optional()?;
            if let Some(existing) = existing {
                return Ok(existing);
            }
            let path = free_name(&transaction, renderer, article_id, name_for, is_free)?;
            transaction.execute_cached(
                "INSERT INTO written_files (renderer, article_id, path, state, changed_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    renderer,
                    article_id,
                    path,
                    FileState::Writing.as_str(),
                    Utc::now().to_rfc3339()
                ],
            )?;
            transaction.query_row_cached(
                &format!("{SELECT} WHERE w.renderer = ?1 AND w.article_id = ?2"),
                params![renderer, article_id],
                written_file,
            )
        })()
        .map_err(|source| self.error(source))?;
        transaction.commit().map_err(|source| self.error(source))?;
        Ok(claimed)
    }

    fn free_file_name(
        &self,
        renderer: &str,
        article_id: i64,
        name_for: &dyn Fn(u32) -> String,
        is_free: &dyn Fn(&str) -> bool,
    ) -> Result<String, StoreError> {
        free_name(&self.connection(), renderer, article_id, name_for, is_free)
            .map_err(|source| self.error(source))
    }

    fn set_file(
        &self,
        renderer: &str,
        article_id: i64,
        path: &str,
        state: FileState,
    ) -> Result<(), StoreError> {
        self.connection()
            .execute_cached(
                "INSERT INTO written_files (renderer, article_id, path, state, changed_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (renderer, article_id) DO UPDATE SET
                    path = excluded.path, state = excluded.state, changed_at = excluded.changed_at",
                params![
                    renderer,
                    article_id,
                    path,
                    state.as_str(),
                    Utc::now().to_rfc3339()
                ],
            )
            .map(drop)
            .map_err(|source| self.error(source))
    }

    fn unwritten_articles(
        &self,
        renderer: &str,
        after_id: i64,
        limit: u32,
    ) -> Result<Vec<StoredArticle>, StoreError> {
        // The ids come from the `(feed, date)` index, so only the articles that lack a file are read from the
        // table: walking the table visits each article's page (with the start of its body), which on every
        // start-up cost more than the whole check of the files. `octet_length`, not `body != ''`: SQLite tells a
        // text's length from the row header, without reading the body from its overflow pages.
        self.select_articles(
            "WHERE id IN (SELECT a.id FROM articles a INDEXED BY articles_feed_date
                          WHERE a.id > ?2
                            AND NOT EXISTS (SELECT 1 FROM written_files w
                                            WHERE w.renderer = ?1 AND w.article_id = a.id
                                              AND w.state != 'writing'))
               AND octet_length(body) > 0
             ORDER BY id LIMIT ?3",
            params![renderer, after_id, limit],
        )
    }

    fn forget_file(&self, renderer: &str, article_id: i64) -> Result<bool, StoreError> {
        self.connection()
            .execute_cached(
                "DELETE FROM written_files WHERE renderer = ?1 AND article_id = ?2",
                params![renderer, article_id],
            )
            .map(|deleted| deleted > 0)
            .map_err(|source| self.error(source))
    }
}

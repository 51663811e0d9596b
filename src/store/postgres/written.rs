//! The PostgreSQL written-files record: as on SQLite, plus the instance, so each instance keeps its own
//! record of its own output folders however the folders are named.

use postgres::{GenericClient, Row};

use super::{ARTICLE_COLUMNS, Postgres, stored_article};
use crate::record::StoredArticle;
use crate::store::StoreError;
use crate::store::written::{FileState, WrittenFile, WrittenFiles};

const SELECT: &str = "SELECT w.article_id, w.path, w.state, a.feed, a.date
                      FROM written_files w JOIN articles a ON a.id = w.article_id";

fn written_file(row: &Row) -> WrittenFile {
    WrittenFile {
        article_id: row.get(0),
        path: row.get(1),
        state: FileState::parse(row.get(2)),
        feed: row.get(3),
        date: row.get(4),
    }
}

impl Postgres {
    fn free_name(
        &self,
        client: &mut impl GenericClient,
        renderer: &str,
        article_id: i64,
        name_for: &dyn Fn(u32) -> String,
        is_free: &dyn Fn(&str) -> bool,
    ) -> Result<String, postgres::Error> {
        let mut attempt = 1;
        loop {
            let candidate = name_for(attempt);
            let held = client
                .query_opt(
                    "SELECT 1 FROM written_files
                     WHERE instance = $1 AND renderer = $2 AND path = $3 AND article_id != $4",
                    &[&self.instance, &renderer, &candidate, &article_id],
                )?
                .is_some();
            // Ends: only finitely many names are held or present on disk.
            if !held && is_free(&candidate) {
                return Ok(candidate);
            }
            attempt += 1;
        }
    }

    fn record_of(
        &self,
        client: &mut impl GenericClient,
        renderer: &str,
        article_id: i64,
    ) -> Result<Option<WrittenFile>, postgres::Error> {
        Ok(client
            .query_opt(
                &format!("{SELECT} WHERE w.instance = $1 AND w.renderer = $2 AND w.article_id = $3"),
                &[&self.instance, &renderer, &article_id],
            )?
            .map(|row| written_file(&row)))
    }
}

impl WrittenFiles for Postgres {
    fn written_files(&self, renderer: &str, feed: Option<&str>) -> Result<Vec<WrittenFile>, StoreError> {
        self.with(|client| {
            Ok(client
                .query(
                    &format!(
                        "{SELECT} WHERE w.instance = $1 AND w.renderer = $2 AND ($3::text IS NULL OR a.feed = $3)
                         ORDER BY w.article_id"
                    ),
                    &[&self.instance, &renderer, &feed],
                )?
                .iter()
                .map(written_file)
                .collect())
        })
    }

    fn claim_file(
        &self,
        renderer: &str,
        article_id: i64,
        name_for: &dyn Fn(u32) -> String,
        is_free: &dyn Fn(&str) -> bool,
    ) -> Result<WrittenFile, StoreError> {
        self.transaction(|transaction| {
            if let Some(existing) = self.record_of(transaction, renderer, article_id)? {
                return Ok(existing);
            }
            let path = self.free_name(transaction, renderer, article_id, name_for, is_free)?;
            transaction.execute(
                "INSERT INTO written_files (instance, renderer, article_id, path, state, changed_at)
                 VALUES ($1, $2, $3, $4, $5, now())",
                &[
                    &self.instance,
                    &renderer,
                    &article_id,
                    &path,
                    &FileState::Writing.as_str(),
                ],
            )?;
            Ok(self
                .record_of(transaction, renderer, article_id)?
                .expect("inserted in this transaction"))
        })
    }

    fn free_file_name(
        &self,
        renderer: &str,
        article_id: i64,
        name_for: &dyn Fn(u32) -> String,
        is_free: &dyn Fn(&str) -> bool,
    ) -> Result<String, StoreError> {
        self.with(|client| self.free_name(&mut **client, renderer, article_id, name_for, is_free))
    }

    fn set_file(
        &self,
        renderer: &str,
        article_id: i64,
        path: &str,
        state: FileState,
    ) -> Result<(), StoreError> {
        self.with(|client| {
            client.execute(
                "INSERT INTO written_files (instance, renderer, article_id, path, state, changed_at)
                 VALUES ($1, $2, $3, $4, $5, now())
                 ON CONFLICT (instance, renderer, article_id) DO UPDATE SET
                    path = excluded.path, state = excluded.state, changed_at = excluded.changed_at",
                &[&self.instance, &renderer, &article_id, &path, &state.as_str()],
            )
        })
        .map(drop)
    }

    fn forget_file(&self, renderer: &str, article_id: i64) -> Result<bool, StoreError> {
        self.with(|client| {
            client.execute(
                "DELETE FROM written_files WHERE instance = $1 AND renderer = $2 AND article_id = $3",
                &[&self.instance, &renderer, &article_id],
            )
        })
        .map(|deleted| deleted > 0)
    }

    fn unwritten_articles(
        &self,
        renderer: &str,
        after_id: i64,
        limit: u32,
    ) -> Result<Vec<StoredArticle>, StoreError> {
        self.with(|client| {
            client
                .query(
                    &format!(
                        "{ARTICLE_COLUMNS} FROM articles a WHERE a.id > $3 AND octet_length(a.body) > 0 AND NOT EXISTS (
                            SELECT 1 FROM written_files w
                            WHERE w.instance = $1 AND w.renderer = $2 AND w.article_id = a.id
                              AND w.state <> 'writing')
                         ORDER BY a.id LIMIT $4"
                    ),
                    &[&self.instance, &renderer, &after_id, &i64::from(limit)],
                )?
                .iter()
                .map(stored_article)
                .collect()
        })
    }
}

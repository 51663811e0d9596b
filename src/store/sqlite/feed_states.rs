//! Saving feed states, several in one transaction: every poll ends by saving its feed's state, and a
//! transaction of its own per poll (WAL frames written, locks taken, now and then a checkpoint) was a large
//! share of an unchanged feed's poll. The pipeline hands over the states of the polls that end together.

use rusqlite::{Connection, params};

use super::{CachedStatements, Sqlite};
use crate::store::{SavedState, StoreError};

impl Sqlite {
    /// Writes `states` in one transaction, or each alone if that fails
    /// ([`together_else_each_alone`](crate::store::together_else_each_alone)).
    pub(super) fn write_feed_states(&self, states: &[SavedState]) -> Vec<Result<(), StoreError>> {
        let mut connection = self.connection();
        crate::store::together_else_each_alone(states, |batch| {
            write(&mut connection, batch).map_err(|source| self.error(source))
        })
    }
}

fn write(connection: &mut Connection, batch: &[SavedState]) -> rusqlite::Result<()> {
    let transaction = connection.transaction()?;
    for SavedState { name, url, state } in batch {
        let succeeded = state.last_result.as_deref() != Some("failed");
        transaction.execute_cached(
            "INSERT INTO feeds (name, url, etag, last_modified, body_hash, last_poll_at, last_success_at,
                                last_result, last_error, consecutive_failures, next_poll_at, articles_written,
                                skipped_items, failing_since)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, CASE WHEN ?7 THEN ?6 END, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
             ON CONFLICT (name) DO UPDATE SET
                url = excluded.url, etag = excluded.etag, last_modified = excluded.last_modified,
                body_hash = excluded.body_hash, last_poll_at = excluded.last_poll_at,
                last_success_at = COALESCE(excluded.last_success_at, feeds.last_success_at),
                last_result = excluded.last_result, last_error = excluded.last_error,
                consecutive_failures = excluded.consecutive_failures,
                next_poll_at = excluded.next_poll_at, articles_written = excluded.articles_written,
                skipped_items = excluded.skipped_items, failing_since = excluded.failing_since",
            params![
                name,
                url.as_str(),
                state.etag,
                state.last_modified,
                state.body_hash,
                state.last_poll_at.map(|at| at.to_rfc3339()),
                succeeded,
                state.last_result,
                state.last_error,
                state.consecutive_failures,
                state.next_poll_at.map(|at| at.to_rfc3339()),
                state.articles_written,
                state.skipped_items,
                state.failing_since.map(|at| at.to_rfc3339()),
            ],
        )?;
    }
    transaction.commit()
}

#[cfg(test)]
mod tests {
    use url::Url;

    use super::*;
    use crate::store::{FeedState, Store};

    #[test]
    fn states_are_written_together_and_a_refused_one_fails_alone() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("tidings.db");
        let store = Sqlite::open(&path).expect("open");
        rusqlite::Connection::open(&path)
            .expect("second connection")
            .execute_batch(
                "CREATE TRIGGER refuse BEFORE INSERT ON feeds WHEN NEW.name = 'bad'
                 BEGIN SELECT RAISE(ABORT, 'refused'); END;",
            )
            .expect("trigger");
        let url = Url::parse("https://news.example/feed").expect("url");
        let states: Vec<SavedState> = ["good-0", "good-1", "bad", "good-2"]
            .into_iter()
            .map(|name| SavedState {
                name: name.into(),
                url: url.clone(),
                state: FeedState {
                    etag: Some(format!("\"{name}\"")),
                    ..FeedState::default()
                },
            })
            .collect();
        let results = store.save_feed_states(&states);
        assert_eq!(results.len(), states.len());
        for (saved, result) in states.iter().zip(&results) {
            if saved.name == "bad" {
                assert!(result.is_err(), "the refused state reports its error");
                assert_eq!(store.feed_state("bad").expect("read"), FeedState::default());
            } else {
                assert!(result.is_ok(), "{}: {result:?}", saved.name);
                assert_eq!(store.feed_state(&saved.name).expect("read"), saved.state);
            }
        }
    }
}

//! Saving feed states with group commit. Every poll ends by saving its feed's state, and a transaction of
//! its own per poll (WAL frames written, locks taken, now and then a checkpoint) was a large share of an
//! unchanged feed's poll. A save queues its state and then waits for the connection; whoever gets the
//! connection first writes every queued state in one transaction, so the savers that queued meanwhile find
//! theirs already committed and return at once.

use std::sync::{Mutex, MutexGuard, PoisonError};

use rusqlite::{Connection, params};
use url::Url;

use super::{CachedStatements, Sqlite};
use crate::store::{FeedState, StoreError};

/// One feed's state waiting to be written.
struct Queued {
    /// Numbers saves in queue order: every number up to [`Queue::committed`] is written (or its saver got
    /// the error).
    ticket: u64,
    name: String,
    url: String,
    state: FeedState,
}

#[derive(Default)]
struct Queue {
    waiting: Vec<Queued>,
    issued: u64,
    committed: u64,
}

/// Feed states queued for the next transaction.
#[derive(Default)]
pub(super) struct StateQueue(Mutex<Queue>);

impl StateQueue {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Sqlite {
    pub(super) fn save_feed_state_grouped(
        &self,
        name: &str,
        url: &Url,
        state: &FeedState,
    ) -> Result<(), StoreError> {
        let ticket = {
            let mut queue = self.states.lock();
            queue.issued += 1;
            let ticket = queue.issued;
            queue.waiting.push(Queued {
                ticket,
                name: name.to_owned(),
                url: url.as_str().to_owned(),
                state: state.clone(),
            });
            ticket
        };
        let mut connection = self.connection();
        let batch = {
            let mut queue = self.states.lock();
            if queue.committed >= ticket {
                return Ok(());
            }
            std::mem::take(&mut queue.waiting)
        };
        let last = batch.iter().map(|queued| queued.ticket).max().unwrap_or(ticket);
        let written = write(&mut connection, &batch);
        let mut queue = self.states.lock();
        match written {
            Ok(()) => {
                queue.committed = queue.committed.max(last);
                Ok(())
            }
            Err(source) if batch.len() == 1 => Err(self.error(source)),
            Err(_) => {
                // One state the database refuses must not fail the others with it: they go back in the queue
                // for their own savers, and ours is tried alone.
                let (ours, mut others): (Vec<Queued>, Vec<Queued>) =
                    batch.into_iter().partition(|queued| queued.ticket == ticket);
                others.append(&mut queue.waiting);
                queue.waiting = others;
                drop(queue);
                write(&mut connection, &ours).map_err(|source| self.error(source))
            }
        }
    }
}

fn write(connection: &mut Connection, batch: &[Queued]) -> rusqlite::Result<()> {
    let transaction = connection.transaction()?;
    for Queued { name, url, state, .. } in batch {
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
                url,
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
    use super::*;
    use crate::store::Store;

    #[test]
    fn queued_states_are_written_together_and_a_refused_one_fails_alone() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("tidings.db");
        let store = std::sync::Arc::new(Sqlite::open(&path).expect("open"));
        rusqlite::Connection::open(&path)
            .expect("second connection")
            .execute_batch(
                "CREATE TRIGGER refuse BEFORE INSERT ON feeds WHEN NEW.name = 'bad'
                 BEGIN SELECT RAISE(ABORT, 'refused'); END;",
            )
            .expect("trigger");
        let url = Url::parse("https://news.example/feed").expect("url");
        let names: Vec<String> = (0..8)
            .map(|n| format!("good-{n}"))
            .chain(["bad".into()])
            .collect();
        // Holding the connection makes every saver queue first, so one of them writes them all at once.
        let held = store.connection();
        let savers: Vec<_> = names
            .iter()
            .map(|name| {
                let (store, name, url) = (std::sync::Arc::clone(&store), name.clone(), url.clone());
                std::thread::spawn(move || {
                    let state = FeedState {
                        etag: Some(format!("\"{name}\"")),
                        ..FeedState::default()
                    };
                    store.save_feed_state(&name, &url, &state)
                })
            })
            .collect();
        while store.states.lock().waiting.len() < names.len() {
            std::thread::yield_now();
        }
        drop(held);
        let results: Vec<_> = savers
            .into_iter()
            .map(|saver| saver.join().expect("joined"))
            .collect();
        for (name, result) in names.iter().zip(&results) {
            if name == "bad" {
                assert!(result.is_err(), "the refused state reports its error");
            } else {
                assert!(result.is_ok(), "{name}: {result:?}");
                assert_eq!(
                    store.feed_state(name).expect("read").etag,
                    Some(format!("\"{name}\"")),
                    "{name} is stored"
                );
            }
        }
        assert_eq!(store.feed_state("bad").expect("read"), FeedState::default());
        assert!(store.states.lock().waiting.is_empty());
    }
}

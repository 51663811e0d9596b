//! Saving feed states in batches. Every poll ends by saving its feed's state, and a trip to a blocking
//! thread and a transaction per poll were a large share of an unchanged poll's CPU. A poll queues its state
//! and waits; one writer at a time gathers states for a moment, saves everything queued in one store call
//! ([`Store::save_feed_states`]) and answers each poll, while the states of polls ending meanwhile queue for
//! its next round.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::oneshot;

use super::PipelineError;
use crate::store::{SavedState, Store, StoreError};

type Answer = oneshot::Sender<Result<(), StoreError>>;

/// How long a writer lets states gather before each round. Polls end one by one, and a writer that took
/// only what was already queued committed a few states at a time; at 10,000 unchanged feeds per cycle this
/// makes rounds of dozens, and delays a poll's end by no more than this.
const GATHER: Duration = Duration::from_millis(10);

#[derive(Default)]
struct Queue {
    waiting: Vec<(SavedState, Answer)>,
    /// A writer task is running; it takes whatever is queued before it ends.
    writing: bool,
}

/// The queue of states to save, shared by every poll of a pipeline.
#[derive(Clone, Default)]
pub(super) struct StateSaver(Arc<Mutex<Queue>>);

impl StateSaver {
    /// Saves `saved` in the next batch and returns once it is committed (or refused).
    pub async fn save(&self, store: &Arc<dyn Store>, saved: SavedState) -> Result<(), PipelineError> {
        let (answer, answered) = oneshot::channel();
        let start_writer = {
            let mut queue = self.0.lock().unwrap_or_else(PoisonError::into_inner);
            queue.waiting.push((saved, answer));
            !std::mem::replace(&mut queue.writing, true)
        };
        if start_writer {
            // A task of its own, not the poll's future: a poll cancelled while writing (daemon shutdown) must
            // not leave the others' states unwritten.
            tokio::spawn(write_queued(Arc::clone(&self.0), Arc::clone(store)));
        }
        match answered.await {
            Ok(result) => Ok(result?),
            Err(_) => Err(PipelineError::StateNotSaved),
        }
    }
}

async fn write_queued(queue: Arc<Mutex<Queue>>, store: Arc<dyn Store>) {
    loop {
        tokio::time::sleep(GATHER).await;
        let batch = {
            let mut queue = queue.lock().unwrap_or_else(PoisonError::into_inner);
            if queue.waiting.is_empty() {
                queue.writing = false;
                return;
            }
            std::mem::take(&mut queue.waiting)
        };
        let (states, answers): (Vec<SavedState>, Vec<Answer>) = batch.into_iter().unzip();
        let store = Arc::clone(&store);
        // A failed task drops the answers: their polls report the state as not saved.
        if let Ok(results) = tokio::task::spawn_blocking(move || store.save_feed_states(&states)).await {
            for (answer, result) in answers.into_iter().zip(results) {
                let _ = answer.send(result);
            }
        }
    }
}

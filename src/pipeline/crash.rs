//! Containing panics: a bug triggered by one hostile feed or page must cost that feed or item one failed
//! attempt (logged, recorded, retried with backoff), never the process or the other feeds' polls (issue 7).

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;

/// A unit of work panicked; the message is the panic's own, for the log and the failure record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("internal error (panic): {message}")]
pub struct Crash {
    pub message: String,
}

/// Runs `work`, turning a panic inside it into a [`Crash`]. Dropping the returned future drops the work, so
/// cancellation (shutdown) still reaches it.
pub async fn contained<F: Future>(work: F) -> Result<F::Output, Crash> {
    // The work's state is dropped with the panic; nothing half-updated is observed afterwards, because
    // shared state (the store, host limits) recovers from lock poisoning on its own.
    AssertUnwindSafe(work)
        .catch_unwind()
        .await
        .map_err(|payload| Crash {
            message: panic_message(payload.as_ref()),
        })
}

/// The text a panic was raised with (`panic!("…")` gives a `&str` or a `String`).
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|text| (*text).to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panic_becomes_a_crash_with_its_message_and_later_work_still_runs() {
        let crashed = contained(async {
            let depth: usize = "3".parse().unwrap_or(0);
            if depth > 2 {
                panic!("nested too deep: {depth}");
            }
            depth
        })
        .await;
        assert_eq!(
            crashed,
            Err(Crash {
                message: "nested too deep: 3".into()
            })
        );
        assert_eq!(contained(async { 7 }).await, Ok(7));
    }
}

//! Feed leases around a poll: several instances sharing one database poll each feed once per slot. A poll
//! takes the feed's lease first (skipping the feed when another instance holds it, or polled it in this slot
//! already), renews it while it runs, and gives it up once the feed's state and next due time are saved.
//! An instance that dies stops renewing, and its feeds are taken over once the lease runs out.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio_util::task::AbortOnDropHandle;
use tracing::{info, warn};

use super::{FeedOutcome, FeedReport, Pipeline, PipelineError};
use crate::config::FeedConfig;
use crate::store::Lease;

/// Why a feed is polled now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PollSlot {
    /// The daemon's schedule says it is due: skipped when another instance polled it in this slot already.
    Scheduled,
    /// Asked for (`once`): polled unless another instance is polling it right now.
    OnDemand,
}

impl Pipeline {
    /// Takes `feed`'s lease for this poll; `Some` is the report of a poll skipped because another instance
    /// has the feed (its next poll says when to look again).
    pub(super) async fn take_lease(
        &self,
        feed: &FeedConfig,
        slot: PollSlot,
    ) -> Result<Option<FeedReport>, PipelineError> {
        let (name, url, lease) = (feed.name.clone(), feed.url.clone(), self.settings.lease);
        let due_by = (slot == PollSlot::Scheduled).then(Utc::now);
        let lease = self
            .on_store(move |store| store.lease_feed(&name, &url, lease, due_by))
            .await?;
        let (reason, look_again) = match lease {
            Lease::Granted => return Ok(None),
            Lease::Held { by, until } => {
                info!(feed = %feed.name, url = %feed.url, instance = %by, until = %until, "feed skipped: another instance is polling it");
                (format!("being polled by instance {by}"), until)
            }
            Lease::NotDue { next_poll_at } => {
                info!(feed = %feed.name, url = %feed.url, next_poll = %next_poll_at, "feed skipped: another instance polled it in this slot");
                (
                    "polled by another instance in this slot".to_string(),
                    next_poll_at,
                )
            }
        };
        Ok(Some(skipped(feed, reason, look_again)))
    }

    /// Renews `feed`'s lease every third of its length until the returned handle is dropped.
    pub(super) fn keep_lease(&self, feed: &FeedConfig) -> AbortOnDropHandle<()> {
        let (store, name, url, lease) = (
            Arc::clone(&self.store),
            feed.name.clone(),
            feed.url.clone(),
            self.settings.lease,
        );
        AbortOnDropHandle::new(tokio::spawn(async move {
            loop {
                tokio::time::sleep(lease / 3).await;
                let (store, renewed_name) = (Arc::clone(&store), name.clone());
                let renewed =
                    tokio::task::spawn_blocking(move || store.renew_lease(&renewed_name, lease)).await;
                match renewed {
                    Ok(Ok(true)) => {}
                    Ok(Ok(false)) => {
                        warn!(feed = %name, url = %url, lease_s = lease.as_secs_f64(), "lost the feed's lease: this poll ran past it and another instance took the feed over");
                        return;
                    }
                    Ok(Err(error)) => {
                        warn!(feed = %name, url = %url, error = %error, "cannot renew the feed's lease; retrying")
                    }
                    Err(_) => return,
                }
            }
        }))
    }

    /// Gives up `feed`'s lease after its poll; on failure the lease simply runs out.
    pub(super) async fn release_lease(&self, feed: &FeedConfig) {
        let name = feed.name.clone();
        if let Err(error) = self.on_store(move |store| store.release_feed(&name)).await {
            warn!(feed = %feed.name, url = %feed.url, error = %error, "cannot release the feed's lease; it runs out by itself");
        }
    }
}

fn skipped(feed: &FeedConfig, reason: String, look_again: DateTime<Utc>) -> FeedReport {
    let mut report = FeedReport::new(feed);
    report.outcome = FeedOutcome::Skipped { reason };
    report.next_poll = look_again;
    report.elapsed = Duration::ZERO;
    report
}

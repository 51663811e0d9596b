//! Flow control: how much work may sit between stages at once, so peak memory does not grow with the number
//! of feeds or items due (issue 11; the bounded item queue of issue 7).
//!
//! - A poll needs a poll place ([`Pipeline::poll_place`](super::Pipeline::poll_place)): at most
//!   [`MAX_POLLS`] feeds are between their fetch and their last item. The place is taken before the poll's
//!   task is spawned, so the rest wait holding nothing but their config: a spawned task that waits holds
//!   its whole future (about 10 KB), and 10,000 feeds due at once held 100 MB that way.
//! - A poll's items go through a bounded queue: at most [`ITEMS_PER_POLL`] of them are in progress, not one
//!   task per item spawned at once.
//! - A page is fetched only when it can be extracted soon: its download needs a share of the
//!   [`PAGE_QUEUE_BYTES`] budget (pages between download and the end of their extraction), so downloads
//!   never pile up in memory behind the extraction slots. A page is charged its real size once downloaded.
//!
//! Every bound counts its holders and waiters in the [`Metrics`] (queue depths on `/metrics`).

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::metrics::{Counted, Metrics, Queue};

/// Feeds polled at once. Each waits mostly on the network (and on per-host spacing), so this is well above
/// the request concurrency; what a poll holds meanwhile is its parsed items, small next to pages.
pub(super) const MAX_POLLS: usize = 256;
/// Items of one poll in progress at once.
pub(super) const ITEMS_PER_POLL: usize = 8;
/// Bytes of pages downloaded or downloading but not yet extracted, across the process.
pub(super) const PAGE_QUEUE_BYTES: usize = 16 * 1024 * 1024;
/// What a page download reserves before its size is known: a large news page.
const EXPECTED_PAGE_BYTES: usize = 1024 * 1024;
/// Budget unit: permits count KiB, so a 16 MB body fits in a semaphore's permit count with room to spare.
const UNIT: usize = 1024;

/// A bounded stage: at most its capacity of holders at once, holders and waiters counted in the metrics.
#[derive(Clone)]
pub struct Slots {
    semaphore: Arc<Semaphore>,
    metrics: Arc<Metrics>,
    queue: Queue,
}

/// A place held in [`Slots`], given back when dropped.
pub struct Slot {
    _permit: Option<OwnedSemaphorePermit>,
    _held: Counted,
}

impl Slots {
    pub fn new(capacity: usize, queue: Queue, metrics: &Arc<Metrics>) -> Self {
        metrics.set_capacity(queue, capacity);
        Self {
            semaphore: Arc::new(Semaphore::new(capacity)),
            metrics: Arc::clone(metrics),
            queue,
        }
    }

    /// Waits for a place.
    pub async fn enter(&self) -> Slot {
        let waiting = self.metrics.wait(self.queue);
        // The semaphore is never closed, so this only fails in theory; then the work goes unbounded.
        let permit = Arc::clone(&self.semaphore).acquire_owned().await.ok();
        drop(waiting);
        Slot {
            _permit: permit,
            _held: self.metrics.hold(self.queue),
        }
    }

    /// A place if one is free now.
    pub fn try_enter(&self) -> Option<Slot> {
        let permit = Arc::clone(&self.semaphore).try_acquire_owned().ok()?;
        Some(Slot {
            _permit: Some(permit),
            _held: self.metrics.hold(self.queue),
        })
    }

    /// Counts one waiter (kept outside [`Slots::enter`], e.g. a due feed queued by the daemon) until the
    /// returned guard drops.
    pub fn waiting(&self) -> Counted {
        self.metrics.wait(self.queue)
    }
}

/// The byte budget of the page queue between fetch and extract.
#[derive(Clone)]
pub(super) struct PageQueue {
    units: Arc<Semaphore>,
    metrics: Arc<Metrics>,
}

/// A page's place in the queue, held from before its download until its extraction ends.
pub(super) struct PageSlot {
    queue: PageQueue,
    permit: Option<OwnedSemaphorePermit>,
}

impl PageQueue {
    pub(super) fn new(metrics: &Arc<Metrics>) -> Self {
        metrics.set_page_queue_capacity(PAGE_QUEUE_BYTES);
        Self {
            units: Arc::new(Semaphore::new(PAGE_QUEUE_BYTES / UNIT)),
            metrics: Arc::clone(metrics),
        }
    }

    /// Waits until a typical page fits in the queue, then reserves room for it.
    pub(super) async fn reserve(&self) -> PageSlot {
        let mut slot = PageSlot {
            queue: self.clone(),
            permit: None,
        };
        slot.replace(self.acquire(EXPECTED_PAGE_BYTES).await);
        slot
    }

    async fn acquire(&self, bytes: usize) -> Option<OwnedSemaphorePermit> {
        let units = bytes.div_ceil(UNIT).clamp(1, PAGE_QUEUE_BYTES / UNIT);
        let units = u32::try_from(units).unwrap_or(u32::MAX);
        let _waiting = self.metrics.page_waiting();
        // The semaphore is never closed, so this only fails in theory; then the page goes unaccounted.
        Arc::clone(&self.units).acquire_many_owned(units).await.ok()
    }
}

impl PageSlot {
    /// Charges the downloaded page's real size. A smaller page returns the rest of its reservation; a larger
    /// one gives its reservation back before waiting for the full amount, so two large pages can never each
    /// hold half the budget and wait for the other.
    pub(super) async fn charge(&mut self, bytes: usize) {
        let units = u32::try_from(bytes.div_ceil(UNIT).max(1)).unwrap_or(u32::MAX);
        let held = self.permit.as_ref().map_or(0, |permit| permit.num_permits());
        if (units as usize) <= held {
            if let Some(permit) = self.permit.as_mut()
                && let Some(rest) = permit.split(held - units as usize)
            {
                self.queue.metrics.page_bytes(0, rest.num_permits() * UNIT);
            }
        } else {
            self.replace(None);
            let permit = self.queue.acquire(bytes).await;
            self.replace(permit);
        }
    }

    /// Holds `permit` instead of the current one, keeping the metrics' byte count in step.
    fn replace(&mut self, permit: Option<OwnedSemaphorePermit>) {
        let units = |permit: &Option<OwnedSemaphorePermit>| permit.as_ref().map_or(0, |p| p.num_permits());
        self.queue
            .metrics
            .page_bytes(units(&permit) * UNIT, units(&self.permit) * UNIT);
        self.permit = permit;
    }
}

impl Drop for PageSlot {
    fn drop(&mut self) {
        self.replace(None);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn free_kib(queue: &PageQueue) -> usize {
        queue.units.available_permits()
    }

    #[tokio::test]
    async fn a_page_is_charged_its_real_size_once_downloaded() {
        let queue = PageQueue::new(&Arc::default());
        let total = free_kib(&queue);
        let mut slot = queue.reserve().await;
        assert_eq!(free_kib(&queue), total - EXPECTED_PAGE_BYTES / UNIT);
        slot.charge(100 * 1024).await;
        assert_eq!(free_kib(&queue), total - 100);
        slot.charge(3 * 1024 * 1024).await;
        assert_eq!(free_kib(&queue), total - 3 * 1024);
        assert_eq!(queue.metrics.page_queue().0, 3 * 1024 * 1024);
        drop(slot);
        assert_eq!(free_kib(&queue), total);
        assert_eq!(queue.metrics.page_queue(), (0, PAGE_QUEUE_BYTES as u64, 0));
    }

    #[tokio::test(start_paused = true)]
    async fn downloads_wait_while_the_queue_is_full() {
        let queue = PageQueue::new(&Arc::default());
        let mut held = Vec::new();
        for _ in 0..PAGE_QUEUE_BYTES / EXPECTED_PAGE_BYTES {
            held.push(queue.reserve().await);
        }
        let waiting = tokio::time::timeout(Duration::from_secs(60), queue.reserve()).await;
        assert!(waiting.is_err(), "a download must wait for room in the queue");
        held.pop();
        let admitted = tokio::time::timeout(Duration::from_secs(1), queue.reserve()).await;
        assert!(
            admitted.is_ok(),
            "room freed by an extraction admits the next download"
        );
    }

    #[tokio::test]
    async fn a_page_larger_than_the_whole_queue_still_passes_alone() {
        let queue = PageQueue::new(&Arc::default());
        let mut slot = queue.reserve().await;
        slot.charge(PAGE_QUEUE_BYTES * 4).await;
        assert_eq!(free_kib(&queue), 0);
        drop(slot);
        assert_eq!(free_kib(&queue), PAGE_QUEUE_BYTES / UNIT);
    }
}

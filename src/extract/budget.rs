//! What one extraction may spend, and the typed outcome when a page asks for more.
//!
//! A page is written by a stranger: a few megabytes of tiny elements, or markup that makes the parser's
//! work grow faster than the page, must not hold an extraction slot or the process's memory for long. Time
//! is the CPU time of the extracting thread (an extraction runs on one thread from start to end), so a
//! busy machine does not fail innocent pages; it is checked while parsing and between passes. Nodes are
//! the parsed tree's elements, text runs and comments, checked while parsing, before most memory is
//! spent. Exceeding either ends the extraction with [`ExtractError`], so the caller can use the feed's own
//! content or record the item as failed with the reason.

use std::time::Duration;

/// Limits for one extraction (see the module docs). [`Budget::default`] suits the daemon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// CPU time for parsing, cleaning, scoring and rendering one page.
    pub max_time: Duration,
    /// Nodes of the parsed tree (elements, text runs, comments). Real article pages have a few thousand;
    /// the largest reference pages have about 100,000.
    pub max_nodes: usize,
}

/// Typical pages take a few milliseconds; this is for the pathological ones.
const DEFAULT_MAX_TIME: Duration = Duration::from_secs(10);
/// About 150 MB of tree and index at the most (see the README's memory figures).
const DEFAULT_MAX_NODES: usize = 400_000;

impl Default for Budget {
    fn default() -> Self {
        Budget {
            max_time: DEFAULT_MAX_TIME,
            max_nodes: DEFAULT_MAX_NODES,
        }
    }
}

/// Why an extraction stopped without an article.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtractError {
    #[error("the page has more than {limit} nodes (extraction budget)")]
    TooManyNodes { limit: usize },
    #[error("extraction took longer than {} ms (extraction budget)", limit.as_millis())]
    OutOfTime { limit: Duration },
}

/// A running extraction's account against its [`Budget`].
#[derive(Debug, Clone, Copy)]
pub(super) struct Meter {
    started: Duration,
    budget: Budget,
}

/// CPU time the calling thread has used so far.
fn thread_cpu_time() -> Duration {
    let now = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    Duration::new(
        u64::try_from(now.tv_sec).unwrap_or(0),
        u32::try_from(now.tv_nsec).unwrap_or(0),
    )
}

impl Meter {
    pub fn start(budget: Budget) -> Self {
        Meter {
            started: thread_cpu_time(),
            budget,
        }
    }

    pub fn check_time(&self) -> Result<(), ExtractError> {
        if thread_cpu_time().saturating_sub(self.started) > self.budget.max_time {
            Err(ExtractError::OutOfTime {
                limit: self.budget.max_time,
            })
        } else {
            Ok(())
        }
    }

    pub fn check_nodes(&self, nodes: usize) -> Result<(), ExtractError> {
        if nodes > self.budget.max_nodes {
            Err(ExtractError::TooManyNodes {
                limit: self.budget.max_nodes,
            })
        } else {
            Ok(())
        }
    }
}

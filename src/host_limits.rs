//! Politeness per host: how many requests may be in flight to one `host:port`, how far apart their starts
//! must be, and whether the host asked us to back off (HTTP 429). Shared by feed and page fetches, so a site
//! sees one well-behaved client however many of its feeds and articles are due.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use url::Url;

/// The longest a host may put itself in the penalty box with one `Retry-After`.
const MAX_COOL_DOWN: Duration = Duration::from_secs(24 * 3600);

/// Per-host limits shared by every fetch in the process.
#[derive(Clone)]
pub struct HostLimits {
    per_host_concurrency: usize,
    interval: Duration,
    hosts: Arc<Mutex<HashMap<String, Arc<HostSlot>>>>,
}

struct HostSlot {
    in_flight: Arc<Semaphore>,
    timing: Mutex<HostTiming>,
}

#[derive(Default)]
struct HostTiming {
    /// The earliest moment the next request may start.
    next_start: Option<Instant>,
    /// Until when the host asked us to stay away.
    cool_down_until: Option<Instant>,
}

/// A request to this host may not start yet because it answered 429 earlier.
#[derive(Debug, Clone, Copy)]
pub struct CoolingDown {
    pub remaining: Duration,
}

/// A host's turn: held from before a request to it until the request ends. Taking the turn waits out the
/// host's concurrency and spacing without holding anything else, so a caller can then wait for its own
/// limits (a global request slot, room for a page) only once the host is ready.
pub struct HostPermit {
    _permit: OwnedSemaphorePermit,
    slot: Arc<HostSlot>,
    interval: Duration,
}

impl HostPermit {
    /// Marks the request as starting now. If another request to the host started while this one waited
    /// for other limits, waits out the spacing again first, so starts stay `interval` apart.
    pub async fn begin(&self) {
        loop {
            let wait_until = {
                let mut timing = lock(&self.slot.timing);
                let now = Instant::now();
                match timing.next_start {
                    Some(next) if next > now => next,
                    _ => {
                        timing.next_start = Some(now + self.interval);
                        return;
                    }
                }
            };
            tokio::time::sleep_until(wait_until).await;
        }
    }
}

impl HostLimits {
    pub fn new(per_host_concurrency: usize, interval: Duration) -> Self {
        Self {
            per_host_concurrency: per_host_concurrency.max(1),
            interval,
            hosts: Arc::default(),
        }
    }

    /// Waits for a free slot and the host's spacing, then returns the host's turn; the request's start is
    /// recorded by [`HostPermit::begin`]. Fails at once when the host is cooling down, so no task sits on a
    /// slot for minutes.
    pub async fn acquire(&self, url: &Url) -> Result<HostPermit, CoolingDown> {
        let slot = self.slot(url);
        let permit = Arc::clone(&slot.in_flight)
            .acquire_owned()
            .await
            .map_err(|_| CoolingDown {
                remaining: Duration::ZERO,
            })?;
        let start_at = {
            let timing = lock(&slot.timing);
            let now = Instant::now();
            if let Some(until) = timing.cool_down_until.filter(|until| *until > now) {
                return Err(CoolingDown {
                    remaining: until - now,
                });
            }
            timing.next_start.map_or(now, |next| next.max(now))
        };
        tokio::time::sleep_until(start_at).await;
        Ok(HostPermit {
            _permit: permit,
            slot,
            interval: self.interval,
        })
    }

    /// Records a 429/503 from the host: no request to it starts for `retry_after` (capped at a day).
    pub fn cool_down(&self, url: &Url, retry_after: Duration) {
        let slot = self.slot(url);
        let mut timing = lock(&slot.timing);
        let until = Instant::now() + retry_after.min(MAX_COOL_DOWN);
        timing.cool_down_until = Some(timing.cool_down_until.map_or(until, |current| current.max(until)));
    }

    fn slot(&self, url: &Url) -> Arc<HostSlot> {
        let key = host_key(url);
        let mut hosts = lock(&self.hosts);
        Arc::clone(hosts.entry(key).or_insert_with(|| {
            Arc::new(HostSlot {
                in_flight: Arc::new(Semaphore::new(self.per_host_concurrency)),
                timing: Mutex::default(),
            })
        }))
    }
}

/// `host:port`, the unit of politeness (two ports on one host are two servers as far as load goes).
pub fn host_key(url: &Url) -> String {
    format!(
        "{}:{}",
        url.host_str().unwrap_or(""),
        url.port_or_known_default().unwrap_or(0)
    )
}

/// A poisoned lock only means another task panicked mid-update of plain timing data; keep going with it.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).expect("test url")
    }

    #[tokio::test(start_paused = true)]
    async fn starts_are_spaced_per_host_and_hosts_are_independent() {
        let limits = HostLimits::new(4, Duration::from_secs(2));
        let begin = Instant::now();
        let a = limits.acquire(&url("http://a.test/1")).await.ok();
        a.as_ref().expect("a's turn").begin().await;
        let b = limits.acquire(&url("http://a.test/2")).await.ok();
        b.as_ref().expect("b's turn").begin().await;
        assert_eq!(Instant::now() - begin, Duration::from_secs(2));
        let c = limits.acquire(&url("http://b.test/1")).await.ok();
        c.as_ref().expect("c's turn").begin().await;
        assert_eq!(
            Instant::now() - begin,
            Duration::from_secs(2),
            "another host must not wait"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn turns_taken_together_still_start_spaced() {
        let limits = HostLimits::new(2, Duration::from_secs(2));
        let begin = Instant::now();
        let a = limits.acquire(&url("http://a.test/1")).await.expect("a's turn");
        let b = limits.acquire(&url("http://a.test/2")).await.expect("b's turn");
        assert_eq!(
            Instant::now(),
            begin,
            "neither has started, so neither waits for a turn"
        );
        a.begin().await;
        b.begin().await;
        assert_eq!(Instant::now() - begin, Duration::from_secs(2));
    }

    #[tokio::test(start_paused = true)]
    async fn cool_down_blocks_only_that_host_and_port() {
        let limits = HostLimits::new(1, Duration::ZERO);
        limits.cool_down(&url("http://a.test:8080/feed"), Duration::from_secs(120));
        assert!(limits.acquire(&url("http://a.test:8080/x")).await.is_err());
        assert!(limits.acquire(&url("http://a.test:9090/x")).await.is_ok());
        tokio::time::advance(Duration::from_secs(121)).await;
        assert!(limits.acquire(&url("http://a.test:8080/x")).await.is_ok());
    }

    #[test]
    fn host_key_includes_default_port() {
        assert_eq!(host_key(&url("https://Example.com/a")), "example.com:443");
    }
}

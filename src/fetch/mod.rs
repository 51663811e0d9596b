//! HTTP: one GET, done politely and defensively. Conditional requests, bounded redirects and body size,
//! timeouts, and errors classified so the scheduler knows whether to retry soon or back off.
//!
//! Knows nothing of feeds or articles: a URL in, bytes and caching facts out. Two kinds of URL: the admin's
//! (configured feed URLs, trusted) and the content's (item links, images), which go through the SSRF
//! [`guard`] on every connection.

mod guard;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap, HeaderValue};
use url::Url;

pub use guard::{ALLOW_SETTING, AddressPolicy, AddressRefused, is_public};

use crate::host_limits::{HostLimits, HostPermit};
use crate::metrics::Metrics;

/// Bodies larger than this are refused: no real feed or article page comes near it, and a runaway or
/// hostile response must not take the daemon's memory with it.
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;
/// Article pages (content URLs) larger than this are refused. Extraction briefly needs up to ~70× a page's
/// size (a page of tiny elements: 16 MB measured at ~1 GB), so this bounds one extraction slot at ~350 MB;
/// slots are one per core. Real article pages are far below it.
pub const MAX_PAGE_BYTES: usize = 5 * 1024 * 1024;
const MAX_REDIRECTS: usize = 8;
/// Idle keep-alive connections kept per host, and for how long: enough to reuse a connection between a
/// feed and its pages, without thousands of hosts pinning thousands of descriptors.
const IDLE_CONNECTIONS_PER_HOST: usize = 2;
const IDLE_CONNECTION_TIMEOUT: Duration = Duration::from_secs(30);
/// Guarded clients kept for reuse; past this many distinct address policies the cache starts over.
const GUARDED_CLIENTS: usize = 64;

/// Validators from an earlier response, sent back so an unchanged resource costs a 304.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// A successful response, read whole.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The URL after redirects.
    pub final_url: Url,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
    /// Validators to store for the next conditional request.
    pub validators: Validators,
    /// The server's freshness lifetime (`Cache-Control: max-age`, else `Expires`).
    pub fresh_for: Option<Duration>,
    pub elapsed: Duration,
}

/// What a GET produced.
#[derive(Debug)]
pub enum FetchOutcome {
    /// 304: the resource is unchanged since the validators were issued.
    NotModified {
        fresh_for: Option<Duration>,
    },
    Fetched(Fetched),
}

/// Why a GET failed. Every variant names the URL.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("{url}: timed out after {after:?}")]
    Timeout { url: Url, after: Duration },
    #[error("{url}: connection failed: {reason}")]
    Connect { url: Url, reason: String },
    #[error("{url}: HTTP {status}")]
    Status {
        url: Url,
        status: u16,
        /// `Retry-After`, when the server sent one with a 429 or 503.
        retry_after: Option<Duration>,
    },
    /// This process ran out of file descriptors (EMFILE/ENFILE): a local condition, so the item is retried
    /// rather than replaced by the feed's teaser.
    #[error("{url}: out of file descriptors: {reason}")]
    OutOfDescriptors { url: Url, reason: String },
    #[error("{url}: body larger than {limit} bytes")]
    TooLarge { url: Url, limit: usize },
    /// A content URL (or a redirect) led to an internal address: refused, never connected to.
    #[error("{url}: refused: {refused}")]
    Refused { url: Url, refused: Box<AddressRefused> },
    #[error("{url}: host asked us to wait (HTTP 429) for {remaining:?} more")]
    HostCoolingDown { url: Url, remaining: Duration },
    #[error("{url}: {reason}")]
    Other { url: Url, reason: String },
    #[error("cannot build the HTTP client: {reason}")]
    Client { reason: String },
}

impl FetchError {
    /// The server's explicit request for a pause, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            FetchError::Status { retry_after, .. } => *retry_after,
            FetchError::HostCoolingDown { remaining, .. } => Some(*remaining),
            _ => None,
        }
    }

    /// The HTTP status, for logs.
    pub fn status(&self) -> Option<u16> {
        match self {
            FetchError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// The process's HTTP clients plus the per-host limits every request goes through.
#[derive(Clone)]
pub struct Fetcher {
    /// For the admin's own URLs.
    trusted: reqwest::Client,
    /// For content URLs, one client per address policy (most feeds share the public-only one).
    guarded: Arc<Mutex<HashMap<AddressPolicy, reqwest::Client>>>,
    user_agent: String,
    hosts: HostLimits,
    timeout: Duration,
    /// Where responses are counted by status class, when anyone reads them (the daemon's `/metrics`).
    metrics: Option<Arc<Metrics>>,
}

/// Fetches URLs taken from one feed's content: item links, their redirects, images. Every connection goes
/// through the feed's [`AddressPolicy`], unless the admin allowed private addresses for the feed.
#[derive(Clone)]
pub struct ContentFetcher {
    fetcher: Fetcher,
    client: reqwest::Client,
    /// `None` when the feed (or `[settings]`) sets `allow_private_addresses = true`.
    policy: Option<Arc<AddressPolicy>>,
}

impl ContentFetcher {
    /// Waits for `url`'s host to be ready for a request (see [`Fetcher::turn`]); refuses an internal
    /// address at once.
    pub async fn turn(&self, url: &Url) -> Result<HostPermit, FetchError> {
        self.check(url)?;
        self.fetcher.turn(url).await
    }

    /// GETs a content URL unconditionally in a turn taken with [`turn`](Self::turn), with extra request
    /// headers (a site rule's `http_header`), which replace the client's own of the same name. An internal
    /// address anywhere on the way is [`FetchError::Refused`] before any connection to it.
    pub async fn get_in_turn(
        &self,
        turn: HostPermit,
        url: &Url,
        headers: &[(String, String)],
    ) -> Result<FetchOutcome, FetchError> {
        self.check(url)?;
        self.fetcher
            .get_with(&self.client, turn, url, None, headers, MAX_PAGE_BYTES)
            .await
    }

    fn check(&self, url: &Url) -> Result<(), FetchError> {
        if let Some(policy) = &self.policy {
            policy.check_url(url).map_err(|refused| FetchError::Refused {
                url: url.clone(),
                refused: Box::new(refused),
            })?;
        }
        Ok(())
    }
}

impl Fetcher {
    pub fn new(user_agent: &str, timeout: Duration, hosts: HostLimits) -> Result<Self, FetchError> {
        // reqwest is built without a default crypto backend (ring builds far faster than aws-lc-rs); an
        // `Err` here only means another part of the process installed one first, which is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
        Ok(Self {
            trusted: build_client(user_agent, timeout, None)?,
            guarded: Arc::default(),
            user_agent: user_agent.to_string(),
            hosts,
            timeout,
            metrics: None,
        })
    }

    /// The same fetcher, counting every response by status class (and requests without one) in `metrics`.
    pub fn counting_responses(self, metrics: &Arc<Metrics>) -> Self {
        Self {
            metrics: Some(Arc::clone(metrics)),
            ..self
        }
    }

    /// The fetcher for content of the feed at `feed_url`: public addresses, plus the feed host's own
    /// internal addresses (an intranet feed may link to its own server); anything when `allow_private`.
    pub async fn for_content_of(
        &self,
        feed_url: &Url,
        allow_private: bool,
    ) -> Result<ContentFetcher, FetchError> {
        if allow_private {
            return Ok(ContentFetcher {
                fetcher: self.clone(),
                client: self.trusted.clone(),
                policy: None,
            });
        }
        let policy = AddressPolicy {
            also_allowed: guard::internal_addresses_of(feed_url).await,
        };
        let mut guarded = self.guarded.lock().unwrap_or_else(PoisonError::into_inner);
        let client = match guarded.get(&policy) {
            Some(client) => client.clone(),
            None => {
                let client = build_client(&self.user_agent, self.timeout, Some(Arc::new(policy.clone())))?;
                // Intranet feeds each get a client of their own (their host's addresses are allowed); each
                // client keeps a connection pool, so thousands of them would pin memory and descriptors.
                if guarded.len() >= GUARDED_CLIENTS {
                    guarded.clear();
                }
                guarded.insert(policy.clone(), client.clone());
                client
            }
        };
        Ok(ContentFetcher {
            fetcher: self.clone(),
            client,
            policy: Some(Arc::new(policy)),
        })
    }

    /// GETs one of the admin's own URLs, sending `validators` as `If-None-Match` / `If-Modified-Since` when
    /// given.
    pub async fn get(&self, url: &Url, validators: Option<&Validators>) -> Result<FetchOutcome, FetchError> {
        let turn = self.turn(url).await?;
        self.get_in_turn(turn, url, validators).await
    }

    /// Waits until `url`'s host may take another request: its concurrency and spacing (politeness), or
    /// [`FetchError::HostCoolingDown`] at once after a 429. Nothing else is held meanwhile, so callers take
    /// their own slots after this and a host's spacing never idles a global slot.
    pub async fn turn(&self, url: &Url) -> Result<HostPermit, FetchError> {
        self.hosts
            .acquire(url)
            .await
            .map_err(|cooling| FetchError::HostCoolingDown {
                url: url.clone(),
                remaining: cooling.remaining,
            })
    }

    /// [`get`](Self::get) in a turn taken with [`turn`](Self::turn).
    pub async fn get_in_turn(
        &self,
        turn: HostPermit,
        url: &Url,
        validators: Option<&Validators>,
    ) -> Result<FetchOutcome, FetchError> {
        // Most polls end the host's traffic for minutes (a 304, or only known items), so the connection
        // is closed instead of idling in the pool: with thousands of feed hosts polled in one sweep, idle
        // connections held most of the memory and descriptors of an all-304 cycle.
        let close = [("connection".to_string(), "close".to_string())];
        self.get_with(&self.trusted, turn, url, validators, &close, MAX_BODY_BYTES)
            .await
    }

    async fn get_with(
        &self,
        client: &reqwest::Client,
        turn: HostPermit,
        url: &Url,
        validators: Option<&Validators>,
        headers: &[(String, String)],
        limit: usize,
    ) -> Result<FetchOutcome, FetchError> {
        turn.begin().await;
        let started = Instant::now();
        let mut request = client.get(url.clone()).header(
            header::ACCEPT,
            "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, \
             text/html;q=0.9, */*;q=0.8",
        );
        for (name, value) in headers {
            request = request.header(name.as_str(), value.as_str());
        }
        if let Some(validators) = validators {
            if let Some(etag) = &validators.etag {
                request = request.header(header::IF_NONE_MATCH, etag);
            }
            if let Some(last_modified) = &validators.last_modified {
                request = request.header(header::IF_MODIFIED_SINCE, last_modified);
            }
        }
        let sent = request.send().await;
        if let Some(metrics) = &self.metrics {
            metrics.response(sent.as_ref().ok().map(|response| response.status().as_u16()));
        }
        let mut response = sent.map_err(|error| self.classify(url, error))?;
        let status = response.status();
        let headers = response.headers().clone();
        if status == StatusCode::NOT_MODIFIED {
            return Ok(FetchOutcome::NotModified {
                fresh_for: freshness_lifetime(&headers, Utc::now()),
            });
        }
        if !status.is_success() {
            let retry_after = match status {
                StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => {
                    let retry_after = header_str(&headers, header::RETRY_AFTER)
                        .and_then(|value| parse_retry_after(value, Utc::now()));
                    if status == StatusCode::TOO_MANY_REQUESTS {
                        // RFC 6585: without a Retry-After we still slow the host for a minute.
                        self.hosts
                            .cool_down(url, retry_after.unwrap_or(Duration::from_secs(60)));
                    }
                    retry_after
                }
                _ => None,
            };
            return Err(FetchError::Status {
                url: url.clone(),
                status: status.as_u16(),
                retry_after,
            });
        }
        if response
            .content_length()
            .is_some_and(|length| length > limit as u64)
        {
            return Err(FetchError::TooLarge {
                url: url.clone(),
                limit,
            });
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|error| self.classify(url, error))?
        {
            if body.len() + chunk.len() > limit {
                return Err(FetchError::TooLarge {
                    url: url.clone(),
                    limit,
                });
            }
            body.extend_from_slice(&chunk);
        }
        let elapsed = started.elapsed();
        tracing::debug!(
            url = %url,
            status = status.as_u16(),
            bytes = body.len(),
            elapsed_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
            "fetched"
        );
        Ok(FetchOutcome::Fetched(Fetched {
            final_url: response.url().clone(),
            content_type: header_str(&headers, header::CONTENT_TYPE).map(str::to_string),
            body,
            validators: Validators {
                etag: header_str(&headers, header::ETAG).map(str::to_string),
                last_modified: header_str(&headers, header::LAST_MODIFIED).map(str::to_string),
            },
            fresh_for: freshness_lifetime(&headers, Utc::now()),
            elapsed,
        }))
    }

    fn classify(&self, url: &Url, error: reqwest::Error) -> FetchError {
        let url = error.url().cloned().unwrap_or_else(|| url.clone());
        // Every variant names the URL itself (redacted where shown); reqwest's copy in its message would
        // repeat it, credentials and all.
        let error = error.without_url();
        if let Some(refused) = find_cause::<AddressRefused>(&error) {
            FetchError::Refused {
                url,
                refused: Box::new(refused.clone()),
            }
        } else if find_cause::<std::io::Error>(&error)
            .and_then(std::io::Error::raw_os_error)
            .is_some_and(is_descriptor_exhaustion)
        {
            FetchError::OutOfDescriptors {
                url,
                reason: error_chain(&error),
            }
        } else if error.is_timeout() {
            FetchError::Timeout {
                url,
                after: self.timeout,
            }
        } else if error.is_connect() {
            FetchError::Connect {
                url,
                reason: error_chain(&error),
            }
        } else if error.is_redirect() {
            FetchError::Other {
                url,
                reason: format!("more than {MAX_REDIRECTS} redirects"),
            }
        } else {
            FetchError::Other {
                url,
                reason: error_chain(&error),
            }
        }
    }
}

/// A client for the admin's URLs (`guard: None`) or for content URLs under `guard`: bounded redirects, and
/// idle connections per host bounded and timed out.
fn build_client(
    user_agent: &str,
    timeout: Duration,
    guard: Option<Arc<AddressPolicy>>,
) -> Result<reqwest::Client, FetchError> {
    let builder = reqwest::Client::builder()
        .user_agent(user_agent)
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .pool_max_idle_per_host(IDLE_CONNECTIONS_PER_HOST)
        .pool_idle_timeout(IDLE_CONNECTION_TIMEOUT);
    let builder = match guard {
        None => builder.redirect(reqwest::redirect::Policy::limited(MAX_REDIRECTS)),
        // A proxy would resolve names itself, out of the guard's sight: content goes direct.
        Some(policy) => builder
            .no_proxy()
            .dns_resolver(Arc::new(guard::GuardedResolver {
                policy: Arc::clone(&policy),
            }))
            .redirect(reqwest::redirect::Policy::custom(move |attempt| {
                if attempt.previous().len() > MAX_REDIRECTS {
                    attempt.error(format!("more than {MAX_REDIRECTS} redirects"))
                } else if let Err(refused) = policy.check_url(attempt.url()) {
                    attempt.error(refused)
                } else {
                    attempt.follow()
                }
            })),
    };
    builder.build().map_err(|error| FetchError::Client {
        reason: error_chain(&error),
    })
}

/// EMFILE (24: this process) or ENFILE (23: the whole system) out of file descriptors.
fn is_descriptor_exhaustion(code: i32) -> bool {
    matches!(code, 23 | 24)
}

/// The first error of type `E` in `error`'s chain of causes.
fn find_cause<'a, E: std::error::Error + 'static>(
    error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a E> {
    let mut current = Some(error);
    while let Some(error) = current {
        if let Some(found) = error.downcast_ref::<E>() {
            return Some(found);
        }
        current = error.source();
    }
    None
}

/// reqwest's top-level message is often just "error sending request"; the cause is further down.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

fn header_str(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers
        .get(name)
        .and_then(|value: &HeaderValue| value.to_str().ok())
        .map(str::trim)
}

/// `Retry-After` as delay-seconds or an HTTP-date (RFC 9110 §10.2.3).
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    if let Ok(seconds) = value.trim().parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = DateTime::parse_from_rfc2822(value.trim()).ok()?;
    Some((at.with_timezone(&Utc) - now).to_std().unwrap_or(Duration::ZERO))
}

/// The freshness lifetime a response grants (RFC 9111 §4.2.1): `Cache-Control: max-age` (or `s-maxage`),
/// else `Expires` minus now. `no-cache`/`no-store` grant none.
pub fn freshness_lifetime(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    let cache_control = headers
        .get_all(header::CACHE_CONTROL)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|directive| directive.trim().to_ascii_lowercase())
        .collect::<Vec<_>>();
    if cache_control
        .iter()
        .any(|directive| directive == "no-store" || directive == "no-cache")
    {
        return None;
    }
    let max_age = cache_control.iter().find_map(|directive| {
        let (name, value) = directive.split_once('=')?;
        matches!(name.trim(), "max-age" | "s-maxage")
            .then(|| value.trim().trim_matches('"').parse::<u64>().ok())
            .flatten()
    });
    if let Some(seconds) = max_age {
        return (seconds > 0).then(|| Duration::from_secs(seconds));
    }
    let expires = DateTime::parse_from_rfc2822(header_str(headers, header::EXPIRES)?).ok()?;
    (expires.with_timezone(&Utc) - now)
        .to_std()
        .ok()
        .filter(|lifetime| !lifetime.is_zero())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-01-01T10:00:00Z")
            .expect("time")
            .with_timezone(&Utc)
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse_retry_after("120", now()), Some(Duration::from_secs(120)));
        assert_eq!(
            parse_retry_after("Thu, 01 Jan 2026 10:05:00 GMT", now()),
            Some(Duration::from_secs(300))
        );
        assert_eq!(parse_retry_after("soon", now()), None);
    }

    #[test]
    fn freshness_from_cache_control_then_expires() {
        assert_eq!(
            freshness_lifetime(&headers(&[("cache-control", "public, max-age=600")]), now()),
            Some(Duration::from_secs(600))
        );
        assert_eq!(
            freshness_lifetime(&headers(&[("cache-control", "no-cache, max-age=600")]), now()),
            None
        );
        assert_eq!(
            freshness_lifetime(&headers(&[("expires", "Thu, 01 Jan 2026 11:00:00 GMT")]), now()),
            Some(Duration::from_secs(3600))
        );
        assert_eq!(freshness_lifetime(&headers(&[("expires", "0")]), now()), None);
    }
}

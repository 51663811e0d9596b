//! HTTP: one GET, done politely and defensively. Conditional requests, bounded redirects and body size,
//! timeouts, and errors classified so the scheduler knows whether to retry soon or back off.
//!
//! Knows nothing of feeds or articles: a URL in, bytes and caching facts out.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap, HeaderValue};
use url::Url;

use crate::host_limits::HostLimits;

/// Bodies larger than this are refused: no real feed or article page comes near it, and a runaway or
/// hostile response must not take the daemon's memory with it.
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;
const MAX_REDIRECTS: usize = 8;

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
    #[error("{url}: body larger than {limit} bytes")]
    TooLarge { url: Url, limit: usize },
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

/// The process's HTTP client plus the per-host limits every request goes through.
#[derive(Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    hosts: HostLimits,
    timeout: Duration,
}

impl Fetcher {
    pub fn new(user_agent: &str, timeout: Duration, hosts: HostLimits) -> Result<Self, FetchError> {
        // reqwest is built without a default crypto backend (ring builds far faster than aws-lc-rs); an
        // `Err` here only means another part of the process installed one first, which is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .user_agent(user_agent)
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .redirect(reqwest::redirect::Policy::limited(MAX_REDIRECTS))
            .build()
            .map_err(|error| FetchError::Client {
                reason: error_chain(&error),
            })?;
        Ok(Self {
            client,
            hosts,
            timeout,
        })
    }

    /// GETs `url`, sending `validators` as `If-None-Match` / `If-Modified-Since` when given.
    pub async fn get(&self, url: &Url, validators: Option<&Validators>) -> Result<FetchOutcome, FetchError> {
        let _permit = self
            .hosts
            .acquire(url)
            .await
            .map_err(|cooling| FetchError::HostCoolingDown {
                url: url.clone(),
                remaining: cooling.remaining,
            })?;
        let started = Instant::now();
        let mut request = self.client.get(url.clone()).header(
            header::ACCEPT,
            "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, \
             text/html;q=0.9, */*;q=0.8",
        );
        if let Some(validators) = validators {
            if let Some(etag) = &validators.etag {
                request = request.header(header::IF_NONE_MATCH, etag);
            }
            if let Some(last_modified) = &validators.last_modified {
                request = request.header(header::IF_MODIFIED_SINCE, last_modified);
            }
        }
        let mut response = request.send().await.map_err(|error| self.classify(url, error))?;
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
            .is_some_and(|length| length > MAX_BODY_BYTES as u64)
        {
            return Err(FetchError::TooLarge {
                url: url.clone(),
                limit: MAX_BODY_BYTES,
            });
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|error| self.classify(url, error))?
        {
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(FetchError::TooLarge {
                    url: url.clone(),
                    limit: MAX_BODY_BYTES,
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
        if error.is_timeout() {
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

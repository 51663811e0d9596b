//! `tidings status`: each configured feed's health as an admin reads it, built from the configuration and
//! what the database counted. Pure: the caller opens the database read-only and prints the report.

use chrono::{DateTime, Local, SecondsFormat, TimeDelta, Utc};
use serde::{Serialize, Serializer};
use url::Url;

use crate::config::Config;
use crate::redact::{redact, redact_url};
use crate::store::FeedStatus;

/// The window of `articles_24h`.
pub const RECENT: TimeDelta = TimeDelta::hours(24);

/// How a feed stands: its last poll's result, unless it is disabled or has been failing past `dead_after`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FeedResult {
    Ok,
    NotModified,
    /// Fetched and parsed, but the feed lists no items.
    Empty,
    Failed,
    /// Failing without a break for longer than `dead_after`.
    Dead,
    Disabled,
}

impl FeedResult {
    pub fn as_str(self) -> &'static str {
        match self {
            FeedResult::Ok => "ok",
            FeedResult::NotModified => "not-modified",
            FeedResult::Empty => "empty",
            FeedResult::Failed => "failed",
            FeedResult::Dead => "dead",
            FeedResult::Disabled => "disabled",
        }
    }

    /// Reads a stored last result; `None` for a feed never polled (or a word this build does not know).
    fn from_stored(word: &str) -> Option<Self> {
        [Self::Ok, Self::NotModified, Self::Empty, Self::Failed]
            .into_iter()
            .find(|result| result.as_str() == word)
    }
}

/// One feed's row; field names are the `--json` contract (issue 12).
#[derive(Debug, Clone, Serialize)]
pub struct FeedHealth {
    pub name: String,
    /// The configured URL, credentials redacted.
    pub url: String,
    /// `None` (JSON `null`) for an enabled feed never polled.
    pub result: Option<FeedResult>,
    #[serde(serialize_with = "rfc3339")]
    pub last_poll: Option<DateTime<Utc>>,
    #[serde(serialize_with = "rfc3339")]
    pub last_success: Option<DateTime<Utc>>,
    /// `None` for a disabled feed.
    #[serde(serialize_with = "rfc3339")]
    pub next_poll: Option<DateTime<Utc>>,
    pub articles_total: u32,
    pub articles_24h: u32,
    pub consecutive_failures: u32,
    /// Items not made into articles on purpose: rejected by a keep/block filter, or (last poll) without a
    /// usable link.
    pub skipped: u32,
    /// Failed items later polls will retry.
    pub pending_failures: u32,
    /// One line, the URL named once, credentials redacted.
    pub last_error: Option<String>,
    /// The instance polling the feed right now (PostgreSQL shared by several instances); `None` otherwise.
    pub leased_by: Option<String>,
}

/// Sums over every feed; `results` counts feeds per result (`never-polled` for those without one).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Totals {
    pub feeds: usize,
    pub results: std::collections::BTreeMap<&'static str, usize>,
    pub articles_total: u32,
    pub articles_24h: u32,
    pub skipped: u32,
    pub pending_failures: u32,
}

/// The whole report: `{"feeds": […], "totals": {…}}`.
#[derive(Debug, Clone, Serialize)]
pub struct StatusReport {
    pub feeds: Vec<FeedHealth>,
    pub totals: Totals,
}

/// Builds the report for every feed in `config`, in config order, from the `stored` rows (feeds the database
/// knows but the config no longer lists are left out). `dead_after` comes from the config.
pub fn report(config: &Config, stored: &[FeedStatus], now: DateTime<Utc>) -> StatusReport {
    let feeds: Vec<FeedHealth> = config
        .feeds
        .iter()
        .map(|feed| {
            let row = stored.iter().find(|row| row.name == feed.name);
            let state = row.map(|row| &row.state);
            let failures = state.map_or(0, |state| state.consecutive_failures);
            let result = if !feed.enabled {
                Some(FeedResult::Disabled)
            } else if state.is_some_and(|state| state.is_dead(now, config.settings.dead_after)) {
                Some(FeedResult::Dead)
            } else {
                state
                    .and_then(|state| state.last_result.as_deref())
                    .and_then(FeedResult::from_stored)
            };
            FeedHealth {
                name: feed.name.clone(),
                url: redact_url(&feed.url),
                result,
                last_poll: state.and_then(|state| state.last_poll_at),
                last_success: row.and_then(|row| row.last_success_at),
                next_poll: state
                    .and_then(|state| state.next_poll_at)
                    .filter(|_| feed.enabled),
                articles_total: row.map_or(0, |row| row.articles_total),
                articles_24h: row.map_or(0, |row| row.articles_recent),
                consecutive_failures: failures,
                skipped: row.map_or(0, |row| {
                    row.filtered_items.saturating_add(row.state.skipped_items)
                }),
                pending_failures: row.map_or(0, |row| row.pending_failures),
                last_error: state
                    .and_then(|state| state.last_error.as_deref())
                    .map(|error| one_line_error(&feed.url, error)),
                leased_by: row.and_then(|row| row.leased_by.clone()),
            }
        })
        .collect();
    let mut totals = Totals {
        feeds: feeds.len(),
        ..Totals::default()
    };
    for feed in &feeds {
        *totals
            .results
            .entry(feed.result.map_or("never-polled", FeedResult::as_str))
            .or_default() += 1;
        totals.articles_total = totals.articles_total.saturating_add(feed.articles_total);
        totals.articles_24h = totals.articles_24h.saturating_add(feed.articles_24h);
        totals.skipped = totals.skipped.saturating_add(feed.skipped);
        totals.pending_failures = totals.pending_failures.saturating_add(feed.pending_failures);
    }
    StatusReport { feeds, totals }
}

/// The columns of the status table, as `tidings status` prints them and the daemon's status page shows them.
pub const TABLE_HEADERS: [&str; 12] = [
    "feed",
    "result",
    "last poll",
    "last success",
    "next poll",
    "articles",
    "24h",
    "skipped",
    "pending",
    "failures",
    "polled by",
    "last error",
];

/// One feed's cells under [`TABLE_HEADERS`], times in local time.
pub fn table_row(feed: &FeedHealth) -> [String; 12] {
    let result = match feed.result {
        None => "never polled".to_string(),
        Some(result @ (FeedResult::Failed | FeedResult::Dead)) => {
            format!("{} ×{}", result.as_str(), feed.consecutive_failures)
        }
        Some(result) => result.as_str().to_string(),
    };
    [
        feed.name.clone(),
        result,
        local_time(feed.last_poll),
        local_time(feed.last_success),
        local_time(feed.next_poll),
        feed.articles_total.to_string(),
        feed.articles_24h.to_string(),
        feed.skipped.to_string(),
        feed.pending_failures.to_string(),
        feed.consecutive_failures.to_string(),
        feed.leased_by.clone().unwrap_or_else(|| "-".into()),
        feed.last_error.clone().unwrap_or_default(),
    ]
}

/// The line under the table: every total.
pub fn totals_line(totals: &Totals) -> String {
    let results: Vec<String> = totals
        .results
        .iter()
        .map(|(result, count)| format!("{count} {result}"))
        .collect();
    format!(
        "total: {} feeds ({}), {} articles, {} in 24h, {} skipped, {} pending item failures",
        totals.feeds,
        results.join(", "),
        totals.articles_total,
        totals.articles_24h,
        totals.skipped,
        totals.pending_failures
    )
}

/// A time as the admin reads it: local, to the second; `-` for none.
pub fn local_time(at: Option<DateTime<Utc>>) -> String {
    at.map(|at| at.with_timezone(&Local).format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_else(|| "-".into())
}

/// An error message fit for one table cell: whitespace (newlines included) collapsed, the feed's URL named
/// once at the front and credentials in it redacted, wherever the underlying error repeated it.
pub fn one_line_error(url: &Url, error: &str) -> String {
    // Other URLs in the message (where a redirect led) are redacted the same way.
    format!("{}: {}", redact_url(url), redact(&without_url(url, error)))
}

/// `error` on one line with every mention of `url` dropped, for a log line or cell that names the URL
/// itself. Mentions of other URLs (where a redirect led) stay: they say something the URL does not.
pub fn without_url(url: &Url, error: &str) -> String {
    let mut text = error.split_whitespace().collect::<Vec<_>>().join(" ");
    let raw = url.as_str();
    // reqwest wraps the URL as "… for url (URL)"; other layers prefix "URL: ". Drop every mention.
    for wrapped in [
        format!(" for url ({raw})"),
        format!("({raw})"),
        format!("{raw}: "),
        raw.to_string(),
    ] {
        text = text.replace(&wrapped, "");
    }
    text.trim_matches(|c: char| c == ':' || c.is_whitespace())
        .to_string()
}

fn rfc3339<S: Serializer>(at: &Option<DateTime<Utc>>, serializer: S) -> Result<S::Ok, S::Error> {
    match at {
        Some(at) => serializer.serialize_str(&at.to_rfc3339_opts(SecondsFormat::Secs, true)),
        None => serializer.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_error_names_the_url_once_on_one_line() {
        let url = Url::parse("https://bob:pw@example.com/rss").expect("url");
        let raw = url.as_str();
        let error = format!("{raw}: error sending request for url ({raw})\n  caused by: connection refused");
        let line = one_line_error(&url, &error);
        assert_eq!(
            line,
            "https://***@example.com/rss: error sending request caused by: connection refused"
        );
        assert!(!line.contains("pw"));
    }
}

//! `/metrics`: the registry in the Prometheus text exposition format, version 0.0.4. Each family has its
//! `# HELP` and `# TYPE` line; label values (feed names are the admin's free text) are escaped as the format
//! requires: backslash, double quote and line feed.
//!
//! Per-feed series are listed for every configured feed, polled yet or not, so a dashboard sees a new feed
//! at zero; a feed never successful has no last-success sample rather than a 1970 one.

use std::fmt::{Display, Write};
use std::sync::Arc;

use crate::config::Config;
use crate::metrics::{Fallback, FeedMetrics, Metrics, POLL_RESULTS, Queue, QueueGauge, RESPONSE_CLASSES};

pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The whole exposition for the feeds of `config`.
pub fn render(metrics: &Metrics, config: &Config) -> String {
    let mut out = Exposition::default();
    let feeds: Vec<(&str, Option<Arc<FeedMetrics>>)> = config
        .feeds
        .iter()
        .map(|feed| (feed.name.as_str(), metrics.known_feed(&feed.name)))
        .collect();
    // Each feed's value of one per-feed family; `None` leaves the feed's sample out.
    let per_feed = |value: &dyn Fn(Option<&FeedMetrics>) -> Option<i64>| -> Vec<(Labels, i64)> {
        feeds
            .iter()
            .filter_map(|(name, feed)| Some((vec![("feed", *name)], value(feed.as_deref())?)))
            .collect()
    };
    let count = |value: u64| i64::try_from(value).unwrap_or(i64::MAX);

    out.family(
        "tidings_feed_polls_total",
        "counter",
        "Polls of each feed since the daemon started, by result (ok, not-modified, empty, failed).",
        feeds.iter().flat_map(|(name, feed)| {
            POLL_RESULTS.map(|result| {
                let polls = feed.as_ref().map_or(0, |feed| feed.polls(result));
                (vec![("feed", *name), ("result", result)], polls)
            })
        }),
    );
    out.family(
        "tidings_feed_articles_written_total",
        "counter",
        "Article files written for each feed since the daemon started.",
        per_feed(&|feed| Some(count(feed.map_or(0, FeedMetrics::articles_written)))),
    );
    out.family(
        "tidings_feed_last_success_timestamp_seconds",
        "gauge",
        "Unix time of each feed's last poll that did not fail (absent for a feed never successful).",
        per_feed(&|feed| feed?.last_success().map(|at| at.timestamp())),
    );
    out.family(
        "tidings_feed_consecutive_failures",
        "gauge",
        "Polls of each feed that failed in a row since its last success.",
        per_feed(&|feed| Some(count(feed.map_or(0, FeedMetrics::consecutive_failures)))),
    );

    out.family(
        "tidings_http_responses_total",
        "counter",
        "HTTP responses to feed and page requests by status class; error: no response (connect, timeout, refused).",
        RESPONSE_CLASSES.map(|class| (vec![("class", class)], metrics.responses(class))),
    );
    out.family(
        "tidings_extraction_failures_total",
        "counter",
        "Article pages fetched from which no article could be extracted.",
        [(vec![], metrics.extraction_failures())],
    );
    out.family(
        "tidings_feed_content_fallbacks_total",
        "counter",
        "Articles made from the feed's own content instead of their page, by reason.",
        Fallback::ALL.map(|reason| (vec![("reason", reason.as_str())], metrics.fallbacks(reason))),
    );
    out.family(
        "tidings_item_failures_total",
        "counter",
        "Feed items that could not be made into an article (retried on later polls, or given up).",
        [(vec![], metrics.item_failures())],
    );

    let (page_bytes, page_capacity, pages_waiting) = metrics.page_queue();
    let per_queue = |value: fn(&QueueGauge) -> u64| {
        Queue::ALL.map(|queue| (vec![("queue", queue.as_str())], value(metrics.queue(queue))))
    };
    out.family(
        "tidings_queue_depth",
        "gauge",
        "Work holding a place in each bounded pipeline stage now.",
        per_queue(QueueGauge::depth),
    );
    out.family(
        "tidings_queue_waiting",
        "gauge",
        "Work waiting for a place in each bounded pipeline stage now (pages: downloads waiting for room in the page queue).",
        per_queue(QueueGauge::waiting)
            .into_iter()
            .chain([(vec![("queue", "pages")], pages_waiting)]),
    );
    out.family(
        "tidings_queue_capacity",
        "gauge",
        "Places in each bounded pipeline stage (items: per poll times polls).",
        per_queue(QueueGauge::capacity),
    );
    out.family(
        "tidings_page_queue_bytes",
        "gauge",
        "Bytes of article pages downloaded or downloading and not yet extracted.",
        [(vec![], page_bytes)],
    );
    out.family(
        "tidings_page_queue_capacity_bytes",
        "gauge",
        "The page queue's byte budget.",
        [(vec![], page_capacity)],
    );

    out.family(
        "tidings_scheduler_last_turn_age_seconds",
        "gauge",
        "Seconds since the scheduler last turned; /healthz fails when this grows past its limit.",
        [(vec![], metrics.since_scheduler_turned().as_secs_f64())],
    );
    if let Some(bytes) = resident_bytes() {
        out.family(
            "process_resident_memory_bytes",
            "gauge",
            "Resident memory of the tidings process in bytes.",
            [(vec![], bytes)],
        );
    }
    out.text
}

/// A sample's labels, as (name, value) pairs.
type Labels<'a> = Vec<(&'static str, &'a str)>;

#[derive(Default)]
struct Exposition {
    text: String,
}

impl Exposition {
    /// One family: its `# HELP` and `# TYPE` lines, then its samples.
    fn family<'a, T: Display>(
        &mut self,
        name: &str,
        kind: &str,
        help: &str,
        samples: impl IntoIterator<Item = (Labels<'a>, T)>,
    ) {
        // Help texts are ours and hold neither backslashes nor line feeds, the two characters HELP escapes.
        let _ = writeln!(self.text, "# HELP {name} {help}");
        let _ = writeln!(self.text, "# TYPE {name} {kind}");
        for (labels, value) in samples {
            self.sample(name, &labels, value);
        }
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: impl Display) {
        self.text.push_str(name);
        if !labels.is_empty() {
            self.text.push('{');
            for (index, (label, value)) in labels.iter().enumerate() {
                if index > 0 {
                    self.text.push(',');
                }
                self.text.push_str(label);
                self.text.push_str("=\"");
                escape_label_value(&mut self.text, value);
                self.text.push('"');
            }
            self.text.push('}');
        }
        let _ = writeln!(self.text, " {value}");
    }
}

/// Appends `value` escaped for a label: `\` → `\\`, `"` → `\"`, line feed → `\n`.
fn escape_label_value(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// This process's resident set size (`VmRSS` in /proc/self/status, given in KiB).
fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    let kib: u64 = line
        .trim_start_matches("VmRSS:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_escape_backslash_quote_and_line_feed() {
        let mut out = Exposition::default();
        out.sample("m", &[("feed", "a\\b \"c\"\nd"), ("x", "y")], 1);
        assert_eq!(out.text, "m{feed=\"a\\\\b \\\"c\\\"\\nd\",x=\"y\"} 1\n");
    }

    #[test]
    fn resident_memory_is_read() {
        assert!(resident_bytes().is_some_and(|bytes| bytes > 1024 * 1024));
    }
}

//! The admin's read-only commands: `status` and `articles`. Each opens the database read-only (never creating
//! or migrating it), asks the library for a report, and prints it as a table or as JSON.

use std::sync::Arc;

use chrono::{DateTime, Local, NaiveDate, SecondsFormat, Utc};
use tidings::config::{self, Config};
use tidings::pipeline::MAX_ITEM_ATTEMPTS;
use tidings::status::{self, FeedResult};
use tidings::store::{self, ArticleQuery, Store, StoreError};

use crate::cli::{EXIT_FEED_FAILED, EXIT_OK, EXIT_USAGE, print_table};

/// `tidings status [--json]`.
pub fn status(config: &Config, json: bool) -> anyhow::Result<u8> {
    let Some(store) = open_read_only(config)? else {
        return Ok(EXIT_FEED_FAILED);
    };
    let now = Utc::now();
    let stored = store.feed_statuses(now - status::RECENT, MAX_ITEM_ATTEMPTS)?;
    let report = status::report(config, &stored, now);
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(EXIT_OK);
    }
    let rows: Vec<[String; 11]> = report
        .feeds
        .iter()
        .map(|feed| {
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
                feed.last_error.clone().unwrap_or_default(),
            ]
        })
        .collect();
    print_table(
        &[
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
            "last error",
        ],
        &rows,
    );
    let totals = &report.totals;
    let results: Vec<String> = totals
        .results
        .iter()
        .map(|(result, count)| format!("{count} {result}"))
        .collect();
    println!(
        "total: {} feeds ({}), {} articles, {} in 24h, {} skipped, {} pending item failures",
        totals.feeds,
        results.join(", "),
        totals.articles_total,
        totals.articles_24h,
        totals.skipped,
        totals.pending_failures
    );
    Ok(EXIT_OK)
}

/// `tidings articles [--feed F] [--since DATE] [--search TEXT] [--json]`.
pub fn articles(
    config: &Config,
    feed: Option<String>,
    since: Option<&str>,
    search: Option<String>,
    json: bool,
) -> anyhow::Result<u8> {
    let since = match since.map(parse_since).transpose() {
        Ok(since) => since,
        Err(message) => {
            eprintln!("{message}");
            return Ok(EXIT_USAGE);
        }
    };
    let Some(store) = open_read_only(config)? else {
        return Ok(EXIT_FEED_FAILED);
    };
    let query = ArticleQuery {
        feed,
        since,
        search: search.filter(|text| !text.trim().is_empty()),
        limit: None,
    };
    let found = store.article_summaries(&query)?;
    let output_dir = &config.settings.output_dir;
    if json {
        let articles: Vec<serde_json::Value> = found
            .iter()
            .map(|article| {
                serde_json::json!({
                    "feed": article.feed,
                    "title": article.title,
                    "url": article.url.as_str(),
                    "published": article.published.map(|at| at.to_rfc3339()),
                    "stored_at": article.stored_at.to_rfc3339_opts(SecondsFormat::Secs, true),
                    "path": output_dir.join(&article.file_name),
                })
            })
            .collect();
        println!("{}", serde_json::json!({ "articles": articles }));
        return Ok(EXIT_OK);
    }
    let rows: Vec<[String; 4]> = found
        .iter()
        .map(|article| {
            [
                local_time(Some(article.stored_at)),
                article.feed.clone(),
                article.title.clone(),
                output_dir.join(&article.file_name).display().to_string(),
            ]
        })
        .collect();
    print_table(&["stored", "feed", "title", "path"], &rows);
    println!("{} articles", found.len());
    Ok(EXIT_OK)
}

/// Opens the configured database read-only; `None` (after saying why on stderr) when there is none yet.
fn open_read_only(config: &Config) -> anyhow::Result<Option<Arc<dyn Store>>> {
    match store::open_read_only(&config.settings.database) {
        Ok(store) => Ok(Some(store)),
        Err(error @ (StoreError::Missing { .. } | StoreError::Outdated { .. })) => {
            eprintln!("{error}");
            Ok(None)
        }
        Err(error) => Err(error.into()),
    }
}

/// `--since`: a date (`2025-01-31`, local midnight), an RFC 3339 time, or a span back from now (`36h`, `7d`).
fn parse_since(text: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc));
    }
    if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return day
            .and_hms_opt(0, 0, 0)
            .and_then(|midnight| midnight.and_local_timezone(Local).earliest())
            .map(|at| at.with_timezone(&Utc))
            .ok_or_else(|| format!("--since {text:?}: no such local time"));
    }
    config::parse_duration(text)
        .ok()
        .and_then(|span| chrono::TimeDelta::from_std(span).ok())
        .and_then(|span| Utc::now().checked_sub_signed(span))
        .ok_or_else(|| {
            format!(
                "--since {text:?}: use a date (2025-01-31), an RFC 3339 time, or a span such as 24h or 7d"
            )
        })
}

fn local_time(at: Option<DateTime<Utc>>) -> String {
    at.map(|at| at.with_timezone(&Local).format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_else(|| "-".into())
}

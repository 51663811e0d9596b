//! The admin's commands: `status` and `articles` open the database read-only (never creating or migrating
//! it), ask the library for a report, and print it as a table or as JSON; `add` finds a feed and appends it
//! to the config file.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

use chrono::{DateTime, Local, NaiveDate, SecondsFormat, Utc};
use tidings::config::{self, Config};
use tidings::fetch::Fetcher;
use tidings::host_limits::HostLimits;
use tidings::pipeline::{MAX_ITEM_ATTEMPTS, Publisher};
use tidings::status;
use tidings::store::{self, ArticleQuery, ArticleSummary, Store, StoreError};
use tidings::{discover, feeds_file, opml, output};
use url::Url;

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
    let rows: Vec<[String; 12]> = report.feeds.iter().map(status::table_row).collect();
    print_table(&status::TABLE_HEADERS, &rows);
    println!("{}", status::totals_line(&report.totals));
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
    // Where each file is now (a rebuild may have moved it) and whether it is still there.
    let files = Publisher::new(&store, &config.settings)?.files_by_article()?;
    let file_of = |article: &ArticleSummary| match files.get(&article.id) {
        Some(file) => (output_dir.join(&file.path), file.state.as_str()),
        None => (output_dir.join(&article.file_name), "not written"),
    };
    if json {
        let articles: Vec<serde_json::Value> = found
            .iter()
            .map(|article| {
                let (path, file) = file_of(article);
                serde_json::json!({
                    "feed": article.feed,
                    "title": article.title,
                    "url": article.url.as_str(),
                    "published": article.published.map(|at| at.to_rfc3339()),
                    "stored_at": article.stored_at.to_rfc3339_opts(SecondsFormat::Secs, true),
                    "path": path,
                    "file": file,
                })
            })
            .collect();
        println!("{}", serde_json::json!({ "articles": articles }));
        return Ok(EXIT_OK);
    }
    let rows: Vec<[String; 4]> = found
        .iter()
        .map(|article| {
            let (path, file) = file_of(article);
            let path = match file {
                "written" => path.display().to_string(),
                other => format!("{} ({other})", path.display()),
            };
            [
                status::local_time(Some(article.stored_at)),
                article.feed.clone(),
                article.title.clone(),
                path,
            ]
        })
        .collect();
    print_table(&["stored", "feed", "title", "path"], &rows);
    println!("{} articles", found.len());
    Ok(EXIT_OK)
}

/// Opens the configured database read-only; `None` (after saying why on stderr) when there is none yet.
fn open_read_only(config: &Config) -> anyhow::Result<Option<Arc<dyn Store>>> {
    match store::open_read_only(&config.settings.database, &config.settings.instance) {
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

/// `tidings add URL [--name N] [--dry-run]`: finds the feed (URL may be a web page), shows its title and
/// newest items, and appends a `[[feeds]]` table to the config file, leaving the rest of it untouched.
pub async fn add(config: &Config, url: &str, name: Option<String>, dry_run: bool) -> anyhow::Result<u8> {
    let url = match Url::parse(url) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => url,
        _ => {
            eprintln!("{url:?}: give an http or https URL");
            return Ok(EXIT_USAGE);
        }
    };
    let fetcher = Fetcher::new(
        &config.settings.user_agent,
        config.settings.timeout,
        HostLimits::new(2, Duration::ZERO),
    )?;
    let found = match discover::discover(&fetcher, &url).await {
        Ok(found) => found,
        Err(error) => {
            eprintln!("{error}");
            return Ok(EXIT_FEED_FAILED);
        }
    };
    println!("feed:  {}", found.url);
    println!("title: {}", found.title.as_deref().unwrap_or("-"));
    let mut items: Vec<_> = found.feed.items.iter().collect();
    items.sort_by_key(|item| std::cmp::Reverse(item.published));
    println!("items: {}", items.len());
    for item in items.iter().take(5) {
        let day = item.published.map_or_else(
            || "          ".to_string(),
            |at| at.format("%Y-%m-%d").to_string(),
        );
        println!("  {day}  {}", item.title.as_deref().unwrap_or(item.link.as_str()));
    }
    let name = name.unwrap_or_else(|| {
        found
            .title
            .as_deref()
            .map(output::slugify)
            .filter(|slug| !slug.is_empty())
            .unwrap_or_else(|| found.url.host_str().unwrap_or("feed").to_string())
    });
    let source = std::fs::read_to_string(&config.path)
        .with_context(|| format!("cannot read {}", config.path.display()))?;
    let updated = match feeds_file::append_feed(&source, &name, &found.url, None) {
        Ok(updated) => updated,
        Err(error) => {
            eprintln!("{}: {error}", config.path.display());
            return Ok(EXIT_USAGE);
        }
    };
    if let Err(error) = config::parse(&updated, &config.path) {
        eprintln!(
            "{}: the new table would not be valid: {error}",
            config.path.display()
        );
        return Ok(EXIT_USAGE);
    }
    if dry_run {
        println!(
            "would append to {}:\n{}",
            config.path.display(),
            &updated[source.len()..].trim()
        );
        return Ok(EXIT_OK);
    }
    write_config_file(config, &updated)?;
    println!("added feed {name:?} to {}", config.path.display());
    Ok(EXIT_OK)
}

/// `tidings import-opml FILE`: appends a `[[feeds]]` table per subscription not already configured (same URL
/// or name), with the enclosing outlines as its category.
pub fn import_opml(config: &Config, file: &Path) -> anyhow::Result<u8> {
    let text = std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let subscriptions = match opml::read(&text) {
        Ok(subscriptions) => subscriptions,
        Err(error) => {
            eprintln!("{}: {error}", file.display());
            return Ok(EXIT_USAGE);
        }
    };
    let source = std::fs::read_to_string(&config.path)
        .with_context(|| format!("cannot read {}", config.path.display()))?;
    let mut updated = source.clone();
    let (mut added, mut skipped) = (0, 0);
    for subscription in subscriptions {
        let existing = feeds_file::existing_feeds(&updated)?;
        let url = match Url::parse(&subscription.url) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => url,
            _ => {
                eprintln!("skipped {:?}: not an http or https URL", subscription.url);
                skipped += 1;
                continue;
            }
        };
        if existing.iter().any(|(_, known)| *known == url.as_str()) {
            skipped += 1;
            continue;
        }
        let base = Some(output::slugify(&subscription.title))
            .filter(|slug| !slug.is_empty())
            .unwrap_or_else(|| url.host_str().unwrap_or("feed").to_string());
        let name = (1..)
            .map(|attempt| {
                if attempt == 1 {
                    base.clone()
                } else {
                    format!("{base}-{attempt}")
                }
            })
            .find(|name| !existing.iter().any(|(known, _)| known == name))
            .unwrap_or(base);
        updated = feeds_file::append_feed(&updated, &name, &url, subscription.category.as_deref())?;
        added += 1;
    }
    if let Err(error) = config::parse(&updated, &config.path) {
        eprintln!(
            "{}: the imported feeds would not be valid: {error}",
            config.path.display()
        );
        return Ok(EXIT_USAGE);
    }
    if added > 0 {
        write_config_file(config, &updated)?;
    }
    println!(
        "imported {added} feeds into {}, skipped {skipped} already present or unusable",
        config.path.display()
    );
    Ok(EXIT_OK)
}

/// `tidings export-opml`: every configured feed as OPML 2.0 on stdout.
pub fn export_opml(config: &Config) -> u8 {
    let subscriptions: Vec<opml::Subscription> = config
        .feeds
        .iter()
        .map(|feed| opml::Subscription {
            title: feed.name.clone(),
            url: feed.url.to_string(),
            category: feed.category.clone(),
        })
        .collect();
    print!(
        "{}",
        opml::write("tidings feeds", &subscriptions, &Utc::now().to_rfc2822())
    );
    EXIT_OK
}

/// Replaces the config file atomically (a reader sees the old file or the new one).
fn write_config_file(config: &Config, text: &str) -> anyhow::Result<()> {
    let folder = config
        .path
        .parent()
        .filter(|folder| !folder.as_os_str().is_empty());
    let file_name = config
        .path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| "feeds.toml".into());
    output::write_atomically(folder.unwrap_or(Path::new(".")), &file_name, text.as_bytes())?;
    Ok(())
}

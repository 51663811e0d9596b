//! `/`: the status page. Server-rendered HTML without scripts: the rows `tidings status` prints, its totals,
//! and the latest articles, each linked to its source. Every value shown comes from outside (feed names,
//! titles, errors, URLs) and is HTML-escaped; only http(s) URLs become links.
//!
//! Runs on a blocking thread: it opens the database read-only for each request, so it never holds the
//! daemon's connection, and reports a database it cannot read as a 503 page.

use std::fmt::Write;

use chrono::Utc;
use hyper::StatusCode;

use crate::config::Config;
use crate::pipeline::MAX_ITEM_ATTEMPTS;
use crate::status::{self, StatusReport};
use crate::store::{self, ArticleQuery, ArticleSummary, Database};

/// Feeds listed at most: a page for 10,000 feeds would be megabytes; `tidings status` lists every one.
pub const MAX_FEEDS_SHOWN: usize = 1000;
/// The latest articles listed.
pub const LATEST_ARTICLES: u32 = 50;

const STYLE: &str = "body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse;margin-bottom:1em}\
th,td{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}\
th{background:#f2f2f2}td.failed,td.dead{color:#a00}";

/// The page for the feeds of `config`, read from the database at `database`.
pub fn render(config: &Config, database: &Database) -> (StatusCode, String) {
    let read = store::open_read_only(database, &config.settings.instance).and_then(|store| {
        let now = Utc::now();
        let stored = store.feed_statuses(now - status::RECENT, MAX_ITEM_ATTEMPTS)?;
        let latest = store.article_summaries(&ArticleQuery {
            limit: Some(LATEST_ARTICLES),
            ..ArticleQuery::default()
        })?;
        Ok((status::report(config, &stored, now), latest))
    });
    match read {
        Ok((report, latest)) => (StatusCode::OK, status_page(config, &report, &latest)),
        Err(error) => (
            StatusCode::SERVICE_UNAVAILABLE,
            error_page(&format!("cannot read the database: {error}")),
        ),
    }
}

fn status_page(config: &Config, report: &StatusReport, latest: &[ArticleSummary]) -> String {
    let mut html = head("tidings status");
    let _ = writeln!(
        html,
        "<h1>tidings</h1>\n<p>Status at {} · configuration {}</p>",
        escape(&status::local_time(Some(Utc::now()))),
        escape(&config.path.display().to_string())
    );
    html.push_str("<h2>Feeds</h2>\n<table id=\"feeds\">\n<thead><tr>");
    for header in status::TABLE_HEADERS {
        let _ = write!(html, "<th>{}</th>", escape(header));
    }
    html.push_str("</tr></thead>\n<tbody>\n");
    for feed in report.feeds.iter().take(MAX_FEEDS_SHOWN) {
        let class = feed.result.map_or("never-polled", |result| result.as_str());
        let _ = write!(html, "<tr class=\"{class}\">");
        for (index, cell) in status::table_row(feed).iter().enumerate() {
            // The result cell carries its word as a class, for the colour of failures.
            if index == 1 {
                let _ = write!(html, "<td class=\"{class}\">{}</td>", escape(cell));
            } else {
                let _ = write!(html, "<td>{}</td>", escape(cell));
            }
        }
        html.push_str("</tr>\n");
    }
    html.push_str("</tbody>\n</table>\n");
    if report.feeds.len() > MAX_FEEDS_SHOWN {
        let _ = writeln!(
            html,
            "<p>{} more feeds not shown; <code>tidings status</code> lists them all.</p>",
            report.feeds.len() - MAX_FEEDS_SHOWN
        );
    }
    let _ = writeln!(
        html,
        "<p id=\"totals\">{}</p>",
        escape(&status::totals_line(&report.totals))
    );

    html.push_str("<h2>Latest articles</h2>\n<table id=\"articles\">\n");
    html.push_str(
        "<thead><tr><th>stored</th><th>feed</th><th>title</th><th>file</th></tr></thead>\n<tbody>\n",
    );
    for article in latest {
        let title = escape(&article.title);
        let linked = if matches!(article.url.scheme(), "http" | "https") {
            format!(
                "<a href=\"{}\" rel=\"noreferrer\">{title}</a>",
                escape(article.url.as_str())
            )
        } else {
            title
        };
        let _ = writeln!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{linked}</td><td>{}</td></tr>",
            escape(&status::local_time(Some(article.stored_at))),
            escape(&article.feed),
            escape(
                &config
                    .settings
                    .output_dir
                    .join(&article.file_name)
                    .display()
                    .to_string()
            ),
        );
    }
    html.push_str("</tbody>\n</table>\n</body>\n</html>\n");
    html
}

/// A page saying what went wrong.
pub fn error_page(message: &str) -> String {
    let mut html = head("tidings: unavailable");
    let _ = writeln!(
        html,
        "<h1>tidings</h1>\n<p id=\"error\">{}</p>\n</body>\n</html>",
        escape(message)
    );
    html
}

fn head(title: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n\
         <style>{STYLE}</style>\n</head>\n<body>\n",
        escape(title)
    )
}

/// `text` safe inside an element or a double-quoted attribute.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_values_is_shown_as_text() {
        assert_eq!(
            escape("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
    }
}

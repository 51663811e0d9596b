//! tidings: polls news feeds on cron schedules, extracts each new article the way a careful reader would
//! copy it, deduplicates by canonical URL in SQLite, and writes Markdown with YAML front matter.
//!
//! One module per stage; data flows one way, and only [`pipeline`] (and [`daemon`] for wiring) calls stages:
//!
//! ```text
//! config ─▶ schedule ─▶ fetch (host_limits) ─▶ feed_parse (charset) ─▶ canonical_url ─▶ store: known? ─▶ stop
//!                                                                                    └─▶ fetch page ─▶ charset
//!   ─▶ extract ─▶ store (commit, record) ─▶ output (atomic .md file)
//! ```

pub mod canonical_url;
pub mod charset;
pub mod config;
pub mod daemon;
pub mod discover;
pub mod extract;
pub mod feed_parse;
pub mod feeds_file;
pub mod fetch;
pub mod filter;
pub mod hook;
pub mod host_limits;
pub mod logging;
pub mod memory;
pub mod metrics;
pub mod opml;
pub mod output;
pub mod pipeline;
pub mod record;
pub mod redact;
pub mod schedule;
pub mod serve;
pub mod site_rules;
pub mod status;
pub mod store;
pub mod xpath;

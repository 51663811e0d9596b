//! Configuration: `feeds.toml` → a validated [`Config`].
//!
//! Owns the file format and every rule about it. Parsing is two-step: the TOML tree (with positions) is read
//! key by key into a raw shape, unknown keys and values of the wrong type reported as they are met (see
//! `document`), then validation turns it into typed values. *Every* problem is reported, as
//! `PATH:LINE:COL: message` in file order, so an admin fixes a file in one pass.

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use regex::{Regex, RegexBuilder};
use toml::Spanned;
use toml::de::DeTable;
use url::Url;

use crate::filter::Filter;
use crate::hook::Hook;
use crate::logging::LogFormat;
use crate::output::images::ImageMode;
use crate::output::{self, OnUpdate, Preset};
use crate::schedule::CronSchedule;
use crate::store::Database;

mod document;
use document::TableReader;

/// The name a file is written under unless `[settings] filename` says otherwise.
pub const DEFAULT_FILENAME_PATTERN: &str = "{date}-{slug}.md";

/// A fully validated configuration; every path is absolute or relative to the working directory.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file this was read from.
    pub path: PathBuf,
    pub settings: Settings,
    pub feeds: Vec<FeedConfig>,
}

/// `[settings]`: process-wide knobs. Every field has a default, so the table may be omitted.
#[derive(Debug, Clone)]
pub struct Settings {
    /// SQLite file (default `tidings.db` beside the config file) or PostgreSQL URL.
    pub database: Database,
    /// This instance's name among those sharing a PostgreSQL database (leases, rendered files); default the
    /// host name. Instances running at once must have different names.
    pub instance: String,
    /// How long a feed's lease lasts without renewal: a dead instance's feeds are taken over after this.
    /// Default 5 minutes; longer than `timeout`.
    pub lease: Duration,
    /// Whether this instance writes article files (`false`: a pure poller); default `true`.
    pub render: bool,
    /// Folder for Markdown files; default `articles` beside the config file.
    pub output_dir: PathBuf,
    /// Schedule for feeds without their own; default every 15 minutes.
    pub schedule: CronSchedule,
    /// Feeds and pages in flight at once; default 8.
    pub concurrency: usize,
    /// Requests in flight to one host:port at once; default 2.
    pub per_host_concurrency: usize,
    /// Minimum spacing between request starts to one host:port; default 1 s; zero disables.
    pub per_host_interval: Duration,
    /// Sent with every request.
    pub user_agent: String,
    /// Whole-request timeout (connect, headers and body); default 30 s.
    pub timeout: Duration,
    /// Largest random delay added to each feed's due time so feeds on one schedule spread out; default 5 s.
    pub jitter: Duration,
    /// Output file name template (see [`output::file_name`]), may hold folders; default `{date}-{slug}.md`.
    pub filename: String,
    /// A feed failing without a break for this long is `dead`: shown so, polled at a slow rate, warned about
    /// once a day; default 7 days.
    pub dead_after: Duration,
    /// `"text"` (default: human lines, syslog-prefixed under journald) or `"json"` (one object per line).
    pub log_format: LogFormat,
    /// Folders of ftr-site-config rule files, later folders winning; default none. Relative to the config.
    pub site_rules: Vec<PathBuf>,
    /// Let every feed's content links reach internal addresses (see [`FeedConfig::allow_private_addresses`]);
    /// default `false`.
    pub allow_private_addresses: bool,
    /// New items one poll of a feed processes at most, newest first; the rest come in later polls. Default 100.
    pub max_items_per_poll: usize,
    /// Which site builder's front matter and escaping the files get; default `seed`.
    pub preset: Preset,
    /// Retention: files of articles dated more than this many days ago are removed and tombstoned; default
    /// none (kept forever).
    pub max_age_days: Option<u32>,
    /// Whether a written article is rewritten when its feed item's `updated` moves on; default keep.
    pub on_update: OnUpdate,
    /// The program run after a poll cycle that wrote or removed files, with its timeout; default none.
    pub on_write: Option<Hook>,
    /// Keep `index.json` in `output_dir` listing every file written, with its front matter; default false.
    pub manifest: bool,
    /// `remote` (default): images stay links to the publisher; `download`: local copies (see
    /// [`output::images`]).
    pub images: ImageMode,
    /// Where copies of images of articles that are not page bundles go, relative to `output_dir`; default
    /// `images`.
    pub images_dir: String,
    /// The URL path (`/assets/img`) or address the site serves `images_dir` under; when given, articles link
    /// copies there by it instead of by a path relative to their file. Default none.
    pub images_url: Option<String>,
    /// Address of the daemon's HTTP server (`/metrics`, `/healthz`, the status page); default none (off).
    pub listen: Option<std::net::SocketAddr>,
}

/// One `[[feeds]]` entry.
#[derive(Debug, Clone)]
pub struct FeedConfig {
    /// Unique name; the key for feed state in the database and in logs.
    pub name: String,
    pub url: Url,
    /// Own schedule; `None` means the `[settings]` default.
    pub schedule: Option<CronSchedule>,
    /// Front-matter `category`; `None` leaves the key empty.
    pub category: Option<String>,
    /// Overrides the article's own author in the front matter.
    pub author: Option<String>,
    /// Merged with the item's own categories.
    pub tags: Vec<String>,
    /// `false`: build articles from the feed's own content and never fetch the item page.
    pub fetch_article: bool,
    pub enabled: bool,
    /// CSS selector for the article body on this site, replacing content scoring when it matches.
    pub content_selector: Option<scraper::Selector>,
    /// CSS selectors removed from pages before extraction.
    pub remove_selectors: Vec<scraper::Selector>,
    /// Item links and images of this feed may reach loopback, private and other internal addresses. Default
    /// `false`: only public addresses and the feed host's own (the SSRF guard in `fetch`).
    pub allow_private_addresses: bool,
    /// Overrides `[settings] max_items_per_poll` for this feed.
    pub max_items_per_poll: Option<usize>,
    /// `[settings]` keep/block patterns followed by this feed's own.
    pub filter: Filter,
}

impl FeedConfig {
    /// The schedule this feed actually runs on.
    pub fn effective_schedule<'a>(&'a self, settings: &'a Settings) -> &'a CronSchedule {
        self.schedule.as_ref().unwrap_or(&settings.schedule)
    }

    /// Whether this feed's content may reach internal addresses, by its own key or `[settings]`.
    pub fn private_addresses_allowed(&self, settings: &Settings) -> bool {
        self.allow_private_addresses || settings.allow_private_addresses
    }
}

/// One problem in the file, located by line and column (both 1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    pub path: PathBuf,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.path.display(),
            self.line,
            self.column,
            self.message
        )
    }
}

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{}", .problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Invalid { problems: Vec<ConfigProblem> },
}

/// `[settings]` as written: each value type-checked, not yet validated.
struct RawSettings {
    database: Option<Spanned<String>>,
    instance: Option<Spanned<String>>,
    lease: Option<Spanned<String>>,
    render: Option<bool>,
    output_dir: Option<Spanned<String>>,
    schedule: Option<Spanned<String>>,
    concurrency: Option<Spanned<i64>>,
    per_host_concurrency: Option<Spanned<i64>>,
    per_host_interval: Option<Spanned<String>>,
    user_agent: Option<Spanned<String>>,
    timeout: Option<Spanned<String>>,
    jitter: Option<Spanned<String>>,
    filename: Option<Spanned<String>>,
    dead_after: Option<Spanned<String>>,
    log_format: Option<Spanned<String>>,
    site_rules: Vec<Spanned<String>>,
    allow_private_addresses: bool,
    max_items_per_poll: Option<Spanned<i64>>,
    keep: Vec<Spanned<String>>,
    block: Vec<Spanned<String>>,
    preset: Option<Spanned<String>>,
    max_age_days: Option<Spanned<i64>>,
    on_update: Option<Spanned<String>>,
    on_write: Option<Spanned<Vec<String>>>,
    on_write_timeout: Option<Spanned<String>>,
    manifest: bool,
    images: Option<Spanned<String>>,
    images_dir: Option<Spanned<String>>,
    images_url: Option<Spanned<String>>,
    listen: Option<Spanned<String>>,
}

impl RawSettings {
    /// Reads the keys of `[settings]`; the field list here is the list of known keys.
    fn read(mut table: TableReader) -> Self {
        let settings = Self {
            database: table.text("database"),
            instance: table.text("instance"),
            lease: table.text("lease"),
            render: table.flag("render"),
            output_dir: table.text("output_dir"),
            schedule: table.text("schedule"),
            concurrency: table.integer("concurrency"),
            per_host_concurrency: table.integer("per_host_concurrency"),
            per_host_interval: table.text("per_host_interval"),
            user_agent: table.text("user_agent"),
            timeout: table.text("timeout"),
            jitter: table.text("jitter"),
            filename: table.text("filename"),
            dead_after: table.text("dead_after"),
            log_format: table.text("log_format"),
            site_rules: table.texts("site_rules"),
            allow_private_addresses: table.flag("allow_private_addresses").unwrap_or(false),
            max_items_per_poll: table.integer("max_items_per_poll"),
            keep: table.texts("keep"),
            block: table.texts("block"),
            preset: table.text("preset"),
            max_age_days: table.integer("max_age_days"),
            on_update: table.text("on_update"),
            on_write: table.text_list("on_write"),
            on_write_timeout: table.text("on_write_timeout"),
            manifest: table.flag("manifest").unwrap_or(false),
            listen: table.text("listen"),
            images: table.text("images"),
            images_dir: table.text("images_dir"),
            images_url: table.text("images_url"),
        };
        table.finish();
        settings
    }
}

/// One `[[feeds]]` table as written: each value type-checked, not yet validated.
struct RawFeed {
    /// The whole table, where a missing required key is reported.
    table: Range<usize>,
    name: Option<Spanned<String>>,
    url: Option<Spanned<String>>,
    schedule: Option<Spanned<String>>,
    category: Option<String>,
    author: Option<String>,
    tags: Vec<String>,
    fetch_article: bool,
    enabled: bool,
    content_selector: Option<Spanned<String>>,
    remove_selectors: Vec<Spanned<String>>,
    allow_private_addresses: bool,
    max_items_per_poll: Option<Spanned<i64>>,
    keep: Vec<Spanned<String>>,
    block: Vec<Spanned<String>>,
}

impl RawFeed {
    /// Reads the keys of one `[[feeds]]` table; the field list here is the list of known keys.
    fn read(span: Range<usize>, mut table: TableReader) -> Self {
        let feed = Self {
            table: span,
            name: table.text("name"),
            url: table.text("url"),
            schedule: table.text("schedule"),
            category: table.text("category").map(Spanned::into_inner),
            author: table.text("author").map(Spanned::into_inner),
            tags: table.texts("tags").into_iter().map(Spanned::into_inner).collect(),
            fetch_article: table.flag("fetch_article").unwrap_or(true),
            enabled: table.flag("enabled").unwrap_or(true),
            content_selector: table.text("content_selector"),
            remove_selectors: table.texts("remove_selectors"),
            allow_private_addresses: table.flag("allow_private_addresses").unwrap_or(false),
            max_items_per_poll: table.integer("max_items_per_poll"),
            keep: table.texts("keep"),
            block: table.texts("block"),
        };
        table.finish();
        feed
    }
}

/// Reads and validates the file at `path`.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let source = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse(&source, path)
}

/// Validates `source` as if read from `path` (relative paths inside resolve against `path`'s folder).
pub fn parse(source: &str, path: &Path) -> Result<Config, ConfigError> {
    let mut problems = Problems {
        source,
        path,
        found: Vec::new(),
    };
    let (document, syntax_errors) = DeTable::parse_recoverable(source);
    if !syntax_errors.is_empty() {
        // What the parser recovered around a syntax error is a guess; problems found in it would mislead.
        for error in syntax_errors {
            problems.add(
                error.span().unwrap_or(0..0),
                error.message().trim_end().to_string(),
            );
        }
        return Err(problems.into_error());
    }
    let document = document.into_inner();
    let mut top = TableReader::new(&document, "the top level", &mut problems);
    let settings_table = top.table("settings");
    let feed_tables = top.tables("feeds");
    top.finish();
    let empty = DeTable::new();
    let raw_settings = RawSettings::read(TableReader::new(
        settings_table.unwrap_or(&empty),
        "[settings]",
        &mut problems,
    ));
    let raw_feeds: Vec<RawFeed> = feed_tables
        .into_iter()
        .map(|table| {
            let span = table.span();
            RawFeed::read(
                span,
                TableReader::new(table.into_inner(), "[[feeds]]", &mut problems),
            )
        })
        .collect();
    let base_dir = path.parent().unwrap_or(Path::new("")).to_path_buf();
    let mut parsed = ParsedOnce::default();
    let shared_filter = Patterns {
        keep: parsed.patterns(&raw_settings.keep, &mut problems),
        block: parsed.patterns(&raw_settings.block, &mut problems),
    };
    let settings = validate_settings(raw_settings, &base_dir, &mut parsed, &mut problems);
    let feeds = validate_feeds(raw_feeds, &shared_filter, &mut parsed, &mut problems);
    match settings {
        Some(settings) if problems.found.is_empty() => Ok(Config {
            path: path.to_path_buf(),
            settings,
            feeds,
        }),
        _ => Err(problems.into_error()),
    }
}

/// Problems found so far, located by byte offset; lines and columns are worked out once, at the end, in one
/// pass over the file (per-problem scans from the start made loading quadratic in the number of feeds).
struct Problems<'a> {
    source: &'a str,
    path: &'a Path,
    found: Vec<Located>,
}

struct Located {
    at: usize,
    message: String,
    /// Where the thing this problem repeats was first given, appended as "first used at line L, column C".
    first_used_at: Option<usize>,
}

impl Problems<'_> {
    fn add(&mut self, span: Range<usize>, message: String) {
        self.found.push(Located {
            at: span.start,
            message,
            first_used_at: None,
        });
    }

    fn add_repeat(&mut self, span: Range<usize>, message: String, first_used_at: usize) {
        self.found.push(Located {
            at: span.start,
            message,
            first_used_at: Some(first_used_at),
        });
    }

    /// Every problem as `PATH:LINE:COL`, in file order.
    fn into_error(mut self) -> ConfigError {
        self.found.sort_by_key(|problem| problem.at);
        let mut offsets: Vec<usize> = self
            .found
            .iter()
            .flat_map(|problem| std::iter::once(problem.at).chain(problem.first_used_at))
            .collect();
        offsets.sort_unstable();
        offsets.dedup();
        let positions = lines_and_columns(self.source, &offsets);
        let position_of = |offset: usize| {
            offsets
                .binary_search(&offset)
                .map_or((1, 1), |index| positions[index])
        };
        let problems = self
            .found
            .into_iter()
            .map(|problem| {
                let (line, column) = position_of(problem.at);
                let message = match problem.first_used_at.map(position_of) {
                    Some((first_line, first_column)) => format!(
                        "{} (first used at line {first_line}, column {first_column})",
                        problem.message
                    ),
                    None => problem.message,
                };
                ConfigProblem {
                    path: self.path.to_path_buf(),
                    line,
                    column,
                    message,
                }
            })
            .collect();
        ConfigError::Invalid { problems }
    }
}

/// 1-based line and column (in characters) of each of the sorted byte `offsets`, in one pass over `source`.
fn lines_and_columns(source: &str, offsets: &[usize]) -> Vec<(usize, usize)> {
    let mut positions = Vec::with_capacity(offsets.len());
    let mut pending = offsets.iter().peekable();
    let (mut line, mut column) = (1, 1);
    for (at, character) in source.char_indices() {
        while pending.next_if(|&&offset| offset <= at).is_some() {
            positions.push((line, column));
        }
        if pending.peek().is_none() {
            break;
        }
        if character == '\n' {
            line += 1;
            column = 1;
        } else {
            column += 1;
        }
    }
    // Offsets at or past the end of the file.
    positions.resize(offsets.len(), (line, column));
    positions
}

fn validate_settings(
    raw: RawSettings,
    base_dir: &Path,
    parsed: &mut ParsedOnce,
    problems: &mut Problems,
) -> Option<Settings> {
    let resolve = |value: Option<Spanned<String>>, default: &str| match value {
        Some(value) => base_dir.join(value.into_inner()),
        None => base_dir.join(default),
    };
    let schedule = match raw.schedule {
        Some(text) => parsed.schedule(&text, problems),
        None => CronSchedule::parse("*/15 * * * *").ok(),
    };
    let preset = match raw.preset {
        Some(word) => word
            .get_ref()
            .parse::<Preset>()
            .map_err(|message| problems.add(word.span(), message))
            .ok(),
        None => Some(Preset::default()),
    };
    let max_age_days = match raw.max_age_days {
        Some(days) => match u32::try_from(*days.get_ref()) {
            Ok(days @ 1..) => Some(Some(days)),
            _ => {
                problems.add(
                    days.span(),
                    format!(
                        "max_age_days must be a whole number of days from 1, not {}",
                        days.get_ref()
                    ),
                );
                None
            }
        },
        None => Some(None),
    };
    let filename = match raw.filename {
        Some(pattern) => output::check_template(pattern.get_ref(), preset.unwrap_or_default())
            .map_err(|message| problems.add(pattern.span(), message))
            .ok()
            .map(|()| pattern.into_inner()),
        None => Some(DEFAULT_FILENAME_PATTERN.to_string()),
    };
    // Every check runs before any `?`, so one pass reports all problems.
    let concurrency = checked_count(raw.concurrency, 8, problems);
    let max_items_per_poll = checked_count(raw.max_items_per_poll, 100, problems);
    let per_host_concurrency = checked_count(raw.per_host_concurrency, 2, problems);
    let per_host_interval = checked_duration(
        raw.per_host_interval,
        Duration::from_secs(1),
        Duration::ZERO,
        problems,
    );
    let timeout_span = raw.timeout.as_ref().map(Spanned::span);
    let timeout = checked_duration(
        raw.timeout,
        Duration::from_secs(30),
        Duration::from_secs(1),
        problems,
    );
    let jitter = checked_duration(raw.jitter, Duration::from_secs(5), Duration::ZERO, problems);
    let log_format = match raw.log_format {
        None => Some(LogFormat::Text),
        Some(format) => match format.get_ref().as_str() {
            "text" => Some(LogFormat::Text),
            "json" => Some(LogFormat::Json),
            other => {
                problems.add(
                    format.span(),
                    format!("log_format must be \"text\" or \"json\", not {other:?}"),
                );
                None
            }
        },
    };
    let instance = match raw.instance {
        Some(name) if name.get_ref().trim().is_empty() => {
            problems.add(name.span(), "instance must not be empty".into());
            None
        }
        Some(name) => Some(name.into_inner()),
        None => Some(default_instance()),
    };
    let lease_span = raw.lease.as_ref().map(Spanned::span).or(timeout_span);
    let lease = checked_duration(
        raw.lease,
        Duration::from_secs(300),
        Duration::from_secs(1),
        problems,
    )
    .and_then(|lease| match timeout {
        // A lease shorter than one request could lapse while a poll waits on it.
        Some(timeout) if lease <= timeout => {
            problems.add(
                lease_span.clone().unwrap_or_default(),
                format!(
                    "lease ({}s) must be longer than timeout ({}s)",
                    lease.as_secs_f64(),
                    timeout.as_secs_f64()
                ),
            );
            None
        }
        _ => Some(lease),
    });
    let listen = match raw.listen {
        None => Some(None),
        Some(address) => address
            .get_ref()
            .parse::<std::net::SocketAddr>()
            .map(Some)
            .map_err(|_| {
                problems.add(
                    address.span(),
                    format!(
                        "listen must be an IP address and port such as \"127.0.0.1:9187\", not {:?}",
                        address.get_ref()
                    ),
                )
            })
            .ok(),
    };
    let dead_after = checked_duration(
        raw.dead_after,
        Duration::from_secs(7 * 86_400),
        Duration::from_secs(1),
        problems,
    );
    let on_update = checked_word(raw.on_update, problems);
    let images = checked_word(raw.images, problems);
    let images_dir = match raw.images_dir {
        Some(folder) if !output::is_safe_relative(folder.get_ref()) => {
            problems.add(
                folder.span(),
                "images_dir must be a folder inside output_dir (relative, no . or .. parts)".into(),
            );
            None
        }
        Some(folder) => Some(folder.into_inner()),
        None => Some("images".to_string()),
    };
    let images_url = match raw.images_url {
        Some(base)
            if !(base.get_ref().starts_with('/')
                || base.get_ref().starts_with("https://")
                || base.get_ref().starts_with("http://"))
                || base.get_ref().contains(['"', '<', '>', ' ', '(', ')']) =>
        {
            problems.add(
                base.span(),
                "images_url must be a path from the site root (\"/images\") or an http(s) address, without spaces, quotes or brackets".into(),
            );
            None
        }
        base => Some(base.map(Spanned::into_inner)),
    };
    let on_write_timeout = checked_duration(
        raw.on_write_timeout,
        Duration::from_secs(300),
        Duration::from_secs(1),
        problems,
    );
    let on_write = match raw.on_write {
        Some(command)
            if command
                .get_ref()
                .first()
                .is_none_or(|program| program.trim().is_empty()) =>
        {
            problems.add(
                command.span(),
                "on_write must list a program and its arguments, e.g. [\"/usr/local/bin/rebuild-site\", \"--quick\"]".into(),
            );
            None
        }
        Some(command) => on_write_timeout.map(|timeout| {
            Some(Hook {
                command: command.into_inner(),
                timeout,
            })
        }),
        None => Some(None),
    };
    Some(Settings {
        database: raw.database.map_or_else(
            || Database::Sqlite(base_dir.join("tidings.db")),
            |text| Database::from_setting(text.get_ref(), base_dir),
        ),
        instance: instance?,
        lease: lease?,
        render: raw.render.unwrap_or(true),
        output_dir: resolve(raw.output_dir, "articles"),
        schedule: schedule?,
        concurrency: concurrency?,
        per_host_concurrency: per_host_concurrency?,
        per_host_interval: per_host_interval?,
        user_agent: raw
            .user_agent
            .map(Spanned::into_inner)
            .unwrap_or_else(default_user_agent),
        timeout: timeout?,
        jitter: jitter?,
        filename: filename?,
        dead_after: dead_after?,
        log_format: log_format?,
        site_rules: raw
            .site_rules
            .into_iter()
            .map(|folder| base_dir.join(folder.into_inner()))
            .collect(),
        allow_private_addresses: raw.allow_private_addresses,
        max_items_per_poll: max_items_per_poll?,
        preset: preset?,
        max_age_days: max_age_days?,
        on_update: on_update?,
        on_write: on_write?,
        manifest: raw.manifest,
        images: images?,
        images_dir: images_dir?,
        images_url: images_url?,
        listen: listen?,
    })
}

/// The host name: stable across restarts, so an instance keeps its record of written files.
fn default_instance() -> String {
    rustix::system::uname().nodename().to_string_lossy().into_owned()
}

/// A word of one of tidings' small vocabularies (`on_update`), or its default when absent.
fn checked_word<T: std::str::FromStr<Err = String> + Default>(
    value: Option<Spanned<String>>,
    problems: &mut Problems,
) -> Option<T> {
    match value {
        None => Some(T::default()),
        Some(word) => word
            .get_ref()
            .parse()
            .map_err(|message| problems.add(word.span(), message))
            .ok(),
    }
}

fn default_user_agent() -> String {
    format!(
        "tidings/{} (+https://github.com/tidings)",
        env!("CARGO_PKG_VERSION")
    )
}

/// Compiled `keep` and `block` lists of one table.
struct Patterns {
    keep: Vec<Regex>,
    block: Vec<Regex>,
}

fn validate_feeds(
    raw: Vec<RawFeed>,
    shared: &Patterns,
    parsed: &mut ParsedOnce,
    problems: &mut Problems,
) -> Vec<FeedConfig> {
    let mut first_use_of_name: HashMap<String, usize> = HashMap::with_capacity(raw.len());
    let mut feeds = Vec::with_capacity(raw.len());
    for feed in raw {
        for (key, value) in [("name", &feed.name), ("url", &feed.url)] {
            if value.is_none() {
                problems.add(feed.table.clone(), format!("[[feeds]] table without `{key}`"));
            }
        }
        let name = feed.name.map(|name| {
            let span = name.span();
            let name = name.into_inner();
            if name.trim().is_empty() {
                problems.add(span.clone(), "feed name must not be empty".into());
            }
            // The name goes into every log line and the status table: a line break or another control
            // character there would forge log lines (plain text logs write it as it is) or break the table.
            if name.chars().any(char::is_control) {
                problems.add(
                    span.clone(),
                    "feed name must not contain control characters (line breaks, tabs …)".into(),
                );
            }
            match first_use_of_name.get(&name) {
                Some(&first) => problems.add_repeat(span, format!("duplicate feed name {name:?}"), first),
                None => {
                    first_use_of_name.insert(name.clone(), span.start);
                }
            }
            name
        });
        let url = feed.url.and_then(|url| checked_feed_url(&url, problems));
        let schedule = feed.schedule.as_ref().map(|text| parsed.schedule(text, problems));
        let content_selector = feed
            .content_selector
            .as_ref()
            .map(|text| parsed.selector(text, problems));
        let remove_selectors: Vec<_> = feed
            .remove_selectors
            .iter()
            .map(|text| parsed.selector(text, problems))
            .collect();
        let keep = parsed.patterns(&feed.keep, problems);
        let block = parsed.patterns(&feed.block, problems);
        let (Some(name), Some(url), Some(schedule), Some(content_selector), Some(remove_selectors)) = (
            name,
            url,
            schedule.map_or(Some(None), |parsed| parsed.map(Some)),
            content_selector.map_or(Some(None), |parsed| parsed.map(Some)),
            remove_selectors.into_iter().collect::<Option<Vec<_>>>(),
        ) else {
            continue;
        };
        feeds.push(FeedConfig {
            name,
            url,
            schedule,
            category: feed.category.filter(|category| !category.trim().is_empty()),
            author: feed.author.filter(|author| !author.trim().is_empty()),
            tags: feed.tags,
            fetch_article: feed.fetch_article,
            enabled: feed.enabled,
            content_selector,
            remove_selectors,
            allow_private_addresses: feed.allow_private_addresses,
            max_items_per_poll: feed
                .max_items_per_poll
                .and_then(|count| checked_count(Some(count), 0, problems)),
            filter: Filter::new(
                shared.keep.iter().cloned().chain(keep).collect(),
                shared.block.iter().cloned().chain(block).collect(),
            ),
        });
    }
    feeds
}

fn checked_feed_url(text: &Spanned<String>, problems: &mut Problems) -> Option<Url> {
    match Url::parse(text.get_ref()) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Some(url),
        Ok(url) => {
            problems.add(
                text.span(),
                format!(
                    "feed url must be http or https with a host, not {:?}",
                    url.as_str()
                ),
            );
            None
        }
        Err(error) => {
            problems.add(
                text.span(),
                format!("invalid feed url {:?}: {error}", text.get_ref()),
            );
            None
        }
    }
}

/// Schedules, patterns and selectors, each distinct text parsed once: thousands of feeds usually share a
/// handful, and parsing every copy again (cron expansion above all) was most of the time of loading a large
/// file.
#[derive(Default)]
struct ParsedOnce {
    schedules: HashMap<String, Result<CronSchedule, String>>,
    patterns: HashMap<String, Result<Regex, String>>,
    selectors: HashMap<String, Result<scraper::Selector, String>>,
}

impl ParsedOnce {
    fn schedule(&mut self, text: &Spanned<String>, problems: &mut Problems) -> Option<CronSchedule> {
        parsed_once(&mut self.schedules, text, problems, |text| {
            CronSchedule::parse(text).map_err(|error| error.to_string())
        })
    }

    /// Compiles `keep`/`block` patterns, reporting each invalid one at its position.
    fn patterns(&mut self, patterns: &[Spanned<String>], problems: &mut Problems) -> Vec<Regex> {
        patterns
            .iter()
            .filter_map(|pattern| {
                parsed_once(&mut self.patterns, pattern, problems, |text| {
                    RegexBuilder::new(text)
                        .size_limit(1 << 20)
                        .build()
                        .map_err(|error| {
                            let reason = error.to_string();
                            let reason = reason.lines().last().unwrap_or("invalid").trim();
                            format!("invalid regular expression {text:?}: {reason}")
                        })
                })
            })
            .collect()
    }

    fn selector(&mut self, text: &Spanned<String>, problems: &mut Problems) -> Option<scraper::Selector> {
        parsed_once(&mut self.selectors, text, problems, |text| {
            scraper::Selector::parse(text).map_err(|error| format!("invalid CSS selector {text:?}: {error}"))
        })
    }
}

/// `parse(text)` from `cache` or run once; an error is reported at this occurrence's position.
fn parsed_once<T: Clone>(
    cache: &mut HashMap<String, Result<T, String>>,
    text: &Spanned<String>,
    problems: &mut Problems,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Option<T> {
    let result = match cache.get(text.get_ref()) {
        Some(result) => result,
        None => cache
            .entry(text.get_ref().clone())
            .or_insert_with(|| parse(text.get_ref())),
    };
    match result {
        Ok(parsed) => Some(parsed.clone()),
        Err(message) => {
            problems.add(text.span(), message.clone());
            None
        }
    }
}

fn checked_count(value: Option<Spanned<i64>>, default: usize, problems: &mut Problems) -> Option<usize> {
    let Some(value) = value else {
        return Some(default);
    };
    match usize::try_from(*value.get_ref()) {
        Ok(count) if (1..=1024).contains(&count) => Some(count),
        _ => {
            problems.add(
                value.span(),
                format!("must be a whole number from 1 to 1024, not {}", value.get_ref()),
            );
            None
        }
    }
}

fn checked_duration(
    value: Option<Spanned<String>>,
    default: Duration,
    minimum: Duration,
    problems: &mut Problems,
) -> Option<Duration> {
    let Some(value) = value else {
        return Some(default);
    };
    match parse_duration(value.get_ref()) {
        Ok(duration) if duration >= minimum => Some(duration),
        Ok(_) => {
            problems.add(value.span(), format!("must be at least {}s", minimum.as_secs()));
            None
        }
        Err(message) => {
            problems.add(value.span(), message);
            None
        }
    }
}

/// Parses `"500ms"`, `"1s"`, `"2m"`, `"1h"`, `"1d"` or a sum like `"1m30s"`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let invalid =
        || format!("invalid duration {text:?}: use a number with ms, s, m, h or d, e.g. \"1s\" or \"1m30s\"");
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(invalid());
    }
    let mut total = Duration::ZERO;
    let mut rest = trimmed;
    while !rest.is_empty() {
        let digits_end = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        if digits_end == 0 {
            return Err(invalid());
        }
        let amount: u64 = rest[..digits_end].parse().map_err(|_| invalid())?;
        rest = &rest[digits_end..];
        let unit_end = rest.find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len());
        let unit_millis = match &rest[..unit_end] {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            _ => return Err(invalid()),
        };
        rest = &rest[unit_end..];
        total += Duration::from_millis(amount.checked_mul(unit_millis).ok_or_else(invalid)?);
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems_of(source: &str) -> Vec<String> {
        match parse(source, Path::new("feeds.toml")) {
            Ok(_) => Vec::new(),
            Err(ConfigError::Invalid { problems }) => problems.iter().map(ToString::to_string).collect(),
            Err(other) => vec![other.to_string()],
        }
    }

    #[test]
    fn minimal_file_gets_defaults_resolved_beside_it() {
        let config = parse(
            "[[feeds]]\nname = \"a\"\nurl = \"https://example.com/feed\"\n",
            Path::new("/etc/t/feeds.toml"),
        )
        .expect("valid");
        assert_eq!(
            config.settings.database,
            Database::Sqlite("/etc/t/tidings.db".into())
        );
        assert_eq!(config.settings.output_dir, Path::new("/etc/t/articles"));
        assert_eq!(config.settings.concurrency, 8);
        assert!(config.feeds[0].fetch_article && config.feeds[0].enabled);
    }

    #[test]
    fn unknown_key_is_located() {
        let problems = problems_of("[settings]\nconcurency = 3\n");
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0]
                == "feeds.toml:2:1: unknown key `concurency` in [settings]; did you mean `concurrency`?",
            "{problems:?}"
        );
    }

    #[test]
    fn every_validation_problem_is_reported_with_its_position() {
        let source = "[settings]\nschedule = \"61 * * * *\"\nper_host_interval = \"fast\"\n\n[[feeds]]\nname = \"a\"\nurl = \"not a url\"\n\n[[feeds]]\nname = \"a\"\nurl = \"ftp://example.com/\"\nremove_selectors = [\"div[\"]\n";
        let problems = problems_of(source);
        let positions: Vec<&str> = problems
            .iter()
            .map(|p| p.split(':').nth(1).unwrap_or(""))
            .collect();
        assert_eq!(problems.len(), 6, "{problems:#?}");
        assert_eq!(positions, ["2", "3", "7", "10", "11", "12"], "{problems:#?}");
        assert!(problems[3].contains("duplicate feed name \"a\" (first used at line 6"));
    }

    #[test]
    fn feed_names_with_control_characters_are_refused() {
        let problems =
            problems_of("[[feeds]]\nname = \"a\\nINFO forged\"\nurl = \"https://example.com/f\"\n");
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].starts_with("feeds.toml:2:8: feed name must not contain control"),
            "{problems:?}"
        );
    }

    #[test]
    fn listen_is_an_address_and_port_or_off() {
        let path = Path::new("feeds.toml");
        let off = parse("", path).expect("valid");
        assert_eq!(off.settings.listen, None);
        let on = parse("[settings]\nlisten = \"127.0.0.1:9187\"\n", path).expect("valid");
        assert_eq!(on.settings.listen, Some(([127, 0, 0, 1], 9187).into()));
        let problems = problems_of("[settings]\nlisten = \"localhost\"\n");
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].starts_with("feeds.toml:2:10: listen must be an IP address and port"),
            "{problems:?}"
        );
    }

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
        assert!(parse_duration("5").is_err());
        assert!(parse_duration("s").is_err());
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        assert_eq!(lines_and_columns("한국 = 1\nab", &[7]), [(1, 4)]);
        assert_eq!(
            lines_and_columns("a\nbc", &[0, 3, 4, 99]),
            [(1, 1), (2, 2), (2, 3), (2, 3)]
        );
    }

    #[test]
    fn unknown_keys_and_wrong_types_do_not_hide_other_problems() {
        let source = "colour = 1\n[settings]\nconcurrency = \"4\"\nlog_format = 2\ntimeout = \"soon\"\n\n[[feeds]]\nname = \"a\"\nurl = \"https://e.com/\"\nfetch_articles = false\ntags = [\"x\", 3]\n\n[[feeds]]\nurl = 5\nenabled = \"yes\"\n";
        let problems = problems_of(source);
        assert_eq!(
            problems,
            [
                "feeds.toml:1:1: unknown key `colour` in the top level",
                "feeds.toml:3:15: `concurrency` in [settings] must be an integer, not a string (\"4\")",
                "feeds.toml:4:14: `log_format` in [settings] must be a string, not an integer (2)",
                "feeds.toml:5:11: invalid duration \"soon\": use a number with ms, s, m, h or d, e.g. \"1s\" or \"1m30s\"",
                "feeds.toml:10:1: unknown key `fetch_articles` in [[feeds]]; did you mean `fetch_article`?",
                "feeds.toml:11:14: `tags` in [[feeds]] must be an array of strings, not an integer (3)",
                "feeds.toml:13:1: [[feeds]] table without `name`",
                "feeds.toml:13:1: [[feeds]] table without `url`",
                "feeds.toml:14:7: `url` in [[feeds]] must be a string, not an integer (5)",
                "feeds.toml:15:11: `enabled` in [[feeds]] must be true or false, not a string (\"yes\")",
            ]
        );
    }
}

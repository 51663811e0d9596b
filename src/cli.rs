//! The command line: `tidings [--config PATH] <check | once | run | status | articles | extract>`. Parses arguments,
//! wires the library's stages together for each command, and turns outcomes into exit codes:
//! 0 success, 1 some feed (or input) failed, 2 usage or configuration error.

use std::collections::VecDeque;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use tidings::config::{self, Config, ConfigError, FeedConfig};
use tidings::extract::{Article, ExtractOptions};
use tidings::fetch::{ContentFetcher, Fetcher};
use tidings::host_limits::HostLimits;
use tidings::logging::{self, ProgressLine};
use tidings::metrics::{Metrics, Queue};
use tidings::pipeline::{
    ArticlePage, Changes, FeedOutcome, FeedReport, PageFailure, PageReader, Pipeline, PollSlot, Slots,
    extract_file,
};
use tidings::store;
use tidings::{charset, daemon, site_rules, status};

use crate::{admin, republish};
use url::Url;

pub const EXIT_OK: u8 = 0;
pub const EXIT_FEED_FAILED: u8 = 1;
pub const EXIT_USAGE: u8 = 2;

/// Threads running async tasks. The async side only waits on sockets and timers and hands each piece of
/// real work (parsing, extraction, the database, files) to the blocking pool, so one thread keeps up; with
/// one per core, each poll also woke and handed tasks between idle workers, which was much of the CPU of
/// an unchanged feed's poll in the daemon.
const ASYNC_WORKERS: usize = 1;

/// Threads for blocking work. Extraction is bounded by its own slots and the database serialises writers,
/// so more threads only wait on each other; tokio's default (512) let a burst of polls start hundreds of
/// threads, each with its stack and its share of allocator arenas.
const BLOCKING_THREADS: usize = 16;

#[derive(Parser)]
#[command(
    name = "tidings",
    version,
    about = "Polls news feeds, extracts articles, writes Markdown for static sites"
)]
struct Cli {
    /// The configuration file; relative paths inside it resolve against its folder.
    #[arg(long, global = true, default_value = "feeds.toml", value_name = "PATH")]
    config: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Validate the configuration and exit (0 valid, 2 invalid; problems printed as PATH:LINE:COL).
    Check,
    /// Poll every enabled feed once, write new articles, exit (0 all feeds ok, 1 some failed, 2 bad config).
    Once {
        /// Poll only this feed (even if disabled).
        #[arg(long, value_name = "NAME")]
        feed: Option<String>,
    },
    /// Lift the tombstone of the article stored under URL (its file was deleted or expired) and write it again.
    Forget {
        #[arg(value_name = "URL")]
        url: Url,
    },
    /// Re-render every stored article after a preset or filename change, without refetching: files tidings
    /// wrote move to their new names, files it did not write are never touched, tombstones stay.
    Rebuild,
    /// Run as a daemon: poll each feed on its schedule until SIGTERM/SIGINT; SIGHUP reloads the config.
    Run,
    /// Show each feed's result, last poll and success, next poll, articles, skipped and pending items and last
    /// error, with totals. Read-only: never creates or changes the database.
    Status {
        /// Print one JSON object: {"feeds": […], "totals": {…}}, times in RFC 3339.
        #[arg(long)]
        json: bool,
    },
    /// List stored articles, newest first, with their files.
    Articles {
        /// Only articles of this feed.
        #[arg(long, value_name = "NAME")]
        feed: Option<String>,
        /// Only articles stored since DATE (2025-01-31), an RFC 3339 time, or a span back from now (24h, 7d).
        #[arg(long, value_name = "DATE")]
        since: Option<String>,
        /// Only articles whose title or body contains all these words (full-text search).
        #[arg(long, value_name = "TEXT")]
        search: Option<String>,
        /// Print one JSON object: {"articles": […]}.
        #[arg(long)]
        json: bool,
    },
    /// Site rules (ftr-site-config format): measure a folder's coverage, or run the rules' own tests.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// Add a feed: URL may be the feed or a web page linking it; shows its title and newest items, then
    /// appends a [[feeds]] table to the config file (comments and layout kept).
    Add {
        #[arg(value_name = "URL")]
        url: String,
        /// The feed's name (default: from its title).
        #[arg(long, value_name = "NAME")]
        name: Option<String>,
        /// Show what would be added; change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Add the feeds of an OPML file (nested outlines become categories; feeds already configured skipped).
    ImportOpml {
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Print every configured feed as OPML 2.0.
    ExportOpml,
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) to stdout.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff, generated from this command line) to stdout: `tidings man | man -l -`.
    Man,
    /// Preview extraction for URLs or HTML files: fetch and extract only, no database, no files written.
    Extract {
        /// Base URL for HTML file inputs (relative links and images resolve against it).
        #[arg(long, value_name = "URL")]
        url: Option<Url>,
        #[arg(long, value_enum, default_value_t = Format::Markdown)]
        format: Format,
        /// Also print the site rule file that applied, each directive that did, and the pages read.
        #[arg(long)]
        explain: bool,
        /// URLs (http/https) or paths of HTML files.
        #[arg(required = true, value_name = "INPUT")]
        inputs: Vec<String>,
    },
}

#[derive(Subcommand)]
enum RulesCommand {
    /// Share of a folder's rule files read without errors and of body/strip/title/author/date expressions
    /// evaluated, with the kinds not supported.
    Coverage {
        #[arg(value_name = "DIR")]
        dir: PathBuf,
    },
    /// Fetch each test_url of the config's rule files and check the article contains its test_contains
    /// texts (exit 0 all pass, 1 some failed).
    Test {
        /// Only these rule files (name without .txt, such as example.com).
        #[arg(value_name = "FILE")]
        files: Vec<String>,
    },
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Format {
    Markdown,
    Text,
    Json,
}

/// Parses the arguments and runs the command; an `Err` is an unexpected failure (exit 2 from main).
pub fn main() -> anyhow::Result<ExitCode> {
    tidings::memory::limit_malloc_arenas();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            let code = if error.use_stderr() { EXIT_USAGE } else { EXIT_OK };
            return Ok(ExitCode::from(code));
        }
    };
    let interactive_once = matches!(cli.command, Command::Once { .. }) && std::io::stderr().is_terminal();
    // The config's log format applies from the first line; a config that does not load logs in text (its
    // problems are printed by the command itself).
    // Loaded once, before logging starts, because its log format applies from the first line.
    let loaded = config::load(&cli.config);
    let log_format = loaded
        .as_ref()
        .map(|config| config.settings.log_format)
        .unwrap_or_default();
    let progress_line = ProgressLine::default();
    logging::init(
        log_format,
        if interactive_once { "warn" } else { "info" },
        &progress_line,
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(ASYNC_WORKERS)
        .max_blocking_threads(BLOCKING_THREADS)
        .enable_all()
        .build()
        .context("starting the runtime")?;
    let code = match cli.command {
        Command::Check => check(&cli.config, loaded),
        Command::Once { feed } => on_worker(
            &runtime,
            once(cli.config.clone(), loaded, feed, progress_line.clone()),
        ),
        Command::Run => match load_config(loaded) {
            Ok(config) => on_worker(&runtime, daemon::run(config))
                .map(|()| EXIT_OK)
                .context("daemon")?,
            Err(code) => code,
        },
        Command::Forget { url } => match load_config(loaded) {
            Ok(config) => republish::forget(&config, &url)?,
            Err(code) => code,
        },
        Command::Rebuild => match load_config(loaded) {
            Ok(config) => republish::rebuild(&config)?,
            Err(code) => code,
        },
        Command::Status { json } => match load_config(loaded) {
            Ok(config) => admin::status(&config, json)?,
            Err(code) => code,
        },
        Command::Articles {
            feed,
            since,
            search,
            json,
        } => match load_config(loaded) {
            Ok(config) => admin::articles(&config, feed, since.as_deref(), search, json)?,
            Err(code) => code,
        },
        Command::Rules {
            command: RulesCommand::Coverage { dir },
        } => {
            print!("{}", site_rules::measure(&dir));
            EXIT_OK
        }
        Command::Add { url, name, dry_run } => match load_config(loaded) {
            Ok(config) => runtime.block_on(admin::add(&config, &url, name, dry_run))?,
            Err(code) => code,
        },
        Command::ImportOpml { file } => match load_config(loaded) {
            Ok(config) => admin::import_opml(&config, &file)?,
            Err(code) => code,
        },
        Command::ExportOpml => match load_config(loaded) {
            Ok(config) => admin::export_opml(&config),
            Err(code) => code,
        },
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "tidings", &mut std::io::stdout());
            EXIT_OK
        }
        Command::Man => {
            clap_mangen::Man::new(Cli::command())
                .render(&mut std::io::stdout())
                .context("writing the manual page")?;
            EXIT_OK
        }
        Command::Rules {
            command: RulesCommand::Test { files },
        } => match load_config(loaded) {
            Ok(config) => runtime.block_on(rules_test(&config, &files))?,
            Err(code) => code,
        },
        Command::Extract {
            url,
            format,
            explain,
            inputs,
        } => match preview_rules(&cli.config, loaded) {
            Ok(rules) => runtime.block_on(extract_command(rules, url, format, explain, &inputs))?,
            Err(code) => code,
        },
    };
    Ok(ExitCode::from(code))
}

/// The loaded config, or every problem printed; `Err` carries the exit code.
fn load_config(loaded: Result<Config, ConfigError>) -> Result<Config, u8> {
    loaded.map_err(|error| {
        match &error {
            ConfigError::Invalid { problems } => problems.iter().for_each(|problem| eprintln!("{problem}")),
            ConfigError::Read { .. } => eprintln!("{error}"),
        }
        EXIT_USAGE
    })
}

fn check(path: &Path, loaded: Result<Config, ConfigError>) -> u8 {
    match load_config(loaded) {
        Ok(config) => {
            let enabled = config.feeds.iter().filter(|feed| feed.enabled).count();
            let rules_ok = check_site_rules(&config.settings.site_rules);
            println!(
                "{}: {} ({} feeds, {} enabled)",
                path.display(),
                if rules_ok { "ok" } else { "invalid site rules" },
                config.feeds.len(),
                enabled
            );
            if rules_ok { EXIT_OK } else { EXIT_USAGE }
        }
        Err(code) => code,
    }
}

/// Reads every rules folder, printing each problem as `PATH:LINE: severity: why`; false when any is an error.
fn check_site_rules(folders: &[PathBuf]) -> bool {
    if folders.is_empty() {
        return true;
    }
    let (book, problems) = site_rules::RuleBook::load(folders);
    problems.iter().for_each(|problem| eprintln!("{problem}"));
    let errors = problems
        .iter()
        .filter(|problem| problem.severity == site_rules::Severity::Error)
        .count();
    println!(
        "site rules: {} files from {} folder(s), {errors} errors, {} warnings",
        book.len(),
        folders.len(),
        problems.len() - errors
    );
    errors == 0
}

/// Runs `work` as a task on the async worker rather than on the calling thread, and waits for it. `once`
/// and the daemon each run a loop that every finished poll wakes: on the worker, that wake-up stays on one
/// thread; from `block_on`'s own thread, each one was a cross-thread hand-off (a futex wake and a context
/// switch per poll).
fn on_worker<T: Send + 'static>(
    runtime: &tokio::runtime::Runtime,
    work: impl Future<Output = T> + Send + 'static,
) -> T {
    match runtime.block_on(runtime.spawn(work)) {
        Ok(output) => output,
        Err(error) => std::panic::resume_unwind(error.into_panic()),
    }
}

/// Feeds of a one-shot run whose poll records are read in one trip, ahead of their polls.
const READ_AHEAD: usize = 64;
/// How many polls start between two returns of free memory
/// ([`return_free_memory`](tidings::memory::return_free_memory)); a multiple of [`READ_AHEAD`], the step in
/// which polls start.
const TRIM_EVERY: usize = 16 * READ_AHEAD;

async fn once(
    path: PathBuf,
    loaded: Result<Config, ConfigError>,
    only: Option<String>,
    progress_line: ProgressLine,
) -> u8 {
    let (path, only, progress_line) = (path.as_path(), only.as_deref(), &progress_line);
    let config = match load_config(loaded) {
        Ok(config) => config,
        Err(code) => return code,
    };
    let feeds: Vec<_> = match only {
        Some(name) => match config.feeds.iter().find(|feed| feed.name == name) {
            Some(feed) => vec![feed.clone()],
            None => {
                eprintln!("{}: no feed named {name:?}", path.display());
                return EXIT_USAGE;
            }
        },
        None => config.feeds.iter().filter(|feed| feed.enabled).cloned().collect(),
    };
    let settings = config.settings.clone();
    let opened =
        tokio::task::spawn_blocking(move || store::open(&settings.database, &settings.instance)).await;
    let store = match opened {
        Ok(Ok(store)) => store,
        Err(error) => {
            eprintln!("{error}");
            return EXIT_USAGE;
        }
        Ok(Err(error)) => {
            eprintln!("{error}");
            return EXIT_USAGE;
        }
    };
    let progress = Arc::new(Metrics::default());
    let pipeline = match Pipeline::new(config.settings.clone(), store, Arc::clone(&progress)) {
        Ok(pipeline) => pipeline,
        Err(error) => {
            eprintln!("{error}");
            return EXIT_USAGE;
        }
    };
    if let Err(error) = pipeline.fail_interrupted_extractions().await {
        eprintln!("{error}");
        return EXIT_FEED_FAILED;
    }
    let mut changes = match pipeline.reconcile_files(only).await {
        Ok(done) => Changes::of_reconciled(&done),
        Err(error) => {
            eprintln!("{error}");
            return EXIT_FEED_FAILED;
        }
    };

    let total = feeds.len();
    // A poll's task is spawned once it has its place (see `pipeline::flow`): feeds not started yet cost
    // their config only. Their records are read ahead in batches, each poll's in no trip of its own.
    let mut unstarted = feeds.into_iter();
    let mut ahead = VecDeque::new();
    let mut tasks = tokio::task::JoinSet::new();
    let show_progress = std::io::stderr().is_terminal();
    let mut reports: Vec<FeedReport> = Vec::with_capacity(total);
    let mut any_failed = false;
    let mut ticker = tokio::time::interval(Duration::from_millis(200));
    while unstarted.len() > 0 || !ahead.is_empty() || !tasks.is_empty() {
        tokio::select! {
            place = pipeline.poll_place(), if unstarted.len() > 0 || !ahead.is_empty() => {
                if ahead.is_empty() {
                    let started = total - unstarted.len();
                    if started > 0 && started % TRIM_EVERY == 0 {
                        tidings::memory::return_free_memory();
                    }
                    let next: Vec<FeedConfig> = unstarted.by_ref().take(READ_AHEAD).collect();
                    let records = pipeline.read_poll_records(&next).await;
                    ahead.extend(next.into_iter().zip(records));
                }
                if let Some((feed, read)) = ahead.pop_front() {
                    let pipeline = pipeline.clone();
                    tasks.spawn(async move {
                        let result = pipeline.poll_feed(&feed, PollSlot::OnDemand, place, read).await;
                        (feed, result)
                    });
                }
            }
            Some(joined) = tasks.join_next(), if !tasks.is_empty() => {
                match joined {
                    Ok((_, Ok(report))) => {
                        // A file that could not be written is a failure of the run, though the row is stored.
                        any_failed |= matches!(report.outcome, FeedOutcome::Failed { .. })
                            || !report.file_failures.is_empty();
                        changes.add(Changes::of_report(&report));
                        reports.push(report);
                    }
                    Ok((feed, Err(error))) => {
                        any_failed = true;
                        tracing::error!(feed = %feed.name, url = %feed.url, error = %error, "poll could not be recorded");
                    }
                    Err(error) => {
                        any_failed = true;
                        tracing::error!(error = %error, "poll task failed");
                    }
                }
            }
            _ = ticker.tick(), if show_progress => draw_progress(progress_line, reports.len(), total, &progress),
        }
    }
    if show_progress {
        draw_progress(progress_line, reports.len(), total, &progress);
        progress_line.finish();
    }
    reports.sort_by(|a, b| a.feed.cmp(&b.feed));
    print_summary(&reports);
    // The manifest and the on_write hook, once for the whole run; their failures are logged, not the run's.
    pipeline.files_changed(changes).await;
    if any_failed { EXIT_FEED_FAILED } else { EXIT_OK }
}

fn draw_progress(line: &ProgressLine, done: usize, total: usize, progress: &Metrics) {
    line.draw(&format!(
        "feeds {done}/{total} · articles written {} · item failures {}",
        progress.articles_written(),
        progress.item_failures()
    ));
}

fn print_summary(reports: &[FeedReport]) {
    let rows: Vec<[String; 8]> = reports
        .iter()
        .map(|report| {
            let (result, detail) = match &report.outcome {
                FeedOutcome::Updated => ("ok".to_string(), String::new()),
                FeedOutcome::NotModified => ("not modified".to_string(), String::new()),
                FeedOutcome::Empty { reason } => ("empty".to_string(), reason.clone()),
                FeedOutcome::Skipped { reason } => ("skipped".to_string(), reason.clone()),
                FeedOutcome::Failed { error, .. } => {
                    ("FAILED".to_string(), status::one_line_error(&report.url, error))
                }
            };
            let detail = if detail.is_empty() {
                report
                    .file_failures
                    .first()
                    .or(report.item_failures.first())
                    .map(|(_, reason)| reason.clone())
                    .unwrap_or_default()
            } else {
                detail
            };
            [
                report.feed.clone(),
                result,
                report.items.to_string(),
                report.skipped.to_string(),
                report.written.len().to_string(),
                report.known.to_string(),
                report.item_failures.len().to_string(),
                detail,
            ]
        })
        .collect();
    print_table(
        &[
            "feed", "result", "items", "skipped", "written", "known", "failed", "error",
        ],
        &rows,
    );
    let written: usize = reports.iter().map(|report| report.written.len()).sum();
    let failed = reports
        .iter()
        .filter(|report| matches!(report.outcome, FeedOutcome::Failed { .. }))
        .count();
    let unwritten: usize = reports.iter().map(|report| report.file_failures.len()).sum();
    let unwritten = if unwritten > 0 {
        format!(", {unwritten} files NOT written (retried next poll)")
    } else {
        String::new()
    };
    println!(
        "{} feeds, {written} articles written, {failed} feeds failed{unwritten}",
        reports.len()
    );
}

/// A plain-text table: columns padded to their widest cell (by characters), last column unpadded.
pub fn print_table<const N: usize>(headers: &[&str; N], rows: &[[String; N]]) {
    let mut widths = headers.map(|header| header.chars().count());
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(widths)
            .enumerate()
            .map(|(index, (cell, width))| {
                if index + 1 == N {
                    cell.to_string()
                } else {
                    format!("{cell:<width$}")
                }
            })
            .collect();
        println!("{}", padded.join("  ").trim_end());
    };
    line(headers.to_vec());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
}

/// The site rules `extract` applies: the config's (from `--config`, or ./feeds.toml) when the file exists,
/// else none: a preview needs no configuration.
fn preview_rules(path: &Path, loaded: Result<Config, ConfigError>) -> Result<site_rules::RuleBook, u8> {
    if !path.exists() {
        return Ok(site_rules::RuleBook::default());
    }
    let config = load_config(loaded)?;
    let (book, problems) = site_rules::RuleBook::load(&config.settings.site_rules);
    problems
        .iter()
        .filter(|problem| problem.severity == site_rules::Severity::Error)
        .for_each(|problem| eprintln!("{problem}"));
    Ok(book)
}

/// What previews read pages with: the site rules, and the admin's own trust (a URL typed on the command line
/// may be on an internal address, unlike links found in feeds).
struct Preview {
    reader: PageReader,
    content: ContentFetcher,
}

impl Preview {
    async fn new(rules: site_rules::RuleBook) -> anyhow::Result<Self> {
        let fetcher = Fetcher::new(
            &format!("tidings/{} (+preview)", env!("CARGO_PKG_VERSION")),
            Duration::from_secs(30),
            HostLimits::new(2, Duration::ZERO),
        )?;
        let any_url = Url::parse("http://localhost/")?;
        // Previews count nothing anyone reads; the reader still needs somewhere to count.
        let metrics = Arc::new(Metrics::default());
        Ok(Self {
            content: fetcher.for_content_of(&any_url, true).await?,
            reader: PageReader::new(
                Slots::new(2, Queue::Requests, &metrics),
                Slots::new(1, Queue::Extractions, &metrics),
                Arc::new(rules),
                &metrics,
            ),
        })
    }

    async fn read(&self, url: &Url) -> Result<ArticlePage, PageFailure> {
        let options = Arc::new(ExtractOptions::default());
        self.reader.read(&self.content, url, &options, |_| ()).await
    }
}

async fn extract_command(
    rules: site_rules::RuleBook,
    base: Option<Url>,
    format: Format,
    explain: bool,
    inputs: &[String],
) -> anyhow::Result<u8> {
    let preview = Preview::new(rules).await?;
    let mut any_failed = false;
    for input in inputs {
        match load_input(&preview, base.as_ref(), input).await {
            Ok(page) => {
                let explanation = explain.then(|| explanation(&page));
                print_article(
                    format,
                    input,
                    &page.final_url,
                    &page.article,
                    explanation.as_deref(),
                    inputs.len() > 1,
                );
            }
            Err(error) => {
                any_failed = true;
                eprintln!("{input}: {error}");
            }
        }
    }
    Ok(if any_failed { EXIT_FEED_FAILED } else { EXIT_OK })
}

/// The `--explain` lines: the rule file (or that none applied), its directives that did, the pages read.
fn explanation(page: &ArticlePage) -> Vec<String> {
    let mut lines = Vec::new();
    if page.rules.is_none() {
        let host = page.final_url.host_str().unwrap_or("-");
        lines.push(format!("rules: none for {host}; generic extraction"));
    }
    lines.extend(page.explain.iter().cloned());
    if page.native_ad {
        lines.push("native ad: yes".into());
    }
    if page.pages.len() > 1 {
        let pages: Vec<&str> = page.pages.iter().map(Url::as_str).collect();
        lines.push(format!("pages: {}", pages.join(" ")));
    }
    lines
}

async fn load_input(preview: &Preview, base: Option<&Url>, input: &str) -> anyhow::Result<ArticlePage> {
    if let Ok(url) = Url::parse(input)
        && matches!(url.scheme(), "http" | "https")
    {
        return preview
            .read(&url)
            .await
            .map_err(|failure| anyhow::anyhow!("{failure}"));
    }
    let reader = &preview.reader;
    let path = Path::new(input);
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let url = match base {
        Some(base) => base.clone(),
        None => Url::from_file_path(std::fs::canonicalize(path)?)
            .map_err(|()| anyhow::anyhow!("cannot make a file URL of {}", path.display()))?,
    };
    let decoded = charset::decode(&bytes, None);
    let (article, explain) = extract_file(reader.rules(), &decoded.text, &url, &ExtractOptions::default())
        .map_err(|failure| anyhow::anyhow!("{failure}"))?;
    Ok(ArticlePage {
        article,
        pages: vec![url.clone()],
        rules: reader.rules().for_url(&url).map(|rules| rules.path.clone()),
        final_url: url,
        explain,
        native_ad: false,
    })
}

/// `tidings rules test`: each test_url read under its rules, each test_contains looked for in the article.
async fn rules_test(config: &Config, only: &[String]) -> anyhow::Result<u8> {
    let (book, _) = site_rules::RuleBook::load(&config.settings.site_rules);
    let preview = Preview::new(book).await?;
    let (mut passed, mut failed) = (0, 0);
    for rules in preview.reader.rules().all() {
        let name = rules
            .path
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned());
        if !only.is_empty() && !name.as_ref().is_some_and(|name| only.contains(name)) {
            continue;
        }
        for test in &rules.tests {
            let file = rules.path.display();
            let outcome = match Url::parse(&test.url) {
                Ok(url) => preview.read(&url).await.map_err(|failure| failure.to_string()),
                Err(error) => Err(error.to_string()),
            };
            let missing: Vec<&String> = match &outcome {
                Ok(page) => test
                    .contains
                    .iter()
                    .filter(|text| {
                        !page.article.markdown.contains(text.as_str())
                            && !page.article.text.contains(text.as_str())
                    })
                    .collect(),
                Err(_) => Vec::new(),
            };
            match outcome {
                Err(error) => {
                    failed += 1;
                    println!("FAIL {file}: {}: {error}", test.url);
                }
                Ok(_) if !missing.is_empty() => {
                    failed += 1;
                    println!("FAIL {file}: {}: missing {missing:?}", test.url);
                }
                Ok(_) => {
                    passed += 1;
                    println!("ok   {file}: {}", test.url);
                }
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    Ok(if failed > 0 { EXIT_FEED_FAILED } else { EXIT_OK })
}

fn print_article(
    format: Format,
    input: &str,
    url: &Url,
    article: &Article,
    explain: Option<&[String]>,
    many: bool,
) {
    match format {
        Format::Json => {
            let mut line = serde_json::json!({
                "input": input,
                "url": url.as_str(),
                "title": article.title,
                "author": article.author,
                "authors": article.authors,
                "published": article.published.map(|at| at.to_rfc3339()),
                "excerpt": article.excerpt,
                "cover_image": article.cover_image.as_ref().map(Url::as_str),
                "language": article.language,
                "markdown": article.markdown,
                "text": article.text,
            });
            if let Some(explain) = explain {
                line["explain"] = serde_json::json!(explain);
            }
            println!("{line}");
        }
        Format::Markdown | Format::Text => {
            if many {
                println!("==> {input} <==");
            }
            for line in explain.unwrap_or_default() {
                println!("explain: {line}");
            }
            let field = |name: &str, value: Option<String>| {
                println!("{name}: {}", value.unwrap_or_else(|| "-".into()))
            };
            field("title", article.title.clone());
            field("author", article.author.clone());
            if article.authors.len() > 1 {
                field("authors", Some(article.authors.join("; ")));
            }
            field("published", article.published.map(|at| at.to_rfc3339()));
            field("cover", article.cover_image.as_ref().map(ToString::to_string));
            field("language", article.language.clone());
            field("excerpt", article.excerpt.clone());
            println!();
            println!(
                "{}",
                if format == Format::Markdown {
                    &article.markdown
                } else {
                    &article.text
                }
                .trim_end()
            );
            if many {
                println!();
            }
        }
    }
}

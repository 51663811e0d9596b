//! The command line: `tidings [--config PATH] <check | once | run | status | articles | extract>`. Parses arguments,
//! wires the library's stages together for each command, and turns outcomes into exit codes:
//! 0 success, 1 some feed (or input) failed, 2 usage or configuration error.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::Context;
use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use tidings::config::{self, Config, ConfigError};
use tidings::extract::{self, Article};
use tidings::fetch::{FetchOutcome, Fetcher};
use tidings::host_limits::HostLimits;
use tidings::pipeline::{FeedOutcome, FeedReport, Pipeline, Progress};
use tidings::store;
use tidings::{charset, daemon, site_rules};

use crate::admin;
use url::Url;

pub const EXIT_OK: u8 = 0;
pub const EXIT_FEED_FAILED: u8 = 1;
pub const EXIT_USAGE: u8 = 2;

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
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Format {
    Markdown,
    Text,
    Json,
}

/// Parses the arguments and runs the command; an `Err` is an unexpected failure (exit 2 from main).
pub fn main() -> anyhow::Result<ExitCode> {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            let code = if error.use_stderr() { EXIT_USAGE } else { EXIT_OK };
            return Ok(ExitCode::from(code));
        }
    };
    let interactive_once = matches!(cli.command, Command::Once { .. }) && std::io::stderr().is_terminal();
    init_logging(if interactive_once { "warn" } else { "info" });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    let code = match cli.command {
        Command::Check => check(&cli.config),
        Command::Once { feed } => runtime.block_on(once(&cli.config, feed.as_deref())),
        Command::Run => match load_config(&cli.config) {
            Ok(config) => runtime
                .block_on(daemon::run(config))
                .map(|()| EXIT_OK)
                .context("daemon")?,
            Err(code) => code,
        },
        Command::Status { json } => match load_config(&cli.config) {
            Ok(config) => admin::status(&config, json)?,
            Err(code) => code,
        },
        Command::Articles {
            feed,
            since,
            search,
            json,
        } => match load_config(&cli.config) {
            Ok(config) => admin::articles(&config, feed, since.as_deref(), search, json)?,
            Err(code) => code,
        },
        Command::Rules {
            command: RulesCommand::Coverage { dir },
        } => {
            print!("{}", site_rules::measure(&dir));
            EXIT_OK
        }
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
        Command::Extract { url, format, inputs } => {
            runtime.block_on(extract_command(url, format, &inputs))?
        }
    };
    Ok(ExitCode::from(code))
}

/// Logs go to stderr, one line per event. On a terminal: human format with colour. Otherwise (journald, a
/// file, a pipe): no colour, and no timestamp when journald stamps lines itself.
fn init_logging(default_level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level));
    let on_terminal = std::io::stderr().is_terminal();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(on_terminal)
        .with_target(false);
    if std::env::var_os("JOURNAL_STREAM").is_some() {
        builder.without_time().init();
    } else {
        builder.init();
    }
}

/// Loads the config, printing every problem; `Err` carries the exit code.
fn load_config(path: &Path) -> Result<Config, u8> {
    config::load(path).map_err(|error| {
        match &error {
            ConfigError::Invalid { problems } => problems.iter().for_each(|problem| eprintln!("{problem}")),
            ConfigError::Read { .. } => eprintln!("{error}"),
        }
        EXIT_USAGE
    })
}

fn check(path: &Path) -> u8 {
    match load_config(path) {
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

async fn once(path: &Path, only: Option<&str>) -> u8 {
    let config = match load_config(path) {
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
    let store = match store::open(&config.settings.database) {
        Ok(store) => store,
        Err(error) => {
            eprintln!("{error}");
            return EXIT_USAGE;
        }
    };
    let progress = Arc::new(Progress::default());
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
    if let Err(error) = pipeline.restore_missing_files().await {
        eprintln!("{error}");
        return EXIT_FEED_FAILED;
    }

    let total = feeds.len();
    let mut tasks = tokio::task::JoinSet::new();
    for feed in feeds {
        let pipeline = pipeline.clone();
        tasks.spawn(async move {
            let result = pipeline.poll_feed(&feed).await;
            (feed, result)
        });
    }
    let show_progress = std::io::stderr().is_terminal();
    let mut reports: Vec<FeedReport> = Vec::with_capacity(total);
    let mut any_failed = false;
    let mut ticker = tokio::time::interval(Duration::from_millis(200));
    loop {
        tokio::select! {
            joined = tasks.join_next() => {
                let Some(joined) = joined else { break };
                match joined {
                    Ok((_, Ok(report))) => {
                        any_failed |= matches!(report.outcome, FeedOutcome::Failed { .. });
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
            _ = ticker.tick(), if show_progress => draw_progress(reports.len(), total, &progress),
        }
    }
    if show_progress {
        draw_progress(reports.len(), total, &progress);
        eprintln!();
    }
    reports.sort_by(|a, b| a.feed.cmp(&b.feed));
    print_summary(&reports);
    if any_failed { EXIT_FEED_FAILED } else { EXIT_OK }
}

fn draw_progress(done: usize, total: usize, progress: &Progress) {
    let mut stderr = std::io::stderr().lock();
    let _ = write!(
        stderr,
        "\r\x1b[2Kfeeds {done}/{total} · articles written {} · item failures {}",
        progress.articles_written.load(Ordering::Relaxed),
        progress.item_failures.load(Ordering::Relaxed)
    );
    let _ = stderr.flush();
}

fn print_summary(reports: &[FeedReport]) {
    let rows: Vec<[String; 8]> = reports
        .iter()
        .map(|report| {
            let (result, detail) = match &report.outcome {
                FeedOutcome::Updated => ("ok".to_string(), String::new()),
                FeedOutcome::NotModified => ("not modified".to_string(), String::new()),
                FeedOutcome::Empty { reason } => ("empty".to_string(), reason.clone()),
                FeedOutcome::Failed { error, .. } => ("FAILED".to_string(), error.clone()),
            };
            let detail = if detail.is_empty() {
                report
                    .item_failures
                    .first()
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
    println!(
        "{} feeds, {written} articles written, {failed} feeds failed",
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

async fn extract_command(base: Option<Url>, format: Format, inputs: &[String]) -> anyhow::Result<u8> {
    let fetcher = Fetcher::new(
        &format!("tidings/{} (+preview)", env!("CARGO_PKG_VERSION")),
        Duration::from_secs(30),
        HostLimits::new(2, Duration::ZERO),
    )?;
    let mut any_failed = false;
    for input in inputs {
        match load_input(&fetcher, base.as_ref(), input).await {
            Ok((url, article)) => print_article(format, input, &url, &article, inputs.len() > 1),
            Err(error) => {
                any_failed = true;
                eprintln!("{input}: {error}");
            }
        }
    }
    Ok(if any_failed { EXIT_FEED_FAILED } else { EXIT_OK })
}

async fn load_input(fetcher: &Fetcher, base: Option<&Url>, input: &str) -> anyhow::Result<(Url, Article)> {
    let (bytes, content_type, url) = match Url::parse(input) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => match fetcher.get(&url, None).await? {
            FetchOutcome::Fetched(response) => (response.body, response.content_type, response.final_url),
            FetchOutcome::NotModified { .. } => anyhow::bail!("unexpected 304"),
        },
        _ => {
            let path = Path::new(input);
            let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
            let url = match base {
                Some(base) => base.clone(),
                None => Url::from_file_path(std::fs::canonicalize(path)?)
                    .map_err(|()| anyhow::anyhow!("cannot make a file URL of {}", path.display()))?,
            };
            (bytes, None, url)
        }
    };
    let decoded = charset::decode(&bytes, content_type.as_deref());
    let article = extract::extract(&decoded.text, &url, &Default::default());
    Ok((url, article))
}

fn print_article(format: Format, input: &str, url: &Url, article: &Article, many: bool) {
    match format {
        Format::Json => {
            let line = serde_json::json!({
                "input": input,
                "url": url.as_str(),
                "title": article.title,
                "author": article.author,
                "published": article.published.map(|at| at.to_rfc3339()),
                "excerpt": article.excerpt,
                "cover_image": article.cover_image.as_ref().map(Url::as_str),
                "language": article.language,
                "markdown": article.markdown,
                "text": article.text,
            });
            println!("{line}");
        }
        Format::Markdown | Format::Text => {
            if many {
                println!("==> {input} <==");
            }
            let field = |name: &str, value: Option<String>| {
                println!("{name}: {}", value.unwrap_or_else(|| "-".into()))
            };
            field("title", article.title.clone());
            field("author", article.author.clone());
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

//! Load benchmark (`cargo bench --bench load [-- --feeds 100,1000,10000 --items 3]`): N feeds × M items on
//! a loopback web (one host per feed, 127.1.x.y, ~100 KB news pages with ETags), driving the real release
//! binary at its shipped settings through five scenarios per N:
//!
//! - cold `once` (every item new: fetch, extract, store, write),
//! - all-304 `once` (nothing changed: one conditional GET per feed),
//! - all-changed `once` (every feed's body and ETag changed, every item stored already),
//! - `once --feed ONE` with all N feeds configured and N × M articles stored,
//! - `run` on a short schedule where every poll is a 304, sampled over a window.
//!
//! Printed per scenario: wall time, CPU time (user + system, from `wait4`), peak RSS, articles/s and
//! CPU-ms per article; for the daemon, CPU as a share of one core, RSS range and CPU per 304 poll.
//! All traffic stays on loopback. Options: `--feeds LIST`, `--items M`, `--schedule-secs S` (daemon
//! schedule, default 30), `--window-secs W` (daemon measuring window, default 2 × S), `--timeout-secs T`
//! (per `once`, default 1800: a cold run over 10,000 feeds at the shipped politeness settings takes about
//! 20 minutes), `--set KEY=VALUE` (extra `[settings]` line, repeatable), `--keep` (leave the work folders),
//! `--binary PATH` (another build, e.g. a copy of an older one, to compare), `--before-guard` (leave out
//! `allow_private_addresses`, for a build older than the SSRF guard, which rejects the key), `--repeat N`
//! (run the all-304 and all-changed `once` N times), `--cold-repeat N` (run the cold `once` N times, each
//! after the first in a fresh folder), `--compare PATH` (alternate another build's runs with this one's on
//! the same site: each cold run in a fresh folder, the all-304 and all-changed `once` on the same
//! database) and `--pages LIST` (a file
//! naming saved HTML pages, one path per line, served in turn as the article pages instead of the built
//! ones: real pages of every size), `--database URL` (the `database` setting, e.g. an empty PostgreSQL
//! database; default a SQLite file in the work folder).

mod child;
mod site;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use child::Usage;
use site::Site;

/// The `database` setting unless `--database` says otherwise: a SQLite file in the work folder.
const DEFAULT_DATABASE: &str = "tidings.db";

struct Options {
    feeds: Vec<usize>,
    items: usize,
    schedule_secs: u64,
    window_secs: Option<u64>,
    timeout: Duration,
    settings: Vec<String>,
    keep: bool,
    binary: PathBuf,
    before_guard: bool,
    repeat: usize,
    cold_repeat: usize,
    compare: Option<PathBuf>,
    pages: Option<PathBuf>,
    database: String,
}

fn options() -> Options {
    let mut options = Options {
        feeds: vec![100, 1_000, 10_000],
        items: 3,
        schedule_secs: 30,
        window_secs: None,
        timeout: Duration::from_secs(1800),
        settings: Vec::new(),
        keep: false,
        binary: PathBuf::from(env!("CARGO_BIN_EXE_tidings")),
        before_guard: false,
        repeat: 1,
        cold_repeat: 1,
        compare: None,
        pages: None,
        database: DEFAULT_DATABASE.into(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().unwrap_or_else(|| panic!("{name} needs a value"));
        match arg.as_str() {
            "--feeds" => {
                options.feeds = value("--feeds")
                    .split(',')
                    .map(|n| n.trim().replace('_', "").parse().expect("--feeds: numbers"))
                    .collect();
            }
            "--items" => options.items = value("--items").parse().expect("--items: a number"),
            "--schedule-secs" => options.schedule_secs = value("--schedule-secs").parse().expect("seconds"),
            "--window-secs" => options.window_secs = Some(value("--window-secs").parse().expect("seconds")),
            "--timeout-secs" => {
                options.timeout = Duration::from_secs(value("--timeout-secs").parse().expect("seconds"))
            }
            "--set" => options.settings.push(value("--set")),
            "--keep" => options.keep = true,
            "--before-guard" => options.before_guard = true,
            "--binary" => options.binary = PathBuf::from(value("--binary")),
            "--repeat" => options.repeat = value("--repeat").parse().expect("--repeat: a number"),
            "--cold-repeat" => {
                options.cold_repeat = value("--cold-repeat").parse().expect("--cold-repeat: a number")
            }
            "--compare" => options.compare = Some(PathBuf::from(value("--compare"))),
            "--pages" => options.pages = Some(PathBuf::from(value("--pages"))),
            "--database" => options.database = value("--database"),
            // cargo bench passes --bench; a filter word would follow it. Neither means anything here.
            _ => {}
        }
    }
    options
}

fn main() {
    let options = options();
    raise_descriptor_limit();
    let binary = options.binary.clone();
    println!(
        "load bench: binary {}, {} items per feed, daemon schedule {} s; extra settings: {:?}",
        binary.display(),
        options.items,
        options.schedule_secs,
        options.settings
    );
    // Removed only at the end: ext4 without a journal skips the inodes freed in the last minutes when it
    // allocates new ones, scanning past each, so deleting one size's 30,000 files right before the next
    // size's cold run made that run pay for the scan (15% of its CPU in a profile).
    let work_folders: Vec<_> = options
        .feeds
        .iter()
        .map(|&feeds| run_size(&binary, &options, feeds))
        .collect();
    drop(work_folders);
}

/// Each feed is a host and each host a listening socket here plus connections in the child: use the
/// hard limit, as the systemd unit's `LimitNOFILE=` does for the service.
fn raise_descriptor_limit() {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: valid pointer to a local rlimit.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &raw mut limit) } == 0 {
        limit.rlim_cur = limit.rlim_max;
        // SAFETY: valid pointer to a local rlimit.
        unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raw const limit) };
    }
}

/// Runs every scenario at `feeds`; returns the work folder (removed when dropped, unless `--keep`).
fn run_size(binary: &Path, options: &Options, feeds: usize) -> Option<tempfile::TempDir> {
    let dir = tempfile::Builder::new()
        .prefix("tidings-load-")
        .tempdir()
        .expect("work folder");
    let site = Site::start(feeds, options.items, saved_pages(options.pages.as_deref()));
    let config = dir.path().join("feeds.toml");
    std::fs::write(&config, config_text(&site, options)).expect("write feeds.toml");
    let expected = feeds * options.items;
    println!(
        "\n== {feeds} feeds × {} items ({expected} articles), work folder {}",
        options.items,
        dir.path().display()
    );
    println!(
        "{:<34} {:>8} {:>8} {:>10} {:>9} {:>9} {:>11}  exit",
        "scenario", "wall s", "CPU s", "peak MB", "articles", "art/s", "CPU-ms/art"
    );

    // The machine's noise is large: `--cold-repeat` and `--repeat` run the scenarios several times, and
    // `--compare` alternates another build with this one on the same site (and database, but for cold runs).
    let builds: Vec<&Path> = std::iter::once(binary)
        .chain(options.compare.as_deref())
        .collect();
    let label = |name: &str, build: &Path| match builds.len() {
        1 => name.to_string(),
        _ => format!("{name} ({})", file_label(build)),
    };
    // This build's first cold run fills the work folder the later scenarios run on; every other cold run (the
    // other build's, repeats) gets a fresh folder of its own. A PostgreSQL database is not duplicated, so with
    // `--database` there is one cold run.
    let (cold_runs, cold_builds) = if options.database == DEFAULT_DATABASE {
        (options.cold_repeat, &builds[..])
    } else {
        (1, &builds[..1])
    };
    for (run, &build) in (0..cold_runs).flat_map(|run| cold_builds.iter().map(move |build| (run, build))) {
        let folder = if run == 0 && build == binary {
            dir.path().to_path_buf()
        } else {
            let folder = dir.path().join(format!("cold-{run}-{}", file_label(build)));
            std::fs::create_dir_all(&folder).expect("cold run folder");
            std::fs::write(folder.join("feeds.toml"), config_text(&site, options)).expect("write feeds.toml");
            folder
        };
        let before = site.counters.snapshot();
        let cold = child::run(
            build,
            &folder.join("feeds.toml"),
            &["once"],
            &folder.join("cold.log"),
            options.timeout,
        );
        let written = count_files(&folder.join("articles"));
        print_row(&label("cold once", build), &cold, Some(written));
        let after = site.counters.snapshot();
        if after[2] > before[2] {
            println!(
                "   (pages served: {}, average {:.1} KB)",
                after[2] - before[2],
                (after[3] - before[3]) as f64 / (after[2] - before[2]) as f64 / 1024.0
            );
        }
    }

    let cycle = |name: &str, log: &str, prepare: &dyn Fn()| {
        for _ in 0..options.repeat {
            for &build in &builds {
                prepare();
                let before = site.counters.snapshot();
                let usage = child::run(build, &config, &["once"], &dir.path().join(log), options.timeout);
                print_row(&label(name, build), &usage, None);
                print_requests(&site, before);
            }
        }
    };
    cycle("all-304 once", "304.log", &|| {});
    // Every feed changed but nothing new in it: the poll of an active feed between two stories.
    cycle("all-changed once", "changed.log", &|| site.change_every_feed());

    let one = child::run(
        binary,
        &config,
        &["once", "--feed", "feed-00000"],
        &dir.path().join("one.log"),
        options.timeout,
    );
    print_row(&format!("once --feed ONE ({feeds} configured)"), &one, None);

    daemon(
        binary,
        &config,
        &site,
        options,
        feeds,
        &dir.path().join("daemon.log"),
    );
    if options.keep {
        let kept = dir.keep();
        println!("   (kept {})", kept.display());
        return None;
    }
    Some(dir)
}

/// What the site answered since `before`.
fn print_requests(site: &Site, before: [usize; 4]) {
    let after = site.counters.snapshot();
    println!(
        "   (feed requests: {} answered 304, {} full; pages {})",
        after[1] - before[1],
        after[0] - before[0],
        after[2] - before[2]
    );
}

/// The pages a `--pages` list names, read into memory.
fn saved_pages(list: Option<&Path>) -> Vec<hyper::body::Bytes> {
    let Some(list) = list else {
        return Vec::new();
    };
    let names =
        std::fs::read_to_string(list).unwrap_or_else(|error| panic!("--pages {}: {error}", list.display()));
    names
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(|path| {
            std::fs::read(path)
                .unwrap_or_else(|error| panic!("--pages: {path}: {error}"))
                .into()
        })
        .collect()
}

/// A build's file name, to tell the rows of `--compare` apart.
fn file_label(build: &Path) -> String {
    build.file_name().map_or_else(
        || build.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    )
}

fn config_text(site: &Site, options: &Options) -> String {
    // Every feed host is a loopback address; on the public web all feeds share one guarded client, while
    // here each feed's own address would give each feed a client of its own. Allowing private addresses
    // keeps the one shared client of the real case.
    let mut text = format!(
        "[settings]\ndatabase = \"{}\"\noutput_dir = \"articles\"\nschedule = \"*/{} * * * * *\"\n",
        options.database, options.schedule_secs
    );
    if !options.before_guard {
        text.push_str("allow_private_addresses = true\n");
    }
    for line in &options.settings {
        text.push_str(line);
        text.push('\n');
    }
    for (index, url) in site.feed_urls.iter().enumerate() {
        let _ = write!(text, "\n[[feeds]]\nname = \"feed-{index:05}\"\nurl = \"{url}\"\n");
    }
    text
}

/// The daemon over an all-304 web: one schedule period to settle, then a measured window.
#[expect(
    clippy::zombie_processes,
    reason = "reaped by `child::reap` with wait4, which also reads its rusage"
)]
fn daemon(binary: &Path, config: &Path, site: &Site, options: &Options, feeds: usize, log: &Path) {
    let period = Duration::from_secs(options.schedule_secs);
    let window = Duration::from_secs(options.window_secs.unwrap_or(2 * options.schedule_secs));
    let started = Instant::now();
    let running = child::spawn(binary, config, &["run"], log);
    std::thread::sleep(period);
    let cpu_before = child::cpu_so_far(&running);
    let requests_before = site.counters.snapshot();
    let (mut low, mut high) = (f64::MAX, 0.0_f64);
    let window_start = Instant::now();
    while window_start.elapsed() < window {
        std::thread::sleep(Duration::from_millis(500));
        let rss = child::rss_now_mb(&running);
        if rss > 0.0 {
            low = low.min(rss);
            high = high.max(rss);
        }
    }
    let cpu = child::cpu_so_far(&running).saturating_sub(cpu_before);
    let elapsed = window_start.elapsed();
    let requests = site.counters.snapshot();
    let not_modified = requests[1] - requests_before[1];
    let full = requests[0] - requests_before[0];
    child::signal(&running, libc::SIGTERM);
    let total = child::reap(&running, true, started).expect("daemon exit status");
    let share = cpu.as_secs_f64() / elapsed.as_secs_f64() * 100.0;
    let per_poll_us = cpu.as_secs_f64() * 1e6 / not_modified.max(1) as f64;
    println!(
        "daemon, {}s schedule, {:.0}s window: CPU {:.1}% of a core, RSS {:.0}–{:.0} MB (peak {:.0} MB over {:.0} s), \
         {not_modified} polls answered 304 + {full} full, {per_poll_us:.0} µs CPU per 304 poll \
         ({:.2} CPU-s per cycle of {feeds} feeds), exit {:?}",
        options.schedule_secs,
        elapsed.as_secs_f64(),
        share,
        if high > 0.0 { low } else { 0.0 },
        high,
        total.peak_rss_mb,
        total.wall.as_secs_f64(),
        per_poll_us * feeds as f64 / 1e6,
        total.exit_code,
    );
}

fn print_row(name: &str, usage: &Usage, articles: Option<usize>) {
    let (count, rate, per_article) = match articles {
        Some(articles) => (
            articles.to_string(),
            format!("{:.0}", articles as f64 / usage.wall.as_secs_f64()),
            format!("{:.2}", usage.cpu.as_secs_f64() * 1000.0 / articles.max(1) as f64),
        ),
        None => ("-".into(), "-".into(), "-".into()),
    };
    let exit = if usage.timed_out {
        "TIMED OUT".to_string()
    } else {
        usage
            .exit_code
            .map_or_else(|| "signal".to_string(), |code| code.to_string())
    };
    println!(
        "{name:<34} {:>8.1} {:>8.2} {:>10.0} {count:>9} {rate:>9} {per_article:>11}  {exit}",
        usage.wall.as_secs_f64(),
        usage.cpu.as_secs_f64(),
        usage.peak_rss_mb
    );
}

fn count_files(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |entries| {
        entries
            .filter_map(Result::ok)
            .filter(|entry| entry.path().extension().is_some_and(|ext| ext == "md"))
            .count()
    })
}

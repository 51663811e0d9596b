//! The daemon: owns the runtime's lifetime. Schedules each feed's polls, reloads the config on SIGHUP,
//! stops gracefully on SIGTERM/SIGINT, and keeps systemd informed (`READY=1`, `WATCHDOG=1`, `STATUS=`,
//! `STOPPING=1`), and serves `/metrics`, `/healthz` and the status page when `[settings] listen` is set
//! ([`crate::serve`]).
//!
//! Scheduling rules: a feed is never polled twice at once; ticks missed while it ran are skipped, not
//! queued; the next due time comes from the database, so a restart neither skips a poll nor repeats one.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sd_notify::NotifyState;
use tokio::signal::unix::{SignalKind, signal};
use tokio::task::{JoinHandle, JoinSet};
use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

use crate::config::{self, Config, FeedConfig};
use crate::fetch::FetchError;
use crate::metrics::{Counted, Metrics};
use crate::pipeline::{
    Changes, Debouncer, FeedOutcome, FeedReport, MAX_ITEM_ATTEMPTS, Pipeline, PipelineError, PollSlot,
};
use crate::schedule;
use crate::serve::{self, Served};
use crate::store::{self, FeedState, PollRecord, Store, StoreError};

/// How long in-flight polls may run after SIGTERM before they are cut at their next await point. Below
/// systemd's default stop timeout, so we exit on our own terms. Database commits and file renames run to
/// completion regardless (they are synchronous), so nothing is left half-written.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);
/// The longest the scheduler sleeps without looking at the clock again (wall-clock jumps, watchdog health).
const MAX_SLEEP: Duration = Duration::from_secs(30);
/// Due feeds are started together at most this often. At 10,000 feeds one falls due every few milliseconds,
/// and a poll started alone woke each thread it hands work to from sleep; started together, a burst of
/// polls keeps those threads busy between hand-offs. A feed starts at most this late.
const START_EVERY: Duration = Duration::from_millis(200);
/// How often the output folder catches up with articles it lacks on a database shared by several instances
/// (those the others stored). On SQLite only this process writes, so the catch-up at start-up suffices.
const RENDER_INTERVAL: Duration = Duration::from_secs(10);
/// How often the files are checked while the daemon runs (deleted by the admin, past retention), and after
/// each reload. One check lists the output folder and reads the record of its files: at 30,000 files a few
/// tens of milliseconds, where a check of each feed's files before each of its polls cost more than the
/// rest of an unchanged poll.
const FILES_CHECK_EVERY: Duration = Duration::from_secs(60);
/// The scheduler counts as stuck (watchdog, `/healthz`) when it has not turned for this long.
pub const SCHEDULER_STALE_AFTER: Duration = Duration::from_secs(2 * MAX_SLEEP.as_secs());

/// Why the daemon could not start.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("background task failed: {0}")]
    Task(tokio::task::JoinError),
    #[error("cannot install signal handler: {0}")]
    Signal(std::io::Error),
    #[error("cannot listen on {address} (`[settings] listen`): {source}")]
    Listen {
        address: std::net::SocketAddr,
        source: std::io::Error,
    },
}

/// Runs until SIGTERM or SIGINT. Returns `Ok` after a graceful stop.
pub async fn run(config: Config) -> Result<(), DaemonError> {
    let mut terminate = signal(SignalKind::terminate()).map_err(DaemonError::Signal)?;
    let mut interrupt = signal(SignalKind::interrupt()).map_err(DaemonError::Signal)?;
    let mut hangup = signal(SignalKind::hangup()).map_err(DaemonError::Signal)?;

    let settings = config.settings.clone();
    // Opening may connect to a server and migrate: blocking work, like every store call.
    let store = tokio::task::spawn_blocking(move || store::open(&settings.database, &settings.instance))
        .await
        .map_err(DaemonError::Task)??;
    let metrics = Arc::new(Metrics::default());
    let mut pipeline = Pipeline::new(config.settings.clone(), Arc::clone(&store), Arc::clone(&metrics))?;
    pipeline.fail_interrupted_extractions().await?;
    let reconciled = pipeline.reconcile_files(None).await?;
    let debouncer = Debouncer::start(&pipeline, Changes::of_reconciled(&reconciled));
    let (config_sender, config_receiver) = tokio::sync::watch::channel(Arc::new(config.clone()));
    let stop_background = CancellationToken::new();
    let server = match config.settings.listen {
        Some(address) => {
            tokio::task::block_in_place(|| seed_feed_metrics(&metrics, store.as_ref()))?;
            let served = Served {
                metrics: Arc::clone(&metrics),
                store: Arc::clone(&store),
                database: config.settings.database.clone(),
                config: config_receiver,
                scheduler_stale_after: SCHEDULER_STALE_AFTER,
            };
            let (bound, task) = serve::start(address, served, stop_background.clone())
                .await
                .map_err(|source| DaemonError::Listen { address, source })?;
            info!(address = %bound, "serving /metrics, /healthz and the status page");
            Some(task)
        }
        None => None,
    };
    // Store calls block; the scheduler's few (start-up, reload, a poll that could not be recorded) run in
    // place of async work rather than on the runtime's threads.
    let mut scheduler = tokio::task::block_in_place(|| Scheduler::new(config, store.as_ref()))?;

    metrics.scheduler_turned();
    let watchdog = tokio::spawn(watchdog(
        Arc::clone(&metrics),
        Arc::clone(&store),
        stop_background.clone(),
    ));
    notify(&[
        NotifyState::Ready,
        NotifyState::Status(&scheduler.status_line(&metrics)),
    ]);
    info!(
        config = %scheduler.config.path.display(),
        feeds = scheduler.enabled,
        "daemon ready"
    );

    let mut running: JoinSet<(String, Result<FeedReport, PipelineError>)> = JoinSet::new();
    let mut due: VecDeque<(FeedConfig, Option<PollRecord>, Counted)> = VecDeque::new();
    let mut status = StatusLine::default();
    let mut file_work: Option<JoinHandle<Changes>> = None;
    let mut files = FileChecks::new(store.shares_feeds());
    let mut next_start = Instant::now();
    loop {
        metrics.scheduler_turned();
        if file_work.is_none() {
            file_work = files.start_due(&pipeline);
        }
        if Instant::now() >= next_start {
            next_start = Instant::now() + START_EVERY;
            let starting = scheduler.start_due(Utc::now());
            // Read in one trip for the whole burst, not one per poll.
            let records = pipeline.read_poll_records(&starting).await;
            due.extend(
                starting
                    .into_iter()
                    .zip(records)
                    .map(|(feed, read)| (feed, read, pipeline.poll_waiting())),
            );
        }
        // A poll's task is spawned once it has its place (see `pipeline::flow`); the rest of the due feeds
        // wait here as their config.
        while !due.is_empty()
            && let Some(place) = pipeline.try_poll_place()
            && let Some((feed, read, _waiting)) = due.pop_front()
        {
            let pipeline = pipeline.clone();
            running.spawn(async move {
                let result = pipeline.poll_feed(&feed, PollSlot::Scheduled, place, read).await;
                (feed.name, result)
            });
        }
        let sleep = scheduler
            .time_until_next_due(Utc::now())
            .max(next_start.saturating_duration_since(Instant::now()))
            .min(MAX_SLEEP)
            .min(match file_work {
                None => files.time_until_due(),
                Some(_) => MAX_SLEEP,
            })
            .min(status.send_if_due(|| scheduler.status_line(&metrics)));
        tokio::select! {
            _ = tokio::time::sleep(sleep) => {}
            Some(changes) = finished_file_work(&mut file_work), if file_work.is_some() => {
                file_work = None;
                debouncer.changed(&pipeline, changes);
            }
            Some(joined) = running.join_next() => {
                match joined {
                    Ok((name, result)) => {
                        if let Ok(report) = &result {
                            debouncer.changed(&pipeline, Changes::of_report(report));
                        }
                        // Only a poll that could not be recorded makes the scheduler write to the store;
                        // handing the thread over for every poll cost more than the bookkeeping.
                        if result.is_ok() {
                            scheduler.finished(&name, result, store.as_ref());
                        } else {
                            tokio::task::block_in_place(|| scheduler.finished(&name, result, store.as_ref()));
                        }
                    }
                    Err(error) => error!(error = %error, "poll task failed"),
                }
                status.changed();
            }
            _ = hangup.recv() => {
                match NotifyState::monotonic_usec_now() {
                    Ok(now) => notify(&[NotifyState::Reloading, now]),
                    Err(_) => notify(&[NotifyState::Reloading]),
                }
                if let Some(config) = reload(&scheduler.config) {
                    if config.settings.database != scheduler.config.settings.database {
                        warn!(
                            database = %scheduler.config.settings.database,
                            "a new database path takes effect after a restart; still using the current one"
                        );
                    }
                    if config.settings.instance != scheduler.config.settings.instance {
                        warn!(
                            instance = %scheduler.config.settings.instance,
                            "a new instance name takes effect after a restart; still running as the current one"
                        );
                    }
                    if config.settings.listen != scheduler.config.settings.listen {
                        warn!("a new listen address takes effect after a restart; still serving the current one");
                    }
                    match pipeline.with_settings(config.settings.clone()) {
                        Ok(reloaded) => {
                            pipeline = reloaded;
                            // A reload is also the admin's way to have changes to the folder seen now.
                            files.check_now();
                            config_sender.send_replace(Arc::new(config.clone()));
                            tokio::task::block_in_place(|| scheduler.apply(config, store.as_ref()));
                        }
                        Err(error) => error!(error = %error, "configuration not reloaded; keeping the running one"),
                    }
                }
                notify(&[NotifyState::Ready, NotifyState::Status(&scheduler.status_line(&metrics))]);
            }
            _ = terminate.recv() => break,
            _ = interrupt.recv() => break,
        }
    }

    notify(&[
        NotifyState::Stopping,
        NotifyState::Status("stopping: letting in-flight polls finish"),
    ]);
    info!(
        in_flight = running.len(),
        grace_s = SHUTDOWN_GRACE.as_secs(),
        "stopping"
    );
    let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while let Some(joined) = running.join_next().await {
            if let Ok((name, result)) = joined {
                if let Ok(report) = &result {
                    debouncer.changed(&pipeline, Changes::of_report(report));
                }
                scheduler.finished(&name, result, store.as_ref());
            }
        }
    })
    .await;
    if drained.is_err() {
        warn!(
            in_flight = running.len(),
            "grace period over; cancelling the remaining polls"
        );
        running.shutdown().await;
    }
    if let Some(changes) = finished_file_work(&mut file_work).await {
        debouncer.changed(&pipeline, changes);
    }
    debouncer.finish(SHUTDOWN_GRACE).await;
    stop_background.cancel();
    let _ = watchdog.await;
    if let Some(server) = server {
        let _ = server.await;
    }
    // Blocking writers finish even when their task is cancelled; let them settle, then sweep temp files.
    tokio::task::yield_now().await;
    crate::output::remove_stale_temp_files(&scheduler.config.settings.output_dir);
    info!("stopped");
    Ok(())
}

/// When the files are checked, and on a shared database caught up, while the daemon runs.
struct FileChecks {
    check_due: Instant,
    /// `None` on a database only this process writes to.
    render_due: Option<Instant>,
}

impl FileChecks {
    fn new(shared_database: bool) -> Self {
        Self {
            check_due: Instant::now() + FILES_CHECK_EVERY,
            render_due: shared_database.then(|| Instant::now() + RENDER_INTERVAL),
        }
    }

    fn check_now(&mut self) {
        self.check_due = Instant::now();
    }

    fn time_until_due(&self) -> Duration {
        let next = self
            .render_due
            .map_or(self.check_due, |render| render.min(self.check_due));
        next.saturating_duration_since(Instant::now())
    }

    /// Starts what is due, if anything: a check of the files, else a catch-up.
    fn start_due(&mut self, pipeline: &Pipeline) -> Option<JoinHandle<Changes>> {
        let now = Instant::now();
        if now >= self.check_due {
            self.check_due = now + FILES_CHECK_EVERY;
            let pipeline = pipeline.clone();
            return Some(tokio::spawn(async move {
                let checked = pipeline.check_files().await;
                // After the check, whose record of every file is freed by now. Once a minute is often enough
                // to keep what polls freed from counting as the daemon's memory.
                crate::memory::return_free_memory();
                match checked {
                    Ok(done) => Changes::of_reconciled(&done),
                    Err(error) => {
                        warn!(error = %error, "cannot check the article files");
                        Changes::default()
                    }
                }
            }));
        }
        let render_due = self.render_due.as_mut().filter(|due| now >= **due)?;
        *render_due = now + RENDER_INTERVAL;
        let pipeline = pipeline.clone();
        Some(tokio::spawn(async move {
            match pipeline.write_unwritten().await {
                Ok(paths) => Changes { paths, tombstoned: 0 },
                Err(error) => {
                    warn!(error = %error, "cannot write the files of articles stored elsewhere");
                    Changes::default()
                }
            }
        }))
    }
}

/// What a check or catch-up of the files changed, once it ends (`None` if none runs or it failed).
async fn finished_file_work(file_work: &mut Option<JoinHandle<Changes>>) -> Option<Changes> {
    match file_work.as_mut() {
        Some(task) => task.await.ok(),
        None => None,
    }
}

/// Re-reads the config; on any problem logs each at file:line:col and keeps the running config.
fn reload(current: &Config) -> Option<Config> {
    match config::load(&current.path) {
        Ok(config) => {
            info!(config = %config.path.display(), feeds = config.feeds.len(), "configuration reloaded");
            Some(config)
        }
        Err(config::ConfigError::Invalid { problems }) => {
            for problem in &problems {
                error!(error = %problem, "configuration not reloaded; keeping the running one");
            }
            None
        }
        Err(error) => {
            error!(error = %error, "configuration not reloaded; keeping the running one");
            None
        }
    }
}

/// Which feed is due when, and which are running. Pure bookkeeping plus reads of stored due times.
///
/// Due times live in a min-heap, so each feed event (a poll starts, a poll finishes, the next wake-up is
/// computed) costs O(log feeds) instead of a scan of every feed: at 10,000 feeds a scan after each finished
/// poll made the scheduler quadratic per tick. A changed due time pushes a new heap entry; the old one is
/// recognised as stale when it surfaces (its time no longer matches `next_due`) and dropped.
struct Scheduler {
    config: Config,
    /// Position of each feed in `config.feeds`, by name.
    index: HashMap<String, usize>,
    /// Enabled feeds in `config`.
    enabled: usize,
    next_due: HashMap<String, DateTime<Utc>>,
    heap: BinaryHeap<Reverse<(DateTime<Utc>, String)>>,
    running: HashSet<String>,
    failing: HashSet<String>,
}

impl Scheduler {
    fn new(config: Config, store: &dyn Store) -> Result<Self, StoreError> {
        let mut scheduler = Self {
            config,
            index: HashMap::new(),
            enabled: 0,
            next_due: HashMap::new(),
            heap: BinaryHeap::new(),
            running: HashSet::new(),
            failing: HashSet::new(),
        };
        scheduler.reindex();
        for position in 0..scheduler.config.feeds.len() {
            let state = store.feed_state(&scheduler.config.feeds[position].name)?;
            scheduler.load_due_time(position, &state);
        }
        Ok(scheduler)
    }

    fn reindex(&mut self) {
        self.index = self
            .config
            .feeds
            .iter()
            .enumerate()
            .map(|(position, feed)| (feed.name.clone(), position))
            .collect();
        self.enabled = self.config.feeds.iter().filter(|feed| feed.enabled).count();
    }

    fn feed(&self, name: &str) -> Option<&FeedConfig> {
        self.index
            .get(name)
            .and_then(|position| self.config.feeds.get(*position))
    }

    /// A feed's stored due time; a feed never polled is due now (plus its jitter). A due time in the past
    /// (the daemon was down) means one poll now, not one per missed tick.
    fn load_due_time(&mut self, position: usize, state: &FeedState) {
        let feed = &self.config.feeds[position];
        let name = feed.name.clone();
        if state.consecutive_failures > 0 {
            self.failing.insert(name.clone());
        }
        let due = state.next_poll_at.unwrap_or_else(|| {
            let jitter = schedule::feed_jitter(&feed.name, self.config.settings.jitter);
            Utc::now() + chrono::TimeDelta::from_std(jitter).unwrap_or_default()
        });
        self.set_due(name, due);
    }

    /// Records `name`'s next due time; enabled feeds not running enter the heap.
    fn set_due(&mut self, name: String, due: DateTime<Utc>) {
        let waiting = !self.running.contains(&name) && self.feed(&name).is_some_and(|feed| feed.enabled);
        if waiting {
            self.heap.push(Reverse((due, name.clone())));
        }
        self.next_due.insert(name, due);
    }

    /// Drops heap entries that no longer describe a waiting feed (removed, disabled, rescheduled, running).
    fn discard_stale(&mut self) {
        while let Some(Reverse((due, name))) = self.heap.peek() {
            let current = !self.running.contains(name)
                && self.next_due.get(name) == Some(due)
                && self.feed(name).is_some_and(|feed| feed.enabled);
            if current {
                return;
            }
            self.heap.pop();
        }
    }

    /// Takes every feed due at `now` off the heap and marks it running.
    fn start_due(&mut self, now: DateTime<Utc>) -> Vec<FeedConfig> {
        let mut due = Vec::new();
        loop {
            self.discard_stale();
            match self.heap.peek() {
                Some(Reverse((at, _))) if *at <= now => {}
                _ => return due,
            }
            let Some(Reverse((_, name))) = self.heap.pop() else {
                return due;
            };
            if let Some(feed) = self.feed(&name).cloned() {
                self.running.insert(name);
                due.push(feed);
            }
        }
    }

    /// The earliest waiting feed, if any.
    fn next_waiting(&mut self) -> Option<(DateTime<Utc>, String)> {
        self.discard_stale();
        self.heap.peek().map(|Reverse(entry)| entry.clone())
    }

    fn time_until_next_due(&mut self, now: DateTime<Utc>) -> Duration {
        self.next_waiting().map_or(MAX_SLEEP, |(due, _)| {
            (due - now).to_std().unwrap_or(Duration::ZERO)
        })
    }

    fn finished(&mut self, name: &str, result: Result<FeedReport, PipelineError>, store: &dyn Store) {
        self.running.remove(name);
        // A feed removed by a reload while it ran is forgotten.
        if !self.index.contains_key(name) {
            return;
        }
        match result {
            Ok(report) => {
                if matches!(report.outcome, FeedOutcome::Failed { .. }) {
                    self.failing.insert(name.to_string());
                } else {
                    self.failing.remove(name);
                }
                self.set_due(name.to_string(), report.next_poll);
            }
            Err(error) => {
                // The poll could not even be recorded (database trouble): try again after a backoff.
                error!(feed = %name, error = %error, "poll could not be recorded");
                self.failing.insert(name.to_string());
                let retry =
                    Utc::now() + chrono::TimeDelta::from_std(schedule::BACKOFF_BASE).unwrap_or_default();
                if let Some(feed) = self.feed(name) {
                    save_next_poll(store, feed, retry);
                }
                self.set_due(name.to_string(), retry);
            }
        }
    }

    /// Switches to a reloaded config: removed feeds are forgotten (a running poll finishes), added feeds load
    /// their stored due time, feeds whose URL or schedule changed are due at their new schedule's next tick.
    fn apply(&mut self, config: Config, store: &dyn Store) {
        let old_feeds: HashMap<String, FeedConfig> = std::mem::take(&mut self.config.feeds)
            .into_iter()
            .map(|feed| (feed.name.clone(), feed))
            .collect();
        self.config = config;
        self.reindex();
        let index = &self.index;
        self.next_due.retain(|name, _| index.contains_key(name));
        self.failing.retain(|name| index.contains_key(name));
        for position in 0..self.config.feeds.len() {
            let feed = self.config.feeds[position].clone();
            let Some(old) = old_feeds.get(&feed.name) else {
                match store.feed_state(&feed.name) {
                    Ok(state) => self.load_due_time(position, &state),
                    Err(error) => error!(feed = %feed.name, error = %error, "cannot read feed state"),
                }
                continue;
            };
            let schedule = feed.effective_schedule(&self.config.settings);
            let changed = old.url != feed.url
                || old.effective_schedule(&self.config.settings).as_str() != schedule.as_str();
            if changed {
                let next = schedule.next_after(Utc::now()).unwrap_or_else(Utc::now);
                save_next_poll(store, &feed, next);
                self.set_due(feed.name, next);
            } else if feed.enabled && !old.enabled {
                // A feed enabled again has no heap entry yet; its stored due time still applies.
                if let Some(due) = self.next_due.get(&feed.name).copied() {
                    self.set_due(feed.name, due);
                }
            }
        }
    }

    fn status_line(&mut self, metrics: &Metrics) -> String {
        let next = self
            .next_waiting()
            .map(|(due, name)| format!("; next: {name} at {}", due.format("%H:%M:%S UTC")))
            .unwrap_or_default();
        format!(
            "{} feeds, {} polling, {} failing; {} articles written since start{next}",
            self.enabled,
            self.running.len(),
            self.failing.len(),
            metrics.articles_written()
        )
    }
}

/// Stores a due time the scheduler set without a poll; on failure the in-memory time still applies.
fn save_next_poll(store: &dyn Store, feed: &FeedConfig, at: DateTime<Utc>) {
    if let Err(error) = store.set_next_poll(&feed.name, &feed.url, at) {
        warn!(feed = %feed.name, url = %feed.url, error = %error, "cannot store the next poll time");
    }
}

/// Starts each feed's gauges on `/metrics` from the database (last success, failures in a row), so they
/// survive a restart.
fn seed_feed_metrics(metrics: &Metrics, store: &dyn Store) -> Result<(), StoreError> {
    for feed in store.feed_statuses(Utc::now(), MAX_ITEM_ATTEMPTS)? {
        metrics.seed_feed(&feed.name, feed.last_success_at, feed.state.consecutive_failures);
    }
    Ok(())
}

/// Sends `WATCHDOG=1` at half the interval systemd asked for, but only while the scheduler loop has
/// turned recently and the database answers; otherwise systemd's watchdog restarts us.
async fn watchdog(metrics: Arc<Metrics>, store: Arc<dyn Store>, stop: CancellationToken) {
    let Some(interval) = sd_notify::watchdog_enabled() else {
        return;
    };
    let period = interval / 2;
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(period) => {}
        }
        let scheduler_alive = metrics.since_scheduler_turned() <= SCHEDULER_STALE_AFTER;
        let store_for_check = Arc::clone(&store);
        let database_ok = tokio::task::spawn_blocking(move || store_for_check.ping().is_ok())
            .await
            .unwrap_or(false);
        if scheduler_alive && database_ok {
            notify(&[NotifyState::Watchdog]);
        } else {
            warn!(
                scheduler_alive,
                database_ok, "unhealthy; withholding the watchdog ping"
            );
        }
    }
}

/// The status line systemd shows (`systemctl status`), sent at most once per [`STATUS_INTERVAL`]: at
/// 10,000 feeds a line per finished poll was hundreds of lines a second, each formatted and sent.
#[derive(Default)]
struct StatusLine {
    sent: Option<Instant>,
    stale: bool,
}

const STATUS_INTERVAL: Duration = Duration::from_secs(1);

impl StatusLine {
    fn changed(&mut self) {
        self.stale = true;
    }

    /// Sends the line from `line` when it changed and the interval has passed; how long until it may be
    /// sent otherwise (the loop's sleep is capped by it, so a last change is not left unsent).
    fn send_if_due(&mut self, line: impl FnOnce() -> String) -> Duration {
        if !self.stale {
            return MAX_SLEEP;
        }
        let wait = self.sent.map_or(Duration::ZERO, |sent| {
            STATUS_INTERVAL.saturating_sub(sent.elapsed())
        });
        if wait.is_zero() {
            notify(&[NotifyState::Status(&line())]);
            self.sent = Some(Instant::now());
            self.stale = false;
            return MAX_SLEEP;
        }
        wait
    }
}

/// Tells systemd; a no-op outside systemd (no `NOTIFY_SOCKET`).
fn notify(states: &[NotifyState]) {
    if let Err(error) = sd_notify::notify(states) {
        warn!(error = %error, "sd_notify failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scheduler(dir: &std::path::Path) -> Scheduler {
        let path = dir.join("feeds.toml");
        let mut text = String::from("[settings]\njitter = \"0s\"\n");
        for (name, enabled) in [("a", true), ("b", true), ("c", true), ("off", false)] {
            text.push_str(&format!(
                "[[feeds]]\nname = \"{name}\"\nurl = \"http://127.0.0.1:9/{name}\"\nenabled = {enabled}\n"
            ));
        }
        std::fs::write(&path, text).expect("write config");
        let config = config::load(&path).expect("valid config");
        let store =
            store::open(&store::Database::Sqlite(dir.join("tidings.db")), "test").expect("open store");
        Scheduler::new(config, store.as_ref()).expect("scheduler")
    }

    fn names(feeds: &[FeedConfig]) -> Vec<&str> {
        feeds.iter().map(|feed| feed.name.as_str()).collect()
    }

    #[test]
    fn feeds_leave_the_heap_in_due_order_and_superseded_times_are_ignored() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut scheduler = scheduler(dir.path());
        let now = Utc::now() + chrono::TimeDelta::seconds(1);
        // Rescheduling leaves the first (due now) entries behind in the heap; they must not fire.
        scheduler.set_due("a".into(), now + chrono::TimeDelta::seconds(10));
        scheduler.set_due("b".into(), now + chrono::TimeDelta::seconds(5));
        scheduler.set_due("c".into(), now + chrono::TimeDelta::seconds(20));
        assert!(scheduler.start_due(now).is_empty());
        assert_eq!(scheduler.time_until_next_due(now), Duration::from_secs(5));

        let later = now + chrono::TimeDelta::seconds(6);
        assert_eq!(names(&scheduler.start_due(later)), ["b"]);
        assert!(
            scheduler.start_due(later).is_empty(),
            "a running feed is not started twice"
        );
        assert_eq!(scheduler.time_until_next_due(later), Duration::from_secs(4));

        let much_later = now + chrono::TimeDelta::seconds(60);
        assert_eq!(
            names(&scheduler.start_due(much_later)),
            ["a", "c"],
            "the disabled feed never runs"
        );
        assert_eq!(scheduler.time_until_next_due(much_later), MAX_SLEEP);
        assert!(
            scheduler
                .status_line(&Metrics::default())
                .starts_with("3 feeds, 3 polling")
        );
    }
}

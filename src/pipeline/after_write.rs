//! What follows files changing in `output_dir`: the manifest (`manifest = true`) is rewritten and the
//! `on_write` hook is run with the changed paths. `once` does this once at its end; the daemon through a
//! [`Debouncer`], once the polls have been quiet for a moment, so a burst of polls makes one hook run.
//! Neither ever fails or holds up a poll: problems are logged.

use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tracing::warn;

use super::{FeedReport, Pipeline, Reconciled};

/// How long the daemon waits for more changes before acting on the ones it has.
pub const QUIET_PERIOD: Duration = Duration::from_secs(2);
/// The longest changes wait while polls keep changing files without a quiet moment.
pub const MAX_DELAY: Duration = Duration::from_secs(30);

/// Files changed by polls or start-up.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Changes {
    /// Files tidings wrote, rewrote or removed (absolute when `output_dir` is).
    pub paths: Vec<PathBuf>,
    /// Files the admin deleted (now tombstones): the manifest changes, the hook is not run for them.
    pub tombstoned: usize,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.paths.is_empty() && self.tombstoned == 0
    }

    pub fn add(&mut self, other: Changes) {
        self.paths.extend(other.paths);
        self.tombstoned += other.tombstoned;
    }

    pub fn of_report(report: &FeedReport) -> Self {
        Self {
            paths: report.written.clone(),
            tombstoned: 0,
        }
    }

    pub fn of_reconciled(done: &Reconciled) -> Self {
        Self {
            paths: done.written.iter().chain(&done.expired).cloned().collect(),
            tombstoned: done.tombstoned,
        }
    }
}

impl Pipeline {
    /// Rewrites the manifest (also when it is missing, e.g. just switched on) and runs the hook with the
    /// changed paths, sorted, each once. Failures are logged.
    pub async fn files_changed(&self, mut changes: Changes) {
        let manifest_missing = self.settings.manifest
            && !self
                .settings
                .output_dir
                .join(crate::output::MANIFEST_NAME)
                .exists();
        if (!changes.is_empty() || manifest_missing)
            && let Err(error) = self.on_publisher(|publisher| publisher.refresh_manifest()).await
        {
            warn!(path = %self.settings.output_dir.display(), error = %error, "cannot write the manifest");
        }
        // The hook may run elsewhere than tidings' working folder: hand it paths that say where they are.
        for path in &mut changes.paths {
            if let Ok(absolute) = std::path::absolute(&*path) {
                *path = absolute;
            }
        }
        changes.paths.sort();
        changes.paths.dedup();
        if let Some(hook) = self
            .settings
            .on_write
            .as_ref()
            .filter(|_| !changes.paths.is_empty())
        {
            hook.run(&changes.paths).await;
        }
    }
}

/// The daemon's side: collects changes from polls and acts on them after [`QUIET_PERIOD`] without new ones
/// (at most [`MAX_DELAY`] after the first), one run at a time, with the newest settings.
pub struct Debouncer {
    sender: mpsc::UnboundedSender<(Pipeline, Changes)>,
    task: JoinHandle<()>,
}

impl Debouncer {
    /// Starts with what start-up changed; acted on even when that is nothing, so a manifest just switched on
    /// is written at once.
    pub fn start(pipeline: &Pipeline, start_up: Changes) -> Self {
        let (sender, receiver) = mpsc::unbounded_channel();
        // The receiver is alive: it was just made.
        let _ = sender.send((pipeline.clone(), start_up));
        Self {
            sender,
            task: tokio::spawn(debounce(receiver)),
        }
    }

    /// Hands `changes` (made under `pipeline`'s settings) on; nothing happens for none.
    pub fn changed(&self, pipeline: &Pipeline, changes: Changes) {
        if !changes.is_empty() {
            // The task only ends after the sender is dropped, so this cannot fail while `self` lives.
            let _ = self.sender.send((pipeline.clone(), changes));
        }
    }

    /// Acts on what is still pending and waits (at most `within`) for that to end.
    pub async fn finish(self, within: Duration) {
        drop(self.sender);
        let mut task = self.task;
        if tokio::time::timeout(within, &mut task).await.is_err() {
            warn!(
                waited_s = within.as_secs(),
                "stopping without waiting longer for the on_write hook"
            );
            task.abort();
        }
    }
}

async fn debounce(mut receiver: mpsc::UnboundedReceiver<(Pipeline, Changes)>) {
    while let Some((mut pipeline, mut changes)) = receiver.recv().await {
        let deadline = Instant::now() + MAX_DELAY;
        loop {
            let wait = QUIET_PERIOD.min(deadline.saturating_duration_since(Instant::now()));
            match tokio::time::timeout(wait, receiver.recv()).await {
                Ok(Some((newer, more))) => {
                    pipeline = newer;
                    changes.add(more);
                }
                // Closed (stopping) or quiet: act on what there is.
                Ok(None) | Err(_) => break,
            }
        }
        pipeline.files_changed(changes).await;
    }
}

//! The `on_write` hook: the admin's program, run after a poll cycle that wrote or removed files, with the
//! changed paths on its standard input, one per line.
//!
//! The hook never stops tidings: it runs in its own process group, is killed (with everything it started)
//! when it outlives its timeout, and its failure is logged, never returned to the poll that caused it. What it
//! prints is logged (the first [`MAX_LOGGED_OUTPUT`] bytes of each stream).

use std::os::unix::process::ExitStatusExt as _;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWriteExt as _};
use tokio::process::Command;
use tracing::{info, warn};

/// Output kept per stream for the log; the rest is read and dropped so the hook never blocks on a full pipe.
pub const MAX_LOGGED_OUTPUT: usize = 16 * 1024;
/// How long the hook's output is still read after it exited or was killed.
const DRAIN_AFTER_EXIT: Duration = Duration::from_secs(2);

/// `[settings] on_write`: the program and its arguments, and how long it may run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hook {
    pub command: Vec<String>,
    pub timeout: Duration,
}

/// How a run of the hook ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookOutcome {
    /// Exited with status 0.
    Succeeded,
    /// Exited with another status or was ended by a signal.
    Failed(String),
    /// Outlived its timeout and was killed.
    TimedOut,
    /// Could not be started (missing, not executable).
    NotStarted(String),
}

impl Hook {
    /// Runs the hook once with `paths` on its standard input and logs how it went; never fails the caller.
    pub async fn run(&self, paths: &[PathBuf]) -> HookOutcome {
        let started = Instant::now();
        let program = self.command.first().map_or("", String::as_str);
        let outcome = self.run_unlogged(paths).await;
        let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let (outcome, stdout, stderr) = outcome;
        match &outcome {
            HookOutcome::Succeeded => {
                info!(program, paths = paths.len(), elapsed_ms, stdout = %stdout, stderr = %stderr, "on_write hook finished")
            }
            HookOutcome::Failed(status) => {
                warn!(program, paths = paths.len(), elapsed_ms, status = %status, stdout = %stdout, stderr = %stderr, "on_write hook failed")
            }
            HookOutcome::TimedOut => {
                warn!(program, paths = paths.len(), elapsed_ms, timeout_s = self.timeout.as_secs_f64(), stdout = %stdout, stderr = %stderr, "on_write hook outlived its timeout and was killed")
            }
            HookOutcome::NotStarted(error) => {
                warn!(program, error = %error, "on_write hook could not be started")
            }
        }
        outcome
    }

    async fn run_unlogged(&self, paths: &[PathBuf]) -> (HookOutcome, String, String) {
        let Some((program, arguments)) = self.command.split_first() else {
            return (
                HookOutcome::NotStarted("no program".into()),
                String::new(),
                String::new(),
            );
        };
        let spawned = Command::new(program)
            .args(arguments)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Its own group, so a timeout kills whatever it started too (a shell's `sleep`, a site build).
            .process_group(0)
            .kill_on_drop(true)
            .spawn();
        let mut child = match spawned {
            Ok(child) => child,
            Err(error) => {
                return (
                    HookOutcome::NotStarted(error.to_string()),
                    String::new(),
                    String::new(),
                );
            }
        };
        let mut input = String::new();
        for path in paths {
            input.push_str(&path.to_string_lossy());
            input.push('\n');
        }
        let stdin = child.stdin.take();
        let feeder = tokio::spawn(async move {
            if let Some(mut stdin) = stdin {
                // A hook that does not read its input closes the pipe: that is its business, not an error.
                let _ = stdin.write_all(input.as_bytes()).await;
            }
        });
        let stdout = tokio::spawn(read_capped(child.stdout.take()));
        let stderr = tokio::spawn(read_capped(child.stderr.take()));
        let group = child.id().and_then(|id| i32::try_from(id).ok());
        let outcome = match tokio::time::timeout(self.timeout, child.wait()).await {
            Ok(status) => outcome_of(status),
            Err(_) => {
                if let Some(group) = group {
                    // SAFETY: killpg only sends a signal, to the hook's own process group (set above).
                    unsafe {
                        libc::killpg(group, libc::SIGKILL);
                    }
                }
                let _ = child.kill().await;
                HookOutcome::TimedOut
            }
        };
        feeder.abort();
        (outcome, collect(stdout).await, collect(stderr).await)
    }
}

/// What a stream reader read, waiting at most [`DRAIN_AFTER_EXIT`] more: something the hook left running in
/// the background may hold the stream open.
async fn collect(mut reader: tokio::task::JoinHandle<String>) -> String {
    let read = tokio::time::timeout(DRAIN_AFTER_EXIT, &mut reader).await;
    reader.abort();
    read.ok().and_then(Result::ok).unwrap_or_default()
}

fn outcome_of(status: std::io::Result<ExitStatus>) -> HookOutcome {
    match status {
        Ok(status) if status.success() => HookOutcome::Succeeded,
        Ok(status) => HookOutcome::Failed(match (status.code(), status.signal()) {
            (Some(code), _) => format!("exit status {code}"),
            (None, Some(signal)) => format!("killed by signal {signal}"),
            (None, None) => status.to_string(),
        }),
        Err(error) => HookOutcome::Failed(error.to_string()),
    }
}

/// Reads `stream` to its end, keeping the first [`MAX_LOGGED_OUTPUT`] bytes as lossy UTF-8, trimmed.
async fn read_capped(stream: Option<impl AsyncRead + Unpin>) -> String {
    let Some(mut stream) = stream else {
        return String::new();
    };
    let mut kept = Vec::new();
    let mut buffer = [0u8; 8192];
    loop {
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(read) => {
                let room = MAX_LOGGED_OUTPUT.saturating_sub(kept.len());
                kept.extend_from_slice(&buffer[..read.min(room)]);
            }
        }
    }
    String::from_utf8_lossy(&kept).trim().to_string()
}

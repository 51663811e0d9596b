//! Running the real `tidings` binary as a child and measuring it the way the kernel accounts for it:
//! CPU time and peak RSS from `wait4`'s rusage, and for the daemon, CPU and RSS sampled from `/proc`.

use std::fs::File;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// What one finished child cost.
#[derive(Debug, Clone, Copy)]
pub struct Usage {
    pub wall: Duration,
    pub cpu: Duration,
    pub peak_rss_mb: f64,
    pub exit_code: Option<i32>,
    pub timed_out: bool,
}

/// Starts `tidings --config CONFIG ARGS…` in `dir`, logging to `log`.
pub fn spawn(binary: &Path, config: &Path, args: &[&str], log: &Path) -> Child {
    let log = File::create(log).expect("create child log");
    Command::new(binary)
        .arg("--config")
        .arg(config)
        .args(args)
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start tidings")
}

/// Runs the child to completion (killing it after `timeout`) and returns its usage.
#[expect(
    clippy::zombie_processes,
    reason = "reaped by `reap` with wait4, which also reads its rusage"
)]
pub fn run(binary: &Path, config: &Path, args: &[&str], log: &Path, timeout: Duration) -> Usage {
    let started = Instant::now();
    let child = spawn(binary, config, args, log);
    let mut timed_out = false;
    loop {
        if let Some(usage) = reap(&child, false, started) {
            return Usage { timed_out, ..usage };
        }
        if !timed_out && started.elapsed() > timeout {
            timed_out = true;
            signal(&child, libc::SIGKILL);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Sends `signal` to the child.
pub fn signal(child: &Child, signal: libc::c_int) {
    let pid = libc::pid_t::try_from(child.id()).expect("pid fits");
    // SAFETY: kill has no memory-safety preconditions; the pid is our own unreaped child.
    unsafe {
        libc::kill(pid, signal);
    }
}

/// Waits for the child (or, without `block`, checks whether it exited) and reads its rusage.
pub fn reap(child: &Child, block: bool, started: Instant) -> Option<Usage> {
    let pid = libc::pid_t::try_from(child.id()).expect("pid fits");
    let mut status = 0;
    // SAFETY: rusage is plain old data; wait4 fills it when it returns the pid.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let flags = if block { 0 } else { libc::WNOHANG };
    // SAFETY: valid pointers to a local status and rusage for the duration of the call.
    let reaped = unsafe { libc::wait4(pid, &raw mut status, flags, &raw mut usage) };
    if reaped != pid {
        return None;
    }
    let seconds = |time: libc::timeval| {
        Duration::from_secs(u64::try_from(time.tv_sec).unwrap_or(0))
            + Duration::from_micros(u64::try_from(time.tv_usec).unwrap_or(0))
    };
    Some(Usage {
        wall: started.elapsed(),
        cpu: seconds(usage.ru_utime) + seconds(usage.ru_stime),
        // Linux reports ru_maxrss in kilobytes.
        peak_rss_mb: usage.ru_maxrss as f64 / 1024.0,
        exit_code: libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status)),
        timed_out: false,
    })
}

/// The child's CPU time so far (user + system) from `/proc/PID/stat`.
pub fn cpu_so_far(child: &Child) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", child.id())).unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th fields overall.
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|index| fields.get(*index)?.parse::<u64>().ok())
        .sum();
    // SAFETY: sysconf has no preconditions.
    let per_second = u64::try_from(unsafe { libc::sysconf(libc::_SC_CLK_TCK) }).unwrap_or(100);
    Duration::from_millis(ticks * 1000 / per_second.max(1))
}

/// The child's resident set size now, in MB, from `/proc/PID/status`.
pub fn rss_now_mb(child: &Child) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

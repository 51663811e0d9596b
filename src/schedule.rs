//! Scheduling: when each feed is next due. Pure: no clock reads, no I/O, no randomness of its own.
//!
//! A feed's next poll is its cron tick, pushed later (never earlier) by what the last poll taught us:
//! exponential backoff after failures, a server's `Retry-After`, and a server's freshness lifetime
//! (`Cache-Control: max-age`, `Expires`, RSS `<ttl>`), and out of the hours and days the feed asks to be
//! left alone in (RSS `<skipHours>`, `<skipDays>`). A per-feed jitter spreads feeds that share a schedule.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::time::Duration;

use chrono::{DateTime, Datelike, DurationRound, TimeDelta, Timelike, Utc, Weekday};
use croner::parser::{CronParser, Seconds, Year};

/// Backoff after the first failure; doubles with each further one.
pub const BACKOFF_BASE: Duration = Duration::from_secs(60);
/// Backoff never exceeds this, so a broken feed is still retried daily, forever.
pub const BACKOFF_CAP: Duration = Duration::from_secs(24 * 3600);
/// The longest any server hint (`max-age`, `Expires`, `Retry-After`, RSS `<ttl>`) may push a feed's next poll
/// out. Those values are written by strangers: `max-age=99999999999999` must neither overflow the date
/// arithmetic nor silence the feed for centuries (issue 7).
pub const MAX_SERVER_WAIT: Duration = Duration::from_secs(7 * 24 * 3600);

/// A parsed cron expression: 5 fields (crontab, minute granularity) or 6 with seconds first.
#[derive(Clone)]
pub struct CronSchedule {
    cron: croner::Cron,
    source: String,
}

/// A schedule expression that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error(
    "invalid schedule {expression:?}: {reason} (use 5 fields like \"*/15 * * * *\" or 6 with seconds first)"
)]
pub struct ScheduleError {
    pub expression: String,
    pub reason: String,
}

impl CronSchedule {
    pub fn parse(expression: &str) -> Result<Self, ScheduleError> {
        let fields = expression.split_whitespace().count();
        let error = |reason: String| ScheduleError {
            expression: expression.to_string(),
            reason,
        };
        // croner would also take 7 fields (a year); we promise only crontab's 5 or 5 + seconds.
        if !(5..=6).contains(&fields) && !expression.trim_start().starts_with('@') {
            return Err(error(format!("{fields} fields")));
        }
        let cron = CronParser::builder()
            .seconds(Seconds::Optional)
            .year(Year::Disallowed)
            .build()
            .parse(expression)
            .map_err(|reason| error(reason.to_string()))?;
        // A pattern that never fires (e.g. 30 February) would stall the feed silently.
        if cron.find_next_occurrence(&Utc::now(), false).is_err() {
            return Err(error("it never fires".to_string()));
        }
        Ok(Self {
            cron,
            source: expression.to_string(),
        })
    }

    /// The first tick strictly after `after`.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron.find_next_occurrence(&after, false).ok()
    }

    /// The first tick at or after `at`.
    pub fn next_at_or_after(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron.find_next_occurrence(&at, true).ok()
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }
}

impl fmt::Debug for CronSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CronSchedule({:?})", self.source)
    }
}

/// The UTC hours and weekdays a feed asks not to be polled in (RSS `<skipHours>`, `<skipDays>`).
///
/// A feed that skips all 24 hours or all 7 days is talking nonsense, and that list is ignored: honouring it
/// would silence the feed for good.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SkipTimes {
    /// Bit `n` set: hour `n` (0–23, UTC) is skipped.
    hours: u32,
    /// Bit `n` set: day `n` (0 = Monday) is skipped.
    days: u8,
}

impl SkipTimes {
    const ALL_HOURS: u32 = (1 << 24) - 1;
    const ALL_DAYS: u8 = (1 << 7) - 1;

    /// From hours (0–23; 24, which some feeds write for midnight, is 0) and weekdays; others are ignored.
    pub fn new(hours: impl IntoIterator<Item = u32>, days: impl IntoIterator<Item = Weekday>) -> Self {
        let hours = hours
            .into_iter()
            .filter(|hour| *hour <= 24)
            .fold(0, |mask, hour| mask | 1 << (hour % 24));
        let days = days
            .into_iter()
            .fold(0, |mask, day| mask | 1 << day.num_days_from_monday());
        Self {
            hours: if hours == Self::ALL_HOURS { 0 } else { hours },
            days: if days == Self::ALL_DAYS { 0 } else { days },
        }
    }

    pub fn is_empty(&self) -> bool {
        self.hours == 0 && self.days == 0
    }

    fn skips(&self, at: DateTime<Utc>) -> bool {
        self.hours & 1 << at.hour() != 0 || self.days & 1 << at.weekday().num_days_from_monday() != 0
    }

    /// `at` if it is allowed, else the start of the first allowed hour after it; never more than
    /// [`MAX_SERVER_WAIT`] later, and the latest representable time rather than an overflow.
    pub fn first_allowed(&self, at: DateTime<Utc>) -> DateTime<Utc> {
        let latest = saturating_add(at, MAX_SERVER_WAIT);
        let mut candidate = at;
        // Neither every hour nor every day is skipped, so an allowed hour comes within a week of hours.
        for _ in 0..=7 * 24 {
            if !self.skips(candidate) || candidate >= latest {
                return candidate.min(latest);
            }
            candidate = match candidate
                .duration_trunc(TimeDelta::hours(1))
                .ok()
                .and_then(|hour| hour.checked_add_signed(TimeDelta::hours(1)))
            {
                Some(next_hour) => next_hour,
                None => return DateTime::<Utc>::MAX_UTC,
            };
        }
        latest
    }
}

/// How the last poll of a feed ended, as far as timing is concerned.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PollOutcome {
    /// Fetched (or not modified). `fresh_for` is the server's freshness lifetime, if it gave one.
    Succeeded { fresh_for: Option<Duration> },
    /// Failed for the `consecutive_failures`-th time in a row (≥ 1). `retry_after` is the server's request.
    Failed {
        consecutive_failures: u32,
        retry_after: Option<Duration>,
    },
}

/// Everything [`next_poll`] needs; randomness comes in as numbers so the function stays pure.
#[derive(Debug, Clone, Copy)]
pub struct PollTiming<'a> {
    pub schedule: &'a CronSchedule,
    /// When the last poll ended.
    pub finished_at: DateTime<Utc>,
    pub outcome: PollOutcome,
    /// This feed's fixed offset from its cron ticks (see [`feed_jitter`]).
    pub feed_jitter: Duration,
    /// A random number in `[0, 1)`: scales backoff to between 50 % and 100 % of its nominal value, so feeds
    /// that failed together do not retry together.
    pub backoff_jitter: f64,
    /// The hours and days the feed asked to be left alone in, as last read from it.
    pub skip: SkipTimes,
}

/// When the feed is next due.
///
/// - The earliest allowed time is `finished_at` plus the longest of: the server's freshness lifetime, its
///   `Retry-After` (both clamped to [`MAX_SERVER_WAIT`]), and the backoff for the number of consecutive
///   failures.
/// - The poll then happens at the first cron tick at or after that time (so an admin's schedule is never
///   beaten, and server hints never make us poll *more* often), plus the feed's jitter.
/// - Ticks missed while a poll ran are skipped: the next tick is always after `finished_at`.
/// - A time in one of the feed's skipped hours or days moves to the start of the next allowed hour.
pub fn next_poll(timing: &PollTiming) -> DateTime<Utc> {
    let server_wait = |hint: Option<Duration>| hint.unwrap_or(Duration::ZERO).min(MAX_SERVER_WAIT);
    let wait = match timing.outcome {
        PollOutcome::Succeeded { fresh_for } => server_wait(fresh_for),
        PollOutcome::Failed {
            consecutive_failures,
            retry_after,
        } => backoff(consecutive_failures, timing.backoff_jitter).max(server_wait(retry_after)),
    };
    let earliest = saturating_add(timing.finished_at, wait);
    let tick = if wait.is_zero() {
        timing.schedule.next_after(timing.finished_at)
    } else {
        timing.schedule.next_at_or_after(earliest)
    };
    // A schedule validated at load time always has a next tick; fall back to the earliest time regardless.
    let due = timing.skip.first_allowed(tick.unwrap_or(earliest).max(earliest));
    saturating_add(due, timing.feed_jitter)
}

/// `at + duration`, or the latest representable time instead of an overflow panic.
pub fn saturating_add(at: DateTime<Utc>, duration: Duration) -> DateTime<Utc> {
    TimeDelta::from_std(duration)
        .ok()
        .and_then(|delta| at.checked_add_signed(delta))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// The backoff after `consecutive_failures` failures: 1 min, 2 min, 4 min … capped at 24 h, scaled by
/// `jitter` into its upper half.
pub fn backoff(consecutive_failures: u32, jitter: f64) -> Duration {
    if consecutive_failures == 0 {
        return Duration::ZERO;
    }
    let doublings = (consecutive_failures - 1).min(20);
    let nominal = BACKOFF_BASE.saturating_mul(1 << doublings).min(BACKOFF_CAP);
    nominal.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0))
}

/// A stable pseudo-random offset in `[0, max)` for a feed: derived from its name so it survives restarts and
/// spreads feeds with the same schedule evenly.
pub fn feed_jitter(feed_name: &str, max: Duration) -> Duration {
    if max.is_zero() {
        return Duration::ZERO;
    }
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    feed_name.hash(&mut hasher);
    let max_millis = u64::try_from(max.as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(hasher.finish() % max_millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("test time")
            .with_timezone(&Utc)
    }

    fn every_15_minutes() -> CronSchedule {
        CronSchedule::parse("*/15 * * * *").expect("valid")
    }

    fn timing(schedule: &CronSchedule, outcome: PollOutcome) -> PollTiming<'_> {
        PollTiming {
            schedule,
            finished_at: at("2026-01-01T10:03:00Z"),
            outcome,
            feed_jitter: Duration::ZERO,
            backoff_jitter: 1.0,
            skip: SkipTimes::default(),
        }
    }

    const OK: PollOutcome = PollOutcome::Succeeded { fresh_for: None };

    fn failed(consecutive_failures: u32, retry_after: Option<u64>) -> PollOutcome {
        PollOutcome::Failed {
            consecutive_failures,
            retry_after: retry_after.map(Duration::from_secs),
        }
    }

    #[test]
    fn five_and_six_field_expressions_parse_others_do_not() {
        assert!(CronSchedule::parse("*/15 * * * *").is_ok());
        assert!(CronSchedule::parse("30 */15 * * * *").is_ok());
        assert!(CronSchedule::parse("@hourly").is_ok());
        assert!(CronSchedule::parse("* * * *").is_err());
        assert!(CronSchedule::parse("0 0 0 1 1 * 2030").is_err());
        assert!(CronSchedule::parse("61 * * * *").is_err());
        assert!(CronSchedule::parse("0 0 30 2 *").is_err());
    }

    #[test]
    fn six_field_schedule_has_seconds_first() {
        let schedule = CronSchedule::parse("30 0 * * * *").expect("valid");
        assert_eq!(
            schedule.next_after(at("2026-01-01T10:00:00Z")),
            Some(at("2026-01-01T10:00:30Z"))
        );
    }

    /// Each row: outcome, feed jitter (s) → expected next poll.
    #[test]
    fn next_poll_table() {
        let schedule = every_15_minutes();
        let rows: &[(PollOutcome, u64, &str)] = &[
            (OK, 0, "2026-01-01T10:15:00Z"),
            (OK, 7, "2026-01-01T10:15:07Z"),
            // A server freshness lifetime shorter than the schedule changes nothing…
            (
                PollOutcome::Succeeded {
                    fresh_for: Some(Duration::from_secs(300)),
                },
                0,
                "2026-01-01T10:15:00Z",
            ),
            // …a longer one (ttl 60 min) moves the poll to the first tick after it.
            (
                PollOutcome::Succeeded {
                    fresh_for: Some(Duration::from_secs(3600)),
                },
                0,
                "2026-01-01T11:15:00Z",
            ),
            // Backoff below the schedule's interval: the schedule wins.
            (failed(1, None), 0, "2026-01-01T10:15:00Z"),
            // 6 failures → 32 min of backoff → first tick after 10:35.
            (failed(6, None), 0, "2026-01-01T10:45:00Z"),
            // Retry-After: 120 s beats a 1-min backoff but still lands on a tick.
            (failed(1, Some(120)), 0, "2026-01-01T10:15:00Z"),
            (failed(1, Some(7200)), 3, "2026-01-01T12:15:03Z"),
        ];
        for (outcome, jitter, expected) in rows {
            let mut input = timing(&schedule, *outcome);
            input.feed_jitter = Duration::from_secs(*jitter);
            assert_eq!(next_poll(&input), at(expected), "{outcome:?} jitter {jitter}");
        }
    }

    #[test]
    fn retry_after_is_honoured_on_a_per_second_schedule() {
        let schedule = CronSchedule::parse("* * * * * *").expect("valid");
        let next = next_poll(&timing(&schedule, failed(1, Some(120))));
        assert_eq!(next, at("2026-01-01T10:05:00Z"));
    }

    #[test]
    fn backoff_doubles_then_caps_and_jitter_stays_in_upper_half() {
        assert_eq!(backoff(0, 1.0), Duration::ZERO);
        assert_eq!(backoff(1, 1.0), Duration::from_secs(60));
        assert_eq!(backoff(2, 1.0), Duration::from_secs(120));
        assert_eq!(backoff(5, 1.0), Duration::from_secs(960));
        assert_eq!(backoff(40, 1.0), BACKOFF_CAP);
        assert_eq!(backoff(1, 0.0), Duration::from_secs(30));
        let per_second = CronSchedule::parse("* * * * * *").expect("valid");
        let mut previous = at("2026-01-01T10:03:00Z");
        for failures in 1..=12 {
            let next = next_poll(&timing(&per_second, failed(failures, None)));
            assert!(next > previous, "backoff must grow: {failures} failures");
            previous = next;
        }
    }

    #[test]
    fn feed_jitter_is_stable_and_bounded() {
        let max = Duration::from_secs(5);
        assert_eq!(feed_jitter("techcrunch", max), feed_jitter("techcrunch", max));
        assert!(feed_jitter("techcrunch", max) < max);
        assert_eq!(feed_jitter("techcrunch", Duration::ZERO), Duration::ZERO);
    }

    #[test]
    fn far_server_hints_are_clamped_to_a_week() {
        let schedule = every_15_minutes();
        let far = Some(Duration::from_secs(99_999_999_999_999));
        let week_later = "2026-01-08T10:15:00Z";
        let succeeded = next_poll(&timing(&schedule, PollOutcome::Succeeded { fresh_for: far }));
        assert_eq!(succeeded, at(week_later));
        let failed = PollOutcome::Failed {
            consecutive_failures: 1,
            retry_after: Some(Duration::MAX),
        };
        assert_eq!(next_poll(&timing(&schedule, failed)), at(week_later));
    }

    #[test]
    fn saturating_add_stops_at_the_latest_time() {
        assert_eq!(
            saturating_add(at("2026-01-01T10:00:00Z"), Duration::MAX),
            DateTime::<Utc>::MAX_UTC
        );
        assert_eq!(
            saturating_add(DateTime::<Utc>::MAX_UTC, Duration::from_secs(1)),
            DateTime::<Utc>::MAX_UTC
        );
    }

    #[test]
    fn skipped_hours_and_days_move_the_poll_to_the_next_allowed_hour() {
        let night = SkipTimes::new(0..7, []);
        let schedule = every_15_minutes();
        let mut late = timing(&schedule, OK);
        late.finished_at = at("2026-01-01T23:50:00Z");
        late.skip = night;
        assert_eq!(next_poll(&late), at("2026-01-02T07:00:00Z"));
        late.feed_jitter = Duration::from_secs(3);
        assert_eq!(next_poll(&late), at("2026-01-02T07:00:03Z"));
        // 2026-01-03 is a Saturday: a poll due in its first hour waits for Monday 07:00.
        let weekend_nights = SkipTimes::new(0..7, [Weekday::Sat, Weekday::Sun]);
        assert_eq!(
            weekend_nights.first_allowed(at("2026-01-03T00:10:00Z")),
            at("2026-01-05T07:00:00Z")
        );
        assert_eq!(
            weekend_nights.first_allowed(at("2026-01-02T12:34:56Z")),
            at("2026-01-02T12:34:56Z")
        );
    }

    const EVERY_DAY: [Weekday; 7] = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ];

    #[test]
    fn skipping_every_hour_or_every_day_is_ignored() {
        let all_hours = SkipTimes::new(0..24, [Weekday::Mon]);
        assert_eq!(all_hours, SkipTimes::new([], [Weekday::Mon]));
        let every_day = SkipTimes::new([24], EVERY_DAY);
        assert_eq!(every_day, SkipTimes::new([0], []));
        assert!(SkipTimes::new([25, 99], []).is_empty());
    }

    mod properties {
        use proptest::prelude::*;

        use super::super::*;

        fn outcome() -> impl Strategy<Value = PollOutcome> {
            let hint = proptest::option::of(any::<u64>().prop_map(Duration::from_secs));
            prop_oneof![
                hint.clone()
                    .prop_map(|fresh_for| PollOutcome::Succeeded { fresh_for }),
                (any::<u32>(), hint).prop_map(|(consecutive_failures, retry_after)| PollOutcome::Failed {
                    consecutive_failures,
                    retry_after
                }),
            ]
        }

        fn skip_times() -> impl Strategy<Value = SkipTimes> {
            (any::<u32>(), any::<u8>()).prop_map(|(hours, days)| {
                SkipTimes::new(
                    (0..32).filter(|hour| hours & 1 << hour != 0),
                    super::EVERY_DAY
                        .into_iter()
                        .filter(|day| days & 1 << day.num_days_from_monday() != 0),
                )
            })
        }

        proptest! {
            /// Whatever a server sends, the next poll is after the last one and at most a week (or the backoff
            /// cap) plus one schedule period plus the jitter later: never a panic, never "never again".
            #[test]
            fn next_poll_is_after_now_and_within_a_week(
                outcome in outcome(),
                finished_secs in 0i64..4_102_444_800,
                jitter_ms in 0u64..3_600_000,
                backoff_jitter in -1.0f64..2.0,
                expression in prop::sample::select(vec!["*/15 * * * *", "* * * * * *", "0 3 * * *", "@weekly"]),
                skip in skip_times(),
            ) {
                let schedule = CronSchedule::parse(expression).expect("valid");
                let finished_at = DateTime::<Utc>::from_timestamp(finished_secs, 0).expect("in range");
                let feed_jitter = Duration::from_millis(jitter_ms);
                let next = next_poll(&PollTiming { schedule: &schedule, finished_at, outcome, feed_jitter, backoff_jitter, skip });
                prop_assert!(next > finished_at);
                let period = Duration::from_secs(7 * 24 * 3600);
                let bound = saturating_add(
                    finished_at,
                    MAX_SERVER_WAIT.max(BACKOFF_CAP) + period + MAX_SERVER_WAIT + feed_jitter,
                );
                prop_assert!(next <= bound, "{next} > {bound}");
            }

            /// The moment a skip list allows is never before the asked one, is in an allowed hour (a list
            /// skipping everything is ignored), and is within the documented maximum.
            #[test]
            fn first_allowed_is_allowed_and_within_a_week(skip in skip_times(), secs in 0i64..4_102_444_800) {
                let at = DateTime::<Utc>::from_timestamp(secs, 0).expect("in range");
                let allowed = skip.first_allowed(at);
                prop_assert!(allowed >= at);
                prop_assert!(!skip.skips(allowed), "{allowed} is skipped by {skip:?}");
                prop_assert!(allowed <= saturating_add(at, MAX_SERVER_WAIT));
                prop_assert_eq!(skip.first_allowed(DateTime::<Utc>::MAX_UTC), DateTime::<Utc>::MAX_UTC);
            }

            #[test]
            fn retry_after_never_panics(value in ".{0,40}", now_secs in 0i64..4_102_444_800) {
                let now = DateTime::<Utc>::from_timestamp(now_secs, 0).expect("in range");
                let _ = crate::fetch::parse_retry_after(&value, now);
            }
        }
    }
}

//! Publication-date parsing for the many spellings pages use in metadata and `<time>` elements.
//!
//! An explicit offset in the value is kept as the page wrote it. A value without one (ISO without offset,
//! date-only, "2025-09-27 14:03:00") is taken as UTC: the page's zone is unknowable, and the calendar date —
//! which is what readers see — stays the one written.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Utc};

/// Years before this are placeholders (Go's zero time "0001-01-01", "1970-01-01" epochs), not publication.
const EARLIEST_YEAR: i32 = 1990;

const DATE_TIME_FORMATS: &[&str] = &[
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y.%m.%d %H:%M:%S",
    "%Y.%m.%d %H:%M",
    "%Y%m%dT%H%M%S",
    "%B %d, %Y %H:%M",
    "%b %d, %Y %H:%M",
    // CJK spellings: "2025年3月21日 18時05分", "2025年3月21日 18:05", "2025년 3월 21일 18:05".
    "%Y年%m月%d日 %H時%M分",
    "%Y年%m月%d日 %H:%M",
    "%Y년 %m월 %d일 %H:%M",
    // Day first, as most of Europe writes it: "27.09.2025 14:03".
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y, %H:%M",
    "%d.%m.%Y - %H:%M",
];

const OFFSET_FORMATS: &[&str] = &[
    "%Y-%m-%dT%H:%M:%S%.f%z",
    "%Y-%m-%dT%H:%M:%S%z",
    "%Y-%m-%dT%H:%M%z",
    "%Y-%m-%d %H:%M:%S%.f%z",
    "%Y-%m-%d %H:%M:%S %z",
    "%Y-%m-%d %H:%M:%S%z",
    "%Y-%m-%d %H:%M%z",
    "%a, %d %b %Y %H:%M:%S %z",
];

const DATE_FORMATS: &[&str] = &[
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%Y%m%d",
    "%B %d, %Y",
    "%b %d, %Y",
    "%d %B %Y",
    "%d %b %Y",
    "%b. %d, %Y",
    "%Y年%m月%d日",
    "%Y년 %m월 %d일",
    "%d.%m.%Y",
];

/// Month names in the languages feeds most often come in, lower case, for dates spelled out in words
/// ("27. September 2025", "27 septembre 2025", "27 de septiembre de 2025", "27 settembre 2025").
#[rustfmt::skip]
const MONTH_NAMES: &[(&str, u32)] = &[
    ("januar", 1), ("jänner", 1), ("janvier", 1), ("enero", 1), ("gennaio", 1), ("janeiro", 1), ("januari", 1),
    ("februar", 2), ("février", 2), ("fevrier", 2), ("febrero", 2), ("febbraio", 2), ("fevereiro", 2), ("februari", 2),
    ("märz", 3), ("maerz", 3), ("mars", 3), ("marzo", 3), ("março", 3), ("maart", 3),
    ("avril", 4), ("abril", 4), ("aprile", 4),
    ("mai", 5), ("mayo", 5), ("maggio", 5), ("maio", 5), ("mei", 5),
    ("juni", 6), ("juin", 6), ("junio", 6), ("giugno", 6), ("junho", 6),
    ("juli", 7), ("juillet", 7), ("julio", 7), ("luglio", 7), ("julho", 7),
    ("august", 8), ("août", 8), ("aout", 8), ("agosto", 8), ("augustus", 8),
    ("september", 9), ("septembre", 9), ("septiembre", 9), ("setiembre", 9), ("settembre", 9), ("setembro", 9),
    ("oktober", 10), ("octobre", 10), ("octubre", 10), ("ottobre", 10), ("outubro", 10),
    ("november", 11), ("novembre", 11), ("noviembre", 11), ("novembro", 11),
    ("dezember", 12), ("décembre", 12), ("decembre", 12), ("diciembre", 12), ("dicembre", 12), ("dezembro", 12),
    ("december", 12),
];

/// Parses a date or date-time; `None` when no known format fits or the date cannot be a publication date
/// (before 1990, or more than a day in the future).
pub(super) fn parse_date(value: &str) -> Option<DateTime<FixedOffset>> {
    parse_any(value).filter(is_plausible)
}

fn is_plausible(date: &DateTime<FixedOffset>) -> bool {
    let tomorrow = Utc::now() + chrono::Duration::days(1);
    date.year() >= EARLIEST_YEAR && *date <= tomorrow
}

fn parse_any(value: &str) -> Option<DateTime<FixedOffset>> {
    let value = value.trim().trim_end_matches('.');
    if value.is_empty() || value.len() > 64 {
        return None;
    }
    if let Ok(parsed) = DateTime::parse_from_rfc3339(value) {
        return Some(parsed);
    }
    if let Ok(parsed) = DateTime::parse_from_rfc2822(value) {
        return Some(parsed);
    }
    // "Z" suffix and "+09:00" are both RFC 3339 shapes, but seconds are often missing ("…T14:03Z").
    let zulu = value
        .strip_suffix('Z')
        .or_else(|| value.strip_suffix(" UTC"))
        .or_else(|| value.strip_suffix(" GMT"));
    if let Some(naive) = zulu {
        return parse_naive(naive);
    }
    if let Some(parsed) = OFFSET_FORMATS
        .iter()
        .find_map(|f| DateTime::parse_from_str(value, f).ok())
    {
        return Some(parsed);
    }
    parse_naive(value).or_else(|| parse_spelled_out(value))
}

/// "27. September 2025", "27 de septiembre de 2025", "septembre 27, 2025": a day, a month name from
/// [`MONTH_NAMES`] and a four-digit year, in that order or month first; anything after the year is ignored.
fn parse_spelled_out(value: &str) -> Option<DateTime<FixedOffset>> {
    let words: Vec<String> = value
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | '.'))
        .filter(|w| !w.is_empty() && !matches!(*w, "de" | "del"))
        .take(4)
        .map(str::to_lowercase)
        .collect();
    let month_of = |word: &str| {
        MONTH_NAMES
            .iter()
            .find(|(name, _)| *name == word)
            .map(|(_, m)| *m)
    };
    let number = |word: &str| word.parse::<u32>().ok();
    let (day, month, year) = match words.as_slice() {
        [a, b, c, ..] if month_of(b).is_some() => (number(a)?, month_of(b)?, number(c)?),
        [a, b, c, ..] if month_of(a).is_some() => (number(b)?, month_of(a)?, number(c)?),
        _ => return None,
    };
    let year = i32::try_from(year).ok().filter(|y| *y >= 1000)?;
    let date = NaiveDate::from_ymd_opt(year, month, day)?;
    date.and_time(NaiveTime::MIN)
        .and_local_timezone(FixedOffset::east_opt(0)?)
        .single()
}

/// A date written in the URL's path ("/2025/09/27/slug", "/2025-09-27-slug"): a weaker witness than any
/// metadata, used only when the page says nothing else.
pub(super) fn date_in_path(path: &str) -> Option<DateTime<FixedOffset>> {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let year_month_day = segments.windows(3).find_map(|w| {
        let year = w[0]
            .parse::<i32>()
            .ok()
            .filter(|y| (EARLIEST_YEAR..=2100).contains(y))?;
        let month = w[1].parse::<u32>().ok()?;
        let day = w[2].get(..2).and_then(|d| d.parse::<u32>().ok())?;
        NaiveDate::from_ymd_opt(year, month, day)
    });
    let dashed = || {
        segments.iter().find_map(|segment| {
            let head = segment.get(..10)?;
            let after = segment.get(10..11);
            let date = NaiveDate::parse_from_str(head, "%Y-%m-%d").ok()?;
            matches!(after, None | Some("-" | "_" | ".")).then_some(date)
        })
    };
    let date = year_month_day.or_else(dashed)?;
    date.and_time(NaiveTime::MIN)
        .and_local_timezone(FixedOffset::east_opt(0)?)
        .single()
        .filter(is_plausible)
}

fn parse_naive(value: &str) -> Option<DateTime<FixedOffset>> {
    let utc = FixedOffset::east_opt(0)?;
    let naive = DATE_TIME_FORMATS
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(value, f).ok())
        .or_else(|| {
            DATE_FORMATS
                .iter()
                .find_map(|f| NaiveDate::parse_from_str(value, f).ok())
                .map(|date| date.and_time(NaiveTime::MIN))
        })?;
    naive.and_local_timezone(utc).single()
}

/// Finds a date inside free text such as "Published 27 September 2025, 14:03" or "2025.09.27 14:03 입력":
/// the first run that parses, trying a few window sizes around each digit run.
pub(super) fn find_date_in_text(text: &str) -> Option<DateTime<FixedOffset>> {
    let words: Vec<&str> = text.split_whitespace().take(40).collect();
    for start in 0..words.len() {
        for len in (1..=4).rev() {
            let Some(window) = words.get(start..start + len) else {
                continue;
            };
            let candidate = window.join(" ");
            let candidate = candidate.trim_matches(|c: char| !c.is_alphanumeric());
            if !candidate.chars().any(|c| c.is_ascii_digit()) {
                continue;
            }
            if let Some(date) = parse_date(candidate) {
                return Some(date);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(value: &str) -> Option<String> {
        parse_date(value).map(|d| d.format("%Y-%m-%d %:z").to_string())
    }

    #[test]
    fn parses_common_shapes() {
        assert_eq!(
            ymd("2025-09-27T14:03:00+09:00").as_deref(),
            Some("2025-09-27 +09:00")
        );
        assert_eq!(ymd("2025-09-27T14:03:00Z").as_deref(), Some("2025-09-27 +00:00"));
        assert_eq!(ymd("2025-09-27T14:03Z").as_deref(), Some("2025-09-27 +00:00"));
        assert_eq!(
            ymd("2025-09-27T14:03:00.123").as_deref(),
            Some("2025-09-27 +00:00")
        );
        assert_eq!(ymd("2025-09-27").as_deref(), Some("2025-09-27 +00:00"));
        assert_eq!(ymd("2025-09-27 14:03:00").as_deref(), Some("2025-09-27 +00:00"));
        assert_eq!(
            ymd("2025-09-27T14:03:00+0900").as_deref(),
            Some("2025-09-27 +09:00")
        );
        assert_eq!(
            ymd("Sat, 27 Sep 2025 14:03:00 +0200").as_deref(),
            Some("2025-09-27 +02:00")
        );
        assert_eq!(ymd("September 27, 2025").as_deref(), Some("2025-09-27 +00:00"));
        assert_eq!(ymd("2025.09.27 14:03").as_deref(), Some("2025-09-27 +00:00"));
        assert_eq!(
            ymd("2025年3月21日 18時05分").as_deref(),
            Some("2025-03-21 +00:00")
        );
        assert_eq!(ymd("2025년 3월 21일").as_deref(), Some("2025-03-21 +00:00"));
        assert_eq!(ymd("yesterday"), None);
        assert_eq!(ymd("27.09.2025").as_deref(), Some("2025-09-27 +00:00"));
        assert_eq!(ymd("27.09.2025 14:03").as_deref(), Some("2025-09-27 +00:00"));
        assert_eq!(ymd("27. September 2025").as_deref(), Some("2025-09-27 +00:00"));
        assert_eq!(
            ymd("27 de septiembre de 2025").as_deref(),
            Some("2025-09-27 +00:00")
        );
        assert_eq!(ymd("3 mars 2024").as_deref(), Some("2024-03-03 +00:00"));
        assert_eq!(ymd("12 dicembre 2023").as_deref(), Some("2023-12-12 +00:00"));
    }

    #[test]
    fn rejects_placeholder_and_future_dates() {
        assert_eq!(ymd("0001-01-01T00:00:00Z"), None);
        assert_eq!(ymd("0002-11-22T00:00:00+00:00"), None);
        assert_eq!(ymd("1970-01-01"), None);
        assert_eq!(ymd("2999-01-01"), None);
        assert_eq!(ymd("1999-12-31").as_deref(), Some("1999-12-31 +00:00"));
    }

    #[test]
    fn reads_dates_in_url_paths() {
        let ymd_path = |path: &str| date_in_path(path).map(|d| d.date_naive().to_string());
        assert_eq!(
            ymd_path("/news/2025/09/27/mill-bridge/").as_deref(),
            Some("2025-09-27")
        );
        assert_eq!(
            ymd_path("/2024-03-05-council-vote.html").as_deref(),
            Some("2024-03-05")
        );
        assert_eq!(ymd_path("/blog/2025/09/slug"), None);
        assert_eq!(ymd_path("/products/1234/56/78"), None);
        assert_eq!(ymd_path("/about"), None);
    }

    #[test]
    fn finds_dates_in_bylines() {
        let found = find_date_in_text("By Jane Doe | Published 27 September 2025, 14:03");
        assert_eq!(
            found.map(|d| d.date_naive().to_string()).as_deref(),
            Some("2025-09-27")
        );
        let korean = find_date_in_text("입력 2025.09.27 14:03 수정 2025.09.28");
        assert_eq!(
            korean.map(|d| d.date_naive().to_string()).as_deref(),
            Some("2025-09-27")
        );
    }
}

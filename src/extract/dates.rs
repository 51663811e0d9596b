//! Publication-date parsing for the many spellings pages use in metadata and `<time>` elements.
//!
//! An explicit offset in the value is kept as the page wrote it. A value without one (ISO without offset,
//! date-only, "2025-09-27 14:03:00") is taken as UTC: the page's zone is unknowable, and the calendar date —
//! which is what readers see — stays the one written.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime};

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
];

/// Parses a date or date-time; `None` when no known format fits.
pub(super) fn parse_date(value: &str) -> Option<DateTime<FixedOffset>> {
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
    parse_naive(value)
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

//! Feed dates: RFC 822/2822 (RSS) and RFC 3339/ISO 8601/W3CDTF (Atom, Dublin Core, JSON Feed) in the
//! spellings real feeds use, keeping the publisher's UTC offset (a Korean item at 08:00 +09:00 is dated that
//! day, not the previous one in UTC). Implausible dates — before 1990 or more than a day in the future — are
//! rejected so the next source of a date is used instead.

use chrono::{
    DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Utc,
};

/// The first of `candidates` that parses to a plausible date.
pub(super) fn first_plausible<'a>(
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<DateTime<FixedOffset>> {
    let now = Utc::now();
    candidates
        .into_iter()
        .filter_map(parse)
        .find(|at| at.year() >= 1990 && *at <= now + Duration::days(1))
}

/// Parses one date in any of the supported spellings; `None` when it is none of them.
pub(super) fn parse(raw: &str) -> Option<DateTime<FixedOffset>> {
    let text = raw.trim();
    if text.is_empty() || text.len() > 64 {
        return None;
    }
    DateTime::parse_from_rfc3339(text)
        .ok()
        .or_else(|| DateTime::parse_from_rfc2822(text).ok())
        .or_else(|| parse_iso_like(text))
        .or_else(|| parse_rfc822_like(text))
}

/// `2025-09-27T10:00+0900`, `2025-09-27 10:00:00`, `2025-09-27T10:00:00.5Z`, `20250927`, `2025-09-27`.
fn parse_iso_like(text: &str) -> Option<DateTime<FixedOffset>> {
    let (body, offset) = split_offset(text);
    let body = body.trim().replace(' ', "T");
    let (day, time) = body.split_once('T').unwrap_or((&body, ""));
    let day = NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(day, "%Y%m%d"))
        .ok()?;
    let time = if time.is_empty() {
        NaiveTime::MIN
    } else {
        let time = time.split('.').next().unwrap_or(time);
        NaiveTime::parse_from_str(time, "%H:%M:%S")
            .or_else(|_| NaiveTime::parse_from_str(time, "%H:%M"))
            .or_else(|_| NaiveTime::parse_from_str(time, "%H%M%S"))
            .ok()?
    };
    offset
        .from_local_datetime(&NaiveDateTime::new(day, time))
        .single()
}

/// A trailing `Z`, `+09:00`, `+0900` or `-07` split off; no offset means UTC.
fn split_offset(text: &str) -> (&str, FixedOffset) {
    let utc = Utc.fix();
    if let Some(body) = text.strip_suffix(['Z', 'z']) {
        return (body, utc);
    }
    // The sign of an offset comes after the time, so only look past the date's own dashes.
    let time_start = text.find(['T', ' ']).unwrap_or(text.len());
    if let Some(sign_at) = text[time_start..].rfind(['+', '-']).map(|at| at + time_start) {
        let digits: String = text[sign_at + 1..].chars().filter(char::is_ascii_digit).collect();
        let (hours, minutes) = match digits.len() {
            2 => (digits.parse::<i32>().ok(), Some(0)),
            4 => (digits[..2].parse::<i32>().ok(), digits[2..].parse::<i32>().ok()),
            _ => (None, None),
        };
        if let (Some(hours), Some(minutes)) = (hours, minutes) {
            let seconds =
                (hours * 3600 + minutes * 60) * if &text[sign_at..=sign_at] == "-" { -1 } else { 1 };
            if let Some(offset) = FixedOffset::east_opt(seconds) {
                return (&text[..sign_at], offset);
            }
        }
    }
    (text, utc)
}

/// RFC 822 as feeds actually write it: no weekday or a wrong one, two-digit years, no seconds, named zones
/// (`KST`, `CEST`, `GMT`), `UTC`, full month names, a comma anywhere.
fn parse_rfc822_like(text: &str) -> Option<DateTime<FixedOffset>> {
    let cleaned = text.replace(',', " ");
    let mut words: Vec<&str> = cleaned.split_whitespace().collect();
    if words
        .first()
        .is_some_and(|word| word.chars().all(|c| c.is_ascii_alphabetic()) && month(word).is_none())
    {
        words.remove(0);
    }
    let [day, month_word, year, time, zone @ ..] = words.as_slice() else {
        return None;
    };
    let day: u32 = day.parse().ok()?;
    let month = month(month_word)?;
    let year: i32 = match year.parse::<i32>().ok()? {
        year @ 0..=49 => 2000 + year,
        year @ 50..=99 => 1900 + year,
        year => year,
    };
    let time = NaiveTime::parse_from_str(time, "%H:%M:%S")
        .or_else(|_| NaiveTime::parse_from_str(time, "%H:%M"))
        .ok()?;
    let offset = zone.first().map_or(Some(0), |zone| zone_offset(zone))?;
    let naive = NaiveDate::from_ymd_opt(year, month, day)?.and_time(time);
    FixedOffset::east_opt(offset)?
        .from_local_datetime(&naive)
        .single()
}

fn month(word: &str) -> Option<u32> {
    let lower = word.to_ascii_lowercase();
    let prefix = lower.get(..3)?;
    let index = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ]
    .iter()
    .position(|name| *name == prefix)?;
    u32::try_from(index + 1).ok()
}

/// Seconds east of UTC for a zone word: `+0900`, `-07:00`, or a name feeds use.
fn zone_offset(zone: &str) -> Option<i32> {
    if let Some(sign) = zone.chars().next().filter(|c| matches!(c, '+' | '-')) {
        let digits: String = zone.chars().filter(char::is_ascii_digit).collect();
        if digits.len() != 4 {
            return None;
        }
        let hours: i32 = digits[..2].parse().ok()?;
        let minutes: i32 = digits[2..].parse().ok()?;
        let seconds = hours * 3600 + minutes * 60;
        return Some(if sign == '-' { -seconds } else { seconds });
    }
    let hours = match zone.to_ascii_uppercase().as_str() {
        "GMT" | "UT" | "UTC" | "Z" | "WET" => 0,
        "BST" | "CET" | "WEST" | "MET" => 1,
        "CEST" | "EET" | "MEST" => 2,
        "EEST" | "MSK" => 3,
        "IST" => return Some(5 * 3600 + 1800),
        "CST" => -6,
        "KST" | "JST" => 9,
        "AEST" => 10,
        "EST" | "CDT" => -5,
        "EDT" => -4,
        "MST" => -7,
        "MDT" => -6,
        "PST" => -8,
        "PDT" => -7,
        _ => return None,
    };
    Some(hours * 3600)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_kept() {
        let at = parse("Sat, 27 Sep 2025 08:00:00 +0900").expect("rfc822");
        assert_eq!(at.to_rfc3339(), "2025-09-27T08:00:00+09:00");
        let at = parse("27 Sep 2025 08:00 KST").expect("named zone");
        assert_eq!(at.to_rfc3339(), "2025-09-27T08:00:00+09:00");
        let at = parse("2025-09-27T08:00:00+0900").expect("iso without colon");
        assert_eq!(at.to_rfc3339(), "2025-09-27T08:00:00+09:00");
        let at = parse("2025-09-27 08:00:00").expect("iso with space");
        assert_eq!(at.to_rfc3339(), "2025-09-27T08:00:00+00:00");
        assert_eq!(
            parse("2025-09-27").map(|at| at.to_rfc3339()).as_deref(),
            Some("2025-09-27T00:00:00+00:00")
        );
        assert_eq!(
            parse("Mon, 5 Jan 04 10:00:00 EST")
                .map(|at| at.to_rfc3339())
                .as_deref(),
            Some("2004-01-05T10:00:00-05:00")
        );
        assert!(parse("yesterday").is_none());
    }

    #[test]
    fn implausible_dates_give_way_to_the_next() {
        let chosen = first_plausible([
            "1970-01-01T00:00:00Z",
            "2999-01-01T00:00:00Z",
            "2025-09-27T10:00:00+02:00",
        ]);
        assert_eq!(
            chosen.map(|at| at.to_rfc3339()).as_deref(),
            Some("2025-09-27T10:00:00+02:00")
        );
    }
}

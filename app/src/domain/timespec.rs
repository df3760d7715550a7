//! Parsing of reset instants and durations: the reference tool's forms plus RFC 3339 and IANA zones.
//!
//! Pure functions of their input: "now" is always passed in, so the browser and the server resolve a
//! by-duration plan to the same instant when given the same clock reading.

use chrono::{Datelike, LocalResult, NaiveDate, NaiveDateTime, NaiveTime};

use super::reset::PlanError;
use super::zone::Zone;

const MS_PER_SECOND: i64 = 1_000;
const MS_PER_MINUTE: i64 = 60 * MS_PER_SECOND;
const MS_PER_HOUR: i64 = 60 * MS_PER_MINUTE;
const MS_PER_DAY: i64 = 24 * MS_PER_HOUR;

/// Resolves a datetime typed by a person to epoch milliseconds.
///
/// `zone` is an IANA zone name (`Asia/Shanghai`, `UTC`) the UI sends with a wall-clock time; it applies
/// only when `input` carries no offset of its own. Accepted inputs:
/// - the reference tool's form `yyyy-MM-ddTHH:mm:ss.SSS[Z|+hh:mm|+hhmm|+hh]`, where no offset means UTC
///   (not local time), exactly as `kafka-consumer-groups --to-datetime`;
/// - the same with seconds only or 1-9 fractional digits (RFC 3339 style; the fraction is a decimal
///   fraction of a second, truncated to milliseconds);
/// - a bare integer: epoch milliseconds.
pub fn parse_datetime(input: &str, zone: Option<&str>) -> Result<i64, PlanError> {
    let text = input.trim();
    let invalid = |reason: &str| PlanError::InvalidDatetime {
        input: input.to_string(),
        reason: reason.to_string(),
    };
    if text.is_empty() {
        return Err(invalid("it is empty"));
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return text
            .parse::<i64>()
            .map_err(|_| invalid("the epoch-millisecond number is too large"));
    }
    // The date is checked first: a date that does not exist is the fault to name, whatever follows it.
    let date_end = text
        .find(|c: char| !(c.is_ascii_digit() || c == '-'))
        .unwrap_or(text.len());
    let date_part = &text[..date_end];
    let date = NaiveDate::parse_from_str(date_part, "%Y-%m-%d").map_err(|_| {
        invalid(&calendar_fault(date_part).unwrap_or_else(|| {
            "it must start with a date yyyy-MM-dd, e.g. 2026-11-24T08:00:00.000".to_owned()
        }))
    })?;
    let Some((_, time_and_zone)) = text.split_once(['T', 't']) else {
        let rest = text[date_part.len()..].trim();
        return Err(invalid(&if rest.is_empty() {
            format!("it has no time: add 'T' and a time after the date, e.g. {date}T00:00:00.000")
        } else {
            format!("put a 'T' between the date and the time, e.g. {date}T{rest}")
        }));
    };
    let (clock, offset) = match offset_start(time_and_zone) {
        Some(i) => (&time_and_zone[..i], Some(&time_and_zone[i..])),
        None => (time_and_zone, None),
    };
    let time = parse_clock(clock).ok_or_else(|| {
        invalid("the time must be HH:mm:ss with optional fraction, e.g. 08:00:00.000")
    })?;
    let local = NaiveDateTime::new(date, time);
    match (offset, zone) {
        (Some(offset), Some(zone)) if !zone.trim().is_empty() => Err(invalid(&format!(
            "it carries its own offset '{offset}' and a zone '{zone}' was chosen too; keep one"
        ))),
        (Some(offset), _) => {
            let seconds = parse_offset(offset)
                .ok_or_else(|| invalid("the offset must be Z, +hh:mm, +hhmm or +hh (or with -)"))?;
            Ok(local.and_utc().timestamp_millis() - i64::from(seconds) * MS_PER_SECOND)
        }
        (None, Some(zone)) if !zone.trim().is_empty() => {
            let tz = parse_zone(zone)?;
            match tz.from_local(&local) {
                LocalResult::Single(t) => Ok(t.timestamp_millis()),
                LocalResult::Ambiguous(a, b) => Err(invalid(&format!(
                    "{local} happens twice in {zone} (clocks go back): at offset {} and at offset {}; \
                     add the offset you mean",
                    a.format("%:z"),
                    b.format("%:z")
                ))),
                LocalResult::None => Err(invalid(&format!(
                    "{local} does not exist in {zone} (clocks go forward over it)"
                ))),
            }
        }
        (None, _) => Ok(local.and_utc().timestamp_millis()),
    }
}

/// Where the offset of the time part (after the `T`) starts: at the first `Z`, `+` or `-`, as in the
/// reference tool.
fn offset_start(time_and_zone: &str) -> Option<usize> {
    time_and_zone.find(['Z', 'z', '+', '-'])
}

/// Whether `input` carries its own offset (`Z`, `+08:00`, ...), so that a chosen zone must not apply.
pub fn carries_offset(input: &str) -> bool {
    input
        .trim()
        .split_once(['T', 't'])
        .is_some_and(|(_, time)| offset_start(time).is_some())
}

/// An IANA zone name, case-sensitive as in the tz database (`UTC` and `Etc/UTC` included).
pub fn parse_zone(zone: &str) -> Result<Zone, PlanError> {
    Zone::parse(zone)
}

/// Formats an instant as wall-clock time in `zone` with its offset, e.g. `2026-11-24 16:00:00.000 +08:00`.
pub fn format_in_zone(ms: i64, zone: &str) -> Option<String> {
    let at = parse_zone(zone).ok()?.at(ms)?;
    Some(at.format("%Y-%m-%d %H:%M:%S%.3f %:z").to_string())
}

/// The wall clock of an instant in `zone`, in the form the picker edits: `2026-11-24T16:00:00.000`.
pub fn wall_clock(ms: i64, zone: &str) -> Option<String> {
    let at = parse_zone(zone).ok()?.at(ms)?;
    Some(at.format("%Y-%m-%dT%H:%M:%S%.3f").to_string())
}

/// The first instant of the day `days_back` days before the day `ms` falls on, as `zone` counts days.
/// Where midnight does not exist (a DST jump at midnight), the day starts at the first valid hour.
pub fn start_of_day(ms: i64, zone: &str, days_back: i64) -> Option<i64> {
    let tz = parse_zone(zone).ok()?;
    let date = tz
        .at(ms)?
        .date_naive()
        .checked_sub_days(chrono::Days::new(u64::try_from(days_back).ok()?))?;
    (0..=3).find_map(|hour| match tz.from_local(&date.and_hms_opt(hour, 0, 0)?) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => Some(t.timestamp_millis()),
        LocalResult::None => None,
    })
}

/// `HH:mm:ss[.f{1,9}]`, or `HH:mm` with no seconds.
fn parse_clock(clock: &str) -> Option<NaiveTime> {
    let (hms, fraction) = match clock.split_once('.') {
        Some((hms, f)) => (hms, Some(f)),
        None => (clock, None),
    };
    let mut parts = hms.split(':');
    let h = two_digits(parts.next()?)?;
    let m = two_digits(parts.next()?)?;
    let s = match parts.next() {
        Some(s) => two_digits(s)?,
        None if fraction.is_none() => 0,
        None => return None,
    };
    if parts.next().is_some() {
        return None;
    }
    let nanos = match fraction {
        None => 0,
        Some(f) if (1..=9).contains(&f.len()) && f.bytes().all(|b| b.is_ascii_digit()) => {
            let digits: u32 = f.parse().ok()?;
            digits * 10u32.pow(9 - f.len() as u32)
        }
        Some(_) => return None,
    };
    // Milliseconds are the unit of Kafka timestamps: finer digits are dropped, never rounded up.
    NaiveTime::from_hms_nano_opt(h, m, s, nanos - nanos % 1_000_000)
}

fn two_digits(s: &str) -> Option<u32> {
    if s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse().ok()
    } else {
        None
    }
}

/// `Z`, `+hh:mm`, `+hhmm`, `+hh` (or `-`), as seconds east of UTC.
/// For a `yyyy-MM-dd` whose day or month does not exist: which, and the valid range.
fn calendar_fault(date: &str) -> Option<String> {
    let mut parts = date.splitn(3, '-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let (y, m, d): (i32, u32, u32) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    if !(1..=12).contains(&m) {
        return Some(format!("{date} has no month {m} (months run 01 to 12)"));
    }
    let next_month = if m == 12 {
        NaiveDate::from_ymd_opt(y + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(y, m + 1, 1)
    }?;
    let days = next_month.pred_opt()?.day();
    (d == 0 || d > days).then(|| {
        format!(
            "{date} does not exist: {} has {days} days",
            next_month
                .pred_opt()
                .map_or_else(String::new, |last| last.format("%B %Y").to_string())
        )
    })
}

fn parse_offset(offset: &str) -> Option<i32> {
    if offset.eq_ignore_ascii_case("z") {
        return Some(0);
    }
    let sign = match offset.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let rest = &offset[1..];
    // Byte slicing below needs ASCII; anything else is not an offset anyway.
    if !rest.is_ascii() {
        return None;
    }
    let (h, m) = match rest.len() {
        2 => (two_digits(rest)?, 0),
        4 => (two_digits(&rest[..2])?, two_digits(&rest[2..])?),
        5 if rest.as_bytes()[2] == b':' => (two_digits(&rest[..2])?, two_digits(&rest[3..])?),
        _ => return None,
    };
    if h > 18 || m > 59 {
        return None;
    }
    Some(sign * (h as i32 * 3600 + m as i32 * 60))
}

/// Parses a duration to milliseconds.
///
/// Accepts ISO 8601 as the reference tool does (`PnDTnHnMn.nS`, case-insensitive, signs allowed on
/// the whole and on each part, a day is exactly 24 h; weeks, months and years are rejected because
/// their length is ambiguous) and friendly forms: `90m`, `2h`, `1d`, `1h30m`, `45s`, `500ms`.
pub fn parse_duration(input: &str) -> Result<i64, PlanError> {
    let text = input.trim();
    let invalid = |reason: &str| PlanError::InvalidDuration {
        input: input.to_string(),
        reason: reason.to_string(),
    };
    if text.is_empty() {
        return Err(invalid("it is empty"));
    }
    let upper = text.to_ascii_uppercase();
    let unsigned = upper.trim_start_matches(['+', '-']);
    if unsigned.starts_with('P') {
        parse_iso_duration(&upper).ok_or_else(|| {
            invalid(
                "ISO 8601 durations are PnDTnHnMn.nS, e.g. PT2H or P1DT3H (weeks, months and \
                 years are not accepted)",
            )
        })
    } else {
        parse_friendly_duration(text)
            .ok_or_else(|| invalid("use PT2H / P1DT3H, or a number with a unit: 90m, 2h, 1d, 45s"))
    }
}

fn parse_iso_duration(upper: &str) -> Option<i64> {
    let (sign, rest) = split_sign(upper);
    let rest = rest.strip_prefix('P')?;
    let (days_part, time_part) = match rest.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (rest, None),
    };
    let mut total: i64 = 0;
    let mut any = false;
    if !days_part.is_empty() {
        let n = days_part.strip_suffix('D')?;
        total = total.checked_add(signed_int(n)?.checked_mul(MS_PER_DAY)?)?;
        any = true;
    }
    if let Some(mut t) = time_part {
        // "T" must be followed by at least one component.
        if t.is_empty() {
            return None;
        }
        for (unit, scale) in [('H', MS_PER_HOUR), ('M', MS_PER_MINUTE)] {
            if let Some(i) = t.find(unit) {
                let n = &t[..i];
                total = total.checked_add(signed_int(n)?.checked_mul(scale)?)?;
                t = &t[i + 1..];
                any = true;
            }
        }
        if !t.is_empty() {
            let n = t.strip_suffix('S')?;
            total = total.checked_add(signed_seconds_ms(n)?)?;
            any = true;
        }
    }
    any.then_some(sign * total)
}

fn split_sign(s: &str) -> (i64, &str) {
    match s.as_bytes().first() {
        Some(b'-') => (-1, &s[1..]),
        Some(b'+') => (1, &s[1..]),
        _ => (1, s),
    }
}

fn signed_int(n: &str) -> Option<i64> {
    let (sign, digits) = split_sign(n);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(sign * digits.parse::<i64>().ok()?)
}

/// `n`, `n.f` or `n,f` seconds (up to 9 fractional digits) as milliseconds, fraction truncated.
fn signed_seconds_ms(n: &str) -> Option<i64> {
    let (sign, rest) = split_sign(n);
    let (whole, fraction) = match rest.split_once(['.', ',']) {
        Some((w, f)) => (w, f),
        None => (rest, ""),
    };
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if fraction.len() > 9 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut ms = whole.parse::<i64>().ok()?.checked_mul(MS_PER_SECOND)?;
    let padded = format!("{fraction:0<3}");
    ms += padded[..3].parse::<i64>().ok()?;
    Some(sign * ms)
}

fn parse_friendly_duration(text: &str) -> Option<i64> {
    let (sign, mut rest) = split_sign(text.trim());
    let mut total: i64 = 0;
    let mut any = false;
    while !rest.is_empty() {
        rest = rest.trim_start();
        let digits_end = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits_end == 0 {
            return None;
        }
        let n: i64 = rest[..digits_end].parse().ok()?;
        rest = rest[digits_end..].trim_start();
        let unit_end = rest
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(rest.len());
        let scale = match rest[..unit_end].to_ascii_lowercase().as_str() {
            "ms" => 1,
            "s" | "sec" | "secs" | "second" | "seconds" => MS_PER_SECOND,
            "m" | "min" | "mins" | "minute" | "minutes" => MS_PER_MINUTE,
            "h" | "hr" | "hrs" | "hour" | "hours" => MS_PER_HOUR,
            "d" | "day" | "days" => MS_PER_DAY,
            _ => return None,
        };
        total = total.checked_add(n.checked_mul(scale)?)?;
        rest = &rest[unit_end..];
        any = true;
    }
    any.then_some(sign * total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wall_clock_and_start_of_day_follow_the_zone() {
        // 2026-11-24T20:30:00Z is already the 25th in Shanghai.
        let ms = parse_datetime("2026-11-24T20:30:00.250Z", None).unwrap();
        assert_eq!(
            wall_clock(ms, "Asia/Shanghai").unwrap(),
            "2026-11-25T04:30:00.250"
        );
        assert_eq!(wall_clock(ms, "UTC").unwrap(), "2026-11-24T20:30:00.250");
        let today = start_of_day(ms, "Asia/Shanghai", 0).unwrap();
        assert_eq!(today, parse_datetime("2026-11-24T16:00:00Z", None).unwrap());
        let yesterday = start_of_day(ms, "Asia/Shanghai", 1).unwrap();
        assert_eq!(yesterday, today - MS_PER_DAY);
        // Santiago skips midnight when DST starts (2026-09-06): the day starts at 01:00.
        let dst = parse_datetime("2026-09-06T12:00:00Z", None).unwrap();
        let start = start_of_day(dst, "America/Santiago", 0).unwrap();
        assert_eq!(
            wall_clock(start, "America/Santiago").unwrap(),
            "2026-09-06T01:00:00.000"
        );
        assert!(wall_clock(ms, "Mars/Olympus").is_none());
    }

    #[test]
    fn reference_datetime_vectors() {
        assert_eq!(
            parse_datetime("2020-11-10T16:51:38.198", None),
            Ok(1605027098198)
        );
        assert_eq!(
            parse_datetime("2020-11-10T16:51:38.198+08:00", None),
            Ok(1604998298198)
        );
        assert_eq!(
            parse_datetime("2020-11-10T16:51:38.198+0800", None),
            Ok(1604998298198)
        );
        assert_eq!(
            parse_datetime("2020-11-10T16:51:38.198+08", None),
            Ok(1604998298198)
        );
        assert_eq!(
            parse_datetime("2020-11-10T16:51:38.198Z", None),
            Ok(1605027098198)
        );
        assert_eq!(
            parse_datetime("2020-11-10T16:51:38.198-05:00", None),
            Ok(1605027098198 + 5 * MS_PER_HOUR)
        );
    }

    #[test]
    fn our_extra_datetime_forms() {
        // Seconds only, and RFC 3339 with a finer fraction (truncated to ms).
        assert_eq!(
            parse_datetime("2020-11-10T16:51:38Z", None),
            Ok(1605027098000)
        );
        assert_eq!(
            parse_datetime("2020-11-10T16:51:38.198765432+00:00", None),
            Ok(1605027098198)
        );
        assert_eq!(parse_datetime("1605027098198", None), Ok(1605027098198));
        // Wall clock in an IANA zone, as the UI sends it.
        assert_eq!(
            parse_datetime("2020-11-11T00:51:38.198", Some("Asia/Shanghai")),
            Ok(1605027098198)
        );
        assert_eq!(
            parse_datetime("2020-11-10T16:51:38.198", Some("UTC")),
            Ok(1605027098198)
        );
    }

    #[test]
    fn datetime_errors_are_specific() {
        for bad in [
            "2020-11-10 16:51:38",
            "2020-02-30T00:00:00",
            "2020-11-10T25:00:00",
            "2020-11-10T16:51:38.198+25:00",
            "2020-11-10T16:51:38.1234567890",
            "2020-11-10T16:51:38.198+1é1",
            "2020-11-10T16:51:38.198+é",
            "",
        ] {
            assert!(
                matches!(
                    parse_datetime(bad, None),
                    Err(PlanError::InvalidDatetime { .. })
                ),
                "{bad}"
            );
        }
        assert!(matches!(
            parse_datetime("2020-11-10T16:51:38", Some("Mars/Olympus")),
            Err(PlanError::UnknownZone { .. })
        ));
        assert!(matches!(
            parse_datetime("2020-11-10T16:51:38+08:00", Some("Asia/Shanghai")),
            Err(PlanError::InvalidDatetime { .. })
        ));
        // 02:30 on 2026-03-29 does not exist in Berlin; 02:30 on 2026-10-25 exists twice.
        let gap = parse_datetime("2026-03-29T02:30:00", Some("Europe/Berlin"));
        assert!(
            matches!(&gap, Err(PlanError::InvalidDatetime { reason, .. }) if reason.contains("does not exist")),
            "{gap:?}"
        );
        let twice = parse_datetime("2026-10-25T02:30:00", Some("Europe/Berlin"));
        assert!(
            matches!(&twice, Err(PlanError::InvalidDatetime { reason, .. }) if reason.contains("twice")),
            "{twice:?}"
        );
    }

    /// Issue 18, item 6: the message names the fault the operator made, not the first rule it broke.
    #[test]
    fn datetime_messages_name_the_fault() {
        let reason = |input: &str| match parse_datetime(input, None) {
            Err(PlanError::InvalidDatetime { reason, .. }) => reason,
            other => panic!("{input}: {other:?}"),
        };
        assert_eq!(
            reason("2026-02-30"),
            "2026-02-30 does not exist: February 2026 has 28 days"
        );
        assert_eq!(
            reason("2028-02-30T08:00:00"),
            "2028-02-30 does not exist: February 2028 has 29 days"
        );
        assert_eq!(
            reason("2026-13-01T00:00:00"),
            "2026-13-01 has no month 13 (months run 01 to 12)"
        );
        assert_eq!(
            reason("2026-02-28"),
            "it has no time: add 'T' and a time after the date, e.g. 2026-02-28T00:00:00.000"
        );
        assert_eq!(
            reason("2026-11-24 08:00"),
            "put a 'T' between the date and the time, e.g. 2026-11-24T08:00"
        );
        assert_eq!(
            reason("yesterday"),
            "it must start with a date yyyy-MM-dd, e.g. 2026-11-24T08:00:00.000"
        );
    }

    #[test]
    fn iso_durations_as_the_reference_tool() {
        assert_eq!(parse_duration("PT2H"), Ok(2 * MS_PER_HOUR));
        assert_eq!(parse_duration("pt2h"), Ok(2 * MS_PER_HOUR));
        assert_eq!(parse_duration("P1DT3H"), Ok(MS_PER_DAY + 3 * MS_PER_HOUR));
        assert_eq!(parse_duration("P2D"), Ok(2 * MS_PER_DAY));
        assert_eq!(parse_duration("PT0.1S"), Ok(100));
        assert_eq!(parse_duration("PT1M30.5S"), Ok(90_500));
        assert_eq!(parse_duration("-PT1H"), Ok(-MS_PER_HOUR));
        assert_eq!(
            parse_duration("PT-1H30M"),
            Ok(-MS_PER_HOUR + 30 * MS_PER_MINUTE)
        );
        for bad in ["P1W", "P1M", "P1Y", "PT", "P", "PT1H2", "P1DT", "T1H"] {
            assert!(
                matches!(parse_duration(bad), Err(PlanError::InvalidDuration { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn friendly_durations() {
        assert_eq!(parse_duration("90m"), Ok(90 * MS_PER_MINUTE));
        assert_eq!(parse_duration("2h"), Ok(2 * MS_PER_HOUR));
        assert_eq!(parse_duration("1d"), Ok(MS_PER_DAY));
        assert_eq!(parse_duration("1h30m"), Ok(90 * MS_PER_MINUTE));
        assert_eq!(parse_duration("1h 30m"), Ok(90 * MS_PER_MINUTE));
        assert_eq!(parse_duration("500ms"), Ok(500));
        assert_eq!(parse_duration("45 seconds"), Ok(45 * MS_PER_SECOND));
        for bad in ["", "h", "2x", "2", "1.5h"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn tells_whether_an_input_carries_its_own_offset() {
        assert!(carries_offset("2020-11-10T16:51:38.198+08:00"));
        assert!(carries_offset("2020-11-10T16:51:38Z"));
        assert!(carries_offset("2020-11-10T16:51:38.198-0500"));
        assert!(!carries_offset("2020-11-10T16:51:38.198"));
        assert!(!carries_offset("1605027098198"));
    }

    /// The same words the browser shows from its own zone data (datetime.spec.ts checks them there).
    #[test]
    fn a_wall_clock_in_a_gap_or_an_overlap_is_named_as_such() {
        let message = |input: &str| match parse_datetime(input, Some("America/New_York")) {
            Err(PlanError::InvalidDatetime { reason, .. }) => reason,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            message("2026-03-08T02:30:00.000"),
            "2026-03-08 02:30:00 does not exist in America/New_York (clocks go forward over it)"
        );
        assert_eq!(
            message("2026-11-01T01:30:00.000"),
            "2026-11-01 01:30:00 happens twice in America/New_York (clocks go back): at offset -04:00 \
             and at offset -05:00; add the offset you mean"
        );
        assert_eq!(
            parse_datetime("2026-07-01T12:00:00.000", Some("Europe/London")),
            Ok(1_782_903_600_000)
        );
        assert!(matches!(
            parse_datetime("2026-07-01T12:00:00.000", Some("europe/london")),
            Err(PlanError::UnknownZone { .. })
        ));
    }

    #[test]
    fn formats_in_zone() {
        assert_eq!(
            format_in_zone(1605027098198, "Asia/Shanghai").as_deref(),
            Some("2020-11-11 00:51:38.198 +08:00")
        );
    }
}

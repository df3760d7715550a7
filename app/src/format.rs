//! Text formatting shared by pages: numbers, offsets, durations, URLs.

/// `1234567` -> `1,234,567`.
pub fn int(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `1 record`, `2,000 records`.
pub fn count(n: i64, singular: &str, plural: &str) -> String {
    format!("{} {}", int(n), if n == 1 { singular } else { plural })
}

/// An offset or count that may be unknown, as Kafka's tool prints it: `-` when unknown.
pub fn opt_int(n: Option<i64>) -> String {
    n.map(int).unwrap_or_else(|| "-".to_owned())
}

/// Percent-encodes a query value: cluster names and group ids are arbitrary strings.
pub fn query_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The link to a group's page.
pub fn group_href(cluster: &str, group: &str) -> String {
    format!(
        "/group?cluster={}&id={}",
        query_value(cluster),
        query_value(group)
    )
}

/// A span of milliseconds for people: `0s`, `45s`, `12m 5s`, `3h 12m`, `2d 4h`.
pub fn duration(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    let (d, h, m, sec) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60, s % 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{sec}s"),
        (0, 0, _) => format!("{m}m {sec}s"),
        (0, _, _) => format!("{h}h {m}m"),
        _ => format!("{d}d {h}h"),
    }
}

pub fn opt_duration(ms: Option<i64>) -> String {
    ms.map(duration).unwrap_or_else(|| "-".to_owned())
}

/// Milliseconds since the epoch as `2026-11-25 08:00:00 UTC`.
pub fn utc(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_durations() {
        assert_eq!(duration(0), "0s");
        assert_eq!(duration(45_999), "45s");
        assert_eq!(duration(725_000), "12m 5s");
        assert_eq!(duration(3 * 3_600_000 + 12 * 60_000), "3h 12m");
        assert_eq!(duration(2 * 86_400_000 + 4 * 3_600_000), "2d 4h");
        assert_eq!(opt_duration(None), "-");
    }

    #[test]
    fn formats_utc_instants() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        // The reference tool's vector: 2020-11-10T16:51:38.198Z.
        assert_eq!(utc(1_605_027_098_198), "2020-11-10 16:51:38 UTC");
        assert_eq!(utc(951_782_400_000), "2000-02-29 00:00:00 UTC");
    }

    #[test]
    fn groups_thousands() {
        assert_eq!(int(0), "0");
        assert_eq!(int(999), "999");
        assert_eq!(int(1000), "1,000");
        assert_eq!(int(1_234_567), "1,234,567");
        assert_eq!(int(-20_000), "-20,000");
        assert_eq!(opt_int(None), "-");
        assert_eq!(count(1, "record", "records"), "1 record");
        assert_eq!(count(2000, "record", "records"), "2,000 records");
    }

    #[test]
    fn encodes_reserved_characters() {
        assert_eq!(query_value("local"), "local");
        assert_eq!(query_value("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
        assert_eq!(
            group_href("local", "<img src=x>"),
            "/group?cluster=local&id=%3Cimg%20src%3Dx%3E"
        );
    }
}

//! IANA time zones for the planner: the tz database (`chrono-tz`) on the server, the browser's own
//! `Intl` data in the wasm. The tz tables are a megabyte of the wasm otherwise (a quarter of it), and
//! every browser already carries them; the server, which plans what is executed, keeps its own copy.
//!
//! Hand-written where the browser side needs it: `Intl` answers "what is the offset at this instant",
//! and `resolve_local` turns that into "which instants have this wall clock" (none in a gap, two in
//! an overlap), the one question `chrono-tz` answers directly. Unit tests check it against
//! `chrono-tz` over every zone's transitions.

use chrono::{DateTime, FixedOffset, LocalResult, NaiveDateTime};
#[cfg(any(not(feature = "hydrate"), test))]
use chrono::{Offset, TimeZone};

use super::reset::PlanError;

/// A valid IANA zone name (`Asia/Shanghai`, `UTC`), case-sensitive as in the tz database.
#[derive(Debug, Clone)]
pub struct Zone {
    #[cfg(not(feature = "hydrate"))]
    tz: chrono_tz::Tz,
    #[cfg(feature = "hydrate")]
    name: String,
}

impl Zone {
    pub fn parse(zone: &str) -> Result<Self, PlanError> {
        let name = zone.trim();
        let unknown = || PlanError::UnknownZone {
            zone: zone.to_string(),
        };
        #[cfg(not(feature = "hydrate"))]
        {
            name.parse::<chrono_tz::Tz>()
                .map(|tz| Zone { tz })
                .map_err(|_| unknown())
        }
        #[cfg(feature = "hydrate")]
        {
            crate::browser::intl_zone_valid(name)
                .then(|| Zone {
                    name: name.to_owned(),
                })
                .ok_or_else(unknown)
        }
    }

    /// The zone's offset from UTC at instant `ms`.
    pub fn offset_at(&self, ms: i64) -> Option<FixedOffset> {
        #[cfg(not(feature = "hydrate"))]
        {
            let utc = DateTime::from_timestamp_millis(ms)?.naive_utc();
            Some(self.tz.offset_from_utc_datetime(&utc).fix())
        }
        #[cfg(feature = "hydrate")]
        {
            FixedOffset::east_opt(crate::browser::intl_offset_seconds(&self.name, ms)?)
        }
    }

    /// The instant `ms` as wall-clock time in the zone.
    pub fn at(&self, ms: i64) -> Option<DateTime<FixedOffset>> {
        Some(DateTime::from_timestamp_millis(ms)?.with_timezone(&self.offset_at(ms)?))
    }

    /// The instants whose wall clock in the zone reads `local`: none in a gap (clocks go forward
    /// over it), two in an overlap (clocks go back), the earlier first.
    pub fn from_local(&self, local: &NaiveDateTime) -> LocalResult<DateTime<FixedOffset>> {
        #[cfg(not(feature = "hydrate"))]
        {
            self.tz.from_local_datetime(local).map(|t| t.fixed_offset())
        }
        #[cfg(feature = "hydrate")]
        {
            resolve_local(local, |ms| self.offset_at(ms))
        }
    }
}

/// The zone names a picker offers: the tz database's on the server, the browser's own in the wasm.
pub fn zone_names() -> Vec<String> {
    #[cfg(not(feature = "hydrate"))]
    {
        chrono_tz::TZ_VARIANTS
            .iter()
            .map(|tz| tz.name().to_owned())
            .collect()
    }
    #[cfg(feature = "hydrate")]
    {
        crate::browser::intl_zone_names()
    }
}

/// A day either side covers every offset a wall clock can have near `local` (no zone has moved by
/// more than a day at once, and transitions are months apart).
const PROBE_MS: i64 = 86_400_000;

/// Which instants have wall clock `local` in a zone known only by its offset at each instant: for
/// each offset the zone has around that time, the instant it would give, kept when the zone really
/// has that offset then.
#[cfg_attr(not(any(feature = "hydrate", test)), allow(dead_code))]
fn resolve_local(
    local: &NaiveDateTime,
    offset_at: impl Fn(i64) -> Option<FixedOffset>,
) -> LocalResult<DateTime<FixedOffset>> {
    let wall = local.and_utc().timestamp_millis();
    let mut offsets: Vec<FixedOffset> = [wall - PROBE_MS, wall, wall + PROBE_MS]
        .into_iter()
        .filter_map(&offset_at)
        .collect();
    offsets.sort_by_key(|o| o.local_minus_utc());
    offsets.dedup();
    let mut found: Vec<DateTime<FixedOffset>> = offsets
        .into_iter()
        .filter_map(|o| {
            let ms = wall - i64::from(o.local_minus_utc()) * 1_000;
            (offset_at(ms) == Some(o))
                .then(|| DateTime::from_timestamp_millis(ms).map(|t| t.with_timezone(&o)))
                .flatten()
        })
        .collect();
    found.sort_by_key(|t| t.timestamp_millis());
    found.dedup_by_key(|t| t.timestamp_millis());
    match found.as_slice() {
        [] => LocalResult::None,
        [one] => LocalResult::Single(*one),
        [first, .., last] => LocalResult::Ambiguous(*first, *last),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, NaiveDate};

    /// Every zone, every transition from 1970 to 2040: wall clocks just before, in and after each gap
    /// or overlap resolve as the tz database resolves them.
    #[test]
    fn resolving_from_offsets_alone_agrees_with_the_tz_database_at_every_transition() {
        let at = |y: i32| {
            NaiveDate::from_ymd_opt(y, 1, 1)
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|t| t.and_utc().timestamp_millis())
                .unwrap()
        };
        let mut transitions = 0;
        for tz in chrono_tz::TZ_VARIANTS {
            let offset_at = |ms: i64| {
                let utc = DateTime::from_timestamp_millis(ms)?.naive_utc();
                Some(tz.offset_from_utc_datetime(&utc).fix())
            };
            // A week apart (two changes within one week would cancel out and go unchecked).
            let (mut t, end, step) = (at(1970), at(2040), 7 * 86_400_000);
            while t < end {
                let (before, after) = (offset_at(t), offset_at(t + step));
                if before != after {
                    // The change to the second, then wall clocks around it on both offsets.
                    let (mut lo, mut hi) = (t, t + step);
                    while hi - lo > 1_000 {
                        let mid = lo + (hi - lo) / 2;
                        if offset_at(mid) == before {
                            lo = mid;
                        } else {
                            hi = mid;
                        }
                    }
                    let instant = DateTime::from_timestamp_millis(hi).unwrap().naive_utc();
                    for offset in [before, after].into_iter().flatten() {
                        let wall = instant + Duration::seconds(i64::from(offset.local_minus_utc()));
                        for minutes in [-121, -60, -59, -30, -1, 0, 1, 30, 59, 60, 61, 121] {
                            let local = wall + Duration::minutes(minutes);
                            let want = tz.from_local_datetime(&local).map(|t| t.fixed_offset());
                            assert_eq!(
                                resolve_local(&local, offset_at),
                                want,
                                "{} at {local}",
                                tz.name()
                            );
                        }
                    }
                    transitions += 1;
                }
                t += step;
            }
        }
        assert!(
            transitions > 10_000,
            "only {transitions} transitions checked"
        );
    }
}

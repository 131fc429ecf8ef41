//! Unix seconds and civil UTC dates, both ways (`chrono`, UTC only): the RFC 3339
//! timestamps of the admin API, the dates its filters take, and the times mail shows.

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};

use crate::engine::platform::ports::UnixTime;

fn utc(t: UnixTime) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(t, 0)
}

/// `2024-01-15T10:30:00Z` (RFC 3339, UTC), as every admin answer writes times.
pub use shared::time::format as rfc3339;

/// `2024-01-15 10:30 UTC`, for people (mail).
pub fn utc_minutes(t: UnixTime) -> String {
    utc(t)
        .map(|d| format!("{:04}-{:02}-{:02} {:02}:{:02} UTC", d.year(), d.month(), d.day(), d.hour(), d.minute()))
        .unwrap_or_default()
}

/// An instant from a query parameter: Unix seconds, a date (`2024-01-15`, its midnight
/// UTC) or an RFC 3339 time with its offset (`2024-01-15T10:30:00Z`).
pub fn parse_instant(value: &str) -> Option<UnixTime> {
    if let Ok(seconds) = value.parse::<UnixTime>() {
        return Some(seconds);
    }
    if value.contains('T') {
        return shared::time::parse(value);
    }
    let mut parts = value.split('-').map(|p| p.parse::<i32>().ok());
    let (Some(Some(y)), Some(Some(m)), Some(Some(d)), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let date = NaiveDate::from_ymd_opt(y, u32::try_from(m).ok()?, u32::try_from(d).ok()?)?;
    Some(date.and_hms_opt(0, 0, 0)?.and_utc().timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_3339_both_ways() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_705_314_600), "2024-01-15T10:30:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(parse_instant("2024-01-15T10:30:00Z"), Some(1_705_314_600));
        assert_eq!(parse_instant("2024-01-15"), Some(1_705_276_800));
        assert_eq!(parse_instant("1705314600"), Some(1_705_314_600));
        assert_eq!(parse_instant("2024-01-15T11:30:00+01:00"), Some(1_705_314_600), "an offset is applied");
        for bad in
            ["2024-13-01", "2024-02-30", "2024-01", "yesterday", "2024-01-15T25:00:00Z", "2024-01-15T10:30:00", ""]
        {
            assert_eq!(parse_instant(bad), None, "{bad}");
        }
        assert_eq!(utc_minutes(1_795_000_000 + 3_600 * 5 + 60 * 7), "2026-11-18 16:13 UTC");
    }
}

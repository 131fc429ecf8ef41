//! Unix seconds and civil UTC dates, both ways (H. Hinnant's days-from-civil algorithms):
//! the RFC 3339 timestamps of the admin API and the dates its filters take.

use crate::engine::platform::ports::UnixTime;

/// `(year, month, day)` of a day count since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// Days since 1970-01-01 of a civil date (month 1–12, day 1–31).
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `2024-01-15T10:30:00Z` (RFC 3339, UTC).
pub fn rfc3339(t: UnixTime) -> String {
    let (year, month, day) = civil_from_days(t.div_euclid(86_400));
    let secs = t.rem_euclid(86_400);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", secs / 3600, secs % 3600 / 60, secs % 60)
}

/// `2024-01-15 10:30 UTC`, for people (mail).
pub fn utc_minutes(t: UnixTime) -> String {
    let (year, month, day) = civil_from_days(t.div_euclid(86_400));
    let secs = t.rem_euclid(86_400);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02} UTC", secs / 3600, secs % 3600 / 60)
}

/// An instant from a query parameter: Unix seconds, a date (`2024-01-15`, its midnight
/// UTC) or an RFC 3339 UTC time (`2024-01-15T10:30:00Z`).
pub fn parse_instant(value: &str) -> Option<UnixTime> {
    if let Ok(seconds) = value.parse::<UnixTime>() {
        return Some(seconds);
    }
    let (date, time) = match value.split_once('T') {
        Some((date, time)) => (date, Some(time.strip_suffix('Z')?)),
        None => (value, None),
    };
    let mut parts = date.split('-').map(|p| p.parse::<i64>().ok());
    let (Some(Some(y)), Some(Some(m)), Some(Some(d)), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let mut seconds = days_from_civil(y, m, d) * 86_400;
    if let Some(time) = time {
        let mut hms = time.split(':').map(|p| p.parse::<i64>().ok());
        let (Some(Some(h)), Some(Some(mi)), Some(Some(s)), None) = (hms.next(), hms.next(), hms.next(), hms.next())
        else {
            return None;
        };
        if !(0..24).contains(&h) || !(0..60).contains(&mi) || !(0..61).contains(&s) {
            return None;
        }
        seconds += h * 3600 + mi * 60 + s;
    }
    Some(seconds)
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
        for bad in ["2024-13-01", "2024-01", "yesterday", "2024-01-15T25:00:00Z", "2024-01-15T10:30:00", ""] {
            assert_eq!(parse_instant(bad), None, "{bad}");
        }
        assert_eq!(utc_minutes(1_795_000_000 + 3_600 * 5 + 60 * 7), "2026-11-18 16:13 UTC");
    }
}

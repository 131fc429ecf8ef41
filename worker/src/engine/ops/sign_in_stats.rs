//! Sign-ins and failures over time, from the audit log (`user.login`,
//! `user.login_failed`, written by every password sign-in): the console dashboard's
//! charts. One grouped read over the `audit_log_event (event, timestamp)` index.

use serde::Deserialize;
use shared::admin::{SignInBucket, SignInStats};

use crate::engine::platform::error::ApiError;
use crate::engine::platform::ports::{int, whole, SqlRunner, UnixTime};
use crate::engine::tables::audit_log;

#[derive(Deserialize)]
struct Row {
    bucket: f64,
    sign_ins: f64,
    failures: f64,
}

/// `24h`: 24 hourly buckets ending with the current hour; `30d`: 30 UTC days ending
/// with today.
pub async fn sign_in_stats(store: &impl SqlRunner, period: &str, now: UnixTime) -> Result<SignInStats, ApiError> {
    let (size, count) = match period {
        "24h" => (3_600, 24),
        "30d" => (86_400, 30),
        _ => return Err(ApiError::invalid("period", "must be 24h or 30d")),
    };
    let end = (now / size + 1) * size;
    let start = end - size * count;
    let rows = store.select(audit_log::sign_in_buckets(start, end, size)).await?;
    let mut buckets: Vec<SignInBucket> =
        (0..count).map(|i| SignInBucket { start: start + i * size, sign_ins: 0, failures: 0 }).collect();
    for row in rows {
        let r: Row = crate::engine::platform::json::row(row, "sign-in stats")?;
        if let Some(b) = usize::try_from(int(r.bucket)).ok().and_then(|i| buckets.get_mut(i)) {
            b.sign_ins += whole(r.sign_ins);
            b.failures += whole(r.failures);
        }
    }
    Ok(SignInStats { period: period.to_owned(), bucket_seconds: size, buckets })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::platform::ports::SqlArg;
    use crate::native::SqliteStore;

    #[test]
    fn sign_ins_and_failures_are_counted_per_hour_and_per_day_with_empty_buckets_kept() {
        let store = SqliteStore::open_in_memory().unwrap();
        let now = 1_800_003_000; // 50 minutes into an hour
        let hour = now / 3_600 * 3_600;
        for (id, event, at) in [
            ("a", "user.login", now - 60),
            ("b", "user.login", hour - 1),
            ("c", "user.login_failed", hour - 10),
            ("d", "user.login_failed", now - 25 * 3_600),
            ("e", "user.created", now - 60),
        ] {
            let args: [SqlArg; 3] = [id.into(), event.into(), at.into()];
            pollster::block_on(
                store.execute("INSERT INTO audit_log (id, event, timestamp) VALUES (?1, ?2, ?3)", &args),
            )
            .unwrap();
        }
        let day = pollster::block_on(sign_in_stats(&store, "24h", now)).unwrap();
        assert_eq!(day.buckets.len(), 24);
        let last = day.buckets.last().unwrap();
        assert_eq!((last.start, last.sign_ins, last.failures), (hour, 1, 0));
        let before = &day.buckets[22];
        assert_eq!((before.sign_ins, before.failures), (1, 1));
        assert_eq!(day.buckets.iter().map(|b| b.failures).sum::<u64>(), 1, "25 hours ago is outside");
        let month = pollster::block_on(sign_in_stats(&store, "30d", now)).unwrap();
        assert_eq!(month.buckets.len(), 30);
        assert_eq!(month.buckets.iter().map(|b| b.sign_ins + b.failures).sum::<u64>(), 4);
        assert!(pollster::block_on(sign_in_stats(&store, "7y", now)).is_err());
    }
}

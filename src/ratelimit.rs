//! Fixed-window rate limits per key (a client address, an account). `hit` keeps the count in
//! the database, so every node counts together: for rare writes (complaints, downloads of the
//! register). `LocalLimiter` keeps it in this node's memory: for public reads that must stay
//! fast (a database write per search would cost more than the search), so with several nodes
//! an address may make the limit's number of requests on each. Login throttling has its own
//! stricter rules in `auth`.

use std::{collections::HashMap, sync::Mutex};

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, DbErr};

pub use crate::clients::{TrustedProxies, client_key, client_of};
use crate::db::raw_statement;

/// Counts one use of `key`; `Some(seconds)` when the key used up its `limit` in this `window`.
pub async fn hit(
    db: &impl ConnectionTrait,
    key: &str,
    limit: i32,
    window: Duration,
    now: DateTime<Utc>,
) -> Result<Option<u64>, DbErr> {
    let row = db
        .query_one_raw(raw_statement(
            db.get_database_backend(),
            "INSERT INTO login_throttle (key, failures, window_started_at, blocked_until)
             VALUES ($1, 1, $2, NULL)
             ON CONFLICT (key) DO UPDATE SET
                failures = CASE WHEN login_throttle.window_started_at < $3
                                THEN 1 ELSE login_throttle.failures + 1 END,
                window_started_at = CASE WHEN login_throttle.window_started_at < $3
                                THEN $2 ELSE login_throttle.window_started_at END
             RETURNING failures, window_started_at",
            [key.into(), now.into(), (now - window).into()],
        ))
        .await?
        .ok_or_else(|| DbErr::Custom("rate limit counter returned nothing".into()))?;
    let count: i32 = row.try_get("", "failures")?;
    let started: DateTime<Utc> = row.try_get("", "window_started_at")?;
    if count <= limit {
        return Ok(None);
    }
    Ok(Some(
        (started + window - now).num_seconds().max(1).unsigned_abs(),
    ))
}

/// Keys counted before the windows that have ended are pruned (at most once a window).
const LOCAL_KEYS_BEFORE_PRUNING: usize = 10_000;
/// Keys counted at most: beyond it (a flood of addresses), every count starts again, so that
/// memory stays bounded and no hit scans more than once a window.
const LOCAL_KEYS_AT_MOST: usize = 200_000;

/// A fixed-window limiter in this node's memory.
#[derive(Default)]
pub struct LocalLimiter {
    inner: Mutex<LocalWindows>,
}

#[derive(Default)]
struct LocalWindows {
    windows: HashMap<String, (DateTime<Utc>, i32)>,
    pruned_at: Option<DateTime<Utc>>,
}

impl LocalLimiter {
    /// Counts one use of `key`; `Some(seconds)` when the key used up its `limit` in this `window`.
    pub fn hit(&self, key: &str, limit: i32, window: Duration, now: DateTime<Utc>) -> Option<u64> {
        let mut inner = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let LocalWindows { windows, pruned_at } = &mut *inner;
        if windows.len() >= LOCAL_KEYS_BEFORE_PRUNING
            && pruned_at.is_none_or(|at| at + window <= now)
        {
            windows.retain(|_, (started, _)| *started + window > now);
            *pruned_at = Some(now);
        }
        if windows.len() >= LOCAL_KEYS_AT_MOST {
            windows.clear();
        }
        let entry = windows.entry(key.to_owned()).or_insert((now, 0));
        if entry.0 + window <= now {
            *entry = (now, 0);
        }
        entry.1 += 1;
        (entry.1 > limit).then(|| (entry.0 + window - now).num_seconds().max(1).unsigned_abs())
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone, Utc};

    use super::LocalLimiter;

    #[test]
    fn a_local_window_counts_to_its_limit_and_starts_again() {
        let limiter = LocalLimiter::default();
        let start = Utc.with_ymd_and_hms(2026, 12, 1, 8, 0, 0).unwrap();
        let minute = Duration::minutes(1);
        for _ in 0..3 {
            assert_eq!(limiter.hit("a", 3, minute, start), None);
        }
        assert_eq!(
            limiter.hit("a", 3, minute, start + Duration::seconds(20)),
            Some(40)
        );
        assert_eq!(limiter.hit("b", 3, minute, start), None, "per key");
        assert_eq!(limiter.hit("a", 3, minute, start + minute), None);
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_network() {
        let key = |text: &str| super::client_key(text.parse().ok());
        assert_eq!(key("2001:db8:1:2:aaaa::1"), key("2001:db8:1:2:bbbb::2"));
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_eq!(key("::ffff:192.0.2.7"), "192.0.2.7");
        assert_eq!(key("192.0.2.7"), "192.0.2.7");
    }
}

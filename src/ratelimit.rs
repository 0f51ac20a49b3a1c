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

/// The most slowed attempts one node holds at a time.
pub const MAX_WAITING: usize = 64;

/// Where slowed attempts wait their turn (login attempts on an account under attack): one at a
/// time per key, and at most [`MAX_WAITING`] across the node. Counted by this node.
pub struct SlowLane {
    waiting: std::sync::Arc<tokio::sync::Semaphore>,
    accounts: std::sync::Mutex<
        std::collections::HashMap<String, std::sync::Weak<tokio::sync::Mutex<()>>>,
    >,
}

/// A place in the slow lane: held while the attempt waits and is checked.
pub struct SlowTurn {
    _waiting: tokio::sync::OwnedSemaphorePermit,
    _account: tokio::sync::OwnedMutexGuard<()>,
}

impl Default for SlowLane {
    fn default() -> Self {
        Self::new(MAX_WAITING)
    }
}

impl SlowLane {
    pub fn new(max_waiting: usize) -> Self {
        Self {
            waiting: std::sync::Arc::new(tokio::sync::Semaphore::new(max_waiting)),
            accounts: std::sync::Mutex::default(),
        }
    }

    /// Waits for this account's turn; `None` at once when the lane is full.
    pub async fn enter(&self, account: &str) -> Option<SlowTurn> {
        let waiting = self.waiting.clone().try_acquire_owned().ok()?;
        let lock = {
            let mut accounts = self
                .accounts
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some(lock) = accounts.get(account).and_then(std::sync::Weak::upgrade) {
                lock
            } else {
                // Forget accounts nobody waits for any more before adding one.
                accounts.retain(|_, lock| lock.strong_count() > 0);
                let lock = std::sync::Arc::new(tokio::sync::Mutex::new(()));
                accounts.insert(account.to_owned(), std::sync::Arc::downgrade(&lock));
                lock
            }
        };
        Some(SlowTurn {
            _account: lock.lock_owned().await,
            _waiting: waiting,
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone, Utc};

    use super::{LocalLimiter, SlowLane};

    #[tokio::test]
    async fn slowed_attempts_take_turns_per_account_and_a_full_lane_refuses() {
        let lane = std::sync::Arc::new(SlowLane::new(3));
        let first = lane.enter("account:a").await.expect("room in the lane");
        // A second attempt on the same account waits for the first to finish.
        let second = tokio::spawn({
            let lane = lane.clone();
            async move { lane.enter("account:a").await.is_some() }
        });
        tokio::task::yield_now().await;
        assert!(!second.is_finished(), "the same account waits its turn");
        // Another account does not wait behind it.
        let other = lane.enter("account:b").await.expect("room in the lane");
        // The lane holds three: the fourth attempt is refused at once, whatever its account.
        assert!(lane.enter("account:c").await.is_none());
        drop(first);
        assert!(second.await.unwrap());
        drop(other);
        assert!(lane.enter("account:c").await.is_some());
    }

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

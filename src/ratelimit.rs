//! Fixed-window rate limits per key (a client address, an account), kept in the database so
//! every node counts together. Login throttling has its own stricter rules in `auth`.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, DbErr};

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

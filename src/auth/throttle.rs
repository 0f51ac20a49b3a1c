//! Login throttling per account and per client address. After `MAX_FAILURES` failures inside the
//! window a key is blocked for `BLOCK`; the answer is the same whether or not the account exists.

use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use entities::login_throttle;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use sha2::{Digest, Sha256};

use crate::db::raw_statement;

pub const MAX_FAILURES: i32 = 10;
pub const WINDOW: Duration = Duration::minutes(15);
pub const BLOCK: Duration = Duration::minutes(15);

/// The throttle keys of one login attempt.
pub struct ThrottleKeys {
    pub account: String,
    pub address: String,
}

impl ThrottleKeys {
    /// The account key holds a digest, so the table does not list e-mail addresses.
    pub fn new(email: &str, client: Option<IpAddr>) -> Self {
        let address = client.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
        Self {
            account: format!("account:{}", hex::encode(Sha256::digest(email.as_bytes()))),
            address: format!("address:{address}"),
        }
    }

    fn all(&self) -> [&str; 2] {
        [&self.account, &self.address]
    }
}

/// Seconds until the attempt may be made, when either key is blocked.
pub async fn blocked_for(
    db: &impl ConnectionTrait,
    keys: &ThrottleKeys,
    now: DateTime<Utc>,
) -> Result<Option<u64>, DbErr> {
    let rows = login_throttle::Entity::find()
        .filter(login_throttle::Column::Key.is_in(keys.all()))
        .filter(login_throttle::Column::BlockedUntil.gt(now))
        .all(db)
        .await?;
    Ok(rows
        .iter()
        .filter_map(|row| row.blocked_until)
        .max()
        .map(|until| (until - now).num_seconds().max(1).unsigned_abs()))
}

/// Counts a failure against both keys, atomically, starting a new window when the old one ended.
pub async fn record_failure(
    db: &impl ConnectionTrait,
    keys: &ThrottleKeys,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let window_cutoff = now - WINDOW;
    let blocked_until = now + BLOCK;
    for key in keys.all() {
        db.execute_raw(raw_statement(
            db.get_database_backend(),
            "INSERT INTO login_throttle (key, failures, window_started_at, blocked_until)
             VALUES ($1, 1, $2, NULL)
             ON CONFLICT (key) DO UPDATE SET
                failures = CASE WHEN login_throttle.window_started_at < $3
                                THEN 1 ELSE login_throttle.failures + 1 END,
                window_started_at = CASE WHEN login_throttle.window_started_at < $3
                                THEN $2 ELSE login_throttle.window_started_at END,
                blocked_until = CASE WHEN login_throttle.window_started_at >= $3
                                      AND login_throttle.failures + 1 >= $4
                                THEN $5 ELSE login_throttle.blocked_until END",
            [
                key.into(),
                now.into(),
                window_cutoff.into(),
                MAX_FAILURES.into(),
                blocked_until.into(),
            ],
        ))
        .await?;
    }
    Ok(())
}

/// A successful login clears the account's counter (the address keeps its own).
pub async fn clear_account(db: &impl ConnectionTrait, keys: &ThrottleKeys) -> Result<(), DbErr> {
    login_throttle::Entity::delete_by_id(keys.account.clone())
        .exec(db)
        .await?;
    Ok(())
}

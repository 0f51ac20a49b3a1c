//! Login throttling that an attacker cannot turn against the owner of an account.
//!
//! Failures are counted per account *and address pair*, per address, and per account:
//! - a pair with `PAIR_FAILURES` failures inside the window is blocked for `BLOCK` (the guesser
//!   at that address, not the owner elsewhere);
//! - an address with `ADDRESS_FAILURES` failures across accounts is blocked for `BLOCK`;
//! - an account is never blocked: once it has `SLOWDOWN_AFTER` failures inside the window, every
//!   attempt naming it is slowed down (`delay_for`), so guessing from many addresses crawls while
//!   the owner still gets in.
//!
//! The answer is the same whether or not the account exists; the counters hold keyed hashes of
//! e-mail addresses, never the addresses.
//!
//! Slowed attempts wait in a [`SlowLane`]: one at a time per account (so that guesses from many
//! addresses at once still come one per delay), and at most [`MAX_WAITING`] across the node (a
//! flood of slowed attempts is answered 429 at once rather than held open).

use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use entities::login_throttle;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use crate::{db::raw_statement, keys::Pseudonyms};

pub const PAIR_FAILURES: i32 = 10;
pub const ADDRESS_FAILURES: i32 = 30;
pub const SLOWDOWN_AFTER: i32 = 10;
pub const WINDOW: Duration = Duration::minutes(15);
pub const BLOCK: Duration = Duration::minutes(15);
/// The slowest an attempt on an account under attack is answered.
const MAX_DELAY_MILLIS: i64 = 3_000;

pub use crate::ratelimit::{MAX_WAITING, SlowLane, SlowTurn};

/// The throttle keys of one login attempt.
pub struct ThrottleKeys {
    pub account: String,
    pub pair: String,
    pub address: String,
}

impl ThrottleKeys {
    pub fn new(pseudonyms: &Pseudonyms, email: &str, client: Option<IpAddr>) -> Self {
        // An IPv6 client counts by its /64, as the other rate limits do.
        let address = crate::clients::client_key(client);
        let account = pseudonyms.of(email);
        Self {
            pair: format!("pair:{account}:{address}"),
            account: format!("account:{account}"),
            address: format!("address:{address}"),
        }
    }

    /// Each key with the failures that block it (`None`: never blocked).
    fn limits(&self) -> [(&str, Option<i32>); 3] {
        [
            (&self.pair, Some(PAIR_FAILURES)),
            (&self.address, Some(ADDRESS_FAILURES)),
            (&self.account, None),
        ]
    }
}

/// Seconds until the attempt may be made, when its pair or its address is blocked.
pub async fn blocked_for(
    db: &impl ConnectionTrait,
    keys: &ThrottleKeys,
    now: DateTime<Utc>,
) -> Result<Option<u64>, DbErr> {
    let rows = login_throttle::Entity::find()
        .filter(login_throttle::Column::Key.is_in([keys.pair.as_str(), keys.address.as_str()]))
        .filter(login_throttle::Column::BlockedUntil.gt(now))
        .all(db)
        .await?;
    Ok(rows
        .iter()
        .filter_map(|row| row.blocked_until)
        .max()
        .map(|until| (until - now).num_seconds().max(1).unsigned_abs()))
}

/// How long to hold an attempt on this account before answering it.
pub async fn delay_for(
    db: &impl ConnectionTrait,
    keys: &ThrottleKeys,
    now: DateTime<Utc>,
) -> Result<std::time::Duration, DbErr> {
    let failures = login_throttle::Entity::find_by_id(keys.account.clone())
        .one(db)
        .await?
        .filter(|row| row.window_started_at >= now - WINDOW)
        .map_or(0, |row| row.failures);
    Ok(delay_after(failures))
}

/// A quarter second more for every failure past `SLOWDOWN_AFTER`, up to three seconds.
pub fn delay_after(failures: i32) -> std::time::Duration {
    let past = i64::from(failures) - i64::from(SLOWDOWN_AFTER) + 1;
    let millis = (past.max(0) * 250).min(MAX_DELAY_MILLIS);
    std::time::Duration::from_millis(millis.unsigned_abs())
}

/// Counts a failure against every key, atomically, starting a new window when the old one ended.
pub async fn record_failure(
    db: &impl ConnectionTrait,
    keys: &ThrottleKeys,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let window_cutoff = now - WINDOW;
    let blocked_until = now + BLOCK;
    for (key, limit) in keys.limits() {
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
                limit.unwrap_or(i32::MAX).into(),
                blocked_until.into(),
            ],
        ))
        .await?;
    }
    Ok(())
}

/// A successful login clears the pair's and the account's counters (the address keeps its own).
pub async fn clear_account(db: &impl ConnectionTrait, keys: &ThrottleKeys) -> Result<(), DbErr> {
    login_throttle::Entity::delete_many()
        .filter(login_throttle::Column::Key.is_in([keys.pair.as_str(), keys.account.as_str()]))
        .exec(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::delay_after;

    #[test]
    fn an_account_under_attack_is_slowed_not_locked() {
        assert_eq!(delay_after(0).as_millis(), 0);
        assert_eq!(delay_after(9).as_millis(), 0);
        assert_eq!(delay_after(10).as_millis(), 250);
        assert_eq!(delay_after(13).as_millis(), 1000);
        assert_eq!(delay_after(10_000).as_millis(), 3000);
    }
}

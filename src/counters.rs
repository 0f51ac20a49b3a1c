//! Named monotonic counters in the database (disclosure sequences, code serials). Taking a value
//! locks only that counter's row until the transaction ends.

use sea_orm::{ConnectionTrait, DbErr};

use crate::db::raw_statement;

/// The next value of the counter (1 for a new counter); call inside the transaction that uses it.
pub async fn next(db: &impl ConnectionTrait, name: &str) -> Result<i64, DbErr> {
    let row = db
        .query_one_raw(raw_statement(
            db.get_database_backend(),
            "INSERT INTO counters (name, value) VALUES ($1, 1)
             ON CONFLICT (name) DO UPDATE SET value = counters.value + 1
             RETURNING value",
            [name.into()],
        ))
        .await?
        .ok_or_else(|| DbErr::Custom(format!("counter {name} returned nothing")))?;
    row.try_get::<i64>("", "value")
}

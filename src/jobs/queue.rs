//! Enqueueing, claiming and finishing jobs.

use chrono::{DateTime, Duration, Utc};
use entities::job;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, sea_query::Expr,
};
use serde::{Serialize, de::DeserializeOwned};
use uuid::Uuid;

use crate::db::raw_statement;

pub const QUEUED: &str = "queued";
pub const RUNNING: &str = "running";
pub const DONE: &str = "done";
pub const FAILED: &str = "failed";

/// A kind of job and its payload.
pub trait Job: Serialize + DeserializeOwned {
    /// Stable name stored in the `kind` column.
    const KIND: &'static str;
}

/// Adds a job; call inside the transaction of the change that causes it.
pub async fn enqueue<J: Job>(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    job: &J,
    max_attempts: u32,
) -> Result<Uuid, DbErr> {
    enqueue_at(db, now, now, job, max_attempts).await
}

/// Adds a job that must not run before `run_at`.
pub async fn enqueue_at<J: Job>(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    run_at: DateTime<Utc>,
    job: &J,
    max_attempts: u32,
) -> Result<Uuid, DbErr> {
    let id = Uuid::now_v7();
    let payload = serde_json::to_string(job).map_err(|error| DbErr::Custom(error.to_string()))?;
    job::Entity::insert(job::ActiveModel {
        id: Set(id),
        kind: Set(J::KIND.to_owned()),
        payload: Set(payload),
        state: Set(QUEUED.to_owned()),
        attempts: Set(0),
        max_attempts: Set(i32::try_from(max_attempts).unwrap_or(i32::MAX).max(1)),
        run_at: Set(run_at),
        locked_at: Set(None),
        locked_by: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        finished_at: Set(None),
    })
    .exec_without_returning(db)
    .await?;
    Ok(id)
}

/// Claims up to `limit` jobs that are due, or whose worker's lease ran out, for `node`.
/// PostgreSQL skips rows other workers hold; SQLite serialises writers anyway.
pub async fn claim(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    lease: Duration,
    node: &str,
    limit: u64,
) -> Result<Vec<job::Model>, DbErr> {
    let backend = db.get_database_backend();
    let skip_locked = if backend == DbBackend::Postgres {
        "FOR UPDATE SKIP LOCKED"
    } else {
        ""
    };
    let sql = format!(
        "UPDATE jobs SET state = 'running', locked_at = $1, locked_by = $2,
                attempts = attempts + 1, updated_at = $1
         WHERE id IN (
             SELECT id FROM jobs
             WHERE (state = 'queued' AND run_at <= $1)
                OR (state = 'running' AND locked_at < $3)
             ORDER BY run_at
             LIMIT $4
             {skip_locked})
         RETURNING *"
    );
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    job::Entity::find()
        .from_raw_sql(raw_statement(
            backend,
            &sql,
            [now.into(), node.into(), (now - lease).into(), limit.into()],
        ))
        .all(db)
        .await
}

/// Marks a job done, unless another worker has taken it over meanwhile.
pub async fn complete(
    db: &impl ConnectionTrait,
    job: &job::Model,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    job::Entity::update_many()
        .col_expr(job::Column::State, Expr::value(DONE))
        .col_expr(job::Column::FinishedAt, Expr::value(Some(now)))
        .col_expr(job::Column::UpdatedAt, Expr::value(now))
        .col_expr(job::Column::LastError, Expr::value(Option::<String>::None))
        .filter(job::Column::Id.eq(job.id))
        .filter(job::Column::LockedAt.eq(job.locked_at))
        .exec(db)
        .await?;
    Ok(())
}

/// The wait before attempt `attempts + 1`: 10 s doubling, at most an hour.
pub fn backoff(attempts: i32) -> Duration {
    let exponent = u32::try_from(attempts.saturating_sub(1).clamp(0, 12)).unwrap_or(12);
    Duration::seconds((10_i64 << exponent).min(3600))
}

/// Records a failed attempt: queued again after the backoff, or parked as failed.
pub async fn fail(
    db: &impl ConnectionTrait,
    job: &job::Model,
    error: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let parked = job.attempts >= job.max_attempts;
    let mut update = job::Entity::update_many()
        .col_expr(
            job::Column::LastError,
            Expr::value(error.chars().take(2000).collect::<String>()),
        )
        .col_expr(job::Column::UpdatedAt, Expr::value(now))
        .col_expr(
            job::Column::LockedAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(job::Column::LockedBy, Expr::value(Option::<String>::None));
    update = if parked {
        update
            .col_expr(job::Column::State, Expr::value(FAILED))
            .col_expr(job::Column::FinishedAt, Expr::value(Some(now)))
    } else {
        update
            .col_expr(job::Column::State, Expr::value(QUEUED))
            .col_expr(job::Column::RunAt, Expr::value(now + backoff(job.attempts)))
    };
    update
        .filter(job::Column::Id.eq(job.id))
        .filter(job::Column::LockedAt.eq(job.locked_at))
        .exec(db)
        .await?;
    Ok(parked)
}

/// Puts a failed job back in the queue with a fresh set of attempts.
pub async fn retry(db: &impl ConnectionTrait, id: Uuid, now: DateTime<Utc>) -> Result<bool, DbErr> {
    let result = job::Entity::update_many()
        .col_expr(job::Column::State, Expr::value(QUEUED))
        .col_expr(job::Column::Attempts, Expr::value(0))
        .col_expr(job::Column::RunAt, Expr::value(now))
        .col_expr(job::Column::UpdatedAt, Expr::value(now))
        .col_expr(
            job::Column::FinishedAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(job::Column::Id.eq(id))
        .filter(job::Column::State.eq(FAILED))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<job::Model>, DbErr> {
    job::Entity::find_by_id(id).one(db).await
}

/// Jobs newest first, optionally of one state and kind, before the id `before`.
pub async fn list(
    db: &impl ConnectionTrait,
    state: Option<&str>,
    kind: Option<&str>,
    before: Option<Uuid>,
    limit: u64,
) -> Result<Vec<job::Model>, DbErr> {
    let mut query = job::Entity::find();
    if let Some(state) = state {
        query = query.filter(job::Column::State.eq(state));
    }
    if let Some(kind) = kind {
        query = query.filter(job::Column::Kind.eq(kind));
    }
    if let Some(before) = before {
        query = query.filter(job::Column::Id.lt(before));
    }
    query
        .order_by_desc(job::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// How many jobs are in each state.
pub async fn depth(db: &impl ConnectionTrait) -> Result<Vec<(&'static str, u64)>, DbErr> {
    let mut counts = Vec::new();
    for state in [QUEUED, RUNNING, DONE, FAILED] {
        let count = job::Entity::find()
            .filter(job::Column::State.eq(state))
            .count(db)
            .await?;
        counts.push((state, count));
    }
    Ok(counts)
}

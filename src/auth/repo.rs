//! Queries on users, grants and sessions for authentication.

use chrono::{DateTime, Utc};
use entities::{grant, session, user};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

pub async fn find_user_by_email(
    db: &impl ConnectionTrait,
    email: &str,
) -> Result<Option<user::Model>, DbErr> {
    user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(db)
        .await
}

pub async fn grants_of(
    db: &impl ConnectionTrait,
    user_id: Uuid,
) -> Result<Vec<grant::Model>, DbErr> {
    grant::Entity::find()
        .filter(grant::Column::UserId.eq(user_id))
        .order_by_asc(grant::Column::CreatedAt)
        .all(db)
        .await
}

pub async fn insert_session(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    token_hash: String,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<Uuid, DbErr> {
    let id = Uuid::now_v7();
    session::Entity::insert(session::ActiveModel {
        id: Set(id),
        user_id: Set(user_id),
        token_hash: Set(token_hash),
        created_at: Set(now),
        expires_at: Set(expires_at),
    })
    .exec_without_returning(db)
    .await?;
    Ok(id)
}

/// The live session with this token digest and its user, if the user is not disabled.
pub async fn find_live_session(
    db: &impl ConnectionTrait,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<(session::Model, user::Model)>, DbErr> {
    let Some(session) = session::Entity::find()
        .filter(session::Column::TokenHash.eq(token_hash))
        .filter(session::Column::ExpiresAt.gt(now))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let user = user::Entity::find_by_id(session.user_id)
        .filter(user::Column::DisabledAt.is_null())
        .one(db)
        .await?;
    Ok(user.map(|user| (session, user)))
}

pub async fn delete_session(db: &impl ConnectionTrait, session_id: Uuid) -> Result<(), DbErr> {
    session::Entity::delete_by_id(session_id).exec(db).await?;
    Ok(())
}

pub async fn delete_expired_sessions_of(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    session::Entity::delete_many()
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::ExpiresAt.lte(now))
        .exec(db)
        .await?;
    Ok(())
}

/// Kills every token of a user (disabling, password change).
pub async fn delete_sessions_of(db: &impl ConnectionTrait, user_id: Uuid) -> Result<u64, DbErr> {
    let result = session::Entity::delete_many()
        .filter(session::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

pub async fn delete_sessions_of_except(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    keep_session_id: Uuid,
) -> Result<u64, DbErr> {
    let result = session::Entity::delete_many()
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::Id.ne(keep_session_id))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

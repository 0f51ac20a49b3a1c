//! One-time tokens for links sent by e-mail.

use chrono::{DateTime, Duration, Utc};
use entities::account_token;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    sea_query::Expr,
};
use uuid::Uuid;

use crate::auth::token;

/// What a token lets its holder do, and for how long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    VerifyEmail,
    ResetPassword,
    SetPassword,
    ChangeEmail,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::VerifyEmail => "verify_email",
            Purpose::ResetPassword => "reset_password",
            Purpose::SetPassword => "set_password",
            Purpose::ChangeEmail => "change_email",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [
            Purpose::VerifyEmail,
            Purpose::ResetPassword,
            Purpose::SetPassword,
            Purpose::ChangeEmail,
        ]
        .into_iter()
        .find(|purpose| purpose.as_str() == value)
    }

    pub fn lifetime(self) -> Duration {
        match self {
            Purpose::VerifyEmail | Purpose::ChangeEmail => Duration::hours(48),
            Purpose::ResetPassword => Duration::hours(1),
            Purpose::SetPassword => Duration::days(7),
        }
    }
}

/// Creates a token and returns it in clear, the only time it exists outside the e-mail.
pub async fn issue(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    purpose: Purpose,
    new_email: Option<String>,
    now: DateTime<Utc>,
) -> Result<String, DbErr> {
    let token =
        token::generate().map_err(|error| DbErr::Custom(format!("random source: {error}")))?;
    account_token::Entity::insert(account_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user_id),
        purpose: Set(purpose.as_str().to_owned()),
        token_hash: Set(token::digest(&token)),
        new_email: Set(new_email),
        created_at: Set(now),
        expires_at: Set(now + purpose.lifetime()),
        used_at: Set(None),
    })
    .exec_without_returning(db)
    .await?;
    Ok(token)
}

/// Uses a live token of one of the given purposes, atomically: of two concurrent uses, one wins.
/// Every other unused token of the same user and purpose dies with it.
pub async fn consume(
    db: &impl ConnectionTrait,
    token: &str,
    purposes: &[Purpose],
    now: DateTime<Utc>,
) -> Result<Option<account_token::Model>, DbErr> {
    let digest = token::digest(token);
    let names: Vec<&str> = purposes.iter().map(|purpose| purpose.as_str()).collect();
    let used = account_token::Entity::update_many()
        .col_expr(account_token::Column::UsedAt, Expr::value(Some(now)))
        .filter(account_token::Column::TokenHash.eq(digest.clone()))
        .filter(account_token::Column::Purpose.is_in(names))
        .filter(account_token::Column::UsedAt.is_null())
        .filter(account_token::Column::ExpiresAt.gt(now))
        .exec(db)
        .await?;
    if used.rows_affected != 1 {
        return Ok(None);
    }
    let Some(model) = account_token::Entity::find()
        .filter(account_token::Column::TokenHash.eq(digest))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    account_token::Entity::update_many()
        .col_expr(account_token::Column::UsedAt, Expr::value(Some(now)))
        .filter(account_token::Column::UserId.eq(model.user_id))
        .filter(account_token::Column::Purpose.eq(model.purpose.clone()))
        .filter(account_token::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    Ok(Some(model))
}

/// Kills every unused reset or set-password link of a user (after the password or address changed).
pub async fn revoke_password_links(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    account_token::Entity::update_many()
        .col_expr(account_token::Column::UsedAt, Expr::value(Some(now)))
        .filter(account_token::Column::UserId.eq(user_id))
        .filter(account_token::Column::Purpose.is_in([
            Purpose::ResetPassword.as_str(),
            Purpose::SetPassword.as_str(),
        ]))
        .filter(account_token::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

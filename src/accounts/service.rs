//! Sign-up, verification, password reset and changes of password or address.

use entities::user;
use poem::http::StatusCode;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, sea_query::Expr,
};
use tracing::{info, instrument};
use uuid::Uuid;

use super::{
    email_job::{AccountEmail, AccountEmailJob},
    tokens::{self, Purpose},
};
use crate::{
    audit::{self, AuditEvent},
    auth::{
        password::{NewPassword, PasswordRejection},
        service::revoke_all_sessions,
    },
    authz::Principal,
    db::{self, Scope, is_unique_violation},
    error::ApiError,
    jobs,
    state::AppState,
    types::Email,
};

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// 400 `invalid_token`: unknown, expired or already used.
    #[error("this link is invalid, expired or already used")]
    InvalidToken,
    /// 403 `wrong_password`: the current password given does not match.
    #[error("the current password is wrong")]
    WrongPassword,
    /// 409 on `new_email` / `email`.
    #[error("an account with this e-mail address already exists")]
    EmailTaken,
    /// 422 on the password field.
    #[error(transparent)]
    Password(#[from] PasswordRejection),
    /// 500.
    #[error(transparent)]
    Database(#[from] sea_orm::DbErr),
    /// 500.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<AccountError> for ApiError {
    #[track_caller]
    fn from(error: AccountError) -> Self {
        match error {
            AccountError::InvalidToken => ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_token",
                "this link is invalid, expired or already used",
            ),
            AccountError::WrongPassword => ApiError::new(
                StatusCode::FORBIDDEN,
                "wrong_password",
                "the current password is wrong",
            ),
            AccountError::EmailTaken => ApiError::conflict(
                "email_taken",
                Some("new_email"),
                "an account with this e-mail address already exists",
            ),
            AccountError::Password(rejection) => {
                ApiError::field("password", rejection.code(), rejection.to_string())
            }
            AccountError::Database(cause) => ApiError::internal(cause),
            AccountError::Internal(cause) => ApiError::internal(cause),
        }
    }
}

async fn enqueue_email(
    state: &AppState,
    db: &impl ConnectionTrait,
    user_id: Uuid,
    email: AccountEmail,
) -> Result<(), sea_orm::DbErr> {
    jobs::enqueue(
        db,
        state.clock.now(),
        &AccountEmailJob { user_id, email },
        state.config.job_max_attempts,
    )
    .await?;
    Ok(())
}

/// Signs up an NGO staff member. The answer is the same whether or not the address already has
/// an account: a new account gets a verification e-mail, an existing one a notice.
#[instrument(skip_all)]
pub async fn register(
    state: &AppState,
    email: Email,
    name: String,
    password: NewPassword,
) -> Result<(), AccountError> {
    // Hash first in every case, so that both paths take the same time.
    let password_hash = state.passwords.hash(password).await?;
    let now = state.clock.now();
    let transaction = db::begin(&state.db, Scope::Platform).await?;
    if let Some(existing) =
        crate::auth::service::find_user_by_email(&transaction, email.as_str()).await?
    {
        enqueue_email(
            state,
            &transaction,
            existing.id,
            AccountEmail::AccountExists,
        )
        .await?;
        transaction.commit().await?;
        info!("sign-up for an existing address; notice queued");
        return Ok(());
    }
    let id = Uuid::now_v7();
    let inserted = user::Entity::insert(user::ActiveModel {
        id: Set(id),
        email: Set(email.to_string()),
        name: Set(name),
        password_hash: Set(Some(password_hash)),
        email_verified_at: Set(None),
        disabled_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec_without_returning(&transaction)
    .await;
    match inserted {
        // A concurrent sign-up with the same address won; it got its own e-mail.
        Err(error) if is_unique_violation(&error) => return Ok(()),
        result => result?,
    };
    enqueue_email(state, &transaction, id, AccountEmail::VerifyAddress).await?;
    audit::record(
        &transaction,
        &state.audit,
        AuditEvent::new(now, "user", id, "register").actor(id),
    )
    .await?;
    transaction.commit().await?;
    info!(user_id = %id, "account registered; verification e-mail queued");
    Ok(())
}

/// Confirms an address: a new account's, or the new one of a change of address.
#[instrument(skip_all)]
pub async fn verify_email(state: &AppState, token: &str) -> Result<String, AccountError> {
    let now = state.clock.now();
    let transaction = db::begin(&state.db, Scope::Platform).await?;
    let Some(used) = tokens::consume(
        &transaction,
        token,
        &[Purpose::VerifyEmail, Purpose::ChangeEmail],
        now,
    )
    .await?
    else {
        return Err(AccountError::InvalidToken);
    };
    let user = user::Entity::find_by_id(used.user_id)
        .one(&transaction)
        .await?
        .ok_or(AccountError::InvalidToken)?;
    let email = match (Purpose::parse(&used.purpose), used.new_email) {
        (Some(Purpose::ChangeEmail), Some(new_email)) => {
            let updated = user::Entity::update_many()
                .col_expr(user::Column::Email, Expr::value(new_email.clone()))
                .col_expr(user::Column::EmailVerifiedAt, Expr::value(Some(now)))
                .col_expr(user::Column::UpdatedAt, Expr::value(now))
                .filter(user::Column::Id.eq(user.id))
                .exec(&transaction)
                .await;
            match updated {
                Err(error) if is_unique_violation(&error) => return Err(AccountError::EmailTaken),
                result => result?,
            };
            tokens::revoke_password_links(&transaction, user.id, now).await?;
            enqueue_email(
                state,
                &transaction,
                user.id,
                AccountEmail::AddressChanged {
                    old_email: user.email.clone(),
                    new_email: new_email.clone(),
                },
            )
            .await?;
            audit::record(
                &transaction,
                &state.audit,
                AuditEvent::new(now, "user", user.id, "change_email")
                    .actor(user.id)
                    .data(serde_json::json!({ "from": user.email, "to": new_email })),
            )
            .await?;
            new_email
        }
        _ => {
            user::Entity::update_many()
                .col_expr(user::Column::EmailVerifiedAt, Expr::value(Some(now)))
                .col_expr(user::Column::UpdatedAt, Expr::value(now))
                .filter(user::Column::Id.eq(user.id))
                .exec(&transaction)
                .await?;
            audit::record(
                &transaction,
                &state.audit,
                AuditEvent::new(now, "user", user.id, "verify_email").actor(user.id),
            )
            .await?;
            user.email
        }
    };
    transaction.commit().await?;
    Ok(email)
}

/// Sends a reset link if the address belongs to an active account; says nothing either way.
#[instrument(skip_all)]
pub async fn request_password_reset(state: &AppState, email: &str) -> Result<(), AccountError> {
    let Ok(email) = Email::parse(email) else {
        return Ok(());
    };
    let transaction = db::begin(&state.db, Scope::Platform).await?;
    match crate::auth::service::find_user_by_email(&transaction, email.as_str()).await? {
        Some(user) if user.disabled_at.is_none() => {
            enqueue_email(state, &transaction, user.id, AccountEmail::ResetPassword).await?;
        }
        _ => {}
    }
    transaction.commit().await?;
    Ok(())
}

/// Sets a new password through a reset or set-password link. The link proves the mailbox, so
/// the address counts as verified; every session ends.
#[instrument(skip_all)]
pub async fn complete_password_reset(
    state: &AppState,
    token: &str,
    password: String,
) -> Result<(), AccountError> {
    let now = state.clock.now();
    // The rules need the address, so find the token's user before using the token up.
    let transaction = db::begin(&state.db, Scope::Platform).await?;
    let Some(used) = tokens::consume(
        &transaction,
        token,
        &[Purpose::ResetPassword, Purpose::SetPassword],
        now,
    )
    .await?
    else {
        return Err(AccountError::InvalidToken);
    };
    let user = user::Entity::find_by_id(used.user_id)
        .one(&transaction)
        .await?
        .ok_or(AccountError::InvalidToken)?;
    let password = NewPassword::parse(password, &user.email)?;
    let hash = state.passwords.hash(password).await?;
    user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, Expr::value(Some(hash)))
        .col_expr(
            user::Column::EmailVerifiedAt,
            Expr::value(Some(user.email_verified_at.unwrap_or(now))),
        )
        .col_expr(user::Column::UpdatedAt, Expr::value(now))
        .filter(user::Column::Id.eq(user.id))
        .exec(&transaction)
        .await?;
    revoke_all_sessions(&transaction, user.id).await?;
    tokens::revoke_password_links(&transaction, user.id, now).await?;
    let first_password = Purpose::parse(&used.purpose) == Some(Purpose::SetPassword);
    if !first_password {
        enqueue_email(
            state,
            &transaction,
            user.id,
            AccountEmail::PasswordChanged {
                to: user.email.clone(),
            },
        )
        .await?;
    }
    audit::record(
        &transaction,
        &state.audit,
        AuditEvent::new(
            now,
            "user",
            user.id,
            if first_password {
                "set_password"
            } else {
                "reset_password"
            },
        )
        .actor(user.id),
    )
    .await?;
    transaction.commit().await?;
    Ok(())
}

/// Changes the caller's password; other sessions end and the address is told.
#[instrument(skip_all, fields(user_id = %principal.user_id))]
pub async fn change_password(
    state: &AppState,
    principal: &Principal,
    current_password: String,
    new_password: String,
) -> Result<(), AccountError> {
    let user = current_user(state, principal, current_password).await?;
    let password = NewPassword::parse(new_password, &user.email)?;
    let hash = state.passwords.hash(password).await?;
    let now = state.clock.now();
    let transaction = db::begin(&state.db, Scope::Platform).await?;
    user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, Expr::value(Some(hash)))
        .col_expr(user::Column::UpdatedAt, Expr::value(now))
        .filter(user::Column::Id.eq(user.id))
        .exec(&transaction)
        .await?;
    crate::auth::service::revoke_other_sessions(&transaction, user.id, principal.session_id)
        .await?;
    tokens::revoke_password_links(&transaction, user.id, now).await?;
    enqueue_email(
        state,
        &transaction,
        user.id,
        AccountEmail::PasswordChanged {
            to: user.email.clone(),
        },
    )
    .await?;
    audit::record(
        &transaction,
        &state.audit,
        AuditEvent::new(now, "user", user.id, "change_password").actor(user.id),
    )
    .await?;
    transaction.commit().await?;
    Ok(())
}

/// Starts a change of address: the new address must confirm before it takes effect.
#[instrument(skip_all, fields(user_id = %principal.user_id))]
pub async fn change_email(
    state: &AppState,
    principal: &Principal,
    password: String,
    new_email: Email,
) -> Result<(), AccountError> {
    let user = current_user(state, principal, password).await?;
    // Whether the new address has an account is not said here (that would let anyone probe
    // addresses); the confirmation refuses it if it does by then.
    let transaction = db::begin(&state.db, Scope::Platform).await?;
    enqueue_email(
        state,
        &transaction,
        user.id,
        AccountEmail::ConfirmNewAddress {
            new_email: new_email.to_string(),
        },
    )
    .await?;
    transaction.commit().await?;
    Ok(())
}

async fn current_user(
    state: &AppState,
    principal: &Principal,
    password: String,
) -> Result<user::Model, AccountError> {
    let user = user::Entity::find_by_id(principal.user_id)
        .one(&state.db)
        .await?
        .ok_or(AccountError::WrongPassword)?;
    if !state
        .passwords
        .verify(password, user.password_hash.clone())
        .await
    {
        return Err(AccountError::WrongPassword);
    }
    Ok(user)
}

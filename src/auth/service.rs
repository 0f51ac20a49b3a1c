//! Login, logout and authentication of bearer tokens.

use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use poem::http::StatusCode;
use tracing::{info, instrument, warn};
use uuid::Uuid;

use super::{repo, throttle, throttle::ThrottleKeys, token};
use crate::{
    audit::{self, AuditEvent},
    authz::{Grant, Principal, Role},
    db::{self, Scope},
    error::ApiError,
    state::AppState,
};

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// 401: wrong e-mail or password, or a disabled account; which one is never said.
    #[error("invalid e-mail or password")]
    InvalidCredentials,
    /// 401: missing, unknown, expired or revoked token.
    #[error("authentication required")]
    Unauthenticated,
    /// 429: too many failures for this account or address.
    #[error("too many failed attempts")]
    Throttled { retry_after_seconds: u64 },
    /// 500.
    #[error(transparent)]
    Database(#[from] sea_orm::DbErr),
    /// 500.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<AuthError> for ApiError {
    #[track_caller]
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::InvalidCredentials => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                "the e-mail address or the password is wrong",
            ),
            AuthError::Unauthenticated => ApiError::unauthenticated(),
            AuthError::Throttled {
                retry_after_seconds,
            } => ApiError::too_many_requests(retry_after_seconds),
            AuthError::Database(cause) => ApiError::internal(cause),
            AuthError::Internal(cause) => ApiError::internal(cause),
        }
    }
}

/// What a successful login returns to the client.
pub struct IssuedToken {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

pub fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Logs in; the log names the account by a keyed hash of its address, never the address.
#[instrument(
    skip(state, email, password),
    fields(client = ?client, account = %state.pseudonyms.of(&normalise_email(email)))
)]
pub async fn login(
    state: &AppState,
    email: &str,
    password: String,
    client: Option<IpAddr>,
) -> Result<IssuedToken, AuthError> {
    let email = normalise_email(email);
    let keys = ThrottleKeys::new(&state.pseudonyms, &email, client);
    let now = state.clock.now();
    if let Some(retry_after_seconds) = throttle::blocked_for(&state.db, &keys, now).await? {
        warn!("login refused while throttled");
        return Err(AuthError::Throttled {
            retry_after_seconds,
        });
    }
    let delay = throttle::delay_for(&state.db, &keys, now).await?;
    // Held until the attempt has been checked, so that an account's slowed attempts come one
    // at a time.
    let _turn = if delay.is_zero() {
        None
    } else {
        info!(
            delay_ms = delay.as_millis(),
            "login slowed down: the account is under attack"
        );
        let Some(turn) = state.slow_lane.enter(&keys.account).await else {
            warn!("login refused: too many slowed attempts are waiting");
            return Err(AuthError::Throttled {
                retry_after_seconds: delay.as_secs().max(1),
            });
        };
        tokio::time::sleep(delay).await;
        Some(turn)
    };

    let user = repo::find_user_by_email(&state.db, &email).await?;
    let stored_hash = user.as_ref().and_then(|user| user.password_hash.clone());
    let password_matches = state.passwords.verify(password, stored_hash).await;
    let user = match user {
        Some(user) if password_matches && user.disabled_at.is_none() => user,
        _ => {
            throttle::record_failure(&state.db, &keys, now).await?;
            info!("login failed");
            return Err(AuthError::InvalidCredentials);
        }
    };

    let token = token::generate().map_err(|error| anyhow::anyhow!("random source: {error}"))?;
    let expires_at = now + Duration::minutes(i64::from(state.config.session_ttl_minutes));
    let transaction = db::begin(&state.db, Scope::Platform).await?;
    throttle::clear_account(&transaction, &keys).await?;
    repo::delete_expired_sessions_of(&transaction, user.id, now).await?;
    let session_id = repo::insert_session(
        &transaction,
        user.id,
        token::digest(&token),
        now,
        expires_at,
    )
    .await?;
    audit::record(
        &transaction,
        &state.audit,
        AuditEvent::new(now, "user", user.id, "login")
            .actor(user.id)
            .data(serde_json::json!({ "session_id": session_id })),
    )
    .await?;
    transaction.commit().await?;
    info!(user_id = %user.id, "login succeeded");
    Ok(IssuedToken { token, expires_at })
}

/// Turns a bearer token into the caller, with their grants.
pub async fn authenticate(state: &AppState, token: &str) -> Result<Principal, AuthError> {
    let now = state.clock.now();
    let Some((session, user)) =
        repo::find_live_session(&state.db, &token::digest(token), now).await?
    else {
        return Err(AuthError::Unauthenticated);
    };
    let grants = repo::grants_of(&state.db, user.id)
        .await?
        .into_iter()
        .filter_map(|grant| {
            Some(Grant {
                role: Role::parse(&grant.role)?,
                tenant_id: grant.tenant_id,
                organisation_id: grant.organisation_id,
            })
        })
        .collect();
    Ok(Principal {
        user_id: user.id,
        session_id: session.id,
        email: user.email,
        name: user.name,
        email_verified: user.email_verified_at.is_some(),
        grants,
    })
}

#[instrument(skip(state, principal), fields(user_id = %principal.user_id))]
pub async fn logout(state: &AppState, principal: &Principal) -> Result<(), AuthError> {
    let now = state.clock.now();
    let transaction = db::begin(&state.db, Scope::Platform).await?;
    repo::delete_session(&transaction, principal.session_id).await?;
    audit::record(
        &transaction,
        &state.audit,
        AuditEvent::new(now, "user", principal.user_id, "logout").actor(principal.user_id),
    )
    .await?;
    transaction.commit().await?;
    Ok(())
}

/// The account with this (normalised) address, if any.
pub async fn find_user_by_email(
    db: &impl sea_orm::ConnectionTrait,
    email: &str,
) -> Result<Option<entities::user::Model>, sea_orm::DbErr> {
    repo::find_user_by_email(db, &normalise_email(email)).await
}

/// Revokes every token of a user except the one in use; part of the caller's transaction.
pub async fn revoke_other_sessions(
    db: &impl sea_orm::ConnectionTrait,
    user_id: Uuid,
    keep_session_id: Uuid,
) -> Result<u64, sea_orm::DbErr> {
    repo::delete_sessions_of_except(db, user_id, keep_session_id).await
}

/// Revokes every token of a user; part of the caller's transaction.
pub async fn revoke_all_sessions(
    db: &impl sea_orm::ConnectionTrait,
    user_id: Uuid,
) -> Result<u64, sea_orm::DbErr> {
    repo::delete_sessions_of(db, user_id).await
}

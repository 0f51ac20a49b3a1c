//! What can go wrong managing users, and how the API answers it.

use poem::http::StatusCode;

use crate::{auth::password::PasswordRejection, error::ApiError, tenants::TenantError};

#[derive(Debug, thiserror::Error)]
pub enum UserError {
    /// 404: no such user (or none the caller may know of).
    #[error("no such user")]
    NotFound,
    /// 409 on `email`.
    #[error("an account with this e-mail address already exists")]
    EmailTaken,
    /// 422 on `password`.
    #[error(transparent)]
    Password(#[from] PasswordRejection),
    /// 422 on `roles`.
    #[error("at least one role is required")]
    NoRoles,
    /// 403: the caller may not change their own account this way.
    #[error("you cannot disable your own account")]
    SelfDisable,
    /// Access and tenant errors.
    #[error(transparent)]
    Tenant(#[from] TenantError),
    /// 500.
    #[error(transparent)]
    Database(#[from] sea_orm::DbErr),
    /// 500.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<ApiError> for UserError {
    fn from(error: ApiError) -> Self {
        UserError::Tenant(TenantError::from(error))
    }
}

impl From<UserError> for ApiError {
    #[track_caller]
    fn from(error: UserError) -> Self {
        match error {
            UserError::NotFound => ApiError::not_found(),
            UserError::EmailTaken => ApiError::conflict(
                "email_taken",
                Some("email"),
                "an account with this e-mail address already exists",
            ),
            UserError::Password(rejection) => {
                ApiError::field("password", rejection.code(), rejection.to_string())
            }
            UserError::NoRoles => {
                ApiError::field("roles", "required", "at least one role is required")
            }
            UserError::SelfDisable => ApiError::new(
                StatusCode::FORBIDDEN,
                "self_disable",
                "you cannot disable your own account",
            ),
            UserError::Tenant(error) => error.into(),
            UserError::Database(cause) => ApiError::internal(cause),
            UserError::Internal(cause) => ApiError::internal(cause),
        }
    }
}

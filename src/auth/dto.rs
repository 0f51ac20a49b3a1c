//! Requests and responses of the authentication endpoints.

use chrono::{DateTime, Utc};
use poem_openapi::Object;
use serde::Deserialize;

/// E-mail and password.
#[derive(Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
#[oai(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    #[oai(validator(max_length = 1024))]
    pub password: String,
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("LoginRequest")
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

/// A bearer token for `Authorization: Bearer <token>`.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct LoginResponse {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

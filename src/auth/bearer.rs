//! Authentication schemes of the API, and the one place a request becomes a principal.

use poem_openapi::{SecurityScheme, auth::Bearer};

use crate::{
    auth::service::authenticate,
    authz::{MaybePrincipal, Principal},
    error::ApiResult,
    state::AppState,
};

/// A token from `POST /api/v1/auth/login`, sent as `Authorization: Bearer <token>`.
#[derive(SecurityScheme)]
#[oai(ty = "bearer", rename = "bearerAuth")]
pub struct BearerAuth(pub Bearer);

/// For public reads: a token is optional, and a caller without one is anonymous.
#[derive(SecurityScheme)]
pub enum OptionalBearerAuth {
    Bearer(BearerAuth),
    #[oai(fallback)]
    Anonymous,
}

impl BearerAuth {
    /// The authenticated caller, or 401.
    pub async fn principal(&self, state: &AppState) -> ApiResult<Principal> {
        Ok(authenticate(state, &self.0.token).await?)
    }
}

impl OptionalBearerAuth {
    /// The caller if a token was sent (an invalid token is still 401), else anonymous.
    pub async fn principal(&self, state: &AppState) -> ApiResult<MaybePrincipal> {
        match self {
            OptionalBearerAuth::Bearer(bearer) => Ok(Some(bearer.principal(state).await?)),
            OptionalBearerAuth::Anonymous => Ok(None),
        }
    }
}

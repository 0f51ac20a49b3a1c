//! `/api/v1/auth/*` and `/api/v1/me`.

use poem_openapi::{ApiResponse, Object, OpenApi, Tags, payload::Json};
use uuid::Uuid;

use super::{
    dto::{LoginRequest, LoginResponse},
    service,
};
use crate::auth::bearer::BearerAuth;
use crate::{error::ApiResult, http::json::JsonBody, state::AppState, users};

#[derive(Tags)]
enum AuthTags {
    /// Logging in and out, and who the caller is.
    Auth,
}

#[derive(ApiResponse)]
enum LogoutResponse {
    /// The token no longer works.
    #[oai(status = 204)]
    LoggedOut,
}

pub struct AuthApi {
    state: AppState,
}

impl AuthApi {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

#[OpenApi(tag = "AuthTags::Auth")]
impl AuthApi {
    /// Log in with e-mail and password; returns an opaque bearer token. After 10 failures for an
    /// account from one address, or 30 from one address, attempts from there get 429 with
    /// `Retry-After` for a while; an account failing from many addresses is answered more slowly.
    #[oai(path = "/auth/login", method = "post", operation_id = "login")]
    async fn login(
        &self,
        body: JsonBody<LoginRequest>,
        http: &poem::Request,
    ) -> ApiResult<Json<LoginResponse>> {
        let request = body.0;
        let client = self.state.config.trusted_proxies.client(
            http.remote_addr()
                .as_socket_addr()
                .map(|address| address.ip()),
            http.headers(),
        );
        let issued = service::login(&self.state, &request.email, request.password, client).await?;
        Ok(Json(LoginResponse {
            token: issued.token,
            expires_at: issued.expires_at,
        }))
    }

    /// Revoke the token used for this request.
    #[oai(path = "/auth/logout", method = "post", operation_id = "logout")]
    async fn logout(&self, auth: BearerAuth) -> ApiResult<LogoutResponse> {
        let principal = auth.principal(&self.state).await?;
        service::logout(&self.state, &principal).await?;
        Ok(LogoutResponse::LoggedOut)
    }

    /// The caller and every role they hold.
    #[oai(path = "/me", method = "get", operation_id = "get_me")]
    async fn get_me(&self, auth: BearerAuth) -> ApiResult<Json<MeResponse>> {
        let principal = auth.principal(&self.state).await?;
        let grants = users::service::grant_views(&self.state, &principal.grants).await?;
        Ok(Json(MeResponse {
            user: MeUser {
                id: principal.user_id,
                email: principal.email,
                name: principal.name,
                email_verified: principal.email_verified,
            },
            grants,
        }))
    }
}

/// The caller.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct MeResponse {
    pub user: MeUser,
    /// Every role the caller holds, with its scope.
    pub grants: Vec<users::GrantView>,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct MeUser {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub email_verified: bool,
}

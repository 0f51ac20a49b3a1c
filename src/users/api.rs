//! `/api/v1/tenants/{slug}/users…` and `/api/v1/users…`.

use poem_openapi::{
    ApiResponse, OpenApi, Tags,
    param::{Path, Query},
    payload::Json,
};
use uuid::Uuid;

use super::{
    dto::{
        AddGrantRequest, CreateTenantUserRequest, TenantInvitationList, TenantInvitationResponse,
        TenantRoleName, UserList, UserResponse, UserView,
    },
    invitations,
    service::{self, NewTenantUser},
};
use crate::auth::bearer::BearerAuth;
use crate::http::contract::Rule;
use crate::{
    auth::password::NewPassword,
    error::{ApiError, ApiResult, FieldError},
    http::{json::JsonBody, paging::PageRequest},
    state::AppState,
    types::{Email, required_text},
};

#[derive(Tags)]
enum UserTags {
    /// Accounts and their roles.
    Users,
}

#[derive(ApiResponse)]
enum CreateTenantUserResponse {
    /// The person holds these roles in the tenant: a new account; or an account that existed
    /// elsewhere, which is invited (its owner accepts or declines) and is shown as given here
    /// until then; the answer is the same.
    #[oai(status = 201)]
    Created(Json<UserResponse>),
}

#[derive(ApiResponse)]
enum AcceptedResponse {
    /// Accepted: the roles are held from the next request on.
    #[oai(status = 204)]
    Accepted,
}

#[derive(ApiResponse)]
enum RemovedResponse {
    /// Removed.
    #[oai(status = 204)]
    Removed,
}

impl From<UserView> for UserResponse {
    fn from(view: UserView) -> Self {
        Self {
            id: view.user.id,
            email: view.user.email,
            name: view.user.name,
            email_verified: view.user.email_verified_at.is_some(),
            disabled: view.user.disabled_at.is_some(),
            has_password: view.user.password_hash.is_some(),
            grants: view.grants,
            created_at: view.user.created_at,
        }
    }
}

impl TryFrom<CreateTenantUserRequest> for NewTenantUser {
    type Error = ApiError;

    fn try_from(request: CreateTenantUserRequest) -> Result<Self, ApiError> {
        let mut errors = Vec::new();
        let email = Email::parse(&request.email)
            .map_err(|code| errors.push(FieldError::new("email", code, "a valid e-mail address")))
            .ok();
        let name = required_text(&request.name, 100)
            .map_err(|code| errors.push(FieldError::new("name", code, "1-100 characters")))
            .ok();
        if request.roles.is_empty() {
            errors.push(FieldError::new(
                "roles",
                "required",
                "at least one role is required",
            ));
        }
        let password = match (request.password, &email) {
            (Some(password), Some(email)) => NewPassword::parse(password, email.as_str())
                .map_err(|rejection| {
                    errors.push(FieldError::new(
                        "password",
                        rejection.code(),
                        rejection.to_string(),
                    ))
                })
                .ok(),
            _ => None,
        };
        match (email, name) {
            (Some(email), Some(name)) if errors.is_empty() => Ok(NewTenantUser {
                email,
                name,
                roles: request.roles.into_iter().map(Into::into).collect(),
                password,
            }),
            _ => Err(ApiError::validation(errors)),
        }
    }
}

impl UserApi {
    /// Statuses this API's operations answer for rules the schema cannot express.
    pub const RULES: &'static [Rule] = &[Rule::new(
        "create_tenant_user",
        422,
        "the password must not be a common one, nor the address",
    )];
}

pub struct UserApi {
    state: AppState,
}

impl UserApi {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

#[OpenApi(tag = "UserTags::Users")]
impl UserApi {
    /// Add a person to a tenant with roles there (registry administrators of the tenant and
    /// platform administrators). Without a password the account waits for its owner to set one.
    #[oai(
        path = "/tenants/:slug/users",
        method = "post",
        operation_id = "create_tenant_user"
    )]
    async fn create_tenant_user(
        &self,
        auth: BearerAuth,
        slug: Path<String>,
        body: JsonBody<CreateTenantUserRequest>,
    ) -> ApiResult<CreateTenantUserResponse> {
        let principal = auth.principal(&self.state).await?;
        let new = NewTenantUser::try_from(body.0)?;
        let view = service::create_tenant_user(&self.state, &principal, &slug.0, new).await?;
        Ok(CreateTenantUserResponse::Created(Json(view.into())))
    }

    /// Users holding a role in the tenant, by e-mail (administrators of the tenant or of a parent).
    #[oai(
        path = "/tenants/:slug/users",
        method = "get",
        operation_id = "list_tenant_users"
    )]
    async fn list_tenant_users(
        &self,
        auth: BearerAuth,
        slug: Path<String>,
        limit: Query<Option<crate::http::paging::Limit>>,
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<UserList>> {
        let principal = auth.principal(&self.state).await?;
        let page = PageRequest::parse(limit.0.map(crate::http::paging::Limit::get), cursor.0)?;
        let users = service::list_tenant_users(
            &self.state,
            &principal,
            &slug.0,
            page.after.clone(),
            page.fetch_limit(),
        )
        .await?;
        let (users, next_cursor) = page.finish(users, |view| view.user.email.clone());
        Ok(Json(UserList {
            items: users.into_iter().map(Into::into).collect(),
            next_cursor,
        }))
    }

    /// One user of the tenant, with their roles there.
    #[oai(
        path = "/tenants/:slug/users/:id",
        method = "get",
        operation_id = "get_tenant_user"
    )]
    async fn get_tenant_user(
        &self,
        auth: BearerAuth,
        slug: Path<String>,
        id: Path<Uuid>,
    ) -> ApiResult<Json<UserResponse>> {
        let principal = auth.principal(&self.state).await?;
        let view = service::get_tenant_user(&self.state, &principal, &slug.0, id.0).await?;
        Ok(Json(view.into()))
    }

    /// Grant a further role in the tenant to one of its users.
    #[oai(
        path = "/tenants/:slug/users/:id/grants",
        method = "post",
        operation_id = "add_tenant_grant"
    )]
    async fn add_tenant_grant(
        &self,
        auth: BearerAuth,
        slug: Path<String>,
        id: Path<Uuid>,
        body: JsonBody<AddGrantRequest>,
    ) -> ApiResult<Json<UserResponse>> {
        let principal = auth.principal(&self.state).await?;
        let view =
            service::add_tenant_grant(&self.state, &principal, &slug.0, id.0, body.0.role.into())
                .await?;
        Ok(Json(view.into()))
    }

    /// Revoke a role in the tenant.
    #[oai(
        path = "/tenants/:slug/users/:id/grants/:role",
        method = "delete",
        operation_id = "remove_tenant_grant"
    )]
    async fn remove_tenant_grant(
        &self,
        auth: BearerAuth,
        slug: Path<String>,
        id: Path<Uuid>,
        role: Path<TenantRoleName>,
    ) -> ApiResult<RemovedResponse> {
        let principal = auth.principal(&self.state).await?;
        service::remove_tenant_grant(&self.state, &principal, &slug.0, id.0, role.0.into()).await?;
        Ok(RemovedResponse::Removed)
    }

    /// Every account (platform administrators).
    #[oai(path = "/users", method = "get", operation_id = "list_users")]
    async fn list_users(
        &self,
        auth: BearerAuth,
        limit: Query<Option<crate::http::paging::Limit>>,
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<UserList>> {
        let principal = auth.principal(&self.state).await?;
        let page = PageRequest::parse(limit.0.map(crate::http::paging::Limit::get), cursor.0)?;
        let users = service::list_users(
            &self.state,
            &principal,
            page.after.clone(),
            page.fetch_limit(),
        )
        .await?;
        let (users, next_cursor) = page.finish(users, |view| view.user.email.clone());
        Ok(Json(UserList {
            items: users.into_iter().map(Into::into).collect(),
            next_cursor,
        }))
    }

    /// Disable an account: it can no longer log in and all its tokens stop working at once.
    #[oai(
        path = "/users/:id/disable",
        method = "post",
        operation_id = "disable_user"
    )]
    async fn disable_user(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
    ) -> ApiResult<Json<UserResponse>> {
        let principal = auth.principal(&self.state).await?;
        let view = service::set_user_disabled(&self.state, &principal, id.0, true).await?;
        Ok(Json(view.into()))
    }

    /// Enable a disabled account again.
    #[oai(
        path = "/users/:id/enable",
        method = "post",
        operation_id = "enable_user"
    )]
    async fn enable_user(&self, auth: BearerAuth, id: Path<Uuid>) -> ApiResult<Json<UserResponse>> {
        let principal = auth.principal(&self.state).await?;
        let view = service::set_user_disabled(&self.state, &principal, id.0, false).await?;
        Ok(Json(view.into()))
    }

    /// The caller's open invitations into tenants.
    #[oai(
        path = "/me/invitations",
        method = "get",
        operation_id = "list_my_invitations"
    )]
    async fn list_my_invitations(&self, auth: BearerAuth) -> ApiResult<Json<TenantInvitationList>> {
        let principal = auth.principal(&self.state).await?;
        let items = invitations::list_mine(&self.state, &principal)
            .await?
            .into_iter()
            .map(|invitation| TenantInvitationResponse {
                id: invitation.id,
                tenant: invitation.tenant_slug,
                tenant_name_zh: invitation.tenant_name_zh,
                roles: invitation.roles,
                invited_at: invitation.invited_at,
            })
            .collect();
        Ok(Json(TenantInvitationList { items }))
    }

    /// Accept an invitation: its roles take effect in the tenant.
    #[oai(
        path = "/me/invitations/:id/accept",
        method = "post",
        operation_id = "accept_invitation"
    )]
    async fn accept_invitation(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
    ) -> ApiResult<AcceptedResponse> {
        let principal = auth.principal(&self.state).await?;
        invitations::accept(&self.state, &principal, id.0).await?;
        Ok(AcceptedResponse::Accepted)
    }

    /// Decline an invitation: nothing is granted.
    #[oai(
        path = "/me/invitations/:id",
        method = "delete",
        operation_id = "decline_invitation"
    )]
    async fn decline_invitation(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
    ) -> ApiResult<RemovedResponse> {
        let principal = auth.principal(&self.state).await?;
        invitations::decline(&self.state, &principal, id.0).await?;
        Ok(RemovedResponse::Removed)
    }
}

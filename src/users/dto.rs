//! Requests and responses about users and grants.

use crate::types::Text;
use chrono::{DateTime, Utc};
use poem_openapi::{Enum, Object};
use serde::Deserialize;
use uuid::Uuid;

use crate::authz::Role;

/// A role that a tenant's administrators may grant inside the tenant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Enum)]
#[serde(rename_all = "snake_case")]
#[oai(rename_all = "snake_case")]
pub enum TenantRoleName {
    RegistryAdmin,
    ProcurementOfficer,
    Assessor,
}

impl From<TenantRoleName> for Role {
    fn from(role: TenantRoleName) -> Self {
        match role {
            TenantRoleName::RegistryAdmin => Role::RegistryAdmin,
            TenantRoleName::ProcurementOfficer => Role::ProcurementOfficer,
            TenantRoleName::Assessor => Role::Assessor,
        }
    }
}

/// A person to add to a tenant. Without a password the account waits for its owner to set one.
#[derive(Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
#[oai(deny_unknown_fields)]
pub struct CreateTenantUserRequest {
    pub email: crate::types::EmailInput,
    pub name: Text<100>,
    /// At least one role in this tenant.
    #[oai(validator(min_items = 1))]
    pub roles: Vec<TenantRoleName>,
    /// 8–128 characters, not a common password.
    #[oai(validator(min_length = 8, max_length = 128))]
    pub password: Option<String>,
}

impl std::fmt::Debug for CreateTenantUserRequest {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("CreateTenantUserRequest")
            .field("email", &self.email)
            .field("name", &self.name)
            .field("roles", &self.roles)
            .finish_non_exhaustive()
    }
}

/// A role to grant.
#[derive(Debug, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
#[oai(deny_unknown_fields)]
pub struct AddGrantRequest {
    pub role: TenantRoleName,
}

/// A user with the grants the caller may see.
pub struct UserView {
    pub user: entities::user::Model,
    pub grants: Vec<GrantView>,
}

/// A role held, with its scope.
#[derive(Clone, Debug, PartialEq, Eq, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct GrantView {
    pub role: String,
    /// Slug of the tenant, for tenant roles.
    pub tenant: Option<String>,
    /// The organisation, for organisation roles.
    pub organisation_id: Option<Uuid>,
}

/// A user as administrators see them.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct UserResponse {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub email_verified: bool,
    pub disabled: bool,
    /// Whether the account has a password yet.
    pub has_password: bool,
    /// Roles visible to the caller (inside a tenant: that tenant's roles only).
    pub grants: Vec<GrantView>,
    pub created_at: DateTime<Utc>,
}

/// A page of users.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct UserList {
    pub items: Vec<UserResponse>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// An invitation into a tenant, as the invited account sees it.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct TenantInvitationResponse {
    pub id: Uuid,
    /// The tenant's slug and name.
    pub tenant: String,
    pub tenant_name_zh: String,
    /// The roles offered there.
    pub roles: Vec<String>,
    pub invited_at: DateTime<Utc>,
}

/// The caller's open invitations, oldest first.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct TenantInvitationList {
    pub items: Vec<TenantInvitationResponse>,
}

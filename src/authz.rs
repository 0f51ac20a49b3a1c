//! Who the caller is and what they may do, decided in one place.
//!
//! Every operation obtains a [`Principal`] (or none, for public reads) and asks it for its access
//! to the tenant the object belongs to. The answer maps onto the 404-or-403 rule of the design: a
//! caller with no standing in a tenant must not learn that its private objects exist (404); a
//! caller who may see them but not change them gets 403.

use std::fmt;

use uuid::Uuid;

use crate::error::ApiError;

/// A role, granted in a scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    PlatformAdmin,
    RegistryAdmin,
    ProcurementOfficer,
    Assessor,
    OrgAdmin,
    OrgMember,
}

/// Where a role applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoleScope {
    Platform,
    Tenant,
    Organisation,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::PlatformAdmin,
        Role::RegistryAdmin,
        Role::ProcurementOfficer,
        Role::Assessor,
        Role::OrgAdmin,
        Role::OrgMember,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::PlatformAdmin => "platform_admin",
            Role::RegistryAdmin => "registry_admin",
            Role::ProcurementOfficer => "procurement_officer",
            Role::Assessor => "assessor",
            Role::OrgAdmin => "org_admin",
            Role::OrgMember => "org_member",
        }
    }

    pub fn parse(value: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == value)
    }

    pub fn scope(self) -> RoleScope {
        match self {
            Role::PlatformAdmin => RoleScope::Platform,
            Role::RegistryAdmin | Role::ProcurementOfficer | Role::Assessor => RoleScope::Tenant,
            Role::OrgAdmin | Role::OrgMember => RoleScope::Organisation,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// One role of the caller in its scope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    pub role: Role,
    pub tenant_id: Option<Uuid>,
    pub organisation_id: Option<Uuid>,
}

/// An authenticated caller.
#[derive(Clone, Debug)]
pub struct Principal {
    pub user_id: Uuid,
    pub session_id: Uuid,
    pub email: String,
    pub name: String,
    pub email_verified: bool,
    pub grants: Vec<Grant>,
}

/// The position of a tenant in the hierarchy: its id and the ids of its ancestors.
#[derive(Clone, Debug)]
pub struct TenantPosition {
    pub id: Uuid,
    /// From the root down to the parent.
    pub ancestors: Vec<Uuid>,
}

impl TenantPosition {
    /// Reads the materialised path `/root/…/self/`.
    pub fn from_path(id: Uuid, path: &str) -> Self {
        let ancestors = path
            .split('/')
            .filter_map(|segment| Uuid::parse_str(segment).ok())
            .filter(|ancestor| *ancestor != id)
            .collect();
        Self { id, ancestors }
    }

    fn contains(&self, tenant_id: Uuid) -> bool {
        tenant_id == self.id || self.ancestors.contains(&tenant_id)
    }
}

/// What a caller may do with a tenant's private data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TenantAccess {
    /// Platform administrator, or registry administrator of this very tenant.
    Manage,
    /// Registry administrator of an ancestor: may read, never write.
    Read,
    /// Holds some role in the tenant or above it, but no administration.
    Member,
    /// No standing at all: the tenant's private objects do not exist for this caller.
    Stranger,
}

impl TenantAccess {
    /// Reading private data: 404 for strangers, 403 for members.
    pub fn require_read(self) -> Result<(), ApiError> {
        match self {
            TenantAccess::Manage | TenantAccess::Read => Ok(()),
            TenantAccess::Member => Err(ApiError::forbidden()),
            TenantAccess::Stranger => Err(ApiError::not_found()),
        }
    }

    /// Changing what the tenant shows everyone (its disclosures, its filing deadline, its
    /// rubrics): only managers; anyone else can see the object and gets 403.
    pub fn require_manage_public(self) -> Result<(), ApiError> {
        match self {
            TenantAccess::Manage => Ok(()),
            _ => Err(ApiError::forbidden()),
        }
    }

    /// Changing private data: only managers; readers and members 403, strangers 404.
    pub fn require_manage(self) -> Result<(), ApiError> {
        match self {
            TenantAccess::Manage => Ok(()),
            TenantAccess::Read | TenantAccess::Member => Err(ApiError::forbidden()),
            TenantAccess::Stranger => Err(ApiError::not_found()),
        }
    }
}

impl Principal {
    pub fn is_platform_admin(&self) -> bool {
        self.grants
            .iter()
            .any(|grant| grant.role == Role::PlatformAdmin)
    }

    /// 403 unless the caller is a platform administrator.
    pub fn require_platform_admin(&self) -> Result<(), ApiError> {
        if self.is_platform_admin() {
            Ok(())
        } else {
            Err(ApiError::forbidden())
        }
    }

    /// 403 `email_unverified` until the caller has confirmed their address; required before
    /// applying for anything.
    pub fn require_verified_email(&self) -> Result<(), ApiError> {
        if self.email_verified {
            Ok(())
        } else {
            Err(ApiError::new(
                poem::http::StatusCode::FORBIDDEN,
                "email_unverified",
                "confirm your e-mail address first; the link was sent when you signed up",
            ))
        }
    }

    /// Whether the caller holds any role in the organisation.
    pub fn has_organisation_role(&self, organisation_id: Uuid) -> bool {
        self.grants
            .iter()
            .any(|grant| grant.organisation_id == Some(organisation_id))
    }

    /// Whether the caller administers the organisation.
    pub fn is_organisation_admin(&self, organisation_id: Uuid) -> bool {
        self.grants.iter().any(|grant| {
            grant.role == Role::OrgAdmin && grant.organisation_id == Some(organisation_id)
        })
    }

    pub fn has_tenant_role(&self, tenant_id: Uuid, role: Role) -> bool {
        self.grants
            .iter()
            .any(|grant| grant.role == role && grant.tenant_id == Some(tenant_id))
    }

    pub fn tenant_access(&self, tenant: &TenantPosition) -> TenantAccess {
        if self.is_platform_admin() || self.has_tenant_role(tenant.id, Role::RegistryAdmin) {
            return TenantAccess::Manage;
        }
        if tenant
            .ancestors
            .iter()
            .any(|ancestor| self.has_tenant_role(*ancestor, Role::RegistryAdmin))
        {
            return TenantAccess::Read;
        }
        let member = self
            .grants
            .iter()
            .filter_map(|grant| grant.tenant_id)
            .any(|tenant_id| tenant.contains(tenant_id));
        if member {
            TenantAccess::Member
        } else {
            TenantAccess::Stranger
        }
    }

    /// Tenants whose private data the caller may read (directly administered ones; their
    /// descendants are included by whoever expands the list).
    pub fn administered_tenants(&self) -> Vec<Uuid> {
        self.grants
            .iter()
            .filter(|grant| grant.role == Role::RegistryAdmin)
            .filter_map(|grant| grant.tenant_id)
            .collect()
    }
}

/// The caller of a request that may also be anonymous (public reads).
pub type MaybePrincipal = Option<Principal>;

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::{Grant, Principal, Role, TenantAccess, TenantPosition};

    fn principal(grants: Vec<Grant>) -> Principal {
        Principal {
            user_id: Uuid::now_v7(),
            session_id: Uuid::now_v7(),
            email: "someone@example.org".into(),
            name: "Someone".into(),
            email_verified: true,
            grants,
        }
    }

    fn tenant_role(role: Role, tenant_id: Uuid) -> Grant {
        Grant {
            role,
            tenant_id: Some(tenant_id),
            organisation_id: None,
        }
    }

    #[test]
    fn access_follows_the_hierarchy() {
        let city = Uuid::now_v7();
        let district = Uuid::now_v7();
        let other = Uuid::now_v7();
        let district_position =
            TenantPosition::from_path(district, &format!("/{city}/{district}/"));
        let city_position = TenantPosition::from_path(city, &format!("/{city}/"));

        let city_admin = principal(vec![tenant_role(Role::RegistryAdmin, city)]);
        assert_eq!(
            city_admin.tenant_access(&city_position),
            TenantAccess::Manage
        );
        assert_eq!(
            city_admin.tenant_access(&district_position),
            TenantAccess::Read
        );

        let district_admin = principal(vec![tenant_role(Role::RegistryAdmin, district)]);
        assert_eq!(
            district_admin.tenant_access(&district_position),
            TenantAccess::Manage
        );
        assert_eq!(
            district_admin.tenant_access(&city_position),
            TenantAccess::Stranger
        );

        let assessor = principal(vec![tenant_role(Role::Assessor, district)]);
        assert_eq!(
            assessor.tenant_access(&district_position),
            TenantAccess::Member
        );

        let stranger = principal(vec![tenant_role(Role::RegistryAdmin, other)]);
        assert_eq!(
            stranger.tenant_access(&district_position),
            TenantAccess::Stranger
        );

        let platform = principal(vec![Grant {
            role: Role::PlatformAdmin,
            tenant_id: None,
            organisation_id: None,
        }]);
        assert_eq!(
            platform.tenant_access(&district_position),
            TenantAccess::Manage
        );
    }

    #[test]
    fn roles_round_trip_through_their_names() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("superuser"), None);
    }
}

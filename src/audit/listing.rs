//! Reading the audit log: which events a caller may see (the chain itself is `service`).

use entities::audit_event;

use super::repo;

/// Audit events visible to the caller: everything for platform administrators; for registry
/// administrators, the events of the tenants they administer and of every tenant below those.
pub async fn list_events(
    state: &crate::state::AppState,
    principal: &crate::authz::Principal,
    tenant_slug: Option<&str>,
    mut filter: repo::AuditFilter,
    limit: u64,
) -> Result<Vec<audit_event::Model>, crate::error::ApiError> {
    use crate::tenants;

    let visible = if principal.is_platform_admin() {
        None
    } else {
        let administered = principal.administered_tenants();
        if administered.is_empty() {
            return Err(crate::error::ApiError::forbidden());
        }
        Some(tenants::repo::subtree_ids(&state.db, &administered).await?)
    };
    filter.tenants = match tenant_slug {
        Some(slug) => {
            let tenant = tenants::service::get_tenant(state, slug).await?;
            principal.tenant_access(&tenant.position()).require_read()?;
            Some(vec![tenant.id()])
        }
        None => visible,
    };
    Ok(repo::list(&state.db, filter, limit).await?)
}

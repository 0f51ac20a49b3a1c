//! An account's own invitations into tenants: listed, accepted (the roles take effect) or
//! declined (nothing changes, and the tenant no longer lists the person).

use entities::tenant_invitation;
use tracing::{info, instrument};
use uuid::Uuid;

use super::{UserError, repo, service::invitation_roles};
use crate::{
    audit::{self, AuditEvent},
    authz::{Principal, Role},
    db::{self, Scope},
    state::AppState,
    tenants,
};

/// An open invitation as its invitee sees it.
pub struct Invitation {
    pub id: Uuid,
    pub tenant_slug: String,
    pub tenant_name_zh: String,
    pub roles: Vec<String>,
    pub invited_at: chrono::DateTime<chrono::Utc>,
}

/// The caller's open invitations, oldest first.
pub async fn list_mine(
    state: &AppState,
    principal: &Principal,
) -> Result<Vec<Invitation>, UserError> {
    let invitations = repo::invitations_of_user(&state.db, principal.user_id).await?;
    let ids: Vec<Uuid> = invitations.iter().map(|open| open.tenant_id).collect();
    let tenants = tenants::repo::find_by_ids(&state.db, ids).await?;
    Ok(invitations
        .into_iter()
        .filter_map(|open| {
            let tenant = tenants.iter().find(|tenant| tenant.id == open.tenant_id)?;
            Some(Invitation {
                id: open.id,
                tenant_slug: tenant.slug.clone(),
                tenant_name_zh: tenant.name_zh.clone(),
                roles: invitation_roles(&open),
                invited_at: open.created_at,
            })
        })
        .collect())
}

/// The caller's invitation `id` (404 for anyone else's, or one no longer open).
async fn mine(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
) -> Result<tenant_invitation::Model, UserError> {
    repo::invitation_by_id(&state.db, id)
        .await?
        .filter(|open| open.user_id == principal.user_id)
        .ok_or(UserError::NotFound)
}

/// Accepts: the roles offered are granted in the tenant, and the invitation closes.
#[instrument(skip(state, principal))]
pub async fn accept(state: &AppState, principal: &Principal, id: Uuid) -> Result<(), UserError> {
    let invitation = mine(state, principal, id).await?;
    let now = state.clock.now();
    let transaction = db::begin(&state.db, Scope::Tenant(invitation.tenant_id)).await?;
    // Closing it first makes two acceptances at once grant the roles once.
    if !repo::delete_invitation(&transaction, invitation.id).await? {
        return Err(UserError::NotFound);
    }
    let roles: Vec<Role> = invitation_roles(&invitation)
        .iter()
        .filter_map(|role| Role::parse(role))
        .collect();
    for role in &roles {
        repo::insert_grant(
            &transaction,
            principal.user_id,
            *role,
            Some(invitation.tenant_id),
            now,
        )
        .await?;
    }
    audit::record(
        &transaction,
        &state.audit,
        AuditEvent::new(now, "user", principal.user_id, "accept_invitation")
            .actor(principal.user_id)
            .tenant(invitation.tenant_id)
            .data(serde_json::json!({
                "roles": roles.iter().map(|role| role.as_str()).collect::<Vec<_>>(),
                "invited_by": invitation.invited_by,
            })),
    )
    .await?;
    transaction.commit().await?;
    info!(tenant_id = %invitation.tenant_id, "invitation accepted");
    Ok(())
}

/// Declines: nothing is granted, and the tenant no longer lists the person.
#[instrument(skip(state, principal))]
pub async fn decline(state: &AppState, principal: &Principal, id: Uuid) -> Result<(), UserError> {
    let invitation = mine(state, principal, id).await?;
    let now = state.clock.now();
    let transaction = db::begin(&state.db, Scope::Tenant(invitation.tenant_id)).await?;
    if !repo::delete_invitation(&transaction, invitation.id).await? {
        return Err(UserError::NotFound);
    }
    audit::record(
        &transaction,
        &state.audit,
        AuditEvent::new(now, "user", principal.user_id, "decline_invitation")
            .actor(principal.user_id)
            .tenant(invitation.tenant_id),
    )
    .await?;
    transaction.commit().await?;
    Ok(())
}

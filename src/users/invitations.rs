//! An account's own invitations into tenants: listed, accepted (the roles take effect) or
//! declined (nothing changes, and the tenant no longer lists the person).

use entities::{tenant_invitation, user};
use tracing::{info, instrument};
use uuid::Uuid;

use super::{
    dto::{GrantView, UserView},
    error::UserError,
    repo,
};
use crate::{
    accounts::{AccountEmail, AccountEmailJob},
    audit::{self, AuditEvent},
    authz::{Principal, Role},
    db::{self, Scope},
    jobs,
    state::AppState,
    tenants::{self, TenantRef},
    types::Email,
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

/// What a tenant's administrator offers an existing account.
pub(super) struct Offer<'a> {
    pub email: &'a Email,
    pub name: &'a str,
    pub roles: &'a [Role],
    pub password_given: bool,
}

/// Opens (or widens) the invitation of an existing account into the tenant, and tells its owner.
pub(super) async fn invite(
    transaction: &sea_orm::DatabaseTransaction,
    state: &AppState,
    principal: &Principal,
    tenant: &TenantRef,
    user: &user::Model,
    offer: Offer<'_>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<tenant_invitation::Model, UserError> {
    let mut roles: Vec<String> = offer
        .roles
        .iter()
        .map(|role| role.as_str().to_owned())
        .collect();
    let invitation = match repo::invitation_of(transaction, tenant.id(), user.id).await? {
        Some(mut open) => {
            let mut held = invitation_roles(&open);
            for role in roles.drain(..) {
                if !held.contains(&role) {
                    held.push(role);
                }
            }
            open.roles = serde_json::to_string(&held).map_err(anyhow::Error::from)?;
            repo::set_invitation_roles(transaction, open.id, &open.roles).await?;
            open
        }
        None => {
            let invitation = tenant_invitation::Model {
                id: Uuid::now_v7(),
                tenant_id: tenant.id(),
                user_id: user.id,
                email: offer.email.to_string(),
                name: offer.name.to_owned(),
                roles: serde_json::to_string(&roles).map_err(anyhow::Error::from)?,
                password_given: offer.password_given,
                invited_by: Some(principal.user_id),
                created_at: now,
            };
            repo::insert_invitation(transaction, invitation.clone()).await?;
            invitation
        }
    };
    jobs::enqueue(
        transaction,
        now,
        &AccountEmailJob {
            user_id: user.id,
            email: AccountEmail::InvitedToTenant {
                tenant: tenant.model.name_zh.clone(),
                roles: invitation_roles(&invitation),
            },
        },
        state.config.job_max_attempts,
    )
    .await?;
    audit::record(
        transaction,
        &state.audit,
        AuditEvent::new(now, "user", user.id, "invite")
            .actor(principal.user_id)
            .tenant(tenant.id())
            .data(serde_json::json!({
                "tenant": tenant.model.slug,
                "roles": invitation_roles(&invitation),
            })),
    )
    .await?;
    Ok(invitation)
}

/// The roles an invitation offers.
pub(super) fn invitation_roles(invitation: &tenant_invitation::Model) -> Vec<String> {
    serde_json::from_str(&invitation.roles).unwrap_or_default()
}

/// An invited person as the tenant sees them: as it described them, like a new account that has
/// not been verified yet, with the roles offered.
pub(super) fn invited_view(tenant: &TenantRef, invitation: tenant_invitation::Model) -> UserView {
    UserView {
        grants: invitation_roles(&invitation)
            .into_iter()
            .map(|role| GrantView {
                role,
                tenant: Some(tenant.model.slug.clone()),
                organisation_id: None,
            })
            .collect(),
        user: user::Model {
            id: invitation.user_id,
            email: invitation.email,
            name: invitation.name,
            password_hash: invitation.password_given.then(String::new),
            email_verified_at: None,
            disabled_at: None,
            created_at: invitation.created_at,
            updated_at: invitation.created_at,
        },
    }
}

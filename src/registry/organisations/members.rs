//! An organisation's people: its administrators invite members by e-mail and manage their roles.

use std::collections::HashMap;

use entities::user;
use uuid::Uuid;

use super::{repo, service::may_see_private};
use crate::{
    accounts::{AccountEmail, AccountEmailJob},
    audit::{self, AuditEvent},
    authz::{Principal, Role},
    db::{self, Scope},
    error::ApiError,
    jobs,
    state::AppState,
    tenants,
    types::Email,
    users,
};

/// A member and their role in the organisation.
pub struct Member {
    pub user: user::Model,
    pub role: Role,
}

async fn organisation_for(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    manage: bool,
) -> Result<entities::organisation::Model, ApiError> {
    let model = repo::find(&state.db, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let tenant = tenants::service::get_tenant_by_id(state, model.tenant_id).await?;
    if !may_see_private(principal, &model, &tenant) {
        return Err(ApiError::not_found());
    }
    if manage && !principal.is_organisation_admin(model.id) {
        return Err(ApiError::forbidden());
    }
    Ok(model)
}

/// The organisation's members (its members and the registry may look).
pub async fn list_members(
    state: &AppState,
    principal: &Principal,
    organisation_id: Uuid,
) -> Result<Vec<Member>, ApiError> {
    organisation_for(state, principal, organisation_id, false).await?;
    let grants = users::service::organisation_grants(&state.db, organisation_id).await?;
    let mut roles: HashMap<Uuid, Role> = HashMap::new();
    for grant in grants {
        if let Some(role) = Role::parse(&grant.role) {
            let entry = roles.entry(grant.user_id).or_insert(role);
            if role == Role::OrgAdmin {
                *entry = Role::OrgAdmin;
            }
        }
    }
    let mut members = Vec::new();
    for (user_id, role) in roles {
        if let Some(user) = users::service::find_user(state, user_id).await? {
            members.push(Member { user, role });
        }
    }
    members.sort_by(|left, right| left.user.email.cmp(&right.user.email));
    Ok(members)
}

/// Adds a person by e-mail with a role. An unknown address gets an account and a link to set
/// its password; a known one is told it was added.
pub async fn invite_member(
    state: &AppState,
    principal: &Principal,
    organisation_id: Uuid,
    email: Email,
    name: String,
    role: Role,
) -> Result<Member, ApiError> {
    let organisation = organisation_for(state, principal, organisation_id, true).await?;
    let now = state.clock.now();
    let transaction = db::begin(&state.db, Scope::Tenant(organisation.tenant_id)).await?;
    let (user, email_kind) =
        match crate::auth::service::find_user_by_email(&transaction, email.as_str()).await? {
            Some(user) => (
                user,
                AccountEmail::AddedToOrganisation {
                    organisation: organisation.name.clone(),
                },
            ),
            None => {
                let user =
                    users::service::insert_invited_user(&transaction, email, name, now).await?;
                (user, AccountEmail::SetPassword)
            }
        };
    users::service::set_organisation_role(&transaction, user.id, organisation.id, role, now)
        .await?;
    jobs::enqueue(
        &transaction,
        now,
        &AccountEmailJob {
            user_id: user.id,
            email: email_kind,
        },
        state.config.job_max_attempts,
    )
    .await?;
    audit::record(
        &transaction,
        &state.audit,
        AuditEvent::new(now, "organisation", organisation.id, "add_member")
            .actor(principal.user_id)
            .tenant(organisation.tenant_id)
            .data(serde_json::json!({ "user_id": user.id, "role": role.as_str() })),
    )
    .await?;
    transaction.commit().await?;
    Ok(Member { user, role })
}

/// Changes a member's role, or removes them (`role` = `None`). The last administrator stays.
pub async fn change_member(
    state: &AppState,
    principal: &Principal,
    organisation_id: Uuid,
    user_id: Uuid,
    role: Option<Role>,
) -> Result<(), ApiError> {
    let organisation = organisation_for(state, principal, organisation_id, true).await?;
    let now = state.clock.now();
    // Counted inside the transaction that changes them, so two administrators demoting each
    // other at once cannot leave the organisation without one.
    let transaction = db::begin(&state.db, Scope::Tenant(organisation.tenant_id)).await?;
    if db::is_postgres(&transaction) {
        repo::lock(&transaction, organisation.id).await?;
    }
    let grants = users::service::organisation_grants(&transaction, organisation.id).await?;
    let holds = |role: Role| {
        grants
            .iter()
            .any(|grant| grant.user_id == user_id && grant.role == role.as_str())
    };
    if !holds(Role::OrgAdmin) && !holds(Role::OrgMember) {
        return Err(ApiError::not_found());
    }
    let administrators = grants
        .iter()
        .filter(|grant| grant.role == Role::OrgAdmin.as_str())
        .count();
    if holds(Role::OrgAdmin) && role != Some(Role::OrgAdmin) && administrators <= 1 {
        return Err(ApiError::conflict(
            "last_administrator",
            None,
            "an organisation keeps at least one administrator",
        ));
    }
    match role {
        Some(role) => {
            users::service::set_organisation_role(
                &transaction,
                user_id,
                organisation.id,
                role,
                now,
            )
            .await?;
        }
        None => {
            users::service::remove_organisation_roles(&transaction, user_id, organisation.id)
                .await?
        }
    }
    audit::record(
        &transaction,
        &state.audit,
        AuditEvent::new(
            now,
            "organisation",
            organisation.id,
            if role.is_some() {
                "change_member"
            } else {
                "remove_member"
            },
        )
        .actor(principal.user_id)
        .tenant(organisation.tenant_id)
        .data(serde_json::json!({ "user_id": user_id, "role": role.map(Role::as_str) })),
    )
    .await?;
    transaction.commit().await?;
    Ok(())
}

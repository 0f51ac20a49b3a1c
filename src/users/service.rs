//! Managing users and their grants.

use std::collections::HashMap;

use entities::{grant, tenant, user};
use tracing::{info, instrument};
use uuid::Uuid;

pub use super::error::UserError;
use super::{
    dto::{GrantView, UserView},
    invitations::{Offer, invitation_roles, invite, invited_view},
    repo,
};
use crate::{
    accounts::{AccountEmail, AccountEmailJob},
    audit::{self, AuditEvent},
    auth::{password::NewPassword, service::revoke_all_sessions},
    authz::{Grant, Principal, Role},
    db::{self, Scope, is_unique_violation},
    error::ApiError,
    jobs,
    state::AppState,
    tenants::{self, TenantRef},
    types::Email,
};

/// A validated person to add to a tenant.
pub struct NewTenantUser {
    pub email: Email,
    pub name: String,
    pub roles: Vec<Role>,
    pub password: Option<NewPassword>,
}

async fn tenant_for_read(
    state: &AppState,
    principal: &Principal,
    slug: &str,
) -> Result<TenantRef, UserError> {
    let tenant = tenants::service::get_tenant(state, slug).await?;
    principal.tenant_access(&tenant.position()).require_read()?;
    Ok(tenant)
}

async fn tenant_for_manage(
    state: &AppState,
    principal: &Principal,
    slug: &str,
) -> Result<TenantRef, UserError> {
    let tenant = tenants::service::get_tenant(state, slug).await?;
    principal
        .tenant_access(&tenant.position())
        .require_manage()?;
    Ok(tenant)
}

/// Adds a person to a tenant with roles there. An unknown e-mail creates the account (with the
/// password, if given); a known one gains the roles and is told so by e-mail, its password
/// untouched, and the answer looks as it would for a new account: an administrator of one tenant
/// does not learn of accounts elsewhere.
#[instrument(skip(state, principal, new), fields(tenant = %slug))]
pub async fn create_tenant_user(
    state: &AppState,
    principal: &Principal,
    slug: &str,
    new: NewTenantUser,
) -> Result<UserView, UserError> {
    let tenant = tenant_for_manage(state, principal, slug).await?;
    if new.roles.is_empty() {
        return Err(UserError::NoRoles);
    }
    let password_hash = match new.password {
        Some(password) => Some(state.passwords.hash(password).await?),
        None => None,
    };
    let password_given = password_hash.is_some();
    let now = state.clock.now();
    let transaction = db::begin(&state.db, Scope::Tenant(tenant.id())).await?;
    let existing = repo::find_by_email(&transaction, new.email.as_str()).await?;
    let (user, created) = match existing {
        // An account that exists but holds no role here (perhaps it is in another tenant) is
        // invited: its owner accepts or declines, its password is never set here, and until then
        // the tenant sees only what it gave (the answer does not say the account existed).
        Some(user)
            if repo::grants_of_users(&transaction, vec![user.id], Some(tenant.id()))
                .await?
                .is_empty() =>
        {
            let offer = Offer {
                email: &new.email,
                name: &new.name,
                roles: &new.roles,
                password_given,
            };
            let invitation =
                invite(&transaction, state, principal, &tenant, &user, offer, now).await?;
            transaction.commit().await?;
            info!(user_id = %user.id, "account invited into the tenant");
            return Ok(invited_view(&tenant, invitation));
        }
        // One of the tenant's own users gains further roles, and is told so.
        Some(user) => {
            jobs::enqueue(
                &transaction,
                now,
                &AccountEmailJob {
                    user_id: user.id,
                    email: AccountEmail::AddedToTenant {
                        tenant: tenant.model.name_zh.clone(),
                        roles: new
                            .roles
                            .iter()
                            .map(|role| role.as_str().to_owned())
                            .collect(),
                    },
                },
                state.config.job_max_attempts,
            )
            .await?;
            (user, false)
        }
        None => {
            let user = user::Model {
                id: Uuid::now_v7(),
                email: new.email.to_string(),
                name: new.name,
                password_hash,
                email_verified_at: None,
                disabled_at: None,
                created_at: now,
                updated_at: now,
            };
            match repo::insert_user(&transaction, user.clone()).await {
                Err(error) if is_unique_violation(&error) => return Err(UserError::EmailTaken),
                result => result?,
            }
            if user.password_hash.is_none() {
                jobs::enqueue(
                    &transaction,
                    now,
                    &AccountEmailJob {
                        user_id: user.id,
                        email: AccountEmail::SetPassword,
                    },
                    state.config.job_max_attempts,
                )
                .await?;
            }
            audit::record(
                &transaction,
                &state.audit,
                AuditEvent::new(now, "user", user.id, "create")
                    .actor(principal.user_id)
                    .tenant(tenant.id())
                    .data(serde_json::json!({
                        "email": user.email,
                        "name": user.name,
                        "has_password": user.password_hash.is_some(),
                    })),
            )
            .await?;
            (user, true)
        }
    };
    for role in &new.roles {
        if repo::insert_grant(&transaction, user.id, *role, Some(tenant.id()), now).await? {
            audit::record(
                &transaction,
                &state.audit,
                AuditEvent::new(now, "user", user.id, "grant_role")
                    .actor(principal.user_id)
                    .tenant(tenant.id())
                    .data(
                        serde_json::json!({ "role": role.as_str(), "tenant": tenant.model.slug }),
                    ),
            )
            .await?;
        }
    }
    transaction.commit().await?;
    info!(user_id = %user.id, created, "user added to tenant");
    tenant_user_view(state, &tenant, user).await
}

async fn tenant_user_view(
    state: &AppState,
    tenant: &TenantRef,
    user: user::Model,
) -> Result<UserView, UserError> {
    let mut views = views_with_grants(state, vec![user], Some(tenant.id())).await?;
    views.pop().ok_or(UserError::NotFound)
}

/// Users with a role in the tenant, each with their roles there.
pub async fn list_tenant_users(
    state: &AppState,
    principal: &Principal,
    slug: &str,
    after_email: Option<String>,
    limit: u64,
) -> Result<Vec<UserView>, UserError> {
    let tenant = tenant_for_read(state, principal, slug).await?;
    let users = repo::users_in_tenant(&state.db, tenant.id(), after_email.clone(), limit).await?;
    let invited = repo::invitations_in_tenant(&state.db, tenant.id(), after_email, limit).await?;
    let mut views = views_with_grants(state, users, Some(tenant.id())).await?;
    views.extend(
        invited
            .into_iter()
            .map(|invitation| invited_view(&tenant, invitation)),
    );
    views.sort_by(|a, b| a.user.email.cmp(&b.user.email));
    views.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    Ok(views)
}

pub async fn get_tenant_user(
    state: &AppState,
    principal: &Principal,
    slug: &str,
    user_id: Uuid,
) -> Result<UserView, UserError> {
    let tenant = tenant_for_read(state, principal, slug).await?;
    let user = repo::find_by_id(&state.db, user_id)
        .await?
        .ok_or(UserError::NotFound)?;
    let view = tenant_user_view(state, &tenant, user).await?;
    if !view.grants.is_empty() {
        return Ok(view);
    }
    repo::invitation_of(&state.db, tenant.id(), user_id)
        .await?
        .map(|invitation| invited_view(&tenant, invitation))
        .ok_or(UserError::NotFound)
}

/// Grants a tenant role to a user who already holds one there.
#[instrument(skip(state, principal), fields(tenant = %slug))]
pub async fn add_tenant_grant(
    state: &AppState,
    principal: &Principal,
    slug: &str,
    user_id: Uuid,
    role: Role,
) -> Result<UserView, UserError> {
    let tenant = tenant_for_manage(state, principal, slug).await?;
    let user = get_tenant_user(state, principal, slug, user_id).await?.user;
    let now = state.clock.now();
    let transaction = db::begin(&state.db, Scope::Tenant(tenant.id())).await?;
    // An invited person is offered the role too, as a new account would be given it.
    if let Some(mut invitation) = repo::invitation_of(&transaction, tenant.id(), user.id).await? {
        let mut roles = invitation_roles(&invitation);
        if !roles.iter().any(|held| held == role.as_str()) {
            roles.push(role.as_str().to_owned());
            invitation.roles = serde_json::to_string(&roles).map_err(anyhow::Error::from)?;
            repo::set_invitation_roles(&transaction, invitation.id, &invitation.roles).await?;
        }
        transaction.commit().await?;
        return Ok(invited_view(&tenant, invitation));
    }
    if repo::insert_grant(&transaction, user.id, role, Some(tenant.id()), now).await? {
        audit::record(
            &transaction,
            &state.audit,
            AuditEvent::new(now, "user", user.id, "grant_role")
                .actor(principal.user_id)
                .tenant(tenant.id())
                .data(serde_json::json!({ "role": role.as_str(), "tenant": tenant.model.slug })),
        )
        .await?;
    }
    transaction.commit().await?;
    tenant_user_view(state, &tenant, user).await
}

/// Revokes a tenant role; 404 when the user does not hold it.
#[instrument(skip(state, principal), fields(tenant = %slug))]
pub async fn remove_tenant_grant(
    state: &AppState,
    principal: &Principal,
    slug: &str,
    user_id: Uuid,
    role: Role,
) -> Result<(), UserError> {
    let tenant = tenant_for_manage(state, principal, slug).await?;
    let now = state.clock.now();
    let transaction = db::begin(&state.db, Scope::Tenant(tenant.id())).await?;
    // A role only offered is withdrawn from the invitation (the whole invitation with its last).
    if let Some(invitation) = repo::invitation_of(&transaction, tenant.id(), user_id).await? {
        let mut roles = invitation_roles(&invitation);
        let before = roles.len();
        roles.retain(|held| held != role.as_str());
        if roles.len() == before {
            return Err(UserError::NotFound);
        }
        if roles.is_empty() {
            repo::delete_invitation(&transaction, invitation.id).await?;
        } else {
            let roles = serde_json::to_string(&roles).map_err(anyhow::Error::from)?;
            repo::set_invitation_roles(&transaction, invitation.id, &roles).await?;
        }
        transaction.commit().await?;
        return Ok(());
    }
    if !repo::delete_tenant_grant(&transaction, user_id, role, tenant.id()).await? {
        return Err(UserError::NotFound);
    }
    audit::record(
        &transaction,
        &state.audit,
        AuditEvent::new(now, "user", user_id, "revoke_role")
            .actor(principal.user_id)
            .tenant(tenant.id())
            .data(serde_json::json!({ "role": role.as_str(), "tenant": tenant.model.slug })),
    )
    .await?;
    transaction.commit().await?;
    Ok(())
}

/// Grants a platform role (no tenant) or a tenant role, inside the caller's transaction.
pub async fn grant_role(
    db: &impl sea_orm::ConnectionTrait,
    user_id: Uuid,
    role: Role,
    tenant_id: Option<Uuid>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<bool, sea_orm::DbErr> {
    repo::insert_grant(db, user_id, role, tenant_id, now).await
}

/// Grants a role in an organisation, inside the caller's transaction.
pub async fn grant_organisation_role(
    db: &impl sea_orm::ConnectionTrait,
    user_id: Uuid,
    role: Role,
    organisation_id: Uuid,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<bool, sea_orm::DbErr> {
    repo::insert_organisation_grant(db, user_id, role, organisation_id, now).await
}

/// Every grant held in an organisation.
pub async fn organisation_grants(
    db: &impl sea_orm::ConnectionTrait,
    organisation_id: Uuid,
) -> Result<Vec<grant::Model>, sea_orm::DbErr> {
    repo::organisation_grants(db, organisation_id).await
}

/// Makes `role` the user's only role in the organisation.
pub async fn set_organisation_role(
    db: &impl sea_orm::ConnectionTrait,
    user_id: Uuid,
    organisation_id: Uuid,
    role: Role,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), sea_orm::DbErr> {
    repo::delete_organisation_grants(db, user_id, organisation_id).await?;
    repo::insert_organisation_grant(db, user_id, role, organisation_id, now).await?;
    Ok(())
}

pub async fn remove_organisation_roles(
    db: &impl sea_orm::ConnectionTrait,
    user_id: Uuid,
    organisation_id: Uuid,
) -> Result<(), sea_orm::DbErr> {
    repo::delete_organisation_grants(db, user_id, organisation_id).await?;
    Ok(())
}

/// Creates an account for an invited person, without a password (a set-password link follows).
pub async fn insert_invited_user(
    db: &impl sea_orm::ConnectionTrait,
    email: Email,
    name: String,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<user::Model, sea_orm::DbErr> {
    let user = user::Model {
        id: Uuid::now_v7(),
        email: email.to_string(),
        name,
        password_hash: None,
        email_verified_at: None,
        disabled_at: None,
        created_at: now,
        updated_at: now,
    };
    repo::insert_user(db, user.clone()).await?;
    Ok(user)
}

/// A user by id, for services that act on behalf of the system (e-mail jobs).
pub async fn find_user(
    state: &AppState,
    user_id: Uuid,
) -> Result<Option<user::Model>, sea_orm::DbErr> {
    repo::find_by_id(&state.db, user_id).await
}

/// Every user (platform administrators only).
pub async fn list_users(
    state: &AppState,
    principal: &Principal,
    after_email: Option<String>,
    limit: u64,
) -> Result<Vec<UserView>, UserError> {
    principal.require_platform_admin()?;
    let users = repo::all_users(&state.db, after_email, limit).await?;
    views_with_grants(state, users, None).await
}

/// Disables or re-enables an account (platform administrators only). Disabling kills every
/// token of the user at once.
#[instrument(skip(state, principal))]
pub async fn set_user_disabled(
    state: &AppState,
    principal: &Principal,
    user_id: Uuid,
    disabled: bool,
) -> Result<UserView, UserError> {
    principal.require_platform_admin()?;
    if disabled && user_id == principal.user_id {
        return Err(UserError::SelfDisable);
    }
    let now = state.clock.now();
    let transaction = db::begin(&state.db, Scope::Platform).await?;
    let mut user = repo::find_by_id(&transaction, user_id)
        .await?
        .ok_or(UserError::NotFound)?;
    user.disabled_at = disabled.then_some(now);
    repo::set_disabled_at(&transaction, user_id, user.disabled_at, now).await?;
    let revoked = if disabled {
        revoke_all_sessions(&transaction, user_id).await?
    } else {
        0
    };
    audit::record(
        &transaction,
        &state.audit,
        AuditEvent::new(
            now,
            "user",
            user_id,
            if disabled { "disable" } else { "enable" },
        )
        .actor(principal.user_id)
        .data(serde_json::json!({ "sessions_revoked": revoked })),
    )
    .await?;
    transaction.commit().await?;
    info!(%user_id, disabled, revoked, "user account status changed");
    let mut views = views_with_grants(state, vec![user], None).await?;
    views.pop().ok_or(UserError::NotFound)
}

/// Creates a platform administrator (the `admin create` command); verified from the start.
pub async fn create_platform_admin(
    state: &AppState,
    email: Email,
    name: String,
    password: NewPassword,
) -> Result<Uuid, UserError> {
    let password_hash = state.passwords.hash(password).await?;
    let now = state.clock.now();
    let transaction = db::begin(&state.db, Scope::Platform).await?;
    if repo::find_by_email(&transaction, email.as_str())
        .await?
        .is_some()
    {
        return Err(UserError::EmailTaken);
    }
    let id = Uuid::now_v7();
    repo::insert_user(
        &transaction,
        user::Model {
            id,
            email: email.to_string(),
            name,
            password_hash: Some(password_hash),
            email_verified_at: Some(now),
            disabled_at: None,
            created_at: now,
            updated_at: now,
        },
    )
    .await?;
    repo::insert_grant(&transaction, id, Role::PlatformAdmin, None, now).await?;
    audit::record(
        &transaction,
        &state.audit,
        AuditEvent::new(now, "user", id, "create_platform_admin")
            .data(serde_json::json!({ "email": email.as_str(), "via": "command line" })),
    )
    .await?;
    transaction.commit().await?;
    Ok(id)
}

async fn views_with_grants(
    state: &AppState,
    users: Vec<user::Model>,
    tenant_id: Option<Uuid>,
) -> Result<Vec<UserView>, UserError> {
    let ids = users.iter().map(|user| user.id).collect();
    let mut by_user: HashMap<Uuid, Vec<Grant>> = HashMap::new();
    for model in repo::grants_of_users(&state.db, ids, tenant_id).await? {
        if let Some(grant) = to_grant(&model) {
            by_user.entry(model.user_id).or_default().push(grant);
        }
    }
    let all: Vec<Grant> = by_user.values().flatten().cloned().collect();
    let tenants = tenants_of(state, &all).await?;
    Ok(users
        .into_iter()
        .map(|user| UserView {
            grants: by_user
                .remove(&user.id)
                .unwrap_or_default()
                .iter()
                .map(|grant| view_of(grant, &tenants))
                .collect(),
            user,
        })
        .collect())
}

fn to_grant(model: &grant::Model) -> Option<Grant> {
    Some(Grant {
        role: Role::parse(&model.role)?,
        tenant_id: model.tenant_id,
        organisation_id: model.organisation_id,
    })
}

async fn tenants_of(
    state: &AppState,
    grants: &[Grant],
) -> Result<Vec<tenant::Model>, sea_orm::DbErr> {
    let tenant_ids = grants.iter().filter_map(|grant| grant.tenant_id).collect();
    tenants::repo::find_by_ids(&state.db, tenant_ids).await
}

fn view_of(grant: &Grant, tenants: &[tenant::Model]) -> GrantView {
    GrantView {
        role: grant.role.as_str().to_owned(),
        tenant: grant.tenant_id.and_then(|tenant_id| {
            tenants
                .iter()
                .find(|tenant| tenant.id == tenant_id)
                .map(|tenant| tenant.slug.clone())
        }),
        organisation_id: grant.organisation_id,
    }
}

/// The caller's own grants with tenant slugs, for `/me`.
pub async fn grant_views(state: &AppState, grants: &[Grant]) -> Result<Vec<GrantView>, ApiError> {
    let tenants = tenants_of(state, grants).await?;
    Ok(grants
        .iter()
        .map(|grant| view_of(grant, &tenants))
        .collect())
}

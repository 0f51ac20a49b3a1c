//! Queries on users and grants.

use chrono::{DateTime, Utc};
use entities::{grant, tenant_invitation, user};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
    sea_query::{Expr, Query},
};
use uuid::Uuid;

use crate::authz::Role;

pub async fn find_by_id(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<user::Model>, DbErr> {
    user::Entity::find_by_id(id).one(db).await
}

pub async fn find_by_email(
    db: &impl ConnectionTrait,
    email: &str,
) -> Result<Option<user::Model>, DbErr> {
    user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(db)
        .await
}

pub async fn insert_user(db: &impl ConnectionTrait, model: user::Model) -> Result<(), DbErr> {
    user::Entity::insert(user::ActiveModel {
        id: Set(model.id),
        email: Set(model.email),
        name: Set(model.name),
        password_hash: Set(model.password_hash),
        email_verified_at: Set(model.email_verified_at),
        disabled_at: Set(model.disabled_at),
        created_at: Set(model.created_at),
        updated_at: Set(model.updated_at),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

pub async fn set_disabled_at(
    db: &impl ConnectionTrait,
    id: Uuid,
    disabled_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    user::Entity::update_many()
        .col_expr(user::Column::DisabledAt, Expr::value(disabled_at))
        .col_expr(user::Column::UpdatedAt, Expr::value(now))
        .filter(user::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

fn tenant_scope_key(tenant_id: Uuid) -> String {
    format!("tenant:{tenant_id}")
}

/// Inserts a grant unless the user already holds it; returns whether it was new.
pub async fn insert_grant(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    role: Role,
    tenant_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let scope_key = tenant_id.map_or_else(|| "platform".to_owned(), tenant_scope_key);
    let existing = grant::Entity::find()
        .filter(grant::Column::UserId.eq(user_id))
        .filter(grant::Column::Role.eq(role.as_str()))
        .filter(grant::Column::ScopeKey.eq(scope_key.clone()))
        .one(db)
        .await?;
    if existing.is_some() {
        return Ok(false);
    }
    grant::Entity::insert(grant::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user_id),
        role: Set(role.as_str().to_owned()),
        tenant_id: Set(tenant_id),
        organisation_id: Set(None),
        scope_key: Set(scope_key),
        created_at: Set(now),
    })
    .exec_without_returning(db)
    .await?;
    Ok(true)
}

/// Grants an organisation role unless the user already holds it; returns whether it was new.
pub async fn insert_organisation_grant(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    role: Role,
    organisation_id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let scope_key = format!("organisation:{organisation_id}");
    let existing = grant::Entity::find()
        .filter(grant::Column::UserId.eq(user_id))
        .filter(grant::Column::Role.eq(role.as_str()))
        .filter(grant::Column::ScopeKey.eq(scope_key.clone()))
        .one(db)
        .await?;
    if existing.is_some() {
        return Ok(false);
    }
    grant::Entity::insert(grant::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user_id),
        role: Set(role.as_str().to_owned()),
        tenant_id: Set(None),
        organisation_id: Set(Some(organisation_id)),
        scope_key: Set(scope_key),
        created_at: Set(now),
    })
    .exec_without_returning(db)
    .await?;
    Ok(true)
}

/// Removes a tenant grant; returns whether one was removed.
pub async fn delete_tenant_grant(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    role: Role,
    tenant_id: Uuid,
) -> Result<bool, DbErr> {
    let result = grant::Entity::delete_many()
        .filter(grant::Column::UserId.eq(user_id))
        .filter(grant::Column::Role.eq(role.as_str()))
        .filter(grant::Column::ScopeKey.eq(tenant_scope_key(tenant_id)))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

pub async fn grants_of_users(
    db: &impl ConnectionTrait,
    user_ids: Vec<Uuid>,
    tenant_id: Option<Uuid>,
) -> Result<Vec<grant::Model>, DbErr> {
    if user_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut query = grant::Entity::find().filter(grant::Column::UserId.is_in(user_ids));
    if let Some(tenant_id) = tenant_id {
        query = query.filter(grant::Column::TenantId.eq(tenant_id));
    }
    query.order_by_asc(grant::Column::CreatedAt).all(db).await
}

/// Users holding at least one grant in the tenant, ordered by e-mail, after `after_email`.
pub async fn users_in_tenant(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    after_email: Option<String>,
    limit: u64,
) -> Result<Vec<user::Model>, DbErr> {
    let holders = Query::select()
        .column(grant::Column::UserId)
        .from(grant::Entity)
        .and_where(grant::Column::TenantId.eq(tenant_id))
        .take();
    let mut condition = Condition::all().add(user::Column::Id.in_subquery(holders));
    if let Some(after) = after_email {
        condition = condition.add(user::Column::Email.gt(after));
    }
    user::Entity::find()
        .filter(condition)
        .order_by_asc(user::Column::Email)
        .limit(limit)
        .all(db)
        .await
}

/// All users, ordered by e-mail, after `after_email`.
pub async fn all_users(
    db: &impl ConnectionTrait,
    after_email: Option<String>,
    limit: u64,
) -> Result<Vec<user::Model>, DbErr> {
    let mut query = user::Entity::find();
    if let Some(after) = after_email {
        query = query.filter(user::Column::Email.gt(after));
    }
    query
        .order_by_asc(user::Column::Email)
        .limit(limit)
        .all(db)
        .await
}

pub async fn organisation_grants(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
) -> Result<Vec<grant::Model>, DbErr> {
    grant::Entity::find()
        .filter(grant::Column::OrganisationId.eq(organisation_id))
        .order_by_asc(grant::Column::CreatedAt)
        .all(db)
        .await
}

pub async fn delete_organisation_grants(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    organisation_id: Uuid,
) -> Result<u64, DbErr> {
    Ok(grant::Entity::delete_many()
        .filter(grant::Column::UserId.eq(user_id))
        .filter(grant::Column::OrganisationId.eq(organisation_id))
        .exec(db)
        .await?
        .rows_affected)
}

/// The invitation of `user_id` into the tenant, if one is open.
pub async fn invitation_of(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    user_id: Uuid,
) -> Result<Option<tenant_invitation::Model>, DbErr> {
    tenant_invitation::Entity::find()
        .filter(tenant_invitation::Column::TenantId.eq(tenant_id))
        .filter(tenant_invitation::Column::UserId.eq(user_id))
        .one(db)
        .await
}

pub async fn invitation_by_id(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<tenant_invitation::Model>, DbErr> {
    tenant_invitation::Entity::find_by_id(id).one(db).await
}

/// Open invitations of one account, oldest first.
pub async fn invitations_of_user(
    db: &impl ConnectionTrait,
    user_id: Uuid,
) -> Result<Vec<tenant_invitation::Model>, DbErr> {
    tenant_invitation::Entity::find()
        .filter(tenant_invitation::Column::UserId.eq(user_id))
        .order_by_asc(tenant_invitation::Column::CreatedAt)
        .all(db)
        .await
}

/// Open invitations into a tenant, by the address given, after `after_email`.
pub async fn invitations_in_tenant(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    after_email: Option<String>,
    limit: u64,
) -> Result<Vec<tenant_invitation::Model>, DbErr> {
    let mut query =
        tenant_invitation::Entity::find().filter(tenant_invitation::Column::TenantId.eq(tenant_id));
    if let Some(after) = after_email {
        query = query.filter(tenant_invitation::Column::Email.gt(after));
    }
    query
        .order_by_asc(tenant_invitation::Column::Email)
        .limit(limit)
        .all(db)
        .await
}

pub async fn insert_invitation(
    db: &impl ConnectionTrait,
    model: tenant_invitation::Model,
) -> Result<(), DbErr> {
    tenant_invitation::Entity::insert(tenant_invitation::ActiveModel::from(model))
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Replaces an invitation's roles.
pub async fn set_invitation_roles(
    db: &impl ConnectionTrait,
    id: Uuid,
    roles: &str,
) -> Result<(), DbErr> {
    tenant_invitation::Entity::update_many()
        .col_expr(tenant_invitation::Column::Roles, Expr::value(roles))
        .filter(tenant_invitation::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Removes an invitation; returns whether it was still open.
pub async fn delete_invitation(db: &impl ConnectionTrait, id: Uuid) -> Result<bool, DbErr> {
    Ok(tenant_invitation::Entity::delete_by_id(id)
        .exec(db)
        .await?
        .rows_affected
        > 0)
}

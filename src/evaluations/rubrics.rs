//! Rubric versions per tenant and organisation type. A new tenant gets the default of
//! `rubric.md` for every type; a version no campaign uses may be replaced, one in use is fixed
//! (a new version can be made instead).

use chrono::{DateTime, Utc};
use entities::{evaluation_campaign, rubric};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use super::rubric::RubricContent;
use crate::{
    audit::{self, AuditEvent},
    authz::Principal,
    db::{self, Scope},
    error::ApiError,
    registry::model::OrgType,
    state::AppState,
    tenants,
};

/// A stored version with its content.
#[derive(Clone, Debug)]
pub struct RubricView {
    pub model: rubric::Model,
    pub content: RubricContent,
    /// A campaign uses it: it can no longer change.
    pub in_use: bool,
}

const ORG_TYPES: [OrgType; 3] = [
    OrgType::SocialGroup,
    OrgType::SocialServiceOrganisation,
    OrgType::Foundation,
];

fn content_of(model: &rubric::Model) -> Result<RubricContent, ApiError> {
    serde_json::from_str(&model.content).map_err(ApiError::internal)
}

/// Installs the default rubric (version 1) for each organisation type the tenant has none for.
/// What evaluations does when a tenant is created: it starts with the default rubric for each
/// organisation type.
pub const ON_TENANT_CREATED: &[tenants::service::OnTenantCreated] = &[seed_new_tenant];

fn seed_new_tenant<'a>(
    db: &'a sea_orm::DatabaseTransaction,
    tenant_id: Uuid,
    now: DateTime<Utc>,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), DbErr>> + Send + 'a>> {
    Box::pin(ensure_defaults(db, tenant_id, now))
}

pub async fn ensure_defaults(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let content = serde_json::to_string(&RubricContent::default_rubric())
        .map_err(|error| DbErr::Custom(error.to_string()))?;
    for org_type in ORG_TYPES {
        let existing = rubric::Entity::find()
            .filter(rubric::Column::TenantId.eq(tenant_id))
            .filter(rubric::Column::OrgType.eq(org_type.as_str()))
            .count(db)
            .await?;
        if existing == 0 {
            rubric::Entity::insert(
                rubric::Model {
                    id: Uuid::now_v7(),
                    tenant_id,
                    org_type: org_type.as_str().to_owned(),
                    version: 1,
                    content: content.clone(),
                    created_at: now,
                    created_by: None,
                    updated_at: now,
                }
                .into_active_model(),
            )
            .exec_without_returning(db)
            .await?;
        }
    }
    Ok(())
}

/// Every tenant without rubrics gets the defaults (at start, for tenants made before rubrics).
pub async fn ensure_defaults_everywhere(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    for tenant_id in tenants::repo::all_ids(db).await? {
        ensure_defaults(db, tenant_id, now).await?;
    }
    Ok(())
}

async fn in_use(db: &impl ConnectionTrait, id: Uuid) -> Result<bool, DbErr> {
    Ok(evaluation_campaign::Entity::find()
        .filter(evaluation_campaign::Column::RubricId.eq(id))
        .count(db)
        .await?
        > 0)
}

async fn view(db: &impl ConnectionTrait, model: rubric::Model) -> Result<RubricView, ApiError> {
    Ok(RubricView {
        content: content_of(&model)?,
        in_use: in_use(db, model.id).await?,
        model,
    })
}

/// A tenant's rubric versions (public), newest version first per type.
pub async fn list(
    state: &AppState,
    slug: &str,
    org_type: Option<&str>,
) -> Result<Vec<RubricView>, ApiError> {
    let tenant = tenants::service::get_tenant(state, slug).await?;
    let mut query = rubric::Entity::find()
        .filter(rubric::Column::TenantId.eq(tenant.id()))
        .order_by_asc(rubric::Column::OrgType)
        .order_by_desc(rubric::Column::Version);
    if let Some(org_type) = org_type {
        query = query.filter(rubric::Column::OrgType.eq(org_type));
    }
    let mut views = Vec::new();
    for model in query.all(&state.db).await? {
        views.push(view(&state.db, model).await?);
    }
    Ok(views)
}

/// One version (public).
pub async fn get(state: &AppState, id: Uuid) -> Result<RubricView, ApiError> {
    let model = rubric::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or_else(ApiError::not_found)?;
    view(&state.db, model).await
}

fn checked(content: RubricContent) -> Result<RubricContent, ApiError> {
    content.check().map_err(ApiError::validation)?;
    Ok(content)
}

/// A new version for a type: one more than the newest (the tenant's registry administrators).
pub async fn create_version(
    state: &AppState,
    principal: &Principal,
    slug: &str,
    org_type: &str,
    content: RubricContent,
) -> Result<RubricView, ApiError> {
    let tenant = tenants::service::get_tenant(state, slug).await?;
    principal
        .tenant_access(&tenant.position())
        .require_manage_public()?;
    let Some(org_type) = OrgType::parse(org_type) else {
        return Err(ApiError::field(
            "org_type",
            "invalid",
            "social_group, social_service_organisation or foundation",
        ));
    };
    let content = checked(content)?;
    let now = state.clock.now();
    let transaction = db::begin(&state.db, Scope::Tenant(tenant.id())).await?;
    let newest = rubric::Entity::find()
        .filter(rubric::Column::TenantId.eq(tenant.id()))
        .filter(rubric::Column::OrgType.eq(org_type.as_str()))
        .order_by_desc(rubric::Column::Version)
        .one(&transaction)
        .await?
        .map_or(0, |model| model.version);
    let model = rubric::Model {
        id: Uuid::now_v7(),
        tenant_id: tenant.id(),
        org_type: org_type.as_str().to_owned(),
        version: newest + 1,
        content: serde_json::to_string(&content).map_err(ApiError::internal)?,
        created_at: now,
        created_by: Some(principal.user_id),
        updated_at: now,
    };
    // Two versions made at once: the unique index refuses the second.
    rubric::Entity::insert(model.clone().into_active_model())
        .exec_without_returning(&transaction)
        .await
        .map_err(ApiError::conflict_if_unique(
            "edit_conflict",
            None,
            "another version was made meanwhile; try again",
        ))?;
    audit::record(
        &transaction,
        &state.audit,
        AuditEvent::new(now, "rubric", model.id, "create")
            .actor(principal.user_id)
            .tenant(tenant.id())
            .data(serde_json::json!({ "org_type": model.org_type, "version": model.version })),
    )
    .await?;
    transaction.commit().await?;
    Ok(RubricView {
        model,
        content,
        in_use: false,
    })
}

/// Replaces a version's content while no campaign uses it.
pub async fn replace(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    content: RubricContent,
) -> Result<RubricView, ApiError> {
    let existing = rubric::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let tenant = tenants::service::get_tenant_by_id(state, existing.tenant_id).await?;
    principal
        .tenant_access(&tenant.position())
        .require_manage_public()?;
    let content = checked(content)?;
    let now = state.clock.now();
    let transaction = db::begin(&state.db, Scope::Tenant(tenant.id())).await?;
    crate::db::lock_row(&transaction, "rubrics", id).await?;
    if in_use(&transaction, id).await? {
        return Err(ApiError::conflict(
            "rubric_in_use",
            None,
            "a campaign uses this version; make a new version instead",
        ));
    }
    let mut active = existing.into_active_model();
    active.content = sea_orm::Set(serde_json::to_string(&content).map_err(ApiError::internal)?);
    active.updated_at = sea_orm::Set(now);
    let model = active.update(&transaction).await?;
    audit::record(
        &transaction,
        &state.audit,
        AuditEvent::new(now, "rubric", id, "replace")
            .actor(principal.user_id)
            .tenant(tenant.id()),
    )
    .await?;
    transaction.commit().await?;
    Ok(RubricView {
        model,
        content,
        in_use: false,
    })
}

/// The content of a version, for scoring.
pub async fn content(db: &impl ConnectionTrait, id: Uuid) -> Result<RubricContent, ApiError> {
    let model = rubric::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(ApiError::not_found)?;
    content_of(&model)
}

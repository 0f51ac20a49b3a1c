//! Filing and handling complaints.

use std::net::IpAddr;

use chrono::Duration;
use entities::complaint;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::{
    audit::{self, AuditEvent},
    authz::{Principal, TenantAccess},
    db::{self, Scope},
    error::ApiError,
    ratelimit,
    registry::organisations,
    state::AppState,
    tenants,
};

/// Complaints one address may file per hour.
const PER_HOUR: i32 = 5;

/// Files a complaint about an organisation; anyone may, a few times an hour per address.
pub async fn file_complaint(
    state: &AppState,
    organisation_id: &str,
    text: String,
    contact: Option<String>,
    client: Option<IpAddr>,
) -> Result<complaint::Model, ApiError> {
    let organisation = organisations::service::get_organisation(state, &None, organisation_id)
        .await?
        .model;
    let now = state.clock.now();
    let address = client.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
    if let Some(retry_after) = ratelimit::hit(
        &state.db,
        &format!("complaint:{address}"),
        PER_HOUR,
        Duration::hours(1),
        now,
    )
    .await?
    {
        return Err(ApiError::too_many_requests(retry_after));
    }
    let model = complaint::Model {
        id: Uuid::now_v7(),
        tenant_id: organisation.tenant_id,
        organisation_id: organisation.id,
        text,
        contact,
        attachments: "[]".to_owned(),
        status: "open".to_owned(),
        resolution: None,
        client_address: Some(address),
        created_at: now,
        handled_by: None,
        closed_at: None,
    };
    let transaction = db::begin(&state.db, Scope::Tenant(organisation.tenant_id)).await?;
    complaint::Entity::insert(model.clone().into_active_model().reset_all())
        .exec_without_returning(&transaction)
        .await?;
    audit::record(
        &transaction,
        AuditEvent::new(now, "complaint", model.id, "file")
            .tenant(organisation.tenant_id)
            .data(serde_json::json!({ "organisation_id": organisation.id })),
    )
    .await?;
    transaction.commit().await?;
    Ok(model)
}

/// Complaints of a tenant (and the tenants below it), for its administrators.
pub async fn list_complaints(
    state: &AppState,
    principal: &Principal,
    slug: &str,
    status: Option<String>,
    before: Option<Uuid>,
    limit: u64,
) -> Result<Vec<complaint::Model>, ApiError> {
    let tenant = tenants::service::get_tenant(state, slug).await?;
    principal.tenant_access(&tenant.position()).require_read()?;
    let scope = tenants::repo::subtree_ids(&state.db, &[tenant.id()]).await?;
    let mut condition = Condition::all().add(complaint::Column::TenantId.is_in(scope));
    if let Some(status) = status {
        condition = condition.add(complaint::Column::Status.eq(status));
    }
    if let Some(before) = before {
        condition = condition.add(complaint::Column::Id.lt(before));
    }
    Ok(complaint::Entity::find()
        .filter(condition)
        .order_by_desc(complaint::Column::Id)
        .limit(limit)
        .all(&state.db)
        .await?)
}

/// One complaint, for the administrators of its tenant or a parent; 404 for everyone else.
pub async fn get_complaint(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
) -> Result<(complaint::Model, TenantAccess), ApiError> {
    let model = complaint::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let tenant = tenants::service::get_tenant_by_id(state, model.tenant_id).await?;
    let access = principal.tenant_access(&tenant.position());
    match access {
        TenantAccess::Manage | TenantAccess::Read => Ok((model, access)),
        _ => Err(ApiError::not_found()),
    }
}

/// Moves a complaint on: `in_progress`, or `closed` with the resolution.
pub async fn handle_complaint(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    status: &str,
    resolution: Option<String>,
) -> Result<complaint::Model, ApiError> {
    let (mut model, access) = get_complaint(state, principal, id).await?;
    access.require_manage()?;
    if model.status == "closed" {
        return Err(ApiError::invalid_transition(
            "complaint",
            "closed",
            "handled",
        ));
    }
    let now = state.clock.now();
    if status == "closed" {
        let resolution = resolution
            .filter(|text| !text.trim().is_empty())
            .ok_or_else(|| {
                ApiError::field(
                    "resolution",
                    "required",
                    "say how the complaint was resolved",
                )
            })?;
        model.resolution = Some(resolution);
        model.closed_at = Some(now);
    } else if let Some(resolution) = resolution {
        model.resolution = Some(resolution);
    }
    model.status = status.to_owned();
    model.handled_by = Some(principal.user_id);
    let transaction = db::begin(&state.db, Scope::Tenant(model.tenant_id)).await?;
    complaint::Entity::update(model.clone().into_active_model().reset_all())
        .exec(&transaction)
        .await?;
    audit::record(
        &transaction,
        AuditEvent::new(now, "complaint", model.id, "handle")
            .actor(principal.user_id)
            .tenant(model.tenant_id)
            .data(serde_json::json!({ "status": status })),
    )
    .await?;
    transaction.commit().await?;
    Ok(model)
}

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
    documents::service::{self as documents, NewDocument, Received, Visibility},
    error::ApiError,
    ratelimit,
    registry::organisations,
    state::AppState,
    tenants,
};

/// Complaints one address may file per hour.
const PER_HOUR: i32 = 5;

/// Files allowed with one complaint.
pub const MAX_ATTACHMENTS: usize = 3;

/// A file a reporter attached, received but not yet stored.
pub struct Attachment {
    pub received: Received,
    pub file_name: Option<String>,
    pub claimed_type: Option<String>,
}

/// The organisation a complaint is about, once the reporter's address is within its limit.
/// Checked before anything of the request body is read.
pub async fn admit_reporter(
    state: &AppState,
    organisation_id: &str,
    client: Option<IpAddr>,
) -> Result<(entities::organisation::Model, String), ApiError> {
    let organisation = organisations::service::get_organisation(state, &None, organisation_id)
        .await?
        .model;
    let address = client.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
    let now = state.clock.now();
    let key = format!("complaint:{address}");
    if let Some(retry_after) =
        ratelimit::hit(&state.db, &key, PER_HOUR, Duration::hours(1), now).await?
    {
        return Err(ApiError::too_many_requests(retry_after));
    }
    Ok((organisation, address))
}

/// Files a complaint about an organisation, with its attachments (typed and stored like any
/// document, private to the registry). Nothing is kept if any attachment is refused.
pub async fn file_complaint(
    state: &AppState,
    organisation: &entities::organisation::Model,
    address: String,
    text: String,
    contact: Option<String>,
    attachments: Vec<Attachment>,
) -> Result<complaint::Model, ApiError> {
    let tenant = tenants::service::get_tenant_by_id(state, organisation.tenant_id).await?;
    let id = Uuid::now_v7();
    let mut stored: Vec<entities::document::Model> = Vec::new();
    let mut failure = None;
    for attachment in attachments {
        if failure.is_none() {
            let result = documents::store_received(
                state,
                None,
                &tenant,
                ("complaint", id.to_string()),
                NewDocument {
                    visibility: Visibility::Private,
                    file_name: attachment.file_name,
                    claimed_type: attachment.claimed_type,
                },
                &attachment.received,
            )
            .await;
            match result {
                Ok(document) => stored.push(document),
                Err(error) => failure = Some(error),
            }
        }
        attachment.received.discard().await;
    }
    if let Some(error) = failure {
        for document in &stored {
            documents::discard_stored(state, document).await;
        }
        return Err(error.into());
    }
    let now = state.clock.now();
    let ids: Vec<Uuid> = stored.iter().map(|document| document.id).collect();
    let model = complaint::Model {
        id,
        tenant_id: organisation.tenant_id,
        organisation_id: organisation.id,
        text,
        contact,
        attachments: serde_json::to_string(&ids).unwrap_or_else(|_| "[]".into()),
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
        &state.audit,
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
    let updated = complaint::Entity::update_many()
        .set(model.clone().into_active_model().reset_all())
        .filter(complaint::Column::Id.eq(model.id))
        .filter(complaint::Column::Status.ne("closed"))
        .exec(&transaction)
        .await?;
    if updated.rows_affected == 0 {
        return Err(ApiError::invalid_transition(
            "complaint",
            "closed",
            "handled",
        ));
    }
    audit::record(
        &transaction,
        &state.audit,
        AuditEvent::new(now, "complaint", model.id, "handle")
            .actor(principal.user_id)
            .tenant(model.tenant_id)
            .data(serde_json::json!({ "status": status })),
    )
    .await?;
    transaction.commit().await?;
    Ok(model)
}

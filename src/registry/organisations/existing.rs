//! Recording an organisation registered before socorg, under the code it already has.

use chrono::NaiveDate;
use entities::organisation;
use uuid::Uuid;

use super::{
    repo,
    service::{HistoryEvent, record_event},
};
use crate::{
    audit::{self, AuditEvent},
    authz::Principal,
    db::{self, Scope},
    error::ApiError,
    registry::model::{OrgStatus, OrgType, SubKind},
    state::AppState,
    tenants,
    types::{Uscc, UsccError, name_key},
};

/// An organisation as the registry's old records have it.
pub struct ExistingOrganisation {
    pub uscc: String,
    /// Required when the code fails its check character: why it is recorded anyway.
    pub override_reason: Option<String>,
    pub name: String,
    pub org_type: OrgType,
    pub sub_kind: Option<SubKind>,
    pub address: String,
    pub legal_representative: String,
    pub service_areas: Vec<String>,
    pub founded_on: Option<NaiveDate>,
    pub registered_funds_fen: i64,
}

/// Records an existing organisation (the tenant's registry administrators). A code with the wrong
/// check character is accepted only with a written reason, which the audit log keeps.
pub async fn record_existing(
    state: &AppState,
    principal: &Principal,
    slug: &str,
    existing: ExistingOrganisation,
) -> Result<organisation::Model, ApiError> {
    let tenant = tenants::service::get_tenant(state, slug).await?;
    principal
        .tenant_access(&tenant.position())
        .require_manage()?;
    let reason = existing
        .override_reason
        .as_deref()
        .map(str::trim)
        .filter(|reason| !reason.is_empty());
    let (uscc, override_reason) = match Uscc::parse(&existing.uscc) {
        Ok(code) => (code.to_string(), None),
        Err(UsccError::CheckCharacter) => match reason {
            Some(reason) => (
                existing.uscc.trim().to_ascii_uppercase(),
                Some(reason.to_owned()),
            ),
            None => {
                return Err(ApiError::field(
                    "uscc",
                    "check_character",
                    "the check character does not match; give `uscc_override_reason` to record it anyway",
                ));
            }
        },
        Err(error) => return Err(ApiError::field("uscc", "invalid", error.to_string())),
    };
    let now = state.clock.now();
    let today = tenant.local_date(now);
    let model = organisation::Model {
        id: Uuid::now_v7(),
        tenant_id: tenant.id(),
        uscc,
        uscc_override_reason: override_reason.clone(),
        name_key: name_key(&existing.name),
        name: existing.name,
        org_type: existing.org_type.as_str().to_owned(),
        sub_kind: existing.sub_kind.map(|kind| kind.as_str().to_owned()),
        address: existing.address,
        legal_representative: existing.legal_representative,
        service_areas: serde_json::to_string(&existing.service_areas)
            .unwrap_or_else(|_| "[]".into()),
        founded_on: existing.founded_on,
        registered_funds_fen: existing.registered_funds_fen,
        contact_phone: None,
        contact_email: None,
        purpose: None,
        status: OrgStatus::Registered.as_str().to_owned(),
        status_reason: None,
        status_date: Some(today),
        registered_at: None,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let transaction = db::begin(&state.db, Scope::Tenant(tenant.id())).await?;
    repo::insert(&transaction, model.clone())
        .await
        .map_err(ApiError::conflict_if_unique(
            "already_recorded",
            Some("uscc"),
            "an organisation with this code or this name is already recorded",
        ))?;
    record_event(
        &transaction,
        &model,
        now,
        HistoryEvent {
            event: "recorded",
            effective_on: today,
            data: serde_json::json!({ "uscc": model.uscc, "name": model.name }),
            disclosure_id: None,
            actor: Some(principal.user_id),
        },
    )
    .await?;
    audit::record(
        &transaction,
        &state.audit,
        AuditEvent::new(now, "organisation", model.id, "record_existing")
            .actor(principal.user_id)
            .tenant(tenant.id())
            .data(serde_json::json!({
                "uscc": model.uscc,
                "name": model.name,
                "check_character_override": override_reason,
            })),
    )
    .await?;
    transaction.commit().await?;
    Ok(model)
}

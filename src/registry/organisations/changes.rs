//! Applications by an organisation to change its record or to deregister, decided by the registry.

use entities::{organisation, organisation_application as application};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{
    repo,
    service::{HistoryEvent, may_see_private, record_event},
    status::for_registry_action,
};
use crate::{
    audit::{self, AuditEvent},
    authz::Principal,
    db::{self, Scope},
    disclosures::{self, Category, NewDisclosure},
    error::ApiError,
    registry::model::OrgStatus,
    state::AppState,
    tenants::{self, TenantRef},
    types::name_key,
};

/// The fields a change application may change.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestedChanges {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub legal_representative: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_areas: Option<Vec<String>>,
}

impl RequestedChanges {
    pub fn is_empty(&self) -> bool {
        self == &RequestedChanges::default()
    }
}

pub const CHANGE: &str = "change";
pub const DEREGISTRATION: &str = "deregistration";

/// The organisation, for its own administrators (404 for strangers, 403 for other readers).
async fn for_organisation_admin(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
) -> Result<(organisation::Model, TenantRef), ApiError> {
    let model = repo::find(&state.db, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let tenant = tenants::service::get_tenant_by_id(state, model.tenant_id).await?;
    if principal.is_organisation_admin(model.id) {
        return Ok((model, tenant));
    }
    if may_see_private(principal, &model, &tenant) {
        return Err(ApiError::forbidden());
    }
    Err(ApiError::not_found())
}

async fn file_application(
    state: &AppState,
    principal: &Principal,
    organisation: &organisation::Model,
    tenant: &TenantRef,
    kind: &'static str,
    changes: &RequestedChanges,
    reason: Option<String>,
) -> Result<application::Model, ApiError> {
    if !OrgStatus::parse(&organisation.status).is_some_and(OrgStatus::is_live) {
        return Err(ApiError::invalid_transition(
            "organisation",
            &organisation.status,
            "changed",
        ));
    }
    let pending = repo::applications_of(&state.db, organisation.id)
        .await?
        .into_iter()
        .any(|existing| existing.kind == kind && existing.status == "submitted");
    if pending {
        return Err(ApiError::conflict(
            "application_pending",
            None,
            "an application of this kind is already waiting for a decision",
        ));
    }
    let now = state.clock.now();
    let model = application::Model {
        id: Uuid::now_v7(),
        tenant_id: tenant.id(),
        organisation_id: organisation.id,
        applicant_user_id: principal.user_id,
        kind: kind.to_owned(),
        status: "submitted".to_owned(),
        changes: serde_json::to_string(changes).unwrap_or_else(|_| "{}".into()),
        reason,
        decision_reason: None,
        submitted_at: now,
        decided_at: None,
        decided_by: None,
    };
    let transaction = db::begin(&state.db, Scope::Tenant(tenant.id())).await?;
    repo::insert_application(&transaction, model.clone()).await?;
    audit::record(
        &transaction,
        &state.audit,
        AuditEvent::new(now, "organisation", organisation.id, "apply")
            .actor(principal.user_id)
            .tenant(tenant.id())
            .data(
                serde_json::json!({ "kind": kind, "changes": changes, "application_id": model.id }),
            ),
    )
    .await?;
    transaction.commit().await?;
    Ok(model)
}

/// An organisation's administrator asks to change name, address, representative or areas.
pub async fn apply_for_change(
    state: &AppState,
    principal: &Principal,
    organisation_id: Uuid,
    changes: RequestedChanges,
    reason: Option<String>,
) -> Result<application::Model, ApiError> {
    let (organisation, tenant) = for_organisation_admin(state, principal, organisation_id).await?;
    if changes.is_empty() {
        return Err(ApiError::field(
            "changes",
            "required",
            "name at least one field to change",
        ));
    }
    if let Some(name) = &changes.name
        && repo::live_with_name(
            &state.db,
            tenant.id(),
            &name_key(name),
            Some(organisation.id),
        )
        .await?
        .is_some()
    {
        return Err(crate::registry::name_taken());
    }
    file_application(
        state,
        principal,
        &organisation,
        &tenant,
        CHANGE,
        &changes,
        reason,
    )
    .await
}

/// An organisation's administrator asks to deregister (注销) it.
pub async fn apply_for_deregistration(
    state: &AppState,
    principal: &Principal,
    organisation_id: Uuid,
    reason: String,
) -> Result<application::Model, ApiError> {
    let (organisation, tenant) = for_organisation_admin(state, principal, organisation_id).await?;
    if reason.trim().is_empty() {
        return Err(ApiError::field(
            "reason",
            "required",
            "say why the organisation deregisters",
        ));
    }
    file_application(
        state,
        principal,
        &organisation,
        &tenant,
        DEREGISTRATION,
        &RequestedChanges::default(),
        Some(reason.trim().to_owned()),
    )
    .await
}

/// The organisation's applications (its members and the tenant's administrators).
pub async fn list_applications(
    state: &AppState,
    principal: &Principal,
    organisation_id: Uuid,
) -> Result<Vec<application::Model>, ApiError> {
    let model = repo::find(&state.db, organisation_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let tenant = tenants::service::get_tenant_by_id(state, model.tenant_id).await?;
    if !may_see_private(principal, &model, &tenant) {
        return Err(ApiError::not_found());
    }
    Ok(repo::applications_of(&state.db, organisation_id).await?)
}

fn describe_changes(
    organisation: &organisation::Model,
    changes: &RequestedChanges,
) -> Vec<(&'static str, String, String)> {
    let mut described = Vec::new();
    if let Some(name) = &changes.name {
        described.push(("name_changed", organisation.name.clone(), name.clone()));
    }
    if let Some(address) = &changes.address {
        described.push((
            "address_changed",
            organisation.address.clone(),
            address.clone(),
        ));
    }
    if let Some(representative) = &changes.legal_representative {
        described.push((
            "representative_changed",
            organisation.legal_representative.clone(),
            representative.clone(),
        ));
    }
    if let Some(areas) = &changes.service_areas {
        let before: Vec<String> =
            serde_json::from_str(&organisation.service_areas).unwrap_or_default();
        described.push(("service_areas_changed", before.join("、"), areas.join("、")));
    }
    described
}

fn label(event: &str) -> &'static str {
    match event {
        "name_changed" => "名称",
        "address_changed" => "住所",
        "representative_changed" => "法定代表人",
        _ => "业务范围",
    }
}

/// Approves or rejects a submitted application (the tenant's registry administrators).
pub async fn decide_application(
    state: &AppState,
    principal: &Principal,
    organisation_id: Uuid,
    application_id: Uuid,
    approve: bool,
    reason: Option<String>,
) -> Result<(application::Model, organisation::Model), ApiError> {
    let (mut organisation, tenant) = for_registry_action(state, principal, organisation_id).await?;
    let mut decided = repo::find_application(&state.db, application_id)
        .await?
        .filter(|application| application.organisation_id == organisation_id)
        .ok_or_else(ApiError::not_found)?;
    if decided.status != "submitted" {
        return Err(ApiError::invalid_transition(
            "application",
            &decided.status,
            "decided",
        ));
    }
    let now = state.clock.now();
    let today = tenant.local_date(now);
    decided.status = if approve { "approved" } else { "rejected" }.to_owned();
    decided.decision_reason = reason.clone();
    decided.decided_at = Some(now);
    decided.decided_by = Some(principal.user_id);
    let transaction = db::begin(&state.db, Scope::Tenant(tenant.id())).await?;
    if !repo::decide_application(&transaction, decided.clone()).await? {
        return Err(ApiError::conflict(
            "edit_conflict",
            None,
            "the application was decided meanwhile",
        ));
    }
    if approve {
        let expected = organisation.version;
        let before = organisation.clone();
        let (category, title, body, events) = if decided.kind == DEREGISTRATION {
            organisation.status = OrgStatus::Deregistered.as_str().to_owned();
            organisation.status_reason = decided.reason.clone();
            organisation.status_date = Some(today);
            (
                Category::Deregistration,
                format!("关于准予{}注销登记的公告", before.name),
                format!(
                    "经审核，准予{name}（统一社会信用代码：{code}）注销登记。",
                    name = before.name,
                    code = before.uscc
                ),
                vec![(
                    "deregistered",
                    before.status.clone(),
                    organisation.status.clone(),
                )],
            )
        } else {
            let changes: RequestedChanges =
                serde_json::from_str(&decided.changes).unwrap_or_default();
            let events = describe_changes(&before, &changes);
            if let Some(name) = changes.name {
                organisation.name_key = name_key(&name);
                organisation.name = name;
            }
            if let Some(address) = changes.address {
                organisation.address = address;
            }
            if let Some(representative) = changes.legal_representative {
                organisation.legal_representative = representative;
            }
            if let Some(areas) = changes.service_areas {
                organisation.service_areas =
                    serde_json::to_string(&areas).unwrap_or_else(|_| "[]".into());
            }
            let lines: Vec<String> = events
                .iter()
                .map(|(event, from, to)| format!("{}：由“{from}”变更为“{to}”", label(event)))
                .collect();
            (
                Category::Change,
                format!("关于{}变更登记的公告", before.name),
                format!(
                    "经审核，准予{name}（统一社会信用代码：{code}）变更登记：\n{lines}",
                    name = before.name,
                    code = before.uscc,
                    lines = lines.join("\n")
                ),
                events,
            )
        };
        organisation.version += 1;
        organisation.updated_at = now;
        let saved = repo::save_if_version(&transaction, organisation.clone(), expected)
            .await
            .map_err(crate::registry::name_taken_if_unique())?;
        if !saved {
            return Err(ApiError::conflict(
                "edit_conflict",
                None,
                "the organisation changed meanwhile",
            ));
        }
        let disclosure = disclosures::publish(
            &transaction,
            &state.audit,
            &tenant,
            now,
            NewDisclosure {
                category,
                title,
                body,
                written_on: Some(today),
                document_number: None,
                subject_terms: vec!["社会组织".to_owned(), category.label_zh().to_owned()],
                attachments: Vec::new(),
                subject: Some(("organisation", organisation.id.to_string())),
                supersedes: None,
                created_by: Some(principal.user_id),
            },
        )
        .await?;
        for (event, from, to) in events {
            record_event(
                &transaction,
                &organisation,
                now,
                HistoryEvent {
                    event,
                    effective_on: today,
                    data: serde_json::json!({ "from": from, "to": to, "reason": decided.reason }),
                    disclosure_id: Some(disclosure.id),
                    actor: Some(principal.user_id),
                },
            )
            .await?;
        }
    }
    audit::record(&transaction, &state.audit,
        AuditEvent::new(now, "organisation", organisation.id, if approve { "approve_application" } else { "reject_application" })
            .actor(principal.user_id)
            .tenant(tenant.id())
            .data(serde_json::json!({ "application_id": decided.id, "kind": decided.kind, "reason": reason })),
    )
    .await?;
    transaction.commit().await?;
    Ok((decided, organisation))
}

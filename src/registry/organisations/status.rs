//! Status changes decided by the registry: the abnormal-activity list and revocation.

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
    disclosures::{self, Category, NewDisclosure},
    error::ApiError,
    registry::model::OrgStatus,
    state::AppState,
    tenants::{self, TenantRef},
};

/// The organisation, for a change by its tenant's administrators (404 for strangers, 403 for
/// readers).
pub async fn for_registry_action(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
) -> Result<(organisation::Model, TenantRef), ApiError> {
    let model = repo::find(&state.db, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let tenant = tenants::service::get_tenant_by_id(state, model.tenant_id).await?;
    principal
        .tenant_access(&tenant.position())
        .require_manage()?;
    Ok((model, tenant))
}

fn status_of(model: &organisation::Model) -> OrgStatus {
    OrgStatus::parse(&model.status).unwrap_or(OrgStatus::Registered)
}

pub(crate) struct StatusChange<'a> {
    pub to: OrgStatus,
    pub event: &'static str,
    pub category: Category,
    pub title: String,
    pub body: String,
    pub reason: &'a str,
    pub attachments: Vec<Uuid>,
    /// More for the history entry: why the system acted (`cause`, `year`).
    pub cause: Option<serde_json::Value>,
    /// The e-mail to send, queued with the change.
    pub email: Option<crate::registry::annual::sweep::AbnormalListingEmailJob>,
}

/// Changes the status, announces it and records it; `actor` is none for the system's own
/// decisions (the annual report deadline).
pub(crate) async fn change_status(
    state: &AppState,
    actor: Option<Uuid>,
    mut model: organisation::Model,
    tenant: &TenantRef,
    change: StatusChange<'_>,
) -> Result<organisation::Model, ApiError> {
    let now = state.clock.now();
    let today = tenant.local_date(now);
    let from = model.status.clone();
    let expected = model.version;
    model.status = change.to.as_str().to_owned();
    model.status_reason = Some(change.reason.to_owned());
    model.status_date = Some(today);
    model.updated_at = now;
    model.version += 1;
    let transaction = db::begin(&state.db, Scope::Tenant(tenant.id())).await?;
    if !repo::save_if_version(&transaction, model.clone(), expected).await? {
        return Err(ApiError::conflict(
            "edit_conflict",
            None,
            "the organisation changed meanwhile; try again",
        ));
    }
    if !change.to.is_live() {
        repo::reject_pending_applications(
            &transaction,
            model.id,
            "登记已撤销或注销 / registration ended",
            now,
        )
        .await?;
    }
    let disclosure = disclosures::publish(
        &transaction,
        &state.audit,
        tenant,
        now,
        NewDisclosure {
            category: change.category,
            title: change.title,
            body: change.body,
            written_on: Some(today),
            document_number: None,
            subject_terms: vec!["社会组织".to_owned(), change.category.label_zh().to_owned()],
            attachments: change.attachments,
            subject: Some(("organisation", model.id.to_string())),
            supersedes: None,
            created_by: actor,
        },
    )
    .await?;
    record_event(
        &transaction,
        &model,
        now,
        HistoryEvent {
            event: change.event,
            effective_on: today,
            data: serde_json::json!({
                "from": from,
                "to": model.status,
                "reason": change.reason,
                "cause": change.cause,
            }),
            disclosure_id: Some(disclosure.id),
            actor,
        },
    )
    .await?;
    audit::record(
        &transaction,
        &state.audit,
        AuditEvent::new(now, "organisation", model.id, change.event)
            .actor_opt(actor)
            .tenant(tenant.id())
            .data(serde_json::json!({ "from": from, "reason": change.reason })),
    )
    .await?;
    if let Some(email) = &change.email {
        crate::jobs::queue::enqueue(&transaction, now, email, 5).await?;
    }
    transaction.commit().await?;
    Ok(model)
}

fn require_reason(reason: &str) -> Result<&str, ApiError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(ApiError::field(
            "reason",
            "required",
            "a reason is required",
        ));
    }
    if reason.chars().count() > 1000 {
        return Err(ApiError::field(
            "reason",
            "too_long",
            "at most 1000 characters",
        ));
    }
    Ok(reason)
}

/// Lists a registered organisation on the abnormal-activity list (活动异常名录).
pub async fn list_as_abnormal(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    reason: &str,
) -> Result<organisation::Model, ApiError> {
    let reason = require_reason(reason)?;
    let (model, tenant) = for_registry_action(state, principal, id).await?;
    if status_of(&model) != OrgStatus::Registered {
        return Err(ApiError::invalid_transition(
            "organisation",
            &model.status,
            "listed as abnormal",
        ));
    }
    let change = StatusChange {
        to: OrgStatus::Abnormal,
        event: "listed_abnormal",
        category: Category::AbnormalListing,
        title: format!("关于将{}列入活动异常名录的公告", model.name),
        body: format!(
            "{name}（统一社会信用代码：{code}）因{reason}，列入社会组织活动异常名录。",
            name = model.name,
            code = model.uscc
        ),
        reason,
        attachments: Vec::new(),
        cause: None,
        email: None,
    };
    change_status(state, Some(principal.user_id), model, &tenant, change).await
}

/// Removes an organisation from the abnormal-activity list.
pub async fn remove_from_abnormal_list(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    reason: &str,
) -> Result<organisation::Model, ApiError> {
    let reason = require_reason(reason)?;
    let (model, tenant) = for_registry_action(state, principal, id).await?;
    if status_of(&model) != OrgStatus::Abnormal {
        return Err(ApiError::invalid_transition(
            "organisation",
            &model.status,
            "removed from the abnormal list",
        ));
    }
    // Listed for a missing annual report: the report must be filed first.
    if let Some(year) =
        crate::registry::annual::listed_for_missing_report(&state.db, &model).await?
        && crate::registry::annual::report_for(&state.db, model.id, year)
            .await?
            .is_none()
    {
        return Err(ApiError::conflict(
            "annual_report_missing",
            None,
            format!(
                "the organisation was listed for its missing {year} annual report; it must file it first"
            ),
        ));
    }
    let change = StatusChange {
        to: OrgStatus::Registered,
        event: "delisted_abnormal",
        category: Category::AbnormalDelisting,
        title: format!("关于将{}移出活动异常名录的公告", model.name),
        body: format!(
            "{name}（统一社会信用代码：{code}）因{reason}，移出社会组织活动异常名录。",
            name = model.name,
            code = model.uscc
        ),
        reason,
        attachments: Vec::new(),
        cause: None,
        email: None,
    };
    change_status(state, Some(principal.user_id), model, &tenant, change).await
}

/// Revokes a live organisation's registration (撤销), with the decision document.
pub async fn revoke(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    reason: &str,
    decision_document: Uuid,
) -> Result<organisation::Model, ApiError> {
    let reason = require_reason(reason)?;
    let (model, tenant) = for_registry_action(state, principal, id).await?;
    if !status_of(&model).is_live() {
        return Err(ApiError::invalid_transition(
            "organisation",
            &model.status,
            "revoked",
        ));
    }
    let document = crate::documents::service::find_document(state, decision_document).await?;
    let usable = document.as_ref().is_some_and(|document| {
        document.tenant_id == tenant.id() && document.visibility == "public"
    });
    if !usable {
        return Err(ApiError::field(
            "decision_document_id",
            "not_found",
            "upload the decision as a public document of the tenant first",
        ));
    }
    let change = StatusChange {
        to: OrgStatus::Revoked,
        event: "revoked",
        category: Category::Revocation,
        title: format!("关于撤销{}登记的公告", model.name),
        body: format!(
            "{name}（统一社会信用代码：{code}）因{reason}，依法撤销登记。",
            name = model.name,
            code = model.uscc
        ),
        reason,
        attachments: vec![decision_document],
        cause: None,
        email: None,
    };
    change_status(state, Some(principal.user_id), model, &tenant, change).await
}

//! The registration workflow.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use entities::{document, registration_application as application};
use poem::http::StatusCode;
use tokio::io::AsyncRead;
use tracing::{info, instrument};
use uuid::Uuid;

use super::repo::{self, RegistrationFilter};
use crate::{
    audit::{self, AuditEvent},
    authz::{Principal, TenantAccess},
    db::{self, Scope},
    documents::service::{self as documents, NewDocument, Visibility},
    error::{ApiError, FieldError},
    jobs,
    registry::{
        email::RegistrationDecisionJob,
        model::{OrgType, RegistrationAction, RegistrationStatus, SubKind},
        organisations,
    },
    state::AppState,
    tenants::{self, TenantRef},
    types::name_key,
};

/// The fields an applicant fills in. A draft may leave most of them empty.
#[derive(Debug, Clone, Default)]
pub struct RegistrationFields {
    pub name: String,
    pub org_type: Option<OrgType>,
    pub sub_kind: Option<SubKind>,
    pub address: Option<String>,
    pub legal_representative: Option<String>,
    pub service_areas: Vec<String>,
    pub founded_on: Option<NaiveDate>,
    pub registered_funds_fen: Option<i64>,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
    pub purpose: Option<String>,
    pub founding_members: Vec<String>,
    pub sponsor: Option<String>,
}

fn apply_fields(model: &mut application::Model, fields: RegistrationFields) {
    model.name_key = name_key(&fields.name);
    model.name = fields.name;
    model.org_type = fields.org_type.map(|kind| kind.as_str().to_owned());
    model.sub_kind = fields.sub_kind.map(|kind| kind.as_str().to_owned());
    model.address = fields.address;
    model.legal_representative = fields.legal_representative;
    model.service_areas =
        serde_json::to_string(&fields.service_areas).unwrap_or_else(|_| "[]".into());
    model.founded_on = fields.founded_on;
    model.registered_funds_fen = fields.registered_funds_fen;
    model.contact_phone = fields.contact_phone;
    model.contact_email = fields.contact_email;
    model.purpose = fields.purpose;
    model.founding_members =
        serde_json::to_string(&fields.founding_members).unwrap_or_else(|_| "[]".into());
    model.sponsor = fields.sponsor;
}

fn status_of(model: &application::Model) -> RegistrationStatus {
    RegistrationStatus::parse(&model.status).unwrap_or(RegistrationStatus::Draft)
}

/// What the caller may do with an application.
enum Standing {
    Applicant,
    Reviewer(TenantAccess),
}

/// The application if the caller may see it: its applicant always; the tenant's administrators
/// (and those of parent tenants, read only) once it has been submitted. Everyone else: 404.
async fn visible(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
) -> Result<(application::Model, TenantRef, Standing), ApiError> {
    let model = repo::find(&state.db, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let tenant = tenants::service::get_tenant_by_id(state, model.tenant_id).await?;
    if model.applicant_user_id == principal.user_id {
        return Ok((model, tenant, Standing::Applicant));
    }
    let access = principal.tenant_access(&tenant.position());
    let reviewer = matches!(access, TenantAccess::Manage | TenantAccess::Read);
    if reviewer && status_of(&model) != RegistrationStatus::Draft {
        return Ok((model, tenant, Standing::Reviewer(access)));
    }
    Err(ApiError::not_found())
}

fn require_applicant(standing: &Standing) -> Result<(), ApiError> {
    match standing {
        Standing::Applicant => Ok(()),
        Standing::Reviewer(_) => Err(ApiError::forbidden()),
    }
}

fn require_reviewer(standing: &Standing) -> Result<(), ApiError> {
    match standing {
        Standing::Reviewer(TenantAccess::Manage) => Ok(()),
        _ => Err(ApiError::forbidden()),
    }
}

fn check_transition(
    model: &application::Model,
    action: RegistrationAction,
    verb: &str,
) -> Result<RegistrationStatus, ApiError> {
    let current = status_of(model);
    action
        .target(current)
        .ok_or_else(|| ApiError::invalid_transition("application", current.as_str(), verb))
}

async fn save(
    db: &impl sea_orm::ConnectionTrait,
    mut model: application::Model,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<application::Model, ApiError> {
    let expected = model.version;
    model.version += 1;
    model.updated_at = now;
    if !repo::save_if_version(db, model.clone(), expected).await? {
        return Err(ApiError::conflict(
            "edit_conflict",
            None,
            "the application changed meanwhile; reload it and try again",
        ));
    }
    Ok(model)
}

/// Starts a draft (a verified NGO account).
#[instrument(skip_all, fields(tenant = %slug))]
pub async fn create_registration(
    state: &AppState,
    principal: &Principal,
    slug: &str,
    fields: RegistrationFields,
) -> Result<application::Model, ApiError> {
    principal.require_verified_email()?;
    let tenant = tenants::service::get_tenant(state, slug).await?;
    let now = state.clock.now();
    let mut model = application::Model {
        id: Uuid::now_v7(),
        tenant_id: tenant.id(),
        applicant_user_id: principal.user_id,
        status: RegistrationStatus::Draft.as_str().to_owned(),
        name: String::new(),
        name_key: String::new(),
        org_type: None,
        sub_kind: None,
        address: None,
        legal_representative: None,
        service_areas: "[]".to_owned(),
        founded_on: None,
        registered_funds_fen: None,
        contact_phone: None,
        contact_email: None,
        purpose: None,
        founding_members: "[]".to_owned(),
        sponsor: None,
        charter_document_id: None,
        review_comments: "{}".to_owned(),
        decision_reason: None,
        organisation_id: None,
        submitted_at: None,
        decided_at: None,
        decided_by: None,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    apply_fields(&mut model, fields);
    let transaction = db::begin(&state.db, Scope::Tenant(tenant.id())).await?;
    repo::insert(&transaction, model.clone()).await?;
    audit::record(
        &transaction,
        &state.audit,
        AuditEvent::new(now, "registration", model.id, "create")
            .actor(principal.user_id)
            .tenant_unless_draft(tenant.id(), true)
            .data(serde_json::json!({ "name": model.name })),
    )
    .await?;
    transaction.commit().await?;
    Ok(model)
}

pub async fn get_registration(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
) -> Result<application::Model, ApiError> {
    Ok(visible(state, principal, id).await?.0)
}

/// Replaces the applicant's fields of a draft or returned application. A tenant named in the
/// request must be the application's own: an application never moves.
pub async fn update_registration(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    tenant_slug: Option<&str>,
    fields: RegistrationFields,
    expected_version: Option<i32>,
) -> Result<application::Model, ApiError> {
    let (mut model, tenant, standing) = visible(state, principal, id).await?;
    require_applicant(&standing)?;
    if tenant_slug.is_some_and(|slug| slug != tenant.model.slug) {
        return Err(ApiError::field(
            "tenant",
            "immutable",
            "an application cannot move to another tenant",
        ));
    }
    if !status_of(&model).is_editable() {
        return Err(ApiError::invalid_transition(
            "application",
            &model.status,
            "edited",
        ));
    }
    if expected_version.is_some_and(|version| version != model.version) {
        return Err(ApiError::new(
            StatusCode::PRECONDITION_FAILED,
            "version_mismatch",
            format!("the application is at version {}", model.version),
        ));
    }
    apply_fields(&mut model, fields);
    let now = state.clock.now();
    let transaction = db::begin(&state.db, Scope::Tenant(tenant.id())).await?;
    let model = save(&transaction, model, now).await?;
    audit::record(
        &transaction,
        &state.audit,
        AuditEvent::new(now, "registration", id, "update")
            .actor(principal.user_id)
            .tenant_unless_draft(
                tenant.id(),
                model.status == RegistrationStatus::Draft.as_str(),
            ),
    )
    .await?;
    transaction.commit().await?;
    Ok(model)
}

/// Stores the charter (章程) of an editable application; it replaces an earlier one.
pub async fn attach_charter(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    file_name: Option<String>,
    claimed_type: Option<String>,
    reader: impl AsyncRead + Unpin,
) -> Result<(application::Model, document::Model), ApiError> {
    let (model, tenant, standing) = visible(state, principal, id).await?;
    require_applicant(&standing)?;
    if !status_of(&model).is_editable() {
        return Err(ApiError::invalid_transition(
            "application",
            &model.status,
            "edited",
        ));
    }
    let document = documents::store_for_owner(
        state,
        principal,
        &tenant,
        ("registration", id.to_string()),
        NewDocument {
            visibility: Visibility::Private,
            file_name,
            claimed_type,
        },
        reader,
    )
    .await?;
    let now = state.clock.now();
    let mut updated = model;
    updated.charter_document_id = Some(document.id);
    let transaction = db::begin(&state.db, Scope::Tenant(tenant.id())).await?;
    let updated = save(&transaction, updated, now).await?;
    transaction.commit().await?;
    Ok((updated, document))
}

/// Every required field and document that is missing.
fn missing_requirements(model: &application::Model) -> Vec<FieldError> {
    let mut missing = Vec::new();
    let mut require = |present: bool, field: &str, detail: &str| {
        if !present {
            missing.push(FieldError::new(field, "required", detail));
        }
    };
    let filled =
        |value: &Option<String>| value.as_deref().is_some_and(|text| !text.trim().is_empty());
    let founding_members: Vec<String> =
        serde_json::from_str(&model.founding_members).unwrap_or_default();
    let service_areas: Vec<String> = serde_json::from_str(&model.service_areas).unwrap_or_default();
    require(
        !model.name.trim().is_empty(),
        "name",
        "the organisation's name",
    );
    require(
        model.org_type.is_some(),
        "type",
        "social_group, social_service_organisation or foundation",
    );
    require(
        !service_areas.is_empty(),
        "service_areas",
        "at least one service area",
    );
    require(filled(&model.address), "address", "the registered address");
    require(
        filled(&model.legal_representative),
        "legal_representative",
        "the legal representative",
    );
    require(
        filled(&model.contact_phone) || filled(&model.contact_email),
        "contact_phone",
        "a contact telephone number or e-mail address",
    );
    require(
        !founding_members.is_empty() || filled(&model.sponsor),
        "founding_members",
        "the founding members, or the sponsor",
    );
    require(
        model.registered_funds_fen.is_some_and(|funds| funds > 0),
        "registered_funds_fen",
        "the registered funds, in fen",
    );
    require(
        model.charter_document_id.is_some(),
        "charter",
        "the charter (章程) document",
    );
    missing
}

async fn name_must_be_free(
    db: &impl sea_orm::ConnectionTrait,
    model: &application::Model,
) -> Result<(), ApiError> {
    if organisations::repo::live_with_name(db, model.tenant_id, &model.name_key, None)
        .await?
        .is_some()
    {
        return Err(crate::registry::name_taken());
    }
    Ok(())
}

async fn transition(
    state: &AppState,
    tenant: &TenantRef,
    principal: &Principal,
    model: application::Model,
    action: &'static str,
    data: serde_json::Value,
    notify: bool,
) -> Result<application::Model, ApiError> {
    let now = state.clock.now();
    let transaction = db::begin(&state.db, Scope::Tenant(tenant.id())).await?;
    let model = save(&transaction, model, now).await?;
    if notify {
        jobs::enqueue(
            &transaction,
            now,
            &RegistrationDecisionJob::for_application(&model),
            state.config.job_max_attempts,
        )
        .await?;
    }
    audit::record(
        &transaction,
        &state.audit,
        AuditEvent::new(now, "registration", model.id, action)
            .actor(principal.user_id)
            .tenant(tenant.id())
            .data(data),
    )
    .await?;
    transaction.commit().await?;
    info!(application_id = %model.id, action, "registration application changed state");
    Ok(model)
}

/// Submits a draft or an amended returned application, once it is complete.
#[instrument(skip(state, principal))]
pub async fn submit_registration(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
) -> Result<application::Model, ApiError> {
    let (mut model, tenant, standing) = visible(state, principal, id).await?;
    require_applicant(&standing)?;
    principal.require_verified_email()?;
    let target = check_transition(&model, RegistrationAction::Submit, "submitted")?;
    let mut missing = missing_requirements(&model);
    let today = tenant.local_date(state.clock.now());
    if model.founded_on.is_some_and(|founded| founded > today) {
        missing.push(FieldError::new(
            "founded_on",
            "in_future",
            "the founding date cannot be after today",
        ));
    }
    if !missing.is_empty() {
        return Err(ApiError::validation(missing));
    }
    name_must_be_free(&state.db, &model).await?;
    model.status = target.as_str().to_owned();
    model.submitted_at = Some(state.clock.now());
    transition(
        state,
        &tenant,
        principal,
        model,
        "submit",
        serde_json::json!({}),
        false,
    )
    .await
}

/// The applicant takes a submitted application back.
pub async fn withdraw_registration(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
) -> Result<application::Model, ApiError> {
    let (mut model, tenant, standing) = visible(state, principal, id).await?;
    require_applicant(&standing)?;
    model.status = check_transition(&model, RegistrationAction::Withdraw, "withdrawn")?
        .as_str()
        .to_owned();
    transition(
        state,
        &tenant,
        principal,
        model,
        "withdraw",
        serde_json::json!({}),
        false,
    )
    .await
}

/// Returns an application for amendment, with a comment per field.
pub async fn return_registration(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    comments: BTreeMap<String, String>,
) -> Result<application::Model, ApiError> {
    let (mut model, tenant, standing) = visible(state, principal, id).await?;
    require_reviewer(&standing)?;
    let target = check_transition(&model, RegistrationAction::Return, "returned")?;
    if comments.is_empty() {
        return Err(ApiError::field(
            "comments",
            "required",
            "say what must be amended",
        ));
    }
    model.status = target.as_str().to_owned();
    model.review_comments = serde_json::to_string(&comments).unwrap_or_else(|_| "{}".into());
    model.decided_by = Some(principal.user_id);
    model.decided_at = Some(state.clock.now());
    transition(
        state,
        &tenant,
        principal,
        model,
        "return",
        serde_json::json!({ "comments": comments }),
        true,
    )
    .await
}

/// Rejects an application, with reasons.
pub async fn reject_registration(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    reason: String,
) -> Result<application::Model, ApiError> {
    let (mut model, tenant, standing) = visible(state, principal, id).await?;
    require_reviewer(&standing)?;
    let target = check_transition(&model, RegistrationAction::Reject, "rejected")?;
    model.status = target.as_str().to_owned();
    model.decision_reason = Some(reason.clone());
    model.decided_by = Some(principal.user_id);
    model.decided_at = Some(state.clock.now());
    transition(
        state,
        &tenant,
        principal,
        model,
        "reject",
        serde_json::json!({ "reason": reason }),
        true,
    )
    .await
}

/// Approves an application: the organisation is registered with a new code, the applicant
/// becomes its administrator, and the registration is announced.
#[instrument(skip(state, principal))]
pub async fn approve_registration(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
) -> Result<application::Model, ApiError> {
    let (mut model, tenant, standing) = visible(state, principal, id).await?;
    require_reviewer(&standing)?;
    let target = check_transition(&model, RegistrationAction::Approve, "approved")?;
    let now = state.clock.now();
    let transaction = db::begin(&state.db, Scope::Tenant(tenant.id())).await?;
    name_must_be_free(&transaction, &model).await?;
    let organisation = organisations::service::register_from_application(
        &transaction,
        &state.audit,
        &tenant,
        &model,
        principal,
        now,
    )
    .await
    .map_err(crate::registry::name_taken_if_unique())?;
    model.status = target.as_str().to_owned();
    model.organisation_id = Some(organisation.id);
    model.decided_by = Some(principal.user_id);
    model.decided_at = Some(now);
    let model = save(&transaction, model, now).await?;
    jobs::enqueue(
        &transaction,
        now,
        &RegistrationDecisionJob::for_application(&model),
        state.config.job_max_attempts,
    )
    .await?;
    audit::record(
        &transaction,
        &state.audit,
        AuditEvent::new(now, "registration", model.id, "approve")
            .actor(principal.user_id)
            .tenant(tenant.id())
            .data(serde_json::json!({
                "organisation_id": organisation.id,
                "uscc": organisation.uscc,
            })),
    )
    .await?;
    transaction.commit().await?;
    info!(application_id = %model.id, organisation_id = %organisation.id, "registration approved");
    Ok(model)
}

/// Applications the caller may see: their own, and the submitted ones of tenants they review.
pub async fn list_registrations(
    state: &AppState,
    principal: &Principal,
    status: Option<RegistrationStatus>,
    before_id: Option<Uuid>,
    limit: u64,
) -> Result<Vec<application::Model>, ApiError> {
    let administered = principal.administered_tenants();
    let tenants = if principal.is_platform_admin() {
        Some(tenants::repo::all_ids(&state.db).await?)
    } else if administered.is_empty() {
        None
    } else {
        Some(tenants::repo::subtree_ids(&state.db, &administered).await?)
    };
    let filter = RegistrationFilter {
        tenants,
        applicant: Some(principal.user_id),
        status: status.map(|status| status.as_str().to_owned()),
        before_id,
    };
    Ok(repo::list(&state.db, filter, limit).await?)
}

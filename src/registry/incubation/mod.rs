//! The incubation base (先孵化后登记): a group without registration applies to a tenant's base,
//! `applied → admitted → incubating → graduated | exited`, with a mentor, a start, a planned
//! end and progress reports. Graduation opens a registration application pre-filled from the
//! incubation record and is disclosed. Incubating groups are listed publicly by name and field.

pub mod api;

use chrono::NaiveDate;
use entities::{incubation_group, incubation_report, registration_application};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder,
};
use uuid::Uuid;

use crate::{
    audit::{self, AuditEvent},
    authz::{Principal, TenantAccess},
    db::{self, Scope},
    disclosures::{self, Category, NewDisclosure},
    error::{ApiError, FieldError},
    registry::model::RegistrationStatus,
    state::AppState,
    tenants::{self, TenantRef},
    types::{Email, name_key, required_text},
};

pub const APPLIED: &str = "applied";
pub const ADMITTED: &str = "admitted";
pub const INCUBATING: &str = "incubating";
pub const GRADUATED: &str = "graduated";
pub const EXITED: &str = "exited";

/// A group's application to the base.
#[derive(Clone, Debug)]
pub struct NewGroup {
    pub name: String,
    pub service_areas: Vec<String>,
    pub description: String,
    pub contact_name: String,
    pub contact_email: String,
    pub contact_phone: Option<String>,
}

/// A group and whether the caller administers its tenant.
pub struct GroupView {
    pub group: incubation_group::Model,
    pub reports: Vec<incubation_report::Model>,
}

fn check_new(new: &NewGroup) -> Result<NewGroup, ApiError> {
    let mut errors = Vec::new();
    let mut text = |field: &str, value: &str, max: usize| match required_text(value, max) {
        Ok(text) => text,
        Err(code) => {
            errors.push(FieldError::new(field, code, format!("1-{max} characters")));
            String::new()
        }
    };
    let name = text("name", &new.name, 200);
    let description = text("description", &new.description, 5000);
    let contact_name = text("contact_name", &new.contact_name, 100);
    let service_areas: Vec<String> = new
        .service_areas
        .iter()
        .map(|area| area.trim().to_owned())
        .filter(|area| !area.is_empty())
        .collect();
    if service_areas.is_empty() || service_areas.iter().any(|area| area.chars().count() > 50) {
        errors.push(FieldError::new(
            "service_areas",
            "invalid",
            "one or more fields of service, each 1-50 characters",
        ));
    }
    let contact_email = match Email::parse(&new.contact_email) {
        Ok(email) => email.as_str().to_owned(),
        Err(detail) => {
            errors.push(FieldError::new("contact_email", "invalid", detail));
            String::new()
        }
    };
    let contact_phone = new
        .contact_phone
        .as_deref()
        .map(str::trim)
        .filter(|phone| !phone.is_empty())
        .map(str::to_owned);
    if contact_phone
        .as_deref()
        .is_some_and(|phone| phone.chars().count() > 30)
    {
        errors.push(FieldError::new(
            "contact_phone",
            "too_long",
            "1-30 characters",
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    Ok(NewGroup {
        name,
        service_areas,
        description,
        contact_name,
        contact_email,
        contact_phone,
    })
}

/// Applies to the tenant's incubation base (any person with a verified address).
pub async fn apply(
    state: &AppState,
    principal: &Principal,
    slug: &str,
    new: NewGroup,
) -> Result<incubation_group::Model, ApiError> {
    principal.require_verified_email()?;
    let tenant = tenants::service::get_tenant(state, slug).await?;
    let new = check_new(&new)?;
    let now = state.clock.now();
    let group = incubation_group::Model {
        id: Uuid::now_v7(),
        tenant_id: tenant.id(),
        name: new.name,
        service_areas: serde_json::to_string(&new.service_areas).unwrap_or_else(|_| "[]".into()),
        description: new.description,
        contact_name: new.contact_name,
        contact_email: new.contact_email,
        contact_phone: new.contact_phone,
        applicant_user_id: principal.user_id,
        status: APPLIED.to_owned(),
        mentor: None,
        started_on: None,
        planned_end_on: None,
        ended_on: None,
        outcome_reason: None,
        registration_id: None,
        disclosure_id: None,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let transaction = db::begin(&state.db, Scope::Tenant(tenant.id())).await?;
    incubation_group::Entity::insert(group.clone().into_active_model())
        .exec_without_returning(&transaction)
        .await?;
    audit::record(
        &transaction,
        &state.audit,
        AuditEvent::new(now, "incubation_group", group.id, "apply")
            .actor(principal.user_id)
            .tenant(tenant.id())
            .data(serde_json::json!({ "name": group.name })),
    )
    .await?;
    transaction.commit().await?;
    Ok(group)
}

/// The group, for its applicant and the tenant's administrators; 404 for anyone else.
async fn visible_group(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
) -> Result<(incubation_group::Model, TenantRef, TenantAccess), ApiError> {
    let group = incubation_group::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let tenant = tenants::service::get_tenant_by_id(state, group.tenant_id).await?;
    let access = principal.tenant_access(&tenant.position());
    let sees = group.applicant_user_id == principal.user_id
        || matches!(access, TenantAccess::Manage | TenantAccess::Read);
    if !sees {
        return Err(ApiError::not_found());
    }
    Ok((group, tenant, access))
}

pub async fn get_group(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
) -> Result<GroupView, ApiError> {
    let (group, _, _) = visible_group(state, principal, id).await?;
    let reports = incubation_report::Entity::find()
        .filter(incubation_report::Column::GroupId.eq(group.id))
        .order_by_asc(incubation_report::Column::ReportedAt)
        .all(&state.db)
        .await?;
    Ok(GroupView { group, reports })
}

/// Groups of the tenant: incubating ones for everyone; every group, in any status, for the
/// tenant's administrators.
pub async fn list_groups(
    state: &AppState,
    principal: Option<&Principal>,
    slug: &str,
    status: Option<&str>,
) -> Result<(Vec<incubation_group::Model>, bool), ApiError> {
    let tenant = tenants::service::get_tenant(state, slug).await?;
    let full = principal.is_some_and(|principal| {
        matches!(
            principal.tenant_access(&tenant.position()),
            TenantAccess::Manage | TenantAccess::Read
        )
    });
    let mut query = incubation_group::Entity::find()
        .filter(incubation_group::Column::TenantId.eq(tenant.id()))
        .order_by_asc(incubation_group::Column::Name)
        .order_by_asc(incubation_group::Column::Id);
    if let Some(status) = status
        && ![APPLIED, ADMITTED, INCUBATING, GRADUATED, EXITED].contains(&status)
    {
        return Err(ApiError::field(
            "status",
            "invalid",
            "one of applied, admitted, incubating, graduated, exited",
        ));
    }
    if full {
        if let Some(status) = status {
            query = query.filter(incubation_group::Column::Status.eq(status));
        }
    } else {
        query = query.filter(incubation_group::Column::Status.eq(INCUBATING));
    }
    Ok((query.all(&state.db).await?, full))
}

/// A step an administrator takes on a group.
pub enum Step {
    Admit {
        mentor: String,
        starts_on: NaiveDate,
        planned_end_on: NaiveDate,
    },
    Start,
    Graduate,
    Exit {
        reason: String,
    },
}

impl Step {
    fn name(&self) -> &'static str {
        match self {
            Step::Admit { .. } => "admit",
            Step::Start => "start",
            Step::Graduate => "graduate",
            Step::Exit { .. } => "exit",
        }
    }

    fn allowed_from(&self) -> &'static [&'static str] {
        match self {
            Step::Admit { .. } => &[APPLIED],
            Step::Start => &[ADMITTED],
            Step::Graduate => &[INCUBATING],
            Step::Exit { .. } => &[APPLIED, ADMITTED, INCUBATING],
        }
    }
}

/// Moves a group on (the tenant's registry administrators).
pub async fn take_step(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    step: Step,
) -> Result<incubation_group::Model, ApiError> {
    let (group, tenant, access) = visible_group(state, principal, id).await?;
    if access != TenantAccess::Manage {
        return Err(ApiError::forbidden());
    }
    if !step.allowed_from().contains(&group.status.as_str()) {
        return Err(ApiError::invalid_transition(
            "incubation group",
            &group.status,
            match step {
                Step::Admit { .. } => "admitted",
                Step::Start => "started",
                Step::Graduate => "graduated",
                Step::Exit { .. } => "exited",
            },
        ));
    }
    let now = state.clock.now();
    let today = tenant.local_date(now);
    let expected = group.version;
    let mut updated = incubation_group::Model {
        updated_at: now,
        version: group.version + 1,
        ..group.clone()
    };
    let transaction = db::begin(&state.db, Scope::Tenant(tenant.id())).await?;
    match &step {
        Step::Admit {
            mentor,
            starts_on,
            planned_end_on,
        } => {
            let mut errors = Vec::new();
            let mentor = required_text(mentor, 100)
                .map_err(|code| {
                    errors.push(FieldError::new(
                        "mentor",
                        code,
                        "the mentor's name, 1-100 characters",
                    ));
                })
                .unwrap_or_default();
            if planned_end_on <= starts_on {
                errors.push(FieldError::new(
                    "planned_end_on",
                    "out_of_range",
                    "the planned end comes after the start",
                ));
            }
            if !errors.is_empty() {
                return Err(ApiError::validation(errors));
            }
            updated.status = ADMITTED.to_owned();
            updated.mentor = Some(mentor);
            updated.started_on = Some(*starts_on);
            updated.planned_end_on = Some(*planned_end_on);
        }
        Step::Start => {
            updated.status = INCUBATING.to_owned();
            if updated.started_on.is_none_or(|starts| starts > today) {
                updated.started_on = Some(today);
            }
        }
        Step::Exit { reason } => {
            let reason = required_text(reason, 1000)
                .map_err(|code| ApiError::field("reason", code, "a reason is required"))?;
            updated.status = EXITED.to_owned();
            updated.ended_on = Some(today);
            updated.outcome_reason = Some(reason);
        }
        Step::Graduate => {
            graduate(
                &transaction,
                &state.audit,
                &tenant,
                &mut updated,
                now,
                principal.user_id,
            )
            .await?;
        }
    }
    let result = incubation_group::Entity::update_many()
        .set(updated.clone().into_active_model().reset_all())
        .filter(incubation_group::Column::Id.eq(updated.id))
        .filter(incubation_group::Column::Version.eq(expected))
        .exec(&transaction)
        .await?;
    if result.rows_affected != 1 {
        return Err(ApiError::conflict(
            "edit_conflict",
            None,
            "the group changed meanwhile; try again",
        ));
    }
    audit::record(
        &transaction,
        &state.audit,
        AuditEvent::new(now, "incubation_group", updated.id, step.name())
            .actor(principal.user_id)
            .tenant(tenant.id())
            .data(serde_json::json!({
                "from": group.status,
                "to": updated.status,
                "registration_id": updated.registration_id,
            })),
    )
    .await?;
    transaction.commit().await?;
    Ok(updated)
}

/// Graduation's records: the registration application pre-filled from the group, and the
/// graduation notice; the group is marked graduated (the caller saves it).
pub async fn graduate(
    db: &impl ConnectionTrait,
    key: &crate::audit::AuditKey,
    tenant: &TenantRef,
    group: &mut incubation_group::Model,
    now: chrono::DateTime<chrono::Utc>,
    actor: Uuid,
) -> Result<(), ApiError> {
    let today = tenant.local_date(now);
    let draft = prefilled_registration(group, now);
    crate::registry::registrations::insert_draft(db, draft.clone()).await?;
    let areas: Vec<String> = serde_json::from_str(&group.service_areas).unwrap_or_default();
    let disclosure = disclosures::publish(
        db,
        key,
        tenant,
        now,
        NewDisclosure {
            category: Category::IncubationGraduation,
            title: format!("关于{}孵化出壳的公告", group.name),
            body: format!(
                "{name}（服务领域：{areas}）于{start}入驻{tenant}社会组织孵化基地，经孵化培育，于{today}顺利出壳，可依法申请登记。",
                name = group.name,
                areas = areas.join("、"),
                start = group
                    .started_on
                    .map_or_else(String::new, |day| day.format("%Y年%m月%d日").to_string()),
                tenant = tenant.model.name_zh,
                today = today.format("%Y年%m月%d日"),
            ),
            written_on: Some(today),
            document_number: None,
            subject_terms: vec!["社会组织".to_owned(), "孵化基地".to_owned()],
            attachments: Vec::new(),
            subject: Some(("incubation_group", group.id.to_string())),
            supersedes: None,
            created_by: Some(actor),
        },
    )
    .await?;
    group.status = GRADUATED.to_owned();
    group.ended_on = Some(today);
    group.registration_id = Some(draft.id);
    group.disclosure_id = Some(disclosure.id);
    Ok(())
}

/// The registration application a graduate starts from: its name, fields and contacts, as the
/// applicant's draft.
fn prefilled_registration(
    group: &incubation_group::Model,
    now: chrono::DateTime<chrono::Utc>,
) -> registration_application::Model {
    registration_application::Model {
        id: Uuid::now_v7(),
        tenant_id: group.tenant_id,
        applicant_user_id: group.applicant_user_id,
        status: RegistrationStatus::Draft.as_str().to_owned(),
        name: group.name.clone(),
        name_key: name_key(&group.name),
        org_type: None,
        sub_kind: None,
        address: None,
        legal_representative: None,
        service_areas: group.service_areas.clone(),
        founded_on: None,
        registered_funds_fen: None,
        contact_phone: group.contact_phone.clone(),
        contact_email: Some(group.contact_email.clone()),
        purpose: Some(group.description.clone()),
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
    }
}

/// Adds a progress report while the group is admitted or incubating (its applicant or the
/// tenant's administrators).
pub async fn add_report(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    body: &str,
) -> Result<incubation_report::Model, ApiError> {
    let (group, tenant, access) = visible_group(state, principal, id).await?;
    if group.applicant_user_id != principal.user_id && access != TenantAccess::Manage {
        return Err(ApiError::forbidden());
    }
    if ![ADMITTED, INCUBATING].contains(&group.status.as_str()) {
        return Err(ApiError::invalid_transition(
            "incubation group",
            &group.status,
            "reported on",
        ));
    }
    let body = required_text(body, 20_000)
        .map_err(|code| ApiError::field("body", code, "1-20000 characters"))?;
    let now = state.clock.now();
    let report = incubation_report::Model {
        id: Uuid::now_v7(),
        tenant_id: group.tenant_id,
        group_id: group.id,
        reported_at: now,
        author_user_id: Some(principal.user_id),
        body,
    };
    let transaction = db::begin(&state.db, Scope::Tenant(tenant.id())).await?;
    incubation_report::Entity::insert(report.clone().into_active_model())
        .exec_without_returning(&transaction)
        .await?;
    audit::record(
        &transaction,
        &state.audit,
        AuditEvent::new(now, "incubation_group", group.id, "report")
            .actor(principal.user_id)
            .tenant(tenant.id()),
    )
    .await?;
    transaction.commit().await?;
    Ok(report)
}

//! Registering organisations and reading their records.

use chrono::{DateTime, Utc};
use entities::{organisation, organisation_event, registration_application as application};
use sea_orm::{ConnectionTrait, DbErr};
use uuid::Uuid;

use super::repo::{self, OrganisationFilter};
use crate::{
    audit::{self, AuditEvent},
    authz::{MaybePrincipal, Principal, Role, TenantAccess},
    counters,
    disclosures::{self, Category, NewDisclosure},
    error::ApiError,
    registry::model::{OrgStatus, OrgType},
    state::AppState,
    tenants::{self, TenantRef},
    types::{Uscc, UsccError},
    users,
};

/// Formats fen as yuan for announcements: `1,234.50 元`.
pub fn yuan(fen: i64) -> String {
    let yuan = fen / 100;
    let cents = (fen % 100).abs();
    let digits = yuan.abs().to_string();
    let mut grouped = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    let sign = if fen < 0 { "-" } else { "" };
    format!("{sign}{grouped}.{cents:02} 元")
}

/// Issues a code no organisation holds yet for this type and division.
async fn issue_code(
    db: &impl ConnectionTrait,
    org_type: OrgType,
    division_code: &str,
) -> Result<Uscc, DbErr> {
    for _ in 0..20 {
        let serial = counters::next(
            db,
            &format!("uscc:{}:{division_code}", org_type.code_digit()),
        )
        .await?;
        let serial = u32::try_from(serial).unwrap_or(u32::MAX);
        let code = Uscc::issue(org_type.code_digit(), division_code, serial)
            .ok_or_else(|| DbErr::Custom("code serials for this division are exhausted".into()))?;
        if repo::find_by_uscc(db, code.as_str()).await?.is_none() {
            return Ok(code);
        }
    }
    Err(DbErr::Custom("no free code found".into()))
}

/// One entry to append to an organisation's history.
pub struct HistoryEvent<'a> {
    pub event: &'a str,
    pub effective_on: chrono::NaiveDate,
    /// What changed: `from`, `to`, `reason`.
    pub data: serde_json::Value,
    /// The disclosure that announced it.
    pub disclosure_id: Option<Uuid>,
    pub actor: Option<Uuid>,
}

/// Appends an entry to an organisation's history.
pub async fn record_event(
    db: &impl ConnectionTrait,
    organisation: &organisation::Model,
    now: DateTime<Utc>,
    entry: HistoryEvent<'_>,
) -> Result<(), DbErr> {
    repo::insert_event(
        db,
        organisation_event::Model {
            id: Uuid::now_v7(),
            organisation_id: organisation.id,
            tenant_id: organisation.tenant_id,
            event: entry.event.to_owned(),
            occurred_at: now,
            effective_on: entry.effective_on,
            data: entry.data.to_string(),
            disclosure_id: entry.disclosure_id,
            actor_user_id: entry.actor,
        },
    )
    .await
}

/// Creates the organisation of an approved application, inside the approval's transaction: code,
/// record, the applicant's `org_admin` grant, the registration announcement and the first entry
/// of the history.
pub async fn register_from_application(
    db: &impl ConnectionTrait,
    key: &crate::audit::AuditKey,
    tenant: &TenantRef,
    application: &application::Model,
    principal: &Principal,
    now: DateTime<Utc>,
) -> Result<organisation::Model, DbErr> {
    let org_type = application
        .org_type
        .as_deref()
        .and_then(OrgType::parse)
        .ok_or_else(|| DbErr::Custom("approved application without a type".into()))?;
    let uscc = issue_code(db, org_type, &tenant.model.division_code).await?;
    let today = tenant.local_date(now);
    let model = organisation::Model {
        id: Uuid::now_v7(),
        tenant_id: tenant.id(),
        uscc: uscc.to_string(),
        uscc_override_reason: None,
        name: application.name.clone(),
        name_key: application.name_key.clone(),
        org_type: org_type.as_str().to_owned(),
        sub_kind: application.sub_kind.clone(),
        address: application.address.clone().unwrap_or_default(),
        legal_representative: application.legal_representative.clone().unwrap_or_default(),
        service_areas: application.service_areas.clone(),
        founded_on: application.founded_on.or(Some(today)),
        registered_funds_fen: application.registered_funds_fen.unwrap_or_default(),
        contact_phone: application.contact_phone.clone(),
        contact_email: application.contact_email.clone(),
        purpose: application.purpose.clone(),
        status: OrgStatus::Registered.as_str().to_owned(),
        status_reason: None,
        status_date: Some(today),
        registered_at: Some(now),
        created_at: now,
        updated_at: now,
        version: 1,
    };
    repo::insert(db, model.clone()).await?;
    users::service::grant_organisation_role(
        db,
        application.applicant_user_id,
        Role::OrgAdmin,
        model.id,
        now,
    )
    .await?;
    let service_areas: Vec<String> = serde_json::from_str(&model.service_areas).unwrap_or_default();
    let disclosure = disclosures::publish(
        db,
        key,
        tenant,
        now,
        NewDisclosure {
            category: Category::Registration,
            title: format!("关于准予{}成立登记的公告", model.name),
            body: format!(
                "经审核，准予{name}成立登记。\n\n统一社会信用代码：{code}\n组织类型：{kind}\n住所：{address}\n法定代表人：{representative}\n业务范围：{areas}\n注册资金：{funds}\n登记日期：{date}",
                name = model.name,
                code = model.uscc,
                kind = org_type.label_zh(),
                address = model.address,
                representative = model.legal_representative,
                areas = service_areas.join("、"),
                funds = yuan(model.registered_funds_fen),
                date = today,
            ),
            written_on: Some(today),
            document_number: None,
            subject_terms: vec!["社会组织".to_owned(), "成立登记".to_owned(), org_type.label_zh().to_owned()],
            attachments: Vec::new(),
            subject: Some(("organisation", model.id.to_string())),
            supersedes: None,
            created_by: Some(principal.user_id),
        },
    )
    .await?;
    record_event(
        db,
        &model,
        now,
        HistoryEvent {
            event: "registered",
            effective_on: today,
            data: serde_json::json!({ "name": model.name, "uscc": model.uscc }),
            disclosure_id: Some(disclosure.id),
            actor: Some(principal.user_id),
        },
    )
    .await?;
    audit::record(
        db,
        key,
        AuditEvent::new(now, "organisation", model.id, "register")
            .actor(principal.user_id)
            .tenant(tenant.id())
            .data(serde_json::json!({ "uscc": model.uscc, "name": model.name })),
    )
    .await?;
    Ok(model)
}

/// An organisation and what the caller may do with it.
pub struct OrganisationView {
    pub model: organisation::Model,
    pub tenant: TenantRef,
    /// The caller may see its private parts (its members, the tenant's administrators).
    pub private: bool,
}

/// Finds an organisation by id or code. Every organisation has a public profile.
pub async fn get_organisation(
    state: &AppState,
    principal: &MaybePrincipal,
    id_or_code: &str,
) -> Result<OrganisationView, ApiError> {
    let model = match Uuid::parse_str(id_or_code) {
        Ok(id) => repo::find(&state.db, id).await?,
        Err(_) => match Uscc::parse(id_or_code) {
            Ok(code) => repo::find_by_uscc(&state.db, code.as_str()).await?,
            // Codes recorded despite a wrong check character are found as recorded.
            Err(UsccError::CheckCharacter) => {
                repo::find_by_uscc(&state.db, &id_or_code.trim().to_ascii_uppercase()).await?
            }
            Err(_) => None,
        },
    }
    .ok_or_else(ApiError::not_found)?;
    let tenant = tenants::service::get_tenant_by_id(state, model.tenant_id).await?;
    let private = principal
        .as_ref()
        .is_some_and(|principal| may_see_private(principal, &model, &tenant));
    Ok(OrganisationView {
        model,
        tenant,
        private,
    })
}

/// Members of the organisation and administrators of its tenant (or a parent tenant).
pub fn may_see_private(
    principal: &Principal,
    model: &organisation::Model,
    tenant: &TenantRef,
) -> bool {
    principal.has_organisation_role(model.id)
        || matches!(
            principal.tenant_access(&tenant.position()),
            TenantAccess::Manage | TenantAccess::Read
        )
}

pub async fn history(
    state: &AppState,
    organisation_id: Uuid,
) -> Result<Vec<organisation_event::Model>, ApiError> {
    Ok(repo::events(&state.db, organisation_id).await?)
}

/// Public listing of organisations; `tenant` includes the tenants below it.
pub async fn list_organisations(
    state: &AppState,
    tenant: Option<&str>,
    mut filter: OrganisationFilter,
    limit: u64,
) -> Result<Vec<organisation::Model>, ApiError> {
    if let Some(slug) = tenant {
        let tenant = tenants::service::get_tenant(state, slug).await?;
        filter.tenants = Some(tenants::repo::subtree_ids(&state.db, &[tenant.id()]).await?);
    }
    Ok(repo::list(&state.db, filter, limit).await?)
}

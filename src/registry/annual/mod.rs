//! Annual reports (年度报告) and what follows from them: the tenant's filing deadline, the daily
//! sweep that lists organisations which missed it as abnormal, and the flag for the
//! serious-violation list after two years on the abnormal list.

pub mod api;
mod deadline;
pub mod sweep;

use chrono::Datelike;
use entities::{annual_report, organisation, registry_setting, serious_violation_flag};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder,
};
use uuid::Uuid;

use crate::{
    audit::{self, AuditEvent},
    authz::Principal,
    db::{self, Scope},
    disclosures::{self, Category, NewDisclosure},
    error::{ApiError, FieldError},
    registry::{
        model::OrgStatus,
        organisations::{
            repo,
            service::{HistoryEvent, record_event, yuan},
            status::for_registry_action,
        },
    },
    state::AppState,
    tenants,
};

pub use deadline::{CAUSE_ANNUAL_REPORT, deadline_for, overdue_year, parse_deadline};

pub async fn settings(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
) -> Result<Option<registry_setting::Model>, DbErr> {
    registry_setting::Entity::find_by_id(tenant_id)
        .one(db)
        .await
}

/// Sets the tenant's annual report deadline (its registry administrators); `None` switches the
/// automatic listing off.
pub async fn set_deadline(
    state: &AppState,
    principal: &Principal,
    slug: &str,
    deadline: Option<String>,
) -> Result<Option<String>, ApiError> {
    let tenant = tenants::service::get_tenant(state, slug).await?;
    principal
        .tenant_access(&tenant.position())
        .require_manage_public()?;
    // Exactly `MM-DD`, as the schema declares; leaving the field out switches the sweep off.
    let deadline = match deadline.as_deref() {
        None => None,
        Some(value) => {
            let (month, day) = Some(value)
                .filter(|value| value.len() == 5)
                .and_then(parse_deadline)
                .ok_or_else(|| {
                    ApiError::field(
                        "annual_report_deadline",
                        "invalid",
                        "a day of the year as MM-DD, e.g. 05-31",
                    )
                })?;
            Some(format!("{month:02}-{day:02}"))
        }
    };
    let now = state.clock.now();
    let transaction = db::begin(&state.db, Scope::Tenant(tenant.id())).await?;
    let model = registry_setting::Model {
        tenant_id: tenant.id(),
        annual_report_deadline: deadline.clone(),
        updated_at: now,
    };
    match settings(&transaction, tenant.id()).await? {
        Some(_) => {
            model
                .into_active_model()
                .reset_all()
                .update(&transaction)
                .await?;
        }
        None => {
            registry_setting::Entity::insert(model.into_active_model())
                .exec_without_returning(&transaction)
                .await?;
        }
    }
    sweep::ensure_scheduled(&transaction, now).await?;
    audit::record(
        &transaction,
        &state.audit,
        AuditEvent::new(now, "tenant", tenant.id(), "set_annual_report_deadline")
            .actor(principal.user_id)
            .tenant(tenant.id())
            .data(serde_json::json!({ "annual_report_deadline": deadline })),
    )
    .await?;
    transaction.commit().await?;
    Ok(deadline)
}

/// A report as its organisation files it.
#[derive(Clone, Debug)]
pub struct NewAnnualReport {
    pub year: i32,
    pub income_fen: i64,
    pub expenditure_fen: i64,
    pub net_assets_fen: i64,
    pub activities: String,
    pub staff_count: i32,
    pub volunteer_count: i32,
    pub document_id: Option<Uuid>,
}

pub async fn report_for(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
    year: i32,
) -> Result<Option<annual_report::Model>, DbErr> {
    annual_report::Entity::find()
        .filter(annual_report::Column::OrganisationId.eq(organisation_id))
        .filter(annual_report::Column::Year.eq(year))
        .one(db)
        .await
}

/// An organisation's reports, newest year first (public).
pub async fn reports_of(
    state: &AppState,
    organisation_id: Uuid,
) -> Result<Vec<annual_report::Model>, ApiError> {
    repo::find(&state.db, organisation_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    Ok(annual_report::Entity::find()
        .filter(annual_report::Column::OrganisationId.eq(organisation_id))
        .order_by_desc(annual_report::Column::Year)
        .all(&state.db)
        .await?)
}

/// Files an annual report (the organisation's administrators) and discloses its summary.
pub async fn file_report(
    state: &AppState,
    principal: &Principal,
    organisation_id: Uuid,
    new: NewAnnualReport,
) -> Result<annual_report::Model, ApiError> {
    let model = repo::find(&state.db, organisation_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    if !principal.has_organisation_role(model.id) {
        return Err(ApiError::not_found());
    }
    if !principal.is_organisation_admin(model.id) {
        return Err(ApiError::forbidden());
    }
    let status = OrgStatus::parse(&model.status).unwrap_or(OrgStatus::Registered);
    if !status.is_live() {
        return Err(ApiError::invalid_transition(
            "organisation",
            &model.status,
            "reporting",
        ));
    }
    let tenant = tenants::service::get_tenant_by_id(state, model.tenant_id).await?;
    let now = state.clock.now();
    let today = tenant.local_date(now);
    let activities = new.activities.trim().to_owned();
    let mut errors = Vec::new();
    let first_year = model
        .founded_on
        .map_or(1949, |founded| founded.year())
        .max(1949);
    if new.year < first_year || new.year >= today.year() {
        errors.push(FieldError::new(
            "year",
            "out_of_range",
            format!(
                "a finished year the organisation existed in ({first_year}-{})",
                today.year() - 1
            ),
        ));
    }
    for (field, value) in [
        ("income_fen", new.income_fen),
        ("expenditure_fen", new.expenditure_fen),
    ] {
        if value < 0 {
            errors.push(FieldError::new(field, "negative", "zero or more fen"));
        }
    }
    for (field, value) in [
        ("staff_count", new.staff_count),
        ("volunteer_count", new.volunteer_count),
    ] {
        if value < 0 {
            errors.push(FieldError::new(field, "negative", "zero or more"));
        }
    }
    if activities.is_empty() || activities.chars().count() > 20_000 {
        errors.push(FieldError::new(
            "activities",
            if activities.is_empty() {
                "required"
            } else {
                "too_long"
            },
            "1-20000 characters about the year's activities",
        ));
    }
    if let Some(document_id) = new.document_id {
        let document = crate::documents::service::find_document(state, document_id).await?;
        let owned = document.is_some_and(|document| {
            document.owner_type == "organisation" && document.owner_id == model.id.to_string()
        });
        if !owned {
            errors.push(FieldError::new(
                "document_id",
                "not_found",
                "upload the report document to the organisation first",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let report = annual_report::Model {
        id: Uuid::now_v7(),
        tenant_id: model.tenant_id,
        organisation_id: model.id,
        year: new.year,
        income_fen: new.income_fen,
        expenditure_fen: new.expenditure_fen,
        net_assets_fen: new.net_assets_fen,
        activities,
        staff_count: new.staff_count,
        volunteer_count: new.volunteer_count,
        document_id: new.document_id,
        filed_at: now,
        filed_by: Some(principal.user_id),
        disclosure_id: None,
    };
    let transaction = db::begin(&state.db, Scope::Tenant(tenant.id())).await?;
    let disclosure = disclosures::publish(
        &transaction,
        &state.audit,
        &tenant,
        now,
        NewDisclosure {
            category: Category::AnnualReport,
            title: format!("{}{}年度工作报告公示", model.name, report.year),
            body: format!(
                "{name}（统一社会信用代码：{code}）{year}年度工作报告摘要：\n\
                 收入 {income} 元；支出 {expenditure} 元；净资产 {assets} 元；\n\
                 专职工作人员 {staff} 人；志愿者 {volunteers} 人。\n\
                 年度活动：{activities}",
                name = model.name,
                code = model.uscc,
                year = report.year,
                income = yuan(report.income_fen),
                expenditure = yuan(report.expenditure_fen),
                assets = yuan(report.net_assets_fen),
                staff = report.staff_count,
                volunteers = report.volunteer_count,
                activities = report.activities,
            ),
            written_on: Some(today),
            document_number: None,
            subject_terms: vec!["社会组织".to_owned(), "年度报告".to_owned()],
            attachments: Vec::new(),
            subject: Some(("organisation", model.id.to_string())),
            supersedes: None,
            created_by: Some(principal.user_id),
        },
    )
    .await?;
    let report = annual_report::Model {
        disclosure_id: Some(disclosure.id),
        ..report
    };
    annual_report::Entity::insert(report.clone().into_active_model())
        .exec_without_returning(&transaction)
        .await
        .map_err(ApiError::conflict_if_unique(
            "already_filed",
            Some("year"),
            "the report for this year is filed already",
        ))?;
    record_event(
        &transaction,
        &model,
        now,
        HistoryEvent {
            event: "annual_report_filed",
            effective_on: today,
            data: serde_json::json!({ "year": report.year }),
            disclosure_id: Some(disclosure.id),
            actor: Some(principal.user_id),
        },
    )
    .await?;
    audit::record(
        &transaction,
        &state.audit,
        AuditEvent::new(now, "organisation", model.id, "file_annual_report")
            .actor(principal.user_id)
            .tenant(tenant.id())
            .data(serde_json::json!({ "year": report.year, "report_id": report.id })),
    )
    .await?;
    transaction.commit().await?;
    Ok(report)
}

/// The year whose missing report put the organisation on the abnormal list, if that is why it
/// is there.
pub async fn listed_for_missing_report(
    db: &impl ConnectionTrait,
    organisation: &organisation::Model,
) -> Result<Option<i32>, DbErr> {
    let events = repo::events(db, organisation.id).await?;
    let Some(listing) = events
        .iter()
        .rev()
        .find(|event| event.event == "listed_abnormal")
    else {
        return Ok(None);
    };
    let data: serde_json::Value = serde_json::from_str(&listing.data).unwrap_or_default();
    if data["cause"]["cause"] != CAUSE_ANNUAL_REPORT {
        return Ok(None);
    }
    Ok(data["cause"]["year"]
        .as_i64()
        .and_then(|year| i32::try_from(year).ok()))
}

/// Flags waiting for the registry's decision, and past decisions, of a tenant (its
/// administrators).
pub async fn flags_of_tenant(
    state: &AppState,
    principal: &Principal,
    slug: &str,
) -> Result<Vec<serious_violation_flag::Model>, ApiError> {
    let tenant = tenants::service::get_tenant(state, slug).await?;
    principal.tenant_access(&tenant.position()).require_read()?;
    Ok(serious_violation_flag::Entity::find()
        .filter(serious_violation_flag::Column::TenantId.eq(tenant.id()))
        .order_by_desc(serious_violation_flag::Column::FlaggedAt)
        .all(&state.db)
        .await?)
}

/// The registry's decision on a flag: list the organisation as a serious violator (disclosed)
/// or dismiss the flag; a reason either way.
pub async fn decide_flag(
    state: &AppState,
    principal: &Principal,
    organisation_id: Uuid,
    list: bool,
    reason: &str,
) -> Result<serious_violation_flag::Model, ApiError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(ApiError::field(
            "reason",
            "required",
            "a reason is required",
        ));
    }
    let (model, tenant) = for_registry_action(state, principal, organisation_id).await?;
    let pending = serious_violation_flag::Entity::find()
        .filter(serious_violation_flag::Column::OrganisationId.eq(model.id))
        .filter(serious_violation_flag::Column::Decision.eq("pending"))
        .one(&state.db)
        .await?
        .ok_or_else(|| {
            ApiError::conflict(
                "not_flagged",
                None,
                "the organisation is not flagged for the serious-violation list",
            )
        })?;
    let now = state.clock.now();
    let today = tenant.local_date(now);
    let transaction = db::begin(&state.db, Scope::Tenant(tenant.id())).await?;
    let disclosure = if list {
        Some(
            disclosures::publish(
                &transaction,
                &state.audit,
                &tenant,
                now,
                NewDisclosure {
                    category: Category::SeriousViolation,
                    title: format!("关于将{}列入严重违法失信名单的公告", model.name),
                    body: format!(
                        "{name}（统一社会信用代码：{code}）被列入活动异常名录届满两年，因{reason}，列入社会组织严重违法失信名单。",
                        name = model.name,
                        code = model.uscc
                    ),
                    written_on: Some(today),
                    document_number: None,
                    subject_terms: vec!["社会组织".to_owned(), "严重违法失信名单".to_owned()],
                    attachments: Vec::new(),
                    subject: Some(("organisation", model.id.to_string())),
                    supersedes: None,
                    created_by: Some(principal.user_id),
                },
            )
            .await?,
        )
    } else {
        None
    };
    let decided = serious_violation_flag::Model {
        decision: if list { "listed" } else { "dismissed" }.to_owned(),
        reason: Some(reason.to_owned()),
        decided_at: Some(now),
        decided_by: Some(principal.user_id),
        disclosure_id: disclosure.as_ref().map(|disclosure| disclosure.id),
        ..pending
    };
    let updated = serious_violation_flag::Entity::update_many()
        .set(decided.clone().into_active_model().reset_all())
        .filter(serious_violation_flag::Column::Id.eq(decided.id))
        .filter(serious_violation_flag::Column::Decision.eq("pending"))
        .exec(&transaction)
        .await?;
    if updated.rows_affected != 1 {
        return Err(ApiError::conflict(
            "not_flagged",
            None,
            "the flag was decided meanwhile",
        ));
    }
    let event = if list {
        "listed_serious_violation"
    } else {
        "serious_violation_flag_dismissed"
    };
    record_event(
        &transaction,
        &model,
        now,
        HistoryEvent {
            event,
            effective_on: today,
            data: serde_json::json!({ "reason": reason }),
            disclosure_id: decided.disclosure_id,
            actor: Some(principal.user_id),
        },
    )
    .await?;
    audit::record(
        &transaction,
        &state.audit,
        AuditEvent::new(now, "organisation", model.id, event)
            .actor(principal.user_id)
            .tenant(tenant.id())
            .data(serde_json::json!({ "reason": reason })),
    )
    .await?;
    transaction.commit().await?;
    Ok(decided)
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    fn day(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).unwrap_or_default()
    }

    #[test]
    fn deadlines_are_days_every_year_has() {
        assert_eq!(parse_deadline("05-31"), Some((5, 31)));
        assert_eq!(parse_deadline("02-29"), None);
        assert_eq!(parse_deadline("5-31"), None);
        assert_eq!(parse_deadline("13-01"), None);
    }

    #[test]
    fn the_overdue_year_turns_the_day_after_the_deadline() {
        let deadline = (5, 31);
        assert_eq!(overdue_year(day(2026, 5, 31), deadline), 2024);
        assert_eq!(overdue_year(day(2026, 6, 1), deadline), 2025);
        assert_eq!(overdue_year(day(2026, 12, 31), deadline), 2025);
        assert_eq!(overdue_year(day(2027, 1, 1), deadline), 2025);
    }
}

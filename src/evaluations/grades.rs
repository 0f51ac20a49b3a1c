//! The grades organisations hold: awarded when a result becomes final, valid five years from
//! the decision, and ended early by a downgrade or a cancellation, each disclosed. An expired
//! grade no longer counts as current anywhere (profile, search, eligibility): a job at its end
//! takes it out of the search index.

use chrono::{DateTime, Months, NaiveDate, Utc};
use entities::organisation_grade;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::search::index as search;
use crate::{
    audit::{self, AuditEvent},
    authz::{Principal, TenantAccess},
    db::{self, Scope},
    disclosures::{self, Category, NewDisclosure},
    error::ApiError,
    jobs::{self, Job},
    state::AppState,
    tenants,
    types::required_text,
};

/// Held, within its validity.
pub const CURRENT: &str = "current";
/// Replaced by a lower grade.
pub const DOWNGRADED: &str = "downgraded";
/// Withdrawn.
pub const CANCELLED: &str = "cancelled";
/// Replaced by a later evaluation's grade.
pub const SUPERSEDED: &str = "superseded";

/// The years a grade stays valid.
pub const VALID_YEARS: u32 = 5;

/// The last day a grade awarded on `awarded_on` is valid.
pub fn valid_until(awarded_on: NaiveDate) -> NaiveDate {
    awarded_on
        .checked_add_months(Months::new(12 * VALID_YEARS))
        .and_then(|day| day.pred_opt())
        .unwrap_or(NaiveDate::MAX)
}

/// The grade an organisation holds on `today`, if any.
pub async fn current(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
    today: NaiveDate,
) -> Result<Option<organisation_grade::Model>, DbErr> {
    organisation_grade::Entity::find()
        .filter(organisation_grade::Column::OrganisationId.eq(organisation_id))
        .filter(organisation_grade::Column::Status.eq(CURRENT))
        .filter(organisation_grade::Column::ValidUntil.gte(today))
        .order_by_desc(organisation_grade::Column::AwardedOn)
        .one(db)
        .await
}

/// Every grade an organisation has held, newest first (public).
pub async fn history(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
) -> Result<Vec<organisation_grade::Model>, DbErr> {
    organisation_grade::Entity::find()
        .filter(organisation_grade::Column::OrganisationId.eq(organisation_id))
        .order_by_desc(organisation_grade::Column::AwardedOn)
        .order_by_desc(organisation_grade::Column::CreatedAt)
        .all(db)
        .await
}

/// Takes an expired grade out of the search index on the day after its last day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GradeExpiryJob {
    pub organisation_id: Uuid,
}

impl Job for GradeExpiryJob {
    const KIND: &'static str = "evaluation_grade_expiry";
}

pub async fn run_expiry(state: &AppState, job: GradeExpiryJob) -> anyhow::Result<()> {
    let now = state.clock.now();
    // The job is due at midnight where the grade was awarded. The organisation's own registry,
    // whose calendar its profile and the index go by, may be in a zone behind (a district of
    // another zone, or a zone changed since): there the grade holds until its own midnight,
    // when the job runs again.
    let mut holds_until = None;
    if let Some(organisation) = entities::organisation::Entity::find_by_id(job.organisation_id)
        .one(&state.db)
        .await?
    {
        let tenant = tenants::service::get_tenant_by_id(state, organisation.tenant_id).await?;
        let today = tenant.local_date(now);
        if let Some(grade) = current(&state.db, organisation.id, today).await? {
            let last_day = grade.valid_until;
            let ends = crate::calendar::start_of_day(
                &tenant.model.time_zone,
                last_day.succ_opt().unwrap_or(last_day),
            );
            holds_until = (ends > now).then_some(ends);
        }
    }
    let transaction = db::begin(&state.db, Scope::Platform).await?;
    match holds_until {
        Some(ends) => {
            jobs::queue::enqueue_at(&transaction, now, ends, &job, 10).await?;
        }
        None => {
            search::record_change(
                &transaction,
                search::Kind::Organisation,
                job.organisation_id,
                now,
            )
            .await?;
        }
    }
    transaction.commit().await?;
    Ok(())
}

/// Awards a grade inside the caller's transaction: a former current grade is superseded, the
/// index told, and its expiry scheduled.
#[allow(clippy::too_many_arguments)]
pub async fn award(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    organisation_id: Uuid,
    application_id: Option<Uuid>,
    grade: &str,
    total: i64,
    awarded_on: NaiveDate,
    disclosure_id: Option<Uuid>,
    now: DateTime<Utc>,
    zone_midnight: impl Fn(NaiveDate) -> DateTime<Utc>,
) -> Result<organisation_grade::Model, DbErr> {
    supersede_current(db, organisation_id, now).await?;
    let model = organisation_grade::Model {
        id: Uuid::now_v7(),
        tenant_id,
        organisation_id,
        application_id,
        grade: grade.to_owned(),
        total,
        awarded_on,
        valid_until: valid_until(awarded_on),
        status: CURRENT.to_owned(),
        reason: None,
        changed_at: None,
        disclosure_id,
        created_at: now,
    };
    organisation_grade::Entity::insert(model.clone().into_active_model())
        .exec_without_returning(db)
        .await?;
    search::record_change(db, search::Kind::Organisation, organisation_id, now).await?;
    let expires = zone_midnight(model.valid_until.succ_opt().unwrap_or(model.valid_until));
    jobs::queue::enqueue_at(db, now, expires, &GradeExpiryJob { organisation_id }, 10).await?;
    Ok(model)
}

/// Ends the organisation's current grade (a later evaluation replaces it, whatever its result),
/// holding the organisation's row so that two awards never both stay current.
pub async fn supersede_current(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    crate::db::lock_row(db, "organisations", organisation_id).await?;
    let result = organisation_grade::Entity::update_many()
        .col_expr(
            organisation_grade::Column::Status,
            sea_orm::sea_query::Expr::value(SUPERSEDED),
        )
        .col_expr(
            organisation_grade::Column::ChangedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(organisation_grade::Column::OrganisationId.eq(organisation_id))
        .filter(organisation_grade::Column::Status.eq(CURRENT))
        .exec(db)
        .await?;
    if result.rows_affected > 0 {
        search::record_change(db, search::Kind::Organisation, organisation_id, now).await?;
    }
    Ok(result.rows_affected)
}

/// A downgrade (to a lower grade) or a cancellation, with its reason.
#[derive(Clone, Debug)]
pub enum Change {
    Downgrade { grade: String },
    Cancel,
}

/// Downgrades or cancels an organisation's current grade (its registry), and discloses it.
pub async fn change(
    state: &AppState,
    principal: &Principal,
    organisation_id: Uuid,
    change: Change,
    reason: &str,
) -> Result<organisation_grade::Model, ApiError> {
    let organisation = entities::organisation::Entity::find_by_id(organisation_id)
        .one(&state.db)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let tenant = tenants::service::get_tenant_by_id(state, organisation.tenant_id).await?;
    // Only the registry of the organisation's tenant or of one above it may change a grade: anyone
    // else is refused before learning anything of the grade's state.
    if !matches!(
        principal.tenant_access(&tenant.position()),
        TenantAccess::Manage | TenantAccess::Read
    ) {
        return Err(ApiError::forbidden());
    }
    let held = current(
        &state.db,
        organisation_id,
        tenant.local_date(state.clock.now()),
    )
    .await?
    .ok_or_else(|| {
        ApiError::conflict("no_current_grade", None, "the organisation holds no grade")
    })?;
    let awarding = tenants::service::get_tenant_by_id(state, held.tenant_id).await?;
    if principal.tenant_access(&awarding.position()) != TenantAccess::Manage {
        return Err(ApiError::forbidden());
    }
    let reason = required_text(reason, 1000)
        .map_err(|code| ApiError::field("reason", code, "the reason, 1-1000 characters"))?;
    if let Change::Downgrade { grade } = &change {
        let order = |grade: &str| {
            super::rubric::GRADES
                .iter()
                .position(|known| *known == grade)
        };
        match (order(grade), order(&held.grade)) {
            (Some(new), Some(old)) if new > old => {}
            _ => {
                return Err(ApiError::field(
                    "grade",
                    "not_lower",
                    format!("a grade below {}", held.grade),
                ));
            }
        }
    }
    let now = state.clock.now();
    let today = awarding.local_date(now);
    let transaction = db::begin(&state.db, Scope::Tenant(awarding.id())).await?;
    let (title, body, status) = match &change {
        Change::Downgrade { grade } => (
            format!("关于{}评估等级调整的公告", organisation.name),
            format!(
                "{name}（统一社会信用代码：{code}）原评估等级为{old}（有效期至{until}）。因{reason}，经研究，自{today}起将其评估等级调整为{grade}。",
                name = organisation.name,
                code = organisation.uscc,
                old = held.grade,
                until = held.valid_until,
                today = today.format("%Y年%m月%d日"),
            ),
            DOWNGRADED,
        ),
        Change::Cancel => (
            format!("关于取消{}评估等级的公告", organisation.name),
            format!(
                "{name}（统一社会信用代码：{code}）原评估等级为{old}（有效期至{until}）。因{reason}，经研究，自{today}起取消其评估等级。",
                name = organisation.name,
                code = organisation.uscc,
                old = held.grade,
                until = held.valid_until,
                today = today.format("%Y年%m月%d日"),
            ),
            CANCELLED,
        ),
    };
    let disclosure = disclosures::publish(
        &transaction,
        &state.audit,
        &awarding,
        now,
        NewDisclosure {
            category: Category::GradeChange,
            title,
            body,
            written_on: Some(today),
            document_number: None,
            subject_terms: vec!["社会组织".to_owned(), "评估等级".to_owned()],
            attachments: Vec::new(),
            subject: Some(("organisation", organisation.id.to_string())),
            supersedes: None,
            created_by: Some(principal.user_id),
        },
    )
    .await?;
    let result = organisation_grade::Entity::update_many()
        .col_expr(
            organisation_grade::Column::Status,
            sea_orm::sea_query::Expr::value(status),
        )
        .col_expr(
            organisation_grade::Column::Reason,
            sea_orm::sea_query::Expr::value(reason.clone()),
        )
        .col_expr(
            organisation_grade::Column::ChangedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(organisation_grade::Column::Id.eq(held.id))
        .filter(organisation_grade::Column::Status.eq(CURRENT))
        .exec(&transaction)
        .await?;
    if result.rows_affected != 1 {
        return Err(ApiError::conflict(
            "edit_conflict",
            None,
            "the grade changed meanwhile; try again",
        ));
    }
    let outcome = match change {
        Change::Downgrade { grade } => {
            // The lower grade runs to the end of the one it replaces.
            let lower = organisation_grade::Model {
                id: Uuid::now_v7(),
                grade,
                status: CURRENT.to_owned(),
                reason: Some(reason.clone()),
                changed_at: None,
                disclosure_id: Some(disclosure.id),
                created_at: now,
                ..held.clone()
            };
            organisation_grade::Entity::insert(lower.clone().into_active_model())
                .exec_without_returning(&transaction)
                .await?;
            lower
        }
        Change::Cancel => organisation_grade::Model {
            status: CANCELLED.to_owned(),
            reason: Some(reason.clone()),
            changed_at: Some(now),
            ..held.clone()
        },
    };
    search::record_change(
        &transaction,
        search::Kind::Organisation,
        organisation.id,
        now,
    )
    .await?;
    audit::record(
        &transaction,
        &state.audit,
        AuditEvent::new(now, "organisation", organisation.id, status)
            .actor(principal.user_id)
            .tenant(awarding.id())
            .data(serde_json::json!({ "from": held.grade, "to": outcome.grade, "reason": reason })),
    )
    .await?;
    transaction.commit().await?;
    Ok(outcome)
}

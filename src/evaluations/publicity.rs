//! Publicity (公示): the registry publishes the panel's preliminary result as a disclosure for
//! the campaign's publicity days; anyone may object; the organisation may ask for a review (复核)
//! within the period, whose outcome the registry records (with new committee decisions when it
//! re-scores). When the period ends a job makes the result final: the grade is awarded, valid
//! five years, and disclosed.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use entities::{evaluation_application, evaluation_objection};
use sea_orm::{ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{
    FINAL, Loaded, PUBLICITY, SUBMITTED, applications::save, email::EvaluationEmailJob, grades,
    panel, points,
};
use crate::{
    audit::{self, AuditEvent},
    authz::Principal,
    db::{self, Scope},
    disclosures::{self, Category, NewDisclosure, service::local_date},
    error::{ApiError, FieldError},
    jobs::{self, Job},
    ratelimit,
    state::AppState,
    tenants::TenantRef,
    types::required_text,
};

/// Days between reminders of a review that waits for its outcome.
const REVIEW_REMINDER_DAYS: i64 = 7;

/// Objections one address may file in an hour.
const OBJECTIONS_PER_HOUR: i32 = 5;

/// Makes the result final when the publicity period ends.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FinaliseJob {
    pub application_id: Uuid,
}

impl Job for FinaliseJob {
    const KIND: &'static str = "evaluation_finalise";
}

fn grade_text(grade: Option<&str>) -> String {
    grade.map_or_else(|| "未达到评估等级".to_owned(), |grade| format!("{grade}级"))
}

/// The first instant of `day` in the tenant's zone: midnight, or, where the clocks skip
/// midnight (some zones spring forward at 00:00), the moment they resume.
pub(crate) fn start_of(tenant: &TenantRef, day: NaiveDate) -> DateTime<Utc> {
    crate::calendar::start_of_day(&tenant.model.time_zone, day)
}

fn publicity_notice(
    state: &AppState,
    loaded: &Loaded,
    total: i64,
    grade: Option<&str>,
    until: NaiveDate,
) -> NewDisclosure {
    notice_of_publicity(
        &loaded.tenant,
        loaded.campaign.year,
        &loaded.organisation,
        total,
        grade,
        until,
        &objections_url(state, loaded.application.id),
    )
}

/// The notice of a preliminary result, open to objections until `until`.
pub(crate) fn notice_of_publicity(
    tenant: &TenantRef,
    year: i32,
    organisation: &entities::organisation::Model,
    total: i64,
    grade: Option<&str>,
    until: NaiveDate,
    objections: &str,
) -> NewDisclosure {
    NewDisclosure {
        category: Category::EvaluationPublicity,
        title: format!("关于{}{year}年度社会组织评估结果的公示", organisation.name),
        body: format!(
            "根据{tenant}{year}年度社会组织评估工作安排，经评估专家组评审、评估委员会审议，{name}（统一社会信用代码：{code}）的初步评估结果为：总分{total}分，{grade}。\n公示期至{until}。公示期内，任何单位和个人均可对评估结果提出异议（{objections}，写明姓名、联系方式和异议内容）；该组织可申请复核。",
            tenant = tenant.model.name_zh,
            name = organisation.name,
            code = organisation.uscc,
            total = points(total),
            grade = grade_text(grade),
            until = until.format("%Y年%m月%d日"),
        ),
        written_on: None,
        document_number: None,
        subject_terms: vec!["社会组织".to_owned(), "评估".to_owned(), "公示".to_owned()],
        attachments: Vec::new(),
        subject: Some(("organisation", organisation.id.to_string())),
        supersedes: None,
        created_by: None,
    }
}

/// The notice of a final result decided on `decided_on`; `awarded` is false when a grade was
/// reached but not awarded (the organisation is no longer registered).
pub(crate) fn notice_of_result(
    year: i32,
    organisation: &entities::organisation::Model,
    total: i64,
    grade: Option<&str>,
    awarded: bool,
    decided_on: NaiveDate,
) -> NewDisclosure {
    NewDisclosure {
        category: Category::EvaluationResult,
        title: format!("关于{}{year}年度社会组织评估等级的公告", organisation.name),
        body: format!(
            "{name}（统一社会信用代码：{code}）{year}年度评估结果经公示，现予公告：总分{total}分，{grade_text}。{valid}",
            name = organisation.name,
            code = organisation.uscc,
            total = points(total),
            grade_text = grade_text(grade),
            valid = match (grade, awarded) {
                (Some(_), true) => format!(
                    "评估等级有效期自{}至{}。",
                    decided_on.format("%Y年%m月%d日"),
                    grades::valid_until(decided_on).format("%Y年%m月%d日")
                ),
                (Some(_), false) => {
                    "该组织现已不在正常登记状态，不予认定评估等级。".to_owned()
                }
                (None, _) => String::new(),
            },
        ),
        written_on: Some(decided_on),
        document_number: None,
        subject_terms: vec!["社会组织".to_owned(), "评估等级".to_owned()],
        attachments: Vec::new(),
        subject: Some(("organisation", organisation.id.to_string())),
        supersedes: None,
        created_by: None,
    }
}

/// Where objections to an application are filed.
pub fn objections_url(state: &AppState, id: Uuid) -> String {
    format!(
        "{}/api/v1/evaluation-applications/{id}/objections",
        state.config.public_url()
    )
}

/// Publishes the preliminary result (the registry), once the panel has all submitted.
pub async fn publish(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
) -> Result<evaluation_application::Model, ApiError> {
    let loaded = super::load(state, id).await?;
    loaded.require_registry(principal)?;
    if loaded.application.status != SUBMITTED {
        return Err(ApiError::conflict(
            "not_submitted",
            None,
            "only a submitted application's result is published",
        ));
    }
    let outcome = panel::outcome(&loaded)?;
    let now = state.clock.now();
    let today = local_date(&loaded.tenant, now);
    let days = i64::from(loaded.campaign.publicity_days.max(1));
    // The period runs to the end of its last day.
    let last_day = today + Duration::days(days - 1);
    let ends_at = start_of(&loaded.tenant, last_day + Duration::days(1));
    let notice = publicity_notice(
        state,
        &loaded,
        outcome.total,
        outcome.grade.as_deref(),
        last_day,
    );
    let transaction = db::begin(&state.db, Scope::Tenant(loaded.campaign.tenant_id)).await?;
    super::lock_application(&transaction, id).await?;
    let current = super::load_in(&transaction, state, id).await?;
    if current.application.version != loaded.application.version
        || panel::outcome(&current)? != outcome
    {
        return Err(ApiError::conflict(
            "edit_conflict",
            None,
            "the scores changed meanwhile; try again",
        ));
    }
    let disclosure = disclosures::publish(
        &transaction,
        &state.audit,
        &loaded.tenant,
        now,
        NewDisclosure {
            written_on: Some(today),
            created_by: Some(principal.user_id),
            ..notice
        },
    )
    .await?;
    let model = evaluation_application::Model {
        status: PUBLICITY.to_owned(),
        total: Some(outcome.total),
        grade: outcome.grade.clone(),
        published_at: Some(now),
        publicity_ends_at: Some(ends_at),
        preliminary_disclosure_id: Some(disclosure.id),
        updated_at: now,
        version: loaded.application.version + 1,
        ..loaded.application.clone()
    };
    save(&transaction, model.clone(), loaded.application.version).await?;
    jobs::queue::enqueue_at(
        &transaction,
        now,
        ends_at,
        &FinaliseJob { application_id: id },
        state.config.job_max_attempts,
    )
    .await?;
    jobs::queue::enqueue(
        &transaction,
        now,
        &EvaluationEmailJob::Result {
            application_id: id,
            preliminary: true,
        },
        state.config.job_max_attempts,
    )
    .await?;
    audit::record(
        &transaction,
        &state.audit,
        AuditEvent::new(now, "evaluation_application", id, "publish")
            .actor(principal.user_id)
            .tenant(loaded.campaign.tenant_id)
            .data(serde_json::json!({ "total": outcome.total, "grade": outcome.grade })),
    )
    .await?;
    transaction.commit().await?;
    Ok(model)
}

/// The application whose preliminary result `disclosure` publishes, while it takes objections.
pub async fn open_to_objections(
    state: &AppState,
    disclosure: Uuid,
) -> Result<Option<Uuid>, ApiError> {
    let application = evaluation_application::Entity::find()
        .filter(evaluation_application::Column::PreliminaryDisclosureId.eq(disclosure))
        .one(&state.db)
        .await?;
    Ok(application
        .filter(|application| in_publicity(application, state.clock.now()))
        .map(|application| application.id))
}

fn in_publicity(application: &evaluation_application::Model, now: DateTime<Utc>) -> bool {
    application.status == PUBLICITY && application.publicity_ends_at.is_some_and(|end| now < end)
}

/// An objection from anyone, during publicity (limited per address).
pub struct NewObjection {
    pub name: String,
    pub contact: String,
    pub body: String,
}

pub async fn object(
    state: &AppState,
    client: &str,
    id: Uuid,
    new: NewObjection,
) -> Result<evaluation_objection::Model, ApiError> {
    let loaded = super::load(state, id).await?;
    // Before publication an application is nobody else's business.
    if loaded.application.published_at.is_none() {
        return Err(ApiError::not_found());
    }
    let now = state.clock.now();
    if !in_publicity(&loaded.application, now) {
        return Err(ApiError::conflict(
            "not_in_publicity",
            None,
            "objections are taken while the result is in publicity",
        ));
    }
    let mut errors = Vec::new();
    let mut text = |field: &str, value: &str, max: usize| match required_text(value, max) {
        Ok(text) => text,
        Err(code) => {
            errors.push(FieldError::new(field, code, format!("1-{max} characters")));
            String::new()
        }
    };
    let name = text("name", &new.name, 100);
    let contact = text("contact", &new.contact, 200);
    let body = text("text", &new.body, 5000);
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    if let Some(retry_after) = ratelimit::hit(
        &state.db,
        &format!("objection:{client}"),
        OBJECTIONS_PER_HOUR,
        Duration::hours(1),
        now,
    )
    .await?
    {
        return Err(ApiError::too_many_requests(retry_after));
    }
    let objection = evaluation_objection::Model {
        id: Uuid::now_v7(),
        tenant_id: loaded.campaign.tenant_id,
        application_id: id,
        name,
        contact,
        body,
        filed_at: now,
    };
    let transaction = db::begin(&state.db, Scope::Tenant(loaded.campaign.tenant_id)).await?;
    evaluation_objection::Entity::insert(objection.clone().into_active_model())
        .exec_without_returning(&transaction)
        .await?;
    jobs::queue::enqueue(
        &transaction,
        now,
        &EvaluationEmailJob::Objection {
            objection_id: objection.id,
        },
        state.config.job_max_attempts,
    )
    .await?;
    audit::record(
        &transaction,
        &state.audit,
        AuditEvent::new(now, "evaluation_application", id, "objection")
            .tenant(loaded.campaign.tenant_id)
            .data(serde_json::json!({ "objection_id": objection.id })),
    )
    .await?;
    transaction.commit().await?;
    Ok(objection)
}

/// The objections to an application (its registry).
pub async fn objections(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
) -> Result<Vec<evaluation_objection::Model>, ApiError> {
    let loaded = super::load(state, id).await?;
    match loaded.role_of(principal)? {
        super::Role::Registry(_) => {}
        _ => return Err(ApiError::forbidden()),
    }
    Ok(evaluation_objection::Entity::find()
        .filter(evaluation_objection::Column::ApplicationId.eq(id))
        .order_by_asc(evaluation_objection::Column::FiledAt)
        .all(&state.db)
        .await?)
}

/// The organisation asks for a review within the period (once).
pub async fn request_review(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    reason: &str,
) -> Result<evaluation_application::Model, ApiError> {
    let loaded = super::load(state, id).await?;
    loaded.require_organisation_admin(principal)?;
    let now = state.clock.now();
    if !in_publicity(&loaded.application, now) {
        return Err(ApiError::conflict(
            "not_in_publicity",
            None,
            "a review is requested while the result is in publicity",
        ));
    }
    if loaded.application.review_requested_at.is_some() {
        return Err(ApiError::conflict(
            "review_requested",
            None,
            "a review has been requested already",
        ));
    }
    let reason = required_text(reason, 5000)
        .map_err(|code| ApiError::field("reason", code, "the grounds, 1-5000 characters"))?;
    let model = evaluation_application::Model {
        review_requested_at: Some(now),
        review_reason: Some(reason),
        ..loaded.application.clone()
    };
    super::applications::save_with_audit(
        state,
        &loaded,
        model,
        Some(principal.user_id),
        "request_review",
        serde_json::Value::Null,
    )
    .await
}

/// The registry records the review's outcome, re-scoring through committee decisions if need
/// be; a changed result is published as a correction of the notice. A review decided after the
/// period finalises at once.
pub async fn record_review(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    outcome_text: &str,
    decisions: panel::Decisions,
) -> Result<evaluation_application::Model, ApiError> {
    let loaded = super::load(state, id).await?;
    loaded.require_registry(principal)?;
    if loaded.application.status != PUBLICITY
        || loaded.application.review_requested_at.is_none()
        || loaded.application.reviewed_at.is_some()
    {
        return Err(ApiError::conflict(
            "no_review_pending",
            None,
            "no review of this application is waiting for its outcome",
        ));
    }
    let outcome_text = required_text(outcome_text, 5000)
        .map_err(|code| ApiError::field("outcome", code, "the outcome, 1-5000 characters"))?;
    let merged = panel::checked_decisions(&loaded, decisions)?;
    let mut rescored = loaded.clone();
    rescored.application.decisions = serde_json::to_string(&merged).map_err(ApiError::internal)?;
    let result = panel::outcome(&rescored)?;
    let now = state.clock.now();
    let today = local_date(&loaded.tenant, now);
    let changed =
        Some(result.total) != loaded.application.total || result.grade != loaded.application.grade;
    let transaction = db::begin(&state.db, Scope::Tenant(loaded.campaign.tenant_id)).await?;
    let mut preliminary = loaded.application.preliminary_disclosure_id;
    let mut publicity_ends_at = loaded.application.publicity_ends_at;
    if changed {
        // A changed result is published for a period of its own.
        let days = i64::from(loaded.campaign.publicity_days.max(1));
        let until = today + Duration::days(days - 1);
        let ends_at = start_of(&loaded.tenant, until + Duration::days(1));
        publicity_ends_at = Some(ends_at);
        jobs::queue::enqueue_at(
            &transaction,
            now,
            ends_at,
            &FinaliseJob { application_id: id },
            state.config.job_max_attempts,
        )
        .await?;
        let notice = publicity_notice(state, &loaded, result.total, result.grade.as_deref(), until);
        let correction = disclosures::publish(
            &transaction,
            &state.audit,
            &loaded.tenant,
            now,
            NewDisclosure {
                title: format!("{}（复核后更正）", notice.title),
                body: format!("{}\n经复核：{outcome_text}", notice.body),
                written_on: Some(today),
                subject_terms: vec!["社会组织".to_owned(), "评估".to_owned(), "复核".to_owned()],
                supersedes: loaded.application.preliminary_disclosure_id,
                created_by: Some(principal.user_id),
                ..notice
            },
        )
        .await?;
        preliminary = Some(correction.id);
    }
    let model = evaluation_application::Model {
        decisions: rescored.application.decisions.clone(),
        total: Some(result.total),
        grade: result.grade.clone(),
        review_outcome: Some(outcome_text),
        reviewed_at: Some(now),
        preliminary_disclosure_id: preliminary,
        publicity_ends_at,
        updated_at: now,
        version: loaded.application.version + 1,
        ..loaded.application.clone()
    };
    save(&transaction, model.clone(), loaded.application.version).await?;
    jobs::queue::enqueue(
        &transaction,
        now,
        &EvaluationEmailJob::ReviewOutcome { application_id: id },
        state.config.job_max_attempts,
    )
    .await?;
    if model.publicity_ends_at.is_some_and(|end| end <= now) {
        jobs::queue::enqueue(
            &transaction,
            now,
            &FinaliseJob { application_id: id },
            state.config.job_max_attempts,
        )
        .await?;
    }
    audit::record(
        &transaction,
        &state.audit,
        AuditEvent::new(now, "evaluation_application", id, "record_review")
            .actor(principal.user_id)
            .tenant(loaded.campaign.tenant_id)
            .data(serde_json::json!({
                "total": result.total,
                "grade": result.grade,
                "changed": changed,
            })),
    )
    .await?;
    transaction.commit().await?;
    Ok(model)
}

/// The job at the end of publicity: final unless a review still waits for its outcome (the
/// review's record finalises then). Safe to run twice.
pub async fn finalise(state: &AppState, job: FinaliseJob) -> anyhow::Result<()> {
    let loaded = match super::load(state, job.application_id).await {
        Ok(loaded) => loaded,
        Err(error) if error.status() == poem::http::StatusCode::NOT_FOUND => return Ok(()),
        Err(error) => anyhow::bail!("loading the application: {error:?}"),
    };
    let application = &loaded.application;
    let now = state.clock.now();
    let pending_review =
        application.review_requested_at.is_some() && application.reviewed_at.is_none();
    if application.status != PUBLICITY || application.publicity_ends_at.is_none_or(|end| end > now)
    {
        return Ok(());
    }
    if pending_review {
        // The result waits for the review's outcome; the registry is reminded every week until
        // it records one (which finalises at once).
        let transaction = db::begin(&state.db, Scope::Tenant(loaded.campaign.tenant_id)).await?;
        jobs::queue::enqueue(
            &transaction,
            now,
            &EvaluationEmailJob::ReviewPending {
                application_id: application.id,
            },
            state.config.job_max_attempts,
        )
        .await?;
        jobs::queue::enqueue_at(
            &transaction,
            now,
            now + Duration::days(REVIEW_REMINDER_DAYS),
            &job,
            state.config.job_max_attempts,
        )
        .await?;
        transaction.commit().await?;
        return Ok(());
    }
    let total = application.total.unwrap_or(0);
    // Decided when the period ended (or the review was recorded, if later), whenever the job
    // happens to run.
    let decided_at = application
        .publicity_ends_at
        .into_iter()
        .chain(application.reviewed_at)
        .max()
        .unwrap_or(now);
    let today = local_date(&loaded.tenant, decided_at);
    // An organisation revoked or listed abnormal meanwhile is not awarded its grade.
    let eligible = crate::registry::model::OrgStatus::parse(&loaded.organisation.status)
        == Some(crate::registry::model::OrgStatus::Registered);
    let grade = application.grade.clone().filter(|_| eligible);
    let transaction = db::begin(&state.db, Scope::Tenant(loaded.campaign.tenant_id)).await?;
    super::lock_application(&transaction, application.id).await?;
    let disclosure = disclosures::publish(
        &transaction,
        &state.audit,
        &loaded.tenant,
        now,
        notice_of_result(
            loaded.campaign.year,
            &loaded.organisation,
            total,
            application.grade.as_deref(),
            grade.is_some(),
            today,
        ),
    )
    .await?;
    if let Some(grade) = &grade {
        let tenant = loaded.tenant.clone();
        grades::award(
            &transaction,
            loaded.campaign.tenant_id,
            loaded.organisation.id,
            Some(application.id),
            grade,
            total,
            today,
            Some(disclosure.id),
            now,
            move |day| start_of(&tenant, day),
        )
        .await?;
    } else {
        // A later evaluation replaces an earlier grade, also when it reaches none.
        grades::supersede_current(&transaction, loaded.organisation.id, now).await?;
    }
    let model = evaluation_application::Model {
        status: FINAL.to_owned(),
        finalised_at: Some(now),
        final_disclosure_id: Some(disclosure.id),
        updated_at: now,
        version: application.version + 1,
        ..application.clone()
    };
    match save(&transaction, model.clone(), application.version).await {
        Ok(_) => {}
        // Changed meanwhile (a second run, or a review recorded): the later state decides.
        Err(error) if error.code() == "edit_conflict" => return Ok(()),
        Err(error) => anyhow::bail!("saving the final result: {error:?}"),
    }
    jobs::queue::enqueue(
        &transaction,
        now,
        &EvaluationEmailJob::Result {
            application_id: application.id,
            preliminary: false,
        },
        state.config.job_max_attempts,
    )
    .await?;
    audit::record(
        &transaction,
        &state.audit,
        AuditEvent::new(now, "evaluation_application", application.id, "finalise")
            .tenant(loaded.campaign.tenant_id)
            .data(serde_json::json!({ "total": total, "grade": application.grade })),
    )
    .await?;
    transaction.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, TimeZone, Utc};

    use super::start_of;
    use crate::tenants::TenantRef;

    fn in_zone(time_zone: &str) -> TenantRef {
        TenantRef {
            model: entities::tenant::Model {
                time_zone: time_zone.to_owned(),
                ..crate::testing::tenant("zone", None)
            },
            parent_slug: None,
        }
    }

    #[test]
    fn a_day_starts_at_midnight_or_when_the_clocks_resume() {
        let day = |month, day| NaiveDate::from_ymd_opt(2024, month, day).unwrap();
        let utc = |month, day, hour| Utc.with_ymd_and_hms(2024, month, day, hour, 0, 0).unwrap();
        let shanghai = in_zone("Asia/Shanghai");
        assert_eq!(start_of(&shanghai, day(3, 10)), utc(3, 9, 16));
        // Havana springs forward at midnight: 00:00 CST (UTC-5) becomes 01:00 CDT.
        let havana = in_zone("America/Havana");
        assert_eq!(start_of(&havana, day(3, 10)), utc(3, 10, 5));
        assert_eq!(start_of(&havana, day(3, 11)), utc(3, 11, 4));
        // A zone that cannot be read counts in UTC.
        assert_eq!(
            start_of(&in_zone("Mars/Olympus"), day(3, 10)),
            utc(3, 10, 0)
        );
    }
}

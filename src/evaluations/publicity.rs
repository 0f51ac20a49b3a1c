//! Publicity (公示): the registry publishes the panel's preliminary result as a disclosure for
//! the campaign's publicity days; anyone may object; the organisation may ask for a review (复核)
//! within the period, whose outcome the registry records (with new committee decisions when it
//! re-scores). When the period ends a job makes the result final: the grade is awarded, valid
//! five years, and disclosed.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use entities::evaluation_application;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
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
    disclosures::{self, Category, NewDisclosure},
    error::ApiError,
    jobs::{self, Job},
    state::AppState,
    tenants::TenantRef,
};

/// Days between reminders of a review that waits for its outcome.
pub(crate) const REVIEW_REMINDER_DAYS: i64 = 7;

/// Objections one address may file in an hour.
pub(crate) const OBJECTIONS_PER_HOUR: i32 = 5;

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

pub(crate) fn publicity_notice(
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
    let today = loaded.tenant.local_date(now);
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

pub(crate) fn in_publicity(
    application: &evaluation_application::Model,
    now: DateTime<Utc>,
) -> bool {
    application.status == PUBLICITY && application.publicity_ends_at.is_some_and(|end| now < end)
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
    let today = loaded.tenant.local_date(decided_at);
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

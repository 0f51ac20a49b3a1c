//! The registry's daily job: organisations that missed the annual report deadline are listed as
//! abnormal (reason, disclosure, e-mail), and organisations two years on the abnormal list are
//! flagged for the serious-violation list. Safe to run twice: what is done is not done again.

use chrono::{Datelike, Duration, NaiveDate};
use entities::{job, organisation, registry_setting, serious_violation_flag};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    QuerySelect,
};
use serde::{Deserialize, Serialize};
use tracing::{info, warn};
use uuid::Uuid;

use super::deadline::{CAUSE_ANNUAL_REPORT, overdue_year, parse_deadline};
use crate::{
    audit::{self, AuditEvent},
    db::{self, Scope},
    disclosures::Category,
    jobs::{self, Job},
    mail::{OutgoingEmail, templates},
    registry::{
        model::OrgStatus,
        organisations::{
            service::{HistoryEvent, record_event},
            status::{StatusChange, change_status},
        },
    },
    state::AppState,
    tenants::{self, TenantRef},
    users,
};

/// Runs the sweep, then schedules the next one a day later.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistryDailyJob {}

impl Job for RegistryDailyJob {
    const KIND: &'static str = "registry_daily";
}

/// Tells an organisation it was listed as abnormal for a missing annual report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AbnormalListingEmailJob {
    pub organisation_id: Uuid,
    pub year: i32,
}

impl Job for AbnormalListingEmailJob {
    const KIND: &'static str = "abnormal_listing_email";
}

async fn waiting(db: &impl ConnectionTrait) -> Result<u64, sea_orm::DbErr> {
    job::Entity::find()
        .filter(job::Column::Kind.eq(RegistryDailyJob::KIND))
        .filter(job::Column::State.eq(jobs::queue::QUEUED))
        .count(db)
        .await
}

/// Makes sure a daily sweep is queued when some tenant has a deadline (at start, and when a
/// deadline is set; several nodes may do it at once, and a second sweep is harmless).
pub async fn ensure_scheduled(
    db: &impl ConnectionTrait,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), sea_orm::DbErr> {
    let deadlines = registry_setting::Entity::find()
        .filter(registry_setting::Column::AnnualReportDeadline.is_not_null())
        .count(db)
        .await?;
    if deadlines > 0 && waiting(db).await? == 0 {
        jobs::queue::enqueue(db, now, &RegistryDailyJob::default(), 5).await?;
    }
    Ok(())
}

/// What one sweep did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub listed: u64,
    pub flagged: u64,
    /// Organisations whose listing failed; the others are listed all the same.
    pub failed: u64,
}

pub async fn run_daily(state: &AppState) -> anyhow::Result<()> {
    // Tomorrow's run is queued first, so that a sweep that fails (and is retried, and perhaps
    // parked) never stops the days after it.
    if waiting(&state.db).await? == 0 {
        let now = state.clock.now();
        jobs::queue::enqueue_at(
            &state.db,
            now,
            next_run(now),
            &RegistryDailyJob::default(),
            5,
        )
        .await?;
    }
    let report = sweep(state).await?;
    info!(
        listed = report.listed,
        flagged = report.flagged,
        failed = report.failed,
        "registry daily sweep done"
    );
    if report.failed > 0 {
        anyhow::bail!("{} organisations could not be swept", report.failed);
    }
    Ok(())
}

/// One minute past the next midnight in China Standard Time, the zone of nearly every tenant.
/// Each tenant's deadline is still counted in its own zone; elsewhere a listing may come up to
/// a day late.
fn next_run(now: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
    let zone = chrono_tz::Asia::Shanghai;
    let tomorrow = now.with_timezone(&zone).date_naive() + Duration::days(1);
    tomorrow
        .and_hms_opt(0, 1, 0)
        .and_then(|at| at.and_local_timezone(zone).single())
        .map_or(now + Duration::days(1), |at| at.with_timezone(&chrono::Utc))
}

fn local_day(tenant: &TenantRef, at: chrono::DateTime<chrono::Utc>) -> NaiveDate {
    tenant.local_date(at)
}

/// Lists every organisation that missed its tenant's deadline, and flags long-abnormal ones.
pub async fn sweep(state: &AppState) -> anyhow::Result<SweepReport> {
    let mut report = SweepReport::default();
    let settings = registry_setting::Entity::find()
        .filter(registry_setting::Column::AnnualReportDeadline.is_not_null())
        .all(&state.db)
        .await?;
    for setting in settings {
        let Some(deadline) = setting
            .annual_report_deadline
            .as_deref()
            .and_then(parse_deadline)
        else {
            continue;
        };
        let tenant = tenants::service::get_tenant_by_id(state, setting.tenant_id).await?;
        let today = local_day(&tenant, state.clock.now());
        let year = overdue_year(today, deadline);
        let Some(end_of_year) = NaiveDate::from_ymd_opt(year, 12, 31) else {
            continue;
        };
        let registered = organisation::Entity::find()
            .filter(organisation::Column::TenantId.eq(tenant.id()))
            .filter(organisation::Column::Status.eq(OrgStatus::Registered.as_str()))
            .all(&state.db)
            .await?;
        let filed: std::collections::HashSet<Uuid> = entities::annual_report::Entity::find()
            .select_only()
            .column(entities::annual_report::Column::OrganisationId)
            .filter(entities::annual_report::Column::TenantId.eq(tenant.id()))
            .filter(entities::annual_report::Column::Year.eq(year))
            .into_tuple::<Uuid>()
            .all(&state.db)
            .await?
            .into_iter()
            .collect();
        for model in registered {
            // Organisations registered after the year ended owe no report for it, and neither do
            // those that came into the register afterwards (imported, or recorded as existing):
            // their earlier reports were kept where the register was kept then.
            let entered = local_day(&tenant, model.created_at);
            let since = model
                .registered_at
                .map(|at| local_day(&tenant, at))
                .or(model.founded_on)
                .map_or(entered, |registered| registered.max(entered));
            if since > end_of_year || filed.contains(&model.id) {
                continue;
            }
            let reason = format!("未按时报送{year}年度工作报告");
            let change = StatusChange {
                to: OrgStatus::Abnormal,
                event: "listed_abnormal",
                category: Category::AbnormalListing,
                title: format!("关于将{}列入活动异常名录的公告", model.name),
                body: format!(
                    "{name}（统一社会信用代码：{code}）{reason}，依据《社会组织活动异常名录管理办法》列入社会组织活动异常名录。报送年度工作报告后可申请移出。",
                    name = model.name,
                    code = model.uscc
                ),
                reason: &reason,
                attachments: Vec::new(),
                cause: Some(serde_json::json!({ "cause": CAUSE_ANNUAL_REPORT, "year": year })),
                email: Some(AbnormalListingEmailJob {
                    organisation_id: model.id,
                    year,
                }),
            };
            let organisation_id = model.id;
            match change_status(state, None, model, &tenant, change).await {
                Ok(_) => report.listed += 1,
                // Changed meanwhile (by an administrator, or by another node's sweep).
                Err(error) if error.code() == "edit_conflict" => {}
                Err(error) => {
                    warn!(organisation_id = %organisation_id, %error, "abnormal listing failed");
                    report.failed += 1;
                }
            }
        }
        report.flagged += flag_long_abnormal(state, &tenant, today).await?;
    }
    Ok(report)
}

/// Flags organisations on the abnormal list for two years or more, once per listing.
async fn flag_long_abnormal(
    state: &AppState,
    tenant: &TenantRef,
    today: NaiveDate,
) -> anyhow::Result<u64> {
    let Some(two_years_ago) = today.with_year(today.year() - 2).or_else(|| {
        today
            .pred_opt()
            .and_then(|day| day.with_year(day.year() - 2))
    }) else {
        return Ok(0);
    };
    let abnormal = organisation::Entity::find()
        .filter(organisation::Column::TenantId.eq(tenant.id()))
        .filter(organisation::Column::Status.eq(OrgStatus::Abnormal.as_str()))
        .filter(organisation::Column::StatusDate.lte(two_years_ago))
        .all(&state.db)
        .await?;
    let mut flagged = 0;
    for model in abnormal {
        let listed_on = model.status_date.unwrap_or(two_years_ago);
        let earlier = serious_violation_flag::Entity::find()
            .filter(serious_violation_flag::Column::OrganisationId.eq(model.id))
            .all(&state.db)
            .await?;
        if earlier
            .iter()
            .any(|flag| local_day(tenant, flag.flagged_at) >= listed_on)
        {
            continue;
        }
        let now = state.clock.now();
        let flag = serious_violation_flag::Model {
            id: Uuid::now_v7(),
            tenant_id: tenant.id(),
            organisation_id: model.id,
            flagged_at: now,
            decision: "pending".to_owned(),
            reason: None,
            decided_at: None,
            decided_by: None,
            disclosure_id: None,
        };
        let transaction = db::begin(&state.db, Scope::Tenant(tenant.id())).await?;
        match serious_violation_flag::Entity::insert(flag.clone().into_active_model())
            .exec_without_returning(&transaction)
            .await
        {
            Ok(_) => {}
            // Another node flagged it a moment ago (one pending flag per organisation).
            Err(error) if db::is_unique_violation(&error) => {
                transaction.rollback().await?;
                continue;
            }
            Err(error) => return Err(error.into()),
        }
        record_event(
            &transaction,
            &model,
            now,
            HistoryEvent {
                event: "flagged_serious_violation",
                effective_on: today,
                data: serde_json::json!({ "abnormal_since": listed_on }),
                disclosure_id: None,
                actor: None,
            },
        )
        .await?;
        audit::record(
            &transaction,
            &state.audit,
            AuditEvent::new(now, "organisation", model.id, "flag_serious_violation")
                .tenant(tenant.id())
                .data(serde_json::json!({ "abnormal_since": listed_on })),
        )
        .await?;
        transaction.commit().await?;
        flagged += 1;
    }
    Ok(flagged)
}

/// Sends the listing notice to the organisation's administrators and its contact address.
pub async fn send_abnormal_listing(
    state: &AppState,
    job_id: Uuid,
    job: AbnormalListingEmailJob,
) -> anyhow::Result<()> {
    let Some(model) = organisation::Entity::find_by_id(job.organisation_id)
        .one(&state.db)
        .await?
    else {
        return Ok(());
    };
    let mut recipients: Vec<String> = Vec::new();
    for grant in users::service::organisation_grants(&state.db, model.id).await? {
        if grant.role == "org_admin"
            && let Some(user) = users::service::find_user(state, grant.user_id).await?
            && !recipients.contains(&user.email)
        {
            recipients.push(user.email);
        }
    }
    if let Some(contact) = &model.contact_email
        && !recipients.contains(contact)
    {
        recipients.push(contact.clone());
    }
    let rendered = templates::abnormal_listed::Data {
        organisation: model.name.clone(),
        code: model.uscc.clone(),
        year: job.year,
        link: format!(
            "{}/api/v1/organisations/{}/annual-reports",
            state.config.public_url(),
            model.id
        ),
    }
    .render()?;
    for (index, to) in recipients.into_iter().enumerate() {
        state
            .mailer
            .send(&OutgoingEmail {
                to,
                subject: rendered.subject.clone(),
                text: rendered.text.clone(),
                html: rendered.html.clone(),
                message_id: format!("{}.{index}@{}", job_id.simple(), state.mailer.domain()),
            })
            .await?;
    }
    Ok(())
}

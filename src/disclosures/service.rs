//! Publishing and reading disclosures.

use chrono::{DateTime, NaiveDate, Utc};
use entities::disclosure;
use sea_orm::{ConnectionTrait, DbErr};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::repo::{self, DisclosureFilter};
use crate::{
    audit::{self, AuditEvent},
    authz::Principal,
    counters,
    db::{self, Scope},
    error::ApiError,
    state::AppState,
    tenants::{self, TenantRef},
};

/// What a disclosure is about (分类).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, poem_openapi::Enum)]
#[serde(rename_all = "snake_case")]
#[oai(rename_all = "snake_case")]
pub enum Category {
    Registration,
    Change,
    AbnormalListing,
    AbnormalDelisting,
    Deregistration,
    Revocation,
    AnnualReport,
    SeriousViolation,
    IncubationGraduation,
    /// 评估结果公示: a preliminary evaluation result, open to objections.
    EvaluationPublicity,
    /// 评估等级公告: a grade awarded after publicity.
    EvaluationResult,
    /// 评估等级变更: a grade downgraded or cancelled.
    GradeChange,
    Policy,
}

impl Category {
    pub const ALL: [Category; 13] = [
        Category::Registration,
        Category::Change,
        Category::AbnormalListing,
        Category::AbnormalDelisting,
        Category::Deregistration,
        Category::Revocation,
        Category::AnnualReport,
        Category::SeriousViolation,
        Category::IncubationGraduation,
        Category::EvaluationPublicity,
        Category::EvaluationResult,
        Category::GradeChange,
        Category::Policy,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Registration => "registration",
            Category::Change => "change",
            Category::AbnormalListing => "abnormal_listing",
            Category::AbnormalDelisting => "abnormal_delisting",
            Category::Deregistration => "deregistration",
            Category::Revocation => "revocation",
            Category::AnnualReport => "annual_report",
            Category::SeriousViolation => "serious_violation",
            Category::IncubationGraduation => "incubation_graduation",
            Category::EvaluationPublicity => "evaluation_publicity",
            Category::EvaluationResult => "evaluation_result",
            Category::GradeChange => "grade_change",
            Category::Policy => "policy",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Category::ALL
            .into_iter()
            .find(|category| category.as_str() == value)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Category::Registration => "成立登记公告",
            Category::Change => "变更登记公告",
            Category::AbnormalListing => "列入活动异常名录",
            Category::AbnormalDelisting => "移出活动异常名录",
            Category::Deregistration => "注销登记公告",
            Category::Revocation => "撤销登记公告",
            Category::AnnualReport => "年度报告公示",
            Category::SeriousViolation => "列入严重违法失信名单",
            Category::IncubationGraduation => "孵化出壳公告",
            Category::EvaluationPublicity => "评估结果公示",
            Category::EvaluationResult => "评估等级公告",
            Category::GradeChange => "评估等级变更",
            Category::Policy => "政策文件",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Category::Registration => "Registration announcement",
            Category::Change => "Change of registration",
            Category::AbnormalListing => "Listed as abnormal",
            Category::AbnormalDelisting => "Removed from the abnormal list",
            Category::Deregistration => "Deregistration",
            Category::Revocation => "Revocation",
            Category::AnnualReport => "Annual report",
            Category::SeriousViolation => "Listed as a serious violator",
            Category::IncubationGraduation => "Graduation from incubation",
            Category::EvaluationPublicity => "Evaluation results for comment",
            Category::EvaluationResult => "Evaluation grade awarded",
            Category::GradeChange => "Evaluation grade changed",
            Category::Policy => "Policy document",
        }
    }
}

/// A disclosure to publish.
#[derive(Debug, Clone)]
pub struct NewDisclosure {
    pub category: Category,
    pub title: String,
    pub body: String,
    /// 成文日期; the publication date in the tenant's time zone when `None`.
    pub written_on: Option<NaiveDate>,
    pub document_number: Option<String>,
    pub subject_terms: Vec<String>,
    pub attachments: Vec<Uuid>,
    /// What it concerns: (`organisation`, id), …
    pub subject: Option<(&'static str, String)>,
    pub supersedes: Option<Uuid>,
    pub created_by: Option<Uuid>,
}

/// The publisher code of a tenant: its own credit code, or its division code.
pub fn publisher_code(tenant: &TenantRef) -> String {
    tenant
        .model
        .org_code
        .clone()
        .unwrap_or_else(|| tenant.model.division_code.clone())
}

/// Publishes a disclosure inside the caller's transaction, numbering it in the publisher's
/// sequence for the year.
pub async fn publish(
    db: &impl ConnectionTrait,
    key: &audit::AuditKey,
    tenant: &TenantRef,
    now: DateTime<Utc>,
    new: NewDisclosure,
) -> Result<disclosure::Model, DbErr> {
    let published_on = tenant.local_date(now);
    let year = published_on.format("%Y").to_string();
    let code = publisher_code(tenant);
    let sequence = counters::next(db, &format!("disclosure:{code}:{year}")).await?;
    let model = disclosure::Model {
        id: Uuid::now_v7(),
        tenant_id: tenant.id(),
        index_no: format!("{code}/{year}-{sequence:05}"),
        category: new.category.as_str().to_owned(),
        publisher: tenant.model.name_zh.clone(),
        written_on: new.written_on.unwrap_or(published_on),
        published_at: now,
        document_number: new.document_number,
        subject_terms: serde_json::to_string(&new.subject_terms).unwrap_or_else(|_| "[]".into()),
        title: new.title,
        body: new.body,
        attachments: serde_json::to_string(&new.attachments).unwrap_or_else(|_| "[]".into()),
        subject_type: new.subject.as_ref().map(|(kind, _)| (*kind).to_owned()),
        subject_id: new.subject.map(|(_, id)| id),
        supersedes_id: new.supersedes,
        created_by: new.created_by,
    };
    repo::insert(db, model.clone()).await?;
    audit::record(
        db,
        key,
        AuditEvent::new(now, "disclosure", model.id, "publish")
            .actor_opt(new.created_by)
            .tenant(tenant.id())
            .data(serde_json::json!({
                "index_no": model.index_no,
                "category": model.category,
                "title": model.title,
                "supersedes": model.supersedes_id,
            })),
    )
    .await?;
    Ok(model)
}

/// Records a disclosure published before socorg, under the index number it already carries
/// (imports, the demo's seed document). Later numbers continue after it in its sequence.
pub async fn record_existing(
    db: &impl ConnectionTrait,
    tenant: &TenantRef,
    index_no: &str,
    published_at: DateTime<Utc>,
    new: NewDisclosure,
) -> Result<disclosure::Model, DbErr> {
    let model = disclosure::Model {
        id: Uuid::now_v7(),
        tenant_id: tenant.id(),
        index_no: index_no.to_owned(),
        category: new.category.as_str().to_owned(),
        publisher: tenant.model.name_zh.clone(),
        written_on: new
            .written_on
            .unwrap_or_else(|| tenant.local_date(published_at)),
        published_at,
        document_number: new.document_number,
        subject_terms: serde_json::to_string(&new.subject_terms).unwrap_or_else(|_| "[]".into()),
        title: new.title,
        body: new.body,
        attachments: serde_json::to_string(&new.attachments).unwrap_or_else(|_| "[]".into()),
        subject_type: new.subject.as_ref().map(|(kind, _)| (*kind).to_owned()),
        subject_id: new.subject.map(|(_, id)| id),
        supersedes_id: new.supersedes,
        created_by: new.created_by,
    };
    repo::insert(db, model.clone()).await?;
    Ok(model)
}

/// A disclosure with what the public needs around it.
pub struct DisclosureView {
    pub model: disclosure::Model,
    pub tenant_slug: String,
    pub superseded_by: Option<Uuid>,
}

pub async fn get_disclosure(state: &AppState, id: Uuid) -> Result<DisclosureView, ApiError> {
    let model = repo::find(&state.db, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let tenant = tenants::service::get_tenant_by_id(state, model.tenant_id).await?;
    let superseded_by = repo::superseded_by(&state.db, id).await?;
    Ok(DisclosureView {
        model,
        tenant_slug: tenant.model.slug,
        superseded_by,
    })
}

/// Public listing; `tenant` includes the tenants below it.
pub async fn list_disclosures(
    state: &AppState,
    tenant: Option<&str>,
    mut filter: DisclosureFilter,
    limit: u64,
) -> Result<Vec<DisclosureView>, ApiError> {
    if let Some(slug) = tenant {
        let tenant = tenants::service::get_tenant(state, slug).await?;
        filter.tenants = Some(tenants::repo::subtree_ids(&state.db, &[tenant.id()]).await?);
    }
    let models = repo::list(&state.db, filter, limit).await?;
    let tenant_ids: Vec<Uuid> = models.iter().map(|model| model.tenant_id).collect();
    let tenants = tenants::repo::find_by_ids(&state.db, tenant_ids).await?;
    Ok(models
        .into_iter()
        .map(|model| DisclosureView {
            tenant_slug: tenants
                .iter()
                .find(|tenant| tenant.id == model.tenant_id)
                .map(|tenant| tenant.slug.clone())
                .unwrap_or_default(),
            model,
            superseded_by: None,
        })
        .collect())
}

/// An administrator's own publication: a policy document, or a correction of an earlier record
/// of the same tenant (which it supersedes).
pub async fn publish_by_administrator(
    state: &AppState,
    principal: &Principal,
    slug: &str,
    mut new: NewDisclosure,
) -> Result<DisclosureView, ApiError> {
    let tenant = tenants::service::get_tenant(state, slug).await?;
    principal
        .tenant_access(&tenant.position())
        .require_manage_public()?;
    if let Some(earlier) = new.supersedes {
        let earlier = repo::find(&state.db, earlier)
            .await?
            .filter(|earlier| earlier.tenant_id == tenant.id())
            .ok_or_else(|| {
                ApiError::field(
                    "supersedes",
                    "not_found",
                    "no disclosure of this tenant has this id",
                )
            })?;
        if repo::superseded_by(&state.db, earlier.id).await?.is_some() {
            return Err(ApiError::conflict(
                "already_superseded",
                Some("supersedes"),
                "this disclosure has already been superseded; correct the latest version",
            ));
        }
        if let Some(category) = Category::parse(&earlier.category) {
            new.category = category;
        }
        new.subject = earlier
            .subject_type
            .clone()
            .and_then(|kind| match kind.as_str() {
                "organisation" => Some("organisation"),
                _ => None,
            })
            .zip(earlier.subject_id.clone());
    }
    for attachment in &new.attachments {
        let document = crate::documents::service::find_document(state, *attachment).await?;
        let usable = document.as_ref().is_some_and(|document| {
            document.tenant_id == tenant.id() && document.visibility == "public"
        });
        if !usable {
            return Err(ApiError::field(
                "attachments",
                "not_found",
                format!("{attachment} is not a public document of this tenant"),
            ));
        }
    }
    new.created_by = Some(principal.user_id);
    let now = state.clock.now();
    let transaction = db::begin(&state.db, Scope::Tenant(tenant.id())).await?;
    let model = publish(&transaction, &state.audit, &tenant, now, new)
        .await
        .map_err(ApiError::conflict_if_unique(
            "already_superseded",
            Some("supersedes"),
            "this disclosure has already been superseded; correct the latest version",
        ))?;
    transaction.commit().await?;
    Ok(DisclosureView {
        model,
        tenant_slug: tenant.model.slug,
        superseded_by: None,
    })
}

//! `/api/v1/organisations/{id}/annual-reports`, `/api/v1/tenants/{slug}/registry-settings`
//! and the serious-violation flags.

use crate::auth::bearer::{BearerAuth, OptionalBearerAuth};
use crate::types::{Fen, Int, MAX_FEN, Prose};
use chrono::{DateTime, Utc};
use entities::{annual_report, serious_violation_flag};
use poem_openapi::{ApiResponse, Object, OpenApi, Tags, param::Path, payload::Json};
use serde::Deserialize;
use uuid::Uuid;

use super::NewAnnualReport;
use crate::http::contract::Rule;
use crate::{
    error::ApiResult, http::json::JsonBody, registry::organisations, state::AppState, tenants,
};

#[derive(Tags)]
enum AnnualTags {
    /// Annual reports, the filing deadline and the lists that follow from it.
    AnnualReports,
}

/// A tenant's registry settings.
#[derive(Debug, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
#[oai(deny_unknown_fields)]
pub struct RegistrySettings {
    /// `MM-DD`: annual reports for year Y are due by that day of year Y + 1; organisations that
    /// have not filed by then are listed as abnormal the next day. Left out (or `null`), that is
    /// switched off. Any day every year has (as `parse_deadline` checks).
    #[oai(validator(
        pattern = "^((0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])|(0[13-9]|1[0-2])-(29|30)|(0[13578]|1[02])-31)$"
    ))]
    pub annual_report_deadline: Option<String>,
}

/// The first year a report may be about: the year the People's Republic's registers begin.
const FIRST_REPORT_YEAR: i64 = 1949;
/// The last year the service's dates reach.
const LAST_YEAR: i64 = crate::types::LAST_YEAR as i64;
/// More people than any organisation has (staff or volunteers).
const MAX_PEOPLE: i64 = 10_000_000;

/// A bounded count or year as the entity stores it (every bound above fits in 32 bits).
fn whole(value: i64) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

/// An annual report as its organisation files it. Money in fen.
#[derive(Debug, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
#[oai(deny_unknown_fields)]
pub struct FileAnnualReportRequest {
    /// The finished year reported on.
    pub year: Int<FIRST_REPORT_YEAR, LAST_YEAR>,
    pub income_fen: Fen,
    pub expenditure_fen: Fen,
    /// May be negative.
    pub net_assets_fen: Int<{ -MAX_FEN }, MAX_FEN>,
    /// What the organisation did in the year.
    pub activities: Prose<20_000>,
    pub staff_count: Int<0, MAX_PEOPLE>,
    pub volunteer_count: Int<0, MAX_PEOPLE>,
    /// The full report, uploaded to the organisation's documents first.
    pub document_id: Option<Uuid>,
}

/// An annual report; the summary is public, the document is for the organisation and the
/// registry.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AnnualReportResponse {
    pub id: Uuid,
    pub organisation_id: Uuid,
    pub year: i32,
    pub income_fen: i64,
    pub expenditure_fen: i64,
    pub net_assets_fen: i64,
    pub currency: String,
    pub activities: String,
    pub staff_count: i32,
    pub volunteer_count: i32,
    /// Shown to the organisation's members and the registry only.
    pub document_id: Option<Uuid>,
    pub filed_at: DateTime<Utc>,
    /// The public summary (年报公示).
    pub disclosure_id: Option<Uuid>,
}

impl AnnualReportResponse {
    fn new(model: annual_report::Model, private: bool) -> Self {
        Self {
            id: model.id,
            organisation_id: model.organisation_id,
            year: model.year,
            income_fen: model.income_fen,
            expenditure_fen: model.expenditure_fen,
            net_assets_fen: model.net_assets_fen,
            currency: "CNY".to_owned(),
            activities: model.activities,
            staff_count: model.staff_count,
            volunteer_count: model.volunteer_count,
            document_id: model.document_id.filter(|_| private),
            filed_at: model.filed_at,
            disclosure_id: model.disclosure_id,
        }
    }
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AnnualReportList {
    pub items: Vec<AnnualReportResponse>,
}

/// The registry's decision on a flag.
#[derive(Debug, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
#[oai(deny_unknown_fields)]
pub struct FlagDecisionRequest {
    /// `list` (onto the serious-violation list, disclosed) or `dismiss`.
    pub decision: FlagDecision,
    pub reason: Prose<1000>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, poem_openapi::Enum)]
#[serde(rename_all = "snake_case")]
#[oai(rename_all = "snake_case")]
pub enum FlagDecision {
    List,
    Dismiss,
}

/// An organisation flagged for the serious-violation list after two years on the abnormal
/// list.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct FlagResponse {
    pub id: Uuid,
    pub organisation_id: Uuid,
    pub flagged_at: DateTime<Utc>,
    /// `pending`, `listed` or `dismissed`.
    pub decision: String,
    pub reason: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub disclosure_id: Option<Uuid>,
}

impl From<serious_violation_flag::Model> for FlagResponse {
    fn from(model: serious_violation_flag::Model) -> Self {
        Self {
            id: model.id,
            organisation_id: model.organisation_id,
            flagged_at: model.flagged_at,
            decision: model.decision,
            reason: model.reason,
            decided_at: model.decided_at,
            disclosure_id: model.disclosure_id,
        }
    }
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct FlagList {
    pub items: Vec<FlagResponse>,
}

#[derive(ApiResponse)]
enum Filed {
    /// Filed; the summary is disclosed.
    #[oai(status = 201)]
    Created(Json<AnnualReportResponse>),
}

impl AnnualApi {
    /// Statuses this API's operations answer for rules the schema cannot express.
    pub const RULES: &'static [Rule] = &[Rule::new(
        "file_annual_report",
        422,
        "`year` must be a year that has ended, `document_id` a document of the organisation",
    )];
}

pub struct AnnualApi {
    state: AppState,
}

impl AnnualApi {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

#[OpenApi(tag = "AnnualTags::AnnualReports")]
impl AnnualApi {
    /// The tenant's registry settings (public).
    #[oai(
        path = "/tenants/:slug/registry-settings",
        method = "get",
        operation_id = "get_registry_settings"
    )]
    async fn get_registry_settings(
        &self,
        auth: OptionalBearerAuth,
        slug: Path<String>,
    ) -> ApiResult<Json<RegistrySettings>> {
        auth.principal(&self.state).await?;
        let tenant = tenants::service::get_tenant(&self.state, &slug.0).await?;
        let settings = super::settings(&self.state.db, tenant.id()).await?;
        Ok(Json(RegistrySettings {
            annual_report_deadline: settings.and_then(|settings| settings.annual_report_deadline),
        }))
    }

    /// Set the tenant's registry settings (its registry administrators).
    #[oai(
        path = "/tenants/:slug/registry-settings",
        method = "put",
        operation_id = "set_registry_settings"
    )]
    async fn set_registry_settings(
        &self,
        auth: BearerAuth,
        slug: Path<String>,
        body: JsonBody<RegistrySettings>,
    ) -> ApiResult<Json<RegistrySettings>> {
        let principal = auth.principal(&self.state).await?;
        let deadline = super::set_deadline(
            &self.state,
            &principal,
            &slug.0,
            body.0.annual_report_deadline,
        )
        .await?;
        Ok(Json(RegistrySettings {
            annual_report_deadline: deadline,
        }))
    }

    /// File the organisation's annual report for a finished year (its administrators). The
    /// summary is disclosed (年报公示); one report per year.
    #[oai(
        path = "/organisations/:id/annual-reports",
        method = "post",
        operation_id = "file_annual_report"
    )]
    async fn file_annual_report(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
        body: JsonBody<FileAnnualReportRequest>,
    ) -> ApiResult<Filed> {
        let principal = auth.principal(&self.state).await?;
        let request = body.0;
        let report = super::file_report(
            &self.state,
            &principal,
            id.0,
            NewAnnualReport {
                year: whole(request.year.get()),
                income_fen: request.income_fen.get(),
                expenditure_fen: request.expenditure_fen.get(),
                net_assets_fen: request.net_assets_fen.get(),
                activities: crate::error::ApiError::checked("activities", &request.activities)?,
                staff_count: whole(request.staff_count.get()),
                volunteer_count: whole(request.volunteer_count.get()),
                document_id: request.document_id,
            },
        )
        .await?;
        Ok(Filed::Created(Json(AnnualReportResponse::new(
            report, true,
        ))))
    }

    /// The organisation's annual reports, newest year first (public summaries), by id or code.
    #[oai(
        path = "/organisations/:id/annual-reports",
        method = "get",
        operation_id = "list_annual_reports"
    )]
    async fn list_annual_reports(
        &self,
        auth: OptionalBearerAuth,
        id: Path<String>,
    ) -> ApiResult<Json<AnnualReportList>> {
        let principal = auth.principal(&self.state).await?;
        let view = organisations::service::get_organisation(&self.state, &principal, &id.0).await?;
        let reports = super::reports_of(&self.state, view.model.id).await?;
        let private = view.private;
        Ok(Json(AnnualReportList {
            items: reports
                .into_iter()
                .map(|report| AnnualReportResponse::new(report, private))
                .collect(),
        }))
    }

    /// Organisations flagged for the serious-violation list, and the decisions taken (the
    /// tenant's administrators).
    #[oai(
        path = "/tenants/:slug/serious-violation-flags",
        method = "get",
        operation_id = "list_serious_violation_flags"
    )]
    async fn list_serious_violation_flags(
        &self,
        auth: BearerAuth,
        slug: Path<String>,
    ) -> ApiResult<Json<FlagList>> {
        let principal = auth.principal(&self.state).await?;
        let flags = super::flags_of_tenant(&self.state, &principal, &slug.0).await?;
        Ok(Json(FlagList {
            items: flags.into_iter().map(Into::into).collect(),
        }))
    }

    /// Decide on a flagged organisation: list it as a serious violator (disclosed) or dismiss
    /// the flag, with a reason (the tenant's registry administrators).
    #[oai(
        path = "/organisations/:id/serious-violation",
        method = "post",
        operation_id = "decide_serious_violation"
    )]
    async fn decide_serious_violation(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
        body: JsonBody<FlagDecisionRequest>,
    ) -> ApiResult<Json<FlagResponse>> {
        let principal = auth.principal(&self.state).await?;
        let request = body.0;
        let flag = super::decide_flag(
            &self.state,
            &principal,
            id.0,
            request.decision == FlagDecision::List,
            &crate::error::ApiError::checked("reason", &request.reason)?,
        )
        .await?;
        Ok(Json(flag.into()))
    }
}

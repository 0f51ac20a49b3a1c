//! `/api/v1/tenants/{slug}/incubation` and `/api/v1/incubation/{id}/…`.

use crate::auth::bearer::{BearerAuth, OptionalBearerAuth};
use crate::types::Text;
use chrono::{DateTime, NaiveDate, Utc};
use entities::{incubation_group, incubation_report};
use poem_openapi::{
    ApiResponse, Object, OpenApi, Tags,
    param::{Path, Query},
    payload::Json,
};
use serde::Deserialize;
use uuid::Uuid;

use super::{NewGroup, Step};
use crate::http::contract::Rule;
use crate::{error::ApiResult, http::json::JsonBody, state::AppState};

#[derive(Tags)]
enum IncubationTags {
    /// The incubation base (先孵化后登记).
    Incubation,
}

/// A group's application to the incubation base.
#[derive(Debug, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
#[oai(deny_unknown_fields)]
pub struct ApplyRequest {
    pub name: Text<200>,
    #[oai(validator(min_items = 1))]
    pub service_areas: Vec<Text<50>>,
    /// Who the group is and what it does.
    pub description: Text<5000>,
    pub contact_name: Text<100>,
    pub contact_email: crate::types::EmailInput,
    pub contact_phone: Option<String>,
}

/// Admission: the mentor and the incubation period.
#[derive(Debug, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
#[oai(deny_unknown_fields)]
pub struct AdmitRequest {
    pub mentor: Text<100>,
    pub starts_on: NaiveDate,
    pub planned_end_on: NaiveDate,
}

#[derive(Debug, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
#[oai(deny_unknown_fields)]
pub struct ExitRequest {
    pub reason: Text<1000>,
}

#[derive(Debug, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
#[oai(deny_unknown_fields)]
pub struct ProgressRequest {
    pub body: Text<20_000>,
}

/// A progress report.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ProgressResponse {
    pub id: Uuid,
    pub reported_at: DateTime<Utc>,
    pub author_user_id: Option<Uuid>,
    pub body: String,
}

impl From<incubation_report::Model> for ProgressResponse {
    fn from(model: incubation_report::Model) -> Self {
        Self {
            id: model.id,
            reported_at: model.reported_at,
            author_user_id: model.author_user_id,
            body: model.body,
        }
    }
}

/// A group in the incubation base, in full (its applicant and the tenant's administrators).
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct GroupResponse {
    pub id: Uuid,
    pub name: String,
    pub service_areas: Vec<String>,
    pub description: String,
    pub contact_name: String,
    pub contact_email: String,
    pub contact_phone: Option<String>,
    /// `applied`, `admitted`, `incubating`, `graduated` or `exited`.
    pub status: String,
    pub mentor: Option<String>,
    pub started_on: Option<NaiveDate>,
    pub planned_end_on: Option<NaiveDate>,
    pub ended_on: Option<NaiveDate>,
    pub outcome_reason: Option<String>,
    /// The registration application opened at graduation, pre-filled.
    pub registration_id: Option<Uuid>,
    /// The graduation announcement.
    pub disclosure_id: Option<Uuid>,
    pub progress_reports: Vec<ProgressResponse>,
    pub version: i32,
}

impl GroupResponse {
    fn new(model: incubation_group::Model, reports: Vec<incubation_report::Model>) -> Self {
        Self {
            id: model.id,
            name: model.name,
            service_areas: serde_json::from_str(&model.service_areas).unwrap_or_default(),
            description: model.description,
            contact_name: model.contact_name,
            contact_email: model.contact_email,
            contact_phone: model.contact_phone,
            status: model.status,
            mentor: model.mentor,
            started_on: model.started_on,
            planned_end_on: model.planned_end_on,
            ended_on: model.ended_on,
            outcome_reason: model.outcome_reason,
            registration_id: model.registration_id,
            disclosure_id: model.disclosure_id,
            progress_reports: reports.into_iter().map(Into::into).collect(),
            version: model.version,
        }
    }
}

/// A group as the public sees it: name and fields of service, nothing else. Administrators
/// also get the full record (with its id and status).
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct GroupListItem {
    pub name: String,
    pub service_areas: Vec<String>,
    /// For the tenant's administrators only.
    pub detail: Option<GroupResponse>,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct GroupList {
    pub items: Vec<GroupListItem>,
}

#[derive(ApiResponse)]
enum Applied {
    /// Received; the base decides on admission.
    #[oai(status = 201)]
    Created(Json<GroupResponse>),
}

#[derive(ApiResponse)]
enum Reported {
    /// Added.
    #[oai(status = 201)]
    Created(Json<ProgressResponse>),
}

/// Where a group stands in the incubation base.
#[derive(Clone, Copy, Debug, PartialEq, Eq, poem_openapi::Enum)]
#[oai(rename_all = "snake_case")]
pub enum GroupStatus {
    Applied,
    Admitted,
    Incubating,
    Graduated,
    Exited,
}

impl GroupStatus {
    fn as_str(self) -> &'static str {
        match self {
            GroupStatus::Applied => super::APPLIED,
            GroupStatus::Admitted => super::ADMITTED,
            GroupStatus::Incubating => super::INCUBATING,
            GroupStatus::Graduated => super::GRADUATED,
            GroupStatus::Exited => super::EXITED,
        }
    }
}

impl IncubationApi {
    /// Statuses this API's operations answer for rules the schema cannot express.
    pub const RULES: &'static [Rule] = &[Rule::new(
        "admit_incubation_group",
        422,
        "the planned end must come after the start",
    )];
}

pub struct IncubationApi {
    state: AppState,
}

impl IncubationApi {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }

    async fn step(&self, auth: BearerAuth, id: Uuid, step: Step) -> ApiResult<Json<GroupResponse>> {
        let principal = auth.principal(&self.state).await?;
        super::take_step(&self.state, &principal, id, step).await?;
        let view = super::get_group(&self.state, &principal, id).await?;
        Ok(Json(GroupResponse::new(view.group, view.reports)))
    }
}

#[OpenApi(tag = "IncubationTags::Incubation")]
impl IncubationApi {
    /// Apply to the tenant's incubation base (any signed-in person with a verified address).
    #[oai(
        path = "/tenants/:slug/incubation",
        method = "post",
        operation_id = "apply_for_incubation"
    )]
    async fn apply_for_incubation(
        &self,
        auth: BearerAuth,
        slug: Path<String>,
        body: JsonBody<ApplyRequest>,
    ) -> ApiResult<Applied> {
        let principal = auth.principal(&self.state).await?;
        let request = body.0;
        let group = super::apply(
            &self.state,
            &principal,
            &slug.0,
            NewGroup {
                name: request.name.into_inner(),
                service_areas: request
                    .service_areas
                    .iter()
                    .map(|area| crate::error::ApiError::checked("service_areas", area))
                    .collect::<Result<_, _>>()?,
                description: request.description.into_inner(),
                contact_name: request.contact_name.into_inner(),
                contact_email: request.contact_email.to_string(),
                contact_phone: request.contact_phone,
            },
        )
        .await?;
        Ok(Applied::Created(Json(GroupResponse::new(
            group,
            Vec::new(),
        ))))
    }

    /// Groups of the tenant's incubation base: the incubating ones, by name and field, for
    /// everyone; every group with its record for the tenant's administrators (`status` filters).
    #[oai(
        path = "/tenants/:slug/incubation",
        method = "get",
        operation_id = "list_incubation_groups"
    )]
    async fn list_incubation_groups(
        &self,
        auth: OptionalBearerAuth,
        slug: Path<String>,
        status: Query<Option<GroupStatus>>,
    ) -> ApiResult<Json<GroupList>> {
        let principal = auth.principal(&self.state).await?;
        let (groups, full) = super::list_groups(
            &self.state,
            principal.as_ref(),
            &slug.0,
            status.0.map(GroupStatus::as_str),
        )
        .await?;
        Ok(Json(GroupList {
            items: groups
                .into_iter()
                .map(|group| GroupListItem {
                    name: group.name.clone(),
                    service_areas: serde_json::from_str(&group.service_areas).unwrap_or_default(),
                    detail: full.then(|| GroupResponse::new(group, Vec::new())),
                })
                .collect(),
        }))
    }

    /// A group with its progress reports (its applicant and the tenant's administrators).
    #[oai(
        path = "/incubation/:id",
        method = "get",
        operation_id = "get_incubation_group"
    )]
    async fn get_incubation_group(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
    ) -> ApiResult<Json<GroupResponse>> {
        let principal = auth.principal(&self.state).await?;
        let view = super::get_group(&self.state, &principal, id.0).await?;
        Ok(Json(GroupResponse::new(view.group, view.reports)))
    }

    /// Admit an applied group, with its mentor and incubation period.
    #[oai(
        path = "/incubation/:id/admit",
        method = "post",
        operation_id = "admit_incubation_group"
    )]
    async fn admit_incubation_group(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
        body: JsonBody<AdmitRequest>,
    ) -> ApiResult<Json<GroupResponse>> {
        let request = body.0;
        self.step(
            auth,
            id.0,
            Step::Admit {
                mentor: request.mentor.into_inner(),
                starts_on: request.starts_on,
                planned_end_on: request.planned_end_on,
            },
        )
        .await
    }

    /// An admitted group moves in: incubation starts.
    #[oai(
        path = "/incubation/:id/start",
        method = "post",
        operation_id = "start_incubation"
    )]
    async fn start_incubation(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
    ) -> ApiResult<Json<GroupResponse>> {
        self.step(auth, id.0, Step::Start).await
    }

    /// Graduate an incubating group: a registration application pre-filled from its record is
    /// opened for its applicant, and the graduation is disclosed.
    #[oai(
        path = "/incubation/:id/graduate",
        method = "post",
        operation_id = "graduate_incubation_group"
    )]
    async fn graduate_incubation_group(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
    ) -> ApiResult<Json<GroupResponse>> {
        self.step(auth, id.0, Step::Graduate).await
    }

    /// End a group's application or incubation without graduation, with the reason.
    #[oai(
        path = "/incubation/:id/exit",
        method = "post",
        operation_id = "exit_incubation"
    )]
    async fn exit_incubation(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
        body: JsonBody<ExitRequest>,
    ) -> ApiResult<Json<GroupResponse>> {
        self.step(
            auth,
            id.0,
            Step::Exit {
                reason: body.0.reason.into_inner(),
            },
        )
        .await
    }

    /// Add a progress report (the group's applicant or the tenant's administrators).
    #[oai(
        path = "/incubation/:id/progress",
        method = "post",
        operation_id = "report_incubation_progress"
    )]
    async fn report_incubation_progress(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
        body: JsonBody<ProgressRequest>,
    ) -> ApiResult<Reported> {
        let principal = auth.principal(&self.state).await?;
        let report = super::add_report(&self.state, &principal, id.0, &body.0.body).await?;
        Ok(Reported::Created(Json(report.into())))
    }
}

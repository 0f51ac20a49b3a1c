//! `/api/v1/organisations/{id}/complaints`, `/api/v1/tenants/{slug}/complaints`,
//! `/api/v1/complaints/{id}`.

use chrono::{DateTime, Utc};
use entities::complaint;
use poem::web::RemoteAddr;
use poem_openapi::{
    ApiResponse, Enum, Object, OpenApi, Tags,
    param::{Path, Query},
    payload::Json,
};
use serde::Deserialize;
use uuid::Uuid;

use super::service;
use crate::{
    error::{ApiError, ApiResult},
    http::{
        json::JsonBody,
        paging::PageRequest,
        security::{BearerAuth, OptionalBearerAuth},
    },
    state::AppState,
    types::required_text,
};

#[derive(Tags)]
enum ComplaintTags {
    /// Complaints about organisations (投诉举报); never public.
    Complaints,
}

/// A concern about an organisation.
#[derive(Debug, Deserialize, Object)]
#[serde(deny_unknown_fields)]
#[oai(deny_unknown_fields)]
pub struct FileComplaintRequest {
    pub text: String,
    /// How to reach the reporter, if they wish.
    pub contact: Option<String>,
}

/// Where a complaint stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Enum)]
#[serde(rename_all = "snake_case")]
#[oai(rename_all = "snake_case")]
pub enum ComplaintStatus {
    Open,
    InProgress,
    Closed,
}

impl ComplaintStatus {
    fn as_str(self) -> &'static str {
        match self {
            ComplaintStatus::Open => "open",
            ComplaintStatus::InProgress => "in_progress",
            ComplaintStatus::Closed => "closed",
        }
    }
}

/// Handling a complaint.
#[derive(Debug, Deserialize, Object)]
#[serde(deny_unknown_fields)]
#[oai(deny_unknown_fields)]
pub struct HandleComplaintRequest {
    pub status: ComplaintStatus,
    /// Required to close.
    pub resolution: Option<String>,
}

/// A complaint, as the registry sees it (without the reporter's network address).
#[derive(Debug, Object)]
pub struct ComplaintResponse {
    pub id: Uuid,
    pub organisation_id: Uuid,
    pub text: String,
    pub contact: Option<String>,
    pub status: String,
    pub resolution: Option<String>,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
}

impl From<complaint::Model> for ComplaintResponse {
    fn from(model: complaint::Model) -> Self {
        Self {
            id: model.id,
            organisation_id: model.organisation_id,
            text: model.text,
            contact: model.contact,
            status: model.status,
            resolution: model.resolution,
            created_at: model.created_at,
            closed_at: model.closed_at,
        }
    }
}

#[derive(Debug, Object)]
pub struct ComplaintList {
    pub items: Vec<ComplaintResponse>,
    pub next_cursor: Option<String>,
}

/// The acknowledgement a reporter gets.
#[derive(Debug, Object)]
pub struct ComplaintReceived {
    pub received: bool,
}

#[derive(ApiResponse)]
enum FiledResponse {
    /// Received; the registry will look into it.
    #[oai(status = 202)]
    Received(Json<ComplaintReceived>),
}

pub struct ComplaintApi {
    state: AppState,
}

impl ComplaintApi {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

#[OpenApi(tag = "ComplaintTags::Complaints")]
impl ComplaintApi {
    /// Report a concern about an organisation. Anyone may; an address may file a few per hour.
    #[oai(
        path = "/organisations/:id/complaints",
        method = "post",
        operation_id = "file_complaint"
    )]
    async fn file_complaint(
        &self,
        auth: OptionalBearerAuth,
        id: Path<String>,
        body: JsonBody<FileComplaintRequest>,
        remote: &RemoteAddr,
    ) -> ApiResult<FiledResponse> {
        auth.principal(&self.state).await?;
        let request = body.0;
        let text = required_text(&request.text.replace(['\r', '\n'], " "), 5000)
            .map_err(|code| ApiError::field("text", code, "1-5000 characters"))?;
        let contact = request
            .contact
            .map(|contact| {
                required_text(&contact, 200)
                    .map_err(|code| ApiError::field("contact", code, "at most 200 characters"))
            })
            .transpose()?;
        let client = remote.as_socket_addr().map(|address| address.ip());
        service::file_complaint(&self.state, &id.0, text, contact, client).await?;
        Ok(FiledResponse::Received(Json(ComplaintReceived {
            received: true,
        })))
    }

    /// Complaints about organisations of the tenant and the tenants below it (its registry
    /// administrators).
    #[oai(
        path = "/tenants/:slug/complaints",
        method = "get",
        operation_id = "list_complaints"
    )]
    async fn list_complaints(
        &self,
        auth: BearerAuth,
        slug: Path<String>,
        status: Query<Option<ComplaintStatus>>,
        limit: Query<Option<u32>>,
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<ComplaintList>> {
        let principal = auth.principal(&self.state).await?;
        let page = PageRequest::parse(limit.0, cursor.0)?;
        let before = match &page.after {
            Some(after) => Some(Uuid::parse_str(after).map_err(|_| {
                ApiError::field("cursor", "invalid", "this cursor was not issued by us")
            })?),
            None => None,
        };
        let models = service::list_complaints(
            &self.state,
            &principal,
            &slug.0,
            status.0.map(|status| status.as_str().to_owned()),
            before,
            page.fetch_limit(),
        )
        .await?;
        let (models, next_cursor) = page.finish(models, |model| model.id.to_string());
        Ok(Json(ComplaintList {
            items: models.into_iter().map(Into::into).collect(),
            next_cursor,
        }))
    }

    /// One complaint.
    #[oai(
        path = "/complaints/:id",
        method = "get",
        operation_id = "get_complaint"
    )]
    async fn get_complaint(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
    ) -> ApiResult<Json<ComplaintResponse>> {
        let principal = auth.principal(&self.state).await?;
        Ok(Json(
            service::get_complaint(&self.state, &principal, id.0)
                .await?
                .0
                .into(),
        ))
    }

    /// Handle a complaint: mark it in progress, or close it with the resolution.
    #[oai(
        path = "/complaints/:id/handle",
        method = "post",
        operation_id = "handle_complaint"
    )]
    async fn handle_complaint(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
        body: JsonBody<HandleComplaintRequest>,
    ) -> ApiResult<Json<ComplaintResponse>> {
        let principal = auth.principal(&self.state).await?;
        let request = body.0;
        let model = service::handle_complaint(
            &self.state,
            &principal,
            id.0,
            request.status.as_str(),
            request.resolution,
        )
        .await?;
        Ok(Json(model.into()))
    }
}

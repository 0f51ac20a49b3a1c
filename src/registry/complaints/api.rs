//! `/api/v1/organisations/{id}/complaints`, `/api/v1/tenants/{slug}/complaints`,
//! `/api/v1/complaints/{id}`.

use chrono::{DateTime, Utc};
use entities::complaint;
use poem::{FromRequest, Request, RequestBody, web::Multipart};
use poem_openapi::{
    ApiRequest, ApiResponse, Enum, Object, OpenApi, Tags, impl_apirequest_for_payload,
    param::{Path, Query},
    payload::{Json, ParsePayload, Payload},
    registry::{MetaSchema, MetaSchemaRef},
    types::Type,
};
use serde::Deserialize;
use tokio::io::AsyncReadExt;
use uuid::Uuid;

use super::service;
use crate::auth::bearer::{BearerAuth, OptionalBearerAuth};
use crate::http::contract::Rule;
use crate::{
    documents::service as documents,
    error::{ApiError, ApiResult},
    http::{json::JsonBody, paging::PageRequest},
    state::AppState,
    types::{Prose, optional_text_schema, required_text},
};

#[derive(Tags)]
enum ComplaintTags {
    /// Complaints about organisations (投诉举报); never public.
    Complaints,
}

/// A concern about an organisation.
#[derive(Debug, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
#[oai(deny_unknown_fields)]
pub struct FileComplaintRequest {
    pub text: Prose<MAX_TEXT>,
    /// How to reach the reporter, if they wish.
    #[oai(validator(max_length = 200))]
    pub contact: Option<String>,
}

/// The most characters a complaint's text may have.
const MAX_TEXT: usize = 5000;
/// The most characters of a reporter's contact.
const MAX_CONTACT: usize = 200;

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
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
#[oai(deny_unknown_fields)]
pub struct HandleComplaintRequest {
    pub status: ComplaintStatus,
    /// Required to close.
    pub resolution: Option<String>,
}

/// A complaint, as the registry sees it (without the reporter's network address).
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ComplaintResponse {
    pub id: Uuid,
    pub organisation_id: Uuid,
    pub text: String,
    pub contact: Option<String>,
    pub status: String,
    pub resolution: Option<String>,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    /// Documents the reporter attached (private to the registry).
    pub attachments: Vec<Uuid>,
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
            attachments: serde_json::from_str(&model.attachments).unwrap_or_default(),
        }
    }
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ComplaintList {
    pub items: Vec<ComplaintResponse>,
    pub next_cursor: Option<String>,
}

/// The acknowledgement a reporter gets.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ComplaintReceived {
    pub received: bool,
}

#[derive(ApiResponse)]
enum FiledResponse {
    /// Received; the registry will look into it.
    #[oai(status = 202)]
    Received(Json<ComplaintReceived>),
}

/// A complaint as a form, read field by field as it streams in.
pub struct ComplaintForm(Multipart);

impl Payload for ComplaintForm {
    const CONTENT_TYPE: &'static str = "multipart/form-data";

    fn check_content_type(content_type: &str) -> bool {
        content_type
            .to_ascii_lowercase()
            .starts_with("multipart/form-data")
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema {
            required: vec!["text"],
            properties: vec![
                ("text", <Prose<MAX_TEXT> as Type>::schema_ref()),
                (
                    "contact",
                    MetaSchemaRef::Inline(Box::new(optional_text_schema(MAX_CONTACT))),
                ),
                (
                    "file",
                    MetaSchemaRef::Inline(Box::new(MetaSchema {
                        items: Some(Box::new(MetaSchemaRef::Inline(Box::new(
                            MetaSchema::new_with_format("string", "binary"),
                        )))),
                        max_items: Some(service::MAX_ATTACHMENTS),
                        ..MetaSchema::new("array")
                    })),
                ),
            ],
            ..MetaSchema::new("object")
        }))
    }
}

impl ParsePayload for ComplaintForm {
    const IS_REQUIRED: bool = true;

    async fn from_request(request: &Request, body: &mut RequestBody) -> poem::Result<Self> {
        Ok(Self(Multipart::from_request(request, body).await?))
    }
}

impl_apirequest_for_payload!(ComplaintForm);

#[derive(ApiRequest)]
enum FileComplaintBody {
    Json(JsonBody<FileComplaintRequest>),
    Form(ComplaintForm),
}

const MAX_FIELD_BYTES: u64 = 64 * 1024;

fn malformed(error: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request("malformed_multipart", format!("unreadable form: {error}"))
}

async fn read_text_field(field: poem::web::Field) -> Result<String, ApiError> {
    let mut bytes = Vec::new();
    field
        .into_async_read()
        .take(MAX_FIELD_BYTES + 1)
        .read_to_end(&mut bytes)
        .await
        .map_err(malformed)?;
    if bytes.len() as u64 > MAX_FIELD_BYTES {
        return Err(ApiError::payload_too_large(
            usize::try_from(MAX_FIELD_BYTES).unwrap_or(usize::MAX),
        ));
    }
    String::from_utf8(bytes)
        .map_err(|_| ApiError::bad_request("malformed_multipart", "a text field is not UTF-8"))
}

type FormParts = (Option<String>, Option<String>, Vec<service::Attachment>);

/// Reads the form; files go straight to temporary files within the upload limit.
async fn read_form(state: &AppState, mut form: Multipart) -> Result<FormParts, ApiError> {
    let mut text = None;
    let mut contact = None;
    let mut attachments: Vec<service::Attachment> = Vec::new();
    let outcome: Result<(), ApiError> = async {
        while let Some(field) = form.next_field().await.map_err(malformed)? {
            match field.name() {
                Some("text") => text = Some(read_text_field(field).await?),
                Some("contact") => contact = Some(read_text_field(field).await?),
                Some("file") => {
                    if attachments.len() == service::MAX_ATTACHMENTS {
                        return Err(ApiError::field(
                            "file",
                            "too_many",
                            format!("at most {} files", service::MAX_ATTACHMENTS),
                        ));
                    }
                    let file_name = field.file_name().map(str::to_owned);
                    let claimed_type = field.content_type().map(str::to_owned);
                    let received = documents::receive(state, field.into_async_read()).await?;
                    attachments.push(service::Attachment {
                        received,
                        file_name,
                        claimed_type,
                    });
                }
                _ => {}
            }
        }
        Ok(())
    }
    .await;
    if let Err(error) = outcome {
        for attachment in attachments {
            attachment.received.discard().await;
        }
        return Err(error);
    }
    Ok((text, contact, attachments))
}

fn check_text(
    text: Option<String>,
    contact: Option<String>,
) -> Result<(String, Option<String>), ApiError> {
    // The form's text is held to the rule the JSON body's type holds (and the schema states).
    let text = Prose::<MAX_TEXT>::parse(&text.unwrap_or_default())
        .map_err(|code| ApiError::field("text", code, "1-5000 characters"))?
        .replace(['\r', '\n'], " ");
    let contact = contact
        .filter(|contact| !contact.trim().is_empty())
        .map(|contact| {
            if contact.chars().count() > MAX_CONTACT {
                return Err(ApiError::field(
                    "contact",
                    "too_long",
                    "at most 200 characters",
                ));
            }
            required_text(&contact, MAX_CONTACT)
                .map_err(|code| ApiError::field("contact", code, "at most 200 characters"))
        })
        .transpose()?;
    Ok((text, contact))
}

impl ComplaintApi {
    /// Statuses this API's operations answer for rules the schema cannot express.
    pub const RULES: &'static [Rule] = &[Rule::new(
        "handle_complaint",
        422,
        "`resolution` is required when the status becomes `closed`",
    )];
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
        body: FileComplaintBody,
        request: &poem::Request,
    ) -> ApiResult<FiledResponse> {
        auth.principal(&self.state).await?;
        let client = self.state.config.trusted_proxies.client(
            request
                .remote_addr()
                .as_socket_addr()
                .map(|address| address.ip()),
            request.headers(),
        );
        let (organisation, address) = service::admit_reporter(&self.state, &id.0, client).await?;
        let (text, contact, attachments) = match body {
            FileComplaintBody::Json(json) => {
                (Some(json.0.text.into_inner()), json.0.contact, Vec::new())
            }
            FileComplaintBody::Form(form) => read_form(&self.state, form.0).await?,
        };
        let (text, contact) = match check_text(text, contact) {
            Ok(checked) => checked,
            Err(error) => {
                for attachment in attachments {
                    attachment.received.discard().await;
                }
                return Err(error);
            }
        };
        service::file_complaint(
            &self.state,
            &organisation,
            address,
            text,
            contact,
            attachments,
        )
        .await?;
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
        limit: Query<Option<crate::http::paging::Limit>>,
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<ComplaintList>> {
        let principal = auth.principal(&self.state).await?;
        let page = PageRequest::parse(limit.0.map(crate::http::paging::Limit::get), cursor.0)?;
        let before = page.after_as::<Uuid>()?;
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

//! `/api/v1/registrations…`.

use poem_openapi::{
    ApiResponse, OpenApi, Tags,
    param::{Header, Path, Query},
    payload::Json,
};
use uuid::Uuid;

use super::{
    dto::{
        RegistrationList, RegistrationRequest, RegistrationResponse, RejectRequest, ReturnRequest,
    },
    service::{self, RegistrationFields},
};
use crate::auth::bearer::BearerAuth;
use crate::http::contract::Rule;
use crate::{
    documents::upload::UploadBody,
    error::{ApiError, ApiResult},
    http::{json::JsonBody, paging::PageRequest},
    registry::model::RegistrationStatus,
    state::AppState,
};

#[derive(Tags)]
enum RegistrationTags {
    /// Applications to register a social organisation.
    Registrations,
}

#[derive(ApiResponse)]
enum CreatedResponse {
    /// The draft was created.
    #[oai(status = 201)]
    Created(Json<RegistrationResponse>),
}

impl RegistrationApi {
    /// Statuses this API's operations answer for rules the schema cannot express.
    pub const RULES: &'static [Rule] = &[
        Rule::new(
            "create_registration",
            422,
            "`tenant` must be the slug of a tenant",
        ),
        Rule::new(
            "update_registration",
            422,
            "`tenant` cannot change once the application is created",
        ),
        Rule::new(
            "submit_registration",
            422,
            "the application must hold what a submission needs; each missing field is named",
        ),
        Rule::new(
            "upload_registration_charter",
            415,
            "the content must be PDF, PNG, JPEG, DOCX, XLSX, ODT or plain text, as its file name says",
        ),
        Rule::new(
            "upload_registration_charter",
            422,
            "the document must not be empty",
        ),
        Rule::new(
            "update_registration",
            412,
            "`If-Match` must name the application's current version",
        ),
    ];
}

pub struct RegistrationApi {
    state: AppState,
}

impl RegistrationApi {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

fn parse_if_match(value: Option<String>) -> Result<Option<i32>, ApiError> {
    value
        .map(|value| {
            value
                .trim()
                .trim_start_matches("W/")
                .trim_matches('"')
                .parse::<i32>()
                .map_err(|_| {
                    ApiError::field(
                        "If-Match",
                        "invalid",
                        "the version number from the application",
                    )
                })
        })
        .transpose()
}

#[OpenApi(tag = "RegistrationTags::Registrations")]
impl RegistrationApi {
    /// Start a registration application (a draft). The account's address must be verified.
    #[oai(
        path = "/registrations",
        method = "post",
        operation_id = "create_registration"
    )]
    async fn create_registration(
        &self,
        auth: BearerAuth,
        body: JsonBody<RegistrationRequest>,
    ) -> ApiResult<CreatedResponse> {
        let principal = auth.principal(&self.state).await?;
        let tenant = body.0.tenant.clone().ok_or_else(|| {
            ApiError::field("tenant", "required", "the slug of the registering tenant")
        })?;
        let fields = RegistrationFields::try_from(body.0)?;
        let model = service::create_registration(&self.state, &principal, &tenant, fields).await?;
        Ok(CreatedResponse::Created(Json(model.into())))
    }

    /// Applications the caller may see: their own, and those submitted to tenants they review.
    #[oai(
        path = "/registrations",
        method = "get",
        operation_id = "list_registrations"
    )]
    async fn list_registrations(
        &self,
        auth: BearerAuth,
        status: Query<Option<RegistrationStatus>>,
        limit: Query<Option<crate::http::paging::Limit>>,
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<RegistrationList>> {
        let principal = auth.principal(&self.state).await?;
        let page = PageRequest::parse(limit.0.map(crate::http::paging::Limit::get), cursor.0)?;
        let before_id = page.after_as::<Uuid>()?;
        let models = service::list_registrations(
            &self.state,
            &principal,
            status.0,
            before_id,
            page.fetch_limit(),
        )
        .await?;
        let (models, next_cursor) = page.finish(models, |model| model.id.to_string());
        Ok(Json(RegistrationList {
            items: models.into_iter().map(Into::into).collect(),
            next_cursor,
        }))
    }

    /// One application.
    #[oai(
        path = "/registrations/:id",
        method = "get",
        operation_id = "get_registration"
    )]
    async fn get_registration(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
    ) -> ApiResult<Json<RegistrationResponse>> {
        let principal = auth.principal(&self.state).await?;
        Ok(Json(
            service::get_registration(&self.state, &principal, id.0)
                .await?
                .into(),
        ))
    }

    /// Replace the fields of a draft or returned application. `If-Match` with the application's
    /// `version` guards against overwriting someone else's edit.
    #[oai(
        path = "/registrations/:id",
        method = "put",
        operation_id = "update_registration"
    )]
    async fn update_registration(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
        #[oai(name = "If-Match", validator(pattern = r#"^(W/)?"?[0-9]{1,9}"?$"#))] if_match: Header<
            Option<String>,
        >,
        body: JsonBody<RegistrationRequest>,
    ) -> ApiResult<Json<RegistrationResponse>> {
        let principal = auth.principal(&self.state).await?;
        let tenant = body.0.tenant.clone();
        let fields = RegistrationFields::try_from(body.0)?;
        let version = parse_if_match(if_match.0)?;
        let model = service::update_registration(
            &self.state,
            &principal,
            id.0,
            tenant.as_deref(),
            fields,
            version,
        )
        .await?;
        Ok(Json(model.into()))
    }

    /// Upload the charter (章程): raw bytes with their `Content-Type`, or a form with a `file`.
    #[oai(
        path = "/registrations/:id/charter",
        method = "post",
        operation_id = "upload_registration_charter"
    )]
    async fn upload_registration_charter(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
        file_name: Query<Option<String>>,
        body: UploadBody,
    ) -> ApiResult<Json<RegistrationResponse>> {
        let principal = auth.principal(&self.state).await?;
        let (model, _) = service::attach_charter(
            &self.state,
            &principal,
            id.0,
            body.file_name.or(file_name.0),
            body.claimed_type,
            body.reader,
        )
        .await?;
        Ok(Json(model.into()))
    }

    /// Submit the application (from draft, or after amending a returned one).
    #[oai(
        path = "/registrations/:id/submit",
        method = "post",
        operation_id = "submit_registration"
    )]
    async fn submit_registration(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
    ) -> ApiResult<Json<RegistrationResponse>> {
        let principal = auth.principal(&self.state).await?;
        Ok(Json(
            service::submit_registration(&self.state, &principal, id.0)
                .await?
                .into(),
        ))
    }

    /// Withdraw a submitted application.
    #[oai(
        path = "/registrations/:id/withdraw",
        method = "post",
        operation_id = "withdraw_registration"
    )]
    async fn withdraw_registration(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
    ) -> ApiResult<Json<RegistrationResponse>> {
        let principal = auth.principal(&self.state).await?;
        Ok(Json(
            service::withdraw_registration(&self.state, &principal, id.0)
                .await?
                .into(),
        ))
    }

    /// Approve: registers the organisation, issues its code, makes the applicant its
    /// administrator and announces the registration (registry administrators of the tenant).
    #[oai(
        path = "/registrations/:id/approve",
        method = "post",
        operation_id = "approve_registration"
    )]
    async fn approve_registration(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
    ) -> ApiResult<Json<RegistrationResponse>> {
        let principal = auth.principal(&self.state).await?;
        Ok(Json(
            service::approve_registration(&self.state, &principal, id.0)
                .await?
                .into(),
        ))
    }

    /// Return for amendment, with a comment per field.
    #[oai(
        path = "/registrations/:id/return",
        method = "post",
        operation_id = "return_registration"
    )]
    async fn return_registration(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
        body: JsonBody<ReturnRequest>,
    ) -> ApiResult<Json<RegistrationResponse>> {
        let principal = auth.principal(&self.state).await?;
        Ok(Json(
            service::return_registration(&self.state, &principal, id.0, body.0.comments)
                .await?
                .into(),
        ))
    }

    /// Reject, with reasons.
    #[oai(
        path = "/registrations/:id/reject",
        method = "post",
        operation_id = "reject_registration"
    )]
    async fn reject_registration(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
        body: JsonBody<RejectRequest>,
    ) -> ApiResult<Json<RegistrationResponse>> {
        let principal = auth.principal(&self.state).await?;
        let reason = ApiError::checked("reason", &body.0.reason)?;
        Ok(Json(
            service::reject_registration(&self.state, &principal, id.0, reason)
                .await?
                .into(),
        ))
    }
}

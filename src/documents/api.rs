//! `/api/v1/tenants/{slug}/documents` and `/api/v1/documents/{id}…`.

use chrono::Duration;
use poem_openapi::{
    ApiResponse, OpenApi, Tags,
    param::{Path, Query},
    payload::Json,
};
use uuid::Uuid;

use super::{
    dto::{DirectLinkResponse, DocumentResponse, DownloadResponse, VisibilityParam},
    service::{self, DIRECT_LINK_SECONDS, NewDocument},
    upload::UploadBody,
};
use crate::auth::bearer::{BearerAuth, OptionalBearerAuth};
use crate::http::contract::Rule;
use crate::{error::ApiResult, state::AppState};

#[derive(Tags)]
enum DocumentTags {
    /// Stored files.
    Documents,
}

#[derive(ApiResponse)]
enum UploadResponse {
    /// Stored.
    #[oai(status = 201)]
    Created(Json<DocumentResponse>),
}

#[derive(ApiResponse)]
enum DeletedResponse {
    /// Deleted; the bytes are removed from the store shortly.
    #[oai(status = 204)]
    Deleted,
}

impl DocumentApi {
    /// Statuses this API's operations answer for rules the schema cannot express.
    pub const RULES: &'static [Rule] = &[
        Rule::new(
            "upload_tenant_document",
            415,
            "the content must be PDF, PNG, JPEG, DOCX, XLSX, ODT or plain text, as its file name says",
        ),
        Rule::new(
            "upload_tenant_document",
            422,
            "the document must not be empty",
        ),
    ];
}

pub struct DocumentApi {
    state: AppState,
}

impl DocumentApi {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

#[OpenApi(tag = "DocumentTags::Documents")]
impl DocumentApi {
    /// Upload a document of the tenant (registry administrators of the tenant): the raw bytes
    /// as the body with their `Content-Type`, or a `multipart/form-data` form with a `file` part.
    /// PDF, PNG, JPEG, DOCX, XLSX, ODT and plain text are accepted, judged by content.
    #[oai(
        path = "/tenants/:slug/documents",
        method = "post",
        operation_id = "upload_tenant_document"
    )]
    async fn upload_tenant_document(
        &self,
        auth: BearerAuth,
        slug: Path<String>,
        /// `private` (default) or `public`.
        visibility: Query<Option<VisibilityParam>>,
        /// The file name, for raw uploads (a form's part carries its own).
        file_name: Query<Option<String>>,
        body: UploadBody,
    ) -> ApiResult<UploadResponse> {
        let principal = auth.principal(&self.state).await?;
        let new = NewDocument {
            visibility: visibility.0.unwrap_or(VisibilityParam::Private).into(),
            file_name: body.file_name.or(file_name.0),
            claimed_type: body.claimed_type,
        };
        let document =
            service::upload_tenant_document(&self.state, &principal, &slug.0, new, body.reader)
                .await?;
        Ok(UploadResponse::Created(Json(document.into())))
    }

    /// A document's metadata.
    #[oai(path = "/documents/:id", method = "get", operation_id = "get_document")]
    async fn get_document(
        &self,
        auth: OptionalBearerAuth,
        id: Path<Uuid>,
    ) -> ApiResult<Json<DocumentResponse>> {
        let principal = auth.principal(&self.state).await?;
        let document = service::readable_document(&self.state, &principal, id.0).await?;
        Ok(Json(document.into()))
    }

    /// A document's content, checked against its recorded SHA-256.
    #[oai(
        path = "/documents/:id/content",
        method = "get",
        operation_id = "download_document"
    )]
    async fn download_document(
        &self,
        auth: OptionalBearerAuth,
        id: Path<Uuid>,
    ) -> ApiResult<DownloadResponse> {
        let principal = auth.principal(&self.state).await?;
        let (document, bytes) = service::download(&self.state, &principal, id.0).await?;
        Ok(DownloadResponse { document, bytes })
    }

    /// A presigned link to a public document kept in S3, valid for five minutes.
    #[oai(
        path = "/documents/:id/link",
        method = "get",
        operation_id = "get_document_link"
    )]
    async fn get_document_link(
        &self,
        auth: OptionalBearerAuth,
        id: Path<Uuid>,
    ) -> ApiResult<Json<DirectLinkResponse>> {
        let principal = auth.principal(&self.state).await?;
        let issued_at = self.state.clock.now();
        let url = service::direct_link(&self.state, &principal, id.0).await?;
        Ok(Json(DirectLinkResponse {
            url,
            expires_at: issued_at + Duration::seconds(i64::from(DIRECT_LINK_SECONDS)),
        }))
    }

    /// Delete a document (registry administrators of its tenant).
    #[oai(
        path = "/documents/:id",
        method = "delete",
        operation_id = "delete_document"
    )]
    async fn delete_document(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
    ) -> ApiResult<DeletedResponse> {
        let principal = auth.principal(&self.state).await?;
        service::delete_document(&self.state, &principal, id.0).await?;
        Ok(DeletedResponse::Deleted)
    }
}

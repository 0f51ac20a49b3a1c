//! The upload body: a raw stream (any content type, `file_name` in the query) or a
//! `multipart/form-data` form whose `file` part carries the document.

use std::pin::Pin;

use poem::{FromRequest, Request, RequestBody, web::Multipart};
use poem_openapi::{
    impl_apirequest_for_payload,
    payload::{ParsePayload, Payload},
    registry::{MetaSchema, MetaSchemaRef},
};
use tokio::io::AsyncRead;

use crate::error::ApiError;

/// A document arriving in a request, not yet read.
pub struct UploadBody {
    pub reader: Pin<Box<dyn AsyncRead + Send>>,
    /// The type the client claims (the part's or the request's `Content-Type`).
    pub claimed_type: Option<String>,
    /// The client's file name, when the multipart part carried one.
    pub file_name: Option<String>,
}

impl Payload for UploadBody {
    const CONTENT_TYPE: &'static str = "application/octet-stream";

    fn check_content_type(_content_type: &str) -> bool {
        true
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema::new_with_format("string", "binary")))
    }
}

impl ParsePayload for UploadBody {
    const IS_REQUIRED: bool = true;

    async fn from_request(request: &Request, body: &mut RequestBody) -> poem::Result<Self> {
        let content_type = request.content_type().map(str::to_owned);
        let is_multipart = content_type.as_deref().is_some_and(|value| {
            value
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        });
        if !is_multipart {
            let body = body
                .take()
                .map_err(|_| ApiError::bad_request("missing_body", "the request has no body"))?;
            return Ok(Self {
                reader: Box::pin(body.into_async_read()),
                claimed_type: content_type,
                file_name: None,
            });
        }
        let mut form = Multipart::from_request(request, body)
            .await
            .map_err(|error| {
                tracing::debug!(%error, "unreadable form");
                ApiError::bad_request("malformed_multipart", "the form could not be read")
            })?;
        loop {
            let field = form.next_field().await.map_err(|error| {
                tracing::debug!(%error, "unreadable form");
                ApiError::bad_request("malformed_multipart", "the form could not be read")
            })?;
            let Some(field) = field else {
                return Err(
                    ApiError::field("file", "required", "the form has no `file` part").into(),
                );
            };
            if field.name() == Some("file") {
                return Ok(Self {
                    claimed_type: field.content_type().map(str::to_owned),
                    file_name: field.file_name().map(str::to_owned),
                    reader: Box::pin(field.into_async_read()),
                });
            }
        }
    }
}

impl_apirequest_for_payload!(UploadBody);

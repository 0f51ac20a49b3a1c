//! Document responses and the download response.

use chrono::{DateTime, Utc};
use entities::document;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use poem::{IntoResponse, Response, http::header};
use poem_openapi::{
    ApiResponse, Enum, Object,
    registry::{MetaMediaType, MetaResponse, MetaResponses, MetaSchema, MetaSchemaRef, Registry},
};
use uuid::Uuid;

use super::service::Visibility;

/// Who may see a new document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum VisibilityParam {
    Private,
    Public,
}

impl From<VisibilityParam> for Visibility {
    fn from(value: VisibilityParam) -> Self {
        match value {
            VisibilityParam::Private => Visibility::Private,
            VisibilityParam::Public => Visibility::Public,
        }
    }
}

/// A stored document.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct DocumentResponse {
    pub id: Uuid,
    /// The uploader's file name, sanitised.
    pub file_name: String,
    /// The type found in the content.
    pub content_type: String,
    pub size_bytes: i64,
    /// Hex SHA-256 of the content.
    pub sha256: String,
    /// `private`, `public` or `sealed`.
    pub visibility: String,
    pub owner_type: String,
    pub owner_id: String,
    pub created_at: DateTime<Utc>,
}

impl From<document::Model> for DocumentResponse {
    fn from(document: document::Model) -> Self {
        Self {
            id: document.id,
            file_name: document.file_name,
            content_type: document.content_type,
            size_bytes: document.size_bytes,
            sha256: document.sha256,
            visibility: document.visibility,
            owner_type: document.owner_type,
            owner_id: document.owner_id,
            created_at: document.created_at,
        }
    }
}

/// Documents of one owner, newest first.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct DocumentList {
    pub items: Vec<DocumentResponse>,
}

/// A short-lived direct link.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct DirectLinkResponse {
    pub url: String,
    pub expires_at: DateTime<Utc>,
}

/// The bytes of a document, always as an attachment and never sniffed by the browser.
pub struct DownloadResponse {
    pub document: document::Model,
    pub bytes: Vec<u8>,
}

fn ascii_fallback(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|character| {
            if character.is_ascii_graphic() && character != '"' && character != '\\'
                || character == ' '
            {
                character
            } else {
                '_'
            }
        })
        .collect();
    if ascii.trim_matches('_').is_empty() {
        "document".to_owned()
    } else {
        ascii
    }
}

impl IntoResponse for DownloadResponse {
    fn into_response(self) -> Response {
        let name = &self.document.file_name;
        let disposition = format!(
            "attachment; filename=\"{}\"; filename*=UTF-8''{}",
            ascii_fallback(name),
            utf8_percent_encode(name, NON_ALPHANUMERIC)
        );
        Response::builder()
            .content_type(self.document.content_type.as_str())
            .header(header::CONTENT_DISPOSITION, disposition)
            .header("X-Content-Type-Options", "nosniff")
            .header(header::CACHE_CONTROL, "private, no-store")
            .header("Content-Security-Policy", "default-src 'none'; sandbox")
            .header(header::ETAG, format!("\"{}\"", self.document.sha256))
            .body(self.bytes)
    }
}

impl ApiResponse for DownloadResponse {
    fn meta() -> MetaResponses {
        MetaResponses {
            responses: vec![MetaResponse {
                description: "The document, as an attachment of its detected type.",
                status: Some(200),
                status_range: None,
                // Every type an upload may have (its content decides which).
                content: super::sniff::ALLOWED
                    .iter()
                    .map(|content_type| MetaMediaType {
                        content_type,
                        schema: MetaSchemaRef::Inline(Box::new(MetaSchema::new_with_format(
                            "string", "binary",
                        ))),
                    })
                    .collect(),
                headers: vec![],
            }],
        }
    }

    fn register(_registry: &mut Registry) {}
}

#[cfg(test)]
mod tests {
    use super::ascii_fallback;

    #[test]
    fn fallback_names_are_plain_ascii() {
        assert_eq!(ascii_fallback("章程.pdf"), "__.pdf");
        assert_eq!(ascii_fallback("a\"b.pdf"), "a_b.pdf");
        assert_eq!(ascii_fallback("章程"), "document");
    }
}

//! Storing, reading and deleting documents.

use std::path::PathBuf;

use entities::document;
use poem::http::StatusCode;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tracing::{error, info, instrument, warn};
use uuid::Uuid;

use super::{repo, sniff, store};
use crate::{
    audit::{self, AuditEvent},
    authz::{MaybePrincipal, Principal, TenantAccess},
    db::{self, Scope},
    error::ApiError,
    jobs::{self, Job},
    state::AppState,
    tenants::{self, TenantError, TenantRef},
};

#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    /// 404.
    #[error("no such document")]
    NotFound,
    /// 413: the upload passed the size limit.
    #[error("the document is larger than {0} bytes")]
    TooLarge(u64),
    /// 415: the content is not of an accepted type.
    #[error("this kind of file is not accepted")]
    UnsupportedType,
    /// 415: the content is not what the client said it is.
    #[error("the content is {detected}, not {claimed}")]
    ContentMismatch { claimed: String, detected: String },
    /// 422: an empty file.
    #[error("the document is empty")]
    Empty,
    /// 409: presigned links exist only for public documents in S3.
    #[error("no direct link can be made for this document")]
    NoDirectLink,
    /// 409: a disclosure or an application refers to the document.
    #[error("the document is part of a published record or an application")]
    InUse,
    /// 500: the stored bytes no longer match their hash, or are gone.
    #[error("the stored document is damaged")]
    Corrupted,
    /// 403/404 and tenant errors.
    #[error(transparent)]
    Tenant(#[from] TenantError),
    /// 500.
    #[error(transparent)]
    Database(#[from] sea_orm::DbErr),
    /// 500.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<ApiError> for DocumentError {
    fn from(error: ApiError) -> Self {
        DocumentError::Tenant(TenantError::from(error))
    }
}

impl From<std::io::Error> for DocumentError {
    fn from(error: std::io::Error) -> Self {
        DocumentError::Internal(error.into())
    }
}

impl From<DocumentError> for ApiError {
    #[track_caller]
    fn from(error: DocumentError) -> Self {
        match error {
            DocumentError::NotFound => ApiError::not_found(),
            DocumentError::TooLarge(limit) => ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("the document is larger than {limit} bytes"),
            ),
            DocumentError::UnsupportedType => ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_type",
                "accepted are PDF, PNG, JPEG, DOCX, XLSX, ODT and plain text",
            ),
            error @ DocumentError::ContentMismatch { .. } => ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "content_mismatch",
                error.to_string(),
            ),
            DocumentError::Empty => ApiError::field("file", "empty", "the document is empty"),
            DocumentError::NoDirectLink => ApiError::conflict(
                "no_direct_link",
                None,
                "direct links exist only for public documents kept in S3",
            ),
            DocumentError::InUse => ApiError::conflict(
                "document_in_use",
                None,
                "a disclosure or an application refers to this document; it stays",
            ),
            DocumentError::Corrupted => ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "document_corrupted",
                "the stored document is damaged; the operators have been alerted",
            ),
            DocumentError::Tenant(error) => error.into(),
            DocumentError::Database(cause) => ApiError::internal(cause),
            DocumentError::Internal(cause) => ApiError::internal(cause),
        }
    }
}

/// Who may see a document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// The owner's people and the tenant's administrators (and those of parent tenants).
    Private,
    /// Anyone.
    Public,
    /// Nobody until the owner's rules unseal it (bids before opening).
    Sealed,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Private => "private",
            Visibility::Public => "public",
            Visibility::Sealed => "sealed",
        }
    }
}

/// The job that removes a deleted document's bytes from the store.
#[derive(Debug, Serialize, Deserialize)]
pub struct DeleteObjectJob {
    pub storage_key: String,
}

impl Job for DeleteObjectJob {
    const KIND: &'static str = "delete_object";
}

pub async fn delete_object_job(state: &AppState, job: DeleteObjectJob) -> anyhow::Result<()> {
    state.documents.delete(&job.storage_key).await
}

/// A file received into the temporary folder, hashed and measured; `discard` it when done.
pub struct Received {
    path: PathBuf,
    size: u64,
    sha256: String,
}

impl Received {
    /// Removes the temporary file.
    pub async fn discard(self) {
        let _ = tokio::fs::remove_file(&self.path).await;
    }
}

/// Copies the stream into a temporary file, hashing as it goes, and stops at the limit.
pub async fn receive(
    state: &AppState,
    mut reader: impl AsyncRead + Unpin,
) -> Result<Received, DocumentError> {
    let limit = state.config.max_upload_bytes;
    let folder = state.config.upload_tmp_dir();
    tokio::fs::create_dir_all(&folder).await?;
    let path = folder.join(format!("upload-{}", Uuid::new_v4().simple()));
    let mut file = tokio::fs::File::create(&path).await?;
    let mut hasher = Sha256::new();
    let mut size: u64 = 0;
    let mut buffer = vec![0_u8; 64 * 1024];
    let outcome = async {
        loop {
            let read = reader.read(&mut buffer).await?;
            if read == 0 {
                break;
            }
            size += read as u64;
            if size > limit {
                return Err(DocumentError::TooLarge(limit));
            }
            hasher.update(&buffer[..read]);
            file.write_all(&buffer[..read]).await?;
        }
        file.flush().await?;
        Ok(())
    }
    .await;
    drop(file);
    if let Err(error) = outcome {
        let _ = tokio::fs::remove_file(&path).await;
        return Err(error);
    }
    Ok(Received {
        path,
        size,
        sha256: hex::encode(hasher.finalize()),
    })
}

/// A document to store for a tenant.
pub struct NewDocument {
    pub visibility: Visibility,
    pub file_name: Option<String>,
    pub claimed_type: Option<String>,
}

/// Stores a document of the tenant itself (registry administrators of the tenant).
#[instrument(skip_all, fields(tenant = %slug))]
pub async fn upload_tenant_document(
    state: &AppState,
    principal: &Principal,
    slug: &str,
    new: NewDocument,
    reader: impl AsyncRead + Unpin,
) -> Result<document::Model, DocumentError> {
    let tenant = tenants::service::get_tenant(state, slug).await?;
    principal
        .tenant_access(&tenant.position())
        .require_manage()?;
    let owner = ("tenant", tenant.id().to_string());
    store_for_owner(state, principal, &tenant, owner, new, reader).await
}

/// Receives and stores a document belonging to `owner` (`(type, id)`), inside `tenant`. The
/// caller has already decided that `principal` may attach documents to that owner.
pub async fn store_for_owner(
    state: &AppState,
    principal: &Principal,
    tenant: &TenantRef,
    owner: (&'static str, String),
    new: NewDocument,
    reader: impl AsyncRead + Unpin,
) -> Result<document::Model, DocumentError> {
    let received = receive(state, reader).await?;
    let stored = store_received(
        state,
        Some(principal.user_id),
        tenant,
        owner,
        new,
        &received,
    )
    .await;
    received.discard().await;
    stored
}

/// Types, stores and records a received file for `owner`; `uploader` is `None` for anonymous
/// reporters.
pub async fn store_received(
    state: &AppState,
    uploader: Option<Uuid>,
    tenant: &TenantRef,
    owner: (&'static str, String),
    new: NewDocument,
    received: &Received,
) -> Result<document::Model, DocumentError> {
    if received.size == 0 {
        return Err(DocumentError::Empty);
    }
    let content = tokio::fs::read(&received.path).await?;
    let detected = sniff::detect(&content).ok_or(DocumentError::UnsupportedType)?;
    drop(content);
    if let Some(claimed) = sniff::claimed(new.claimed_type.as_deref())
        && claimed != detected
    {
        return Err(DocumentError::ContentMismatch {
            claimed,
            detected: detected.to_owned(),
        });
    }
    let key = store::new_key();
    state
        .documents
        .put_file(&key, &received.path, detected)
        .await?;
    let now = state.clock.now();
    let model = document::Model {
        id: Uuid::now_v7(),
        tenant_id: tenant.id(),
        owner_type: owner.0.to_owned(),
        owner_id: owner.1,
        visibility: new.visibility.as_str().to_owned(),
        storage_key: key.clone(),
        file_name: sniff::sanitise_file_name(new.file_name.as_deref().unwrap_or_default()),
        content_type: detected.to_owned(),
        size_bytes: i64::try_from(received.size).unwrap_or(i64::MAX),
        sha256: received.sha256.clone(),
        uploaded_by: uploader,
        created_at: now,
    };
    let recorded = async {
        let transaction = db::begin(&state.db, Scope::Tenant(tenant.id())).await?;
        repo::insert(&transaction, model.clone()).await?;
        audit::record(
            &transaction,
            &state.audit,
            AuditEvent::new(now, "document", model.id, "upload")
                .actor_opt(uploader)
                .tenant_unless_draft(tenant.id(), model.owner_type == "registration")
                .data(serde_json::json!({
                    "file_name": model.file_name,
                    "content_type": model.content_type,
                    "size_bytes": model.size_bytes,
                    "sha256": model.sha256,
                    "visibility": model.visibility,
                })),
        )
        .await?;
        transaction.commit().await
    }
    .await;
    if let Err(error) = recorded {
        // The row was not written: remove the orphaned object now.
        if let Err(cleanup) = state.documents.delete(&key).await {
            warn!(%cleanup, storage_key = %key, "orphaned document object left behind");
        }
        return Err(error.into());
    }
    info!(document_id = %model.id, size = model.size_bytes, "document stored");
    Ok(model)
}

/// Removes a just-stored document whose owner was not recorded after all (row and bytes).
pub async fn discard_stored(state: &AppState, document: &document::Model) {
    if let Err(error) = repo::delete(&state.db, document.id).await {
        warn!(%error, document_id = %document.id, "could not remove a discarded document");
    }
    if let Err(error) = state.documents.delete(&document.storage_key).await {
        warn!(%error, storage_key = %document.storage_key, "orphaned document object left behind");
    }
}

/// The documents of one owner, newest first; the caller has checked who may see them.
pub async fn documents_of(
    state: &AppState,
    owner_type: &str,
    owner_id: &str,
) -> Result<Vec<document::Model>, sea_orm::DbErr> {
    repo::of_owner(&state.db, owner_type, owner_id).await
}

/// A document by id, whoever may see it; for services that check their own rules.
pub async fn find_document(
    state: &AppState,
    id: Uuid,
) -> Result<Option<document::Model>, sea_orm::DbErr> {
    repo::find(&state.db, id).await
}

/// The document if the caller may read it; 404 otherwise (never revealing that it exists).
pub async fn readable_document(
    state: &AppState,
    principal: &MaybePrincipal,
    id: Uuid,
) -> Result<document::Model, DocumentError> {
    let document = repo::find(&state.db, id)
        .await?
        .ok_or(DocumentError::NotFound)?;
    let readable = match document.visibility.as_str() {
        "public" => true,
        "private" => match principal {
            Some(principal) => {
                let tenant = tenants::service::get_tenant_by_id(state, document.tenant_id).await?;
                let owner_member = document.owner_type == "organisation"
                    && Uuid::parse_str(&document.owner_id)
                        .is_ok_and(|organisation| principal.has_organisation_role(organisation));
                let reviewer = matches!(
                    principal.tenant_access(&tenant.position()),
                    TenantAccess::Manage | TenantAccess::Read
                );
                // An application's documents reach the registry only once it is submitted.
                let reviewable = reviewer
                    && (document.owner_type != "registration"
                        || repo::owner_registration_submitted(&state.db, &document.owner_id)
                            .await?);
                reviewable || document.uploaded_by == Some(principal.user_id) || owner_member
            }
            None => false,
        },
        _ => false,
    };
    if readable {
        Ok(document)
    } else {
        Err(DocumentError::NotFound)
    }
}

/// The content of a readable document, checked against its recorded hash.
pub async fn download(
    state: &AppState,
    principal: &MaybePrincipal,
    id: Uuid,
) -> Result<(document::Model, Vec<u8>), DocumentError> {
    let document = readable_document(state, principal, id).await?;
    let bytes = content_of(state, &document).await?;
    Ok((document, bytes))
}

/// A document's content, checked against its recorded hash; the caller has checked who may
/// read it.
pub async fn content_of(
    state: &AppState,
    document: &document::Model,
) -> Result<Vec<u8>, DocumentError> {
    let id = document.id;
    let Some(bytes) = state.documents.get(&document.storage_key).await? else {
        error!(document_id = %id, "document object is missing from the store");
        return Err(DocumentError::Corrupted);
    };
    if hex::encode(Sha256::digest(&bytes)) != document.sha256 {
        error!(document_id = %id, "document content does not match its hash");
        return Err(DocumentError::Corrupted);
    }
    Ok(bytes)
}

/// Seconds a presigned link stays valid.
pub const DIRECT_LINK_SECONDS: u32 = 300;

/// A presigned link to a public document kept in S3.
pub async fn direct_link(
    state: &AppState,
    principal: &MaybePrincipal,
    id: Uuid,
) -> Result<String, DocumentError> {
    let document = readable_document(state, principal, id).await?;
    if document.visibility != "public" {
        return Err(DocumentError::NoDirectLink);
    }
    state
        .documents
        .presign_get(&document.storage_key, DIRECT_LINK_SECONDS)
        .await?
        .ok_or(DocumentError::NoDirectLink)
}

/// Deletes a document (tenant managers); its bytes go by a job in the same transaction.
#[instrument(skip(state, principal))]
pub async fn delete_document(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
) -> Result<(), DocumentError> {
    let document = readable_document(state, &Some(principal.clone()), id).await?;
    let tenant = tenants::service::get_tenant_by_id(state, document.tenant_id).await?;
    // The caller can read the document, so it knows the document exists: refusing to let it
    // delete is a 403, never a 404.
    if principal.tenant_access(&tenant.position()) != crate::authz::TenantAccess::Manage {
        return Err(crate::error::ApiError::forbidden().into());
    }
    let now = state.clock.now();
    let transaction = db::begin(&state.db, Scope::Tenant(tenant.id())).await?;
    if repo::is_referenced(&transaction, id).await? {
        return Err(DocumentError::InUse);
    }
    if !repo::delete(&transaction, id).await? {
        return Err(DocumentError::NotFound);
    }
    jobs::enqueue(
        &transaction,
        now,
        &DeleteObjectJob {
            storage_key: document.storage_key.clone(),
        },
        state.config.job_max_attempts,
    )
    .await?;
    audit::record(
        &transaction,
        &state.audit,
        AuditEvent::new(now, "document", id, "delete")
            .actor(principal.user_id)
            .tenant(tenant.id())
            .data(serde_json::json!({ "file_name": document.file_name })),
    )
    .await?;
    transaction.commit().await?;
    Ok(())
}

//! An organisation's own documents: private to its members and the registry.

use entities::document;
use tokio::io::AsyncRead;
use uuid::Uuid;

use super::{repo, service::may_see_private};
use crate::{
    authz::Principal,
    documents::service::{self as documents, NewDocument, Visibility},
    error::ApiError,
    state::AppState,
    tenants,
};

/// Stores a private document of the organisation (its administrators).
pub async fn upload(
    state: &AppState,
    principal: &Principal,
    organisation_id: Uuid,
    file_name: Option<String>,
    claimed_type: Option<String>,
    reader: impl AsyncRead + Unpin,
) -> Result<document::Model, ApiError> {
    let model = repo::find(&state.db, organisation_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let tenant = tenants::service::get_tenant_by_id(state, model.tenant_id).await?;
    if !may_see_private(principal, &model, &tenant) {
        return Err(ApiError::not_found());
    }
    if !principal.is_organisation_admin(model.id) {
        return Err(ApiError::forbidden());
    }
    Ok(documents::store_for_owner(
        state,
        principal,
        &tenant,
        ("organisation", model.id.to_string()),
        NewDocument {
            visibility: Visibility::Private,
            file_name,
            claimed_type,
        },
        reader,
    )
    .await?)
}

/// The organisation's documents (its members and the registry).
pub async fn list(
    state: &AppState,
    principal: &Principal,
    organisation_id: Uuid,
) -> Result<Vec<document::Model>, ApiError> {
    let model = repo::find(&state.db, organisation_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let tenant = tenants::service::get_tenant_by_id(state, model.tenant_id).await?;
    if !may_see_private(principal, &model, &tenant) {
        return Err(ApiError::not_found());
    }
    Ok(documents::documents_of(state, "organisation", &model.id.to_string()).await?)
}

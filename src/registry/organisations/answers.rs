//! The answers of the organisation API beyond its JSON bodies: the statuses its operations
//! answer with, its tag, and how an optional text field of a request is checked.

use poem_openapi::{ApiResponse, Tags, payload::Json};

use super::{
    dto::{
        InvitationResponse, MemberResponse, OrganisationApplicationResponse, OrganisationResponse,
    },
    members,
};
use crate::{documents::dto::DocumentResponse, error::ApiError, types::required_text};

impl From<members::Member> for MemberResponse {
    fn from(member: members::Member) -> Self {
        Self {
            user_id: member.user.id,
            email: member.user.email,
            name: member.user.name,
            role: member.role.as_str().to_owned(),
            active: member.user.password_hash.is_some(),
        }
    }
}

#[derive(ApiResponse)]
pub(super) enum DocumentUploaded {
    /// Stored.
    #[oai(status = 201)]
    Created(Json<DocumentResponse>),
}

#[derive(ApiResponse)]
pub(super) enum Recorded {
    /// Recorded.
    #[oai(status = 201)]
    Created(Json<OrganisationResponse>),
}

#[derive(ApiResponse)]
pub(super) enum MemberAdded {
    /// Added; the person is told by e-mail.
    #[oai(status = 202)]
    Added(Json<InvitationResponse>),
}

#[derive(ApiResponse)]
pub(super) enum MemberChanged {
    /// Done.
    #[oai(status = 204)]
    Done,
}

#[derive(Tags)]
pub(super) enum OrganisationTags {
    /// The register of social organisations.
    Organisations,
}

#[derive(ApiResponse)]
pub(super) enum FiledResponse {
    /// Filed; the registry decides.
    #[oai(status = 201)]
    Filed(Json<OrganisationApplicationResponse>),
}

pub(super) fn optional_text(
    value: Option<String>,
    field: &str,
    max: usize,
) -> Result<Option<String>, ApiError> {
    value
        .map(|text| {
            required_text(&text, max)
                .map_err(|code| ApiError::field(field, code, format!("1-{max} characters")))
        })
        .transpose()
}

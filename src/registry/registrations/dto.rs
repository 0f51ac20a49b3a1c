//! Registration requests and responses.

use crate::types::{Prose, Text};
use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use entities::registration_application as application;
use poem_openapi::Object;
use serde::Deserialize;
use uuid::Uuid;

use super::service::RegistrationFields;
use crate::{
    error::{ApiError, FieldError},
    registry::model::{OrgType, RegistrationStatus, SubKind},
    types::{Email, required_text},
};

/// What an applicant fills in. A draft may leave all but the name empty; submission needs all
/// that the registry requires (and the charter, uploaded separately).
#[derive(Debug, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
#[oai(deny_unknown_fields)]
pub struct RegistrationRequest {
    /// Slug of the registering tenant: required when creating; it cannot change afterwards.
    pub tenant: Option<String>,
    pub name: Text<100>,
    #[serde(rename = "type")]
    #[oai(rename = "type")]
    pub org_type: Option<OrgType>,
    pub sub_kind: Option<SubKind>,
    pub address: Option<String>,
    pub legal_representative: Option<String>,
    #[serde(default)]
    #[oai(default)]
    pub service_areas: Vec<String>,
    pub founded_on: Option<crate::types::Date>,
    /// In fen (CNY cents).
    pub registered_funds_fen: Option<crate::types::Fen>,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
    pub purpose: Option<String>,
    #[serde(default)]
    #[oai(default)]
    pub founding_members: Vec<String>,
    /// 业务主管单位, for organisations that have one.
    pub sponsor: Option<String>,
}

fn optional(
    value: Option<String>,
    field: &str,
    max: usize,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let value = value?;
    if value.trim().is_empty() {
        return None;
    }
    required_text(&value, max)
        .map_err(|code| {
            errors.push(FieldError::new(
                field,
                code,
                crate::types::text_refusal(code, max),
            ))
        })
        .ok()
}

fn list(
    values: Vec<String>,
    field: &str,
    max_items: usize,
    errors: &mut Vec<FieldError>,
) -> Vec<String> {
    let values: Vec<String> = values
        .into_iter()
        .map(|value| value.trim().to_owned())
        .filter(|value| !value.is_empty())
        .collect();
    if values.len() > max_items || values.iter().any(|value| value.chars().count() > 50) {
        errors.push(FieldError::new(
            field,
            "too_long",
            format!("at most {max_items} entries of 50 characters"),
        ));
    }
    if values.iter().any(|value| {
        value
            .chars()
            .any(|character| character.is_control() || crate::types::is_invisible(character))
    }) {
        errors.push(FieldError::new(
            field,
            "invisible_character",
            "an entry contains a control or invisible character",
        ));
    }
    // `;` separates entries in the register's files (export and import).
    if values.iter().any(|value| value.contains(';')) {
        errors.push(FieldError::new(
            field,
            "invalid",
            "an entry may not contain `;`",
        ));
    }
    values
}

impl TryFrom<RegistrationRequest> for RegistrationFields {
    type Error = ApiError;

    fn try_from(request: RegistrationRequest) -> Result<Self, ApiError> {
        let mut errors = Vec::new();
        let name = required_text(&request.name, 100)
            .map_err(|code| errors.push(FieldError::new("name", code, "1-100 characters")))
            .unwrap_or_default();
        let contact_email = optional(request.contact_email, "contact_email", 254, &mut errors);
        if let Some(email) = &contact_email
            && Email::parse(email).is_err()
        {
            errors.push(FieldError::new(
                "contact_email",
                "invalid",
                "a valid e-mail address",
            ));
        }
        let fields = RegistrationFields {
            name,
            org_type: request.org_type,
            sub_kind: request.sub_kind,
            address: optional(request.address, "address", 200, &mut errors),
            legal_representative: optional(
                request.legal_representative,
                "legal_representative",
                50,
                &mut errors,
            ),
            service_areas: list(request.service_areas, "service_areas", 20, &mut errors),
            founded_on: request.founded_on.map(crate::types::Date::get),
            registered_funds_fen: request.registered_funds_fen.map(crate::types::Fen::get),
            contact_phone: optional(request.contact_phone, "contact_phone", 30, &mut errors),
            contact_email,
            purpose: optional(request.purpose, "purpose", 2000, &mut errors),
            founding_members: list(
                request.founding_members,
                "founding_members",
                200,
                &mut errors,
            ),
            sponsor: optional(request.sponsor, "sponsor", 100, &mut errors),
        };
        if errors.is_empty() {
            Ok(fields)
        } else {
            Err(ApiError::validation(errors))
        }
    }
}

/// Per-field comments of a return for amendment.
#[derive(Debug, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
#[oai(deny_unknown_fields)]
pub struct ReturnRequest {
    /// Field name → what must be amended.
    pub comments: BTreeMap<String, String>,
}

/// Reasons for a rejection.
#[derive(Debug, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
#[oai(deny_unknown_fields)]
pub struct RejectRequest {
    pub reason: Prose<5000>,
}

/// A registration application.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct RegistrationResponse {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub status: Option<RegistrationStatus>,
    pub name: String,
    #[oai(rename = "type")]
    pub org_type: Option<OrgType>,
    pub sub_kind: Option<SubKind>,
    pub address: Option<String>,
    pub legal_representative: Option<String>,
    pub service_areas: Vec<String>,
    pub founded_on: Option<NaiveDate>,
    pub registered_funds_fen: Option<i64>,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
    pub purpose: Option<String>,
    pub founding_members: Vec<String>,
    pub sponsor: Option<String>,
    pub charter_document_id: Option<Uuid>,
    /// The reviewer's comments per field, from the last return.
    pub review_comments: BTreeMap<String, String>,
    pub decision_reason: Option<String>,
    /// The organisation created on approval.
    pub organisation_id: Option<Uuid>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub version: i32,
}

impl From<application::Model> for RegistrationResponse {
    fn from(model: application::Model) -> Self {
        Self {
            id: model.id,
            tenant_id: model.tenant_id,
            status: RegistrationStatus::parse(&model.status),
            name: model.name,
            org_type: model.org_type.as_deref().and_then(OrgType::parse),
            sub_kind: model.sub_kind.as_deref().and_then(SubKind::parse),
            address: model.address,
            legal_representative: model.legal_representative,
            service_areas: serde_json::from_str(&model.service_areas).unwrap_or_default(),
            founded_on: model.founded_on,
            registered_funds_fen: model.registered_funds_fen,
            contact_phone: model.contact_phone,
            contact_email: model.contact_email,
            purpose: model.purpose,
            founding_members: serde_json::from_str(&model.founding_members).unwrap_or_default(),
            sponsor: model.sponsor,
            charter_document_id: model.charter_document_id,
            review_comments: serde_json::from_str(&model.review_comments).unwrap_or_default(),
            decision_reason: model.decision_reason,
            organisation_id: model.organisation_id,
            submitted_at: model.submitted_at,
            decided_at: model.decided_at,
            created_at: model.created_at,
            version: model.version,
        }
    }
}

/// A page of applications, newest first.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct RegistrationList {
    pub items: Vec<RegistrationResponse>,
    pub next_cursor: Option<String>,
}

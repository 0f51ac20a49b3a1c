//! Organisation requests and responses.

use crate::types::{Prose, Text};
use chrono::{DateTime, NaiveDate, Utc};
use entities::{organisation, organisation_application, organisation_event};
use poem_openapi::Object;
use serde::Deserialize;
use uuid::Uuid;

use crate::registry::model::{OrgStatus, OrgType, SubKind};

/// An organisation's public profile.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct OrganisationResponse {
    pub id: Uuid,
    pub name: String,
    /// Unified social credit code.
    pub uscc: String,
    #[oai(rename = "type")]
    pub org_type: Option<OrgType>,
    pub sub_kind: Option<SubKind>,
    /// The registering tenant's slug.
    pub tenant: String,
    pub tenant_name_zh: String,
    pub address: String,
    pub legal_representative: String,
    pub service_areas: Vec<String>,
    pub founded_on: Option<NaiveDate>,
    pub registered_funds_fen: i64,
    pub currency: String,
    pub status: Option<OrgStatus>,
    pub status_reason: Option<String>,
    pub status_date: Option<NaiveDate>,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
    pub purpose: Option<String>,
    pub registered_at: Option<DateTime<Utc>>,
    /// Increases with every change; send it back in `If-Match` where asked.
    pub version: i32,
}

impl OrganisationResponse {
    pub fn new(model: organisation::Model, tenant_slug: String, tenant_name_zh: String) -> Self {
        Self {
            id: model.id,
            name: model.name,
            uscc: model.uscc,
            org_type: OrgType::parse(&model.org_type),
            sub_kind: model.sub_kind.as_deref().and_then(SubKind::parse),
            tenant: tenant_slug,
            tenant_name_zh,
            address: model.address,
            legal_representative: model.legal_representative,
            service_areas: serde_json::from_str(&model.service_areas).unwrap_or_default(),
            founded_on: model.founded_on,
            registered_funds_fen: model.registered_funds_fen,
            currency: "CNY".to_owned(),
            status: OrgStatus::parse(&model.status),
            status_reason: model.status_reason,
            status_date: model.status_date,
            contact_phone: model.contact_phone,
            contact_email: model.contact_email,
            purpose: model.purpose,
            registered_at: model.registered_at,
            version: model.version,
        }
    }
}

/// A page of organisations.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct OrganisationList {
    pub items: Vec<OrganisationResponse>,
    pub next_cursor: Option<String>,
}

/// One entry of an organisation's history.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct HistoryEntry {
    /// `registered`, `name_changed`, `address_changed`, `representative_changed`,
    /// `service_areas_changed`, `listed_abnormal`, `delisted_abnormal`, `deregistered`, `revoked`.
    pub event: String,
    pub effective_on: NaiveDate,
    pub occurred_at: DateTime<Utc>,
    /// What changed: `from`, `to`, `reason`.
    pub data: serde_json::Value,
    /// The disclosure that announced it.
    pub disclosure_id: Option<Uuid>,
}

impl From<organisation_event::Model> for HistoryEntry {
    fn from(event: organisation_event::Model) -> Self {
        Self {
            event: event.event,
            effective_on: event.effective_on,
            occurred_at: event.occurred_at,
            data: serde_json::from_str(&event.data).unwrap_or(serde_json::Value::Null),
            disclosure_id: event.disclosure_id,
        }
    }
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct HistoryResponse {
    pub items: Vec<HistoryEntry>,
}

/// A change to the record, filed by the organisation.
#[derive(Debug, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
#[oai(deny_unknown_fields)]
pub struct ChangeRequest {
    pub name: Option<String>,
    pub address: Option<String>,
    pub legal_representative: Option<String>,
    pub service_areas: Option<Vec<String>>,
    pub reason: Option<String>,
}

/// A reason, for deregistration, rejection, listing or delisting.
#[derive(Debug, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
#[oai(deny_unknown_fields)]
pub struct ReasonRequest {
    pub reason: Prose<1000>,
}

/// An optional reason for a decision.
#[derive(Debug, Default, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
#[oai(deny_unknown_fields)]
pub struct DecisionRequest {
    pub reason: Option<String>,
}

/// A revocation (撤销) with its decision document.
#[derive(Debug, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
#[oai(deny_unknown_fields)]
pub struct RevokeRequest {
    pub reason: Prose<1000>,
    /// A public document of the tenant holding the decision.
    pub decision_document_id: Uuid,
}

/// A change or deregistration application.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct OrganisationApplicationResponse {
    pub id: Uuid,
    pub organisation_id: Uuid,
    /// `change` or `deregistration`.
    pub kind: String,
    /// `submitted`, `approved` or `rejected`.
    pub status: String,
    pub changes: serde_json::Value,
    pub reason: Option<String>,
    pub decision_reason: Option<String>,
    pub submitted_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
}

impl From<organisation_application::Model> for OrganisationApplicationResponse {
    fn from(model: organisation_application::Model) -> Self {
        Self {
            id: model.id,
            organisation_id: model.organisation_id,
            kind: model.kind,
            status: model.status,
            changes: serde_json::from_str(&model.changes).unwrap_or(serde_json::Value::Null),
            reason: model.reason,
            decision_reason: model.decision_reason,
            submitted_at: model.submitted_at,
            decided_at: model.decided_at,
        }
    }
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct OrganisationApplicationList {
    pub items: Vec<OrganisationApplicationResponse>,
}

/// A role in an organisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, poem_openapi::Enum)]
#[serde(rename_all = "snake_case")]
#[oai(rename_all = "snake_case")]
pub enum OrganisationRoleName {
    OrgAdmin,
    OrgMember,
}

impl From<OrganisationRoleName> for crate::authz::Role {
    fn from(role: OrganisationRoleName) -> Self {
        match role {
            OrganisationRoleName::OrgAdmin => crate::authz::Role::OrgAdmin,
            OrganisationRoleName::OrgMember => crate::authz::Role::OrgMember,
        }
    }
}

/// A person to add to the organisation.
#[derive(Debug, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
#[oai(deny_unknown_fields)]
pub struct InviteMemberRequest {
    pub email: crate::types::EmailInput,
    /// Used when the address has no account yet.
    pub name: Text<100>,
    pub role: OrganisationRoleName,
}

/// A new role for a member.
#[derive(Debug, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
#[oai(deny_unknown_fields)]
pub struct ChangeMemberRequest {
    pub role: OrganisationRoleName,
}

/// A member of an organisation.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct MemberResponse {
    pub user_id: Uuid,
    pub email: String,
    pub name: String,
    /// `org_admin` or `org_member`.
    pub role: String,
    /// Whether the person has set a password yet.
    pub active: bool,
}

/// An invitation on its way. Whether the address already had an account is not said.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct InvitationResponse {
    pub email: String,
    pub role: String,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct MemberList {
    pub items: Vec<MemberResponse>,
}

/// An organisation registered before socorg, recorded under its existing code.
#[derive(Debug, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
#[oai(deny_unknown_fields)]
pub struct RecordOrganisationRequest {
    /// 18 characters of the code's alphabet (its check character is checked too).
    #[oai(validator(pattern = "^[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{18}$"))]
    pub uscc: String,
    /// Why a code whose check character fails is recorded anyway (audited).
    pub uscc_override_reason: Option<String>,
    pub name: Text<100>,
    #[serde(rename = "type")]
    #[oai(rename = "type")]
    pub org_type: OrgType,
    pub sub_kind: Option<SubKind>,
    pub address: Text<200>,
    pub legal_representative: Text<50>,
    pub service_areas: Vec<String>,
    pub founded_on: Option<crate::types::Date>,
    pub registered_funds_fen: crate::types::Fen,
}

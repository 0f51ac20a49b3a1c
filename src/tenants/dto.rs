//! Tenant requests and responses.

use crate::types::Text;
use chrono::{DateTime, Utc};
use poem_openapi::Object;
use serde::Deserialize;

use super::service::{NewTenant, TenantRef};
use crate::{
    error::{ApiError, FieldError},
    types::{DivisionCode, TenantSlug, Uscc, required_text},
};

/// A new tenant.
#[derive(Debug, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
#[oai(deny_unknown_fields)]
pub struct CreateTenantRequest {
    /// Lower-case identifier used in URLs: `futian` (as `TenantSlug::parse` checks).
    #[oai(validator(min_length = 2, max_length = 63, pattern = "^[a-z](-?[a-z0-9])*$"))]
    pub slug: String,
    /// 深圳市福田区民政局
    pub name_zh: Text<100>,
    /// Futian District Civil Affairs Bureau
    pub name_en: Text<200>,
    /// Six-digit administrative division code of a province-level division 11–82: `440304` (as
    /// `DivisionCode::parse` checks).
    #[oai(validator(pattern = "^(1[1-9]|[2-7][0-9]|8[0-2])[0-9]{4}$"))]
    pub division_code: String,
    /// Slug of the parent tenant, if any.
    #[oai(validator(max_length = 63, pattern = "^([a-z](-?[a-z0-9])+)?$"))]
    pub parent: Option<String>,
    /// The bureau's own unified social credit code, used in disclosure index numbers (its check
    /// character is checked too).
    #[oai(validator(pattern = "^([0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{18})?$"))]
    pub org_code: Option<String>,
    /// IANA time zone; `Asia/Shanghai` when omitted.
    pub time_zone: Option<String>,
}

impl TryFrom<CreateTenantRequest> for NewTenant {
    type Error = ApiError;

    fn try_from(request: CreateTenantRequest) -> Result<Self, ApiError> {
        let mut errors = Vec::new();
        let mut check = |field: &str, result: Result<String, &'static str>| {
            result
                .map_err(|code| errors.push(FieldError::new(field, code, describe(field, code))))
                .ok()
        };
        let slug = check(
            "slug",
            TenantSlug::parse(&request.slug).map(|slug| slug.to_string()),
        );
        let name_zh = check("name_zh", required_text(&request.name_zh, 100));
        let name_en = check("name_en", required_text(&request.name_en, 200));
        let division_code = check(
            "division_code",
            DivisionCode::parse(&request.division_code).map(|code| code.to_string()),
        );
        let parent = match request.parent.as_deref().map(str::trim) {
            None | Some("") => Some(None),
            Some(parent) => check(
                "parent",
                TenantSlug::parse(parent).map(|slug| slug.to_string()),
            )
            .map(Some),
        };
        let org_code = match request.org_code.as_deref().map(str::trim) {
            None | Some("") => Some(None),
            Some(code) => check(
                "org_code",
                Uscc::parse(code)
                    .map(|code| code.to_string())
                    .map_err(|_| "invalid"),
            )
            .map(Some),
        };
        let time_zone = check(
            "time_zone",
            request
                .time_zone
                .as_deref()
                .map(str::trim)
                .filter(|zone| !zone.is_empty())
                .unwrap_or("Asia/Shanghai")
                .parse::<chrono_tz::Tz>()
                .map(|zone| zone.name().to_owned())
                .map_err(|_| "invalid"),
        );
        match (
            slug,
            name_zh,
            name_en,
            division_code,
            parent,
            org_code,
            time_zone,
        ) {
            (
                Some(slug),
                Some(name_zh),
                Some(name_en),
                Some(division_code),
                Some(parent),
                Some(org_code),
                Some(time_zone),
            ) if errors.is_empty() => Ok(NewTenant {
                slug,
                name_zh,
                name_en,
                division_code,
                parent,
                org_code,
                time_zone,
            }),
            _ => Err(ApiError::validation(errors)),
        }
    }
}

fn describe(field: &str, code: &str) -> String {
    match (field, code) {
        (_, "required") => "this field is required".to_owned(),
        (_, "too_long") => "this field is too long".to_owned(),
        ("slug" | "parent", _) => {
            "2-63 characters of a-z, 0-9 and '-', starting with a letter".to_owned()
        }
        ("division_code", _) => "a six-digit administrative division code".to_owned(),
        ("org_code", _) => "a valid unified social credit code".to_owned(),
        ("time_zone", _) => "an IANA time zone such as Asia/Shanghai".to_owned(),
        _ => "this value is not valid".to_owned(),
    }
}

/// A tenant as the public sees it.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct TenantResponse {
    pub slug: String,
    pub name_zh: String,
    pub name_en: String,
    pub division_code: String,
    /// Slug of the parent tenant.
    pub parent: Option<String>,
    pub org_code: Option<String>,
    pub time_zone: String,
    pub created_at: DateTime<Utc>,
}

impl From<TenantRef> for TenantResponse {
    fn from(tenant: TenantRef) -> Self {
        Self {
            slug: tenant.model.slug,
            name_zh: tenant.model.name_zh,
            name_en: tenant.model.name_en,
            division_code: tenant.model.division_code,
            parent: tenant.parent_slug,
            org_code: tenant.model.org_code,
            time_zone: tenant.model.time_zone,
            created_at: tenant.model.created_at,
        }
    }
}

/// A page of tenants.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct TenantList {
    pub items: Vec<TenantResponse>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

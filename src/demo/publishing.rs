//! What the demo's steps share: a time on a demo day, and announcing an organisation's change
//! as a disclosure.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use entities::organisation;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::{
    disclosures::{self, Category, NewDisclosure},
    tenants::TenantRef,
};

/// Fen in a yuan.
pub(super) const FEN_PER_YUAN: i64 = 100;

pub(super) fn at(date: NaiveDate, hour: u32) -> DateTime<Utc> {
    Utc.from_utc_datetime(&date.and_hms_opt(hour, 0, 0).unwrap_or_default())
}

pub(super) async fn announce(
    db: &impl ConnectionTrait,
    key: &crate::audit::AuditKey,
    tenant: &TenantRef,
    organisation: &organisation::Model,
    when: DateTime<Utc>,
    actor: Uuid,
    (category, title, body): (Category, String, String),
) -> anyhow::Result<Uuid> {
    let disclosure = disclosures::publish(
        db,
        key,
        tenant,
        when,
        NewDisclosure {
            category,
            title,
            body,
            written_on: None,
            document_number: None,
            subject_terms: vec!["社会组织".to_owned(), category.label_zh().to_owned()],
            attachments: Vec::new(),
            subject: Some(("organisation", organisation.id.to_string())),
            supersedes: None,
            created_by: Some(actor),
        },
    )
    .await?;
    Ok(disclosure.id)
}

//! Fixtures for the crate's unit tests.

/// An organisation of `tenant_id` with every optional field empty; tests set what they need.
pub fn organisation(tenant_id: uuid::Uuid, status: &str) -> entities::organisation::Model {
    let now = chrono::Utc::now();
    entities::organisation::Model {
        id: uuid::Uuid::now_v7(),
        tenant_id,
        uscc: String::new(),
        uscc_override_reason: None,
        name: "测试协会".to_owned(),
        name_key: String::new(),
        org_type: "social_group".to_owned(),
        sub_kind: None,
        address: String::new(),
        legal_representative: String::new(),
        service_areas: "[]".to_owned(),
        founded_on: None,
        registered_funds_fen: 0,
        contact_phone: None,
        contact_email: None,
        purpose: None,
        status: status.to_owned(),
        status_reason: None,
        status_date: None,
        registered_at: None,
        created_at: now,
        updated_at: now,
        version: 1,
    }
}

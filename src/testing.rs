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

/// A tenant in China Standard Time, below `parent` if given.
pub fn tenant(slug: &str, parent: Option<&entities::tenant::Model>) -> entities::tenant::Model {
    let id = uuid::Uuid::now_v7();
    let now = chrono::Utc::now();
    entities::tenant::Model {
        id,
        slug: slug.to_owned(),
        name_zh: slug.to_owned(),
        name_en: slug.to_owned(),
        division_code: "440304".to_owned(),
        parent_id: parent.map(|parent| parent.id),
        path: parent.map_or_else(
            || format!("/{id}/"),
            |parent| format!("{}{id}/", parent.path),
        ),
        org_code: None,
        time_zone: "Asia/Shanghai".to_owned(),
        created_at: now,
        updated_at: now,
    }
}

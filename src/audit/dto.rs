//! Audit log responses.

use chrono::{DateTime, Utc};
use entities::audit_event;
use poem_openapi::Object;
use uuid::Uuid;

/// One audit event.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AuditEventResponse {
    pub id: i64,
    /// Position in the hash chain; absent until the event is sealed (normally within a second).
    pub seq: Option<i64>,
    pub occurred_at: DateTime<Utc>,
    pub actor_user_id: Option<Uuid>,
    pub tenant_id: Option<Uuid>,
    pub object_type: String,
    pub object_id: String,
    pub action: String,
    pub data: serde_json::Value,
    pub prev_hash: Option<String>,
    pub hash: Option<String>,
}

impl From<audit_event::Model> for AuditEventResponse {
    fn from(event: audit_event::Model) -> Self {
        Self {
            id: event.id,
            seq: event.seq,
            occurred_at: event.occurred_at,
            actor_user_id: event.actor_user_id,
            tenant_id: event.tenant_id,
            object_type: event.object_type,
            object_id: event.object_id,
            action: event.action,
            data: serde_json::from_str(&event.data).unwrap_or(serde_json::Value::Null),
            prev_hash: event.prev_hash,
            hash: event.hash,
        }
    }
}

/// A page of audit events, newest first.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AuditEventList {
    pub items: Vec<AuditEventResponse>,
    /// Pass as `cursor` to get older events; absent on the last page.
    pub next_cursor: Option<String>,
}

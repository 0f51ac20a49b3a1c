//! The hash of one link of the audit chain.

use chrono::SecondsFormat;
use entities::audit_event;
use sha2::{Digest, Sha256};

/// The `prev_hash` of the first link.
pub fn genesis() -> String {
    "0".repeat(64)
}

/// SHA-256 over every field of the event, each length-prefixed so no two events collide by
/// shifting text from one field into the next.
pub fn link_hash(event: &audit_event::Model, seq: i64, prev_hash: &str) -> String {
    let actor = event
        .actor_user_id
        .map(|id| id.to_string())
        .unwrap_or_default();
    let tenant = event.tenant_id.map(|id| id.to_string()).unwrap_or_default();
    let occurred_at = event
        .occurred_at
        .to_rfc3339_opts(SecondsFormat::Micros, true);
    let seq = seq.to_string();
    let fields: [&str; 9] = [
        &seq,
        &occurred_at,
        &actor,
        &tenant,
        &event.object_type,
        &event.object_id,
        &event.action,
        &event.data,
        prev_hash,
    ];
    let mut hasher = Sha256::new();
    for field in fields {
        hasher.update(field.len().to_string().as_bytes());
        hasher.update(b":");
        hasher.update(field.as_bytes());
        hasher.update(b"\n");
    }
    hex::encode(hasher.finalize())
}

/// Where verification found the chain broken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrokenLink {
    /// The sequence number at which the chain stops being trustworthy.
    pub seq: i64,
    /// The row found there, if any.
    pub event_id: Option<i64>,
    pub reason: String,
}

/// The outcome of `audit verify`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyReport {
    pub sealed: u64,
    pub unsealed: u64,
    pub broken: Option<BrokenLink>,
}

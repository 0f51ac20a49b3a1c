//! The keyed hashes of the audit chain.
//!
//! Two HMAC-SHA256 values protect each event, under a key derived from the master key:
//! - the **write mark** (`mac`), set by the server when it writes the event, over the event's own
//!   fields: a row written by anyone else, or edited before it is sealed, has no valid mark and is
//!   never sealed;
//! - the **link** (`hash`), set by the sealer, over the sequence number, the fields, the write mark
//!   and the previous link: without the key nobody can recompute the chain after an edit.

use chrono::SecondsFormat;
use entities::audit_event;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

use crate::keys::{MasterKey, same_secret};

type HmacSha256 = Hmac<Sha256>;

/// The `prev_hash` of the first link.
pub fn genesis() -> String {
    "0".repeat(64)
}

/// The audit chain's key; never printed.
#[derive(Clone)]
pub struct AuditKey([u8; 32]);

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("AuditKey(***)")
    }
}

impl AuditKey {
    pub fn from_master(master: &MasterKey) -> Self {
        Self(master.derive("audit chain v1"))
    }

    fn mac(&self, domain: &str, fields: &[&str]) -> String {
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(&self.0)
            .expect("HMAC takes a key of any length");
        mac.update(domain.as_bytes());
        mac.update(b"\n");
        for field in fields {
            absorb(&mut mac, field);
        }
        hex::encode(mac.finalize().into_bytes())
    }

    /// The write mark of an event, over its own fields.
    pub fn write_mark(&self, event: &audit_event::Model) -> String {
        self.mac("event", &own_fields(event).each())
    }

    /// Whether the event carries the write mark of its own fields.
    pub fn is_marked(&self, event: &audit_event::Model) -> bool {
        event
            .mac
            .as_deref()
            .is_some_and(|mark| same_secret(mark.as_bytes(), self.write_mark(event).as_bytes()))
    }

    /// The link of an event at `seq` after `prev_hash`.
    pub fn link(&self, event: &audit_event::Model, seq: i64, prev_hash: &str) -> String {
        let seq = seq.to_string();
        let fields = own_fields(event);
        let mut all: Vec<&str> = vec![&seq];
        all.extend(fields.each());
        all.push(event.mac.as_deref().unwrap_or_default());
        all.push(prev_hash);
        self.mac("link", &all)
    }

    /// The mark of a checkpoint of the chain's head.
    pub fn checkpoint_mark(&self, fields: &[&str]) -> String {
        self.mac("checkpoint", fields)
    }
}

/// The fields of an event as text, in a fixed order.
struct OwnFields<'a> {
    occurred_at: String,
    actor: String,
    tenant: String,
    event: &'a audit_event::Model,
}

impl OwnFields<'_> {
    fn each(&self) -> [&str; 8] {
        [
            self.event.nonce.as_deref().unwrap_or_default(),
            &self.occurred_at,
            &self.actor,
            &self.tenant,
            &self.event.object_type,
            &self.event.object_id,
            &self.event.action,
            &self.event.data,
        ]
    }
}

fn own_fields(event: &audit_event::Model) -> OwnFields<'_> {
    OwnFields {
        occurred_at: event
            .occurred_at
            .to_rfc3339_opts(SecondsFormat::Micros, true),
        actor: event
            .actor_user_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
        tenant: event.tenant_id.map(|id| id.to_string()).unwrap_or_default(),
        event,
    }
}

/// A fresh nonce for an event's mark: 128 random bits in hex.
pub fn new_nonce() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the system's random source");
    hex::encode(bytes)
}

/// Each field length-prefixed, so that no two events collide by shifting text between fields.
fn absorb(mac: &mut HmacSha256, field: &str) {
    mac.update(field.len().to_string().as_bytes());
    mac.update(b":");
    mac.update(field.as_bytes());
    mac.update(b"\n");
}

/// The unkeyed SHA-256 link of the chain before it was keyed; used once, to check that chain
/// when an installation upgrades.
pub fn unkeyed_link(event: &audit_event::Model, seq: i64, prev_hash: &str) -> String {
    let seq = seq.to_string();
    let fields = own_fields(event);
    let mut all: Vec<&str> = vec![&seq];
    all.extend(fields.each().into_iter().skip(1));
    all.push(prev_hash);
    let mut hasher = Sha256::new();
    for field in all {
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
    /// The newest checkpoint found outside the database, which the chain reaches: `(seq, time)`.
    pub checkpoint: Option<(i64, chrono::DateTime<chrono::Utc>)>,
    pub broken: Option<BrokenLink>,
}

#[cfg(test)]
mod tests {
    use super::{AuditKey, unkeyed_link};
    use crate::keys::MasterKey;

    fn key(text: &str) -> AuditKey {
        let folder = std::path::Path::new(".");
        AuditKey::from_master(&MasterKey::load(Some(text), folder).expect("key"))
    }

    fn event() -> entities::audit_event::Model {
        entities::audit_event::Model {
            id: 1,
            occurred_at: chrono::Utc::now(),
            actor_user_id: None,
            tenant_id: None,
            object_type: "tenant".to_owned(),
            object_id: "futian".to_owned(),
            action: "create".to_owned(),
            data: "{}".to_owned(),
            seq: None,
            prev_hash: None,
            hash: None,
            mac: None,
            nonce: Some("0f".repeat(16)),
        }
    }

    #[test]
    fn marks_and_links_depend_on_the_key_and_on_every_field() {
        let one = key("one key of at least thirty-two characters");
        let other = key("another key of thirty-two characters, too");
        let mut event = event();
        event.mac = Some(one.write_mark(&event));
        assert!(one.is_marked(&event));
        assert!(!other.is_marked(&event), "another key's mark does not pass");
        let link = one.link(&event, 1, &super::genesis());
        assert_ne!(link, other.link(&event, 1, &super::genesis()));
        assert_ne!(link, unkeyed_link(&event, 1, &super::genesis()));
        let mut edited = event.clone();
        edited.data = "{\"slug\":\"forged\"}".to_owned();
        assert!(!one.is_marked(&edited), "an edit breaks the mark");
        assert_ne!(one.link(&edited, 1, &super::genesis()), link);
        let mut shifted = event.clone();
        shifted.object_type = "tenan".to_owned();
        shifted.object_id = "tfutian".to_owned();
        assert!(!one.is_marked(&shifted), "text moved between fields");
    }
}

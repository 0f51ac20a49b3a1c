//! Signed checkpoints of the chain's head, kept outside the database (in the document store: a
//! file in the data folder, or an object in the bucket every node shares).
//!
//! After each sealing pass that sealed something, the sealer writes the head it reached (the
//! number of sealed events, the last link and the time), marked with the audit key. `audit
//! verify` checks that the chain still reaches that link: events removed from the end, with the
//! head row rolled back to match, are found even though the database alone looks consistent.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

use super::chain::AuditKey;
use crate::documents::DocumentStore;

/// The name of the checkpoint among the store's own objects (apart from documents, so that no
/// document operation can reach it).
pub const CHECKPOINT_NAME: &str = "audit-checkpoint.json";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// How many events were sealed, which is also the sequence number of the last one.
    pub seq: i64,
    /// The link of the last sealed event.
    pub hash: String,
    pub written_at: DateTime<Utc>,
    /// The audit key's mark over the three fields above.
    pub mark: String,
}

impl Checkpoint {
    pub fn new(key: &AuditKey, seq: i64, hash: String, written_at: DateTime<Utc>) -> Self {
        let mark = mark(key, seq, &hash, written_at);
        Self {
            seq,
            hash,
            written_at,
            mark,
        }
    }

    pub fn is_genuine(&self, key: &AuditKey) -> bool {
        mark(key, self.seq, &self.hash, self.written_at) == self.mark
    }
}

fn mark(key: &AuditKey, seq: i64, hash: &str, written_at: DateTime<Utc>) -> String {
    let seq = seq.to_string();
    let written_at = written_at.to_rfc3339_opts(SecondsFormat::Micros, true);
    key.checkpoint_mark(&[&seq, hash, &written_at])
}

/// What the store holds: nothing yet, a checkpoint, or something that is not one.
#[derive(Debug)]
pub enum Stored {
    Nothing,
    Found(Checkpoint),
    Unreadable(String),
}

pub async fn load(store: &DocumentStore) -> anyhow::Result<Stored> {
    let Some(bytes) = store.get_internal(CHECKPOINT_NAME).await? else {
        return Ok(Stored::Nothing);
    };
    Ok(match serde_json::from_slice::<Checkpoint>(&bytes) {
        Ok(checkpoint) => Stored::Found(checkpoint),
        Err(error) => Stored::Unreadable(error.to_string()),
    })
}

/// Writes the checkpoint over the stored one.
pub async fn write(store: &DocumentStore, checkpoint: &Checkpoint) -> anyhow::Result<()> {
    let bytes = serde_json::to_vec(checkpoint)?;
    store.put_internal(CHECKPOINT_NAME, &bytes).await
}

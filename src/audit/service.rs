//! Recording, sealing and verifying audit events.

use chrono::{DateTime, Utc};
use entities::{audit_chain_head, audit_event};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr};
use serde_json::Value;
use uuid::Uuid;

use super::{
    chain::{AuditKey, BrokenLink, VerifyReport, genesis, new_nonce, unkeyed_link},
    checkpoint::{self, Checkpoint},
    repo,
};
use crate::documents::DocumentStore;

/// An event to append: who did what to which object, in which tenant.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    occurred_at: DateTime<Utc>,
    actor_user_id: Option<Uuid>,
    tenant_id: Option<Uuid>,
    object_type: &'static str,
    object_id: String,
    action: &'static str,
    data: Value,
}

impl AuditEvent {
    pub fn new(
        occurred_at: DateTime<Utc>,
        object_type: &'static str,
        object_id: impl ToString,
        action: &'static str,
    ) -> Self {
        Self {
            occurred_at,
            actor_user_id: None,
            tenant_id: None,
            object_type,
            object_id: object_id.to_string(),
            action,
            data: Value::Object(serde_json::Map::new()),
        }
    }

    pub fn actor(mut self, user_id: Uuid) -> Self {
        self.actor_user_id = Some(user_id);
        self
    }

    pub fn actor_opt(mut self, user_id: Option<Uuid>) -> Self {
        self.actor_user_id = user_id;
        self
    }

    pub fn tenant(mut self, tenant_id: Uuid) -> Self {
        self.tenant_id = Some(tenant_id);
        self
    }

    /// Files the event under the tenant unless it concerns a draft, which the tenant's
    /// administrators may not know of yet (platform administrators still see it).
    pub fn tenant_unless_draft(self, tenant_id: Uuid, draft: bool) -> Self {
        if draft { self } else { self.tenant(tenant_id) }
    }

    pub fn data(mut self, data: Value) -> Self {
        self.data = data;
        self
    }
}

/// Appends an event, marked with the server's key; call it inside the transaction of the change
/// it records.
pub async fn record(
    db: &impl ConnectionTrait,
    key: &AuditKey,
    event: AuditEvent,
) -> Result<(), DbErr> {
    let mut model = audit_event::Model {
        id: 0,
        occurred_at: event.occurred_at,
        actor_user_id: event.actor_user_id,
        tenant_id: event.tenant_id,
        object_type: event.object_type.to_owned(),
        object_id: event.object_id,
        action: event.action.to_owned(),
        data: event.data.to_string(),
        seq: None,
        prev_hash: None,
        hash: None,
        mac: None,
        nonce: Some(new_nonce()),
    };
    model.mac = Some(key.write_mark(&model));
    repo::insert(db, model).await
}

const SEAL_BATCH: u64 = 500;

/// What a sealing pass did, and the head it left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    pub sealed: u64,
    /// Events left unsealed because they do not carry the server's mark.
    pub refused: u64,
    pub head_seq: i64,
    pub head_hash: String,
}

/// Chains every committed, unsealed event that carries the server's mark.
///
/// Each batch starts by locking the head row, so concurrent sealers (several nodes) take turns
/// while writers of events never wait for the sealer. An event without a valid mark (written
/// around the server, or edited before it was sealed) is left out of the chain, and `verify`
/// reports it.
pub async fn seal_pending(
    db: &DatabaseConnection,
    key: &AuditKey,
    now: DateTime<Utc>,
) -> Result<Sealed, DbErr> {
    let mut outcome = Sealed {
        sealed: 0,
        refused: 0,
        head_seq: 0,
        head_hash: genesis(),
    };
    let mut after_id = 0;
    loop {
        let transaction = crate::db::begin(db, crate::db::Scope::Platform).await?;
        let head = repo::lock_head(&transaction).await?;
        let pending = repo::unsealed_after(&transaction, after_id, SEAL_BATCH).await?;
        let (mut seq, mut prev_hash) = (head.seq, head.hash.clone());
        for event in &pending {
            after_id = event.id;
            if !key.is_marked(event) {
                outcome.refused += 1;
                continue;
            }
            seq += 1;
            let hash = key.link(event, seq, &prev_hash);
            repo::seal(&transaction, event.id, seq, &prev_hash, &hash).await?;
            prev_hash = hash;
            outcome.sealed += 1;
        }
        if seq != head.seq {
            repo::store_head(
                &transaction,
                audit_chain_head::Model {
                    id: head.id,
                    seq,
                    hash: prev_hash.clone(),
                    sealed_at: Some(now),
                },
            )
            .await?;
        }
        transaction.commit().await?;
        outcome.head_seq = seq;
        outcome.head_hash = prev_hash;
        if (pending.len() as u64) < SEAL_BATCH {
            break;
        }
    }
    if outcome.refused > 0 {
        tracing::error!(
            refused = outcome.refused,
            "audit events without the server's mark were left out of the chain; run `socorg audit verify`"
        );
    }
    Ok(outcome)
}

/// Seals what is pending and writes a checkpoint of the head outside the database when the head
/// moved past `checkpointed` (the last one this process wrote); returns the head's seq.
pub async fn seal_and_checkpoint(
    db: &DatabaseConnection,
    key: &AuditKey,
    store: &DocumentStore,
    now: DateTime<Utc>,
    checkpointed: i64,
) -> anyhow::Result<i64> {
    let sealed = seal_pending(db, key, now).await?;
    if sealed.head_seq <= checkpointed {
        return Ok(sealed.head_seq);
    }
    // A checkpoint moves forward only along the chain it recorded: one the chain no longer
    // reaches, or one that is not genuine, stays as it is for `audit verify` to report.
    let refuse = |reason: &str| {
        tracing::error!(
            reason,
            "the audit checkpoint is left as it is; run `socorg audit verify`"
        );
    };
    match checkpoint::load(store).await? {
        checkpoint::Stored::Found(stored) if stored.is_genuine(key) => {
            if stored.seq >= sealed.head_seq {
                if stored.seq > sealed.head_seq {
                    refuse("the checkpoint records more events than the chain holds");
                }
                return Ok(sealed.head_seq);
            }
            let still_there = repo::sealed_from(db, stored.seq, 1)
                .await?
                .first()
                .is_some_and(|event| {
                    event.seq == Some(stored.seq)
                        && event.hash.as_deref() == Some(stored.hash.as_str())
                });
            if stored.seq > 0 && !still_there {
                refuse("the chain no longer has the link the checkpoint recorded");
                return Ok(sealed.head_seq);
            }
        }
        checkpoint::Stored::Found(_) | checkpoint::Stored::Unreadable(_) => {
            refuse("the checkpoint does not carry the server's mark");
            return Ok(sealed.head_seq);
        }
        // A chain's first checkpoint is written before anything is sealed (`prepare_chain`),
        // so a chain with sealed events and no checkpoint has lost it: writing a new one would
        // hide whatever was cut from its end.
        checkpoint::Stored::Nothing => {
            refuse("the checkpoint outside the database is gone");
            return Ok(sealed.head_seq);
        }
    }
    let checkpoint = Checkpoint::new(key, sealed.head_seq, sealed.head_hash, now);
    checkpoint::write(store, &checkpoint).await?;
    Ok(sealed.head_seq)
}

const VERIFY_PAGE: u64 = 1000;

/// Walks the sealed chain in order and reports the first broken link; then checks the chain
/// against the checkpoint kept outside the database, and every event awaiting sealing.
pub async fn verify(
    db: &impl ConnectionTrait,
    key: &AuditKey,
    store: &DocumentStore,
) -> anyhow::Result<VerifyReport> {
    // In this order, so that a sealer running meanwhile cannot raise a false alarm: a checkpoint
    // is written after its events are sealed and the head stored, so the head read next reaches
    // at least as far as the checkpoint; the walk then goes to that head and no further.
    let stored = checkpoint::load(store).await?;
    let checkpoint_seq = match &stored {
        checkpoint::Stored::Found(checkpoint) => checkpoint.seq,
        _ => 0,
    };
    let head = repo::head(db).await?;
    let mut expected_seq: i64 = 1;
    let mut expected_prev = genesis();
    let mut sealed: u64 = 0;
    let mut hash_at_checkpoint = None;
    let mut broken = None;
    'pages: loop {
        if expected_seq > head.seq {
            break;
        }
        let page = repo::sealed_from(db, expected_seq, VERIFY_PAGE).await?;
        if page.is_empty() {
            break;
        }
        for event in &page {
            if expected_seq > head.seq {
                // Sealed after the head was read, or past a head rolled back: told below.
                break 'pages;
            }
            let seq = event.seq.unwrap_or_default();
            let reason = if seq != expected_seq {
                Some(format!(
                    "event {expected_seq} is missing (next is {seq}): deleted or renumbered"
                ))
            } else if event.prev_hash.as_deref() != Some(expected_prev.as_str()) {
                Some(
                    "the link to the previous event does not match: reordered, inserted or altered"
                        .to_owned(),
                )
            } else if !key.is_marked(event)
                || event.hash.as_deref() != Some(key.link(event, seq, &expected_prev).as_str())
            {
                Some("the event's content does not match its keyed hash: edited".to_owned())
            } else {
                None
            };
            if let Some(reason) = reason {
                broken = Some(BrokenLink {
                    seq: expected_seq,
                    event_id: Some(event.id),
                    reason,
                });
                break 'pages;
            }
            expected_prev = event.hash.clone().unwrap_or_default();
            if seq == checkpoint_seq {
                hash_at_checkpoint = Some(expected_prev.clone());
            }
            expected_seq += 1;
            sealed += 1;
        }
    }
    let last_seq = expected_seq - 1;
    if broken.is_none() {
        // Events sealed past the head that was read are a sealer's work since, if the head now
        // reaches them; otherwise the head was rolled back over them.
        let beyond = repo::sealed_from(db, last_seq + 1, 1).await?;
        if let Some(next) = beyond.first().and_then(|event| event.seq)
            && repo::head(db).await?.seq < next
        {
            broken = Some(BrokenLink {
                seq: next,
                event_id: beyond.first().map(|event| event.id),
                reason: format!(
                    "event {next} is sealed past the chain's head (event {}): the head was rolled back",
                    head.seq
                ),
            });
        }
    }
    if broken.is_none() && (head.seq != last_seq || head.hash != expected_prev) {
        broken = Some(BrokenLink {
            seq: last_seq + 1,
            event_id: None,
            reason: format!(
                "the chain ends at event {last_seq} but its head records event {}: events were removed from the end or the head was altered",
                head.seq
            ),
        });
    }
    let mut checkpoint_found = None;
    if broken.is_none() {
        let reason = match &stored {
            checkpoint::Stored::Nothing if last_seq > 0 => Some(
                "no checkpoint of the chain was found outside the database: events removed from the end could not be told".to_owned(),
            ),
            checkpoint::Stored::Nothing => None,
            checkpoint::Stored::Unreadable(error) => {
                Some(format!("the checkpoint outside the database is unreadable: {error}"))
            }
            checkpoint::Stored::Found(checkpoint) if !checkpoint.is_genuine(key) => Some(
                "the checkpoint outside the database does not carry the server's mark: forged or altered".to_owned(),
            ),
            checkpoint::Stored::Found(checkpoint) if checkpoint.seq > last_seq => Some(format!(
                "the checkpoint of {} records {} sealed events but the chain holds {last_seq}: events were removed from the end and the head rolled back",
                checkpoint.written_at.to_rfc3339(),
                checkpoint.seq
            )),
            checkpoint::Stored::Found(checkpoint)
                if checkpoint.seq > 0
                    && hash_at_checkpoint.as_deref() != Some(checkpoint.hash.as_str()) =>
            {
                Some(format!(
                    "event {} no longer has the link the checkpoint of {} recorded: the chain was rewritten",
                    checkpoint.seq,
                    checkpoint.written_at.to_rfc3339()
                ))
            }
            checkpoint::Stored::Found(checkpoint) => {
                checkpoint_found = Some((checkpoint.seq, checkpoint.written_at));
                None
            }
        };
        broken = reason.map(|reason| BrokenLink {
            seq: checkpoint_seq.min(last_seq + 1).max(1),
            event_id: None,
            reason,
        });
    }
    let (unsealed, unmarked) = check_unsealed(db, key).await?;
    if broken.is_none()
        && let Some(id) = unmarked
    {
        broken = Some(BrokenLink {
            seq: last_seq + 1,
            event_id: Some(id),
            reason: "an event awaiting sealing does not carry the server's mark: written around the server or edited".to_owned(),
        });
    }
    Ok(VerifyReport {
        sealed,
        unsealed,
        checkpoint: checkpoint_found,
        broken,
    })
}

/// How many events await sealing, and the first of them without a valid mark.
async fn check_unsealed(
    db: &impl ConnectionTrait,
    key: &AuditKey,
) -> Result<(u64, Option<i64>), DbErr> {
    let (mut count, mut unmarked, mut after_id) = (0, None, 0);
    loop {
        let page = repo::unsealed_after(db, after_id, VERIFY_PAGE).await?;
        for event in &page {
            after_id = event.id;
            count += 1;
            if unmarked.is_none() && !key.is_marked(event) {
                unmarked = Some(event.id);
            }
        }
        if (page.len() as u64) < VERIFY_PAGE {
            return Ok((count, unmarked));
        }
    }
}

/// On the upgrade to the keyed chain (when sealed events carry no mark): checks the unkeyed chain
/// as it was, then marks and links every event under the key, in one transaction. Refuses when
/// the old chain is broken, and when a checkpoint of a keyed chain exists: then the unmarked
/// events were not written by a server before the upgrade but put there since. Returns how many
/// events were keyed, or `None` when there was nothing to key.
async fn adopt_unkeyed(
    db: &DatabaseConnection,
    key: &AuditKey,
    store: &DocumentStore,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<u64>> {
    if !repo::chain_is_unkeyed(db).await? {
        return Ok(None);
    }
    if !matches!(checkpoint::load(store).await?, checkpoint::Stored::Nothing) {
        anyhow::bail!(
            "sealed audit events without the server's mark, beside a checkpoint of the keyed \
             chain: they were not written by this installation's servers; refusing to start \
             (run `socorg audit verify`)"
        );
    }
    let transaction = crate::db::begin(db, crate::db::Scope::Platform).await?;
    let head = repo::lock_head(&transaction).await?;
    let (mut seq, mut old_prev, mut new_prev) = (1, genesis(), genesis());
    loop {
        let page = repo::sealed_from(&transaction, seq, VERIFY_PAGE).await?;
        if page.is_empty() {
            break;
        }
        for event in &page {
            if event.seq != Some(seq)
                || event.prev_hash.as_deref() != Some(old_prev.as_str())
                || event.hash.as_deref() != Some(unkeyed_link(event, seq, &old_prev).as_str())
            {
                anyhow::bail!(
                    "the audit chain is broken at seq {seq} (event id {}); it cannot be keyed",
                    event.id
                );
            }
            let mut marked = event.clone();
            marked.nonce = Some(new_nonce());
            marked.mac = Some(key.write_mark(&marked));
            let link = key.link(&marked, seq, &new_prev);
            repo::mark(
                &transaction,
                event.id,
                marked.nonce.as_deref().unwrap_or_default(),
                marked.mac.as_deref().unwrap_or_default(),
            )
            .await?;
            repo::relink(&transaction, event.id, &new_prev, &link).await?;
            old_prev = event.hash.clone().unwrap_or_default();
            new_prev = link;
            seq += 1;
        }
    }
    let last = seq - 1;
    if head.seq != last || head.hash != old_prev {
        anyhow::bail!("the audit chain's head does not match its last event; it cannot be keyed");
    }
    let mut after_id = 0;
    loop {
        let page = repo::unsealed_after(&transaction, after_id, VERIFY_PAGE).await?;
        for event in &page {
            after_id = event.id;
            let mut marked = event.clone();
            marked.nonce = Some(new_nonce());
            let mark = key.write_mark(&marked);
            repo::mark(
                &transaction,
                event.id,
                marked.nonce.as_deref().unwrap_or_default(),
                &mark,
            )
            .await?;
        }
        if (page.len() as u64) < VERIFY_PAGE {
            break;
        }
    }
    repo::store_head(
        &transaction,
        audit_chain_head::Model {
            id: head.id,
            seq: last,
            hash: new_prev.clone(),
            sealed_at: head.sealed_at,
        },
    )
    .await?;
    transaction.commit().await?;
    let checkpoint = Checkpoint::new(key, last, new_prev, now);
    checkpoint::write(store, &checkpoint).await?;
    Ok(Some(u64::try_from(last).unwrap_or_default()))
}

/// Makes the chain ready at start: keys a chain from before keying (`adopt_unkeyed`), and gives
/// a chain with nothing sealed yet and no checkpoint its first checkpoint (of the empty head),
/// so that from the first seal on the checkpoint only ever moves forward and one that is missing
/// was removed. Returns how many events were keyed.
pub async fn prepare_chain(
    db: &DatabaseConnection,
    key: &AuditKey,
    store: &DocumentStore,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<u64>> {
    if let Some(keyed) = adopt_unkeyed(db, key, store, now).await? {
        return Ok(Some(keyed));
    }
    if repo::head(db).await?.seq == 0
        && matches!(checkpoint::load(store).await?, checkpoint::Stored::Nothing)
    {
        checkpoint::write(store, &Checkpoint::new(key, 0, genesis(), now)).await?;
    }
    Ok(None)
}

//! Recording, sealing and verifying audit events.

use chrono::{DateTime, Utc};
use entities::{audit_chain_head, audit_event};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr};
use serde_json::Value;
use uuid::Uuid;

use super::{
    chain::{BrokenLink, VerifyReport, genesis, link_hash},
    repo,
};

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

/// Appends an event; call it inside the transaction of the change it records.
pub async fn record(db: &impl ConnectionTrait, event: AuditEvent) -> Result<(), DbErr> {
    repo::insert(
        db,
        audit_event::Model {
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
        },
    )
    .await
}

const SEAL_BATCH: u64 = 500;

/// Chains every committed, unsealed event; returns how many were sealed.
///
/// Each batch starts by locking the head row, so concurrent sealers (several nodes) take turns
/// while writers of events never wait for the sealer.
pub async fn seal_pending(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<u64, DbErr> {
    let mut sealed = 0;
    loop {
        let transaction = crate::db::begin(db, crate::db::Scope::Platform).await?;
        let head = repo::lock_head(&transaction).await?;
        let pending = repo::unsealed(&transaction, SEAL_BATCH).await?;
        if pending.is_empty() {
            transaction.commit().await?;
            return Ok(sealed);
        }
        let (mut seq, mut prev_hash) = (head.seq, head.hash);
        for event in &pending {
            seq += 1;
            let hash = link_hash(event, seq, &prev_hash);
            repo::seal(&transaction, event.id, seq, &prev_hash, &hash).await?;
            prev_hash = hash;
        }
        repo::store_head(
            &transaction,
            audit_chain_head::Model {
                id: head.id,
                seq,
                hash: prev_hash,
                sealed_at: Some(now),
            },
        )
        .await?;
        transaction.commit().await?;
        sealed += pending.len() as u64;
        if (pending.len() as u64) < SEAL_BATCH {
            return Ok(sealed);
        }
    }
}

const VERIFY_PAGE: u64 = 1000;

/// Walks the sealed chain in order and reports the first broken link.
pub async fn verify(db: &impl ConnectionTrait) -> Result<VerifyReport, DbErr> {
    let mut expected_seq: i64 = 1;
    let mut expected_prev = genesis();
    let mut sealed: u64 = 0;
    let mut broken = None;
    'pages: loop {
        let page = repo::sealed_from(db, expected_seq, VERIFY_PAGE).await?;
        if page.is_empty() {
            break;
        }
        for event in &page {
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
            } else if event.hash.as_deref() != Some(link_hash(event, seq, &expected_prev).as_str())
            {
                Some("the event's content does not match its hash: edited".to_owned())
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
            expected_seq += 1;
            sealed += 1;
        }
    }
    if broken.is_none() {
        let head = repo::head(db).await?;
        let last_seq = expected_seq - 1;
        if head.seq != last_seq || head.hash != expected_prev {
            broken = Some(BrokenLink {
                seq: last_seq + 1,
                event_id: None,
                reason: format!(
                    "the chain ends at event {last_seq} but its head records event {}: events were removed from the end or the head was altered",
                    head.seq
                ),
            });
        }
    }
    let unsealed = repo::count_unsealed(db).await?;
    Ok(VerifyReport {
        sealed,
        unsealed,
        broken,
    })
}

/// Audit events visible to the caller: everything for platform administrators; for registry
/// administrators, the events of the tenants they administer and of every tenant below those.
pub async fn list_events(
    state: &crate::state::AppState,
    principal: &crate::authz::Principal,
    tenant_slug: Option<&str>,
    mut filter: repo::AuditFilter,
    limit: u64,
) -> Result<Vec<audit_event::Model>, crate::error::ApiError> {
    use crate::tenants;

    let visible = if principal.is_platform_admin() {
        None
    } else {
        let administered = principal.administered_tenants();
        if administered.is_empty() {
            return Err(crate::error::ApiError::forbidden());
        }
        Some(tenants::repo::subtree_ids(&state.db, &administered).await?)
    };
    filter.tenants = match tenant_slug {
        Some(slug) => {
            let tenant = tenants::service::get_tenant(state, slug).await?;
            principal.tenant_access(&tenant.position()).require_read()?;
            Some(vec![tenant.id()])
        }
        None => visible,
    };
    Ok(repo::list(&state.db, filter, limit).await?)
}

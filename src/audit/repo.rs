//! Queries on the audit tables.

use chrono::{DateTime, Utc};
use entities::{audit_chain_head, audit_event};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
    sea_query::Expr,
};
use uuid::Uuid;

const HEAD_ID: i32 = 1;

pub async fn insert(db: &impl ConnectionTrait, event: audit_event::Model) -> Result<(), DbErr> {
    audit_event::Entity::insert(audit_event::ActiveModel {
        id: NotSet,
        occurred_at: Set(event.occurred_at),
        actor_user_id: Set(event.actor_user_id),
        tenant_id: Set(event.tenant_id),
        object_type: Set(event.object_type),
        object_id: Set(event.object_id),
        action: Set(event.action),
        data: Set(event.data),
        seq: Set(None),
        prev_hash: Set(None),
        hash: Set(None),
        mac: Set(event.mac),
        nonce: Set(event.nonce),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Takes the write lock on the head row first (both databases), then reads it.
pub async fn lock_head(db: &impl ConnectionTrait) -> Result<audit_chain_head::Model, DbErr> {
    audit_chain_head::Entity::update_many()
        .col_expr(
            audit_chain_head::Column::Seq,
            Expr::col(audit_chain_head::Column::Seq),
        )
        .filter(audit_chain_head::Column::Id.eq(HEAD_ID))
        .exec(db)
        .await?;
    head(db).await
}

pub async fn head(db: &impl ConnectionTrait) -> Result<audit_chain_head::Model, DbErr> {
    audit_chain_head::Entity::find_by_id(HEAD_ID)
        .one(db)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("audit chain head".to_owned()))
}

pub async fn store_head(
    db: &impl ConnectionTrait,
    head: audit_chain_head::Model,
) -> Result<(), DbErr> {
    audit_chain_head::Entity::update_many()
        .col_expr(audit_chain_head::Column::Seq, Expr::value(head.seq))
        .col_expr(audit_chain_head::Column::Hash, Expr::value(head.hash))
        .col_expr(
            audit_chain_head::Column::SealedAt,
            Expr::value(head.sealed_at),
        )
        .filter(audit_chain_head::Column::Id.eq(head.id))
        .exec(db)
        .await?;
    Ok(())
}

/// Whether the chain is from before it was keyed: its first event carries no write mark. (One
/// look by the unique seq; an unmarked event further on is for `verify` to report.)
pub async fn chain_is_unkeyed(db: &impl ConnectionTrait) -> Result<bool, DbErr> {
    Ok(audit_event::Entity::find()
        .filter(audit_event::Column::Seq.eq(1))
        .one(db)
        .await?
        .is_some_and(|first| first.mac.is_none()))
}

/// Unsealed events after the event `after_id`, oldest first.
pub async fn unsealed_after(
    db: &impl ConnectionTrait,
    after_id: i64,
    limit: u64,
) -> Result<Vec<audit_event::Model>, DbErr> {
    audit_event::Entity::find()
        .filter(audit_event::Column::Seq.is_null())
        .filter(audit_event::Column::Id.gt(after_id))
        .order_by_asc(audit_event::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

pub async fn mark(
    db: &impl ConnectionTrait,
    id: i64,
    nonce: &str,
    mark: &str,
) -> Result<(), DbErr> {
    audit_event::Entity::update_many()
        .col_expr(audit_event::Column::Nonce, Expr::value(nonce))
        .col_expr(audit_event::Column::Mac, Expr::value(mark))
        .filter(audit_event::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Writes an event's link again (on upgrade to the keyed chain).
pub async fn relink(
    db: &impl ConnectionTrait,
    id: i64,
    prev_hash: &str,
    hash: &str,
) -> Result<(), DbErr> {
    audit_event::Entity::update_many()
        .col_expr(audit_event::Column::PrevHash, Expr::value(prev_hash))
        .col_expr(audit_event::Column::Hash, Expr::value(hash))
        .filter(audit_event::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn seal(
    db: &impl ConnectionTrait,
    id: i64,
    seq: i64,
    prev_hash: &str,
    hash: &str,
) -> Result<(), DbErr> {
    audit_event::Entity::update_many()
        .col_expr(audit_event::Column::Seq, Expr::value(seq))
        .col_expr(audit_event::Column::PrevHash, Expr::value(prev_hash))
        .col_expr(audit_event::Column::Hash, Expr::value(hash))
        .filter(audit_event::Column::Id.eq(id))
        .filter(audit_event::Column::Seq.is_null())
        .exec(db)
        .await?;
    Ok(())
}

pub async fn sealed_from(
    db: &impl ConnectionTrait,
    from_seq: i64,
    limit: u64,
) -> Result<Vec<audit_event::Model>, DbErr> {
    audit_event::Entity::find()
        .filter(audit_event::Column::Seq.gte(from_seq))
        .order_by_asc(audit_event::Column::Seq)
        .limit(limit)
        .all(db)
        .await
}

/// Filters of the audit listing; `tenants` restricts to those tenants when set.
#[derive(Debug, Default)]
pub struct AuditFilter {
    pub tenants: Option<Vec<Uuid>>,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub actor_user_id: Option<Uuid>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub before_id: Option<i64>,
}

pub async fn list(
    db: &impl ConnectionTrait,
    filter: AuditFilter,
    limit: u64,
) -> Result<Vec<audit_event::Model>, DbErr> {
    let mut condition = Condition::all();
    if let Some(tenants) = filter.tenants {
        condition = condition.add(audit_event::Column::TenantId.is_in(tenants));
    }
    if let Some(object_type) = filter.object_type {
        condition = condition.add(audit_event::Column::ObjectType.eq(object_type));
    }
    if let Some(object_id) = filter.object_id {
        condition = condition.add(audit_event::Column::ObjectId.eq(object_id));
    }
    if let Some(actor) = filter.actor_user_id {
        condition = condition.add(audit_event::Column::ActorUserId.eq(actor));
    }
    if let Some(from) = filter.from {
        condition = condition.add(audit_event::Column::OccurredAt.gte(from));
    }
    if let Some(to) = filter.to {
        condition = condition.add(audit_event::Column::OccurredAt.lt(to));
    }
    if let Some(before_id) = filter.before_id {
        condition = condition.add(audit_event::Column::Id.lt(before_id));
    }
    audit_event::Entity::find()
        .filter(condition)
        .order_by_desc(audit_event::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

//! One entry of the append-only audit log. `mac` is set when the event is written; `seq`,
//! `prev_hash` and `hash` are filled in when it is sealed into the chain, after the transaction
//! that wrote it has committed.

use sea_orm::entity::prelude::{
    ActiveModelBehavior, DateTimeUtc, DeriveEntityModel, DerivePrimaryKey, DeriveRelation,
    EntityTrait, EnumIter, PrimaryKeyTrait, Uuid,
};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub occurred_at: DateTimeUtc,
    pub actor_user_id: Option<Uuid>,
    pub tenant_id: Option<Uuid>,
    pub object_type: String,
    pub object_id: String,
    pub action: String,
    /// JSON text, kept byte for byte as it was hashed.
    pub data: String,
    pub seq: Option<i64>,
    pub prev_hash: Option<String>,
    pub hash: Option<String>,
    /// The server's keyed mark over the event's fields, set when it is written; an event without
    /// a valid one was not written by the server and is never sealed.
    pub mac: Option<String>,
    /// Random, so that two events of the same fields never share a mark.
    pub nonce: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

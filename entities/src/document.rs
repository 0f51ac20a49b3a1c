//! A stored file: who owns it, who may see it, and how to check it is intact.

use sea_orm::entity::prelude::{
    ActiveModelBehavior, DateTimeUtc, DeriveEntityModel, DerivePrimaryKey, DeriveRelation,
    EntityTrait, EnumIter, PrimaryKeyTrait, Uuid,
};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "documents")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// The kind of object the document belongs to (`tenant`, later `organisation`, `bid`, …).
    pub owner_type: String,
    pub owner_id: String,
    /// `private`, `public` or `sealed`.
    pub visibility: String,
    /// Server-generated key in the document store.
    pub storage_key: String,
    /// The uploader's file name, sanitised; metadata only.
    pub file_name: String,
    /// Type detected from the content.
    pub content_type: String,
    pub size_bytes: i64,
    /// Hex SHA-256 of the content.
    pub sha256: String,
    pub uploaded_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

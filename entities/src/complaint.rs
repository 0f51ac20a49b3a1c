//! A concern about an organisation reported by anyone (投诉举报); never public.

use sea_orm::entity::prelude::{
    ActiveModelBehavior, DateTimeUtc, DeriveEntityModel, DerivePrimaryKey, DeriveRelation,
    EntityTrait, EnumIter, PrimaryKeyTrait, Uuid,
};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "complaints")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub organisation_id: Uuid,
    pub text: String,
    pub contact: Option<String>,
    /// JSON array of document ids.
    pub attachments: String,
    /// `open`, `in_progress` or `closed`.
    pub status: String,
    pub resolution: Option<String>,
    pub client_address: Option<String>,
    pub created_at: DateTimeUtc,
    pub handled_by: Option<Uuid>,
    pub closed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

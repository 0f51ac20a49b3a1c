//! An organisation's annual report (年度报告) for one year.

use sea_orm::entity::prelude::{
    ActiveModelBehavior, DateTimeUtc, DeriveEntityModel, DerivePrimaryKey, DeriveRelation,
    EntityTrait, EnumIter, PrimaryKeyTrait, Uuid,
};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "annual_reports")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub organisation_id: Uuid,
    pub year: i32,
    pub income_fen: i64,
    pub expenditure_fen: i64,
    pub net_assets_fen: i64,
    pub activities: String,
    pub staff_count: i32,
    pub volunteer_count: i32,
    pub document_id: Option<Uuid>,
    pub filed_at: DateTimeUtc,
    pub filed_by: Option<Uuid>,
    pub disclosure_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

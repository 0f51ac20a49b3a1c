//! A grade an organisation holds: 5A…1A, valid five years from the decision, until downgraded,
//! cancelled or expired.

use sea_orm::entity::prelude::{
    ActiveModelBehavior, Date, DateTimeUtc, DeriveEntityModel, DerivePrimaryKey, DeriveRelation,
    EntityTrait, EnumIter, PrimaryKeyTrait, Uuid,
};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "organisation_grades")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub organisation_id: Uuid,
    pub application_id: Option<Uuid>,
    pub grade: String,
    pub total: i64,
    pub awarded_on: Date,
    pub valid_until: Date,
    pub status: String,
    pub reason: Option<String>,
    pub changed_at: Option<DateTimeUtc>,
    pub disclosure_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

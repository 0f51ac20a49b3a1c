//! A group without registration in a tenant's incubation base (先孵化后登记).

use sea_orm::entity::prelude::{
    ActiveModelBehavior, Date, DateTimeUtc, DeriveEntityModel, DerivePrimaryKey, DeriveRelation,
    EntityTrait, EnumIter, PrimaryKeyTrait, Uuid,
};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "incubation_groups")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    /// JSON array of strings.
    pub service_areas: String,
    pub description: String,
    pub contact_name: String,
    pub contact_email: String,
    pub contact_phone: Option<String>,
    pub applicant_user_id: Uuid,
    /// `applied`, `admitted`, `incubating`, `graduated`, `exited`.
    pub status: String,
    pub mentor: Option<String>,
    pub started_on: Option<Date>,
    pub planned_end_on: Option<Date>,
    pub ended_on: Option<Date>,
    pub outcome_reason: Option<String>,
    /// The registration application opened at graduation.
    pub registration_id: Option<Uuid>,
    /// The graduation announcement.
    pub disclosure_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

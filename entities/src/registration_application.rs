//! An application to register a new organisation.

use sea_orm::entity::prelude::{
    ActiveModelBehavior, Date, DateTimeUtc, DeriveEntityModel, DerivePrimaryKey, DeriveRelation,
    EntityTrait, EnumIter, PrimaryKeyTrait, Uuid,
};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "registration_applications")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub applicant_user_id: Uuid,
    /// `draft`, `submitted`, `approved`, `returned`, `rejected` or `withdrawn`.
    pub status: String,
    pub name: String,
    pub name_key: String,
    pub org_type: Option<String>,
    pub sub_kind: Option<String>,
    pub address: Option<String>,
    pub legal_representative: Option<String>,
    /// JSON array of strings.
    pub service_areas: String,
    pub founded_on: Option<Date>,
    pub registered_funds_fen: Option<i64>,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
    pub purpose: Option<String>,
    /// JSON array of names.
    pub founding_members: String,
    pub sponsor: Option<String>,
    pub charter_document_id: Option<Uuid>,
    /// JSON object: field → the reviewer's comment, from the last return.
    pub review_comments: String,
    pub decision_reason: Option<String>,
    pub organisation_id: Option<Uuid>,
    pub submitted_at: Option<DateTimeUtc>,
    pub decided_at: Option<DateTimeUtc>,
    pub decided_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

//! An organisation's application to a campaign: its self-assessment, the committee's decisions, the
//! result and its publicity, review and finalisation.

use sea_orm::entity::prelude::{
    ActiveModelBehavior, DateTimeUtc, DeriveEntityModel, DerivePrimaryKey, DeriveRelation,
    EntityTrait, EnumIter, PrimaryKeyTrait, Uuid,
};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "evaluation_applications")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub campaign_id: Uuid,
    pub organisation_id: Uuid,
    pub status: String,
    pub self_assessment: String,
    pub decisions: String,
    pub submitted_at: Option<DateTimeUtc>,
    pub total: Option<i64>,
    pub grade: Option<String>,
    pub published_at: Option<DateTimeUtc>,
    pub publicity_ends_at: Option<DateTimeUtc>,
    pub preliminary_disclosure_id: Option<Uuid>,
    pub review_requested_at: Option<DateTimeUtc>,
    pub review_reason: Option<String>,
    pub review_outcome: Option<String>,
    pub reviewed_at: Option<DateTimeUtc>,
    pub finalised_at: Option<DateTimeUtc>,
    pub final_disclosure_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

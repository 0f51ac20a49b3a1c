//! A public disclosure record (信息公开), never edited: a correction supersedes it.

use sea_orm::entity::prelude::{
    ActiveModelBehavior, Date, DateTimeUtc, DeriveEntityModel, DerivePrimaryKey, DeriveRelation,
    EntityTrait, EnumIter, PrimaryKeyTrait, Uuid,
};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "disclosures")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// `<publisher code>/<year>-<sequence>`.
    pub index_no: String,
    pub category: String,
    pub publisher: String,
    pub written_on: Date,
    pub published_at: DateTimeUtc,
    pub document_number: Option<String>,
    /// JSON array of terms.
    pub subject_terms: String,
    pub title: String,
    pub body: String,
    /// JSON array of document ids.
    pub attachments: String,
    pub subject_type: Option<String>,
    pub subject_id: Option<String>,
    pub supersedes_id: Option<Uuid>,
    pub created_by: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

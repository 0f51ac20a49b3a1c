//! A registered social organisation: its public record and status.

use sea_orm::entity::prelude::{
    ActiveModelBehavior, Date, DateTimeUtc, DeriveEntityModel, DerivePrimaryKey, DeriveRelation,
    EntityTrait, EnumIter, PrimaryKeyTrait, Uuid,
};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "organisations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// Unified social credit code.
    pub uscc: String,
    /// Why a code failing its check character was recorded anyway.
    pub uscc_override_reason: Option<String>,
    pub name: String,
    /// The name normalised for uniqueness (width, spaces, traditional characters).
    pub name_key: String,
    /// `social_group`, `social_service_organisation` or `foundation`.
    pub org_type: String,
    /// `industry_association`, `social_work_agency`, `charity`.
    pub sub_kind: Option<String>,
    pub address: String,
    pub legal_representative: String,
    /// JSON array of strings.
    pub service_areas: String,
    pub founded_on: Option<Date>,
    pub registered_funds_fen: i64,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
    pub purpose: Option<String>,
    /// `registered`, `abnormal`, `deregistered` or `revoked`.
    pub status: String,
    pub status_reason: Option<String>,
    pub status_date: Option<Date>,
    pub registered_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

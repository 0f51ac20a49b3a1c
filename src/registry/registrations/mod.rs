//! Registration applications: `draft → submitted → approved | returned | rejected`,
//! `returned → submitted` after amendment, `submitted → withdrawn`.

pub mod api;
mod dto;
mod repo;
pub mod service;

/// Stores an application as it is; for the demo data set, which tells a history it did not live.
pub async fn insert_for_demo(
    db: &impl sea_orm::ConnectionTrait,
    model: entities::registration_application::Model,
) -> Result<(), sea_orm::DbErr> {
    repo::insert(db, model).await
}

/// Stores a draft opened on the applicant's behalf (graduation from the incubation base), inside
/// the caller's transaction.
pub async fn insert_draft(
    db: &impl sea_orm::ConnectionTrait,
    model: entities::registration_application::Model,
) -> Result<(), sea_orm::DbErr> {
    repo::insert(db, model).await
}

//! A disclosure is superseded at most once: corrections form a chain, never a fork.

use sea_orm_migration::{
    DbErr, MigrationTrait, SchemaManager, async_trait,
    sea_orm::{DeriveIden, DeriveMigrationName},
    sea_query::Index,
};

use sea_orm_migration::sea_orm;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Disclosures {
    Table,
    SupersedesId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("disclosures_supersedes_unique")
                    .table(Disclosures::Table)
                    .col(Disclosures::SupersedesId)
                    .unique()
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("disclosures_supersedes_unique")
                    .table(Disclosures::Table)
                    .to_owned(),
            )
            .await
    }
}

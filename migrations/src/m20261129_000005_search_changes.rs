//! The search change log: every change to a public document appends a row; each node's index
//! follows the log from its own cursor.

use sea_orm_migration::{
    DbErr, MigrationTrait, SchemaManager, async_trait,
    sea_orm::{DeriveIden, DeriveMigrationName},
    sea_query::{ColumnDef, Table},
};

use sea_orm_migration::sea_orm;

use crate::columns::{text, timestamp};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SearchChanges {
    Table,
    Id,
    Kind,
    ObjectId,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SearchChanges::Table)
                    .col(
                        ColumnDef::new(SearchChanges::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(text(SearchChanges::Kind))
                    .col(text(SearchChanges::ObjectId))
                    .col(timestamp(SearchChanges::CreatedAt))
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SearchChanges::Table).take())
            .await
    }
}

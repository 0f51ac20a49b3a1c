//! The audit chain is keyed: each event carries the server's mark (`mac`, an HMAC over its
//! fields under a key derived from the master key), set when it is written. The server marks and
//! re-links the events already there right after this migration, once it has checked their old
//! unkeyed chain (it holds the key; the migration does not).

use sea_orm_migration::{
    DbErr, MigrationTrait, SchemaManager, async_trait,
    sea_orm::{DeriveIden, DeriveMigrationName},
    sea_query::Table,
};

use sea_orm_migration::sea_orm;

use crate::columns::text_null;

/// The name the server looks for among the migrations it has just applied.
pub const NAME: &str = "m20261203_000008_keyed_audit";

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Mac,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(AuditEvents::Table)
                    .add_column(text_null(AuditEvents::Mac))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(AuditEvents::Table)
                    .drop_column(AuditEvents::Mac)
                    .to_owned(),
            )
            .await
    }
}

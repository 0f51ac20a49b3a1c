//! The job queue, one-time account tokens (links sent by e-mail) and documents.

use sea_orm_migration::{
    DbErr, MigrationTrait, SchemaManager, async_trait,
    sea_orm::{DeriveIden, DeriveMigrationName},
    sea_query::{ColumnDef, ForeignKey, ForeignKeyAction, Index, IntoIden, Table},
};

use sea_orm_migration::sea_orm;

use crate::columns::{text, text_null, timestamp, timestamp_null, uuid_pk};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Jobs {
    Table,
    Id,
    Kind,
    Payload,
    State,
    Attempts,
    MaxAttempts,
    RunAt,
    LockedAt,
    LockedBy,
    LastError,
    CreatedAt,
    UpdatedAt,
    FinishedAt,
}

#[derive(DeriveIden)]
enum AccountTokens {
    Table,
    Id,
    UserId,
    Purpose,
    TokenHash,
    NewEmail,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum Documents {
    Table,
    Id,
    TenantId,
    OwnerType,
    OwnerId,
    Visibility,
    StorageKey,
    FileName,
    ContentType,
    SizeBytes,
    Sha256,
    UploadedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Jobs::Table)
                    .col(uuid_pk(Jobs::Id))
                    .col(text(Jobs::Kind))
                    .col(text(Jobs::Payload))
                    .col(text(Jobs::State))
                    .col(ColumnDef::new(Jobs::Attempts).integer().not_null())
                    .col(ColumnDef::new(Jobs::MaxAttempts).integer().not_null())
                    .col(timestamp(Jobs::RunAt))
                    .col(timestamp_null(Jobs::LockedAt))
                    .col(text_null(Jobs::LockedBy))
                    .col(text_null(Jobs::LastError))
                    .col(timestamp(Jobs::CreatedAt))
                    .col(timestamp(Jobs::UpdatedAt))
                    .col(timestamp_null(Jobs::FinishedAt))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("jobs_state_run_at")
                    .table(Jobs::Table)
                    .col(Jobs::State)
                    .col(Jobs::RunAt)
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AccountTokens::Table)
                    .col(
                        ColumnDef::new(AccountTokens::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(AccountTokens::UserId).uuid().not_null())
                    .col(text(AccountTokens::Purpose))
                    .col(text(AccountTokens::TokenHash).unique_key())
                    .col(text_null(AccountTokens::NewEmail))
                    .col(timestamp(AccountTokens::CreatedAt))
                    .col(timestamp(AccountTokens::ExpiresAt))
                    .col(timestamp_null(AccountTokens::UsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(AccountTokens::Table, AccountTokens::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("account_tokens_user_purpose")
                    .table(AccountTokens::Table)
                    .col(AccountTokens::UserId)
                    .col(AccountTokens::Purpose)
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Documents::Table)
                    .col(
                        ColumnDef::new(Documents::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Documents::TenantId).uuid().not_null())
                    .col(text(Documents::OwnerType))
                    .col(text(Documents::OwnerId))
                    .col(text(Documents::Visibility))
                    .col(text(Documents::StorageKey).unique_key())
                    .col(text(Documents::FileName))
                    .col(text(Documents::ContentType))
                    .col(
                        ColumnDef::new(Documents::SizeBytes)
                            .big_integer()
                            .not_null(),
                    )
                    .col(text(Documents::Sha256))
                    .col(ColumnDef::new(Documents::UploadedBy).uuid().null())
                    .col(timestamp(Documents::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Documents::Table, Documents::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("documents_owner")
                    .table(Documents::Table)
                    .col(Documents::TenantId)
                    .col(Documents::OwnerType)
                    .col(Documents::OwnerId)
                    .take(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Documents::Table.into_iden(),
            AccountTokens::Table.into_iden(),
            Jobs::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).take())
                .await?;
        }
        Ok(())
    }
}

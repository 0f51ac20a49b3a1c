//! Invitations of existing accounts into a tenant. A tenant's administrator who adds a person
//! whose address already has an account (perhaps in another tenant) invites that account: the
//! roles take effect only when its owner accepts, and until then the tenant sees the person as
//! it described them (the address, name and roles it gave), never the account's own details.

use sea_orm_migration::{
    DbErr, MigrationTrait, SchemaManager, async_trait,
    sea_orm::{DeriveIden, DeriveMigrationName},
    sea_query::{ColumnDef, ForeignKey, ForeignKeyAction, Index, Table},
};

use sea_orm_migration::sea_orm;

use crate::columns::{text, timestamp, uuid_col, uuid_null, uuid_pk};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum TenantInvitations {
    Table,
    Id,
    TenantId,
    UserId,
    /// The address, name and roles the administrator gave.
    Email,
    Name,
    /// A JSON array of tenant role names.
    Roles,
    /// Whether the administrator gave a password (never set on an existing account).
    PasswordGiven,
    InvitedBy,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TenantInvitations::Table)
                    .col(uuid_pk(TenantInvitations::Id))
                    .col(uuid_col(TenantInvitations::TenantId))
                    .col(uuid_col(TenantInvitations::UserId))
                    .col(text(TenantInvitations::Email))
                    .col(text(TenantInvitations::Name))
                    .col(text(TenantInvitations::Roles))
                    .col(
                        ColumnDef::new(TenantInvitations::PasswordGiven)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .col(uuid_null(TenantInvitations::InvitedBy))
                    .col(timestamp(TenantInvitations::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(TenantInvitations::Table, TenantInvitations::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(TenantInvitations::Table, TenantInvitations::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("tenant_invitations_tenant_user")
                    .table(TenantInvitations::Table)
                    .col(TenantInvitations::TenantId)
                    .col(TenantInvitations::UserId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("tenant_invitations_user")
                    .table(TenantInvitations::Table)
                    .col(TenantInvitations::UserId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(TenantInvitations::Table).to_owned())
            .await
    }
}

//! Tenants, users, grants, sessions, login throttling and the audit log.

use sea_orm_migration::{
    DbErr, MigrationTrait, SchemaManager, async_trait,
    sea_orm::{ConnectionTrait, DbBackend, DeriveIden, DeriveMigrationName},
    sea_query::{ColumnDef, ForeignKey, ForeignKeyAction, Index, IntoIden, Table},
};

use sea_orm_migration::sea_orm;

use crate::columns::{text, text_null, timestamp, timestamp_null, uuid_pk};

use crate::postgres_app_role;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
    Slug,
    NameZh,
    NameEn,
    DivisionCode,
    ParentId,
    Path,
    OrgCode,
    TimeZone,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Email,
    Name,
    PasswordHash,
    EmailVerifiedAt,
    DisabledAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Grants {
    Table,
    Id,
    UserId,
    Role,
    TenantId,
    OrganisationId,
    ScopeKey,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    UserId,
    TokenHash,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum LoginThrottle {
    Table,
    Key,
    Failures,
    WindowStartedAt,
    BlockedUntil,
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Id,
    OccurredAt,
    ActorUserId,
    TenantId,
    ObjectType,
    ObjectId,
    Action,
    Data,
    Seq,
    PrevHash,
    Hash,
}

#[derive(DeriveIden)]
enum AuditChainHead {
    Table,
    Id,
    Seq,
    Hash,
    SealedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let postgres = manager.get_database_backend() == DbBackend::Postgres;
        if postgres {
            postgres_app_role::create(manager).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(Tenants::Table)
                    .col(uuid_pk(Tenants::Id))
                    .col(text(Tenants::Slug).unique_key())
                    .col(text(Tenants::NameZh))
                    .col(text(Tenants::NameEn))
                    .col(text(Tenants::DivisionCode))
                    .col(ColumnDef::new(Tenants::ParentId).uuid().null())
                    .col(text(Tenants::Path))
                    .col(text_null(Tenants::OrgCode))
                    .col(text(Tenants::TimeZone))
                    .col(timestamp(Tenants::CreatedAt))
                    .col(timestamp(Tenants::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Tenants::Table, Tenants::ParentId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("tenants_parent_id")
                    .table(Tenants::Table)
                    .col(Tenants::ParentId)
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(uuid_pk(Users::Id))
                    .col(text(Users::Email).unique_key())
                    .col(text(Users::Name))
                    .col(text_null(Users::PasswordHash))
                    .col(timestamp_null(Users::EmailVerifiedAt))
                    .col(timestamp_null(Users::DisabledAt))
                    .col(timestamp(Users::CreatedAt))
                    .col(timestamp(Users::UpdatedAt))
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Grants::Table)
                    .col(uuid_pk(Grants::Id))
                    .col(ColumnDef::new(Grants::UserId).uuid().not_null())
                    .col(text(Grants::Role))
                    .col(ColumnDef::new(Grants::TenantId).uuid().null())
                    .col(ColumnDef::new(Grants::OrganisationId).uuid().null())
                    .col(text(Grants::ScopeKey))
                    .col(timestamp(Grants::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Grants::Table, Grants::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Grants::Table, Grants::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("grants_user_role_scope")
                    .table(Grants::Table)
                    .col(Grants::UserId)
                    .col(Grants::Role)
                    .col(Grants::ScopeKey)
                    .unique()
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("grants_tenant_id")
                    .table(Grants::Table)
                    .col(Grants::TenantId)
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Sessions::Table)
                    .col(uuid_pk(Sessions::Id))
                    .col(ColumnDef::new(Sessions::UserId).uuid().not_null())
                    .col(text(Sessions::TokenHash).unique_key())
                    .col(timestamp(Sessions::CreatedAt))
                    .col(timestamp(Sessions::ExpiresAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Sessions::Table, Sessions::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("sessions_user_id")
                    .table(Sessions::Table)
                    .col(Sessions::UserId)
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(LoginThrottle::Table)
                    .col(
                        ColumnDef::new(LoginThrottle::Key)
                            .text()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(LoginThrottle::Failures).integer().not_null())
                    .col(timestamp(LoginThrottle::WindowStartedAt))
                    .col(timestamp_null(LoginThrottle::BlockedUntil))
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AuditEvents::Table)
                    .col(
                        ColumnDef::new(AuditEvents::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(timestamp(AuditEvents::OccurredAt))
                    .col(ColumnDef::new(AuditEvents::ActorUserId).uuid().null())
                    .col(ColumnDef::new(AuditEvents::TenantId).uuid().null())
                    .col(text(AuditEvents::ObjectType))
                    .col(text(AuditEvents::ObjectId))
                    .col(text(AuditEvents::Action))
                    .col(text(AuditEvents::Data))
                    .col(
                        ColumnDef::new(AuditEvents::Seq)
                            .big_integer()
                            .null()
                            .unique_key(),
                    )
                    .col(text_null(AuditEvents::PrevHash))
                    .col(text_null(AuditEvents::Hash))
                    .take(),
            )
            .await?;
        for (name, column) in [
            ("audit_events_tenant_id", AuditEvents::TenantId),
            ("audit_events_actor_user_id", AuditEvents::ActorUserId),
            ("audit_events_occurred_at", AuditEvents::OccurredAt),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(AuditEvents::Table)
                        .col(column)
                        .take(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("audit_events_object")
                    .table(AuditEvents::Table)
                    .col(AuditEvents::ObjectType)
                    .col(AuditEvents::ObjectId)
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AuditChainHead::Table)
                    .col(
                        ColumnDef::new(AuditChainHead::Id)
                            .integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(AuditChainHead::Seq).big_integer().not_null())
                    .col(text(AuditChainHead::Hash))
                    .col(timestamp_null(AuditChainHead::SealedAt))
                    .take(),
            )
            .await?;

        // The chain starts from a genesis link of zeros; the sealer always updates this row first,
        // which serialises sealers on both databases.
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "INSERT INTO audit_chain_head (id, seq, hash) VALUES (1, 0, '{}')",
                "0".repeat(64)
            ))
            .await?;

        if postgres {
            postgres_app_role::grant_existing(manager).await?;
            // The audit log is append-only for the application: it may insert events and seal them
            // (fill in seq, prev_hash, hash), never rewrite or delete them.
            manager
                .get_connection()
                .execute_unprepared(&format!(
                    "REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM {role};
                     GRANT UPDATE (seq, prev_hash, hash) ON audit_events TO {role};
                     REVOKE DELETE, TRUNCATE ON audit_chain_head FROM {role};",
                    role = postgres_app_role::APP_ROLE
                ))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AuditChainHead::Table.into_iden(),
            AuditEvents::Table.into_iden(),
            LoginThrottle::Table.into_iden(),
            Sessions::Table.into_iden(),
            Grants::Table.into_iden(),
            Users::Table.into_iden(),
            Tenants::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).take())
                .await?;
        }
        Ok(())
    }
}

//! The registry: organisations, registration applications, change and deregistration
//! applications, the organisation history, disclosures and their numbering, complaints, and the
//! counters that issue unified social credit codes.

use sea_orm_migration::{
    DbErr, MigrationTrait, SchemaManager, async_trait,
    sea_orm::{ConnectionTrait, DeriveIden, DeriveMigrationName},
    sea_query::{
        ColumnDef, ForeignKey, ForeignKeyAction, ForeignKeyCreateStatement, Index, IntoIden, Table,
    },
};

use sea_orm_migration::sea_orm;

use crate::columns::{text, text_null, timestamp, timestamp_null, uuid_pk};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Organisations {
    Table,
    Id,
    TenantId,
    Uscc,
    UsccOverrideReason,
    Name,
    NameKey,
    OrgType,
    SubKind,
    Address,
    LegalRepresentative,
    ServiceAreas,
    FoundedOn,
    RegisteredFundsFen,
    ContactPhone,
    ContactEmail,
    Purpose,
    Status,
    StatusReason,
    StatusDate,
    RegisteredAt,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum RegistrationApplications {
    Table,
    Id,
    TenantId,
    ApplicantUserId,
    Status,
    Name,
    NameKey,
    OrgType,
    SubKind,
    Address,
    LegalRepresentative,
    ServiceAreas,
    FoundedOn,
    RegisteredFundsFen,
    ContactPhone,
    ContactEmail,
    Purpose,
    FoundingMembers,
    Sponsor,
    CharterDocumentId,
    ReviewComments,
    DecisionReason,
    OrganisationId,
    SubmittedAt,
    DecidedAt,
    DecidedBy,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum OrganisationApplications {
    Table,
    Id,
    TenantId,
    OrganisationId,
    ApplicantUserId,
    Kind,
    Status,
    Changes,
    Reason,
    DecisionReason,
    SubmittedAt,
    DecidedAt,
    DecidedBy,
}

#[derive(DeriveIden)]
enum OrganisationEvents {
    Table,
    Id,
    OrganisationId,
    TenantId,
    Event,
    OccurredAt,
    EffectiveOn,
    Data,
    DisclosureId,
    ActorUserId,
}

#[derive(DeriveIden)]
enum Disclosures {
    Table,
    Id,
    TenantId,
    IndexNo,
    Category,
    Publisher,
    WrittenOn,
    PublishedAt,
    DocumentNumber,
    SubjectTerms,
    Title,
    Body,
    Attachments,
    SubjectType,
    SubjectId,
    SupersedesId,
    CreatedBy,
}

#[derive(DeriveIden)]
enum Counters {
    Table,
    Name,
    Value,
}

#[derive(DeriveIden)]
enum Complaints {
    Table,
    Id,
    TenantId,
    OrganisationId,
    Text,
    Contact,
    Attachments,
    Status,
    Resolution,
    ClientAddress,
    CreatedAt,
    HandledBy,
    ClosedAt,
}

fn uuid(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).uuid().not_null().take()
}

fn uuid_null(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).uuid().null().take()
}

fn tenant_fk(table: impl IntoIden, column: impl IntoIden) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, column)
        .to(Tenants::Table, Tenants::Id)
        .on_delete(ForeignKeyAction::Restrict)
        .take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Organisations::Table)
                    .col(uuid_pk(Organisations::Id))
                    .col(uuid(Organisations::TenantId))
                    .col(text(Organisations::Uscc).unique_key())
                    .col(text_null(Organisations::UsccOverrideReason))
                    .col(text(Organisations::Name))
                    .col(text(Organisations::NameKey))
                    .col(text(Organisations::OrgType))
                    .col(text_null(Organisations::SubKind))
                    .col(text(Organisations::Address))
                    .col(text(Organisations::LegalRepresentative))
                    .col(text(Organisations::ServiceAreas))
                    .col(ColumnDef::new(Organisations::FoundedOn).date().null())
                    .col(
                        ColumnDef::new(Organisations::RegisteredFundsFen)
                            .big_integer()
                            .not_null(),
                    )
                    .col(text_null(Organisations::ContactPhone))
                    .col(text_null(Organisations::ContactEmail))
                    .col(text_null(Organisations::Purpose))
                    .col(text(Organisations::Status))
                    .col(text_null(Organisations::StatusReason))
                    .col(ColumnDef::new(Organisations::StatusDate).date().null())
                    .col(timestamp_null(Organisations::RegisteredAt))
                    .col(timestamp(Organisations::CreatedAt))
                    .col(timestamp(Organisations::UpdatedAt))
                    .col(ColumnDef::new(Organisations::Version).integer().not_null())
                    .foreign_key(&mut tenant_fk(
                        Organisations::Table,
                        Organisations::TenantId,
                    ))
                    .take(),
            )
            .await?;
        for (name, columns) in [
            (
                "organisations_tenant_status",
                vec![Organisations::TenantId, Organisations::Status],
            ),
            (
                "organisations_tenant_name_key",
                vec![Organisations::TenantId, Organisations::NameKey],
            ),
        ] {
            let mut index = Index::create()
                .name(name)
                .table(Organisations::Table)
                .take();
            for column in columns {
                index.col(column);
            }
            manager.create_index(index).await?;
        }
        // Two live organisations of one tenant never share a name (also under concurrency).
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX organisations_live_name ON organisations (tenant_id, name_key)
                 WHERE status IN ('registered', 'abnormal')",
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RegistrationApplications::Table)
                    .col(uuid_pk(RegistrationApplications::Id))
                    .col(uuid(RegistrationApplications::TenantId))
                    .col(uuid(RegistrationApplications::ApplicantUserId))
                    .col(text(RegistrationApplications::Status))
                    .col(text(RegistrationApplications::Name))
                    .col(text(RegistrationApplications::NameKey))
                    .col(text_null(RegistrationApplications::OrgType))
                    .col(text_null(RegistrationApplications::SubKind))
                    .col(text_null(RegistrationApplications::Address))
                    .col(text_null(RegistrationApplications::LegalRepresentative))
                    .col(text(RegistrationApplications::ServiceAreas))
                    .col(
                        ColumnDef::new(RegistrationApplications::FoundedOn)
                            .date()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(RegistrationApplications::RegisteredFundsFen)
                            .big_integer()
                            .null(),
                    )
                    .col(text_null(RegistrationApplications::ContactPhone))
                    .col(text_null(RegistrationApplications::ContactEmail))
                    .col(text_null(RegistrationApplications::Purpose))
                    .col(text(RegistrationApplications::FoundingMembers))
                    .col(text_null(RegistrationApplications::Sponsor))
                    .col(uuid_null(RegistrationApplications::CharterDocumentId))
                    .col(text(RegistrationApplications::ReviewComments))
                    .col(text_null(RegistrationApplications::DecisionReason))
                    .col(uuid_null(RegistrationApplications::OrganisationId))
                    .col(timestamp_null(RegistrationApplications::SubmittedAt))
                    .col(timestamp_null(RegistrationApplications::DecidedAt))
                    .col(uuid_null(RegistrationApplications::DecidedBy))
                    .col(timestamp(RegistrationApplications::CreatedAt))
                    .col(timestamp(RegistrationApplications::UpdatedAt))
                    .col(
                        ColumnDef::new(RegistrationApplications::Version)
                            .integer()
                            .not_null(),
                    )
                    .foreign_key(&mut tenant_fk(
                        RegistrationApplications::Table,
                        RegistrationApplications::TenantId,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("registration_applications_tenant_status")
                    .table(RegistrationApplications::Table)
                    .col(RegistrationApplications::TenantId)
                    .col(RegistrationApplications::Status)
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("registration_applications_applicant")
                    .table(RegistrationApplications::Table)
                    .col(RegistrationApplications::ApplicantUserId)
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(OrganisationApplications::Table)
                    .col(uuid_pk(OrganisationApplications::Id))
                    .col(uuid(OrganisationApplications::TenantId))
                    .col(uuid(OrganisationApplications::OrganisationId))
                    .col(uuid(OrganisationApplications::ApplicantUserId))
                    .col(text(OrganisationApplications::Kind))
                    .col(text(OrganisationApplications::Status))
                    .col(text(OrganisationApplications::Changes))
                    .col(text_null(OrganisationApplications::Reason))
                    .col(text_null(OrganisationApplications::DecisionReason))
                    .col(timestamp(OrganisationApplications::SubmittedAt))
                    .col(timestamp_null(OrganisationApplications::DecidedAt))
                    .col(uuid_null(OrganisationApplications::DecidedBy))
                    .foreign_key(&mut tenant_fk(
                        OrganisationApplications::Table,
                        OrganisationApplications::TenantId,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                OrganisationApplications::Table,
                                OrganisationApplications::OrganisationId,
                            )
                            .to(Organisations::Table, Organisations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("organisation_applications_organisation")
                    .table(OrganisationApplications::Table)
                    .col(OrganisationApplications::OrganisationId)
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(OrganisationEvents::Table)
                    .col(uuid_pk(OrganisationEvents::Id))
                    .col(uuid(OrganisationEvents::OrganisationId))
                    .col(uuid(OrganisationEvents::TenantId))
                    .col(text(OrganisationEvents::Event))
                    .col(timestamp(OrganisationEvents::OccurredAt))
                    .col(
                        ColumnDef::new(OrganisationEvents::EffectiveOn)
                            .date()
                            .not_null(),
                    )
                    .col(text(OrganisationEvents::Data))
                    .col(uuid_null(OrganisationEvents::DisclosureId))
                    .col(uuid_null(OrganisationEvents::ActorUserId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                OrganisationEvents::Table,
                                OrganisationEvents::OrganisationId,
                            )
                            .to(Organisations::Table, Organisations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("organisation_events_organisation")
                    .table(OrganisationEvents::Table)
                    .col(OrganisationEvents::OrganisationId)
                    .col(OrganisationEvents::OccurredAt)
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Disclosures::Table)
                    .col(uuid_pk(Disclosures::Id))
                    .col(uuid(Disclosures::TenantId))
                    .col(text(Disclosures::IndexNo).unique_key())
                    .col(text(Disclosures::Category))
                    .col(text(Disclosures::Publisher))
                    .col(ColumnDef::new(Disclosures::WrittenOn).date().not_null())
                    .col(timestamp(Disclosures::PublishedAt))
                    .col(text_null(Disclosures::DocumentNumber))
                    .col(text(Disclosures::SubjectTerms))
                    .col(text(Disclosures::Title))
                    .col(text(Disclosures::Body))
                    .col(text(Disclosures::Attachments))
                    .col(text_null(Disclosures::SubjectType))
                    .col(text_null(Disclosures::SubjectId))
                    .col(uuid_null(Disclosures::SupersedesId))
                    .col(uuid_null(Disclosures::CreatedBy))
                    .foreign_key(&mut tenant_fk(Disclosures::Table, Disclosures::TenantId))
                    .take(),
            )
            .await?;
        for (name, columns) in [
            (
                "disclosures_tenant_published",
                vec![Disclosures::TenantId, Disclosures::PublishedAt],
            ),
            (
                "disclosures_subject",
                vec![Disclosures::SubjectType, Disclosures::SubjectId],
            ),
            (
                "disclosures_category",
                vec![Disclosures::Category, Disclosures::PublishedAt],
            ),
        ] {
            let mut index = Index::create().name(name).table(Disclosures::Table).take();
            for column in columns {
                index.col(column);
            }
            manager.create_index(index).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(Counters::Table)
                    .col(
                        ColumnDef::new(Counters::Name)
                            .text()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Counters::Value).big_integer().not_null())
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Complaints::Table)
                    .col(uuid_pk(Complaints::Id))
                    .col(uuid(Complaints::TenantId))
                    .col(uuid(Complaints::OrganisationId))
                    .col(text(Complaints::Text))
                    .col(text_null(Complaints::Contact))
                    .col(text(Complaints::Attachments))
                    .col(text(Complaints::Status))
                    .col(text_null(Complaints::Resolution))
                    .col(text_null(Complaints::ClientAddress))
                    .col(timestamp(Complaints::CreatedAt))
                    .col(uuid_null(Complaints::HandledBy))
                    .col(timestamp_null(Complaints::ClosedAt))
                    .foreign_key(&mut tenant_fk(Complaints::Table, Complaints::TenantId))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("complaints_tenant_status")
                    .table(Complaints::Table)
                    .col(Complaints::TenantId)
                    .col(Complaints::Status)
                    .take(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Complaints::Table.into_iden(),
            Counters::Table.into_iden(),
            Disclosures::Table.into_iden(),
            OrganisationEvents::Table.into_iden(),
            OrganisationApplications::Table.into_iden(),
            RegistrationApplications::Table.into_iden(),
            Organisations::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).take())
                .await?;
        }
        Ok(())
    }
}

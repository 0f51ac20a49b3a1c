//! The registry's yearly rhythm: per-tenant registry settings (the annual report deadline),
//! annual reports, flags for the serious-violation list, and the incubation base with its
//! progress reports.

use sea_orm_migration::{
    DbErr, MigrationTrait, SchemaManager, async_trait,
    sea_orm::{ConnectionTrait, DeriveIden, DeriveMigrationName},
    sea_query::{ForeignKey, ForeignKeyAction, ForeignKeyCreateStatement, Index, IntoIden, Table},
};

use sea_orm_migration::sea_orm;

use crate::columns::{
    big_integer, date_null, integer, text, text_null, timestamp, timestamp_null, uuid_col,
    uuid_null, uuid_pk,
};

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
}

#[derive(DeriveIden)]
enum RegistrySettings {
    Table,
    TenantId,
    /// `MM-DD`: reports for year Y are due by that day of year Y + 1.
    AnnualReportDeadline,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AnnualReports {
    Table,
    Id,
    TenantId,
    OrganisationId,
    Year,
    IncomeFen,
    ExpenditureFen,
    NetAssetsFen,
    Activities,
    StaffCount,
    VolunteerCount,
    DocumentId,
    FiledAt,
    FiledBy,
    DisclosureId,
}

#[derive(DeriveIden)]
enum SeriousViolationFlags {
    Table,
    Id,
    TenantId,
    OrganisationId,
    FlaggedAt,
    /// `pending`, `listed`, `dismissed`.
    Decision,
    Reason,
    DecidedAt,
    DecidedBy,
    DisclosureId,
}

#[derive(DeriveIden)]
enum IncubationGroups {
    Table,
    Id,
    TenantId,
    Name,
    ServiceAreas,
    Description,
    ContactName,
    ContactEmail,
    ContactPhone,
    ApplicantUserId,
    Status,
    Mentor,
    StartedOn,
    PlannedEndOn,
    EndedOn,
    OutcomeReason,
    RegistrationId,
    DisclosureId,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum IncubationReports {
    Table,
    Id,
    TenantId,
    GroupId,
    ReportedAt,
    AuthorUserId,
    Body,
}

fn tenant_fk(table: impl IntoIden, column: impl IntoIden) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, column)
        .to(Tenants::Table, Tenants::Id)
        .on_delete(ForeignKeyAction::Restrict)
        .take()
}

fn organisation_fk(table: impl IntoIden, column: impl IntoIden) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, column)
        .to(Organisations::Table, Organisations::Id)
        .on_delete(ForeignKeyAction::Restrict)
        .take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RegistrySettings::Table)
                    .col(uuid_pk(RegistrySettings::TenantId))
                    .col(text_null(RegistrySettings::AnnualReportDeadline))
                    .col(timestamp(RegistrySettings::UpdatedAt))
                    .foreign_key(&mut tenant_fk(
                        RegistrySettings::Table,
                        RegistrySettings::TenantId,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AnnualReports::Table)
                    .col(uuid_pk(AnnualReports::Id))
                    .col(uuid_col(AnnualReports::TenantId))
                    .col(uuid_col(AnnualReports::OrganisationId))
                    .col(integer(AnnualReports::Year))
                    .col(big_integer(AnnualReports::IncomeFen))
                    .col(big_integer(AnnualReports::ExpenditureFen))
                    .col(big_integer(AnnualReports::NetAssetsFen))
                    .col(text(AnnualReports::Activities))
                    .col(integer(AnnualReports::StaffCount))
                    .col(integer(AnnualReports::VolunteerCount))
                    .col(uuid_null(AnnualReports::DocumentId))
                    .col(timestamp(AnnualReports::FiledAt))
                    .col(uuid_null(AnnualReports::FiledBy))
                    .col(uuid_null(AnnualReports::DisclosureId))
                    .foreign_key(&mut tenant_fk(
                        AnnualReports::Table,
                        AnnualReports::TenantId,
                    ))
                    .foreign_key(&mut organisation_fk(
                        AnnualReports::Table,
                        AnnualReports::OrganisationId,
                    ))
                    .take(),
            )
            .await?;
        // One report per organisation and year, also under concurrency.
        manager
            .create_index(
                Index::create()
                    .name("annual_reports_organisation_year")
                    .table(AnnualReports::Table)
                    .col(AnnualReports::OrganisationId)
                    .col(AnnualReports::Year)
                    .unique()
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SeriousViolationFlags::Table)
                    .col(uuid_pk(SeriousViolationFlags::Id))
                    .col(uuid_col(SeriousViolationFlags::TenantId))
                    .col(uuid_col(SeriousViolationFlags::OrganisationId))
                    .col(timestamp(SeriousViolationFlags::FlaggedAt))
                    .col(text(SeriousViolationFlags::Decision))
                    .col(text_null(SeriousViolationFlags::Reason))
                    .col(timestamp_null(SeriousViolationFlags::DecidedAt))
                    .col(uuid_null(SeriousViolationFlags::DecidedBy))
                    .col(uuid_null(SeriousViolationFlags::DisclosureId))
                    .foreign_key(&mut tenant_fk(
                        SeriousViolationFlags::Table,
                        SeriousViolationFlags::TenantId,
                    ))
                    .foreign_key(&mut organisation_fk(
                        SeriousViolationFlags::Table,
                        SeriousViolationFlags::OrganisationId,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("serious_violation_flags_organisation")
                    .table(SeriousViolationFlags::Table)
                    .col(SeriousViolationFlags::OrganisationId)
                    .take(),
            )
            .await?;
        // One pending flag per organisation, however many nodes sweep at once.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX serious_violation_flags_one_pending \
                 ON serious_violation_flags (organisation_id) WHERE decision = 'pending'",
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(IncubationGroups::Table)
                    .col(uuid_pk(IncubationGroups::Id))
                    .col(uuid_col(IncubationGroups::TenantId))
                    .col(text(IncubationGroups::Name))
                    .col(text(IncubationGroups::ServiceAreas))
                    .col(text(IncubationGroups::Description))
                    .col(text(IncubationGroups::ContactName))
                    .col(text(IncubationGroups::ContactEmail))
                    .col(text_null(IncubationGroups::ContactPhone))
                    .col(uuid_col(IncubationGroups::ApplicantUserId))
                    .col(text(IncubationGroups::Status))
                    .col(text_null(IncubationGroups::Mentor))
                    .col(date_null(IncubationGroups::StartedOn))
                    .col(date_null(IncubationGroups::PlannedEndOn))
                    .col(date_null(IncubationGroups::EndedOn))
                    .col(text_null(IncubationGroups::OutcomeReason))
                    .col(uuid_null(IncubationGroups::RegistrationId))
                    .col(uuid_null(IncubationGroups::DisclosureId))
                    .col(timestamp(IncubationGroups::CreatedAt))
                    .col(timestamp(IncubationGroups::UpdatedAt))
                    .col(integer(IncubationGroups::Version))
                    .foreign_key(&mut tenant_fk(
                        IncubationGroups::Table,
                        IncubationGroups::TenantId,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("incubation_groups_tenant_status")
                    .table(IncubationGroups::Table)
                    .col(IncubationGroups::TenantId)
                    .col(IncubationGroups::Status)
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(IncubationReports::Table)
                    .col(uuid_pk(IncubationReports::Id))
                    .col(uuid_col(IncubationReports::TenantId))
                    .col(uuid_col(IncubationReports::GroupId))
                    .col(timestamp(IncubationReports::ReportedAt))
                    .col(uuid_null(IncubationReports::AuthorUserId))
                    .col(text(IncubationReports::Body))
                    .foreign_key(&mut tenant_fk(
                        IncubationReports::Table,
                        IncubationReports::TenantId,
                    ))
                    .foreign_key(
                        &mut ForeignKey::create()
                            .from(IncubationReports::Table, IncubationReports::GroupId)
                            .to(IncubationGroups::Table, IncubationGroups::Id)
                            .on_delete(ForeignKeyAction::Cascade)
                            .take(),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("incubation_reports_group")
                    .table(IncubationReports::Table)
                    .col(IncubationReports::GroupId)
                    .take(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            IncubationReports::Table.into_iden(),
            IncubationGroups::Table.into_iden(),
            SeriousViolationFlags::Table.into_iden(),
            AnnualReports::Table.into_iden(),
            RegistrySettings::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).take())
                .await?;
        }
        Ok(())
    }
}

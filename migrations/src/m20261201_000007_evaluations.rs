//! Evaluations (评估): rubric versions per tenant and organisation type, campaigns, organisations'
//! applications with their material, the assessors' panels and scores, objections during
//! publicity, and the grades organisations hold.

use sea_orm_migration::{
    DbErr, MigrationTrait, SchemaManager, async_trait,
    sea_orm::{ConnectionTrait, DeriveMigrationName},
    sea_query::{ForeignKey, ForeignKeyAction, ForeignKeyCreateStatement, Index, IntoIden, Table},
};

use sea_orm_migration::sea_orm::{self, DeriveIden};

use crate::columns::{
    big_integer, big_integer_null, date, integer, text, text_null, timestamp, timestamp_null,
    uuid_col, uuid_null, uuid_pk,
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
enum Documents {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Rubrics {
    Table,
    Id,
    TenantId,
    OrgType,
    Version,
    Content,
    CreatedAt,
    CreatedBy,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum EvaluationCampaigns {
    Table,
    Id,
    TenantId,
    Year,
    Title,
    RubricId,
    OrgType,
    ApplicationsOpenOn,
    ApplicationsCloseOn,
    PublicityDays,
    AllowReevaluation,
    CreatedAt,
    CreatedBy,
}

#[derive(DeriveIden)]
enum EvaluationApplications {
    Table,
    Id,
    TenantId,
    CampaignId,
    OrganisationId,
    Status,
    SelfAssessment,
    Decisions,
    SubmittedAt,
    Total,
    Grade,
    PublishedAt,
    PublicityEndsAt,
    PreliminaryDisclosureId,
    ReviewRequestedAt,
    ReviewReason,
    ReviewOutcome,
    ReviewedAt,
    FinalisedAt,
    FinalDisclosureId,
    CreatedAt,
    UpdatedAt,
    Version,
}

#[derive(DeriveIden)]
enum EvaluationMaterials {
    Table,
    Id,
    TenantId,
    ApplicationId,
    LeafCode,
    DocumentId,
    AddedAt,
}

#[derive(DeriveIden)]
enum EvaluationAssignments {
    Table,
    Id,
    TenantId,
    ApplicationId,
    AssessorUserId,
    AssignedAt,
    AssignedBy,
    DeclaredAt,
    Declaration,
    Scores,
    SubmittedAt,
}

#[derive(DeriveIden)]
enum EvaluationObjections {
    Table,
    Id,
    TenantId,
    ApplicationId,
    Name,
    Contact,
    Body,
    FiledAt,
}

#[derive(DeriveIden)]
enum OrganisationGrades {
    Table,
    Id,
    TenantId,
    OrganisationId,
    ApplicationId,
    Grade,
    Total,
    AwardedOn,
    ValidUntil,
    Status,
    Reason,
    ChangedAt,
    DisclosureId,
    CreatedAt,
}

fn tenant_fk(table: impl IntoIden, column: impl IntoIden) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, column)
        .to(Tenants::Table, Tenants::Id)
        .on_delete(ForeignKeyAction::Restrict)
        .take()
}

fn reference(
    table: impl IntoIden,
    column: impl IntoIden,
    to: impl IntoIden,
    to_column: impl IntoIden,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, column)
        .to(to, to_column)
        .on_delete(ForeignKeyAction::Restrict)
        .take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Rubrics::Table)
                    .col(uuid_pk(Rubrics::Id))
                    .col(uuid_col(Rubrics::TenantId))
                    .col(text(Rubrics::OrgType))
                    .col(integer(Rubrics::Version))
                    .col(text(Rubrics::Content))
                    .col(timestamp(Rubrics::CreatedAt))
                    .col(uuid_null(Rubrics::CreatedBy))
                    .col(timestamp(Rubrics::UpdatedAt))
                    .foreign_key(&mut tenant_fk(Rubrics::Table, Rubrics::TenantId))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EvaluationCampaigns::Table)
                    .col(uuid_pk(EvaluationCampaigns::Id))
                    .col(uuid_col(EvaluationCampaigns::TenantId))
                    .col(integer(EvaluationCampaigns::Year))
                    .col(text(EvaluationCampaigns::Title))
                    .col(uuid_col(EvaluationCampaigns::RubricId))
                    .col(text(EvaluationCampaigns::OrgType))
                    .col(date(EvaluationCampaigns::ApplicationsOpenOn))
                    .col(date(EvaluationCampaigns::ApplicationsCloseOn))
                    .col(integer(EvaluationCampaigns::PublicityDays))
                    .col(integer(EvaluationCampaigns::AllowReevaluation))
                    .col(timestamp(EvaluationCampaigns::CreatedAt))
                    .col(uuid_null(EvaluationCampaigns::CreatedBy))
                    .foreign_key(&mut tenant_fk(
                        EvaluationCampaigns::Table,
                        EvaluationCampaigns::TenantId,
                    ))
                    .foreign_key(&mut reference(
                        EvaluationCampaigns::Table,
                        EvaluationCampaigns::RubricId,
                        Rubrics::Table,
                        Rubrics::Id,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EvaluationApplications::Table)
                    .col(uuid_pk(EvaluationApplications::Id))
                    .col(uuid_col(EvaluationApplications::TenantId))
                    .col(uuid_col(EvaluationApplications::CampaignId))
                    .col(uuid_col(EvaluationApplications::OrganisationId))
                    .col(text(EvaluationApplications::Status))
                    .col(text(EvaluationApplications::SelfAssessment))
                    .col(text(EvaluationApplications::Decisions))
                    .col(timestamp_null(EvaluationApplications::SubmittedAt))
                    .col(big_integer_null(EvaluationApplications::Total))
                    .col(text_null(EvaluationApplications::Grade))
                    .col(timestamp_null(EvaluationApplications::PublishedAt))
                    .col(timestamp_null(EvaluationApplications::PublicityEndsAt))
                    .col(uuid_null(EvaluationApplications::PreliminaryDisclosureId))
                    .col(timestamp_null(EvaluationApplications::ReviewRequestedAt))
                    .col(text_null(EvaluationApplications::ReviewReason))
                    .col(text_null(EvaluationApplications::ReviewOutcome))
                    .col(timestamp_null(EvaluationApplications::ReviewedAt))
                    .col(timestamp_null(EvaluationApplications::FinalisedAt))
                    .col(uuid_null(EvaluationApplications::FinalDisclosureId))
                    .col(timestamp(EvaluationApplications::CreatedAt))
                    .col(timestamp(EvaluationApplications::UpdatedAt))
                    .col(integer(EvaluationApplications::Version))
                    .foreign_key(&mut tenant_fk(
                        EvaluationApplications::Table,
                        EvaluationApplications::TenantId,
                    ))
                    .foreign_key(&mut reference(
                        EvaluationApplications::Table,
                        EvaluationApplications::CampaignId,
                        EvaluationCampaigns::Table,
                        EvaluationCampaigns::Id,
                    ))
                    .foreign_key(&mut reference(
                        EvaluationApplications::Table,
                        EvaluationApplications::OrganisationId,
                        Organisations::Table,
                        Organisations::Id,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EvaluationMaterials::Table)
                    .col(uuid_pk(EvaluationMaterials::Id))
                    .col(uuid_col(EvaluationMaterials::TenantId))
                    .col(uuid_col(EvaluationMaterials::ApplicationId))
                    .col(text(EvaluationMaterials::LeafCode))
                    .col(uuid_col(EvaluationMaterials::DocumentId))
                    .col(timestamp(EvaluationMaterials::AddedAt))
                    .foreign_key(&mut tenant_fk(
                        EvaluationMaterials::Table,
                        EvaluationMaterials::TenantId,
                    ))
                    .foreign_key(&mut reference(
                        EvaluationMaterials::Table,
                        EvaluationMaterials::ApplicationId,
                        EvaluationApplications::Table,
                        EvaluationApplications::Id,
                    ))
                    .foreign_key(&mut reference(
                        EvaluationMaterials::Table,
                        EvaluationMaterials::DocumentId,
                        Documents::Table,
                        Documents::Id,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EvaluationAssignments::Table)
                    .col(uuid_pk(EvaluationAssignments::Id))
                    .col(uuid_col(EvaluationAssignments::TenantId))
                    .col(uuid_col(EvaluationAssignments::ApplicationId))
                    .col(uuid_col(EvaluationAssignments::AssessorUserId))
                    .col(timestamp(EvaluationAssignments::AssignedAt))
                    .col(uuid_null(EvaluationAssignments::AssignedBy))
                    .col(timestamp_null(EvaluationAssignments::DeclaredAt))
                    .col(text_null(EvaluationAssignments::Declaration))
                    .col(text(EvaluationAssignments::Scores))
                    .col(timestamp_null(EvaluationAssignments::SubmittedAt))
                    .foreign_key(&mut tenant_fk(
                        EvaluationAssignments::Table,
                        EvaluationAssignments::TenantId,
                    ))
                    .foreign_key(&mut reference(
                        EvaluationAssignments::Table,
                        EvaluationAssignments::ApplicationId,
                        EvaluationApplications::Table,
                        EvaluationApplications::Id,
                    ))
                    .foreign_key(&mut reference(
                        EvaluationAssignments::Table,
                        EvaluationAssignments::AssessorUserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EvaluationObjections::Table)
                    .col(uuid_pk(EvaluationObjections::Id))
                    .col(uuid_col(EvaluationObjections::TenantId))
                    .col(uuid_col(EvaluationObjections::ApplicationId))
                    .col(text(EvaluationObjections::Name))
                    .col(text(EvaluationObjections::Contact))
                    .col(text(EvaluationObjections::Body))
                    .col(timestamp(EvaluationObjections::FiledAt))
                    .foreign_key(&mut tenant_fk(
                        EvaluationObjections::Table,
                        EvaluationObjections::TenantId,
                    ))
                    .foreign_key(&mut reference(
                        EvaluationObjections::Table,
                        EvaluationObjections::ApplicationId,
                        EvaluationApplications::Table,
                        EvaluationApplications::Id,
                    ))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OrganisationGrades::Table)
                    .col(uuid_pk(OrganisationGrades::Id))
                    .col(uuid_col(OrganisationGrades::TenantId))
                    .col(uuid_col(OrganisationGrades::OrganisationId))
                    .col(uuid_null(OrganisationGrades::ApplicationId))
                    .col(text(OrganisationGrades::Grade))
                    .col(big_integer(OrganisationGrades::Total))
                    .col(date(OrganisationGrades::AwardedOn))
                    .col(date(OrganisationGrades::ValidUntil))
                    .col(text(OrganisationGrades::Status))
                    .col(text_null(OrganisationGrades::Reason))
                    .col(timestamp_null(OrganisationGrades::ChangedAt))
                    .col(uuid_null(OrganisationGrades::DisclosureId))
                    .col(timestamp(OrganisationGrades::CreatedAt))
                    .foreign_key(&mut tenant_fk(
                        OrganisationGrades::Table,
                        OrganisationGrades::TenantId,
                    ))
                    .foreign_key(&mut reference(
                        OrganisationGrades::Table,
                        OrganisationGrades::OrganisationId,
                        Organisations::Table,
                        Organisations::Id,
                    ))
                    .take(),
            )
            .await?;
        for (name, table, columns, is_unique) in [
            (
                "rubrics_tenant_type_version",
                Rubrics::Table.into_iden(),
                vec![
                    Rubrics::TenantId.into_iden(),
                    Rubrics::OrgType.into_iden(),
                    Rubrics::Version.into_iden(),
                ],
                true,
            ),
            (
                "evaluation_applications_campaign_organisation",
                EvaluationApplications::Table.into_iden(),
                vec![
                    EvaluationApplications::CampaignId.into_iden(),
                    EvaluationApplications::OrganisationId.into_iden(),
                ],
                true,
            ),
            (
                "evaluation_assignments_application_assessor",
                EvaluationAssignments::Table.into_iden(),
                vec![
                    EvaluationAssignments::ApplicationId.into_iden(),
                    EvaluationAssignments::AssessorUserId.into_iden(),
                ],
                true,
            ),
            (
                "evaluation_assignments_assessor",
                EvaluationAssignments::Table.into_iden(),
                vec![EvaluationAssignments::AssessorUserId.into_iden()],
                false,
            ),
            (
                "evaluation_materials_application",
                EvaluationMaterials::Table.into_iden(),
                vec![EvaluationMaterials::ApplicationId.into_iden()],
                false,
            ),
            (
                "evaluation_objections_application",
                EvaluationObjections::Table.into_iden(),
                vec![EvaluationObjections::ApplicationId.into_iden()],
                false,
            ),
            (
                "organisation_grades_organisation",
                OrganisationGrades::Table.into_iden(),
                vec![OrganisationGrades::OrganisationId.into_iden()],
                false,
            ),
        ] {
            let mut index = Index::create().name(name).table(table).take();
            for column in columns {
                index.col(column);
            }
            if is_unique {
                index.unique();
            }
            manager.create_index(index).await?;
        }
        // One current grade per organisation, also when two results become final at once.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX organisation_grades_one_current \
                 ON organisation_grades (organisation_id) WHERE status = 'current'",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            OrganisationGrades::Table.into_iden(),
            EvaluationObjections::Table.into_iden(),
            EvaluationAssignments::Table.into_iden(),
            EvaluationMaterials::Table.into_iden(),
            EvaluationApplications::Table.into_iden(),
            EvaluationCampaigns::Table.into_iden(),
            Rubrics::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).take())
                .await?;
        }
        Ok(())
    }
}

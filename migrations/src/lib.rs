//! Schema migrations. Every migration runs on SQLite and on PostgreSQL; a migration that has been
//! released is never edited, a change is a new migration.

// `MigrationTrait` is declared through async-trait with elided lifetimes that cannot be spelled out.
#![allow(elided_lifetimes_in_paths)]

pub use sea_orm_migration::{MigrationTrait, MigratorTrait, async_trait};

mod columns;
mod m20261129_000001_platform_core;
mod m20261129_000002_jobs_mail_documents;
mod m20261129_000003_registry;
mod m20261129_000004_unique_corrections;
mod m20261129_000005_search_changes;
mod m20261129_000006_registry_operations;
mod m20261201_000007_evaluations;
mod m20261203_000008_keyed_audit;
mod m20261206_000009_tenant_invitations;
mod postgres_app_role;

pub use postgres_app_role::APP_ROLE;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261129_000001_platform_core::Migration),
            Box::new(m20261129_000002_jobs_mail_documents::Migration),
            Box::new(m20261129_000003_registry::Migration),
            Box::new(m20261129_000004_unique_corrections::Migration),
            Box::new(m20261129_000005_search_changes::Migration),
            Box::new(m20261129_000006_registry_operations::Migration),
            Box::new(m20261201_000007_evaluations::Migration),
            Box::new(m20261203_000008_keyed_audit::Migration),
            Box::new(m20261206_000009_tenant_invitations::Migration),
        ]
    }
}

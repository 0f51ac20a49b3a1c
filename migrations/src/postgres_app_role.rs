//! The PostgreSQL role the application runs as. Migrations run as the owner of the tables; the
//! server switches to this role for every connection, so it holds only the privileges granted here
//! (and, once policies exist, is subject to row-level security, which table owners bypass).

use sea_orm_migration::{DbErr, SchemaManager, sea_orm::ConnectionTrait};

/// Name of the non-owner role the server uses on PostgreSQL.
pub const APP_ROLE: &str = "socorg_app";

/// Creates the role when it does not exist yet and lets the migrating user switch to it.
/// Tables created later by the same owner are granted to the role by default privileges.
pub(crate) async fn create(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let connection = manager.get_connection();
    connection
        .execute_unprepared(&format!(
            "DO $$ BEGIN
                CREATE ROLE {APP_ROLE} NOLOGIN;
             EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
             END $$;"
        ))
        .await?;
    connection
        .execute_unprepared(&format!(
            "DO $$ BEGIN
                EXECUTE format('GRANT {APP_ROLE} TO %I', current_user);
             EXCEPTION WHEN duplicate_object OR invalid_grant_operation THEN NULL;
             END $$;"
        ))
        .await?;
    connection
        .execute_unprepared(&format!(
            "GRANT USAGE ON SCHEMA public TO {APP_ROLE};
             ALTER DEFAULT PRIVILEGES IN SCHEMA public
                 GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {APP_ROLE};
             ALTER DEFAULT PRIVILEGES IN SCHEMA public
                 GRANT USAGE, SELECT ON SEQUENCES TO {APP_ROLE};"
        ))
        .await?;
    Ok(())
}

/// Grants the usual privileges on tables that already exist (default privileges cover the rest).
pub(crate) async fn grant_existing(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .get_connection()
        .execute_unprepared(&format!(
            "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {APP_ROLE};
             GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE};"
        ))
        .await?;
    Ok(())
}

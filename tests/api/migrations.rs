//! Migrations from empty on both databases, and the PostgreSQL second wall: the application runs
//! as a role that owns nothing, with the tenant scope recorded per transaction.

use migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use socorg::db::{self, Scope};
use uuid::Uuid;

use crate::helpers::{Backend, TestApp};

crate::on_both_databases!(migrations_apply_from_empty_and_are_idempotent);

async fn migrations_apply_from_empty_and_are_idempotent(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let owner = app.owner_connection().await;
    assert!(
        Migrator::get_pending_migrations(&owner)
            .await
            .unwrap()
            .is_empty()
    );
    let applied = Migrator::get_applied_migrations(&owner).await.unwrap();
    assert_eq!(applied.len(), Migrator::migrations().len());
    db::migrate(&app.database_url)
        .await
        .expect("running again is harmless");
    for table in [
        "tenants",
        "users",
        "grants",
        "sessions",
        "login_throttle",
        "audit_events",
        "audit_chain_head",
    ] {
        let count = owner
            .query_one_raw(Statement::from_string(
                owner.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await;
        assert!(count.is_ok(), "{table} exists");
    }
}

#[tokio::test]
async fn postgres_application_role_owns_nothing_and_carries_the_scope() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let connection = &app.state.db;
    let row = connection
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT current_user::text AS role",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        row.try_get::<String>("", "role").unwrap(),
        migrations::APP_ROLE
    );

    let tenant = Uuid::now_v7();
    let transaction = db::begin(connection, Scope::Tenant(tenant)).await.unwrap();
    let row = transaction
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT current_setting('socorg.scope', true) AS scope",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        row.try_get::<String>("", "scope").unwrap(),
        format!("tenant:{tenant}")
    );
    transaction.rollback().await.unwrap();

    // The audit log is append-only for the application role.
    let admin = app.platform_admin("root@example.org").await;
    app.create_tenant(&admin, "futian", "440304", None).await;
    for forbidden in [
        "UPDATE audit_events SET data = '{}'",
        "DELETE FROM audit_events",
        "TRUNCATE audit_events",
        "DROP TABLE tenants",
    ] {
        let error = connection
            .execute_unprepared(forbidden)
            .await
            .expect_err(forbidden);
        assert!(
            error.to_string().contains("permission denied")
                || error.to_string().contains("must be owner"),
            "{forbidden}: {error}"
        );
    }
}

//! Database connections and transactions.
//!
//! SQLite runs in WAL mode with `synchronous=FULL` and a busy timeout. On PostgreSQL migrations run
//! as the connecting (owner) user, while the application's pool switches every connection to the
//! non-owner role [`migrations::APP_ROLE`]; each transaction records its tenant scope in the
//! `socorg.scope` setting, the hook row-level security policies read.

use std::{str::FromStr, time::Duration};

use migrations::{APP_ROLE, Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, SqlErr, SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
    sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous},
};
use uuid::Uuid;

use crate::config::redacted_url;

/// Which tenant's data a transaction works on, recorded for row-level security.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Work that is not tied to a tenant, or that spans tenants (platform administration).
    Platform,
    Tenant(Uuid),
}

impl Scope {
    fn setting(self) -> String {
        match self {
            Scope::Platform => "platform".to_owned(),
            Scope::Tenant(id) => format!("tenant:{id}"),
        }
    }
}

fn options(url: &str, app_role: bool) -> ConnectOptions {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(if url.starts_with("sqlite") { 8 } else { 16 })
        .min_connections(0)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|options: SqliteConnectOptions| {
            options
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                .create_if_missing(true)
        });
    if app_role {
        options.map_sqlx_postgres_opts(|options| options.options([("role", APP_ROLE)]));
    }
    options
}

/// Connects as the configured user (table owner on PostgreSQL), for migrations and maintenance.
pub async fn connect_owner(url: &str) -> Result<DatabaseConnection, DbErr> {
    tracing::debug!(url = %redacted_url(url), "connecting to the database");
    Database::connect(options(url, false)).await
}

/// Connects as the application: on PostgreSQL every connection runs as the non-owner role.
pub async fn connect_app(url: &str) -> Result<DatabaseConnection, DbErr> {
    Database::connect(options(url, url.starts_with("postgres"))).await
}

/// Applies every pending migration.
pub async fn migrate(url: &str) -> Result<(), DbErr> {
    let owner = connect_owner(url).await?;
    Migrator::up(&owner, None).await?;
    owner.close().await
}

/// Begins a write transaction and records its scope (PostgreSQL: `socorg.scope`, local to it).
///
/// On SQLite the transaction is `IMMEDIATE`: it takes the write lock at once (waiting up to the
/// busy timeout), instead of failing with "database is locked" when a transaction that has read
/// tries to start writing while another connection writes.
pub async fn begin(
    connection: &DatabaseConnection,
    scope: Scope,
) -> Result<DatabaseTransaction, DbErr> {
    let transaction = connection
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..TransactionOptions::default()
        })
        .await?;
    if connection.get_database_backend() == DbBackend::Postgres {
        transaction
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT set_config('socorg.scope', $1, true)",
                [scope.setting().into()],
            ))
            .await?;
    }
    Ok(transaction)
}

/// Whether an error is a violation of a unique constraint (either database).
pub fn is_unique_violation(error: &DbErr) -> bool {
    matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// The file behind a SQLite URL.
pub fn sqlite_file_of(url: &str) -> Option<std::path::PathBuf> {
    let options = SqliteConnectOptions::from_str(url).ok()?;
    let path = options.get_filename();
    Some(path.to_path_buf())
}

/// A raw statement written with PostgreSQL placeholders (`$1`, `$2`, …), rewritten to SQLite's
/// numbered form (`?1`, `?2`, …) when needed. For the few statements sea-query cannot express.
pub fn raw_statement(
    backend: DbBackend,
    sql: &str,
    values: impl IntoIterator<Item = sea_orm::Value>,
) -> Statement {
    let sql = match backend {
        DbBackend::Sqlite => sql.replace('$', "?"),
        _ => sql.to_owned(),
    };
    Statement::from_sql_and_values(backend, sql, values)
}

/// Whether a connection or transaction talks to PostgreSQL.
pub fn is_postgres(db: &impl ConnectionTrait) -> bool {
    db.get_database_backend() == DbBackend::Postgres
}

/// Locks the row `id` of `table` until the transaction ends (PostgreSQL; SQLite's write
/// transactions already exclude each other). `table` is one of the service's own names.
pub async fn lock_row(db: &impl ConnectionTrait, table: &str, id: uuid::Uuid) -> Result<(), DbErr> {
    if is_postgres(db) {
        db.execute_raw(raw_statement(
            db.get_database_backend(),
            &format!("SELECT id FROM {table} WHERE id = $1 FOR UPDATE"),
            [id.into()],
        ))
        .await?;
    }
    Ok(())
}

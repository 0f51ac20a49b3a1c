//! Test harness: each test starts the real server on a random port against a database of its own
//! (a temporary SQLite file, or a fresh PostgreSQL database created from
//! `SOCORG_TEST_DATABASE_URL`), with a manual clock, and talks HTTP to it.

use std::{path::PathBuf, sync::Arc};

use chrono::{TimeZone, Utc};
use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde_json::{Value, json};
use socorg::{
    auth::password::NewPassword,
    clock::{Clock, ManualClock},
    config::{Config, PasswordCost, Secret, sqlite_url},
    db,
    startup::App,
    state::AppState,
    types::Email,
    users,
};
use tempfile::TempDir;
use tokio::sync::oneshot;

/// Which database a test runs against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub const PASSWORD: &str = "correct horse battery";

fn postgres_admin_url() -> String {
    std::env::var("SOCORG_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// `postgres://user@host:port/db?x` with the database replaced.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(base, query)| (base, Some(query)));
    let scheme_end = base.find("://").map_or(0, |index| index + 3);
    let path_start = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |index| scheme_end + index);
    let mut result = format!("{}/{database}", &base[..path_start]);
    if let Some(query) = query {
        result.push('?');
        result.push_str(query);
    }
    result
}

struct PostgresDatabase {
    admin_url: String,
    name: String,
}

impl Drop for PostgresDatabase {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime for cleanup");
            runtime.block_on(async move {
                if let Ok(admin) = db::connect_owner(&admin_url).await {
                    let _ = admin
                        .execute_unprepared(&format!(
                            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                        ))
                        .await;
                    let _ = admin.close().await;
                }
            });
        })
        .join();
    }
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub clock: Arc<ManualClock>,
    pub state: AppState,
    pub database_url: String,
    pub data_dir: PathBuf,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
    _postgres: Option<PostgresDatabase>,
    _dir: Option<TempDir>,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, |_| {}).await
    }

    pub async fn spawn_with(backend: Backend, adjust: impl FnOnce(&mut Config)) -> TestApp {
        let dir = tempfile::tempdir().expect("temporary folder");
        let (database_url, postgres) = match backend {
            Backend::Sqlite => (sqlite_url(&dir.path().join("socorg.db")), None),
            Backend::Postgres => {
                let admin_url = postgres_admin_url();
                let name = format!("socorg_test_{}", uuid::Uuid::new_v4().simple());
                let admin = db::connect_owner(&admin_url).await.unwrap_or_else(|error| {
                    panic!("PostgreSQL is required for this test ({admin_url}): {error}")
                });
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .expect("create the test database");
                admin.close().await.expect("close admin connection");
                (
                    with_database(&admin_url, &name),
                    Some(PostgresDatabase { admin_url, name }),
                )
            }
        };
        let mut config = Config {
            bind: "127.0.0.1:0".parse().expect("address"),
            data_dir: dir.path().to_path_buf(),
            database_url: Some(Secret::new(database_url.clone())),
            password_cost: PasswordCost::Low,
            // Tests drive the worker themselves (`run_jobs`), so that nothing runs behind them.
            worker_in_serve: false,
            ..Config::default()
        };
        adjust(&mut config);
        let clock = Arc::new(ManualClock::new(
            Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0)
                .single()
                .expect("date"),
        ));
        let app = App::build(config, clock.clone())
            .await
            .expect("build the app");
        let address = format!("http://{}", app.local_addr());
        let state = app.state().clone();
        let (shutdown, signal) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            app.run_until(async {
                let _ = signal.await;
            })
            .await
            .expect("server run");
        });
        TestApp {
            address,
            client: reqwest::Client::new(),
            clock,
            state,
            database_url,
            data_dir: dir.path().to_path_buf(),
            shutdown: Some(shutdown),
            server: Some(server),
            _postgres: postgres,
            _dir: Some(dir),
        }
    }

    /// Another server on this one's database: with a data folder of its own (another node), or
    /// with this one's (a restart; stop this one first).
    pub async fn spawn_beside(&self, same_data_dir: bool) -> TestApp {
        let dir = (!same_data_dir).then(|| tempfile::tempdir().expect("temporary folder"));
        let data_dir = dir
            .as_ref()
            .map_or_else(|| self.data_dir.clone(), |dir| dir.path().to_path_buf());
        if !same_data_dir {
            // Every node of one installation shares the master key.
            std::fs::copy(
                self.data_dir.join("master.key"),
                data_dir.join("master.key"),
            )
            .expect("share the master key");
        }
        let config = Config {
            bind: "127.0.0.1:0".parse().expect("address"),
            data_dir: data_dir.clone(),
            database_url: Some(Secret::new(self.database_url.clone())),
            password_cost: PasswordCost::Low,
            worker_in_serve: false,
            ..Config::default()
        };
        let clock = Arc::new(ManualClock::new(self.clock.now()));
        let app = App::build(config, clock.clone())
            .await
            .expect("build the app");
        let address = format!("http://{}", app.local_addr());
        let state = app.state().clone();
        let (shutdown, signal) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            app.run_until(async {
                let _ = signal.await;
            })
            .await
            .expect("server run");
        });
        TestApp {
            address,
            client: reqwest::Client::new(),
            clock,
            state,
            database_url: self.database_url.clone(),
            data_dir,
            shutdown: Some(shutdown),
            server: Some(server),
            _postgres: None,
            _dir: dir,
        }
    }

    /// Stops the server and waits until it has let go of everything.
    pub async fn stop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("server task");
        }
    }

    /// A connection as the table owner, to look behind the application's back (tampering tests).
    pub async fn owner_connection(&self) -> DatabaseConnection {
        db::connect_owner(&self.database_url)
            .await
            .expect("owner connection")
    }

    /// Seals pending audit events and checkpoints the head, as the server does every second.
    pub async fn seal(&self) {
        socorg::startup::seal_once(&self.state, 0)
            .await
            .expect("audit sealing");
    }

    /// `audit verify` as the command runs it.
    pub async fn verify_audit(&self) -> socorg::audit::VerifyReport {
        socorg::audit::verify(&self.state.db, &self.state.audit, &self.state.documents)
            .await
            .expect("audit verification")
    }

    /// Runs every job that is due by the test clock, like the worker would.
    pub async fn run_jobs(&self) -> socorg::worker::WorkerPass {
        socorg::worker::Worker::new(self.state.clone())
            .run_due()
            .await
            .expect("job worker pass")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> TestResponse {
        let mut request = self.client.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        TestResponse::read(request.send().await.expect("request sent")).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> TestResponse {
        self.request(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> TestResponse {
        self.request(Method::POST, path, token, Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> TestResponse {
        self.request(Method::DELETE, path, token, None).await
    }

    /// Logs in and returns the token, asserting success.
    pub async fn login(&self, email: &str, password: &str) -> String {
        let response = self
            .post(
                "/api/v1/auth/login",
                None,
                json!({ "email": email, "password": password }),
            )
            .await;
        assert_eq!(
            response.status,
            StatusCode::OK,
            "login of {email}: {}",
            response.body
        );
        response.body["token"].as_str().expect("token").to_owned()
    }

    /// Creates a platform administrator directly and returns their token.
    pub async fn platform_admin(&self, email: &str) -> String {
        users::service::create_platform_admin(
            &self.state,
            Email::parse(email).expect("email"),
            "Platform Admin".to_owned(),
            NewPassword::parse(PASSWORD.to_owned(), email).expect("password"),
        )
        .await
        .expect("create platform admin");
        self.login(email, PASSWORD).await
    }

    /// Creates a tenant through the API as the given administrator.
    pub async fn create_tenant(
        &self,
        token: &str,
        slug: &str,
        division: &str,
        parent: Option<&str>,
    ) -> Value {
        let response = self
            .post(
                "/api/v1/tenants",
                Some(token),
                json!({
                    "slug": slug,
                    "name_zh": format!("{slug}民政局"),
                    "name_en": format!("{slug} Civil Affairs Bureau"),
                    "division_code": division,
                    "parent": parent,
                }),
            )
            .await;
        assert_eq!(response.status, StatusCode::CREATED, "{}", response.body);
        response.body
    }

    /// Adds a user with roles to a tenant (with the standard password) and logs them in.
    pub async fn tenant_user(
        &self,
        admin_token: &str,
        tenant: &str,
        email: &str,
        roles: &[&str],
    ) -> (String, String) {
        let response = self
            .post(
                &format!("/api/v1/tenants/{tenant}/users"),
                Some(admin_token),
                json!({ "email": email, "name": email, "roles": roles, "password": PASSWORD }),
            )
            .await;
        assert_eq!(response.status, StatusCode::CREATED, "{}", response.body);
        let id = response.body["id"].as_str().expect("id").to_owned();
        (id, self.login(email, PASSWORD).await)
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// A response read completely: status, headers and body (JSON when it is JSON).
pub struct TestResponse {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl TestResponse {
    pub async fn read(response: reqwest::Response) -> Self {
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Self {
            status,
            headers,
            body,
            text,
        }
    }

    pub fn content_type(&self) -> &str {
        self.headers
            .get("content-type")
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
    }

    /// Asserts a problem response with this status and code.
    #[track_caller]
    pub fn assert_problem(&self, status: StatusCode, code: &str) {
        assert_eq!(self.status, status, "{}", self.text);
        assert_eq!(
            self.content_type(),
            "application/problem+json",
            "{}",
            self.text
        );
        assert_eq!(self.body["code"], code, "{}", self.text);
        assert_eq!(self.body["status"], status.as_u16(), "{}", self.text);
        assert!(
            self.body["title"].is_string() && self.body["detail"].is_string(),
            "{}",
            self.text
        );
        assert_eq!(self.body["type"], format!("urn:socorg:problem:{code}"));
    }

    /// The fields named by a validation problem.
    pub fn problem_fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .filter_map(|error| error["field"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Declares each async test function `name(backend)` twice: `sqlite::name` and `postgres::name`.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Sqlite).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Postgres).await;
                }
            )*
        }
    };
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn replaces_the_database_of_a_url() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "t1"),
            "postgres://postgres@127.0.0.1:5432/t1"
        );
        assert_eq!(
            with_database("postgres://u:p@db/x?sslmode=disable", "t2"),
            "postgres://u:p@db/t2?sslmode=disable"
        );
        assert_eq!(with_database("postgres://db", "t3"), "postgres://db/t3");
    }
}

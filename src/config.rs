//! One typed configuration: built-in defaults, then an optional TOML file, then `SOCORG_*`
//! environment variables, then command-line flags. Secrets never appear in `Debug` output or logs.

use std::{
    fmt,
    net::SocketAddr,
    path::{Path, PathBuf},
};

use figment::{
    Figment,
    providers::{Env, Format, Serialized, Toml},
};
use serde::{Deserialize, Serialize};

/// A value that must not be printed: `Debug` and `Display` show `***`.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("***")
    }
}

/// How expensive password hashing is. Only tests construct `Low`; it cannot be configured.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PasswordCost {
    #[default]
    Production,
    Low,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// `SOCORG_BIND`, `--bind IP:PORT`.
    pub bind: SocketAddr,
    /// `SOCORG_DATA_DIR`, `--data-dir`: SQLite database, documents, search index, e-mail folder.
    pub data_dir: PathBuf,
    /// `SOCORG_PUBLIC_URL`: base of absolute links; defaults to `http://` + the bind address.
    pub public_url: Option<String>,
    /// `SOCORG_DATABASE_URL`: `postgres://…` or `sqlite://…`; defaults to SQLite in the data folder.
    pub database_url: Option<Secret>,
    /// `SOCORG_LOG`: a `tracing` filter.
    pub log: String,
    /// `SOCORG_SESSION_TTL_MINUTES`: lifetime of a login token.
    pub session_ttl_minutes: u32,
    /// `SOCORG_MAX_BODY_BYTES`: largest JSON request body accepted.
    pub max_body_bytes: usize,
    /// `SOCORG_MAX_UPLOAD_BYTES`: largest document accepted.
    pub max_upload_bytes: u64,
    /// `SOCORG_MAX_IMPORT_BYTES`: largest register file accepted by the import API.
    pub max_import_bytes: u64,
    /// `SOCORG_SMTP_URL`: `smtp://host:587?tls=required` (STARTTLS), `smtps://host:465` (TLS),
    /// `smtp://host:25` (plain, local relays only); user and password in the URL. Without it,
    /// e-mail is written as `.eml` files to `<data dir>/outbox`.
    pub smtp_url: Option<Secret>,
    /// `SOCORG_MAIL_FROM`: the sender of every e-mail.
    pub mail_from: String,
    /// `SOCORG_S3_ENDPOINT`: when set, documents are kept in this S3-compatible service.
    pub s3_endpoint: Option<String>,
    /// `SOCORG_S3_BUCKET`.
    pub s3_bucket: String,
    /// `SOCORG_S3_REGION`.
    pub s3_region: String,
    /// `SOCORG_S3_ACCESS_KEY`.
    pub s3_access_key: Option<Secret>,
    /// `SOCORG_S3_SECRET_KEY`.
    pub s3_secret_key: Option<Secret>,
    /// `SOCORG_S3_PATH_STYLE`: address the bucket in the path rather than the host name.
    pub s3_path_style: bool,
    /// `SOCORG_JOB_LEASE_SECONDS`: a claimed job not finished within this time is run again.
    pub job_lease_seconds: u32,
    /// `SOCORG_JOB_MAX_ATTEMPTS`: attempts before a job is parked as failed.
    pub job_max_attempts: u32,
    /// `SOCORG_WORKER_IN_SERVE`: whether `serve` runs a job worker itself; turn it off when
    /// separate `socorg worker` processes do the work.
    pub worker_in_serve: bool,
    /// `SOCORG_CRASH_AFTER_INDEX_COMMIT`: for crash tests only. The process aborts (as under
    /// `kill -9`) right after the search tailer commits changes to the index and before it
    /// moves its cursor.
    pub crash_after_index_commit: bool,
    /// `SOCORG_TRUSTED_PROXIES`: reverse proxies whose `X-Forwarded-For` names the client
    /// (addresses or networks, comma-separated); rate limits count that client.
    pub trusted_proxies: crate::clients::TrustedProxies,
    /// `SOCORG_MASTER_KEY`: the installation's secret (at least 32 characters; every node the
    /// same); keys for the audit chain and sealed bids are derived from it. Unset: generated once
    /// into `<data dir>/master.key`.
    pub master_key: Option<Secret>,
    /// `SOCORG_METRICS_TOKEN`: a bearer token that may read `/metrics` from anywhere (without it,
    /// only clients on loopback may).
    pub metrics_token: Option<Secret>,
    #[serde(skip)]
    pub password_cost: PasswordCost,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("data"),
            public_url: None,
            database_url: None,
            log: "info,sqlx=warn".to_owned(),
            session_ttl_minutes: 12 * 60,
            max_body_bytes: 1024 * 1024,
            max_upload_bytes: 20 * 1024 * 1024,
            max_import_bytes: 200 * 1024 * 1024,
            smtp_url: None,
            mail_from: "socorg <no-reply@socorg.localhost>".to_owned(),
            s3_endpoint: None,
            s3_bucket: "socorg".to_owned(),
            s3_region: "us-east-1".to_owned(),
            s3_access_key: None,
            s3_secret_key: None,
            s3_path_style: true,
            job_lease_seconds: 300,
            job_max_attempts: 8,
            worker_in_serve: true,
            crash_after_index_commit: false,
            trusted_proxies: crate::clients::TrustedProxies::default(),
            master_key: None,
            metrics_token: None,
            password_cost: PasswordCost::Production,
        }
    }
}

/// Command-line values that take precedence over everything else.
#[derive(Debug, Default)]
pub struct Overrides {
    pub config_file: Option<PathBuf>,
    pub bind: Option<SocketAddr>,
    pub data_dir: Option<PathBuf>,
}

impl Config {
    /// Loads defaults → file (`--config` or `SOCORG_CONFIG`, when given) → environment → flags.
    pub fn load(overrides: Overrides) -> Result<Self, Box<figment::Error>> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(file) = &overrides.config_file {
            figment = figment.merge(Toml::file_exact(file));
        }
        figment = figment.merge(Env::prefixed("SOCORG_").ignore(&["config"]));
        let mut config: Config = figment.extract().map_err(Box::new)?;
        if let Some(bind) = overrides.bind {
            config.bind = bind;
        }
        if let Some(data_dir) = overrides.data_dir {
            config.data_dir = data_dir;
        }
        Ok(config)
    }

    /// The database URL, defaulting to a SQLite file in the data folder.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.expose().to_owned(),
            None => sqlite_url(&self.data_dir.join("socorg.db")),
        }
    }

    pub fn public_url(&self) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{}", self.bind),
        }
    }

    pub fn outbox_dir(&self) -> PathBuf {
        self.data_dir.join("outbox")
    }

    pub fn documents_dir(&self) -> PathBuf {
        self.data_dir.join("documents")
    }

    pub fn upload_tmp_dir(&self) -> PathBuf {
        self.data_dir.join("tmp")
    }

    pub fn is_postgres(&self) -> bool {
        self.database_url().starts_with("postgres")
    }
}

pub fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

/// The database URL without user name or password, for logs.
pub fn redacted_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            format!("{}://***{}", &url[..scheme_end], &url[at..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::{Config, Overrides, Secret, redacted_url};

    #[test]
    fn secrets_are_not_printed() {
        let config = Config {
            database_url: Some(Secret::new("postgres://app:hunter2@db/socorg")),
            ..Config::default()
        };
        let printed = format!("{config:?}");
        assert!(!printed.contains("hunter2"), "{printed}");
        assert_eq!(
            redacted_url("postgres://app:hunter2@db/socorg"),
            "postgres://***@db/socorg"
        );
    }

    #[test]
    #[allow(
        clippy::result_large_err,
        reason = "figment's test jail returns its own error type"
    )]
    fn defaults_environment_and_flags_layer_in_order() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("socorg.toml", "bind = \"127.0.0.1:9000\"\nlog = \"debug\"")?;
            jail.set_env("SOCORG_LOG", "warn");
            let config = Config::load(Overrides {
                config_file: Some("socorg.toml".into()),
                data_dir: Some("elsewhere".into()),
                ..Overrides::default()
            })
            .map_err(|error| *error)?;
            assert_eq!(config.bind.to_string(), "127.0.0.1:9000");
            assert_eq!(config.log, "warn");
            assert_eq!(config.data_dir.to_str(), Some("elsewhere"));
            assert!(
                config
                    .database_url()
                    .starts_with("sqlite://elsewhere/socorg.db")
            );
            assert_eq!(config.public_url(), "http://127.0.0.1:9000");
            Ok(())
        });
    }

    #[test]
    #[allow(
        clippy::result_large_err,
        reason = "figment's test jail returns its own error type"
    )]
    fn trusted_proxies_come_from_the_environment_and_bad_ones_are_refused() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("SOCORG_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8");
            let config = Config::load(Overrides::default()).map_err(|error| *error)?;
            assert_eq!(
                config.trusted_proxies.to_string(),
                "127.0.0.1/32,10.0.0.0/8"
            );
            jail.set_env("SOCORG_TRUSTED_PROXIES", "10.0.0.0/40");
            let refused = Config::load(Overrides::default()).unwrap_err();
            assert!(refused.to_string().contains("prefix"), "{refused}");
            Ok(())
        });
    }
}

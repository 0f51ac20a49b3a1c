//! The `socorg` command line.

use std::{
    io::{BufRead, Write},
    net::SocketAddr,
    path::PathBuf,
    process::ExitCode,
    sync::Arc,
};

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use tracing_subscriber::EnvFilter;

use crate::{
    audit,
    auth::password::NewPassword,
    clock::SystemClock,
    config::{Config, Overrides, Secret},
    db,
    registry::bulk::{self, ExportFilter, Format, ImportOptions},
    startup::{self, App},
    types::Email,
    users,
};

#[derive(Debug, Parser)]
#[command(
    name = "socorg",
    version,
    about = "Registry of social organisations and government purchase of services"
)]
pub struct Cli {
    /// A TOML configuration file (also `SOCORG_CONFIG`).
    #[arg(long, global = true, env = "SOCORG_CONFIG")]
    config: Option<PathBuf>,
    /// Folder for the SQLite database, documents, search index and e-mail (default `./data`).
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server (migrates the database first).
    Serve {
        /// Address to listen on, `IP:PORT` (default 127.0.0.1:8080).
        #[arg(long)]
        bind: Option<SocketAddr>,
        /// Load the demo data set before listening (skipped when it is there already).
        #[arg(long)]
        demo: bool,
    },
    /// Load the demo data set (Shenzhen, its districts, organisations, disclosures, one account
    /// per role) and print the accounts' passwords.
    Demo,
    /// Run the job worker alone (`serve` runs one too).
    Worker,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Rebuild this node's search index from the database (a running server is asked to do it).
    Reindex,
    /// Manage administrators.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Inspect the audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Import an existing register from a file (CSV or JSON lines).
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Write the register to stdout in the columns `import` reads.
    Export {
        #[command(subcommand)]
        command: ExportCommand,
    },
    /// Write a consistent copy of the SQLite database to FILE while the server runs.
    Backup {
        /// Where to write the copy; must not exist yet.
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// Create a platform administrator; the password is read from the first line of stdin.
    Create {
        #[arg(long)]
        email: String,
        /// Display name (defaults to the part of the e-mail address before the @).
        #[arg(long)]
        name: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum ImportCommand {
    /// Check every row, then write all of them in one transaction, or none: bad rows are
    /// reported by line (the header is line 1) and the command exits with 1.
    Organisations {
        /// A CSV file (UTF-8, with or without a byte-order mark) or JSON lines (`.jsonl`).
        file: PathBuf,
        /// The tenant whose register receives the organisations.
        #[arg(long)]
        tenant: String,
        /// Check the file and report, without writing anything.
        #[arg(long)]
        dry_run: bool,
        /// Import the good rows and report the bad ones (the exit status is still 1).
        #[arg(long)]
        skip_invalid: bool,
    },
}

#[derive(Debug, Subcommand)]
enum ExportCommand {
    /// Every organisation (of one tenant and those below it, with `--tenant`).
    Organisations {
        #[arg(long)]
        tenant: Option<String>,
        #[arg(long, value_parser = ["csv", "jsonl"], default_value = "csv")]
        format: String,
    },
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Check the hash chain; exits with 1 and names the first broken link if it is broken.
    Verify,
}

fn init_logging(filter: &str) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Runs one command; the returned code is the process's exit status.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let bind = match &cli.command {
        Command::Serve { bind, .. } => *bind,
        _ => None,
    };
    let config = Config::load(Overrides {
        config_file: cli.config,
        bind,
        data_dir: cli.data_dir,
    })
    .context("invalid configuration")?;
    init_logging(&config.log);
    let clock = Arc::new(SystemClock);

    match cli.command {
        Command::Serve { demo, .. } => {
            let app = App::build(config, clock).await?;
            if demo {
                print_demo(&crate::demo::load(app.state(), crate::demo::FULL_SIZE).await?)?;
            }
            app.run_until(startup::shutdown_signal()).await?;
        }
        Command::Demo => {
            let state = startup::prepare_state(config, clock).await?;
            let report = crate::demo::load(&state, crate::demo::FULL_SIZE).await?;
            startup::seal_once(&state, 0).await?;
            print_demo(&report)?;
        }
        Command::Worker => {
            let state = startup::prepare_state(config, clock).await?;
            startup::run_worker(state, startup::shutdown_signal()).await;
        }
        Command::Reindex => {
            let state = startup::prepare_state(config, clock).await?;
            let bar = indicatif::ProgressBar::new(0);
            bar.set_style(
                indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} documents {elapsed}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            let outcome =
                crate::search::reindex(&state, startup::SEARCH_SOURCES, &|done, total| {
                    bar.set_length(total);
                    bar.set_position(done);
                })
                .await?;
            bar.finish_and_clear();
            match outcome {
                crate::search::ReindexOutcome::Rebuilt(count) => {
                    writeln!(std::io::stdout(), "search index rebuilt: {count} documents")?;
                }
                crate::search::ReindexOutcome::Requested => writeln!(
                    std::io::stdout(),
                    "a running server holds the index; it has been asked to rebuild it"
                )?,
            }
        }
        Command::Migrate => {
            startup::migrate(&config, crate::clock::Clock::now(clock.as_ref())).await?;
            tracing::info!("migrations applied");
        }
        Command::Admin {
            command: AdminCommand::Create { email, name },
        } => {
            let email = Email::parse(&email)
                .map_err(|_| anyhow::anyhow!("`{email}` is not a valid e-mail address"))?;
            let password = read_first_line()?;
            let password = NewPassword::parse(password, email.as_str())
                .map_err(|rejection| anyhow::anyhow!("password refused: {rejection}"))?;
            let name = name.unwrap_or_else(|| {
                email
                    .as_str()
                    .split('@')
                    .next()
                    .unwrap_or_default()
                    .to_owned()
            });
            // The same rule as a name given through the API.
            let name = crate::types::Text::<100>::parse(&name)
                .map_err(|code| {
                    anyhow::anyhow!("--name refused: {}", crate::types::text_refusal(code, 100))
                })?
                .into_inner();
            let state = startup::prepare_state(config, clock).await?;
            let id = users::service::create_platform_admin(&state, email.clone(), name, password)
                .await
                .map_err(|error| anyhow::anyhow!("{error}"))?;
            startup::seal_once(&state, 0).await?;
            writeln!(
                std::io::stdout(),
                "created platform administrator {email} ({id})"
            )?;
        }
        Command::Audit {
            command: AuditCommand::Verify,
        } => {
            let key = audit::AuditKey::from_master(&crate::keys::MasterKey::existing(
                config.master_key.as_ref().map(Secret::expose),
                &config.data_dir,
            )?);
            let store = crate::documents::DocumentStore::from_config(&config).await?;
            let connection = db::connect_app(&config.database_url()).await?;
            let report = audit::verify(&connection, &key, &store).await?;
            let mut out = std::io::stdout();
            match report.broken {
                None => {
                    let checkpoint = report
                        .checkpoint
                        .map(|(seq, at)| {
                            format!(
                                "; the checkpoint of {} (event {seq}) matches",
                                at.to_rfc3339()
                            )
                        })
                        .unwrap_or_default();
                    writeln!(
                        out,
                        "audit chain intact: {} events sealed, {} awaiting sealing{checkpoint}",
                        report.sealed, report.unsealed
                    )?;
                }
                Some(link) => {
                    let event = link
                        .event_id
                        .map(|id| format!(" (event id {id})"))
                        .unwrap_or_default();
                    writeln!(
                        out,
                        "audit chain broken at seq {}{event}: {}",
                        link.seq, link.reason
                    )?;
                    writeln!(
                        out,
                        "{} events before it verified; {} awaiting sealing",
                        report.sealed, report.unsealed
                    )?;
                    return Ok(ExitCode::FAILURE);
                }
            }
        }
        Command::Import {
            command:
                ImportCommand::Organisations {
                    file,
                    tenant,
                    dry_run,
                    skip_invalid,
                },
        } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let format = match file.extension().and_then(|extension| extension.to_str()) {
                Some("jsonl" | "ndjson") => Some(Format::JsonLines),
                Some("csv") => Some(Format::Csv),
                _ => None,
            };
            let state = startup::prepare_state(config, clock).await?;
            let tenant = crate::tenants::service::get_tenant(&state, &tenant)
                .await
                .map_err(|error| anyhow::anyhow!("tenant `{tenant}`: {error}"))?;
            let options = ImportOptions {
                dry_run,
                skip_invalid,
                format,
            };
            let report = bulk::import(&state, &tenant, &bytes, options, None)
                .await
                .map_err(|error| anyhow::anyhow!("{error}"))?;
            startup::seal_once(&state, 0).await?;
            let mut err = std::io::stderr();
            for error in &report.errors {
                let column = if error.column.is_empty() {
                    String::new()
                } else {
                    format!(" {}:", error.column)
                };
                writeln!(
                    err,
                    "line {}:{column} {} ({})",
                    error.line, error.detail, error.code
                )?;
            }
            let verb = if dry_run { "would import" } else { "imported" };
            let count = if dry_run {
                report.valid
            } else {
                report.imported
            };
            writeln!(
                std::io::stdout(),
                "{} rows read, {} bad, {verb} {count}",
                report.rows,
                report
                    .errors
                    .iter()
                    .map(|error| error.line)
                    .collect::<std::collections::BTreeSet<_>>()
                    .len(),
            )?;
            if !report.errors.is_empty() {
                if !skip_invalid && !dry_run {
                    writeln!(std::io::stdout(), "nothing was written")?;
                }
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Export {
            command: ExportCommand::Organisations { tenant, format },
        } => {
            let state = startup::prepare_state(config, clock).await?;
            let format = Format::parse(&format).unwrap_or(Format::Csv);
            let filter = ExportFilter {
                tenant,
                ..ExportFilter::default()
            };
            let out = std::io::BufWriter::new(std::io::stdout());
            bulk::export(&state, &filter, format, out)
                .await
                .map_err(|error| anyhow::anyhow!("{error}"))?;
        }
        Command::Backup { file } => backup(&config, &file).await?,
    }
    Ok(ExitCode::SUCCESS)
}

fn print_demo(report: &crate::demo::DemoReport) -> anyhow::Result<()> {
    let mut out = std::io::stdout();
    if !report.loaded {
        writeln!(
            out,
            "the demo data set is already loaded; its passwords were shown when it was"
        )?;
        return Ok(());
    }
    writeln!(
        out,
        "demo data loaded: {} organisations",
        report.organisations
    )?;
    writeln!(out, "accounts (the passwords are shown only now):")?;
    for account in &report.accounts {
        writeln!(
            out,
            "  {:<30} {:<40} {}",
            account.role, account.email, account.password
        )?;
    }
    Ok(())
}

fn read_first_line() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from stdin")?;
    let password = line.trim_end_matches(['\n', '\r']).to_owned();
    if password.is_empty() {
        bail!(
            "no password on stdin: pipe it in, e.g. `echo \"$PASSWORD\" | socorg admin create --email …`"
        );
    }
    Ok(password)
}

/// `VACUUM INTO` copies a consistent snapshot while other connections keep writing.
async fn backup(config: &Config, file: &std::path::Path) -> anyhow::Result<()> {
    if config.is_postgres() {
        bail!("backup copies the SQLite database; for PostgreSQL use pg_dump");
    }
    if file.exists() {
        bail!("{} already exists; choose a new file", file.display());
    }
    let url = config.database_url();
    let source = db::sqlite_file_of(&url).context("not a SQLite database URL")?;
    if !source.exists() {
        bail!("no database at {}", source.display());
    }
    let connection = db::connect_owner(&url).await?;
    connection
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "VACUUM INTO ?",
            [file.to_string_lossy().into_owned().into()],
        ))
        .await
        .context("backup failed")?;
    connection.close().await?;
    writeln!(
        std::io::stdout(),
        "backup of {} written to {}",
        source.display(),
        file.display()
    )?;
    Ok(())
}

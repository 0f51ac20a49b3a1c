//! Import benchmark: `cargo bench --bench import` (release; outside CI). Writes a CSV register of
//! `SOCORG_BENCH_ROWS` (default 100,000) generated organisations, imports it into a fresh SQLite
//! database and into a fresh PostgreSQL database (`SOCORG_TEST_DATABASE_URL`), then lets a search
//! tailer index the imported organisations. Prints a Markdown report.

#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark report"
)]

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use sea_orm::ConnectionTrait;
use socorg::{
    clock::SystemClock,
    config::{Config, Secret},
    demo::sample_organisations,
    registry::bulk::{self, ImportOptions},
    search::{SearchService, tailer::Tailer},
    startup, tenants,
    types::Uscc,
};

fn register(rows: usize) -> String {
    let mut file = String::from(
        "name,uscc,type,address,legal_representative,service_areas,founded_on,registered_funds_fen,status,status_reason,status_date\n",
    );
    let mut writer = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    for (index, sample) in sample_organisations(rows).iter().enumerate() {
        // A division of its own, so that no code meets one the demo issued.
        let code = Uscc::issue('2', "449900", u32::try_from(index).unwrap() + 1).unwrap();
        writer
            .write_record([
                sample.name.as_str(),
                code.as_str(),
                sample.org_type,
                sample.address.as_str(),
                sample.representative.as_str(),
                &sample.service_areas.join(";"),
                "2015-06-01",
                "3000000",
                "registered",
                "",
                "",
            ])
            .unwrap();
    }
    file.push_str(&String::from_utf8(writer.into_inner().unwrap()).unwrap());
    file
}

async fn run(label: &str, database_url: String, file: &str, rows: usize) {
    let folder = tempfile::tempdir().unwrap();
    let config = Config {
        data_dir: folder.path().to_path_buf(),
        database_url: Some(Secret::new(database_url)),
        ..Config::default()
    };
    let state = startup::prepare_state(config, Arc::new(SystemClock))
        .await
        .unwrap();
    socorg::demo::load(&state, 10).await.unwrap();
    let tenant = tenants::service::get_tenant(&state, "futian")
        .await
        .unwrap();
    let started = Instant::now();
    let report = bulk::import(
        &state,
        &tenant,
        file.as_bytes(),
        ImportOptions::default(),
        None,
    )
    .await
    .unwrap();
    let imported = started.elapsed();
    assert!(
        report.errors.is_empty(),
        "{:?}",
        report.errors.iter().take(3).collect::<Vec<_>>()
    );
    assert_eq!(report.imported as usize, rows);

    let search = Arc::new(SearchService::open(&folder.path().join("search")).unwrap());
    assert!(search.index.try_acquire_writer().unwrap());
    let mut tailer = Tailer::new(
        state.clone(),
        search.clone(),
        socorg::startup::SEARCH_SOURCES,
    );
    let started = Instant::now();
    let deadline = Instant::now() + Duration::from_secs(900);
    while (search.index.len() as usize) < rows && Instant::now() < deadline {
        tailer.tick().await.unwrap();
    }
    let indexed = started.elapsed();
    println!(
        "| {label} | {rows} | {:.1} s ({:.0} rows/s) | {:.1} s ({:.0} documents/s) |",
        imported.as_secs_f64(),
        rows as f64 / imported.as_secs_f64(),
        indexed.as_secs_f64(),
        search.index.len() as f64 / indexed.as_secs_f64(),
    );
}

#[tokio::main]
async fn main() {
    let rows: usize = std::env::var("SOCORG_BENCH_ROWS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(100_000);
    let file = register(rows);
    println!(
        "# Import benchmark\n\n{rows} rows, {:.1} MiB of CSV\n",
        file.len() as f64 / 1024.0 / 1024.0
    );
    println!(
        "| database | rows | import (checks and writes) | indexed for search |\n|---|---|---|---|"
    );
    let folder = tempfile::tempdir().unwrap();
    run(
        "SQLite",
        socorg::config::sqlite_url(&folder.path().join("bench.db")),
        &file,
        rows,
    )
    .await;
    let admin_url = std::env::var("SOCORG_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let Ok(admin) = socorg::db::connect_owner(&admin_url).await else {
        println!("\n(PostgreSQL not reachable at {admin_url}: skipped)");
        return;
    };
    let name = format!("socorg_bench_{}", std::process::id());
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    let base = admin_url
        .rsplit_once('/')
        .map_or(admin_url.as_str(), |(base, _)| base);
    run("PostgreSQL", format!("{base}/{name}"), &file, rows).await;
    admin
        .execute_unprepared(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .await
        .unwrap();
}

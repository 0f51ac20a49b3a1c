//! Search benchmark: `cargo bench --bench search` (release; outside CI). Builds an index of
//! `SOCORG_BENCH_ORGS` (default 100,000) generated organisations, then runs four classes of query
//! against it and against what users would otherwise pick: SQLite FTS5 with the trigram
//! tokenizer (falling back to LIKE for two characters, which trigrams cannot match) and
//! PostgreSQL pg_trgm (`SOCORG_TEST_DATABASE_URL`). Each query runs once unmeasured, then
//! `SOCORG_BENCH_REPEAT` (default 5) times measured. Prints a Markdown report.

#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark report"
)]

use std::{
    collections::HashSet,
    time::{Duration, Instant},
};

use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};
use search_index::{Kind, SearchDocument, SearchIndex, SearchQuery};
use socorg::demo::{SampleOrganisation, sample_organisations};

struct Class {
    name: &'static str,
    queries: Vec<String>,
}

fn percentile(sorted: &[Duration], fraction: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * fraction).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn cjk_window(name: &str, length: usize, pick: usize) -> Option<String> {
    let characters: Vec<char> = name.chars().skip(3).collect();
    if characters.len() < length {
        return None;
    }
    let start = pick % (characters.len() - length + 1);
    Some(characters[start..start + length].iter().collect())
}

fn classes(samples: &[SampleOrganisation]) -> Vec<Class> {
    let mut two = Vec::new();
    let mut longer = Vec::new();
    let mut phrase = Vec::new();
    let mut terms = Vec::new();
    for (index, sample) in samples
        .iter()
        .enumerate()
        .step_by(samples.len() / 200 + 1)
        .take(200)
    {
        two.extend(cjk_window(&sample.name, 2, index * 7));
        longer.extend(cjk_window(&sample.name, 5, index * 3));
        phrase.extend(cjk_window(&sample.name, 8, index));
        let tail: String = sample
            .name
            .chars()
            .rev()
            .take(4)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let district: String = sample.name.chars().skip(3).take(2).collect();
        terms.push(format!("{district} {tail}"));
    }
    vec![
        Class {
            name: "2 characters",
            queries: two,
        },
        Class {
            name: "5 characters",
            queries: longer,
        },
        Class {
            name: "two terms",
            queries: terms,
        },
        Class {
            name: "8-character phrase",
            queries: phrase,
        },
    ]
}

/// Exact substring matches of every term, as ids.
fn truth(samples: &[SampleOrganisation], query: &str) -> HashSet<usize> {
    let terms: Vec<&str> = query.split_whitespace().collect();
    samples
        .iter()
        .enumerate()
        .filter(|(_, sample)| terms.iter().all(|term| sample.name.contains(term)))
        .map(|(index, _)| index)
        .collect()
}

/// The text socorg searches besides the name (as the server builds an organisation's body), which
/// the "name and description" baselines search too.
fn description(sample: &SampleOrganisation) -> String {
    format!(
        "{} {} {}",
        sample.service_areas.join(" "),
        sample.address,
        sample.representative
    )
}

/// How FTS5 is asked for every term, in the name (or the name and the description): terms of
/// three characters or more through its trigram index (`MATCH`), shorter ones by `LIKE`, which
/// trigrams cannot serve. The condition, its values, and whether bm25 can rank the matches.
fn fts5_condition(
    table: &str,
    terms: &[&str],
    with_body: bool,
) -> (String, Vec<sea_orm::Value>, bool) {
    let (long, short): (Vec<&str>, Vec<&str>) =
        terms.iter().partition(|term| term.chars().count() >= 3);
    let mut clauses = Vec::new();
    let mut values: Vec<sea_orm::Value> = Vec::new();
    if !long.is_empty() {
        clauses.push(format!("{table} MATCH ?"));
        let expression = long
            .iter()
            .map(|term| format!("\"{term}\""))
            .collect::<Vec<_>>()
            .join(" AND ");
        values.push(expression.into());
    }
    for term in &short {
        let pattern = format!("%{term}%");
        if with_body && !long.is_empty() {
            // Beside MATCH, an OR would make SQLite plan MATCH as a plain function, which FTS5
            // refuses; a term has no space, so it cannot span the two columns joined.
            clauses.push("(name || ' ' || body) LIKE ?".to_owned());
            values.push(pattern.into());
        } else if with_body {
            clauses.push("(name LIKE ? OR body LIKE ?)".to_owned());
            values.extend([pattern.clone().into(), pattern.into()]);
        } else {
            clauses.push("name LIKE ?".to_owned());
            values.push(pattern.into());
        }
    }
    (clauses.join(" AND "), values, !long.is_empty())
}

/// Reads a baseline's answer to the whole-page statements: the hits' ids and the total (the
/// facet rows are read as a page would read them, and dropped).
fn whole_page(rows: &[sea_orm::QueryResult]) -> (Vec<usize>, i64) {
    let mut hits = Vec::new();
    let mut total = 0;
    for row in rows {
        let facet: String = row.try_get("", "facet").unwrap();
        let value: Option<String> = row.try_get("", "value").unwrap();
        let count: i64 = row.try_get("", "n").unwrap();
        match facet.as_str() {
            "hit" => hits.extend(value.and_then(|id| id.parse::<usize>().ok())),
            "total" => total = count,
            _ => {}
        }
    }
    (hits, total)
}

/// Runs a statement once unmeasured, then `repeat` times measured; the last answer.
async fn timed(
    db: &sea_orm::DatabaseConnection,
    statement: &Statement,
    repeat: usize,
    times: &mut Vec<Duration>,
) -> Vec<sea_orm::QueryResult> {
    let mut answer = db.query_all_raw(statement.clone()).await.unwrap();
    for _ in 0..repeat {
        let started = Instant::now();
        answer = db.query_all_raw(statement.clone()).await.unwrap();
        times.push(started.elapsed());
    }
    answer
}

/// The row of a whole-page baseline, with its mean total.
fn whole_page_row(
    engine: &'static str,
    class: &Class,
    times: Vec<Duration>,
    recalls: &[f64],
    totals: i64,
) -> Row {
    let mut row = summarise(engine, class.name, times, recalls);
    row.matches = Some(totals as f64 / class.queries.len().max(1) as f64);
    row
}

/// The facets socorg counts for these documents, as `UNION ALL` branches over the matches `m`.
/// (Every sample has one service area, so its column holds one value, as socorg's facet counts.)
const FACET_BRANCHES: &str = "UNION ALL SELECT 'total', NULL, count(*) FROM m \
     UNION ALL SELECT 'tenant', tenant, count(*) FROM m GROUP BY tenant \
     UNION ALL SELECT 'org_type', org_type, count(*) FROM m GROUP BY org_type \
     UNION ALL SELECT 'status', status, count(*) FROM m GROUP BY status \
     UNION ALL SELECT 'service_area', area, count(*) FROM m GROUP BY area";

fn recall(found: &[usize], truth: &HashSet<usize>) -> f64 {
    if truth.is_empty() {
        return 1.0;
    }
    let hits = found.iter().filter(|id| truth.contains(id)).count();
    hits as f64 / truth.len().min(10) as f64
}

struct Row {
    engine: &'static str,
    class: &'static str,
    p50: Duration,
    p99: Duration,
    recall: f64,
    /// The mean total of matches a query, where the engine counts them.
    matches: Option<f64>,
}

fn summarise(
    engine: &'static str,
    class: &'static str,
    mut times: Vec<Duration>,
    recalls: &[f64],
) -> Row {
    times.sort();
    Row {
        engine,
        class,
        p50: percentile(&times, 0.5),
        p99: percentile(&times, 0.99),
        recall: recalls.iter().sum::<f64>() / recalls.len().max(1) as f64,
        matches: None,
    }
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("VmHWM:"))
                .and_then(|line| line.split_whitespace().nth(1))
                .and_then(|kib| kib.parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

fn folder_size(path: &std::path::Path) -> u64 {
    std::fs::read_dir(path)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|entry| entry.metadata().ok())
                .map(|meta| meta.len())
                .sum()
        })
        .unwrap_or(0)
}

#[tokio::main]
async fn main() {
    let count: usize = std::env::var("SOCORG_BENCH_ORGS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(100_000);
    // Each query is measured this many times (after one unmeasured run), so that p99 rests on
    // enough samples: 200 queries × 5 per class and engine.
    let repeat: usize = std::env::var("SOCORG_BENCH_REPEAT")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(5);
    let samples = sample_organisations(count);
    println!("# Search benchmark\n\n{} organisations\n", samples.len());
    let classes = classes(&samples);
    let mut rows = Vec::new();

    // tantivy
    let folder = tempfile::tempdir().unwrap();
    let index = SearchIndex::open_or_create(folder.path()).unwrap();
    let started = Instant::now();
    let documents: Vec<SearchDocument> = samples
        .iter()
        .enumerate()
        .map(|(id, sample)| SearchDocument {
            kind: Some(Kind::Organisation),
            id: id.to_string(),
            tenant: sample.tenant.to_owned(),
            tenant_path: vec![sample.tenant.to_owned(), "shenzhen".to_owned()],
            title: sample.name.clone(),
            body: description(sample),
            org_type: Some(sample.org_type.to_owned()),
            status: Some("registered".to_owned()),
            service_areas: sample.service_areas.clone(),
            url: String::new(),
            ..SearchDocument::default()
        })
        .collect();
    for chunk in documents.chunks(10_000) {
        index.upsert(chunk).unwrap();
    }
    index.commit().unwrap();
    let elapsed = started.elapsed();
    let peak = peak_rss_mib();
    let written = index.segments();
    println!(
        "tantivy build: {:.1} s, {:.0} documents/s, {written} segments, peak memory {:.0} MiB\n",
        elapsed.as_secs_f64(),
        samples.len() as f64 / elapsed.as_secs_f64(),
        peak
    );
    // Background merges finish, then the segments are merged into one, as the server does
    // after a rebuild (`SOCORG_BENCH_SEGMENTS=keep`: queried as the merge policy left them).
    let started = Instant::now();
    if std::env::var("SOCORG_BENCH_SEGMENTS").is_ok_and(|keep| keep == "keep") {
        index.settle().unwrap();
        println!(
            "background merges: {:.1} s; queried as left, in {} segments\n",
            started.elapsed().as_secs_f64(),
            index.segments()
        );
    } else {
        // As the server does after a rebuild: the index is compacted while changes go on being
        // committed, one every 100 ms, each timed from its write to its commit.
        let (changes, slowest) = std::thread::scope(|scope| {
            let compacting = scope.spawn(|| index.compact().unwrap());
            let mut changes = 0_u32;
            let mut slowest = Duration::ZERO;
            while !compacting.is_finished() {
                let change = Instant::now();
                let mut document = documents[changes as usize % documents.len()].clone();
                document.body.push_str(" 变更");
                index.upsert(&[document]).unwrap();
                index.commit().unwrap();
                slowest = slowest.max(change.elapsed());
                changes += 1;
                std::thread::sleep(Duration::from_millis(100));
            }
            (changes, slowest)
        });
        let compacted = started.elapsed();
        // The merge policy's own merges finish, and the changes' segments join the rest.
        index.settle().unwrap();
        index.compact().unwrap();
        println!(
            "compaction: {:.1} s, with {changes} changes committed meanwhile, the slowest in \
             {:.0} ms; queried in {} segment(s)\n",
            compacted.as_secs_f64(),
            slowest.as_secs_f64() * 1000.0,
            index.segments()
        );
    }
    println!(
        "index size: {:.1} MiB\n",
        folder_size(folder.path()) as f64 / 1024.0 / 1024.0
    );
    let only_tantivy = std::env::var("SOCORG_BENCH_ONLY").is_ok_and(|only| only == "tantivy");
    let search = |query: &str, without_facets: bool| {
        index
            .search(&SearchQuery {
                text: query.to_owned(),
                kinds: vec![Kind::Organisation],
                limit: 10,
                without_facets,
                ..SearchQuery::default()
            })
            .unwrap()
    };
    // `SOCORG_BENCH_PROFILE=<query>`: that query alone, over and over for five seconds (to
    // profile it).
    if let Ok(query) = std::env::var("SOCORG_BENCH_PROFILE") {
        let started = Instant::now();
        let mut total = 0;
        let mut runs = 0;
        while started.elapsed() < Duration::from_secs(5) {
            total = search(&query, false).total;
            runs += 1;
        }
        println!(
            "\"{query}\": {total} matches, {:.3} ms a query",
            started.elapsed().as_secs_f64() * 1000.0 / f64::from(runs)
        );
        return;
    }
    // Every engine runs each query once unmeasured right before measuring it, so that none
    // pays for a cold cache.
    for (without_facets, engine) in [(false, "tantivy (socorg)"), (true, "tantivy, no facets")] {
        for class in &classes {
            let mut times = Vec::new();
            let mut recalls = Vec::new();
            // The query whose fastest run was slowest, with its total.
            let mut slowest = (Duration::ZERO, "", 0);
            let mut totals = 0;
            for query in &class.queries {
                let mut results = search(query, without_facets);
                let mut fastest = Duration::MAX;
                for _ in 0..repeat {
                    let started = Instant::now();
                    results = search(query, without_facets);
                    let elapsed = started.elapsed();
                    fastest = fastest.min(elapsed);
                    times.push(elapsed);
                }
                totals += results.total;
                if fastest > slowest.0 {
                    slowest = (fastest, query.as_str(), results.total);
                }
                let found: Vec<usize> = results
                    .hits
                    .iter()
                    .filter_map(|hit| hit.id.parse().ok())
                    .collect();
                recalls.push(recall(&found, &truth(&samples, query)));
            }
            println!(
                "{engine}, {}: slowest query \"{}\" ({} matches), at best {:.2} ms",
                class.name,
                slowest.1,
                slowest.2,
                slowest.0.as_secs_f64() * 1000.0
            );
            let mut row = summarise(engine, class.name, times, &recalls);
            row.matches = Some(totals as f64 / class.queries.len().max(1) as f64);
            rows.push(row);
        }
    }
    println!();
    if only_tantivy {
        report(&classes, &rows);
        return;
    }

    // SQLite FTS5 trigram, LIKE for what trigrams cannot match
    let sqlite = Database::connect("sqlite::memory:").await.unwrap();
    sqlite
        .execute_unprepared(
            "CREATE VIRTUAL TABLE names USING fts5(name, tokenize = 'trigram'); \
             CREATE VIRTUAL TABLE docs USING fts5(name, body, tenant UNINDEXED, \
             org_type UNINDEXED, status UNINDEXED, area UNINDEXED, tokenize = 'trigram'); \
             INSERT INTO docs (docs, rank) VALUES ('rank', 'bm25(10.0, 1.0)')",
        )
        .await
        .unwrap();
    sqlite.execute_unprepared("BEGIN").await.unwrap();
    for (id, sample) in samples.iter().enumerate() {
        sqlite
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Sqlite,
                "INSERT INTO names (rowid, name) VALUES (?, ?)",
                [(id as i64).into(), sample.name.clone().into()],
            ))
            .await
            .unwrap();
        sqlite
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Sqlite,
                "INSERT INTO docs (rowid, name, body, tenant, org_type, status, area) \
                 VALUES (?, ?, ?, ?, ?, 'registered', ?)",
                [
                    (id as i64).into(),
                    sample.name.clone().into(),
                    description(sample).into(),
                    sample.tenant.into(),
                    sample.org_type.into(),
                    sample.service_areas.join(" ").into(),
                ],
            ))
            .await
            .unwrap();
    }
    sqlite.execute_unprepared("COMMIT").await.unwrap();
    for (ranked, engine) in [
        (false, "SQLite FTS5 trigram, first 10"),
        (true, "SQLite FTS5 trigram, ranked + count"),
    ] {
        // Ranked: what a search page needs, like socorg's answer: the best ten and the total.
        let (select, order_like, order_match) = if ranked {
            (
                "SELECT rowid, count(*) OVER () AS total",
                " ORDER BY length(name), rowid",
                " ORDER BY rank",
            )
        } else {
            ("SELECT rowid", "", "")
        };
        for class in &classes {
            let mut times = Vec::new();
            let mut recalls = Vec::new();
            for query in &class.queries {
                let terms: Vec<&str> = query.split_whitespace().collect();
                let (condition, values, by_rank) = fts5_condition("names", &terms, false);
                let order = if by_rank { order_match } else { order_like };
                let sql = format!("{select} FROM names WHERE {condition}{order} LIMIT 10");
                let statement = Statement::from_sql_and_values(DbBackend::Sqlite, &sql, values);
                let mut rows_found = sqlite.query_all_raw(statement.clone()).await.unwrap();
                for _ in 0..repeat {
                    let started = Instant::now();
                    rows_found = sqlite.query_all_raw(statement.clone()).await.unwrap();
                    times.push(started.elapsed());
                }
                let found: Vec<usize> = rows_found
                    .iter()
                    .filter_map(|row| row.try_get::<i64>("", "rowid").ok())
                    .map(|id| id as usize)
                    .collect();
                recalls.push(recall(&found, &truth(&samples, query)));
            }
            rows.push(summarise(engine, class.name, times, &recalls));
        }
    }
    // The whole page as socorg answers it: the name and the description searched, the best ten
    // (name matches first), the total and the facet counts, in one statement.
    for class in &classes {
        let mut times = Vec::new();
        let mut recalls = Vec::new();
        let mut totals = 0;
        for query in &class.queries {
            let terms: Vec<&str> = query.split_whitespace().collect();
            let (matching, matched, by_rank) = fts5_condition("docs", &terms, true);
            // bm25 weighs the name ten times the description; without a term for the index,
            // names that hold every term go first.
            let (ranking, mut values) = if by_rank {
                ("rank".to_owned(), matched)
            } else {
                let in_name = vec!["name LIKE ?"; terms.len()].join(" AND ");
                let mut values: Vec<sea_orm::Value> = terms
                    .iter()
                    .map(|term| format!("%{term}%").into())
                    .collect();
                values.extend(matched);
                (format!("CASE WHEN {in_name} THEN 0 ELSE 1 END"), values)
            };
            let sql = format!(
                "WITH m AS MATERIALIZED (SELECT rowid AS id, {ranking} AS o, length(name) AS l, \
                 tenant, org_type, status, area FROM docs WHERE {matching}) \
                 SELECT * FROM (SELECT 'hit' AS facet, CAST(id AS TEXT) AS value, 0 AS n \
                 FROM m ORDER BY o, l, id LIMIT 10) {FACET_BRANCHES}"
            );
            let statement = Statement::from_sql_and_values(
                DbBackend::Sqlite,
                &sql,
                std::mem::take(&mut values),
            );
            let answer = timed(&sqlite, &statement, repeat, &mut times).await;
            let (found, total) = whole_page(&answer);
            totals += total;
            recalls.push(recall(&found, &truth(&samples, query)));
        }
        rows.push(whole_page_row(
            "SQLite FTS5 trigram, name and description, ranked + count + facets",
            class,
            times,
            &recalls,
            totals,
        ));
    }

    // PostgreSQL pg_trgm
    let admin_url = std::env::var("SOCORG_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    if let Ok(admin) = Database::connect(&admin_url).await {
        let name = format!("socorg_bench_{}", std::process::id());
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        let url = format!(
            "{}/{name}",
            admin_url
                .rsplit_once('/')
                .map_or(admin_url.as_str(), |(base, _)| base)
        );
        // One connection, so that the session setting below holds for every query.
        let postgres = Database::connect(
            sea_orm::ConnectOptions::new(url)
                .max_connections(1)
                .min_connections(1)
                .to_owned(),
        )
        .await
        .unwrap();
        postgres.execute_unprepared("CREATE EXTENSION IF NOT EXISTS pg_trgm; CREATE TABLE names (id bigint PRIMARY KEY, name text NOT NULL)").await.unwrap();
        for chunk in samples.iter().enumerate().collect::<Vec<_>>().chunks(1000) {
            let values: Vec<String> = chunk
                .iter()
                .map(|(id, sample)| format!("({id}, '{}')", sample.name.replace('\'', "''")))
                .collect();
            postgres
                .execute_unprepared(&format!("INSERT INTO names VALUES {}", values.join(",")))
                .await
                .unwrap();
        }
        postgres
            .execute_unprepared(
                "CREATE TABLE docs (id bigint PRIMARY KEY, name text NOT NULL, body text NOT NULL, \
                 tenant text NOT NULL, org_type text NOT NULL, status text NOT NULL, area text NOT NULL)",
            )
            .await
            .unwrap();
        let quoted = |text: &str| format!("'{}'", text.replace('\'', "''"));
        for chunk in samples.iter().enumerate().collect::<Vec<_>>().chunks(1000) {
            let values: Vec<String> = chunk
                .iter()
                .map(|(id, sample)| {
                    format!(
                        "({id}, {}, {}, {}, {}, 'registered', {})",
                        quoted(&sample.name),
                        quoted(&description(sample)),
                        quoted(sample.tenant),
                        quoted(sample.org_type),
                        quoted(&sample.service_areas.join(" "))
                    )
                })
                .collect();
            postgres
                .execute_unprepared(&format!("INSERT INTO docs VALUES {}", values.join(",")))
                .await
                .unwrap();
        }
        postgres
            .execute_unprepared(
                "CREATE INDEX names_trgm ON names USING gin (name gin_trgm_ops); \
                 CREATE INDEX docs_name_trgm ON docs USING gin (name gin_trgm_ops); \
                 CREATE INDEX docs_body_trgm ON docs USING gin (body gin_trgm_ops); \
                 ANALYZE names; ANALYZE docs; SET plan_cache_mode = force_custom_plan",
            )
            .await
            .unwrap();
        for (ranked, engine) in [
            (false, "PostgreSQL pg_trgm, first 10"),
            (true, "PostgreSQL pg_trgm, ranked + count"),
        ] {
            for class in &classes {
                let mut times = Vec::new();
                let mut recalls = Vec::new();
                for query in &class.queries {
                    let terms: Vec<&str> = query.split_whitespace().collect();
                    let clauses: Vec<String> = (1..=terms.len())
                        .map(|position| format!("name LIKE ${position}"))
                        .collect();
                    let sql = if ranked {
                        format!(
                            "SELECT id, count(*) OVER () AS total FROM names WHERE {} \
                         ORDER BY similarity(name, ${}) DESC, id LIMIT 10",
                            clauses.join(" AND "),
                            terms.len() + 1
                        )
                    } else {
                        format!(
                            "SELECT id FROM names WHERE {} LIMIT 10",
                            clauses.join(" AND ")
                        )
                    };
                    let mut values: Vec<sea_orm::Value> = terms
                        .iter()
                        .map(|term| format!("%{term}%").into())
                        .collect();
                    if ranked {
                        values.push(query.clone().into());
                    }
                    let statement =
                        Statement::from_sql_and_values(DbBackend::Postgres, &sql, values);
                    let mut found_rows = postgres.query_all_raw(statement.clone()).await.unwrap();
                    for _ in 0..repeat {
                        let started = Instant::now();
                        found_rows = postgres.query_all_raw(statement.clone()).await.unwrap();
                        times.push(started.elapsed());
                    }
                    let found: Vec<usize> = found_rows
                        .iter()
                        .filter_map(|row| row.try_get::<i64>("", "id").ok())
                        .map(|id| id as usize)
                        .collect();
                    recalls.push(recall(&found, &truth(&samples, query)));
                }
                rows.push(summarise(engine, class.name, times, &recalls));
            }
        }
        // The whole page, as for SQLite above; the total and the facets in one pass over the
        // matches (grouping sets).
        for class in &classes {
            let mut times = Vec::new();
            let mut recalls = Vec::new();
            let mut totals = 0;
            for query in &class.queries {
                let terms: Vec<&str> = query.split_whitespace().collect();
                let in_name: Vec<String> = (1..=terms.len())
                    .map(|position| format!("name LIKE ${position}"))
                    .collect();
                let anywhere: Vec<String> = (1..=terms.len())
                    .map(|position| format!("(name LIKE ${position} OR body LIKE ${position})"))
                    .collect();
                let sql = format!(
                    "WITH m AS MATERIALIZED (SELECT id, name, tenant, org_type, status, area, \
                     ({}) AS in_name FROM docs WHERE {}) \
                     SELECT * FROM (SELECT 'hit' AS facet, id::text AS value, 0::bigint AS n FROM m \
                     ORDER BY in_name DESC, similarity(name, ${}) DESC, id LIMIT 10) AS top \
                     UNION ALL SELECT CASE WHEN GROUPING(tenant) = 0 THEN 'tenant' \
                     WHEN GROUPING(org_type) = 0 THEN 'org_type' \
                     WHEN GROUPING(status) = 0 THEN 'status' \
                     WHEN GROUPING(area) = 0 THEN 'service_area' ELSE 'total' END, \
                     COALESCE(tenant, org_type, status, area), count(*) FROM m \
                     GROUP BY GROUPING SETS ((), (tenant), (org_type), (status), (area))",
                    in_name.join(" AND "),
                    anywhere.join(" AND "),
                    terms.len() + 1
                );
                let mut values: Vec<sea_orm::Value> = terms
                    .iter()
                    .map(|term| format!("%{term}%").into())
                    .collect();
                values.push(query.clone().into());
                let statement = Statement::from_sql_and_values(DbBackend::Postgres, &sql, values);
                let answer = timed(&postgres, &statement, repeat, &mut times).await;
                let (found, total) = whole_page(&answer);
                totals += total;
                recalls.push(recall(&found, &truth(&samples, query)));
            }
            rows.push(whole_page_row(
                "PostgreSQL pg_trgm, name and description, ranked + count + facets",
                class,
                times,
                &recalls,
                totals,
            ));
        }
        postgres.close().await.unwrap();
        admin
            .execute_unprepared(&format!("DROP DATABASE {name} WITH (FORCE)"))
            .await
            .unwrap();
    } else {
        println!("(PostgreSQL not reachable at {admin_url}: pg_trgm baseline skipped)\n");
    }

    report(&classes, &rows);
}

fn report(classes: &[Class], rows: &[Row]) {
    println!(
        "| engine | query class | p50 | p99 | recall@10 | matches a query |\n|---|---|---|---|---|---|"
    );
    for row in rows {
        println!(
            "| {} | {} | {:.2} ms | {:.2} ms | {:.3} | {} |",
            row.engine,
            row.class,
            row.p50.as_secs_f64() * 1000.0,
            row.p99.as_secs_f64() * 1000.0,
            row.recall,
            row.matches
                .map_or_else(|| "–".to_owned(), |mean| format!("{mean:.0}"))
        );
    }
    println!();
    for class in classes {
        let ours = rows
            .iter()
            .find(|row| row.class == class.name && row.engine.starts_with("tantivy"))
            .unwrap();
        for other in rows
            .iter()
            .filter(|row| row.class == class.name && !row.engine.starts_with("tantivy"))
        {
            println!(
                "- {}: p99 {:.1}× lower than {}",
                class.name,
                other.p99.as_secs_f64() / ours.p99.as_secs_f64().max(1e-9),
                other.engine
            );
        }
    }
}

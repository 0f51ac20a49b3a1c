//! Public search over HTTP: what the registry publishes becomes searchable within moments, in
//! Chinese, pinyin, initials and by code; private objects never appear.

use std::{
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp};

crate::on_both_databases!(
    published_organisations_become_searchable,
    results_page_in_one_order_sort_by_date_and_limit_anonymous_use,
    a_crash_before_the_cursor_moves_loses_and_duplicates_nothing,
    a_process_killed_between_index_commit_and_cursor_recovers,
    a_corrupt_or_outdated_index_is_rebuilt_at_start,
    a_document_the_database_no_longer_has_leaves_the_index,
);

/// A signed-in reader's token. Polling anonymously would use up the address's allowance, which
/// never comes back: the tests' clock stands still.
async fn reader(app: &TestApp) -> String {
    app.platform_admin(&format!(
        "reader-{}@example.org",
        uuid::Uuid::now_v7().simple()
    ))
    .await
}

/// Polls (real time: the index follows the database on its own) until `check` holds.
async fn eventually(app: &TestApp, path: &str, check: impl Fn(&Value) -> bool) -> Value {
    let token = reader(app).await;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let response = app.get(path, Some(&token)).await;
        assert_eq!(response.status, StatusCode::OK, "{}", response.text);
        if check(&response.body) || Instant::now() > deadline {
            return response.body;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn ids(body: &Value) -> Vec<String> {
    body["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|hit| hit["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn published_organisations_become_searchable(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let report = socorg::demo::load(&app.state, 60).await.unwrap();
    assert!(report.loaded);
    let ready = app.get("/readyz", None).await;
    assert!(
        ready.body["search"] == "ok" || ready.body["search"] == "rebuilding",
        "{}",
        ready.text
    );

    let listed = app
        .get(
            "/api/v1/organisations?tenant=futian&status=registered&limit=1",
            None,
        )
        .await;
    let organisation = listed.body["items"][0].clone();
    let id = organisation["id"].as_str().unwrap().to_owned();
    let name = organisation["name"].as_str().unwrap().to_owned();
    let code = organisation["uscc"].as_str().unwrap().to_owned();

    let by_name = eventually(
        &app,
        &format!("/api/v1/search?q={name}&kind=organisation"),
        |body| ids(body).first() == Some(&id),
    )
    .await;
    assert_eq!(ids(&by_name).first(), Some(&id), "{by_name}");
    assert_eq!(by_name["hits"][0]["uscc"], code.as_str());
    assert_eq!(by_name["hits"][0]["url"], format!("/orgs/{code}"));
    let by_code = app.get(&format!("/api/v1/search?q={code}"), None).await;
    assert_eq!(ids(&by_code.body).first(), Some(&id));
    let in_tenant = app
        .get(
            "/api/v1/search?tenant=futian&kind=organisation&limit=200",
            None,
        )
        .await;
    assert!(
        in_tenant.body["facets"]["tenant"]
            .as_object()
            .unwrap()
            .keys()
            .all(|tenant| tenant == "futian")
    );
    assert_eq!(
        in_tenant.body["total"],
        in_tenant.body["facets"]["kind"]["organisation"]
    );
    // Without a kind, each kind is counted, and the counts add up to the total.
    let both = app.get("/api/v1/search?tenant=futian&limit=1", None).await;
    let kinds = both.body["facets"]["kind"].as_object().unwrap();
    assert!(kinds["organisation"].as_u64() > Some(0), "{}", both.text);
    assert!(kinds["disclosure"].as_u64() > Some(0), "{}", both.text);
    assert_eq!(
        kinds.values().filter_map(Value::as_u64).sum::<u64>(),
        both.body["total"].as_u64().unwrap()
    );

    // A draft application's name never enters the index; an approved change of name does.
    let registrar = app
        .login(&report.accounts[2].email, &report.accounts[2].password)
        .await;
    let ngo = app
        .login(&report.accounts[5].email, &report.accounts[5].password)
        .await;
    let own = app.get("/api/v1/me", Some(&ngo)).await.body["grants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|grant| grant["role"] == "org_admin")
        .unwrap()["organisation_id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.post(
        "/api/v1/registrations",
        Some(&ngo),
        json!({ "tenant": "futian", "name": "深圳市福田区秘密草稿协会" }),
    )
    .await;
    let change = app
        .post(
            &format!("/api/v1/organisations/{own}/changes"),
            Some(&ngo),
            json!({ "name": "深圳市福田区彩虹桥邻里中心" }),
        )
        .await;
    let change_id = change.body["id"].as_str().unwrap();
    let approved = app
        .post(
            &format!("/api/v1/organisations/{own}/changes/{change_id}/approve"),
            Some(&registrar),
            json!({}),
        )
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.text);
    let renamed = eventually(
        &app,
        "/api/v1/search?q=彩虹桥&kind=organisation",
        |body| ids(body).contains(&own),
    )
    .await;
    assert_eq!(ids(&renamed).first(), Some(&own), "{renamed}");
    let draft = app.get("/api/v1/search?q=秘密草稿", None).await;
    assert_eq!(draft.body["total"], 0, "{}", draft.text);
    // The change announcement is searchable too.
    let notices = eventually(&app, "/api/v1/search?q=彩虹桥&kind=disclosure", |body| {
        body["total"].as_u64() > Some(0)
    })
    .await;
    assert!(
        notices["hits"][0]["snippet"]
            .as_str()
            .unwrap()
            .contains("<b>"),
        "{notices}"
    );

    // Hostile input is just text.
    for hostile in ["-%20*", "%22", "AND%20OR", "%3Cscript%3E"] {
        let response = app.get(&format!("/api/v1/search?q={hostile}"), None).await;
        assert_eq!(
            response.status,
            StatusCode::OK,
            "{hostile}: {}",
            response.text
        );
    }
}

/// Follows `next_cursor` from `first` to the end; the ids in order.
async fn every_page(app: &TestApp, first: &str) -> (Vec<String>, u64) {
    let mut path = first.to_owned();
    let mut seen = Vec::new();
    loop {
        let page = app.get(&path, None).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        let total = page.body["total"].as_u64().unwrap();
        seen.extend(ids(&page.body));
        match page.body["next_cursor"].as_str() {
            Some(cursor) => path = format!("{first}&cursor={cursor}"),
            None => return (seen, total),
        }
    }
}

async fn results_page_in_one_order_sort_by_date_and_limit_anonymous_use(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    socorg::demo::load(&app.state, 60).await.unwrap();
    // Waits (signed in, so as not to use up the anonymous limit) until the index holds every
    // organisation and disclosure: it follows the database on its own.
    let token = app.platform_admin("searcher@example.org").await;
    let expected = documents_in_database(&app).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    let indexed = loop {
        let body = app.get("/api/v1/search?limit=1", Some(&token)).await.body;
        if body["total"].as_u64() == Some(expected) || Instant::now() > deadline {
            break body;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(indexed["total"].as_u64(), Some(expected), "{indexed}");

    // Paging by cursor: every match once, in one order, however often it is asked.
    let first = "/api/v1/search?q=服务&kind=organisation&limit=7";
    let (paged, total) = every_page(&app, first).await;
    assert!(total > 7, "{total}: too few matches to page");
    assert_eq!(paged.len() as u64, total);
    let unique: std::collections::HashSet<&String> = paged.iter().collect();
    assert_eq!(unique.len(), paged.len(), "a result came twice: {paged:?}");
    assert_eq!(every_page(&app, first).await.0, paged);
    let whole = app
        .get("/api/v1/search?q=服务&kind=organisation&limit=200", None)
        .await;
    assert_eq!(ids(&whole.body), paged);
    assert!(indexed["next_cursor"].is_string());

    // Newest first.
    let by_date = app
        .get("/api/v1/search?kind=disclosure&sort=date&limit=15", None)
        .await;
    let mut published = Vec::new();
    for id in ids(&by_date.body) {
        let disclosure = app.get(&format!("/api/v1/disclosures/{id}"), None).await;
        published.push(
            chrono::DateTime::parse_from_rfc3339(disclosure.body["published_at"].as_str().unwrap())
                .unwrap(),
        );
    }
    assert_eq!(published.len(), 15, "{}", by_date.text);
    assert!(
        published.windows(2).all(|pair| pair[0] >= pair[1]),
        "{published:?}"
    );

    // Ten kilobytes of text are still only text.
    let long = "长者a".repeat(2500);
    let response = app
        .client
        .get(app.url("/api/v1/search"))
        .query(&[("q", long.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    // Public reads answer any origin.
    let response = app
        .client
        .get(app.url("/api/v1/search?q=福田"))
        .header("Origin", "https://press.example.org")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let allowed = response
        .headers()
        .get("access-control-allow-origin")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    assert!(
        matches!(allowed.as_deref(), Some("*" | "https://press.example.org")),
        "{allowed:?}"
    );

    // Anonymous use is limited per address and minute; a token is not.
    app.clock.advance(chrono::Duration::minutes(2));
    let mut refused = None;
    for attempt in 0..200 {
        let response = app
            .client
            .get(app.url("/api/v1/search?q=福田"))
            .send()
            .await
            .unwrap();
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            refused = Some((attempt, response));
            break;
        }
        assert_eq!(response.status(), StatusCode::OK);
    }
    let (attempt, response) = refused.expect("anonymous searches were never limited");
    assert_eq!(attempt, 120, "the limit is 120 a minute");
    let retry_after: i64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/problem+json")
    );
    assert_eq!(
        app.get("/api/v1/search?q=福田", Some(&token)).await.status,
        StatusCode::OK
    );
    app.clock.advance(chrono::Duration::seconds(61));
    assert_eq!(
        app.get("/api/v1/search?q=福田", None).await.status,
        StatusCode::OK
    );
}

/// Organisations and disclosures in the database.
async fn documents_in_database(app: &TestApp) -> u64 {
    use sea_orm::{EntityTrait, PaginatorTrait};
    entities::organisation::Entity::find()
        .count(&app.state.db)
        .await
        .unwrap()
        + entities::disclosure::Entity::find()
            .count(&app.state.db)
            .await
            .unwrap()
}

async fn index_total(app: &TestApp, token: &str) -> u64 {
    let response = app.get("/api/v1/search?limit=1", Some(token)).await;
    response.body["total"].as_u64().expect(&response.text)
}

async fn converges(app: &TestApp) {
    let token = reader(app).await;
    let expected = documents_in_database(app).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while index_total(app, &token).await != expected && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        index_total(app, &token).await,
        expected,
        "the index holds exactly what the database holds"
    );
}

async fn a_crash_before_the_cursor_moves_loses_and_duplicates_nothing(backend: Backend) {
    let mut first = TestApp::spawn(backend).await;
    socorg::demo::load(&first.state, 40).await.unwrap();
    converges(&first).await;
    let cursor_file = first.data_dir.join("search/cursor");
    let old_cursor = std::fs::read_to_string(&cursor_file).unwrap();
    let platform = first.platform_admin("root@example.org").await;
    first
        .post(
            "/api/v1/tenants/futian/disclosures",
            Some(&platform),
            json!({ "title": "崩溃测试通知", "body": "索引提交之后、游标前进之前进程被杀。" }),
        )
        .await;
    let found = eventually(&first, "/api/v1/search?q=崩溃测试", |body| {
        body["total"] == 1
    })
    .await;
    assert_eq!(found["total"], 1);
    // As if the process died after the index commit but before the cursor was written.
    first.stop().await;
    std::fs::write(&cursor_file, old_cursor).unwrap();

    let second = first.spawn_beside(true).await;
    converges(&second).await;
    let again = app_search(&second, "崩溃测试").await;
    assert_eq!(again["total"], 1, "applied again, not twice: {again}");
    drop(second);
    drop(first);
}

/// `socorg serve` as a process of its own, on the test's database, with a search index in
/// `data_dir`.
fn serve_process(app: &TestApp, data_dir: &std::path::Path, port: u16, crash: bool) -> Child {
    Command::new(env!("CARGO_BIN_EXE_socorg"))
        .args([
            "serve",
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(data_dir)
        .env("SOCORG_DATABASE_URL", &app.database_url)
        .env("SOCORG_WORKER_IN_SERVE", "false")
        .env("SOCORG_CRASH_AFTER_INDEX_COMMIT", crash.to_string())
        .env("SOCORG_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start socorg serve")
}

/// The total of a search on a server process, once it answers.
async fn process_total(client: &reqwest::Client, port: u16, query: &str) -> Option<u64> {
    let response = client
        .get(format!(
            "http://127.0.0.1:{port}/api/v1/search?limit=1&{query}"
        ))
        .send()
        .await
        .ok()?;
    let body: Value = response.json().await.ok()?;
    body["total"].as_u64()
}

async fn a_process_killed_between_index_commit_and_cursor_recovers(backend: Backend) {
    // No jobs run meanwhile, so that the only change after the start is the one below.
    let app = TestApp::spawn_with(backend, |config| config.worker_in_serve = false).await;
    socorg::demo::load(&app.state, 20).await.unwrap();
    let folder = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = reqwest::Client::new();
    let expected = documents_in_database(&app).await;

    // The process rebuilds its missing index at start, then dies right after the first
    // change it commits to the index, before its cursor moves.
    let mut doomed = serve_process(&app, folder.path(), port, true);
    let deadline = Instant::now() + Duration::from_secs(60);
    while process_total(&client, port, "").await != Some(expected) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(process_total(&client, port, "").await, Some(expected));
    let platform = app.platform_admin("root@example.org").await;
    // The cursor settles once the rebuild's fence (PostgreSQL) has closed.
    let cursor_file = folder.path().join("search/cursor");
    let mut cursor_before = std::fs::read_to_string(&cursor_file).unwrap();
    loop {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let now = std::fs::read_to_string(&cursor_file).unwrap();
        if now == cursor_before && !folder.path().join("search/rebuild-fence").exists() {
            break;
        }
        cursor_before = now;
    }
    let posted = app
        .post(
            "/api/v1/tenants/futian/disclosures",
            Some(&platform),
            json!({ "title": "进程被杀测试通知", "body": "索引提交之后、游标前进之前进程终止。" }),
        )
        .await;
    assert_eq!(posted.status, StatusCode::CREATED, "{}", posted.text);
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = doomed.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the process did not die");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.code().is_none(), "killed by a signal: {status:?}");
    let cursor_after = std::fs::read_to_string(&cursor_file).unwrap();
    assert_eq!(cursor_after, cursor_before, "the cursor did not move");

    // Restarted, it reads the change again from its cursor and applies it without doubling:
    // the index holds exactly what the database holds.
    let mut restarted = serve_process(&app, folder.path(), port, false);
    let expected = documents_in_database(&app).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    while process_total(&client, port, "").await != Some(expected) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let total = process_total(&client, port, "").await;
    let found = process_total(&client, port, "q=进程被杀测试").await;
    restarted.kill().unwrap();
    restarted.wait().unwrap();
    assert_eq!(
        total,
        Some(expected),
        "the index holds what the database holds"
    );
    assert_eq!(found, Some(1));
}

async fn a_corrupt_or_outdated_index_is_rebuilt_at_start(backend: Backend) {
    let mut first = TestApp::spawn(backend).await;
    socorg::demo::load(&first.state, 20).await.unwrap();
    converges(&first).await;
    let folder = first.data_dir.join("search");
    first.stop().await;

    // Of another schema version: moved aside (a file left in it disappears) and rebuilt.
    std::fs::write(folder.join("schema-version"), "0").unwrap();
    std::fs::write(folder.join("left-behind"), "old").unwrap();
    let mut second = first.spawn_beside(true).await;
    assert!(
        !folder.join("left-behind").exists(),
        "the old index was replaced"
    );
    converges(&second).await;
    search_becomes_ready(&second).await;
    second.stop().await;

    // Unreadable: its metadata overwritten with garbage.
    std::fs::write(folder.join("meta.json"), "{ not json").unwrap();
    let third = first.spawn_beside(true).await;
    converges(&third).await;
    search_becomes_ready(&third).await;
    assert_eq!(
        std::fs::read_to_string(folder.join("schema-version")).unwrap(),
        search_index::SCHEMA_VERSION.to_string()
    );
}

/// Polls readiness until the search index is ready (it is committed a moment before the
/// rebuild is done).
async fn search_becomes_ready(app: &TestApp) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let ready = app.get("/readyz", None).await;
        if ready.body["search"] == "ok" || Instant::now() > deadline {
            assert_eq!(ready.body["search"], "ok", "{}", ready.text);
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn app_search(app: &TestApp, text: &str) -> Value {
    app.get(&format!("/api/v1/search?q={text}"), None)
        .await
        .body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_on_one_postgres_both_converge() {
    let first = TestApp::spawn(Backend::Postgres).await;
    let second = first.spawn_beside(false).await;
    socorg::demo::load(&first.state, 30).await.unwrap();
    converges(&first).await;
    converges(&second).await;
    let platform = first.platform_admin("root@example.org").await;
    first
        .post(
            "/api/v1/tenants/futian/disclosures",
            Some(&platform),
            json!({ "title": "双节点同步测试", "body": "两个节点都应找到本通知。" }),
        )
        .await;
    for node in [&first, &second] {
        let found = eventually(node, "/api/v1/search?q=双节点", |body| {
            body["total"] == 1
        })
        .await;
        assert_eq!(found["total"], 1, "{found}");
    }
    drop(second);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reindex_rebuilds_or_asks_the_running_server() {
    use sea_orm::ConnectionTrait;

    let mut app = TestApp::spawn(Backend::Sqlite).await;
    socorg::demo::load(&app.state, 20).await.unwrap();
    converges(&app).await;
    let (data_dir, database_url) = (app.data_dir.clone(), app.database_url.clone());
    let reindex = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_socorg"))
            .arg("reindex")
            .arg("--data-dir")
            .arg(&data_dir)
            .env("SOCORG_DATABASE_URL", &database_url)
            .env("SOCORG_LOG", "warn")
            .output()
            .expect("socorg reindex")
    };
    // Even when the running server's index is of another schema version than the command's
    // (an upgrade under way), the command leaves it alone and asks the server.
    let folder = data_dir.join("search");
    std::fs::write(folder.join("schema-version"), "0").unwrap();
    let asked = reindex();
    assert!(asked.status.success());
    assert!(String::from_utf8_lossy(&asked.stdout).contains("asked to rebuild"));
    assert!(
        folder.join("meta.json").exists(),
        "the server's index is left in place"
    );
    // The server rebuilds: its cursor passes the request once the rebuild is done.
    let requested = app
        .state
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.state.db.get_database_backend(),
            "SELECT max(id) AS id FROM search_changes",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "id")
        .unwrap();
    let service = app.state.search.clone().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while service.cursor() < requested && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(service.cursor() >= requested, "the server rebuilt");
    converges(&app).await;
    let expected = documents_in_database(&app).await;
    app.stop().await;
    let rebuilt = reindex();
    let printed = String::from_utf8_lossy(&rebuilt.stdout).into_owned();
    assert!(rebuilt.status.success(), "{printed}");
    assert!(
        printed.contains(&format!("search index rebuilt: {expected} documents")),
        "{printed}"
    );
}

/// A tailer of the test's own over an index in a folder of its own, rebuilt from the database.
async fn private_tailer(
    app: &TestApp,
) -> (
    tempfile::TempDir,
    std::sync::Arc<socorg::search::SearchService>,
    socorg::search::tailer::Tailer,
    u64,
) {
    let folder = tempfile::tempdir().unwrap();
    let service = std::sync::Arc::new(socorg::search::SearchService::open(folder.path()).unwrap());
    assert!(service.index.try_acquire_writer().unwrap());
    let mut tailer = socorg::search::tailer::Tailer::new(
        app.state.clone(),
        service.clone(),
        socorg::startup::SEARCH_SOURCES,
    );
    let rebuilt = tailer.rebuild().await.unwrap();
    (folder, service, tailer, rebuilt)
}

/// A search of the whole index, ten to a page.
fn search_index_for(
    service: &socorg::search::SearchService,
    text: &str,
) -> search_index::SearchResults {
    service
        .index
        .search(&search_index::SearchQuery {
            text: text.to_owned(),
            limit: 10,
            ..search_index::SearchQuery::default()
        })
        .unwrap()
}

/// Drives a private tailer over its own index, one round at a time, until `done` holds.
async fn tick_until(
    tailer: &mut socorg::search::tailer::Tailer,
    patience: Duration,
    done: impl Fn(&socorg::search::tailer::Tailer) -> bool,
) {
    let deadline = Instant::now() + patience;
    while !done(tailer) && Instant::now() < deadline {
        tailer.tick().await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn append_change(db: &impl sea_orm::ConnectionTrait, object_id: &str) -> i64 {
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            format!(
                "INSERT INTO search_changes (kind, object_id, created_at) \
                 VALUES ('organisation', '{object_id}', now()) RETURNING id"
            ),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get("", "id").unwrap()
}

/// Renames an organisation and appends its change, in `db`'s transaction; the change's id.
async fn rename(db: &impl sea_orm::ConnectionTrait, id: &str, name: &str) -> i64 {
    db.execute_unprepared(&format!(
        "UPDATE organisations SET name = '{name}' WHERE id = '{id}'"
    ))
    .await
    .unwrap();
    append_change(db, id).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_that_commits_after_a_higher_one_is_applied_however_long_it_takes() {
    use sea_orm::{ConnectionTrait, TransactionTrait};

    let app = TestApp::spawn(Backend::Postgres).await;
    socorg::demo::load(&app.state, 5).await.unwrap();
    let owner = app.owner_connection().await;
    let ids: Vec<String> = owner
        .query_all_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT id::text AS id FROM organisations WHERE status = 'registered' \
             ORDER BY id LIMIT 2",
        ))
        .await
        .unwrap()
        .iter()
        .map(|row| row.try_get::<String>("", "id").unwrap())
        .collect();
    let (_folder, service, mut tailer, _) = private_tailer(&app).await;
    tick_until(&mut tailer, Duration::from_millis(500), |_| false).await;
    let found = |text: &str| search_index_for(&service, text).total;

    // A slow transaction renames an organisation and takes an id; a quick one takes the next.
    let slow = owner.begin().await.unwrap();
    let late = rename(&slow, &ids[0], "迟到提交测试协会").await;
    let quick = append_change(&owner, &ids[1]).await;
    assert!(quick > late);
    // Well past the moment a gap is fenced, the open transaction still holds the watermark.
    tick_until(&mut tailer, Duration::from_secs(3), |tailer| {
        tailer.watermark() >= quick
    })
    .await;
    assert_eq!(tailer.watermark(), late - 1, "the gap is waited for");
    slow.commit().await.unwrap();
    tick_until(&mut tailer, Duration::from_secs(15), |tailer| {
        tailer.watermark() >= quick
    })
    .await;
    assert_eq!(tailer.watermark(), quick);
    assert_eq!(found("迟到提交"), 1, "the late commit was applied");

    // More gaps than a tick looks for again (a bulk import's transaction): those beyond the
    // first batch are looked for by later ticks, not taken for rolled back when it commits.
    let slow = owner.begin().await.unwrap();
    slow.execute_unprepared(&format!(
        "INSERT INTO search_changes (kind, object_id, created_at) \
         SELECT 'organisation', '{}', now() FROM generate_series(1, 1200)",
        ids[1]
    ))
    .await
    .unwrap();
    let late = rename(&slow, &ids[0], "大批迟到提交协会").await;
    let quick = append_change(&owner, &ids[1]).await;
    tick_until(&mut tailer, Duration::from_secs(3), |tailer| {
        tailer.watermark() >= quick
    })
    .await;
    assert!(tailer.watermark() < late - 1000, "the gaps are waited for");
    slow.commit().await.unwrap();
    tick_until(&mut tailer, Duration::from_secs(15), |tailer| {
        tailer.watermark() >= quick
    })
    .await;
    assert_eq!(tailer.watermark(), quick);
    assert_eq!(
        found("大批迟到"),
        1,
        "a change beyond the first batch of gaps was applied"
    );

    // An id whose transaction rolled back is passed once that transaction has ended.
    let doomed = owner.begin().await.unwrap();
    let lost = append_change(&doomed, &ids[0]).await;
    doomed.rollback().await.unwrap();
    let after = append_change(&owner, &ids[1]).await;
    assert!(after > lost);
    tick_until(&mut tailer, Duration::from_secs(15), |tailer| {
        tailer.watermark() >= after
    })
    .await;
    assert_eq!(
        tailer.watermark(),
        after,
        "a rolled-back id does not hold the cursor"
    );

    // A rebuild while a transaction holds a low id, with many changes committed above it: the
    // late commit is applied once that transaction has ended.
    let slow = owner.begin().await.unwrap();
    let late = rename(&slow, &ids[0], "重建期间提交协会").await;
    owner
        .execute_unprepared(&format!(
            "INSERT INTO search_changes (kind, object_id, created_at) \
             SELECT 'organisation', '{}', now() FROM generate_series(1, 1500)",
            ids[1]
        ))
        .await
        .unwrap();
    tailer.rebuild().await.unwrap();
    assert!(tailer.watermark() >= late + 1500);
    assert_eq!(found("重建期间"), 0, "not committed yet");
    slow.commit().await.unwrap();
    tick_until(&mut tailer, Duration::from_secs(15), |_| {
        found("重建期间") == 1
    })
    .await;
    assert_eq!(
        found("重建期间"),
        1,
        "the commit during the rebuild was applied"
    );
}

/// Anonymous searches from `forwarded_for` until the first `429`; how many were answered.
async fn answered_before_limit(app: &TestApp, forwarded_for: &str) -> usize {
    for answered in 0..200 {
        let response = app
            .client
            .get(app.url("/api/v1/search?q=%E7%A6%8F%E7%94%B0&limit=1"))
            .header("x-forwarded-for", forwarded_for)
            .send()
            .await
            .unwrap();
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            return answered;
        }
        assert_eq!(response.status(), StatusCode::OK);
    }
    200
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_trusted_proxy_each_client_has_its_own_allowance() {
    // Behind our proxy (the tests' 127.0.0.1), the forwarded client counts.
    let proxied = TestApp::spawn_with(Backend::Sqlite, |config| {
        config.trusted_proxies = socorg::ratelimit::TrustedProxies::parse("127.0.0.1").unwrap();
    })
    .await;
    assert_eq!(answered_before_limit(&proxied, "203.0.113.1").await, 120);
    assert_eq!(
        answered_before_limit(&proxied, "198.51.100.99, 203.0.113.2").await,
        120,
        "another client, whatever it claims further left"
    );
    // Without a trusted proxy the header is anyone's word: one peer, one allowance.
    let direct = TestApp::spawn(Backend::Sqlite).await;
    assert_eq!(answered_before_limit(&direct, "203.0.113.1").await, 120);
    assert_eq!(answered_before_limit(&direct, "203.0.113.2").await, 0);
}

/// The tailer removes what the database no longer has: a change for an object that is gone
/// (an operator deleted it, or it was never public) takes its document out of the index, and
/// the page, total and facets no longer count it.
async fn a_document_the_database_no_longer_has_leaves_the_index(backend: Backend) {
    use sea_orm::{ActiveModelTrait, Set};

    let app = TestApp::spawn(backend).await;
    socorg::demo::load(&app.state, 5).await.unwrap();
    let (_folder, service, mut tailer, rebuilt) = private_tailer(&app).await;
    assert!(rebuilt > 0);
    let search = |text: &str| search_index_for(&service, text);
    // A document the database does not hold, as an index left behind would have it.
    let gone = uuid::Uuid::new_v4().to_string();
    service
        .index
        .upsert(&[search_index::SearchDocument {
            kind: Some(search_index::Kind::Organisation),
            id: gone.clone(),
            tenant: "futian".to_owned(),
            tenant_path: vec!["futian".to_owned()],
            title: "已撤销测试协会".to_owned(),
            body: "已撤销测试。".to_owned(),
            status: Some("registered".to_owned()),
            ..search_index::SearchDocument::default()
        }])
        .unwrap();
    service.index.commit().unwrap();
    let before = search("已撤销测试");
    assert_eq!(before.total, 1);
    assert_eq!(before.facets["tenant"]["futian"], 1);
    let everything = service.index.len();

    let change = entities::search_change::ActiveModel {
        kind: Set("organisation".to_owned()),
        object_id: Set(gone.clone()),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(&app.state.db)
    .await
    .unwrap();
    tick_until(&mut tailer, Duration::from_secs(15), |tailer| {
        tailer.watermark() >= change.id
    })
    .await;
    assert!(tailer.watermark() >= change.id);
    let after = search("已撤销测试");
    assert_eq!(after.total, 0, "{:?}", after.hits);
    assert!(after.hits.is_empty());
    assert!(after.facets["tenant"].is_empty(), "{:?}", after.facets);
    assert_eq!(service.index.len(), everything - 1);
}

/// A rebuild whose reading fails part way (here: the notices' table is gone) leaves the index
/// as it was, even after the next commit: nothing of the cleared, half-written one is kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rebuild_that_fails_part_way_leaves_the_index_as_it_was() {
    use sea_orm::ConnectionTrait;

    let app = TestApp::spawn(Backend::Sqlite).await;
    socorg::demo::load(&app.state, 5).await.unwrap();
    // The next rebuild waits for the compaction this one starts, which commits what it finds.
    let (_folder, service, mut tailer, rebuilt) = private_tailer(&app).await;
    assert!(rebuilt > 0);
    assert_eq!(service.index.len(), rebuilt);
    app.state
        .db
        .execute_unprepared("ALTER TABLE disclosures RENAME TO disclosures_away")
        .await
        .unwrap();
    let failed = tailer.rebuild().await;
    app.state
        .db
        .execute_unprepared("ALTER TABLE disclosures_away RENAME TO disclosures")
        .await
        .unwrap();
    assert!(failed.is_err(), "{failed:?}");
    service.index.commit().unwrap();
    assert_eq!(service.index.len(), rebuilt);
    assert_eq!(tailer.rebuild().await.unwrap(), rebuilt);
}

//! Moving a register in and out: import checks every row and writes all or nothing, export
//! writes what import reads, and the command line does the same.

use std::collections::BTreeSet;

use reqwest::StatusCode;
use serde_json::Value;
use socorg::types::Uscc;

use crate::helpers::{Backend, TestApp, TestResponse};

crate::on_both_databases!(
    an_export_imports_again_into_a_fresh_register,
    a_file_with_bad_rows_is_reported_line_by_line_and_writes_nothing,
    records_made_in_socorg_export_and_import_again,
    a_name_that_is_a_formula_exports_as_text_and_imports_unchanged,
);

const HEADER: &str = "name,uscc,type,address,legal_representative,service_areas,founded_on,registered_funds_fen,status,status_reason,status_date";

fn code(serial: u32) -> String {
    Uscc::issue('2', "440304", serial)
        .expect("a code")
        .to_string()
}

/// A valid register of `count` organisations, in CSV.
fn register(count: u32, first_serial: u32) -> String {
    let mut file = format!("{HEADER}\n");
    let statuses = [
        ("registered", "", ""),
        ("abnormal", "未按规定报送年度工作报告", "2024-07-01"),
        ("deregistered", "自行解散", "2023-03-15"),
        ("revoked", "\"连续两年未参加年检, 撤销登记\"", "2022-09-30"),
    ];
    for index in 0..count {
        let (status, reason, date) = statuses[index as usize % statuses.len()];
        file.push_str(&format!(
            "深圳市福田区第{index}号导入测试协会,{},social_group,\"深圳市福田区福华路{index}号, 二楼\",张{index},养老;社区服务,2010-0{}-1{},{},{status},{reason},{date}\n",
            code(first_serial + index),
            1 + index % 9,
            index % 10,
            100_000 * u64::from(index + 1),
        ));
    }
    file
}

async fn import(
    app: &TestApp,
    token: &str,
    slug: &str,
    query: &str,
    content_type: &str,
    body: impl Into<reqwest::Body>,
) -> TestResponse {
    let response = reqwest::Client::new()
        .post(app.url(&format!(
            "/api/v1/tenants/{slug}/organisations/import{query}"
        )))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    TestResponse::read(response).await
}

async fn export(app: &TestApp, query: &str) -> TestResponse {
    app.get(&format!("/api/v1/organisations/export{query}"), None)
        .await
}

/// The data rows of a CSV export, as a set (exports list the newest first).
fn rows(csv: &str) -> BTreeSet<Vec<String>> {
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(headers.join(","), HEADER);
    reader
        .records()
        .map(|record| record.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

/// A new server with an empty `futian` register that imports `file`, expecting `imported` rows.
async fn import_into_fresh_register(
    backend: Backend,
    content_type: &str,
    file: &str,
    imported: u64,
) -> TestApp {
    let fresh = TestApp::spawn(backend).await;
    let root = fresh.platform_admin("root@example.org").await;
    fresh.create_tenant(&root, "futian", "440304", None).await;
    let taken = import(&fresh, &root, "futian", "", content_type, file.to_owned()).await;
    assert_eq!(taken.status, StatusCode::OK, "{}", taken.text);
    assert_eq!(taken.body["imported"], imported);
    fresh
}

async fn an_export_imports_again_into_a_fresh_register(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let root = app.platform_admin("root@example.org").await;
    app.create_tenant(&root, "futian", "440304", None).await;
    let file = register(24, 1);

    let checked = import(
        &app,
        &root,
        "futian",
        "?dry_run=true",
        "text/csv",
        file.clone(),
    )
    .await;
    assert_eq!(checked.status, StatusCode::OK, "{}", checked.text);
    assert_eq!(checked.body["valid"], 24);
    assert_eq!(checked.body["imported"], 0);
    assert_eq!(rows(&export(&app, "?tenant=futian").await.text).len(), 0);

    let imported = import(&app, &root, "futian", "", "text/csv", file.clone()).await;
    assert_eq!(imported.status, StatusCode::OK, "{}", imported.text);
    assert_eq!(imported.body["imported"], 24);
    let exported = export(&app, "?tenant=futian").await;
    assert_eq!(exported.status, StatusCode::OK);
    assert!(exported.content_type().starts_with("text/csv"));
    assert_eq!(rows(&exported.text), rows(&file), "export = import");
    // The list filters apply to the download.
    let revoked = rows(&export(&app, "?tenant=futian&status=revoked").await.text);
    assert_eq!(revoked.len(), 6);
    assert!(revoked.iter().all(|row| row[8] == "revoked"));
    // Imports announce nothing; the history says where the record came from.
    let disclosures = app.get("/api/v1/disclosures?tenant=futian", None).await;
    assert_eq!(disclosures.body["items"].as_array().map(Vec::len), Some(0));

    // The same file again: every row is a duplicate, nothing doubles.
    let again = import(&app, &root, "futian", "", "text/csv", file.clone()).await;
    again.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(again.problem_fields().len(), 24 + 12, "{}", again.text);
    assert!(again.problem_fields().contains(&"lines[2].uscc".to_owned()));
    assert!(again.problem_fields().contains(&"lines[2].name".to_owned()));
    assert_eq!(rows(&export(&app, "?tenant=futian").await.text).len(), 24);

    // JSON lines export; a fresh register takes it back.
    let jsonl = export(&app, "?tenant=futian&format=jsonl").await;
    assert_eq!(jsonl.content_type(), "application/x-ndjson");
    let fresh = import_into_fresh_register(backend, "application/x-ndjson", &jsonl.text, 24).await;
    assert_eq!(
        rows(&export(&fresh, "?tenant=futian").await.text),
        rows(&file)
    );
    // Imported organisations show in search once indexed.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let found = fresh.get("/api/v1/search?q=第7号导入测试", None).await.body;
        if found["total"] == 1 || std::time::Instant::now() > deadline {
            assert_eq!(found["total"], 1, "{found}");
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// Organisations recorded through the API (without a founding date, with a reason over two
/// lines once abnormal) export into a file that a fresh register imports; anonymous downloads
/// are limited per address.
async fn records_made_in_socorg_export_and_import_again(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let root = app.platform_admin("root@example.org").await;
    app.create_tenant(&root, "futian", "440304", None).await;
    let recorded = app
        .post(
            "/api/v1/tenants/futian/organisations",
            Some(&root),
            serde_json::json!({
                "uscc": code(901),
                "name": "深圳市福田区老街坊协会",
                "type": "social_group",
                "address": "深圳市福田区",
                "legal_representative": "李四",
                "service_areas": ["社区服务"],
                "registered_funds_fen": 3_000_000,
            }),
        )
        .await;
    assert_eq!(recorded.status, StatusCode::CREATED, "{}", recorded.text);
    let id = recorded.body["id"].as_str().unwrap().to_owned();
    let listed = app
        .post(
            &format!("/api/v1/organisations/{id}/abnormal"),
            Some(&root),
            serde_json::json!({ "reason": "未按规定报送年度工作报告；\n经催告仍未报送" }),
        )
        .await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.text);

    let exported = export(&app, "?tenant=futian").await;
    let fresh = import_into_fresh_register(backend, "text/csv", &exported.text, 1).await;
    let fresh_root = fresh.platform_admin("other@example.org").await;
    assert_eq!(
        rows(&export(&fresh, "?tenant=futian").await.text),
        rows(&exported.text)
    );

    // Ten anonymous downloads a minute; then 429 with Retry-After; signed in, no limit.
    let mut statuses = Vec::new();
    for _ in 0..12 {
        statuses.push(export(&fresh, "?tenant=futian").await.status);
    }
    // One download above was anonymous too.
    assert_eq!(
        statuses
            .iter()
            .filter(|status| **status == StatusCode::OK)
            .count(),
        9
    );
    let refused = fresh
        .client
        .get(fresh.url("/api/v1/organisations/export"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers().contains_key("retry-after"));
    let signed_in = fresh
        .get(
            "/api/v1/organisations/export?tenant=futian",
            Some(&fresh_root),
        )
        .await;
    assert_eq!(signed_in.status, StatusCode::OK);
}

async fn a_file_with_bad_rows_is_reported_line_by_line_and_writes_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let root = app.platform_admin("root@example.org").await;
    app.create_tenant(&root, "futian", "440304", None).await;
    let good = code(1);
    let mut wrong_check = code(2);
    wrong_check.replace_range(17.., if wrong_check.ends_with('0') { "1" } else { "0" });
    let file = format!(
        "{HEADER}\n\
         甲协会,{good},social_group,福田区,张三,养老,2015-03-01,100,registered,,\n\
         乙协会,{wrong_check},social_group,福田区,李四,养老,2015-03-01,100,registered,,\n\
         丙协会,{},club,福田区,王五,养老,2015-03-01,100,registered,,\n\
         \"丁\n协会\",{},social_group,福田区,赵六,养老,2015-03-01,100,registered,,\n\
         戊协会,{good},social_group,福田区,钱七,养老,2015-03-01,100,registered,,\n\
         己协会,{},social_group,福田区,孙八,养老,2999-01-01,-1,registered,,\n\
         甲协会,{},social_group,福田区,周九,养老,2015-03-01,100,abnormal,,2016-01-01\n",
        code(3),
        code(4),
        code(5),
        code(6),
    );
    let refused = import(&app, &root, "futian", "", "text/csv", file.clone()).await;
    refused.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let fields: BTreeSet<String> = refused.problem_fields().into_iter().collect();
    let expected: BTreeSet<String> = [
        "lines[3].uscc",
        "lines[4].type",
        "lines[5].name",
        "lines[7].uscc",
        "lines[8].founded_on",
        "lines[8].registered_funds_fen",
        "lines[9].name",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    assert_eq!(fields, expected, "{}", refused.text);
    assert_eq!(rows(&export(&app, "?tenant=futian").await.text).len(), 0);

    // Only registry administrators import; others are refused before the file is read.
    let (_, clerk) = app
        .tenant_user(
            &root,
            "futian",
            "clerk@example.org",
            &["procurement_officer"],
        )
        .await;
    import(&app, &clerk, "futian", "", "text/csv", file.clone())
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");

    // Good rows only, when asked (a name over two lines is no name).
    let partial = import(
        &app,
        &root,
        "futian",
        "?skip_invalid=true",
        "text/csv",
        file,
    )
    .await;
    assert_eq!(partial.status, StatusCode::OK, "{}", partial.text);
    assert_eq!(partial.body["imported"], 1, "{}", partial.text);
    let lines: BTreeSet<u64> = partial.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|error| error["line"].as_u64())
        .collect();
    assert_eq!(lines, BTreeSet::from([3, 4, 5, 7, 8, 9]));
    let names: BTreeSet<String> = rows(&export(&app, "?tenant=futian").await.text)
        .into_iter()
        .map(|row| row[0].clone())
        .collect();
    assert_eq!(names, BTreeSet::from(["甲协会".to_owned()]));

    // A byte-order mark and Windows line endings.
    let windows = format!("\u{FEFF}{}", register(3, 100).replace('\n', "\r\n"));
    let taken = import(&app, &root, "futian", "", "text/csv", windows).await;
    assert_eq!(taken.status, StatusCode::OK, "{}", taken.text);
    assert_eq!(taken.body["imported"], 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_imports_and_exports() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let root = app.platform_admin("root@example.org").await;
    app.create_tenant(&root, "futian", "440304", None).await;
    let folder = tempfile::tempdir().unwrap();
    let bad = folder.path().join("bad.csv");
    std::fs::write(
        &bad,
        format!(
            "{HEADER}\n甲协会,{},social_group,福田区,张三,养老,2015-03-01,100,registered,,\n乙协会,123,social_group,福田区,李四,养老,2015-03-01,100,registered,,\n",
            code(1)
        ),
    )
    .unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_socorg"))
            .args(args)
            .arg("--data-dir")
            .arg(&app.data_dir)
            .env("SOCORG_DATABASE_URL", &app.database_url)
            .env("SOCORG_LOG", "warn")
            .output()
            .unwrap()
    };
    let refused = run(&[
        "import",
        "organisations",
        bad.to_str().unwrap(),
        "--tenant",
        "futian",
    ]);
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("line 3: uscc:"), "{stderr}");
    assert!(String::from_utf8_lossy(&refused.stdout).contains("nothing was written"));

    let good = folder.path().join("good.csv");
    let file = register(10, 200);
    std::fs::write(&good, &file).unwrap();
    // A dry run checks and writes nothing.
    let checked = run(&[
        "import",
        "organisations",
        good.to_str().unwrap(),
        "--tenant",
        "futian",
        "--dry-run",
    ]);
    assert!(checked.status.success());
    assert!(String::from_utf8_lossy(&checked.stdout).contains("would import 10"));
    let none = run(&["export", "organisations", "--tenant", "futian"]);
    assert_eq!(rows(&String::from_utf8_lossy(&none.stdout)).len(), 0);
    // Skipping the bad rows imports the good one and still reports (and fails on) the bad.
    let skipped = run(&[
        "import",
        "organisations",
        bad.to_str().unwrap(),
        "--tenant",
        "futian",
        "--skip-invalid",
    ]);
    assert!(!skipped.status.success());
    assert!(String::from_utf8_lossy(&skipped.stderr).contains("line 3: uscc:"));
    let one = run(&["export", "organisations", "--tenant", "futian"]);
    let one = rows(&String::from_utf8_lossy(&one.stdout));
    assert_eq!(one.len(), 1);
    assert!(one.iter().all(|row| row[0] == "甲协会"));
    let imported = run(&[
        "import",
        "organisations",
        good.to_str().unwrap(),
        "--tenant",
        "futian",
    ]);
    assert!(
        imported.status.success(),
        "{}",
        String::from_utf8_lossy(&imported.stderr)
    );
    let exported = run(&["export", "organisations", "--tenant", "futian"]);
    assert!(exported.status.success());
    let mut expected = rows(&file);
    expected.extend(one);
    assert_eq!(rows(&String::from_utf8_lossy(&exported.stdout)), expected);
    let jsonl = run(&["export", "organisations", "--format", "jsonl"]);
    let lines: Vec<Value> = String::from_utf8_lossy(&jsonl.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 11);
    assert!(
        lines
            .iter()
            .all(|line| line["registered_funds_fen"].is_u64())
    );
}

async fn a_name_that_is_a_formula_exports_as_text_and_imports_unchanged(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let root = app.platform_admin("root@example.org").await;
    app.create_tenant(&root, "futian", "440304", None).await;
    let formula = "=cmd|'/C calc'!A0";
    let record = |name: &str, serial: u32| {
        serde_json::json!({
            "uscc": code(serial),
            "name": name,
            "type": "social_group",
            "address": "@深圳市福田区",
            "legal_representative": "+李四",
            "service_areas": ["社区服务"],
            "registered_funds_fen": 3_000_000,
        })
    };
    let recorded = app
        .post(
            "/api/v1/tenants/futian/organisations",
            Some(&root),
            record(formula, 902),
        )
        .await;
    assert_eq!(recorded.status, StatusCode::CREATED, "{}", recorded.text);

    let exported = export(&app, "?tenant=futian&format=csv").await;
    let row = rows(&exported.text).into_iter().next().unwrap();
    assert_eq!(
        row[0],
        format!("'{formula}"),
        "a spreadsheet shows it as text"
    );
    assert_eq!(row[3], "'@深圳市福田区");
    assert_eq!(row[4], "'+李四");
    let fresh = import_into_fresh_register(backend, "text/csv", &exported.text, 1).await;
    let listed = fresh.get("/api/v1/organisations?tenant=futian", None).await;
    assert_eq!(listed.body["items"][0]["name"], formula, "{}", listed.text);
    assert_eq!(listed.body["items"][0]["address"], "@深圳市福田区");

    // Direction overrides and zero-width characters are refused, the field named.
    let hidden = app
        .post(
            "/api/v1/tenants/futian/organisations",
            Some(&root),
            record("深圳市\u{202e}会协工社", 903),
        )
        .await;
    hidden.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(hidden.problem_fields(), vec!["name".to_owned()]);
}

//! Documents on the local file system and on a real S3-compatible server, each on SQLite and
//! PostgreSQL: upload limits, content types, hostile names, tenant isolation, integrity checks,
//! deletion by job and presigned links.

use reqwest::StatusCode;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::{
    helpers::{Backend, TestApp, TestResponse},
    services::S3Server,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Store {
    Local,
    S3,
}

macro_rules! on_every_store {
    ($($name:ident),* $(,)?) => {
        mod local_sqlite { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(crate::helpers::Backend::Sqlite, super::Store::Local).await; } )* }
        mod local_postgres { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(crate::helpers::Backend::Postgres, super::Store::Local).await; } )* }
        mod s3_sqlite { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(crate::helpers::Backend::Sqlite, super::Store::S3).await; } )* }
        mod s3_postgres { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { super::$name(crate::helpers::Backend::Postgres, super::Store::S3).await; } )* }
    };
}

on_every_store!(
    upload_download_and_delete,
    limits_and_types_are_enforced,
    hostile_names_are_harmless,
    private_documents_stay_in_their_tenant,
    damaged_content_is_detected,
    presigned_links_only_for_public_documents_in_s3,
);

const LIMIT: u64 = 64 * 1024;

struct World {
    app: TestApp,
    s3: Option<S3Server>,
    admin: String,
}

async fn world(backend: Backend, store: Store) -> World {
    let s3 = match store {
        Store::Local => None,
        Store::S3 => Some(S3Server::start().await),
    };
    let app = TestApp::spawn_with(backend, |config| {
        config.max_upload_bytes = LIMIT;
        if let Some(s3) = &s3 {
            s3.configure(config);
        }
    })
    .await;
    let admin = app.platform_admin("root@example.org").await;
    app.create_tenant(&admin, "futian", "440304", None).await;
    World { app, s3, admin }
}

fn pdf(size: usize) -> Vec<u8> {
    let mut bytes = b"%PDF-1.7\n".to_vec();
    bytes.resize(size, b'x');
    bytes
}

fn png() -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend_from_slice(&[0x42; 200]);
    bytes
}

async fn upload_raw(
    app: &TestApp,
    token: &str,
    query: &str,
    content_type: &str,
    bytes: Vec<u8>,
) -> TestResponse {
    let response = app
        .client
        .post(app.url(&format!("/api/v1/tenants/futian/documents?{query}")))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(bytes)
        .send()
        .await
        .unwrap();
    TestResponse::read(response).await
}

async fn upload_form(
    app: &TestApp,
    token: &str,
    file_name: &str,
    content_type: &str,
    bytes: Vec<u8>,
) -> TestResponse {
    let part = reqwest::multipart::Part::bytes(bytes)
        .file_name(file_name.to_owned())
        .mime_str(content_type)
        .unwrap();
    let form = reqwest::multipart::Form::new()
        .text("note", "ignored")
        .part("file", part);
    let response = app
        .client
        .post(app.url("/api/v1/tenants/futian/documents?visibility=public"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    TestResponse::read(response).await
}

fn stored_objects(world: &World) -> usize {
    match &world.s3 {
        Some(s3) => s3.object_count(),
        None => walk(&world.app.data_dir.join("documents")),
    }
}

/// Files of documents under `path` (the server's own objects, in `_internal`, are not).
fn walk(path: &std::path::Path) -> usize {
    std::fs::read_dir(path)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| {
                    if entry.file_name() == "_internal" {
                        0
                    } else if entry.path().is_dir() {
                        walk(&entry.path())
                    } else {
                        1
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

fn object_path(world: &World, key: &str) -> std::path::PathBuf {
    match &world.s3 {
        Some(s3) => s3.object_path(key),
        None => world.app.state.documents.local_path(key).unwrap(),
    }
}

async fn storage_key(world: &World, id: &str) -> String {
    use sea_orm::EntityTrait;
    entities::document::Entity::find_by_id(uuid::Uuid::parse_str(id).unwrap())
        .one(&world.app.state.db)
        .await
        .unwrap()
        .unwrap()
        .storage_key
}

async fn upload_download_and_delete(backend: Backend, store: Store) {
    let world = world(backend, store).await;
    let app = &world.app;
    let content = pdf(5000);
    let created = upload_raw(
        app,
        &world.admin,
        "file_name=章程.pdf",
        "application/pdf",
        content.clone(),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(created.body["content_type"], "application/pdf");
    assert_eq!(created.body["size_bytes"], 5000);
    assert_eq!(
        created.body["sha256"],
        hex::encode(Sha256::digest(&content))
    );
    assert_eq!(created.body["file_name"], "章程.pdf");
    assert_eq!(created.body["visibility"], "private");
    let id = created.body["id"].as_str().unwrap().to_owned();
    let key = storage_key(&world, &id).await;
    assert!(
        !key.contains("章程") && key.len() == 32,
        "server-generated key: {key}"
    );
    assert_eq!(stored_objects(&world), 1);

    let download = app
        .client
        .get(app.url(&format!("/api/v1/documents/{id}/content")))
        .bearer_auth(&world.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(download.status(), StatusCode::OK);
    assert_eq!(download.headers()["content-type"], "application/pdf");
    assert_eq!(download.headers()["x-content-type-options"], "nosniff");
    let disposition = download.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    assert!(
        disposition.contains("filename*=UTF-8''%E7%AB%A0%E7%A8%8B%2Epdf"),
        "{disposition}"
    );
    assert_eq!(download.bytes().await.unwrap().to_vec(), content);

    let meta = app
        .get(&format!("/api/v1/documents/{id}"), Some(&world.admin))
        .await;
    assert_eq!(meta.body["id"], id.as_str());

    let deleted = app
        .delete(&format!("/api/v1/documents/{id}"), Some(&world.admin))
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.text);
    app.get(&format!("/api/v1/documents/{id}"), Some(&world.admin))
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(stored_objects(&world), 1, "the bytes go by a job");
    assert_eq!(app.run_jobs().await.succeeded, 1);
    assert_eq!(stored_objects(&world), 0);
}

async fn limits_and_types_are_enforced(backend: Backend, store: Store) {
    let world = world(backend, store).await;
    let app = &world.app;
    let limit = usize::try_from(LIMIT).unwrap();

    let exact = upload_raw(app, &world.admin, "", "application/pdf", pdf(limit)).await;
    assert_eq!(exact.status, StatusCode::CREATED, "{}", exact.text);
    let over = upload_raw(app, &world.admin, "", "application/pdf", pdf(limit + 1)).await;
    over.assert_problem(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");

    // Streamed without a length, the limit holds while reading.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = pdf(limit + 1)
        .chunks(4096)
        .map(|chunk| Ok(chunk.to_vec()))
        .collect();
    let streamed = app
        .client
        .post(app.url("/api/v1/tenants/futian/documents"))
        .bearer_auth(&world.admin)
        .header("content-type", "application/pdf")
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .unwrap();
    TestResponse::read(streamed)
        .await
        .assert_problem(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");

    let disguised = upload_raw(
        app,
        &world.admin,
        "file_name=x.pdf",
        "application/pdf",
        png(),
    )
    .await;
    disguised.assert_problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "content_mismatch");
    let executable = upload_raw(
        app,
        &world.admin,
        "",
        "application/octet-stream",
        b"MZ\x90\x00\x03\x00\x00\x00".to_vec(),
    )
    .await;
    executable.assert_problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_type");
    let empty = upload_raw(app, &world.admin, "", "text/plain", Vec::new()).await;
    empty.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");

    // Undeclared type: judged by content alone.
    let text = upload_raw(
        app,
        &world.admin,
        "",
        "application/octet-stream",
        "年度工作报告\n".as_bytes().to_vec(),
    )
    .await;
    assert_eq!(text.status, StatusCode::CREATED);
    assert_eq!(text.body["content_type"], "text/plain");

    assert_eq!(
        stored_objects(&world),
        2,
        "refused uploads left nothing behind"
    );
    let leftovers = std::fs::read_dir(app.data_dir.join("tmp"))
        .map(|entries| entries.count())
        .unwrap_or(0);
    assert_eq!(leftovers, 0, "no temporary files remain");
}

async fn hostile_names_are_harmless(backend: Backend, store: Store) {
    let world = world(backend, store).await;
    let app = &world.app;
    let long = format!("{}.png", "长".repeat(300));
    let cases: [(&str, &str); 3] = [
        ("../../../etc/passwd.png", "passwd.png"),
        ("evil\u{202E}gnp.exe.png", "evilgnp.exe.png"),
        (&long, ""),
    ];
    for (name, expected) in cases {
        let created = upload_form(app, &world.admin, name, "image/png", png()).await;
        assert_eq!(
            created.status,
            StatusCode::CREATED,
            "{name:?}: {}",
            created.text
        );
        let stored = created.body["file_name"].as_str().unwrap();
        if expected.is_empty() {
            assert_eq!(stored.chars().count(), 200);
            assert!(stored.ends_with(".png"));
        } else {
            assert_eq!(stored, expected);
        }
        let id = created.body["id"].as_str().unwrap();
        let download = app
            .client
            .get(app.url(&format!("/api/v1/documents/{id}/content")))
            .send()
            .await
            .unwrap();
        assert_eq!(download.status(), StatusCode::OK, "public document");
        let disposition = download.headers()["content-disposition"].to_str().unwrap();
        assert!(
            !disposition.contains('\r')
                && !disposition.contains('\n')
                && !disposition.contains("..")
        );
    }
    // Control characters cannot even be framed in a multipart header; in a raw upload's query
    // they arrive and are removed.
    let raw = upload_raw(
        app,
        &world.admin,
        "file_name=line%0D%0Abreak%00.png",
        "image/png",
        png(),
    )
    .await;
    assert_eq!(raw.status, StatusCode::CREATED, "{}", raw.text);
    assert_eq!(raw.body["file_name"], "linebreak.png");
    // Nothing was written outside the store.
    assert!(!app.data_dir.join("etc").exists());
}

async fn private_documents_stay_in_their_tenant(backend: Backend, store: Store) {
    let world = world(backend, store).await;
    let app = &world.app;
    app.create_tenant(&world.admin, "luohu", "440303", None)
        .await;
    let (_, luohu_admin) = app
        .tenant_user(
            &world.admin,
            "luohu",
            "luohu@example.org",
            &["registry_admin"],
        )
        .await;
    let (_, futian_assessor) = app
        .tenant_user(
            &world.admin,
            "futian",
            "assessor@example.org",
            &["assessor"],
        )
        .await;
    let created = upload_raw(
        app,
        &world.admin,
        "visibility=private",
        "application/pdf",
        pdf(100),
    )
    .await;
    let id = created.body["id"].as_str().unwrap().to_owned();

    for (caller, token) in [
        ("anonymous", None),
        ("luohu admin", Some(luohu_admin.as_str())),
        ("futian assessor", Some(futian_assessor.as_str())),
    ] {
        for path in [
            format!("/api/v1/documents/{id}"),
            format!("/api/v1/documents/{id}/content"),
        ] {
            app.get(&path, token)
                .await
                .assert_problem(StatusCode::NOT_FOUND, "not_found");
            let _ = caller;
        }
    }
    app.delete(&format!("/api/v1/documents/{id}"), Some(&luohu_admin))
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    let upload_elsewhere = upload_raw(app, &luohu_admin, "", "application/pdf", pdf(100)).await;
    upload_elsewhere.assert_problem(StatusCode::NOT_FOUND, "not_found");
    let assessor_upload = upload_raw(app, &futian_assessor, "", "application/pdf", pdf(100)).await;
    assessor_upload.assert_problem(StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(stored_objects(&world), 1);
    let still_there = app
        .get(&format!("/api/v1/documents/{id}"), Some(&world.admin))
        .await;
    assert_eq!(still_there.status, StatusCode::OK);
}

async fn damaged_content_is_detected(backend: Backend, store: Store) {
    let world = world(backend, store).await;
    let app = &world.app;
    let created = upload_raw(
        app,
        &world.admin,
        "visibility=public",
        "application/pdf",
        pdf(2000),
    )
    .await;
    let id = created.body["id"].as_str().unwrap().to_owned();
    let path = object_path(&world, &storage_key(&world, &id).await);
    let mut bytes = std::fs::read(&path).expect("the stored object");
    bytes[1000] ^= 0x01;
    std::fs::write(&path, bytes).unwrap();
    let download = app
        .get(&format!("/api/v1/documents/{id}/content"), None)
        .await;
    download.assert_problem(StatusCode::INTERNAL_SERVER_ERROR, "document_corrupted");
}

async fn presigned_links_only_for_public_documents_in_s3(backend: Backend, store: Store) {
    let world = world(backend, store).await;
    let app = &world.app;
    let public = upload_raw(
        app,
        &world.admin,
        "visibility=public",
        "application/pdf",
        pdf(300),
    )
    .await;
    let private = upload_raw(
        app,
        &world.admin,
        "visibility=private",
        "application/pdf",
        pdf(300),
    )
    .await;
    let public_id = public.body["id"].as_str().unwrap();
    let private_id = private.body["id"].as_str().unwrap();

    app.get(
        &format!("/api/v1/documents/{private_id}/link"),
        Some(&world.admin),
    )
    .await
    .assert_problem(StatusCode::CONFLICT, "no_direct_link");
    let link = app
        .get(&format!("/api/v1/documents/{public_id}/link"), None)
        .await;
    match store {
        Store::Local => link.assert_problem(StatusCode::CONFLICT, "no_direct_link"),
        Store::S3 => {
            assert_eq!(link.status, StatusCode::OK, "{}", link.text);
            let url = link.body["url"].as_str().unwrap();
            assert!(url.contains("X-Amz-Expires=300"), "{url}");
            let fetched = reqwest::get(url).await.unwrap();
            assert_eq!(fetched.status(), StatusCode::OK);
            assert_eq!(fetched.bytes().await.unwrap().to_vec(), pdf(300));
            let tampered = url.replace("X-Amz-Expires=300", "X-Amz-Expires=900");
            assert_eq!(
                reqwest::get(&tampered).await.unwrap().status(),
                StatusCode::FORBIDDEN
            );
            let _: Value = link.body.clone();
        }
    }
}

#[tokio::test]
async fn default_limits_take_documents_larger_than_json_bodies() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.platform_admin("root@example.org").await;
    app.create_tenant(&admin, "futian", "440304", None).await;
    let size = 3 * 1024 * 1024;
    let created = upload_raw(&app, &admin, "", "application/pdf", pdf(size)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(created.body["size_bytes"], size);
    // A JSON body of that size is still refused.
    let json = format!(
        r#"{{"email": "a@b.c", "password": "{}"}}"#,
        "x".repeat(size)
    );
    let response = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body(json)
        .send()
        .await
        .unwrap();
    TestResponse::read(response)
        .await
        .assert_problem(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
}

//! Health, readiness, metrics, request ids and the OpenAPI document.

use reqwest::StatusCode;

use crate::helpers::{Backend, TestApp};

crate::on_both_databases!(health_readiness_and_metrics);

async fn health_readiness_and_metrics(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let health = app.get("/healthz", None).await;
    assert_eq!(health.body["status"], "ok");
    let ready = app.get("/readyz", None).await;
    assert_eq!(ready.status, StatusCode::OK);
    assert_eq!(ready.body["database"], "ok");

    let admin = app.platform_admin("root@example.org").await;
    app.create_tenant(&admin, "futian", "440304", None).await;
    app.get("/api/v1/tenants/futian", None).await;
    app.get("/api/v1/tenants/nowhere", None).await;
    app.get("/no/such/page/zq9x", None).await;

    let metrics = app.get("/metrics", None).await;
    assert!(metrics.content_type().starts_with("text/plain"));
    let text = metrics.text;
    assert!(
        text.contains(
            r#"socorg_http_requests_total{method="GET",route="get_tenant",status="200"} 1"#
        ),
        "{text}"
    );
    assert!(
        text.contains(
            r#"socorg_http_requests_total{method="GET",route="get_tenant",status="404"} 1"#
        ),
        "{text}"
    );
    assert!(text.contains(r#"route="unmatched",status="404""#), "{text}");
    assert!(text.contains(r#"socorg_http_request_duration_seconds_bucket{method="POST",route="create_tenant",le="+Inf"} 1"#), "{text}");
    for leaked in ["futian", "nowhere", "zq9x"] {
        assert!(
            !text.contains(leaked),
            "labels must not carry ids: {leaked}"
        );
    }

    // Every response carries a request id; a sane incoming one is kept.
    let response = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "trace-abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "trace-abc-123");
    let response = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "bad id with spaces")
        .send()
        .await
        .unwrap();
    let generated = response.headers()["x-request-id"].to_str().unwrap();
    assert_eq!(generated.len(), 36, "{generated}");
}

#[tokio::test]
async fn openapi_document_matches_the_snapshot() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let spec = app.get("/api/openapi.json", None).await;
    assert_eq!(spec.status, StatusCode::OK);
    let rendered = serde_json::to_string_pretty(&spec.body).unwrap() + "\n";
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/openapi.json");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &rendered).unwrap();
    }
    let expected = std::fs::read_to_string(&path)
        .expect("tests/snapshots/openapi.json exists; run with UPDATE_SNAPSHOTS=1 to create it");
    assert!(
        rendered == expected,
        "the OpenAPI document changed; review the diff and run with UPDATE_SNAPSHOTS=1 to accept it"
    );

    // Every operation is named verb_resource, documents problem responses, and public reads
    // declare their optional security.
    let paths = spec.body["paths"].as_object().unwrap();
    for (path, operations) in paths {
        for (method, operation) in operations.as_object().unwrap() {
            let id = operation["operationId"].as_str().unwrap_or_default();
            assert!(
                !id.is_empty() && id == id.to_lowercase(),
                "{method} {path}: {id}"
            );
            assert!(
                operation["responses"]["default"]["content"]["application/problem+json"]
                    .is_object(),
                "{method} {path} documents its errors"
            );
        }
    }
    let get_tenant = &spec.body["paths"]["/tenants/{slug}"]["get"];
    assert!(
        get_tenant["security"].to_string().contains("{}"),
        "{}",
        get_tenant["security"]
    );

    let docs = app.get("/api/docs", None).await;
    assert_eq!(docs.status, StatusCode::OK);
    assert!(docs.text.contains("swagger"), "interactive docs are served");
}

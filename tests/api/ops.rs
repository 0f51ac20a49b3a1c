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

/// A request from `origin`, through the trusted proxy at 127.0.0.1 as `client` when given.
async fn raw(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut request = app.client.request(method, app.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn cross_origin_reads_only_of_public_answers_and_private_ones_are_not_stored() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.platform_admin("root@example.org").await;
    app.create_tenant(&admin, "futian", "440304", None).await;
    let origin = ("origin", "https://elsewhere.example");

    let public = raw(
        &app,
        reqwest::Method::GET,
        "/api/v1/tenants/futian",
        &[origin],
    )
    .await;
    assert_eq!(public.status(), StatusCode::OK);
    assert_eq!(
        public.headers()["access-control-allow-origin"],
        "https://elsewhere.example"
    );
    assert_eq!(public.headers()["x-content-type-options"], "nosniff");

    let bearer = format!("Bearer {admin}");
    let private = raw(
        &app,
        reqwest::Method::GET,
        "/api/v1/me",
        &[origin, ("authorization", &bearer)],
    )
    .await;
    assert_eq!(private.status(), StatusCode::OK);
    assert!(
        !private
            .headers()
            .contains_key("access-control-allow-origin"),
        "{:?}",
        private.headers()
    );
    assert_eq!(private.headers()["cache-control"], "no-store");
    assert_eq!(private.headers()["x-content-type-options"], "nosniff");

    // An error asked for from another origin is still a problem, in the parser's stead.
    let error = raw(
        &app,
        reqwest::Method::GET,
        "/api/v1/tenants?limit=lots",
        &[origin],
    )
    .await;
    assert_eq!(error.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error.headers()["content-type"], "application/problem+json");
    let body = error.text().await.unwrap();
    assert!(body.contains("\"invalid_parameter\""), "{body}");
    assert!(!body.contains("failed to parse"), "{body}");

    // A cross-origin write is not even allowed by the preflight.
    let preflight = raw(
        &app,
        reqwest::Method::OPTIONS,
        "/api/v1/tenants",
        &[
            origin,
            ("access-control-request-method", "POST"),
            (
                "access-control-request-headers",
                "authorization, content-type",
            ),
        ],
    )
    .await;
    let allowed = preflight
        .headers()
        .get("access-control-allow-methods")
        .map(|value| value.to_str().unwrap().to_owned())
        .unwrap_or_default();
    assert!(!allowed.contains("POST"), "{allowed}");
}

#[tokio::test]
async fn a_method_the_path_does_not_take_is_405_with_allow() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let response = raw(
        &app,
        reqwest::Method::DELETE,
        "/api/v1/organisations/export",
        &[],
    )
    .await;
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(response.headers()["allow"], "GET, HEAD");
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let response = raw(
        &app,
        reqwest::Method::PATCH,
        "/api/v1/tenants/futian/registry-settings",
        &[],
    )
    .await;
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(response.headers()["allow"], "GET, PUT, HEAD");
}

#[tokio::test]
async fn metrics_are_for_loopback_or_the_token_holder() {
    let app = TestApp::spawn_with(Backend::Sqlite, |config| {
        config.trusted_proxies = socorg::ratelimit::TrustedProxies::parse("127.0.0.1").unwrap();
        config.metrics_token = Some(socorg::config::Secret::new("scrape-me-please-0123456789"));
    })
    .await;
    let local = raw(&app, reqwest::Method::GET, "/metrics", &[]).await;
    assert_eq!(local.status(), StatusCode::OK);
    let remote = raw(
        &app,
        reqwest::Method::GET,
        "/metrics",
        &[("x-forwarded-for", "203.0.113.5")],
    )
    .await;
    assert_eq!(remote.status(), StatusCode::NOT_FOUND);
    assert!(!remote.text().await.unwrap().contains("socorg_http"));
    // A forwarded request claiming loopback is still a forwarded request.
    let claimed = raw(
        &app,
        reqwest::Method::GET,
        "/metrics",
        &[("x-forwarded-for", "127.0.0.1")],
    )
    .await;
    assert_eq!(claimed.status(), StatusCode::NOT_FOUND);
    let scraper = raw(
        &app,
        reqwest::Method::GET,
        "/metrics",
        &[
            ("x-forwarded-for", "203.0.113.5"),
            ("authorization", "Bearer scrape-me-please-0123456789"),
        ],
    )
    .await;
    assert_eq!(scraper.status(), StatusCode::OK);
    let wrong = raw(
        &app,
        reqwest::Method::GET,
        "/metrics",
        &[
            ("x-forwarded-for", "203.0.113.5"),
            ("authorization", "Bearer scrape-me-please-0123456788"),
        ],
    )
    .await;
    assert_eq!(wrong.status(), StatusCode::NOT_FOUND);
}

#[cfg(unix)]
#[tokio::test]
async fn the_data_folder_and_what_holds_secrets_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let app = TestApp::spawn(Backend::Sqlite).await;
    let registered = app
        .post(
            "/api/v1/auth/register",
            None,
            serde_json::json!({
                "email": "new@example.org",
                "password": "a long and quiet river",
                "name": "新用户",
            }),
        )
        .await;
    assert!(registered.status.is_success(), "{}", registered.text);
    app.run_jobs().await;
    let mode = |path: &std::path::Path| {
        std::fs::metadata(path)
            .unwrap_or_else(|error| panic!("{}: {error}", path.display()))
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode(&app.data_dir.join("outbox")), 0o700);
    assert_eq!(mode(&app.data_dir.join("documents")), 0o700);
    assert_eq!(mode(&app.data_dir.join("master.key")), 0o600);
    assert_eq!(mode(&app.data_dir.join("socorg.db")), 0o600);
    let messages: Vec<_> = std::fs::read_dir(app.data_dir.join("outbox"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    assert!(!messages.is_empty(), "the verification e-mail was written");
    for message in messages {
        assert_eq!(mode(&message), 0o600, "{}", message.display());
    }
}

#[tokio::test]
async fn files_are_served_with_the_types_their_operations_declare() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let spec = app.get("/api/openapi.json", None).await;
    let declared = |path: &str| -> Vec<String> {
        spec.body["paths"][path]["get"]["responses"]["200"]["content"]
            .as_object()
            .map(|content| content.keys().cloned().collect())
            .unwrap_or_default()
    };
    let media = |value: &str| {
        value
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_owned()
    };
    let register = declared("/organisations/export");
    for (format, expected) in [("csv", "text/csv"), ("jsonl", "application/x-ndjson")] {
        let served = raw(
            &app,
            reqwest::Method::GET,
            &format!("/api/v1/organisations/export?format={format}"),
            &[],
        )
        .await;
        assert_eq!(served.status(), StatusCode::OK);
        let served = media(served.headers()["content-type"].to_str().unwrap());
        assert_eq!(served, expected);
        assert!(
            register.iter().any(|declared| media(declared) == served),
            "{served} is not among {register:?}"
        );
    }
    let downloads = declared("/documents/{id}/content");
    for kind in ["application/pdf", "image/png", "text/plain"] {
        assert!(
            downloads.iter().any(|declared| declared == kind),
            "{downloads:?}"
        );
    }
}

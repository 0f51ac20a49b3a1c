//! Every kind of bad request answers `application/problem+json` naming what is wrong.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Backend, TestApp, TestResponse};

crate::on_both_databases!(
    malformed_and_mistyped_bodies,
    oversized_bodies_are_refused,
    routing_and_parameter_errors,
);

async fn raw_post(
    app: &TestApp,
    path: &str,
    content_type: &str,
    body: impl Into<reqwest::Body>,
) -> TestResponse {
    let response = app
        .client
        .post(app.url(path))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    TestResponse::read(response).await
}

async fn malformed_and_mistyped_bodies(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let login = "/api/v1/auth/login";

    let broken = raw_post(&app, login, "application/json", r#"{"email": "a@b.c", "#).await;
    broken.assert_problem(StatusCode::BAD_REQUEST, "malformed_json");

    let empty = raw_post(&app, login, "application/json", "").await;
    empty.assert_problem(StatusCode::BAD_REQUEST, "malformed_json");

    let wrong_type = raw_post(
        &app,
        login,
        "application/json",
        r#"{"email": 42, "password": "x"}"#,
    )
    .await;
    wrong_type.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(wrong_type.problem_fields(), vec!["email"]);
    assert_eq!(wrong_type.body["errors"][0]["code"], "invalid_type");

    let missing = raw_post(&app, login, "application/json", r#"{"email": "a@b.c"}"#).await;
    missing.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(missing.problem_fields(), vec!["password"]);
    assert_eq!(missing.body["errors"][0]["code"], "required");

    let not_an_object = raw_post(&app, login, "application/json", "[1, 2]").await;
    not_an_object.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");

    let wrong_media = raw_post(&app, login, "text/plain", "email=a@b.c").await;
    wrong_media.assert_problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");

    let admin = app.platform_admin("root@example.org").await;
    let nested = app
        .post(
            "/api/v1/tenants",
            Some(&admin),
            json!({ "slug": "futian", "name_zh": "福田", "name_en": "Futian", "division_code": 440304 }),
        )
        .await;
    nested.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(nested.problem_fields(), vec!["division_code"]);

    app.create_tenant(&admin, "futian", "440304", None).await;
    let bad_role = app
        .post(
            "/api/v1/tenants/futian/users",
            Some(&admin),
            json!({ "email": "x@example.org", "name": "X", "roles": ["assessor", "platform_admin"] }),
        )
        .await;
    bad_role.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(bad_role.problem_fields(), vec!["roles[1]"]);

    let several = app
        .post(
            "/api/v1/tenants/futian/users",
            Some(&admin),
            json!({ "email": "not-an-email", "name": "", "roles": [], "password": "password1" }),
        )
        .await;
    several.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let mut fields = several.problem_fields();
    fields.sort();
    assert_eq!(fields, vec!["email", "name", "roles"]);

    let common = app
        .post(
            "/api/v1/tenants/futian/users",
            Some(&admin),
            json!({ "email": "x@example.org", "name": "X", "roles": ["assessor"], "password": "Password123" }),
        )
        .await;
    common.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(common.body["errors"][0]["field"], "password");
    assert_eq!(common.body["errors"][0]["code"], "too_common");
    let users = app.get("/api/v1/tenants/futian/users", Some(&admin)).await;
    assert_eq!(
        users.body["items"],
        json!([]),
        "refused requests wrote nothing"
    );
}

async fn oversized_bodies_are_refused(backend: Backend) {
    let app = TestApp::spawn_with(backend, |config| config.max_body_bytes = 4096).await;
    let padding = "x".repeat(5000);
    let body = format!(r#"{{"email": "a@b.c", "password": "{padding}"}}"#);

    let declared = raw_post(&app, "/api/v1/auth/login", "application/json", body.clone()).await;
    declared.assert_problem(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");

    // Without Content-Length (chunked), the limit is enforced while reading.
    let chunks = futures_util::stream::iter(
        body.into_bytes()
            .chunks(512)
            .map(|chunk| Ok::<_, std::io::Error>(chunk.to_vec()))
            .collect::<Vec<_>>(),
    );
    let streamed = raw_post(
        &app,
        "/api/v1/auth/login",
        "application/json",
        reqwest::Body::wrap_stream(chunks),
    )
    .await;
    streamed.assert_problem(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
}

async fn routing_and_parameter_errors(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.get("/api/v1/no-such-thing", None)
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    let delete = app
        .request(reqwest::Method::DELETE, "/api/v1/tenants", None, None)
        .await;
    delete.assert_problem(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
    assert_eq!(delete.headers["allow"], "GET, POST, HEAD");

    // The bounds of `limit` are the document's own (1–200), and refused by them.
    let spec = app.get("/api/openapi.json", None).await;
    let declared = spec.body["paths"]["/tenants"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|parameter| parameter["name"] == "limit")
        .unwrap()["schema"]
        .clone();
    assert_eq!(
        (declared["minimum"].as_f64(), declared["maximum"].as_f64()),
        (Some(1.0), Some(200.0))
    );
    let bad_limit = app.get("/api/v1/tenants?limit=lots", None).await;
    bad_limit.assert_problem(StatusCode::BAD_REQUEST, "invalid_parameter");
    assert_eq!(bad_limit.problem_fields(), vec!["limit"]);
    for outside in ["0", "201"] {
        let refused = app
            .get(&format!("/api/v1/tenants?limit={outside}"), None)
            .await;
        refused.assert_problem(StatusCode::BAD_REQUEST, "invalid_parameter");
        assert_eq!(refused.problem_fields(), vec!["limit"]);
        assert_eq!(
            refused.body["errors"][0]["detail"],
            "a whole number from 1 to 200"
        );
    }
    assert_eq!(
        app.get("/api/v1/tenants?limit=200", None).await.status,
        StatusCode::OK
    );
    // A closed list is the document's own enum.
    let category = app.get("/api/v1/disclosures?category=nonsense", None).await;
    category.assert_problem(StatusCode::BAD_REQUEST, "invalid_parameter");
    assert_eq!(category.problem_fields(), vec!["category"]);
    let cursor = app.get("/api/v1/tenants?cursor=%%%", None).await;
    assert_eq!(cursor.content_type(), "application/problem+json");
    assert!(cursor.status.is_client_error());

    let admin = app.platform_admin("root@example.org").await;
    app.create_tenant(&admin, "futian", "440304", None).await;
    // A malformed id in the path names no resource.
    app.get("/api/v1/tenants/futian/users/not-a-uuid", Some(&admin))
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    let bad_time = app
        .get("/api/v1/admin/audit?from=yesterday", Some(&admin))
        .await;
    bad_time.assert_problem(StatusCode::BAD_REQUEST, "invalid_parameter");
    assert_eq!(bad_time.problem_fields(), vec!["from"]);
}

#[tokio::test]
async fn absurd_money_and_dates_are_refused_by_the_bounds_the_document_states() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.platform_admin("root@example.org").await;
    app.create_tenant(&admin, "futian", "440304", None).await;
    let spec = app.get("/api/openapi.json", None).await;
    let fields = &spec.body["components"]["schemas"]["RecordOrganisationRequest"]["properties"];
    assert_eq!(
        fields["registered_funds_fen"]["maximum"].as_f64(),
        Some(1e15)
    );
    assert_eq!(
        fields["registered_funds_fen"]["minimum"].as_f64(),
        Some(0.0)
    );
    assert_eq!(fields["founded_on"]["format"], "date");
    let record = |funds: serde_json::Value, founded: &str| {
        serde_json::json!({
            "uscc": socorg::types::Uscc::issue('2', "440304", 77).unwrap().to_string(),
            "name": "深圳市福田区边界测试协会",
            "type": "social_group",
            "address": "深圳市福田区",
            "legal_representative": "李四",
            "service_areas": ["社区服务"],
            "founded_on": founded,
            "registered_funds_fen": funds,
        })
    };
    for (funds, founded, field) in [
        (
            serde_json::json!(i64::MAX),
            "2009-06-01",
            "registered_funds_fen",
        ),
        (serde_json::json!(-1), "2009-06-01", "registered_funds_fen"),
        (serde_json::json!(3_000_000), "99999-01-01", "founded_on"),
        (serde_json::json!(3_000_000), "+2009-06-01", "founded_on"),
    ] {
        let refused = app
            .post(
                "/api/v1/tenants/futian/organisations",
                Some(&admin),
                record(funds, founded),
            )
            .await;
        refused.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(
            refused.problem_fields(),
            vec![field.to_owned()],
            "{}",
            refused.text
        );
    }
    let recorded = app
        .post(
            "/api/v1/tenants/futian/organisations",
            Some(&admin),
            record(serde_json::json!(1_000_000_000_000_000_i64), "2009-06-01"),
        )
        .await;
    assert_eq!(recorded.status, StatusCode::CREATED, "{}", recorded.text);
}

#[tokio::test]
async fn an_address_too_long_is_a_problem_not_an_empty_answer() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    // 7,000 characters are 63,000 bytes percent-encoded: over the server's limit, under hyper's.
    let long = "福".repeat(7000);
    for path in [
        format!("/api/v1/search?q={long}"),
        format!("/search?q={long}"),
    ] {
        let response = app.get(&path, None).await;
        response.assert_problem(StatusCode::URI_TOO_LONG, "uri_too_long");
    }
    // Over 64 KiB hyper refuses the request line before any route reads it (and HTTP clients
    // refuse to send it, so it goes over a bare socket); that answer is a problem too, and so
    // is a head too large to read.
    let url = app.url("/");
    let address = url.trim_start_matches("http://").trim_end_matches('/');
    for (request, status, code) in [
        (
            format!(
                "GET /api/v1/search?q={} HTTP/1.1\r\nHost: x\r\n\r\n",
                "a".repeat(70_000)
            ),
            414,
            "uri_too_long",
        ),
        (
            format!(
                "GET /api/v1/search?q=x HTTP/1.1\r\nHost: x\r\nX-Padding: {}\r\n\r\n",
                "a".repeat(500_000)
            ),
            431,
            "headers_too_large",
        ),
    ] {
        let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
        // The server may answer and close before it has read all of the request.
        let _ = tokio::io::AsyncWriteExt::write_all(&mut stream, request.as_bytes()).await;
        let mut answer = Vec::new();
        let _ = tokio::io::AsyncReadExt::read_to_end(&mut stream, &mut answer).await;
        let answer = String::from_utf8(answer).unwrap();
        let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
        assert!(head.starts_with(&format!("HTTP/1.1 {status} ")), "{answer}");
        assert!(
            head.to_ascii_lowercase()
                .contains("content-type: application/problem+json"),
            "{answer}"
        );
        let problem: serde_json::Value = serde_json::from_str(body).expect("a problem body");
        assert_eq!(problem["code"], code, "{answer}");
        assert_eq!(problem["status"], status, "{answer}");
    }
}

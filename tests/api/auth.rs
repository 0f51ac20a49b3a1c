//! Login, logout, token expiry, throttling and disabled accounts.

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::json;

use socorg::clock::Clock;

use crate::helpers::{Backend, PASSWORD, TestApp, TestResponse};

crate::on_both_databases!(
    login_me_and_logout,
    tokens_expire,
    wrong_password_and_unknown_email_look_alike,
    throttles_a_guesser_but_not_the_owner,
    throttles_an_address_across_accounts,
    disabling_a_user_kills_their_tokens,
    an_account_without_password_cannot_log_in,
);

async fn login_me_and_logout(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.platform_admin("root@example.org").await;
    app.create_tenant(&admin, "futian", "440304", None).await;
    let (user_id, token) = app
        .tenant_user(
            &admin,
            "futian",
            "Officer@Example.org",
            &["procurement_officer", "assessor"],
        )
        .await;
    assert!(token.starts_with("sog_") && token.len() >= 40);

    let me = app.get("/api/v1/me", Some(&token)).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    assert_eq!(me.body["user"]["id"], user_id);
    assert_eq!(
        me.body["user"]["email"], "officer@example.org",
        "e-mail is normalised"
    );
    let mut roles: Vec<(String, String)> = me.body["grants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|grant| {
            (
                grant["role"].as_str().unwrap().to_owned(),
                grant["tenant"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    roles.sort();
    assert_eq!(
        roles,
        vec![
            ("assessor".to_owned(), "futian".to_owned()),
            ("procurement_officer".to_owned(), "futian".to_owned())
        ]
    );

    let logout = app
        .request(
            reqwest::Method::POST,
            "/api/v1/auth/logout",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(logout.status, StatusCode::NO_CONTENT, "{}", logout.text);
    app.get("/api/v1/me", Some(&token))
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");

    // Other sessions of the same user are untouched by logging out one of them.
    let first = app.login("officer@example.org", PASSWORD).await;
    let second = app.login("officer@example.org", PASSWORD).await;
    app.request(
        reqwest::Method::POST,
        "/api/v1/auth/logout",
        Some(&first),
        None,
    )
    .await;
    assert_eq!(
        app.get("/api/v1/me", Some(&second)).await.status,
        StatusCode::OK
    );

    let me = app.get("/api/v1/me", None).await;
    me.assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
    assert!(me.headers.get("www-authenticate").is_some());
    app.get("/api/v1/me", Some("sog_not-a-real-token"))
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
}

async fn tokens_expire(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.platform_admin("root@example.org").await;
    let login = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({ "email": "root@example.org", "password": PASSWORD }),
        )
        .await;
    let expires_at: chrono::DateTime<chrono::Utc> =
        login.body["expires_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(expires_at - app.clock.now(), Duration::hours(12));

    app.clock
        .advance(Duration::hours(11) + Duration::minutes(59));
    assert_eq!(
        app.get("/api/v1/me", Some(&token)).await.status,
        StatusCode::OK
    );
    app.clock.advance(Duration::minutes(1));
    app.get("/api/v1/me", Some(&token))
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
}

async fn wrong_password_and_unknown_email_look_alike(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.platform_admin("root@example.org").await;
    let wrong_password = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({ "email": "root@example.org", "password": "not the password" }),
        )
        .await;
    let unknown = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({ "email": "nobody@example.org", "password": "not the password" }),
        )
        .await;
    wrong_password.assert_problem(StatusCode::UNAUTHORIZED, "invalid_credentials");
    unknown.assert_problem(StatusCode::UNAUTHORIZED, "invalid_credentials");
    assert_eq!(wrong_password.body, unknown.body);
}

/// A login from `address` (the tests' proxy at 127.0.0.1 is trusted to name it).
async fn login_from(app: &TestApp, address: &str, email: &str, password: &str) -> TestResponse {
    TestResponse::read(
        app.client
            .post(app.url("/api/v1/auth/login"))
            .header("x-forwarded-for", address)
            .json(&json!({ "email": email, "password": password }))
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn behind_a_trusted_proxy(backend: Backend) -> TestApp {
    TestApp::spawn_with(backend, |config| {
        config.trusted_proxies = socorg::ratelimit::TrustedProxies::parse("127.0.0.1").unwrap();
    })
    .await
}

async fn throttles_a_guesser_but_not_the_owner(backend: Backend) {
    let app = behind_a_trusted_proxy(backend).await;
    app.platform_admin("root@example.org").await;
    let guesser = "203.0.113.7";
    for _ in 0..10 {
        login_from(&app, guesser, "ROOT@example.org", "wrong password!")
            .await
            .assert_problem(StatusCode::UNAUTHORIZED, "invalid_credentials");
    }
    // The guesser is refused even with the right password...
    let throttled = login_from(&app, guesser, "root@example.org", PASSWORD).await;
    throttled.assert_problem(StatusCode::TOO_MANY_REQUESTS, "too_many_requests");
    let retry_after: i64 = throttled.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=15 * 60).contains(&retry_after), "{retry_after}");
    // ...while the owner, elsewhere, still gets in (slowed down, not locked out).
    let owner = login_from(&app, "198.51.100.2", "root@example.org", PASSWORD).await;
    assert_eq!(owner.status, StatusCode::OK, "{}", owner.text);

    // An unknown account is throttled the same way: nothing tells whether it exists.
    for _ in 0..10 {
        login_from(&app, guesser, "ghost@example.org", "wrong password!").await;
    }
    let ghost = login_from(&app, guesser, "ghost@example.org", "wrong password!").await;
    assert_eq!(ghost.status, throttled.status);
    assert_eq!(ghost.body["code"], throttled.body["code"]);

    app.clock.advance(Duration::seconds(retry_after));
    let again = login_from(&app, guesser, "root@example.org", PASSWORD).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text);
}

async fn throttles_an_address_across_accounts(backend: Backend) {
    let app = behind_a_trusted_proxy(backend).await;
    app.platform_admin("root@example.org").await;
    let guesser = "203.0.113.9";
    for attempt in 0..30 {
        login_from(
            &app,
            guesser,
            &format!("guess{attempt}@example.org"),
            "wrong password!",
        )
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "invalid_credentials");
    }
    let blocked = login_from(&app, guesser, "root@example.org", PASSWORD).await;
    blocked.assert_problem(StatusCode::TOO_MANY_REQUESTS, "too_many_requests");
    assert!(blocked.headers.contains_key("retry-after"));
    let elsewhere = login_from(&app, "198.51.100.2", "root@example.org", PASSWORD).await;
    assert_eq!(elsewhere.status, StatusCode::OK, "{}", elsewhere.text);
    app.clock.advance(Duration::minutes(16));
    let again = login_from(&app, guesser, "root@example.org", PASSWORD).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text);
}

async fn disabling_a_user_kills_their_tokens(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.platform_admin("root@example.org").await;
    app.create_tenant(&admin, "futian", "440304", None).await;
    let (user_id, token) = app
        .tenant_user(&admin, "futian", "clerk@example.org", &["registry_admin"])
        .await;
    let second_token = app.login("clerk@example.org", PASSWORD).await;

    let disabled = app
        .post(
            &format!("/api/v1/users/{user_id}/disable"),
            Some(&admin),
            json!({}),
        )
        .await;
    assert_eq!(disabled.status, StatusCode::OK, "{}", disabled.text);
    assert_eq!(disabled.body["disabled"], true);
    for token in [&token, &second_token] {
        app.get("/api/v1/me", Some(token))
            .await
            .assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
    }
    app.post(
        "/api/v1/auth/login",
        None,
        json!({ "email": "clerk@example.org", "password": PASSWORD }),
    )
    .await
    .assert_problem(StatusCode::UNAUTHORIZED, "invalid_credentials");

    // Only platform administrators may disable accounts; nobody may disable themselves.
    let (_, other) = app
        .tenant_user(&admin, "futian", "other@example.org", &["registry_admin"])
        .await;
    app.post(
        &format!("/api/v1/users/{user_id}/enable"),
        Some(&other),
        json!({}),
    )
    .await
    .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let me = app.get("/api/v1/me", Some(&admin)).await;
    let admin_id = me.body["user"]["id"].as_str().unwrap().to_owned();
    app.post(
        &format!("/api/v1/users/{admin_id}/disable"),
        Some(&admin),
        json!({}),
    )
    .await
    .assert_problem(StatusCode::FORBIDDEN, "self_disable");

    let enabled = app
        .post(
            &format!("/api/v1/users/{user_id}/enable"),
            Some(&admin),
            json!({}),
        )
        .await;
    assert_eq!(enabled.body["disabled"], false);
    app.login("clerk@example.org", PASSWORD).await;
}

async fn an_account_without_password_cannot_log_in(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.platform_admin("root@example.org").await;
    app.create_tenant(&admin, "futian", "440304", None).await;
    let created = app
        .post(
            "/api/v1/tenants/futian/users",
            Some(&admin),
            json!({ "email": "expert@example.org", "name": "专家", "roles": ["assessor"] }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(created.body["has_password"], false);
    assert!(created.body.get("password_hash").is_none());
    for password in ["", PASSWORD] {
        app.post(
            "/api/v1/auth/login",
            None,
            json!({ "email": "expert@example.org", "password": password }),
        )
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "invalid_credentials");
    }
}

//! Every role against the endpoints it must not reach, cross-tenant access by id, and parent
//! tenants that read their children but never write.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp};

crate::on_both_databases!(
    roles_against_tenant_user_endpoints,
    cross_tenant_requests_change_nothing,
);

struct World {
    app: TestApp,
    platform: String,
    city_admin: String,
    futian_admin: String,
    futian_assessor: String,
    futian_officer: String,
    guangzhou_admin: String,
    futian_user_id: String,
    guangzhou_user_id: String,
}

/// shenzhen → futian, and guangzhou beside them, with users in each role.
async fn world(backend: Backend) -> World {
    let app = TestApp::spawn(backend).await;
    let platform = app.platform_admin("root@example.org").await;
    app.create_tenant(&platform, "shenzhen", "440300", None)
        .await;
    app.create_tenant(&platform, "futian", "440304", Some("shenzhen"))
        .await;
    app.create_tenant(&platform, "guangzhou", "440100", None)
        .await;
    let (_, city_admin) = app
        .tenant_user(
            &platform,
            "shenzhen",
            "city@example.org",
            &["registry_admin"],
        )
        .await;
    let (futian_user_id, futian_admin) = app
        .tenant_user(
            &platform,
            "futian",
            "futian@example.org",
            &["registry_admin"],
        )
        .await;
    let (_, futian_assessor) = app
        .tenant_user(
            &futian_admin,
            "futian",
            "assessor@example.org",
            &["assessor"],
        )
        .await;
    let (_, futian_officer) = app
        .tenant_user(
            &futian_admin,
            "futian",
            "officer@example.org",
            &["procurement_officer"],
        )
        .await;
    let (guangzhou_user_id, guangzhou_admin) = app
        .tenant_user(
            &platform,
            "guangzhou",
            "gz@example.org",
            &["registry_admin"],
        )
        .await;
    World {
        app,
        platform,
        city_admin,
        futian_admin,
        futian_assessor,
        futian_officer,
        guangzhou_admin,
        futian_user_id,
        guangzhou_user_id,
    }
}

async fn roles_against_tenant_user_endpoints(backend: Backend) {
    let world = world(backend).await;
    let app = &world.app;
    let id = &world.futian_user_id;
    let new_user = || json!({ "email": "new@example.org", "name": "新人", "roles": ["assessor"] });
    let grant = || json!({ "role": "assessor" });

    // (method, path, body)
    let endpoints: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, "/api/v1/tenants/futian/users".into(), None),
        (
            Method::GET,
            format!("/api/v1/tenants/futian/users/{id}"),
            None,
        ),
        (
            Method::POST,
            "/api/v1/tenants/futian/users".into(),
            Some(new_user()),
        ),
        (
            Method::POST,
            format!("/api/v1/tenants/futian/users/{id}/grants"),
            Some(grant()),
        ),
        (
            Method::DELETE,
            format!("/api/v1/tenants/futian/users/{id}/grants/assessor"),
            None,
        ),
        (Method::GET, "/api/v1/users".into(), None),
        (
            Method::POST,
            format!("/api/v1/users/{id}/disable"),
            Some(json!({})),
        ),
        (
            Method::GET,
            "/api/v1/admin/audit?tenant=futian".into(),
            None,
        ),
    ];
    // Expected status per caller, in the order of `endpoints`.
    let anonymous = [401, 401, 401, 401, 401, 401, 401, 401];
    let stranger = [404, 404, 404, 404, 404, 403, 403, 404];
    let assessor = [403, 403, 403, 403, 403, 403, 403, 403];
    let officer = [403, 403, 403, 403, 403, 403, 403, 403];
    let parent_admin = [200, 200, 403, 403, 403, 403, 403, 200];
    let callers: Vec<(&str, Option<&str>, [u16; 8])> = vec![
        ("anonymous", None, anonymous),
        ("guangzhou admin", Some(&world.guangzhou_admin), stranger),
        ("futian assessor", Some(&world.futian_assessor), assessor),
        ("futian officer", Some(&world.futian_officer), officer),
        ("shenzhen admin", Some(&world.city_admin), parent_admin),
    ];
    for (caller, token, expected) in callers {
        for ((method, path, body), status) in endpoints.iter().zip(expected) {
            let response = app.request(method.clone(), path, token, body.clone()).await;
            assert_eq!(
                response.status.as_u16(),
                status,
                "{caller} {method} {path}: {}",
                response.text
            );
            assert_eq!(
                response.content_type(),
                if status == 200 {
                    "application/json; charset=utf-8"
                } else {
                    "application/problem+json"
                },
                "{caller} {method} {path}"
            );
        }
    }

    // The tenant's own administrator and the platform administrator get through.
    for token in [&world.futian_admin, &world.platform] {
        let list = app.get("/api/v1/tenants/futian/users", Some(token)).await;
        assert_eq!(list.status, StatusCode::OK);
        let emails: Vec<&str> = list.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|user| user["email"].as_str().unwrap())
            .collect();
        assert_eq!(
            emails,
            vec![
                "assessor@example.org",
                "futian@example.org",
                "officer@example.org"
            ]
        );
    }
    let granted = app
        .post(
            &format!("/api/v1/tenants/futian/users/{id}/grants"),
            Some(&world.futian_admin),
            grant(),
        )
        .await;
    assert_eq!(granted.status, StatusCode::OK, "{}", granted.text);
    let roles: Vec<&str> = granted.body["grants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|grant| grant["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, vec!["registry_admin", "assessor"]);
    let removed = app
        .delete(
            &format!("/api/v1/tenants/futian/users/{id}/grants/assessor"),
            Some(&world.futian_admin),
        )
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    app.delete(
        &format!("/api/v1/tenants/futian/users/{id}/grants/assessor"),
        Some(&world.futian_admin),
    )
    .await
    .assert_problem(StatusCode::NOT_FOUND, "not_found");
}

async fn cross_tenant_requests_change_nothing(backend: Backend) {
    let world = world(backend).await;
    let app = &world.app;
    let futian_user = &world.futian_user_id;

    // A guangzhou user looked up through futian, and a futian user through guangzhou: 404.
    app.get(
        &format!("/api/v1/tenants/futian/users/{}", world.guangzhou_user_id),
        Some(&world.futian_admin),
    )
    .await
    .assert_problem(StatusCode::NOT_FOUND, "not_found");
    app.get(
        &format!("/api/v1/tenants/guangzhou/users/{futian_user}"),
        Some(&world.guangzhou_admin),
    )
    .await
    .assert_problem(StatusCode::NOT_FOUND, "not_found");

    // Writes into another tenant: 404 for a stranger, 403 for the parent's administrator.
    app.post(
        "/api/v1/tenants/futian/users",
        Some(&world.guangzhou_admin),
        json!({ "email": "planted@example.org", "name": "x", "roles": ["registry_admin"] }),
    )
    .await
    .assert_problem(StatusCode::NOT_FOUND, "not_found");
    app.post(
        "/api/v1/tenants/futian/users",
        Some(&world.city_admin),
        json!({ "email": "planted@example.org", "name": "x", "roles": ["registry_admin"] }),
    )
    .await
    .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    app.post(
        &format!("/api/v1/tenants/guangzhou/users/{futian_user}/grants"),
        Some(&world.guangzhou_admin),
        json!({ "role": "registry_admin" }),
    )
    .await
    .assert_problem(StatusCode::NOT_FOUND, "not_found");
    app.delete(
        &format!("/api/v1/tenants/futian/users/{futian_user}/grants/registry_admin"),
        Some(&world.guangzhou_admin),
    )
    .await
    .assert_problem(StatusCode::NOT_FOUND, "not_found");

    // Nothing changed: no planted account, futian's admin keeps exactly their role.
    let users = app
        .get("/api/v1/users?limit=200", Some(&world.platform))
        .await;
    let emails: Vec<&str> = users.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|user| user["email"].as_str().unwrap())
        .collect();
    assert!(!emails.contains(&"planted@example.org"), "{emails:?}");
    let futian = app
        .get(
            &format!("/api/v1/tenants/futian/users/{futian_user}"),
            Some(&world.futian_admin),
        )
        .await;
    assert_eq!(
        futian.body["grants"],
        json!([{ "role": "registry_admin", "tenant": "futian" }])
    );

    // Adding a person whose account exists in another tenant answers exactly as for a new
    // account: guangzhou's administrator learns nothing of futian's. The owner is told by e-mail,
    // and their password is never set by another tenant.
    let add = |email: &str, password: Option<&str>| {
        let mut body = json!({ "email": email, "name": "新人", "roles": ["assessor"] });
        if let Some(password) = password {
            body["password"] = json!(password);
        }
        app.post(
            "/api/v1/tenants/guangzhou/users",
            Some(&world.guangzhou_admin),
            body,
        )
    };
    let comparable = |body: &serde_json::Value| {
        json!([
            body["name"],
            body["email_verified"],
            body["has_password"],
            body["disabled"],
            body["grants"]
        ])
    };
    let mut invited = Vec::new();
    for (password, existing_email) in [
        (None, "futian@example.org"),
        (Some("another fine password"), "assessor@example.org"),
    ] {
        let fresh = add(
            &format!("fresh{}@example.org", password.is_some()),
            password,
        )
        .await;
        let existing = add(existing_email, password).await;
        assert_eq!(fresh.status, StatusCode::CREATED, "{}", fresh.text);
        assert_eq!(existing.status, fresh.status, "{}", existing.text);
        assert_eq!(comparable(&existing.body), comparable(&fresh.body));
        assert_eq!(
            existing.body["grants"],
            json!([{ "role": "assessor", "tenant": "guangzhou" }])
        );
        // Read back later, alone or in the list, the invited account still looks like the new
        // one: the name given here, not verified, not the account's own details.
        let admin = world.guangzhou_admin.as_str();
        let read = |id: &serde_json::Value| {
            let path = format!("/api/v1/tenants/guangzhou/users/{}", id.as_str().unwrap());
            async move { app.get(&path, Some(admin)).await }
        };
        let (fresh_read, existing_read) = (
            read(&fresh.body["id"]).await,
            read(&existing.body["id"]).await,
        );
        assert_eq!(
            existing_read.status,
            StatusCode::OK,
            "{}",
            existing_read.text
        );
        assert_eq!(
            comparable(&existing_read.body),
            comparable(&fresh_read.body)
        );
        let listed = app
            .get(
                "/api/v1/tenants/guangzhou/users?limit=200",
                Some(&world.guangzhou_admin),
            )
            .await;
        let entry = listed.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|user| user["email"] == existing_email)
            .expect("the invited person is listed")
            .clone();
        assert_eq!(comparable(&entry), comparable(&fresh_read.body));
        invited.push(existing.body["id"].as_str().unwrap().to_owned());
    }

    // The owners see the invitations; the roles wait for their answer.
    let futian_invitations = app
        .get("/api/v1/me/invitations", Some(&world.futian_admin))
        .await;
    assert_eq!(
        futian_invitations.status,
        StatusCode::OK,
        "{}",
        futian_invitations.text
    );
    let items = futian_invitations.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", futian_invitations.text);
    assert_eq!(items[0]["tenant"], "guangzhou");
    assert_eq!(items[0]["roles"], json!(["assessor"]));
    let invitation = items[0]["id"].as_str().unwrap().to_owned();
    let grants = |token: &str| {
        let token = token.to_owned();
        async move { app.get("/api/v1/me", Some(&token)).await.body["grants"].clone() }
    };
    let roles_in_guangzhou = |grants: &serde_json::Value| {
        grants
            .as_array()
            .unwrap()
            .iter()
            .filter(|grant| grant["tenant"] == "guangzhou")
            .count()
    };
    assert_eq!(roles_in_guangzhou(&grants(&world.futian_admin).await), 0);
    // Nobody else can answer it.
    for stranger in [&world.futian_assessor, &world.guangzhou_admin] {
        app.post(
            &format!("/api/v1/me/invitations/{invitation}/accept"),
            Some(stranger),
            json!({}),
        )
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
        app.delete(
            &format!("/api/v1/me/invitations/{invitation}"),
            Some(stranger),
        )
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    }
    let accepted = app
        .post(
            &format!("/api/v1/me/invitations/{invitation}/accept"),
            Some(&world.futian_admin),
            json!({}),
        )
        .await;
    assert_eq!(accepted.status, StatusCode::NO_CONTENT, "{}", accepted.text);
    assert_eq!(roles_in_guangzhou(&grants(&world.futian_admin).await), 1);
    app.post(
        &format!("/api/v1/me/invitations/{invitation}/accept"),
        Some(&world.futian_admin),
        json!({}),
    )
    .await
    .assert_problem(StatusCode::NOT_FOUND, "not_found");
    // Once accepted, the tenant sees the account as it is.
    let member = app
        .get(
            &format!("/api/v1/tenants/guangzhou/users/{}", invited[0]),
            Some(&world.guangzhou_admin),
        )
        .await;
    assert_ne!(member.body["name"], "新人", "{}", member.text);
    assert_eq!(
        member.body["grants"],
        json!([{ "role": "assessor", "tenant": "guangzhou" }])
    );

    // Declined, nothing is granted and the tenant no longer lists the person.
    let assessor_invitations = app
        .get("/api/v1/me/invitations", Some(&world.futian_assessor))
        .await;
    let declined = assessor_invitations.body["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let answer = app
        .delete(
            &format!("/api/v1/me/invitations/{declined}"),
            Some(&world.futian_assessor),
        )
        .await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT, "{}", answer.text);
    assert_eq!(roles_in_guangzhou(&grants(&world.futian_assessor).await), 0);
    app.get(
        &format!("/api/v1/tenants/guangzhou/users/{}", invited[1]),
        Some(&world.guangzhou_admin),
    )
    .await
    .assert_problem(StatusCode::NOT_FOUND, "not_found");
    app.login("futian@example.org", crate::helpers::PASSWORD)
        .await;
    app.post(
        "/api/v1/auth/login",
        None,
        json!({ "email": "futian@example.org", "password": "another fine password" }),
    )
    .await
    .assert_problem(StatusCode::UNAUTHORIZED, "invalid_credentials");
}

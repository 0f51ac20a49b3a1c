//! Creating, reading and listing tenants.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Backend, TestApp};

crate::on_both_databases!(
    tenants_form_a_hierarchy_and_are_public,
    tenant_input_is_validated_field_by_field,
    tenant_slugs_are_unique,
    only_platform_admins_create_tenants,
);

async fn tenants_form_a_hierarchy_and_are_public(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.platform_admin("root@example.org").await;
    let city = app
        .post(
            "/api/v1/tenants",
            Some(&admin),
            json!({
                "slug": "shenzhen",
                "name_zh": "深圳市民政局",
                "name_en": "Shenzhen Civil Affairs Bureau",
                "division_code": "440300",
                "org_code": "53100000500012015T",
                "time_zone": "Asia/Shanghai",
            }),
        )
        .await;
    // The bureau code above has a wrong check character: it is refused, naming the field.
    city.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(city.problem_fields(), vec!["org_code"]);

    let city = app
        .post(
            "/api/v1/tenants",
            Some(&admin),
            json!({
                "slug": "shenzhen",
                "name_zh": "深圳市民政局",
                "name_en": "Shenzhen Civil Affairs Bureau",
                "division_code": "440300",
                "org_code": "52440300MJL186084F",
            }),
        )
        .await;
    assert_eq!(city.status, StatusCode::CREATED, "{}", city.text);
    assert_eq!(city.body["time_zone"], "Asia/Shanghai", "default time zone");
    assert_eq!(city.body["parent"], serde_json::Value::Null);
    app.create_tenant(&admin, "futian", "440304", Some("shenzhen"))
        .await;
    app.create_tenant(&admin, "luohu", "440303", Some("shenzhen"))
        .await;
    app.create_tenant(&admin, "shatou", "440304", Some("futian"))
        .await;
    app.create_tenant(&admin, "guangzhou", "440100", None).await;

    let shatou = app.get("/api/v1/tenants/shatou", None).await;
    assert_eq!(shatou.status, StatusCode::OK);
    assert_eq!(shatou.body["parent"], "futian");
    assert_eq!(shatou.body["name_zh"], "shatou民政局");
    app.get("/api/v1/tenants/nowhere", None)
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");

    let children = app.get("/api/v1/tenants?parent=shenzhen", None).await;
    let slugs: Vec<&str> = children.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|tenant| tenant["slug"].as_str().unwrap())
        .collect();
    assert_eq!(slugs, vec!["futian", "luohu"]);

    // Paging walks every tenant once, in slug order.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(cursor) => format!("/api/v1/tenants?limit=2&cursor={cursor}"),
            None => "/api/v1/tenants?limit=2".to_owned(),
        };
        let page = app.get(&path, Some(&admin)).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        for tenant in page.body["items"].as_array().unwrap() {
            seen.push(tenant["slug"].as_str().unwrap().to_owned());
        }
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(
        seen,
        vec!["futian", "guangzhou", "luohu", "shatou", "shenzhen"]
    );

    // Public reads accept a token too, but not a bad one.
    app.get("/api/v1/tenants/futian", Some("sog_forged"))
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
}

async fn tenant_input_is_validated_field_by_field(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.platform_admin("root@example.org").await;
    let response = app
        .post(
            "/api/v1/tenants",
            Some(&admin),
            json!({
                "slug": "Fu Tian",
                "name_zh": "  ",
                "name_en": "Futian",
                "division_code": "44030",
                "time_zone": "Mars/Olympus",
            }),
        )
        .await;
    response.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let mut fields = response.problem_fields();
    fields.sort();
    assert_eq!(
        fields,
        vec!["division_code", "name_zh", "slug", "time_zone"]
    );

    let orphan = app
        .post(
            "/api/v1/tenants",
            Some(&admin),
            json!({
                "slug": "futian",
                "name_zh": "福田区民政局",
                "name_en": "Futian",
                "division_code": "440304",
                "parent": "nowhere",
            }),
        )
        .await;
    orphan.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(orphan.problem_fields(), vec!["parent"]);

    let smuggled = app
        .post(
            "/api/v1/tenants",
            Some(&admin),
            json!({
                "slug": "futian",
                "name_zh": "福田区民政局",
                "name_en": "Futian",
                "division_code": "440304",
                "id": "00000000-0000-0000-0000-000000000000",
            }),
        )
        .await;
    smuggled.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(smuggled.problem_fields(), vec!["id"]);

    let list = app.get("/api/v1/tenants", None).await;
    assert_eq!(
        list.body["items"].as_array().unwrap().len(),
        0,
        "nothing half written"
    );
}

async fn tenant_slugs_are_unique(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.platform_admin("root@example.org").await;
    app.create_tenant(&admin, "futian", "440304", None).await;
    let again = app
        .post(
            "/api/v1/tenants",
            Some(&admin),
            json!({
                "slug": "futian",
                "name_zh": "另一个",
                "name_en": "Another",
                "division_code": "440304",
            }),
        )
        .await;
    again.assert_problem(StatusCode::CONFLICT, "slug_taken");
    assert_eq!(again.problem_fields(), vec!["slug"]);
    let tenant = app.get("/api/v1/tenants/futian", None).await;
    assert_eq!(
        tenant.body["name_zh"], "futian民政局",
        "the first one is untouched"
    );
}

async fn only_platform_admins_create_tenants(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.platform_admin("root@example.org").await;
    app.create_tenant(&admin, "futian", "440304", None).await;
    let (_, registrar) = app
        .tenant_user(
            &admin,
            "futian",
            "registrar@example.org",
            &["registry_admin"],
        )
        .await;
    let body = json!({
        "slug": "child",
        "name_zh": "子",
        "name_en": "Child",
        "division_code": "440304",
        "parent": "futian",
    });
    app.post("/api/v1/tenants", Some(&registrar), body.clone())
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    app.post("/api/v1/tenants", None, body)
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
    app.get("/api/v1/tenants/child", None)
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
}

//! Public search over HTTP: what the registry publishes becomes searchable within moments, in
//! Chinese, pinyin, initials and by code; private objects never appear.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp};

crate::on_both_databases!(published_organisations_become_searchable);

/// Polls (real time: the index follows the database on its own) until `check` holds.
async fn eventually(app: &TestApp, path: &str, check: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let response = app.get(path, None).await;
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

//! The audit log: events for every change, readable by administrators, and a hash chain that
//! reports the first broken link after any edit, deletion or reordering.

use reqwest::StatusCode;
use sea_orm::ConnectionTrait;
use serde_json::json;
use socorg::{audit, clock::Clock};

use crate::helpers::{Backend, TestApp};

crate::on_both_databases!(
    changes_are_audited_and_readable_by_scope,
    verification_detects_edits,
    verification_detects_deletions_and_truncation,
    verification_detects_reordering,
);

async fn seal(app: &TestApp) {
    audit::seal_pending(&app.state.db, app.clock.now())
        .await
        .unwrap();
}

async fn changes_are_audited_and_readable_by_scope(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.platform_admin("root@example.org").await;
    app.create_tenant(&admin, "futian", "440304", None).await;
    app.create_tenant(&admin, "luohu", "440303", None).await;
    let (futian_admin_id, futian_admin) = app
        .tenant_user(&admin, "futian", "futian@example.org", &["registry_admin"])
        .await;
    let (_, luohu_admin) = app
        .tenant_user(&admin, "luohu", "luohu@example.org", &["registry_admin"])
        .await;
    let (assessor_id, _) = app
        .tenant_user(&futian_admin, "futian", "expert@example.org", &["assessor"])
        .await;
    seal(&app).await;

    let about_assessor = app
        .get(
            &format!("/api/v1/admin/audit?object_type=user&object_id={assessor_id}"),
            Some(&futian_admin),
        )
        .await;
    assert_eq!(
        about_assessor.status,
        StatusCode::OK,
        "{}",
        about_assessor.text
    );
    let actions: Vec<&str> = about_assessor.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        vec!["grant_role", "create"],
        "newest first, of futian only"
    );
    let platform_view = app
        .get(
            &format!("/api/v1/admin/audit?object_type=user&object_id={assessor_id}"),
            Some(&admin),
        )
        .await;
    let actions: Vec<&str> = platform_view.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        vec!["login", "grant_role", "create"],
        "platform administrators see all"
    );
    let create = &about_assessor.body["items"][1];
    assert_eq!(create["actor_user_id"], futian_admin_id);
    assert_eq!(create["data"]["email"], "expert@example.org");
    assert!(
        create["hash"].as_str().is_some_and(|hash| hash.len() == 64),
        "sealed"
    );
    assert!(create["seq"].as_i64().is_some());

    // luohu's administrator sees none of futian's events, and may not ask for them.
    let luohu_view = app
        .get("/api/v1/admin/audit?limit=200", Some(&luohu_admin))
        .await;
    assert!(!luohu_view.text.contains("expert@example.org"));
    assert!(
        luohu_view.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|event| event["data"]["tenant"] != "futian")
    );
    app.get("/api/v1/admin/audit?tenant=futian", Some(&luohu_admin))
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");

    // Filtering by actor and by time.
    let by_actor = app
        .get(
            &format!("/api/v1/admin/audit?actor={futian_admin_id}&limit=200"),
            Some(&admin),
        )
        .await;
    assert!(
        by_actor.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|event| event["actor_user_id"] == futian_admin_id)
    );
    let future = (app.clock.now() + chrono::Duration::days(1)).to_rfc3339();
    let later = app
        .get(
            &format!("/api/v1/admin/audit?from={}", urlencode(&future)),
            Some(&admin),
        )
        .await;
    assert_eq!(later.body["items"], json!([]));

    // Paging walks back through every event once.
    let mut seen = 0;
    let mut cursor = String::new();
    loop {
        let page = app
            .get(
                &format!("/api/v1/admin/audit?limit=3&cursor={cursor}"),
                Some(&admin),
            )
            .await;
        seen += page.body["items"].as_array().unwrap().len();
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    let report = audit::verify(&app.state.db).await.unwrap();
    assert_eq!(seen as u64, report.sealed + report.unsealed);
    assert_eq!(report.broken, None);
}

fn urlencode(value: &str) -> String {
    value.replace('+', "%2B").replace(':', "%3A")
}

/// Ten audited changes, sealed.
async fn audited_app(backend: Backend) -> TestApp {
    let app = TestApp::spawn(backend).await;
    let admin = app.platform_admin("root@example.org").await;
    for (slug, division) in [
        ("futian", "440304"),
        ("luohu", "440303"),
        ("nanshan", "440305"),
    ] {
        app.create_tenant(&admin, slug, division, None).await;
    }
    app.tenant_user(&admin, "futian", "a@example.org", &["registry_admin"])
        .await;
    seal(&app).await;
    let report = audit::verify(&app.state.db).await.unwrap();
    assert_eq!(report.broken, None, "an untouched chain verifies");
    assert!(report.sealed >= 8, "{report:?}");
    assert_eq!(report.unsealed, 0);
    app
}

async fn tamper(app: &TestApp, sql: &str) {
    let owner = app.owner_connection().await;
    owner.execute_unprepared(sql).await.unwrap();
    owner.close().await.unwrap();
}

async fn verification_detects_edits(backend: Backend) {
    let app = audited_app(backend).await;
    tamper(
        &app,
        "UPDATE audit_events SET data = '{\"slug\":\"forged\"}' WHERE seq = 4",
    )
    .await;
    let broken = audit::verify(&app.state.db)
        .await
        .unwrap()
        .broken
        .expect("detected");
    assert_eq!(broken.seq, 4);
    assert!(broken.reason.contains("edited"), "{}", broken.reason);

    // Changing the actor is an edit too, even with the hash recomputed by the forger: the next
    // link then no longer points at it.
    let app = audited_app(backend).await;
    tamper(
        &app,
        "UPDATE audit_events SET actor_user_id = NULL, hash = 'f00d' WHERE seq = 2",
    )
    .await;
    let broken = audit::verify(&app.state.db)
        .await
        .unwrap()
        .broken
        .expect("detected");
    assert_eq!(broken.seq, 2);
}

async fn verification_detects_deletions_and_truncation(backend: Backend) {
    let app = audited_app(backend).await;
    tamper(&app, "DELETE FROM audit_events WHERE seq = 3").await;
    let broken = audit::verify(&app.state.db)
        .await
        .unwrap()
        .broken
        .expect("detected");
    assert_eq!(broken.seq, 3);
    assert!(broken.reason.contains("missing"), "{}", broken.reason);

    let app = audited_app(backend).await;
    let last = audit::verify(&app.state.db).await.unwrap().sealed;
    tamper(
        &app,
        &format!("DELETE FROM audit_events WHERE seq = {last}"),
    )
    .await;
    let broken = audit::verify(&app.state.db)
        .await
        .unwrap()
        .broken
        .expect("detected");
    assert_eq!(broken.seq, last as i64);
    assert!(
        broken.reason.contains("removed from the end"),
        "{}",
        broken.reason
    );

    // New events after a verified chain continue it.
    let app = audited_app(backend).await;
    let admin = app
        .login("root@example.org", crate::helpers::PASSWORD)
        .await;
    app.create_tenant(&admin, "yantian", "440308", None).await;
    seal(&app).await;
    assert_eq!(audit::verify(&app.state.db).await.unwrap().broken, None);
}

async fn verification_detects_reordering(backend: Backend) {
    let app = audited_app(backend).await;
    tamper(
        &app,
        "UPDATE audit_events SET seq = -5 WHERE seq = 5;
         UPDATE audit_events SET seq = 5 WHERE seq = 6;
         UPDATE audit_events SET seq = 6 WHERE seq = -5;",
    )
    .await;
    let broken = audit::verify(&app.state.db)
        .await
        .unwrap()
        .broken
        .expect("detected");
    assert_eq!(broken.seq, 5);
}

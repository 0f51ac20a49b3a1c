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
    a_chain_rewritten_without_the_key_is_detected,
    a_tail_cut_off_with_the_head_rolled_back_is_detected_by_the_checkpoint,
    events_not_written_by_the_server_are_never_sealed,
    an_unkeyed_chain_is_keyed_on_upgrade,
);

async fn seal(app: &TestApp) {
    app.seal().await;
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
    let report = app.verify_audit().await;
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
    let report = app.verify_audit().await;
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
    let broken = app.verify_audit().await.broken.expect("detected");
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
    let broken = app.verify_audit().await.broken.expect("detected");
    assert_eq!(broken.seq, 2);
}

async fn verification_detects_deletions_and_truncation(backend: Backend) {
    let app = audited_app(backend).await;
    tamper(&app, "DELETE FROM audit_events WHERE seq = 3").await;
    let broken = app.verify_audit().await.broken.expect("detected");
    assert_eq!(broken.seq, 3);
    assert!(broken.reason.contains("missing"), "{}", broken.reason);

    let app = audited_app(backend).await;
    let last = app.verify_audit().await.sealed;
    tamper(
        &app,
        &format!("DELETE FROM audit_events WHERE seq = {last}"),
    )
    .await;
    let broken = app.verify_audit().await.broken.expect("detected");
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
    assert_eq!(app.verify_audit().await.broken, None);
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
    let broken = app.verify_audit().await.broken.expect("detected");
    assert_eq!(broken.seq, 5);
}

/// The key an attacker might try: the same algorithm under a master key of their own.
fn wrong_key() -> audit::AuditKey {
    let guess = socorg::keys::MasterKey::load(
        Some("a guess at the master key, long enough to pass"),
        std::path::Path::new("."),
    );
    audit::AuditKey::from_master(&guess.unwrap())
}

async fn sealed_events(owner: &sea_orm::DatabaseConnection) -> Vec<entities::audit_event::Model> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    entities::audit_event::Entity::find()
        .filter(entities::audit_event::Column::Seq.is_not_null())
        .order_by_asc(entities::audit_event::Column::Seq)
        .all(owner)
        .await
        .unwrap()
}

/// Rewrites every link from `from_seq` on (and the head) under `key`, as a forger would.
async fn relink_from(
    owner: &sea_orm::DatabaseConnection,
    key: &audit::AuditKey,
    from_seq: i64,
    edit: impl Fn(&mut entities::audit_event::Model),
) {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, IntoActiveModel};
    let events = sealed_events(owner).await;
    let mut prev = events
        .iter()
        .find(|event| event.seq == Some(from_seq))
        .and_then(|event| event.prev_hash.clone())
        .unwrap();
    for event in events
        .into_iter()
        .filter(|event| event.seq >= Some(from_seq))
    {
        let mut forged = event.clone();
        if event.seq == Some(from_seq) {
            edit(&mut forged);
        }
        forged.mac = Some(key.write_mark(&forged));
        let hash = key.link(&forged, forged.seq.unwrap(), &prev);
        let mut active = event.into_active_model();
        active.data = Set(forged.data.clone());
        active.mac = Set(forged.mac.clone());
        active.prev_hash = Set(Some(prev.clone()));
        active.hash = Set(Some(hash.clone()));
        active.update(owner).await.unwrap();
        prev = hash;
    }
    owner
        .execute_unprepared(&format!("UPDATE audit_chain_head SET hash = '{prev}'"))
        .await
        .unwrap();
}

async fn a_chain_rewritten_without_the_key_is_detected(backend: Backend) {
    let app = audited_app(backend).await;
    let owner = app.owner_connection().await;
    relink_from(&owner, &wrong_key(), 4, |event| {
        event.data = r#"{"slug":"forged"}"#.to_owned();
    })
    .await;
    let broken = app.verify_audit().await.broken.expect("detected");
    assert_eq!(broken.seq, 4, "{broken:?}");
    assert!(broken.reason.contains("edited"), "{}", broken.reason);

    // Even the server's own key cannot rewrite history unseen: the checkpoint outside the
    // database still names the old last link.
    let app = audited_app(backend).await;
    let owner = app.owner_connection().await;
    relink_from(&owner, &app.state.audit, 4, |event| {
        event.data = r#"{"slug":"rewritten"}"#.to_owned();
    })
    .await;
    let broken = app.verify_audit().await.broken.expect("detected");
    assert!(broken.reason.contains("rewritten"), "{}", broken.reason);
}

async fn a_tail_cut_off_with_the_head_rolled_back_is_detected_by_the_checkpoint(backend: Backend) {
    let app = audited_app(backend).await;
    let owner = app.owner_connection().await;
    let events = sealed_events(&owner).await;
    let last = events.len() as i64;
    let keep = &events[events.len() - 3];
    owner
        .execute_unprepared(&format!(
            "DELETE FROM audit_events WHERE seq > {};",
            last - 2
        ))
        .await
        .unwrap();
    owner
        .execute_unprepared(&format!(
            "UPDATE audit_chain_head SET seq = {}, hash = '{}'",
            last - 2,
            keep.hash.clone().unwrap()
        ))
        .await
        .unwrap();
    let broken = app.verify_audit().await.broken.expect("detected");
    assert!(
        broken.reason.contains(&format!(
            "records {last} sealed events but the chain holds {}",
            last - 2
        )),
        "{}",
        broken.reason
    );
    // The chain growing past the checkpoint again does not make the server forget the cut.
    let admin = app
        .login("root@example.org", crate::helpers::PASSWORD)
        .await;
    for (slug, division) in [
        ("yantian", "440308"),
        ("baoan", "440306"),
        ("longgang", "440307"),
    ] {
        app.create_tenant(&admin, slug, division, None).await;
    }
    seal(&app).await;
    let broken = app.verify_audit().await.broken.expect("still detected");
    assert!(broken.reason.contains("rewritten"), "{}", broken.reason);

    // A checkpoint forged without the key does not pass, nor does its removal.
    let app = audited_app(backend).await;
    let path = app
        .state
        .documents
        .local_internal_path(audit::checkpoint::CHECKPOINT_NAME)
        .unwrap();
    let mut forged: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    forged["seq"] = json!(1);
    std::fs::write(&path, serde_json::to_vec(&forged).unwrap()).unwrap();
    let broken = app.verify_audit().await.broken.expect("detected");
    assert!(broken.reason.contains("forged"), "{}", broken.reason);
    std::fs::remove_file(&path).unwrap();
    let broken = app.verify_audit().await.broken.expect("detected");
    assert!(broken.reason.contains("no checkpoint"), "{}", broken.reason);
    // A restarted server (start-up, then a first sealing pass) does not write a new checkpoint
    // over the missing one, which would hide a cut made meanwhile.
    let owner = app.owner_connection().await;
    audit::prepare_chain(
        &owner,
        &app.state.audit,
        &app.state.documents,
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    owner.close().await.unwrap();
    let admin = app
        .login("root@example.org", crate::helpers::PASSWORD)
        .await;
    app.create_tenant(&admin, "yantian", "440308", None).await;
    socorg::startup::seal_once(&app.state, 0).await.unwrap();
    assert!(
        !path.exists(),
        "no checkpoint is written over a missing one"
    );
    let broken = app.verify_audit().await.broken.expect("still detected");
    assert!(broken.reason.contains("no checkpoint"), "{}", broken.reason);

    // An intact chain names the checkpoint it matched.
    let app = audited_app(backend).await;
    let report = app.verify_audit().await;
    assert_eq!(report.broken, None);
    assert_eq!(
        report.checkpoint.map(|(seq, _)| seq as u64),
        Some(report.sealed)
    );

    // Verifying while a sealer extends the chain raises no false alarm.
    let admin = app
        .login("root@example.org", crate::helpers::PASSWORD)
        .await;
    let writer = {
        let app_state = app.state.clone();
        let client = app.client.clone();
        let url = app.url("/api/v1/tenants/futian/users");
        tokio::spawn(async move {
            for round in 0..40 {
                let added = client
                    .post(&url)
                    .bearer_auth(&admin)
                    .json(&json!({ "email": format!("p{round}@example.org"), "name": "某人", "roles": ["assessor"] }))
                    .send()
                    .await
                    .unwrap();
                assert!(added.status().is_success());
                socorg::startup::seal_once(&app_state, 0).await.unwrap();
            }
        })
    };
    while !writer.is_finished() {
        let report = app.verify_audit().await;
        assert_eq!(report.broken, None, "{report:?}");
    }
    writer.await.unwrap();
    assert_eq!(app.verify_audit().await.broken, None);
}

async fn events_not_written_by_the_server_are_never_sealed(backend: Backend) {
    // A genuine row copied, mark and all, is refused by the database: marks are unique.
    let app = audited_app(backend).await;
    let owner = app.owner_connection().await;
    let copied = owner
        .execute_unprepared(
            "INSERT INTO audit_events (occurred_at, actor_user_id, tenant_id, object_type, object_id, action, data, mac, nonce)
             SELECT occurred_at, actor_user_id, tenant_id, object_type, object_id, action, data, mac, nonce
             FROM audit_events WHERE seq = 2",
        )
        .await;
    assert!(copied.is_err(), "a replayed mark was stored");
    owner.close().await.unwrap();

    // A row inserted by hand, with no mark.
    let app = audited_app(backend).await;
    let sealed_before = app.verify_audit().await.sealed;
    tamper(
        &app,
        "INSERT INTO audit_events (occurred_at, object_type, object_id, action, data)
         VALUES ('2026-03-02 09:00:00+00:00', 'tenant', 'futian', 'delete', '{}')",
    )
    .await;
    let sealed = audit::seal_pending(&app.state.db, &app.state.audit, app.clock.now())
        .await
        .unwrap();
    assert_eq!((sealed.sealed, sealed.refused), (0, 1));
    let report = app.verify_audit().await;
    assert_eq!(
        report.sealed, sealed_before,
        "the forged row stays out of the chain"
    );
    let broken = report.broken.expect("detected");
    assert!(broken.reason.contains("server's mark"), "{}", broken.reason);

    // An event edited between its commit and its sealing.
    let app = audited_app(backend).await;
    let admin = app
        .login("root@example.org", crate::helpers::PASSWORD)
        .await;
    app.create_tenant(&admin, "yantian", "440308", None).await;
    tamper(
        &app,
        r#"UPDATE audit_events SET data = '{"slug":"elsewhere"}' WHERE seq IS NULL AND action = 'create'"#,
    )
    .await;
    seal(&app).await;
    let report = app.verify_audit().await;
    assert_eq!(report.unsealed, 1, "{report:?}");
    let broken = report.broken.expect("detected");
    assert!(broken.reason.contains("server's mark"), "{}", broken.reason);
}

async fn an_unkeyed_chain_is_keyed_on_upgrade(backend: Backend) {
    use migrations::MigratorTrait;
    let mut app = audited_app(backend).await;
    let sealed = app.verify_audit().await.sealed;
    app.stop().await;
    // Back to the schema before the keyed chain, with the chain as that version wrote it.
    let owner = app.owner_connection().await;
    let events = sealed_events(&owner).await;
    // Undo the keyed chain's migration and every one after it.
    let names: Vec<String> = migrations::Migrator::migrations()
        .iter()
        .map(|migration| migration.name().to_owned())
        .collect();
    let keyed = names
        .iter()
        .position(|name| name == "m20261203_000008_keyed_audit")
        .expect("the keyed chain's migration");
    let steps = u32::try_from(names.len() - keyed).unwrap();
    migrations::Migrator::down(&owner, Some(steps))
        .await
        .unwrap();
    let mut prev = "0".repeat(64);
    for event in &events {
        let hash = audit::unkeyed_link(event, event.seq.unwrap(), &prev);
        owner
            .execute_unprepared(&format!(
                "UPDATE audit_events SET prev_hash = '{prev}', hash = '{hash}' WHERE id = {}",
                event.id
            ))
            .await
            .unwrap();
        prev = hash;
    }
    owner
        .execute_unprepared(&format!("UPDATE audit_chain_head SET hash = '{prev}'"))
        .await
        .unwrap();
    owner.close().await.unwrap();

    // With the keyed chain's checkpoint still there, the unmarked chain is not adopted: it was
    // put there since, not written before the upgrade.
    let config = socorg::config::Config {
        data_dir: app.data_dir.clone(),
        database_url: Some(socorg::config::Secret::new(app.database_url.clone())),
        ..socorg::config::Config::default()
    };
    let refused = socorg::startup::migrate(&config, chrono::Utc::now())
        .await
        .expect_err("refused");
    assert!(format!("{refused:#}").contains("refusing"), "{refused:#}");
    // An installation from before the keyed chain had no checkpoint.
    std::fs::remove_file(
        app.state
            .documents
            .local_internal_path(audit::checkpoint::CHECKPOINT_NAME)
            .unwrap(),
    )
    .unwrap();

    let upgraded = app.spawn_beside(true).await;
    upgraded.seal().await;
    let report = upgraded.verify_audit().await;
    assert_eq!(report.broken, None, "{report:?}");
    assert!(report.sealed >= sealed, "{report:?}");
}

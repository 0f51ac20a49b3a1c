//! The registry over HTTP: sign-up → apply → return → amend → resubmit → approve → public profile
//! with a valid code → change of name with history and disclosures → deregistration; and the
//! refusals along the way.

use reqwest::{Method, StatusCode};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use socorg::types::Uscc;

use crate::helpers::{Backend, PASSWORD, TestApp, TestResponse};

crate::on_both_databases!(
    registration_to_deregistration,
    registry_refusals,
    members_are_managed_by_their_organisation,
    complaints_reach_only_the_registry,
    existing_organisations_and_policy_documents,
);

/// Signs up an NGO staff member and confirms their address behind the scenes.
pub(crate) async fn ngo_user(app: &TestApp, email: &str, verified: bool) -> String {
    let response = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({ "email": email, "name": "申请人", "password": PASSWORD }),
        )
        .await;
    assert_eq!(response.status, StatusCode::ACCEPTED);
    if verified {
        let owner = app.owner_connection().await;
        owner
            .execute_unprepared(&format!(
                "UPDATE users SET email_verified_at = created_at WHERE email = '{email}'"
            ))
            .await
            .unwrap();
        owner.close().await.unwrap();
    }
    app.login(email, PASSWORD).await
}

pub(crate) fn complete_fields(name: &str) -> Value {
    json!({
        "tenant": "futian",
        "name": name,
        "type": "social_service_organisation",
        "sub_kind": "social_work_agency",
        "address": "深圳市福田区福华路 1 号",
        "legal_representative": "李明",
        "service_areas": ["养老服务", "社区服务"],
        "founded_on": "2026-01-15",
        "registered_funds_fen": 3_000_000,
        "contact_phone": "0755-12345678",
        "founding_members": ["李明", "王芳", "陈刚"],
        "purpose": "为辖区长者提供关爱服务",
    })
}

pub(crate) async fn upload_charter(app: &TestApp, token: &str, id: &str) -> TestResponse {
    let response = app
        .client
        .post(app.url(&format!(
            "/api/v1/registrations/{id}/charter?file_name=章程.pdf"
        )))
        .bearer_auth(token)
        .header("content-type", "application/pdf")
        .body(b"%PDF-1.7\n charter text".to_vec())
        .send()
        .await
        .unwrap();
    TestResponse::read(response).await
}

pub(crate) struct World {
    pub(crate) app: TestApp,
    pub(crate) futian_admin: String,
    pub(crate) luohu_admin: String,
}

pub(crate) async fn world(backend: Backend) -> World {
    let app = TestApp::spawn(backend).await;
    let platform = app.platform_admin("root@example.org").await;
    let city = app
        .post(
            "/api/v1/tenants",
            Some(&platform),
            json!({ "slug": "shenzhen", "name_zh": "深圳市民政局", "name_en": "Shenzhen", "division_code": "440300", "org_code": "52440300MJL186084F" }),
        )
        .await;
    assert_eq!(city.status, StatusCode::CREATED);
    app.create_tenant(&platform, "futian", "440304", Some("shenzhen"))
        .await;
    app.create_tenant(&platform, "luohu", "440303", Some("shenzhen"))
        .await;
    let (_, futian_admin) = app
        .tenant_user(
            &platform,
            "futian",
            "futian@example.org",
            &["registry_admin"],
        )
        .await;
    let (_, luohu_admin) = app
        .tenant_user(&platform, "luohu", "luohu@example.org", &["registry_admin"])
        .await;
    World {
        app,
        futian_admin,
        luohu_admin,
    }
}

async fn registration_to_deregistration(backend: Backend) {
    let world = world(backend).await;
    let app = &world.app;
    let applicant = ngo_user(app, "ngo@example.org", true).await;

    let draft = app
        .post(
            "/api/v1/registrations",
            Some(&applicant),
            json!({ "tenant": "futian", "name": "深圳市福田区长者关爱服务中心" }),
        )
        .await;
    assert_eq!(draft.status, StatusCode::CREATED, "{}", draft.text);
    assert_eq!(draft.body["status"], "draft");
    let id = draft.body["id"].as_str().unwrap().to_owned();

    // Incomplete: every missing requirement is named, the charter among them.
    let incomplete = app
        .post(
            &format!("/api/v1/registrations/{id}/submit"),
            Some(&applicant),
            json!({}),
        )
        .await;
    incomplete.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let fields = incomplete.problem_fields();
    for required in [
        "type",
        "service_areas",
        "address",
        "legal_representative",
        "registered_funds_fen",
        "charter",
    ] {
        assert!(
            fields.contains(&required.to_owned()),
            "{required} in {fields:?}"
        );
    }

    let updated = app
        .client
        .put(app.url(&format!("/api/v1/registrations/{id}")))
        .bearer_auth(&applicant)
        .header("If-Match", "1")
        .json(&complete_fields("深圳市福田区长者关爱服务中心"))
        .send()
        .await
        .unwrap();
    let updated = TestResponse::read(updated).await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.text);
    assert_eq!(updated.body["version"], 2);
    let stale = app
        .client
        .put(app.url(&format!("/api/v1/registrations/{id}")))
        .bearer_auth(&applicant)
        .header("If-Match", "1")
        .json(&complete_fields("别的名字"))
        .send()
        .await
        .unwrap();
    TestResponse::read(stale)
        .await
        .assert_problem(StatusCode::PRECONDITION_FAILED, "version_mismatch");

    let mut moved = complete_fields("深圳市福田区长者关爱服务中心");
    moved["tenant"] = json!("luohu");
    let moved = app
        .request(
            Method::PUT,
            &format!("/api/v1/registrations/{id}"),
            Some(&applicant),
            Some(moved),
        )
        .await;
    moved.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(moved.body["errors"][0]["code"], "immutable");
    let charter = upload_charter(app, &applicant, &id).await;
    assert_eq!(charter.status, StatusCode::OK, "{}", charter.text);
    let charter_id = charter.body["charter_document_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let charter_path = format!("/api/v1/documents/{charter_id}/content");
    assert_eq!(
        app.get(&charter_path, Some(&applicant)).await.status,
        StatusCode::OK
    );
    // The registry learns nothing of a draft: not its charter, not its audit trail.
    app.get(&charter_path, Some(&world.futian_admin))
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    let audit = app
        .get("/api/v1/admin/audit?limit=200", Some(&world.futian_admin))
        .await;
    assert!(
        !audit.text.contains(&id) && !audit.text.contains("章程.pdf"),
        "{}",
        audit.text
    );

    // A draft is invisible to the registry until it is submitted.
    app.get(
        &format!("/api/v1/registrations/{id}"),
        Some(&world.futian_admin),
    )
    .await
    .assert_problem(StatusCode::NOT_FOUND, "not_found");
    let submitted = app
        .post(
            &format!("/api/v1/registrations/{id}/submit"),
            Some(&applicant),
            json!({}),
        )
        .await;
    assert_eq!(submitted.status, StatusCode::OK, "{}", submitted.text);
    assert_eq!(submitted.body["status"], "submitted");

    let returned = app
        .post(
            &format!("/api/v1/registrations/{id}/return"),
            Some(&world.futian_admin),
            json!({ "comments": { "address": "请写明楼层与房号" } }),
        )
        .await;
    assert_eq!(returned.status, StatusCode::OK, "{}", returned.text);
    let seen = app
        .get(&format!("/api/v1/registrations/{id}"), Some(&applicant))
        .await;
    assert_eq!(seen.body["status"], "returned");
    assert_eq!(seen.body["review_comments"]["address"], "请写明楼层与房号");

    let wrong_state = app
        .post(
            &format!("/api/v1/registrations/{id}/approve"),
            Some(&world.futian_admin),
            json!({}),
        )
        .await;
    wrong_state.assert_problem(StatusCode::CONFLICT, "invalid_transition");
    assert_eq!(wrong_state.body["current_state"], "returned");

    let mut amended = complete_fields("深圳市福田区长者关爱服务中心");
    amended["address"] = json!("深圳市福田区福华路 1 号 3 楼 301 室");
    let amended = app
        .request(
            Method::PUT,
            &format!("/api/v1/registrations/{id}"),
            Some(&applicant),
            Some(amended),
        )
        .await;
    assert_eq!(amended.status, StatusCode::OK, "{}", amended.text);
    let resubmitted = app
        .post(
            &format!("/api/v1/registrations/{id}/submit"),
            Some(&applicant),
            json!({}),
        )
        .await;
    assert_eq!(resubmitted.body["status"], "submitted");

    let approved = app
        .post(
            &format!("/api/v1/registrations/{id}/approve"),
            Some(&world.futian_admin),
            json!({}),
        )
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.text);
    assert_eq!(approved.body["status"], "approved");
    let organisation_id = approved.body["organisation_id"]
        .as_str()
        .unwrap()
        .to_owned();

    // The public profile, with a valid code naming type and district.
    let profile = app
        .get(&format!("/api/v1/organisations/{organisation_id}"), None)
        .await;
    assert_eq!(profile.status, StatusCode::OK, "{}", profile.text);
    let code = profile.body["uscc"].as_str().unwrap().to_owned();
    let parsed = Uscc::parse(&code).expect("a valid code");
    assert!(parsed.has_valid_organisation_code());
    assert!(code.starts_with("52440304"), "{code}");
    assert_eq!(profile.body["status"], "registered");
    assert_eq!(profile.body["type"], "social_service_organisation");
    assert_eq!(
        profile.body["address"],
        "深圳市福田区福华路 1 号 3 楼 301 室"
    );
    assert_eq!(
        profile.body["service_areas"],
        json!(["养老服务", "社区服务"])
    );
    let by_code = app
        .get(&format!("/api/v1/organisations/{code}"), None)
        .await;
    assert_eq!(by_code.body["id"], organisation_id.as_str());
    let listed = app
        .get(
            "/api/v1/organisations?tenant=shenzhen&service_area=养老服务",
            None,
        )
        .await;
    assert_eq!(
        listed.body["items"][0]["id"],
        organisation_id.as_str(),
        "listed under the parent tenant"
    );

    let announcements = app
        .get(
            &format!("/api/v1/disclosures?subject_type=organisation&subject_id={organisation_id}"),
            None,
        )
        .await;
    let items = announcements.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["category"], "registration");
    assert_eq!(items[0]["publisher"], "futian民政局");
    let index_no = items[0]["index_no"].as_str().unwrap();
    assert!(index_no.starts_with("440304/2026-00001"), "{index_no}");
    assert!(items[0]["body"].as_str().unwrap().contains(&code));
    let by_index = app
        .get(
            &format!(
                "/api/v1/disclosures?index_no={}",
                index_no.replace('/', "%2F")
            ),
            None,
        )
        .await;
    assert_eq!(by_index.body["items"][0]["id"], items[0]["id"]);

    // The applicant now administers the organisation.
    let me = app.get("/api/v1/me", Some(&applicant)).await;
    assert!(
        me.body["grants"]
            .as_array()
            .unwrap()
            .iter()
            .any(|grant| grant["role"] == "org_admin"
                && grant["organisation_id"] == organisation_id.as_str())
    );

    // Change of name, approved by the registry.
    let change = app
        .post(
            &format!("/api/v1/organisations/{organisation_id}/changes"),
            Some(&applicant),
            json!({ "name": "深圳市福田区长者关爱协会", "reason": "更名" }),
        )
        .await;
    assert_eq!(change.status, StatusCode::CREATED, "{}", change.text);
    let change_id = change.body["id"].as_str().unwrap();
    let decided = app
        .post(
            &format!("/api/v1/organisations/{organisation_id}/changes/{change_id}/approve"),
            Some(&world.futian_admin),
            json!({}),
        )
        .await;
    assert_eq!(decided.status, StatusCode::OK, "{}", decided.text);
    let profile = app
        .get(&format!("/api/v1/organisations/{organisation_id}"), None)
        .await;
    assert_eq!(profile.body["name"], "深圳市福田区长者关爱协会");
    let history = app
        .get(
            &format!("/api/v1/organisations/{organisation_id}/history"),
            None,
        )
        .await;
    let events: Vec<&str> = history.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["event"].as_str().unwrap())
        .collect();
    assert_eq!(events, vec!["registered", "name_changed"]);
    assert_eq!(
        history.body["items"][0]["data"]["name"],
        "深圳市福田区长者关爱服务中心"
    );
    assert_eq!(
        history.body["items"][1]["data"]["from"],
        "深圳市福田区长者关爱服务中心"
    );
    assert_eq!(
        history.body["items"][1]["data"]["to"],
        "深圳市福田区长者关爱协会"
    );
    let disclosures = app
        .get(
            &format!("/api/v1/disclosures?subject_type=organisation&subject_id={organisation_id}"),
            None,
        )
        .await;
    let categories: Vec<&str> = disclosures.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["category"].as_str().unwrap())
        .collect();
    assert_eq!(categories, vec!["change", "registration"]);

    // Voluntary deregistration.
    let deregistration = app
        .post(
            &format!("/api/v1/organisations/{organisation_id}/deregistration"),
            Some(&applicant),
            json!({ "reason": "完成使命，自愿注销" }),
        )
        .await;
    assert_eq!(
        deregistration.status,
        StatusCode::CREATED,
        "{}",
        deregistration.text
    );
    let application = deregistration.body["id"].as_str().unwrap();
    app.post(
        &format!("/api/v1/organisations/{organisation_id}/changes/{application}/approve"),
        Some(&world.futian_admin),
        json!({}),
    )
    .await;
    let profile = app
        .get(&format!("/api/v1/organisations/{organisation_id}"), None)
        .await;
    assert_eq!(profile.body["status"], "deregistered");
    assert_eq!(profile.body["status_reason"], "完成使命，自愿注销");
    let disclosures = app
        .get(&format!("/api/v1/disclosures?subject_type=organisation&subject_id={organisation_id}&category=deregistration"), None)
        .await;
    assert_eq!(disclosures.body["items"].as_array().unwrap().len(), 1);

    // The applicant was e-mailed at each decision: returned, then approved (with the code).
    app.run_jobs().await;
    let subjects: Vec<(String, String)> = std::fs::read_dir(app.data_dir.join("outbox"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|entry| {
            let raw = std::fs::read(entry.path()).unwrap();
            let message = mail_parser::MessageParser::default().parse(&raw).unwrap();
            (
                message.subject().unwrap_or_default().to_owned(),
                message
                    .body_text(0)
                    .map(|text| text.into_owned())
                    .unwrap_or_default(),
            )
        })
        .collect();
    assert!(
        subjects
            .iter()
            .any(|(subject, _)| subject.contains("已退回补正")),
        "{subjects:?}"
    );
    let approval = subjects
        .iter()
        .find(|(subject, _)| subject.contains("已准予登记"))
        .expect("approval e-mail");
    assert!(approval.1.contains(&code), "the code is in the e-mail");
}

async fn registry_refusals(backend: Backend) {
    let world = world(backend).await;
    let app = &world.app;
    let unverified = ngo_user(app, "new@example.org", false).await;
    app.post(
        "/api/v1/registrations",
        Some(&unverified),
        json!({ "tenant": "futian", "name": "某协会" }),
    )
    .await
    .assert_problem(StatusCode::FORBIDDEN, "email_unverified");

    let first = ngo_user(app, "first@example.org", true).await;
    let second = ngo_user(app, "second@example.org", true).await;
    let mut ids = Vec::new();
    for (token, name) in [
        (&first, "深圳市福田区书法协会"),
        (&second, "深圳市福田區書法協會"),
    ] {
        let created = app
            .post("/api/v1/registrations", Some(token), complete_fields(name))
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
        let id = created.body["id"].as_str().unwrap().to_owned();
        upload_charter(app, token, &id).await;
        ids.push(id);
    }
    let submitted = app
        .post(
            &format!("/api/v1/registrations/{}/submit", ids[0]),
            Some(&first),
            json!({}),
        )
        .await;
    assert_eq!(submitted.status, StatusCode::OK);
    // Another NGO user and another tenant's administrator cannot see it: 404, nothing changes.
    app.get(&format!("/api/v1/registrations/{}", ids[0]), Some(&second))
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    app.post(
        &format!("/api/v1/registrations/{}/approve", ids[0]),
        Some(&world.luohu_admin),
        json!({}),
    )
    .await
    .assert_problem(StatusCode::NOT_FOUND, "not_found");
    app.post(
        &format!("/api/v1/registrations/{}/withdraw", ids[0]),
        Some(&second),
        json!({}),
    )
    .await
    .assert_problem(StatusCode::NOT_FOUND, "not_found");
    // The applicant cannot approve their own application.
    app.post(
        &format!("/api/v1/registrations/{}/approve", ids[0]),
        Some(&first),
        json!({}),
    )
    .await
    .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let approved = app
        .post(
            &format!("/api/v1/registrations/{}/approve", ids[0]),
            Some(&world.futian_admin),
            json!({}),
        )
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.text);
    let organisation_id = approved.body["organisation_id"]
        .as_str()
        .unwrap()
        .to_owned();

    // The same name in traditional characters is the same name.
    let duplicate = app
        .post(
            &format!("/api/v1/registrations/{}/submit", ids[1]),
            Some(&second),
            json!({}),
        )
        .await;
    duplicate.assert_problem(StatusCode::CONFLICT, "name_taken");
    assert_eq!(duplicate.problem_fields(), vec!["name"]);

    // Someone else's organisation: 404 for a stranger NGO user, 403 for the parent's reader.
    app.post(
        &format!("/api/v1/organisations/{organisation_id}/changes"),
        Some(&second),
        json!({ "address": "别处" }),
    )
    .await
    .assert_problem(StatusCode::NOT_FOUND, "not_found");
    app.post(
        &format!("/api/v1/organisations/{organisation_id}/abnormal"),
        Some(&world.luohu_admin),
        json!({ "reason": "未年检" }),
    )
    .await
    .assert_problem(StatusCode::NOT_FOUND, "not_found");
    app.get(
        &format!("/api/v1/organisations/{organisation_id}/changes"),
        Some(&second),
    )
    .await
    .assert_problem(StatusCode::NOT_FOUND, "not_found");

    // Abnormal list and back, each disclosed; a wrong-state request answers with the state.
    let listed = app
        .post(
            &format!("/api/v1/organisations/{organisation_id}/abnormal"),
            Some(&world.futian_admin),
            json!({ "reason": "未按时提交年度报告" }),
        )
        .await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.text);
    assert_eq!(listed.body["status"], "abnormal");
    let again = app
        .post(
            &format!("/api/v1/organisations/{organisation_id}/abnormal"),
            Some(&world.futian_admin),
            json!({ "reason": "x" }),
        )
        .await;
    again.assert_problem(StatusCode::CONFLICT, "invalid_transition");
    assert_eq!(again.body["current_state"], "abnormal");
    let delisted = app
        .post(
            &format!("/api/v1/organisations/{organisation_id}/abnormal/remove"),
            Some(&world.futian_admin),
            json!({ "reason": "已补报" }),
        )
        .await;
    assert_eq!(delisted.body["status"], "registered");
    let categories: Vec<String> = app
        .get(
            &format!("/api/v1/disclosures?subject_id={organisation_id}"),
            None,
        )
        .await
        .body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["category"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        categories,
        vec!["abnormal_delisting", "abnormal_listing", "registration"]
    );

    // A pending change dies with a revocation; it cannot be approved afterwards.
    let pending = app
        .post(
            &format!("/api/v1/organisations/{organisation_id}/changes"),
            Some(&first),
            json!({ "address": "新址" }),
        )
        .await;
    assert_eq!(pending.status, StatusCode::CREATED, "{}", pending.text);
    let pending_id = pending.body["id"].as_str().unwrap().to_owned();
    let decision = app
        .client
        .post(
            app.url("/api/v1/tenants/futian/documents?visibility=public&file_name=撤销决定书.pdf"),
        )
        .bearer_auth(&world.futian_admin)
        .header("content-type", "application/pdf")
        .body(b"%PDF-1.4 decision".to_vec())
        .send()
        .await
        .unwrap();
    let decision = TestResponse::read(decision).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let revoked = app
        .post(
            &format!("/api/v1/organisations/{organisation_id}/revoke"),
            Some(&world.futian_admin),
            json!({ "reason": "严重违法", "decision_document_id": decision }),
        )
        .await;
    assert_eq!(revoked.body["status"], "revoked", "{}", revoked.text);
    let applications = app
        .get(
            &format!("/api/v1/organisations/{organisation_id}/changes"),
            Some(&first),
        )
        .await;
    assert_eq!(applications.body["items"][0]["status"], "rejected");
    app.post(
        &format!("/api/v1/organisations/{organisation_id}/changes/{pending_id}/approve"),
        Some(&world.futian_admin),
        json!({}),
    )
    .await
    .assert_problem(StatusCode::CONFLICT, "invalid_transition");
    app.delete(
        &format!("/api/v1/documents/{decision}"),
        Some(&world.futian_admin),
    )
    .await
    .assert_problem(StatusCode::CONFLICT, "document_in_use");
    // A correction of the revocation notice keeps its category and subject.
    let notice = app
        .get(
            &format!("/api/v1/disclosures?subject_id={organisation_id}&category=revocation"),
            None,
        )
        .await
        .body["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let corrected = app
        .post("/api/v1/tenants/futian/disclosures", Some(&world.futian_admin), json!({ "title": "撤销登记公告（更正）", "body": "更正决定书文号。", "supersedes": notice }))
        .await;
    assert_eq!(
        corrected.body["category"], "revocation",
        "{}",
        corrected.text
    );
    assert_eq!(corrected.body["subject_id"], organisation_id.as_str());

    // Invalid codes find nothing; public readers never see applications.
    app.get("/api/v1/organisations/53100000500012015T", None)
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    app.get(&format!("/api/v1/registrations/{}", ids[1]), None)
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
}

/// Applies, submits and approves an organisation for `token`; returns its id.
pub(crate) async fn approved_organisation(world: &World, token: &str, name: &str) -> String {
    let app = &world.app;
    let created = app
        .post("/api/v1/registrations", Some(token), complete_fields(name))
        .await;
    let id = created.body["id"].as_str().unwrap().to_owned();
    upload_charter(app, token, &id).await;
    app.post(
        &format!("/api/v1/registrations/{id}/submit"),
        Some(token),
        json!({}),
    )
    .await;
    let approved = app
        .post(
            &format!("/api/v1/registrations/{id}/approve"),
            Some(&world.futian_admin),
            json!({}),
        )
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.text);
    approved.body["organisation_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn members_are_managed_by_their_organisation(backend: Backend) {
    let world = world(backend).await;
    let app = &world.app;
    let admin = ngo_user(app, "boss@example.org", true).await;
    let colleague = ngo_user(app, "colleague@example.org", true).await;
    let organisation = approved_organisation(&world, &admin, "深圳市福田区围棋协会").await;
    let members_path = format!("/api/v1/organisations/{organisation}/members");

    // Before joining, the colleague cannot see the private parts at all.
    app.get(&members_path, Some(&colleague))
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");

    let invited = app
        .post(
            &members_path,
            Some(&admin),
            json!({ "email": "colleague@example.org", "name": "同事", "role": "org_member" }),
        )
        .await;
    let newcomer = app
        .post(
            &members_path,
            Some(&admin),
            json!({ "email": "newcomer@example.org", "name": "新人", "role": "org_member" }),
        )
        .await;
    // The answer is the same whether or not the address had an account.
    assert_eq!(invited.status, StatusCode::ACCEPTED, "{}", invited.text);
    assert_eq!(newcomer.status, StatusCode::ACCEPTED);
    let keys = |body: &Value| {
        body.as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(keys(&invited.body), keys(&newcomer.body));
    assert!(invited.body.get("name").is_none());

    let listed = app.get(&members_path, Some(&colleague)).await;
    let members: Vec<(String, String)> = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|member| {
            (
                member["email"].as_str().unwrap().to_owned(),
                member["role"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        members,
        vec![
            ("boss@example.org".to_owned(), "org_admin".to_owned()),
            ("colleague@example.org".to_owned(), "org_member".to_owned()),
            ("newcomer@example.org".to_owned(), "org_member".to_owned()),
        ]
    );
    let active: Vec<bool> = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|member| member["active"].as_bool().unwrap())
        .collect();
    assert_eq!(
        active,
        vec![true, true, false],
        "the new account waits for its password"
    );
    let newcomer_id = listed.body["items"][2]["user_id"]
        .as_str()
        .unwrap()
        .to_owned();
    // The registry reads it too; another tenant does not.
    assert_eq!(
        app.get(&members_path, Some(&world.futian_admin))
            .await
            .status,
        StatusCode::OK
    );
    app.get(&members_path, Some(&world.luohu_admin))
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");

    // Members may look, not manage.
    app.post(
        &members_path,
        Some(&colleague),
        json!({ "email": "x@example.org", "name": "x", "role": "org_admin" }),
    )
    .await
    .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    app.post(
        &format!("/api/v1/organisations/{organisation}/changes"),
        Some(&colleague),
        json!({ "address": "别处" }),
    )
    .await
    .assert_problem(StatusCode::FORBIDDEN, "forbidden");

    // The last administrator stays; with a second one, roles move.
    let boss_id = app.get("/api/v1/me", Some(&admin)).await.body["user"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.delete(&format!("{members_path}/{boss_id}"), Some(&admin))
        .await
        .assert_problem(StatusCode::CONFLICT, "last_administrator");
    let colleague_id = app.get("/api/v1/me", Some(&colleague)).await.body["user"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let promoted = app
        .request(
            Method::PUT,
            &format!("{members_path}/{colleague_id}"),
            Some(&admin),
            Some(json!({ "role": "org_admin" })),
        )
        .await;
    assert_eq!(promoted.status, StatusCode::NO_CONTENT, "{}", promoted.text);
    let removed = app
        .delete(&format!("{members_path}/{newcomer_id}"), Some(&colleague))
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get(&members_path, Some(&admin)).await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // The organisation's private documents: its administrators upload, its members and the
    // registry read, nobody else even sees them.
    let documents_path = format!("/api/v1/organisations/{organisation}/documents");
    let upload = |token: String| {
        app.client
            .post(app.url(&format!("{documents_path}?file_name=理事会决议.pdf")))
            .bearer_auth(token)
            .header("content-type", "application/pdf")
            .body(b"%PDF-1.7 board resolution".to_vec())
            .send()
    };
    let uploaded = TestResponse::read(upload(admin.clone()).await.unwrap()).await;
    assert_eq!(uploaded.status, StatusCode::CREATED, "{}", uploaded.text);
    let document = uploaded.body["id"].as_str().unwrap().to_owned();
    let member_upload = TestResponse::read(upload(colleague.clone()).await.unwrap()).await;
    assert_eq!(
        member_upload.status,
        StatusCode::CREATED,
        "the colleague was promoted to administrator"
    );
    let listed = app.get(&documents_path, Some(&world.futian_admin)).await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 2);
    assert_eq!(listed.body["items"][1]["file_name"], "理事会决议.pdf");
    for (token, status) in [
        (Some(colleague.as_str()), StatusCode::OK),
        (Some(world.futian_admin.as_str()), StatusCode::OK),
        (Some(world.luohu_admin.as_str()), StatusCode::NOT_FOUND),
        (None, StatusCode::NOT_FOUND),
    ] {
        let download = app
            .get(&format!("/api/v1/documents/{document}/content"), token)
            .await;
        assert_eq!(download.status, status);
    }
    app.get(&documents_path, Some(&world.luohu_admin))
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    // Deleting is the registry's: a member who can read the document is told so (403), a
    // stranger learns nothing (404).
    app.delete(&format!("/api/v1/documents/{document}"), Some(&colleague))
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    app.delete(
        &format!("/api/v1/documents/{document}"),
        Some(&world.luohu_admin),
    )
    .await
    .assert_problem(StatusCode::NOT_FOUND, "not_found");

    // The invitations were e-mailed: a set-password link for the newcomer, a notice for the colleague.
    let pass = app.run_jobs().await;
    assert!(pass.succeeded >= 2, "{pass:?}");
    let outbox = std::fs::read_dir(app.data_dir.join("outbox"))
        .unwrap()
        .count();
    assert!(outbox >= 2, "messages written to the outbox folder");
}

async fn complaints_reach_only_the_registry(backend: Backend) {
    let world = world(backend).await;
    let app = &world.app;
    let ngo = ngo_user(app, "ngo@example.org", true).await;
    let organisation = approved_organisation(&world, &ngo, "深圳市福田区摄影协会").await;
    let code = app
        .get(&format!("/api/v1/organisations/{organisation}"), None)
        .await
        .body["uscc"]
        .as_str()
        .unwrap()
        .to_owned();

    for (index, target) in [
        organisation.as_str(),
        code.as_str(),
        organisation.as_str(),
        code.as_str(),
        organisation.as_str(),
    ]
    .iter()
    .enumerate()
    {
        let filed = app
            .post(
                &format!("/api/v1/organisations/{target}/complaints"),
                None,
                json!({ "text": format!("第{index}次：收费不透明"), "contact": "138xxxx0000" }),
            )
            .await;
        assert_eq!(filed.status, StatusCode::ACCEPTED, "{}", filed.text);
    }
    let limited = app
        .post(
            &format!("/api/v1/organisations/{organisation}/complaints"),
            None,
            json!({ "text": "再一次" }),
        )
        .await;
    limited.assert_problem(StatusCode::TOO_MANY_REQUESTS, "too_many_requests");
    assert!(limited.headers.contains_key("retry-after"));

    let listed = app
        .get(
            "/api/v1/tenants/futian/complaints",
            Some(&world.futian_admin),
        )
        .await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.text);
    let items = listed.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 5);
    assert!(
        items
            .iter()
            .all(|item| item.get("client_address").is_none())
    );
    let id = items[0]["id"].as_str().unwrap().to_owned();

    // Never public, never the organisation's, never another tenant's; the parent reads only.
    app.get(&format!("/api/v1/complaints/{id}"), Some(&ngo))
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    app.get(
        "/api/v1/tenants/futian/complaints",
        Some(&world.luohu_admin),
    )
    .await
    .assert_problem(StatusCode::NOT_FOUND, "not_found");
    app.get(&format!("/api/v1/complaints/{id}"), None)
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
    let platform = app.login("root@example.org", PASSWORD).await;
    let city_admin = {
        let (_, token) = app
            .tenant_user(
                &platform,
                "shenzhen",
                "city@example.org",
                &["registry_admin"],
            )
            .await;
        token
    };
    assert_eq!(
        app.get(&format!("/api/v1/complaints/{id}"), Some(&city_admin))
            .await
            .status,
        StatusCode::OK
    );
    app.post(
        &format!("/api/v1/complaints/{id}/handle"),
        Some(&city_admin),
        json!({ "status": "in_progress" }),
    )
    .await
    .assert_problem(StatusCode::FORBIDDEN, "forbidden");

    let progress = app
        .post(
            &format!("/api/v1/complaints/{id}/handle"),
            Some(&world.futian_admin),
            json!({ "status": "in_progress" }),
        )
        .await;
    assert_eq!(progress.body["status"], "in_progress");
    app.post(
        &format!("/api/v1/complaints/{id}/handle"),
        Some(&world.futian_admin),
        json!({ "status": "closed" }),
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let closed = app
        .post(
            &format!("/api/v1/complaints/{id}/handle"),
            Some(&world.futian_admin),
            json!({ "status": "closed", "resolution": "已约谈，收费标准已公示" }),
        )
        .await;
    assert_eq!(closed.body["status"], "closed");
    app.post(
        &format!("/api/v1/complaints/{id}/handle"),
        Some(&world.futian_admin),
        json!({ "status": "in_progress" }),
    )
    .await
    .assert_problem(StatusCode::CONFLICT, "invalid_transition");
    let open = app
        .get(
            "/api/v1/tenants/futian/complaints?status=open",
            Some(&world.futian_admin),
        )
        .await;
    assert_eq!(open.body["items"].as_array().unwrap().len(), 4);
    // With files: a refused file refuses the whole complaint and keeps nothing.
    let form = |files: Vec<(&'static str, &'static str, Vec<u8>)>| {
        let mut form = reqwest::multipart::Form::new()
            .text("text", "志愿者被要求交押金")
            .text("contact", "匿名");
        for (name, mime, bytes) in files {
            form = form.part(
                "file",
                reqwest::multipart::Part::bytes(bytes)
                    .file_name(name)
                    .mime_str(mime)
                    .unwrap(),
            );
        }
        form
    };
    let png = b"\x89PNG\r\n\x1a\n0123456789".to_vec();
    let organisation_path = format!("/api/v1/organisations/{organisation}/complaints");
    let clock_jump = chrono::Duration::hours(2);
    app.clock.advance(clock_jump);
    let refused = app
        .client
        .post(app.url(&organisation_path))
        .multipart(form(vec![
            ("photo.png", "image/png", png.clone()),
            (
                "tool.exe",
                "application/octet-stream",
                b"MZ\x90\x00".to_vec(),
            ),
        ]))
        .send()
        .await
        .unwrap();
    TestResponse::read(refused)
        .await
        .assert_problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_type");
    let accepted = app
        .client
        .post(app.url(&organisation_path))
        .multipart(form(vec![("photo.png", "image/png", png.clone())]))
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), StatusCode::ACCEPTED);
    let newest = app
        .get(
            "/api/v1/tenants/futian/complaints?limit=1",
            Some(&world.futian_admin),
        )
        .await;
    let attachments = newest.body["items"][0]["attachments"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(
        attachments.len(),
        1,
        "only the accepted complaint's file was kept"
    );
    let attachment = attachments[0].as_str().unwrap();
    let download = app
        .get(
            &format!("/api/v1/documents/{attachment}/content"),
            Some(&world.futian_admin),
        )
        .await;
    assert_eq!(download.status, StatusCode::OK);
    app.get(&format!("/api/v1/documents/{attachment}/content"), None)
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");

    // Complaints leave no disclosure.
    let disclosures = app
        .get(
            &format!("/api/v1/disclosures?subject_id={organisation}"),
            None,
        )
        .await;
    assert_eq!(disclosures.body["items"].as_array().unwrap().len(), 1);
}

async fn existing_organisations_and_policy_documents(backend: Backend) {
    let world = world(backend).await;
    let app = &world.app;
    let record = |uscc: &str, reason: Option<&str>, name: &str| {
        json!({
            "uscc": uscc,
            "uscc_override_reason": reason,
            "name": name,
            "type": "social_group",
            "address": "深圳市福田区",
            "legal_representative": "张三",
            "service_areas": ["文化"],
            "registered_funds_fen": 3_000_000,
        })
    };
    let path = "/api/v1/tenants/futian/organisations";
    let refused = app
        .post(
            path,
            Some(&world.futian_admin),
            record("53100000500012015T", None, "老协会"),
        )
        .await;
    refused.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(refused.body["errors"][0]["field"], "uscc");
    assert_eq!(refused.body["errors"][0]["code"], "check_character");
    app.post(
        path,
        Some(&world.futian_admin),
        record("5310000050001201SZ", Some("旧证"), "老协会"),
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let recorded = app
        .post(
            path,
            Some(&world.futian_admin),
            record(
                "53100000500012015T",
                Some("2005 年颁发的证书即如此，已报上级核实"),
                "老协会",
            ),
        )
        .await;
    assert_eq!(recorded.status, StatusCode::CREATED, "{}", recorded.text);
    let id = recorded.body["id"].as_str().unwrap().to_owned();
    let audit = app
        .get(
            &format!("/api/v1/admin/audit?object_type=organisation&object_id={id}"),
            Some(&world.futian_admin),
        )
        .await;
    assert_eq!(
        audit.body["items"][0]["data"]["check_character_override"],
        "2005 年颁发的证书即如此，已报上级核实"
    );
    app.post(
        path,
        Some(&world.futian_admin),
        record("52440300MJL186084F", None, "老协会"),
    )
    .await
    .assert_problem(StatusCode::CONFLICT, "already_recorded");
    app.post(
        path,
        Some(&world.luohu_admin),
        record("52440300MJL186084F", None, "另一个"),
    )
    .await
    .assert_problem(StatusCode::NOT_FOUND, "not_found");
    let by_code = app
        .get("/api/v1/organisations/53100000500012015t", None)
        .await;
    assert_eq!(
        by_code.body["id"],
        id.as_str(),
        "found under the code as recorded"
    );

    // A policy document with an attachment, then a correction that supersedes it.
    let attachment = app
        .client
        .post(app.url("/api/v1/tenants/futian/documents?visibility=public&file_name=通知.pdf"))
        .bearer_auth(&world.futian_admin)
        .header("content-type", "application/pdf")
        .body(b"%PDF-1.4 notice".to_vec())
        .send()
        .await
        .unwrap();
    let attachment = TestResponse::read(attachment).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let policy = app
        .post(
            "/api/v1/tenants/futian/disclosures",
            Some(&world.futian_admin),
            json!({ "title": "福田区社会组织年检通知", "body": "各社会组织：请于3月31日前提交年度报告。", "document_number": "深福民〔2026〕5号", "subject_terms": ["年检"], "attachments": [attachment] }),
        )
        .await;
    assert_eq!(policy.status, StatusCode::CREATED, "{}", policy.text);
    assert_eq!(policy.body["category"], "policy");
    assert_eq!(policy.body["category_zh"], "政策文件");
    assert_eq!(policy.body["document_number"], "深福民〔2026〕5号");
    let policy_id = policy.body["id"].as_str().unwrap().to_owned();
    let correction = app
        .post(
            "/api/v1/tenants/futian/disclosures",
            Some(&world.futian_admin),
            json!({ "title": "福田区社会组织年检通知（更正）", "body": "截止日期更正为4月30日。", "supersedes": policy_id }),
        )
        .await;
    assert_eq!(
        correction.status,
        StatusCode::CREATED,
        "{}",
        correction.text
    );
    assert_ne!(correction.body["index_no"], policy.body["index_no"]);
    let original = app
        .get(&format!("/api/v1/disclosures/{policy_id}"), None)
        .await;
    assert_eq!(
        original.body["title"], "福田区社会组织年检通知",
        "never edited in place"
    );
    assert_eq!(original.body["superseded_by_id"], correction.body["id"]);
    app.post(
        "/api/v1/tenants/futian/disclosures",
        Some(&world.futian_admin),
        json!({ "title": "再更正", "body": "x", "supersedes": policy_id }),
    )
    .await
    .assert_problem(StatusCode::CONFLICT, "already_superseded");
    // Futian's disclosures are public: luohu's administrator sees them, and may not publish.
    app.post(
        "/api/v1/tenants/futian/disclosures",
        Some(&world.luohu_admin),
        json!({ "title": "x", "body": "y" }),
    )
    .await
    .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let missing = app
        .post(
            "/api/v1/tenants/futian/disclosures",
            Some(&world.futian_admin),
            json!({ "title": " ", "body": "" }),
        )
        .await;
    missing.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let mut fields = missing.problem_fields();
    fields.sort();
    assert_eq!(fields, vec!["body", "title"]);
    let hidden = app
        .post(
            "/api/v1/tenants/futian/disclosures",
            Some(&world.futian_admin),
            json!({ "title": "通知", "body": "正文", "document_number": "深福民〔2026〕\u{200b}6号", "subject_terms": ["年检", "\u{202e}检年"] }),
        )
        .await;
    hidden.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let mut fields = hidden.problem_fields();
    fields.sort();
    assert_eq!(fields, vec!["document_number", "subject_terms[1]"]);
    let listed = app
        .get("/api/v1/disclosures?tenant=futian&category=policy", None)
        .await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 2);
}

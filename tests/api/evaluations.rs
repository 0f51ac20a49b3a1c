//! A whole evaluation campaign over HTTP: the default rubric, a campaign, two organisations
//! (one scored by three assessors, one by five), material and self-assessment, declarations,
//! scores, a committee override and a leaf not applicable, publicity with an objection, a review
//! that changes the grade, finalisation and expiry by the clock, downgrade and cancellation; and
//! the refusals along the way.

use chrono::{Duration, NaiveDate};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use socorg::clock::Clock;

use crate::{
    helpers::{Backend, PASSWORD, TestApp, TestResponse},
    registry::{approved_organisation, complete_fields, ngo_user, upload_charter, world},
};

crate::on_both_databases!(
    a_campaign_from_rubric_to_expired_grades,
    a_grade_lasts_to_midnight_in_the_organisations_zone,
);

fn urlencode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

async fn put(app: &TestApp, path: &str, token: &str, body: Value) -> TestResponse {
    app.request(Method::PUT, path, Some(token), Some(body))
        .await
}

/// Leaf code → maximum (centi-points) of a rubric, in its order.
fn leaves(rubric: &Value) -> Vec<(String, i64)> {
    fn walk(indicator: &Value, out: &mut Vec<(String, i64)>) {
        let children = indicator["children"].as_array().unwrap();
        if children.is_empty() {
            out.push((
                indicator["code"].as_str().unwrap().to_owned(),
                indicator["max"].as_i64().unwrap(),
            ));
        }
        for child in children {
            walk(child, out);
        }
    }
    let mut out = Vec::new();
    for indicator in rubric["content"]["indicators"].as_array().unwrap() {
        walk(indicator, &mut out);
    }
    out
}

/// A score sheet: `score(code, max)` for every leaf, with a reason below the maximum.
fn sheet(leaves: &[(String, i64)], score: impl Fn(&str, i64) -> i64) -> Value {
    let entries: serde_json::Map<String, Value> = leaves
        .iter()
        .map(|(code, max)| {
            let value = score(code, *max);
            (
                code.clone(),
                json!({ "score": value, "reason": if value < *max { "材料不够完整" } else { "" } }),
            )
        })
        .collect();
    json!({ "leaves": entries })
}

struct Assessor {
    id: String,
    token: String,
}

async fn assessors(
    app: &TestApp,
    admin: &str,
    tenant: &str,
    count: usize,
    prefix: &str,
) -> Vec<Assessor> {
    let mut out = Vec::new();
    for index in 0..count {
        let (id, token) = app
            .tenant_user(
                admin,
                tenant,
                &format!("{prefix}{index}@example.org"),
                &["assessor"],
            )
            .await;
        out.push(Assessor { id, token });
    }
    out
}

/// Assigns, declares, scores and submits: the panel of an application.
async fn panel_scores(
    app: &TestApp,
    admin: &str,
    application: &str,
    panel: &[&Assessor],
    sheets: &[Value],
) -> Vec<String> {
    let mut assignments = Vec::new();
    for assessor in panel {
        let assigned = app
            .post(
                &format!("/api/v1/evaluation-applications/{application}/assessors"),
                Some(admin),
                json!({ "user_id": assessor.id }),
            )
            .await;
        assert_eq!(assigned.status, StatusCode::CREATED, "{}", assigned.text);
        assignments.push(assigned.body["assignment_id"].as_str().unwrap().to_owned());
    }
    for ((assessor, assignment), sheet) in panel.iter().zip(&assignments).zip(sheets) {
        let declared = app
            .post(
                &format!("/api/v1/evaluation-assignments/{assignment}/declaration"),
                Some(&assessor.token),
                json!({ "no_employment_last_two_years": true, "no_other_interest": true }),
            )
            .await;
        assert_eq!(declared.status, StatusCode::OK, "{}", declared.text);
        assert!(declared.body["declared_at"].is_string());
        let scored = put(
            app,
            &format!("/api/v1/evaluation-assignments/{assignment}/scores"),
            &assessor.token,
            sheet.clone(),
        )
        .await;
        assert_eq!(scored.status, StatusCode::OK, "{}", scored.text);
        let submitted = app
            .post(
                &format!("/api/v1/evaluation-assignments/{assignment}/submit"),
                Some(&assessor.token),
                json!({}),
            )
            .await;
        assert_eq!(submitted.status, StatusCode::OK, "{}", submitted.text);
    }
    assignments
}

/// Applies for an organisation, gives material and a full self-assessment, submits.
async fn prepared_application(
    app: &TestApp,
    token: &str,
    campaign: &str,
    organisation: &str,
    leaves: &[(String, i64)],
) -> String {
    let applied = app
        .post(
            &format!("/api/v1/evaluation-campaigns/{campaign}/applications"),
            Some(token),
            json!({ "organisation_id": organisation }),
        )
        .await;
    assert_eq!(applied.status, StatusCode::CREATED, "{}", applied.text);
    let id = applied.body["id"].as_str().unwrap().to_owned();
    let assessed = put(
        app,
        &format!("/api/v1/evaluation-applications/{id}/self-assessment"),
        token,
        json!({ "leaves": leaves.iter().map(|(code, max)| (code.clone(), json!({ "score": max, "note": "自评" }))).collect::<serde_json::Map<_, _>>() }),
    )
    .await;
    assert_eq!(assessed.status, StatusCode::OK, "{}", assessed.text);
    let submitted = app
        .post(
            &format!("/api/v1/evaluation-applications/{id}/submit"),
            Some(token),
            json!({}),
        )
        .await;
    assert_eq!(submitted.status, StatusCode::OK, "{}", submitted.text);
    assert_eq!(submitted.body["status"], "submitted");
    id
}

async fn grades(app: &TestApp, organisation: &str) -> Value {
    app.get(
        &format!("/api/v1/organisations/{organisation}/grades"),
        None,
    )
    .await
    .body
}

/// The index follows on its own: polls a signed-in search until `check` holds.
async fn search_until(app: &TestApp, token: &str, path: &str, check: impl Fn(&Value) -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let found = app.get(path, Some(token)).await;
        assert_eq!(found.status, StatusCode::OK, "{}", found.text);
        if check(&found.body) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{path}: {}",
            found.text
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

async fn a_campaign_from_rubric_to_expired_grades(backend: Backend) {
    let world = world(backend).await;
    let app = &world.app;
    let first_admin = ngo_user(app, "first@example.org", true).await;
    let second_admin = ngo_user(app, "second@example.org", true).await;
    let first = approved_organisation(&world, &first_admin, "深圳市福田区长者关爱服务中心").await;
    let second = approved_organisation(&world, &second_admin, "深圳市福田区社区发展服务中心").await;
    // Two full years and a day later (sessions have ended meanwhile); a newcomer registers then.
    app.clock.advance(Duration::days(2 * 365 + 2));
    let login = |email: &'static str| app.login(email, PASSWORD);
    let admin = login("futian@example.org").await;
    let luohu_admin = login("luohu@example.org").await;
    let first_admin = login("first@example.org").await;
    let second_admin = login("second@example.org").await;
    let young_admin = ngo_user(app, "young@example.org", true).await;
    let young = {
        let created = app
            .post(
                "/api/v1/registrations",
                Some(&young_admin),
                complete_fields("深圳市福田区青年志愿服务中心"),
            )
            .await;
        let id = created.body["id"].as_str().unwrap().to_owned();
        upload_charter(app, &young_admin, &id).await;
        app.post(
            &format!("/api/v1/registrations/{id}/submit"),
            Some(&young_admin),
            json!({}),
        )
        .await;
        let approved = app
            .post(
                &format!("/api/v1/registrations/{id}/approve"),
                Some(&admin),
                json!({}),
            )
            .await;
        assert_eq!(approved.status, StatusCode::OK, "{}", approved.text);
        approved.body["organisation_id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let today = app.clock.now().date_naive();

    // The default rubric is installed for every type; a rubric that does not add up is refused.
    let rubrics = app
        .get(
            "/api/v1/tenants/futian/rubrics?org_type=social_service_organisation",
            None,
        )
        .await;
    assert_eq!(rubrics.status, StatusCode::OK, "{}", rubrics.text);
    let rubric = rubrics.body["items"][0].clone();
    assert_eq!(rubric["version"], 1);
    assert_eq!(rubric["total"], 100_000);
    let leaves = leaves(&rubric);
    assert_eq!(leaves.len(), 17);
    let rubric_id = rubric["id"].as_str().unwrap().to_owned();
    let mut broken = rubric["content"].clone();
    broken["indicators"][1]["children"][4]["max"] = json!(9_900);
    let refused = app
        .post(
            "/api/v1/tenants/futian/rubrics",
            Some(&admin),
            json!({ "org_type": "social_service_organisation", "content": broken }),
        )
        .await;
    refused.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(refused.problem_fields(), ["indicators[1].max"]);

    let opened = app
        .post(
            "/api/v1/tenants/futian/evaluation-campaigns",
            Some(&admin),
            json!({
                "year": 2028,
                "title": "2028年度福田区社会组织评估",
                "rubric_id": rubric_id,
                "applications_open_on": (today - Duration::days(1)).to_string(),
                "applications_close_on": (today + Duration::days(30)).to_string(),
                "publicity_days": 7,
            }),
        )
        .await;
    assert_eq!(opened.status, StatusCode::CREATED, "{}", opened.text);
    let campaign = opened.body["id"].as_str().unwrap().to_owned();
    // The version in use is fixed; a new one can be made.
    put(
        app,
        &format!("/api/v1/rubrics/{rubric_id}"),
        &admin,
        json!({ "content": rubric["content"] }),
    )
    .await
    .assert_problem(StatusCode::CONFLICT, "rubric_in_use");
    let version_two = app
        .post(
            "/api/v1/tenants/futian/rubrics",
            Some(&admin),
            json!({ "org_type": "social_service_organisation", "content": rubric["content"] }),
        )
        .await;
    assert_eq!(
        version_two.status,
        StatusCode::CREATED,
        "{}",
        version_two.text
    );
    assert_eq!(version_two.body["version"], 2);

    // An organisation registered less than two years ago may not apply; the rule is named.
    let too_young = app
        .post(
            &format!("/api/v1/evaluation-campaigns/{campaign}/applications"),
            Some(&young_admin),
            json!({ "organisation_id": young }),
        )
        .await;
    too_young.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert!(
        too_young.text.contains("registered_less_than_two_years"),
        "{}",
        too_young.text
    );

    // The first organisation: material for a leaf, a self-assessment with a bad score refused.
    let applied = app
        .post(
            &format!("/api/v1/evaluation-campaigns/{campaign}/applications"),
            Some(&first_admin),
            json!({ "organisation_id": first }),
        )
        .await;
    assert_eq!(applied.status, StatusCode::CREATED, "{}", applied.text);
    let first_application = applied.body["id"].as_str().unwrap().to_owned();
    app.post(
        &format!("/api/v1/evaluation-campaigns/{campaign}/applications"),
        Some(&first_admin),
        json!({ "organisation_id": first }),
    )
    .await
    .assert_problem(StatusCode::CONFLICT, "already_applied");
    let upload = TestResponse::read(
        app.client
            .post(app.url(&format!(
                "/api/v1/organisations/{first}/documents?file_name=理事会会议纪要.pdf"
            )))
            .bearer_auth(&first_admin)
            .header("content-type", "application/pdf")
            .body(b"%PDF-1.7 minutes of the board".to_vec())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(upload.status, StatusCode::CREATED, "{}", upload.text);
    let material = app
        .post(
            &format!("/api/v1/evaluation-applications/{first_application}/materials"),
            Some(&first_admin),
            json!({ "leaf_code": "2.2", "document_id": upload.body["id"] }),
        )
        .await;
    assert_eq!(material.status, StatusCode::CREATED, "{}", material.text);
    let material_id = material.body["id"].as_str().unwrap().to_owned();
    // A material given twice by mistake is taken off again.
    let twice = app
        .post(
            &format!("/api/v1/evaluation-applications/{first_application}/materials"),
            Some(&first_admin),
            json!({ "leaf_code": "2.3", "document_id": upload.body["id"] }),
        )
        .await;
    let removed = app
        .delete(
            &format!(
                "/api/v1/evaluation-applications/{first_application}/materials/{}",
                twice.body["id"].as_str().unwrap()
            ),
            Some(&first_admin),
        )
        .await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.text);
    assert_eq!(removed.body["items"].as_array().unwrap().len(), 1);
    let out_of_range = put(
        app,
        &format!("/api/v1/evaluation-applications/{first_application}/self-assessment"),
        &first_admin,
        json!({ "leaves": { "1.1": { "score": 3_001 } } }),
    )
    .await;
    out_of_range.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(out_of_range.problem_fields(), ["leaves.1.1.score"]);
    let early = app
        .post(
            &format!("/api/v1/evaluation-applications/{first_application}/submit"),
            Some(&first_admin),
            json!({}),
        )
        .await;
    early.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(early.problem_fields().len(), 17, "every leaf is missing");
    let everything: serde_json::Map<String, Value> = leaves
        .iter()
        .map(|(code, max)| (code.clone(), json!({ "score": max, "note": "自评" })))
        .collect();
    let assessed = put(
        app,
        &format!("/api/v1/evaluation-applications/{first_application}/self-assessment"),
        &first_admin,
        json!({ "leaves": everything }),
    )
    .await;
    assert_eq!(assessed.status, StatusCode::OK, "{}", assessed.text);
    // Listed abnormal since applying, it may not submit until it is delisted.
    let listed = app
        .post(
            &format!("/api/v1/organisations/{first}/abnormal"),
            Some(&admin),
            json!({ "reason": "未按规定报送年度工作报告" }),
        )
        .await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.text);
    let abnormal = app
        .post(
            &format!("/api/v1/evaluation-applications/{first_application}/submit"),
            Some(&first_admin),
            json!({}),
        )
        .await;
    abnormal.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert!(abnormal.text.contains("\"abnormal\""), "{}", abnormal.text);
    let delisted = app
        .post(
            &format!("/api/v1/organisations/{first}/abnormal/remove"),
            Some(&admin),
            json!({ "reason": "已补报年度工作报告" }),
        )
        .await;
    assert_eq!(delisted.status, StatusCode::OK, "{}", delisted.text);
    let submitted = app
        .post(
            &format!("/api/v1/evaluation-applications/{first_application}/submit"),
            Some(&first_admin),
            json!({}),
        )
        .await;
    assert_eq!(submitted.status, StatusCode::OK, "{}", submitted.text);
    // Late changes are refused.
    put(
        app,
        &format!("/api/v1/evaluation-applications/{first_application}/self-assessment"),
        &first_admin,
        json!({ "leaves": { "1.1": { "score": 0 } } }),
    )
    .await
    .assert_problem(StatusCode::CONFLICT, "application_submitted");

    // Assessors: five in Futian, one in Luohu (who may not be assigned here).
    let futian = assessors(app, &admin, "futian", 5, "assessor").await;
    let luohu = assessors(app, &luohu_admin, "luohu", 1, "elsewhere").await;
    let elsewhere = app
        .post(
            &format!("/api/v1/evaluation-applications/{first_application}/assessors"),
            Some(&admin),
            json!({ "user_id": luohu[0].id }),
        )
        .await;
    elsewhere.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(elsewhere.problem_fields(), ["user_id"]);
    assert!(
        elsewhere.text.contains("not_an_assessor"),
        "{}",
        elsewhere.text
    );
    // Another registry's administrator does not even see the application.
    app.get(
        &format!("/api/v1/evaluation-applications/{first_application}"),
        Some(&luohu_admin),
    )
    .await
    .assert_problem(StatusCode::NOT_FOUND, "not_found");
    // The organisation sees no scores before publication; nobody objects to an unpublished one.
    app.get(
        &format!("/api/v1/evaluation-applications/{first_application}/panel"),
        Some(&first_admin),
    )
    .await
    .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    app.post(
        &format!("/api/v1/evaluation-applications/{first_application}/objections"),
        None,
        json!({ "name": "某人", "contact": "x", "text": "太早" }),
    )
    .await
    .assert_problem(StatusCode::NOT_FOUND, "not_found");
    // An assessor who cannot serve is taken off the panel before scoring.
    let stand_in = app
        .post(
            &format!("/api/v1/evaluation-applications/{first_application}/assessors"),
            Some(&admin),
            json!({ "user_id": futian[4].id }),
        )
        .await;
    assert_eq!(stand_in.status, StatusCode::CREATED, "{}", stand_in.text);
    let withdrawn = app
        .delete(
            &format!(
                "/api/v1/evaluation-applications/{first_application}/assessors/{}?reason=%E5%9B%A0%E4%BA%8B%E5%9B%9E%E9%81%BF",
                stand_in.body["assignment_id"].as_str().unwrap()
            ),
            Some(&admin),
        )
        .await;
    assert_eq!(withdrawn.status, StatusCode::OK, "{}", withdrawn.text);
    assert!(withdrawn.body["assessors"].as_array().unwrap().is_empty());

    // Before the declaration an assessor sees the assignment, nothing of the material.
    let assigned = app
        .post(
            &format!("/api/v1/evaluation-applications/{first_application}/assessors"),
            Some(&admin),
            json!({ "user_id": futian[0].id }),
        )
        .await;
    assert_eq!(assigned.status, StatusCode::CREATED, "{}", assigned.text);
    let assignment = assigned.body["assignment_id"].as_str().unwrap().to_owned();
    let mine = app
        .get("/api/v1/me/evaluation-assignments", Some(&futian[0].token))
        .await;
    assert_eq!(mine.body["items"][0]["id"], assignment.as_str());
    app.get(
        &format!("/api/v1/evaluation-applications/{first_application}/materials"),
        Some(&futian[0].token),
    )
    .await
    .assert_problem(StatusCode::FORBIDDEN, "declaration_required");
    let undeclared = app
        .get(
            &format!("/api/v1/evaluation-applications/{first_application}"),
            Some(&futian[0].token),
        )
        .await;
    assert!(
        undeclared.body["self_assessment"].is_null(),
        "{}",
        undeclared.text
    );
    put(
        app,
        &format!("/api/v1/evaluation-assignments/{assignment}/scores"),
        &futian[0].token,
        sheet(&leaves, |_, max| max),
    )
    .await
    .assert_problem(StatusCode::FORBIDDEN, "declaration_required");
    // Assessors of other panels or tenants see nothing at all.
    for stranger in [&futian[3].token, &luohu[0].token] {
        app.get(
            &format!("/api/v1/evaluation-applications/{first_application}"),
            Some(stranger),
        )
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
        app.get(
            &format!("/api/v1/evaluation-assignments/{assignment}"),
            Some(stranger),
        )
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
        app.get(
            &format!(
                "/api/v1/evaluation-applications/{first_application}/materials/{material_id}/content"
            ),
            Some(stranger),
        )
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    }
    // A conflict of interest cannot be declared away.
    let conflicted = app
        .post(
            &format!("/api/v1/evaluation-assignments/{assignment}/declaration"),
            Some(&futian[0].token),
            json!({ "no_employment_last_two_years": false, "no_other_interest": true }),
        )
        .await;
    conflicted.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(
        conflicted.problem_fields(),
        ["no_employment_last_two_years"]
    );
    let declared = app
        .post(
            &format!("/api/v1/evaluation-assignments/{assignment}/declaration"),
            Some(&futian[0].token),
            json!({ "no_employment_last_two_years": true, "no_other_interest": true, "statement": "与该组织无任何关系" }),
        )
        .await;
    assert_eq!(declared.status, StatusCode::OK, "{}", declared.text);
    let content = app
        .get(
            &format!(
                "/api/v1/evaluation-applications/{first_application}/materials/{material_id}/content"
            ),
            Some(&futian[0].token),
        )
        .await;
    assert_eq!(content.status, StatusCode::OK);
    assert!(content.text.contains("minutes of the board"));
    // Scores outside 0…max, or below the maximum without a reason, are refused.
    for (body, field) in [
        (
            json!({ "leaves": { "1.1": { "score": 3_001 } } }),
            "leaves.1.1.score",
        ),
        (
            json!({ "leaves": { "1.1": { "score": -1, "reason": "差" } } }),
            "leaves.1.1.score",
        ),
        (
            json!({ "leaves": { "1.1": { "score": 2_000 } } }),
            "leaves.1.1.reason",
        ),
    ] {
        let refused = put(
            app,
            &format!("/api/v1/evaluation-assignments/{assignment}/scores"),
            &futian[0].token,
            body,
        )
        .await;
        refused.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(refused.problem_fields(), [field]);
    }

    // Three assessors score 90 % of every leaf but 3.4 (max 70), where they disagree:
    // 70, 30 and 50 points. Sum: 900 − 63 + 50 = 887.00 points.
    let ninety = |code: &str, max: i64, own: i64| if code == "3.4" { own } else { max * 9 / 10 };
    let sheets = [
        sheet(&leaves, |code, max| ninety(code, max, 7_000)),
        sheet(&leaves, |code, max| ninety(code, max, 3_000)),
        sheet(&leaves, |code, max| ninety(code, max, 5_000)),
    ];
    // The first assessor is assigned and declared already: score and submit.
    put(
        app,
        &format!("/api/v1/evaluation-assignments/{assignment}/scores"),
        &futian[0].token,
        sheets[0].clone(),
    )
    .await;
    let handed = app
        .post(
            &format!("/api/v1/evaluation-assignments/{assignment}/submit"),
            Some(&futian[0].token),
            json!({}),
        )
        .await;
    assert_eq!(handed.status, StatusCode::OK, "{}", handed.text);
    // Until all have scored, nobody on the panel sees the others' scores.
    app.get(
        &format!("/api/v1/evaluation-applications/{first_application}/panel"),
        Some(&futian[0].token),
    )
    .await
    .assert_problem(StatusCode::FORBIDDEN, "panel_incomplete");
    panel_scores(
        app,
        &admin,
        &first_application,
        &[&futian[1], &futian[2]],
        &sheets[1..],
    )
    .await;
    // The panel is complete: nobody joins it now.
    app.post(
        &format!("/api/v1/evaluation-applications/{first_application}/assessors"),
        Some(&admin),
        json!({ "user_id": futian[3].id }),
    )
    .await
    .assert_problem(StatusCode::CONFLICT, "panel_complete");
    let seen = app
        .get(
            &format!("/api/v1/evaluation-applications/{first_application}/panel"),
            Some(&futian[0].token),
        )
        .await;
    assert_eq!(seen.status, StatusCode::OK, "{}", seen.text);
    assert_eq!(seen.body["total"], 88_700);
    assert_eq!(seen.body["grade"], "4A");
    let disputed = seen.body["leaves"]
        .as_array()
        .unwrap()
        .iter()
        .find(|leaf| leaf["code"] == "3.4")
        .unwrap()
        .clone();
    assert_eq!(disputed["mean"], 5_000);
    assert_eq!(disputed["disagreement"], true);

    // The committee sets 3.5 to its maximum (45 → 50): 892.00, still 4A.
    let decided = put(
        app,
        &format!("/api/v1/evaluation-applications/{first_application}/decisions"),
        &admin,
        json!({ "leaves": { "3.5": { "value": 5_000, "reason": "特色工作获市级表彰，材料补正后认定" } } }),
    )
    .await;
    assert_eq!(decided.status, StatusCode::OK, "{}", decided.text);
    let published = app
        .post(
            &format!("/api/v1/evaluation-applications/{first_application}/publish"),
            Some(&admin),
            json!({}),
        )
        .await;
    assert_eq!(published.status, StatusCode::OK, "{}", published.text);
    assert_eq!(published.body["status"], "publicity");
    assert_eq!(published.body["total"], 89_200);
    assert_eq!(published.body["grade"], "4A");
    let notice = app
        .get(
            &format!(
                "/api/v1/disclosures/{}",
                published.body["preliminary_disclosure_id"]
                    .as_str()
                    .unwrap()
            ),
            None,
        )
        .await;
    assert_eq!(notice.body["category"], "evaluation_publicity");
    assert!(
        notice.body["body"]
            .as_str()
            .unwrap()
            .contains("总分892.00分，4A级"),
        "{}",
        notice.text
    );
    // Scoring is closed once the result is published.
    put(
        app,
        &format!("/api/v1/evaluation-assignments/{assignment}/scores"),
        &futian[0].token,
        sheets[0].clone(),
    )
    .await
    .assert_problem(StatusCode::CONFLICT, "scoring_closed");

    // Anyone may object during publicity; the registry reads it and is written to.
    let objection = app
        .post(
            &format!("/api/v1/evaluation-applications/{first_application}/objections"),
            None,
            json!({ "name": "王先生", "contact": "13800000000", "text": "该中心去年曾停止服务三个月" }),
        )
        .await;
    assert_eq!(objection.status, StatusCode::CREATED, "{}", objection.text);
    // Or from the notice's page, without script or account.
    let notice_page = format!(
        "/disclosures/{}",
        published.body["preliminary_disclosure_id"]
            .as_str()
            .unwrap()
    );
    let page = app.get(&notice_page, None).await;
    let action = format!("action=\"{notice_page}/objection\"");
    assert!(page.text.contains(&action), "{}", page.text);
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = |name: &str, contact: &str, text: &str| {
        no_redirects
            .post(app.url(&format!("{notice_page}/objection")))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!(
                "name={}&contact={}&text={}",
                urlencode(name),
                urlencode(contact),
                urlencode(text)
            ))
            .send()
    };
    let incomplete = form("", "", "").await.unwrap();
    assert_eq!(incomplete.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(incomplete.text().await.unwrap().contains("请补全异议"));
    let sent = form("李女士", "li@example.org", "会员大会记录与实际不符")
        .await
        .unwrap();
    assert_eq!(sent.status(), StatusCode::SEE_OTHER);
    let location = sent.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.ends_with("?objection=received"), "{location}");
    assert!(
        app.get(&location, None)
            .await
            .text
            .contains("您的异议已收到")
    );
    let objections = app
        .get(
            &format!("/api/v1/evaluation-applications/{first_application}/objections"),
            Some(&admin),
        )
        .await;
    assert_eq!(objections.body["items"][0]["name"], "王先生");
    assert_eq!(objections.body["items"][1]["name"], "李女士");
    // Objections are limited per address.
    let mut limited = None;
    for attempt in 0..6 {
        let response = app
            .post(
                &format!("/api/v1/evaluation-applications/{first_application}/objections"),
                None,
                json!({ "name": "重复", "contact": "x", "text": format!("第{attempt}次") }),
            )
            .await;
        if response.status == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(attempt);
            break;
        }
        assert_eq!(response.status, StatusCode::CREATED, "{}", response.text);
    }
    assert_eq!(limited, Some(3), "five an hour from one address");
    app.get(
        &format!("/api/v1/evaluation-applications/{first_application}/objections"),
        Some(&first_admin),
    )
    .await
    .assert_problem(StatusCode::FORBIDDEN, "forbidden");

    // The organisation asks for a review; it re-scores 2.5 to its maximum: 902.00, 5A.
    let requested = app
        .post(
            &format!("/api/v1/evaluation-applications/{first_application}/review-request"),
            Some(&first_admin),
            json!({ "reason": "财务资产一项的审计报告未被采纳" }),
        )
        .await;
    assert_eq!(requested.status, StatusCode::OK, "{}", requested.text);
    app.post(
        &format!("/api/v1/evaluation-applications/{first_application}/review-request"),
        Some(&first_admin),
        json!({ "reason": "再次申请" }),
    )
    .await
    .assert_problem(StatusCode::CONFLICT, "review_requested");
    let reviewed = app
        .post(
            &format!("/api/v1/evaluation-applications/{first_application}/review"),
            Some(&admin),
            json!({
                "outcome": "经复核，审计报告符合要求，财务资产一项按满分认定",
                "leaves": { "2.5": { "value": 10_000, "reason": "复核认定审计报告有效" } },
            }),
        )
        .await;
    assert_eq!(reviewed.status, StatusCode::OK, "{}", reviewed.text);
    assert_eq!(reviewed.body["total"], 90_200);
    assert_eq!(reviewed.body["grade"], "5A");
    assert_ne!(
        reviewed.body["preliminary_disclosure_id"], published.body["preliminary_disclosure_id"],
        "the changed result is published as a correction"
    );

    // The score sheet: CSV and a printable page.
    let csv = app
        .get(
            &format!("/api/v1/evaluation-applications/{first_application}/score-sheet.csv"),
            Some(&admin),
        )
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    let rows: Vec<Vec<String>> = csv::Reader::from_reader(csv.text.as_bytes())
        .records()
        .map(|record| record.unwrap().iter().map(str::to_owned).collect())
        .collect();
    let row = |code: &str| rows.iter().find(|row| row[0] == code).unwrap().clone();
    assert_eq!(row("3.4")[3..6], ["70.00", "30.00", "50.00"]);
    assert_eq!(row("3.4")[6], "50.00");
    assert!(
        row("3.4")[11].contains("专家2：材料不够完整"),
        "{:?}",
        row("3.4")
    );
    assert_eq!(row("2.5")[10], "100.00");
    assert_eq!(row("total")[10], "902.00");
    assert_eq!(row("grade")[10], "5A");
    let printable = app
        .get(
            &format!("/api/v1/evaluation-applications/{first_application}/score-sheet.html"),
            Some(&admin),
        )
        .await;
    assert!(printable.text.contains("评估计分表"));
    assert!(printable.text.contains("902.00"));

    // The second organisation, five assessors: the highest and lowest of each leaf are dropped
    // (100 %, 80 %, 80 %, 80 %, 0 % → 80 %), and 3.4 does not apply: 744 of 930 → exactly 800.
    let second_application =
        prepared_application(app, &second_admin, &campaign, &second, &leaves).await;
    let shares = [10, 8, 8, 8, 0];
    let five_sheets: Vec<Value> = shares
        .iter()
        .map(|share| sheet(&leaves, |_, max| max * share / 10))
        .collect();
    panel_scores(
        app,
        &admin,
        &second_application,
        &futian.iter().collect::<Vec<_>>(),
        &five_sheets,
    )
    .await;
    let not_applicable = put(
        app,
        &format!("/api/v1/evaluation-applications/{second_application}/decisions"),
        &admin,
        json!({ "leaves": { "3.4": { "not_applicable": true, "reason": "该组织未承接政府购买服务项目" } } }),
    )
    .await;
    assert_eq!(
        not_applicable.status,
        StatusCode::OK,
        "{}",
        not_applicable.text
    );
    let outcome = app
        .get(
            &format!("/api/v1/evaluation-applications/{second_application}/panel"),
            Some(&admin),
        )
        .await;
    assert_eq!(outcome.body["raw"], 74_400);
    assert_eq!(outcome.body["applicable_max"], 93_000);
    assert_eq!(outcome.body["total"], 80_000);
    assert_eq!(outcome.body["grade"], "4A", "800 is the lowest total of 4A");
    let published = app
        .post(
            &format!("/api/v1/evaluation-applications/{second_application}/publish"),
            Some(&admin),
            json!({}),
        )
        .await;
    assert_eq!(published.status, StatusCode::OK, "{}", published.text);
    // The second organisation asks for a review, which the registry leaves waiting.
    let asked = app
        .post(
            &format!("/api/v1/evaluation-applications/{second_application}/review-request"),
            Some(&second_admin),
            json!({ "reason": "志愿者人数统计有误" }),
        )
        .await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.text);

    // Nothing is final during publicity; after it, a job makes both results final.
    app.run_jobs().await;
    assert!(grades(app, &first).await["current"].is_null());
    app.clock.advance(Duration::days(8));
    app.run_jobs().await;
    let admin = login("futian@example.org").await;
    let luohu_admin = login("luohu@example.org").await;
    let first_admin = login("first@example.org").await;
    let first_grades = grades(app, &first).await;
    assert_eq!(first_grades["current"]["grade"], "5A", "{first_grades}");
    let awarded: NaiveDate = first_grades["current"]["awarded_on"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let until: NaiveDate = first_grades["current"]["valid_until"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(until, awarded + chrono::Months::new(60) - Duration::days(1));
    // A review without an outcome holds the result back (and the registry is reminded);
    // recorded after the period, the result is final at once.
    assert!(grades(app, &second).await["current"].is_null());
    let kept = app
        .post(
            &format!("/api/v1/evaluation-applications/{second_application}/review"),
            Some(&admin),
            json!({ "outcome": "经复核，志愿者人数统计无误，维持原评估结果" }),
        )
        .await;
    assert_eq!(kept.status, StatusCode::OK, "{}", kept.text);
    assert_eq!(kept.body["grade"], "4A");
    app.run_jobs().await;
    assert_eq!(grades(app, &second).await["current"]["grade"], "4A");
    let finished = app
        .get(
            &format!("/api/v1/evaluation-applications/{first_application}"),
            Some(&first_admin),
        )
        .await;
    assert_eq!(finished.body["status"], "final");
    let result = app
        .get(
            &format!(
                "/api/v1/disclosures/{}",
                finished.body["final_disclosure_id"].as_str().unwrap()
            ),
            None,
        )
        .await;
    assert_eq!(result.body["category"], "evaluation_result");
    // The grade is a search facet and filter.
    search_until(
        app,
        &admin,
        "/api/v1/search?kind=organisation&grade=5A",
        |body| body["total"] == 1 && body["facets"]["grade"]["5A"] == 1,
    )
    .await;
    // And on the profile.
    let profile = app
        .get(
            &format!(
                "/orgs/{}",
                app.get(&format!("/api/v1/organisations/{first}"), None)
                    .await
                    .body["uscc"]
                    .as_str()
                    .unwrap()
            ),
            None,
        )
        .await;
    assert!(
        profile.text.contains("<span class=\"grade\">5A</span>"),
        "{}",
        profile.text
    );

    // E-mails: the assignment, the result, the objection, the review's outcome.
    app.run_jobs().await;
    let mail: Vec<String> = std::fs::read_dir(app.state.config.outbox_dir())
        .unwrap()
        .map(|entry| std::fs::read_to_string(entry.unwrap().path()).unwrap())
        .collect();
    let decoded: Vec<String> = mail
        .iter()
        .map(|raw| {
            mail_parser::MessageParser::default()
                .parse(raw.as_bytes())
                .and_then(|message| message.subject().map(str::to_owned))
                .unwrap_or_default()
        })
        .collect();
    for subject in [
        "评估任务",
        "评估结果公示",
        "收到评估结果异议",
        "评估复核待处理",
        "评估复核结果",
        "评估结果：",
    ] {
        assert!(
            decoded.iter().any(|found| found.starts_with(subject)),
            "{subject}: {decoded:?}"
        );
    }

    // A downgrade and a cancellation, each disclosed.
    let downgraded = app
        .post(
            &format!("/api/v1/organisations/{second}/grade/downgrade"),
            Some(&admin),
            json!({ "grade": "3A", "reason": "年度检查发现财务制度执行不到位" }),
        )
        .await;
    assert_eq!(downgraded.status, StatusCode::OK, "{}", downgraded.text);
    assert_eq!(grades(app, &second).await["current"]["grade"], "3A");
    app.post(
        &format!("/api/v1/organisations/{second}/grade/downgrade"),
        Some(&admin),
        json!({ "grade": "4A", "reason": "上调" }),
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let cancelled = app
        .post(
            &format!("/api/v1/organisations/{second}/grade/cancel"),
            Some(&admin),
            json!({ "reason": "被列入活动异常名录" }),
        )
        .await;
    assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.text);
    assert!(grades(app, &second).await["current"].is_null());
    let changes = app
        .get(
            "/api/v1/disclosures?tenant=futian&category=grade_change",
            None,
        )
        .await;
    assert_eq!(changes.body["items"].as_array().unwrap().len(), 2);
    app.post(
        &format!("/api/v1/organisations/{first}/grade/cancel"),
        Some(&luohu_admin),
        json!({ "reason": "无权" }),
    )
    .await
    .assert_problem(StatusCode::FORBIDDEN, "forbidden");

    // Five years on, the grade has expired: no longer current, gone from search.
    app.clock.advance(Duration::days(5 * 366));
    app.run_jobs().await;
    let admin = login("futian@example.org").await;
    let expired = grades(app, &first).await;
    assert!(expired["current"].is_null(), "{expired}");
    assert_eq!(expired["items"][0]["status"], "expired");
    search_until(
        app,
        &admin,
        "/api/v1/search?kind=organisation&grade=5A",
        |body| body["total"] == 0,
    )
    .await;
}

/// A grade is valid to the end of its last day in the calendar of the organisation's registry,
/// which its profile and the search index go by. Its expiry job is due at midnight where it was
/// awarded; when the registry's zone is behind (here it was changed since the award), the job
/// waits for the registry's own midnight and only then takes the grade out of the index.
async fn a_grade_lasts_to_midnight_in_the_organisations_zone(backend: Backend) {
    use chrono::TimeZone;
    use entities::{organisation, organisation_grade, tenant};
    use sea_orm::{
        ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, Set,
    };

    let app = TestApp::spawn(backend).await;
    socorg::demo::load(&app.state, 150).await.unwrap();
    let owner = app.owner_connection().await;
    let grade = organisation_grade::Entity::find()
        .filter(organisation_grade::Column::Status.eq("current"))
        .one(&owner)
        .await
        .unwrap()
        .expect("the demo awards grades");
    let holder = organisation::Entity::find_by_id(grade.organisation_id)
        .one(&owner)
        .await
        .unwrap()
        .unwrap();
    let registry = tenant::Entity::find_by_id(holder.tenant_id)
        .one(&owner)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(registry.time_zone, "Asia/Shanghai");
    let mut moved = registry.into_active_model();
    moved.time_zone = Set("America/Los_Angeles".to_owned());
    moved.update(&owner).await.unwrap();

    let token = app.platform_admin("root@example.org").await;
    let id = holder.id.to_string();
    let with_grade = format!(
        "/api/v1/search?kind=organisation&grade={}&q={}",
        urlencode(&grade.grade),
        urlencode(&holder.name)
    );
    let holds = |body: &Value| {
        body["hits"]
            .as_array()
            .unwrap()
            .iter()
            .any(|hit| hit["id"] == id.as_str())
    };
    search_until(&app, &token, &with_grade, holds).await;
    let day_after = grade.valid_until.succ_opt().unwrap();
    let midnight_in = |zone: chrono_tz::Tz| {
        zone.from_local_datetime(&day_after.and_hms_opt(0, 1, 0).unwrap())
            .unwrap()
            .with_timezone(&chrono::Utc)
    };

    // Midnight has passed in Shanghai, where the grade was awarded, but not in Los Angeles.
    app.clock.set(midnight_in(chrono_tz::Asia::Shanghai));
    app.run_jobs().await;
    // Tokens last hours; years have passed.
    let token = app.login("root@example.org", PASSWORD).await;
    assert!(!grades(&app, &id).await["current"].is_null());
    // The index has applied every change so far, at this hour.
    let latest = entities::search_change::Entity::find()
        .order_by_desc(entities::search_change::Column::Id)
        .one(&owner)
        .await
        .unwrap()
        .map_or(0, |change| change.id);
    let search = app.state.search.clone().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while search.cursor() < latest && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(search.cursor() >= latest, "the index caught up");
    search_until(&app, &token, &with_grade, holds).await;

    // Now it has there too: the grade has expired, in the profile and in search.
    // Nothing else is to touch the organisation meanwhile (the registry's daily sweep would,
    // after years without annual reports).
    entities::job::Entity::delete_many()
        .filter(entities::job::Column::Kind.ne("evaluation_grade_expiry"))
        .exec(&owner)
        .await
        .unwrap();
    app.clock.set(midnight_in(chrono_tz::America::Los_Angeles));
    app.run_jobs().await;
    let token = app.login("root@example.org", PASSWORD).await;
    assert!(grades(&app, &id).await["current"].is_null());
    search_until(&app, &token, &with_grade, |body| !holds(body)).await;
}

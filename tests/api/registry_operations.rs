//! The registry's yearly rhythm: the annual report deadline and the abnormal list, the
//! serious-violation flag, and the incubation base through graduation into registration.

use chrono::{TimeZone, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::{
    helpers::{Backend, PASSWORD},
    registry::{approved_organisation, complete_fields, ngo_user, upload_charter, world},
};

crate::on_both_databases!(
    a_missed_annual_report_lists_the_organisation_until_it_files,
    a_group_graduates_from_incubation_into_registration,
);

fn at(year: i32, month: u32, day: u32, hour: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(year, month, day, hour, 0, 0)
        .single()
        .unwrap()
}

fn report(year: i32) -> Value {
    json!({
        "year": year,
        "income_fen": 125_000_000,
        "expenditure_fen": 98_000_050,
        "net_assets_fen": -150_000,
        "activities": "开展长者关爱探访 320 人次，举办社区活动 24 场。",
        "staff_count": 12,
        "volunteer_count": 86,
    })
}

async fn profile(app: &crate::helpers::TestApp, id: &str) -> Value {
    app.get(&format!("/api/v1/organisations/{id}"), None)
        .await
        .body
}

async fn disclosures(app: &crate::helpers::TestApp, id: &str, category: &str) -> Vec<Value> {
    app.get(
        &format!(
            "/api/v1/disclosures?subject_type=organisation&subject_id={id}&category={category}"
        ),
        None,
    )
    .await
    .body["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Subjects and recipients of the messages in the outbox folder.
fn outbox(app: &crate::helpers::TestApp) -> Vec<(String, String)> {
    std::fs::read_dir(app.data_dir.join("outbox"))
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| {
                    let raw = std::fs::read(entry.path()).unwrap();
                    let message = mail_parser::MessageParser::default().parse(&raw).unwrap();
                    let to = message
                        .to()
                        .and_then(|to| to.first())
                        .and_then(|address| address.address())
                        .unwrap_or_default()
                        .to_owned();
                    (message.subject().unwrap_or_default().to_owned(), to)
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn a_missed_annual_report_lists_the_organisation_until_it_files(backend: Backend) {
    let world = world(backend).await;
    let app = &world.app;
    let mut applicant = ngo_user(app, "ngo@example.org", true).await;
    // Registered on 2026-03-02 (the test clock): the 2026 report is due by 2027-05-31.
    let org = approved_organisation(&world, &applicant, "深圳市福田区年报测试服务中心").await;
    let other = approved_organisation(&world, &applicant, "深圳市福田区异常名录测试协会").await;

    let settings = "/api/v1/tenants/futian/registry-settings";
    app.request(
        Method::PUT,
        settings,
        Some(&world.futian_admin),
        Some(json!({ "annual_report_deadline": "02-29" })),
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    // The deadline is public: luohu's administrator sees it, and may not set it.
    app.request(
        Method::PUT,
        settings,
        Some(&world.luohu_admin),
        Some(json!({ "annual_report_deadline": "05-31" })),
    )
    .await
    .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let set = app
        .request(
            Method::PUT,
            settings,
            Some(&world.futian_admin),
            Some(json!({ "annual_report_deadline": "05-31" })),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);
    assert_eq!(
        app.get(settings, None).await.body["annual_report_deadline"],
        "05-31"
    );

    // Sessions do not last across the years the clock moves: sign in again after each move.
    // On the deadline day (Shanghai time) nothing happens yet.
    app.clock.set(at(2027, 5, 31, 12));
    app.run_jobs().await;
    assert_eq!(profile(app, &org).await["status"], "registered");
    // The day after, the sweep lists it, with the reason, a disclosure and an e-mail.
    app.clock.set(at(2027, 6, 1, 1));
    app.run_jobs().await;
    let mut futian = app.login("futian@example.org", PASSWORD).await;
    let mut luohu = app.login("luohu@example.org", PASSWORD).await;
    applicant = app.login("ngo@example.org", PASSWORD).await;
    let listed = profile(app, &org).await;
    assert_eq!(listed["status"], "abnormal", "{listed}");
    assert!(
        listed["status_reason"]
            .as_str()
            .unwrap()
            .contains("2026年度工作报告")
    );
    assert_eq!(disclosures(app, &org, "abnormal_listing").await.len(), 1);
    let mail = outbox(app);
    assert!(
        mail.iter()
            .any(|(subject, to)| subject.contains("列入活动异常名录") && to == "ngo@example.org"),
        "{mail:?}"
    );
    // Running again the same day changes nothing.
    app.run_jobs().await;
    assert_eq!(disclosures(app, &org, "abnormal_listing").await.len(), 1);

    // Delisting waits for the report.
    let remove = format!("/api/v1/organisations/{org}/abnormal/remove");
    app.post(&remove, Some(&futian), json!({ "reason": "已整改" }))
        .await
        .assert_problem(StatusCode::CONFLICT, "annual_report_missing");

    // Filing: by the organisation's administrators, for a finished year, once.
    let reports = format!("/api/v1/organisations/{org}/annual-reports");
    app.post(&reports, Some(&luohu), report(2026))
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    let future = app.post(&reports, Some(&applicant), report(2027)).await;
    future.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(future.problem_fields(), ["year"]);
    let mut negative = report(2026);
    negative["income_fen"] = json!(-1);
    let refused = app.post(&reports, Some(&applicant), negative).await;
    assert_eq!(refused.problem_fields(), ["income_fen"]);
    // Absurd figures are refused by the bounds the schema states, each naming its field.
    for (field, absurd) in [
        ("expenditure_fen", json!(i64::MAX)),
        ("net_assets_fen", json!(i64::MIN)),
        ("staff_count", json!(-1)),
        ("volunteer_count", json!(2_000_000_000)),
        ("year", json!(99_999)),
    ] {
        let mut body = report(2026);
        body[field] = absurd;
        let refused = app.post(&reports, Some(&applicant), body).await;
        refused.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(refused.problem_fields(), [field]);
    }
    let filed = app.post(&reports, Some(&applicant), report(2026)).await;
    assert_eq!(filed.status, StatusCode::CREATED, "{}", filed.text);
    app.post(&reports, Some(&applicant), report(2026))
        .await
        .assert_problem(StatusCode::CONFLICT, "already_filed");
    let public = app.get(&reports, None).await;
    assert_eq!(public.body["items"][0]["year"], 2026);
    assert_eq!(public.body["items"][0]["net_assets_fen"], -150_000);
    // The profile's permanent address by code serves the same list.
    let code = app
        .get(&format!("/api/v1/organisations/{org}"), None)
        .await
        .body["uscc"]
        .as_str()
        .unwrap()
        .to_owned();
    let by_code = app
        .get(
            &format!("/api/v1/organisations/{code}/annual-reports"),
            None,
        )
        .await;
    assert_eq!(by_code.body, public.body);
    let summary = disclosures(app, &org, "annual_report").await;
    assert_eq!(summary.len(), 1);
    assert!(summary[0]["title"].as_str().unwrap().contains("2026年度"));

    let delisted = app
        .post(
            &remove,
            Some(&futian),
            json!({ "reason": "已补报2026年度工作报告" }),
        )
        .await;
    assert_eq!(delisted.status, StatusCode::OK, "{}", delisted.text);
    assert_eq!(delisted.body["status"], "registered");
    app.clock.set(at(2027, 6, 3, 1));
    app.run_jobs().await;
    assert_eq!(profile(app, &org).await["status"], "registered");

    // The other organisation never filed: on the list since 2027-06-01. Two years on, it is
    // flagged; the registry decides, with a reason.
    let other_profile = profile(app, &other).await;
    assert_eq!(other_profile["status"], "abnormal");
    assert_eq!(other_profile["status_date"], "2027-06-01");
    let flags = "/api/v1/tenants/futian/serious-violation-flags";
    app.clock.set(at(2029, 5, 31, 1));
    app.run_jobs().await;
    futian = app.login("futian@example.org", PASSWORD).await;
    assert_eq!(
        app.get(flags, Some(&futian)).await.body["items"],
        json!([]),
        "not two years yet"
    );
    app.clock.set(at(2029, 6, 2, 1));
    app.run_jobs().await;
    futian = app.login("futian@example.org", PASSWORD).await;
    luohu = app.login("luohu@example.org", PASSWORD).await;
    let flagged = app.get(flags, Some(&futian)).await;
    assert_eq!(flagged.body["items"][0]["organisation_id"], other.as_str());
    assert_eq!(flagged.body["items"][0]["decision"], "pending");
    app.get(flags, Some(&luohu))
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    let decide = format!("/api/v1/organisations/{other}/serious-violation");
    app.post(
        &decide,
        Some(&futian),
        json!({ "decision": "list", "reason": " " }),
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let decided = app
        .post(
            &decide,
            Some(&futian),
            json!({ "decision": "list", "reason": "列入活动异常名录满两年仍未整改" }),
        )
        .await;
    assert_eq!(decided.status, StatusCode::OK, "{}", decided.text);
    assert_eq!(decided.body["decision"], "listed");
    assert_eq!(disclosures(app, &other, "serious_violation").await.len(), 1);
    app.post(
        &decide,
        Some(&futian),
        json!({ "decision": "dismiss", "reason": "再次" }),
    )
    .await
    .assert_problem(StatusCode::CONFLICT, "not_flagged");
    // The first organisation missed its 2027 report meanwhile: listed again.
    let again = profile(app, &org).await;
    assert_eq!(again["status"], "abnormal");
    assert!(
        again["status_reason"]
            .as_str()
            .unwrap()
            .contains("2027年度")
    );
}

async fn a_group_graduates_from_incubation_into_registration(backend: Backend) {
    let world = world(backend).await;
    let app = &world.app;
    let founder = ngo_user(app, "group@example.org", true).await;
    let base = "/api/v1/tenants/futian/incubation";
    let incomplete = app
        .post(
            base,
            Some(&founder),
            json!({ "name": " ", "service_areas": [], "description": "x", "contact_name": "陈", "contact_email": "no" }),
        )
        .await;
    incomplete.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(
        incomplete.problem_fields(),
        ["name", "service_areas", "contact_email"]
    );
    let applied = app
        .post(
            base,
            Some(&founder),
            json!({
                "name": "福田区邻里互助小组",
                "service_areas": ["社区服务", "养老服务"],
                "description": "居民自发组织的邻里互助与长者陪伴小组。",
                "contact_name": "陈小红",
                "contact_email": "group@example.org",
                "contact_phone": "13800000000",
            }),
        )
        .await;
    assert_eq!(applied.status, StatusCode::CREATED, "{}", applied.text);
    assert_eq!(applied.body["status"], "applied");
    let id = applied.body["id"].as_str().unwrap().to_owned();
    // Not public until it incubates; administrators see everything.
    assert_eq!(app.get(base, None).await.body["items"], json!([]));
    let listed = app.get(base, Some(&world.futian_admin)).await;
    assert_eq!(
        listed.body["items"][0]["detail"]["contact_email"],
        "group@example.org"
    );

    let admit = format!("/api/v1/incubation/{id}/admit");
    let period =
        json!({ "mentor": "王老师", "starts_on": "2026-03-10", "planned_end_on": "2026-09-10" });
    app.post(&admit, Some(&founder), period.clone())
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    app.post(&admit, Some(&world.luohu_admin), period.clone())
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    let refused = app
        .post(
            &admit,
            Some(&world.futian_admin),
            json!({ "mentor": " ", "starts_on": "2026-03-10", "planned_end_on": "2026-03-01" }),
        )
        .await;
    refused.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(refused.problem_fields(), ["mentor", "planned_end_on"]);
    // The statuses are the document's own enum.
    app.get(
        &format!("{base}?status=hatching"),
        Some(&world.futian_admin),
    )
    .await
    .assert_problem(StatusCode::BAD_REQUEST, "invalid_parameter");
    let admitted = app
        .post(&admit, Some(&world.futian_admin), period.clone())
        .await;
    assert_eq!(admitted.status, StatusCode::OK, "{}", admitted.text);
    assert_eq!(admitted.body["mentor"], "王老师");
    app.post(&admit, Some(&world.futian_admin), period)
        .await
        .assert_problem(StatusCode::CONFLICT, "invalid_transition");
    let graduate = format!("/api/v1/incubation/{id}/graduate");
    app.post(&graduate, Some(&world.futian_admin), json!({}))
        .await
        .assert_problem(StatusCode::CONFLICT, "invalid_transition");
    let started = app
        .post(
            &format!("/api/v1/incubation/{id}/start"),
            Some(&world.futian_admin),
            json!({}),
        )
        .await;
    assert_eq!(started.body["status"], "incubating");

    // The public sees name and fields only.
    let public = app.get(base, None).await;
    assert_eq!(public.body["items"][0]["name"], "福田区邻里互助小组");
    assert_eq!(
        public.body["items"][0]["service_areas"],
        json!(["社区服务", "养老服务"])
    );
    assert!(
        !public.text.contains("group@example.org"),
        "{}",
        public.text
    );
    assert!(public.body["items"][0]["detail"].is_null());
    let fields: Vec<&String> = public.body["items"][0]
        .as_object()
        .map(|item| item.keys().filter(|key| key.as_str() != "detail").collect())
        .unwrap_or_default();
    assert_eq!(fields, ["name", "service_areas"]);

    let progress = app
        .post(
            &format!("/api/v1/incubation/{id}/progress"),
            Some(&founder),
            json!({ "body": "完成骨干培训 3 次，服务长者 40 人次。" }),
        )
        .await;
    assert_eq!(progress.status, StatusCode::CREATED, "{}", progress.text);

    let graduated = app
        .post(&graduate, Some(&world.futian_admin), json!({}))
        .await;
    assert_eq!(graduated.status, StatusCode::OK, "{}", graduated.text);
    assert_eq!(graduated.body["status"], "graduated");
    assert_eq!(graduated.body["ended_on"], "2026-03-02");
    assert_eq!(
        graduated.body["progress_reports"].as_array().map(Vec::len),
        Some(1)
    );
    let announcement = app
        .get(
            &format!(
                "/api/v1/disclosures/{}",
                graduated.body["disclosure_id"].as_str().unwrap()
            ),
            None,
        )
        .await;
    assert_eq!(announcement.body["category"], "incubation_graduation");
    assert!(
        announcement.body["title"]
            .as_str()
            .unwrap()
            .contains("福田区邻里互助小组")
    );

    // The registration starts pre-filled, as the founder's draft.
    let registration = graduated.body["registration_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let draft = app
        .get(
            &format!("/api/v1/registrations/{registration}"),
            Some(&founder),
        )
        .await;
    assert_eq!(draft.status, StatusCode::OK, "{}", draft.text);
    assert_eq!(draft.body["status"], "draft");
    assert_eq!(draft.body["name"], "福田区邻里互助小组");
    assert_eq!(draft.body["service_areas"], json!(["社区服务", "养老服务"]));
    assert_eq!(draft.body["contact_email"], "group@example.org");
    let mut fields = complete_fields("深圳市福田区邻里互助服务中心");
    fields["service_areas"] = draft.body["service_areas"].clone();
    let updated = app
        .request(
            Method::PUT,
            &format!("/api/v1/registrations/{registration}"),
            Some(&founder),
            Some(fields),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.text);
    assert_eq!(
        upload_charter(app, &founder, &registration).await.status,
        StatusCode::OK
    );
    let submitted = app
        .post(
            &format!("/api/v1/registrations/{registration}/submit"),
            Some(&founder),
            json!({}),
        )
        .await;
    assert_eq!(submitted.status, StatusCode::OK, "{}", submitted.text);
    let approved = app
        .post(
            &format!("/api/v1/registrations/{registration}/approve"),
            Some(&world.futian_admin),
            json!({}),
        )
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.text);
    let organisation = approved.body["organisation_id"].as_str().unwrap();
    assert_eq!(profile(app, organisation).await["status"], "registered");
    // Graduated groups leave the public list.
    assert_eq!(app.get(base, None).await.body["items"], json!([]));
}

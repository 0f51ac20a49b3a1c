//! The demo data set: Shenzhen and its districts, organisations in every status with histories
//! and disclosures, applications in every state, the seed document, one working account per role.

use reqwest::StatusCode;
use socorg::demo;

use crate::helpers::{Backend, TestApp};

crate::on_both_databases!(demo_data_is_complete_and_loads_once);

async fn demo_data_is_complete_and_loads_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let report = demo::load(&app.state, 400).await.expect("demo loads");
    assert!(report.loaded);
    assert_eq!(report.organisations, 400);
    assert_eq!(report.accounts.len(), 7);
    let again = demo::load(&app.state, 400).await.unwrap();
    assert!(!again.loaded, "a second load is skipped");

    let tenants = app.get("/api/v1/tenants?parent=shenzhen", None).await;
    assert_eq!(tenants.body["items"].as_array().unwrap().len(), 10);

    for status in ["registered", "abnormal", "deregistered", "revoked"] {
        let listed = app
            .get(
                &format!("/api/v1/organisations?tenant=shenzhen&status={status}&limit=1"),
                None,
            )
            .await;
        assert_eq!(
            listed.body["items"].as_array().unwrap().len(),
            1,
            "an organisation that is {status}"
        );
    }
    let renamed = app
        .get("/api/v1/disclosures?category=change&limit=1", None)
        .await;
    let subject = renamed.body["items"][0]["subject_id"]
        .as_str()
        .expect("a change of name");
    let history = app
        .get(&format!("/api/v1/organisations/{subject}/history"), None)
        .await;
    let events: Vec<&str> = history.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["event"].as_str().unwrap())
        .collect();
    assert_eq!(&events[..2], ["registered", "name_changed"]);

    let seed = app
        .get(
            "/api/v1/disclosures?index_no=11440300007542195T%2F2009-00032",
            None,
        )
        .await;
    assert_eq!(seed.body["items"][0]["title"], "深圳市民政局2009年工作计划");
    assert_eq!(seed.body["items"][0]["written_on"], "2009-02-16");
    assert!(
        seed.body["items"][0]["body"]
            .as_str()
            .unwrap()
            .contains("深化社会组织体制改革")
    );

    // Every account logs in with the password the load printed.
    let mut tokens = std::collections::HashMap::new();
    for account in &report.accounts {
        tokens.insert(
            account.role,
            app.login(&account.email, &account.password).await,
        );
    }
    let ngo = &tokens["org_admin"];
    let applications = app.get("/api/v1/registrations?limit=50", Some(ngo)).await;
    let mut states: Vec<&str> = applications.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["status"].as_str().unwrap())
        .collect();
    states.sort_unstable();
    states.dedup();
    assert_eq!(
        states,
        [
            "approved",
            "draft",
            "rejected",
            "returned",
            "submitted",
            "withdrawn"
        ]
    );
    // The registry's year: annual reports disclosed, groups in the incubation base, one of them
    // graduated into a pre-filled application with its notice.
    for category in ["annual_report", "incubation_graduation"] {
        let listed = app
            .get(
                &format!("/api/v1/disclosures?category={category}&limit=1"),
                None,
            )
            .await;
        assert_eq!(
            listed.body["items"].as_array().unwrap().len(),
            1,
            "a {category} disclosure: {}",
            listed.text
        );
    }
    let incubating = app.get("/api/v1/tenants/futian/incubation", None).await;
    assert_eq!(incubating.body["items"].as_array().unwrap().len(), 3);
    let registrar = &tokens["registry_admin (futian)"];
    let graduated = app
        .get(
            "/api/v1/tenants/futian/incubation?status=graduated",
            Some(registrar),
        )
        .await;
    let detail = &graduated.body["items"][0]["detail"];
    assert!(detail["registration_id"].is_string(), "{}", graduated.text);
    assert!(detail["disclosure_id"].is_string(), "{}", graduated.text);
    let users = app
        .get("/api/v1/tenants/futian/users", Some(registrar))
        .await;
    assert_eq!(users.status, StatusCode::OK);
    let city = &tokens["registry_admin (shenzhen)"];
    assert_eq!(
        app.get("/api/v1/tenants/futian/users", Some(city))
            .await
            .status,
        StatusCode::OK
    );

    // Evaluations: last year's campaign finished with one organisation in every grade, this
    // year's in publicity with an objection, one open for applications.
    let campaigns = app
        .get("/api/v1/tenants/futian/evaluation-campaigns", None)
        .await;
    let campaigns = campaigns.body["items"].as_array().unwrap().clone();
    assert_eq!(campaigns.len(), 3, "{campaigns:?}");
    let mut statuses: Vec<(String, String)> = Vec::new();
    for campaign in &campaigns {
        let applications = app
            .get(
                &format!(
                    "/api/v1/evaluation-campaigns/{}/applications",
                    campaign["id"].as_str().unwrap()
                ),
                Some(registrar),
            )
            .await;
        for application in applications.body["items"].as_array().unwrap() {
            statuses.push((
                application["status"].as_str().unwrap().to_owned(),
                application["grade"].as_str().unwrap_or("-").to_owned(),
            ));
        }
    }
    statuses.sort();
    assert_eq!(
        statuses,
        [
            ("final", "-"),
            ("final", "1A"),
            ("final", "2A"),
            ("final", "3A"),
            ("final", "4A"),
            ("final", "5A"),
            ("publicity", "3A"),
            ("publicity", "4A"),
        ]
        .map(|(status, grade)| (status.to_owned(), grade.to_owned()))
    );
    let in_publicity = campaigns
        .iter()
        .find(|campaign| {
            campaign["title"]
                .as_str()
                .unwrap()
                .ends_with("社会团体评估")
                && campaign["year"] == campaigns[0]["year"]
        })
        .unwrap();
    let applications = app
        .get(
            &format!(
                "/api/v1/evaluation-campaigns/{}/applications",
                in_publicity["id"].as_str().unwrap()
            ),
            Some(registrar),
        )
        .await;
    let mut objections = 0;
    for application in applications.body["items"].as_array().unwrap() {
        let listed = app
            .get(
                &format!(
                    "/api/v1/evaluation-applications/{}/objections",
                    application["id"].as_str().unwrap()
                ),
                Some(registrar),
            )
            .await;
        objections += listed.body["items"].as_array().unwrap().len();
    }
    assert_eq!(objections, 1);
    // The assessor of the demo signs in and sees the panels they sat on.
    let assessor = &tokens["assessor (futian)"];
    let assignments = app
        .get("/api/v1/me/evaluation-assignments", Some(assessor))
        .await;
    assert_eq!(assignments.body["items"].as_array().unwrap().len(), 8);
}

//! The job queue: retries with backoff, parking after the last attempt, administrators' view
//! and retry, and recovery of jobs whose worker died between claiming and finishing them.

use std::{
    collections::HashSet,
    process::{Command, Stdio},
    time::{Duration as StdDuration, Instant},
};

use chrono::Duration;
use entities::job;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use socorg::{
    accounts::{AccountEmail, AccountEmailJob, send_account_email},
    clock::Clock,
    documents::DeleteObjectJob,
    jobs::{enqueue, queue},
};

use crate::{
    helpers::{Backend, TestApp},
    services::SmtpSink,
};

crate::on_both_databases!(
    failing_jobs_back_off_then_park,
    a_dead_workers_jobs_run_again_once_in_effect,
    a_killed_worker_process_loses_no_email,
);

async fn failing_jobs_back_off_then_park(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.platform_admin("root@example.org").await;
    let now = app.clock.now();
    // A key the store refuses: the handler fails every time.
    let id = enqueue(
        &app.state.db,
        now,
        &DeleteObjectJob {
            storage_key: "../../etc/passwd".to_owned(),
        },
        3,
    )
    .await
    .unwrap();

    let pass = app.run_jobs().await;
    assert_eq!(pass.retried, 1);
    let row = queue::find(&app.state.db, id).await.unwrap().unwrap();
    assert_eq!((row.state.as_str(), row.attempts), ("queued", 1));
    assert_eq!(row.run_at, now + Duration::seconds(10));
    assert!(
        row.last_error
            .as_deref()
            .unwrap()
            .contains("invalid storage key")
    );

    assert_eq!(
        app.run_jobs().await.retried,
        0,
        "not due before its backoff"
    );
    app.clock.advance(Duration::seconds(10));
    assert_eq!(app.run_jobs().await.retried, 1);
    let row = queue::find(&app.state.db, id).await.unwrap().unwrap();
    assert_eq!(
        row.run_at,
        app.clock.now() + Duration::seconds(20),
        "the backoff doubles"
    );
    app.clock.advance(Duration::seconds(20));
    assert_eq!(app.run_jobs().await.parked, 1);

    let failed = app
        .get("/api/v1/admin/jobs?state=failed", Some(&admin))
        .await;
    assert_eq!(failed.status, StatusCode::OK, "{}", failed.text);
    let listed = &failed.body["items"][0];
    assert_eq!(listed["id"], id.to_string());
    assert_eq!(listed["attempts"], 3);
    assert_eq!(listed["kind"], "delete_object");
    assert!(
        listed["last_error"]
            .as_str()
            .unwrap()
            .contains("invalid storage key")
    );
    assert!(listed.get("payload").is_none(), "payloads are not shown");

    let metrics = app.get("/metrics", None).await.text;
    assert!(
        metrics.contains(r#"socorg_jobs{state="failed"} 1"#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"socorg_job_failures_total{kind="delete_object"} 3"#),
        "{metrics}"
    );

    let (_, registrar) = {
        app.create_tenant(&admin, "futian", "440304", None).await;
        app.tenant_user(&admin, "futian", "reg@example.org", &["registry_admin"])
            .await
    };
    app.get("/api/v1/admin/jobs", Some(&registrar))
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    app.post(
        &format!("/api/v1/admin/jobs/{id}/retry"),
        Some(&registrar),
        json!({}),
    )
    .await
    .assert_problem(StatusCode::FORBIDDEN, "forbidden");

    let retried = app
        .post(
            &format!("/api/v1/admin/jobs/{id}/retry"),
            Some(&admin),
            json!({}),
        )
        .await;
    assert_eq!(retried.status, StatusCode::OK, "{}", retried.text);
    assert_eq!(retried.body["state"], "queued");
    assert_eq!(retried.body["attempts"], 0);
    app.post(
        &format!("/api/v1/admin/jobs/{id}/retry"),
        Some(&admin),
        json!({}),
    )
    .await
    .assert_problem(StatusCode::CONFLICT, "job_not_failed");
}

/// Users created by an administrator without a password: one set-password e-mail job each.
async fn queue_set_password_mails(app: &TestApp, count: usize) -> Vec<uuid::Uuid> {
    let admin = app.platform_admin("root@example.org").await;
    app.create_tenant(&admin, "futian", "440304", None).await;
    for index in 0..count {
        let response = app
            .post(
                "/api/v1/tenants/futian/users",
                Some(&admin),
                json!({ "email": format!("expert{index}@example.org"), "name": format!("专家{index}"), "roles": ["assessor"] }),
            )
            .await;
        assert_eq!(response.status, StatusCode::CREATED);
    }
    job::Entity::find()
        .filter(job::Column::Kind.eq("account_email"))
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|job| job.id)
        .collect()
}

fn assert_each_job_delivered(smtp: &SmtpSink, jobs: &[uuid::Uuid]) {
    let received = smtp.received();
    let ids: HashSet<String> = received
        .iter()
        .map(|email| email.message_id.clone())
        .collect();
    for job in jobs {
        assert!(
            ids.contains(&format!("{}@socorg.test", job.simple())),
            "job {job} was never delivered"
        );
    }
    assert_eq!(
        ids.len(),
        jobs.len(),
        "duplicates share their job's Message-ID"
    );
}

async fn a_dead_workers_jobs_run_again_once_in_effect(backend: Backend) {
    let smtp = SmtpSink::start();
    let app = TestApp::spawn_with(backend, |config| smtp.configure(config)).await;
    let jobs = queue_set_password_mails(&app, 5).await;

    // A worker claims everything, sends two e-mails and dies before marking anything done.
    let now = app.clock.now();
    let claimed = queue::claim(&app.state.db, now, Duration::minutes(5), "doomed", 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 5);
    for job in &claimed[..2] {
        let payload: AccountEmailJob = serde_json::from_str(&job.payload).unwrap();
        assert_eq!(payload.email, AccountEmail::SetPassword);
        send_account_email(&app.state, job.id, payload)
            .await
            .unwrap();
    }
    assert_eq!(smtp.wait_for(2).len(), 2);

    // While its lease lasts, nobody else touches them; afterwards they run again.
    assert_eq!(app.run_jobs().await.succeeded, 0);
    app.clock
        .advance(Duration::minutes(5) + Duration::seconds(1));
    assert_eq!(app.run_jobs().await.succeeded, 5);
    assert_eq!(
        smtp.wait_for(7).len(),
        7,
        "two duplicates, recognisable by Message-ID"
    );
    assert_each_job_delivered(&smtp, &jobs);
    for job in &jobs {
        assert_eq!(
            queue::find(&app.state.db, *job)
                .await
                .unwrap()
                .unwrap()
                .state,
            "done"
        );
    }
    // The late worker cannot mark a job it no longer holds.
    queue::complete(&app.state.db, &claimed[0], app.clock.now())
        .await
        .unwrap();
    let row = queue::find(&app.state.db, claimed[0].id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.attempts, 2);
}

async fn a_killed_worker_process_loses_no_email(backend: Backend) {
    let smtp = SmtpSink::start();
    let app = TestApp::spawn_with(backend, |config| smtp.configure(config)).await;
    let jobs = queue_set_password_mails(&app, 60).await;

    let start_worker = || {
        Command::new(env!("CARGO_BIN_EXE_socorg"))
            .arg("worker")
            .arg("--data-dir")
            .arg(&app.data_dir)
            .env("SOCORG_DATABASE_URL", &app.database_url)
            .env("SOCORG_SMTP_URL", smtp.url())
            .env("SOCORG_MAIL_FROM", "no-reply@socorg.test")
            .env("SOCORG_JOB_LEASE_SECONDS", "2")
            .env("SOCORG_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start socorg worker")
    };

    let mut worker = start_worker();
    smtp.wait_for(1);
    worker.kill().expect("SIGKILL");
    worker.wait().unwrap();
    let delivered_before_crash = smtp.received().len();

    let mut worker = start_worker();
    let deadline = Instant::now() + StdDuration::from_secs(60);
    loop {
        let done = job::Entity::find()
            .filter(job::Column::State.eq("done"))
            .all(&app.state.db)
            .await
            .unwrap()
            .len();
        if done == jobs.len() || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    worker.kill().unwrap();
    worker.wait().unwrap();
    assert!(
        delivered_before_crash < jobs.len(),
        "the kill landed before the work was done"
    );
    smtp.wait_for(jobs.len());
    assert_each_job_delivered(&smtp, &jobs);
}

//! Sign-up with verification, password reset, set-password links and changes of password or
//! address, with every e-mail sent over real SMTP and read back from the server's Maildir.

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::json;

use crate::{
    helpers::{Backend, PASSWORD, TestApp},
    services::SmtpSink,
};

crate::on_both_databases!(
    sign_up_verify_and_log_in,
    sign_up_never_reveals_existing_accounts,
    password_reset_links_work_once_and_expire,
    administrator_created_accounts_set_their_password_by_link,
    changes_of_password_and_address_notify_the_old_address,
);

async fn app_with_mail(backend: Backend) -> (TestApp, SmtpSink) {
    let smtp = SmtpSink::start();
    let app = TestApp::spawn_with(backend, |config| smtp.configure(config)).await;
    (app, smtp)
}

async fn sign_up_verify_and_log_in(backend: Backend) {
    let (app, smtp) = app_with_mail(backend).await;
    let response = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({ "email": "Wang.Fang@Example.org", "name": "王芳", "password": PASSWORD }),
        )
        .await;
    assert_eq!(response.status, StatusCode::ACCEPTED, "{}", response.text);
    assert!(
        smtp.received().is_empty(),
        "e-mail is sent by a job, never in the request"
    );

    // Logging in works at once, but the address is not verified yet.
    let token = app.login("wang.fang@example.org", PASSWORD).await;
    let me = app.get("/api/v1/me", Some(&token)).await;
    assert_eq!(me.body["user"]["email_verified"], false);

    let pass = app.run_jobs().await;
    assert_eq!(pass.succeeded, 1);
    let mail = smtp.received_by("wang.fang@example.org");
    assert_eq!(mail.len(), 1);
    let mail = &mail[0];
    assert!(
        mail.subject.starts_with("请确认您的电子邮箱"),
        "{}",
        mail.subject
    );
    assert!(mail.subject.contains("Please confirm"), "{}", mail.subject);
    assert!(mail.text.contains("王芳"), "{}", mail.text);
    assert!(mail.text.find("请在").unwrap() < mail.text.find("Please confirm").unwrap());
    assert!(mail.html.contains("lang=\"zh-CN\""));
    assert!(
        mail.message_id.ends_with("@socorg.test"),
        "{}",
        mail.message_id
    );

    // The link opens a page with a confirm button (no JavaScript needed) …
    let link = mail.link(&app.url("/account/verify"));
    let page = app.client.get(&link).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(page.headers()["referrer-policy"], "no-referrer");
    let html = page.text().await.unwrap();
    assert!(
        html.contains("<form method=\"post\" action=\"/account/verify\">"),
        "{html}"
    );
    // … which confirms the address.
    let token_value = mail.token(&app.url("/account/verify"));
    let confirmed = app
        .client
        .post(app.url("/account/verify"))
        .form(&[("token", token_value.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(confirmed.status(), StatusCode::OK);
    assert!(confirmed.text().await.unwrap().contains("邮箱已确认"));
    let me = app.get("/api/v1/me", Some(&token)).await;
    assert_eq!(me.body["user"]["email_verified"], true);

    // The link dies on use.
    app.post("/api/v1/auth/verify", None, json!({ "token": token_value }))
        .await
        .assert_problem(StatusCode::BAD_REQUEST, "invalid_token");
}

async fn sign_up_never_reveals_existing_accounts(backend: Backend) {
    let (app, smtp) = app_with_mail(backend).await;
    let first = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({ "email": "li@example.org", "name": "李", "password": PASSWORD }),
        )
        .await;
    let second = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({ "email": "LI@example.org", "name": "冒名", "password": "another good password" }),
        )
        .await;
    assert_eq!(first.status, StatusCode::ACCEPTED);
    assert_eq!(second.status, StatusCode::ACCEPTED);
    assert_eq!(first.body, second.body, "the same answer either way");

    app.run_jobs().await;
    let mail = smtp.received_by("li@example.org");
    assert_eq!(mail.len(), 2);
    assert!(mail.iter().any(|email| email.subject.contains("请确认")));
    let notice = mail
        .iter()
        .find(|email| email.subject.contains("已有"))
        .expect("a notice");
    assert!(
        notice.text.contains("李"),
        "addressed by the account's own name"
    );
    assert!(!notice.text.contains("冒名"));
    // The original password still works; the second sign-up changed nothing.
    app.login("li@example.org", PASSWORD).await;

    // Resetting: known and unknown addresses get the same answer; only the known one gets mail.
    let known = app
        .post(
            "/api/v1/auth/password-reset",
            None,
            json!({ "email": "li@example.org" }),
        )
        .await;
    let unknown = app
        .post(
            "/api/v1/auth/password-reset",
            None,
            json!({ "email": "nobody@example.org" }),
        )
        .await;
    assert_eq!(known.status, StatusCode::ACCEPTED);
    assert_eq!(known.body, unknown.body);
    app.run_jobs().await;
    assert_eq!(smtp.received_by("li@example.org").len(), 3);
    assert!(smtp.received_by("nobody@example.org").is_empty());

    // Bad input is still refused, naming the field.
    let invalid = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({ "email": "x@example.org", "name": "X", "password": "qwerty123" }),
        )
        .await;
    invalid.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(invalid.problem_fields(), vec!["password"]);
}

async fn password_reset_links_work_once_and_expire(backend: Backend) {
    let (app, smtp) = app_with_mail(backend).await;
    app.platform_admin("root@example.org").await;
    let old_session = app.login("root@example.org", PASSWORD).await;

    app.post(
        "/api/v1/auth/password-reset",
        None,
        json!({ "email": "root@example.org" }),
    )
    .await;
    app.run_jobs().await;
    let mail = smtp.received_by("root@example.org");
    assert_eq!(mail.len(), 1);
    assert!(mail[0].subject.contains("重设"));
    let token = mail[0].token(&app.url("/account/reset-password"));

    let weak = app
        .post(
            "/api/v1/auth/password-reset/complete",
            None,
            json!({ "token": token, "password": "password" }),
        )
        .await;
    weak.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");

    let done = app
        .post(
            "/api/v1/auth/password-reset/complete",
            None,
            json!({ "token": token, "password": "a brand new passphrase" }),
        )
        .await;
    assert_eq!(
        done.status,
        StatusCode::NO_CONTENT,
        "a refused password does not use up the link: {}",
        done.text
    );
    app.get("/api/v1/me", Some(&old_session))
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
    app.login("root@example.org", "a brand new passphrase")
        .await;

    app.post(
        "/api/v1/auth/password-reset/complete",
        None,
        json!({ "token": token, "password": "yet another passphrase" }),
    )
    .await
    .assert_problem(StatusCode::BAD_REQUEST, "invalid_token");

    // The change is notified to the address.
    app.run_jobs().await;
    assert!(
        smtp.received_by("root@example.org")
            .iter()
            .any(|email| email.subject.contains("密码已更改"))
    );

    // An hour later a fresh link no longer works.
    app.post(
        "/api/v1/auth/password-reset",
        None,
        json!({ "email": "root@example.org" }),
    )
    .await;
    app.run_jobs().await;
    let latest = smtp
        .received_by("root@example.org")
        .into_iter()
        .rev()
        .find(|email| email.subject.contains("重设"))
        .unwrap();
    let expired = latest.token(&app.url("/account/reset-password"));
    assert_ne!(expired, token);
    app.clock.advance(Duration::minutes(61));
    app.post(
        "/api/v1/auth/password-reset/complete",
        None,
        json!({ "token": expired, "password": "yet another passphrase" }),
    )
    .await
    .assert_problem(StatusCode::BAD_REQUEST, "invalid_token");
    app.login("root@example.org", "a brand new passphrase")
        .await;
}

async fn administrator_created_accounts_set_their_password_by_link(backend: Backend) {
    let (app, smtp) = app_with_mail(backend).await;
    let admin = app.platform_admin("root@example.org").await;
    app.create_tenant(&admin, "futian", "440304", None).await;
    let created = app
        .post(
            "/api/v1/tenants/futian/users",
            Some(&admin),
            json!({ "email": "expert@example.org", "name": "陈专家", "roles": ["assessor"] }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    app.run_jobs().await;
    let mail = smtp.received_by("expert@example.org");
    assert_eq!(mail.len(), 1);
    assert!(mail[0].subject.contains("设置"), "{}", mail[0].subject);
    assert!(mail[0].text.contains("陈专家"));
    let token = mail[0].token(&app.url("/account/reset-password"));

    // Through the page form, as a person would.
    let page = app
        .client
        .get(app.url(&format!("/account/reset-password?token={token}")))
        .send()
        .await
        .unwrap();
    assert!(page.text().await.unwrap().contains("type=\"password\""));
    let set = app
        .client
        .post(app.url("/account/reset-password"))
        .form(&[
            ("token", token.as_str()),
            ("password", "expert passphrase 2026"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), StatusCode::OK);
    let session = app
        .login("expert@example.org", "expert passphrase 2026")
        .await;
    let me = app.get("/api/v1/me", Some(&session)).await;
    assert_eq!(
        me.body["user"]["email_verified"], true,
        "the link proved the mailbox"
    );
    app.run_jobs().await;
    assert_eq!(
        smtp.received_by("expert@example.org").len(),
        1,
        "no 'password changed' for a first password"
    );
}

async fn changes_of_password_and_address_notify_the_old_address(backend: Backend) {
    let (app, smtp) = app_with_mail(backend).await;
    app.platform_admin("old@example.org").await;
    let session = app.login("old@example.org", PASSWORD).await;
    let other_session = app.login("old@example.org", PASSWORD).await;

    app.post(
        "/api/v1/auth/password-reset",
        None,
        json!({ "email": "old@example.org" }),
    )
    .await;
    app.run_jobs().await;
    let stale_link = smtp
        .received_by("old@example.org")
        .into_iter()
        .find(|email| email.subject.contains("重设"))
        .unwrap();
    app.post(
        "/api/v1/me/password",
        Some(&session),
        json!({ "current_password": "wrong password", "new_password": "fresh passphrase" }),
    )
    .await
    .assert_problem(StatusCode::FORBIDDEN, "wrong_password");
    let changed = app
        .post(
            "/api/v1/me/password",
            Some(&session),
            json!({ "current_password": PASSWORD, "new_password": "fresh passphrase" }),
        )
        .await;
    assert_eq!(changed.status, StatusCode::NO_CONTENT, "{}", changed.text);
    assert_eq!(
        app.get("/api/v1/me", Some(&session)).await.status,
        StatusCode::OK,
        "this session stays"
    );
    // A reset link sent before the change died with it.
    app.post(
        "/api/v1/auth/password-reset/complete",
        None,
        json!({ "token": stale_link.token(&app.url("/account/reset-password")), "password": "someone else's passphrase" }),
    )
    .await
    .assert_problem(StatusCode::BAD_REQUEST, "invalid_token");
    app.get("/api/v1/me", Some(&other_session))
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");

    // Asking for an address that has an account looks the same as any other.
    app.platform_admin("taken@example.org").await;
    let taken = app
        .post(
            "/api/v1/me/email",
            Some(&session),
            json!({ "password": "fresh passphrase", "new_email": "taken@example.org" }),
        )
        .await;
    assert_eq!(taken.status, StatusCode::ACCEPTED);
    let requested = app
        .post(
            "/api/v1/me/email",
            Some(&session),
            json!({ "password": "fresh passphrase", "new_email": "new@example.org" }),
        )
        .await;
    assert_eq!(requested.status, StatusCode::ACCEPTED, "{}", requested.text);
    app.run_jobs().await;
    assert!(
        smtp.received_by("old@example.org")
            .iter()
            .any(|email| email.subject.contains("密码已更改"))
    );
    // The confirmation for the taken address is refused when opened.
    let taken_confirm = smtp
        .received_by("taken@example.org")
        .into_iter()
        .find(|email| email.subject.contains("新的电子邮箱"))
        .expect("sent");
    app.post(
        "/api/v1/auth/verify",
        None,
        json!({ "token": taken_confirm.token(&app.url("/account/verify")) }),
    )
    .await
    .assert_problem(StatusCode::CONFLICT, "email_taken");
    let confirm = smtp.received_by("new@example.org");
    assert_eq!(confirm.len(), 1);
    let token = confirm[0].token(&app.url("/account/verify"));
    let me = app.get("/api/v1/me", Some(&session)).await;
    assert_eq!(
        me.body["user"]["email"], "old@example.org",
        "nothing changes before confirmation"
    );

    let verified = app
        .post("/api/v1/auth/verify", None, json!({ "token": token }))
        .await;
    assert_eq!(verified.status, StatusCode::OK, "{}", verified.text);
    assert_eq!(verified.body["email"], "new@example.org");
    app.run_jobs().await;
    let notice = smtp
        .received_by("old@example.org")
        .into_iter()
        .find(|email| email.subject.contains("电子邮箱已更改"))
        .expect("the old address is told");
    assert!(notice.text.contains("new@example.org"));
    app.login("new@example.org", "fresh passphrase").await;
}

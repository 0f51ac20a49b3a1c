//! The command line: `admin create` without a terminal, `audit verify` after tampering,
//! `backup` beside a running server, `migrate` on a fresh folder.

use std::{
    io::Write,
    process::{Command, Output, Stdio},
};

use sea_orm::ConnectionTrait;
use socorg::{auth::service::login, clock::SystemClock, config::Config, db, startup};

use crate::helpers::{Backend, TestApp};

crate::on_both_databases!(audit_verify_reports_tampering);

fn socorg(
    args: &[&str],
    database_url: Option<&str>,
    data_dir: &std::path::Path,
    stdin: &str,
) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_socorg"));
    command
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("SOCORG_DATABASE_URL")
        .env("SOCORG_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(url) = database_url {
        command.env("SOCORG_DATABASE_URL", url);
    }
    let mut child = command.spawn().expect("run socorg");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("socorg finished")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[tokio::test]
async fn admin_create_reads_the_password_from_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let refused = socorg(
        &["admin", "create", "--email", "root@example.org"],
        None,
        dir.path(),
        "12345678\n",
    );
    assert!(!refused.status.success());
    assert!(text(&refused).contains("too common"), "{}", text(&refused));

    let reversed = socorg(
        &[
            "admin",
            "create",
            "--email",
            "root@example.org",
            "--name",
            "\u{202e}nimda",
        ],
        None,
        dir.path(),
        "a long and quiet river\n",
    );
    assert!(!reversed.status.success());
    assert!(
        text(&reversed).contains("--name refused: contains an invisible character"),
        "{}",
        text(&reversed)
    );

    let created = socorg(
        &[
            "admin",
            "create",
            "--email",
            "Root@Example.org",
            "--name",
            "管理员",
        ],
        None,
        dir.path(),
        "a long and quiet river\r\nignored second line\n",
    );
    assert!(created.status.success(), "{}", text(&created));
    assert!(text(&created).contains("created platform administrator root@example.org"));

    let again = socorg(
        &["admin", "create", "--email", "root@example.org"],
        None,
        dir.path(),
        "a long and quiet river\n",
    );
    assert!(
        !again.status.success(),
        "a second account with the same e-mail is refused"
    );

    let state = startup::prepare_state(
        Config {
            data_dir: dir.path().to_path_buf(),
            ..Config::default()
        },
        std::sync::Arc::new(SystemClock),
    )
    .await
    .unwrap();
    let issued = login(
        &state,
        "root@example.org",
        "a long and quiet river".into(),
        None,
    )
    .await
    .expect("the administrator can log in with the password from stdin");
    assert!(issued.expires_at > state.clock.now());
    let principal = socorg::auth::service::authenticate(&state, &issued.token)
        .await
        .unwrap();
    assert!(principal.is_platform_admin());
    assert_eq!(principal.name, "管理员");
}

#[tokio::test]
async fn migrate_prepares_a_fresh_folder() {
    let dir = tempfile::tempdir().unwrap();
    let output = socorg(&["migrate"], None, dir.path(), "");
    assert!(output.status.success(), "{}", text(&output));
    assert!(dir.path().join("socorg.db").exists());
}

async fn audit_verify_reports_tampering(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.platform_admin("root@example.org").await;
    app.create_tenant(&admin, "futian", "440304", None).await;
    app.create_tenant(&admin, "luohu", "440303", None).await;
    app.seal().await;

    let url = app.database_url.clone();
    let intact = socorg(&["audit", "verify"], Some(&url), &app.data_dir, "");
    assert!(intact.status.success(), "{}", text(&intact));
    assert!(
        text(&intact).contains("audit chain intact: 4 events sealed"),
        "{}",
        text(&intact)
    );

    let owner = app.owner_connection().await;
    owner
        .execute_unprepared("UPDATE audit_events SET action = 'delete' WHERE seq = 3")
        .await
        .unwrap();
    let broken = socorg(&["audit", "verify"], Some(&url), &app.data_dir, "");
    assert_eq!(broken.status.code(), Some(1));
    assert!(
        text(&broken).contains("audit chain broken at seq 3"),
        "{}",
        text(&broken)
    );
}

#[tokio::test]
async fn backup_copies_a_live_database() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.platform_admin("root@example.org").await;
    app.create_tenant(&admin, "futian", "440304", None).await;
    let target = app.data_dir.join("copy.db");
    let output = socorg(
        &["backup", target.to_str().unwrap()],
        Some(&app.database_url),
        &app.data_dir,
        "",
    );
    assert!(output.status.success(), "{}", text(&output));
    // The server keeps working while and after the copy is taken.
    app.create_tenant(&admin, "luohu", "440303", None).await;

    let copy = db::connect_owner(&socorg::config::sqlite_url(&target))
        .await
        .unwrap();
    let row = copy
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Sqlite,
            "SELECT group_concat(slug) AS slugs FROM tenants",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get::<String>("", "slugs").unwrap(), "futian");

    let again = socorg(
        &["backup", target.to_str().unwrap()],
        Some(&app.database_url),
        &app.data_dir,
        "",
    );
    assert!(
        !again.status.success(),
        "an existing file is never overwritten"
    );
}

//! The pages behind the e-mailed links, usable without JavaScript: confirm an address, choose a
//! new password, ask for a reset link. They send no referrer, so a token in the address bar
//! never leaks to another site.

use askama::Template;
use poem::{
    IntoResponse, Response, Route, get, handler,
    http::StatusCode,
    web::{Data, Form, Html, Query},
};
use serde::Deserialize;

use super::service::{self, AccountError};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "account/verify.html")]
struct VerifyPage<'a> {
    token: &'a str,
}

#[derive(Template)]
#[template(path = "account/reset_password.html")]
struct ResetPasswordPage<'a> {
    token: &'a str,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "account/forgot_password.html")]
struct ForgotPasswordPage;

#[derive(Template)]
#[template(path = "account/message.html")]
struct MessagePage<'a> {
    heading_zh: &'a str,
    heading_en: &'a str,
    text_zh: &'a str,
    text_en: &'a str,
}

#[derive(Deserialize)]
struct TokenQuery {
    #[serde(default)]
    token: String,
}

#[derive(Deserialize)]
struct TokenForm {
    token: String,
}

#[derive(Deserialize)]
struct ResetForm {
    token: String,
    password: String,
}

#[derive(Deserialize)]
struct ForgotForm {
    email: String,
}

fn page(status: StatusCode, template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => Html(html)
            .with_status(status)
            .with_header("Referrer-Policy", "no-referrer")
            .with_header("Cache-Control", "no-store")
            .with_header(
                "Content-Security-Policy",
                "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
            )
            .into_response(),
        Err(error) => {
            tracing::error!(%error, "page rendering failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

fn message(status: StatusCode, zh: (&str, &str), en: (&str, &str)) -> Response {
    page(
        status,
        &MessagePage {
            heading_zh: zh.0,
            text_zh: zh.1,
            heading_en: en.0,
            text_en: en.1,
        },
    )
}

fn invalid_link() -> Response {
    message(
        StatusCode::BAD_REQUEST,
        ("链接无效", "此链接无效、已过期或已使用。"),
        (
            "Invalid link",
            "This link is invalid, expired or already used.",
        ),
    )
}

fn failure(error: &AccountError) -> Response {
    tracing::error!(%error, "account page failed");
    message(
        StatusCode::INTERNAL_SERVER_ERROR,
        ("出错了", "请稍后再试。"),
        ("Something went wrong", "Please try again later."),
    )
}

#[handler]
fn show_verify(Query(query): Query<TokenQuery>) -> Response {
    page(
        StatusCode::OK,
        &VerifyPage {
            token: &query.token,
        },
    )
}

#[handler]
async fn submit_verify(Data(state): Data<&AppState>, Form(form): Form<TokenForm>) -> Response {
    match service::verify_email(state, &form.token).await {
        Ok(_) => message(
            StatusCode::OK,
            ("邮箱已确认", "谢谢，您的电子邮箱已确认。"),
            (
                "Address confirmed",
                "Thank you, your e-mail address is confirmed.",
            ),
        ),
        Err(AccountError::InvalidToken) => invalid_link(),
        Err(AccountError::EmailTaken) => message(
            StatusCode::CONFLICT,
            ("无法更改邮箱", "该电子邮箱已被其他账户使用。"),
            (
                "Address not changed",
                "Another account already uses this address.",
            ),
        ),
        Err(error) => failure(&error),
    }
}

#[handler]
fn show_reset(Query(query): Query<TokenQuery>) -> Response {
    page(
        StatusCode::OK,
        &ResetPasswordPage {
            token: &query.token,
            error: None,
        },
    )
}

#[handler]
async fn submit_reset(Data(state): Data<&AppState>, Form(form): Form<ResetForm>) -> Response {
    match service::complete_password_reset(state, &form.token, form.password).await {
        Ok(()) => message(
            StatusCode::OK,
            ("密码已设置", "您现在可以用新密码登录。"),
            ("Password set", "You can now log in with your new password."),
        ),
        Err(AccountError::InvalidToken) => invalid_link(),
        Err(AccountError::Password(rejection)) => page(
            StatusCode::UNPROCESSABLE_ENTITY,
            &ResetPasswordPage {
                token: &form.token,
                error: Some(rejection.to_string()),
            },
        ),
        Err(error) => failure(&error),
    }
}

#[handler]
fn show_forgot() -> Response {
    page(StatusCode::OK, &ForgotPasswordPage)
}

#[handler]
async fn submit_forgot(Data(state): Data<&AppState>, Form(form): Form<ForgotForm>) -> Response {
    match service::request_password_reset(state, &form.email).await {
        Ok(()) => message(
            StatusCode::OK,
            ("请查收邮件", "如果该邮箱有账户，重设链接已发出。"),
            (
                "Check your mailbox",
                "If the address has an account, a reset link is on its way.",
            ),
        ),
        Err(error) => failure(&error),
    }
}

/// The account pages, mounted at `/account`.
pub fn routes() -> Route {
    Route::new()
        .at("/verify", get(show_verify).post(submit_verify))
        .at("/reset-password", get(show_reset).post(submit_reset))
        .at("/forgot-password", get(show_forgot).post(submit_forgot))
}

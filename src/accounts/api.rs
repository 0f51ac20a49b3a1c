//! `/api/v1/auth/{register,verify,password-reset}` and `/api/v1/me/{password,email}`.

use poem_openapi::{ApiResponse, OpenApi, Tags, payload::Json};

use super::{
    dto::{
        AcceptedResponse, ChangeEmailRequest, ChangePasswordRequest, CompletePasswordResetRequest,
        PasswordResetRequest, RegisterRequest, VerifyRequest, VerifyResponse,
    },
    service,
};
use crate::auth::bearer::BearerAuth;
use crate::http::contract::Rule;
use crate::{
    auth::password::NewPassword,
    error::{ApiError, ApiResult, FieldError},
    http::json::JsonBody,
    state::AppState,
    types::{Email, required_text},
};

#[derive(Tags)]
enum AccountTags {
    /// Signing up, confirming addresses and managing passwords.
    Accounts,
}

#[derive(ApiResponse)]
enum Accepted {
    /// Accepted; the outcome arrives by e-mail.
    #[oai(status = 202)]
    Accepted(Json<AcceptedResponse>),
}

#[derive(ApiResponse)]
enum Done {
    /// Done.
    #[oai(status = 204)]
    Done,
}

impl AccountApi {
    /// Statuses this API's operations answer for rules the schema cannot express.
    pub const RULES: &'static [Rule] = &[
        Rule::new(
            "verify_email",
            400,
            "`token` is not a live link of this server: unknown, expired or used",
        ),
        Rule::new(
            "complete_password_reset",
            400,
            "`token` is not a live link of this server: unknown, expired or used",
        ),
        Rule::new(
            "register_account",
            422,
            "the password must not be a common one, nor the address",
        ),
        Rule::new(
            "complete_password_reset",
            422,
            "the password must not be a common one, nor the address",
        ),
        Rule::new(
            "change_password",
            422,
            "the password must not be a common one, nor the address",
        ),
    ];
}

pub struct AccountApi {
    state: AppState,
}

impl AccountApi {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

#[OpenApi(tag = "AccountTags::Accounts")]
impl AccountApi {
    /// Sign up. The answer is the same whether or not the address has an account already; the
    /// mailbox receives either a verification link or a notice.
    #[oai(
        path = "/auth/register",
        method = "post",
        operation_id = "register_account"
    )]
    async fn register_account(&self, body: JsonBody<RegisterRequest>) -> ApiResult<Accepted> {
        let request = body.0;
        let mut errors = Vec::new();
        let email = Email::parse(&request.email)
            .map_err(|code| errors.push(FieldError::new("email", code, "a valid e-mail address")))
            .ok();
        let name = required_text(&request.name, 100)
            .map_err(|code| errors.push(FieldError::new("name", code, "1-100 characters")))
            .ok();
        let password = email.as_ref().and_then(|email| {
            NewPassword::parse(request.password, email.as_str())
                .map_err(|rejection| {
                    errors.push(FieldError::new(
                        "password",
                        rejection.code(),
                        rejection.to_string(),
                    ))
                })
                .ok()
        });
        let (Some(email), Some(name), Some(password)) = (email, name, password) else {
            return Err(ApiError::validation(errors));
        };
        service::register(&self.state, email, name, password).await?;
        Ok(Accepted::Accepted(Json(AcceptedResponse::check_mailbox())))
    }

    /// Confirm an address with the token from the e-mailed link.
    #[oai(path = "/auth/verify", method = "post", operation_id = "verify_email")]
    async fn verify_email(&self, body: JsonBody<VerifyRequest>) -> ApiResult<Json<VerifyResponse>> {
        let email = service::verify_email(&self.state, &body.0.token).await?;
        Ok(Json(VerifyResponse {
            email,
            verified: true,
        }))
    }

    /// Ask for a password reset link. The answer never tells whether the address has an account.
    #[oai(
        path = "/auth/password-reset",
        method = "post",
        operation_id = "request_password_reset"
    )]
    async fn request_password_reset(
        &self,
        body: JsonBody<PasswordResetRequest>,
    ) -> ApiResult<Accepted> {
        // A malformed address is refused (that says nothing of which accounts exist).
        crate::types::Email::parse(&body.0.email)
            .map_err(|code| ApiError::field("email", code, "a valid e-mail address"))?;
        service::request_password_reset(&self.state, &body.0.email).await?;
        Ok(Accepted::Accepted(Json(AcceptedResponse::check_mailbox())))
    }

    /// Choose a new password with the token of a reset or set-password link. Every session of
    /// the account ends.
    #[oai(
        path = "/auth/password-reset/complete",
        method = "post",
        operation_id = "complete_password_reset"
    )]
    async fn complete_password_reset(
        &self,
        body: JsonBody<CompletePasswordResetRequest>,
    ) -> ApiResult<Done> {
        let request = body.0;
        service::complete_password_reset(&self.state, &request.token, request.password).await?;
        Ok(Done::Done)
    }

    /// Change the caller's password; other sessions end and the address is told.
    #[oai(
        path = "/me/password",
        method = "post",
        operation_id = "change_password"
    )]
    async fn change_password(
        &self,
        auth: BearerAuth,
        body: JsonBody<ChangePasswordRequest>,
    ) -> ApiResult<Done> {
        let principal = auth.principal(&self.state).await?;
        let request = body.0;
        service::change_password(
            &self.state,
            &principal,
            request.current_password,
            request.new_password,
        )
        .await
        .map_err(|error| match error {
            service::AccountError::Password(rejection) => {
                ApiError::field("new_password", rejection.code(), rejection.to_string())
            }
            other => other.into(),
        })?;
        Ok(Done::Done)
    }

    /// Change the caller's address: a link goes to the new address, and the change takes effect
    /// when it is opened; the old address is then told.
    #[oai(path = "/me/email", method = "post", operation_id = "change_email")]
    async fn change_email(
        &self,
        auth: BearerAuth,
        body: JsonBody<ChangeEmailRequest>,
    ) -> ApiResult<Accepted> {
        let principal = auth.principal(&self.state).await?;
        let request = body.0;
        let new_email = Email::parse(&request.new_email)
            .map_err(|code| ApiError::field("new_email", code, "a valid e-mail address"))?;
        service::change_email(&self.state, &principal, request.password, new_email).await?;
        Ok(Accepted::Accepted(Json(AcceptedResponse::check_mailbox())))
    }
}

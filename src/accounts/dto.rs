//! Requests and responses of sign-up, verification and password management.

use crate::types::Text;
use poem_openapi::Object;
use serde::Deserialize;

/// A new account.
#[derive(Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
#[oai(deny_unknown_fields)]
pub struct RegisterRequest {
    pub email: crate::types::EmailInput,
    pub name: Text<100>,
    /// 8–128 characters, not a common password.
    #[oai(validator(min_length = 8, max_length = 128))]
    pub password: String,
}

/// A token from an e-mailed link.
#[derive(Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
#[oai(deny_unknown_fields)]
pub struct VerifyRequest {
    pub token: String,
}

/// Ask for a reset link.
#[derive(Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
#[oai(deny_unknown_fields)]
pub struct PasswordResetRequest {
    pub email: crate::types::EmailInput,
}

/// A new password through a reset or set-password link.
#[derive(Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
#[oai(deny_unknown_fields)]
pub struct CompletePasswordResetRequest {
    pub token: String,
    #[oai(validator(min_length = 8, max_length = 128))]
    pub password: String,
}

/// A change of the caller's password.
#[derive(Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
#[oai(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    #[oai(validator(min_length = 8, max_length = 128))]
    pub new_password: String,
}

/// A change of the caller's address; takes effect when the new address confirms.
#[derive(Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
#[oai(deny_unknown_fields)]
pub struct ChangeEmailRequest {
    pub password: String,
    pub new_email: crate::types::EmailInput,
}

/// The same answer whatever the address: look in the mailbox.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AcceptedResponse {
    pub message: String,
}

impl AcceptedResponse {
    pub fn check_mailbox() -> Self {
        Self {
            message: "if the address can receive it, an e-mail is on its way".to_owned(),
        }
    }
}

/// The address that is now confirmed.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct VerifyResponse {
    pub email: String,
    pub verified: bool,
}

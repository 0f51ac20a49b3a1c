//! Password rules and argon2id hashing, always off the async runtime.

use std::sync::{Arc, OnceLock};

use argon2::{
    Algorithm, Argon2, Params, Version,
    password_hash::{PasswordHasher as _, PasswordVerifier as _},
};

use crate::config::PasswordCost;

pub const MIN_PASSWORD_CHARS: usize = 8;
pub const MAX_PASSWORD_CHARS: usize = 128;

const COMMON_PASSWORDS: &str = include_str!("common_passwords.txt");

/// Why a proposed password is refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum PasswordRejection {
    #[error("the password must have at least {MIN_PASSWORD_CHARS} characters")]
    TooShort,
    #[error("the password must have at most {MAX_PASSWORD_CHARS} characters")]
    TooLong,
    #[error("this password is too common; choose another")]
    TooCommon,
}

impl PasswordRejection {
    pub fn code(&self) -> &'static str {
        match self {
            PasswordRejection::TooShort => "too_short",
            PasswordRejection::TooLong => "too_long",
            PasswordRejection::TooCommon => "too_common",
        }
    }
}

/// A password that satisfies the rules.
pub struct NewPassword(String);

impl NewPassword {
    /// Checks length (in characters) and refuses common passwords and the e-mail address itself.
    pub fn parse(password: String, email: &str) -> Result<Self, PasswordRejection> {
        let length = password.chars().count();
        if length < MIN_PASSWORD_CHARS {
            return Err(PasswordRejection::TooShort);
        }
        if length > MAX_PASSWORD_CHARS {
            return Err(PasswordRejection::TooLong);
        }
        let lowered = password.to_lowercase();
        let common = COMMON_PASSWORDS
            .lines()
            .filter(|line| !line.starts_with('#'))
            .any(|line| line == lowered);
        let email_like = lowered == email.to_lowercase()
            || email
                .split('@')
                .next()
                .is_some_and(|local| local.to_lowercase() == lowered);
        if common || email_like {
            return Err(PasswordRejection::TooCommon);
        }
        Ok(Self(password))
    }
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("NewPassword(***)")
    }
}

/// Hashes and verifies passwords with argon2id.
#[derive(Clone)]
pub struct PasswordHasher {
    params: Params,
    /// A hash of a random password, verified when no user matches so timing does not tell.
    decoy: Arc<OnceLock<String>>,
}

impl PasswordHasher {
    /// OWASP's recommendation for argon2id: 19 MiB of memory, two passes, one lane.
    pub fn production_params() -> Params {
        Params::new(19 * 1024, 2, 1, None).expect("constant argon2 parameters are valid")
    }

    pub fn new(cost: PasswordCost) -> Self {
        let params = match cost {
            PasswordCost::Production => Self::production_params(),
            PasswordCost::Low => {
                Params::new(Params::MIN_M_COST.max(64), 1, 1, None).expect("valid parameters")
            }
        };
        Self {
            params,
            decoy: Arc::new(OnceLock::new()),
        }
    }

    pub fn params(&self) -> &Params {
        &self.params
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    fn hash_blocking(&self, password: &str) -> Result<String, argon2::password_hash::Error> {
        Ok(self
            .argon2()
            .hash_password(password.as_bytes())?
            .to_string())
    }

    /// Hashes a password on a blocking thread; returns the PHC string.
    pub async fn hash(&self, password: NewPassword) -> anyhow::Result<String> {
        let hasher = self.clone();
        let hash = tokio::task::spawn_blocking(move || hasher.hash_blocking(&password.0)).await??;
        Ok(hash)
    }

    /// Verifies on a blocking thread. With no stored hash a decoy is verified instead, so that
    /// an unknown account takes as long as a wrong password.
    pub async fn verify(&self, password: String, stored: Option<String>) -> bool {
        let hasher = self.clone();
        let outcome = tokio::task::spawn_blocking(move || {
            let (hash, real) = match stored {
                Some(hash) => (hash, true),
                None => (hasher.decoy_hash(), false),
            };
            let matches = hasher
                .argon2()
                .verify_password(password.as_bytes(), hash.as_str())
                .is_ok();
            matches && real
        })
        .await;
        outcome.unwrap_or(false)
    }

    fn decoy_hash(&self) -> String {
        self.decoy
            .get_or_init(|| {
                let mut random = [0_u8; 24];
                // A failed RNG leaves zeros, still a valid decoy that matches no real password.
                let _ = getrandom::fill(&mut random);
                self.hash_blocking(&hex::encode(random)).unwrap_or_default()
            })
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::{NewPassword, PasswordHasher, PasswordRejection};
    use crate::config::PasswordCost;

    #[test]
    fn production_parameters_follow_owasp() {
        let hasher = PasswordHasher::new(PasswordCost::Production);
        assert!(hasher.params().m_cost() >= 19 * 1024);
        assert!(hasher.params().t_cost() >= 2);
        assert_eq!(hasher.params().p_cost(), 1);
    }

    #[test]
    fn rules_refuse_short_long_and_common_passwords() {
        let parse = |password: &str| NewPassword::parse(password.to_owned(), "li.lei@example.org");
        assert_eq!(parse("short").unwrap_err(), PasswordRejection::TooShort);
        assert_eq!(
            parse(&"x".repeat(129)).unwrap_err(),
            PasswordRejection::TooLong
        );
        assert_eq!(
            parse("Password123").unwrap_err(),
            PasswordRejection::TooCommon
        );
        assert_eq!(parse("li.lei").unwrap_err(), PasswordRejection::TooShort);
        assert_eq!(
            parse("LI.LEI@example.org").unwrap_err(),
            PasswordRejection::TooCommon
        );
        assert!(
            parse("长者关爱服务中心很好").is_ok(),
            "8+ characters, not bytes"
        );
        assert!(parse(&"x".repeat(128)).is_ok());
        assert!(parse("correct horse battery").is_ok());
    }

    #[tokio::test]
    async fn hashes_verify_and_embed_their_parameters() {
        let hasher = PasswordHasher::new(PasswordCost::Production);
        let password = NewPassword::parse("correct horse battery".into(), "a@b.c").unwrap();
        let hash = hasher.hash(password).await.unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(
            hasher
                .verify("correct horse battery".into(), Some(hash.clone()))
                .await
        );
        assert!(
            !hasher
                .verify("wrong horse battery".into(), Some(hash))
                .await
        );
        assert!(!hasher.verify("anything at all".into(), None).await);
    }
}

//! Opaque bearer tokens: 256 random bits, shown once, stored only as their SHA-256.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};

const PREFIX: &str = "sog_";

/// A fresh random token (`sog_` + 43 base64url characters).
pub fn generate() -> Result<String, getrandom::Error> {
    let mut bytes = [0_u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes)))
}

/// The form in which a token is stored and looked up.
pub fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::{digest, generate};

    #[test]
    fn tokens_are_long_random_and_stored_as_digests() {
        let first = generate().unwrap();
        let second = generate().unwrap();
        assert_ne!(first, second);
        assert_eq!(first.len(), 4 + 43, "32 bytes of entropy");
        assert_eq!(digest(&first).len(), 64);
        assert_ne!(digest(&first), first);
    }
}

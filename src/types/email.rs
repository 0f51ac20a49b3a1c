//! An e-mail address, trimmed and lower-cased.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// A pragmatic check: one `@`, a non-empty local part, a dotted domain, no spaces or controls,
    /// at most 254 characters. Whether it exists is for the verification e-mail to find out.
    pub fn parse(value: &str) -> Result<Self, &'static str> {
        let value = value.trim().to_lowercase();
        if value.is_empty() {
            return Err("required");
        }
        if value.len() > 254 {
            return Err("too_long");
        }
        let Some((local, domain)) = value.split_once('@') else {
            return Err("invalid");
        };
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && !domain.contains('@');
        let characters_ok = value
            .chars()
            .all(|character| !character.is_whitespace() && !character.is_control());
        if local.is_empty() || local.len() > 64 || !domain_ok || !characters_ok {
            return Err("invalid");
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::Email;

    #[test]
    fn normalises_and_refuses_malformed_addresses() {
        assert_eq!(
            Email::parse("  Li.Lei@Example.ORG ").unwrap().as_str(),
            "li.lei@example.org"
        );
        for bad in [
            "",
            "no-at-sign",
            "@example.org",
            "a@b",
            "a@.org",
            "a b@c.org",
            "a@b..org",
            "a@b@c.org",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }
}

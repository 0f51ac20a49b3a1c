//! A tenant's slug: `futian`, `shenzhen-futian-shatou`.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TenantSlug(String);

impl TenantSlug {
    /// 2–63 characters of `a-z`, `0-9` and `-`, starting with a letter, not ending with `-`.
    pub fn parse(value: &str) -> Result<Self, &'static str> {
        let value = value.trim();
        let valid_characters = value
            .bytes()
            .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-');
        let starts_with_letter = value
            .bytes()
            .next()
            .is_some_and(|byte| byte.is_ascii_lowercase());
        if !(2..=63).contains(&value.len())
            || !valid_characters
            || !starts_with_letter
            || value.ends_with('-')
            || value.contains("--")
        {
            return Err("invalid");
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TenantSlug {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::TenantSlug;

    #[test]
    fn accepts_plain_slugs_only() {
        for good in ["futian", "sz", "futian-shatou", "district9"] {
            assert!(TenantSlug::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "", "a", "Futian", "9futian", "futian-", "fu--tian", "福田", "fu tian", "../x",
        ] {
            assert!(TenantSlug::parse(bad).is_err(), "{bad}");
        }
    }
}

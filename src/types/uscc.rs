//! The unified social credit code (统一社会信用代码, GB 32100-2015).

use std::fmt;

/// The 31 characters a code may use, in the order of their values 0–30.
const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

fn value_of(character: u8) -> Option<usize> {
    ALPHABET
        .iter()
        .position(|candidate| *candidate == character)
}

/// The check character over the first 17 characters: weights 3^(i−1) mod 31, and
/// 31 − (Σ value·weight mod 31), with 31 written as 0.
fn check_character(first_seventeen: &[u8]) -> Option<u8> {
    let mut weight = 1_usize;
    let mut sum = 0_usize;
    for character in first_seventeen {
        sum += value_of(*character)? * weight;
        weight = weight * 3 % 31;
    }
    let check = (31 - sum % 31) % 31;
    Some(ALPHABET[check])
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Uscc(String);

/// Why a code is not a valid unified social credit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UsccError {
    #[error("a unified social credit code has 18 characters")]
    Length,
    #[error("a unified social credit code uses only 0-9 and A-Y without I, O, S, V, Z")]
    Character,
    #[error("the check character does not match")]
    CheckCharacter,
}

impl Uscc {
    /// Accepts lower-case input and surrounding spaces; checks characters and the check character.
    pub fn parse(value: &str) -> Result<Self, UsccError> {
        let code = value.trim().to_ascii_uppercase();
        if code.chars().count() != 18 {
            return Err(UsccError::Length);
        }
        let bytes = code.as_bytes();
        if bytes.iter().any(|byte| value_of(*byte).is_none()) {
            return Err(UsccError::Character);
        }
        if check_character(&bytes[..17]) != Some(bytes[17]) {
            return Err(UsccError::CheckCharacter);
        }
        Ok(Self(code))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Uscc {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::{Uscc, UsccError};

    #[test]
    fn rubric_samples() {
        for valid in [
            "52440300MJL186084F",
            "51440300MJL1712376",
            "53310000MJ49517770",
            "53100000500019795A",
        ] {
            assert_eq!(
                Uscc::parse(valid).map(|code| code.to_string()),
                Ok(valid.to_owned())
            );
        }
        assert_eq!(
            Uscc::parse("53100000500012015T"),
            Err(UsccError::CheckCharacter)
        );
        assert_eq!(
            Uscc::parse("51440300MJL18627XQ"),
            Err(UsccError::CheckCharacter)
        );
        assert_eq!(Uscc::parse("52440300MJL186084"), Err(UsccError::Length));
        assert_eq!(Uscc::parse("52440300MIL186084F"), Err(UsccError::Character));
        assert_eq!(Uscc::parse("52440300MOL186084F"), Err(UsccError::Character));
    }

    #[test]
    fn lower_case_input_is_accepted() {
        assert!(Uscc::parse(" 52440300mjl186084f ").is_ok());
    }
}

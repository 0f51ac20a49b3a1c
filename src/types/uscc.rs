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

/// The GB 11714 check character of an 8-character organisation code body: weights
/// 3, 7, 9, 10, 5, 8, 4, 2 over values (digits 0–9, letters A=10 … Z=35), 11 − (Σ mod 11),
/// with 10 written `X` and 11 written `0`.
fn organisation_code_check(body: &[u8; 8]) -> Option<u8> {
    const WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];
    let mut sum = 0;
    for (character, weight) in body.iter().zip(WEIGHTS) {
        let value = match character {
            b'0'..=b'9' => u32::from(character - b'0'),
            b'A'..=b'Z' => u32::from(character - b'A') + 10,
            _ => return None,
        };
        sum += value * weight;
    }
    Some(match 11 - sum % 11 {
        10 => b'X',
        11 => b'0',
        check => b'0' + u8::try_from(check).ok()?,
    })
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

    /// Issues the code of a newly registered organisation: `5` (civil affairs), the type code,
    /// the six-digit division code, a nine-character body (`MJ` and six digits of `serial`,
    /// then its GB 11714 check character) and the check character over all of it.
    pub fn issue(type_code: char, division_code: &str, serial: u32) -> Option<Self> {
        if !matches!(type_code, '1'..='3') || division_code.len() != 6 || serial > 999_999 {
            return None;
        }
        let body = format!("MJ{serial:06}");
        let body: [u8; 8] = body.as_bytes().try_into().ok()?;
        let body_check = organisation_code_check(&body)?;
        let mut code = format!("5{type_code}{division_code}");
        code.push_str(std::str::from_utf8(&body).ok()?);
        code.push(char::from(body_check));
        let check = check_character(code.as_bytes())?;
        code.push(char::from(check));
        Self::parse(&code).ok()
    }

    /// Whether positions 9–17 carry a valid GB 11714 organisation code.
    pub fn has_valid_organisation_code(&self) -> bool {
        let bytes = self.0.as_bytes();
        let Ok(body) = <[u8; 8]>::try_from(&bytes[8..16]) else {
            return false;
        };
        organisation_code_check(&body) == Some(bytes[16])
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
    fn sample_bodies_carry_valid_organisation_codes() {
        for valid in ["52440300MJL186084F", "51440300MJL1712376"] {
            assert!(
                Uscc::parse(valid).unwrap().has_valid_organisation_code(),
                "{valid}"
            );
        }
    }

    #[test]
    fn issued_codes_validate_and_encode_type_and_division() {
        let code = Uscc::issue('2', "440304", 42).unwrap();
        assert_eq!(&code.as_str()[..8], "52440304");
        assert_eq!(&code.as_str()[8..16], "MJ000042");
        assert!(code.has_valid_organisation_code());
        assert!(Uscc::issue('4', "440304", 1).is_none());
        assert!(Uscc::issue('1', "44030", 1).is_none());
    }

    proptest::proptest! {
        #[test]
        fn every_issued_code_passes_both_checks(type_code in 1_u8..=3, division in 110_000_u32..=829_999, serial in 0_u32..=999_999) {
            let code = Uscc::issue(char::from(b'0' + type_code), &division.to_string(), serial).unwrap();
            proptest::prop_assert!(Uscc::parse(code.as_str()).is_ok());
            proptest::prop_assert!(code.has_valid_organisation_code());
            proptest::prop_assert_eq!(code.as_str().len(), 18);
        }

        #[test]
        fn changing_any_one_character_breaks_the_check(serial in 0_u32..=999_999, position in 0_usize..18, replacement in 0_usize..31) {
            let code = Uscc::issue('1', "440304", serial).unwrap();
            let alphabet = super::ALPHABET;
            let mut bytes = code.as_str().as_bytes().to_vec();
            proptest::prop_assume!(bytes[position] != alphabet[replacement]);
            bytes[position] = alphabet[replacement];
            let altered = String::from_utf8(bytes).unwrap();
            proptest::prop_assert_eq!(Uscc::parse(&altered), Err(UsccError::CheckCharacter));
        }

        #[test]
        fn parsing_never_panics(input in ".{0,40}") {
            let _ = Uscc::parse(&input);
        }
    }

    #[test]
    fn lower_case_input_is_accepted() {
        assert!(Uscc::parse(" 52440300mjl186084f ").is_ok());
    }
}

//! A six-digit administrative division code (行政区划代码), e.g. 440304 for 福田区.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DivisionCode([u8; 6]);

impl DivisionCode {
    /// Six ASCII digits whose first two name a province-level division (11–82).
    pub fn parse(value: &str) -> Result<Self, &'static str> {
        let bytes = value.trim().as_bytes();
        let Ok(digits) = <[u8; 6]>::try_from(bytes) else {
            return Err("invalid");
        };
        if !digits.iter().all(u8::is_ascii_digit) {
            return Err("invalid");
        }
        let province = (digits[0] - b'0') * 10 + (digits[1] - b'0');
        if !(11..=82).contains(&province) {
            return Err("invalid");
        }
        Ok(Self(digits))
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("000000")
    }
}

impl fmt::Display for DivisionCode {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::DivisionCode;

    #[test]
    fn six_digits_of_a_real_province() {
        assert_eq!(DivisionCode::parse("440304").unwrap().as_str(), "440304");
        for bad in [
            "44030",
            "4403041",
            "44030a",
            "000000",
            "990000",
            "４４０３０４",
        ] {
            assert!(DivisionCode::parse(bad).is_err(), "{bad}");
        }
    }
}

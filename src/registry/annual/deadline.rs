//! The filing deadline's arithmetic: a deadline `MM-DD`, the last day for a year's report, and
//! the latest year whose report is overdue.

use chrono::{Datelike, NaiveDate};

/// Why the sweep listed an organisation, as its history records it.
pub const CAUSE_ANNUAL_REPORT: &str = "annual_report_missing";

/// Parses a deadline `MM-DD` (any day a year always has).
pub fn parse_deadline(value: &str) -> Option<(u32, u32)> {
    let (month, day) = value.trim().split_once('-')?;
    if month.len() != 2 || day.len() != 2 {
        return None;
    }
    let (month, day) = (month.parse().ok()?, day.parse().ok()?);
    // 2001 is not a leap year: 02-29 is refused.
    NaiveDate::from_ymd_opt(2001, month, day).map(|_| (month, day))
}

/// The last day to file the report for `year`.
pub fn deadline_for(year: i32, (month, day): (u32, u32)) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year + 1, month, day)
}

/// The latest report year whose deadline has passed by `today`.
pub fn overdue_year(today: NaiveDate, deadline: (u32, u32)) -> i32 {
    match deadline_for(today.year() - 1, deadline) {
        Some(last_day) if today > last_day => today.year() - 1,
        _ => today.year() - 2,
    }
}

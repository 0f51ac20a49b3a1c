//! Calendar days in a time zone (an IANA name such as `Asia/Shanghai`; an unknown name reads
//! as UTC): the date of an instant there, and the first instant of a day there.

use chrono::{DateTime, Duration, NaiveDate, Utc};

/// The date of `at` in `time_zone`.
pub fn local_date(time_zone: &str, at: DateTime<Utc>) -> NaiveDate {
    time_zone.parse::<chrono_tz::Tz>().map_or_else(
        |_| at.date_naive(),
        |zone| at.with_timezone(&zone).date_naive(),
    )
}

/// The first instant of `day` in `time_zone`: midnight, or, where the clocks skip midnight
/// (some zones spring forward at 00:00), the moment they resume.
pub fn start_of_day(time_zone: &str, day: NaiveDate) -> DateTime<Utc> {
    let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    let Ok(zone) = time_zone.parse::<chrono_tz::Tz>() else {
        return midnight.and_utc();
    };
    // By quarter hours, up to three: no zone skips more.
    (0..=12)
        .filter_map(|quarter| {
            (midnight + Duration::minutes(15 * quarter))
                .and_local_timezone(zone)
                .earliest()
        })
        .next()
        .map_or_else(|| midnight.and_utc(), |at| at.with_timezone(&Utc))
}

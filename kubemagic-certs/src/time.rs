//! Times as the report prints them and as `--at` reads them: RFC 3339 in
//! UTC, or a plain date (midnight UTC). Whole days are floored, so a
//! certificate that expires in 6 days and 23 hours has 6 days left.

use crate::CertsError;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Seconds in a day.
pub const DAY: i64 = 86_400;

/// `ts` as RFC 3339 UTC (`2027-01-31T12:00:00Z`); the raw number when it is
/// outside what the calendar type holds.
pub fn rfc3339(ts: i64) -> String {
    OffsetDateTime::from_unix_timestamp(ts)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| ts.to_string())
}

/// Whole days from `now` to `until`, floored (negative once past).
pub fn days_between(now: i64, until: i64) -> i64 {
    (until - now).div_euclid(DAY)
}

/// Reads `--at`: RFC 3339 (`2027-01-31T12:00:00Z`), or `YYYY-MM-DD` for
/// midnight UTC that day.
pub fn parse_at(text: &str) -> Result<i64, CertsError> {
    let t = text.trim();
    if let Ok(dt) = OffsetDateTime::parse(t, &Rfc3339) {
        return Ok(dt.unix_timestamp());
    }
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    if let Ok(d) = time::Date::parse(t, &fmt) {
        return Ok(d.midnight().assume_utc().unix_timestamp());
    }
    Err(CertsError::Usage(format!(
        "--at {text:?}: expected RFC 3339 (2027-01-31T12:00:00Z) or a date (2027-01-31)"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_reads_rfc3339_and_plain_dates() {
        assert_eq!(parse_at("1970-01-02").unwrap(), DAY);
        assert_eq!(parse_at("1970-01-01T01:00:00Z").unwrap(), 3600);
        assert_eq!(parse_at("1970-01-01T01:00:00+01:00").unwrap(), 0);
        assert!(parse_at("yesterday").is_err());
        assert_eq!(rfc3339(DAY), "1970-01-02T00:00:00Z");
    }

    #[test]
    fn days_left_are_floored() {
        assert_eq!(days_between(0, DAY * 7 - 1), 6);
        assert_eq!(days_between(0, DAY * 7), 7);
        assert_eq!(days_between(DAY, 0), -1);
        assert_eq!(days_between(1, 0), -1);
    }
}

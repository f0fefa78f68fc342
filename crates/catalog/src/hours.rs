//! Opening hours (OpenStreetMap `opening_hours` syntax), evaluated in China time (UTC+8, no DST).

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone, Utc};
use opening_hours::{OpeningHours, RuleKind};

/// China Standard Time. China has used one zone without daylight saving since 1991.
pub fn china_time() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

/// The wall-clock time in China at an instant.
pub fn china_local(at: DateTime<Utc>) -> NaiveDateTime {
    china_time()
        .from_utc_datetime(&at.naive_utc())
        .naive_local()
}

/// Whether a station is open at a moment, as far as the listing tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenState {
    Open,
    Closed,
    /// No hours given, or the hours say "unknown" then. Never treated as open.
    Unknown,
}

impl OpenState {
    /// true / false / null in JSON.
    pub fn as_option(self) -> Option<bool> {
        match self {
            OpenState::Open => Some(true),
            OpenState::Closed => Some(false),
            OpenState::Unknown => None,
        }
    }
}

/// Opening hours as written (OSM `opening_hours`), in characters: a real week with holidays
/// fits in well under this, and the parser's work grows with the text.
pub const MAX_HOURS_CHARS: usize = 200;

/// Parsed opening hours.
#[derive(Debug, Clone)]
pub struct Hours(OpeningHours);

/// Hours that do not parse; the message comes from the parser.
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "invalid opening_hours `{text}`: {reason} (examples of valid hours: \"24/7\", \"Mo-Fr 08:00-20:00; Sa 09:00-12:00\")"
)]
pub struct HoursError {
    pub text: String,
    pub reason: String,
}

impl Hours {
    pub fn parse(text: &str) -> Result<Hours, HoursError> {
        if text.chars().count() > MAX_HOURS_CHARS {
            return Err(HoursError {
                text: text.chars().take(40).chain("…".chars()).collect(),
                reason: format!("longer than {MAX_HOURS_CHARS} characters"),
            });
        }
        text.parse::<OpeningHours>()
            .map(Hours)
            .map_err(|e| HoursError {
                text: text.to_string(),
                reason: e
                    .to_string()
                    .lines()
                    .next()
                    .unwrap_or("syntax error")
                    .to_string(),
            })
    }

    pub fn state_at(&self, china_local: NaiveDateTime) -> OpenState {
        match self.0.state(china_local).0 {
            RuleKind::Open => OpenState::Open,
            RuleKind::Closed => OpenState::Closed,
            RuleKind::Unknown => OpenState::Unknown,
        }
    }

    /// When the state next changes (China local time), if within the evaluator's horizon.
    pub fn next_change(&self, china_local: NaiveDateTime) -> Option<NaiveDateTime> {
        self.0.next_change(china_local)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn hours_longer_than_the_limit_are_refused_before_parsing() {
        let week = "Mo-Fr 08:00-18:00; Sa 09:00-12:00";
        assert!(Hours::parse(week).is_ok());
        let long = format!("{week}; ").repeat(10);
        let err = Hours::parse(&long).expect_err("too long");
        assert!(
            err.to_string().contains("longer than 200 characters"),
            "{err}"
        );
    }

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .and_then(|d| d.and_hms_opt(h, min, 0))
            .expect("valid test date")
    }

    #[test]
    fn weekday_hours_evaluate_in_china_time() {
        let h = Hours::parse("Mo-Fr 08:00-20:00").expect("valid");
        // 2026-11-27 is a Friday.
        assert_eq!(h.state_at(at(2026, 11, 27, 9, 0)), OpenState::Open);
        assert_eq!(h.state_at(at(2026, 11, 27, 20, 30)), OpenState::Closed);
        assert_eq!(h.state_at(at(2026, 11, 28, 9, 0)), OpenState::Closed);
        assert_eq!(
            h.next_change(at(2026, 11, 27, 9, 0)),
            Some(at(2026, 11, 27, 20, 0))
        );
        // 01:00 UTC on Friday is 09:00 in China: open.
        let utc = Utc.with_ymd_and_hms(2026, 11, 27, 1, 0, 0).unwrap();
        assert_eq!(h.state_at(china_local(utc)), OpenState::Open);
    }

    #[test]
    fn always_open_and_unknown() {
        assert_eq!(
            Hours::parse("24/7").unwrap().state_at(at(2026, 1, 1, 3, 0)),
            OpenState::Open
        );
        assert_eq!(
            Hours::parse("Mo-Su unknown")
                .unwrap()
                .state_at(at(2026, 1, 1, 3, 0)),
            OpenState::Unknown
        );
    }

    #[test]
    fn bad_syntax_is_an_error_naming_the_text() {
        let e = Hours::parse("sometimes").unwrap_err();
        assert!(e.to_string().contains("`sometimes`"), "{e}");
    }
}

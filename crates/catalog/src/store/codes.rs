//! The compact forms a station row is stored in (migration 12): a kind, status or source as its
//! code (one byte, against 5–22 of its id), and a timestamp in the catalog's own form
//! (`2026-11-30T16:49:20Z`) as seconds since 1970 (4–6 bytes, against 20). Any other timestamp
//! text is kept as it was given, so what is read back is always what was written.

use std::str::FromStr;

use chrono::{DateTime, Datelike, NaiveDateTime, Timelike};
use rusqlite::Row;
use rusqlite::types::{ToSqlOutput, Type, ValueRef};

use crate::lang::{Coded, UnknownId};

/// The one timestamp form stored as seconds.
const TIME_FORM: &str = "%Y-%m-%dT%H:%M:%SZ";

/// A vocabulary entry as the row stores it.
pub fn code<T: Coded>(entry: T) -> ToSqlOutput<'static> {
    ToSqlOutput::from(entry.code())
}

/// Reads a vocabulary entry stored by [`code`], or kept as its id by migration 12 (which gave
/// codes only to ids it could trim as SQLite trims: one with other spaces around it stays).
pub fn coded<T: Coded + FromStr<Err = UnknownId>>(r: &Row<'_>, i: usize) -> rusqlite::Result<T> {
    let stored = r.get_ref(i)?;
    entry(stored).map_err(|problem| {
        rusqlite::Error::FromSqlConversionFailure(i, stored.data_type(), problem.into())
    })
}

/// The vocabulary entry a stored value holds, as [`coded`] reads it; what is wrong if none.
pub fn entry<T: Coded + FromStr<Err = UnknownId>>(stored: ValueRef<'_>) -> Result<T, String> {
    match stored {
        ValueRef::Integer(code) => {
            T::from_code(code).ok_or_else(|| format!("no {} has the code {code}", T::WHAT))
        }
        ValueRef::Text(text) => std::str::from_utf8(text)
            .map_err(|_| format!("a {} that is not UTF-8", T::WHAT))?
            .parse()
            .map_err(|e: UnknownId| e.to_string()),
        other => Err(format!("a {} stored as {:?}", T::WHAT, other.data_type())),
    }
}

/// A timestamp as the row stores it: seconds when it is in the catalog's form and reads back
/// the same, its text otherwise.
pub fn time(text: &str) -> ToSqlOutput<'_> {
    match seconds_of(text) {
        Some(seconds) => ToSqlOutput::from(seconds),
        None => ToSqlOutput::from(text),
    }
}

/// Reads a timestamp stored by [`time`].
pub fn timed(r: &Row<'_>, i: usize) -> rusqlite::Result<String> {
    match r.get_ref(i)? {
        ValueRef::Integer(seconds) => time_text(seconds).ok_or_else(|| {
            let far = format!("{seconds} seconds is past the calendar's end");
            rusqlite::Error::FromSqlConversionFailure(i, Type::Integer, far.into())
        }),
        ValueRef::Text(_) => r.get(i),
        other => Err(rusqlite::Error::InvalidColumnType(
            i,
            "updated_at".into(),
            other.data_type(),
        )),
    }
}

fn seconds_of(text: &str) -> Option<i64> {
    let seconds = NaiveDateTime::parse_from_str(text, TIME_FORM)
        .ok()?
        .and_utc()
        .timestamp();
    // A leap second, say, would not read back as written: kept as text.
    (time_text(seconds)? == text).then_some(seconds)
}

/// A timestamp stored as seconds, in the catalog's form; None past the calendar's end. Every
/// row read makes one, so the digits are written directly (chrono's formatting read its format
/// text on every call: ~0.5 µs, ten rows an answer).
pub fn time_text(seconds: i64) -> Option<String> {
    let t = DateTime::from_timestamp(seconds, 0)?;
    let (date, time) = (t.date_naive(), t.time());
    let Ok(year @ 0..=9999) = u32::try_from(date.year()) else {
        return Some(t.format(TIME_FORM).to_string());
    };
    let mut text = String::with_capacity(20);
    for (n, width, after) in [
        (year, 4, '-'),
        (date.month(), 2, '-'),
        (date.day(), 2, 'T'),
        (time.hour(), 2, ':'),
        (time.minute(), 2, ':'),
        (time.second(), 2, 'Z'),
    ] {
        for place in (0..width).rev() {
            text.push(char::from(b'0' + (n / 10u32.pow(place) % 10) as u8));
        }
        text.push(after);
    }
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timestamp_reads_back_as_it_was_written() {
        let stored = |text: &str| match time(text) {
            ToSqlOutput::Owned(rusqlite::types::Value::Integer(s)) => Some(s),
            _ => None,
        };
        for (text, seconds) in [
            ("1970-01-01T00:00:00Z", Some(0)),
            ("2026-11-30T16:49:20Z", Some(1_796_057_360)),
            ("1969-12-31T23:59:59Z", Some(-1)),
            ("2024-02-29T12:00:00Z", Some(1_709_208_000)),
            ("0001-01-01T00:00:00Z", Some(-62_135_596_800)),
            ("0000-01-01T00:00:00Z", Some(-62_167_219_200)),
            ("9999-12-31T23:59:59Z", Some(253_402_300_799)),
            // Past four digits: chrono's own form, both ways.
            ("+10000-01-01T00:00:00Z", Some(253_402_300_800)),
            // Not the catalog's form: kept as text.
            ("2026-11-30T16:49:20.5Z", None),
            ("2026-11-30 16:49:20", None),
            ("2026-11-30T16:49:20+08:00", None),
            ("2026-11-30T16:49:60Z", None),
            ("2026-02-30T00:00:00Z", None),
            ("yesterday", None),
            ("", None),
        ] {
            assert_eq!(stored(text), seconds, "{text}");
            if let Some(s) = seconds {
                assert_eq!(time_text(s).as_deref(), Some(text));
            }
        }
    }

    #[test]
    fn the_digits_written_by_hand_are_chrono_s() {
        // From before year 0 (chrono's own form) to past 9999, in steps that hit every second,
        // minute, hour, day and month, leap days included.
        let mut seconds = -63_000_000_000_i64;
        while seconds < 254_000_000_000 {
            let chrono =
                DateTime::from_timestamp(seconds, 0).map(|t| t.format(TIME_FORM).to_string());
            let ours = time_text(seconds);
            assert_eq!(ours, chrono, "{seconds}");
            let text = ours.expect("in the calendar");
            assert_eq!(seconds_of(&text), Some(seconds), "{text}");
            seconds += 86_399 * 71 + 3_601;
        }
    }
}

//! One check per kind of field: numbers in a range, distances with units, vocabulary ids,
//! positions, times. Each names the field it refuses.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};

use crate::crs::Crs;
use crate::lang::UnknownId;
use crate::message::Message;
use crate::sphere::LatLon;

/// A value a person types that may arrive as a JSON number or as text (query strings carry
/// only text), e.g. a distance `2.5` or `500m`. Kept as text until its check reads it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct NumberText(pub String);

impl NumberText {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&str> for NumberText {
    fn from(text: &str) -> NumberText {
        NumberText(text.to_string())
    }
}

impl<'de> Deserialize<'de> for NumberText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Loose {
            Text(String),
            Number(f64),
        }
        Ok(NumberText(match Loose::deserialize(d)? {
            Loose::Text(t) => t,
            Loose::Number(n) => n.to_string(),
        }))
    }
}

pub fn required<T>(field: &'static str, value: Option<T>) -> Result<T, Message> {
    value.ok_or(Message::Required { field })
}

fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        v.to_string()
    }
}

/// A finite number within `min..=max`.
pub fn number(field: &'static str, value: f64, min: f64, max: f64) -> Result<f64, Message> {
    if !value.is_finite() {
        return Err(Message::NotFinite {
            field,
            given: value.to_string(),
        });
    }
    if !(min..=max).contains(&value) {
        return Err(Message::OutOfRange {
            field,
            given: fmt_num(value),
            min: fmt_num(min),
            max: fmt_num(max),
        });
    }
    Ok(value)
}

/// A count within `1..=max`, `default` when absent.
pub fn count(
    field: &'static str,
    value: Option<usize>,
    default: usize,
    max: usize,
) -> Result<usize, Message> {
    let n = value.unwrap_or(default);
    if !(1..=max).contains(&n) {
        return Err(Message::OutOfRange {
            field,
            given: n.to_string(),
            min: "1".into(),
            max: max.to_string(),
        });
    }
    Ok(n)
}

/// A distance a person typed, in kilometres: `2.5` (km), `2km`, `500m`, `2 公里`, `500米`.
/// Returns metres.
pub fn parse_distance_m(text: &str) -> Option<f64> {
    let t = text.trim().to_lowercase();
    let (number, factor) = if let Some(n) = t.strip_suffix("km").or(t.strip_suffix("公里")) {
        (n, 1000.0)
    } else if let Some(n) = t.strip_suffix('m').or(t.strip_suffix('米')) {
        (n, 1.0)
    } else {
        (t.as_str(), 1000.0)
    };
    let value: f64 = number.trim().parse().ok()?;
    Some(value * factor)
}

/// A distance in `(0, max_km]`, as metres.
pub fn distance(field: &'static str, text: &str, max_km: f64) -> Result<f64, Message> {
    let metres = parse_distance_m(text).ok_or_else(|| Message::BadDistance {
        field,
        given: text.to_string(),
    })?;
    if !metres.is_finite() {
        return Err(Message::NotFinite {
            field,
            given: text.to_string(),
        });
    }
    if !(metres > 0.0 && metres <= max_km * 1000.0) {
        return Err(Message::OutOfRange {
            field,
            given: text.trim().to_string(),
            min: "0 km (exclusive)".into(),
            max: format!("{} km", fmt_num(max_km)),
        });
    }
    Ok(metres)
}

/// Comma-separated vocabulary ids (any of the vocabulary's types).
pub fn ids<T: FromStr<Err = UnknownId>>(
    field: &'static str,
    text: Option<&str>,
) -> Result<Vec<T>, Message> {
    text.into_iter()
        .flat_map(|t| t.split(','))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| id(field, t))
        .collect()
}

pub fn id<T: FromStr<Err = UnknownId>>(field: &'static str, text: &str) -> Result<T, Message> {
    text.parse().map_err(|e: UnknownId| Message::UnknownId {
        field,
        given: e.given,
        accepted: e.accepted,
    })
}

/// A position in `crs`, converted to WGS-84.
pub fn position(lat: Option<f64>, lon: Option<f64>, crs: Crs) -> Result<LatLon, Message> {
    let lat = required("lat", lat)?;
    let lon = required("lon", lon)?;
    let lat = number("lat", lat, -90.0, 90.0)?;
    let lon = number("lon", lon, -180.0, 180.0)?;
    Ok(crs.to_wgs84(LatLon { lat, lon }))
}

/// A position that may be absent altogether (both or neither).
pub fn optional_position(
    lat: Option<f64>,
    lon: Option<f64>,
    crs: Crs,
) -> Result<Option<LatLon>, Message> {
    match (lat, lon) {
        (None, None) => Ok(None),
        _ => position(lat, lon, crs).map(Some),
    }
}

pub fn crs(field: &'static str, text: Option<&str>) -> Result<Crs, Message> {
    text.map_or(Ok(Crs::Wgs84), |t| id(field, t))
}

/// An RFC 3339 time; seconds may be left out (2026-11-29T20:00+08:00), and without an offset
/// the time is China time (2026-11-29T20:00, or with a space for the T). Only years 2000 to
/// 2100: anything else is a typo, and far-off years would overflow the calendar arithmetic
/// done with the time afterwards.
pub fn time(field: &'static str, text: &str) -> Result<DateTime<Utc>, Message> {
    let text = text.trim();
    let bad = || Message::BadTime {
        field,
        given: text.to_string(),
    };
    let spaced = text.replacen(' ', "T", 1);
    let with_offset = DateTime::parse_from_rfc3339(text)
        .or_else(|_| DateTime::parse_from_str(&spaced, "%Y-%m-%dT%H:%M%:z"))
        .map(|t| t.to_utc());
    let at = match with_offset {
        Ok(t) => t,
        Err(_) => ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"]
            .iter()
            .find_map(|format| chrono::NaiveDateTime::parse_from_str(&spaced, format).ok())
            .and_then(|local| {
                local
                    .and_local_timezone(crate::hours::china_time())
                    .single()
            })
            .map(|t| t.to_utc())
            .ok_or_else(bad)?,
    };
    if !(2000..=2100).contains(&chrono::Datelike::year(&at)) {
        return Err(bad());
    }
    Ok(at)
}

/// A speed in km/h (a number, optionally with km/h) or a vehicle's id (its typical speed).
pub fn speed(field: &'static str, text: &str) -> Result<f64, Message> {
    let text = text.trim();
    if let Ok(vehicle) = text.parse::<crate::arrival::Vehicle>() {
        return Ok(vehicle.speed_kmh());
    }
    let digits = ["km/h", "kmh"]
        .iter()
        .find_map(|unit| text.strip_suffix(unit))
        .unwrap_or(text);
    let kmh = digits
        .trim()
        .parse::<f64>()
        .map_err(|_| Message::BadSpeed {
            field,
            given: text.to_string(),
        })?;
    let range = crate::arrival::SPEED_KMH;
    number(field, kmh, *range.start(), *range.end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_are_kilometres_unless_a_unit_says_otherwise() {
        assert_eq!(parse_distance_m("2.5"), Some(2500.0));
        assert_eq!(parse_distance_m("2km"), Some(2000.0));
        assert_eq!(parse_distance_m(" 2 KM "), Some(2000.0));
        assert_eq!(parse_distance_m("500m"), Some(500.0));
        assert_eq!(parse_distance_m("500 米"), Some(500.0));
        assert_eq!(parse_distance_m("3公里"), Some(3000.0));
        assert_eq!(parse_distance_m("two"), None);
        assert_eq!(parse_distance_m("5 miles"), None);
        assert_eq!(
            distance("within", "0", 50.0).unwrap_err().id(),
            "out_of_range"
        );
        assert_eq!(
            distance("within", "NaN", 50.0).unwrap_err().id(),
            "not_finite"
        );
        assert_eq!(
            distance("within", "51km", 50.0).unwrap_err().id(),
            "out_of_range"
        );
        assert_eq!(distance("within", "50km", 50.0), Ok(50_000.0));
    }

    #[test]
    fn numbers_name_their_field_and_range() {
        let e = number("heading", 400.0, 0.0, 360.0).unwrap_err();
        assert_eq!(e.id(), "out_of_range");
        assert!(e.both().contains("`heading`"), "{e}");
        assert_eq!(
            number("lat", f64::NAN, -90.0, 90.0).unwrap_err().id(),
            "not_finite"
        );
        assert_eq!(
            count("k", Some(0), 10, 1000).unwrap_err().id(),
            "out_of_range"
        );
        assert_eq!(count("k", None, 10, 1000), Ok(10));
    }
}

//! Arrival times and open-at-arrival along a route that crosses midnight and a closing time,
//! against an independent calculation: the route runs due north along a meridian, every
//! station sits on it, so the distance to each is the oracle's own haversine from the start,
//! and the time is that distance at the speed; whether each is open then is worked out by hand
//! below from its hours (and the test checks the arrival lies where that reasoning assumes).

use chrono::{DateTime, FixedOffset, NaiveTime, TimeDelta, Timelike};
use waystation_catalog::model::{Kind, Service, ServiceSet, Source, Station, Status};
use waystation_catalog::progress::Silent;
use waystation_catalog::request::AlongRequest;
use waystation_catalog::{Catalog, LatLon, Query};

/// The oracle's own haversine (not the library's), on the mean Earth radius.
fn haversine_m(a: LatLon, b: LatLon) -> f64 {
    let (p1, p2) = (a.lat.to_radians(), b.lat.to_radians());
    let dp = p2 - p1;
    let dl = (b.lon - a.lon).to_radians();
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * 6_371_008.8 * h.sqrt().min(1.0).asin()
}

const LON: f64 = 114.0;
const START: LatLon = LatLon {
    lat: 30.0,
    lon: LON,
};

fn station(id: &str, lat: f64, hours: Option<&str>) -> Station {
    Station {
        id: id.into(),
        kind: Kind::DriverHome,
        name: format!("测试站 {id}"),
        address: String::new(),
        adcode: "420100".into(),
        location: LatLon { lat, lon: LON },
        services: ServiceSet::from_iter([Service::Shower]),
        opening_hours: hours.map(str::to_string),
        phone: None,
        truck_spaces: None,
        free_truck_spaces: None,
        status: Status::Open,
        notice: None,
        source: Source::Synthetic,
        version: 1,
        updated_at: "2026-01-01T00:00:00Z".into(),
    }
}

/// Each station, where it is, its hours, whether it is open on arrival and why (departing
/// Sunday 2026-11-29 at 21:00 China time at 60 km/h; a degree of latitude is ~111 km, so
/// ~1 h 51 min).
/// (id, latitude, hours, open on arrival, and the window the arrival must fall in for that).
type Case = (
    &'static str,
    f64,
    Option<&'static str>,
    Option<bool>,
    &'static str,
    &'static str,
);

const CASES: [Case; 6] = [
    (
        "a",
        30.5,
        Some("Mo-Su 07:00-23:30"),
        Some(true),
        "21:30",
        "23:30",
    ),
    ("b", 31.0, None, None, "00:00", "24:00"),
    // Arrives just after the closing time.
    (
        "c",
        31.5,
        Some("Mo-Su 07:00-23:30"),
        Some(false),
        "23:30",
        "24:00",
    ),
    // Sunday's late opening runs past midnight into Monday.
    (
        "d",
        32.0,
        Some("Su 22:00-01:00"),
        Some(true),
        "00:00",
        "01:00",
    ),
    // Monday, but before it opens.
    (
        "e",
        32.25,
        Some("Mo 06:00-18:00"),
        Some(false),
        "00:00",
        "06:00",
    ),
    ("f", 32.5, Some("24/7"), Some(true), "00:00", "24:00"),
];

fn hhmm(text: &str) -> NaiveTime {
    if text == "24:00" {
        return NaiveTime::from_hms_opt(23, 59, 59).expect("time");
    }
    NaiveTime::parse_from_str(text, "%H:%M").expect("time")
}

fn catalog(dir: &tempfile::TempDir) -> Catalog {
    let mut catalog = Catalog::open(&dir.path().join("c.sqlite")).expect("open");
    let stations: Vec<Station> = CASES
        .iter()
        .map(|(id, lat, hours, ..)| station(id, *lat, *hours))
        .collect();
    catalog.import(stations, &mut Silent).expect("import");
    catalog
}

fn route() -> String {
    format!(r#"{{"type":"LineString","coordinates":[[{LON},30.0],[{LON},33.0]]}}"#)
}

fn along(catalog: &Catalog, request: AlongRequest) -> Vec<serde_json::Value> {
    let now = chrono::Utc::now();
    let query = Query::Along(request.check(&route(), now).expect("valid request"));
    let hits = catalog.hits(&query).expect("answer");
    hits.iter()
        .map(|h| serde_json::to_value(h).expect("json"))
        .collect()
}

#[test]
fn arrival_times_and_open_at_arrival_match_an_independent_calculation() {
    let dir = tempfile::tempdir().expect("dir");
    let catalog = catalog(&dir);
    let depart = DateTime::parse_from_rfc3339("2026-11-29T21:00:00+08:00").expect("depart");
    let hits = along(
        &catalog,
        AlongRequest {
            within: Some("1".into()),
            speed: Some("60".into()),
            depart: Some("2026-11-29T21:00+08:00".into()),
            ..Default::default()
        },
    );
    assert_eq!(hits.len(), CASES.len());
    for (hit, (id, lat, _, open, from, to)) in hits.iter().zip(CASES) {
        assert_eq!(hit["id"], *id, "in order along the route");
        let metres = haversine_m(START, LatLon { lat, lon: LON });
        let expected = depart + TimeDelta::milliseconds((metres / (60.0 / 3.6) * 1000.0) as i64);
        let eta: DateTime<FixedOffset> =
            DateTime::parse_from_rfc3339(hit["eta"].as_str().expect("eta")).expect("rfc 3339");
        assert_eq!(
            eta.offset().local_minus_utc(),
            8 * 3600,
            "China time: {eta}"
        );
        let off_by = (eta - expected).num_milliseconds().abs();
        assert!(off_by <= 1000, "{id}: {eta} vs {expected}");
        // The reasoning above holds: the arrival falls in the window it assumes.
        let local = eta.time().with_nanosecond(0).expect("time");
        assert!(
            (hhmm(from)..=hhmm(to)).contains(&local),
            "{id} arrives at {local}, outside {from}-{to}"
        );
        assert_eq!(
            hit["open_at_arrival"],
            serde_json::json!(open),
            "{id} at {eta}"
        );
    }
    // Stations past midnight arrive on Monday the 30th.
    assert!(
        hits[3]["eta"]
            .as_str()
            .is_some_and(|t| t.starts_with("2026-11-30T00:"))
    );
}

#[test]
fn closed_on_arrival_can_be_left_out_and_vehicles_set_the_speed() {
    let dir = tempfile::tempdir().expect("dir");
    let catalog = catalog(&dir);
    let open_then = along(
        &catalog,
        AlongRequest {
            within: Some("1".into()),
            speed: Some("truck".into()),
            depart: Some("2026-11-29T21:00".into()),
            open_on_arrival: Some(true),
            ..Default::default()
        },
    );
    let ids: Vec<&str> = open_then.iter().filter_map(|h| h["id"].as_str()).collect();
    let expected: Vec<&str> = CASES
        .iter()
        .filter(|c| c.3 == Some(true))
        .map(|c| c.0)
        .collect();
    assert_eq!(ids, expected, "unknown hours do not count as open");

    // An e-bike (20 km/h) takes three times as long as a truck: station a at ~55.6 km is
    // reached after about 2 h 47 min instead of 55 min.
    let ebike = along(
        &catalog,
        AlongRequest {
            within: Some("1".into()),
            speed: Some("ebike".into()),
            depart: Some("2026-11-29T21:00+08:00".into()),
            ..Default::default()
        },
    );
    let a = ebike[0]["eta"].as_str().expect("eta");
    assert!(a.starts_with("2026-11-29T23:46"), "{a}");
    assert_eq!(ebike[0]["open_at_arrival"], false);
}

#[test]
fn bad_speeds_and_times_are_refused_naming_the_field() {
    let now = chrono::Utc::now();
    for (speed, depart, id) in [
        (Some("0"), None, "out_of_range"),
        (Some("fast"), None, "bad_speed"),
        (Some("NaN"), None, "not_finite"),
        (Some("60"), Some("tonight"), "bad_time"),
        // A year the calendar arithmetic afterwards cannot carry (it once panicked a worker).
        (Some("1"), Some("+262142-12-31T23:59"), "bad_time"),
        (Some("60km/hkm/h"), None, "bad_speed"),
    ] {
        let request = AlongRequest {
            speed: speed.map(Into::into),
            depart: depart.map(str::to_string),
            ..Default::default()
        };
        let refused = request.check(&route(), now).expect_err("refused");
        assert_eq!(refused.id(), id, "{speed:?} {depart:?}");
    }
}

//! Drivers' confirmations in a real catalog file: tallies count voices (an address or an
//! operator), not device ids; counts fall as words leave the 30-day window, which forgets them
//! but keeps each fact's last confirmation; every answer carries the tallies from memory, and
//! the `confirmed` filter follows them as they change.

use chrono::NaiveDate;
use waystation_catalog::confirmations::{Confirmation, FactTally};
use waystation_catalog::model::{Kind, Service, ServiceSet, Source, Station, Status};
use waystation_catalog::progress::Silent;
use waystation_catalog::query::Filter;
use waystation_catalog::{Catalog, LatLon};

fn station(id: &str, lat: f64) -> Station {
    Station {
        id: id.into(),
        kind: Kind::DriverHome,
        name: format!("{id} 司机之家"),
        address: "南山区".into(),
        adcode: "440305".into(),
        location: LatLon { lat, lon: 113.93 },
        services: ServiceSet::from_iter([Service::Shower, Service::Toilet]),
        opening_hours: Some("24/7".into()),
        phone: None,
        truck_spaces: Some(20),
        free_truck_spaces: Some(3),
        status: Status::Open,
        notice: None,
        source: Source::Official,
        version: 1,
        updated_at: "2026-01-01T00:00:00Z".into(),
    }
}

fn said(station_id: &str, fact: &str, holds: bool) -> Confirmation {
    Confirmation {
        station_id: station_id.into(),
        fact: fact.into(),
        holds,
        device: None,
    }
}

fn catalog(dir: &tempfile::TempDir) -> Catalog {
    let mut catalog = Catalog::open(&dir.path().join("c.sqlite")).expect("open");
    // "near" is nearer the query point than "far".
    let stations = vec![station("near", 22.53), station("far", 22.60)];
    catalog.import(stations, &mut Silent).expect("import");
    catalog
}

/// Shower required, confirmed lately: the stations a driver would be sent to, nearest first.
fn confirmed_showers(catalog: &Catalog, day: u32) -> Vec<String> {
    let time = NaiveDate::from_ymd_opt(2026, 11, day)
        .and_then(|d| d.and_hms_opt(12, 0, 0))
        .expect("date");
    let mut f = Filter::any_at(time);
    f.services = ServiceSet::from_iter([Service::Shower]);
    f.confirmed = true;
    let at = LatLon {
        lat: 22.50,
        lon: 113.93,
    };
    catalog
        .nearest(at, 5, &f)
        .expect("nearest")
        .into_iter()
        .map(|h| h.station.id)
        .collect()
}

/// What the nearest answer on November `day` says of station `id`'s facts.
fn facts_on(catalog: &Catalog, day: u32, id: &str) -> Vec<FactTally> {
    let time = NaiveDate::from_ymd_opt(2026, 11, day)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .expect("date");
    let at = LatLon {
        lat: 22.5,
        lon: 113.93,
    };
    catalog
        .nearest(at, 5, &Filter::any_at(time))
        .expect("nearest")
        .into_iter()
        .find(|h| h.station.id == id)
        .expect("station")
        .facts
}

fn tally(catalog: &Catalog, id: &str, fact: &str) -> FactTally {
    facts_on(catalog, 1, id)
        .into_iter()
        .find(|t| t.fact == fact)
        .unwrap_or_else(|| panic!("{id} has no tally for {fact}"))
}

#[test]
fn devices_from_one_voice_count_once_and_the_confirmed_filter_follows_the_tallies() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut catalog = catalog(&dir);
    assert!(
        confirmed_showers(&catalog, 1).is_empty(),
        "nobody spoke yet"
    );

    let at = "2026-11-01T08:00:00Z";
    catalog
        .confirm(&[said("far", "shower", true)], "p1", "addr:10.0.0.1", at)
        .expect("confirm");
    assert_eq!(confirmed_showers(&catalog, 1), ["far"]);

    // One address, three fresh device ids: three words kept, one voice.
    for device in ["x1", "x2", "x3"] {
        let n = catalog
            .confirm(
                &[said("near", "shower", false)],
                device,
                "addr:10.0.0.9",
                at,
            )
            .expect("confirm");
        assert_eq!(n, 1, "each device's word is kept");
    }
    catalog
        .confirm(&[said("near", "shower", true)], "p2", "addr:10.0.0.2", at)
        .expect("confirm");
    let t = tally(&catalog, "near", "shower");
    assert_eq!((t.confirmed, t.denied), (1, 1));
    assert!(!t.disputed());
    assert_eq!(confirmed_showers(&catalog, 1), ["near", "far"]);

    // A second voice denies: disputed, so no longer confirmed (the filter sees it at once).
    catalog
        .confirm(&[said("near", "shower", false)], "p3", "addr:10.0.0.3", at)
        .expect("confirm");
    assert!(tally(&catalog, "near", "shower").disputed());
    assert_eq!(confirmed_showers(&catalog, 1), ["far"]);

    // Free truck spaces are a fact like any other.
    catalog
        .confirm(
            &[said("far", "free_truck_spaces", true)],
            "p1",
            "addr:10.0.0.1",
            at,
        )
        .expect("confirm");
    assert_eq!(tally(&catalog, "far", "free_truck_spaces").confirmed, 1);

    // Reopened, the index reads the same tallies from the file.
    drop(catalog);
    let catalog = Catalog::open(&dir.path().join("c.sqlite")).expect("reopen");
    assert_eq!(confirmed_showers(&catalog, 1), ["far"]);
    // Within 90 days of its last confirmation "far" stays confirmed; after, it is to be
    // confirmed again.
    assert_eq!(confirmed_showers(&catalog, 29), ["far"]);
    let late = NaiveDate::from_ymd_opt(2027, 2, 1)
        .and_then(|d| d.and_hms_opt(12, 0, 0))
        .expect("date");
    let mut f = Filter::any_at(late);
    f.confirmed = true;
    assert!(
        catalog
            .nearest(
                LatLon {
                    lat: 22.5,
                    lon: 113.93
                },
                5,
                &f
            )
            .expect("nearest")
            .is_empty()
    );
}

#[test]
fn counts_fall_as_words_leave_the_window_and_the_last_confirmation_stays() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut catalog = catalog(&dir);
    catalog
        .confirm(
            &[said("near", "toilet", true)],
            "p1",
            "addr:1",
            "2026-10-01T08:00:00Z",
        )
        .expect("confirm");
    for (device, voice) in [("p2", "addr:2"), ("p3", "addr:3")] {
        catalog
            .confirm(
                &[said("near", "open", false)],
                device,
                voice,
                "2026-10-02T08:00:00Z",
            )
            .expect("confirm");
    }
    catalog
        .confirm(
            &[said("near", "toilet", true)],
            "p4",
            "addr:4",
            "2026-10-20T08:00:00Z",
        )
        .expect("confirm");
    assert_eq!(tally(&catalog, "near", "toilet").confirmed, 2);
    assert!(tally(&catalog, "near", "open").disputed());
    let seq = catalog.head_seq().expect("head");

    // Nothing has left the window yet on 10-25.
    assert_eq!(
        catalog
            .age_tallies("2026-10-25T00:00:00Z", 100)
            .expect("age"),
        0
    );
    // On 11-05 the words of 10-01 and 10-02 have: counts fall, the dispute ends, the toilet's
    // last confirmation is still 10-20, and the new tallies are in the change feed.
    assert_eq!(
        catalog
            .age_tallies("2026-11-05T00:00:00Z", 100)
            .expect("age"),
        1
    );
    let toilet = tally(&catalog, "near", "toilet");
    assert_eq!(toilet.confirmed, 1);
    assert_eq!(
        toilet.last_confirmed.as_deref(),
        Some("2026-10-20T08:00:00Z")
    );
    assert!(
        facts_on(&catalog, 5, "near")
            .iter()
            .all(|t| t.fact != "open"),
        "a fact only ever denied, whose denials all left the window, has no tally left"
    );
    assert!(catalog.head_seq().expect("head") > seq);
    let page = catalog
        .changes_since(seq, 100)
        .expect("feed")
        .expect("not gone");
    assert_eq!(page.changes.len(), 1);
    assert_eq!(page.changes[0].station_id, "near");

    // The words that left are forgotten: the next word recounts from what is kept, and the
    // last confirmation ever survives it.
    assert_eq!(
        catalog
            .age_tallies("2026-11-25T00:00:00Z", 100)
            .expect("age"),
        1
    );
    catalog
        .confirm(
            &[said("near", "toilet", false)],
            "p5",
            "addr:5",
            "2026-11-26T08:00:00Z",
        )
        .expect("confirm");
    let toilet = tally(&catalog, "near", "toilet");
    assert_eq!((toilet.confirmed, toilet.denied), (0, 1));
    assert_eq!(
        toilet.last_confirmed.as_deref(),
        Some("2026-10-20T08:00:00Z")
    );
}

#[test]
fn only_a_stations_own_facts_can_be_confirmed_and_a_deleted_station_keeps_no_words() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut catalog = catalog(&dir);
    let refused = |fact: &str| catalog.check_confirmation(&said("near", fact, false));
    assert!(refused("shower").is_ok(), "a listed service");
    assert!(refused("open").is_ok(), "being open, whatever the status");
    assert!(refused("free_truck_spaces").is_ok(), "it has truck parking");
    let unlisted = refused("fuel").expect_err("not listed");
    assert!(
        unlisted.to_string().contains("does not list fuel"),
        "{unlisted}"
    );
    assert!(refused("jacuzzi").is_err(), "not a fact at all");
    let mut no_parking = station("small", 22.7);
    no_parking.truck_spaces = None;
    catalog
        .import(vec![no_parking], &mut Silent)
        .expect("import");
    assert!(
        catalog
            .check_confirmation(&said("small", "free_truck_spaces", true))
            .is_err(),
        "no truck parking, no free truck spaces to confirm"
    );

    // Words about a station that is then deleted do not come back with the ageing.
    catalog
        .confirm(
            &[said("near", "shower", true)],
            "p1",
            "addr:1",
            "2026-10-01T08:00:00Z",
        )
        .expect("confirm");
    catalog.delete_station("near", "test").expect("delete");
    let seq = catalog.head_seq().expect("head");
    assert_eq!(
        catalog
            .age_tallies("2026-11-25T00:00:00Z", 100)
            .expect("age"),
        0,
        "nothing left to age"
    );
    assert_eq!(
        catalog.head_seq().expect("head"),
        seq,
        "no facts entry for it"
    );
    assert!(
        catalog
            .confirmations()
            .tallies("near")
            .expect("tallies")
            .is_empty()
    );
}

//! Proposals in a real catalog file: checked like edits, positions taken in GCJ-02, a likely
//! duplicate flagged, an approval written as a station (and a change-feed entry) in one step
//! with the proposal's state, a decision made once.

use serde_json::{Map, Value, json};
use waystation_catalog::model::{Kind, Service, ServiceSet, Source, Station, Status};
use waystation_catalog::progress::Silent;
use waystation_catalog::proposals::{Proposal, ProposalState};
use waystation_catalog::store::proposals::Proposer;
use waystation_catalog::{Catalog, CatalogError, LatLon};

fn station(id: &str, kind: Kind, name: &str, lat: f64, lon: f64) -> Station {
    Station {
        id: id.into(),
        kind,
        name: name.into(),
        address: "南山区".into(),
        adcode: "440305".into(),
        location: LatLon { lat, lon },
        services: ServiceSet::from_iter([Service::Toilet]),
        opening_hours: None,
        phone: None,
        truck_spaces: None,
        free_truck_spaces: None,
        status: Status::Open,
        notice: None,
        source: Source::Official,
        version: 1,
        updated_at: "2026-01-01T00:00:00Z".into(),
    }
}

fn catalog(dir: &tempfile::TempDir) -> Catalog {
    let mut catalog = Catalog::open(&dir.path().join("c.sqlite")).expect("open");
    let stations = vec![
        station(
            "dh1",
            Kind::DriverHome,
            "南山物流园司机之家",
            22.5300,
            113.9300,
        ),
        station("wb1", Kind::WarmBee, "科技园暖蜂驿站", 22.5400, 113.9500),
    ];
    catalog.import(stations, &mut Silent).expect("import");
    catalog
}

fn fields(v: Value) -> Map<String, Value> {
    v.as_object().cloned().expect("object")
}

const NOW: &str = "2026-11-29T12:00:00Z";
const ANON: Proposer<'static> = Proposer {
    username: None,
    secret_hash: "hash",
};

#[test]
fn a_new_station_is_checked_flagged_approved_and_fed_to_clients() {
    let dir = tempfile::tempdir().expect("dir");
    let mut catalog = catalog(&dir);

    // 100 m from dh1 and of the same kind: a likely duplicate.
    let near_dh1 = Proposal {
        fields: fields(
            json!({"kind": "driver_home", "name": "物流园司机休息站", "lat": 22.5309, "lon": 113.9300}),
        ),
        ..Default::default()
    };
    let (_, duplicate) = catalog.propose(&near_dh1, &ANON, NOW).expect("kept");
    assert_eq!(duplicate.as_deref(), Some("dh1"));
    // 600 m away but nearly the same name: a likely duplicate too.
    let renamed = Proposal {
        fields: fields(
            json!({"kind": "caring_merchant", "name": "科技园暖蜂驿站（二号）", "lat": 22.5454, "lon": 113.9500}),
        ),
        ..Default::default()
    };
    assert_eq!(
        catalog
            .propose(&renamed, &ANON, NOW)
            .expect("kept")
            .1
            .as_deref(),
        Some("wb1")
    );

    // Far from both, given in GCJ-02 as Amap shows it: kept in WGS-84, county from position.
    let gcj = waystation_catalog::crs::wgs84_to_gcj02(LatLon {
        lat: 22.6000,
        lon: 114.0500,
    });
    let new = Proposal {
        fields: fields(json!({
            "kind": "caring_merchant", "name": "龙华热水便利店", "lat": gcj.lat, "lon": gcj.lon,
            "services": ["drinking_water", "toilet"], "opening_hours": "Mo-Su 07:00-22:00",
        })),
        crs: Some("gcj02".into()),
        note: Some("店主愿意提供热水".into()),
        ..Default::default()
    };
    let (id, duplicate) = catalog.propose(&new, &ANON, NOW).expect("kept");
    assert_eq!(duplicate, None);
    let kept = catalog.proposals().get(id).expect("read").expect("kept");
    assert_eq!(kept.state, ProposalState::Pending);
    let (lat, lon) = (
        kept.fields["lat"].as_f64().expect("lat"),
        kept.fields["lon"].as_f64().expect("lon"),
    );
    assert!(
        (lat - 22.6).abs() < 1e-5 && (lon - 114.05).abs() < 1e-5,
        "{lat},{lon} in WGS-84"
    );
    // 福田区: the nearest county centre in the reference data (which predates 龙华区).
    assert_eq!(kept.fields["adcode"], "440304");

    let head = catalog.head_seq().expect("head");
    let saved = catalog.approve_proposal(id, "root").expect("approved");
    assert_eq!(saved.id, format!("prop-{id:06}"));
    assert_eq!(saved.source, Source::Proposal);
    assert_eq!(
        saved.services,
        ServiceSet::from_iter([Service::DrinkingWater, Service::Toilet])
    );
    let decided = catalog.proposals().get(id).expect("read").expect("kept");
    assert_eq!(
        (decided.state, decided.station_id.as_deref()),
        (ProposalState::Approved, Some(saved.id.as_str()))
    );
    let page = catalog
        .changes_since(head, 10)
        .expect("feed")
        .expect("not gone");
    assert!(
        page.changes.iter().any(|c| c.station_id == saved.id),
        "the new station is in the feed"
    );

    // Decided once: a second approval or a rejection is refused, nothing written.
    for again in [
        catalog.approve_proposal(id, "root").err(),
        catalog.reject_proposal(id, "no", "root").err(),
    ] {
        assert!(
            matches!(again, Some(CatalogError::Refused(ref m)) if m.id() == "already_decided"),
            "{again:?}"
        );
    }
    assert_eq!(catalog.head_seq().expect("head"), head + 1);
}

#[test]
fn a_change_names_only_what_changes_and_bad_proposals_are_refused() {
    let dir = tempfile::tempdir().expect("dir");
    let mut catalog = catalog(&dir);
    let change = Proposal {
        station_id: Some("dh1".into()),
        fields: fields(json!({"services": ["toilet", "shower"], "opening_hours": "24/7"})),
        ..Default::default()
    };
    let (id, duplicate) = catalog.propose(&change, &ANON, NOW).expect("kept");
    assert_eq!(duplicate, None);
    let saved = catalog.approve_proposal(id, "root").expect("approved");
    assert_eq!(saved.id, "dh1");
    assert!(saved.services.contains(Service::Shower));
    assert_eq!(saved.name, "南山物流园司机之家", "fields not proposed stay");
    assert_eq!(
        saved.source,
        Source::Official,
        "a change keeps the listing's source"
    );

    let refused = |p: Proposal| match catalog.propose(&p, &ANON, NOW) {
        Err(CatalogError::Refused(m)) => m.id(),
        Err(CatalogError::NotFound(_)) => "not_found",
        other => panic!("not refused: {other:?}"),
    };
    let change_of = |station_id: &str, v: Value| Proposal {
        station_id: Some(station_id.into()),
        fields: fields(v),
        ..Default::default()
    };
    assert_eq!(refused(change_of("dh1", json!({}))), "nothing_proposed");
    assert_eq!(
        refused(change_of("dh1", json!({"id": "mine"}))),
        "not_proposable"
    );
    assert_eq!(
        refused(change_of("dh1", json!({"services": ["jacuzzi"]}))),
        "bad_field"
    );
    assert_eq!(
        refused(change_of("nowhere", json!({"name": "x"}))),
        "not_found"
    );
    let new = |v: Value| Proposal {
        fields: fields(v),
        ..Default::default()
    };
    assert_eq!(
        refused(new(
            json!({"kind": "driver_home", "lat": 22.6, "lon": 114.0})
        )),
        "bad_field"
    );
    assert_eq!(
        refused(new(
            json!({"kind": "driver_home", "name": "x", "lat": 95, "lon": 114})
        )),
        "bad_position"
    );
    let long_note = Proposal {
        note: Some("很".repeat(501)),
        ..new(json!({"kind": "driver_home", "name": "x", "lat": 22.6, "lon": 114.0}))
    };
    assert_eq!(refused(long_note), "too_long");
    // Half a position in another datum cannot be converted.
    let half = Proposal {
        crs: Some("gcj02".into()),
        ..change_of("dh1", json!({"lat": 22.54}))
    };
    assert_eq!(refused(half), "bad_field");
    // Far from any county (Paris): the county is not guessed, so the proposer must give it.
    assert_eq!(
        refused(new(
            json!({"kind": "driver_home", "name": "x", "lat": 48.85, "lon": 2.35})
        )),
        "bad_field"
    );
}

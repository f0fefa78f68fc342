//! A station's row kept ready as JSON (what the server answers from) renders, inside a hit,
//! the very bytes the station itself does: in every kind of answer (nearby with arrival times,
//! along a route, a text search without a position, with drivers' confirmations) over
//! synthetic stations and stations whose text needs escaping.

use std::collections::HashMap;

use chrono::{TimeZone, Utc};
use waystation_catalog::confirmations::Confirmation;
use waystation_catalog::model::{Kind, ServiceSet, Source, Station, Status};
use waystation_catalog::progress::Silent;
use waystation_catalog::ready::ReadyStation;
use waystation_catalog::request::{AlongRequest, NearRequest, SearchRequest, WithinRequest};
use waystation_catalog::{Catalog, LatLon, Query};

/// Stations in Shenzhen whose text JSON must escape, and with every optional field given.
fn awkward(i: usize) -> Station {
    Station {
        id: format!("awkward-{i}"),
        kind: Kind::ALL[i % Kind::ALL.len()],
        name: format!("\"引号\"站 {i} \\ 反斜杠"),
        address: "深圳市福田区\n第二行\t制表 \u{2028} 🚚 \u{1}".into(),
        adcode: "440304".into(),
        location: LatLon::new(22.54 + i as f64 * 1e-4, 114.05).expect("in range"),
        services: ServiceSet::from_bits(0b1011),
        opening_hours: Some("Mo-Fr 08:00-18:00; Sa 09:00-12:00".into()),
        phone: Some("0755-1234 5678".into()),
        truck_spaces: Some(40),
        free_truck_spaces: Some(0),
        status: Status::Open,
        notice: Some("</script> & 'quotes'".into()),
        source: Source::Synthetic,
        version: 3,
        updated_at: "2026-11-30T01:02:03Z".into(),
    }
}

fn queries() -> Vec<Query> {
    let now = Utc
        .with_ymd_and_hms(2026, 11, 30, 2, 0, 0)
        .single()
        .expect("time");
    let ask = |q: &str| -> NearRequest { serde_urlencoded::from_str(q).expect(q) };
    let near = |q: &str| Query::Near(ask(q).check(now).expect(q));
    let within: WithinRequest =
        serde_urlencoded::from_str("lat=22.54&lon=114.05&radius=30km").expect("within");
    let search: SearchRequest = serde_urlencoded::from_str("q=站&k=40").expect("search");
    let along: AlongRequest = serde_urlencoded::from_str("within=5km&speed=truck").expect("along");
    let route = r#"{"type":"LineString","coordinates":[[113.9,22.5],[114.2,22.6]]}"#;
    vec![
        near("lat=22.54&lon=114.05&k=40"),
        near("lat=22.54&lon=114.05&k=40&speed=truck"),
        near("lat=39.9&lon=116.4&k=20&service=shower"),
        Query::Within(within.check(now).expect("within")),
        Query::Search(search.check(now).expect("search")),
        Query::Along(along.check(route, now).expect("along")),
    ]
}

#[test]
fn a_ready_row_renders_as_its_station_in_every_kind_of_answer() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut catalog = Catalog::open(&dir.path().join("c.sqlite")).expect("catalog");
    let mut stations = waystation_synthetic::generate(3_000, 7);
    stations.extend((0..5).map(awkward));
    catalog.import(stations, &mut Silent).expect("import");
    let said = Confirmation {
        station_id: "awkward-1".into(),
        fact: "shower".into(),
        holds: true,
        device: None,
    };
    let at = "2026-11-29T08:00:00Z";
    (catalog.confirm(&[said], "p1", "addr:10.0.0.1", at)).expect("confirm");
    let readers = catalog.readers(1).expect("readers");

    let mut rendered = String::new();
    for query in queries() {
        let answer = catalog.answer(&query).expect("answer");
        let index = catalog.shared_index();
        let rows = readers
            .stations_by_pk(&index, &answer.keys())
            .expect("rows");
        let ready: HashMap<i64, ReadyStation> = (rows.iter())
            .map(|(pk, s)| (*pk, ReadyStation::new(s).expect("ready")))
            .collect();
        let plain = serde_json::to_string(&answer.clone().with_rows(rows)).expect("json");
        assert!(plain.len() > 100, "{query:?} found nothing: {plain}");
        assert_eq!(
            serde_json::to_string(&catalog.hits(&query).expect("hits")).expect("json"),
            plain,
            "the catalog's own answer"
        );
        let from_ready = serde_json::to_string(&answer.with_rows(ready)).expect("json");
        assert_eq!(from_ready, plain, "{query:?}");
        rendered.push_str(&from_ready);
    }
    // Every kind of field was rendered, escapes included.
    for seen in [
        r#""eta":"#,
        r#""along_m":"#,
        r#""distance_m":null"#,
        r#""facts":[{"#,
        r#"\"引号\"站"#,
        r#"\n第二行\t"#,
        r#"\u0001"#,
        r#""free_truck_spaces":0"#,
    ] {
        assert!(rendered.contains(seen), "no {seen} in the answers");
    }
}

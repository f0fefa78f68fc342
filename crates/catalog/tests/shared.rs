//! The app's `SharedCatalog` while a sync writes: the window's queries answer from the index
//! published before the write, and never with one station's row beside another's index entry.

use std::sync::Arc;
use std::sync::mpsc::channel;
use std::time::Duration;

use chrono::{NaiveDate, NaiveDateTime};
use waystation_catalog::progress::Silent;
use waystation_catalog::query::Filter;
use waystation_catalog::request::{DetailQuery, Near};
use waystation_catalog::{
    Catalog, Detail, Hit, Kind, LatLon, Query, Service, SharedCatalog, Station, Status,
};

/// 03:00 in China: stations open around the clock are open, the others closed.
fn three_at_night() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 11, 30)
        .and_then(|d| d.and_hms_opt(3, 0, 0))
        .expect("time")
}

fn near(at: LatLon) -> Query {
    let filter = Filter::any_at(three_at_night());
    Query::Near(Near { at, k: 10, filter })
}

/// Runs `write` as a sync step does and, before it lets go of the catalog, asks for `query`'s
/// hits and the detail of `id` from another thread, as the window would.
fn asked_during(
    shared: &Arc<SharedCatalog>,
    write: impl FnOnce(&mut Catalog),
    query: &Query,
    id: &str,
) -> (Vec<Hit>, Detail) {
    shared.with(|c| {
        write(c);
        let (answer, on_answer) = channel();
        let (shared, query, id) = (shared.clone(), query.clone(), id.to_string());
        std::thread::spawn(move || {
            let detail = DetailQuery {
                from: None,
                time: three_at_night(),
            };
            let _ = answer.send((shared.hits(&query), shared.detail(&id, &detail)));
        });
        let (hits, detail) = on_answer
            .recv_timeout(Duration::from_secs(20))
            .expect("answered while the write held the catalog");
        (hits.expect("hits"), detail.expect("detail"))
    })
}

fn open_now(shared: &SharedCatalog, id: &str) -> Option<bool> {
    let time = three_at_night();
    let detail = shared.detail(id, &DetailQuery { from: None, time });
    detail.expect("detail").hit.open_now
}

/// Every station's row, by id.
fn rows(catalog: &Catalog) -> Vec<Station> {
    let mut rows = Vec::new();
    (catalog.for_each_station(|s| {
        rows.push(s.clone());
        Ok(())
    }))
    .expect("stations");
    rows
}

fn stations(count: usize) -> Vec<Station> {
    let mut stations = waystation_synthetic::generate(count, 1);
    if let Some(last) = stations.last_mut() {
        last.opening_hours = Some("24/7".into());
    }
    stations
}

#[test]
fn a_snapshot_keeps_each_stations_key_so_the_window_answers_whole_meanwhile() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut catalog = Catalog::open(&dir.path().join("c.sqlite")).expect("open");
    let stations = stations(200);
    catalog
        .import(stations.clone(), &mut Silent)
        .expect("import");
    // The same stations in another order: were the rows numbered afresh, each key would now
    // hold another station.
    let mut reversed = rows(&catalog);
    reversed.reverse();
    let shared = Arc::new(SharedCatalog::new(catalog, 2).expect("share"));
    let query = near(stations[0].location);
    let before = shared.hits(&query).expect("near");
    assert_eq!(before.len(), 10);
    let (during, _) = asked_during(
        &shared,
        |c| (c.replace_all(&reversed, &[], &[], &mut Silent)).expect("snapshot"),
        &query,
        &before[0].station.id,
    );
    let whole = |hits: &[Hit]| -> Vec<Station> { hits.iter().map(|h| h.station.clone()).collect() };
    assert_eq!(whole(&during), whole(&before));
    assert_eq!(whole(&shared.hits(&query).expect("near")), whole(&before));
}

#[test]
fn a_key_a_new_station_takes_over_is_not_answered_from_the_old_stations_entry() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (device, server) = (dir.path().join("d.sqlite"), dir.path().join("s.sqlite"));
    let stations = stations(200);
    let mut catalog = Catalog::open(&device).expect("open");
    catalog
        .import(stations.clone(), &mut Silent)
        .expect("import");
    drop(catalog);
    std::fs::copy(&device, &server).expect("copy");
    let shared =
        Arc::new(SharedCatalog::new(Catalog::open(&device).expect("open"), 2).expect("share"));
    // On the server the station with the highest key (the last imported, open around the clock)
    // goes and a new one, closed at night and far away, comes: on the device it takes that key.
    let gone = &stations[199];
    let mut new = waystation_synthetic::generate(201, 1).remove(200);
    new.opening_hours = Some("Mo-Su 08:00-20:00".into());
    let mut server = Catalog::open(&server).expect("server");
    let since = server.head_seq().expect("head");
    server.delete_station(&gone.id, "admin").expect("delete");
    server.import(vec![new.clone()], &mut Silent).expect("add");
    let page = server
        .changes_since(since, 10)
        .expect("feed")
        .expect("not gone");
    assert_eq!(page.changes.len(), 2);
    assert_eq!(open_now(&shared, &gone.id), Some(true));
    let key_of = |id: &str| -> Option<i64> {
        let conn = rusqlite::Connection::open(&device).expect("sqlite");
        let key = conn.query_row("SELECT pk FROM stations WHERE id = ?1", [id], |r| r.get(0));
        key.ok()
    };
    let key = key_of(&gone.id);

    let query = near(gone.location);
    let before = shared.hits(&query).expect("near");
    assert_eq!(before[0].station.id, gone.id);
    let (during, detail) = asked_during(
        &shared,
        |c| c.apply_changes(&page, &[]).expect("apply"),
        &query,
        &new.id,
    );
    // Every hit is a station the published index meant, whole; the new station's row, at the
    // key the old index gives the station gone, is not among them.
    for hit in &during {
        let meant = before.iter().find(|b| b.station.id == hit.station.id);
        assert_eq!(
            meant.map(|b| &b.station),
            Some(&hit.station),
            "{}",
            hit.station.id
        );
    }
    assert_eq!(
        key_of(&new.id),
        key,
        "the new station took the key of the station gone"
    );
    // The new station's page is its own, its open state not the station gone's.
    assert_eq!(detail.hit.station.id, new.id);
    assert_eq!(detail.hit.station.location, new.location);
    assert_eq!(detail.hit.open_now, None);
    // Once published: the station gone is gone, the new one is known, closed at night.
    assert!(!(shared.hits(&query).expect("near").iter()).any(|h| h.station.id == gone.id));
    assert_eq!(open_now(&shared, &new.id), Some(false));
}

#[test]
fn a_snapshot_over_the_rows_leaves_each_as_the_snapshot_says() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("c.sqlite");
    let mut catalog = Catalog::open(&path).expect("open");
    catalog.import(stations(50), &mut Silent).expect("import");
    let mut snapshot = rows(&catalog);
    // Every field the row keeps changed on one station, another renamed, one gone, one new.
    let gone = snapshot.remove(10).id;
    let changed = &mut snapshot[0];
    changed.notice = Some("暂停供应热水".into());
    changed.free_truck_spaces = Some(7);
    changed.truck_spaces = Some(40);
    changed.source = waystation_catalog::Source::Operator;
    changed.phone = None;
    changed.kind = match changed.kind {
        Kind::DriverHome => Kind::WarmBee,
        _ => Kind::DriverHome,
    };
    changed.adcode = "440305".into();
    changed.location = LatLon::new(22.54, 113.95).expect("a place");
    changed.services = [Service::Shower, Service::Toilet].into_iter().collect();
    changed.opening_hours = Some("Mo-Su 10:00-16:00".into());
    changed.status = Status::TemporarilyClosed;
    changed.updated_at = "2026-11-30T08:00:00Z".into();
    changed.version += 1;
    snapshot[1].name = "改名后的驿站".into();
    snapshot[1].address = "新地址大道1号".into();
    snapshot.push(waystation_synthetic::generate(51, 1).remove(50));
    let renamed = snapshot[1].id.clone();
    catalog
        .replace_all(&snapshot, &[], &[], &mut Silent)
        .expect("snapshot");

    snapshot.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(rows(&catalog), snapshot);
    assert!(catalog.station(&gone).is_err(), "{gone} is gone");
    let f = Filter::any_at(three_at_night());
    let found = |text: &str| -> Vec<String> {
        let hits = catalog.search(text, None, 10, &f).expect("search");
        hits.into_iter().map(|h| h.station.id).collect()
    };
    for text in ["改名后的驿站", "新地址大道"] {
        assert_eq!(found(text), [renamed.as_str()], "{text}");
    }
    drop(catalog);
    // The text index holds exactly what the rows say (FTS5's own check against its content).
    let conn = rusqlite::Connection::open(&path).expect("open");
    conn.execute(
        "INSERT INTO station_text(station_text, rank) VALUES ('integrity-check', 1)",
        [],
    )
    .expect("the text index agrees with the rows");
}

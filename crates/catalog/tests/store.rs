//! The catalog file and its imports: clear errors for files that are not catalogs, all-or-nothing
//! imports that name the line and field, round trips through CSV and GeoJSON, upsert versions,
//! search, hours, and the built-in seed.

use std::io::Cursor;
use std::path::Path;

use chrono::NaiveDate;
use waystation_catalog::error::{CatalogError, Location};
use waystation_catalog::exchange::{CsvWriter, GeoJsonWriter, read_csv, read_geojson};
use waystation_catalog::index::Origin;
use waystation_catalog::progress::Silent;
use waystation_catalog::query::Filter;
use waystation_catalog::store;
use waystation_catalog::store::accounts::Actor;
use waystation_catalog::{Catalog, Crs, Kind, LatLon, Service, Source, Station, Status};

const HEADER: &str = "id,kind,name,address,adcode,lat,lon,services,opening_hours,phone,truck_spaces,status,notice,source\n";

fn csv(rows: &[&str]) -> String {
    let mut s = HEADER.to_string();
    for r in rows {
        s.push_str(r);
        s.push('\n');
    }
    s
}

const GOOD: [&str; 3] = [
    "a1,driver_home,湘潭县服务区司机之家,湖南省湘潭市湘潭县,430321,27.78,112.95,parking;truck_parking;shower,24/7,0731-01234567,120,open,,official",
    "a2,warm_bee,南山区科技路暖蜂驿站,广东省深圳市南山区科技路1号,440305,22.54,113.95,rest;phone_charging,Mo-Fr 08:00-20:00,,,open,冬季热水至21:00,operator",
    "a3,worker_station,\"福田区 \"\"小哥\"\" 加油站\",广东省深圳市福田区,440304,22.52,114.05,toilet;drinking_water,,,,temporarily_closed,,synthetic",
];

fn read(text: &str) -> Result<Vec<Station>, waystation_catalog::RecordError> {
    read_csv(
        Cursor::new(text.as_bytes()),
        text.len() as u64,
        Crs::Wgs84,
        &mut Silent,
    )
}

fn temp_catalog() -> (tempfile::TempDir, Catalog) {
    let dir = tempfile::tempdir().expect("temp dir");
    let catalog = Catalog::open(&dir.path().join("catalog.sqlite")).expect("open");
    (dir, catalog)
}

fn friday_noon() -> chrono::NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 11, 27)
        .and_then(|d| d.and_hms_opt(12, 0, 0))
        .expect("valid")
}

fn dump(catalog: &Catalog) -> Vec<Station> {
    let mut all = Vec::new();
    catalog
        .for_each_station(|s| {
            all.push(s.clone());
            Ok(())
        })
        .expect("read all");
    all
}

#[test]
fn imports_valid_csv_with_quotes_and_chinese() {
    let (_dir, mut catalog) = temp_catalog();
    let stations = read(&csv(&GOOD)).expect("valid");
    let report = catalog.import(stations, &mut Silent).expect("import");
    assert_eq!(
        (report.inserted, report.updated, report.unchanged),
        (3, 0, 0)
    );
    let a3 = catalog.station("a3").expect("a3");
    assert_eq!(a3.name, "福田区 \"小哥\" 加油站");
    assert_eq!(a3.status, Status::TemporarilyClosed);
    assert_eq!(a3.opening_hours, None);
    let a1 = catalog.station("a1").expect("a1");
    assert_eq!(a1.truck_spaces, Some(120));
    assert!(a1.services.contains(Service::Shower) && !a1.services.contains(Service::Laundry));
    assert_eq!(catalog.len(), 3);
}

#[test]
fn a_bad_row_aborts_the_whole_import_and_names_line_and_field() {
    let (_dir, mut catalog) = temp_catalog();
    catalog
        .import(read(&csv(&GOOD[..1])).expect("valid"), &mut Silent)
        .expect("import");
    let before = dump(&catalog);

    let cases: [(&str, u64, &str, &str); 10] = [
        (
            "b1,driver_home,x,,430321,91,112.9,,,,,open,,official",
            3,
            "lat",
            "latitude 91",
        ),
        (
            "b1,driver_home,x,,430321,27,112.9,showr,,,,open,,official",
            3,
            "services",
            "unknown service `showr`",
        ),
        (
            "b1,spaceship,x,,430321,27,112.9,,,,,open,,official",
            3,
            "kind",
            "accepted: driver_home",
        ),
        (
            "b1,driver_home,x,,43032,27,112.9,,,,,open,,official",
            3,
            "adcode",
            "6-digit",
        ),
        (
            "b1,driver_home,x,,430321,27,112.9,,sometimes,,,open,,official",
            3,
            "opening_hours",
            "invalid opening_hours",
        ),
        (
            "b1,driver_home,x,,430321,27,112.9,,,,-5,open,,official",
            3,
            "truck_spaces",
            "whole number",
        ),
        (
            "b1,driver_home,,,430321,27,112.9,,,,,open,,official",
            3,
            "name",
            "required",
        ),
        (
            "a2,driver_home,x,,430321,27,112.9,,,,,open,,official",
            3,
            "id",
            "appears twice",
        ),
        (
            "a/b,driver_home,x,,430321,27,112.9,,,,,open,,official",
            3,
            "id",
            "not a valid id",
        ),
        // Ids go into URLs, where `..` would name another path.
        (
            "..,driver_home,x,,430321,27,112.9,,,,,open,,official",
            3,
            "id",
            "not a valid id",
        ),
    ];
    for (bad, line, field, problem) in cases {
        // A good row first, so the bad one is on line 3 and something would have been written.
        let text = csv(&["a2,warm_bee,y,,440305,22.5,113.9,,,,,open,,operator", bad]);
        let e = read(&text).expect_err(bad);
        assert_eq!(e.location, Location::Line(line), "{bad}: {e}");
        assert_eq!(e.field, field, "{bad}: {e}");
        assert!(
            e.problem.contains(problem) || e.to_string().contains(problem),
            "{bad}: {e}"
        );
    }
    // A row with too few fields is a CSV-level error that still names its line.
    let e = read(&csv(&["a2,warm_bee,y"])).expect_err("short row");
    assert_eq!(e.location, Location::Line(2));
    assert!(e.problem.contains("3 fields"), "{e}");
    // An unknown column is refused at the header.
    let e = read("id,kind,colour\n").expect_err("unknown column");
    assert_eq!(
        (e.location, e.field.as_str()),
        (Location::Line(1), "colour")
    );

    assert_eq!(dump(&catalog), before, "nothing was written");
}

#[test]
fn reimport_bumps_version_only_on_change() {
    let (_dir, mut catalog) = temp_catalog();
    catalog
        .import(read(&csv(&GOOD)).expect("valid"), &mut Silent)
        .expect("import");
    let again = catalog
        .import(read(&csv(&GOOD)).expect("valid"), &mut Silent)
        .expect("import");
    assert_eq!((again.inserted, again.updated, again.unchanged), (0, 0, 3));
    assert_eq!(catalog.station("a1").expect("a1").version, 1);

    let moved = GOOD[0].replace("27.78,112.95", "27.80,112.97");
    let report = catalog
        .import(read(&csv(&[&moved])).expect("valid"), &mut Silent)
        .expect("import");
    assert_eq!(report.updated, 1);
    let a1 = catalog.station("a1").expect("a1");
    assert_eq!((a1.version, a1.location.lat), (2, 27.80));
    // The index moved with it: a query at the new place finds it first, at distance 0.
    let hit = &catalog
        .nearest(
            LatLon::new(27.80, 112.97).expect("valid"),
            1,
            &Filter::any_at(friday_noon()),
        )
        .expect("nearest")[0];
    assert_eq!(hit.station.id, "a1");
    assert!(hit.distance_m.expect("distance") < 1e-6);
}

#[test]
fn gcj02_input_is_stored_as_wgs84() {
    let text = csv(&["g1,warm_bee,y,,440305,22.540809912,114.063053072,,,,,open,,operator"]);
    let stations =
        read_csv(Cursor::new(text.as_bytes()), 0, Crs::Gcj02, &mut Silent).expect("valid");
    let wgs = LatLon::new(22.543527, 114.057939).expect("valid");
    assert!(
        stations[0].location.distance_m(wgs) < 0.5,
        "{:?}",
        stations[0].location
    );
}

#[test]
fn csv_and_geojson_round_trip() {
    let (_dir, mut catalog) = temp_catalog();
    catalog
        .import(read(&csv(&GOOD)).expect("valid"), &mut Silent)
        .expect("import");
    let original = dump(&catalog);

    let mut csv_out = Vec::new();
    let mut geojson_out = Vec::new();
    {
        let mut c = CsvWriter::new(&mut csv_out).expect("csv");
        let mut g = GeoJsonWriter::new(&mut geojson_out).expect("geojson");
        for s in &original {
            c.write(s).expect("write");
            g.write(s).expect("write");
        }
        c.finish().expect("finish");
        g.finish().expect("finish");
    }
    let strip = |v: Vec<Station>| -> Vec<Station> {
        v.into_iter()
            .map(|mut s| {
                s.version = 1;
                s.updated_at.clear();
                s
            })
            .collect()
    };
    let from_csv = read_csv(Cursor::new(&csv_out), 0, Crs::Wgs84, &mut Silent).expect("csv back");
    let from_geojson =
        read_geojson(Cursor::new(&geojson_out), Crs::Wgs84, &mut Silent).expect("geojson back");
    assert_eq!(strip(from_csv), strip(original.clone()));
    assert_eq!(strip(from_geojson), strip(original));
}

#[test]
fn geojson_errors_name_the_feature() {
    let doc = r#"{"type":"FeatureCollection","features":[
        {"type":"Feature","geometry":{"type":"Point","coordinates":[113.9,22.5]},
         "properties":{"id":"f0","kind":"warm_bee","name":"x","adcode":"440305","source":"operator","services":["rest"]}},
        {"type":"Feature","geometry":{"type":"Point","coordinates":[113.9,22.5]},
         "properties":{"id":"f1","kind":"warm_bee","name":"x","adcode":"440305","source":"operator","colour":"red"}}]}"#;
    let e = read_geojson(Cursor::new(doc), Crs::Wgs84, &mut Silent).expect_err("unknown property");
    assert_eq!(
        (e.location, e.field.as_str()),
        (Location::Feature(1), "colour")
    );
    let e =
        read_geojson(Cursor::new("{\"type\":"), Crs::Wgs84, &mut Silent).expect_err("truncated");
    assert_eq!(e.location, Location::File);
    assert!(e.problem.contains("not valid JSON"), "{e}");
}

fn write_file(path: &Path, bytes: &[u8]) {
    std::fs::write(path, bytes).expect("write");
}

#[test]
fn files_that_are_not_catalogs_give_clear_errors() {
    let dir = tempfile::tempdir().expect("temp dir");

    let text = dir.path().join("notes.sqlite");
    write_file(&text, &[b'x'; 4096]);
    let e = Catalog::open(&text).err().expect("not a database");
    assert!(matches!(e, CatalogError::NotADatabase { .. }), "{e}");
    assert!(e.to_string().contains("notes.sqlite"), "{e}");

    let other = dir.path().join("other.sqlite");
    rusqlite::Connection::open(&other)
        .and_then(|c| c.execute_batch("CREATE TABLE t(x)"))
        .expect("other db");
    let e = Catalog::open(&other).err().expect("not a catalog");
    assert!(matches!(e, CatalogError::NotACatalog { .. }), "{e}");

    let newer = dir.path().join("newer.sqlite");
    drop(Catalog::open(&newer).expect("create"));
    rusqlite::Connection::open(&newer)
        .and_then(|c| c.pragma_update(None, "user_version", 99))
        .expect("bump");
    let e = Catalog::open(&newer).err().expect("too new");
    assert!(matches!(e, CatalogError::TooNew { found: 99, .. }), "{e}");

    let locked = dir.path().join("locked.sqlite");
    drop(Catalog::open(&locked).expect("create"));
    let holder = rusqlite::Connection::open(&locked).expect("holder");
    holder
        .execute_batch("PRAGMA locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE;")
        .expect("lock");
    let e = Catalog::open(&locked).err().expect("locked");
    assert!(matches!(e, CatalogError::Locked { .. }), "{e}");
}

#[test]
fn the_text_index_follows_names_and_addresses() {
    let (dir, mut catalog) = temp_catalog();
    // A station, then a change to anything but its text, then a new address, then a new name.
    let a2 = GOOD[1].to_string();
    let closed = a2.replace(",open,", ",temporarily_closed,");
    let moved = closed.replace("南山区科技路1号", "南山区光明路2号");
    let renamed = moved.replace("南山区科技路暖蜂驿站", "南山区暖蜂小站");
    let f = Filter::any_at(friday_noon());
    for (row, text, ids) in [
        (&a2, "科技路", vec!["a2"]),
        (&closed, "科技路", vec!["a2"]),
        (&moved, "光明路", vec!["a2"]),
        (&moved, "科技路", vec!["a2"]),
        (&renamed, "科技路", vec![]),
        (&renamed, "暖蜂小站", vec!["a2"]),
    ] {
        (catalog.import(read(&csv(&[row])).expect("valid"), &mut Silent)).expect("import");
        let hits = catalog.search(text, None, 10, &f).expect("search");
        let found: Vec<String> = hits.into_iter().map(|h| h.station.id).collect();
        assert_eq!(found, ids, "{text} after {row}");
    }
    // The text index holds exactly what the rows say (FTS5's own check against its content).
    let conn = rusqlite::Connection::open(dir.path().join("catalog.sqlite")).expect("open");
    conn.execute(
        "INSERT INTO station_text(station_text, rank) VALUES ('integrity-check', 1)",
        [],
    )
    .expect("the text index agrees with the rows");
}

#[test]
fn a_file_from_before_migration_10_keeps_its_text_index_in_step() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("old.sqlite");
    let mut catalog = Catalog::open(&path).expect("open");
    (catalog.import(read(&csv(&GOOD)).expect("valid"), &mut Silent)).expect("import");
    drop(catalog);
    // The text trigger as schema 9 (the one before migration 10) had it: every update of a name
    // or an address rewrote it.
    as_schema_11(&path);
    let conn = rusqlite::Connection::open(&path).expect("sqlite");
    conn.execute_batch(
        "DROP TRIGGER stations_text_update;
         CREATE TRIGGER stations_text_update AFTER UPDATE OF name, address ON stations BEGIN
             INSERT INTO station_text(station_text, rowid, name, address)
                 VALUES ('delete', old.pk, old.name, old.address);
             INSERT INTO station_text(rowid, name, address) VALUES (new.pk, new.name, new.address);
         END;
         PRAGMA user_version = 9;",
    )
    .expect("the old trigger");
    drop(conn);

    let mut catalog = Catalog::open(&path).expect("upgraded");
    let moved = GOOD[1].replace("南山区科技路1号", "南山区光明路2号");
    (catalog.import(read(&csv(&[&moved])).expect("valid"), &mut Silent)).expect("move");
    let f = Filter::any_at(friday_noon());
    let hits = catalog.search("光明路", None, 10, &f).expect("search");
    assert_eq!(
        hits.iter()
            .map(|h| h.station.id.as_str())
            .collect::<Vec<_>>(),
        ["a2"]
    );
    drop(catalog);
    let conn = rusqlite::Connection::open(&path).expect("sqlite");
    let trigger: String = conn
        .query_row(
            "SELECT sql FROM sqlite_schema WHERE name = 'stations_text_update'",
            [],
            |r| r.get(0),
        )
        .expect("the trigger");
    assert!(
        trigger.contains("WHEN old.name IS NOT new.name"),
        "{trigger}"
    );
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .expect("version");
    assert_eq!(version, waystation_catalog::store::SCHEMA_VERSION);
    conn.execute(
        "INSERT INTO station_text(station_text, rank) VALUES ('integrity-check', 1)",
        [],
    )
    .expect("the text index agrees with the rows");
}

/// Writes `path`'s stations back in schema 12's form: each row with its whole address and its
/// opening hours, as `station_rows` reads them, no `texts`, and the text index and its triggers
/// over the rows themselves, as migrations 10 and 12 made them.
fn as_schema_12(path: &Path) {
    let conn = rusqlite::Connection::open(path).expect("sqlite");
    conn.pragma_update(None, "foreign_keys", "OFF")
        .expect("pragma");
    conn.execute_batch(
        "DROP TABLE station_text;
         CREATE TABLE stations_v12 (
             pk INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, kind NOT NULL, name TEXT NOT NULL,
             address TEXT NOT NULL, adcode TEXT NOT NULL,
             lat REAL NOT NULL CHECK (lat BETWEEN -90 AND 90),
             lon REAL NOT NULL CHECK (lon BETWEEN -180 AND 180),
             services INTEGER NOT NULL, opening_hours TEXT, phone TEXT,
             truck_spaces INTEGER CHECK (truck_spaces >= 0), status NOT NULL, notice TEXT,
             source NOT NULL, version INTEGER NOT NULL, updated_at NOT NULL,
             free_truck_spaces INTEGER CHECK (free_truck_spaces >= 0));
         INSERT INTO stations_v12 SELECT pk, id, kind, name, address, adcode, lat, lon, services,
             opening_hours, phone, truck_spaces, status, notice, source, version, updated_at,
             free_truck_spaces
         FROM station_rows;
         DROP VIEW station_rows;
         DROP TABLE stations;
         DROP TABLE texts;
         ALTER TABLE stations_v12 RENAME TO stations;
         CREATE VIRTUAL TABLE station_text USING fts5(
             name, address, content='stations', content_rowid='pk', tokenize='trigram',
             detail='none', columnsize=0);
         INSERT INTO station_text(station_text) VALUES ('rebuild');
         CREATE TRIGGER stations_text_insert AFTER INSERT ON stations BEGIN
             INSERT INTO station_text(rowid, name, address) VALUES (new.pk, new.name, new.address);
         END;
         CREATE TRIGGER stations_text_delete AFTER DELETE ON stations BEGIN
             INSERT INTO station_text(station_text, rowid, name, address)
                 VALUES ('delete', old.pk, old.name, old.address);
         END;
         CREATE TRIGGER stations_text_update AFTER UPDATE OF name, address ON stations
         WHEN old.name IS NOT new.name OR old.address IS NOT new.address BEGIN
             INSERT INTO station_text(station_text, rowid, name, address)
                 VALUES ('delete', old.pk, old.name, old.address);
             INSERT INTO station_text(rowid, name, address) VALUES (new.pk, new.name, new.address);
         END;
         CREATE TRIGGER stations_generation_insert AFTER INSERT ON stations BEGIN
             UPDATE index_generation SET n = n + 1;
         END;
         CREATE TRIGGER stations_generation_update AFTER UPDATE ON stations BEGIN
             UPDATE index_generation SET n = n + 1;
         END;
         CREATE TRIGGER stations_generation_delete AFTER DELETE ON stations BEGIN
             UPDATE index_generation SET n = n + 1;
         END;
         PRAGMA user_version = 12;",
    )
    .expect("schema 12's rows");
}

/// Writes `path`'s stations back in schema 11's form: kind, status and source as their ids,
/// every timestamp as text. The ids come from the vocabulary itself, not from migration 12's
/// own table of them, so a code the migration gives the wrong entry reads back changed.
fn as_schema_11(path: &Path) {
    let case = |column: &str, ids: Vec<&str>| {
        let whens: String = ids
            .iter()
            .enumerate()
            .map(|(code, id)| format!(" WHEN {code} THEN '{id}'"))
            .collect();
        format!("CASE {column}{whens} END")
    };
    as_schema_12(path);
    let kind = case("kind", Kind::ALL.iter().map(|k| k.id()).collect());
    let status = case("status", Status::ALL.iter().map(|k| k.id()).collect());
    let source = case("source", Source::ALL.iter().map(|k| k.id()).collect());
    let conn = rusqlite::Connection::open(path).expect("sqlite");
    // Dropping the table must not delete the rows that refer to it.
    conn.pragma_update(None, "foreign_keys", "OFF")
        .expect("pragma");
    let triggers: Vec<String> = conn
        .prepare("SELECT sql FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = 'stations'")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .expect("triggers");
    conn.execute_batch(&format!(
        "CREATE TABLE stations_v11 (
             pk INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,
             name TEXT NOT NULL, address TEXT NOT NULL, adcode TEXT NOT NULL,
             lat REAL NOT NULL, lon REAL NOT NULL, services INTEGER NOT NULL,
             opening_hours TEXT, phone TEXT, truck_spaces INTEGER, status TEXT NOT NULL,
             notice TEXT, source TEXT NOT NULL, version INTEGER NOT NULL,
             updated_at TEXT NOT NULL, free_truck_spaces INTEGER);
         INSERT INTO stations_v11 SELECT pk, id, {kind}, name, address, adcode, lat, lon,
             services, opening_hours, phone, truck_spaces, {status}, notice, {source}, version,
             CASE typeof(updated_at) WHEN 'integer'
                 THEN strftime('%Y-%m-%dT%H:%M:%SZ', updated_at, 'unixepoch')
                 ELSE updated_at END,
             free_truck_spaces
         FROM stations;
         DROP TABLE stations;
         ALTER TABLE stations_v11 RENAME TO stations;
         {};
         PRAGMA user_version = 11;",
        triggers.join(";\n")
    ))
    .expect("schema 11's rows");
}

#[test]
fn a_file_from_before_migration_12_keeps_every_row_as_it_was() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("old.sqlite");
    let mut catalog = Catalog::open(&path).expect("open");
    // Every kind, status and source, each varying on its own, and timestamps in and out of the
    // catalog's own form.
    let mut stations = waystation_synthetic::generate(600, 12);
    for (i, s) in stations.iter_mut().enumerate() {
        s.kind = Kind::ALL[i % Kind::ALL.len()];
        s.status = Status::ALL[i / 5 % Status::ALL.len()];
        s.source = Source::ALL[i / 7 % Source::ALL.len()];
        s.updated_at = format!("2026-11-{:02}T{:02}:{:02}:07Z", 1 + i % 30, i % 24, i % 60);
    }
    let odd = [
        // Stored as seconds.
        "1969-12-31T23:59:59Z",
        "9999-12-31T23:59:59Z",
        // Kept as text: not the catalog's form, or not a time that reads back the same.
        "2026-11-30T16:49:20.5Z",
        "2026-11-30 16:49:20",
        "2026-02-30T00:00:00Z",
        "2026-11-30T16:49:60Z",
        "9999-12-31T23:59:59Z ",
    ];
    for (s, text) in stations.iter_mut().zip(odd) {
        s.updated_at = text.into();
    }
    (catalog.replace_all(&stations, &[], &[], &mut Silent)).expect("stations as given");
    drop(catalog);
    let schema = |path: &Path| -> Vec<String> {
        let conn = rusqlite::Connection::open(path).expect("sqlite");
        let mut stmt = conn
            .prepare("SELECT sql FROM sqlite_schema WHERE tbl_name = 'stations' ORDER BY name")
            .expect("schema");
        stmt.query_map([], |r| r.get::<_, Option<String>>(0))
            .and_then(|rows| rows.map(|r| r.map(Option::unwrap_or_default)).collect())
            .expect("schema")
    };
    let made = schema(&path);
    as_schema_11(&path);
    // A copy as it is, nothing changed since its index was packed: that index holds across the
    // migration.
    let untouched = dir.path().join("untouched.sqlite");
    std::fs::copy(&path, &untouched).expect("copy");
    let catalog = Catalog::open(&untouched).expect("upgraded");
    assert_eq!(catalog.index().origin(), Origin::Packed);
    drop(catalog);
    // An operator's assignment refers to a station row: the new table must keep it. Two ids
    // with spaces around them, as the old reader took them: one SQLite trims, one it does not.
    assert_eq!(
        stations[14].source,
        Source::Synthetic,
        "a source to keep as text"
    );
    let conn = rusqlite::Connection::open(&path).expect("sqlite");
    conn.execute_batch(&format!(
        "INSERT INTO users VALUES ('op', 'operator', 'x', '2026-01-01T00:00:00Z');
         INSERT INTO assignments VALUES ('op', '{}');
         UPDATE stations SET status = ' ' || status || char(9) WHERE id = '{}';
         UPDATE stations SET kind = kind || char(12288) WHERE id = '{}';
         UPDATE stations SET source = source || char(12288) WHERE id = '{}';",
        stations[5].id, stations[6].id, stations[8].id, stations[14].id
    ))
    .expect("an assignment, odd spaces");
    drop(conn);
    let assigned = stations[5].id.clone();

    let catalog = Catalog::open(&path).expect("upgraded");
    let mut after = Vec::new();
    (catalog.for_each_station(|s| {
        after.push(s.clone());
        Ok(())
    }))
    .expect("rows");
    stations.sort_by(|a, b| a.id.cmp(&b.id));
    after.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(after, stations, "every field reads back as it was");
    let f = Filter::any_at(friday_noon());
    let name = &stations[7].name;
    let hits = catalog.search(name, None, 50, &f).expect("search");
    assert!(hits.iter().any(|h| &h.station.name == name), "{name}");
    let info = catalog.info().expect("info");
    assert_eq!(
        info.last_updated.as_deref(),
        Some("9999-12-31T23:59:59Z "),
        "the newest of the timestamps kept as seconds and as text"
    );
    // Rows kept as text are counted with those coded (a kind and a synthetic source).
    assert_eq!(info.stations, 600);
    for k in &info.per_kind {
        let of_kind = stations.iter().filter(|s| s.kind == k.kind).count();
        assert_eq!(k.count, of_kind, "{:?}", k.kind);
    }
    let synthetic = stations.iter().filter(|s| s.source == Source::Synthetic);
    assert_eq!(info.synthetic, synthetic.count());
    // Foreign keys hold again once migrated: a user removed takes their assignment along.
    let by = Actor {
        name: "admin",
        now: "2026-12-01T00:00:00Z".into(),
    };
    assert_eq!(
        catalog
            .accounts()
            .assigned_stations("op")
            .expect("assigned"),
        [assigned]
    );
    assert!(catalog.accounts().remove("op", &by).expect("remove"));
    let conn = rusqlite::Connection::open(&path).expect("sqlite");
    let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).expect(sql) };
    assert_eq!(count("SELECT count(*) FROM assignments"), 0);
    drop(catalog);
    assert_eq!(
        count("SELECT count(*) FROM stations WHERE typeof(kind) = 'integer'"),
        599,
        "a kind with a space SQLite does not trim stays text, and reads as before"
    );
    assert_eq!(
        count(
            "SELECT count(*) FROM stations WHERE typeof(status) = 'integer' AND typeof(source) = 'integer'"
        ),
        599
    );
    assert_eq!(
        count("SELECT count(*) FROM stations WHERE typeof(updated_at) = 'text'"),
        5,
        "only the timestamps not in the catalog's form stay text"
    );
    assert_eq!(
        count("PRAGMA user_version"),
        waystation_catalog::store::SCHEMA_VERSION
    );
    assert_eq!(
        schema(&path),
        made,
        "the table and its triggers as a new catalog has them"
    );
    conn.execute(
        "INSERT INTO station_text(station_text, rank) VALUES ('integrity-check', 1)",
        [],
    )
    .expect("the text index agrees with the rows");
}

#[test]
fn a_file_from_before_migration_13_reads_every_address_and_hours_as_it_was() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("old.sqlite");
    let mut stations = waystation_synthetic::generate(600, 13);
    let region = |s: &Station| {
        waystation_catalog::geography::full_name_of(&s.adcode)
            .expect("a synthetic station's county is known")
            .to_string()
    };
    // Addresses that do not begin with their county's full name, one that is that name alone,
    // one that has it twice, one in a county code the geography lacks; no hours.
    stations[0].address = stations[0].address.replacen(&region(&stations[0]), "", 1);
    stations[1].address = region(&stations[1]);
    stations[2].address = format!("{0}{0}", region(&stations[2]));
    stations[3].adcode = "999999".into();
    stations[4].opening_hours = None;
    stations[5].address = format!("{}路", region(&stations[6]));
    // A NUL after the region: SQLite's text functions stop there, the cut must not.
    stations[7].address = format!("{}科技路\0后半段", region(&stations[7]));
    let mut catalog = Catalog::open(&path).expect("open");
    (catalog.replace_all(&stations, &[], &[], &mut Silent)).expect("stations as given");
    drop(catalog);
    as_schema_12(&path);

    let catalog = Catalog::open(&path).expect("upgraded");
    stations.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(
        dump(&catalog),
        stations,
        "every address and hours as they were"
    );
    // A word across the region and the rest, and the region alone, find what they did.
    let f = Filter::any_at(friday_noon());
    let one = &stations[10];
    let across: String = one
        .address
        .chars()
        .skip(region(one).chars().count() - 2)
        .take(5)
        .collect();
    let hits = catalog.search(&across, None, 600, &f).expect("search");
    assert!(hits.iter().any(|h| h.station.id == one.id), "{across}");
    let in_region = stations
        .iter()
        .filter(|s| s.address.contains(&region(one)))
        .count();
    let hits = catalog.search(&region(one), None, 600, &f).expect("search");
    assert_eq!(hits.len(), in_region, "{}", region(one));
    drop(catalog);
    let conn = rusqlite::Connection::open(&path).expect("sqlite");
    let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).expect(sql) };
    assert_eq!(
        count("SELECT count(*) FROM stations WHERE region IS NULL"),
        3,
        "the address not beginning with its region, the one beginning with another's, the \
         unknown county"
    );
    let without_hours = stations.iter().filter(|s| s.opening_hours.is_none());
    assert_eq!(
        count("SELECT count(*) FROM stations WHERE hours IS NULL"),
        without_hours.count() as i64
    );
    conn.execute(
        "INSERT INTO station_text(station_text, rank) VALUES ('integrity-check', 1)",
        [],
    )
    .expect("the text index agrees with the whole addresses");
    // A code names its text for good: the rows and the text index rely on it.
    let changed = conn.execute("UPDATE texts SET text = text || '路' WHERE code = 1", []);
    assert!(changed.is_err(), "{changed:?}");
}

#[test]
fn a_station_stored_with_its_region_cut_otherwise_is_no_change() {
    // As a later geography might cut an address: the same station, kept whole in its row.
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("catalog.sqlite");
    let stations = waystation_synthetic::generate(50, 14);
    let mut catalog = Catalog::open(&path).expect("open");
    (catalog.import(stations.clone(), &mut Silent)).expect("import");
    drop(catalog);
    let conn = rusqlite::Connection::open(&path).expect("sqlite");
    let whole = conn
        .execute(
            "UPDATE stations SET street_address = (SELECT address FROM station_rows r
                 WHERE r.pk = stations.pk), region = NULL",
            [],
        )
        .expect("kept whole");
    assert_eq!(whole, 50);
    drop(conn);
    let mut catalog = Catalog::open(&path).expect("open");
    let report = (catalog.import(stations.clone(), &mut Silent)).expect("again");
    assert_eq!(
        (report.inserted, report.updated, report.unchanged),
        (0, 0, 50)
    );
    let mut expected = stations;
    expected.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(
        dump(&catalog)
            .iter()
            .map(|s| &s.address)
            .collect::<Vec<_>>(),
        expected.iter().map(|s| &s.address).collect::<Vec<_>>()
    );
}

#[test]
fn a_snapshot_written_over_other_rows_leaves_the_file_as_lean_as_a_fresh_import() {
    let dir = tempfile::tempdir().expect("dir");
    let stations = waystation_synthetic::generate(4_000, 21);
    // A fresh import of the snapshot's stations: the text index as one import writes it.
    let mut fresh = Catalog::open(&dir.path().join("fresh.sqlite")).expect("open");
    (fresh.import(stations.clone(), &mut Silent)).expect("import");
    // A device holding other stations (a sample) that then takes the snapshot.
    let mut device = Catalog::open(&dir.path().join("device.sqlite")).expect("open");
    (device.import(waystation_synthetic::generate(4_000, 22), &mut Silent)).expect("sample");
    (device.replace_all(&stations, &[], &[], &mut Silent)).expect("snapshot");
    let part = |c: &mut Catalog, name: &str| -> u64 {
        let parts = c.file_parts().expect("sizes");
        parts
            .iter()
            .filter(|p| p.part == name)
            .map(|p| p.bytes)
            .sum()
    };
    let (text, fresh_text) = (
        part(&mut device, "station_text"),
        part(&mut fresh, "station_text"),
    );
    assert!(
        text * 10 <= fresh_text * 11,
        "the text index written over the sample: {text} bytes; imported afresh: {fresh_text}"
    );
    let free = part(&mut device, store::sizes::FREE_PAGES);
    let whole: u64 = device
        .file_parts()
        .expect("sizes")
        .iter()
        .map(|p| p.bytes)
        .sum();
    assert!(free * 20 <= whole, "{free} bytes free of {whole}");
}

#[test]
fn a_snapshot_leaves_no_feed_of_the_sample_it_replaced() {
    let (dir, mut catalog) = temp_catalog();
    let stations = read(&csv(&GOOD)).expect("valid");
    (catalog.import(stations.clone(), &mut Silent)).expect("import");
    let head = catalog.head_seq().expect("head");
    assert!(head >= 3, "the import made a feed: {head}");
    (catalog.replace_all(&stations[..2], &[], &[], &mut Silent)).expect("snapshot");

    let conn = rusqlite::Connection::open(dir.path().join("catalog.sqlite")).expect("open");
    let entries: i64 = conn
        .query_row("SELECT count(*) FROM changes", [], |r| r.get(0))
        .expect("count");
    assert_eq!(entries, 0, "the sample's feed entries are forgotten");
    // Whatever followed this file's feed takes a snapshot: its place is behind the horizon.
    assert_eq!(catalog.head_seq().expect("head"), head + 1);
    let gone = catalog.changes_since(head, 10).expect("feed");
    assert!(
        matches!(gone, Err(ref g) if g.horizon == head + 1),
        "{gone:?}"
    );
    let page = catalog.changes_since(head + 1, 10).expect("feed");
    assert!(
        matches!(page, Ok(ref p) if p.changes.is_empty()),
        "{page:?}"
    );
    assert_eq!(catalog.info().expect("info").stations, 2);
}

#[test]
fn a_file_from_before_migration_11_gets_the_light_text_index_and_its_space_back() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("old.sqlite");
    let mut catalog = Catalog::open(&path).expect("open");
    let mut stations = waystation_synthetic::generate(3_000, 4);
    stations[0].name = "光明路测试驿站".into();
    (catalog.import(stations, &mut Silent)).expect("import");
    drop(catalog);
    // The text index and the county index as schema 10 had them.
    as_schema_11(&path);
    let conn = rusqlite::Connection::open(&path).expect("sqlite");
    conn.execute_batch(
        "DROP TABLE station_text;
         CREATE VIRTUAL TABLE station_text USING fts5(
             name, address, content='stations', content_rowid='pk', tokenize='trigram'
         );
         INSERT INTO station_text(station_text) VALUES ('rebuild');
         CREATE INDEX stations_adcode ON stations(adcode);
         PRAGMA user_version = 10;
         VACUUM;",
    )
    .expect("the schema-10 indexes");
    drop(conn);
    let before = std::fs::metadata(&path).expect("size").len();

    let catalog = Catalog::open(&path).expect("upgraded");
    let f = Filter::any_at(friday_noon());
    let hits = catalog.search("光明路测试", None, 10, &f).expect("search");
    assert_eq!(hits.len(), 1, "{hits:?}");
    // While the catalog stays open (as an app's does), the copy VACUUM made does not linger
    // in the write-ahead log.
    let after = std::fs::metadata(&path).expect("size").len();
    let log = std::fs::metadata(dir.path().join("old.sqlite-wal")).map_or(0, |m| m.len());
    assert!(
        log * 10 < after,
        "a {log}-byte log beside a {after}-byte file"
    );
    drop(catalog);
    let conn = rusqlite::Connection::open(&path).expect("sqlite");
    let schema: String = conn
        .query_row(
            "SELECT sql FROM sqlite_schema WHERE name = 'station_text'",
            [],
            |r| r.get(0),
        )
        .expect("the text index");
    assert!(schema.contains("detail='none'"), "{schema}");
    let county_index: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE name = 'stations_adcode'",
            [],
            |r| r.get(0),
        )
        .expect("schema");
    assert_eq!(county_index, 0);
    let free: i64 = conn
        .query_row("PRAGMA freelist_count", [], |r| r.get(0))
        .expect("free pages");
    assert_eq!(free, 0, "the space the old index took is given back");
    assert!(after * 10 < before * 9, "{before} → {after} bytes");
    conn.execute(
        "INSERT INTO station_text(station_text, rank) VALUES ('integrity-check', 1)",
        [],
    )
    .expect("the text index agrees with the rows");
}

#[test]
fn search_finds_chinese_names_short_and_long() {
    let (_dir, mut catalog) = temp_catalog();
    catalog
        .import(read(&csv(&GOOD)).expect("valid"), &mut Silent)
        .expect("import");
    let f = Filter::any_at(friday_noon());
    let ids = |hits: Vec<waystation_catalog::Hit>| {
        hits.into_iter().map(|h| h.station.id).collect::<Vec<_>>()
    };
    // Two characters: below the trigram length, still found.
    assert_eq!(
        ids(catalog.search("南山", None, 10, &f).expect("search")),
        ["a2"]
    );
    // Three or more: full-text search, over the address too.
    assert_eq!(
        ids(catalog.search("科技路", None, 10, &f).expect("search")),
        ["a2"]
    );
    assert_eq!(
        ids(catalog
            .search("湘潭 司机之家", None, 10, &f)
            .expect("search")),
        ["a1"]
    );
    // Near a point: ordered by distance.
    let near = LatLon::new(22.52, 114.05).expect("valid");
    let hits = catalog
        .search("广东省深圳市", Some(near), 10, &f)
        .expect("search");
    assert_eq!(ids(hits.clone()), ["a3", "a2"]);
    assert!(hits[0].distance_m.expect("distance") < 1.0);
    // Quotes and wildcards are text, not syntax.
    assert!(
        catalog
            .search("\"%_", None, 10, &f)
            .expect("search")
            .is_empty()
    );
    assert!(
        catalog
            .search("   ", None, 10, &f)
            .expect("search")
            .is_empty()
    );
}

#[test]
fn open_filter_uses_hours_status_and_treats_unknown_as_not_open() {
    let (_dir, mut catalog) = temp_catalog();
    catalog
        .import(read(&csv(&GOOD)).expect("valid"), &mut Silent)
        .expect("import");
    let at = LatLon::new(22.5, 113.9).expect("valid");
    let mut f = Filter::any_at(friday_noon());
    f.open_only = true;
    let ids: Vec<String> = catalog
        .nearest(at, 10, &f)
        .expect("nearest")
        .into_iter()
        .map(|h| h.station.id)
        .collect();
    // a3 is temporarily closed (and has no hours); a1 is 24/7; a2 is open on Friday noon.
    assert_eq!(ids, ["a2", "a1"]);
    f.time = NaiveDate::from_ymd_opt(2026, 11, 28)
        .and_then(|d| d.and_hms_opt(12, 0, 0))
        .expect("valid");
    let hits = catalog.nearest(at, 10, &f).expect("nearest");
    assert_eq!(
        hits.iter()
            .map(|h| h.station.id.as_str())
            .collect::<Vec<_>>(),
        ["a1"]
    );
    f.open_only = false;
    let all = catalog.nearest(at, 10, &f).expect("nearest");
    let state: Vec<(&str, Option<bool>)> = all
        .iter()
        .map(|h| (h.station.id.as_str(), h.open_now))
        .collect();
    assert!(state.contains(&("a2", Some(false))) && state.contains(&("a3", Some(false))));
}

#[test]
fn hits_say_when_a_station_next_opens_or_closes() {
    let (_dir, mut catalog) = temp_catalog();
    catalog
        .import(read(&csv(&GOOD)).expect("valid"), &mut Silent)
        .expect("import");
    let at = LatLon::new(22.5, 113.9).expect("valid");
    let when = |hits: &[waystation_catalog::Hit], id: &str| {
        hits.iter()
            .find(|h| h.station.id == id)
            .map(|h| (h.open_now, h.changes_at.map(|t| t.to_string())))
    };
    let hits = catalog
        .nearest(at, 10, &Filter::any_at(friday_noon()))
        .expect("nearest");
    // Mo-Fr 08:00-20:00 at Friday noon: open, closes at 20:00 the same day.
    assert_eq!(
        when(&hits, "a2"),
        Some((Some(true), Some("2026-11-27 20:00:00".into())))
    );
    // 24/7 never changes; temporarily closed has no hours that apply.
    assert_eq!(when(&hits, "a1"), Some((Some(true), None)));
    assert_eq!(when(&hits, "a3"), Some((Some(false), None)));
    // Saturday noon: closed until Monday 08:00.
    let saturday = NaiveDate::from_ymd_opt(2026, 11, 28)
        .and_then(|d| d.and_hms_opt(12, 0, 0))
        .expect("valid");
    let hits = catalog
        .nearest(at, 10, &Filter::any_at(saturday))
        .expect("nearest");
    assert_eq!(
        when(&hits, "a2"),
        Some((Some(false), Some("2026-11-30 08:00:00".into())))
    );
    // Answers are remembered per hours until the change comes: going back in time, or past the
    // remembered change, works them out again.
    let friday = |h: u32, m: u32| {
        NaiveDate::from_ymd_opt(2026, 11, 27)
            .and_then(|d| d.and_hms_opt(h, m, 0))
            .expect("valid")
    };
    for (t, want) in [
        (
            friday(19, 59),
            (Some(true), Some("2026-11-27 20:00:00".to_string())),
        ),
        (
            friday(12, 30),
            (Some(true), Some("2026-11-27 20:00:00".to_string())),
        ),
        (
            friday(20, 0),
            (Some(false), Some("2026-11-30 08:00:00".to_string())),
        ),
        (
            friday(7, 0),
            (Some(false), Some("2026-11-27 08:00:00".to_string())),
        ),
    ] {
        let hits = catalog
            .nearest(at, 10, &Filter::any_at(t))
            .expect("nearest");
        assert_eq!(when(&hits, "a2"), Some(want), "at {t}");
        assert_eq!(when(&hits, "a1"), Some((Some(true), None)), "24/7 at {t}");
    }
}

/// The map's view of (south, west, north, east) at `zoom`, in `crs`.
fn map_view(
    catalog: &Catalog,
    (south, west, north, east): (f64, f64, f64, f64),
    zoom: f64,
    crs: &str,
) -> waystation_catalog::MapView {
    let request = waystation_catalog::request::MapViewRequest {
        south: Some(south),
        west: Some(west),
        north: Some(north),
        east: Some(east),
        zoom: Some(zoom),
        crs: Some(crs.into()),
    };
    catalog.map_view(&request.check().expect("valid"))
}

/// Around the three GOOD stations, and around the two in Shenzhen and the one in Changsha.
const SOUTH_CHINA: (f64, f64, f64, f64) = (20.0, 110.0, 30.0, 116.0);
const SHENZHEN: (f64, f64, f64, f64) = (22.5, 113.9, 22.56, 114.1);
const CHANGSHA: (f64, f64, f64, f64) = (27.75, 112.9, 27.8, 113.0);

#[test]
fn map_views_show_every_station_once_in_the_tiles_datum() {
    let (_dir, mut catalog) = temp_catalog();
    catalog
        .import(read(&csv(&GOOD)).expect("valid"), &mut Silent)
        .expect("import");
    // Zoomed past the clusters: each station alone, with its kind and position.
    let (shenzhen, changsha) = (
        map_view(&catalog, SHENZHEN, 14.0, "wgs84"),
        map_view(&catalog, CHANGSHA, 14.0, "wgs84"),
    );
    let mut rows: Vec<(String, &str, f64, f64)> = [shenzhen, changsha]
        .iter()
        .flat_map(|view| {
            let p = &view.stations;
            (0..p.ids.len()).map(move |i| {
                (
                    p.ids[i].clone(),
                    p.kind_ids[p.kinds[i] as usize],
                    p.lat[i],
                    p.lon[i],
                )
            })
        })
        .collect();
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        rows,
        [
            ("a1".to_string(), "driver_home", 27.78, 112.95),
            ("a2".to_string(), "warm_bee", 22.54, 113.95),
            ("a3".to_string(), "worker_station", 22.52, 114.05),
        ]
    );
    // Seen from afar, Shenzhen's two (11 km apart) are one cluster at their mean position,
    // parting at the zoom where 64-pixel cells are finer than their distance; Changsha's alone.
    let far = map_view(&catalog, SOUTH_CHINA, 5.0, "wgs84");
    assert_eq!((far.in_view, far.level), (3, 5));
    assert_eq!(far.stations.ids, ["a1"]);
    assert_eq!(far.clusters.count, [2]);
    assert!(
        (far.clusters.lat[0] - 22.53).abs() < 0.01 && (far.clusters.lon[0] - 114.0).abs() < 0.01
    );
    assert!(
        (7..=9).contains(&far.clusters.expand[0]),
        "{:?}",
        far.clusters
    );
    assert!(far.places.names.contains(&"长沙市") || far.places.names.contains(&"湖南省"));
    // For GCJ-02 tiles everything moves by the offset (a few hundred metres in Shenzhen).
    let gcj = map_view(&catalog, SHENZHEN, 14.0, "gcj02");
    let i = gcj
        .stations
        .ids
        .iter()
        .position(|id| id == "a2")
        .expect("a2");
    let shift = LatLon::new(22.54, 113.95)
        .expect("valid")
        .distance_m(LatLon::new(gcj.stations.lat[i], gcj.stations.lon[i]).expect("valid"));
    assert!((200.0..800.0).contains(&shift), "shift {shift}");
    // A deleted station leaves the map at once: the clusters are made anew; a copy of the index
    // taken before (as a server publishes them) still shows what it held.
    let published = catalog.index().clone();
    catalog.delete_station("a2", "test").expect("delete");
    let after = map_view(&catalog, SOUTH_CHINA, 5.0, "wgs84");
    assert_eq!(after.in_view, 2);
    assert!(after.clusters.count.is_empty());
    let query = waystation_catalog::request::MapViewRequest {
        south: Some(20.0),
        west: Some(110.0),
        north: Some(30.0),
        east: Some(116.0),
        zoom: Some(5.0),
        crs: None,
    };
    let before =
        waystation_catalog::answering::map_view(&published, &query.check().expect("valid"));
    assert_eq!(
        (before.in_view, before.clusters.count.as_slice()),
        (3, &[2][..])
    );
    // A station moved in place (one row changed) is drawn where it went.
    let mut moved = read(&csv(&GOOD)).expect("valid").remove(0);
    assert_eq!(moved.id, "a1");
    moved.location = LatLon::new(22.53, 114.0).expect("valid");
    catalog.import(vec![moved], &mut Silent).expect("move a1");
    let shenzhen = map_view(&catalog, SHENZHEN, 14.0, "wgs84");
    assert!(
        shenzhen.stations.ids.contains(&"a1".to_string()),
        "{:?}",
        shenzhen.stations.ids
    );
    assert_eq!(map_view(&catalog, CHANGSHA, 14.0, "wgs84").in_view, 0);
}

#[test]
fn a_walk_along_a_route_stops_at_its_deadline() {
    let (_dir, mut catalog) = temp_catalog();
    catalog
        .import(read(&csv(&GOOD)).expect("valid"), &mut Silent)
        .expect("import");
    let route = waystation_catalog::Route::new(vec![
        LatLon::new(22.50, 113.90).expect("point"),
        LatLon::new(22.56, 114.10).expect("point"),
    ])
    .expect("route");
    let f = Filter::any_at(friday_noon());
    let now = std::time::Instant::now();
    let later = now + std::time::Duration::from_secs(60);
    let found = waystation_catalog::route::along(catalog.index(), &route, 5000.0, &f, later)
        .expect("in time");
    assert_eq!(found.len(), 2, "a2 and a3 lie beside the route");
    let past = now - std::time::Duration::from_millis(1);
    assert!(
        waystation_catalog::route::along(catalog.index(), &route, 5000.0, &f, past).is_err(),
        "a walk that is already late stops"
    );
}

/// A valid row with its own id, and one whose latitude is out of range.
fn good_row(n: u32) -> String {
    format!("g{n},warm_bee,y,,440305,22.5,113.9,,,,,open,,operator")
}
const BAD_LAT: &str = "b1,driver_home,x,,430321,91,112.9,,,,,open,,official";

/// Lines joined by `end`, the way an editor would save them (a final line end too).
fn file(lines: &[String], end: &str) -> String {
    lines.iter().map(|l| format!("{l}{end}")).collect()
}

/// Hands csv one byte per read, so a `\r\n` is split across reads.
struct OneByte<R>(R);

impl<R: std::io::Read> std::io::Read for OneByte<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(1);
        self.0.read(&mut buf[..n])
    }
}

fn read_one_byte_at_a_time(text: &str) -> Result<Vec<Station>, waystation_catalog::RecordError> {
    read_csv(
        OneByte(Cursor::new(text.as_bytes())),
        text.len() as u64,
        Crs::Wgs84,
        &mut Silent,
    )
}

/// Asserts both readers name `line` and `field` for `text`.
fn assert_bad_at(text: &str, line: u64, field: &str, case: &str) {
    for (how, result) in [
        ("whole", read(text)),
        ("one byte at a time", read_one_byte_at_a_time(text)),
    ] {
        let e = result.expect_err(case);
        assert_eq!(
            (e.location.clone(), e.field.as_str()),
            (Location::Line(line), field),
            "{case}, read {how}: {e}"
        );
    }
}

#[test]
fn a_bad_value_is_named_by_its_line_in_the_file_whatever_the_line_ends_or_a_bom() {
    // Header on line 1, five good rows on lines 2-6, the bad value on line 7. csv's own line
    // count said 6 here for CRLF files (the `\n` is read with the next record) and 1 for lone
    // `\r` files.
    let mut lines = vec![HEADER.trim_end().to_string()];
    lines.extend((1..=5).map(good_row));
    lines.push(BAD_LAT.into());
    for (ends, end) in [("LF", "\n"), ("CRLF", "\r\n"), ("CR", "\r")] {
        for bom in ["", "\u{feff}"] {
            let text = format!("{bom}{}", file(&lines, end));
            assert_bad_at(&text, 7, "lat", &format!("{ends}, BOM `{bom}`"));
            // The last line without its line end.
            let text = text.strip_suffix(end).unwrap_or(&text);
            assert_bad_at(
                text,
                7,
                "lat",
                &format!("{ends}, BOM `{bom}`, no final line end"),
            );
        }
        // The first data row is line 2, not the header's line.
        let text = file(&[lines[0].clone(), BAD_LAT.into()], end);
        assert_bad_at(&text, 2, "lat", &format!("{ends}, bad first row"));
        let text = file(&[lines[0].clone(), "g1,warm_bee".into()], end);
        assert_bad_at(&text, 2, "record", &format!("{ends}, short first row"));
    }
}

#[test]
fn a_quoted_multi_line_field_counts_all_its_lines() {
    // Lines 4-6 are one record (a services list written over three lines), the bad value is
    // on line 7.
    let multi = "m1,warm_bee,y,,440305,22.5,113.9,\"parking;\nshower;\ntoilet\",,,,open,,operator";
    for (ends, end) in [("LF", "\n"), ("CRLF", "\r\n")] {
        let head = [
            HEADER.trim_end().to_string(),
            good_row(1),
            good_row(2),
            multi.replace('\n', end),
        ];
        let mut lines = head.to_vec();
        lines.push(BAD_LAT.into());
        assert_bad_at(&file(&lines, end), 7, "lat", &format!("{ends}, bad value"));
        let mut lines = head.to_vec();
        lines.push("g9,warm_bee".into());
        assert_bad_at(
            &file(&lines, end),
            7,
            "record",
            &format!("{ends}, short row"),
        );
        let mut lines = head.to_vec();
        lines.push(good_row(1));
        assert_bad_at(&file(&lines, end), 7, "id", &format!("{ends}, repeated id"));
        // A multi-line record that is itself bad is named by its first line.
        let notice = "m1,warm_bee,y,,440305,22.5,113.9,,,,,open,\"one\ntwo\nthree\",operator";
        let lines = [
            HEADER.trim_end().to_string(),
            good_row(1),
            good_row(2),
            notice.replace('\n', end),
            good_row(3),
        ];
        assert_bad_at(
            &file(&lines, end),
            4,
            "notice",
            &format!("{ends}, bad multi-line"),
        );
    }
}

#[test]
fn blank_lines_are_lines() {
    // csv skips blank lines, and its line count put a record after one on the blank line.
    for (ends, end) in [("LF", "\n"), ("CRLF", "\r\n")] {
        let lines = [
            HEADER.trim_end().to_string(),
            good_row(1),
            String::new(),
            good_row(3),
            String::new(),
            String::new(),
            BAD_LAT.into(),
        ];
        assert_bad_at(
            &file(&lines, end),
            7,
            "lat",
            &format!("{ends}, blank lines"),
        );
        // Blank lines before the header: the header is on line 3.
        let text = format!("{end}{end}id,kind,colour{end}");
        assert_bad_at(
            &text,
            3,
            "colour",
            &format!("{ends}, header after blank lines"),
        );
    }
}

#[test]
fn reports_older_than_the_retention_are_forgotten() {
    use waystation_catalog::model::Problem;
    use waystation_catalog::reports::Report;
    let (_dir, catalog) = temp_catalog();
    let report = Report {
        station_id: "a1".into(),
        problem: Problem::Closed,
        service: None,
        note: None,
    };
    let reports = catalog.received_reports();
    reports
        .record(&report, "2024-01-01T00:00:00Z")
        .expect("old");
    reports
        .record(&report, "2026-11-01T00:00:00Z")
        .expect("new");
    assert_eq!(
        reports
            .forget_before("2025-11-29T00:00:00Z")
            .expect("forget"),
        1
    );
    let left = reports.newest(None, 10, None).expect("list");
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].received_at, "2026-11-01T00:00:00Z");
}

#[test]
fn upgrading_the_feed_to_two_kinds_of_entry_keeps_its_sequence_going_forward() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("old.sqlite");
    let mut catalog = Catalog::open(&path).expect("open");
    let rows = csv(&[
        "a1,driver_home,一号,地址,440305,22.50,113.90,shower,,,,open,,official",
        "a2,driver_home,二号,地址,440305,22.51,113.91,shower,,,,open,,official",
        "a3,driver_home,三号,地址,440305,22.52,113.92,shower,,,,open,,official",
    ]);
    catalog
        .import(read(&rows).expect("rows"), &mut Silent)
        .expect("import");
    catalog.delete_station("a3", "test").expect("delete");
    let head = catalog.head_seq().expect("head");
    drop(catalog);

    // The feed as migration 6 left it (one row per station, no kinds, no tallies, no voices, no
    // packed index), with its
    // newest row gone as a purged tombstone would be: the sequence is past every row.
    as_schema_11(&path);
    let conn = rusqlite::Connection::open(&path).expect("sqlite");
    conn.execute_batch(
        "CREATE TABLE changes_v6 (seq INTEGER PRIMARY KEY AUTOINCREMENT, station_id TEXT NOT NULL UNIQUE,
             op TEXT NOT NULL CHECK (op IN ('upsert', 'delete')), at TEXT NOT NULL);
         INSERT INTO changes_v6 (seq, station_id, op, at) SELECT seq, station_id, op, at FROM changes;
         DELETE FROM sqlite_sequence WHERE name = 'changes_v6';
         INSERT INTO sqlite_sequence (name, seq) SELECT 'changes_v6', seq FROM sqlite_sequence WHERE name = 'changes';
         DROP TABLE changes;
         ALTER TABLE changes_v6 RENAME TO changes;
         DELETE FROM changes WHERE seq = (SELECT max(seq) FROM changes);
         DROP TABLE fact_tallies;
         ALTER TABLE confirmations DROP COLUMN voice;
         DROP TRIGGER stations_generation_insert;
         DROP TRIGGER stations_generation_update;
         DROP TRIGGER stations_generation_delete;
         DROP TABLE index_generation;
         DROP TABLE packed_index;
         PRAGMA user_version = 6;",
    )
    .expect("the old feed");
    drop(conn);

    let mut catalog = Catalog::open(&path).expect("upgraded");
    assert_eq!(
        catalog.head_seq().expect("head"),
        head,
        "the head is where it was"
    );
    let page = catalog
        .changes_since(0, 100)
        .expect("feed")
        .expect("not gone");
    assert_eq!(page.changes.len(), 2, "the rows kept, with their sequences");
    let mut next = read(&rows).expect("rows");
    next.truncate(1);
    next[0].name = "一号（改）".into();
    catalog.import(next, &mut Silent).expect("import");
    assert_eq!(
        catalog.head_seq().expect("head"),
        head + 1,
        "never a number handed out before"
    );
}

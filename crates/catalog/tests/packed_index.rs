//! The index a catalog file keeps (index/packed.rs) is used only while it is current and whole:
//! a change by any writer — this library, or another program with nothing but SQLite — makes
//! the next open build the index from the rows again, and so does a packed index that is
//! damaged, of another format, or cut short with a checksum to match. Answers are compared with
//! an index built from the rows.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use rusqlite::Connection;
use waystation_catalog::index::Origin;
use waystation_catalog::progress::Silent;
use waystation_catalog::query::Filter;
use waystation_catalog::{Catalog, LatLon, Service};

/// A catalog of `n` generated stations whose file keeps its packed index.
fn catalog(n: usize) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("c.sqlite");
    let mut catalog = Catalog::open(&path).expect("open");
    catalog
        .import(waystation_synthetic::generate(n, 3), &mut Silent)
        .expect("import");
    drop(catalog);
    assert_eq!(
        origin(&path),
        Origin::Packed,
        "the import's rebuild was packed"
    );
    (dir, path)
}

fn origin(path: &Path) -> Origin {
    Catalog::open(path).expect("open").index().origin()
}

fn filter() -> Filter {
    let mut f = Filter::any_at(
        NaiveDate::from_ymd_opt(2026, 11, 30)
            .and_then(|d| d.and_hms_opt(9, 0, 0))
            .expect("time"),
    );
    f.services = [Service::Toilet].into_iter().collect();
    f
}

/// The 20 nearest (with a toilet) to a few places, ids and open states.
fn answers(catalog: &Catalog) -> Vec<(String, Option<bool>)> {
    [(39.9, 116.4), (31.2, 121.5), (22.5, 114.1), (43.8, 87.6)]
        .into_iter()
        .flat_map(|(lat, lon)| {
            let at = LatLon::new(lat, lon).expect("place");
            catalog.nearest(at, 20, &filter()).expect("nearest")
        })
        .map(|h| (h.station.id, h.open_now))
        .collect()
}

/// The id of the nearest station (with a toilet) to `at`.
fn nearest_id(catalog: &Catalog, at: LatLon) -> String {
    let hits = catalog.nearest(at, 1, &filter()).expect("nearest");
    hits.into_iter().next().expect("a station").station.id
}

/// The answers of an index built from the rows, the packed one set aside for it.
fn from_rows(path: &Path) -> Vec<(String, Option<bool>)> {
    let copy = path.with_file_name("rows.sqlite");
    std::fs::copy(path, &copy).expect("copy");
    let conn = Connection::open(&copy).expect("open copy");
    conn.execute("DELETE FROM packed_index", [])
        .expect("forget");
    drop(conn);
    let catalog = Catalog::open(&copy).expect("open copy");
    assert_eq!(catalog.index().origin(), Origin::Rows);
    answers(&catalog)
}

fn sql(path: &Path, statement: &str) {
    Connection::open(path)
        .expect("open")
        .execute_batch(statement)
        .expect(statement);
}

/// The bytes of packed part `name`.
fn part(path: &Path, name: &str) -> Vec<u8> {
    Connection::open(path)
        .expect("open")
        .query_row(
            "SELECT data FROM packed_index WHERE part = ?1",
            [name],
            |r| r.get(0),
        )
        .expect("part")
}

/// Puts `data` in place of packed part `name`, with `checksum`.
fn set(path: &Path, name: &str, data: &[u8], checksum: u32) {
    Connection::open(path)
        .expect("open")
        .execute(
            "UPDATE packed_index SET data = ?2, checksum = ?3 WHERE part = ?1",
            (name, data, i64::from(checksum)),
        )
        .expect("set");
}

#[test]
fn an_unchanged_catalog_opens_from_its_packed_index_with_the_same_answers() {
    let (_dir, path) = catalog(3_000);
    let catalog = Catalog::open(&path).expect("open");
    assert_eq!(catalog.index().origin(), Origin::Packed);
    assert_eq!(catalog.len(), 3_000);
    let packed = answers(&catalog);
    assert!(packed.len() >= 60, "{packed:?}");
    assert_eq!(packed, from_rows(&path));
}

#[test]
fn a_change_by_any_writer_makes_the_next_open_build_from_the_rows() {
    let (_dir, path) = catalog(2_000);
    // Another program moves a station to Beijing's centre, opens it (status code 0) and gives
    // it a toilet, with SQLite alone: the trigger moves the generation on in its transaction.
    sql(
        &path,
        "INSERT OR IGNORE INTO texts (text) VALUES ('24/7');
         UPDATE stations SET lat = 39.9042, lon = 116.4074, services = services | (1 << 10),
             status = 0, hours = (SELECT code FROM texts WHERE text = '24/7')
         WHERE id = (SELECT id FROM stations ORDER BY id LIMIT 1)",
    );
    let catalog = Catalog::open(&path).expect("open");
    assert_eq!(
        catalog.index().origin(),
        Origin::Rows,
        "a stale index is not used"
    );
    let moved: String = Connection::open(&path)
        .expect("open")
        .query_row("SELECT id FROM stations ORDER BY id LIMIT 1", [], |r| {
            r.get(0)
        })
        .expect("id");
    let at = LatLon::new(39.9042, 116.4074).expect("Beijing");
    assert_eq!(nearest_id(&catalog, at), moved);
    drop(catalog);
    assert_eq!(
        origin(&path),
        Origin::Packed,
        "packed again for the open after"
    );

    // This library's own small write (in place, no rebuild) moves it on too.
    let mut catalog = Catalog::open(&path).expect("open");
    let mut station = catalog.station(&moved).expect("there");
    station.location = LatLon::new(31.2304, 121.4737).expect("Shanghai");
    catalog.import(vec![station], &mut Silent).expect("import");
    drop(catalog);
    let catalog = Catalog::open(&path).expect("open");
    assert_eq!(catalog.index().origin(), Origin::Rows);
    let at = LatLon::new(31.2304, 121.4737).expect("Shanghai");
    assert_eq!(nearest_id(&catalog, at), moved);

    // And a drivers' tally written by another program.
    drop(catalog);
    assert_eq!(origin(&path), Origin::Packed);
    sql(
        &path,
        &format!(
            "INSERT INTO fact_tallies (station_id, fact, last_confirmed, confirmed, denied)
             VALUES ('{moved}', 'toilet', '2026-11-29T10:00:00+08:00', 3, 0)"
        ),
    );
    let catalog = Catalog::open(&path).expect("open");
    assert_eq!(catalog.index().origin(), Origin::Rows);
    let hit = &catalog.nearest(at, 1, &filter()).expect("nearest")[0];
    assert_eq!(hit.facts.first().map(|t| t.confirmed), Some(3));

    // A trigger dropped (by hand, or by a migration that rebuilt the table) and a station moved
    // without the generation: the generation is not trusted, the index is built from the rows.
    drop(catalog);
    assert_eq!(origin(&path), Origin::Packed);
    sql(
        &path,
        &format!(
            "DROP TRIGGER stations_generation_update;
             UPDATE stations SET lat = 43.8256, lon = 87.6168 WHERE id = '{moved}'"
        ),
    );
    let catalog = Catalog::open(&path).expect("open");
    assert_eq!(catalog.index().origin(), Origin::Rows);
    let at = LatLon::new(43.8256, 87.6168).expect("Urumqi");
    assert_eq!(nearest_id(&catalog, at), moved);
    drop(catalog);
    assert_eq!(
        origin(&path),
        Origin::Rows,
        "and nothing is packed meanwhile"
    );
}

#[test]
fn a_damaged_foreign_or_cut_short_packed_index_is_never_trusted() {
    let (_dir, path) = catalog(2_000);
    let want = from_rows(&path);
    let part = |name: &str| part(&path, name);
    let set = |name: &str, data: &[u8], checksum: u32| set(&path, name, data, checksum);
    for name in ["stations", "trees"] {
        let whole = part(name);
        let checksum = crc32fast::hash(&whole);

        // One flipped bit, the old checksum kept: damage.
        let mut damaged = whole.clone();
        damaged[whole.len() / 2] ^= 0x10;
        set(name, &damaged, checksum);
        let catalog = Catalog::open(&path).expect("open");
        assert_eq!(catalog.index().origin(), Origin::Rows, "{name} damaged");
        assert_eq!(answers(&catalog), want);
        drop(catalog);

        // Cut short with a checksum to match (a bug, or a hand): decoding fails, no panic.
        assert_eq!(origin(&path), Origin::Packed, "packed again");
        let cut = &part(name)[..whole.len() / 3];
        set(name, cut, crc32fast::hash(cut));
        assert_eq!(origin(&path), Origin::Rows, "{name} cut short");

        // Whole, but of another format.
        assert_eq!(origin(&path), Origin::Packed, "packed again");
        sql(&path, "UPDATE packed_index SET format = format + 1");
        assert_eq!(origin(&path), Origin::Rows, "{name}: another format");
        assert_eq!(origin(&path), Origin::Packed, "packed again");
    }
    // The two parts of two different catalogs at the same generation do not fit together.
    let (_other_dir, other) = catalog(1_500);
    let trees = Connection::open(&other)
        .expect("open")
        .query_row(
            "SELECT data FROM packed_index WHERE part = 'trees'",
            [],
            |r| r.get::<_, Vec<u8>>(0),
        )
        .expect("trees");
    set("trees", &trees, crc32fast::hash(&trees));
    let catalog = Catalog::open(&path).expect("open");
    assert_eq!(
        catalog.index().origin(),
        Origin::Rows,
        "trees of another catalog"
    );
    assert_eq!(answers(&catalog), want);
}

#[test]
fn a_write_while_the_index_is_being_packed_waits_its_turn_and_is_kept() {
    // New catalogs: each one's (empty) index is built and packed on a thread of its own while
    // its first import begins at once. (The collision is a race this loop does not always
    // meet; tests/arrival.rs meets it every time when writes do not begin IMMEDIATE.)
    let dir = tempfile::tempdir().expect("temp dir");
    for i in 0..40 {
        let mut fresh = Catalog::open(&dir.path().join(format!("new-{i}.sqlite"))).expect("open");
        fresh
            .import(waystation_synthetic::generate(10, i), &mut Silent)
            .expect("waits for the packer, then writes");
        assert_eq!(fresh.len(), 10);
    }

    let (_dir, path) = catalog(20_000);
    // Another program's change: the next open builds the index and packs it on a thread of its
    // own, while this catalog writes at once.
    sql(&path, "UPDATE index_generation SET n = n + 1");
    let mut catalog = Catalog::open(&path).expect("open");
    assert_eq!(catalog.index().origin(), Origin::Rows);
    let mut station = catalog.station("syn-ws-000001").expect("there");
    station.services = [Service::Toilet].into_iter().collect();
    // Small writes one after another, from before the packer writes until after it has.
    for i in 0..40 {
        station.location = LatLon::new(45.75 - f64::from(i) * 0.01, 126.63).expect("Harbin");
        let write = catalog.import(vec![station.clone()], &mut Silent);
        write.expect("waits for the packer, then writes");
    }
    station.location = LatLon::new(45.75, 126.63).expect("Harbin");
    catalog.import(vec![station], &mut Silent).expect("import");
    drop(catalog);
    // The packed index (made before the write, or skipped for it) is not taken for current.
    let catalog = Catalog::open(&path).expect("open");
    assert_eq!(catalog.index().origin(), Origin::Rows);
    let at = LatLon::new(45.75, 126.63).expect("Harbin");
    assert_eq!(nearest_id(&catalog, at), "syn-ws-000001");
}

#[test]
fn a_made_up_packed_index_with_a_matching_checksum_cannot_crash_the_open() {
    let (_dir, path) = catalog(1_000);
    let want = from_rows(&path);
    let part = |name: &str| part(&path, name);
    let install = |name: &str, data: &[u8]| set(&path, name, data, crc32fast::hash(data));
    // The trees part begins with the first kind's tree: its count (u32), then its points, each
    // x, y, z (f64) and a key (u32). Each change keeps every tree's size.
    let trees = part("trees");
    let first_tree = u32::from_le_bytes(trees[..4].try_into().expect("a count"));
    assert!(
        first_tree > 0,
        "the first kind's tree holds points to change"
    );
    let with = |at: usize, bytes: &[u8]| {
        let mut made_up = trees.clone();
        made_up[at..at + bytes.len()].copy_from_slice(bytes);
        made_up
    };
    let made_up = [
        (
            "a key no station has",
            with(4 + 24, &(u32::MAX - 1).to_le_bytes()),
        ),
        ("a position not a number", with(4, &f64::NAN.to_le_bytes())),
        // Four billion points in a part of a few megabytes: nothing is made for them.
        ("a count past the end", with(0, &u32::MAX.to_le_bytes())),
    ];
    for (what, part) in made_up {
        install("trees", &part);
        let catalog = Catalog::open(&path).expect("open");
        assert_eq!(catalog.index().origin(), Origin::Rows, "{what}");
        assert_eq!(answers(&catalog), want);
        drop(catalog);
        assert_eq!(origin(&path), Origin::Packed, "packed again");
    }
    // A station's key made huge in the stations part: no vector of four billion slots is made
    // for it. The part begins with the ids (length, bytes), then the opening hours (count, then
    // each: length, bytes), then the summaries' count and the first summary, its key first.
    let mut stations = part("stations");
    let u32_at =
        |b: &[u8], at: usize| u32::from_le_bytes(b[at..at + 4].try_into().expect("4")) as usize;
    let mut at = 4 + u32_at(&stations, 0);
    let hours = u32_at(&stations, at);
    at += 4;
    for _ in 0..hours {
        at += 4 + u32_at(&stations, at);
    }
    let first_key = at + 4;
    assert!(
        u32_at(&stations, first_key) < 1_100,
        "a key of this catalog"
    );
    let whole = stations.clone();
    stations[first_key..first_key + 4].copy_from_slice(&(u32::MAX - 1).to_le_bytes());
    install("stations", &stations);
    let catalog = Catalog::open(&path).expect("open");
    assert_eq!(catalog.index().origin(), Origin::Rows);
    assert_eq!(answers(&catalog), want);
    drop(catalog);
    // The first id's length, after the key, one byte short: every id after it would start a
    // byte early, and the lengths no longer add up to the ids.
    assert_eq!(origin(&path), Origin::Packed, "packed again");
    let mut stations = part("stations");
    assert_eq!(stations, whole, "packed as before");
    stations[first_key + 4] -= 1;
    install("stations", &stations);
    let catalog = Catalog::open(&path).expect("open");
    assert_eq!(catalog.index().origin(), Origin::Rows);
    assert_eq!(answers(&catalog), want);
}

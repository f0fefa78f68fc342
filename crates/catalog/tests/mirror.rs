//! A replica's copy keeps the feed it follows: fed a catalog's change pages (small pages, while
//! that catalog goes on being written), or started from its whole feed, the copy answers every
//! change page exactly as the catalog it copies — every `since`, every page size, with and
//! without tallies, tombstones and the horizon included. The oracle is the source catalog's own
//! feed.

use waystation_catalog::confirmations::Confirmation;
use waystation_catalog::feed::{Change, ChangeOp, ChangePage, FeedState, Gone};
use waystation_catalog::progress::Silent;
use waystation_catalog::{Catalog, Station};

fn page(c: &Catalog, since: i64, limit: usize, facts: bool) -> Result<ChangePage, Gone> {
    c.readers(1)
        .expect("reader")
        .changes_since(since, limit, facts)
        .expect("page")
}

/// Every page of `copy` equals `source`'s.
fn same_feed(source: &Catalog, copy: &Catalog) {
    let head = source.head_seq().expect("head");
    assert_eq!(copy.head_seq().expect("head"), head);
    for since in [0, 1, 2, 40, 150, 299, 300, 301, head - 5, head - 1, head] {
        for limit in [1, 7, 1000] {
            for facts in [false, true] {
                assert_eq!(
                    page(copy, since, limit, facts),
                    page(source, since, limit, facts),
                    "since {since}, limit {limit}, facts {facts}"
                );
            }
        }
    }
}

/// Pages of 7 after what `copy` holds, applied until none is left.
fn follow(source: &Catalog, copy: &mut Catalog) {
    loop {
        let at = copy.head_seq().expect("head");
        let next = page(source, at, 7, true).expect("not gone");
        copy.mirror_changes(&next).expect("apply");
        if !next.more {
            return;
        }
    }
}

fn write_more(source: &mut Catalog, round: u32) {
    for n in [3, 10, 42] {
        let mut s: Station = source.station(&format!("syn-ws-{n:06}")).expect("station");
        s.notice = Some(format!("round {round}"));
        source.save_station(&s, "test", "edit").expect("edit");
    }
    source
        .delete_station(&format!("syn-ws-{:06}", 100 + round), "test")
        .expect("delete");
    let word = |id: &str, holds| Confirmation {
        station_id: id.into(),
        fact: "open".into(),
        holds,
        device: None,
    };
    let said = [word("syn-ws-000010", true), word("syn-ws-000011", false)];
    let voice = format!("addr:10.0.0.{round}");
    source
        .confirm(
            &said,
            &format!("phone-{round}"),
            &voice,
            "2026-11-29T12:00:00Z",
        )
        .expect("confirm");
}

#[test]
fn a_copy_serves_the_same_change_pages_as_the_catalog_it_follows() {
    let dir = tempfile::tempdir().expect("dir");
    let mut source = Catalog::open(&dir.path().join("source.sqlite")).expect("source");
    source
        .import(waystation_synthetic::generate(300, 5), &mut Silent)
        .expect("import");
    let mut copy = Catalog::open(&dir.path().join("copy.sqlite")).expect("copy");
    follow(&source, &mut copy);
    same_feed(&source, &copy);
    for round in 1..=3 {
        write_more(&mut source, round);
        follow(&source, &mut copy);
        same_feed(&source, &copy);
        // A station with tallies the copy has seen, then deleted: its facts entry goes with it.
        let doomed = format!("syn-ws-{:06}", 200 + round);
        let said = [Confirmation {
            station_id: doomed.clone(),
            fact: "open".into(),
            holds: true,
            device: None,
        }];
        source
            .confirm(&said, "phone", "addr:10.0.0.9", "2026-11-29T12:00:00Z")
            .expect("confirm");
        follow(&source, &mut copy);
        source.delete_station(&doomed, "test").expect("delete");
        follow(&source, &mut copy);
        same_feed(&source, &copy);
    }
    // Deleted and listed again under its id before the copy looks: the tombstone is gone from
    // the feed by then, and the new listing's entries say it has no tallies.
    let again = "syn-ws-000060";
    let said = [Confirmation {
        station_id: again.into(),
        fact: "open".into(),
        holds: true,
        device: None,
    }];
    source
        .confirm(&said, "phone", "addr:10.0.0.8", "2026-11-29T12:00:00Z")
        .expect("confirm");
    follow(&source, &mut copy);
    assert_eq!(copy.confirmations().tallies(again).expect("copy").len(), 1);
    let station = source.station(again).expect("station");
    source.delete_station(again, "test").expect("delete");
    source
        .save_station(&station, "test", "create")
        .expect("again");
    follow(&source, &mut copy);
    same_feed(&source, &copy);
    assert_eq!(copy.confirmations().tallies(again).expect("copy"), []);
    // The stations and tallies too.
    assert_eq!(copy.len(), source.len());
    assert_eq!(
        copy.confirmations().tallies("syn-ws-000011").expect("copy"),
        source
            .confirmations()
            .tallies("syn-ws-000011")
            .expect("source")
    );

    // Started from the whole feed (what a replica reads from the database), after old
    // tombstones were forgotten: the horizon comes along, so a client behind it is sent to a
    // snapshot by the copy as by the source.
    source
        .purge_tombstones("2999-01-01T00:00:00Z")
        .expect("purge");
    let (head, all) = source.readers(1).expect("r").all_stations().expect("all");
    let feed = FeedState {
        entries: entries(&dir.path().join("source.sqlite")),
        head,
        tombstone_horizon: page(&source, 0, 1, false).expect_err("gone").horizon,
    };
    let mut started = Catalog::open(&dir.path().join("started.sqlite")).expect("copy");
    started
        .mirror_all(&all.stations, &all.facts, &feed)
        .expect("start");
    assert!(page(&started, 0, 10, true).is_err(), "behind the horizon");
    same_feed(&source, &started);
    write_more(&mut source, 4);
    follow(&source, &mut started);
    same_feed(&source, &started);
}

/// Every entry of a catalog file's feed, as a database's would be read: position, station, op.
fn entries(path: &std::path::Path) -> Vec<Change> {
    let conn = rusqlite::Connection::open(path).expect("open");
    let mut stmt = conn
        .prepare("SELECT seq, station_id, op FROM changes ORDER BY seq")
        .expect("query");
    stmt.query_map([], |r| {
        let op = match r.get::<_, String>(2)?.as_str() {
            "delete" => ChangeOp::Delete,
            "facts" => ChangeOp::Facts,
            _ => ChangeOp::Upsert,
        };
        Ok(Change {
            seq: r.get(0)?,
            op,
            station_id: r.get(1)?,
            station: None,
            facts: None,
        })
    })
    .expect("rows")
    .collect::<Result<_, _>>()
    .expect("entries")
}

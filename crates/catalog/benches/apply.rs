//! A 1 % change on the device: 2,000 of 200,000 stations rewritten on the server, applied by
//! the client page by page (1,000 changes a page, as `waystation-sync` asks for them), each page
//! in one transaction through the app's `SharedCatalog`, while a second thread asks `nearest`
//! over and over the way the window does (from the index last published, on a reader). Reports
//! the time to apply each page and the whole change, and how long the queries took meanwhile;
//! then the same for whole snapshots: the same catalog again (a lower bound), and one with 2 %
//! renamed, 0.5 % gone and 0.5 % new; and a first sync over the built-in sample, with what the
//! file it leaves is made of.
//!
//! `cargo bench -p waystation-catalog --bench apply` (STATIONS=… for another catalog size)

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use waystation_catalog::progress::Silent;
use waystation_catalog::query::Filter;
use waystation_catalog::request::Near;
use waystation_catalog::{Catalog, Hit, LatLon, Query, SharedCatalog, Station};

const CHANGED: usize = 2_000;
const PAGE: usize = 1_000;

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let any = Filter::any_at(chrono::Utc::now().naive_utc());
    let count: usize = std::env::var("STATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let (device, server) = (
        dir.path().join("device.sqlite"),
        dir.path().join("server.sqlite"),
    );
    let stations = waystation_synthetic::generate(count, 1);
    let points: Vec<LatLon> = stations.iter().step_by(97).map(|s| s.location).collect();
    let last_ids: Vec<String> = (stations.iter().rev().take(count / 200))
        .map(|s| s.id.clone())
        .collect();
    {
        let mut catalog = Catalog::open(&device).expect("catalog");
        catalog.import(stations, &mut Silent).expect("import");
    }
    std::fs::copy(&device, &server).expect("copy");
    let mut server = Catalog::open(&server).expect("server catalog");
    let before = server.head_seq().expect("head");
    // The first 2,000 ids again, with new names, places and services: a 1 % edit.
    let changed = waystation_synthetic::generate(CHANGED, 2);
    server.import(changed, &mut Silent).expect("edit");
    let mut pages = Vec::new();
    let mut since = before;
    loop {
        let page = (server.changes_since(since, PAGE))
            .expect("feed")
            .expect("not gone");
        since = page.last_seq;
        let more = page.more;
        pages.push(page);
        if !more {
            break;
        }
    }

    let device = Catalog::open(&device).expect("device catalog");
    let device = Arc::new(SharedCatalog::new(device, 2).expect("shared"));
    let nearest = move |device: &SharedCatalog, at: LatLon| -> Vec<Hit> {
        let (k, filter) = (10, any.clone());
        (device.hits(&Query::Near(Near { at, k, filter }))).expect("near")
    };
    // Warm the device's index and a few queries, as an app that has been open a while.
    for at in points.iter().take(100) {
        nearest(&device, *at);
    }
    // The queries' times, and how many answers came back short of ten.
    let asking = |work: &mut dyn FnMut()| -> (Vec<Duration>, usize) {
        let applying = Arc::new(AtomicBool::new(true));
        let asker = {
            let (device, applying, points) = (device.clone(), applying.clone(), points.clone());
            let nearest = nearest.clone();
            std::thread::spawn(move || {
                let (mut took, mut short) = (Vec::new(), 0);
                for at in points.iter().cycle() {
                    if !applying.load(Ordering::Relaxed) {
                        break;
                    }
                    let started = Instant::now();
                    let hits = nearest(&device, *at);
                    took.push(started.elapsed());
                    short += usize::from(hits.len() < 10);
                    // A window asks as the view moves, not in a tight loop: a frame's worth apart.
                    std::thread::sleep(Duration::from_millis(2));
                }
                (took, short)
            })
        };
        work();
        applying.store(false, Ordering::Relaxed);
        let (mut took, short) = asker.join().expect("asker");
        took.sort();
        (took, short)
    };
    let report = |(took, short): &(Vec<Duration>, usize)| {
        let at = |q: f64| ms(took[((took.len() - 1) as f64 * q) as usize]);
        println!(
            "nearest (k=10) meanwhile: {} queries, median {:.2} ms, p99 {:.2} ms, max {:.1} ms; \
             {short} short of ten",
            took.len(),
            at(0.5),
            at(0.99),
            at(1.0)
        );
    };

    let mut applying_took = Duration::ZERO;
    let took = asking(&mut || {
        for page in &pages {
            let one = Instant::now();
            (device.with(|c| c.apply_changes(page, &[]))).expect("apply");
            applying_took += one.elapsed();
            println!(
                "page of {} changes applied in {:.1} ms",
                page.changes.len(),
                ms(one.elapsed())
            );
            // The next page comes over the network meanwhile.
            std::thread::sleep(Duration::from_millis(20));
        }
    });
    println!(
        "{CHANGED} of {count} stations changed, in {} pages: applied in {:.1} ms",
        pages.len(),
        ms(applying_took)
    );
    report(&took);
    assert_eq!(
        took.1, 0,
        "a change that removes no station leaves every answer whole"
    );

    // Whole snapshots (a sync after the feed forgot the device's place), each written over the
    // rows by id, every station keeping its key, so while the index is rebuilt the window's lists
    // are short only where a station the snapshot removed stood. First the same catalog again:
    // every row as the device has it, a lower bound.
    let snapshot_of = |server: &Catalog| -> Vec<Station> {
        let mut snapshot = Vec::with_capacity(count);
        (server.for_each_station(|s| {
            snapshot.push(s.clone());
            Ok(())
        }))
        .expect("snapshot");
        snapshot
    };
    let apply_snapshot = |what: &str, snapshot: Vec<Station>| -> usize {
        let mut snapshot_took = Duration::ZERO;
        let took = asking(&mut || {
            let one = Instant::now();
            (device.with(|c| c.replace_all(&snapshot, &[], &[], &mut Silent))).expect("snapshot");
            snapshot_took = one.elapsed();
        });
        println!(
            "a snapshot of {} stations, {what}, applied in {:.1} ms",
            snapshot.len(),
            ms(snapshot_took)
        );
        report(&took);
        took.1
    };
    let short = apply_snapshot("every row as the device has it", snapshot_of(&server));
    assert_eq!(
        short, 0,
        "a snapshot that removes no station leaves every answer whole"
    );
    // Then one that moved on meanwhile: 2 % renamed and moved, 0.5 % gone, 0.5 % new.
    let (renamed, half_percent) = (count / 50, count / 200);
    (server.import(waystation_synthetic::generate(renamed, 3), &mut Silent)).expect("rename");
    for gone in &last_ids {
        server.delete_station(gone, "bench").expect("delete");
    }
    let mut new = waystation_synthetic::generate(half_percent, 4);
    for (i, s) in new.iter_mut().enumerate() {
        s.id = format!("new-{i:06}");
    }
    (server.import(new, &mut Silent)).expect("add");
    apply_snapshot("2 % renamed, 0.5 % gone, 0.5 % new", snapshot_of(&server));
    // A first sync: the built-in sample (30,000 synthetic stations) under the server's catalog,
    // every row new (other ids, as the national catalog's are) and every sample row removed.
    let first = dir.path().join("first.sqlite");
    waystation_synthetic::write_seed(&first, &mut Silent).expect("sample");
    let mut first = Catalog::open(&first).expect("sample catalog");
    let mut national = snapshot_of(&server);
    for s in &mut national {
        s.id.insert_str(0, "cn-");
    }
    let one = Instant::now();
    (first.replace_all(&national, &[], &[], &mut Silent)).expect("first sync");
    println!(
        "a first sync: {} stations over the {} of the built-in sample, applied in {:.1} ms",
        national.len(),
        waystation_synthetic::DEFAULT_SEED_COUNT,
        ms(one.elapsed())
    );
    assert_eq!(first.info().expect("info").stations, national.len());
    // What the file a first sync leaves on the device is made of (as `waystation info --sizes`).
    let parts = first.file_parts().expect("sizes");
    let mb = |bytes: u64| bytes as f64 / 1e6;
    let whole: u64 = parts.iter().map(|p| p.bytes).sum();
    println!("the device's file after it: {:.1} MB", mb(whole));
    for part in parts.iter().filter(|p| p.bytes >= 100_000) {
        println!("  {:<28} {:>7.1} MB", part.part, mb(part.bytes));
    }

    // The change is there: the device answers as the server does.
    let any = Filter::any_at(chrono::Utc::now().naive_utc());
    for at in points.iter().take(200) {
        let ids =
            |hits: Vec<Hit>| -> Vec<String> { hits.into_iter().map(|h| h.station.id).collect() };
        let theirs = server.nearest(*at, 10, &any).expect("near");
        assert_eq!(ids(nearest(&device, *at)), ids(theirs), "at {at:?}");
    }
}

//! A 1 % change on the device: 2,000 of 200,000 stations rewritten on the server, applied by
//! the client page by page (1,000 changes a page, as `waystation-sync` asks for them), each page
//! in one transaction through the app's `SharedCatalog`, while a second thread asks `nearest`
//! over and over the way the window does (from the index last published, on a reader). Reports
//! the time to apply each page and the whole change, and how long the queries took meanwhile;
//! then the same for a snapshot of the whole catalog applied at once.
//!
//! `cargo bench -p waystation-catalog --bench apply` (STATIONS=… for another catalog size)

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use waystation_catalog::progress::Silent;
use waystation_catalog::query::Filter;
use waystation_catalog::request::Near;
use waystation_catalog::{Catalog, Hit, LatLon, Query, SharedCatalog};

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
    let device = Arc::new(SharedCatalog::new(device).expect("shared"));
    let nearest = move |device: &SharedCatalog, at: LatLon| -> Vec<Hit> {
        let (k, filter) = (10, any.clone());
        (device.hits(&Query::Near(Near { at, k, filter }))).expect("near")
    };
    // Warm the device's index and a few queries, as an app that has been open a while.
    for at in points.iter().take(100) {
        nearest(&device, *at);
    }
    let asking = |work: &mut dyn FnMut()| -> Vec<Duration> {
        let applying = Arc::new(AtomicBool::new(true));
        let asker = {
            let (device, applying, points) = (device.clone(), applying.clone(), points.clone());
            let nearest = nearest.clone();
            std::thread::spawn(move || {
                let mut took = Vec::new();
                for at in points.iter().cycle() {
                    if !applying.load(Ordering::Relaxed) {
                        break;
                    }
                    let started = Instant::now();
                    let hits = nearest(&device, *at);
                    took.push(started.elapsed());
                    assert_eq!(hits.len(), 10);
                    // A window asks as the view moves, not in a tight loop: a frame's worth apart.
                    std::thread::sleep(Duration::from_millis(2));
                }
                took
            })
        };
        work();
        applying.store(false, Ordering::Relaxed);
        let mut took = asker.join().expect("asker");
        took.sort();
        took
    };
    let report = |took: &[Duration]| {
        let at = |q: f64| ms(took[((took.len() - 1) as f64 * q) as usize]);
        println!(
            "nearest (k=10) meanwhile: {} queries, median {:.2} ms, p99 {:.2} ms, max {:.1} ms",
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

    // A whole snapshot of the same catalog (a first sync, or one after the feed forgot the
    // device's place): every row written again, each station keeping its key, so the window's
    // lists stay whole (the asker checks ten hits) while the index is rebuilt.
    let mut snapshot = Vec::with_capacity(count);
    (server.for_each_station(|s| {
        snapshot.push(s.clone());
        Ok(())
    }))
    .expect("snapshot");
    let mut snapshot_took = Duration::ZERO;
    let took = asking(&mut || {
        let one = Instant::now();
        (device.with(|c| c.replace_all(&snapshot, &[], &[], &mut Silent))).expect("snapshot");
        snapshot_took = one.elapsed();
    });
    println!(
        "a snapshot of all {count} stations applied in {:.1} ms",
        ms(snapshot_took)
    );
    report(&took);
    // The change is there: the device answers as the server does.
    let any = Filter::any_at(chrono::Utc::now().naive_utc());
    for at in points.iter().take(200) {
        let ids =
            |hits: Vec<Hit>| -> Vec<String> { hits.into_iter().map(|h| h.station.id).collect() };
        let theirs = server.nearest(*at, 10, &any).expect("near");
        assert_eq!(ids(nearest(&device, *at)), ids(theirs), "at {at:?}");
    }
}

//! The map on a 200,000-station national catalog: answering a view (1280 × 800 pixels with half a
//! screen around it, at zooms from the whole country to a street) from the index's clusters —
//! the whole answer: cells, folds, parting zooms, stations' ids, place names — against a brute
//! force that groups the stations of the view by cell on the spot (a scan of every position,
//! kept in memory); making the clusters after a change; and the size of what the map is sent — a
//! view's answer against every station's position, which the map was sent before.
//!
//! Run: `cargo bench -p waystation-catalog --bench map` (WAYSTATION_BENCH_STATIONS to resize).

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rand::prelude::*;
use rand_chacha::ChaCha8Rng;
use waystation_catalog::Catalog;
use waystation_catalog::answer::MapPoints;
use waystation_catalog::index::clusters::Clusters;
use waystation_catalog::mercator::{WorldPoint, world_px};
use waystation_catalog::model::Kind;
use waystation_catalog::progress::Silent;
use waystation_catalog::request::{MapViewQuery, MapViewRequest};

const ZOOMS: [f64; 5] = [3.5, 6.0, 9.0, 12.0, 15.0];

fn stations() -> usize {
    std::env::var("WAYSTATION_BENCH_STATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000)
}

/// Views a driver's screen asks for: 1280 × 800 with half of it again on every side, centred on
/// county seats across China, at `zoom`.
fn views(zoom: f64, n: usize) -> Vec<MapViewQuery> {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let places = waystation_catalog::geography::places();
    let px = world_px(zoom);
    (0..n)
        .map(|_| {
            let centre = WorldPoint::of(places.choose(&mut rng).expect("places").center);
            let (half_x, half_y) = (1280.0 / px, 800.0 / px);
            let corner = |x: f64, y: f64| {
                WorldPoint {
                    x: x.clamp(0.0, 1.0),
                    y: y.clamp(0.0, 1.0),
                }
                .lat_lon()
            };
            let (nw, se) = (
                corner(centre.x - half_x, centre.y - half_y),
                corner(centre.x + half_x, centre.y + half_y),
            );
            MapViewRequest {
                south: Some(se.lat),
                west: Some(nw.lon),
                north: Some(nw.lat),
                east: Some(se.lon),
                zoom: Some(zoom),
                crs: None,
            }
            .check()
            .expect("a view the map asks")
        })
        .collect()
}

/// The brute force: every station's position tested against the view, those in it grouped by
/// their cell at the view's level, the groups' counts and mean positions. (Less than the answer
/// does: no fold, no parting zoom, no place names, no ids.)
fn brute_force(positions: &[(u32, WorldPoint)], q: &MapViewQuery) -> usize {
    let level = Clusters::level_for(q.zoom);
    let cells = f64::from(8u32 << level);
    let mut groups: HashMap<(u32, u32), (u32, f64, f64)> = HashMap::new();
    for &(_, p) in positions {
        if q.view.contains(p) {
            let g = groups
                .entry(((p.x * cells) as u32, (p.y * cells) as u32))
                .or_default();
            *g = (g.0 + 1, g.1 + p.x, g.2 + p.y);
        }
    }
    groups.len()
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut catalog = Catalog::open(&dir.path().join("bench.sqlite")).expect("open");
    eprintln!("building a {}-station catalog…", stations());
    catalog
        .import(waystation_synthetic::generate(stations(), 1), &mut Silent)
        .expect("import");
    let index = catalog.index();
    let positions: Vec<(u32, WorldPoint)> = index
        .summaries()
        .map(|(key, s)| (key, WorldPoint::of(s.location)))
        .collect();

    // What the map is sent: every station's position before, a view's answer now.
    let mut all = MapPoints {
        kind_ids: Kind::ALL.iter().map(|k| k.id()).collect(),
        ..MapPoints::default()
    };
    for (_, s) in index.summaries() {
        all.ids.push(index.id(s).to_string());
        all.kinds.push(s.kind as u8);
        all.lat.push((s.location.lat * 1e5).round() / 1e5);
        all.lon.push((s.location.lon * 1e5).round() / 1e5);
    }
    let every = serde_json::to_vec(&all).expect("json").len();
    eprintln!("every station's position (what the map was sent): {every} bytes of JSON");
    for zoom in ZOOMS {
        let sizes: Vec<usize> = views(zoom, 50)
            .iter()
            .map(|q| {
                serde_json::to_vec(&catalog.map_view(q))
                    .expect("json")
                    .len()
            })
            .collect();
        let mean = sizes.iter().sum::<usize>() / sizes.len();
        let most = sizes.iter().max().copied().unwrap_or_default();
        eprintln!("a view at zoom {zoom}: {mean} bytes of JSON on average, {most} at most");
    }

    let mut build = c.benchmark_group("map_clusters");
    build.sample_size(10);
    build.measurement_time(Duration::from_secs(5));
    build.bench_function("make_after_a_change", |b| {
        b.iter(|| Clusters::build(black_box(positions.iter().copied())).heap_bytes())
    });
    build.finish();
    eprintln!(
        "the clusters of every level: {} bytes",
        index.clusters().heap_bytes()
    );

    let mut view = c.benchmark_group("map_view");
    view.sample_size(20);
    view.measurement_time(Duration::from_secs(4));
    for zoom in ZOOMS {
        let qs = views(zoom, 20);
        view.throughput(Throughput::Elements(qs.len() as u64));
        view.bench_function(format!("ours_zoom_{zoom}"), |b| {
            b.iter(|| {
                qs.iter()
                    .map(|q| catalog.map_view(black_box(q)).in_view)
                    .sum::<u64>()
            })
        });
        view.bench_function(format!("brute_force_zoom_{zoom}"), |b| {
            b.iter(|| {
                qs.iter()
                    .map(|q| brute_force(black_box(&positions), q))
                    .sum::<usize>()
            })
        });
    }
    view.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

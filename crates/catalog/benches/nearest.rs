//! Nearest-10 with a two-service filter on a 200,000-station national catalog, the whole work
//! timed on every side — the k nearest that pass the filter, their rows read, open or not at the
//! asked time: `Catalog::nearest` (its in-memory index) against SQLite's own R*Tree used well and
//! a brute-force scan with filter code of its own (tests/baselines/mod.rs; tests/nearest_baselines.rs
//! checks them on a small catalog in `make test`), after checking all three give the same
//! answers here too. Also the index walk alone, and opening the catalog with its index ready:
//! from the index the file keeps, building it from the rows, and the first open after a change.
//!
//! Run: `cargo bench -p waystation-catalog --bench nearest` (WAYSTATION_BENCH_STATIONS to resize).

use std::hint::black_box;
use std::time::Duration;

use chrono::NaiveDate;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rand::prelude::*;
use rand_chacha::ChaCha8Rng;
use rusqlite::Connection;
use waystation_catalog::index::{Origin, SpatialIndex};
use waystation_catalog::progress::Silent;
use waystation_catalog::query;
use waystation_catalog::{Catalog, LatLon, Service};

#[path = "../tests/baselines/mod.rs"]
mod baselines;
use baselines::{BruteForce, SqliteRtree, Want};

const K: usize = 10;

fn stations() -> usize {
    std::env::var("WAYSTATION_BENCH_STATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000)
}

/// Query points: county seats across China, jittered by up to ~20 km.
fn query_points(n: usize) -> Vec<LatLon> {
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let places = waystation_catalog::geography::places();
    (0..n)
        .map(|_| {
            let p = places.choose(&mut rng).expect("places").center;
            LatLon::new(
                p.lat + rng.random_range(-0.2..0.2),
                p.lon + rng.random_range(-0.2..0.2),
            )
            .expect("valid")
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bench.sqlite");
    eprintln!("building a {}-station catalog…", stations());
    let mut catalog = Catalog::open(&path).expect("open");
    let generated = waystation_synthetic::generate(stations(), 1);
    catalog.import(generated, &mut Silent).expect("import");
    SqliteRtree::build(&path);
    let (rtree, brute) = (SqliteRtree::open(&path), BruteForce::open(&path));
    let want = Want {
        kinds: Vec::new(),
        services: vec![Service::Shower, Service::DrinkingWater],
        open_only: false,
        time: NaiveDate::from_ymd_opt(2026, 11, 27)
            .and_then(|d| d.and_hms_opt(12, 0, 0))
            .expect("date"),
    };
    let f = want.filter();
    let points = query_points(200);

    // The same answers first: the same stations in the same order, open or not alike.
    for &p in &points {
        let ours = baselines::ours(&catalog, p, K, &want);
        baselines::same("brute force", p, &want, &ours, &brute.nearest(p, K, &want));
        baselines::same(
            "SQLite R*Tree",
            p,
            &want,
            &ours,
            &rtree.nearest(p, K, &want),
        );
    }
    eprintln!("all three agree on {} query points", points.len());

    let mut group = c.benchmark_group("nearest10_shower_drinking_water");
    group.throughput(Throughput::Elements(points.len() as u64));
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(4));
    group.sample_size(20);
    group.bench_function("catalog_nearest", |b| {
        b.iter(|| {
            points
                .iter()
                .map(|&p| catalog.nearest(black_box(p), K, &f).expect("nearest").len())
                .sum::<usize>()
        })
    });
    group.bench_function("sqlite_rtree_tuned", |b| {
        b.iter(|| {
            points
                .iter()
                .map(|&p| rtree.nearest(black_box(p), K, &want).len())
                .sum::<usize>()
        })
    });
    group.bench_function("brute_force_scan", |b| {
        b.iter(|| {
            points
                .iter()
                .map(|&p| brute.nearest(black_box(p), K, &want).len())
                .sum::<usize>()
        })
    });
    // For diagnosis, not comparison: the index walk alone (no rows, no open state).
    let index = catalog.index();
    group.bench_function("index_walk_only", |b| {
        b.iter(|| {
            points
                .iter()
                .map(|&p| query::nearest(index, black_box(p), K, &f).len())
                .sum::<usize>()
        })
    });
    group.finish();

    // Opening: from the index the file keeps (what every open does while nothing changed);
    // building it from the rows (what every open did before the file kept it; the same code);
    // and the first open after a change, which builds it (and packs it on a thread of its own).
    drop(catalog);
    drop(Catalog::open(&path).expect("open: packs the index"));
    let mut open = c.benchmark_group("open");
    open.sample_size(10);
    open.measurement_time(Duration::from_secs(5));
    open.bench_function("open_catalog_packed_index", |b| {
        b.iter(|| {
            let catalog = Catalog::open(black_box(&path)).expect("open");
            assert_eq!(catalog.index().origin(), Origin::Packed);
            catalog.len()
        })
    });
    let conn = Connection::open(&path).expect("connection");
    open.bench_function("build_index_from_rows", |b| {
        b.iter(|| {
            SpatialIndex::build(&conn, black_box(&path))
                .expect("build")
                .len()
        })
    });
    open.bench_function("first_open_after_a_change", |b| {
        b.iter_batched(
            || {
                conn.execute("UPDATE index_generation SET n = n + 1", [])
                    .expect("a change")
            },
            // Returned, so that waiting for the packing thread when it closes is not timed.
            |_| Catalog::open(black_box(&path)).expect("open"),
            criterion::BatchSize::PerIteration,
        )
    });
    open.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

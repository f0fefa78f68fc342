//! Nearest-10 with a two-service filter on a 200,000-station national catalog: the unit-vector
//! R*-tree against (a) SQLite's R*Tree module with the usual expanding-box search and (b) a
//! brute-force haversine scan, after checking all three give identical answers. Also the time
//! to open the catalog and have the index ready.
//!
//! Run: `cargo bench -p waystation-catalog --bench nearest` (WAYSTATION_BENCH_STATIONS to resize).

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use chrono::NaiveDate;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rand::prelude::*;
use rand_chacha::ChaCha8Rng;
use rusqlite::Connection;
use waystation_catalog::index::SpatialIndex;
use waystation_catalog::progress::Silent;
use waystation_catalog::query::{self, Filter, Found};
use waystation_catalog::sphere::EARTH_RADIUS_M;
use waystation_catalog::{Catalog, LatLon, Service, ServiceSet};

const K: usize = 10;

fn stations() -> usize {
    std::env::var("WAYSTATION_BENCH_STATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000)
}

/// A catalog file with the generated stations and, beside them, SQLite's R*Tree over the same rows.
fn build(path: &Path) -> Catalog {
    let mut catalog = Catalog::open(path).expect("open");
    let generated = waystation_synthetic::generate(stations(), 1);
    catalog.import(generated, &mut Silent).expect("import");
    let conn = Connection::open(path).expect("second connection");
    conn.execute_batch(
        "CREATE VIRTUAL TABLE station_rtree USING rtree(pk, min_lon, max_lon, min_lat, max_lat);
         INSERT INTO station_rtree SELECT pk, lon, lon, lat, lat FROM stations;",
    )
    .expect("rtree");
    catalog
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

fn filter(services: ServiceSet) -> Filter {
    let mut f = Filter::any_at(
        NaiveDate::from_ymd_opt(2026, 11, 27)
            .and_then(|d| d.and_hms_opt(12, 0, 0))
            .expect("date"),
    );
    f.services = services;
    f
}

/// (a) SQLite R*Tree: query a lat/lon box around the point, widen it until the k-th nearest
/// match lies inside the box's inscribed circle, so the answer is exact.
fn rtree_nearest(conn: &Connection, at: LatLon, mask: u32) -> Vec<(i64, f64, String)> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT s.pk, s.lat, s.lon, s.id FROM station_rtree r JOIN stations s ON s.pk = r.pk
             WHERE r.min_lon <= ?1 AND r.max_lon >= ?2 AND r.min_lat <= ?3 AND r.max_lat >= ?4
               AND (s.services & ?5) = ?5",
        )
        .expect("prepare");
    let mut half_deg = 0.05_f64;
    loop {
        let cos_lat = at.lat.to_radians().cos().max(1e-6);
        let half_lon = (half_deg / cos_lat).min(180.0);
        let rows = stmt
            .query_map(
                rusqlite::params![
                    at.lon + half_lon,
                    at.lon - half_lon,
                    at.lat + half_deg,
                    at.lat - half_deg,
                    mask
                ],
                |r| {
                    let p = LatLon {
                        lat: r.get(1)?,
                        lon: r.get(2)?,
                    };
                    Ok((
                        r.get::<_, i64>(0)?,
                        at.distance_m(p),
                        r.get::<_, String>(3)?,
                    ))
                },
            )
            .expect("query");
        let mut found: Vec<(i64, f64, String)> = rows.map(|r| r.expect("row")).collect();
        found.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.2.cmp(&b.2)));
        // Great-circle distance from the point to the nearest edge of the box.
        let to_parallel = half_deg.to_radians();
        let to_meridian =
            (half_lon.to_radians().min(std::f64::consts::FRAC_PI_2).sin() * cos_lat).asin();
        let inscribed_m = EARTH_RADIUS_M * to_parallel.min(to_meridian);
        let whole_world = half_deg >= 180.0;
        if whole_world || (found.len() >= K && found[K - 1].1 <= inscribed_m) {
            found.truncate(K);
            return found;
        }
        half_deg *= 2.0;
    }
}

/// (b) Brute force: every station, filter then haversine, keep the best k.
fn brute_nearest(index: &SpatialIndex, at: LatLon, f: &Filter) -> Vec<Found> {
    let mut all: Vec<Found> = index
        .summaries()
        .filter(|(pk, s)| f.admits(index, *pk, s))
        .map(|(pk, s)| Found {
            pk,
            distance_m: at.distance_m(s.location),
        })
        .collect();
    let k = K.min(all.len());
    if k < all.len() {
        all.select_nth_unstable_by(k, |a, b| a.distance_m.total_cmp(&b.distance_m));
        // Keep everything tied with the k-th so the id tie-break sees all of them.
        let kth = all[..=k].iter().map(|f| f.distance_m).fold(0.0, f64::max);
        all.retain(|f| f.distance_m <= kth);
    }
    query::sort_found(index, &mut all);
    all.truncate(K);
    all
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bench.sqlite");
    eprintln!("building a {}-station catalog…", stations());
    let catalog = build(&path);
    let conn = Connection::open(&path).expect("connection");
    let index = catalog.index();
    let services: ServiceSet = [Service::Shower, Service::DrinkingWater]
        .into_iter()
        .collect();
    let f = filter(services);
    let points = query_points(200);

    // Identical answers first: the same ids in the same order from all three.
    for &p in &points {
        let ours: Vec<i64> = query::nearest(index, p, K, &f)
            .iter()
            .map(|x| x.pk as i64)
            .collect();
        let rtree: Vec<i64> = rtree_nearest(&conn, p, services.bits())
            .iter()
            .map(|x| x.0)
            .collect();
        let brute: Vec<i64> = brute_nearest(index, p, &f)
            .iter()
            .map(|x| x.pk as i64)
            .collect();
        assert_eq!(ours, brute, "index vs brute force at {p}");
        assert_eq!(ours, rtree, "index vs SQLite R*Tree at {p}");
    }
    eprintln!("all three agree on {} query points", points.len());

    let mut group = c.benchmark_group("nearest10_shower_drinking_water");
    group.throughput(Throughput::Elements(points.len() as u64));
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(4));
    group.sample_size(20);
    group.bench_function("unit_vector_rstar", |b| {
        b.iter(|| {
            points
                .iter()
                .map(|&p| query::nearest(index, black_box(p), K, &f).len())
                .sum::<usize>()
        })
    });
    group.bench_function("sqlite_rtree_expanding_box", |b| {
        b.iter(|| {
            points
                .iter()
                .map(|&p| rtree_nearest(&conn, black_box(p), services.bits()).len())
                .sum::<usize>()
        })
    });
    group.bench_function("brute_force_scan", |b| {
        b.iter(|| {
            points
                .iter()
                .map(|&p| brute_nearest(index, black_box(p), &f).len())
                .sum::<usize>()
        })
    });
    group.finish();

    let mut open = c.benchmark_group("open");
    open.sample_size(10);
    open.measurement_time(Duration::from_secs(5));
    open.bench_function("open_catalog_and_build_index", |b| {
        b.iter(|| Catalog::open(black_box(&path)).expect("open").len())
    });
    open.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

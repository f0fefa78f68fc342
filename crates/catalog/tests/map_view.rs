//! Property test: what the map shows of a view agrees with an independent brute-force grouping of
//! the same stations — Web Mercator worked by hand, every station put in its grid cell one by one, no
//! Z-order, no quadtree — on random catalogs in a real SQLite file, after stations moved, were
//! added and were deleted since the map's clusters were first made.

use proptest::prelude::*;
use std::collections::BTreeMap;
use waystation_catalog::index::clusters::APART_PX;
use waystation_catalog::model::{Kind, ServiceSet, Source, Station, Status};
use waystation_catalog::progress::Silent;
use waystation_catalog::request::MapViewRequest;
use waystation_catalog::{Catalog, LatLon, MapView};

const PLACES: [(f64, f64); 4] = [
    (53.47, 122.35), // Mohe
    (39.47, 75.99),  // Kashgar
    (22.54, 114.06), // Shenzhen
    (0.01, 0.01),    // where the world's quadrants meet: Z-order's worst case
];

/// The oracle's Mercator: y from ln(tan(π/4 + φ/2)) (the library uses tan φ + sec φ).
fn world(p: LatLon) -> (f64, f64) {
    let y = 0.5
        - (std::f64::consts::FRAC_PI_4 + p.lat.to_radians() / 2.0)
            .tan()
            .ln()
            / (2.0 * std::f64::consts::PI);
    ((p.lon + 180.0) / 360.0, y)
}

/// The position of a world point, the oracle's way (the Gudermannian).
fn lat_lon(x: f64, y: f64) -> LatLon {
    let lat = (2.0 * ((1.0 - 2.0 * y) * std::f64::consts::PI).exp().atan()
        - std::f64::consts::FRAC_PI_2)
        .to_degrees();
    LatLon {
        lat,
        lon: x * 360.0 - 180.0,
    }
}

/// The cell of a world point at a level: 2^(level + 3) cells a side (64 px of a 512-px world).
fn cell(p: (f64, f64), level: u32) -> (i64, i64) {
    let n = f64::from(1u32 << (level + 3));
    let at = |v: f64| ((v * n).floor() as i64).clamp(0, n as i64 - 1);
    (at(p.0), at(p.1))
}

fn haversine_m(a: LatLon, b: LatLon) -> f64 {
    let (p1, p2) = (a.lat.to_radians(), b.lat.to_radians());
    let dl = (b.lon - a.lon).to_radians();
    let h = ((p2 - p1) / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * 6_371_008.8 * h.sqrt().min(1.0).asin()
}

fn station(i: usize, location: LatLon) -> Station {
    Station {
        id: format!("m{i:04}"),
        kind: Kind::ALL[i % Kind::ALL.len()],
        name: format!("地图站{i}"),
        address: String::new(),
        adcode: "440305".into(),
        location,
        services: ServiceSet::from_bits(1),
        opening_hours: None,
        phone: None,
        truck_spaces: None,
        free_truck_spaces: None,
        status: Status::Open,
        notice: None,
        source: Source::Synthetic,
        version: 1,
        updated_at: "2026-01-01T00:00:00Z".into(),
    }
}

prop_compose! {
    /// Stations around one place, near and far apart, some on the same spot.
    fn stations()(
        centre in 0..PLACES.len(),
        spread in prop_oneof![Just(0.002), Just(0.05), Just(1.0), Just(8.0)],
        raw in prop::collection::vec((-1.0..1.0f64, -1.0..1.0f64, 0..5usize), 1..200),
    ) -> Vec<Station> {
        let (lat, lon) = PLACES[centre];
        let mut out: Vec<Station> = Vec::new();
        for (i, (dy, dx, same)) in raw.into_iter().enumerate() {
            let location = match (same, out.last()) {
                (0, Some(prev)) => prev.location,
                _ => LatLon::new(lat + dy * spread, lon + dx * spread).expect("in range"),
            };
            out.push(station(i, location));
        }
        out
    }
}

/// A view of `width` × `height` pixels around (lat, lon) at `zoom`.
fn view(centre: LatLon, zoom: f64, width: f64, height: f64) -> MapViewRequest {
    let world_px = 512.0 * zoom.exp2();
    let (x, y) = world(centre);
    let (dx, dy) = (width / 2.0 / world_px, height / 2.0 / world_px);
    let (x0, x1) = ((x - dx).max(0.0), (x + dx).min(1.0));
    let (y0, y1) = ((y - dy).max(0.0), (y + dy).min(1.0));
    let (nw, se) = (lat_lon(x0, y0), lat_lon(x1, y1));
    MapViewRequest {
        south: Some(se.lat),
        west: Some(nw.lon),
        north: Some(nw.lat),
        east: Some(se.lon),
        zoom: Some(zoom),
        crs: None,
    }
}

/// What the oracle expects: the stations of the view's cells, by cell.
fn by_cell(
    stations: &[Station],
    r: &MapViewRequest,
    level: u32,
) -> BTreeMap<(i64, i64), Vec<usize>> {
    let corner = |lat: Option<f64>, lon: Option<f64>| {
        world(LatLon {
            lat: lat.expect("lat"),
            lon: lon.expect("lon"),
        })
    };
    let (c0, r0) = cell(corner(r.north, r.west), level);
    let (c1, r1) = cell(corner(r.south, r.east), level);
    let mut cells: BTreeMap<(i64, i64), Vec<usize>> = BTreeMap::new();
    for (i, s) in stations.iter().enumerate() {
        let (c, row) = cell(world(s.location), level);
        if (c0..=c1).contains(&c) && (r0..=r1).contains(&row) {
            cells.entry((c, row)).or_default().push(i);
        }
    }
    cells
}

/// The first level at which some of `members` stand in different cells (14: none).
fn parts_at(stations: &[Station], members: &[usize], level: u32) -> u8 {
    (level + 1..=13)
        .find(|&deeper| {
            let first = cell(world(stations[members[0]].location), deeper);
            members
                .iter()
                .any(|&m| cell(world(stations[m].location), deeper) != first)
        })
        .map_or(14, |l| l as u8)
}

fn check(stations: &[Station], r: &MapViewRequest, got: &MapView) -> Result<(), TestCaseError> {
    let zoom = r.zoom.expect("zoom");
    let level = zoom.round().clamp(0.0, 13.0) as u32;
    let cells = by_cell(stations, r, level);
    let in_view: usize = cells.values().map(Vec::len).sum();
    prop_assert_eq!(got.in_view, in_view as u64);
    let mut alone: Vec<&str> = got.stations.ids.iter().map(String::as_str).collect();
    alone.sort_unstable();
    if zoom >= 13.5 {
        prop_assert_eq!(got.level, 14);
        prop_assert!(got.clusters.count.is_empty());
        let mut want: Vec<&str> = cells
            .values()
            .flatten()
            .map(|&i| stations[i].id.as_str())
            .collect();
        want.sort_unstable();
        prop_assert_eq!(alone, want);
        return Ok(());
    }
    prop_assert_eq!(u32::from(got.level), level);
    let (c, alone_at) = (&got.clusters, &got.stations);
    let clustered: u64 = c.count.iter().map(|&n| u64::from(n)).sum();
    prop_assert_eq!(
        clustered + alone.len() as u64,
        in_view as u64,
        "every station once"
    );
    // Nothing drawn nearer another than APART_PX (a pixel for rounding to 1e-5°).
    let px = 512.0 * zoom.exp2();
    let mut points: Vec<(f64, f64)> = (0..c.count.len())
        .map(|i| {
            world(LatLon {
                lat: c.lat[i],
                lon: c.lon[i],
            })
        })
        .collect();
    points.extend((0..alone_at.ids.len()).map(|i| {
        world(LatLon {
            lat: alone_at.lat[i],
            lon: alone_at.lon[i],
        })
    }));
    for (i, a) in points.iter().enumerate() {
        for b in &points[i + 1..] {
            let apart = (a.0 - b.0).hypot(a.1 - b.1) * px;
            prop_assert!(
                apart >= APART_PX - 1.0,
                "drawn {apart:.1} px apart at zoom {zoom}"
            );
        }
    }
    // A station drawn alone is alone in its cell.
    let singles: Vec<&str> = cells
        .values()
        .filter(|m| m.len() == 1)
        .map(|m| stations[m[0]].id.as_str())
        .collect();
    for id in &alone {
        prop_assert!(
            singles.contains(id),
            "{id} is drawn alone but shares its cell"
        );
    }
    // Each cluster stands where one cell's stations have their mean, holding them (and any it
    // folded in); one that folded nothing in parts where the cell does, a fold one level deeper.
    let mut groups: Vec<&Vec<usize>> = cells.values().collect();
    for i in 0..c.count.len() {
        let at = LatLon {
            lat: c.lat[i],
            lon: c.lon[i],
        };
        let found = groups.iter().position(|m| {
            let (sx, sy) = m.iter().fold((0.0, 0.0), |(sx, sy), &k| {
                let (x, y) = world(stations[k].location);
                (sx + x, sy + y)
            });
            let n = m.len() as f64;
            m.len() <= c.count[i] as usize && haversine_m(lat_lon(sx / n, sy / n), at) < 5.0
        });
        prop_assert!(
            found.is_some(),
            "cluster {i} ({} at {at:?}) stands at no cell's mean",
            c.count[i]
        );
        let members = groups.swap_remove(found.unwrap_or_default());
        let want = if members.len() == c.count[i] as usize {
            parts_at(stations, members, level)
        } else {
            level as u8 + 1
        };
        prop_assert_eq!(c.expand[i], want, "cluster {}", i);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn map_views_equal_brute_force_grouping(
        mut stations in stations(),
        views in prop::collection::vec(
            (0.0..16.0f64, 100.0..4000.0f64, 100.0..3000.0f64, -1.0..1.0f64, -1.0..1.0f64),
            1..6,
        ),
    ) {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut catalog = Catalog::open(&dir.path().join("c.sqlite")).expect("open");
        let split = stations.len() / 2 + 1;
        catalog.import(stations[..split].to_vec(), &mut Silent).expect("import");
        // The clusters are made now, then must follow every change after.
        let centre = stations[0].location;
        let world = view(LatLon { lat: 0.0, lon: 0.0 }, 0.0, 512.0, 512.0);
        prop_assert_eq!(catalog.map_view(&world.check().expect("valid")).in_view, split as u64);
        let mut changed: Vec<Station> = stations[split..].to_vec();
        for s in stations[..split].iter_mut().step_by(3) {
            s.location = LatLon::new(s.location.lat + 0.01, s.location.lon - 0.02).expect("in range");
            changed.push(s.clone());
        }
        catalog.import(changed, &mut Silent).expect("second import");
        if stations.len() > 2 {
            catalog.delete_station(&stations[1].id, "test").expect("delete");
            stations.remove(1);
        }
        for (zoom, width, height, dy, dx) in views {
            let at = LatLon::new(centre.lat + dy * 3.0, centre.lon + dx * 3.0).expect("in range");
            let r = view(at, zoom, width, height);
            let got = catalog.map_view(&r.check().expect("a view the map can ask"));
            check(&stations, &r, &got)?;
        }
    }
}

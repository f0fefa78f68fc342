//! Property tests: every spatial query equals an independent brute-force scan over the same
//! stations, in the same order (distance, then id), on random catalogs stored in a real SQLite
//! file, including high latitudes (Mohe), the far west (Kashgar), exact ties and query points
//! far from every station.

use chrono::NaiveDate;
use proptest::prelude::*;
use waystation_catalog::arrival::Travel;
use waystation_catalog::index::Origin;
use waystation_catalog::model::{Kind, Service, ServiceSet, Source, Station, Status};
use waystation_catalog::progress::Silent;
use waystation_catalog::query::{Ahead, Arrival, BBox, Filter};
use waystation_catalog::{Catalog, KindSet, LatLon, Route};

/// The oracle's own haversine (not the library's), on the mean Earth radius.
fn haversine_m(a: LatLon, b: LatLon) -> f64 {
    let (p1, p2) = (a.lat.to_radians(), b.lat.to_radians());
    let dp = p2 - p1;
    let dl = (b.lon - a.lon).to_radians();
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * 6_371_008.8 * h.sqrt().min(1.0).asin()
}

fn bearing_deg(a: LatLon, b: LatLon) -> f64 {
    let (p1, p2) = (a.lat.to_radians(), b.lat.to_radians());
    let dl = (b.lon - a.lon).to_radians();
    let y = dl.sin() * p2.cos();
    let x = p1.cos() * p2.sin() - p1.sin() * p2.cos() * dl.cos();
    y.atan2(x).to_degrees().rem_euclid(360.0)
}

/// Cross-track and along-track distance of `p` from the great-circle segment a→b, by the
/// classic spherical-trigonometry formulas (a different method from the library's vectors).
fn segment_offset(a: LatLon, b: LatLon, p: LatLon) -> (f64, f64) {
    let r = 6_371_008.8;
    let d13 = haversine_m(a, p) / r;
    let d12 = haversine_m(a, b) / r;
    if d12 < 1e-12 {
        return (d13 * r, 0.0);
    }
    let t13 = bearing_deg(a, p).to_radians();
    let t12 = bearing_deg(a, b).to_radians();
    let xt = (d13.sin() * (t13 - t12).sin()).asin();
    let at = (d13.cos() / xt.cos()).clamp(-1.0, 1.0).acos();
    let forward = (t13 - t12).cos() >= 0.0;
    if forward && at <= d12 {
        (xt.abs() * r, at * r)
    } else {
        let (da, db) = (d13 * r, haversine_m(b, p));
        if da <= db { (da, 0.0) } else { (db, d12 * r) }
    }
}

const PLACES: [(f64, f64); 4] = [
    (53.47, 122.35), // Mohe
    (39.47, 75.99),  // Kashgar
    (22.54, 114.06), // Shenzhen
    (45.75, 126.63), // Harbin
];

fn station(
    i: usize,
    loc: LatLon,
    kind: Kind,
    services: ServiceSet,
    status: Status,
    hours: Option<&str>,
) -> Station {
    Station {
        id: format!("t{:04}", (i * 7919) % 10_000), // ids not in insertion order
        kind,
        name: format!("测试站{i}"),
        address: String::new(),
        adcode: "440305".into(),
        location: loc,
        services,
        opening_hours: hours.map(str::to_string),
        phone: None,
        truck_spaces: None,
        free_truck_spaces: None,
        status,
        notice: None,
        source: Source::Synthetic,
        version: 1,
        updated_at: "2026-01-01T00:00:00Z".into(),
    }
}

/// The services the random catalogs use, in bit order.
const SIX_SERVICES: [Service; 6] = [
    Service::Parking,
    Service::TruckParking,
    Service::Rest,
    Service::Overnight,
    Service::Shower,
    Service::Laundry,
];

/// Six services: three common, three rare (so the index builds per-service trees for them).
fn services() -> impl Strategy<Value = u32> {
    let rare = prop::bool::weighted(0.12);
    let common = prop::bool::weighted(0.7);
    (common, common, common, rare, rare, rare).prop_map(|b| {
        [b.0, b.1, b.2, b.3, b.4, b.5]
            .iter()
            .enumerate()
            .fold(0, |acc, (i, on)| if *on { acc | (1 << i) } else { acc })
    })
}

prop_compose! {
    /// Stations clustered around one of the places, some sharing exact positions (ties).
    fn stations()(
        centre in 0..PLACES.len(),
        spread in prop_oneof![Just(0.05), Just(0.5), Just(3.0)],
        raw in prop::collection::vec(
            (-1.0..1.0f64, -1.0..1.0f64, 0..4usize, services(), 0..3usize, 0..3usize, 0..4usize),
            1..160,
        ),
    ) -> Vec<Station> {
        let (clat, clon) = PLACES[centre];
        let mut out: Vec<Station> = Vec::new();
        for (i, (dy, dx, kind, bits, status, hours, dup)) in raw.into_iter().enumerate() {
            let loc = match (dup, out.last()) {
                (0, Some(prev)) => prev.location, // an exact tie with the previous station
                _ => LatLon::new(clat + dy * spread, clon + dx * spread).expect("in range"),
            };
            let hours = [Some("24/7"), Some("Mo-Fr 08:00-18:00"), None][hours];
            let status = [Status::Open, Status::Open, Status::TemporarilyClosed][status];
            out.push(station(i, loc, Kind::ALL[kind], ServiceSet::from_bits(bits), status, hours));
        }
        out
    }
}

prop_compose! {
    fn query_point()(which in 0..3usize, centre in 0..PLACES.len(), dy in -2.0..2.0f64, dx in -2.0..2.0f64) -> LatLon {
        match which {
            // far from every station: the South Atlantic, and the antipode region of China
            0 => LatLon::new(-40.0 + dy, -20.0 + dx).expect("in range"),
            _ => LatLon::new(PLACES[centre].0 + dy, PLACES[centre].1 + dx).expect("in range"),
        }
    }
}

prop_compose! {
    fn filter()(
        kinds in prop::collection::vec(0..4usize, 0..3),
        services in prop::sample::subsequence(SIX_SERVICES.to_vec(), 0..3),
        open_only in any::<bool>(),
        hour in 0..24u32,
        max_km in prop::option::of(1.0..400.0f64),
        ahead in prop::option::of((0.0..360.0f64, 10.0..120.0f64)),
        arrive_open_at_kmh in prop::option::of(5.0..120.0f64),
        confirmed in prop::bool::weighted(0.3),
    ) -> Filter {
        let time = NaiveDate::from_ymd_opt(2026, 11, 27).and_then(|d| d.and_hms_opt(hour, 0, 0)).expect("valid");
        Filter {
            kinds: kinds.into_iter().map(|k| Kind::ALL[k]).collect::<KindSet>(),
            services: services.into_iter().collect(),
            statuses: Vec::new(),
            open_only,
            time,
            max_distance_m: max_km.map(|k| k * 1000.0),
            ahead: ahead.map(|(heading_deg, cone_deg)| Ahead { heading_deg, cone_deg }),
            // Departing at the filter's time (China time, UTC+8), keeping only stations open
            // when reached.
            arrival: arrive_open_at_kmh.map(|speed_kmh| Arrival {
                travel: Travel { depart: (time - chrono::TimeDelta::hours(8)).and_utc(), speed_kmh },
                open_only: true,
            }),
            confirmed,
        }
    }
}

/// Drivers' words: (station index, fact index into `FACTS`, holds, days before `SAID_BEFORE`).
type Said = Vec<(usize, usize, bool, i64)>;

fn said() -> impl Strategy<Value = Said> {
    prop::collection::vec(
        (
            0..1000usize,
            0..7usize,
            prop::bool::weighted(0.7),
            0..150i64,
        ),
        0..60,
    )
}

/// The facts a driver confirms in these tests: being open and the six services.
const FACTS: [&str; 7] = [
    "open",
    "parking",
    "truck_parking",
    "rest",
    "overnight",
    "shower",
    "laundry",
];

/// Confirmations are said this many days before the filters' day (2026-11-27 00:00 UTC).
fn said_at(days_before: i64) -> chrono::DateTime<chrono::Utc> {
    NaiveDate::from_ymd_opt(2026, 11, 27)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .expect("valid")
        .and_utc()
        - chrono::TimeDelta::days(days_before)
}

/// The oracle's confirmed facts of each station id, from the words themselves: a fact is
/// confirmed at `time` (China local) when it was last said to hold within 90 days, unless its
/// denials in the 30 days before the station's last word outnumber its confirmations (and are
/// at least two). Words are said oldest first, one device each.
type Confirmed =
    std::collections::HashMap<String, Vec<(&'static str, chrono::NaiveDateTime, bool)>>;

fn confirmed_facts(stations: &[Station], said: &Said) -> Confirmed {
    let mut by_station: std::collections::HashMap<usize, Vec<(usize, bool, i64)>> =
        Default::default();
    for (i, fact, holds, days) in said {
        by_station
            .entry(i % stations.len())
            .or_default()
            .push((*fact, *holds, *days));
    }
    let mut out = Confirmed::new();
    for (i, words) in by_station {
        let latest = said_at(words.iter().map(|w| w.2).min().expect("one word"));
        let mut facts = Vec::new();
        for (f, name) in FACTS.iter().enumerate() {
            let mine: Vec<_> = words.iter().filter(|w| w.0 == f).collect();
            let Some(last) = mine.iter().filter(|w| w.1).map(|w| said_at(w.2)).max() else {
                continue;
            };
            let recent = |holds: bool| {
                mine.iter()
                    .filter(|w| {
                        w.1 == holds && latest - said_at(w.2) <= chrono::TimeDelta::days(30)
                    })
                    .count()
            };
            let disputed = recent(false) > recent(true) && recent(false) >= 2;
            // China local time is UTC+8.
            facts.push((
                *name,
                last.naive_utc() + chrono::TimeDelta::hours(8),
                disputed,
            ));
        }
        out.insert(stations[i].id.clone(), facts);
    }
    out
}

/// Says the words to the catalog, oldest first, each from its own device.
fn confirm_all(catalog: &mut Catalog, stations: &[Station], said: &Said) {
    let mut words = said.clone();
    words.sort_by_key(|w| std::cmp::Reverse(w.3));
    for (n, (i, fact, holds, days)) in words.into_iter().enumerate() {
        let c = waystation_catalog::confirmations::Confirmation {
            station_id: stations[i % stations.len()].id.clone(),
            fact: FACTS[fact].into(),
            holds,
            device: None,
        };
        let at = said_at(days).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let device = format!("device-{n}");
        catalog
            .confirm(&[c], &device, &device, &at)
            .expect("confirm");
    }
}

/// What the filter admits, decided from the station's fields (not the index's summaries) and
/// the oracle's confirmed facts.
fn admits(f: &Filter, s: &Station, from: LatLon, confirmed: &Confirmed) -> bool {
    let open_at = |t: chrono::NaiveDateTime| {
        s.status == Status::Open
            && match s.opening_hours.as_deref() {
                Some("24/7") => true,
                Some("Mo-Fr 08:00-18:00") => {
                    chrono::Datelike::weekday(&t).number_from_monday() <= 5
                        && (8..18).contains(&chrono::Timelike::hour(&t))
                }
                _ => false,
            }
    };
    let open = open_at(f.time);
    // Reached after the great-circle distance at the speed, to the second.
    let open_on_arrival = f.arrival.is_none_or(|a| {
        let seconds = (haversine_m(from, s.location) / (a.travel.speed_kmh / 3.6)).round();
        open_at(f.time + chrono::TimeDelta::seconds(seconds as i64))
    });
    let ahead = f.ahead.is_none_or(|a| {
        let d = (bearing_deg(from, s.location) - a.heading_deg).rem_euclid(360.0);
        d.min(360.0 - d) <= a.cone_deg
    });
    let fresh = |fact: &str| {
        confirmed.get(&s.id).is_some_and(|facts| {
            facts.iter().any(|(name, last, disputed)| {
                (fact.is_empty() || *name == fact)
                    && !disputed
                    && f.time - *last <= chrono::TimeDelta::days(90)
            })
        })
    };
    let mut required: Vec<&str> = f.services.iter().map(|sv| sv.id()).collect();
    if f.open_only {
        required.push("open");
    }
    let confirmed_ok = !f.confirmed
        || if required.is_empty() {
            fresh("")
        } else {
            required.iter().all(|r| fresh(r))
        };
    f.kinds.allows(s.kind)
        && s.services.contains_all(f.services)
        && (!f.open_only || open)
        && ahead
        && open_on_arrival
        && confirmed_ok
}

fn brute_force(
    stations: &[Station],
    confirmed: &Confirmed,
    at: LatLon,
    f: &Filter,
    radius_m: f64,
) -> Vec<(String, f64)> {
    let mut all: Vec<(String, f64)> = stations
        .iter()
        .map(|s| (s, haversine_m(at, s.location)))
        .filter(|(s, d)| {
            admits(f, s, at, confirmed)
                && *d <= radius_m
                && f.max_distance_m.is_none_or(|m| *d <= m)
        })
        .map(|(s, d)| (s.id.clone(), d))
        .collect();
    all.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    all
}

/// Imports the stations in two steps: most in one batch (the index is rebuilt), then drivers'
/// confirmations of those (`said`), then the rest plus edits that move every fifth station and
/// change its services (applied in place to the trees). `stations` is updated to the final
/// state, for the oracle.
fn open_catalog(stations: &mut [Station], said: &Said) -> (tempfile::TempDir, Catalog, Confirmed) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut catalog = Catalog::open(&dir.path().join("c.sqlite")).expect("open");
    let split = (stations.len() * 2 / 3 + 1).min(stations.len());
    catalog
        .import(stations[..split].to_vec(), &mut Silent)
        .expect("import");
    confirm_all(&mut catalog, &stations[..split], said);
    let confirmed = confirmed_facts(&stations[..split], said);
    let mut second: Vec<Station> = stations[split..].to_vec();
    for s in stations[..split].iter_mut().step_by(5) {
        s.location =
            LatLon::new(s.location.lat * 0.999 + 0.01, s.location.lon + 0.003).expect("in range");
        s.services = ServiceSet::from_bits(s.services.bits() ^ 0b101_010);
        second.push(s.clone());
    }
    catalog.import(second, &mut Silent).expect("second import");
    (dir, catalog, confirmed)
}

/// Same ids in the same order, and distances equal to the oracle's within float noise.
fn assert_same(got: &[(String, f64)], want: &[(String, f64)]) -> Result<(), TestCaseError> {
    let ids = |v: &[(String, f64)]| v.iter().map(|x| x.0.clone()).collect::<Vec<_>>();
    prop_assert_eq!(ids(got), ids(want));
    for (g, w) in got.iter().zip(want) {
        prop_assert!((g.1 - w.1).abs() < 1e-6, "{} vs {}", g.1, w.1);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn nearest_and_within_equal_brute_force(
        mut stations in stations(),
        at in query_point(),
        f in filter(),
        k in 1..12usize,
        radius_km in 0.5..300.0f64,
        said in said(),
    ) {
        let (dir, catalog, confirmed) = open_catalog(&mut stations, &said);

        let got: Vec<(String, f64)> = catalog.nearest(at, k, &f).expect("nearest")
            .into_iter().map(|h| (h.station.id, h.distance_m.expect("distance"))).collect();
        let mut want = brute_force(&stations, &confirmed, at, &f, f64::INFINITY);
        want.truncate(k);
        assert_same(&got, &want)?;

        // The same from an index loaded afresh from the file (tallies read from the store).
        drop(catalog);
        let catalog = Catalog::open(&dir.path().join("c.sqlite")).expect("reopen");
        let got: Vec<(String, f64)> = catalog.nearest(at, k, &f).expect("nearest")
            .into_iter().map(|h| (h.station.id, h.distance_m.expect("distance"))).collect();
        assert_same(&got, &want)?;

        let got: Vec<(String, f64)> = catalog.within(at, radius_km * 1000.0, &f).expect("within")
            .into_iter().map(|h| (h.station.id, h.distance_m.expect("distance"))).collect();
        assert_same(&got, &brute_force(&stations, &confirmed, at, &f, radius_km * 1000.0))?;

        // And from the index the file keeps (packed by the open above, nothing written since).
        drop(catalog);
        let catalog = Catalog::open(&dir.path().join("c.sqlite")).expect("reopen");
        prop_assert_eq!(catalog.index().origin(), Origin::Packed);
        let got: Vec<(String, f64)> = catalog.nearest(at, k, &f).expect("nearest")
            .into_iter().map(|h| (h.station.id, h.distance_m.expect("distance"))).collect();
        assert_same(&got, &want)?;
        let got: Vec<(String, f64)> = catalog.within(at, radius_km * 1000.0, &f).expect("within")
            .into_iter().map(|h| (h.station.id, h.distance_m.expect("distance"))).collect();
        assert_same(&got, &brute_force(&stations, &confirmed, at, &f, radius_km * 1000.0))?;
    }

    #[test]
    fn bbox_equals_brute_force(
        mut stations in stations(),
        centre in 0..PLACES.len(),
        half in (0.01..2.0f64, 0.01..2.0f64),
        wanted in prop::sample::subsequence(SIX_SERVICES.to_vec(), 0..3),
    ) {
        let (_dir, catalog, _) = open_catalog(&mut stations, &Vec::new());
        let (lat, lon) = PLACES[centre];
        let bbox = BBox { south: lat - half.0, north: lat + half.0, west: lon - half.1, east: lon + half.1 };
        let mut f = Filter::any_at(NaiveDate::from_ymd_opt(2026, 1, 1).and_then(|d| d.and_hms_opt(12, 0, 0)).expect("valid"));
        f.services = wanted.into_iter().collect();
        let mut got: Vec<String> = catalog.in_box(&bbox, usize::MAX, &f).expect("bbox")
            .into_iter().map(|h| h.station.id).collect();
        let mut want: Vec<String> = stations.iter()
            .filter(|s| (bbox.south..=bbox.north).contains(&s.location.lat) && (bbox.west..=bbox.east).contains(&s.location.lon))
            .filter(|s| s.services.contains_all(f.services))
            .map(|s| s.id.clone()).collect();
        got.sort();
        want.sort();
        prop_assert_eq!(got, want);
    }

    #[test]
    fn along_route_equals_brute_force(
        mut stations in stations(),
        centre in 0..PLACES.len(),
        legs in prop::collection::vec((-1.5..1.5f64, -1.5..1.5f64), 2..6),
        within_km in 1.0..60.0f64,
        wanted in prop::sample::subsequence(SIX_SERVICES.to_vec(), 0..3),
    ) {
        let (_dir, catalog, _) = open_catalog(&mut stations, &Vec::new());
        let (lat, lon) = PLACES[centre];
        let points: Vec<LatLon> = legs.iter().map(|(dy, dx)| LatLon::new(lat + dy, lon + dx).expect("in range")).collect();
        let route = Route::new(points.clone()).expect("route");
        let mut f = Filter::any_at(NaiveDate::from_ymd_opt(2026, 1, 1).and_then(|d| d.and_hms_opt(12, 0, 0)).expect("valid"));
        f.services = wanted.into_iter().collect();
        let within_m = within_km * 1000.0;
        let hits = catalog.along(&route, within_m, &f).expect("along");

        // Oracle: closest approach over every segment, along-route position at that approach.
        let mut want = std::collections::BTreeMap::new();
        let mut borderline = std::collections::HashSet::new();
        for s in &stations {
            let mut best: Option<(f64, f64)> = None;
            let mut start = 0.0;
            for w in points.windows(2) {
                let (off, along) = segment_offset(w[0], w[1], s.location);
                if best.is_none_or(|b| off < b.0) {
                    best = Some((off, start + along));
                }
                start += haversine_m(w[0], w[1]);
            }
            let (off, along) = best.expect("route has segments");
            if !s.services.contains_all(f.services) {
                continue;
            }
            // A station a centimetre from the limit may fall either side by float noise.
            if (off - within_m).abs() < 0.01 {
                borderline.insert(s.id.clone());
            } else if off <= within_m {
                want.insert(s.id.clone(), (along, off));
            }
        }
        let got: std::collections::BTreeMap<String, (f64, f64)> = hits.iter()
            .filter(|h| !borderline.contains(&h.station.id))
            .map(|h| (h.station.id.clone(), (h.along_m.expect("along"), h.offset_m.expect("offset"))))
            .collect();
        prop_assert_eq!(got.keys().collect::<Vec<_>>(), want.keys().collect::<Vec<_>>());
        for (id, (along, off)) in &got {
            let (w_along, w_off) = want[id];
            prop_assert!((off - w_off).abs() < 0.01, "{id}: offset {off} vs {w_off}");
            prop_assert!((along - w_along).abs() < 0.5, "{id}: along {along} vs {w_along}");
        }
        // Ordered by distance along the route.
        prop_assert!(hits.windows(2).all(|w| w[0].along_m <= w[1].along_m));
    }
}

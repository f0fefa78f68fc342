//! What `Catalog::nearest` is timed against (benches/nearest.rs) and checked against on a small
//! catalog in `make test` (tests/nearest_baselines.rs): the same whole work — the k nearest stations that
//! pass a filter, their rows read, whether each is open at the asked time — done by SQLite's own
//! R*Tree used well, and by a brute-force scan with filter and distance code of its own.
//!
//! Both read the rows they answer with the catalog's own row reader (`store::stations_by_pk`),
//! as `Catalog::nearest` does, so the rows cost every method the same; each keeps what it needs
//! in memory as the catalog keeps its index (the R*Tree's density table; the scan's columns), built
//! when it opens, not per query.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;

use chrono::NaiveDateTime;
use rusqlite::{Connection, OpenFlags, params};
use waystation_catalog::hours::Hours;
use waystation_catalog::lang::Coded;
use waystation_catalog::query::Filter;
use waystation_catalog::{
    Catalog, Kind, KindSet, LatLon, Service, ServiceSet, Station, Status, store,
};

/// A driver's question: stations of these kinds (none: any kind) offering every one of these
/// services, known to be open at `time` when `open_only`.
#[derive(Clone, Debug)]
pub struct Want {
    pub kinds: Vec<Kind>,
    pub services: Vec<Service>,
    pub open_only: bool,
    pub time: NaiveDateTime,
}

impl Want {
    /// The same question as the catalog takes it.
    pub fn filter(&self) -> Filter {
        let mut f = Filter::any_at(self.time);
        f.kinds = self.kinds.iter().copied().collect::<KindSet>();
        f.services = self.services.iter().copied().collect::<ServiceSet>();
        f.open_only = self.open_only;
        f
    }

    /// The services as the file stores them: bit `n` for the n-th service of the vocabulary.
    fn mask(&self) -> i64 {
        self.services.iter().fold(0, |m, s| m | 1 << *s as u32)
    }

    /// `kind` as the file stores it: the kind's code.
    fn allows_kind(&self, kind: i64) -> bool {
        self.kinds.is_empty() || self.kinds.iter().any(|k| k.code() == kind)
    }
}

/// One station of an answer, as every method gives it.
#[derive(Debug, Clone)]
pub struct Nearby {
    pub id: String,
    pub distance_m: f64,
    pub open_now: Option<bool>,
}

/// Asserts that `theirs` (what `method` answered) is `ours`: the same stations in the same
/// order, open or not alike, at the same distances (to a micrometre: two haversines).
pub fn same(method: &str, at: LatLon, want: &Want, ours: &[Nearby], theirs: &[Nearby]) {
    let names = |a: &[Nearby]| {
        a.iter()
            .map(|n| (n.id.clone(), n.open_now))
            .collect::<Vec<_>>()
    };
    assert_eq!(names(ours), names(theirs), "{method} at {at} for {want:?}");
    for (o, t) in ours.iter().zip(theirs) {
        assert!(
            (o.distance_m - t.distance_m).abs() < 1e-6,
            "{method} at {at}: {} is {} m, not {} m",
            o.id,
            t.distance_m,
            o.distance_m
        );
    }
}

/// `Catalog::nearest`'s answer in the baselines' terms.
pub fn ours(catalog: &Catalog, at: LatLon, k: usize, want: &Want) -> Vec<Nearby> {
    let hits = catalog.nearest(at, k, &want.filter()).expect("nearest");
    hits.into_iter()
        .map(|h| Nearby {
            id: h.station.id,
            distance_m: h.distance_m.expect("a distance"),
            open_now: h.open_now,
        })
        .collect()
}

/// Great-circle metres on the mean Earth radius: the baselines' own haversine.
fn haversine_m(a: LatLon, b: LatLon) -> f64 {
    let (p1, p2) = (a.lat.to_radians(), b.lat.to_radians());
    let dl = (b.lon - a.lon).to_radians();
    let h = ((p2 - p1) / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * 6_371_008.8 * h.sqrt().min(1.0).asin()
}

/// Opening hours parsed once per distinct text, as a tuned program would keep them.
#[derive(Default)]
struct HoursCache(RefCell<HashMap<String, Option<Hours>>>);

impl HoursCache {
    /// Open, closed or unknown (None) at `time`: a station not in `open` status is closed
    /// whatever its hours say.
    fn open_at(&self, status: i64, text: Option<&str>, time: NaiveDateTime) -> Option<bool> {
        if status != Status::Open.code() {
            return Some(false);
        }
        let text = text?;
        let mut cache = self.0.borrow_mut();
        if !cache.contains_key(text) {
            cache.insert(text.to_string(), Hours::parse(text).ok());
        }
        cache.get(text)?.as_ref()?.state_at(time).as_option()
    }
}

/// A candidate: primary key, id, distance.
type Candidate = (i64, String, f64);

/// Reads the rows of the best `k` candidates (by distance, then id) and answers with them,
/// each open or not at the asked time.
fn answer(
    conn: &Connection,
    hours: &HoursCache,
    mut found: Vec<Candidate>,
    k: usize,
    want: &Want,
) -> Vec<Nearby> {
    found.sort_by(|a, b| a.2.total_cmp(&b.2).then_with(|| a.1.cmp(&b.1)));
    found.truncate(k);
    let keys: Vec<i64> = found.iter().map(|c| c.0).collect();
    let mut rows: HashMap<i64, Station> = store::stations_by_pk(conn, &keys).expect("rows");
    found
        .into_iter()
        .filter_map(|(pk, _, distance_m)| {
            let station = rows.remove(&pk)?;
            let status = station.status.code();
            let open_now = hours.open_at(status, station.opening_hours.as_deref(), want.time);
            Some(Nearby {
                id: station.id,
                distance_m,
                open_now,
            })
        })
        .collect()
}

/// SQLite's R*Tree used well: auxiliary columns carry each station's position, id, kind,
/// status, service bits and hours, so the search never joins the stations table; the first box
/// is sized from how many stations stand in the query's square degree and how many of all
/// stations pass the filter, and doubled until the k-th match lies inside its inscribed circle
/// (so the answer is exact); the connection maps the file and keeps its statements prepared.
pub struct SqliteRtree {
    conn: Connection,
    hours: HoursCache,
    /// Stations per square degree (by the degree's south-west corner).
    density: HashMap<(i32, i32), u32>,
    total: u32,
    /// The share of all stations that pass each filter asked so far (by its question).
    passing: RefCell<HashMap<String, f64>>,
}

impl SqliteRtree {
    /// Adds the R*Tree beside the catalog's tables (once, before timing).
    pub fn build(path: &Path) {
        let conn = Connection::open(path).expect("open");
        conn.execute_batch(
            "CREATE VIRTUAL TABLE baseline_rtree USING rtree(
                 pk, min_lon, max_lon, min_lat, max_lat,
                 +lat REAL, +lon REAL, +id TEXT, +kind INTEGER, +status INTEGER, +services INTEGER,
                 +opening_hours TEXT);
             INSERT INTO baseline_rtree
                 SELECT pk, lon, lon, lat, lat, lat, lon, id, kind, status, services, opening_hours
                 FROM station_rows;",
        )
        .expect("R*Tree");
    }

    pub fn open(path: &Path) -> SqliteRtree {
        let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("open read-only");
        conn.execute_batch("PRAGMA mmap_size = 1073741824; PRAGMA cache_size = -65536;")
            .expect("pragmas");
        let mut density = HashMap::new();
        let mut total = 0;
        {
            let mut all = conn
                .prepare("SELECT lat, lon FROM stations")
                .expect("positions");
            let mut rows = all.query([]).expect("positions");
            while let Some(r) = rows.next().expect("row") {
                let (lat, lon): (f64, f64) = (r.get(0).expect("lat"), r.get(1).expect("lon"));
                *density
                    .entry((lat.floor() as i32, lon.floor() as i32))
                    .or_insert(0) += 1;
                total += 1;
            }
        }
        SqliteRtree {
            conn,
            hours: HoursCache::default(),
            density,
            total,
            passing: RefCell::default(),
        }
    }

    /// The share of all stations that pass `want`'s kinds and services (counted once per
    /// question; open hours are left to the search).
    fn passing_share(&self, want: &Want) -> f64 {
        let key = format!("{:?}{:?}", want.kinds, want.services);
        if let Some(&share) = self.passing.borrow().get(&key) {
            return share;
        }
        let mut stmt = self
            .conn
            .prepare_cached("SELECT kind FROM stations WHERE services & ?1 = ?1")
            .expect("prepare");
        let kinds = stmt
            .query_map([want.mask()], |r| r.get::<_, i64>(0))
            .expect("count");
        let mut n = 0u32;
        for kind in kinds {
            n += u32::from(want.allows_kind(kind.expect("kind")));
        }
        let share = f64::from(n) / f64::from(self.total.max(1));
        self.passing.borrow_mut().insert(key, share);
        share
    }

    /// Half the side of the first box, in degrees of latitude: the square that should hold
    /// `k` matches where the query stands, with room to spare.
    fn first_half_side(&self, at: LatLon, k: usize, want: &Want) -> f64 {
        let cell = (at.lat.floor() as i32, at.lon.floor() as i32);
        let here = f64::from(self.density.get(&cell).copied().unwrap_or(0));
        let per_sq_deg = here * self.passing_share(want);
        if per_sq_deg <= 0.0 {
            return 0.5;
        }
        let cos_lat = at.lat.to_radians().cos().max(1e-6);
        // Square degrees of latitude × longitude-degrees-as-latitude-degrees.
        let area = k as f64 / per_sq_deg * cos_lat;
        (1.5 * area.sqrt() / 2.0).clamp(0.01, 90.0)
    }

    pub fn nearest(&self, at: LatLon, k: usize, want: &Want) -> Vec<Nearby> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT pk, lat, lon, id, kind, status, opening_hours FROM baseline_rtree
                 WHERE min_lon <= ?1 AND max_lon >= ?2 AND min_lat <= ?3 AND max_lat >= ?4
                   AND services & ?5 = ?5",
            )
            .expect("prepare");
        let mut half_deg = self.first_half_side(at, k, want);
        loop {
            let cos_lat = at.lat.to_radians().cos().max(1e-6);
            let half_lon = (half_deg / cos_lat).min(180.0);
            let mut rows = stmt
                .query(params![
                    at.lon + half_lon,
                    at.lon - half_lon,
                    at.lat + half_deg,
                    at.lat - half_deg,
                    want.mask()
                ])
                .expect("query");
            let mut found: Vec<Candidate> = Vec::new();
            while let Some(r) = rows.next().expect("row") {
                let kind: i64 = r.get(4).expect("kind");
                if !want.allows_kind(kind) {
                    continue;
                }
                if want.open_only {
                    let status: i64 = r.get(5).expect("status");
                    let hours: Option<String> = r.get(6).expect("hours");
                    if self.hours.open_at(status, hours.as_deref(), want.time) != Some(true) {
                        continue;
                    }
                }
                let p = LatLon {
                    lat: r.get(1).expect("lat"),
                    lon: r.get(2).expect("lon"),
                };
                found.push((
                    r.get(0).expect("pk"),
                    r.get(3).expect("id"),
                    haversine_m(at, p),
                ));
            }
            found.sort_by(|a, b| a.2.total_cmp(&b.2).then_with(|| a.1.cmp(&b.1)));
            // Great-circle metres from the point to the nearest edge of the box.
            let to_parallel = half_deg.to_radians();
            let to_meridian =
                (half_lon.to_radians().min(std::f64::consts::FRAC_PI_2).sin() * cos_lat).asin();
            let inscribed_m = 6_371_008.8 * to_parallel.min(to_meridian);
            if half_deg >= 180.0 || (found.len() >= k && found[k - 1].2 <= inscribed_m) {
                return answer(&self.conn, &self.hours, found, k, want);
            }
            half_deg *= 2.0;
        }
    }
}

/// Every station's columns in memory, scanned whole for each question: filter first, then the
/// haversine distance, then the best k. The service bits and positions are columns of their own,
/// so the scan reads little; the rest of a row is looked at only when the question needs it.
pub struct BruteForce {
    conn: Connection,
    hours: HoursCache,
    services: Vec<i64>,
    positions: Vec<LatLon>,
    rows: Vec<ScanRow>,
}

struct ScanRow {
    pk: i64,
    id: String,
    at: LatLon,
    kind: i64,
    status: i64,
    services: i64,
    hours: Option<String>,
}

impl BruteForce {
    pub fn open(path: &Path) -> BruteForce {
        let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("open read-only");
        let rows = {
            let mut stmt = conn
                .prepare(
                    "SELECT pk, id, lat, lon, kind, status, services, opening_hours FROM station_rows",
                )
                .expect("scan");
            stmt.query_map([], |r| {
                Ok(ScanRow {
                    pk: r.get(0)?,
                    id: r.get(1)?,
                    at: LatLon {
                        lat: r.get(2)?,
                        lon: r.get(3)?,
                    },
                    kind: r.get(4)?,
                    status: r.get(5)?,
                    services: r.get(6)?,
                    hours: r.get(7)?,
                })
            })
            .expect("rows")
            .collect::<Result<Vec<_>, _>>()
            .expect("columns")
        };
        BruteForce {
            conn,
            hours: HoursCache::default(),
            services: rows.iter().map(|r| r.services).collect(),
            positions: rows.iter().map(|r| r.at).collect(),
            rows,
        }
    }

    pub fn nearest(&self, at: LatLon, k: usize, want: &Want) -> Vec<Nearby> {
        let mask = want.mask();
        // (row, metres): the rows' ids are looked at only to break ties among the best.
        let mut found: Vec<(usize, f64)> = self
            .services
            .iter()
            .enumerate()
            .filter(|(_, services)| *services & mask == mask)
            .map(|(i, _)| i)
            .filter(|&i| want.kinds.is_empty() || want.allows_kind(self.rows[i].kind))
            .filter(|&i| {
                let r = &self.rows[i];
                !want.open_only
                    || self.hours.open_at(r.status, r.hours.as_deref(), want.time) == Some(true)
            })
            .map(|i| (i, haversine_m(at, self.positions[i])))
            .collect();
        if found.len() > k {
            found.select_nth_unstable_by(k, |a, b| a.1.total_cmp(&b.1));
            // Keep every station tied with the k-th, so the id decides among them.
            let kth = found[..=k].iter().map(|c| c.1).fold(0.0, f64::max);
            found.retain(|c| c.1 <= kth);
        }
        let best: Vec<Candidate> = found
            .into_iter()
            .map(|(i, metres)| (self.rows[i].pk, self.rows[i].id.clone(), metres))
            .collect();
        answer(&self.conn, &self.hours, best, k, want)
    }
}

//! Exact spatial queries over the index: nearest k, within a radius, inside a box.
//!
//! Every answer equals a brute-force haversine scan: candidates come out of the tree in chord
//! order (= great-circle order), are measured with haversine, and the scan continues a hair past
//! the k-th distance so float rounding can never swap an answer; the final order is
//! (haversine distance, id).

use chrono::NaiveDateTime;

use crate::arrival::Travel;
use crate::confirmations::{self, StationFacts};
use crate::hours::{OpenState, china_local};
use crate::index::{SpatialIndex, Summary, nearest_merged};
use crate::model::{KindSet, ServiceSet, Status};
use crate::sphere::{CHORD_SLACK, LatLon, bearing_difference, chord_for_distance};

/// Only stations within ±`cone_deg` of the direction of travel ("ahead of me").
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ahead {
    pub heading_deg: f64,
    pub cone_deg: f64,
}

/// Arrival times for each result (from its distance, or its distance along a route), and
/// optionally only the stations that will be open on arrival.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Arrival {
    pub travel: Travel,
    /// Only stations known to be open when reached (unknown hours do not count).
    pub open_only: bool,
}

/// What a result must satisfy. `time` is China local time, used for `open_only` and for each
/// result's open/closed state.
#[derive(Debug, Clone)]
pub struct Filter {
    pub kinds: KindSet,
    /// All of these must be offered.
    pub services: ServiceSet,
    /// Empty means any status.
    pub statuses: Vec<Status>,
    /// Only stations known to be open at `time` (unknown hours do not count as open).
    pub open_only: bool,
    pub time: NaiveDateTime,
    pub max_distance_m: Option<f64>,
    pub ahead: Option<Ahead>,
    pub arrival: Option<Arrival>,
    /// Only stations whose required facts drivers confirmed lately and do not dispute: each
    /// required service, and being open with `open_only`; with neither, any fact.
    pub confirmed: bool,
}

impl Filter {
    /// A filter that lets every station through, evaluating hours at `time`.
    pub fn any_at(time: NaiveDateTime) -> Filter {
        Filter {
            kinds: KindSet::default(),
            services: ServiceSet::EMPTY,
            statuses: Vec::new(),
            open_only: false,
            time,
            max_distance_m: None,
            ahead: None,
            arrival: None,
            confirmed: false,
        }
    }

    /// The trees of the index that can hold a match.
    pub fn trees<'a>(&self, index: &'a SpatialIndex) -> Vec<&'a crate::index::Tree> {
        index.trees_for(self.kinds, self.services, self.confirmed)
    }

    /// The attribute part of the filter (everything but distance and direction) for the
    /// station with primary key `pk`.
    pub fn admits(&self, index: &SpatialIndex, pk: u32, s: &Summary) -> bool {
        self.kinds.allows(s.kind)
            && s.services.contains_all(self.services)
            && (self.statuses.is_empty() || self.statuses.contains(&s.status))
            && (!self.open_only || index.open_state(s, self.time) == OpenState::Open)
            && (!self.confirmed || self.facts_confirmed(index.facts(pk).map(|f| &**f)))
    }

    /// The `confirmed` part: the required facts confirmed lately and not disputed.
    pub fn facts_confirmed(&self, facts: Option<&StationFacts>) -> bool {
        let Some(facts) = facts else { return false };
        let open = self.open_only.then_some(confirmations::OPEN);
        let mut required = open
            .into_iter()
            .chain(self.services.iter().map(|s| s.id()))
            .peekable();
        if required.peek().is_none() {
            return facts.any_confirmed(self.time);
        }
        required.all(|fact| facts.is_confirmed(fact, self.time))
    }

    /// The geometric part: direction of travel. Distance limits are applied by each query.
    fn ahead_of(&self, from: LatLon, s: &Summary) -> bool {
        self.ahead.is_none_or(|a| {
            bearing_difference(a.heading_deg, from.bearing_deg(s.location)).abs() <= a.cone_deg
        })
    }

    /// Whether a station `metres` of travel away is open when reached, as far as its listing
    /// tells (None: unknown hours); None without arrival times.
    pub fn open_at_arrival(&self, index: &SpatialIndex, s: &Summary, metres: f64) -> Option<bool> {
        let arrival = self.arrival?;
        let at = china_local(arrival.travel.arrival(metres));
        index.open_state(s, at).as_option()
    }

    /// The arrival part of the filter: with `open_only`, a station must be known to be open
    /// when reached.
    pub fn arrives_open(&self, index: &SpatialIndex, s: &Summary, metres: f64) -> bool {
        self.arrival
            .is_none_or(|a| !a.open_only || self.open_at_arrival(index, s, metres) == Some(true))
    }

    fn chord_limit(&self) -> f64 {
        self.max_distance_m
            .map_or(f64::INFINITY, |d| chord_for_distance(d) + CHORD_SLACK)
    }

    fn within_limit(&self, distance_m: f64) -> bool {
        self.max_distance_m.is_none_or(|max| distance_m <= max)
    }
}

/// A station found by a query, before its row is read: primary key and great-circle distance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Found {
    pub pk: u32,
    pub distance_m: f64,
}

/// Sorts by (distance, id): the order every query promises.
pub fn sort_found(index: &SpatialIndex, found: &mut [Found]) {
    let id = |f: &Found| index.summary(f.pk).map_or("", |s| index.id(s));
    found.sort_by(|a, b| {
        a.distance_m
            .total_cmp(&b.distance_m)
            .then_with(|| id(a).cmp(id(b)))
    });
}

/// The `k` nearest stations that pass the filter.
pub fn nearest(index: &SpatialIndex, at: LatLon, k: usize, filter: &Filter) -> Vec<Found> {
    if k == 0 {
        return Vec::new();
    }
    let q = at.unit_vector();
    let limit = filter.chord_limit();
    let mut found: Vec<Found> = Vec::with_capacity(k + 4);
    let mut bound = limit;
    for (point, d2) in nearest_merged(&filter.trees(index), q) {
        if d2.sqrt() > bound {
            break;
        }
        let pk = point.data;
        let Some(s) = index.summary(pk) else { continue };
        if !filter.admits(index, pk, s) || !filter.ahead_of(at, s) {
            continue;
        }
        let distance_m = at.distance_m(s.location);
        if !filter.within_limit(distance_m) || !filter.arrives_open(index, s, distance_m) {
            continue;
        }
        found.push(Found { pk, distance_m });
        if found.len() == k {
            // Candidates arrive in chord order; keep going only while a tie (or a rounding
            // difference between chord and haversine) could still change the answer.
            let kth = found.iter().map(|f| f.distance_m).fold(0.0_f64, f64::max);
            bound = bound.min(chord_for_distance(kth) + CHORD_SLACK);
        }
    }
    sort_found(index, &mut found);
    found.truncate(k);
    found
}

/// Every station within `radius_m` that passes the filter, nearest first.
pub fn within(index: &SpatialIndex, at: LatLon, radius_m: f64, filter: &Filter) -> Vec<Found> {
    let radius_m = filter.max_distance_m.map_or(radius_m, |m| m.min(radius_m));
    let chord = chord_for_distance(radius_m) + CHORD_SLACK;
    let q = at.unit_vector();
    let mut found: Vec<Found> = filter
        .trees(index)
        .into_iter()
        .flat_map(|t| t.within(q, chord * chord))
        .filter_map(|p| {
            let s = index.summary(p.data)?;
            let distance_m = at.distance_m(s.location);
            (distance_m <= radius_m
                && filter.admits(index, p.data, s)
                && filter.ahead_of(at, s)
                && filter.arrives_open(index, s, distance_m))
            .then_some(Found {
                pk: p.data,
                distance_m,
            })
        })
        .collect();
    sort_found(index, &mut found);
    found
}

/// A latitude/longitude rectangle (WGS-84). `west > east` crosses the antimeridian.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BBox {
    pub south: f64,
    pub west: f64,
    pub north: f64,
    pub east: f64,
}

impl BBox {
    pub fn contains(&self, p: LatLon) -> bool {
        let in_lon = if self.west <= self.east {
            (self.west..=self.east).contains(&p.lon)
        } else {
            p.lon >= self.west || p.lon <= self.east
        };
        in_lon && (self.south..=self.north).contains(&p.lat)
    }

    pub fn center(&self) -> LatLon {
        let width = (self.east - self.west).rem_euclid(360.0);
        let lon = self.west + width / 2.0;
        LatLon {
            lat: (self.south + self.north) / 2.0,
            lon: if lon > 180.0 { lon - 360.0 } else { lon },
        }
    }

    /// A 3-D box enclosing the rectangle's unit vectors (interval arithmetic on x, y, z).
    fn unit_envelope(&self) -> rstar::AABB<[f64; 3]> {
        let (s, n) = (self.south.to_radians(), self.north.to_radians());
        let (w, mut e) = (self.west.to_radians(), self.east.to_radians());
        if e < w {
            e += 2.0 * std::f64::consts::PI;
        }
        let cos_lat = interval_of(f64::cos, s, n);
        let cos_lon = interval_of(f64::cos, w, e);
        let sin_lon = interval_of(f64::sin, w, e);
        let x = mul_interval(cos_lat, cos_lon);
        let y = mul_interval(cos_lat, sin_lon);
        let pad = 1e-12;
        rstar::AABB::from_corners(
            [x.0 - pad, y.0 - pad, s.sin() - pad],
            [x.1 + pad, y.1 + pad, n.sin() + pad],
        )
    }
}

/// The range of sin or cos over [a, b] (radians): endpoints plus any extremum inside.
fn interval_of(f: fn(f64) -> f64, a: f64, b: f64) -> (f64, f64) {
    let (mut lo, mut hi) = (f(a).min(f(b)), f(a).max(f(b)));
    // Extrema of sin and cos lie at multiples of π/2.
    let step = std::f64::consts::FRAC_PI_2;
    let mut t = (a / step).ceil() * step;
    while t <= b {
        let v = f(t);
        lo = lo.min(v);
        hi = hi.max(v);
        t += step;
    }
    (lo, hi)
}

fn mul_interval(a: (f64, f64), b: (f64, f64)) -> (f64, f64) {
    let c = [a.0 * b.0, a.0 * b.1, a.1 * b.0, a.1 * b.1];
    (
        c.iter().copied().fold(f64::INFINITY, f64::min),
        c.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    )
}

/// Stations inside the box that pass the filter, nearest to the box's centre first, at most
/// `limit` (a map shows the middle of the view first).
pub fn in_box(index: &SpatialIndex, bbox: &BBox, limit: usize, filter: &Filter) -> Vec<Found> {
    let center = bbox.center();
    let envelope = bbox.unit_envelope();
    let mut found: Vec<Found> = filter
        .trees(index)
        .into_iter()
        .flat_map(|t| t.in_envelope(envelope))
        .filter_map(|p| {
            let s = index.summary(p.data)?;
            (bbox.contains(s.location) && filter.admits(index, p.data, s)).then(|| Found {
                pk: p.data,
                distance_m: center.distance_m(s.location),
            })
        })
        .collect();
    sort_found(index, &mut found);
    found.truncate(limit);
    found
}

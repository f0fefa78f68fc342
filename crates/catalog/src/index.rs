//! The in-memory spatial index: R-trees over stations' unit vectors on the sphere (flat,
//! Hilbert-packed trees with the edits since beside them: index/flat.rs, index/tree.rs), plus a
//! compact summary of each station so filters run without touching SQLite.
//!
//! Why unit vectors: the chord between two points on the unit sphere grows strictly with their
//! great-circle angle, so 3-D Euclidean nearest-neighbour order *is* great-circle order, at any
//! latitude. A (lon, lat) tree would rank wrongly in Harbin, where a degree of longitude is short.
//!
//! Why several trees: filters are selective and skewed (warm_bee stations exist only in
//! Shenzhen; one station in eleven has a shower). Walking one tree for "the nearest warm_bee
//! station to Harbin" would visit the whole country. So stations are partitioned by kind (one
//! tree each, every station in exactly one), and each rare service (offered by at most 15% of
//! stations) also gets a tree of the stations offering it. A query walks whichever set of
//! trees holds the fewest stations that could match, merged in distance order.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use chrono::{NaiveDateTime, TimeDelta};

use rstar::primitives::GeomWithData;
use rstar::{RStarInsertionStrategy, RTreeParams};
use std::path::Path;

use rusqlite::Connection;

use crate::confirmations::{FactTally, StationFacts};
use crate::error::Result;
use crate::hours::{Hours, OpenState};
use crate::mercator::WorldPoint;
use crate::model::{Kind, KindSet, Service, ServiceSet, Station, Status};
use crate::sphere::LatLon;
use crate::store::packed_index;
use crate::store::summaries::{self, SummaryRow};
use clusters::Clusters;

mod bytes;
pub mod clusters;
mod flat;
mod packed;
mod tree;

pub use tree::{Tree, nearest_merged};

/// A tree point: the unit vector, carrying the station's primary key.
pub type TreePoint = GeomWithData<[f64; 3], u32>;

/// The trees of stations added since a build: wider nodes than rstar's default (6), a shallower
/// tree that searches faster for point data (measured in benches/nearest.rs).
#[derive(Clone)]
pub struct NodeParams;

impl RTreeParams for NodeParams {
    const MIN_SIZE: usize = 6;
    const MAX_SIZE: usize = 16;
    const REINSERTION_COUNT: usize = 2;
    type DefaultInsertionStrategy = RStarInsertionStrategy;
}

/// A service gets its own tree when at most this share of stations offer it.
const RARE_SERVICE_SHARE: f64 = 0.15;

/// What filters need to know about a station, kept in memory.
#[derive(Debug, Clone)]
pub struct Summary {
    /// Where its id stands in the index's ids (`SpatialIndex::id`).
    pub id: IdSpan,
    pub location: LatLon,
    pub kind: Kind,
    pub status: Status,
    pub services: ServiceSet,
    /// Index into the distinct-hours table.
    pub hours: Option<u32>,
}

/// A station's id as a stretch of the index's ids, which stand end to end in one string: 200,000
/// ids are then one allocation to copy, pack and unpack rather than 200,000.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdSpan {
    start: u32,
    len: u32,
}

impl IdSpan {
    /// Appends `id` to `ids`; where it stands.
    fn push(ids: &mut String, id: &str) -> IdSpan {
        let span = IdSpan {
            start: ids.len() as u32,
            len: id.len() as u32,
        };
        ids.push_str(id);
        span
    }

    /// The id in `ids` (empty if the span does not fit, which a sound index never has).
    fn of(self, ids: &str) -> &str {
        let (start, end) = (self.start as usize, self.start as usize + self.len as usize);
        ids.get(start..end).unwrap_or_default()
    }
}

/// Summaries (with their unit vectors) of some stations, read from any store (two ranges of a
/// catalog file at once, or a database's rows); their `hours` indexes refer to `self.hours`.
#[derive(Default)]
pub struct SummaryBatch {
    rows: Vec<(i64, Summary, [f64; 3])>,
    /// The batch's ids, end to end (its summaries' spans point here until they join an index).
    ids: String,
    hours: Vec<Box<str>>,
    hours_seen: HashMap<Box<str>, u32>,
}

impl SummaryBatch {
    /// Adds one station as a filter needs it.
    pub fn push(&mut self, row: SummaryRow<'_>) {
        let hours = row.hours.map(|t| match self.hours_seen.get(t) {
            Some(&i) => i,
            None => {
                self.hours.push(t.into());
                let i = self.hours.len() as u32 - 1;
                self.hours_seen.insert(t.into(), i);
                i
            }
        });
        let summary = Summary {
            id: IdSpan::push(&mut self.ids, row.id),
            location: row.location,
            kind: row.kind,
            status: row.status,
            services: row.services,
            hours,
        };
        let unit = summary.location.unit_vector();
        self.rows.push((row.pk, summary, unit));
    }

    fn read(conn: &Connection, after_pk: i64, up_to_pk: i64) -> Result<SummaryBatch> {
        let mut batch = SummaryBatch::default();
        summaries::scan(conn, after_pk, up_to_pk, |row| batch.push(row))?;
        Ok(batch)
    }
}

/// The last "next change" worked out for one hours entry: from `.0` the state holds until `.1`
/// (None: no change within 8 days of `.0`).
type KnownChange = Mutex<Option<(NaiveDateTime, Option<NaiveDateTime>)>>;

/// Distinct opening-hours strings, each parsed once on first use (catalogs share a few dozen),
/// with the last next-change answer, which stays true until that change comes.
#[derive(Default)]
struct HoursTable {
    by_text: HashMap<Box<str>, u32>,
    entries: Vec<(Box<str>, OnceLock<Option<Hours>>, KnownChange)>,
}

/// A copy keeps the texts and their numbers; parsing and next-change answers start afresh
/// (they are caches).
impl Clone for HoursTable {
    fn clone(&self) -> HoursTable {
        HoursTable {
            by_text: self.by_text.clone(),
            entries: self
                .entries
                .iter()
                .map(|(text, _, _)| (text.clone(), OnceLock::new(), Mutex::new(None)))
                .collect(),
        }
    }
}

impl HoursTable {
    fn intern(&mut self, text: &str) -> u32 {
        if let Some(&i) = self.by_text.get(text) {
            return i;
        }
        let i = self.entries.len() as u32;
        self.entries
            .push((text.into(), OnceLock::new(), Mutex::new(None)));
        self.by_text.insert(text.into(), i);
        i
    }

    fn get(&self, i: u32) -> Option<&Hours> {
        let (text, parsed, _) = self.entries.get(i as usize)?;
        parsed.get_or_init(|| Hours::parse(text).ok()).as_ref()
    }

    /// When the state of entry `i` next changes after `t`, within a week. Working it out is far
    /// slower than a query, and every station sharing these hours has the same answer until the
    /// change comes, so the last answer is kept.
    fn next_change(&self, i: u32, t: NaiveDateTime) -> Option<NaiveDateTime> {
        let week = TimeDelta::days(7);
        let hours = self.get(i)?;
        let (_, _, known) = self.entries.get(i as usize)?;
        let mut known = known.lock().unwrap_or_else(|p| p.into_inner());
        match *known {
            // The state holds from `from` until `until`, so from `t` too.
            Some((from, Some(until))) if from <= t && t < until => {
                return Some(until).filter(|u| *u - t <= week);
            }
            // No change within 8 days of `from`: none within a week of `t` either.
            Some((from, None)) if from <= t && t - from < TimeDelta::days(1) => return None,
            _ => {}
        }
        let next = hours
            .next_change(t)
            .filter(|at| *at - t <= TimeDelta::days(8));
        *known = Some((t, next));
        next.filter(|at| *at - t <= week)
    }
}

/// Cloned when a server publishes a new index after a write while queries still read the old
/// one (see `Catalog::shared_index`). A clone shares both parts until one changes: a station's
/// change copies the trees and summaries once, a change to drivers' tallies only the (small)
/// facts part.
#[derive(Default, Clone)]
pub struct SpatialIndex {
    stations: Arc<Stations>,
    facts: Arc<Facts>,
    hours: HoursTable,
    len: usize,
    origin: Origin,
}

/// An index as loaded for a catalog.
pub struct Loaded {
    pub index: SpatialIndex,
    /// The catalog's generation when it was loaded (None: unreadable).
    pub generation: Option<i64>,
    /// Built from the rows at this generation, no one having written meanwhile: worth packing.
    pub pack_at: Option<i64>,
}

/// Where an index came from when it was loaded.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Built from the stations' rows.
    #[default]
    Rows,
    /// Unpacked from the index the catalog file keeps (index/packed.rs).
    Packed,
}

#[derive(Default, Clone)]
struct Stations {
    /// One tree per kind, in `Kind::ALL` order; together they hold every station once.
    by_kind: Vec<Tree>,
    /// A tree per rare service (in `Service::ALL` order), None for common ones.
    by_service: Vec<Option<Tree>>,
    /// Indexed by primary key; holes for deleted rows.
    summaries: Vec<Option<Summary>>,
    /// Every station's id, end to end (`IdSpan`); a changed id is appended, the old one left.
    ids: String,
    /// The map's clusters of these stations, made when the map first asks (`stations_mut`
    /// forgets them: any change to the stations makes them anew).
    clusters: OnceLock<Arc<Clusters>>,
}

#[derive(Default, Clone)]
struct Facts {
    /// Drivers' tallies by primary key, for the stations that have any (few of them).
    by_station: HashMap<u32, Arc<StationFacts>>,
    /// The stations any fact of which anyone ever confirmed: what the `confirmed` filter walks
    /// while they are fewer than the other candidates.
    confirmed: Tree,
}

impl SpatialIndex {
    /// The catalog's index: as the file keeps it when nothing has changed since it was packed
    /// (index/packed.rs), else built from the rows — then to be packed at the generation it was
    /// built from, when no one wrote meanwhile.
    pub fn load(conn: &Connection, path: &Path) -> Result<Loaded> {
        // A file whose generation cannot be read or trusted (damaged, a trigger dropped) is built
        // from the rows and not packed: the packed index is a cache, never a reason not to open.
        let generation = packed_index::generation(conn).ok().flatten();
        if let Some(index) = generation.and_then(|g| packed::load(conn, path, g)) {
            return Ok(Loaded {
                index,
                generation,
                pack_at: None,
            });
        }
        let index = SpatialIndex::build(conn, path)?;
        let now = packed_index::generation(conn).ok().flatten();
        let unchanged = generation.is_some() && now == generation;
        Ok(Loaded {
            index,
            generation,
            pack_at: generation.filter(|_| unchanged),
        })
    }

    /// Packs this index, built from the catalog at `generation`, into the file at `path` for
    /// the next open, on a connection of its own; unless the catalog has moved on since, or the
    /// file cannot be written (a packed index is only a cache: the next open builds again).
    pub fn pack(&self, path: &Path, generation: i64) {
        if let Ok(conn) = summaries::second_connection(path) {
            packed::save(&conn, self, generation);
        }
    }

    /// Reads every station's summary from the store and packs the trees.
    ///
    /// SQLite's per-row cost dominates opening a national catalog, so the scan is split into two
    /// primary-key ranges read at once on two connections, and the kind and service trees are
    /// packed on two threads.
    pub fn build(conn: &Connection, path: &Path) -> Result<SpatialIndex> {
        let max_pk = summaries::max_pk(conn)?;
        let mid = max_pk / 2;
        let (low, high) = std::thread::scope(|scope| {
            let high = scope.spawn(|| -> Result<SummaryBatch> {
                SummaryBatch::read(&summaries::second_connection(path)?, mid, i64::MAX)
            });
            let low = SummaryBatch::read(conn, i64::MIN, mid);
            let high = high.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
            (low, high)
        });
        let mut tallies = Vec::new();
        summaries::tallies(conn, |pk, t| tallies.push((pk, t)))?;
        Ok(SpatialIndex::from_batches(vec![low?, high?], tallies))
    }

    /// Builds the index from stations' summaries and the tallies of those that have any (by
    /// primary key): packs the trees, the kind and service trees on two threads.
    pub fn from_batches(
        batches: Vec<SummaryBatch>,
        tallies: Vec<(i64, Vec<FactTally>)>,
    ) -> SpatialIndex {
        let count: usize = batches.iter().map(|b| b.rows.len()).sum();
        let mut index = SpatialIndex::default();
        index.stations_mut().summaries.reserve(count + 1);
        let mut units: Vec<(u32, [f64; 3])> = Vec::with_capacity(count);
        for scan in batches {
            let hours: Vec<u32> = scan.hours.iter().map(|t| index.hours.intern(t)).collect();
            let ids = &mut index.stations_mut().ids;
            let offset = ids.len() as u32;
            ids.push_str(&scan.ids);
            for (pk, mut summary, unit) in scan.rows {
                summary.hours = summary.hours.map(|local| hours[local as usize]);
                summary.id.start += offset;
                index.put_summary(pk, summary);
                units.push((pk as u32, unit));
            }
        }
        // Which services are rare is known only now; collect points for those trees alone.
        let mut offering = [0usize; Service::ALL.len()];
        for (_, s) in index.summaries() {
            for service in s.services.iter() {
                offering[service as usize] += 1;
            }
        }
        let rare_limit = index.len as f64 * RARE_SERVICE_SHARE;
        let rare: Vec<bool> = offering
            .iter()
            .map(|&n| n > 0 && n as f64 <= rare_limit)
            .collect();
        let mut kind_points: Vec<Vec<TreePoint>> = vec![Vec::new(); Kind::ALL.len()];
        let mut service_points: Vec<Vec<TreePoint>> = vec![Vec::new(); Service::ALL.len()];
        for (pk, unit) in units {
            let Some(s) = index.summary(pk) else { continue };
            let point = TreePoint::new(unit, pk);
            kind_points[s.kind as usize].push(point);
            for service in s.services.iter().filter(|sv| rare[*sv as usize]) {
                service_points[service as usize].push(point);
            }
        }
        let (by_kind, by_service) = std::thread::scope(|scope| {
            let services = scope.spawn(move || {
                service_points
                    .into_iter()
                    .zip(rare)
                    .map(|(points, rare)| rare.then(|| Tree::new(points)))
                    .collect::<Vec<_>>()
            });
            let kinds: Vec<Tree> = kind_points.into_iter().map(Tree::new).collect();
            let services = services
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p));
            (kinds, services)
        });
        let stations = index.stations_mut();
        stations.by_kind = by_kind;
        stations.by_service = by_service;
        let mut facts = Facts::default();
        let mut confirmed_points = Vec::new();
        for (pk, tallies) in tallies {
            let said = StationFacts::new(tallies);
            if let Some(s) = index.summary(pk as u32) {
                if said.ever_confirmed() {
                    confirmed_points.push(TreePoint::new(s.location.unit_vector(), pk as u32));
                }
                facts.by_station.insert(pk as u32, Arc::new(said));
            }
        }
        facts.confirmed = Tree::new(confirmed_points);
        index.facts = Arc::new(facts);
        index
    }

    /// A station's tallies as drivers' confirmations left them (after a confirmation on the
    /// server, or a feed entry on a client); none: no tallies.
    pub fn set_facts(&mut self, pk: i64, facts: Option<StationFacts>) {
        let key = pk as u32;
        let Some(location) = self.summary(key).map(|s| s.location) else {
            return;
        };
        if facts.is_none() && self.facts(key).is_none() {
            // Nothing to take away: the shared facts part is not copied for nothing.
            return;
        }
        let point = TreePoint::new(location.unit_vector(), key);
        let was = self.facts(key).is_some_and(|f| f.ever_confirmed());
        let now = facts.as_ref().is_some_and(StationFacts::ever_confirmed);
        let all = Arc::make_mut(&mut self.facts);
        match facts {
            Some(f) => all.by_station.insert(key, Arc::new(f)),
            None => all.by_station.remove(&key),
        };
        if was && !now {
            all.confirmed.remove(&point);
        } else if now && !was {
            all.confirmed.insert(point);
        }
    }

    /// What drivers said about a station's facts, if anything.
    pub fn facts(&self, pk: u32) -> Option<&Arc<StationFacts>> {
        self.facts.by_station.get(&pk)
    }

    fn put_summary(&mut self, pk: i64, summary: Summary) {
        let slot = pk as usize;
        let summaries = &mut self.stations_mut().summaries;
        if summaries.len() <= slot {
            summaries.resize(slot + 1, None);
        }
        if summaries[slot].replace(summary).is_none() {
            self.len += 1;
        }
    }

    /// The trees a station belongs in: its kind's, and its rare services'.
    fn trees_of_mut(
        &mut self,
        kind: Kind,
        services: ServiceSet,
    ) -> impl Iterator<Item = &mut Tree> {
        let stations = self.stations_mut();
        let kind_tree = stations.by_kind.get_mut(kind as usize);
        let service_trees = stations
            .by_service
            .iter_mut()
            .enumerate()
            .filter(move |(i, _)| services.bits() & (1 << i) != 0)
            .filter_map(|(_, t)| t.as_mut());
        kind_tree.into_iter().chain(service_trees)
    }

    /// Adds or replaces one station, keeping every tree in step with the store.
    pub fn upsert(&mut self, pk: i64, station: &Station) {
        let confirmed = self.facts(pk as u32).is_some_and(|f| f.ever_confirmed());
        let point = TreePoint::new(station.location.unit_vector(), pk as u32);
        if let Some(old) = self.summary(pk as u32) {
            let old_point = TreePoint::new(old.location.unit_vector(), pk as u32);
            let (kind, services) = (old.kind, old.services);
            for tree in self.trees_of_mut(kind, services) {
                tree.remove(&old_point);
            }
            if confirmed && old_point != point {
                let tree = &mut Arc::make_mut(&mut self.facts).confirmed;
                tree.remove(&old_point);
                tree.insert(point);
            }
        }
        for tree in self.trees_of_mut(station.kind, station.services) {
            tree.insert(point);
        }
        let hours = station
            .opening_hours
            .as_deref()
            .map(|t| self.hours.intern(t));
        let summary = Summary {
            id: self.id_span(pk, &station.id),
            location: station.location,
            kind: station.kind,
            status: station.status,
            services: station.services,
            hours,
        };
        self.put_summary(pk, summary);
    }

    /// Drops a deleted station from every tree it was in.
    pub fn remove(&mut self, pk: i64) {
        if self.summary(pk as u32).is_none() {
            return;
        }
        let Some(old) = self
            .stations_mut()
            .summaries
            .get_mut(pk as usize)
            .and_then(Option::take)
        else {
            return;
        };
        self.len -= 1;
        let point = TreePoint::new(old.location.unit_vector(), pk as u32);
        for tree in self.trees_of_mut(old.kind, old.services) {
            tree.remove(&point);
        }
        if self.facts(pk as u32).is_some() {
            let facts = Arc::make_mut(&mut self.facts);
            if facts
                .by_station
                .remove(&(pk as u32))
                .is_some_and(|f| f.ever_confirmed())
            {
                facts.confirmed.remove(&point);
            }
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// Where this index came from when it was loaded.
    pub fn origin(&self) -> Origin {
        self.origin
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The trees that together hold every station of the allowed `kinds` offering every one
    /// of `services` (and, when `confirmed`, with a fact anyone confirmed), choosing the
    /// smallest such set: the kinds' trees, one rare required service's tree, or the tree of
    /// confirmed stations.
    pub fn trees_for(&self, kinds: KindSet, services: ServiceSet, confirmed: bool) -> Vec<&Tree> {
        let kind_trees: Vec<&Tree> = Kind::ALL
            .iter()
            .filter(|k| kinds.allows(**k))
            .filter_map(|k| self.stations.by_kind.get(*k as usize))
            .collect();
        let kind_size: usize = kind_trees.iter().map(|t| t.size()).sum();
        let rarest = services
            .iter()
            .filter_map(|s| self.stations.by_service.get(s as usize)?.as_ref())
            .chain(confirmed.then_some(&self.facts.confirmed))
            .min_by_key(|t| t.size());
        match rarest {
            Some(t) if t.size() < kind_size => vec![t],
            _ => kind_trees,
        }
    }

    /// A station's id.
    pub fn id(&self, s: &Summary) -> &str {
        s.id.of(&self.stations.ids)
    }

    /// Where `id`, the id of the station at `pk`, stands in the ids: where it stood, if it is
    /// the same, else appended.
    fn id_span(&mut self, pk: i64, id: &str) -> IdSpan {
        if let Some(s) = self.summary(pk as u32).filter(|s| self.id(s) == id) {
            return s.id;
        }
        IdSpan::push(&mut self.stations_mut().ids, id)
    }

    /// The stations' part, to change: copied first if a clone still shares it, and without the
    /// map's clusters, which no longer hold.
    fn stations_mut(&mut self) -> &mut Stations {
        let stations = Arc::make_mut(&mut self.stations);
        stations.clusters = OnceLock::new();
        stations
    }

    /// True when no station was added, changed or removed between `self` and `other`, one an
    /// earlier copy of the other: a write to a station copies the stations' part while a copy
    /// shares it (a confirmation changes only the tallies).
    pub fn same_stations(&self, other: &SpatialIndex) -> bool {
        Arc::ptr_eq(&self.stations, &other.stations)
    }

    /// The map's clusters of every station, made on first use after a change.
    pub fn clusters(&self) -> Arc<Clusters> {
        let stations = &self.stations;
        stations
            .clusters
            .get_or_init(|| {
                let positions = self
                    .summaries()
                    .map(|(key, s)| (key, WorldPoint::of(s.location)));
                Arc::new(Clusters::build(positions))
            })
            .clone()
    }

    /// Whether the station at `pk` is the one with this id.
    pub fn holds(&self, pk: i64, id: &str) -> bool {
        u32::try_from(pk)
            .ok()
            .and_then(|pk| self.summary(pk))
            .is_some_and(|s| self.id(s) == id)
    }

    pub fn summary(&self, pk: u32) -> Option<&Summary> {
        self.stations.summaries.get(pk as usize)?.as_ref()
    }

    /// Every stored station, for scans that must see all of them.
    pub fn summaries(&self) -> impl Iterator<Item = (u32, &Summary)> {
        self.stations
            .summaries
            .iter()
            .enumerate()
            .filter_map(|(pk, s)| s.as_ref().map(|s| (pk as u32, s)))
    }

    /// Open, closed or unknown at a China-local time. A station not in `open` status is closed
    /// whatever its hours say; missing or unparsable hours are unknown.
    pub fn open_state(&self, s: &Summary, china_local: chrono::NaiveDateTime) -> OpenState {
        if s.status != Status::Open {
            return OpenState::Closed;
        }
        match s.hours.and_then(|i| self.hours.get(i)) {
            Some(h) => h.state_at(china_local),
            None => OpenState::Unknown,
        }
    }

    /// When the open state next changes, within a week; None for a station not in `open`
    /// status (its hours do not apply) or without usable hours.
    pub fn next_change(&self, s: &Summary, china_local: NaiveDateTime) -> Option<NaiveDateTime> {
        if s.status != Status::Open {
            return None;
        }
        self.hours.next_change(s.hours?, china_local)
    }
}

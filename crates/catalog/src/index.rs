//! The in-memory spatial index: an R*-tree (rstar) over stations' unit vectors on the sphere,
//! plus a compact summary of each station so filters run without touching SQLite.
//!
//! Why unit vectors: the chord between two points on the unit sphere grows strictly with their
//! great-circle angle, so 3-D Euclidean nearest-neighbour order *is* great-circle order, at any
//! latitude. A (lon, lat) tree would rank wrongly in Harbin, where a degree of longitude is short.

use std::collections::HashMap;
use std::sync::OnceLock;

use rstar::RTree;
use rstar::primitives::GeomWithData;
use rusqlite::Connection;

use crate::error::Result;
use crate::hours::{Hours, OpenState};
use crate::model::{Kind, ServiceSet, Station, Status};
use crate::sphere::LatLon;
use crate::store::parse_vocab;

/// A tree point: the unit vector, carrying the station's primary key.
pub type TreePoint = GeomWithData<[f64; 3], u32>;

/// What filters need to know about a station, kept in memory.
#[derive(Debug, Clone)]
pub struct Summary {
    pub id: Box<str>,
    pub location: LatLon,
    pub kind: Kind,
    pub status: Status,
    pub services: ServiceSet,
    /// Index into the distinct-hours table.
    pub hours: Option<u32>,
}

/// Distinct opening-hours strings, each parsed once on first use (catalogs share a few dozen).
#[derive(Default)]
struct HoursTable {
    by_text: HashMap<Box<str>, u32>,
    entries: Vec<(Box<str>, OnceLock<Option<Hours>>)>,
}

impl HoursTable {
    fn intern(&mut self, text: &str) -> u32 {
        if let Some(&i) = self.by_text.get(text) {
            return i;
        }
        let i = self.entries.len() as u32;
        self.entries.push((text.into(), OnceLock::new()));
        self.by_text.insert(text.into(), i);
        i
    }

    fn get(&self, i: u32) -> Option<&Hours> {
        let (text, parsed) = self.entries.get(i as usize)?;
        parsed.get_or_init(|| Hours::parse(text).ok()).as_ref()
    }
}

#[derive(Default)]
pub struct SpatialIndex {
    tree: RTree<TreePoint>,
    /// Indexed by primary key; holes for deleted rows.
    summaries: Vec<Option<Summary>>,
    hours: HoursTable,
    len: usize,
}

impl SpatialIndex {
    /// Reads every station's summary from the store and bulk-loads the tree.
    pub fn load(conn: &Connection) -> Result<SpatialIndex> {
        let mut index = SpatialIndex::default();
        let mut points = Vec::new();
        let mut stmt = conn.prepare(
            "SELECT pk, id, lat, lon, kind, status, services, opening_hours FROM stations",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let pk: i64 = r.get(0)?;
            let kind = parse_vocab(r, 4)?;
            let status = parse_vocab(r, 5)?;
            let hours = r
                .get_ref(7)?
                .as_str_or_null()
                .map_err(rusqlite::Error::from)?
                .map(|t| index.hours.intern(t));
            let summary = Summary {
                id: r
                    .get_ref(1)?
                    .as_str()
                    .map_err(rusqlite::Error::from)?
                    .into(),
                location: LatLon {
                    lat: r.get(2)?,
                    lon: r.get(3)?,
                },
                kind,
                status,
                services: ServiceSet::from_bits(r.get(6)?),
                hours,
            };
            points.push(TreePoint::new(summary.location.unit_vector(), pk as u32));
            index.put_summary(pk, summary);
        }
        index.tree = RTree::bulk_load(points);
        Ok(index)
    }

    fn put_summary(&mut self, pk: i64, summary: Summary) {
        let slot = pk as usize;
        if self.summaries.len() <= slot {
            self.summaries.resize(slot + 1, None);
        }
        if self.summaries[slot].replace(summary).is_none() {
            self.len += 1;
        }
    }

    /// Adds or replaces one station, keeping the tree in step with the store.
    pub fn upsert(&mut self, pk: i64, station: &Station) {
        if let Some(Some(old)) = self.summaries.get(pk as usize) {
            let old_point = TreePoint::new(old.location.unit_vector(), pk as u32);
            self.tree.remove(&old_point);
        }
        let hours = station
            .opening_hours
            .as_deref()
            .map(|t| self.hours.intern(t));
        let summary = Summary {
            id: station.id.as_str().into(),
            location: station.location,
            kind: station.kind,
            status: station.status,
            services: station.services,
            hours,
        };
        self.tree
            .insert(TreePoint::new(station.location.unit_vector(), pk as u32));
        self.put_summary(pk, summary);
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn tree(&self) -> &RTree<TreePoint> {
        &self.tree
    }

    pub fn summary(&self, pk: u32) -> Option<&Summary> {
        self.summaries.get(pk as usize)?.as_ref()
    }

    /// Every stored station, for scans that must see all of them.
    pub fn summaries(&self) -> impl Iterator<Item = (u32, &Summary)> {
        self.summaries
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
}

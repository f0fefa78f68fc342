//! The index as the catalog file keeps it, so that opening reads two blobs instead of every
//! station's row and does not build the trees again: the stations' summaries (with the distinct
//! opening hours and the drivers' tallies) in one part (bincode), the kind and service trees in
//! the other (each flat tree's points in its order, index/flat.rs), each written once after a
//! build and read on the next open while the catalog's generation has not moved
//! (store::packed_index). A part that fails its checksum, its decoding or the checks here is
//! ignored and the index is built from the rows: a packed index is a cache, never the truth.

use std::path::Path;
use std::sync::Arc;

use bincode::Options;
use serde::{Deserialize, Serialize};

use super::flat::FlatTree;
use super::{Facts, IdSpan, SpatialIndex, Stations, Summary, Tree, TreePoint};
use crate::confirmations::{FactTally, StationFacts};
use crate::model::{Kind, Service, ServiceSet, Status};
use crate::sphere::LatLon;
use crate::store::{packed_index, summaries};

/// Bumped whenever what is encoded changes shape: a part of another format is not read.
const FORMAT: i64 = 3;

const STATIONS: &str = "stations";
const TREES: &str = "trees";

/// Fixed-width integers (faster to decode than varints), at most as many bytes as the part
/// holds: a damaged length cannot ask for more memory than that.
fn encoding(limit: u64) -> impl Options {
    bincode::DefaultOptions::new()
        .with_fixint_encoding()
        .with_little_endian()
        .with_limit(limit)
}

#[derive(Serialize, Deserialize)]
struct StationsPart {
    summaries: Vec<PackedSummary>,
    /// Every station's id, end to end; each summary says where its own stands.
    ids: String,
    hours: Vec<Box<str>>,
    tallies: Vec<(u32, Vec<PackedTally>)>,
}

/// A tally without its station (the index's key names it). `FactTally` itself leaves out an
/// empty station id when serialised, which a format without field names cannot read back.
#[derive(Serialize, Deserialize)]
struct PackedTally {
    fact: String,
    last_confirmed: Option<String>,
    confirmed: u32,
    denied: u32,
}

/// A summary with its vocabulary as numbers (positions in `Kind::ALL`, `Status::ALL`, service
/// bits) and its hours as a position in `hours` (`NO_HOURS`: none).
#[derive(Serialize, Deserialize)]
struct PackedSummary {
    pk: u32,
    id_start: u32,
    id_len: u32,
    lat: f64,
    lon: f64,
    kind: u8,
    status: u8,
    services: u32,
    hours: u32,
}

const NO_HOURS: u32 = u32::MAX;

/// The trees part: each kind's tree, then for each service a byte saying whether it has one
/// (1) or not (0) and the tree if so.
struct TreesPart {
    by_kind: Vec<Tree>,
    by_service: Vec<Option<Tree>>,
}

impl TreesPart {
    /// The trees as the file keeps them; None if any has changed since it was built (only a
    /// freshly built index is packed).
    fn write(stations: &Stations) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        for tree in &stations.by_kind {
            tree.unchanged()?.write(&mut out);
        }
        for tree in &stations.by_service {
            match tree {
                None => out.push(0),
                Some(tree) => {
                    out.push(1);
                    tree.unchanged()?.write(&mut out);
                }
            }
        }
        Some(out)
    }

    /// The trees of a part, if it holds them whole (keys below `keys`) and nothing more.
    fn read(mut bytes: &[u8], keys: u32) -> Option<TreesPart> {
        let tree = |bytes: &mut &[u8]| FlatTree::read(bytes, keys).map(Tree::from_flat);
        let by_kind = Kind::ALL
            .iter()
            .map(|_| tree(&mut bytes))
            .collect::<Option<Vec<_>>>()?;
        let mut by_service = Vec::with_capacity(Service::ALL.len());
        for _ in Service::ALL {
            let (has, rest) = bytes.split_first()?;
            bytes = rest;
            by_service.push(match has {
                0 => None,
                1 => Some(tree(&mut bytes)?),
                _ => return None,
            });
        }
        bytes.is_empty().then_some(TreesPart {
            by_kind,
            by_service,
        })
    }
}

/// The index packed at `generation`, read from the file, if it is there, whole and current.
/// The two parts are read and decoded at once, one on a second connection. Every key is bounded
/// by the highest the rows hold, so a made-up part cannot exhaust the memory.
pub(super) fn load(
    conn: &rusqlite::Connection,
    path: &Path,
    generation: i64,
) -> Option<SpatialIndex> {
    let keys = u32::try_from(summaries::max_pk(conn).ok()?)
        .ok()?
        .checked_add(1)?;
    let (stations, trees) = std::thread::scope(|scope| {
        let trees = scope.spawn(|| -> Option<TreesPart> {
            let conn = summaries::second_connection(path).ok()?;
            TreesPart::read(&read(&conn, TREES, generation)?, keys)
        });
        let stations: Option<StationsPart> =
            read(conn, STATIONS, generation).and_then(|b| decode(&b));
        let trees = trees
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
        (stations, trees)
    });
    assemble(stations?, trees?, keys)
}

/// Keeps `index`, made from the catalog at `generation`, for the next open, unless the catalog
/// has moved on meanwhile. Nothing depends on it: a file that cannot be written (read-only, busy
/// with another writer) keeps no packed index, and the next open builds the index again.
pub(super) fn save(conn: &rusqlite::Connection, index: &SpatialIndex, generation: i64) {
    let stations = StationsPart {
        summaries: index
            .summaries()
            .map(|(pk, s)| PackedSummary {
                pk,
                id_start: s.id.start,
                id_len: s.id.len,
                lat: s.location.lat,
                lon: s.location.lon,
                kind: s.kind as u8,
                status: s.status as u8,
                services: s.services.bits(),
                hours: s.hours.unwrap_or(NO_HOURS),
            })
            .collect(),
        ids: index.stations.ids.clone(),
        hours: index
            .hours
            .entries
            .iter()
            .map(|(t, _, _)| t.clone())
            .collect(),
        tallies: index
            .facts
            .by_station
            .iter()
            .map(|(pk, f)| {
                let tallies = f.tallies().iter().map(|t| PackedTally {
                    fact: t.fact.clone(),
                    last_confirmed: t.last_confirmed.clone(),
                    confirmed: t.confirmed,
                    denied: t.denied,
                });
                (*pk, tallies.collect())
            })
            .collect(),
    };
    let (Ok(stations), Some(trees)) = (
        encoding(u64::MAX).serialize(&stations),
        TreesPart::write(&index.stations),
    ) else {
        return;
    };
    let parts = [
        (STATIONS, crc32fast::hash(&stations), stations.as_slice()),
        (TREES, crc32fast::hash(&trees), trees.as_slice()),
    ];
    let _ = packed_index::write(conn, generation, FORMAT, &parts);
}

/// A part's bytes, if they are there at `generation` and pass their checksum.
fn read(conn: &rusqlite::Connection, part: &str, generation: i64) -> Option<Vec<u8>> {
    let (checksum, data) = packed_index::read(conn, part, generation, FORMAT).ok()??;
    (crc32fast::hash(&data) == checksum).then_some(data)
}

fn decode<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Option<T> {
    encoding(bytes.len() as u64).deserialize(bytes).ok()
}

/// The index from its two parts, if they agree with each other: every summary's vocabulary and
/// hours in range, each tree as big as it should be.
fn assemble(stations: StationsPart, trees: TreesPart, keys: u32) -> Option<SpatialIndex> {
    let mut index = SpatialIndex::default();
    for text in &stations.hours {
        index.hours.intern(text);
    }
    if index.hours.entries.len() != stations.hours.len() {
        return None; // the same text twice: not what `save` writes
    }
    let mut summaries: Vec<Option<Summary>> = vec![None; keys as usize];
    for s in stations.summaries {
        let hours = (s.hours != NO_HOURS).then_some(s.hours);
        if hours.is_some_and(|h| h as usize >= stations.hours.len()) {
            return None;
        }
        let id_end = s.id_start.checked_add(s.id_len)? as usize;
        stations.ids.get(s.id_start as usize..id_end)?;
        let summary = Summary {
            id: IdSpan {
                start: s.id_start,
                len: s.id_len,
            },
            location: LatLon::new(s.lat, s.lon).ok()?,
            kind: *Kind::ALL.get(s.kind as usize)?,
            status: *Status::ALL.get(s.status as usize)?,
            services: ServiceSet::from_bits(s.services),
            hours,
        };
        if summaries.get_mut(s.pk as usize)?.replace(summary).is_some() {
            return None;
        }
    }
    // As many stations in each tree as it is for. (Which ones is not checked point by point:
    // that would cost more than the rest of the open. The checksum catches a damaged part, the
    // generation a stale one; tests check the packed index answers as the built one does.)
    let (mut of_kind, mut offering) = ([0; Kind::ALL.len()], [0; Service::ALL.len()]);
    let mut len = 0;
    for s in summaries.iter().flatten() {
        len += 1;
        of_kind[s.kind as usize] += 1;
        for service in s.services.iter() {
            offering[service as usize] += 1;
        }
    }
    let kinds_fit = trees
        .by_kind
        .iter()
        .zip(of_kind)
        .all(|(t, n)| t.size() == n);
    let services_fit = trees
        .by_service
        .iter()
        .zip(offering)
        .all(|(t, n)| t.as_ref().is_none_or(|t| t.size() == n));
    if !kinds_fit || !services_fit {
        return None;
    }
    let mut facts = Facts::default();
    let mut confirmed = Vec::new();
    for (pk, tallies) in stations.tallies {
        let location = summaries.get(pk as usize)?.as_ref()?.location;
        let tallies = tallies.into_iter().map(|t| FactTally {
            station_id: String::new(),
            fact: t.fact,
            last_confirmed: t.last_confirmed,
            confirmed: t.confirmed,
            denied: t.denied,
        });
        let said = StationFacts::new(tallies.collect());
        if said.ever_confirmed() {
            confirmed.push(TreePoint::new(location.unit_vector(), pk));
        }
        facts.by_station.insert(pk, Arc::new(said));
    }
    facts.confirmed = Tree::new(confirmed);
    index.stations = Arc::new(Stations {
        ids: stations.ids,
        by_kind: trees.by_kind,
        by_service: trees.by_service,
        summaries,
        clusters: Default::default(),
    });
    index.facts = Arc::new(facts);
    index.len = len;
    index.origin = super::Origin::Packed;
    Some(index)
}

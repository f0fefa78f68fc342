//! The index as the catalog file keeps it, so that opening reads two blobs instead of every
//! station's row and does not build the trees again: the stations' summaries (with the distinct
//! opening hours and the drivers' tallies) in one part, the kind and service trees in the other
//! (each flat tree's points in its order, index/flat.rs), both as plain little-endian fields
//! (index/bytes.rs) read in one pass, written once after a build and read on the next open while
//! the catalog's generation has not moved (store::packed_index). A part that fails its checksum,
//! its reading or the checks here is ignored and the index is built from the rows: a packed
//! index is a cache, never the truth.

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use super::bytes::{Fields, Reader, Writer};
use super::flat::FlatTree;
use super::{Facts, IdSpan, SpatialIndex, Stations, Summary, Tree, TreePoint};
use crate::confirmations::{FactTally, StationFacts};
use crate::model::{Kind, Service, ServiceSet, Status};
use crate::sphere::LatLon;
use crate::store::{packed_index, summaries};

/// Bumped whenever what is written changes shape: a part of another format is not read.
const FORMAT: i64 = 5;

const STATIONS: &str = "stations";
const TREES: &str = "trees";

/// The stations part: every station's id end to end, in key order; the distinct opening hours;
/// each station's summary in key order (`SUMMARY_BYTES`: key, its id's length — so where it
/// stands follows from the ids before it —, latitude, longitude, kind and status as positions
/// in `Kind::ALL` and `Status::ALL`, service bits, hours as a position in the hours or
/// `NO_HOURS`); then the drivers' tallies of the stations that have any.
struct StationsPart {
    /// By key; holes for keys no station has.
    summaries: Vec<Option<Summary>>,
    ids: String,
    hours: Vec<Box<str>>,
    tallies: Vec<(u32, Vec<FactTally>)>,
    /// Stations in all, of each kind, offering each service: what each tree must hold.
    len: usize,
    of_kind: [usize; Kind::ALL.len()],
    offering: [usize; Service::ALL.len()],
}

const SUMMARY_BYTES: usize = 4 + 1 + 8 + 8 + 1 + 1 + 4 + 4;
const NO_HOURS: u32 = u32::MAX;
/// The least a tally takes: an empty fact, no time, two counts.
const TALLY_BYTES: usize = 4 + 1 + 4 + 4;

impl StationsPart {
    fn write(index: &SpatialIndex) -> Option<Vec<u8>> {
        let mut out = Writer::default();
        // In key order, each once: the index's own ids stand in the order stations came and
        // keep those of stations that left or moved.
        let ids: String = index.summaries().map(|(_, s)| index.id(s)).collect();
        out.str(&ids);
        out.count(index.hours.entries.len());
        for (text, _, _) in &index.hours.entries {
            out.str(text);
        }
        out.count(index.len);
        for (pk, s) in index.summaries() {
            out.u32(pk);
            // An id of more than 255 bytes (imports take 64 at most): not packed.
            out.u8(u8::try_from(index.id(s).len()).ok()?);
            out.f64(s.location.lat);
            out.f64(s.location.lon);
            out.u8(s.kind as u8);
            out.u8(s.status as u8);
            out.u32(s.services.bits());
            out.u32(s.hours.unwrap_or(NO_HOURS));
        }
        out.count(index.facts.by_station.len());
        for (pk, facts) in &index.facts.by_station {
            out.u32(*pk);
            out.count(facts.tallies().len());
            for t in facts.tallies() {
                out.str(&t.fact);
                match &t.last_confirmed {
                    None => out.u8(0),
                    Some(at) => {
                        out.u8(1);
                        out.str(at);
                    }
                }
                out.u32(t.confirmed);
                out.u32(t.denied);
            }
        }
        out.finish()
    }

    /// The part as `write` wrote it, if every field is whole and in range: keys below `keys`
    /// (each station's once, each tallied station's once), the ids' lengths adding up to the
    /// ids, vocabulary and hours known, positions on Earth.
    fn read(part: &mut Reader<impl Read>, keys: u32) -> Option<StationsPart> {
        let ids = part.string()?;
        let hours = (0..part.count(4)?)
            .map(|_| part.string().map(Box::from))
            .collect::<Option<Vec<_>>>()?;
        let mut read = StationsPart {
            summaries: vec![None; keys as usize],
            ids: String::new(),
            hours,
            tallies: Vec::new(),
            len: 0,
            of_kind: [0; Kind::ALL.len()],
            offering: [0; Service::ALL.len()],
        };
        let mut id_end = 0u32;
        for _ in 0..part.count(SUMMARY_BYTES)? {
            let record = part.record::<SUMMARY_BYTES>()?;
            let mut field = Fields(&record);
            let pk = field.u32()?;
            let id = IdSpan {
                start: id_end,
                len: u32::from(field.u8()?),
            };
            id_end = id_end.checked_add(id.len)?;
            ids.get(id.start as usize..id_end as usize)?;
            let location = LatLon::new(field.f64()?, field.f64()?).ok()?;
            let kind = *Kind::ALL.get(usize::from(field.u8()?))?;
            let status = *Status::ALL.get(usize::from(field.u8()?))?;
            let services = ServiceSet::from_bits(field.u32()?);
            let hours = Some(field.u32()?).filter(|h| *h != NO_HOURS);
            if hours.is_some_and(|h| h as usize >= read.hours.len()) {
                return None;
            }
            let summary = Summary {
                id,
                location,
                kind,
                status,
                services,
                hours,
            };
            if read
                .summaries
                .get_mut(pk as usize)?
                .replace(summary)
                .is_some()
            {
                return None;
            }
            read.len += 1;
            read.of_kind[kind as usize] += 1;
            for service in services.iter() {
                read.offering[service as usize] += 1;
            }
        }
        if id_end as usize != ids.len() {
            return None;
        }
        for _ in 0..part.count(8)? {
            let pk = part.u32()?;
            let tallies = (0..part.count(TALLY_BYTES)?)
                .map(|_| {
                    Some(FactTally {
                        station_id: String::new(),
                        fact: part.string()?,
                        last_confirmed: match part.u8()? {
                            0 => None,
                            1 => Some(part.string()?),
                            _ => return None,
                        },
                        confirmed: part.u32()?,
                        denied: part.u32()?,
                    })
                })
                .collect::<Option<Vec<_>>>()?;
            read.tallies.push((pk, tallies));
        }
        read.ids = ids;
        Some(read)
    }
}

/// The trees part: each kind's tree, then for each service a byte saying whether it has one
/// (1) or not (0) and the tree if so.
struct TreesPart {
    by_kind: Vec<Tree>,
    by_service: Vec<Option<Tree>>,
}

impl TreesPart {
    /// The trees as the file keeps them; None if any holds edits not yet packed into its flat
    /// tree (only a freshly built index is packed, at the generation it was built from).
    fn write(stations: &Stations) -> Option<Vec<u8>> {
        let mut out = Writer::default();
        for tree in &stations.by_kind {
            tree.unchanged()?.write(&mut out);
        }
        for tree in &stations.by_service {
            match tree {
                None => out.u8(0),
                Some(tree) => {
                    out.u8(1);
                    tree.unchanged()?.write(&mut out);
                }
            }
        }
        out.finish()
    }

    /// The trees of a part, if it holds them whole (keys below `keys`) and nothing more.
    fn read(part: &mut Reader<impl Read>, keys: u32) -> Option<TreesPart> {
        let tree = |part: &mut Reader<_>| FlatTree::read(part, keys).map(Tree::from_flat);
        let by_kind = Kind::ALL
            .iter()
            .map(|_| tree(part))
            .collect::<Option<Vec<_>>>()?;
        let mut by_service = Vec::with_capacity(Service::ALL.len());
        for _ in Service::ALL {
            by_service.push(match part.u8()? {
                0 => None,
                1 => Some(tree(part)?),
                _ => return None,
            });
        }
        Some(TreesPart {
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
            read(&conn, TREES, generation, |part| TreesPart::read(part, keys))
        });
        let stations = read(conn, STATIONS, generation, |part| {
            StationsPart::read(part, keys)
        });
        let trees = trees
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
        (stations, trees)
    });
    assemble(stations?, trees?)
}

/// Keeps `index`, made from the catalog at `generation`, for the next open, unless the catalog
/// has moved on meanwhile. Nothing depends on it: a file that cannot be written (read-only, busy
/// with another writer) keeps no packed index, and the next open builds the index again.
pub(super) fn save(conn: &rusqlite::Connection, index: &SpatialIndex, generation: i64) {
    let (Some(trees), Some(stations)) = (
        TreesPart::write(&index.stations),
        StationsPart::write(index),
    ) else {
        return;
    };
    let parts = [
        (STATIONS, crc32fast::hash(&stations), stations.as_slice()),
        (TREES, crc32fast::hash(&trees), trees.as_slice()),
    ];
    let _ = packed_index::write(conn, generation, FORMAT, &parts);
}

/// Part `name`, read by `parse` in place in the file, if it is there at `generation`, `parse`
/// takes every byte of it, and they pass their checksum.
fn read<T>(
    conn: &rusqlite::Connection,
    name: &str,
    generation: i64,
    parse: impl FnOnce(&mut Reader<rusqlite::blob::Blob<'_>>) -> Option<T>,
) -> Option<T> {
    let (checksum, blob) = packed_index::open(conn, name, generation, FORMAT).ok()??;
    let len = blob.len();
    let mut part = Reader::new(blob, len);
    let parsed = parse(&mut part)?;
    part.ends_with_checksum(checksum).then_some(parsed)
}

/// The index from its two parts, if they agree with each other: each tree as big as it should
/// be, each tally for a station there is, no opening hours twice.
fn assemble(stations: StationsPart, trees: TreesPart) -> Option<SpatialIndex> {
    let mut index = SpatialIndex::default();
    for text in &stations.hours {
        index.hours.intern(text);
    }
    if index.hours.entries.len() != stations.hours.len() {
        return None; // the same text twice: not what `save` writes
    }
    // As many stations in each tree as it is for. (Which ones is not checked point by point:
    // that would cost more than the rest of the open. The checksum catches a damaged part, the
    // generation a stale one; tests check the packed index answers as the built one does.)
    let kinds_fit = trees
        .by_kind
        .iter()
        .zip(stations.of_kind)
        .all(|(t, n)| t.size() == n);
    let services_fit = trees
        .by_service
        .iter()
        .zip(stations.offering)
        .all(|(t, n)| t.as_ref().is_none_or(|t| t.size() == n));
    if !kinds_fit || !services_fit {
        return None;
    }
    let summaries = stations.summaries;
    let mut facts = Facts::default();
    let mut confirmed = Vec::new();
    for (pk, tallies) in stations.tallies {
        let location = summaries.get(pk as usize)?.as_ref()?.location;
        let said = StationFacts::new(tallies);
        if said.ever_confirmed() {
            confirmed.push(TreePoint::new(location.unit_vector(), pk));
        }
        if facts.by_station.insert(pk, Arc::new(said)).is_some() {
            return None; // a station's tallies twice: not what `save` writes
        }
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
    index.len = stations.len;
    index.origin = super::Origin::Packed;
    Some(index)
}

//! The map's clusters: every station grouped into the cells of a grid at each zoom level, a cell
//! 64 of the map's pixels wide at its level and splitting into four at the next (a quadtree kept
//! in Z-order). Built once per version of the index (`SpatialIndex::clusters`), it answers a
//! view at any zoom from the cells the view covers — a few hundred for a screen — so the map is
//! sent what it shows instead of every station.

use std::collections::HashMap;

use crate::mercator::{WorldBox, WorldPoint, world_px};

/// The deepest level; past it the map shows stations one by one.
pub const MAX_LEVEL: u8 = 13;
/// At level 0 the world is 512 pixels wide: 8 = 2³ cells of 64 pixels a side.
const LEVEL0_BITS: u32 = 3;

/// The stations of one cell.
#[derive(Debug, Clone, Copy)]
pub struct Cell {
    /// The Z-order of (column, row) at its level: a cell's four children follow one another.
    key: u32,
    /// Its stations' mean position (f32 is within 3 m anywhere in the world square).
    x: f32,
    y: f32,
    pub count: u32,
    /// Where its stations start in `Clusters::members`.
    first: u32,
}

impl Cell {
    /// Where the map draws the cell: its stations' mean position.
    pub fn at(&self) -> WorldPoint {
        WorldPoint {
            x: f64::from(self.x),
            y: f64::from(self.y),
        }
    }
}

/// The least distance, in the map's pixels, between two things drawn: a grid alone leaves closer
/// ones where stations crowd both sides of a cell's edge.
pub const APART_PX: f64 = 48.0;

/// The radius the map draws a circle of `count` stations with, its white ring and a gap (the UI's
/// `circle-radius` steps in ui/src/maplayers.ts, plus 2 + 2 px): larger circles stand further apart.
fn drawn_radius_px(count: u32) -> f64 {
    let radius = match count {
        1 => 9.0,
        2..50 => 16.0,
        50..500 => 22.0,
        500..5000 => 28.0,
        _ => 34.0,
    };
    radius + 4.0
}

/// A cluster or a lone station as the map will draw it.
#[derive(Debug, Clone, PartialEq)]
pub struct Drawn {
    pub at: WorldPoint,
    pub count: u32,
    /// The level at which its stations part.
    pub expand: u8,
    /// The station's index key, when it stands alone.
    pub station: Option<u32>,
}

/// Folds what would be drawn overlapping at `zoom` — nearer than their circles' radii, and in
/// any case nearer than `APART_PX` — into the larger neighbour (larger count first, then the order
/// given), which stays where it is: no two things left are nearer than `APART_PX`. A fold parts
/// one level deeper, where its cells are drawn apart again.
pub fn fold_overlaps(mut drawn: Vec<Drawn>, level: u8, zoom: f64) -> Vec<Drawn> {
    let px = world_px(zoom);
    let square = |p: WorldPoint| ((p.x * px / APART_PX) as i64, (p.y * px / APART_PX) as i64);
    // Two radii are at most 76 px: two squares of 48 px each way reach every overlap.
    const REACH: i64 = 2;
    drawn.sort_by_key(|d| std::cmp::Reverse(d.count));
    let mut kept: Vec<Drawn> = Vec::with_capacity(drawn.len());
    // The kept, by the APART_PX square they stand in: an overlapping one is within REACH squares.
    let mut squares: HashMap<(i64, i64), Vec<usize>> = HashMap::new();
    for d in drawn {
        let (sx, sy) = square(d.at);
        let near = (sx - REACH..=sx + REACH)
            .flat_map(|x| (sy - REACH..=sy + REACH).map(move |y| (x, y)))
            .filter_map(|s| squares.get(&s))
            .flatten()
            .copied()
            .map(|i| (i, (kept[i].at.x - d.at.x).hypot(kept[i].at.y - d.at.y) * px))
            .filter(|&(i, apart)| {
                let overlap = drawn_radius_px(kept[i].count) + drawn_radius_px(d.count);
                apart < overlap.max(APART_PX)
            })
            .min_by(|a, b| a.1.total_cmp(&b.1));
        match near {
            Some((i, _)) => {
                let k = &mut kept[i];
                k.count += d.count;
                k.expand = level + 1;
                k.station = None;
            }
            None => {
                squares.entry((sx, sy)).or_default().push(kept.len());
                kept.push(d);
            }
        }
    }
    kept
}

/// Every level's occupied cells.
#[derive(Debug, Default)]
pub struct Clusters {
    /// The stations' index keys in Z-order of their deepest cell: every cell's are one run.
    members: Vec<u32>,
    /// Level by level (0 to `MAX_LEVEL`), the occupied cells in key order.
    levels: Vec<Vec<Cell>>,
}

/// Cells a side of the world at `level`.
fn side(level: u8) -> u32 {
    1 << (LEVEL0_BITS + u32::from(level))
}

/// The (column, row) of the cell holding `p` at `level`.
fn cell_of(p: WorldPoint, level: u8) -> (u32, u32) {
    let n = side(level);
    let at = |v: f64| ((v * f64::from(n)) as i64).clamp(0, i64::from(n) - 1) as u32;
    (at(p.x), at(p.y))
}

/// The first and last (column, row) of the cells `view` spans at `level`, whichever way round its
/// corners were given.
fn span(view: &WorldBox, level: u8) -> ((u32, u32), (u32, u32)) {
    let (a, b) = (cell_of(view.min, level), cell_of(view.max, level));
    ((a.0.min(b.0), a.1.min(b.1)), (a.0.max(b.0), a.1.max(b.1)))
}

/// The low 16 bits of `v` moved to the even bits.
fn spread(v: u32) -> u32 {
    let mut x = v & 0xffff;
    x = (x | (x << 8)) & 0x00ff_00ff;
    x = (x | (x << 4)) & 0x0f0f_0f0f;
    x = (x | (x << 2)) & 0x3333_3333;
    (x | (x << 1)) & 0x5555_5555
}

/// The even bits of `v`, packed back together.
fn gather(v: u32) -> u32 {
    let mut x = v & 0x5555_5555;
    x = (x | (x >> 1)) & 0x3333_3333;
    x = (x | (x >> 2)) & 0x0f0f_0f0f;
    x = (x | (x >> 4)) & 0x00ff_00ff;
    (x | (x >> 8)) & 0xffff
}

fn z_order(col: u32, row: u32) -> u32 {
    spread(col) | (spread(row) << 1)
}

/// A cell at the mean position of `parts` (position and count each), weighted by their counts.
fn cell(key: u32, first: u32, parts: impl Iterator<Item = (f64, f64, u32)>) -> Cell {
    let (mut x, mut y, mut count) = (0.0, 0.0, 0u32);
    for (px, py, n) in parts {
        x += px * f64::from(n);
        y += py * f64::from(n);
        count += n;
    }
    Cell {
        key,
        x: (x / f64::from(count)) as f32,
        y: (y / f64::from(count)) as f32,
        count,
        first,
    }
}

impl Clusters {
    /// The cells of `stations` (index key, position) at every level.
    pub fn build(stations: impl Iterator<Item = (u32, WorldPoint)>) -> Clusters {
        let mut placed: Vec<(u32, u32, WorldPoint)> = stations
            .map(|(key, p)| {
                let (col, row) = cell_of(p, MAX_LEVEL);
                (z_order(col, row), key, p)
            })
            .collect();
        placed.sort_unstable_by_key(|&(cell, key, _)| (cell, key));
        let mut deepest = Vec::new();
        let mut first = 0;
        for run in placed.chunk_by(|a, b| a.0 == b.0) {
            let stations = run.iter().map(|&(_, _, p)| (p.x, p.y, 1));
            deepest.push(cell(run[0].0, first, stations));
            first += run.len() as u32;
        }
        let mut levels = vec![deepest];
        for _ in 0..MAX_LEVEL {
            let finer = levels.last().map(Vec::as_slice).unwrap_or_default();
            let coarser = finer
                .chunk_by(|a, b| a.key >> 2 == b.key >> 2)
                .map(|run| {
                    let parts = run
                        .iter()
                        .map(|c| (f64::from(c.x), f64::from(c.y), c.count));
                    cell(run[0].key >> 2, run[0].first, parts)
                })
                .collect();
            levels.push(coarser);
        }
        levels.reverse();
        for cells in &mut levels {
            cells.shrink_to_fit();
        }
        Clusters {
            members: placed.iter().map(|&(_, key, _)| key).collect(),
            levels,
        }
    }

    /// The level whose cells look 45 to 90 pixels wide at the map's `zoom`.
    pub fn level_for(zoom: f64) -> u8 {
        zoom.round().clamp(0.0, f64::from(MAX_LEVEL)) as u8
    }

    /// How many cells `view` spans at `level`, occupied or not: the most a view's answer can cost.
    pub fn cells_spanned(view: &WorldBox, level: u8) -> u64 {
        let ((c0, r0), (c1, r1)) = span(view, level);
        u64::from(c1 - c0 + 1) * u64::from(r1 - r0 + 1)
    }

    /// The occupied cells of `level` that lie in `view`'s span of cells.
    pub fn cells_in(&self, level: u8, view: &WorldBox) -> Vec<&Cell> {
        let Some(cells) = self.levels.get(usize::from(level)) else {
            return Vec::new();
        };
        let ((c0, r0), (c1, r1)) = span(view, level);
        // Every cell of the span lies between its corners' keys in Z-order; when that stretch is
        // far longer than the span (the span straddles a big quadrant's edge), looking each cell
        // up costs less.
        let lo = cells.partition_point(|c| c.key < z_order(c0, r0));
        let hi = cells.partition_point(|c| c.key <= z_order(c1, r1));
        let spanned = u64::from(c1 - c0 + 1) * u64::from(r1 - r0 + 1);
        if ((hi - lo) as u64) <= spanned.saturating_mul(4) {
            let inside = |c: &&Cell| {
                let (col, row) = (gather(c.key), gather(c.key >> 1));
                (c0..=c1).contains(&col) && (r0..=r1).contains(&row)
            };
            cells[lo..hi].iter().filter(inside).collect()
        } else {
            let mut found: Vec<&Cell> = (r0..=r1)
                .flat_map(|row| (c0..=c1).map(move |col| z_order(col, row)))
                .filter_map(|key| cells.binary_search_by_key(&key, |c| c.key).ok())
                .map(|i| &cells[i])
                .collect();
            // In Z-order, as the scan gives them: folds then do not depend on the path taken.
            found.sort_unstable_by_key(|c| c.key);
            found
        }
    }

    /// The level at which a cell's stations first fall into more than one cell; `MAX_LEVEL + 1`
    /// when they share a deepest cell (only showing them one by one parts them).
    pub fn splits_at(&self, level: u8, cell: &Cell) -> u8 {
        for deeper in level + 1..=MAX_LEVEL {
            let cells = &self.levels[usize::from(deeper)];
            // Its first descendant at `deeper` holds its first station.
            let start = cell.key << (2 * u32::from(deeper - level));
            let i = cells.partition_point(|c| c.key < start);
            if cells.get(i).is_some_and(|c| c.count < cell.count) {
                return deeper;
            }
        }
        MAX_LEVEL + 1
    }

    /// A cell's stations (the index's keys).
    pub fn members(&self, cell: &Cell) -> &[u32] {
        &self.members[cell.first as usize..][..cell.count as usize]
    }

    /// The memory the cells and members take.
    pub fn heap_bytes(&self) -> usize {
        let cells: usize = self.levels.iter().map(Vec::capacity).sum();
        cells * std::mem::size_of::<Cell>() + self.members.capacity() * 4
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sphere::LatLon;

    fn world(lat: f64, lon: f64) -> WorldPoint {
        WorldPoint::of(LatLon { lat, lon })
    }

    #[test]
    fn z_order_round_trips_and_keeps_children_together() {
        for (col, row) in [(0, 0), (1, 0), (0, 1), (65535, 65535), (12345, 54321)] {
            let key = z_order(col, row);
            assert_eq!((gather(key), gather(key >> 1)), (col, row));
            // The parent's key is the child's with its last two bits dropped.
            assert_eq!(key >> 2, z_order(col / 2, row / 2));
        }
    }

    /// The cells of `level` a brute force finds in `view`: each station's own cell tested.
    fn brute_cells(points: &[(u32, WorldPoint)], level: u8, view: &WorldBox) -> Vec<u32> {
        let (c0, r0) = cell_of(view.min, level);
        let (c1, r1) = cell_of(view.max, level);
        let mut keys: Vec<u32> = points
            .iter()
            .map(|&(_, p)| cell_of(p, level))
            .filter(|&(c, r)| (c0..=c1).contains(&c) && (r0..=r1).contains(&r))
            .map(|(c, r)| z_order(c, r))
            .collect();
        keys.sort_unstable();
        keys.dedup();
        keys
    }

    #[test]
    fn a_view_across_the_quadrants_edge_finds_the_same_cells() {
        // Stations 300 m apart around the point where the world's quadrants meet: a small view
        // there spans keys from one end of Z-order to the other, so it looks its cells up.
        let points: Vec<(u32, WorldPoint)> = (0..1600u32)
            .map(|i| {
                let (row, col) = (f64::from(i / 40) - 20.0, f64::from(i % 40) - 20.0);
                (i, world(row * 0.003, col * 0.003))
            })
            .collect();
        let clusters = Clusters::build(points.iter().copied());
        for (level, half) in [(13, 0.001), (13, 0.02), (10, 0.01), (6, 0.5)] {
            let view = WorldBox::between(
                LatLon {
                    lat: -half,
                    lon: -half,
                },
                LatLon {
                    lat: half,
                    lon: half,
                },
            );
            let mut got: Vec<u32> = clusters
                .cells_in(level, &view)
                .iter()
                .map(|c| c.key)
                .collect();
            got.sort_unstable();
            assert_eq!(got, brute_cells(&points, level, &view), "level {level}");
            assert!(!got.is_empty());
        }
    }

    #[test]
    fn circles_that_would_overlap_are_folded_into_the_larger() {
        // At zoom 5 (a world of 16,384 px), things `px` pixels east of one another.
        let zoom = 5.0;
        let at = |px: f64| WorldPoint {
            x: 0.8 + px / world_px(zoom),
            y: 0.4,
        };
        let drawn = |count, px| Drawn {
            at: at(px),
            count,
            expand: 9,
            station: None,
        };
        // Two big circles (34 px each) 60 px apart overlap: one circle of both, where the larger stood.
        let folded = fold_overlaps(vec![drawn(6_000, 60.0), drawn(7_000, 0.0)], 5, zoom);
        assert_eq!(folded.len(), 1);
        assert_eq!((folded[0].count, folded[0].expand), (13_000, 6));
        assert!((folded[0].at.x - at(0.0).x).abs() < 1e-12);
        // Two small ones (16 px) 50 px apart do not; two lone stations 40 px apart are too near.
        assert_eq!(
            fold_overlaps(vec![drawn(3, 0.0), drawn(3, 50.0)], 5, zoom).len(),
            2
        );
        assert_eq!(
            fold_overlaps(vec![drawn(1, 0.0), drawn(1, 40.0)], 5, zoom).len(),
            1
        );
    }

    #[test]
    fn every_level_holds_every_station_once() {
        let points: Vec<(u32, WorldPoint)> = (0..500u32)
            .map(|i| {
                let lat = 20.0 + f64::from(i % 37) * 0.7;
                let lon = 100.0 + f64::from(i % 53) * 0.6;
                (i, world(lat, lon))
            })
            .collect();
        let clusters = Clusters::build(points.iter().copied());
        for level in 0..=MAX_LEVEL {
            let cells = &clusters.levels[usize::from(level)];
            let mut seen: Vec<u32> = cells
                .iter()
                .flat_map(|c| clusters.members(c).iter().copied())
                .collect();
            seen.sort_unstable();
            assert_eq!(seen, (0..500).collect::<Vec<_>>(), "level {level}");
            for c in cells {
                // The cell holds exactly the stations whose position falls in it.
                for &m in clusters.members(c) {
                    let (col, row) = cell_of(points[m as usize].1, level);
                    assert_eq!(z_order(col, row), c.key, "level {level}");
                }
            }
        }
    }
}
